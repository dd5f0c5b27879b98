use crate::ber::{Class, DecodeError, DecodeErrorKind, Tag};

/// Limits a [`Reader`] enforces on untrusted input.
///
/// More limits may be added (a count of elements, say), so the struct
/// cannot be written as a literal outside this crate: start from
/// [`Limits::DEFAULT`] and change what you need.
///
/// ```
/// use tokio_ldap::ber::Limits;
///
/// let limits = Limits::DEFAULT.with_max_len(1 << 20).with_max_depth(16);
/// assert_eq!((limits.max_len, limits.max_depth), (1 << 20, 16));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest length any single element may announce, in bytes.
    pub max_len: usize,
    /// Deepest nesting of constructed values entered with
    /// [`Reader::sequence`].
    pub max_depth: u32,
}

impl Limits {
    /// 16 MiB per element and 64 levels of nesting.
    pub const DEFAULT: Self = Self {
        max_len: 16 * 1024 * 1024,
        max_depth: 64,
    };

    /// No limits at all: only for reading back input that was already
    /// checked with limits (the lengths were bounded then, and the nesting
    /// is known), never for input from the network.
    pub const UNLIMITED: Self = Self {
        max_len: usize::MAX,
        max_depth: u32::MAX,
    };

    /// The same limits with `max_len` bytes as the largest length any
    /// element may announce.
    #[must_use]
    pub const fn with_max_len(self, max_len: usize) -> Self {
        Self { max_len, ..self }
    }

    /// The same limits with `max_depth` as the deepest nesting of
    /// constructed values.
    #[must_use]
    pub const fn with_max_depth(self, max_depth: u32) -> Self {
        Self { max_depth, ..self }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One tag-length-value element read from the input.
///
/// Only a [`Reader`] makes one: its offsets are positions in that reader's
/// input, which [`Tlv::reader`] relies on, so the fields are read through
/// accessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The element's tag.
    pub(crate) tag: Tag,
    /// The content octets, a sub-slice of the reader's input.
    pub(crate) value: &'a [u8],
    /// Byte offset of the element's first identifier octet.
    pub(crate) offset: usize,
    /// Length of the identifier and length octets.
    pub(crate) header_len: usize,
}

impl<'a> Tlv<'a> {
    /// The element's tag.
    #[inline]
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The content octets, a sub-slice of the reader's input.
    #[inline]
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Byte offset of the element's first identifier octet within the
    /// reader's whole input.
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Length of the identifier and length octets.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// A reader over this element's contents, one level deeper than
    /// `parent`, with the same limits.
    #[inline]
    pub fn reader(&self, parent: &Reader<'a>) -> Result<Reader<'a>, DecodeError> {
        parent.child(self.value, self.offset, self.offset + self.header_len)
    }
}

/// A cursor over BER-encoded input.
///
/// Every method that reads an element advances the cursor past it on
/// success and leaves it unspecified on error (callers give up on the
/// message then).
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the outermost input, for error messages.
    base: usize,
    depth: u32,
    limits: Limits,
}

impl<'a> Reader<'a> {
    /// A reader over `buf` with [`Limits::DEFAULT`].
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_limits(buf, Limits::DEFAULT)
    }

    /// A reader over `buf` with the given limits.
    #[inline]
    pub fn with_limits(buf: &'a [u8], limits: Limits) -> Self {
        Self {
            buf,
            pos: 0,
            base: 0,
            depth: 0,
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The current nesting depth (0 at the top level).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Whether all input has been consumed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The unread input.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// The absolute offset of the cursor in the outermost input.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// An error of `kind` located at the cursor.
    #[inline]
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.offset())
    }

