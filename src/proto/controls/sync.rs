//! Content synchronization (RFC 4533 §2.2-§2.4): the Sync Request, Sync
//! State and Sync Done controls, and the `syncUUID` they carry. The Sync
//! Info message, an intermediate response, is in `sync_info.rs`.
//!
//! ```text
//! syncRequestValue ::= SEQUENCE {
//!     mode ENUMERATED {
//!         -- 0 unused
//!         refreshOnly       (1),
//!         -- 2 reserved
//!         refreshAndPersist (3)
//!     },
//!     cookie     syncCookie OPTIONAL,
//!     reloadHint BOOLEAN DEFAULT FALSE
//! }
//!
//! syncStateValue ::= SEQUENCE {
//!     state ENUMERATED {
//!         present (0),
//!         add (1),
//!         modify (2),
//!         delete (3)
//!     },
//!     entryUUID syncUUID,
//!     cookie    syncCookie OPTIONAL
//! }
//!
//! syncDoneValue ::= SEQUENCE {
//!     cookie          syncCookie OPTIONAL,
//!     refreshDeletes  BOOLEAN DEFAULT FALSE
//! }
//!
//! syncUUID ::= OCTET STRING (SIZE(16))
//! syncCookie ::= OCTET STRING
//! ```

use core::fmt;

use bytes::Bytes;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag, Writer};
use crate::proto::codec::{read_enum, Frame};
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;

/// An entry's `entryUUID` as the sync controls carry it (`syncUUID`,
/// RFC 4533 §2.1: 16 octets). `Display` is the RFC 4122 form,
/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, which is how the entry's
/// `entryUUID` attribute reads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SyncUuid(pub [u8; 16]);

impl SyncUuid {
    /// Reads a `syncUUID`: an OCTET STRING of exactly 16 octets.
    pub(super) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let offset = r.offset();
        let value = r.octet_string(Tag::OCTET_STRING)?;
        let bytes: [u8; 16] = value.try_into().map_err(|_| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue("syncUUID must have exactly 16 octets"),
                offset,
            )
        })?;
        Ok(Self(bytes))
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, &self.0);
    }
}

impl fmt::Display for SyncUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SyncUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SyncUuid({self})")
    }
}

/// The mode of a [`SyncRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncMode {
    /// `refreshOnly (1)`: send the changes since the cookie, then end the
    /// search.
    RefreshOnly,
    /// `refreshAndPersist (3)`: send the changes since the cookie, then
    /// keep the search open and send each change as it happens.
    RefreshAndPersist,
}

/// Sync Request (RFC 4533 §2.2), on a search. Critical, so that a server
/// without content synchronization refuses the search instead of running
/// it as an ordinary one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncRequest {
    /// `mode`.
    pub mode: SyncMode,
    /// `cookie`: the state to resume from (none: the whole content).
    pub cookie: Option<Bytes>,
    /// `reloadHint`: the client would rather reload the whole content than
    /// receive the deletions.
    pub reload_hint: bool,
}

impl SyncRequest {
    /// The control's OID.
    pub const OID: &'static str = oid::SYNC_REQUEST;

    /// A request in `mode`, resuming from `cookie`, without the reload hint.
    pub fn new(mode: SyncMode, cookie: Option<Bytes>) -> Self {
        Self {
            mode,
            cookie,
            reload_hint: false,
        }
    }

    /// The wire form, critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                let mode = match self.mode {
                    SyncMode::RefreshOnly => 1,
                    SyncMode::RefreshAndPersist => 3,
                };
                w.integer(Tag::ENUMERATED, mode);
                if let Some(cookie) = &self.cookie {
                    w.octet_string(Tag::OCTET_STRING, cookie);
                }
                if self.reload_hint {
                    w.boolean(Tag::BOOLEAN, true);
                }
            });
        });
        Control::new(Self::OID, Some(value)).with_criticality(true)
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let mode = read_enum(r, "mode", |n| match n {
                    1 => Some(SyncMode::RefreshOnly),
                    3 => Some(SyncMode::RefreshAndPersist),
                    _ => None,
                })?;
                let cookie = read_cookie(r, src)?;
                let reload_hint = read_default_bool(r, false)?;
                Ok(Self {
                    mode,
                    cookie,
                    reload_hint,
                })
            })
        })
    }
}

