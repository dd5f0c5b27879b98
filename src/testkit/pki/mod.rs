//! A throwaway test PKI generated with rcgen: any CAs, intermediates,
//! clients and servers by name ([`PkiBuilder`], [`TestPki`]), and the
//! standard layout every test of the crate uses ([`TestPki::new`], and
//! [`Pki`], the same layout with a field per entity, cached per process).
//!
//! The standard layout (subjects written most general RDN first, as
//! `openssl -subj "/DC=com/DC=example/..."` does):
//!
//! ```text
//! ca_a      DC=com/DC=example/O=Example Test/CN=Test CA-A           root
//! ca_b      DC=com/DC=example/O=Example Test/CN=Test CA-B           root
//! ca_a_int  DC=com/DC=example/O=Example Test/CN=Test CA-A Intermediate  (ca_a, pathlen 0)
//! ca_evil   O=Evil Test/CN=Untrusted CA                             root, not trusted by slapd
//! server    CN=localhost (ca_a), SAN DNS:localhost IP:127.0.0.1 IP:::1
//! alice     DC=com/DC=example/OU=people/CN=alice    (ca_a)
//! bob       DC=com/DC=example/OU=people/CN=bob      (ca_b)
//! carol     DC=com/DC=example/OU=people/CN=carol    (ca_a_int)
//! mallory   DC=com/DC=example/OU=people/CN=mallory  (ca_evil)
//! ```
//!
//! [`TestPki::new`] adds the awkward clients, each
//! `DC=com/DC=example/OU=people/CN=<name>` and issued by CA A unless said:
//!
//! ```text
//! expired         valid only in 2000
//! not-yet-valid   valid only from 2090
//! no-client-auth  extended key usage serverAuth only
//! wrong-key       its key is not the one the certificate certifies
//! self-signed     issued by itself
//! zoe             sound; CN=Zoë Smith+Jones, Jr. <zsj> (UTF-8, RFC 4514 escapes)
//! ```
//!
//! In [`TestPki`] the names are written with hyphens (`ca-a`, `ca-a-int`,
//! `ca-evil`); [`Pki`]'s fields with underscores.
//!
//! How the certificates are made (rcgen, placeholder OIDs for repeated
//! DCs, RSA keys from openssl) is in `issue.rs`.

mod entity;
mod issue;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::DistinguishedName;

pub use self::entity::{pem, Entity, KeyType, Rdn};
pub use self::issue::ClientKind;
use self::issue::{dn, generate, Generated, KeySource, Role};
use super::Error;
use crate::proto::dn::{Dn, DnValue};
use crate::tls::ClientCert;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;

#[derive(Debug)]
/// One entity to make, as the builder was told.
struct Spec {
    name: String,
    subject: Result<DistinguishedName, Error>,
    role: Role,
    issuer: Option<String>,
}

/// Builds a PKI entity by entity, each issuer named before what it issues.
#[derive(Debug)]
pub struct PkiBuilder {
    key_type: KeyType,
    specs: Vec<Spec>,
}

impl PkiBuilder {
    /// An empty PKI whose keys will all be of `key_type`.
    pub fn new(key_type: KeyType) -> Self {
        Self {
            key_type,
            specs: Vec::new(),
        }
    }

