//! The Add operation (RFC 4511 §4.7).
//!
//! ```text
//! AddRequest ::= [APPLICATION 8] SEQUENCE {
//!      entry           LDAPDN,
//!      attributes      AttributeList }
//!
//! AttributeList ::= SEQUENCE OF attribute Attribute
//!
//! AddResponse ::= [APPLICATION 9] LDAPResult
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{read_string, Frame, LDAP_DN};
use crate::proto::op::attributes::{read_attributes, write_attributes, Attribute};

/// `AddRequest ::= [APPLICATION 8] SEQUENCE { entry, attributes }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddRequest {
    /// The DN of the new entry.
    pub entry: ByteString,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

impl AddRequest {
    /// A request to add the entry `entry` with `attributes`.
    pub fn new(entry: impl Into<ByteString>, attributes: Vec<Attribute>) -> Self {
        Self {
            entry: entry.into(),
            attributes,
        }
    }
}

impl AddRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // AddRequest ::= [APPLICATION 8] SEQUENCE {
        //      entry           LDAPDN,
        //      attributes      AttributeList }
        //
        // AttributeList ::= SEQUENCE OF attribute Attribute
        let entry = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let attributes = r.sequence(Tag::SEQUENCE, |r| read_attributes(r, src, true))?;
        Ok(Self { entry, attributes })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.entry.as_bytes());
        w.sequence(Tag::SEQUENCE, |w| write_attributes(w, &self.attributes));
    }
}
