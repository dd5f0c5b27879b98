//! TLS settings and the per-connection rustls `ClientConfig`.

use std::any::Any;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use rustls_pki_types::{CertificateDer, ServerName};

use super::cert::ClientCert;
use super::pem;
use super::provider::default_provider;
use super::query::{QueryClientCert, TlsMode};
use super::record::HandshakeRecord;
use super::resolver::{ClientCertResolver, SharedResolver};
use super::source::{self, ClientCertSource};
use super::stamp::Stamp;
use super::store::CertStore;
use super::verify::{BaseVerifier, HookPower, ServerVerifier, VerifyServerCert};
use crate::error::Error;
use crate::sync::lock;

/// A TLS protocol version the client may use.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// Every TLS option of a connection config. `ConnConfig` forwards its
/// setters here.
#[derive(Clone)]
pub(crate) struct TlsSettings {
    ca_files: Vec<PathBuf>,
    roots: Vec<CertificateDer<'static>>,
    system_roots: bool,
    client_cert: Option<Arc<dyn QueryClientCert>>,
    /// The chooser when it is a [`CertStore`] reading a directory:
    /// refreshed before each connect.
    watched_store: Option<CertStore>,
    cert_source: Option<Arc<dyn ClientCertSource>>,
    server_hook: Option<(Arc<dyn VerifyServerCert>, HookPower)>,
    pins: Vec<[u8; 32]>,
    provider: Option<Arc<CryptoProvider>>,
    dangerous_no_verification: bool,
    /// Verify servers with the operating system's verifier.
    platform_verifier: bool,
    tls12: bool,
    tls13: bool,
    /// What `prepared` made, shared with the clones taken since; a setter
    /// gives its settings a fresh, empty slot.
    prepared: Arc<Mutex<Option<Arc<PreparedTls>>>>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsSettings {
    /// Verification on, no roots yet, system roots off, no client
    /// certificate, TLS 1.2 and 1.3.
    pub(crate) fn new() -> Self {
        Self {
            ca_files: Vec::new(),
            roots: Vec::new(),
            system_roots: false,
            client_cert: None,
            watched_store: None,
            cert_source: None,
            server_hook: None,
            pins: Vec::new(),
            provider: None,
            dangerous_no_verification: false,
            platform_verifier: false,
            tls12: true,
            tls13: true,
            prepared: Arc::default(),
        }
    }

    /// Forgets what was prepared: the settings changed. Clones taken
    /// before keep theirs.
    fn changed(&mut self) {
        self.prepared = Arc::default();
    }

    /// Trust the CA certificates in this PEM file (read by `prepare`).
    pub(crate) fn add_ca_file(&mut self, path: impl Into<PathBuf>) {
        self.changed();
        self.ca_files.push(path.into());
    }

    /// Trust this CA certificate.
    pub(crate) fn add_root_certificate(&mut self, cert: CertificateDer<'static>) {
        self.changed();
        self.roots.push(cert);
    }

    /// Also trust the operating system's CA store.
    pub(crate) fn set_system_roots(&mut self, on: bool) {
        self.changed();
        self.system_roots = on;
    }

    /// Always offer this certificate when the server asks.
    pub(crate) fn set_client_cert(&mut self, cert: ClientCert) {
        self.changed();
        self.client_cert = Some(Arc::new(cert));
        self.watched_store = None;
    }

    /// Ask this chooser when the server asks for a certificate.
    pub(crate) fn set_client_cert_query(&mut self, query: impl QueryClientCert + 'static) {
        self.changed();
        self.watched_store = (&query as &dyn Any)
            .downcast_ref::<CertStore>()
            .filter(|store| store.dir().is_some())
            .cloned();
        self.client_cert = Some(Arc::new(query));
    }

    /// Fetch the candidates with this source before each connect.
    pub(crate) fn set_client_cert_source(&mut self, source: impl ClientCertSource + 'static) {
        self.changed();
        self.cert_source = Some(Arc::new(source));
    }

    /// Send no client certificate.
    #[cfg(test)]
    pub(crate) fn clear_client_cert(&mut self) {
        self.changed();
        self.client_cert = None;
        self.watched_store = None;
    }

    /// Run this hook after the server's certificate verified.
    pub(crate) fn set_server_cert_hook(&mut self, hook: impl VerifyServerCert + 'static) {
        self.changed();
        self.server_hook = Some((Arc::new(hook), HookPower::Checks));
    }

    /// Let this hook decide, whatever webpki said.
    pub(crate) fn set_server_cert_override(&mut self, hook: impl VerifyServerCert + 'static) {
        self.changed();
        self.server_hook = Some((Arc::new(hook), HookPower::Decides));
    }

    /// Accept only server keys whose SubjectPublicKeyInfo has one of the
    /// pinned SHA-256 hashes.
    pub(crate) fn add_pin(&mut self, spki_sha256: [u8; 32]) {
        self.changed();
        self.pins.push(spki_sha256);
    }

    /// Build every rustls object with this provider.
    pub(crate) fn set_provider(&mut self, provider: Arc<CryptoProvider>) {
        self.changed();
        self.provider = Some(provider);
    }

    /// Accept any server certificate (signatures are still checked).
    pub(crate) fn set_dangerous_disable_server_verification(&mut self, on: bool) {
        self.changed();
        self.dangerous_no_verification = on;
    }

    /// Verify servers with the operating system's verifier.
    #[cfg(feature = "platform-verifier")]
    pub(crate) fn set_platform_verifier(&mut self, on: bool) {
        self.changed();
        self.platform_verifier = on;
    }

    /// The protocol versions to offer; an empty list is rejected by
    /// `prepare`.
    pub(crate) fn set_versions(&mut self, versions: &[TlsVersion]) {
        self.changed();
        self.tls12 = versions.contains(&TlsVersion::Tls12);
        self.tls13 = versions.contains(&TlsVersion::Tls13);
    }

    /// The roots loaded and the verifier built: made at the first connect
    /// that needs TLS, then kept, by these settings and by the clones taken
    /// from them, so that later connects neither read the CA files again
    /// nor rebuild the verifier. A failure is not kept: the next connect
    /// tries again.
    ///
    /// Called before each connect that needs TLS, outside the handshake, it
    /// also follows changes to files: a [`CertStore`] reading a directory
    /// is refreshed, and when a CA file changed (length, modification time
    /// or, on Unix, inode) everything is prepared anew. If that fails, what
    /// was prepared before is kept, with the reason in its description of
    /// the roots and a warning in the log, until the files change again.
    pub(crate) fn prepared(&self) -> Result<Arc<PreparedTls>, Error> {
        if let Some(store) = &self.watched_store {
            store.refresh();
        }
        let mut slot = lock(&self.prepared);
        let stamps = self.ca_stamps();
        let prepared = match slot.as_ref() {
            Some(prepared) if prepared.ca_stamps == stamps => return Ok(Arc::clone(prepared)),
            Some(prepared) => match self.prepare_stamped(stamps.clone()) {
                Ok(fresh) => fresh,
                Err(e) => prepared.keeping_roots(&e, stamps),
            },
            None => self.prepare_stamped(stamps)?,
        };
        let prepared = Arc::new(prepared);
        *slot = Some(Arc::clone(&prepared));
        Ok(prepared)
    }

    /// The stamps of the CA files now, in order.
    fn ca_stamps(&self) -> Vec<Option<Stamp>> {
        self.ca_files.iter().map(|path| Stamp::of(path)).collect()
    }

    /// Loads the roots and builds the verifier. Errors name the CA file at
    /// fault.
    #[cfg(test)]
    pub(crate) fn prepare(&self) -> Result<PreparedTls, Error> {
        self.prepare_stamped(self.ca_stamps())
    }

    /// Loads the roots and builds the verifier, with the CA files' stamps taken before
    /// they are read.
    fn prepare_stamped(&self, ca_stamps: Vec<Option<Stamp>>) -> Result<PreparedTls, Error> {
        let provider = self.provider.clone().unwrap_or_else(default_provider);
        let mut versions: Vec<&'static SupportedProtocolVersion> = Vec::new();
        if self.tls13 {
            versions.push(&rustls::version::TLS13);
        }
        if self.tls12 {
            versions.push(&rustls::version::TLS12);
        }
        if versions.is_empty() {
            return Err(Error::Config("no TLS version enabled".to_owned()));
        }

        let (base, roots_desc) = if self.dangerous_no_verification {
            (
                BaseVerifier::Dangerous,
                "none (verification disabled)".to_owned(),
            )
        } else if self.platform_verifier {
            self.platform(&provider)?
        } else {
            let (store, desc) = self.load_roots()?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::clone(&provider))
                    .build()
                    .map_err(|e| Error::Config(format!("cannot verify servers: {e}")))?;
            (BaseVerifier::WebPki(webpki), desc)
        };
        Ok(PreparedTls {
            verifier: Arc::new(ServerVerifier {
                base,
                hook: self.server_hook.clone(),
                pins: self.pins.clone(),
                algorithms: provider.signature_verification_algorithms,
            }),
            provider,
            versions,
            client_cert: self.client_cert.clone(),
            cert_source: self.cert_source.clone(),
            roots_desc: roots_desc.clone(),
            roots_loaded: roots_desc,
            ca_stamps,
            config: OnceLock::new(),
        })
    }

