//! Streaming search: every entry of a subtree of 20,000 and of 200,000
//! entries (about 400 bytes each) from slapd, over LDAPS bound with SASL
//! EXTERNAL; our `SearchStream` against `ldap3`'s `streaming_search` (with
//! TCP_NODELAY), in entries per second, and our client's CPU per entry.
//!
//! ldap3 is measured twice: taking its `ResultEntry` as it comes (already
//! parsed into a BER tree by lber), which is the least work an ldap3 user
//! can do and the peer of the target, and with `SearchEntry::construct`
//! (the usual way to read the attributes), for information.
//!
//! Peak RSS is measured by the `search_rss` example (see BENCHMARKS.md).
//! `BENCH_QUICK=1` skips criterion's own measurements (taken for the
//! 20,000-entry subtree only); `BENCH_ROUNDS` (default 5; at most 3 for
//! 200,000 entries) sets the interleaved rounds; `BENCH_PROFILE=NAME` runs
//! only the matching variant, for profiling.
// slapd runs on Unix only (the harness in tests/api/support/slapd.rs):
// elsewhere this bench is built as a stub that says it was skipped, and
// what only the slapd loops use is left unused.
#![cfg_attr(not(unix), allow(unused_imports, dead_code))]

#[path = "../tests/api/support/mod.rs"]
mod support;

mod common;

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use tokio::runtime::Runtime;
use tokio_ldap::{LdapConn, Search, SearchItem};

use common::data::{bulk_ldif, container_dn, BIG_DB_CONFIG};
use common::replay::Replay;
use common::{
    cpu_ratio, rate_ratio, server_cpu_ratio, server_load_line, value_line, Target, Variant,
};
#[cfg(unix)]
use support::slapd::{Slapd, SlapdOptions};
use tokio_ldap::testkit::pki::{KeyType, Pki, PkiFiles};

const SIZES: [(&str, usize); 2] = [("n20k", 20_000), ("n200k", 200_000)];

/// The subtree searched in smoke mode (under `cargo test`).
const SMOKE_SIZES: [(&str, usize); 1] = [("nsmoke", 300)];

#[cfg(unix)]
fn variants(rt: &Runtime, slapd: &Slapd, base: &str) -> Vec<Variant> {
    let ours = rt.block_on(async {
        let conn = LdapConn::connect(&slapd.ldaps_url(), common::our_config(slapd.files()))
            .await
            .expect("connect");
        conn.bind_external(None).await.expect("EXTERNAL bind");
        conn
    });
    let pki = slapd.pki();
    let config = common::peer_client_config(pki, &pki.alice);
    let theirs = rt.block_on(async {
        let mut ldap =
            common::ldap3_connect(&slapd.ldaps_url(), slapd.ldaps_addr(), config, true).await;
        common::ldap3_bind_external(&mut ldap).await;
        ldap
    });
    let b1 = base.to_owned();
    let mut out = vec![Variant::new("ours", move |n| {
        let (conn, base) = (ours.clone(), b1.clone());
        async move {
            let mut entries = 0;
            for _ in 0..n {
                let search = Search::new(&base).attributes(["*"]);
                let mut stream = conn.search(search).await.expect("search");
                let mut values = 0usize;
                while let Some(item) = stream.next_item().await.expect("search item") {
                    if let SearchItem::Entry(e) = item {
                        entries += 1;
                        values += e
                            .attributes
                            .iter()
                            .map(|a| a.values().count())
                            .sum::<usize>();
                    }
                }
                assert!(values > 0);
            }
            entries
        }
    })];
    for (name, construct) in [("ldap3 ResultEntry", false), ("ldap3 +construct", true)] {
        let (ldap, base) = (theirs.clone(), base.to_owned());
        out.push(Variant::new(name, move |n| {
            let (mut ldap, base) = (ldap.clone(), base.clone());
            async move {
                let mut entries = 0;
                for _ in 0..n {
                    let mut stream = ldap
                        .streaming_search(
                            &base,
                            ldap3::Scope::Subtree,
                            "(objectClass=*)",
                            vec!["*"],
                        )
                        .await
                        .expect("ldap3 search");
                    let mut values = 0usize;
                    while let Some(re) = stream.next().await.expect("ldap3 entry") {
                        entries += 1;
                        if construct {
                            let e = ldap3::SearchEntry::construct(re);
                            values += e.attrs.values().map(Vec::len).sum::<usize>();
                        } else {
                            values += 1;
                        }
                    }
                    stream
                        .finish()
                        .await
                        .success()
                        .expect("ldap3 search result");
                    assert!(values > 0);
                }
                entries
            }
        }));
    }
    out
}

