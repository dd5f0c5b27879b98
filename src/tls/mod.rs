//! TLS: rustls client configuration and client-certificate negotiation.
//!
//! When the server asks for a client certificate, its CertificateRequest
//! names the CAs it trusts. The application answers through
//! [`QueryClientCert`] (the counterpart of Windows LDAP's `QUERYCLIENTCERT`
//! callback): it is given a [`CertRequest`] with those [`TrustedCa`]s and
//! returns a [`ClientCert`] or declines. [`ClientCert`] itself (one static
//! certificate) and [`CertStore`] (several, chosen by issuer) are
//! ready-made answers.
//!
//! ```text
//! server: CertificateRequest(CA names, signature schemes)
//!            |
//!            v
//! rustls ResolvesClientCert (private adapter; records what happened)
//!            |
//!            v
//! QueryClientCert::choose_client_cert(&CertRequest) -> Choice
//!            |
//!            v
//! Certificate + CertificateVerify, or an empty Certificate
//! ```
//!
//! After the handshake [`TlsInfo`] says what the server asked for and what
//! was sent. When the server rejects the connection for want of an
//! acceptable certificate (OpenLDAP closes it without an alert), the error
//! says the same.
//!
//! The server's certificate is verified with webpki against the configured
//! roots, including the host name, and against pinned public keys if any
//! are set; a [`VerifyServerCert`] hook can add checks, or, set as a
//! loudly named override, see webpki's verdict and decide.
//!
//! # Layout
//!
//! The files form a chain: each imports only files of the rows above it
//! (never its own row or a row below), so there is no import cycle. Beside
//! these, files use only layers below `tls`: `crate::error`, `crate::proto`
//! and `crate::sync`.
//!
//! | row | file | holds | imports |
//! |---|---|---|---|
//! | 1 | `name.rs` | RFC 4514 text of DER names, [`TrustedCa`], CA-list text | (`proto::dn::Dn`) |
//! | 1 | `pem.rs` | PEM loading with errors that name the file | (`error`) |
//! | 1 | `provider.rs` | the crypto provider of the enabled feature (`ring` or `aws-lc-rs`) | |
//! | 1 | `signer.rs` | the wrapper around an application's `SigningKey` (errors, `block_in_place`) | |
//! | 1 | `stamp.rs` | a file's length, modification time and inode, to see that it changed | |
//! | 1 | `panic.rs` | running application code, a panic becoming its message | |
//! | 2 | `cert.rs` | [`ClientCert`] | name, pem, provider, signer |
//! | 3 | `query.rs` | [`QueryClientCert`], [`CertRequest`], [`Choice`], [`TlsMode`] | cert, name |
//! | 3 | `dir.rs` | the directory of `NAME.crt`/`NAME.key` pairs behind [`CertStore::from_dir`], re-read when it changes | cert, stamp |
//! | 3 | `source.rs` | [`ClientCertSource`], [`SourceRequest`]: the async step before a connect | cert, panic |
//! | 4 | `record.rs` | the per-connection handshake record, `CertOutcome` | cert, name, query |
//! | 5 | `store.rs` | [`CertStore`], [`EmptyListPolicy`] | cert, dir, name, query |
//! | 5 | `resolver.rs` | the rustls `ResolvesClientCert` adapter | name, panic, query, record |
//! | 5 | `verify.rs` | [`VerifyServerCert`], [`ServerCertInfo`], [`ServerCertVerdict`], [`ServerCertRejected`], pinning, the rustls verifier | panic, provider |
//! | 6 | `config.rs` | settings, [`TlsVersion`], the per-connection rustls config, reloading changed CA files | cert, pem, provider, query, record, resolver, source, stamp, store, verify |
//! | 7 | `info.rs` | [`TlsInfo`], [`SentCert`] | cert, name, query, record |
//! | 7 | `diagnose.rs` | the errors that explain a failed or rejected handshake | name, record, verify |
//!
//! The record sits below the resolver because the resolver fills it in
//! during the handshake; `info.rs` and `diagnose.rs` read it afterwards.
//!
//! # Stability
//!
//! What may grow can grow without breaking callers: the enums
//! ([`TlsMode`], [`TlsVersion`], [`EmptyListPolicy`], [`ServerCertVerdict`])
//! are `#[non_exhaustive]`; no struct has a public field (each is read
//! through its accessors and made through its constructors, so fields can
//! be added); [`CertRequest`], [`ServerCertInfo`] and [`SourceRequest`] are
//! `Copy` views and stay so; the traits [`QueryClientCert`],
//! [`VerifyServerCert`] and [`ClientCertSource`] gain methods only with
//! default bodies.
//!
//! # Keys, providers, trust
//!
//! - A [`ClientCert`]'s key may live anywhere: [`ClientCert::from_signing_key`]
//!   takes any rustls `SigningKey` (an HSM, a token, a TPM, a KMS).
//! - A [`CertStore`] filters like Windows: expired, not yet valid and
//!   server-only certificates are skipped (each named in the [`Choice`]'s
//!   reason), and of several acceptable ones the one valid longest is sent.
//! - A [`ClientCertSource`] fetches the candidates asynchronously before
//!   each connect.
//! - [`CertStore::from_dir`] reads a directory of `NAME.crt`/`NAME.key`
//!   pairs and follows it: changed files are read again before the next
//!   connect (no timer, no thread), so a renewed certificate is used without
//!   a restart; a CA file given to the config is read again the same way. A
//!   file that does not load keeps what was loaded before, and the reason
//!   ([`Choice`], [`TlsInfo::client_cert_reason`],
//!   [`TlsInfo::trusted_roots`], a `tracing` warning) names it and says
//!   what is wrong.
//! - The crypto provider is that of the Cargo feature (`ring` by default,
//!   `aws-lc-rs`), or the one given to `ConnConfig::crypto_provider`; the
//!   process-wide default of rustls is never installed nor read.
//! - Servers are verified by webpki, or by the operating system with the
//!   `platform-verifier` feature; pinned keys and a hook (adding checks, or,
//!   loudly, deciding) come on top.

mod cert;
mod config;
mod diagnose;
mod dir;
mod info;
mod name;
mod panic;
mod pem;
mod provider;
mod query;
mod record;
mod resolver;
mod signer;
mod source;
mod stamp;
mod store;
mod verify;

pub use cert::ClientCert;
pub use config::TlsVersion;
pub use info::{SentCert, TlsInfo};
pub use name::TrustedCa;
pub use query::{CertRequest, Choice, QueryClientCert, TlsMode};
pub use source::{ClientCertSource, SourceError, SourceFuture, SourceRequest};
pub use store::{CertStore, EmptyListPolicy};
pub use verify::{
    spki_sha256, ServerCertInfo, ServerCertRejected, ServerCertVerdict, VerifyServerCert,
};

/// Re-exported for the transport and the driver, which lock the record.
pub(crate) use crate::sync::lock;
pub(crate) use config::{server_name, ConnectionTls, PreparedTls, TlsSettings};
pub(crate) use diagnose::{
    callback_panicked, closed_after_handshake, handshake_error, read_error_after_handshake,
};
pub(crate) use record::HandshakeRecord;
pub(crate) use resolver::scope;

#[cfg(test)]
mod tests;
