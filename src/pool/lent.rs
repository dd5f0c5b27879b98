//! [`PooledConn`]: a connection lent to one caller, given back (or
//! discarded) when dropped.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool::managed::Object;

use crate::pool::manager::{Manager, Slot};
use crate::pool::servers::{Server, ServerSet};
use crate::LdapConn;

/// A connection lent by an [`LdapPool`](crate::LdapPool): use it as an [`LdapConn`]
/// (`Deref`); drop it to give it back.
///
/// Given back, it is checked: a closed connection, or one that was bound
/// again, is discarded (see [`LdapPool`](crate::LdapPool)).
pub struct PooledConn {
    conn: LdapConn,
    obj: Option<Object<Manager>>,
    servers: Arc<ServerSet>,
}

impl PooledConn {
    pub(crate) fn new(obj: Object<Manager>, servers: Arc<ServerSet>) -> Self {
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

    /// Its server, for a connection lent shared made of it.
    pub(crate) fn server_handle(&self) -> Option<Arc<Server>> {
        self.obj.as_ref().map(|o| Arc::clone(&o.server))
    }

    /// How long ago the connection was made.
    pub(crate) fn age(&self) -> Duration {
        self.obj
            .as_ref()
            .map_or(Duration::ZERO, |o| Object::metrics(o).age())
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
