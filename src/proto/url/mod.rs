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

use crate::proto::dn::Dn;
use crate::proto::filter::{AttributeDescription, Filter, MatchingRuleId};
use crate::proto::op::Scope;

mod error;
pub use error::UrlError;

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
    /// The base DN, possibly empty; [`Dn::parse`] accepts it.
    pub(crate) dn: String,
    /// The attributes to return (empty: all user attributes).
    pub(crate) attributes: Vec<String>,
    /// The scope; `None` when not given (RFC 4516's default is `base`).
    /// `children`, `subordinate` and `subordinates` give [`Scope::Subordinate`].
    pub(crate) scope: Option<Scope>,
    /// The filter; `None` when not given (RFC 4516's default is
    /// `(objectClass=*)`); [`Filter::parse`] accepts it.
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

    /// The base DN, possibly empty (the parser checked it with
    /// [`Dn::parse`]).
    pub fn dn(&self) -> &str {
        &self.dn
    }

    /// The attributes to return (empty: all user attributes): attribute
    /// descriptions, or `*` (all user attributes), `+` (all operational
    /// ones, RFC 3673), `1.1` (none) or `@objectClass` (RFC 4529).
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// The scope; `None` when not given (RFC 4516's default is `base`).
    /// `children`, `subordinate` and `subordinates` give [`Scope::Subordinate`].
    pub fn scope(&self) -> Option<Scope> {
        self.scope
    }

    /// The filter; `None` when not given (RFC 4516's default is
    /// `(objectClass=*)`). The parser checked it with [`Filter::parse`].
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

impl LdapUrl {
    /// Parses one LDAP URL (RFC 4516, plus the `ldaps` and `ldapi` schemes).
    ///
    /// The scheme is case-insensitive. An IPv6 host goes in brackets
    /// (`ldap://[::1]:389/`). An empty host (`ldap:///`) means `localhost`
    /// for `ldap` and `ldaps`, and the default socket for `ldapi`. The host,
    /// socket path, DN, attributes, scope, filter and extensions are
    /// percent-decoded (and must be UTF-8 once decoded).
    ///
    /// Each part is checked as RFC 4516 §2 defines it: the DN with
    /// [`Dn::parse`], the filter with [`Filter::parse`], the attributes as
    /// attribute descriptions (or `*`, `+`, `1.1`, `@objectClass`), the
    /// extension types as OIDs; a NUL (`%00`) is refused everywhere but in
    /// extension values (§2.1), and a host cannot hold whitespace, control
    /// characters or `/ ? # @ [ ] \ %` even percent-encoded.
    ///
    /// Control characters must be percent-encoded. Spaces must be in the
    /// scheme and host, but are accepted as they are after the host, as
    /// §2.1 says implementations SHOULD (`ldap://h/o=Example
    /// Corp??sub?(cn=foo bar)`); [`LdapUrl::parse_list`], which splits on
    /// whitespace, cannot take such URLs.
    ///
    /// ```
    /// use tokio_ldap::proto::url::LdapUrl;
    ///
    /// let url = LdapUrl::parse("LDAPS://[2001:db8::1]:1636/o=Acme%5C2C%20Inc.??one?(cn=*)?!x-opt=a%2Cb")?;
    /// assert_eq!(url.host(), "2001:db8::1");
    /// assert_eq!(url.port_or_default(), 1636);
    /// assert_eq!(url.dn(), r"o=Acme\2C Inc.");
    /// assert!(url.extensions()[0].critical());
    /// assert_eq!(url.extensions()[0].value(), Some("a,b"));
    /// assert_eq!(url.to_string(), "ldaps://[2001:db8::1]:1636/o=Acme%5C2C%20Inc.??one?(cn=*)?!x-opt=a%2Cb");
    ///
    /// let err = LdapUrl::parse("ldap://host:99999").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid port at position 12: expected a number from 0 to 65535");
    /// # Ok::<(), tokio_ldap::proto::url::UrlError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        if let Some((position, ch)) = input
            .char_indices()
            .find(|&(_, c)| (c.is_whitespace() && c != ' ') || c.is_control())
        {
            return Err(UrlError::UnexpectedChar { ch, position });
        }
        let Some(sep) = input.find("://") else {
            return Err(UrlError::Expected {
                expected: "a scheme ('ldap://', 'ldaps://' or 'ldapi://')",
                position: 0,
            });
        };
        let auth_start = sep + 3;
        let after = input.get(auth_start..).unwrap_or_default();
        let auth_len = after.find(['/', '?']).unwrap_or(after.len());
        let authority = after.get(..auth_len).unwrap_or_default();
        // Spaces are taken as they are only after the host (RFC 4516 §2.1).
        if let Some(position) = input.get(..auth_start + auth_len).and_then(|t| t.find(' ')) {
            return Err(UrlError::UnexpectedChar { ch: ' ', position });
        }
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
            let path = decode_part(authority, auth_start, "socket path", |c| c == '\0')?;
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
                0 => url.dn = dn(part, at)?,
                1 => url.attributes = attributes(part, at)?,
                2 => url.scope = scope(part, at)?,
                3 => url.filter = filter(part, at)?,
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
    decode_at(text, at).map(|(decoded, _)| decoded)
}

