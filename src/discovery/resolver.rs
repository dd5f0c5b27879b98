//! [`SrvResolver`]: SRV lookups through hickory-resolver, cached until the
//! records' TTL.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use tokio::time::Instant;

use super::order::order;
use super::record::{SrvRecord, SrvServer};
use crate::error::{DiscoveryFailure, Error};
use crate::sync::lock;

/// How long one DNS query waits for an answer by default (hickory's and
/// resolv.conf's default, 5 s, is long for a pool that waits on it).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a query is sent before it counts as timed out.
const DEFAULT_ATTEMPTS: usize = 2;

/// The longest a set of records is kept, whatever its TTL says.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The most domains cached at once; a pool asks for one or two.
const MAX_CACHED: usize = 64;

/// Finds the LDAP servers of a domain through DNS SRV records (RFC 2782).
///
/// Cheap to share (`&self` everywhere); the records of each query are kept
/// until their TTL (the smallest of the answer's records) has passed, then
/// asked for again, so a changed record is picked up within one TTL.
/// Failures are not cached: a call after a failure asks again (the calls
/// that were already waiting on the failed lookup take its error).
pub(crate) struct SrvResolver {
    resolver: TokioResolver,
    /// The DNS server(s) asked, as the errors name them.
    server: String,
    /// An upper bound on one lookup, whatever hickory does: every attempt
    /// of every name server timing out, and a second more.
    bound: Duration,
    cache: Mutex<HashMap<String, Cached>>,
    /// Held while a lookup runs (see [`records`](Self::records)).
    refresh: tokio::sync::Mutex<()>,
    /// The last lookup that failed, for the callers that waited on it.
    failure: Mutex<Option<Failure>>,
}

/// A failed lookup and when it ended.
struct Failure {
    query: String,
    error: Error,
    at: Instant,
}

/// The records of one query and until when they may be used.
struct Cached {
    records: Arc<[SrvRecord]>,
    until: Instant,
}

impl SrvResolver {
    /// A resolver that asks `nameserver` (UDP, then TCP for a truncated
    /// answer), or with `None` the system's name servers
    /// (`/etc/resolv.conf` on Unix, the registry on Windows).
    pub(crate) fn new(nameserver: Option<SocketAddr>) -> Result<Self, Error> {
        Self::with_timeout(nameserver, DEFAULT_TIMEOUT)
    }

