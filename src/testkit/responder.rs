//! A fixed in-process LDAP responder over rustls, for the handshake
//! benchmarks without slapd: it asks for a client certificate (naming CA A
//! and CA B as trusted, like slapd with both in its CA file), verifies it,
//! and answers Bind (any: success), WhoAmI (a fixed identity) and StartTLS.
//! Requests are not decoded: their envelope is scanned for the message ID
//! and the kind of operation, and every reply is encoded once at the start
//! of a session, only its message ID written per reply; replies are
//! gathered into one buffer and written once per batch of requests. So
//! the responder is as cheap as a server can be, and a loop against it is
//! bound by the client.
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
use crate::ber::{frame_len, Reader, Tag, Writer};
use crate::proto::extended::{START_TLS, WHO_AM_I};
use crate::proto::{BindResponse, ExtendedResponse, LdapResult, ProtocolOp, ResultCode};

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

/// What a request asks for, read from its envelope without decoding it.
enum Ask {
    Bind,
    WhoAmI,
    StartTls,
    Unbind,
    Other,
}

/// The message ID and the kind of `frame` (one LDAPMessage); `None` when
/// it is not one.
fn scan(frame: &[u8]) -> Option<(i64, Ask)> {
    let outer = Reader::new(frame);
    let mut top = outer.clone();
    let msg = top.element(Tag::SEQUENCE).ok()?;
    let mut body = msg.reader(&outer).ok()?;
    let id = body.integer(Tag::INTEGER).ok()?;
    let op = body.tlv().ok()?;
    let ask = match op.tag() {
        t if t == Tag::application(0).constructed() => Ask::Bind,
        t if t == Tag::application(2) => Ask::Unbind,
        t if t == Tag::application(23).constructed() => {
            let mut req = op.reader(&body).ok()?;
            match req.octet_string(Tag::context(0)).ok()? {
                name if name == WHO_AM_I.as_bytes() => Ask::WhoAmI,
                name if name == START_TLS.as_bytes() => Ask::StartTls,
                _ => Ask::Other,
            }
        }
        _ => Ask::Other,
    };
    Some((id, ask))
}

/// The responses, encoded once: only the message ID is written per reply.
struct Replies {
    bind: Vec<u8>,
    whoami: Vec<u8>,
    starttls: Vec<u8>,
}

impl Replies {
    fn new() -> Self {
        let op = |op: ProtocolOp| {
            let mut out = Vec::new();
            op.encode(&mut Writer::new(&mut out));
            out
        };
        Self {
            bind: op(ProtocolOp::BindResponse(BindResponse {
                result: LdapResult::new(ResultCode::SUCCESS),
                server_sasl_creds: None,
            })),
            whoami: op(extended(Some(IDENTITY.as_bytes()))),
            starttls: op(extended(None)),
        }
    }
}

/// Appends the LDAPMessage of message ID `id` carrying the pre-encoded `op`.
fn reply(out: &mut Vec<u8>, id: i64, op: &[u8]) {
    Writer::new(out).sequence(Tag::SEQUENCE, |w| {
        w.integer(Tag::INTEGER, id);
        w.raw(op);
    });
}

/// Answers requests until Unbind, EOF, or (when allowed) StartTLS.
async fn session<S>(io: &mut S, buf: &mut BytesMut, starttls: bool) -> io::Result<Next>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let replies = Replies::new();
    let mut out = Vec::with_capacity(256);
    loop {
        while let Ok(Some(len)) = frame_len(buf, 1 << 20) {
            if len > buf.len() {
                break;
            }
            let frame = buf.split_to(len);
            let Some((id, ask)) = scan(&frame) else {
                return Ok(Next::Close);
            };
            match ask {
                Ask::Bind => reply(&mut out, id, &replies.bind),
                Ask::WhoAmI => reply(&mut out, id, &replies.whoami),
                Ask::StartTls if starttls => {
                    reply(&mut out, id, &replies.starttls);
                    io.write_all(&out).await?;
                    io.flush().await?;
                    return Ok(Next::StartTls);
                }
                Ask::Unbind => {
                    io.write_all(&out).await?;
                    return Ok(Next::Close);
                }
                Ask::StartTls | Ask::Other => {}
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
