//! `LdapPool` against real slapd instances: the bind identity is never
//! handed to the wrong caller (nor changed under the users of a shared
//! connection), and three servers, one of them SIGKILLed and restarted
//! under 64 busy tasks, half of them sharing connections.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_ldap::{
    Bind, ConnConfig, Error, LdapConn, LdapPool, ResultCode, Scope, Search, ServerState,
    ServerStrategy, SharePolicy,
};

use crate::support::pool::bounded;
use crate::support::slapd::{Slapd, SlapdOptions, VerifyClient, BASE_DN, USERS};

const LIMIT: Duration = Duration::from_secs(20);

fn plain_slapd() -> Slapd {
    Slapd::start(SlapdOptions {
        verify_client: VerifyClient::Never,
        ..SlapdOptions::default()
    })
}

/// Simple binds over `ldap://` on loopback: allowed for the test.
fn config() -> ConnConfig {
    ConnConfig::new()
        .connect_timeout(Some(Duration::from_secs(2)))
        .operation_timeout(Some(Duration::from_secs(5)))
        .allow_insecure_password(true)
}

fn authz(dn: &str) -> Option<String> {
    Some(format!("dn:{dn}"))
}

/// Whoever binds a pooled connection as someone else (or fails a bind, or
/// binds again as the same identity, or binds through a clone kept past the
/// `PooledConn`), the next caller gets a connection bound as the pool's
/// identity: the re-bound one is discarded.
#[tokio::test]
async fn pool_never_hands_a_rebound_connection_to_the_next_caller() {
    let slapd = plain_slapd();
    let [alice, bob, _] = USERS;
    let pool = LdapPool::builder(&slapd.ldap_url(), config())
        .bind(Bind::simple(alice.dn, alice.password))
        .max_size(1)
        .build()
        .unwrap();

    // Re-bound as bob.
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), authz(alice.dn));
    conn.bind_simple(bob.dn, bob.password).await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), authz(bob.dn));
    drop(conn);
    assert_eq!(
        pool.status().size,
        0,
        "the re-bound connection is discarded"
    );
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), authz(alice.dn));
    drop(conn);
    assert_eq!(pool.status().size, 1, "a clean connection is kept");

    // A failed bind leaves the connection anonymous (RFC 4511 §4.2.1).
    let conn = pool.get().await.unwrap();
    let err = conn.bind_simple(bob.dn, "wrong").await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    assert!(matches!(err, Error::Ldap(_)), "{err:?}");
    assert_eq!(err.to_string(), "bind failed: invalidCredentials (49)");
    assert_eq!(conn.whoami().await.unwrap(), None);
    drop(conn);
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), authz(alice.dn));
    drop(conn);

    // Bound again as the same identity: discarded all the same.
    let conn = pool.get().await.unwrap();
    conn.bind_simple(alice.dn, alice.password).await.unwrap();
    drop(conn);
    assert_eq!(pool.status().size, 0);

    // A clone kept past the PooledConn and bound after the return: the
    // next checkout sees it and does not lend that connection.
    let conn = pool.get().await.unwrap();
    let kept: LdapConn = (*conn).clone();
    drop(conn);
    assert_eq!(pool.status().idle, 1);
    kept.bind_simple(bob.dn, bob.password).await.unwrap();
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), authz(alice.dn));
    assert_eq!(kept.whoami().await.unwrap(), authz(bob.dn));
}

/// Connections lent shared act as the pool's identity for every user:
/// 64 callers at once on 4 connections all are alice; a bind on a shared
/// connection is refused and changes nothing; a connection taken with
/// `get` and bound as bob is discarded, and the shared callers after it
/// are alice again.
#[tokio::test]
async fn pool_shared_connections_keep_the_pools_identity() {
    shared_connections_keep_the_pools_identity(SharePolicy::Spread).await;
}

/// The same, seating callers fill first.
#[tokio::test]
async fn pool_shared_fill_first_connections_keep_the_pools_identity() {
    shared_connections_keep_the_pools_identity(SharePolicy::Fill).await;
}

