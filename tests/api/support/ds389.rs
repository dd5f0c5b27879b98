//! Throwaway 389 Directory Server instances for the integration tests.
//!
//! Creating a 389-DS instance takes seconds (`dscreate`, then the NSS
//! database and the configuration), so each test binary makes at most one
//! instance per client-auth policy ([`Ds389::shared`]) and every test shares
//! it. Tests must therefore not change what others rely on: the users, the
//! trust store and the configuration are fixed at creation.
//!
//! What an instance is (all facts measured with Debian 12's 389-ds-base
//! 2.3.1):
//!
//! - created with `dscreate from-file` from Debian's Python, with lib389's
//!   `Paths.with_systemd` forced off (otherwise lib389 calls `systemctl`,
//!   which fails without systemd as PID 1), inside `unshare -n` when that is
//!   allowed (dscreate starts the server once on all interfaces);
//! - listeners on 127.0.0.1 only (`nsslapd-listenhost`,
//!   `nsslapd-securelistenhost`): LDAP (StartTLS) and LDAPS on free ports,
//!   and the instance's ldapi socket (where root autobinds as
//!   `cn=Directory Manager`, used to load the entries and as the readiness
//!   probe);
//! - TLS from the crate's test PKI: the server certificate under the
//!   nickname `Server-Cert`; CA-A then CA-B imported with the client-auth
//!   trust flags `CT,,` (389-DS names them newest first: B, A); the CA-A
//!   intermediate imported without trust flags (not named, but used to build
//!   a client's chain, so carol's leaf alone is enough);
//!   `nsSSLClientAuth: required` or `allowed` ([`ClientAuth`]);
//! - certificate mapping (`certmap.conf`): the certificate's `CN` is looked
//!   up as `(cn=<CN>)` under every suffix; each user entry
//!   `uid=<name>,ou=people,dc=example,dc=com` holds `cn: <name>` beside its
//!   full name, so alice's certificate (`CN=alice,OU=people,...`) binds as
//!   `uid=alice,ou=people,dc=example,dc=com`, the identity slapd's
//!   `authz-regexp` gives it. The test PKI names clients by `CN`, and
//!   389-DS's certmap compares a certificate attribute with the entry
//!   attribute of the same name, so the `uid` is reached through `cn`.
//! - `ou=people` carries an ACI letting any bound user read the people
//!   (not `userPassword`);
//! - one extra client, dave (`CN=dave,OU=people,DC=example,DC=com`, issued by
//!   CA-A), trusted but with no entry: 389-DS refuses to map it.
//!
//! The server runs as a daemon; a small supervisor shell (a child of the
//! test process, reading its stdin) stops it and removes the instance's
//! directories when the test process exits, whichever way it exits: its
//! stdin then reaches end of file. Instances left behind by a process that
//! is gone (`tlds<pid>...`) are removed at the next creation.
//!
//! Needs root (instances live in /etc/dirsrv, /var/lib/dirsrv, /run) and
//! the Debian packages `389-ds-base`, `libnss3-tools`, `ldap-utils` and
//! `openssl` (`scripts/install-test-deps`). When something is missing or
//! fails, the test fails saying what and why; nothing is skipped.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::pki::{Entity, KeyType, Pki, PkiFiles};
use super::slapd::{BASE_DN, PEOPLE_DN, USERS};

pub use super::slapd::User;

/// The 389-DS daemon.
pub const NS_SLAPD: &str = "/usr/sbin/ns-slapd";
/// lib389's instance creation tool.
pub const DSCREATE: &str = "/usr/sbin/dscreate";
/// Debian's Python, where lib389 lives (not a pyenv or venv one).
pub const PYTHON: &str = "/usr/bin/python3";
/// The root DN of every instance.
pub const ROOT_DN: &str = "cn=Directory Manager";
/// The root DN's password.
pub const ROOT_PW: &str = "secret-dm-password";
/// The DN of dave, whose certificate is trusted but maps to no entry.
pub const UNMAPPED_SUBJECT: &str = "CN=dave,OU=people,DC=example,DC=com";

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const START_ATTEMPTS: usize = 3;

