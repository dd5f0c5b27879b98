//! [`LdapConn`], the public handle, and [`ConnConfig`].

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::conn::{Connection, Settings};
use crate::driver::{Command, Driver, SearchBatch, SearchEvent, Shared, Sink, StartTlsContext};
use crate::proto::controls::PagedResults;
use crate::proto::extended::{self, PasswordModify};
use crate::proto::url::{LdapUrl, Scheme};
use crate::proto::{
    AddRequest, Attribute, BindAuth, BindRequest, BindResponse, ByteString, CompareRequest,
    Control, DerefAliases, ExtendedRequest, ExtendedResponse, Filter, IntermediateResponse,
    LdapMessage, LdapResult, Modification, ModifyDnRequest, ModifyRequest, Password, ProtocolOp,
    ResultCode, Scope, SearchRequest, SearchResultEntry,
};
use crate::tls::{
    ClientCert, QueryClientCert, TlsInfo, TlsMode, TlsSettings, TlsVersion, VerifyServerCert,
};
use crate::transport::{self, Transport};
use crate::{Error, LdapError};
use rustls::pki_types::CertificateDer;

/// Capacity of each search's channel, in batches (the events decoded from
/// one read of at most 16 KiB): how far the driver may run ahead of a
/// consumer before it stops reading the socket.
const SEARCH_CHANNEL: usize = 4;
/// Capacity of the command channel shared by all handles.
const COMMAND_CHANNEL: usize = 256;

/// How to connect: TLS trust and client certificate, StartTLS, timeouts,
/// limits. A builder taken by value:
///
/// ```
/// use std::time::Duration;
/// use tokio_ldap::ConnConfig;
///
/// let config = ConnConfig::new()
///     .ca_file("/etc/ssl/certs/my-ca.pem")
///     .starttls(true)
///     .connect_timeout(Some(Duration::from_secs(5)));
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct ConnConfig {
    pub(crate) tls: TlsSettings,
    starttls: bool,
    connect_timeout: Option<Duration>,
    op_timeout: Option<Duration>,
    allow_insecure_password: bool,
    settings: Settings,
}

impl Default for ConnConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ConnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnConfig")
            .field("starttls", &self.starttls)
            .field("connect_timeout", &self.connect_timeout)
            .field("op_timeout", &self.op_timeout)
            .field("allow_insecure_password", &self.allow_insecure_password)
            .field("max_message_len", &self.settings.max_message_len)
            .finish_non_exhaustive()
    }
}

impl ConnConfig {
    /// Server certificate and hostname verification on, no roots yet (add
    /// them with [`ca_file`](Self::ca_file) or
    /// [`system_roots`](Self::system_roots)), no client certificate,
    /// no StartTLS, a 30-second connect timeout, no operation timeout.
    pub fn new() -> Self {
        Self {
            tls: TlsSettings::new(),
            starttls: false,
            connect_timeout: Some(Duration::from_secs(30)),
            op_timeout: None,
            allow_insecure_password: false,
            settings: Settings::default(),
        }
    }

