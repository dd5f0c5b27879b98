//! The driver and `LdapConn` against the testkit's `TestServer` (with its
//! fault injection and its record of requests), and, where a test must
//! script the server's bytes itself, against the scripted server: answers
//! out of order (`many_operations_in_flight_answered_out_of_order`), a
//! server that pushes entries without reading
//! (`slow_consumer_of_a_large_search_keeps_memory_bounded`), a search held
//! open mid-stream (`dropping_a_search_stream_sends_abandon`), and controls
//! on entries, references and intermediate responses
//! (`response_controls_of_entries_references_and_intermediates_reach_the_stream`,
//! `paged_search_items_keep_their_controls_across_pages`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_ldap::proto::controls::Control;
use tokio_ldap::proto::{
    Attribute, ExtendedResponse, IntermediateResponse, LdapResult, MessageId, ProtocolOp,
    ResultCode, SearchResultEntry,
};
use tokio_ldap::rustls::pki_types::CertificateDer;
use tokio_ldap::{ConnConfig, Error, LdapConn, OpOptions, Search, SearchItem};

use tokio_ldap::proto::extended::WHO_AM_I;
use tokio_ldap::proto::LdapMessage;
use tokio_ldap::testkit::{Operation, TestPki, TestServer};

use crate::support::server::{self, Peer};

/// A `TestServer` with the standard test PKI and directory.
async fn test_server() -> TestServer {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    let pki = PKI.get_or_init(|| TestPki::new().expect("the test PKI"));
    TestServer::builder(pki)
        .start()
        .await
        .expect("start the test server")
}

/// The operations the first client sent, once there are `n` (within 5 s).
async fn requests_when(srv: &TestServer, n: usize) -> Vec<ProtocolOp> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let sent: Vec<ProtocolOp> = srv.connections()[0]
                .requests
                .iter()
                .map(|m| m.op.clone())
                .collect();
            if sent.len() >= n {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server did not see {n} requests"))
}

fn plain() -> ConnConfig {
    ConnConfig::new().connect_timeout(Some(Duration::from_secs(5)))
}

fn ok() -> LdapResult {
    LdapResult::new(ResultCode::SUCCESS)
}

#[tokio::test]
async fn whoami_and_plaintext_password_refusal() {
    let srv = test_server().await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), None);
    let err = conn
        .bind_simple("cn=admin,dc=example,dc=com", "secret")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InsecurePassword));
    assert!(err
        .to_string()
        .starts_with("refusing to send a password over an unencrypted connection"));
    // SASL PLAIN carries the password too.
    let err = conn
        .bind_sasl("PLAIN", Some(b"\0alice\0alicepw"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InsecurePassword), "{err}");
    assert!(conn.tls_info().is_none());
    // Nothing but the WhoAmI reached the server.
    let sent = &srv.connections()[0].requests;
    assert_eq!(sent.len(), 1);
    assert!(matches!(&sent[0].op, ProtocolOp::ExtendedRequest(e) if e.name == WHO_AM_I));
}

