//! The bottom of `proto`: the received [`Frame`] with its allocation
//! [`Budget`], the field readers and writers every PDU codec uses (strings,
//! integers in a range, enumerations, CHOICE errors, `SEQUENCE OF`
//! strings), and the [`MessageId`].
//!
//! Only [`ber`](crate::ber) is below this file; every other file of `proto`
//! is above it.
//!
//! # What decoding may allocate
//!
//! Strings and values are slices of the frame, but every `SEQUENCE OF` the
//! model holds as a `Vec` (controls, referral and reference URIs, the
//! attributes and values of requests, modifications, filter parts) costs
//! the size of its element type per element: 32 bytes for a string that
//! took 2 bytes on the wire, 72 for a control of 4. Without a bound, a
//! 16 MiB message of empty URIs decoded to 272 MiB. So each decode has a
//! [`Budget`] of [`Budget::FACTOR`] bytes per byte of the message plus
//! [`Budget::SLACK`], and every `Vec` it fills is charged for its
//! capacity before it is allocated; the decode that would go over fails
//! with [`DecodeErrorKind::OverBudget`] naming the field. Real messages
//! stay far below (a URI of 14 bytes or more, a control with an OID of a
//! real length, or any list short enough for the slack).

use core::cell::Cell;
use core::fmt;
use core::mem::size_of;
use core::ops::RangeInclusive;

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag, Tlv, Writer};

/// How many bytes the `Vec`s of one decode may take: [`Budget::FACTOR`]
/// bytes per byte of the message, plus [`Budget::SLACK`]. See the [module
/// docs](self).
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: Cell<usize>,
}

impl Budget {
    /// Bytes of `Vec` storage allowed per byte of the message.
    pub(crate) const FACTOR: usize = 2;
    /// Bytes allowed whatever the message's length: room for the short
    /// lists of ordinary messages (256 strings, over 100 controls).
    pub(crate) const SLACK: usize = 8 * 1024;

    /// The budget of a message of `len` bytes.
    pub(crate) fn for_len(len: usize) -> Self {
        Self {
            limit: len.saturating_mul(Self::FACTOR).saturating_add(Self::SLACK),
            used: Cell::new(0),
        }
    }

    /// What the decode may allocate in all.
    #[cfg(test)]
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// What it has allocated so far (the capacity of its `Vec`s).
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.get()
    }

    /// What is left.
    fn left(&self) -> usize {
        self.limit.saturating_sub(self.used.get())
    }
}

/// The frame a message is decoded from, and the [`Budget`] of the decode.
/// Values that the reader hands out as `&[u8]` are turned into `Bytes`
/// sharing the frame's allocation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame<'a>(pub(crate) &'a Bytes, pub(crate) &'a Budget);

impl Frame<'_> {
    /// Charges `bytes` to the budget, or fails naming `field` (at
    /// `offset`) when they do not fit.
    pub(crate) fn charge(
        self,
        bytes: usize,
        field: &'static str,
        offset: usize,
    ) -> Result<(), DecodeError> {
        if bytes > self.1.left() {
            let kind = DecodeErrorKind::OverBudget {
                field,
                budget: self.1.limit,
            };
            return Err(DecodeError::new(kind, offset));
        }
        self.1.used.set(self.1.used.get().saturating_add(bytes));
        Ok(())
    }

    /// An empty `Vec` for the elements left in `r` (the `SEQUENCE OF`
    /// `field`), with room for about as many as [`capacity_hint`] counts
    /// (no more than the budget has left), charged.
    pub(crate) fn vec_for<T>(
        self,
        r: &Reader<'_>,
        field: &'static str,
    ) -> Result<Vec<T>, DecodeError> {
        let size = size_of::<T>().max(1);
        let n = capacity_hint(r).min(self.1.left() / size);
        self.charge(n * size, field, r.offset())?;
        Ok(Vec::with_capacity(n))
    }

    /// Pushes `item` (read at `offset`) onto `out`, a `Vec` of `field`
    /// made by [`vec_for`](Self::vec_for), charging any room it has to
    /// grow by (doubling, at least 4).
    pub(crate) fn push<T>(
        self,
        out: &mut Vec<T>,
        item: T,
        field: &'static str,
        offset: usize,
    ) -> Result<(), DecodeError> {
        if out.len() == out.capacity() {
            let more = out.capacity().max(4);
            self.charge(more.saturating_mul(size_of::<T>()), field, offset)?;
            out.reserve_exact(more);
        }
        out.push(item);
        Ok(())
    }

    /// `part` as `Bytes`: an O(1) slice when `part` lies inside the frame
    /// (always the case for slices from a `Reader` over it), a copy otherwise.
    pub(crate) fn bytes(self, part: &[u8]) -> Bytes {
        match self.range_of(part) {
            Some(range) => self.0.slice(range),
            None => Bytes::copy_from_slice(part),
        }
    }

    /// Where `part` lies in the frame, or `None` if it is not inside it.
    pub(crate) fn range_of(self, part: &[u8]) -> Option<core::ops::Range<usize>> {
        let from = (part.as_ptr() as usize).checked_sub(self.0.as_ptr() as usize)?;
        let to = from.checked_add(part.len())?;
        (to <= self.0.len()).then_some(from..to)
    }

    /// `part` as a zero-copy UTF-8 string; `offset` locates errors.
    pub(crate) fn string(self, part: &[u8], offset: usize) -> Result<ByteString, DecodeError> {
        ByteString::try_from(self.bytes(part)).map_err(|_| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue("LDAPString is not UTF-8"),
                offset,
            )
        })
    }
}

