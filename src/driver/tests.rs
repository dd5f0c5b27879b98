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
use crate::proto::extended::WhoAmI;
use crate::proto::{
    DerefAliases, Filter, LdapMessage, LdapResult, ResultCode, Scope, SearchRequest,
    SearchResultEntry,
};

/// A driver on one end of an in-memory stream; the test is the server on
/// the other.
struct Harness {
    /// The only handle; `None` once dropped.
    cmd: Option<mpsc::Sender<Command>>,
    server: DuplexStream,
    buf: BytesMut,
    task: JoinHandle<()>,
}

impl Harness {
    fn start() -> Self {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (cmd, cmd_rx) = mpsc::channel(8);
        let (_cancel, cancel_rx) = mpsc::unbounded_channel();
        let driver = Driver::new(
            Connection::new(Settings::default()),
            Transport::Memory(client),
            None,
            None,
            cmd_rx,
            cancel_rx,
            Arc::new(Shared::default()),
        );
        Self {
            cmd: Some(cmd),
            server,
            buf: BytesMut::new(),
            task: tokio::spawn(driver.run()),
        }
    }

    async fn submit(&self, op: ProtocolOp, timeout: Option<Duration>, token: u64, sink: Sink) {
        let cmd = Command::Op {
            op,
            controls: Vec::new(),
            timeout,
            token,
            sink,
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
        filter: Filter::Present("objectClass".into()),
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
    assert!(matches!(err, Error::Timeout(d) if d == hour), "{err:?}");
    assert_eq!(err.to_string(), "timed out after 3600s");
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
    drop(rx);
    h.submit(search(), None, 1, Sink::Search(tx)).await;
    let sent = h.recv().await;
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
