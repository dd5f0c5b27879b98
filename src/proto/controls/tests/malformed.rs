//! Every typed control's parser against damaged values: every truncation
//! of a valid value fails with a typed error, and every single-byte change
//! either parses or fails with one: never a panic.

use bytes::Bytes;

use crate::ber::DecodeError;
use crate::proto::controls::*;
use crate::proto::IntermediateResponse;

type Parse = fn(&Control) -> Result<(), DecodeError>;

fn parsers() -> Vec<(Control, Parse)> {
    let uuid = SyncUuid([9; 16]);
    let c = Some(Bytes::from_static(b"cookie"));
    let mut vlv = VlvRequest::new(
        1,
        2,
        VlvTarget::ByOffset {
            offset: 3,
            content_count: 4,
        },
    );
    vlv.context_id = c.clone();
    let mut vlv_response = VlvResponse::new(1, 3, crate::proto::ResultCode::SUCCESS);
    vlv_response.context_id = c.clone();
    let mut ecn = EntryChangeNotification::new(ChangeType::ModDn);
    ecn.previous_dn = Some("cn=old,dc=example".into());
    ecn.change_number = Some(1234);
    vec![
        (
            PasswordPolicyResponse::new(
                Some(PasswordPolicyWarning::TimeBeforeExpiration(86400)),
                Some(PasswordPolicyError::PasswordTooYoung),
            )
            .into(),
            |c| PasswordPolicyResponse::from_control(c).map(drop),
        ),
        (
            SyncRequest::new(SyncMode::RefreshAndPersist, c.clone()).into(),
            |c| SyncRequest::from_control(c).map(drop),
        ),
        (
            SyncState::new(SyncStateKind::Modify, uuid, c.clone()).into(),
            |c| SyncState::from_control(c).map(drop),
        ),
        (SyncDone::new(c, true).into(), |c| {
            SyncDone::from_control(c).map(drop)
        }),
        (PersistentSearch::new(ChangeTypes::ALL).into(), |c| {
            PersistentSearch::from_control(c).map(drop)
        }),
        (ecn.into(), |c| {
            EntryChangeNotification::from_control(c).map(drop)
        }),
        (vlv.into(), |c| VlvRequest::from_control(c).map(drop)),
        (
            VlvRequest::new(
                0,
                0,
                VlvTarget::GreaterThanOrEqual(Bytes::from_static(b"m")),
            )
            .into(),
            |c| VlvRequest::from_control(c).map(drop),
        ),
        (vlv_response.into(), |c| {
            VlvResponse::from_control(c).map(drop)
        }),
        (Subentries::new(true).into(), |c| {
            Subentries::from_control(c).map(drop)
        }),
        (
            SortRequest::new([SortKey {
                attribute: "cn".into(),
                ordering_rule: Some("caseIgnoreOrderingMatch".into()),
                reverse: true,
            }])
            .into(),
            |c| SortRequest::from_control(c).map(drop),
        ),
        (
            SortResponse::new(
                crate::proto::ResultCode::NO_SUCH_ATTRIBUTE,
                Some("cn".into()),
            )
            .into(),
            |c| SortResponse::from_control(c).map(drop),
        ),
    ]
}

fn with_value(c: &Control, value: Vec<u8>) -> Control {
    Control::new(c.oid.clone(), Some(Bytes::from(value)))
}

#[test]
fn truncated_values_fail_with_a_typed_error() {
    for (control, parse) in parsers() {
        let value = control.value.clone().unwrap();
        parse(&control).unwrap();
        for len in 0..value.len() {
            let err = parse(&with_value(&control, value[..len].to_vec()))
                .expect_err(&format!("{} cut to {len} bytes parsed", control.oid));
            let text = err.to_string();
            assert!(text.contains(" at byte "), "{}: {text}", control.oid);
        }
        // One byte too many.
        let mut longer = value.to_vec();
        longer.push(0);
        let err = parse(&with_value(&control, longer)).unwrap_err();
        assert_eq!(
            err.kind,
            crate::ber::DecodeErrorKind::TrailingData { remaining: 1 },
            "{}",
            control.oid
        );
    }
}

#[test]
fn changed_bytes_never_panic() {
    let mut errors = 0;
    for (control, parse) in parsers() {
        let value = control.value.clone().unwrap();
        for at in 0..value.len() {
            for b in [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, value[at] ^ 0x20] {
                let mut v = value.to_vec();
                v[at] = b;
                if let Err(e) = parse(&with_value(&control, v)) {
                    assert!(e.to_string().contains(" at byte "));
                    errors += 1;
                }
            }
        }
    }
    assert!(errors > 100, "only {errors} damaged values were refused");
}

#[test]
fn damaged_sync_info_never_panics() {
    let infos = [
        SyncInfo::NewCookie(Bytes::from_static(b"cookie")),
        SyncInfo::RefreshPresent {
            cookie: Some(Bytes::from_static(b"cookie")),
            refresh_done: false,
        },
        SyncInfo::SyncIdSet {
            cookie: Some(Bytes::from_static(b"cookie")),
            refresh_deletes: true,
            uuids: vec![SyncUuid([1; 16]), SyncUuid([2; 16])],
        },
    ];
    for info in infos {
        let ir = info.to_intermediate();
        let value = ir.value.clone().unwrap();
        let name = ir.name.clone();
        for len in 0..value.len() {
            let cut = IntermediateResponse::new(name.clone(), Some(value.slice(..len)));
            assert!(
                SyncInfo::from_intermediate(&cut).is_err(),
                "{info:?} cut to {len}"
            );
        }
        for at in 0..value.len() {
            for b in [0x00, 0x80, 0xff, value[at] ^ 0x20] {
                let mut v = value.to_vec();
                v[at] = b;
                let ir = IntermediateResponse::new(name.clone(), Some(Bytes::from(v)));
                let _ = SyncInfo::from_intermediate(&ir);
            }
        }
    }
}
