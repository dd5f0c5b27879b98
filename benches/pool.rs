//! The pool: 64 tasks each doing get + WhoAmI + give back, against slapd
//! (LDAPS, SASL EXTERNAL), with a connection of their own (`get`) and
//! sharing connections (`get_shared`), compared in one interleaved run
//! with (a) one multiplexed `LdapConn` with 64 WhoAmIs in flight, and (b)
//! the `ldap3` crate in a `deadpool` pool as its users build one (a
//! `Manager` that connects and binds, recycling checks `is_closed`); and
//! the pool's own CPU per checkout against the in-process responder.
//!
//! `BENCH_QUICK=1` skips criterion's own measurements; `BENCH_ROUNDS`,
//! `BENCH_ROUND_MS` and `BENCH_PROFILE=NAME` as in the other benches.
// slapd runs on Unix only: elsewhere only the responder half runs.
#![cfg_attr(not(unix), allow(unused_imports, dead_code))]

#[path = "../tests/api/support/mod.rs"]
mod support;

mod common;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio_ldap::testkit::pki::{KeyType, Pki};
use tokio_ldap::{Bind, ConnConfig, LdapConn, LdapPool, SharePolicy};

use common::{cpu_ratio, rate_ratio, value_line, Target, Variant};
#[cfg(unix)]
use support::slapd::{Slapd, SlapdOptions};

/// Tasks running at once.
const TASKS: usize = 64;
/// The pools' size (deadpool's and ours): the default of `LdapPool`.
const POOL_SIZE: usize = 16;

/// `ldap3` in `deadpool`, as its users write it.
struct Ldap3Manager {
    url: String,
    addr: std::net::SocketAddr,
    config: Arc<rustls::ClientConfig>,
}

impl managed::Manager for Ldap3Manager {
    type Type = ldap3::Ldap;
    type Error = std::convert::Infallible;

    async fn create(&self) -> Result<ldap3::Ldap, Self::Error> {
        let mut ldap =
            common::ldap3_connect(&self.url, self.addr, Arc::clone(&self.config), true).await;
        common::ldap3_bind_external(&mut ldap).await;
        Ok(ldap)
    }

    async fn recycle(&self, ldap: &mut ldap3::Ldap, _: &Metrics) -> RecycleResult<Self::Error> {
        if ldap.is_closed() {
            return Err(RecycleError::message("closed"));
        }
        Ok(())
    }
}

/// `n` WhoAmIs, each in its own checkout (shared with other callers if
/// `shared`), `TASKS` at a time.
fn pool_loop(name: &str, pool: LdapPool, shared: bool) -> Variant {
    Variant::new(name, move |n| {
        let pool = pool.clone();
        async move {
            futures_util::stream::iter(0..n)
                .map(|_| {
                    let pool = pool.clone();
                    async move {
                        if shared {
                            let conn = pool.get_shared().await.expect("get_shared");
                            conn.whoami().await.expect("WhoAmI")
                        } else {
                            let conn = pool.get().await.expect("get");
                            conn.whoami().await.expect("WhoAmI")
                        }
                    }
                })
                .buffer_unordered(common::env_or("BENCH_IN_FLIGHT", TASKS))
                .for_each(|who| async move { assert!(who.is_some()) })
                .await;
            n
        }
    })
}

