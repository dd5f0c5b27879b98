//! [`LdapPool`], the connections it lends ([`PooledConn`]) and what it
//! reports of itself ([`PoolStatus`]).

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::{Object, Pool, PoolError, TimeoutType};
use tracing::Instrument;

use crate::pool::manager::{Manager, Slot};
use crate::pool::servers::{ServerSet, ServerStatus};
use crate::{Error, LdapConn};

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
/// to [`LdapConn`]); dropping it gives it back. Callers that find every
/// connection in use wait, first come first served, for at most the wait
/// timeout.
///
/// # What is never handed out
///
/// - A closed connection (EOF, reset, Notice of Disconnection, a fatal
///   protocol error: [`LdapConn::is_closed`]); its server is put to rest as
///   if it had failed to connect.
/// - A connection that a caller bound again (with any bind method, as
///   anyone, even as the same identity): it is **discarded** when it is
///   given back, and closed once the last handle of it is gone. The pool
///   does not re-bind it: the next caller gets a connection that only the
///   pool has bound. Clones of the [`LdapConn`] taken from a
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
        wait_timeout: Option<Duration>,
        idle_timeout: Option<Duration>,
    ) -> Self {
        Self {
            pool,
            shared: Arc::new(Shared {
                servers,
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
        PoolStatus {
            max_size: s.max_size,
            size: s.size,
            idle: s.available,
            in_use,
            waiting: s.waiting,
            servers: self.shared.servers.status(),
        }
    }
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
    /// Callers waiting for a connection.
    pub waiting: usize,
    /// Each server, in the order the pool was given them.
    pub servers: Vec<ServerStatus>,
}

/// A connection lent by an [`LdapPool`]: use it as an [`LdapConn`]
/// (`Deref`); drop it to give it back.
///
/// Given back, it is checked: a closed connection, or one that was bound
/// again, is discarded (see [`LdapPool`]).
pub struct PooledConn {
    conn: LdapConn,
    obj: Option<Object<Manager>>,
    servers: Arc<ServerSet>,
}

impl PooledConn {
    fn new(obj: Object<Manager>, servers: Arc<ServerSet>) -> Self {
        Self {
            conn: obj.conn.clone(),
            obj: Some(obj),
            servers,
        }
    }

    /// The URL of the server this connection goes to (for a server found
    /// through DNS SRV, `ldap://TARGET:PORT` or `ldaps://TARGET:PORT`).
    pub fn server(&self) -> &str {
        self.obj.as_ref().map_or("", |o| o.server.url())
    }
}

impl Deref for PooledConn {
    type Target = LdapConn;

    fn deref(&self) -> &LdapConn {
        &self.conn
    }
}

impl fmt::Debug for PooledConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConn")
            .field("server", &self.server())
            .finish_non_exhaustive()
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let Some(mut obj) = self.obj.take() else {
            return;
        };
        if let Some(why) = obj.unusable(&self.servers) {
            tracing::debug!(
                server = obj.server.url(),
                why,
                "not taking back a pooled connection"
            );
            let slot: Slot = Object::take(obj);
            drop(slot);
            return;
        }
        obj.returned = Instant::now();
    }
}
