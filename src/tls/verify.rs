//! Server-certificate policy: webpki verification with a host-name check,
//! then the application's optional [`VerifyServerCert`] hook; or, loudly,
//! no verification at all.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::panic;
use crate::error::Error;

/// Checks the server's certificate after the built-in verification
/// succeeded: the counterpart of Windows LDAP's `VERIFYSERVERCERT`, for
/// pinning or extra policy.
///
/// It runs during the handshake, synchronously: do not block in it. Return
/// `Err` with a [`ServerCertRejected`] to abort the handshake; the connect
/// error ([`Error::Tls`]) then contains its message (and those of its
/// sources), and [`ServerCertRejected::find_in`] gets it back from that
/// error. A panic in the hook rejects the certificate too.
///
/// Closures with the same signature implement the trait, and their error may
/// be anything that converts into a [`ServerCertRejected`]: a `String` or a
/// `&str` as well. A closure whose error type Rust cannot infer (one that
/// never returns `Err`, or one that uses `?`) names it, e.g.
/// `-> Result<(), ServerCertRejected>`.
///
/// ```
/// use tokio_ldap::tls::{ServerCertInfo, ServerCertRejected, VerifyServerCert};
///
/// let pinned: Vec<u8> = vec![/* DER of the expected end-entity certificate */];
/// let pin = move |info: &ServerCertInfo<'_>| {
///     if info.end_entity().as_ref() == pinned.as_slice() {
///         Ok(())
///     } else {
///         Err(format!("{} presented an unexpected certificate", info.server_name()))
///     }
/// };
/// fn takes(_hook: impl VerifyServerCert + 'static) {}
/// takes(pin);
///
/// // The typed form, with the error behind the rejection.
/// let policy = |info: &ServerCertInfo<'_>| -> Result<(), ServerCertRejected> {
///     let bytes = std::fs::read("/etc/ldap/pin.der").map_err(|e| {
///         ServerCertRejected::new("cannot read the pinned certificate").with_source(e)
///     })?;
///     if info.end_entity().as_ref() == bytes.as_slice() {
///         Ok(())
///     } else {
///         Err(ServerCertRejected::new("unexpected certificate"))
///     }
/// };
/// takes(policy);
/// ```
pub trait VerifyServerCert: Send + Sync {
    /// Accept (`Ok`) or reject (`Err`, with the reason) the server's
    /// certificate.
    fn verify_server_cert(&self, info: &ServerCertInfo<'_>) -> Result<(), ServerCertRejected>;
}

impl<F, E> VerifyServerCert for F
where
    F: Fn(&ServerCertInfo<'_>) -> Result<(), E> + Send + Sync,
    E: Into<ServerCertRejected>,
{
    fn verify_server_cert(&self, info: &ServerCertInfo<'_>) -> Result<(), ServerCertRejected> {
        self(info).map_err(Into::into)
    }
}

/// Why a [`VerifyServerCert`] hook rejected the server's certificate: a
/// message, and optionally the error behind it.
///
/// Made with [`new`](Self::new) or from a `String` or `&str`. It travels
/// inside the handshake's error: the connect error is [`Error::Tls`], whose
/// message reads `the certificate of HOST was rejected: rejected by the
/// server certificate hook: MESSAGE` (followed by `: SOURCE` for each
/// source), and [`find_in`](Self::find_in) returns this value from it.
#[derive(Clone, Debug)]
pub struct ServerCertRejected {
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl ServerCertRejected {
    /// A rejection for this reason.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// The same rejection, caused by `source` (an error, or a message).
    pub fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    /// The reason given by the hook.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hook's rejection that made connecting fail with `err`, if it did.
    pub fn find_in(err: &Error) -> Option<&Self> {
        match err {
            Error::Tls {
                source: Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))),
                ..
            } => other.0.downcast_ref::<Self>(),
            _ => None,
        }
    }

    /// The message followed by that of each source, `: `-separated: the
    /// chain stops at the rustls error that carries this value, so the
    /// connect error's message says it all.
    pub(crate) fn with_sources(&self) -> String {
        let mut text = self.message.clone();
        let mut next = StdError::source(self);
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }
}

impl fmt::Display for ServerCertRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ServerCertRejected {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

impl From<String> for ServerCertRejected {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ServerCertRejected {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

/// The server's certificate, as given to [`VerifyServerCert`].
#[derive(Clone, Copy, Debug)]
pub struct ServerCertInfo<'a> {
    end_entity: &'a CertificateDer<'a>,
    intermediates: &'a [CertificateDer<'a>],
    server_name: &'a str,
}

impl<'a> ServerCertInfo<'a> {
    /// The information for a certificate chain presented under a server
    /// name, e.g. to test a hook.
    pub fn new(
        end_entity: &'a CertificateDer<'a>,
        intermediates: &'a [CertificateDer<'a>],
        server_name: &'a str,
    ) -> Self {
        Self {
            end_entity,
            intermediates,
            server_name,
        }
    }

    /// The server's own certificate (DER).
    pub fn end_entity(&self) -> &'a CertificateDer<'a> {
        self.end_entity
    }

    /// The other certificates the server sent, in its order (DER).
    pub fn intermediates(&self) -> &'a [CertificateDer<'a>] {
        self.intermediates
    }

    /// The host name or IP address the client connected to.
    pub fn server_name(&self) -> &'a str {
        self.server_name
    }
}

/// How the chain itself is checked before the hook runs.
#[derive(Clone, Debug)]
pub(crate) enum BaseVerifier {
    /// webpki: chain to the trusted roots, validity, host name.
    WebPki(Arc<WebPkiServerVerifier>),
    /// Nothing but the handshake signatures: `dangerous_disable_server_verification`.
    Dangerous,
}

/// The `ServerCertVerifier` given to rustls.
pub(crate) struct ServerVerifier {
    pub(crate) base: BaseVerifier,
    pub(crate) hook: Option<Arc<dyn VerifyServerCert>>,
    pub(crate) algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let BaseVerifier::WebPki(webpki) = &self.base {
            webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            )?;
        }
        let Some(hook) = &self.hook else {
            return Ok(ServerCertVerified::assertion());
        };
        let name = server_name_text(server_name);
        let info = ServerCertInfo::new(end_entity, intermediates, &name);
        let verdict = panic::catch(|| hook.verify_server_cert(&info)).unwrap_or_else(|message| {
            Err(ServerCertRejected::new(format!(
                "the hook panicked: {message}"
            )))
        });
        match verdict {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(rejected) => Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(rejected)),
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl fmt::Debug for ServerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerVerifier")
            .field("base", &self.base)
            .field("hook", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}
