//! The sans-IO LDAP connection state machine.
//!
//! [`Connection`] owns everything about a connection that is not IO: it
//! allocates message IDs, keeps the table of pending operations with the
//! kind of response each one expects, routes responses, search entries,
//! references and intermediate responses, handles unsolicited
//! notifications, enforces the ordering rules of RFC 4511 (nothing else in
//! flight while a Bind is; StartTLS only when nothing is outstanding) and
//! per-operation deadlines. Time is passed in, so all of it is tested
//! deterministically without a runtime or a socket.
//!
//! The four kinds of method, in the order a driver uses them:
//!
//! * mutators: [`Connection::submit_request`], [`Connection::abandon`],
//!   [`Connection::unbind`], [`Connection::tls_established`];
//! * input: [`Connection::handle_input`], [`Connection::handle_timeout`],
//!   [`Connection::handle_close`];
//! * output: [`Connection::poll_transmit`], [`Connection::poll_event`],
//!   [`Connection::poll_timeout`];
//! * getters: [`Connection::is_closed`], [`Connection::pending_len`].
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use zeroize::Zeroizing;

use crate::ber::{frame_len, DecodeErrorKind, Limits, Tag, Writer};
use crate::proto::extended::{NoticeOfDisconnection, START_TLS};
use crate::proto::{
    Control, ExtendedResponse, IntermediateResponse, LdapMessage, MessageId, ProtocolOp,
    SearchResultEntry,
};
use crate::{Error, Phase, ProtocolError};

pub(crate) mod ids;

use ids::{IdMap, IdSet};

/// A request encoded once, when it is made: its protocol operation and
/// controls (everything of the LDAPMessage after the message ID), and what
/// the machine needs to know about it. The machine writes the envelope
/// (the SEQUENCE and the message ID) when it assigns the ID, so a request
/// is encoded once, and its size is known before the driver takes it.
pub(crate) struct Request {
    kind: OpKind,
    name: &'static str,
    expects: &'static str,
    /// Wiped when dropped: a bind's may hold a password.
    body: Zeroizing<Vec<u8>>,
}

/// The longest envelope of a message: SEQUENCE tag, up to five length
/// octets, and the message ID (at most four content octets).
const ENVELOPE_MAX: usize = 1 + 5 + 2 + 4;

impl Request {
    /// Encodes `op` with `controls`. Only request operations can be sent.
    pub(crate) fn new(op: ProtocolOp, controls: Vec<Control>) -> Result<Self, Error> {
        let kind = OpKind::of(&op).ok_or_else(|| {
            Error::InvalidInput("only request operations can be submitted".into())
        })?;
        let (name, expects) = (op.name(), op.expected_response().unwrap_or("a response"));
        // Encoded with message ID 0, whose envelope is dropped: `30 LEN`,
        // then `02 01 00`.
        let mut body = Zeroizing::new(Vec::new());
        LdapMessage {
            id: MessageId(0),
            op,
            controls,
        }
        .encode(&mut body);
        let len_octets = match body.get(1) {
            Some(&b) if b >= 0x80 => 1 + usize::from(b & 0x7f),
            _ => 1,
        };
        let header = (1 + len_octets + 3).min(body.len());
        body.drain(..header);
        Ok(Self {
            kind,
            name,
            expects,
            body,
        })
    }

    /// The operation's name, for logs.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The most bytes the message takes once sent, whatever its ID.
    pub(crate) fn wire_len(&self) -> usize {
        self.body.len() + ENVELOPE_MAX
    }

