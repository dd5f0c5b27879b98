//! Operations on one connection: WhoAmI against slapd, one at a time and
//! 64 in flight, our client against `ldap3` (with TCP_NODELAY, see
//! `common::ldap3_connect`), each on one LDAPS connection bound with SASL
//! EXTERNAL.
//!
//! The 20,000 operations per client and mode are spread over the
//! interleaved rounds: each round runs every loop for about
//! `BENCH_ROUND_MS` (default 80 ms: short rounds follow the load of other
//! processes better), for `BENCH_ROUNDS` rounds (default 41), about 25,000
//! operations per loop in all. `BENCH_QUICK=1` skips criterion's own
//! measurements; `BENCH_PROFILE=NAME` runs only the matching loop;
//! `BENCH_IN_FLIGHT` changes the 64.
//!
//! The libldap peer (OpenLDAP's C library, `benches/c/ldap_peer.c`, see
//! `common::cpeer`) runs the same two loops in a child process that reports
//! its own CPU; where it cannot be built (no C compiler or no libldap
//! headers) the bench says so and leaves its rows out. Beside them runs the
//! floor of the sequential loop on tokio and rustls: one task owning the
//! TLS stream, writing a WhoAmI encoded once and reading its result code
//! (`common::raw`).
// slapd runs on Unix only (the harness in tests/api/support/slapd.rs):
// elsewhere this bench is built as a stub that says it was skipped, and
// what only the slapd loops use is left unused.
#![cfg_attr(not(unix), allow(unused_imports, dead_code))]

#[path = "../tests/api/support/mod.rs"]
mod support;

mod common;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio_ldap::LdapConn;

use common::{
    cpu_ratio, rate_ratio, raw, server_cpu_ratio, server_load_line, value_line, Target, Variant,
};
#[cfg(unix)]
use support::slapd::SlapdOptions;
use tokio_ldap::testkit::pki::{KeyType, Pki, PkiFiles};

/// Operations in flight in the concurrent mode.
const IN_FLIGHT: usize = 64;

/// A server to run the loops against.
struct Peer<'a> {
    ldaps_url: String,
    ldaps_addr: std::net::SocketAddr,
    pki: &'static Pki,
    files: &'a PkiFiles,
}

fn ours_conn(rt: &Runtime, peer: &Peer<'_>) -> LdapConn {
    rt.block_on(async {
        let conn = LdapConn::connect(&peer.ldaps_url, common::our_config(peer.files))
            .await
            .expect("connect");
        conn.bind_external(None).await.expect("EXTERNAL bind");
        conn
    })
}

fn ldap3_conn(rt: &Runtime, peer: &Peer<'_>) -> ldap3::Ldap {
    let config = common::peer_client_config(peer.pki, &peer.pki.alice);
    rt.block_on(async {
        let mut ldap = common::ldap3_connect(&peer.ldaps_url, peer.ldaps_addr, config, true).await;
        common::ldap3_bind_external(&mut ldap).await;
        ldap
    })
}

fn variants(rt: &Runtime, peer: &Peer<'_>) -> Vec<Variant> {
    let ours = ours_conn(rt, peer);
    let theirs = ldap3_conn(rt, peer);
    let (o1, o2) = (ours.clone(), ours);
    let (t1, t2) = (theirs.clone(), theirs);
    let mut out = vec![
        Variant::new("ours sequential", move |n| {
            let conn = o1.clone();
            async move {
                for _ in 0..n {
                    let who = conn.whoami().await.expect("WhoAmI");
                    assert!(who.is_some());
                }
                n
            }
        }),
        Variant::new("ldap3 +TCP_NODELAY sequential", move |n| {
            let mut ldap = t1.clone();
            async move {
                for _ in 0..n {
                    let who = common::ldap3_whoami(&mut ldap).await;
                    assert!(!who.is_empty());
                }
                n
            }
        }),
        Variant::new("ours 64 in flight", move |n| {
            let conn = o2.clone();
            async move {
                futures_util::stream::iter(0..n)
                    .map(|_| {
                        let c = conn.clone();
                        async move { c.whoami().await.expect("WhoAmI") }
                    })
                    .buffer_unordered(common::env_or("BENCH_IN_FLIGHT", IN_FLIGHT))
                    .for_each(|who| async move { assert!(who.is_some()) })
                    .await;
                n
            }
        }),
        Variant::new("ldap3 +TCP_NODELAY 64 in flight", move |n| {
            let ldap = t2.clone();
            async move {
                futures_util::stream::iter(0..n)
                    .map(|_| {
                        let mut l = ldap.clone();
                        async move { common::ldap3_whoami(&mut l).await }
                    })
                    .buffer_unordered(common::env_or("BENCH_IN_FLIGHT", IN_FLIGHT))
                    .for_each(|who| async move { assert!(!who.is_empty()) })
                    .await;
                n
            }
        }),
    ];
    out.extend(libldap_variants(peer));
    // Last: the floor of the sequential loop on tokio.
    out.push(raw_sequential(rt, peer));
    out
}

