//! Throwaway OpenLDAP `slapd` instances for the integration tests.
//!
//! Each [`Slapd`] owns a temporary directory (under `/tmp`, so the ldapi
//! socket path stays well below the 108-byte `sun_path` limit) holding the test
//! PKI, `slapd.conf`, an mdb database pre-loaded with `slapadd`, the ldapi
//! socket and slapd's log. slapd listens on `ldap://` and `ldaps://` on free
//! loopback ports and on its own ldapi socket, runs in the foreground as a
//! child of the test process (`-d none`), and is stopped by `Drop`.
//!
//! Directory content (suffix `dc=example,dc=com`):
//! `ou=people`, `ou=groups`, and `uid=alice|bob|carol,ou=people` (inetOrgPerson,
//! see [`USERS`]). `cn=admin,dc=example,dc=com` / `secret` is the rootdn.
//! SASL EXTERNAL identities are mapped with `authz-regexp`:
//! a client cert `CN=<x>,OU=people,DC=example,DC=com` becomes
//! `uid=<x>,ou=people,dc=example,dc=com`; the test process's own uid over
//! ldapi becomes the admin (root or not).
//!
//! Needs the Debian packages `slapd` and `ldap-utils` (see
//! `scripts/install-test-deps`). A missing tool makes the test fail with a
//! message saying so; nothing is skipped.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::pki::{Pki, PkiFiles};

pub use super::pki::KeyType;

/// Path of the slapd binary (Debian package `slapd`).
pub const SLAPD_BIN: &str = "/usr/sbin/slapd";
/// Path of slapadd (Debian package `slapd`).
pub const SLAPADD_BIN: &str = "/usr/sbin/slapadd";
/// Suffix of the test database.
pub const BASE_DN: &str = "dc=example,dc=com";
/// The rootdn.
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=com";
/// The rootdn's password.
pub const ADMIN_PW: &str = "secret";
/// Container of the user entries.
pub const PEOPLE_DN: &str = "ou=people,dc=example,dc=com";
/// Container for groups (empty unless a test adds some).
pub const GROUPS_DN: &str = "ou=groups,dc=example,dc=com";

/// A preloaded user entry.
#[derive(Debug, Clone, Copy)]
pub struct User {
    /// `uid` (also the CN of the matching client certificate).
    pub uid: &'static str,
    /// The entry's DN.
    pub dn: &'static str,
    /// `cn`
    pub cn: &'static str,
    /// `sn`
    pub sn: &'static str,
    /// `mail`
    pub mail: &'static str,
    /// `userPassword` (stored in clear, so simple binds work).
    pub password: &'static str,
}

/// The users every instance starts with.
pub const USERS: [User; 3] = [
    User {
        uid: "alice",
        dn: "uid=alice,ou=people,dc=example,dc=com",
        cn: "Alice Example",
        sn: "Example",
        mail: "alice@example.com",
        password: "alicepw",
    },
    User {
        uid: "bob",
        dn: "uid=bob,ou=people,dc=example,dc=com",
        cn: "Bob Example",
        sn: "Example",
        mail: "bob@example.com",
        password: "bobpw",
    },
    User {
        uid: "carol",
        dn: "uid=carol,ou=people,dc=example,dc=com",
        cn: "Carol Example",
        sn: "Example",
        mail: "carol@example.com",
        password: "carolpw",
    },
];

/// slapd's `TLSVerifyClient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyClient {
    /// A trusted client certificate is required for TLS to succeed.
    #[default]
    Demand,
    /// A certificate is requested; none is fine, an untrusted one is refused.
    Try,
    /// A certificate is requested; even an untrusted one is accepted (and
    /// then usable for EXTERNAL: do not use this unless testing exactly that).
    Allow,
    /// No certificate is requested (no CertificateRequest at all).
    Never,
}

impl VerifyClient {
    fn conf_value(self) -> &'static str {
        match self {
            Self::Demand => "demand",
            Self::Try => "try",
            Self::Allow => "allow",
            Self::Never => "never",
        }
    }
}

