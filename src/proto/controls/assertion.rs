//! Assertion (RFC 4528).
//!
//! ```text
//! controlValue ::= Filter   -- RFC 4511 §4.5.1
//! ```

use crate::ber::DecodeError;
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;
use crate::proto::filter::Filter;

/// Assertion (RFC 4528): the operation only happens if the target entry
/// matches `filter`, otherwise it fails with `assertionFailed`. Critical
/// by default, so that a server without support refuses the operation
/// instead of performing it unconditionally.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Assertion {
    /// The condition.
    pub filter: Filter,
}

impl Assertion {
    /// The control's OID.
    pub const OID: &'static str = oid::ASSERTION;

    /// Asserts `filter`.
    pub fn new(filter: Filter) -> Self {
        Self { filter }
    }

    /// The wire form, critical; the value is the BER encoding of the filter.
    pub fn to_control(&self) -> Control {
        // controlValue ::= Filter   (RFC 4528 §3)
        let value = encode_value(|w| self.filter.encode(w));
        Control::new(Self::OID, Some(value)).with_criticality(true)
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            Ok(Self {
                filter: Filter::decode(r, src)?,
            })
        })
    }
}
