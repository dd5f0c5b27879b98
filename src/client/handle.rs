//! [`LdapConn`]: connecting, and the state its clones share.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::config::ConnConfig;
use crate::conn::Connection;
use crate::driver::{Command, Driver, Shared, Sink, StartTlsContext};
use crate::proto::extended;
use crate::proto::url::{LdapUrl, Scheme};
use crate::proto::{Control, LdapMessage, ProtocolOp};
use crate::tls::{PreparedTls, TlsInfo, TlsMode};
use crate::transport::{self, Transport};
use crate::Error;

/// Capacity of the command channel shared by all handles.
const COMMAND_CHANNEL: usize = 256;

struct Inner {
    cmd: mpsc::Sender<Command>,
    cancel: mpsc::UnboundedSender<u64>,
    next_token: AtomicU64,
    shared: Arc<Shared>,
    op_timeout: Option<Duration>,
    allow_insecure_password: bool,
    url: String,
}

/// An async LDAP connection.
///
/// A cheap, cloneable handle (`Clone + Send + Sync`; every method takes
/// `&self`) to a connection run by a task that [`LdapConn::connect`]
/// spawns on the current tokio runtime. Operations from several clones run
/// concurrently on the one connection. When the last handle is dropped the
/// task sends an UnbindRequest and closes the socket.
///
/// Each LDAP operation is a method, run with the default options;
/// [`with`](Self::with) runs it with controls and a timeout instead (see
/// [`OpOptions`](crate::OpOptions)). The operations' contracts are
/// documented once, on [`WithOptions`](crate::WithOptions).
///
/// Not to be confused with the blocking `LdapConn` of the `ldap3` crate:
/// this one is async.
#[derive(Clone)]
pub struct LdapConn {
    inner: Arc<Inner>,
}

