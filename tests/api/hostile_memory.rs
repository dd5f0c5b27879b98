//! Hostile servers against the client's memory and its error texts: what
//! a server sends may cost the client at most a bounded multiple of its
//! size, and errors that carry a server's words share them, bounded and
//! escaped, among every operation they end.
//!
//! The memory checks read this process's resident set size from `/proc`,
//! which only Linux has: elsewhere they are left out (the bounds on what
//! is kept, asserted through the errors themselves, hold everywhere).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join_all;
use tokio_ldap::proto::controls::PagedResults;
use tokio_ldap::proto::extended::NOTICE_OF_DISCONNECTION;
use tokio_ldap::proto::{
    ExtendedResponse, LdapMessage, LdapResult, MessageId, ProtocolOp, SearchResultEntry,
};
use tokio_ldap::rustls;
use tokio_ldap::rustls::pki_types::CertificateDer;
use tokio_ldap::rustls::version::{TLS12, TLS13};
use tokio_ldap::{
    CertRequest, ConnConfig, Error, LdapConn, OpOptions, ProtocolError, ResultCode, Search,
};

use crate::hostile::{name_der, plain, push_tlv, within, HEAVY};
use crate::support::pki::Pki;
use crate::support::server::{self, ClientAuth, Peer};

/// RSS growth, in bytes, since `base` (0 where there is no procfs).
#[cfg(target_os = "linux")]
fn rss_growth(base: u64) -> u64 {
    crate::load::rss_bytes().saturating_sub(base)
}

fn encode(id: i32, op: ProtocolOp) -> Vec<u8> {
    let mut out = Vec::new();
    LdapMessage::new(MessageId::new(id).expect("not negative"), op).encode(&mut out);
    out
}

fn tls_client() -> ConnConfig {
    plain().root_certificate(CertificateDer::from(Pki::ec().ca_a.cert_der.clone()))
}

// ---- point: errors that carry a server's words ----

