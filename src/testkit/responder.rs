//! A fixed in-process LDAP responder over rustls, for the handshake
//! benchmarks without slapd: it asks for a client certificate (naming CA A
//! and CA B as trusted, like slapd with both in its CA file), verifies it,
//! and answers Bind (any: success), WhoAmI (a fixed identity) and StartTLS.
//! Replies are encoded into one buffer and written once per batch of
//! requests.
//!
//! It runs on its own thread with a current-thread runtime, so its CPU time
//! can be kept apart from the client's (by the thread's name).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::pki::Pki;
use super::server::{tls_config, ClientAuth};
use super::Error;
use crate::ber::frame_len;
use crate::proto::extended::{START_TLS, WHO_AM_I};
use crate::proto::{
    BindResponse, ExtendedResponse, LdapMessage, LdapResult, MessageId, ProtocolOp, ResultCode,
};

/// The identity WhoAmI reports.
pub const IDENTITY: &str = "dn:uid=alice,ou=people,dc=example,dc=com";

/// A running responder; it lives as long as the process.
#[derive(Clone, Copy, Debug)]
pub struct Responder {
    /// LDAPS listener.
    pub ldaps: SocketAddr,
    /// Plain LDAP listener (StartTLS).
    pub ldap: SocketAddr,
}

impl Responder {
    /// Starts the responder on a thread named `thread_name`.
    pub fn start(pki: &Pki, thread_name: String) -> Result<Self, Error> {
        let acceptor = TlsAcceptor::from(server_config(pki)?);
        let bind = || {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.set_nonblocking(true)?;
            let addr = listener.local_addr()?;
            Ok::<_, io::Error>((listener, addr))
        };
        let (ldaps, ldaps_addr) = bind().map_err(|e| Error::with("responder listener", e))?;
        let (ldap, ldap_addr) = bind().map_err(|e| Error::with("responder listener", e))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::with("responder runtime", e))?;
        std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                rt.block_on(async move {
                    let (Ok(ldaps), Ok(ldap)) =
                        (TcpListener::from_std(ldaps), TcpListener::from_std(ldap))
                    else {
                        return;
                    };
                    tokio::spawn(accept_loop(ldap, acceptor.clone(), false));
                    accept_loop(ldaps, acceptor, true).await;
                });
            })
            .map_err(|e| Error::with("responder thread", e))?;
        Ok(Self {
            ldaps: ldaps_addr,
            ldap: ldap_addr,
        })
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://{}", self.ldaps)
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn ldap_url(&self) -> String {
        format!("ldap://{}", self.ldap)
    }
}

/// The responder's TLS config: server certificate from CA A, client
/// certificate required and verified against CA A and CA B, whose names
/// go into the CertificateRequest; rustls' default versions.
pub fn server_config(pki: &Pki) -> Result<Arc<ServerConfig>, Error> {
    tls_config(pki, &ClientAuth::demand(), &[])
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, tls_first: bool) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _ = connection(tcp, acceptor, tls_first).await;
        });
    }
}

async fn connection(tcp: TcpStream, acceptor: TlsAcceptor, tls_first: bool) -> io::Result<()> {
    let mut buf = BytesMut::with_capacity(4096);
    let mut tcp = tcp;
    if !tls_first {
        match session(&mut tcp, &mut buf, true).await? {
            Next::Close => return Ok(()),
            Next::StartTls => {}
        }
    }
    let mut tls = acceptor.accept(tcp).await?;
    buf.clear();
    session(&mut tls, &mut buf, false).await?;
    tls.shutdown().await
}

enum Next {
    Close,
    StartTls,
}

/// Answers requests until Unbind, EOF, or (when allowed) StartTLS.
async fn session<S>(io: &mut S, buf: &mut BytesMut, starttls: bool) -> io::Result<Next>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut out = Vec::with_capacity(256);
    loop {
        while let Ok(Some(len)) = frame_len(buf, 1 << 20) {
            if len > buf.len() {
                break;
            }
            let frame = buf.split_to(len).freeze();
            let Ok(msg) = LdapMessage::decode(frame) else {
                return Ok(Next::Close);
            };
            match msg.op {
                ProtocolOp::BindRequest(_) => {
                    let op = ProtocolOp::BindResponse(BindResponse {
                        result: LdapResult::new(ResultCode::SUCCESS),
                        server_sasl_creds: None,
                    });
                    encode(&mut out, msg.id, op);
                }
                ProtocolOp::ExtendedRequest(req) if &*req.name == WHO_AM_I => {
                    encode(&mut out, msg.id, extended(Some(IDENTITY.as_bytes())));
                }
                ProtocolOp::ExtendedRequest(req) if starttls && &*req.name == START_TLS => {
                    encode(&mut out, msg.id, extended(None));
                    io.write_all(&out).await?;
                    io.flush().await?;
                    return Ok(Next::StartTls);
                }
                ProtocolOp::UnbindRequest => {
                    io.write_all(&out).await?;
                    return Ok(Next::Close);
                }
                _ => {}
            }
        }
        if !out.is_empty() {
            io.write_all(&out).await?;
            io.flush().await?;
            out.clear();
        }
        buf.reserve(4096);
        if io.read_buf(buf).await? == 0 {
            return Ok(Next::Close);
        }
    }
}

fn extended(value: Option<&[u8]>) -> ProtocolOp {
    ProtocolOp::ExtendedResponse(ExtendedResponse {
        result: LdapResult::new(ResultCode::SUCCESS),
        name: None,
        value: value.map(Bytes::copy_from_slice),
    })
}

fn encode(out: &mut Vec<u8>, id: MessageId, op: ProtocolOp) {
    LdapMessage {
        id,
        op,
        controls: Vec::new(),
    }
    .encode(out);
}
