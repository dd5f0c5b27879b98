//! A scripted in-process LDAP server on loopback, plain or TLS.
//!
//! Each test gives an async script that receives a [`Peer`] per accepted
//! connection and decides exactly what the server reads and answers:
//! well-formed PDUs, arbitrary bytes, pauses, closes and resets. Used for
//! driver and handshake tests and for the faults a real server will not
//! produce. The TLS side is configured by [`tls_config`]: the standard test
//! PKI's server certificate, and a [`ClientAuth`] mode naming the CAs the
//! server's CertificateRequest lists.

use std::future::Future;
use std::io::{self, Read as _};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, ServerConnection,
    SignatureScheme, SupportedProtocolVersion, DEFAULT_VERSIONS,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::pki::Pki;
use super::Error;
use crate::ber::frame_len;
use crate::proto::{
    BindResponse, Control, ExtendedResponse, LdapMessage, LdapResult, MessageId, ProtocolOp,
    ResultCode,
};

/// What a server's CertificateRequest names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Hints {
    /// The subjects of its roots, in order (rustls' default).
    #[default]
    Roots,
    /// These DER names, in this order (any bytes).
    Custom(Vec<Vec<u8>>),
    /// None at all.
    Empty,
}

/// How a TLS test server treats client certificates. Roots are named by
/// their field in the standard [`Pki`] (`"ca_a"`, `"ca_b"`, ...).
#[derive(Clone, Debug, Default)]
pub enum ClientAuth {
    /// No CertificateRequest.
    #[default]
    Off,
    /// A CertificateRequest naming `hints`; the chain must lead to one of
    /// `roots`, unless `optional`, which lets a client without a
    /// certificate in.
    Request {
        /// The roots the server verifies client chains against.
        roots: Vec<&'static str>,
        /// The CA names sent in the CertificateRequest.
        hints: Hints,
        /// Whether a client may send no certificate.
        optional: bool,
        /// Accept only RSA signatures from clients (so only RSA schemes
        /// are offered to them).
        rsa_only: bool,
    },
    /// Asks (naming `roots`), accepts any certificate or none: like slapd's
    /// `try`, which lets the handshake finish and closes afterwards.
    AcceptAnything {
        /// The roots whose subjects the CertificateRequest names.
        roots: Vec<&'static str>,
    },
}

