//! An async, pure-Rust LDAPv3 client for tokio, whose TLS layer lets the
//! application answer the server's request for a client certificate.
//!
//! When an LDAP server asks for a client certificate during the TLS
//! handshake, it sends the list of certificate authorities it trusts.
//! tokio-ldap hands that list to your [`QueryClientCert`] — the
//! counterpart of the `QUERYCLIENTCERT` callback of Windows' LDAP library —
//! which returns a certificate or declines. A SASL EXTERNAL bind
//! ([`LdapConn::bind_external`]) then makes the server map that
//! certificate to a directory identity. All of it on rustls: no OpenSSL,
//! no C library, the same on Linux, macOS and Windows.
//!
//! # The certificate flow
//!
//! ```text
//!  LdapConn::connect("ldaps://...")            server (OpenLDAP, AD, 389-DS)
//!    │  ClientHello ───────────────────────────────▶
//!    │  ◀──────── ServerHello, Certificate, CertificateRequest
//!    │                                  (certificate_authorities: CA-A, CA-B)
//!    ├─▶ your QueryClientCert::query_client_cert(&CertRequest)
//!    │      request.trusted_cas() == [CN=CA-A,..., CN=CA-B,...]
//!    │      returns Some(alice)  (or None: stay anonymous)
//!    │  Certificate(alice + chain), CertificateVerify, Finished ──▶
//!    ▼
//!  conn.bind_external(None)   ── SASL EXTERNAL ──▶ server maps the subject
//!  conn.whoami_identity()     ◀── "dn:uid=alice,ou=people,dc=example,dc=com"
//!                                  (389-DS: "dn: uid=alice,..."; both parse
//!                                   to the same AuthzId::Dn)
//! ```
//!
//! # Getting started
//!
//! ```no_run
//! use tokio_ldap::{CertStore, ClientCert, ConnConfig, LdapConn, Scope, Search};
//!
//! # async fn run() -> Result<(), tokio_ldap::Error> {
//! // Several identities; the store picks the one issued by a CA the
//! // server names in its certificate request.
//! let store = CertStore::new()
//!     .with(ClientCert::from_pem_files("alice.crt", "alice.key")?)
//!     .with(ClientCert::from_pem_files("bob.crt", "bob.key")?);
//!
//! let config = ConnConfig::new().ca_file("ca.pem").client_cert_query(store);
//! let conn = LdapConn::connect("ldaps://ldap.example.com", config).await?;
//!
//! // What did the server ask for, and what did we send?
//! let info = conn.tls_info().expect("TLS is on");
//! for ca in info.trusted_cas().unwrap_or_default() {
//!     println!("server trusts {ca}");
//! }
//!
//! conn.bind_external(None).await?;
//! // Compare identities typed: servers spell WhoAmI's answer differently.
//! let me = conn.whoami_identity().await?;
//! println!("bound as {me}, DN {:?}", me.dn().map(ToString::to_string));
//!
//! let people = conn
//!     .search_all(
//!         Search::new("ou=people,dc=example,dc=com")
//!             .scope(Scope::OneLevel)
//!             .filter("(objectClass=inetOrgPerson)")
//!             .attributes(["cn", "mail"]),
//!     )
//!     .await?;
//! for entry in &people.entries {
//!     // Attributes are read in place from the received message.
//!     println!("{}: {:?}", entry.dn, entry.first_str("mail"));
//!     for attr in &entry.attributes {
//!         println!("  {} has {} values", attr.name(), attr.values().count());
//!     }
//! }
//! conn.unbind().await
//! # }
//! ```
//!
//! Write your own chooser as a closure when the rule is yours:
//!
//! ```no_run
//! use tokio_ldap::{CertRequest, ClientCert, ConnConfig};
//!
//! # fn f() -> Result<(), tokio_ldap::Error> {
//! let alice = ClientCert::from_pem_files("alice.crt", "alice.key")?;
//! let config = ConnConfig::new().client_cert_query(move |req: &CertRequest<'_>| {
//!     // Offer alice only to servers that trust her issuer.
//!     req.trusted_cas().iter().any(|ca| alice.issued_by(ca)).then(|| alice.clone())
//! });
//! # let _ = config; Ok(()) }
//! ```
//!
//! # Where the key lives
//!
//! A client certificate's private key need not be in memory. In Windows'
//! LDAP library the certificate usually comes with a key that never leaves
//! a smart card, a TPM or the system's key store; here any implementation
//! of rustls' [`SigningKey`](rustls::sign::SigningKey) (re-exported as
//! [`rustls`]) can hold it: a PKCS#11 token, a TPM, a cloud KMS.
//! [`ClientCert::from_signing_key`] takes the chain and such a key; the key
//! is asked to sign once per handshake in which the certificate is sent.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use tokio_ldap::rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
//! use tokio_ldap::rustls::sign::{Signer, SigningKey};
//! use tokio_ldap::rustls::{Error as TlsError, SignatureAlgorithm, SignatureScheme};
//! use tokio_ldap::{ClientCert, ConnConfig, LdapConn};
//!
//! /// The application's handle on its token (a PKCS#11 session, a KMS
//! /// client, ...): it signs with a P-256 key it never reveals.
//! # #[derive(Debug)] struct Token;
//! # impl Token {
//! #     fn ecdsa_p256_sha256(&self, _data: &[u8]) -> Result<Vec<u8>, String> { Ok(Vec::new()) }
//! #     fn public_key_info(&self) -> Vec<u8> { Vec::new() }
//! # }
//!
//! #[derive(Debug)]
//! struct TokenKey {
//!     token: Arc<Token>,
//!     /// The key's DER SubjectPublicKeyInfo, read from the token once: it
//!     /// lets `from_signing_key` check the key against the certificate.
//!     spki: Vec<u8>,
//! }
//!
//! impl SigningKey for TokenKey {
//!     fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
//!         // This token signs ECDSA P-256 with SHA-256 only.
//!         offered
//!             .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
//!             .then(|| Box::new(TokenSigner(Arc::clone(&self.token))) as Box<dyn Signer>)
//!     }
//!
//!     fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
//!         Some(SubjectPublicKeyInfoDer::from(self.spki.as_slice()))
//!     }
//!
//!     fn algorithm(&self) -> SignatureAlgorithm {
//!         SignatureAlgorithm::ECDSA
//!     }
//! }
//!
//! #[derive(Debug)]
//! struct TokenSigner(Arc<Token>);
//!
//! impl Signer for TokenSigner {
//!     fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TlsError> {
//!         // The token hashes and signs; a removed token fails the
//!         // handshake with "the client key of CN=... failed to sign the
//!         // handshake: the token is gone".
//!         self.0.ecdsa_p256_sha256(message).map_err(TlsError::General)
//!     }
//!
//!     fn scheme(&self) -> SignatureScheme {
//!         SignatureScheme::ECDSA_NISTP256_SHA256
//!     }
//! }
//!
//! # async fn run(chain: Vec<CertificateDer<'static>>) -> Result<(), tokio_ldap::Error> {
//! let token = Arc::new(Token);
//! let spki = token.public_key_info();
//! // The chain (end-entity first) is public; it may come from the token too.
//! let cert = ClientCert::from_signing_key(chain, Arc::new(TokenKey { token, spki }))?;
//! let config = ConnConfig::new().ca_file("ca.pem").client_cert(cert);
//! let conn = LdapConn::connect("ldaps://ldap.example.com", config).await?;
//! conn.bind_external(None).await?;
//! # Ok(()) }
//! ```
//!
//! The signature is made inside the handshake, synchronously. On tokio's
//! multi-threaded runtime a slow token does not hold up other tasks (the
//! call runs under `tokio::task::block_in_place`); on a current-thread
//! runtime it stalls that runtime while it signs. Keys may also be made
//! per connection: a [`ClientCertSource`](tls::ClientCertSource)
//! ([`ConnConfig::client_cert_source`]) fetches candidates asynchronously
//! before each connect, from a vault or a sidecar. The crypto provider is
//! ring by default, or AWS-LC with the `aws-lc-rs` feature, or any given to
//! [`ConnConfig::crypto_provider`].
//!
//! # The rest of LDAP
//!
//! [`LdapConn`] is a cheap, cloneable handle; all operations take `&self`
//! and run concurrently over the one connection: [`search`](LdapConn::search)
//! (a stream, with backpressure), [`search_all`](LdapConn::search_all),
//! [`search_paged`](LdapConn::search_paged), [`add`](LdapConn::add),
//! [`modify`](LdapConn::modify), [`delete`](LdapConn::delete),
//! [`modify_dn`](LdapConn::modify_dn), [`compare`](LdapConn::compare),
//! [`extended`](LdapConn::extended),
//! [`password_modify`](LdapConn::password_modify), StartTLS
//! ([`ConnConfig::starttls`], [`LdapConn::start_tls`]) and `ldapi://`.
//! Controls and timeouts go with each request ([`LdapConn::with`] and
//! [`OpOptions`]); the controls a server returns come with the result, and
//! for the entries of a search, with each item
//! ([`SearchStream::controls`]). Dropping an operation or a search stream
//! abandons it on the server.
//!
//! # Testing your code
//!
//! Your own certificate logic deserves tests: which identity is chosen
//! when the server names CA-A, what happens when it names none, when the
//! certificate has expired, when the server rejects it. The
//! `testkit` module (Cargo feature `testkit`; put it in your
//! dev-dependencies) has what they need, in-process, on any OS: a test
//! PKI made in memory, with the awkward certificates on purpose
//! (`testkit::TestPki`), and an LDAP server on loopback whose
//! CertificateRequest names the CAs the test chooses
//! (`testkit::TestServer`), with a directory, SASL EXTERNAL, WhoAmI,
//! searches and writes, injected faults and a record of what each client
//! sent.
//!
//! ```toml
//! [dev-dependencies]
//! tokio-ldap = { version = "0.1", features = ["testkit"] }
//! tokio = { version = "1", features = ["macros", "rt"] }
//! ```
//!
//! ```
//! # // Here `#[tokio::test]` runs the test once, as `#[tokio::main]`
//! # // would; in your tests it is the usual attribute.
//! # mod tokio { pub use ::tokio::*; pub use ::tokio::main as test; }
//! use tokio_ldap::testkit::{ClientAuth, ExternalMapping, TestPki, TestServer};
//! use tokio_ldap::{CertStore, ConnConfig, LdapConn};
//!
//! #[tokio::test]
//! async fn the_identity_issued_by_the_named_ca_is_chosen() -> Result<(), Box<dyn std::error::Error>> {
//!     // CA-A and CA-B, each with a client: alice (CA-A), bob (CA-B).
//!     let pki = TestPki::new()?;
//!     // A server that trusts only CA-A, names it, and demands a certificate.
//!     let server = TestServer::builder(&pki)
//!         .trust(&["ca-a"])
//!         .client_auth(ClientAuth::Required)
//!         .external_mapping(ExternalMapping::Template(
//!             "uid={CN},ou=people,dc=example,dc=com".into(),
//!         ))
//!         .start()
//!         .await?;
//!
//!     // The code under test: a store with two identities.
//!     let store = CertStore::new()
//!         .with_named("bob", pki.client_cert("bob")?)
//!         .with_named("alice", pki.client_cert("alice")?);
//!     let config = ConnConfig::new()
//!         .root_certificate(pki.entity("ca-a")?.cert())
//!         .client_cert_query(store);
//!     let conn = LdapConn::connect(&server.ldaps_url(), config).await?;
//!
//!     // The server named CA-A; alice was chosen and mapped.
//!     let info = conn.tls_info().expect("TLS is on");
//!     let named: Vec<String> = info.trusted_cas().unwrap_or_default().iter().map(|ca| ca.to_string()).collect();
//!     assert_eq!(named, ["CN=Test CA-A,O=Example Test,DC=example,DC=com"]);
//!     assert_eq!(info.client_cert_sent().map(|c| c.subject()), Some("CN=alice,OU=people,DC=example,DC=com"));
//!     conn.bind_external(None).await?;
//!     assert_eq!(conn.whoami().await?.as_deref(), Some("dn:uid=alice,ou=people,dc=example,dc=com"));
//!
//!     // And the server saw the same.
//!     let seen = &server.connections()[0];
//!     assert_eq!(seen.client_subject().as_deref(), Some("CN=alice,OU=people,DC=example,DC=com"));
//!     assert_eq!(seen.identity.as_deref(), Some("dn:uid=alice,ou=people,dc=example,dc=com"));
//!     Ok(())
//! }
//! # fn main() { the_identity_issued_by_the_named_ca_is_chosen().unwrap() }
//! ```
//!
//! The rest of the toolkit: `testkit::ClientAuth` (none, optional,
//! required), `testkit::CaNames` (the trusted CAs, any DER names, none),
//! `testkit::Rejection` (a TLS alert, or closing after the handshake as
//! slapd and Active Directory do under TLS 1.3), `testkit::TlsVersions`,
//! a `testkit::Directory` from LDIF or code, and faults
//! (`TestServer::fail`,
//! `drop_after`,
//! `delay_responses`,
//! `respond_with_bytes`).
//!
//! # Layers
//!
//! Data flows down this table on a request and up on a response. Each
//! layer imports only the layers above it in the table (`tests/architecture.rs`
//! holds that, and that no two files import each other); each module's own
//! docs list its files in the same bottom-up order.
//!
//! | module | job | IO? |
//! |---|---|---|
//! | [`ber`] | bounded, zero-copy BER reader and writer; the one owner of BER length rules | no |
//! | [`proto`] | the RFC 4511 message model: `codec` (the frame, field readers) at the bottom, then results, one file per PDU family (`op/`), controls, the message envelope, typed extended operations; filters (RFC 4515), DNs (RFC 4514), URLs (RFC 4516) | no |
//! | `error` | [`Error`], split by cause | no |
//! | `conn` | the sans-IO connection state machine: message IDs, the pending table, routing, ordering, deadlines (time is passed in) | no |
//! | [`tls`] | [`QueryClientCert`] and the rustls plumbing behind it, as a chain of files from names and PEM up to the handshake diagnostics | config only |
//! | `transport` | TCP, TLS, `ldapi://` sockets | yes |
//! | `driver` | the task that owns the socket: the poll loop, the router (where responses go; unit-tested without a socket), IO, the StartTLS upgrade | yes |
//! | `client` | [`LdapConn`] and what it is configured and called with: config, the handle, per-call options, search streams, paging | through the driver |
//! | `testkit` | (feature `testkit`) a test PKI and an in-process LDAP server, for your tests | yes |
//!
//! Nothing a server sends can panic the client: every length is checked
//! against a limit before anything is allocated, nesting depth is bounded,
//! and every malformed message becomes a typed [`Error`].
//!
//! Nor can it make the client hold much more than it sent:
//!
//! - decoding a message may allocate at most twice its length plus 8 KiB
//!   (a message of millions of empty URIs or controls fails with
//!   [`ber::DecodeErrorKind::OverBudget`] naming the list);
//! - a search whose consumer stalls holds at most 1 MiB of results in its
//!   channel (or one larger message), then the client stops reading;
//! - an error that carries a server's words (a Notice of Disconnection,
//!   the CA list of a rejected certificate) is an [`ErrorText`]: one shared
//!   copy for every operation it ends, cut at 4 KiB, with line breaks,
//!   control characters and bidirectional controls escaped as RFC 4514
//!   `\XX`, as they are in every DN shown ([`TrustedCa`] too);
//! - a paged search's timeout bounds the whole search, and a cookie that
//!   repeats without entries ends it ([`PagedSearch`]).
//!
//! # Stability
//!
//! The crate follows semantic versioning (before 1.0, a breaking change
//! raises the minor version: 0.1 to 0.2). Covered by that promise:
//!
//! * everything at the crate root: [`LdapConn`], [`ConnConfig`], the
//!   search and option types, [`Error`] and its parts, and the [`tls`]
//!   module ([`QueryClientCert`] and the types around it);
//! * [`proto`], the LDAP model: entries, results, controls
//!   ([`proto::controls`]), extended operations ([`proto::extended`]),
//!   filters, DNs and URLs, and the whole message ([`proto::LdapMessage`])
//!   for those who speak the protocol themselves (a test server, a proxy);
//! * [`ber`], the reader and writer, to encode and decode the values of
//!   controls and extended operations this crate has no type for.
//!
//! Not covered, and hidden from these docs: `testkit` (the test PKI and
//! scripted servers, behind the `testkit` feature, public in name only
//! until it is made a supported module) and `fuzzing` (entry points for
//! the fuzz targets, built only under `cfg(fuzzing)`). The connection
//! state machine, the driver, the transports and the codec's frame and
//! field readers are private. [`rustls`] is re-exported so its types in
//! [`ConnConfig`] and [`TlsInfo`] need no separate dependency; like
//! [`bytes::Bytes`] and [`proto::ByteString`] (from `bytestring`) in the
//! model's fields, a new major version of it is a breaking change here.
//!
//! The rules the public types follow:
//!
//! * **`#[non_exhaustive]` where a type may grow.** Enums whose ASN.1 has
//!   an extension marker or that list what this crate supports
//!   ([`proto::ProtocolOp`], [`proto::filter::Filter`],
//!   [`proto::BindAuth`], [`Scope`], [`ModifyOp`], [`proto::url::Scheme`],
//!   and every error kind) need a `_` arm in a `match`. Structs with public
//!   fields that may gain fields (requests, responses, [`Attribute`],
//!   [`Modification`], [`controls::Control`], the typed controls,
//!   [`ber::Limits`], ...) are made with their constructor, and their
//!   fields are then read and set directly. Closed types stay exhaustive:
//!   [`ber::Class`] (two bits), [`ber::Tag`] (class, form and number are
//!   all a tag is), [`proto::DerefAliases`] (no extension marker),
//!   [`proto::dn::Dn`], [`proto::dn::Rdn`] and [`proto::dn::DnValue`]
//!   (RFC 4514's grammar).
//! * **Accessors where a value must have been checked.** A
//!   [`proto::MessageId`] is never negative, a [`ber::Tlv`]'s offsets are
//!   positions in its reader's input, an [`proto::url::LdapUrl`]'s parts
//!   depend on each other: their fields are private.
//! * **One path per item.** An item of a public module of `proto` is named
//!   through that module only (`proto::controls::Control`,
//!   `proto::filter::Filter`, `proto::dn::Dn`, `proto::url::LdapUrl`);
//!   `proto` itself holds the operations, results and the message. The
//!   crate root re-exports the names most programs need — [`ResultCode`],
//!   [`Scope`], [`Attribute`], [`Modification`], [`ModifyOp`] and the
//!   [`controls`] module — and those are the names these docs use: the
//!   same items, not copies.
//! * **MSRV**: Rust 1.88 (`rust-version` in `Cargo.toml`), raised only in
//!   a minor release and said so in its notes.
//!
//! ```
//! use tokio_ldap::proto::{LdapMessage, MessageId, ProtocolOp};
//! use tokio_ldap::{Attribute, Modification, ModifyOp};
//!
//! // Build with constructors, then set fields as needed.
//! let change = Modification::new(ModifyOp::Replace, Attribute::new("mail", ["a@example.com"]));
//! assert_eq!(change.attribute.name, "mail");
//!
//! // Match with a catch-all arm: later versions may add operations.
//! let id = MessageId::new(1).expect("not negative");
//! let message = LdapMessage::new(id, ProtocolOp::DelRequest("cn=old".into()));
//! let what = match &message.op {
//!     ProtocolOp::DelRequest(dn) => format!("delete {dn}"),
//!     other => other.name().to_string(),
//! };
//! assert_eq!(what, "delete cn=old");
//! ```
// deny, not forbid: one module, `driver::lowat`, is allowed one `unsafe`
// call (the socket option SO_RCVLOWAT, which no safe crate exposes).
#![deny(unsafe_code)]
#![deny(missing_docs)]
// The library proves its invariants or returns an error; only tests (which
// allow these where they use them) may unwrap or panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable,
        clippy::indexing_slicing
    )
)]

pub mod ber;
mod client;
mod conn;
mod driver;
mod error;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
pub mod proto;
mod sync;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod tls;
mod transport;

pub use client::{
    ConnConfig, LdapConn, OpOptions, PagedSearch, Search, SearchDone, SearchItem, SearchResults,
    SearchStream, WithOptions,
};
pub use error::{Error, ErrorText, LdapError, Phase, ProtocolError};
pub use proto::authz::AuthzId;
pub use proto::controls;
pub use proto::{Attribute, Modification, ModifyOp, ResultCode, Scope};
pub use rustls;
pub use tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TlsInfo, TrustedCa};
