//! The pool's servers: in which order they are tried, which are resting
//! after a failure (capped exponential backoff), and what each one last
//! did wrong.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::discovery::SrvResolver;
use crate::{Error, ServerFailure};

/// Which server of the set a new connection goes to. The connections a
/// pool already holds stay where they are until they are recycled (see
/// [`PoolBuilder::max_lifetime`](crate::PoolBuilder::max_lifetime)).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServerStrategy {
    /// The first server in the list that is not resting after a failure;
    /// the others are standbys. The default.
    #[default]
    Failover,
    /// Each new connection to the next server in turn (skipping the
    /// resting ones).
    RoundRobin,
    /// The server with the fewest connections of this pool open (the
    /// first of those in the list on a tie).
    FewestConnections,
}

/// How a server of the pool is doing, in [`ServerStatus`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    /// New connections may go to it.
    Up,
    /// It failed (to connect, to bind, or it dropped connections) and is
    /// not tried again for `retry_in`.
    Backoff {
        /// How long it still rests.
        retry_in: Duration,
    },
    /// Its rest is over: the next connection the pool needs tries it, one
    /// at a time, and its success puts it back [`Up`](Self::Up), its
    /// failure back to rest for twice as long (up to the cap).
    HalfOpen,
}

/// One server of the pool, in [`PoolStatus`](crate::PoolStatus).
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ServerStatus {
    /// The server's URL, as the pool was given it.
    pub url: String,
    /// Whether new connections may go to it.
    pub state: ServerState,
    /// The pool's connections to it that are open (idle or in use).
    pub connections: usize,
    /// Failures in a row (0 when it is up).
    pub consecutive_failures: u32,
    /// The last error it caused, even if it has recovered since.
    pub last_error: Option<Error>,
}

/// The most servers a set remembers before it forgets the unused ones that
/// DNS named (the URLs given are kept, and so is every server with an open
/// connection).
const MAX_KNOWN: usize = 256;

/// Capped exponential backoff: `base`, then twice as long after each
/// further failure in a row, never more than `max`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    pub(crate) base: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The rest after `failures` failures in a row (at least 1).
    pub(crate) fn after(self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

#[derive(Debug, Default)]
struct Health {
    failures: u32,
    /// `Some` while the server rests or is half-open.
    retry_at: Option<Instant>,
    /// A half-open trial is under way.
    trial: bool,
    last_error: Option<Error>,
}

/// One server: its URL, health and open connections.
#[derive(Debug)]
pub(crate) struct Server {
    url: String,
    health: Mutex<Health>,
    open: AtomicUsize,
}

impl Server {
    fn new(url: String) -> Self {
        Self {
            url,
            health: Mutex::default(),
            open: AtomicUsize::new(0),
        }
    }

    /// The server's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// Where the servers come from: a URL given to the builder, or a DNS SRV
/// name (`ldap:///dc=example,dc=com`) resolved when connections are made.
#[derive(Debug)]
pub(crate) enum Source {
    /// One server.
    Url(String),
    /// The servers of `_ldap._tcp.DOMAIN` (or `_ldaps._tcp`).
    Srv {
        /// The URL as given, for errors.
        url: String,
        domain: String,
        ldaps: bool,
    },
}

/// The servers of one pool and their health.
pub(crate) struct ServerSet {
    sources: Vec<Source>,
    /// Every server known so far, in the order first seen: the URLs given,
    /// then the ones DNS named.
    known: Mutex<Vec<Arc<Server>>>,
    resolver: Option<SrvResolver>,
    strategy: ServerStrategy,
    backoff: Backoff,
    turn: AtomicUsize,
}

impl std::fmt::Debug for ServerSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSet")
            .field("sources", &self.sources)
            .field("strategy", &self.strategy)
            .finish_non_exhaustive()
    }
}

/// Leave to try a server now; a half-open trial ends as a failure if it
/// is dropped unfinished (the caller gave up), so the server is not left
/// marked as being tried forever.
#[derive(Debug)]
pub(crate) struct Attempt<'a> {
    set: &'a ServerSet,
    server: Arc<Server>,
    done: bool,
}

impl Attempt<'_> {
    /// The server tried.
    pub(crate) fn server(&self) -> &Arc<Server> {
        &self.server
    }

    /// The server connected and bound.
    pub(crate) fn succeeded(mut self) {
        self.done = true;
        self.set.succeeded(&self.server);
    }

    /// The server failed with `error`.
    pub(crate) fn failed(mut self, error: &Error) {
        self.done = true;
        self.set.failed(&self.server, error, Failure::Connect);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.done {
            crate::sync::lock(&self.server.health).trial = false;
        }
    }
}

/// Counts one open connection to a server while it lives.
#[derive(Debug)]
pub(crate) struct OpenGuard {
    server: Arc<Server>,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.server.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a server did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// It could not be connected to, or the bind failed.
    Connect,
    /// It closed a connection of the pool, or left a health check
    /// unanswered.
    Drop,
}

impl ServerSet {
    /// A set over `sources`; `resolver` must be given when one of them is
    /// [`Source::Srv`].
    pub(crate) fn new(
        sources: Vec<Source>,
        resolver: Option<SrvResolver>,
        strategy: ServerStrategy,
        backoff: Backoff,
    ) -> Self {
        let known = sources
            .iter()
            .filter_map(|s| match s {
                Source::Url(url) => Some(Arc::new(Server::new(url.clone()))),
                Source::Srv { .. } => None,
            })
            .collect();
        Self {
            sources,
            known: Mutex::new(known),
            resolver,
            strategy,
            backoff,
            turn: AtomicUsize::new(0),
        }
    }