    /// The operating system's verifier, trusting also the configured CA
    /// files and in-memory roots.
    #[cfg(feature = "platform-verifier")]
    fn platform(&self, provider: &Arc<CryptoProvider>) -> Result<(BaseVerifier, String), Error> {
        let mut extra = self.roots.clone();
        let mut sources = vec!["the operating system's verifier".to_owned()];
        for path in &self.ca_files {
            let name = path.display().to_string();
            extra.extend(pem::certs_from_pem(
                &pem::read_file(path, "CA file")?,
                &name,
            )?);
            sources.push(name);
        }
        if !self.roots.is_empty() {
            sources.push(format!(
                "{} root certificate(s) given in memory",
                self.roots.len()
            ));
        }
        let verifier =
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(provider))
                .map_err(|e| {
                Error::Config(format!("cannot use the operating system's verifier: {e}"))
            })?;
        Ok((
            BaseVerifier::Platform(Arc::new(verifier)),
            sources.join(", "),
        ))
    }

    /// Never called: without the feature the setting cannot be turned on.
    #[cfg(not(feature = "platform-verifier"))]
    fn platform(&self, _: &Arc<CryptoProvider>) -> Result<(BaseVerifier, String), Error> {
        Err(Error::Config(
            "the platform verifier needs the `platform-verifier` feature".to_owned(),
        ))
    }

    fn load_roots(&self) -> Result<(RootCertStore, String), Error> {
        let mut store = RootCertStore::empty();
        let mut sources = Vec::new();
        for path in &self.ca_files {
            let name = path.display().to_string();
            let certs = pem::certs_from_pem(&pem::read_file(path, "CA file")?, &name)?;
            for (i, cert) in certs.into_iter().enumerate() {
                store.add(cert).map_err(|e| {
                    Error::Config(format!(
                        "certificate {} in CA file {name} cannot be a trust anchor: {e}",
                        i + 1
                    ))
                })?;
            }
            sources.push(name);
        }
        for (i, cert) in self.roots.iter().enumerate() {
            store.add(cert.clone()).map_err(|e| {
                Error::Config(format!(
                    "root certificate {} cannot be a trust anchor: {e}",
                    i + 1
                ))
            })?;
        }
        if !self.roots.is_empty() {
            sources.push(format!(
                "{} root certificate(s) given in memory",
                self.roots.len()
            ));
        }
        if self.system_roots {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map_or_else(|| "it is empty".to_owned(), ToString::to_string);
                return Err(Error::Config(format!(
                    "no CA certificate could be loaded from the system store: {why}"
                )));
            }
            sources.push(format!("the system store ({added} CAs)"));
        }
        if store.is_empty() {
            return Err(Error::Config(
                "no trusted CA certificates: give a CA file, enable the system store, or (dangerously) disable server verification".to_owned(),
            ));
        }
        Ok((store, sources.join(", ")))
    }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_files", &self.ca_files)
            .field("roots", &self.roots.len())
            .field("system_roots", &self.system_roots)
            .field("client_cert", &self.client_cert.is_some())
            .field(
                "server_hook",
                &self.server_hook.as_ref().map(|(_, power)| power),
            )
            .field("pins", &self.pins.len())
            .field("provider", &self.provider.is_some())
            .field("dangerous_no_verification", &self.dangerous_no_verification)
            .field("platform_verifier", &self.platform_verifier)
            .field("tls12", &self.tls12)
            .field("tls13", &self.tls13)
            .finish_non_exhaustive()
    }
}

