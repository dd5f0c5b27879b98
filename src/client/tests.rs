//! Tests of the client's pieces that need no connection: the search
//! collector, the request builder, the paged-results cookie, and the
//! errors made from responses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;

use bytes::Bytes;

use super::paging::paged_cookie;
use super::response::{ldap_error, unexpected};
use super::search::{Items, Search, SearchDone, SearchItem, SearchResults};
use crate::proto::controls::PagedResults;
use crate::proto::{
    Attribute, ByteString, Control, DerefAliases, IntermediateResponse, LdapMessage, LdapResult,
    MessageId, ProtocolOp, ResultCode, Scope, SearchResultEntry,
};
use crate::{Error, ProtocolError};

/// Items from a list, then a final result.
struct Scripted {
    items: VecDeque<Result<SearchItem, Error>>,
    done: Option<SearchDone>,
}

impl Items for Scripted {
    async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        self.items.pop_front().transpose()
    }

    fn take_done(&mut self) -> Option<SearchDone> {
        self.done.take()
    }
}

fn entry(dn: &str) -> SearchItem {
    SearchItem::Entry(SearchResultEntry::new(
        dn,
        vec![Attribute {
            name: "cn".into(),
            values: vec![Bytes::from_static(b"x")],
        }],
    ))
}

fn done(code: ResultCode) -> SearchDone {
    SearchDone {
        result: LdapResult::new(code),
        controls: vec![Control::new("1.2.3.4", None)],
    }
}

/// Runs a future that never waits (the scripted items are all ready).
fn ready<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(fut)
}

#[test]
fn collect_keeps_entries_and_references_in_order_and_skips_intermediates() {
    let mut items = Scripted {
        items: VecDeque::from([
            Ok(entry("cn=a")),
            Ok(SearchItem::Reference(vec![
                ByteString::from_static("ldap://b/"),
                ByteString::from_static("ldap://c/"),
            ])),
            Ok(SearchItem::Intermediate(IntermediateResponse {
                name: Some(ByteString::from_static("1.3.6.1.4.1.4203.1.9.1.4")),
                value: None,
            })),
            Ok(entry("cn=d")),
        ]),
        done: Some(done(ResultCode::SIZE_LIMIT_EXCEEDED)),
    };
    let out = ready(SearchResults::collect(&mut items)).unwrap();
    let dns: Vec<&str> = out.entries.iter().map(|e| &*e.dn).collect();
    assert_eq!(dns, ["cn=a", "cn=d"]);
    assert_eq!(out.references, ["ldap://b/", "ldap://c/"]);
    assert_eq!(out.result.unwrap().code, ResultCode::SIZE_LIMIT_EXCEEDED);
    assert_eq!(out.controls.len(), 1);
    assert_eq!(out.controls[0].oid, "1.2.3.4");
}

#[test]
fn collect_stops_at_the_first_error() {
    let mut items = Scripted {
        items: VecDeque::from([
            Ok(entry("cn=a")),
            Err(Error::Closed("gone".into())),
            Ok(entry("cn=never")),
        ]),
        done: Some(done(ResultCode::SUCCESS)),
    };
    let err = ready(SearchResults::collect(&mut items)).unwrap_err();
    assert_eq!(err.to_string(), "connection closed: gone");
    assert_eq!(items.items.len(), 1, "nothing is read after the error");
}

#[test]
fn search_builds_the_request_with_its_defaults() {
    let req = Search::new("dc=example,dc=com").into_request().unwrap();
    assert_eq!(req.base, "dc=example,dc=com");
    assert_eq!(req.scope, Scope::Subtree);
    assert_eq!(req.filter, "(objectClass=*)".parse().unwrap());
    assert!(req.attributes.is_empty());
    assert_eq!((req.size_limit, req.time_limit), (0, 0));
    assert!(!req.types_only);
    assert_eq!(req.deref, DerefAliases::Never);

    let req = Search::new("ou=people,dc=example,dc=com")
        .scope(Scope::OneLevel)
        .filter("(uid=a*)")
        .attributes(["cn", "mail"])
        .size_limit(5)
        .time_limit(7)
        .types_only(true)
        .deref(DerefAliases::Always)
        .into_request()
        .unwrap();
    assert_eq!(req.scope, Scope::OneLevel);
    assert_eq!(req.filter, "(uid=a*)".parse().unwrap());
    assert_eq!(req.attributes, ["cn", "mail"]);
    assert_eq!((req.size_limit, req.time_limit), (5, 7));
    assert!(req.types_only);
    assert_eq!(req.deref, DerefAliases::Always);
}

#[test]
fn a_bad_filter_is_invalid_input_naming_the_filter() {
    let err = Search::new("dc=example,dc=com")
        .filter("(cn=a")
        .into_request()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("invalid input: filter \"(cn=a\": "),
        "{err}"
    );
}

