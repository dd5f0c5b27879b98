//! LDAP URLs (RFC 4516), with the `ldaps://` and `ldapi://` schemes.
//!
//! ```
//! use tokio_ldap::proto::url::{LdapUrl, Scheme};
//! use tokio_ldap::proto::Scope;
//!
//! let url: LdapUrl = "ldap://ldap.example.com/dc=example,dc=com?cn,mail?sub?(uid=j%2A)".parse()?;
//! assert_eq!(url.scheme(), Scheme::Ldap);
//! assert_eq!(url.host(), "ldap.example.com");
//! assert_eq!(url.port_or_default(), 389);
//! assert_eq!(url.dn(), "dc=example,dc=com");
//! assert_eq!(url.attributes(), ["cn", "mail"]);
//! assert_eq!(url.scope(), Some(Scope::Subtree));
//! assert_eq!(url.filter(), Some("(uid=j*)"));
//!
//! let local: LdapUrl = "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi".parse()?;
//! assert_eq!(local.socket_path(), Some("/var/run/slapd/ldapi"));
//! # Ok::<(), tokio_ldap::proto::url::UrlError>(())
//! ```

use core::net::Ipv6Addr;
use std::fmt::{self, Write as _};
use std::str::FromStr;

use crate::proto::op::Scope;

/// The scheme of an LDAP URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `ldap://`: LDAP over TCP, port 389 unless given (StartTLS may follow).
    Ldap,
    /// `ldaps://`: LDAP over TLS from the first byte, port 636 unless given.
    Ldaps,
    /// `ldapi://`: LDAP over a Unix domain socket, whose percent-encoded path
    /// takes the place of the host.
    Ldapi,
}

impl Scheme {
    /// The scheme name, lower case: `"ldap"`, `"ldaps"` or `"ldapi"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ldap => "ldap",
            Self::Ldaps => "ldaps",
            Self::Ldapi => "ldapi",
        }
    }

    /// The TCP port used when the URL names none: 389 for `ldap`, 636 for
    /// `ldaps`, `None` for `ldapi`.
    pub fn default_port(self) -> Option<u16> {
        match self {
            Self::Ldap => Some(389),
            Self::Ldaps => Some(636),
            Self::Ldapi => None,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed LDAP URL:
/// `scheme://[host[:port]][/dn[?attributes[?scope[?filter[?extensions]]]]]`.
///
/// All text parts hold the percent-decoded text. Only [`LdapUrl::parse`]
/// makes one (the parts depend on each other: an `ldapi` URL has a socket
/// path and no host), so the parts are read through accessors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LdapUrl {
    /// `ldap`, `ldaps` or `ldapi` (the scheme is case-insensitive).
    pub(crate) scheme: Scheme,
    /// The host name or IP address (an IPv6 address without its brackets),
    /// empty when the URL gives none (`ldap:///`), which means `localhost`
    /// (see [`LdapUrl::connect_host`]). Always empty for `ldapi`.
    pub(crate) host: String,
    /// The port, if the URL gives one (see [`LdapUrl::port_or_default`]).
    /// Always `None` for `ldapi`.
    pub(crate) port: Option<u16>,
    /// For `ldapi`, the path of the socket (`ldapi://%2Fvar%2Frun%2Fldapi`
    /// gives `/var/run/ldapi`); `None` when the URL gives none
    /// (`ldapi:///`), which means the platform's default socket. Always
    /// `None` for `ldap` and `ldaps`.
    pub(crate) socket_path: Option<String>,
    /// The base DN, possibly empty. Not checked here: see
    /// [`Dn::parse`](super::dn::Dn::parse).
    pub(crate) dn: String,
    /// The attributes to return (empty: all user attributes).
    pub(crate) attributes: Vec<String>,
    /// The scope; `None` when not given (RFC 4516's default is `base`).
    /// `children` and `subordinate` give [`Scope::Subordinate`].
    pub(crate) scope: Option<Scope>,
    /// The filter; `None` when not given (RFC 4516's default is
    /// `(objectClass=*)`). Not checked here: see
    /// [`Filter::parse`](super::filter::Filter::parse).
    pub(crate) filter: Option<String>,
    /// The extensions, such as `!bindname=cn=admin`.
    pub(crate) extensions: Vec<Extension>,
}

/// An extension of an LDAP URL: `[!]name[=value]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Extension {
    /// Marked critical with a leading `!`: a client that does not support
    /// it must not use the URL.
    pub(crate) critical: bool,
    /// The extension type: an OID or a name such as `bindname`.
    pub(crate) name: String,
    /// The value, if any.
    pub(crate) value: Option<String>,
}

