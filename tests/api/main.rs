//! Integration tests for tokio-ldap, run against real servers (throwaway
//! OpenLDAP slapd instances, see `support/slapd.rs`; shared 389 Directory
//! Server instances, see `support/ds389.rs`; both installed by
//! `scripts/install-test-deps`) and the crate's scripted in-process servers
//! (`tokio_ldap::testkit`), and the fidelity of the testkit's `TestServer`
//! to slapd (`fidelity`).

// The client-certificate scenarios run against both real servers, with the
// expected outcome per server in one table.
#[cfg(unix)]
mod cert_matrix;
mod change_feeds;
mod driver;
mod edges;
// 389 Directory Server (shared instances, see support/ds389.rs): Unix
// only, like slapd.
#[cfg(unix)]
mod ds389_certs;
#[cfg(unix)]
mod ds389_harness;
// 389-DS's behaviours played by the scripted server: every platform.
mod ds389_scripted;
mod fidelity;
mod hostile;
mod hostile_lifecycle;
mod hostile_memory;
mod load;
mod paging;
mod pool;
mod pool_shared;
// Real slapd instances behind a pool: Unix only, like the other slapd tests.
#[cfg(unix)]
mod pool_slapd;
// dnsmasq and slapd behind a pool's DNS SRV URL: Unix only, feature `srv`.
#[cfg(all(unix, feature = "srv"))]
mod pool_srv;
// A client certificate rotated under a pool (slapd): Unix only.
#[cfg(unix)]
mod pool_rotation;
// Following referrals: what slapd cannot produce.
mod referral_scripted;
mod responses;
// slapd, its ldapi socket and the harness that runs it (peer credentials,
// file modes, /tmp) are Unix-only: these tests are built on Unix only, and
// elsewhere `slapd_tests_need_unix` below reports them as ignored.
#[cfg(unix)]
mod slapd_certs;
#[cfg(unix)]
mod slapd_controls;
#[cfg(unix)]
mod slapd_edges;
#[cfg(unix)]
mod slapd_harness;
#[cfg(unix)]
mod slapd_ops;
#[cfg(unix)]
mod slapd_ppolicy;
#[cfg(unix)]
mod slapd_referrals;
#[cfg(unix)]
mod slapd_responses;
#[cfg(unix)]
mod slapd_rotation;
#[cfg(unix)]
mod slapd_sync;
// DNS SRV discovery against dnsmasq (Debian's, Unix only), with the
// feature `srv`.
#[cfg(all(unix, feature = "srv"))]
mod srv;
mod support;
mod surface;

/// Stands for the slapd and 389-DS tests where they are not built, so that
/// a run says they were skipped instead of passing without them.
#[cfg(not(unix))]
#[test]
#[ignore = "the slapd, 389-DS and dnsmasq tests (cert_matrix, ds389_certs, ds389_harness, pool_rotation, pool_slapd, pool_srv, slapd_certs, slapd_controls, slapd_edges, slapd_harness, slapd_ops, slapd_ppolicy, slapd_referrals, slapd_responses, slapd_rotation, slapd_sync, srv) need Unix: slapd, 389-DS, ldapi sockets, dnsmasq; not built on this OS"]
fn slapd_tests_need_unix() {}
