//! [`SrvResolver`] in a build without the `srv` feature: it says so.

use std::net::SocketAddr;

use super::record::SrvServer;
use crate::error::Error;

/// Stands in for the resolver of the `srv` feature, so that callers build
/// either way: [`new`](Self::new) fails, saying how to turn it on.
pub(crate) struct SrvResolver {
    _private: (),
}

impl SrvResolver {
    /// Always [`Error::Config`]: this build has no DNS resolver.
    pub(crate) fn new(_nameserver: Option<SocketAddr>) -> Result<Self, Error> {
        Err(feature_off())
    }

    /// The same error as [`new`](Self::new) (no value of this type is
    /// made).
    pub(crate) async fn servers(
        &self,
        _domain: &str,
        _ldaps: bool,
    ) -> Result<Vec<SrvServer>, Error> {
        Err(feature_off())
    }
}

fn feature_off() -> Error {
    Error::Config(
        "DNS SRV discovery (ldap:///dc=... URLs) needs tokio-ldap's `srv` feature, which this build leaves out: enable it, or name the servers in the URL (ldap://host)".to_owned(),
    )
}
