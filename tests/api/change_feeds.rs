//! The sync and persistent search streams against the scripted server:
//! what slapd does not produce (persistent search itself, Sync Info
//! messages of every kind, broken controls, a connection that drops), and
//! the AbandonRequest a dropped stream sends.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio_ldap::proto::controls::{
    ChangeType, ChangeTypes, Control, EntryChangeNotification, PersistentSearch, SyncDone,
    SyncInfo, SyncMode, SyncRequest, SyncState, SyncStateKind, SyncUuid,
};
use tokio_ldap::proto::{
    Attribute, LdapMessage, LdapResult, MessageId, ProtocolOp, SearchResultEntry,
};
use tokio_ldap::{
    ConnConfig, Error, LdapConn, PersistentSearchEvent, ProtocolError, ResultCode, Search,
    SyncEvent, SyncSearch,
};

use crate::support::server::{self, Peer};

/// A short default operation timeout: the streams must not be subject to it.
fn config() -> ConnConfig {
    ConnConfig::new()
        .connect_timeout(Some(Duration::from_secs(5)))
        .operation_timeout(Some(Duration::from_millis(200)))
}

fn entry(dn: &str) -> ProtocolOp {
    ProtocolOp::SearchResultEntry(SearchResultEntry::new(
        dn,
        vec![Attribute::new("cn", ["x"])],
    ))
}

fn done() -> ProtocolOp {
    ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS))
}

/// Receives the search request, checks that its first control is the
/// one expected, and returns the message.
async fn search_request(p: &mut Peer, oid: &str) -> Option<LdapMessage> {
    let m = p.recv_op().await?;
    assert!(matches!(m.op, ProtocolOp::SearchRequest(_)), "{:?}", m.op);
    assert_eq!(m.controls.first().map(|c| c.oid.as_ref()), Some(oid));
    Some(m)
}

/// Waits for the AbandonRequest of `id`, and says so on `tx`.
async fn expect_abandon(p: &mut Peer, id: MessageId, tx: oneshot::Sender<MessageId>) {
    while let Some(m) = p.recv().await {
        if let ProtocolOp::AbandonRequest(abandoned) = m.op {
            assert_eq!(abandoned, id);
            let _ = tx.send(abandoned);
            return;
        }
    }
}

