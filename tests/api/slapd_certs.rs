//! Client certificates against a real slapd, all through `QueryClientCert`
//! and `bind_external`: the scenario table shared with 389-DS
//! (`cert_matrix`: {LDAPS, StartTLS} × {TLS 1.2, TLS 1.3} × {CA-A, CA-B,
//! intermediate chain, leaf-only chain, untrusted CA, callback declines} ×
//! {demand, try}), slapd's own cases, and a key behind `SigningKey`
//! (signing, failing), an async certificate source, key pinning.

use std::sync::{Arc, Mutex};

use tokio_ldap::tls::TlsVersion;
use tokio_ldap::{CertRequest, ClientCert, ConnConfig, Error, LdapConn};

use crate::cert_matrix::{self, Policy, Server, Target};
use crate::support::slapd::{Slapd, SlapdOptions, VerifyClient};

/// The shared scenario table (`cert_matrix`) against slapd with
/// `TLSVerifyClient` `policy` (demand for required, try for allowed).
async fn matrix(policy: Policy) {
    let slapd = Slapd::start(SlapdOptions {
        verify_client: match policy {
            Policy::Required => VerifyClient::Demand,
            Policy::Allowed => VerifyClient::Try,
        },
        ..Default::default()
    });
    let log = || slapd.log();
    cert_matrix::run(&Target {
        server: Server::Slapd,
        policy,
        ldap_url: slapd.ldap_url(),
        ldaps_url: slapd.ldaps_url(),
        pki: slapd.pki(),
        files: slapd.files(),
        log: &log,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_matrix_under_demand() {
    matrix(Policy::Required).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_matrix_under_try() {
    matrix(Policy::Allowed).await;
}

#[tokio::test]
async fn declining_under_try_stays_anonymous() {
    let slapd = Slapd::start(SlapdOptions {
        verify_client: VerifyClient::Try,
        ..Default::default()
    });
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert_query(|_: &CertRequest<'_>| None);
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    let info = conn.tls_info().unwrap();
    assert_eq!(info.trusted_cas().map(<[_]>::len), Some(2));
    assert!(info.client_cert_sent().is_none());
    assert_eq!(conn.whoami().await.unwrap(), None);
    let err = conn.bind_external(None).await.unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(tokio_ldap::ResultCode::AUTH_METHOD_NOT_SUPPORTED)
    );
    assert!(
        err.to_string()
            .contains("no client certificate was sent during the TLS handshake"),
        "{err}"
    );
}

#[tokio::test]
async fn no_certificate_request_under_never() {
    let slapd = Slapd::start(SlapdOptions {
        verify_client: VerifyClient::Never,
        ..Default::default()
    });
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert_query(move |_: &CertRequest<'_>| {
            *c.lock().unwrap() += 1;
            None
        });
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        0,
        "no CertificateRequest, no callback"
    );
    assert!(conn.tls_info().unwrap().trusted_cas().is_none());
    let err = conn.bind_external(None).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the server did not ask for a client certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn bind_external_with_authzid_and_over_ldapi() {
    let slapd = Slapd::start_default();
    // EXTERNAL over ldapi: peer credentials, mapped to the admin by the
    // harness's authz-regexp.
    let conn = LdapConn::connect(&slapd.ldapi_url(), ConnConfig::new())
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:cn=admin,dc=example,dc=com")
    );

    // An authzid asks to act as another identity: refused without a
    // policy allowing it, accepted with `authz-policy to` and an authzTo
    // on the authenticated identity's entry.
    let slapd = Slapd::start(SlapdOptions {
        extra_global_config: "authz-policy to\n".into(),
        ..Default::default()
    });
    slapd.modify_ldif(
        "dn: uid=alice,ou=people,dc=example,dc=com\nchangetype: modify\nadd: authzTo\nauthzTo: dn:uid=bob,ou=people,dc=example,dc=com\n",
    );
    let url = slapd.ldaps_url();
    let connect = |who: &str| {
        let (cert, key) = slapd.files().client(who).expect("a client of the test PKI");
        let config = ConnConfig::new()
            .ca_file(&slapd.files().ca_a)
            .client_cert(ClientCert::from_pem_files(cert, key).unwrap());
        LdapConn::connect(&url, config)
    };
    let carol = connect("carol").await.unwrap();
    let err = carol
        .bind_external(Some("dn:uid=bob,ou=people,dc=example,dc=com"))
        .await
        .unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(tokio_ldap::ResultCode::INSUFFICIENT_ACCESS_RIGHTS)
    );
    assert_eq!(
        err.to_string(),
        "bind failed: insufficientAccessRights (50): SASL(-14): authorization failure: not \
         authorized (the server refused the client certificate sent during the TLS handshake, \
         CN=carol,OU=people,DC=example,DC=com (issued by CN=Test CA-A Intermediate,O=Example \
         Test,DC=example,DC=com), acting as dn:uid=bob,ou=people,dc=example,dc=com)"
    );
    let alice = connect("alice").await.unwrap();
    alice
        .bind_external(Some("dn:uid=bob,ou=people,dc=example,dc=com"))
        .await
        .unwrap();
    assert_eq!(
        alice.whoami().await.unwrap().as_deref(),
        Some("dn:uid=bob,ou=people,dc=example,dc=com")
    );
}

#[tokio::test]
async fn rsa_pki_works_too() {
    let slapd = Slapd::start(SlapdOptions {
        key: crate::support::pki::KeyType::Rsa,
        ..Default::default()
    });
    let (cert, key) = slapd
        .files()
        .client("bob")
        .expect("a client of the test PKI");
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert(ClientCert::from_pem_files(cert, key).unwrap());
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    conn.bind_external(None).await.unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:uid=bob,ou=people,dc=example,dc=com")
    );
}