/// [`TlsSettings`] with roots loaded, ready to make per-connection configs.
#[derive(Clone)]
pub(crate) struct PreparedTls {
    provider: Arc<CryptoProvider>,
    verifier: Arc<ServerVerifier>,
    versions: Vec<&'static SupportedProtocolVersion>,
    client_cert: Option<Arc<dyn QueryClientCert>>,
    cert_source: Option<Arc<dyn ClientCertSource>>,
    /// Where the roots came from, and why a CA file was not reloaded.
    roots_desc: String,
    /// Where the roots came from.
    roots_loaded: String,
    /// The stamps of the CA files when they were read (or last tried).
    ca_stamps: Vec<Option<Stamp>>,
    /// The rustls config, built at the first connect and shared by every
    /// connect with these settings (see [`SharedResolver`]); settings
    /// with reloaded roots are a new `PreparedTls` with a config of their
    /// own.
    config: OnceLock<Arc<ClientConfig>>,
}

impl PreparedTls {
    /// These roots and verifier, kept because the changed CA files (now
    /// `ca_stamps`) failed to load with `error`.
    fn keeping_roots(&self, error: &Error, ca_stamps: Vec<Option<Stamp>>) -> Self {
        let why = match error {
            Error::Config(message) => message.clone(),
            other => other.to_string(),
        };
        tracing::warn!("the CA files were not reloaded: {why}; the roots loaded before are kept");
        Self {
            roots_desc: format!(
                "{} (not reloaded: {why}; the roots loaded before are kept)",
                self.roots_loaded
            ),
            ca_stamps,
            ..self.clone()
        }
    }

