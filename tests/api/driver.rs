//! The driver and `LdapConn` against the scripted in-process server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_ldap::proto::{
    Attribute, Control, IntermediateResponse, LdapResult, MessageId, ProtocolOp, ResultCode,
    SearchResultEntry,
};
use tokio_ldap::{ConnConfig, Error, LdapConn, OpOptions, Search, SearchItem};

use crate::support::server::{self, Peer};

fn plain() -> ConnConfig {
    ConnConfig::new().connect_timeout(Some(Duration::from_secs(5)))
}

fn ok() -> LdapResult {
    LdapResult::new(ResultCode::SUCCESS)
}

/// Answers every WhoAmI with `dn:cn=n` where n is its message ID, and every
/// search with `n` entries.
async fn echo(mut p: Peer) {
    while let Some(m) = p.recv_op().await {
        match m.op {
            ProtocolOp::ExtendedRequest(_) => {
                let v = format!("dn:cn={}", m.id);
                let _ = p
                    .extended_response(m.id, ResultCode::SUCCESS, Some(v.as_bytes()))
                    .await;
            }
            ProtocolOp::UnbindRequest => return,
            _ => return,
        }
    }
}

#[tokio::test]
async fn whoami_and_plaintext_password_refusal() {
    let srv = server::start(echo).await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), Some("dn:cn=1".to_owned()));
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
            let op = ProtocolOp::ExtendedResponse(tokio_ldap::proto::ExtendedResponse {
                result: LdapResult::new(ResultCode::SUCCESS),
                name: None,
                value: Some(Bytes::from(v)),
            });
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
            Attribute {
                name: "cn".into(),
                values: vec![Bytes::from(format!("User {i}"))],
            },
            Attribute {
                name: "description".into(),
                values: vec![Bytes::from(vec![b'x'; 900])],
            },
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
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            while let Some(m) = p.recv().await {
                let _ = tx.send(m.op);
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
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
    let first = rx.recv().await.unwrap();
    assert!(matches!(first, ProtocolOp::ExtendedRequest(_)));
    let second = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second, ProtocolOp::AbandonRequest(MessageId(1)));
}

#[tokio::test]
async fn dropping_an_operation_future_sends_abandon() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            while let Some(m) = p.recv().await {
                let _ = tx.send(m.op);
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let fut = conn.delete("cn=x,dc=example,dc=com");
    assert!(tokio::time::timeout(Duration::from_millis(100), fut)
        .await
        .is_err());
    assert!(matches!(
        rx.recv().await.unwrap(),
        ProtocolOp::DelRequest(_)
    ));
    let next = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next, ProtocolOp::AbandonRequest(MessageId(1)));
}

#[tokio::test]
async fn last_handle_dropped_sends_unbind_and_closes() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            while let Some(m) = p.recv().await {
                let _ = tx.send(Some(m.op));
            }
            let _ = tx.send(None);
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let other = conn.clone();
    drop(conn);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        rx.try_recv().is_err(),
        "nothing happens while a clone lives"
    );
    drop(other);
    let unbind = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unbind, Some(ProtocolOp::UnbindRequest));
    let eof = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(eof, None);
}

#[tokio::test]
async fn notice_of_disconnection_fails_every_pending_operation() {
    let srv = server::start(|mut p: Peer| async move {
        for _ in 0..3 {
            if p.recv_op().await.is_none() {
                return;
            }
        }
        let mut result = LdapResult::new(ResultCode::UNAVAILABLE);
        result.message = "going down for maintenance".into();
        let notice = tokio_ldap::proto::ExtendedResponse {
            result,
            name: Some("1.3.6.1.4.1.1466.20036".into()),
            value: None,
        };
        let _ = p
            .send(MessageId(0), ProtocolOp::ExtendedResponse(notice))
            .await;
        p.close().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let (a, b, c) = tokio::join!(
        conn.whoami(),
        conn.compare("cn=x", "cn", "x"),
        conn.search_all(Search::new("dc=example,dc=com"))
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
    let srv = server::start(echo).await;
    let urls = format!("ldap://{dead} {}", srv.url());
    let conn = LdapConn::connect(&urls, plain()).await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), Some("dn:cn=1".to_owned()));
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
    let srv = server::start(|mut p: Peer| async move {
        while let Some(m) = p.recv_op().await {
            let mut r = LdapResult::new(ResultCode::NO_SUCH_OBJECT);
            r.matched_dn = "dc=example,dc=com".into();
            r.message = "entry does not exist".into();
            let _ = p.send(m.id, ProtocolOp::DelResponse(r)).await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let err = conn
        .delete("cn=missing,dc=example,dc=com")
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::NO_SUCH_OBJECT));
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
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    const N: usize = 2_000;
    let pki = crate::support::pki::Pki::get(crate::support::pki::KeyType::Ec);
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes()).unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(pki.server.cert_der.clone())], key)
    .unwrap();
    let srv = server::start_tls(Arc::new(server_config), echo).await;
    let config = plain().root_certificate(CertificateDer::from(pki.ca_a.cert_der.clone()));
    let conn = LdapConn::connect(&srv.ldaps_url(), config).await.unwrap();
    let answered = futures_util::stream::iter(0..N)
        .map(|_| {
            let c = conn.clone();
            async move { c.whoami().await }
        })
        .buffer_unordered(256)
        .filter(|r| std::future::ready(matches!(r, Ok(Some(_)))))
        .count();
    let answered = tokio::time::timeout(Duration::from_secs(30), answered)
        .await
        .expect("operations in flight over TLS stalled");
    assert_eq!(answered, N);
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
        let intermediate = ProtocolOp::IntermediateResponse(IntermediateResponse {
            name: Some("1.3.6.1.4.1.4203.1.9.1.4".into()),
            value: None,
        });
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
            let paged = PagedResults { size: 0, cookie }.to_control();
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
