//! Which crypto provider the crate uses by itself, per Cargo feature.

use crate::tls::provider::default_provider;

/// ring when its feature is on (alone or with aws-lc-rs), else aws-lc-rs;
/// and never through the process-wide default.
#[test]
fn the_default_provider_follows_the_features_ring_first() {
    let provider = default_provider();
    let name = format!("{:?}", provider.key_provider);
    if cfg!(feature = "ring") {
        assert_eq!(name, "Ring");
    } else {
        assert_eq!(name, "AwsLcRs");
    }
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
}

/// The provider the crate makes can do TLS: the feature's own cipher suites
/// and key exchange groups, not an empty provider.
#[test]
fn the_default_provider_has_the_features_suites_and_groups() {
    let provider = default_provider();
    #[cfg(feature = "ring")]
    let expected = rustls::crypto::ring::default_provider();
    #[cfg(not(feature = "ring"))]
    let expected = rustls::crypto::aws_lc_rs::default_provider();
    let suites = |p: &rustls::crypto::CryptoProvider| {
        p.cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect::<Vec<_>>()
    };
    let groups = |p: &rustls::crypto::CryptoProvider| {
        p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>()
    };
    assert!(!provider.cipher_suites.is_empty());
    assert_eq!(suites(&provider), suites(&expected));
    assert_eq!(groups(&provider), groups(&expected));
}
