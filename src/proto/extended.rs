//! Typed extended operations (RFC 4511 §4.12): StartTLS, Who am I?,
//! Password Modify, Cancel and the Notice of Disconnection.
//!
//! Each operation is a type with the same shape: `T::OID`; a way to build
//! the [`ExtendedRequest`] (`T::request()` or `T::to_request(&self)`, and
//! `From<T>` where the request has content); `T::parse_response(&ExtendedResponse)`
//! to read what the server answered; and, for test servers, `T::response(..)`
//! and `T::from_request(..)`. Operations without a type here stay raw
//! [`ExtendedRequest`]s and [`ExtendedResponse`]s.
//!
//! `parse_response` reads the value of a response whatever its result
//! code; check [`LdapResult::code`] first.

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag, Writer};
use crate::proto::codec::{read_int_in, read_opt_bytes, Budget, Frame, MessageId};
use crate::proto::message::LdapMessage;
use crate::proto::op::{ExtendedRequest, ExtendedResponse, Password, ProtocolOp};
use crate::proto::result::{LdapResult, ResultCode};

/// StartTLS, RFC 4511 §4.14.
pub const START_TLS: &str = "1.3.6.1.4.1.1466.20037";
/// Notice of Disconnection, RFC 4511 §4.4.1.
pub const NOTICE_OF_DISCONNECTION: &str = "1.3.6.1.4.1.1466.20036";
/// "Who am I?", RFC 4532.
pub const WHO_AM_I: &str = "1.3.6.1.4.1.4203.1.11.3";
/// Password Modify, RFC 3062.
pub const PASSWORD_MODIFY: &str = "1.3.6.1.4.1.4203.1.11.1";
/// Cancel, RFC 3909.
pub const CANCEL: &str = "1.3.6.1.1.8";

/// The StartTLS request (RFC 4511 §4.14.1): no value. Users have one path,
/// [`StartTls::request`]; this short form is for the crate's own use.
pub(crate) fn start_tls() -> ExtendedRequest {
    StartTls::request()
}

/// StartTLS (RFC 4511 §4.14).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartTls;

impl StartTls {
    /// The operation's OID.
    pub const OID: &'static str = START_TLS;

    /// The request: `requestName` only.
    pub fn request() -> ExtendedRequest {
        ExtendedRequest {
            name: ByteString::from_static(Self::OID),
            value: None,
        }
    }

    /// Checks a response: "The responseName is 1.3.6.1.4.1.1466.20037 when
    /// provided ... The responseValue is always absent" (RFC 4511 §4.14.2).
    pub fn parse_response(response: &ExtendedResponse) -> Result<(), DecodeError> {
        check_name(response, Self::OID)?;
        if response.value.is_some() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("a StartTLS response has no value"),
                0,
            ));
        }
        Ok(())
    }

    /// A response with `result` (for test servers).
    pub fn response(result: LdapResult) -> ExtendedResponse {
        ExtendedResponse {
            result,
            name: Some(ByteString::from_static(Self::OID)),
            value: None,
        }
    }
}

/// "Who am I?" (RFC 4532).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WhoAmI;

impl WhoAmI {
    /// The operation's OID.
    pub const OID: &'static str = WHO_AM_I;

    /// The request: `requestName` only.
    pub fn request() -> ExtendedRequest {
        ExtendedRequest {
            name: ByteString::from_static(Self::OID),
            value: None,
        }
    }

    /// The authorization identity of the connection, as the server sent it
    /// (`"dn:..."` or `"u:..."`), or `None` for the anonymous identity
    /// (an empty or absent value).
    pub fn parse_response(response: &ExtendedResponse) -> Result<Option<ByteString>, DecodeError> {
        // responseValue: authzId   (RFC 4532 §2.2, the authzId of RFC 4513
        // §5.2.1.8 as an LDAPString, not BER-wrapped)
        check_name(response, Self::OID)?;
        let Some(value) = response.value.as_ref().filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let authz_id = Frame(value, &Budget::for_len(value.len()))
            .string(value, 0)
            .map_err(|e| DecodeError {
                kind: DecodeErrorKind::InvalidValue("the authzId is not UTF-8"),
                ..e
            })?;
        Ok(Some(authz_id))
    }

    /// A response with `result` and `authz_id` (for test servers).
    pub fn response(result: LdapResult, authz_id: Option<&str>) -> ExtendedResponse {
        let value = authz_id.map(|a| Bytes::copy_from_slice(a.as_bytes()));
        ExtendedResponse {
            result,
            name: None,
            value,
        }
    }
}

