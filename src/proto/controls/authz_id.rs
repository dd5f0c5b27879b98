//! Authorization identity request and response (RFC 3829): on a bind, the
//! identity the server authorized.
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

/// Authorization identity request (RFC 3829 §3), on a bind: ask for the
/// identity in an [`AuthzIdResponse`] on the bind result. Non-critical;
/// no value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthzIdRequest;

impl AuthzIdRequest {
    /// The control's OID.
    pub const OID: &'static str = oid::AUTHZ_ID_REQUEST;

    /// The wire form, non-critical, without a value.
    pub fn to_control(&self) -> Control {
        Control::new(Self::OID, None)
    }

    /// Parses the wire form: the request has no value.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        check_oid(control, Self::OID)?;
        if control.value.is_some() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("the authorization identity request has no value"),
                0,
            ));
        }
        Ok(Self)
    }
}

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