/// `nsSSLClientAuth` on `cn=encryption,cn=config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAuth {
    /// A trusted client certificate is required for the handshake.
    Required,
    /// A certificate is requested; none is fine (an untrusted one still
    /// aborts the handshake).
    Allowed,
}

impl ClientAuth {
    fn value(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Allowed => "allowed",
        }
    }
}

/// A running 389-DS instance shared by the tests of this process.
#[derive(Debug)]
pub struct Ds389 {
    name: String,
    auth: ClientAuth,
    ldap_port: u16,
    ldaps_port: u16,
    pki: &'static Pki,
    dave: &'static Entity,
    files: PkiFiles,
    dave_files: (PathBuf, PathBuf),
    created_in: Duration,
    version: String,
    // Holds the supervisor's stdin open for the life of the process.
    supervisor: Mutex<(Child, ChildStdin)>,
    // The PKI files and the creation scripts.
    work: tempfile::TempDir,
}

static REQUIRED: OnceLock<Result<Ds389, String>> = OnceLock::new();
static ALLOWED: OnceLock<Result<Ds389, String>> = OnceLock::new();
static PKI: OnceLock<Result<(Pki, Entity), String>> = OnceLock::new();

impl Ds389 {
    /// The instance of this process for `auth`, created on first use
    /// (seconds), then shared.
    ///
    /// Panics with what failed and what to do about it when 389-DS is not
    /// installed, the process is not root, or the instance cannot be
    /// created or started; later calls repeat the same message.
    pub fn shared(auth: ClientAuth) -> &'static Self {
        let cell = match auth {
            ClientAuth::Required => &REQUIRED,
            ClientAuth::Allowed => &ALLOWED,
        };
        match cell.get_or_init(|| Self::create(auth)) {
            Ok(ds) => ds,
            Err(e) => panic!("389 Directory Server ({}): {e}", auth.value()),
        }
    }

    fn create(auth: ClientAuth) -> Result<Self, String> {
        let started = Instant::now();
        check_installed()?;
        let work = tempfile::Builder::new()
            .prefix("tlds-")
            .tempdir_in("/tmp")
            .map_err(|e| format!("cannot create a temporary directory in /tmp: {e}"))?;
        check_root(work.path())?;
        remove_stale_instances();

        let (pki, dave) = match PKI.get_or_init(make_pki) {
            Ok((pki, dave)) => (pki, dave),
            Err(e) => return Err(e.clone()),
        };
        let dir = work.path();
        let files = pki
            .write_to(&dir.join("pki"))
            .map_err(|e| format!("cannot write the test PKI: {e}"))?;
        let dave_files = (dir.join("pki/dave.crt"), dir.join("pki/dave.key"));
        write(&dave_files.0, &dave.cert_pem)?;
        write(&dave_files.1, &dave.key_pem)?;

        let name = format!(
            "tlds{}{}",
            std::process::id(),
            match auth {
                ClientAuth::Required => "r",
                ClientAuth::Allowed => "a",
            }
        );
        let (ldap_port, ldaps_port) = free_port_pair();
        let paths = InstancePaths::new(&name);
        // A leftover of this very name (a pid reused) goes first.
        paths.remove();
        dscreate(dir, &name, ldap_port, ldaps_port).inspect_err(|_| paths.remove())?;
        let result = configure(dir, &paths, &files, auth)
            .and_then(|()| start(dir, &paths, ldap_port, ldaps_port));
        let (supervisor, ldap_port, ldaps_port) = match result {
            Ok(running) => running,
            Err(e) => {
                let log = paths.error_log_tail();
                paths.remove();
                return Err(format!("{e}\n389-DS error log:\n{log}"));
            }
        };
        let ds = Self {
            name,
            auth,
            ldap_port,
            ldaps_port,
            pki,
            dave,
            files,
            dave_files,
            created_in: started.elapsed(),
            version: version(),
            supervisor: Mutex::new(supervisor),
            work,
        };
        ds.load_entries()?;
        eprintln!(
            "389-DS instance slapd-{} ({}, {}) ready in {:?}: {} {}",
            ds.name,
            ds.version,
            auth.value(),
            ds.created_in,
            ds.ldap_url(),
            ds.ldaps_url()
        );
        Ok(ds)
    }

    /// `ldap://127.0.0.1:PORT` (plain LDAP; StartTLS available).
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// `ldapi://` URL of the instance's socket.
    pub fn ldapi_url(&self) -> String {
        format!("ldapi://%2Frun%2Fslapd-{}.socket", self.name)
    }

    /// `nsSSLClientAuth` of this instance.
    pub fn client_auth(&self) -> ClientAuth {
        self.auth
    }

    /// The PKI (the standard layout, generated for 389-DS, plus dave).
    pub fn pki(&self) -> &'static Pki {
        self.pki
    }

    /// The PKI's files (see [`PkiFiles`]).
    pub fn files(&self) -> &PkiFiles {
        &self.files
    }

    /// dave: trusted (CA-A), but no entry matches his certificate.
    pub fn unmapped(&self) -> &'static Entity {
        self.dave
    }

    /// `(certificate, key)` files of dave.
    pub fn unmapped_files(&self) -> (&Path, &Path) {
        (&self.dave_files.0, &self.dave_files.1)
    }

    /// The instance name (`slapd-NAME` in /etc/dirsrv).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ns-slapd -v`'s first line, e.g. `389-Directory/2.3.1 B2023.xxx`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// How long creating and starting the instance took.
    pub fn creation_time(&self) -> Duration {
        self.created_in
    }

    /// The end of the server's error and access logs, for failure messages.
    pub fn log(&self) -> String {
        let paths = InstancePaths::new(&self.name);
        format!(
            "errors:\n{}\naccess:\n{}",
            paths.error_log_tail(),
            tail(&paths.log_dir.join("access"), 40)
        )
    }

    /// The users (as slapd's, plus `cn: <uid>` for the certificate mapping).
    pub fn users(&self) -> &'static [User] {
        &USERS
    }

    fn load_entries(&self) -> Result<(), String> {
        // Bound users may read the people (not their passwords), as under
        // slapd's `access to * by * read`.
        let mut ldif = format!(
            "dn: {PEOPLE_DN}\nobjectClass: top\nobjectClass: organizationalUnit\nou: people\n\
             aci: (targetattr != \"userPassword\")(version 3.0; acl \"tests read people\"; \
             allow (read, search, compare) userdn = \"ldap:///all\";)\n"
        );
        for u in USERS {
            let _ = write!(
                ldif,
                "\ndn: {}\nobjectClass: top\nobjectClass: inetOrgPerson\nuid: {}\ncn: {}\ncn: {}\n\
                 sn: {}\nmail: {}\nuserPassword: {}\n",
                u.dn, u.uid, u.cn, u.uid, u.sn, u.mail, u.password
            );
        }
        let url = self.ldapi_url();
        let out = run_stdin(
            tool("ldapadd").args(["-Q", "-Y", "EXTERNAL", "-H", &url]),
            &ldif,
        )?;
        if !out.status.success() {
            return Err(format!(
                "loading the entries failed: {}\n{}",
                output_text(&out),
                self.log()
            ));
        }
        Ok(())
    }
}

