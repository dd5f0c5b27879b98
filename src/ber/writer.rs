use crate::ber::Tag;

/// Appends BER encodings to a `Vec<u8>`, with minimal definite lengths.
///
/// Constructed values are written in one pass: [`Writer::sequence`] leaves
/// a one-octet length placeholder, writes the contents, then widens the
/// length field in place if the contents turned out to be 128 bytes or
/// longer.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf }
    }

    /// Writes a primitive element with `tag` and content `value`.
    pub fn octet_string(&mut self, tag: Tag, value: &[u8]) {
        self.tag(tag);
        self.len(value.len());
        self.buf.extend_from_slice(value);
    }

    /// Writes an INTEGER (or ENUMERATED) in minimal two's complement form.
    pub fn integer(&mut self, tag: Tag, n: i64) {
        let bytes = n.to_be_bytes();
        // Skip leading octets that only repeat the sign.
        let mut rest: &[u8] = &bytes;
        while let [b, next, ..] = rest {
            let redundant = (*b == 0x00 && next & 0x80 == 0) || (*b == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            rest = rest.get(1..).unwrap_or_default();
        }
        self.octet_string(tag, rest);
    }

    /// Writes a BOOLEAN (TRUE as `0xff`, as DER requires).
    pub fn boolean(&mut self, tag: Tag, b: bool) {
        self.octet_string(tag, &[if b { 0xff } else { 0x00 }]);
    }

    /// Writes a constructed element with `tag` whose contents `f` writes.
    pub fn sequence(&mut self, tag: Tag, f: impl FnOnce(&mut Writer<'_>)) {
        self.tag(tag.constructed());
        let len_at = self.buf.len();
        self.buf.push(0);
        let start = self.buf.len();
        f(&mut Writer { buf: self.buf });
        let len = self.buf.len() - start;
        if len < 0x80 {
            if let Some(b) = self.buf.get_mut(len_at) {
                *b = len as u8;
            }
            return;
        }
        // Widen the placeholder to the long form and move the contents up.
        let octets = len_octets(len);
        self.buf.resize(self.buf.len() + octets, 0);
        self.buf.copy_within(start..start + len, start + octets);
        let be = len.to_be_bytes();
        let digits = be.get(be.len() - octets..).unwrap_or_default();
        let field = self
            .buf
            .get_mut(len_at..=len_at + octets)
            .unwrap_or_default();
        if let Some((first, rest)) = field.split_first_mut() {
            *first = 0x80 | octets as u8;
            rest.copy_from_slice(digits);
        }
    }

    /// Appends already-encoded BER bytes unchanged.
    pub fn raw(&mut self, encoded: &[u8]) {
        self.buf.extend_from_slice(encoded);
    }

    fn tag(&mut self, tag: Tag) {
        self.buf.push(tag.first_octet());
        if tag.number < 31 {
            return;
        }
        let n = tag.number;
        let groups = (32 - n.leading_zeros()).div_ceil(7);
        for i in (0..groups).rev() {
            let more = if i == 0 { 0 } else { 0x80 };
            self.buf.push(((n >> (7 * i)) & 0x7f) as u8 | more);
        }
    }

    fn len(&mut self, len: usize) {
        if len < 0x80 {
            self.buf.push(len as u8);
            return;
        }
        let octets = len_octets(len);
        self.buf.push(0x80 | octets as u8);
        for i in (0..octets).rev() {
            self.buf.push((len >> (8 * i)) as u8);
        }
    }
}

/// Number of octets needed for `len` in the long form.
fn len_octets(len: usize) -> usize {
    (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ber::Reader;

    fn enc(f: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
        let mut v = Vec::new();
        f(&mut Writer::new(&mut v));
        v
    }

    #[test]
    fn minimal_integers() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x02, 0x01, 0x00]),
            (127, &[0x02, 0x01, 0x7f]),
            (128, &[0x02, 0x02, 0x00, 0x80]),
            (256, &[0x02, 0x02, 0x01, 0x00]),
            (-1, &[0x02, 0x01, 0xff]),
            (-128, &[0x02, 0x01, 0x80]),
            (-129, &[0x02, 0x02, 0xff, 0x7f]),
            (
                i64::MAX,
                &[0x02, 0x08, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
        ];
        for (n, want) in cases {
            assert_eq!(enc(|w| w.integer(Tag::INTEGER, *n)), *want, "{n}");
            assert_eq!(Reader::new(want).integer(Tag::INTEGER).unwrap(), *n);
        }
    }

    #[test]
    fn long_lengths_are_minimal() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 70000] {
            let value = vec![0xab; len];
            let prim = enc(|w| w.octet_string(Tag::OCTET_STRING, &value));
            let seq = enc(|w| w.sequence(Tag::SEQUENCE, |w| w.raw(&value)));
            let header: Vec<u8> = match len {
                0..=127 => vec![len as u8],
                128..=255 => vec![0x81, len as u8],
                256..=65535 => vec![0x82, (len >> 8) as u8, len as u8],
                _ => vec![0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8],
            };
            assert_eq!(&prim[1..1 + header.len()], &header[..], "{len}");
            assert_eq!(&seq[1..1 + header.len()], &header[..], "{len}");
            assert_eq!(&seq[1 + header.len()..], &value[..]);
            let mut r = Reader::new(&seq);
            assert_eq!(r.element(Tag::SEQUENCE).unwrap().value, &value[..]);
        }
    }

    #[test]
    fn high_tags_round_trip() {
        for n in [30u32, 31, 127, 128, 200, 16383, 16384, u32::MAX] {
            let tag = Tag::context(n);
            let bytes = enc(|w| w.octet_string(tag, b"x"));
            let tlv = Reader::new(&bytes).tlv().unwrap();
            assert_eq!(tlv.tag, tag);
        }
        assert_eq!(
            enc(|w| w.octet_string(Tag::application(200), &[])),
            [0x5f, 0x81, 0x48, 0x00]
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(enc(|w| w.boolean(Tag::BOOLEAN, true)), [0x01, 0x01, 0xff]);
        assert_eq!(enc(|w| w.boolean(Tag::BOOLEAN, false)), [0x01, 0x01, 0x00]);
    }
}
