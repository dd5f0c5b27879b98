//! The socket side of the driver: reading, writing and flushing, and why
//! the stream ended.

use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::client::TlsStream;
use zeroize::Zeroize;

use crate::conn::Connection;
use crate::driver::lowat;
use crate::tls::{self, HandshakeRecord};
use crate::transport::Transport;
use crate::Error;

/// How many bytes to ask the socket for at a time.
const READ_CHUNK: usize = 16 * 1024;

/// The receive low-water mark while a search streams: the kernel reports
/// the socket readable once this much has arrived, so the driver wakes
/// and reads once per batch rather than once per segment the server
/// writes (each wake-up costs a context switch and a read).
const STREAM_LOWAT: usize = 32 * 1024;

/// How long the driver waits, with the mark raised, before lowering it
/// and reading what is there (the tail of a result, or the answer to
/// another operation on the same connection).
const TAIL_WAIT: Duration = Duration::from_millis(1);

/// Reads in a row while searches stream after which the mark is raised
/// even if none came in full: a client faster than its server drains the
/// socket after every entry the server writes and never sees a full read,
/// and such a search is a large one by now (a search of a few entries
/// ends well before and never waits for [`TAIL_WAIT`]).
const STREAK: u32 = 32;

/// The batching of reads while a search streams (see [`STREAM_LOWAT`]).
#[derive(Default)]
struct Batching {
    /// The mark is raised.
    raised: bool,
    /// Reads in a row while searches (and nothing else) stream.
    streak: u32,
    /// The socket refused the option (or the platform has none): read as
    /// usual for the rest of the connection.
    unsupported: bool,
    /// Armed while the mark is raised and the driver waits for data.
    tail: Option<Pin<Box<Sleep>>>,
}

/// The transport and its buffers.
pub(super) struct Io {
    transport: Option<Transport>,
    rbuf: BytesMut,
    /// Where the transport reads into, zeroed once: reading straight into
    /// `rbuf` meant zeroing a fresh `READ_CHUNK` of it on every poll (also
    /// the many that find nothing to read), which cost more than copying
    /// the bytes actually read.
    scratch: Box<[u8]>,
    wbuf: Vec<u8>,
    wpos: usize,
    /// Bytes were handed to the transport since its last completed flush.
    /// A TLS stream may accept a write into its buffer and return `Ready`
    /// while the socket write itself is pending (a full socket buffer, or
    /// tokio's cooperative budget running out): those records go out only
    /// on a flush, which must be retried until it completes.
    unflushed: bool,
    /// The client-certificate exchange of the TLS handshake, if any, for
    /// explaining a close that follows it.
    record: Option<Arc<Mutex<HandshakeRecord>>>,
    received_any: bool,
    read_closed: bool,
    batching: Batching,
}

impl Io {
    pub(super) fn new(transport: Transport, record: Option<Arc<Mutex<HandshakeRecord>>>) -> Self {
        Self {
            transport: Some(transport),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            wbuf: Vec::new(),
            wpos: 0,
            unflushed: false,
            record,
            received_any: false,
            read_closed: false,
            batching: Batching::default(),
        }
    }

    /// Whether everything handed to the transport was written.
    pub(super) fn write_idle(&self) -> bool {
        self.wpos >= self.wbuf.len()
    }

    /// Bytes taken from the machine and not yet written.
    pub(super) fn unwritten_out(&self) -> usize {
        self.wbuf.len().saturating_sub(self.wpos)
    }

    /// Drops what was not written yet: the connection is over and the
    /// server does not read.
    pub(super) fn discard_writes(&mut self) {
        self.wbuf.zeroize();
        self.wpos = 0;
        self.unflushed = false;
    }

    /// How many received bytes are waiting, not yet taken by the machine.
    pub(super) fn unread(&self) -> usize {
        self.rbuf.len()
    }

    /// Takes the TCP stream for a TLS handshake; `None` (and the transport
    /// left in place) when it is not plain TCP.
    pub(super) fn take_tcp(&mut self) -> Option<TcpStream> {
        match self.transport.take() {
            Some(Transport::Tcp(tcp)) => Some(tcp),
            other => {
                self.transport = other;
                None
            }
        }
    }

    /// The TLS handshake over the TCP stream taken by [`Io::take_tcp`]
    /// completed: from now on the transport is `stream`.
    pub(super) fn secured(
        &mut self,
        stream: Box<TlsStream<TcpStream>>,
        record: Arc<Mutex<HandshakeRecord>>,
    ) {
        self.transport = Some(Transport::Tls(stream));
        self.record = Some(record);
        self.received_any = false;
    }

