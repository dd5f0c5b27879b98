//! `LdapPool::get_shared` against the crate's in-process server: the pool
//! spreads callers over its connections first, then seats up to
//! `max_sharers` on each; a seat freed wakes a waiter; the last user gives
//! the connection back; a shared connection refuses binds; a closed one
//! takes no new users; callers of `get` are not starved; 1,000 callers at
//! once stay within `max_size` connections. Fill first
//! (`SharePolicy::Fill`): callers take seats before another connection
//! is opened, callers arriving at once open one connection per
//! `max_sharers` of them, and those waiting on a connect that fails are
//! told, not stranded.

use std::time::Duration;

use tokio_ldap::{Bind, ConnConfig, Error, LdapPool, SharePolicy};

use crate::support::pool::{
    assert_pool_timeout_100ms_of_1, bounded, callers_at_once, eventually, test_server,
};

const LIMIT: Duration = Duration::from_secs(20);

fn plain() -> ConnConfig {
    ConnConfig::new()
        .connect_timeout(Some(Duration::from_secs(5)))
        .allow_insecure_password(true)
}

/// A pool over `url` with `max_size` connections of `max_sharers` seats,
/// callers placed by `policy`, waiting at most [`LIMIT`].
fn shared_pool(url: &str, max_size: usize, max_sharers: usize, policy: SharePolicy) -> LdapPool {
    LdapPool::builder(url, plain())
        .max_size(max_size)
        .max_sharers(max_sharers)
        .share_policy(policy)
        .wait_timeout(Some(LIMIT))
        .build()
        .unwrap()
}

/// `n` callers of `get_shared` at once (as `callers_at_once`), each
/// checking while it holds its seat that the pool has at most `size`
/// connections and `sharers` users; the most seats held at once.
async fn sharers_at_once(pool: &LdapPool, n: usize, size: usize, sharers: usize) -> usize {
    let (take, p) = (pool.clone(), pool.clone());
    callers_at_once(
        n,
        LIMIT,
        move || {
            let pool = take.clone();
            async move { pool.get_shared().await }
        },
        move || {
            let s = p.status();
            assert!(s.size <= size && s.sharers <= sharers, "{s:?}");
        },
    )
    .await
}

/// (connections lent shared, their users, connections open).
fn shares(pool: &LdapPool) -> (usize, usize, usize) {
    let s = pool.status();
    (s.shared, s.sharers, s.size)
}

#[test]
fn pool_builder_rejects_zero_sharers() {
    let err = LdapPool::builder("ldap://127.0.0.1:1", plain())
        .max_sharers(0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid input: the pool's max_sharers must be at least 1"
    );
}

