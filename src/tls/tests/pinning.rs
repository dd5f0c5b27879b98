//! Pinned server keys and the override hook that decides in webpki's place.

use std::sync::{Arc, Mutex};

use rustls::version::TLS13;
use rustls::CertificateError;

use super::harness::*;
use super::pki::pki;
use crate::error::Error;
use crate::tls::provider::default_provider;
use crate::tls::verify::sha256;
use crate::tls::{spki_sha256, ServerCertInfo, ServerCertRejected, ServerCertVerdict, TlsSettings};

fn server_pin() -> [u8; 32] {
    spki_sha256(&pki().server.chain[0]).unwrap()
}

/// Settings trusting only CA-B, which did not issue the server's
/// certificate: to webpki the server is as unknown as a self-signed one.
fn trusting_ca_b() -> TlsSettings {
    let mut settings = TlsSettings::new();
    settings.add_root_certificate(pki().ca_b.cert.clone());
    settings
}

async fn run(settings: &TlsSettings) -> ClientSide {
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &[&TLS13]), After::Greet).await;
    connect(&settings.prepare().unwrap(), addr, "localhost").await
}

fn tls_message(client: ClientSide) -> (String, Error) {
    match client.error {
        Some(ref e @ Error::Tls { ref message, .. }) => (message.clone(), e.clone()),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
}

#[test]
fn spki_sha256_is_sha256_of_the_public_key_info() {
    // The provider's SHA-256, known answer (FIPS 180-2, "abc").
    let abc = sha256(&default_provider(), b"abc").unwrap();
    assert_eq!(
        abc.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(&pki().server.chain[0]).unwrap();
    let expected = sha256(&default_provider(), cert.public_key().raw).unwrap();
    assert_eq!(server_pin(), expected);
    assert_ne!(spki_sha256(&pki().alice.chain[0]).unwrap(), expected);
    let info = ServerCertInfo::new(&pki().server.chain[0], &[], "localhost");
    assert_eq!(info.spki_sha256(), Some(expected));
    let err = spki_sha256(&b"junk".to_vec().into()).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("invalid input: the certificate does not parse"),
        "{err}"
    );
}

#[tokio::test]
async fn right_pin_connects_wrong_pin_fails_saying_why() {
    let mut settings = trusting_ca_a();
    settings.add_pin(server_pin());
    let client = run(&settings).await;
    assert!(client.error.is_none(), "{:?}", client.error);

    let mut settings = trusting_ca_a();
    settings.add_pin([7; 32]);
    let (message, err) = tls_message(run(&settings).await);
    assert_eq!(
        message,
        format!(
            "the certificate of localhost was rejected: rejected by key pinning: its public key (SPKI SHA-256 {}) is none of the 1 pinned key(s)",
            server_pin().iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    );
    let rejected = ServerCertRejected::find_in(&err).expect("the pinning's rejection");
    assert!(rejected
        .message()
        .starts_with("its public key (SPKI SHA-256 "));
}

#[tokio::test]
async fn a_pin_among_several_for_rotation() {
    for at in 0..3 {
        let mut settings = trusting_ca_a();
        for i in 0..3 {
            settings.add_pin(if i == at { server_pin() } else { [i; 32] });
        }
        let client = run(&settings).await;
        assert!(client.error.is_none(), "pin {at}: {:?}", client.error);
    }
    let mut settings = trusting_ca_a();
    settings.add_pin([1; 32]);
    settings.add_pin([2; 32]);
    let (message, _) = tls_message(run(&settings).await);
    assert!(
        message.ends_with("is none of the 2 pinned key(s)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_pin_does_not_replace_webpki() {
    let mut settings = trusting_ca_b();
    settings.add_pin(server_pin());
    let client = run(&settings).await;
    match client.error {
        Some(Error::Tls {
            message,
            source: Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        }) => assert!(
            message.starts_with("the certificate of localhost was not issued by a trusted CA"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn override_accepts_an_untrusted_server_under_a_pin() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut settings = trusting_ca_b();
    settings.add_pin(server_pin());
    let log = Arc::clone(&seen);
    settings.set_server_cert_override(move |info: &ServerCertInfo<'_>| {
        let verdict = format!("{:?}", info.verdict());
        log.lock().unwrap().push(verdict);
        match info.verdict() {
            ServerCertVerdict::Trusted => Ok(()),
            ServerCertVerdict::Rejected(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )) => Ok(()),
            _ => Err("not this one".to_owned()),
        }
    });
    let client = run(&settings).await;
    assert!(client.error.is_none(), "{:?}", client.error);
    assert_eq!(
        *seen.lock().unwrap(),
        ["Rejected(InvalidCertificate(UnknownIssuer))"]
    );

    // The same override with a wrong pin: the pin rejects first, the hook
    // is not asked.
    let mut settings = trusting_ca_b();
    settings.add_pin([9; 32]);
    settings.set_server_cert_override(|_: &ServerCertInfo<'_>| -> Result<(), ServerCertRejected> {
        panic!("the override must not run when no pin matches")
    });
    let (message, _) = tls_message(run(&settings).await);
    assert!(message.contains("rejected by key pinning"), "{message}");

    // Without an override the untrusted server is rejected as before.
    let (message, _) = tls_message(run(&trusting_ca_b()).await);
    assert!(
        message.contains("was not issued by a trusted CA"),
        "{message}"
    );
}

#[tokio::test]
async fn override_rejects_a_valid_server_by_policy() {
    let mut settings = trusting_ca_a();
    settings.set_server_cert_override(|info: &ServerCertInfo<'_>| {
        assert!(matches!(info.verdict(), ServerCertVerdict::Trusted));
        Err(ServerCertRejected::new("policy: this directory is retired"))
    });
    let (message, err) = tls_message(run(&settings).await);
    assert_eq!(
        message,
        "the certificate of localhost was rejected: rejected by the server certificate hook: policy: this directory is retired"
    );
    assert_eq!(
        ServerCertRejected::find_in(&err).unwrap().message(),
        "policy: this directory is retired"
    );

    // With verification disabled the override sees NotChecked.
    let mut settings = TlsSettings::new();
    settings.set_dangerous_disable_server_verification(true);
    settings.set_server_cert_override(|info: &ServerCertInfo<'_>| match info.verdict() {
        ServerCertVerdict::NotChecked => Err("not checked".to_owned()),
        other => Err(format!("{other:?}")),
    });
    let (message, _) = tls_message(run(&settings).await);
    assert!(message.ends_with("hook: not checked"), "{message}");
}
