//! Integration tests for tokio-ldap, run against real servers (throwaway
//! OpenLDAP slapd instances; see `support/slapd.rs` and
//! `scripts/install-test-deps`).

mod driver;
mod hostile;
mod load;
mod slapd_certs;
mod slapd_harness;
mod slapd_ops;
mod support;
