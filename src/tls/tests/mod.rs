//! Handshake tests against an in-process rustls server, driving the
//! crate-internal TLS API (`PreparedTls::client_config` and the record)
//! the way the connection driver does.

mod choosers;
mod harness;
mod negotiation;
mod pki;
mod prepared;
