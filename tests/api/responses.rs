//! Every operation's response controls reach the caller: in the
//! [`Response`] of the detailed form when it succeeds, in the
//! [`LdapError`](tokio_ldap::LdapError) when it is refused. Played by the
//! scripted server, which answers every request with a control naming it.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio_ldap::controls::{Control, PagedResults, TypedControl};
use tokio_ldap::proto::extended::PasswordModify;
use tokio_ldap::proto::{
    BindResponse, ExtendedRequest, ExtendedResponse, LdapResult, ProtocolOp, SearchResultEntry,
};
use tokio_ldap::{
    Attribute, ConnConfig, Error, LdapConn, Modification, ModifyOp, ResultCode, Search,
};

use crate::hostile::within;
use crate::support::server::{self, Peer};

/// The OID of the control the server sends with every response; its
/// value names the request answered.
const ECHO: &str = "1.3.6.1.4.1.99999.7";

/// How the scripted server answers: success (0) or a refusal (1).
const SUCCEED: u8 = 0;
const REFUSE: u8 = 1;

/// The response to `op` (success or unwillingToPerform), whose result says
/// "no" when refused.
fn answer(op: &ProtocolOp, refuse: bool) -> Option<ProtocolOp> {
    let code = |ok: ResultCode| {
        if refuse {
            ResultCode::UNWILLING_TO_PERFORM
        } else {
            ok
        }
    };
    let result = |ok: ResultCode| {
        let r = LdapResult::new(code(ok));
        if refuse {
            r.with_message("no")
        } else {
            r
        }
    };
    Some(match op {
        ProtocolOp::BindRequest(_) => {
            ProtocolOp::BindResponse(BindResponse::new(result(ResultCode::SUCCESS)))
        }
        ProtocolOp::AddRequest(_) => ProtocolOp::AddResponse(result(ResultCode::SUCCESS)),
        ProtocolOp::ModifyRequest(_) => ProtocolOp::ModifyResponse(result(ResultCode::SUCCESS)),
        ProtocolOp::DelRequest(_) => ProtocolOp::DelResponse(result(ResultCode::SUCCESS)),
        ProtocolOp::ModifyDnRequest(_) => ProtocolOp::ModifyDnResponse(result(ResultCode::SUCCESS)),
        ProtocolOp::CompareRequest(_) => {
            ProtocolOp::CompareResponse(result(ResultCode::COMPARE_FALSE))
        }
        ProtocolOp::SearchRequest(_) => ProtocolOp::SearchResultDone(result(ResultCode::SUCCESS)),
        ProtocolOp::ExtendedRequest(r) => {
            let mut resp = ExtendedResponse::new(result(ResultCode::SUCCESS));
            if r.name == "1.3.6.1.4.1.4203.1.11.3" {
                // WhoAmI
                resp.value = Some(Bytes::from_static(b"dn:cn=echo"));
            }
            ProtocolOp::ExtendedResponse(resp)
        }
        _ => return None,
    })
}

