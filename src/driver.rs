//! The task that owns a connection's socket and its state machine.
//!
//! The driver is a hand-written poll loop rather than a `select!`: in one
//! pass it takes new commands and cancellations, delivers events to the
//! operations waiting for them, fires deadlines, writes what the state
//! machine produced and reads what the server sent. Writing never stops
//! reading. When a search consumer falls behind, its bounded channel fills
//! up, and the driver stops reading the socket until the consumer catches
//! up: memory stays bounded and TCP flow control slows the server down.
//! Meanwhile the other operations still get what is already decoded, and
//! their deadlines still fire.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc::error::{SendError, TrySendError};
use tokio::sync::mpsc::{self, OwnedPermit};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};
use zeroize::Zeroize;

use crate::conn::{Connection, Event};
use crate::proto::{
    ByteString, Control, IntermediateResponse, LdapMessage, MessageId, ProtocolOp,
    SearchResultEntry,
};
use crate::tls::{self, HandshakeRecord, PreparedTls, TlsInfo, TlsMode};
use crate::transport::{self, Secured, Transport};
use crate::Error;

/// How many bytes to ask the socket for at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A request from a handle to the driver.
#[allow(clippy::large_enum_variant)] // moved once, through a bounded channel
pub(crate) enum Command {
    Op {
        op: ProtocolOp,
        controls: Vec<Control>,
        timeout: Option<Duration>,
        token: u64,
        sink: Sink,
    },
    Unbind(oneshot::Sender<()>),
}

/// Where the responses of an operation go.
pub(crate) enum Sink {
    Single(oneshot::Sender<Result<LdapMessage, Error>>),
    Search(mpsc::Sender<SearchBatch>),
    StartTls(oneshot::Sender<Result<TlsInfo, Error>>),
}

/// What a search stream receives.
#[derive(Debug)]
pub(crate) enum SearchEvent {
    Entry(SearchResultEntry, Vec<Control>),
    Reference(Vec<ByteString>, Vec<Control>),
    Intermediate(IntermediateResponse, Vec<Control>),
    Done(Result<LdapMessage, Error>),
}

/// The events of one search decoded from one read of the socket, handed
/// over in one channel message: the consumer is woken once per read, not
/// once per entry.
pub(crate) type SearchBatch = Vec<SearchEvent>;

/// State shared between the driver and the handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) tls_info: Mutex<Option<TlsInfo>>,
    pub(crate) secure: std::sync::atomic::AtomicBool,
    pub(crate) closed_with: Mutex<Option<Error>>,
}

/// Everything needed to run StartTLS on this connection.
pub(crate) struct StartTlsContext {
    pub(crate) tls: Arc<PreparedTls>,
    pub(crate) url: String,
    pub(crate) host: String,
}

type ReserveFut =
    Pin<Box<dyn Future<Output = Result<OwnedPermit<SearchBatch>, SendError<()>>> + Send>>;

/// Events for a search whose channel is full, waiting for room. They go
/// out as one batch when there is.
struct Backlog {
    events: SearchBatch,
    reserve: ReserveFut,
}

/// Events for a search gathered during one pass, sent when the pass has
/// handed out everything the machine decoded.
struct Staged {
    id: MessageId,
    tx: mpsc::Sender<SearchBatch>,
    events: SearchBatch,
}
type UpgradeFut = Pin<Box<dyn Future<Output = Result<Secured, Error>> + Send>>;

pub(crate) struct Driver {
    machine: Connection,
    transport: Option<Transport>,
    upgrade: Option<UpgradeFut>,
    starttls: Option<StartTlsContext>,
    starttls_reply: Option<oneshot::Sender<Result<TlsInfo, Error>>>,
    cmd_rx: mpsc::Receiver<Command>,
    cmds_open: bool,
    cancel_rx: mpsc::UnboundedReceiver<u64>,
    sinks: HashMap<MessageId, Sink>,
    tokens: HashMap<u64, MessageId>,
    /// The reverse of `tokens`.
    token_of: HashMap<MessageId, u64>,
    rbuf: BytesMut,
    /// Where the transport reads into, zeroed once: reading straight into
    /// `rbuf` meant zeroing a fresh `READ_CHUNK` of it on every poll (also
    /// the many that find nothing to read), which cost more than copying
    /// the bytes actually read.
    scratch: Box<[u8]>,
    wbuf: Vec<u8>,
    wpos: usize,
    /// Searches whose consumer fell behind. While there are any, the
    /// socket is not read.
    backlog: HashMap<MessageId, Backlog>,
    /// Search events of the current pass, one batch per search.
    staged: Vec<Staged>,
    /// Bytes were handed to the transport since its last completed flush.
    /// A TLS stream may accept a write into its buffer and return `Ready`
    /// while the socket write itself is pending (a full socket buffer, or
    /// tokio's cooperative budget running out): those records go out only
    /// on a flush, which must be retried until it completes.
    unflushed: bool,
    sleep: Pin<Box<Sleep>>,
    record: Option<Arc<Mutex<HandshakeRecord>>>,
    received_any: bool,
    read_closed: bool,
    unbind_replies: Vec<oneshot::Sender<()>>,
    shared: Arc<Shared>,
}

