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
        let frame = self.0.as_ptr() as usize;
        let start = part.as_ptr() as usize;
        if start >= frame && start + part.len() <= frame + self.0.len() {
            let from = start - frame;
            return self.0.slice(from..from + part.len());
        }
        Bytes::copy_from_slice(part)
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