impl ClientAuth {
    /// Requires a certificate under `roots`, naming their subjects.
    pub fn request(roots: &[&'static str]) -> Self {
        Self::Request {
            roots: roots.to_vec(),
            hints: Hints::Roots,
            optional: false,
            rsa_only: false,
        }
    }

    /// Requires a certificate issued under CA A or CA B, naming both.
    pub fn demand() -> Self {
        Self::request(&["ca_a", "ca_b"])
    }

    /// Asks for a certificate (naming CA A and CA B), lets anyone in.
    pub fn optional() -> Self {
        Self::Request {
            roots: vec!["ca_a", "ca_b"],
            hints: Hints::Roots,
            optional: true,
            rsa_only: false,
        }
    }

    /// Asks for a certificate naming exactly `hints`, lets anyone in.
    pub fn hinting(hints: Vec<Vec<u8>>) -> Self {
        Self::Request {
            roots: vec!["ca_a"],
            hints: Hints::Custom(hints),
            optional: true,
            rsa_only: false,
        }
    }
}

/// The ring provider, as the client uses it.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls server config with `pki`'s server certificate (CN=localhost,
/// SAN localhost, 127.0.0.1 and ::1, issued by CA A), `auth`, and the TLS
/// `versions` (empty: rustls' defaults).
pub fn tls_config(
    pki: &Pki,
    auth: &ClientAuth,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<Arc<ServerConfig>, Error> {
    let versions = if versions.is_empty() {
        DEFAULT_VERSIONS
    } else {
        versions
    };
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| Error::with("protocol versions", e))?;
    let builder = match auth {
        ClientAuth::Off => builder.with_no_client_auth(),
        ClientAuth::Request {
            roots,
            hints,
            optional,
            rsa_only,
        } => {
            let mut store = RootCertStore::empty();
            for name in roots {
                store
                    .add(pki.entity(name)?.cert())
                    .map_err(|e| Error::with(format!("root certificate {name}"), e))?;
            }
            let provider = if *rsa_only {
                Arc::new(rsa_only_provider())
            } else {
                provider()
            };
            let mut verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
            match hints {
                Hints::Roots => {}
                Hints::Custom(names) => {
                    verifier = verifier
                        .clear_root_hint_subjects()
                        .add_root_hint_subjects(names.iter().cloned().map(DistinguishedName::from));
                }
                Hints::Empty => verifier = verifier.clear_root_hint_subjects(),
            }
            if *optional {
                verifier = verifier.allow_unauthenticated();
            }
            let verifier = verifier
                .build()
                .map_err(|e| Error::with("client verifier", e))?;
            builder.with_client_cert_verifier(verifier)
        }
        ClientAuth::AcceptAnything { roots } => {
            let hints = roots
                .iter()
                .map(|name| {
                    Ok(DistinguishedName::from(
                        pki.entity(name)?.subject_der.clone(),
                    ))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            builder.with_client_cert_verifier(Arc::new(AcceptAnything::new(hints)))
        }
    };
    let config = builder
        .with_single_cert(pki.server.chain.clone(), pki.server.key())
        .map_err(|e| Error::with("server certificate", e))?;
    Ok(Arc::new(config))
}

/// The ring provider, verifying only RSA signatures (so it offers clients
/// only RSA schemes).
fn rsa_only_provider() -> CryptoProvider {
    static RSA_ONLY: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
        all: &[
            webpki::ring::RSA_PKCS1_2048_8192_SHA256,
            webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        ],
        mapping: &[
            (
                SignatureScheme::RSA_PSS_SHA256,
                &[webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA256,
                &[webpki::ring::RSA_PKCS1_2048_8192_SHA256],
            ),
        ],
    };
    CryptoProvider {
        signature_verification_algorithms: RSA_ONLY,
        ..rustls::crypto::ring::default_provider()
    }
}

/// Names `hints` in its CertificateRequest, then accepts any certificate.
#[derive(Debug)]
struct AcceptAnything {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnything {
    fn new(hints: Vec<DistinguishedName>) -> Self {
        Self {
            hints,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for AcceptAnything {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

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

/// A running scripted server; dropping it stops accepting.
#[derive(Debug)]
pub struct Server {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

type Script = Arc<dyn Fn(Peer) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

impl Server {
    /// Starts a plain-TCP server running `script` on every connection.
    pub async fn start<F, Fut>(script: F) -> io::Result<Self>
    where
        F: Fn(Peer) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::start_with(None, script).await
    }

    /// Starts a TLS server (LDAPS) with `config`, running `script` on every
    /// connection whose handshake succeeds.
    pub async fn start_tls<F, Fut>(config: Arc<ServerConfig>, script: F) -> io::Result<Self>
    where
        F: Fn(Peer) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::start_with(Some(config), script).await
    }

    async fn start_with<F, Fut>(tls: Option<Arc<ServerConfig>>, script: F) -> io::Result<Self>
    where
        F: Fn(Peer) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let script: Script = Arc::new(move |p| Box::pin(script(p)));
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let script = Arc::clone(&script);
                let tls = tls.clone();
                tokio::spawn(async move {
                    if let Ok(peer) = Peer::accept(tcp, tls).await {
                        script(peer).await;
                    }
                });
            }
        });
        Ok(Self { addr, task })
    }

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

/// Accepts one connection on 127.0.0.1 (TLS when `tls` is given) and runs
/// `script` on it; the task's result is the script's, or the error of the
/// accept or the TLS handshake.
pub async fn serve_one<F, Fut, R>(
    tls: Option<Arc<ServerConfig>>,
    script: F,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<R>>)>
where
    F: FnOnce(Peer) -> Fut + Send + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let peer = Peer::accept(tcp, tls).await?;
        Ok(script(peer).await)
    });
    Ok((addr, task))
}

/// Serves one TLS 1.2 handshake the way slapd does with `TLSVerifyClient
/// demand` and no client certificate: it sends its flight up to
/// ServerHelloDone, reads the client's answer, and closes the TCP connection
/// without an alert. Runs on a thread of its own (blocking IO).
pub fn serve_one_closing_mid_handshake(
    config: Arc<ServerConfig>,
) -> io::Result<(SocketAddr, std::thread::JoinHandle<io::Result<()>>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let thread = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept()?;
        let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
        while !conn.wants_write() {
            if conn.read_tls(&mut sock)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            conn.process_new_packets().map_err(io::Error::other)?;
        }
        while conn.wants_write() {
            conn.write_tls(&mut sock)?;
        }
        // Read the client's flight (until it waits for ours), then close.
        sock.set_read_timeout(Some(Duration::from_millis(100)))?;
        let mut buf = [0u8; 8192];
        while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
        Ok(())
    });
    Ok((addr, thread))
}

fn owned_chain(chain: Option<&[CertificateDer<'_>]>) -> Option<Vec<CertificateDer<'static>>> {
    chain.map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
}

impl Peer {
    /// The server side of an accepted connection: TCP_NODELAY, then the
    /// TLS handshake when `tls` is given.
    async fn accept(tcp: TcpStream, tls: Option<Arc<ServerConfig>>) -> io::Result<Self> {
        let _ = tcp.set_nodelay(true);
        // A second handle on the socket, for `reset`.
        let raw = tcp.into_std()?;
        let keep = raw.try_clone()?;
        let tcp = TcpStream::from_std(raw)?;
        let (io, client_chain): (Box<dyn Io>, _) = match tls {
            None => (Box::new(tcp), None),
            Some(config) => {
                let tls = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await?;
                let chain = owned_chain(tls.get_ref().1.peer_certificates());
                (Box::new(tls), chain)
            }
        };
        Ok(Self {
            io,
            buf: BytesMut::new(),
            tcp: Some(keep),
            client_chain,
        })
    }

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

    /// The next whole message from the client; `None` when it closed (or
    /// sent something that is not an LDAP message: said on stderr, and the
    /// script ends as if the client had closed).
    pub async fn recv(&mut self) -> Option<LdapMessage> {
        loop {
            if let Ok(Some(len)) = frame_len(&self.buf, usize::MAX) {
                if len <= self.buf.len() {
                    let frame = self.buf.split_to(len).freeze();
                    return match LdapMessage::decode(frame) {
                        Ok(message) => Some(message),
                        Err(e) => {
                            eprintln!("testkit server: the client sent an invalid message: {e}");
                            None
                        }
                    };
                }
            }
            let mut chunk = [0u8; 8192];
            match self.io.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
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

    /// Everything the client sends until it closes (bytes already read
    /// first); what it sent before an error.
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = self.buf.split().to_vec();
        let _ = self.io.read_to_end(&mut out).await;
        out
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

    /// Appends a message to `out` (for bulk sends with
    /// [`Peer::send_raw`]).
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
