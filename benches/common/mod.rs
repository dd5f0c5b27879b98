//! Shared pieces of the benchmarks: client CPU accounting, the interleaved
//! ratio pass, TLS configs for the peers (bare tokio-rustls and ldap3), and
//! the in-process LDAP responder.
//!
//! Every number the benchmarks report as a result is a ratio between two
//! loops measured in the same process, in rounds that alternate between
//! the loops, so that load from other processes on the machine hits both
//! sides alike. Criterion's own reports (absolute times) are kept for
//! looking at distributions, not for conclusions.

// Not every bench uses every helper, and the items are `pub` for the
// benches that include this module.
#![allow(dead_code, unreachable_pub)]

pub mod cpeer;
pub mod data;
pub mod raw;
pub mod replay;
pub mod responder;

use std::fmt::Write as _;
use std::fs;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use tokio::runtime::Runtime;

use tokio_ldap::testkit::pki::{Entity, Pki, PkiFiles};

/// Threads whose CPU time is not the client's (the in-process responder
/// runs on threads with this name prefix).
pub const SERVER_THREAD_PREFIX: &str = "bench-srv";

/// The multi-thread runtime the clients run on (one worker per core).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// CPU time used so far by this process's threads, except those named
/// with [`SERVER_THREAD_PREFIX`], from `/proc/self/task/*/schedstat`
/// (nanoseconds on CPU). slapd runs in another process, so it is never
/// counted; the in-process responder runs on its own named thread and is
/// left out here. Threads that exit between two readings would lose their
/// time: the benchmarks only use long-lived threads (the runtime's workers,
/// the main thread, the responder thread).
pub fn client_cpu() -> Duration {
    let mut total = 0u64;
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let comm = fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.starts_with(SERVER_THREAD_PREFIX) {
            continue;
        }
        let stat = fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(total)
}

/// The slapd whose CPU time [`server_cpu`] reads (set by [`try_slapd`]).
static SERVER_PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// CPU time used so far by the slapd started by [`try_slapd`] (all its
/// threads, `/proc/PID/task/*/schedstat`); zero before it started. With
/// it, a table can tell a loop bound by the server (slapd busy on a whole
/// core) from one bound by the client.
pub fn server_cpu() -> Duration {
    let Some(pid) = SERVER_PID.get() else {
        return Duration::ZERO;
    };
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let total: u64 = tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(total)
}

/// One timed run of a loop.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meas {
    /// Wall-clock time.
    pub wall: Duration,
    /// Client CPU time (see [`client_cpu`]).
    pub cpu: Duration,
    /// Loop iterations (handshakes, operations, entries...).
    pub iters: u64,
    /// slapd's CPU time over the same run (see [`server_cpu`]).
    pub server: Duration,
}

impl Meas {
    /// Iterations per second.
    pub fn rate(&self) -> f64 {
        self.iters as f64 / self.wall.as_secs_f64()
    }

    /// Client CPU per iteration, in microseconds.
    pub fn cpu_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.iters as f64
    }

    /// slapd's CPU per iteration, in microseconds.
    pub fn server_us(&self) -> f64 {
        self.server.as_secs_f64() * 1e6 / self.iters as f64
    }

    /// How many cores slapd kept busy on average during the run.
    pub fn server_load(&self) -> f64 {
        self.server.as_secs_f64() / self.wall.as_secs_f64()
    }
}

/// A loop under test: runs `n` iterations and returns how many units it
/// processed (usually `n`; a search returns its entry count).
pub type LoopFn = Arc<dyn Fn(u64) -> Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync>;

/// A loop run outside this process (the C peer): runs `n` iterations and
/// returns how many units it processed and the CPU the other process used
/// for them.
pub type ExternalFn = Arc<dyn Fn(u64) -> (u64, Duration) + Send + Sync>;

/// How a variant runs.
#[derive(Clone)]
pub enum Loop {
    /// A future on the runtime; its CPU is this process's client CPU
    /// ([`client_cpu`]).
    Local(LoopFn),
    /// A call into another process that reports its own CPU (the C peer in
    /// [`cpeer`]); this process only waits for it.
    External(ExternalFn),
}

/// A named loop.
#[derive(Clone)]
pub struct Variant {
    /// Short name, used in the ratio table.
    pub name: String,
    /// The loop.
    pub run: Loop,
}

impl Variant {
    /// A variant from a closure returning a future.
    pub fn new<F, Fut>(name: impl Into<String>, f: F) -> Self
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = u64> + Send + 'static,
    {
        Self {
            name: name.into(),
            run: Loop::Local(Arc::new(move |n| Box::pin(f(n)))),
        }
    }