/// TLS versions slapd offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// GnuTLS defaults (TLS 1.3 is negotiated when the client offers it).
    #[default]
    Any,
    /// TLS 1.2 only (`TLSCipherSuite NORMAL:-VERS-ALL:+VERS-TLS1.2`).
    Tls12Only,
}

/// How to configure an instance.
#[derive(Debug, Clone, Default)]
pub struct SlapdOptions {
    /// `TLSVerifyClient` (default: demand).
    pub verify_client: VerifyClient,
    /// Key type of the PKI, server and client certs alike (default: EC).
    pub key: KeyType,
    /// TLS versions (default: any).
    pub tls: TlsVersions,
    /// Lines added to the mdb database section, after its indexes and before
    /// the default access rules (so an `access` line here takes precedence).
    pub extra_config: String,
    /// Lines added to the global section, before the `database` line
    /// (e.g. `moduleload`, global limits).
    pub extra_global_config: String,
    /// LDIF loaded with slapadd after the standard entries (use it for many
    /// entries: it is much faster than adding them over LDAP).
    pub extra_ldif: String,
    /// Loads the `syncprov` overlay (RFC 4533 content synchronization
    /// provider) on the database, with entryCSN/entryUUID indexes, a
    /// checkpoint after every write and a session log of 100 changes
    /// (default: off).
    pub syncprov: bool,
    /// Loads the `ppolicy` overlay with this DN as `ppolicy_default`;
    /// the policy entries themselves come in [`extra_ldif`](Self::extra_ldif)
    /// (default: none, no overlay).
    pub ppolicy_default: Option<String>,
    /// Loads the `sssvlv` overlay (server-side sorting, RFC 2891, and
    /// virtual list view) (default: off).
    pub sssvlv: bool,
}

impl SlapdOptions {
    /// `moduleload` lines for the overlays asked for (global section).
    fn overlay_modules(&self) -> String {
        let mut out = String::new();
        for (on, module) in [
            (self.syncprov, "syncprov"),
            (self.ppolicy_default.is_some(), "ppolicy"),
            (self.sssvlv, "sssvlv"),
        ] {
            if on {
                let _ = writeln!(out, "moduleload {module}");
            }
        }
        out
    }

    /// The overlays' lines in the database section.
    fn overlay_config(&self) -> String {
        let mut out = String::new();
        if self.syncprov {
            out.push_str(
                "index entryUUID,entryCSN eq\noverlay syncprov\nsyncprov-checkpoint 1 1\nsyncprov-sessionlog 100\n",
            );
        }
        if let Some(dn) = &self.ppolicy_default {
            let _ = writeln!(out, "overlay ppolicy\nppolicy_default \"{dn}\"");
        }
        if self.sssvlv {
            out.push_str("overlay sssvlv\n");
        }
        out
    }
}

/// A running slapd. Stopped (SIGTERM, then SIGKILL after 2 s) and its
/// directory removed on drop, also when the test panics.
#[derive(Debug)]
pub struct Slapd {
    child: Child,
    pid: u32,
    ldap_port: u16,
    ldaps_port: u16,
    ldapi_path: PathBuf,
    conf_path: PathBuf,
    log_path: PathBuf,
    files: PkiFiles,
    pki: &'static Pki,
    options: SlapdOptions,
    startup: Duration,
    // Last, so it is removed after the process is gone.
    dir: tempfile::TempDir,
}

/// How many times a start is retried when slapd could not bind the ports
/// picked for it (another process may grab a free port in between).
const START_ATTEMPTS: usize = 5;
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

impl Slapd {
    /// Starts an instance with the default options (demand, EC, any TLS version).
    pub fn start_default() -> Self {
        Self::start(SlapdOptions::default())
    }

