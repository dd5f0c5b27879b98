//! Persistent search (draft-ietf-ldapext-psearch-03): the request, and the
//! entry change notification on each entry it returns.
//!
//! ```text
//! PersistentSearch ::= SEQUENCE {
//!         changeTypes INTEGER,
//!         changesOnly BOOLEAN,
//!         returnECs BOOLEAN
//! }
//!
//! EntryChangeNotification ::= SEQUENCE {
//!         changeType ENUMERATED {
//!                 add             (1),
//!                 delete          (2),
//!                 modify          (4),
//!                 modDN           (8)
//!         },
//!         previousDN   LDAPDN OPTIONAL,     -- modifyDN ops. only
//!         changeNumber INTEGER OPTIONAL     -- if supported
//! }
//! ```

use core::ops::BitOr;

use bytestring::ByteString;

use crate::ber::{DecodeError, Tag};
use crate::proto::codec::{read_enum, read_int_in, LDAP_DN};
use crate::proto::controls::generic::{decode_value, encode_value, Control};
use crate::proto::controls::oid;

/// The kinds of change a [`PersistentSearch`] asks for, a bit set
/// (`changeTypes`): combine them with `|`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangeTypes(pub u8);

impl ChangeTypes {
    /// `add (1)`.
    pub const ADD: Self = Self(1);
    /// `delete (2)`.
    pub const DELETE: Self = Self(2);
    /// `modify (4)`.
    pub const MODIFY: Self = Self(4);
    /// `modDN (8)`.
    pub const MOD_DN: Self = Self(8);
    /// All four.
    pub const ALL: Self = Self(15);

    /// Whether every kind of `other` is in `self`.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ChangeTypes {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Persistent search request: keep the search open and return each entry
/// as it changes. Critical, so that a server without persistent search
/// (OpenLDAP's slapd, for one) refuses the search instead of running it
/// once and ending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PersistentSearch {
    /// `changeTypes`: the changes to return.
    pub change_types: ChangeTypes,
    /// `changesOnly`: return only changed entries, not first the ones that
    /// match now.
    pub changes_only: bool,
    /// `returnECs`: put an [`EntryChangeNotification`] on each changed entry.
    pub return_ecs: bool,
}

impl PersistentSearch {
    /// The control's OID.
    pub const OID: &'static str = oid::PERSISTENT_SEARCH;

    /// Changes of `change_types` only, each with its entry change
    /// notification.
    pub fn new(change_types: ChangeTypes) -> Self {
        Self {
            change_types,
            changes_only: true,
            return_ecs: true,
        }
    }

    /// The wire form, critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::INTEGER, i64::from(self.change_types.0));
                w.boolean(Tag::BOOLEAN, self.changes_only);
                w.boolean(Tag::BOOLEAN, self.return_ecs);
            });
        });
        Control::new(Self::OID, Some(value)).with_criticality(true)
    }

    /// Parses the wire form; `changeTypes` must be a combination of the
    /// four kinds (1 to 15).
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, _| {
            r.sequence(Tag::SEQUENCE, |r| {
                let change_types =
                    ChangeTypes(read_int_in(r, Tag::INTEGER, "changeTypes", 1..=15)?);
                let changes_only = r.boolean(Tag::BOOLEAN)?;
                let return_ecs = r.boolean(Tag::BOOLEAN)?;
                Ok(Self {
                    change_types,
                    changes_only,
                    return_ecs,
                })
            })
        })
    }
}

/// The `changeType` of an [`EntryChangeNotification`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeType {
    /// `add (1)`.
    Add,
    /// `delete (2)`.
    Delete,
    /// `modify (4)`.
    Modify,
    /// `modDN (8)`.
    ModDn,
}

impl ChangeType {
    fn code(self) -> i64 {
        match self {
            Self::Add => 1,
            Self::Delete => 2,
            Self::Modify => 4,
            Self::ModDn => 8,
        }
    }
}

/// Entry change notification: on an entry a [`PersistentSearch`] returns
/// because it changed. Non-critical.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryChangeNotification {
    /// `changeType`.
    pub change_type: ChangeType,
    /// `previousDN`: the DN before a modify DN.
    pub previous_dn: Option<ByteString>,
    /// `changeNumber`: the change's number in the server's change log, if
    /// it keeps one.
    pub change_number: Option<i64>,
}

impl EntryChangeNotification {
    /// The control's OID.
    pub const OID: &'static str = oid::ENTRY_CHANGE_NOTIFICATION;

    /// A notification of `change_type`, without previous DN or change
    /// number.
    pub fn new(change_type: ChangeType) -> Self {
        Self {
            change_type,
            previous_dn: None,
            change_number: None,
        }
    }

    /// The wire form, non-critical.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| {
            w.sequence(Tag::SEQUENCE, |w| {
                w.integer(Tag::ENUMERATED, self.change_type.code());
                if let Some(dn) = &self.previous_dn {
                    w.octet_string(Tag::OCTET_STRING, dn.as_bytes());
                }
                if let Some(n) = self.change_number {
                    w.integer(Tag::INTEGER, n);
                }
            });
        });
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        decode_value(control, Self::OID, |r, src| {
            r.sequence(Tag::SEQUENCE, |r| {
                let change_type = read_enum(r, "changeType", |n| match n {
                    1 => Some(ChangeType::Add),
                    2 => Some(ChangeType::Delete),
                    4 => Some(ChangeType::Modify),
                    8 => Some(ChangeType::ModDn),
                    _ => None,
                })?;
                let previous_dn =
                    crate::proto::codec::read_opt_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
                let change_number = match r.peek_tag()? {
                    Some(Tag::INTEGER) => Some(r.integer(Tag::INTEGER)?),
                    _ => None,
                };
                Ok(Self {
                    change_type,
                    previous_dn,
                    change_number,
                })
            })
        })
    }
}
