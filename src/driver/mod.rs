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
//!
//! Writing is bounded too: a handle takes a request's size from the
//! connection's write budget ([`Shared::write_budget`]) before handing it
//! over, and the driver gives it back as the bytes reach the socket; a
//! request whose caller is gone by the time the driver takes it is not
//! sent. After every read, whatever TLS wants to send in answer (an alert
//! refusing a renegotiation) is flushed at once. Once the connection is
//! over, its last bytes get [`CLOSE_LINGER`] to go out, then the socket
//! closes regardless.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Driver`] and its poll loop: commands, cancellations, events, deadlines |
//! | `router` | where responses go: routes by message ID and token, staging, backlog |
//! | `io.rs` | the transport: read, write and flush, why the stream ended; batched reads while a search streams |
//! | `lowat.rs` | the socket's receive low-water mark (the crate's one `unsafe` call) |
//! | `starttls.rs` | the StartTLS response, the handshake, the reply |
//! | `shared.rs` | what the driver and the handles both see |

mod io;
// The crate's one module with `unsafe` code: a socket option (SO_RCVLOWAT)
// that no safe crate exposes. Each call says why it is sound.
#[allow(unsafe_code)]
mod lowat;
mod router;
mod shared;
mod starttls;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Sleep};

use crate::conn::{Connection, Event, Request};
use crate::driver::io::Io;
use crate::driver::router::Router;
use crate::driver::starttls::Upgrade;
use crate::proto::{MessageId, ResultCode};
use crate::tls::HandshakeRecord;
use crate::transport::Transport;
use crate::Error;

pub(crate) use crate::driver::router::{Note, Notifier, SearchBatch, SearchEvent, Sink};
pub(crate) use crate::driver::shared::{Shared, DEFAULT_WRITE_BUFFER};
pub(crate) use crate::driver::starttls::StartTlsContext;

/// A request from a handle to the driver.
#[allow(clippy::large_enum_variant)] // moved once, through a bounded channel
pub(crate) enum Command {
    Op {
        /// The request, encoded by the handle.
        request: Request,
        /// When the handle was asked: the timeout runs from here.
        started: Instant,
        timeout: Option<Duration>,
        token: u64,
        sink: Sink,
        /// The bytes of [`Shared::write_budget`] the handle took for it.
        charge: usize,
    },
    Unbind(oneshot::Sender<()>),
    /// What a StartTLS needs, for a connection made without it; sent just
    /// before the StartTLS request.
    TlsContext(StartTlsContext),
    /// Abandon the operation of `token` (RFC 4511 §4.11), ending it with
    /// `error`; the reply says whether it was in flight.
    Abandon {
        token: u64,
        error: Error,
        reply: oneshot::Sender<bool>,
    },
    /// The message ID of the operation of `token`, while it is in flight
    /// (for a Cancel request naming it).
    IdOf {
        token: u64,
        reply: oneshot::Sender<Option<MessageId>>,
    },
}

/// How long a connection that ended may spend writing what is left (its
/// UnbindRequest) to a server that does not read, before the socket is
/// closed anyway.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// The least time between two warnings about unsolicited notifications:
/// a server sending them in a loop must not flood the log.
const UNSOLICITED_WARN_EVERY: Duration = Duration::from_secs(60);

/// Unsolicited notifications seen, and when the last warning about them
/// was logged.
#[derive(Debug, Default)]
struct Unsolicited {
    seen: u64,
    /// Seen since the last warning, not yet reported.
    unreported: u64,
    last_warning: Option<Instant>,
}

