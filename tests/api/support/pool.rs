//! What the pool tests share: their test server, this process's sockets
//! to a server, and conditions that become true within a bound.

use std::future::Future;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio_ldap::testkit::{TestPki, TestServer};
use tokio_ldap::{Error, LdapConn};

/// The test PKI the pool tests' servers use, made once.
pub fn kit() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| TestPki::new().expect("the test PKI"))
}

/// A fresh in-process test server with the default settings.
pub async fn test_server() -> TestServer {
    TestServer::builder(kit())
        .start()
        .await
        .expect("start the test server")
}

/// How many sockets of this process are connected to `port` on the
/// loopback: the `socket:[INODE]` links of `/proc/self/fd` whose inode
/// `/proc/net/tcp` or `/proc/net/tcp6` lists with remote port `port`.
/// Parallel tests open sockets too, but not to this port.
#[cfg(target_os = "linux")]
pub fn client_sockets_to(port: u16) -> usize {
    let mut ours = std::collections::HashSet::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        for link in dir
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        {
            let text = link.to_string_lossy();
            if let Some(inode) = text
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
            {
                ours.insert(inode.to_owned());
            }
        }
    }
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .map(|text| {
            text.lines()
                .skip(1)
                .filter(|line| {
                    let cols: Vec<&str> = line.split_whitespace().collect();
                    let port_hex = cols.get(2).and_then(|r| r.rsplit(':').next());
                    let remote = port_hex.and_then(|p| u16::from_str_radix(p, 16).ok());
                    remote == Some(port) && cols.get(9).is_some_and(|i| ours.contains(*i))
                })
                .count()
        })
        .sum()
}

/// Waits until `cond` holds, checking every 10 ms; panics saying `what`
/// if it does not within `limit`.
pub async fn eventually(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "{what}: still not so after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `err` is the wait timeout of a pool of one connection waiting 100 ms:
/// its kind, its fields and its message.
pub fn assert_pool_timeout_100ms_of_1(err: &Error) {
    assert!(
        matches!(err, Error::PoolTimeout { waited, max_size: 1 } if *waited == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "no pooled connection became free within 100ms: all 1 are in use; raise PoolBuilder::max_size or PoolBuilder::wait_timeout, or return connections sooner"
    );
}

/// Awaits `fut` for at most `limit`, panicking with `what` if it hangs.
pub async fn bounded<T>(what: &str, limit: Duration, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not return within {limit:?}"),
    }
}

/// `n` callers at once, each taking a connection with `take`, running
/// `check` while it holds it, then a WhoAmI on it; every caller must
/// succeed within `limit`. Returns the most connections held at once.
pub async fn callers_at_once<C, T, F>(
    n: usize,
    limit: Duration,
    take: T,
    check: impl Fn() + Clone + Send + 'static,
) -> usize
where
    C: Deref<Target = LdapConn> + Send + 'static,
    T: Fn() -> F,
    F: Future<Output = Result<C, Error>> + Send + 'static,
{
    let held = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (conn, held, most, check) = (take(), held.clone(), most.clone(), check.clone());
        tasks.push(tokio::spawn(async move {
            let conn = conn.await?;
            let now = held.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            check();
            let who = conn.whoami().await;
            held.fetch_sub(1, Ordering::SeqCst);
            who
        }));
    }
    for t in tasks {
        bounded("a checkout + whoami", limit, t)
            .await
            .expect("the caller's task")
            .expect("whoami");
    }
    most.load(Ordering::SeqCst)
}
