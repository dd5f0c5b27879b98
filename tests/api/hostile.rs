//! Hostile servers and faults: the server sends what a correct server never
//! would, and every call must end promptly with the exact error, taking
//! every other operation in flight down with it.
//!
//! Most scenarios run against the testkit's `TestServer` and its fault
//! injection (bytes instead of a response, bytes at a given message,
//! silence) or its TLS settings (the CA names, rejection by alert or by
//! closing). The scripted raw-bytes server stays where the faults cannot
//! say what the server does:
//!
//! - closing right after a partial message (`truncated_pdu_then_close`);
//! - bytes built for the client's limits, sent in pieces or in bulk while
//!   it writes (`depth_bomb_of_100_000_nested_sequences`,
//!   `message_over_the_configured_size_limit`,
//!   `largest_accepted_message_arriving_in_1kb_pieces`,
//!   `server_floods_while_the_client_writes_a_4mb_request`);
//! - answers that depend on the request's message ID or kind, in an order
//!   decided at run time (`referral_is_returned_as_data`,
//!   `sasl_bind_in_progress_forever`, `notice_of_disconnection_with_a_search_half_read_and_the_socket_left_open`);
//! - timing within a message: a byte every 10 or 100 ms
//!   (`server_dripping_a_byte_every_100ms_hits_the_timeout`,
//!   `server_dripping_a_byte_every_10ms_still_delivers`);
//! - TCP resets and TLS close_notify mid-operation
//!   (`tcp_reset_in_the_middle_of_a_search`,
//!   `tls_close_notify_in_the_middle_of_an_operation`);
//! - a StartTLS response with plaintext after it, or a hang-up right after
//!   it (`starttls_response_followed_by_injected_plaintext`,
//!   `starttls_accepted_then_the_server_hangs_up`);
//! - searches that stream entries to a stalled consumer and watch the
//!   client's memory (`stalled_search_consumer_does_not_stop_other_timeouts`,
//!   `unbind_while_a_search_consumer_is_stalled`,
//!   `slow_consumer_of_a_million_small_entries_keeps_memory_bounded`).
//!
//! Most scenarios start three operations at once ([`three_ops`]: a WhoAmI
//! with message ID 1, a delete with ID 2, a search with ID 3), let the
//! server misbehave, and check that all three fail with the same error,
//! that a later call fails the same way at once, and that nothing waits
//! longer than [`LIMIT`].

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_ldap::ber::Reader;
use tokio_ldap::proto::controls::{Control, PagedResults};
use tokio_ldap::proto::extended::{NOTICE_OF_DISCONNECTION, START_TLS};
use tokio_ldap::proto::{
    BindAuth, BindResponse, ExtendedResponse, LdapMessage, LdapResult, MessageId, ProtocolOp,
    SearchResultEntry,
};
use tokio_ldap::rustls::pki_types::CertificateDer;
use tokio_ldap::{
    Attribute, CertRequest, ConnConfig, Error, LdapConn, OpOptions, ProtocolError, ResultCode,
    Search, SearchItem, SearchResults, TrustedCa,
};

use tokio_ldap::testkit::{
    CaNames, ClientAuth, Operation, Rejection, TestPki, TestServer, TlsVersions,
};

use crate::support::pki::Pki;
use crate::support::server::{self, ClientAuth as ScriptedAuth, Peer};

/// No call in this module may take longer than this.
const LIMIT: Duration = Duration::from_secs(5);

/// Serializes the tests that measure the process's memory or push a lot of
/// data, so that they do not disturb each other's measurements.
pub(crate) static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CA_A: &str = "CN=Test CA-A,O=Example Test,DC=example,DC=com";
const CA_B: &str = "CN=Test CA-B,O=Example Test,DC=example,DC=com";
const MALLORY: &str = "CN=mallory,OU=people,DC=example,DC=com";

/// Awaits `fut`, failing the test if it takes longer than [`LIMIT`].
pub(crate) async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not return within {LIMIT:?}"),
    }
}

pub(crate) fn plain() -> ConnConfig {
    ConnConfig::new().connect_timeout(Some(Duration::from_secs(5)))
}

/// Trusts CA A (the issuer of the test server's certificate).
fn tls_client() -> ConnConfig {
    plain().root_certificate(CertificateDer::from(Pki::ec().ca_a.cert_der.clone()))
}

/// The testkit's standard PKI (the same subjects as [`Pki`]'s), made once.
fn kit() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::new().expect("the test PKI"))
}

/// Trusts CA A of [`kit`], the issuer of the `TestServer`'s certificate.
fn kit_client() -> ConnConfig {
    plain().root_certificate(kit().entity("ca-a").unwrap().cert())
}

/// A `TestServer` trusting (and naming) CA A and CA B.
async fn kit_server(auth: ClientAuth, rejection: Rejection, versions: TlsVersions) -> TestServer {
    TestServer::builder(kit())
        .client_auth(auth)
        .rejection(rejection)
        .tls_versions(versions)
        .start()
        .await
        .expect("the test server")
}

fn ok() -> LdapResult {
    LdapResult::new(ResultCode::SUCCESS)
}

fn encode(id: i32, op: ProtocolOp) -> Vec<u8> {
    encode_with(id, op, Vec::new())
}

fn encode_with(id: i32, op: ProtocolOp, controls: Vec<Control>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut message = LdapMessage::new(mid(id), op);
    message.controls = controls;
    message.encode(&mut out);
    out
}

/// The message ID `n` (not negative).
fn mid(n: i32) -> MessageId {
    MessageId::new(n).unwrap()
}

fn whoami_response(authz: &str) -> ProtocolOp {
    let mut response = ExtendedResponse::new(ok());
    response.value = Some(Bytes::copy_from_slice(authz.as_bytes()));
    ProtocolOp::ExtendedResponse(response)
}

fn entry(dn: &str, value: &[u8]) -> ProtocolOp {
    ProtocolOp::SearchResultEntry(SearchResultEntry::new(
        dn,
        vec![Attribute::new("description", [value])],
    ))
}

/// Reads `n` requests (AbandonRequests skipped); `None` if the client
/// closed first.
async fn recv_n(p: &mut Peer, n: usize) -> Option<Vec<LdapMessage>> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.push(p.recv_op().await?);
    }
    Some(out)
}

/// Waits until the client closes the connection.
async fn until_closed(mut p: Peer) {
    while p.recv().await.is_some() {}
}

/// Each error is the protocol error for a response to message `id`, which
/// has no operation pending.
#[track_caller]
fn assert_unknown_id<const N: usize>(errs: [Error; N], id: i32) {
    let text =
        format!("protocol error: response for message ID {id}, which has no operation pending");
    for err in errs {
        assert!(
            matches!(err, Error::Protocol(ProtocolError::UnknownMessageId(got)) if got.get() == id),
            "{err:?}"
        );
        assert_eq!(err.to_string(), text);
    }
}

