//! The edge cases: Password Modify under the plaintext rule of simple
//! binds; the intermediate responses of extended operations; unsolicited
//! notifications; abandon and Cancel by operation handle.

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio_ldap::controls::Control;
use tokio_ldap::proto::extended::{Cancel, NoticeOfDisconnection, PasswordModify, StartTls};
use tokio_ldap::proto::{
    ExtendedRequest, ExtendedResponse, IntermediateResponse, LdapMessage, LdapResult, MessageId,
    ProtocolOp,
};
use tokio_ldap::testkit::{TestPki, TestServer};
use tokio_ldap::{
    CancelOutcome, ConnConfig, Error, LdapConn, OpHandle, OpOptions, ResultCode, Search,
    NOTIFICATION_BUFFER,
};

use crate::hostile::within;
use crate::support::server::{self, Peer};

/// The testkit's PKI, made once.
fn kit() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::new().expect("the test PKI"))
}

const INSECURE: &str = "refusing to send a password over an unencrypted connection: use ldaps://, StartTLS or ldapi://, or allow it explicitly with ConnConfig::allow_insecure_password";

#[tokio::test]
async fn password_modify_over_plain_ldap_is_refused_before_anything_is_sent() {
    let server = TestServer::builder(kit()).start().await.unwrap();
    let conn = LdapConn::connect(&server.ldap_url(), ConnConfig::new())
        .await
        .unwrap();
    let change = PasswordModify::new()
        .user_identity("uid=alice,ou=people,dc=example,dc=com")
        .old_password("alicepw")
        .new_password("n3w");
    let err = conn.password_modify(change.clone()).await.unwrap_err();
    assert!(matches!(err, Error::InsecurePassword), "{err:?}");
    assert_eq!(err.to_string(), INSECURE);
    // Asking the server to generate one is refused too: the answer
    // carries it.
    let err = conn
        .password_modify(PasswordModify::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), INSECURE);
    // Nothing went out; the connection still works.
    assert!(conn.whoami().await.unwrap().is_none());
    let record = &server.connections()[0];
    let sent: Vec<&str> = record.requests.iter().map(|m| m.op.name()).collect();
    assert_eq!(sent, ["ExtendedRequest"], "only the WhoAmI");
    assert!(
        matches!(&record.requests[0].op, ProtocolOp::ExtendedRequest(r) if r.name == "1.3.6.1.4.1.4203.1.11.3")
    );

    // Allowed explicitly, it is sent.
    let allowed = ConnConfig::new().allow_insecure_password(true);
    let conn = LdapConn::connect(&server.ldap_url(), allowed)
        .await
        .unwrap();
    let _ = conn.password_modify(change).await;
    let record = &server.connections()[1];
    assert!(
        matches!(&record.requests[0].op, ProtocolOp::ExtendedRequest(r) if r.name == PasswordModify::OID),
        "{:?}",
        record.requests
    );
}

// ---- intermediate responses of extended operations ----

const PROGRESS: &str = "1.3.6.1.4.1.99999.50";
const MARK: &str = "1.3.6.1.4.1.99999.51";

/// A server answering an extended operation named `PROGRESS` with three
/// intermediate responses ("1", "2" with a control, "3") and a final
/// response whose result is the request's value ("0": success, else
/// unwillingToPerform), with a control; a WhoAmI with anonymous.
async fn progress_server() -> server::Server {
    server::start(|mut p: Peer| async move {
        while let Some(m) = p.recv_op().await {
            let ProtocolOp::ExtendedRequest(r) = &m.op else {
                return;
            };
            if r.name == PROGRESS {
                for step in ["1", "2", "3"] {
                    let ir =
                        IntermediateResponse::new(Some(PROGRESS.into()), Some(Bytes::from(step)));
                    let controls = if step == "2" {
                        vec![Control::new(MARK, Some(Bytes::from_static(b"two")))]
                    } else {
                        Vec::new()
                    };
                    let op = ProtocolOp::IntermediateResponse(ir);
                    if p.send_with(m.id, op, controls).await.is_err() {
                        return;
                    }
                }
                let ok = r.value.as_deref() == Some(b"0");
                let result = if ok {
                    LdapResult::new(ResultCode::SUCCESS)
                } else {
                    LdapResult::new(ResultCode::UNWILLING_TO_PERFORM).with_message("no")
                };
                let mut resp = ExtendedResponse::new(result);
                resp.name = Some(PROGRESS.into());
                let controls = vec![Control::new(MARK, Some(Bytes::from_static(b"end")))];
                let op = ProtocolOp::ExtendedResponse(resp);
                if p.send_with(m.id, op, controls).await.is_err() {
                    return;
                }
            } else if p
                .extended_response(m.id, ResultCode::SUCCESS, None)
                .await
                .is_err()
            {
                return;
            }
        }
    })
    .await
}

