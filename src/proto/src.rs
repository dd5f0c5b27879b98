//! Turning sub-slices of a received frame back into `Bytes` without copying.

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind};

/// The frame a message is decoded from. Values that the reader hands out as
/// `&[u8]` are turned into `Bytes` sharing the frame's allocation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Src<'a>(pub(crate) &'a Bytes);

impl Src<'_> {
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

#[cfg(test)]
#[allow(clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Slices of the frame come back as zero-copy views of it; anything
    /// else, even bytes right before or straddling its end, is copied.
    #[test]
    fn parts_inside_the_frame_are_shared_others_copied() {
        let backing = Bytes::from_static(b"xxhello worldyy");
        let frame = backing.slice(2..13);
        let src = Src(&frame);
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
}
