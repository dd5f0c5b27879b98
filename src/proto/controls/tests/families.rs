//! Golden vectors of the password policy, sync, persistent search, VLV,
//! authorization identity and flag controls, hand-derived from the ASN.1
//! of their RFCs and drafts (each module's docs quote it).

use bytes::Bytes;

use super::{check, raw};
use crate::ber::{DecodeErrorKind, Tag};
use crate::proto::controls::*;
use crate::proto::{IntermediateResponse, ResultCode};

const UUID_A: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];
const UUID_B: [u8; 16] = [7; 16];

#[test]
fn password_policy_request() {
    check(
        PasswordPolicyRequest,
        "1.3.6.1.4.1.42.2.27.8.5.1",
        false,
        None,
    );
    let err = PasswordPolicyRequest::from_control(&raw(oid::PASSWORD_POLICY, &[])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the password policy request has no value")
    );
    assert_eq!(
        err.to_string(),
        "invalid value: the password policy request has no value at byte 0"
    );
}

#[test]
fn password_policy_response() {
    let oid = "1.3.6.1.4.1.42.2.27.8.5.1";
    // warning [0] { timeBeforeExpiration [0] 3600 }
    check(
        PasswordPolicyResponse::new(
            Some(PasswordPolicyWarning::TimeBeforeExpiration(3600)),
            None,
        ),
        oid,
        false,
        Some(&[0x30, 0x06, 0xa0, 0x04, 0x80, 0x02, 0x0e, 0x10]),
    );
    // warning [0] { graceAuthNsRemaining [1] 2 }
    check(
        PasswordPolicyResponse::new(Some(PasswordPolicyWarning::GraceAuthNsRemaining(2)), None),
        oid,
        false,
        Some(&[0x30, 0x05, 0xa0, 0x03, 0x81, 0x01, 0x02]),
    );
    // error [1] passwordExpired
    check(
        PasswordPolicyResponse::new(None, Some(PasswordPolicyError::PasswordExpired)),
        oid,
        false,
        Some(&[0x30, 0x03, 0x81, 0x01, 0x00]),
    );
    // Both, and neither.
    check(
        PasswordPolicyResponse::new(
            Some(PasswordPolicyWarning::GraceAuthNsRemaining(1)),
            Some(PasswordPolicyError::ChangeAfterReset),
        ),
        oid,
        false,
        Some(&[0x30, 0x08, 0xa0, 0x03, 0x81, 0x01, 0x01, 0x81, 0x01, 0x02]),
    );
    check(
        PasswordPolicyResponse::default(),
        oid,
        false,
        Some(&[0x30, 0x00]),
    );
    // Every error the draft names, and one it does not.
    for code in 0..=9 {
        let e = PasswordPolicyError::from_code(code);
        assert_eq!(e.code(), code);
        check(
            PasswordPolicyResponse::new(None, Some(e)),
            oid,
            false,
            Some(&[0x30, 0x03, 0x81, 0x01, code as u8]),
        );
    }
    assert_eq!(
        PasswordPolicyError::from_code(8),
        PasswordPolicyError::PasswordInHistory
    );
    assert_eq!(
        PasswordPolicyError::from_code(9),
        PasswordPolicyError::Other(9)
    );
    // The warning's CHOICE with a tag it does not have.
    let err = PasswordPolicyResponse::from_control(&raw(
        oid::PASSWORD_POLICY,
        &[0x30, 0x05, 0xa0, 0x03, 0x82, 0x01, 0x02],
    ))
    .unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "warning",
            found: Tag::context(2)
        }
    );
    assert_eq!(err.offset, 4);
    // The warning primitive (an implicit tag where the CHOICE needs an
    // explicit one).
    let err = PasswordPolicyResponse::from_control(&raw(
        oid::PASSWORD_POLICY,
        &[0x30, 0x03, 0x80, 0x01, 0x02],
    ))
    .unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 3 });
    // A negative time.
    let err = PasswordPolicyResponse::from_control(&raw(
        oid::PASSWORD_POLICY,
        &[0x30, 0x05, 0xa0, 0x03, 0x80, 0x01, 0xff],
    ))
    .unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "timeBeforeExpiration",
            value: -1
        }
    );
    assert_eq!(
        err.to_string(),
        "timeBeforeExpiration -1 is out of range at byte 4"
    );
    // A negative error.
    let err = PasswordPolicyResponse::from_control(&raw(
        oid::PASSWORD_POLICY,
        &[0x30, 0x03, 0x81, 0x01, 0xff],
    ))
    .unwrap_err();
    assert_eq!(err.to_string(), "error -1 is out of range at byte 2");
}

