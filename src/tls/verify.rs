//! Server-certificate policy: webpki verification with a host-name check,
//! pinned public keys, then the application's optional [`VerifyServerCert`]
//! hook, which adds checks or, loudly, decides in webpki's place; or,
//! loudly, no verification at all.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::hash::HashAlgorithm;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::{
    CertificateError, DigitallySignedStruct, OtherError, SignatureScheme, SupportedCipherSuite,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::panic;
use super::provider::default_provider;
use crate::error::Error;

/// Checks the server's certificate: the counterpart of Windows LDAP's
/// `VERIFYSERVERCERT`, for pinning or extra policy.
///
/// Set with `ConnConfig::server_cert_hook`, it runs only after the
/// built-in verification (webpki: chain to a trusted root, validity, host
/// name) and any [pinned key](crate::ConnConfig::pin_server_key) accepted
/// the certificate, and can only add checks. Set with
/// `ConnConfig::dangerous_server_cert_override`, it runs whatever webpki
/// said, sees that verdict ([`ServerCertInfo::verdict`]) and the chain, and
/// decides: its `Ok` accepts even a certificate webpki rejected (pinned keys
/// are still enforced first).
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
    /// Made by the key pinning rather than by a hook.
    by_pin: bool,
}

impl ServerCertRejected {
    /// A rejection for this reason.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
            by_pin: false,
        }
    }

    /// Who rejected: `the server certificate hook` or `key pinning`.
    pub(crate) fn origin(&self) -> &'static str {
        if self.by_pin {
            "key pinning"
        } else {
            "the server certificate hook"
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

/// What the built-in verification (webpki) said of the server's
/// certificate, as given to a [`VerifyServerCert`] hook.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub enum ServerCertVerdict<'a> {
    /// It chains to a trusted root, is valid now and names the host.
    Trusted,
    /// webpki rejected it, for this reason (e.g.
    /// `InvalidCertificate(UnknownIssuer)` for a self-signed certificate).
    /// Only an override hook sees this.
    Rejected(&'a rustls::Error),
    /// Not checked: verification is disabled.
    NotChecked,
}

/// The server's certificate, as given to [`VerifyServerCert`].
#[derive(Clone, Copy, Debug)]
pub struct ServerCertInfo<'a> {
    end_entity: &'a CertificateDer<'a>,
    intermediates: &'a [CertificateDer<'a>],
    server_name: &'a str,
    verdict: ServerCertVerdict<'a>,
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
            verdict: ServerCertVerdict::Trusted,
        }
    }

    /// The same information with another verdict (`new` says
    /// [`Trusted`](ServerCertVerdict::Trusted)).
    pub fn with_verdict(mut self, verdict: ServerCertVerdict<'a>) -> Self {
        self.verdict = verdict;
        self
    }

    /// What webpki said of the certificate.
    pub fn verdict(&self) -> ServerCertVerdict<'a> {
        self.verdict
    }

    /// The SHA-256 of the end-entity certificate's SubjectPublicKeyInfo:
    /// what [`ConnConfig::pin_server_key`](crate::ConnConfig::pin_server_key)
    /// compares. `None` if the certificate does not parse.
    pub fn spki_sha256(&self) -> Option<[u8; 32]> {
        spki_sha256(self.end_entity).ok()
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
    /// The operating system's verifier (`rustls-platform-verifier`).
    #[cfg(feature = "platform-verifier")]
    Platform(Arc<rustls_platform_verifier::Verifier>),
}

/// What the application's hook may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookPower {
    /// Add checks to a certificate webpki accepted.
    Checks,
    /// Decide, whatever webpki said.
    Decides,
}

/// The `ServerCertVerifier` given to rustls.
pub(crate) struct ServerVerifier {
    pub(crate) base: BaseVerifier,
    pub(crate) hook: Option<(Arc<dyn VerifyServerCert>, HookPower)>,
    /// SHA-256 of the SubjectPublicKeyInfo of acceptable server keys; empty:
    /// any key.
    pub(crate) pins: Vec<[u8; 32]>,
    pub(crate) algorithms: WebPkiSupportedAlgorithms,
}

