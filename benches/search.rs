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
use common::{
    cpu_ratio, rate_ratio, server_cpu_ratio, server_load_line, value_line, Target, Variant,
};
#[cfg(unix)]
use support::slapd::{Slapd, SlapdOptions};

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

#[cfg(unix)]
fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = common::runtime();
    let sizes: &[(&str, usize)] = if common::smoke() {
        &SMOKE_SIZES
    } else {
        &SIZES
    };
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
            Target::AtMost(3.0),
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
