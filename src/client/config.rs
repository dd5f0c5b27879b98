//! [`ConnConfig`]: how to connect.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::conn::Settings;
use crate::driver::DEFAULT_WRITE_BUFFER;
use crate::tls::{ClientCert, QueryClientCert, TlsSettings, TlsVersion, VerifyServerCert};

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
        }
    }

    /// Trusts the CA certificates in this PEM file. May be repeated.
    ///
    /// The file is read by the first
    /// [`LdapConn::connect`](crate::LdapConn::connect) that needs TLS (an
    /// unreadable file makes it fail, naming the file); the roots are then
    /// kept by this config and by its clones, so later connects do not read
    /// it again. To pick up a replaced CA file, build a new `ConnConfig`.
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

    /// **Dangerous**: accepts any server certificate for any host name,
    /// so anybody on the path can impersonate the server and read
    /// everything, credentials included. For tests against throwaway
    /// servers only. Handshake signatures are still checked.
    pub fn dangerous_disable_server_verification(mut self) -> Self {
        self.tls.set_dangerous_disable_server_verification(true);
        self
    }
}
