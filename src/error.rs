//! The crate's error type, and [`ErrorText`], the shared and bounded text
//! of the errors that carry what a server sent.

use std::fmt::{self, Write as _};
use std::io;
use std::ops::Deref;
use std::sync::Arc;

use crate::ber::DecodeError;
use crate::proto::authz::AuthzIdError;
use crate::proto::controls::{Control, TypedControl};
use crate::proto::dn::{escape_unsafe, is_unsafe_char};
use crate::proto::{LdapResult, MessageId, ResultCode};

/// Everything that can go wrong, split by cause.
///
/// The message of each variant is written to read well in a log line and to
/// say what to do about it where that can be known.
#[non_exhaustive]
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// A socket operation failed.
    #[error("I/O error: {0}")]
    Io(Arc<io::Error>),
    /// The TLS layer failed (handshake, certificate verification, alert).
    #[non_exhaustive]
    #[error("TLS error: {message}")]
    Tls {
        /// What happened, including what the server asked of the client
        /// certificate when that is relevant.
        message: String,
        /// The rustls error, when rustls reported one.
        #[source]
        source: Option<rustls::Error>,
    },
    /// The server refused the client certificate, or the lack of one, after
    /// asking for it in the TLS handshake. The message says which CAs the
    /// server named and what was sent (subject and issuer, or why nothing
    /// was), whichever way the server refused:
    ///
    /// - OpenLDAP slapd (GnuTLS) sends no alert: it closes the connection,
    ///   during the handshake (TLS 1.2, no certificate under `demand`) or
    ///   right after a handshake that looked successful to the client (TLS
    ///   1.3; an untrusted certificate under any version), so the close
    ///   shows on the first read.
    /// - 389 Directory Server (NSS) sends an alert: `UnknownCA` for a
    ///   certificate it does not trust (under `required` and `allowed`
    ///   alike), and for no certificate under `required` `BadCertificate`
    ///   (TLS 1.2, during the handshake) or `CertificateRequired` (TLS 1.3,
    ///   after it). The alert is named in the message.
    /// - Other certificate alerts (e.g. rustls-based servers' `AccessDenied`,
    ///   `CertificateExpired`) are reported the same way.
    ///
    /// The explanation names the CAs the server trusts (the first
    /// [`ErrorText::MAX_CAS_SHOWN`], then how many more) and what was sent;
    /// it is an [`ErrorText`]: shared by every operation the rejection
    /// fails, and at most [`ErrorText::MAX_LEN`] bytes.
    #[error("{0}")]
    ClientCertRejected(ErrorText),
    /// The application's [`QueryClientCert`](crate::QueryClientCert) panicked.
    #[error("the client certificate callback panicked: {0}")]
    CallbackPanicked(String),
    /// The configured [`ClientCertSource`](crate::tls::ClientCertSource)
    /// failed, panicked or gave no answer within the connect timeout.
    #[error("{0}")]
    ClientCertSource(String),
    /// The configuration cannot be used (unreadable CA file, bad key, ...).
    #[error("configuration error: {0}")]
    Config(String),
    /// The server sent something that violates the protocol.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The server answered the operation with a non-success result.
    #[error("{0}")]
    Ldap(Box<LdapError>),
    /// A connect, an upgrade or an operation did not complete in time;
    /// `phase` says which step stalled.
    #[error("{phase} timed out after {after:?}")]
    Timeout {
        /// The step that did not complete: the TCP connect, the TLS
        /// handshake, the StartTLS request, a bind or another operation.
        phase: Phase,
        /// The time limit that expired.
        after: std::time::Duration,
    },
    /// The server sent a Notice of Disconnection (RFC 4511 §4.4.1).
    #[non_exhaustive]
    #[error("server disconnected: {code}: {message}")]
    Disconnected {
        /// The result code of the notice.
        code: ResultCode,
        /// The server's diagnostic message, as shown: control characters,
        /// line breaks and bidirectional controls escaped, cut after
        /// [`ErrorText::MAX_LEN`] bytes; shared (not copied) by the error of
        /// every operation the notice ended.
        message: ErrorText,
    },
    /// The connection is closed (by unbind, by the peer, or after an error).
    #[error("connection closed: {0}")]
    Closed(String),
    /// An argument was invalid (a filter, DN or URL that does not parse).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Every server of an [`LdapPool`](crate::LdapPool) failed, or is
    /// resting after failing: the list says, server by server, what went
    /// wrong (or for how long it is left alone after its last failure).
    #[error("no server of the pool could be used: {}", ServerFailure::join(.0))]
    AllServersFailed(Vec<ServerFailure>),
    /// No connection of an [`LdapPool`](crate::LdapPool) became free within
    /// its wait timeout
    /// ([`PoolBuilder::wait_timeout`](crate::PoolBuilder::wait_timeout)).
    #[error("no pooled connection became free within {waited:?}: all {max_size} are in use; raise PoolBuilder::max_size or PoolBuilder::wait_timeout, or return connections sooner")]
    PoolTimeout {
        /// How long the caller waited.
        waited: std::time::Duration,
        /// The pool's size limit.
        max_size: usize,
    },
    /// DNS SRV discovery (`ldap:///dc=example,dc=com`) found no server to
    /// try: the message names the query (`_ldap._tcp.example.com`), the
    /// DNS server asked and what to do about it.
    #[non_exhaustive]
    #[error("DNS SRV lookup of {query} at {server}: {reason}")]
    Discovery {
        /// What went wrong, to match on.
        kind: DiscoveryFailure,
        /// The name queried for SRV records, e.g. `_ldap._tcp.example.com`.
        query: String,
        /// The DNS server asked: an address, or the system's name servers.
        server: String,
        /// What happened and what to do about it.
        reason: String,
    },
    /// A referral could not be followed: the hop limit was reached, it led
    /// back to where it had been, or its URL cannot be used (see
    /// [`ConnConfig::follow_referrals`](crate::ConnConfig::follow_referrals)).
    #[error("referral not followed: {0}")]
    Referral(String),
    /// The operation was abandoned with
    /// [`LdapConn::abandon`](crate::LdapConn::abandon) (RFC 4511 §4.11):
    /// the server sends nothing more for it.
    #[error("the operation was abandoned: LdapConn::abandon was called for it")]
    Abandoned,
    /// A password would have been sent in clear text.
    #[error(
        "refusing to send a password over an unencrypted connection: use ldaps://, StartTLS or ldapi://, or allow it explicitly with ConnConfig::allow_insecure_password"
    )]
    InsecurePassword,
}

