//! `LdapPool` against the crate's in-process servers (every platform):
//! the builder's errors, every server failing, failover and the half-open
//! trial, the strategies, `max_size` under 1,000 concurrent `get()`s,
//! waiters in order and their timeout, health checks, retirement, and no
//! socket or task left behind; `LdapConn::is_closed` after each way a
//! connection ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_ldap::proto::extended::NOTICE_OF_DISCONNECTION;
use tokio_ldap::proto::{ExtendedResponse, LdapResult, MessageId, Password, ProtocolOp};
use tokio_ldap::testkit::TestServer;
use tokio_ldap::{
    Bind, ConnConfig, Error, LdapConn, LdapPool, Phase, ResultCode, ServerState, ServerStrategy,
};

use crate::support::pool::{
    assert_pool_timeout_100ms_of_1, bounded, callers_at_once, eventually, test_server,
};
use crate::support::server::{self, Peer};

const LIMIT: Duration = Duration::from_secs(20);

fn plain() -> ConnConfig {
    ConnConfig::new().connect_timeout(Some(Duration::from_secs(5)))
}

/// Waits until `srv` has seen `n` connections (it records one when its
/// task for it starts, a moment after the client's connect returns).
async fn served(srv: &TestServer, n: usize) {
    eventually(&format!("the server saw {n} connections"), LIMIT, || {
        srv.connections().len() >= n
    })
    .await;
    assert_eq!(srv.connections().len(), n);
}

/// A loopback port nothing listens on (bound, then let go).
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = l.local_addr().expect("its address").port();
    drop(l);
    format!("ldap://127.0.0.1:{port}")
}

// ---- the builder ----

#[test]
fn pool_builder_rejects_what_cannot_work_and_says_why() {
    let build = |urls: &str| LdapPool::builder(urls, plain()).build();
    let err = build("  ").unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid input: the pool was given no LDAP URL: give one or more, separated by spaces"
    );
    let err = build("http://example.com").unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("invalid input: the pool's URLs: "),
        "{err}"
    );
    let err = build("ldap:///ou=people").unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid input: the pool's URL ldap:///ou=people names no host and no dc= domain to look up in DNS: write ldap://HOST or ldap:///dc=example,dc=com"
    );
    let err = LdapPool::builder("ldap://127.0.0.1:389", plain())
        .max_size(0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid input: the pool's max_size must be at least 1"
    );
    let err = LdapPool::builder("ldap://127.0.0.1:389", plain())
        .bind(Bind::Simple {
            dn: "cn=x".into(),
            password: Password::new(vec![0xff, 0xfe]),
        })
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid input: the pool's bind password is not UTF-8: a simple bind takes a UTF-8 password"
    );
}

/// `Bind`'s `Debug` shows no password.
#[test]
fn pool_bind_debug_redacts_the_password() {
    let shown = format!("{:?}", Bind::simple("cn=app", "hunter2"));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

// ---- every server failing; failover; half-open ----

#[tokio::test]
async fn pool_get_fails_only_when_every_server_failed_naming_each() {
    let (a, b) = (dead_url(), dead_url());
    let pool = LdapPool::builder(&format!("{a} {b}"), plain())
        .backoff(Duration::from_secs(60), Duration::from_secs(60))
        .build()
        .unwrap();
    let err = bounded("get", LIMIT, pool.get()).await.unwrap_err();
    let Error::AllServersFailed(failures) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failures.len(), 2);
    for (f, url) in failures.iter().zip([&a, &b]) {
        assert_eq!(&f.server, url);
        assert!(f.retry_in.is_none());
        assert!(
            matches!(f.error.as_deref(), Some(Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused),
            "{f:?}"
        );
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "no server of the pool could be used: {a}: I/O error: "
        )),
        "{text}"
    );
    assert!(text.contains(&format!("; {b}: I/O error: ")), "{text}");
    assert!(text.contains("refused"), "{text}");

    // Both rest now: the next get() tries neither and says so.
    let err = bounded("get", LIMIT, pool.get()).await.unwrap_err();
    let Error::AllServersFailed(failures) = &err else {
        panic!("{err:?}")
    };
    for f in failures {
        let rest = f.retry_in.expect("resting");
        assert!(rest > Duration::from_secs(50), "{f:?}");
        assert!(matches!(f.error.as_deref(), Some(Error::Io(_))), "{f:?}");
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "no server of the pool could be used: {a}: not tried, resting "
        )),
        "{text}"
    );
    assert!(text.contains("s more after: I/O error: "), "{text}");
    let status = pool.status();
    assert_eq!((status.size, status.in_use, status.idle), (0, 0, 0));
    for s in &status.servers {
        assert!(
            matches!(s.state, ServerState::Backoff { retry_in } if retry_in > Duration::from_secs(50)),
            "{s:?}"
        );
        assert_eq!(s.consecutive_failures, 1);
        assert!(matches!(s.last_error, Some(Error::Io(_))), "{s:?}");
        assert_eq!(s.connections, 0);
    }
}

