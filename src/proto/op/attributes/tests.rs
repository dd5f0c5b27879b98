use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::proto::codec::{read_message_id, LDAP_DN};
use crate::proto::op::SEARCH_RESULT_ENTRY;
use crate::proto::tests::{decode_err, golden};
use crate::proto::{LdapMessage, MessageId, ProtocolOp, SearchResultEntry};

fn msg(id: i32, op: ProtocolOp) -> LdapMessage {
    LdapMessage::new(MessageId(id), op)
}

fn s(v: &'static str) -> ByteString {
    ByteString::from_static(v)
}

/// The word-at-a-time ASCII check of attribute descriptions: a high
/// octet at any position of names of every length is found, and high
/// octets around the name (inside the buffer it is read from) are not
/// taken for it.
#[test]
fn name_is_ascii_finds_every_high_octet_and_only_those() {
    for len in 0..=20usize {
        for prefix in 0..3usize {
            for suffix in [0usize, 1, 7, 9] {
                let mut buf = vec![0xffu8; prefix];
                buf.extend(std::iter::repeat_n(b'a', len));
                buf.extend(std::iter::repeat_n(0xffu8, suffix));
                let name = prefix..prefix + len;
                assert!(
                    name_is_ascii(&buf, &buf[name.clone()]),
                    "len {len} prefix {prefix} suffix {suffix}"
                );
                for at in name.clone() {
                    let mut bad = buf.clone();
                    bad[at] = 0xc3;
                    assert!(
                        !name_is_ascii(&bad, &bad[name.clone()]),
                        "len {len}: high octet at {at} missed"
                    );
                }
            }
        }
    }
}

/// `cn: {a, b}`, `sn: {}` as an entry of message 2.
const ENTRY: [u8; 37] = [
    0x30, 0x23, 0x02, 0x01, 0x02, 0x64, 0x1e, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x16, 0x30,
    0x0c, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62, 0x30, 0x06, 0x04,
    0x02, 0x73, 0x6e, 0x31, 0x00,
];

fn decode_entry(bytes: &[u8]) -> SearchResultEntry {
    let got = LdapMessage::decode(Bytes::copy_from_slice(bytes)).unwrap();
    match got.op {
        ProtocolOp::SearchResultEntry(e) => e,
        op => panic!("{op:?}"),
    }
}

fn attrs() -> Vec<Attribute> {
    vec![
        Attribute::new("objectClass", ["top", "person"]),
        Attribute::new("CN", ["Jane Doe"]),
        Attribute::new("jpegPhoto", [[0xffu8; 300]]),
        Attribute::new::<&[u8]>("memberOf", []),
    ]
}

#[test]
fn round_trip() {
    let list = AttributeList::new(attrs());
    assert_eq!(list.len(), 4);
    assert!(!list.is_empty());
    assert_eq!(list, AttributeList::from(attrs()));
    assert_eq!(list, attrs().into_iter().collect());
    let entry = SearchResultEntry {
        dn: s("cn=Jane Doe,o=x"),
        attributes: list.clone(),
    };
    let bytes = msg(7, ProtocolOp::SearchResultEntry(entry.clone())).to_vec();
    let got = decode_entry(&bytes);
    assert_eq!(got, entry);
    assert_eq!(got.attributes.to_vec(), attrs());
    let names: Vec<&str> = got.attributes.iter().map(|a| a.name()).collect();
    assert_eq!(names, ["objectClass", "CN", "jpegPhoto", "memberOf"]);
    let classes: Vec<&[u8]> = got.attributes.iter().next().unwrap().values().collect();
    assert_eq!(classes, [&b"top"[..], b"person"]);
    // The encoding is that of the owned model.
    let mut old = Vec::new();
    write_attributes(&mut Writer::new(&mut old), &attrs());
    assert_eq!(&list.encoded[..], &old[..]);
    assert_eq!(
        format!("{list:?}"),
        format!("{:?}", attrs()),
        "prints like a list of attributes"
    );
}

#[test]
fn get_ignores_ascii_case() {
    let entry = SearchResultEntry::new("cn=Jane Doe,o=x", attrs());
    assert_eq!(entry.get("cn").unwrap().name(), "CN");
    assert_eq!(entry.get("OBJECTCLASS").unwrap().name(), "objectClass");
    assert_eq!(entry.first_str("Cn"), Some("Jane Doe"));
    assert_eq!(entry.first_str("objectclass"), Some("top"));
    // Not UTF-8, no values, absent.
    assert_eq!(entry.first_str("jpegPhoto"), None);
    assert_eq!(entry.first_str("memberOf"), None);
    assert!(entry.get("memberOf").is_some());
    assert!(entry.get("mail").is_none());
    assert!(entry.get("c").is_none());
}