    /// Trusts the CA certificates in this PEM file. May be repeated.
    ///
    /// The file is read by the first [`LdapConn::connect`] that needs TLS
    /// (an unreadable file makes it fail, naming the file); the roots are
    /// then kept by this config and by its clones, so later connects do not
    /// read it again. To pick up a replaced CA file, build a new
    /// `ConnConfig`.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.tls.add_ca_file(path.as_ref());
        self
    }

    /// Also trusts the operating system's root store (loaded once, like
    /// [`ca_file`](Self::ca_file)).
    pub fn system_roots(mut self, on: bool) -> Self {
        self.tls.set_system_roots(on);
        self
    }

    /// Answers the server's request for a client certificate with this
    /// callback, which sees the CAs the server trusts (see
    /// [`QueryClientCert`]).
    pub fn client_cert_query(mut self, q: impl QueryClientCert + 'static) -> Self {
        self.tls.set_client_cert_query(q);
        self
    }

    /// Answers the server's request for a client certificate with this one
    /// certificate.
    pub fn client_cert(mut self, cert: ClientCert) -> Self {
        self.tls.set_client_cert(cert);
        self
    }

    /// Runs StartTLS during [`LdapConn::connect`] on `ldap://` URLs.
    pub fn starttls(mut self, on: bool) -> Self {
        self.starttls = on;
        self
    }

    /// Limit on establishing the connection (TCP, TLS and StartTLS), per URL.
    /// `None` waits forever.
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Default limit on every operation that does not set its own (see
    /// [`OpOptions::timeout`]). On expiry the operation fails with
    /// [`Error::Timeout`] and an AbandonRequest is sent.
    pub fn operation_timeout(mut self, t: Option<Duration>) -> Self {
        self.op_timeout = t;
        self
    }

    /// Allows [`LdapConn::bind_simple`] to send a password over an
    /// unencrypted `ldap://` connection. Off by default.
    pub fn allow_insecure_password(mut self, on: bool) -> Self {
        self.allow_insecure_password = on;
        self
    }

    /// The largest message accepted from the server (default 16 MiB). A
    /// larger one fails the connection before it is buffered.
    pub fn max_message_len(mut self, bytes: usize) -> Self {
        self.settings.max_message_len = bytes;
        self
    }

    /// The TLS versions to offer (default: TLS 1.2 and TLS 1.3).
    pub fn tls_versions(mut self, versions: &[TlsVersion]) -> Self {
        self.tls.set_versions(versions);
        self
    }

    /// Also trusts this CA certificate (DER).
    pub fn root_certificate(mut self, cert: CertificateDer<'static>) -> Self {
        self.tls.add_root_certificate(cert);
        self
    }

    /// Runs `hook` on the server's certificate after the standard
    /// verification succeeded (chain to a trusted root, validity, host
    /// name): the counterpart of Windows LDAP's `VERIFYSERVERCERT`, for
    /// pinning or extra policy. Its `Err` ([`ServerCertRejected`](crate::tls::ServerCertRejected))
    /// becomes the connect error.
    pub fn server_cert_hook(mut self, hook: impl VerifyServerCert + 'static) -> Self {
        self.tls.set_server_cert_hook(hook);
        self
    }

    /// **Dangerous**: accepts any server certificate for any host name,
    /// so anybody on the path can impersonate the server and read
    /// everything, credentials included. For tests against throwaway
    /// servers only. Handshake signatures are still checked.
    pub fn dangerous_disable_server_verification(mut self) -> Self {
        self.tls.set_dangerous_disable_server_verification(true);
        self
    }
}

/// Per-operation options: controls and a timeout, passed with the
/// request, never stored on the handle.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use std::time::Duration;
/// use tokio_ldap::{controls, OpOptions};
///
/// let opts = OpOptions::new().timeout(Duration::from_secs(2)).control(controls::manage_dsa_it());
/// conn.with(opts).delete("cn=ref,dc=example,dc=com").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpOptions {
    controls: Vec<Control>,
    timeout: Option<Duration>,
}

impl OpOptions {
    /// No controls, the connection's default timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a control to the request.
    pub fn control(mut self, c: impl Into<Control>) -> Self {
        self.controls.push(c.into());
        self
    }

    /// Adds several controls.
    pub fn controls(mut self, cs: impl IntoIterator<Item = Control>) -> Self {
        self.controls.extend(cs);
        self
    }

