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
pub use error::{Error, ErrorText, LdapError, ProtocolError};
pub use proto::controls;
pub use proto::{Attribute, Modification, ModifyOp, ResultCode, Scope};
pub use rustls;
pub use tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TlsInfo, TrustedCa};
