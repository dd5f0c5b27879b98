//! Typed controls: the ones tokio-ldap can build and parse.
//!
//! Every typed control has the same shape:
//!
//! * `T::OID`, its OID (also listed, with others, in [`oid`]);
//! * `impl From<T> for Control` and `T::to_control(&self)`: the wire form,
//!   with the criticality given in `T`'s documentation (change it with
//!   [`Control::with_criticality`]);
//! * `T::from_control(&Control) -> Result<T, DecodeError>` and
//!   `impl TryFrom<&Control> for T`: parses the wire form, failing on
//!   another OID or a malformed value. Parsed values are slices of the
//!   control's value (no copies).
//!
//! Controls without a type here stay raw [`Control`]s.
//!
//! ```
//! use tokio_ldap::proto::controls::PagedResults;
//! use tokio_ldap::proto::Control;
//!
//! let request: Control = PagedResults { size: 500, cookie: Default::default() }.into();
//! assert_eq!(request.oid, PagedResults::OID);
//! // ... and on the SearchResultDone:
//! let response = request.clone();
//! let paged = PagedResults::from_control(&response)?;
//! assert!(paged.cookie.is_empty()); // no more pages
//! # Ok::<(), tokio_ldap::ber::DecodeError>(())
//! ```

use bytes::Bytes;
use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag, Writer};
use crate::proto::codec::{
    read_bytes, read_int_in, read_max_int, read_opt_string, read_string, read_strings,
    write_strings, Frame, ATTRIBUTE_DESCRIPTION, LDAP_STRING,
};
use crate::proto::control::Control;
use crate::proto::filter::Filter;
use crate::proto::op::SearchResultEntry;
use crate::proto::result::ResultCode;

/// OIDs of controls, typed here or not.
pub mod oid {
    /// Simple paged results, RFC 2696.
    pub const PAGED_RESULTS: &str = "1.2.840.113556.1.4.319";
    /// Server-side sort request, RFC 2891.
    pub const SORT_REQUEST: &str = "1.2.840.113556.1.4.473";
    /// Server-side sort response, RFC 2891.
    pub const SORT_RESPONSE: &str = "1.2.840.113556.1.4.474";
    /// Proxied authorization v2, RFC 4370.
    pub const PROXIED_AUTHZ: &str = "2.16.840.1.113730.3.4.18";
    /// ManageDsaIT, RFC 3296.
    pub const MANAGE_DSA_IT: &str = "2.16.840.1.113730.3.4.2";
    /// Assertion, RFC 4528.
    pub const ASSERTION: &str = "1.3.6.1.1.12";
    /// Pre-read, RFC 4527.
    pub const PRE_READ: &str = "1.3.6.1.1.13.1";
    /// Post-read, RFC 4527.
    pub const POST_READ: &str = "1.3.6.1.1.13.2";
    /// Authorization identity request, RFC 3829.
    pub const AUTHZ_ID_REQUEST: &str = "2.16.840.1.113730.3.4.16";
    /// Authorization identity response, RFC 3829.
    pub const AUTHZ_ID_RESPONSE: &str = "2.16.840.1.113730.3.4.15";
    /// Virtual list view request (draft-ietf-ldapext-ldapv3-vlv).
    pub const VLV_REQUEST: &str = "2.16.840.1.113730.3.4.9";
    /// Virtual list view response (draft-ietf-ldapext-ldapv3-vlv).
    pub const VLV_RESPONSE: &str = "2.16.840.1.113730.3.4.10";
    /// Subentries, RFC 3672.
    pub const SUBENTRIES: &str = "1.3.6.1.4.1.4203.1.10.1";
    /// Content synchronization request, RFC 4533.
    pub const SYNC_REQUEST: &str = "1.3.6.1.4.1.4203.1.9.1.1";
    /// Don't use copy, RFC 6171.
    pub const DONT_USE_COPY: &str = "1.3.6.1.1.22";
    /// Password policy (draft-behera-ldap-password-policy).
    pub const PASSWORD_POLICY: &str = "1.3.6.1.4.1.42.2.27.8.5.1";
    /// Tree delete (Active Directory).
    pub const TREE_DELETE: &str = "1.2.840.113556.1.4.805";
}

