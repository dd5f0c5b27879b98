//! tokio-ldap
#![forbid(unsafe_code)]

pub mod ber;
mod client;
mod conn;
mod driver;
mod transport;
pub mod tls;
mod error;
pub mod proto;

pub use error::{Error, LdapError, ProtocolError};
