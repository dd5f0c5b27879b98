//! BER encoding and decoding of filters (RFC 4511 §4.5.1.7).
//!
//! ```text
//! Filter ::= CHOICE {
//!      and             [0] SET SIZE (1..MAX) OF filter Filter,
//!      or              [1] SET SIZE (1..MAX) OF filter Filter,
//!      not             [2] Filter,
//!      equalityMatch   [3] AttributeValueAssertion,
//!      substrings      [4] SubstringFilter,
//!      greaterOrEqual  [5] AttributeValueAssertion,
//!      lessOrEqual     [6] AttributeValueAssertion,
//!      present         [7] AttributeDescription,
//!      approxMatch     [8] AttributeValueAssertion,
//!      extensibleMatch [9] MatchingRuleAssertion,
//!      ...  }
//! ```
//!
//! Empty `and` and `or` sets are accepted: they are the absolute true and
//! false filters of RFC 4526, `(&)` and `(|)`.

use bytes::Bytes;

use crate::ber::{DecodeError, DecodeErrorKind, Limits, Reader, Tag, Writer};
use crate::proto::filter::{Ava, Filter, MatchingRuleAssertion, Substrings};
use crate::proto::message::{
    choice_error, next_tag, read_bytes, read_opt_string, read_string, ATTRIBUTE_DESCRIPTION,
};
use crate::proto::src::Src;

impl Filter {
    /// The BER encoding of this filter (as it appears in a SearchRequest,
    /// or as the value of an assertion control).
    pub fn to_ber(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut Writer::new(&mut out));
        out
    }

    /// Decodes a filter from its BER encoding, with [`Limits::DEFAULT`];
    /// `bytes` must hold exactly one filter. Values are slices of `bytes`.
    pub fn from_ber(bytes: Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::with_limits(&bytes, Limits::DEFAULT);
        let filter = Self::decode(&mut r, Src(&bytes))?;
        r.finish()?;
        Ok(filter)
    }

    /// Writes this filter.
    ///
    /// This recurses once per level of `and`/`or`/`not`: filters come from
    /// the string parser or from the decoder, both of which bound the
    /// depth.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        match self {
            Self::And(filters) | Self::Or(filters) => {
                let tag = if matches!(self, Self::And(_)) {
                    AND
                } else {
                    OR
                };
                w.sequence(tag, |w| {
                    for f in filters {
                        f.encode(w);
                    }
                });
            }
            Self::Not(f) => w.sequence(NOT, |w| f.encode(w)),
            Self::Equality(ava) => ava.encode(w, EQUALITY),
            Self::Substrings(s) => s.encode(w),
            Self::GreaterOrEqual(ava) => ava.encode(w, GREATER_OR_EQUAL),
            Self::LessOrEqual(ava) => ava.encode(w, LESS_OR_EQUAL),
            Self::Present(attribute) => w.octet_string(PRESENT, attribute.as_bytes()),
            Self::Approx(ava) => ava.encode(w, APPROX),
            Self::Extensible(m) => m.encode(w),
        }
    }

    /// Reads one filter.
    ///
    /// Iterative, not recursive: `and`, `or` and `not` push a frame on a
    /// heap stack. Each frame is a child [`Reader`], so nesting counts
    /// against the reader's depth limit like any constructed value.
    pub(crate) fn decode<'a>(r: &mut Reader<'a>, src: Src<'_>) -> Result<Self, DecodeError> {
        let mut stack: Vec<Open<'a>> = Vec::new();
        loop {
            let cur = match stack.last_mut() {
                Some(open) => &mut open.reader,
                None => &mut *r,
            };
            let mut ready = match Item::read(cur, src)? {
                Item::Filter(f) => Some(f),
                Item::Open(open) => {
                    stack.push(open);
                    None
                }
            };
            // Hand finished filters to their parents, closing every frame
            // that is complete.
            loop {
                if let Some(f) = ready.take() {
                    match stack.last_mut() {
                        Some(top) => top.children.push(f),
                        None => return Ok(f),
                    }
                }
                let Some(top) = stack.last() else { break };
                let complete = match top.kind {
                    Kind::Not => !top.children.is_empty(),
                    Kind::And | Kind::Or => top.reader.is_empty(),
                };
                if !complete {
                    break;
                }
                let Some(top) = stack.pop() else { break };
                top.reader.finish()?;
                ready = Some(top.into_filter());
            }
        }
    }
}