#[tokio::test]
async fn pool_fails_over_and_tries_a_resting_server_once_half_open() {
    let live = test_server().await;
    let dead = dead_url();
    let pool = LdapPool::builder(&format!("{dead} {}", live.ldap_url()), plain())
        .backoff(Duration::from_millis(50), Duration::from_secs(5))
        .build()
        .unwrap();
    let first = bounded("get", LIMIT, pool.get()).await.unwrap();
    assert_eq!(first.server(), live.ldap_url());
    assert_eq!(first.whoami().await.unwrap(), None);
    let s = pool.status();
    assert!(
        matches!(s.servers[0].state, ServerState::Backoff { .. }),
        "{s:?}"
    );
    assert_eq!(s.servers[1].state, ServerState::Up);
    assert_eq!(s.servers[1].connections, 1);

    // Its rest over, the dead server is tried again by the next new
    // connection, fails again and rests twice as long.
    eventually("the dead server is half-open", LIMIT, || {
        pool.status().servers[0].state == ServerState::HalfOpen
    })
    .await;
    let second = bounded("get", LIMIT, pool.get()).await.unwrap();
    assert_eq!(second.server(), live.ldap_url());
    let s = pool.status();
    assert_eq!(s.servers[0].consecutive_failures, 2);
    assert!(
        matches!(s.servers[0].state, ServerState::Backoff { retry_in } if retry_in > Duration::from_millis(60)),
        "{s:?}"
    );
    assert_eq!((s.size, s.in_use), (2, 2));
}

// ---- strategies ----

#[tokio::test]
async fn pool_strategies_place_new_connections() {
    let servers = [
        test_server().await,
        test_server().await,
        test_server().await,
    ];
    let urls: Vec<String> = servers.iter().map(TestServer::ldap_url).collect();
    let all = urls.join(" ");
    for (strategy, want) in [
        (ServerStrategy::Failover, [6, 0, 0]),
        (ServerStrategy::RoundRobin, [2, 2, 2]),
        (ServerStrategy::FewestConnections, [2, 2, 2]),
    ] {
        let pool = LdapPool::builder(&all, plain())
            .strategy(strategy)
            .build()
            .unwrap();
        let mut held = Vec::new();
        for _ in 0..6 {
            held.push(bounded("get", LIMIT, pool.get()).await.unwrap());
        }
        let counts: Vec<usize> = urls
            .iter()
            .map(|u| held.iter().filter(|c| c.server() == u).count())
            .collect();
        assert_eq!(counts, want, "{strategy:?}");
        let seen: Vec<usize> = pool
            .status()
            .servers
            .iter()
            .map(|s| s.connections)
            .collect();
        assert_eq!(seen, want, "{strategy:?}");
    }
    // Fewest connections fills the emptiest server first.
    let pool = LdapPool::builder(&all, plain())
        .strategy(ServerStrategy::FewestConnections)
        .build()
        .unwrap();
    let a = pool.get().await.unwrap();
    let b = pool.get().await.unwrap();
    drop(a);
    let c = pool.get().await.unwrap();
    // `a` came back idle and is lent again; no new connection was needed.
    assert_eq!(c.server(), urls[0]);
    assert_eq!(b.server(), urls[1]);
}

