//! Deterministic tests of the state machine: no runtime, no socket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::*;
use crate::proto::extended::NOTICE_OF_DISCONNECTION;
use crate::proto::Password;
use crate::proto::{
    BindAuth, BindRequest, BindResponse, ByteString, DerefAliases, ExtendedRequest, Filter,
    LdapResult, ResultCode, Scope, SearchRequest,
};

fn search() -> ProtocolOp {
    ProtocolOp::SearchRequest(SearchRequest {
        base: "dc=example,dc=com".into(),
        scope: Scope::Subtree,
        deref: DerefAliases::Never,
        size_limit: 0,
        time_limit: 0,
        types_only: false,
        filter: Filter::Present(crate::proto::filter::AttributeDescription::OBJECT_CLASS),
        attributes: vec![],
    })
}

fn bind() -> ProtocolOp {
    ProtocolOp::BindRequest(BindRequest {
        version: 3,
        name: ByteString::new(),
        auth: BindAuth::Sasl {
            mechanism: "EXTERNAL".into(),
            credentials: Some(Password::new(Vec::new())),
        },
    })
}

fn starttls() -> ProtocolOp {
    ProtocolOp::ExtendedRequest(ExtendedRequest {
        name: START_TLS.into(),
        value: None,
    })
}

fn ok() -> LdapResult {
    LdapResult::new(ResultCode::SUCCESS)
}

fn entry(dn: &str) -> ProtocolOp {
    ProtocolOp::SearchResultEntry(SearchResultEntry::new(dn, vec![]))
}

fn wire(id: i32, op: ProtocolOp) -> BytesMut {
    let mut out = Vec::new();
    LdapMessage {
        id: MessageId(id),
        op,
        controls: vec![],
    }
    .encode(&mut out);
    BytesMut::from(&out[..])
}

/// Everything the machine wants to send, decoded.
fn sent(c: &mut Connection) -> Vec<LdapMessage> {
    let mut out = Vec::new();
    c.poll_transmit(&mut out);
    let mut buf = BytesMut::from(&out[..]);
    let mut msgs = Vec::new();
    while !buf.is_empty() {
        let len = frame_len(&buf, usize::MAX).unwrap().unwrap();
        msgs.push(LdapMessage::decode(buf.split_to(len).freeze()).unwrap());
    }
    msgs
}

fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn feed(c: &mut Connection, id: i32, op: ProtocolOp) {
    let mut b = wire(id, op);
    c.handle_input(&mut b);
    assert!(b.is_empty() || c.is_closed());
}

fn new() -> (Connection, Instant) {
    (Connection::new(Settings::default()), Instant::now())
}

fn done_ok(ev: &Event) -> (MessageId, &ProtocolOp) {
    match ev {
        Event::Done(id, Ok(msg)) => (*id, &msg.op),
        other => panic!("expected a successful Done, got {other:?}"),
    }
}

fn done_err(ev: &Event) -> (MessageId, &Error) {
    match ev {
        Event::Done(id, Err(e)) => (*id, e),
        other => panic!("expected a failed Done, got {other:?}"),
    }
}

#[test]
fn interleaved_responses_are_routed_by_id() {
    let (mut c, now) = new();
    let s = c.submit(search(), vec![], now, None).unwrap();
    let d = c
        .submit(ProtocolOp::DelRequest("cn=x".into()), vec![], now, None)
        .unwrap();
    assert_eq!((s, d), (MessageId(1), MessageId(2)));
    assert_eq!(sent(&mut c).len(), 2);
    feed(&mut c, 2, ProtocolOp::DelResponse(ok()));
    feed(&mut c, 1, entry("cn=a"));
    feed(
        &mut c,
        1,
        ProtocolOp::SearchResultReference(vec!["ldap://other/".into()]),
    );
    feed(&mut c, 1, ProtocolOp::SearchResultDone(ok()));
    let ev = events(&mut c);
    assert_eq!(ev.len(), 4);
    assert!(matches!(
        done_ok(&ev[0]),
        (MessageId(2), ProtocolOp::DelResponse(_))
    ));
    assert!(matches!(&ev[1], Event::Entry(MessageId(1), e, _) if e.dn == "cn=a"));
    assert!(matches!(&ev[2], Event::Reference(MessageId(1), r, _) if r[0] == "ldap://other/"));
    assert!(matches!(
        done_ok(&ev[3]),
        (MessageId(1), ProtocolOp::SearchResultDone(_))
    ));
    assert_eq!(c.pending_len(), 0);
}