    /// Fails unless all input has been consumed.
    #[inline]
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.buf.len().saturating_sub(self.pos) {
            0 => Ok(()),
            remaining => Err(self.error(DecodeErrorKind::TrailingData { remaining })),
        }
    }

    #[inline]
    fn child(&self, value: &'a [u8], offset: usize, base: usize) -> Result<Self, DecodeError> {
        let depth = self.depth + 1;
        if depth > self.limits.max_depth {
            return Err(DecodeError::new(
                DecodeErrorKind::DepthExceeded {
                    max: self.limits.max_depth,
                },
                offset,
            ));
        }
        Ok(Self {
            buf: value,
            pos: 0,
            base,
            depth,
            limits: self.limits,
        })
    }

    /// The tag of the next element, without consuming it; `None` at the end.
    #[inline]
    pub fn peek_tag(&self) -> Result<Option<Tag>, DecodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        let (tag, _) = read_tag(self.rest(), self.offset())?;
        Ok(Some(tag))
    }

    /// Reads the next element, whatever its tag.
    #[inline]
    pub fn tlv(&mut self) -> Result<Tlv<'a>, DecodeError> {
        let offset = self.offset();
        let rest = self.rest();
        // Fast path for what nearly every LDAP element is: a tag number
        // below 31 and a short-form length, with the value all there.
        if let [first, len, body @ ..] = rest {
            let len = usize::from(*len);
            if first & 0x1f != 0x1f && len < 0x80 && len <= self.limits.max_len {
                if let Some(value) = body.get(..len) {
                    self.pos += 2 + len;
                    return Ok(Tlv {
                        tag: low_tag(*first),
                        value,
                        offset,
                        header_len: 2,
                    });
                }
            }
        }
        let (tag, tag_len) = read_tag(rest, offset)?;
        let after_tag = rest.get(tag_len..).unwrap_or_default();
        let (len, len_len) = read_len(after_tag, offset, self.limits.max_len)?;
        let start = tag_len + len_len;
        let available = rest.len() - start;
        if len > available {
            return Err(DecodeError::new(
                DecodeErrorKind::Truncated {
                    needed: len - available,
                },
                offset,
            ));
        }
        let value = rest.get(start..start + len).unwrap_or_default();
        self.pos += start + len;
        Ok(Tlv {
            tag,
            value,
            offset,
            header_len: start,
        })
    }

    /// Reads the next element and checks its tag.
    #[inline]
    pub fn element(&mut self, tag: Tag) -> Result<Tlv<'a>, DecodeError> {
        let tlv = self.tlv()?;
        if tlv.tag != tag {
            return Err(DecodeError::new(
                DecodeErrorKind::UnexpectedTag {
                    expected: tag,
                    found: tlv.tag,
                },
                tlv.offset,
            ));
        }
        Ok(tlv)
    }

    /// Reads the next element only if it has `tag`.
    #[inline]
    pub fn optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, DecodeError> {
        if self.peek_tag()? == Some(tag) {
            return self.tlv().map(Some);
        }
        Ok(None)
    }

    /// Enters a constructed element with `tag` and runs `f` on its
    /// contents, which `f` must consume entirely.
    pub fn sequence<T>(
        &mut self,
        tag: Tag,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let tlv = self.element(tag)?;
        let mut inner = tlv.reader(self)?;
        let out = f(&mut inner)?;
        inner.finish()?;
        Ok(out)
    }

    /// Reads a primitive element with `tag` and returns its content.
    #[inline]
    pub fn octet_string(&mut self, tag: Tag) -> Result<&'a [u8], DecodeError> {
        Ok(self.element(tag)?.value)
    }

    /// Reads an OCTET STRING that must be UTF-8 (an `LDAPString`).
    pub fn utf8(&mut self, tag: Tag) -> Result<&'a str, DecodeError> {
        let tlv = self.element(tag)?;
        core::str::from_utf8(tlv.value).map_err(|_| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue("string is not UTF-8"),
                tlv.offset,
            )
        })
    }

    /// Reads an INTEGER (or ENUMERATED, given its tag) into an `i64`.
    #[inline]
    pub fn integer(&mut self, tag: Tag) -> Result<i64, DecodeError> {
        let tlv = self.element(tag)?;
        decode_integer(tlv.value)
            .ok_or_else(|| DecodeError::new(DecodeErrorKind::BadInteger, tlv.offset))
    }

    /// Reads an INTEGER that must lie in `0..=max`.
    pub fn integer_in(&mut self, tag: Tag, max: i64) -> Result<i64, DecodeError> {
        let offset = self.offset();
        let n = self.integer(tag)?;
        if !(0..=max).contains(&n) {
            return Err(DecodeError::new(DecodeErrorKind::BadInteger, offset));
        }
        Ok(n)
    }

    /// Reads a BOOLEAN (any non-zero octet is TRUE, as BER allows).
    #[inline]
    pub fn boolean(&mut self, tag: Tag) -> Result<bool, DecodeError> {
        let tlv = self.element(tag)?;
        match tlv.value {
            [b] => Ok(*b != 0),
            _ => Err(DecodeError::new(DecodeErrorKind::BadBoolean, tlv.offset)),
        }
    }
}