    /// A variant whose loop runs in another process and reports its CPU
    /// (see [`Loop::External`]).
    pub fn external(
        name: impl Into<String>,
        f: impl Fn(u64) -> (u64, Duration) + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            run: Loop::External(Arc::new(f)),
        }
    }

    /// Runs `n` iterations on `rt` (in a spawned task), timing wall clock
    /// and client CPU (an external loop's client CPU is the one its
    /// process reports).
    pub fn measure(&self, rt: &Runtime, n: u64) -> Meas {
        let cpu0 = client_cpu();
        let server0 = server_cpu();
        let t0 = Instant::now();
        let (iters, external_cpu) = match &self.run {
            // The loop runs in a task on a worker thread, as in a service.
            Loop::Local(run) => (
                rt.block_on(rt.spawn(run(n)))
                    .expect("the benchmark loop panicked"),
                None,
            ),
            Loop::External(run) => {
                let (iters, cpu) = run(n);
                (iters, Some(cpu))
            }
        };
        let wall = t0.elapsed();
        let cpu = external_cpu.unwrap_or_else(|| client_cpu().saturating_sub(cpu0));
        let server = server_cpu().saturating_sub(server0);
        Meas {
            wall,
            cpu,
            iters,
            server,
        }
    }

    /// For criterion's `iter_custom`: the wall time of `n` iterations.
    pub fn timed(&self, rt: &Runtime, n: u64) -> Duration {
        self.measure(rt, n).wall
    }
}

/// The interleaved pass: `rounds` rounds, each running every variant once
/// for about `round_time` (the iteration count is calibrated per variant
/// first), in an order rotated from round to round. Returns the
/// measurements per variant, one per round.
pub fn interleave(
    rt: &Runtime,
    variants: &[Variant],
    rounds: usize,
    round_time: Duration,
    max_iters: u64,
) -> Vec<Vec<Meas>> {
    let counts: Vec<u64> = variants
        .iter()
        .map(|v| calibrate(rt, v, round_time / 2, max_iters))
        .collect();
    let mut out = vec![Vec::with_capacity(rounds); variants.len()];
    for round in 0..rounds {
        for k in 0..variants.len() {
            let i = (round + k) % variants.len();
            out[i].push(variants[i].measure(rt, counts[i]));
        }
    }
    for (v, ms) in variants.iter().zip(&out) {
        let rates: Vec<f64> = ms.iter().map(Meas::rate).collect();
        let cpus: Vec<f64> = ms.iter().map(Meas::cpu_us).collect();
        println!(
            "  {:<28} {:>6} iters/round  median {:>10.1}/s  client CPU {:>8.2} us/iter",
            v.name,
            ms.first().map_or(0, |m| m.iters),
            median(rates),
            median(cpus)
        );
    }
    out
}

/// How many iterations take about `target` (doubling from 1; the result
/// is at least 1 and at most `max_iters`).
fn calibrate(rt: &Runtime, v: &Variant, target: Duration, max_iters: u64) -> u64 {
    let mut n = 1u64;
    loop {
        let m = v.measure(rt, n);
        if m.wall >= target / 4 || n >= max_iters {
            let per = m.wall.as_secs_f64() / n as f64;
            let want = (target.as_secs_f64() * 2.0 / per.max(1e-9)) as u64;
            return want.clamp(1, max_iters);
        }
        n *= 2;
    }
}

/// The median (of a non-empty list; NaN otherwise).
pub fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2.0
    }
}

/// What a ratio is compared with.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// No target: reported for information.
    None,
    /// The ratio must be at least this.
    AtLeast(f64),
    /// The ratio must be at most this.
    AtMost(f64),
}

/// One line of the ratio table.
pub struct Ratio {
    /// What is compared.
    pub what: String,
    /// The median over rounds of the per-round ratio.
    pub value: f64,
    /// The spread: lowest and highest per-round ratio.
    pub range: (f64, f64),
    /// The target.
    pub target: Target,
}

/// Throughput of `a` over throughput of `b`, round by round, median.
pub fn rate_ratio(what: &str, a: &[Meas], b: &[Meas], target: Target) -> Ratio {
    ratio(what, a, b, target, |a, b| a.rate() / b.rate())
}

/// slapd's CPU per iteration while serving `a` over that while serving
/// `b`, round by round, median.
pub fn server_cpu_ratio(what: &str, a: &[Meas], b: &[Meas], target: Target) -> Ratio {
    ratio(what, a, b, target, |a, b| a.server_us() / b.server_us())
}

/// How many cores slapd kept busy during each round of `a` (not a ratio
/// of two loops: 1.0 means one core all the time).
pub fn server_load_line(what: &str, a: &[Meas]) -> Ratio {
    value_line(
        what,
        a.iter().map(Meas::server_load).collect(),
        Target::None,
    )
}

