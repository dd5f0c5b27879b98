//! [`LdapConn`]: connecting, and the state its clones share.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::config::{ConnConfig, ReferralPolicy, TimeoutSetting};
use super::op_handle::{next_token, OpHandle};
use crate::conn::{Connection, Request};
use crate::driver::{Command, Driver, Shared, Sink, StartTlsContext};
use crate::proto::extended;
use crate::proto::url::{LdapUrl, Scheme};
use crate::proto::{Control, LdapMessage, Password, ProtocolOp};
use crate::tls::{PreparedTls, TlsInfo, TlsMode, TlsSettings};
use crate::transport::{self, Transport};
use crate::{Error, Phase};

/// Capacity of the command channel shared by all handles.
const COMMAND_CHANNEL: usize = 256;

struct Inner {
    cmd: mpsc::Sender<Command>,
    cancel: mpsc::UnboundedSender<u64>,
    /// Bind requests sent on this connection, by any handle: a pool tells
    /// by it that a caller re-bound a connection it lent.
    binds: AtomicU64,
    /// Set while an [`LdapPool`](crate::LdapPool) lends the connection to
    /// several callers at once: binding it would change the identity
    /// under the others' operations, so bind requests are refused.
    identity_locked: AtomicBool,
    shared: Arc<Shared>,
    op_timeout: Option<Duration>,
    allow_insecure_password: bool,
    url: String,
    /// What a later [`LdapConn::start_tls`] needs when the driver was not
    /// given a StartTLS context at connect: `None` once it has one (or
    /// when StartTLS does not apply, e.g. `ldaps://`).
    starttls_later: std::sync::Mutex<Option<LaterStartTls>>,
    /// With [`ConnConfig::follow_referrals`]: what connecting to and
    /// binding on a referred server needs.
    referrals: Option<Referrals>,
}

/// What following a referral needs from the connection it was met on.
struct Referrals {
    policy: ReferralPolicy,
    config: ConnConfig,
    bound: std::sync::Mutex<BoundAs>,
}

/// How a connection is bound, to bind the same way on a referred server.
#[derive(Clone, Debug, Default)]
pub(crate) enum BoundAs {
    /// Not bound (or bound anonymously).
    #[default]
    Anonymous,
    /// A simple bind; the password is redacted and wiped on drop.
    Simple { dn: String, password: Password },
    /// SASL EXTERNAL.
    External { authzid: Option<String> },
    /// Another SASL mechanism, which cannot be repeated elsewhere.
    Sasl { mechanism: String },
}

/// What [`LdapConn::start_tls`] builds a StartTLS context from, on a
/// connection made without [`ConnConfig::starttls`].
struct LaterStartTls {
    tls: TlsSettings,
    host: String,
    handshake_timeout: Option<Duration>,
}