/// Decodes a two's complement big-endian integer of 1 to 8 octets.
/// Non-minimal encodings are accepted (some servers send them).
#[inline]
fn decode_integer(bytes: &[u8]) -> Option<i64> {
    // Strip redundant sign octets so that a non-minimal encoding of a small
    // number still fits.
    let mut b = bytes;
    while b.len() > 8 {
        match b {
            [0x00, next, ..] if next & 0x80 == 0 => b = b.get(1..)?,
            [0xff, next, ..] if next & 0x80 != 0 => b = b.get(1..)?,
            _ => return None,
        }
    }
    let mut v: i64 = if b.first()? & 0x80 != 0 { -1 } else { 0 };
    for &byte in b {
        v = (v << 8) | i64::from(byte);
    }
    Some(v)
}

/// The tag of a one-octet identifier (tag number below 31); for the
/// high-tag-number form, the number is 31 and is read by [`read_tag`].
#[inline]
fn low_tag(first: u8) -> Tag {
    let class = match first >> 6 {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::Context,
        _ => Class::Private,
    };
    Tag {
        class,
        constructed: first & 0x20 != 0,
        number: u32::from(first & 0x1f),
    }
}

/// Reads an identifier: returns the tag and the number of octets used.
#[inline]
fn read_tag(buf: &[u8], offset: usize) -> Result<(Tag, usize), DecodeError> {
    let truncated = |needed| DecodeError::new(DecodeErrorKind::Truncated { needed }, offset);
    let first = *buf.first().ok_or_else(|| truncated(1))?;
    if first & 0x1f != 0x1f {
        return Ok((low_tag(first), 1));
    }
    let Tag {
        class, constructed, ..
    } = low_tag(first);
    // High tag number form: base-128, most significant group first.
    let mut number: u32 = 0;
    for i in 1.. {
        let b = *buf.get(i).ok_or_else(|| truncated(1))?;
        // Only for numbers that need it, with no leading zero group (X.690
        // §8.1.2.2, §8.1.2.4.2): one tag, one encoding.
        if i == 1 && b == 0x80 {
            return Err(DecodeError::new(DecodeErrorKind::NonMinimalTag, offset));
        }
        if number > (u32::MAX >> 7) {
            return Err(DecodeError::new(DecodeErrorKind::TagTooLarge, offset));
        }
        number = (number << 7) | u32::from(b & 0x7f);
        if b & 0x80 == 0 {
            if number < 0x1f {
                return Err(DecodeError::new(DecodeErrorKind::NonMinimalTag, offset));
            }
            return Ok((
                Tag {
                    class,
                    constructed,
                    number,
                },
                i + 1,
            ));
        }
    }
    Err(truncated(1))
}

