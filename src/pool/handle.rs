//! [`LdapPool`]: lending connections, to one caller ([`PooledConn`]) or
//! to several at once ([`SharedConn`]), and what it reports of itself
//! ([`PoolStatus`]).

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::{Pool, PoolError, TimeoutType};
use tracing::Instrument;

use crate::pool::lent::PooledConn;
use crate::pool::manager::Manager;
use crate::pool::servers::{ServerSet, ServerStatus};
use crate::pool::shared::{SharePolicy, SharedConn, Sharing};
use crate::Error;

/// How often, at most, a checkout looks for idle connections past their
/// idle timeout to close.
const REAP_EVERY: Duration = Duration::from_secs(1);

/// A pool of LDAP connections to one server or a set of them, each
/// connected with the pool's [`ConnConfig`](crate::ConnConfig) and bound
/// as its [`Bind`](crate::Bind) says before it is handed out. Cheap to
/// clone (`Clone + Send + Sync`); the clones share the pool. Made with
/// [`LdapPool::builder`]; see the crate docs, "Running in a service".
///
/// [`get`](Self::get) lends a connection ([`PooledConn`], which derefs
/// to [`LdapConn`](crate::LdapConn)); dropping it gives it back. Callers that find every
/// connection in use wait, first come first served, for at most the wait
/// timeout.
///
/// # What is never handed out
///
/// - A closed connection (EOF, reset, Notice of Disconnection, a fatal
///   protocol error: [`LdapConn::is_closed`](crate::LdapConn::is_closed)); its server is put to rest as
///   if it had failed to connect.
/// - A connection that a caller bound again (with any bind method, as
///   anyone, even as the same identity): it is **discarded** when it is
///   given back, and closed once the last handle of it is gone. The pool
///   does not re-bind it: the next caller gets a connection that only the
///   pool has bound. Clones of the [`LdapConn`](crate::LdapConn) taken from a
///   [`PooledConn`] share the connection: do not keep them past the
///   `PooledConn`.
/// - A connection older than the max lifetime or idle longer than the idle
///   timeout; one idle longer than the health-check time is first asked
///   "Who am I?" and discarded if that fails.
///
/// Built on the `deadpool` crate; none of its types is part of this API.
#[derive(Clone)]
pub struct LdapPool {
    pool: Pool<Manager>,
    shared: Arc<Shared>,
}

/// What the clones of a pool share besides `deadpool`'s pool.
struct Shared {
    servers: Arc<ServerSet>,
    sharing: Arc<Sharing>,
    wait_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    last_reap: Mutex<Instant>,
}

