//! [`PoolBuilder`]: the servers, identity, size, timeouts and health rules
//! of an [`LdapPool`].

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{Pool, QueueMode};
use deadpool::Runtime;

use crate::discovery::{srv_domain, SrvResolver};
use crate::pool::bind::Bind;
use crate::pool::handle::LdapPool;
use crate::pool::manager::{Health, Manager};
use crate::pool::servers::{Backoff, ServerSet, ServerStrategy, Source};
use crate::pool::shared::{SharePolicy, Sharing};
use crate::proto::url::{LdapUrl, Scheme};
use crate::{ConnConfig, Error};

/// Builds an [`LdapPool`]; from [`LdapPool::builder`].
///
/// The defaults: no bind, 16 connections at most, failover in the order
/// given, a 30 s wait for a free connection, no max lifetime, idle
/// connections closed after 10 minutes and asked "Who am I?" (within 5 s)
/// before reuse after 30 s, and servers that fail rested for 250 ms,
/// doubling up to 30 s.
#[derive(Debug)]
#[must_use]
pub struct PoolBuilder {
    urls: String,
    config: ConnConfig,
    bind: Bind,
    max_size: usize,
    max_sharers: usize,
    share_policy: SharePolicy,
    strategy: ServerStrategy,
    wait_timeout: Option<Duration>,
    health: Health,
    backoff: Backoff,
    dns_server: Option<SocketAddr>,
}

impl LdapPool {
    /// A builder for a pool over `urls`: one URL or several separated by
    /// spaces (`ldap://`, `ldaps://`, `ldapi://`), each a server of the
    /// set. A URL without a host whose DN has `dc` components,
    /// `ldap:///dc=example,dc=com` or `ldaps:///dc=example,dc=com`, stands
    /// for the servers DNS lists under `_ldap._tcp.example.com` (or
    /// `_ldaps._tcp.example.com`; RFC 2782, feature `srv`): they are tried
    /// by priority, then weighted at random within a priority, and
    /// looked up again once their records' TTL has passed. Every connection is made with `config` (so a
    /// [`QueryClientCert`](crate::QueryClientCert) or
    /// [`ClientCertSource`](crate::tls::ClientCertSource) in it runs for
    /// each new connection, and a rotated certificate is picked up without
    /// a restart).
    ///
    /// ```no_run
    /// use tokio_ldap::{Bind, ConnConfig, LdapPool, ServerStrategy};
    ///
    /// # async fn f() -> Result<(), tokio_ldap::Error> {
    /// let config = ConnConfig::new().ca_file("ca.pem");
    /// let pool = LdapPool::builder("ldaps://ldap1.example.com ldaps://ldap2.example.com", config)
    ///     .bind(Bind::simple("cn=app,dc=example,dc=com", "secret"))
    ///     .strategy(ServerStrategy::RoundRobin)
    ///     .max_size(16)
    ///     .build()?;
    /// let conn = pool.get().await?;
    /// println!("{:?}", conn.whoami().await?);
    /// # Ok(()) }
    /// ```
    pub fn builder(urls: &str, config: ConnConfig) -> PoolBuilder {
        PoolBuilder {
            urls: urls.to_owned(),
            config,
            bind: Bind::None,
            max_size: 16,
            max_sharers: 8,
            share_policy: SharePolicy::Spread,
            strategy: ServerStrategy::Failover,
            wait_timeout: Some(Duration::from_secs(30)),
            health: Health {
                max_lifetime: None,
                idle_timeout: Some(Duration::from_secs(600)),
                probe_after: Some(Duration::from_secs(30)),
                probe_timeout: Duration::from_secs(5),
            },
            backoff: Backoff {
                base: Duration::from_millis(250),
                max: Duration::from_secs(30),
            },
            dns_server: None,
        }
    }
}

impl PoolBuilder {
    /// How each new connection is bound before it is handed out (default
    /// [`Bind::None`]).
    pub fn bind(mut self, b: Bind) -> Self {
        self.bind = b;
        self
    }

    /// The most connections open at once (default 16; at least 1).
    pub fn max_size(mut self, n: usize) -> Self {
        self.max_size = n;
        self
    }

    /// The most callers of [`LdapPool::get_shared`] that use one
    /// connection at once (default 8; at least 1).
    pub fn max_sharers(mut self, n: usize) -> Self {
        self.max_sharers = n;
        self
    }

    /// How [`LdapPool::get_shared`] places its callers: a connection each
    /// while there are connections to give, then shared
    /// ([`SharePolicy::Spread`], the default), or seated on the lent
    /// connections up to `max_sharers` before another is opened
    /// ([`SharePolicy::Fill`]).
    ///
    /// ```
    /// use tokio_ldap::{ConnConfig, LdapPool, SharePolicy};
    ///
    /// // 64 callers of get_shared use at most 8 connections of 8 callers.
    /// let pool = LdapPool::builder("ldap://ldap.example.com", ConnConfig::new())
    ///     .max_size(16)
    ///     .max_sharers(8)
    ///     .share_policy(SharePolicy::Fill)
    ///     .build()?;
    /// # Ok::<(), tokio_ldap::Error>(())
    /// ```
    pub fn share_policy(mut self, p: SharePolicy) -> Self {
        self.share_policy = p;
        self
    }

