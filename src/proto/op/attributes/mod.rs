//! Attributes (RFC 4511 §4.1.7) and the attribute list of a search entry:
//! [`Attribute`], the owned form used by requests, and [`AttributeList`],
//! the validated, zero-copy view of a received `PartialAttributeList`, with
//! its iterators and the fast path that finds a whole entry message without
//! the [`Reader`].
//!
//! ```text
//! PartialAttribute ::= SEQUENCE {
//!      type       AttributeDescription,
//!      vals       SET OF value AttributeValue }
//!
//! Attribute ::= PartialAttribute(WITH COMPONENTS {
//!      ...,
//!      vals (SIZE(1..MAX))})
//!
//! PartialAttributeList ::= SEQUENCE OF
//!                      partialAttribute PartialAttribute
//!
//! AttributeList ::= SEQUENCE OF attribute Attribute
//! ```

use core::fmt;

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{split_tlv, DecodeError, DecodeErrorKind, Limits, Reader, Tag, Writer};
use crate::proto::codec::{read_bytes, read_string, Budget, Frame, ATTRIBUTE_DESCRIPTION};

/// An attribute with its values (`Attribute` / `PartialAttribute`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attribute {
    /// The attribute description, e.g. `cn` or `userCertificate;binary`.
    pub name: ByteString,
    /// The values, as sent.
    pub values: Vec<Bytes>,
}

impl Attribute {
    /// A `(name, values)` pair, copying the values.
    pub fn new<V: AsRef<[u8]>>(name: &str, values: impl IntoIterator<Item = V>) -> Self {
        Self {
            name: ByteString::from(name),
            values: values
                .into_iter()
                .map(|v| Bytes::copy_from_slice(v.as_ref()))
                .collect(),
        }
    }

    /// Reads an `Attribute` or `PartialAttribute`; with `need_values`, an
    /// empty set of values is an error (`vals (SIZE(1..MAX))`).
    pub(super) fn decode(
        r: &mut Reader<'_>,
        src: Frame<'_>,
        need_values: bool,
    ) -> Result<Self, DecodeError> {
        // PartialAttribute ::= SEQUENCE {
        //      type       AttributeDescription,
        //      vals       SET OF value AttributeValue }
        //
        // Attribute ::= PartialAttribute(WITH COMPONENTS {
        //      ...,
        //      vals (SIZE(1..MAX))})
        r.sequence(Tag::SEQUENCE, |r| {
            let name = read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
            let values = r.sequence(Tag::SET, |r| {
                if need_values && r.is_empty() {
                    return Err(r.error(DecodeErrorKind::InvalidValue(
                        "an Attribute must have at least one value",
                    )));
                }
                let mut values = src.vec_for(r, "vals")?;
                while !r.is_empty() {
                    let offset = r.offset();
                    let v = read_bytes(r, src, Tag::OCTET_STRING)?;
                    src.push(&mut values, v, "vals", offset)?;
                }
                Ok(values)
            })?;
            Ok(Self { name, values })
        })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.sequence(Tag::SEQUENCE, |w| {
            w.octet_string(Tag::OCTET_STRING, self.name.as_bytes());
            w.sequence(Tag::SET, |w| {
                for v in &self.values {
                    w.octet_string(Tag::OCTET_STRING, v);
                }
            });
        });
    }
}

/// Reads the contents of a `PartialAttributeList` or `AttributeList`.
pub(super) fn read_attributes(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    need_values: bool,
) -> Result<Vec<Attribute>, DecodeError> {
    let mut out = src.vec_for(r, "AttributeList")?;
    while !r.is_empty() {
        let offset = r.offset();
        let a = Attribute::decode(r, src, need_values)?;
        src.push(&mut out, a, "AttributeList", offset)?;
    }
    Ok(out)
}

pub(super) fn write_attributes(w: &mut Writer<'_>, attributes: &[Attribute]) {
    for a in attributes {
        a.encode(w);
    }
}