/// Client CPU per iteration of `a` over that of `b`, round by round, median.
pub fn cpu_ratio(what: &str, a: &[Meas], b: &[Meas], target: Target) -> Ratio {
    ratio(what, a, b, target, |a, b| a.cpu_us() / b.cpu_us())
}

fn ratio(
    what: &str,
    a: &[Meas],
    b: &[Meas],
    target: Target,
    f: impl Fn(&Meas, &Meas) -> f64,
) -> Ratio {
    let rs: Vec<f64> = a.iter().zip(b).map(|(a, b)| f(a, b)).collect();
    let lo = rs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ratio {
        what: what.to_owned(),
        value: median(rs),
        range: (lo, hi),
        target,
    }
}

/// A plain value (not a ratio) checked against a target, e.g. CPU per entry.
pub fn value_line(what: &str, values: Vec<f64>, target: Target) -> Ratio {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ratio {
        what: what.to_owned(),
        value: median(values),
        range: (lo, hi),
        target,
    }
}

/// Prints the ratio table and writes it to `target/bench-ratios/NAME.md`
/// (next to criterion's own output).
pub fn report(name: &str, header: &str, lines: &[Ratio]) {
    let mut text = String::new();
    let _ = writeln!(text, "## {name}: {header}\n");
    let _ = writeln!(
        text,
        "| comparison | median | min..max over rounds | target | met |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|");
    for l in lines {
        let (target, met) = match l.target {
            Target::None => ("-".to_owned(), "-"),
            Target::AtLeast(t) => (format!(">= {t}"), yes_no(l.value >= t)),
            Target::AtMost(t) => (format!("<= {t}"), yes_no(l.value <= t)),
        };
        let _ = writeln!(
            text,
            "| {} | {:.3} | {:.3}..{:.3} | {} | {} |",
            l.what, l.value, l.range.0, l.range.1, target, met
        );
    }
    write_report(name, &text);
}

/// Prints a markdown table and writes it to `target/bench-ratios/NAME.md`
/// (not in smoke mode: those would be a debug build's numbers).
pub fn write_report(name: &str, text: &str) {
    println!("\n{text}");
    if smoke() {
        return;
    }
    if let Some(dir) = ratios_dir() {
        let _ = fs::create_dir_all(&dir);
        let path = dir.join(format!("{name}.md"));
        if fs::write(&path, text).is_ok() {
            println!("(written to {})", path.display());
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "**no**"
    }
}

/// `target/bench-ratios`, found from the bench executable's path
/// (`target/release/deps/NAME-HASH`).
fn ratios_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("bench-ratios"))
}

/// The ring provider, named explicitly (as the library does).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client config for the peers (bare tokio-rustls and ldap3):
/// trusts CA A (which issued the server certificate), always sends
/// `client`'s certificate, no session resumption (every handshake is a
/// full one, as in our client, which builds a config per connection).
pub fn peer_client_config(pki: &Pki, client: &Entity) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.ca_a.cert_der.clone()))
        .expect("CA A as a root");
    let chain = vec![CertificateDer::from(client.cert_der.clone())];
    let key = PrivateKeyDer::from_pem_slice(client.key_pem.as_bytes()).expect("client key");
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client certificate");
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// Reads an environment variable as a number, with a default (lets a run
/// be scaled, e.g. `BENCH_ROUNDS=9 cargo bench --bench handshake`).
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Smoke mode: the bench runs under `cargo test` (which, unlike `cargo
/// bench`, passes no `--bench`): every loop runs once, against the same
/// servers, to show that it works; nothing is measured or written.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// In smoke mode, runs every variant for one iteration and says so;
/// returns whether it did (the bench then stops).
pub fn smoke_run(rt: &Runtime, variants: &[Variant]) -> bool {
    if !smoke() {
        return false;
    }
    for v in variants {
        let m = v.measure(rt, 1);
        assert!(m.iters > 0, "{}: the loop did nothing", v.name);
        println!("smoke: {} ok ({} units)", v.name, m.iters);
    }
    true
}

