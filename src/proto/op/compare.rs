//! The Compare operation (RFC 4511 §4.10).
//!
//! ```text
//! CompareRequest ::= [APPLICATION 14] SEQUENCE {
//!      entry           LDAPDN,
//!      ava             AttributeValueAssertion }
//!
//! AttributeValueAssertion ::= SEQUENCE {
//!      attributeDesc   AttributeDescription,
//!      assertionValue  AssertionValue }
//!
//! CompareResponse ::= [APPLICATION 15] LDAPResult
//! ```

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{read_bytes, read_string, Frame, ATTRIBUTE_DESCRIPTION, LDAP_DN};

/// `CompareRequest ::= [APPLICATION 14] SEQUENCE { entry, ava }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompareRequest {
    /// The DN of the entry.
    pub entry: ByteString,
    /// The attribute description.
    pub attribute: ByteString,
    /// The value to compare with.
    pub value: Bytes,
}

impl CompareRequest {
    /// A request to compare `attribute` of `entry` with `value`.
    pub fn new(
        entry: impl Into<ByteString>,
        attribute: impl Into<ByteString>,
        value: impl AsRef<[u8]>,
    ) -> Self {
        Self {
            entry: entry.into(),
            attribute: attribute.into(),
            value: Bytes::copy_from_slice(value.as_ref()),
        }
    }
}

impl CompareRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // CompareRequest ::= [APPLICATION 14] SEQUENCE {
        //      entry           LDAPDN,
        //      ava             AttributeValueAssertion }
        //
        // AttributeValueAssertion ::= SEQUENCE {
        //      attributeDesc   AttributeDescription,
        //      assertionValue  AssertionValue }
        let entry = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let (attribute, value) = r.sequence(Tag::SEQUENCE, |r| {
            let a = read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
            Ok((a, read_bytes(r, src, Tag::OCTET_STRING)?))
        })?;
        Ok(Self {
            entry,
            attribute,
            value,
        })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.entry.as_bytes());
        w.sequence(Tag::SEQUENCE, |w| {
            w.octet_string(Tag::OCTET_STRING, self.attribute.as_bytes());
            w.octet_string(Tag::OCTET_STRING, &self.value);
        });
    }
}
