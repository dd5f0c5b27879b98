//! The scripted in-process LDAP server: the crate's own
//! (`tokio_ldap::testkit::server`), with the standard EC test PKI and
//! panics instead of errors, as a test wants them.

use std::future::Future;
use std::sync::Arc;

use tokio_ldap::rustls::{ServerConfig, SupportedProtocolVersion};
pub use tokio_ldap::testkit::server::{ClientAuth, Peer, Server};

use super::pki::{Entity, Pki};

/// A rustls server config for the EC test PKI's server certificate
/// (CN=localhost, SAN 127.0.0.1, issued by CA A), with `auth` and the TLS
/// `versions` (empty: rustls' defaults).
pub fn tls_config(
    auth: &ClientAuth,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ServerConfig> {
    tokio_ldap::testkit::server::tls_config(Pki::ec(), auth, versions)
        .expect("test server TLS config")
}

/// An entity of the EC test PKI by field name.
pub fn entity(pki: &'static Pki, name: &str) -> &'static Entity {
    pki.entity(name).expect("an entity of the test PKI")
}

/// Starts a plain-TCP server running `script` on every connection.
pub async fn start<F, Fut>(script: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Server::start(script).await.expect("start the test server")
}

/// Starts a TLS server (LDAPS) with `config`, running `script` on every
/// connection whose handshake succeeds.
pub async fn start_tls<F, Fut>(config: Arc<ServerConfig>, script: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Server::start_tls(config, script)
        .await
        .expect("start the test server")
}
