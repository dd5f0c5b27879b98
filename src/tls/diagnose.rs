//! Errors that explain a failed or rejected handshake with what the server
//! asked of the client certificate and what was sent: the server's
//! rejection (OpenLDAP closes the connection without an alert), a panic in
//! the application's chooser, a failed server-certificate check.

use std::io;

use rustls::{AlertDescription, CertificateError, InvalidMessage, ProtocolVersion};

use super::name::trusts;
use super::record::{CertOutcome, HandshakeRecord};
use super::verify::ServerCertRejected;
use crate::error::{Error, ErrorText};
use crate::proto::dn::escape_unsafe;

/// The error for a failed TLS handshake (the `Err` of tokio-rustls'
/// `connect`), explained with what the server asked for and what was sent.
///
/// - The application's callback panicked: [`Error::CallbackPanicked`].
/// - The server closed the connection (EOF or reset) after asking for a
///   client certificate, as OpenLDAP does under TLS 1.2 with
///   `TLSVerifyClient demand` and no certificate, or sent a certificate-related
///   alert then: [`Error::ClientCertRejected`].
/// - A handshake message over 64 KiB (rustls' `HandshakePayloadTooLarge`
///   under TLS 1.2, its full handshake buffer under TLS 1.3), almost always
///   a CertificateRequest naming more CAs than TLS allows: [`Error::Tls`]
///   explaining that and what the server's administrator can do.
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
                // The server's certificate may name anything.
                message: escape_unsafe(&server_cert_message(cert_err, record)).into_owned(),
                source: Some(tls),
            },
            rustls::Error::AlertReceived(alert)
                if record.cert_requested && is_cert_alert(alert) =>
            {
                rejected_by_alert(alert, record)
            }
            rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge) => Error::Tls {
                message: format!(
                    "TLS handshake with {} failed: {CA_LIST_TOO_LARGE}",
                    record.server_name
                ),
                source: Some(tls),
            },
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
                    message: escape_unsafe(&message).into_owned(),
                    source: Some(tls),
                }
            }
        };
    }
    if is_handshake_buffer_full(&err) {
        return Error::Tls {
            message: format!(
                "TLS handshake with {} failed: {CA_LIST_TOO_LARGE}",
                record.server_name
            ),
            source: None,
        };
    }
    if !is_closed(&err) {
        return err.into();
    }
    if record.cert_requested {
        return Error::ClientCertRejected(ErrorText::new(&format!(
            "server closed the connection during the TLS handshake after demanding a client certificate; {}; {}",
            sent(record),
            trusts(&record.trusted_cas)
        )));
    }
    Error::Tls {
        message: format!(
            "{} closed the connection during the TLS handshake ({err})",
            record.server_name
        ),
        source: None,
    }
}

/// What a handshake message over 64 KiB (rustls'
/// `HandshakePayloadTooLarge`) means, and what the server's administrator
/// can do. A CertificateRequest's CA list may itself be up to 64 KiB, so a
/// server that names a couple of thousand CAs sends a request no TLS
/// client accepts (which is why Schannel can be told not to send the
/// list). The client never sees the request, so its callback is not
/// called.
const CA_LIST_TOO_LARGE: &str = "the server sent a handshake message larger than the 64 KiB TLS allows the client to accept: almost always its request for a client certificate, whose list of trusted CA names is larger than TLS allows (the client could not read the request, so no certificate could be chosen). The server's administrator can stop sending the list or shorten it: on Windows (Active Directory, AD LDS) set SendTrustedIssuerList=0 (REG_DWORD) under HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL, or remove the CAs that do not issue client certificates from the server's trusted root store; on OpenLDAP, make TLSCACertificateFile (olcTLSCACertificateFile) hold only the CAs that issue client certificates. (A server certificate chain over 64 KiB fails the same way.)";