fn progress(value: &str) -> ExtendedRequest {
    ExtendedRequest::new(PROGRESS, Some(Bytes::copy_from_slice(value.as_bytes())))
}

#[tokio::test]
async fn extended_operation_intermediate_responses_reach_the_caller_in_order() {
    let srv = progress_server().await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();

    let mut op = within("start", conn.extended_stream(progress("0")))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(ir) = within("next", op.next_intermediate()).await.unwrap() {
        assert_eq!(ir.name.as_deref(), Some(PROGRESS));
        let marks: Vec<_> = op
            .controls()
            .iter()
            .map(|c| c.value.clone().unwrap())
            .collect();
        seen.push((ir.value.unwrap(), marks));
    }
    assert_eq!(
        seen,
        [
            (Bytes::from("1"), vec![]),
            (Bytes::from("2"), vec![Bytes::from("two")]),
            (Bytes::from("3"), vec![]),
        ]
    );
    let done = op.response().unwrap();
    assert_eq!(done.result().code, ResultCode::SUCCESS);
    assert_eq!(done.value().name.as_deref(), Some(PROGRESS));
    assert_eq!(done.controls()[0].value.as_deref(), Some(&b"end"[..]));
    assert!(within("after the end", op.next_intermediate())
        .await
        .unwrap()
        .is_none());

    // As a Stream, and a refusal as its last item.
    let op = within("start", conn.extended_stream(progress("1")))
        .await
        .unwrap();
    let items: Vec<_> = within("collect", op.collect::<Vec<_>>()).await;
    assert_eq!(items.len(), 4);
    assert!(items[..3].iter().all(Result::is_ok));
    let err = items[3].as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "extended operation failed: unwillingToPerform (53): no"
    );
    let Error::Ldap(le) = err else {
        panic!("{err:?}")
    };
    assert_eq!(le.controls()[0].value.as_deref(), Some(&b"end"[..]));

    // finish() skips the rest; the plain form has the final response only.
    let op = within("start", conn.extended_stream(progress("0")))
        .await
        .unwrap();
    let done = within("finish", op.finish()).await.unwrap();
    assert_eq!(done.result().code, ResultCode::SUCCESS);
    let plain = within("plain", conn.extended(progress("0"))).await.unwrap();
    assert_eq!(plain.name.as_deref(), Some(PROGRESS));

    // StartTLS needs its handshake: refused as a plain extended operation.
    for res in [
        conn.extended(StartTls::request()).await.map(drop),
        conn.extended_stream(StartTls::request()).await.map(drop),
    ] {
        let err = res.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "invalid input: StartTLS is not run as a plain extended operation: use LdapConn::start_tls or ConnConfig::starttls"
        );
    }
    assert!(within("whoami", conn.whoami()).await.unwrap().is_none());
}

// ---- unsolicited notifications ----

const NOTE: &str = "1.3.6.1.4.1.99999.60";

