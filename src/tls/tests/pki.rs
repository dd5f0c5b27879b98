//! A test PKI made with rcgen: roots CA-A and CA-B, an intermediate under
//! CA-A, an untrusted root, a server certificate and four clients.
//!
//! rcgen 0.13 cannot repeat an attribute type in a name (it keys them by
//! type), so `DC=com/DC=example/...` is out of its reach. Each certificate is
//! made by rcgen under a placeholder name, then its issuer and subject are
//! replaced by the real DER names and the TBS is signed again with the
//! issuer's key.

use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::SignatureScheme;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::names::{name, tlv, Atv, OID_CN, OID_DC, OID_O, OID_OU};
use crate::tls::ClientCert;

/// A CA: its certificate, subject name (DER) and key.
pub(crate) struct Ca {
    pub(crate) cert: CertificateDer<'static>,
    pub(crate) name: Vec<u8>,
    rcgen: rcgen::Certificate,
    key: KeyPair,
}

/// An end entity: chain as it is sent and the PKCS#8 key.
pub(crate) struct Leaf {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Vec<u8>,
}

impl Leaf {
    pub(crate) fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }

    pub(crate) fn client_cert(&self) -> ClientCert {
        ClientCert::new(self.chain.clone(), self.key_der()).unwrap()
    }

    pub(crate) fn cert_pem(&self) -> String {
        self.chain.iter().map(|c| pem("CERTIFICATE", c)).collect()
    }

    pub(crate) fn key_pem(&self) -> String {
        pem("PRIVATE KEY", &self.key)
    }
}

pub(crate) struct Pki {
    pub(crate) ca_a: Ca,
    pub(crate) ca_b: Ca,
    pub(crate) ca_int: Ca,
    pub(crate) ca_evil: Ca,
    pub(crate) server: Leaf,
    pub(crate) alice: Leaf,
    pub(crate) bob: Leaf,
    pub(crate) carol: Leaf,
    pub(crate) mallory: Leaf,
}

pub(crate) fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make)
}

/// `DC=com/DC=example/O=Example Test/CN=<cn>` (most significant first).
pub(crate) fn example_name(ou: Option<&str>, o: Option<&str>, cn: &str) -> Vec<u8> {
    let mut rdns: Vec<Vec<Atv<'_>>> = vec![
        vec![(OID_DC, 0x16, b"com")],
        vec![(OID_DC, 0x16, b"example")],
    ];
    if let Some(o) = o {
        rdns.push(vec![(OID_O, 0x0c, o.as_bytes())]);
    }
    if let Some(ou) = ou {
        rdns.push(vec![(OID_OU, 0x0c, ou.as_bytes())]);
    }
    rdns.push(vec![(OID_CN, 0x0c, cn.as_bytes())]);
    let refs = rdns.iter().map(Vec::as_slice).collect::<Vec<_>>();
    name(&refs)
}

fn make() -> Pki {
    let ca_a = root(example_name(None, Some("Example Test"), "Test CA-A"));
    let ca_b = root(example_name(None, Some("Example Test"), "Test CA-B"));
    let ca_evil = root(name(&[
        &[(OID_O, 0x0c, b"Evil Test")],
        &[(OID_CN, 0x0c, b"Untrusted CA")],
    ]));
    let ca_int = {
        let mut params = ca_params();
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let key = KeyPair::generate().unwrap();
        let rcgen = params.signed_by(&key, &ca_a.rcgen, &ca_a.key).unwrap();
        let name = example_name(None, Some("Example Test"), "Test CA-A Intermediate");
        let cert = rename(rcgen.der(), &ca_a.name, &name, &ca_a.key);
        Ca {
            cert,
            name,
            rcgen,
            key,
        }
    };
    let server = {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let subject = name(&[&[(OID_CN, 0x0c, b"localhost")]]);
        leaf(params, &ca_a, &subject, &[])
    };
    let client = |issuer: &Ca, cn: &str, extra: &[&Ca]| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let subject = example_name(Some("people"), None, cn);
        leaf(params, issuer, &subject, extra)
    };
    let alice = client(&ca_a, "alice", &[]);
    let bob = client(&ca_b, "bob", &[]);
    let carol = client(&ca_int, "carol", &[&ca_int]);
    let mallory = client(&ca_evil, "mallory", &[]);
    Pki {
        ca_a,
        ca_b,
        ca_int,
        ca_evil,
        server,
        alice,
        bob,
        carol,
        mallory,
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
        .distinguished_name
        .push(DnType::CommonName, "placeholder");
    params
}