impl Error {
    /// The LDAP result code, for [`Error::Ldap`] and [`Error::Disconnected`].
    pub fn result_code(&self) -> Option<ResultCode> {
        match self {
            Self::Ldap(e) => Some(e.result.code),
            Self::Disconnected { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl Error {
    /// [`Error::Disconnected`] for a Notice of Disconnection with `code`
    /// and the server's `message` (kept as an [`ErrorText`]; `(no message)`
    /// when empty).
    pub(crate) fn disconnected(code: ResultCode, message: &str) -> Self {
        let message = if message.is_empty() {
            ErrorText::new("(no message)")
        } else {
            ErrorText::new(message)
        };
        Self::Disconnected { code, message }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(Arc::new(e))
    }
}

/// Why one server of an [`LdapPool`](crate::LdapPool) could not be used,
/// in [`Error::AllServersFailed`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ServerFailure {
    /// The server's URL, as the pool was given it.
    pub server: String,
    /// What went wrong when it was last tried; `None` when it has not
    /// failed yet (its trial connection is still under way).
    pub error: Option<Box<Error>>,
    /// `Some` when the server was not tried now because it failed before
    /// and is left alone for this long still (the pool's backoff).
    pub retry_in: Option<std::time::Duration>,
}

impl ServerFailure {
    /// The server at `server` failed with `error` just now.
    pub(crate) fn tried(server: &str, error: Error) -> Self {
        Self {
            server: server.to_owned(),
            error: Some(Box::new(error)),
            retry_in: None,
        }
    }

    /// The server at `server` was not tried: it rests for `retry_in` after
    /// `error` (or has a trial connection under way when `retry_in` is
    /// `None`).
    pub(crate) fn skipped(
        server: &str,
        error: Option<Error>,
        retry_in: Option<std::time::Duration>,
    ) -> Self {
        Self {
            server: server.to_owned(),
            error: error.map(Box::new),
            retry_in,
        }
    }

    fn join(all: &[Self]) -> String {
        let parts: Vec<String> = all.iter().map(ToString::to_string).collect();
        parts.join("; ")
    }
}

impl fmt::Display for ServerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.error, self.retry_in) {
            (Some(e), None) => write!(f, "{}: {e}", self.server),
            (Some(e), Some(wait)) => write!(
                f,
                "{}: not tried, resting {:.1}s more after: {e}",
                self.server,
                wait.as_secs_f64()
            ),
            (None, _) => write!(
                f,
                "{}: not tried, a trial connection to it is under way",
                self.server
            ),
        }
    }
}