/// A server that sends `n` unsolicited notifications (value: their
/// number, the first with a control) before answering each request, and
/// closes after the second request.
async fn notifying_server(n: usize) -> server::Server {
    server::start(move |mut p: Peer| async move {
        for round in 0..2 {
            let Some(m) = p.recv_op().await else { return };
            for i in 0..n {
                let mut note = ExtendedResponse::new(LdapResult::new(ResultCode::SUCCESS));
                note.name = Some(NOTE.into());
                note.value = Some(Bytes::from(format!("{round}.{i}")));
                let controls = if i == 0 {
                    vec![Control::new(MARK, None)]
                } else {
                    Vec::new()
                };
                let op = ProtocolOp::ExtendedResponse(note);
                if p.send_with(MessageId::UNSOLICITED, op, controls)
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if p.extended_response(m.id, ResultCode::SUCCESS, None)
                .await
                .is_err()
            {
                return;
            }
        }
        p.close().await;
    })
    .await
}

#[tokio::test]
async fn unsolicited_notifications_reach_every_listener_until_the_connection_closes() {
    let srv = notifying_server(2).await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    let mut a = conn.notifications();
    let mut b = conn.notifications();
    // The notes come before the answer, so both are there once it is.
    assert!(within("whoami", conn.whoami()).await.unwrap().is_none());
    for stream in [&mut a, &mut b] {
        let first = within("a note", stream.next()).await.unwrap();
        assert_eq!(first.response.name.as_deref(), Some(NOTE));
        assert_eq!(first.response.value.as_deref(), Some(&b"0.0"[..]));
        assert_eq!(first.controls, [Control::new(MARK, None)]);
        let second = within("a note", stream.next()).await.unwrap();
        assert_eq!(second.response.value.as_deref(), Some(&b"0.1"[..]));
        assert!(second.controls.is_empty());
    }
    // A stream dropped stops getting them; the others go on.
    drop(b);
    assert!(within("whoami", conn.whoami()).await.unwrap().is_none());
    let values: Vec<_> = within("the rest", a.by_ref().collect::<Vec<_>>()).await;
    let values: Vec<_> = values
        .iter()
        .map(|n| n.response.value.clone().unwrap())
        .collect();
    assert_eq!(values, [Bytes::from("1.0"), Bytes::from("1.1")]);
    // The server closed: the stream has ended, and a new one ends at once.
    assert!(within("the end", a.next()).await.is_none());
    assert_eq!(a.missed(), 0);
    assert!(within("closed", conn.notifications().next())
        .await
        .is_none());
}

#[tokio::test]
async fn a_listener_that_does_not_read_misses_what_overflows_its_buffer() {
    let extra = 6;
    let srv = notifying_server(NOTIFICATION_BUFFER + extra).await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    let mut idle = conn.notifications();
    // The driver never waits for the listener: the answer comes.
    assert!(within("whoami", conn.whoami()).await.unwrap().is_none());
    assert_eq!(idle.missed(), extra as u64);
    let first = within("a note", idle.next()).await.unwrap();
    assert_eq!(first.response.value.as_deref(), Some(&b"0.0"[..]));
}

// ---- abandon and Cancel by handle ----

/// A server that answers WhoAmI, never answers a delete or a search, and
/// answers a Cancel as the DN of the delete it names asks: `cn=canceled`
/// (the delete ends with canceled, the Cancel with success), `cn=toolate`,
/// `cn=cannot`, `cn=nosuch`, else protocolError. Every message it gets
/// goes to `seen`.
async fn holding_server(seen: tokio::sync::mpsc::UnboundedSender<LdapMessage>) -> server::Server {
    server::start(move |mut p: Peer| {
        let seen = seen.clone();
        async move {
            let mut deletes = std::collections::HashMap::new();
            while let Some(m) = p.recv().await {
                let _ = seen.send(m.clone());
                let answer = match &m.op {
                    ProtocolOp::DelRequest(dn) => {
                        deletes.insert(m.id, dn.to_string());
                        continue;
                    }
                    ProtocolOp::ExtendedRequest(r) if r.name == Cancel::OID => {
                        let target = Cancel::from_request(r).unwrap().id;
                        let code = match deletes.get(&target).map(String::as_str) {
                            Some("cn=canceled") => {
                                let op =
                                    ProtocolOp::DelResponse(LdapResult::new(ResultCode::CANCELED));
                                if p.send(target, op).await.is_err() {
                                    return;
                                }
                                ResultCode::SUCCESS
                            }
                            Some("cn=toolate") => ResultCode::TOO_LATE,
                            Some("cn=cannot") => ResultCode::CANNOT_CANCEL,
                            Some("cn=nosuch") => ResultCode::NO_SUCH_OPERATION,
                            _ => ResultCode::PROTOCOL_ERROR,
                        };
                        ExtendedResponse::new(LdapResult::new(code))
                    }
                    ProtocolOp::ExtendedRequest(_) => {
                        ExtendedResponse::new(LdapResult::new(ResultCode::SUCCESS))
                    }
                    _ => continue,
                };
                if p.send(m.id, ProtocolOp::ExtendedResponse(answer))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    })
    .await
}

/// The next message `seen` of kind `name`.
async fn next_seen(
    seen: &mut tokio::sync::mpsc::UnboundedReceiver<LdapMessage>,
    name: &str,
) -> LdapMessage {
    loop {
        let m = within(name, seen.recv())
            .await
            .expect("the server is running");
        if m.op.name() == name {
            return m;
        }
    }
}

#[tokio::test]
async fn abandon_by_handle_ends_the_operation_and_tells_the_server() {
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let srv = holding_server(tx).await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();

    // Nothing started with a handle yet: nothing to abandon.
    let handle = OpHandle::new();
    assert!(!within("abandon", conn.abandon(&handle)).await.unwrap());

    let opts = OpOptions::new().handle(&handle);
    let delete = conn.with(opts).delete("cn=held");
    let abandon = async {
        let sent = next_seen(&mut seen, "DelRequest").await;
        assert!(within("abandon", conn.abandon(&handle)).await.unwrap());
        sent.id
    };
    let (res, id) = within("both", async { tokio::join!(delete, abandon) }).await;
    let err = res.unwrap_err();
    assert!(matches!(err, Error::Abandoned), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the operation was abandoned: LdapConn::abandon was called for it"
    );
    let abandon = next_seen(&mut seen, "AbandonRequest").await;
    assert!(matches!(abandon.op, ProtocolOp::AbandonRequest(target) if target == id));
    // Over now: a second abandon does nothing; the connection goes on.
    assert!(!within("again", conn.abandon(&handle)).await.unwrap());
    assert!(within("whoami", conn.whoami()).await.unwrap().is_none());

    // A search stream's own handle.
    let mut stream = within("search", conn.search(Search::new("dc=example,dc=com")))
        .await
        .unwrap();
    let search = next_seen(&mut seen, "SearchRequest").await;
    assert!(within("abandon", conn.abandon(&stream.handle()))
        .await
        .unwrap());
    let err = within("next", stream.next_item()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the operation was abandoned: LdapConn::abandon was called for it"
    );
    assert!(within("after", stream.next_item()).await.unwrap().is_none());
    let abandon = next_seen(&mut seen, "AbandonRequest").await;
    assert!(matches!(abandon.op, ProtocolOp::AbandonRequest(target) if target == search.id));
    // A handle of another connection names nothing here.
    let other = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    let mut stream = within("search", conn.search(Search::new("dc=example,dc=com")))
        .await
        .unwrap();
    assert!(!within("abandon", other.abandon(&stream.handle()))
        .await
        .unwrap());
    assert!(within("abandon", conn.abandon(&stream.handle()))
        .await
        .unwrap());
    assert!(matches!(
        within("next", stream.next_item()).await,
        Err(Error::Abandoned)
    ));
}

#[tokio::test]
async fn cancel_by_handle_returns_the_typed_outcome() {
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let srv = holding_server(tx).await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    assert_eq!(
        within("cancel", conn.cancel(&OpHandle::new()))
            .await
            .unwrap(),
        CancelOutcome::NotInFlight
    );

    // Cancelled: the operation ends with canceled (118), the Cancel with
    // success, and the Cancel named the operation's message ID.
    let handle = OpHandle::new();
    let delete = conn
        .with(OpOptions::new().handle(&handle))
        .delete("cn=canceled");
    let cancel = async {
        let sent = next_seen(&mut seen, "DelRequest").await;
        let outcome = within("cancel", conn.detailed().cancel(&handle))
            .await
            .unwrap();
        let request = next_seen(&mut seen, "ExtendedRequest").await;
        let ProtocolOp::ExtendedRequest(r) = &request.op else {
            unreachable!()
        };
        assert_eq!(Cancel::from_request(r).unwrap().id, sent.id);
        outcome
    };
    let (res, outcome) = within("both", async { tokio::join!(delete, cancel) }).await;
    assert_eq!(*outcome.value(), CancelOutcome::Canceled);
    assert_eq!(outcome.result().code, ResultCode::SUCCESS);
    let err = res.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::CANCELED));
    assert_eq!(err.to_string(), "delete failed: canceled (118)");
    // Over: nothing more to cancel.
    assert_eq!(
        within("again", conn.cancel(&handle)).await.unwrap(),
        CancelOutcome::NotInFlight
    );

    // The other answers of RFC 3909 are typed results; the operation
    // goes on (and is abandoned when its future is dropped).
    for (dn, expected) in [
        ("cn=toolate", CancelOutcome::TooLate),
        ("cn=cannot", CancelOutcome::CannotCancel),
        ("cn=nosuch", CancelOutcome::NoSuchOperation),
    ] {
        let handle = OpHandle::new();
        let delete = conn.with(OpOptions::new().handle(&handle)).delete(dn);
        let outcome = tokio::select! {
            res = delete => panic!("{dn} ended: {res:?}"),
            outcome = async {
                next_seen(&mut seen, "DelRequest").await;
                within("cancel", conn.cancel(&handle)).await
            } => outcome.unwrap(),
        };
        assert_eq!(outcome, expected, "{dn}");
    }
    // Any other result is an error of the Cancel.
    let handle = OpHandle::new();
    let delete = conn
        .with(OpOptions::new().handle(&handle))
        .delete("cn=other");
    let err = tokio::select! {
        res = delete => panic!("ended: {res:?}"),
        err = async {
            next_seen(&mut seen, "DelRequest").await;
            within("cancel", conn.cancel(&handle)).await
        } => err.unwrap_err(),
    };
    assert_eq!(err.result_code(), Some(ResultCode::PROTOCOL_ERROR));
    assert_eq!(err.to_string(), "cancel failed: protocolError (2)");
}

#[tokio::test]
async fn a_notice_of_disconnection_ends_the_notifications_and_is_not_one_of_them() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(_) = p.recv_op().await else { return };
        let notice = NoticeOfDisconnection::new(ResultCode::UNAVAILABLE, "going down");
        let mut out = Vec::new();
        notice.to_message().encode(&mut out);
        if p.send_raw(&out).await.is_ok() {
            let _ = p.read_to_end().await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    let mut notes = conn.notifications();
    let err = within("whoami", conn.whoami()).await.unwrap_err();
    assert!(matches!(err, Error::Disconnected { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "server disconnected: unavailable (52): going down"
    );
    assert!(within("the end", notes.next()).await.is_none());
    assert_eq!(notes.missed(), 0);
}