/// Reads a definite length: returns it and the number of octets used.
#[inline]
fn read_len(buf: &[u8], offset: usize, max: usize) -> Result<(usize, usize), DecodeError> {
    let truncated = |needed| DecodeError::new(DecodeErrorKind::Truncated { needed }, offset);
    let first = *buf.first().ok_or_else(|| truncated(1))?;
    if first < 0x80 {
        return check_len(u64::from(first), 1, offset, max);
    }
    let octets = first & 0x7f;
    if octets == 0 {
        return Err(DecodeError::new(DecodeErrorKind::IndefiniteLength, offset));
    }
    if octets > 4 {
        return Err(DecodeError::new(
            DecodeErrorKind::LengthTooLong { octets },
            offset,
        ));
    }
    let n = usize::from(octets);
    let bytes = buf.get(1..=n).ok_or_else(|| truncated(n + 1 - buf.len()))?;
    let len = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    check_len(len, 1 + n, offset, max)
}

#[inline]
fn check_len(
    len: u64,
    used: usize,
    offset: usize,
    max: usize,
) -> Result<(usize, usize), DecodeError> {
    match usize::try_from(len) {
        Ok(l) if l <= max => Ok((l, used)),
        _ => Err(DecodeError::new(
            DecodeErrorKind::LengthOverLimit { len, max },
            offset,
        )),
    }
}

/// Splits off the element at the start of `buf` if its identifier is the
/// one octet `tag`: `(contents, rest)`, where `rest` is the input after the
/// element.
///
/// The length follows the rules of [`Reader`] (it is read by the same
/// code): definite, in short form or in long form of at most four octets,
/// no larger than `max_len`, and all the contents present. `None` for
/// anything else, well-formed or not, with no error to place: this is the
/// fast way through input that is usually in the common shape (one-octet
/// tags), such as the attribute lists of search entries, with a [`Reader`]
/// to fall back on for the rest.
#[inline(always)]
pub(crate) fn split_tlv(buf: &[u8], tag: u8, max_len: usize) -> Option<(&[u8], &[u8])> {
    match buf {
        // The short form, by far the most common, without a call: the
        // first rule of `read_len`.
        [t, len @ 0..=0x7f, rest @ ..] if *t == tag => {
            let len = usize::from(*len);
            if len > max_len {
                return None;
            }
            rest.split_at_checked(len)
        }
        [t, rest @ ..] if *t == tag => {
            let (len, len_len) = read_len(rest, 1, max_len).ok()?;
            rest.get(len_len..)?.split_at_checked(len)
        }
        _ => None,
    }
}

