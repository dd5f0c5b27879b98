//! Errors that explain a failed or rejected handshake with what the server
//! asked of the client certificate and what was sent: the server's
//! rejection (OpenLDAP closes the connection without an alert), a panic in
//! the application's chooser, a failed server-certificate check.

use std::io;

use rustls::{AlertDescription, CertificateError};

use super::name::trusts;
use super::record::{CertOutcome, HandshakeRecord};
use super::verify::ServerCertRejected;
use crate::error::Error;

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
        CertificateError::Other(other) => match other.0.downcast_ref::<ServerCertRejected>() {
            Some(hook) => format!(
                "the certificate of {name} was rejected: rejected by {}: {}",
                hook.origin(),
                hook.with_sources()
            ),
            None => format!("the certificate of {name} was rejected: {err}"),
        },
        _ => format!("the certificate of {name} was rejected: {err}"),
    }
}
