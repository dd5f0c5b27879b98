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
//! roots, including the host name; a [`VerifyServerCert`] hook can add
//! checks such as pinning.

mod cert;
mod config;
mod info;
mod name;
mod pem;
mod query;
mod resolver;
mod store;
mod verify;

pub use cert::ClientCert;
pub use config::TlsVersion;
pub use info::{SentCert, TlsInfo};
pub use query::{CertRequest, Choice, QueryClientCert, TlsMode, TrustedCa};
pub use store::{CertStore, EmptyListPolicy};
pub use verify::{ServerCertInfo, VerifyServerCert};

pub(crate) use config::{server_name, PreparedTls, TlsSettings};
pub(crate) use info::{
    callback_panicked, closed_after_handshake, handshake_error, lock, read_error_after_handshake,
    HandshakeRecord,
};

#[cfg(test)]
mod tests;
