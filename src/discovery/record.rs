//! What discovery works on: SRV records as DNS gives them, and the servers
//! to try that the selection makes of them.

use std::fmt;

/// One SRV record (RFC 2782): `_ldap._tcp.example.com. 300 IN SRV
/// priority weight port target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SrvRecord {
    /// Lower is tried first.
    pub(crate) priority: u16,
    /// Within one priority, the share of the choices this record gets;
    /// 0: "very small chance of being selected" (RFC 2782).
    pub(crate) weight: u16,
    /// The TCP port of the server.
    pub(crate) port: u16,
    /// The server's host name, without the trailing dot; empty for the
    /// target `.`, which says that the service is not available.
    pub(crate) target: String,
}

impl SrvRecord {
    /// Whether the target is `.`: "the service is decidedly not available
    /// at this domain" (RFC 2782).
    pub(crate) fn is_unavailable(&self) -> bool {
        self.target.is_empty()
    }
}

/// A server that DNS listed, to connect to: `host` (a name, without the
/// trailing dot) and `port`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SrvServer {
    /// The host name from the record's target.
    pub(crate) host: String,
    /// The port from the record.
    pub(crate) port: u16,
}

impl fmt::Display for SrvServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}
