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
