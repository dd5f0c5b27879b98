//! Why an LDAP URL did not parse.

use crate::proto::dn::DnError;
use crate::proto::filter::{FilterParseError, NameError};

/// Why an LDAP URL (or list of URLs) did not parse.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Something else was found where `expected` was required.
    #[error("expected {expected} at position {position}")]
    Expected {
        /// What is allowed at this point.
        expected: &'static str,
        /// Byte offset in the input.
        position: usize,
    },
    /// A scheme other than `ldap`, `ldaps` or `ldapi`.
    #[error("unknown scheme {scheme:?} at position {position}: expected ldap, ldaps or ldapi")]
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
        /// Byte offset of the scheme.
        position: usize,
    },
    /// A character that cannot appear (unencoded) where it was found, such
    /// as whitespace or a `@` in the host.
    #[error("unexpected character {ch:?} at position {position} (percent-encode it)")]
    UnexpectedChar {
        /// The character.
        ch: char,
        /// Byte offset of the character.
        position: usize,
    },
    /// A `%` not followed by two hex digits.
    #[error(
        "invalid percent-encoding at position {position}: '%' must be followed by two hex digits"
    )]
    InvalidPercentEncoding {
        /// Byte offset of the `%`.
        position: usize,
    },
    /// Percent-decoding gave bytes that are not UTF-8.
    #[error("the text at position {position} is not valid UTF-8 once percent-decoded")]
    InvalidUtf8 {
        /// Byte offset of the start of the part.
        position: usize,
    },
    /// The host is not usable.
    #[error("invalid host at position {position}: {reason}")]
    InvalidHost {
        /// What is wrong with it.
        reason: &'static str,
        /// Byte offset of the host.
        position: usize,
    },
    /// The port is not a number from 0 to 65535.
    #[error("invalid port at position {position}: expected a number from 0 to 65535")]
    InvalidPort {
        /// Byte offset of the port.
        position: usize,
    },
    /// The scope is not `base`, `one`, `sub` or `children`.
    #[error("invalid scope {scope:?} at position {position}: expected base, one, sub or children")]
    InvalidScope {
        /// The scope as written (decoded).
        scope: String,
        /// Byte offset of the scope.
        position: usize,
    },
    /// More than five `?`-separated parts after the host.
    #[error(
        "unexpected '?' at position {position}: an LDAP URL has at most dn?attributes?scope?filter?extensions"
    )]
    TooManyParts {
        /// Byte offset of the extra `?`.
        position: usize,
    },
    /// An empty item in the attribute or extension list, or an empty
    /// extension name.
    #[error("empty {what} at position {position}")]
    Empty {
        /// What is empty: `"attribute"`, `"extension"` or `"extension name"`.
        what: &'static str,
        /// Byte offset of the empty item.
        position: usize,
    },
    /// A character that the part it was found in cannot hold even
    /// percent-encoded: NUL anywhere but in an extension (RFC 4516 §2.1),
    /// or, in a host, whitespace, a control character or one of
    /// `/ ? # @ [ ] \ %`.
    #[error("{ch:?} at position {position} is not allowed in the {part}")]
    ForbiddenChar {
        /// The character (decoded).
        ch: char,
        /// `"host"`, `"DN"`, `"attribute list"`, `"filter"`, ...
        part: &'static str,
        /// Byte offset of the character, or of the `%` that encodes it.
        position: usize,
    },
    /// The DN part is not a distinguished name (RFC 4514).
    #[error("invalid DN {dn:?} at position {position}: {source} of the decoded DN")]
    InvalidDn {
        /// The DN, percent-decoded.
        dn: String,
        /// Byte offset of the DN part in the URL.
        position: usize,
        /// Why [`Dn::parse`](crate::proto::dn::Dn::parse) refused it (its position is in `dn`).
        source: DnError,
    },
    /// An item of the attribute list is not an attribute description, `*`,
    /// `+`, `1.1` or `@objectClass`.
    #[error("{source}, in the attribute list at position {position}")]
    InvalidAttribute {
        /// Byte offset of the item in the URL.
        position: usize,
        /// Why [`AttributeDescription::new`](crate::proto::filter::AttributeDescription::new) refused it.
        source: NameError,
    },
    /// The filter part is not a filter (RFC 4515).
    #[error("invalid filter {filter:?} at position {position}: {source} of the decoded filter")]
    InvalidFilter {
        /// The filter, percent-decoded.
        filter: String,
        /// Byte offset of the filter part in the URL.
        position: usize,
        /// Why [`Filter::parse`](crate::proto::filter::Filter::parse) refused it (its position is in `filter`).
        source: FilterParseError,
    },
    /// An extension type that is not an OID (`descr` or `numericoid`, such
    /// as `bindname` or `1.3.6.1.4.1.1466.2.3`).
    #[error(
        "invalid extension type {name:?} at position {position}: expected a name of letters, digits and '-' or a numeric OID"
    )]
    InvalidExtension {
        /// The type, percent-decoded.
        name: String,
        /// Byte offset of the type in the URL.
        position: usize,
    },
    /// [`LdapUrl::parse_list`](super::LdapUrl::parse_list) was given no URL.
    #[error("no LDAP URL given")]
    EmptyList,
}

