//! The wire form of a control (RFC 4511 §4.1.11), the `Controls` list of a
//! message, and what every typed control's codec shares.
//!
//! ```text
//! Controls ::= SEQUENCE OF control Control
//!
//! Control ::= SEQUENCE {
//!      controlType             LDAPOID,
//!      criticality             BOOLEAN DEFAULT FALSE,
//!      controlValue            OCTET STRING OPTIONAL }
//! ```

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag, Writer};
use crate::proto::codec::{read_opt_bytes, read_string, Budget, Frame, LDAP_OID};

/// A control as carried on the wire: OID, criticality and optional value.
///
/// Typed controls convert to and from this form; controls tokio-ldap does
/// not know stay available here, raw.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Control {
    /// `controlType`: the control's OID.
    pub oid: ByteString,
    /// `criticality`.
    pub critical: bool,
    /// `controlValue`.
    pub value: Option<Bytes>,
}

impl Control {
    /// A non-critical control with `oid` and `value`.
    pub fn new(oid: impl Into<ByteString>, value: Option<Bytes>) -> Self {
        Self {
            oid: oid.into(),
            critical: false,
            value,
        }
    }

    /// The same control with its criticality set to `critical`.
    ///
    /// A server that does not support a critical control fails the
    /// operation with `unavailableCriticalExtension`; a non-critical one it
    /// ignores (RFC 4511 §4.1.11).
    pub fn with_criticality(self, critical: bool) -> Self {
        Self { critical, ..self }
    }

    /// Reads one `Control`.
    pub(crate) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // Control ::= SEQUENCE {
        //      controlType             LDAPOID,
        //      criticality             BOOLEAN DEFAULT FALSE,
        //      controlValue            OCTET STRING OPTIONAL }
        r.sequence(Tag::SEQUENCE, |r| {
            let oid = read_string(r, src, Tag::OCTET_STRING, LDAP_OID)?;
            let critical = match r.peek_tag()? {
                Some(Tag::BOOLEAN) => r.boolean(Tag::BOOLEAN)?,
                _ => false,
            };
            let value = read_opt_bytes(r, src, Tag::OCTET_STRING)?;
            Ok(Self {
                oid,
                critical,
                value,
            })
        })
    }

    /// Writes this control; a FALSE criticality is left out (it is the
    /// DEFAULT, which DER omits).
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.sequence(Tag::SEQUENCE, |w| {
            w.octet_string(Tag::OCTET_STRING, self.oid.as_bytes());
            if self.critical {
                w.boolean(Tag::BOOLEAN, true);
            }
            if let Some(v) = &self.value {
                w.octet_string(Tag::OCTET_STRING, v);
            }
        });
    }
}

/// A control with a type here: its OID and how it is parsed from the wire
/// form. Implemented by every typed control of [`controls`](super), and
/// what [`Response::control`](crate::Response::control) and
/// [`LdapError::control`](crate::LdapError::control) look controls up by:
///
/// ```
/// use tokio_ldap::controls::{Control, PagedResults, TypedControl};
///
/// let sent = [Control::new("1.2.3.4", None), PagedResults::new(10, b"next".to_vec()).to_control()];
/// let paged = PagedResults::find_in(&sent).expect("a paged-results control")?;
/// assert_eq!(&paged.cookie[..], b"next");
/// # Ok::<(), tokio_ldap::ber::DecodeError>(())
/// ```
pub trait TypedControl: Sized {
    /// The control's OID.
    const OID: &'static str;

    /// Whether a control of type `oid` is one of these: `oid == Self::OID`,
    /// and for [`ReadEntry`](super::ReadEntry) either of pre-read and
    /// post-read.
    fn has_oid(oid: &str) -> bool {
        oid == Self::OID
    }

    /// Parses the wire form; fails on another OID or a malformed value.
    fn from_control(control: &Control) -> Result<Self, DecodeError>;

    /// The first control of `controls` of this type, parsed: `None` when
    /// there is none, `Some(Err)` when it does not parse.
    fn find_in(controls: &[Control]) -> Option<Result<Self, DecodeError>> {
        controls
            .iter()
            .find(|c| Self::has_oid(&c.oid))
            .map(Self::from_control)
    }
}

/// Reads the contents of `Controls ::= SEQUENCE OF control Control`.
pub(crate) fn decode_controls(
    r: &mut Reader<'_>,
    src: Frame<'_>,
) -> Result<Vec<Control>, DecodeError> {
    let mut out = src.vec_for(r, "Controls")?;
    while !r.is_empty() {
        let offset = r.offset();
        let c = Control::decode(r, src)?;
        src.push(&mut out, c, "Controls", offset)?;
    }
    Ok(out)
}

