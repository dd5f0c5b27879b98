//! The edge cases of passwords: Password Modify under the plaintext rule
//! of simple binds.

use tokio_ldap::proto::extended::PasswordModify;
use tokio_ldap::proto::ProtocolOp;
use tokio_ldap::testkit::{TestPki, TestServer};
use tokio_ldap::{ConnConfig, Error, LdapConn};

/// The testkit's PKI, made once.
fn kit() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::new().expect("the test PKI"))
}

const INSECURE: &str = "refusing to send a password over an unencrypted connection: use ldaps://, StartTLS or ldapi://, or allow it explicitly with ConnConfig::allow_insecure_password";

#[tokio::test]
async fn password_modify_over_plain_ldap_is_refused_before_anything_is_sent() {
    let server = TestServer::builder(kit()).start().await.unwrap();
    let conn = LdapConn::connect(&server.ldap_url(), ConnConfig::new())
        .await
        .unwrap();
    let change = PasswordModify::new()
        .user_identity("uid=alice,ou=people,dc=example,dc=com")
        .old_password("alicepw")
        .new_password("n3w");
    let err = conn.password_modify(change.clone()).await.unwrap_err();
    assert!(matches!(err, Error::InsecurePassword), "{err:?}");
    assert_eq!(err.to_string(), INSECURE);
    // Asking the server to generate one is refused too: the answer
    // carries it.
    let err = conn
        .password_modify(PasswordModify::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), INSECURE);
    // Nothing went out; the connection still works.
    assert!(conn.whoami().await.unwrap().is_none());
    let record = &server.connections()[0];
    let sent: Vec<&str> = record.requests.iter().map(|m| m.op.name()).collect();
    assert_eq!(sent, ["ExtendedRequest"], "only the WhoAmI");
    assert!(
        matches!(&record.requests[0].op, ProtocolOp::ExtendedRequest(r) if r.name == "1.3.6.1.4.1.4203.1.11.3")
    );

    // Allowed explicitly, it is sent.
    let allowed = ConnConfig::new().allow_insecure_password(true);
    let conn = LdapConn::connect(&server.ldap_url(), allowed)
        .await
        .unwrap();
    let _ = conn.password_modify(change).await;
    let record = &server.connections()[1];
    assert!(
        matches!(&record.requests[0].op, ProtocolOp::ExtendedRequest(r) if r.name == PasswordModify::OID),
        "{:?}",
        record.requests
    );
}
