//! Test support: a throwaway PKI and scripted in-process servers.
//!
//! One test PKI ([`pki`]) and one set of scripted servers ([`server`], and
//! the fixed [`responder`] the benchmarks measure against), used by the
//! crate's unit tests, its integration tests, its benches and its examples.
//! Built with `cfg(test)` and with the Cargo feature `testkit` (off by
//! default; the crate's own tests, benches and examples turn it on through a
//! dev-dependency on the crate itself).
//!
//! Not yet a public promise: the module is hidden from the docs and may
//! change in any release. It is written to become the public
//! `tokio_ldap::testkit` later (no panics on the way of a caller, errors
//! returned as [`Error`]), with three documented exceptions: the cached
//! process-wide PKIs [`pki::Pki::ec`], [`pki::Pki::rsa`] and
//! [`pki::Pki::get`] panic when the PKI cannot be generated, since a test
//! environment without one cannot run any TLS test; [`pki::Pki::generate`] is
//! the fallible way.
//!
//! Only loopback TCP is used here, so everything builds on every OS; file
//! modes of written keys are set on Unix only.

pub mod directory;
pub mod pki;
pub mod responder;
pub mod server;
#[cfg(test)]
mod tests;

use std::fmt;

/// Why a piece of test support could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// `context: cause`.
    pub(crate) fn with(context: impl fmt::Display, cause: impl fmt::Display) -> Self {
        Self::new(format!("{context}: {cause}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        Self::other(e)
    }
}
