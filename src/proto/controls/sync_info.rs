//! The Sync Info Message (RFC 4533 §2.5): an IntermediateResponse of a
//! sync search, with the name `1.3.6.1.4.1.4203.1.9.1.4`.
//!
//! ```text
//! syncInfoValue ::= CHOICE {
//!     newcookie      [0] syncCookie,
//!     refreshDelete  [1] SEQUENCE {
//!         cookie         syncCookie OPTIONAL,
//!         refreshDone    BOOLEAN DEFAULT TRUE
//!     },
//!     refreshPresent [2] SEQUENCE {
//!         cookie         syncCookie OPTIONAL,
//!         refreshDone    BOOLEAN DEFAULT TRUE
//!     },
//!     syncIdSet      [3] SEQUENCE {
//!         cookie         syncCookie OPTIONAL,
//!         refreshDeletes BOOLEAN DEFAULT FALSE,
//!         syncUUIDs      SET OF syncUUID
//!     }
//! }
//! ```
//!
//! The module is implicitly tagged: `[0]` is primitive, `[1]`-`[3]`
//! constructed.

use bytes::Bytes;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag};
use crate::proto::codec::{choice_error, next_tag, Budget, Frame};
use crate::proto::controls::generic::encode_value;
use crate::proto::controls::oid;
use crate::proto::controls::sync::{read_cookie, read_default_bool, SyncUuid};
use crate::proto::op::IntermediateResponse;

/// The Sync Info Message (RFC 4533 §2.5), sent as an intermediate
/// response during a sync search.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncInfo {
    /// `newcookie [0]`: the state has moved on to this cookie.
    NewCookie(Bytes),
    /// `refreshDelete [1]`: the refresh sent (or will send) deletions;
    /// `refresh_done` marks the end of the refresh stage.
    RefreshDelete {
        /// `cookie`.
        cookie: Option<Bytes>,
        /// `refreshDone` (default TRUE).
        refresh_done: bool,
    },
    /// `refreshPresent [2]`: the refresh sent the present entries;
    /// `refresh_done` marks the end of the refresh stage.
    RefreshPresent {
        /// `cookie`.
        cookie: Option<Bytes>,
        /// `refreshDone` (default TRUE).
        refresh_done: bool,
    },
    /// `syncIdSet [3]`: many entries at once, by their entryUUID: deleted
    /// ones if `refresh_deletes`, otherwise present ones.
    SyncIdSet {
        /// `cookie`.
        cookie: Option<Bytes>,
        /// `refreshDeletes` (default FALSE).
        refresh_deletes: bool,
        /// `syncUUIDs`.
        uuids: Vec<SyncUuid>,
    },
}

const NEW_COOKIE: Tag = Tag::context(0x00);
const REFRESH_DELETE: Tag = Tag::context(0x01).constructed();
const REFRESH_PRESENT: Tag = Tag::context(0x02).constructed();
const SYNC_ID_SET: Tag = Tag::context(0x03).constructed();
const SYNC_UUIDS: Tag = Tag::SET;

impl SyncInfo {
    /// The intermediate response's name.
    pub const OID: &'static str = oid::SYNC_INFO;

    /// The cookie it carries, if any.
    pub fn cookie(&self) -> Option<&Bytes> {
        match self {
            Self::NewCookie(c) => Some(c),
            Self::RefreshDelete { cookie, .. }
            | Self::RefreshPresent { cookie, .. }
            | Self::SyncIdSet { cookie, .. } => cookie.as_ref(),
        }
    }

    /// The wire form: an intermediate response named [`SyncInfo::OID`].
    pub fn to_intermediate(&self) -> IntermediateResponse {
        let value = encode_value(|w| match self {
            Self::NewCookie(c) => w.octet_string(NEW_COOKIE, c),
            Self::RefreshDelete {
                cookie,
                refresh_done,
            }
            | Self::RefreshPresent {
                cookie,
                refresh_done,
            } => {
                let tag = match self {
                    Self::RefreshDelete { .. } => REFRESH_DELETE,
                    _ => REFRESH_PRESENT,
                };
                w.sequence(tag, |w| {
                    if let Some(c) = cookie {
                        w.octet_string(Tag::OCTET_STRING, c);
                    }
                    if !refresh_done {
                        w.boolean(Tag::BOOLEAN, false);
                    }
                });
            }
            Self::SyncIdSet {
                cookie,
                refresh_deletes,
                uuids,
            } => w.sequence(SYNC_ID_SET, |w| {
                if let Some(c) = cookie {
                    w.octet_string(Tag::OCTET_STRING, c);
                }
                if *refresh_deletes {
                    w.boolean(Tag::BOOLEAN, true);
                }
                w.sequence(SYNC_UUIDS, |w| {
                    for u in uuids {
                        u.encode(w);
                    }
                });
            }),
        });
        IntermediateResponse::new(Some(Self::OID.into()), Some(value))
    }

    /// Parses an intermediate response: it must be named
    /// [`SyncInfo::OID`] and have a value of the form above, and nothing
    /// after it. Error offsets are relative to the value.
    pub fn from_intermediate(response: &IntermediateResponse) -> Result<Self, DecodeError> {
        if response.name.as_deref() != Some(Self::OID) {
            return Err(DecodeError::new(
                DecodeErrorKind::InvalidValue("the intermediate response is not a Sync Info"),
                0,
            ));
        }
        let value = response.value.as_ref().ok_or_else(|| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue("the Sync Info message has no value"),
                0,
            )
        })?;
        let mut r = Reader::new(value);
        let budget = Budget::for_len(value.len());
        let out = Self::decode(&mut r, Frame(value, &budget))?;
        r.finish()?;
        Ok(out)
    }

    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        let (tag, offset) = next_tag(r)?;
        match tag {
            NEW_COOKIE => Ok(Self::NewCookie(src.bytes(r.octet_string(NEW_COOKIE)?))),
            REFRESH_DELETE | REFRESH_PRESENT => r.sequence(tag, |r| {
                let cookie = read_cookie(r, src)?;
                let refresh_done = read_default_bool(r, true)?;
                Ok(if tag == REFRESH_DELETE {
                    Self::RefreshDelete {
                        cookie,
                        refresh_done,
                    }
                } else {
                    Self::RefreshPresent {
                        cookie,
                        refresh_done,
                    }
                })
            }),
            SYNC_ID_SET => r.sequence(tag, |r| {
                let cookie = read_cookie(r, src)?;
                let refresh_deletes = read_default_bool(r, false)?;
                let uuids = r.sequence(SYNC_UUIDS, |r| {
                    let mut out = src.vec_for(r, "syncUUIDs")?;
                    while !r.is_empty() {
                        let offset = r.offset();
                        let u = SyncUuid::decode(r)?;
                        src.push(&mut out, u, "syncUUIDs", offset)?;
                    }
                    Ok(out)
                })?;
                Ok(Self::SyncIdSet {
                    cookie,
                    refresh_deletes,
                    uuids,
                })
            }),
            _ => Err(choice_error(
                "syncInfoValue",
                tag,
                offset,
                &[NEW_COOKIE, REFRESH_DELETE, REFRESH_PRESENT, SYNC_ID_SET],
            )),
        }
    }
}
