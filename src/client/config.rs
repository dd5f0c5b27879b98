//! [`ConnConfig`]: how to connect.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;

use crate::conn::Settings;
use crate::driver::DEFAULT_WRITE_BUFFER;
use crate::tls::{
    ClientCert, ClientCertSource, QueryClientCert, TlsSettings, TlsVersion, VerifyServerCert,
};

/// How long one operation may take: the connection's default, no limit,
/// or a duration of its own (see [`OpOptions`](crate::OpOptions)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TimeoutSetting {
    /// [`ConnConfig::operation_timeout`].
    #[default]
    Default,
    /// No timeout, whatever the connection's default.
    Never,
    /// This long.
    After(Duration),
}

impl TimeoutSetting {
    /// The timeout that applies, given the connection's default.
    pub(crate) fn resolve(self, default: Option<Duration>) -> Option<Duration> {
        match self {
            Self::Default => default,
            Self::Never => None,
            Self::After(t) => Some(t),
        }
    }
}

/// Whether referrals are followed, and how far: set with
/// [`ConnConfig::follow_referrals`]. Off unless set.
///
/// ```
/// use tokio_ldap::{ConnConfig, ReferralPolicy};
///
/// let config = ConnConfig::new().follow_referrals(ReferralPolicy::new().max_hops(3));
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferralPolicy {
    max_hops: u8,
}

impl ReferralPolicy {
    /// How many referrals in a row are followed unless set: 5.
    pub const DEFAULT_MAX_HOPS: u8 = 5;

    /// Follows up to [`DEFAULT_MAX_HOPS`](Self::DEFAULT_MAX_HOPS)
    /// referrals in a row.
    pub fn new() -> Self {
        Self {
            max_hops: Self::DEFAULT_MAX_HOPS,
        }
    }

    /// Follows up to `n` referrals in a row (a referral met on a referred
    /// server is the second hop, and so on); the one after fails with
    /// [`Error::Referral`](crate::Error::Referral).
    pub fn max_hops(mut self, n: u8) -> Self {
        self.max_hops = n;
        self
    }

    /// The hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.max_hops
    }
}

