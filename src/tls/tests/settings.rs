//! What each TLS setter changes in what is prepared: the system roots, the
//! certificate source, the crypto provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;

use super::pki::pki;
use crate::error::Error;
use crate::tls::provider::default_provider;
use crate::tls::{SourceRequest, TlsMode, TlsSettings};

/// With the system store on and nothing else, the roots are the system's:
/// prepared with its CAs counted, or, on a machine without any, an error
/// that says the system store gave none (not that no roots were set up).
#[test]
fn system_roots_are_loaded_when_turned_on() {
    let mut settings = TlsSettings::new();
    settings.set_system_roots(true);
    let found = rustls_native_certs::load_native_certs().certs.len();
    match settings.prepare() {
        Ok(prepared) => {
            assert!(found > 0);
            let text = format!("{prepared:?}");
            assert!(text.contains("roots: \"the system store ("), "{text}");
        }
        Err(Error::Config(message)) => {
            assert_eq!(found, 0, "{message}");
            assert!(
                message.starts_with("no CA certificate could be loaded from the system store: "),
                "{message}"
            );
        }
        Err(other) => panic!("{other:?}"),
    }
    // Turned off again: no roots at all.
    settings.set_system_roots(false);
    match settings.prepare() {
        Err(Error::Config(message)) => assert_eq!(
            message,
            "no trusted CA certificates: give a CA file, enable the system store, or (dangerously) disable server verification"
        ),
        other => panic!("{other:?}"),
    }
}

/// A source set on the settings runs at `for_connect`, and its candidates
/// become the chooser.
#[tokio::test]
async fn a_certificate_source_runs_before_each_connect() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let mut settings = super::harness::trusting_ca_a();
    settings.set_client_cert_source(move |_: &SourceRequest<'_>| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Error>(vec![pki().bob.client_cert()]) }
    });
    let prepared = settings.prepared().unwrap();
    assert!(format!("{prepared:?}").contains("cert_source: true"));
    for n in 1..=2 {
        let connect = prepared.for_connect("ldaps://x", None).await.unwrap();
        assert!(!Arc::ptr_eq(&connect, &prepared), "a chooser of its own");
        assert_eq!(calls.load(Ordering::SeqCst), n);
    }
}

/// The provider given is the one the connection's rustls config uses.
#[test]
fn the_provider_set_is_the_one_used() {
    let base = default_provider();
    let only = base
        .cipher_suites
        .iter()
        .find(|s| s.suite() == rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
        .copied()
        .expect("the provider has ChaCha20-Poly1305");
    let provider = CryptoProvider {
        cipher_suites: vec![only],
        ..(*base).clone()
    };
    let suites = |settings: &TlsSettings| {
        let tls = settings
            .prepare()
            .unwrap()
            .client_config("ldaps://x", "x", TlsMode::Ldaps)
            .unwrap();
        tls.config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect::<Vec<_>>()
    };
    let mut settings = super::harness::trusting_ca_a();
    assert!(suites(&settings).len() > 1, "the default has several");
    settings.set_provider(Arc::new(provider));
    assert_eq!(
        suites(&settings),
        [rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256]
    );
}
