//! Sockets: TCP, TLS over TCP, Unix domain sockets; the StartTLS upgrade.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::proto::url::{LdapUrl, Scheme};
use crate::tls::{self, HandshakeRecord, PreparedTls, TlsInfo, TlsMode};
use crate::{Error, Phase};

/// A connected byte stream.
#[derive(Debug)]
pub(crate) enum Transport {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    #[cfg(unix)]
    Unix(UnixStream),
    /// An in-memory stream, for tests of the driver without a socket.
    #[cfg(test)]
    Memory(tokio::io::DuplexStream),
}

/// The result of a TLS handshake: the stream, what it negotiated, and the
/// record of the client-certificate exchange (kept for diagnosing a close).
pub(crate) struct Secured {
    pub(crate) stream: Box<TlsStream<TcpStream>>,
    pub(crate) info: TlsInfo,
    pub(crate) record: Arc<Mutex<HandshakeRecord>>,
}

impl Transport {
    /// Whether the stream is protected (TLS) or local (`ldapi://`), so that
    /// a password may be sent over it.
    pub(crate) fn is_secure(&self) -> bool {
        match self {
            Self::Tcp(_) => false,
            Self::Tls(_) => true,
            #[cfg(unix)]
            Self::Unix(_) => true,
            #[cfg(test)]
            Self::Memory(_) => false,
        }
    }
}

/// Opens a TCP connection (with TCP_NODELAY) or a Unix socket for `url`.
pub(crate) async fn open(url: &LdapUrl) -> Result<Transport, Error> {
    match url.scheme {
        Scheme::Ldap | Scheme::Ldaps => {
            let host = url.connect_host();
            let tcp = TcpStream::connect((host, url.port_or_default()))
                .await
                .map_err(|e| {
                    Error::Io(Arc::new(io::Error::new(
                        e.kind(),
                        format!("cannot connect to {host}:{}: {e}", url.port_or_default()),
                    )))
                })?;
            // Without TCP_NODELAY, the first request after a TLS 1.3
            // handshake with a client certificate waits ~40 ms for a
            // delayed ACK (the client sent the last handshake flight).
            tcp.set_nodelay(true)?;
            Ok(Transport::Tcp(tcp))
        }
        Scheme::Ldapi => {
            #[cfg(unix)]
            {
                let path = url.socket_path.as_deref().unwrap_or("/var/run/slapd/ldapi");
                let sock = UnixStream::connect(path).await.map_err(|e| {
                    Error::Io(Arc::new(io::Error::new(
                        e.kind(),
                        format!("cannot connect to the ldapi socket {path}: {e}"),
                    )))
                })?;
                Ok(Transport::Unix(sock))
            }
            #[cfg(not(unix))]
            Err(Error::InvalidInput(
                "ldapi:// needs Unix domain sockets".into(),
            ))
        }
    }
}

/// Runs the TLS handshake over `tcp`.
pub(crate) async fn secure(
    tcp: TcpStream,
    tls: &PreparedTls,
    url: &str,
    host: &str,
    mode: TlsMode,
) -> Result<Secured, Error> {
    let name = tls::server_name(host)?;
    let tls::ConnectionTls {
        config,
        record,
        resolver,
    } = tls.client_config(url, host, mode)?;
    let handshake = TlsConnector::from(config).connect(name, tcp);
    let stream = match tls::scope(resolver, handshake).await {
        Ok(s) => s,
        Err(e) => return Err(tls::handshake_error(e, &tls::lock(&record))),
    };
    let info = {
        let mut rec = tls::lock(&record);
        if let Some(err) = tls::callback_panicked(&rec) {
            return Err(err);
        }
        TlsInfo::from_handshake(stream.get_ref().1, &mut rec)
    };
    Ok(Secured {
        stream: Box::new(stream),
        info,
        record,
    })
}

/// The step a connect has reached, for naming it when the time limit
/// expires.
#[derive(Debug)]
pub(crate) struct PhaseCell(AtomicU8);

impl Default for PhaseCell {
    fn default() -> Self {
        Self(AtomicU8::new(PHASES.len() as u8))
    }
}

/// The phases a [`PhaseCell`] holds, by index.
const PHASES: [Phase; 5] = [
    Phase::Connect,
    Phase::TlsHandshake,
    Phase::StartTls,
    Phase::Bind,
    Phase::Operation,
];

impl PhaseCell {
    /// Starts `phase`.
    pub(crate) fn set(&self, phase: Phase) {
        let i = PHASES.iter().position(|p| *p == phase).unwrap_or(0);
        self.0.store(i as u8, Ordering::Relaxed);
    }

    /// The phase reached, `default` if none was set.
    pub(crate) fn get_or(&self, default: Phase) -> Phase {
        PHASES
            .get(usize::from(self.0.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or(default)
    }
}

/// Applies `timeout` (if any) to `fut`; on expiry the error names the
/// phase `phase` had reached (`default` if none).
pub(crate) async fn with_timeout<T>(
    timeout: Option<Duration>,
    phase: &PhaseCell,
    default: Phase,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match timeout {
        Some(t) => tokio::time::timeout(t, fut)
            .await
            .map_err(|_| Error::Timeout {
                phase: phase.get_or(default),
                after: t,
            })?,
        None => fut.await,
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Self::Unix(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(test)]
            Self::Memory(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Self::Unix(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(test)]
            Self::Memory(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Self::Unix(s) => Pin::new(s).poll_flush(cx),
            #[cfg(test)]
            Self::Memory(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Self::Unix(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(test)]
            Self::Memory(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
