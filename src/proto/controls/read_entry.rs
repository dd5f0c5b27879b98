//! Pre-read and post-read (RFC 4527): the requests, and the entry that
//! comes back.
//!
//! ```text
//! controlValue ::= AttributeSelection    -- the requests (RFC 4511 §4.5.1.8)
//! controlValue ::= SearchResultEntry     -- the responses (RFC 4511 §4.5.2)
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, Tag};
use crate::proto::codec::{read_strings, write_strings, LDAP_STRING};
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;
use crate::proto::op::SearchResultEntry;

/// Pre-read request (RFC 4527): return these attributes of the entry as it
/// was before a modify, delete or modify DN. Non-critical. The entry comes
/// back as a [`ReadEntry`] control.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreRead {
    /// The attributes to return (empty: all user attributes).
    pub attributes: Vec<ByteString>,
}

/// Post-read request (RFC 4527): return these attributes of the entry as
/// it is after an add, modify or modify DN. Non-critical. The entry comes
/// back as a [`ReadEntry`] control.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostRead {
    /// The attributes to return (empty: all user attributes).
    pub attributes: Vec<ByteString>,
}

macro_rules! read_request {
    ($t:ident, $oid:expr) => {
        impl $t {
            /// The control's OID.
            pub const OID: &'static str = $oid;

            /// Asks for `attributes`.
            pub fn new<S: AsRef<str>>(attributes: impl IntoIterator<Item = S>) -> Self {
                Self {
                    attributes: attributes.into_iter().map(|a| a.as_ref().into()).collect(),
                }
            }

            /// The wire form, non-critical.
            pub fn to_control(&self) -> Control {
                // controlValue ::= AttributeSelection   (RFC 4527 §3.1, §3.2)
                let value = encode_value(|w| {
                    w.sequence(Tag::SEQUENCE, |w| {
                        write_strings(w, Tag::OCTET_STRING, &self.attributes)
                    })
                });
                Control::new(Self::OID, Some(value))
            }

            /// Parses the wire form.
            pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
                decode_value(control, Self::OID, |r, src| {
                    let attributes = r.sequence(Tag::SEQUENCE, |r| {
                        read_strings(r, src, Tag::OCTET_STRING, "AttributeSelection", LDAP_STRING)
                    })?;
                    Ok(Self { attributes })
                })
            }
        }
    };
}

read_request!(PreRead, oid::PRE_READ);
read_request!(PostRead, oid::POST_READ);

/// The response to a [`PreRead`] or [`PostRead`] request (RFC 4527): the
/// entry as it was before, or is after, the operation. Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadEntry {
    /// `true` for a post-read response, `false` for a pre-read one.
    pub post: bool,
    /// The entry, with the attributes that were asked for.
    pub entry: SearchResultEntry,
}

impl ReadEntry {
    /// The entry as it was before (`post == false`) or after the change.
    pub fn new(post: bool, entry: SearchResultEntry) -> Self {
        Self { post, entry }
    }
}

impl ReadEntry {
    /// The wire form, non-critical; the OID is pre-read's or post-read's
    /// according to `post`.
    pub fn to_control(&self) -> Control {
        // controlValue ::= SearchResultEntry   (RFC 4527 §3.1, §3.2)
        let value = encode_value(|w| self.entry.encode_tagged(w));
        Control::new(
            if self.post {
                oid::POST_READ
            } else {
                oid::PRE_READ
            },
            Some(value),
        )
    }

    /// Parses the wire form of a pre-read or a post-read response.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        let post = control.oid == oid::POST_READ;
        let oid = if post { oid::POST_READ } else { oid::PRE_READ };
        decode_value(control, oid, |r, src| {
            Ok(Self {
                post,
                entry: SearchResultEntry::decode_tagged(r, src)?,
            })
        })
    }
}
