//! DNS SRV discovery (RFC 2782): the servers behind `ldap:///dc=example,dc=com`.
//!
//! A URL without a host whose DN has `dc` components names a domain rather
//! than a server, as OpenLDAP's tools read it: `ldap:///dc=example,dc=com`
//! stands for the servers that `_ldap._tcp.example.com` lists in DNS, and
//! `ldaps:///dc=example,dc=com` for those of `_ldaps._tcp.example.com`.
//!
//! ```text
//!  LdapUrl ──srv_domain──▶ "example.com"
//!                              │
//!                SrvResolver::servers(domain, ldaps)
//!                              │  _ldap._tcp.example.com. SRV?   (hickory-resolver,
//!                              ▼                                  cached until the TTL)
//!                     [SrvRecord, ...]  ──order(records, rng)──▶  [SrvServer, ...]
//!                                          by priority, then         in the order
//!                                          weighted random           to try
//! ```
//!
//! - [`domain`]: the domain of a URL ([`srv_domain`]), always built.
//! - [`record`]: the records and the servers, always built.
//! - `order`: the RFC 2782 selection, a pure function of the records and a
//!   random source (feature `srv`).
//! - `resolver`: [`SrvResolver`], hickory-resolver and the TTL cache (feature
//!   `srv`); without the feature, a [`SrvResolver`] whose constructor says
//!   that the feature is off.

mod domain;
#[cfg(feature = "srv")]
mod order;
mod record;
#[cfg(feature = "srv")]
mod resolver;
#[cfg(not(feature = "srv"))]
mod unavailable;

pub(crate) use domain::srv_domain;
#[cfg(feature = "srv")]
pub(crate) use order::order;
pub(crate) use record::{SrvRecord, SrvServer};
#[cfg(feature = "srv")]
pub(crate) use resolver::SrvResolver;
#[cfg(not(feature = "srv"))]
pub(crate) use unavailable::SrvResolver;

#[cfg(test)]
mod tests;