/// An async LDAP connection.
///
/// A cheap, cloneable handle (`Clone + Send + Sync`; every method takes
/// `&self`) to a connection run by a task that [`LdapConn::connect`]
/// spawns on the current tokio runtime. Operations from several clones run
/// concurrently on the one connection. When the last handle is dropped the
/// task sends an UnbindRequest and closes the socket, as soon as no
/// operation is left that anyone waits for: an operation whose future is
/// dropped is abandoned on the server (and one not sent yet is never
/// sent); a bind or StartTLS, which cannot be abandoned, closes the
/// connection at once. A StartTLS handshake is bounded by the connect
/// timeout, and the final UnbindRequest gets two seconds to go out to a
/// server that does not read.
///
/// Requests wait to be written within a byte budget
/// ([`ConnConfig::max_write_buffer`]), so a server that stops reading
/// cannot make the client buffer without limit.
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
            let shared = Arc::new(Shared::new(config.write_buffer));
            let attempt = Self::connect_one(u, &config, tls.clone(), shared.clone());
            let limit = config.connect_timeout;
            match transport::with_timeout(limit, &shared.phase, Phase::Connect, attempt).await {
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
        shared: Arc<Shared>,
    ) -> Result<Self, Error> {
        let url_text = url.to_string();
        shared.phase.set(Phase::Connect);
        let raw = transport::open(url).await?;
        let mut record = None;
        let stream = match (url.scheme, raw, tls.as_ref()) {
            (Scheme::Ldaps, Transport::Tcp(tcp), Some(tls)) => {
                shared.phase.set(Phase::TlsHandshake);
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
                handshake_timeout: config.connect_timeout,
            }),
            _ => None,
        };
        let starttls_later = match (url.scheme, &starttls_ctx) {
            (Scheme::Ldap, None) => Some(LaterStartTls {
                tls: config.tls.clone(),
                host: url.connect_host().to_owned(),
                handshake_timeout: config.connect_timeout,
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
                binds: AtomicU64::new(0),
                identity_locked: AtomicBool::new(false),
                shared,
                op_timeout: config.op_timeout,
                allow_insecure_password: config.allow_insecure_password,
                url: url_text,
                starttls_later: std::sync::Mutex::new(starttls_later),
                referrals: config.referrals.map(|policy| Referrals {
                    policy,
                    config: config.clone(),
                    bound: std::sync::Mutex::new(BoundAs::Anonymous),
                }),
            }),
        };
        if config.starttls && url.scheme == Scheme::Ldap {
            conn.inner.shared.phase.set(Phase::StartTls);
            conn.start_tls().await?;
        }
        Ok(conn)
    }

    /// Upgrades an `ldap://` connection to TLS with the StartTLS extended
    /// operation (RFC 4511 §4.14). Needs an idle connection. If the server
    /// asks for a client certificate, the configured
    /// [`QueryClientCert`](crate::QueryClientCert) is called during the
    /// handshake.
    ///
    /// On a connection made without
    /// [`ConnConfig::starttls`](crate::ConnConfig::starttls), the TLS
    /// settings are built here from the [`ConnConfig`] the connection was
    /// made with (its roots, client certificate, versions), before anything
    /// is sent: a config that cannot verify a server (no roots, say) fails
    /// with [`Error::Config`] and the connection stays as it was.
    ///
    /// The StartTLS response is awaited for the operation timeout; the TLS
    /// handshake that follows it for the connect timeout
    /// ([`Error::Timeout`] naming the phase). Dropping the future, or a
    /// timeout, closes the connection: whether the server switched to TLS
    /// is then unknown.
    pub async fn start_tls(&self) -> Result<(), Error> {
        if crate::sync::lock(&self.inner.shared.tls_info).is_some() {
            return Err(Error::InvalidInput(
                "TLS is already active on this connection".into(),
            ));
        }
        self.prepare_starttls().await?;
        let (tx, rx) = oneshot::channel();
        let op = ProtocolOp::ExtendedRequest(extended::start_tls());
        let token = self
            .send(op, Vec::new(), TimeoutSetting::Default, Sink::StartTls(tx))
            .await?;
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

    /// Hands the driver what StartTLS needs when the connect did not,
    /// built from the connection's [`ConnConfig`]; errors before anything
    /// is sent.
    async fn prepare_starttls(&self) -> Result<(), Error> {
        let later = crate::sync::lock(&self.inner.starttls_later).take();
        let Some(later) = later else {
            return Ok(());
        };
        let tls = match later.tls.prepared() {
            Ok(tls) => tls,
            Err(e) => {
                let why = match e {
                    Error::Config(m) => m,
                    other => other.to_string(),
                };
                let msg = format!("cannot run StartTLS on {}: {why}", self.inner.url);
                *crate::sync::lock(&self.inner.starttls_later) = Some(later);
                return Err(Error::Config(msg));
            }
        };
        let ctx = StartTlsContext {
            tls,
            url: self.inner.url.clone(),
            host: later.host,
            handshake_timeout: later.handshake_timeout,
        };
        self.inner
            .cmd
            .send(Command::TlsContext(ctx))
            .await
            .map_err(|_| self.closed_error())
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
    ///
    /// First takes the request's size from the connection's write budget
    /// ([`ConnConfig::max_write_buffer`]): while the server does not read,
    /// the request waits here, for at most its timeout, and nothing of it
    /// is buffered. A request larger than the whole budget waits for all
    /// of it.
    pub(super) async fn send(
        &self,
        op: ProtocolOp,
        controls: Vec<Control>,
        timeout: TimeoutSetting,
        sink: Sink,
    ) -> Result<u64, Error> {
        let started = tokio::time::Instant::now();
        let token = next_token();
        let timeout = timeout.resolve(self.inner.op_timeout);
        let phase = phase_of(&op);
        if phase == Phase::Bind {
            if self.inner.identity_locked.load(Ordering::Acquire) {
                return Err(Error::InvalidInput(
                    "this connection is lent by LdapPool::get_shared to several callers at once: binding it would change the identity under their operations; bind a connection from LdapPool::get (or LdapConn::connect) instead".into(),
                ));
            }
            self.inner.binds.fetch_add(1, Ordering::AcqRel);
        }
        // Encoded once, here: its size is what it takes from the budget,
        // and the driver only adds the envelope with the message ID.
        let request = Request::new(op, controls)?;
        let len = request.wire_len();
        let shared = &self.inner.shared;
        let charge = u32::try_from(len.min(shared.write_limit)).unwrap_or(u32::MAX);
        let room = shared.write_budget.acquire_many(charge);
        let permit = match timeout {
            Some(t) => tokio::time::timeout(t, room)
                .await
                .map_err(|_| Error::Timeout { phase, after: t })?,
            None => room.await,
        }
        .map_err(|_| self.closed_error())?;
        let cmd = Command::Op {
            request,
            started,
            timeout,
            token,
            sink,
            charge: charge as usize,
        };
        self.inner
            .cmd
            .send(cmd)
            .await
            .map_err(|_| self.closed_error())?;
        // The driver gives the room back as the bytes are written.
        permit.forget();
        Ok(token)
    }

    /// Whether the connection is over: the server closed it or reset it,
    /// sent a Notice of Disconnection, broke the protocol so that the
    /// connection had to end, a bind or StartTLS was cut short, or it was
    /// unbound. Cheap, no I/O: it reads what the connection's task has
    /// already seen, so a server that vanished without a word (a pulled
    /// cable) is seen only when an operation times out or the OS gives up
    /// on the socket.
    ///
    /// Once `true`, it stays `true` and every operation fails with the
    /// reason the connection ended.
    pub fn is_closed(&self) -> bool {
        let shared = &self.inner.shared;
        shared.closing.load(Ordering::Acquire)
            || self.inner.cmd.is_closed()
            || crate::sync::lock(&shared.closed_with).is_some()
    }

    /// How many bind requests (of any kind) were sent on this connection,
    /// by any of its handles, including one still waiting for its answer.
    pub(crate) fn bind_count(&self) -> u64 {
        self.inner.binds.load(Ordering::Acquire)
    }

    /// Refuses (`true`) or allows again (`false`) bind requests on this
    /// connection, from every handle: a pool lending it to several callers
    /// at once keeps its identity fixed.
    pub(crate) fn lock_identity(&self, locked: bool) {
        self.inner.identity_locked.store(locked, Ordering::Release);
    }

    /// Bytes of requests accepted by this connection and not yet written
    /// to the socket: at most
    /// [`ConnConfig::max_write_buffer`](crate::ConnConfig::max_write_buffer)
    /// (or the size of one larger request). Cheap, no I/O: for monitoring
    /// a server that reads slowly.
    pub fn write_backlog(&self) -> usize {
        let shared = &self.inner.shared;
        shared
            .write_limit
            .saturating_sub(shared.write_budget.available_permits())
    }

    /// Runs an operation that has one response, abandoning it if the
    /// future is dropped before that response comes. `handle`, if any,
    /// names it from when it is handed to the driver.
    pub(super) async fn request(
        &self,
        op: ProtocolOp,
        controls: Vec<Control>,
        timeout: TimeoutSetting,
        handle: Option<&OpHandle>,
    ) -> Result<LdapMessage, Error> {
        let (tx, rx) = oneshot::channel();
        let token = self.send(op, controls, timeout, Sink::Single(tx)).await?;
        if let Some(h) = handle {
            h.bind(token);
        }
        let guard = CancelGuard::new(&self.inner, token);
        let res = rx.await.map_err(|_| self.closed_error());
        guard.disarm();
        res?
    }

    /// The connection's default operation timeout.
    pub(super) fn default_timeout(&self) -> Option<Duration> {
        self.inner.op_timeout
    }

    /// Abandons the operation of `token` (a search stream dropped early).
    pub(super) fn cancel_token(&self, token: u64) {
        let _ = self.inner.cancel.send(token);
    }

    /// Hands `cmd` to the driver; fails when the connection is closed.
    pub(super) async fn command(&self, cmd: Command) -> Result<(), Error> {
        self.inner
            .cmd
            .send(cmd)
            .await
            .map_err(|_| self.closed_error())
    }

    /// The listeners of this connection's unsolicited notifications.
    pub(super) fn notifier(&self) -> &crate::driver::Notifier {
        &self.inner.shared.notifier
    }

    /// Why the connection is closed: the error it closed with, or a plain
    /// "closed".
    pub(crate) fn closed_error(&self) -> Error {
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

    /// The referral policy and the config to follow referrals with, when
    /// the connection follows them.
    pub(super) fn referral_policy(&self) -> Option<(ReferralPolicy, &ConnConfig)> {
        self.inner.referrals.as_ref().map(|r| (r.policy, &r.config))
    }

    /// Records a successful bind, when the connection follows referrals
    /// (otherwise nothing is kept, a password least of all).
    pub(super) fn remember_bind(&self, bound: BoundAs) {
        if let Some(r) = &self.inner.referrals {
            *crate::sync::lock(&r.bound) = bound;
        }
    }

    /// How the connection is bound, as far as it follows referrals.
    pub(super) fn bound_as(&self) -> BoundAs {
        self.inner
            .referrals
            .as_ref()
            .map(|r| crate::sync::lock(&r.bound).clone())
            .unwrap_or_default()
    }
}

/// The step a timeout of `op` stops.
fn phase_of(op: &ProtocolOp) -> Phase {
    match op {
        ProtocolOp::BindRequest(_) => Phase::Bind,
        ProtocolOp::ExtendedRequest(r) if r.name == extended::START_TLS => Phase::StartTls,
        _ => Phase::Operation,
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
