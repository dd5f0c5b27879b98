//! Following referrals against the scripted server, for what slapd does
//! not produce: a server that floods continuation references, referral
//! URLs that cannot be used, and a bind that cannot be repeated.

use tokio_ldap::proto::{LdapResult, ProtocolOp};
use tokio_ldap::{ConnConfig, Error, LdapConn, ReferralPolicy, ResultCode, Search};

use crate::support::server::{self, Peer};

fn following() -> ConnConfig {
    ConnConfig::new()
        .allow_insecure_password(true)
        .follow_referrals(ReferralPolicy::new())
}

/// Answers binds with success and every other operation with a referral
/// to `to`; a search gets `references` continuation references first.
async fn refer(mut p: Peer, to: &'static str, references: usize) {
    while let Some(m) = p.recv_op().await {
        let referral = LdapResult::new(ResultCode::REFERRAL)
            .with_message("elsewhere")
            .with_referrals([to]);
        let sent = match m.op {
            ProtocolOp::BindRequest(_) => p.bind_response(m.id, ResultCode::SUCCESS).await,
            ProtocolOp::SearchRequest(_) => {
                for _ in 0..references {
                    let op = ProtocolOp::SearchResultReference(vec![to.into()]);
                    if p.send(m.id, op).await.is_err() {
                        return;
                    }
                }
                let done = LdapResult::new(ResultCode::SUCCESS);
                p.send(m.id, ProtocolOp::SearchResultDone(done)).await
            }
            ProtocolOp::ModifyRequest(_) => {
                p.send(m.id, ProtocolOp::ModifyResponse(referral)).await
            }
            ProtocolOp::DelRequest(_) => p.send(m.id, ProtocolOp::DelResponse(referral)).await,
            _ => return,
        };
        if sent.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_flood_of_continuation_references_fails_the_search() {
    let srv = server::start(|p: Peer| refer(p, "ldap://127.0.0.1:1/dc=x", 1025)).await;
    let conn = LdapConn::connect(&srv.url(), following()).await.unwrap();
    let err = conn.search_all(Search::new("dc=x")).await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "referral not followed: search: more than 1024 continuation references are waiting to be followed"
    );
}

#[tokio::test]
async fn unusable_referral_urls_fail_with_the_reason() {
    for (to, why) in [
        (
            "ldap://127.0.0.1:1/cn=x????!x-must=1",
            "the referral URL \"ldap://127.0.0.1:1/cn=x????!x-must=1\" has the critical extension x-must, which this client does not support",
        ),
        (
            "ldap:///cn=x",
            "the referral URL \"ldap:///cn=x\" names no host",
        ),
        (
            "ldap://127.0.0.1:1/not a dn",
            "the referral URL \"ldap://127.0.0.1:1/not a dn\" does not parse: invalid DN \"not a dn\" at position 19: expected '=' at position 4 of the decoded DN",
        ),
    ] {
        let srv = server::start(move |p: Peer| refer(p, to, 0)).await;
        let conn = LdapConn::connect(&srv.url(), following()).await.unwrap();
        let err = conn.delete("cn=x").await.unwrap_err();
        assert!(matches!(err, Error::Referral(_)), "{err:?}");
        assert_eq!(err.to_string(), format!("referral not followed: {why}"));
    }
}

#[tokio::test]
async fn a_referred_server_that_cannot_be_reached_is_named() {
    // Port 1 on the loopback: nothing listens there.
    let srv = server::start(|p: Peer| refer(p, "ldap://127.0.0.1:1/cn=x", 0)).await;
    let conn = LdapConn::connect(&srv.url(), following()).await.unwrap();
    let err = conn.delete("cn=x").await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("referral not followed: cannot connect to the referred server ldap://127.0.0.1:1/cn=x: "),
        "{msg}"
    );
}

#[tokio::test]
async fn a_sasl_bind_other_than_external_cannot_follow() {
    // The second server is the same script: it answers the bind too.
    let other = server::start(|p: Peer| refer(p, "ldap://127.0.0.1:1/cn=y", 0)).await;
    let to: &'static str = Box::leak(format!("{}/cn=x", other.url()).into_boxed_str());
    let srv = server::start(move |p: Peer| refer(p, to, 0)).await;
    let conn = LdapConn::connect(&srv.url(), following()).await.unwrap();
    let (code, _) = conn.bind_sasl("DIGEST-MD5", Some(b"x")).await.unwrap();
    assert_eq!(code, ResultCode::SUCCESS);
    let err = conn.delete("cn=x").await.unwrap_err();
    assert!(matches!(err, Error::Referral(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("referral not followed: the connection is bound with SASL DIGEST-MD5, which cannot be repeated on the referred server {to}")
    );
    // Not followed, a referral is the server's answer, as before.
    let plain = LdapConn::connect(&srv.url(), ConnConfig::new())
        .await
        .unwrap();
    let err = plain.delete("cn=x").await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::REFERRAL));
    assert_eq!(err.to_string(), "delete failed: referral (10): elsewhere");
}
