//! Integration tests for tokio-ldap, run against real servers (throwaway
//! OpenLDAP slapd instances; see `support/slapd.rs` and
//! `scripts/install-test-deps`) and the crate's scripted in-process servers
//! (`tokio_ldap::testkit::server`).

mod driver;
mod hostile;
mod hostile_memory;
mod load;
// slapd, its ldapi socket and the harness that runs it (peer credentials,
// file modes, /tmp) are Unix-only: these tests are built on Unix only, and
// elsewhere `slapd_tests_need_unix` below reports them as ignored.
#[cfg(unix)]
mod slapd_certs;
#[cfg(unix)]
mod slapd_harness;
#[cfg(unix)]
mod slapd_ops;
mod support;

/// Stands for the slapd tests where they are not built, so that a run
/// says they were skipped instead of passing without them.
#[cfg(not(unix))]
#[test]
#[ignore = "the slapd tests (slapd_certs, slapd_harness, slapd_ops) need Unix: slapd, ldapi sockets; not built on this OS"]
fn slapd_tests_need_unix() {}