impl LdapUrl {
    /// `ldap`, `ldaps` or `ldapi` (the scheme is case-insensitive).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host name or IP address (an IPv6 address without its brackets),
    /// empty when the URL gives none (`ldap:///`), which means `localhost`
    /// (see [`LdapUrl::connect_host`]). Always empty for `ldapi`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if the URL gives one (see [`LdapUrl::port_or_default`]).
    /// Always `None` for `ldapi`.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// For `ldapi`, the path of the socket (`ldapi://%2Fvar%2Frun%2Fldapi`
    /// gives `/var/run/ldapi`); `None` when the URL gives none
    /// (`ldapi:///`), which means the platform's default socket. Always
    /// `None` for `ldap` and `ldaps`.
    pub fn socket_path(&self) -> Option<&str> {
        self.socket_path.as_deref()
    }

    /// The base DN, possibly empty. Not checked here: see
    /// [`Dn::parse`](super::dn::Dn::parse).
    pub fn dn(&self) -> &str {
        &self.dn
    }

    /// The attributes to return (empty: all user attributes).
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// The scope; `None` when not given (RFC 4516's default is `base`).
    /// `children` and `subordinate` give [`Scope::Subordinate`].
    pub fn scope(&self) -> Option<Scope> {
        self.scope
    }

    /// The filter; `None` when not given (RFC 4516's default is
    /// `(objectClass=*)`). Not checked here: see
    /// [`Filter::parse`](super::filter::Filter::parse).
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref()
    }

    /// The extensions, such as `!bindname=cn=admin`.
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }
}

impl Extension {
    /// Marked critical with a leading `!`: a client that does not support
    /// it must not use the URL.
    pub fn critical(&self) -> bool {
        self.critical
    }

    /// The extension type: an OID or a name such as `bindname`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

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
    /// [`LdapUrl::parse_list`] was given no URL.
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
            | Self::Empty { position, .. } => Some(position),
            Self::EmptyList => None,
        }
    }

    fn shifted(self, by: usize) -> Self {
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
            Self::EmptyList => Self::EmptyList,
        }
    }
}

