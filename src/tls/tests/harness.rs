//! The in-process server, the client side as the driver will do it, and a
//! checking `QueryClientCert`.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, ServerConnection,
    SignatureScheme, SupportedProtocolVersion,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::pki::{pki, Ca};
use crate::error::Error;
use crate::sync::lock;
use crate::tls::provider::ring_provider;
use crate::tls::record::HandshakeRecord;
use crate::tls::{
    handshake_error, read_error_after_handshake, server_name, CertRequest, Choice, ClientCert,
    PreparedTls, QueryClientCert, TlsInfo, TlsMode, TlsSettings,
};

pub(crate) const GREETING: &[u8] = b"hello";

/// What the server's CertificateRequest names.
#[derive(Clone)]
pub(crate) enum Hints {
    /// The subjects of its roots, in order (rustls' default).
    Roots,
    /// These, in this order.
    Custom(Vec<Vec<u8>>),
    /// None at all.
    Empty,
}

/// How the server handles client certificates.
#[derive(Clone)]
pub(crate) enum ClientAuth {
    /// No CertificateRequest.
    Off,
    /// webpki against `roots`, announcing `hints`.
    WebPki {
        roots: Vec<&'static Ca>,
        hints: Hints,
        /// Let a client without a certificate in.
        optional: bool,
        /// Accept only RSA signatures from clients.
        rsa_only: bool,
    },
    /// Ask (naming `roots`), accept any certificate: like slapd's `try`,
    /// which lets the handshake finish and closes afterwards.
    AcceptAnything { roots: Vec<&'static Ca> },
}

/// What the server does after its handshake succeeded.
#[derive(Clone, Copy)]
pub(crate) enum After {
    /// Send `GREETING`, then wait for the client to close.
    Greet,
    /// Close the TCP connection with no alert (slapd rejecting a client).
    Drop,
}

pub(crate) fn webpki(roots: &[&'static Ca], hints: Hints) -> ClientAuth {
    ClientAuth::WebPki {
        roots: roots.to_vec(),
        hints,
        optional: false,
        rsa_only: false,
    }
}

pub(crate) fn server_config(
    auth: &ClientAuth,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ServerConfig> {
    let pki = pki();
    let builder = ServerConfig::builder_with_provider(ring_provider())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match auth {
        ClientAuth::Off => builder.with_no_client_auth(),
        ClientAuth::WebPki {
            roots,
            hints,
            optional,
            rsa_only,
        } => {
            let provider = if *rsa_only {
                Arc::new(rsa_only_provider())
            } else {
                ring_provider()
            };
            let mut verifier =
                WebPkiClientVerifier::builder_with_provider(root_store(roots), provider);
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
            builder.with_client_cert_verifier(verifier.build().unwrap())
        }
        ClientAuth::AcceptAnything { roots } => {
            builder.with_client_cert_verifier(Arc::new(AcceptAnything::new(roots)))
        }
    };
    Arc::new(
        builder
            .with_single_cert(pki.server.chain.clone(), pki.server.key_der())
            .unwrap(),
    )
}

fn root_store(roots: &[&Ca]) -> Arc<RootCertStore> {
    let mut store = RootCertStore::empty();
    for ca in roots {
        store.add(ca.cert.clone()).unwrap();
    }
    Arc::new(store)
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

/// Names `roots` in its CertificateRequest, then accepts any certificate.
#[derive(Debug)]
struct AcceptAnything {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnything {
    fn new(roots: &[&Ca]) -> Self {
        Self {
            hints: roots
                .iter()
                .map(|ca| DistinguishedName::from(ca.name.clone()))
                .collect(),
            algorithms: ring_provider().signature_verification_algorithms,
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

/// What the server saw.
#[derive(Debug)]
pub(crate) struct ServerSide {
    /// The client's chain, `None` when it sent none.
    pub(crate) peer_chain: Option<Vec<CertificateDer<'static>>>,
}

/// Serves one TLS connection on 127.0.0.1.
pub(crate) async fn serve_one(
    config: Arc<ServerConfig>,
    after: After,
) -> (SocketAddr, JoinHandle<Result<ServerSide, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut tls = TlsAcceptor::from(config)
            .accept(tcp)
            .await
            .map_err(|e| e.to_string())?;
        let peer_chain = tls.get_ref().1.peer_certificates().map(<[_]>::to_vec);
        match after {
            After::Greet => {
                tls.write_all(GREETING).await.map_err(|e| e.to_string())?;
                tls.flush().await.map_err(|e| e.to_string())?;
                let mut rest = Vec::new();
                let _ = tls.read_to_end(&mut rest).await;
            }
            After::Drop => drop(tls),
        }
        Ok(ServerSide { peer_chain })
    });
    (addr, task)
}

/// Serves one TLS 1.2 handshake the way slapd does with `TLSVerifyClient
/// demand` and no client certificate: it sends its flight up to
/// ServerHelloDone, reads the client's answer, and closes the TCP connection
/// without an alert.
pub(crate) fn serve_one_closing_mid_handshake(
    config: Arc<ServerConfig>,
) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut conn = ServerConnection::new(config).unwrap();
        while !conn.wants_write() {
            conn.read_tls(&mut sock).unwrap();
            conn.process_new_packets().unwrap();
        }
        while conn.wants_write() {
            conn.write_tls(&mut sock).unwrap();
        }
        // Read the client's flight (until it waits for ours), then close.
        sock.set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 8192];
        while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
    });
    (addr, thread)
}

/// The client's view of one connection.
#[derive(Debug)]
pub(crate) struct ClientSide {
    /// The connect error, mapped like the driver maps it.
    pub(crate) error: Option<Error>,
    /// After a successful handshake.
    pub(crate) info: Option<TlsInfo>,
    /// The first read after the handshake: the greeting, or the mapped error.
    pub(crate) read: Option<Result<Vec<u8>, Option<Error>>>,
    pub(crate) record: HandshakeRecord,
}

/// Connects, handshakes and reads the greeting, as the driver will.
pub(crate) async fn connect(prepared: &PreparedTls, addr: SocketAddr, host: &str) -> ClientSide {
    let url = format!("ldaps://{host}:{}", addr.port());
    let (config, record) = prepared.client_config(&url, host, TlsMode::Ldaps).unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let result = TlsConnector::from(config)
        .connect(server_name(host).unwrap(), tcp)
        .await;
    let mut tls = match result {
        Ok(tls) => tls,
        Err(e) => {
            let record = lock(&record).clone();
            return ClientSide {
                error: Some(handshake_error(e, &record)),
                info: None,
                read: None,
                record,
            };
        }
    };
    let info = TlsInfo::from_handshake(tls.get_ref().1, &lock(&record));
    let mut buf = vec![0; GREETING.len()];
    let read = match tls.read_exact(&mut buf).await {
        Ok(_) => Ok(buf),
        Err(e) => Err(read_error_after_handshake(&e, &lock(&record))),
    };
    let _ = tls.shutdown().await;
    let record = lock(&record).clone();
    ClientSide {
        error: None,
        info: Some(info),
        read: Some(read),
        record,
    }
}

/// Settings trusting CA-A (which issued the server's certificate).
pub(crate) fn trusting_ca_a() -> TlsSettings {
    let mut settings = TlsSettings::new();
    settings.add_root_certificate(pki().ca_a.cert.clone());
    settings
}

/// A chooser that checks the CA names it is given and how often it is
/// called (in `Drop`), answering through `inner`.
pub(crate) struct Checking {
    expected_cas: Option<Vec<Vec<u8>>>,
    expected_calls: usize,
    calls: Arc<AtomicUsize>,
    inner: Box<dyn QueryClientCert>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Checking {
    /// Expects exactly one call naming `cas` (DER), in this order.
    pub(crate) fn once(cas: Vec<Vec<u8>>, inner: impl QueryClientCert + 'static) -> Self {
        Self {
            expected_cas: Some(cas),
            expected_calls: 1,
            calls: Arc::default(),
            inner: Box::new(inner),
            seen: Arc::default(),
        }
    }

    /// Expects no call at all.
    pub(crate) fn never() -> Self {
        Self {
            expected_cas: None,
            expected_calls: 0,
            calls: Arc::default(),
            inner: Box::new(|_: &CertRequest<'_>| None),
            seen: Arc::default(),
        }
    }

    /// The `Display` of the CAs of the last call.
    pub(crate) fn seen(&self) -> Arc<Mutex<Vec<String>>> {
        Arc::clone(&self.seen)
    }
}

impl QueryClientCert for Checking {
    fn query_client_cert(&self, request: &CertRequest<'_>) -> Option<ClientCert> {
        self.choose_client_cert(request).into_cert()
    }

    fn choose_client_cert(&self, request: &CertRequest<'_>) -> Choice {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let got = request
            .trusted_cas()
            .iter()
            .map(|ca| ca.der().to_vec())
            .collect::<Vec<_>>();
        assert_eq!(Some(&got), self.expected_cas.as_ref(), "CA names");
        assert!(!request.signature_schemes().is_empty());
        assert_eq!(request.server_name(), "localhost");
        assert!(request.url().starts_with("ldaps://localhost:"));
        assert_eq!(request.mode(), TlsMode::Ldaps);
        *self.seen.lock().unwrap() = request
            .trusted_cas()
            .iter()
            .map(ToString::to_string)
            .collect();
        self.inner.choose_client_cert(request)
    }
}

impl Drop for Checking {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(
                self.calls.load(Ordering::SeqCst),
                self.expected_calls,
                "calls of the client certificate callback"
            );
        }
    }
}
