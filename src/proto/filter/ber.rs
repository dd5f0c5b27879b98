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

use core::mem::size_of;

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind, Limits, Reader, Tag, Writer};
use crate::proto::codec::{
    choice_error, next_tag, read_bytes, read_opt_string, read_string, Budget, Frame,
    ATTRIBUTE_DESCRIPTION,
};
use crate::proto::filter::attr::{check_name, AttributeDescription, MatchingRuleId};
use crate::proto::filter::model::{Ava, Filter, MatchingRuleAssertion, Substrings};

/// Why a decoded attribute description is refused.
const NOT_AN_ATTRIBUTE: &str = "AttributeDescription is not an RFC 4512 attribute description \
     (a name of letters, digits and '-', or a numeric OID, then ;options)";
/// Why a decoded matching rule is refused.
const NOT_A_RULE: &str = "MatchingRuleId is not an RFC 4512 descriptor or numeric OID";

/// Reads an `AttributeDescription` with `tag` and checks its grammar: one
/// that is not (`a=1)(b`) would print as another filter.
fn read_attribute(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    tag: Tag,
) -> Result<AttributeDescription, DecodeError> {
    let offset = r.offset();
    let name = read_string(r, src, tag, ATTRIBUTE_DESCRIPTION)?;
    attribute(name, offset)
}

