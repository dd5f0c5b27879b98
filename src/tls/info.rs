//! What happened in the handshake, for the application: [`TlsInfo`] and
//! [`SentCert`].

use std::fmt;

use rustls::{CipherSuite, ProtocolVersion, SignatureScheme};
use rustls_pki_types::CertificateDer;

use super::cert::ClientCert;
use super::name::{trusts, TrustedCa};
use super::query::TlsMode;
use super::record::{CertOutcome, HandshakeRecord};

/// What the TLS handshake negotiated, what the server asked of the client
/// certificate, and what was sent.
#[derive(Clone, Debug)]
pub struct TlsInfo {
    version: ProtocolVersion,
    cipher_suite: CipherSuite,
    server_chain: Vec<CertificateDer<'static>>,
    trusted_cas: Option<Vec<TrustedCa>>,
    signature_schemes: Vec<SignatureScheme>,
    sent: Option<SentCert>,
    reason: Option<String>,
    mode: TlsMode,
    roots: String,
}

impl TlsInfo {
    /// Collects the information once the handshake is complete, and notes
    /// the negotiated version in `record`.
    pub(crate) fn from_handshake(
        conn: &rustls::ClientConnection,
        record: &mut HandshakeRecord,
    ) -> Self {
        record.version = conn.protocol_version();
        let (sent, reason) = match &record.outcome {
            CertOutcome::NotRequested => (None, None),
            CertOutcome::Sent { cert, reason } => {
                (Some(SentCert { cert: cert.clone() }), Some(reason.clone()))
            }
            CertOutcome::NotSent { reason } => (None, Some(reason.clone())),
        };
        Self {
            // Both are known once the handshake has completed; the fallbacks
            // only guard against a call made too early.
            version: conn
                .protocol_version()
                .unwrap_or(ProtocolVersion::Unknown(0)),
            cipher_suite: conn
                .negotiated_cipher_suite()
                .map_or(CipherSuite::Unknown(0), |s| s.suite()),
            server_chain: conn
                .peer_certificates()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            trusted_cas: record.cert_requested.then(|| record.trusted_cas.clone()),
            signature_schemes: record.signature_schemes.clone(),
            sent,
            reason,
            mode: record.mode,
            roots: record.roots.clone(),
        }
    }

    /// The TLS version, e.g. `ProtocolVersion::TLSv1_3`.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The cipher suite, e.g. `CipherSuite::TLS13_AES_256_GCM_SHA384`.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.cipher_suite
    }

    /// The server's certificate chain, end-entity first, as it sent it.
    pub fn server_chain(&self) -> &[CertificateDer<'static>] {
        &self.server_chain
    }

    /// The CAs the server named when it asked for a client certificate.
    /// `None`: it did not ask; `Some(&[])`: it asked and named none.
    pub fn trusted_cas(&self) -> Option<&[TrustedCa]> {
        self.trusted_cas.as_deref()
    }

    /// The signature schemes the server accepts from the client (empty if it
    /// did not ask for a certificate).
    pub fn client_signature_schemes(&self) -> &[SignatureScheme] {
        &self.signature_schemes
    }

    /// The client certificate sent, if any.
    pub fn client_cert_sent(&self) -> Option<&SentCert> {
        self.sent.as_ref()
    }

    /// Why that certificate (or none) was sent, when the server asked:
    /// the chooser's reason, or e.g. `no client certificate configured`.
    pub fn client_cert_reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Whether TLS came from `ldaps://` or StartTLS.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// Where the roots that verified the server came from, e.g.
    /// `/etc/ca.pem, the system store (140 CAs)`; when a changed CA file
    /// could not be reloaded, also why, e.g. `/etc/ca.pem (not reloaded: no
    /// certificate found in /etc/ca.pem; the roots loaded before are kept)`.
    pub fn trusted_roots(&self) -> &str {
        &self.roots
    }
}

impl fmt::Display for TlsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} ({}), {:?}",
            self.version, self.mode, self.cipher_suite
        )?;
        let Some(cas) = &self.trusted_cas else {
            return f.write_str("; no client certificate requested");
        };
        write!(f, "; client certificate requested, {}", trusts(cas))?;
        match (&self.sent, &self.reason) {
            (Some(sent), _) => write!(f, "; sent {}", sent.subject()),
            (None, Some(reason)) => write!(f, "; none sent ({reason})"),
            (None, None) => f.write_str("; none sent"),
        }
    }
}

/// The client certificate that was sent.
#[derive(Clone, Debug)]
pub struct SentCert {
    cert: ClientCert,
}

impl SentCert {
    /// The end-entity subject, in RFC 4514 form.
    pub fn subject(&self) -> &str {
        self.cert.subject()
    }

    /// The end-entity issuer, in RFC 4514 form.
    pub fn issuer(&self) -> &str {
        self.cert.issuer()
    }

    /// The chain sent, end-entity first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        self.cert.chain()
    }

    /// The certificate as the chooser returned it.
    pub fn cert(&self) -> &ClientCert {
        &self.cert
    }
}
