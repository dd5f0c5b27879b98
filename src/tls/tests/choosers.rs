//! `ClientCert` loading and the ready-made choosers, without a server.

use rustls::SignatureScheme;

use super::pki::pki;
use crate::tls::{
    CertRequest, CertStore, ClientCert, EmptyListPolicy, QueryClientCert, TlsMode, TrustedCa,
};

const EC: &[SignatureScheme] = &[SignatureScheme::ECDSA_NISTP256_SHA256];
const RSA: &[SignatureScheme] = &[SignatureScheme::RSA_PSS_SHA256];

#[test]
fn from_pem_files_and_errors() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let crt = dir.path().join("carol.crt");
    let key = dir.path().join("carol.key");
    std::fs::write(&crt, pki.carol.cert_pem()).unwrap();
    std::fs::write(&key, pki.carol.key_pem()).unwrap();
    let carol = ClientCert::from_pem_files(&crt, &key).unwrap();
    assert_eq!(carol.chain(), pki.carol.chain.as_slice());
    assert_eq!(carol.subject(), "CN=carol,OU=people,DC=example,DC=com");

    // Key and certificate in one file.
    let both = dir.path().join("carol.pem");
    std::fs::write(&both, pki.carol.cert_pem() + &pki.carol.key_pem()).unwrap();
    assert!(ClientCert::from_pem_files(&both, &both).is_ok());

    let err = |r: Result<ClientCert, crate::Error>| r.unwrap_err().to_string();
    let e = err(ClientCert::from_pem_files(&key, &key));
    assert!(
        e.ends_with(&format!("no certificate found in {}", key.display())),
        "{e}"
    );
    let e = err(ClientCert::from_pem_files(&crt, &crt));
    assert!(
        e.ends_with(&format!("no private key found in {}", crt.display())),
        "{e}"
    );
    let e = err(ClientCert::from_pem_files(
        dir.path().join("nope.crt"),
        &key,
    ));
    assert!(e.contains("cannot read certificate file"), "{e}");

    let alice_key = dir.path().join("alice.key");
    std::fs::write(&alice_key, pki.alice.key_pem()).unwrap();
    let e = err(ClientCert::from_pem_files(&crt, &alice_key));
    assert!(
        e.ends_with(&format!(
            "the private key in {} does not match the certificate in {}",
            alice_key.display(),
            crt.display()
        )),
        "{e}"
    );

    let e = err(ClientCert::from_pem(b"", pki.alice.key_pem().as_bytes()));
    assert!(
        e.ends_with("no certificate found in the certificate PEM"),
        "{e}"
    );
    let alice = ClientCert::from_pem(
        pki.alice.cert_pem().as_bytes(),
        pki.alice.key_pem().as_bytes(),
    )
    .unwrap();
    assert_eq!(alice.subject(), "CN=alice,OU=people,DC=example,DC=com");
    let e = err(ClientCert::new(Vec::new(), pki.alice.key_der()));
    assert!(
        e.ends_with("no certificate found in the certificate chain"),
        "{e}"
    );
    assert!(format!("{alice:?}").contains("CN=alice"));
}

#[test]
fn issued_by_looks_at_the_whole_chain() {
    let pki = pki();
    let a = TrustedCa::from_der(pki.ca_a.name.clone());
    let b = TrustedCa::from_der(pki.ca_b.name.clone());
    let int = TrustedCa::from_der(pki.ca_int.name.clone());
    let carol = pki.carol.client_cert();
    assert!(carol.issued_by(&a) && carol.issued_by(&int) && !carol.issued_by(&b));
    let alice = pki.alice.client_cert();
    assert!(alice.issued_by(&a) && !alice.issued_by(&b));
    assert!(alice.supports(EC) && !alice.supports(RSA));
    let evil = TrustedCa::from_der(pki.ca_evil.name.clone());
    assert_eq!(evil.to_string(), "CN=Untrusted CA,O=Evil Test");
    assert!(pki.mallory.client_cert().issued_by(&evil));
}

