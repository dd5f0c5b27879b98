use core::fmt;

use crate::ber::Tag;

/// Why a BER value could not be decoded, and where.
///
/// `offset` is the byte position, from the start of the outermost input
/// given to the [`Reader`](crate::ber::Reader), of the element that failed.
///
/// Made by a [`Reader`](crate::ber::Reader) ([`Reader::error`](crate::ber::Reader::error)
/// for checks of your own); it may carry more context one day, so it
/// cannot be written as a literal outside this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
#[non_exhaustive]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset of the offending element within the whole input.
    pub offset: usize,
}

impl DecodeError {
    pub(crate) const fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

/// The kinds of [`DecodeError`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The input ended inside an element; `needed` more bytes were announced.
    Truncated {
        /// How many bytes were missing (at least).
        needed: usize,
    },
    /// An indefinite length (`0x80`), which RFC 4511 §5.1 forbids.
    IndefiniteLength,
    /// A long-form length of more than four octets.
    LengthTooLong {
        /// Number of length octets announced.
        octets: u8,
    },
    /// A length above the configured maximum.
    LengthOverLimit {
        /// The announced length.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// Constructed values nested deeper than the configured maximum.
    DepthExceeded {
        /// The configured limit.
        max: u32,
    },
    /// A tag number that does not fit in 32 bits.
    TagTooLarge,
    /// A tag number in the multi-octet form that has a shorter encoding
    /// (below 31, or with a leading `0x80` octet), which X.690 §8.1.2
    /// forbids.
    NonMinimalTag,
    /// An element had another tag than the one required here.
    UnexpectedTag {
        /// The tag this position requires.
        expected: Tag,
        /// The tag found.
        found: Tag,
    },
    /// Bytes were left over after a complete element.
    TrailingData {
        /// How many bytes remain.
        remaining: usize,
    },
    /// An INTEGER or ENUMERATED with no content octets, or out of range.
    BadInteger,
    /// A BOOLEAN whose content is not exactly one octet.
    BadBoolean,
    /// A primitive encoding where a constructed one is required, or vice versa.
    BadConstruction,
    /// A value that is well-formed BER but not allowed here (e.g. a string
    /// that must be UTF-8 and is not, or an out-of-range choice).
    InvalidValue(&'static str),
    /// A well-formed INTEGER outside the range its field allows (a negative
    /// message ID, a bind version of 0 or above 127).
    IntegerOutOfRange {
        /// The ASN.1 name of the field, e.g. `"messageID"`.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// An ENUMERATED value that the field does not define.
    UnknownEnumerated {
        /// The ASN.1 name of the field, e.g. `"scope"`.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// A tag that selects none of the alternatives of a CHOICE.
    UnknownChoice {
        /// The ASN.1 name of the CHOICE, e.g. `"protocolOp"`.
        field: &'static str,
        /// The tag found.
        found: Tag,
    },
    /// Decoding the elements of `field` would allocate more than the
    /// message may: `budget` bytes, a small multiple of its length (see
    /// the `proto` docs). A message of many tiny elements (empty URIs,
    /// empty controls) amplifies memory; it is refused instead.
    OverBudget {
        /// The ASN.1 name of the list, e.g. `"SearchResultReference"`.
        field: &'static str,
        /// The bytes the message's decode may allocate.
        budget: usize,
    },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed } => write!(f, "input truncated ({needed} more bytes needed)"),
            Self::IndefiniteLength => f.write_str("indefinite length is not allowed in LDAP"),
            Self::LengthTooLong { octets } => {
                write!(
                    f,
                    "length field of {octets} octets (at most 4 are accepted)"
                )
            }
            Self::LengthOverLimit { len, max } => {
                write!(f, "length {len} exceeds the limit of {max} bytes")
            }
            Self::DepthExceeded { max } => write!(f, "nesting deeper than {max} levels"),
            Self::TagTooLarge => f.write_str("tag number does not fit in 32 bits"),
            Self::NonMinimalTag => f.write_str("tag number not in its shortest form"),
            Self::UnexpectedTag { expected, found } => {
                write!(f, "expected tag {expected}, found {found}")
            }
            Self::TrailingData { remaining } => {
                write!(f, "{remaining} unexpected trailing bytes")
            }
            Self::BadInteger => f.write_str("malformed or out-of-range INTEGER"),
            Self::BadBoolean => f.write_str("BOOLEAN must have exactly one content octet"),
            Self::BadConstruction => f.write_str("wrong primitive/constructed form"),
            Self::InvalidValue(what) => write!(f, "invalid value: {what}"),
            Self::IntegerOutOfRange { field, value } => {
                write!(f, "{field} {value} is out of range")
            }
            Self::UnknownEnumerated { field, value } => write!(f, "unknown {field} value {value}"),
            Self::UnknownChoice { field, found } => write!(f, "unknown {field} choice {found}"),
            Self::OverBudget { field, budget } => write!(
                f,
                "{field} has more elements than the message's length allows: decoding them would allocate over {budget} bytes, 2 per byte of the message plus 8 KiB"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_display() {
        let e = DecodeError::new(
            DecodeErrorKind::IntegerOutOfRange {
                field: "messageID",
                value: -1,
            },
            2,
        );
        assert_eq!(e.to_string(), "messageID -1 is out of range at byte 2");
        let e = DecodeErrorKind::UnknownEnumerated {
            field: "scope",
            value: 7,
        };
        assert_eq!(e.to_string(), "unknown scope value 7");
        let e = DecodeErrorKind::UnknownChoice {
            field: "protocolOp",
            found: Tag::application(30).constructed(),
        };
        assert_eq!(
            e.to_string(),
            "unknown protocolOp choice 0x7e ([APPLICATION 30] constructed)"
        );
    }
}
