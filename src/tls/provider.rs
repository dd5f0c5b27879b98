//! The crypto provider every rustls object of the crate is built with,
//! unless the config names one ([`ConnConfig::crypto_provider`](crate::ConnConfig::crypto_provider)).
//!
//! Chosen by Cargo feature: `ring` (the default) or `aws-lc-rs`; with both,
//! ring. The process-wide default of rustls
//! (`CryptoProvider::install_default`) is neither installed nor read, so
//! two libraries in one program never fight over it.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "tokio-ldap needs a crypto provider: enable the Cargo feature `ring` (the default) or `aws-lc-rs`"
);

/// The provider of the enabled feature, made once.
pub(crate) fn default_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(make())))
}

#[cfg(feature = "ring")]
fn make() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
fn make() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default provider is the feature's whole provider, made once:
    /// every cipher suite and key exchange group of it, and the same
    /// object on every call.
    #[test]
    fn the_default_provider_is_the_features_own_and_made_once() {
        let p = default_provider();
        #[cfg(feature = "ring")]
        let want = rustls::crypto::ring::default_provider();
        #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
        let want = rustls::crypto::aws_lc_rs::default_provider();
        let suites = |p: &CryptoProvider| -> Vec<String> {
            p.cipher_suites
                .iter()
                .map(|s| format!("{:?}", s.suite()))
                .collect()
        };
        let groups = |p: &CryptoProvider| -> Vec<String> {
            p.kx_groups
                .iter()
                .map(|g| format!("{:?}", g.name()))
                .collect()
        };
        assert!(!p.cipher_suites.is_empty() && !p.kx_groups.is_empty());
        assert_eq!(suites(&p), suites(&want));
        assert_eq!(groups(&p), groups(&want));
        assert!(Arc::ptr_eq(&p, &default_provider()));
    }
}