// ---- size, waiters, timeouts ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_max_size_holds_under_1000_concurrent_gets() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .max_size(8)
        .wait_timeout(Some(LIMIT))
        .build()
        .unwrap();
    let p = pool.clone();
    let most = callers_at_once(
        1000,
        LIMIT,
        || {
            let pool = pool.clone();
            async move { pool.get().await }
        },
        move || {
            assert!(p.status().size <= 8);
        },
    )
    .await;
    assert!((1..=8).contains(&most), "{most} held at once");
    assert!(srv.connections().len() <= 8, "{}", srv.connections().len());
    let s = pool.status();
    assert!(s.size <= 8 && s.size >= 1, "{s:?}");
    assert_eq!((s.in_use, s.waiting, s.idle), (0, 0, s.size));
}

#[tokio::test]
async fn pool_waiters_are_served_in_order_and_time_out() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .max_size(1)
        .wait_timeout(Some(LIMIT))
        .build()
        .unwrap();
    let first = pool.get().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 0..5 {
        let (p, order) = (pool.clone(), order.clone());
        waiters.push(tokio::spawn(async move {
            let conn = p.get().await.expect("a connection in turn");
            order.lock().unwrap().push(i);
            // Hold it across a round trip, so the next waiter must wait.
            conn.whoami().await.expect("whoami");
        }));
        eventually("the waiter queues", LIMIT, || {
            pool.status().waiting == i + 1
        })
        .await;
    }
    assert_eq!(pool.status().in_use, 1);
    drop(first);
    for w in waiters {
        bounded("a waiter", LIMIT, w).await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    // One connection served all six.
    assert_eq!(srv.connections().len(), 1);

    let short = LdapPool::builder(&srv.ldap_url(), plain())
        .max_size(1)
        .wait_timeout(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let held = short.get().await.unwrap();
    let err = bounded("get", LIMIT, short.get()).await.unwrap_err();
    assert_pool_timeout_100ms_of_1(&err);
    drop(held);
    assert!(short.get().await.is_ok());
}

/// A caller whose new connection is being made is "connecting", not
/// "waiting": a server that accepts TCP and never answers the bind holds
/// one new connection for the operation timeout; the caller queued
/// behind it (max_size 1) is the one waiting.
#[tokio::test]
async fn pool_status_tells_connecting_from_waiting() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    // Plain LDAP: the TCP connect succeeds, the bind is never answered.
    let pool = LdapPool::builder(
        &format!("ldap://127.0.0.1:{port}"),
        plain()
            .allow_insecure_password(true)
            .operation_timeout(Some(Duration::from_millis(600))),
    )
    .bind(Bind::simple("cn=app", "secret"))
    .max_size(1)
    .build()
    .unwrap();
    let first = tokio::spawn({
        let pool = pool.clone();
        async move { pool.get().await }
    });
    eventually("one connection is being made", LIMIT, || {
        pool.status().connecting == 1
    })
    .await;
    let s = pool.status();
    assert_eq!((s.connecting, s.waiting, s.size), (1, 0, 0), "{s:?}");
    let second = tokio::spawn({
        let pool = pool.clone();
        async move { pool.get().await }
    });
    eventually("the second caller waits", LIMIT, || {
        pool.status().waiting == 1
    })
    .await;
    assert_eq!(pool.status().connecting, 1);
    let err = bounded("the first get", LIMIT, first)
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::AllServersFailed(_)), "{err:?}");
    assert!(err.to_string().contains("timed out after 600ms"), "{err}");
    drop(bounded("the second get", LIMIT, second).await.unwrap());
    let s = pool.status();
    assert_eq!((s.connecting, s.waiting), (0, 0), "{s:?}");
    drop(silent);
}

