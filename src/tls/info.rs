//! What happened in the handshake: [`TlsInfo`] for the application, and the
//! per-connection [`HandshakeRecord`] that turns a server's rejection into
//! an error saying what it asked for and what was sent.

use std::fmt;
use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rustls::{AlertDescription, CertificateError, CipherSuite, ProtocolVersion, SignatureScheme};
use rustls_pki_types::CertificateDer;

use super::cert::ClientCert;
use super::query::{ca_list, TlsMode, TrustedCa};
use super::verify::HookRejected;
use crate::error::Error;

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
}

impl TlsInfo {
    /// Collects the information once the handshake is complete.
    pub(crate) fn from_handshake(
        conn: &rustls::ClientConnection,
        record: &HandshakeRecord,
    ) -> Self {
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

/// Locks a record. Poisoning cannot hide anything: no user code runs under
/// the lock, and the record stays consistent field by field.
pub(crate) fn lock(record: &Mutex<HandshakeRecord>) -> MutexGuard<'_, HandshakeRecord> {
    record.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error for a failed TLS handshake (the `Err` of tokio-rustls'
/// `connect`), explained with what the server asked for and what was sent.
///
/// - The application's callback panicked: [`Error::CallbackPanicked`].
/// - The server closed the connection (EOF or reset) after asking for a
///   client certificate, as OpenLDAP does under TLS 1.2 with
///   `TLSVerifyClient demand` and no certificate, or sent a certificate-related
///   alert then: [`Error::ClientCertRejected`].
/// - Any other TLS failure (server certificate verification, the hook's
///   rejection, protocol errors): [`Error::Tls`].
/// - Other I/O errors: [`Error::Io`].
pub(crate) fn handshake_error(err: io::Error, record: &HandshakeRecord) -> Error {
    if let Some(e) = callback_panicked(record) {
        return e;
    }
    if let Some(tls) = rustls_error(&err) {
        return match tls {
            rustls::Error::InvalidCertificate(ref cert_err) => Error::Tls {
                message: server_cert_message(cert_err, record),
                source: Some(tls),
            },
            rustls::Error::AlertReceived(alert) if record.cert_requested && is_cert_alert(alert) => {
                Error::ClientCertRejected(format!(
                    "the server rejected the TLS handshake with alert {alert:?} after asking for a client certificate; {}; {}",
                    sent(record),
                    trusts(&record.trusted_cas)
                ))
            }
            ref other => {
                let mut message =
                    format!("TLS handshake with {} failed: {other}", record.server_name);
                if record.cert_requested {
                    message.push_str(&format!(
                        " (the server had asked for a client certificate; {}; {})",
                        sent(record),
                        trusts(&record.trusted_cas)
                    ));
                }
                Error::Tls {
                    message,
                    source: Some(tls),
                }
            }
        };
    }
    if !is_closed(&err) {
        return err.into();
    }
    if record.cert_requested {
        return Error::ClientCertRejected(format!(
            "server closed the connection during the TLS handshake after demanding a client certificate; {}; {}",
            sent(record),
            trusts(&record.trusted_cas)
        ));
    }
    Error::Tls {
        message: format!(
            "{} closed the connection during the TLS handshake ({err})",
            record.server_name
        ),
        source: None,
    }
}

/// For the server closing (EOF or reset) right after a handshake that looked
/// successful: how OpenLDAP rejects a missing certificate under TLS 1.3 and
/// an untrusted one under any version. Call it on EOF on the first read(s)
/// after the handshake. `None` when the server did not ask for a
/// certificate (the close has some other cause).
pub(crate) fn closed_after_handshake(record: &HandshakeRecord) -> Option<Error> {
    if let Some(e) = callback_panicked(record) {
        return Some(e);
    }
    if !record.cert_requested {
        return None;
    }
    Some(Error::ClientCertRejected(format!(
        "the server closed the connection after asking for a client certificate: {}; {}",
        trusts(&record.trusted_cas),
        sent(record)
    )))
}

/// For an I/O error on a read soon after the handshake: a certificate-related
/// TLS alert (how rustls-based servers reject a certificate under TLS 1.3)
/// or an EOF/reset becomes [`Error::ClientCertRejected`] when the server had
/// asked for a certificate. `None`: not explained by the handshake.
pub(crate) fn read_error_after_handshake(
    err: &io::Error,
    record: &HandshakeRecord,
) -> Option<Error> {
    if let Some(e) = callback_panicked(record) {
        return Some(e);
    }
    if !record.cert_requested {
        return None;
    }
    match rustls_error(err) {
        Some(rustls::Error::AlertReceived(alert)) if is_cert_alert(alert) => {
            Some(Error::ClientCertRejected(format!(
                "the server rejected the client certificate with alert {alert:?}: {}; {}",
                trusts(&record.trusted_cas),
                sent(record)
            )))
        }
        Some(_) => None,
        None if is_closed(err) => closed_after_handshake(record),
        None => None,
    }
}

/// [`Error::CallbackPanicked`] if the application's callback panicked. The
/// driver returns it from connect even when the handshake succeeded.
pub(crate) fn callback_panicked(record: &HandshakeRecord) -> Option<Error> {
    record
        .callback_panic
        .as_ref()
        .map(|m| Error::CallbackPanicked(m.clone()))
}

fn rustls_error(err: &io::Error) -> Option<rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>().cloned()
}

fn is_closed(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn is_cert_alert(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::AccessDenied
            | AlertDescription::HandshakeFailure
            | AlertDescription::DecryptError
    )
}

/// `it trusts: A; B` or `it named no CAs`.
fn trusts(cas: &[TrustedCa]) -> String {
    if cas.is_empty() {
        "it named no CAs".to_owned()
    } else {
        format!("it trusts: {}", ca_list(cas))
    }
}

/// `none was sent (reason)` or `sent: SUBJECT (issued by ISSUER, ...)`.
fn sent(record: &HandshakeRecord) -> String {
    let cert = match &record.outcome {
        CertOutcome::Sent { cert, .. } => cert,
        CertOutcome::NotSent { reason } => return format!("none was sent ({reason})"),
        CertOutcome::NotRequested => return "none was sent".to_owned(),
    };
    let cas = &record.trusted_cas;
    let standing = if cas.is_empty() {
        String::new()
    } else if cas.iter().any(|ca| cert.leaf_issued_by(ca)) {
        ", which the server named".to_owned()
    } else if let Some(ca) = cas.iter().find(|ca| cert.issued_by(ca)) {
        format!(", whose chain leads to {ca}, which the server named")
    } else {
        ", not among the CAs the server named".to_owned()
    };
    format!(
        "sent: {} (issued by {}{standing})",
        cert.subject(),
        cert.issuer()
    )
}

fn server_cert_message(err: &CertificateError, record: &HandshakeRecord) -> String {
    let name = &record.server_name;
    match err {
        CertificateError::UnknownIssuer => format!(
            "the certificate of {name} was not issued by a trusted CA (trusted roots: {})",
            record.roots
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("the certificate of the server is not valid for the name {name}: {err}")
        }
        CertificateError::Other(other) => match other.0.downcast_ref::<HookRejected>() {
            Some(hook) => format!("the certificate of {name} was rejected: {hook}"),
            None => format!("the certificate of {name} was rejected: {err}"),
        },
        _ => format!("the certificate of {name} was rejected: {err}"),
    }
}
