//! A scripted in-process LDAP server on loopback, plain or TLS.
//!
//! Each test gives an async script that receives a [`Peer`] per accepted
//! connection and decides exactly what the server reads and answers:
//! well-formed PDUs, arbitrary bytes, pauses, closes and resets. Used for
//! driver tests and for the faults a real server will not produce.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_ldap::ber::frame_len;
use tokio_ldap::proto::{
    BindResponse, Control, ExtendedResponse, LdapMessage, LdapResult, MessageId, ProtocolOp,
    ResultCode,
};

/// Anything the server can talk over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The server side of one accepted connection.
pub struct Peer {
    io: Box<dyn Io>,
    buf: BytesMut,
    tcp: Option<std::net::TcpStream>,
}

/// A running scripted server.
pub struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// `ldap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldap://{}", self.addr)
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://{}", self.addr)
    }

    /// `ldaps://localhost:PORT` (for certificate name checks).
    pub fn ldaps_localhost(&self) -> String {
        format!("ldaps://localhost:{}", self.addr.port())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Script = Arc<dyn Fn(Peer) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Starts a plain-TCP server running `script` on every connection.
pub async fn start<F, Fut>(script: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    start_with(None, script).await
}

/// Starts a TLS server (LDAPS) with `config`, running `script` on every
/// connection whose handshake succeeds.
pub async fn start_tls<F, Fut>(config: Arc<rustls::ServerConfig>, script: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    start_with(Some(config), script).await
}

async fn start_with<F, Fut>(tls: Option<Arc<rustls::ServerConfig>>, script: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let script: Script = Arc::new(move |p| Box::pin(script(p)));
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            let script = script.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let raw = tcp.into_std().expect("into_std");
                let keep = raw.try_clone().expect("clone socket");
                let tcp = TcpStream::from_std(raw).expect("from_std");
                let io: Box<dyn Io> = match tls {
                    None => Box::new(tcp),
                    Some(cfg) => match tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await {
                        Ok(s) => Box::new(s),
                        Err(_) => return,
                    },
                };
                script(Peer {
                    io,
                    buf: BytesMut::new(),
                    tcp: Some(keep),
                })
                .await;
            });
        }
    });
    Server { addr, task }
}

impl Peer {
    /// The next whole message from the client; `None` when it closed.
    pub async fn recv(&mut self) -> Option<LdapMessage> {
        loop {
            if let Ok(Some(len)) = frame_len(&self.buf, usize::MAX) {
                if len <= self.buf.len() {
                    let frame = self.buf.split_to(len).freeze();
                    return Some(LdapMessage::decode(frame).expect("client sent a valid message"));
                }
            }
            let mut chunk = [0u8; 8192];
            match self.io.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Receives the next message, skipping AbandonRequests (returned
    /// separately by [`Peer::recv`] when a test cares).
    pub async fn recv_op(&mut self) -> Option<LdapMessage> {
        loop {
            let m = self.recv().await?;
            if !matches!(m.op, ProtocolOp::AbandonRequest(_)) {
                return Some(m);
            }
        }
    }

    /// Sends a message.
    pub async fn send(&mut self, id: MessageId, op: ProtocolOp) -> io::Result<()> {
        self.send_with(id, op, Vec::new()).await
    }

    /// Sends a message with controls.
    pub async fn send_with(
        &mut self,
        id: MessageId,
        op: ProtocolOp,
        controls: Vec<Control>,
    ) -> io::Result<()> {
        let mut out = Vec::new();
        LdapMessage { id, op, controls }.encode(&mut out);
        self.send_raw(&out).await
    }

    /// Queues a message without flushing (for bulk sends); call
    /// [`Peer::flush`] after.
    pub fn encode_into(out: &mut Vec<u8>, id: MessageId, op: ProtocolOp) {
        LdapMessage {
            id,
            op,
            controls: Vec::new(),
        }
        .encode(out);
    }

    /// Sends arbitrary bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await
    }

    /// Flushes.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.io.flush().await
    }

    /// Closes cleanly (TLS close_notify, then FIN).
    pub async fn close(mut self) {
        let _ = self.io.shutdown().await;
    }

    /// Resets the connection: SO_LINGER 0, then close, so the kernel
    /// sends RST instead of FIN.
    pub fn reset(mut self) {
        if let Some(tcp) = self.tcp.take() {
            let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
        }
    }

    /// Sleeps.
    pub async fn pause(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    /// Answers a bind with `code`.
    pub async fn bind_response(&mut self, id: MessageId, code: ResultCode) -> io::Result<()> {
        let op = ProtocolOp::BindResponse(BindResponse {
            result: LdapResult::new(code),
            server_sasl_creds: None,
        });
        self.send(id, op).await
    }

    /// Answers an extended operation.
    pub async fn extended_response(
        &mut self,
        id: MessageId,
        code: ResultCode,
        value: Option<&[u8]>,
    ) -> io::Result<()> {
        let op = ProtocolOp::ExtendedResponse(ExtendedResponse {
            result: LdapResult::new(code),
            name: None,
            value: value.map(bytes::Bytes::copy_from_slice),
        });
        self.send(id, op).await
    }
}
