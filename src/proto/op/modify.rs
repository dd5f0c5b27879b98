//! The Modify operation (RFC 4511 §4.6; `increment`, RFC 4525).
//!
//! ```text
//! ModifyRequest ::= [APPLICATION 6] SEQUENCE {
//!      object          LDAPDN,
//!      changes         SEQUENCE OF change SEQUENCE {
//!           operation       ENUMERATED {
//!                add     (0),
//!                delete  (1),
//!                replace (2),
//!                ...  },
//!           modification    PartialAttribute } }
//!
//! ModifyResponse ::= [APPLICATION 7] LDAPResult
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{read_enum, read_string, Frame, LDAP_DN};
use crate::proto::op::attributes::Attribute;

/// `ModifyRequest ::= [APPLICATION 6] SEQUENCE { object, changes }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModifyRequest {
    /// The DN of the entry to modify.
    pub object: ByteString,
    /// The changes, applied in order.
    pub changes: Vec<Modification>,
}

impl ModifyRequest {
    /// A request to apply `changes` to the entry `object`.
    pub fn new(object: impl Into<ByteString>, changes: Vec<Modification>) -> Self {
        Self {
            object: object.into(),
            changes,
        }
    }
}

/// One change of a modify request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Modification {
    /// What to do.
    pub op: ModifyOp,
    /// The attribute and values it applies to.
    pub attribute: Attribute,
}

impl Modification {
    /// The change `op` on `attribute`.
    pub fn new(op: ModifyOp, attribute: Attribute) -> Self {
        Self { op, attribute }
    }
}

/// The `operation` of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModifyOp {
    /// `add (0)`.
    Add,
    /// `delete (1)`.
    Delete,
    /// `replace (2)`.
    Replace,
    /// `increment (3)` (RFC 4525).
    Increment,
}

impl ModifyRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ModifyRequest ::= [APPLICATION 6] SEQUENCE {
        //      object          LDAPDN,
        //      changes         SEQUENCE OF change SEQUENCE {
        //           operation       ENUMERATED {
        //                add     (0),
        //                delete  (1),
        //                replace (2),
        //                ...  },
        //           modification    PartialAttribute } }
        let object = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let changes = r.sequence(Tag::SEQUENCE, |r| {
            let mut changes = src.vec_for(r, "changes")?;
            while !r.is_empty() {
                let offset = r.offset();
                let change = r.sequence(Tag::SEQUENCE, |r| {
                    let op = read_enum(r, "operation", |n| match n {
                        0 => Some(ModifyOp::Add),
                        1 => Some(ModifyOp::Delete),
                        2 => Some(ModifyOp::Replace),
                        // RFC 4525
                        3 => Some(ModifyOp::Increment),
                        _ => None,
                    })?;
                    let attribute = Attribute::decode(r, src, false)?;
                    Ok(Modification { op, attribute })
                })?;
                src.push(&mut changes, change, "changes", offset)?;
            }
            Ok(changes)
        })?;
        Ok(Self { object, changes })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.object.as_bytes());
        w.sequence(Tag::SEQUENCE, |w| {
            for change in &self.changes {
                w.sequence(Tag::SEQUENCE, |w| {
                    let op = match change.op {
                        ModifyOp::Add => 0,
                        ModifyOp::Delete => 1,
                        ModifyOp::Replace => 2,
                        ModifyOp::Increment => 3,
                    };
                    w.integer(Tag::ENUMERATED, op);
                    change.attribute.encode(w);
                });
            }
        });
    }
}
