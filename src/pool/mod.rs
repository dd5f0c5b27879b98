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
//! | `handle` | [`LdapPool`], [`PooledConn`], [`PoolStatus`] |
//! | `builder` | [`PoolBuilder`] |

mod bind;
mod builder;
mod handle;
mod manager;
mod servers;

pub use bind::Bind;
pub use builder::PoolBuilder;
pub use handle::{LdapPool, PoolStatus, PooledConn};
pub use servers::{ServerState, ServerStatus, ServerStrategy};

#[cfg(test)]
mod tests;