impl Default for ReferralPolicy {
    fn default() -> Self {
        Self::new()
    }
}

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
    pub(super) tls: TlsSettings,
    pub(super) starttls: bool,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) op_timeout: Option<Duration>,
    pub(super) allow_insecure_password: bool,
    pub(super) settings: Settings,
    pub(super) write_buffer: usize,
    pub(super) referrals: Option<ReferralPolicy>,
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
            .field("max_write_buffer", &self.write_buffer)
            .field("referrals", &self.referrals)
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
            write_buffer: DEFAULT_WRITE_BUFFER,
            referrals: None,
        }
    }

    /// Follows referrals (RFC 4511 §4.1.10) for searches and updates, as
    /// the [crate docs](crate#referrals) describe: the referred server is
    /// connected to with this config (so TLS and the client-certificate
    /// negotiation run again there) and bound the way the connection was.
    /// Off by default: a referral then reaches the caller, as an
    /// [`Error::Ldap`](crate::Error::Ldap) with code `referral` and its
    /// URLs, or as a [`SearchItem::Reference`](crate::SearchItem::Reference).
    ///
    /// With it on, a connection bound with [`LdapConn::bind_simple`](crate::LdapConn::bind_simple)
    /// keeps the password (as a [`Password`](crate::proto::Password):
    /// redacted from `Debug`, wiped on drop) for as long as it lives, to
    /// bind on referred servers.
    pub fn follow_referrals(mut self, policy: ReferralPolicy) -> Self {
        self.referrals = Some(policy);
        self
    }

    /// Trusts the CA certificates in this PEM file. May be repeated.
    ///
    /// The file is read by the first
    /// [`LdapConn::connect`](crate::LdapConn::connect) that needs TLS (an
    /// unreadable file makes it fail, naming the file); the roots are then
    /// kept by this config and by its clones. Each later connect only looks
    /// at the file (length, modification time and, on Unix, inode) and
    /// reads it again when it changed, so a replaced CA file is picked up
    /// without a new `ConnConfig`. If the changed file does not load, the
    /// roots read before stay in use until it changes again; a `tracing`
    /// warning and [`TlsInfo::trusted_roots`](crate::tls::TlsInfo::trusted_roots)
    /// say which file and why.
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

    /// Verifies the server with the operating system's trust store and
    /// policy (`rustls-platform-verifier`) instead of webpki with the
    /// configured roots: on Windows and macOS the OS decides (its roots,
    /// its revocation checks, enterprise policy); on Linux and other Unix
    /// systems it is webpki with the system's roots. CA files and
    /// [`root_certificate`](Self::root_certificate)s are trusted in
    /// addition. Pins and hooks apply as with webpki. Needs the
    /// `platform-verifier` feature.
    #[cfg(feature = "platform-verifier")]
    pub fn platform_verifier(mut self, on: bool) -> Self {
        self.tls.set_platform_verifier(on);
        self
    }

    /// Answers the server's request for a client certificate with this
    /// callback, which sees the CAs the server trusts (see
    /// [`QueryClientCert`]). A [`CertStore`](crate::tls::CertStore) made by
    /// [`CertStore::from_dir`](crate::tls::CertStore::from_dir) is
    /// refreshed before each connect: rotated files are used by the next
    /// connection.
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

    /// Fetches the candidate client certificates with this async source
    /// before each connect (bounded by the
    /// [connect timeout](Self::connect_timeout)); during the handshake a
    /// [`CertStore`](crate::tls::CertStore) of them picks the one to send
    /// from the CAs the server names. Replaces
    /// [`client_cert_query`](Self::client_cert_query) and
    /// [`client_cert`](Self::client_cert) while set. See
    /// [`ClientCertSource`].
    pub fn client_cert_source(mut self, s: impl ClientCertSource + 'static) -> Self {
        self.tls.set_client_cert_source(s);
        self
    }

    /// Runs StartTLS during [`LdapConn::connect`](crate::LdapConn::connect)
    /// on `ldap://` URLs.
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
    /// [`OpOptions::timeout`](crate::OpOptions::timeout)). On expiry the
    /// operation fails with [`Error::Timeout`](crate::Error::Timeout) and an
    /// AbandonRequest is sent.
    pub fn operation_timeout(mut self, t: Option<Duration>) -> Self {
        self.op_timeout = t;
        self
    }

    /// Allows [`LdapConn::bind_simple`](crate::LdapConn::bind_simple) to
    /// send a password over an unencrypted `ldap://` connection. Off by
    /// default.
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

    /// How many bytes of requests may wait to be written to the socket
    /// (default 4 MiB; at most 4 GiB): a server that stops reading cannot
    /// make the client buffer without limit.
    ///
    /// A request that does not fit waits before it is queued, for at most
    /// its timeout ([`Error::Timeout`](crate::Error::Timeout)), taking no
    /// memory of the connection meanwhile; one that times out or is
    /// dropped while waiting is never sent. A request larger than the
    /// limit waits until nothing else is buffered, then goes alone. What
    /// was handed to the socket stays until written or until the
    /// connection closes. [`LdapConn::write_backlog`](crate::LdapConn::write_backlog)
    /// tells how much is waiting.
    pub fn max_write_buffer(mut self, bytes: usize) -> Self {
        self.write_buffer = bytes;
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

    /// **Dangerous**: lets `hook` decide on the server's certificate in
    /// webpki's place. It runs on every handshake, sees webpki's verdict
    /// ([`ServerCertInfo::verdict`](crate::tls::ServerCertInfo::verdict):
    /// trusted, or rejected and why) and the chain, and its `Ok` accepts
    /// the certificate **even if webpki rejected it** (an unknown issuer, a
    /// wrong host name, an expired certificate); its `Err`
    /// ([`ServerCertRejected`](crate::tls::ServerCertRejected)) rejects even
    /// a valid one. Pinned keys ([`pin_server_key`](Self::pin_server_key))
    /// are enforced before it runs. Replaces
    /// [`server_cert_hook`](Self::server_cert_hook) (one hook per config).
    ///
    /// ```
    /// use tokio_ldap::tls::{ServerCertInfo, ServerCertRejected, ServerCertVerdict};
    /// use tokio_ldap::ConnConfig;
    ///
    /// // Accept a self-signed server, but only with this key.
    /// let pin = [0u8; 32]; // the SHA-256 of its SubjectPublicKeyInfo
    /// let config = ConnConfig::new()
    ///     .pin_server_key(pin)
    ///     .dangerous_server_cert_override(
    ///         |info: &ServerCertInfo<'_>| -> Result<(), ServerCertRejected> {
    ///             match info.verdict() {
    ///                 ServerCertVerdict::Trusted => Ok(()),
    ///                 // The pin was checked before: the key is the expected one.
    ///                 ServerCertVerdict::Rejected(_) => Ok(()),
    ///                 _ => Err(ServerCertRejected::new("verification is required")),
    ///             }
    ///         },
    ///     );
    /// # let _ = config;
    /// ```
    pub fn dangerous_server_cert_override(mut self, hook: impl VerifyServerCert + 'static) -> Self {
        self.tls.set_server_cert_override(hook);
        self
    }

    /// Accepts only a server whose certificate holds this public key: the
    /// SHA-256 of its DER SubjectPublicKeyInfo (see
    /// [`tls::spki_sha256`](crate::tls::spki_sha256)). May be called
    /// several times: any of the pinned keys is accepted, so a new key can
    /// be pinned before the server rotates to it. Checked after webpki (the
    /// certificate must still be trusted, unless an override hook accepts
    /// it), before any hook; a mismatch fails the connect with an
    /// [`Error::Tls`](crate::Error::Tls) whose message reads `... rejected
    /// by key pinning: its public key (SPKI SHA-256 ...) is none of the N
    /// pinned key(s)`.
    pub fn pin_server_key(mut self, spki_sha256: [u8; 32]) -> Self {
        self.tls.add_pin(spki_sha256);
        self
    }

    /// Builds every TLS object of the connection with this crypto provider
    /// (e.g. `rustls::crypto::aws_lc_rs::default_provider()`, or a FIPS
    /// one), instead of the one of the enabled Cargo feature (`ring` by
    /// default, `aws-lc-rs`; ring if both). The process-wide default
    /// provider of rustls is never installed nor read.
    pub fn crypto_provider(mut self, p: Arc<CryptoProvider>) -> Self {
        self.tls.set_provider(p);
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