async fn shared_connections_keep_the_pools_identity(policy: SharePolicy) {
    let slapd = plain_slapd();
    let [alice, bob, _] = USERS;
    let pool = LdapPool::builder(&slapd.ldap_url(), config())
        .bind(Bind::simple(alice.dn, alice.password))
        .max_size(4)
        .max_sharers(16)
        .share_policy(policy)
        .build()
        .unwrap();
    let who = futures_util::future::join_all((0..64).map(|_| async {
        let conn = pool.get_shared().await?;
        let who = conn.whoami().await?;
        // Held across the round trip: the callers overlap.
        Ok::<_, Error>((who, pool.status().size))
    }))
    .await;
    for w in &who {
        let (id, size) = w.as_ref().expect("a shared WhoAmI");
        assert_eq!(id, &authz(alice.dn));
        assert!(*size <= 4, "{size} connections");
    }

    let shared = pool.get_shared().await.unwrap();
    let err = shared.bind_simple(bob.dn, bob.password).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("invalid input: this connection is lent by LdapPool::get_shared"),
        "{err}"
    );
    assert_eq!(shared.whoami().await.unwrap(), authz(alice.dn));
    drop(shared);

    let size = pool.status().size;
    let own = pool.get().await.unwrap();
    own.bind_simple(bob.dn, bob.password).await.unwrap();
    assert_eq!(own.whoami().await.unwrap(), authz(bob.dn));
    drop(own);
    assert_eq!(
        pool.status().size,
        size - 1,
        "the re-bound one is discarded"
    );
    let all = futures_util::future::join_all((0..8).map(|_| async {
        let conn = pool.get_shared().await?;
        conn.whoami().await
    }))
    .await;
    for w in all {
        assert_eq!(w.expect("a shared WhoAmI"), authz(alice.dn));
    }
}

/// A wrong pool password is the error of every server, named per server.
#[tokio::test]
async fn pool_bind_failure_names_the_server_and_the_result() {
    let slapd = plain_slapd();
    let pool = LdapPool::builder(&slapd.ldap_url(), config())
        .bind(Bind::simple(USERS[0].dn, "wrong"))
        .build()
        .unwrap();
    let err = pool.get().await.unwrap_err();
    let Error::AllServersFailed(failures) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        failures[0].error.as_deref().and_then(Error::result_code),
        Some(ResultCode::INVALID_CREDENTIALS)
    );
    assert_eq!(
        err.to_string(),
        format!(
            "no server of the pool could be used: {}: bind failed: invalidCredentials (49)",
            slapd.ldap_url()
        )
    );
}

/// What one operation of the load came to.
struct Outcome {
    /// When it started on its connection (or its checkout started, if
    /// that failed), from the start of the run.
    started: Duration,
    /// The server that served it, or the error.
    result: Result<String, Error>,
}

