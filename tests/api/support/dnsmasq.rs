//! Throwaway `dnsmasq` DNS servers on loopback, serving the SRV records a
//! test gives them (DNS SRV discovery, RFC 2782).
//!
//! Each [`Dnsmasq`] is a child process listening on 127.0.0.1 at a free
//! port (UDP and TCP), with no upstream server, no hosts file and no
//! configuration file: it answers only from the [`Zone`] it was started
//! with, logs every query to a file in its own temporary directory
//! ([`Dnsmasq::queries`]), and is stopped by `Drop`.
//! [`Dnsmasq::restart`] serves a new zone on the same port, as a changed
//! DNS record would appear to a client after its TTL.
//!
//! Needs the Debian package `dnsmasq-base` (see
//! `scripts/install-test-deps`). A missing binary or a server that does not
//! start fails the test with a message saying so; nothing is skipped.

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of the dnsmasq binary (Debian package `dnsmasq-base`).
pub const DNSMASQ_BIN: &str = "/usr/sbin/dnsmasq";

/// How long a start may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The records a [`Dnsmasq`] serves.
#[derive(Clone, Debug, Default)]
pub struct Zone {
    args: Vec<String>,
}

impl Zone {
    /// No records: every name is refused (there is no upstream) until
    /// [`Zone::local`] makes a domain answer NXDOMAIN instead.
    pub fn new() -> Self {
        Self::default()
    }

    /// `name. TTL IN SRV priority weight port target.`, e.g. name
    /// `_ldap._tcp.example.test`.
    pub fn srv(mut self, name: &str, target: &str, port: u16, priority: u16, weight: u16) -> Self {
        self.args.push(format!(
            "--srv-host={name},{target},{port},{priority},{weight}"
        ));
        self
    }

    /// `name. TTL IN SRV 0 0 0 .`: the service is decidedly not available
    /// (RFC 2782).
    pub fn srv_unavailable(mut self, name: &str) -> Self {
        self.args.push(format!("--srv-host={name}"));
        self
    }

    /// A TXT record, so that `name` exists without SRV records (an SRV
    /// query gets NOERROR with no answer).
    pub fn txt(mut self, name: &str, text: &str) -> Self {
        self.args.push(format!("--txt-record={name},{text}"));
        self
    }

    /// Names under `domain` that the zone does not hold get NXDOMAIN.
    pub fn local(mut self, domain: &str) -> Self {
        self.args.push(format!("--local=/{domain}/"));
        self
    }

    /// The TTL of every record, in seconds (dnsmasq's default is 0: a
    /// client asks again every time).
    pub fn ttl(mut self, seconds: u32) -> Self {
        self.args.push(format!("--local-ttl={seconds}"));
        self
    }
}

/// A running dnsmasq (see the module docs).
pub struct Dnsmasq {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    log: PathBuf,
    /// How many times it was restarted (each instance logs to its own file).
    restarts: u32,
}

impl Dnsmasq {
    /// Starts dnsmasq serving `zone` on a free port of 127.0.0.1.
    pub fn start(zone: &Zone) -> Self {
        check_installed();
        let dir = tempfile::Builder::new()
            .prefix("tokio-ldap-dnsmasq-")
            .tempdir()
            .expect("a temporary directory for dnsmasq");
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = free_port();
            let log = dir.path().join(format!("queries-{port}.log"));
            match spawn(zone, port, &log) {
                Ok(child) => {
                    return Self {
                        child,
                        port,
                        dir,
                        log,
                        restarts: 0,
                    }
                }
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "dnsmasq did not start on any of five free ports:\n{}",
            failures.join("\n")
        );
    }

    /// Stops this dnsmasq and starts one serving `zone` on the same port.
    pub fn restart(&mut self, zone: &Zone) {
        stop(&mut self.child);
        self.restarts += 1;
        let log = self
            .dir
            .path()
            .join(format!("queries-{}-{}.log", self.port, self.restarts));
        let mut failures = Vec::new();
        // The port was just released; a moment's retry covers a slow exit.
        for _ in 0..20 {
            match spawn(zone, self.port, &log) {
                Ok(child) => {
                    self.child = child;
                    self.log = log;
                    return;
                }
                Err(e) => failures.push(e),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "dnsmasq did not start again on port {}:\n{}",
            self.port,
            failures.join("\n")
        );
    }

    /// The address to send queries to: 127.0.0.1 and the port.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The log of the current instance (queries and answers).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log)
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.log.display()))
    }

    /// How many `type` queries (e.g. `SRV`) for `name` the current
    /// instance has received.
    pub fn queries(&self, record_type: &str, name: &str) -> usize {
        let needle = format!("query[{record_type}] {name} from");
        self.log().lines().filter(|l| l.contains(&needle)).count()
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn install_hint() -> &'static str {
    "run scripts/install-test-deps (installs the Debian package dnsmasq-base)"
}

fn check_installed() {
    assert!(
        Path::new(DNSMASQ_BIN).exists(),
        "{DNSMASQ_BIN} not found: {}",
        install_hint()
    );
}

/// Starts dnsmasq and waits until it accepts TCP connections on `port`
/// (it binds UDP and TCP together, before it answers anything).
fn spawn(zone: &Zone, port: u16, log: &Path) -> Result<Child, String> {
    let mut cmd = Command::new(DNSMASQ_BIN);
    cmd.args([
        "--keep-in-foreground",
        // No /etc/dnsmasq.conf (dnsmasq-base ships none; the full package
        // would), no /etc/resolv.conf, no /etc/hosts, no pid file.
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--pid-file=",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--log-queries",
    ])
    .arg(format!("--port={port}"))
    .arg(format!("--log-facility={}", log.display()))
    .args(&zone.args)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    // As root, dnsmasq would switch to the user `nobody`, which cannot
    // write the log in our directory: stay root.
    if fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        cmd.arg("--user=root");
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {DNSMASQ_BIN}: {e} ({})", install_hint()))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let stderr = child
                .stderr
                .take()
                .and_then(|mut s| {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut s, &mut text).ok()?;
                    Some(text)
                })
                .unwrap_or_default();
            return Err(format!(
                "dnsmasq on port {port} exited ({status}): {}",
                stderr.trim()
            ));
        }
        if TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return Ok(child);
        }
        if Instant::now() > deadline {
            stop(&mut child);
            return Err(format!(
                "dnsmasq on port {port} did not listen within {START_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A port of 127.0.0.1 free for both UDP and TCP at this moment.
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1");
        let port = udp.local_addr().expect("its address").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