    /// Fails the operation with [`Error::Timeout`] (and abandons it on the
    /// server) when it takes longer than `t`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }
}

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
    /// the configured [`QueryClientCert`] is called during it.
    pub async fn connect(url: &str, config: ConnConfig) -> Result<Self, Error> {
        let urls = LdapUrl::parse_list(url).map_err(|e| Error::InvalidInput(e.to_string()))?;
        if urls.is_empty() {
            return Err(Error::InvalidInput("no LDAP URL given".into()));
        }
        let needs_tls = config.starttls || urls.iter().any(|u| u.scheme == Scheme::Ldaps);
        let tls = if needs_tls {
            Some(config.tls.prepared()?)
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
        tls: Option<Arc<crate::tls::PreparedTls>>,
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
    /// asks for a client certificate, the configured [`QueryClientCert`] is
    /// called during the handshake.
    pub async fn start_tls(&self) -> Result<(), Error> {
        if crate::sync::lock(&self.inner.shared.tls_info).is_some() {
            return Err(Error::InvalidInput(
                "TLS is already active on this connection".into(),
            ));
        }
        let (tx, rx) = oneshot::channel();
        let op = ProtocolOp::ExtendedRequest(extended::start_tls());
        let token = self
            .send(op, OpOptions::default(), Sink::StartTls(tx))
            .await?;
        let guard = CancelGuard::new(&self.inner, token);
        let res = rx.await.map_err(|_| self.closed_error());
        guard.disarm();
        res?.map(drop)
    }

    /// Binds with a DN and password (RFC 4513 §5.1). Refused with
    /// [`Error::InsecurePassword`] over an unencrypted connection unless
    /// [`ConnConfig::allow_insecure_password`] is set.
    pub async fn bind_simple(&self, dn: &str, password: &str) -> Result<(), Error> {
        self.with(OpOptions::default())
            .bind_simple(dn, password)
            .await
    }

    /// SASL EXTERNAL bind (RFC 4513 §5.2.2, RFC 4422 Appendix A): the
    /// server takes the identity from the TLS client certificate, or from
    /// the peer credentials of an `ldapi://` socket.
    ///
    /// `authzid` (e.g. `"dn:uid=bob,ou=people,dc=example,dc=com"` or
    /// `"u:bob"`) asks to act as another identity; `None` sends empty
    /// credentials. Either way the credentials field is present, so the
    /// bind completes in one round trip.
    ///
    /// ```no_run
    /// use tokio_ldap::{ClientCert, ConnConfig, LdapConn};
    ///
    /// # async fn f() -> Result<(), tokio_ldap::Error> {
    /// let cert = ClientCert::from_pem_files("alice.crt", "alice.key")?;
    /// let config = ConnConfig::new().ca_file("ca.pem").client_cert(cert);
    /// let conn = LdapConn::connect("ldaps://ldap.example.com", config).await?;
    /// conn.bind_external(None).await?;
    /// println!("bound as {:?}", conn.whoami().await?);
    /// # Ok(()) }
    /// ```
    pub async fn bind_external(&self, authzid: Option<&str>) -> Result<(), Error> {
        self.with(OpOptions::default()).bind_external(authzid).await
    }

    /// A SASL bind step with any mechanism; returns the server's
    /// credentials. A `saslBindInProgress` result is returned as `Ok` with
    /// its code so multi-step mechanisms can continue. `PLAIN`, which
    /// carries the password, is refused over an unencrypted connection like
    /// [`bind_simple`](Self::bind_simple).
    pub async fn bind_sasl(
        &self,
        mechanism: &str,
        credentials: Option<&[u8]>,
    ) -> Result<(ResultCode, Option<Bytes>), Error> {
        self.with(OpOptions::default())
            .bind_sasl(mechanism, credentials)
            .await
    }

    /// The identity the server associates with this connection (RFC
    /// 4532), as sent (`"dn:..."` or `"u:..."`); `None` when anonymous.
    pub async fn whoami(&self) -> Result<Option<String>, Error> {
        self.with(OpOptions::default()).whoami().await
    }

    /// What TLS negotiated: version, cipher suite, the server's chain, the
    /// CAs the server named when it asked for a client certificate
    /// ([`TlsInfo::trusted_cas`]), and which certificate was sent. `None`
    /// without TLS.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        crate::sync::lock(&self.inner.shared.tls_info).clone()
    }

    /// Runs operations with controls and a timeout (see [`OpOptions`]).
    pub fn with(&self, options: OpOptions) -> Ops<'_> {
        Ops {
            conn: self,
            options,
        }
    }

    /// Starts a search; entries stream in as the server sends them.
    pub async fn search(&self, request: Search) -> Result<SearchStream, Error> {
        self.with(OpOptions::default()).search(request).await
    }

    /// Runs a search and collects everything.
    pub async fn search_all(&self, request: Search) -> Result<SearchResults, Error> {
        self.with(OpOptions::default()).search_all(request).await
    }

    /// Runs a search page by page with the paged-results control (RFC
    /// 2696), `page_size` entries at a time, and collects everything.
    pub async fn search_paged(
        &self,
        request: Search,
        page_size: u32,
    ) -> Result<SearchResults, Error> {
        self.with(OpOptions::default())
            .search_paged(request, page_size)
            .await
    }

    /// Runs a search page by page (RFC 2696 paged results), yielding its
    /// items one at a time; see [`PagedSearch`].
    pub fn search_pages(&self, request: Search, page_size: u32) -> PagedSearch {
        self.with(OpOptions::default())
            .search_pages(request, page_size)
    }

    /// Adds an entry.
    pub async fn add(&self, dn: &str, attributes: Vec<Attribute>) -> Result<(), Error> {
        self.with(OpOptions::default()).add(dn, attributes).await
    }

    /// Modifies an entry.
    pub async fn modify(&self, dn: &str, changes: Vec<Modification>) -> Result<(), Error> {
        self.with(OpOptions::default()).modify(dn, changes).await
    }

    /// Deletes an entry.
    pub async fn delete(&self, dn: &str) -> Result<(), Error> {
        self.with(OpOptions::default()).delete(dn).await
    }

    /// Renames and/or moves an entry.
    pub async fn modify_dn(
        &self,
        dn: &str,
        new_rdn: &str,
        delete_old_rdn: bool,
        new_superior: Option<&str>,
    ) -> Result<(), Error> {
        self.with(OpOptions::default())
            .modify_dn(dn, new_rdn, delete_old_rdn, new_superior)
            .await
    }

    /// Compares an attribute value: `Ok(true)` for compareTrue, `Ok(false)`
    /// for compareFalse.
    pub async fn compare(
        &self,
        dn: &str,
        attribute: &str,
        value: impl AsRef<[u8]>,
    ) -> Result<bool, Error> {
        self.with(OpOptions::default())
            .compare(dn, attribute, value)
            .await
    }

    /// Any extended operation; a non-success result is an error.
    pub async fn extended(&self, request: ExtendedRequest) -> Result<ExtendedResponse, Error> {
        self.with(OpOptions::default()).extended(request).await
    }

    /// Password Modify (RFC 3062). Returns the generated password when the
    /// server made one.
    pub async fn password_modify(
        &self,
        request: PasswordModify,
    ) -> Result<Option<Password>, Error> {
        self.with(OpOptions::default())
            .password_modify(request)
            .await
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

    async fn send(&self, op: ProtocolOp, opts: OpOptions, sink: Sink) -> Result<u64, Error> {
        let token = self.inner.next_token.fetch_add(1, Ordering::Relaxed);
        let timeout = opts.timeout.or(self.inner.op_timeout);
        let cmd = Command::Op {
            op,
            controls: opts.controls,
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

    async fn request(&self, op: ProtocolOp, opts: OpOptions) -> Result<LdapMessage, Error> {
        let (tx, rx) = oneshot::channel();
        let token = self.send(op, opts, Sink::Single(tx)).await?;
        let guard = CancelGuard::new(&self.inner, token);
        let res = rx.await.map_err(|_| self.closed_error());
        guard.disarm();
        res?
    }

    fn closed_error(&self) -> Error {
        crate::sync::lock(&self.inner.shared.closed_with)
            .clone()
            .unwrap_or_else(|| Error::Closed("the connection is closed".into()))
    }

    fn is_secure(&self) -> bool {
        self.inner.shared.secure.load(Ordering::Acquire)
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

/// Operations with [`OpOptions`]: made by [`LdapConn::with`].
#[derive(Debug)]
pub struct Ops<'a> {
    conn: &'a LdapConn,
    options: OpOptions,
}

impl Ops<'_> {
    /// [`LdapConn::bind_simple`] with options.
    pub async fn bind_simple(self, dn: &str, password: &str) -> Result<(), Error> {
        if !password.is_empty()
            && !self.conn.is_secure()
            && !self.conn.inner.allow_insecure_password
        {
            return Err(Error::InsecurePassword);
        }
        let auth = BindAuth::Simple(Password::new(password.as_bytes()));
        let op = ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: dn.into(),
            auth,
        });
        let resp = self.conn.request(op, self.options).await?;
        bind_result(resp).map(drop)
    }

    /// [`LdapConn::bind_external`] with options.
    pub async fn bind_external(self, authzid: Option<&str>) -> Result<(), Error> {
        let creds = Bytes::copy_from_slice(authzid.unwrap_or("").as_bytes());
        let conn = self.conn;
        let resp = self
            .bind_sasl_raw("EXTERNAL", Some(creds))
            .await
            .map_err(|e| explain_external_failure(conn, e))?;
        // EXTERNAL takes one round trip: a server that asks for more
        // (saslBindInProgress) gets no second step.
        if resp.result.code != ResultCode::SUCCESS {
            return Err(explain_external_failure(
                conn,
                ldap_error("bind", resp.result),
            ));
        }
        Ok(())
    }

    /// [`LdapConn::bind_sasl`] with options.
    pub async fn bind_sasl(
        self,
        mechanism: &str,
        credentials: Option<&[u8]>,
    ) -> Result<(ResultCode, Option<Bytes>), Error> {
        // PLAIN carries the password itself.
        let plain = mechanism.eq_ignore_ascii_case("PLAIN");
        if plain && !self.conn.is_secure() && !self.conn.inner.allow_insecure_password {
            return Err(Error::InsecurePassword);
        }
        let resp = self
            .bind_sasl_raw(mechanism, credentials.map(Bytes::copy_from_slice))
            .await?;
        Ok((resp.result.code, resp.server_sasl_creds))
    }

    /// A SASL bind step: the response when it is `success` or
    /// `saslBindInProgress`, an error otherwise.
    async fn bind_sasl_raw(
        self,
        mechanism: &str,
        credentials: Option<Bytes>,
    ) -> Result<BindResponse, Error> {
        let auth = BindAuth::Sasl {
            mechanism: mechanism.into(),
            credentials,
        };
        let op = ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: ByteString::new(),
            auth,
        });
        let resp = self.conn.request(op, self.options).await?;
        let ProtocolOp::BindResponse(r) = resp.op else {
            return Err(unexpected("bind"));
        };
        if r.result.code == ResultCode::SUCCESS
            || r.result.code == ResultCode::SASL_BIND_IN_PROGRESS
        {
            return Ok(r);
        }
        Err(ldap_error("bind", r.result))
    }

    /// [`LdapConn::whoami`] with options.
    pub async fn whoami(self) -> Result<Option<String>, Error> {
        let resp = self.extended(extended::who_am_i()).await?;
        Ok(match resp.value {
            Some(v) if !v.is_empty() => Some(String::from_utf8_lossy(&v).into_owned()),
            _ => None,
        })
    }

    /// [`LdapConn::extended`] with options.
    pub async fn extended(self, request: ExtendedRequest) -> Result<ExtendedResponse, Error> {
        let resp = self
            .conn
            .request(ProtocolOp::ExtendedRequest(request), self.options)
            .await?;
        let ProtocolOp::ExtendedResponse(r) = resp.op else {
            return Err(unexpected("extended"));
        };
        if !r.result.code.is_success() {
            return Err(ldap_error("extended operation", r.result));
        }
        Ok(r)
    }

    /// [`LdapConn::password_modify`] with options.
    pub async fn password_modify(self, request: PasswordModify) -> Result<Option<Password>, Error> {
        let resp = self.extended(request.into()).await?;
        PasswordModify::parse_response(&resp).map_err(|e| Error::Protocol(e.into()))
    }

    /// [`LdapConn::add`] with options.
    pub async fn add(self, dn: &str, attributes: Vec<Attribute>) -> Result<(), Error> {
        let op = ProtocolOp::AddRequest(AddRequest {
            entry: dn.into(),
            attributes,
        });
        self.simple("add", op).await
    }

    /// [`LdapConn::modify`] with options.
    pub async fn modify(self, dn: &str, changes: Vec<Modification>) -> Result<(), Error> {
        let op = ProtocolOp::ModifyRequest(ModifyRequest {
            object: dn.into(),
            changes,
        });
        self.simple("modify", op).await
    }

    /// [`LdapConn::modify`] with options, returning the response controls
    /// (e.g. the entry of a post-read control, RFC 4527).
    pub async fn modify_with_response(
        self,
        dn: &str,
        changes: Vec<Modification>,
    ) -> Result<Vec<Control>, Error> {
        let op = ProtocolOp::ModifyRequest(ModifyRequest {
            object: dn.into(),
            changes,
        });
        let resp = self.conn.request(op, self.options).await?;
        let r = final_result(resp.op).ok_or_else(|| unexpected("modify"))?;
        if r.code != ResultCode::SUCCESS {
            return Err(ldap_error("modify", r));
        }
        Ok(resp.controls)
    }

    /// [`LdapConn::delete`] with options.
    pub async fn delete(self, dn: &str) -> Result<(), Error> {
        self.simple("delete", ProtocolOp::DelRequest(dn.into()))
            .await
    }

    /// [`LdapConn::modify_dn`] with options.
    pub async fn modify_dn(
        self,
        dn: &str,
        new_rdn: &str,
        delete_old_rdn: bool,
        new_superior: Option<&str>,
    ) -> Result<(), Error> {
        let op = ProtocolOp::ModifyDnRequest(ModifyDnRequest {
            entry: dn.into(),
            new_rdn: new_rdn.into(),
            delete_old_rdn,
            new_superior: new_superior.map(Into::into),
        });
        self.simple("modify DN", op).await
    }

    /// [`LdapConn::compare`] with options.
    pub async fn compare(
        self,
        dn: &str,
        attribute: &str,
        value: impl AsRef<[u8]>,
    ) -> Result<bool, Error> {
        let op = ProtocolOp::CompareRequest(CompareRequest {
            entry: dn.into(),
            attribute: attribute.into(),
            value: Bytes::copy_from_slice(value.as_ref()),
        });
        let resp = self.conn.request(op, self.options).await?;
        let r = final_result(resp.op).ok_or_else(|| unexpected("compare"))?;
        match r.code {
            ResultCode::COMPARE_TRUE => Ok(true),
            ResultCode::COMPARE_FALSE => Ok(false),
            _ => Err(ldap_error("compare", r)),
        }
    }

    async fn simple(self, name: &'static str, op: ProtocolOp) -> Result<(), Error> {
        let resp = self.conn.request(op, self.options).await?;
        let r = final_result(resp.op).ok_or_else(|| unexpected(name))?;
        if r.code != ResultCode::SUCCESS {
            return Err(ldap_error(name, r));
        }
        Ok(())
    }

    /// [`LdapConn::search`] with options.
    pub async fn search(self, request: Search) -> Result<SearchStream, Error> {
        let op = ProtocolOp::SearchRequest(request.into_request()?);
        let (tx, rx) = mpsc::channel(SEARCH_CHANNEL);
        let token = self.conn.send(op, self.options, Sink::Search(tx)).await?;
        Ok(SearchStream {
            conn: self.conn.clone(),
            rx,
            batch: Vec::new().into_iter(),
            controls: Vec::new(),
            token,
            done: None,
            finished: false,
        })
    }

    /// [`LdapConn::search_all`] with options.
    pub async fn search_all(self, request: Search) -> Result<SearchResults, Error> {
        let mut stream = self.search(request).await?;
        let mut out = SearchResults::default();
        while let Some(item) = stream.next_item().await? {
            match item {
                SearchItem::Entry(e) => out.entries.push(e),
                SearchItem::Reference(r) => {
                    out.references.extend(r.into_iter().map(|s| s.to_string()))
                }
                SearchItem::Intermediate(_) => {}
            }
        }
        if let Some(done) = stream.done.take() {
            out.result = Some(done.result);
            out.controls = done.controls;
        }
        Ok(out)
    }

    /// [`LdapConn::search_paged`] with options.
    pub async fn search_paged(
        self,
        request: Search,
        page_size: u32,
    ) -> Result<SearchResults, Error> {
        let mut pages = self.search_pages(request, page_size);
        let mut all = SearchResults::default();
        while let Some(item) = pages.next_item().await? {
            match item {
                SearchItem::Entry(e) => all.entries.push(e),
                SearchItem::Reference(r) => all.references.extend(r.iter().map(|s| s.to_string())),
                SearchItem::Intermediate(_) => {}
            }
        }
        if let Some(done) = pages.done.take() {
            all.result = Some(done.result);
            all.controls = done.controls;
        }
        Ok(all)
    }

    /// [`LdapConn::search_pages`] with options (the options apply to every
    /// page).
    pub fn search_pages(self, request: Search, page_size: u32) -> PagedSearch {
        PagedSearch {
            conn: self.conn.clone(),
            options: self.options,
            request,
            page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
            cookie: Some(Bytes::new()),
            current: None,
            done: None,
        }
    }
}

