//! The typed controls' values against the same values built with the
//! `lber` crate (ldap3's codec) from the ASN.1 by hand: tag by tag, an
//! independent encoder, so a wrong class, number or construction bit
//! shows as a difference.

use bytes::Bytes;
use lber::common::TagClass;
use lber::structure::{StructureTag, PL};

use crate::proto::controls::*;
use crate::proto::ResultCode;

// Universal tag numbers.
const BOOLEAN: u64 = 1;
const INTEGER: u64 = 2;
const OCTET_STRING: u64 = 4;
const ENUMERATED: u64 = 10;
const SEQUENCE: u64 = 16;
const SET: u64 = 17;

fn prim(class: TagClass, id: u64, value: &[u8]) -> StructureTag {
    StructureTag {
        class,
        id,
        payload: PL::P(value.to_vec()),
    }
}

fn cons(class: TagClass, id: u64, children: Vec<StructureTag>) -> StructureTag {
    StructureTag {
        class,
        id,
        payload: PL::C(children),
    }
}

fn univ(id: u64, value: &[u8]) -> StructureTag {
    prim(TagClass::Universal, id, value)
}

fn seq(children: Vec<StructureTag>) -> StructureTag {
    cons(TagClass::Universal, SEQUENCE, children)
}

fn lber_bytes(tag: StructureTag) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    lber::write::encode_into(&mut out, tag).unwrap();
    out.to_vec()
}

fn value_of(c: impl Into<Control>) -> Vec<u8> {
    c.into().value.unwrap().to_vec()
}

#[test]
fn typed_values_match_lber_encodings() {
    // Password policy: warning [0] { graceAuthNsRemaining [1] 3 }, error [1] 2.
    let mine = value_of(PasswordPolicyResponse::new(
        Some(PasswordPolicyWarning::GraceAuthNsRemaining(3)),
        Some(PasswordPolicyError::ChangeAfterReset),
    ));
    let theirs = lber_bytes(seq(vec![
        cons(TagClass::Context, 0, vec![prim(TagClass::Context, 1, &[3])]),
        prim(TagClass::Context, 1, &[2]),
    ]));
    assert_eq!(mine, theirs, "password policy");

    // Sync request: refreshAndPersist, a cookie, the reload hint.
    let mut request =
        SyncRequest::new(SyncMode::RefreshAndPersist, Some(Bytes::from_static(b"ck")));
    request.reload_hint = true;
    let theirs = lber_bytes(seq(vec![
        univ(ENUMERATED, &[3]),
        univ(OCTET_STRING, b"ck"),
        univ(BOOLEAN, &[0xff]),
    ]));
    assert_eq!(value_of(request), theirs, "sync request");

    // Sync state: delete, a UUID, a cookie.
    let uuid = [0x5a; 16];
    let state = SyncState::new(
        SyncStateKind::Delete,
        SyncUuid(uuid),
        Some(Bytes::from_static(b"c")),
    );
    let theirs = lber_bytes(seq(vec![
        univ(ENUMERATED, &[3]),
        univ(OCTET_STRING, &uuid),
        univ(OCTET_STRING, b"c"),
    ]));
    assert_eq!(value_of(state), theirs, "sync state");

    // Sync Info syncIdSet [3] { cookie, refreshDeletes TRUE, SET OF UUID }.
    let info = SyncInfo::SyncIdSet {
        cookie: Some(Bytes::from_static(b"c")),
        refresh_deletes: true,
        uuids: vec![SyncUuid(uuid), SyncUuid([1; 16])],
    };
    let theirs = lber_bytes(cons(
        TagClass::Context,
        3,
        vec![
            univ(OCTET_STRING, b"c"),
            univ(BOOLEAN, &[0xff]),
            cons(
                TagClass::Universal,
                SET,
                vec![univ(OCTET_STRING, &uuid), univ(OCTET_STRING, &[1; 16])],
            ),
        ],
    ));
    assert_eq!(
        info.to_intermediate().value.unwrap().to_vec(),
        theirs,
        "sync info"
    );
    // newcookie [0], primitive.
    let theirs = lber_bytes(prim(TagClass::Context, 0, b"nc"));
    let info = SyncInfo::NewCookie(Bytes::from_static(b"nc"));
    assert_eq!(info.to_intermediate().value.unwrap().to_vec(), theirs);

    // Persistent search and entry change notification.
    let theirs = lber_bytes(seq(vec![
        univ(INTEGER, &[5]),
        univ(BOOLEAN, &[0xff]),
        univ(BOOLEAN, &[0xff]),
    ]));
    let p = PersistentSearch::new(ChangeTypes::ADD | ChangeTypes::MODIFY);
    assert_eq!(value_of(p), theirs, "persistent search");
    let mut ecn = EntryChangeNotification::new(ChangeType::ModDn);
    ecn.previous_dn = Some("cn=x".into());
    ecn.change_number = Some(300);
    let theirs = lber_bytes(seq(vec![
        univ(ENUMERATED, &[8]),
        univ(OCTET_STRING, b"cn=x"),
        univ(INTEGER, &[0x01, 0x2c]),
    ]));
    assert_eq!(value_of(ecn), theirs, "entry change notification");

    // VLV request, both targets, and the response.
    let by_offset = VlvRequest::new(
        2,
        3,
        VlvTarget::ByOffset {
            offset: 200,
            content_count: 0,
        },
    );
    let theirs = lber_bytes(seq(vec![
        univ(INTEGER, &[2]),
        univ(INTEGER, &[3]),
        cons(
            TagClass::Context,
            0,
            vec![univ(INTEGER, &[0x00, 0xc8]), univ(INTEGER, &[0])],
        ),
    ]));
    assert_eq!(value_of(by_offset), theirs, "VLV by offset");
    let mut gte = VlvRequest::new(
        0,
        1,
        VlvTarget::GreaterThanOrEqual(Bytes::from_static(b"m")),
    );
    gte.context_id = Some(Bytes::from_static(b"id"));
    let theirs = lber_bytes(seq(vec![
        univ(INTEGER, &[0]),
        univ(INTEGER, &[1]),
        prim(TagClass::Context, 1, b"m"),
        univ(OCTET_STRING, b"id"),
    ]));
    assert_eq!(value_of(gte), theirs, "VLV greater than or equal");
    let response = VlvResponse::new(1, 3, ResultCode(61));
    let theirs = lber_bytes(seq(vec![
        univ(INTEGER, &[1]),
        univ(INTEGER, &[3]),
        univ(ENUMERATED, &[61]),
    ]));
    assert_eq!(value_of(response), theirs, "VLV response");

    // Subentries: a bare BOOLEAN.
    let theirs = lber_bytes(univ(BOOLEAN, &[0xff]));
    assert_eq!(value_of(Subentries::new(true)), theirs, "subentries");
}