/// The standard test PKI, generated once more for 389-DS with one more
/// client (dave, CA-A) whose certificate maps to no entry.
fn make_pki() -> Result<(Pki, Entity), String> {
    use tokio_ldap::testkit::pki::Rdn::{Cn, Dc, Ou};
    let all = Pki::builder(KeyType::Ec)
        .client(
            "dave",
            &[Dc("com"), Dc("example"), Ou("people"), Cn("dave")],
            "ca-a",
        )
        .build()
        .map_err(|e| format!("cannot generate the test PKI: {e}"))?;
    let take = |name: &str| {
        all.entity(name)
            .cloned()
            .map_err(|e| format!("test PKI: {e}"))
    };
    let pki = Pki {
        key_type: KeyType::Ec,
        ca_a: take("ca-a")?,
        ca_b: take("ca-b")?,
        ca_a_int: take("ca-a-int")?,
        ca_evil: take("ca-evil")?,
        server: take("server")?,
        alice: take("alice")?,
        bob: take("bob")?,
        carol: take("carol")?,
        mallory: take("mallory")?,
    };
    Ok((pki, take("dave")?))
}

fn install_hint() -> &'static str {
    "run scripts/install-test-deps (installs the Debian packages 389-ds-base, libnss3-tools, \
     ldap-utils and openssl)"
}

