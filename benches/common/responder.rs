//! The in-process LDAP responder of the handshake loop: the crate's own
//! (`tokio_ldap::testkit::responder`: asks for and verifies a client
//! certificate naming CA A and CA B, answers Bind, WhoAmI and StartTLS),
//! on a thread named with [`SERVER_THREAD_PREFIX`] so that its CPU time is
//! kept apart from the client's.

use tokio_ldap::testkit::pki::Pki;
pub use tokio_ldap::testkit::responder::Responder;

use super::SERVER_THREAD_PREFIX;

/// Starts the responder on its own thread; it lives as long as the process.
pub fn start(pki: &Pki) -> Responder {
    Responder::start(pki, format!("{SERVER_THREAD_PREFIX}-ldap")).expect("start the responder")
}
