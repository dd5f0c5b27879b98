//! RFC 4514 text for DER-encoded X.501 `Name`s.
//!
//! The formatting lives in one private function so that it can be swapped
//! for the crate's shared DN type once that is available.

use x509_parser::der_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// The RFC 4514 string of a DER `Name` (outer SEQUENCE included), most
/// specific RDN first, e.g. `CN=Test CA-A,O=Example Test,DC=example,DC=com`.
///
/// Returns `None` when the bytes are not exactly one DER `Name`. A single
/// value that is not a string (or whose string does not decode) is written as
/// `#` and the hex of its BER encoding, as RFC 4514 §2.4 prescribes.
pub(crate) fn rfc4514_from_der(der: &[u8]) -> Option<String> {
    let (rest, name) = X509Name::from_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let rdns = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(attribute_to_string)
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>();
    // RFC 4514 §2.1: the output starts with the last RDN of the sequence.
    Some(rdns.into_iter().rev().collect::<Vec<_>>().join(","))
}

/// `#` followed by the lowercase hex of `bytes`.
pub(crate) fn hex_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(1 + 2 * bytes.len());
    out.push('#');
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// One `type=value` pair (RFC 4514 §2.3, §2.4).
fn attribute_to_string(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type().to_id_string();
    let short = short_name(&oid);
    let value = attr.attr_value();
    // §2.4: a type written in dotted-decimal form gets the hex form of the
    // value; so does a value that has no string form we can decode.
    let text = match short {
        Some(_) => decode_string(value).map(|s| escape_value(&s)),
        None => None,
    };
    let text = text.unwrap_or_else(|| hex_string(&ber_encoding(value)));
    format!("{}={}", short.unwrap_or(&oid), text)
}

/// The short names RFC 4514 §3 lists, plus `UID`.
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// The text of a directory string, or `None` if it is not one or does not
/// decode.
fn decode_string(value: &Any<'_>) -> Option<String> {
    if value.header.class() != Class::Universal || value.header.is_constructed() {
        return None;
    }
    let data = value.data;
    match value.header.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_owned),
        // T.61 in theory; in practice senders put Latin-1 there.
        Tag::TeletexString => Some(data.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// RFC 4514 §2.4 escaping of a string value.
fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            _ => out.push(c),
        }
    }
    out
}

/// The BER encoding (identifier, length, contents) of a parsed value.
fn ber_encoding(value: &Any<'_>) -> Vec<u8> {
    let header = &value.header;
    let mut out = match header.raw_tag() {
        Some(raw) => raw.to_vec(),
        None => {
            let class = (header.class() as u8) << 6;
            let constructed = if header.is_constructed() { 0x20 } else { 0 };
            let number = header.tag().0;
            if number < 0x1f {
                // Fits the low five bits: checked just above.
                vec![class | constructed | number as u8]
            } else {
                let mut v = vec![class | constructed | 0x1f];
                let mut groups = Vec::new();
                let mut n = number;
                loop {
                    groups.push((n & 0x7f) as u8);
                    n >>= 7;
                    if n == 0 {
                        break;
                    }
                }
                for (i, g) in groups.iter().enumerate().rev() {
                    v.push(if i == 0 { *g } else { g | 0x80 });
                }
                v
            }
        }
    };
    let len = value.data.len();
    if len < 0x80 {
        // Short form: fits seven bits, checked just above.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        // At most size_of::<usize>() octets, far below 0x7f.
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(value.data);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// DER TLV with a short or long definite length.
    pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend_from_slice(&[0x81, len as u8]);
        } else {
            out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    pub(crate) const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    pub(crate) const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
    pub(crate) const OID_OU: &[u8] = &[0x55, 0x04, 0x0b];
    pub(crate) const OID_DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];

    /// One attribute: (OID, string tag, value).
    pub(crate) type Atv<'a> = (&'a [u8], u8, &'a [u8]);

    /// A `Name` from RDNs in DER order, each RDN a list of attributes.
    pub(crate) fn name(rdns: &[&[Atv<'_>]]) -> Vec<u8> {
        let mut seq = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, value) in *rdn {
                let mut atv = tlv(0x06, oid);
                atv.extend(tlv(*tag, value));
                set.extend(tlv(0x30, &atv));
            }
            seq.extend(tlv(0x31, &set));
        }
        tlv(0x30, &seq)
    }

    #[test]
    fn most_specific_first() {
        let der = name(&[
            &[(OID_DC, 0x16, b"com")],
            &[(OID_DC, 0x16, b"example")],
            &[(OID_O, 0x0c, b"Example Test")],
            &[(OID_CN, 0x0c, b"Test CA-A")],
        ]);
        assert_eq!(
            rfc4514_from_der(&der).as_deref(),
            Some("CN=Test CA-A,O=Example Test,DC=example,DC=com")
        );
    }

    #[test]
    fn escaping_and_multi_valued() {
        let der = name(&[
            &[(OID_O, 0x0c, b"a,b+c\"d;<e>\\")],
            &[(OID_OU, 0x13, b"people"), (OID_CN, 0x0c, " #x ".as_bytes())],
            &[(OID_CN, 0x0c, "Jos\u{e9}".as_bytes())],
        ]);
        assert_eq!(
            rfc4514_from_der(&der).as_deref(),
            Some("CN=Jos\u{e9},OU=people+CN=\\ #x\\ ,O=a\\,b\\+c\\\"d\\;\\<e\\>\\\\")
        );
        let der = name(&[&[(OID_CN, 0x0c, b"#lead")]]);
        assert_eq!(rfc4514_from_der(&der).as_deref(), Some("CN=\\#lead"));
    }

    #[test]
    fn unknown_type_and_bad_strings_are_hex() {
        // emailAddress 1.2.840.113549.1.9.1 as IA5String.
        let email: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
        let der = name(&[&[(email, 0x16, b"a@b")], &[(OID_CN, 0x0c, &[0xff, 0xfe])]]);
        assert_eq!(
            rfc4514_from_der(&der).as_deref(),
            Some("CN=#0c02fffe,1.2.840.113549.1.9.1=#1603614062")
        );
        let der = name(&[&[(OID_CN, 0x1e, &[0x00, 0x41, 0x00, 0x42])]]);
        assert_eq!(rfc4514_from_der(&der).as_deref(), Some("CN=AB"));
    }

    #[test]
    fn not_a_name() {
        assert_eq!(rfc4514_from_der(&[0xff, 0x00, 0x01]), None);
        assert_eq!(rfc4514_from_der(&[]), None);
        let mut der = name(&[&[(OID_CN, 0x0c, b"x")]]);
        der.push(0);
        assert_eq!(rfc4514_from_der(&der), None);
        assert_eq!(rfc4514_from_der(&[0x30, 0x00]).as_deref(), Some(""));
        assert_eq!(hex_string(&[0xff, 0x00, 0x01]), "#ff0001");
    }
}