fn root(name: Vec<u8>) -> Ca {
    let key = KeyPair::generate().unwrap();
    let rcgen = ca_params().self_signed(&key).unwrap();
    let cert = rename(rcgen.der(), &name, &name, &key);
    Ca {
        cert,
        name,
        rcgen,
        key,
    }
}

fn leaf(params: CertificateParams, issuer: &Ca, subject: &[u8], extra: &[&Ca]) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let rcgen = params.signed_by(&key, &issuer.rcgen, &issuer.key).unwrap();
    let mut chain = vec![rename(rcgen.der(), &issuer.name, subject, &issuer.key)];
    chain.extend(extra.iter().map(|ca| ca.cert.clone()));
    Leaf {
        chain,
        key: key.serialize_der(),
    }
}

/// Replaces a certificate's issuer and subject and signs it again.
fn rename(cert: &[u8], issuer: &[u8], subject: &[u8], signer: &KeyPair) -> CertificateDer<'static> {
    let outer = elements(content(cert));
    let tbs = elements(content(outer[0]));
    let mut new_tbs = Vec::new();
    for (i, element) in tbs.iter().enumerate() {
        // 0 version, 1 serial, 2 signature, 3 issuer, 4 validity, 5 subject, ...
        match i {
            3 => new_tbs.extend_from_slice(issuer),
            5 => new_tbs.extend_from_slice(subject),
            _ => new_tbs.extend_from_slice(element),
        }
    }
    let new_tbs = tlv(0x30, &new_tbs);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signer.serialize_der()));
    let signing_key = rustls::crypto::ring::sign::any_ecdsa_type(&key).unwrap();
    let signature = signing_key
        .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .unwrap()
        .sign(&new_tbs)
        .unwrap();
    let mut bits = vec![0];
    bits.extend(signature);
    let mut body = new_tbs;
    body.extend_from_slice(outer[1]);
    body.extend(tlv(0x03, &bits));
    CertificateDer::from(tlv(0x30, &body))
}

/// (header length, content length) of the TLV at the start of `der`.
fn header(der: &[u8]) -> (usize, usize) {
    let first = der[1];
    if first < 0x80 {
        return (2, first as usize);
    }
    let n = (first & 0x7f) as usize;
    let len = der[2..2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    (2 + n, len)
}

fn content(der: &[u8]) -> &[u8] {
    let (h, len) = header(der);
    &der[h..h + len]
}

/// The TLVs in a content octet string, each whole (header included).
fn elements(mut der: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !der.is_empty() {
        let (h, len) = header(der);
        out.push(&der[..h + len]);
        der = &der[h + len..];
    }
    out
}

pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                text.push(B64[((v >> (18 - 6 * i)) & 0x3f) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[test]
fn pki_names_and_display() {
    let pki = pki();
    let alice = pki.alice.client_cert();
    assert_eq!(alice.subject(), "CN=alice,OU=people,DC=example,DC=com");
    assert_eq!(
        alice.issuer(),
        "CN=Test CA-A,O=Example Test,DC=example,DC=com"
    );
    assert_eq!(alice.common_name(), Some("alice"));
    let carol = pki.carol.client_cert();
    assert_eq!(carol.chain().len(), 2);
    assert_eq!(
        carol.issuer(),
        "CN=Test CA-A Intermediate,O=Example Test,DC=example,DC=com"
    );
}