#[test]
fn to_vec_shares_the_frame() {
    let frame = Bytes::copy_from_slice(&ENTRY);
    let ProtocolOp::SearchResultEntry(entry) = LdapMessage::decode(frame.clone()).unwrap().op
    else {
        panic!()
    };
    let inside = |b: &[u8]| {
        let (start, end) = (
            frame.as_ptr() as usize,
            frame.as_ptr() as usize + frame.len(),
        );
        let p = b.as_ptr() as usize;
        p >= start && p + b.len() <= end
    };
    assert!(inside(&entry.attributes.encoded));
    let owned = entry.attributes.to_vec();
    assert_eq!(
        owned,
        [
            Attribute::new("cn", ["a", "b"]),
            Attribute::new::<&[u8]>("sn", []),
        ]
    );
    for a in &owned {
        assert!(inside(a.name.as_bytes()));
        assert!(a.values.iter().all(|v| inside(v)));
    }
    let cn = entry.get("cn").unwrap();
    assert!(cn.value_bytes().all(|v| inside(&v)));
    assert_eq!(cn.to_attribute(), owned[0]);
}

#[test]
fn types_only_and_empty() {
    // typesOnly: every set of values is empty.
    let types = AttributeList::new(vec![
        Attribute::new::<&[u8]>("cn", []),
        Attribute::new::<&[u8]>("sn", []),
    ]);
    let entry = SearchResultEntry {
        dn: s("cn=a"),
        attributes: types,
    };
    let bytes = msg(3, ProtocolOp::SearchResultEntry(entry.clone())).to_vec();
    let got = decode_entry(&bytes);
    assert_eq!(got, entry);
    assert_eq!(got.attributes.len(), 2);
    assert!(got.attributes.iter().all(|a| a.values().next().is_none()));
    assert_eq!(got.get("SN").unwrap().value_bytes().count(), 0);
    // No attributes at all.
    let empty = AttributeList::default();
    assert!(empty.is_empty());
    assert_eq!(empty.iter().count(), 0);
    assert_eq!(empty, AttributeList::new(Vec::new()));
    assert_eq!(format!("{empty:?}"), "[]");
    golden(
        &[
            0x30, 0x0d, 0x02, 0x01, 0x02, 0x64, 0x08, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x00,
        ],
        &msg(
            2,
            ProtocolOp::SearchResultEntry(SearchResultEntry::new(s("cn=a"), vec![])),
        ),
    );
}

#[test]
fn malformed_lists_are_rejected_at_decode() {
    // An attribute that is an OCTET STRING, not a SEQUENCE.
    let mut bad = ENTRY;
    bad[15] = 0x04;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::SEQUENCE,
            found: Tag::OCTET_STRING
        }
    );
    assert_eq!(err.offset, 15);
    // A value that is an INTEGER.
    let mut bad = ENTRY;
    bad[26] = 0x02;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::OCTET_STRING,
            found: Tag::INTEGER
        }
    );
    assert_eq!(err.offset, 26);
    // A description that is not UTF-8, located at its element.
    let mut bad = ENTRY;
    bad[34] = 0xff;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("AttributeDescription is not UTF-8")
    );
    assert_eq!(err.offset, 31);
    // A third element in an attribute: trailing data.
    let mut extra = ENTRY.to_vec();
    extra.extend_from_slice(&[0x04, 0x00]);
    for at in [1, 6, 14, 30] {
        extra[at] += 2;
    }
    let err = decode_err(&extra);
    assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 2 });
    assert_eq!(err.offset, 37);
    // A value that runs past its set.
    let mut bad = ENTRY;
    bad[27] = 0x02;
    let err = decode_err(&bad);
    assert!(
        matches!(err.kind, DecodeErrorKind::Truncated { .. }),
        "{err}"
    );
}

/// The entry decoder before `AttributeList`: every attribute into
/// an owned `Attribute`.
fn decode_owned(frame: &Bytes) -> Result<Vec<Attribute>, DecodeError> {
    let budget = Budget::for_len(frame.len());
    let src = Frame(frame, &budget);
    let mut r = Reader::new(frame);
    let out = r.sequence(Tag::SEQUENCE, |r| {
        read_message_id(r, Tag::INTEGER)?;
        r.sequence(SEARCH_RESULT_ENTRY, |r| {
            read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
            r.sequence(Tag::SEQUENCE, |r| read_attributes(r, src, false))
        })
    })?;
    r.finish()?;
    Ok(out)
}

