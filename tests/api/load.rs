//! Load: many operations on one connection, many TLS connections at once,
//! and many connect / bind / unbind cycles that must leave nothing behind
//! (sockets, tasks, memory).
//!
//! The TLS connections run against the testkit's `TestServer`. The
//! scripted server stays where the `TestServer` cannot stand in: answers
//! in reverse order (`ten_thousand_operations_in_flight_on_one_connection`),
//! and the leak checks of the cycles, which count the memory of the whole
//! process, where the `TestServer`'s record of every connection (kept on
//! purpose, for tests to read) would count as growth.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::join_all;
use tokio_ldap::proto::{ExtendedResponse, LdapResult, ProtocolOp};
use tokio_ldap::rustls::pki_types::CertificateDer;
use tokio_ldap::{ClientCert, ConnConfig, LdapConn, ResultCode};

use crate::hostile::{plain, within, HEAVY};
use crate::support::pki::Pki;
use tokio_ldap::testkit::{ClientAuth, ExternalMapping, TestPki, TestServer};

use crate::support::server::{self, ClientAuth as ScriptedAuth, Peer};

/// The resident set size of this process, from `/proc/self/statm` (0 where
/// there is no procfs).
pub(crate) fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Open file descriptors of this process.
fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// This process's file descriptors that are TCP sockets with `port` at
/// either end (the listener included).
fn sockets_on_port(port: u16) -> usize {
    let mut inodes = HashSet::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port_of = |addr: &str| {
                addr.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if port_of(f[1]) == Some(port) || port_of(f[2]) == Some(port) {
                inodes.insert(format!("socket:[{}]", f[9]));
            }
        }
    }
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| inodes.contains(&*target.to_string_lossy()))
        .count()
}

fn ok() -> LdapResult {
    LdapResult::new(ResultCode::SUCCESS)
}

