//! Password policy (draft-behera-ldap-password-policy-10 §6): the request,
//! which has no value, and the response with its warning and error.
//!
//! ```text
//! PasswordPolicyResponseValue ::= SEQUENCE {
//!    warning [0] CHOICE {
//!       timeBeforeExpiration [0] INTEGER (0 .. maxInt),
//!       graceAuthNsRemaining [1] INTEGER (0 .. maxInt) } OPTIONAL,
//!    error   [1] ENUMERATED {
//!       passwordExpired             (0),
//!       accountLocked               (1),
//!       changeAfterReset            (2),
//!       passwordModNotAllowed       (3),
//!       mustSupplyOldPassword       (4),
//!       insufficientPasswordQuality (5),
//!       passwordTooShort            (6),
//!       passwordTooYoung            (7),
//!       passwordInHistory           (8) } OPTIONAL }
//! ```
//!
//! The module is implicitly tagged, except the CHOICE `warning`, whose tag
//! is explicit (X.680 §31.2.7): `[0]` is constructed and holds `[0]` or
//! `[1]`.

use crate::ber::{DecodeError, DecodeErrorKind, Tag};
use crate::proto::codec::{choice_error, next_tag, read_int_in, read_max_int};
use crate::proto::controls::generic::{check_oid, decode_value, encode_value, Control};
use crate::proto::controls::oid;

/// Password policy request: asks the server to say, on a bind, add,
/// modify or password modify, how the password policy applies (a
/// [`PasswordPolicyResponse`] on the result). Non-critical; no value.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use tokio_ldap::OpOptions;
/// use tokio_ldap::proto::controls::PasswordPolicyRequest;
///
/// conn.with(OpOptions::new().control(PasswordPolicyRequest))
///     .bind_simple("uid=alice,ou=people,dc=example,dc=com", "secret")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PasswordPolicyRequest;

impl PasswordPolicyRequest {
    /// The control's OID (shared with the response).
    pub const OID: &'static str = oid::PASSWORD_POLICY;

    /// The wire form, non-critical, without a value.
    pub fn to_control(&self) -> Control {
        Control::new(Self::OID, None)
    }

    /// Parses the wire form: the request has no value.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        check_oid(control, Self::OID)?;
        if control.value.is_some() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("the password policy request has no value"),
                0,
            ));
        }
        Ok(Self)
    }
}

/// The warning of a [`PasswordPolicyResponse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordPolicyWarning {
    /// `timeBeforeExpiration [0]`: the password expires in this many
    /// seconds.
    TimeBeforeExpiration(u32),
    /// `graceAuthNsRemaining [1]`: the password has expired; this many
    /// more binds with it are allowed.
    GraceAuthNsRemaining(u32),
}

/// The error of a [`PasswordPolicyResponse`]: why the policy refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordPolicyError {
    /// `passwordExpired (0)`.
    PasswordExpired,
    /// `accountLocked (1)`.
    AccountLocked,
    /// `changeAfterReset (2)`: the password was reset and must be changed
    /// before anything else.
    ChangeAfterReset,
    /// `passwordModNotAllowed (3)`.
    PasswordModNotAllowed,
    /// `mustSupplyOldPassword (4)`.
    MustSupplyOldPassword,
    /// `insufficientPasswordQuality (5)`.
    InsufficientPasswordQuality,
    /// `passwordTooShort (6)`.
    PasswordTooShort,
    /// `passwordTooYoung (7)`: changed too recently to change again.
    PasswordTooYoung,
    /// `passwordInHistory (8)`: used before.
    PasswordInHistory,
    /// A value the draft does not name (later drafts add some, e.g.
    /// `passwordTooLong (9)`), carried unchanged.
    Other(u32),
}