    /// As [`new`](Self::new), with `timeout` for each attempt of a query
    /// (two attempts per name server).
    pub(crate) fn with_timeout(
        nameserver: Option<SocketAddr>,
        timeout: Duration,
    ) -> Result<Self, Error> {
        let (config, mut opts) = match nameserver {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut ns.connections {
                    connection.port = addr.port();
                }
                (
                    ResolverConfig::from_name_servers(vec![ns]),
                    ResolverOpts::default(),
                )
            }
            None => system_conf()?,
        };
        opts.timeout = timeout;
        opts.attempts = DEFAULT_ATTEMPTS;
        // This type caches the records itself, for exactly their TTL.
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        if config.name_servers().is_empty() {
            return Err(Error::Config(
                "DNS SRV discovery: the system's DNS configuration lists no name server: add one (a nameserver line of /etc/resolv.conf), or name the DNS server to ask".to_owned(),
            ));
        }
        let server = describe(nameserver, &config);
        let tries = u32::try_from(DEFAULT_ATTEMPTS.saturating_mul(config.name_servers().len()))
            .unwrap_or(u32::MAX);
        let bound = timeout
            .saturating_mul(tries)
            .saturating_add(Duration::from_secs(1));
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| {
                Error::Config(format!(
                    "DNS SRV discovery: cannot set up a resolver for {server}: {e}"
                ))
            })?;
        Ok(Self {
            resolver,
            server,
            bound,
            cache: Mutex::new(HashMap::new()),
            refresh: tokio::sync::Mutex::new(()),
            failure: Mutex::new(None),
        })
    }

    /// The DNS server asked, as errors name it: its address, or "the
    /// system's name servers (...)".
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// `_ldap._tcp.DOMAIN` (or `_ldaps._tcp.DOMAIN` when `ldaps`), in the
    /// order to try: by priority, weighted random within a priority
    /// (RFC 2782, see [`order`]); the records cached until their TTL, then
    /// re-resolved.
    ///
    /// Errors: [`Error::Discovery`] naming the query and the DNS server,
    /// with [`DiscoveryFailure`] saying why (NXDOMAIN, no SRV records, only
    /// a `.` target, a timeout, any other failure);
    /// [`Error::InvalidInput`] for a domain that is not a DNS name.
    pub(crate) async fn servers(&self, domain: &str, ldaps: bool) -> Result<Vec<SrvServer>, Error> {
        let service = if ldaps { "_ldaps" } else { "_ldap" };
        let domain = domain.trim_end_matches('.');
        let query = format!("{service}._tcp.{domain}");
        let records = self.records(&query).await?;
        let servers = order(&records, &mut rand::rng());
        if servers.is_empty() {
            return Err(self.error(
                &query,
                DiscoveryFailure::Unavailable,
                "the domain says the service is not available there (the SRV record's target is \".\"): name the servers in the URL (ldap://host) or ask the DNS administrator to publish them".to_owned(),
            ));
        }
        Ok(servers)
    }

    /// The records of `query`, from the cache while their TTL lasts.
    ///
    /// One lookup at a time: callers that miss the cache together wait for
    /// the first one's answer rather than each asking, and take its
    /// failure as their own when it ended after they came (so a dead DNS
    /// server costs each caller one timeout, not one per caller ahead).
    async fn records(&self, query: &str) -> Result<Arc<[SrvRecord]>, Error> {
        if let Some(records) = self.cached(query) {
            return Ok(records);
        }
        let arrived = Instant::now();
        let _one_at_a_time = self.refresh.lock().await;
        if let Some(records) = self.cached(query) {
            return Ok(records);
        }
        if let Some(failure) = lock(&self.failure).as_ref() {
            if failure.query == query && failure.at >= arrived {
                return Err(failure.error.clone());
            }
        }
        let (records, ttl) = match self.lookup(query).await {
            Ok(found) => found,
            Err(error) => {
                tracing::debug!(query, %error, "DNS SRV lookup failed");
                *lock(&self.failure) = Some(Failure {
                    query: query.to_owned(),
                    error: error.clone(),
                    at: Instant::now(),
                });
                return Err(error);
            }
        };
        tracing::debug!(
            query,
            server = %self.server,
            records = records.len(),
            ttl_secs = ttl.as_secs(),
            "DNS SRV records resolved"
        );
        let records: Arc<[SrvRecord]> = records.into();
        let mut cache = lock(&self.cache);
        let now = Instant::now();
        cache.retain(|_, c| c.until > now);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        if !ttl.is_zero() {
            cache.insert(
                query.to_owned(),
                Cached {
                    records: Arc::clone(&records),
                    until: now + ttl.min(MAX_TTL),
                },
            );
        }
        Ok(records)
    }

    /// The cached records of `query`, if their TTL has not passed.
    fn cached(&self, query: &str) -> Option<Arc<[SrvRecord]>> {
        lock(&self.cache)
            .get(query)
            .filter(|c| c.until > Instant::now())
            .map(|c| Arc::clone(&c.records))
    }

    /// Asks DNS for the SRV records of `query`: the records and the
    /// smallest TTL among them.
    async fn lookup(&self, query: &str) -> Result<(Vec<SrvRecord>, Duration), Error> {
        let name = Name::from_utf8(format!("{query}.")).map_err(|e| {
            Error::InvalidInput(format!("DNS SRV discovery: {query} is not a DNS name: {e}"))
        })?;
        self.resolver
            .clear_lookup_cache(name.clone(), RecordType::SRV);
        let lookup = match tokio::time::timeout(self.bound, self.resolver.srv_lookup(name)).await {
            Ok(Ok(lookup)) => lookup,
            Ok(Err(e)) => return Err(self.lookup_error(query, &e)),
            Err(_) => return Err(self.timeout(query)),
        };
        let mut ttl = u32::MAX;
        let mut records = Vec::new();
        for record in lookup.answers() {
            let RData::SRV(srv) = &record.data else {
                continue;
            };
            ttl = ttl.min(record.ttl);
            let target = if srv.target.is_root() {
                String::new()
            } else {
                srv.target.to_ascii().trim_end_matches('.').to_owned()
            };
            records.push(SrvRecord {
                priority: srv.priority,
                weight: srv.weight,
                port: srv.port,
                target,
            });
        }
        if records.is_empty() {
            return Err(self.error(query, DiscoveryFailure::NoRecords, no_records_reason()));
        }
        Ok((records, Duration::from_secs(u64::from(ttl))))
    }

    fn lookup_error(&self, query: &str, e: &NetError) -> Error {
        if e.is_nx_domain() {
            return self.error(
                query,
                DiscoveryFailure::NxDomain,
                "the name does not exist (NXDOMAIN): check the domain, which comes from the URL's dc= components (ldap:///dc=example,dc=com asks for _ldap._tcp.example.com), or ask the DNS administrator to publish the SRV records".to_owned(),
            );
        }
        match e {
            NetError::Dns(DnsError::NoRecordsFound(no))
                if no.response_code == ResponseCode::NoError =>
            {
                self.error(query, DiscoveryFailure::NoRecords, no_records_reason())
            }
            NetError::Dns(DnsError::NoRecordsFound(no)) => {
                self.error(query, DiscoveryFailure::Failed, answered(no.response_code))
            }
            NetError::Dns(DnsError::ResponseCode(code)) => {
                self.error(query, DiscoveryFailure::Failed, answered(*code))
            }
            NetError::Timeout => self.timeout(query),
            NetError::Proto(e) => self.error(
                query,
                DiscoveryFailure::Failed,
                format!("the answer does not parse ({e}): check that this address is a DNS server"),
            ),
            other => self.error(
                query,
                DiscoveryFailure::Failed,
                format!(
                    "the query failed: {other}: check that the DNS server runs and can be reached"
                ),
            ),
        }
    }

    fn timeout(&self, query: &str) -> Error {
        self.error(
            query,
            DiscoveryFailure::Timeout,
            format!(
                "no answer within {:?}: check that the DNS server runs and can be reached over UDP and TCP",
                self.bound
            ),
        )
    }

    fn error(&self, query: &str, kind: DiscoveryFailure, reason: String) -> Error {
        Error::Discovery {
            kind,
            query: query.to_owned(),
            server: self.server.clone(),
            reason,
        }
    }
}

