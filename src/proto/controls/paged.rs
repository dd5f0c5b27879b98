//! Simple paged results (RFC 2696).
//!
//! ```text
//! realSearchControlValue ::= SEQUENCE {
//!         size            INTEGER (0..maxInt),
//!                                 -- requested page size from client
//!                                 -- result set size estimate from server
//!         cookie          OCTET STRING }
//! ```

use bytes::Bytes;

use crate::ber::{DecodeError, Tag};
use crate::proto::codec::{read_bytes, read_max_int};
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;

/// Simple paged results (RFC 2696), in a search request and in its
/// SearchResultDone. Non-critical.
///
/// In a request, `size` is the page size and `cookie` is empty for the
/// first page, then the cookie of the previous response. In a response,
/// `size` is the server's estimate of the total (0 if unknown) and an
/// empty `cookie` means there are no more pages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagedResults {
    /// Page size (request) or estimated total (response).
    pub size: i32,
    /// The server's opaque cookie.
    pub cookie: Bytes,
}

impl PagedResults {
    /// A request for pages of `size` entries, or a response announcing
    /// `size`; `cookie` is empty on the first request and on the last page.
    pub fn new(size: i32, cookie: impl Into<Bytes>) -> Self {
        Self {
            size,
            cookie: cookie.into(),
        }
    }
}

impl PagedResults {
    /// The control's OID.
    pub const OID: &'static str = oid::PAGED_RESULTS;

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        // realSearchControlValue ::= SEQUENCE {
        //         size            INTEGER (0..maxInt),
        //                                 -- requested page size from client
        //                                 -- result set size estimate from server
        //         cookie          OCTET STRING }
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::INTEGER, i64::from(self.size));
                w.octet_string(Tag::OCTET_STRING, &self.cookie);
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let size = read_max_int(r, Tag::INTEGER, "size")?;
                let cookie = read_bytes(r, src, Tag::OCTET_STRING)?;
                Ok(Self { size, cookie })
            })
        })
    }
}