/// Simple paged results (RFC 2696), in a search request and in its
/// SearchResultDone. Non-critical.
///
/// In a request, `size` is the page size and `cookie` is empty for the
/// first page, then the cookie of the previous response. In a response,
/// `size` is the server's estimate of the total (0 if unknown) and an
/// empty `cookie` means there are no more pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagedResults {
    /// Page size (request) or estimated total (response).
    pub size: i32,
    /// The server's opaque cookie.
    pub cookie: Bytes,
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

/// Server-side sort request (RFC 2891). Non-critical: a server that cannot
/// sort returns the entries unsorted (mark it critical to get an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortRequest {
    /// The sort keys, most significant first.
    pub keys: Vec<SortKey>,
}

/// One key of a [`SortRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// `attributeType`: the attribute to sort on.
    pub attribute: ByteString,
    /// `orderingRule [0]`: the matching rule, if not the attribute's own.
    pub ordering_rule: Option<ByteString>,
    /// `reverseOrder [1]`: sort descending.
    pub reverse: bool,
}

impl SortKey {
    /// Ascending on `attribute` with its default ordering rule.
    pub fn new(attribute: &str) -> Self {
        Self {
            attribute: attribute.into(),
            ordering_rule: None,
            reverse: false,
        }
    }
}

const ORDERING_RULE: Tag = Tag::context(0x00);
const REVERSE_ORDER: Tag = Tag::context(0x01);

impl SortRequest {
    /// The control's OID.
    pub const OID: &'static str = oid::SORT_REQUEST;

    /// Sorts on `keys`, most significant first.
    pub fn new(keys: impl IntoIterator<Item = SortKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        // SortKeyList ::= SEQUENCE OF SEQUENCE {
        //          attributeType   AttributeDescription,
        //          orderingRule    [0] MatchingRuleId OPTIONAL,
        //          reverseOrder    [1] BOOLEAN DEFAULT FALSE }
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                for key in &self.keys {
                    w.sequence(Tag::SEQUENCE, |w| {
                        w.octet_string(Tag::OCTET_STRING, key.attribute.as_bytes());
                        if let Some(rule) = &key.ordering_rule {
                            w.octet_string(ORDERING_RULE, rule.as_bytes());
                        }
                        if key.reverse {
                            w.boolean(REVERSE_ORDER, true);
                        }
                    });
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let mut keys = Vec::new();
                while !r.is_empty() {
                    keys.push(r.sequence(Tag::SEQUENCE, |r| {
                        let attribute =
                            read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
                        let ordering_rule =
                            read_opt_string(r, src, ORDERING_RULE, "MatchingRuleId is not UTF-8")?;
                        let reverse = match r.peek_tag()? {
                            Some(REVERSE_ORDER) => r.boolean(REVERSE_ORDER)?,
                            _ => false,
                        };
                        Ok(SortKey {
                            attribute,
                            ordering_rule,
                            reverse,
                        })
                    })?);
                }
                Ok(Self { keys })
            })
        })
    }
}

/// Server-side sort response (RFC 2891), on the SearchResultDone.
/// Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortResponse {
    /// `sortResult`: `success`, or why the entries are not sorted
    /// (`noSuchAttribute`, `inappropriateMatching`, `unwillingToPerform`, ...).
    pub result: ResultCode,
    /// `attributeType [0]`: the attribute that caused the failure.
    pub attribute: Option<ByteString>,
}

const SORT_ATTRIBUTE: Tag = Tag::context(0x00);

impl SortResponse {
    /// The control's OID.
    pub const OID: &'static str = oid::SORT_RESPONSE;

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        // SortResult ::= SEQUENCE {
        //    sortResult  ENUMERATED { success (0), ..., other (80) },
        //    attributeType [0] AttributeDescription OPTIONAL }
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::ENUMERATED, i64::from(self.result.0));
                if let Some(a) = &self.attribute {
                    w.octet_string(SORT_ATTRIBUTE, a.as_bytes());
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let result = ResultCode(read_int_in(
                    r,
                    Tag::ENUMERATED,
                    "sortResult",
                    0..=i64::from(u32::MAX),
                )?);
                let attribute = read_opt_string(r, src, SORT_ATTRIBUTE, ATTRIBUTE_DESCRIPTION)?;
                Ok(Self { result, attribute })
            })
        })
    }
}

