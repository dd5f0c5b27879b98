//! What 389 Directory Server does differently from slapd, played by the
//! scripted server so that it is tested on every platform and without
//! 389-DS: its WhoAmI spelling (`dn: uid=...`), its bare invalidCredentials
//! for a certificate it cannot map, and its TLS alerts for a refused
//! client certificate. The same behaviours against a real 389-DS are in
//! `ds389_certs`.

use std::sync::Arc;
use std::time::Duration;

use tokio_ldap::proto::authz::AuthzIdError;
use tokio_ldap::proto::dn::Dn;
use tokio_ldap::proto::{ProtocolOp, ResultCode};
use tokio_ldap::rustls::client::danger::HandshakeSignatureValid;
use tokio_ldap::rustls::pki_types::{CertificateDer, UnixTime};
use tokio_ldap::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_ldap::rustls::server::WebPkiClientVerifier;
use tokio_ldap::rustls::version::{TLS12, TLS13};
use tokio_ldap::rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme, SupportedProtocolVersion,
};
use tokio_ldap::{AuthzId, ClientCert, ConnConfig, Error, LdapConn, ProtocolError};

use crate::support::pki::Pki;
use crate::support::server::{self, ClientAuth, Peer};

const CA_A: &str = "CN=Test CA-A,O=Example Test,DC=example,DC=com";
const CA_B: &str = "CN=Test CA-B,O=Example Test,DC=example,DC=com";
const ALICE: &str = "CN=alice,OU=people,DC=example,DC=com";
const MALLORY: &str = "CN=mallory,OU=people,DC=example,DC=com";

fn tls_client() -> ConnConfig {
    ConnConfig::new()
        .connect_timeout(Some(Duration::from_secs(5)))
        .root_certificate(CertificateDer::from(Pki::ec().ca_a.cert_der.clone()))
}

fn cert(name: &str) -> ClientCert {
    server::entity(Pki::ec(), name)
        .client_cert()
        .expect("client cert")
}

/// Answers every WhoAmI with the next of `answers` (`None`: no value).
async fn whoami_server(answers: Vec<Option<&'static str>>) -> server::Server {
    server::start(move |mut p: Peer| {
        let answers = answers.clone();
        async move {
            for answer in answers {
                let Some(m) = p.recv_op().await else { return };
                let value = answer.map(str::as_bytes);
                p.extended_response(m.id, ResultCode::SUCCESS, value)
                    .await
                    .unwrap();
            }
            while p.recv().await.is_some() {}
        }
    })
    .await
}

#[tokio::test]
async fn whoami_identity_reads_both_servers_spellings() {
    let alice = AuthzId::Dn(Dn::parse("uid=alice,ou=people,dc=example,dc=com").unwrap());
    let answers = vec![
        Some("dn:uid=alice,ou=people,dc=example,dc=com"),
        Some("dn: uid=alice,ou=people,dc=example,dc=com"),
        Some("u:bob"),
        Some(""),
        None,
    ];
    let srv = whoami_server(answers).await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    // slapd's and 389-DS's spelling of the same identity.
    assert_eq!(conn.whoami_identity().await.unwrap(), alice);
    let ds389 = conn.whoami_identity().await.unwrap();
    assert_eq!(ds389, alice);
    assert_eq!(
        ds389.to_string(),
        "dn:uid=alice,ou=people,dc=example,dc=com"
    );
    assert_eq!(
        conn.whoami_identity().await.unwrap(),
        AuthzId::User("bob".into())
    );
    assert_eq!(conn.whoami_identity().await.unwrap(), AuthzId::Anonymous);
    assert_eq!(conn.whoami_identity().await.unwrap(), AuthzId::Anonymous);
}