/// Three slapd instances, 64 tasks running WhoAmI and searches through the
/// pool; one instance is SIGKILLed, then restarted. Every operation started
/// is accounted for (none hangs, none vanishes); operations started once the
/// connect timeout has passed after the kill all succeed, on the live
/// servers; the restarted server gets traffic again once its rest is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_survives_a_server_killed_and_restarted_under_load() {
    let mut servers = [plain_slapd(), plain_slapd(), plain_slapd()];
    let urls: Vec<String> = servers.iter().map(Slapd::ldap_url).collect();
    let victim = urls[1].clone();
    let connect_timeout = Duration::from_secs(2);
    let pool = LdapPool::builder(&urls.join(" "), config())
        .bind(Bind::simple(USERS[0].dn, USERS[0].password))
        .strategy(ServerStrategy::RoundRobin)
        .max_size(24)
        // Connections move: the restarted server gets new ones.
        .max_lifetime(Some(Duration::from_millis(300)))
        .backoff(Duration::from_millis(100), Duration::from_millis(400))
        .build()
        .unwrap();

    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let hung = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for t in 0..64 {
        let (pool, stop, started, hung, outcomes) = (
            pool.clone(),
            stop.clone(),
            started.clone(),
            hung.clone(),
            outcomes.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                started.fetch_add(1, Ordering::SeqCst);
                // When the operation started on its connection (after the
                // checkout, which may wait its turn), or when the checkout
                // started if it failed.
                let at = Mutex::new(t0.elapsed());
                let op = async {
                    // Half the tasks share connections, half take their own.
                    let (own, shared);
                    let (conn, server): (&LdapConn, String) = if t % 2 == 0 {
                        own = pool.get().await?;
                        (&own, own.server().to_owned())
                    } else {
                        shared = pool.get_shared().await?;
                        (&shared, shared.server().to_owned())
                    };
                    *at.lock().unwrap() = t0.elapsed();
                    if (t + i).is_multiple_of(2) {
                        conn.whoami().await?;
                    } else {
                        let found = conn
                            .search_all(
                                Search::new(BASE_DN)
                                    .scope(Scope::Subtree)
                                    .filter("(uid=alice)"),
                            )
                            .await?;
                        assert_eq!(found.entries.len(), 1);
                    }
                    Ok::<_, Error>(server)
                };
                match tokio::time::timeout(Duration::from_secs(10), op).await {
                    Ok(result) => outcomes.lock().unwrap().push(Outcome {
                        started: *at.lock().unwrap(),
                        result,
                    }),
                    Err(_) => {
                        hung.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(1000)).await;
    let killed_at = t0.elapsed();
    servers[1].kill_hard();
    tokio::time::sleep(connect_timeout + Duration::from_millis(500)).await;
    let restarted_at = t0.elapsed();
    tokio::task::block_in_place(|| servers[1].restart());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        bounded("a load task", LIMIT, t).await.unwrap();
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    let started = started.load(Ordering::SeqCst);
    assert_eq!(hung.load(Ordering::SeqCst), 0, "operations hung");
    assert_eq!(outcomes.len(), started, "every operation is accounted for");
    let ok = |from: Duration, to: Duration, server: Option<&str>| {
        outcomes
            .iter()
            .filter(|o| o.started >= from && o.started < to)
            .filter(|o| matches!(&o.result, Ok(s) if server.is_none_or(|want| s == want)))
            .count()
    };
    let end = Duration::MAX;
    assert!(
        ok(Duration::ZERO, killed_at, Some(&victim)) > 0,
        "the victim served before the kill"
    );
    assert!(
        ok(killed_at, restarted_at, None) > 0,
        "the live servers served during the outage"
    );
    for o in &outcomes {
        match &o.result {
            Ok(_) => {}
            Err(e) => {
                assert!(
                    o.started >= killed_at.saturating_sub(Duration::from_millis(100))
                        && o.started < killed_at + connect_timeout,
                    "an operation started at {:?} (kill at {killed_at:?}) failed: {e}",
                    o.started
                );
                assert!(
                    matches!(e, Error::Io(_) | Error::Closed(_)),
                    "unexpected kind: {e:?}"
                );
                let text = e.to_string();
                assert!(
                    text.starts_with("I/O error: ") || text.starts_with("connection closed: "),
                    "{text}"
                );
            }
        }
    }
    // After the outage, nothing is served by the dead server, ...
    assert_eq!(
        ok(
            killed_at + Duration::from_millis(200),
            restarted_at,
            Some(&victim)
        ),
        0
    );
    // ... and it serves again once it is back and its rest is over.
    assert!(
        ok(restarted_at, end, Some(&victim)) > 0,
        "the restarted server got no traffic"
    );
    let status = pool.status();
    assert_eq!(status.servers[1].state, ServerState::Up, "{status:?}");
    assert!(status.servers[1].last_error.is_some(), "{status:?}");
    let errors = outcomes.iter().filter(|o| o.result.is_err()).count();
    eprintln!(
        "{started} operations: {} ok, {errors} failed at the kill",
        started - errors
    );
}