#[tokio::test]
async fn many_operations_in_flight_answered_out_of_order() {
    const N: usize = 2_000;
    let srv = server::start(|mut p: Peer| async move {
        let mut ids = Vec::new();
        while ids.len() < N {
            let Some(m) = p.recv_op().await else { return };
            ids.push(m.id);
        }
        let mut out = Vec::new();
        for id in ids.iter().rev() {
            let v = format!("dn:cn={id}");
            let mut response = ExtendedResponse::new(LdapResult::new(ResultCode::SUCCESS));
            response.value = Some(Bytes::from(v));
            let op = ProtocolOp::ExtendedResponse(response);
            Peer::encode_into(&mut out, *id, op);
        }
        let _ = p.send_raw(&out).await;
        let _ = p.recv().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..N {
        let c = conn.clone();
        tasks.push(tokio::spawn(async move { c.whoami().await }));
    }
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        let who = t.await.unwrap().unwrap().unwrap();
        assert!(seen.insert(who));
    }
    assert_eq!(seen.len(), N);
}

fn big_entry(i: usize) -> ProtocolOp {
    ProtocolOp::SearchResultEntry(SearchResultEntry::new(
        format!("uid=user{i},ou=people,dc=example,dc=com"),
        vec![
            Attribute::new("cn", [format!("User {i}")]),
            Attribute::new("description", [vec![b'x'; 900]]),
        ],
    ))
}

#[tokio::test]
async fn slow_consumer_of_a_large_search_keeps_memory_bounded() {
    const ENTRIES: usize = 100_000;
    let written = Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    let srv = server::start(move |mut p: Peer| {
        let w = w.clone();
        async move {
            let Some(m) = p.recv_op().await else { return };
            let mut out = Vec::with_capacity(64 * 1024);
            for i in 0..ENTRIES {
                Peer::encode_into(&mut out, m.id, big_entry(i));
                if out.len() >= 32 * 1024 {
                    if p.send_raw(&out).await.is_err() {
                        return;
                    }
                    out.clear();
                }
                w.store(i + 1, Ordering::Relaxed);
            }
            Peer::encode_into(&mut out, m.id, ProtocolOp::SearchResultDone(ok()));
            let _ = p.send_raw(&out).await;
            let _ = p.recv().await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    let mut got = 0usize;
    let mut max_lead = 0usize;
    while let Some(item) = stream.next_item().await.unwrap() {
        let SearchItem::Entry(e) = item else {
            panic!("expected an entry")
        };
        assert_eq!(e.dn, format!("uid=user{got},ou=people,dc=example,dc=com"));
        got += 1;
        if got.is_multiple_of(2_000) {
            // A slow consumer.
            tokio::time::sleep(Duration::from_millis(5)).await;
            max_lead = max_lead.max(written.load(Ordering::Relaxed) - got);
        }
    }
    assert_eq!(got, ENTRIES);
    assert_eq!(stream.done().unwrap().result.code, ResultCode::SUCCESS);
    // ~1 KB entries: 100 MB in all. The server can only run ahead by what
    // the socket buffers, the driver's read buffer and the 64-entry channel
    // hold (a few MB), never by the whole result.
    assert!(
        max_lead < 20_000,
        "server ran {max_lead} entries ahead of the consumer"
    );
}

/// A search whose entries come in a burst (full reads: the driver raises
/// the socket's low-water mark) and whose tail (the last entries and the
/// SearchResultDone, far below the mark) comes after a pause, on a
/// connection the server then keeps open and silent: the tail must still
/// reach the stream (the driver lowers the mark after a wait and reads
/// what is there), over plain TCP and over TLS.
async fn streamed_search_tail_arrives(tls: bool) {
    const BURST: usize = 400; // ~370 KB: many full reads
    const TAIL: usize = 3;
    let script = |mut p: Peer| async move {
        let Some(m) = p.recv_op().await else { return };
        let mut out = Vec::new();
        for i in 0..BURST {
            Peer::encode_into(&mut out, m.id, big_entry(i));
        }
        if p.send_raw(&out).await.is_err() {
            return;
        }
        // Let the client drain the burst and wait again, mark raised.
        tokio::time::sleep(Duration::from_millis(50)).await;
        out.clear();
        for i in BURST..BURST + TAIL {
            Peer::encode_into(&mut out, m.id, big_entry(i));
        }
        Peer::encode_into(&mut out, m.id, ProtocolOp::SearchResultDone(ok()));
        if p.send_raw(&out).await.is_err() {
            return;
        }
        // Silent and open until the client hangs up.
        while p.recv().await.is_some() {}
    };
    let (srv, config) = if tls {
        let cfg = server::tls_config(&server::ClientAuth::Off, &[]);
        let ca = tokio_ldap::testkit::pki::Pki::ec().ca_a.cert_der.clone();
        let config = plain().root_certificate(CertificateDer::from(ca));
        (server::start_tls(cfg, script).await, config)
    } else {
        (server::start(script).await, plain())
    };
    let url = if tls { srv.ldaps_url() } else { srv.url() };
    let conn = LdapConn::connect(&url, config).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    let all = async {
        let mut got = 0usize;
        while let Some(item) = stream.next_item().await.unwrap() {
            assert!(matches!(item, SearchItem::Entry(_)));
            got += 1;
        }
        got
    };
    let got = tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .expect("the tail of the search never reached the stream");
    assert_eq!(got, BURST + TAIL);
    assert_eq!(stream.done().unwrap().result.code, ResultCode::SUCCESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_search_tail_below_the_low_water_mark_arrives_over_tcp() {
    streamed_search_tail_arrives(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_search_tail_below_the_low_water_mark_arrives_over_tls() {
    streamed_search_tail_arrives(true).await;
}

#[tokio::test]
async fn dropping_a_search_stream_sends_abandon() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            let Some(m) = p.recv_op().await else { return };
            let _ = tx.send(m.id);
            for i in 0..3 {
                let _ = p.send(m.id, big_entry(i)).await;
            }
            while let Some(m) = p.recv().await {
                match m.op {
                    ProtocolOp::AbandonRequest(target) => {
                        let _ = tx.send(m.id);
                        let _ = tx.send(target);
                    }
                    ProtocolOp::ExtendedRequest(_) => {
                        let v = Some(&b"dn:cn=after"[..]);
                        let _ = p.extended_response(m.id, ResultCode::SUCCESS, v).await;
                    }
                    _ => {}
                }
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    assert!(matches!(
        stream.next_item().await.unwrap(),
        Some(SearchItem::Entry(_))
    ));
    let search_id = rx.recv().await.unwrap();
    drop(stream);
    let _abandon_id = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let target = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target, search_id);
    // The entries already sent for the abandoned search are dropped, and
    // the connection goes on working.
    assert_eq!(conn.whoami().await.unwrap().as_deref(), Some("dn:cn=after"));
}

#[tokio::test]
async fn timeout_fires_and_abandons_on_the_server() {
    let srv = test_server().await;
    // No answer to WhoAmI: nothing at all instead of the response.
    srv.respond_with_bytes(Operation::Extended(WHO_AM_I.to_owned()), Vec::new());
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let start = Instant::now();
    let err = conn
        .with(OpOptions::new().timeout(Duration::from_millis(200)))
        .whoami()
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(err, Error::Timeout { phase: tokio_ldap::Phase::Operation, after: d } if d == Duration::from_millis(200)),
        "{err}"
    );
    assert_eq!(err.to_string(), "the operation timed out after 200ms");
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let sent = requests_when(&srv, 2).await;
    assert!(matches!(sent[0], ProtocolOp::ExtendedRequest(_)));
    assert_eq!(
        sent[1],
        ProtocolOp::AbandonRequest(MessageId::new(1).unwrap())
    );
}

#[tokio::test]
async fn no_timeout_lifts_the_connection_default_for_one_operation() {
    let srv = test_server().await;
    srv.delay_responses(Duration::from_millis(400));
    let config = plain().operation_timeout(Some(Duration::from_millis(150)));
    let conn = LdapConn::connect(&srv.ldap_url(), config).await.unwrap();
    // The default applies to an operation without options ...
    let err = conn.whoami().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { phase: tokio_ldap::Phase::Operation, after: d } if d == Duration::from_millis(150)),
        "{err}"
    );
    assert_eq!(err.to_string(), "the operation timed out after 150ms");
    // ... and not to one that lifts it, which waits for the late answer.
    let who = conn.with(OpOptions::new().no_timeout()).whoami().await;
    assert_eq!(
        who.unwrap(),
        None,
        "an anonymous WhoAmI answers no identity"
    );
    // An explicit timeout still wins over the default.
    let who = conn
        .with(OpOptions::new().timeout(Duration::from_secs(5)))
        .whoami()
        .await;
    assert_eq!(who.unwrap(), None);
}

#[tokio::test]
async fn dropping_an_operation_future_sends_abandon() {
    let srv = test_server().await;
    srv.respond_with_bytes(Operation::Delete, Vec::new());
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let fut = conn.delete("cn=x,dc=example,dc=com");
    assert!(tokio::time::timeout(Duration::from_millis(100), fut)
        .await
        .is_err());
    let sent = requests_when(&srv, 2).await;
    assert!(matches!(sent[0], ProtocolOp::DelRequest(_)));
    assert_eq!(
        sent[1],
        ProtocolOp::AbandonRequest(MessageId::new(1).unwrap())
    );
}

#[tokio::test]
async fn last_handle_dropped_sends_unbind_and_closes() {
    let srv = test_server().await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let other = conn.clone();
    drop(conn);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        srv.connections()[0].requests.is_empty(),
        "nothing happens while a clone lives"
    );
    drop(other);
    let sent = requests_when(&srv, 1).await;
    assert_eq!(sent, [ProtocolOp::UnbindRequest]);
    let closed = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Some(why) = srv.connections()[0].closed_because.clone() {
                return why;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(closed, "the client unbound");
}

#[tokio::test]
async fn notice_of_disconnection_fails_every_pending_operation() {
    let srv = test_server().await;
    let mut result = LdapResult::new(ResultCode::UNAVAILABLE);
    result.message = "going down for maintenance".into();
    let mut notice = ExtendedResponse::new(result);
    notice.name = Some("1.3.6.1.4.1.1466.20036".into());
    let notice =
        LdapMessage::new(MessageId::UNSOLICITED, ProtocolOp::ExtendedResponse(notice)).to_vec();
    // The first request is answered with the notice, the others not at all.
    srv.respond_with_bytes(Operation::Extended(WHO_AM_I.to_owned()), notice);
    srv.respond_with_bytes(Operation::Any, Vec::new());
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let (a, b, c) = tokio::join!(
        conn.compare("cn=x", "cn", "x"),
        conn.search_all(Search::new("dc=example,dc=com")),
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            conn.whoami().await
        },
    );
    for err in [a.unwrap_err(), b.unwrap_err(), c.unwrap_err()] {
        assert_eq!(err.result_code(), Some(ResultCode::UNAVAILABLE));
        assert_eq!(
            err.to_string(),
            "server disconnected: unavailable (52): going down for maintenance"
        );
    }
    let after = conn.whoami().await.unwrap_err();
    assert_eq!(
        after.to_string(),
        "server disconnected: unavailable (52): going down for maintenance"
    );
}

#[tokio::test]
async fn failover_tries_urls_in_order() {
    // A port with nothing listening: bind, take the port, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let srv = test_server().await;
    let urls = format!("ldap://{dead} {}", srv.ldap_url());
    let conn = LdapConn::connect(&urls, plain()).await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), None);
    assert_eq!(srv.connections().len(), 1);
    let err = LdapConn::connect(&format!("ldap://{dead}"), plain())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("cannot connect to 127.0.0.1:{}", dead.port())),
        "{err}"
    );
}

