//! Reading the response of an operation: its result, as an error when
//! the server refused.

use crate::proto::LdapResult;
use crate::{Error, LdapError};

pub(super) fn ldap_error(operation: &'static str, result: LdapResult) -> Error {
    Error::Ldap(Box::new(LdapError { operation, result }))
}

pub(super) fn unexpected(operation: &'static str) -> Error {
    Error::Protocol(crate::ProtocolError::Other(format!(
        "unexpected response to {operation}"
    )))
}
