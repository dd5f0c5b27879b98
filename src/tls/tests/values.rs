//! The small value types and accessors of the TLS API, each pinned down:
//! equality and hashing of CA names, the store's accessors, the mode's
//! text, the server-certificate hook's argument and rejection.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::pki::pki;
use crate::tls::record::HandshakeRecord;
use crate::tls::resolver::ClientCertResolver;
use crate::tls::{
    CertStore, Choice, ServerCertInfo, ServerCertRejected, ServerCertVerdict, TlsMode, TrustedCa,
};

fn hash_of(ca: &TrustedCa) -> u64 {
    let mut hasher = DefaultHasher::new();
    ca.hash(&mut hasher);
    hasher.finish()
}

// TrustedCa caches its text in a cell; equality and hash read only the DER.
#[allow(clippy::mutable_key_type)]
#[test]
fn trusted_ca_equality_and_hash_follow_the_der() {
    let a = TrustedCa::from_der(pki().ca_a.name.clone());
    let a_again = TrustedCa::from_der(pki().ca_a.name.clone());
    let b = TrustedCa::from_der(pki().ca_b.name.clone());
    assert!(a == a_again);
    assert!(!(a != a_again));
    assert!(a != b);
    assert!(!(a == b));
    assert_eq!(hash_of(&a), hash_of(&a_again));
    assert_ne!(hash_of(&a), hash_of(&b));
    let set = [a.clone(), a_again, b.clone()]
        .into_iter()
        .collect::<HashSet<_>>();
    assert_eq!(set.len(), 2);
    assert!(set.contains(&a) && set.contains(&b));
}

#[test]
fn store_accessors() {
    let empty = CertStore::new();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert_eq!(empty.iter().count(), 0);

    let mut store = CertStore::new().with(pki().alice.client_cert());
    store.push(pki().bob.client_cert());
    assert!(!store.is_empty());
    assert_eq!(store.len(), 2);
    let subjects = store
        .iter()
        .map(|c| c.subject().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(
        subjects,
        [
            "CN=alice,OU=people,DC=example,DC=com",
            "CN=bob,OU=people,DC=example,DC=com"
        ]
    );
}

#[test]
fn tls_mode_text() {
    assert_eq!(TlsMode::Ldaps.to_string(), "ldaps");
    assert_eq!(TlsMode::StartTls.to_string(), "StartTLS");
}

#[test]
fn choice_text_is_its_reason() {
    let choice = Choice::new(Some(pki().alice.client_cert()), "because");
    assert_eq!(choice.to_string(), "because");
    assert_eq!(choice.reason(), "because");
}

#[test]
fn resolver_debug_shows_what_is_configured() {
    let resolver = ClientCertResolver {
        query: Some(Arc::new(pki().alice.client_cert())),
        url: "ldaps://localhost:636".to_owned(),
        server_name: "localhost".to_owned(),
        mode: TlsMode::StartTls,
        record: Arc::new(Mutex::new(HandshakeRecord::new(
            "localhost",
            TlsMode::StartTls,
            "roots",
        ))),
    };
    assert_eq!(
        format!("{resolver:?}"),
        "ClientCertResolver { configured: true, server_name: \"localhost\", mode: StartTls, .. }"
    );
}

#[test]
fn server_cert_info_gives_back_what_it_was_made_with() {
    let chain = &pki().carol.chain;
    assert_eq!(chain.len(), 2, "carol's chain carries the intermediate CA");
    let info = ServerCertInfo::new(&chain[0], &chain[1..], "ldap.example.com");
    assert_eq!(info.end_entity(), &chain[0]);
    assert_eq!(info.intermediates(), &chain[1..]);
    assert_eq!(info.server_name(), "ldap.example.com");
    assert!(matches!(info.verdict(), ServerCertVerdict::Trusted));
    let info = info.with_verdict(ServerCertVerdict::NotChecked);
    assert!(matches!(info.verdict(), ServerCertVerdict::NotChecked));
    assert_eq!(info.intermediates(), &chain[1..]);
}

#[test]
fn server_cert_rejected_text_is_its_message_alone() {
    let why = std::io::Error::new(std::io::ErrorKind::NotFound, "no pin file");
    let rejected = ServerCertRejected::new("cannot check ldap").with_source(why);
    assert_eq!(rejected.to_string(), "cannot check ldap");
    assert_eq!(rejected.message(), "cannot check ldap");
    assert_eq!(rejected.with_sources(), "cannot check ldap: no pin file");
    assert_eq!(ServerCertRejected::from("by &str").to_string(), "by &str");
    assert_eq!(
        ServerCertRejected::from("by String".to_owned()).to_string(),
        "by String"
    );
}