impl LdapUrl {
    /// Parses one LDAP URL (RFC 4516, plus the `ldaps` and `ldapi` schemes).
    ///
    /// The scheme is case-insensitive. An IPv6 host goes in brackets
    /// (`ldap://[::1]:389/`). An empty host (`ldap:///`) means `localhost`
    /// for `ldap` and `ldaps`, and the default socket for `ldapi`. The host,
    /// socket path, DN, attributes, scope, filter and extensions are
    /// percent-decoded (and must be UTF-8 once decoded). Whitespace and
    /// control characters must be percent-encoded.
    ///
    /// ```
    /// use tokio_ldap::proto::url::LdapUrl;
    ///
    /// let url = LdapUrl::parse("LDAPS://[2001:db8::1]:1636/o=Acme%2C%20Inc.??one?(cn=*)?!x-opt=a%2Cb")?;
    /// assert_eq!(url.host(), "2001:db8::1");
    /// assert_eq!(url.port_or_default(), 1636);
    /// assert_eq!(url.dn(), "o=Acme, Inc.");
    /// assert!(url.extensions()[0].critical());
    /// assert_eq!(url.extensions()[0].value(), Some("a,b"));
    /// assert_eq!(url.to_string(), "ldaps://[2001:db8::1]:1636/o=Acme,%20Inc.??one?(cn=*)?!x-opt=a%2Cb");
    ///
    /// let err = LdapUrl::parse("ldap://host:99999").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid port at position 12: expected a number from 0 to 65535");
    /// # Ok::<(), tokio_ldap::proto::url::UrlError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        if let Some((position, ch)) = input
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(UrlError::UnexpectedChar { ch, position });
        }
        let Some(sep) = input.find("://") else {
            return Err(UrlError::Expected {
                expected: "a scheme ('ldap://', 'ldaps://' or 'ldapi://')",
                position: 0,
            });
        };
        let scheme_text = input.get(..sep).unwrap_or_default();
        let scheme = match scheme_text.to_ascii_lowercase().as_str() {
            "ldap" => Scheme::Ldap,
            "ldaps" => Scheme::Ldaps,
            "ldapi" => Scheme::Ldapi,
            _ => {
                return Err(UrlError::UnknownScheme {
                    scheme: scheme_text.to_owned(),
                    position: 0,
                })
            }
        };
        let auth_start = sep + 3;
        let after = input.get(auth_start..).unwrap_or_default();
        let auth_len = after.find(['/', '?']).unwrap_or(after.len());
        let authority = after.get(..auth_len).unwrap_or_default();
        let mut url = Self {
            scheme,
            host: String::new(),
            port: None,
            socket_path: None,
            dn: String::new(),
            attributes: Vec::new(),
            scope: None,
            filter: None,
            extensions: Vec::new(),
        };
        if scheme == Scheme::Ldapi {
            check_chars(authority, auth_start, |c| {
                is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@'
            })?;
            let path = decode(authority, auth_start)?;
            url.socket_path = Some(path).filter(|p| !p.is_empty());
        } else {
            (url.host, url.port) = host_port(authority, auth_start)?;
        }
        let rest_start = auth_start + auth_len;
        let rest = after.get(auth_len..).unwrap_or_default();
        let Some(rest) = rest.strip_prefix('/') else {
            if rest.is_empty() {
                return Ok(url);
            }
            return Err(UrlError::Expected {
                expected: "'/' before '?'",
                position: rest_start,
            });
        };
        let mut at = rest_start + 1;
        for (i, part) in rest.split('?').enumerate() {
            match i {
                0 => url.dn = decode(part, at)?,
                1 => {
                    url.attributes = list(part, at, "attribute")?
                        .into_iter()
                        .map(|(a, _)| a)
                        .collect()
                }
                2 => url.scope = scope(part, at)?,
                3 => url.filter = Some(decode(part, at)?).filter(|f| !f.is_empty()),
                4 => url.extensions = extensions(part, at)?,
                _ => return Err(UrlError::TooManyParts { position: at - 1 }),
            }
            at += part.len() + 1;
        }
        Ok(url)
    }

    /// Parses a list of URLs separated by whitespace, as tried in order for
    /// failover (`"ldap://a.example.com ldap://b.example.com"`). Error
    /// positions are offsets in the whole list. An empty list is
    /// [`UrlError::EmptyList`].
    ///
    /// ```
    /// use tokio_ldap::proto::url::LdapUrl;
    ///
    /// let urls = LdapUrl::parse_list(" ldaps://a.example.com\tldaps://b.example.com:1636 ")?;
    /// assert_eq!(urls.len(), 2);
    /// assert_eq!(urls[1].port(), Some(1636));
    /// assert_eq!(LdapUrl::parse_list("ldap://a http://b").unwrap_err().position(), Some(9));
    /// # Ok::<(), tokio_ldap::proto::url::UrlError>(())
    /// ```
    pub fn parse_list(input: &str) -> Result<Vec<Self>, UrlError> {
        let mut urls = Vec::new();
        let mut start = None;
        for (i, c) in input.char_indices().chain([(input.len(), ' ')]) {
            match (c.is_whitespace(), start) {
                (true, Some(s)) => {
                    let text = input.get(s..i).unwrap_or_default();
                    urls.push(Self::parse(text).map_err(|e| e.shifted(s))?);
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if urls.is_empty() {
            return Err(UrlError::EmptyList);
        }
        Ok(urls)
    }

    /// The port to connect to: the URL's, else 389 for `ldap` and 636 for
    /// `ldaps` (and 389 for `ldapi`, which has no port).
    pub fn port_or_default(&self) -> u16 {
        self.port
            .or_else(|| self.scheme.default_port())
            .unwrap_or(389)
    }

    /// The host to connect to: [`LdapUrl::host`], or `"localhost"` when the
    /// URL gives none. An IPv6 address comes without brackets, ready for
    /// `(host, port)` socket addresses.
    pub fn connect_host(&self) -> &str {
        if self.host.is_empty() {
            "localhost"
        } else {
            &self.host
        }
    }
}

impl FromStr for LdapUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The URL, percent-encoding what needs it. Trailing empty parts are left
/// out (`ldap://host` rather than `ldap://host/???`).
impl fmt::Display for LdapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if self.scheme == Scheme::Ldapi {
            if let Some(path) = &self.socket_path {
                encode(f, path, |c| is_unreserved(c) || is_sub_delim(c))?;
            }
        } else {
            if self.host.contains(':') {
                write!(f, "[{}]", self.host)?;
            } else {
                encode(f, &self.host, |c| is_unreserved(c) || is_sub_delim(c))?;
            }
            if let Some(port) = self.port {
                write!(f, ":{port}")?;
            }
        }
        let parts = [
            !self.dn.is_empty(),
            !self.attributes.is_empty(),
            self.scope.is_some(),
            self.filter.is_some(),
            !self.extensions.is_empty(),
        ];
        let Some(last) = parts.iter().rposition(|&p| p) else {
            return Ok(());
        };
        f.write_char('/')?;
        encode(f, &self.dn, is_part_char)?;
        if last >= 1 {
            f.write_char('?')?;
            for (i, attr) in self.attributes.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                encode(f, attr, is_item_char)?;
            }
        }
        if last >= 2 {
            f.write_char('?')?;
            f.write_str(match self.scope {
                None => "",
                Some(Scope::Base) => "base",
                Some(Scope::OneLevel) => "one",
                Some(Scope::Subtree) => "sub",
                Some(Scope::Subordinate) => "children",
            })?;
        }
        if last >= 3 {
            f.write_char('?')?;
            encode(f, self.filter.as_deref().unwrap_or_default(), is_part_char)?;
        }
        if last >= 4 {
            f.write_char('?')?;
            for (i, ext) in self.extensions.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                if ext.critical {
                    f.write_char('!')?;
                }
                encode(f, &ext.name, |c| is_item_char(c) && c != '=' && c != '!')?;
                if let Some(value) = &ext.value {
                    f.write_char('=')?;
                    encode(f, value, is_item_char)?;
                }
            }
        }
        Ok(())
    }
}

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986).
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// `sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="`.
fn is_sub_delim(c: char) -> bool {
    matches!(
        c,
        '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '='
    )
}

