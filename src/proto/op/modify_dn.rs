//! The Modify DN operation (RFC 4511 §4.9).
//!
//! ```text
//! ModifyDNRequest ::= [APPLICATION 12] SEQUENCE {
//!      entry           LDAPDN,
//!      newrdn          RelativeLDAPDN,
//!      deleteoldrdn    BOOLEAN,
//!      newSuperior     [0] LDAPDN OPTIONAL }
//!
//! ModifyDNResponse ::= [APPLICATION 13] LDAPResult
//! ```

use bytestring::ByteString;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{read_opt_string, read_string, Frame, LDAP_DN};

/// `ModifyDNRequest ::= [APPLICATION 12] SEQUENCE { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModifyDnRequest {
    /// The DN of the entry to rename or move.
    pub entry: ByteString,
    /// Its new RDN.
    pub new_rdn: ByteString,
    /// Whether to delete the old RDN's values.
    pub delete_old_rdn: bool,
    /// `newSuperior [0]`: the new parent, to move the entry.
    pub new_superior: Option<ByteString>,
}

impl ModifyDnRequest {
    /// A request to rename `entry` to `new_rdn` under the same parent
    /// (set `new_superior` to move it), deleting the old RDN's values if
    /// `delete_old_rdn`.
    pub fn new(
        entry: impl Into<ByteString>,
        new_rdn: impl Into<ByteString>,
        delete_old_rdn: bool,
    ) -> Self {
        Self {
            entry: entry.into(),
            new_rdn: new_rdn.into(),
            delete_old_rdn,
            new_superior: None,
        }
    }
}

/// `newSuperior [0] LDAPDN` in `ModifyDNRequest`.
const NEW_SUPERIOR: Tag = Tag::context(0x00);

impl ModifyDnRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ModifyDNRequest ::= [APPLICATION 12] SEQUENCE {
        //      entry           LDAPDN,
        //      newrdn          RelativeLDAPDN,
        //      deleteoldrdn    BOOLEAN,
        //      newSuperior     [0] LDAPDN OPTIONAL }
        let entry = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let new_rdn = read_string(r, src, Tag::OCTET_STRING, "RelativeLDAPDN is not UTF-8")?;
        let delete_old_rdn = r.boolean(Tag::BOOLEAN)?;
        let new_superior = read_opt_string(r, src, NEW_SUPERIOR, LDAP_DN)?;
        Ok(Self {
            entry,
            new_rdn,
            delete_old_rdn,
            new_superior,
        })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.entry.as_bytes());
        w.octet_string(Tag::OCTET_STRING, self.new_rdn.as_bytes());
        w.boolean(Tag::BOOLEAN, self.delete_old_rdn);
        if let Some(s) = &self.new_superior {
            w.octet_string(NEW_SUPERIOR, s.as_bytes());
        }
    }
}
