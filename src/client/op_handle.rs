//! [`OpHandle`]: names an operation in flight, for
//! [`LdapConn::abandon`](crate::LdapConn::abandon) and
//! [`LdapConn::cancel`](crate::LdapConn::cancel).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Names an operation, so that another task can
/// [`abandon`](crate::LdapConn::abandon) or
/// [`cancel`](crate::LdapConn::cancel) it while its future runs.
///
/// Make one, pass it with the operation's options
/// ([`OpOptions::handle`](crate::OpOptions::handle)), and keep a clone;
/// a running search also gives one ([`SearchStream::handle`](crate::SearchStream::handle)).
/// A handle names the operation last started with it: the page in flight
/// of a paged search, for example. Until an operation has been handed to
/// the connection with it, and once that operation is over, it names
/// nothing, and abandoning or cancelling it does nothing. Handles are
/// unique across connections: one passed to another connection's
/// `abandon` or `cancel` names nothing there.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use tokio_ldap::{OpHandle, OpOptions, Search};
///
/// let handle = OpHandle::new();
/// let options = OpOptions::new().no_timeout().handle(&handle);
/// let search = conn.with(options).search_all(Search::new("dc=example,dc=com"));
/// let (result, abandoned) = tokio::join!(search, async {
///     tokio::time::sleep(std::time::Duration::from_secs(5)).await;
///     conn.abandon(&handle).await
/// });
/// # let _ = (result, abandoned); Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpHandle(Arc<AtomicU64>);

/// The token of a handle that names no operation yet.
const UNBOUND: u64 = 0;

/// Tokens, unique in the process (0 is never one).
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

impl OpHandle {
    /// A handle that names no operation yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle naming the operation of `token`.
    pub(super) fn bound(token: u64) -> Self {
        Self(Arc::new(AtomicU64::new(token)))
    }

    /// Names the operation of `token` from now on.
    pub(super) fn bind(&self, token: u64) {
        self.0.store(token, Ordering::Release);
    }

    /// The token of the operation named, if any was started.
    pub(super) fn token(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Acquire)).filter(|&t| t != UNBOUND)
    }
}

/// A new token, never given before in this process: what the driver knows
/// an operation's handle by.
pub(super) fn next_token() -> u64 {
    NEXT_TOKEN.fetch_add(1, Ordering::Relaxed)
}
