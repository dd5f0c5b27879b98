//! What the server asks, what the callback sees, what is sent, and how each
//! rejection reads.

use rustls::version::{TLS12, TLS13};
use rustls::{ProtocolVersion, SupportedProtocolVersion};

use super::harness::*;
use super::names::{name, OID_CN};
use super::pki::{example_name, pki};
use crate::error::Error;
use crate::tls::record::CertOutcome;
use crate::tls::{
    callback_panicked, closed_after_handshake, CertRequest, CertStore, EmptyListPolicy,
    ServerCertInfo, ServerCertRejected, TlsSettings,
};

const BOTH: [&SupportedProtocolVersion; 2] = [&TLS12, &TLS13];

fn version(v: &SupportedProtocolVersion) -> ProtocolVersion {
    v.version
}

const CA_A: &str = "CN=Test CA-A,O=Example Test,DC=example,DC=com";
const CA_B: &str = "CN=Test CA-B,O=Example Test,DC=example,DC=com";

#[tokio::test]
async fn hints_are_the_servers_subjects_in_order() {
    let pki = pki();
    for v in BOTH {
        for order in [[&pki.ca_a, &pki.ca_b], [&pki.ca_b, &pki.ca_a]] {
            let auth = webpki(&order, Hints::Roots);
            let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
            let expected = order.iter().map(|ca| ca.name.clone()).collect::<Vec<_>>();
            let store = CertStore::new()
                .with(pki.alice.client_cert())
                .with(pki.bob.client_cert());
            let checking = Checking::once(expected.clone(), store);
            let seen = checking.seen();
            let mut settings = trusting_ca_a();
            settings.set_client_cert_query(checking);
            let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
            assert!(client.error.is_none(), "{:?}", client.error);
            assert!(matches!(&client.read, Some(Ok(g)) if g == GREETING));

            let info = client.info.unwrap();
            assert_eq!(info.version(), version(v));
            let cas = info.trusted_cas().unwrap();
            assert_eq!(
                cas.iter().map(|ca| ca.der().to_vec()).collect::<Vec<_>>(),
                expected
            );
            let first = if order[0].name == pki.ca_a.name {
                CA_A
            } else {
                CA_B
            };
            assert_eq!(seen.lock().unwrap()[0], first);
            // The store picks the identity issued by the first CA it matches,
            // in its own order: alice (CA-A).
            let sent = info.client_cert_sent().unwrap();
            assert_eq!(sent.subject(), "CN=alice,OU=people,DC=example,DC=com");
            assert_eq!(sent.chain(), pki.alice.chain.as_slice());
            assert!(info
                .client_cert_reason()
                .unwrap()
                .starts_with("chose alice: issued by CN=Test CA-A"));
            assert_eq!(info.server_chain(), pki.server.chain.as_slice());
            assert!(!info.client_signature_schemes().is_empty());
            assert!(info.to_string().contains("sent CN=alice"), "{info}");

            let server = server.await.unwrap().unwrap();
            assert_eq!(server.peer_chain.unwrap(), pki.alice.chain);
        }
    }
}

#[tokio::test]
async fn custom_hints_pass_through_byte_for_byte() {
    let pki = pki();
    // Names the server holds no roots for, and one that is not a Name at all.
    let garbage = vec![0xff, 0x00, 0x01];
    let not_utf8 = name(&[&[(OID_CN, 0x0c, &[0xff, 0xfe])]]);
    let extra = example_name(None, Some("Other"), "Somebody Else");
    let hints = vec![pki.ca_b.name.clone(), garbage.clone(), not_utf8, extra];
    for v in BOTH {
        let mut auth = webpki(&[&pki.ca_a, &pki.ca_b], Hints::Custom(hints.clone()));
        if let ClientAuth::WebPki { optional, .. } = &mut auth {
            *optional = true;
        }
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let checking = Checking::once(hints.clone(), |_: &CertRequest<'_>| None);
        let seen = checking.seen();
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(checking);
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                CA_B,
                "#ff0001",
                "CN=#0C02FFFE",
                "CN=Somebody Else,O=Other,DC=example,DC=com"
            ]
        );
        // Declined: anonymous, and the record says so.
        let info = client.info.unwrap();
        assert!(info.client_cert_sent().is_none());
        assert_eq!(info.client_cert_reason(), Some("the callback declined"));
        assert!(server.await.unwrap().unwrap().peer_chain.is_none());
    }
}

