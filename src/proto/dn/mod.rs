//! Distinguished names: the string form of RFC 4514, and the DER form of
//! X.501 `Name` found in certificates and in a TLS CertificateRequest.
//!
//! ```
//! use tokio_ldap::proto::dn::Dn;
//!
//! let dn: Dn = "CN=Jane Doe+UID=jdoe,OU=People,DC=example,DC=com".parse()?;
//! assert_eq!(dn.rdns.len(), 4);
//! assert_eq!(dn.rdn().unwrap().avas.len(), 2);
//! assert!(dn.is_descendant_of(&"dc=example,dc=com".parse()?));
//! assert_eq!(dn.parent().unwrap().to_string(), "OU=People,DC=example,DC=com");
//! # Ok::<(), tokio_ldap::proto::dn::DnError>(())
//! ```

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use x509_parser::der_parser::asn1_rs::{Any, Class as DerClass};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::ber::{Class, Tag, Writer};

mod compare;
mod escape;
use escape::write_hex_escaped;
pub(crate) use escape::{escape_unsafe, is_unsafe_char};

/// A distinguished name: a sequence of RDNs, the most specific first (the
/// order of the RFC 4514 string form, and the reverse of the DER order).
///
/// The empty DN (no RDNs, the empty string) is the root DSE.
///
/// Equality and hashing are those of the names, not of their spelling:
/// attribute types compare case-insensitively (`CN=x` equals `cn=x`), the
/// short names of RFC 4514 §3 and some common long names equal their OIDs
/// (`CN=x` equals `2.5.4.3=x` and `commonName=x`), and the order of the
/// values of a multi-valued RDN does not matter. Values compare exactly
/// (byte for byte, case-sensitively, a `#hex` value never equals a string);
/// [`Dn::eq_ignore_case`] also ignores the case of string values, which is
/// what most directory attributes (`caseIgnoreMatch`) do, and
/// [`Dn::eq_normalized`] compares the values of the common string
/// attributes as a directory does (RFC 4518: case, insignificant spaces).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dn {
    /// The RDNs, most specific first.
    pub rdns: Vec<Rdn>,
}

/// A relative distinguished name: one or more attribute values joined with
/// `+` in the string form (a multi-valued RDN).
#[derive(Clone, Debug, Default)]
pub struct Rdn {
    /// The attribute values, in the order they were written or encoded.
    pub avas: Vec<AttributeTypeAndValue>,
}

/// One `type=value` of an RDN.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AttributeTypeAndValue {
    /// The attribute type as written: a name (`CN`, `uid`) or a dotted OID
    /// (`2.5.4.3`).
    pub attr_type: String,
    /// The value.
    pub value: DnValue,
}

/// The value of an [`AttributeTypeAndValue`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DnValue {
    /// A string value (unescaped).
    String(String),
    /// A value given as the BER encoding of the X.500 value (tag, length and
    /// content), written `#` and hex in the string form (RFC 4514 §2.4). Never
    /// empty.
    Ber(Vec<u8>),
}

/// Why a DN did not parse.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    /// Something else was found where `expected` was required.
    #[error("expected {expected} at position {position}")]
    Expected {
        /// What the grammar allows at this point.
        expected: &'static str,
        /// Byte offset in the input.
        position: usize,
    },
    /// A `\` not followed by a special character or two hex digits.
    #[error(
        "invalid escape at position {position}: '\\' must be followed by two hex digits or one of: space \" # + , ; < = > \\"
    )]
    InvalidEscape {
        /// Byte offset of the `\`.
        position: usize,
    },
    /// A character that must be escaped in a value (`"`, `;`, `<`, `>` or
    /// NUL) was not.
    #[error("unescaped {ch:?} at position {position}: escape it with '\\' or as a \\xx hex pair")]
    UnescapedChar {
        /// The character.
        ch: char,
        /// Byte offset of the character.
        position: usize,
    },
    /// The `\xx` escapes of a value do not decode to UTF-8.
    #[error(
        "the value at position {position} is not valid UTF-8 once its \\xx escapes are decoded"
    )]
    InvalidUtf8 {
        /// Byte offset of the start of the value.
        position: usize,
    },
    /// A `#` value without an even number (at least two) of hex digits.
    #[error(
        "invalid #hex value at position {position}: expected an even number of hex digits, at least two"
    )]
    InvalidHexString {
        /// Byte offset of the `#`.
        position: usize,
    },
    /// The bytes given to [`Dn::from_der_name`] are not a DER `Name`.
    #[error("not a DER-encoded X.501 Name: {reason}")]
    InvalidDer {
        /// What was wrong.
        reason: String,
    },
}