/// What may stay unencoded in the DN and the filter when printing.
fn is_part_char(c: char) -> bool {
    is_unreserved(c) || is_sub_delim(c) || matches!(c, ':' | '@' | '/')
}

/// What may stay unencoded in an attribute or extension when printing.
fn is_item_char(c: char) -> bool {
    is_part_char(c) && c != ','
}

fn encode(f: &mut fmt::Formatter<'_>, text: &str, keep: impl Fn(char) -> bool) -> fmt::Result {
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if keep(c) {
            f.write_char(c)?;
        } else {
            for b in c.encode_utf8(&mut buf).bytes() {
                write!(f, "%{b:02X}")?;
            }
        }
    }
    Ok(())
}

/// Checks that `text` (at offset `at`) only holds characters `ok` accepts,
/// `%` or non-ASCII.
fn check_chars(text: &str, at: usize, ok: impl Fn(char) -> bool) -> Result<(), UrlError> {
    match text
        .char_indices()
        .find(|&(_, c)| !(ok(c) || c == '%' || !c.is_ascii()))
    {
        Some((i, ch)) => Err(UrlError::UnexpectedChar {
            ch,
            position: at + i,
        }),
        None => Ok(()),
    }
}

/// Percent-decodes `text`, found at offset `at` of the input.
fn decode(text: &str, at: usize) -> Result<String, UrlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let hex = |j: usize| bytes.get(j).and_then(|&b| char::from(b).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
            return Err(UrlError::InvalidPercentEncoding { position: at + i });
        };
        // Two hex digits make at most 0xff.
        out.push((hi * 16 + lo) as u8);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| UrlError::InvalidUtf8 { position: at })
}

