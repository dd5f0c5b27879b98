//! BER/DER tag-length-value reading and writing for LDAP (RFC 4511 §5.1).
//!
//! The [`Reader`] is a cursor over a byte slice: it hands out values as
//! sub-slices of its input, allocates nothing, and enforces two limits
//! before it trusts anything it reads:
//!
//! * **length**: only definite lengths are accepted, in short form or long
//!   form of at most four octets (non-minimal forms such as `84 00 00 00 05`,
//!   which Active Directory sends, are fine); a length larger than the
//!   remaining input or than [`Limits::max_len`] is an error;
//! * **depth**: every constructed value entered through [`Reader::sequence`]
//!   counts against [`Limits::max_depth`], so a hostile nesting bomb is an
//!   error, not a stack overflow.
//!
//! The [`Writer`] emits definite, minimal lengths only, so encodings are
//! byte-stable and golden tests can compare bytes.
//!
//! ```
//! use tokio_ldap::ber::{Reader, Tag, Writer};
//!
//! let mut out = Vec::new();
//! Writer::new(&mut out).sequence(Tag::SEQUENCE, |w| {
//!     w.integer(Tag::INTEGER, 5);
//!     w.octet_string(Tag::OCTET_STRING, b"hello");
//! });
//! assert_eq!(out, [0x30, 0x0a, 0x02, 0x01, 0x05, 0x04, 0x05, b'h', b'e', b'l', b'l', b'o']);
//!
//! let mut r = Reader::new(&out);
//! let (n, s) = r.sequence(Tag::SEQUENCE, |r| Ok((r.integer(Tag::INTEGER)?, r.octet_string(Tag::OCTET_STRING)?)))?;
//! assert_eq!((n, s), (5, &b"hello"[..]));
//! # Ok::<(), tokio_ldap::ber::DecodeError>(())
//! ```
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod error;
mod reader;
mod tag;
mod writer;

pub use error::{DecodeError, DecodeErrorKind};
pub(crate) use reader::split_tlv;
pub use reader::{frame_len, Limits, Reader, Tlv};
pub use tag::{Class, Tag};
pub use writer::Writer;
