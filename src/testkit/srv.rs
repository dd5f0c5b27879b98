//! The pool's DNS SRV discovery, opened for the crate's own integration
//! tests (`tests/api/srv.rs`, against dnsmasq): what servers a
//! `ldap:///dc=...` URL stands for, in the order the pool would try them.
//! Not a stable API.

use std::net::SocketAddr;
use std::time::Duration;

use crate::discovery::{srv_domain, SrvResolver};
use crate::proto::url::LdapUrl;
use crate::Error;

/// The pool's SRV resolver, asking one DNS server.
pub struct SrvLookup {
    resolver: SrvResolver,
}

impl SrvLookup {
    /// A resolver that asks `nameserver`, each attempt of a query waiting
    /// at most `timeout`.
    pub fn new(nameserver: SocketAddr, timeout: Duration) -> Result<Self, Error> {
        Ok(Self {
            resolver: SrvResolver::with_timeout(Some(nameserver), timeout)?,
        })
    }

    /// `(host, port)` of the servers of `_ldap._tcp.DOMAIN` (or
    /// `_ldaps._tcp.DOMAIN`), in the order to try them.
    pub async fn servers(&self, domain: &str, ldaps: bool) -> Result<Vec<(String, u16)>, Error> {
        let servers = self.resolver.servers(domain, ldaps).await?;
        Ok(servers.into_iter().map(|s| (s.host, s.port)).collect())
    }
}

/// The domain of a host-less URL whose DN has `dc` components
/// (`ldap:///dc=example,dc=com` gives `example.com`); `None` for any other
/// URL, or for one that does not parse.
pub fn url_domain(url: &str) -> Option<String> {
    srv_domain(&LdapUrl::parse(url).ok()?)
}
