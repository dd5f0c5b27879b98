//! Search filters (RFC 4511 §4.5.1.7, string form RFC 4515).

mod attr;
mod ber;
mod model;
mod text;

pub use attr::{AttributeDescription, MatchingRuleId, NameError};
pub use model::{Ava, Filter, MatchingRuleAssertion, Substrings};
pub use text::{escape_filter_value, FilterParseError, MAX_DEPTH};

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