#[tokio::test]
async fn ldap_result_errors_carry_code_and_message() {
    // The directory's own answer, as the root DN over LDAPS: the code and
    // the matched DN.
    let srv = test_server().await;
    let config = plain().root_certificate(srv.ca_certificate().unwrap());
    let conn = LdapConn::connect(&srv.ldaps_url(), config).await.unwrap();
    conn.bind_simple("cn=admin,dc=example,dc=com", "secret")
        .await
        .unwrap();
    let err = conn
        .delete("cn=missing,ou=people,dc=example,dc=com")
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::NO_SUCH_OBJECT));
    assert_eq!(
        err.to_string(),
        "delete failed: noSuchObject (32) (matched DN: ou=people,dc=example,dc=com)"
    );
    // With a diagnostic message too (an injected answer).
    let mut r = LdapResult::new(ResultCode::NO_SUCH_OBJECT);
    r.matched_dn = "dc=example,dc=com".into();
    r.message = "entry does not exist".into();
    let answer = LdapMessage::new(MessageId::new(3).unwrap(), ProtocolOp::DelResponse(r)).to_vec();
    srv.respond_with_bytes(Operation::Delete, answer);
    let err = conn
        .delete("cn=missing,dc=example,dc=com")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "delete failed: noSuchObject (32): entry does not exist (matched DN: dc=example,dc=com)"
    );
}