// ---- health: closed, broken, probed, retired ----

/// A connection whose server went away is not lent again: its server rests
/// and the next get() goes to the other one.
#[tokio::test]
async fn pool_never_lends_a_closed_connection() {
    let a = test_server().await;
    let b = test_server().await;
    let pool = LdapPool::builder(&format!("{} {}", a.ldap_url(), b.ldap_url()), plain())
        .backoff(Duration::from_secs(60), Duration::from_secs(60))
        .build()
        .unwrap();
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.server(), a.ldap_url());
    let raw: LdapConn = (*conn).clone();
    drop(conn);
    // Every connection to `a` ends after one more message.
    a.drop_after(0);
    let err = raw.whoami().await.unwrap_err();
    assert!(matches!(err, Error::Closed(_) | Error::Io(_)), "{err:?}");
    eventually("the connection is seen closed", LIMIT, || raw.is_closed()).await;
    drop(raw);
    let next = bounded("get", LIMIT, pool.get()).await.unwrap();
    assert_eq!(next.server(), b.ldap_url());
    next.whoami().await.unwrap();
    let s = pool.status();
    assert!(
        matches!(s.servers[0].state, ServerState::Backoff { .. }),
        "{s:?}"
    );
    assert_eq!(s.servers[0].connections, 0);
    let last = s.servers[0].last_error.clone().expect("the drop's reason");
    assert!(matches!(last, Error::Closed(_) | Error::Io(_)), "{last:?}");
    assert!(
        last.to_string().starts_with("connection closed: ")
            || last.to_string().starts_with("I/O error: "),
        "{last}"
    );
}

/// A connection that a caller's operation found broken is discarded when
/// it is given back.
#[tokio::test]
async fn pool_discards_a_connection_found_broken_on_return() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    let conn = pool.get().await.unwrap();
    srv.drop_after(0);
    let err = conn.whoami().await.unwrap_err();
    assert!(matches!(err, Error::Closed(_) | Error::Io(_)), "{err:?}");
    eventually("closed", LIMIT, || conn.is_closed()).await;
    assert_eq!(pool.status().size, 1);
    drop(conn);
    let s = pool.status();
    assert_eq!((s.size, s.idle, s.in_use), (0, 0, 0), "{s:?}");
    srv.clear_faults();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fresh = bounded("get", LIMIT, pool.get()).await.unwrap();
    fresh.whoami().await.unwrap();
    assert_eq!(srv.connections().len(), 2);
}

/// An idle connection whose server stopped answering fails its "Who am
/// I?" probe and is replaced.
#[tokio::test]
async fn pool_probes_idle_connections_and_replaces_the_silent_ones() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .health_check(Some(Duration::ZERO), Duration::from_millis(200))
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    drop(pool.get().await.unwrap());
    // Probed and healthy: the same connection is lent again.
    drop(pool.get().await.unwrap());
    served(&srv, 1).await;
    srv.delay_responses(Duration::from_secs(30));
    // The silent connection is discarded and its server rests: with no
    // other server, this get() fails, saying why.
    let err = bounded("get", LIMIT, pool.get()).await.unwrap_err();
    let Error::AllServersFailed(failures) = &err else {
        panic!("{err:?}")
    };
    assert!(failures[0].retry_in.is_some(), "{failures:?}");
    assert!(
        matches!(failures[0].error.as_deref(), Some(Error::Timeout { phase: Phase::Operation, after }) if *after == Duration::from_millis(200)),
        "{failures:?}"
    );
    assert!(
        err.to_string()
            .ends_with("s more after: the operation timed out after 200ms"),
        "{err}"
    );
    let last = pool.status().servers[0]
        .last_error
        .clone()
        .expect("the probe's error");
    assert_eq!(last.to_string(), "the operation timed out after 200ms");
    // Its rest over, a new connection is made.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
    served(&srv, 2).await;
    assert_eq!(pool.status().servers[0].state, ServerState::Up);
    drop(conn);
}

