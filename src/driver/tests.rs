//! The driver against an in-memory stream (no socket), on tokio's paused
//! clock: deadlines fire with no real time passing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;

use super::*;
use crate::ber::frame_len;
use crate::conn::Settings;
use crate::proto::extended::{StartTls, WhoAmI};
use crate::proto::{
    DerefAliases, ExtendedResponse, Filter, LdapMessage, LdapResult, ProtocolOp, ResultCode, Scope,
    SearchRequest, SearchResultEntry,
};
use crate::tls::TlsInfo;
use crate::ProtocolError;

/// A driver on one end of an in-memory stream; the test is the server on
/// the other.
struct Harness {
    /// The only handle; `None` once dropped.
    cmd: Option<mpsc::Sender<Command>>,
    server: DuplexStream,
    buf: BytesMut,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Harness {
    fn start() -> Self {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (cmd, cmd_rx) = mpsc::channel(8);
        let (_cancel, cancel_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let driver = Driver::new(
            Connection::new(Settings::default()),
            Transport::Memory(client),
            None,
            None,
            cmd_rx,
            cancel_rx,
            shared.clone(),
        );
        Self {
            cmd: Some(cmd),
            server,
            buf: BytesMut::new(),
            shared,
            task: tokio::spawn(driver.run()),
        }
    }

    async fn submit(&self, op: ProtocolOp, timeout: Option<Duration>, token: u64, sink: Sink) {
        let cmd = Command::Op {
            request: Request::new(op, Vec::new()).unwrap(),
            started: Instant::now(),
            timeout,
            token,
            sink,
            charge: 0,
        };
        let handle = self.cmd.as_ref().unwrap();
        assert!(handle.send(cmd).await.is_ok());
    }

    /// The next message the driver sent.
    async fn recv(&mut self) -> LdapMessage {
        loop {
            if let Some(len) = frame_len(&self.buf, 1 << 20).unwrap() {
                if len <= self.buf.len() {
                    let frame = self.buf.split_to(len).freeze();
                    return LdapMessage::decode(frame).unwrap();
                }
            }
            let n = self.server.read_buf(&mut self.buf).await.unwrap();
            assert!(n > 0, "the driver closed the stream");
        }
    }

    async fn send(&mut self, msg: LdapMessage) {
        let mut out = Vec::new();
        msg.encode(&mut out);
        self.server.write_all(&out).await.unwrap();
    }

    /// Drops the handle: the driver unbinds and ends.
    async fn finish(mut self) {
        self.cmd = None;
        assert!(matches!(self.recv().await.op, ProtocolOp::UnbindRequest));
        self.task.await.unwrap();
    }
}

fn whoami() -> ProtocolOp {
    ProtocolOp::ExtendedRequest(WhoAmI::request())
}

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

#[tokio::test(start_paused = true)]
async fn an_operation_deadline_fires_on_paused_time_with_no_real_time_passing() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    let mut h = Harness::start();
    let (tx, rx) = oneshot::channel();
    let hour = Duration::from_secs(3600);
    h.submit(whoami(), Some(hour), 1, Sink::Single(tx)).await;
    let sent = h.recv().await;
    assert!(matches!(sent.op, ProtocolOp::ExtendedRequest(_)));

    // The server never answers: the deadline fires once the paused clock
    // reaches it.
    let err = rx.await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Timeout { phase: crate::Phase::Operation, after: d } if d == hour),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the operation timed out after 3600s");
    let waited = start.elapsed();
    assert!(
        waited >= hour && waited < hour + Duration::from_secs(1),
        "{waited:?}"
    );
    assert!(real.elapsed() < Duration::from_secs(60), "real time passed");
    // The operation is abandoned on the server.
    let abandon = h.recv().await;
    assert!(matches!(abandon.op, ProtocolOp::AbandonRequest(id) if id == sent.id));
    h.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_response_before_the_deadline_wins_on_paused_time() {
    let start = Instant::now();
    let mut h = Harness::start();
    let (tx, rx) = oneshot::channel();
    h.submit(whoami(), Some(Duration::from_secs(60)), 1, Sink::Single(tx))
        .await;
    let sent = h.recv().await;
    tokio::time::sleep(Duration::from_secs(59)).await;
    let response = WhoAmI::response(LdapResult::new(ResultCode::SUCCESS), Some("dn:cn=a"));
    h.send(LdapMessage::new(
        sent.id,
        ProtocolOp::ExtendedResponse(response),
    ))
    .await;
    let msg = rx.await.unwrap().unwrap();
    assert_eq!(msg.id, sent.id);
    assert_eq!(start.elapsed(), Duration::from_secs(59));
    // The deadline is gone with the operation: nothing fires later.
    tokio::time::sleep(Duration::from_secs(120)).await;
    h.finish().await;
}

#[tokio::test]
async fn a_search_whose_consumer_is_gone_is_abandoned_on_the_server() {
    let mut h = Harness::start();
    let (tx, rx) = mpsc::channel(4);
    h.submit(search(), None, 1, Sink::Search(tx)).await;
    let sent = h.recv().await;
    drop(rx);
    let entry = SearchResultEntry::new("cn=a,dc=example,dc=com", vec![]);
    h.send(LdapMessage::new(
        sent.id,
        ProtocolOp::SearchResultEntry(entry),
    ))
    .await;
    let abandon = h.recv().await;
    assert!(matches!(abandon.op, ProtocolOp::AbandonRequest(id) if id == sent.id));
    h.finish().await;
}

#[tokio::test]
async fn a_request_whose_caller_is_gone_before_it_is_taken_is_never_sent() {
    let mut h = Harness::start();
    let (tx, rx) = oneshot::channel();
    drop(rx);
    h.submit(whoami(), None, 1, Sink::Single(tx)).await;
    let (tx, rx) = oneshot::channel();
    h.submit(search(), None, 2, Sink::Single(tx)).await;
    // Only the search goes out, as message 1.
    let sent = h.recv().await;
    assert_eq!(sent.id, MessageId(1));
    assert!(matches!(sent.op, ProtocolOp::SearchRequest(_)), "{sent:?}");
    let done = ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS));
    h.send(LdapMessage::new(sent.id, done)).await;
    assert!(rx.await.unwrap().is_ok());
    h.finish().await;
}