/// Regression: over TLS, records that the TLS stream buffered while the
/// socket write was pending (a full socket buffer, or tokio's cooperative
/// budget running out after the driver took many commands in one pass) must
/// still be flushed on a later pass. With 64 or more operations in flight
/// from one task the connection used to stall forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_operations_in_flight_over_tls_all_reach_the_server() {
    use futures_util::StreamExt;

    const N: usize = 2_000;
    let srv = test_server().await;
    let config = plain().root_certificate(srv.ca_certificate().unwrap());
    let conn = LdapConn::connect(&srv.ldaps_url(), config).await.unwrap();
    let answered = futures_util::stream::iter(0..N)
        .map(|_| {
            let c = conn.clone();
            async move { c.whoami().await }
        })
        .buffer_unordered(256)
        .filter(|r| std::future::ready(matches!(r, Ok(None))))
        .count();
    let answered = tokio::time::timeout(Duration::from_secs(30), answered)
        .await
        .expect("operations in flight over TLS stalled");
    assert_eq!(answered, N);
    assert_eq!(srv.connections()[0].requests.len(), N);
}

#[tokio::test]
async fn response_controls_of_entries_references_and_intermediates_reach_the_stream() {
    // RFC 4533: each entry of a sync search carries a Sync State control.
    const SYNC_STATE: &str = "1.3.6.1.4.1.4203.1.9.1.2";
    let state = |n: u8| {
        Control::new(
            SYNC_STATE,
            Some(Bytes::from(vec![0x30, 0x03, 0x0a, 0x01, n])),
        )
    };
    let srv = server::start(move |mut p: Peer| async move {
        let Some(m) = p.recv_op().await else { return };
        let entry = |dn: &str| {
            ProtocolOp::SearchResultEntry(SearchResultEntry::new(
                dn,
                vec![Attribute::new("cn", ["x"])],
            ))
        };
        let _ = p.send_with(m.id, entry("cn=a"), vec![state(1)]).await;
        let _ = p.send(m.id, entry("cn=b")).await;
        let reference = ProtocolOp::SearchResultReference(vec!["ldap://other/".into()]);
        let _ = p.send_with(m.id, reference, vec![state(2), state(3)]).await;
        let intermediate = ProtocolOp::IntermediateResponse(IntermediateResponse::new(
            Some("1.3.6.1.4.1.4203.1.9.1.4".into()),
            None,
        ));
        let _ = p.send_with(m.id, intermediate, vec![state(4)]).await;
        let done = ProtocolOp::SearchResultDone(ok());
        let _ = p
            .send_with(m.id, done, vec![Control::new("1.2.3.4", None)])
            .await;
        while p.recv().await.is_some() {}
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    assert!(stream.controls().is_empty(), "no item yet");

    let mut seen = Vec::new();
    while let Some(item) = stream.next_item().await.unwrap() {
        let what = match item {
            SearchItem::Entry(e) => e.dn.to_string(),
            SearchItem::Reference(r) => r[0].to_string(),
            SearchItem::Intermediate(i) => i.name.as_deref().unwrap_or("").to_owned(),
            _ => "other".to_owned(),
        };
        let values: Vec<(String, Option<Bytes>)> = stream
            .controls()
            .iter()
            .map(|c| (c.oid.to_string(), c.value.clone()))
            .collect();
        seen.push((what, values));
    }
    let with = |n: u8| {
        (
            SYNC_STATE.to_owned(),
            Some(Bytes::from(vec![0x30, 0x03, 0x0a, 0x01, n])),
        )
    };
    assert_eq!(
        seen,
        vec![
            ("cn=a".to_owned(), vec![with(1)]),
            ("cn=b".to_owned(), vec![]),
            ("ldap://other/".to_owned(), vec![with(2), with(3)]),
            ("1.3.6.1.4.1.4203.1.9.1.4".to_owned(), vec![with(4)]),
        ]
    );
    // After the end, the item controls are gone and the final result's
    // controls are in `done`.
    assert!(stream.controls().is_empty());
    let done = stream.done().expect("the search is done");
    assert_eq!(done.controls.len(), 1);
    assert_eq!(done.controls[0].oid, "1.2.3.4");
}

#[tokio::test]
async fn paged_search_items_keep_their_controls_across_pages() {
    use tokio_ldap::proto::controls::PagedResults;
    let tag = |page: u8, n: u8| Control::new("1.2.3.4", Some(Bytes::from(vec![page, n])));
    let srv = server::start(move |mut p: Peer| async move {
        let mut page = 0u8;
        while let Some(m) = p.recv_op().await {
            let ProtocolOp::SearchRequest(_) = m.op else {
                return;
            };
            page += 1;
            for n in 0..2u8 {
                let dn = format!("cn={page}-{n}");
                let e = ProtocolOp::SearchResultEntry(SearchResultEntry::new(dn, vec![]));
                let _ = p.send_with(m.id, e, vec![tag(page, n)]).await;
            }
            let cookie = if page < 2 {
                Bytes::from_static(b"next")
            } else {
                Bytes::new()
            };
            let paged = PagedResults::new(0, cookie).to_control();
            let _ = p
                .send_with(m.id, ProtocolOp::SearchResultDone(ok()), vec![paged])
                .await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut pages = conn.search_pages(Search::new("dc=example,dc=com"), 2);
    assert!(pages.controls().is_empty(), "no item yet");
    let mut seen = Vec::new();
    while let Some(item) = pages.next_item().await.unwrap() {
        let SearchItem::Entry(e) = item else {
            panic!("only entries were sent, got {item:?}")
        };
        let values: Vec<Bytes> = pages
            .controls()
            .iter()
            .filter_map(|c| c.value.clone())
            .collect();
        seen.push((e.dn.to_string(), values));
    }
    let expected: Vec<(String, Vec<Bytes>)> = [(1u8, 0u8), (1, 1), (2, 0), (2, 1)]
        .into_iter()
        .map(|(page, n)| (format!("cn={page}-{n}"), vec![Bytes::from(vec![page, n])]))
        .collect();
    assert_eq!(seen, expected);
    assert!(pages.controls().is_empty(), "nothing after the end");
    assert!(pages.done().is_some());
}