    /// The known server with `url`, added if new.
    pub(super) fn server(&self, url: &str) -> Arc<Server> {
        let mut known = crate::sync::lock(&self.known);
        if let Some(s) = known.iter().find(|s| s.url == url) {
            return Arc::clone(s);
        }
        if known.len() >= MAX_KNOWN {
            // DNS named many servers over time: forget those no connection
            // uses that were not given as URLs (their health with them).
            known.retain(|s| {
                s.open.load(Ordering::Acquire) > 0
                    || self
                        .sources
                        .iter()
                        .any(|src| matches!(src, Source::Url(u) if *u == s.url))
            });
        }
        let s = Arc::new(Server::new(url.to_owned()));
        known.push(Arc::clone(&s));
        s
    }

    /// The servers to try for a new connection, in the strategy's order
    /// (DNS SRV names resolved, from the resolver's cache while their TTL
    /// lasts, each in RFC 2782 order), and the SRV names that failed to
    /// resolve.
    pub(crate) async fn candidates(&self) -> (Vec<Arc<Server>>, Vec<ServerFailure>) {
        let mut list: Vec<Arc<Server>> = Vec::new();
        let mut failures = Vec::new();
        for source in &self.sources {
            match source {
                Source::Url(url) => list.push(self.server(url)),
                Source::Srv { url, domain, ldaps } => {
                    let Some(resolver) = &self.resolver else {
                        continue;
                    };
                    match resolver.servers(domain, *ldaps).await {
                        Ok(found) => {
                            let scheme = if *ldaps { "ldaps" } else { "ldap" };
                            for s in found {
                                let u = format!("{scheme}://{}:{}", s.host, s.port);
                                list.push(self.server(&u));
                            }
                        }
                        Err(e) => failures.push(ServerFailure::tried(url, e)),
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        list.retain(|s| seen.insert(s.url.clone()));
        let n = list.len();
        match self.strategy {
            ServerStrategy::Failover => {}
            ServerStrategy::RoundRobin => {
                let start = self.turn.fetch_add(1, Ordering::Relaxed) % n.max(1);
                list.rotate_left(start);
            }
            ServerStrategy::FewestConnections => {
                list.sort_by_key(|s| s.open.load(Ordering::Acquire));
            }
        }
        (list, failures)
    }

    /// Leave to try `server` now, or why not: it rests (for how long,
    /// after what), or another caller is making its half-open trial.
    pub(crate) fn begin(&self, server: &Arc<Server>) -> Result<Attempt<'_>, ServerFailure> {
        let mut h = crate::sync::lock(&server.health);
        if let Some(at) = h.retry_at {
            let now = Instant::now();
            if at > now {
                return Err(ServerFailure::skipped(
                    &server.url,
                    h.last_error.clone(),
                    Some(at - now),
                ));
            }
            if h.trial {
                return Err(ServerFailure::skipped(&server.url, None, None));
            }
            h.trial = true;
            tracing::info!(server = server.url, "trying a resting server again");
        }
        Ok(Attempt {
            set: self,
            server: Arc::clone(server),
            done: false,
        })
    }

    fn succeeded(&self, server: &Server) {
        let mut h = crate::sync::lock(&server.health);
        if h.retry_at.is_some() {
            tracing::info!(server = server.url, "server is back up");
        }
        h.failures = 0;
        h.retry_at = None;
        h.trial = false;
    }

    /// `server` failed to connect or bind, or dropped a connection: it
    /// rests, for twice as long as the last time if it was already
    /// failing. The connections it drops while resting are the same
    /// failure.
    pub(crate) fn failed(&self, server: &Server, error: &Error, what: Failure) {
        let mut h = crate::sync::lock(&server.health);
        h.last_error = Some(error.clone());
        if what == Failure::Drop && h.retry_at.is_some() {
            return;
        }
        h.failures = h.failures.saturating_add(1);
        let rest = self.backoff.after(h.failures);
        h.retry_at = Some(Instant::now() + rest);
        h.trial = false;
        tracing::warn!(
            server = server.url,
            reason = %error,
            failure = ?what,
            failures_in_a_row = h.failures,
            rest_ms = u64::try_from(rest.as_millis()).unwrap_or(u64::MAX),
            "pool server failed; resting it"
        );
    }

    /// Counts a new open connection to `server` until the guard drops.
    pub(crate) fn opened(server: &Arc<Server>) -> OpenGuard {
        server.open.fetch_add(1, Ordering::AcqRel);
        OpenGuard {
            server: Arc::clone(server),
        }
    }

    pub(crate) fn status(&self) -> Vec<ServerStatus> {
        let now = Instant::now();
        let known: Vec<Arc<Server>> = crate::sync::lock(&self.known).clone();
        known
            .iter()
            .map(|s| {
                let h = crate::sync::lock(&s.health);
                let state = match h.retry_at {
                    None => ServerState::Up,
                    Some(at) if at > now => ServerState::Backoff { retry_in: at - now },
                    Some(_) => ServerState::HalfOpen,
                };
                ServerStatus {
                    url: s.url.clone(),
                    state,
                    connections: s.open.load(Ordering::Acquire),
                    consecutive_failures: h.failures,
                    last_error: h.last_error.clone(),
                }
            })
            .collect()
    }
}
