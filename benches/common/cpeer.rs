//! The libldap peer: `benches/c/ldap_peer.c`, compiled at run time with the
//! system's C compiler against OpenLDAP's libldap (`libldap-dev` on Debian),
//! run as a long-lived child process that takes one command per line on
//! stdin and answers with the count done and the CPU it used
//! (`getrusage(RUSAGE_SELF)`, user + system).
//!
//! The crate's build never needs a C compiler: only a bench compiles this,
//! and where the compiler or libldap's headers are missing it says so
//! loudly and leaves the peer out ([`CPeer::start`] returns why).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_ldap::testkit::pki::PkiFiles;

use super::Variant;

/// The C source, in the crate.
fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/c/ldap_peer.c")
}

/// Where the binary goes: `target/PROFILE/bench-c/ldap_peer`, found from
/// the bench executable's path (`target/PROFILE/deps/NAME-HASH`).
fn binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("no target directory above {}", exe.display()))?;
    Ok(profile_dir.join("bench-c").join("ldap_peer"))
}

/// Compiles the C peer unless the binary is newer than the source, with
/// `cc` or the compiler named by `BENCH_CC` (not `CC`, which would also
/// rebuild the C of the crate's dependencies).
/// `Err(why)` when it cannot be built here (no C compiler, no libldap
/// headers or library): the caller skips the peer and says why. Any other
/// compiler error is a bug in the C source: it panics with the compiler's
/// output.
fn build() -> Result<PathBuf, String> {
    let src = source();
    let bin = binary()?;
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(s), Some(b)) = (modified(&src), modified(&bin)) {
        if b >= s {
            return Ok(bin);
        }
    }
    if let Some(dir) = bin.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    }
    let cc = std::env::var("BENCH_CC").unwrap_or_else(|_| "cc".to_owned());
    // Built under a name of its own, then renamed: two benches running at
    // once never run a half-written binary.
    let tmp = bin.with_extension(format!("tmp{}", std::process::id()));
    let out = Command::new(&cc)
        .args(["-O2", "-Wall", "-o"])
        .arg(&tmp)
        .arg(&src)
        .args(["-lldap", "-llber"])
        .output()
        .map_err(|e| format!("cannot run the C compiler `{cc}`: {e}"))?;
    if out.status.success() {
        std::fs::rename(&tmp, &bin)
            .map_err(|e| format!("rename {} to {}: {e}", tmp.display(), bin.display()))?;
        return Ok(bin);
    }
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let missing_lib = ["ldap.h", "lber.h", "-lldap", "-llber"]
        .iter()
        .any(|w| stderr.contains(w));
    if missing_lib {
        return Err(format!(
            "libldap's headers or library are missing (Debian: apt-get install \
             libldap-dev; scripts/install-test-deps installs it): `{cc}` said:\n{}",
            stderr.trim()
        ));
    }
    panic!(
        "compiling {} failed ({}):\n{stderr}",
        src.display(),
        out.status
    );
}

/// The running C peer (one child process, one LDAPS URL).
pub struct CPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CPeer {
    /// Builds (if needed) and starts the C peer for `url`, with the client
    /// certificate of alice and trust in CA A from `files`. `Err(why)`
    /// when the peer cannot be built on this machine; a peer that builds
    /// but fails to start (or to load the PEM files) panics with its
    /// message.
    pub fn start(url: &str, files: &PkiFiles) -> Result<Self, String> {
        if !cfg!(unix) {
            return Err("the libldap peer is built on Unix only".to_owned());
        }
        let bin = build()?;
        let mut child = Command::new(&bin)
            .arg(url)
            .arg(&files.ca_a)
            .arg(&files.alice_crt)
            .arg(&files.alice_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let stdin = child.stdin.take().expect("child stdin");
        let stdout = BufReader::new(child.stdout.take().expect("child stdout"));
        let mut peer = Self {
            child,
            stdin,
            stdout,
        };
        let hello = peer.read_line();
        assert!(
            hello.starts_with("ready"),
            "the libldap peer did not start: {hello}"
        );
        Ok(peer)
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => panic!(
                "the libldap peer exited without an answer ({:?})",
                self.child.try_wait()
            ),
            Ok(_) => line.trim_end().to_owned(),
            Err(e) => panic!("reading from the libldap peer: {e}"),
        }
    }

    /// Opens and binds the connection that `seq` and `inflight` use, so
    /// that the first measured run does not include a handshake.
    pub fn connect(mut self) -> Self {
        self.command("connect");
        self
    }

    /// Sends one command (`handshake N`, `seq N`, `inflight N K`) and
    /// returns the count done and the CPU the peer used for it. Panics
    /// with libldap's message when the peer answers `error ...`.
    pub fn command(&mut self, cmd: &str) -> (u64, Duration) {
        writeln!(self.stdin, "{cmd}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("writing to the libldap peer: {e}"));
        let line = self.read_line();
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("ok"), Some(count), Some(cpu)) => {
                let count = count.parse().expect("count from the libldap peer");
                let cpu: u64 = cpu.parse().expect("CPU from the libldap peer");
                (count, Duration::from_micros(cpu))
            }
            _ => panic!("the libldap peer failed `{cmd}`: {line}"),
        }
    }

    /// A [`Variant`] running `cmd(n)` in this peer: its CPU is the peer's.
    pub fn variant(
        self,
        name: impl Into<String>,
        cmd: impl Fn(u64) -> String + Send + Sync + 'static,
    ) -> Variant {
        let peer = Arc::new(Mutex::new(self));
        Variant::external(name, move |n| {
            peer.lock()
                .unwrap_or_else(|e| e.into_inner())
                .command(&cmd(n))
        })
    }

    /// Starts the peer, or says loudly why it is skipped and returns
    /// `None` (a bench may leave a peer out; it says so).
    pub fn try_start(url: &str, files: &PkiFiles) -> Option<Self> {
        match Self::start(url, files) {
            Ok(p) => Some(p),
            Err(why) => {
                eprintln!("\n{}", "!".repeat(72));
                eprintln!("!! the libldap (C) peer is SKIPPED: {why}");
                eprintln!("{}\n", "!".repeat(72));
                None
            }
        }
    }
}

impl Drop for CPeer {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}
