//! [`LdapConn`], the public handle, and what it is configured and called
//! with.
//!
//! | file | job |
//! |---|---|
//! | `op_handle` | [`OpHandle`]: names an operation in flight |
//! | `config` | [`ConnConfig`]: how to connect |
//! | `handle` | [`LdapConn`]: connect, StartTLS, unbind; the state its clones share; sending to the driver |
//! | `response` | [`Response`]: an operation's value with its result and controls; the [`Mode`] that picks the value or the whole response; the error of a refused result |
//! | `search` | [`Search`], [`SearchStream`], and [`SearchResults`] with its one collector |
//! | `referral` | following referrals of searches and updates ([`ConnConfig::follow_referrals`]) |
//! | `options` | [`OpOptions`] and [`WithOptions`]: every operation, with per-call options |
//! | `paging` | [`PagedSearch`]: searches run page by page (RFC 2696) |
//! | `intermediate` | [`ExtendedStream`]: an extended operation's intermediate responses, then its result |
//! | `inflight` | abandon and Cancel (RFC 3909) of an operation by [`OpHandle`] |
//! | `notify` | [`Notifications`]: the unsolicited notifications, as a stream |
//! | `sync` | [`LdapConn::sync`]: content synchronization (RFC 4533) as a [`SyncStream`] |
//! | `psearch` | [`LdapConn::persistent_search`]: a [`PersistentSearchStream`] |
//!
//! Files import only the ones above them in this table. Each operation is
//! written once, as a [`WithOptions`] method; the [`LdapConn`] method of the
//! same name, which runs it with the default options, sits beside it (in
//! `options`, `paging`, `intermediate` or `inflight`).

mod config;
mod handle;
mod inflight;
mod intermediate;
mod notify;
mod op_handle;
mod options;
mod paging;
mod psearch;
mod referral;
mod response;
mod search;
mod sync;

pub use config::{ConnConfig, ReferralPolicy};
pub use handle::LdapConn;
pub use inflight::CancelOutcome;
pub use intermediate::ExtendedStream;
pub use notify::{Notification, Notifications, NOTIFICATION_BUFFER};
pub use op_handle::OpHandle;
pub use options::{OpOptions, WithOptions};
pub use paging::PagedSearch;
pub use psearch::{ChangedEntry, PersistentSearchEvent, PersistentSearchStream};
pub use response::{Detailed, Mode, Plain, Response};
pub use search::{Search, SearchDone, SearchItem, SearchResults, SearchStream};
pub use sync::{SyncEvent, SyncSearch, SyncStream};

#[cfg(test)]
mod tests;