#[tokio::test]
async fn persistent_search_streams_changes_past_the_default_timeout_and_abandons_on_drop() {
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.lock().unwrap().take();
        async move {
            let Some(m) = search_request(&mut p, PersistentSearch::OID).await else {
                return;
            };
            let request = PersistentSearch::from_control(&m.controls[0]).unwrap();
            assert!(m.controls[0].critical);
            assert_eq!(
                request.change_types,
                ChangeTypes::MODIFY | ChangeTypes::MOD_DN
            );
            assert!(request.changes_only && request.return_ecs);
            // Longer than the default timeout before the first change.
            p.pause(Duration::from_millis(400)).await;
            let ecn = EntryChangeNotification::new(ChangeType::Modify);
            p.send_with(m.id, entry("cn=a,dc=example"), vec![ecn.into()])
                .await
                .unwrap();
            let mut ecn = EntryChangeNotification::new(ChangeType::ModDn);
            ecn.previous_dn = Some("cn=old,dc=example".into());
            ecn.change_number = Some(7);
            p.send_with(m.id, entry("cn=b,dc=example"), vec![ecn.into()])
                .await
                .unwrap();
            // An entry without a notification (one that matched at the start).
            p.send(m.id, entry("cn=c,dc=example")).await.unwrap();
            if let Some(tx) = tx {
                expect_abandon(&mut p, m.id, tx).await;
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let mut stream = conn
        .persistent_search(
            Search::new("dc=example"),
            PersistentSearch::new(ChangeTypes::MODIFY | ChangeTypes::MOD_DN),
        )
        .await
        .unwrap();
    let Some(PersistentSearchEvent::Entry(a)) = stream.next_event().await.unwrap() else {
        panic!("expected an entry")
    };
    assert_eq!(a.entry.dn, "cn=a,dc=example");
    assert_eq!(a.change.unwrap().change_type, ChangeType::Modify);
    let Some(PersistentSearchEvent::Entry(b)) = stream.next_event().await.unwrap() else {
        panic!("expected an entry")
    };
    let change = b.change.unwrap();
    assert_eq!(change.change_type, ChangeType::ModDn);
    assert_eq!(change.previous_dn.as_deref(), Some("cn=old,dc=example"));
    assert_eq!(change.change_number, Some(7));
    let Some(PersistentSearchEvent::Entry(c)) = stream.next_event().await.unwrap() else {
        panic!("expected an entry")
    };
    assert!(c.change.is_none());
    drop(stream);
    let abandoned = tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("no AbandonRequest within 5 s of the drop")
        .unwrap();
    assert_eq!(abandoned, MessageId::new(1).unwrap());
}

#[tokio::test]
async fn persistent_search_ends_with_an_error_when_the_connection_drops() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(m) = search_request(&mut p, PersistentSearch::OID).await else {
            return;
        };
        let ecn = EntryChangeNotification::new(ChangeType::Add);
        p.send_with(m.id, entry("cn=a,dc=example"), vec![ecn.into()])
            .await
            .unwrap();
        p.close().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let mut stream = conn
        .persistent_search(
            Search::new("dc=example"),
            PersistentSearch::new(ChangeTypes::ALL),
        )
        .await
        .unwrap();
    assert!(matches!(
        stream.next_event().await.unwrap(),
        Some(PersistentSearchEvent::Entry(_))
    ));
    let err = stream.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Closed(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "connection closed: the server closed the connection"
    );
    assert!(stream.next_event().await.unwrap().is_none());
}

#[tokio::test]
async fn persistent_search_with_a_malformed_notification_fails_naming_it() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(m) = search_request(&mut p, PersistentSearch::OID).await else {
            return;
        };
        let bad = Control::new(
            EntryChangeNotification::OID,
            Some(Bytes::from_static(&[0x30, 0x03, 0x0a, 0x01, 0x03])),
        );
        p.send_with(m.id, entry("cn=a,dc=example"), vec![bad])
            .await
            .unwrap();
        let _ = p.recv().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let mut stream = conn
        .persistent_search(
            Search::new("dc=example"),
            PersistentSearch::new(ChangeTypes::ALL),
        )
        .await
        .unwrap();
    let err = stream.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ProtocolError::ChangeFeed(_))),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "protocol error: a persistent search got cn=a,dc=example with a malformed entry change notification (unknown changeType value 3 at byte 2)"
    );
    assert!(stream.next_event().await.unwrap().is_none());
}

const U1: SyncUuid = SyncUuid([1; 16]);
const U2: SyncUuid = SyncUuid([2; 16]);
const U3: SyncUuid = SyncUuid([3; 16]);

fn cookie(s: &'static str) -> Option<Bytes> {
    Some(Bytes::from_static(s.as_bytes()))
}

fn state(kind: SyncStateKind, uuid: SyncUuid, c: Option<Bytes>) -> Vec<Control> {
    vec![SyncState::new(kind, uuid, c).into()]
}

fn info(i: SyncInfo) -> ProtocolOp {
    ProtocolOp::IntermediateResponse(i.to_intermediate())
}