/// The attributes of a `SearchResultEntry` (`PartialAttributeList`): a
/// validated, read-only view of the encoded list.
///
/// Decoding checks the whole list once (every element is a
/// `PartialAttribute` whose description is UTF-8 and whose values are
/// OCTET STRINGs) and keeps its encoding as one [`Bytes`] slice of the
/// received frame: no allocation, one reference count for the whole list.
/// The attributes are read on demand with [`iter`](Self::iter) and
/// [`get`](Self::get), or copied out as owned [`Attribute`]s with
/// [`to_vec`](Self::to_vec) (whose values still share the frame).
///
/// Two lists are equal when their encodings are: the same attributes and
/// values in the same order, encoded with the same lengths. A list decoded
/// from a message with non-minimal lengths (as Active Directory sends)
/// therefore differs from one built with [`new`](Self::new) from the same
/// attributes; compare [`to_vec`](Self::to_vec) for that.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttributeList {
    /// The contents of the `SEQUENCE OF`: the encoded `PartialAttribute`s.
    encoded: Bytes,
    /// How many there are.
    len: usize,
}

impl AttributeList {
    /// Encodes `attributes` into a list.
    pub fn new(attributes: Vec<Attribute>) -> Self {
        attributes.into_iter().collect()
    }

    /// The length of the encoded list, in bytes: what the list holds in
    /// memory (a share of the received frame).
    pub(crate) fn encoded_len(&self) -> usize {
        self.encoded.len()
    }

    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The attributes, in the order the server sent them.
    pub fn iter(&self) -> AttributeIter<'_> {
        AttributeIter {
            rest: &self.encoded,
            frame: &self.encoded,
            remaining: self.len,
        }
    }

    /// The first attribute whose description is `name`, compared ASCII
    /// case-insensitively (`cn`, `CN`; options must match too:
    /// `userCertificate;binary`).
    pub fn get(&self, name: &str) -> Option<AttributeRef<'_>> {
        self.iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The attributes as owned values; the names and values are slices of
    /// the same buffer (no copies).
    pub fn to_vec(&self) -> Vec<Attribute> {
        let mut out = Vec::with_capacity(self.len);
        out.extend(self.iter().map(|a| a.to_attribute()));
        out
    }

    /// Reads a `PartialAttributeList` (tag included), checking every
    /// attribute, and keeps its encoding.
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // PartialAttributeList ::= SEQUENCE OF
        //                      partialAttribute PartialAttribute
        let tlv = r.element(Tag::SEQUENCE)?;
        let mut list = tlv.reader(r)?;
        // The common case in one pass over the octets; anything unusual
        // (an error, a high tag number form) goes through the `Reader`,
        // which has the last word and places the error.
        let limits = list.limits();
        let fast = match list.depth().checked_add(2) {
            Some(depth) if depth <= limits.max_depth => count_attributes(tlv.value, limits.max_len),
            _ => None,
        };
        let len = match fast {
            Some(len) => len,
            None => {
                let mut len = 0;
                while !list.is_empty() {
                    check_partial_attribute(&mut list)?;
                    len += 1;
                }
                len
            }
        };
        Ok(Self {
            encoded: src.bytes(tlv.value),
            len,
        })
    }

    /// A list from the contents of a `PartialAttributeList` that
    /// [`fast_entry_parts`] checked, and its length.
    pub(crate) fn from_checked(encoded: Bytes, len: usize) -> Self {
        Self { encoded, len }
    }

    /// Writes the `PartialAttributeList` (tag included): the stored
    /// encoding, verbatim.
    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.sequence(Tag::SEQUENCE, |w| w.raw(&self.encoded));
    }
}

/// The element at the start of `buf`, which must have `tag`, written
/// `tag_octet` in the usual form: `(contents, rest)`, or `None` if it is
/// malformed (which a list that decoding accepted never is).
#[inline]
fn read_tlv(buf: &[u8], tag: Tag, tag_octet: u8) -> Option<(&[u8], &[u8])> {
    split_tlv(buf, tag_octet, usize::MAX).or_else(|| {
        let mut r = Reader::with_limits(buf, Limits::UNLIMITED);
        let value = r.octet_string(tag).ok()?;
        Some((value, r.rest()))
    })
}