/// The task of one connection: the state machine, the transport, the
/// StartTLS upgrade and the routes of the operations in flight. See the
/// [module docs](self).
pub(crate) struct Driver {
    machine: Connection,
    io: Io,
    upgrade: Upgrade,
    router: Router,
    cmd_rx: mpsc::Receiver<Command>,
    cmds_open: bool,
    cancel_rx: mpsc::UnboundedReceiver<u64>,
    sleep: Pin<Box<Sleep>>,
    unbind_replies: Vec<oneshot::Sender<()>>,
    shared: Arc<Shared>,
    unsolicited: Unsolicited,
    /// When a connection that ended stops waiting for its last bytes to
    /// be written.
    linger: Option<Pin<Box<Sleep>>>,
    /// Bytes of [`Shared::write_budget`] taken by the requests received
    /// and not yet given back.
    charged: usize,
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
            io: Io::new(transport, record),
            upgrade: Upgrade::new(starttls),
            router: Router::default(),
            cmd_rx,
            cmds_open: true,
            cancel_rx,
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            unbind_replies: Vec::new(),
            shared,
            unsolicited: Unsolicited::default(),
            linger: None,
            charged: 0,
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
            progress |= self
                .upgrade
                .poll(cx, &mut self.io, &mut self.machine, &self.shared);
            progress |= self.unbind_if_done();
            let (wrote, write_failed) = self.poll_write(cx);
            progress |= wrote;
            if write_failed {
                continue;
            }
            progress |= self.poll_linger(cx);
            self.release_write_budget();
            if self.finished() {
                return self.poll_close(cx);
            }
            progress |= self.poll_read(cx);
            if !progress {
                return Poll::Pending;
            }
        }
    }

    /// Every handle is gone and no operation is left: queues the
    /// UnbindRequest (RFC 4511 §4.3), behind whatever is still being
    /// written, which the connection now has [`CLOSE_LINGER`] to finish.
    /// Returns whether it did.
    fn unbind_if_done(&mut self) -> bool {
        let done = !self.cmds_open && self.machine.pending_len() == 0;
        if !done || self.machine.is_closed() || self.upgrade.in_progress() {
            return false;
        }
        self.machine.unbind();
        true
    }

    /// Whether the driver has nothing left to do but close the socket (and
    /// hand the searches that fell behind what they have not taken yet).
    fn finished(&self) -> bool {
        self.machine.is_closed()
            && !self.machine.wants_write()
            && self.io.write_idle()
            && !self.upgrade.in_progress()
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.machine.is_closed() {
            // Every handle is gone: say goodbye (RFC 4511 §4.3).
            self.machine.unbind();
            return self.poll_drive(cx);
        }
        self.shared.closing.store(true, Ordering::Release);
        // Drain anything still queued for the handles.
        while let Some(ev) = self.machine.poll_event() {
            self.dispatch(ev);
        }
        let reason = self
            .machine
            .closed_with()
            .cloned()
            .unwrap_or_else(|| Error::Closed("the connection was unbound".into()));
        // The machine ended every operation it knew of; an operation it
        // did not is not left waiting forever.
        self.router.fail_all(&reason);
        self.flush_staged();
        if self.io.poll_shutdown(cx).is_pending() {
            // A TLS close_notify the server does not read does not keep
            // the socket open past the linger either.
            if !self.linger_over(cx) {
                return Poll::Pending;
            }
            self.io.abort();
        }
        *crate::sync::lock(&self.shared.closed_with) = Some(reason);
        // The streams of notifications end.
        self.shared.notifier.close();
        // Requests waiting for room to be written fail now, with the
        // reason above.
        self.shared.write_budget.close();
        for r in self.unbind_replies.drain(..) {
            let _ = r.send(());
        }
        // The socket is closed and unbind has returned; a search consumer
        // that fell behind still gets the entries decoded for it, then the
        // reason the connection ended. (`deliver` until it stalls, so that
        // every reservation it made is registered for a wake-up.)
        while self.deliver(cx) {}
        if self.router.is_backlogged() {
            Poll::Pending
        } else {
            Poll::Ready(())
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
                request,
                started,
                timeout,
                token,
                sink,
                charge,
            } => {
                self.charged += charge;
                if sink.is_closed() {
                    // Dropped before it could be sent: it never goes out.
                    return;
                }
                let span = tracing::debug_span!("ldap_op", op = request.name());
                let _e = span.enter();
                // One clock, tokio's: its paused time drives every deadline
                // in tests (the machine takes std's `Instant`, free of tokio).
                let now = started.into_std();
                match self.machine.submit_request(request, now, timeout) {
                    Ok(id) => {
                        tracing::trace!(message_id = id.0, "submitted");
                        self.router.insert(id, token, sink);
                    }
                    Err(e) => sink.fail(e),
                }
            }
            Command::Unbind(reply) => {
                self.machine.unbind();
                self.unbind_replies.push(reply);
            }
            Command::TlsContext(ctx) => self.upgrade.set_context(ctx),
            Command::Abandon {
                token,
                error,
                reply,
            } => {
                let id = self.router.id_of(token);
                if let Some(id) = id {
                    self.machine.abandon(id);
                    if let Some((tx, _)) = self.router.finish(id, Err(error.clone())) {
                        let _ = tx.send(Err(error));
                    }
                }
                let _ = reply.send(id.is_some());
            }
            Command::IdOf { token, reply } => {
                let _ = reply.send(self.router.id_of(token));
            }
        }
    }

    /// Gives back to [`Shared::write_budget`] what the requests took,
    /// down to the bytes still waiting to be written.
    fn release_write_budget(&mut self) {
        let held = self.machine.buffered_bytes() + self.io.unwritten_out();
        if self.charged > held {
            self.shared.write_budget.add_permits(self.charged - held);
            self.charged = held;
        }
    }

    /// Once the connection is over, gives the last writes (the
    /// UnbindRequest) [`CLOSE_LINGER`] to go out; a server that does not
    /// read does not keep the socket open longer. Returns whether it gave
    /// up on them.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> bool {
        let writing = self.machine.wants_write() || !self.io.write_idle();
        if !self.machine.is_closed() || !writing {
            return false;
        }
        if !self.linger_over(cx) {
            return false;
        }
        tracing::debug!("the server did not take the last bytes; closing anyway");
        self.io.discard_writes();
        let mut discard = Vec::new();
        self.machine.poll_transmit(&mut discard);
        true
    }

    /// Whether the [`CLOSE_LINGER`] of a connection that ended is over
    /// (starting it on the first call).
    fn linger_over(&mut self, cx: &mut Context<'_>) -> bool {
        let linger = self
            .linger
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(CLOSE_LINGER)));
        linger.as_mut().poll(cx).is_ready()
    }

    fn poll_cancels(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while let Poll::Ready(Some(token)) = self.cancel_rx.poll_recv(cx) {
            progress = true;
            if let Some(id) = self.router.cancel(token) {
                self.machine.abandon(id);
            }
        }
        progress
    }

    /// Hands events to the operations. Events for a search whose channel
    /// is full wait in its backlog; the others go out at once.
    fn deliver(&mut self, cx: &mut Context<'_>) -> bool {
        let drained = self.router.poll_backlog(cx);
        self.abandon(drained.gone);
        let mut progress = drained.progress;
        while let Some(ev) = self.machine.poll_event() {
            progress = true;
            self.dispatch(ev);
        }
        self.flush_staged();
        progress
    }

    /// Sends each search the batch gathered for it in this pass.
    fn flush_staged(&mut self) {
        let gone = self.router.flush();
        self.abandon(gone);
    }

    /// The consumers of these searches dropped their streams: abandon the
    /// searches.
    fn abandon(&mut self, gone: Vec<MessageId>) {
        for id in gone {
            self.machine.abandon(id);
        }
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Entry(id, e, c) => self.router.forward(id, SearchEvent::Entry(e, c)),
            Event::Reference(id, r, c) => self.router.forward(id, SearchEvent::Reference(r, c)),
            Event::Intermediate(id, ir, c) => {
                self.router.forward(id, SearchEvent::Intermediate(ir, c));
            }
            Event::Done(id, res) => {
                match &res {
                    Ok(msg) => tracing::debug!(
                        message_id = id.0,
                        op = msg.op.name(),
                        code = %msg.op.result().map_or(ResultCode::OTHER, |r| r.code),
                        "operation done"
                    ),
                    Err(e) => tracing::debug!(message_id = id.0, error = %e, "operation failed"),
                }
                if let Some((reply, res)) = self.router.finish(id, res) {
                    self.upgrade.response(reply, res, &mut self.machine);
                }
            }
            Event::Unsolicited(resp, controls) => {
                let note = (resp, controls);
                if self.shared.notifier.publish(&note) == 0 {
                    self.unsolicited_notice(&note.0);
                }
            }
            Event::StartTlsReady => {
                self.upgrade
                    .begin(&mut self.io, &mut self.machine, &self.shared);
            }
        }
    }

    /// Logs an unsolicited notification other than a Notice of
    /// Disconnection that no listener of
    /// [`LdapConn::notifications`](crate::LdapConn::notifications) took:
    /// the first at WARN, then at most one
    /// WARN every [`UNSOLICITED_WARN_EVERY`] counting those in between (the
    /// others at TRACE), so that a server sending them in a loop cannot
    /// flood the log.
    fn unsolicited_notice(&mut self, resp: &crate::proto::ExtendedResponse) {
        let u = &mut self.unsolicited;
        u.seen += 1;
        let now = Instant::now();
        let due = u
            .last_warning
            .is_none_or(|t| now.duration_since(t) >= UNSOLICITED_WARN_EVERY);
        let name = resp.name.as_deref().unwrap_or("");
        if due {
            tracing::warn!(
                name,
                code = %resp.result.code,
                suppressed = u.unreported,
                total = u.seen,
                "ignoring an unsolicited notification (`suppressed`: others ignored since the last warning, logged at TRACE)"
            );
            u.last_warning = Some(now);
            u.unreported = 0;
        } else {
            u.unreported += 1;
            tracing::trace!(name, code = %resp.result.code, "ignoring an unsolicited notification");
        }
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
            self.machine.handle_timeout(Instant::now().into_std());
            return true;
        }
        false
    }

    /// Returns (progress, failed).
    fn poll_write(&mut self, cx: &mut Context<'_>) -> (bool, bool) {
        if self.upgrade.in_progress() {
            return (false, false);
        }
        self.io.poll_write(cx, &mut self.machine)
    }

    /// Reads the socket, unless a search has fallen behind (its consumer
    /// must catch up first) or the TLS handshake owns the socket.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        if self.router.is_backlogged() || self.upgrade.in_progress() {
            return false;
        }
        // Batching the reads (see `io.rs`) only while nothing but searches
        // is in flight: the response of any other operation is read as
        // soon as it arrives.
        let streaming = self.router.only_searches();
        self.io.poll_read(cx, &mut self.machine, streaming)
    }
}

impl Drop for Driver {
    /// A driver dropped before the connection ended (the runtime shut
    /// down, or its task was aborted) leaves the reason for the handles:
    /// their operations fail with it rather than a bare "closed".
    fn drop(&mut self) {
        {
            let mut closed_with = crate::sync::lock(&self.shared.closed_with);
            if closed_with.is_none() {
                *closed_with = Some(Error::Closed(
                    "the connection's task stopped: the tokio runtime it ran on shut down (or the task was aborted)"
                        .into(),
                ));
            }
        }
        self.shared.closing.store(true, Ordering::Release);
        self.shared.write_budget.close();
        self.shared.notifier.close();
    }
}

#[cfg(test)]
mod tests;
