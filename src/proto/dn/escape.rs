//! The characters that must never reach a log or a terminal raw when they
//! come from the network, and their RFC 4514 `\XX` escape.
//!
//! RFC 4514 §2.4 allows any octet of a value to be written as `\` and two
//! hex digits; the crate uses that form for every character that could
//! forge a line in a log (line breaks, C0 and C1 controls) or reorder the
//! text displayed after it (the Unicode bidirectional controls), in DNs
//! and in every error text made from what a server sent.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is shown escaped: the C0 controls and DEL, the C1 controls
/// (U+0085 NEXT LINE among them), U+2028 LINE SEPARATOR, U+2029 PARAGRAPH
/// SEPARATOR, and the bidirectional marks, embeddings, overrides and
/// isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub(crate) fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Writes `c` as `\XX` for each octet of its UTF-8 encoding (upper-case
/// hex, as RFC 4514 writes it).
pub(crate) fn write_hex_escaped(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        write!(out, "\\{b:02X}")?;
    }
    Ok(())
}

/// `text` with every [`is_unsafe_char`] written as `\XX` octets; borrowed
/// when there is none (the usual case).
pub(crate) fn escape_unsafe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_char(c) {
            // Writing to a String cannot fail.
            let _ = write_hex_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_bidi_and_controls_are_escaped_as_utf8_octets() {
        assert_eq!(escape_unsafe("plain text, é ü 漢"), "plain text, é ü 漢");
        assert!(matches!(escape_unsafe("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape_unsafe(
                "a\u{2028}b\u{2029}c\u{85}d\u{202e}e\u{2066}f\u{0}g\u{7f}h\u{9f}i\u{200f}"
            ),
            r"a\E2\80\A8b\E2\80\A9c\C2\85d\E2\80\AEe\E2\81\A6f\00g\7Fh\C2\9Fi\E2\80\8F"
        );
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{61c}', '\u{200e}', '\n', '\r', '\t', '\u{1b}',
        ] {
            assert!(is_unsafe_char(c), "{c:?}");
        }
        for c in [
            'a', ' ', '\\', '\u{a0}', '\u{2027}', '\u{202f}', '\u{2065}', '\u{206a}',
        ] {
            assert!(!is_unsafe_char(c), "{c:?}");
        }
    }
}
