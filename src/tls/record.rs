//! What happened in one connection's handshake, as far as client
//! certificates go: filled in by the resolver during the handshake, read
//! after it by `TlsInfo` and by the functions that explain a failure.

use rustls::{ProtocolVersion, SignatureScheme};

use super::cert::ClientCert;
use super::name::TrustedCa;
use super::query::TlsMode;

/// What one connection's handshake did about client certificates, filled in
/// by the resolver and read after the handshake (or its failure).
#[derive(Clone, Debug)]
pub(crate) struct HandshakeRecord {
    pub(crate) server_name: String,
    pub(crate) mode: TlsMode,
    /// Where the trusted roots came from, for verification errors.
    pub(crate) roots: String,
    /// A CertificateRequest arrived.
    pub(crate) cert_requested: bool,
    /// The CAs it named, in order.
    pub(crate) trusted_cas: Vec<TrustedCa>,
    /// The signature schemes it offered.
    pub(crate) signature_schemes: Vec<SignatureScheme>,
    pub(crate) outcome: CertOutcome,
    /// The message of a panic in the application's callback.
    pub(crate) callback_panic: Option<String>,
    /// The TLS version negotiated, once the handshake has completed
    /// ([`TlsInfo::from_handshake`](super::TlsInfo::from_handshake) sets
    /// it): what an alert after the handshake can mean depends on it.
    pub(crate) version: Option<ProtocolVersion>,
}

impl HandshakeRecord {
    pub(crate) fn new(server_name: &str, mode: TlsMode, roots: &str) -> Self {
        Self {
            server_name: server_name.to_owned(),
            mode,
            roots: roots.to_owned(),
            cert_requested: false,
            trusted_cas: Vec::new(),
            signature_schemes: Vec::new(),
            outcome: CertOutcome::NotRequested,
            callback_panic: None,
            version: None,
        }
    }
}

/// What the client did with the server's CertificateRequest.
#[derive(Clone, Debug)]
pub(crate) enum CertOutcome {
    /// No CertificateRequest came.
    NotRequested,
    /// This certificate was sent, for this reason.
    Sent { cert: ClientCert, reason: String },
    /// None was sent: the callback declined or panicked, the key could not
    /// sign with the server's schemes, or nothing is configured.
    NotSent { reason: String },
}