impl DnError {
    /// The byte offset in the input where the error was found, for errors in
    /// a string.
    pub fn position(&self) -> Option<usize> {
        match *self {
            Self::Expected { position, .. }
            | Self::InvalidEscape { position }
            | Self::UnescapedChar { position, .. }
            | Self::InvalidUtf8 { position }
            | Self::InvalidHexString { position } => Some(position),
            Self::InvalidDer { .. } => None,
        }
    }
}

impl Dn {
    /// The root DN (no RDNs), whose string form is empty.
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses the string form of a DN (RFC 4514 §3).
    ///
    /// The empty string is the root DN. Escapes: `\` before any of
    /// `space " # + , ; < = > \`, and `\xx` hex pairs, which together must
    /// form UTF-8 (`\C3\A9` is `é`). A value starting with `#` is the hex of
    /// its BER encoding ([`DnValue::Ber`]).
    ///
    /// Beyond RFC 4514, and as most implementations do, spaces around `,`,
    /// `+` and `=` are ignored (`cn=a, dc=b` is `cn=a,dc=b`): unescaped
    /// spaces at either end of a value are dropped, escaped ones (`\ `) kept.
    /// The RFC 2253 `;` separator and RFC 1779 quoted values are not
    /// accepted.
    ///
    /// ```
    /// use tokio_ldap::proto::dn::{Dn, DnValue};
    ///
    /// let dn = Dn::parse(r"CN=Smith\, John,O=Acme\2C Inc.,C=US")?;
    /// assert_eq!(dn.rdns[0].avas[0].value, DnValue::String("Smith, John".into()));
    /// assert_eq!(dn.rdns[1].avas[0].value, DnValue::String("Acme, Inc.".into()));
    /// assert_eq!(dn.to_string(), r"CN=Smith\, John,O=Acme\, Inc.,C=US");
    /// assert_eq!(dn, Dn::parse("cn=Smith\\, John, o=Acme\\, Inc., c=US")?);
    ///
    /// let err = Dn::parse("cn=a,,dc=b").unwrap_err();
    /// assert_eq!(err.to_string(), "expected an attribute type at position 5");
    /// # Ok::<(), tokio_ldap::proto::dn::DnError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, DnError> {
        let mut p = Parser { input, pos: 0 };
        let mut rdns = Vec::new();
        p.skip_spaces();
        if p.peek().is_none() {
            return Ok(Self { rdns });
        }
        loop {
            rdns.push(p.rdn()?);
            match p.peek() {
                None => return Ok(Self { rdns }),
                Some(b',') => {
                    p.pos += 1;
                    p.skip_spaces();
                }
                // `rdn` only returns before ',' or the end.
                Some(_) => return Err(p.expected("',' or the end of the DN")),
            }
        }
    }

    /// Builds a DN from a DER-encoded X.501 `Name` (`SEQUENCE OF
    /// RelativeDistinguishedName`), such as a certificate's subject or
    /// issuer, or an entry of a TLS CertificateRequest's
    /// `certificate_authorities`.
    ///
    /// The RDNs are reversed into the RFC 4514 order (most specific first).
    /// The values of a multi-valued RDN keep their DER (`SET`) order.
    /// Attribute types `CN`, `L`, `ST`, `O`, `OU`, `C`, `STREET`, `DC` and
    /// `UID` (RFC 4514 §3) are given by name, all others as dotted OIDs.
    /// Under a named type, values of the string types (UTF8String,
    /// PrintableString, IA5String, NumericString, VisibleString,
    /// TeletexString taken as Latin-1, BMPString, UniversalString) become
    /// [`DnValue::String`]; under a dotted-OID type (RFC 4514 §2.4), and for
    /// any value that is not a decodable string, the value becomes
    /// [`DnValue::Ber`] with its full DER encoding, printed `#hex`.
    ///
    /// The input must be exactly one well-formed DER `Name`, with nothing
    /// after it, or the contents of one (the RDNs without the outer
    /// `SEQUENCE`, as webpki's `TrustAnchor::subject` holds them); otherwise the result is
    /// [`DnError::InvalidDer`] (a caller
    /// that only wants to show the name can fall back to printing the hex).
    ///
    /// ```
    /// use tokio_ldap::proto::dn::Dn;
    ///
    /// // SEQUENCE { SET { SEQUENCE { 2.5.4.6, PrintableString "US" } },
    /// //            SET { SEQUENCE { 2.5.4.3, UTF8String "Example CA" } } }
    /// let der = b"\x30\x25\x31\x0b\x30\x09\x06\x03\x55\x04\x06\x13\x02US\
    ///             \x31\x16\x30\x14\x06\x03\x55\x04\x03\x0c\x0dExample CA, 1";
    /// let dn = Dn::from_der_name(der)?;
    /// assert_eq!(dn.to_string(), r"CN=Example CA\, 1,C=US");
    /// assert!(Dn::from_der_name(b"\x30\x03\x31").is_err());
    /// # Ok::<(), tokio_ldap::proto::dn::DnError>(())
    /// ```
    pub fn from_der_name(der: &[u8]) -> Result<Self, DnError> {
        let invalid = |reason: String| DnError::InvalidDer { reason };
        // webpki's trust anchors keep the subject without its outer
        // SEQUENCE; accept that form too (a Name itself starts with 0x30).
        let wrapped;
        let der = if der.first() == Some(&0x31) {
            let mut buf = Vec::with_capacity(der.len() + 4);
            Writer::new(&mut buf).sequence(Tag::SEQUENCE, |w| w.raw(der));
            wrapped = buf;
            wrapped.as_slice()
        } else {
            der
        };
        let (rest, name) = X509Name::from_der(der).map_err(|e| invalid(e.to_string()))?;
        if !rest.is_empty() {
            return Err(invalid(format!(
                "{} bytes after the end of the Name",
                rest.len()
            )));
        }
        // x509-parser stops quietly at the first element of a SEQUENCE or
        // SET that it cannot parse and ignores the rest; encoding what it
        // returned and comparing with the input catches that (and any
        // non-DER encoding).
        let mut again = Vec::with_capacity(der.len());
        Writer::new(&mut again).sequence(Tag::SEQUENCE, |w| {
            for rdn in name.iter() {
                w.sequence(Tag::SET, |w| {
                    for atv in rdn.iter() {
                        w.sequence(Tag::SEQUENCE, |w| {
                            w.octet_string(OID_TAG, atv.attr_type().as_bytes());
                            write_any(w, atv.attr_value());
                        });
                    }
                });
            }
        });
        if again != der {
            return Err(invalid("malformed element inside the Name".into()));
        }
        let mut rdns = Vec::new();
        for rdn in name.iter().collect::<Vec<_>>().into_iter().rev() {
            let mut avas = Vec::new();
            for atv in rdn.iter() {
                let oid = oid_to_string(atv.attr_type().as_bytes())
                    .ok_or_else(|| invalid("malformed attribute type OID".into()))?;
                // RFC 4514 §2.4: a type printed in dotted-decimal form gets
                // the `#hex` form of its value.
                let (attr_type, value) = match SHORT_NAMES.iter().find(|(_, o)| *o == oid) {
                    Some((short, _)) => ((*short).to_owned(), der_value(atv.attr_value())),
                    None => (oid, ber_value(atv.attr_value())),
                };
                avas.push(AttributeTypeAndValue { attr_type, value });
            }
            rdns.push(Rdn { avas });
        }
        Ok(Self { rdns })
    }

    /// Whether this is the root DN (no RDNs).
    pub fn is_root(&self) -> bool {
        self.rdns.is_empty()
    }

    /// The most specific RDN (the first one in the string form), or `None`
    /// for the root DN.
    pub fn rdn(&self) -> Option<&Rdn> {
        self.rdns.first()
    }

    /// The DN of the parent entry, or `None` for the root DN. The parent of
    /// a one-RDN DN is the root DN.
    pub fn parent(&self) -> Option<Self> {
        let (_, rest) = self.rdns.split_first()?;
        Some(Self {
            rdns: rest.to_vec(),
        })
    }

    /// Whether this DN is strictly below `ancestor` (a DN is not its own
    /// descendant). Every DN but the root descends from the root DN. RDNs
    /// compare as with `==`.
    pub fn is_descendant_of(&self, ancestor: &Self) -> bool {
        self.rdns.len() > ancestor.rdns.len() && self.rdns.ends_with(&ancestor.rdns)
    }
}