/// Password Modify (RFC 3062): change a password, or have the server
/// generate one.
///
/// All three fields are optional: without `user_identity` the bound user's
/// password changes; without `new_password` the server generates one and
/// returns it (see [`PasswordModify::parse_response`]).
///
/// The passwords are [`Password`]s, wiped on drop; the encoded request,
/// being a `Bytes`, is not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordModify {
    /// `userIdentity [0]`: whose password (a DN, or an authzId).
    pub user_identity: Option<Bytes>,
    /// `oldPasswd [1]`: the current password.
    pub old_password: Option<Password>,
    /// `newPasswd [2]`: the new password.
    pub new_password: Option<Password>,
}

const USER_IDENTITY: Tag = Tag::context(0x00);
const OLD_PASSWD: Tag = Tag::context(0x01);
const NEW_PASSWD: Tag = Tag::context(0x02);
const GEN_PASSWD: Tag = Tag::context(0x00);

impl PasswordModify {
    /// The operation's OID.
    pub const OID: &'static str = PASSWORD_MODIFY;

    /// A request with no fields: the server generates a new password for
    /// the bound user.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the password of `user` (a DN or authzId) rather than the
    /// bound user's.
    pub fn user_identity(self, user: impl AsRef<[u8]>) -> Self {
        Self {
            user_identity: Some(Bytes::copy_from_slice(user.as_ref())),
            ..self
        }
    }

    /// Sets the current password.
    pub fn old_password(self, password: impl AsRef<[u8]>) -> Self {
        Self {
            old_password: Some(Password::new(password.as_ref())),
            ..self
        }
    }

    /// Sets the new password.
    pub fn new_password(self, password: impl AsRef<[u8]>) -> Self {
        Self {
            new_password: Some(Password::new(password.as_ref())),
            ..self
        }
    }

    /// The request. Its value is absent when no field is set, as OpenLDAP's
    /// `ldappasswd` sends it.
    pub fn to_request(&self) -> ExtendedRequest {
        // PasswdModifyRequestValue ::= SEQUENCE {
        //   userIdentity    [0]  OCTET STRING OPTIONAL
        //   oldPasswd       [1]  OCTET STRING OPTIONAL
        //   newPasswd       [2]  OCTET STRING OPTIONAL }
        let name = ByteString::from_static(Self::OID);
        if self.user_identity.is_none()
            && self.old_password.is_none()
            && self.new_password.is_none()
        {
            return ExtendedRequest { name, value: None };
        }
        let mut out = Vec::new();
        Writer::new(&mut out).sequence(Tag::SEQUENCE, |w| {
            if let Some(u) = &self.user_identity {
                w.octet_string(USER_IDENTITY, u);
            }
            if let Some(p) = &self.old_password {
                w.octet_string(OLD_PASSWD, p.expose());
            }
            if let Some(p) = &self.new_password {
                w.octet_string(NEW_PASSWD, p.expose());
            }
        });
        ExtendedRequest {
            name,
            value: Some(Bytes::from(out)),
        }
    }

    /// Parses a request (for test servers).
    pub fn from_request(request: &ExtendedRequest) -> Result<Self, DecodeError> {
        if request.name != Self::OID {
            return Err(another_operation());
        }
        let Some(value) = &request.value else {
            return Ok(Self::default());
        };
        let mut r = Reader::new(value);
        let budget = Budget::for_len(value.len());
        let src = Frame(value, &budget);
        let out = r.sequence(Tag::SEQUENCE, |r| {
            let user_identity = read_opt_bytes(r, src, USER_IDENTITY)?;
            let old_password = r.optional(OLD_PASSWD)?.map(|t| Password::new(t.value));
            let new_password = r.optional(NEW_PASSWD)?.map(|t| Password::new(t.value));
            Ok(Self {
                user_identity,
                old_password,
                new_password,
            })
        })?;
        r.finish()?;
        Ok(out)
    }

    /// The password the server generated, if it generated one.
    pub fn parse_response(response: &ExtendedResponse) -> Result<Option<Password>, DecodeError> {
        // PasswdModifyResponseValue ::= SEQUENCE {
        //   genPasswd       [0]     OCTET STRING OPTIONAL }
        check_name(response, Self::OID)?;
        let Some(value) = &response.value else {
            return Ok(None);
        };
        let mut r = Reader::new(value);
        let generated = r.sequence(Tag::SEQUENCE, |r| {
            Ok(r.optional(GEN_PASSWD)?.map(|t| Password::new(t.value)))
        })?;
        r.finish()?;
        Ok(generated)
    }

