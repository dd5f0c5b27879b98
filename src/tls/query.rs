//! The public shape of client-certificate negotiation: what the server asked
//! for ([`CertRequest`], [`TrustedCa`]) and the application's answer
//! ([`QueryClientCert`], [`Choice`]).

use std::fmt;

use rustls::SignatureScheme;

use super::cert::ClientCert;
use super::name::TrustedCa;

/// Chooses the client certificate when the server asks for one: the
/// counterpart of Windows LDAP's `QUERYCLIENTCERT` callback.
///
/// It is called once per connection, during the TLS handshake, and only if
/// the server sends a CertificateRequest. [`CertRequest::trusted_cas`] lists
/// the certificate authorities the server named; an empty list means the
/// server gave no preference (TLS 1.3 makes the list optional, and Active
/// Directory often sends none). Return a certificate, or `None` to continue
/// without one (the server then decides whether an anonymous client may
/// stay).
///
/// Things to know:
///
/// - The call is synchronous and runs inside the handshake: do not block or
///   do slow I/O in it. Load certificates beforehand.
/// - The returned certificate's key must be able to sign with one of
///   [`CertRequest::signature_schemes`]; otherwise no certificate can be sent
///   (rustls would silently send none). The connection checks this, sends
///   nothing, and records why; [`ClientCert::supports`] lets a chooser check
///   first and pick another.
/// - If the callback panics, the panic is caught, nothing is sent, and
///   connecting fails with [`Error::CallbackPanicked`](crate::Error::CallbackPanicked)
///   (unless the program is built with `panic = "abort"`, which nothing can
///   catch).
/// - Sending a certificate only proves the client holds its key; to be
///   authenticated as its subject, do a SASL EXTERNAL bind afterwards.
///
/// Closures with the same signature implement the trait; [`ClientCert`]
/// (always offer that one) and [`CertStore`](super::CertStore) (pick by
/// issuer) are ready-made choosers.
///
/// # Example
///
/// ```no_run
/// use tokio_ldap::{CertRequest, ClientCert, QueryClientCert};
///
/// # fn main() -> Result<(), tokio_ldap::Error> {
/// let alice = ClientCert::from_pem_files("alice.crt", "alice.key")?;
/// let bob = ClientCert::from_pem_files("bob.crt", "bob.key")?;
///
/// // Offer the first identity issued by a CA the server trusts.
/// let choose = move |request: &CertRequest<'_>| {
///     [&alice, &bob]
///         .into_iter()
///         .find(|cert| {
///             cert.supports(request.signature_schemes())
///                 && request.trusted_cas().iter().any(|ca| cert.issued_by(ca))
///         })
///         .cloned()
/// };
///
/// fn takes(_query: impl QueryClientCert + 'static) {}
/// takes(choose); // e.g. ConnConfig::new().client_cert_query(choose)
/// # Ok(())
/// # }
/// ```
pub trait QueryClientCert: Send + Sync {
    /// The server asked for a certificate. Return one, or `None` to stay
    /// anonymous.
    fn query_client_cert(&self, request: &CertRequest<'_>) -> Option<ClientCert>;

    /// Like [`query_client_cert`](Self::query_client_cert), and also says
    /// why. The connection calls this one and keeps the reason for its
    /// diagnostics ([`TlsInfo::client_cert_reason`](super::TlsInfo::client_cert_reason)
    /// and the error when the server rejects the connection). The default
    /// calls `query_client_cert` and gives a generic reason.
    fn choose_client_cert(&self, request: &CertRequest<'_>) -> Choice {
        match self.query_client_cert(request) {
            Some(cert) => {
                let reason = format!("the callback chose {}", cert.subject());
                Choice::new(Some(cert), reason)
            }
            None => Choice::new(None, "the callback declined"),
        }
    }
}

impl<F> QueryClientCert for F
where
    F: Fn(&CertRequest<'_>) -> Option<ClientCert> + Send + Sync,
{
    fn query_client_cert(&self, request: &CertRequest<'_>) -> Option<ClientCert> {
        self(request)
    }
}

/// A chooser's answer with the reason for it, e.g. `chose alice: issued by
/// CN=Test CA-A,O=Example Test,DC=example,DC=com, which the server trusts`.
#[derive(Clone, Debug)]
pub struct Choice {
    cert: Option<ClientCert>,
    reason: String,
}

impl Choice {
    /// A choice of `cert` (or of none) for the given reason.
    pub fn new(cert: Option<ClientCert>, reason: impl Into<String>) -> Self {
        Self {
            cert,
            reason: reason.into(),
        }
    }

    /// The certificate chosen, if any.
    pub fn cert(&self) -> Option<&ClientCert> {
        self.cert.as_ref()
    }

    /// Why this certificate, or why none.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The certificate chosen, if any, dropping the reason.
    pub fn into_cert(self) -> Option<ClientCert> {
        self.cert
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// How TLS was started on the connection.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// TLS from the first byte (`ldaps://`).
    Ldaps,
    /// TLS started by the StartTLS extended operation on `ldap://`.
    StartTls,
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ldaps => "ldaps",
            Self::StartTls => "StartTLS",
        })
    }
}

