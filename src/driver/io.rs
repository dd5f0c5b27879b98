//! The socket side of the driver: reading, writing and flushing, and why
//! the stream ended.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use zeroize::Zeroize;

use crate::conn::Connection;
use crate::tls::{self, HandshakeRecord};
use crate::transport::Transport;
use crate::Error;

/// How many bytes to ask the socket for at a time.
const READ_CHUNK: usize = 16 * 1024;

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
        let Some(t) = self.transport.as_mut() else {
            return (false, false);
        };
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
        let mut progress = false;
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

    /// Reads what the server sent and hands it to the machine.
    pub(super) fn poll_read(&mut self, cx: &mut Context<'_>, machine: &mut Connection) -> bool {
        if machine.is_upgrading() || self.read_closed || machine.is_closed() {
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
            Poll::Pending => must_flush,
            Poll::Ready(Ok(())) if filled == 0 => {
                self.read_closed = true;
                let err = self.diagnose_close(None);
                self.transport_failed(machine, err);
                true
            }
            Poll::Ready(Ok(())) => {
                self.received_any = true;
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