#[test]
fn paged_cookie_is_read_from_the_paged_results_control_only() {
    assert_eq!(paged_cookie(&[]).unwrap(), None);
    let other = Control::new("1.2.3.4", Some(Bytes::from_static(b"x")));
    assert_eq!(paged_cookie(std::slice::from_ref(&other)).unwrap(), None);
    let paged = PagedResults {
        size: 0,
        cookie: Bytes::from_static(b"next"),
    }
    .to_control();
    assert_eq!(
        paged_cookie(&[other, paged]).unwrap().as_deref(),
        Some(&b"next"[..])
    );
}

#[test]
fn a_paged_results_control_that_does_not_decode_is_a_protocol_error() {
    let bad = Control::new(PagedResults::OID, Some(Bytes::from_static(b"\x04\x00")));
    let err = paged_cookie(&[bad]).unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ProtocolError::Decode(_))),
        "{err:?}"
    );
}

#[test]
fn a_response_of_the_wrong_kind_names_what_was_expected_and_what_came() {
    let msg = LdapMessage {
        id: MessageId(7),
        op: ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS)),
        controls: Vec::new(),
    };
    let err = unexpected(&msg, "BindResponse");
    let Error::Protocol(pe) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        pe,
        &ProtocolError::UnexpectedResponse {
            id: MessageId(7),
            expected: "BindResponse",
            got: "SearchResultDone",
        }
    );
    assert_eq!(
        err.to_string(),
        "protocol error: message ID 7: expected BindResponse, got SearchResultDone"
    );
}

#[test]
fn a_refusal_keeps_the_operation_and_the_result() {
    let mut result = LdapResult::new(ResultCode::NO_SUCH_OBJECT);
    result.message = "no such entry".into();
    result.matched_dn = "dc=example,dc=com".into();
    let controls = vec![
        Control::new("1.2.3.4", None),
        PagedResults::new(5, b"c".to_vec()).to_control(),
    ];
    let err = ldap_error("delete", result.clone(), controls.clone());
    assert_eq!(err.result_code(), Some(ResultCode::NO_SUCH_OBJECT));
    let Error::Ldap(le) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(le.operation(), "delete");
    assert_eq!(le.result(), &result);
    assert_eq!(le.controls(), controls);
    let paged = le.control::<PagedResults>().unwrap().unwrap();
    assert_eq!(&paged.cookie[..], b"c");
    assert!(le.control::<crate::controls::SortResponse>().is_none());
    assert_eq!(
        err.to_string(),
        format!(
            "delete failed: {}: no such entry (matched DN: dc=example,dc=com)",
            ResultCode::NO_SUCH_OBJECT
        )
    );
}

#[test]
fn a_response_finds_typed_controls_by_oid_pre_and_post_read_alike() {
    use super::response::Response;
    use crate::proto::controls::{ReadEntry, TypedControl};

    let entry = SearchResultEntry::new("cn=a", Vec::new());
    let pre = ReadEntry::new(false, entry.clone()).to_control();
    let post = ReadEntry::new(true, entry).to_control();
    assert!(ReadEntry::has_oid(&pre.oid) && ReadEntry::has_oid(&post.oid));
    assert!(!PagedResults::has_oid(&pre.oid));
    let resp = Response::new(
        7,
        LdapResult::new(ResultCode::SUCCESS),
        vec![Control::new("1.2.3", None), pre, post],
    );
    // The first of either OID, parsed.
    assert!(!resp.control::<ReadEntry>().unwrap().unwrap().post);
    assert!(resp.control::<PagedResults>().is_none());
    assert_eq!(*resp.value(), 7);
    // A control of the type that does not parse is `Some(Err)`.
    let bad = Response::new(
        (),
        LdapResult::new(ResultCode::SUCCESS),
        vec![Control::new(PagedResults::OID, None)],
    );
    let err = bad.control::<PagedResults>().unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: the control has no value at byte 0"
    );
    let (value, result, controls) = resp.map(|v| v * 2).into_parts();
    assert_eq!(
        (value, result.code, controls.len()),
        (14, ResultCode::SUCCESS, 3)
    );
}

#[test]
fn sasl_credentials_are_redacted_from_debug() {
    let op = super::options::sasl_bind(
        "PLAIN",
        Some(crate::proto::Password::new(&b"\0alice\0hunter2"[..])),
    );
    let shown = format!("{op:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("Password(<redacted>)"), "{shown}");
    assert!(shown.contains("PLAIN"), "{shown}");
}

#[test]
fn streams_and_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<super::PagedSearch>();
    send_sync::<super::SearchStream>();
    send_sync::<super::ExtendedStream>();
    send_sync::<super::Notifications>();
    send_sync::<super::OpHandle>();
    send_sync::<super::Response<crate::proto::ExtendedResponse>>();
}