fn starttls() -> ProtocolOp {
    ProtocolOp::ExtendedRequest(StartTls::request())
}

/// Sends StartTLS and answers it with `response`; returns what the caller
/// got.
async fn starttls_answered(h: &mut Harness, response: ExtendedResponse) -> Result<TlsInfo, Error> {
    let (tx, rx) = oneshot::channel();
    h.submit(starttls(), None, 1, Sink::StartTls(tx)).await;
    let sent = h.recv().await;
    assert!(matches!(sent.op, ProtocolOp::ExtendedRequest(_)));
    h.send(LdapMessage::new(
        sent.id,
        ProtocolOp::ExtendedResponse(response),
    ))
    .await;
    rx.await.unwrap()
}

/// The connection failed with `text`: the driver closes the stream (with
/// no Unbind) and ends, leaving the reason for the handles.
async fn failed_with(mut h: Harness, text: &str) {
    let mut rest = Vec::new();
    h.server.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "nothing more is sent: {rest:?}");
    h.task.await.unwrap();
    let reason = h.shared.closed_with.lock().unwrap().clone().unwrap();
    assert_eq!(reason.to_string(), text);
}

#[tokio::test]
async fn a_refused_starttls_leaves_the_connection_usable() {
    let mut h = Harness::start();
    let refusal = StartTls::response(LdapResult::new(ResultCode::UNAVAILABLE));
    let err = starttls_answered(&mut h, refusal).await.unwrap_err();
    assert!(
        matches!(&err, Error::Ldap(e) if e.operation == "StartTLS"),
        "{err:?}"
    );
    let (tx, rx) = oneshot::channel();
    h.submit(whoami(), None, 2, Sink::Single(tx)).await;
    let sent = h.recv().await;
    let response = WhoAmI::response(LdapResult::new(ResultCode::SUCCESS), None);
    h.send(LdapMessage::new(
        sent.id,
        ProtocolOp::ExtendedResponse(response),
    ))
    .await;
    assert!(rx.await.unwrap().is_ok());
    h.finish().await;
}

#[tokio::test]
async fn a_malformed_starttls_success_fails_the_connection() {
    // RFC 4511 §4.14.2: "The responseValue is always absent".
    let mut h = Harness::start();
    let mut response = StartTls::response(LdapResult::new(ResultCode::SUCCESS));
    response.value = Some(bytes::Bytes::from_static(b"x"));
    let err = starttls_answered(&mut h, response).await.unwrap_err();
    let text = "protocol error: malformed message from server: \
                invalid value: a StartTLS response has no value at byte 0";
    assert!(
        matches!(err, Error::Protocol(ProtocolError::Decode(_))),
        "{err:?}"
    );
    assert_eq!(err.to_string(), text);
    failed_with(h, text).await;

    // A response that names another operation.
    let mut h = Harness::start();
    let mut response = StartTls::response(LdapResult::new(ResultCode::SUCCESS));
    response.name = Some(crate::proto::extended::WHO_AM_I.into());
    let err = starttls_answered(&mut h, response).await.unwrap_err();
    let text = "protocol error: malformed message from server: \
                invalid value: the message names another operation at byte 0";
    assert_eq!(err.to_string(), text);
    failed_with(h, text).await;
}

#[tokio::test]
async fn a_starttls_success_without_tls_settings_fails_the_connection() {
    let mut h = Harness::start();
    let response = StartTls::response(LdapResult::new(ResultCode::SUCCESS));
    let err = starttls_answered(&mut h, response).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.ends_with("StartTLS is not configured"), "{text}");
    failed_with(h, &text).await;
}

