//! [`ErrorText`]: shared, bounded, escaped.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

#[test]
fn short_clean_text_is_kept_as_is() {
    let t = ErrorText::new("server shutting down");
    assert_eq!(t, "server shutting down");
    assert_eq!(t.as_str(), "server shutting down");
    assert_eq!(format!("{t:?}"), "\"server shutting down\"");
    assert_eq!(ErrorText::new(""), "");
}

/// An 8 MiB notice keeps 4 KiB and says how much was cut; a clone is the
/// same allocation, not a copy.
#[test]
fn long_text_is_cut_with_a_marker_and_clones_share_it() {
    let raw = "x".repeat(8 << 20);
    let t = ErrorText::new(&raw);
    let kept = "x".repeat(ErrorText::MAX_LEN);
    let more = (8 << 20) - ErrorText::MAX_LEN;
    assert_eq!(t, format!("{kept}… [{more} more bytes not shown]"));
    assert!(t.len() < ErrorText::MAX_LEN + 64);
    let clones: Vec<ErrorText> = (0..1000).map(|_| t.clone()).collect();
    assert!(clones.iter().all(|c| c.ptr_eq(&t)));
    assert_eq!(clones[999].as_ptr(), t.as_ptr());
}

/// The cut never splits a character nor an escape.
#[test]
fn the_cut_respects_characters_and_escapes() {
    let raw = format!("{}é\u{2028}tail", "a".repeat(ErrorText::MAX_LEN - 3));
    let t = ErrorText::new(&raw);
    let head = "a".repeat(ErrorText::MAX_LEN - 3);
    // "é" (2 bytes) fits, the 9-byte escape of U+2028 does not.
    assert_eq!(t, format!("{head}é… [{} more bytes not shown]", 3 + 4));
}

#[test]
fn line_breaks_and_bidi_controls_are_escaped() {
    let t = ErrorText::new("a\u{2028}b\u{85}c\u{202e}d\ne");
    assert_eq!(t, r"a\E2\80\A8b\C2\85c\E2\80\AEd\0Ae");
}

/// Every operation a notice ends gets one shared text, escaped and cut.
#[test]
fn disconnected_errors_share_their_text() {
    let raw = format!("bye\u{2029}{}", "y".repeat(10_000));
    let e = Error::disconnected(ResultCode::UNAVAILABLE, &raw);
    let copies: Vec<Error> = (0..100).map(|_| e.clone()).collect();
    let Error::Disconnected { message, .. } = &e else {
        panic!("{e:?}")
    };
    for c in &copies {
        let Error::Disconnected { message: m, code } = c else {
            panic!("{c:?}")
        };
        assert_eq!(*code, ResultCode::UNAVAILABLE);
        assert!(m.ptr_eq(message));
    }
    let shown = e.to_string();
    assert!(
        shown.starts_with(r"server disconnected: unavailable (52): bye\E2\80\A9yyy"),
        "{shown}"
    );
    assert!(shown.ends_with(" more bytes not shown]"), "{shown}");
    assert!(shown.len() < ErrorText::MAX_LEN + 100);
    let empty = Error::disconnected(ResultCode::UNAVAILABLE, "");
    assert_eq!(
        empty.to_string(),
        "server disconnected: unavailable (52): (no message)"
    );
}

/// A server's diagnostic message and matched DN are shown escaped and
/// bounded; the result keeps them as they came.
#[test]
fn ldap_error_text_is_escaped_and_bounded() {
    let mut result = LdapResult::new(ResultCode::NO_SUCH_OBJECT);
    result.message = format!("no\u{2028}such{}", "z".repeat(9000)).into();
    result.matched_dn = "dc=ex\u{202e}ample".into();
    let e = LdapError {
        operation: "search",
        result,
        controls: Vec::new(),
    };
    let shown = e.to_string();
    assert!(
        shown.starts_with(r"search failed: noSuchObject (32): no\E2\80\A8suchzzz"),
        "{shown}"
    );
    assert!(
        shown.ends_with(r" more bytes not shown] (matched DN: dc=ex\E2\80\AEample)"),
        "{shown}"
    );
    assert!(!shown.contains('\u{2028}'));
    assert!(e.result().message.contains('\u{2028}'));
}