/// Proxied authorization v2 (RFC 4370): perform the operation as
/// `authz_id`. Always critical, as the RFC requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxiedAuthz {
    /// The authorization identity (`"dn:..."` or `"u:..."`); empty for
    /// the anonymous identity.
    pub authz_id: ByteString,
}

impl ProxiedAuthz {
    /// The control's OID.
    pub const OID: &'static str = oid::PROXIED_AUTHZ;

    /// Acts as `authz_id`.
    pub fn new(authz_id: &str) -> Self {
        Self {
            authz_id: authz_id.into(),
        }
    }

    /// The wire form, critical: the value is the authzId itself, not
    /// BER-wrapped.
    pub fn to_control(&self) -> Control {
        // controlValue ::= authzId   (RFC 4370 §3, an LDAPString)
        let value = self.authz_id.clone().into_bytes();
        Control::new(Self::OID, Some(value)).with_criticality(true)
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        let value = value_of(control, Self::OID)?;
        let authz_id = Frame(value).string(value, 0).map_err(|e| DecodeError {
            kind: DecodeErrorKind::InvalidValue(LDAP_STRING),
            ..e
        })?;
        Ok(Self { authz_id })
    }
}

/// ManageDsaIT (RFC 3296): treat referral objects as ordinary entries.
/// Non-critical; no value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ManageDsaIt;

impl ManageDsaIt {
    /// The control's OID.
    pub const OID: &'static str = oid::MANAGE_DSA_IT;

    /// The wire form, non-critical, without a value.
    pub fn to_control(&self) -> Control {
        Control::new(Self::OID, None)
    }

    /// Parses the wire form: RFC 3296 §3, "The control's value is absent".
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        check_oid(control, Self::OID)?;
        if control.value.is_some() {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("ManageDsaIT has no value"),
                0,
            ));
        }
        Ok(Self)
    }
}

/// The ManageDsaIT control (RFC 3296), non-critical.
pub fn manage_dsa_it() -> Control {
    ManageDsaIt.to_control()
}

/// Assertion (RFC 4528): the operation only happens if the target entry
/// matches `filter`, otherwise it fails with `assertionFailed`. Critical
/// by default, so that a server without support refuses the operation
/// instead of performing it unconditionally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// The condition.
    pub filter: Filter,
}

impl Assertion {
    /// The control's OID.
    pub const OID: &'static str = oid::ASSERTION;

    /// Asserts `filter`.
    pub fn new(filter: Filter) -> Self {
        Self { filter }
    }

    /// The wire form, critical; the value is the BER encoding of the filter.
    pub fn to_control(&self) -> Control {
        // controlValue ::= Filter   (RFC 4528 §3)
        let value = encode_value(|w| self.filter.encode(w));
        Control::new(Self::OID, Some(value)).with_criticality(true)
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            Ok(Self {
                filter: Filter::decode(r, src)?,
            })
        })
    }
}

/// Pre-read request (RFC 4527): return these attributes of the entry as it
/// was before a modify, delete or modify DN. Non-critical. The entry comes
/// back as a [`ReadEntry`] control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreRead {
    /// The attributes to return (empty: all user attributes).
    pub attributes: Vec<ByteString>,
}

/// Post-read request (RFC 4527): return these attributes of the entry as
/// it is after an add, modify or modify DN. Non-critical. The entry comes
/// back as a [`ReadEntry`] control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostRead {
    /// The attributes to return (empty: all user attributes).
    pub attributes: Vec<ByteString>,
}

macro_rules! read_request {
    ($t:ident, $oid:expr) => {
        impl $t {
            /// The control's OID.
            pub const OID: &'static str = $oid;

            /// Asks for `attributes`.
            pub fn new<S: AsRef<str>>(attributes: impl IntoIterator<Item = S>) -> Self {
                Self {
                    attributes: attributes.into_iter().map(|a| a.as_ref().into()).collect(),
                }
            }

            /// The wire form, non-critical.
            pub fn to_control(&self) -> Control {
                // controlValue ::= AttributeSelection   (RFC 4527 §3.1, §3.2)
                let value = encode_value(|w| {
                    w.sequence(Tag::SEQUENCE, |w| {
                        write_strings(w, Tag::OCTET_STRING, &self.attributes)
                    })
                });
                Control::new(Self::OID, Some(value))
            }

            /// Parses the wire form.
            pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
                decode_value(control, Self::OID, |r, src| {
                    let attributes = r.sequence(Tag::SEQUENCE, |r| {
                        read_strings(r, src, Tag::OCTET_STRING, LDAP_STRING)
                    })?;
                    Ok(Self { attributes })
                })
            }
        }
    };
}