impl PasswordPolicyError {
    /// The ENUMERATED value.
    pub fn code(self) -> u32 {
        match self {
            Self::PasswordExpired => 0,
            Self::AccountLocked => 1,
            Self::ChangeAfterReset => 2,
            Self::PasswordModNotAllowed => 3,
            Self::MustSupplyOldPassword => 4,
            Self::InsufficientPasswordQuality => 5,
            Self::PasswordTooShort => 6,
            Self::PasswordTooYoung => 7,
            Self::PasswordInHistory => 8,
            Self::Other(n) => n,
        }
    }

    /// The error of ENUMERATED value `code`.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::PasswordExpired,
            1 => Self::AccountLocked,
            2 => Self::ChangeAfterReset,
            3 => Self::PasswordModNotAllowed,
            4 => Self::MustSupplyOldPassword,
            5 => Self::InsufficientPasswordQuality,
            6 => Self::PasswordTooShort,
            7 => Self::PasswordTooYoung,
            8 => Self::PasswordInHistory,
            n => Self::Other(n),
        }
    }
}

/// Password policy response, on the result of an operation that carried a
/// [`PasswordPolicyRequest`]: a warning, an error, both or neither.
/// Non-critical.
///
/// On a successful bind it is found with `Response::control`; on a
/// refused one (`invalidCredentials` for an expired password, for
/// example) with `LdapError::control`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordPolicyResponse {
    /// `warning [0]`.
    pub warning: Option<PasswordPolicyWarning>,
    /// `error [1]`.
    pub error: Option<PasswordPolicyError>,
}

const WARNING: Tag = Tag::context(0x00).constructed();
const TIME_BEFORE_EXPIRATION: Tag = Tag::context(0x00);
const GRACE_AUTHNS_REMAINING: Tag = Tag::context(0x01);
const ERROR: Tag = Tag::context(0x01);

impl PasswordPolicyResponse {
    /// The control's OID (shared with the request).
    pub const OID: &'static str = oid::PASSWORD_POLICY;

    /// A response with `warning` and `error`.
    pub fn new(warning: Option<PasswordPolicyWarning>, error: Option<PasswordPolicyError>) -> Self {
        Self { warning, error }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                if let Some(warning) = self.warning {
                    w.sequence(WARNING, |w| match warning {
                        PasswordPolicyWarning::TimeBeforeExpiration(n) => {
                            w.integer(TIME_BEFORE_EXPIRATION, i64::from(n));
                        }
                        PasswordPolicyWarning::GraceAuthNsRemaining(n) => {
                            w.integer(GRACE_AUTHNS_REMAINING, i64::from(n));
                        }
                    });
                }
                if let Some(error) = self.error {
                    w.integer(ERROR, i64::from(error.code()));
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, _| {
            r.sequence(Tag::SEQUENCE, |r| {
                let warning = match r.peek_tag()? {
                    Some(WARNING) => Some(r.sequence(WARNING, |r| {
                        let (tag, offset) = next_tag(r)?;
                        match tag {
                            TIME_BEFORE_EXPIRATION => {
                                let n = read_max_int(r, tag, "timeBeforeExpiration")?;
                                Ok(PasswordPolicyWarning::TimeBeforeExpiration(
                                    n.unsigned_abs(),
                                ))
                            }
                            GRACE_AUTHNS_REMAINING => {
                                let n = read_max_int(r, tag, "graceAuthNsRemaining")?;
                                Ok(PasswordPolicyWarning::GraceAuthNsRemaining(
                                    n.unsigned_abs(),
                                ))
                            }
                            _ => Err(choice_error(
                                "warning",
                                tag,
                                offset,
                                &[TIME_BEFORE_EXPIRATION, GRACE_AUTHNS_REMAINING],
                            )),
                        }
                    })?),
                    _ => None,
                };
                let error = match r.peek_tag()? {
                    Some(ERROR) => {
                        let code: u32 = read_int_in(r, ERROR, "error", 0..=i64::from(i32::MAX))?;
                        Some(PasswordPolicyError::from_code(code))
                    }
                    _ => None,
                };
                Ok(Self { warning, error })
            })
        })
    }
}
