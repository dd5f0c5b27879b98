//! Connection pooling for services: [`LdapPool`] over one server or a set
//! of them, with failover, backoff of failing servers, health checks and
//! a bind identity that is part of the pool's contract.
//!
//! Files, bottom up:
//!
//! | file | what |
//! |---|---|
//! | `bind` | [`Bind`], the identity each new connection is bound as |
//! | `servers` | the server set: strategies, capped exponential backoff, half-open trials, per-server status |
//! | `manager` | the `deadpool` manager: connect + bind, and the checks before a connection is lent again |
//! | `lent` | [`PooledConn`]: a connection lent to one caller |
//! | `shared` | [`SharedConn`]: connections lent to several callers at once |
//! | `handle` | [`LdapPool`], [`PoolStatus`] |
//! | `builder` | [`PoolBuilder`] |

mod bind;
mod builder;
mod handle;
mod lent;
mod manager;
mod servers;
mod shared;

pub use bind::Bind;
pub use builder::PoolBuilder;
pub use handle::{LdapPool, PoolStatus};
pub use lent::PooledConn;
pub use servers::{ServerState, ServerStatus, ServerStrategy};
pub use shared::{SharePolicy, SharedConn};

#[cfg(test)]
mod tests;