impl FromStr for Dn {
    type Err = DnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The RFC 4514 string form: RDNs joined with `,`, values escaped with
/// [`escape_dn_value`], `#` values in upper-case hex (as OpenSSL prints
/// them).
impl fmt::Display for Dn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rdn) in self.rdns.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, "{rdn}")?;
        }
        Ok(())
    }
}

impl PartialOrd for Dn {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An order consistent with `==`; see [`Rdn`]'s.
impl Ord for Dn {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rdns.cmp(&other.rdns)
    }
}

impl Rdn {
    fn sorted_keys(&self) -> Vec<(Cow<'_, str>, &DnValue)> {
        let mut keys: Vec<_> = self
            .avas
            .iter()
            .map(|ava| (type_key(&ava.attr_type), &ava.value))
            .collect();
        keys.sort();
        keys
    }
}

/// Equal when both hold the same values in any order, attribute types
/// compared as described on [`Dn`].
impl PartialEq for Rdn {
    fn eq(&self, other: &Self) -> bool {
        self.sorted_keys() == other.sorted_keys()
    }
}

impl Eq for Rdn {}

impl Hash for Rdn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.sorted_keys().hash(state);
    }
}

impl PartialOrd for Rdn {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An order consistent with `==` (so RDNs and DNs can be sorted and used as
/// `BTreeMap` keys); it has no meaning beyond that.
impl Ord for Rdn {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sorted_keys().cmp(&other.sorted_keys())
    }
}

/// The values joined with `+`.
impl fmt::Display for Rdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, ava) in self.avas.iter().enumerate() {
            if i > 0 {
                f.write_char('+')?;
            }
            write!(f, "{ava}")?;
        }
        Ok(())
    }
}

