//! [`TestServer`]: an in-process LDAP server with TLS client
//! authentication, for tests.
//!
//! It listens on `127.0.0.1:0` for `ldap://` (with StartTLS) and
//! `ldaps://`, and on Unix on an `ldapi://` socket; it stops when dropped.
//! The TLS side is chosen by the test ([`ClientAuth`], [`CaNames`],
//! [`Rejection`], [`TlsVersions`]); the directory is a [`Directory`]; SASL
//! EXTERNAL maps the client certificate's subject by an
//! [`ExternalMapping`]. Faults can be injected while it runs, and
//! [`TestServer::connections`] tells what each client sent.

mod conn;
mod faults;
mod session;
mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use self::conn::{serve, Context, Io};
use self::faults::{Action, Faults};
pub use self::faults::{ConnectionRecord, Operation, Transport};
#[doc(hidden)]
pub use self::session::fuzz_requests;
pub use self::session::ExternalMapping;
use self::session::{check_template, Shared};
use self::tls::TlsSetup;
pub use self::tls::{CaNames, ClientAuth, Rejection, TlsVersions};
use crate::ber::Limits;
use crate::proto::dn::Dn;
use crate::proto::ResultCode;
use crate::sync::lock;
use crate::testkit::directory::Directory;
use crate::testkit::pki::{Entity, TestPki};
use crate::testkit::Error;

/// How to start a [`TestServer`]; from [`TestServer::builder`].
#[derive(Debug)]
pub struct TestServerBuilder {
    entities: Vec<Entity>,
    server_cert: String,
    trusted: Vec<String>,
    client_auth: ClientAuth,
    ca_names: CaNames,
    rejection: Rejection,
    versions: TlsVersions,
    directory: Directory,
    mapping: ExternalMapping,
    ldapi_identity: Option<String>,
    limits: Limits,
}

impl TestServerBuilder {
    /// The entity of the PKI whose certificate the server presents
    /// (default `server`: localhost, 127.0.0.1 and ::1, issued by `ca-a`).
    pub fn server_cert(mut self, name: &str) -> Self {
        self.server_cert = name.to_owned();
        self
    }