/// What the server asked for when it requested a client certificate.
///
/// Passed to [`QueryClientCert::query_client_cert`]. The fields are private
/// so that more can be added later without breaking choosers.
#[derive(Clone, Copy, Debug)]
pub struct CertRequest<'a> {
    trusted_cas: &'a [TrustedCa],
    signature_schemes: &'a [SignatureScheme],
    server_name: &'a str,
    url: &'a str,
    mode: TlsMode,
}

impl<'a> CertRequest<'a> {
    /// A request naming these CAs and signature schemes, for testing a
    /// chooser; the server name and URL are empty and the mode is
    /// [`TlsMode::Ldaps`] until set with the `with_*` methods.
    pub fn new(trusted_cas: &'a [TrustedCa], signature_schemes: &'a [SignatureScheme]) -> Self {
        Self {
            trusted_cas,
            signature_schemes,
            server_name: "",
            url: "",
            mode: TlsMode::Ldaps,
        }
    }

    /// The same request for another server name.
    pub fn with_server_name(mut self, server_name: &'a str) -> Self {
        self.server_name = server_name;
        self
    }

    /// The same request for another URL.
    pub fn with_url(mut self, url: &'a str) -> Self {
        self.url = url;
        self
    }

    /// The same request for another [`TlsMode`].
    pub fn with_mode(mut self, mode: TlsMode) -> Self {
        self.mode = mode;
        self
    }

    /// The certificate authorities the server named, in the order it sent
    /// them. Empty when it named none, which means no preference.
    ///
    /// The names come from the server unvalidated.
    pub fn trusted_cas(&self) -> &'a [TrustedCa] {
        self.trusted_cas
    }

    /// The signature schemes the server accepts for the client's
    /// CertificateVerify. The key of the returned certificate must support
    /// one of them ([`ClientCert::supports`]).
    pub fn signature_schemes(&self) -> &'a [SignatureScheme] {
        self.signature_schemes
    }

    /// The host name (or IP address) the connection was opened to.
    pub fn server_name(&self) -> &'a str {
        self.server_name
    }

    /// The URL the connection was opened with.
    pub fn url(&self) -> &'a str {
        self.url
    }

    /// Whether this is `ldaps://` or StartTLS.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }
}

/// A single certificate always offers itself, unless its key cannot sign
/// with any scheme the server accepts.
impl QueryClientCert for ClientCert {
    fn query_client_cert(&self, request: &CertRequest<'_>) -> Option<ClientCert> {
        self.choose_client_cert(request).into_cert()
    }

    fn choose_client_cert(&self, request: &CertRequest<'_>) -> Choice {
        let schemes = request.signature_schemes();
        if self.supports(schemes) {
            Choice::new(
                Some(self.clone()),
                format!("the configured certificate {}", self.subject()),
            )
        } else {
            Choice::new(
                None,
                format!(
                    "skipped {}: {}",
                    self.label(),
                    self.unsupported_reason(schemes)
                ),
            )
        }
    }
}