#[test]
fn many_concurrent_searches() {
    let (mut c, now) = new();
    let ids: Vec<_> = (0..200)
        .map(|_| c.submit(search(), vec![], now, None).unwrap())
        .collect();
    assert_eq!(sent(&mut c).len(), 200);
    // All the entries, interleaved, then all the dones in reverse order.
    let mut input = BytesMut::new();
    for round in 0..3 {
        for id in &ids {
            input.extend_from_slice(&wire(id.0, entry(&format!("cn={round},id={}", id.0))));
        }
    }
    for id in ids.iter().rev() {
        input.extend_from_slice(&wire(id.0, ProtocolOp::SearchResultDone(ok())));
    }
    c.handle_input(&mut input);
    let ev = events(&mut c);
    assert_eq!(ev.len(), 800);
    for id in &ids {
        let mine: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Entry(i, e, _) if i == id => Some(e.dn.to_string()),
                _ => None,
            })
            .collect();
        let want: Vec<_> = (0..3).map(|r| format!("cn={r},id={}", id.0)).collect();
        assert_eq!(mine, want);
    }
    assert_eq!(c.pending_len(), 0);
}

#[test]
fn input_split_anywhere_decodes_once_complete() {
    let (mut c, now) = new();
    c.submit(search(), vec![], now, None).unwrap();
    let whole = wire(1, entry("cn=split,dc=example,dc=com"));
    let mut buf = BytesMut::new();
    for (i, b) in whole.iter().enumerate() {
        buf.extend_from_slice(&[*b]);
        c.handle_input(&mut buf);
        let ev = events(&mut c);
        if i + 1 < whole.len() {
            assert!(ev.is_empty(), "decoded early at byte {i}");
        } else {
            assert!(matches!(&ev[..], [Event::Entry(MessageId(1), ..)]));
        }
    }
    assert!(buf.is_empty());
}

#[test]
fn unknown_message_id_fails_everything() {
    let (mut c, now) = new();
    c.submit(search(), vec![], now, None).unwrap();
    c.submit(search(), vec![], now, None).unwrap();
    feed(&mut c, 99, ProtocolOp::DelResponse(ok()));
    let ev = events(&mut c);
    assert_eq!(ev.len(), 2);
    for e in &ev {
        let (_, err) = done_err(e);
        assert!(matches!(
            err,
            Error::Protocol(ProtocolError::UnknownMessageId(MessageId(99)))
        ));
        assert_eq!(
            err.to_string(),
            "protocol error: response for message ID 99, which has no operation pending"
        );
    }
    assert!(c.is_closed());
    let again = c.submit(search(), vec![], now, None).unwrap_err();
    assert!(matches!(
        again,
        Error::Protocol(ProtocolError::UnknownMessageId(_))
    ));
}

#[test]
fn wrong_response_kind_is_a_protocol_error() {
    let (mut c, now) = new();
    c.submit(ProtocolOp::DelRequest("cn=x".into()), vec![], now, None)
        .unwrap();
    feed(&mut c, 1, ProtocolOp::AddResponse(ok()));
    let ev = events(&mut c);
    let (id, err) = done_err(&ev[0]);
    assert_eq!(id, MessageId(1));
    assert_eq!(
        err.to_string(),
        "protocol error: message ID 1: expected DelResponse, got AddResponse"
    );
}

#[test]
fn entry_after_done_is_unknown_id() {
    let (mut c, now) = new();
    c.submit(search(), vec![], now, None).unwrap();
    feed(&mut c, 1, ProtocolOp::SearchResultDone(ok()));
    feed(&mut c, 1, entry("cn=late"));
    let ev = events(&mut c);
    assert_eq!(ev.len(), 1);
    assert!(c.is_closed());
    assert!(matches!(
        c.closed_with(),
        Some(Error::Protocol(ProtocolError::UnknownMessageId(MessageId(
            1
        ))))
    ));
}