impl AttributeTypeAndValue {
    /// A `type=value` with a string value.
    pub fn new(attr_type: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            attr_type: attr_type.into(),
            value: DnValue::String(value.into()),
        }
    }
}

/// Attribute types compare as described on [`Dn`], values exactly.
impl PartialEq for AttributeTypeAndValue {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && type_key(&self.attr_type) == type_key(&other.attr_type)
    }
}

impl Eq for AttributeTypeAndValue {}

impl Hash for AttributeTypeAndValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        type_key(&self.attr_type).hash(state);
        self.value.hash(state);
    }
}

/// `type=value`, the value escaped as RFC 4514 requires.
impl fmt::Display for AttributeTypeAndValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.attr_type, self.value)
    }
}

/// A string escaped by [`escape_dn_value`], or `#` and the upper-case hex of
/// the BER bytes.
impl fmt::Display for DnValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => write_escaped(f, s),
            Self::Ber(bytes) => {
                f.write_char('#')?;
                bytes.iter().try_for_each(|b| write!(f, "{b:02X}"))
            }
        }
    }
}

/// Escapes a string for use as an attribute value in the string form of a
/// DN (RFC 4514 §2.4).
///
/// `,` `+` `"` `\` `<` `>` `;` get a `\` before them, as do a `#` or space
/// at the start and a space at the end. NUL and the other control
/// characters (C0, DEL, C1), the Unicode line and paragraph separators and
/// the bidirectional controls become `\XX` hex pairs of their UTF-8 octets
/// (RFC 4514 only requires it of NUL; the others are escaped so that a
/// name from a certificate cannot forge a line in a log or reverse the
/// text shown after it). Everything else, including non-ASCII, is kept.
///
/// ```
/// use tokio_ldap::proto::dn::{escape_dn_value, Dn};
///
/// let cn = "#1 Smith, John <jsmith> ";
/// let text = format!("CN={},DC=example,DC=com", escape_dn_value(cn));
/// assert_eq!(text, r"CN=\#1 Smith\, John \<jsmith\>\ ,DC=example,DC=com");
/// assert_eq!(Dn::parse(&text)?.rdns.len(), 3);
/// # Ok::<(), tokio_ldap::proto::dn::DnError>(())
/// ```
pub fn escape_dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut out, value);
    out
}