#[test]
fn cert_store_rules() {
    let pki = pki();
    let a = TrustedCa::from_der(pki.ca_a.name.clone());
    let b = TrustedCa::from_der(pki.ca_b.name.clone());
    let store = CertStore::new()
        .with(pki.mallory.client_cert())
        .with_named("alice (laptop)", pki.alice.client_cert())
        .with(pki.bob.client_cert());
    assert_eq!(store.len(), 3);

    let cas = [b.clone(), a];
    let choice = store.choose(&CertRequest::new(&cas, EC));
    // The test PKI's leaves share one lifetime: the first in insertion
    // order among the matches, whatever the CA order.
    assert_eq!(choice.cert().unwrap().common_name(), Some("alice"));
    assert_eq!(
        choice.reason(),
        "chose alice (laptop): issued by CN=Test CA-A,O=Example Test,DC=example,DC=com, which the server trusts, and valid longest of the 2 acceptable ones"
    );

    let only_b = [b];
    let choice = store.choose(&CertRequest::new(&only_b, EC));
    assert_eq!(choice.cert().unwrap().common_name(), Some("bob"));

    let choice = store.choose(&CertRequest::new(&[], EC));
    assert_eq!(choice.cert().unwrap().common_name(), Some("mallory"));
    assert!(choice.reason().contains("the server named no CAs"));
    let declining = store.clone().on_empty_list(EmptyListPolicy::Decline);
    assert!(declining
        .choose(&CertRequest::new(&[], EC))
        .cert()
        .is_none());

    let other = [TrustedCa::from_der(vec![0xff])];
    let choice = store.choose(&CertRequest::new(&other, EC));
    assert!(choice.cert().is_none());
    assert!(
        choice.reason().starts_with(
            "no certificate was issued by a CA the server trusts (#ff); mallory is issued by CN=Untrusted CA,O=Evil Test; alice (laptop) is issued by"
        ),
        "{}",
        choice.reason()
    );

    let choice = store.choose(&CertRequest::new(&cas, RSA));
    assert!(choice.cert().is_none());
    assert!(
        choice
            .reason()
            .contains("(skipped mallory: its ECDSA key cannot sign"),
        "{}",
        choice.reason()
    );
    assert!(store
        .query_client_cert(&CertRequest::new(&cas, RSA))
        .is_none());

    let empty = CertStore::new();
    assert!(empty.is_empty());
    assert_eq!(
        empty.choose(&CertRequest::new(&cas, EC)).reason(),
        "the certificate store is empty"
    );
}

#[test]
fn static_cert_offers_itself_when_it_can_sign() {
    let pki = pki();
    let alice = pki.alice.client_cert();
    let other = [TrustedCa::from_der(pki.ca_b.name.clone())];
    // Offered even to a server that names other CAs: it is the only one.
    assert!(alice
        .query_client_cert(&CertRequest::new(&other, EC))
        .is_some());
    let choice = alice.choose_client_cert(&CertRequest::new(&other, RSA));
    assert!(choice.cert().is_none());
    assert_eq!(
        choice.reason(),
        "skipped alice: its ECDSA key cannot sign with any scheme the server accepts (RSA_PSS_SHA256)"
    );
}

#[test]
fn closures_are_choosers() {
    let declines = |_: &CertRequest<'_>| None;
    let request = CertRequest::new(&[], &[])
        .with_server_name("ldap.example.com")
        .with_url("ldaps://ldap.example.com")
        .with_mode(TlsMode::StartTls);
    assert_eq!(request.server_name(), "ldap.example.com");
    assert_eq!(request.url(), "ldaps://ldap.example.com");
    assert_eq!(request.mode(), TlsMode::StartTls);
    let choice = declines.choose_client_cert(&request);
    assert!(choice.cert().is_none());
    assert_eq!(choice.to_string(), "the callback declined");
}