/// An LDAP message ID (RFC 4511 §4.1.1.1): `0` is reserved for unsolicited
/// notifications, requests use `1..=2^31-1`.
///
/// The number is never negative (`MessageID ::= INTEGER (0 .. maxInt)`):
/// make one with [`MessageId::new`], read it with [`MessageId::get`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub(crate) i32);

impl MessageId {
    /// The ID of unsolicited notifications.
    pub const UNSOLICITED: Self = Self(0);

    /// The message ID `id`, or `None` if it is negative (outside
    /// `0 .. maxInt`).
    ///
    /// ```
    /// use tokio_ldap::proto::MessageId;
    ///
    /// assert_eq!(MessageId::new(7).map(MessageId::get), Some(7));
    /// assert_eq!(MessageId::new(0), Some(MessageId::UNSOLICITED));
    /// assert_eq!(MessageId::new(-1), None);
    /// ```
    pub const fn new(id: i32) -> Option<Self> {
        if id < 0 {
            None
        } else {
            Some(Self(id))
        }
    }

    /// The number, in `0..=2^31-1`.
    pub const fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

// What each kind of string is called in errors (RFC 4511 §4.1.2-§4.1.5).
pub(crate) const LDAP_STRING: &str = "LDAPString is not UTF-8";
pub(crate) const LDAP_DN: &str = "LDAPDN is not UTF-8";
pub(crate) const LDAP_OID: &str = "LDAPOID is not UTF-8";
pub(crate) const ATTRIBUTE_DESCRIPTION: &str = "AttributeDescription is not UTF-8";

/// Reads `MessageID ::= INTEGER (0 ..  maxInt)` with `tag`.
pub(crate) fn read_message_id(r: &mut Reader<'_>, tag: Tag) -> Result<MessageId, DecodeError> {
    read_max_int(r, tag, "messageID").map(MessageId)
}

/// Reads an `INTEGER (0 ..  maxInt)` with `tag`; `field` names it in the
/// error (`maxInt INTEGER ::= 2147483647 -- (2^^31 - 1) --`).
pub(crate) fn read_max_int(
    r: &mut Reader<'_>,
    tag: Tag,
    field: &'static str,
) -> Result<i32, DecodeError> {
    read_int_in(r, tag, field, 0..=i64::from(i32::MAX))
}

/// The error for a CHOICE whose alternatives are `known` and whose
/// element at `offset` has tag `found`: a known tag number with the wrong
/// primitive/constructed bit is [`DecodeErrorKind::BadConstruction`], any
/// other tag [`DecodeErrorKind::UnknownChoice`].
pub(crate) fn choice_error(
    field: &'static str,
    found: Tag,
    offset: usize,
    known: &[Tag],
) -> DecodeError {
    let flipped = Tag {
        constructed: !found.constructed,
        ..found
    };
    let kind = if known.contains(&flipped) {
        DecodeErrorKind::BadConstruction
    } else {
        DecodeErrorKind::UnknownChoice { field, found }
    };
    DecodeError::new(kind, offset)
}

/// The next element's tag, which must exist; `offset` is where it starts.
pub(crate) fn next_tag(r: &Reader<'_>) -> Result<(Tag, usize), DecodeError> {
    match r.peek_tag()? {
        Some(tag) => Ok((tag, r.offset())),
        None => Err(r.error(DecodeErrorKind::Truncated { needed: 1 })),
    }
}

/// Reads an INTEGER (or ENUMERATED) with `tag` that must lie in `range`,
/// as a `T`; `field` names it in the error.
///
/// A value outside `range`, or one that does not fit in `T`, is a
/// [`DecodeErrorKind::IntegerOutOfRange`] error at the element's offset:
/// never a silent default.
pub(crate) fn read_int_in<T: TryFrom<i64>>(
    r: &mut Reader<'_>,
    tag: Tag,
    field: &'static str,
    range: RangeInclusive<i64>,
) -> Result<T, DecodeError> {
    let offset = r.offset();
    let value = r.integer(tag)?;
    range
        .contains(&value)
        .then(|| T::try_from(value).ok())
        .flatten()
        .ok_or_else(|| {
            DecodeError::new(DecodeErrorKind::IntegerOutOfRange { field, value }, offset)
        })
}

/// Reads an ENUMERATED and maps it with `f`; a value `f` does not know is
/// an [`DecodeErrorKind::UnknownEnumerated`] error naming `field`.
pub(crate) fn read_enum<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    f: impl FnOnce(i64) -> Option<T>,
) -> Result<T, DecodeError> {
    let offset = r.offset();
    let value = r.integer(Tag::ENUMERATED)?;
    f(value).ok_or_else(|| {
        DecodeError::new(DecodeErrorKind::UnknownEnumerated { field, value }, offset)
    })
}