fn check_installed() -> Result<(), String> {
    for bin in [NS_SLAPD, DSCREATE, PYTHON] {
        if !Path::new(bin).exists() {
            return Err(format!("{bin} not found: {}", install_hint()));
        }
    }
    for tool in ["certutil", "pk12util", "openssl", "ldapadd", "ldapwhoami"] {
        let found = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()));
        if !found {
            return Err(format!("{tool} not found in PATH: {}", install_hint()));
        }
    }
    let lib389 = Command::new(PYTHON)
        .args(["-c", "import lib389.paths"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {PYTHON}: {e}"))?;
    if !lib389.status.success() {
        return Err(format!(
            "{PYTHON} cannot import lib389 ({}): {}",
            output_text(&lib389),
            install_hint()
        ));
    }
    Ok(())
}

/// 389-DS instances live in system directories: root only. The owner of a
/// directory this process just made is its uid (std has no getuid and the
/// crate forbids unsafe).
fn check_root(created_dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    let uid = fs::metadata(created_dir)
        .map_err(|e| format!("stat {}: {e}", created_dir.display()))?
        .uid();
    if uid != 0 {
        return Err(format!(
            "creating a 389-DS instance needs root (it writes /etc/dirsrv, /var/lib/dirsrv and \
             /run); this process runs as uid {uid}: run the tests as root, e.g. in the CI \
             container or with sudo"
        ));
    }
    Ok(())
}

/// The directories and files of instance `slapd-NAME`.
struct InstancePaths {
    config_dir: PathBuf,
    log_dir: PathBuf,
    others: Vec<PathBuf>,
    pid_file: PathBuf,
}

impl InstancePaths {
    fn new(name: &str) -> Self {
        let inst = format!("slapd-{name}");
        Self {
            config_dir: Path::new("/etc/dirsrv").join(&inst),
            log_dir: Path::new("/var/log/dirsrv").join(&inst),
            others: vec![
                Path::new("/var/lib/dirsrv").join(&inst),
                Path::new("/run/lock/dirsrv").join(&inst),
                PathBuf::from(format!("/run/{inst}.socket")),
                PathBuf::from(format!("/run/dirsrv/{inst}.stats")),
            ],
            pid_file: PathBuf::from(format!("/run/dirsrv/{inst}.pid")),
        }
    }

    /// Every path, as a supervisor shell removes them.
    fn all(&self) -> Vec<&Path> {
        let mut all = vec![self.config_dir.as_path(), self.log_dir.as_path()];
        all.extend(self.others.iter().map(PathBuf::as_path));
        all.push(&self.pid_file);
        all
    }

    /// The pid of this instance's ns-slapd, if its pid file names a live
    /// process that is this instance's server (a pid file left behind may
    /// name a pid reused since by an unrelated process).
    fn server_pid(&self) -> Option<u32> {
        let pid = read_pid(&self.pid_file)?;
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        let config = self.config_dir.display().to_string();
        (cmdline.contains("ns-slapd") && cmdline.split('\0').any(|arg| arg == config))
            .then_some(pid)
    }

    /// Stops the server if it runs, and removes the instance.
    fn remove(&self) {
        if let Some(pid) = self.server_pid() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        for p in self.all() {
            let _ = if p.is_dir() {
                fs::remove_dir_all(p)
            } else {
                fs::remove_file(p)
            };
        }
    }

    fn error_log_tail(&self) -> String {
        tail(&self.log_dir.join("errors"), 40)
    }
}

fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Removes the instances `tlds<pid>[ra]` whose test process is gone.
fn remove_stale_instances() {
    let Ok(dir) = fs::read_dir("/etc/dirsrv") else {
        return;
    };
    for entry in dir.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str().and_then(|n| n.strip_prefix("slapd-")) else {
            continue;
        };
        let Some(pid) = name
            .strip_prefix("tlds")
            .and_then(|rest| rest.strip_suffix(['r', 'a']))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            eprintln!("removing the 389-DS instance slapd-{name} left by process {pid}");
            InstancePaths::new(name).remove();
        }
    }
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Two distinct free TCP ports on 127.0.0.1.
fn free_port_pair() -> (u16, u16) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let a = bind();
    let b = bind();
    let port = |l: &TcpListener| l.local_addr().expect("local_addr").port();
    (port(&a), port(&b))
}

