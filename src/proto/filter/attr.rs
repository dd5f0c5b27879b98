//! The names a filter holds: attribute descriptions and matching rules,
//! checked against RFC 4512 §2.5 when they are made.
//!
//! RFC 4515 §3 has no escape for the attribute description or the matching
//! rule of a filter's string form: they are written as they are. A name
//! such as `a=1)(b` would print as a different filter, so these types
//! refuse it when the name is made, whether by the string parser, by the
//! BER decoder or in code, and a [`Filter`](super::Filter) can only hold
//! names that print as themselves.

use std::fmt;
use std::str::FromStr;

use bytestring::ByteString;

/// An attribute description (RFC 4512 §2.5): an attribute type and its
/// options, such as `cn`, `userCertificate;binary`, `cn;lang-de;x-foo` or
/// `2.5.4.3`.
///
/// ```text
/// attributedescription = attributetype options
/// attributetype        = oid                 ; descr / numericoid
/// descr                = ALPHA *( ALPHA / DIGIT / "-" )
/// numericoid           = number 1*( "." number )   ; no leading zeros
/// options              = *( ";" 1*( ALPHA / DIGIT / "-" ) )
/// ```
///
/// The name keeps the case it was written in (attribute types and options
/// are case-insensitive on the server).
///
/// ```
/// use tokio_ldap::proto::filter::AttributeDescription;
///
/// let attr: AttributeDescription = "cn;lang-de".parse()?;
/// assert_eq!(attr.as_str(), "cn;lang-de");
/// assert_eq!(attr.attribute_type(), "cn");
///
/// let err = AttributeDescription::new("a=1)(b").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid attribute description \"a=1)(b\": unexpected '=' at position 1 \
///      (RFC 4512: letters, digits and '-' after a leading letter, or a numeric OID, then ;options)"
/// );
/// # Ok::<(), tokio_ldap::proto::filter::NameError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeDescription(ByteString);

/// The name of a matching rule (`MatchingRuleId` of RFC 4511 §4.5.1.7):
/// a descriptor such as `caseExactMatch` or a numeric OID such as
/// `2.5.13.5`, as in the filter `(cn:caseExactMatch:=Fred)`.
///
/// ```
/// use tokio_ldap::proto::filter::MatchingRuleId;
///
/// assert_eq!(MatchingRuleId::new("2.5.13.5")?.as_str(), "2.5.13.5");
/// assert!(MatchingRuleId::new("cn;x").is_err());
/// # Ok::<(), tokio_ldap::proto::filter::NameError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchingRuleId(ByteString);

/// Why a name is not an attribute description or a matching rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {name:?}: {reason} at position {position} ({GRAMMAR})")]
#[non_exhaustive]
pub struct NameError {
    /// `"attribute description"` or `"matching rule"`.
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// Byte offset in the name of the first character that does not fit.
    pub position: usize,
    /// What is wrong there, e.g. `"unexpected '='"`.
    pub reason: String,
}

const GRAMMAR: &str =
    "RFC 4512: letters, digits and '-' after a leading letter, or a numeric OID, then ;options";

impl AttributeDescription {
    /// `objectClass`, as in `(objectClass=*)`, the filter that matches
    /// every entry.
    pub const OBJECT_CLASS: Self = Self(ByteString::from_static("objectClass"));

    /// Checks `name` against the grammar of RFC 4512 §2.5.
    pub fn new(name: impl AsRef<str>) -> Result<Self, NameError> {
        let name = name.as_ref();
        check(name, true, "attribute description")?;
        Ok(Self(ByteString::from(name)))
    }

    /// A name the filter parser has already matched against the grammar.
    pub(crate) fn checked(name: ByteString) -> Self {
        Self(name)
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The attribute type: the name without its options (`cn` for
    /// `cn;lang-de`).
    pub fn attribute_type(&self) -> &str {
        self.0.split(';').next().unwrap_or_default()
    }

    /// The options, in the order written (`["lang-de"]` for `cn;lang-de`).
    pub fn options(&self) -> impl Iterator<Item = &str> {
        self.0.split(';').skip(1)
    }
}

impl MatchingRuleId {
    /// Checks `name` against `oid = descr / numericoid` (RFC 4512 §1.4).
    pub fn new(name: impl AsRef<str>) -> Result<Self, NameError> {
        let name = name.as_ref();
        check(name, false, "matching rule")?;
        Ok(Self(ByteString::from(name)))
    }

    /// A name the filter parser has already matched against the grammar.
    pub(crate) fn checked(name: ByteString) -> Self {
        Self(name)
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! name_impls {
    ($ty:ident) => {
        impl FromStr for $ty {
            type Err = NameError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = NameError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = NameError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl std::ops::Deref for $ty {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                *self.0 == *other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                *self.0 == **other
            }
        }

        /// The name as written.
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_impls!(AttributeDescription);
name_impls!(MatchingRuleId);

/// Checks `oid [options]`; on failure, the offset and what is wrong there.
pub(crate) fn check_name(name: &str, options: bool) -> Result<(), (usize, String)> {
    let bytes = name.as_bytes();
    let Some(end) = oid_end(name)? else {
        return Err((
            0,
            format!("{} (expected a letter or a digit)", unexpected(name, 0)),
        ));
    };
    let mut pos = end;
    while let Some(&b) = bytes.get(pos) {
        if b != b';' || !options {
            return Err((pos, unexpected(name, pos)));
        }
        pos += 1;
        let start = pos;
        while bytes.get(pos).copied().is_some_and(is_keychar) {
            pos += 1;
        }
        if pos == start {
            return Err((pos, "expected an option after ';'".to_owned()));
        }
    }
    Ok(())
}

fn check(name: &str, options: bool, what: &'static str) -> Result<(), NameError> {
    check_name(name, options).map_err(|(position, reason)| NameError {
        what,
        name: name.to_owned(),
        position,
        reason,
    })
}

/// The end of the `descr` or `numericoid` at the start of `name`, `None`
/// when neither starts there.
fn oid_end(name: &str) -> Result<Option<usize>, (usize, String)> {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() => {
            let mut pos = 0;
            while bytes.get(pos).copied().is_some_and(is_keychar) {
                pos += 1;
            }
            Ok(Some(pos))
        }
        Some(b) if b.is_ascii_digit() => {
            let mut pos = 0;
            let mut parts = 0;
            loop {
                let num = pos;
                while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                    pos += 1;
                }
                if pos == num {
                    return Err((pos, format!("{} (expected a digit)", unexpected(name, pos))));
                }
                if pos - num > 1 && bytes.get(num) == Some(&b'0') {
                    return Err((num, "a number with a leading zero".to_owned()));
                }
                parts += 1;
                if bytes.get(pos) != Some(&b'.') {
                    break;
                }
                pos += 1;
            }
            if parts < 2 {
                return Err((pos, "a numeric OID needs at least two parts".to_owned()));
            }
            Ok(Some(pos))
        }
        _ => Ok(None),
    }
}

fn unexpected(name: &str, pos: usize) -> String {
    match name.get(pos..).and_then(|t| t.chars().next()) {
        Some(c) => format!("unexpected {c:?}"),
        None => "unexpected end".to_owned(),
    }
}

/// `keychar = ALPHA / DIGIT / HYPHEN`
pub(crate) fn is_keychar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}
