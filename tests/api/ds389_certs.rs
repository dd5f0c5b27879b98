//! Client certificates against a real 389 Directory Server (shared
//! instances, `support/ds389.rs`): the scenario table shared with slapd
//! (`cert_matrix`) under `nsSSLClientAuth` `required` and `allowed`, the CA
//! list, and what 389-DS does differently with the EXTERNAL bind.

use std::time::Duration;

use tokio_ldap::proto::dn::Dn;
use tokio_ldap::{AuthzId, CertRequest, ClientCert, ConnConfig, Error, LdapConn, ResultCode};

use crate::cert_matrix::{self, Policy, Server, Target};
use crate::support::ds389::{ClientAuth, Ds389};

fn alice() -> AuthzId {
    AuthzId::Dn(Dn::parse("uid=alice,ou=people,dc=example,dc=com").unwrap())
}

/// A config trusting CA-A (the server's issuer) and sending `cert`.
fn with_cert(ds: &Ds389, cert: Option<ClientCert>) -> ConnConfig {
    let config = ConnConfig::new()
        .ca_file(&ds.files().ca_a)
        .connect_timeout(Some(Duration::from_secs(10)))
        .operation_timeout(Some(Duration::from_secs(10)));
    match cert {
        Some(cert) => config.client_cert(cert),
        None => config,
    }
}

fn user_cert(ds: &Ds389, name: &str) -> ClientCert {
    let (crt, key) = ds.files().client(name).expect("a client of the test PKI");
    ClientCert::from_pem_files(crt, key).expect("test certificate loads")
}

async fn matrix(policy: Policy) {
    let ds = Ds389::shared(match policy {
        Policy::Required => ClientAuth::Required,
        Policy::Allowed => ClientAuth::Allowed,
    });
    let log = || ds.log();
    cert_matrix::run(&Target {
        server: Server::Ds389,
        policy,
        ldap_url: ds.ldap_url(),
        ldaps_url: ds.ldaps_url(),
        pki: ds.pki(),
        files: ds.files(),
        log: &log,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_matrix_under_required() {
    matrix(Policy::Required).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_matrix_under_allowed() {
    matrix(Policy::Allowed).await;
}

/// The CertificateRequest names exactly the CAs with the client-auth trust
/// flag `T` (not the intermediate, which the instance also holds), the
/// newest import first (CA-A was imported before CA-B), each name
/// byte-identical to the CA's DER subject.
#[tokio::test]
async fn ca_list_is_the_t_trusted_cas_newest_first() {
    let ds = Ds389::shared(ClientAuth::Allowed);
    let config = with_cert(ds, None).client_cert_query(|_: &CertRequest<'_>| None);
    let conn = LdapConn::connect(&ds.ldaps_url(), config).await.unwrap();
    let info = conn.tls_info().unwrap();
    let cas = info.trusted_cas().expect("389-DS asked for a certificate");
    let der: Vec<&[u8]> = cas.iter().map(|ca| ca.der()).collect();
    assert_eq!(
        der,
        [ds.pki().ca_b_subject_der(), ds.pki().ca_a_subject_der()]
    );
    let names: Vec<String> = cas.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "CN=Test CA-B,O=Example Test,DC=example,DC=com",
            "CN=Test CA-A,O=Example Test,DC=example,DC=com"
        ]
    );
    assert!(!der.contains(&ds.pki().ca_a_int.subject_der.as_slice()));
}

/// 389-DS binds the mapped identity as soon as the handshake ends (WhoAmI
/// before any bind already names alice, and says so with a space after
/// `dn:`), and the EXTERNAL bind ignores an authzId: it succeeds and the
/// identity stays the certificate's.
#[tokio::test]
async fn identity_is_bound_at_handshake_end_and_the_authzid_is_ignored() {
    let ds = Ds389::shared(ClientAuth::Required);
    for url in [ds.ldaps_url(), ds.ldap_url()] {
        let starttls = url.starts_with("ldap:");
        let config = with_cert(ds, Some(user_cert(ds, "alice"))).starttls(starttls);
        let conn = LdapConn::connect(&url, config).await.unwrap();
        assert_eq!(
            conn.whoami().await.unwrap().as_deref(),
            Some("dn: uid=alice,ou=people,dc=example,dc=com"),
            "{url}"
        );
        assert_eq!(conn.whoami_identity().await.unwrap(), alice(), "{url}");
        conn.bind_external(Some("dn:uid=bob,ou=people,dc=example,dc=com"))
            .await
            .unwrap();
        assert_eq!(
            conn.whoami_identity().await.unwrap(),
            alice(),
            "{url}: the authzId is ignored"
        );
        conn.bind_external(Some("u:bob")).await.unwrap();
        assert_eq!(conn.whoami_identity().await.unwrap(), alice(), "{url}");
    }
}

/// A trusted certificate that maps to no entry (dave, issued by CA-A):
/// 389-DS answers invalidCredentials (49) with no text, at handshake end
/// leaves the connection anonymous, and the error names the certificate.
#[tokio::test]
async fn unmapped_certificate_is_named_in_the_bind_error() {
    let ds = Ds389::shared(ClientAuth::Required);
    let (crt, key) = ds.unmapped_files();
    let dave = ClientCert::from_pem_files(crt, key).unwrap();
    let conn = LdapConn::connect(&ds.ldaps_url(), with_cert(ds, Some(dave)))
        .await
        .unwrap();
    assert_eq!(conn.whoami_identity().await.unwrap(), AuthzId::Anonymous);
    let err = conn.bind_external(None).await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    assert_eq!(
        err.to_string(),
        "bind failed: invalidCredentials (49): the server refused to map the client certificate \
         sent during the TLS handshake to an identity: CN=dave,OU=people,DC=example,DC=com \
         (issued by CN=Test CA-A,O=Example Test,DC=example,DC=com)"
    );
    let Error::Ldap(ldap) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ldap.operation(), "bind");
}

/// EXTERNAL over plain LDAP: 389-DS refuses it with 48 and its own text;
/// the error adds why.
#[tokio::test]
async fn external_without_tls_is_refused_with_the_reason() {
    let ds = Ds389::shared(ClientAuth::Required);
    let conn = LdapConn::connect(&ds.ldap_url(), with_cert(ds, None))
        .await
        .unwrap();
    assert_eq!(conn.whoami_identity().await.unwrap(), AuthzId::Anonymous);
    let err = conn.bind_external(None).await.unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(ResultCode::INAPPROPRIATE_AUTHENTICATION)
    );
    assert_eq!(
        err.to_string(),
        "bind failed: inappropriateAuthentication (48): SASL EXTERNAL bind requires an SSL \
         connection (the connection is not using TLS, so there is no client certificate to bind \
         with)"
    );
}