    /// Appends the whole message, with ID `id`, to `out`.
    fn write(&self, id: MessageId, out: &mut Vec<u8>) {
        Writer::new(out).sequence(Tag::SEQUENCE, |w| {
            w.integer(Tag::INTEGER, i64::from(id.0));
            w.raw(&self.body);
        });
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("op", &self.name)
            .field("len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What kind of operation is pending, hence which response ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    Bind,
    Search,
    Modify,
    Add,
    Delete,
    ModifyDn,
    Compare,
    Extended,
    StartTls,
}

impl OpKind {
    fn of(op: &ProtocolOp) -> Option<Self> {
        Some(match op {
            ProtocolOp::BindRequest(_) => Self::Bind,
            ProtocolOp::SearchRequest(_) => Self::Search,
            ProtocolOp::ModifyRequest(_) => Self::Modify,
            ProtocolOp::AddRequest(_) => Self::Add,
            ProtocolOp::DelRequest(_) => Self::Delete,
            ProtocolOp::ModifyDnRequest(_) => Self::ModifyDn,
            ProtocolOp::CompareRequest(_) => Self::Compare,
            ProtocolOp::ExtendedRequest(req) if req.name == START_TLS => Self::StartTls,
            ProtocolOp::ExtendedRequest(_) => Self::Extended,
            _ => return None,
        })
    }

    /// Operations that must have the connection to themselves.
    fn is_exclusive(self) -> bool {
        matches!(self, Self::Bind | Self::StartTls)
    }

    /// RFC 4511 §4.11: "Abandon, Bind, Unbind, and StartTLS operations
    /// cannot be abandoned."
    fn can_abandon(self) -> bool {
        !self.is_exclusive()
    }

    /// The step a timeout of this operation stopped.
    fn phase(self) -> Phase {
        match self {
            Self::Bind => Phase::Bind,
            Self::StartTls => Phase::StartTls,
            _ => Phase::Operation,
        }
    }

    /// A bind or StartTLS whose outcome is unknown: what it is, and what
    /// that leaves unknown.
    fn unknown_outcome(self) -> (&'static str, &'static str) {
        match self {
            Self::StartTls => (
                "a StartTLS request",
                "whether the server switched to TLS is unknown",
            ),
            _ => ("a bind", "the identity of the connection is unknown"),
        }
    }
}

/// How many abandoned message IDs are remembered (to drop the late
/// responses a server may still send for them). Past this, the oldest is
/// forgotten: a response for it would then fail the connection as one for
/// an unknown ID. About 16 bytes each, so at most some 64 KiB.
pub(crate) const MAX_ABANDONED: usize = 4096;

/// Something the driver must act on.
#[derive(Debug)]
pub(crate) enum Event {
    /// A search entry for operation `id`, with the message's controls.
    Entry(MessageId, SearchResultEntry, Vec<Control>),
    /// A search continuation reference for operation `id`, with the
    /// message's controls.
    Reference(MessageId, Vec<crate::proto::ByteString>, Vec<Control>),
    /// An intermediate response for operation `id`, with the message's
    /// controls.
    Intermediate(MessageId, IntermediateResponse, Vec<Control>),
    /// Operation `id` is over: its final response, or why it failed.
    Done(MessageId, Result<LdapMessage, Error>),
    /// An unsolicited notification other than a Notice of Disconnection,
    /// with the message's controls.
    Unsolicited(ExtendedResponse, Vec<Control>),
    /// StartTLS succeeded: the driver must now run the TLS handshake and
    /// call [`Connection::tls_established`]; nothing is sent meanwhile.
    StartTlsReady,
}

/// Limits and settings of a [`Connection`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// Largest PDU accepted from the server.
    pub(crate) max_message_len: usize,
    /// Deepest BER nesting accepted from the server.
    pub(crate) max_depth: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_message_len: 16 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

#[derive(Debug)]
struct Pending {
    kind: OpKind,
    /// The response the request expects, by name, from proto's op table.
    expects: &'static str,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
}

#[derive(Debug)]
struct Queued {
    id: MessageId,
    kind: OpKind,
    /// The response the request expects, by name.
    expects: &'static str,
    /// The request, encoded at submit (so that what waits is counted in
    /// bytes); wiped when dropped, as it may hold a password.
    bytes: Zeroizing<Vec<u8>>,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// A StartTLS response arrived; waiting for the driver's handshake.
    TlsUpgrade,
    /// Unbind was queued; nothing more may be sent.
    Unbound,
    Closed,
}

/// The connection state machine. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Connection {
    settings: Settings,
    next_id: i32,
    /// Whether message IDs have wrapped around: until they do, a new ID
    /// cannot be in use, so allocating one needs no lookup.
    wrapped: bool,
    pending: IdMap<MessageId, Pending>,
    /// The Bind or StartTLS in flight, if any. While one is, it is the only
    /// pending operation (everything else waits in `queue`).
    exclusive: Option<MessageId>,
    /// The deadlines of the pending and queued operations that have one,
    /// so that the earliest is found without scanning every operation.
    deadlines: BTreeSet<(Instant, MessageId)>,
    /// Requests waiting for an exclusive operation to finish, in order.
    queue: VecDeque<Queued>,
    /// The bytes of the requests in `queue`.
    queued_bytes: usize,
    /// IDs abandoned by us whose late responses are dropped silently, at
    /// most [`MAX_ABANDONED`]; `abandoned_order` has them oldest first
    /// (with IDs already answered, skipped when evicting).
    abandoned: IdSet<MessageId>,
    abandoned_order: VecDeque<MessageId>,
    out: Vec<u8>,
    events: VecDeque<Event>,
    state: State,
    closed_with: Option<Error>,
}

impl Connection {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            settings,
            next_id: 1,
            wrapped: false,
            pending: IdMap::default(),
            exclusive: None,
            deadlines: BTreeSet::new(),
            queue: VecDeque::new(),
            queued_bytes: 0,
            abandoned: IdSet::default(),
            abandoned_order: VecDeque::new(),
            out: Vec::new(),
            events: VecDeque::new(),
            state: State::Open,
            closed_with: None,
        }
    }

    // ---- getters ----

    /// Whether the connection is over (closed, failed or unbound).
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed | State::Unbound)
    }

    /// Operations sent and not yet answered, plus those queued.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len() + self.queue.len()
    }

    /// How many abandoned message IDs are remembered (never more than
    /// [`MAX_ABANDONED`]).
    #[cfg(test)]
    pub(crate) fn abandoned_len(&self) -> usize {
        self.abandoned.len()
    }

    /// The error the connection failed with, if it did.
    pub(crate) fn closed_with(&self) -> Option<&Error> {
        self.closed_with.as_ref()
    }

    // ---- mutators ----

    /// Submits a request; returns its message ID. The request is sent at
    /// once, or queued behind an exclusive operation (Bind, StartTLS) or,
    /// for an exclusive one, until everything outstanding has completed.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn submit(
        &mut self,
        op: ProtocolOp,
        controls: Vec<Control>,
        now: Instant,
        timeout: Option<Duration>,
    ) -> Result<MessageId, Error> {
        self.submit_request(Request::new(op, controls)?, now, timeout)
    }

    /// Submits a request encoded when it was made ([`Request`]); returns its
    /// message ID. Only the envelope (the SEQUENCE and the message ID) is
    /// written here. The request is sent at once, or queued behind an
    /// exclusive operation (Bind, StartTLS) or, for an exclusive one, until
    /// everything outstanding has completed.
    pub(crate) fn submit_request(
        &mut self,
        request: Request,
        now: Instant,
        timeout: Option<Duration>,
    ) -> Result<MessageId, Error> {
        if let Some(err) = self.unusable() {
            return Err(err);
        }
        let kind = request.kind;
        if kind == OpKind::StartTls && self.pending_len() > 0 {
            // RFC 4511 §4.14.1: the client MUST NOT send a StartTLS request
            // while it has outstanding operations.
            return Err(Error::InvalidInput(format!(
                "StartTLS requires an idle connection, but {} operations are outstanding",
                self.pending_len()
            )));
        }
        let id = self.allocate_id();
        let expects = request.expects;
        let deadline = timeout.map(|t| now + t);
        if let Some(d) = deadline {
            self.deadlines.insert((d, id));
        }
        if self.must_queue(kind) {
            let mut bytes = Zeroizing::new(Vec::with_capacity(request.wire_len()));
            request.write(id, &mut bytes);
            self.queued_bytes += bytes.len();
            self.queue.push_back(Queued {
                id,
                kind,
                expects,
                bytes,
                deadline,
                timeout,
            });
        } else {
            request.write(id, &mut self.out);
            self.sent(id, kind, expects, deadline, timeout);
        }
        Ok(id)
    }

    /// Nobody waits for operation `id` any more: an AbandonRequest is sent
    /// for it (RFC 4511 §4.11) and its late responses are dropped. A queued
    /// request is simply forgotten.
    ///
    /// A Bind or StartTLS already sent cannot be abandoned, and its outcome
    /// would change the connection behind the application's back (a late
    /// bind success switches the identity; a StartTLS success makes the
    /// server expect a TLS handshake): the connection is closed instead,
    /// with an UnbindRequest, and every other operation fails with
    /// [`Error::Closed`] saying why.
    pub(crate) fn abandon(&mut self, id: MessageId) {
        if let Some(pos) = self.queue.iter().position(|q| q.id == id) {
            if let Some(q) = self.unqueue(pos) {
                self.forget_deadline(q.id, q.deadline);
            }
            self.drain_queue();
            return;
        }
        let Some(pending) = self.pending.get_mut(&id) else {
            return;
        };
        if !pending.kind.can_abandon() {
            let kind = pending.kind;
            self.pending.remove(&id);
            return self.close_unknown(kind, "was cancelled");
        }
        if let Some(p) = self.pending.remove(&id) {
            self.forget_deadline(id, p.deadline);
        }
        self.send_abandon(id);
        self.drain_queue();
    }

    /// Queues an UnbindRequest (RFC 4511 §4.3) and fails every operation
    /// still outstanding with [`Error::Closed`].
    pub(crate) fn unbind(&mut self) {
        if self.is_closed() {
            return;
        }
        let id = self.allocate_id();
        LdapMessage {
            id,
            op: ProtocolOp::UnbindRequest,
            controls: Vec::new(),
        }
        .encode(&mut self.out);
        self.fail_all(&Error::Closed("unbind was requested".into()));
        self.state = State::Unbound;
    }

    /// The TLS handshake after a successful StartTLS completed; queued
    /// requests may now go out.
    pub(crate) fn tls_established(&mut self) {
        if self.state == State::TlsUpgrade {
            self.state = State::Open;
            self.drain_queue();
        }
    }

    // ---- input ----

    /// Consumes every complete PDU at the front of `buf`, leaving a partial
    /// one in place. A malformed PDU fails the connection.
    ///
    /// Stops after a successful StartTLS response: whatever follows it in
    /// `buf` came in clear text before the TLS handshake, and must not be
    /// taken as a response (see [`Connection::is_upgrading`]).
    pub(crate) fn handle_input(&mut self, buf: &mut BytesMut) {
        while matches!(self.state, State::Open | State::Unbound) {
            let len = match frame_len(buf, self.settings.max_message_len) {
                Ok(Some(len)) if len <= buf.len() => len,
                Ok(_) => return,
                Err(e) => {
                    let err = match e.kind {
                        DecodeErrorKind::LengthOverLimit { len, max } => {
                            ProtocolError::MessageTooLarge { len, max }
                        }
                        _ => ProtocolError::Decode(e),
                    };
                    self.fail(Error::Protocol(err));
                    return;
                }
            };
            let frame = buf.split_to(len).freeze();
            let limits = Limits {
                max_len: self.settings.max_message_len,
                max_depth: self.settings.max_depth,
            };
            match LdapMessage::decode_with_limits(frame, limits) {
                Ok(msg) => self.route(msg),
                Err(e) => self.fail(Error::Protocol(ProtocolError::Decode(e))),
            }
        }
    }

    /// Expires operations whose deadline is at or before `now`: each ends
    /// with [`Error::Timeout`] and is abandoned on the server.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(deadline, id)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            let (kind, timeout) = if let Some(p) = self.pending.remove(&id) {
                if p.kind.can_abandon() {
                    self.send_abandon(id);
                }
                (p.kind, p.timeout)
            } else if let Some(pos) = self.queue.iter().position(|q| q.id == id) {
                match self.unqueue(pos) {
                    Some(q) => (q.kind, q.timeout),
                    None => continue,
                }
            } else {
                continue;
            };
            let err = Error::Timeout {
                phase: kind.phase(),
                after: timeout.unwrap_or_default(),
            };
            self.events.push_back(Event::Done(id, Err(err)));
            if kind.is_exclusive() && self.exclusive == Some(id) {
                // A bind or StartTLS the server got and did not answer in
                // time: its late answer would change the connection.
                return self.close_unknown(kind, "timed out");
            }
        }
        self.drain_queue();
    }

    /// The transport is gone: every outstanding operation fails with `err`.
    pub(crate) fn handle_close(&mut self, err: Error) {
        self.fail(err);
    }

    // ---- output ----

    /// Moves the bytes to send into `out`.
    pub(crate) fn poll_transmit(&mut self, out: &mut Vec<u8>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.out);
        } else {
            out.append(&mut self.out);
        }
    }

    /// The bytes waiting to be sent: encoded and not yet taken by
    /// [`Connection::poll_transmit`], plus the requests queued behind a
    /// Bind or StartTLS.
    pub(crate) fn buffered_bytes(&self) -> usize {
        self.out.len() + self.queued_bytes
    }

    /// Whether there are bytes to send.
    pub(crate) fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    /// The next event for the driver.
    #[must_use]
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest deadline of any operation.
    #[must_use]
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.first().map(|(d, _)| *d)
    }

    /// Whether a StartTLS succeeded and the TLS handshake has not completed
    /// yet: nothing may be read from the socket meanwhile, except by the
    /// handshake.
    pub(crate) fn is_upgrading(&self) -> bool {
        self.state == State::TlsUpgrade
    }

    // ---- internals ----

    /// Closes the connection after a bind or StartTLS whose outcome will
    /// never be known to the application (`what`: it "timed out" or "was
    /// cancelled"): an UnbindRequest goes out (RFC 4511 §4.3), then every
    /// other operation fails with [`Error::Closed`], and so does every
    /// later one.
    fn close_unknown(&mut self, kind: OpKind, what: &str) {
        if self.is_closed() {
            return;
        }
        let id = self.allocate_id();
        LdapMessage {
            id,
            op: ProtocolOp::UnbindRequest,
            controls: Vec::new(),
        }
        .encode(&mut self.out);
        let (op, unknown) = kind.unknown_outcome();
        let reason = format!(
            "{op} {what} before the server answered it; {unknown}, so the connection was closed"
        );
        self.fail(Error::Closed(reason));
    }

    fn unusable(&self) -> Option<Error> {
        match self.state {
            State::Closed => Some(
                self.closed_with
                    .clone()
                    .unwrap_or_else(|| Error::Closed("connection closed".into())),
            ),
            State::Unbound => Some(Error::Closed("the connection was unbound".into())),
            State::Open | State::TlsUpgrade => None,
        }
    }

    /// Allocates the next message ID in `1..=i32::MAX`, skipping IDs still
    /// in use after wrap-around.
    fn allocate_id(&mut self) -> MessageId {
        loop {
            let id = MessageId(self.next_id);
            self.next_id = if self.next_id == i32::MAX {
                self.wrapped = true;
                1
            } else {
                self.next_id + 1
            };
            if !self.wrapped {
                // Every ID in use was allocated before this one.
                return id;
            }
            let in_use = self.pending.contains_key(&id)
                || self.abandoned.contains(&id)
                || self.queue.iter().any(|q| q.id == id);
            if !in_use {
                return id;
            }
        }
    }

    fn must_queue(&self, kind: OpKind) -> bool {
        self.state == State::TlsUpgrade
            || !self.queue.is_empty()
            || self.exclusive_in_flight()
            || (kind.is_exclusive() && !self.pending.is_empty())
    }

    /// Whether a Bind or StartTLS is pending (in O(1): the check runs for
    /// every request).
    fn exclusive_in_flight(&self) -> bool {
        self.exclusive
            .and_then(|id| self.pending.get(&id))
            .is_some_and(|p| p.kind.is_exclusive())
    }

    fn forget_deadline(&mut self, id: MessageId, deadline: Option<Instant>) {
        if let Some(d) = deadline {
            self.deadlines.remove(&(d, id));
        }
    }

    /// Operation `id` was encoded into `out`: it is now pending.
    fn sent(
        &mut self,
        id: MessageId,
        kind: OpKind,
        expects: &'static str,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
    ) {
        if kind.is_exclusive() {
            self.exclusive = Some(id);
        }
        self.pending.insert(
            id,
            Pending {
                kind,
                expects,
                deadline,
                timeout,
            },
        );
    }

    /// Takes the queued request at `pos` out of the queue.
    fn unqueue(&mut self, pos: usize) -> Option<Queued> {
        let q = self.queue.remove(pos)?;
        self.queued_bytes = self.queued_bytes.saturating_sub(q.bytes.len());
        Some(q)
    }

    fn send_abandon(&mut self, target: MessageId) {
        self.remember_abandoned(target);
        let id = self.allocate_id();
        LdapMessage {
            id,
            op: ProtocolOp::AbandonRequest(target),
            controls: Vec::new(),
        }
        .encode(&mut self.out);
    }

    /// Remembers `id` as abandoned, forgetting the oldest one when
    /// [`MAX_ABANDONED`] are remembered already.
    fn remember_abandoned(&mut self, id: MessageId) {
        while self.abandoned.len() >= MAX_ABANDONED {
            let Some(old) = self.abandoned_order.pop_front() else {
                break;
            };
            self.abandoned.remove(&old);
        }
        if self.abandoned.insert(id) {
            self.abandoned_order.push_back(id);
        }
        // IDs answered meanwhile are still in the order; keep it from
        // growing past twice the bound.
        if self.abandoned_order.len() > 2 * MAX_ABANDONED {
            let abandoned = &self.abandoned;
            self.abandoned_order.retain(|i| abandoned.contains(i));
        }
    }

    fn drain_queue(&mut self) {
        while self.state == State::Open {
            let Some(front) = self.queue.front() else {
                return;
            };
            let blocked = self.exclusive_in_flight()
                || (front.kind.is_exclusive() && !self.pending.is_empty());
            if blocked {
                return;
            }
            let Some(q) = self.unqueue(0) else {
                return;
            };
            self.out.extend_from_slice(&q.bytes);
            self.sent(q.id, q.kind, q.expects, q.deadline, q.timeout);
        }
    }

    fn route(&mut self, msg: LdapMessage) {
        if msg.id == MessageId::UNSOLICITED {
            return self.unsolicited(msg);
        }
        let Some(pending) = self.pending.get(&msg.id) else {
            if self.abandoned.contains(&msg.id) {
                // A response that crossed our AbandonRequest, or the answer
                // to an operation we timed out. Once a final response has
                // come, the ID may be reused.
                if is_final(&msg.op) {
                    self.abandoned.remove(&msg.id);
                }
                return;
            }
            return self.fail(Error::Protocol(ProtocolError::UnknownMessageId(msg.id)));
        };
        let (kind, expects) = (pending.kind, pending.expects);
        let LdapMessage { id, op, controls } = msg;
        let fits = matches!(
            (kind, &op),
            (OpKind::Bind, ProtocolOp::BindResponse(_))
                | (OpKind::Search, ProtocolOp::SearchResultEntry(_))
                | (OpKind::Search, ProtocolOp::SearchResultReference(_))
                | (OpKind::Search, ProtocolOp::SearchResultDone(_))
                | (OpKind::Modify, ProtocolOp::ModifyResponse(_))
                | (OpKind::Add, ProtocolOp::AddResponse(_))
                | (OpKind::Delete, ProtocolOp::DelResponse(_))
                | (OpKind::ModifyDn, ProtocolOp::ModifyDnResponse(_))
                | (OpKind::Compare, ProtocolOp::CompareResponse(_))
                | (
                    OpKind::Extended | OpKind::StartTls,
                    ProtocolOp::ExtendedResponse(_)
                )
                | (_, ProtocolOp::IntermediateResponse(_))
        );
        if !fits {
            let err = ProtocolError::UnexpectedResponse {
                id,
                expected: expects,
                got: op.name(),
            };
            return self.fail(Error::Protocol(err));
        }
        match op {
            ProtocolOp::SearchResultEntry(entry) => {
                self.events.push_back(Event::Entry(id, entry, controls));
            }
            ProtocolOp::SearchResultReference(refs) => {
                self.events.push_back(Event::Reference(id, refs, controls));
            }
            ProtocolOp::IntermediateResponse(ir) => {
                self.events.push_back(Event::Intermediate(id, ir, controls));
            }
            op => {
                if let Some(p) = self.pending.remove(&id) {
                    self.forget_deadline(id, p.deadline);
                }
                let starttls_ok = matches!(&op, ProtocolOp::ExtendedResponse(r) if r.result.code.is_success())
                    && kind == OpKind::StartTls;
                self.events
                    .push_back(Event::Done(id, Ok(LdapMessage { id, op, controls })));
                if starttls_ok {
                    self.state = State::TlsUpgrade;
                    self.events.push_back(Event::StartTlsReady);
                }
                self.drain_queue();
            }
        }
    }

    fn unsolicited(&mut self, msg: LdapMessage) {
        let ProtocolOp::ExtendedResponse(resp) = msg.op else {
            return self.fail(Error::Protocol(ProtocolError::UnsolicitedNotExtended {
                got: msg.op.name(),
            }));
        };
        // RFC 4511 §4.4.1: a Notice of Disconnection; the server closes
        // the connection right after it.
        if let Some(notice) = NoticeOfDisconnection::from_unsolicited(&resp) {
            return self.fail(Error::disconnected(notice.code, &notice.message));
        }
        self.events
            .push_back(Event::Unsolicited(resp, msg.controls));
    }

    /// Fails the connection: every operation ends with `err`.
    fn fail(&mut self, err: Error) {
        if self.state == State::Closed {
            return;
        }
        self.fail_all(&err);
        self.closed_with = Some(err);
        self.state = State::Closed;
    }

    fn fail_all(&mut self, err: &Error) {
        self.deadlines.clear();
        let mut ids: Vec<MessageId> = self.pending.drain().map(|(id, _)| id).collect();
        ids.sort_unstable();
        for id in ids {
            self.events.push_back(Event::Done(id, Err(err.clone())));
        }
        self.queued_bytes = 0;
        for q in self.queue.drain(..) {
            self.events.push_back(Event::Done(q.id, Err(err.clone())));
        }
    }
}

fn is_final(op: &ProtocolOp) -> bool {
    !matches!(
        op,
        ProtocolOp::SearchResultEntry(_)
            | ProtocolOp::SearchResultReference(_)
            | ProtocolOp::IntermediateResponse(_)
    )
}

#[cfg(test)]
mod tests;