const AND: Tag = Tag::context(0x00).constructed();
const OR: Tag = Tag::context(0x01).constructed();
const NOT: Tag = Tag::context(0x02).constructed();
const EQUALITY: Tag = Tag::context(0x03).constructed();
const SUBSTRINGS: Tag = Tag::context(0x04).constructed();
const GREATER_OR_EQUAL: Tag = Tag::context(0x05).constructed();
const LESS_OR_EQUAL: Tag = Tag::context(0x06).constructed();
const PRESENT: Tag = Tag::context(0x07);
const APPROX: Tag = Tag::context(0x08).constructed();
const EXTENSIBLE: Tag = Tag::context(0x09).constructed();

const FILTER_TAGS: [Tag; 10] = [
    AND,
    OR,
    NOT,
    EQUALITY,
    SUBSTRINGS,
    GREATER_OR_EQUAL,
    LESS_OR_EQUAL,
    PRESENT,
    APPROX,
    EXTENSIBLE,
];

#[derive(Clone, Copy)]
enum Kind {
    And,
    Or,
    Not,
}

/// An `and`, `or` or `not` whose contents are being read.
struct Open<'a> {
    kind: Kind,
    reader: Reader<'a>,
    children: Vec<Filter>,
}

impl Open<'_> {
    fn into_filter(self) -> Filter {
        match self.kind {
            Kind::And => Filter::And(self.children),
            Kind::Or => Filter::Or(self.children),
            Kind::Not => match self.children.into_iter().next() {
                Some(f) => Filter::Not(Box::new(f)),
                // A `not` frame is complete only once it has its child.
                None => Filter::And(Vec::new()),
            },
        }
    }
}

/// What one step of the decoder read.
enum Item<'a> {
    /// A complete leaf filter.
    Filter(Filter),
    /// The start of an `and`, `or` or `not`.
    Open(Open<'a>),
}

impl<'a> Item<'a> {
    fn read(r: &mut Reader<'a>, src: Src<'_>) -> Result<Self, DecodeError> {
        let (tag, offset) = next_tag(r)?;
        let filter = match tag {
            AND | OR | NOT => {
                let tlv = r.tlv()?;
                let reader = tlv.reader(r)?;
                let kind = match tag {
                    AND => Kind::And,
                    OR => Kind::Or,
                    _ => Kind::Not,
                };
                if matches!(kind, Kind::Not) && reader.is_empty() {
                    return Err(DecodeError::new(
                        DecodeErrorKind::InvalidValue("not must hold a filter"),
                        offset,
                    ));
                }
                return Ok(Self::Open(Open {
                    kind,
                    reader,
                    children: Vec::new(),
                }));
            }
            EQUALITY => Filter::Equality(r.sequence(tag, |r| Ava::decode(r, src))?),
            SUBSTRINGS => Filter::Substrings(r.sequence(tag, |r| Substrings::decode(r, src))?),
            GREATER_OR_EQUAL => Filter::GreaterOrEqual(r.sequence(tag, |r| Ava::decode(r, src))?),
            LESS_OR_EQUAL => Filter::LessOrEqual(r.sequence(tag, |r| Ava::decode(r, src))?),
            // present [7] AttributeDescription
            PRESENT => Filter::Present(read_string(r, src, tag, ATTRIBUTE_DESCRIPTION)?),
            APPROX => Filter::Approx(r.sequence(tag, |r| Ava::decode(r, src))?),
            EXTENSIBLE => {
                Filter::Extensible(r.sequence(tag, |r| MatchingRuleAssertion::decode(r, src))?)
            }
            _ => return Err(choice_error("Filter", tag, offset, &FILTER_TAGS)),
        };
        Ok(Self::Filter(filter))
    }
}

impl Ava {
    fn decode(r: &mut Reader<'_>, src: Src<'_>) -> Result<Self, DecodeError> {
        // AttributeValueAssertion ::= SEQUENCE {
        //      attributeDesc   AttributeDescription,
        //      assertionValue  AssertionValue }
        let attribute = read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
        let value = read_bytes(r, src, Tag::OCTET_STRING)?;
        Ok(Self { attribute, value })
    }

    fn encode(&self, w: &mut Writer<'_>, tag: Tag) {
        w.sequence(tag, |w| {
            w.octet_string(Tag::OCTET_STRING, self.attribute.as_bytes());
            w.octet_string(Tag::OCTET_STRING, &self.value);
        });
    }
}

