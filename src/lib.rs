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
//! # Running in a service
//!
//! A service that runs for months against a cluster of directory servers
//! needs more than one connection: it needs them re-made when a server
//! restarts, spread over the replicas, checked before use, and bound as
//! the service every time. [`LdapPool`] does that, on the `deadpool`
//! crate (whose types stay out of this API):
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use tokio_ldap::{Bind, CertStore, ConnConfig, LdapPool, ServerStrategy};
//!
//! # async fn run() -> Result<(), tokio_ldap::Error> {
//! // svc.crt and svc.key, renewed in place by an agent.
//! let store = CertStore::from_dir("/etc/myservice/certs")?;
//! let config = ConnConfig::new()
//!     .ca_file("/etc/myservice/ca.pem")
//!     .client_cert_query(store)
//!     .connect_timeout(Some(Duration::from_secs(3)))
//!     .operation_timeout(Some(Duration::from_secs(10)));
//! let pool = LdapPool::builder("ldaps://ldap1.example.com ldaps://ldap2.example.com", config)
//!     .bind(Bind::External { authzid: None })
//!     .strategy(ServerStrategy::Failover)
//!     .max_size(16)
//!     .max_lifetime(Some(Duration::from_secs(3600)))
//!     .build()?;
//!
//! // In each request handler: borrow, use, drop to give back.
//! let conn = pool.get().await?;
//! println!("{:?}", conn.whoami().await?);
//! drop(conn);
//!
//! // For a health endpoint or a metrics exporter.
//! let status = pool.status();
//! for server in &status.servers {
//!     println!("{} {:?} ({} open): {:?}", server.url, server.state, server.connections, server.last_error);
//! }
//! # Ok(()) }
//! ```
//!
//! - **Failover.** The servers are a set: [`ServerStrategy::Failover`]
//!   (the first that works; the default), [`ServerStrategy::RoundRobin`]
//!   or [`ServerStrategy::FewestConnections`] choose where each new
//!   connection goes. A server that fails to connect or bind, or drops a
//!   connection, rests for a while (250 ms, doubling up to 30 s: see
//!   [`PoolBuilder::backoff`]), then one connection tries it again; each
//!   failure is a `tracing` warning naming the server and the reason.
//!   [`LdapPool::get`] fails only when every server failed, with
//!   [`Error::AllServersFailed`] listing each one and why.
//! - **DNS SRV.** `ldap:///dc=example,dc=com` (or `ldaps:///...`) in the
//!   list stands for the servers DNS publishes under
//!   `_ldap._tcp.example.com` (`_ldaps._tcp...`), RFC 2782: tried by
//!   priority, then weighted at random within a priority, looked up again
//!   once the records' TTL has passed (feature `srv`, on by default;
//!   [`PoolBuilder::dns_server`] names the DNS server to ask).
//! - **Identity.** Every new connection is bound as [`Bind`] says before
//!   it is lent. A caller that binds a pooled connection (as anyone) gets
//!   it discarded when it is given back, so the next caller never gets
//!   another identity.
//! - **Health.** A closed connection ([`LdapConn::is_closed`]: EOF,
//!   reset, a Notice of Disconnection, a fatal protocol error) is never
//!   lent; one idle for a while is asked "Who am I?" first
//!   ([`PoolBuilder::health_check`]); connections past their max lifetime
//!   or idle timeout are closed.
//! - **Certificates chosen afresh.** Each new connection runs the
//!   config's [`QueryClientCert`] (or
//!   [`ClientCertSource`](tls::ClientCertSource)), so a rotated client
//!   certificate is used by the connections made after the rotation,
//!   without a restart, while the older connections go on until they are
//!   recycled (set a max lifetime to bound how long that is).
//!   [`CertStore::from_dir`] reads a directory of `NAME.crt`/`NAME.key`
//!   pairs and reads a pair again when its files change (checked at each
//!   connect, no timer thread); a CA file given to
//!   [`ConnConfig::ca_file`] is read again the same way. A file that does
//!   not load keeps what was loaded before, and says which file and why.
//! - **Waiting.** When all `max_size` connections are lent, callers wait in
//!   the order they came, for at most [`PoolBuilder::wait_timeout`], then
//!   get [`Error::PoolTimeout`]. Checkouts and connects are `tracing`
//!   spans (`ldap_pool_checkout`, `ldap_pool_connect`).
//!
//! - **Sharing.** One [`LdapConn`] already runs many operations at once.
//!   Callers that all act as the pool's identity can take
//!   [`LdapPool::get_shared`] instead of [`LdapPool::get`]: the pool
//!   spreads them over its connections first, then seats up to
//!   [`PoolBuilder::max_sharers`] callers on each ([`SharedConn`]; binding
//!   it is refused). With [`SharePolicy::Fill`]
//!   ([`PoolBuilder::share_policy`]) it seats callers on the connections
//!   already lent before it opens another: fewer, fuller connections.
//!   Against slapd, 64 callers did about 1.6 times (spread first) and 1.8
//!   times (fill first) the operations per second of one caller per
//!   connection, for less CPU on both sides (`BENCHMARKS.md`, "Pool").
//!
//! A pool adds failover and health, and spreads load over servers and
//! sockets.
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
//! [`OpOptions`]); the controls a server returns come with the result:
//! every operation run [`detailed`](WithOptions::detailed) returns a
//! [`Response`] (its value, the [`LdapResult`](proto::LdapResult) and the
//! response controls), every refused operation's [`LdapError`] carries
//! them too, and a search has them on its final result
//! ([`SearchStream::done`], [`SearchResults`]) and on each item
//! ([`SearchStream::controls`]). Dropping an operation or a search stream
//! abandons it on the server; another task can end it through an
//! [`OpHandle`] ([`OpOptions::handle`], [`SearchStream::handle`]) with
//! [`LdapConn::abandon`] or, where the server supports RFC 3909,
//! [`LdapConn::cancel`]. Extended operations that send
//! IntermediateResponses stream them ([`LdapConn::extended_stream`]), and
//! the server's unsolicited notifications come through
//! [`LdapConn::notifications`].
//!
//! ```no_run
//! # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), Box<dyn std::error::Error>> {
//! use tokio_ldap::controls::{PreRead, ReadEntry};
//! use tokio_ldap::{Error, OpOptions};
//!
//! let gone = conn
//!     .with(OpOptions::new().control(PreRead::new(["cn", "mail"])))
//!     .detailed()
//!     .delete("uid=bob,ou=people,dc=example,dc=com")
//!     .await?;
//! if let Some(before) = gone.control::<ReadEntry>() {
//!     println!("deleted {:?}", before?.entry.first_str("mail"));
//! }
//! match conn.bind_simple("uid=carol,ou=people,dc=example,dc=com", "pw").await {
//!     Err(Error::Ldap(e)) => println!("{e}, with {} controls", e.controls().len()),
//!     other => other?,
//! }
//! # Ok(()) }
//! ```
//!
//! ## Change feeds
//!
//! [`LdapConn::sync`] runs a content synchronization search (RFC 4533,
//! `refreshOnly` or `refreshAndPersist`) as a [`SyncStream`] of typed
//! [`SyncEvent`]s (entries added, modified, deleted or present with their
//! entryUUID, refresh done, new cookies, sets of UUIDs), resumable from
//! the cookie it keeps; [`LdapConn::persistent_search`] streams the
//! entries a persistent search returns, with their change notification.
//! Both run without the connection's default operation timeout, are
//! abandoned when dropped, and end with an error, never silently, when
//! the connection drops.
//!
//! ## Where each control and extended operation is
//!
//! | control or operation | send it with | what comes back, where |
//! |---|---|---|
//! | paged results (RFC 2696) | [`search_pages`](LdapConn::search_pages), [`search_paged`](LdapConn::search_paged) | handled for you; the last page's on [`PagedSearch::done`] |
//! | server-side sort (RFC 2891) | [`controls::SortRequest`] in [`OpOptions`] | [`controls::SortResponse`]: [`SearchResults::control`], [`SearchDone::control`], [`Response::control`] |
//! | pre-read, post-read (RFC 4527) | [`controls::PreRead`], [`controls::PostRead`] | [`controls::ReadEntry`]: [`Response::control`] of add, modify, delete, modify DN |
//! | assertion (RFC 4528) | [`controls::Assertion`] | nothing; a false assertion is an [`LdapError`] `assertionFailed` |
//! | proxied authorization (RFC 4370), ManageDsaIT (RFC 3296) | [`controls::ProxiedAuthz`], [`controls::ManageDsaIt`] | nothing of their own |
//! | password policy (draft-behera) | [`controls::PasswordPolicyRequest`] on a bind (or an add, modify, password modify) | [`controls::PasswordPolicyResponse`] (warning, error): [`Response::control`] of a [`detailed`](WithOptions::detailed) bind, [`LdapError::control`] of a refused one |
//! | content synchronization (RFC 4533) | [`LdapConn::sync`] (adds [`controls::SyncRequest`]) | [`SyncEvent`]s of the [`SyncStream`], cookie in [`SyncStream::cookie`]; on a plain search: [`controls::SyncState`] per entry in [`SearchStream::controls`], [`controls::SyncInfo::from_intermediate`] of a [`SearchItem::Intermediate`], [`controls::SyncDone`] by [`SearchDone::control`] |
//! | persistent search (draft-ietf-ldapext-psearch) | [`LdapConn::persistent_search`] with [`controls::PersistentSearch`] | [`controls::EntryChangeNotification`] in each [`ChangedEntry`] of the [`PersistentSearchStream`] |
//! | virtual list view (draft-ietf-ldapext-ldapv3-vlv) | [`controls::VlvRequest`] with a [`controls::SortRequest`] | [`controls::VlvResponse`]: [`SearchResults::control`], [`SearchDone::control`], [`LdapError::control`] of a refused window |
//! | authorization identity (RFC 3829) | [`controls::AuthzIdRequest`] on a bind | [`controls::AuthzIdResponse`]: [`Response::control`] of a detailed bind (slapd 2.5 does not send it) |
//! | tree delete, relax rules, don't-use-copy (RFC 6171), subentries (RFC 3672) | [`controls::TreeDelete`] on a delete, [`controls::RelaxRules`] on an update, [`controls::DontUseCopy`] on a search or compare, [`controls::Subentries`] on a search | nothing of their own (slapd 2.5 refuses tree delete) |
//! | other controls sent with search items | [`controls::Control`] in [`OpOptions`] | per item: [`SearchStream::controls`]; a Sync Info message is a [`SearchItem::Intermediate`] |
//! | any other control | [`controls::Control`] | raw: [`Response::controls`], [`LdapError::controls`], [`SearchDone::controls`](SearchDone), [`SearchStream::controls`] (per item); typed ones with `control::<C>()` ([`controls::TypedControl`]) |
//! | StartTLS (RFC 4511 §4.14) | [`ConnConfig::starttls`], [`LdapConn::start_tls`] | [`LdapConn::tls_info`] |
//! | Who am I? (RFC 4532) | [`whoami`](LdapConn::whoami), [`whoami_identity`](LdapConn::whoami_identity) | the identity (a [`Response`] in detailed form) |
//! | Password Modify (RFC 3062) | [`password_modify`](LdapConn::password_modify) | the generated password, if any |
//! | Cancel (RFC 3909) | [`cancel`](LdapConn::cancel) with an [`OpHandle`] | a [`CancelOutcome`]; the cancelled operation ends with an [`LdapError`] `canceled` (118) |
//! | Notice of Disconnection (RFC 4511 §4.4.1) | (the server) | [`Error::Disconnected`] for every operation it ends |
//! | other unsolicited notifications (RFC 4511 §4.4) | (the server) | [`LdapConn::notifications`], a stream of [`Notification`]s |
//! | any other extended operation | [`extended`](LdapConn::extended) | the [`ExtendedResponse`](proto::ExtendedResponse) |
//! | one that sends IntermediateResponses (RFC 4511 §4.13) | [`extended_stream`](LdapConn::extended_stream) | an [`ExtendedStream`] of them, then the final [`Response`] |
//!
//! # Referrals
//!
//! A server that does not hold an entry may answer with a referral to one
//! that does (RFC 4511 §4.1.10): a result with code `referral` and the
//! URLs to go to, or, in a search, continuation references to the parts of
//! the tree held elsewhere (§4.5.3). By default they reach the caller: the
//! operation fails with an [`Error::Ldap`] whose result has code
//! [`ResultCode::REFERRAL`] and the URLs in
//! [`referrals`](proto::LdapResult::referrals), and a search yields
//! [`SearchItem::Reference`]s. With
//! [`ConnConfig::follow_referrals`] the client follows them itself:
//!
//! - **What:** searches ([`search`](LdapConn::search) and
//!   [`search_all`](LdapConn::search_all): continuation references and a
//!   `referral` result; the referred servers' entries come in the same
//!   stream, after the first server's) and the updates
//!   [`add`](LdapConn::add), [`modify`](LdapConn::modify),
//!   [`delete`](LdapConn::delete), [`modify_dn`](LdapConn::modify_dn) and
//!   [`compare`](LdapConn::compare). Not binds, extended operations or
//!   paged searches. The URL's DN (and for a search its scope and filter)
//!   replaces the request's where it gives one; the controls and timeout
//!   of the call go along.
//! - **How:** each hop connects to the referred server with the
//!   connection's own [`ConnConfig`], so TLS, StartTLS and the
//!   client-certificate negotiation ([`QueryClientCert`]) run again there,
//!   and binds it the way the connection was last bound: anonymous,
//!   [`bind_simple`](LdapConn::bind_simple) with the same DN and password
//!   (kept for this as a [`Password`](proto::Password), redacted and
//!   wiped on drop, and only when referrals are followed; never sent over
//!   an unencrypted connection unless
//!   [`ConnConfig::allow_insecure_password`] is set), or
//!   [`bind_external`](LdapConn::bind_external) with the same authzid. A
//!   connection bound with another SASL mechanism cannot follow a
//!   referral. The referred connection is closed once the operation is
//!   done there. The URLs of one referral are tried in order until one
//!   connects; a URL with a critical extension is not used (RFC 4516).
//! - **Limits:** at most [`ReferralPolicy::max_hops`] referrals in a row (5
//!   by default), and a referral back to a server and DN already visited
//!   is a loop; both fail with [`Error::Referral`] saying which referral
//!   was not followed.
//!
//! ```no_run
//! # async fn f() -> Result<(), tokio_ldap::Error> {
//! use tokio_ldap::{ConnConfig, LdapConn, ReferralPolicy, Search};
//!
//! let config = ConnConfig::new()
//!     .ca_file("ca.pem")
//!     .follow_referrals(ReferralPolicy::new().max_hops(3));
//! let conn = LdapConn::connect("ldaps://ldap.example.com", config).await?;
//! conn.bind_external(None).await?;
//! // Entries from every server the search is referred to.
//! let all = conn.search_all(Search::new("dc=example,dc=com")).await?;
//! # let _ = all; Ok(()) }
//! ```
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
//! | `discovery` | (feature `srv`, on by default) DNS SRV discovery (RFC 2782) for `ldap:///dc=example,dc=com`: the domain from the DN, the lookup (hickory-resolver, cached until the TTL), the order by priority and weight | yes |
//! | `pool` | [`LdapPool`]: server sets, backoff, health checks, the bind identity (on `deadpool`) | through the client |
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
// DNS SRV discovery for the pool (src/pool/), which is its only caller;
// its own tests use all of it when the `srv` feature is on.
#[cfg_attr(any(not(test), not(feature = "srv")), allow(dead_code, unused_imports))]
mod discovery;
mod driver;
mod error;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
mod pool;
pub mod proto;
mod sync;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod tls;
mod transport;

pub use client::{
    CancelOutcome, ChangedEntry, ConnConfig, Detailed, ExtendedStream, LdapConn, Mode,
    Notification, Notifications, OpHandle, OpOptions, PagedSearch, PersistentSearchEvent,
    PersistentSearchStream, Plain, ReferralPolicy, Response, Search, SearchDone, SearchItem,
    SearchResults, SearchStream, SyncEvent, SyncSearch, SyncStream, WithOptions,
    NOTIFICATION_BUFFER,
};
pub use error::{
    DiscoveryFailure, Error, ErrorText, LdapError, Phase, ProtocolError, ServerFailure,
};
pub use pool::{
    Bind, LdapPool, PoolBuilder, PoolStatus, PooledConn, ServerState, ServerStatus, ServerStrategy,
    SharePolicy, SharedConn,
};
pub use proto::authz::AuthzId;
pub use proto::controls;
pub use proto::{Attribute, Modification, ModifyOp, ResultCode, Scope};
pub use rustls;
pub use tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TlsInfo, TrustedCa};
