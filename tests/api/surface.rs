//! The public surface of `ber` and `proto` as a user outside the crate
//! sees it: every `#[non_exhaustive]` struct can be built through its
//! constructor (with the defaults its documentation promises), and the
//! values whose fields are private are read through their accessors.

use bytes::Bytes;
use tokio_ldap::ber::{DecodeErrorKind, Limits, Reader, Tag, Writer};
use tokio_ldap::proto::controls::{Control, PagedResults, ReadEntry, SortResponse};
use tokio_ldap::proto::extended::NoticeOfDisconnection;
use tokio_ldap::proto::filter::{Ava, Filter, MatchingRuleAssertion, Substrings};
use tokio_ldap::proto::url::{LdapUrl, Scheme};
use tokio_ldap::proto::{
    AddRequest, BindAuth, BindRequest, BindResponse, CompareRequest, DerefAliases, ExtendedRequest,
    ExtendedResponse, IntermediateResponse, LdapMessage, LdapResult, MessageId, ModifyDnRequest,
    ModifyRequest, Password, ProtocolOp, SearchRequest, SearchResultEntry,
};
use tokio_ldap::{Attribute, Modification, ModifyOp, ResultCode, Scope};

/// Encodes `op` in a message and decodes it again.
fn round_trip(op: ProtocolOp) -> ProtocolOp {
    let id = MessageId::new(5).unwrap();
    let decoded = LdapMessage::decode(Bytes::from(LdapMessage::new(id, op).to_vec())).unwrap();
    assert_eq!(decoded.id, id);
    decoded.op
}

#[test]
fn request_constructors_fill_in_the_documented_defaults() {
    let bind = BindRequest::new("cn=admin", BindAuth::Simple(Password::new("secret")));
    assert_eq!(bind.version, 3);
    assert_eq!(bind.name, "cn=admin");

    let search = SearchRequest::new(
        "dc=example",
        Scope::OneLevel,
        Filter::parse("(cn=a)").unwrap(),
    );
    assert_eq!(search.base, "dc=example");
    assert_eq!(search.scope, Scope::OneLevel);
    assert_eq!(search.deref, DerefAliases::Never);
    assert_eq!((search.size_limit, search.time_limit), (0, 0));
    assert!(!search.types_only);
    assert!(search.attributes.is_empty());

    let rename = ModifyDnRequest::new("cn=a,dc=x", "cn=b", true);
    assert_eq!(rename.new_superior, None);
    assert!(rename.delete_old_rdn);

    let compare = CompareRequest::new("cn=a", "sn", b"x");
    assert_eq!(compare.value, Bytes::from_static(b"x"));

    let ops = vec![
        ProtocolOp::BindRequest(bind),
        ProtocolOp::SearchRequest(search),
        ProtocolOp::ModifyRequest(ModifyRequest::new(
            "cn=a",
            vec![Modification::new(
                ModifyOp::Increment,
                Attribute::new("n", ["1"]),
            )],
        )),
        ProtocolOp::AddRequest(AddRequest::new("cn=a", vec![Attribute::new("cn", ["a"])])),
        ProtocolOp::ModifyDnRequest(rename),
        ProtocolOp::CompareRequest(compare),
        ProtocolOp::ExtendedRequest(ExtendedRequest::new(
            "1.2.3",
            Some(Bytes::from_static(b"v")),
        )),
    ];
    for op in ops {
        assert_eq!(round_trip(op.clone()), op);
    }
}

#[test]
fn response_constructors_start_empty_and_fields_stay_settable() {
    let result = LdapResult::new(ResultCode::REFERRAL)
        .with_matched_dn("o=x")
        .with_message("see elsewhere")
        .with_referrals(["ldap://a/o=x"]);
    assert_eq!(result.code, ResultCode::REFERRAL);
    assert_eq!(result.matched_dn, "o=x");
    assert_eq!(result.message, "see elsewhere");
    assert_eq!(result.referrals, ["ldap://a/o=x"]);

    let bind = BindResponse::new(result.clone());
    assert_eq!(bind.server_sasl_creds, None);
    let mut extended = ExtendedResponse::new(result.clone());
    assert_eq!(
        (extended.name.clone(), extended.value.clone()),
        (None, None)
    );
    extended.value = Some(Bytes::from_static(b"dn:cn=a"));
    let intermediate = IntermediateResponse::new(Some("1.2.3".into()), None);

    for op in [
        ProtocolOp::BindResponse(bind),
        ProtocolOp::ExtendedResponse(extended),
        ProtocolOp::IntermediateResponse(intermediate),
        ProtocolOp::SearchResultDone(result),
    ] {
        assert_eq!(round_trip(op.clone()), op);
    }

    let notice = NoticeOfDisconnection::new(ResultCode::UNAVAILABLE, "bye");
    let message = LdapMessage::decode(Bytes::from(notice.to_message().to_vec())).unwrap();
    assert_eq!(NoticeOfDisconnection::from_message(&message), Some(notice));
}