/// A server answering every request as `mode` says, with an [`ECHO`]
/// control holding the request's name (and, for a search, an entry first
/// and a paged-results control with an empty cookie on the result).
async fn echo_server(mode: Arc<AtomicU8>) -> server::Server {
    server::start(move |mut p: Peer| {
        let mode = mode.clone();
        async move {
            while let Some(m) = p.recv_op().await {
                let refuse = mode.load(Ordering::SeqCst) == REFUSE;
                let Some(op) = answer(&m.op, refuse) else {
                    return;
                };
                let mut controls = vec![Control::new(ECHO, Some(Bytes::from(m.op.name())))];
                if let ProtocolOp::SearchRequest(_) = m.op {
                    let entry = SearchResultEntry::new("cn=x", vec![Attribute::new("cn", ["x"])]);
                    if p.send(m.id, ProtocolOp::SearchResultEntry(entry))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    controls.push(PagedResults::new(0, Vec::new()).to_control());
                }
                if p.send_with(m.id, op, controls).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

fn echo_of(controls: &[Control]) -> String {
    let c = controls
        .iter()
        .find(|c| c.oid == ECHO)
        .unwrap_or_else(|| panic!("no echo control in {controls:?}"));
    String::from_utf8(c.value.clone().unwrap().to_vec()).unwrap()
}

async fn connect(srv: &server::Server) -> LdapConn {
    let config = ConnConfig::new().allow_insecure_password(true);
    LdapConn::connect(&srv.url(), config).await.unwrap()
}

fn change() -> Vec<Modification> {
    vec![Modification::new(
        ModifyOp::Replace,
        Attribute::new("sn", ["y"]),
    )]
}

#[tokio::test]
async fn every_operation_returns_its_response_controls_in_detailed_mode() {
    let srv = echo_server(Arc::new(AtomicU8::new(SUCCEED))).await;
    let conn = connect(&srv).await;
    let d = || conn.detailed();

    let r = within("bind", d().bind_simple("cn=a", "pw")).await.unwrap();
    assert_eq!(
        (echo_of(r.controls()), r.result().code),
        ("BindRequest".into(), ResultCode::SUCCESS)
    );
    let r = within("sasl", d().bind_sasl("X-TEST", Some(b"creds")))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "BindRequest");
    assert_eq!(r.value(), &(ResultCode::SUCCESS, None));
    let r = within("external", d().bind_external(None)).await.unwrap();
    assert_eq!(echo_of(r.controls()), "BindRequest");
    let r = within("whoami", d().whoami()).await.unwrap();
    assert_eq!(echo_of(r.controls()), "ExtendedRequest");
    assert_eq!(r.value().as_deref(), Some("dn:cn=echo"));
    let r = within("whoami_identity", d().whoami_identity())
        .await
        .unwrap();
    assert_eq!(r.value().to_string(), "dn:cn=echo");
    assert_eq!(echo_of(r.controls()), "ExtendedRequest");
    let r = within(
        "extended",
        d().extended(ExtendedRequest::new("1.2.3.99", None)),
    )
    .await
    .unwrap();
    assert_eq!(echo_of(r.controls()), "ExtendedRequest");
    assert_eq!(r.value().result.code, ResultCode::SUCCESS);
    let r = within(
        "password_modify",
        d().password_modify(PasswordModify::new()),
    )
    .await
    .unwrap();
    assert_eq!(echo_of(r.controls()), "ExtendedRequest");
    assert!(r.value().is_none());
    let r = within("add", d().add("cn=n", vec![Attribute::new("cn", ["n"])]))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "AddRequest");
    let r = within("modify", d().modify("cn=n", change()))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "ModifyRequest");
    let r = within("delete", d().delete("cn=n")).await.unwrap();
    assert_eq!(echo_of(r.controls()), "DelRequest");
    let r = within("modify_dn", d().modify_dn("cn=n", "cn=m", true, None))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "ModifyDNRequest");
    let r = within("compare", d().compare("cn=n", "cn", "x"))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "CompareRequest");
    assert_eq!(
        (*r.value(), r.result().code),
        (false, ResultCode::COMPARE_FALSE)
    );
    let r = within("search_all", d().search_all(Search::new("cn=x")))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "SearchRequest");
    assert_eq!(echo_of(&r.value().controls), "SearchRequest");
    assert_eq!(r.value().entries.len(), 1);
    let paged = r.control::<PagedResults>().unwrap().unwrap();
    assert!(paged.cookie.is_empty());
    assert!(r.value().control::<PagedResults>().unwrap().is_ok());
    let r = within("search_paged", d().search_paged(Search::new("cn=x"), 10))
        .await
        .unwrap();
    assert_eq!(echo_of(r.controls()), "SearchRequest");
    // The stream's done has the same.
    let mut s = within("search", d().search(Search::new("cn=x")))
        .await
        .unwrap();
    while within("next", s.next_item()).await.unwrap().is_some() {}
    let done = s.done().unwrap();
    assert_eq!(echo_of(&done.controls), "SearchRequest");
    assert!(done
        .control::<PagedResults>()
        .unwrap()
        .unwrap()
        .cookie
        .is_empty());

    // The plain form returns the same values alone.
    assert!(!within("compare", conn.compare("cn=n", "cn", "x"))
        .await
        .unwrap());
    assert_eq!(
        within("whoami", conn.whoami()).await.unwrap().as_deref(),
        Some("dn:cn=echo")
    );
}

#[tokio::test]
async fn every_refused_operation_carries_its_response_controls() {
    let srv = echo_server(Arc::new(AtomicU8::new(REFUSE))).await;
    let conn = connect(&srv).await;
    let check = |err: Error, operation: &str, request: &str| {
        assert_eq!(
            err.to_string(),
            format!("{operation} failed: unwillingToPerform (53): no"),
            "{err:?}"
        );
        let Error::Ldap(le) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(le.operation(), operation);
        assert_eq!(le.result().code, ResultCode::UNWILLING_TO_PERFORM);
        assert_eq!(echo_of(le.controls()), request);
    };
    let e = within("bind", conn.bind_simple("cn=a", "pw"))
        .await
        .unwrap_err();
    check(e, "bind", "BindRequest");
    let e = within("sasl", conn.bind_sasl("X-TEST", None))
        .await
        .unwrap_err();
    check(e, "bind", "BindRequest");
    let e = within("whoami", conn.whoami()).await.unwrap_err();
    check(e, "extended operation", "ExtendedRequest");
    let e = within("pm", conn.password_modify(PasswordModify::new()))
        .await
        .unwrap_err();
    check(e, "extended operation", "ExtendedRequest");
    let e = within("add", conn.add("cn=n", vec![Attribute::new("cn", ["n"])]))
        .await
        .unwrap_err();
    check(e, "add", "AddRequest");
    let e = within("modify", conn.detailed().modify("cn=n", change()))
        .await
        .unwrap_err();
    check(e, "modify", "ModifyRequest");
    let e = within("delete", conn.delete("cn=n")).await.unwrap_err();
    check(e, "delete", "DelRequest");
    let e = within("modify_dn", conn.modify_dn("cn=n", "cn=m", true, None))
        .await
        .unwrap_err();
    check(e, "modify DN", "ModifyDNRequest");
    let e = within("compare", conn.compare("cn=n", "cn", "x"))
        .await
        .unwrap_err();
    check(e, "compare", "CompareRequest");
    let e = within("search", conn.search_all(Search::new("cn=x")))
        .await
        .unwrap_err();
    check(e.clone(), "search", "SearchRequest");
    let Error::Ldap(le) = &e else { panic!() };
    assert!(le
        .control::<PagedResults>()
        .unwrap()
        .unwrap()
        .cookie
        .is_empty());
    assert_eq!(PagedResults::OID, <PagedResults as TypedControl>::OID);
}