fn write_escaped(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => write!(out, "\\{c}")?,
            '#' if i == 0 => out.write_str("\\#")?,
            ' ' if i == 0 || i == last => out.write_str("\\ ")?,
            c if is_unsafe_char(c) => write_hex_escaped(out, c)?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// The attribute types RFC 4514 §3 names, with their OIDs.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("CN", "2.5.4.3"),
    ("L", "2.5.4.7"),
    ("ST", "2.5.4.8"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("C", "2.5.4.6"),
    ("STREET", "2.5.4.9"),
    ("DC", "0.9.2342.19200300.100.1.25"),
    ("UID", "0.9.2342.19200300.100.1.1"),
];

/// Other common names (RFC 4519, PKCS #9) that compare equal to their OIDs.
const LONG_NAMES: &[(&str, &str)] = &[
    ("commonName", "2.5.4.3"),
    ("localityName", "2.5.4.7"),
    ("stateOrProvinceName", "2.5.4.8"),
    ("organizationName", "2.5.4.10"),
    ("organizationalUnitName", "2.5.4.11"),
    ("countryName", "2.5.4.6"),
    ("street", "2.5.4.9"),
    ("streetAddress", "2.5.4.9"),
    ("domainComponent", "0.9.2342.19200300.100.1.25"),
    ("userid", "0.9.2342.19200300.100.1.1"),
    ("sn", "2.5.4.4"),
    ("surname", "2.5.4.4"),
    ("serialNumber", "2.5.4.5"),
    ("title", "2.5.4.12"),
    ("givenName", "2.5.4.42"),
    ("emailAddress", "1.2.840.113549.1.9.1"),
];

/// The key attribute types compare by: the OID for known names, otherwise
/// the type lower-cased.
fn type_key(attr_type: &str) -> Cow<'_, str> {
    let known = SHORT_NAMES
        .iter()
        .chain(LONG_NAMES)
        .find(|(n, _)| n.eq_ignore_ascii_case(attr_type));
    match known {
        Some((_, oid)) => Cow::Borrowed(oid),
        None if attr_type.bytes().any(|b| b.is_ascii_uppercase()) => {
            Cow::Owned(attr_type.to_ascii_lowercase())
        }
        None => Cow::Borrowed(attr_type),
    }
}

/// The universal tag of OBJECT IDENTIFIER.
const OID_TAG: Tag = Tag {
    class: Class::Universal,
    constructed: false,
    number: 0x06,
};

/// Writes an `Any` back in DER: its tag, a minimal length, its content.
fn write_any(w: &mut Writer<'_>, any: &Any<'_>) {
    let class = match any.header.class() {
        DerClass::Universal => Class::Universal,
        DerClass::Application => Class::Application,
        DerClass::ContextSpecific => Class::Context,
        DerClass::Private => Class::Private,
    };
    let tag = Tag {
        class,
        constructed: any.header.constructed(),
        number: any.header.tag().0,
    };
    w.octet_string(tag, any.data);
}

