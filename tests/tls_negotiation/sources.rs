//! Through `LdapConn::connect` against the in-process TLS server: the async
//! client-certificate source (ok, error, timeout, panic), key pinning, the
//! override hook, and a key held behind rustls' `SigningKey` trait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::sync::mpsc;
use tokio_ldap::testkit::pki::Pki;
use tokio_ldap::testkit::server::{tls_config, ClientAuth, Peer, Server};
use tokio_ldap::tls::{spki_sha256, ServerCertInfo, ServerCertRejected, SourceRequest};
use tokio_ldap::{ClientCert, ConnConfig, Error, LdapConn};

/// A server requiring a certificate under CA-A (naming only CA-A) that
/// reports the chain each client sent.
async fn server() -> (
    Server,
    mpsc::UnboundedReceiver<Option<Vec<CertificateDer<'static>>>>,
) {
    let config = tls_config(Pki::ec(), &ClientAuth::request(&["ca_a"]), &[]).unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let srv = Server::start_tls(config, move |mut peer: Peer| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(peer.client_chain().map(<[_]>::to_vec));
            peer.read_to_end().await;
        }
    })
    .await
    .unwrap();
    (srv, rx)
}

fn trusting_ca_a() -> ConnConfig {
    ConnConfig::new().root_certificate(Pki::ec().ca_a.cert())
}

fn cert(name: &str) -> ClientCert {
    Pki::ec().entity(name).unwrap().client_cert().unwrap()
}

#[tokio::test]
async fn source_candidates_are_chosen_by_the_servers_cas() {
    let (srv, mut sent) = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let expected_url = srv.ldaps_localhost();
    let config = trusting_ca_a().client_cert_source(move |request: &SourceRequest<'_>| {
        counter.fetch_add(1, Ordering::SeqCst);
        assert_eq!(request.url(), expected_url);
        async move {
            tokio::task::yield_now().await;
            Ok::<_, Error>(vec![cert("bob"), cert("alice")])
        }
    });
    for round in 1..=2 {
        let conn = LdapConn::connect(&srv.ldaps_localhost(), config.clone())
            .await
            .unwrap();
        let chain = sent.recv().await.unwrap().expect("a client certificate");
        assert_eq!(chain, Pki::ec().alice.chain);
        let info = conn.tls_info().unwrap();
        assert_eq!(
            info.client_cert_sent().unwrap().subject(),
            "CN=alice,OU=people,DC=example,DC=com"
        );
        assert_eq!(calls.load(Ordering::SeqCst), round, "once per connect");
    }
}

#[tokio::test]
async fn source_error_fails_the_connect_saying_so() {
    let (srv, _sent) = server().await;
    let config = trusting_ca_a().client_cert_source(|_: &SourceRequest<'_>| async {
        Err::<Vec<ClientCert>, _>("the vault is sealed")
    });
    let err = LdapConn::connect(&srv.ldaps_localhost(), config)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClientCertSource(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the client certificate source failed: the vault is sealed"
    );
}

#[tokio::test]
async fn source_timeout_fails_the_connect_within_the_connect_timeout() {
    let (srv, _sent) = server().await;
    let config = trusting_ca_a()
        .connect_timeout(Some(Duration::from_millis(200)))
        .client_cert_source(|_: &SourceRequest<'_>| async {
            std::future::pending::<()>().await;
            Ok::<Vec<ClientCert>, Error>(Vec::new())
        });
    let err = LdapConn::connect(&srv.ldaps_localhost(), config)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClientCertSource(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the client certificate source gave no answer within 200ms (the connect timeout)"
    );
}

#[tokio::test]
async fn source_panic_fails_the_connect_saying_so() {
    let (srv, _sent) = server().await;
    let config = trusting_ca_a().client_cert_source(|_: &SourceRequest<'_>| async {
        if true {
            panic!("sidecar client bug");
        }
        Ok::<Vec<ClientCert>, Error>(Vec::new())
    });
    let err = LdapConn::connect(&srv.ldaps_localhost(), config)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClientCertSource(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the client certificate source panicked: sidecar client bug"
    );
}

#[tokio::test]
async fn pins_through_connect() {
    let (srv, _sent) = server().await;
    let pin = spki_sha256(&Pki::ec().server.cert()).unwrap();
    let config = trusting_ca_a()
        .client_cert(cert("alice"))
        .pin_server_key([0; 32])
        .pin_server_key(pin);
    LdapConn::connect(&srv.ldaps_localhost(), config)
        .await
        .unwrap();

    let config = trusting_ca_a()
        .client_cert(cert("alice"))
        .pin_server_key([0; 32]);
    let err = LdapConn::connect(&srv.ldaps_localhost(), config)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "TLS error: the certificate of localhost was rejected: rejected by key pinning: its public key (SPKI SHA-256 "
        ),
        "{err}"
    );
    assert!(ServerCertRejected::find_in(&err).is_some());

    // An untrusted server (CA-B only is trusted) accepted by the override
    // under the pin.
    let config = ConnConfig::new()
        .root_certificate(Pki::ec().ca_b.cert())
        .client_cert(cert("alice"))
        .pin_server_key(pin)
        .dangerous_server_cert_override(
            |_: &ServerCertInfo<'_>| -> Result<(), ServerCertRejected> { Ok(()) },
        );
    LdapConn::connect(&srv.ldaps_localhost(), config)
        .await
        .unwrap();
}

#[test]
fn crypto_provider_is_used_and_the_process_default_left_alone() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (srv, _sent) = server().await;
        // A provider with only one cipher suite: the connection must use it.
        let mut provider = rustls::crypto::ring::default_provider();
        provider
            .cipher_suites
            .retain(|s| s.suite() == rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
        let config = trusting_ca_a()
            .client_cert(cert("alice"))
            .crypto_provider(Arc::new(provider));
        let conn = LdapConn::connect(&srv.ldaps_localhost(), config)
            .await
            .unwrap();
        assert_eq!(
            conn.tls_info().unwrap().cipher_suite(),
            rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
        );
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    });
}
