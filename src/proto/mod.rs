//! The LDAPv3 message model of RFC 4511, and the text formats around it:
//! search filters (RFC 4515), distinguished names (RFC 4514) and LDAP URLs
//! (RFC 4516).
//!
//! Nothing here does IO. [`LdapMessage::decode`] takes one complete PDU as
//! [`Bytes`](bytes::Bytes) and returns a model whose strings and values are
//! slices of that buffer (no copies); [`LdapMessage::encode`] appends the
//! minimal DER-style encoding to a `Vec<u8>`.
//!
//! The files, from the bottom up (each imports only files below it, and
//! this one only re-exports):
//!
//! | file | what |
//! |---|---|
//! | `codec.rs` | the received frame, [`MessageId`], the field readers and writers every PDU uses (only [`ber`](crate::ber) below) |
//! | [`dn`], [`filter`] (`model`, `ber`, `text`) | distinguished names; search filters, binary and text |
//! | [`authz`] | authorization identities (`dn:`, `u:`, anonymous), parsed as servers send them |
//! | `result/` | [`ResultCode`], [`LdapResult`] |
//! | `op/` | one file per PDU family (`attributes`, then `bind`, `search`, `modify`, `add`, `modify_dn`, `compare`, `extended`) and `mod.rs`: [`ProtocolOp`], its table, tags and names |
//! | [`url`] | LDAP URLs (it uses the search [`Scope`]) |
//! | [`controls`] | the wire-form [`Control`] and the typed controls (pre/post-read carry a search entry) |
//! | `message/` | the `LDAPMessage` envelope: [`LdapMessage`] |
//! | [`extended`] | typed extended operations (the Notice of Disconnection is a whole message) |
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod codec;
mod message;
mod op;
mod result;

pub mod authz;
pub mod controls;
pub mod dn;
pub mod extended;
pub mod filter;
pub mod url;

pub use bytestring::ByteString;
pub use codec::MessageId;
pub use message::LdapMessage;
pub use op::{
    AddRequest, Attribute, AttributeIter, AttributeList, AttributeRef, BindAuth, BindRequest,
    BindResponse, CompareRequest, DerefAliases, ExtendedRequest, ExtendedResponse,
    IntermediateResponse, Modification, ModifyDnRequest, ModifyOp, ModifyRequest, Password,
    ProtocolOp, Scope, SearchRequest, SearchResultEntry, ValueBytes, Values,
};
pub use result::{LdapResult, ResultCode};

// Crate-internal short paths; users name these through their modules
// (`proto::controls::Control`, `proto::dn::Dn`, `proto::filter::Filter`):
// one public path per item.
pub(crate) use controls::Control;
pub(crate) use dn::Dn;
pub(crate) use filter::Filter;
#[cfg(test)]
pub(crate) use op::fast_entry_parts;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;