/// The floor of a sequential WhoAmI on tokio and rustls: one task that
/// owns the TLS stream writes a WhoAmI encoded once and reads the answer
/// as far as its result code, with no client library (no connection task,
/// no channels, nothing decoded), on a connection bound with EXTERNAL the
/// same way.
fn raw_sequential(rt: &Runtime, peer: &Peer<'_>) -> Variant {
    use tokio::io::AsyncWriteExt;
    let config = common::peer_client_config(peer.pki, &peer.pki.alice);
    let addr = peer.ldaps_addr;
    let tls = rt.block_on(async {
        let mut tls = raw::tls_connect(&tokio_rustls::TlsConnector::from(config), addr).await;
        tls.write_all(raw::BIND_EXTERNAL).await.expect("write");
        let code = raw::read_result_code(&mut tls, &mut Vec::new()).await;
        assert_eq!(code, 0, "the EXTERNAL bind failed");
        tls
    });
    let tls = Arc::new(tokio::sync::Mutex::new(tls));
    Variant::new("bare rustls sequential, same bytes", move |n| {
        let tls = Arc::clone(&tls);
        async move {
            let mut tls = tls.lock().await;
            let mut buf = Vec::with_capacity(256);
            for _ in 0..n {
                tls.write_all(raw::WHOAMI).await.expect("write");
                let code = raw::read_result_code(&mut *tls, &mut buf).await;
                assert_eq!(code, 0, "WhoAmI failed");
            }
            n
        }
    })
}

/// A request handed to another task over a bounded channel and answered
/// on a oneshot, one at a time: the hand-over of every operation between
/// a caller and the connection's task, without the connection.
fn handoff() -> Variant {
    type Reply = tokio::sync::oneshot::Sender<u64>;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, Reply)>(64);
    let server = Arc::new(std::sync::Mutex::new(Some(async move {
        while let Some((n, reply)) = rx.recv().await {
            let _ = reply.send(n + 1);
        }
    })));
    Variant::new("hand-over alone", move |n| {
        let tx = tx.clone();
        let server = server.lock().map(|mut s| s.take()).unwrap_or(None);
        async move {
            if let Some(server) = server {
                tokio::spawn(server);
            }
            for i in 0..n {
                let (reply, answer) = tokio::sync::oneshot::channel();
                tx.send((i, reply)).await.expect("the other task");
                assert_eq!(answer.await.expect("its answer"), i + 1);
            }
            n
        }
    })
}

/// Rows for the floor of the sequential loop (the last loop in `m`).
fn floor_lines(prefix: &str, m: &[Vec<common::Meas>]) -> Vec<common::Ratio> {
    let Some(floor) = m.last() else {
        return Vec::new();
    };
    let mut lines = vec![
        rate_ratio(
            &format!("{prefix}sequential WhoAmI: ours / bare rustls, same bytes (ops/s)"),
            &m[0],
            floor,
            Target::None,
        ),
        cpu_ratio(
            &format!(
                "{prefix}sequential WhoAmI: ours / bare rustls, same bytes (client CPU per op)"
            ),
            &m[0],
            floor,
            Target::None,
        ),
    ];
    if m.len() >= 7 {
        lines.extend([
            rate_ratio(
                &format!("{prefix}sequential WhoAmI: bare rustls, same bytes / libldap (ops/s)"),
                floor,
                &m[4],
                Target::None,
            ),
            cpu_ratio(
                &format!(
                    "{prefix}sequential WhoAmI: bare rustls, same bytes / libldap (client CPU per op)"
                ),
                floor,
                &m[4],
                Target::None,
            ),
        ]);
    }
    lines
}

