//! The `deadpool` manager: makes a connection (to the server the set's
//! strategy picks, bound as configured) and decides, at each checkout,
//! whether an idle one may be handed out again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use tracing::Instrument;

use crate::pool::bind::Bind;
use crate::pool::servers::{Failure, OpenGuard, Server, ServerSet};
use crate::{ConnConfig, Error, LdapConn, OpOptions, ServerFailure};

/// When an idle connection is retired or probed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Health {
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) probe_after: Option<Duration>,
    pub(crate) probe_timeout: Duration,
}

/// One connection of the pool and what the pool knows of it.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) conn: LdapConn,
    /// Its server.
    pub(crate) server: Arc<Server>,
    /// The connection's bind count once the pool had bound it: a higher
    /// count means a caller bound it again.
    binds: u64,
    /// When it was last handed back to the pool.
    pub(crate) returned: Instant,
    /// Keeps its server's count of open connections (for the
    /// fewest-connections strategy) while the slot lives.
    _open: OpenGuard,
}

impl Slot {
    /// Why this connection must not be handed out again, if it must not:
    /// it is closed (then its server is told it dropped a connection), or
    /// a caller bound it as someone else.
    pub(crate) fn unusable(&self, servers: &ServerSet) -> Option<&'static str> {
        if self.conn.is_closed() {
            servers.failed(&self.server, &self.conn.closed_error(), Failure::Drop);
            return Some("the connection is closed");
        }
        if self.conn.bind_count() != self.binds {
            tracing::debug!(
                server = self.server.url(),
                "discarding a pooled connection that its user bound again"
            );
            return Some("a user of the connection bound it again");
        }
        None
    }
}

/// Connects and recycles for the pool.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) config: ConnConfig,
    pub(crate) bind: Bind,
    pub(crate) servers: Arc<ServerSet>,
    pub(crate) health: Health,
    /// New connections being made now (the pool's own count of waiting
    /// callers includes theirs).
    pub(crate) connecting: AtomicUsize,
}

/// Counts a connection being made while it lives (also when the caller
/// gives up and the attempt is dropped).
struct Connecting<'a>(&'a AtomicUsize);

impl<'a> Connecting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Connecting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Manager {
    /// Connects to `server` and binds.
    async fn connect(&self, server: &Arc<Server>) -> Result<Slot, Error> {
        let conn = LdapConn::connect(server.url(), self.config.clone()).await?;
        self.bind.apply(&conn).await?;
        Ok(Slot {
            binds: conn.bind_count(),
            conn,
            server: Arc::clone(server),
            returned: Instant::now(),
            _open: ServerSet::opened(server),
        })
    }

    /// Asks the server who we are, within the probe timeout.
    async fn probe(&self, slot: &Slot) -> Result<(), Error> {
        let options = OpOptions::new().timeout(self.health.probe_timeout);
        slot.conn.with(options).whoami().await.map(drop)
    }
}

impl managed::Manager for Manager {
    type Type = Slot;
    type Error = Error;

    async fn create(&self) -> Result<Slot, Error> {
        let _connecting = Connecting::new(&self.connecting);
        let (candidates, mut failures) = self.servers.candidates().await;
        for server in candidates {
            let attempt = match self.servers.begin(&server) {
                Ok(a) => a,
                Err(skipped) => {
                    failures.push(skipped);
                    continue;
                }
            };
            let span = tracing::debug_span!("ldap_pool_connect", server = server.url());
            match self.connect(attempt.server()).instrument(span).await {
                Ok(slot) => {
                    attempt.succeeded();
                    return Ok(slot);
                }
                Err(e) => {
                    attempt.failed(&e);
                    failures.push(ServerFailure::tried(server.url(), e));
                }
            }
        }
        Err(Error::AllServersFailed(failures))
    }

    async fn recycle(&self, slot: &mut Slot, metrics: &Metrics) -> RecycleResult<Error> {
        if let Some(why) = slot.unusable(&self.servers) {
            return Err(RecycleError::message(why));
        }
        if let Some(max) = self.health.max_lifetime {
            if metrics.age() >= max {
                return Err(RecycleError::message(
                    "the connection reached its max lifetime",
                ));
            }
        }
        let idle = slot.returned.elapsed();
        if let Some(limit) = self.health.idle_timeout {
            if idle >= limit {
                return Err(RecycleError::message("the connection was idle too long"));
            }
        }
        if let Some(after) = self.health.probe_after {
            if idle >= after {
                if let Err(e) = self.probe(slot).await {
                    tracing::debug!(
                        server = slot.server.url(),
                        error = %e,
                        "an idle pooled connection failed its health check"
                    );
                    self.servers.failed(&slot.server, &e, Failure::Drop);
                    return Err(RecycleError::Backend(e));
                }
            }
        }
        Ok(())
    }
}
