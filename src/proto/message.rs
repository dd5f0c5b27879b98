use core::fmt;

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{Class, DecodeError, DecodeErrorKind, Limits, Reader, Tag, Tlv, Writer};
use crate::proto::control::{decode_controls, encode_controls};
use crate::proto::src::Src;
use crate::proto::{op, Control, ProtocolOp};

/// An LDAP message ID (RFC 4511 §4.1.1.1): `0` is reserved for unsolicited
/// notifications, requests use `1..=2^31-1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i32);

impl MessageId {
    /// The ID of unsolicited notifications.
    pub const UNSOLICITED: Self = Self(0);
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One LDAP PDU: `LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdapMessage {
    /// The message ID.
    pub id: MessageId,
    /// The operation.
    pub op: ProtocolOp,
    /// Controls attached to the message (empty when absent).
    pub controls: Vec<Control>,
}

impl LdapMessage {
    /// A message without controls.
    pub fn new(id: MessageId, op: ProtocolOp) -> Self {
        Self {
            id,
            op,
            controls: Vec::new(),
        }
    }

    /// Decodes one complete PDU with [`Limits::DEFAULT`].
    ///
    /// Every string and value of the result is a slice of `frame`: nothing
    /// is copied except simple-bind passwords (which go into a
    /// [`Password`](crate::proto::Password) that is wiped on drop). Bytes
    /// after the message are an error.
    pub fn decode(frame: Bytes) -> Result<Self, DecodeError> {
        Self::decode_with_limits(frame, Limits::DEFAULT)
    }

    /// Decodes one complete PDU, with the given length and depth limits.
    pub fn decode_with_limits(frame: Bytes, limits: Limits) -> Result<Self, DecodeError> {
        // The bulk of a large search: entries in the usual shape (see
        // `fast_entry_parts`). A DN that is not UTF-8 goes the general way,
        // which reports it.
        if let Some((id, dn, list, len)) = op::fast_entry_parts(&frame, limits) {
            let src = Src(&frame);
            // (The offset only places an error, which the general way reports.)
            if let (Ok(dn), Some(at)) = (src.string(dn, 0), src.range_of(list)) {
                // The frame itself becomes the attribute list: narrowing it
                // in place spares a reference count up and one down.
                let mut list = frame;
                list.truncate(at.end);
                bytes::Buf::advance(&mut list, at.start);
                return Ok(Self {
                    id: MessageId(id),
                    op: ProtocolOp::SearchResultEntry(op::SearchResultEntry {
                        dn,
                        attributes: op::AttributeList::from_checked(list, len),
                    }),
                    controls: Vec::new(),
                });
            }
        }
        Self::decode_general(frame, limits)
    }

    /// [`decode_with_limits`](Self::decode_with_limits) without the fast
    /// path for search entries.
    pub(crate) fn decode_general(frame: Bytes, limits: Limits) -> Result<Self, DecodeError> {
        let src = Src(&frame);
        let mut r = Reader::with_limits(&frame, limits);
        // LDAPMessage ::= SEQUENCE {
        //      messageID       MessageID,
        //      protocolOp      CHOICE { ... },
        //      controls       [0] Controls OPTIONAL }
        //
        // (Read without a closure, so that the operation, a large value, is
        // not moved through one more `Result`.)
        let tlv = r.element(Tag::SEQUENCE)?;
        let mut m = tlv.reader(&r)?;
        let id = read_message_id(&mut m, Tag::INTEGER)?;
        let op = ProtocolOp::decode(&mut m, src)?;
        let controls = match m.peek_tag()? {
            Some(CONTROLS) => m.sequence(CONTROLS, |r| decode_controls(r, src))?,
            _ => Vec::new(),
        };
        m.finish()?;
        r.finish()?;
        Ok(Self { id, op, controls })
    }

    /// Appends the encoding of this message to `out`: definite, minimal
    /// lengths; the controls field is left out when there are none.
    pub fn encode(&self, out: &mut Vec<u8>) {
        Writer::new(out).sequence(Tag::SEQUENCE, |w| {
            w.integer(Tag::INTEGER, i64::from(self.id.0));
            self.op.encode(w);
            if !self.controls.is_empty() {
                w.sequence(CONTROLS, |w| encode_controls(&self.controls, w));
            }
        });
    }

    /// The encoding of this message, in a new `Vec`.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads only the message ID and the tag of the protocol operation of
    /// a PDU, without decoding (or validating) the rest: enough to route a
    /// response to the operation waiting for it.
    ///
    /// The tag's class is always APPLICATION;
    /// [`ProtocolOp::name_of_tag`] names it.
    pub fn peek_id_and_tag(frame: &[u8]) -> Result<(MessageId, Tag), DecodeError> {
        let mut r = Reader::new(frame);
        let body = r.element(Tag::SEQUENCE)?;
        let mut r = body.reader(&r)?;
        let id = read_message_id(&mut r, Tag::INTEGER)?;
        let (tag, offset) = next_tag(&r)?;
        if tag.class != Class::Application {
            return Err(DecodeError::new(
                DecodeErrorKind::UnknownChoice {
                    field: "protocolOp",
                    found: tag,
                },
                offset,
            ));
        }
        Ok((id, tag))
    }
}

/// `controls [0] Controls` in `LDAPMessage`.
const CONTROLS: Tag = Tag::context(0).constructed();

// What each kind of string is called in errors (RFC 4511 §4.1.2-§4.1.5).
pub(crate) const LDAP_STRING: &str = "LDAPString is not UTF-8";
pub(crate) const LDAP_DN: &str = "LDAPDN is not UTF-8";
pub(crate) const LDAP_OID: &str = "LDAPOID is not UTF-8";
pub(crate) const ATTRIBUTE_DESCRIPTION: &str = "AttributeDescription is not UTF-8";

/// Reads `MessageID ::= INTEGER (0 ..  maxInt)` with `tag`.
pub(crate) fn read_message_id(r: &mut Reader<'_>, tag: Tag) -> Result<MessageId, DecodeError> {
    read_max_int(r, tag, "messageID").map(MessageId)
}

/// Reads an `INTEGER (0 ..  maxInt)` with `tag`; `field` names it in the
/// error (`maxInt INTEGER ::= 2147483647 -- (2^^31 - 1) --`).
pub(crate) fn read_max_int(
    r: &mut Reader<'_>,
    tag: Tag,
    field: &'static str,
) -> Result<i32, DecodeError> {
    let n = read_int_in(r, tag, field, 0, i64::from(i32::MAX))?;
    // In range by the check above.
    Ok(i32::try_from(n).unwrap_or_default())
}

/// The error for a CHOICE whose alternatives are `known` and whose
/// element at `offset` has tag `found`: a known tag number with the wrong
/// primitive/constructed bit is [`DecodeErrorKind::BadConstruction`], any
/// other tag [`DecodeErrorKind::UnknownChoice`].
pub(crate) fn choice_error(
    field: &'static str,
    found: Tag,
    offset: usize,
    known: &[Tag],
) -> DecodeError {
    let flipped = Tag {
        constructed: !found.constructed,
        ..found
    };
    let kind = if known.contains(&flipped) {
        DecodeErrorKind::BadConstruction
    } else {
        DecodeErrorKind::UnknownChoice { field, found }
    };
    DecodeError::new(kind, offset)
}

/// The next element's tag, which must exist; `offset` is where it starts.
pub(crate) fn next_tag(r: &Reader<'_>) -> Result<(Tag, usize), DecodeError> {
    match r.peek_tag()? {
        Some(tag) => Ok((tag, r.offset())),
        None => Err(r.error(DecodeErrorKind::Truncated { needed: 1 })),
    }
}

/// Reads an INTEGER (or ENUMERATED) with `tag` that must lie in
/// `min..=max`; `field` names it in the error.
pub(crate) fn read_int_in(
    r: &mut Reader<'_>,
    tag: Tag,
    field: &'static str,
    min: i64,
    max: i64,
) -> Result<i64, DecodeError> {
    let offset = r.offset();
    let value = r.integer(tag)?;
    if value < min || value > max {
        return Err(DecodeError::new(
            DecodeErrorKind::IntegerOutOfRange { field, value },
            offset,
        ));
    }
    Ok(value)
}

/// Reads an ENUMERATED and maps it with `f`; a value `f` does not know is
/// an [`DecodeErrorKind::UnknownEnumerated`] error naming `field`.
pub(crate) fn read_enum<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    f: impl FnOnce(i64) -> Option<T>,
) -> Result<T, DecodeError> {
    let offset = r.offset();
    let value = r.integer(Tag::ENUMERATED)?;
    f(value).ok_or_else(|| {
        DecodeError::new(DecodeErrorKind::UnknownEnumerated { field, value }, offset)
    })
}

/// Reads a primitive element with `tag` whose content must be UTF-8;
/// `what` is the error text when it is not.
pub(crate) fn read_string(
    r: &mut Reader<'_>,
    src: Src<'_>,
    tag: Tag,
    what: &'static str,
) -> Result<ByteString, DecodeError> {
    let tlv = r.element(tag)?;
    tlv_string(src, &tlv, what)
}

/// The content of `tlv` as a zero-copy UTF-8 string.
pub(crate) fn tlv_string(
    src: Src<'_>,
    tlv: &Tlv<'_>,
    what: &'static str,
) -> Result<ByteString, DecodeError> {
    src.string(tlv.value, tlv.offset).map_err(|e| DecodeError {
        kind: DecodeErrorKind::InvalidValue(what),
        ..e
    })
}

/// Reads a primitive element with `tag` as zero-copy bytes.
pub(crate) fn read_bytes(r: &mut Reader<'_>, src: Src<'_>, tag: Tag) -> Result<Bytes, DecodeError> {
    Ok(src.bytes(r.octet_string(tag)?))
}

/// Reads an optional primitive element with `tag` as zero-copy bytes.
pub(crate) fn read_opt_bytes(
    r: &mut Reader<'_>,
    src: Src<'_>,
    tag: Tag,
) -> Result<Option<Bytes>, DecodeError> {
    Ok(r.optional(tag)?.map(|tlv| src.bytes(tlv.value)))
}

/// Reads an optional primitive element with `tag` as a UTF-8 string.
pub(crate) fn read_opt_string(
    r: &mut Reader<'_>,
    src: Src<'_>,
    tag: Tag,
    what: &'static str,
) -> Result<Option<ByteString>, DecodeError> {
    r.optional(tag)?
        .map(|tlv| tlv_string(src, &tlv, what))
        .transpose()
}

/// Reads `SEQUENCE OF LDAPString`-style contents: every remaining element
/// must be a primitive with `tag` holding UTF-8.
pub(crate) fn read_strings(
    r: &mut Reader<'_>,
    src: Src<'_>,
    tag: Tag,
    what: &'static str,
) -> Result<Vec<ByteString>, DecodeError> {
    let mut out = Vec::with_capacity(count(r));
    while !r.is_empty() {
        out.push(read_string(r, src, tag, what)?);
    }
    Ok(out)
}

/// About how many elements are left in `r`, to size a `Vec` before
/// decoding them: a skim over the headers that validates nothing (the
/// decoder that follows does) and gives up at anything unusual. Never more
/// than half the remaining bytes.
pub(crate) fn count(r: &Reader<'_>) -> usize {
    let rest = r.rest();
    let mut n = 0;
    let mut at = 0usize;
    while let Some(&[first, len]) = rest
        .get(at..at.saturating_add(2))
        .and_then(|h| h.first_chunk())
    {
        if first & 0x1f == 0x1f || len >= 0x80 {
            // A high tag number or a long length: count the rest one by one.
            let mut r = r.clone();
            let mut n = 0;
            while !r.is_empty() && r.tlv().is_ok() {
                n += 1;
            }
            return n;
        }
        at = at.saturating_add(2 + usize::from(len));
        n += 1;
    }
    n
}

/// Writes `SEQUENCE OF`-style contents: each string as a primitive `tag`.
pub(crate) fn write_strings(w: &mut Writer<'_>, tag: Tag, items: &[ByteString]) {
    for s in items {
        w.octet_string(tag, s.as_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::proto::{LdapResult, ResultCode};

    /// Decodes `bytes`, checks it equals `want`, and that `want` encodes
    /// back to exactly `bytes`.
    ///
    /// With `TOKIO_LDAP_GOLDEN_DUMP=path` set, the vectors are also
    /// appended to `path` as hex lines, for checking with another codec
    /// (see `tests/lber_diff.rs` and the module docs of `proto::op`).
    pub(crate) fn golden(bytes: &[u8], want: &LdapMessage) {
        if let Some(path) = std::env::var_os("TOKIO_LDAP_GOLDEN_DUMP") {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            std::io::Write::write_all(&mut f, format!("{hex}\n").as_bytes()).unwrap();
        }
        let got = LdapMessage::decode(Bytes::copy_from_slice(bytes))
            .unwrap_or_else(|e| panic!("{e} in {bytes:02x?}"));
        assert_eq!(&got, want);
        assert_eq!(want.to_vec(), bytes, "encoding of {want:?}");
        let (id, tag) = LdapMessage::peek_id_and_tag(bytes).unwrap();
        assert_eq!((id, tag), (want.id, want.op.tag()));
    }

    /// Decodes `bytes` and returns the error.
    pub(crate) fn decode_err(bytes: &[u8]) -> DecodeError {
        LdapMessage::decode(Bytes::copy_from_slice(bytes)).unwrap_err()
    }

    fn unbind(id: i32) -> LdapMessage {
        LdapMessage::new(MessageId(id), ProtocolOp::UnbindRequest)
    }

    #[test]
    fn message_ids() {
        golden(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00], &unbind(3));
        golden(&[0x30, 0x05, 0x02, 0x01, 0x00, 0x42, 0x00], &unbind(0));
        golden(
            &[0x30, 0x08, 0x02, 0x04, 0x7f, 0xff, 0xff, 0xff, 0x42, 0x00],
            &unbind(i32::MAX),
        );
        // Non-minimal INTEGER and lengths (Active Directory style).
        let ad = [
            0x30, 0x84, 0, 0, 0, 0x06, 0x02, 0x02, 0x00, 0x03, 0x42, 0x00,
        ];
        assert_eq!(
            LdapMessage::decode(Bytes::copy_from_slice(&ad)).unwrap(),
            unbind(3)
        );
    }

    #[test]
    fn negative_message_id_is_rejected() {
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0xff, 0x42, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "messageID",
                value: -1
            }
        );
        assert_eq!(err.to_string(), "messageID -1 is out of range at byte 2");
        let err = decode_err(&[0x30, 0x09, 0x02, 0x05, 0x00, 0x80, 0, 0, 0, 0x42, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "messageID",
                value: 1 << 31
            }
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00, 0x00]);
        assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 1 });
        assert_eq!(err.to_string(), "1 unexpected trailing bytes at byte 7");
        // Inside the message, after the controls.
        let err = decode_err(&[0x30, 0x07, 0x02, 0x01, 0x03, 0x42, 0x00, 0x05, 0x00]);
        assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 2 });
    }

    #[test]
    fn unknown_protocol_op() {
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x7e, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownChoice {
                field: "protocolOp",
                found: Tag::application(30).constructed()
            }
        );
        assert_eq!(
            err.to_string(),
            "unknown protocolOp choice 0x7e ([APPLICATION 30] constructed) at byte 5"
        );
        // A universal tag where the operation belongs.
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x04, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownChoice {
                field: "protocolOp",
                found: Tag::OCTET_STRING
            }
        );
        // Missing altogether.
        let err = decode_err(&[0x30, 0x03, 0x02, 0x01, 0x03]);
        assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
    }

    #[test]
    fn not_a_sequence() {
        let err = decode_err(&[0x31, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::SEQUENCE,
                found: Tag::SET
            }
        );
        assert_eq!(err.to_string(), "expected tag 0x30 ([UNIVERSAL 16] constructed), found 0x31 ([UNIVERSAL 17] constructed) at byte 0");
        assert_eq!(
            decode_err(&[]).kind,
            DecodeErrorKind::Truncated { needed: 1 }
        );
    }

    #[test]
    fn controls_on_a_message() {
        // DelResponse success with a ManageDsaIT control, critical, no value.
        let mut bytes = vec![
            0x30, 0x2c, 0x02, 0x01, 0x05, 0x6b, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0xa0, 0x1e, 0x30, 0x1c, 0x04, 0x17,
        ];
        bytes.extend_from_slice(b"2.16.840.1.113730.3.4.2");
        bytes.extend_from_slice(&[0x01, 0x01, 0xff]);
        let msg = LdapMessage {
            id: MessageId(5),
            op: ProtocolOp::DelResponse(LdapResult::new(ResultCode::SUCCESS)),
            controls: vec![Control {
                oid: ByteString::from_static("2.16.840.1.113730.3.4.2"),
                critical: true,
                value: None,
            }],
        };
        golden(&bytes, &msg);
        // An empty controls field decodes to no controls.
        let empty = [0x30, 0x07, 0x02, 0x01, 0x03, 0x42, 0x00, 0xa0, 0x00];
        assert_eq!(
            LdapMessage::decode(Bytes::copy_from_slice(&empty)).unwrap(),
            unbind(3)
        );
    }

    #[test]
    fn peek() {
        let bytes = [0x30, 0x05, 0x02, 0x01, 0x07, 0x42, 0x00];
        assert_eq!(
            LdapMessage::peek_id_and_tag(&bytes).unwrap(),
            (MessageId(7), Tag::application(2))
        );
        let err = LdapMessage::peek_id_and_tag(&[0x30, 0x03, 0x02, 0x01, 0x07]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
    }

    #[test]
    fn string_checks() {
        let mut out = Vec::new();
        Writer::new(&mut out).octet_string(Tag::OCTET_STRING, &[0xc3, 0x28]);
        let frame = Bytes::from(out);
        let mut r = Reader::new(&frame);
        let err = read_string(&mut r, Src(&frame), Tag::OCTET_STRING, LDAP_DN).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("LDAPDN is not UTF-8")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: LDAPDN is not UTF-8 at byte 0"
        );
    }

    #[test]
    fn zero_copy() {
        let bytes = vec![
            0x30, 0x0c, 0x02, 0x01, 0x02, 0x4a, 0x07, b'c', b'n', b'=', b'x', b',', b'o', b'=',
        ];
        let frame = Bytes::from(bytes);
        let msg = LdapMessage::decode(frame.clone()).unwrap();
        let ProtocolOp::DelRequest(dn) = &msg.op else {
            panic!("{msg:?}")
        };
        assert_eq!(dn, "cn=x,o=");
        let dn_bytes = dn.as_bytes();
        assert_eq!(dn_bytes.as_ptr(), frame[7..].as_ptr());
    }

    #[test]
    fn counting_elements() {
        let count_of = |bytes: &[u8]| count(&Reader::new(bytes));
        assert_eq!(count_of(&[]), 0);
        assert_eq!(count_of(&[0x04, 0x00, 0x04, 0x01, 0x61, 0x30, 0x00]), 3);
        // Long lengths and high tags are counted the slow way.
        assert_eq!(
            count_of(&[0x04, 0x00, 0x04, 0x81, 0x01, 0x61, 0x5f, 0x81, 0x48, 0x00]),
            3
        );
        // It is a hint: a truncated last element may count, a bad one
        // stops the count.
        assert_eq!(count_of(&[0x04, 0x00, 0x04, 0x05, 0x61]), 2);
        assert_eq!(count_of(&[0x04, 0x00, 0x04, 0x80, 0x04, 0x00]), 1);
    }

    mod properties {
        use proptest::collection::vec;
        use proptest::prelude::*;
        use proptest::strategy::Union;

        use super::*;
        use crate::proto::filter::{Ava, MatchingRuleAssertion, Substrings};
        use crate::proto::*;

        prop_compose! {
            /// Any UTF-8 string, short.
            pub(crate) fn string()(s in "\\PC{0,12}") -> ByteString { ByteString::from(s) }
        }

        prop_compose! {
            /// Any bytes, short.
            pub(crate) fn bytes()(v in vec(any::<u8>(), 0..16)) -> Bytes { Bytes::from(v) }
        }

        fn max_int() -> impl Strategy<Value = i32> {
            prop_oneof![0..=10i32, 0..=i32::MAX]
        }

        fn ava() -> impl Strategy<Value = Ava> {
            (string(), bytes()).prop_map(|(attribute, value)| Ava { attribute, value })
        }

        /// Any filter the decoder accepts, up to five levels deep.
        pub(crate) fn filter() -> impl Strategy<Value = Filter> {
            let substrings = (
                string(),
                proptest::option::of(bytes()),
                vec(bytes(), 0..3),
                proptest::option::of(bytes()),
            )
                .prop_filter("at least one substring", |(_, i, a, f)| {
                    i.is_some() || !a.is_empty() || f.is_some()
                })
                .prop_map(|(attribute, initial, any, final_)| {
                    Filter::Substrings(Substrings {
                        attribute,
                        initial,
                        any,
                        final_,
                    })
                });
            let extensible = (
                proptest::option::of(string()),
                proptest::option::of(string()),
                bytes(),
                any::<bool>(),
            )
                .prop_filter("a rule or a type", |(r, t, _, _)| {
                    r.is_some() || t.is_some()
                })
                .prop_map(|(rule, attribute, value, dn_attributes)| {
                    Filter::Extensible(MatchingRuleAssertion {
                        rule,
                        attribute,
                        value,
                        dn_attributes,
                    })
                });
            let leaf = prop_oneof![
                ava().prop_map(Filter::Equality),
                substrings,
                ava().prop_map(Filter::GreaterOrEqual),
                ava().prop_map(Filter::LessOrEqual),
                string().prop_map(Filter::Present),
                ava().prop_map(Filter::Approx),
                extensible,
            ];
            leaf.prop_recursive(5, 32, 4, |inner| {
                prop_oneof![
                    vec(inner.clone(), 0..4).prop_map(Filter::And),
                    vec(inner.clone(), 0..4).prop_map(Filter::Or),
                    inner.prop_map(|f| Filter::Not(Box::new(f))),
                ]
            })
        }

        fn attribute(min_values: usize) -> impl Strategy<Value = Attribute> {
            (string(), vec(bytes(), min_values..4))
                .prop_map(|(name, values)| Attribute { name, values })
        }

        fn result() -> impl Strategy<Value = LdapResult> {
            (any::<u32>(), string(), string(), vec(string(), 0..3)).prop_map(
                |(code, matched_dn, message, referrals)| LdapResult {
                    code: ResultCode(code),
                    matched_dn,
                    message,
                    referrals,
                },
            )
        }

        fn entry() -> impl Strategy<Value = SearchResultEntry> {
            (string(), vec(attribute(0), 0..4))
                .prop_map(|(dn, attributes)| SearchResultEntry::new(dn, attributes))
        }

        /// Any protocol operation the decoder accepts.
        pub(crate) fn op() -> impl Strategy<Value = ProtocolOp> {
            let auth = prop_oneof![
                vec(any::<u8>(), 0..8).prop_map(|p| BindAuth::Simple(Password::new(p))),
                (string(), proptest::option::of(bytes())).prop_map(|(mechanism, credentials)| {
                    BindAuth::Sasl {
                        mechanism,
                        credentials,
                    }
                }),
            ];
            let scope = prop_oneof![
                Just(Scope::Base),
                Just(Scope::OneLevel),
                Just(Scope::Subtree),
                Just(Scope::Subordinate)
            ];
            let deref = prop_oneof![
                Just(DerefAliases::Never),
                Just(DerefAliases::InSearching),
                Just(DerefAliases::FindingBase),
                Just(DerefAliases::Always)
            ];
            let modify_op = prop_oneof![
                Just(ModifyOp::Add),
                Just(ModifyOp::Delete),
                Just(ModifyOp::Replace),
                Just(ModifyOp::Increment)
            ];
            Union::new(vec![
                (1u8..=127, string(), auth)
                    .prop_map(|(version, name, auth)| {
                        ProtocolOp::BindRequest(BindRequest {
                            version,
                            name,
                            auth,
                        })
                    })
                    .boxed(),
                (result(), proptest::option::of(bytes()))
                    .prop_map(|(result, server_sasl_creds)| {
                        ProtocolOp::BindResponse(BindResponse {
                            result,
                            server_sasl_creds,
                        })
                    })
                    .boxed(),
                Just(ProtocolOp::UnbindRequest).boxed(),
                (
                    string(),
                    scope,
                    deref,
                    max_int(),
                    max_int(),
                    any::<bool>(),
                    filter(),
                    vec(string(), 0..3),
                )
                    .prop_map(
                        |(
                            base,
                            scope,
                            deref,
                            size_limit,
                            time_limit,
                            types_only,
                            filter,
                            attributes,
                        )| {
                            ProtocolOp::SearchRequest(SearchRequest {
                                base,
                                scope,
                                deref,
                                size_limit,
                                time_limit,
                                types_only,
                                filter,
                                attributes,
                            })
                        },
                    )
                    .boxed(),
                entry().prop_map(ProtocolOp::SearchResultEntry).boxed(),
                result().prop_map(ProtocolOp::SearchResultDone).boxed(),
                vec(string(), 1..3)
                    .prop_map(ProtocolOp::SearchResultReference)
                    .boxed(),
                (string(), vec((modify_op, attribute(0)), 0..3))
                    .prop_map(|(object, changes)| {
                        let changes = changes
                            .into_iter()
                            .map(|(op, attribute)| Modification { op, attribute })
                            .collect();
                        ProtocolOp::ModifyRequest(ModifyRequest { object, changes })
                    })
                    .boxed(),
                result().prop_map(ProtocolOp::ModifyResponse).boxed(),
                (string(), vec(attribute(1), 0..3))
                    .prop_map(|(entry, attributes)| {
                        ProtocolOp::AddRequest(AddRequest { entry, attributes })
                    })
                    .boxed(),
                result().prop_map(ProtocolOp::AddResponse).boxed(),
                string().prop_map(ProtocolOp::DelRequest).boxed(),
                result().prop_map(ProtocolOp::DelResponse).boxed(),
                (
                    string(),
                    string(),
                    any::<bool>(),
                    proptest::option::of(string()),
                )
                    .prop_map(|(entry, new_rdn, delete_old_rdn, new_superior)| {
                        ProtocolOp::ModifyDnRequest(ModifyDnRequest {
                            entry,
                            new_rdn,
                            delete_old_rdn,
                            new_superior,
                        })
                    })
                    .boxed(),
                result().prop_map(ProtocolOp::ModifyDnResponse).boxed(),
                (string(), string(), bytes())
                    .prop_map(|(entry, attribute, value)| {
                        ProtocolOp::CompareRequest(CompareRequest {
                            entry,
                            attribute,
                            value,
                        })
                    })
                    .boxed(),
                result().prop_map(ProtocolOp::CompareResponse).boxed(),
                max_int()
                    .prop_map(|id| ProtocolOp::AbandonRequest(MessageId(id)))
                    .boxed(),
                (string(), proptest::option::of(bytes()))
                    .prop_map(|(name, value)| {
                        ProtocolOp::ExtendedRequest(ExtendedRequest { name, value })
                    })
                    .boxed(),
                (
                    result(),
                    proptest::option::of(string()),
                    proptest::option::of(bytes()),
                )
                    .prop_map(|(result, name, value)| {
                        ProtocolOp::ExtendedResponse(ExtendedResponse {
                            result,
                            name,
                            value,
                        })
                    })
                    .boxed(),
                (
                    proptest::option::of(string()),
                    proptest::option::of(bytes()),
                )
                    .prop_map(|(name, value)| {
                        ProtocolOp::IntermediateResponse(IntermediateResponse { name, value })
                    })
                    .boxed(),
            ])
        }

        fn control() -> impl Strategy<Value = Control> {
            (string(), any::<bool>(), proptest::option::of(bytes())).prop_map(
                |(oid, critical, value)| Control {
                    oid,
                    critical,
                    value,
                },
            )
        }

        /// Any message the decoder accepts.
        pub(crate) fn message() -> impl Strategy<Value = LdapMessage> {
            (max_int(), op(), vec(control(), 0..3)).prop_map(|(id, op, controls)| LdapMessage {
                id: MessageId(id),
                op,
                controls,
            })
        }

        proptest! {
            #[test]
            fn round_trip(msg in message()) {
                let bytes = msg.to_vec();
                let back = LdapMessage::decode(Bytes::from(bytes.clone()));
                prop_assert_eq!(back.as_ref(), Ok(&msg));
                let (id, tag) = LdapMessage::peek_id_and_tag(&bytes).unwrap();
                prop_assert_eq!((id, tag), (msg.id, msg.op.tag()));
                prop_assert_eq!(ProtocolOp::name_of_tag(tag), Some(msg.op.name()));
            }

            #[test]
            fn filter_round_trip(f in filter()) {
                prop_assert_eq!(Filter::from_ber(Bytes::from(f.to_ber())), Ok(f));
            }

            #[test]
            fn random_bytes_never_panic(data in vec(any::<u8>(), 0..256)) {
                let _ = LdapMessage::decode(Bytes::from(data.clone()));
                let _ = LdapMessage::peek_id_and_tag(&data);
                let _ = Filter::from_ber(Bytes::from(data));
            }

            #[test]
            fn damaged_messages_never_panic(
                msg in message(),
                edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
                cut in any::<prop::sample::Index>(),
            ) {
                let original = msg.to_vec();
                // Any proper prefix of a message is incomplete.
                let prefix = original.get(..cut.index(original.len())).unwrap();
                prop_assert!(LdapMessage::decode(Bytes::copy_from_slice(prefix)).is_err());
                let mut bytes = original;
                for (at, value) in edits {
                    let i = at.index(bytes.len());
                    bytes[i] = value;
                }
                // Whatever decodes re-encodes to something that decodes
                // to the same message.
                let _ = LdapMessage::peek_id_and_tag(&bytes);
                if let Ok(m) = LdapMessage::decode(Bytes::from(bytes)) {
                    prop_assert_eq!(LdapMessage::decode(Bytes::from(m.to_vec())), Ok(m));
                }
            }
        }
    }
}
