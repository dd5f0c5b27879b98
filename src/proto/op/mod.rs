//! `protocolOp` (RFC 4511 §4.2 to §4.14): the CHOICE of every request and
//! response, one file per family of PDUs.
//!
//! ```text
//! protocolOp      CHOICE {
//!      bindRequest           BindRequest,
//!      bindResponse          BindResponse,
//!      unbindRequest         UnbindRequest,
//!      searchRequest         SearchRequest,
//!      searchResEntry        SearchResultEntry,
//!      searchResDone         SearchResultDone,
//!      searchResRef          SearchResultReference,
//!      modifyRequest         ModifyRequest,
//!      modifyResponse        ModifyResponse,
//!      addRequest            AddRequest,
//!      addResponse           AddResponse,
//!      delRequest            DelRequest,
//!      delResponse           DelResponse,
//!      modDNRequest          ModifyDNRequest,
//!      modDNResponse         ModifyDNResponse,
//!      compareRequest        CompareRequest,
//!      compareResponse       CompareResponse,
//!      abandonRequest        AbandonRequest,
//!      extendedReq           ExtendedRequest,
//!      extendedResp          ExtendedResponse,
//!      ...,
//!      intermediateResponse  IntermediateResponse }
//!
//! UnbindRequest ::= [APPLICATION 2] NULL
//!
//! DelRequest ::= [APPLICATION 10] LDAPDN
//!
//! DelResponse ::= [APPLICATION 11] LDAPResult
//!
//! AbandonRequest ::= [APPLICATION 16] MessageID
//! ```
//!
//! The operations with contents of their own have a file each: [`bind`],
//! [`search`] (with the entry's [`attributes`]), [`modify`], [`add`],
//! [`modify_dn`], [`compare`] and [`extended`] (extended and intermediate
//! responses). Delete, Abandon and Unbind carry a single value and are read
//! and written here. The golden byte vectors of their unit tests can be
//! dumped for checking with another codec: see `tests/lber_diff.rs`.

use bytestring::ByteString;

use crate::ber::{Class, DecodeError, DecodeErrorKind, Reader, Tag, Writer};
use crate::proto::codec::{
    choice_error, next_tag, read_message_id, read_string, Frame, MessageId, LDAP_DN,
};
use crate::proto::result::LdapResult;

mod add;
mod attributes;
mod bind;
mod compare;
mod extended;
mod modify;
mod modify_dn;
mod search;

pub use add::AddRequest;
pub(crate) use attributes::fast_entry_parts;
pub use attributes::{Attribute, AttributeIter, AttributeList, AttributeRef, ValueBytes, Values};
pub use bind::{BindAuth, BindRequest, BindResponse, Password};
pub use compare::CompareRequest;
pub use extended::{ExtendedRequest, ExtendedResponse, IntermediateResponse};
pub use modify::{Modification, ModifyOp, ModifyRequest};
pub use modify_dn::ModifyDnRequest;
pub use search::{DerefAliases, Scope, SearchRequest, SearchResultEntry};

/// The tag of an operation: `[APPLICATION number]`.
const fn op_tag(number: u32, constructed: bool) -> Tag {
    Tag {
        class: Class::Application,
        constructed,
        number,
    }
}