/// `dscreate from-file`, with lib389's systemd use switched off, in a
/// private network namespace when the system allows one.
fn dscreate(dir: &Path, name: &str, ldap_port: u16, ldaps_port: u16) -> Result<(), String> {
    let inf = dir.join("instance.inf");
    write(
        &inf,
        &format!(
            "[general]\nconfig_version = 2\nfull_machine_name = localhost\n\
             strict_host_checking = False\nselinux = False\nsystemd = False\nstart = False\n\n\
             [slapd]\ninstance_name = {name}\nport = {ldap_port}\nsecure_port = {ldaps_port}\n\
             root_dn = {ROOT_DN}\nroot_password = {ROOT_PW}\nself_sign_cert = False\n\n\
             [backend-userroot]\nsuffix = {BASE_DN}\ncreate_suffix_entry = True\n"
        ),
    )?;
    // Debian's defaults.inf says with_systemd = 1 and lib389 would run
    // `systemctl start dirsrv@NAME`; with it off, lib389 runs ns-slapd
    // itself and stops it by its pid file.
    let script = dir.join("dscreate.py");
    write(
        &script,
        &format!(
            "import runpy, sys\nimport lib389.paths\n\
             lib389.paths.Paths.with_systemd = property(lambda self: False)\n\
             sys.argv = ['dscreate', 'from-file', sys.argv[1]]\n\
             runpy.run_path('{DSCREATE}', run_name='__main__')\n"
        ),
    )?;
    let private_net = Command::new("unshare")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut cmd = if private_net {
        let mut c = Command::new("unshare");
        c.args([
            "-n",
            "sh",
            "-c",
            "ip link set lo up 2>/dev/null; exec \"$@\"",
            "sh",
        ]);
        c.arg(PYTHON);
        c
    } else {
        Command::new(PYTHON)
    };
    cmd.arg(&script).arg(&inf).current_dir(dir);
    let out = run(&mut cmd)?;
    if !out.status.success() {
        return Err(format!("dscreate failed: {}", output_text(&out)));
    }
    Ok(())
}

