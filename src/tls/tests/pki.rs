//! The crate's test PKI (`testkit::pki`, EC keys) seen the way these tests
//! use it: roots CA-A and CA-B, an intermediate under CA-A, an untrusted
//! root, a server certificate and four clients, each CA as its certificate
//! and DER subject, each end entity as the chain it sends and its key.

use std::sync::OnceLock;

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::names::{name, Atv, OID_CN, OID_DC, OID_O, OID_OU};
pub(crate) use crate::testkit::pki::pem;
use crate::testkit::pki::{Entity, Pki as TestPki};
use crate::tls::ClientCert;

/// A CA: its certificate and subject name (DER).
pub(crate) struct Ca {
    /// Its field name in [`TestPki`] (`"ca_a"`, ...), for the test servers.
    pub(crate) id: &'static str,
    pub(crate) cert: CertificateDer<'static>,
    pub(crate) name: Vec<u8>,
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
    PKI.get_or_init(|| {
        let pki = TestPki::ec();
        let ca = |id: &'static str, e: &Entity| Ca {
            id,
            cert: e.cert(),
            name: e.subject_der.clone(),
        };
        let leaf = |e: &Entity| Leaf {
            chain: e.chain.clone(),
            key: e.key_der.clone(),
        };
        Pki {
            ca_a: ca("ca_a", &pki.ca_a),
            ca_b: ca("ca_b", &pki.ca_b),
            ca_int: ca("ca_a_int", &pki.ca_a_int),
            ca_evil: ca("ca_evil", &pki.ca_evil),
            server: leaf(&pki.server),
            alice: leaf(&pki.alice),
            bob: leaf(&pki.bob),
            carol: leaf(&pki.carol),
            mallory: leaf(&pki.mallory),
        }
    })
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
    // The names these tests build by hand are the certificates' own.
    assert_eq!(
        pki.ca_a.name,
        example_name(None, Some("Example Test"), "Test CA-A")
    );
    assert_eq!(
        pki.ca_int.name,
        example_name(None, Some("Example Test"), "Test CA-A Intermediate")
    );
}
