//! Controls (RFC 4511 §4.1.11) and the typed controls tokio-ldap knows.

use bytes::Bytes;
use bytestring::ByteString;

/// A control as carried on the wire: OID, criticality and optional value.
///
/// Typed controls convert to and from this form; controls tokio-ldap does
/// not know stay available here, raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    /// `controlType`: the control's OID.
    pub oid: ByteString,
    /// `criticality`.
    pub critical: bool,
    /// `controlValue`.
    pub value: Option<Bytes>,
}
