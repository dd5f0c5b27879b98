//! The 389-DS harness itself: the shared instance is up, listens on
//! loopback only, and holds the test users.

use crate::support::ds389::{ClientAuth, Ds389};

#[test]
fn shared_instance_answers_on_loopback_with_the_test_users() {
    let ds = Ds389::shared(ClientAuth::Required);
    assert!(ds.version().contains("389-Directory/"), "{}", ds.version());
    let again = Ds389::shared(ClientAuth::Required);
    assert!(
        std::ptr::eq(ds, again),
        "one instance per process and policy"
    );
    assert!(ds.ldap_url().starts_with("ldap://127.0.0.1:"));
    assert!(ds.ldaps_url().starts_with("ldaps://127.0.0.1:"));
}