fn attribute(name: ByteString, offset: usize) -> Result<AttributeDescription, DecodeError> {
    match check_name(&name, true) {
        Ok(()) => Ok(AttributeDescription::checked(name)),
        Err(_) => Err(DecodeError::new(
            DecodeErrorKind::InvalidValue(NOT_AN_ATTRIBUTE),
            offset,
        )),
    }
}

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
        let budget = Budget::for_len(bytes.len());
        let filter = Self::decode(&mut r, Frame(&bytes, &budget))?;
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
    pub(crate) fn decode<'a>(r: &mut Reader<'a>, src: Frame<'_>) -> Result<Self, DecodeError> {
        let mut stack: Vec<Open<'a>> = Vec::new();
        loop {
            let cur = match stack.last_mut() {
                Some(open) => &mut open.reader,
                None => &mut *r,
            };
            let offset = cur.offset();
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
                        Some(top) => {
                            // The parts of an `and` or `or` are charged
                            // to the budget; the one part of a `not` is
                            // bounded by the depth limit.
                            if !matches!(top.kind, Kind::Not) {
                                src.charge(size_of::<Self>(), "Filter", offset)?;
                            }
                            top.children.push(f);
                        }
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
    fn read(r: &mut Reader<'a>, src: Frame<'_>) -> Result<Self, DecodeError> {
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
            PRESENT => Filter::Present(read_attribute(r, src, tag)?),
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
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // AttributeValueAssertion ::= SEQUENCE {
        //      attributeDesc   AttributeDescription,
        //      assertionValue  AssertionValue }
        let attribute = read_attribute(r, src, Tag::OCTET_STRING)?;
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
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // SubstringFilter ::= SEQUENCE {
        //      type           AttributeDescription,
        //      substrings     SEQUENCE SIZE (1..MAX) OF substring CHOICE {
        //           initial [0] AssertionValue,  -- can occur at most once
        //           any     [1] AssertionValue,
        //           final   [2] AssertionValue } -- can occur at most once
        //      }
        let attribute = read_attribute(r, src, Tag::OCTET_STRING)?;
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
                    ANY => {
                        let v = read_bytes(r, src, tag)?;
                        src.push(&mut s.any, v, "substrings", offset)?;
                    }
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
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // MatchingRuleAssertion ::= SEQUENCE {
        //      matchingRule    [1] MatchingRuleId OPTIONAL,
        //      type            [2] AttributeDescription OPTIONAL,
        //      matchValue      [3] AssertionValue,
        //      dnAttributes    [4] BOOLEAN DEFAULT FALSE }
        let offset = r.offset();
        let rule_at = r.offset();
        let rule = read_opt_string(r, src, MATCHING_RULE, "MatchingRuleId is not UTF-8")?
            .map(|name| match check_name(&name, false) {
                Ok(()) => Ok(MatchingRuleId::checked(name)),
                Err(_) => Err(DecodeError::new(
                    DecodeErrorKind::InvalidValue(NOT_A_RULE),
                    rule_at,
                )),
            })
            .transpose()?;
        let type_at = r.offset();
        let attribute = read_opt_string(r, src, TYPE, ATTRIBUTE_DESCRIPTION)?
            .map(|name| attribute(name, type_at))
            .transpose()?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn ava(a: &'static str, v: &'static str) -> Ava {
        Ava {
            attribute: AttributeDescription::new(a).unwrap(),
            value: Bytes::from_static(v.as_bytes()),
        }
    }

    /// Decodes `bytes` to `want` and encodes `want` back to `bytes`.
    ///
    /// With `TOKIO_LDAP_GOLDEN_DUMP=path` set, the vectors are also appended
    /// to `path`, marked `F:` (a Filter, not an LDAPMessage).
    fn golden(bytes: &[u8], want: &Filter) {
        if let Some(path) = std::env::var_os("TOKIO_LDAP_GOLDEN_DUMP") {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            std::io::Write::write_all(&mut f, format!("F:{hex}\n").as_bytes()).unwrap();
        }
        assert_eq!(
            &Filter::from_ber(Bytes::copy_from_slice(bytes)).unwrap(),
            want
        );
        assert_eq!(want.to_ber(), bytes, "encoding of {want:?}");
    }

    fn err(bytes: &[u8]) -> DecodeError {
        Filter::from_ber(Bytes::copy_from_slice(bytes)).unwrap_err()
    }

    #[test]
    fn leaves() {
        // (objectClass=*)
        let mut bytes = vec![0x87, 0x0b];
        bytes.extend_from_slice(b"objectClass");
        golden(
            &bytes,
            &Filter::Present(AttributeDescription::new("objectClass").unwrap()),
        );
        // (cn=a)
        golden(
            &[0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61],
            &Filter::Equality(ava("cn", "a")),
        );
        // (n>=5), (n<=5)
        golden(
            &[0xa5, 0x06, 0x04, 0x01, 0x6e, 0x04, 0x01, 0x35],
            &Filter::GreaterOrEqual(ava("n", "5")),
        );
        golden(
            &[0xa6, 0x06, 0x04, 0x01, 0x6e, 0x04, 0x01, 0x35],
            &Filter::LessOrEqual(ava("n", "5")),
        );
        // (cn~=a)
        golden(
            &[0xa8, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61],
            &Filter::Approx(ava("cn", "a")),
        );
        // Assertion values are raw bytes: (cn=\ff\00)
        golden(
            &[0xa3, 0x08, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x02, 0xff, 0x00],
            &Filter::Equality(Ava {
                attribute: AttributeDescription::new("cn").unwrap(),
                value: Bytes::from_static(&[0xff, 0x00]),
            }),
        );
    }

    #[test]
    fn substrings() {
        // (cn=a*b*c*d)
        let bytes = [
            0xa4, 0x12, 0x04, 0x02, 0x63, 0x6e, 0x30, 0x0c, 0x80, 0x01, 0x61, 0x81, 0x01, 0x62,
            0x81, 0x01, 0x63, 0x82, 0x01, 0x64,
        ];
        let f = Filter::Substrings(Substrings {
            attribute: AttributeDescription::new("cn").unwrap(),
            initial: Some(Bytes::from_static(b"a")),
            any: vec![Bytes::from_static(b"b"), Bytes::from_static(b"c")],
            final_: Some(Bytes::from_static(b"d")),
        });
        golden(&bytes, &f);
        // (cn=*b*)
        let bytes = [
            0xa4, 0x09, 0x04, 0x02, 0x63, 0x6e, 0x30, 0x03, 0x81, 0x01, 0x62,
        ];
        let f = Filter::Substrings(Substrings {
            attribute: AttributeDescription::new("cn").unwrap(),
            initial: None,
            any: vec![Bytes::from_static(b"b")],
            final_: None,
        });
        golden(&bytes, &f);
    }

    #[test]
    fn extensible() {
        // (cn:dn:2.5.13.2:=x)
        let bytes = [
            0xa9, 0x14, 0x81, 0x08, 0x32, 0x2e, 0x35, 0x2e, 0x31, 0x33, 0x2e, 0x32, 0x82, 0x02,
            0x63, 0x6e, 0x83, 0x01, 0x78, 0x84, 0x01, 0xff,
        ];
        let f = Filter::Extensible(MatchingRuleAssertion {
            rule: Some(MatchingRuleId::new("2.5.13.2").unwrap()),
            attribute: Some(AttributeDescription::new("cn").unwrap()),
            value: Bytes::from_static(b"x"),
            dn_attributes: true,
        });
        golden(&bytes, &f);
        // (:1.2:=x)
        let bytes = [0xa9, 0x08, 0x81, 0x03, 0x31, 0x2e, 0x32, 0x83, 0x01, 0x78];
        let f = Filter::Extensible(MatchingRuleAssertion {
            rule: Some(MatchingRuleId::new("1.2").unwrap()),
            attribute: None,
            value: Bytes::from_static(b"x"),
            dn_attributes: false,
        });
        golden(&bytes, &f);
        // An explicit dnAttributes FALSE decodes (and is left out on encoding).
        let explicit = [
            0xa9, 0x0b, 0x81, 0x03, 0x31, 0x2e, 0x32, 0x83, 0x01, 0x78, 0x84, 0x01, 0x00,
        ];
        assert_eq!(
            Filter::from_ber(Bytes::copy_from_slice(&explicit)).unwrap(),
            f
        );
    }

    #[test]
    fn boolean_combinations() {
        let cn_a = [0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61];
        // (&(cn=a)(sn=b))
        let bytes = [
            0xa0, 0x12, 0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61, 0xa3, 0x07, 0x04,
            0x02, 0x73, 0x6e, 0x04, 0x01, 0x62,
        ];
        golden(
            &bytes,
            &Filter::And(vec![
                Filter::Equality(ava("cn", "a")),
                Filter::Equality(ava("sn", "b")),
            ]),
        );
        // (|(objectClass=*)(cn=a))
        let mut bytes = vec![0xa1, 0x16, 0x87, 0x0b];
        bytes.extend_from_slice(b"objectClass");
        bytes.extend_from_slice(&cn_a);
        golden(
            &bytes,
            &Filter::Or(vec![
                Filter::Present(AttributeDescription::new("objectClass").unwrap()),
                Filter::Equality(ava("cn", "a")),
            ]),
        );
        // (!(cn=a))
        let mut bytes = vec![0xa2, 0x09];
        bytes.extend_from_slice(&cn_a);
        golden(
            &bytes,
            &Filter::Not(Box::new(Filter::Equality(ava("cn", "a")))),
        );
        // (&(c=*)(!(|(a=1)(b=2))))
        let bytes = [
            0xa0, 0x17, 0x87, 0x01, 0x63, 0xa2, 0x12, 0xa1, 0x10, 0xa3, 0x06, 0x04, 0x01, 0x61,
            0x04, 0x01, 0x31, 0xa3, 0x06, 0x04, 0x01, 0x62, 0x04, 0x01, 0x32,
        ];
        let f = Filter::And(vec![
            Filter::Present(AttributeDescription::new("c").unwrap()),
            Filter::Not(Box::new(Filter::Or(vec![
                Filter::Equality(ava("a", "1")),
                Filter::Equality(ava("b", "2")),
            ]))),
        ]);
        golden(&bytes, &f);
    }

    #[test]
    fn absolute_true_and_false() {
        // RFC 4526: (&) and (|).
        assert_eq!(
            Filter::from_ber(Bytes::from_static(&[0xa0, 0x00])).unwrap(),
            Filter::And(Vec::new())
        );
        assert_eq!(Filter::And(Vec::new()).to_ber(), [0xa0, 0x00]);
        assert_eq!(
            Filter::from_ber(Bytes::from_static(&[0xa1, 0x00])).unwrap(),
            Filter::Or(Vec::new())
        );
        assert_eq!(Filter::Or(Vec::new()).to_ber(), [0xa1, 0x00]);
        // Nested inside a not, and followed by a sibling.
        let bytes = [0xa0, 0x07, 0xa2, 0x02, 0xa1, 0x00, 0x87, 0x01, 0x63];
        let f = Filter::And(vec![
            Filter::Not(Box::new(Filter::Or(Vec::new()))),
            Filter::Present(AttributeDescription::new("c").unwrap()),
        ]);
        assert_eq!(Filter::from_ber(Bytes::copy_from_slice(&bytes)).unwrap(), f);
        assert_eq!(f.to_ber(), bytes);
    }

    #[test]
    fn substring_errors() {
        let with = |subs: &[u8]| {
            let mut v = vec![
                0xa4,
                (6 + subs.len()) as u8,
                0x04,
                0x02,
                0x63,
                0x6e,
                0x30,
                subs.len() as u8,
            ];
            v.extend_from_slice(subs);
            err(&v)
        };
        let e = with(&[]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("substrings must hold at least one substring")
        );
        assert_eq!(
            e.to_string(),
            "invalid value: substrings must hold at least one substring at byte 8"
        );
        let e = with(&[0x81, 0x01, 0x62, 0x80, 0x01, 0x61]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("initial must be the first substring")
        );
        assert_eq!(e.offset, 11);
        let e = with(&[0x80, 0x01, 0x61, 0x80, 0x01, 0x62]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("initial must be the first substring")
        );
        let e = with(&[0x82, 0x01, 0x61, 0x81, 0x01, 0x62]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("final must be the last substring")
        );
        assert_eq!(
            e.to_string(),
            "invalid value: final must be the last substring at byte 11"
        );
        let e = with(&[0x82, 0x01, 0x61, 0x82, 0x01, 0x62]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("final must be the last substring")
        );
        let e = with(&[0x83, 0x01, 0x61]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::UnknownChoice {
                field: "substring",
                found: Tag::context(3)
            }
        );
        assert_eq!(
            e.to_string(),
            "unknown substring choice 0x83 ([3]) at byte 8"
        );
        let e = with(&[0xa0, 0x00]);
        assert_eq!(e.kind, DecodeErrorKind::BadConstruction);
    }

    #[test]
    fn structure_errors() {
        let e = err(&[0xa2, 0x00]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("not must hold a filter")
        );
        assert_eq!(
            e.to_string(),
            "invalid value: not must hold a filter at byte 0"
        );
        let e = err(&[0xa2, 0x06, 0x87, 0x01, 0x61, 0x87, 0x01, 0x62]);
        assert_eq!(e.kind, DecodeErrorKind::TrailingData { remaining: 3 });
        assert_eq!(e.offset, 5);
        // present in constructed form, and an AVA in primitive form.
        assert_eq!(err(&[0xa7, 0x00]).kind, DecodeErrorKind::BadConstruction);
        assert_eq!(err(&[0x83, 0x00]).kind, DecodeErrorKind::BadConstruction);
        let e = err(&[0x8a, 0x00]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::UnknownChoice {
                field: "Filter",
                found: Tag::context(10)
            }
        );
        assert_eq!(e.to_string(), "unknown Filter choice 0x8a ([10]) at byte 0");
        let e = err(&[0xa9, 0x03, 0x83, 0x01, 0x78]);
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue("extensibleMatch needs a matchingRule or a type")
        );
        assert_eq!(e.offset, 2);
        let e = err(&[0x87, 0x01, 0x63, 0x00]);
        assert_eq!(e.kind, DecodeErrorKind::TrailingData { remaining: 1 });
        // An and whose member is cut short.
        let e = err(&[0xa0, 0x03, 0x87, 0x05, 0x63]);
        assert_eq!(e.kind, DecodeErrorKind::Truncated { needed: 4 });
        assert_eq!(e.offset, 2);
    }

    /// `n` nested `not`s around `(c=*)`.
    fn nested_not(n: usize) -> Vec<u8> {
        let mut v = vec![0x87, 0x01, 0x63];
        for _ in 0..n {
            let mut outer = vec![0xa2];
            let len = v.len();
            if len < 0x80 {
                outer.push(len as u8);
            } else {
                outer.extend_from_slice(&[
                    0x84,
                    (len >> 24) as u8,
                    (len >> 16) as u8,
                    (len >> 8) as u8,
                    len as u8,
                ]);
            }
            outer.extend_from_slice(&v);
            v = outer;
        }
        v
    }

    #[test]
    fn depth_is_bounded() {
        // 64 levels are allowed by default, 65 are not.
        let f = Filter::from_ber(Bytes::from(nested_not(64))).unwrap();
        assert_eq!(Filter::from_ber(Bytes::from(f.to_ber())).unwrap(), f);
        let e = err(&nested_not(65));
        assert_eq!(e.kind, DecodeErrorKind::DepthExceeded { max: 64 });
        assert_eq!(e.to_string(), "nesting deeper than 64 levels at byte 136");
        // A nesting bomb fails fast, at the limit.
        let e = err(&nested_not(10_000));
        assert_eq!(e.kind, DecodeErrorKind::DepthExceeded { max: 64 });
    }

    #[test]
    fn decoding_does_not_recurse() {
        // With the limit raised, a filter far deeper than any stack frame
        // budget would allow for recursion decodes on a small thread.
        let bytes = Bytes::from(nested_not(3_000));
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let limits = Limits {
                    max_len: usize::MAX,
                    max_depth: 5_000,
                };
                let mut r = Reader::with_limits(&bytes, limits);
                let budget = Budget::for_len(bytes.len());
                let f = Filter::decode(&mut r, Frame(&bytes, &budget)).unwrap();
                // Unwind the result by hand: dropping a 3,000-deep Box
                // chain recursively would itself need a deep stack.
                let mut depth = 0;
                let mut cur = f;
                while let Filter::Not(inner) = cur {
                    cur = *inner;
                    depth += 1;
                }
                depth
            })
            .unwrap();
        assert_eq!(handle.join().unwrap(), 3_000);
    }
}
