//! The test support itself: the PKI's shapes and errors, the files it
//! writes, and a round trip through the scripted server.

use std::net::Ipv6Addr;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use x509_parser::extensions::GeneralName;

use super::pki::{pem, KeyType, Pki, PkiBuilder, Rdn};
use super::server::{serve_one, Peer};
use crate::proto::{MessageId, ProtocolOp, ResultCode};

#[test]
fn standard_pki_shapes() {
    let pki = Pki::ec();
    // Chains as sent: the leaf, then the intermediates below the root.
    assert_eq!(pki.server.chain.len(), 1);
    assert_eq!(pki.alice.chain.len(), 1);
    assert_eq!(pki.carol.chain.len(), 2);
    assert_eq!(
        pki.carol.chain[1].as_ref(),
        pki.ca_a_int.cert_der.as_slice()
    );
    assert_eq!(pki.carol.issuer_der, pki.ca_a_int.subject_der);
    assert_eq!(pki.ca_a_int.issuer_der, pki.ca_a.subject_der);
    assert_eq!(pki.ca_a.issuer_der, pki.ca_a.subject_der);
    assert_eq!(pki.mallory.issuer_der, pki.ca_evil.subject_der);
    assert_eq!(
        pki.alice.client_cert().unwrap().subject(),
        "CN=alice,OU=people,DC=example,DC=com"
    );

    // The server answers for localhost, 127.0.0.1 and ::1.
    let (_, cert) = x509_parser::parse_x509_certificate(&pki.server.cert_der).unwrap();
    let san = cert.subject_alternative_name().unwrap().unwrap();
    let names = &san.value.general_names;
    assert!(names.contains(&GeneralName::DNSName("localhost")));
    assert!(names.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])));
    let v6 = Ipv6Addr::LOCALHOST.octets();
    assert!(names.contains(&GeneralName::IPAddress(&v6)));

    // PEM is the DER.
    let parsed = CertificateDer::from_pem_slice(pki.ca_b.cert_pem.as_bytes()).unwrap();
    assert_eq!(parsed.as_ref(), pki.ca_b.cert_der.as_slice());
    assert_eq!(pem("CERTIFICATE", &pki.ca_b.cert_der), pki.ca_b.cert_pem);
}

#[test]
fn builder_errors_name_the_entity() {
    let e = PkiBuilder::new(KeyType::Ec)
        .client("alice", &[Rdn::Cn("alice")], "nobody")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("alice: issuer \"nobody\""), "{e}");

    let e = PkiBuilder::new(KeyType::Ec)
        .root("ca", &[Rdn::Cn("one")])
        .root("ca", &[Rdn::Cn("two")])
        .build()
        .unwrap_err();
    assert_eq!(e.to_string(), "ca: defined twice");

    let dcs = [
        Rdn::Dc("a"),
        Rdn::Dc("b"),
        Rdn::Dc("c"),
        Rdn::Dc("d"),
        Rdn::Dc("e"),
    ];
    let e = PkiBuilder::new(KeyType::Ec)
        .root("ca", &dcs)
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains("at most four domain components"),
        "{e}"
    );

    let mut pki = PkiBuilder::new(KeyType::Ec)
        .root("ca", &[Rdn::O("Example Test"), Rdn::Cn("CA")])
        .build()
        .unwrap();
    pki.extend(PkiBuilder::new(KeyType::Ec).client("c", &[Rdn::Cn("c")], "ca"))
        .unwrap();
    assert_eq!(
        pki.entity("c").unwrap().issuer_der,
        pki.entity("ca").unwrap().subject_der
    );
    assert!(pki.entity("d").is_err());
}

#[test]
fn written_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = Pki::ec().write_to(&dir.path().join("pki")).unwrap();
    let chain = std::fs::read_to_string(&files.carol_chain).unwrap();
    assert_eq!(chain, Pki::ec().carol.chain_pem());
    assert!(files.client("nobody").is_none());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&files.server_key), 0o600);
        assert_eq!(mode(&files.alice_key), 0o600);
    }
}

#[tokio::test]
async fn scripted_server_round_trip() {
    let (addr, task) = serve_one(None, |mut peer: Peer| async move {
        let m = peer.recv().await.unwrap();
        peer.extended_response(m.id, ResultCode::SUCCESS, Some(b"dn:x"))
            .await
            .unwrap();
        peer.recv().await.is_none()
    })
    .await
    .unwrap();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut out = Vec::new();
    Peer::encode_into(
        &mut out,
        MessageId(1),
        ProtocolOp::ExtendedRequest(crate::proto::extended::WhoAmI::request()),
    );
    tcp.write_all(&out).await.unwrap();
    let mut reply = vec![0; 64];
    let n = tcp.read(&mut reply).await.unwrap();
    assert!(n > 0);
    drop(tcp);
    assert!(task.await.unwrap().unwrap(), "the server saw the close");
}