/// A `TestServer` that leaves the requests of [`three_ops`] unanswered
/// until the third arrives, answers it with `bytes`, and keeps the
/// connection open until the client closes it.
async fn replying(bytes: Vec<u8>) -> TestServer {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    let pki = PKI.get_or_init(|| TestPki::new().expect("the test PKI"));
    let srv = TestServer::builder(pki)
        .start()
        .await
        .expect("the test server");
    srv.respond_with_bytes(Operation::Any, Vec::new());
    srv.send_bytes_at(3, bytes);
    srv
}

type ThreeResults = (
    Result<Option<String>, Error>,
    Result<(), Error>,
    Result<SearchResults, Error>,
);

/// A WhoAmI (ID 1), a delete (ID 2) and a search (ID 3), all in flight at
/// once.
async fn three_ops(conn: &LdapConn) -> ThreeResults {
    tokio::join!(
        within("whoami", conn.whoami()),
        within("delete", conn.delete("cn=x,dc=example,dc=com")),
        within("search", conn.search_all(Search::new("dc=example,dc=com"))),
    )
}

/// Runs [`three_ops`] and checks that each fails with an error of the kind
/// `kind` whose text is `text`, and that a new operation then fails the
/// same way at once.
async fn assert_all_fail(conn: &LdapConn, kind: impl Fn(&Error) -> bool, text: &str) {
    let (a, b, c) = three_ops(conn).await;
    let errors = [
        ("whoami", a.map(drop).unwrap_err()),
        ("delete", b.unwrap_err()),
        ("search", c.map(drop).unwrap_err()),
    ];
    for (what, err) in &errors {
        assert!(kind(err), "{what}: unexpected error kind: {err:?}");
        assert_eq!(err.to_string(), text, "{what}");
    }
    let later = within("a later call", conn.compare("cn=x", "cn", "x"))
        .await
        .unwrap_err();
    assert!(kind(&later), "later call: {later:?}");
    assert_eq!(later.to_string(), text, "later call");
}

fn is_decode(e: &Error) -> bool {
    matches!(e, Error::Protocol(ProtocolError::Decode(_)))
}

// ---- framing and encoding ----

#[tokio::test]
async fn truncated_pdu_then_close() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(ms) = recv_n(&mut p, 3).await else {
            return;
        };
        let full = encode(ms[0].id.get(), whoami_response("dn:cn=x"));
        let _ = p.send_raw(&full[..10]).await;
        p.close().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        |e| matches!(e, Error::Protocol(ProtocolError::Truncated(10))),
        "protocol error: connection closed in the middle of a message (10 bytes buffered)",
    )
    .await;
}

#[tokio::test]
async fn garbage_bytes() {
    // An HTTP server: 'H' (0x48) reads as a tag, 'T' (0x54) as a length of
    // 84, so the first 86 bytes make a frame that is not an LDAPMessage.
    const HTTP: &[u8] = b"HTTP/1.1 400 Bad Request\r\nServer: not-ldap\r\n\
        Content-Type: text/html\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
    // Keep the connection open: the client must give up by itself.
    let srv = replying(HTTP.to_vec()).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        is_decode,
        "protocol error: malformed message from server: expected tag 0x30 ([UNIVERSAL 16] constructed), found 0x48 ([APPLICATION 8]) at byte 0",
    )
    .await;
}

#[tokio::test]
async fn indefinite_length() {
    // SEQUENCE, indefinite length, messageID 1, ..., end-of-contents.
    let srv = replying(vec![
        0x30, 0x80, 0x02, 0x01, 0x01, 0x6b, 0x80, 0x00, 0x00, 0x00, 0x00,
    ])
    .await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        is_decode,
        "protocol error: malformed message from server: indefinite length is not allowed in LDAP at byte 0",
    )
    .await;
}

#[tokio::test]
async fn four_gib_length() {
    // A SEQUENCE announcing 2^32 - 1 bytes, then a trickle of content.
    let srv = replying(vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        |e| {
            matches!(
                e,
                Error::Protocol(ProtocolError::MessageTooLarge {
                    len: 4_294_967_295,
                    max: 16_777_216
                })
            )
        },
        "protocol error: server sent a message of 4294967295 bytes, over the limit of 16777216 bytes",
    )
    .await;
}

#[tokio::test]
async fn length_of_five_octets() {
    // 2^32 exactly needs five length octets.
    let srv = replying(vec![
        0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01,
    ])
    .await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        is_decode,
        "protocol error: malformed message from server: length field of 5 octets (at most 4 are accepted) at byte 0",
    )
    .await;
}

/// `depth` SEQUENCEs nested in each other, built from the outside in
/// without copying.
fn nested_sequences(depth: usize) -> Vec<u8> {
    fn len_octets(len: usize) -> usize {
        match len {
            0..=0x7f => 1,
            0x80..=0xff => 2,
            0x100..=0xffff => 3,
            0x1_0000..=0xff_ffff => 4,
            _ => 5,
        }
    }
    // lens[k]: content length of the SEQUENCE k levels above the innermost.
    let mut lens = Vec::with_capacity(depth);
    let mut len = 0usize;
    for _ in 0..depth {
        lens.push(len);
        len += 1 + len_octets(len);
    }
    let mut out = Vec::with_capacity(len);
    for &l in lens.iter().rev() {
        out.push(0x30);
        match len_octets(l) {
            1 => out.push(l as u8),
            n => {
                out.push(0x80 | (n - 1) as u8);
                out.extend_from_slice(&l.to_be_bytes()[8 - (n - 1)..]);
            }
        }
    }
    assert_eq!(out.len(), len);
    out
}

