//! How the test PKI's certificates are made with rcgen.
//!
//! EC P-256 keys by default. rcgen's ring backend cannot generate RSA keys, so
//! the RSA variant makes its keys with the `openssl genpkey` command and loads
//! them with [`rcgen::KeyPair::from_pem_and_sign_algo`].
//!
//! rcgen's `DistinguishedName` holds at most one value per attribute type, so
//! it cannot express `DC=com, DC=example`. Every DC after the first is therefore
//! written with a placeholder OID of the same encoded length, and the
//! placeholder bytes are rewritten to the real domainComponent OID both in the
//! to-be-signed bytes (the issuer's key is a [`rcgen::RemoteKeyPair`] that
//! patches before signing) and in the finished certificate, so the signature
//! stays valid.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, RemoteKeyPair, SanType,
    SignatureAlgorithm,
};
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::entity::{pem, Entity, KeyType, Rdn};
use crate::testkit::Error;

/// What a [`PkiBuilder`](super::PkiBuilder) makes of one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A self-signed CA.
    Root,
    /// A CA with pathlen 0 under another.
    Intermediate,
    /// A TLS server for localhost, 127.0.0.1 and ::1.
    Server,
    /// A TLS client, sound or awkward on purpose.
    Client(ClientKind),
}

/// The ways a client certificate can be made, the awkward ones on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientKind {
    /// Valid from 2020 to 2049, clientAuth, signed by its issuer.
    #[default]
    Sound,
    /// Valid only in the year 2000.
    Expired,
    /// Valid only from 2090.
    NotYetValid,
    /// Extended key usage serverAuth only: no clientAuth.
    NoClientAuth,
    /// Its private key is another one than the key the certificate certifies.
    WrongKey,
    /// Signed by its own key (no issuer): a CA of one.
    SelfSigned,
}

/// Makes the certificate of `name` for its `role`, signed by `issuer`
/// (none for a root).
pub(super) fn generate(
    name: &str,
    subject: DistinguishedName,
    role: Role,
    key_type: KeyType,
    key: KeyPair,
    issuer: Option<&Generated>,
) -> Result<Generated, Error> {
    Ok(match (role, issuer) {
        (Role::Root, _) => make_ca(name, subject, key, None)?,
        (Role::Intermediate, Some(issuer)) => make_ca(name, subject, key, Some(issuer))?,
        (Role::Server, Some(issuer)) => {
            let mut params = leaf_params(subject);
            params.subject_alt_names = vec![
                SanType::DnsName(
                    "localhost"
                        .try_into()
                        .map_err(|e| Error::with("DNS name", e))?,
                ),
                SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ];
            params.key_usages = match key_type {
                KeyType::Ec => vec![KeyUsagePurpose::DigitalSignature],
                KeyType::Rsa => vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyEncipherment,
                ],
            };
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            issue(name, params, key, issuer)?
        }
        (Role::Client(kind), issuer) => {
            let mut params = leaf_params(subject);
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            match kind {
                ClientKind::Sound | ClientKind::WrongKey | ClientKind::SelfSigned => {}
                ClientKind::Expired => {
                    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
                    params.not_after = rcgen::date_time_ymd(2000, 12, 31);
                }
                ClientKind::NotYetValid => {
                    params.not_before = rcgen::date_time_ymd(2090, 1, 1);
                    params.not_after = rcgen::date_time_ymd(2099, 12, 31);
                }
                ClientKind::NoClientAuth => {
                    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                }
            }
            let mut made = match (kind, issuer) {
                (ClientKind::SelfSigned, _) => {
                    params.use_authority_key_identifier_extension = false;
                    let signer = PatchingSigner::key_pair_for(&key)?;
                    let cert = params
                        .self_signed(&signer)
                        .map_err(|e| Error::with(format!("cannot self-sign {name}"), e))?;
                    finish(name, cert, &key, signer, None)?
                }
                (_, Some(issuer)) => issue(name, params, key, issuer)?,
                (_, None) => return Err(Error::new(format!("{name}: no issuer"))),
            };
            if kind == ClientKind::WrongKey {
                // Another key, of the same type, in place of the certified one.
                let other = KeySource::new(key_type, 1)?.next()?;
                made.entity.key_der = other.serialize_der();
                made.entity.key_pem = other.serialize_pem();
            }
            made
        }
        (_, None) => {
            return Err(Error::new(format!("{}: no issuer", name)));
        }
    })
}

/// An entity together with what is needed to issue certificates from it.
pub(super) struct Generated {
    pub(super) entity: Entity,
    cert: rcgen::Certificate,
    /// Remote key pair that signs what this entity issues.
    signer: KeyPair,
}

/// domainComponent, 0.9.2342.19200300.100.1.25.
const OID_DC: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 25];
/// userid, 0.9.2342.19200300.100.1.1.
const OID_UID: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 1];
/// Stand-ins for the 2nd, 3rd, ... DC of a name: same arcs but the last,
/// which stays below 128 so the DER encoding has the same length.
const DC_PLACEHOLDER_ARCS: [u64; 3] = [125, 126, 127];