/// A search run page by page with the paged-results control (RFC 2696),
/// transparently: items come as from one search, and each next page is
/// requested when the previous one is consumed, so at most one page is in
/// flight. Made by [`LdapConn::search_pages`].
#[derive(Debug)]
pub struct PagedSearch {
    conn: LdapConn,
    options: OpOptions,
    request: Search,
    page_size: i32,
    /// The cookie for the next page; `None` once the last page started.
    cookie: Option<Bytes>,
    current: Option<SearchStream>,
    done: Option<SearchDone>,
}

impl PagedSearch {
    /// The next item of any page, `Ok(None)` after the last page.
    pub async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        loop {
            if let Some(stream) = self.current.as_mut() {
                if let Some(item) = stream.next_item().await? {
                    return Ok(Some(item));
                }
                let done = self.current.take().and_then(|mut s| s.done.take());
                let next = match &done {
                    Some(d) => paged_cookie(&d.controls)?,
                    None => None,
                };
                self.cookie = next.filter(|c| !c.is_empty());
                self.done = done;
                continue;
            }
            let Some(cookie) = self.cookie.take() else {
                return Ok(None);
            };
            let paged = PagedResults {
                size: self.page_size,
                cookie,
            };
            let ops = Ops {
                conn: &self.conn,
                options: self.options.clone().control(paged.to_control()),
            };
            self.current = Some(ops.search(self.request.clone()).await?);
        }
    }

    /// The final result of the last page, once the search has ended.
    pub fn done(&self) -> Option<&SearchDone> {
        self.done.as_ref()
    }

    /// The response controls sent with the item returned last (see
    /// [`SearchStream::controls`]).
    pub fn controls(&self) -> &[Control] {
        self.current.as_ref().map_or(&[], SearchStream::controls)
    }
}

