//! Fault injection and the record of what each client sent.

use std::time::Duration;

use rustls_pki_types::CertificateDer;

use crate::proto::{LdapMessage, ProtocolOp, ResultCode};

/// An operation a fault applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Every request.
    Any,
    /// BindRequest (simple and SASL).
    Bind,
    /// SearchRequest.
    Search,
    /// ModifyRequest.
    Modify,
    /// AddRequest.
    Add,
    /// DelRequest.
    Delete,
    /// ModifyDNRequest.
    ModifyDn,
    /// CompareRequest.
    Compare,
    /// An ExtendedRequest with this OID (e.g.
    /// [`WHO_AM_I`](crate::proto::extended::WHO_AM_I)).
    Extended(String),
}

impl Operation {
    /// Whether `op` is this operation.
    pub fn matches(&self, op: &ProtocolOp) -> bool {
        match (self, op) {
            (Self::Any, _) => true,
            (Self::Bind, ProtocolOp::BindRequest(_))
            | (Self::Search, ProtocolOp::SearchRequest(_))
            | (Self::Modify, ProtocolOp::ModifyRequest(_))
            | (Self::Add, ProtocolOp::AddRequest(_))
            | (Self::Delete, ProtocolOp::DelRequest(_))
            | (Self::ModifyDn, ProtocolOp::ModifyDnRequest(_))
            | (Self::Compare, ProtocolOp::CompareRequest(_)) => true,
            (Self::Extended(oid), ProtocolOp::ExtendedRequest(e)) => e.name == oid.as_str(),
            _ => false,
        }
    }
}

/// What a fault does to a matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Answer with this result code (and a message saying it was injected).
    Fail(ResultCode),
    /// Send these bytes instead of a response.
    Bytes(Vec<u8>),
}

/// The faults in force; changed through the
/// [`TestServer`](super::TestServer) while it runs, read at each request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults {
    pub(crate) delay: Duration,
    pub(crate) drop_after: Option<usize>,
    pub(crate) actions: Vec<(Operation, Action)>,
    /// Bytes to send when a connection's message number `.0` arrives.
    pub(crate) at_message: Vec<(usize, Vec<u8>)>,
}

impl Faults {
    /// What to do with message number `n` (from 1) of a connection, `op`:
    /// bytes for its number first, then the first action for its
    /// operation.
    pub(crate) fn action_for(&self, n: usize, op: &ProtocolOp) -> Option<Action> {
        if let Some((_, bytes)) = self.at_message.iter().find(|(at, _)| *at == n) {
            return Some(Action::Bytes(bytes.clone()));
        }
        self.actions
            .iter()
            .find(|(o, _)| o.matches(op))
            .map(|(_, a)| a.clone())
    }
}

/// How a client reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `ldap://` (StartTLS may follow: see [`ConnectionRecord::tls`]).
    Ldap,
    /// `ldaps://`.
    Ldaps,
    /// `ldapi://` (Unix).
    Ldapi,
}

/// What one client connection did, for a test to assert on.
#[derive(Clone, Debug)]
pub struct ConnectionRecord {
    /// Where it came in.
    pub transport: Transport,
    /// Whether TLS was on (LDAPS, or after StartTLS).
    pub tls: bool,
    /// The chain the client presented in the TLS handshake, leaf first
    /// (`None`: no TLS or no certificate).
    pub client_chain: Option<Vec<CertificateDer<'static>>>,
    /// Why the server refused the client's certificate after the
    /// handshake (with [`Rejection::CloseAfterHandshake`](super::Rejection)).
    pub rejected: Option<String>,
    /// Every message the client sent, in order (simple-bind passwords are
    /// kept in [`Password`](crate::proto::Password)s, redacted from `Debug`).
    pub requests: Vec<LdapMessage>,
    /// The authorization identity of the last successful bind, as WhoAmI
    /// reports it (`dn:...`); `None` while anonymous.
    pub identity: Option<String>,
    /// Why the server closed the connection, when it did (a protocol
    /// error, a fault).
    pub closed_because: Option<String>,
}

impl ConnectionRecord {
    pub(crate) fn new(transport: Transport) -> Self {
        Self {
            transport,
            tls: transport == Transport::Ldaps,
            client_chain: None,
            rejected: None,
            requests: Vec::new(),
            identity: None,
            closed_because: None,
        }
    }

    /// The subject of the client certificate, in RFC 4514 form.
    pub fn client_subject(&self) -> Option<String> {
        let leaf = self.client_chain.as_ref()?.first()?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).ok()?;
        crate::proto::dn::Dn::from_der_name(cert.subject().as_raw())
            .ok()
            .map(|dn| dn.to_string())
    }
}
