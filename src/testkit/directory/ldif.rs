//! The content records of LDIF (RFC 2849): `dn:` then `name: value`
//! lines, `name:: base64`, continuation lines starting with one space,
//! `#` comments, records separated by blank lines, an optional
//! `version: 1` first. Change records (`changetype:`) and `name:< URL`
//! values are refused with the line number.

use bytes::Bytes;

use crate::testkit::directory::entry::Entry;
use crate::testkit::Error;

/// Parses LDIF content records into entries, in file order.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, Error> {
    // Unfold: a line starting with a space continues the previous one.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix(' ') {
            match lines.last_mut() {
                Some((_, prev)) if !prev.is_empty() => {
                    prev.push_str(rest);
                    continue;
                }
                _ => {
                    return Err(Error::new(format!(
                        "LDIF line {}: a continuation line with nothing to continue",
                        index + 1
                    )))
                }
            }
        }
        if line.starts_with('#') {
            continue;
        }
        lines.push((index + 1, line.to_owned()));
    }

    let mut entries = Vec::new();
    let mut current: Option<Entry> = None;
    let mut first = true;
    for (number, line) in lines {
        if line.is_empty() {
            entries.extend(current.take());
            continue;
        }
        let (name, value) = attr_value(number, &line)?;
        if first && current.is_none() && name.eq_ignore_ascii_case("version") {
            first = false;
            continue;
        }
        first = false;
        match &mut current {
            None => {
                if !name.eq_ignore_ascii_case("dn") {
                    return Err(Error::new(format!(
                        "LDIF line {number}: a record starts with \"dn:\", not {name:?}"
                    )));
                }
                let dn = String::from_utf8(value.to_vec())
                    .map_err(|_| Error::new(format!("LDIF line {number}: the DN is not UTF-8")))?;
                current = Some(
                    Entry::new(&dn).map_err(|e| Error::with(format!("LDIF line {number}"), e))?,
                );
            }
            Some(entry) => {
                if name.eq_ignore_ascii_case("changetype") {
                    return Err(Error::new(format!(
                        "LDIF line {number}: change records are not supported, only entries"
                    )));
                }
                entry.add_values(name, [value]);
            }
        }
    }
    entries.extend(current);
    Ok(entries)
}

/// Splits `name: value`, `name:: base64` (decoded) or `name:` (empty).
fn attr_value(number: usize, line: &str) -> Result<(&str, Bytes), Error> {
    let Some((name, rest)) = line.split_once(':') else {
        return Err(Error::new(format!(
            "LDIF line {number}: expected \"name: value\", found {line:?}"
        )));
    };
    if name.is_empty() || name.contains(' ') {
        return Err(Error::new(format!(
            "LDIF line {number}: {name:?} is not an attribute name"
        )));
    }
    if let Some(b64) = rest.strip_prefix(':') {
        let bytes = base64_decode(b64.trim()).ok_or_else(|| {
            Error::new(format!(
                "LDIF line {number}: the value after \"::\" is not base64"
            ))
        })?;
        return Ok((name, Bytes::from(bytes)));
    }
    if rest.starts_with('<') {
        return Err(Error::new(format!(
            "LDIF line {number}: values from URLs (\":<\") are not supported"
        )));
    }
    Ok((
        name,
        Bytes::copy_from_slice(rest.trim_start_matches(' ').as_bytes()),
    ))
}

/// Standard base64 with padding; `None` on anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let sextet = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks = text.chunks(4).count();
    for (i, chunk) in text.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in chunk {
            n = (n << 6) | if c == b'=' { 0 } else { sextet(c)? };
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(bytes.get(1..4 - pad)?);
    }
    Some(out)
}
