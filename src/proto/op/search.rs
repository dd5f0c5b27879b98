//! The Search operation (RFC 4511 §4.5): the request, and the three
//! responses (entries, continuation references and the final result). The
//! entry's attributes are read by [`AttributeList`], in `attributes.rs`.
//!
//! ```text
//! SearchRequest ::= [APPLICATION 3] SEQUENCE {
//!      baseObject      LDAPDN,
//!      scope           ENUMERATED {
//!           baseObject              (0),
//!           singleLevel             (1),
//!           wholeSubtree            (2),
//!           ...  },
//!      derefAliases    ENUMERATED {
//!           neverDerefAliases       (0),
//!           derefInSearching        (1),
//!           derefFindingBaseObj     (2),
//!           derefAlways             (3) },
//!      sizeLimit       INTEGER (0 ..  maxInt),
//!      timeLimit       INTEGER (0 ..  maxInt),
//!      typesOnly       BOOLEAN,
//!      filter          Filter,
//!      attributes      AttributeSelection }
//!
//! AttributeSelection ::= SEQUENCE OF selector LDAPString
//!
//! SearchResultEntry ::= [APPLICATION 4] SEQUENCE {
//!      objectName      LDAPDN,
//!      attributes      PartialAttributeList }
//!
//! PartialAttributeList ::= SEQUENCE OF
//!                      partialAttribute PartialAttribute
//!
//! SearchResultReference ::= [APPLICATION 19] SEQUENCE
//!                           SIZE (1..MAX) OF uri URI
//!
//! SearchResultDone ::= [APPLICATION 5] LDAPResult
//! ```
//!
//! (`scope` 3, `subordinateSubtree`, is from draft-sermersheim-ldap-subordinate-scope.)

use bytestring::ByteString;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{
    read_enum, read_max_int, read_string, read_strings, write_strings, Frame, LDAP_DN, LDAP_STRING,
};
use crate::proto::filter::Filter;
use crate::proto::op::attributes::{Attribute, AttributeList, AttributeRef};
use crate::proto::result::read_uris;

/// The `scope` of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `baseObject (0)`: the base entry only.
    Base,
    /// `singleLevel (1)`: the immediate children of the base.
    OneLevel,
    /// `wholeSubtree (2)`: the base and everything below it.
    Subtree,
    /// `subordinateSubtree (3)` (draft-sermersheim-ldap-subordinate-scope):
    /// everything below the base, without the base.
    Subordinate,
}

/// `derefAliases` of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DerefAliases {
    /// `neverDerefAliases (0)`.
    #[default]
    Never,
    /// `derefInSearching (1)`.
    InSearching,
    /// `derefFindingBaseObj (2)`.
    FindingBase,
    /// `derefAlways (3)`.
    Always,
}

/// `SearchRequest ::= [APPLICATION 3] SEQUENCE { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchRequest {
    /// `baseObject`.
    pub base: ByteString,
    /// `scope`.
    pub scope: Scope,
    /// `derefAliases`.
    pub deref: DerefAliases,
    /// `sizeLimit` (0: no client-requested limit).
    pub size_limit: i32,
    /// `timeLimit` in seconds (0: no client-requested limit).
    pub time_limit: i32,
    /// `typesOnly`.
    pub types_only: bool,
    /// `filter`.
    pub filter: Filter,
    /// `attributes` (empty: all user attributes).
    pub attributes: Vec<ByteString>,
}

impl SearchRequest {
    /// A search of `base` with `scope` and `filter`: aliases never
    /// dereferenced, no size or time limit, types and values of all user
    /// attributes (set the fields to change that).
    pub fn new(base: impl Into<ByteString>, scope: Scope, filter: Filter) -> Self {
        Self {
            base: base.into(),
            scope,
            deref: DerefAliases::Never,
            size_limit: 0,
            time_limit: 0,
            types_only: false,
            filter,
            attributes: Vec::new(),
        }
    }
}

/// `SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName, attributes }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchResultEntry {
    /// `objectName`.
    pub dn: ByteString,
    /// `attributes` (`PartialAttributeList`).
    pub attributes: AttributeList,
}