const INITIAL: Tag = Tag::context(0x00);
const ANY: Tag = Tag::context(0x01);
const FINAL: Tag = Tag::context(0x02);

impl Substrings {
    fn decode(r: &mut Reader<'_>, src: Src<'_>) -> Result<Self, DecodeError> {
        // SubstringFilter ::= SEQUENCE {
        //      type           AttributeDescription,
        //      substrings     SEQUENCE SIZE (1..MAX) OF substring CHOICE {
        //           initial [0] AssertionValue,  -- can occur at most once
        //           any     [1] AssertionValue,
        //           final   [2] AssertionValue } -- can occur at most once
        //      }
        let attribute = read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
        r.sequence(Tag::SEQUENCE, |r| {
            if r.is_empty() {
                return Err(r.error(DecodeErrorKind::InvalidValue(
                    "substrings must hold at least one substring",
                )));
            }
            let mut s = Self {
                attribute,
                initial: None,
                any: Vec::new(),
                final_: None,
            };
            let mut first = true;
            while !r.is_empty() {
                let (tag, offset) = next_tag(r)?;
                let out_of_order =
                    |what| DecodeError::new(DecodeErrorKind::InvalidValue(what), offset);
                if s.final_.is_some() {
                    return Err(out_of_order("final must be the last substring"));
                }
                match tag {
                    INITIAL if !first => {
                        return Err(out_of_order("initial must be the first substring"));
                    }
                    INITIAL => s.initial = Some(read_bytes(r, src, tag)?),
                    ANY => s.any.push(read_bytes(r, src, tag)?),
                    FINAL => s.final_ = Some(read_bytes(r, src, tag)?),
                    _ => {
                        return Err(choice_error(
                            "substring",
                            tag,
                            offset,
                            &[INITIAL, ANY, FINAL],
                        ))
                    }
                }
                first = false;
            }
            Ok(s)
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.sequence(SUBSTRINGS, |w| {
            w.octet_string(Tag::OCTET_STRING, self.attribute.as_bytes());
            w.sequence(Tag::SEQUENCE, |w| {
                if let Some(v) = &self.initial {
                    w.octet_string(INITIAL, v);
                }
                for v in &self.any {
                    w.octet_string(ANY, v);
                }
                if let Some(v) = &self.final_ {
                    w.octet_string(FINAL, v);
                }
            });
        });
    }
}

const MATCHING_RULE: Tag = Tag::context(0x01);
const TYPE: Tag = Tag::context(0x02);
const MATCH_VALUE: Tag = Tag::context(0x03);
const DN_ATTRIBUTES: Tag = Tag::context(0x04);

impl MatchingRuleAssertion {
    fn decode(r: &mut Reader<'_>, src: Src<'_>) -> Result<Self, DecodeError> {
        // MatchingRuleAssertion ::= SEQUENCE {
        //      matchingRule    [1] MatchingRuleId OPTIONAL,
        //      type            [2] AttributeDescription OPTIONAL,
        //      matchValue      [3] AssertionValue,
        //      dnAttributes    [4] BOOLEAN DEFAULT FALSE }
        let offset = r.offset();
        let rule = read_opt_string(r, src, MATCHING_RULE, "MatchingRuleId is not UTF-8")?;
        let attribute = read_opt_string(r, src, TYPE, ATTRIBUTE_DESCRIPTION)?;
        let value = read_bytes(r, src, MATCH_VALUE)?;
        let dn_attributes = match r.peek_tag()? {
            Some(DN_ATTRIBUTES) => r.boolean(DN_ATTRIBUTES)?,
            _ => false,
        };
        // RFC 4511 §4.5.1.7.7: "If the matchingRule field is absent, the
        // type field MUST be present".
        if rule.is_none() && attribute.is_none() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("extensibleMatch needs a matchingRule or a type"),
                offset,
            ));
        }
        Ok(Self {
            rule,
            attribute,
            value,
            dn_attributes,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.sequence(EXTENSIBLE, |w| {
            if let Some(rule) = &self.rule {
                w.octet_string(MATCHING_RULE, rule.as_bytes());
            }
            if let Some(a) = &self.attribute {
                w.octet_string(TYPE, a.as_bytes());
            }
            w.octet_string(MATCH_VALUE, &self.value);
            if self.dn_attributes {
                w.boolean(DN_ATTRIBUTES, true);
            }
        });
    }
}