#[test]
fn notice_of_disconnection_fails_all_pending_with_server_text() {
    let (mut c, now) = new();
    for _ in 0..3 {
        c.submit(search(), vec![], now, None).unwrap();
    }
    let mut result = LdapResult::new(ResultCode::UNAVAILABLE);
    result.message = "server shutting down".into();
    let notice = ExtendedResponse {
        result,
        name: Some(NOTICE_OF_DISCONNECTION.into()),
        value: None,
    };
    feed(&mut c, 0, ProtocolOp::ExtendedResponse(notice));
    let ev = events(&mut c);
    assert_eq!(ev.len(), 3);
    for e in &ev {
        let (_, err) = done_err(e);
        assert_eq!(err.result_code(), Some(ResultCode::UNAVAILABLE));
        assert_eq!(
            err.to_string(),
            "server disconnected: unavailable (52): server shutting down"
        );
    }
    assert!(c.is_closed());
}

#[test]
fn other_unsolicited_notifications_are_events() {
    let (mut c, _) = new();
    let resp = ExtendedResponse {
        result: ok(),
        name: Some("1.2.3.4".into()),
        value: None,
    };
    feed(&mut c, 0, ProtocolOp::ExtendedResponse(resp));
    assert!(
        matches!(&events(&mut c)[..], [Event::Unsolicited(r, _)] if r.name.as_deref() == Some("1.2.3.4"))
    );
    assert!(!c.is_closed());
}

#[test]
fn abandon_sends_abandon_request_and_drops_late_responses() {
    let (mut c, now) = new();
    let id = c.submit(search(), vec![], now, None).unwrap();
    sent(&mut c);
    c.abandon(id);
    let out = sent(&mut c);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].op, ProtocolOp::AbandonRequest(id));
    assert_ne!(out[0].id, id);
    // Responses that crossed the AbandonRequest are dropped silently.
    feed(&mut c, id.0, entry("cn=late"));
    feed(&mut c, id.0, ProtocolOp::SearchResultDone(ok()));
    assert!(events(&mut c).is_empty());
    assert!(!c.is_closed());
}

#[test]
fn deadline_expiry_times_out_and_abandons() {
    let (mut c, now) = new();
    let id = c
        .submit(search(), vec![], now, Some(Duration::from_secs(2)))
        .unwrap();
    let other = c
        .submit(search(), vec![], now, Some(Duration::from_secs(10)))
        .unwrap();
    sent(&mut c);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(2)));
    c.handle_timeout(now + Duration::from_secs(1));
    assert!(events(&mut c).is_empty());
    c.handle_timeout(now + Duration::from_secs(2));
    let ev = events(&mut c);
    let (tid, err) = done_err(&ev[0]);
    assert_eq!(tid, id);
    assert_eq!(err.to_string(), "the operation timed out after 2s");
    assert_eq!(sent(&mut c)[0].op, ProtocolOp::AbandonRequest(id));
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(10)));
    assert_eq!(c.pending_len(), 1);
    let _ = other;
}

#[test]
fn nothing_else_is_sent_while_a_bind_is_in_progress() {
    let (mut c, now) = new();
    let b = c.submit(bind(), vec![], now, None).unwrap();
    let s = c.submit(search(), vec![], now, None).unwrap();
    let out = sent(&mut c);
    assert_eq!(out.len(), 1, "only the bind goes out");
    assert_eq!(out[0].id, b);
    let resp = BindResponse {
        result: ok(),
        server_sasl_creds: None,
    };
    feed(&mut c, b.0, ProtocolOp::BindResponse(resp));
    let out = sent(&mut c);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, s);
}

#[test]
fn a_bind_waits_for_outstanding_operations() {
    let (mut c, now) = new();
    let s = c.submit(search(), vec![], now, None).unwrap();
    let b = c.submit(bind(), vec![], now, None).unwrap();
    let s2 = c.submit(search(), vec![], now, None).unwrap();
    assert_eq!(
        sent(&mut c).iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![s]
    );
    feed(&mut c, s.0, ProtocolOp::SearchResultDone(ok()));
    assert_eq!(
        sent(&mut c).iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![b]
    );
    feed(
        &mut c,
        b.0,
        ProtocolOp::BindResponse(BindResponse {
            result: ok(),
            server_sasl_creds: None,
        }),
    );
    assert_eq!(
        sent(&mut c).iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![s2]
    );
}

