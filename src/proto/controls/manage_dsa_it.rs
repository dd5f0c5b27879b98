//! ManageDsaIT (RFC 3296): a control without a value.

use crate::ber::{DecodeError, DecodeErrorKind};
use crate::proto::controls::generic::{check_oid, Control};
use crate::proto::controls::oid;

/// ManageDsaIT (RFC 3296): treat referral objects as ordinary entries.
/// Non-critical; no value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ManageDsaIt;

impl ManageDsaIt {
    /// The control's OID.
    pub const OID: &'static str = oid::MANAGE_DSA_IT;

    /// The wire form, non-critical, without a value.
    pub fn to_control(&self) -> Control {
        Control::new(Self::OID, None)
    }

    /// Parses the wire form: RFC 3296 §3, "The control's value is absent".
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        check_oid(control, Self::OID)?;
        if control.value.is_some() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("ManageDsaIT has no value"),
                0,
            ));
        }
        Ok(Self)
    }
}