fn whoami_response(value: String) -> ProtocolOp {
    let mut response = ExtendedResponse::new(ok());
    response.value = Some(Bytes::from(value));
    ProtocolOp::ExtendedResponse(response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_operations_in_flight_on_one_connection() {
    const N: usize = 10_000;
    let _heavy = HEAVY.lock().await;
    let srv = server::start(|mut p: Peer| async move {
        let mut ids = Vec::with_capacity(N);
        while ids.len() < N {
            let Some(m) = p.recv_op().await else { return };
            ids.push(m.id);
        }
        // Everything is in flight; answer in reverse order.
        let mut out = Vec::new();
        for id in ids.iter().rev() {
            Peer::encode_into(&mut out, *id, whoami_response(format!("dn:cn={id}")));
        }
        let _ = p.send_raw(&out).await;
        while p.recv().await.is_some() {}
    })
    .await;
    let conn = LdapConn::connect(&srv.url(), plain()).await.unwrap();
    let start = Instant::now();
    let answers = within("10,000 operations", join_all((0..N).map(|_| conn.whoami()))).await;
    let took = start.elapsed();
    let mut seen = HashSet::new();
    for a in answers {
        assert!(seen.insert(a.unwrap().unwrap()));
    }
    assert_eq!(seen.len(), N);
    eprintln!("{N} operations in flight: {took:?}");
}

fn tls_client(cert: &str) -> ConnConfig {
    let pki = Pki::ec();
    let e = server::entity(pki, cert);
    plain()
        .root_certificate(CertificateDer::from(pki.ca_a.cert_der.clone()))
        .client_cert(ClientCert::from_pem(e.cert_pem.as_bytes(), e.key_pem.as_bytes()).unwrap())
}

/// Answers binds with success and WhoAmI with the subject of the client
/// certificate, as an EXTERNAL-mapping server would.
async fn external_server(mut p: Peer) {
    let who = match p.client_chain() {
        Some(chain) => format!("dn:{}", subject_cn(&chain[0])),
        None => String::new(),
    };
    while let Some(m) = p.recv_op().await {
        let op = match m.op {
            ProtocolOp::BindRequest(_) => {
                ProtocolOp::BindResponse(tokio_ldap::proto::BindResponse::new(ok()))
            }
            ProtocolOp::ExtendedRequest(_) => whoami_response(who.clone()),
            _ => return,
        };
        if p.send(m.id, op).await.is_err() {
            return;
        }
    }
}

/// `cn=<CN>` of a certificate's subject (enough for the test PKI).
fn subject_cn(cert: &CertificateDer<'_>) -> String {
    let der: &[u8] = cert;
    for name in ["alice", "bob", "carol"] {
        if der.windows(name.len()).any(|w| w == name.as_bytes()) {
            return format!("cn={name}");
        }
    }
    "cn=unknown".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tls_connections_with_client_certificates_at_once() {
    const N: usize = 200;
    let _heavy = HEAVY.lock().await;
    let pki = TestPki::new().unwrap();
    let srv = TestServer::builder(&pki)
        .client_auth(ClientAuth::Required)
        .external_mapping(ExternalMapping::Template(
            "uid={CN},ou=people,dc=example,dc=com".to_owned(),
        ))
        .start()
        .await
        .unwrap();
    let url = srv.ldaps_url();
    let start = Instant::now();
    let conns = (0..N).map(|i| {
        let url = url.clone();
        let name = ["alice", "bob"][i % 2];
        let config = plain()
            .root_certificate(srv.ca_certificate().unwrap())
            .client_cert(pki.client_cert(name).unwrap());
        tokio::spawn(async move {
            let conn = LdapConn::connect(&url, config).await?;
            conn.bind_external(None).await?;
            let who = conn.whoami().await?;
            assert_eq!(
                who,
                Some(format!("dn:uid={name},ou=people,dc=example,dc=com"))
            );
            Ok::<_, tokio_ldap::Error>(conn)
        })
    });
    let conns: Vec<LdapConn> = within("200 TLS connections", join_all(conns))
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let took = start.elapsed();
    assert_eq!(conns.len(), N);
    for c in &conns {
        assert!(c.tls_info().unwrap().client_cert_sent().is_some());
    }
    join_all(conns.into_iter().map(LdapConn::unbind)).await;
    let records = srv.connections();
    assert_eq!(records.len(), N);
    assert!(records
        .iter()
        .all(|r| r.client_chain.is_some() && r.identity.is_some()));
    eprintln!("{N} TLS connections with client certificates: {took:?}");
}

/// Fds other tests in this process may open meanwhile (their runtimes,
/// their sockets): far fewer than one per hundred cycles.
const FD_SLACK: usize = 16;

#[cfg_attr(
    not(target_os = "linux"),
    ignore = "counts sockets and descriptors through /proc (Linux only)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_bind_external_unbind_cycles_leave_nothing_behind() {
    let _heavy = HEAVY.lock().await;
    let srv = server::start(external_server).await;
    cycles(srv, 10_000, |url| async move {
        let conn = LdapConn::connect(&url, plain()).await.unwrap();
        conn.bind_external(None).await.unwrap();
        conn.unbind().await.unwrap();
    })
    .await;
}

#[cfg_attr(
    not(target_os = "linux"),
    ignore = "counts sockets and descriptors through /proc (Linux only)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_connect_bind_external_unbind_cycles_leave_nothing_behind() {
    let _heavy = HEAVY.lock().await;
    let cfg = server::tls_config(&ScriptedAuth::demand(), &[]);
    let srv = server::start_tls(cfg, external_server).await;
    cycles(srv, 2_000, |url| async move {
        let url = url.replace("ldap://", "ldaps://");
        let conn = LdapConn::connect(&url, tls_client("alice")).await.unwrap();
        conn.bind_external(None).await.unwrap();
        assert_eq!(conn.whoami().await.unwrap().as_deref(), Some("dn:cn=alice"));
        conn.unbind().await.unwrap();
    })
    .await;
}

/// Runs `n` cycles (8 at a time) after a warm-up, then checks that the
/// connections' sockets are all closed, that no task is left and that the
/// process's memory and file descriptors are where they started.
async fn cycles<F, Fut>(srv: server::Server, n: usize, cycle: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    const PARALLEL: usize = 8;
    let url = srv.url();
    let port = srv.addr.port();
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let run = |n: usize| {
        let (url, cycle) = (url.clone(), &cycle);
        async move {
            for _ in 0..n / PARALLEL {
                join_all((0..PARALLEL).map(|_| cycle(url.clone()))).await;
            }
        }
    };
    let (fds0, tasks0) = (fd_count(), tasks());
    assert_eq!(sockets_on_port(port), 1, "the listener");
    run(n / 20).await;
    settle(|| tasks() == tasks0).await;
    let rss0 = rss_bytes();
    let start = Instant::now();
    within_long(run(n)).await;
    let took = start.elapsed();
    settle(|| tasks() == tasks0 && sockets_on_port(port) == 1).await;
    let growth = rss_bytes().saturating_sub(rss0);
    eprintln!(
        "{n} connect/bind/unbind cycles on {url}: {took:?}; RSS growth {} KiB; fds {fds0} -> {}",
        growth / 1024,
        fd_count()
    );
    assert_eq!(tasks(), tasks0, "tasks left running");
    assert_eq!(sockets_on_port(port), 1, "sockets left open");
    assert!(
        fd_count() <= fds0 + FD_SLACK,
        "file descriptors: {fds0} -> {}",
        fd_count()
    );
    assert!(growth < 8 << 20, "RSS grew by {} KiB", growth / 1024);
}

/// Waits (up to 2 s) for `cond`, which the last cycles' tasks and sockets
/// need a moment to satisfy after their final reply.
async fn settle(cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !cond() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn within_long<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("the cycles did not finish within 60 s")
}
