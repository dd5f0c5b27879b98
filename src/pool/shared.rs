//! Connections lent to several callers at once ([`LdapPool::get_shared`]):
//! each is an exclusive checkout held by the pool, which keeps its
//! identity locked and counts its users; the last one gives it back.
//!
//! [`LdapPool::get_shared`]: crate::LdapPool::get_shared

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::pool::lent::PooledConn;
use crate::pool::servers::Server;
use crate::LdapConn;

/// How [`LdapPool::get_shared`](crate::LdapPool::get_shared) places its
/// callers on the pool's connections; from
/// [`PoolBuilder::share_policy`](crate::PoolBuilder::share_policy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SharePolicy {
    /// A caller gets a connection nobody else uses while one is idle or
    /// the pool has room for a new one; once all `max_size` are lent,
    /// callers share them, at most `max_sharers` on one, the least used
    /// first. Each caller's operations have a socket of their own as long
    /// as there are sockets to give (the default).
    #[default]
    Spread,
    /// A caller takes a seat on a connection already lent shared (the
    /// least used with room) before the pool opens another: `n` callers
    /// use about `n / max_sharers` connections. Fewer, fuller connections
    /// carry more operations per second when the server is the limit
    /// (`BENCHMARKS.md`, "Pool"), and the pool makes fewer connections.
    Fill,
}

/// The connections lent shared, and who is waiting for a seat on one.
pub(crate) struct Sharing {
    /// The most callers on one connection at once.
    pub(crate) max_sharers: usize,
    /// Where callers are seated.
    pub(crate) policy: SharePolicy,
    /// The pool's max lifetime: a connection past it takes no new users.
    max_lifetime: Option<Duration>,
    lent: Mutex<Lent>,
    /// Told when a full connection has a seat again.
    pub(crate) freed: Notify,
    /// Callers of `get_shared` waiting in the pool's queue for a
    /// connection of their own (so that the waiting of `get`'s callers
    /// can be told apart).
    queued: AtomicUsize,
}

/// Counts a caller of `get_shared` in the pool's queue while it lives.
pub(crate) struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A caller of `get_shared` looking for a seat, counted while it lives.
pub(crate) struct Seeking<'a>(&'a Sharing);

impl Drop for Seeking<'_> {
    fn drop(&mut self) {
        let mut lent = crate::sync::lock(&self.0.lent);
        lent.seekers = lent.seekers.saturating_sub(1);
    }
}

/// A connection being opened for callers looking for a seat. When it is
/// done (lent or failed), the callers waiting on it are woken.
pub(crate) struct Opening<'a>(&'a Sharing);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        {
            let mut lent = crate::sync::lock(&self.0.lent);
            lent.opening = lent.opening.saturating_sub(1);
        }
        self.0.freed.notify_waiters();
    }
}

#[derive(Default)]
struct Lent {
    next_id: u64,
    conns: Vec<Entry>,
    /// Callers of `get_shared` that found no seat and look for one
    /// ([`SharePolicy::Fill`]).
    seekers: usize,
    /// Connections those callers are opening now, each of which will
    /// seat `max_sharers` of them.
    opening: usize,
}

/// One connection lent shared.
struct Entry {
    id: u64,
    conn: PooledConn,
    users: usize,
    /// Closed or past its lifetime: no new users; given back when the
    /// last one is done.
    draining: bool,
}

impl Sharing {
    pub(crate) fn new(
        max_sharers: usize,
        policy: SharePolicy,
        max_lifetime: Option<Duration>,
    ) -> Self {
        Self {
            max_sharers,
            policy,
            max_lifetime,
            lent: Mutex::new(Lent::default()),
            freed: Notify::new(),
            queued: AtomicUsize::new(0),
        }
    }