/// Reads a primitive element with `tag` whose content must be UTF-8;
/// `what` is the error text when it is not.
pub(crate) fn read_string(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    tag: Tag,
    what: &'static str,
) -> Result<ByteString, DecodeError> {
    let tlv = r.element(tag)?;
    tlv_string(src, &tlv, what)
}

/// The content of `tlv` as a zero-copy UTF-8 string.
pub(crate) fn tlv_string(
    src: Frame<'_>,
    tlv: &Tlv<'_>,
    what: &'static str,
) -> Result<ByteString, DecodeError> {
    src.string(tlv.value, tlv.offset).map_err(|e| DecodeError {
        kind: DecodeErrorKind::InvalidValue(what),
        ..e
    })
}

/// Reads a primitive element with `tag` as zero-copy bytes.
pub(crate) fn read_bytes(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    tag: Tag,
) -> Result<Bytes, DecodeError> {
    Ok(src.bytes(r.octet_string(tag)?))
}

/// Reads an optional primitive element with `tag` as zero-copy bytes.
pub(crate) fn read_opt_bytes(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    tag: Tag,
) -> Result<Option<Bytes>, DecodeError> {
    Ok(r.optional(tag)?.map(|tlv| src.bytes(tlv.value)))
}

/// Reads an optional primitive element with `tag` as a UTF-8 string.
pub(crate) fn read_opt_string(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    tag: Tag,
    what: &'static str,
) -> Result<Option<ByteString>, DecodeError> {
    r.optional(tag)?
        .map(|tlv| tlv_string(src, &tlv, what))
        .transpose()
}

/// Reads `SEQUENCE OF LDAPString`-style contents, the field `field`: every
/// remaining element must be a primitive with `tag` holding UTF-8 (`what`
/// is the error when one does not). Charged to the budget.
pub(crate) fn read_strings(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    tag: Tag,
    field: &'static str,
    what: &'static str,
) -> Result<Vec<ByteString>, DecodeError> {
    let mut out = src.vec_for(r, field)?;
    while !r.is_empty() {
        let offset = r.offset();
        let s = read_string(r, src, tag, what)?;
        src.push(&mut out, s, field, offset)?;
    }
    Ok(out)
}

/// About how many elements are left in `r`, to size a `Vec` before
/// decoding them: a skim over the headers that validates nothing (the
/// decoder that follows does) and gives up at anything unusual. Never more
/// than half the remaining bytes.
pub(crate) fn capacity_hint(r: &Reader<'_>) -> usize {
    let rest = r.rest();
    let mut n = 0;
    let mut at = 0usize;
    while let Some(&[first, len]) = rest
        .get(at..at.saturating_add(2))
        .and_then(|h| h.first_chunk())
    {
        if first & 0x1f == 0x1f || len >= 0x80 {
            // A high tag number or a long length: count the rest one by one.
            let mut r = r.clone();
            let mut n = 0;
            while !r.is_empty() && r.tlv().is_ok() {
                n += 1;
            }
            return n;
        }
        at = at.saturating_add(2 + usize::from(len));
        n += 1;
    }
    n
}