/// The cookie of the paged-results response control, if there is one. A
/// control that does not decode is a protocol error, not the end of the
/// search.
fn paged_cookie(controls: &[Control]) -> Result<Option<Bytes>, Error> {
    let Some(c) = controls.iter().find(|c| c.oid == PagedResults::OID) else {
        return Ok(None);
    };
    let p = PagedResults::from_control(c).map_err(|e| Error::Protocol(e.into()))?;
    Ok(Some(p.cookie))
}

/// A search request, built by value.
///
/// ```
/// use tokio_ldap::{Scope, Search};
///
/// let s = Search::new("ou=people,dc=example,dc=com")
///     .scope(Scope::OneLevel)
///     .filter("(&(objectClass=inetOrgPerson)(uid=a*))")
///     .attributes(["cn", "mail"]);
/// # let _ = s;
/// ```
#[derive(Clone, Debug)]
pub struct Search {
    base: String,
    scope: Scope,
    filter: String,
    attributes: Vec<String>,
    size_limit: i32,
    time_limit: i32,
    types_only: bool,
    deref: DerefAliases,
}

impl Search {
    /// A subtree search of `base` for `(objectClass=*)`, all user attributes.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            scope: Scope::Subtree,
            filter: "(objectClass=*)".to_owned(),
            attributes: Vec::new(),
            size_limit: 0,
            time_limit: 0,
            types_only: false,
            deref: DerefAliases::Never,
        }
    }

    /// The scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The filter, in RFC 4515 string form (parsed when the search starts:
    /// a bad filter fails with [`Error::InvalidInput`]).
    pub fn filter(mut self, filter: &str) -> Self {
        self.filter = filter.to_owned();
        self
    }

    /// The attributes to return (`*` all user attributes, `+` operational,
    /// `1.1` none).
    pub fn attributes<I, S>(mut self, attrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.attributes = attrs.into_iter().map(Into::into).collect();
        self
    }

    /// The server-side size limit (0: none requested).
    pub fn size_limit(mut self, n: i32) -> Self {
        self.size_limit = n;
        self
    }

    /// The server-side time limit in seconds (0: none requested).
    pub fn time_limit(mut self, secs: i32) -> Self {
        self.time_limit = secs;
        self
    }

    /// Return attribute names only.
    pub fn types_only(mut self, on: bool) -> Self {
        self.types_only = on;
        self
    }

    /// Alias dereferencing.
    pub fn deref(mut self, d: DerefAliases) -> Self {
        self.deref = d;
        self
    }

    fn into_request(self) -> Result<SearchRequest, Error> {
        let filter: Filter = self
            .filter
            .parse()
            .map_err(|e| Error::InvalidInput(format!("filter {:?}: {e}", self.filter)))?;
        Ok(SearchRequest {
            base: self.base.into(),
            scope: self.scope,
            deref: self.deref,
            size_limit: self.size_limit,
            time_limit: self.time_limit,
            types_only: self.types_only,
            filter,
            attributes: self.attributes.into_iter().map(Into::into).collect(),
        })
    }
}