    /// The settings for one connect to `url`: these, or, with a
    /// [`ClientCertSource`], these with the source's candidates in a
    /// [`CertStore`] as the chooser. The source is bounded by `timeout`.
    pub(crate) async fn for_connect(
        self: &Arc<Self>,
        url: &str,
        timeout: Option<Duration>,
    ) -> Result<Arc<Self>, Error> {
        let Some(cert_source) = &self.cert_source else {
            return Ok(Arc::clone(self));
        };
        let certs = source::fetch(cert_source.as_ref(), url, timeout).await?;
        tracing::debug!(
            candidates = certs.len(),
            "client certificate source answered"
        );
        let store = certs.into_iter().fold(CertStore::new(), CertStore::with);
        // Built before the copy, so that every connect shares it: the
        // chooser is not part of the config (see `SharedResolver`).
        self.shared_config()?;
        let mut prepared = (**self).clone();
        prepared.client_cert = Some(Arc::new(store));
        Ok(Arc::new(prepared))
    }

    /// The rustls config for one connection (TLS from the start for
    /// `ldaps://`, or after StartTLS), the record its handshake fills in,
    /// and the connection's resolver: run the handshake inside
    /// [`scope`](super::resolver::scope) with it. The config is built
    /// once per [`PreparedTls`] and shared; what is the connection's own
    /// (URL, server name, mode, record) is in its resolver.
    /// Read the record after the handshake: `TlsInfo::from_handshake`,
    /// `handshake_error`, `closed_after_handshake`, `callback_panicked`.
    pub(crate) fn client_config(
        &self,
        url: &str,
        server_name: &str,
        mode: TlsMode,
    ) -> Result<ConnectionTls, Error> {
        let record = Arc::new(Mutex::new(HandshakeRecord::new(
            server_name,
            mode,
            &self.roots_desc,
        )));
        let resolver = Arc::new(ClientCertResolver {
            query: self.client_cert.clone(),
            url: url.to_owned(),
            server_name: server_name.to_owned(),
            mode,
            record: Arc::clone(&record),
        });
        let config = self.shared_config()?;
        Ok(ConnectionTls {
            config,
            record,
            resolver,
        })
    }

    /// The rustls config of these settings, built at the first call.
    fn shared_config(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = self.config.get() {
            return Ok(Arc::clone(config));
        }
        let config = Arc::new(self.build_config()?);
        // A race with another connect builds the same config twice; either
        // is kept.
        let _ = self.config.set(Arc::clone(&config));
        Ok(config)
    }

    /// The shared rustls config: the provider, versions and verifier of
    /// these settings, the [`SharedResolver`], no session resumption.
    fn build_config(&self) -> Result<ClientConfig, Error> {
        let mut config = ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&self.versions)
            .map_err(|e| Error::Tls {
                message: format!("cannot configure TLS: {e}"),
                source: Some(e),
            })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&self.verifier) as _)
            .with_client_cert_resolver(Arc::new(SharedResolver));
        // Every handshake is a full one, so the client certificate is asked
        // for (and the query runs) on every connection. Without a session
        // cache rustls also does not file the server's session tickets.
        config.resumption = Resumption::disabled();
        Ok(config)
    }
}

/// What one connection's TLS handshake needs: the shared config, the
/// record the handshake fills in, and the resolver that fills it (run the
/// handshake inside [`scope`](super::resolver::scope) with it).
pub(crate) struct ConnectionTls {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) record: Arc<Mutex<HandshakeRecord>>,
    pub(crate) resolver: Arc<ClientCertResolver>,
}

impl fmt::Debug for PreparedTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedTls")
            .field("verifier", &self.verifier)
            .field("versions", &self.versions)
            .field("client_cert", &self.client_cert.is_some())
            .field("cert_source", &self.cert_source.is_some())
            .field("roots", &self.roots_desc)
            .finish_non_exhaustive()
    }
}

/// The TLS server name for a URL's host: a DNS name or an IP address (an
/// IPv6 address may come in brackets).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(bare.to_owned())
        .map_err(|_| Error::Config(format!("{host:?} is not a valid TLS server name")))
}