/// How long the first complete element of `buf` is, header included.
///
/// Returns `Ok(None)` when more input is needed to tell (the header itself
/// is incomplete) and `Ok(Some(n))` once the header is complete, even if
/// fewer than `n` bytes are buffered: a framer uses this to decide how much
/// to read before decoding, and rejects an oversized message before
/// buffering it.
pub fn frame_len(buf: &[u8], max_len: usize) -> Result<Option<usize>, DecodeError> {
    let (_, tag_len) = match read_tag(buf, 0) {
        Ok(t) => t,
        Err(DecodeError {
            kind: DecodeErrorKind::Truncated { .. },
            ..
        }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let after = buf.get(tag_len..).unwrap_or_default();
    match read_len(after, 0, max_len) {
        Ok((len, len_len)) => Ok(Some(tag_len + len_len + len)),
        Err(DecodeError {
            kind: DecodeErrorKind::Truncated { .. },
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn split_tlv_reads_lengths_as_the_reader_does() {
        let input = [0x04, 0x02, b'h', b'i', 0x05, 0x00];
        assert_eq!(
            split_tlv(&input, 0x04, 16),
            Some((&b"hi"[..], &[0x05, 0x00][..]))
        );
        // Long forms, non-minimal too (Active Directory).
        let long = [0x30, 0x81, 0x01, 0xaa];
        assert_eq!(split_tlv(&long, 0x30, 16), Some((&[0xaa][..], &[][..])));
        let ad = [0x04, 0x84, 0, 0, 0, 0x01, b'x', b'y'];
        assert_eq!(split_tlv(&ad, 0x04, 16), Some((&b"x"[..], &b"y"[..])));
        // Another tag, an indefinite or five-octet length, a length over
        // the limit or past the end, a missing length: no.
        assert_eq!(split_tlv(&input, 0x30, 16), None);
        assert_eq!(split_tlv(&[0x30, 0x80, 0x00, 0x00], 0x30, 16), None);
        assert_eq!(
            split_tlv(&[0x04, 0x85, 0, 0, 0, 0, 0x01, 0], 0x04, 16),
            None
        );
        assert_eq!(split_tlv(&input, 0x04, 1), None);
        assert_eq!(split_tlv(&[0x04, 0x03, b'h', b'i'], 0x04, 16), None);
        assert_eq!(split_tlv(&[0x04, 0x82, 0x00], 0x04, 16), None);
        assert_eq!(split_tlv(&[0x04], 0x04, 16), None);
        assert_eq!(split_tlv(&[], 0x04, 16), None);
        // Whatever it accepts, the reader accepts the same way.
        let mut r = Reader::new(&ad);
        assert_eq!(r.octet_string(Tag::OCTET_STRING).unwrap(), b"x");
        assert_eq!(r.rest(), b"y");
    }

    #[test]
    fn short_and_long_lengths() {
        let mut r = Reader::new(&[0x04, 0x02, b'h', b'i']);
        assert_eq!(r.octet_string(Tag::OCTET_STRING).unwrap(), b"hi");
        r.finish().unwrap();
        // Non-minimal four-octet length, as Active Directory sends.
        let mut r = Reader::new(&[0x04, 0x84, 0, 0, 0, 0x02, b'h', b'i']);
        assert_eq!(r.octet_string(Tag::OCTET_STRING).unwrap(), b"hi");
    }

    #[test]
    fn short_form_fast_path_keeps_the_checks() {
        // A short length over a (tiny) limit.
        let limits = Limits {
            max_len: 1,
            max_depth: 8,
        };
        let err = Reader::with_limits(&[0x04, 0x02, b'h', b'i'], limits)
            .tlv()
            .unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::LengthOverLimit { len: 2, max: 1 }
        );
        // A short length past the end of the input.
        let err = Reader::new(&[0x30, 0x03, 0x02, 0x01]).tlv().unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
        // Offsets and header lengths, fast and slow path alike.
        let mut r = Reader::new(&[0x04, 0x01, b'a', 0x04, 0x81, 0x01, b'b', 0x7f, 0x1f, 0x00]);
        let a = r.tlv().unwrap();
        let b = r.tlv().unwrap();
        let c = r.tlv().unwrap();
        assert_eq!((a.offset, a.header_len, a.value), (0, 2, &b"a"[..]));
        assert_eq!((b.offset, b.header_len, b.value), (3, 3, &b"b"[..]));
        assert_eq!(
            (c.offset, c.header_len, c.tag),
            (7, 3, Tag::application(31).constructed())
        );
    }

    #[test]
    fn indefinite_length_is_rejected() {
        let err = Reader::new(&[0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00])
            .tlv()
            .unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::IndefiniteLength);
        assert_eq!(
            err.to_string(),
            "indefinite length is not allowed in LDAP at byte 0"
        );
    }

    #[test]
    fn nine_octet_length_is_rejected_not_wrapped() {
        let input = [0x04, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa];
        let err = Reader::new(&input).tlv().unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::LengthTooLong { octets: 9 });
    }

    #[test]
    fn length_over_limit_before_buffering() {
        let limits = Limits {
            max_len: 1000,
            max_depth: 8,
        };
        let input = [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff];
        let err = Reader::with_limits(&input, limits).tlv().unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::LengthOverLimit {
                len: 0x7fff_ffff,
                max: 1000
            }
        );
        assert!(frame_len(&input, 1000).is_err());
        assert_eq!(
            frame_len(&input, usize::MAX).unwrap(),
            Some(6 + 0x7fff_ffff)
        );
        assert_eq!(frame_len(&input[..3], 1000).unwrap(), None);
    }

    #[test]
    fn truncated_value() {
        let err = Reader::new(&[0x04, 0x05, b'a']).tlv().unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 4 });
        assert_eq!(
            err.to_string(),
            "input truncated (4 more bytes needed) at byte 0"
        );
    }

    #[test]
    fn high_tag_numbers() {
        // [APPLICATION 200] primitive: 0x5f 0x81 0x48, length 1.
        let mut r = Reader::new(&[0x5f, 0x81, 0x48, 0x01, 0x07]);
        let tlv = r.tlv().unwrap();
        assert_eq!(tlv.tag, Tag::application(200));
        assert_eq!(tlv.value, &[7]);
        let err = Reader::new(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00])
            .tlv()
            .unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TagTooLarge);
    }

    #[test]
    fn non_minimal_high_tag_numbers() {
        // Found by fuzz/lber_diff: universal 2 (INTEGER) in the multi-octet
        // form, which lber reads as tag 31; it must not pass for INTEGER 23.
        let err = Reader::new(&[0x1f, 0x02, 0x01, 0x17]).tlv().unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::NonMinimalTag);
        // [APPLICATION 200] with a leading zero group.
        let err = Reader::new(&[0x5f, 0x80, 0x81, 0x48, 0x01, 0x07])
            .tlv()
            .unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::NonMinimalTag);
        // 31 is the smallest number the multi-octet form may carry.
        let tlv = Reader::new(&[0x9f, 0x1f, 0x00]).tlv().unwrap();
        assert_eq!(tlv.tag, Tag::context(31));
    }

    #[test]
    fn depth_limit() {
        // 100 nested SEQUENCEs around an empty one.
        let mut input = vec![0x30, 0x00];
        for _ in 0..100 {
            let mut outer = vec![0x30, 0x81, input.len() as u8];
            if input.len() > 255 {
                break;
            }
            outer.extend_from_slice(&input);
            input = outer;
        }
        fn walk(r: &mut Reader<'_>) -> Result<(), DecodeError> {
            while !r.is_empty() {
                r.sequence(Tag::SEQUENCE, walk)?;
            }
            Ok(())
        }
        let limits = Limits {
            max_len: 1 << 20,
            max_depth: 8,
        };
        let err = walk(&mut Reader::with_limits(&input, limits)).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::DepthExceeded { max: 8 });
        assert_eq!(err.offset, 8 * 3);
    }

    #[test]
    fn integers() {
        let cases: &[(&[u8], i64)] = &[
            (&[0x00], 0),
            (&[0x7f], 127),
            (&[0x00, 0x80], 128),
            (&[0xff], -1),
            (&[0x80], -128),
            (&[0x00, 0x00, 0x00, 0x05], 5),
            (&[0x7f, 0xff, 0xff, 0xff], i64::from(i32::MAX)),
        ];
        for (bytes, want) in cases {
            assert_eq!(decode_integer(bytes), Some(*want), "{bytes:02x?}");
        }
        assert_eq!(decode_integer(&[]), None);
        assert_eq!(decode_integer(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        let mut r = Reader::new(&[0x02, 0x00]);
        assert_eq!(
            r.integer(Tag::INTEGER).unwrap_err().kind,
            DecodeErrorKind::BadInteger
        );
    }

    #[test]
    fn unexpected_tag_and_trailing() {
        let mut r = Reader::new(&[0x01, 0x01, 0xff, 0x00]);
        let err = r.clone().integer(Tag::INTEGER).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::INTEGER,
                found: Tag::BOOLEAN
            }
        );
        assert!(r.boolean(Tag::BOOLEAN).unwrap());
        assert_eq!(
            r.finish().unwrap_err().kind,
            DecodeErrorKind::TrailingData { remaining: 1 }
        );
        let err = Reader::new(&[0x01, 0x02, 0, 0])
            .boolean(Tag::BOOLEAN)
            .unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::BadBoolean);
    }
}