/// Our client reading every entry of one search (touching every value)
/// on `conn`; returns the entries.
async fn ours_search(conn: &LdapConn, base: &str) -> u64 {
    let search = Search::new(base).attributes(["*"]);
    let mut stream = conn.search(search).await.expect("search");
    let (mut entries, mut values) = (0u64, 0usize);
    while let Some(item) = stream.next_item().await.expect("search item") {
        if let SearchItem::Entry(e) = item {
            entries += 1;
            values += e
                .attributes
                .iter()
                .map(|a| a.values().count())
                .sum::<usize>();
        }
    }
    assert!(values > 0 || entries == 0);
    entries
}

/// The client-bound view: against the replaying server, each iteration
/// connects (LDAPS, client certificate), runs one search of `ou` and
/// closes; the floor does the same with a bare tokio-rustls reader.
fn replay_variants(
    replay: &Replay,
    pki: &'static Pki,
    files: &PkiFiles,
    ou: &str,
    n: usize,
) -> Vec<Variant> {
    let peer = common::peer_client_config(pki, &pki.alice);
    let floor = common::replay::floor_variant(replay, ou, n as u64, peer.clone());
    let (url, config, base) = (replay.url(), common::our_config(files), container_dn(ou));
    let ours = {
        let (url, base) = (url.clone(), base.clone());
        Variant::new("ours", move |k| {
            let (url, config, base) = (url.clone(), config.clone(), base.clone());
            async move {
                let mut entries = 0;
                for _ in 0..k {
                    let conn = LdapConn::connect(&url, config.clone())
                        .await
                        .expect("connect");
                    entries += ours_search(&conn, &base).await;
                    conn.unbind().await.expect("unbind");
                }
                entries
            }
        })
    };
    let addr = replay.addr;
    let theirs = Variant::new("ldap3 ResultEntry", move |k| {
        let (url, base, peer) = (url.clone(), base.clone(), peer.clone());
        async move {
            let mut entries = 0;
            for _ in 0..k {
                let mut ldap = common::ldap3_connect(&url, addr, peer.clone(), true).await;
                let mut stream = ldap
                    .streaming_search(&base, ldap3::Scope::Subtree, "(objectClass=*)", vec!["*"])
                    .await
                    .expect("ldap3 search");
                while let Some(_re) = stream.next().await.expect("ldap3 entry") {
                    entries += 1;
                }
                stream
                    .finish()
                    .await
                    .success()
                    .expect("ldap3 search result");
                ldap.unbind().await.expect("ldap3 unbind");
            }
            entries
        }
    });
    vec![floor, ours, theirs]
}

