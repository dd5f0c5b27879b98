//! tokio-ldap
#![forbid(unsafe_code)]

pub mod ber;
mod error;
pub mod proto;

pub use error::{Error, LdapError, ProtocolError};