/// DER of an OID with this module's arcs (first two 0.9, the rest < 2^28).
fn oid_der(arcs: &[u64]) -> Result<Vec<u8>, Error> {
    let [first, second, rest @ ..] = arcs else {
        return Err(Error::new("an OID has at least two arcs"));
    };
    let first = u8::try_from(first * 40 + second).map_err(|e| Error::with("OID", e))?;
    let mut body = vec![first];
    for &arc in rest {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut more = arc >> 7;
        while more > 0 {
            groups.push(0x80 | (more & 0x7f) as u8);
            more >>= 7;
        }
        body.extend(groups.iter().rev());
    }
    let len = u8::try_from(body.len()).map_err(|e| Error::with("OID length", e))?;
    let mut der = vec![0x06, len];
    der.extend(body);
    Ok(der)
}

fn dc_placeholder(index: usize) -> Result<Vec<u64>, Error> {
    let last = DC_PLACEHOLDER_ARCS
        .get(index)
        .ok_or_else(|| Error::new("at most four domain components per name"))?;
    let mut arcs = OID_DC.to_vec();
    arcs.pop();
    arcs.push(*last);
    Ok(arcs)
}

/// Rewrites every placeholder OID in `der` to the domainComponent OID.
fn fix_names(der: &mut [u8]) -> Result<(), Error> {
    let real = oid_der(&OID_DC)?;
    for index in 0..DC_PLACEHOLDER_ARCS.len() {
        let fake = oid_der(&dc_placeholder(index)?)?;
        if fake.len() != real.len() {
            return Err(Error::new("placeholder OID of another length"));
        }
        let mut i = 0;
        while let Some(window) = der.get_mut(i..i + fake.len()) {
            if *window == *fake {
                window.copy_from_slice(&real);
                i += fake.len();
            } else {
                i += 1;
            }
        }
    }
    Ok(())
}

/// Builds a DN with one attribute per RDN, in order (rcgen keeps insertion
/// order). Repeated DCs get placeholder OIDs (see the module docs).
pub(super) fn dn(rdns: &[Rdn<'_>]) -> Result<DistinguishedName, Error> {
    if rdns.is_empty() {
        return Err(Error::new("a subject needs at least one RDN"));
    }
    let mut name = DistinguishedName::new();
    let mut dcs = 0;
    for rdn in rdns {
        match *rdn {
            Rdn::Dc(v) => {
                let oid = if dcs == 0 {
                    OID_DC.to_vec()
                } else {
                    dc_placeholder(dcs - 1)?
                };
                dcs += 1;
                let value = v
                    .try_into()
                    .map_err(|e| Error::with(format!("domain component {v:?}"), e))?;
                name.push(DnType::CustomDnType(oid), DnValue::Ia5String(value));
            }
            Rdn::O(v) => name.push(DnType::OrganizationName, v),
            Rdn::Ou(v) => name.push(DnType::OrganizationalUnitName, v),
            Rdn::Cn(v) => name.push(DnType::CommonName, v),
            Rdn::Uid(v) => name.push(DnType::CustomDnType(OID_UID.to_vec()), v),
            Rdn::C(v) => {
                let value = v
                    .try_into()
                    .map_err(|e| Error::with(format!("country {v:?}"), e))?;
                name.push(DnType::CountryName, DnValue::PrintableString(value));
            }
            Rdn::L(v) => name.push(DnType::LocalityName, v),
        }
    }
    Ok(name)
}

/// The signing side of an entity: a remote key pair for rcgen that fixes up
/// placeholder OIDs in the to-be-signed bytes, then signs them with rustls'
/// ring signer.
struct PatchingSigner {
    public_key: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
    key: Arc<dyn SigningKey>,
    scheme: SignatureScheme,
}

impl PatchingSigner {
    fn key_pair_for(key: &KeyPair) -> Result<KeyPair, Error> {
        let scheme = if key.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
            SignatureScheme::ECDSA_NISTP256_SHA256
        } else if key.algorithm() == &rcgen::PKCS_RSA_SHA256 {
            SignatureScheme::RSA_PKCS1_SHA256
        } else {
            return Err(Error::new(format!(
                "unsupported test key algorithm {:?}",
                key.algorithm()
            )));
        };
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing = rustls::crypto::ring::sign::any_supported_type(&der)
            .map_err(|e| Error::with("ring does not take the test key", e))?;
        let signer = Self {
            public_key: key.public_key_raw().to_vec(),
            algorithm: key.algorithm(),
            key: signing,
            scheme,
        };
        KeyPair::from_remote(Box::new(signer)).map_err(|e| Error::with("remote key pair", e))
    }
}

