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
use tokio_ldap::rustls::crypto::ring;
use tokio_ldap::rustls::pki_types::pem::PemObject;
use tokio_ldap::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_ldap::rustls::server::WebPkiClientVerifier;
use tokio_ldap::rustls::{
    DistinguishedName, RootCertStore, ServerConfig, SupportedProtocolVersion, DEFAULT_VERSIONS,
};

use super::pki::{Entity, Pki};

/// Anything the server can talk over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The server side of one accepted connection.
pub struct Peer {
    io: Box<dyn Io>,
    buf: BytesMut,
    tcp: Option<std::net::TcpStream>,
    client_chain: Option<Vec<CertificateDer<'static>>>,
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

/// How a TLS test server treats client certificates.
#[derive(Clone, Debug, Default)]
pub enum ClientAuth {
    /// No CertificateRequest.
    #[default]
    Off,
    /// A CertificateRequest; the chain must lead to one of `roots` (from
    /// the EC test PKI, e.g. `["ca_a", "ca_b"]`), unless `optional`, which
    /// lets a client without a certificate in.
    Request {
        /// The roots the server verifies client chains against.
        roots: Vec<&'static str>,
        /// The CA names sent in the CertificateRequest: `None` for the
        /// subjects of `roots` (rustls' default), `Some(list)` for exactly
        /// `list` (`clear_root_hint_subjects` then these, any bytes).
        hints: Option<Vec<Vec<u8>>>,
        /// Whether a client may send no certificate.
        optional: bool,
    },
}

impl ClientAuth {
    /// Requires a certificate issued under CA A or CA B, naming both.
    pub fn demand() -> Self {
        Self::Request {
            roots: vec!["ca_a", "ca_b"],
            hints: None,
            optional: false,
        }
    }

    /// Asks for a certificate (naming CA A and CA B), lets anyone in.
    pub fn optional() -> Self {
        Self::Request {
            roots: vec!["ca_a", "ca_b"],
            hints: None,
            optional: true,
        }
    }

    /// Asks for a certificate naming exactly `hints`, lets anyone in.
    pub fn hinting(hints: Vec<Vec<u8>>) -> Self {
        Self::Request {
            roots: vec!["ca_a"],
            hints: Some(hints),
            optional: true,
        }
    }
}

/// A rustls server config for the EC test PKI's server certificate
/// (CN=localhost, SAN 127.0.0.1, issued by CA A), with `auth` and the TLS
/// `versions` (empty: rustls' defaults).
pub fn tls_config(
    auth: &ClientAuth,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ServerConfig> {
    let pki = Pki::ec();
    let provider = Arc::new(ring::default_provider());
    let versions = if versions.is_empty() {
        DEFAULT_VERSIONS
    } else {
        versions
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .expect("protocol versions");
    let builder = match auth {
        ClientAuth::Off => builder.with_no_client_auth(),
        ClientAuth::Request {
            roots,
            hints,
            optional,
        } => {
            let mut store = RootCertStore::empty();
            for name in roots {
                store
                    .add(CertificateDer::from(entity(pki, name).cert_der.clone()))
                    .expect("root certificate");
            }
            let mut verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
            if let Some(hints) = hints {
                verifier = verifier
                    .clear_root_hint_subjects()
                    .add_root_hint_subjects(hints.iter().cloned().map(DistinguishedName::from));
            }
            if *optional {
                verifier = verifier.allow_unauthenticated();
            }
            builder.with_client_cert_verifier(verifier.build().expect("client verifier"))
        }
    };
    let chain = vec![CertificateDer::from(pki.server.cert_der.clone())];
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes()).expect("server key");
    Arc::new(
        builder
            .with_single_cert(chain, key)
            .expect("server certificate"),
    )
}

/// An entity of the test PKI by field name.
pub fn entity(pki: &'static Pki, name: &str) -> &'static Entity {
    match name {
        "ca_a" => &pki.ca_a,
        "ca_b" => &pki.ca_b,
        "ca_a_int" => &pki.ca_a_int,
        "ca_evil" => &pki.ca_evil,
        "server" => &pki.server,
        "alice" => &pki.alice,
        "bob" => &pki.bob,
        "carol" => &pki.carol,
        "mallory" => &pki.mallory,
        other => panic!("no entity {other:?} in the test PKI"),
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
pub async fn start_tls<F, Fut>(config: Arc<ServerConfig>, script: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    start_with(Some(config), script).await
}

async fn start_with<F, Fut>(tls: Option<Arc<ServerConfig>>, script: F) -> Server
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
                let (io, client_chain): (Box<dyn Io>, _) = match tls {
                    None => (Box::new(tcp), None),
                    Some(cfg) => match tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await {
                        Ok(s) => {
                            let chain = owned_chain(s.get_ref().1.peer_certificates());
                            (Box::new(s), chain)
                        }
                        Err(_) => return,
                    },
                };
                script(Peer {
                    io,
                    buf: BytesMut::new(),
                    tcp: Some(keep),
                    client_chain,
                })
                .await;
            });
        }
    });
    Server { addr, task }
}

fn owned_chain(chain: Option<&[CertificateDer<'_>]>) -> Option<Vec<CertificateDer<'static>>> {
    chain.map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
}

impl Peer {
    /// The chain the client sent in the TLS handshake (`None`: no TLS, or
    /// no certificate).
    pub fn client_chain(&self) -> Option<&[CertificateDer<'static>]> {
        self.client_chain.as_deref()
    }

    /// Runs the server side of a TLS handshake on the connection (after a
    /// StartTLS response). Bytes the client sent before it and that were
    /// already read are discarded.
    pub async fn start_tls(&mut self, config: Arc<ServerConfig>) -> io::Result<()> {
        self.buf.clear();
        let io = std::mem::replace(&mut self.io, Box::new(tokio::io::empty()));
        let tls = tokio_rustls::TlsAcceptor::from(config).accept(io).await?;
        self.client_chain = owned_chain(tls.get_ref().1.peer_certificates());
        self.io = Box::new(tls);
        Ok(())
    }

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
    pub async fn pause(&mut self, d: Duration) {
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