impl UrlError {
    /// The byte offset in the input where the error was found (`None` for
    /// [`UrlError::EmptyList`]).
    pub fn position(&self) -> Option<usize> {
        match *self {
            Self::Expected { position, .. }
            | Self::UnknownScheme { position, .. }
            | Self::UnexpectedChar { position, .. }
            | Self::InvalidPercentEncoding { position }
            | Self::InvalidUtf8 { position }
            | Self::InvalidHost { position, .. }
            | Self::InvalidPort { position }
            | Self::InvalidScope { position, .. }
            | Self::TooManyParts { position }
            | Self::Empty { position, .. }
            | Self::ForbiddenChar { position, .. }
            | Self::InvalidDn { position, .. }
            | Self::InvalidAttribute { position, .. }
            | Self::InvalidFilter { position, .. }
            | Self::InvalidExtension { position, .. } => Some(position),
            Self::EmptyList => None,
        }
    }

    pub(super) fn shifted(self, by: usize) -> Self {
        match self {
            Self::Expected { expected, position } => Self::Expected {
                expected,
                position: position + by,
            },
            Self::UnknownScheme { scheme, position } => Self::UnknownScheme {
                scheme,
                position: position + by,
            },
            Self::UnexpectedChar { ch, position } => Self::UnexpectedChar {
                ch,
                position: position + by,
            },
            Self::InvalidPercentEncoding { position } => Self::InvalidPercentEncoding {
                position: position + by,
            },
            Self::InvalidUtf8 { position } => Self::InvalidUtf8 {
                position: position + by,
            },
            Self::InvalidHost { reason, position } => Self::InvalidHost {
                reason,
                position: position + by,
            },
            Self::InvalidPort { position } => Self::InvalidPort {
                position: position + by,
            },
            Self::InvalidScope { scope, position } => Self::InvalidScope {
                scope,
                position: position + by,
            },
            Self::TooManyParts { position } => Self::TooManyParts {
                position: position + by,
            },
            Self::Empty { what, position } => Self::Empty {
                what,
                position: position + by,
            },
            Self::ForbiddenChar { ch, part, position } => Self::ForbiddenChar {
                ch,
                part,
                position: position + by,
            },
            Self::InvalidDn {
                dn,
                position,
                source,
            } => Self::InvalidDn {
                dn,
                position: position + by,
                source,
            },
            Self::InvalidAttribute { position, source } => Self::InvalidAttribute {
                position: position + by,
                source,
            },
            Self::InvalidFilter {
                filter,
                position,
                source,
            } => Self::InvalidFilter {
                filter,
                position: position + by,
                source,
            },
            Self::InvalidExtension { name, position } => Self::InvalidExtension {
                name,
                position: position + by,
            },
            Self::EmptyList => Self::EmptyList,
        }
    }
}
