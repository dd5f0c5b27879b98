//! The crate's error type.

use std::io;
use std::sync::Arc;

use crate::ber::DecodeError;
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
    /// The server closed the connection right after a TLS handshake in which
    /// it had asked for a client certificate: how OpenLDAP rejects a missing
    /// or untrusted certificate under TLS 1.3 (and, with an untrusted one,
    /// under TLS 1.2 too).
    #[error("{0}")]
    ClientCertRejected(String),
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
    /// The operation or connect did not complete in time.
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The server sent a Notice of Disconnection (RFC 4511 §4.4.1).
    #[non_exhaustive]
    #[error("server disconnected: {code}: {message}")]
    Disconnected {
        /// The result code of the notice.
        code: ResultCode,
        /// The server's diagnostic message.
        message: String,
    },
    /// The connection is closed (by unbind, by the peer, or after an error).
    #[error("connection closed: {0}")]
    Closed(String),
    /// An argument was invalid (a filter, DN or URL that does not parse).
    #[error("invalid input: {0}")]
    InvalidInput(String),
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

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(Arc::new(e))
    }
}

/// A non-success LDAP result, with the operation it answered.
///
/// Made only by the crate, from a server's answer: read it through
/// [`operation`](Self::operation) and [`result`](Self::result).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {}{}{}", result.code, fmt_message(&result.message), fmt_matched(&result.matched_dn))]
pub struct LdapError {
    pub(crate) operation: &'static str,
    pub(crate) result: LdapResult,
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
}

fn fmt_message(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

fn fmt_matched(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(" (matched DN: {m})")
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
    /// Bytes that came after the StartTLS response and before the TLS
    /// handshake: in clear text, from the server or from someone on the path
    /// (RFC 4511 §4.14.2: the handshake begins right after the response).
    #[error("the server sent {len} bytes after its StartTLS response, before the TLS handshake")]
    DataAfterStartTls {
        /// How many bytes came.
        len: usize,
    },
}