/// Quick mode (`BENCH_QUICK=1`): skip criterion's own measurements and run
/// only the interleaved ratio pass.
pub fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// Starts a slapd, or explains loudly why not and returns `None`. Unix
/// only, like the slapd harness.
#[cfg(unix)]
pub fn try_slapd(
    options: crate::support::slapd::SlapdOptions,
) -> Option<crate::support::slapd::Slapd> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let res = std::panic::catch_unwind(move || crate::support::slapd::Slapd::start(options));
    std::panic::set_hook(hook);
    match res {
        Ok(s) => {
            let _ = SERVER_PID.set(s.pid());
            Some(s)
        }
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            // Under `cargo test` the bench is a test of the bench: a
            // missing slapd fails it, as it fails the integration tests.
            assert!(!smoke(), "slapd could not start: {why}");
            eprintln!("\n{}", "!".repeat(72));
            eprintln!("!! slapd could not start; the slapd benchmarks are SKIPPED.\n!! {why}");
            eprintln!("{}\n", "!".repeat(72));
            None
        }
    }
}

/// Connects the `ldap3` crate to `url` with `config`, spawning its
/// connection task. As shipped (`nodelay == false`) ldap3 connects the
/// socket itself and never sets TCP_NODELAY; with `nodelay` the socket is
/// connected here, set to TCP_NODELAY, and handed to ldap3 through
/// `LdapConnSettings::set_std_stream` (its documented way to bring your
/// own socket), so no fork of ldap3 is needed.
pub async fn ldap3_connect(
    url: &str,
    addr: std::net::SocketAddr,
    config: Arc<ClientConfig>,
    nodelay: bool,
) -> ldap3::Ldap {
    let mut settings = ldap3::LdapConnSettings::new().set_config(config);
    if nodelay {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        let std = tcp.into_std().expect("std socket");
        settings = settings.set_std_stream(ldap3::StdStream::Tcp(std));
    }
    let (conn, ldap) = ldap3::LdapConnAsync::with_settings(settings, url)
        .await
        .expect("ldap3 connect");
    tokio::spawn(async move {
        let _ = conn.drive().await;
    });
    ldap
}

/// ldap3: SASL EXTERNAL bind.
pub async fn ldap3_bind_external(ldap: &mut ldap3::Ldap) {
    ldap.sasl_external_bind()
        .await
        .expect("ldap3 bind")
        .success()
        .expect("ldap3 EXTERNAL bind result");
}

/// ldap3: WhoAmI, the authzId as a String (as our `whoami` returns it).
pub async fn ldap3_whoami(ldap: &mut ldap3::Ldap) -> String {
    let (exop, _) = ldap
        .extended(ldap3::exop::WhoAmI)
        .await
        .expect("ldap3 WhoAmI")
        .success()
        .expect("ldap3 WhoAmI result");
    exop.parse::<ldap3::exop::WhoAmIResp>().authzid
}

/// Our client's config: trust `ca_file`, answer the certificate request
/// with a [`tokio_ldap::CertStore`] holding alice (CA A) and bob (CA B).
pub fn our_config(files: &PkiFiles) -> tokio_ldap::ConnConfig {
    let alice =
        tokio_ldap::ClientCert::from_pem_files(&files.alice_crt, &files.alice_key).expect("alice");
    let bob = tokio_ldap::ClientCert::from_pem_files(&files.bob_crt, &files.bob_key).expect("bob");
    let store = tokio_ldap::CertStore::new().with(alice).with(bob);
    tokio_ldap::ConnConfig::new()
        .ca_file(&files.ca_a)
        .client_cert_query(store)
}

/// Profiling mode: with `BENCH_PROFILE=NAME` set, runs only the variant
/// whose name contains NAME, for `BENCH_PROFILE_SECS` seconds (default
/// 10), prints its rate and client CPU, and returns true (the caller then
/// stops). Meant for `perf record -e cpu-clock -g` or valgrind.
pub fn profile(rt: &Runtime, variants: &[Variant]) -> bool {
    let Ok(want) = std::env::var("BENCH_PROFILE") else {
        return false;
    };
    let Some(v) = variants.iter().find(|v| v.name.contains(want.as_str())) else {
        eprintln!("BENCH_PROFILE={want}: no such variant here");
        return false;
    };
    let secs: f64 = env_or("BENCH_PROFILE_SECS", 10.0);
    let n = calibrate(rt, v, Duration::from_secs_f64(secs / 2.0), u64::MAX);
    let m = v.measure(rt, n);
    println!(
        "profile {}: {} iterations, {:.1}/s, client CPU {:.2} us/iter",
        v.name,
        m.iters,
        m.rate(),
        m.cpu_us()
    );
    true
}

/// Where slapd cannot run (not Unix): says loudly that the slapd
/// benchmark `bench` is skipped (a bench under `cargo test` passes with
/// this message, as it has nothing to run).
#[cfg(not(unix))]
pub fn skip_needs_unix(bench: &str) {
    eprintln!("\n{}", "!".repeat(72));
    eprintln!("!! the {bench} benchmark needs slapd, which runs on Unix only: SKIPPED.");
    eprintln!("{}\n", "!".repeat(72));
}