    /// Starts an instance and waits until it answers LDAP on its ldapi socket.
    ///
    /// Panics with an explanation if slapd is missing, the configuration or
    /// data is rejected, or the server does not come up in 10 s.
    pub fn start(options: SlapdOptions) -> Self {
        let started = Instant::now();
        check_installed();

        let dir = tempfile::Builder::new()
            .prefix("tl-")
            .tempdir_in("/tmp")
            .unwrap_or_else(|e| panic!("cannot create a temporary directory in /tmp: {e}"));
        let root = dir.path().to_path_buf();
        let pki = Pki::get(options.key);
        let files = pki.write_to(&root.join("pki")).expect("write the test PKI");
        let db_dir = root.join("db");
        fs::create_dir(&db_dir).expect("create db dir");
        let ldapi_path = root.join("ldapi");
        let log_path = root.join("slapd.log");
        let conf_path = root.join("slapd.conf");
        fs::write(&conf_path, slapd_conf(&root, &files, &options)).expect("write slapd.conf");

        let ldif_path = root.join("data.ldif");
        let mut ldif = base_ldif();
        if !options.extra_ldif.is_empty() {
            ldif.push('\n');
            ldif.push_str(&options.extra_ldif);
            ldif.push('\n');
        }
        fs::write(&ldif_path, ldif).expect("write data.ldif");
        slapadd(&conf_path, &ldif_path);

        let mut attempt = 0;
        loop {
            attempt += 1;
            let (ldap_port, ldaps_port) = free_port_pair();
            match launch(&conf_path, &log_path, &ldapi_path, ldap_port, ldaps_port) {
                Ok(child) => {
                    let pid = child.id();
                    return Self {
                        child,
                        pid,
                        ldap_port,
                        ldaps_port,
                        ldapi_path,
                        conf_path,
                        log_path,
                        files,
                        pki,
                        options,
                        startup: started.elapsed(),
                        dir,
                    };
                }
                Err(Failure::PortTaken(log)) if attempt < START_ATTEMPTS => {
                    eprintln!(
                        "slapd could not bind ports {ldap_port}/{ldaps_port} \
                         (attempt {attempt}), retrying with other ports; log:\n{log}"
                    );
                }
                Err(Failure::PortTaken(log) | Failure::Other(log)) => {
                    panic!(
                        "slapd failed to start (attempt {attempt}, ports {ldap_port}/{ldaps_port}, \
                         dir {}): {log}",
                        root.display()
                    )
                }
            }
        }
    }

    /// `ldap://127.0.0.1:PORT` (plain LDAP; StartTLS available).
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// `ldap://localhost:PORT` (the server cert has a DNS SAN `localhost`).
    pub fn ldap_url_localhost(&self) -> String {
        format!("ldap://localhost:{}", self.ldap_port)
    }

    /// `ldaps://localhost:PORT`. Note: libldap's own TLS check fails on
    /// `localhost` (it substitutes the host name); use 127.0.0.1 with the CLI tools.
    pub fn ldaps_url_localhost(&self) -> String {
        format!("ldaps://localhost:{}", self.ldaps_port)
    }

    /// `ldapi://` URL of the instance's Unix socket (percent-encoded path).
    pub fn ldapi_url(&self) -> String {
        format!("ldapi://{}", percent_encode_path(&self.ldapi_path))
    }

    /// Port of the plain LDAP listener on 127.0.0.1.
    pub fn ldap_port(&self) -> u16 {
        self.ldap_port
    }

    /// Port of the LDAPS listener on 127.0.0.1.
    pub fn ldaps_port(&self) -> u16 {
        self.ldaps_port
    }