/// The `state` of a [`SyncState`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncStateKind {
    /// `present (0)`: the entry is unchanged and still in the content.
    Present,
    /// `add (1)`: the entry was added to the content.
    Add,
    /// `modify (2)`: the entry was changed.
    Modify,
    /// `delete (3)`: the entry left the content.
    Delete,
}

/// Sync State (RFC 4533 §2.3), on each entry (and reference) of a sync
/// search. Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncState {
    /// `state`.
    pub state: SyncStateKind,
    /// `entryUUID`.
    pub entry_uuid: SyncUuid,
    /// `cookie`: the state the client reaches with this entry, if sent.
    pub cookie: Option<Bytes>,
}

impl SyncState {
    /// The control's OID.
    pub const OID: &'static str = oid::SYNC_STATE;

    /// A state control.
    pub fn new(state: SyncStateKind, entry_uuid: SyncUuid, cookie: Option<Bytes>) -> Self {
        Self {
            state,
            entry_uuid,
            cookie,
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                let state = match self.state {
                    SyncStateKind::Present => 0,
                    SyncStateKind::Add => 1,
                    SyncStateKind::Modify => 2,
                    SyncStateKind::Delete => 3,
                };
                w.integer(Tag::ENUMERATED, state);
                self.entry_uuid.encode(w);
                if let Some(cookie) = &self.cookie {
                    w.octet_string(Tag::OCTET_STRING, cookie);
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let state = read_enum(r, "state", |n| match n {
                    0 => Some(SyncStateKind::Present),
                    1 => Some(SyncStateKind::Add),
                    2 => Some(SyncStateKind::Modify),
                    3 => Some(SyncStateKind::Delete),
                    _ => None,
                })?;
                let entry_uuid = SyncUuid::decode(r)?;
                let cookie = read_cookie(r, src)?;
                Ok(Self {
                    state,
                    entry_uuid,
                    cookie,
                })
            })
        })
    }
}

/// Sync Done (RFC 4533 §2.4), on the SearchResultDone of a sync search.
/// Non-critical.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncDone {
    /// `cookie`: the state the client has reached.
    pub cookie: Option<Bytes>,
    /// `refreshDeletes`: the refresh sent deletions (entries missing from
    /// it were not deleted); false: it sent the present entries (entries
    /// not sent as present were deleted).
    pub refresh_deletes: bool,
}

impl SyncDone {
    /// The control's OID.
    pub const OID: &'static str = oid::SYNC_DONE;

    /// A done control.
    pub fn new(cookie: Option<Bytes>, refresh_deletes: bool) -> Self {
        Self {
            cookie,
            refresh_deletes,
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                if let Some(cookie) = &self.cookie {
                    w.octet_string(Tag::OCTET_STRING, cookie);
                }
                if self.refresh_deletes {
                    w.boolean(Tag::BOOLEAN, true);
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let cookie = read_cookie(r, src)?;
                let refresh_deletes = read_default_bool(r, false)?;
                Ok(Self {
                    cookie,
                    refresh_deletes,
                })
            })
        })
    }
}

/// Reads an optional `syncCookie` (an OCTET STRING).
pub(super) fn read_cookie(
    r: &mut Reader<'_>,
    src: Frame<'_>,
) -> Result<Option<Bytes>, DecodeError> {
    Ok(r.optional(Tag::OCTET_STRING)?
        .map(|tlv| src.bytes(tlv.value)))
}

/// Reads a `BOOLEAN DEFAULT default`.
pub(super) fn read_default_bool(r: &mut Reader<'_>, default: bool) -> Result<bool, DecodeError> {
    match r.peek_tag()? {
        Some(Tag::BOOLEAN) => r.boolean(Tag::BOOLEAN),
        _ => Ok(default),
    }
}
