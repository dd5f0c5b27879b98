use core::fmt;

use crate::proto::{Control, ProtocolOp};

/// An LDAP message ID (RFC 4511 §4.1.1.1): `0` is reserved for unsolicited
/// notifications, requests use `1..=2^31-1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i32);

impl MessageId {
    /// The ID of unsolicited notifications.
    pub const UNSOLICITED: Self = Self(0);
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One LDAP PDU: `LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdapMessage {
    /// The message ID.
    pub id: MessageId,
    /// The operation.
    pub op: ProtocolOp,
    /// Controls attached to the message (empty when absent).
    pub controls: Vec<Control>,
}