    /// A response with `result` and the `generated` password (for test
    /// servers); without one, the value is absent.
    pub fn response(result: LdapResult, generated: Option<&Password>) -> ExtendedResponse {
        let value = generated.map(|p| {
            let mut out = Vec::new();
            Writer::new(&mut out)
                .sequence(Tag::SEQUENCE, |w| w.octet_string(GEN_PASSWD, p.expose()));
            Bytes::from(out)
        });
        ExtendedResponse {
            result,
            name: None,
            value,
        }
    }
}

impl From<PasswordModify> for ExtendedRequest {
    fn from(p: PasswordModify) -> Self {
        p.to_request()
    }
}

impl From<&PasswordModify> for ExtendedRequest {
    fn from(p: &PasswordModify) -> Self {
        p.to_request()
    }
}

/// Cancel (RFC 3909): asks the server to end the operation with message ID
/// `id`, which then ends with the result `canceled` (118); the Cancel
/// itself ends with `success`, or `noSuchOperation` (119), `tooLate`
/// (120) or `cannotCancel` (121). Run it with
/// [`WithOptions::cancel`](crate::WithOptions::cancel), which finds the
/// message ID of an operation from its [`OpHandle`](crate::OpHandle).
///
/// ```
/// use tokio_ldap::proto::extended::Cancel;
/// use tokio_ldap::proto::MessageId;
///
/// let request = Cancel::new(MessageId::new(5).unwrap()).to_request();
/// assert_eq!(request.name, Cancel::OID);
/// assert_eq!(request.value.as_deref(), Some(&[0x30, 0x03, 0x02, 0x01, 0x05][..]));
/// assert_eq!(Cancel::from_request(&request).unwrap().id.get(), 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cancel {
    /// `cancelID`: the message ID of the operation to cancel.
    pub id: MessageId,
}

impl Cancel {
    /// The operation's OID.
    pub const OID: &'static str = CANCEL;

    /// Cancels the operation with message ID `id`.
    pub fn new(id: MessageId) -> Self {
        Self { id }
    }

    /// The request.
    pub fn to_request(&self) -> ExtendedRequest {
        // cancelRequestValue ::= SEQUENCE { cancelID MessageID }
        let mut out = Vec::new();
        Writer::new(&mut out).sequence(Tag::SEQUENCE, |w| {
            w.integer(Tag::INTEGER, i64::from(self.id.get()));
        });
        ExtendedRequest {
            name: ByteString::from_static(Self::OID),
            value: Some(Bytes::from(out)),
        }
    }

    /// Parses a request (for test servers).
    pub fn from_request(request: &ExtendedRequest) -> Result<Self, DecodeError> {
        if request.name != Self::OID {
            return Err(another_operation());
        }
        let value = request.value.as_ref().ok_or_else(|| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue("a Cancel request has a value"),
                0,
            )
        })?;
        let mut r = Reader::new(value);
        let id = r.sequence(Tag::SEQUENCE, |r| {
            read_int_in(r, Tag::INTEGER, "cancelID", 0..=i64::from(i32::MAX))
        })?;
        r.finish()?;
        Ok(Self { id: MessageId(id) })
    }
}

impl From<Cancel> for ExtendedRequest {
    fn from(c: Cancel) -> Self {
        c.to_request()
    }
}

/// A Notice of Disconnection (RFC 4511 §4.4.1): the server is about to
/// close the connection; it comes as an ExtendedResponse with message ID 0.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoticeOfDisconnection {
    /// Why: `unavailable`, `protocolError` or `strongerAuthRequired` per
    /// the RFC, or anything else a server chooses.
    pub code: ResultCode,
    /// The server's diagnostic message.
    pub message: ByteString,
}

