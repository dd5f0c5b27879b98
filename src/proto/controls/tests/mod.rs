use bytes::Bytes;

use super::*;
use crate::ber::{DecodeErrorKind, Tag};
use crate::proto::filter::Ava;
use crate::proto::tests::golden;
use crate::proto::{
    Attribute, Filter, LdapMessage, LdapResult, MessageId, ProtocolOp, ResultCode,
    SearchResultEntry,
};

/// `control` has `oid`, `critical` and `value`, and parses back to `typed`.
fn check<T>(typed: T, oid: &str, critical: bool, value: Option<&[u8]>)
where
    T: Clone + PartialEq + core::fmt::Debug + Into<Control>,
    for<'c> T: TryFrom<&'c Control, Error = DecodeError>,
{
    let control: Control = typed.clone().into();
    assert_eq!(control.oid, oid);
    assert_eq!(control.critical, critical);
    assert_eq!(control.value.as_deref(), value);
    assert_eq!(T::try_from(&control).unwrap(), typed);
}

fn raw(oid: &'static str, value: &'static [u8]) -> Control {
    Control::new(oid, Some(Bytes::from_static(value)))
}

#[test]
fn paged_results() {
    check(
        PagedResults {
            size: 100,
            cookie: Bytes::new(),
        },
        "1.2.840.113556.1.4.319",
        false,
        Some(&[0x30, 0x05, 0x02, 0x01, 0x64, 0x04, 0x00]),
    );
    check(
        PagedResults {
            size: 0,
            cookie: Bytes::from_static(&[0xde, 0xad]),
        },
        "1.2.840.113556.1.4.319",
        false,
        Some(&[0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x02, 0xde, 0xad]),
    );
    // The cookie is a slice of the control's value.
    let c = raw(
        oid::PAGED_RESULTS,
        &[0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x02, 0xde, 0xad],
    );
    let p = PagedResults::from_control(&c).unwrap();
    assert_eq!(p.cookie.as_ptr(), c.value.as_ref().unwrap()[7..].as_ptr());
    // A negative size.
    let c = raw(
        oid::PAGED_RESULTS,
        &[0x30, 0x05, 0x02, 0x01, 0xff, 0x04, 0x00],
    );
    let err = PagedResults::from_control(&c).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "size",
            value: -1
        }
    );
    assert_eq!(err.to_string(), "size -1 is out of range at byte 2");
    // On a whole message: a SearchResultDone with the last page's control.
    let mut bytes = vec![
        0x30, 0x31, 0x02, 0x01, 0x02, 0x65, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0xa0,
        0x23, 0x30, 0x21, 0x04, 0x16,
    ];
    bytes.extend_from_slice(b"1.2.840.113556.1.4.319");
    bytes.extend_from_slice(&[0x04, 0x07, 0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00]);
    let msg = LdapMessage {
        id: MessageId(2),
        op: ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS)),
        controls: vec![PagedResults {
            size: 0,
            cookie: Bytes::new(),
        }
        .into()],
    };
    golden(&bytes, &msg);
}

#[test]
fn sort_request() {
    let keys = SortRequest::new([
        SortKey::new("cn"),
        SortKey {
            attribute: "sn".into(),
            ordering_rule: Some("2.5.13.3".into()),
            reverse: true,
        },
    ]);
    let value = [
        0x30, 0x19, 0x30, 0x04, 0x04, 0x02, 0x63, 0x6e, 0x30, 0x11, 0x04, 0x02, 0x73, 0x6e, 0x80,
        0x08, 0x32, 0x2e, 0x35, 0x2e, 0x31, 0x33, 0x2e, 0x33, 0x81, 0x01, 0xff,
    ];
    check(keys, "1.2.840.113556.1.4.473", false, Some(&value));
    check(
        SortRequest::new([]),
        "1.2.840.113556.1.4.473",
        false,
        Some(&[0x30, 0x00]),
    );
    // reverseOrder given as FALSE explicitly.
    let c = raw(
        oid::SORT_REQUEST,
        &[
            0x30, 0x09, 0x30, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x81, 0x01, 0x00,
        ],
    );
    assert_eq!(
        SortRequest::from_control(&c).unwrap(),
        SortRequest::new([SortKey::new("cn")])
    );
}