/// Which step of a connection's life an [`Error::Timeout`] stopped.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Opening the TCP connection (or the `ldapi://` socket).
    Connect,
    /// The TLS handshake, of `ldaps://` or after a StartTLS response.
    TlsHandshake,
    /// Waiting for the server's answer to a StartTLS request.
    StartTls,
    /// Waiting for the server's answer to a bind.
    Bind,
    /// Waiting for the server's answer to any other operation.
    Operation,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "the TCP connect",
            Self::TlsHandshake => "the TLS handshake",
            Self::StartTls => "the StartTLS request",
            Self::Bind => "the bind",
            Self::Operation => "the operation",
        })
    }
}

/// Why DNS SRV discovery found no server (see [`Error::Discovery`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryFailure {
    /// The DNS server says the name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no SRV records (NOERROR, no answer).
    NoRecords,
    /// The only record's target is `.`: the domain says the service is
    /// explicitly not available there (RFC 2782).
    Unavailable,
    /// The DNS server did not answer in time.
    Timeout,
    /// Any other failure: the DNS server refused or failed the query
    /// (REFUSED, SERVFAIL), could not be reached, or no name server is
    /// configured.
    Failed,
}

/// A non-success LDAP result, with the operation it answered and the
/// response controls that came with it.
///
/// Made only by the crate, from a server's answer: read it through
/// [`operation`](Self::operation), [`result`](Self::result) and
/// [`controls`](Self::controls) (a password-policy response on a failed
/// bind, for example, is here).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {}{}{}", result.code, fmt_message(&result.message), fmt_matched(&result.matched_dn))]
pub struct LdapError {
    pub(crate) operation: &'static str,
    pub(crate) result: LdapResult,
    pub(crate) controls: Vec<Control>,
}

impl LdapError {
    /// The operation, e.g. `"bind"` or `"search"`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The result as the server sent it (code, matched DN, message,
    /// referrals); the client may have added to the message what it knows
    /// of the cause (e.g. that no client certificate was sent before a
    /// SASL EXTERNAL bind).
    pub fn result(&self) -> &LdapResult {
        &self.result
    }

    /// The controls of the response that failed, as the server sent them
    /// (empty when it sent none).
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// The first control of type `C` among [`controls`](Self::controls),
    /// parsed: `None` when the server sent none, `Some(Err)` when it does
    /// not parse.
    pub fn control<C: TypedControl>(&self) -> Option<Result<C, DecodeError>> {
        C::find_in(&self.controls)
    }
}

/// `: MESSAGE`, escaped and bounded like an [`ErrorText`] (the result
/// keeps the server's text as it came).
fn fmt_message(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {}", ErrorText::new(m))
    }
}

fn fmt_matched(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(" (matched DN: {})", ErrorText::new(m))
    }
}

/// The text of an error that carries what a server sent (a Notice of
/// Disconnection's message, the explanation of a rejected client
/// certificate with the server's CA list).
///
/// - **Shared**: an `Arc<str>`, so that the one error which fails every
///   pending operation costs a pointer per operation, not a copy of the
///   text: 1,000 operations ended by one notice hold one text.
/// - **Bounded**: at most [`MAX_LEN`](Self::MAX_LEN) bytes are kept; a
///   longer text is cut at a character boundary and ends with
///   `… [N more bytes not shown]`.
/// - **Safe to log**: control characters (C0, DEL, C1), the Unicode line
///   and paragraph separators (U+2028, U+2029) and the bidirectional
///   controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) are
///   written as RFC 4514 `\XX` escapes of their UTF-8 octets, so a server
///   can neither forge a line in a log nor reverse the text after it.
///
/// It reads as a `str` (`Deref`, `Display`, `==` with `&str` and
/// `String`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ErrorText(Arc<str>);

