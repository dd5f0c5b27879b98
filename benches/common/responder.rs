//! An in-process LDAP responder over rustls, for the handshake loop
//! without slapd: it asks for a client certificate (naming CA A and CA B
//! as trusted, like slapd with both in its CA file), verifies it, and
//! answers Bind (any: success), WhoAmI (a fixed identity) and StartTLS.
//!
//! It runs on its own thread (named with [`SERVER_THREAD_PREFIX`]) with a
//! current-thread runtime, so its CPU time is kept apart from the client's.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_ldap::ber::frame_len;
use tokio_ldap::proto::extended::{START_TLS, WHO_AM_I};
use tokio_ldap::proto::{
    BindResponse, ExtendedResponse, LdapMessage, LdapResult, MessageId, ProtocolOp, ResultCode,
};
use tokio_rustls::TlsAcceptor;

use super::{provider, SERVER_THREAD_PREFIX};
use crate::support::pki::Pki;

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
    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://{}", self.ldaps)
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn ldap_url(&self) -> String {
        format!("ldap://{}", self.ldap)
    }
}

/// Starts the responder on its own thread.
pub fn start(pki: &'static Pki) -> Responder {
    let acceptor = TlsAcceptor::from(server_config(pki));
    let ldaps = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let ldap = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addrs = Responder {
        ldaps: ldaps.local_addr().expect("addr"),
        ldap: ldap.local_addr().expect("addr"),
    };
    ldaps.set_nonblocking(true).expect("nonblocking");
    ldap.set_nonblocking(true).expect("nonblocking");
    std::thread::Builder::new()
        .name(format!("{SERVER_THREAD_PREFIX}-ldap"))
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("responder runtime");
            rt.block_on(async move {
                let ldaps = TcpListener::from_std(ldaps).expect("listener");
                let ldap = TcpListener::from_std(ldap).expect("listener");
                let a2 = acceptor.clone();
                tokio::spawn(accept_loop(ldap, a2, false));
                accept_loop(ldaps, acceptor, true).await;
            });
        })
        .expect("responder thread");
    addrs
}

/// The responder's TLS config: server certificate from CA A, client
/// certificate required and verified against CA A and CA B, whose names
/// go into the CertificateRequest.
pub fn server_config(pki: &Pki) -> Arc<ServerConfig> {
    let mut roots = RootCertStore::empty();
    for ca in [&pki.ca_a, &pki.ca_b] {
        roots
            .add(CertificateDer::from(ca.cert_der.clone()))
            .expect("CA root");
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .expect("client verifier");
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes()).expect("server key");
    let chain = vec![CertificateDer::from(pki.server.cert_der.clone())];
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("server certificate");
    Arc::new(config)
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
