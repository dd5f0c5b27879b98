//! The handshake loop: connect over LDAPS with a client certificate chosen
//! by a `QueryClientCert` (a `CertStore` holding alice and bob),
//! `bind_external(None)`, `whoami()`, `unbind()`; also over `ldap://` with
//! StartTLS.
//!
//! Peers in the same run, against the same server: a bare tokio-rustls
//! connect + full handshake with a client certificate + close (the floor),
//! the same followed by the LDAP exchanges of the loop from bytes encoded
//! once (the floor of the whole loop: `common::raw`),
//! and the `ldap3` crate doing the same loop, as shipped and with
//! TCP_NODELAY, and OpenLDAP's C library, libldap (`benches/c/ldap_peer.c`
//! in a child process that reports its own CPU, see `common::cpeer`; left
//! out, saying why, where it cannot be built). Servers: (a) an in-process rustls responder, (b) a slapd
//! started by the test harness.
//!
//! `cargo bench --bench handshake`; `BENCH_QUICK=1` skips criterion's own
//! measurements and runs only the interleaved ratio pass;
//! `BENCH_ROUNDS` (default 25) and `BENCH_ROUND_MS` (default 100) scale it:
//! short rounds, many of them, follow the load of other processes better.
//! `BENCH_PROFILE=NAME` runs only the variant whose name contains NAME
//! (against the responder, or slapd with `BENCH_SLAPD=1`), for profiling.

#[path = "../tests/api/support/mod.rs"]
mod support;

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use rustls::ClientConfig;
use tokio::io::AsyncWriteExt;
use tokio_ldap::{ConnConfig, LdapConn};
use tokio_rustls::TlsConnector;

use common::{
    cpu_ratio, rate_ratio, raw, server_cpu_ratio, server_load_line, value_line, Target, Variant,
};
#[cfg(unix)]
use support::slapd::{SlapdOptions, VerifyClient};
use tokio_ldap::testkit::pki::{KeyType, Pki, PkiFiles};

/// One server to run the loops against.
struct Server {
    label: &'static str,
    ldaps_url: String,
    ldap_url: String,
    ldaps_addr: SocketAddr,
}

/// Wall time of each phase of our LDAPS loop (connect, bind, WhoAmI,
/// unbind), summed over iterations: where the loop waits.
#[derive(Default)]
struct Phases {
    iterations: u64,
    time: [Duration; 4],
}

type PhaseLog = Arc<Mutex<Phases>>;

const PHASE_NAMES: [&str; 4] = [
    "connect (TCP, TLS handshake)",
    "bind_external",
    "whoami",
    "unbind",
];

fn variants(
    server: &Server,
    files: &PkiFiles,
    pki: &'static Pki,
    phases: &PhaseLog,
) -> Vec<Variant> {
    let peer = common::peer_client_config(pki, &pki.alice);
    let ours = common::our_config(files);
    let ours_no_ops = ours.clone();
    let addr = server.ldaps_addr;
    let ldaps = server.ldaps_url.clone();
    let ldap = server.ldap_url.clone();
    let mut out = vec![
        bare_variant(addr, peer.clone()),
        ours_variant(
            "ours LDAPS",
            ldaps.clone(),
            ours.clone(),
            Some(phases.clone()),
        ),
        ours_variant("ours StartTLS", ldap, ours.starttls(true), None),
    ];
    for (name, nodelay) in [("ldap3 as shipped", false), ("ldap3 +TCP_NODELAY", true)] {
        let (url, cfg) = (ldaps.clone(), peer.clone());
        out.push(Variant::new(name, move |n| {
            let (url, cfg) = (url.clone(), cfg.clone());
            async move {
                for _ in 0..n {
                    let mut ldap = common::ldap3_connect(&url, addr, cfg.clone(), nodelay).await;
                    common::ldap3_bind_external(&mut ldap).await;
                    let who = common::ldap3_whoami(&mut ldap).await;
                    assert!(!who.is_empty(), "ldap3: anonymous after EXTERNAL");
                    ldap.unbind().await.expect("ldap3 unbind");
                }
                n
            }
        }));
    }
    out.push(Variant::new("ours LDAPS connect+unbind", {
        let (url, config) = (ldaps, ours_no_ops);
        move |n| {
            let (url, config) = (url.clone(), config.clone());
            async move {
                for _ in 0..n {
                    let conn = LdapConn::connect(&url, config.clone())
                        .await
                        .expect("connect");
                    conn.unbind().await.expect("unbind");
                }
                n
            }
        }
    }));
    out.push(bare_ldap_variant(addr, peer));
    // Last, so that the indices of the loops above stay as they are.
    if let Some(c) = common::cpeer::CPeer::try_start(&server.ldaps_url, files) {
        out.push(c.variant("libldap LDAPS", |n| format!("handshake {n}")));
    }
    out
}

