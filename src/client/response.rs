//! Reading the response of an operation: its result, as an error when
//! the server refused.

use crate::proto::{LdapMessage, LdapResult};
use crate::{Error, LdapError, ProtocolError};

pub(super) fn ldap_error(operation: &'static str, result: LdapResult) -> Error {
    Error::Ldap(Box::new(LdapError { operation, result }))
}

/// A response `msg` of another kind than the `expected` one. The
/// connection checks the kind of each response against its operation
/// before routing it, so this is only a second line of defence.
pub(super) fn unexpected(msg: &LdapMessage, expected: &'static str) -> Error {
    Error::Protocol(ProtocolError::UnexpectedResponse {
        id: msg.id,
        expected,
        got: msg.op.name(),
    })
}