impl Driver {
    #[allow(clippy::too_many_arguments)] // one constructor, called once
    pub(crate) fn new(
        machine: Connection,
        transport: Transport,
        record: Option<Arc<Mutex<HandshakeRecord>>>,
        starttls: Option<StartTlsContext>,
        cmd_rx: mpsc::Receiver<Command>,
        cancel_rx: mpsc::UnboundedReceiver<u64>,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            machine,
            transport: Some(transport),
            upgrade: None,
            starttls,
            starttls_reply: None,
            cmd_rx,
            cmds_open: true,
            cancel_rx,
            sinks: HashMap::new(),
            tokens: HashMap::new(),
            token_of: HashMap::new(),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            wbuf: Vec::new(),
            wpos: 0,
            backlog: HashMap::new(),
            staged: Vec::new(),
            unflushed: false,
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            record,
            received_any: false,
            read_closed: false,
            unbind_replies: Vec::new(),
            shared,
        }
    }

    /// Runs the connection to its end.
    pub(crate) async fn run(mut self) {
        std::future::poll_fn(|cx| self.poll_drive(cx)).await;
        if let Some(err) = self.machine.closed_with() {
            tracing::debug!(error = %err, "connection closed");
        }
    }

    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = false;
            progress |= self.poll_commands(cx);
            progress |= self.poll_cancels(cx);
            progress |= self.deliver(cx);
            progress |= self.poll_deadline(cx);
            progress |= self.poll_upgrade(cx);
            let (wrote, write_failed) = self.poll_write(cx);
            progress |= wrote;
            if write_failed {
                continue;
            }
            if self.finished() {
                return self.poll_close(cx);
            }
            progress |= self.poll_read(cx);
            if !progress {
                return Poll::Pending;
            }
        }
    }

    /// Whether the driver has nothing left to do but close the socket (and
    /// hand the searches that fell behind what they have not taken yet).
    fn finished(&self) -> bool {
        let done = self.machine.is_closed() || (!self.cmds_open && self.machine.pending_len() == 0);
        done && !self.machine.wants_write()
            && self.wpos >= self.wbuf.len()
            && self.upgrade.is_none()
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.machine.is_closed() {
            // Every handle is gone: say goodbye (RFC 4511 §4.3).
            self.machine.unbind();
            return self.poll_drive(cx);
        }
        // Drain anything still queued for the handles.
        while let Some(ev) = self.machine.poll_event() {
            self.dispatch(ev);
        }
        self.send_staged();
        if let Some(t) = self.transport.as_mut() {
            if Pin::new(t).poll_shutdown(cx).is_pending() {
                return Poll::Pending;
            }
        }
        self.transport = None;
        let reason = self
            .machine
            .closed_with()
            .cloned()
            .unwrap_or_else(|| Error::Closed("the connection was unbound".into()));
        *crate::sync::lock(&self.shared.closed_with) = Some(reason);
        for r in self.unbind_replies.drain(..) {
            let _ = r.send(());
        }
        // The socket is closed and unbind has returned; a search consumer
        // that fell behind still gets the entries decoded for it, then the
        // reason the connection ended. (`deliver` until it stalls, so that
        // every reservation it made is registered for a wake-up.)
        while self.deliver(cx) {}
        if self.backlog.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn poll_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while self.cmds_open {
            match self.cmd_rx.poll_recv(cx) {
                Poll::Ready(Some(cmd)) => {
                    progress = true;
                    self.command(cmd);
                }
                Poll::Ready(None) => {
                    progress = true;
                    self.cmds_open = false;
                }
                Poll::Pending => break,
            }
        }
        progress
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Op {
                op,
                controls,
                timeout,
                token,
                sink,
            } => {
                let span = tracing::debug_span!("ldap_op", op = crate::conn::op_name(&op));
                let _e = span.enter();
                match self
                    .machine
                    .submit(op, controls, std::time::Instant::now(), timeout)
                {
                    Ok(id) => {
                        tracing::trace!(message_id = id.0, "submitted");
                        self.tokens.insert(token, id);
                        self.token_of.insert(id, token);
                        self.sinks.insert(id, sink);
                    }
                    Err(e) => fail_sink(sink, e),
                }
            }
            Command::Unbind(reply) => {
                self.machine.unbind();
                self.unbind_replies.push(reply);
            }
        }
    }

    fn poll_cancels(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while let Poll::Ready(Some(token)) = self.cancel_rx.poll_recv(cx) {
            progress = true;
            if let Some(id) = self.tokens.remove(&token) {
                self.token_of.remove(&id);
                self.sinks.remove(&id);
                self.machine.abandon(id);
            }
        }
        progress
    }

    /// Hands events to the operations. Events for a search whose channel
    /// is full wait in its backlog; the others go out at once.
    fn deliver(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        let waiting: Vec<MessageId> = self.backlog.keys().copied().collect();
        for id in waiting {
            progress |= self.poll_backlog(id, cx);
        }
        while let Some(ev) = self.machine.poll_event() {
            progress = true;
            self.dispatch(ev);
        }
        self.send_staged();
        progress
    }

    /// Sends each search the batch gathered for it in this pass; a full
    /// channel turns the batch into that search's backlog.
    fn send_staged(&mut self) {
        let staged = std::mem::take(&mut self.staged);
        for Staged { id, tx, events } in staged {
            match tx.try_send(events) {
                Ok(()) => {}
                Err(TrySendError::Full(events)) => {
                    let backlog = Backlog {
                        events,
                        reserve: Box::pin(tx.reserve_owned()),
                    };
                    self.backlog.insert(id, backlog);
                }
                Err(TrySendError::Closed(_)) => self.stream_gone(id),
            }
        }
    }

    /// Moves a search's backlog into its channel as room appears.
    fn poll_backlog(&mut self, id: MessageId, cx: &mut Context<'_>) -> bool {
        let Some(mut backlog) = self.backlog.remove(&id) else {
            return false;
        };
        let permit = match backlog.reserve.as_mut().poll(cx) {
            Poll::Pending => {
                self.backlog.insert(id, backlog);
                return false;
            }
            Poll::Ready(Ok(permit)) => permit,
            Poll::Ready(Err(_)) => {
                self.stream_gone(id);
                return true;
            }
        };
        if !backlog.events.is_empty() {
            permit.send(backlog.events);
        }
        true
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Entry(id, e, c) => self.forward(id, SearchEvent::Entry(e, c)),
            Event::Reference(id, r, c) => self.forward(id, SearchEvent::Reference(r, c)),
            Event::Intermediate(id, ir, c) => self.forward(id, SearchEvent::Intermediate(ir, c)),
            Event::Done(id, res) => {
                match &res {
                    Ok(msg) => tracing::debug!(
                        message_id = id.0,
                        op = crate::conn::op_name(&msg.op),
                        code = %result_code(&msg.op),
                        "operation done"
                    ),
                    Err(e) => tracing::debug!(message_id = id.0, error = %e, "operation failed"),
                }
                if let Some(token) = self.token_of.remove(&id) {
                    self.tokens.remove(&token);
                }
                match self.sinks.remove(&id) {
                    Some(Sink::Single(tx)) => {
                        let _ = tx.send(res);
                    }
                    Some(Sink::Search(tx)) => {
                        self.sinks.insert(id, Sink::Search(tx));
                        self.forward(id, SearchEvent::Done(res));
                        self.sinks.remove(&id);
                    }
                    Some(Sink::StartTls(tx)) => match res {
                        Ok(msg) => match starttls_result(msg) {
                            Ok(()) => self.starttls_reply = Some(tx),
                            Err(e) => {
                                let _ = tx.send(Err(e));
                            }
                        },
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    },
                    None => {}
                }
            }
            Event::Unsolicited(resp) => {
                tracing::warn!(
                    name = resp.name.as_deref().unwrap_or(""),
                    code = %resp.result.code,
                    "ignoring an unsolicited notification"
                );
            }
            Event::StartTlsReady => self.begin_upgrade(),
        }
    }

    /// Adds an event to the search's batch for this pass, or to its
    /// backlog when it has fallen behind.
    fn forward(&mut self, id: MessageId, ev: SearchEvent) {
        if let Some(backlog) = self.backlog.get_mut(&id) {
            backlog.events.push(ev);
        } else if let Some(s) = self.staged.iter_mut().find(|s| s.id == id) {
            s.events.push(ev);
        } else if let Some(Sink::Search(tx)) = self.sinks.get(&id) {
            self.staged.push(Staged {
                id,
                tx: tx.clone(),
                events: vec![ev],
            });
        }
    }

    /// The consumer of a search dropped its stream: abandon the search.
    fn stream_gone(&mut self, id: MessageId) {
        self.sinks.remove(&id);
        if let Some(token) = self.token_of.remove(&id) {
            self.tokens.remove(&token);
        }
        self.machine.abandon(id);
    }

    fn begin_upgrade(&mut self) {
        let reply = self.starttls_reply.take();
        let fail =
            |this: &mut Self, e: Error, reply: Option<oneshot::Sender<Result<TlsInfo, Error>>>| {
                if let Some(r) = reply {
                    let _ = r.send(Err(e.clone()));
                }
                this.machine.handle_close(e);
            };
        if !self.rbuf.is_empty() {
            // RFC 4511 §4.14.2: the TLS handshake begins right after the
            // StartTLS response. Bytes in between came in clear text, from
            // the server or from someone on the path, and must not be
            // mistaken for part of the protected stream.
            let err = crate::ProtocolError::DataAfterStartTls {
                len: self.rbuf.len(),
            };
            return fail(self, Error::Protocol(err), reply);
        }
        let Some(ctx) = self.starttls.as_ref() else {
            return fail(
                self,
                Error::Config("StartTLS is not configured".into()),
                reply,
            );
        };
        let tcp = match self.transport.take() {
            Some(Transport::Tcp(tcp)) => tcp,
            other => {
                self.transport = other;
                return fail(
                    self,
                    Error::InvalidInput("TLS is already active".into()),
                    reply,
                );
            }
        };
        let (tls, url, host) = (ctx.tls.clone(), ctx.url.clone(), ctx.host.clone());
        self.starttls_reply = reply;
        self.upgrade = Some(Box::pin(async move {
            transport::secure(tcp, &tls, &url, &host, TlsMode::StartTls).await
        }));
    }

    fn poll_upgrade(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(fut) = self.upgrade.as_mut() else {
            return false;
        };
        let Poll::Ready(res) = fut.as_mut().poll(cx) else {
            return false;
        };
        self.upgrade = None;
        let reply = self.starttls_reply.take();
        match res {
            Ok(secured) => {
                self.transport = Some(Transport::Tls(secured.stream));
                self.record = Some(secured.record);
                self.received_any = false;
                *crate::sync::lock(&self.shared.tls_info) = Some(secured.info.clone());
                self.shared
                    .secure
                    .store(true, std::sync::atomic::Ordering::Release);
                self.machine.tls_established();
                if let Some(r) = reply {
                    let _ = r.send(Ok(secured.info));
                }
            }
            Err(e) => {
                if let Some(r) = reply {
                    let _ = r.send(Err(e.clone()));
                }
                self.machine.handle_close(e);
            }
        }
        true
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.machine.poll_timeout() else {
            return false;
        };
        let deadline = Instant::from_std(deadline);
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.machine.handle_timeout(std::time::Instant::now());
            return true;
        }
        false
    }

    /// Returns (progress, failed).
    fn poll_write(&mut self, cx: &mut Context<'_>) -> (bool, bool) {
        if self.upgrade.is_some() {
            return (false, false);
        }
        let Some(t) = self.transport.as_mut() else {
            return (false, false);
        };
        if self.wpos >= self.wbuf.len() {
            // What was sent may have held a password: wipe it, not just
            // forget it.
            self.wbuf.zeroize();
            self.wpos = 0;
            self.machine.poll_transmit(&mut self.wbuf);
            if self.wbuf.is_empty() && !self.unflushed {
                return (false, false);
            }
        }
        let mut progress = false;
        while self.wpos < self.wbuf.len() {
            let chunk = self.wbuf.get(self.wpos..).unwrap_or_default();
            match Pin::new(&mut *t).poll_write(cx, chunk) {
                Poll::Ready(Ok(0)) => {
                    let err = std::io::Error::new(
                        std::io::ErrorKind::WriteZero,
                        "socket closed while writing",
                    );
                    self.transport_failed(err.into());
                    return (true, true);
                }
                Poll::Ready(Ok(n)) => {
                    self.wpos += n;
                    self.unflushed = true;
                    progress = true;
                }
                Poll::Ready(Err(e)) => {
                    let err = self.diagnose_close(Some(e));
                    self.transport_failed(err);
                    return (true, true);
                }
                Poll::Pending => return (progress, false),
            }
        }
        // Pending: the transport wakes us when it can go on, and the flush
        // is retried on the next pass even if nothing new is queued.
        match Pin::new(&mut *t).poll_flush(cx) {
            Poll::Ready(Ok(())) => self.unflushed = false,
            Poll::Ready(Err(e)) => {
                let err = self.diagnose_close(Some(e));
                self.transport_failed(err);
                return (true, true);
            }
            Poll::Pending => {}
        }
        (progress, false)
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.backlog.is_empty()
            || self.upgrade.is_some()
            || self.machine.is_upgrading()
            || self.read_closed
            || self.machine.is_closed()
        {
            return false;
        }
        let Some(t) = self.transport.as_mut() else {
            return false;
        };
        let mut rb = ReadBuf::new(&mut self.scratch);
        let res = Pin::new(t).poll_read(cx, &mut rb);
        let filled = rb.filled().len();
        if let Some(read) = self.scratch.get(..filled) {
            self.rbuf.extend_from_slice(read);
        }
        match res {
            Poll::Pending => false,
            Poll::Ready(Ok(())) if filled == 0 => {
                self.read_closed = true;
                let err = self.diagnose_close(None);
                self.transport_failed(err);
                true
            }
            Poll::Ready(Ok(())) => {
                self.received_any = true;
                self.machine.handle_input(&mut self.rbuf);
                true
            }
            Poll::Ready(Err(e)) => {
                self.read_closed = true;
                let err = self.diagnose_close(Some(e));
                self.transport_failed(err);
                true
            }
        }
    }

    /// Why the stream ended: a rejected client certificate when the server
    /// asked for one and closed before saying anything, else the IO error
    /// or a plain close.
    fn diagnose_close(&self, io: Option<std::io::Error>) -> Error {
        if !self.received_any {
            if let Some(rec) = &self.record {
                let rec = tls::lock(rec);
                let explained = match &io {
                    Some(e) => tls::read_error_after_handshake(e, &rec),
                    None => tls::closed_after_handshake(&rec),
                };
                if let Some(err) = explained {
                    return err;
                }
            }
        }
        match io {
            Some(e) => Error::Io(Arc::new(e)),
            None if self.rbuf.is_empty() => {
                Error::Closed("the server closed the connection".into())
            }
            None => Error::Protocol(crate::ProtocolError::Truncated(self.rbuf.len())),
        }
    }

    fn transport_failed(&mut self, err: Error) {
        self.wbuf.clear();
        self.wpos = 0;
        self.unflushed = false;
        self.machine.handle_close(err);
        // Nothing more can be sent; drop what the machine still holds.
        let mut discard = Vec::new();
        self.machine.poll_transmit(&mut discard);
    }
}