impl NoticeOfDisconnection {
    /// A notice with `code` and `message`.
    pub fn new(code: ResultCode, message: impl Into<ByteString>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl NoticeOfDisconnection {
    /// The notification's OID.
    pub const OID: &'static str = NOTICE_OF_DISCONNECTION;

    /// The notice carried by `message`, if it is one: an ExtendedResponse
    /// with message ID 0 and responseName 1.3.6.1.4.1.1466.20036.
    pub fn from_message(message: &LdapMessage) -> Option<Self> {
        match &message.op {
            ProtocolOp::ExtendedResponse(r) if message.id == MessageId::UNSOLICITED => {
                Self::from_response(r)
            }
            _ => None,
        }
    }

    /// The notice carried by `response`, if its responseName is the
    /// notice's OID.
    pub fn from_response(response: &ExtendedResponse) -> Option<Self> {
        if response.name.as_deref() != Some(Self::OID) {
            return None;
        }
        Some(Self {
            code: response.result.code,
            message: response.result.message.clone(),
        })
    }

    /// The notice an unsolicited notification (an ExtendedResponse under
    /// message ID 0) stands for, if any: one named with the notice's OID,
    /// or one with no responseName and a result code other than success,
    /// as some servers send it (the notice is the only unsolicited
    /// notification RFC 4511 defines, §4.4).
    pub(crate) fn from_unsolicited(response: &ExtendedResponse) -> Option<Self> {
        Self::from_response(response).or_else(|| {
            (response.name.is_none() && !response.result.code.is_success()).then(|| Self {
                code: response.result.code,
                message: response.result.message.clone(),
            })
        })
    }

    /// The message a server sends (for test servers).
    pub fn to_message(&self) -> LdapMessage {
        let mut result = LdapResult::new(self.code);
        result.message = self.message.clone();
        let response = ExtendedResponse {
            result,
            name: Some(ByteString::from_static(Self::OID)),
            value: None,
        };
        LdapMessage::new(
            MessageId::UNSOLICITED,
            ProtocolOp::ExtendedResponse(response),
        )
    }
}

/// Fails if `response` names an operation other than `oid`.
fn check_name(response: &ExtendedResponse, oid: &str) -> Result<(), DecodeError> {
    match &response.name {
        Some(name) if name != oid => Err(another_operation()),
        _ => Ok(()),
    }
}

fn another_operation() -> DecodeError {
    DecodeError::new(
        DecodeErrorKind::InvalidValue("the message names another operation"),
        0,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::tests::golden;

    fn msg(id: i32, op: ProtocolOp) -> LdapMessage {
        LdapMessage::new(MessageId(id), op)
    }

    fn success() -> LdapResult {
        LdapResult::new(ResultCode::SUCCESS)
    }

    #[test]
    fn cancel_request_golden_and_errors() {
        // ExtendedRequest { "1.3.6.1.1.8", SEQUENCE { cancelID 300 } }
        let request = Cancel::new(MessageId(300)).to_request();
        assert_eq!(
            request.value.as_deref(),
            Some(&[0x30, 0x04, 0x02, 0x02, 0x01, 0x2c][..])
        );
        assert_eq!(Cancel::from_request(&request).unwrap().id, MessageId(300));
        golden(
            &[
                0x30, 0x1a, 0x02, 0x01, 0x09, 0x77, 0x15, 0x80, 0x0b, b'1', b'.', b'3', b'.', b'6',
                b'.', b'1', b'.', b'1', b'.', b'8', 0x81, 0x06, 0x30, 0x04, 0x02, 0x02, 0x01, 0x2c,
            ],
            &msg(9, ProtocolOp::ExtendedRequest(request)),
        );
        // Another operation, no value, a negative ID, trailing bytes.
        let err = Cancel::from_request(&WhoAmI::request()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value: the message names another operation at byte 0"
        );
        let bare = ExtendedRequest::new(CANCEL, None);
        let err = Cancel::from_request(&bare).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value: a Cancel request has a value at byte 0"
        );
        let negative = ExtendedRequest::new(
            CANCEL,
            Some(Bytes::from_static(&[0x30, 0x03, 0x02, 0x01, 0xff])),
        );
        let err = Cancel::from_request(&negative).unwrap_err();
        assert_eq!(err.to_string(), "cancelID -1 is out of range at byte 2");
        let trailing = ExtendedRequest::new(
            CANCEL,
            Some(Bytes::from_static(&[0x30, 0x03, 0x02, 0x01, 0x01, 0x00])),
        );
        let err = Cancel::from_request(&trailing).unwrap_err();
        assert_eq!(err.to_string(), "1 unexpected trailing bytes at byte 5");
    }

    #[test]
    fn start_tls_request_and_response() {
        let mut bytes = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        bytes.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
        golden(&bytes, &msg(1, ProtocolOp::ExtendedRequest(start_tls())));
        // ExtendedResponse { success, "", "", [10] StartTLS OID }
        let mut bytes = vec![
            0x30, 0x24, 0x02, 0x01, 0x01, 0x78, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x8a, 0x16,
        ];
        bytes.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
        let response = StartTls::response(success());
        golden(
            &bytes,
            &msg(1, ProtocolOp::ExtendedResponse(response.clone())),
        );
        StartTls::parse_response(&response).unwrap();
        // Servers may leave the name out.
        StartTls::parse_response(&ExtendedResponse {
            result: success(),
            name: None,
            value: None,
        })
        .unwrap();
        let with_value = ExtendedResponse {
            value: Some(Bytes::new()),
            ..response
        };
        let err = StartTls::parse_response(&with_value).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("a StartTLS response has no value")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: a StartTLS response has no value at byte 0"
        );
    }

    #[test]
    fn who_am_i_request_and_response() {
        let mut bytes = vec![0x30, 0x1e, 0x02, 0x01, 0x02, 0x77, 0x19, 0x80, 0x17];
        bytes.extend_from_slice(b"1.3.6.1.4.1.4203.1.11.3");
        golden(
            &bytes,
            &msg(2, ProtocolOp::ExtendedRequest(WhoAmI::request())),
        );
        // ExtendedResponse { success, "", "", [11] "dn:cn=a" }
        let bytes = [
            0x30, 0x15, 0x02, 0x01, 0x02, 0x78, 0x10, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x8b, 0x07, 0x64, 0x6e, 0x3a, 0x63, 0x6e, 0x3d, 0x61,
        ];
        let response = WhoAmI::response(success(), Some("dn:cn=a"));
        golden(
            &bytes,
            &msg(2, ProtocolOp::ExtendedResponse(response.clone())),
        );
        assert_eq!(
            WhoAmI::parse_response(&response).unwrap().as_deref(),
            Some("dn:cn=a")
        );
        // Anonymous: an empty value, or none.
        assert_eq!(
            WhoAmI::parse_response(&WhoAmI::response(success(), Some(""))).unwrap(),
            None
        );
        assert_eq!(
            WhoAmI::parse_response(&WhoAmI::response(success(), None)).unwrap(),
            None
        );
        let bad = ExtendedResponse {
            value: Some(Bytes::from_static(&[0xff])),
            ..response.clone()
        };
        let err = WhoAmI::parse_response(&bad).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("the authzId is not UTF-8")
        );
        let other = ExtendedResponse {
            name: Some(ByteString::from_static(START_TLS)),
            ..response
        };
        let err = WhoAmI::parse_response(&other).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("the message names another operation")
        );
    }

    #[test]
    fn password_modify_request() {
        // PasswdModifyRequestValue { [0] "cn=a", [1] "old", [2] "new" }
        let value = [
            0x30, 0x10, 0x80, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x81, 0x03, 0x6f, 0x6c, 0x64, 0x82,
            0x03, 0x6e, 0x65, 0x77,
        ];
        let p = PasswordModify::new()
            .user_identity("cn=a")
            .old_password("old")
            .new_password("new");
        let request = p.to_request();
        assert_eq!(request.name, PASSWORD_MODIFY);
        assert_eq!(request.value.as_deref(), Some(&value[..]));
        assert_eq!(PasswordModify::from_request(&request).unwrap(), p);
        // The whole message.
        let mut bytes = vec![0x30, 0x32, 0x02, 0x01, 0x03, 0x77, 0x2d, 0x80, 0x17];
        bytes.extend_from_slice(b"1.3.6.1.4.1.4203.1.11.1");
        bytes.extend_from_slice(&[0x81, 0x12]);
        bytes.extend_from_slice(&value);
        golden(&bytes, &msg(3, ProtocolOp::ExtendedRequest(p.into())));
        // Only the old password.
        let p = PasswordModify::new().old_password("carolpw");
        let request = ExtendedRequest::from(&p);
        let value = [
            0x30, 0x09, 0x81, 0x07, 0x63, 0x61, 0x72, 0x6f, 0x6c, 0x70, 0x77,
        ];
        assert_eq!(request.value.as_deref(), Some(&value[..]));
        assert_eq!(PasswordModify::from_request(&request).unwrap(), p);
        // Nothing: no value.
        let request = PasswordModify::new().to_request();
        assert_eq!(request.value, None);
        assert_eq!(
            PasswordModify::from_request(&request).unwrap(),
            PasswordModify::new()
        );
        // Fields out of order.
        let bad = ExtendedRequest {
            name: ByteString::from_static(PASSWORD_MODIFY),
            value: Some(Bytes::from_static(&[
                0x30, 0x06, 0x82, 0x01, 0x61, 0x81, 0x01, 0x62,
            ])),
        };
        let err = PasswordModify::from_request(&bad).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 3 });
        let err = PasswordModify::from_request(&WhoAmI::request()).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("the message names another operation")
        );
    }

    #[test]
    fn password_modify_response() {
        // ExtendedResponse { success, "", "", [11] { [0] "gen" } }
        let bytes = [
            0x30, 0x15, 0x02, 0x01, 0x03, 0x78, 0x10, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x8b, 0x07, 0x30, 0x05, 0x80, 0x03, 0x67, 0x65, 0x6e,
        ];
        let generated = Password::new("gen");
        let response = PasswordModify::response(success(), Some(&generated));
        golden(
            &bytes,
            &msg(3, ProtocolOp::ExtendedResponse(response.clone())),
        );
        assert_eq!(
            PasswordModify::parse_response(&response).unwrap(),
            Some(generated)
        );
        // No generated password: no value, or an empty SEQUENCE.
        let none = PasswordModify::response(success(), None);
        assert_eq!(none.value, None);
        assert_eq!(PasswordModify::parse_response(&none).unwrap(), None);
        let empty = ExtendedResponse {
            value: Some(Bytes::from_static(&[0x30, 0x00])),
            ..none
        };
        assert_eq!(PasswordModify::parse_response(&empty).unwrap(), None);
        let bad = ExtendedResponse {
            value: Some(Bytes::from_static(&[0x04, 0x00])),
            ..empty
        };
        let err = PasswordModify::parse_response(&bad).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::SEQUENCE,
                found: Tag::OCTET_STRING
            }
        );
    }

    #[test]
    fn notice_of_disconnection() {
        // ExtendedResponse, message ID 0 { unavailable, "", "bye", [10] notice OID }
        let mut bytes = vec![
            0x30, 0x27, 0x02, 0x01, 0x00, 0x78, 0x22, 0x0a, 0x01, 0x34, 0x04, 0x00, 0x04, 0x03,
            0x62, 0x79, 0x65, 0x8a, 0x16,
        ];
        bytes.extend_from_slice(b"1.3.6.1.4.1.1466.20036");
        let notice = NoticeOfDisconnection {
            code: ResultCode::UNAVAILABLE,
            message: "bye".into(),
        };
        let message = notice.to_message();
        golden(&bytes, &message);
        assert_eq!(NoticeOfDisconnection::from_message(&message), Some(notice));
        // Not under another message ID, nor with another name.
        let other_id = LdapMessage {
            id: MessageId(1),
            ..message.clone()
        };
        assert_eq!(NoticeOfDisconnection::from_message(&other_id), None);
        let ProtocolOp::ExtendedResponse(r) = message.op else {
            unreachable!()
        };
        let other_name = ExtendedResponse {
            name: Some(ByteString::from_static(WHO_AM_I)),
            ..r
        };
        assert_eq!(NoticeOfDisconnection::from_response(&other_name), None);
        assert_eq!(NoticeOfDisconnection::from_unsolicited(&other_name), None);
    }

    /// Unsolicited, a nameless failure is a notice too; a nameless success
    /// is not.
    #[test]
    fn notice_of_disconnection_without_a_name() {
        let mut result = LdapResult::new(ResultCode::PROTOCOL_ERROR);
        result.message = "bad PDU".into();
        let nameless = ExtendedResponse {
            result,
            name: None,
            value: None,
        };
        assert_eq!(NoticeOfDisconnection::from_response(&nameless), None);
        assert_eq!(
            NoticeOfDisconnection::from_unsolicited(&nameless),
            Some(NoticeOfDisconnection {
                code: ResultCode::PROTOCOL_ERROR,
                message: "bad PDU".into(),
            })
        );
        let named = NoticeOfDisconnection {
            code: ResultCode::UNAVAILABLE,
            message: "bye".into(),
        }
        .to_message();
        let ProtocolOp::ExtendedResponse(named) = named.op else {
            unreachable!()
        };
        assert_eq!(
            NoticeOfDisconnection::from_unsolicited(&named),
            NoticeOfDisconnection::from_response(&named)
        );
        let success = ExtendedResponse {
            result: success(),
            name: None,
            value: None,
        };
        assert_eq!(NoticeOfDisconnection::from_unsolicited(&success), None);
    }
}