    /// Which server a new connection goes to (default
    /// [`ServerStrategy::Failover`]).
    pub fn strategy(mut self, s: ServerStrategy) -> Self {
        self.strategy = s;
        self
    }

    /// How long [`LdapPool::get`] waits for a connection when all are in
    /// use (default 30 s); `None` waits as long as it takes. Waiting
    /// callers are served in the order they came.
    pub fn wait_timeout(mut self, t: Option<Duration>) -> Self {
        self.wait_timeout = t;
        self
    }

    /// Connections older than this are closed instead of being handed out
    /// again (default: no limit). Also how connections move back to a
    /// preferred server after a failover.
    pub fn max_lifetime(mut self, t: Option<Duration>) -> Self {
        self.health.max_lifetime = t;
        self
    }

    /// Idle connections are closed after this long unused (default 10
    /// minutes), when a checkout next looks (at most once a second).
    pub fn idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.health.idle_timeout = t;
        self
    }

    /// A connection idle at least this long is asked "Who am I?" before it
    /// is handed out, and discarded if the answer does not come within
    /// `timeout` (default: after 30 s idle, within 5 s); `None` never asks.
    pub fn health_check(mut self, after_idle: Option<Duration>, timeout: Duration) -> Self {
        self.health.probe_after = after_idle;
        self.health.probe_timeout = timeout;
        self
    }

    /// A server that fails to connect or bind, or drops a connection,
    /// rests for `base`, then twice as long after each further failure in
    /// a row, at most `max` (default 250 ms to 30 s); then it is tried
    /// again by one connection (half-open).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = Backoff {
            base,
            max: max.max(base),
        };
        self
    }

    /// The DNS server that resolves DNS SRV URLs (default: the system's
    /// name servers).
    pub fn dns_server(mut self, addr: SocketAddr) -> Self {
        self.dns_server = Some(addr);
        self
    }

    /// Checks the settings and makes the pool. Connects to nothing yet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for URLs that do not parse, an empty list, a
    /// URL with neither a host nor a `dc=` domain, a `max_size` or `max_sharers` of 0, or a
    /// bind password that is not UTF-8; [`Error::Config`] for a DNS SRV URL
    /// in a build without the `srv` feature, or when no DNS server is
    /// configured.
    pub fn build(self) -> Result<LdapPool, Error> {
        let parsed = if self.urls.trim().is_empty() {
            Vec::new()
        } else {
            LdapUrl::parse_list(&self.urls)
                .map_err(|e| Error::InvalidInput(format!("the pool's URLs: {e}")))?
        };
        if parsed.is_empty() {
            return Err(Error::InvalidInput(
                "the pool was given no LDAP URL: give one or more, separated by spaces".into(),
            ));
        }
        let mut sources = Vec::with_capacity(parsed.len());
        for u in &parsed {
            if let Some(domain) = srv_domain(u) {
                sources.push(Source::Srv {
                    url: u.to_string(),
                    domain,
                    ldaps: u.scheme() == Scheme::Ldaps,
                });
            } else if u.host().is_empty() && u.scheme() != Scheme::Ldapi {
                return Err(Error::InvalidInput(format!(
                    "the pool's URL {u} names no host and no dc= domain to look up in DNS: write ldap://HOST or ldap:///dc=example,dc=com"
                )));
            } else {
                sources.push(Source::Url(u.to_string()));
            }
        }
        if self.max_size == 0 {
            return Err(Error::InvalidInput(
                "the pool's max_size must be at least 1".into(),
            ));
        }
        if self.max_sharers == 0 {
            return Err(Error::InvalidInput(
                "the pool's max_sharers must be at least 1".into(),
            ));
        }
        self.bind.check()?;
        let resolver = if sources.iter().any(|s| matches!(s, Source::Srv { .. })) {
            Some(SrvResolver::new(self.dns_server)?)
        } else {
            None
        };
        let servers = Arc::new(ServerSet::new(
            sources,
            resolver,
            self.strategy,
            self.backoff,
        ));
        let manager = Manager {
            config: self.config,
            bind: self.bind,
            servers: Arc::clone(&servers),
            health: self.health,
            connecting: AtomicUsize::new(0),
        };
        let pool = Pool::builder(manager)
            .max_size(self.max_size)
            .wait_timeout(self.wait_timeout)
            .queue_mode(QueueMode::Lifo)
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| Error::Config(format!("cannot make the connection pool: {e}")))?;
        Ok(LdapPool::from_parts(
            pool,
            servers,
            Sharing::new(
                self.max_sharers,
                self.share_policy,
                self.health.max_lifetime,
            ),
            self.wait_timeout,
            self.health.idle_timeout,
        ))
    }
}