/// Trust store, server identity, listeners, client auth and certmap.
fn configure(
    dir: &Path,
    paths: &InstancePaths,
    files: &PkiFiles,
    auth: ClientAuth,
) -> Result<(), String> {
    let db = paths.config_dir.display().to_string();
    let pwd = paths.config_dir.join("pwdfile.txt").display().to_string();
    let certutil = |nick: &str, trust: &str, file: &Path| -> Result<(), String> {
        let out = run(Command::new("certutil").args([
            "-A",
            "-d",
            &db,
            "-f",
            &pwd,
            "-n",
            nick,
            "-t",
            trust,
            "-a",
            "-i",
            &file.display().to_string(),
        ]))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("certutil -A {nick}: {}", output_text(&out)))
        }
    };
    // Import order matters: 389-DS names the newest first (B, then A).
    certutil("Test CA-A", "CT,,", &files.ca_a)?;
    certutil("Test CA-B", "CT,,", &files.ca_b)?;
    certutil("Test CA-A Intermediate", ",,", &files.ca_a_int)?;

    let p12 = dir.join("server.p12");
    let out = run(Command::new("openssl").args([
        "pkcs12",
        "-export",
        "-in",
        &files.server_crt.display().to_string(),
        "-inkey",
        &files.server_key.display().to_string(),
        "-name",
        "Server-Cert",
        "-passout",
        "pass:p12-password",
        "-out",
        &p12.display().to_string(),
    ]))?;
    if !out.status.success() {
        return Err(format!("openssl pkcs12 -export: {}", output_text(&out)));
    }
    let out = run(Command::new("pk12util").args([
        "-i",
        &p12.display().to_string(),
        "-d",
        &db,
        "-k",
        &pwd,
        "-W",
        "p12-password",
    ]))?;
    if !out.status.success() {
        return Err(format!("pk12util -i: {}", output_text(&out)));
    }
    // certutil and pk12util ran as root: give the files back to the
    // server's user.
    let out = run(Command::new("chown").args(["-R", "dirsrv:dirsrv", &db]))?;
    if !out.status.success() {
        return Err(format!("chown dirsrv {db}: {}", output_text(&out)));
    }

    let dse_path = paths.config_dir.join("dse.ldif");
    let dse = fs::read_to_string(&dse_path)
        .map_err(|e| format!("cannot read {}: {e}", dse_path.display()))?;
    let dse = edit_dse(&dse, auth)?;
    write(&dse_path, &dse)?;

    let certmap_path = paths.config_dir.join("certmap.conf");
    let mut certmap = fs::read_to_string(&certmap_path)
        .map_err(|e| format!("cannot read {}: {e}", certmap_path.display()))?;
    certmap.push_str("\ndefault:DNComps\ndefault:FilterComps cn\n");
    write(&certmap_path, &certmap)
}

/// Adds the listener addresses and TLS to `cn=config` and sets the client
/// authentication policy on `cn=encryption,cn=config` (replacing what the
/// entries had for these attributes).
pub fn edit_dse(dse: &str, auth: ClientAuth) -> Result<String, String> {
    let add_to = |dse: &str, dn: &str, lines: &str| -> Result<String, String> {
        let start = dse
            .find(&format!("dn: {dn}\n"))
            .ok_or_else(|| format!("dse.ldif has no entry {dn}"))?;
        let end = dse[start..]
            .find("\n\n")
            .map_or(dse.len(), |at| start + at + 1);
        let entry: String = dse[start..end]
            .lines()
            .filter(|l| {
                !lines.lines().any(|new| {
                    let attr = new.split(':').next().unwrap_or_default();
                    l.to_ascii_lowercase()
                        .starts_with(&format!("{}:", attr.to_ascii_lowercase()))
                })
            })
            .map(|l| format!("{l}\n"))
            .collect();
        Ok(format!("{}{entry}{lines}{}", &dse[..start], &dse[end..]))
    };
    let dse = add_to(
        dse,
        "cn=config",
        "nsslapd-listenhost: 127.0.0.1\nnsslapd-securelistenhost: 127.0.0.1\nnsslapd-security: on\n",
    )?;
    add_to(
        &dse,
        "cn=encryption,cn=config",
        &format!("nsSSLClientAuth: {}\n", auth.value()),
    )
}

