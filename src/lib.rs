//! tokio-ldap
#![forbid(unsafe_code)]

pub mod ber;