/// For an orderly end of the TLS session (the server's close_notify: a
/// read that returns no bytes and no error) on the first read(s) after the
/// handshake. No server rejects a certificate politely, so this is an
/// [`Error::Closed`] that says so (and what was sent, when the server had
/// asked for a certificate): only a close without close_notify is taken
/// for a rejection ([`read_error_after_handshake`]). `None` when the server
/// did not ask for a certificate (the plain "closed" says it all).
pub(crate) fn closed_after_handshake(record: &HandshakeRecord) -> Option<Error> {
    if let Some(e) = callback_panicked(record) {
        return Some(e);
    }
    if !record.cert_requested {
        return None;
    }
    Some(Error::Closed(format!(
        "the server ended the TLS session (close_notify) right after the handshake, before answering: an orderly close, not a rejection of the client certificate (the server had asked for one; {})",
        sent(record)
    )))
}

/// For the server hanging up (EOF without close_notify, or reset) right
/// after a handshake that looked successful: how OpenLDAP rejects a
/// missing certificate under TLS 1.3 and an untrusted one under any
/// version.
fn hung_up_after_handshake(record: &HandshakeRecord) -> Error {
    Error::ClientCertRejected(ErrorText::new(&format!(
        "the server closed the connection after asking for a client certificate: {}; {}",
        trusts(&record.trusted_cas),
        sent(record)
    )))
}

/// For an I/O error on a read soon after the handshake, when the server had
/// asked for a certificate:
///
/// - under TLS 1.3, a certificate-related alert (how rustls- and
///   OpenSSL-based servers reject a certificate: the server checks it
///   after the client considers the handshake done) becomes
///   [`Error::ClientCertRejected`];
/// - under TLS 1.2, the server's Finished came after it had checked the
///   client's certificate, so no alert after the handshake is a rejection:
///   it becomes an [`Error::Tls`] that says so (a HandshakeFailure is how a
///   server answers the client's refusal to renegotiate);
/// - an EOF without close_notify, or a reset, becomes
///   [`Error::ClientCertRejected`] (slapd's way, under either version).
///
/// `None`: not explained by the handshake.
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
        Some(rustls::Error::AlertReceived(alert))
            if record.version == Some(ProtocolVersion::TLSv1_2) =>
        {
            let mut message = format!(
                "{} ended the TLS session with alert {alert:?} after a completed TLS 1.2 handshake, in which the server had already accepted the client's certificate flight: not a certificate rejection",
                record.server_name
            );
            if alert == AlertDescription::HandshakeFailure {
                message.push_str(" (a server that asks to renegotiate answers the client's refusal this way; this client never renegotiates)");
            }
            Some(Error::Tls {
                message,
                source: Some(rustls::Error::AlertReceived(alert)),
            })
        }
        Some(rustls::Error::AlertReceived(alert)) if is_cert_alert(alert) => {
            Some(rejected_by_alert(alert, record))
        }
        Some(_) => None,
        None if is_closed(err) => Some(hung_up_after_handshake(record)),
        None => None,
    }
}

/// A certificate alert after a CertificateRequest, during the handshake
/// (TLS 1.2) or on the first read after it (TLS 1.3): one message for both,
/// so that 389 Directory Server's `UnknownCA`, `BadCertificate` and
/// `CertificateRequired` read alike.
fn rejected_by_alert(alert: AlertDescription, record: &HandshakeRecord) -> Error {
    Error::ClientCertRejected(ErrorText::new(&format!(
        "the server rejected the client certificate with alert {alert:?} after asking for one: {}; {}",
        trusts(&record.trusted_cas),
        sent(record)
    )))
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

/// rustls' I/O error for handshake messages that do not fit its 64 KiB
/// buffer: how an oversized CertificateRequest fails under TLS 1.3, where
/// it arrives encrypted and is joined with the rest of the server's flight
/// (under TLS 1.2 the same request is `HandshakePayloadTooLarge`). rustls
/// gives no other sign than the text.
fn is_handshake_buffer_full(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::InvalidData
        && err
            .get_ref()
            .is_some_and(|e| e.to_string() == "message buffer full")
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

/// The alerts a server sends when it does not accept the client's
/// certificate flight (no certificate, an untrusted or unusable one, a bad
/// CertificateVerify signature); HandshakeFailure among them, which
/// OpenSSL sends under TLS 1.2 for a missing certificate. Whether one is a
/// rejection also depends on when it comes (see
/// [`read_error_after_handshake`]).
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
