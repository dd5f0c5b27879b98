//! Reading the response of an operation: its result, as an error when
//! the server refused.

use crate::proto::{LdapResult, ProtocolOp};
use crate::{Error, LdapError};

/// The result of a response that is only a result.
pub(super) fn final_result(op: ProtocolOp) -> Option<LdapResult> {
    match op {
        ProtocolOp::ModifyResponse(r)
        | ProtocolOp::AddResponse(r)
        | ProtocolOp::DelResponse(r)
        | ProtocolOp::ModifyDnResponse(r)
        | ProtocolOp::CompareResponse(r)
        | ProtocolOp::SearchResultDone(r) => Some(r),
        _ => None,
    }
}

pub(super) fn ldap_error(operation: &'static str, result: LdapResult) -> Error {
    Error::Ldap(Box::new(LdapError { operation, result }))
}

pub(super) fn unexpected(operation: &'static str) -> Error {
    Error::Protocol(crate::ProtocolError::Other(format!(
        "unexpected response to {operation}"
    )))
}