#[test]
fn sort_response() {
    check(
        SortResponse {
            result: ResultCode::SUCCESS,
            attribute: None,
        },
        "1.2.840.113556.1.4.474",
        false,
        Some(&[0x30, 0x03, 0x0a, 0x01, 0x00]),
    );
    check(
        SortResponse {
            result: ResultCode::NO_SUCH_ATTRIBUTE,
            attribute: Some("cn".into()),
        },
        "1.2.840.113556.1.4.474",
        false,
        Some(&[0x30, 0x07, 0x0a, 0x01, 0x10, 0x80, 0x02, 0x63, 0x6e]),
    );
    let c = raw(oid::SORT_RESPONSE, &[0x30, 0x03, 0x02, 0x01, 0x00]);
    let err = SortResponse::from_control(&c).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::ENUMERATED,
            found: Tag::INTEGER
        }
    );
}

#[test]
fn proxied_authz() {
    check(
        ProxiedAuthz::new("dn:cn=a"),
        "2.16.840.1.113730.3.4.18",
        true,
        Some(b"dn:cn=a"),
    );
    check(
        ProxiedAuthz::new(""),
        "2.16.840.1.113730.3.4.18",
        true,
        Some(b""),
    );
    let err = ProxiedAuthz::from_control(&raw(oid::PROXIED_AUTHZ, &[0xff])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("LDAPString is not UTF-8")
    );
    let err = ProxiedAuthz::from_control(&Control::new(oid::PROXIED_AUTHZ, None)).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the control has no value")
    );
    assert_eq!(
        err.to_string(),
        "invalid value: the control has no value at byte 0"
    );
}

#[test]
fn manage_dsa_it_control() {
    check(ManageDsaIt, "2.16.840.1.113730.3.4.2", false, None);
    assert_eq!(
        ManageDsaIt.to_control(),
        Control::new(oid::MANAGE_DSA_IT, None)
    );
    let err = ManageDsaIt::from_control(&raw(oid::MANAGE_DSA_IT, &[])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("ManageDsaIT has no value")
    );
    // Critical on request.
    let c = ManageDsaIt.to_control().with_criticality(true);
    assert!(c.critical);
    assert_eq!(ManageDsaIt::from_control(&c).unwrap(), ManageDsaIt);
}

#[test]
fn assertion() {
    let f = Filter::Equality(Ava {
        attribute: "cn".parse().unwrap(),
        value: Bytes::from_static(b"a"),
    });
    check(
        Assertion::new(f),
        "1.3.6.1.1.12",
        true,
        Some(&[0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61]),
    );
    let c = raw(
        oid::ASSERTION,
        &[0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61, 0x00],
    );
    let err = Assertion::from_control(&c).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 1 });
    assert_eq!(err.to_string(), "1 unexpected trailing bytes at byte 9");
}

#[test]
fn read_entry_requests() {
    let value = [0x30, 0x08, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x02, 0x73, 0x6e];
    check(
        PreRead::new(["cn", "sn"]),
        "1.3.6.1.1.13.1",
        false,
        Some(&value),
    );
    check(
        PostRead::new(["cn", "sn"]),
        "1.3.6.1.1.13.2",
        false,
        Some(&value),
    );
    check(
        PostRead::new::<&str>([]),
        "1.3.6.1.1.13.2",
        false,
        Some(&[0x30, 0x00]),
    );
    // A pre-read control is not a post-read one.
    let err = PostRead::from_control(&PreRead::new(["cn"]).into()).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the control has another OID")
    );
    assert_eq!(
        err.to_string(),
        "invalid value: the control has another OID at byte 0"
    );
}

#[test]
fn read_entry_responses() {
    let entry = SearchResultEntry::new("cn=a", vec![Attribute::new("cn", ["a"])]);
    let value = [
        0x64, 0x13, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x0b, 0x30, 0x09, 0x04, 0x02, 0x63,
        0x6e, 0x31, 0x03, 0x04, 0x01, 0x61,
    ];
    check(
        ReadEntry {
            post: true,
            entry: entry.clone(),
        },
        "1.3.6.1.1.13.2",
        false,
        Some(&value),
    );
    check(
        ReadEntry { post: false, entry },
        "1.3.6.1.1.13.1",
        false,
        Some(&value),
    );
    // The entry without its [APPLICATION 4] tag.
    let mut untagged = value;
    untagged[0] = 0x30;
    let err = ReadEntry::from_control(&Control::new(
        oid::POST_READ,
        Some(Bytes::copy_from_slice(&untagged)),
    ))
    .unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::application(4).constructed(),
            found: Tag::SEQUENCE
        }
    );
    let err = ReadEntry::from_control(&ManageDsaIt.to_control()).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the control has another OID")
    );
}

mod families;
mod lber_built;
#[allow(clippy::expect_used)]
mod malformed;
