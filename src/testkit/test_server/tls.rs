//! The TLS side of a [`TestServer`](super::TestServer): who must present a
//! certificate, which CA names the CertificateRequest carries, how an
//! untrusted certificate is turned away, and which TLS versions are on.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::testkit::pki::Entity;
use crate::testkit::Error;

/// Whether the server asks for a client certificate, and whether it
/// insists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// No CertificateRequest: the client is never asked.
    #[default]
    None,
    /// A CertificateRequest; a client may send none and stay anonymous,
    /// but a certificate it sends must be trusted.
    Optional,
    /// A CertificateRequest; a trusted certificate is required.
    Required,
}

/// The CA names the CertificateRequest carries (`certificate_authorities`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CaNames {
    /// The subjects of the trusted CAs, in the order given to
    /// [`TestServerBuilder::trust`](super::TestServerBuilder::trust).
    #[default]
    Trusted,
    /// These DER `Name`s, in this order, whatever the server trusts
    /// (names it does not trust, or an empty list, are allowed).
    Explicit(Vec<Vec<u8>>),
    /// None. On the wire the same as `Explicit(vec![])`: TLS 1.3 leaves
    /// the extension out, TLS 1.2 sends an empty list; either way a
    /// client sees an empty list.
    None,
}

/// How the server turns away a certificate it does not trust (or a
/// missing one when [`ClientAuth::Required`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rejection {
    /// A TLS alert during the handshake (`unknown_ca`,
    /// `certificate_required`, ...), as rustls and most servers do.
    #[default]
    Alert,
    /// The handshake completes, then the server closes the connection
    /// without an alert: what slapd and Active Directory do under TLS 1.3,
    /// where the client has already sent its Finished and learns of the
    /// rejection only on its first read.
    CloseAfterHandshake,
}

/// The TLS versions the server offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3.
    #[default]
    Both,
    /// TLS 1.2 only.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

impl TlsVersions {
    fn list(self) -> &'static [&'static SupportedProtocolVersion] {
        static TLS12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
        static TLS13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        match self {
            Self::Both => rustls::DEFAULT_VERSIONS,
            Self::Tls12 => &TLS12,
            Self::Tls13 => &TLS13,
        }
    }
}

/// The TLS settings, resolved to certificates.
pub(crate) struct TlsSetup {
    pub(crate) server: Entity,
    pub(crate) roots: Vec<Entity>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) ca_names: CaNames,
    pub(crate) rejection: Rejection,
    pub(crate) versions: TlsVersions,
}

/// The server config, and the verifier to run after the handshake when
/// rejections close the connection (`None`: the handshake decided).
pub(crate) type Built = (Arc<ServerConfig>, Option<Arc<dyn ClientCertVerifier>>);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsSetup {
    pub(crate) fn build(&self) -> Result<Built, Error> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(self.versions.list())
            .map_err(|e| Error::with("TLS versions", e))?;
        let (builder, later) = match self.client_auth {
            ClientAuth::None => (builder.with_no_client_auth(), None),
            ClientAuth::Optional | ClientAuth::Required => {
                let mut store = RootCertStore::empty();
                for root in &self.roots {
                    store
                        .add(root.cert())
                        .map_err(|e| Error::with(format!("trusted CA {}", root.name), e))?;
                }
                if store.is_empty() {
                    return Err(Error::new(
                        "client authentication needs at least one trusted CA (TestServerBuilder::trust)",
                    ));
                }
                let webpki =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider())
                        .allow_unauthenticated()
                        .build()
                        .map_err(|e| Error::with("client certificate verifier", e))?;
                let hints = match &self.ca_names {
                    CaNames::Trusted => self
                        .roots
                        .iter()
                        .map(|r| DistinguishedName::from(r.subject_der.clone()))
                        .collect(),
                    CaNames::Explicit(names) => {
                        names.iter().cloned().map(DistinguishedName::from).collect()
                    }
                    CaNames::None => Vec::new(),
                };
                let close = self.rejection == Rejection::CloseAfterHandshake;
                let verifier = Verifier {
                    inner: Arc::clone(&webpki),
                    hints,
                    mandatory: self.client_auth == ClientAuth::Required && !close,
                    defer: close,
                };
                (
                    builder.with_client_cert_verifier(Arc::new(verifier)),
                    close.then_some(webpki),
                )
            }
        };
        let config = builder
            .with_single_cert(self.server.chain.clone(), self.server.key())
            .map_err(|e| Error::with(format!("server certificate {}", self.server.name), e))?;
        Ok((Arc::new(config), later))
    }
}

/// rustls' WebPKI verifier with the test's CA names, and, when rejections
/// close the connection, the verification deferred to after the
/// handshake.
#[derive(Debug)]
struct Verifier {
    inner: Arc<dyn ClientCertVerifier>,
    hints: Vec<DistinguishedName>,
    mandatory: bool,
    defer: bool,
}

impl ClientCertVerifier for Verifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self.defer {
            return Ok(ClientCertVerified::assertion());
        }
        self.inner
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// After a handshake whose verification was deferred: why the client's
/// certificate (or its absence) is refused, or `None` when it passes.
pub(crate) fn deferred_rejection(
    verifier: &dyn ClientCertVerifier,
    required: bool,
    chain: Option<&[CertificateDer<'static>]>,
) -> Option<String> {
    match chain {
        None | Some([]) => required.then(|| "no client certificate".to_owned()),
        Some([leaf, intermediates @ ..]) => verifier
            .verify_client_cert(leaf, intermediates, UnixTime::now())
            .err()
            .map(|e| format!("client certificate refused: {e}")),
    }
}