#[test]
fn a_dropped_bind_closes_the_connection_and_its_late_result_changes_nothing() {
    let (mut c, now) = new();
    let b = c.submit(bind(), vec![], now, None).unwrap();
    sent(&mut c);
    c.abandon(b);
    let out = sent(&mut c);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        out[0].op,
        ProtocolOp::UnbindRequest,
        "no AbandonRequest for a bind"
    );
    assert!(
        events(&mut c).is_empty(),
        "nobody waits for the dropped bind"
    );
    assert!(c.is_closed());
    let reason = "connection closed: a bind was cancelled before the server answered it; the identity of the connection is unknown, so the connection was closed";
    assert_eq!(c.closed_with().unwrap().to_string(), reason);
    feed(
        &mut c,
        b.0,
        ProtocolOp::BindResponse(BindResponse {
            result: ok(),
            server_sasl_creds: None,
        }),
    );
    assert!(events(&mut c).is_empty());
    assert_eq!(c.pending_len(), 0);
    let err = c.submit(search(), vec![], now, None).unwrap_err();
    assert!(matches!(err, Error::Closed(_)), "{err:?}");
    assert_eq!(err.to_string(), reason);
}

#[test]
fn a_bind_that_times_out_closes_the_connection_before_anything_else_is_sent() {
    let (mut c, now) = new();
    let b = c
        .submit(bind(), vec![], now, Some(Duration::from_secs(1)))
        .unwrap();
    let queued = c.submit(search(), vec![], now, None).unwrap();
    assert_eq!(sent(&mut c).len(), 1, "the search waits for the bind");
    c.handle_timeout(now + Duration::from_secs(1));
    let ev = events(&mut c);
    assert_eq!(ev.len(), 2, "{ev:?}");
    let (id, err) = done_err(&ev[0]);
    assert_eq!(id, b);
    assert!(
        matches!(err, Error::Timeout { phase: Phase::Bind, after } if *after == Duration::from_secs(1)),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the bind timed out after 1s");
    let (id, err) = done_err(&ev[1]);
    assert_eq!(id, queued);
    assert!(matches!(err, Error::Closed(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "connection closed: a bind timed out before the server answered it; the identity of the connection is unknown, so the connection was closed"
    );
    let out = sent(&mut c);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        out[0].op,
        ProtocolOp::UnbindRequest,
        "the search never went out"
    );
}

#[test]
fn a_starttls_that_times_out_closes_the_connection() {
    let (mut c, now) = new();
    c.submit(starttls(), vec![], now, Some(Duration::from_secs(1)))
        .unwrap();
    sent(&mut c);
    c.handle_timeout(now + Duration::from_secs(1));
    let ev = events(&mut c);
    let (_, err) = done_err(&ev[0]);
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: Phase::StartTls,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the StartTLS request timed out after 1s");
    assert_eq!(
        c.closed_with().unwrap().to_string(),
        "connection closed: a StartTLS request timed out before the server answered it; whether the server switched to TLS is unknown, so the connection was closed"
    );
    assert_eq!(sent(&mut c)[0].op, ProtocolOp::UnbindRequest);
}

#[test]
fn abandoned_ids_are_remembered_up_to_a_bound() {
    let (mut c, now) = new();
    let mut ids = Vec::new();
    for _ in 0..10_000 {
        let id = c.submit(search(), vec![], now, None).unwrap();
        sent(&mut c);
        c.abandon(id);
        ids.push(id);
    }
    assert_eq!(c.abandoned_len(), MAX_ABANDONED);
    assert!(c.abandoned_order.len() <= 2 * MAX_ABANDONED);
    // The most recent are still recognised: their late responses are
    // dropped without failing the connection.
    let last = *ids.last().unwrap();
    feed(&mut c, last.0, ProtocolOp::SearchResultDone(ok()));
    assert!(!c.is_closed());
    assert!(events(&mut c).is_empty());
    // The oldest were forgotten: a response for one is now an unknown ID.
    feed(&mut c, ids[0].0, ProtocolOp::SearchResultDone(ok()));
    assert!(matches!(
        c.closed_with(),
        Some(Error::Protocol(ProtocolError::UnknownMessageId(id))) if *id == ids[0]
    ));
}

#[test]
fn starttls_needs_an_idle_connection() {
    let (mut c, now) = new();
    c.submit(search(), vec![], now, None).unwrap();
    let err = c.submit(starttls(), vec![], now, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid input: StartTLS requires an idle connection, but 1 operations are outstanding"
    );
}

#[test]
fn starttls_success_holds_requests_until_tls_is_up() {
    let (mut c, now) = new();
    let t = c.submit(starttls(), vec![], now, None).unwrap();
    sent(&mut c);
    let ext = ExtendedResponse {
        result: ok(),
        name: None,
        value: None,
    };
    feed(&mut c, t.0, ProtocolOp::ExtendedResponse(ext));
    let s = c.submit(search(), vec![], now, None).unwrap();
    assert!(
        sent(&mut c).is_empty(),
        "nothing goes out in clear text after StartTLS"
    );
    let ev = events(&mut c);
    assert!(matches!(done_ok(&ev[0]), (id, ProtocolOp::ExtendedResponse(_)) if id == t));
    assert!(matches!(ev[1], Event::StartTlsReady));
    c.tls_established();
    assert_eq!(sent(&mut c)[0].id, s);
}

#[test]
fn input_after_a_starttls_response_is_left_unread() {
    let (mut c, now) = new();
    let t = c.submit(starttls(), vec![], now, None).unwrap();
    sent(&mut c);
    let ext = ExtendedResponse {
        result: ok(),
        name: None,
        value: None,
    };
    // The response and, in the same segment, a forged notice that must
    // not be routed before the TLS handshake.
    let mut buf = wire(t.0, ProtocolOp::ExtendedResponse(ext));
    let forged = wire(
        0,
        ProtocolOp::ExtendedResponse(ExtendedResponse {
            result: LdapResult::new(ResultCode::UNAVAILABLE),
            name: Some(NOTICE_OF_DISCONNECTION.into()),
            value: None,
        }),
    );
    buf.extend_from_slice(&forged);
    c.handle_input(&mut buf);
    assert_eq!(buf.len(), forged.len());
    assert!(c.is_upgrading());
    assert!(!c.is_closed());
    let ev = events(&mut c);
    assert_eq!(ev.len(), 2);
    assert!(matches!(ev[1], Event::StartTlsReady));
}

#[test]
fn queued_and_sent_operations_expire_in_deadline_order() {
    let (mut c, now) = new();
    let b = c
        .submit(bind(), vec![], now, Some(Duration::from_secs(5)))
        .unwrap();
    let q1 = c
        .submit(search(), vec![], now, Some(Duration::from_secs(1)))
        .unwrap();
    let q2 = c
        .submit(search(), vec![], now, Some(Duration::from_secs(3)))
        .unwrap();
    assert_eq!(sent(&mut c).len(), 1, "the searches wait for the bind");
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(1)));
    c.handle_timeout(now + Duration::from_secs(3));
    let ids: Vec<MessageId> = events(&mut c).iter().map(|e| done_err(e).0).collect();
    assert_eq!(ids, [q1, q2]);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(5)));
    // A completed operation's deadline is forgotten.
    let resp = BindResponse {
        result: ok(),
        server_sasl_creds: None,
    };
    feed(&mut c, b.0, ProtocolOp::BindResponse(resp));
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.pending_len(), 0);
}