impl ErrorText {
    /// The most bytes of text kept and shown, the marker of a cut aside.
    pub const MAX_LEN: usize = 4096;

    /// The most CA names an error lists before saying how many more the
    /// server named.
    pub const MAX_CAS_SHOWN: usize = 16;

    /// `text`, escaped and cut to [`MAX_LEN`](Self::MAX_LEN) bytes as the
    /// type's docs say. Reads no more of `text` than it keeps.
    pub(crate) fn new(text: &str) -> Self {
        if text.len() <= Self::MAX_LEN && !text.chars().any(is_unsafe_char) {
            return Self(Arc::from(text));
        }
        let mut out = String::with_capacity(text.len().min(Self::MAX_LEN) + 48);
        let mut used = 0;
        for c in text.chars() {
            let escaped = is_unsafe_char(c);
            let width = if escaped {
                3 * c.len_utf8()
            } else {
                c.len_utf8()
            };
            if out.len() + width > Self::MAX_LEN {
                break;
            }
            if escaped {
                out.push_str(&escape_unsafe(c.encode_utf8(&mut [0; 4])));
            } else {
                out.push(c);
            }
            used += c.len_utf8();
        }
        if used < text.len() {
            // Writing to a String cannot fail.
            let _ = write!(out, "… [{} more bytes not shown]", text.len() - used);
        }
        Self(Arc::from(out))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` and `other` are one shared text (not merely equal).
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for ErrorText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ErrorText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for ErrorText {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ErrorText {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for ErrorText {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

/// The server sent something a correct server would not.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A PDU did not decode.
    #[error("malformed message from server: {0}")]
    Decode(#[from] DecodeError),
    /// A PDU announced a length over the configured maximum.
    #[error("server sent a message of {len} bytes, over the limit of {max} bytes")]
    MessageTooLarge {
        /// The announced length.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// A response for a message ID that has no operation pending.
    #[error("response for message ID {0}, which has no operation pending")]
    UnknownMessageId(MessageId),
    /// A response of the wrong kind for the operation pending under its ID.
    #[error("message ID {id}: expected {expected}, got {got}")]
    UnexpectedResponse {
        /// The message ID.
        id: MessageId,
        /// What the pending operation expects.
        expected: &'static str,
        /// What arrived.
        got: &'static str,
    },
    /// The server closed the connection in the middle of a message.
    #[error("connection closed in the middle of a message ({0} bytes buffered)")]
    Truncated(usize),
    /// A message with ID 0 (an unsolicited notification) that is not an
    /// ExtendedResponse (RFC 4511 §4.4).
    #[error("unsolicited message (ID 0) must be an ExtendedResponse, got {got}")]
    UnsolicitedNotExtended {
        /// What arrived, e.g. `"SearchResultEntry"`.
        got: &'static str,
    },
    /// A "Who am I?" answer whose identity is neither empty nor `dn:` nor
    /// `u:` (RFC 4532 §2.2, RFC 4513 §5.2.1.8).
    #[error("the server's authorization identity does not parse: {0}")]
    AuthzId(#[from] AuthzIdError),
    /// A page of a paged search (RFC 2696) brought no entries and a cookie
    /// the server had already sent in this search: asking for the next
    /// page would go round forever. (A cookie that stays the same while
    /// pages bring entries, as 389-DS sends, is progress, not this.)
    #[error("page {page} of a paged search brought no entries and a paged-results cookie the server had already sent: the search would never end")]
    PagedCookieRepeated {
        /// The page, counted from 1.
        page: usize,
    },
    /// Bytes that came after the StartTLS response and before the TLS
    /// handshake: in clear text, from the server or from someone on the path
    /// (RFC 4511 §4.14.2: the handshake begins right after the response).
    #[error("the server sent {len} bytes after its StartTLS response, before the TLS handshake")]
    DataAfterStartTls {
        /// How many bytes came.
        len: usize,
    },
    /// A sync search (RFC 4533) or a persistent search got something its
    /// protocol does not allow: an entry without its Sync State control, a
    /// malformed control or Sync Info message, a sync search ended without
    /// Sync Done. The text says which.
    #[error("{0}")]
    ChangeFeed(String),
}

#[cfg(test)]
mod tests;
