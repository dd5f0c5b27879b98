//! Referrals followed between two slapd instances
//! ([`ConnConfig::follow_referrals`]), and not followed when it is off.
//!
//! Server A holds `ou=remote`, a referral object (objectClass `referral`,
//! served with ManageDsaIT off) pointing to server B over `ldaps://`, where
//! `ou=remote` and `uid=dave` below it are real entries. Both instances
//! demand a client certificate, so a hop only succeeds when the TLS
//! negotiation runs again on B with the connection's config. For the loop
//! test, `ou=loop` on A and on B point to each other.

use tokio_ldap::proto::Attribute;
use tokio_ldap::{
    ClientCert, ConnConfig, Error, LdapConn, Modification, ModifyOp, ReferralPolicy, ResultCode,
    Search, SearchItem,
};

use crate::support::slapd::{Slapd, ADMIN_DN, ADMIN_PW, BASE_DN};

const REMOTE: &str = "ou=remote,dc=example,dc=com";
const DAVE: &str = "uid=dave,ou=remote,dc=example,dc=com";
const LOOP: &str = "ou=loop,dc=example,dc=com";

/// Adds `ldif` as the rootdn with ManageDsaIT, so referral objects are
/// added as entries.
fn add_managed(slapd: &Slapd, ldif: &str) {
    let url = slapd.ldapi_url();
    let args = ["-Q", "-Y", "EXTERNAL", "-M", "-H", url.as_str()];
    let out = slapd.ldap_tool_output("ldapadd", &args, Some(ldif));
    assert!(
        out.status.success(),
        "ldapadd -M failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn referral_ldif(dn: &str, ou: &str, to: &str) -> String {
    format!("dn: {dn}\nobjectClass: referral\nobjectClass: extensibleObject\nou: {ou}\nref: {to}\n")
}

/// Servers A and B, set up as the module docs say (without `ou=loop`).
fn servers() -> (Slapd, Slapd) {
    let a = Slapd::start_default();
    let b = Slapd::start_default();
    add_managed(
        &a,
        &referral_ldif(REMOTE, "remote", &format!("{}/{REMOTE}", b.ldaps_url())),
    );
    b.add_ldif(&format!(
        "dn: {REMOTE}\nobjectClass: organizationalUnit\nou: remote\n\n\
         dn: {DAVE}\nobjectClass: inetOrgPerson\nuid: dave\ncn: Dave Remote\nsn: Remote\n"
    ));
    (a, b)
}

/// `ou=loop` on A and on B, each a referral to the other.
fn add_loop(a: &Slapd, b: &Slapd) {
    add_managed(
        a,
        &referral_ldif(LOOP, "loop", &format!("{}/{LOOP}", b.ldaps_url())),
    );
    add_managed(
        b,
        &referral_ldif(LOOP, "loop", &format!("{}/{LOOP}", a.ldaps_url())),
    );
}

/// TLS with alice's certificate (both servers demand one).
fn config(slapd: &Slapd) -> ConnConfig {
    let (cert, key) = slapd.files().client("alice").expect("alice's certificate");
    ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert(ClientCert::from_pem_files(cert, key).unwrap())
}

async fn admin(slapd: &Slapd, config: ConnConfig) -> LdapConn {
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    conn.bind_simple(ADMIN_DN, ADMIN_PW).await.unwrap();
    conn
}

fn uids(entries: &[tokio_ldap::proto::SearchResultEntry]) -> Vec<String> {
    let mut dns: Vec<String> = entries.iter().map(|e| e.dn.to_string()).collect();
    dns.sort();
    dns
}

#[tokio::test]
async fn search_follows_continuation_references_and_referral_results() {
    let (a, b) = servers();
    let followed = config(&a).follow_referrals(ReferralPolicy::new());
    let conn = LdapConn::connect(&a.ldaps_url(), followed).await.unwrap();
    // SASL EXTERNAL: repeated on B, which maps alice's certificate again.
    conn.bind_external(None).await.unwrap();

    // A subtree search of A: A's entries, then B's for the continuation
    // reference, and no reference left for the caller.
    let filter = "(|(uid=alice)(uid=dave)(ou=remote))";
    let all = conn
        .search_all(Search::new(BASE_DN).filter(filter))
        .await
        .unwrap();
    assert_eq!(
        uids(&all.entries),
        [REMOTE, "uid=alice,ou=people,dc=example,dc=com", DAVE],
        "{all:?}"
    );
    assert!(all.references.is_empty(), "{:?}", all.references);
    assert_eq!(all.result.unwrap().code, ResultCode::SUCCESS);

    // A search below the referral object: A answers `referral`, the search
    // runs on B, whose result is the final one.
    let below = conn.search_all(Search::new(REMOTE)).await.unwrap();
    assert_eq!(uids(&below.entries), [REMOTE, DAVE]);
    assert_eq!(below.result.unwrap().code, ResultCode::SUCCESS);

    // Streamed the same way, with the B entry's items as they come.
    let mut stream = conn.search(Search::new(DAVE)).await.unwrap();
    let mut seen = Vec::new();
    while let Some(item) = stream.next_item().await.unwrap() {
        if let SearchItem::Entry(e) = item {
            seen.push(e.dn.to_string());
        }
    }
    assert_eq!(seen, [DAVE]);
    assert_eq!(stream.done().unwrap().result.code, ResultCode::SUCCESS);
    drop(b);
}

#[tokio::test]
async fn updates_follow_referrals_to_the_other_server() {
    let (a, b) = servers();
    let conn = admin(&a, config(&a).follow_referrals(ReferralPolicy::new())).await;
    let mail = Modification::new(
        ModifyOp::Replace,
        Attribute::new("mail", ["dave@b.example"]),
    );
    conn.modify(DAVE, vec![mail]).await.unwrap();
    conn.add(
        "uid=erin,ou=remote,dc=example,dc=com",
        vec![
            Attribute::new("objectClass", ["inetOrgPerson"]),
            Attribute::new("cn", ["Erin"]),
            Attribute::new("sn", ["Remote"]),
        ],
    )
    .await
    .unwrap();
    assert!(conn.compare(DAVE, "mail", "dave@b.example").await.unwrap());
    conn.delete("uid=erin,ou=remote,dc=example,dc=com")
        .await
        .unwrap();

    // The changes are on B.
    let on_b = admin(&b, config(&b)).await;
    assert!(on_b.compare(DAVE, "mail", "dave@b.example").await.unwrap());
    let erin = on_b
        .search_all(Search::new(REMOTE).filter("(uid=erin)"))
        .await
        .unwrap();
    assert!(erin.entries.is_empty(), "{erin:?}");
}

#[tokio::test]
async fn referral_loops_and_the_hop_limit_stop_with_a_clear_error() {
    let (a, b) = servers();
    add_loop(&a, &b);
    let target = format!("cn=x,{LOOP}");
    let a_url = format!("{}/{target}", a.ldaps_url());

    // A -> B -> A: the loop is seen when it comes back.
    let conn = admin(&a, config(&a).follow_referrals(ReferralPolicy::new())).await;
    let err = conn.delete(&target).await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("referral not followed: DelRequest: the referral to {a_url} leads back to a server and DN already visited (a referral loop)")
    );
    let err = conn.search_all(Search::new(LOOP)).await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("referral not followed: search: the referral to {}/{LOOP}??sub leads back to a server and base already visited (a referral loop)", a.ldaps_url())
    );

    // One hop allowed: A -> B is followed, B's referral is one too many.
    let conn = admin(
        &a,
        config(&a).follow_referrals(ReferralPolicy::new().max_hops(1)),
    )
    .await;
    let err = conn.delete(&target).await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("referral not followed: DelRequest: the hop limit of 1 referrals was reached; the next referral was to {a_url}")
    );
    let err = conn.search_all(Search::new(LOOP)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("referral not followed: search: the hop limit of 1 referrals was reached; the next referral was to {}/{LOOP}??sub", a.ldaps_url())
    );
}

