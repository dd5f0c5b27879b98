//! The public client-certificate API, as an application sees it: loading
//! identities from PEM files, choosing among them by the CA names a server
//! sends, and the server-certificate hook.
//!
//! The handshake itself (hints byte for byte under TLS 1.2 and 1.3, empty
//! lists, declines, panics, rejections) is tested against an in-process
//! rustls server in `src/tls/tests/`, where the crate-internal config API is
//! reachable; through `LdapConn` it is covered by the connection tests,
//! and by `sources` here (certificate sources, pins, the override hook,
//! the crypto provider).

#[path = "tls_negotiation/sources.rs"]
mod sources;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rustls::{RootCertStore, SignatureScheme};
use tokio_ldap::testkit::pki::{KeyType, PkiBuilder, Rdn, TestPki};
use tokio_ldap::tls::{
    CertRequest, CertStore, ClientCert, EmptyListPolicy, QueryClientCert, ServerCertInfo,
    ServerCertRejected, TlsMode, TrustedCa, VerifyServerCert,
};

const ECDSA: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::RSA_PSS_SHA256,
];
const RSA_ONLY: &[SignatureScheme] = &[SignatureScheme::RSA_PSS_SHA256];

/// A root CA `O=Example Test/CN=<cn>` made with the crate's test PKI
/// builder, and the client certificates it issues.
struct Ca {
    pki: RefCell<TestPki>,
}

impl Ca {
    fn new(cn: &str) -> Self {
        let pki = PkiBuilder::new(KeyType::Ec)
            .root("ca", &[Rdn::O("Example Test"), Rdn::Cn(cn)])
            .build()
            .unwrap();
        Self {
            pki: RefCell::new(pki),
        }
    }

    fn cert(&self) -> rustls::pki_types::CertificateDer<'static> {
        self.pki.borrow().entity("ca").unwrap().cert()
    }

    /// The CA as a server names it: the subject `Name` of its certificate,
    /// taken the way rustls' server takes it.
    fn as_named_by_server(&self) -> TrustedCa {
        let mut store = RootCertStore::empty();
        store.add(self.cert()).unwrap();
        TrustedCa::from_der(store.subjects()[0].as_ref().to_vec())
    }

    /// PEM files for a client certificate `OU=people/CN=<cn>` this CA
    /// issues.
    fn issue(&self, dir: &Path, cn: &str) -> (PathBuf, PathBuf) {
        let mut pki = self.pki.borrow_mut();
        let client =
            PkiBuilder::new(KeyType::Ec).client(cn, &[Rdn::Ou("people"), Rdn::Cn(cn)], "ca");
        pki.extend(client).unwrap();
        let leaf = pki.entity(cn).unwrap();
        let crt = dir.join(format!("{cn}.crt"));
        let key_path = dir.join(format!("{cn}.key"));
        std::fs::write(&crt, &leaf.cert_pem).unwrap();
        std::fs::write(&key_path, &leaf.key_pem).unwrap();
        (crt, key_path)
    }
}

fn load(paths: (PathBuf, PathBuf)) -> ClientCert {
    ClientCert::from_pem_files(&paths.0, &paths.1).unwrap()
}

#[test]
fn choose_by_the_cas_the_server_names() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_a, ca_b) = (Ca::new("Test CA-A"), Ca::new("Test CA-B"));
    let alice = load(ca_a.issue(dir.path(), "alice"));
    let bob = load(ca_b.issue(dir.path(), "bob"));
    assert_eq!(alice.subject(), "CN=alice,OU=people");
    assert_eq!(alice.issuer(), "CN=Test CA-A,O=Example Test");

    let a = ca_a.as_named_by_server();
    let b = ca_b.as_named_by_server();
    assert_eq!(a.to_string(), "CN=Test CA-A,O=Example Test");
    assert!(alice.issued_by(&a) && !alice.issued_by(&b));

    let store = CertStore::new().with(alice.clone()).with(bob.clone());
    let only_b = [b.clone()];
    let request = CertRequest::new(&only_b, ECDSA)
        .with_server_name("ldap.example.com")
        .with_url("ldap://ldap.example.com")
        .with_mode(TlsMode::StartTls);
    let choice = store.choose(&request);
    assert_eq!(choice.cert().unwrap().subject(), bob.subject());
    assert_eq!(
        choice.reason(),
        "chose bob: issued by CN=Test CA-B,O=Example Test, which the server trusts"
    );

    // No CA names: the first identity, or none if so configured.
    let empty = CertRequest::new(&[], ECDSA);
    assert_eq!(
        store.query_client_cert(&empty).unwrap().subject(),
        alice.subject()
    );
    let declining = store.clone().on_empty_list(EmptyListPolicy::Decline);
    assert!(declining.query_client_cert(&empty).is_none());

    // An ECDSA key cannot answer a server that accepts only RSA.
    assert!(store
        .query_client_cert(&CertRequest::new(&only_b, RSA_ONLY))
        .is_none());
    assert!(alice
        .query_client_cert(&CertRequest::new(&[], RSA_ONLY))
        .is_none());

    // A closure picking by the names, as in the QueryClientCert docs.
    let pick = move |request: &CertRequest<'_>| {
        [&alice, &bob]
            .into_iter()
            .find(|c| request.trusted_cas().iter().any(|ca| c.issued_by(ca)))
            .cloned()
    };
    let both = [a, b];
    let chosen = pick.query_client_cert(&CertRequest::new(&both[1..], ECDSA));
    assert_eq!(chosen.unwrap().common_name(), Some("bob"));
    assert!(pick
        .choose_client_cert(&CertRequest::new(&[], ECDSA))
        .cert()
        .is_none());
}

