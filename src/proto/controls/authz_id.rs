//! Authorization identity response (RFC 3829): on a bind, the identity
//! the server authorized (the request, a flag, is in `flags.rs`).
//!
//! ```text
//! -- request: no value
//! -- response: controlValue ::= authzId  (an LDAPString, not BER-wrapped;
//! --                                     empty for the anonymous identity)
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind};
use crate::proto::codec::{Budget, Frame, LDAP_STRING};
use crate::proto::controls::generic::{check_oid, value_of, Control};
use crate::proto::controls::oid;

/// Authorization identity response (RFC 3829 §4), on a successful bind
/// result. Non-critical.
///
/// Parse [`authz_id`](Self::authz_id) with
/// [`AuthzId::parse`](crate::proto::authz::AuthzId::parse) for its `dn:`/`u:`
/// form.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthzIdResponse {
    /// The authorization identity (`"dn:..."`, `"u:..."`), empty for the
    /// anonymous identity.
    pub authz_id: ByteString,
}

impl AuthzIdResponse {
    /// The control's OID.
    pub const OID: &'static str = oid::AUTHZ_ID_RESPONSE;

    /// A response naming `authz_id`.
    pub fn new(authz_id: &str) -> Self {
        Self {
            authz_id: authz_id.into(),
        }
    }

    /// The wire form, non-critical: the value is the authzId itself.
    pub fn to_control(&self) -> Control {
        Control::new(Self::OID, Some(self.authz_id.clone().into_bytes()))
    }

    /// Parses the wire form. RFC 3829 §4 sends an empty value for the
    /// anonymous identity; an absent value, which it does not provide for,
    /// is read the same way.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        check_oid(control, Self::OID)?;
        if control.value.is_none() {
            return Ok(Self {
                authz_id: ByteString::new(),
            });
        }
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
