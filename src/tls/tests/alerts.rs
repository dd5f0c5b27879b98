//! How an alert or a close right after the handshake is classified: only
//! what can be attributed to the client certificate is reported as
//! [`Error::ClientCertRejected`].

use std::io;

use rustls::{AlertDescription, ProtocolVersion};

use super::names::{name, OID_CN};
use crate::error::Error;
use crate::tls::record::{CertOutcome, HandshakeRecord};
use crate::tls::{closed_after_handshake, read_error_after_handshake, TlsMode, TrustedCa};

/// A completed handshake of `version` in which the server asked for a
/// certificate naming one CA and none was sent.
fn asked(version: ProtocolVersion) -> HandshakeRecord {
    let mut rec = HandshakeRecord::new("ldap.example.com", TlsMode::Ldaps, "the test roots");
    rec.cert_requested = true;
    rec.trusted_cas = vec![TrustedCa::from_der(name(&[&[(OID_CN, 0x0c, b"CA")]]))];
    rec.outcome = CertOutcome::NotSent {
        reason: "the callback declined".into(),
    };
    rec.version = Some(version);
    rec
}

fn alert(a: AlertDescription) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, rustls::Error::AlertReceived(a))
}

/// Under TLS 1.2 the server's Finished comes after it has checked the
/// client's certificate: an alert after the handshake is about something
/// else. A HandshakeFailure then is how a server answers the client's
/// refusal to renegotiate (rustls never renegotiates).
#[test]
fn handshake_failure_after_a_tls12_handshake_is_not_a_certificate_rejection() {
    let rec = asked(ProtocolVersion::TLSv1_2);
    let err = read_error_after_handshake(&alert(AlertDescription::HandshakeFailure), &rec);
    match err {
        Some(Error::Tls {
            ref message,
            source: Some(rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)),
        }) => assert_eq!(
            message,
            "ldap.example.com ended the TLS session with alert HandshakeFailure after a completed TLS 1.2 handshake, in which the server had already accepted the client's certificate flight: not a certificate rejection (a server that asks to renegotiate answers the client's refusal this way; this client never renegotiates)"
        ),
        other => panic!("{other:?}"),
    }
    let shown = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        shown.starts_with("TLS error: ldap.example.com ended"),
        "{shown}"
    );
    // Any other alert after a TLS 1.2 handshake is not one either.
    let err = read_error_after_handshake(&alert(AlertDescription::BadCertificate), &rec);
    match err {
        Some(Error::Tls { ref message, .. }) => assert_eq!(
            message,
            "ldap.example.com ended the TLS session with alert BadCertificate after a completed TLS 1.2 handshake, in which the server had already accepted the client's certificate flight: not a certificate rejection"
        ),
        other => panic!("{other:?}"),
    }
}

/// Under TLS 1.3 the server checks the client's certificate after the
/// client considers the handshake done: a certificate-related alert then,
/// HandshakeFailure included, is the rejection.
#[test]
fn certificate_alerts_after_a_tls13_handshake_are_rejections() {
    let rec = asked(ProtocolVersion::TLSv1_3);
    for a in [
        AlertDescription::HandshakeFailure,
        AlertDescription::CertificateRequired,
        AlertDescription::UnknownCA,
    ] {
        match read_error_after_handshake(&alert(a), &rec) {
            Some(Error::ClientCertRejected(m)) => assert_eq!(
                m,
                format!("the server rejected the client certificate with alert {a:?} after asking for one: it trusts: CN=CA; none was sent (the callback declined)")
            ),
            other => panic!("{a:?}: {other:?}"),
        }
    }
    // An alert that is not about certificates is left to the caller.
    assert!(read_error_after_handshake(&alert(AlertDescription::InternalError), &rec).is_none());
}

/// An orderly close (close_notify) right after the handshake is not a
/// certificate rejection, under either version: no server rejects a
/// certificate by ending the session politely. A close without
/// close_notify (EOF, reset) still is, as slapd rejects that way.
#[test]
fn close_notify_right_after_the_handshake_is_not_a_certificate_rejection() {
    for v in [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3] {
        let rec = asked(v);
        match closed_after_handshake(&rec) {
            Some(Error::Closed(m)) => assert_eq!(
                m,
                "the server ended the TLS session (close_notify) right after the handshake, before answering: an orderly close, not a rejection of the client certificate (the server had asked for one; none was sent (the callback declined))"
            ),
            other => panic!("{v:?}: {other:?}"),
        }
        let eof = io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "peer closed connection without sending TLS close_notify",
        );
        match read_error_after_handshake(&eof, &rec) {
            Some(Error::ClientCertRejected(m)) => assert_eq!(
                m,
                "the server closed the connection after asking for a client certificate: it trusts: CN=CA; none was sent (the callback declined)"
            ),
            other => panic!("{v:?}: {other:?}"),
        }
    }
    // No certificate asked for: nothing to explain.
    let mut rec = asked(ProtocolVersion::TLSv1_3);
    rec.cert_requested = false;
    assert!(closed_after_handshake(&rec).is_none());
}