#[tokio::test]
async fn whoami_identity_that_does_not_parse_is_a_protocol_error() {
    let srv = whoami_server(vec![
        Some("uid=alice,ou=people"),
        Some("dn:uid=alice,,ou=people"),
        Some("dn: uid=alice,ou=people"),
    ])
    .await;
    let conn = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    let err = conn.whoami_identity().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Protocol(ProtocolError::AuthzId(AuthzIdError::UnknownForm { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "protocol error: the server's authorization identity does not parse: an authorization \
         identity is empty or starts with \"dn:\" or \"u:\"; got \"uid=alice,ou=people\""
    );
    let err = conn.whoami_identity().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Protocol(ProtocolError::AuthzId(AuthzIdError::Dn { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "protocol error: the server's authorization identity does not parse: the DN of the \
         authorization identity \"dn:uid=alice,,ou=people\" does not parse: expected an \
         attribute type at position 10"
    );
    // The connection stays usable: the error was the answer's, not the
    // stream's.
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn: uid=alice,ou=people")
    );
}

/// A TLS server asking for a certificate under CA-A or CA-B that answers
/// every bind with `code` and no text, as 389-DS does for a trusted
/// certificate that maps to no entry.
async fn refusing_binds(code: ResultCode) -> server::Server {
    let cfg = server::tls_config(&ClientAuth::demand(), &[]);
    server::start_tls(cfg, move |mut p: Peer| async move {
        while let Some(m) = p.recv_op().await {
            if matches!(m.op, ProtocolOp::BindRequest(_)) {
                p.bind_response(m.id, code).await.unwrap();
            }
        }
    })
    .await
}

#[tokio::test]
async fn external_bind_refused_after_a_certificate_names_the_certificate() {
    let srv = refusing_binds(ResultCode::INVALID_CREDENTIALS).await;
    let conn = LdapConn::connect(&srv.ldaps_url(), tls_client().client_cert(cert("alice")))
        .await
        .unwrap();
    let err = conn.bind_external(None).await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    assert_eq!(
        err.to_string(),
        format!(
            "bind failed: invalidCredentials (49): the server refused to map the client \
             certificate sent during the TLS handshake to an identity: {ALICE} (issued by {CA_A})"
        )
    );
    // With an authzId the certificate may have been mapped, and the
    // identity asked for refused: the message says both.
    let err = conn
        .bind_external(Some("dn:uid=bob,ou=people,dc=example,dc=com"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "bind failed: invalidCredentials (49): the server refused the client certificate \
             sent during the TLS handshake, {ALICE} (issued by {CA_A}), acting as \
             dn:uid=bob,ou=people,dc=example,dc=com"
        )
    );
}

/// Verifies client chains like rustls' WebPKI verifier and then refuses
/// every one with `error`, which rustls turns into an alert
/// (`UnknownIssuer`: UnknownCA, `BadEncoding`: BadCertificate).
#[derive(Debug)]
struct Refusing {
    inner: Arc<dyn ClientCertVerifier>,
    error: CertificateError,
}

impl ClientCertVerifier for Refusing {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Err(rustls::Error::InvalidCertificate(self.error.clone()))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A server config naming CA-A and CA-B that refuses every client
/// certificate with `error` (none at all: the alert CertificateRequired).
fn refusing_config(
    error: CertificateError,
    version: &'static SupportedProtocolVersion,
) -> Arc<ServerConfig> {
    let pki = Pki::ec();
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_a.cert()).unwrap();
    roots.add(pki.ca_b.cert()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let verifier = Arc::new(Refusing { inner, error });
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server.chain.clone(), pki.server.key())
        .unwrap();
    Arc::new(config)
}

/// The alerts 389-DS sends (UnknownCA for an untrusted certificate,
/// BadCertificate, CertificateRequired for none), under TLS 1.2 (during
/// the handshake: the connect fails) and TLS 1.3 (after it: the first
/// operation fails), give one message: the alert, the CAs the server
/// named, and what was sent.
#[tokio::test]
async fn each_certificate_alert_gives_the_same_message() {
    let sent_mallory = format!(
        "sent: {MALLORY} (issued by CN=Untrusted CA,O=Evil Test, not among the CAs the server named)"
    );
    let sent_alice = format!("sent: {ALICE} (issued by {CA_A}, which the server named)");
    let none = "none was sent (no client certificate configured)".to_owned();
    let cases = [
        (
            "UnknownCA",
            CertificateError::UnknownIssuer,
            Some("mallory"),
            &sent_mallory,
        ),
        (
            "BadCertificate",
            CertificateError::BadEncoding,
            Some("alice"),
            &sent_alice,
        ),
        (
            "CertificateRequired",
            CertificateError::BadEncoding,
            None,
            &none,
        ),
    ];
    for version in [&TLS12, &TLS13] {
        for (alert, error, who, sent) in &cases {
            let case = format!("{alert} under {:?}", version.version);
            let cfg = refusing_config(error.clone(), version);
            let srv = server::start_tls(cfg, |mut p: Peer| async move {
                while p.recv().await.is_some() {}
            })
            .await;
            let mut config = tls_client();
            if let Some(who) = who {
                config = config.client_cert(cert(who));
            }
            let err = match LdapConn::connect(&srv.ldaps_url(), config).await {
                // TLS 1.3: the client's handshake is over before the server
                // judges the certificate; the alert comes with the first read.
                Ok(conn) => conn.whoami().await.unwrap_err(),
                Err(e) => e,
            };
            assert!(
                matches!(err, Error::ClientCertRejected(_)),
                "{case}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!(
                    "the server rejected the client certificate with alert {alert} after asking \
                     for one: it trusts: {CA_A}; {CA_B}; {sent}"
                ),
                "{case}"
            );
        }
    }
}
