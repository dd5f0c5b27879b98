//! The Extended operation (RFC 4511 §4.12) and the Intermediate response
//! (§4.13). The typed extended operations built on them are in
//! [`proto::extended`](crate::proto::extended).
//!
//! ```text
//! ExtendedRequest ::= [APPLICATION 23] SEQUENCE {
//!      requestName      [0] LDAPOID,
//!      requestValue     [1] OCTET STRING OPTIONAL }
//!
//! ExtendedResponse ::= [APPLICATION 24] SEQUENCE {
//!      COMPONENTS OF LDAPResult,
//!      responseName     [10] LDAPOID OPTIONAL,
//!      responseValue    [11] OCTET STRING OPTIONAL }
//!
//! IntermediateResponse ::= [APPLICATION 25] SEQUENCE {
//!      responseName     [0] LDAPOID OPTIONAL,
//!      responseValue    [1] OCTET STRING OPTIONAL }
//! ```

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{read_opt_bytes, read_opt_string, tlv_string, Frame, LDAP_OID};
use crate::proto::result::LdapResult;

/// `ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0], requestValue [1] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtendedRequest {
    /// The OID of the operation.
    pub name: ByteString,
    /// The request value, if any.
    pub value: Option<Bytes>,
}

impl ExtendedRequest {
    /// The extended operation `name` (its OID) with `value`.
    pub fn new(name: impl Into<ByteString>, value: Option<Bytes>) -> Self {
        Self {
            name: name.into(),
            value,
        }
    }
}

/// `ExtendedResponse ::= [APPLICATION 24] SEQUENCE { COMPONENTS OF LDAPResult, responseName [10], responseValue [11] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtendedResponse {
    /// The result.
    pub result: LdapResult,
    /// `responseName [10]`.
    pub name: Option<ByteString>,
    /// `responseValue [11]`.
    pub value: Option<Bytes>,
}

impl ExtendedResponse {
    /// A response with `result` and no name or value.
    pub fn new(result: LdapResult) -> Self {
        Self {
            result,
            name: None,
            value: None,
        }
    }
}

/// `IntermediateResponse ::= [APPLICATION 25] SEQUENCE { responseName [0], responseValue [1] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntermediateResponse {
    /// `responseName [0]`.
    pub name: Option<ByteString>,
    /// `responseValue [1]`.
    pub value: Option<Bytes>,
}

impl IntermediateResponse {
    /// An intermediate response with `name` (an OID) and `value`.
    pub fn new(name: Option<ByteString>, value: Option<Bytes>) -> Self {
        Self { name, value }
    }
}

/// `requestName [0] LDAPOID` in `ExtendedRequest`.
const REQUEST_NAME: Tag = Tag::context(0x00);
/// `requestValue [1] OCTET STRING` in `ExtendedRequest`.
const REQUEST_VALUE: Tag = Tag::context(0x01);

impl ExtendedRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ExtendedRequest ::= [APPLICATION 23] SEQUENCE {
        //      requestName      [0] LDAPOID,
        //      requestValue     [1] OCTET STRING OPTIONAL }
        let tlv = r.element(REQUEST_NAME)?;
        let name = tlv_string(src, &tlv, LDAP_OID)?;
        let value = read_opt_bytes(r, src, REQUEST_VALUE)?;
        Ok(Self { name, value })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(REQUEST_NAME, self.name.as_bytes());
        if let Some(v) = &self.value {
            w.octet_string(REQUEST_VALUE, v);
        }
    }
}

/// `responseName [10] LDAPOID` in `ExtendedResponse`.
const RESPONSE_NAME: Tag = Tag::context(0x0a);
/// `responseValue [11] OCTET STRING` in `ExtendedResponse`.
const RESPONSE_VALUE: Tag = Tag::context(0x0b);

impl ExtendedResponse {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ExtendedResponse ::= [APPLICATION 24] SEQUENCE {
        //      COMPONENTS OF LDAPResult,
        //      responseName     [10] LDAPOID OPTIONAL,
        //      responseValue    [11] OCTET STRING OPTIONAL }
        let result = LdapResult::decode_components(r, src)?;
        let name = read_opt_string(r, src, RESPONSE_NAME, LDAP_OID)?;
        let value = read_opt_bytes(r, src, RESPONSE_VALUE)?;
        Ok(Self {
            result,
            name,
            value,
        })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        self.result.encode_components(w);
        if let Some(n) = &self.name {
            w.octet_string(RESPONSE_NAME, n.as_bytes());
        }
        if let Some(v) = &self.value {
            w.octet_string(RESPONSE_VALUE, v);
        }
    }
}

/// `responseName [0] LDAPOID` in `IntermediateResponse`.
const INTERMEDIATE_NAME: Tag = Tag::context(0x00);
/// `responseValue [1] OCTET STRING` in `IntermediateResponse`.
const INTERMEDIATE_VALUE: Tag = Tag::context(0x01);

impl IntermediateResponse {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // IntermediateResponse ::= [APPLICATION 25] SEQUENCE {
        //      responseName     [0] LDAPOID OPTIONAL,
        //      responseValue    [1] OCTET STRING OPTIONAL }
        let name = read_opt_string(r, src, INTERMEDIATE_NAME, LDAP_OID)?;
        let value = read_opt_bytes(r, src, INTERMEDIATE_VALUE)?;
        Ok(Self { name, value })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        if let Some(n) = &self.name {
            w.octet_string(INTERMEDIATE_NAME, n.as_bytes());
        }
        if let Some(v) = &self.value {
            w.octet_string(INTERMEDIATE_VALUE, v);
        }
    }
}
