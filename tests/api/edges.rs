//! The edge cases: Password Modify under the plaintext rule of simple
//! binds; the intermediate responses of extended operations; unsolicited
//! notifications; abandon and Cancel by operation handle.

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio_ldap::controls::Control;
use tokio_ldap::proto::extended::PasswordModify;
use tokio_ldap::proto::{
    ExtendedRequest, ExtendedResponse, IntermediateResponse, LdapResult, MessageId, ProtocolOp,
};
use tokio_ldap::testkit::{TestPki, TestServer};
use tokio_ldap::{ConnConfig, Error, LdapConn, ResultCode, NOTIFICATION_BUFFER};

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