/// One 8 MiB Notice of Disconnection with 100 operations in flight: every
/// operation fails with the notice, whose text is cut to 4 KiB with a
/// marker and is one allocation shared by all 100 errors (before, each
/// error held its own 8 MiB copy: 808 MiB).
#[tokio::test]
async fn notice_of_disconnection_of_8_mib_is_shared_and_bounded() {
    const OPS: usize = 100;
    const TEXT: usize = 8 << 20;
    let _heavy = HEAVY.lock().await;
    let srv = server::start(|mut p: Peer| async move {
        for _ in 0..OPS {
            if p.recv_op().await.is_none() {
                return;
            }
        }
        let mut result = LdapResult::new(ResultCode::UNAVAILABLE);
        result.message = "n".repeat(TEXT).into();
        let notice = ProtocolOp::ExtendedResponse({
            let mut notice = ExtendedResponse::new(result);
            notice.name = Some(NOTICE_OF_DISCONNECTION.into());
            notice
        });
        let _ = p.send_raw(&encode(0, notice)).await;
        while p.recv().await.is_some() {}
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    #[cfg(target_os = "linux")]
    let base = crate::load::rss_bytes();
    let errors: Vec<Error> = within("100 whoamis", join_all((0..OPS).map(|_| conn.whoami())))
        .await
        .into_iter()
        .map(|r| r.unwrap_err())
        .collect();
    let kept = "n".repeat(4096);
    let text = format!(
        "server disconnected: unavailable (52): {kept}… [{} more bytes not shown]",
        TEXT - 4096
    );
    let mut first: Option<*const u8> = None;
    for err in &errors {
        let Error::Disconnected { code, message, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(*code, ResultCode::UNAVAILABLE);
        assert!(message.len() < 4200, "kept {} bytes", message.len());
        assert_eq!(err.to_string(), text);
        let at = message.as_ptr();
        assert_eq!(*first.get_or_insert(at), at, "not one shared text");
    }
    #[cfg(target_os = "linux")]
    {
        let grown = rss_growth(base);
        eprintln!(
            "RSS growth with 100 errors of an 8 MiB notice: {} KiB",
            grown >> 10
        );
        // The 8 MiB frame and read buffer, nothing per error.
        assert!(grown < 48 << 20, "RSS grew by {} MiB", grown >> 20);
    }
}

/// A server that names 1,000 CAs, lets the TLS 1.3 handshake finish and
/// hangs up: the 1,000 operations in flight fail with one shared
/// explanation that lists the first 16 CAs and says how many more there
/// were (before: the whole list, copied into each error).
#[tokio::test]
async fn certificate_rejection_naming_1000_cas_is_shared_and_bounded() {
    const CAS: usize = 1000;
    const OPS: usize = 1000;
    let hints: Vec<Vec<u8>> = (0..CAS)
        .map(|i| name_der("Example Test", &format!("Hostile CA {i:04}")))
        .collect();
    let cfg = server::tls_config(&ClientAuth::hinting(hints), &[&TLS13]);
    let srv = server::start_tls(cfg, |p: Peer| async move {
        // Let the client's first requests arrive, then hang up without a
        // word (no alert, no close_notify), as slapd does.
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(p);
    })
    .await;
    let conn = within("connect", LdapConn::connect(&srv.ldaps_url(), tls_client()))
        .await
        .unwrap();
    let errors: Vec<Error> = within("1000 whoamis", join_all((0..OPS).map(|_| conn.whoami())))
        .await
        .into_iter()
        .map(|r| r.unwrap_err())
        .collect();
    let shown: Vec<String> = (0..16)
        .map(|i| format!("CN=Hostile CA {i:04},O=Example Test"))
        .collect();
    let text = format!(
        "the server closed the connection after asking for a client certificate: it trusts: {}; and {} more; none was sent (no client certificate configured)",
        shown.join("; "),
        CAS - 16
    );
    let mut first: Option<*const u8> = None;
    for err in &errors {
        let Error::ClientCertRejected(message) = err else {
            panic!("{err:?}")
        };
        assert_eq!(err.to_string(), text);
        assert!(message.len() <= 4096, "{} bytes", message.len());
        let at = message.as_ptr();
        assert_eq!(*first.get_or_insert(at), at, "not one shared text");
    }
}

// ---- point: what a close right after the handshake means ----

/// A server that asked for a client certificate, completes the handshake
/// and ends TLS in good order (close_notify, then FIN) before answering:
/// the operation fails as a closed connection, not as a certificate
/// rejection, under TLS 1.2 and 1.3.
#[tokio::test]
async fn orderly_close_notify_right_after_the_handshake_is_not_a_certificate_rejection() {
    for version in [&TLS12, &TLS13] {
        let cfg = server::tls_config(&ClientAuth::optional(), &[version]);
        let srv = server::start_tls(cfg, |p: Peer| async move { p.close().await }).await;
        let conn = within("connect", LdapConn::connect(&srv.ldaps_url(), tls_client()))
            .await
            .unwrap();
        assert!(conn.tls_info().unwrap().trusted_cas().is_some());
        let err = within("whoami", conn.whoami()).await.unwrap_err();
        assert!(matches!(err, Error::Closed(_)), "{version:?}: {err:?}");
        assert_eq!(
            err.to_string(),
            "connection closed: the server ended the TLS session (close_notify) right after the handshake, before answering: an orderly close, not a rejection of the client certificate (the server had asked for one; none was sent (no client certificate configured))",
            "{version:?}"
        );
    }
}

// ---- point: a CA list larger than TLS allows ----

/// A DER `Name` of just `CN=cn` (13 bytes plus the name, below 128).
fn cn_der(cn: &str) -> Vec<u8> {
    let mut atv = Vec::new();
    push_tlv(&mut atv, 0x06, &[0x55, 0x04, 0x03]);
    push_tlv(&mut atv, 0x0c, cn.as_bytes());
    let mut seq = Vec::new();
    push_tlv(&mut seq, 0x30, &atv);
    let mut set = Vec::new();
    push_tlv(&mut set, 0x31, &seq);
    let mut name = Vec::new();
    push_tlv(&mut name, 0x30, &set);
    name
}

/// CA names whose list (each name with its 2-byte length) is exactly
/// `list` bytes long.
fn ca_list_of(list: usize) -> Vec<Vec<u8>> {
    let mut hints = Vec::new();
    let mut total = 0;
    while list - total >= 2 * (2 + 13 + 19) {
        let name = cn_der(&format!("Hostile Issuer {:04}", hints.len()));
        total += 2 + name.len();
        hints.push(name);
    }
    let filler = cn_der(&"f".repeat(list - total - 2 - 13));
    total += 2 + filler.len();
    hints.push(filler);
    assert_eq!(total, list);
    hints
}

/// What the client says of a handshake message over 64 KiB.
const CA_LIST_TOO_LARGE: &str = "TLS error: TLS handshake with 127.0.0.1 failed: the server sent a handshake message larger than the 64 KiB TLS allows the client to accept: almost always its request for a client certificate, whose list of trusted CA names is larger than TLS allows (the client could not read the request, so no certificate could be chosen). The server's administrator can stop sending the list or shorten it: on Windows (Active Directory, AD LDS) set SendTrustedIssuerList=0 (REG_DWORD) under HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL, or remove the CAs that do not issue client certificates from the server's trusted root store; on OpenLDAP, make TLSCACertificateFile (olcTLSCACertificateFile) hold only the CAs that issue client certificates. (A server certificate chain over 64 KiB fails the same way.)";

/// Connects to a server whose CertificateRequest names `hints`: the
/// error, and whether the client's callback was called.
async fn connect_naming(
    hints: Vec<Vec<u8>>,
    version: &'static tokio_ldap::rustls::SupportedProtocolVersion,
) -> (Error, bool) {
    let cfg = server::tls_config(&ClientAuth::hinting(hints), &[version]);
    let srv = server::start_tls(cfg, |p: Peer| async move { drop(p) }).await;
    let called = Arc::new(AtomicBool::new(false));
    let c = called.clone();
    let config = tls_client().client_cert_query(move |_: &CertRequest<'_>| {
        c.store(true, Ordering::Relaxed);
        None
    });
    let err = within("connect", LdapConn::connect(&srv.ldaps_url(), config))
        .await
        .unwrap_err();
    (err, called.load(Ordering::Relaxed))
}

fn is_payload_too_large(err: &Error) -> bool {
    matches!(
        err,
        Error::Tls {
            source: Some(rustls::Error::InvalidMessage(
                rustls::InvalidMessage::HandshakePayloadTooLarge
            )),
            ..
        }
    )
}

/// A TLS 1.2 CertificateRequest naming about 1,900 CAs (a list of 65,533
/// bytes, near the most its 16-bit length allows) is over the 64 KiB that
/// TLS lets a client accept for one handshake message: connect fails with
/// an error that says so and what the server's administrator can do, and
/// the callback is never called.
#[tokio::test]
async fn certificate_request_naming_1900_cas_explains_the_ca_list_limit() {
    let hints = ca_list_of(0xfffd);
    assert!(hints.len() > 1900, "{}", hints.len());
    let (err, called) = connect_naming(hints, &TLS12).await;
    assert!(is_payload_too_large(&err), "{err:?}");
    assert_eq!(err.to_string(), CA_LIST_TOO_LARGE);
    assert!(!called, "the callback is never called");
}

/// The same under TLS 1.3, where the request arrives encrypted and joined
/// with the rest of the server's flight, and rustls reports only that its
/// 64 KiB handshake buffer is full: the same explanation (no rustls error
/// to carry as the source).
#[tokio::test]
async fn tls13_certificate_request_over_64_kib_explains_the_ca_list_limit() {
    let (err, called) = connect_naming(ca_list_of(0xffff - 60), &TLS13).await;
    assert!(matches!(err, Error::Tls { source: None, .. }), "{err:?}");
    assert_eq!(err.to_string(), CA_LIST_TOO_LARGE);
    assert!(!called, "the callback is never called");
}

// ---- point: paged searches that never end ----

/// A server that answers every page of a paged search with `cookies[i]`
/// (cycling) and `entries` entries per page; an empty cookie ends the
/// search. Each page is sent after `delay`. Counts the pages served.
async fn paging_server(
    cookies: &'static [&'static [u8]],
    entries: usize,
    delay: Duration,
    pages: Arc<AtomicUsize>,
) -> server::Server {
    server::start(move |mut p: Peer| {
        let pages = pages.clone();
        async move {
            while let Some(m) = p.recv_op().await {
                let n = pages.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(delay).await;
                let mut out = Vec::new();
                for i in 0..entries {
                    out.extend(encode(
                        m.id.get(),
                        ProtocolOp::SearchResultEntry(SearchResultEntry::new(
                            format!("cn=p{n}e{i},dc=example,dc=com"),
                            vec![],
                        )),
                    ));
                }
                let paged = PagedResults::new(0, Bytes::from_static(cookies[n % cookies.len()]));
                let mut done = Vec::new();
                let mut msg = LdapMessage::new(
                    m.id,
                    ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS)),
                );
                msg.controls = vec![paged.to_control()];
                msg.encode(&mut done);
                out.extend(done);
                if p.send_raw(&out).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

/// Empty pages whose cookie repeats (the same one, or a cycle of two):
/// the paged search ends with a protocol error at the first repeat
/// instead of asking for pages forever.
#[tokio::test]
async fn paged_search_with_a_repeating_cookie_ends_with_a_protocol_error() {
    let cases: [(&'static [&'static [u8]], usize); 2] =
        [(&[b"again"], 2), (&[b"ping", b"pong"], 3)];
    for (cookies, repeat_at) in cases {
        let pages = Arc::new(AtomicUsize::new(0));
        let srv = paging_server(cookies, 0, Duration::ZERO, pages.clone()).await;
        let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
        let err = within(
            "search_paged",
            conn.search_paged(Search::new("dc=example,dc=com"), 10),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Protocol(ProtocolError::PagedCookieRepeated { page }) if page == repeat_at
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("protocol error: page {repeat_at} of a paged search brought no entries and a paged-results cookie the server had already sent: the search would never end")
        );
        assert_eq!(pages.load(Ordering::Relaxed), repeat_at);
        // The connection is fine.
        assert!(!within("compare", conn.compare("cn=x", "cn", "x"))
            .await
            .is_ok_and(|b| b));
    }
}

/// A server (such as 389-DS) whose cookie stays the same from page to page
/// while the pages bring entries: that is progress, not a loop.
#[tokio::test]
async fn paged_search_with_a_constant_cookie_and_entries_runs_to_the_end() {
    let pages = Arc::new(AtomicUsize::new(0));
    let srv = paging_server(&[b"0", b"0", b"0", b""], 2, Duration::ZERO, pages.clone()).await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let all = within(
        "search_paged",
        conn.search_paged(Search::new("dc=example,dc=com"), 2),
    )
    .await
    .unwrap();
    assert_eq!(all.entries.len(), 8);
    assert_eq!(pages.load(Ordering::Relaxed), 4);
}

/// The timeout of a paged search bounds the whole search, not each page:
/// pages that each come well within it, without end, still end the search
/// with `Timeout` once it has passed in all.
#[tokio::test]
async fn paged_search_is_bounded_by_its_timeout_as_a_whole() {
    static COOKIES: [&[u8]; 4] = [b"1", b"2", b"3", b"4"];
    let pages = Arc::new(AtomicUsize::new(0));
    // A new cookie (cycling, but every page has an entry) every 40 ms.
    let srv = paging_server(&COOKIES, 1, Duration::from_millis(40), pages.clone()).await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let t = Duration::from_millis(400);
    let start = std::time::Instant::now();
    let err = within(
        "search_paged",
        conn.with(OpOptions::new().timeout(t))
            .search_paged(Search::new("dc=example,dc=com"), 1),
    )
    .await
    .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(err, Error::Timeout { phase: tokio_ldap::Phase::Operation, after } if after == t),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the operation timed out after 400ms");
    assert!(took >= t, "{took:?}");
    assert!(took < t + Duration::from_secs(2), "{took:?}");
    assert!(pages.load(Ordering::Relaxed) >= 3, "{pages:?}");
    // Item by item, the same bound.
    let mut paged = conn
        .with(OpOptions::new().timeout(t))
        .search_pages(Search::new("dc=example,dc=com"), 1);
    let err = within("search_pages", async {
        loop {
            if let Err(e) = paged.next_item().await {
                break e;
            }
        }
    })
    .await;
    assert!(
        matches!(err, Error::Timeout { phase: tokio_ldap::Phase::Operation, after } if after == t),
        "{err:?}"
    );
}

// ---- point: what decoding a message may allocate ----

/// A message of `op_tag` whose contents are `content`, with ID `id`.
fn raw_message(id: u8, op_tag: u8, content: &[u8], controls: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0x02, &[id]);
    push_tlv(&mut body, op_tag, content);
    if let Some(c) = controls {
        push_tlv(&mut body, 0xa0, c);
    }
    let mut out = Vec::new();
    push_tlv(&mut out, 0x30, &body);
    out
}

/// A search answered with one message of almost 16 MiB (the default
/// limit) made of tiny elements: a SearchResultReference of 8 million
/// empty URIs, or a SearchResultDone with 4 million empty controls. Each
/// decoded to 17 times its size; now the decode stops at its budget (twice
/// the message plus 8 KiB) and the search fails with a decode error naming
/// the list, without the process growing by more than the message.
#[tokio::test]
async fn messages_of_16_mib_of_tiny_elements_are_refused_at_the_decode_budget() {
    let _heavy = HEAVY.lock().await;
    let reference = raw_message(1, 0x73, &[0x04, 0x00].repeat((8 << 20) - 8), None);
    let mut done = Vec::new();
    push_tlv(&mut done, 0x0a, &[0]);
    push_tlv(&mut done, 0x04, b"");
    push_tlv(&mut done, 0x04, b"");
    let controls = raw_message(
        1,
        0x65,
        &done,
        Some(&[0x30, 0x02, 0x04, 0x00].repeat((4 << 20) - 8)),
    );
    for (bytes, field) in [(reference, "SearchResultReference"), (controls, "Controls")] {
        assert!(bytes.len() <= 16 << 20);
        let len = bytes.len();
        let bytes = Arc::new(bytes);
        let srv = server::start(move |mut p: Peer| {
            let bytes = bytes.clone();
            async move {
                if p.recv_op().await.is_none() {
                    return;
                }
                let _ = p.send_raw(&bytes).await;
                while p.recv().await.is_some() {}
            }
        })
        .await;
        let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
        #[cfg(target_os = "linux")]
        let base = crate::load::rss_bytes();
        let err = within("search", conn.search_all(Search::new("dc=example,dc=com")))
            .await
            .unwrap_err();
        let budget = 2 * len + 8192;
        let Error::Protocol(ProtocolError::Decode(decode)) = &err else {
            panic!("{field}: {err:?}")
        };
        assert_eq!(
            decode.kind,
            tokio_ldap::ber::DecodeErrorKind::OverBudget { field, budget },
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("protocol error: malformed message from server: {field} has more elements than the message's length allows: decoding them would allocate over {budget} bytes, 2 per byte of the message plus 8 KiB at byte {}", decode.offset)
        );
        #[cfg(target_os = "linux")]
        {
            let grown = rss_growth(base);
            eprintln!("{field}: RSS growth {} MiB", grown >> 20);
            // The read buffer and the frame (16 MiB each at most), and at
            // most the budget (32 MiB) before the decode gave up; not 272.
            assert!(grown < 96 << 20, "{field}: RSS grew by {} MiB", grown >> 20);
        }
    }
}

/// A consumer that stalls after the first of ten entries of 12 MiB: the
/// driver holds at most the 1 MiB a search's channel may hold or, as
/// here, one message in the channel and one in the backlog, then stops
/// reading; the server cannot write more than that plus what the sockets
/// buffer. (Counted in messages, the channel took four, and the backlog a
/// fifth: 60 MiB more, and six times an amplified message.) Then the
/// search completes in full.
#[tokio::test]
async fn a_stalled_consumer_of_12_mib_entries_holds_them_by_bytes_not_by_count() {
    const ENTRIES: usize = 10;
    let _heavy = HEAVY.lock().await;
    let written = Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    let srv = server::start(move |mut p: Peer| {
        let w = w.clone();
        async move {
            let Some(m) = p.recv_op().await else { return };
            let value = Bytes::from(vec![0x5a; 12 << 20]);
            let entry = ProtocolOp::SearchResultEntry(SearchResultEntry::new(
                "cn=big,dc=example,dc=com",
                vec![tokio_ldap::Attribute::new("jpegPhoto", [value])],
            ));
            let mut bytes = Vec::new();
            LdapMessage::new(m.id, entry).encode(&mut bytes);
            for i in 0..ENTRIES {
                if p.send_raw(&bytes).await.is_err() {
                    return;
                }
                w.store(i + 1, Ordering::Relaxed);
            }
            let done = ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS));
            let _ = p.send(m.id, done).await;
            while p.recv().await.is_some() {}
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    #[cfg(target_os = "linux")]
    let base = crate::load::rss_bytes();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    let first = within("first entry", stream.next_item()).await.unwrap();
    assert!(matches!(first, Some(tokio_ldap::SearchItem::Entry(_))));
    // Stall until the server cannot write any more (its count stays the
    // same for 300 ms), or 4 s.
    let mut ahead = written.load(Ordering::Relaxed);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = written.load(Ordering::Relaxed);
        if now == ahead {
            break;
        }
        ahead = now;
    }
    #[cfg(target_os = "linux")]
    eprintln!(
        "stalled after 1 entry: the server wrote {ahead} entries of 12 MiB; RSS growth {} MiB",
        rss_growth(base) >> 20
    );
    // The one taken, one in the channel, one in the backlog, and what
    // the sockets' buffers hold (less than one entry).
    assert!(
        ahead <= 4,
        "the server wrote {ahead} entries ahead of the consumer"
    );
    let mut n = 1;
    while let Some(item) = within("entry", stream.next_item()).await.unwrap() {
        assert!(matches!(item, tokio_ldap::SearchItem::Entry(_)));
        n += 1;
    }
    assert_eq!(n, ENTRIES);
}

// ---- point: what a server's words may do to a log ----

/// Unicode line breaks, bidirectional controls and C0/C1 controls from a
/// server are shown as RFC 4514 `\XX` escapes in every error text: an
/// LDAP result's message, a Notice of Disconnection, and a CA name in a
/// certificate rejection (and in `TrustedCa`'s `Display`).
#[tokio::test]
async fn line_breaks_and_bidi_controls_from_a_server_are_escaped_in_error_texts() {
    const HOSTILE: &str = "ok\u{2028}2026-01-01 INFO forged\u{85}line\u{202e}desrever\r\n";
    const SHOWN: &str = r"ok\E2\80\A82026-01-01 INFO forged\C2\85line\E2\80\AEdesrever\0D\0A";
    let srv = server::start(|mut p: Peer| async move {
        let Some(m) = p.recv_op().await else { return };
        let mut result = LdapResult::new(ResultCode::NO_SUCH_OBJECT);
        result.message = HOSTILE.into();
        let _ = p.send(m.id, ProtocolOp::DelResponse(result)).await;
        let Some(_) = p.recv_op().await else { return };
        let mut result = LdapResult::new(ResultCode::UNAVAILABLE);
        result.message = HOSTILE.into();
        let notice = ProtocolOp::ExtendedResponse({
            let mut notice = ExtendedResponse::new(result);
            notice.name = Some(NOTICE_OF_DISCONNECTION.into());
            notice
        });
        let _ = p.send_raw(&encode(0, notice)).await;
        while p.recv().await.is_some() {}
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let err = within("delete", conn.delete("cn=x,dc=example,dc=com"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Ldap(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("delete failed: noSuchObject (32): {SHOWN}")
    );
    let err = within("whoami", conn.whoami()).await.unwrap_err();
    assert!(matches!(err, Error::Disconnected { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("server disconnected: unavailable (52): {SHOWN}")
    );

    // A CA name with a line separator and a right-to-left override.
    let cfg = server::tls_config(
        &ClientAuth::hinting(vec![cn_der("Evil\u{2028}CA\u{202e}lanruoj")]),
        &[&TLS13],
    );
    let srv = server::start_tls(cfg, |p: Peer| async move { drop(p) }).await;
    let conn = within("connect", LdapConn::connect(&srv.ldaps_url(), tls_client()))
        .await
        .unwrap();
    let shown = r"CN=Evil\E2\80\A8CA\E2\80\AElanruoj";
    let cas = conn.tls_info().unwrap().trusted_cas().unwrap().to_vec();
    assert_eq!(cas[0].to_string(), shown);
    let err = within("whoami", conn.whoami()).await.unwrap_err();
    assert!(matches!(err, Error::ClientCertRejected(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("the server closed the connection after asking for a client certificate: it trusts: {shown}; none was sent (no client certificate configured)")
    );
}