/// One item of a search.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum SearchItem {
    /// An entry.
    Entry(SearchResultEntry),
    /// Continuation references (URIs) to other servers.
    Reference(Vec<ByteString>),
    /// An intermediate response (e.g. from sync replication).
    Intermediate(IntermediateResponse),
}

/// The final `SearchResultDone`: the result and its controls.
#[derive(Clone, Debug)]
pub struct SearchDone {
    /// The result.
    pub result: LdapResult,
    /// Response controls (e.g. the paged-results cookie).
    pub controls: Vec<Control>,
}

/// Everything a search returned.
#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    /// The entries, in the order received.
    pub entries: Vec<SearchResultEntry>,
    /// Continuation reference URIs.
    pub references: Vec<String>,
    /// The final result (success, or `sizeLimitExceeded` etc. — those are
    /// not errors: the entries received are still returned).
    pub result: Option<LdapResult>,
    /// Controls on the final result.
    pub controls: Vec<Control>,
}

/// The entries of a running search, as a [`futures_core::Stream`] of
/// [`SearchItem`]s. Dropping it before the end abandons the search on the
/// server.
///
/// The stream ends after the server's `SearchResultDone`; a non-success
/// result other than `sizeLimitExceeded`/`timeLimitExceeded` comes as a
/// final `Err`. [`SearchStream::done`] has the result afterwards.
///
/// Response controls sent with an entry, a reference or an intermediate
/// response (the sync state of RFC 4533, for example) are kept until the
/// next item: [`SearchStream::controls`].
pub struct SearchStream {
    conn: LdapConn,
    rx: mpsc::Receiver<SearchBatch>,
    /// What is left of the last batch received.
    batch: std::vec::IntoIter<SearchEvent>,
    /// The controls of the item returned last.
    controls: Vec<Control>,
    token: u64,
    done: Option<SearchDone>,
    finished: bool,
}