/// The floor: TCP connect (TCP_NODELAY), full TLS handshake sending
/// alice's certificate, close_notify, close.
fn bare_variant(addr: SocketAddr, config: Arc<ClientConfig>) -> Variant {
    Variant::new("bare rustls handshake", move |n| {
        let connector = TlsConnector::from(config.clone());
        async move {
            for _ in 0..n {
                let mut tls = raw::tls_connect(&connector, addr).await;
                tls.shutdown().await.expect("close");
            }
            n
        }
    })
}

/// The floor of the whole loop: the bare handshake, then the same LDAP
/// exchanges as the LDAP loops (EXTERNAL bind, WhoAmI, unbind) from bytes
/// encoded once, each answer read only as far as its result code (which
/// must be success), then close_notify and close. What any client must
/// wait for: unlike the bare handshake, it waits for the server to check
/// the client's certificate (TLS 1.3 finishes that after the client's
/// Finished) and to answer the bind.
fn bare_ldap_variant(addr: SocketAddr, config: Arc<ClientConfig>) -> Variant {
    Variant::new("bare rustls + the same LDAP bytes", move |n| {
        let connector = TlsConnector::from(config.clone());
        async move {
            let mut buf = Vec::with_capacity(512);
            for _ in 0..n {
                let mut tls = raw::tls_connect(&connector, addr).await;
                for request in [raw::BIND_EXTERNAL, raw::WHOAMI] {
                    tls.write_all(request).await.expect("write");
                    let code = raw::read_result_code(&mut tls, &mut buf).await;
                    assert_eq!(code, 0, "the server refused the request");
                }
                tls.write_all(raw::UNBIND).await.expect("write");
                tls.shutdown().await.expect("close");
            }
            n
        }
    })
}

fn ours_variant(name: &str, url: String, config: ConnConfig, log: Option<PhaseLog>) -> Variant {
    Variant::new(name, move |n| {
        let (url, config, log) = (url.clone(), config.clone(), log.clone());
        async move {
            let mut time = [Duration::ZERO; 4];
            for _ in 0..n {
                let t0 = Instant::now();
                let conn = LdapConn::connect(&url, config.clone())
                    .await
                    .expect("connect");
                let t1 = Instant::now();
                conn.bind_external(None).await.expect("EXTERNAL bind");
                let t2 = Instant::now();
                let who = conn.whoami().await.expect("WhoAmI");
                let t3 = Instant::now();
                assert!(who.is_some(), "anonymous after EXTERNAL");
                conn.unbind().await.expect("unbind");
                let t4 = Instant::now();
                for (i, d) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].into_iter().enumerate() {
                    time[i] += d;
                }
            }
            if let Some(log) = log {
                let mut p = log.lock().unwrap_or_else(|e| e.into_inner());
                p.iterations += n;
                for (sum, d) in p.time.iter_mut().zip(time) {
                    *sum += d;
                }
            }
            n
        }
    })
}

