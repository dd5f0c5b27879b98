//! [`ClientCert`]: a certificate chain with its private key, ready to send.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::sign::{CertifiedKey, SigningKey};
use rustls::{InconsistentKeys, SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::name::{hex_string, rfc4514_from_der, TrustedCa};
use super::pem;
use super::provider::default_provider;
use super::signer::ExternalKey;
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
/// The key need not be in memory: [`from_signing_key`](Self::from_signing_key)
/// takes any [`SigningKey`] (a smart card, a TPM, a PKCS#11 token, a cloud
/// KMS), which signs on demand during the handshake.
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
    /// The end-entity certificate's validity, in seconds since the epoch.
    not_before: i64,
    not_after: i64,
    /// Whether its extended key usage allows client authentication.
    client_auth: bool,
}

/// What was read from the end-entity certificate.
struct Leaf {
    subject: String,
    issuer: String,
    common_name: Option<String>,
    not_before: i64,
    not_after: i64,
    client_auth: bool,
    /// The OID of its public key's algorithm, dotted.
    key_oid: String,
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

    /// From a chain, end-entity first, and a key held anywhere: a smart
    /// card, a TPM, a PKCS#11 token, a cloud KMS, or any other
    /// implementation of rustls' [`SigningKey`]. The application never
    /// hands over key bytes; the key signs on demand, during the handshake.
    ///
    /// The chain is checked as for PEM (every certificate parses, there is
    /// at least one). The key must belong to the end-entity certificate:
    /// when the key reveals its public key
    /// ([`SigningKey::public_key`]) the two must be equal, and otherwise
    /// its [`algorithm`](SigningKey::algorithm) must match the kind of key
    /// the certificate names (a mismatch is an [`Error::Config`]).
    ///
    /// A signer that fails during the handshake (the token was removed)
    /// fails the connect with an [`Error::Tls`] saying `the client key of
    /// SUBJECT failed to sign the handshake: ...`.
    ///
    /// The signature runs inside the handshake, synchronously. On a
    /// multi-threaded tokio runtime a slow signer does not hold up the
    /// runtime's other tasks: the call runs under
    /// `tokio::task::block_in_place`, which hands the worker's other tasks
    /// to another thread first. On a current-thread runtime nothing can do
    /// that, and a slow signer stalls every task of that runtime while it
    /// signs: use a multi-threaded runtime with a key that is slow to sign.
    ///
    /// See the crate docs, "Where the key lives", for a complete signer.
    pub fn from_signing_key(
        chain: Vec<CertificateDer<'static>>,
        key: Arc<dyn SigningKey>,
    ) -> Result<Self, Error> {
        let cert_name = "the certificate chain";
        let (leaf, issuers) = read_chain(&chain, cert_name)?;
        let external: Arc<dyn SigningKey> = Arc::new(ExternalKey {
            key,
            subject: leaf.subject.clone(),
        });
        let key = CertifiedKey::new(chain, external);
        match key.keys_match() {
            Ok(()) => {}
            Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {
                let algorithm = key.key.algorithm();
                if !algorithm_matches(algorithm, &leaf.key_oid) {
                    return Err(Error::Config(format!(
                        "the signing key is {algorithm:?} but the key of the certificate {} is {}",
                        leaf.subject,
                        key_kind(&leaf.key_oid)
                    )));
                }
            }
            Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
                return Err(Error::Config(format!(
                    "the signing key does not match the certificate {}",
                    leaf.subject
                )));
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot check the signing key against the certificate {}: {e}",
                    leaf.subject
                )));
            }
        }
        Ok(Self::from_parts(key, leaf, issuers))
    }

    fn build(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        cert_name: &str,
        key_name: &str,
    ) -> Result<Self, Error> {
        let (leaf, issuers) = read_chain(&chain, cert_name)?;
        let signing_key = default_provider()
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
        Ok(Self::from_parts(key, leaf, issuers))
    }

    fn from_parts(key: CertifiedKey, leaf: Leaf, issuers: Vec<Vec<u8>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                key: Arc::new(key),
                subject: leaf.subject,
                issuer: leaf.issuer,
                common_name: leaf.common_name,
                issuers,
                not_before: leaf.not_before,
                not_after: leaf.not_after,
                client_auth: leaf.client_auth,
            }),
        }
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

    /// The end-entity certificate's validity period, in seconds since the
    /// Unix epoch: `(not_before, not_after)`.
    pub fn validity(&self) -> (i64, i64) {
        (self.inner.not_before, self.inner.not_after)
    }

    /// Whether the end-entity certificate may be used for TLS client
    /// authentication: it has no extended key usage, or one that lists
    /// `clientAuth` or `anyExtendedKeyUsage`.
    pub fn allows_client_auth(&self) -> bool {
        self.inner.client_auth
    }

    /// Why the end-entity certificate cannot be used at `now`, if it cannot:
    /// `expired at ...`, `not valid before ...`, or `its extended key usage
    /// excludes client authentication`.
    pub(crate) fn unusable_reason(&self, now: UnixTime) -> Option<String> {
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now > self.inner.not_after {
            return Some(format!("expired at {}", utc(self.inner.not_after)));
        }
        if now < self.inner.not_before {
            return Some(format!("not valid before {}", utc(self.inner.not_before)));
        }
        if !self.inner.client_auth {
            return Some("its extended key usage excludes client authentication".to_owned());
        }
        None
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

/// Parses every certificate of `chain` and reads the end-entity's details.
fn read_chain(
    chain: &[CertificateDer<'static>],
    cert_name: &str,
) -> Result<(Leaf, Vec<Vec<u8>>), Error> {
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
            leaf = Some(read_leaf(&cert, cert_name)?);
        }
    }
    let Some(leaf) = leaf else {
        return Err(Error::Config(format!(
            "no certificate found in {cert_name}"
        )));
    };
    Ok((leaf, issuers))
}

