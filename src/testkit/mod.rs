//! An in-process LDAP server with TLS client authentication, and a test
//! PKI, for the tests of code built on tokio-ldap (Cargo feature
//! `testkit`, off by default: add it to your dev-dependencies).
//!
//! ```toml
//! [dev-dependencies]
//! tokio-ldap = { version = "0.1", features = ["testkit"] }
//! ```
//!
//! - [`TestPki`]: CAs, intermediates, servers and clients made in memory
//!   with rcgen, including the awkward ones on purpose (expired, not yet
//!   valid, no clientAuth, wrong key, self-signed), as
//!   [`ClientCert`](crate::ClientCert)s, PEM, or files.
//! - [`TestServer`]: `ldap://` with StartTLS, `ldaps://` and (Unix)
//!   `ldapi://` on loopback; the test decides whether it asks for a
//!   client certificate ([`ClientAuth`]), which CA names its
//!   CertificateRequest carries ([`CaNames`]), how it refuses a
//!   certificate ([`Rejection`]) and the TLS versions ([`TlsVersions`]);
//!   an in-memory [`Directory`] with simple binds, SASL EXTERNAL
//!   ([`ExternalMapping`]), WhoAmI, search with every RFC 4515 filter,
//!   paging, and the write operations; injected faults; and a record of
//!   what each client sent ([`TestServer::connections`]).
//!
//! See "Testing your code" in the [crate docs](crate) for a complete test.
//!
//! # Differences from slapd
//!
//! The crate's own tests (`tests/api/fidelity.rs`) run one list of
//! scenarios against a `TestServer` and against OpenLDAP's slapd (with the
//! crate's test configuration: `TLSVerifyClient try`, the rootdn
//! `cn=admin,dc=example,dc=com`, EXTERNAL mapped by `authz-regexp` from
//! `cn=NAME,ou=people,...` to `uid=NAME,ou=people,...`) and expect the
//! same outcomes: binds, EXTERNAL over LDAPS, StartTLS and ldapi, WhoAmI,
//! each filter type, the scopes, size limit, paging, attribute selection,
//! each write operation and each rejection. What the `TestServer` does
//! differently, on purpose:
//!
//! - No schema: any attribute on any entry, no single-value or
//!   objectClass checks (slapd: objectClassViolation, constraintViolation).
//!   Matching rules come from a built-in table of the usual attributes
//!   (`cn`, `uid`, `mail`, ... ignore case and extra spaces;
//!   `telephoneNumber` ignores spaces and hyphens; `uidNumber` and
//!   `gidNumber` are integers; `member`, `manager`, ... are DNs;
//!   `userPassword` and binary attributes are exact); any other attribute
//!   ignores case. A filter on an attribute the server does not know is
//!   FALSE here, Undefined in slapd (which matters under `!`).
//! - Ordering filters (`>=`, `<=`) work on every attribute (slapd: only
//!   on attributes with an ORDERING rule, e.g. `uidNumber`; elsewhere
//!   Undefined).
//! - Entries come in the order they were added, for every scope. slapd
//!   returns a subtree search in that order too, but a one-level search in
//!   the order of the index it uses (LDAP defines no order; the fidelity
//!   suite compares one-level results as sets).
//! - `userPassword` is stored and compared in clear.
//! - Requests of one connection are answered one after the other (slapd
//!   runs them concurrently); Abandon is accepted and ignored.
//! - The paged-results cookie is the offset of the next entry; a size
//!   limit does not apply to paged searches.
//! - A search's time limit is ignored, and so is `derefAliases` (there
//!   are no aliases).
//! - The server keeps a [`ConnectionRecord`] of every connection for its
//!   whole life (for tests to read), so memory grows with connections.
//! - Controls: only paged results is understood; another critical control
//!   gets unavailableCriticalExtension, a non-critical one is ignored.
//!
//! The crate's own tests also use a scripted raw-bytes server, a
//! benchmark responder and the DNS SRV resolver of the pool (hidden
//! modules `server`, `responder` and `srv`), and the
//! standard PKI with a field per entity ([`pki::Pki`]); these are not a
//! stable API.
//!
//! Everything returns [`Error`] rather than panicking, except the cached
//! process-wide PKIs [`pki::Pki::ec`], [`pki::Pki::rsa`] and
//! [`pki::Pki::get`], which panic when the PKI cannot be generated.

pub mod directory;
pub mod pki;
#[doc(hidden)]
pub mod responder;
#[doc(hidden)]
pub mod server;
// The crate's own DNS SRV tests reach the pool's resolver through this.
#[cfg(feature = "srv")]
#[doc(hidden)]
pub mod srv;
pub mod test_server;
#[cfg(test)]
mod tests;

pub use directory::{Directory, Entry, SearchOutcome};
pub use pki::{ClientKind, KeyType, PkiBuilder, Rdn, TestPki};
pub use test_server::{
    CaNames, ClientAuth, ConnectionRecord, ExternalMapping, Operation, Rejection, TestServer,
    TestServerBuilder, TlsVersions, Transport,
};

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
