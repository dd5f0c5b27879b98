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
/// what most directory attributes (`caseIgnoreMatch`) do.
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

    /// Compares like `==`, and also ignores the case of string values
    /// (Unicode lower-casing), the way `caseIgnoreMatch` attributes such as
    /// `cn`, `o` and `dc` compare. `#hex` values still compare exactly.
    ///
    /// ```
    /// use tokio_ldap::proto::dn::Dn;
    ///
    /// let a: Dn = "CN=Jane,DC=Example,DC=COM".parse()?;
    /// let b: Dn = "cn=jane,dc=example,dc=com".parse()?;
    /// assert_ne!(a, b);
    /// assert!(a.eq_ignore_case(&b));
    /// # Ok::<(), tokio_ldap::proto::dn::DnError>(())
    /// ```
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        self.rdns.len() == other.rdns.len()
            && self
                .rdns
                .iter()
                .zip(&other.rdns)
                .all(|(a, b)| a.eq_ignore_case(b))
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
    /// Like `==`, but also ignoring the case of string values; see
    /// [`Dn::eq_ignore_case`].
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        let key = |ava: &AttributeTypeAndValue| {
            let value = match &ava.value {
                DnValue::String(s) => DnValue::String(s.to_lowercase()),
                v => v.clone(),
            };
            (type_key(&ava.attr_type).into_owned(), value)
        };
        let mut a: Vec<_> = self.avas.iter().map(key).collect();
        let mut b: Vec<_> = other.avas.iter().map(key).collect();
        a.sort();
        b.sort();
        a == b
    }

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
/// at the start and a space at the end. NUL and the other ASCII control
/// characters become `\xx` hex pairs (RFC 4514 only requires it of NUL;
/// the others are escaped so that a name from a certificate cannot inject
/// line breaks into a log). Everything else, including non-ASCII, is kept.
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
            c if c.is_ascii_control() => write!(out, "\\{:02X}", c as u32)?,
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
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use proptest::prelude::*;

    use super::*;

    fn p(s: &str) -> Dn {
        Dn::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> DnError {
        Dn::parse(s).expect_err(s)
    }

    fn s(v: &str) -> DnValue {
        DnValue::String(v.into())
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hash_of(dn: &Dn) -> u64 {
        let mut h = DefaultHasher::new();
        dn.hash(&mut h);
        h.finish()
    }

    #[test]
    fn parse_basic() {
        assert_eq!(p(""), Dn::root());
        assert!(p("").is_root());
        assert!(p("   ").is_root());
        let dn = p("CN=Steve Kille,O=Isode Limited,C=GB");
        assert_eq!(dn.rdns.len(), 3);
        assert_eq!(dn.rdns[0].avas[0].attr_type, "CN");
        assert_eq!(dn.rdns[0].avas[0].value, s("Steve Kille"));
        assert_eq!(dn.rdns[2].avas[0].value, s("GB"));
        let dn = p("OU=Sales+CN=J.  Smith,DC=example,DC=net");
        assert_eq!(dn.rdns[0].avas.len(), 2);
        assert_eq!(dn.rdns[0].avas[1].value, s("J.  Smith"));
        let dn = p("2.5.4.3=x,cn=");
        assert_eq!(dn.rdns[0].avas[0].attr_type, "2.5.4.3");
        assert_eq!(dn.rdns[1].avas[0].value, s(""));
        assert_eq!(p("cn=a=b").rdns[0].avas[0].value, s("a=b"));
        assert_eq!(p("cn=a#b").rdns[0].avas[0].value, s("a#b"));
    }

    #[test]
    fn parse_escapes() {
        let v = |dn: &str| p(dn).rdns[0].avas[0].value.clone();
        assert_eq!(
            v(r#"CN=James \"Jim\" Smith\, III"#),
            s("James \"Jim\" Smith, III")
        );
        assert_eq!(v(r"CN=Before\0dAfter"), s("Before\rAfter"));
        assert_eq!(v(r"CN=Lu\C4\8Di\C4\87"), s("Lučić"));
        assert_eq!(v(r"cn=\+\;\<\>\=\\\#"), s("+;<>=\\#"));
        assert_eq!(v(r"cn=\#lead"), s("#lead"));
        assert_eq!(v(r"cn=\ lead and trail\ "), s(" lead and trail "));
        assert_eq!(v(r"cn=\20x\20"), s(" x "));
        assert_eq!(v(r"cn=\00"), s("\0"));
        assert_eq!(v("cn=Zoë 日本"), s("Zoë 日本"));
        assert_eq!(
            v("1.3.6.1.4.1.1466.0=#04024869"),
            DnValue::Ber(vec![4, 2, 0x48, 0x69])
        );
        assert_eq!(v("cn=#04024869 ,o=x"), DnValue::Ber(vec![4, 2, 0x48, 0x69]));
    }

    #[test]
    fn parse_lenient_spaces() {
        assert_eq!(p("cn = a , dc=b + uid= c ").to_string(), "cn=a,dc=b+uid=c");
        assert_eq!(p("  cn=a,  dc=b").to_string(), "cn=a,dc=b");
        // An escaped space survives, and so does the space before it.
        assert_eq!(p(r"cn=a \ ,dc=b").rdns[0].avas[0].value, s("a  "));
    }

    #[test]
    fn display_escapes() {
        for (value, text) in [
            ("Smith, John", r"Smith\, John"),
            ("a+b\"c\\d<e>f;g", r#"a\+b\"c\\d\<e\>f\;g"#),
            ("#x#", r"\#x#"),
            (" x ", r"\ x\ "),
            (" ", r"\ "),
            ("a=b", "a=b"),
            ("nul\0 and\nnewline\x7f", r"nul\00 and\0Anewline\7F"),
            ("Zoë 日本", "Zoë 日本"),
            ("", ""),
        ] {
            assert_eq!(escape_dn_value(value), text, "{value:?}");
            let dn = Dn {
                rdns: vec![Rdn {
                    avas: vec![AttributeTypeAndValue::new("cn", value)],
                }],
            };
            assert_eq!(dn.to_string(), format!("cn={text}"));
            assert_eq!(p(&dn.to_string()).rdns[0].avas[0].value, s(value));
        }
        let dn = Dn {
            rdns: vec![Rdn {
                avas: vec![AttributeTypeAndValue {
                    attr_type: "1.2.3".into(),
                    value: DnValue::Ber(vec![0x04, 0x02, 0xab, 0xcd]),
                }],
            }],
        };
        assert_eq!(dn.to_string(), "1.2.3=#0402ABCD");
    }

    #[test]
    fn equality() {
        assert_eq!(p("CN=x,DC=com"), p("cn=x,dc=com"));
        assert_eq!(p("CN=x"), p("2.5.4.3=x"));
        assert_eq!(p("commonName=x"), p("cn=x"));
        assert_eq!(p("UID=a+CN=b"), p("cn=b+uid=a"));
        assert_eq!(
            hash_of(&p("UID=a+CN=b,DC=x")),
            hash_of(&p("cn=b+uid=a,dc=x"))
        );
        assert_eq!(hash_of(&p("CN=x")), hash_of(&p("2.5.4.3=x")));
        assert_ne!(p("cn=x"), p("cn=X"));
        assert_ne!(p("cn=x,dc=a"), p("dc=a,cn=x"));
        assert_ne!(p("cn=a+cn=a"), p("cn=a"));
        assert_ne!(p("cn=a"), p("cn=#0c0161"));
        assert!(p("CN=Jane,DC=Example").eq_ignore_case(&p("cn=jane,dc=EXAMPLE")));
        assert!(p("CN=Zoë").eq_ignore_case(&p("cn=ZOË")));
        assert!(!p("cn=a").eq_ignore_case(&p("cn=b")));
        assert!(!p("cn=a").eq_ignore_case(&p("cn=a,dc=b")));
        assert_eq!(p("CN=x").cmp(&p("cn=x")), Ordering::Equal);
        assert_ne!(p("cn=x").cmp(&p("cn=y")), Ordering::Equal);
    }

    #[test]
    fn navigation() {
        let dn = p("cn=a+uid=b,ou=People,dc=example,dc=com");
        assert_eq!(dn.rdn().unwrap().to_string(), "cn=a+uid=b");
        let parent = dn.parent().unwrap();
        assert_eq!(parent.to_string(), "ou=People,dc=example,dc=com");
        assert!(dn.is_descendant_of(&parent));
        // Values compare exactly.
        assert!(!dn.is_descendant_of(&p("dc=Example,dc=com")));
        assert!(dn.is_descendant_of(&p("DC=example,DC=com")));
        assert!(dn.is_descendant_of(&Dn::root()));
        assert!(!dn.is_descendant_of(&dn));
        assert!(!parent.is_descendant_of(&dn));
        assert!(!dn.is_descendant_of(&p("dc=example,dc=org")));
        assert_eq!(p("dc=com").parent(), Some(Dn::root()));
        assert_eq!(Dn::root().parent(), None);
        assert_eq!(Dn::root().rdn(), None);
        assert!(!Dn::root().is_descendant_of(&Dn::root()));
    }

    #[test]
    fn error_expected() {
        let e = err("cn=a,,dc=b");
        assert_eq!(
            e,
            DnError::Expected {
                expected: "an attribute type",
                position: 5
            }
        );
        assert_eq!(e.to_string(), "expected an attribute type at position 5");
        assert_eq!(e.position(), Some(5));
        assert_eq!(err("cn=a,").position(), Some(5));
        assert_eq!(err("=a").position(), Some(0));
        assert_eq!(err("cn").to_string(), "expected '=' at position 2");
        assert_eq!(err("c_n=a").to_string(), "expected '=' at position 1");
        assert_eq!(err("cn=a+").position(), Some(5));
        assert_eq!(
            err("1=a").to_string(),
            "expected '.' (a numeric OID has at least two parts) at position 1"
        );
        assert_eq!(err("1.=a").to_string(), "expected a digit at position 2");
        assert_eq!(
            err("1.01=a").to_string(),
            "expected a number without leading zeros at position 2"
        );
        assert_eq!(
            err("cn=#0402 x").to_string(),
            "expected ',', '+' or the end of the DN at position 9"
        );
        assert_eq!(err("cn=#0402#").position(), Some(8));
    }

    #[test]
    fn error_invalid_escape() {
        for (dn, pos) in [
            (r"cn=\", 3),
            (r"cn=a\x", 4),
            (r"cn=\4", 3),
            (r"cn=\4g", 3),
            (r"cn=\*", 3),
        ] {
            let e = err(dn);
            assert_eq!(e, DnError::InvalidEscape { position: pos }, "{dn}");
            assert_eq!(
                e.to_string(),
                format!("invalid escape at position {pos}: '\\' must be followed by two hex digits or one of: space \" # + , ; < = > \\")
            );
        }
    }

    #[test]
    fn error_unescaped_char() {
        for (dn, ch, pos) in [
            ("cn=a\"b", '"', 4),
            ("cn=a;dc=b", ';', 4),
            ("cn=<", '<', 3),
            ("cn=a>", '>', 4),
            ("cn=\0", '\0', 3),
        ] {
            assert_eq!(
                err(dn),
                DnError::UnescapedChar { ch, position: pos },
                "{dn}"
            );
        }
        assert_eq!(
            err("cn=a;b").to_string(),
            "unescaped ';' at position 4: escape it with '\\' or as a \\xx hex pair"
        );
    }

    #[test]
    fn error_invalid_utf8() {
        let e = err(r"cn=x,o=a\ff");
        assert_eq!(e, DnError::InvalidUtf8 { position: 7 });
        assert_eq!(
            e.to_string(),
            "the value at position 7 is not valid UTF-8 once its \\xx escapes are decoded"
        );
        assert_eq!(err(r"cn=\C4").position(), Some(3));
    }

    #[test]
    fn error_invalid_hex_string() {
        for (dn, pos) in [
            ("cn=#", 3),
            ("cn=#0", 3),
            ("cn=#041", 3),
            ("cn=a,o=#,dc=b", 7),
            ("cn=#zz", 3),
        ] {
            assert_eq!(err(dn), DnError::InvalidHexString { position: pos }, "{dn}");
        }
        assert_eq!(
            err("cn=#0").to_string(),
            "invalid #hex value at position 3: expected an even number of hex digits, at least two"
        );
    }

    // Subject names of certificates made with `openssl req -x509 -subj ...`,
    // and what `openssl x509 -noout -subject -nameopt RFC2253,-esc_msb`
    // printed for them.
    const OPENSSL_CA: &str = "305931133011060a0992268993f22c6401191603636f6d31173015060a0992268993f22c64011916076578616d706c6531153013060355040a0c0c4578616d706c6520546573743112301006035504030c09546573742043412d41";
    const OPENSSL_UTF8: &str = "303e310b300906035504061302444531193017060355040a0c104dc3bc6c6c657220262053c3b6686e653114301206035504030c0b5a6fc3ab20e697a5e69cac";
    const OPENSSL_SPECIAL: &str = "305f312a3028060355040a0c21436f6d6d612c20506c75732b2051756f746522204c743c2047743e2053656d693b310e300c060355040b0c0523686173683121301f06035504030c18206c65616420616e6420747261696c202f736c6173683d20";
    const OPENSSL_MULTI: &str = "303d3110300e060355040a0c074578616d706c653129301106035504030c0a4a6f686e20536d6974683014060a0992268993f22c6401010c066a736d697468";
    // serialNumber patched from PrintableString "AB" to BIT STRING 00 42.
    const OPENSSL_OTHER: &str = "3075310b30090603550405030200423114301206092a864886f70d01090116056140622e633110300e06035504090c074d61696e205374310d300b06035504070c04546f776e310e300c06035504080c055374617465310b3009060355040c0c02447231123010060a0992268993f22c6401010c027531";

    fn der(hex_str: &str) -> String {
        Dn::from_der_name(&hex(hex_str)).unwrap().to_string()
    }

    #[test]
    fn from_der_matches_openssl() {
        assert_eq!(
            der(OPENSSL_CA),
            "CN=Test CA-A,O=Example Test,DC=example,DC=com"
        );
        assert_eq!(der(OPENSSL_UTF8), "CN=Zoë 日本,O=Müller & Söhne,C=DE");
        assert_eq!(
            der(OPENSSL_SPECIAL),
            r#"CN=\ lead and trail /slash=\ ,OU=\#hash,O=Comma\, Plus\+ Quote\" Lt\< Gt\> Semi\;"#
        );
        // OpenSSL prints the values of a multi-valued RDN in reverse
        // (UID=jsmith+CN=John Smith); the DER SET order is kept here.
        assert_eq!(der(OPENSSL_MULTI), "CN=John Smith+UID=jsmith,O=Example");
        // OpenSSL: UID=u1,title=Dr,ST=State,L=Town,street=Main St,
        // emailAddress=a@b.c,serialNumber=#03020042
        assert_eq!(
            der(OPENSSL_OTHER),
            "UID=u1,2.5.4.12=#0C024472,ST=State,L=Town,STREET=Main St,1.2.840.113549.1.9.1=#16056140622E63,2.5.4.5=#03020042"
        );
    }

    #[test]
    fn from_der_round_trips_through_the_string_form() {
        for h in [
            OPENSSL_CA,
            OPENSSL_UTF8,
            OPENSSL_SPECIAL,
            OPENSSL_MULTI,
            OPENSSL_OTHER,
        ] {
            let dn = Dn::from_der_name(&hex(h)).unwrap();
            assert_eq!(p(&dn.to_string()), dn);
        }
        let dn = Dn::from_der_name(&hex(OPENSSL_OTHER)).unwrap();
        assert_eq!(
            dn.rdns[6].avas[0].value,
            DnValue::Ber(vec![0x03, 0x02, 0x00, 0x42])
        );
        assert_eq!(dn.rdns[1].avas[0].attr_type, "2.5.4.12");
    }

    fn rcgen_subject(dn: rcgen::DistinguishedName) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).unwrap();
        parsed.subject().as_raw().to_vec()
    }

    #[test]
    fn from_der_rcgen_string_types() {
        use rcgen::{BmpString, DnType, DnValue as V, Ia5String, PrintableString, UniversalString};
        let mut name = rcgen::DistinguishedName::new();
        name.push(
            DnType::CountryName,
            V::PrintableString(PrintableString::try_from("US").unwrap()),
        );
        name.push(
            DnType::OrganizationName,
            V::BmpString(BmpString::try_from("Zoë Corp").unwrap()),
        );
        name.push(
            DnType::OrganizationalUnitName,
            V::UniversalString(UniversalString::try_from("日本, <unit>").unwrap()),
        );
        name.push(
            DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            V::Ia5String(Ia5String::try_from("ca@example.com").unwrap()),
        );
        name.push(DnType::CommonName, "#1 \"CA\" + more ");
        let der = rcgen_subject(name);
        let dn = Dn::from_der_name(&der).unwrap();
        assert_eq!(
            dn.to_string(),
            r#"CN=\#1 \"CA\" \+ more\ ,1.2.840.113549.1.9.1=#160E6361406578616D706C652E636F6D,OU=日本\, \<unit\>,O=Zoë Corp,C=US"#
        );
    }

    #[test]
    fn from_der_hand_made() {
        let name = |h: &str| {
            Dn::from_der_name(&hex(&h.replace(' ', "")))
                .unwrap()
                .to_string()
        };
        // C=US, then the multi-valued RDN { CN=a, 2.5.4.4 (sn) = INTEGER 5 }.
        assert_eq!(
            name("3023 310b 3009 0603550406 13025553 3114 3008 0603550403 0c0161 3008 0603550404 020105"),
            "CN=a+2.5.4.4=#020105,C=US"
        );
        // TeletexString (Latin-1) "Müller", a UTF8String that is not UTF-8,
        // a context-tagged constructed value.
        assert_eq!(
            name("302e 310f 300d 0603550403 14064dfc6c6c6572 310b 3009 060355040a 0c02c328 310e 300c 060355040b a0050c03616263"),
            "OU=#A0050C03616263,O=#0C02C328,CN=Müller"
        );
        // BMPString with a lone surrogate, UniversalString with a bad length
        // and with a code point beyond Unicode.
        assert_eq!(
            name("303a310d300b06035504031e04d8000041310f300d06035504031c060000004100003118300906035504031c020041300b06035504031c0400110000"),
            "CN=#1C020041+CN=#1C0400110000,CN=#1C06000000410000,CN=#1E04D8000041"
        );
        // NumericString, VisibleString, and Latin-1 in a PrintableString.
        assert_eq!(
            name("3029 310b 3009 0603550405 1202 3132 310b 3009 0603550403 1a02 2023 310d 300b 0603550407 1304 4dfc6c6c"),
            r"L=Müll,CN=\ #,2.5.4.5=#12023132"
        );
        // The empty Name is the root DN.
        assert_eq!(Dn::from_der_name(&[0x30, 0x00]).unwrap(), Dn::root());
        // Without the outer SEQUENCE (webpki trust anchor subjects).
        let ca = hex(OPENSSL_CA);
        let inner = Dn::from_der_name(&ca[2..]).unwrap();
        assert_eq!(inner, Dn::from_der_name(&ca).unwrap());
        assert!(Dn::from_der_name(&ca[2..ca.len() - 1]).is_err());
    }

    #[test]
    fn from_der_errors() {
        let bad = |der: &[u8], reason: &str| {
            let e = Dn::from_der_name(der).unwrap_err();
            assert!(matches!(e, DnError::InvalidDer { .. }), "{e:?}");
            assert!(
                e.to_string().starts_with("not a DER-encoded X.501 Name: "),
                "{e}"
            );
            assert!(e.to_string().contains(reason), "{e}");
            assert_eq!(e.position(), None);
        };
        let ca = hex(OPENSSL_CA);
        bad(&[], "");
        bad(&ca[..ca.len() - 1], "");
        bad(&[0x31, 0x00], "");
        let mut trailing = ca;
        trailing.push(0);
        bad(&trailing, "1 bytes after the end of the Name");
        // A SET that is not an RDN after a good one: x509-parser would stop
        // there and drop it.
        let der = hex(
            "3011310f300d06035504030c06616263646566", /* CN=abcdef */
        );
        assert!(Dn::from_der_name(&der).is_ok());
        let der = hex("3015310f300d06035504030c066162636465663102 0500"
            .replace(' ', "")
            .as_str());
        bad(&der, "malformed element inside the Name");
        // Non-minimal length.
        let der = hex("30811131 0f300d06035504030c06616263646566"
            .replace(' ', "")
            .as_str());
        bad(&der, "");
    }

    #[test]
    fn oid_strings() {
        assert_eq!(
            oid_to_string(&[0x55, 0x04, 0x03]).as_deref(),
            Some("2.5.4.3")
        );
        assert_eq!(
            oid_to_string(&hex("2a864886f70d010901")).as_deref(),
            Some("1.2.840.113549.1.9.1")
        );
        assert_eq!(
            oid_to_string(&hex("0992268993f22c640119")).as_deref(),
            Some("0.9.2342.19200300.100.1.25")
        );
        assert_eq!(
            oid_to_string(&[0x88, 0x37, 0x03]).as_deref(),
            Some("2.999.3")
        );
        assert_eq!(oid_to_string(&[]), None);
        assert_eq!(oid_to_string(&[0x55, 0x84]), None);
        assert_eq!(oid_to_string(&[0x55, 0x80, 0x01]), None);
        assert_eq!(oid_to_string(&[0xff; 30]), None);
    }

    fn attr_type() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z][a-zA-Z0-9-]{0,8}",
            "(0|[1-9][0-9]{0,4})(\\.(0|[1-9][0-9]{0,4})){1,5}",
        ]
    }

    fn value() -> impl Strategy<Value = DnValue> {
        prop_oneof![
            3 => "\\PC{0,8}".prop_map(DnValue::String),
            3 => "[ #,+\"\\\\<>;=a\\x00\\n]{0,6}".prop_map(DnValue::String),
            1 => proptest::collection::vec(any::<u8>(), 1..8).prop_map(DnValue::Ber),
        ]
    }

    fn dn() -> impl Strategy<Value = Dn> {
        let ava = (attr_type(), value())
            .prop_map(|(attr_type, value)| AttributeTypeAndValue { attr_type, value });
        let rdn = proptest::collection::vec(ava, 1..4).prop_map(|avas| Rdn { avas });
        proptest::collection::vec(rdn, 0..5).prop_map(|rdns| Dn { rdns })
    }

    /// Exact comparison: same types as written, same order.
    fn same(a: &Dn, b: &Dn) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    proptest! {
        #[test]
        fn round_trip(dn in dn()) {
            let text = dn.to_string();
            let again = Dn::parse(&text);
            prop_assert!(again.as_ref().is_ok_and(|again| same(again, &dn)), "{} -> {:?}", text, again);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
            if let Ok(dn) = Dn::parse(&s) {
                prop_assert_eq!(Dn::parse(&dn.to_string()), Ok(dn));
            }
        }

        #[test]
        fn dn_like_strings_never_panic(s in "[a-c0-2=,+ #\\\\\";<>.]{0,40}") {
            if let Ok(dn) = Dn::parse(&s) {
                prop_assert_eq!(Dn::parse(&dn.to_string()), Ok(dn));
            }
        }

        #[test]
        fn arbitrary_der_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(dn) = Dn::from_der_name(&bytes) {
                prop_assert_eq!(Dn::parse(&dn.to_string()), Ok(dn));
            }
        }

        #[test]
        fn mutated_der_never_panics(i in 0usize..200, b in any::<u8>(), which in 0usize..5) {
            let mut der = hex([OPENSSL_CA, OPENSSL_UTF8, OPENSSL_SPECIAL, OPENSSL_MULTI, OPENSSL_OTHER][which]);
            let i = i % der.len();
            der[i] = b;
            if let Ok(dn) = Dn::from_der_name(&der) {
                prop_assert_eq!(Dn::parse(&dn.to_string()), Ok(dn));
            }
        }

        #[test]
        fn escaped_values_stay_values(v in "\\PC{0,12}") {
            let dn = Dn::parse(&format!("cn={},dc=x", escape_dn_value(&v))).unwrap();
            prop_assert_eq!(dn.rdns.len(), 2);
            prop_assert_eq!(&dn.rdns[0].avas[0].value, &DnValue::String(v));
        }
    }
}
