//! Shared test support: the crate's test PKI and scripted server
//! (`tokio_ldap::testkit`, seen as tests want them), throwaway slapd
//! instances and shared 389 Directory Server instances.
//!
//! Also included by the benches and examples (via `#[path]`), so not every
//! item (nor every re-export) is used by every target: hence `dead_code` and
//! `unused_imports`. The items are `pub` for those other crates, which makes
//! them "unreachable" from this binary's root.
#![allow(dead_code, unused_imports, unreachable_pub)]

// dnsmasq, the DNS server of the SRV discovery tests: Debian's, Unix only.
#[cfg(unix)]
pub mod dnsmasq;
pub mod pki;
pub mod pool;
pub mod server;
pub mod spans;
// slapd runs on Unix only (ldapi socket, peer credentials, file modes).
#[cfg(unix)]
pub mod slapd;
// 389-DS, like slapd: Unix only (and root: it lives in /etc/dirsrv).
#[cfg(unix)]
pub mod ds389;
