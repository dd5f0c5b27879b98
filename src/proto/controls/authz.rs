//! Proxied authorization v2 (RFC 4370).
//!
//! ```text
//! controlValue ::= authzId   -- an LDAPString, not BER-wrapped
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind};
use crate::proto::codec::{Budget, Frame, LDAP_STRING};
use crate::proto::controls::generic::{value_of, Control};
use crate::proto::controls::oid;

/// Proxied authorization v2 (RFC 4370): perform the operation as
/// `authz_id`. Always critical, as the RFC requires.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxiedAuthz {
    /// The authorization identity (`"dn:..."` or `"u:..."`); empty for
    /// the anonymous identity.
    pub authz_id: ByteString,
}

impl ProxiedAuthz {
    /// The control's OID.
    pub const OID: &'static str = oid::PROXIED_AUTHZ;

    /// Acts as `authz_id`.
    pub fn new(authz_id: &str) -> Self {
        Self {
            authz_id: authz_id.into(),
        }
    }

    /// The wire form, critical: the value is the authzId itself, not
    /// BER-wrapped.
    pub fn to_control(&self) -> Control {
        // controlValue ::= authzId   (RFC 4370 §3, an LDAPString)
        let value = self.authz_id.clone().into_bytes();
        Control::new(Self::OID, Some(value)).with_criticality(true)
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        let value = value_of(control, Self::OID)?;
        let authz_id = Frame(value, &Budget::for_len(value.len()))
            .string(value, 0)
            .map_err(|e| DecodeError {
                kind: DecodeErrorKind::InvalidValue(LDAP_STRING),
                ..e
            })?;
        Ok(Self { authz_id })
    }
}