impl fmt::Debug for SearchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchStream")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl SearchStream {
    /// The next item, `Ok(None)` at the end.
    pub async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        std::future::poll_fn(|cx| self.poll_item(cx))
            .await
            .transpose()
    }

    /// The final result, once the stream has ended.
    pub fn done(&self) -> Option<&SearchDone> {
        self.done.as_ref()
    }

    /// The response controls the server sent with the item returned last
    /// (empty when it sent none, and before the first item). The final
    /// result's controls are in [`done`](Self::done).
    ///
    /// ```no_run
    /// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
    /// use tokio_ldap::{Search, SearchItem};
    /// let mut stream = conn.search(Search::new("dc=example,dc=com")).await?;
    /// while let Some(item) = stream.next_item().await? {
    ///     if let SearchItem::Entry(entry) = item {
    ///         for c in stream.controls() {
    ///             println!("{}: control {} with {} bytes", entry.dn, c.oid, c.value.as_ref().map_or(0, |v| v.len()));
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<SearchItem, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        let ev = loop {
            if let Some(ev) = self.batch.next() {
                break Some(ev);
            }
            match self.rx.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(batch)) => self.batch = batch.into_iter(),
                Poll::Ready(None) => break None,
            }
        };
        let (item, controls) = match ev {
            Some(SearchEvent::Entry(e, c)) => (SearchItem::Entry(e), c),
            Some(SearchEvent::Reference(r, c)) => (SearchItem::Reference(r), c),
            Some(SearchEvent::Intermediate(i, c)) => (SearchItem::Intermediate(i), c),
            Some(SearchEvent::Done(res)) => {
                self.controls.clear();
                self.finished = true;
                return Poll::Ready(self.finish(res).err().map(Err));
            }
            None => {
                self.controls.clear();
                self.finished = true;
                return Poll::Ready(Some(Err(self.conn.closed_error())));
            }
        };
        self.controls = controls;
        Poll::Ready(Some(Ok(item)))
    }

    fn finish(&mut self, res: Result<LdapMessage, Error>) -> Result<(), Error> {
        let msg = res?;
        let ProtocolOp::SearchResultDone(result) = msg.op else {
            return Err(unexpected("search"));
        };
        let code = result.code;
        self.done = Some(SearchDone {
            result: result.clone(),
            controls: msg.controls,
        });
        let partial_ok = matches!(
            code,
            ResultCode::SUCCESS | ResultCode::SIZE_LIMIT_EXCEEDED | ResultCode::TIME_LIMIT_EXCEEDED
        );
        if partial_ok {
            return Ok(());
        }
        Err(ldap_error("search", result))
    }
}

