//! The in-process server, the client side as the driver will do it, and a
//! checking `QueryClientCert`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustls::{ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

use super::pki::{pki, Ca};
use crate::error::Error;
use crate::sync::lock;
use crate::testkit::pki::Pki as TestPki;
use crate::testkit::server as testkit;
use crate::tls::record::HandshakeRecord;
use crate::tls::{
    handshake_error, read_error_after_handshake, server_name, CertRequest, Choice, ClientCert,
    PreparedTls, QueryClientCert, TlsInfo, TlsMode, TlsSettings,
};

pub(crate) const GREETING: &[u8] = b"hello";

pub(crate) use crate::testkit::server::Hints;

/// How the server handles client certificates (`testkit::server::ClientAuth`
/// with the roots as this module's [`Ca`]s).
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

impl ClientAuth {
    fn to_testkit(&self) -> testkit::ClientAuth {
        let ids = |roots: &[&'static Ca]| roots.iter().map(|ca| ca.id).collect();
        match self {
            Self::Off => testkit::ClientAuth::Off,
            Self::WebPki {
                roots,
                hints,
                optional,
                rsa_only,
            } => testkit::ClientAuth::Request {
                roots: ids(roots),
                hints: hints.clone(),
                optional: *optional,
                rsa_only: *rsa_only,
            },
            Self::AcceptAnything { roots } => {
                testkit::ClientAuth::AcceptAnything { roots: ids(roots) }
            }
        }
    }
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
    assert!(!versions.is_empty(), "name the TLS versions");
    testkit::tls_config(TestPki::ec(), &auth.to_testkit(), versions).unwrap()
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
    let (addr, task) = testkit::serve_one(Some(config), move |mut peer| async move {
        let peer_chain = peer.client_chain().map(<[_]>::to_vec);
        match after {
            After::Greet => {
                peer.send_raw(GREETING).await?;
                peer.read_to_end().await;
            }
            After::Drop => drop(peer),
        }
        Ok::<_, std::io::Error>(ServerSide { peer_chain })
    })
    .await
    .unwrap();
    let task = tokio::spawn(async move {
        match task.await {
            Ok(Ok(Ok(side))) => Ok(side),
            Ok(Ok(Err(e)) | Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    });
    (addr, task)
}

/// Serves one TLS 1.2 handshake the way slapd does with `TLSVerifyClient
/// demand` and no client certificate (see
/// `testkit::server::serve_one_closing_mid_handshake`).
pub(crate) fn serve_one_closing_mid_handshake(
    config: Arc<ServerConfig>,
) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let (addr, thread) = testkit::serve_one_closing_mid_handshake(config).unwrap();
    let thread = std::thread::spawn(move || thread.join().unwrap().unwrap());
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
    let crate::tls::ConnectionTls {
        config,
        record,
        resolver,
    } = prepared.client_config(&url, host, TlsMode::Ldaps).unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let handshake = TlsConnector::from(config).connect(server_name(host).unwrap(), tcp);
    let result = crate::tls::scope(resolver, handshake).await;
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
    let info = TlsInfo::from_handshake(tls.get_ref().1, &mut lock(&record));
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