#[tokio::test(start_paused = true)]
async fn a_search_that_falls_behind_stops_the_reading_until_its_consumer_catches_up() {
    let mut h = Harness::start();
    let (tx, mut rx) = mpsc::channel(1);
    h.submit(search(), None, 1, Sink::Search(tx)).await;
    let s = h.recv().await.id;
    let (tx, mut who) = oneshot::channel();
    h.submit(whoami(), None, 2, Sink::Single(tx)).await;
    let w = h.recv().await.id;
    let entry = |dn: &str| {
        let e = SearchResultEntry::new(dn, vec![]);
        LdapMessage::new(s, ProtocolOp::SearchResultEntry(e))
    };
    let pause = || tokio::time::sleep(Duration::from_secs(1));
    // The first batch fills the channel; the second waits in the backlog.
    h.send(entry("cn=1")).await;
    pause().await;
    h.send(entry("cn=2")).await;
    pause().await;
    // The socket is not read meanwhile: the answer to the other operation
    // stays in it.
    let response = WhoAmI::response(LdapResult::new(ResultCode::SUCCESS), None);
    h.send(LdapMessage::new(w, ProtocolOp::ExtendedResponse(response)))
        .await;
    pause().await;
    assert!(matches!(
        who.try_recv(),
        Err(oneshot::error::TryRecvError::Empty)
    ));
    // The consumer takes a batch: the backlog moves, reading resumes.
    let dns = |batch: SearchBatch| -> Vec<String> {
        batch
            .iter()
            .map(|ev| match ev {
                SearchEvent::Entry(e, _) => e.dn.to_string(),
                SearchEvent::Done(Ok(_)) => "done".to_owned(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(dns(rx.recv().await.unwrap()), ["cn=1"]);
    assert_eq!(who.await.unwrap().unwrap().id, w);
    assert_eq!(dns(rx.recv().await.unwrap()), ["cn=2"]);
    let done = ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS));
    h.send(LdapMessage::new(s, done)).await;
    assert_eq!(dns(rx.recv().await.unwrap()), ["done"]);
    h.finish().await;
}

/// Counts the WARN events of the driver and notes the `suppressed` field
/// of each.
struct Warnings(Arc<Mutex<Vec<u64>>>);

struct Suppressed(u64);

impl tracing::field::Visit for Suppressed {
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if field.name() == "suppressed" {
            self.0 = value;
        }
    }

    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            let mut s = Suppressed(u64::MAX);
            event.record(&mut s);
            self.0.lock().unwrap().push(s.0);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Answers the WhoAmI the driver sent after `notices` unsolicited
/// notifications.
async fn notices_then_answer(h: &mut Harness, notices: usize) {
    let (tx, rx) = oneshot::channel();
    h.submit(whoami(), None, 1, Sink::Single(tx)).await;
    let sent = h.recv().await;
    let mut out = Vec::new();
    for _ in 0..notices {
        let notice = ExtendedResponse {
            result: LdapResult::new(ResultCode::UNAVAILABLE),
            name: Some("1.3.6.1.4.1.99999.1".into()),
            value: None,
        };
        LdapMessage::new(MessageId::UNSOLICITED, ProtocolOp::ExtendedResponse(notice))
            .encode(&mut out);
    }
    let response = WhoAmI::response(LdapResult::new(ResultCode::SUCCESS), None);
    LdapMessage::new(sent.id, ProtocolOp::ExtendedResponse(response)).encode(&mut out);
    h.server.write_all(&out).await.unwrap();
    rx.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_flood_of_unsolicited_notifications_logs_one_warning_a_minute() {
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(Warnings(warnings.clone()));
    let mut h = Harness::start();
    notices_then_answer(&mut h, 5_000).await;
    assert_eq!(*warnings.lock().unwrap(), [0], "one warning for the first");
    tokio::time::sleep(Duration::from_secs(61)).await;
    notices_then_answer(&mut h, 5_000).await;
    // A minute later, one more, counting the 4,999 ignored in between.
    assert_eq!(*warnings.lock().unwrap(), [0, 4_999]);
    h.finish().await;
}

/// The one unsafe call: with the receive low-water mark raised, the kernel
/// holds back the readiness of a socket that has fewer bytes than the
/// mark, and reports it once the mark is lowered (what collects the tail
/// of a streamed result on Linux).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[tokio::test]
async fn a_raised_low_water_mark_holds_readiness_back_until_it_is_lowered() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    lowat::set_recv_lowat(&client, 64 * 1024).unwrap();
    server.write_all(&[7u8; 100]).await.unwrap();
    let held = tokio::time::timeout(Duration::from_millis(200), client.readable()).await;
    assert!(held.is_err(), "readable below the mark");
    lowat::set_recv_lowat(&client, 1).unwrap();
    tokio::time::timeout(Duration::from_secs(5), client.readable())
        .await
        .expect("not reported readable after the mark was lowered")
        .unwrap();
    let mut buf = [0u8; 256];
    assert_eq!(client.try_read(&mut buf).unwrap(), 100);
}

/// A mark of zero is taken as one (the kernel's default), never refused.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[tokio::test]
async fn a_low_water_mark_of_zero_is_the_default_of_one() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    lowat::set_recv_lowat(&client, 0).unwrap();
    server.write_all(&[1u8]).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), client.readable())
        .await
        .expect("one byte not reported readable")
        .unwrap();
}