fn starttls_result(msg: LdapMessage) -> Result<(), Error> {
    match msg.op {
        ProtocolOp::ExtendedResponse(r) if r.result.code.is_success() => Ok(()),
        ProtocolOp::ExtendedResponse(r) => Err(Error::Ldap(Box::new(crate::LdapError {
            operation: "StartTLS",
            result: r.result,
        }))),
        _ => Err(Error::Protocol(crate::ProtocolError::UnexpectedResponse {
            id: msg.id,
            expected: "ExtendedResponse",
            got: msg.op.name(),
        })),
    }
}

/// The result code of a final response, for tracing.
fn result_code(op: &ProtocolOp) -> crate::proto::ResultCode {
    match op {
        ProtocolOp::BindResponse(r) => r.result.code,
        ProtocolOp::ExtendedResponse(r) => r.result.code,
        ProtocolOp::SearchResultDone(r)
        | ProtocolOp::ModifyResponse(r)
        | ProtocolOp::AddResponse(r)
        | ProtocolOp::DelResponse(r)
        | ProtocolOp::ModifyDnResponse(r)
        | ProtocolOp::CompareResponse(r) => r.code,
        _ => crate::proto::ResultCode::OTHER,
    }
}

fn fail_sink(sink: Sink, e: Error) {
    match sink {
        Sink::Single(tx) => {
            let _ = tx.send(Err(e));
        }
        Sink::Search(tx) => {
            let _ = tx.try_send(vec![SearchEvent::Done(Err(e))]);
        }
        Sink::StartTls(tx) => {
            let _ = tx.send(Err(e));
        }
    }
}
