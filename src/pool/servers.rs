//! The pool's servers: in which order they are tried, which are resting
//! after a failure (capped exponential backoff), and what each one last
//! did wrong.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

#[derive(Debug)]
struct Server {
    url: String,
    health: Mutex<Health>,
    open: AtomicUsize,
}

/// The servers of one pool and their health.
#[derive(Debug)]
pub(crate) struct ServerSet {
    servers: Vec<Server>,
    strategy: ServerStrategy,
    backoff: Backoff,
    turn: AtomicUsize,
}

/// Leave to try a server now; a half-open trial ends as a failure if it
/// is dropped unfinished (the caller gave up), so the server is not left
/// marked as being tried forever.
#[derive(Debug)]
pub(crate) struct Attempt<'a> {
    set: &'a ServerSet,
    index: usize,
    done: bool,
}

impl Attempt<'_> {
    /// The server connected and bound.
    pub(crate) fn succeeded(mut self) {
        self.done = true;
        self.set.succeeded(self.index);
    }

    /// The server failed with `error`.
    pub(crate) fn failed(mut self, error: &Error) {
        self.done = true;
        self.set.failed(self.index, error, "connect");
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Some(s) = self.set.servers.get(self.index) {
                crate::sync::lock(&s.health).trial = false;
            }
        }
    }
}

/// Counts one open connection to a server while it lives.
#[derive(Debug)]
pub(crate) struct OpenGuard {
    set: Arc<ServerSet>,
    index: usize,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if let Some(s) = self.set.servers.get(self.index) {
            s.open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl ServerSet {
    pub(crate) fn new(urls: Vec<String>, strategy: ServerStrategy, backoff: Backoff) -> Self {
        let servers = urls
            .into_iter()
            .map(|url| Server {
                url,
                health: Mutex::default(),
                open: AtomicUsize::new(0),
            })
            .collect();
        Self {
            servers,
            strategy,
            backoff,
            turn: AtomicUsize::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.servers.len()
    }

    pub(crate) fn url(&self, index: usize) -> &str {
        self.servers.get(index).map_or("", |s| s.url.as_str())
    }

    /// The servers in the order the strategy tries them for a new
    /// connection.
    pub(crate) fn order(&self) -> Vec<usize> {
        let n = self.servers.len();
        match self.strategy {
            ServerStrategy::Failover => (0..n).collect(),
            ServerStrategy::RoundRobin => {
                let start = self.turn.fetch_add(1, Ordering::Relaxed) % n.max(1);
                (start..n).chain(0..start).collect()
            }
            ServerStrategy::FewestConnections => {
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by_key(|&i| {
                    self.servers
                        .get(i)
                        .map_or(usize::MAX, |s| s.open.load(Ordering::Acquire))
                });
                order
            }
        }
    }

    /// Leave to try server `index` now, or why not: it rests (for how
    /// long, after what), or another caller is making its half-open trial.
    pub(crate) fn begin(&self, index: usize) -> Result<Attempt<'_>, ServerFailure> {
        let Some(server) = self.servers.get(index) else {
            return Err(ServerFailure::skipped("(no such server)", None, None));
        };
        let mut h = crate::sync::lock(&server.health);
        if let Some(at) = h.retry_at {
            let now = Instant::now();
            if at > now {
                return Err(ServerFailure::skipped(
                    self.url(index),
                    h.last_error.clone(),
                    Some(at - now),
                ));
            }
            if h.trial {
                return Err(ServerFailure::skipped(self.url(index), None, None));
            }
            h.trial = true;
            tracing::info!(server = self.url(index), "trying a resting server again");
        }
        Ok(Attempt {
            set: self,
            index,
            done: false,
        })
    }

    fn succeeded(&self, index: usize) {
        let Some(server) = self.servers.get(index) else {
            return;
        };
        let mut h = crate::sync::lock(&server.health);
        if h.retry_at.is_some() {
            tracing::info!(server = self.url(index), "server is back up");
        }
        h.failures = 0;
        h.retry_at = None;
        h.trial = false;
    }

    /// Server `index` failed to connect or bind (`what` = "connect"), or
    /// dropped a connection ("drop"): it rests, for twice as long as the
    /// last time if it was already failing.
    pub(crate) fn failed(&self, index: usize, error: &Error, what: &'static str) {
        let Some(server) = self.servers.get(index) else {
            return;
        };
        let mut h = crate::sync::lock(&server.health);
        h.last_error = Some(error.clone());
        if what == "drop" && h.retry_at.is_some() {
            // Already resting: the other connections it drops now are the
            // same failure.
            return;
        }
        h.failures = h.failures.saturating_add(1);
        let rest = self.backoff.after(h.failures);
        h.retry_at = Some(Instant::now() + rest);
        h.trial = false;
        tracing::warn!(
            server = self.url(index),
            reason = %error,
            failure = what,
            failures_in_a_row = h.failures,
            rest_ms = u64::try_from(rest.as_millis()).unwrap_or(u64::MAX),
            "pool server failed; resting it"
        );
    }

    /// Counts a new open connection to `index` until the guard drops.
    pub(crate) fn opened(self: &Arc<Self>, index: usize) -> OpenGuard {
        if let Some(s) = self.servers.get(index) {
            s.open.fetch_add(1, Ordering::AcqRel);
        }
        OpenGuard {
            set: Arc::clone(self),
            index,
        }
    }

    pub(crate) fn status(&self) -> Vec<ServerStatus> {
        let now = Instant::now();
        self.servers
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
