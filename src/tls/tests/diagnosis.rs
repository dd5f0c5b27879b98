//! How `handshake_error` and `read_error_after_handshake` read I/O errors
//! that no in-process server produces on demand: an alert without a
//! CertificateRequest, a non-certificate alert after one, rustls' full
//! handshake buffer, and I/O errors that are not a hang-up.

use std::io;

use rustls::AlertDescription;

use crate::error::Error;
use crate::tls::record::HandshakeRecord;
use crate::tls::{handshake_error, read_error_after_handshake, TlsMode};

fn record(cert_requested: bool) -> HandshakeRecord {
    let mut record = HandshakeRecord::new("ldap.example.com", TlsMode::Ldaps, "ca.pem");
    record.cert_requested = cert_requested;
    record
}

/// An alert as tokio-rustls reports it.
fn alert(alert: AlertDescription) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        rustls::Error::AlertReceived(alert),
    )
}

fn tls_message(err: Error) -> String {
    match err {
        Error::Tls { message, .. } => message,
        other => panic!("not a TLS error: {other:?}"),
    }
}

#[test]
fn a_certificate_alert_without_a_certificate_request_is_no_rejection() {
    let err = handshake_error(alert(AlertDescription::HandshakeFailure), &record(false));
    assert_eq!(
        tls_message(err),
        "TLS handshake with ldap.example.com failed: received fatal alert: HandshakeFailure"
    );
}

#[test]
fn another_alert_after_a_certificate_request_is_no_rejection() {
    let err = handshake_error(alert(AlertDescription::InternalError), &record(true));
    assert_eq!(
        tls_message(err),
        "TLS handshake with ldap.example.com failed: received fatal alert: InternalError (the server had asked for a client certificate; none was sent; it named no CAs)"
    );
}

#[test]
fn a_full_handshake_buffer_is_explained_as_an_oversized_ca_list() {
    let full = io::Error::new(io::ErrorKind::InvalidData, "message buffer full");
    let message = tls_message(handshake_error(full, &record(true)));
    assert!(
        message.starts_with(
            "TLS handshake with ldap.example.com failed: the server sent a handshake message larger than the 64 KiB"
        ),
        "{message}"
    );

    // The same text with another kind, another text with the same kind, or
    // no text at all: plain I/O errors.
    for other in [
        io::Error::other("message buffer full"),
        io::Error::new(io::ErrorKind::InvalidData, "message buffer almost full"),
        io::Error::from(io::ErrorKind::InvalidData),
    ] {
        let text = other.to_string();
        match handshake_error(other, &record(true)) {
            Error::Io(e) => assert_eq!(e.to_string(), text),
            err => panic!("not an I/O error: {err:?}"),
        }
    }
}

#[test]
fn an_io_error_that_is_not_a_hang_up_stays_an_io_error() {
    for kind in [io::ErrorKind::TimedOut, io::ErrorKind::PermissionDenied] {
        let err = handshake_error(io::Error::new(kind, "boom"), &record(true));
        assert!(matches!(&err, Error::Io(e) if e.kind() == kind), "{err:?}");
        assert_eq!(err.to_string(), "I/O error: boom");
        // After the handshake: not explained by it.
        let after = read_error_after_handshake(&io::Error::new(kind, "boom"), &record(true));
        assert!(after.is_none(), "{after:?}");
    }
    // A hang-up is explained, for comparison.
    let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    match read_error_after_handshake(&reset, &record(true)) {
        Some(Error::ClientCertRejected(text)) => assert_eq!(
            text.to_string(),
            "the server closed the connection after asking for a client certificate: it named no CAs; none was sent"
        ),
        other => panic!("{other:?}"),
    }
}