/// The table of protocol operations, written once. From each row,
/// `Variant(payload) = TAG_CONST, number, form, "RFC name", direction;`,
/// where the direction is `response` or `request -> ` the name of the
/// response it expects (`none` for Unbind and Abandon), it makes the
/// [`ProtocolOp`] variant, the tag constant, and the [`ProtocolOp::tag`],
/// [`ProtocolOp::name`], [`ProtocolOp::name_of_tag`],
/// [`ProtocolOp::is_response`] and [`ProtocolOp::expected_response`]
/// lookups.
macro_rules! protocol_ops {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident $(($payload:ty))? =
            $tag:ident, $number:literal, $form:ident, $name:literal,
            $direction:ident $(-> $expects:tt)?;
    )*) => {
        /// `protocolOp`: every request and response of RFC 4511.
        ///
        /// Non-exhaustive: the ASN.1 choice has an extension marker, and
        /// operations that later RFCs define may be added.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum ProtocolOp {
            $(
                $(#[doc = $doc])*
                $variant $(($payload))?,
            )*
        }

        $(
            #[doc = concat!("The tag of `", $name, "`.")]
            const $tag: Tag = op_tag($number, protocol_ops!(@constructed $form));
        )*

        /// The tags of every operation.
        const TAGS: &[Tag] = &[$($tag),*];

        impl ProtocolOp {
            /// The tag of this operation on the wire (`[APPLICATION n]`).
            pub fn tag(&self) -> Tag {
                match self {
                    $(Self::$variant { .. } => $tag,)*
                }
            }

            /// The RFC 4511 name of this operation, e.g. `"SearchResultEntry"`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $name,)*
                }
            }

            /// The RFC 4511 name of the operation whose tag is `tag` (as returned
            /// by `LdapMessage::peek_id_and_tag`), or `None` if no operation has
            /// that tag.
            pub fn name_of_tag(tag: Tag) -> Option<&'static str> {
                match tag {
                    $($tag => Some($name),)*
                    _ => None,
                }
            }

            /// Whether this operation is a response (or unsolicited notification)
            /// sent by a server, rather than a request sent by a client.
            pub fn is_response(&self) -> bool {
                match self {
                    $(Self::$variant { .. } => protocol_ops!(@is_response $direction),)*
                }
            }

            /// What a server answers this request with, by RFC 4511 name
            /// (`"BindResponse"`, or for a search
            /// `"SearchResultEntry, SearchResultReference or SearchResultDone"`);
            /// `None` for a response, and for the requests that have no
            /// response (Unbind and Abandon).
            pub fn expected_response(&self) -> Option<&'static str> {
                match self {
                    $(Self::$variant { .. } => {
                        protocol_ops!(@expects $direction $(-> $expects)?)
                    })*
                }
            }
        }
    };
    (@constructed constructed) => { true };
    (@constructed primitive) => { false };
    (@is_response request) => { false };
    (@is_response response) => { true };
    (@expects request -> none) => { None };
    (@expects request -> $expects:literal) => { Some($expects) };
    (@expects response) => { None };
}

protocol_ops! {
    /// `[APPLICATION 0]`
    BindRequest(BindRequest) =
        BIND_REQUEST, 0x00, constructed, "BindRequest", request -> "BindResponse";
    /// `[APPLICATION 1]`
    BindResponse(BindResponse) =
        BIND_RESPONSE, 0x01, constructed, "BindResponse", response;
    /// `[APPLICATION 2]`
    UnbindRequest =
        UNBIND_REQUEST, 0x02, primitive, "UnbindRequest", request -> none;
    /// `[APPLICATION 3]`
    SearchRequest(SearchRequest) =
        SEARCH_REQUEST, 0x03, constructed, "SearchRequest",
        request -> "SearchResultEntry, SearchResultReference or SearchResultDone";
    /// `[APPLICATION 4]`
    SearchResultEntry(SearchResultEntry) =
        SEARCH_RESULT_ENTRY, 0x04, constructed, "SearchResultEntry", response;
    /// `[APPLICATION 5]`
    SearchResultDone(LdapResult) =
        SEARCH_RESULT_DONE, 0x05, constructed, "SearchResultDone", response;
    /// `[APPLICATION 19]`: continuation references (URIs).
    SearchResultReference(Vec<ByteString>) =
        SEARCH_RESULT_REFERENCE, 0x13, constructed, "SearchResultReference", response;
    /// `[APPLICATION 6]`
    ModifyRequest(ModifyRequest) =
        MODIFY_REQUEST, 0x06, constructed, "ModifyRequest", request -> "ModifyResponse";
    /// `[APPLICATION 7]`
    ModifyResponse(LdapResult) =
        MODIFY_RESPONSE, 0x07, constructed, "ModifyResponse", response;
    /// `[APPLICATION 8]`
    AddRequest(AddRequest) =
        ADD_REQUEST, 0x08, constructed, "AddRequest", request -> "AddResponse";
    /// `[APPLICATION 9]`
    AddResponse(LdapResult) =
        ADD_RESPONSE, 0x09, constructed, "AddResponse", response;
    /// `[APPLICATION 10]`: the DN to delete.
    DelRequest(ByteString) =
        DEL_REQUEST, 0x0a, primitive, "DelRequest", request -> "DelResponse";
    /// `[APPLICATION 11]`
    DelResponse(LdapResult) =
        DEL_RESPONSE, 0x0b, constructed, "DelResponse", response;
    /// `[APPLICATION 12]`
    ModifyDnRequest(ModifyDnRequest) =
        MODIFY_DN_REQUEST, 0x0c, constructed, "ModifyDNRequest", request -> "ModifyDNResponse";
    /// `[APPLICATION 13]`
    ModifyDnResponse(LdapResult) =
        MODIFY_DN_RESPONSE, 0x0d, constructed, "ModifyDNResponse", response;
    /// `[APPLICATION 14]`
    CompareRequest(CompareRequest) =
        COMPARE_REQUEST, 0x0e, constructed, "CompareRequest", request -> "CompareResponse";
    /// `[APPLICATION 15]`
    CompareResponse(LdapResult) =
        COMPARE_RESPONSE, 0x0f, constructed, "CompareResponse", response;
    /// `[APPLICATION 16]`: the ID of the operation to abandon.
    AbandonRequest(MessageId) =
        ABANDON_REQUEST, 0x10, primitive, "AbandonRequest", request -> none;
    /// `[APPLICATION 23]`
    ExtendedRequest(ExtendedRequest) =
        EXTENDED_REQUEST, 0x17, constructed, "ExtendedRequest", request -> "ExtendedResponse";
    /// `[APPLICATION 24]`
    ExtendedResponse(ExtendedResponse) =
        EXTENDED_RESPONSE, 0x18, constructed, "ExtendedResponse", response;
    /// `[APPLICATION 25]`
    IntermediateResponse(IntermediateResponse) =
        INTERMEDIATE_RESPONSE, 0x19, constructed, "IntermediateResponse", response;
}