    fn push(mut self, name: &str, subject: &[Rdn<'_>], role: Role, issuer: Option<&str>) -> Self {
        self.specs.push(Spec {
            name: name.to_owned(),
            subject: dn(subject),
            role,
            issuer: issuer.map(str::to_owned),
        });
        self
    }

    /// A self-signed root CA (keyCertSign, cRLSign).
    pub fn root(self, name: &str, subject: &[Rdn<'_>]) -> Self {
        self.push(name, subject, Role::Root, None)
    }

    /// An intermediate CA (pathlen 0) issued by `issuer`.
    pub fn intermediate(self, name: &str, subject: &[Rdn<'_>], issuer: &str) -> Self {
        self.push(name, subject, Role::Intermediate, Some(issuer))
    }

    /// A server certificate (serverAuth; SAN DNS:localhost, IP:127.0.0.1,
    /// IP:::1) issued by `issuer`.
    pub fn server(self, name: &str, subject: &[Rdn<'_>], issuer: &str) -> Self {
        self.push(name, subject, Role::Server, Some(issuer))
    }

    /// A client certificate (clientAuth) issued by `issuer`.
    pub fn client(self, name: &str, subject: &[Rdn<'_>], issuer: &str) -> Self {
        self.push(name, subject, Role::Client(ClientKind::Sound), Some(issuer))
    }

    /// A client certificate of `kind` (expired, without clientAuth, ...)
    /// issued by `issuer` (ignored for [`ClientKind::SelfSigned`]).
    pub fn client_of_kind(
        self,
        name: &str,
        subject: &[Rdn<'_>],
        issuer: &str,
        kind: ClientKind,
    ) -> Self {
        let issuer = (kind != ClientKind::SelfSigned).then_some(issuer);
        self.push(name, subject, Role::Client(kind), issuer)
    }

    /// A client certificate issued by `issuer` whose subject is given as an
    /// RFC 4514 string, most specific RDN first, e.g.
    /// `CN=Smith\, John,OU=people,DC=example,DC=com` (types DC, O, OU, CN,
    /// UID, C and L; one value per RDN; `\` escapes and UTF-8 as usual).
    pub fn client_dn(mut self, name: &str, subject: &str, issuer: &str) -> Self {
        self.specs.push(Spec {
            name: name.to_owned(),
            subject: subject_from_text(subject),
            role: Role::Client(ClientKind::Sound),
            issuer: Some(issuer.to_owned()),
        });
        self
    }

    /// Adds the awkward clients of the standard layout, all under
    /// `DC=com/DC=example/OU=people` and, but the self-signed one, issued by
    /// `ca-a` (which must be defined): `expired`, `not-yet-valid`,
    /// `no-client-auth`, `wrong-key`, `self-signed`, and `zoe`, a sound
    /// certificate whose CN holds UTF-8 and characters RFC 4514 escapes
    /// (`Zoë Smith+Jones, Jr. <zsj>`).
    pub fn awkward(self) -> Self {
        use Rdn::{Cn, Dc, Ou};
        let people = |cn| [Dc("com"), Dc("example"), Ou("people"), Cn(cn)];
        let mut b = self;
        for (name, kind) in [
            ("expired", ClientKind::Expired),
            ("not-yet-valid", ClientKind::NotYetValid),
            ("no-client-auth", ClientKind::NoClientAuth),
            ("wrong-key", ClientKind::WrongKey),
            ("self-signed", ClientKind::SelfSigned),
        ] {
            b = b.client_of_kind(name, &people(name), "ca-a", kind);
        }
        b.client("zoe", &people(ZOE_CN), "ca-a")
    }

    /// Generates every key and certificate.
    pub fn build(self) -> Result<TestPki, Error> {
        let mut pki = TestPki {
            key_type: self.key_type,
            made: Vec::new(),
        };
        pki.extend(self)?;
        Ok(pki)
    }
}

/// What a [`PkiBuilder`] made: its entities by name, in the order built.
/// It can issue more ([`TestPki::extend`]).
pub struct TestPki {
    key_type: KeyType,
    made: Vec<Generated>,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki")
            .field("key_type", &self.key_type)
            .field(
                "entities",
                &self.made.iter().map(|g| &g.entity).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl TestPki {
    /// The key algorithm of every entity.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The entity built under `name`.
    pub fn get(&self, name: &str) -> Option<&Entity> {
        self.made.iter().map(|g| &g.entity).find(|e| e.name == name)
    }

    /// The entity built under `name`, or an error naming it.
    pub fn entity(&self, name: &str) -> Result<&Entity, Error> {
        self.get(name)
            .ok_or_else(|| Error::new(format!("no entity {name:?} in the test PKI")))
    }

    /// Every entity, in the order built.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.made.iter().map(|g| &g.entity)
    }

    /// Generates the entities of `more` (whose issuers may be entities of
    /// this PKI) with this PKI's key type, and adds them.
    pub fn extend(&mut self, more: PkiBuilder) -> Result<(), Error> {
        let mut keys = KeySource::new(self.key_type, more.specs.len())?;
        for spec in more.specs {
            if self.get(&spec.name).is_some() {
                return Err(Error::new(format!("{}: defined twice", spec.name)));
            }
            let subject = spec.subject?;
            let key = keys.next()?;
            let issuer = match &spec.issuer {
                None => None,
                Some(issuer) => Some(
                    self.made
                        .iter()
                        .find(|g| g.entity.name == *issuer)
                        .ok_or_else(|| {
                            Error::new(format!(
                                "{}: issuer {issuer:?} is not defined before it",
                                spec.name
                            ))
                        })?,
                ),
            };
            let generated = generate(&spec.name, subject, spec.role, self.key_type, key, issuer)?;
            self.made.push(generated);
        }
        Ok(())
    }

    /// The standard layout (see the module documentation) with EC keys,
    /// freshly generated: three roots, an intermediate, a server for
    /// localhost, 127.0.0.1 and ::1, four sound clients and the awkward
    /// ones.
    pub fn new() -> Result<Self, Error> {
        Self::standard(KeyType::Ec)
    }

    /// The standard layout with keys of `key_type`.
    pub fn standard(key_type: KeyType) -> Result<Self, Error> {
        Pki::builder(key_type).awkward().build()
    }

    /// A builder of a PKI of EC keys, entity by entity.
    pub fn builder() -> PkiBuilder {
        PkiBuilder::new(KeyType::Ec)
    }

    /// The client identity `name` (its chain and key), as
    /// [`ConnConfig::client_cert`](crate::ConnConfig::client_cert) and
    /// [`CertStore`](crate::CertStore) take it. For the `wrong-key` entity
    /// this fails, as loading such a pair from files does: the error says
    /// that the key does not match the certificate.
    pub fn client_cert(&self, name: &str) -> Result<ClientCert, Error> {
        self.entity(name)?.client_cert()
    }

    /// The DER subject `Name` of `name`, as a server names a CA in its
    /// CertificateRequest.
    pub fn subject_der(&self, name: &str) -> Result<Vec<u8>, Error> {
        Ok(self.entity(name)?.subject_der.clone())
    }

    /// Writes `NAME.crt` (the chain, leaf first) and `NAME.key` into `dir`
    /// (created if missing) for each of `names`: the directory layout the
    /// `negotiate` example reads (`--certs DIR`). Keys get mode 0600 on Unix. Returns the paths
    /// written, `(certificate, key)` per name.
    pub fn write_identities(
        &self,
        dir: &Path,
        names: &[&str],
    ) -> Result<Vec<(PathBuf, PathBuf)>, Error> {
        fs::create_dir_all(dir)
            .map_err(|e| Error::with(format!("cannot create {}", dir.display()), e))?;
        names
            .iter()
            .map(|name| {
                let entity = self.entity(name)?;
                let crt = dir.join(format!("{name}.crt"));
                let key = dir.join(format!("{name}.key"));
                write_file(&crt, &entity.chain_pem(), 0o644)?;
                write_file(&key, &entity.key_pem, 0o600)?;
                Ok((crt, key))
            })
            .collect()
    }

    /// Writes the certificates of the CAs `names`, in this order, into one
    /// PEM file at `path` (a CA file for [`ConnConfig::ca_file`](crate::ConnConfig::ca_file)).
    pub fn write_cas(&self, path: &Path, names: &[&str]) -> Result<(), Error> {
        let mut bundle = String::new();
        for name in names {
            bundle.push_str(&self.entity(name)?.cert_pem);
        }
        write_file(path, &bundle, 0o644)
    }

    fn take(&mut self, name: &str) -> Result<Entity, Error> {
        let at = self
            .made
            .iter()
            .position(|g| g.entity.name == name)
            .ok_or_else(|| Error::new(format!("no entity {name:?} in the test PKI")))?;
        Ok(self.made.remove(at).entity)
    }
}

/// The standard test PKI. See the module documentation for the layout.
#[derive(Debug, Clone)]
pub struct Pki {
    /// Key algorithm used by every entity.
    pub key_type: KeyType,
    /// Root CA A (trusted by slapd; issues the server cert, alice, the intermediate).
    pub ca_a: Entity,
    /// Root CA B (trusted by slapd; issues bob).
    pub ca_b: Entity,
    /// Intermediate under CA A (not in slapd's CA file; issues carol).
    pub ca_a_int: Entity,
    /// Root that slapd does not trust (issues mallory).
    pub ca_evil: Entity,
    /// The server certificate (CN=localhost, issued by CA A).
    pub server: Entity,
    /// Client issued by CA A.
    pub alice: Entity,
    /// Client issued by CA B.
    pub bob: Entity,
    /// Client issued by the CA A intermediate (its chain holds the intermediate).
    pub carol: Entity,
    /// Client issued by the untrusted CA.
    pub mallory: Entity,
}

/// Paths of the files written by [`Pki::write_to`].
#[derive(Debug, Clone)]
pub struct PkiFiles {
    /// The directory holding all the files.
    pub dir: PathBuf,
    /// `ca-a.crt`
    pub ca_a: PathBuf,
    /// `ca-b.crt`
    pub ca_b: PathBuf,
    /// `ca-a-int.crt`
    pub ca_a_int: PathBuf,
    /// `ca-evil.crt`
    pub ca_evil: PathBuf,
    /// `ca-bundle.crt`: CA A then CA B (slapd's `TLSCACertificateFile`; the
    /// order is the order of the CA names in slapd's CertificateRequest).
    pub ca_bundle: PathBuf,
    /// `server.crt`
    pub server_crt: PathBuf,
    /// `server.key` (mode 0600 on Unix)
    pub server_key: PathBuf,
    /// `alice.crt`
    pub alice_crt: PathBuf,
    /// `alice.key`
    pub alice_key: PathBuf,
    /// `bob.crt`
    pub bob_crt: PathBuf,
    /// `bob.key`
    pub bob_key: PathBuf,
    /// `carol.crt` (leaf only)
    pub carol_crt: PathBuf,
    /// `carol-chain.crt` (leaf then the CA A intermediate)
    pub carol_chain: PathBuf,
    /// `carol.key`
    pub carol_key: PathBuf,
    /// `mallory.crt`
    pub mallory_crt: PathBuf,
    /// `mallory.key`
    pub mallory_key: PathBuf,
}

impl PkiFiles {
    /// `(certificate file, key file)` of a client entity by name
    /// (`"alice"`, `"bob"`, `"carol"`, `"mallory"`). For carol the
    /// certificate file is the chain (leaf + intermediate).
    pub fn client(&self, name: &str) -> Option<(&Path, &Path)> {
        match name {
            "alice" => Some((&self.alice_crt, &self.alice_key)),
            "bob" => Some((&self.bob_crt, &self.bob_key)),
            "carol" => Some((&self.carol_chain, &self.carol_key)),
            "mallory" => Some((&self.mallory_crt, &self.mallory_key)),
            _ => None,
        }
    }
}

static EC_PKI: OnceLock<Result<Pki, Error>> = OnceLock::new();
static RSA_PKI: OnceLock<Result<Pki, Error>> = OnceLock::new();

impl Pki {
    /// The EC PKI of this process (generated on first use, then cached).
    ///
    /// # Panics
    ///
    /// When the PKI cannot be generated (see [`Pki::generate`]).
    pub fn ec() -> &'static Self {
        Self::get(KeyType::Ec)
    }

    /// The RSA PKI of this process (generated on first use, then cached).
    ///
    /// # Panics
    ///
    /// When the PKI cannot be generated, e.g. without the `openssl` command
    /// (see [`Pki::generate`]).
    pub fn rsa() -> &'static Self {
        Self::get(KeyType::Rsa)
    }

    /// The cached PKI for `key_type`.
    ///
    /// # Panics
    ///
    /// When the PKI cannot be generated (see [`Pki::generate`]).
    #[allow(
        clippy::panic,
        reason = "the process-wide test PKI: a test environment that cannot make one cannot run \
                  any TLS test, and every caller would unwrap; Pki::generate is the fallible way"
    )]
    pub fn get(key_type: KeyType) -> &'static Self {
        let cell = match key_type {
            KeyType::Ec => &EC_PKI,
            KeyType::Rsa => &RSA_PKI,
        };
        match cell.get_or_init(|| Self::generate(key_type)) {
            Ok(pki) => pki,
            Err(e) => panic!("cannot generate the {key_type:?} test PKI: {e}"),
        }
    }

    /// The builder of the standard layout, for a PKI that adds to it.
    pub fn builder(key_type: KeyType) -> PkiBuilder {
        use Rdn::{Cn, Dc, Ou, O};
        let people = |cn| [Dc("com"), Dc("example"), Ou("people"), Cn(cn)];
        PkiBuilder::new(key_type)
            .root(
                "ca-a",
                &[Dc("com"), Dc("example"), O("Example Test"), Cn("Test CA-A")],
            )
            .root(
                "ca-b",
                &[Dc("com"), Dc("example"), O("Example Test"), Cn("Test CA-B")],
            )
            .root("ca-evil", &[O("Evil Test"), Cn("Untrusted CA")])
            .intermediate(
                "ca-a-int",
                &[
                    Dc("com"),
                    Dc("example"),
                    O("Example Test"),
                    Cn("Test CA-A Intermediate"),
                ],
                "ca-a",
            )
            .server("server", &[Cn("localhost")], "ca-a")
            .client("alice", &people("alice"), "ca-a")
            .client("bob", &people("bob"), "ca-b")
            .client("carol", &people("carol"), "ca-a-int")
            .client("mallory", &people("mallory"), "ca-evil")
    }

    /// Generates a fresh standard PKI. Prefer the cached [`Pki::ec`] /
    /// [`Pki::rsa`].
    pub fn generate(key_type: KeyType) -> Result<Self, Error> {
        let mut all = Self::builder(key_type).build()?;
        Ok(Self {
            key_type,
            ca_a: all.take("ca-a")?,
            ca_b: all.take("ca-b")?,
            ca_a_int: all.take("ca-a-int")?,
            ca_evil: all.take("ca-evil")?,
            server: all.take("server")?,
            alice: all.take("alice")?,
            bob: all.take("bob")?,
            carol: all.take("carol")?,
            mallory: all.take("mallory")?,
        })
    }

    /// DER subject `Name` of CA A (the first CA name slapd sends).
    pub fn ca_a_subject_der(&self) -> &[u8] {
        &self.ca_a.subject_der
    }

    /// DER subject `Name` of CA B (the second CA name slapd sends).
    pub fn ca_b_subject_der(&self) -> &[u8] {
        &self.ca_b.subject_der
    }

    /// An entity by field name (`"ca_a"`, `"ca_b"`, `"ca_a_int"`,
    /// `"ca_evil"`, `"server"`, `"alice"`, `"bob"`, `"carol"`, `"mallory"`).
    pub fn entity(&self, name: &str) -> Result<&Entity, Error> {
        Ok(match name {
            "ca_a" => &self.ca_a,
            "ca_b" => &self.ca_b,
            "ca_a_int" => &self.ca_a_int,
            "ca_evil" => &self.ca_evil,
            "server" => &self.server,
            "alice" => &self.alice,
            "bob" => &self.bob,
            "carol" => &self.carol,
            "mallory" => &self.mallory,
            _ => return Err(Error::new(format!("no entity {name:?} in the test PKI"))),
        })
    }

    /// Writes every certificate and key as PEM into `dir` (created if
    /// missing). Key files get mode 0600 on Unix.
    pub fn write_to(&self, dir: &Path) -> Result<PkiFiles, Error> {
        fs::create_dir_all(dir)
            .map_err(|e| Error::with(format!("cannot create PKI dir {}", dir.display()), e))?;
        let path = |name: &str| dir.join(name);
        let files = PkiFiles {
            dir: dir.to_path_buf(),
            ca_a: path("ca-a.crt"),
            ca_b: path("ca-b.crt"),
            ca_a_int: path("ca-a-int.crt"),
            ca_evil: path("ca-evil.crt"),
            ca_bundle: path("ca-bundle.crt"),
            server_crt: path("server.crt"),
            server_key: path("server.key"),
            alice_crt: path("alice.crt"),
            alice_key: path("alice.key"),
            bob_crt: path("bob.crt"),
            bob_key: path("bob.key"),
            carol_crt: path("carol.crt"),
            carol_chain: path("carol-chain.crt"),
            carol_key: path("carol.key"),
            mallory_crt: path("mallory.crt"),
            mallory_key: path("mallory.key"),
        };

        write_file(&files.ca_a, &self.ca_a.cert_pem, 0o644)?;
        write_file(&files.ca_b, &self.ca_b.cert_pem, 0o644)?;
        write_file(&files.ca_a_int, &self.ca_a_int.cert_pem, 0o644)?;
        write_file(&files.ca_evil, &self.ca_evil.cert_pem, 0o644)?;
        let bundle = format!("{}{}", self.ca_a.cert_pem, self.ca_b.cert_pem);
        write_file(&files.ca_bundle, &bundle, 0o644)?;
        for (entity, crt, key) in [
            (&self.server, &files.server_crt, &files.server_key),
            (&self.alice, &files.alice_crt, &files.alice_key),
            (&self.bob, &files.bob_crt, &files.bob_key),
            (&self.carol, &files.carol_crt, &files.carol_key),
            (&self.mallory, &files.mallory_crt, &files.mallory_key),
        ] {
            write_file(crt, &entity.cert_pem, 0o644)?;
            write_file(key, &entity.key_pem, 0o600)?;
        }
        let chain = format!("{}{}", self.carol.cert_pem, self.ca_a_int.cert_pem);
        write_file(&files.carol_chain, &chain, 0o644)?;
        Ok(files)
    }
}

/// Writes `contents` to `path`, created with `mode` on Unix (so a key is
/// never readable by others, even briefly); elsewhere with the defaults.
fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), Error> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|e| Error::with(format!("cannot create {}", path.display()), e))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| Error::with(format!("cannot write {}", path.display()), e))
}