/// An HSM-like key for slapd: the test PKI's software key behind rustls'
/// `SigningKey`, counting signatures, failing when told to.
#[derive(Debug)]
struct TokenKey {
    key: Arc<dyn rustls::sign::SigningKey>,
    fail: bool,
    signed: Arc<std::sync::atomic::AtomicUsize>,
}

#[derive(Debug)]
struct TokenSigner {
    inner: Box<dyn rustls::sign::Signer>,
    fail: bool,
    signed: Arc<std::sync::atomic::AtomicUsize>,
}

impl rustls::sign::SigningKey for TokenKey {
    fn choose_scheme(
        &self,
        offered: &[rustls::SignatureScheme],
    ) -> Option<Box<dyn rustls::sign::Signer>> {
        Some(Box::new(TokenSigner {
            inner: self.key.choose_scheme(offered)?,
            fail: self.fail,
            signed: Arc::clone(&self.signed),
        }))
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        self.key.algorithm()
    }
}

impl rustls::sign::Signer for TokenSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.signed
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.fail {
            return Err(rustls::Error::General("the token was removed".into()));
        }
        self.inner.sign(message)
    }

    fn scheme(&self) -> rustls::SignatureScheme {
        self.inner.scheme()
    }
}

fn token_cert(who: &str, fail: bool) -> (ClientCert, Arc<std::sync::atomic::AtomicUsize>) {
    let entity = tokio_ldap::testkit::pki::Pki::ec().entity(who).unwrap();
    let key = rustls::crypto::ring::sign::any_supported_type(&entity.key()).unwrap();
    let signed = Arc::default();
    let token = TokenKey {
        key,
        fail,
        signed: Arc::clone(&signed),
    };
    let cert = ClientCert::from_signing_key(entity.chain.clone(), Arc::new(token)).unwrap();
    (cert, signed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_behind_signing_key_binds_external() {
    let slapd = Slapd::start(SlapdOptions::default());
    for versions in [[TlsVersion::Tls12], [TlsVersion::Tls13]] {
        let (cert, signed) = token_cert("alice", false);
        let config = ConnConfig::new()
            .ca_file(&slapd.files().ca_a)
            .client_cert(cert)
            .tls_versions(&versions);
        let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
        conn.bind_external(None).await.unwrap();
        let who = conn.whoami().await.unwrap().unwrap();
        assert!(who.contains("alice"), "{who}");
        assert_eq!(signed.load(std::sync::atomic::Ordering::SeqCst), 1);

        let (cert, signed) = token_cert("alice", true);
        let config = ConnConfig::new()
            .ca_file(&slapd.files().ca_a)
            .client_cert(cert)
            .tls_versions(&versions);
        let err = LdapConn::connect(&slapd.ldaps_url(), config)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        assert!(
            err.to_string().contains(
                "the client key of CN=alice,OU=people,DC=example,DC=com failed to sign the handshake: unexpected error: the token was removed"
            ),
            "{err}"
        );
        assert_eq!(signed.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn a_source_pins_and_the_store_filter_against_slapd() {
    let slapd = Slapd::start(SlapdOptions::default());
    let pin =
        tokio_ldap::tls::spki_sha256(&tokio_ldap::testkit::pki::Pki::ec().server.cert()).unwrap();
    let files = slapd.files().clone();
    let source = move |_: &tokio_ldap::tls::SourceRequest<'_>| {
        let files = files.clone();
        async move {
            let mut certs = Vec::new();
            for who in ["mallory", "bob"] {
                let (crt, key) = files.client(who).expect("a test client");
                certs.push(ClientCert::from_pem_files(crt, key)?);
            }
            Ok::<_, Error>(certs)
        }
    };
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .pin_server_key(pin)
        .client_cert_source(source);
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    conn.bind_external(None).await.unwrap();
    let who = conn.whoami().await.unwrap().unwrap();
    assert!(who.contains("bob"), "{who}");
    let reason = conn
        .tls_info()
        .unwrap()
        .client_cert_reason()
        .unwrap()
        .to_owned();
    assert!(
        reason.starts_with("chose bob: issued by CN=Test CA-B"),
        "{reason}"
    );

    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .pin_server_key([0; 32]);
    let err = LdapConn::connect(&slapd.ldaps_url(), config)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("rejected by key pinning"), "{err}");
}