#[tokio::test]
async fn depth_bomb_of_100_000_nested_sequences() {
    let bomb = nested_sequences(100_000);
    // A search entry whose attribute list is the bomb.
    let mut op = vec![0x04, 0x00];
    op.extend_from_slice(&bomb);
    let mut body = vec![0x02, 0x01, 0x03];
    push_tlv(&mut body, 0x64, &op);
    let mut pdu = Vec::new();
    push_tlv(&mut pdu, 0x30, &body);
    let pdu = Arc::new(pdu);
    let srv = server::start(move |mut p: Peer| {
        let pdu = pdu.clone();
        async move {
            if recv_n(&mut p, 3).await.is_none() {
                return;
            }
            let _ = p.send_raw(&pdu).await;
            until_closed(p).await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    // The message frames fine (about 500 KB, under the 16 MiB limit); the
    // decoder, which descends only where RFC 4511 has structure, finds a
    // SEQUENCE where the first attribute's type must be, at nesting level
    // 4, and stops there: no recursion into the bomb, no stack overflow.
    assert_all_fail(
        &conn,
        is_decode,
        "protocol error: malformed message from server: expected tag 0x04 ([UNIVERSAL 4]), found 0x30 ([UNIVERSAL 16] constructed) at byte 25",
    )
    .await;
}

pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

#[tokio::test]
async fn message_over_the_configured_size_limit() {
    let small = encode(3, entry("cn=small,dc=example,dc=com", &[b'a'; 900]));
    let big = encode(3, entry("cn=big,dc=example,dc=com", &[b'b'; 5000]));
    let big_len = Reader::new(&big).tlv().unwrap().value().len();
    assert!(small.len() < 1024);
    let (small, big) = (Arc::new(small), Arc::new(big));
    let srv = server::start(move |mut p: Peer| {
        let (small, big) = (small.clone(), big.clone());
        async move {
            if recv_n(&mut p, 3).await.is_none() {
                return;
            }
            let _ = p.send_raw(&small).await;
            let _ = p.send_raw(&big).await;
            until_closed(p).await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain().max_message_len(1024))
        .await
        .unwrap();
    let expected = format!(
        "protocol error: server sent a message of {big_len} bytes, over the limit of 1024 bytes"
    );
    let (who, del, (entries, search)) = tokio::join!(
        within("whoami", conn.whoami()),
        within("delete", conn.delete("cn=x,dc=example,dc=com")),
        within("search", stream_until_error(&conn)),
    );
    // The message under the limit was delivered, the one over it failed
    // the connection before being buffered.
    assert_eq!(entries, ["cn=small,dc=example,dc=com"]);
    for err in [who.unwrap_err(), del.unwrap_err(), search] {
        assert!(
            matches!(
                err,
                Error::Protocol(ProtocolError::MessageTooLarge { max: 1024, .. })
            ),
            "{err:?}"
        );
        assert_eq!(err.to_string(), expected);
    }
}

/// Runs a search, collecting the DNs of its entries until it fails; panics
/// if it succeeds.
async fn stream_until_error(conn: &LdapConn) -> (Vec<String>, Error) {
    let mut stream = match conn.search(Search::new("dc=example,dc=com")).await {
        Ok(s) => s,
        Err(e) => return (Vec::new(), e),
    };
    let mut dns = Vec::new();
    loop {
        match stream.next_item().await {
            Ok(Some(SearchItem::Entry(e))) => dns.push(e.dn.to_string()),
            Ok(Some(other)) => panic!("unexpected search item {other:?}"),
            Ok(None) => panic!("the search succeeded after {} entries", dns.len()),
            Err(e) => return (dns, e),
        }
    }
}

// ---- routing: message IDs and response types ----

#[tokio::test]
async fn response_for_an_unknown_message_id() {
    let srv = replying(encode(99, ProtocolOp::DelResponse(ok()))).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        |e| {
            matches!(
                e,
                Error::Protocol(ProtocolError::UnknownMessageId(got)) if got.get() == 99
            )
        },
        "protocol error: response for message ID 99, which has no operation pending",
    )
    .await;
}

#[tokio::test]
async fn response_of_the_wrong_type_for_its_id() {
    // ID 1 is the WhoAmI, an extended operation.
    let srv = replying(encode(1, ProtocolOp::DelResponse(ok()))).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        |e| {
            matches!(
                e,
                Error::Protocol(ProtocolError::UnexpectedResponse {
                    id,
                    expected: "ExtendedResponse",
                    got: "DelResponse",
                }) if id.get() == 1
            )
        },
        "protocol error: message ID 1: expected ExtendedResponse, got DelResponse",
    )
    .await;
}

#[tokio::test]
async fn duplicate_response() {
    let mut out = encode(2, ProtocolOp::DelResponse(ok()));
    out.extend(encode(2, ProtocolOp::DelResponse(ok())));
    let srv = replying(out).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let (who, del, search) = three_ops(&conn).await;
    // The first answer completes the delete; the second one is a protocol
    // violation that ends the connection and the operations still pending.
    del.unwrap();
    assert_unknown_id([who.unwrap_err(), search.unwrap_err()], 2);
}

#[tokio::test]
async fn search_entry_after_search_result_done() {
    let mut out = encode(3, entry("cn=a,dc=example,dc=com", b"a"));
    out.extend(encode(3, ProtocolOp::SearchResultDone(ok())));
    out.extend(encode(3, entry("cn=late,dc=example,dc=com", b"late")));
    let srv = replying(out).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let (who, del, search) = three_ops(&conn).await;
    let search = search.unwrap();
    assert_eq!(search.entries.len(), 1);
    assert_eq!(search.entries[0].dn, "cn=a,dc=example,dc=com");
    assert_unknown_id([who.unwrap_err(), del.unwrap_err()], 3);
}

#[tokio::test]
async fn negative_message_id() {
    // A DelResponse with messageID -1.
    let srv = replying(vec![
        0x30, 0x0c, 0x02, 0x01, 0xff, 0x6b, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
    ])
    .await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        is_decode,
        "protocol error: malformed message from server: messageID -1 is out of range at byte 2",
    )
    .await;
}

#[tokio::test]
async fn unsolicited_message_that_is_not_an_extended_response() {
    let srv = replying(encode(0, entry("cn=stray,dc=example,dc=com", b"x"))).await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    assert_all_fail(
        &conn,
        |e| {
            matches!(
                e,
                Error::Protocol(ProtocolError::UnsolicitedNotExtended {
                    got: "SearchResultEntry"
                })
            )
        },
        "protocol error: unsolicited message (ID 0) must be an ExtendedResponse, got SearchResultEntry",
    )
    .await;
}

// ---- unsolicited notifications ----

fn notice(name: Option<&str>, code: ResultCode, message: &str) -> ProtocolOp {
    let mut result = LdapResult::new(code);
    result.message = message.into();
    let mut response = ExtendedResponse::new(result);
    response.name = name.map(Into::into);
    ProtocolOp::ExtendedResponse(response)
}

#[tokio::test]
async fn notice_of_disconnection_with_a_search_half_read_and_the_socket_left_open() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            if recv_n(&mut p, 3).await.is_none() {
                return;
            }
            let mut out = encode(3, entry("cn=a,dc=example,dc=com", b"a"));
            out.extend(encode(3, entry("cn=b,dc=example,dc=com", b"b")));
            out.extend(encode(
                0,
                notice(
                    Some(NOTICE_OF_DISCONNECTION),
                    ResultCode::UNAVAILABLE,
                    "shutting down",
                ),
            ));
            let _ = p.send_raw(&out).await;
            // A server that does not close after its notice: the client
            // must not wait for it.
            until_closed(p).await;
            let _ = tx.send("client closed");
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let text = "server disconnected: unavailable (52): shutting down";
    let (who, del, (entries, search)) = tokio::join!(
        within("whoami", conn.whoami()),
        within("delete", conn.delete("cn=x,dc=example,dc=com")),
        within("search", stream_until_error(&conn)),
    );
    assert_eq!(
        entries,
        ["cn=a,dc=example,dc=com", "cn=b,dc=example,dc=com"]
    );
    for err in [who.unwrap_err(), del.unwrap_err(), search] {
        assert!(
            matches!(err, Error::Disconnected { code: ResultCode::UNAVAILABLE, ref message, .. } if message == "shutting down"),
            "{err:?}"
        );
        assert_eq!(err.to_string(), text);
    }
    let later = within("later", conn.whoami()).await.unwrap_err();
    assert_eq!(later.to_string(), text);
    // The client hung up by itself.
    assert_eq!(within("close", rx.recv()).await, Some("client closed"));
}

#[tokio::test]
async fn unknown_unsolicited_notification_is_ignored() {
    let srv = kit_server(ClientAuth::None, Rejection::Alert, TlsVersions::Both).await;
    // Each WhoAmI (IDs 1 to 3) is answered after a notice nobody knows.
    for id in 1..=3 {
        let n = notice(
            Some("1.3.6.1.4.1.99999.1"),
            ResultCode::SUCCESS,
            "nothing to worry about",
        );
        let mut out = encode(0, n);
        out.extend(encode(id, whoami_response("dn:cn=still-here")));
        srv.send_bytes_at(usize::try_from(id).unwrap(), out);
    }
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    for _ in 0..3 {
        let who = within("whoami", conn.whoami()).await.unwrap();
        assert_eq!(who.as_deref(), Some("dn:cn=still-here"));
    }
}

#[tokio::test]
async fn whoami_authz_id_that_is_not_utf8_is_a_decode_error() {
    // RFC 4532 §2.2: the authzId is an LDAPString, UTF-8. WhoAmI is read by
    // proto::extended::WhoAmI::parse_response, so a bad authzId fails the
    // operation (and only it) as a malformed message, never a lossy string.
    let srv = kit_server(ClientAuth::None, Rejection::Alert, TlsVersions::Both).await;
    for id in 1..=2 {
        let mut bad = ExtendedResponse::new(ok());
        bad.value = Some(Bytes::from_static(b"dn:cn=\xff"));
        let bad = ProtocolOp::ExtendedResponse(bad);
        srv.send_bytes_at(usize::try_from(id).unwrap(), encode(id, bad));
    }
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    for _ in 0..2 {
        let err = within("whoami", conn.whoami()).await.unwrap_err();
        assert!(
            matches!(err, Error::Protocol(ProtocolError::Decode(_))),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "protocol error: malformed message from server: invalid value: the authzId is not UTF-8 at byte 0"
        );
    }
}

// ---- silence, slowness, resets ----

#[tokio::test]
async fn silent_server_every_timeout_fires_and_every_operation_is_abandoned() {
    let srv = kit_server(ClientAuth::None, Rejection::Alert, TlsVersions::Both).await;
    srv.respond_with_bytes(Operation::Any, Vec::new());
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let t = Duration::from_millis(250);
    let opts = || OpOptions::new().timeout(t);
    let start = Instant::now();
    let (who, del, search) = tokio::join!(
        within("whoami", conn.with(opts()).whoami()),
        within("delete", conn.with(opts()).delete("cn=x,dc=example,dc=com")),
        within(
            "search",
            conn.with(opts())
                .search_all(Search::new("dc=example,dc=com"))
        ),
    );
    let took = start.elapsed();
    assert!(took >= t && took < t + Duration::from_secs(1), "{took:?}");
    for err in [who.unwrap_err(), del.unwrap_err(), search.unwrap_err()] {
        assert!(
            matches!(err, Error::Timeout { phase: tokio_ldap::Phase::Operation, after: d } if d == t),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "the operation timed out after 250ms");
    }
    // The server saw the three requests, then an AbandonRequest for each.
    let abandoned = within("server", async {
        loop {
            let mut abandoned: Vec<i32> = srv.connections()[0]
                .requests
                .iter()
                .filter_map(|m| match m.op {
                    ProtocolOp::AbandonRequest(target) => Some(target.get()),
                    _ => None,
                })
                .collect();
            if abandoned.len() == 3 {
                abandoned.sort_unstable();
                return abandoned;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(abandoned, [1, 2, 3]);
}

#[tokio::test]
async fn server_dripping_a_byte_every_100ms_hits_the_timeout() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            let Some(m) = p.recv_op().await else { return };
            let reply = encode(m.id.get(), whoami_response("dn:cn=slow"));
            // Four bytes, 100 ms apart: the client gives up in between.
            for b in &reply[..4] {
                if p.send_raw(&[*b]).await.is_err() {
                    return;
                }
                p.pause(Duration::from_millis(100)).await;
            }
            let Some(abandon) = p.recv().await else {
                return;
            };
            let _ = tx.send(abandon.op);
            // The rest of the late answer (dropped by the client), then a
            // normal one.
            let _ = p.send_raw(&reply[4..]).await;
            while let Some(m) = p.recv_op().await {
                let _ = p.send(m.id, whoami_response("dn:cn=fast")).await;
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let start = Instant::now();
    let err = within(
        "whoami",
        conn.with(OpOptions::new().timeout(Duration::from_millis(250)))
            .whoami(),
    )
    .await
    .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: tokio_ldap::Phase::Operation,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the operation timed out after 250ms");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1250),
        "{took:?}"
    );
    assert_eq!(
        within("abandon", rx.recv()).await,
        Some(ProtocolOp::AbandonRequest(mid(1)))
    );
    // The half-received late answer is completed and discarded; the
    // connection goes on.
    let who = within("whoami", conn.whoami()).await.unwrap();
    assert_eq!(who.as_deref(), Some("dn:cn=fast"));
}

#[tokio::test]
async fn server_dripping_a_byte_every_10ms_still_delivers() {
    let srv = server::start(|mut p: Peer| async move {
        while let Some(m) = p.recv_op().await {
            for b in encode(m.id.get(), whoami_response("dn:cn=drip")) {
                if p.send_raw(&[b]).await.is_err() {
                    return;
                }
                p.pause(Duration::from_millis(10)).await;
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let who = within("whoami", conn.whoami()).await.unwrap();
    assert_eq!(who.as_deref(), Some("dn:cn=drip"));
}

#[tokio::test]
async fn tcp_reset_in_the_middle_of_a_search() {
    let srv = server::start(|mut p: Peer| async move {
        if recv_n(&mut p, 3).await.is_none() {
            return;
        }
        let mut out = Vec::new();
        for i in 0..5 {
            out.extend(encode(3, entry(&format!("cn={i},dc=example,dc=com"), b"v")));
        }
        let _ = p.send_raw(&out).await;
        // Let the entries reach the client before the RST (which would
        // discard them if still unsent).
        p.pause(Duration::from_millis(100)).await;
        p.reset();
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let (who, del, (entries, search)) = tokio::join!(
        within("whoami", conn.whoami()),
        within("delete", conn.delete("cn=x,dc=example,dc=com")),
        within("search", stream_until_error(&conn)),
    );
    let expected: Vec<String> = (0..5)
        .map(|i| format!("cn={i},dc=example,dc=com"))
        .collect();
    assert_eq!(entries, expected);
    for err in [who.unwrap_err(), del.unwrap_err(), search] {
        assert!(
            matches!(&err, Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "I/O error: Connection reset by peer (os error 104)"
        );
    }
}

// ---- TLS ----

#[tokio::test]
async fn tls_close_notify_in_the_middle_of_an_operation() {
    let cfg = server::tls_config(&ScriptedAuth::Off, &[]);
    let srv = server::start_tls(cfg, |mut p: Peer| async move {
        // Answer one request, so the connection is known to work, then
        // read three more and end TLS cleanly (close_notify, then FIN).
        let Some(m) = p.recv_op().await else { return };
        let _ = p.send(m.id, whoami_response("dn:cn=tls")).await;
        if recv_n(&mut p, 3).await.is_none() {
            return;
        }
        p.close().await;
    })
    .await;
    let conn = LdapConn::connect(&srv.ldaps_url(), tls_client())
        .await
        .unwrap();
    assert_eq!(
        within("whoami", conn.whoami()).await.unwrap().as_deref(),
        Some("dn:cn=tls")
    );
    assert_all_fail(
        &conn,
        |e| matches!(e, Error::Closed(_)),
        "connection closed: the server closed the connection",
    )
    .await;
}

#[tokio::test]
async fn close_right_after_the_handshake_when_a_certificate_was_requested() {
    // Like slapd with TLSVerifyClient demand under TLS 1.3: the handshake
    // completes on the client's side, then the server hangs up without a
    // word (no alert, no close_notify). Once with no certificate to send,
    // once with alice's, issued by CA A, which the server names but does
    // not trust.
    let srv = TestServer::builder(kit())
        .trust(&["ca-b"])
        .ca_names(CaNames::Explicit(vec![
            kit().subject_der("ca-a").unwrap(),
            kit().subject_der("ca-b").unwrap(),
        ]))
        .client_auth(ClientAuth::Required)
        .rejection(Rejection::CloseAfterHandshake)
        .tls_versions(TlsVersions::Tls13)
        .start()
        .await
        .unwrap();
    let cases = [
        (kit_client(), "none was sent (no client certificate configured)".to_owned()),
        (
            kit_client().client_cert(kit().client_cert("alice").unwrap()),
            format!("sent: CN=alice,OU=people,DC=example,DC=com (issued by {CA_A}, which the server named)"),
        ),
    ];
    for (config, sent) in cases {
        let conn = LdapConn::connect(&srv.ldaps_url(), config).await.unwrap();
        let info = conn.tls_info().unwrap();
        let cas: Vec<String> = info
            .trusted_cas()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(cas, [CA_A, CA_B]);
        let text = format!(
            "the server closed the connection after asking for a client certificate: it trusts: {CA_A}; {CA_B}; {sent}"
        );
        assert_all_fail(&conn, |e| matches!(e, Error::ClientCertRejected(_)), &text).await;
    }
}

#[tokio::test]
async fn untrusted_client_certificate_rejected_after_a_tls13_handshake() {
    let srv = kit_server(ClientAuth::Required, Rejection::Alert, TlsVersions::Tls13).await;
    let mallory = kit().client_cert("mallory").unwrap();
    let conn = LdapConn::connect(&srv.ldaps_url(), kit_client().client_cert(mallory))
        .await
        .unwrap();
    let sent = conn.tls_info().unwrap();
    assert_eq!(sent.client_cert_sent().unwrap().subject(), MALLORY);
    let text = format!(
        "the server rejected the client certificate with alert UnknownCA after asking for one: it trusts: {CA_A}; {CA_B}; sent: {MALLORY} (issued by CN=Untrusted CA,O=Evil Test, not among the CAs the server named)"
    );
    assert_all_fail(&conn, |e| matches!(e, Error::ClientCertRejected(_)), &text).await;
}

#[tokio::test]
async fn missing_client_certificate_rejected_in_a_tls12_handshake() {
    let srv = kit_server(ClientAuth::Required, Rejection::Alert, TlsVersions::Tls12).await;
    let err = within("connect", LdapConn::connect(&srv.ldaps_url(), kit_client()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClientCertRejected(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "the server rejected the client certificate with alert CertificateRequired after asking for one: it trusts: {CA_A}; {CA_B}; none was sent (no client certificate configured)"
        )
    );
}

/// A DER `Name` of `O=org` then `CN=cn`.
pub(crate) fn name_der(org: &str, cn: &str) -> Vec<u8> {
    let atv = |oid: u8, value: &str| {
        let mut seq = Vec::new();
        push_tlv(&mut seq, 0x06, &[0x55, 0x04, oid]);
        push_tlv(&mut seq, 0x0c, value.as_bytes());
        let mut atv = Vec::new();
        push_tlv(&mut atv, 0x30, &seq);
        let mut set = Vec::new();
        push_tlv(&mut set, 0x31, &atv);
        set
    };
    let mut rdns = atv(0x0a, org);
    rdns.extend(atv(0x03, cn));
    let mut name = Vec::new();
    push_tlv(&mut name, 0x30, &rdns);
    name
}

/// A chooser on `base` that records every CA list it is shown, and
/// declines.
fn recording_chooser(base: ConnConfig) -> (ConnConfig, Arc<Mutex<Vec<Vec<TrustedCa>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let config = base.client_cert_query(move |req: &CertRequest<'_>| {
        s.lock().unwrap().push(req.trusted_cas().to_vec());
        None
    });
    (config, seen)
}

async fn answer_whoami(mut p: Peer) {
    while let Some(m) = p.recv_op().await {
        if p.send(m.id, whoami_response("")).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn certificate_request_naming_500_cas() {
    let hints: Vec<Vec<u8>> = (0..500)
        .map(|i| name_der("Example Test", &format!("Hostile CA {i:03}")))
        .collect();
    let srv = TestServer::builder(kit())
        .client_auth(ClientAuth::Optional)
        .ca_names(CaNames::Explicit(hints.clone()))
        .start()
        .await
        .unwrap();
    let (config, seen) = recording_chooser(kit_client());
    let conn = within("connect", LdapConn::connect(&srv.ldaps_url(), config))
        .await
        .unwrap();
    assert_eq!(within("whoami", conn.whoami()).await.unwrap(), None);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "the chooser is called once");
    let cas = &seen[0];
    assert_eq!(cas.len(), 500);
    for (i, (ca, der)) in cas.iter().zip(&hints).enumerate() {
        assert_eq!(ca.der(), der.as_slice(), "CA {i}");
        assert_eq!(
            ca.to_string(),
            format!("CN=Hostile CA {i:03},O=Example Test")
        );
    }
    let info = conn.tls_info().unwrap();
    assert_eq!(info.trusted_cas().unwrap(), cas.as_slice());
}

#[tokio::test]
async fn certificate_request_with_a_malformed_ca_name() {
    let good_a = name_der("Example Test", "Good A");
    let bad = vec![0xff, 0x00, 0x01, 0x30];
    let good_b = name_der("Example Test", "Good B");
    let hints = vec![good_a.clone(), bad.clone(), good_b.clone()];
    // The server asks, names the three, and hangs up once the handshake is
    // done: the error shows the malformed name too.
    let srv = TestServer::builder(kit())
        .client_auth(ClientAuth::Required)
        .ca_names(CaNames::Explicit(hints))
        .rejection(Rejection::CloseAfterHandshake)
        .tls_versions(TlsVersions::Tls13)
        .start()
        .await
        .unwrap();
    let (config, seen) = recording_chooser(kit_client());
    let conn = within("connect", LdapConn::connect(&srv.ldaps_url(), config))
        .await
        .unwrap();
    let cas = seen.lock().unwrap()[0].clone();
    assert_eq!(cas.len(), 3);
    assert_eq!(cas[0].der(), good_a);
    assert_eq!(cas[1].der(), bad);
    assert_eq!(cas[2].der(), good_b);
    assert_eq!(cas[1].name(), None);
    assert_eq!(cas[1].to_string(), "#ff000130");
    let text = "the server closed the connection after asking for a client certificate: it trusts: CN=Good A,O=Example Test; #ff000130; CN=Good B,O=Example Test; none was sent (the callback declined)";
    assert_all_fail(&conn, |e| matches!(e, Error::ClientCertRejected(_)), text).await;
}

#[tokio::test]
async fn starttls_response_followed_by_injected_plaintext() {
    // A man in the middle appends a forged WhoAmI answer for the next
    // message ID to the (plaintext) StartTLS response, minus its last
    // byte: 0x30, which is what the first decrypted response will start
    // with. Those bytes must never be taken as part of the protected
    // stream.
    let mut forged = encode(2, whoami_response("dn:cn=admin0"));
    assert_eq!(forged.pop(), Some(b'0'));
    let forged_len = forged.len();
    let forged = Arc::new(forged);
    let cfg = server::tls_config(&ScriptedAuth::Off, &[]);
    let srv = server::start(move |mut p: Peer| {
        let (forged, cfg) = (forged.clone(), cfg.clone());
        async move {
            let Some(m) = p.recv_op().await else { return };
            let mut out = encode(
                m.id.get(),
                ProtocolOp::ExtendedResponse({
                    let mut response = ExtendedResponse::new(ok());
                    response.name = Some(START_TLS.into());
                    response
                }),
            );
            out.extend_from_slice(&forged);
            let _ = p.send_raw(&out).await;
            if p.start_tls(cfg).await.is_err() {
                return;
            }
            answer_whoami(p).await;
        }
    })
    .await;
    let res = within(
        "connect",
        LdapConn::connect(&srv.url(), tls_client().starttls(true)),
    )
    .await;
    let err = match res {
        Ok(conn) => {
            let who = within("whoami", conn.whoami()).await;
            panic!("StartTLS accepted injected plaintext; whoami gave {who:?}");
        }
        Err(e) => e,
    };
    assert!(
        matches!(err, Error::Protocol(ProtocolError::DataAfterStartTls { len }) if len == forged_len),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "protocol error: the server sent {} bytes after its StartTLS response, before the TLS handshake",
            forged_len
        )
    );
}

#[tokio::test]
async fn starttls_accepted_then_the_server_hangs_up() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(m) = p.recv_op().await else { return };
        let _ = p.extended_response(m.id, ResultCode::SUCCESS, None).await;
        drop(p);
    })
    .await;
    let err = within(
        "connect",
        LdapConn::connect(&srv.url(), tls_client().starttls(true)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("TLS error: 127.0.0.1 closed the connection during the TLS handshake"),
        "{err}"
    );
}

// ---- bind, controls, referrals ----

#[tokio::test]
async fn sasl_bind_in_progress_forever() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            while let Some(m) = p.recv_op().await {
                let _ = tx.send(m.op.clone());
                let reply = match m.op {
                    ProtocolOp::BindRequest(_) => {
                        let mut result = LdapResult::new(ResultCode::SASL_BIND_IN_PROGRESS);
                        result.message = "go on".into();
                        let mut response = BindResponse::new(result);
                        response.server_sasl_creds = Some(Bytes::from_static(b"more"));
                        ProtocolOp::BindResponse(response)
                    }
                    _ => whoami_response("dn:cn=after"),
                };
                if p.send(m.id, reply).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    // A multi-step bind gets the code and the server's challenge.
    let (code, creds) = within("bind_sasl", conn.bind_sasl("X-ENDLESS", Some(b"hi")))
        .await
        .unwrap();
    assert_eq!(code, ResultCode::SASL_BIND_IN_PROGRESS);
    assert_eq!(creds.as_deref(), Some(&b"more"[..]));
    // EXTERNAL is one round trip: a server that wants more is an error,
    // after exactly one BindRequest.
    let err = within("bind_external", conn.bind_external(None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Ldap(le) if le.result().code == ResultCode::SASL_BIND_IN_PROGRESS),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "bind failed: saslBindInProgress (14): go on (the connection is not using TLS, so there is no client certificate to bind with)"
    );
    assert_eq!(
        within("whoami", conn.whoami()).await.unwrap().as_deref(),
        Some("dn:cn=after")
    );
    let mut ops = Vec::new();
    while let Ok(op) = rx.try_recv() {
        ops.push(op);
    }
    assert_eq!(ops.len(), 3, "{ops:?}");
    let mechanisms: Vec<_> = ops
        .iter()
        .filter_map(|op| match op {
            ProtocolOp::BindRequest(b) => match &b.auth {
                BindAuth::Sasl { mechanism, .. } => Some(mechanism.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(mechanisms, ["X-ENDLESS", "EXTERNAL"]);
    assert!(matches!(ops[2], ProtocolOp::ExtendedRequest(_)));
}

#[tokio::test]
async fn paged_results_control_with_a_garbage_value() {
    let srv = kit_server(ClientAuth::None, Rejection::Alert, TlsVersions::Both).await;
    // Both searches (IDs 1 and 2) get one entry, then a result whose
    // paged-results control is cut short.
    for id in 1..=2 {
        let mut out = encode(id, entry("cn=a,dc=example,dc=com", b"a"));
        let garbage = Control::new(
            PagedResults::OID,
            Some(Bytes::from_static(b"\x30\x05\x02\x01")),
        );
        out.extend(encode_with(
            id,
            ProtocolOp::SearchResultDone(ok()),
            vec![garbage],
        ));
        srv.send_bytes_at(usize::try_from(id).unwrap(), out);
    }
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let err = within(
        "search_paged",
        conn.search_paged(Search::new("dc=example,dc=com"), 10),
    )
    .await
    .unwrap_err();
    assert!(is_decode(&err), "{err:?}");
    assert_eq!(
        err.to_string(),
        "protocol error: malformed message from server: input truncated (3 more bytes needed) at byte 0"
    );
    // Only the one control was bad: the connection is fine.
    let plain_search = within("search", conn.search_all(Search::new("dc=example,dc=com")))
        .await
        .unwrap();
    assert_eq!(plain_search.entries.len(), 1);
}

#[tokio::test]
async fn referral_is_returned_as_data() {
    const URL: &str = "ldap://other.example.com/cn=x,dc=example,dc=com";
    let srv = server::start(|mut p: Peer| async move {
        while let Some(m) = p.recv_op().await {
            let mut result = LdapResult::new(ResultCode::REFERRAL);
            result.message = "try elsewhere".into();
            result.referrals = vec![URL.into()];
            let op = match m.op {
                ProtocolOp::DelRequest(_) => ProtocolOp::DelResponse(result),
                _ => ProtocolOp::SearchResultDone(result),
            };
            if p.send(m.id, op).await.is_err() {
                return;
            }
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let (del, search) = tokio::join!(
        within("delete", conn.delete("cn=x,dc=example,dc=com")),
        within("search", conn.search_all(Search::new("dc=example,dc=com"))),
    );
    for (op, err) in [
        ("delete", del.unwrap_err()),
        ("search", search.unwrap_err()),
    ] {
        let Error::Ldap(le) = &err else {
            panic!("{op}: {err:?}")
        };
        assert_eq!(le.result().code, ResultCode::REFERRAL);
        assert_eq!(le.result().referrals, [URL]);
        assert_eq!(
            err.to_string(),
            format!("{op} failed: referral (10): try elsewhere")
        );
    }
}

// ---- flow control ----

#[tokio::test]
async fn largest_accepted_message_arriving_in_1kb_pieces() {
    const LIMIT_LEN: usize = 4 << 20;
    let _heavy = HEAVY.lock().await;
    // A search entry of exactly the configured maximum (its content
    // length, as the limit is checked against the announced length).
    let probe = encode(
        1,
        entry("cn=big,dc=example,dc=com", &vec![b'x'; LIMIT_LEN - 100]),
    );
    let content = Reader::new(&probe).tlv().unwrap().value().len();
    let value = vec![b'x'; LIMIT_LEN - 100 + (LIMIT_LEN - content)];
    let pdu = encode(1, entry("cn=big,dc=example,dc=com", &value));
    assert_eq!(Reader::new(&pdu).tlv().unwrap().value().len(), LIMIT_LEN);
    let pdu = Arc::new(pdu);
    let srv = server::start(move |mut p: Peer| {
        let pdu = pdu.clone();
        async move {
            let Some(m) = p.recv_op().await else { return };
            for piece in pdu.chunks(1024) {
                if p.send_raw(piece).await.is_err() {
                    return;
                }
            }
            let _ = p.send(m.id, ProtocolOp::SearchResultDone(ok())).await;
            until_closed(p).await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain().max_message_len(LIMIT_LEN))
        .await
        .unwrap();
    let start = Instant::now();
    let found = within("search", conn.search_all(Search::new("dc=example,dc=com")))
        .await
        .unwrap();
    assert_eq!(found.entries.len(), 1);
    let description = found.entries[0].get("description").unwrap();
    assert_eq!(description.values().next().unwrap().len(), value.len());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn stalled_search_consumer_does_not_stop_other_timeouts() {
    let srv = server::start(|mut p: Peer| async move {
        let Some(search) = p.recv_op().await else {
            return;
        };
        let mut out = Vec::new();
        for i in 0..2_000 {
            out.extend(encode(
                search.id.get(),
                entry(&format!("cn={i},dc=example,dc=com"), &[b'v'; 100]),
            ));
        }
        out.extend(encode(search.id.get(), ProtocolOp::SearchResultDone(ok())));
        let _ = p.send_raw(&out).await;
        let Some(who) = p.recv_op().await else { return };
        let _ = p.send(who.id, whoami_response("dn:cn=late")).await;
        until_closed(p).await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    // Read one entry, then stall: the channel fills up and the driver stops
    // reading the socket.
    assert!(matches!(
        within("first entry", stream.next_item()).await.unwrap(),
        Some(SearchItem::Entry(_))
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    let t = Duration::from_millis(200);
    let err = within("whoami", conn.with(OpOptions::new().timeout(t)).whoami())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { phase: tokio_ldap::Phase::Operation, after: d } if d == t),
        "{err:?}"
    );
    assert!(
        start.elapsed() < t + Duration::from_millis(800),
        "{:?}",
        start.elapsed()
    );
    // The stalled search then completes in full.
    let mut n = 1;
    while let Some(item) = within("entry", stream.next_item()).await.unwrap() {
        assert!(matches!(item, SearchItem::Entry(_)));
        n += 1;
    }
    assert_eq!(n, 2_000);
}

#[tokio::test]
async fn unbind_while_a_search_consumer_is_stalled() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = server::start(move |mut p: Peer| {
        let tx = tx.clone();
        async move {
            let Some(search) = p.recv_op().await else {
                return;
            };
            let mut out = Vec::new();
            for i in 0..500 {
                out.extend(encode(
                    search.id.get(),
                    entry(&format!("cn={i},dc=example,dc=com"), &[b'v'; 100]),
                ));
            }
            let _ = p.send_raw(&out).await;
            while let Some(m) = p.recv().await {
                let _ = tx.send(Some(m.op));
            }
            let _ = tx.send(None);
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    assert!(matches!(
        within("first entry", stream.next_item()).await.unwrap(),
        Some(SearchItem::Entry(_))
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The consumer holds its stream without reading: unbind still returns
    // and the socket is closed.
    within("unbind", conn.clone().unbind()).await.unwrap();
    assert_eq!(
        within("server", rx.recv()).await,
        Some(Some(ProtocolOp::UnbindRequest))
    );
    assert_eq!(within("server", rx.recv()).await, Some(None));
    // What was decoded is still delivered, then the reason.
    let mut n = 1;
    let err = loop {
        match within("entry", stream.next_item()).await {
            Ok(Some(SearchItem::Entry(_))) => n += 1,
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert!(n > 64, "only {n} entries");
    assert!(matches!(err, Error::Closed(_)), "{err:?}");
    assert_eq!(err.to_string(), "connection closed: unbind was requested");
    let later = within("later", conn.whoami()).await.unwrap_err();
    assert_eq!(
        later.to_string(),
        "connection closed: the connection was unbound"
    );
}

#[tokio::test]
async fn server_floods_while_the_client_writes_a_4mb_request() {
    const ENTRIES: usize = 10_000;
    const VALUE: usize = 4 << 20;
    let _heavy = HEAVY.lock().await;
    let srv = server::start(|mut p: Peer| async move {
        let Some(search) = p.recv_op().await else {
            return;
        };
        // ~10 MB of entries before reading anything else: the client is
        // writing its add meanwhile and must keep reading.
        let mut out = Vec::with_capacity(64 * 1024);
        for i in 0..ENTRIES {
            out.extend(encode(
                search.id.get(),
                entry(&format!("cn={i},dc=example,dc=com"), &[b'e'; 1000]),
            ));
            if out.len() >= 32 * 1024 {
                if p.send_raw(&out).await.is_err() {
                    return;
                }
                out.clear();
            }
        }
        let _ = p.send_raw(&out).await;
        let Some(add) = p.recv_op().await else { return };
        let ProtocolOp::AddRequest(req) = &add.op else {
            panic!("expected the add, got {:?}", add.op)
        };
        let len = req.attributes[0].values[0].len();
        let code = if len == VALUE {
            ResultCode::SUCCESS
        } else {
            ResultCode::PROTOCOL_ERROR
        };
        let _ = p
            .send(add.id, ProtocolOp::AddResponse(LdapResult::new(code)))
            .await;
        let _ = p.send(search.id, ProtocolOp::SearchResultDone(ok())).await;
        until_closed(p).await;
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    let consume = async {
        let mut n = 0;
        while let Some(item) = stream.next_item().await.unwrap() {
            assert!(matches!(item, SearchItem::Entry(_)));
            n += 1;
        }
        n
    };
    let big = Attribute::new("jpegPhoto", [vec![0x5a; VALUE]]);
    let add = conn.add("cn=big,dc=example,dc=com", vec![big]);
    let (n, added) = tokio::join!(within("search", consume), within("add", add));
    added.unwrap();
    assert_eq!(n, ENTRIES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_of_a_million_small_entries_keeps_memory_bounded() {
    const ENTRIES: usize = 1_000_000;
    let _heavy = HEAVY.lock().await;
    // One entry of ~110 bytes, with a 7-digit counter patched into its DN.
    let template = encode(2, entry("uid=u0000000,dc=example,dc=com", &[b's'; 60]));
    let at = template.windows(8).position(|w| w == b"u0000000").unwrap() + 1;
    let written = Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    let srv = server::start(move |mut p: Peer| {
        let (w, template) = (w.clone(), template.clone());
        async move {
            // The warm-up compare, then the search.
            let Some(m) = p.recv_op().await else { return };
            let r = LdapResult::new(ResultCode::COMPARE_FALSE);
            let _ = p.send(m.id, ProtocolOp::CompareResponse(r)).await;
            let Some(m) = p.recv_op().await else { return };
            let mut out = Vec::with_capacity(64 * 1024);
            for i in 0..ENTRIES {
                let start = out.len();
                out.extend_from_slice(&template);
                let mut n = i;
                for d in out[start + at..start + at + 7].iter_mut().rev() {
                    *d = b'0' + (n % 10) as u8;
                    n /= 10;
                }
                if out.len() >= 32 * 1024 {
                    if p.send_raw(&out).await.is_err() {
                        return;
                    }
                    w.store(i + 1, Ordering::Relaxed);
                    out.clear();
                }
            }
            out.extend(encode(m.id.get(), ProtocolOp::SearchResultDone(ok())));
            let _ = p.send_raw(&out).await;
            w.store(ENTRIES, Ordering::Relaxed);
            until_closed(p).await;
        }
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    // Warm up (ID 1), then measure from here.
    assert!(!conn.compare("cn=x", "cn", "x").await.unwrap());
    let base = crate::load::rss_bytes();
    let mut stream = conn.search(Search::new("dc=example,dc=com")).await.unwrap();
    let (mut got, mut max_lead, mut max_rss) = (0usize, 0usize, 0u64);
    let start = Instant::now();
    while let Some(item) = stream.next_item().await.unwrap() {
        let SearchItem::Entry(e) = item else {
            panic!("expected an entry")
        };
        if got % 50_000 == 0 {
            assert_eq!(e.dn, format!("uid=u{got:07},dc=example,dc=com"));
        }
        got += 1;
        if got % 10_000 == 0 {
            // A slow consumer.
            tokio::time::sleep(Duration::from_millis(5)).await;
            max_lead = max_lead.max(written.load(Ordering::Relaxed).saturating_sub(got));
        }
        if got % 20_000 == 0 {
            max_rss = max_rss.max(crate::load::rss_bytes().saturating_sub(base));
        }
    }
    let took = start.elapsed();
    assert_eq!(got, ENTRIES);
    assert_eq!(stream.done().unwrap().result.code, ResultCode::SUCCESS);
    eprintln!(
        "1,000,000 entries in {took:?}; max lead {max_lead} entries; max RSS growth {} KiB",
        max_rss / 1024
    );
    // ~110 MB went through. The server can only run ahead by what the
    // socket buffers (a few MB on loopback), the driver's read buffer and
    // the search channel hold; the process never holds the result.
    assert!(
        max_lead < ENTRIES / 5,
        "server ran {max_lead} entries ahead"
    );
    assert!(max_rss < 48 << 20, "RSS grew by {} MiB", max_rss >> 20);
}