/// Two connections, three callers each at most: the first two callers get
/// a connection each, the next four share them, the seventh waits for a
/// seat and gets the first one freed; the last user of a connection gives
/// it back to the pool.
#[tokio::test]
async fn pool_shared_spreads_first_then_seats_up_to_max_sharers() {
    let srv = test_server().await;
    let pool = shared_pool(&srv.ldap_url(), 2, 3, SharePolicy::Spread);
    let a = pool.get_shared().await.unwrap();
    let b = pool.get_shared().await.unwrap();
    assert_eq!(shares(&pool), (2, 2, 2));
    assert_eq!(srv.connections().len(), 2, "spread over two connections");
    let mut more = Vec::new();
    for _ in 0..4 {
        more.push(pool.get_shared().await.unwrap());
    }
    assert_eq!(shares(&pool), (2, 6, 2));
    assert_eq!(srv.connections().len(), 2, "no third connection");
    // All six run at once on the two connections.
    let all: Vec<_> = [&a, &b].into_iter().chain(more.iter()).collect();
    let answers = futures_util::future::join_all(all.iter().map(|c| c.whoami())).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");

    // The seventh waits until a seat is free.
    let p = pool.clone();
    let seventh = tokio::spawn(async move {
        let c = p.get_shared().await?;
        c.whoami().await?;
        Ok::<_, Error>(c)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!seventh.is_finished(), "no seat was free");
    drop(a);
    let seventh = bounded("the seventh caller", LIMIT, seventh)
        .await
        .unwrap()
        .expect("a seat");
    assert_eq!(shares(&pool), (2, 6, 2));
    assert_eq!(srv.connections().len(), 2);

    // Every user gone: both connections are back in the pool, idle.
    drop((b, more, seventh));
    assert_eq!(shares(&pool), (0, 0, 2));
    let s = pool.status();
    assert_eq!((s.idle, s.in_use), (2, 0), "{s:?}");
}

/// A seat on a full connection wait for at most the wait timeout.
#[tokio::test]
async fn pool_shared_waits_for_a_seat_within_the_wait_timeout() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .max_size(1)
        .max_sharers(1)
        .wait_timeout(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let held = pool.get_shared().await.unwrap();
    let err = bounded("get_shared", LIMIT, pool.get_shared())
        .await
        .unwrap_err();
    assert_pool_timeout_100ms_of_1(&err);
    drop(held);
    assert!(pool.get_shared().await.is_ok());
}

/// A bind on a connection lent shared fails before anything is sent,
/// from the `SharedConn` and from a clone of it; once the connection is
/// back, a caller of `get` may bind it (and it is then discarded as
/// usual).
#[tokio::test]
async fn pool_shared_connection_refuses_binds_until_it_is_given_back() {
    let srv = test_server().await;
    let pool = LdapPool::builder(&srv.ldap_url(), plain())
        .max_size(1)
        .build()
        .unwrap();
    let shared = pool.get_shared().await.unwrap();
    let clone = (*shared).clone();
    let want = "invalid input: this connection is lent by LdapPool::get_shared to several callers at once: binding it would change the identity under their operations; bind a connection from LdapPool::get (or LdapConn::connect) instead";
    for err in [
        shared
            .bind_simple("cn=admin,dc=example,dc=com", "secret")
            .await
            .unwrap_err(),
        clone.bind_external(None).await.unwrap_err(),
        clone.bind_sasl("PLAIN", Some(b"\0u\0p")).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert_eq!(err.to_string(), want);
    }
    shared.whoami().await.expect("the connection still works");
    drop((shared, clone));
    assert_eq!(pool.status().idle, 1);

    let own = pool.get().await.unwrap();
    let bound = own
        .bind_simple("cn=admin,dc=example,dc=com", "secret")
        .await;
    assert!(
        !matches!(bound, Err(Error::InvalidInput(_))),
        "the bind reached the server: {bound:?}"
    );
    drop(own);
    assert_eq!(
        pool.status().size,
        0,
        "the re-bound connection is discarded"
    );
}

/// A connection found closed takes no new users: the next caller waits
/// until the closed one's last user gave it back (which discards it and
/// rests its server), then gets a new connection, on the other server.
#[tokio::test]
async fn pool_shared_closed_connection_takes_no_new_users() {
    let a = test_server().await;
    let b = test_server().await;
    let pool = LdapPool::builder(&format!("{} {}", a.ldap_url(), b.ldap_url()), plain())
        .max_size(1)
        .max_sharers(4)
        .backoff(Duration::from_secs(60), Duration::from_secs(60))
        .wait_timeout(Some(LIMIT))
        .build()
        .unwrap();
    let first = pool.get_shared().await.unwrap();
    assert_eq!(first.server(), a.ldap_url());
    a.drop_after(0);
    let err = first.whoami().await.unwrap_err();
    assert!(matches!(err, Error::Closed(_) | Error::Io(_)), "{err:?}");
    eventually("closed", LIMIT, || first.is_closed()).await;
    let p = pool.clone();
    let next = tokio::spawn(async move {
        let c = p.get_shared().await?;
        c.whoami().await?;
        Ok::<_, Error>(c)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!next.is_finished(), "the closed connection took a new user");
    drop(first);
    let next = bounded("the next caller", LIMIT, next)
        .await
        .unwrap()
        .expect("a new connection");
    assert_eq!(next.server(), b.ldap_url());
    assert!(!next.is_closed());
    assert_eq!((a.connections().len(), b.connections().len()), (1, 1));
    assert_eq!(shares(&pool), (1, 1, 1));
}

/// Callers of `get` are not starved by a busy shared connection: while
/// one waits, the shared connection takes no new users, goes back when
/// its users are done, and the waiter gets it; later `get_shared` callers
/// wait behind it.
#[tokio::test]
async fn pool_shared_does_not_starve_callers_of_get() {
    let srv = test_server().await;
    let pool = shared_pool(&srv.ldap_url(), 1, 8, SharePolicy::Spread);
    let s1 = pool.get_shared().await.unwrap();
    let p = pool.clone();
    let exclusive = tokio::spawn(async move { p.get().await });
    eventually("the get() caller waits", LIMIT, || {
        pool.status().waiting == 1
    })
    .await;
    let p = pool.clone();
    let late = tokio::spawn(async move { p.get_shared().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!late.is_finished(), "a new user joined while get() waited");
    assert_eq!(shares(&pool), (1, 1, 1));
    drop(s1);
    let own = bounded("get()", LIMIT, exclusive)
        .await
        .unwrap()
        .expect("the connection, in turn");
    own.whoami().await.unwrap();
    assert!(!late.is_finished(), "the late caller waits for its turn");
    drop(own);
    let late = bounded("the late get_shared", LIMIT, late)
        .await
        .unwrap()
        .expect("a seat");
    late.whoami().await.unwrap();
    assert_eq!(srv.connections().len(), 1);
}

/// 1,000 callers at once, 4 connections of 8 seats: every WhoAmI
/// succeeds, never more than 4 connections, never more than 8 users on
/// one (32 at once), and all is given back at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_shared_holds_max_size_and_max_sharers_under_1000_callers() {
    let srv = test_server().await;
    let pool = shared_pool(&srv.ldap_url(), 4, 8, SharePolicy::Spread);
    let most = sharers_at_once(&pool, 1000, 4, 32).await;
    assert!((5..=32).contains(&most), "{most} users at once");
    assert!(srv.connections().len() <= 4, "{}", srv.connections().len());
    let s = pool.status();
    assert_eq!(
        (s.shared, s.sharers, s.in_use, s.waiting),
        (0, 0, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.idle, s.size);
}

/// Callers that queued for a connection of their own while the pool
/// filled up take seats on the connections just lent instead of waiting
/// for one to come back.
#[tokio::test]
async fn pool_shared_waiters_take_seats_on_connections_just_lent() {
    let srv = test_server().await;
    let pool = shared_pool(&srv.ldap_url(), 2, 4, SharePolicy::Spread);
    // Eight callers at once on a cold pool: all hold their seat together.
    let seats = bounded(
        "eight get_shared at once",
        LIMIT,
        futures_util::future::try_join_all((0..8).map(|_| pool.get_shared())),
    )
    .await
    .expect("eight seats");
    assert_eq!(shares(&pool), (2, 8, 2));
    futures_util::future::try_join_all(seats.iter().map(|c| c.whoami()))
        .await
        .expect("eight WhoAmIs");
    assert_eq!(srv.connections().len(), 2);
    drop(seats);
    assert_eq!(shares(&pool), (0, 0, 2));
}

/// Fill first: three callers share the first connection before a second
/// is opened; once the first connection is back (idle), the next caller
/// still takes a seat on the lent one rather than the idle connection.
#[tokio::test]
async fn pool_shared_fill_first_seats_callers_before_opening_another() {
    let srv = test_server().await;
    let pool = shared_pool(&srv.ldap_url(), 4, 3, SharePolicy::Fill);
    let first: Vec<_> = futures_util::future::try_join_all((0..3).map(|_| pool.get_shared()))
        .await
        .unwrap();
    assert_eq!(shares(&pool), (1, 3, 1), "three callers, one connection");
    let fourth = pool.get_shared().await.unwrap();
    assert_eq!(shares(&pool), (2, 4, 2), "the first connection is full");
    futures_util::future::try_join_all(first.iter().chain([&fourth]).map(|c| c.whoami()))
        .await
        .unwrap();
    assert_eq!(srv.connections().len(), 2);
    drop(first);
    let s = pool.status();
    assert_eq!((s.shared, s.sharers, s.idle), (1, 1, 1), "{s:?}");
    let fifth = pool.get_shared().await.unwrap();
    assert_eq!(
        shares(&pool),
        (1, 2, 2),
        "a seat before the idle connection"
    );
    assert_eq!(fifth.server(), fourth.server());
    fifth.whoami().await.unwrap();
    assert_eq!(srv.connections().len(), 2);
}

/// 64 callers at once on a cold pool of 16 connections with 8 seats
/// each: they open one connection per 8 of them (8 at most), not 16.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_shared_fill_first_opens_one_connection_per_max_sharers_callers() {
    let srv = test_server().await;
    let pool = shared_pool(&srv.ldap_url(), 16, 8, SharePolicy::Fill);
    let most = sharers_at_once(&pool, 64, 8, 64).await;
    assert!(most >= 1, "{most}");
    let made = srv.connections().len();
    assert!((1..=8).contains(&made), "{made} connections for 64 callers");
    let s = pool.status();
    assert_eq!((s.shared, s.sharers, s.in_use), (0, 0, 0), "{s:?}");
}

/// Eight callers at once while the pool's only server accepts TCP and
/// never answers the bind: one connection is made for all eight (the
/// others wait on it rather than opening their own); when it fails, each
/// caller gets the failure, none is left waiting.
#[tokio::test]
async fn pool_shared_fill_first_callers_waiting_on_a_failed_connect_are_told() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("ldap://127.0.0.1:{port}");
    let pool = LdapPool::builder(
        &url,
        plain().operation_timeout(Some(Duration::from_millis(600))),
    )
    .bind(Bind::simple("cn=app", "secret"))
    .max_size(16)
    .max_sharers(8)
    .share_policy(SharePolicy::Fill)
    .wait_timeout(Some(LIMIT))
    .build()
    .unwrap();
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.get_shared().await })
        })
        .collect();
    eventually("a connection is being made", LIMIT, || {
        pool.status().connecting == 1
    })
    .await;
    // All eight have arrived and wait on the one connect.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(pool.status().connecting, 1, "{:?}", pool.status());
    for c in callers {
        let err = bounded("a caller of get_shared", LIMIT, c)
            .await
            .unwrap()
            .unwrap_err();
        let Error::AllServersFailed(failures) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].server, url);
        assert!(
            err.to_string()
                .starts_with(&format!("no server of the pool could be used: {url}: ")),
            "{err}"
        );
    }
    let s = pool.status();
    assert_eq!((s.connecting, s.waiting, s.size), (0, 0, 0), "{s:?}");
    drop(silent);
}