impl fmt::Debug for LdapPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LdapPool")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl LdapPool {
    /// The pool over `pool`, whose manager holds `servers`.
    pub(crate) fn from_parts(
        pool: Pool<Manager>,
        servers: Arc<ServerSet>,
        sharing: Sharing,
        wait_timeout: Option<Duration>,
        idle_timeout: Option<Duration>,
    ) -> Self {
        Self {
            pool,
            shared: Arc::new(Shared {
                servers,
                sharing: Arc::new(sharing),
                wait_timeout,
                idle_timeout,
                last_reap: Mutex::new(Instant::now()),
            }),
        }
    }

    /// Lends a connection: an idle one that passes the checks above, or a
    /// new one, connected to the server the strategy picks (the next one
    /// when that fails) and bound.
    ///
    /// # Errors
    ///
    /// - [`Error::PoolTimeout`] when all connections stay in use for the
    ///   wait timeout;
    /// - [`Error::AllServersFailed`] when a new connection was needed and no
    ///   server gave one: each server with the reason (its connect or bind
    ///   error, or how long it still rests after failing).
    pub async fn get(&self) -> Result<PooledConn, Error> {
        let span = tracing::debug_span!("ldap_pool_checkout");
        async {
            self.reap_idle();
            match self.pool.get().await {
                Ok(obj) => Ok(PooledConn::new(obj, Arc::clone(&self.shared.servers))),
                Err(e) => Err(self.pool_error(e)),
            }
        }
        .instrument(span)
        .await
    }

    /// Lends a connection that other callers of `get_shared` may use at
    /// the same time: one LDAP connection runs many operations at once,
    /// so a service whose callers all act as the pool's identity gets more
    /// operations per second from fewer sockets, and from the server, than
    /// with one caller per connection (see `BENCHMARKS.md`, "Pool").
    ///
    /// The pool spreads first: while it has an idle connection or room
    /// for a new one, a caller gets a connection no one else uses; once
    /// all `max_size` are lent, callers share them, at most
    /// [`PoolBuilder::max_sharers`](crate::PoolBuilder::max_sharers) on
    /// one (default 8), the least used first, and wait (up to the wait
    /// timeout) when every one is full. A connection lent shared goes back
    /// to the pool when its last user drops it; while callers of
    /// [`get`](Self::get) wait, lent connections take no new users, so
    /// they go back and serve those callers in turn.
    ///
    /// The identity is the pool's [`Bind`](crate::Bind): binding a shared
    /// connection fails with [`Error::InvalidInput`] (take one from
    /// [`get`](Self::get) to bind as someone else). A connection found
    /// closed, or past the max lifetime, takes no new users and is
    /// discarded when the last one is done.
    ///
    /// ```no_run
    /// # async fn f(pool: tokio_ldap::LdapPool) -> Result<(), tokio_ldap::Error> {
    /// let conn = pool.get_shared().await?;
    /// println!("{:?}", conn.whoami().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get): [`Error::PoolTimeout`] when no seat became
    /// free within the wait timeout, [`Error::AllServersFailed`] when a new
    /// connection was needed, none could be made and no lent connection
    /// had room.
    pub async fn get_shared(&self) -> Result<SharedConn, Error> {
        let span = tracing::debug_span!("ldap_pool_checkout", shared = true);
        let seat = self.find_seat().instrument(span);
        match self.shared.wait_timeout {
            None => seat.await,
            Some(t) => tokio::time::timeout(t, seat)
                .await
                .unwrap_or_else(|_| Err(self.pool_error(PoolError::Timeout(TimeoutType::Wait)))),
        }
    }

    async fn find_seat(&self) -> Result<SharedConn, Error> {
        let sharing = &self.shared.sharing;
        let fill = sharing.policy == SharePolicy::Fill;
        // Counted as looking for a seat once a first look found none
        // (fill first only).
        let mut seeking = None;
        loop {
            let freed = sharing.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let mut opening = None;
            let ready = match self.readiness() {
                Readiness::Fresh if !fill => true,
                Readiness::Fresh => {
                    if let Some(seat) = sharing.join() {
                        return Ok(seat);
                    }
                    seeking.get_or_insert_with(|| sharing.seeking());
                    match sharing.claim_open() {
                        Some(claim) => {
                            opening = Some(claim);
                            true
                        }
                        None => {
                            // The connections being opened will seat this
                            // caller; wait for one of them.
                            freed.await;
                            continue;
                        }
                    }
                }
                Readiness::Share => match sharing.join() {
                    Some(seat) => return Ok(seat),
                    None => false,
                },
                Readiness::Queue => false,
            };
            let queued = sharing.queued();
            let got = if ready {
                // An idle connection or a new one: not raced against a
                // seat, so a connect in progress is never thrown away.
                self.get().await
            } else {
                tokio::select! {
                    () = &mut freed => continue,
                    got = self.get() => got,
                }
            };
            drop(queued);
            let seat = match got {
                Ok(conn) => Ok(sharing.open(conn)),
                // No new connection: a seat on a lent one will do.
                Err(e) => sharing.join().ok_or(e),
            };
            // The callers waiting on this connection look again.
            drop(opening);
            return seat;
        }
    }

    /// New connections being made now.
    fn connecting(&self) -> usize {
        self.pool.manager().connecting.load(Ordering::Acquire)
    }

    /// What a caller of `get_shared` should do now.
    fn readiness(&self) -> Readiness {
        let s = self.pool.status();
        // The pool's users: callers holding a connection of their own,
        // being given one, or waiting for one.
        let users = (s.size + s.waiting).saturating_sub(s.available);
        if users < s.max_size {
            // Spread first: an idle connection, or room for a new one.
            return Readiness::Fresh;
        }
        let exclusive_waiting = s
            .waiting
            .saturating_sub(self.connecting())
            .saturating_sub(self.shared.sharing.queued_now());
        if exclusive_waiting > 0 {
            // Callers of get() wait: the lent connections take no new
            // users, go back when their users are done and serve them.
            Readiness::Queue
        } else {
            Readiness::Share
        }
    }

    fn pool_error(&self, e: PoolError<Error>) -> Error {
        match e {
            PoolError::Backend(e) => e,
            PoolError::Timeout(TimeoutType::Wait) => Error::PoolTimeout {
                waited: self.shared.wait_timeout.unwrap_or_default(),
                max_size: self.pool.status().max_size,
            },
            PoolError::Closed => Error::Closed("the connection pool is closed".into()),
            other => Error::Config(format!("the connection pool failed: {other}")),
        }
    }

    /// Closes the idle connections past the idle timeout, at most once per
    /// [`REAP_EVERY`] (no timer task: the checkouts do it).
    fn reap_idle(&self) {
        let Some(limit) = self.shared.idle_timeout else {
            return;
        };
        {
            let Ok(mut last) = self.shared.last_reap.try_lock() else {
                return;
            };
            if last.elapsed() < REAP_EVERY {
                return;
            }
            *last = Instant::now();
        }
        let servers = &self.shared.servers;
        let removed = self
            .pool
            .retain(|slot, _| slot.returned.elapsed() < limit && slot.unusable(servers).is_none());
        if !removed.removed.is_empty() {
            tracing::debug!(
                closed = removed.removed.len(),
                "closed idle pooled connections"
            );
        }
    }

    /// How the pool is doing: its size, idle and busy connections, callers
    /// waiting, and each server's state and last error.
    pub fn status(&self) -> PoolStatus {
        let s = self.pool.status();
        let in_use = s.size.saturating_sub(s.available);
        let (shared, sharers) = self.shared.sharing.counts();
        let connecting = self.connecting();
        PoolStatus {
            shared,
            sharers,
            max_size: s.max_size,
            size: s.size,
            idle: s.available,
            in_use,
            waiting: s.waiting.saturating_sub(connecting),
            connecting,
            servers: self.shared.servers.status(),
        }
    }
}

/// What a caller of [`LdapPool::get_shared`] should do now.
enum Readiness {
    /// Take a connection of its own: one is idle, or there is room for a
    /// new one.
    Fresh,
    /// Join a lent connection with room, or wait for a seat.
    Share,
    /// Wait in the pool's queue behind callers of [`LdapPool::get`].
    Queue,
}

/// A snapshot of an [`LdapPool`], from [`LdapPool::status`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct PoolStatus {
    /// The most connections the pool opens.
    pub max_size: usize,
    /// Connections open now (idle and in use).
    pub size: usize,
    /// Open connections waiting in the pool.
    pub idle: usize,
    /// Connections lent out.
    pub in_use: usize,
    /// Callers waiting for a connection to be given back (of
    /// [`LdapPool::get`], and of [`LdapPool::get_shared`] when no seat is
    /// free), not counting those whose new connection is being made.
    pub waiting: usize,
    /// New connections being made now (connect, TLS, bind).
    pub connecting: usize,
    /// Connections lent through [`LdapPool::get_shared`] (counted in
    /// `in_use` too).
    pub shared: usize,
    /// Callers using those connections.
    pub sharers: usize,
    /// Each server, in the order the pool was given them.
    pub servers: Vec<ServerStatus>,
}