/// Starts ns-slapd under a supervisor shell and waits until it answers on
/// its ldapi socket. A port taken meanwhile is retried with other ports.
fn start(
    dir: &Path,
    paths: &InstancePaths,
    mut ldap_port: u16,
    mut ldaps_port: u16,
) -> Result<((Child, ChildStdin), u16, u16), String> {
    let supervisor = dir.join("supervise.sh");
    // The instance, and this work directory (a shared instance lives in a
    // static, whose TempDir is never dropped).
    let removals: Vec<String> = paths
        .all()
        .into_iter()
        .chain([dir])
        .map(|p| format!("'{}'", p.display()))
        .collect();
    // Ignores the terminal's signals (the test run's Ctrl-C reaches the
    // whole process group) so the clean-up still runs when stdin closes.
    write(
        &supervisor,
        &format!(
            "trap '' INT HUP\n\
             {NS_SLAPD} -D '{config}' -i '{pid}' || exit 1\n\
             echo started\n\
             while read -r _; do :; done\n\
             pid=$(cat '{pid}' 2>/dev/null) && grep -q ns-slapd /proc/\"$pid\"/cmdline 2>/dev/null && \
             kill -TERM \"$pid\" 2>/dev/null || pid=\n\
             while [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null; do sleep 0.1; done\n\
             rm -rf {removals}\n",
            config = paths.config_dir.display(),
            pid = paths.pid_file.display(),
            removals = removals.join(" "),
        ),
    )?;
    let dse_path = paths.config_dir.join("dse.ldif");
    let ldapi = format!(
        "ldapi://{}",
        paths.others[2].display().to_string().replace('/', "%2F")
    );
    // ns-slapd copies its error log to stderr while it starts.
    let output = dir.join("ns-slapd.out");
    for attempt in 1..=START_ATTEMPTS {
        let stderr = fs::File::create(&output)
            .map_err(|e| format!("cannot create {}: {e}", output.display()))?;
        let mut child = Command::new("sh")
            .arg(&supervisor)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot run sh: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "started" {
            drop(stdin);
            let _ = child.wait();
            return Err(format!(
                "{NS_SLAPD} -D {} did not start",
                paths.config_dir.display()
            ));
        }
        let launched = Instant::now();
        loop {
            if probe(&ldapi) {
                return Ok(((child, stdin), ldap_port, ldaps_port));
            }
            // The daemon writes its pid file at once; gone after a grace
            // period means it exited (a port taken, a bad configuration).
            let alive = paths.server_pid().is_some();
            let waited = launched.elapsed();
            if (!alive && waited > Duration::from_secs(3)) || waited >= READY_TIMEOUT {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Not ready: stop this attempt (the supervisor stops the server
        // and would remove the instance: keep it by killing the shell
        // first, then the server).
        let _ = child.kill();
        let _ = child.wait();
        drop(stdin);
        if let Some(pid) = paths.server_pid() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            std::thread::sleep(Duration::from_millis(500));
        }
        let log = paths.error_log_tail();
        let port_taken = log.contains("Address already in use") || log.contains("PR_Bind");
        if !port_taken || attempt == START_ATTEMPTS {
            return Err(format!(
                "ns-slapd did not answer on {ldapi} within {READY_TIMEOUT:?} (attempt {attempt}, \
                 ports {ldap_port}/{ldaps_port})"
            ));
        }
        (ldap_port, ldaps_port) = free_port_pair();
        let dse = fs::read_to_string(&dse_path)
            .map_err(|e| format!("cannot read {}: {e}", dse_path.display()))?;
        let dse: String = dse
            .lines()
            .map(|l| {
                if l.starts_with("nsslapd-port:") {
                    format!("nsslapd-port: {ldap_port}\n")
                } else if l.starts_with("nsslapd-securePort:") {
                    format!("nsslapd-securePort: {ldaps_port}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        write(&dse_path, &dse)?;
    }
    Err("ns-slapd did not start".to_owned())
}

/// One WhoAmI as root over ldapi: true once the server serves requests.
fn probe(ldapi_url: &str) -> bool {
    tool("ldapwhoami")
        .args(["-Q", "-Y", "EXTERNAL", "-H", ldapi_url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn version() -> String {
    Command::new(NS_SLAPD)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .find(|l| l.contains("389-Directory"))
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| "389-Directory (version unknown)".to_owned())
}

/// An OpenLDAP client tool isolated from ldap.conf and `LDAP*` variables.
fn tool(name: &str) -> Command {
    let mut cmd = Command::new(name);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LDAP") {
            cmd.env_remove(key);
        }
    }
    cmd.env("LDAPCONF", "/dev/null")
        .env("LDAPRC", "tokio-ldap-tests-no-ldaprc");
    cmd
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))
}

fn run_stdin(cmd: &mut Command, input: &str) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(input.as_bytes())
            .map_err(|e| format!("writing to {cmd:?}: {e}"))?;
    }
    child
        .wait_with_output()
        .map_err(|e| format!("waiting for {cmd:?}: {e}"))
}

fn output_text(out: &Output) -> String {
    format!(
        "{}; stdout: {}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

fn tail(path: &Path, lines: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("<cannot read {}: {e}>", path.display()),
    }
}