/// Writes `SEQUENCE OF`-style contents: each string as a primitive `tag`.
pub(crate) fn write_strings(w: &mut Writer<'_>, tag: Tag, items: &[ByteString]) {
    for s in items {
        w.octet_string(tag, s.as_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Slices of the frame come back as zero-copy views of it; anything
    /// else, even bytes right before or straddling its end, is copied.
    #[test]
    fn parts_inside_the_frame_are_shared_others_copied() {
        let backing = Bytes::from_static(b"xxhello worldyy");
        let frame = backing.slice(2..13);
        let budget = Budget::for_len(frame.len());
        let src = Frame(&frame, &budget);
        assert_eq!(src.range_of(&frame[6..]), Some(6..11));
        assert_eq!(src.range_of(&frame[..0]), Some(0..0));
        let world = src.bytes(&frame[6..]);
        assert_eq!(world, "world");
        assert_eq!(world.as_ptr(), frame[6..].as_ptr(), "shared, not copied");

        assert_eq!(src.range_of(&backing[..2]), None, "before the frame");
        assert_eq!(src.range_of(&backing[10..15]), None, "straddling its end");
        let copied = src.bytes(&backing[13..]);
        assert_eq!(copied, "yy");
        assert_ne!(copied.as_ptr(), backing[13..].as_ptr(), "copied");

        assert_eq!(src.string(&frame[..5], 0).as_deref(), Ok("hello"));
        let err = src.string(b"\xff", 7).expect_err("not UTF-8");
        assert_eq!(err.offset, 7);
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn string_checks() {
        let mut out = Vec::new();
        Writer::new(&mut out).octet_string(Tag::OCTET_STRING, &[0xc3, 0x28]);
        let frame = Bytes::from(out);
        let mut r = Reader::new(&frame);
        let budget = Budget::for_len(frame.len());
        let err =
            read_string(&mut r, Frame(&frame, &budget), Tag::OCTET_STRING, LDAP_DN).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("LDAPDN is not UTF-8")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: LDAPDN is not UTF-8 at byte 0"
        );
    }

    /// One reader for every bounded integer: a value outside the range,
    /// or one that the field's type cannot hold, is an error naming the
    /// field at the element's offset, never a default.
    #[test]
    fn integers_out_of_range_are_errors_naming_the_field() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.integer(Tag::INTEGER, 7);
        w.integer(Tag::INTEGER, 300);
        w.integer(Tag::INTEGER, 300);
        w.integer(Tag::ENUMERATED, -1);
        let mut r = Reader::new(&out);
        assert_eq!(
            read_int_in::<u8>(&mut r, Tag::INTEGER, "version", 1..=127),
            Ok(7)
        );
        let err = read_int_in::<u8>(&mut r, Tag::INTEGER, "version", 1..=127).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "version",
                value: 300
            }
        );
        assert_eq!(err.offset, 3);
        // In the range, but not in the type.
        let mut r = Reader::new(out.get(3..).unwrap());
        let err = read_int_in::<u8>(&mut r, Tag::INTEGER, "size", 0..=1000).unwrap_err();
        assert_eq!(err.to_string(), "size 300 is out of range at byte 0");
        let mut r = Reader::new(out.get(11..).unwrap());
        let err = read_int_in::<u32>(
            &mut r,
            Tag::ENUMERATED,
            "resultCode",
            0..=i64::from(u32::MAX),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "resultCode -1 is out of range at byte 0");
    }

    #[test]
    fn counting_elements() {
        let count_of = |bytes: &[u8]| capacity_hint(&Reader::new(bytes));
        assert_eq!(count_of(&[]), 0);
        assert_eq!(count_of(&[0x04, 0x00, 0x04, 0x01, 0x61, 0x30, 0x00]), 3);
        // Long lengths and high tags are counted the slow way.
        assert_eq!(
            count_of(&[0x04, 0x00, 0x04, 0x81, 0x01, 0x61, 0x5f, 0x81, 0x48, 0x00]),
            3
        );
        // It is a hint: a truncated last element may count, a bad one
        // stops the count.
        assert_eq!(count_of(&[0x04, 0x00, 0x04, 0x05, 0x61]), 2);
        assert_eq!(count_of(&[0x04, 0x00, 0x04, 0x80, 0x04, 0x00]), 1);
    }
}