/// The parts of a whole `LDAPMessage` carrying a `SearchResultEntry` and
/// no controls, in the shape servers send (one-octet tags, definite lengths
/// of at most four octets, a message ID of at most four octets), found
/// without the [`Reader`]: the message ID, the DN (not yet checked to be
/// UTF-8), the
/// contents of the attribute list and the number of attributes in it. The
/// bulk of a large search goes this way. `None` for anything else, valid or
/// not: the general decoder then has the last word, errors included. It
/// accepts everything this accepts and gives the same message (checked by
/// the unit tests and the `message` fuzz target).
#[inline]
pub(crate) fn fast_entry_parts(frame: &[u8], limits: Limits) -> Option<(i32, &[u8], &[u8], usize)> {
    // LDAPMessage, [APPLICATION 4] entry, PartialAttributeList,
    // PartialAttribute, SET OF values: five levels.
    if limits.max_depth < 5 {
        return None;
    }
    let max = limits.max_len;
    let (message, rest) = split_tlv(frame, 0x30, max)?;
    let (id, message) = split_tlv(message, 0x02, max)?;
    let (entry, controls) = split_tlv(message, 0x64, max)?;
    let (dn, entry) = split_tlv(entry, 0x04, max)?;
    let (list, after) = split_tlv(entry, 0x30, max)?;
    if !(rest.is_empty() && controls.is_empty() && after.is_empty()) {
        return None;
    }
    // INTEGER (0 .. maxInt) in at most four octets, non-negative.
    let id = match id {
        [first, ..] if id.len() <= 4 && first & 0x80 == 0 => {
            id.iter().fold(0i32, |acc, &b| (acc << 8) | i32::from(b))
        }
        _ => return None,
    };
    let len = count_attributes(list, max)?;
    Some((id, dn, list, len))
}

/// Counts the attributes of a `PartialAttributeList`'s contents if they
/// are valid and use only one-octet tags and lengths of at most four
/// octets (at most `max`); `None` otherwise, valid or not.
fn count_attributes(mut list: &[u8], max: usize) -> Option<usize> {
    let mut n = 0;
    while !list.is_empty() {
        let (attribute, rest) = split_tlv(list, 0x30, max)?;
        let attribute_start = attribute;
        let (name, attribute) = split_tlv(attribute, 0x04, max)?;
        if !name_is_ascii(attribute_start, name) && core::str::from_utf8(name).is_err() {
            return None;
        }
        let (values, attribute) = split_tlv(attribute, 0x31, max)?;
        if !attribute.is_empty() {
            return None;
        }
        skip_octet_strings(values, max)?;
        n += 1;
        list = rest;
    }
    Some(n)
}

/// Whether `name`, an attribute description inside `within`, is all
/// ASCII. Descriptions are short: up to sixteen octets are checked with one
/// or two eight-octet loads (for eight or fewer, from `within`, masked to
/// the name), longer ones octet by octet.
#[inline(always)]
fn name_is_ascii(within: &[u8], name: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |s: Option<&[u8]>| {
        s.map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        })
    };
    let n = name.len();
    if (1..=8).contains(&n) {
        let at = (name.as_ptr() as usize).wrapping_sub(within.as_ptr() as usize);
        if let Some(w) = word(within.get(at..at.wrapping_add(8))) {
            return w & (HIGH >> (8 * (8 - n))) == 0;
        }
    } else if (9..=16).contains(&n) {
        if let (Some(a), Some(b)) = (word(name.get(..8)), word(name.get(n - 8..))) {
            return (a | b) & HIGH == 0;
        }
    }
    name.iter().fold(0u8, |acc, &b| acc | b) < 0x80
}

/// Checks that `values` is a run of OCTET STRINGs (`0x04`), each at most
/// `max` long.
#[inline(always)]
fn skip_octet_strings(mut values: &[u8], max: usize) -> Option<()> {
    while !values.is_empty() {
        values = split_tlv(values, 0x04, max)?.1;
    }
    Some(())
}

/// Checks one `PartialAttribute` without keeping anything; the errors and
/// their offsets are those of [`Attribute::decode`].
#[inline]
fn check_partial_attribute(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    // PartialAttribute ::= SEQUENCE {
    //      type       AttributeDescription,
    //      vals       SET OF value AttributeValue }
    r.sequence(Tag::SEQUENCE, |r| {
        let name = r.element(Tag::OCTET_STRING)?;
        if core::str::from_utf8(name.value).is_err() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue(ATTRIBUTE_DESCRIPTION),
                name.offset,
            ));
        }
        r.sequence(Tag::SET, |r| {
            while !r.is_empty() {
                r.octet_string(Tag::OCTET_STRING)?;
            }
            Ok(())
        })
    })
}

impl From<Vec<Attribute>> for AttributeList {
    fn from(attributes: Vec<Attribute>) -> Self {
        Self::new(attributes)
    }
}

impl FromIterator<Attribute> for AttributeList {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Self {
        let mut buf = Vec::new();
        let mut len = 0;
        let mut w = Writer::new(&mut buf);
        for a in iter {
            a.encode(&mut w);
            len += 1;
        }
        Self {
            encoded: Bytes::from(buf),
            len,
        }
    }
}