/// Where our LDAPS loop's wall time goes, phase by phase, as a share of
/// the loop and against one iteration of the bare handshake loop.
fn phase_report(server: &Server, phases: &PhaseLog, bare: &[common::Meas]) {
    let p = phases.lock().unwrap_or_else(|e| e.into_inner());
    if p.iterations == 0 {
        return;
    }
    let total: Duration = p.time.iter().sum();
    let bare_rate = common::median(bare.iter().map(common::Meas::rate).collect());
    let mut text = format!(
        "## handshake-phases: our LDAPS loop against {}, wall time by phase ({} iterations)\n\n\
         | phase | share of the loop | phase time / one bare handshake iteration |\n|---|---|---|\n",
        server.label, p.iterations
    );
    for (name, d) in PHASE_NAMES.iter().zip(p.time) {
        let per_iteration = d.as_secs_f64() / p.iterations as f64;
        text.push_str(&format!(
            "| {name} | {:.2} | {:.2} |\n",
            d.as_secs_f64() / total.as_secs_f64(),
            per_iteration * bare_rate
        ));
    }
    common::write_report("handshake-phases", &text);
}

fn criterion_pass(c: &mut Criterion, rt: &tokio::runtime::Runtime, label: &str, vs: &[Variant]) {
    let mut g = c.benchmark_group(format!("handshake/{label}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for v in vs {
        g.bench_function(&v.name, |b| b.iter_custom(|n| v.timed(rt, n)));
    }
    g.finish();
}

fn ratio_pass(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    vs: &[Variant],
    targets: bool,
    phases: Option<&PhaseLog>,
) {
    let rounds = common::env_or("BENCH_ROUNDS", 25);
    let round = Duration::from_millis(common::env_or("BENCH_ROUND_MS", 100));
    println!(
        "\ninterleaved pass against {} ({rounds} rounds):",
        server.label
    );
    if let Some(phases) = phases {
        *phases.lock().unwrap_or_else(|e| e.into_inner()) = Phases::default();
    }
    let m = common::interleave(rt, vs, rounds, round, 5_000);
    let (bare, ours, starttls, shipped, nodelay) = (&m[0], &m[1], &m[2], &m[3], &m[4]);
    let no_ops = &m[5];
    let t = |v| if targets { v } else { Target::None };
    let mut lines = vec![
        // The targets: the rate against slapd, the client's CPU against
        // the in-process responder (where the server is not the limit).
        rate_ratio(
            "ours LDAPS loop / bare rustls handshake (rate)",
            ours,
            bare,
            t(Target::AtLeast(0.85)),
        ),
        cpu_ratio(
            "ours LDAPS loop / bare rustls handshake (client CPU per iteration)",
            ours,
            bare,
            if targets {
                Target::None
            } else {
                Target::AtMost(1.20)
            },
        ),
        cpu_ratio(
            "ours LDAPS loop / ldap3 +TCP_NODELAY (client CPU per iteration)",
            ours,
            nodelay,
            if targets {
                Target::None
            } else {
                Target::AtMost(1.0)
            },
        ),
        rate_ratio(
            "ours StartTLS loop / bare rustls handshake (rate)",
            starttls,
            bare,
            Target::None,
        ),
        cpu_ratio(
            "ours StartTLS loop / bare rustls handshake (client CPU)",
            starttls,
            bare,
            Target::None,
        ),
        rate_ratio(
            "ldap3 as shipped / bare rustls handshake (rate)",
            shipped,
            bare,
            Target::None,
        ),
        rate_ratio(
            "ldap3 +TCP_NODELAY / bare rustls handshake (rate)",
            nodelay,
            bare,
            Target::None,
        ),
        cpu_ratio(
            "ldap3 +TCP_NODELAY / bare rustls handshake (client CPU)",
            nodelay,
            bare,
            Target::None,
        ),
        rate_ratio(
            "ours LDAPS connect+unbind, no bind/WhoAmI / bare rustls handshake (rate)",
            no_ops,
            bare,
            Target::None,
        ),
        cpu_ratio(
            "ours LDAPS connect+unbind, no bind/WhoAmI / bare rustls handshake (client CPU)",
            no_ops,
            bare,
            Target::None,
        ),
        rate_ratio(
            "ours LDAPS / ldap3 +TCP_NODELAY (rate)",
            ours,
            nodelay,
            Target::None,
        ),
    ];
    let floor = &m[6];
    lines.extend([
        rate_ratio(
            "ours LDAPS loop / bare rustls + the same LDAP bytes (rate)",
            ours,
            floor,
            Target::None,
        ),
        cpu_ratio(
            "ours LDAPS loop / bare rustls + the same LDAP bytes (client CPU per iteration)",
            ours,
            floor,
            Target::None,
        ),
        rate_ratio(
            "bare rustls + the same LDAP bytes / bare rustls handshake (rate)",
            floor,
            bare,
            Target::None,
        ),
        cpu_ratio(
            "bare rustls + the same LDAP bytes / bare rustls handshake (client CPU per iteration)",
            floor,
            bare,
            Target::None,
        ),
    ]);
    if let Some(libldap) = m.get(7) {
        lines.extend([
            rate_ratio(
                "libldap LDAPS loop / bare rustls handshake (rate)",
                libldap,
                bare,
                Target::None,
            ),
            cpu_ratio(
                "libldap LDAPS loop / bare rustls handshake (client CPU per iteration)",
                libldap,
                bare,
                Target::None,
            ),
            rate_ratio(
                "ours LDAPS loop / libldap (rate)",
                ours,
                libldap,
                Target::None,
            ),
            cpu_ratio(
                "ours LDAPS loop / libldap (client CPU per iteration)",
                ours,
                libldap,
                Target::None,
            ),
            value_line(
                "libldap LDAPS loop, client CPU per iteration (us, not a ratio)",
                libldap.iter().map(common::Meas::cpu_us).collect(),
                Target::None,
            ),
            value_line(
                "ours LDAPS loop, client CPU per iteration (us, not a ratio)",
                ours.iter().map(common::Meas::cpu_us).collect(),
                Target::None,
            ),
        ]);
    }
    if server.label == "slapd" {
        lines.extend([
            server_cpu_ratio(
                "slapd CPU per iteration, serving ours LDAPS / serving bare rustls",
                ours,
                bare,
                Target::None,
            ),
            server_load_line("slapd busy during the bare rustls loop (cores)", bare),
            server_load_line("slapd busy during ours LDAPS (cores)", ours),
        ]);
    }
    let name = format!(
        "handshake-{}",
        server.label.split(' ').next().unwrap_or("x")
    );
    common::report(&name, server.label, &lines);
    if let Some(phases) = phases {
        phase_report(server, phases, bare);
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = common::runtime();
    let pki = Pki::get(KeyType::Ec);
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki.write_to(dir.path()).expect("write the test PKI");

    // (a) the in-process responder
    let responder = common::responder::start(pki);
    let local = Server {
        label: "in-process rustls responder",
        ldaps_url: responder.ldaps_url(),
        ldap_url: responder.ldap_url(),
        ldaps_addr: responder.ldaps,
    };
    let phases = PhaseLog::default();
    let vs = variants(&local, &files, pki, &phases);
    // Under `cargo test`: every loop once, here and against slapd below.
    let smoke = common::smoke_run(&rt, &vs);
    let profiling = std::env::var_os("BENCH_PROFILE").is_some();
    if profiling {
        if std::env::var_os("BENCH_SLAPD").is_none() && common::profile(&rt, &vs) {
            return;
        }
    } else if !smoke {
        if !common::quick() {
            criterion_pass(&mut c, &rt, "responder", &vs);
        }
        ratio_pass(&rt, &local, &vs, false, None);
    }

    // (b) slapd (TLSVerifyClient demand, trusting CA A and CA B); slapd
    // runs on Unix only.
    #[cfg(not(unix))]
    common::skip_needs_unix("handshake (slapd half)");
    #[cfg(unix)]
    {
        let slapd = common::try_slapd(SlapdOptions {
            verify_client: VerifyClient::Demand,
            ..Default::default()
        });
        if let Some(slapd) = &slapd {
            let server = Server {
                label: "slapd",
                ldaps_url: slapd.ldaps_url(),
                ldap_url: slapd.ldap_url(),
                ldaps_addr: slapd.ldaps_addr(),
            };
            let vs = variants(&server, slapd.files(), pki, &phases);
            if smoke || profiling {
                common::smoke_run(&rt, &vs);
                if profiling {
                    common::profile(&rt, &vs);
                }
                return;
            }
            if !common::quick() {
                criterion_pass(&mut c, &rt, "slapd", &vs);
            }
            ratio_pass(&rt, &server, &vs, true, Some(&phases));
        }
    }
    c.final_summary();
}