read_request!(PreRead, oid::PRE_READ);
read_request!(PostRead, oid::POST_READ);

/// The response to a [`PreRead`] or [`PostRead`] request (RFC 4527): the
/// entry as it was before, or is after, the operation. Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadEntry {
    /// `true` for a post-read response, `false` for a pre-read one.
    pub post: bool,
    /// The entry, with the attributes that were asked for.
    pub entry: SearchResultEntry,
}

impl ReadEntry {
    /// The wire form, non-critical; the OID is pre-read's or post-read's
    /// according to `post`.
    pub fn to_control(&self) -> Control {
        // controlValue ::= SearchResultEntry   (RFC 4527 §3.1, §3.2)
        let value = encode_value(|w| self.entry.encode_tagged(w));
        Control::new(
            if self.post {
                oid::POST_READ
            } else {
                oid::PRE_READ
            },
            Some(value),
        )
    }

    /// Parses the wire form of a pre-read or a post-read response.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        let post = control.oid == oid::POST_READ;
        let oid = if post { oid::POST_READ } else { oid::PRE_READ };
        decode_value(control, oid, |r, src| {
            Ok(Self {
                post,
                entry: SearchResultEntry::decode_tagged(r, src)?,
            })
        })
    }
}

macro_rules! conversions {
    ($($t:ty),*) => {$(
        impl From<$t> for Control {
            fn from(c: $t) -> Self {
                c.to_control()
            }
        }

        impl From<&$t> for Control {
            fn from(c: &$t) -> Self {
                c.to_control()
            }
        }

        impl TryFrom<&Control> for $t {
            type Error = DecodeError;

            fn try_from(c: &Control) -> Result<Self, DecodeError> {
                Self::from_control(c)
            }
        }
    )*};
}

conversions!(
    PagedResults,
    SortRequest,
    SortResponse,
    ProxiedAuthz,
    ManageDsaIt,
    Assertion,
    PreRead,
    PostRead,
    ReadEntry
);

/// Fails unless `control` has `oid`.
fn check_oid(control: &Control, oid: &str) -> Result<(), DecodeError> {
    if control.oid != oid {
        return Err(DecodeError::new(
            DecodeErrorKind::InvalidValue("the control has another OID"),
            0,
        ));
    }
    Ok(())
}

/// The value of `control`, which must have `oid` and a value.
fn value_of<'c>(control: &'c Control, oid: &str) -> Result<&'c Bytes, DecodeError> {
    check_oid(control, oid)?;
    control.value.as_ref().ok_or_else(|| {
        DecodeError::new(DecodeErrorKind::InvalidValue("the control has no value"), 0)
    })
}