#[test]
fn sync_request() {
    let oid = "1.3.6.1.4.1.4203.1.9.1.1";
    check(
        SyncRequest::new(SyncMode::RefreshOnly, None),
        oid,
        true,
        Some(&[0x30, 0x03, 0x0a, 0x01, 0x01]),
    );
    check(
        SyncRequest::new(SyncMode::RefreshAndPersist, Some(Bytes::from_static(b"c1"))),
        oid,
        true,
        Some(&[0x30, 0x07, 0x0a, 0x01, 0x03, 0x04, 0x02, 0x63, 0x31]),
    );
    let mut hint = SyncRequest::new(SyncMode::RefreshAndPersist, Some(Bytes::from_static(b"c1")));
    hint.reload_hint = true;
    check(
        hint,
        oid,
        true,
        Some(&[
            0x30, 0x0a, 0x0a, 0x01, 0x03, 0x04, 0x02, 0x63, 0x31, 0x01, 0x01, 0xff,
        ]),
    );
    // Mode 2 is reserved.
    let c = raw(oid::SYNC_REQUEST, &[0x30, 0x03, 0x0a, 0x01, 0x02]);
    let err = SyncRequest::from_control(&c).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownEnumerated {
            field: "mode",
            value: 2
        }
    );
}

#[test]
fn sync_state_and_done() {
    let mut value = vec![0x30, 0x15, 0x0a, 0x01, 0x01, 0x04, 0x10];
    value.extend_from_slice(&UUID_A);
    check(
        SyncState::new(SyncStateKind::Add, SyncUuid(UUID_A), None),
        "1.3.6.1.4.1.4203.1.9.1.2",
        false,
        Some(&value),
    );
    let mut value = vec![0x30, 0x18, 0x0a, 0x01, 0x03, 0x04, 0x10];
    value.extend_from_slice(&UUID_B);
    value.extend_from_slice(&[0x04, 0x01, 0x63]);
    check(
        SyncState::new(
            SyncStateKind::Delete,
            SyncUuid(UUID_B),
            Some(Bytes::from_static(b"c")),
        ),
        "1.3.6.1.4.1.4203.1.9.1.2",
        false,
        Some(&value),
    );
    assert_eq!(
        SyncUuid(UUID_A).to_string(),
        "00112233-4455-6677-8899-aabbccddeeff"
    );
    // A UUID of 15 octets.
    let c = raw(
        oid::SYNC_STATE,
        &[
            0x30, 0x14, 0x0a, 0x01, 0x00, 0x04, 0x0f, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
            14,
        ],
    );
    let err = SyncState::from_control(&c).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: syncUUID must have exactly 16 octets at byte 5"
    );

    check(
        SyncDone::new(Some(Bytes::from_static(b"c")), true),
        "1.3.6.1.4.1.4203.1.9.1.3",
        false,
        Some(&[0x30, 0x06, 0x04, 0x01, 0x63, 0x01, 0x01, 0xff]),
    );
    check(
        SyncDone::default(),
        "1.3.6.1.4.1.4203.1.9.1.3",
        false,
        Some(&[0x30, 0x00]),
    );
}

fn info_round_trip(info: SyncInfo, value: &[u8]) {
    let ir = info.to_intermediate();
    assert_eq!(ir.name.as_deref(), Some("1.3.6.1.4.1.4203.1.9.1.4"));
    assert_eq!(ir.value.as_deref(), Some(value));
    assert_eq!(SyncInfo::from_intermediate(&ir).unwrap(), info);
}