    /// Counts the caller as waiting in the pool's queue until the guard
    /// is dropped.
    pub(crate) fn queued(&self) -> Queued<'_> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        Queued(&self.queued)
    }

    /// Counts the caller as looking for a seat until the guard is dropped
    /// ([`SharePolicy::Fill`]).
    pub(crate) fn seeking(&self) -> Seeking<'_> {
        crate::sync::lock(&self.lent).seekers += 1;
        Seeking(self)
    }

    /// Whether the caller (counted by [`Self::seeking`]) should open a
    /// connection: only while the connections being opened do not already
    /// seat every caller looking for a seat. The claim lasts as long as
    /// the guard.
    pub(crate) fn claim_open(&self) -> Option<Opening<'_>> {
        let mut lent = crate::sync::lock(&self.lent);
        if lent.opening.saturating_mul(self.max_sharers) >= lent.seekers {
            return None;
        }
        lent.opening += 1;
        Some(Opening(self))
    }

    /// Callers of `get_shared` waiting in the pool's queue now.
    pub(crate) fn queued_now(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// A seat on the lent connection with the fewest users, if one has
    /// room. Connections found closed or past their lifetime stop taking
    /// users here.
    pub(crate) fn join(self: &Arc<Self>) -> Option<SharedConn> {
        let mut lent = crate::sync::lock(&self.lent);
        let mut best: Option<&mut Entry> = None;
        for e in &mut lent.conns {
            if !e.draining && (e.conn.is_closed() || self.too_old(&e.conn)) {
                e.draining = true;
            }
            if e.draining || e.users >= self.max_sharers {
                continue;
            }
            if best.as_ref().is_none_or(|b| e.users < b.users) {
                best = Some(e);
            }
        }
        let e = best?;
        e.users += 1;
        Some(SharedConn {
            conn: e.conn.deref().clone(),
            id: e.id,
            server: e.conn.server_handle(),
            sharing: Arc::clone(self),
        })
    }

    fn too_old(&self, conn: &PooledConn) -> bool {
        self.max_lifetime.is_some_and(|max| conn.age() >= max)
    }

    /// Lends `conn` shared, with the caller as its first user.
    pub(crate) fn open(self: &Arc<Self>, conn: PooledConn) -> SharedConn {
        conn.lock_identity(true);
        let mut lent = crate::sync::lock(&self.lent);
        lent.next_id = lent.next_id.wrapping_add(1);
        let id = lent.next_id;
        let shared = SharedConn {
            conn: conn.deref().clone(),
            id,
            server: conn.server_handle(),
            sharing: Arc::clone(self),
        };
        lent.conns.push(Entry {
            id,
            conn,
            users: 1,
            draining: false,
        });
        drop(lent);
        if self.max_sharers > 1 {
            // Callers waiting for a connection of their own may take a
            // seat on this one instead, if the pool is full.
            self.freed.notify_waiters();
        }
        shared
    }

    /// One user of connection `id` is done; the last one gives the
    /// connection back to the pool (its checks then run as for
    /// [`PooledConn`]).
    fn leave(&self, id: u64) {
        let back = {
            let mut lent = crate::sync::lock(&self.lent);
            let Some(at) = lent.conns.iter().position(|e| e.id == id) else {
                return;
            };
            let Some(e) = lent.conns.get_mut(at) else {
                return;
            };
            let was_full = e.users >= self.max_sharers;
            e.users = e.users.saturating_sub(1);
            if e.users > 0 {
                let draining = e.draining;
                drop(lent);
                if was_full && !draining {
                    self.freed.notify_one();
                }
                return;
            }
            lent.conns.swap_remove(at)
        };
        back.conn.lock_identity(false);
        // Given back outside the lock: the pool's own checks run here.
        drop(back);
    }

    /// Connections lent shared now, and callers using them.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let lent = crate::sync::lock(&self.lent);
        let users = lent.conns.iter().map(|e| e.users).sum();
        (lent.conns.len(), users)
    }
}

/// A connection lent by [`LdapPool::get_shared`](crate::LdapPool::get_shared),
/// possibly to other callers at the same time: use it as an [`LdapConn`]
/// (`Deref`); drop it when done. The last of its users gives the
/// connection back to the pool.
///
/// Its identity is the pool's [`Bind`](crate::Bind): any bind request on
/// it fails with [`Error::InvalidInput`](crate::Error::InvalidInput)
/// while it is lent shared.
pub struct SharedConn {
    conn: LdapConn,
    id: u64,
    server: Option<Arc<Server>>,
    sharing: Arc<Sharing>,
}

impl SharedConn {
    /// The URL of the server this connection goes to (as
    /// [`PooledConn::server`]).
    pub fn server(&self) -> &str {
        self.server.as_deref().map_or("", Server::url)
    }
}

impl Deref for SharedConn {
    type Target = LdapConn;

    fn deref(&self) -> &LdapConn {
        &self.conn
    }
}

impl fmt::Debug for SharedConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedConn")
            .field("server", &self.server())
            .finish_non_exhaustive()
    }
}

impl Drop for SharedConn {
    fn drop(&mut self) {
        self.sharing.leave(self.id);
    }
}