    /// `SocketAddr` of the plain LDAP listener.
    pub fn ldap_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ldap_port))
    }

    /// `SocketAddr` of the LDAPS listener.
    pub fn ldaps_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ldaps_port))
    }

    /// Filesystem path of the ldapi socket.
    pub fn ldapi_path(&self) -> &Path {
        &self.ldapi_path
    }

    /// The PKI the instance uses (cached per process and key type).
    pub fn pki(&self) -> &'static Pki {
        self.pki
    }

    /// Paths of the PKI files written for this instance.
    pub fn files(&self) -> &PkiFiles {
        &self.files
    }

    /// The instance's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Path of slapd.conf.
    pub fn conf_path(&self) -> &Path {
        &self.conf_path
    }

    /// The options the instance was started with.
    pub fn options(&self) -> &SlapdOptions {
        &self.options
    }

    /// Time from `start` being called until the server answered.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// slapd's output so far (`-d none`: errors only).
    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }

    /// slapd's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A `Command` for an OpenLDAP client tool (`ldapsearch`, `ldapwhoami`,
    /// `ldapadd`, `ldapmodify`, ...), isolated from the machine's and the
    /// user's ldap.conf/ldaprc and from inherited `LDAP*` variables, and set
    /// to trust CA A (which issued the server cert). Add
    /// `LDAPTLS_CERT`/`LDAPTLS_KEY` for a client certificate.
    pub fn tool_command(&self, tool: &str) -> Command {
        let mut cmd = isolated_tool_command(tool);
        cmd.current_dir(self.dir.path())
            .env("LDAPTLS_CACERT", &self.files.ca_a)
            .env("LDAPTLS_REQCERT", "demand");
        cmd
    }

    /// Runs an OpenLDAP client tool (see [`Slapd::tool_command`]) with
    /// `args` and returns its stdout. Panics if it fails.
    pub fn ldap_tool(&self, tool: &str, args: &[&str]) -> String {
        let out = self.ldap_tool_output(tool, args, None);
        check_output(tool, args, &out, self);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a client tool with optional stdin and returns its raw output
    /// (for tests that expect a failure).
    pub fn ldap_tool_output(&self, tool: &str, args: &[&str], stdin: Option<&str>) -> Output {
        run_with_stdin(self.tool_command(tool).args(args), stdin)
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e} ({})", install_hint()))
    }

    /// Runs `ldapwhoami -Y EXTERNAL` against `url` presenting the client
    /// certificate `client` (`"alice"`, `"bob"`, `"carol"` (with chain),
    /// `"mallory"`); `extra_args` e.g. `["-ZZ"]` for StartTLS.
    pub fn whoami_with_cert(&self, url: &str, client: &str, extra_args: &[&str]) -> Output {
        let (crt, key) = self.files.client(client).expect("a client of the test PKI");
        let mut cmd = self.tool_command("ldapwhoami");
        cmd.env("LDAPTLS_CERT", crt)
            .env("LDAPTLS_KEY", key)
            .args(["-Q", "-Y", "EXTERNAL", "-H", url])
            .args(extra_args);
        run_with_stdin(&mut cmd, None).unwrap_or_else(|e| panic!("cannot run ldapwhoami: {e}"))
    }

    /// Adds entries with `ldapadd`, over ldapi with SASL EXTERNAL (mapped to
    /// the rootdn). Panics on failure.
    pub fn add_ldif(&self, ldif: &str) {
        self.admin_ldif("ldapadd", ldif);
    }

    /// Applies an LDIF change set with `ldapmodify` as the rootdn (ldapi,
    /// SASL EXTERNAL). Panics on failure.
    pub fn modify_ldif(&self, ldif: &str) {
        self.admin_ldif("ldapmodify", ldif);
    }

    fn admin_ldif(&self, tool: &str, ldif: &str) {
        let url = self.ldapi_url();
        let args = ["-Q", "-Y", "EXTERNAL", "-H", url.as_str()];
        let out = self.ldap_tool_output(tool, &args, Some(ldif));
        check_output(tool, &args, &out, self);
    }
}