#[tokio::test]
async fn empty_hint_list_still_calls_the_callback() {
    let pki = pki();
    for v in BOTH {
        for policy in [EmptyListPolicy::First, EmptyListPolicy::Decline] {
            let mut auth = webpki(&[&pki.ca_a, &pki.ca_b], Hints::Empty);
            if let ClientAuth::WebPki { optional, .. } = &mut auth {
                *optional = true;
            }
            let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
            let store = CertStore::new()
                .with(pki.bob.client_cert())
                .with(pki.alice.client_cert())
                .on_empty_list(policy);
            let mut settings = trusting_ca_a();
            settings.set_client_cert_query(Checking::once(Vec::new(), store));
            let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
            assert!(client.error.is_none(), "{:?}", client.error);
            let info = client.info.unwrap();
            assert_eq!(info.trusted_cas(), Some(&[][..]));
            let peer = server.await.unwrap().unwrap().peer_chain;
            match policy {
                EmptyListPolicy::First => {
                    assert_eq!(
                        info.client_cert_sent().unwrap().subject(),
                        "CN=bob,OU=people,DC=example,DC=com"
                    );
                    assert_eq!(peer.unwrap(), pki.bob.chain);
                }
                _ => {
                    assert!(info.client_cert_sent().is_none());
                    assert!(peer.is_none());
                }
            }
        }
    }
}