#[tokio::test]
async fn pool_retires_connections_past_their_lifetime_or_idle_time() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .max_lifetime(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    drop(pool.get().await.unwrap());
    drop(pool.get().await.unwrap());
    served(&srv, 1).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(pool.get().await.unwrap());
    served(&srv, 2).await;

    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .idle_timeout(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let (a, b) = (pool.get().await.unwrap(), pool.get().await.unwrap());
    drop((a, b));
    assert_eq!(pool.status().idle, 2);
    // The next checkout after a second closes both idle ones, then makes
    // one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c = pool.get().await.unwrap();
    served(&srv, 3).await;
    let s = pool.status();
    assert_eq!((s.size, s.in_use, s.idle), (1, 1, 0), "{s:?}");
    drop(c);
}

// ---- no leak ----

/// Dropping the pool (with a connection still lent out, given back later)
/// closes every socket and ends every task it started.
#[test]
fn pool_leaves_no_socket_or_task_behind_when_dropped() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let srv = test_server().await;
        let port = srv.ldap_addr().port();
        let metrics = tokio::runtime::Handle::current().metrics();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let tasks_before = metrics.num_alive_tasks();
        let pool = LdapPool::builder(&srv.ldap_url(), plain())
            .max_size(8)
            .build()
            .unwrap();
        let mut jobs = Vec::new();
        for _ in 0..200 {
            let pool = pool.clone();
            jobs.push(tokio::spawn(async move {
                let c = pool.get().await.expect("get");
                c.whoami().await.expect("whoami");
            }));
        }
        for j in jobs {
            bounded("job", LIMIT, j).await.unwrap();
        }
        let kept = pool.get().await.unwrap();
        #[cfg(target_os = "linux")]
        {
            let open = crate::support::pool::client_sockets_to(port);
            assert!((1..=8).contains(&open), "{open} sockets open");
        }
        assert!(metrics.num_alive_tasks() > tasks_before);
        drop(pool);
        kept.whoami().await.unwrap();
        drop(kept);
        eventually("every task of the pool ended", LIMIT, || {
            metrics.num_alive_tasks() <= tasks_before
        })
        .await;
        #[cfg(target_os = "linux")]
        eventually("every socket of the pool closed", LIMIT, || {
            crate::support::pool::client_sockets_to(port) == 0
        })
        .await;
        let _ = port;
    });
}

// ---- LdapConn::is_closed ----

fn notice() -> ProtocolOp {
    let mut result = LdapResult::new(ResultCode::UNAVAILABLE);
    result.message = "going down".into();
    let mut response = ExtendedResponse::new(result);
    response.name = Some(NOTICE_OF_DISCONNECTION.into());
    ProtocolOp::ExtendedResponse(response)
}

/// How the scripted server ends the connection after the client's first
/// request.
#[derive(Clone, Copy, Debug)]
enum End {
    Eof,
    Reset,
    Notice,
    Garbage,
}