/// Decodes the value of `control` (which must have `oid`) with `f`, which
/// must consume all of it. Error offsets are relative to the value.
fn decode_value<T>(
    control: &Control,
    oid: &str,
    f: impl FnOnce(&mut Reader<'_>, Frame<'_>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let value = value_of(control, oid)?;
    let mut r = Reader::new(value);
    let out = f(&mut r, Frame(value))?;
    r.finish()?;
    Ok(out)
}

/// A control value written by `f`.
fn encode_value(f: impl FnOnce(&mut Writer<'_>)) -> Bytes {
    let mut out = Vec::new();
    f(&mut Writer::new(&mut out));
    Bytes::from(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::filter::Ava;
    use crate::proto::test_util::golden;
    use crate::proto::{Attribute, LdapMessage, LdapResult, MessageId, ProtocolOp};

    /// `control` has `oid`, `critical` and `value`, and parses back to `typed`.
    fn check<T>(typed: T, oid: &str, critical: bool, value: Option<&[u8]>)
    where
        T: Clone + PartialEq + core::fmt::Debug + Into<Control>,
        for<'c> T: TryFrom<&'c Control, Error = DecodeError>,
    {
        let control: Control = typed.clone().into();
        assert_eq!(control.oid, oid);
        assert_eq!(control.critical, critical);
        assert_eq!(control.value.as_deref(), value);
        assert_eq!(T::try_from(&control).unwrap(), typed);
    }

    fn raw(oid: &'static str, value: &'static [u8]) -> Control {
        Control::new(oid, Some(Bytes::from_static(value)))
    }

    #[test]
    fn paged_results() {
        check(
            PagedResults {
                size: 100,
                cookie: Bytes::new(),
            },
            "1.2.840.113556.1.4.319",
            false,
            Some(&[0x30, 0x05, 0x02, 0x01, 0x64, 0x04, 0x00]),
        );
        check(
            PagedResults {
                size: 0,
                cookie: Bytes::from_static(&[0xde, 0xad]),
            },
            "1.2.840.113556.1.4.319",
            false,
            Some(&[0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x02, 0xde, 0xad]),
        );
        // The cookie is a slice of the control's value.
        let c = raw(
            oid::PAGED_RESULTS,
            &[0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x02, 0xde, 0xad],
        );
        let p = PagedResults::from_control(&c).unwrap();
        assert_eq!(p.cookie.as_ptr(), c.value.as_ref().unwrap()[7..].as_ptr());
        // A negative size.
        let c = raw(
            oid::PAGED_RESULTS,
            &[0x30, 0x05, 0x02, 0x01, 0xff, 0x04, 0x00],
        );
        let err = PagedResults::from_control(&c).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "size",
                value: -1
            }
        );
        assert_eq!(err.to_string(), "size -1 is out of range at byte 2");
        // On a whole message: a SearchResultDone with the last page's control.
        let mut bytes = vec![
            0x30, 0x31, 0x02, 0x01, 0x02, 0x65, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0xa0, 0x23, 0x30, 0x21, 0x04, 0x16,
        ];
        bytes.extend_from_slice(b"1.2.840.113556.1.4.319");
        bytes.extend_from_slice(&[0x04, 0x07, 0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00]);
        let msg = LdapMessage {
            id: MessageId(2),
            op: ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS)),
            controls: vec![PagedResults {
                size: 0,
                cookie: Bytes::new(),
            }
            .into()],
        };
        golden(&bytes, &msg);
    }

    #[test]
    fn sort_request() {
        let keys = SortRequest::new([
            SortKey::new("cn"),
            SortKey {
                attribute: "sn".into(),
                ordering_rule: Some("2.5.13.3".into()),
                reverse: true,
            },
        ]);
        let value = [
            0x30, 0x19, 0x30, 0x04, 0x04, 0x02, 0x63, 0x6e, 0x30, 0x11, 0x04, 0x02, 0x73, 0x6e,
            0x80, 0x08, 0x32, 0x2e, 0x35, 0x2e, 0x31, 0x33, 0x2e, 0x33, 0x81, 0x01, 0xff,
        ];
        check(keys, "1.2.840.113556.1.4.473", false, Some(&value));
        check(
            SortRequest::new([]),
            "1.2.840.113556.1.4.473",
            false,
            Some(&[0x30, 0x00]),
        );
        // reverseOrder given as FALSE explicitly.
        let c = raw(
            oid::SORT_REQUEST,
            &[
                0x30, 0x09, 0x30, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x81, 0x01, 0x00,
            ],
        );
        assert_eq!(
            SortRequest::from_control(&c).unwrap(),
            SortRequest::new([SortKey::new("cn")])
        );
    }

    #[test]
    fn sort_response() {
        check(
            SortResponse {
                result: ResultCode::SUCCESS,
                attribute: None,
            },
            "1.2.840.113556.1.4.474",
            false,
            Some(&[0x30, 0x03, 0x0a, 0x01, 0x00]),
        );
        check(
            SortResponse {
                result: ResultCode::NO_SUCH_ATTRIBUTE,
                attribute: Some("cn".into()),
            },
            "1.2.840.113556.1.4.474",
            false,
            Some(&[0x30, 0x07, 0x0a, 0x01, 0x10, 0x80, 0x02, 0x63, 0x6e]),
        );
        let c = raw(oid::SORT_RESPONSE, &[0x30, 0x03, 0x02, 0x01, 0x00]);
        let err = SortResponse::from_control(&c).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::ENUMERATED,
                found: Tag::INTEGER
            }
        );
    }

    #[test]
    fn proxied_authz() {
        check(
            ProxiedAuthz::new("dn:cn=a"),
            "2.16.840.1.113730.3.4.18",
            true,
            Some(b"dn:cn=a"),
        );
        check(
            ProxiedAuthz::new(""),
            "2.16.840.1.113730.3.4.18",
            true,
            Some(b""),
        );
        let err = ProxiedAuthz::from_control(&raw(oid::PROXIED_AUTHZ, &[0xff])).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("LDAPString is not UTF-8")
        );
        let err = ProxiedAuthz::from_control(&Control::new(oid::PROXIED_AUTHZ, None)).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("the control has no value")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: the control has no value at byte 0"
        );
    }

    #[test]
    fn manage_dsa_it_control() {
        check(ManageDsaIt, "2.16.840.1.113730.3.4.2", false, None);
        assert_eq!(manage_dsa_it(), Control::new(oid::MANAGE_DSA_IT, None));
        let err = ManageDsaIt::from_control(&raw(oid::MANAGE_DSA_IT, &[])).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("ManageDsaIT has no value")
        );
        // Critical on request.
        let c = manage_dsa_it().with_criticality(true);
        assert!(c.critical);
        assert_eq!(ManageDsaIt::from_control(&c).unwrap(), ManageDsaIt);
    }

    #[test]
    fn assertion() {
        let f = Filter::Equality(Ava {
            attribute: "cn".into(),
            value: Bytes::from_static(b"a"),
        });
        check(
            Assertion::new(f),
            "1.3.6.1.1.12",
            true,
            Some(&[0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61]),
        );
        let c = raw(
            oid::ASSERTION,
            &[0xa3, 0x07, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x01, 0x61, 0x00],
        );
        let err = Assertion::from_control(&c).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 1 });
        assert_eq!(err.to_string(), "1 unexpected trailing bytes at byte 9");
    }

    #[test]
    fn read_entry_requests() {
        let value = [0x30, 0x08, 0x04, 0x02, 0x63, 0x6e, 0x04, 0x02, 0x73, 0x6e];
        check(
            PreRead::new(["cn", "sn"]),
            "1.3.6.1.1.13.1",
            false,
            Some(&value),
        );
        check(
            PostRead::new(["cn", "sn"]),
            "1.3.6.1.1.13.2",
            false,
            Some(&value),
        );
        check(
            PostRead::new::<&str>([]),
            "1.3.6.1.1.13.2",
            false,
            Some(&[0x30, 0x00]),
        );
        // A pre-read control is not a post-read one.
        let err = PostRead::from_control(&PreRead::new(["cn"]).into()).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("the control has another OID")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: the control has another OID at byte 0"
        );
    }

    #[test]
    fn read_entry_responses() {
        let entry = SearchResultEntry::new("cn=a", vec![Attribute::new("cn", ["a"])]);
        let value = [
            0x64, 0x13, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x0b, 0x30, 0x09, 0x04, 0x02,
            0x63, 0x6e, 0x31, 0x03, 0x04, 0x01, 0x61,
        ];
        check(
            ReadEntry {
                post: true,
                entry: entry.clone(),
            },
            "1.3.6.1.1.13.2",
            false,
            Some(&value),
        );
        check(
            ReadEntry { post: false, entry },
            "1.3.6.1.1.13.1",
            false,
            Some(&value),
        );
        // The entry without its [APPLICATION 4] tag.
        let mut untagged = value;
        untagged[0] = 0x30;
        let err = ReadEntry::from_control(&Control::new(
            oid::POST_READ,
            Some(Bytes::copy_from_slice(&untagged)),
        ))
        .unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::application(4).constructed(),
                found: Tag::SEQUENCE
            }
        );
        let err = ReadEntry::from_control(&manage_dsa_it()).unwrap_err();
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("the control has another OID")
        );
    }
}