#[test]
fn message_ids_skip_ids_in_use_after_wrap_around() {
    let (mut c, now) = new();
    let first = c.submit(search(), vec![], now, None).unwrap();
    assert_eq!(first, MessageId(1));
    c.next_id = i32::MAX;
    assert_eq!(
        c.submit(search(), vec![], now, None).unwrap(),
        MessageId(i32::MAX)
    );
    // 1 is still pending, so the next ID after the wrap is 2.
    assert_eq!(c.submit(search(), vec![], now, None).unwrap(), MessageId(2));
}

#[test]
fn oversized_message_fails_before_buffering() {
    let mut c = Connection::new(Settings {
        max_message_len: 1024,
        max_depth: 64,
    });
    c.submit(search(), vec![], Instant::now(), None).unwrap();
    // A header announcing 4 GiB - 1.
    let mut buf = BytesMut::from(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..]);
    c.handle_input(&mut buf);
    let ev = events(&mut c);
    let (_, err) = done_err(&ev[0]);
    assert_eq!(
        err.to_string(),
        "protocol error: server sent a message of 4294967295 bytes, over the limit of 1024 bytes"
    );
}

#[test]
fn garbage_and_indefinite_lengths_are_decode_errors() {
    for (input, want) in [
        (
            &[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00][..],
            "indefinite length is not allowed in LDAP at byte 0",
        ),
        (&[0x30, 0x03, 0x04, 0x01, 0x41][..], "expected tag"),
    ] {
        let (mut c, now) = new();
        c.submit(search(), vec![], now, None).unwrap();
        let mut buf = BytesMut::from(input);
        c.handle_input(&mut buf);
        let ev = events(&mut c);
        let (_, err) = done_err(&ev[0]);
        assert!(
            matches!(err, Error::Protocol(ProtocolError::Decode(_))),
            "{err}"
        );
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[test]
fn close_fails_pending_and_queued() {
    let (mut c, now) = new();
    c.submit(bind(), vec![], now, None).unwrap();
    c.submit(search(), vec![], now, None).unwrap();
    c.handle_close(Error::Closed("the server closed the connection".into()));
    let ev = events(&mut c);
    assert_eq!(ev.len(), 2);
    for e in &ev {
        assert_eq!(
            done_err(e).1.to_string(),
            "connection closed: the server closed the connection"
        );
    }
}

#[test]
fn unbind_fails_outstanding_and_refuses_new_requests() {
    let (mut c, now) = new();
    c.submit(search(), vec![], now, None).unwrap();
    sent(&mut c);
    c.unbind();
    assert_eq!(sent(&mut c)[0].op, ProtocolOp::UnbindRequest);
    assert_eq!(
        done_err(&events(&mut c)[0]).1.to_string(),
        "connection closed: unbind was requested"
    );
    let err = c.submit(search(), vec![], now, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "connection closed: the connection was unbound"
    );
}

/// A request encoded once by the handle (`Request`) goes out byte for byte
/// as the whole message encoded with its ID would, for IDs of every length
/// and bodies below and above 127 bytes (where the SEQUENCE length widens),
/// and never takes more than the size the handle charged for it.
#[test]
fn a_request_encoded_once_is_the_message_encoded_with_its_id() {
    let control = Control {
        oid: "1.2.840.113556.1.4.319".into(),
        critical: true,
        value: Some(bytes::Bytes::from(vec![
            0x30, 0x05, 0x02, 0x01, 0x05, 0x04, 0x00,
        ])),
    };
    let mut long = search();
    if let ProtocolOp::SearchRequest(s) = &mut long {
        s.attributes = (0..40).map(|i| format!("attribute{i}").into()).collect();
    }
    let cases = [
        (search(), vec![]),
        (bind(), vec![]),
        (starttls(), vec![control.clone()]),
        (long, vec![control]),
    ];
    for (op, controls) in cases {
        for id in [1, 127, 128, 255, 256, 65_535, 65_536, 1 << 23, i32::MAX] {
            let request = Request::new(op.clone(), controls.clone()).unwrap();
            let mut got = Vec::new();
            request.write(MessageId(id), &mut got);
            let mut want = Vec::new();
            LdapMessage {
                id: MessageId(id),
                op: op.clone(),
                controls: controls.clone(),
            }
            .encode(&mut want);
            assert_eq!(got, want, "{} with ID {id}", op.name());
            assert!(
                got.len() <= request.wire_len(),
                "{} with ID {id}",
                op.name()
            );
        }
    }
}

/// Only requests can be encoded for sending; the error says so.
#[test]
fn a_response_cannot_be_made_a_request() {
    let err = Request::new(ProtocolOp::SearchResultDone(ok()), vec![]).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid input: only request operations can be submitted"
    );
}