/// `is_closed` is false on a live connection and true once the
/// connection ended, whichever way; the error then says why.
#[tokio::test]
async fn is_closed_after_eof_reset_notice_protocol_error_and_unbind() {
    for (end, kind, text) in [
        (End::Eof, "Closed", "connection closed: "),
        (End::Reset, "Io", "I/O error: "),
        (
            End::Notice,
            "Disconnected",
            "server disconnected: unavailable (52): going down",
        ),
        (End::Garbage, "Protocol", "protocol error: "),
    ] {
        let srv = server::start(move |mut p: Peer| async move {
            if p.recv().await.is_none() {
                return;
            }
            match end {
                End::Eof => p.close().await,
                End::Reset => p.reset(),
                End::Notice => {
                    let _ = p.send(MessageId::UNSOLICITED, notice()).await;
                    let _ = p.read_to_end().await;
                }
                End::Garbage => {
                    let _ = p.send_raw(&[0x30, 0x03, 0x02, 0x01]).await;
                    let _ = p.send_raw(&[0xff; 8]).await;
                    let _ = p.read_to_end().await;
                }
            }
        })
        .await;
        let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
        assert!(!conn.is_closed(), "{end:?}");
        let err = bounded("whoami", LIMIT, conn.whoami()).await.unwrap_err();
        let got = match &err {
            Error::Closed(_) => "Closed",
            Error::Io(_) => "Io",
            Error::Disconnected { .. } => "Disconnected",
            Error::Protocol(_) => "Protocol",
            _ => "other",
        };
        // A reset may be read as a plain close, depending on timing.
        let ok = got == kind || (matches!(end, End::Reset) && got == "Closed");
        assert!(ok, "{end:?}: {err:?}");
        assert!(
            err.to_string().starts_with(text)
                || (matches!(end, End::Reset)
                    && err.to_string().starts_with("connection closed: ")),
            "{end:?}: {err}"
        );
        eventually("is_closed", LIMIT, || conn.is_closed()).await;
    }

    let srv = test_server().await;
    let conn = LdapConn::connect(&srv.ldap_url(), plain()).await.unwrap();
    let other = conn.clone();
    assert!(!other.is_closed());
    conn.unbind().await.unwrap();
    assert!(other.is_closed());
    let err = other.whoami().await.unwrap_err();
    assert!(matches!(err, Error::Closed(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "connection closed: the connection was unbound"
    );
}

// ---- observability ----

/// A checkout is a span; each connect the pool makes is a span naming its
/// server; a server that fails is a warning naming the server and the
/// reason, and so is the shared checkout.
#[tokio::test]
async fn pool_checkouts_and_connects_are_spans_and_failures_are_warnings() {
    use crate::support::spans::Recorder;

    let srv = test_server().await;
    let dead = dead_url();
    let recorder = Recorder::default();
    let log = recorder.log.clone();
    let _guard = tracing::subscriber::set_default(recorder);
    let pool = LdapPool::builder(&format!("{dead} {}", srv.ldap_url()), plain())
        .build()
        .unwrap();
    let conn = pool.get().await.unwrap();
    conn.whoami().await.unwrap();
    drop(conn);
    drop(pool.get_shared().await.unwrap());

    let log = log.lock().unwrap();
    let checkouts: Vec<_> = log
        .spans
        .iter()
        .filter(|s| s.name == "ldap_pool_checkout")
        .collect();
    assert_eq!(checkouts.len(), 3, "get, get_shared and its inner get");
    assert!(checkouts.iter().all(|s| s.level == tracing::Level::DEBUG));
    assert_eq!(checkouts[1].field("shared"), Some("true"));
    let connects: Vec<Option<&str>> = log
        .spans
        .iter()
        .filter(|s| s.name == "ldap_pool_connect")
        .map(|s| s.field("server"))
        .collect();
    let live = srv.ldap_url();
    assert_eq!(connects, [Some(dead.as_str()), Some(live.as_str())]);
    let warned: Vec<_> = log
        .events
        .iter()
        .filter(|e| e.name == "pool server failed; resting it")
        .collect();
    assert_eq!(warned.len(), 1, "one failure, one warning");
    let w = warned[0];
    assert_eq!(w.level, tracing::Level::WARN);
    assert_eq!(w.field("server"), Some(dead.as_str()));
    let reason = w.field("reason").expect("a reason");
    assert!(reason.starts_with("I/O error: "), "{reason}");
    assert_eq!(w.field("failures_in_a_row"), Some("1"));
}