/// The reason for an error answer: its name and number.
fn answered(code: ResponseCode) -> String {
    format!(
        "the DNS server answered {code} (RCODE {}): check that it serves this domain (or forwards to one that does)",
        u16::from(code)
    )
}

fn no_records_reason() -> String {
    "the name has no SRV records: publish them (e.g. `_ldap._tcp.example.com. 300 IN SRV 10 50 389 ldap1.example.com.`) or name the servers in the URL (ldap://host)".to_owned()
}

/// The system's DNS configuration.
#[cfg(any(unix, windows))]
fn system_conf() -> Result<(ResolverConfig, ResolverOpts), Error> {
    hickory_resolver::system_conf::read_system_conf().map_err(|e| {
        Error::Config(format!(
            "DNS SRV discovery: cannot read the system's DNS configuration: {e}: fix it, or name the DNS server to ask"
        ))
    })
}

#[cfg(not(any(unix, windows)))]
fn system_conf() -> Result<(ResolverConfig, ResolverOpts), Error> {
    Err(Error::Config(
        "DNS SRV discovery: this platform's DNS configuration cannot be read: name the DNS server to ask".to_owned(),
    ))
}

/// How errors name the DNS server: its address, or the system's name
/// servers.
fn describe(nameserver: Option<SocketAddr>, config: &ResolverConfig) -> String {
    if let Some(addr) = nameserver {
        return addr.to_string();
    }
    let servers: Vec<String> = config
        .name_servers()
        .iter()
        .map(|ns| {
            let port = ns.connections.first().map_or(53, |c| c.port);
            SocketAddr::new(ns.ip, port).to_string()
        })
        .collect();
    format!("the system's name servers ({})", servers.join(", "))
}