/// Writes the contents of `Controls`.
pub(crate) fn encode_controls(controls: &[Control], w: &mut Writer<'_>) {
    for c in controls {
        c.encode(w);
    }
}

/// Fails unless `control` has `oid`.
pub(super) fn check_oid(control: &Control, oid: &str) -> Result<(), DecodeError> {
    if control.oid != oid {
        return Err(DecodeError::new(
            DecodeErrorKind::InvalidValue("the control has another OID"),
            0,
        ));
    }
    Ok(())
}

/// The value of `control`, which must have `oid` and a value.
pub(super) fn value_of<'c>(control: &'c Control, oid: &str) -> Result<&'c Bytes, DecodeError> {
    check_oid(control, oid)?;
    control.value.as_ref().ok_or_else(|| {
        DecodeError::new(DecodeErrorKind::InvalidValue("the control has no value"), 0)
    })
}

/// Decodes the value of `control` (which must have `oid`) with `f`, which
/// must consume all of it. Error offsets are relative to the value.
pub(super) fn decode_value<T>(
    control: &Control,
    oid: &str,
    f: impl FnOnce(&mut Reader<'_>, Frame<'_>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let value = value_of(control, oid)?;
    let mut r = Reader::new(value);
    let budget = Budget::for_len(value.len());
    let out = f(&mut r, Frame(value, &budget))?;
    r.finish()?;
    Ok(out)
}

/// A control value written by `f`.
pub(super) fn encode_value(f: impl FnOnce(&mut Writer<'_>)) -> Bytes {
    let mut out = Vec::new();
    f(&mut Writer::new(&mut out));
    Bytes::from(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ber::DecodeErrorKind;

    fn decode(bytes: &[u8]) -> Result<Control, DecodeError> {
        let frame = Bytes::copy_from_slice(bytes);
        let mut r = Reader::new(&frame);
        let budget = Budget::for_len(frame.len());
        let c = Control::decode(&mut r, Frame(&frame, &budget))?;
        r.finish()?;
        Ok(c)
    }

    fn encode(c: &Control) -> Vec<u8> {
        let mut out = Vec::new();
        c.encode(&mut Writer::new(&mut out));
        out
    }

    #[test]
    fn shapes() {
        // OID only.
        let bytes = [0x30, 0x05, 0x04, 0x03, b'1', b'.', b'2'];
        let c = Control::new("1.2", None);
        assert_eq!(decode(&bytes).unwrap(), c);
        assert_eq!(encode(&c), bytes);
        // Critical, with a value.
        let bytes = [
            0x30, 0x0c, 0x04, 0x03, b'1', b'.', b'2', 0x01, 0x01, 0xff, 0x04, 0x02, 0xab, 0xcd,
        ];
        let c = Control::new("1.2", Some(Bytes::from_static(&[0xab, 0xcd]))).with_criticality(true);
        assert_eq!(decode(&bytes).unwrap(), c);
        assert_eq!(encode(&c), bytes);
        // Value, criticality left out.
        let bytes = [0x30, 0x07, 0x04, 0x03, b'1', b'.', b'2', 0x04, 0x00];
        let c = Control::new("1.2", Some(Bytes::new()));
        assert_eq!(decode(&bytes).unwrap(), c);
        assert_eq!(encode(&c), bytes);
        // An explicit FALSE decodes, and is left out on encoding.
        let bytes = [0x30, 0x08, 0x04, 0x03, b'1', b'.', b'2', 0x01, 0x01, 0x00];
        assert_eq!(decode(&bytes).unwrap(), Control::new("1.2", None));
    }

    #[test]
    fn errors() {
        // Criticality after the value.
        let err =
            decode(&[0x30, 0x08, 0x04, 0x01, b'1', 0x04, 0x00, 0x01, 0x01, 0xff]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 3 });
        assert_eq!(err.to_string(), "3 unexpected trailing bytes at byte 7");
        // A BOOLEAN of two octets.
        let err = decode(&[0x30, 0x07, 0x04, 0x01, b'1', 0x01, 0x02, 0xff, 0xff]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::BadBoolean);
        assert_eq!(
            err.to_string(),
            "BOOLEAN must have exactly one content octet at byte 5"
        );
        // An OID that is not UTF-8.
        let err = decode(&[0x30, 0x03, 0x04, 0x01, 0xff]).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("LDAPOID is not UTF-8")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: LDAPOID is not UTF-8 at byte 2"
        );
    }
}