/// Small results (1 and 10 entries), one search after another on one
/// connection to the replaying server: the latency of a search where
/// nothing streams. `BENCH_SMALL=1` runs only this pass; its rates are what
/// `scripts/bench-vs-base` compares between two builds.
fn small_pass(rt: &Runtime, pki: &'static Pki, files: &PkiFiles) {
    let sizes = [("n1", 1), ("n10", 10)];
    let replay = Replay::start(pki, &sizes);
    let mut vs = Vec::new();
    for (ou, n) in sizes {
        let conn = rt.block_on(async {
            LdapConn::connect(&replay.url(), common::our_config(files))
                .await
                .expect("connect")
        });
        let base = container_dn(ou);
        vs.push(Variant::new(format!("ours {n}-entry search"), move |k| {
            let (conn, base) = (conn.clone(), base.clone());
            async move {
                for _ in 0..k {
                    assert_eq!(ours_search(&conn, &base).await, n as u64);
                }
                k
            }
        }));
    }
    if common::smoke_run(rt, &vs) || common::profile(rt, &vs) {
        return;
    }
    let rounds: usize = common::env_or("BENCH_ROUNDS", 11);
    let round = Duration::from_millis(common::env_or("BENCH_ROUND_MS", 100));
    println!("\ninterleaved pass, small searches against the replaying server ({rounds} rounds):");
    let m = common::interleave(rt, &vs, rounds, round, 100_000);
    let lines = [
        value_line(
            "1-entry search, ours: searches/s (not a ratio)",
            m[0].iter().map(common::Meas::rate).collect(),
            Target::None,
        ),
        value_line(
            "10-entry search, ours: searches/s (not a ratio)",
            m[1].iter().map(common::Meas::rate).collect(),
            Target::None,
        ),
        value_line(
            "1-entry search, ours: client CPU per search (us, not a ratio)",
            m[0].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
        value_line(
            "10-entry search, ours: client CPU per search (us, not a ratio)",
            m[1].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ),
    ];
    common::report(
        "search-small",
        "small searches, one connection, replaying server",
        &lines,
    );
}

/// The latency a streaming search adds to another operation on the same
/// connection: WhoAmI one after another while our client streams every
/// entry of `base` (200,000 entries), against WhoAmI on the same
/// connection when it is idle, before and after. Percentiles in ms.
#[cfg(unix)]
fn latency_lines(rt: &Runtime, slapd: &Slapd, base: &str) -> Vec<common::Ratio> {
    let conn = rt.block_on(async {
        let conn = LdapConn::connect(&slapd.ldaps_url(), common::our_config(slapd.files()))
            .await
            .expect("connect");
        conn.bind_external(None).await.expect("EXTERNAL bind");
        conn
    });
    let base = base.to_owned();
    let (idle, busy) = rt
        .block_on(rt.spawn(async move {
            let whoami = |conn: LdapConn| async move {
                let t0 = std::time::Instant::now();
                conn.whoami().await.expect("WhoAmI");
                t0.elapsed().as_secs_f64() * 1e3
            };
            let mut idle = Vec::new();
            for _ in 0..2_000 {
                idle.push(whoami(conn.clone()).await);
            }
            let streaming = tokio::spawn({
                let (conn, base) = (conn.clone(), base.clone());
                async move { ours_search(&conn, &base).await }
            });
            let mut busy = Vec::new();
            while !streaming.is_finished() {
                busy.push(whoami(conn.clone()).await);
            }
            assert!(streaming.await.expect("search") > 0);
            for _ in 0..2_000 {
                idle.push(whoami(conn.clone()).await);
            }
            (idle, busy)
        }))
        .expect("latency loop");
    let pct = |mut v: Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(f64::NAN)
    };
    let one = |what: String, v: f64, target| value_line(&what, vec![v], target);
    println!(
        "latency: {} WhoAmI idle, {} during the stream",
        idle.len(),
        busy.len()
    );
    vec![
        one(
            "WhoAmI on an idle connection, p50 (ms)".into(),
            pct(idle.clone(), 0.5),
            Target::None,
        ),
        one(
            "WhoAmI on an idle connection, p99 (ms)".into(),
            pct(idle.clone(), 0.99),
            Target::None,
        ),
        one(
            format!(
                "WhoAmI during a 200,000-entry stream on the same connection, p50 (ms; {} ops)",
                busy.len()
            ),
            pct(busy.clone(), 0.5),
            Target::None,
        ),
        one(
            "WhoAmI during the stream, p99 (ms)".into(),
            pct(busy.clone(), 0.99),
            Target::None,
        ),
        one(
            "WhoAmI p99 during the stream - p99 idle (ms, not a ratio)".into(),
            pct(busy, 0.99) - pct(idle, 0.99),
            Target::AtMost(1.0),
        ),
    ]
}

/// The interleaved pass against the replaying server, for each size.
fn replay_pass(rt: &Runtime, replay: &Replay, pki: &'static Pki, files: &PkiFiles) {
    let rounds: usize = common::env_or("BENCH_ROUNDS", 5);
    let mut lines = Vec::new();
    for (ou, n) in SIZES {
        let vs = replay_variants(replay, pki, files, ou, n);
        let rounds = if n > 50_000 { rounds.min(5) } else { rounds };
        println!("\ninterleaved pass against the replaying server, {n} entries ({rounds} rounds):");
        let round = Duration::from_millis(if n > 50_000 { 100 } else { 300 });
        let m = common::interleave(rt, &vs, rounds, round, 1_000);
        lines.push(rate_ratio(
            &format!("{n} entries, replay: ours / bare rustls decrypt+discard (entries/s)"),
            &m[1],
            &m[0],
            Target::AtLeast(0.8),
        ));
        lines.push(rate_ratio(
            &format!(
                "{n} entries, replay: ldap3 ResultEntry / bare rustls decrypt+discard (entries/s)"
            ),
            &m[2],
            &m[0],
            Target::None,
        ));
        lines.push(cpu_ratio(
            &format!(
                "{n} entries, replay: ours / bare rustls decrypt+discard (client CPU per entry)"
            ),
            &m[1],
            &m[0],
            Target::None,
        ));
        lines.push(value_line(
            &format!("{n} entries, replay: ours, client CPU per entry (us, not a ratio)"),
            m[1].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ));
        lines.push(value_line(
            &format!("{n} entries, replay: floor, client CPU per entry (us, not a ratio)"),
            m[0].iter().map(common::Meas::cpu_us).collect(),
            Target::None,
        ));
    }
    common::report(
        "search-replay",
        "streaming search from the in-process replaying server over LDAPS (client-bound)",
        &lines,
    );
}