    /// Writes what the machine produced, then flushes. Returns (progress,
    /// failed).
    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        machine: &mut Connection,
    ) -> (bool, bool) {
        if self.transport.is_none() {
            return (false, false);
        }
        if self.wpos >= self.wbuf.len() {
            // What was sent may have held a password: wipe it, not just
            // forget it.
            self.wbuf.zeroize();
            self.wpos = 0;
            machine.poll_transmit(&mut self.wbuf);
            if self.wbuf.is_empty() && !self.unflushed {
                return (false, false);
            }
        }
        let mut progress = self.coalesce_close(machine);
        let Some(t) = self.transport.as_mut() else {
            return (progress, false);
        };
        while self.wpos < self.wbuf.len() {
            let chunk = self.wbuf.get(self.wpos..).unwrap_or_default();
            match Pin::new(&mut *t).poll_write(cx, chunk) {
                Poll::Ready(Ok(0)) => {
                    let err = std::io::Error::new(
                        std::io::ErrorKind::WriteZero,
                        "socket closed while writing",
                    );
                    self.transport_failed(machine, err.into());
                    return (true, true);
                }
                Poll::Ready(Ok(n)) => {
                    self.wpos += n;
                    self.unflushed = true;
                    progress = true;
                }
                Poll::Ready(Err(e)) => {
                    let err = self.diagnose_close(Some(e));
                    self.transport_failed(machine, err);
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
                self.transport_failed(machine, err);
                return (true, true);
            }
            Poll::Pending => {}
        }
        (progress, false)
    }

    /// The connection is over and these are its last bytes (the
    /// UnbindRequest): over TLS, they go into the TLS buffer with the
    /// close_notify alert behind them, and both leave in one write on the
    /// flush that follows, rather than one write each. Returns whether it
    /// took any bytes.
    fn coalesce_close(&mut self, machine: &Connection) -> bool {
        if !machine.is_closed() || self.wpos >= self.wbuf.len() {
            return false;
        }
        let Some(Transport::Tls(tls)) = self.transport.as_mut() else {
            return false;
        };
        let conn = tls.get_mut().1;
        let rest = self.wbuf.get(self.wpos..).unwrap_or_default();
        // rustls takes what fits its buffer; the rest goes the usual way.
        let Ok(n) = std::io::Write::write(&mut conn.writer(), rest) else {
            return false;
        };
        self.wpos += n;
        self.unflushed |= n > 0;
        if self.wpos >= self.wbuf.len() {
            conn.send_close_notify();
            self.unflushed = true;
        }
        n > 0
    }

    /// Reads what the server sent and hands it to the machine. While
    /// searches (and nothing else) are `streaming` and the reads come in
    /// full, or [`STREAK`] reads in a row, the socket's
    /// low-water mark is raised so that the next wake-up finds a batch;
    /// when the driver then waits [`TAIL_WAIT`] for nothing, the mark is
    /// lowered and whatever arrived is read anyway.
    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        machine: &mut Connection,
        streaming: bool,
    ) -> bool {
        if machine.is_upgrading() || self.read_closed || machine.is_closed() {
            return false;
        }
        if !streaming {
            self.batching.streak = 0;
            if self.batching.raised {
                self.set_mark(1);
            }
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
        // What TLS read may make it want to answer, with no data for us
        // (a TLS 1.2 renegotiation request gets a `no_renegotiation`
        // alert): flush that now, not when the next request happens to be
        // written, or a server waiting for it waits forever.
        let tls_wants_write = match self.transport.as_ref() {
            Some(Transport::Tls(s)) => s.get_ref().1.wants_write(),
            _ => false,
        };
        let must_flush = tls_wants_write && !self.unflushed;
        if must_flush {
            self.unflushed = true;
        }
        match res {
            Poll::Pending => {
                if self.batching.raised && self.tail_over(cx) {
                    return self.collect_tail(machine) || must_flush;
                }
                must_flush
            }
            Poll::Ready(Ok(())) if filled == 0 => {
                self.read_closed = true;
                let err = self.diagnose_close(None);
                self.transport_failed(machine, err);
                true
            }
            Poll::Ready(Ok(())) => {
                self.received_any = true;
                self.batching.tail = None;
                if streaming && !self.batching.raised {
                    self.batching.streak = self.batching.streak.saturating_add(1);
                    if filled == READ_CHUNK || self.batching.streak >= STREAK {
                        self.set_mark(STREAM_LOWAT);
                    }
                }
                machine.handle_input(&mut self.rbuf);
                true
            }
            Poll::Ready(Err(e)) => {
                self.read_closed = true;
                let err = self.diagnose_close(Some(e));
                self.transport_failed(machine, err);
                true
            }
        }
    }

    /// The TCP socket under the transport.
    fn tcp(&self) -> Option<&TcpStream> {
        tcp_of(self.transport.as_ref())
    }

    /// Sets the socket's receive low-water mark (1: the default, report
    /// any byte). A socket or platform that refuses it is read as usual
    /// from then on.
    fn set_mark(&mut self, bytes: usize) {
        let raise = bytes > 1;
        if self.batching.unsupported || self.batching.raised == raise {
            return;
        }
        let Some(tcp) = self.tcp() else {
            return;
        };
        match lowat::set_recv_lowat(tcp, bytes) {
            Ok(()) => self.batching.raised = raise,
            Err(e) => {
                tracing::debug!(error = %e, "not batching reads: SO_RCVLOWAT refused");
                self.batching.unsupported = true;
                self.batching.raised = false;
            }
        }
        if !self.batching.raised {
            self.batching.tail = None;
        }
    }

    /// Whether the driver has waited [`TAIL_WAIT`] with the mark raised
    /// (arming the timer on the first call).
    fn tail_over(&mut self, cx: &mut Context<'_>) -> bool {
        let tail = self
            .batching
            .tail
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(TAIL_WAIT)));
        if tail.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.batching.tail = None;
        true
    }

    /// Lowers the mark and reads what already arrived, straight from the
    /// socket: the runtime saw the socket not ready (the kernel held the
    /// report back for the mark) and does not look again until the kernel
    /// reports it, which not every kernel does when a mark is lowered.
    /// Returns whether anything happened.
    fn collect_tail(&mut self, machine: &mut Connection) -> bool {
        self.set_mark(1);
        let mut got = false;
        loop {
            let Some(tcp) = tcp_of(self.transport.as_ref()) else {
                return got;
            };
            let n = match (&*socket2::SockRef::from(tcp)).read(&mut self.scratch) {
                Ok(0) => break, // the end: the runtime reports it too
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.read_closed = true;
                    let err = self.diagnose_close(Some(e));
                    self.transport_failed(machine, err);
                    return true;
                }
            };
            got = true;
            if let Err(e) = self.take_raw(n) {
                self.read_closed = true;
                let err = self.diagnose_close(Some(e));
                self.transport_failed(machine, err);
                return true;
            }
        }
        if got {
            self.received_any = true;
            machine.handle_input(&mut self.rbuf);
        }
        got
    }

    /// Hands the first `n` bytes of the scratch buffer, read from the
    /// socket, to TLS (and what it decrypts to the read buffer), or
    /// straight to the read buffer without TLS.
    fn take_raw(&mut self, n: usize) -> std::io::Result<()> {
        let mut input = self.scratch.get(..n).unwrap_or_default();
        match self.transport.as_mut() {
            Some(Transport::Tls(tls)) => {
                let conn = tls.get_mut().1;
                while !input.is_empty() {
                    conn.read_tls(&mut input)?;
                    conn.process_new_packets()
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                    let mut out = (&mut self.rbuf).writer();
                    match std::io::copy(&mut conn.reader(), &mut out) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            _ => self.rbuf.extend_from_slice(input),
        }
        Ok(())
    }

    /// Drops the transport without a clean shutdown.
    pub(super) fn abort(&mut self) {
        self.discard_writes();
        self.transport = None;
    }

    /// Shuts the transport down and drops it.
    pub(super) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(t) = self.transport.as_mut() {
            if Pin::new(t).poll_shutdown(cx).is_pending() {
                return Poll::Pending;
            }
        }
        self.transport = None;
        Poll::Ready(())
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

    fn transport_failed(&mut self, machine: &mut Connection, err: Error) {
        self.wbuf.clear();
        self.wpos = 0;
        self.unflushed = false;
        machine.handle_close(err);
        // Nothing more can be sent; drop what the machine still holds.
        let mut discard = Vec::new();
        machine.poll_transmit(&mut discard);
    }
}

/// The TCP socket under `transport`, if there is one.
fn tcp_of(transport: Option<&Transport>) -> Option<&TcpStream> {
    match transport? {
        Transport::Tcp(tcp) => Some(tcp),
        Transport::Tls(tls) => Some(tls.get_ref().0),
        #[allow(unreachable_patterns)] // only with cfg(unix) or cfg(test)
        _ => None,
    }
}
