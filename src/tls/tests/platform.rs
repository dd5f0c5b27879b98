//! The operating system's verifier (feature `platform-verifier`). On Linux
//! it is webpki with the system's roots; here the test CA is added as an
//! extra root. The Windows and macOS sides (the OS deciding) cannot be run
//! on this Linux CI.

use rustls::version::TLS13;

use super::harness::*;
use super::pki::pki;
use crate::error::Error;
use crate::tls::TlsSettings;

async fn run(settings: &TlsSettings) -> ClientSide {
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &[&TLS13]), After::Greet).await;
    connect(&settings.prepare().unwrap(), addr, "localhost").await
}

#[tokio::test]
async fn the_platform_verifier_with_an_extra_root() {
    let mut settings = TlsSettings::new();
    settings.set_platform_verifier(true);
    settings.add_root_certificate(pki().ca_a.cert.clone());
    let client = run(&settings).await;
    assert!(client.error.is_none(), "{:?}", client.error);
    assert_eq!(
        client.record.roots,
        "the operating system's verifier, 1 root certificate(s) given in memory"
    );

    // The test CA is no system root: without it the server is unknown.
    let mut settings = TlsSettings::new();
    settings.set_platform_verifier(true);
    let client = run(&settings).await;
    match client.error {
        Some(Error::Tls { message, .. }) => assert_eq!(
            message,
            "the certificate of localhost was not issued by a trusted CA (trusted roots: the operating system's verifier)"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pins_apply_to_the_platform_verifier() {
    let mut settings = TlsSettings::new();
    settings.set_platform_verifier(true);
    settings.add_root_certificate(pki().ca_a.cert.clone());
    settings.add_pin([3; 32]);
    let client = run(&settings).await;
    match client.error {
        Some(Error::Tls { message, .. }) => {
            assert!(message.contains("rejected by key pinning"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
