//! Unit tests of the server set: the backoff's doubling and cap, the
//! strategies' orders, resting and the one half-open trial at a time.

use std::sync::Arc;
use std::time::Duration;

use super::servers::{Backoff, ServerSet, ServerState, ServerStrategy};
use crate::Error;

fn set(strategy: ServerStrategy, base_ms: u64, max_ms: u64) -> Arc<ServerSet> {
    let urls = ["ldap://a", "ldap://b", "ldap://c"]
        .map(String::from)
        .to_vec();
    let backoff = Backoff {
        base: Duration::from_millis(base_ms),
        max: Duration::from_millis(max_ms),
    };
    Arc::new(ServerSet::new(urls, strategy, backoff))
}

fn refused() -> Error {
    Error::Closed("refused".into())
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

#[test]
fn strategies_order_the_servers() {
    let s = set(ServerStrategy::Failover, 10, 10);
    assert_eq!(s.order(), [0, 1, 2]);
    assert_eq!(s.order(), [0, 1, 2]);
    let s = set(ServerStrategy::RoundRobin, 10, 10);
    assert_eq!(s.order(), [0, 1, 2]);
    assert_eq!(s.order(), [1, 2, 0]);
    assert_eq!(s.order(), [2, 0, 1]);
    assert_eq!(s.order(), [0, 1, 2]);
    let s = set(ServerStrategy::FewestConnections, 10, 10);
    let _a = s.opened(0);
    let _b = (s.opened(1), s.opened(1));
    assert_eq!(s.order(), [2, 0, 1]);
    let c = s.opened(2);
    let _d = s.opened(2);
    assert_eq!(s.order(), [0, 1, 2]);
    drop(c);
    assert_eq!(s.order(), [0, 2, 1]);
    let counts: Vec<usize> = s.status().iter().map(|s| s.connections).collect();
    assert_eq!(counts, [1, 2, 1]);
}

#[test]
fn a_failed_server_rests_then_allows_one_trial() {
    let s = set(ServerStrategy::Failover, 40, 1000);
    s.begin(1).unwrap().failed(&refused());
    let skipped = s.begin(1).unwrap_err();
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
    let trial = s.begin(1).unwrap();
    // One trial at a time.
    let busy = s.begin(1).unwrap_err();
    assert_eq!(
        busy.to_string(),
        "ldap://b: not tried, a trial connection to it is under way"
    );
    // A trial given up (its future dropped) frees the server for another.
    drop(trial);
    let trial = s.begin(1).unwrap();
    trial.failed(&refused());
    assert_eq!(s.status()[1].consecutive_failures, 2);
    // 80 ms now: twice the base.
    let rest = s.begin(1).unwrap_err().retry_in.unwrap();
    assert!(rest > Duration::from_millis(45), "{rest:?}");
    std::thread::sleep(Duration::from_millis(90));
    s.begin(1).unwrap().succeeded();
    let st = &s.status()[1];
    assert_eq!((st.state, st.consecutive_failures), (ServerState::Up, 0));
    assert!(st.last_error.is_some());
}

#[test]
fn dropped_connections_rest_a_server_once() {
    let s = set(ServerStrategy::Failover, 1000, 1000);
    s.failed(0, &refused(), "drop");
    s.failed(0, &refused(), "drop");
    s.failed(0, &Error::Closed("later".into()), "drop");
    let st = &s.status()[0];
    assert_eq!(st.consecutive_failures, 1);
    assert_eq!(
        st.last_error.as_ref().map(ToString::to_string).as_deref(),
        Some("connection closed: later")
    );
    // Out of range: ignored, not a panic.
    s.failed(7, &refused(), "drop");
    assert!(s.begin(7).is_err());
    assert_eq!(s.url(7), "");
}
