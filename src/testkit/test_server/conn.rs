//! The IO side of a [`TestServer`](super::TestServer): one task per
//! connection reads whole messages (bounded, as the client reads them),
//! applies the faults in force, asks the [`Session`] for the answer and
//! writes it; StartTLS and the after-handshake rejection live here.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use rustls::server::danger::ClientCertVerifier;
use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::ber::Limits;
use crate::proto::dn::Dn;
use crate::proto::{LdapMessage, ResultCode};
use crate::sync::lock;
use crate::testkit::test_server::faults::{Action, ConnectionRecord, Faults, Transport};
use crate::testkit::test_server::session::{
    authz_id, next_frame, notice, response_with, Reply, Session, Shared,
};
use crate::testkit::test_server::tls::deferred_rejection;

/// Anything a connection runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Everything the connections of one server share.
pub(crate) struct Context {
    pub(crate) shared: Shared,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) records: Mutex<Vec<ConnectionRecord>>,
    pub(crate) tls: Arc<ServerConfig>,
    /// The verifier to run after the handshake (rejections that close).
    pub(crate) deferred: Option<Arc<dyn ClientCertVerifier>>,
    pub(crate) required: bool,
    pub(crate) limits: Limits,
}

impl Context {
    fn record(&self, index: usize, f: impl FnOnce(&mut ConnectionRecord)) {
        if let Some(r) = lock(&self.records).get_mut(index) {
            f(r);
        }
    }
}

fn subject_of(chain: Option<&[CertificateDer<'static>]>) -> Option<Dn> {
    let leaf = chain?.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).ok()?;
    Dn::from_der_name(cert.subject().as_raw()).ok()
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve(
    ctx: Arc<Context>,
    io: Box<dyn Io>,
    transport: Transport,
    peer: Option<Dn>,
) {
    let index = {
        let mut records = lock(&ctx.records);
        records.push(ConnectionRecord::new(transport));
        records.len() - 1
    };
    let mut session = Session::new(false);
    session.peer = peer;
    let mut io = io;
    if transport == Transport::Ldaps {
        match handshake(&ctx, index, io, &mut session).await {
            Some(tls) => io = tls,
            None => return,
        }
    }
    let mut buf = BytesMut::with_capacity(4096);
    let mut received = 0usize;
    loop {
        let frame = match read_frame(&mut io, &mut buf, ctx.limits.max_len).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(why) => {
                let _ = write(&mut io, &[notice(ResultCode::PROTOCOL_ERROR, &why)]).await;
                ctx.record(index, |r| r.closed_because = Some(why));
                return;
            }
        };
        let message = match LdapMessage::decode_with_limits(frame, ctx.limits) {
            Ok(m) => m,
            Err(e) => {
                let why = format!("the client sent an invalid message: {e}");
                let _ = write(&mut io, &[notice(ResultCode::PROTOCOL_ERROR, &why)]).await;
                ctx.record(index, |r| r.closed_because = Some(why));
                return;
            }
        };
        ctx.record(index, |r| r.requests.push(message.clone()));
        received += 1;
        let faults = lock(&ctx.faults).clone();
        if faults.drop_after.is_some_and(|n| received > n) {
            ctx.record(index, |r| {
                r.closed_because = Some(format!("fault: dropped at message {received}"));
            });
            return;
        }
        if !faults.delay.is_zero() {
            tokio::time::sleep(faults.delay).await;
        }
        match faults.action_for(received, &message.op) {
            Some(Action::Bytes(bytes)) => {
                if io.write_all(&bytes).await.is_err() || io.flush().await.is_err() {
                    return;
                }
                continue;
            }
            Some(Action::Fail(code)) => {
                let mut result = crate::proto::LdapResult::new(code);
                result.message = "injected by the test".into();
                if let Some(op) = response_with(&message.op, result) {
                    if write(&mut io, &[LdapMessage::new(message.id, op)])
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                continue;
            }
            None => {}
        }
        let reply = session.handle(&ctx.shared, &message);
        let identity = session.identity.as_ref().map(authz_id);
        ctx.record(index, |r| r.identity = identity);
        match reply {
            Reply::Send(messages) => {
                if write(&mut io, &messages).await.is_err() {
                    return;
                }
            }
            Reply::Close(messages, why) => {
                let _ = write(&mut io, &messages).await;
                let _ = io.shutdown().await;
                ctx.record(index, |r| r.closed_because = Some(why));
                return;
            }
            Reply::StartTls(response) => {
                if write(&mut io, &[response]).await.is_err() {
                    return;
                }
                buf.clear();
                match handshake(&ctx, index, io, &mut session).await {
                    Some(tls) => io = tls,
                    None => return,
                }
            }
        }
    }
}

/// The server side of a TLS handshake on `io`; `None` when it failed or
/// the certificate was refused after it (the connection is then dropped
/// without an alert).
async fn handshake(
    ctx: &Context,
    index: usize,
    io: Box<dyn Io>,
    session: &mut Session,
) -> Option<Box<dyn Io>> {
    let tls = match tokio_rustls::TlsAcceptor::from(Arc::clone(&ctx.tls))
        .accept(io)
        .await
    {
        Ok(tls) => tls,
        Err(e) => {
            ctx.record(index, |r| {
                r.rejected = Some(format!("TLS handshake failed: {e}"))
            });
            return None;
        }
    };
    let chain: Option<Vec<CertificateDer<'static>>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.iter().map(|c| c.clone().into_owned()).collect());
    ctx.record(index, |r| {
        r.tls = true;
        r.client_chain = chain.clone();
    });
    if let Some(verifier) = &ctx.deferred {
        if let Some(why) = deferred_rejection(verifier.as_ref(), ctx.required, chain.as_deref()) {
            ctx.record(index, |r| r.rejected = Some(why));
            // Dropped without close_notify: the client reads an EOF.
            return None;
        }
    }
    session.tls = true;
    session.cert_subject = subject_of(chain.as_deref());
    Some(Box::new(tls))
}

/// The next whole message, `None` at the end of the stream; an error
/// (see [`next_frame`]) for what is not an LDAPMessage or is over
/// `max_len`.
async fn read_frame(
    io: &mut Box<dyn Io>,
    buf: &mut BytesMut,
    max_len: usize,
) -> Result<Option<bytes::Bytes>, String> {
    loop {
        if let Some(frame) = next_frame(buf, max_len)? {
            return Ok(Some(frame));
        }
        // At most the announced length (under max_len) is buffered.
        buf.reserve(4096);
        match io.read_buf(buf).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(_) => {}
        }
    }
}

async fn write(io: &mut Box<dyn Io>, messages: &[LdapMessage]) -> std::io::Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut out = Vec::new();
    for m in messages {
        m.encode(&mut out);
    }
    io.write_all(&out).await?;
    io.flush().await
}