#[cfg(unix)]
fn slapd_variants(rt: &Runtime, slapd: &Slapd) -> Vec<Variant> {
    let config = common::our_config(slapd.files());
    let pool = LdapPool::builder(&slapd.ldaps_url(), config.clone())
        .bind(Bind::External { authzid: None })
        .max_size(POOL_SIZE)
        .build()
        .expect("pool");
    // The same, seating callers of get_shared fill first: 64 callers on
    // 8 connections of 8.
    let filled = LdapPool::builder(&slapd.ldaps_url(), config.clone())
        .bind(Bind::External { authzid: None })
        .max_size(POOL_SIZE)
        .share_policy(SharePolicy::Fill)
        .build()
        .expect("pool");
    let one = rt.block_on(async {
        let conn = LdapConn::connect(&slapd.ldaps_url(), config)
            .await
            .expect("connect");
        conn.bind_external(None).await.expect("EXTERNAL bind");
        conn
    });
    let pki = slapd.pki();
    let theirs: managed::Pool<Ldap3Manager> = managed::Pool::builder(Ldap3Manager {
        url: slapd.ldaps_url(),
        addr: slapd.ldaps_addr(),
        config: common::peer_client_config(pki, &pki.alice),
    })
    .max_size(POOL_SIZE)
    .runtime(deadpool::Runtime::Tokio1)
    .build()
    .expect("ldap3 pool");
    // Both pools open all their connections before anything is measured:
    // the loops compare checkouts, not connects (which calibration would
    // otherwise count in).
    rt.block_on(async {
        for p in [&pool, &filled] {
            let ours = futures_util::future::join_all((0..POOL_SIZE).map(|_| p.get())).await;
            assert!(ours.iter().all(Result::is_ok), "our pool warms up");
        }
        let peer = futures_util::future::join_all((0..POOL_SIZE).map(|_| theirs.get())).await;
        assert!(peer.iter().all(Result::is_ok), "the ldap3 pool warms up");
    });
    vec![
        pool_loop("pool(16) get+WhoAmI", pool.clone(), false),
        pool_loop("pool(16) get_shared+WhoAmI", pool, true),
        Variant::new("one LdapConn 64 in flight", move |n| {
            let conn = one.clone();
            async move {
                futures_util::stream::iter(0..n)
                    .map(|_| {
                        let c = conn.clone();
                        async move { c.whoami().await.expect("WhoAmI") }
                    })
                    .buffer_unordered(common::env_or("BENCH_IN_FLIGHT", TASKS))
                    .for_each(|who| async move { assert!(who.is_some()) })
                    .await;
                n
            }
        }),
        Variant::new("ldap3 deadpool(16) get+WhoAmI", move |n| {
            let pool = theirs.clone();
            async move {
                futures_util::stream::iter(0..n)
                    .map(|_| {
                        let pool = pool.clone();
                        async move {
                            let mut ldap = pool.get().await.expect("ldap3 get");
                            common::ldap3_whoami(&mut ldap).await
                        }
                    })
                    .buffer_unordered(common::env_or("BENCH_IN_FLIGHT", TASKS))
                    .for_each(|who| async move { assert!(!who.is_empty()) })
                    .await;
                n
            }
        }),
        pool_loop("pool(16) get_shared fill+WhoAmI", filled, true),
    ]
}

/// Against the in-process responder: a checkout and return alone, and
/// WhoAmI with and without a checkout around it, one at a time.
fn responder_variants(rt: &Runtime, url: &str, config: &ConnConfig) -> Vec<Variant> {
    let pool = LdapPool::builder(url, config.clone())
        .max_size(1)
        .build()
        .expect("pool");
    let direct = rt.block_on(async {
        // The pool's one connection is made before anything is measured.
        drop(pool.get().await.expect("the pool warms up"));
        LdapConn::connect(url, config.clone())
            .await
            .expect("connect")
    });
    let (p1, p2, p3) = (pool.clone(), pool.clone(), pool);
    vec![
        Variant::new("checkout+return", move |n| {
            let pool = p1.clone();
            async move {
                for _ in 0..n {
                    drop(pool.get().await.expect("get"));
                }
                n
            }
        }),
        Variant::new("pool get+WhoAmI", move |n| {
            let pool = p2.clone();
            async move {
                for _ in 0..n {
                    let c = pool.get().await.expect("get");
                    c.whoami().await.expect("WhoAmI");
                }
                n
            }
        }),
        Variant::new("shared checkout+return", move |n| {
            let pool = p3.clone();
            async move {
                for _ in 0..n {
                    drop(pool.get_shared().await.expect("get_shared"));
                }
                n
            }
        }),
        Variant::new("LdapConn WhoAmI", move |n| {
            let conn = direct.clone();
            async move {
                for _ in 0..n {
                    conn.whoami().await.expect("WhoAmI");
                }
                n
            }
        }),
    ]
}