impl SearchRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // SearchRequest ::= [APPLICATION 3] SEQUENCE {
        //      baseObject      LDAPDN,
        //      scope           ENUMERATED {
        //           baseObject              (0),
        //           singleLevel             (1),
        //           wholeSubtree            (2),
        //           ...  },
        //      derefAliases    ENUMERATED {
        //           neverDerefAliases       (0),
        //           derefInSearching        (1),
        //           derefFindingBaseObj     (2),
        //           derefAlways             (3) },
        //      sizeLimit       INTEGER (0 ..  maxInt),
        //      timeLimit       INTEGER (0 ..  maxInt),
        //      typesOnly       BOOLEAN,
        //      filter          Filter,
        //      attributes      AttributeSelection }
        let base = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let scope = read_enum(r, "scope", |n| match n {
            0 => Some(Scope::Base),
            1 => Some(Scope::OneLevel),
            2 => Some(Scope::Subtree),
            3 => Some(Scope::Subordinate),
            _ => None,
        })?;
        let deref = read_enum(r, "derefAliases", |n| match n {
            0 => Some(DerefAliases::Never),
            1 => Some(DerefAliases::InSearching),
            2 => Some(DerefAliases::FindingBase),
            3 => Some(DerefAliases::Always),
            _ => None,
        })?;
        let size_limit = read_max_int(r, Tag::INTEGER, "sizeLimit")?;
        let time_limit = read_max_int(r, Tag::INTEGER, "timeLimit")?;
        let types_only = r.boolean(Tag::BOOLEAN)?;
        let filter = Filter::decode(r, src)?;
        // AttributeSelection ::= SEQUENCE OF selector LDAPString
        let attributes = r.sequence(Tag::SEQUENCE, |r| {
            read_strings(r, src, Tag::OCTET_STRING, "AttributeSelection", LDAP_STRING)
        })?;
        Ok(Self {
            base,
            scope,
            deref,
            size_limit,
            time_limit,
            types_only,
            filter,
            attributes,
        })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.base.as_bytes());
        let scope = match self.scope {
            Scope::Base => 0,
            Scope::OneLevel => 1,
            Scope::Subtree => 2,
            Scope::Subordinate => 3,
        };
        w.integer(Tag::ENUMERATED, scope);
        let deref = match self.deref {
            DerefAliases::Never => 0,
            DerefAliases::InSearching => 1,
            DerefAliases::FindingBase => 2,
            DerefAliases::Always => 3,
        };
        w.integer(Tag::ENUMERATED, deref);
        w.integer(Tag::INTEGER, i64::from(self.size_limit));
        w.integer(Tag::INTEGER, i64::from(self.time_limit));
        w.boolean(Tag::BOOLEAN, self.types_only);
        self.filter.encode(w);
        w.sequence(Tag::SEQUENCE, |w| {
            write_strings(w, Tag::OCTET_STRING, &self.attributes)
        });
    }
}

impl SearchResultEntry {
    /// An entry named `dn` with `attributes` (encoded into an
    /// [`AttributeList`]).
    pub fn new(dn: impl Into<ByteString>, attributes: Vec<Attribute>) -> Self {
        Self {
            dn: dn.into(),
            attributes: AttributeList::new(attributes),
        }
    }

    /// The first attribute whose description is `name` (ASCII
    /// case-insensitive), as [`AttributeList::get`].
    pub fn get(&self, name: &str) -> Option<AttributeRef<'_>> {
        self.attributes.get(name)
    }

    /// The first value of attribute `name`, if there is one and it is UTF-8.
    pub fn first_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|a| a.first_str())
    }

    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // SearchResultEntry ::= [APPLICATION 4] SEQUENCE {
        //      objectName      LDAPDN,
        //      attributes      PartialAttributeList }
        //
        // PartialAttributeList ::= SEQUENCE OF
        //                      partialAttribute PartialAttribute
        let dn = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let attributes = AttributeList::decode(r, src)?;
        Ok(Self { dn, attributes })
    }

    /// Writes the contents of the entry's SEQUENCE.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.dn.as_bytes());
        self.attributes.encode(w);
    }
}

/// Reads the contents of a `SearchResultReference`: at least one URI.
pub(super) fn decode_reference(
    r: &mut Reader<'_>,
    src: Frame<'_>,
) -> Result<Vec<ByteString>, DecodeError> {
    read_uris(r, src, "SearchResultReference")
}

/// Writes the contents of a `SearchResultReference`.
pub(super) fn encode_reference(w: &mut Writer<'_>, uris: &[ByteString]) {
    write_strings(w, Tag::OCTET_STRING, uris);
}
