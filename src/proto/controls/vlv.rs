//! Virtual list view (draft-ietf-ldapext-ldapv3-vlv-09): the request and
//! the response. A VLV request goes with a [`SortRequest`](super::SortRequest).
//!
//! ```text
//! VirtualListViewRequest ::= SEQUENCE {
//!         beforeCount    INTEGER (0..maxInt),
//!         afterCount     INTEGER (0..maxInt),
//!         target       CHOICE {
//!                        byOffset        [0] SEQUENCE {
//!                             offset          INTEGER (0 .. maxInt),
//!                             contentCount    INTEGER (0 .. maxInt) },
//!                        greaterThanOrEqual [1] AssertionValue },
//!         contextID     OCTET STRING OPTIONAL }
//!
//! VirtualListViewResponse ::= SEQUENCE {
//!         targetPosition    INTEGER (0 .. maxInt),
//!         contentCount     INTEGER (0 .. maxInt),
//!         virtualListViewResult ENUMERATED { success (0), ... },
//!         contextID     OCTET STRING OPTIONAL }
//! ```

use bytes::Bytes;

use crate::ber::{DecodeError, Tag};
use crate::proto::codec::{choice_error, next_tag, read_int_in, read_max_int, read_opt_bytes};
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;
use crate::proto::result::ResultCode;

/// Where a [`VlvRequest`]'s window is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VlvTarget {
    /// `byOffset [0]`: at position `offset` (1 is the first entry) of a
    /// list the client believes has `content_count` entries (0: it does
    /// not know; the server then takes `offset` as is).
    ByOffset {
        /// `offset`.
        offset: i32,
        /// `contentCount`.
        content_count: i32,
    },
    /// `greaterThanOrEqual [1]`: at the first entry whose sort key is at
    /// least this value.
    GreaterThanOrEqual(Bytes),
}

/// Virtual list view request: a window of a sorted search result.
/// Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VlvRequest {
    /// `beforeCount`: entries before the target.
    pub before_count: i32,
    /// `afterCount`: entries after the target.
    pub after_count: i32,
    /// `target`.
    pub target: VlvTarget,
    /// `contextID`: the one of the previous response, if any.
    pub context_id: Option<Bytes>,
}

const BY_OFFSET: Tag = Tag::context(0x00).constructed();
const GREATER_THAN_OR_EQUAL: Tag = Tag::context(0x01);

impl VlvRequest {
    /// The control's OID.
    pub const OID: &'static str = oid::VLV_REQUEST;

    /// `before` entries before `target` and `after` after it, without a
    /// context ID.
    pub fn new(before: i32, after: i32, target: VlvTarget) -> Self {
        Self {
            before_count: before,
            after_count: after,
            target,
            context_id: None,
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::INTEGER, i64::from(self.before_count));
                w.integer(Tag::INTEGER, i64::from(self.after_count));
                match &self.target {
                    VlvTarget::ByOffset {
                        offset,
                        content_count,
                    } => w.sequence(BY_OFFSET, |w| {
                        w.integer(Tag::INTEGER, i64::from(*offset));
                        w.integer(Tag::INTEGER, i64::from(*content_count));
                    }),
                    VlvTarget::GreaterThanOrEqual(v) => w.octet_string(GREATER_THAN_OR_EQUAL, v),
                }
                if let Some(id) = &self.context_id {
                    w.octet_string(Tag::OCTET_STRING, id);
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let before_count = read_max_int(r, Tag::INTEGER, "beforeCount")?;
                let after_count = read_max_int(r, Tag::INTEGER, "afterCount")?;
                let (tag, offset) = next_tag(r)?;
                let target = match tag {
                    BY_OFFSET => r.sequence(BY_OFFSET, |r| {
                        Ok(VlvTarget::ByOffset {
                            offset: read_max_int(r, Tag::INTEGER, "offset")?,
                            content_count: read_max_int(r, Tag::INTEGER, "contentCount")?,
                        })
                    })?,
                    GREATER_THAN_OR_EQUAL => VlvTarget::GreaterThanOrEqual(
                        src.bytes(r.octet_string(GREATER_THAN_OR_EQUAL)?),
                    ),
                    _ => {
                        return Err(choice_error(
                            "target",
                            tag,
                            offset,
                            &[BY_OFFSET, GREATER_THAN_OR_EQUAL],
                        ))
                    }
                };
                let context_id = read_opt_bytes(r, src, Tag::OCTET_STRING)?;
                Ok(Self {
                    before_count,
                    after_count,
                    target,
                    context_id,
                })
            })
        })
    }
}

/// Virtual list view response, on the SearchResultDone. Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VlvResponse {
    /// `targetPosition`: the target's position in the list (1 is the first).
    pub target_position: i32,
    /// `contentCount`: the server's count of the list.
    pub content_count: i32,
    /// `virtualListViewResult`: `success`, or why there is no window
    /// (`offsetRangeError (61)`, `sortControlMissing (60)`, ...).
    pub result: ResultCode,
    /// `contextID`: to send with the next request.
    pub context_id: Option<Bytes>,
}

impl VlvResponse {
    /// The control's OID.
    pub const OID: &'static str = oid::VLV_RESPONSE;

    /// A response.
    pub fn new(target_position: i32, content_count: i32, result: ResultCode) -> Self {
        Self {
            target_position,
            content_count,
            result,
            context_id: None,
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::INTEGER, i64::from(self.target_position));
                w.integer(Tag::INTEGER, i64::from(self.content_count));
                w.integer(Tag::ENUMERATED, i64::from(self.result.0));
                if let Some(id) = &self.context_id {
                    w.octet_string(Tag::OCTET_STRING, id);
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let target_position = read_max_int(r, Tag::INTEGER, "targetPosition")?;
                let content_count = read_max_int(r, Tag::INTEGER, "contentCount")?;
                let result = ResultCode(read_int_in(
                    r,
                    Tag::ENUMERATED,
                    "virtualListViewResult",
                    0..=i64::from(u32::MAX),
                )?);
                let context_id = read_opt_bytes(r, src, Tag::OCTET_STRING)?;
                Ok(Self {
                    target_position,
                    content_count,
                    result,
                    context_id,
                })
            })
        })
    }
}