/// The libldap peer's loops, sequential and 64 in flight (each in its own
/// child process, on one connection bound once before the loops); none
/// where it cannot be built here (it says why).
fn libldap_variants(peer: &Peer<'_>) -> Vec<Variant> {
    let Some(seq) = common::cpeer::CPeer::try_start(&peer.ldaps_url, peer.files) else {
        return Vec::new();
    };
    // It built and started once: a second failure is not a missing tool.
    let multi = common::cpeer::CPeer::start(&peer.ldaps_url, peer.files)
        .unwrap_or_else(|why| panic!("the second libldap peer: {why}"));
    let k = common::env_or("BENCH_IN_FLIGHT", IN_FLIGHT);
    vec![
        seq.connect()
            .variant("libldap sequential", |n| format!("seq {n}")),
        multi
            .connect()
            .variant("libldap 64 in flight", move |n| format!("inflight {n} {k}")),
    ]
}

/// The rows comparing ours with libldap (`m[4]` sequential, `m[5]` 64 in
/// flight), when the libldap peer ran; `prefix` names the server.
fn libldap_lines(prefix: &str, m: &[Vec<common::Meas>], targets: bool) -> Vec<common::Ratio> {
    // ours and ldap3 (4 loops), libldap (2), the floor (1).
    if m.len() < 7 {
        return Vec::new();
    }
    let t = |v| if targets { v } else { Target::None };
    vec![
        rate_ratio(
            &format!("{prefix}sequential WhoAmI: ours / libldap (ops/s)"),
            &m[0],
            &m[4],
            t(Target::AtLeast(1.0)),
        ),
        cpu_ratio(
            &format!("{prefix}sequential WhoAmI: ours / libldap (client CPU per op)"),
            &m[0],
            &m[4],
            Target::None,
        ),
        rate_ratio(
            &format!("{prefix}64 in flight: ours / libldap (ops/s)"),
            &m[2],
            &m[5],
            Target::None,
        ),
        cpu_ratio(
            &format!("{prefix}64 in flight: ours / libldap (client CPU per op)"),
            &m[2],
            &m[5],
            Target::AtMost(1.0),
        ),
        value_line(
            &format!("{prefix}64 in flight: libldap, client CPU per op (us, not a ratio)"),
            m[5].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
        value_line(
            &format!("{prefix}sequential: libldap, client CPU per op (us, not a ratio)"),
            m[4].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
    ]
}

/// The client-bound view: the same loops against the in-process
/// responder (pre-encoded answers, on its own thread).
fn responder_pass(rt: &Runtime, vs: &[Variant]) {
    let rounds = common::env_or("BENCH_ROUNDS", 41);
    let round = Duration::from_millis(common::env_or("BENCH_ROUND_MS", 80));
    println!("\ninterleaved pass against the in-process responder ({rounds} rounds):");
    let m = common::interleave(rt, vs, rounds, round, 50_000);
    let mut lines = vec![
        rate_ratio(
            "responder, sequential WhoAmI: ours / ldap3 +TCP_NODELAY (ops/s)",
            &m[0],
            &m[1],
            Target::None,
        ),
        cpu_ratio(
            "responder, sequential WhoAmI: ours / ldap3 +TCP_NODELAY (client CPU per op)",
            &m[0],
            &m[1],
            Target::None,
        ),
        rate_ratio(
            "responder, 64 in flight: ours / ldap3 +TCP_NODELAY (ops/s)",
            &m[2],
            &m[3],
            Target::None,
        ),
        cpu_ratio(
            "responder, 64 in flight: ours / ldap3 +TCP_NODELAY (client CPU per op)",
            &m[2],
            &m[3],
            Target::AtMost(1.0),
        ),
        value_line(
            "responder, 64 in flight: ours, client CPU per op (us, not a ratio)",
            m[2].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
        value_line(
            "responder, 64 in flight: ldap3, client CPU per op (us, not a ratio)",
            m[3].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
        value_line(
            "responder, sequential: ours, client CPU per op (us, not a ratio)",
            m[0].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
    ];
    lines.extend(libldap_lines("responder, ", &m, false));
    lines.extend(floor_lines("responder, ", &m));
    // What handing an operation to the connection's task and back costs
    // alone, with no I/O: the part of a sequential operation that a caller
    // driving the socket itself would save.
    let hop = common::interleave(rt, &[handoff()], rounds, round, 200_000);
    lines.push(value_line(
        "hand-over to another task and back alone (channel + oneshot), CPU per op (us, not a ratio)",
        hop[0].iter().map(common::Meas::cpu_us).collect(),
        Target::None,
    ));
    common::report(
        "ops-responder",
        "WhoAmI on one LDAPS connection to the in-process responder (client-bound)",
        &lines,
    );
}

#[cfg(unix)]
fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = common::runtime();
    let pki = Pki::get(KeyType::Ec);
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki.write_to(dir.path()).expect("write the test PKI");
    let responder = common::responder::start(pki);
    let local = Peer {
        ldaps_url: responder.ldaps_url(),
        ldaps_addr: responder.ldaps,
        pki,
        files: &files,
    };
    let local_vs = variants(&rt, &local);
    let smoke = common::smoke_run(&rt, &local_vs);
    let slapd_profile = std::env::var_os("BENCH_SLAPD").is_some();
    if !slapd_profile && common::profile(&rt, &local_vs) {
        return;
    }
    if !smoke && std::env::var_os("BENCH_PROFILE").is_none() {
        responder_pass(&rt, &local_vs);
    }
    let Some(slapd) = common::try_slapd(SlapdOptions::default()) else {
        return;
    };
    let remote = Peer {
        ldaps_url: slapd.ldaps_url(),
        ldaps_addr: slapd.ldaps_addr(),
        pki: slapd.pki(),
        files: slapd.files(),
    };
    let vs = variants(&rt, &remote);
    if common::smoke_run(&rt, &vs) || common::profile(&rt, &vs) {
        return;
    }
    if !common::quick() {
        let mut g = c.benchmark_group("ops/whoami");
        g.sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(1));
        for v in &vs {
            g.bench_function(&v.name, |b| b.iter_custom(|n| v.timed(&rt, n)));
        }
        g.finish();
    }

    let rounds = common::env_or("BENCH_ROUNDS", 41);
    let round = Duration::from_millis(common::env_or("BENCH_ROUND_MS", 80));
    println!("\ninterleaved pass against slapd ({rounds} rounds):");
    let m = common::interleave(&rt, &vs, rounds, round, 20_000);
    let mut lines = vec![
        rate_ratio(
            "sequential WhoAmI: ours / ldap3 +TCP_NODELAY (ops/s)",
            &m[0],
            &m[1],
            Target::AtLeast(1.0),
        ),
        cpu_ratio(
            "sequential WhoAmI: ours / ldap3 +TCP_NODELAY (client CPU per op)",
            &m[0],
            &m[1],
            Target::None,
        ),
        rate_ratio(
            "64 in flight: ours / ldap3 +TCP_NODELAY (ops/s)",
            &m[2],
            &m[3],
            Target::AtLeast(1.0),
        ),
        cpu_ratio(
            "64 in flight: ours / ldap3 +TCP_NODELAY (client CPU per op)",
            &m[2],
            &m[3],
            Target::AtMost(1.0),
        ),
        // Where a sequential round trip goes: the client's CPU, slapd's CPU,
        // and (the rest) the kernel's loopback and the wake-ups in between.
        value_line(
            "sequential, ours: client CPU / round-trip time (not a ratio of loops)",
            m[0].iter().map(|m| m.cpu_us() * m.rate() / 1e6).collect(),
            Target::None,
        ),
        server_load_line(
            "sequential, ours: slapd CPU / round-trip time (cores busy)",
            &m[0],
        ),
        server_load_line(
            "sequential, ldap3: slapd CPU / round-trip time (cores busy)",
            &m[1],
        ),
        server_cpu_ratio(
            "sequential: slapd CPU per op, serving ours / serving ldap3",
            &m[0],
            &m[1],
            Target::None,
        ),
        server_load_line("64 in flight, ours: slapd busy (cores)", &m[2]),
    ];
    lines.extend(libldap_lines("", &m, true));
    lines.extend(floor_lines("", &m));
    common::report("ops", "WhoAmI on one LDAPS connection to slapd", &lines);
    c.final_summary();
}

#[cfg(not(unix))]
fn main() {
    common::skip_needs_unix("ops");
}