/// `host [":" port]` of `ldap` and `ldaps` URLs.
fn host_port(authority: &str, at: usize) -> Result<(String, Option<u16>), UrlError> {
    let (host, port_at) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some(end) = bracketed.find(']') else {
            return Err(UrlError::Expected {
                expected: "']'",
                position: at + authority.len(),
            });
        };
        let literal = bracketed.get(..end).unwrap_or_default();
        if literal.parse::<Ipv6Addr>().is_err() {
            return Err(UrlError::InvalidHost {
                reason: "not an IPv6 address between '[' and ']'",
                position: at + 1,
            });
        }
        (literal.to_owned(), end + 2)
    } else {
        let end = authority.find(':').unwrap_or(authority.len());
        let text = authority.get(..end).unwrap_or_default();
        check_chars(text, at, |c| is_unreserved(c) || is_sub_delim(c))?;
        let host = decode(text, at)?;
        if host.contains(':') {
            return Err(UrlError::InvalidHost {
                reason: "a host name cannot contain ':' (IPv6 addresses go in brackets)",
                position: at,
            });
        }
        (host, end)
    };
    let port_text = authority.get(port_at..).unwrap_or_default();
    let Some(port_text) = port_text.strip_prefix(':') else {
        if port_text.is_empty() {
            return Ok((host, None));
        }
        return Err(UrlError::Expected {
            expected: "':' or '/'",
            position: at + port_at,
        });
    };
    if port_text.is_empty() {
        return Ok((host, None));
    }
    let port_at = at + port_at + 1;
    if !port_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort { position: port_at });
    }
    let port = port_text
        .parse()
        .map_err(|_| UrlError::InvalidPort { position: port_at })?;
    Ok((host, Some(port)))
}

/// A comma-separated list of percent-encoded items, each with its offset;
/// the empty string is the empty list.
fn list(text: &str, at: usize, what: &'static str) -> Result<Vec<(String, usize)>, UrlError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut items = Vec::new();
    let mut item_at = at;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(UrlError::Empty {
                what,
                position: item_at,
            });
        }
        items.push((decode(item, item_at)?, item_at));
        item_at += item.len() + 1;
    }
    Ok(items)
}

/// `scope = "base" / "one" / "sub"`, plus `children` (OpenLDAP) and
/// `subordinate`.
fn scope(text: &str, at: usize) -> Result<Option<Scope>, UrlError> {
    let decoded = decode(text, at)?;
    Ok(Some(match decoded.to_ascii_lowercase().as_str() {
        "" => return Ok(None),
        "base" => Scope::Base,
        "one" => Scope::OneLevel,
        "sub" => Scope::Subtree,
        "children" | "subordinate" => Scope::Subordinate,
        _ => {
            return Err(UrlError::InvalidScope {
                scope: decoded,
                position: at,
            })
        }
    }))
}

/// `extensions = extension *(COMMA extension)`,
/// `extension = [EXCLAMATION] extype [EQUALS exvalue]`.
fn extensions(text: &str, at: usize) -> Result<Vec<Extension>, UrlError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut exts = Vec::new();
    let mut item_at = at;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(UrlError::Empty {
                what: "extension",
                position: item_at,
            });
        }
        let (critical, body, body_at) = match item.strip_prefix('!') {
            Some(body) => (true, body, item_at + 1),
            None => (false, item, item_at),
        };
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        if name.is_empty() {
            return Err(UrlError::Empty {
                what: "extension name",
                position: body_at,
            });
        }
        let value_at = body_at + name.len() + 1;
        exts.push(Extension {
            critical,
            name: decode(name, body_at)?,
            value: value.map(|v| decode(v, value_at)).transpose()?,
        });
        item_at += item.len() + 1;
    }
    Ok(exts)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