fn criterion_pass(c: &mut Criterion, rt: &Runtime, group: &str, vs: &[Variant]) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for v in vs {
        g.bench_function(&v.name, |b| b.iter_custom(|n| v.timed(rt, n)));
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = common::runtime();
    let rounds = common::env_or("BENCH_ROUNDS", 41);
    let round = Duration::from_millis(common::env_or("BENCH_ROUND_MS", 80));

    // The pool's own cost, against the in-process responder (plain LDAP:
    // no bind, no TLS; what is measured is the checkout).
    let pki = Pki::get(KeyType::Ec);
    let responder = common::responder::start(pki);
    let local = responder_variants(&rt, &responder.ldap_url(), &ConnConfig::new());

    #[cfg(unix)]
    let slapd = common::try_slapd(SlapdOptions::default());
    #[cfg(unix)]
    let remote = slapd.as_ref().map(|s| slapd_variants(&rt, s));
    #[cfg(not(unix))]
    let remote: Option<Vec<Variant>> = None;
    #[cfg(not(unix))]
    common::skip_needs_unix("pool (slapd half)");

    let all: Vec<Variant> = local
        .iter()
        .chain(remote.iter().flatten())
        .cloned()
        .collect();
    if common::smoke_run(&rt, &all) || common::profile(&rt, &all) {
        return;
    }
    if !common::quick() {
        criterion_pass(&mut c, &rt, "pool/responder", &local);
        if let Some(remote) = &remote {
            criterion_pass(&mut c, &rt, "pool/slapd", remote);
        }
    }

    println!("\ninterleaved pass against the in-process responder ({rounds} rounds):");
    let m = common::interleave(&rt, &local, rounds, round, 200_000);
    let mut lines = vec![
        value_line(
            "checkout + return: client CPU per checkout (us)",
            m[0].iter().map(common::Meas::cpu_us).collect(),
            Target::AtMost(2.0),
        ),
        value_line(
            "get_shared + return: client CPU per checkout (us)",
            m[2].iter().map(common::Meas::cpu_us).collect(),
            Target::AtMost(2.0),
        ),
        cpu_ratio(
            "WhoAmI: pool get+WhoAmI / LdapConn WhoAmI (client CPU per op)",
            &m[1],
            &m[3],
            Target::None,
        ),
    ];
    if let Some(remote) = &remote {
        println!("\ninterleaved pass against slapd ({rounds} rounds):");
        let m = common::interleave(&rt, remote, rounds, round, 20_000);
        lines.extend([
            rate_ratio(
                "64 tasks: pool(16) get+WhoAmI / one LdapConn 64 in flight (ops/s)",
                &m[0],
                &m[2],
                Target::AtLeast(1.0),
            ),
            rate_ratio(
                "64 tasks: pool(16) get / ldap3 in deadpool(16) (ops/s)",
                &m[0],
                &m[3],
                Target::AtLeast(1.2),
            ),
            rate_ratio(
                "64 tasks: pool(16) get_shared / ldap3 in deadpool(16) (ops/s)",
                &m[1],
                &m[3],
                Target::AtLeast(1.2),
            ),
            rate_ratio(
                "64 tasks: pool(16) get_shared / one LdapConn 64 in flight (ops/s)",
                &m[1],
                &m[2],
                Target::AtLeast(1.0),
            ),
            cpu_ratio(
                "64 tasks: pool(16) get / one LdapConn (client CPU per op)",
                &m[0],
                &m[2],
                Target::None,
            ),
            cpu_ratio(
                "64 tasks: pool(16) get / ldap3 in deadpool(16) (client CPU per op)",
                &m[0],
                &m[3],
                Target::None,
            ),
            cpu_ratio(
                "64 tasks: pool(16) get_shared / ldap3 in deadpool(16) (client CPU per op)",
                &m[1],
                &m[3],
                Target::None,
            ),
            common::server_cpu_ratio(
                "64 tasks: pool(16) get / ldap3 in deadpool(16) (slapd CPU per op)",
                &m[0],
                &m[3],
                Target::None,
            ),
            common::server_cpu_ratio(
                "64 tasks: pool(16) get_shared / ldap3 in deadpool(16) (slapd CPU per op)",
                &m[1],
                &m[3],
                Target::None,
            ),
            rate_ratio(
                "64 tasks: pool(16) get_shared fill first / ldap3 in deadpool(16) (ops/s)",
                &m[4],
                &m[3],
                Target::AtLeast(1.2),
            ),
            rate_ratio(
                "64 tasks: pool(16) get_shared fill first / one LdapConn 64 in flight (ops/s)",
                &m[4],
                &m[2],
                Target::AtLeast(1.0),
            ),
            cpu_ratio(
                "64 tasks: pool(16) get_shared fill first / ldap3 in deadpool(16) (client CPU per op)",
                &m[4],
                &m[3],
                Target::None,
            ),
            common::server_cpu_ratio(
                "64 tasks: pool(16) get_shared fill first / ldap3 in deadpool(16) (slapd CPU per op)",
                &m[4],
                &m[3],
                Target::None,
            ),
            common::server_load_line("slapd cores busy, pool(16) get", &m[0]),
            common::server_load_line("slapd cores busy, pool(16) get_shared", &m[1]),
            common::server_load_line("slapd cores busy, pool(16) get_shared fill first", &m[4]),
            common::server_load_line("slapd cores busy, ldap3 in deadpool(16)", &m[3]),
        ]);
    }
    common::report(
        "pool",
        "64 tasks get + WhoAmI + return; checkout cost",
        &lines,
    );
    c.final_summary();
}