/// The password of a simple bind is not sent to a referred server over a
/// connection without TLS.
#[tokio::test]
async fn a_password_does_not_follow_a_referral_to_plain_ldap() {
    let (a, b) = servers();
    let plain = format!("{}/{DAVE}", b.ldap_url());
    add_managed(
        &a,
        &referral_ldif("ou=plain,dc=example,dc=com", "plain", &plain),
    );
    let conn = admin(&a, config(&a).follow_referrals(ReferralPolicy::new())).await;
    let err = conn.delete("ou=plain,dc=example,dc=com").await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("referral not followed: the referred server {plain} is not reached over TLS, and the password of the simple bind is not sent in clear text (see ConnConfig::allow_insecure_password)")
    );
}

#[tokio::test]
async fn referrals_reach_the_caller_when_not_followed() {
    let (a, b) = servers();
    let conn = admin(&a, config(&a)).await;
    let mail = Modification::new(ModifyOp::Replace, Attribute::new("mail", ["x@a.example"]));
    let err = conn.modify(DAVE, vec![mail]).await.unwrap_err();
    let Error::Ldap(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.result().code, ResultCode::REFERRAL);
    let to_b = format!("{}/{DAVE}", b.ldaps_url());
    assert_eq!(
        e.result()
            .referrals
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>(),
        [to_b]
    );
    assert!(
        err.to_string().starts_with("modify failed: referral"),
        "{err}"
    );

    let all = conn
        .search_all(Search::new(BASE_DN).filter("(|(uid=dave)(ou=remote))"))
        .await
        .unwrap();
    assert!(all.entries.is_empty(), "{all:?}");
    assert_eq!(all.references, [format!("{}/{REMOTE}??sub", b.ldaps_url())]);
}
