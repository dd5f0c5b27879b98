//! tokio-ldap
#![forbid(unsafe_code)]

pub mod ber;
mod error;
pub mod proto;
pub mod tls;

pub use error::{Error, LdapError, ProtocolError};
pub use rustls;
pub use tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TlsInfo, TrustedCa};