impl RemoteKeyPair for PatchingSigner {
    fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let mut tbs = msg.to_vec();
        fix_names(&mut tbs).map_err(|_| rcgen::Error::RingUnspecified)?;
        self.key
            .choose_scheme(&[self.scheme])
            .ok_or(rcgen::Error::RingUnspecified)?
            .sign(&tbs)
            .map_err(|_| rcgen::Error::RingUnspecified)
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

fn base_params(name: DistinguishedName) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    params
}

fn leaf_params(name: DistinguishedName) -> CertificateParams {
    let mut params = base_params(name);
    // basicConstraints critical CA:FALSE (and a SKI), like the openssl setup.
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params
}

/// A CA certificate: self-signed root when `issuer` is `None`, otherwise an
/// intermediate with pathlen 0.
fn make_ca(
    name: &str,
    subject: DistinguishedName,
    key: KeyPair,
    issuer: Option<&Generated>,
) -> Result<Generated, Error> {
    let mut params = base_params(subject);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    match issuer {
        None => {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let signer = PatchingSigner::key_pair_for(&key)?;
            let cert = params
                .self_signed(&signer)
                .map_err(|e| Error::with(format!("cannot self-sign {name}"), e))?;
            finish(name, cert, &key, signer, None)
        }
        Some(issuer) => {
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.use_authority_key_identifier_extension = true;
            issue(name, params, key, issuer)
        }
    }
}

fn issue(
    name: &str,
    params: CertificateParams,
    key: KeyPair,
    issuer: &Generated,
) -> Result<Generated, Error> {
    let cert = params
        .signed_by(&key, &issuer.cert, &issuer.signer)
        .map_err(|e| Error::with(format!("cannot issue {name}"), e))?;
    let signer = PatchingSigner::key_pair_for(&key)?;
    finish(name, cert, &key, signer, Some(issuer))
}

fn finish(
    name: &str,
    cert: rcgen::Certificate,
    key: &KeyPair,
    signer: KeyPair,
    issuer: Option<&Generated>,
) -> Result<Generated, Error> {
    let mut cert_der = cert.der().to_vec();
    fix_names(&mut cert_der)?;
    let (subject_der, issuer_der) = {
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|e| Error::with(format!("generated certificate {name} does not parse"), e))?;
        (
            parsed.subject().as_raw().to_vec(),
            parsed.issuer().as_raw().to_vec(),
        )
    };
    // The chain a peer sends: this certificate, then its issuer's chain
    // unless the issuer is a root.
    let mut chain = vec![CertificateDer::from(cert_der.clone())];
    if let Some(issuer) = issuer {
        if issuer.entity.subject_der != issuer.entity.issuer_der {
            chain.extend(issuer.entity.chain.iter().cloned());
        }
    }
    let entity = Entity {
        name: name.to_owned(),
        cert_pem: pem("CERTIFICATE", &cert_der),
        cert_der,
        chain,
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
        subject_der,
        issuer_der,
    };
    Ok(Generated {
        entity,
        cert,
        signer,
    })
}

/// Hands out key pairs: generated on the spot for EC; for RSA, all PEMs are
/// made up front by concurrent `openssl genpkey` processes.
pub(super) struct KeySource {
    key_type: KeyType,
    rsa_pems: std::vec::IntoIter<String>,
}

impl KeySource {
    pub(super) fn new(key_type: KeyType, count: usize) -> Result<Self, Error> {
        let rsa_pems = match key_type {
            KeyType::Ec => Vec::new(),
            KeyType::Rsa => openssl_rsa_keys(count)?,
        };
        Ok(Self {
            key_type,
            rsa_pems: rsa_pems.into_iter(),
        })
    }

    pub(super) fn next(&mut self) -> Result<KeyPair, Error> {
        match self.key_type {
            KeyType::Ec => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                .map_err(|e| Error::with("EC P-256 key generation", e)),
            KeyType::Rsa => {
                let pem = self
                    .rsa_pems
                    .next()
                    .ok_or_else(|| Error::new("not enough RSA keys generated"))?;
                KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256)
                    .map_err(|e| Error::with("openssl genpkey output does not load", e))
            }
        }
    }
}

/// `count` RSA-2048 PKCS#8 PEM keys from `openssl genpkey`, run concurrently.
fn openssl_rsa_keys(count: usize) -> Result<Vec<String>, Error> {
    let children = (0..count)
        .map(|_| {
            Command::new("openssl")
                .args([
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| {
                    Error::with(
                        "cannot run `openssl genpkey` to make RSA test keys \
                         (scripts/install-test-deps installs the Debian package openssl)",
                        e,
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    children
        .into_iter()
        .map(|child| {
            let out = child
                .wait_with_output()
                .map_err(|e| Error::with("wait for openssl genpkey", e))?;
            if !out.status.success() {
                return Err(Error::new(format!(
                    "openssl genpkey failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            String::from_utf8(out.stdout).map_err(|e| Error::with("openssl genpkey output", e))
        })
        .collect()
}
