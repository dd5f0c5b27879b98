use super::*;
use crate::proto::tests::{decode_err, golden};
use crate::proto::{LdapMessage, MessageId, ProtocolOp};

#[test]
fn result_with_referral() {
    // SearchResultDone referral (10), matchedDN "o=x", message "see",
    // referral [3] { "ldap://a/" }.
    let bytes = [
        0x30, 0x1f, 0x02, 0x01, 0x02, 0x65, 0x1a, 0x0a, 0x01, 0x0a, 0x04, 0x03, b'o', b'=', b'x',
        0x04, 0x03, b's', b'e', b'e', 0xa3, 0x0b, 0x04, 0x09, b'l', b'd', b'a', b'p', b':', b'/',
        b'/', b'a', b'/',
    ];
    let msg = LdapMessage::new(
        MessageId(2),
        ProtocolOp::SearchResultDone(LdapResult {
            code: ResultCode::REFERRAL,
            matched_dn: "o=x".into(),
            message: "see".into(),
            referrals: vec!["ldap://a/".into()],
        }),
    );
    golden(&bytes, &msg);
}

#[test]
fn unknown_result_codes_are_kept() {
    // ModifyResponse with AD's vendor code 0x2000 (no name).
    let bytes = [
        0x30, 0x0d, 0x02, 0x01, 0x02, 0x67, 0x08, 0x0a, 0x02, 0x20, 0x00, 0x04, 0x00, 0x04, 0x00,
    ];
    let result = LdapResult::new(ResultCode(0x2000));
    golden(
        &bytes,
        &LdapMessage::new(MessageId(2), ProtocolOp::ModifyResponse(result)),
    );
    assert_eq!(ResultCode(0x2000).to_string(), "resultCode 8192");
    assert_eq!(ResultCode::BUSY.to_string(), "busy (51)");
}

#[test]
fn bad_result_code() {
    let err = decode_err(&[
        0x30, 0x0c, 0x02, 0x01, 0x02, 0x67, 0x07, 0x0a, 0x01, 0xff, 0x04, 0x00, 0x04, 0x00,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "resultCode",
            value: -1
        }
    );
    assert_eq!(err.to_string(), "resultCode -1 is out of range at byte 7");
    // Encoded as INTEGER instead of ENUMERATED.
    let err = decode_err(&[
        0x30, 0x0c, 0x02, 0x01, 0x02, 0x67, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::ENUMERATED,
            found: Tag::INTEGER
        }
    );
}

#[test]
fn empty_referral_is_rejected() {
    let err = decode_err(&[
        0x30, 0x0e, 0x02, 0x01, 0x02, 0x67, 0x09, 0x0a, 0x01, 0x0a, 0x04, 0x00, 0x04, 0x00, 0xa3,
        0x00,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("Referral must hold at least one URI")
    );
    assert_eq!(
        err.to_string(),
        "invalid value: Referral must hold at least one URI at byte 16"
    );
}

#[test]
fn message_must_be_utf8() {
    let err = decode_err(&[
        0x30, 0x0d, 0x02, 0x01, 0x02, 0x67, 0x08, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x01, 0xff,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("LDAPString is not UTF-8")
    );
    assert_eq!(err.offset, 12);
}
