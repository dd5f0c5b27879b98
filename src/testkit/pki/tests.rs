//! The public test PKI: the awkward certificates are awkward in the way
//! their names say, subjects come out as asked, and files load back.

use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::OID_X509_EXT_EXTENDED_KEY_USAGE;

use super::{TestPki, ZOE_CN};
use crate::tls::ClientCert;

fn parse(der: &[u8]) -> x509_parser::certificate::X509Certificate<'_> {
    x509_parser::parse_x509_certificate(der).unwrap().1
}

fn year(t: x509_parser::time::ASN1Time) -> i32 {
    t.to_datetime().year()
}

#[test]
fn awkward_certificates_are_what_their_names_say() {
    let pki = TestPki::new().unwrap();

    let expired = parse(&pki.entity("expired").unwrap().cert_der);
    assert_eq!(year(expired.validity().not_after), 2000);
    let early = parse(&pki.entity("not-yet-valid").unwrap().cert_der);
    assert_eq!(year(early.validity().not_before), 2090);

    let eku_of = |name: &str| {
        let entity = pki.entity(name).unwrap();
        let cert = parse(&entity.cert_der);
        let ext = cert
            .get_extension_unique(&OID_X509_EXT_EXTENDED_KEY_USAGE)
            .unwrap()
            .unwrap();
        match ext.parsed_extension() {
            ParsedExtension::ExtendedKeyUsage(eku) => (eku.client_auth, eku.server_auth),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(eku_of("no-client-auth"), (false, true));
    assert_eq!(eku_of("alice"), (true, false));

    let selfie = pki.entity("self-signed").unwrap();
    assert_eq!(selfie.subject_der, selfie.issuer_der);
    assert_eq!(selfie.chain.len(), 1);
    assert!(pki.client_cert("self-signed").is_ok());

    // The key of wrong-key is another key: it cannot become an identity.
    let e = pki.client_cert("wrong-key").unwrap_err();
    assert_eq!(
        e.to_string(),
        "client certificate wrong-key: configuration error: the private key in the private key \
         does not match the certificate in the certificate chain"
    );
    let entity = pki.entity("wrong-key").unwrap();
    let e =
        ClientCert::from_pem(entity.cert_pem.as_bytes(), entity.key_pem.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}

#[test]
fn subjects_repeat_dc_and_escape_what_rfc_4514_escapes() {
    let pki = TestPki::new().unwrap();
    let zoe = pki.client_cert("zoe").unwrap();
    assert_eq!(
        zoe.subject(),
        "CN=Zo\u{eb} Smith\\+Jones\\, Jr. \\<zsj\\>,OU=people,DC=example,DC=com"
    );
    assert_eq!(zoe.common_name(), Some(ZOE_CN));

    let mut pki = pki;
    pki.extend(TestPki::builder().client_dn(
        "dave",
        "UID=dave+x,CN=Dave \\\"D\\\" Doe,OU=people,DC=a,DC=b,DC=example,DC=com",
        "ca-b",
    ))
    .unwrap_err();
    pki.extend(TestPki::builder().client_dn(
        "dave",
        "UID=dave,CN=Dave \\\"D\\\" Doe,OU=people,DC=a,DC=b,DC=example,DC=com",
        "ca-b",
    ))
    .unwrap();
    assert_eq!(
        pki.client_cert("dave").unwrap().subject(),
        "UID=dave,CN=Dave \\\"D\\\" Doe,OU=people,DC=a,DC=b,DC=example,DC=com"
    );
    let e = TestPki::builder()
        .client_dn("x", "SN=x", "ca")
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "subject \"SN=x\": attribute type \"sn\" is not one of DC, O, OU, CN, UID, C, L"
    );
}

#[test]
fn identities_and_cas_as_files() {
    let pki = TestPki::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let written = pki.write_identities(dir.path(), &["carol", "bob"]).unwrap();
    let (crt, key) = &written[0];
    assert!(crt.ends_with("carol.crt") && key.ends_with("carol.key"));
    let carol = ClientCert::from_pem_files(crt, key).unwrap();
    assert_eq!(carol.chain().len(), 2, "the chain, leaf then intermediate");
    let ca = dir.path().join("cas.pem");
    pki.write_cas(&ca, &["ca-a", "ca-b"]).unwrap();
    let text = std::fs::read_to_string(&ca).unwrap();
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 2);
    let e = pki.write_identities(dir.path(), &["nobody"]).unwrap_err();
    assert_eq!(e.to_string(), "no entity \"nobody\" in the test PKI");
}