/// The CN of `zoe` in the standard layout: UTF-8, and `+`, `,`, `<`, `>`
/// that the RFC 4514 string form escapes.
pub const ZOE_CN: &str = "Zo\u{eb} Smith+Jones, Jr. <zsj>";

/// The subject of an RFC 4514 string, most general RDN first, as rcgen
/// takes it.
fn subject_from_text(text: &str) -> Result<DistinguishedName, Error> {
    let parsed = Dn::parse(text).map_err(|e| Error::with(format!("subject {text:?}"), e))?;
    let mut rdns = Vec::with_capacity(parsed.rdns.len());
    for rdn in parsed.rdns.iter().rev() {
        let [ava] = rdn.avas.as_slice() else {
            return Err(Error::new(format!(
                "subject {text:?}: multi-valued RDNs are not supported"
            )));
        };
        let DnValue::String(value) = &ava.value else {
            return Err(Error::new(format!(
                "subject {text:?}: #hex values are not supported"
            )));
        };
        let value = value.as_str();
        rdns.push(match ava.attr_type.to_ascii_lowercase().as_str() {
            "dc" | "domaincomponent" => Rdn::Dc(value),
            "o" => Rdn::O(value),
            "ou" => Rdn::Ou(value),
            "cn" | "commonname" => Rdn::Cn(value),
            "uid" | "userid" => Rdn::Uid(value),
            "c" => Rdn::C(value),
            "l" => Rdn::L(value),
            other => {
                return Err(Error::new(format!(
                "subject {text:?}: attribute type {other:?} is not one of DC, O, OU, CN, UID, C, L"
            )))
            }
        });
    }
    dn(&rdns)
}