impl ProtocolOp {
    /// The `LDAPResult` of a response that carries one: every response but
    /// a search entry, a search reference and an intermediate response.
    pub fn result(&self) -> Option<&LdapResult> {
        match self {
            Self::BindResponse(b) => Some(&b.result),
            Self::ExtendedResponse(e) => Some(&e.result),
            Self::SearchResultDone(r)
            | Self::ModifyResponse(r)
            | Self::AddResponse(r)
            | Self::DelResponse(r)
            | Self::ModifyDnResponse(r)
            | Self::CompareResponse(r) => Some(r),
            Self::BindRequest(_)
            | Self::UnbindRequest
            | Self::SearchRequest(_)
            | Self::SearchResultEntry(_)
            | Self::SearchResultReference(_)
            | Self::ModifyRequest(_)
            | Self::AddRequest(_)
            | Self::DelRequest(_)
            | Self::ModifyDnRequest(_)
            | Self::CompareRequest(_)
            | Self::AbandonRequest(_)
            | Self::ExtendedRequest(_)
            | Self::IntermediateResponse(_) => None,
        }
    }

    /// Reads `protocolOp`, the CHOICE of RFC 4511 §4.2 to §4.14.
    pub(crate) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        let (tag, offset) = next_tag(r)?;
        let op = match tag {
            BIND_REQUEST => Self::BindRequest(r.sequence(tag, |r| BindRequest::decode(r, src))?),
            BIND_RESPONSE => Self::BindResponse(r.sequence(tag, |r| BindResponse::decode(r, src))?),
            UNBIND_REQUEST => {
                // UnbindRequest ::= [APPLICATION 2] NULL
                if !r.element(tag)?.value.is_empty() {
                    return Err(DecodeError::new(
                        DecodeErrorKind::InvalidValue("UnbindRequest is a NULL, with no content"),
                        offset,
                    ));
                }
                Self::UnbindRequest
            }
            SEARCH_REQUEST => {
                Self::SearchRequest(r.sequence(tag, |r| SearchRequest::decode(r, src))?)
            }
            SEARCH_RESULT_ENTRY => {
                Self::SearchResultEntry(r.sequence(tag, |r| SearchResultEntry::decode(r, src))?)
            }
            SEARCH_RESULT_REFERENCE => {
                Self::SearchResultReference(r.sequence(tag, |r| search::decode_reference(r, src))?)
            }
            MODIFY_REQUEST => {
                Self::ModifyRequest(r.sequence(tag, |r| ModifyRequest::decode(r, src))?)
            }
            ADD_REQUEST => Self::AddRequest(r.sequence(tag, |r| AddRequest::decode(r, src))?),
            DEL_REQUEST => {
                // DelRequest ::= [APPLICATION 10] LDAPDN
                Self::DelRequest(read_string(r, src, tag, LDAP_DN)?)
            }
            MODIFY_DN_REQUEST => {
                Self::ModifyDnRequest(r.sequence(tag, |r| ModifyDnRequest::decode(r, src))?)
            }
            COMPARE_REQUEST => {
                Self::CompareRequest(r.sequence(tag, |r| CompareRequest::decode(r, src))?)
            }
            ABANDON_REQUEST => {
                // AbandonRequest ::= [APPLICATION 16] MessageID
                Self::AbandonRequest(read_message_id(r, tag)?)
            }
            EXTENDED_REQUEST => {
                Self::ExtendedRequest(r.sequence(tag, |r| ExtendedRequest::decode(r, src))?)
            }
            EXTENDED_RESPONSE => {
                Self::ExtendedResponse(r.sequence(tag, |r| ExtendedResponse::decode(r, src))?)
            }
            INTERMEDIATE_RESPONSE => Self::IntermediateResponse(
                r.sequence(tag, |r| IntermediateResponse::decode(r, src))?,
            ),
            // SearchResultDone ::= [APPLICATION 5] LDAPResult, and so on.
            SEARCH_RESULT_DONE | MODIFY_RESPONSE | ADD_RESPONSE | DEL_RESPONSE
            | MODIFY_DN_RESPONSE | COMPARE_RESPONSE => {
                let result = r.sequence(tag, |r| LdapResult::decode_components(r, src))?;
                match tag {
                    SEARCH_RESULT_DONE => Self::SearchResultDone(result),
                    MODIFY_RESPONSE => Self::ModifyResponse(result),
                    ADD_RESPONSE => Self::AddResponse(result),
                    DEL_RESPONSE => Self::DelResponse(result),
                    MODIFY_DN_RESPONSE => Self::ModifyDnResponse(result),
                    _ => Self::CompareResponse(result),
                }
            }
            _ => return Err(choice_error("protocolOp", tag, offset, TAGS)),
        };
        Ok(op)
    }

    /// Writes this operation.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        let tag = self.tag();
        match self {
            Self::BindRequest(b) => w.sequence(tag, |w| b.encode(w)),
            Self::BindResponse(b) => w.sequence(tag, |w| b.encode(w)),
            Self::UnbindRequest => w.octet_string(tag, &[]),
            Self::SearchRequest(s) => w.sequence(tag, |w| s.encode(w)),
            Self::SearchResultEntry(e) => w.sequence(tag, |w| e.encode(w)),
            Self::SearchResultReference(uris) => {
                w.sequence(tag, |w| search::encode_reference(w, uris));
            }
            Self::ModifyRequest(m) => w.sequence(tag, |w| m.encode(w)),
            Self::AddRequest(a) => w.sequence(tag, |w| a.encode(w)),
            Self::DelRequest(dn) => w.octet_string(tag, dn.as_bytes()),
            Self::ModifyDnRequest(m) => w.sequence(tag, |w| m.encode(w)),
            Self::CompareRequest(c) => w.sequence(tag, |w| c.encode(w)),
            Self::AbandonRequest(id) => w.integer(tag, i64::from(id.0)),
            Self::ExtendedRequest(e) => w.sequence(tag, |w| e.encode(w)),
            Self::ExtendedResponse(e) => w.sequence(tag, |w| e.encode(w)),
            Self::IntermediateResponse(i) => w.sequence(tag, |w| i.encode(w)),
            Self::SearchResultDone(r)
            | Self::ModifyResponse(r)
            | Self::AddResponse(r)
            | Self::DelResponse(r)
            | Self::ModifyDnResponse(r)
            | Self::CompareResponse(r) => w.sequence(tag, |w| r.encode_components(w)),
        }
    }
}

impl SearchResultEntry {
    /// Reads a whole `SearchResultEntry`, `[APPLICATION 4]` tag included
    /// (the value of a pre-read or post-read response control).
    pub(crate) fn decode_tagged(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        r.sequence(SEARCH_RESULT_ENTRY, |r| Self::decode(r, src))
    }

    /// Writes a whole `SearchResultEntry`, `[APPLICATION 4]` tag included.
    pub(crate) fn encode_tagged(&self, w: &mut Writer<'_>) {
        w.sequence(SEARCH_RESULT_ENTRY, |w| self.encode(w));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
