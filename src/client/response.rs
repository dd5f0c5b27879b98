//! What an operation returns: [`Response`], its value with the result and
//! the response controls; the [`Mode`] that decides whether a caller gets
//! the value alone or the whole response; and the error made of a result
//! the server refused.

use crate::ber::DecodeError;
use crate::proto::controls::{Control, TypedControl};
use crate::proto::{LdapMessage, LdapResult};
use crate::{Error, LdapError, ProtocolError};

/// An operation's value with everything the server sent with it: the
/// [`LdapResult`] (code, message, matched DN) and the response controls.
///
/// The operations of a [`WithOptions`](crate::WithOptions) made
/// [`detailed`](crate::WithOptions::detailed) return one, for every
/// operation alike; the plain form returns only the value. A refused
/// operation is an [`Error::Ldap`] either way, whose
/// [`LdapError`] carries the result and the controls too.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), Box<dyn std::error::Error>> {
/// use tokio_ldap::controls::{PostRead, ReadEntry};
/// use tokio_ldap::{Attribute, Modification, ModifyOp, OpOptions};
///
/// let change = Modification::new(ModifyOp::Replace, Attribute::new("mail", ["a@example.com"]));
/// let response = conn
///     .with(OpOptions::new().control(PostRead::new(["mail"])))
///     .detailed()
///     .modify("uid=alice,ou=people,dc=example,dc=com", vec![change])
///     .await?;
/// if let Some(read) = response.control::<ReadEntry>() {
///     println!("now: {:?}", read?.entry.first_str("mail"));
/// }
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response<T> {
    value: T,
    result: LdapResult,
    controls: Vec<Control>,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, result: LdapResult, controls: Vec<Control>) -> Self {
        Self {
            value,
            result,
            controls,
        }
    }

    /// The operation's value: what the plain form of the operation
    /// returns.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The value, dropping the rest.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The result as the server sent it: for a success, its code (which
    /// tells `compareTrue` from `compareFalse`, `success` from
    /// `saslBindInProgress`), the diagnostic message and the matched DN.
    pub fn result(&self) -> &LdapResult {
        &self.result
    }

    /// The response controls, as the server sent them (empty when it sent
    /// none).
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// The first control of type `C` among [`controls`](Self::controls),
    /// parsed: `None` when the server sent none, `Some(Err)` when it does
    /// not parse.
    pub fn control<C: TypedControl>(&self) -> Option<Result<C, DecodeError>> {
        C::find_in(&self.controls)
    }

    /// The value, the result and the controls.
    pub fn into_parts(self) -> (T, LdapResult, Vec<Control>) {
        (self.value, self.result, self.controls)
    }

    /// The same response with its value turned by `f`.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            result: self.result,
            controls: self.controls,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Plain {}
    impl Sealed for super::Detailed {}
}

/// What the operations of a [`WithOptions`](crate::WithOptions) return:
/// the value alone ([`Plain`], the default) or the whole [`Response`]
/// ([`Detailed`]). Each operation is written once, for both.
pub trait Mode: sealed::Sealed {
    /// What an operation whose value is `T` returns.
    type Out<T>;

    /// Turns the whole response into what the caller gets.
    fn wrap<T>(response: Response<T>) -> Self::Out<T>;
}

/// The operations return their value alone (`Result<T, Error>`): the
/// default, and the form of the [`LdapConn`](crate::LdapConn) methods.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

/// The operations return a [`Response`] (`Result<Response<T>, Error>`):
/// the value, the result and the response controls. Chosen with
/// [`WithOptions::detailed`](crate::WithOptions::detailed).
#[derive(Clone, Copy, Debug, Default)]
pub struct Detailed;

impl Mode for Plain {
    type Out<T> = T;

    fn wrap<T>(response: Response<T>) -> T {
        response.value
    }
}

impl Mode for Detailed {
    type Out<T> = Response<T>;

    fn wrap<T>(response: Response<T>) -> Response<T> {
        response
    }
}

/// The error of operation `operation` refused with `result`, carrying the
/// response's `controls`.
pub(super) fn ldap_error(
    operation: &'static str,
    result: LdapResult,
    controls: Vec<Control>,
) -> Error {
    Error::Ldap(Box::new(LdapError {
        operation,
        result,
        controls,
    }))
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