/// Percent-decodes `text`, found at offset `at` of the input, giving also
/// the input offset of each decoded byte.
fn decode_at(text: &str, at: usize) -> Result<(String, Vec<usize>), UrlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut positions = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        positions.push(at + i);
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
    let decoded = String::from_utf8(out).map_err(|_| UrlError::InvalidUtf8 { position: at })?;
    Ok((decoded, positions))
}

/// Percent-decodes the `part` `text` (at offset `at`), refusing the
/// characters `forbidden` matches, encoded or not.
fn decode_part(
    text: &str,
    at: usize,
    part: &'static str,
    forbidden: impl Fn(char) -> bool,
) -> Result<String, UrlError> {
    let (decoded, positions) = decode_at(text, at)?;
    if let Some((i, ch)) = decoded.char_indices().find(|&(_, c)| forbidden(c)) {
        return Err(UrlError::ForbiddenChar {
            ch,
            part,
            position: positions.get(i).copied().unwrap_or(at),
        });
    }
    Ok(decoded)
}

/// What a host cannot hold, even percent-encoded.
fn forbidden_in_host(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '/' | '?' | '#' | '@' | '[' | ']' | '\\' | '%')
}

/// `dn = distinguishedName` (RFC 4514).
fn dn(text: &str, at: usize) -> Result<String, UrlError> {
    let dn = decode_part(text, at, "DN", |c| c == '\0')?;
    if let Err(source) = Dn::parse(&dn) {
        return Err(UrlError::InvalidDn {
            dn,
            position: at,
            source,
        });
    }
    Ok(dn)
}

/// `filter = filter` (RFC 4515); empty: none.
fn filter(text: &str, at: usize) -> Result<Option<String>, UrlError> {
    let filter = decode_part(text, at, "filter", |c| c == '\0')?;
    if filter.is_empty() {
        return Ok(None);
    }
    if let Err(source) = Filter::parse(&filter) {
        return Err(UrlError::InvalidFilter {
            filter,
            position: at,
            source,
        });
    }
    Ok(Some(filter))
}

/// `attributes = attrdesc *(COMMA attrdesc)`, each an `attributeSelector`
/// (RFC 4511 §4.5.1.8): an attribute description, `*` or `1.1`, and also
/// `+` (RFC 3673) and `@` and an object class (RFC 4529).
fn attributes(text: &str, at: usize) -> Result<Vec<String>, UrlError> {
    let mut out = Vec::new();
    for (item, item_at) in list(text, at, "attribute")? {
        let name = match item.as_str() {
            "*" | "+" | "1.1" => None,
            _ => Some(item.strip_prefix('@').unwrap_or(&item)),
        };
        if let Some(Err(source)) = name.map(AttributeDescription::new) {
            return Err(UrlError::InvalidAttribute {
                position: item_at,
                source,
            });
        }
        out.push(item);
    }
    Ok(out)
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
        let host = decode_part(text, at, "host", forbidden_in_host)?;
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
        items.push((decode_part(item, item_at, what, |c| c == '\0')?, item_at));
        item_at += item.len() + 1;
    }
    Ok(items)
}

/// `scope = "base" / "one" / "sub"`, plus `children` (OpenLDAP) and
/// `subordinate` or `subordinates` (python-ldap).
fn scope(text: &str, at: usize) -> Result<Option<Scope>, UrlError> {
    let decoded = decode(text, at)?;
    Ok(Some(match decoded.to_ascii_lowercase().as_str() {
        "" => return Ok(None),
        "base" => Scope::Base,
        "one" => Scope::OneLevel,
        "sub" => Scope::Subtree,
        "children" | "subordinate" | "subordinates" => Scope::Subordinate,
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
        let name = decode(name, body_at)?;
        // `extype = oid`: the grammar of a matching rule's name.
        if MatchingRuleId::new(&name).is_err() {
            return Err(UrlError::InvalidExtension {
                name,
                position: body_at,
            });
        }
        exts.push(Extension {
            critical,
            name,
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