    /// The CAs whose client certificates the server trusts, by name, in
    /// the order it names them (default `ca-a`, `ca-b`).
    pub fn trust(mut self, names: &[&str]) -> Self {
        self.trusted = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// Whether the server asks for a client certificate (default
    /// [`ClientAuth::None`]).
    pub fn client_auth(mut self, mode: ClientAuth) -> Self {
        self.client_auth = mode;
        self
    }

    /// The CA names of the CertificateRequest (default
    /// [`CaNames::Trusted`]).
    pub fn ca_names(mut self, names: CaNames) -> Self {
        self.ca_names = names;
        self
    }

    /// How an untrusted or missing certificate is refused (default
    /// [`Rejection::Alert`]).
    pub fn rejection(mut self, how: Rejection) -> Self {
        self.rejection = how;
        self
    }

    /// The TLS versions offered (default both).
    pub fn tls_versions(mut self, versions: TlsVersions) -> Self {
        self.versions = versions;
        self
    }

    /// The directory (default [`Directory::example`]).
    pub fn directory(mut self, directory: Directory) -> Self {
        self.directory = directory;
        self
    }

    /// How SASL EXTERNAL maps a certificate (default
    /// [`ExternalMapping::Subject`]).
    pub fn external_mapping(mut self, mapping: ExternalMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// Who a client over `ldapi://` becomes with SASL EXTERNAL (default:
    /// the directory's root DN, as slapd's test instances map their own
    /// user; `None`: its peer credentials,
    /// `gidNumber=G+uidNumber=U,cn=peercred,cn=external,cn=auth`).
    pub fn ldapi_identity(mut self, dn: Option<&str>) -> Self {
        self.ldapi_identity = dn.map(str::to_owned);
        self
    }

    /// The longest message and the deepest nesting the server reads from
    /// a client (default [`Limits::DEFAULT`]: 16 MiB, 64 levels); a
    /// client over them gets a Notice of Disconnection and is closed.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn entity(&self, name: &str) -> Result<Entity, Error> {
        self.entities
            .iter()
            .find(|e| e.name == name)
            .cloned()
            .ok_or_else(|| Error::new(format!("no entity {name:?} in the test PKI")))
    }

    /// Starts listening. Needs a tokio runtime (the server's tasks run on
    /// it).
    pub async fn start(self) -> Result<TestServer, Error> {
        check_template(&self.mapping)?;
        let setup = TlsSetup {
            server: self.entity(&self.server_cert)?,
            roots: self
                .trusted
                .iter()
                .map(|n| self.entity(n))
                .collect::<Result<_, _>>()?,
            client_auth: self.client_auth,
            ca_names: self.ca_names.clone(),
            rejection: self.rejection,
            versions: self.versions,
        };
        let (tls, deferred) = setup.build()?;
        let server_issuer = self
            .entities
            .iter()
            .find(|e| e.subject_der == setup.server.issuer_der && e.name != setup.server.name)
            .map(Entity::cert);
        let ldapi_identity = match &self.ldapi_identity {
            Some(dn) => {
                Some(Dn::parse(dn).map_err(|e| Error::with(format!("ldapi identity {dn:?}"), e))?)
            }
            None => None,
        };
        let ctx = Arc::new(Context {
            shared: Shared {
                directory: Mutex::new(self.directory),
                mapping: self.mapping,
                ldapi_identity,
            },
            faults: Mutex::new(Faults::default()),
            records: Mutex::new(Vec::new()),
            tls,
            deferred,
            required: self.client_auth == ClientAuth::Required,
            limits: self.limits,
        });
        let bind = |what| move |e| Error::with(format!("cannot listen for {what} on 127.0.0.1"), e);
        let ldap = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(bind("ldap://"))?;
        let ldaps = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(bind("ldaps://"))?;
        let ldap_addr = ldap.local_addr().map_err(bind("ldap://"))?;
        let ldaps_addr = ldaps.local_addr().map_err(bind("ldaps://"))?;
        let tasks = vec![
            tokio::spawn(accept_tcp(ldap, Arc::clone(&ctx), Transport::Ldap)),
            tokio::spawn(accept_tcp(ldaps, Arc::clone(&ctx), Transport::Ldaps)),
        ];
        #[cfg(unix)]
        let (tasks, ldapi) = {
            let mut tasks = tasks;
            let socket = unix::Socket::new()?;
            tasks.push(tokio::spawn(unix::accept(
                socket.listen()?,
                Arc::clone(&ctx),
            )));
            (tasks, socket)
        };
        Ok(TestServer {
            ldap_addr,
            ldaps_addr,
            #[cfg(unix)]
            ldapi,
            ctx,
            tasks,
            server_issuer,
        })
    }
}

async fn accept_tcp(listener: TcpListener, ctx: Arc<Context>, transport: Transport) {
    // The connections die with this task (the JoinSet aborts them).
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let io: Box<dyn Io> = Box::new(tcp);
                connections.spawn(serve(Arc::clone(&ctx), io, transport, None));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

#[cfg(unix)]
mod unix {
    //! The `ldapi://` listener: a socket in a directory of its own under
    //! the temporary directory, removed on drop.

    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use tokio::net::UnixListener;
    use tokio::task::JoinSet;

    use super::conn::{serve, Context, Io};
    use super::faults::Transport;
    use crate::proto::dn::Dn;
    use crate::testkit::Error;

    static NEXT: AtomicU32 = AtomicU32::new(0);

    #[derive(Debug)]
    pub(super) struct Socket {
        pub(super) dir: PathBuf,
        pub(super) path: PathBuf,
    }

    impl Socket {
        pub(super) fn new() -> Result<Self, Error> {
            let dir = std::env::temp_dir().join(format!(
                "tokio-ldap-testkit-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::with(format!("cannot create {}", dir.display()), e))?;
            let path = dir.join("ldapi");
            Ok(Self { dir, path })
        }

        pub(super) fn listen(&self) -> Result<UnixListener, Error> {
            UnixListener::bind(&self.path)
                .map_err(|e| Error::with(format!("cannot listen on {}", self.path.display()), e))
        }
    }

    impl Drop for Socket {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    pub(super) async fn accept(listener: UnixListener, ctx: Arc<Context>) {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let peer = stream.peer_cred().ok().and_then(|c| {
                        Dn::parse(&format!(
                            "gidNumber={}+uidNumber={},cn=peercred,cn=external,cn=auth",
                            c.gid(),
                            c.uid()
                        ))
                        .ok()
                    });
                    let io: Box<dyn Io> = Box::new(stream);
                    connections.spawn(serve(Arc::clone(&ctx), io, Transport::Ldapi, peer));
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// An in-process LDAP server for tests: `ldap://` with StartTLS,
/// `ldaps://`, and `ldapi://` on Unix, over an in-memory [`Directory`];
/// stopped when dropped. See the [module docs](crate::testkit).
#[derive(Debug)]
pub struct TestServer {
    ldap_addr: SocketAddr,
    ldaps_addr: SocketAddr,
    #[cfg(unix)]
    ldapi: unix::Socket,
    ctx: Arc<Context>,
    tasks: Vec<JoinHandle<()>>,
    server_issuer: Option<CertificateDer<'static>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

impl TestServer {
    /// A builder with the certificates of `pki` (its `server` entity
    /// presented, `ca-a` and `ca-b` trusted, no client authentication, the
    /// [`Directory::example`] content).
    pub fn builder(pki: &TestPki) -> TestServerBuilder {
        TestServerBuilder {
            entities: pki.entities().cloned().collect(),
            server_cert: "server".to_owned(),
            trusted: vec!["ca-a".to_owned(), "ca-b".to_owned()],
            client_auth: ClientAuth::None,
            ca_names: CaNames::Trusted,
            rejection: Rejection::Alert,
            versions: TlsVersions::Both,
            directory: Directory::example(),
            mapping: ExternalMapping::Subject,
            ldapi_identity: Some("cn=admin,dc=example,dc=com".to_owned()),
            limits: Limits::DEFAULT,
        }
    }

    /// `ldap://127.0.0.1:PORT` (plain; StartTLS available).
    pub fn ldap_url(&self) -> String {
        format!("ldap://{}", self.ldap_addr)
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://{}", self.ldaps_addr)
    }

    /// `ldapi://` and the percent-encoded socket path.
    #[cfg(unix)]
    pub fn ldapi_url(&self) -> String {
        let path = self
            .ldapi
            .path
            .to_string_lossy()
            .replace('%', "%25")
            .replace('/', "%2F");
        format!("ldapi://{path}")
    }

    /// The address of the `ldap://` listener.
    pub fn ldap_addr(&self) -> SocketAddr {
        self.ldap_addr
    }

    /// The address of the `ldaps://` listener.
    pub fn ldaps_addr(&self) -> SocketAddr {
        self.ldaps_addr
    }

    /// The certificate of the CA that issued the server's certificate, for
    /// [`ConnConfig::root_certificate`](crate::ConnConfig::root_certificate).
    pub fn ca_certificate(&self) -> Option<CertificateDer<'static>> {
        self.server_issuer.clone()
    }

    /// A copy of the directory as it is now.
    pub fn directory(&self) -> Directory {
        lock(&self.ctx.shared.directory).clone()
    }

    /// Changes the directory while the server runs.
    pub fn with_directory<R>(&self, f: impl FnOnce(&mut Directory) -> R) -> R {
        f(&mut lock(&self.ctx.shared.directory))
    }

    /// What every client connection so far did, in the order they came.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        lock(&self.ctx.records).clone()
    }

    /// Waits before each response (or injected fault) from now on.
    pub fn delay_responses(&self, delay: Duration) {
        lock(&self.ctx.faults).delay = delay;
    }

    /// From now on, each connection is closed, without a response or a
    /// notice, when its client sends its message number `n + 1`: the
    /// first `n` are served.
    pub fn drop_after(&self, n: usize) {
        lock(&self.ctx.faults).drop_after = Some(n);
    }

    /// From now on, answers every `op` with `bytes` (anything: a truncated
    /// message, garbage, a response with another message ID) instead of
    /// its response.
    pub fn respond_with_bytes(&self, op: Operation, bytes: impl Into<Vec<u8>>) {
        lock(&self.ctx.faults)
            .actions
            .push((op, Action::Bytes(bytes.into())));
    }

    /// From now on, when a connection's message number `n` (from 1,
    /// whatever it is) arrives, sends `bytes` instead of its response. This
    /// comes before the faults by operation, so with
    /// `respond_with_bytes(Operation::Any, [])` the first `n - 1` requests
    /// stay unanswered (in flight) until the bytes come.
    pub fn send_bytes_at(&self, n: usize, bytes: impl Into<Vec<u8>>) {
        lock(&self.ctx.faults).at_message.push((n, bytes.into()));
    }

    /// From now on, answers every `op` with `code` (message "injected by
    /// the test") instead of carrying it out.
    pub fn fail(&self, op: Operation, code: ResultCode) {
        lock(&self.ctx.faults)
            .actions
            .push((op, Action::Fail(code)));
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        *lock(&self.ctx.faults) = Faults::default();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