impl futures_core::Stream for SearchStream {
    type Item = Result<SearchItem, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl Drop for SearchStream {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.conn.inner.cancel.send(self.token);
        }
    }
}

fn final_result(op: ProtocolOp) -> Option<LdapResult> {
    match op {
        ProtocolOp::ModifyResponse(r)
        | ProtocolOp::AddResponse(r)
        | ProtocolOp::DelResponse(r)
        | ProtocolOp::ModifyDnResponse(r)
        | ProtocolOp::CompareResponse(r)
        | ProtocolOp::SearchResultDone(r) => Some(r),
        _ => None,
    }
}

fn bind_result(msg: LdapMessage) -> Result<Option<Bytes>, Error> {
    let ProtocolOp::BindResponse(r) = msg.op else {
        return Err(unexpected("bind"));
    };
    if r.result.code != ResultCode::SUCCESS {
        return Err(ldap_error("bind", r.result));
    }
    Ok(r.server_sasl_creds)
}

fn ldap_error(operation: &'static str, result: LdapResult) -> Error {
    Error::Ldap(Box::new(LdapError { operation, result }))
}

fn unexpected(operation: &'static str) -> Error {
    Error::Protocol(crate::ProtocolError::Other(format!(
        "unexpected response to {operation}"
    )))
}

/// Adds what TLS knows to a failed EXTERNAL bind: no certificate was
/// requested, or none was sent.
fn explain_external_failure(conn: &LdapConn, e: Error) -> Error {
    let Error::Ldap(mut le) = e else { return e };
    let hint = match conn.tls_info() {
        None if !conn.inner.url.starts_with("ldapi") => {
            Some("the connection is not using TLS, so there is no client certificate to bind with")
        }
        Some(info) if info.trusted_cas().is_none() => {
            Some("the server did not ask for a client certificate during the TLS handshake")
        }
        Some(info) if info.client_cert_sent().is_none() => {
            Some("no client certificate was sent during the TLS handshake")
        }
        _ => None,
    };
    if let Some(hint) = hint {
        let msg = if le.result.message.is_empty() {
            hint.to_owned()
        } else {
            format!("{} ({hint})", le.result.message)
        };
        le.result.message = msg.into();
    }
    Error::Ldap(le)
}
