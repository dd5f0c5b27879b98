//! What `TlsInfo` reports after a handshake, field by field and in its
//! text, for each TLS version and for a certificate sent or declined.

use rustls::version::{TLS12, TLS13};
use rustls::{CipherSuite, ProtocolVersion, SupportedProtocolVersion};

use super::harness::*;
use super::pki::pki;
use crate::tls::{CertRequest, CertStore, TlsMode};

const CA_A: &str = "CN=Test CA-A,O=Example Test,DC=example,DC=com";
const ALICE: &str = "CN=alice,OU=people,DC=example,DC=com";

/// The version, its name in the text, and the suite the client prefers for
/// the test PKI's ECDSA server key.
fn expected(v: &SupportedProtocolVersion) -> (ProtocolVersion, &'static str, CipherSuite) {
    if v.version == ProtocolVersion::TLSv1_3 {
        (
            ProtocolVersion::TLSv1_3,
            "TLSv1_3",
            CipherSuite::TLS13_AES_256_GCM_SHA384,
        )
    } else {
        (
            ProtocolVersion::TLSv1_2,
            "TLSv1_2",
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        )
    }
}

#[tokio::test]
async fn info_reports_a_sent_certificate_field_by_field() {
    let pki = pki();
    for v in [&TLS12, &TLS13] {
        let (version, version_text, suite) = expected(v);
        let auth = webpki(&[&pki.ca_a], Hints::Roots);
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(CertStore::new().with(pki.alice.client_cert()));
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        let info = client.info.unwrap();

        assert_eq!(info.version(), version);
        assert_eq!(info.cipher_suite(), suite);
        assert_eq!(info.mode(), TlsMode::Ldaps);
        assert_eq!(info.server_chain(), pki.server.chain.as_slice());
        assert_eq!(
            info.client_signature_schemes(),
            client.record.signature_schemes.as_slice()
        );
        assert!(!info.client_signature_schemes().is_empty());
        assert_eq!(
            info.trusted_cas()
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [CA_A]
        );
        assert_eq!(
            info.trusted_roots(),
            "1 root certificate(s) given in memory"
        );
        let reason = format!("chose alice: issued by {CA_A}, which the server trusts");
        assert_eq!(info.client_cert_reason(), Some(reason.as_str()));

        let sent = info.client_cert_sent().unwrap();
        assert_eq!(sent.subject(), ALICE);
        assert_eq!(sent.issuer(), CA_A);
        assert_eq!(sent.chain(), pki.alice.chain.as_slice());
        assert_eq!(sent.cert().subject(), ALICE);
        assert_eq!(sent.cert().chain(), pki.alice.chain.as_slice());

        assert_eq!(
            info.to_string(),
            format!(
                "{version_text} (ldaps), {suite:?}; client certificate requested, it trusts: {CA_A}; sent {ALICE}"
            )
        );
        assert_eq!(
            server.await.unwrap().unwrap().peer_chain.unwrap(),
            pki.alice.chain
        );
    }
}

#[tokio::test]
async fn info_reports_a_declined_request_and_no_request() {
    let pki = pki();
    for v in [&TLS12, &TLS13] {
        let (version, version_text, suite) = expected(v);
        let mut auth = webpki(&[&pki.ca_a], Hints::Empty);
        if let ClientAuth::WebPki { optional, .. } = &mut auth {
            *optional = true;
        }
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(|_: &CertRequest<'_>| None);
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        let info = client.info.unwrap();
        assert_eq!(info.trusted_cas(), Some(&[][..]));
        assert!(info.client_cert_sent().is_none());
        assert_eq!(info.client_cert_reason(), Some("the callback declined"));
        assert_eq!(
            info.to_string(),
            format!(
                "{version_text} (ldaps), {suite:?}; client certificate requested, it named no CAs; none sent (the callback declined)"
            )
        );
        assert!(server.await.unwrap().unwrap().peer_chain.is_none());

        let (addr, server) = serve_one(server_config(&ClientAuth::Off, &[v]), After::Greet).await;
        let client = connect(&trusting_ca_a().prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        let info = client.info.unwrap();
        assert_eq!(info.version(), version);
        assert_eq!(info.trusted_cas(), None);
        assert!(info.client_signature_schemes().is_empty());
        assert_eq!(info.client_cert_reason(), None);
        assert_eq!(
            info.to_string(),
            format!("{version_text} (ldaps), {suite:?}; no client certificate requested")
        );
        server.await.unwrap().unwrap();
    }
}