#[tokio::test]
async fn no_certificate_request_no_callback() {
    for v in BOTH {
        let (addr, server) = serve_one(server_config(&ClientAuth::Off, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(Checking::never());
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        let info = client.info.unwrap();
        assert_eq!(info.trusted_cas(), None);
        assert!(info.client_cert_sent().is_none());
        assert_eq!(info.client_cert_reason(), None);
        assert!(!client.record.cert_requested);
        assert!(closed_after_handshake(&client.record).is_none());
        server.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn cert_store_picks_by_issuer_including_intermediates() {
    let pki = pki();
    for v in BOTH {
        // Only CA-B trusted: bob, though alice comes first.
        let auth = webpki(&[&pki.ca_b], Hints::Roots);
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(
            CertStore::new()
                .with(pki.alice.client_cert())
                .with(pki.bob.client_cert()),
        );
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(
            matches!(&client.read, Some(Ok(g)) if g == GREETING),
            "{:?}",
            client.error
        );
        assert_eq!(
            server.await.unwrap().unwrap().peer_chain.unwrap(),
            pki.bob.chain
        );

        // CA-A and CA-B trusted, carol issued by CA-A's intermediate: her
        // whole chain goes, and the server accepts it.
        let auth = webpki(&[&pki.ca_a, &pki.ca_b], Hints::Roots);
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(
            CertStore::new()
                .with(pki.mallory.client_cert())
                .with(pki.carol.client_cert()),
        );
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(
            matches!(&client.read, Some(Ok(g)) if g == GREETING),
            "{:?}",
            client.error
        );
        let info = client.info.unwrap();
        assert_eq!(
            info.client_cert_reason().unwrap(),
            format!("chose carol: its chain was issued by {CA_A}, which the server trusts")
        );
        assert_eq!(
            server.await.unwrap().unwrap().peer_chain.unwrap(),
            pki.carol.chain
        );
    }
}

#[tokio::test]
async fn panicking_callback_is_caught() {
    let pki = pki();
    for v in BOTH {
        let mut auth = webpki(&[&pki.ca_a], Hints::Roots);
        if let ClientAuth::WebPki { optional, .. } = &mut auth {
            *optional = true;
        }
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert_query(|_: &CertRequest<'_>| -> Option<crate::tls::ClientCert> {
            panic!("boom in the callback")
        });
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        // The handshake went on without a certificate...
        assert!(client.error.is_none(), "{:?}", client.error);
        assert!(client.info.unwrap().client_cert_sent().is_none());
        assert_eq!(
            client.record.callback_panic.as_deref(),
            Some("boom in the callback")
        );
        // ...and connect fails with the panic.
        match callback_panicked(&client.record) {
            Some(Error::CallbackPanicked(m)) => assert_eq!(m, "boom in the callback"),
            other => panic!("{other:?}"),
        }
        server.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn key_without_a_common_scheme_is_skipped() {
    let pki = pki();
    for v in BOTH {
        let auth = ClientAuth::WebPki {
            roots: vec![&pki.ca_a],
            hints: Hints::Roots,
            optional: true,
            rsa_only: true,
        };
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        // A static certificate with an ECDSA key; the server accepts only RSA.
        let mut settings = trusting_ca_a();
        settings.set_client_cert(pki.alice.client_cert());
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        let reason = client
            .info
            .unwrap()
            .client_cert_reason()
            .unwrap()
            .to_owned();
        assert!(
            reason.starts_with(
                "skipped alice: its ECDSA key cannot sign with any scheme the server accepts (RSA_"
            ),
            "{reason}"
        );
        assert!(server.await.unwrap().unwrap().peer_chain.is_none());

        // A callback returning it anyway: the resolver skips it.
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        let alice = pki.alice.client_cert();
        settings.set_client_cert_query(move |_: &CertRequest<'_>| Some(alice.clone()));
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        match &client.record.outcome {
            CertOutcome::NotSent { reason } => assert!(
                reason.contains("its ECDSA key cannot sign with any scheme"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(server.await.unwrap().unwrap().peer_chain.is_none());
    }
}

#[tokio::test]
async fn server_closing_after_the_handshake_is_a_rejection() {
    // slapd `try`/`demand` with an untrusted certificate: the handshake
    // completes, then the server closes without an alert.
    let pki = pki();
    for v in BOTH {
        let auth = ClientAuth::AcceptAnything {
            roots: vec![&pki.ca_a, &pki.ca_b],
        };
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Drop).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert(pki.mallory.client_cert());
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        let expected = format!(
            "the server closed the connection after asking for a client certificate: it trusts: {CA_A}; {CA_B}; sent: CN=mallory,OU=people,DC=example,DC=com (issued by CN=Untrusted CA,O=Evil Test, not among the CAs the server named)"
        );
        match client.read {
            Some(Err(Some(Error::ClientCertRejected(m)))) => assert_eq!(m, expected),
            other => panic!("{other:?}"),
        }
        server.await.unwrap().unwrap();

        // No certificate configured (any more).
        let (addr, _server) = serve_one(server_config(&auth, &[v]), After::Drop).await;
        settings.clear_client_cert();
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        match client.read {
            Some(Err(Some(Error::ClientCertRejected(m)))) => assert!(
                m.ends_with(&format!(
                    "it trusts: {CA_A}; {CA_B}; none was sent (no client certificate configured)"
                )),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn tls12_close_during_handshake_is_explained() {
    // slapd `demand` under TLS 1.2 without a certificate: it closes during
    // the handshake, with no alert.
    let pki = pki();
    let config = server_config(&webpki(&[&pki.ca_a, &pki.ca_b], Hints::Roots), &[&TLS12]);
    let (addr, server) = serve_one_closing_mid_handshake(config);
    let mut settings = trusting_ca_a();
    settings.set_client_cert_query(|_: &CertRequest<'_>| None);
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    match client.error {
        Some(Error::ClientCertRejected(m)) => assert_eq!(
            m,
            format!("server closed the connection during the TLS handshake after demanding a client certificate; none was sent (the callback declined); it trusts: {CA_A}; {CA_B}")
        ),
        other => panic!("{other:?}"),
    }
    server.join().unwrap();
}

#[tokio::test]
async fn rustls_server_demanding_a_certificate() {
    // A rustls server rejects a missing certificate with an alert: during the
    // handshake under TLS 1.2, on the first read under TLS 1.3.
    let pki = pki();
    for v in BOTH {
        let auth = webpki(&[&pki.ca_a, &pki.ca_b], Hints::Roots);
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let client = connect(&trusting_ca_a().prepare().unwrap(), addr, "localhost").await;
        let error = match (client.error, client.read) {
            (Some(e), None) => e,
            (None, Some(Err(Some(e)))) => e,
            other => panic!("{other:?}"),
        };
        match error {
            Error::ClientCertRejected(m) => {
                assert!(m.contains("alert CertificateRequired"), "{m}");
                assert!(
                    m.contains("none was sent (no client certificate configured)"),
                    "{m}"
                );
                assert!(m.contains(&format!("it trusts: {CA_A}; {CA_B}")), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert!(server.await.unwrap().is_err());
    }
}

#[tokio::test]
async fn server_cert_hook() {
    let pki = pki();
    let auth = ClientAuth::Off;
    // Accepting: it sees the server's chain and the name.
    let (addr, server) = serve_one(server_config(&auth, &BOTH), After::Greet).await;
    let mut settings = trusting_ca_a();
    let expected = pki.server.chain[0].clone();
    settings.set_server_cert_hook(move |info: &ServerCertInfo<'_>| {
        assert_eq!(info.server_name(), "localhost");
        assert!(info.intermediates().is_empty());
        if info.end_entity() == &expected {
            Ok(())
        } else {
            Err("unexpected".to_owned())
        }
    });
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    assert!(client.error.is_none(), "{:?}", client.error);
    server.await.unwrap().unwrap();

    // Rejecting: the error carries its reason.
    let (addr, _server) = serve_one(server_config(&auth, &BOTH), After::Greet).await;
    let mut settings = trusting_ca_a();
    settings.set_server_cert_hook(|_: &ServerCertInfo<'_>| Err("pin mismatch for ldap".to_owned()));
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    match client.error {
        Some(Error::Tls { message, source }) => {
            assert_eq!(
                message,
                "the certificate of localhost was rejected: rejected by the server certificate hook: pin mismatch for ldap"
            );
            assert!(source.is_some());
        }
        other => panic!("{other:?}"),
    }

    // It runs even with verification disabled (pinning alone).
    let (addr, _server) = serve_one(server_config(&auth, &BOTH), After::Greet).await;
    let mut settings = TlsSettings::new();
    settings.set_dangerous_disable_server_verification(true);
    settings.set_server_cert_hook(|_: &ServerCertInfo<'_>| Err("nope".to_owned()));
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    assert!(client.error.unwrap().to_string().contains("nope"));
}

#[tokio::test]
async fn server_cert_hook_typed_rejection() {
    let auth = ClientAuth::Off;
    // The connect error is Error::Tls; the hook's value comes back from it,
    // and its source's message is in the connect error's.
    let (addr, _server) = serve_one(server_config(&auth, &BOTH), After::Greet).await;
    let mut settings = trusting_ca_a();
    settings.set_server_cert_hook(|info: &ServerCertInfo<'_>| {
        let why = std::io::Error::new(std::io::ErrorKind::NotFound, "no pin file");
        Err(
            ServerCertRejected::new(format!("cannot check {}", info.server_name()))
                .with_source(why),
        )
    });
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    let error = client.error.unwrap();
    let rejected = ServerCertRejected::find_in(&error).expect("the hook's rejection");
    assert_eq!(rejected.message(), "cannot check localhost");
    assert_eq!(
        std::error::Error::source(rejected).unwrap().to_string(),
        "no pin file"
    );
    match &error {
        Error::Tls { message, source } => {
            assert_eq!(
                message,
                "the certificate of localhost was rejected: rejected by the server certificate hook: cannot check localhost: no pin file"
            );
            assert!(matches!(
                source,
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::Other(_)
                ))
            ));
        }
        other => panic!("{other:?}"),
    }

    // A panic in the hook rejects the certificate with its message.
    let (addr, _server) = serve_one(server_config(&auth, &BOTH), After::Greet).await;
    let mut settings = trusting_ca_a();
    settings.set_server_cert_hook(|_: &ServerCertInfo<'_>| -> Result<(), ServerCertRejected> {
        panic!("pin store unavailable")
    });
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    let error = client.error.unwrap();
    assert_eq!(
        ServerCertRejected::find_in(&error).map(ServerCertRejected::message),
        Some("the hook panicked: pin store unavailable")
    );
    assert_eq!(
        error.to_string(),
        "TLS error: the certificate of localhost was rejected: rejected by the server certificate hook: the hook panicked: pin store unavailable"
    );

    // Other failures are not the hook's.
    assert!(ServerCertRejected::find_in(&Error::Config("x".to_owned())).is_none());
}

#[tokio::test]
async fn ca_file_problems_name_the_file() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("missing.pem");
    let mut settings = TlsSettings::new();
    settings.add_ca_file(&missing);
    let e = settings.prepare().unwrap_err().to_string();
    assert!(
        e.contains(&format!("cannot read CA file {}", missing.display())),
        "{e}"
    );

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let mut settings = TlsSettings::new();
    settings.add_ca_file(&empty);
    let e = settings.prepare().unwrap_err().to_string();
    assert!(
        e.contains(&format!("no certificate found in {}", empty.display())),
        "{e}"
    );

    assert!(TlsSettings::new().prepare().is_err(), "no roots at all");
    // The system store: whatever this machine has, it loads or says why not.
    let mut system = TlsSettings::new();
    system.set_system_roots(true);
    if let Err(e) = system.prepare() {
        assert!(e.to_string().contains("system store"), "{e}");
    }

    // A CA file that does not cover the server.
    let wrong = dir.path().join("ca-b.pem");
    let b = super::pki::Leaf {
        chain: vec![pki.ca_b.cert.clone()],
        key: Vec::new(),
    };
    std::fs::write(&wrong, b.cert_pem()).unwrap();
    let mut settings = TlsSettings::new();
    settings.add_ca_file(&wrong);
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &BOTH), After::Greet).await;
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    let e = client.error.unwrap().to_string();
    assert!(
        e.contains(&format!(
            "the certificate of localhost was not issued by a trusted CA (trusted roots: {})",
            wrong.display()
        )),
        "{e}"
    );

    // The right one works.
    let right = dir.path().join("ca-a.pem");
    let a = super::pki::Leaf {
        chain: vec![pki.ca_a.cert.clone()],
        key: Vec::new(),
    };
    std::fs::write(&right, a.cert_pem()).unwrap();
    let mut settings = TlsSettings::new();
    settings.add_ca_file(&right);
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &BOTH), After::Greet).await;
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    assert!(client.error.is_none(), "{:?}", client.error);
}

#[tokio::test]
async fn host_name_must_match() {
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &BOTH), After::Greet).await;
    let client = connect(
        &trusting_ca_a().prepare().unwrap(),
        addr,
        "ldap.example.org",
    )
    .await;
    let e = client.error.unwrap().to_string();
    assert!(
        e.contains("the certificate of the server is not valid for the name ldap.example.org"),
        "{e}"
    );

    // By IP address, which the certificate lists.
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &BOTH), After::Greet).await;
    let client = connect(&trusting_ca_a().prepare().unwrap(), addr, "127.0.0.1").await;
    assert!(client.error.is_none(), "{:?}", client.error);

    // Disabled verification accepts the wrong name.
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &BOTH), After::Greet).await;
    let mut settings = TlsSettings::new();
    settings.set_dangerous_disable_server_verification(true);
    let client = connect(&settings.prepare().unwrap(), addr, "ldap.example.org").await;
    assert!(client.error.is_none(), "{:?}", client.error);
}

#[tokio::test]
async fn versions_can_be_limited() {
    use crate::tls::TlsVersion;
    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &[&TLS13]), After::Greet).await;
    let mut settings = trusting_ca_a();
    settings.set_versions(&[TlsVersion::Tls12]);
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    assert!(
        matches!(client.error, Some(Error::Tls { .. })),
        "{:?}",
        client.error
    );

    let (addr, _server) = serve_one(server_config(&ClientAuth::Off, &BOTH), After::Greet).await;
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    assert_eq!(client.info.unwrap().version(), ProtocolVersion::TLSv1_2);

    settings.set_versions(&[]);
    assert!(settings.prepare().is_err());
}