impl Slapd {
    /// Kills the instance with SIGKILL (no Notice of Disconnection, no
    /// close of its clients' connections but the kernel's), keeping its
    /// directory and ports for [`restart`](Self::restart).
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a killed instance again on the same ports, with the same
    /// configuration and data. Panics, with slapd's log, if it does not
    /// come up.
    pub fn restart(&mut self) {
        let _ = fs::remove_file(&self.ldapi_path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match launch(
                &self.conf_path,
                &self.log_path,
                &self.ldapi_path,
                self.ldap_port,
                self.ldaps_port,
            ) {
                Ok(child) => {
                    self.pid = child.id();
                    self.child = child;
                    return;
                }
                // The killed instance's ports may take a moment to free up.
                Err(Failure::PortTaken(_)) if attempt < START_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(Failure::PortTaken(log) | Failure::Other(log)) => panic!(
                    "slapd did not restart on ports {}/{} (attempt {attempt}): {log}",
                    self.ldap_port, self.ldaps_port
                ),
            }
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM lets slapd close the mdb environment cleanly. std has no
        // portable way to send it (and this crate forbids unsafe), so use kill(1)
        // on our own child's pid; SIGKILL via the Child handle is the fallback.
        let termed = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if termed {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                match self.child.try_wait() {
                    Ok(Some(_)) => return,
                    Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => break,
                }
            }
            eprintln!(
                "slapd pid {} did not stop within {STOP_TIMEOUT:?} of SIGTERM; killing it",
                self.pid
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Failure {
    /// A listener could not be bound (EADDRINUSE): retry with other ports.
    PortTaken(String),
    Other(String),
}

fn install_hint() -> &'static str {
    "run scripts/install-test-deps (installs the Debian packages slapd, ldap-utils and openssl)"
}

fn check_installed() {
    for bin in [SLAPD_BIN, SLAPADD_BIN] {
        assert!(
            Path::new(bin).exists(),
            "{bin} not found: {}",
            install_hint()
        );
    }
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("ldapwhoami").is_file()));
    assert!(found, "ldapwhoami not found in PATH: {}", install_hint());
}

/// A client-tool command with no outside configuration.
fn isolated_tool_command(tool: &str) -> Command {
    let mut cmd = Command::new(tool);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LDAP") {
            cmd.env_remove(key);
        }
    }
    // LDAPCONF replaces /etc/ldap/ldap.conf; LDAPRC names the per-user file
    // ($HOME/<name>, ./<name>), pointed at a name that does not exist.
    cmd.env("LDAPCONF", "/dev/null")
        .env("LDAPRC", "tokio-ldap-tests-no-ldaprc");
    cmd
}

fn run_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> std::io::Result<Output> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    match stdin {
        None => {
            cmd.stdin(Stdio::null());
            cmd.output()
        }
        Some(input) => {
            cmd.stdin(Stdio::piped());
            let mut child = cmd.spawn()?;
            let mut pipe = child.stdin.take().expect("piped stdin");
            let input = input.to_owned();
            // Write from another thread so a large input cannot deadlock
            // against a full stdout pipe.
            let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
            let out = child.wait_with_output()?;
            writer.join().expect("stdin writer thread")?;
            Ok(out)
        }
    }
}

fn check_output(tool: &str, args: &[&str], out: &Output, slapd: &Slapd) {
    assert!(
        out.status.success(),
        "{tool} {args:?} failed ({}):\nstdout: {}\nstderr: {}\nslapd log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        slapd.log()
    );
}

fn read_log(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("<cannot read {}: {e}>", path.display()),
    }
}

/// Percent-encodes a path for an `ldapi://` URL (everything but unreserved
/// characters, so `/` becomes `%2F`).
fn percent_encode_path(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Two distinct free TCP ports on 127.0.0.1 (both held until both are known).
fn free_port_pair() -> (u16, u16) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let a = bind();
    let b = bind();
    let port = |l: &TcpListener| l.local_addr().expect("local_addr").port();
    (port(&a), port(&b))
}

fn slapd_conf(root: &Path, files: &PkiFiles, options: &SlapdOptions) -> String {
    let d = root.display();
    let cipher_suite = match options.tls {
        TlsVersions::Any => String::new(),
        TlsVersions::Tls12Only => "TLSCipherSuite NORMAL:-VERS-ALL:+VERS-TLS1.2\n".to_owned(),
    };
    format!(
        r#"# slapd.conf for a tokio-ldap test instance
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema

modulepath /usr/lib/ldap
moduleload back_mdb
{modules}
pidfile  {d}/slapd.pid
argsfile {d}/slapd.args

TLSCACertificateFile  {ca_bundle}
TLSCertificateFile    {server_crt}
TLSCertificateKeyFile {server_key}
TLSVerifyClient       {verify}
{cipher_suite}
# Client cert CN=<x>,OU=people,DC=example,DC=com -> uid=<x>,ou=people,...
authz-regexp "^cn=([^,]+),ou=people,dc=example,dc=com$" "uid=$1,ou=people,dc=example,dc=com"
# The test process's uid over ldapi (peer credentials) -> the rootdn
authz-regexp "^gidnumber=[0-9]+\\+uidnumber={uid},cn=peercred,cn=external,cn=auth$" "cn=admin,dc=example,dc=com"

sizelimit unlimited
# No syslog daemon listens here (no /dev/log), and glibc's syslog() tries
# that socket again for every line under one process-wide lock: the
# default "stats" logging made slapd's threads queue on that lock and
# held WhoAmI to about a third of the rate slapd reaches without it
# (BENCHMARKS.md, "The test slapd's logging"). Errors at startup still go
# to stderr (slapd.log).
loglevel 0
{extra_global}

database  mdb
suffix    "{BASE_DN}"
rootdn    "{ADMIN_DN}"
rootpw    {ADMIN_PW}
directory {d}/db
maxsize   67108864
sizelimit unlimited
index     objectClass eq
index     uid eq
{extra_db}
{overlays}
# The rootdn (also reached via ldapi EXTERNAL as root) bypasses these rules.
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by self write
    by * read
"#,
        ca_bundle = files.ca_bundle.display(),
        server_crt = files.server_crt.display(),
        server_key = files.server_key.display(),
        verify = options.verify_client.conf_value(),
        uid = process_uid(root),
        extra_global = options.extra_global_config,
        extra_db = options.extra_config,
        modules = options.overlay_modules(),
        overlays = options.overlay_config(),
    )
}