#[test]
fn filter_and_control_constructors() {
    let ava = Ava::new("cn", "a*").unwrap();
    assert_eq!(Filter::Equality(ava).to_string(), r"(cn=a\2a)");

    let mut substrings = Substrings::new("cn").unwrap();
    substrings.initial = Some(Bytes::from_static(b"J"));
    substrings.final_ = Some(Bytes::from_static(b"n"));
    assert_eq!(Filter::Substrings(substrings).to_string(), "(cn=J*n)");

    let mut rule = MatchingRuleAssertion::new("x");
    assert_eq!(
        (
            rule.rule.clone(),
            rule.attribute.clone(),
            rule.dn_attributes
        ),
        (None, None, false)
    );
    rule.attribute = Some("cn".parse().unwrap());
    assert_eq!(Filter::Extensible(rule).to_string(), "(cn:=x)");

    let paged: Control = PagedResults::new(100, Vec::new()).into();
    let back = PagedResults::from_control(&paged).unwrap();
    assert_eq!((back.size, back.cookie.is_empty()), (100, true));

    let sort = SortResponse::new(ResultCode::SUCCESS, None);
    assert_eq!(
        SortResponse::from_control(&sort.to_control()).unwrap(),
        sort
    );

    let entry = SearchResultEntry::new("cn=a", vec![Attribute::new("cn", ["a"])]);
    let read = ReadEntry::new(true, entry);
    assert_eq!(ReadEntry::from_control(&read.to_control()).unwrap(), read);
}

#[test]
fn message_ids_are_never_negative() {
    assert_eq!(MessageId::new(0), Some(MessageId::UNSOLICITED));
    assert_eq!(MessageId::new(i32::MAX).map(MessageId::get), Some(i32::MAX));
    assert_eq!(MessageId::new(-1), None);
    assert_eq!(MessageId::new(i32::MIN), None);
}

#[test]
fn limits_are_changed_through_their_builders() {
    let limits = Limits::DEFAULT.with_max_depth(1).with_max_len(8);
    assert_eq!((limits.max_len, limits.max_depth), (8, 1));

    // Two levels of SEQUENCE against a depth limit of one.
    let mut nested = Vec::new();
    Writer::new(&mut nested).sequence(Tag::SEQUENCE, |w| {
        w.sequence(Tag::SEQUENCE, |_| {});
    });
    let mut r = Reader::with_limits(&nested, limits);
    let err = r
        .sequence(Tag::SEQUENCE, |r| r.sequence(Tag::SEQUENCE, |_| Ok(())))
        .unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::DepthExceeded { max: 1 });
    assert_eq!(err.offset, 2);
    assert_eq!(err.to_string(), "nesting deeper than 1 levels at byte 2");

    // A value longer than max_len.
    let err = Reader::with_limits(&[0x04, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0], limits)
        .tlv()
        .unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::LengthOverLimit { len: 9, max: 8 }
    );
}

#[test]
fn tlv_parts_are_read_through_accessors() {
    let input = [0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c'];
    let mut top = Reader::new(&input);
    let outer = top.tlv().unwrap();
    assert_eq!(outer.tag(), Tag::SEQUENCE);
    assert_eq!((outer.offset(), outer.header_len()), (0, 2));
    let mut inner = outer.reader(&top).unwrap();
    let string = inner.tlv().unwrap();
    assert_eq!(string.tag(), Tag::OCTET_STRING);
    assert_eq!(string.value(), b"abc");
    assert_eq!((string.offset(), string.header_len()), (2, 2));
}

#[test]
fn url_parts_are_read_through_accessors() {
    let url = LdapUrl::parse("ldaps://h.example:1636/dc=x?cn?sub?(cn=a)?!bindname=cn=b").unwrap();
    assert_eq!(url.scheme(), Scheme::Ldaps);
    assert_eq!((url.host(), url.port()), ("h.example", Some(1636)));
    assert_eq!(
        (url.dn(), url.attributes()),
        ("dc=x", &["cn".to_string()][..])
    );
    assert_eq!(
        (url.scope(), url.filter()),
        (Some(Scope::Subtree), Some("(cn=a)"))
    );
    assert_eq!(url.socket_path(), None);
    let ext = &url.extensions()[0];
    assert_eq!(
        (ext.critical(), ext.name(), ext.value()),
        (true, "bindname", Some("cn=b"))
    );

    let local = LdapUrl::parse("ldapi://%2Frun%2Fldapi").unwrap();
    assert_eq!((local.scheme(), local.host()), (Scheme::Ldapi, ""));
    assert_eq!(local.socket_path(), Some("/run/ldapi"));
}