#[test]
fn errors_are_those_of_the_owned_decoder() {
    // Every single-octet change of the attribute list: the same
    // verdict, the same error at the same offset, the same attributes.
    let mut checked = 0;
    for at in 13..ENTRY.len() {
        for v in [
            0x00, 0x01, 0x02, 0x04, 0x05, 0x30, 0x31, 0x7f, 0x80, 0x84, 0xc0, 0xff,
        ] {
            let mut bytes = ENTRY;
            bytes[at] = v;
            let frame = Bytes::copy_from_slice(&bytes);
            let new = LdapMessage::decode(frame.clone()).map(|m| match m.op {
                ProtocolOp::SearchResultEntry(e) => e.attributes.to_vec(),
                op => panic!("{op:?}"),
            });
            assert_eq!(new, decode_owned(&frame), "{bytes:02x?}");
            checked += usize::from(new.is_err());
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn unusual_forms_and_limits() {
    // Long-form lengths where the short form would do: valid BER,
    // read through the `Reader`.
    let bytes = [
        0x30, 0x14, 0x02, 0x01, 0x01, 0x64, 0x0f, 0x04, 0x00, 0x30, 0x0b, 0x30, 0x81, 0x08, 0x04,
        0x01, 0x61, 0x31, 0x81, 0x02, 0x04, 0x00,
    ];
    // The same SEQUENCE tag in the multi-octet form is not minimal
    // (X.690 §8.1.2.2) and is refused, by both paths alike.
    let mut high_tag = bytes;
    high_tag[11..13].copy_from_slice(&[0x3f, 0x10]);
    let err = LdapMessage::decode(Bytes::copy_from_slice(&high_tag)).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::NonMinimalTag);
    assert_eq!(err.offset, 11);
    let entry = decode_entry(&bytes);
    assert_eq!(entry.attributes.len(), 1);
    assert_eq!(
        entry.attributes.to_vec(),
        [Attribute::new("a", [b""])],
        "{entry:?}"
    );
    assert_eq!(
        decode_owned(&Bytes::copy_from_slice(&bytes)).unwrap(),
        entry.attributes.to_vec()
    );
    // The SET of values is five levels down.
    let limits = |max_depth| Limits {
        max_depth,
        ..Limits::DEFAULT
    };
    let frame = Bytes::copy_from_slice(&ENTRY);
    let err = LdapMessage::decode_with_limits(frame.clone(), limits(4)).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::DepthExceeded { max: 4 });
    assert_eq!(err.offset, 21);
    assert!(LdapMessage::decode_with_limits(frame, limits(5)).is_ok());
}

#[test]
fn a_broken_list_stops_iteration_without_panicking() {
    for encoded in [
        &[0x04, 0x00][..],
        &[0x30, 0x05, 0x04, 0x01, 0x61, 0x31],
        &[0x30, 0x04, 0x04, 0x01, 0xff, 0x31, 0x00],
        &[0x30, 0x05, 0x04, 0x01, 0x61, 0x31, 0x03, 0x02, 0x01, 0x00],
        &[0x30, 0x84],
    ] {
        let list = AttributeList {
            encoded: Bytes::copy_from_slice(encoded),
            len: 3,
        };
        let _ = format!("{list:?}");
        let _ = list.to_vec();
        assert!(list.get("a").is_none_or(|a| a.first_str().is_none()));
        let mut it = list.iter();
        while it.next().is_some() {}
        assert!(it.next().is_none());
    }
}

fn attribute() -> impl Strategy<Value = Attribute> {
    (
        "[a-zA-Z][a-zA-Z0-9;-]{0,12}",
        vec(vec(any::<u8>(), 0..40), 0..5),
    )
        .prop_map(|(name, values)| Attribute {
            name: name.into(),
            values: values.into_iter().map(Bytes::from).collect(),
        })
}

proptest! {
    #[test]
    fn to_vec_returns_what_new_was_given(attrs in vec(attribute(), 0..8)) {
        let list = AttributeList::new(attrs.clone());
        prop_assert_eq!(list.len(), attrs.len());
        prop_assert_eq!(&list.to_vec(), &attrs);
        // And the same after a trip through the wire.
        let entry = SearchResultEntry { dn: s("o=x"), attributes: list };
        let bytes = msg(1, ProtocolOp::SearchResultEntry(entry.clone())).to_vec();
        let got = decode_entry(&bytes);
        prop_assert_eq!(&got, &entry);
        prop_assert_eq!(got.attributes.to_vec(), attrs);
    }
}