#[tokio::test]
async fn sync_refresh_only_every_kind_of_message_becomes_an_event() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(m) = search_request(&mut p, SyncRequest::OID).await else {
            return;
        };
        let request = SyncRequest::from_control(&m.controls[0]).unwrap();
        assert!(m.controls[0].critical);
        assert_eq!(request.mode, SyncMode::RefreshOnly);
        assert_eq!(request.cookie, cookie("start"));
        assert!(request.reload_hint);
        let id = m.id;
        let present = state(SyncStateKind::Present, U1, None);
        p.send_with(id, entry("cn=p,dc=example"), present)
            .await
            .unwrap();
        p.send(
            id,
            info(SyncInfo::RefreshPresent {
                cookie: cookie("c1"),
                refresh_done: false,
            }),
        )
        .await
        .unwrap();
        p.send(
            id,
            info(SyncInfo::SyncIdSet {
                cookie: None,
                refresh_deletes: true,
                uuids: vec![U2, U3],
            }),
        )
        .await
        .unwrap();
        p.send(id, info(SyncInfo::NewCookie(Bytes::from_static(b"c2"))))
            .await
            .unwrap();
        let modified = state(SyncStateKind::Modify, U1, cookie("c3"));
        p.send_with(id, entry("cn=p,dc=example"), modified)
            .await
            .unwrap();
        let reference = state(SyncStateKind::Add, U2, None);
        let uris = ProtocolOp::SearchResultReference(vec!["ldap://other/dc=example".into()]);
        p.send_with(id, uris, reference).await.unwrap();
        p.send_with(
            id,
            done(),
            vec![SyncDone::new(cookie("final"), true).into()],
        )
        .await
        .unwrap();
        let _ = p.recv().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let request = SyncSearch::new(Search::new("dc=example"), SyncMode::RefreshOnly)
        .cookie(Bytes::from_static(b"start"))
        .reload_hint(true);
    let mut stream = conn.sync(request).await.unwrap();
    assert_eq!(stream.cookie(), cookie("start").as_ref());
    let mut events = Vec::new();
    while let Some(ev) = stream.next_event().await.unwrap() {
        events.push((format!("{ev:?}"), stream.cookie().cloned()));
    }
    let got: Vec<(&str, Option<Bytes>)> = events
        .iter()
        .map(|(ev, c)| (ev.split([' ', '(']).next().unwrap(), c.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("Present", cookie("start")),
            ("RefreshPhaseDone", cookie("c1")),
            ("IdSet", cookie("c1")),
            ("Cookie", cookie("c2")),
            ("Modified", cookie("c3")),
            ("Reference", cookie("c3")),
            ("RefreshDone", cookie("final")),
        ],
        "{events:#?}"
    );
    assert!(events[1].0.contains("refresh_deletes: false"));
    assert!(events[2].0.contains("deleted: true"), "{}", events[2].0);
    assert!(events[2].0.contains("02020202-0202"), "{}", events[2].0);
    assert!(events[6].0.contains("refresh_deletes: true"));
}

/// Messages a scripted server sends, with their controls.
type Script = Vec<(ProtocolOp, Vec<Control>)>;