/// The value of a DER attribute: a string for the string types, else the
/// DER of the whole value.
fn der_value(any: &Any<'_>) -> DnValue {
    let data = any.data;
    let string = if any.header.class() != DerClass::Universal || any.header.constructed() {
        None
    } else {
        match any.header.tag().0 {
            // UTF8String
            0x0c => std::str::from_utf8(data).ok().map(str::to_owned),
            // NumericString, PrintableString, IA5String, VisibleString: ASCII
            // by definition; tolerate UTF-8 (some CAs put it there), else
            // take the bytes as Latin-1.
            0x12 | 0x13 | 0x16 | 0x1a => {
                Some(std::str::from_utf8(data).map_or_else(|_| latin1(data), str::to_owned))
            }
            // TeletexString (T61String): Latin-1 in practice.
            0x14 => Some(latin1(data)),
            // UniversalString: UCS-4, big-endian.
            0x1c if data.len().is_multiple_of(4) => data
                .chunks_exact(4)
                .map(|c| match *c {
                    [a, b, c, d] => char::from_u32(u32::from_be_bytes([a, b, c, d])),
                    _ => None,
                })
                .collect(),
            // BMPString: UCS-2, big-endian (decoded as UTF-16).
            0x1e if data.len().is_multiple_of(2) => {
                let units = data.chunks_exact(2).map(|c| match *c {
                    [a, b] => u16::from_be_bytes([a, b]),
                    // `chunks_exact(2)` only yields pairs.
                    _ => 0xdc00,
                });
                char::decode_utf16(units)
                    .collect::<Result<String, _>>()
                    .ok()
            }
            _ => None,
        }
    };
    match string {
        Some(s) => DnValue::String(s),
        None => ber_value(any),
    }
}

/// The value as `#hex` of its whole BER encoding.
fn ber_value(any: &Any<'_>) -> DnValue {
    let mut der = Vec::with_capacity(any.data.len() + 6);
    write_any(&mut Writer::new(&mut der), any);
    DnValue::Ber(der)
}

fn latin1(data: &[u8]) -> String {
    data.iter().map(|&b| char::from(b)).collect()
}

/// The dotted form of the content octets of an OBJECT IDENTIFIER, or `None`
/// if they are malformed (empty, a truncated or non-minimal sub-identifier,
/// or one over 128 bits).
fn oid_to_string(content: &[u8]) -> Option<String> {
    let mut arcs = Vec::new();
    let mut arc: u128 = 0;
    let mut in_arc = false;
    for &b in content {
        if !in_arc && b == 0x80 {
            return None;
        }
        if arc.leading_zeros() < 7 {
            return None;
        }
        arc = (arc << 7) | u128::from(b & 0x7f);
        in_arc = b & 0x80 != 0;
        if !in_arc {
            arcs.push(arc);
            arc = 0;
        }
    }
    if in_arc {
        return None;
    }
    let (&first, rest) = arcs.split_first()?;
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in rest {
        // Writing to a String cannot fail.
        let _ = write!(out, ".{arc}");
    }
    Some(out)
}