/// The uid this process runs as: the owner of a directory it just created
/// (std has no getuid, and this crate forbids unsafe).
fn process_uid(created_dir: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    fs::metadata(created_dir)
        .unwrap_or_else(|e| panic!("stat {}: {e}", created_dir.display()))
        .uid()
}

fn base_ldif() -> String {
    let mut ldif = format!(
        "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example Test\n\n\
         dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n"
    );
    for u in USERS {
        let _ = write!(
            ldif,
            "\ndn: {}\nobjectClass: inetOrgPerson\nuid: {}\ncn: {}\nsn: {}\nmail: {}\nuserPassword: {}\n",
            u.dn, u.uid, u.cn, u.sn, u.mail, u.password
        );
    }
    ldif
}

fn slapadd(conf: &Path, ldif: &Path) {
    let out = Command::new(SLAPADD_BIN)
        .arg("-q")
        .arg("-f")
        .arg(conf)
        .arg("-l")
        .arg(ldif)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {SLAPADD_BIN}: {e} ({})", install_hint()));
    assert!(
        out.status.success(),
        "slapadd rejected the configuration or the test data ({}):\n{}{}\nconfig {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        conf.display(),
        fs::read_to_string(conf).unwrap_or_default()
    );
}

/// Starts slapd and waits until it answers on ldapi. Ok(child) when ready.
fn launch(
    conf: &Path,
    log_path: &Path,
    ldapi: &Path,
    ldap_port: u16,
    ldaps_port: u16,
) -> Result<Child, Failure> {
    // Truncated per attempt, so a retry is judged on its own output only.
    let log = fs::File::create(log_path).expect("open slapd.log");
    let urls = format!(
        "ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/ ldapi://{}",
        percent_encode_path(ldapi)
    );
    let mut child = Command::new(SLAPD_BIN)
        .arg("-f")
        .arg(conf)
        .args(["-h", &urls, "-d", "none"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {SLAPD_BIN}: {e} ({})", install_hint()));

    let ldapi_url = format!("ldapi://{}", percent_encode_path(ldapi));
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait slapd") {
            return Err(exited(status, log_path));
        }
        if ldapi.exists() && probe(&ldapi_url) {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::Other(format!(
                "slapd did not answer on {ldapi_url} within {READY_TIMEOUT:?}; its log:\n{}",
                read_log(log_path)
            )));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn exited(status: ExitStatus, log_path: &Path) -> Failure {
    let log = read_log(log_path);
    let msg = format!("slapd exited with {status} during startup; its log:\n{log}");
    // "daemon: bind(7) failed errno=98 (Address already in use)"
    if log.contains("errno=98") || log.contains("Address already in use") {
        Failure::PortTaken(msg)
    } else {
        Failure::Other(msg)
    }
}

/// One anonymous WhoAmI over ldapi: true once slapd serves requests.
fn probe(ldapi_url: &str) -> bool {
    isolated_tool_command("ldapwhoami")
        .args(["-x", "-H", ldapi_url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run ldapwhoami: {e} ({})", install_hint()))
        .success()
}
