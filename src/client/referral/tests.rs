//! The parts of following referrals that need no server: which URLs are
//! used, where the operation goes, loops and the hop limit. The rest runs
//! against two slapd instances in `tests/api/slapd_referrals.rs`.

use super::*;
use crate::proto::{AddRequest, CompareRequest, ModifyDnRequest, ModifyRequest};

fn referral_message(e: Error) -> String {
    match e {
        Error::Referral(m) => m,
        other => panic!("not Error::Referral: {other:?}"),
    }
}

#[test]
fn usable_urls() {
    let url = usable("ldaps://b.example:1636/ou=x,dc=example,dc=com??sub").unwrap();
    assert_eq!((url.host(), url.port()), ("b.example", Some(1636)));
    assert_eq!(url.dn(), "ou=x,dc=example,dc=com");
    // A non-critical extension is ignored; a critical one is not.
    assert!(usable("ldap://b/????x-hint=1").is_ok());

    let e = usable("ldap:///ou=x,dc=example,dc=com").unwrap_err();
    assert_eq!(
        e.to_string(),
        "referral not followed: the referral URL \"ldap:///ou=x,dc=example,dc=com\" names no host"
    );
    let e = usable("ldap://b/????!x-must=1").unwrap_err();
    assert_eq!(
        referral_message(e),
        "the referral URL \"ldap://b/????!x-must=1\" has the critical extension x-must, which this client does not support"
    );
    let e = usable("http://b/").unwrap_err();
    assert_eq!(
        referral_message(e),
        "the referral URL \"http://b/\" does not parse: unknown scheme \"http\" at position 0: expected ldap, ldaps or ldapi"
    );
    let e = usable("ldap://b/not a dn").unwrap_err();
    assert!(matches!(e, Error::Referral(_)));
    assert!(e.to_string().contains("invalid DN \"not a dn\""), "{e}");
}

#[test]
fn the_url_dn_replaces_the_target() {
    let ops = [
        ProtocolOp::AddRequest(AddRequest {
            entry: "cn=a".into(),
            attributes: Vec::new(),
        }),
        ProtocolOp::ModifyRequest(ModifyRequest::new("cn=a", Vec::new())),
        ProtocolOp::DelRequest("cn=a".into()),
        ProtocolOp::ModifyDnRequest(ModifyDnRequest {
            entry: "cn=a".into(),
            new_rdn: "cn=b".into(),
            delete_old_rdn: true,
            new_superior: None,
        }),
        ProtocolOp::CompareRequest(CompareRequest {
            entry: "cn=a".into(),
            attribute: "cn".into(),
            value: bytes::Bytes::from_static(b"a"),
        }),
    ];
    for op in ops {
        assert!(follows(&op), "{}", op.name());
        assert_eq!(target(&op), "cn=a");
        let moved = retarget(op.clone(), "cn=a,ou=elsewhere");
        assert_eq!(target(&moved), "cn=a,ou=elsewhere", "{}", op.name());
        // A URL without a DN keeps the request's.
        assert_eq!(target(&retarget(op, "")), "cn=a");
    }
    assert!(!follows(&ProtocolOp::ExtendedRequest(
        crate::proto::extended::start_tls()
    )));
}

#[test]
fn visited_compares_servers_and_dns_as_a_directory_does() {
    let mut visited = Visited::default();
    let a = LdapUrl::parse("ldap://A.example/").unwrap();
    assert!(visited.insert(&a, "cn=X,dc=Example"));
    // The same server (host case, default port) and DN (case, spaces).
    let again = LdapUrl::parse("ldap://a.example:389/").unwrap();
    assert!(!visited.insert(&again, r"CN=x ,DC=example"));
    // Another port, another scheme or another DN is another place.
    let other_port = LdapUrl::parse("ldap://a.example:1389/").unwrap();
    assert!(visited.insert(&other_port, "cn=x,dc=example"));
    let ldaps = LdapUrl::parse("ldaps://a.example/").unwrap();
    assert!(visited.insert(&ldaps, "cn=x,dc=example"));
    assert!(visited.insert(&a, "cn=y,dc=example"));
}

#[test]
fn hop_limit() {
    let policy = ReferralPolicy::new().max_hops(2);
    let to = [ByteString::from("ldap://b/"), ByteString::from("ldap://c/")];
    assert_eq!(hop_count(0, policy, "DelRequest", &to).unwrap(), 1);
    assert_eq!(hop_count(1, policy, "DelRequest", &to).unwrap(), 2);
    let e = hop_count(2, policy, "DelRequest", &to).unwrap_err();
    assert_eq!(
        referral_message(e),
        "DelRequest: the hop limit of 2 referrals was reached; the next referral was to ldap://b/ ldap://c/"
    );
    // No hop at all.
    let none = ReferralPolicy::new().max_hops(0);
    assert!(hop_count(0, none, "ModifyRequest", &to).is_err());
    assert_eq!(ReferralPolicy::default().hop_limit(), 5);
}