impl ServerVerifier {
    /// The pinning check: `Err` when pins are set and the end entity's key
    /// is none of them.
    fn check_pins(&self, end_entity: &CertificateDer<'_>) -> Result<(), ServerCertRejected> {
        if self.pins.is_empty() {
            return Ok(());
        }
        let mut rejected = match spki_sha256(end_entity) {
            Ok(hash) if self.pins.contains(&hash) => return Ok(()),
            Ok(hash) => ServerCertRejected::new(format!(
                "its public key (SPKI SHA-256 {}) is none of the {} pinned key(s)",
                hex(&hash),
                self.pins.len()
            )),
            Err(why) => ServerCertRejected::new(format!(
                "its public key cannot be compared with the pinned keys: {why}"
            )),
        };
        rejected.by_pin = true;
        Err(rejected)
    }
}

fn reject(rejected: ServerCertRejected) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(rejected))))
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
        let base = match &self.base {
            BaseVerifier::WebPki(webpki) => webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(drop),
            BaseVerifier::Dangerous => Ok(()),
            #[cfg(feature = "platform-verifier")]
            BaseVerifier::Platform(platform) => platform
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(drop),
        };
        let hook = match (&self.hook, base) {
            (Some((hook, HookPower::Decides)), base) => Some((hook, base)),
            (_, Err(e)) => return Err(e),
            (Some((hook, HookPower::Checks)), Ok(())) => Some((hook, Ok(()))),
            (None, Ok(())) => None,
        };
        self.check_pins(end_entity).map_err(reject)?;
        let Some((hook, base)) = hook else {
            return Ok(ServerCertVerified::assertion());
        };
        let verdict = match (&base, &self.base) {
            (Err(e), _) => ServerCertVerdict::Rejected(e),
            (Ok(()), BaseVerifier::Dangerous) => ServerCertVerdict::NotChecked,
            (Ok(()), _) => ServerCertVerdict::Trusted,
        };
        let name = server_name_text(server_name);
        let info = ServerCertInfo::new(end_entity, intermediates, &name).with_verdict(verdict);
        let verdict = panic::catch(|| hook.verify_server_cert(&info)).unwrap_or_else(|message| {
            Err(ServerCertRejected::new(format!(
                "the hook panicked: {message}"
            )))
        });
        match verdict {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(rejected) => Err(reject(rejected)),
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
            .field("hook", &self.hook.as_ref().map(|(_, power)| power))
            .field("pins", &self.pins.len())
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

/// The SHA-256 of a certificate's SubjectPublicKeyInfo (DER), the value
/// [`ConnConfig::pin_server_key`](crate::ConnConfig::pin_server_key) takes:
/// the same as `openssl x509 -pubkey -noout | openssl pkey -pubin -outform
/// DER | openssl dgst -sha256`. Hashed with the crate's crypto provider.
pub fn spki_sha256(cert: &CertificateDer<'_>) -> Result<[u8; 32], Error> {
    let (_, parsed) = X509Certificate::from_der(cert)
        .map_err(|e| Error::InvalidInput(format!("the certificate does not parse: {e}")))?;
    sha256(&default_provider(), parsed.public_key().raw)
}

/// SHA-256 with a provider's hash (every provider's TLS 1.3 suites have
/// one).
pub(crate) fn sha256(provider: &CryptoProvider, data: &[u8]) -> Result<[u8; 32], Error> {
    let hash = provider
        .cipher_suites
        .iter()
        .map(|suite| match suite {
            SupportedCipherSuite::Tls13(s) => s.common.hash_provider,
            SupportedCipherSuite::Tls12(s) => s.common.hash_provider,
        })
        .find(|h| h.algorithm() == HashAlgorithm::SHA256)
        .ok_or_else(|| {
            Error::Config("the crypto provider has no SHA-256 to hash a public key".to_owned())
        })?;
    <[u8; 32]>::try_from(hash.hash(data).as_ref())
        .map_err(|_| Error::Config("the provider's SHA-256 is not 32 bytes long".to_owned()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
