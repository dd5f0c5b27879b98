//! Server-side sorting (RFC 2891): the request and the response.
//!
//! ```text
//! SortKeyList ::= SEQUENCE OF SEQUENCE {
//!            attributeType   AttributeDescription,
//!            orderingRule    [0] MatchingRuleId OPTIONAL,
//!            reverseOrder    [1] BOOLEAN DEFAULT FALSE }
//!
//! SortResult ::= SEQUENCE {
//!    sortResult  ENUMERATED { ... },
//!    attributeType [0] AttributeDescription OPTIONAL }
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, Tag};
use crate::proto::codec::{read_int_in, read_opt_string, read_string, ATTRIBUTE_DESCRIPTION};
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;
use crate::proto::result::ResultCode;

/// Server-side sort request (RFC 2891). Non-critical: a server that cannot
/// sort returns the entries unsorted (mark it critical to get an error).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SortRequest {
    /// The sort keys, most significant first.
    pub keys: Vec<SortKey>,
}

/// One key of a [`SortRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SortKey {
    /// `attributeType`: the attribute to sort on.
    pub attribute: ByteString,
    /// `orderingRule [0]`: the matching rule, if not the attribute's own.
    pub ordering_rule: Option<ByteString>,
    /// `reverseOrder [1]`: sort descending.
    pub reverse: bool,
}

impl SortKey {
    /// Ascending on `attribute` with its default ordering rule.
    pub fn new(attribute: &str) -> Self {
        Self {
            attribute: attribute.into(),
            ordering_rule: None,
            reverse: false,
        }
    }
}

const ORDERING_RULE: Tag = Tag::context(0x00);
const REVERSE_ORDER: Tag = Tag::context(0x01);

impl SortRequest {
    /// The control's OID.
    pub const OID: &'static str = oid::SORT_REQUEST;

    /// Sorts on `keys`, most significant first.
    pub fn new(keys: impl IntoIterator<Item = SortKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        // SortKeyList ::= SEQUENCE OF SEQUENCE {
        //          attributeType   AttributeDescription,
        //          orderingRule    [0] MatchingRuleId OPTIONAL,
        //          reverseOrder    [1] BOOLEAN DEFAULT FALSE }
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                for key in &self.keys {
                    w.sequence(Tag::SEQUENCE, |w| {
                        w.octet_string(Tag::OCTET_STRING, key.attribute.as_bytes());
                        if let Some(rule) = &key.ordering_rule {
                            w.octet_string(ORDERING_RULE, rule.as_bytes());
                        }
                        if key.reverse {
                            w.boolean(REVERSE_ORDER, true);
                        }
                    });
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let mut keys = src.vec_for(r, "SortKeyList")?;
                while !r.is_empty() {
                    let offset = r.offset();
                    let key = r.sequence(Tag::SEQUENCE, |r| {
                        let attribute =
                            read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
                        let ordering_rule =
                            read_opt_string(r, src, ORDERING_RULE, "MatchingRuleId is not UTF-8")?;
                        let reverse = match r.peek_tag()? {
                            Some(REVERSE_ORDER) => r.boolean(REVERSE_ORDER)?,
                            _ => false,
                        };
                        Ok(SortKey {
                            attribute,
                            ordering_rule,
                            reverse,
                        })
                    })?;
                    src.push(&mut keys, key, "SortKeyList", offset)?;
                }
                Ok(Self { keys })
            })
        })
    }
}

/// Server-side sort response (RFC 2891), on the SearchResultDone.
/// Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SortResponse {
    /// `sortResult`: `success`, or why the entries are not sorted
    /// (`noSuchAttribute`, `inappropriateMatching`, `unwillingToPerform`, ...).
    pub result: ResultCode,
    /// `attributeType [0]`: the attribute that caused the failure.
    pub attribute: Option<ByteString>,
}

impl SortResponse {
    /// A response with `result`, naming `attribute` as the cause of a
    /// failure, if any.
    pub fn new(result: ResultCode, attribute: Option<ByteString>) -> Self {
        Self { result, attribute }
    }
}

const SORT_ATTRIBUTE: Tag = Tag::context(0x00);

impl SortResponse {
    /// The control's OID.
    pub const OID: &'static str = oid::SORT_RESPONSE;

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        // SortResult ::= SEQUENCE {
        //    sortResult  ENUMERATED { success (0), ..., other (80) },
        //    attributeType [0] AttributeDescription OPTIONAL }
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::ENUMERATED, i64::from(self.result.0));
                if let Some(a) = &self.attribute {
                    w.octet_string(SORT_ATTRIBUTE, a.as_bytes());
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let result = ResultCode(read_int_in(
                    r,
                    Tag::ENUMERATED,
                    "sortResult",
                    0..=i64::from(u32::MAX),
                )?);
                let attribute = read_opt_string(r, src, SORT_ATTRIBUTE, ATTRIBUTE_DESCRIPTION)?;
                Ok(Self { result, attribute })
            })
        })
    }
}
