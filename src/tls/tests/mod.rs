//! The unit tests of the TLS layer, all here rather than beside the code:
//! names, PEM, panics and choosers without a server, then handshakes
//! against an in-process rustls server, driving the crate-internal TLS API
//! (`PreparedTls::client_config` and the record) the way the connection
//! driver does.

mod alerts;
mod choosers;
mod diagnosis;
mod filtering;
mod harness;
mod names;
mod negotiation;
mod panic;
mod pem;
mod pinning;
mod pki;
#[cfg(feature = "platform-verifier")]
mod platform;
mod prepared;
mod providers;
mod report;
mod rotation;
mod settings;
mod signing;
mod sources;
mod values;
