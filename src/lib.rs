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
//!  conn.whoami()              ◀── "dn:uid=alice,ou=people,dc=example,dc=com"
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
//! println!("bound as {:?}", conn.whoami().await?);
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
//! # Layers
//!
//! | module | job |
//! |---|---|
//! | [`ber`] | bounded, zero-copy BER reader and writer |
//! | [`proto`] | the RFC 4511 message model, filters (RFC 4515), DNs (RFC 4514), URLs (RFC 4516) |
//! | `conn` | the sans-IO connection state machine (message IDs, routing, ordering, deadlines) |
//! | [`tls`] | [`QueryClientCert`] and the rustls plumbing behind it |
//! | driver | the task that owns the socket |
//!
//! Nothing a server sends can panic the client: every length is checked
//! against a limit before anything is allocated, nesting depth is bounded,
//! and every malformed message becomes a typed [`Error`].
#![forbid(unsafe_code)]
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
#[doc(hidden)]
pub mod testkit;
pub mod tls;
mod transport;

pub use client::{
    ConnConfig, LdapConn, OpOptions, PagedSearch, Search, SearchDone, SearchItem, SearchResults,
    SearchStream, WithOptions,
};
pub use error::{Error, LdapError, ProtocolError};
pub use proto::controls;
pub use proto::{Attribute, Modification, ModifyOp, ResultCode, Scope};
pub use rustls;
pub use tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TlsInfo, TrustedCa};
