//! Server-certificate policy: webpki verification with a host-name check,
//! then the application's optional [`VerifyServerCert`] hook; or, loudly,
//! no verification at all.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::panic;

/// Checks the server's certificate after the built-in verification
/// succeeded: the counterpart of Windows LDAP's `VERIFYSERVERCERT`, for
/// pinning or extra policy.
///
/// It runs during the handshake, synchronously: do not block in it. Return
/// `Err` with a reason to abort the handshake; the connect error then
/// contains that reason. A panic in the hook rejects the certificate too.
/// Closures with the same signature implement the trait.
///
/// ```
/// use tokio_ldap::tls::{ServerCertInfo, VerifyServerCert};
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
/// ```
pub trait VerifyServerCert: Send + Sync {
    /// Accept (`Ok`) or reject (`Err(reason)`) the server's certificate.
    fn verify_server_cert(&self, info: &ServerCertInfo<'_>) -> Result<(), String>;
}

impl<F> VerifyServerCert for F
where
    F: Fn(&ServerCertInfo<'_>) -> Result<(), String> + Send + Sync,
{
    fn verify_server_cert(&self, info: &ServerCertInfo<'_>) -> Result<(), String> {
        self(info)
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

/// The hook's reason, carried inside the rustls error.
#[derive(Debug)]
pub(crate) struct HookRejected(pub(crate) String);

impl fmt::Display for HookRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rejected by the server certificate hook: {}", self.0)
    }
}

impl std::error::Error for HookRejected {}

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
        let verdict = panic::catch(|| hook.verify_server_cert(&info))
            .unwrap_or_else(|message| Err(format!("the hook panicked: {message}")));
        match verdict {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(reason) => Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(HookRejected(reason))),
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