impl<'a> IntoIterator for &'a AttributeList {
    type Item = AttributeRef<'a>;
    type IntoIter = AttributeIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Prints like a list of [`Attribute`]s.
impl fmt::Debug for AttributeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The attributes of an [`AttributeList`], from [`AttributeList::iter`].
#[derive(Clone, Debug)]
pub struct AttributeIter<'a> {
    /// The attributes not read yet.
    rest: &'a [u8],
    frame: &'a Bytes,
    remaining: usize,
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = AttributeRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read_attribute_ref(self.rest, self.frame) {
            Some((attribute, rest)) => {
                self.rest = rest;
                self.remaining = self.remaining.saturating_sub(1);
                Some(attribute)
            }
            // Cannot happen for a decoded or built list; stop for good.
            None => {
                self.rest = &[];
                self.remaining = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

impl core::iter::FusedIterator for AttributeIter<'_> {}

/// The attribute at the start of `buf`, and what follows it.
#[inline]
fn read_attribute_ref<'a>(buf: &'a [u8], frame: &'a Bytes) -> Option<(AttributeRef<'a>, &'a [u8])> {
    let (attribute, rest) = read_tlv(buf, Tag::SEQUENCE, 0x30)?;
    let (name, attribute) = read_tlv(attribute, Tag::OCTET_STRING, 0x04)?;
    let name = core::str::from_utf8(name).ok()?;
    let (values, _) = read_tlv(attribute, Tag::SET, 0x31)?;
    Some((
        AttributeRef {
            name,
            values,
            frame,
        },
        rest,
    ))
}

/// One attribute of an [`AttributeList`]: its description and values,
/// borrowed from the list.
#[derive(Clone, Copy)]
pub struct AttributeRef<'a> {
    name: &'a str,
    /// The contents of the `SET OF` values.
    values: &'a [u8],
    /// The list's encoding, which `values` lies in.
    frame: &'a Bytes,
}

impl<'a> AttributeRef<'a> {
    /// The attribute description, e.g. `cn` or `userCertificate;binary`.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The values, as sent.
    pub fn values(&self) -> Values<'a> {
        Values { rest: self.values }
    }

    /// The values as [`Bytes`] sharing the received frame (no copies).
    pub fn value_bytes(&self) -> ValueBytes<'a> {
        ValueBytes {
            values: self.values(),
            frame: self.frame,
        }
    }

    /// The first value, if there is one and it is UTF-8.
    pub fn first_str(&self) -> Option<&'a str> {
        self.values()
            .next()
            .and_then(|v| core::str::from_utf8(v).ok())
    }

    /// This attribute as an owned [`Attribute`] sharing the received frame.
    pub fn to_attribute(&self) -> Attribute {
        // Nothing here is charged: the budget is only for decoding.
        let budget = Budget::for_len(0);
        let src = Frame(self.frame, &budget);
        let name = ByteString::try_from(src.bytes(self.name.as_bytes()))
            .unwrap_or_else(|_| ByteString::from(self.name));
        Attribute {
            name,
            values: self.value_bytes().collect(),
        }
    }
}

/// Prints like an [`Attribute`].
impl fmt::Debug for AttributeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_attribute().fmt(f)
    }
}

/// The values of an [`AttributeRef`], from [`AttributeRef::values`].
#[derive(Clone, Debug)]
pub struct Values<'a> {
    /// The values not read yet.
    rest: &'a [u8],
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read_tlv(self.rest, Tag::OCTET_STRING, 0x04) {
            Some((value, rest)) => {
                self.rest = rest;
                Some(value)
            }
            // Cannot happen for a decoded or built list; stop for good.
            None => {
                self.rest = &[];
                None
            }
        }
    }
}

impl core::iter::FusedIterator for Values<'_> {}

/// The values of an [`AttributeRef`] as [`Bytes`], from
/// [`AttributeRef::value_bytes`].
#[derive(Clone, Debug)]
pub struct ValueBytes<'a> {
    values: Values<'a>,
    frame: &'a Bytes,
}

impl Iterator for ValueBytes<'_> {
    type Item = Bytes;

    fn next(&mut self) -> Option<Self::Item> {
        let v = self.values.next()?;
        Some(Frame(self.frame, &Budget::for_len(0)).bytes(v))
    }
}

impl core::iter::FusedIterator for ValueBytes<'_> {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