/// The parser state: the input and a cursor into it.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.input.as_bytes().get(self.pos + ahead).copied()
    }

    fn expected(&self, expected: &'static str) -> DnError {
        DnError::Expected {
            expected,
            position: self.pos,
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// `relativeDistinguishedName = attributeTypeAndValue
    ///     *( PLUS attributeTypeAndValue )`
    fn rdn(&mut self) -> Result<Rdn, DnError> {
        let mut avas = vec![self.attribute_type_and_value()?];
        while self.peek() == Some(b'+') {
            self.pos += 1;
            self.skip_spaces();
            avas.push(self.attribute_type_and_value()?);
        }
        Ok(Rdn { avas })
    }

    /// `attributeTypeAndValue = attributeType EQUALS attributeValue`
    fn attribute_type_and_value(&mut self) -> Result<AttributeTypeAndValue, DnError> {
        let attr_type = self.attribute_type()?;
        self.skip_spaces();
        if self.peek() != Some(b'=') {
            return Err(self.expected("'='"));
        }
        self.pos += 1;
        self.skip_spaces();
        let value = if self.peek() == Some(b'#') {
            self.hex_string()?
        } else {
            self.string()?
        };
        match self.peek() {
            None | Some(b',' | b'+') => Ok(AttributeTypeAndValue { attr_type, value }),
            Some(_) => Err(self.expected("',', '+' or the end of the DN")),
        }
    }

    /// `attributeType = descr / numericoid`
    fn attribute_type(&mut self) -> Result<String, DnError> {
        let start = self.pos;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() => {
                while self
                    .peek()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    self.pos += 1;
                }
            }
            Some(b) if b.is_ascii_digit() => {
                self.number()?;
                if self.peek() != Some(b'.') {
                    return Err(self.expected("'.' (a numeric OID has at least two parts)"));
                }
                while self.peek() == Some(b'.') {
                    self.pos += 1;
                    self.number()?;
                }
            }
            _ => return Err(self.expected("an attribute type")),
        }
        Ok(self
            .input
            .get(start..self.pos)
            .unwrap_or_default()
            .to_owned())
    }

    /// `number = DIGIT / ( LDIGIT 1*DIGIT )`
    fn number(&mut self) -> Result<(), DnError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        match self.pos - start {
            0 => Err(self.expected("a digit")),
            1 => Ok(()),
            _ if self.input.as_bytes().get(start) == Some(&b'0') => Err(DnError::Expected {
                expected: "a number without leading zeros",
                position: start,
            }),
            _ => Ok(()),
        }
    }

    /// `hexstring = SHARP 1*hexpair`, then optional spaces.
    fn hex_string(&mut self) -> Result<DnValue, DnError> {
        let start = self.pos;
        self.pos += 1;
        let mut bytes = Vec::new();
        while let (Some(hi), Some(lo)) = (hex(self.peek()), hex(self.peek_at(1))) {
            bytes.push((hi << 4) | lo);
            self.pos += 2;
        }
        if bytes.is_empty() || hex(self.peek()).is_some() {
            return Err(DnError::InvalidHexString { position: start });
        }
        self.skip_spaces();
        Ok(DnValue::Ber(bytes))
    }

    /// `string = [ ( leadchar / pair ) [ *( stringchar / pair )
    /// ( trailchar / pair ) ] ]`, ending before `,`, `+` or the end; leading
    /// spaces were skipped, unescaped trailing ones are dropped.
    fn string(&mut self) -> Result<DnValue, DnError> {
        let start = self.pos;
        let mut bytes = Vec::new();
        // The length of `bytes` without its unescaped trailing spaces.
        let mut keep = 0;
        while let Some(b) = self.peek() {
            match b {
                b',' | b'+' => break,
                b'\\' => {
                    match (self.peek_at(1), hex(self.peek_at(1)), hex(self.peek_at(2))) {
                        (_, Some(hi), Some(lo)) => {
                            bytes.push((hi << 4) | lo);
                            self.pos += 3;
                        }
                        (
                            Some(
                                c @ (b' ' | b'"' | b'#' | b'+' | b',' | b';' | b'<' | b'=' | b'>'
                                | b'\\'),
                            ),
                            ..,
                        ) => {
                            bytes.push(c);
                            self.pos += 2;
                        }
                        _ => return Err(DnError::InvalidEscape { position: self.pos }),
                    }
                    keep = bytes.len();
                }
                b'"' | b';' | b'<' | b'>' | b'\0' => {
                    return Err(DnError::UnescapedChar {
                        ch: char::from(b),
                        position: self.pos,
                    });
                }
                b' ' => {
                    bytes.push(b);
                    self.pos += 1;
                }
                // Bytes of a multi-byte UTF-8 character are copied one by
                // one; none of them is ASCII.
                b => {
                    bytes.push(b);
                    self.pos += 1;
                    keep = bytes.len();
                }
            }
        }
        bytes.truncate(keep);
        String::from_utf8(bytes)
            .map(DnValue::String)
            .map_err(|_| DnError::InvalidUtf8 { position: start })
    }
}

fn hex(b: Option<u8>) -> Option<u8> {
    // A hex digit is at most 15.
    b.and_then(|b| char::from(b).to_digit(16)).map(|d| d as u8)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
