//! Certificate rotation against a real slapd: a `CertStore::from_dir`
//! whose files are replaced while connections are open, and a CA file
//! replaced the same way.

use std::path::Path;

use tokio_ldap::tls::CertStore;
use tokio_ldap::{ConnConfig, Error, LdapConn};

use crate::support::slapd::{Slapd, SlapdOptions};

const ALICE: &str = "dn:uid=alice,ou=people,dc=example,dc=com";
const BOB: &str = "dn:uid=bob,ou=people,dc=example,dc=com";

/// Replaces `dir/name` by a copy of `from`, written beside and renamed
/// over it (as rotation agents do).
fn install(dir: &Path, name: &str, from: &Path) {
    let text = std::fs::read(from).expect("read a test PKI file");
    replace(dir, name, &text);
}

fn replace(dir: &Path, name: &str, text: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

/// Connects with `config`, binds with SASL EXTERNAL and says who it is.
async fn connect_as(slapd: &Slapd, config: &ConnConfig) -> (LdapConn, String) {
    let conn = LdapConn::connect(&slapd.ldaps_url(), config.clone())
        .await
        .expect("connect");
    conn.bind_external(None).await.expect("SASL EXTERNAL bind");
    let who = conn.whoami().await.expect("whoami").expect("an identity");
    (conn, who)
}

async fn whoami(conn: &LdapConn) -> String {
    conn.whoami().await.expect("whoami").expect("an identity")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_certificate_files_give_new_connections_the_new_identity() {
    let slapd = Slapd::start(SlapdOptions::default());
    let files = slapd.files();
    let (alice_crt, alice_key) = files.client("alice").expect("alice");
    let (bob_crt, bob_key) = files.client("bob").expect("bob");
    let dir = tempfile::tempdir().expect("temporary directory");
    install(dir.path(), "svc.crt", alice_crt);
    install(dir.path(), "svc.key", alice_key);
    let config = ConnConfig::new()
        .ca_file(&files.ca_a)
        .client_cert_query(CertStore::from_dir(dir.path()).expect("the directory loads"));

    let (first, who) = connect_as(&slapd, &config).await;
    assert_eq!(who, ALICE);

    // Rotation: bob's files replace alice's, key first.
    install(dir.path(), "svc.key", bob_key);
    install(dir.path(), "svc.crt", bob_crt);
    let (second, who) = connect_as(&slapd, &config).await;
    assert_eq!(who, BOB, "a new connection sends the new certificate");
    assert_eq!(
        whoami(&first).await,
        ALICE,
        "an open connection keeps working"
    );

    // A broken certificate file: bob stays, and the reason says which file
    // and why.
    replace(
        dir.path(),
        "svc.crt",
        b"-----BEGIN CERTIFICATE-----\ncut short",
    );
    let (third, who) = connect_as(&slapd, &config).await;
    assert_eq!(who, BOB, "the certificate loaded before is kept");
    let reason = third
        .tls_info()
        .expect("TLS")
        .client_cert_reason()
        .expect("the server asked")
        .to_owned();
    let crt = dir.path().join("svc.crt");
    assert!(
        reason.starts_with("chose svc: issued by CN=Test CA-B")
            && reason.contains(&format!(
                "(not reloaded: svc: bad PEM in {}: ",
                crt.display()
            ))
            && reason.ends_with("; the certificate loaded before is kept)"),
        "{reason}"
    );
    assert_eq!(whoami(&first).await, ALICE);
    assert_eq!(whoami(&second).await, BOB);

    // Repaired with alice's files: alice again, no complaint.
    install(dir.path(), "svc.crt", alice_crt);
    install(dir.path(), "svc.key", alice_key);
    let (fourth, who) = connect_as(&slapd, &config).await;
    assert_eq!(who, ALICE);
    let reason = fourth
        .tls_info()
        .unwrap()
        .client_cert_reason()
        .unwrap()
        .to_owned();
    assert!(!reason.contains("not reloaded"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_ca_file_is_read_at_the_next_connect() {
    let slapd = Slapd::start(SlapdOptions::default());
    let files = slapd.files();
    let (crt, key) = files.client("alice").expect("alice");
    let dir = tempfile::tempdir().expect("temporary directory");
    // CA-B did not issue slapd's certificate.
    install(dir.path(), "ca.pem", &files.ca_b);
    let ca = dir.path().join("ca.pem");
    let config = ConnConfig::new()
        .ca_file(&ca)
        .client_cert(tokio_ldap::ClientCert::from_pem_files(crt, key).unwrap());
    let err = LdapConn::connect(&slapd.ldaps_url(), config.clone())
        .await
        .expect_err("the server's CA is not trusted");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "was not issued by a trusted CA (trusted roots: {})",
            ca.display()
        )),
        "{err}"
    );

    install(dir.path(), "ca.pem", &files.ca_a);
    let (_conn, who) = connect_as(&slapd, &config).await;
    assert_eq!(who, ALICE);

    // Broken: the roots read before stay, and TlsInfo says why.
    replace(dir.path(), "ca.pem", b"not a certificate");
    let (conn, who) = connect_as(&slapd, &config).await;
    assert_eq!(who, ALICE);
    assert_eq!(
        conn.tls_info().unwrap().trusted_roots(),
        format!(
            "{0} (not reloaded: no certificate found in {0}; the roots loaded before are kept)",
            ca.display()
        )
    );
}