impl fmt::Debug for LdapConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LdapConn")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl LdapConn {
    /// Connects to `url`: `ldap://host[:port]`, `ldaps://host[:port]` or
    /// `ldapi://%2Fpath%2Fto%2Fsocket`. Several URLs separated by spaces are
    /// tried in order until one connects.
    ///
    /// With `ldaps://`, or `ldap://` and [`ConnConfig::starttls`], the TLS
    /// handshake happens here; if the server asks for a client certificate,
    /// the configured [`QueryClientCert`](crate::QueryClientCert) is called
    /// during it.
    pub async fn connect(url: &str, config: ConnConfig) -> Result<Self, Error> {
        let urls = LdapUrl::parse_list(url).map_err(|e| Error::InvalidInput(e.to_string()))?;
        if urls.is_empty() {
            return Err(Error::InvalidInput("no LDAP URL given".into()));
        }
        let needs_tls = config.starttls || urls.iter().any(|u| u.scheme == Scheme::Ldaps);
        let tls = if needs_tls {
            // A client certificate source runs here, before any URL is tried.
            let prepared = config.tls.prepared()?;
            Some(prepared.for_connect(url, config.connect_timeout).await?)
        } else {
            None
        };
        let mut last = None;
        for u in &urls {
            let attempt = Self::connect_one(u, &config, tls.clone());
            match transport::with_timeout(config.connect_timeout, attempt).await {
                Ok(conn) => return Ok(conn),
                Err(e) => {
                    tracing::debug!(url = %u, error = %e, "connect failed");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::InvalidInput("no LDAP URL given".into())))
    }

    async fn connect_one(
        url: &LdapUrl,
        config: &ConnConfig,
        tls: Option<Arc<PreparedTls>>,
    ) -> Result<Self, Error> {
        let url_text = url.to_string();
        let raw = transport::open(url).await?;
        let shared = Arc::new(Shared::default());
        let mut record = None;
        let stream = match (url.scheme, raw, tls.as_ref()) {
            (Scheme::Ldaps, Transport::Tcp(tcp), Some(tls)) => {
                let s = transport::secure(tcp, tls, &url_text, url.connect_host(), TlsMode::Ldaps)
                    .await?;
                *crate::sync::lock(&shared.tls_info) = Some(s.info);
                record = Some(s.record);
                Transport::Tls(s.stream)
            }
            (_, raw, _) => raw,
        };
        shared.secure.store(stream.is_secure(), Ordering::Release);
        let starttls_ctx = match (url.scheme, tls) {
            (Scheme::Ldap, Some(tls)) => Some(StartTlsContext {
                tls,
                url: url_text.clone(),
                host: url.connect_host().to_owned(),
            }),
            _ => None,
        };
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_CHANNEL);
        let (cancel_tx, cancel_rx) = mpsc::unbounded_channel();
        let machine = Connection::new(config.settings);
        let driver = Driver::new(
            machine,
            stream,
            record,
            starttls_ctx,
            cmd_rx,
            cancel_rx,
            shared.clone(),
        );
        let span = tracing::debug_span!("ldap_conn", url = %url_text);
        tokio::spawn(driver.run().instrument(span));
        let conn = Self {
            inner: Arc::new(Inner {
                cmd: cmd_tx,
                cancel: cancel_tx,
                next_token: AtomicU64::new(1),
                shared,
                op_timeout: config.op_timeout,
                allow_insecure_password: config.allow_insecure_password,
                url: url_text,
            }),
        };
        if config.starttls && url.scheme == Scheme::Ldap {
            conn.start_tls().await?;
        }
        Ok(conn)
    }

    /// Upgrades an `ldap://` connection to TLS with the StartTLS extended
    /// operation (RFC 4511 §4.14). Needs an idle connection. If the server
    /// asks for a client certificate, the configured
    /// [`QueryClientCert`](crate::QueryClientCert) is called during the
    /// handshake.
    pub async fn start_tls(&self) -> Result<(), Error> {
        if crate::sync::lock(&self.inner.shared.tls_info).is_some() {
            return Err(Error::InvalidInput(
                "TLS is already active on this connection".into(),
            ));
        }
        let (tx, rx) = oneshot::channel();
        let op = ProtocolOp::ExtendedRequest(extended::start_tls());
        let token = self.send(op, Vec::new(), None, Sink::StartTls(tx)).await?;
        let guard = CancelGuard::new(&self.inner, token);
        let res = rx.await.map_err(|_| self.closed_error());
        guard.disarm();
        res?.map(drop)
    }

    /// What TLS negotiated: version, cipher suite, the server's chain, the
    /// CAs the server named when it asked for a client certificate
    /// ([`TlsInfo::trusted_cas`]), and which certificate was sent. `None`
    /// without TLS.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        crate::sync::lock(&self.inner.shared.tls_info).clone()
    }

    /// Sends an UnbindRequest and closes the connection. Operations still
    /// outstanding on other handles fail with [`Error::Closed`].
    pub async fn unbind(self) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        if self.inner.cmd.send(Command::Unbind(tx)).await.is_err() {
            return Ok(());
        }
        let _ = rx.await;
        Ok(())
    }

    /// Hands `op` to the driver; `timeout` overrides the connection's
    /// default. Returns the token that cancels it.
    pub(super) async fn send(
        &self,
        op: ProtocolOp,
        controls: Vec<Control>,
        timeout: Option<Duration>,
        sink: Sink,
    ) -> Result<u64, Error> {
        let token = self.inner.next_token.fetch_add(1, Ordering::Relaxed);
        let timeout = timeout.or(self.inner.op_timeout);
        let cmd = Command::Op {
            op,
            controls,
            timeout,
            token,
            sink,
        };
        self.inner
            .cmd
            .send(cmd)
            .await
            .map_err(|_| self.closed_error())?;
        Ok(token)
    }

    /// Runs an operation that has one response, abandoning it if the
    /// future is dropped before that response comes.
    pub(super) async fn request(
        &self,
        op: ProtocolOp,
        controls: Vec<Control>,
        timeout: Option<Duration>,
    ) -> Result<LdapMessage, Error> {
        let (tx, rx) = oneshot::channel();
        let token = self.send(op, controls, timeout, Sink::Single(tx)).await?;
        let guard = CancelGuard::new(&self.inner, token);
        let res = rx.await.map_err(|_| self.closed_error());
        guard.disarm();
        res?
    }

    /// Abandons the operation of `token` (a search stream dropped early).
    pub(super) fn cancel(&self, token: u64) {
        let _ = self.inner.cancel.send(token);
    }

    /// Why the connection is closed: the error it closed with, or a plain
    /// "closed".
    pub(super) fn closed_error(&self) -> Error {
        crate::sync::lock(&self.inner.shared.closed_with)
            .clone()
            .unwrap_or_else(|| Error::Closed("the connection is closed".into()))
    }

    /// Whether a password may be sent: the connection is encrypted (or a
    /// local socket), or the config allows it in clear text.
    pub(super) fn may_send_password(&self) -> bool {
        self.inner.shared.secure.load(Ordering::Acquire) || self.inner.allow_insecure_password
    }

    /// The URL this handle connected to.
    pub(super) fn url(&self) -> &str {
        &self.inner.url
    }
}

/// Sends a cancellation for an operation whose future is dropped before it
/// completes, so the driver abandons it on the server.
struct CancelGuard<'a> {
    inner: &'a Inner,
    token: u64,
    armed: bool,
}

impl<'a> CancelGuard<'a> {
    fn new(inner: &'a Inner, token: u64) -> Self {
        Self {
            inner,
            token,
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.inner.cancel.send(self.token);
        }
    }
}