fn read_leaf(cert: &X509Certificate<'_>, cert_name: &str) -> Result<Leaf, Error> {
    let subject = cert.subject();
    let client_auth = match cert.extended_key_usage() {
        Ok(None) => true,
        Ok(Some(eku)) => eku.value.any || eku.value.client_auth,
        Err(e) => {
            return Err(Error::Config(format!(
                "the extended key usage of the first certificate in {cert_name} does not parse: {e}"
            )))
        }
    };
    let validity = cert.validity();
    Ok(Leaf {
        subject: display_name(subject.as_raw()),
        issuer: display_name(cert.issuer().as_raw()),
        common_name: subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        client_auth,
        key_oid: cert.public_key().algorithm.algorithm.to_id_string(),
    })
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";

/// Whether a key of `algorithm` can belong to a certificate whose public
/// key has the algorithm `oid`. An algorithm rustls does not name is let
/// through: it cannot be checked.
fn algorithm_matches(algorithm: SignatureAlgorithm, oid: &str) -> bool {
    match algorithm {
        SignatureAlgorithm::RSA => oid == OID_RSA || oid == OID_RSA_PSS,
        SignatureAlgorithm::ECDSA => oid == OID_EC,
        SignatureAlgorithm::ED25519 => oid == OID_ED25519,
        SignatureAlgorithm::ED448 => oid == OID_ED448,
        _ => true,
    }
}

/// `RSA`, `ECDSA`, ... for the certificate's key, or the OID.
fn key_kind(oid: &str) -> String {
    match oid {
        OID_RSA | OID_RSA_PSS => "RSA".to_owned(),
        OID_EC => "ECDSA".to_owned(),
        OID_ED25519 => "Ed25519".to_owned(),
        OID_ED448 => "Ed448".to_owned(),
        other => format!("{other} (an unknown algorithm)"),
    }
}

/// The time `secs` after the epoch, e.g. `Nov 29 09:41:07 2026 +00:00`.
fn utc(secs: i64) -> String {
    x509_parser::time::ASN1Time::from_timestamp(secs)
        .map_or_else(|_| format!("{secs} s after the epoch"), |t| t.to_string())
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