#[test]
fn sync_info() {
    info_round_trip(
        SyncInfo::NewCookie(Bytes::from_static(b"c1")),
        &[0x80, 0x02, 0x63, 0x31],
    );
    info_round_trip(
        SyncInfo::RefreshDelete {
            cookie: None,
            refresh_done: true,
        },
        &[0xa1, 0x00],
    );
    info_round_trip(
        SyncInfo::RefreshPresent {
            cookie: Some(Bytes::from_static(b"c")),
            refresh_done: false,
        },
        &[0xa2, 0x06, 0x04, 0x01, 0x63, 0x01, 0x01, 0x00],
    );
    let mut value = vec![0xa3, 0x29, 0x01, 0x01, 0xff, 0x31, 0x24, 0x04, 0x10];
    value.extend_from_slice(&UUID_A);
    value.extend_from_slice(&[0x04, 0x10]);
    value.extend_from_slice(&UUID_B);
    let info = SyncInfo::SyncIdSet {
        cookie: None,
        refresh_deletes: true,
        uuids: vec![SyncUuid(UUID_A), SyncUuid(UUID_B)],
    };
    info_round_trip(info.clone(), &value);
    assert_eq!(info.cookie(), None);
    // An explicit refreshDone TRUE reads as the default.
    let ir = IntermediateResponse::new(
        Some(oid::SYNC_INFO.into()),
        Some(Bytes::from_static(&[0xa1, 0x03, 0x01, 0x01, 0xff])),
    );
    assert_eq!(
        SyncInfo::from_intermediate(&ir).unwrap(),
        SyncInfo::RefreshDelete {
            cookie: None,
            refresh_done: true
        }
    );
    // Another intermediate response, none at all, and a [4].
    let err = SyncInfo::from_intermediate(&IntermediateResponse::new(Some("1.2".into()), None))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: the intermediate response is not a Sync Info at byte 0"
    );
    let err = SyncInfo::from_intermediate(&IntermediateResponse::new(
        Some(oid::SYNC_INFO.into()),
        None,
    ))
    .unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the Sync Info message has no value")
    );
    let ir = IntermediateResponse::new(
        Some(oid::SYNC_INFO.into()),
        Some(Bytes::from_static(&[0xa4, 0x00])),
    );
    let err = SyncInfo::from_intermediate(&ir).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "syncInfoValue",
            found: Tag::context(4).constructed()
        }
    );
    // newcookie constructed.
    let ir = IntermediateResponse::new(
        Some(oid::SYNC_INFO.into()),
        Some(Bytes::from_static(&[0xa0, 0x00])),
    );
    assert_eq!(
        SyncInfo::from_intermediate(&ir).unwrap_err().kind,
        DecodeErrorKind::BadConstruction
    );
}

#[test]
fn persistent_search() {
    check(
        PersistentSearch::new(ChangeTypes::ALL),
        "2.16.840.1.113730.3.4.3",
        true,
        Some(&[
            0x30, 0x09, 0x02, 0x01, 0x0f, 0x01, 0x01, 0xff, 0x01, 0x01, 0xff,
        ]),
    );
    let mut p = PersistentSearch::new(ChangeTypes::ADD | ChangeTypes::MOD_DN);
    p.changes_only = false;
    assert!(p.change_types.contains(ChangeTypes::MOD_DN));
    assert!(!p.change_types.contains(ChangeTypes::DELETE));
    check(
        p,
        "2.16.840.1.113730.3.4.3",
        true,
        Some(&[
            0x30, 0x09, 0x02, 0x01, 0x09, 0x01, 0x01, 0x00, 0x01, 0x01, 0xff,
        ]),
    );
    let c = raw(
        oid::PERSISTENT_SEARCH,
        &[
            0x30, 0x09, 0x02, 0x01, 0x10, 0x01, 0x01, 0xff, 0x01, 0x01, 0xff,
        ],
    );
    let err = PersistentSearch::from_control(&c).unwrap_err();
    assert_eq!(err.to_string(), "changeTypes 16 is out of range at byte 2");
}

