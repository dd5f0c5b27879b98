//! The crypto provider every rustls object of the crate is built with.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;

/// The ring crypto provider, made once. Configs always name it explicitly,
/// so a second provider enabled elsewhere in the program cannot make rustls
/// panic.
pub(crate) fn ring_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
}
