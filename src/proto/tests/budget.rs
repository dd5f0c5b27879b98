//! What decoding one message may allocate: the `Vec`s it fills are charged
//! to a budget of 2 bytes per byte of the message plus 8 KiB, and a message
//! of many tiny elements is refused with an error naming the list.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use core::mem::size_of;

use bytes::Bytes;

use crate::ber::{DecodeErrorKind, Limits};
use crate::proto::codec::Budget;
use crate::proto::{ByteString, Control, LdapMessage, ProtocolOp};

/// A TLV with the long length form where needed.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x84);
        out.extend((len as u32).to_be_bytes());
    }
    out.extend_from_slice(content);
    out
}

/// A message with ID 2: `op` (tag and contents), then `controls` if any.
fn message(op_tag: u8, op: &[u8], controls: Option<&[u8]>) -> Bytes {
    let mut body = tlv(0x02, &[2]);
    body.extend(tlv(op_tag, op));
    if let Some(c) = controls {
        body.extend(tlv(0xa0, c));
    }
    Bytes::from(tlv(0x30, &body))
}

/// A SearchResultDone whose referral holds `uris`.
fn done_with_referral(uris: &[u8]) -> Bytes {
    let mut op = tlv(0x0a, &[10]);
    op.extend(tlv(0x04, b""));
    op.extend(tlv(0x04, b""));
    op.extend(tlv(0xa3, uris));
    message(0x65, &op, None)
}

fn done_ok() -> Vec<u8> {
    let mut op = tlv(0x0a, &[0]);
    op.extend(tlv(0x04, b""));
    op.extend(tlv(0x04, b""));
    op
}

fn decode(frame: &Bytes) -> (Result<LdapMessage, crate::ber::DecodeError>, Budget) {
    let budget = Budget::for_len(frame.len());
    let limits = Limits {
        max_len: usize::MAX,
        ..Limits::DEFAULT
    };
    (
        LdapMessage::decode_budgeted(frame.clone(), limits, &budget),
        budget,
    )
}

/// 16 MiB of empty referral URIs (2 bytes each on the wire, 32 decoded)
/// decoded to 272 MiB; now decoding stops at the budget, twice the
/// message's length plus 8 KiB, and says which list was too long.
#[test]
fn sixteen_mib_of_empty_referral_uris_is_refused_at_the_budget() {
    let frame = done_with_referral(&[0x04, 0x00].repeat(8 << 20));
    let (res, budget) = decode(&frame);
    let err = res.unwrap_err();
    let limit = 2 * frame.len() + 8192;
    assert_eq!(budget.limit(), limit);
    assert_eq!(
        err.kind,
        DecodeErrorKind::OverBudget {
            field: "Referral",
            budget: limit
        }
    );
    assert_eq!(
        err.to_string(),
        format!("Referral has more elements than the message's length allows: decoding them would allocate over {limit} bytes, 2 per byte of the message plus 8 KiB at byte {}", err.offset)
    );
    assert!(budget.used() <= limit, "{} > {limit}", budget.used());
}

/// The same for 16 MiB of empty controls (4 bytes each, 72 decoded).
#[test]
fn sixteen_mib_of_empty_controls_is_refused_at_the_budget() {
    let controls = [0x30, 0x02, 0x04, 0x00].repeat(4 << 20);
    let frame = message(0x65, &done_ok(), Some(&controls));
    let (res, budget) = decode(&frame);
    let err = res.unwrap_err();
    let limit = 2 * frame.len() + 8192;
    assert_eq!(
        err.kind,
        DecodeErrorKind::OverBudget {
            field: "Controls",
            budget: limit
        }
    );
    assert!(budget.used() <= limit);
}

/// The same for a SearchResultReference.
#[test]
fn a_reference_of_a_million_empty_uris_is_refused() {
    let frame = message(0x73, &[0x04, 0x00].repeat(1 << 20), None);
    let (res, _) = decode(&frame);
    assert!(matches!(
        res.unwrap_err().kind,
        DecodeErrorKind::OverBudget {
            field: "SearchResultReference",
            ..
        }
    ));
}

/// Real messages fit with room to spare, and what the decode allocates is
/// exactly what was charged: the capacity of its `Vec`s.
#[test]
fn ordinary_lists_decode_within_the_budget() {
    // 10,000 referral URIs of 24 bytes.
    let uri = b"ldap://ldap2.example.com";
    let mut uris = Vec::new();
    for _ in 0..10_000 {
        uris.extend(tlv(0x04, uri));
    }
    let frame = done_with_referral(&uris);
    let (res, budget) = decode(&frame);
    let msg = res.unwrap();
    let ProtocolOp::SearchResultDone(result) = &msg.op else {
        panic!("{msg:?}")
    };
    let referral = &result.referrals;
    assert_eq!(referral.len(), 10_000);
    assert_eq!(budget.used(), referral.capacity() * size_of::<ByteString>());
    assert!(budget.used() <= 2 * frame.len());

    // 100 empty controls: within the slack.
    let controls = [0x30, 0x02, 0x04, 0x00].repeat(100);
    let frame = message(0x65, &done_ok(), Some(&controls));
    let (res, budget) = decode(&frame);
    let msg = res.unwrap();
    assert_eq!(msg.controls.len(), 100);
    assert_eq!(
        budget.used(),
        msg.controls.capacity() * size_of::<Control>()
    );
    assert!(budget.used() <= Budget::SLACK);
}

/// The smallest element that still fits the budget without the slack:
/// `Budget::FACTOR` bytes per byte, so a string of 16 bytes on the wire
/// (32 decoded), as many as fit in 16 MiB.
#[test]
fn elements_of_the_break_even_size_fill_16_mib() {
    let uri = [b'u'; 14];
    let one = tlv(0x04, &uri);
    assert_eq!(one.len() * Budget::FACTOR, size_of::<ByteString>());
    let frame = message(0x73, &one.repeat((16 << 20) / one.len() - 1), None);
    let (res, budget) = decode(&frame);
    let msg = res.unwrap();
    let ProtocolOp::SearchResultReference(uris) = &msg.op else {
        panic!()
    };
    assert_eq!(uris.len(), (16 << 20) / one.len() - 1);
    assert!(budget.used() <= budget.limit());
}