#[test]
fn entry_change_notification() {
    let oid = "2.16.840.1.113730.3.4.7";
    check(
        EntryChangeNotification::new(ChangeType::Add),
        oid,
        false,
        Some(&[0x30, 0x03, 0x0a, 0x01, 0x01]),
    );
    let mut e = EntryChangeNotification::new(ChangeType::ModDn);
    e.previous_dn = Some("cn=a".into());
    e.change_number = Some(42);
    check(
        e,
        oid,
        false,
        Some(&[
            0x30, 0x0c, 0x0a, 0x01, 0x08, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x02, 0x01, 0x2a,
        ]),
    );
    let c = raw(
        oid::ENTRY_CHANGE_NOTIFICATION,
        &[0x30, 0x03, 0x0a, 0x01, 0x03],
    );
    let err = EntryChangeNotification::from_control(&c).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownEnumerated {
            field: "changeType",
            value: 3
        }
    );
}

#[test]
fn vlv() {
    check(
        VlvRequest::new(
            1,
            2,
            VlvTarget::ByOffset {
                offset: 3,
                content_count: 0,
            },
        ),
        "2.16.840.1.113730.3.4.9",
        false,
        Some(&[
            0x30, 0x0e, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0xa0, 0x06, 0x02, 0x01, 0x03, 0x02,
            0x01, 0x00,
        ]),
    );
    let mut r = VlvRequest::new(
        0,
        5,
        VlvTarget::GreaterThanOrEqual(Bytes::from_static(b"m")),
    );
    r.context_id = Some(Bytes::from_static(b"x"));
    check(
        r,
        "2.16.840.1.113730.3.4.9",
        false,
        Some(&[
            0x30, 0x0c, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05, 0x81, 0x01, 0x6d, 0x04, 0x01, 0x78,
        ]),
    );
    let mut resp = VlvResponse::new(1, 3, ResultCode::SUCCESS);
    resp.context_id = Some(Bytes::from_static(b"x"));
    check(
        resp,
        "2.16.840.1.113730.3.4.10",
        false,
        Some(&[
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x00, 0x04, 0x01, 0x78,
        ]),
    );
    // A target [2].
    let c = raw(
        oid::VLV_REQUEST,
        &[
            0x30, 0x09, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x82, 0x01, 0x6d,
        ],
    );
    let err = VlvRequest::from_control(&c).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "target",
            found: Tag::context(2)
        }
    );
    assert_eq!(err.offset, 8);
}

#[test]
fn authz_identity() {
    check(AuthzIdRequest, "2.16.840.1.113730.3.4.16", false, None);
    check(
        AuthzIdResponse::new("dn:cn=a"),
        "2.16.840.1.113730.3.4.15",
        false,
        Some(b"dn:cn=a"),
    );
    check(
        AuthzIdResponse::new(""),
        "2.16.840.1.113730.3.4.15",
        false,
        Some(b""),
    );
    let absent = Control::new(oid::AUTHZ_ID_RESPONSE, None);
    assert_eq!(
        AuthzIdResponse::from_control(&absent).unwrap(),
        AuthzIdResponse::new("")
    );
    let err = AuthzIdResponse::from_control(&raw(oid::AUTHZ_ID_RESPONSE, &[0xff])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: LDAPString is not UTF-8 at byte 0"
    );
    let err = AuthzIdRequest::from_control(&raw(oid::AUTHZ_ID_REQUEST, &[])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the authorization identity request has no value")
    );
}

