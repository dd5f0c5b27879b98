//! Unit tests of the server set: the backoff's doubling and cap, the
//! strategies' orders, resting and the one half-open trial at a time.

use std::sync::Arc;
use std::time::Duration;

use super::servers::{Backoff, Failure, Server, ServerSet, ServerState, ServerStrategy, Source};
use crate::Error;

fn set(strategy: ServerStrategy, base_ms: u64, max_ms: u64) -> ServerSet {
    let sources = ["ldap://a", "ldap://b", "ldap://c"]
        .map(|u| Source::Url(u.to_owned()))
        .into_iter()
        .collect();
    let backoff = Backoff {
        base: Duration::from_millis(base_ms),
        max: Duration::from_millis(max_ms),
    };
    ServerSet::new(sources, None, strategy, backoff)
}

fn refused() -> Error {
    Error::Closed("refused".into())
}

/// The candidates' URLs' last letters, in order.
async fn order(s: &ServerSet) -> String {
    let (list, failures) = s.candidates().await;
    assert!(failures.is_empty());
    list.iter()
        .map(|s| s.url().chars().last().unwrap_or('?'))
        .collect()
}

async fn server(s: &ServerSet, url: &str) -> Arc<Server> {
    let (list, _) = s.candidates().await;
    list.into_iter().find(|x| x.url() == url).expect("a server")
}

#[test]
fn backoff_doubles_and_is_capped() {
    let b = Backoff {
        base: Duration::from_millis(250),
        max: Duration::from_secs(30),
    };
    let got: Vec<u128> = (1..=9).map(|n| b.after(n).as_millis()).collect();
    assert_eq!(got, [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert_eq!(b.after(u32::MAX), Duration::from_secs(30));
    assert_eq!(b.after(0), Duration::from_millis(250));
}

#[tokio::test]
async fn strategies_order_the_servers() {
    let s = set(ServerStrategy::Failover, 10, 10);
    assert_eq!(order(&s).await, "abc");
    assert_eq!(order(&s).await, "abc");
    let s = set(ServerStrategy::RoundRobin, 10, 10);
    assert_eq!(order(&s).await, "abc");
    assert_eq!(order(&s).await, "bca");
    assert_eq!(order(&s).await, "cab");
    assert_eq!(order(&s).await, "abc");
    let s = set(ServerStrategy::FewestConnections, 10, 10);
    let (a, b, c) = (
        server(&s, "ldap://a").await,
        server(&s, "ldap://b").await,
        server(&s, "ldap://c").await,
    );
    let _a = ServerSet::opened(&a);
    let _b = (ServerSet::opened(&b), ServerSet::opened(&b));
    assert_eq!(order(&s).await, "cab");
    let c1 = ServerSet::opened(&c);
    let _c2 = ServerSet::opened(&c);
    assert_eq!(order(&s).await, "abc");
    drop(c1);
    assert_eq!(order(&s).await, "acb");
    let counts: Vec<usize> = s.status().iter().map(|s| s.connections).collect();
    assert_eq!(counts, [1, 2, 1]);
}

#[tokio::test]
async fn a_failed_server_rests_then_allows_one_trial() {
    let s = set(ServerStrategy::Failover, 40, 1000);
    let b = server(&s, "ldap://b").await;
    s.begin(&b).unwrap().failed(&refused());
    let skipped = s.begin(&b).unwrap_err();
    assert_eq!(skipped.server, "ldap://b");
    assert!(skipped
        .retry_in
        .is_some_and(|r| r <= Duration::from_millis(40)));
    assert!(skipped
        .to_string()
        .starts_with("ldap://b: not tried, resting 0.0s more after: connection closed: refused"));
    assert!(matches!(s.status()[1].state, ServerState::Backoff { .. }));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(s.status()[1].state, ServerState::HalfOpen);
    let trial = s.begin(&b).unwrap();
    // One trial at a time.
    let busy = s.begin(&b).unwrap_err();
    assert_eq!(
        busy.to_string(),
        "ldap://b: not tried, a trial connection to it is under way"
    );
    // A trial given up (its future dropped) frees the server for another.
    drop(trial);
    let trial = s.begin(&b).unwrap();
    trial.failed(&refused());
    assert_eq!(s.status()[1].consecutive_failures, 2);
    // 80 ms now: twice the base.
    let rest = s.begin(&b).unwrap_err().retry_in.unwrap();
    assert!(rest > Duration::from_millis(45), "{rest:?}");
    std::thread::sleep(Duration::from_millis(90));
    s.begin(&b).unwrap().succeeded();
    let st = &s.status()[1];
    assert_eq!((st.state, st.consecutive_failures), (ServerState::Up, 0));
    assert!(st.last_error.is_some());
}

#[tokio::test]
async fn dropped_connections_rest_a_server_once() {
    let s = set(ServerStrategy::Failover, 1000, 1000);
    let a = server(&s, "ldap://a").await;
    s.failed(&a, &refused(), Failure::Drop);
    s.failed(&a, &refused(), Failure::Drop);
    s.failed(&a, &Error::Closed("later".into()), Failure::Drop);
    let st = &s.status()[0];
    assert_eq!(st.consecutive_failures, 1);
    assert_eq!(
        st.last_error.as_ref().map(ToString::to_string).as_deref(),
        Some("connection closed: later")
    );
    // A connect failure while resting counts.
    s.failed(&a, &refused(), Failure::Connect);
    assert_eq!(s.status()[0].consecutive_failures, 2);
}

/// Without the `srv` feature a DNS SRV URL is refused when the pool is
/// built, saying which feature it needs (run by scripts/test with
/// `--no-default-features --features ring`).
#[cfg(not(feature = "srv"))]
#[test]
fn a_dns_srv_url_needs_the_srv_feature() {
    let err = crate::LdapPool::builder("ldap:///dc=example,dc=com", crate::ConnConfig::new())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "configuration error: DNS SRV discovery (ldap:///dc=... URLs) needs tokio-ldap's `srv` feature, which this build leaves out: enable it, or name the servers in the URL (ldap://host)"
    );
}

/// Servers named by DNS over time are remembered up to a bound: the
/// unused ones are forgotten, the URLs given and the servers in use kept.
#[tokio::test]
async fn the_set_forgets_unused_discovered_servers_past_its_bound() {
    let s = set(ServerStrategy::Failover, 10, 10);
    let busy = s.server("ldap://busy:1");
    let _open = ServerSet::opened(&busy);
    for i in 0..1000 {
        drop(s.server(&format!("ldap://dns-{i}:389")));
    }
    let urls: Vec<String> = s.status().into_iter().map(|st| st.url).collect();
    assert!(urls.len() <= 256, "{}", urls.len());
    for kept in [
        "ldap://a",
        "ldap://b",
        "ldap://c",
        "ldap://busy:1",
        "ldap://dns-999:389",
    ] {
        assert!(urls.iter().any(|u| u == kept), "{kept} was forgotten");
    }
    assert!(!urls.iter().any(|u| u == "ldap://dns-0:389"));
}