#[cfg(unix)]
fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = common::runtime();
    let sizes: &[(&str, usize)] = if common::smoke() {
        &SMOKE_SIZES
    } else {
        &SIZES
    };
    // The client-bound view first: the replaying server (no slapd needed).
    let pki = Pki::get(KeyType::Ec);
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki.write_to(dir.path()).expect("write the test PKI");
    if std::env::var_os("BENCH_SMALL").is_some() || common::smoke() {
        small_pass(&rt, pki, &files);
        if !common::smoke() {
            return;
        }
    }
    let replay = Replay::start(pki, sizes);
    if common::smoke() {
        for &(ou, n) in sizes {
            common::smoke_run(&rt, &replay_variants(&replay, pki, &files, ou, n));
        }
    } else if std::env::var_os("BENCH_REPLAY").is_some() {
        if std::env::var_os("BENCH_PROFILE").is_some() {
            let (ou, n) = SIZES[common::env_or("BENCH_SIZE", 1usize).min(1)];
            common::profile(&rt, &replay_variants(&replay, pki, &files, ou, n));
        } else {
            replay_pass(&rt, &replay, pki, &files);
        }
        return;
    } else if std::env::var_os("BENCH_PROFILE").is_none() {
        replay_pass(&rt, &replay, pki, &files);
    }
    let mut ldif = String::new();
    for &(ou, n) in sizes {
        ldif.push_str(&bulk_ldif(ou, n));
        ldif.push('\n');
    }
    let t0 = std::time::Instant::now();
    let Some(slapd) = common::try_slapd(SlapdOptions {
        extra_config: BIG_DB_CONFIG.to_owned(),
        extra_ldif: ldif,
        ..Default::default()
    }) else {
        return;
    };
    println!(
        "slapd with {} extra entries ready in {:?}",
        sizes.iter().map(|(_, n)| n).sum::<usize>(),
        t0.elapsed()
    );
    if common::smoke() {
        for &(ou, _) in sizes {
            common::smoke_run(&rt, &variants(&rt, &slapd, &container_dn(ou)));
        }
        return;
    }

    let rounds: usize = common::env_or("BENCH_ROUNDS", 5);
    let mut lines = Vec::new();
    for (ou, n) in SIZES {
        let vs = variants(&rt, &slapd, &container_dn(ou));
        if std::env::var_os("BENCH_PROFILE").is_some() {
            if common::profile(&rt, &vs) && n > 50_000 {
                return;
            }
            continue;
        }
        // Criterion's own samples for the small subtree only: a 200,000
        // entry search takes seconds, and ten of them per client would add
        // minutes for a number the interleaved pass already gives.
        if !common::quick() && n < 50_000 {
            let mut g = c.benchmark_group(format!("search/{ou}"));
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3))
                .throughput(Throughput::Elements(n as u64 + 1));
            for v in &vs {
                g.bench_function(&v.name, |b| b.iter_custom(|k| v.timed(&rt, k)));
            }
            g.finish();
        }
        let rounds = if n > 50_000 { rounds.min(5) } else { rounds };
        println!("\ninterleaved pass, {n} entries ({rounds} rounds):");
        // One whole search per round and variant for the large subtree.
        let round = Duration::from_millis(if n > 50_000 { 100 } else { 600 });
        let m = common::interleave(&rt, &vs, rounds, round, 1_000);
        lines.push(rate_ratio(
            &format!("{n} entries: ours / ldap3 ResultEntry (entries/s)"),
            &m[0],
            &m[1],
            Target::AtLeast(1.3),
        ));
        lines.push(rate_ratio(
            &format!("{n} entries: ours / ldap3 +construct (entries/s)"),
            &m[0],
            &m[2],
            Target::None,
        ));
        lines.push(cpu_ratio(
            &format!("{n} entries: ours / ldap3 ResultEntry (client CPU per entry)"),
            &m[0],
            &m[1],
            Target::None,
        ));
        lines.push(value_line(
            &format!("{n} entries: ours, client CPU per entry (us, not a ratio)"),
            m[0].iter().map(common::Meas::cpu_us).collect(),
            Target::AtMost(2.0),
        ));
        lines.push(server_cpu_ratio(
            &format!("{n} entries: slapd CPU per entry, serving ours / serving ldap3 ResultEntry"),
            &m[0],
            &m[1],
            Target::None,
        ));
        lines.push(server_load_line(
            &format!("{n} entries: slapd busy while serving ours (cores, not a ratio)"),
            &m[0],
        ));
        lines.push(server_load_line(
            &format!(
                "{n} entries: slapd busy while serving ldap3 ResultEntry (cores, not a ratio)"
            ),
            &m[1],
        ));
    }
    lines.extend(latency_lines(&rt, &slapd, &container_dn("n200k")));
    common::report(
        "search",
        "streaming subtree search from slapd over LDAPS",
        &lines,
    );
    c.final_summary();
}

#[cfg(not(unix))]
fn main() {
    common::skip_needs_unix("search");
}