#[test]
fn flags() {
    check(TreeDelete, "1.2.840.113556.1.4.805", true, None);
    check(RelaxRules, "1.3.6.1.4.1.4203.666.5.12", true, None);
    check(DontUseCopy, "1.3.6.1.1.22", true, None);
    check(
        Subentries::new(true),
        "1.3.6.1.4.1.4203.1.10.1",
        false,
        Some(&[0x01, 0x01, 0xff]),
    );
    check(
        Subentries::new(false),
        "1.3.6.1.4.1.4203.1.10.1",
        false,
        Some(&[0x01, 0x01, 0x00]),
    );
    let err = TreeDelete::from_control(&raw(oid::TREE_DELETE, &[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: tree delete has no value at byte 0"
    );
    let err = RelaxRules::from_control(&raw(oid::RELAX_RULES, &[])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("relax rules has no value")
    );
    let err = DontUseCopy::from_control(&raw(oid::DONT_USE_COPY, &[])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("don't-use-copy has no value")
    );
    let err = DontUseCopy::from_control(&TreeDelete.to_control()).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("the control has another OID")
    );
    let err = Subentries::from_control(&Control::new(oid::SUBENTRIES, None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: the control has no value at byte 0"
    );
    let err = Subentries::from_control(&raw(oid::SUBENTRIES, &[0x04, 0x01, 0xff])).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::BOOLEAN,
            found: Tag::OCTET_STRING
        }
    );
}

/// Values slapd 2.5 sent (`ldapsearch -E sync=ro`, `-E sss=... -E vlv=...`),
/// read with the typed parsers.
#[test]
fn values_captured_from_slapd() {
    let state = raw(
        oid::SYNC_STATE,
        &[
            0x30, 0x15, 0x0a, 0x01, 0x01, 0x04, 0x10, 0x12, 0x1f, 0x5c, 0xfa, 0x80, 0x38, 0x10,
            0x41, 0x9a, 0x06, 0x33, 0x0a, 0x29, 0x1c, 0xab, 0x8d,
        ],
    );
    let state = SyncState::from_control(&state).unwrap();
    assert_eq!(state.state, SyncStateKind::Add);
    assert_eq!(
        state.entry_uuid.to_string(),
        "121f5cfa-8038-1041-9a06-330a291cab8d"
    );
    assert_eq!(state.cookie, None);

    let mut done = vec![0x30, 0x39, 0x04, 0x34];
    done.extend_from_slice(b"rid=000,csn=20261129115939.349108Z#000000#000#000000");
    done.extend_from_slice(&[0x01, 0x01, 0xff]);
    let done =
        SyncDone::from_control(&Control::new(oid::SYNC_DONE, Some(Bytes::from(done)))).unwrap();
    assert!(done.refresh_deletes);
    assert_eq!(
        done.cookie.as_deref(),
        Some(&b"rid=000,csn=20261129115939.349108Z#000000#000#000000"[..])
    );

    let vlv = raw(
        oid::VLV_RESPONSE,
        &[
            0x30, 0x13, 0x02, 0x01, 0x02, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x00, 0x04, 0x08, 0x30,
            0x63, 0x10, 0x68, 0xc3, 0x7f, 0x00, 0x00,
        ],
    );
    let vlv = VlvResponse::from_control(&vlv).unwrap();
    assert_eq!((vlv.target_position, vlv.content_count), (2, 3));
    assert_eq!(vlv.result, ResultCode::SUCCESS);
    assert_eq!(vlv.context_id.unwrap().len(), 8);
}

/// A sort request of many tiny keys is charged to the decode budget like
/// every other `SEQUENCE OF` (RFC 2891's `SortKeyList`): 6 bytes on the
/// wire per key cost a `SortKey` each.
#[test]
fn sort_key_list_is_charged_to_the_budget() {
    let n = 2000;
    let mut value = Vec::new();
    for _ in 0..n {
        value.extend_from_slice(&[0x30, 0x04, 0x04, 0x02, b'c', b'n']);
    }
    let len = value.len();
    let mut whole = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
    whole.extend_from_slice(&value);
    let c = Control::new(oid::SORT_REQUEST, Some(Bytes::from(whole)));
    let err = SortRequest::from_control(&c)
        .map(|r| r.keys.len())
        .unwrap_err();
    assert!(
        matches!(
            err.kind,
            DecodeErrorKind::OverBudget {
                field: "SortKeyList",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("SortKeyList has more elements than the message's length allows"),
        "{err}"
    );
    // Within the budget, the same keys decode.
    let few = SortRequest::new((0..50).map(|_| SortKey::new("cn")));
    assert_eq!(SortRequest::from_control(&few.to_control()).unwrap(), few);
}
