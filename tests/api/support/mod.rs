//! Shared test support: the test PKI and throwaway slapd instances.
//!
//! Also included by the benches (via `#[path]`), so not every item is used by
//! every target: hence `dead_code`. The items are `pub` for those other
//! crates, which makes them "unreachable" from this binary's root.
#![allow(dead_code, unreachable_pub)]

pub mod pki;
pub mod server;
pub mod slapd;
