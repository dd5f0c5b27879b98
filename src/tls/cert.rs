//! [`ClientCert`]: a certificate chain with its private key, ready to send.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls::{InconsistentKeys, SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::name::{hex_string, rfc4514_from_der, TrustedCa};
use super::pem;
use super::provider::ring_provider;
use crate::error::Error;

/// A client certificate chain (end-entity first, then any intermediates)
/// and its private key.
///
/// Cloning is cheap (the data is shared). The key is loaded once, when the
/// value is made, with the ring crypto provider; supported keys are RSA,
/// ECDSA (P-256, P-384) and Ed25519 in PKCS#8, PKCS#1 or SEC1 form.
///
/// The whole chain is sent to the server: a certificate issued by an
/// intermediate CA must come with that intermediate, since servers usually
/// name (and hold) only root CAs.
///
/// As a [`QueryClientCert`](crate::tls::QueryClientCert) it always offers itself, unless its key cannot
/// sign with any scheme the server accepts.
#[derive(Clone)]
pub struct ClientCert {
    inner: Arc<Inner>,
}

struct Inner {
    key: Arc<CertifiedKey>,
    subject: String,
    issuer: String,
    common_name: Option<String>,
    /// The DER issuer `Name` of every certificate in the chain, in order.
    issuers: Vec<Vec<u8>>,
}

impl ClientCert {
    /// Loads the chain from one PEM file (every certificate in it, in order)
    /// and the key from another (the first private key in it; the two may be
    /// the same file).
    ///
    /// Errors name the file and what was wrong, e.g. `no certificate found
    /// in alice.crt` or `the private key in alice.key does not match the
    /// certificate in alice.crt`.
    pub fn from_pem_files(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Result<Self, Error> {
        let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
        let cert_name = cert_path.display().to_string();
        let key_name = key_path.display().to_string();
        let chain =
            pem::certs_from_pem(&pem::read_file(cert_path, "certificate file")?, &cert_name)?;
        let key = pem::key_from_pem(&pem::read_file(key_path, "key file")?, &key_name)?;
        Self::build(chain, key, &cert_name, &key_name)
    }

    /// Like [`from_pem_files`](Self::from_pem_files), from PEM text in memory.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let (cert_name, key_name) = ("the certificate PEM", "the key PEM");
        let chain = pem::certs_from_pem(cert_pem, cert_name)?;
        let key = pem::key_from_pem(key_pem, key_name)?;
        Self::build(chain, key, cert_name, key_name)
    }

    /// From DER: the chain, end-entity first, and its private key.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        Self::build(chain, key, "the certificate chain", "the private key")
    }

    fn build(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        cert_name: &str,
        key_name: &str,
    ) -> Result<Self, Error> {
        let mut issuers = Vec::with_capacity(chain.len());
        let mut leaf = None;
        for (i, der) in chain.iter().enumerate() {
            let (_, cert) = X509Certificate::from_der(der).map_err(|e| {
                Error::Config(format!(
                    "certificate {} in {cert_name} does not parse: {e}",
                    i + 1
                ))
            })?;
            issuers.push(cert.issuer().as_raw().to_vec());
            if i == 0 {
                let subject = cert.subject();
                leaf = Some((
                    display_name(subject.as_raw()),
                    display_name(cert.issuer().as_raw()),
                    subject
                        .iter_common_name()
                        .next()
                        .and_then(|cn| cn.as_str().ok())
                        .map(str::to_owned),
                ));
            }
        }
        let Some((subject, issuer, common_name)) = leaf else {
            return Err(Error::Config(format!(
                "no certificate found in {cert_name}"
            )));
        };

        let signing_key = ring_provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| Error::Config(format!("cannot use the private key in {key_name}: {e}")))?;
        let key = CertifiedKey::new(chain, signing_key);
        match key.keys_match() {
            Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
            Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
                return Err(Error::Config(format!(
                    "the private key in {key_name} does not match the certificate in {cert_name}"
                )));
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot check the private key in {key_name} against {cert_name}: {e}"
                )));
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                key: Arc::new(key),
                subject,
                issuer,
                common_name,
                issuers,
            }),
        })
    }

    /// Whether any certificate of the chain was issued by `ca` (its issuer
    /// `Name` equals the CA's, byte for byte). So a certificate issued by an
    /// intermediate matches the root the server names, provided the chain
    /// holds the intermediate.
    pub fn issued_by(&self, ca: &TrustedCa) -> bool {
        self.inner.issuers.iter().any(|i| i.as_slice() == ca.der())
    }

    /// Whether the end-entity certificate itself was issued by `ca`.
    pub(crate) fn leaf_issued_by(&self, ca: &TrustedCa) -> bool {
        self.inner
            .issuers
            .first()
            .is_some_and(|i| i.as_slice() == ca.der())
    }

    /// The end-entity certificate's subject, in RFC 4514 form.
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The end-entity certificate's issuer, in RFC 4514 form.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The first common name (CN) of the subject, if there is one.
    pub fn common_name(&self) -> Option<&str> {
        self.inner.common_name.as_deref()
    }

    /// The chain as it is sent, end-entity first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.inner.key.cert
    }

    /// What kind of key this is (RSA, ECDSA, Ed25519).
    pub fn key_algorithm(&self) -> SignatureAlgorithm {
        self.inner.key.key.algorithm()
    }

    /// Whether the key can sign with one of `schemes`; see
    /// [`CertRequest::signature_schemes`](crate::tls::CertRequest::signature_schemes). A certificate that cannot is not
    /// sent.
    pub fn supports(&self, schemes: &[SignatureScheme]) -> bool {
        self.inner.key.key.choose_scheme(schemes).is_some()
    }

    /// A short name for messages: the CN, or else the whole subject.
    pub(crate) fn label(&self) -> &str {
        self.common_name().unwrap_or_else(|| self.subject())
    }

    /// Why this certificate cannot be used with `schemes`.
    pub(crate) fn unsupported_reason(&self, schemes: &[SignatureScheme]) -> String {
        format!(
            "its {:?} key cannot sign with any scheme the server accepts ({})",
            self.key_algorithm(),
            scheme_list(schemes)
        )
    }

    /// The rustls form, made once.
    pub(crate) fn certified_key(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.inner.key)
    }
}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("subject", &self.inner.subject)
            .field("issuer", &self.inner.issuer)
            .field("chain_len", &self.inner.issuers.len())
            .finish_non_exhaustive()
    }
}

fn display_name(der: &[u8]) -> String {
    rfc4514_from_der(der).unwrap_or_else(|| hex_string(der))
}

/// `RSA_PSS_SHA256, ECDSA_NISTP256_SHA256`.
pub(crate) fn scheme_list(schemes: &[SignatureScheme]) -> String {
    schemes
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