#[test]
fn pem_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Test CA-A");
    let (crt, key) = ca.issue(dir.path(), "alice");
    let message = ClientCert::from_pem_files(&key, &key)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(&format!("no certificate found in {}", key.display())),
        "{message}"
    );
    let message = ClientCert::from_pem_files(&crt, &crt)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(&format!("no private key found in {}", crt.display())),
        "{message}"
    );
    let (_, other_key) = ca.issue(dir.path(), "bob");
    let message = ClientCert::from_pem_files(&crt, &other_key)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("does not match the certificate"),
        "{message}"
    );
}

#[test]
fn unparseable_names_still_display() {
    let garbage = TrustedCa::from_der(vec![0x13, 0x37]);
    assert_eq!(garbage.to_string(), "#1337");
    assert_eq!(garbage.name(), None);
    assert_eq!(garbage.der(), &[0x13, 0x37]);
}

#[test]
fn server_cert_hook_closures() {
    let pinned = Ca::new("Pinned").cert();
    let pin = {
        let pinned = pinned.clone();
        move |info: &ServerCertInfo<'_>| {
            if info.end_entity() == &pinned {
                Ok(())
            } else {
                Err(format!(
                    "{} is not the pinned certificate",
                    info.server_name()
                ))
            }
        }
    };
    let other = Ca::new("Other").cert();
    assert!(pin
        .verify_server_cert(&ServerCertInfo::new(&pinned, &[], "ldap"))
        .is_ok());
    let rejected = pin
        .verify_server_cert(&ServerCertInfo::new(&other, &[], "ldap"))
        .unwrap_err();
    assert_eq!(rejected.message(), "ldap is not the pinned certificate");
    assert_eq!(rejected.to_string(), "ldap is not the pinned certificate");
}

#[test]
fn server_cert_rejections_are_typed() {
    let cert = Ca::new("Any").cert();
    let info = ServerCertInfo::new(&cert, &[], "ldap");

    // A &str, a ServerCertRejected, or none at all (the type named).
    let text = |_: &ServerCertInfo<'_>| Err("no");
    assert_eq!(text.verify_server_cert(&info).unwrap_err().message(), "no");
    let accept = |_: &ServerCertInfo<'_>| Ok::<(), ServerCertRejected>(());
    assert!(accept.verify_server_cert(&info).is_ok());

    // With the error behind it, reachable as its source.
    let typed = |_: &ServerCertInfo<'_>| -> Result<(), ServerCertRejected> {
        std::fs::read("/nonexistent/pin.der")
            .map_err(|e| ServerCertRejected::new("cannot read the pin").with_source(e))?;
        Ok(())
    };
    let rejected = typed.verify_server_cert(&info).unwrap_err();
    assert_eq!(rejected.message(), "cannot read the pin");
    let source = std::error::Error::source(&rejected).unwrap();
    assert_eq!(
        source.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );

    // A hook implemented by a type.
    struct Deny;
    impl VerifyServerCert for Deny {
        fn verify_server_cert(&self, info: &ServerCertInfo<'_>) -> Result<(), ServerCertRejected> {
            Err(format!("{} is denied", info.server_name()).into())
        }
    }
    assert_eq!(
        Deny.verify_server_cert(&info).unwrap_err().message(),
        "ldap is denied"
    );
}