/// Runs a refreshAndPersist sync against a server that answers with `messages`
/// messages (for the search's ID), and returns the first error; the stream has ended after it.
async fn sync_error(messages: Script) -> Error {
    let messages = std::sync::Arc::new(messages);
    let srv = server::start(move |mut p: Peer| {
        let messages = messages.clone();
        async move {
            let Some(m) = search_request(&mut p, SyncRequest::OID).await else {
                return;
            };
            for (op, controls) in messages.iter() {
                p.send_with(m.id, op.clone(), controls.clone())
                    .await
                    .unwrap();
            }
            let _ = p.recv().await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let mut stream = conn
        .sync(SyncSearch::new(
            Search::new("dc=example"),
            SyncMode::RefreshAndPersist,
        ))
        .await
        .unwrap();
    let err = loop {
        match stream.next_event().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream ended without an error"),
            Err(e) => break e,
        }
    };
    assert!(
        stream.next_event().await.unwrap().is_none(),
        "ended after the error"
    );
    err
}

#[tokio::test]
async fn sync_protocol_violations_end_the_stream_with_an_error_saying_which() {
    let cases: Vec<(Script, &str)> = vec![
        (
            vec![(entry("cn=a"), vec![])],
            "protocol error: a sync search got an entry without a Sync State control",
        ),
        (
            vec![(
                ProtocolOp::SearchResultReference(vec!["ldap://x/".into()]),
                vec![],
            )],
            "protocol error: a sync search got a continuation reference without a Sync State control",
        ),
        (
            vec![(
                entry("cn=a"),
                vec![Control::new(
                    SyncState::OID,
                    Some(Bytes::from_static(&[0x30, 0x05, 0x0a, 0x01, 0x01, 0x04, 0x00])),
                )],
            )],
            "protocol error: a sync search got an entry with a malformed Sync State control (invalid value: syncUUID must have exactly 16 octets at byte 5)",
        ),
        (
            vec![(
                ProtocolOp::IntermediateResponse(tokio_ldap::proto::IntermediateResponse::new(
                    Some(SyncInfo::OID.into()),
                    Some(Bytes::from_static(&[0xa4, 0x00])),
                )),
                vec![],
            )],
            "protocol error: a sync search got an intermediate response that is not a valid Sync Info message (unknown syncInfoValue choice 0xa4 ([4] constructed) at byte 0)",
        ),
        (
            vec![(done(), vec![])],
            "protocol error: the server ended the sync search without a Sync Done control",
        ),
        (
            vec![(
                done(),
                vec![Control::new(SyncDone::OID, Some(Bytes::from_static(&[0x04])))],
            )],
            "protocol error: the server ended the sync search with a malformed Sync Done control (input truncated (1 more bytes needed) at byte 0)",
        ),
    ];
    for (messages, want) in cases {
        let err = sync_error(messages).await;
        assert!(
            matches!(err, Error::Protocol(ProtocolError::ChangeFeed(_))),
            "{err:?}"
        );
        assert_eq!(err.to_string(), want);
    }
}

#[tokio::test]
async fn sync_stream_refused_or_dropped_by_the_server_ends_with_an_error() {
    // e-syncRefreshRequired (4096): the cookie is too old.
    let refresh_required = ProtocolOp::SearchResultDone(LdapResult::new(ResultCode(4096)));
    let err = sync_error(vec![(refresh_required, vec![])]).await;
    assert_eq!(err.result_code(), Some(ResultCode(4096)));
    assert_eq!(err.to_string(), "search failed: resultCode 4096");

    let srv = server::start(|mut p: Peer| async move {
        let Some(m) = search_request(&mut p, SyncRequest::OID).await else {
            return;
        };
        let add = state(SyncStateKind::Add, U1, cookie("c1"));
        p.send_with(m.id, entry("cn=a"), add).await.unwrap();
        p.reset();
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let mut stream = conn
        .sync(SyncSearch::new(
            Search::new("dc=example"),
            SyncMode::RefreshAndPersist,
        ))
        .await
        .unwrap();
    assert!(matches!(
        stream.next_event().await.unwrap(),
        Some(SyncEvent::Added { uuid: U1, .. })
    ));
    assert_eq!(stream.cookie(), cookie("c1").as_ref());
    let err = stream.next_event().await.unwrap_err();
    assert!(
        matches!(&err, Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    // The words after "I/O error: " are the OS's.
    assert!(err.to_string().starts_with("I/O error: "), "{err}");
    assert!(stream.next_event().await.unwrap().is_none());
    // The cookie survives the error, to resume from.
    assert_eq!(stream.cookie(), cookie("c1").as_ref());
}

#[tokio::test]
async fn sync_stream_dropped_in_the_persist_stage_is_abandoned() {
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.lock().unwrap().take();
        async move {
            let Some(m) = search_request(&mut p, SyncRequest::OID).await else {
                return;
            };
            let done = info(SyncInfo::RefreshDelete {
                cookie: cookie("c1"),
                refresh_done: true,
            });
            p.send(m.id, done).await.unwrap();
            if let Some(tx) = tx {
                expect_abandon(&mut p, m.id, tx).await;
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), config()).await.unwrap();
    let mut stream = conn
        .sync(SyncSearch::new(
            Search::new("dc=example"),
            SyncMode::RefreshAndPersist,
        ))
        .await
        .unwrap();
    assert!(matches!(
        stream.next_event().await.unwrap(),
        Some(SyncEvent::RefreshDone {
            refresh_deletes: true
        })
    ));
    assert_eq!(stream.cookie(), cookie("c1").as_ref());
    drop(stream);
    let abandoned = tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("no AbandonRequest within 5 s of the drop")
        .unwrap();
    assert_eq!(abandoned, MessageId::new(1).unwrap());
}
