use core::fmt;

use bytes::Bytes;
use bytestring::ByteString;
use zeroize::Zeroizing;

use crate::proto::{Filter, LdapResult, MessageId};

/// `protocolOp`: every request and response of RFC 4511.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolOp {
    /// `[APPLICATION 0]`
    BindRequest(BindRequest),
    /// `[APPLICATION 1]`
    BindResponse(BindResponse),
    /// `[APPLICATION 2]`
    UnbindRequest,
    /// `[APPLICATION 3]`
    SearchRequest(SearchRequest),
    /// `[APPLICATION 4]`
    SearchResultEntry(SearchResultEntry),
    /// `[APPLICATION 5]`
    SearchResultDone(LdapResult),
    /// `[APPLICATION 19]`: continuation references (URIs).
    SearchResultReference(Vec<ByteString>),
    /// `[APPLICATION 6]`
    ModifyRequest(ModifyRequest),
    /// `[APPLICATION 7]`
    ModifyResponse(LdapResult),
    /// `[APPLICATION 8]`
    AddRequest(AddRequest),
    /// `[APPLICATION 9]`
    AddResponse(LdapResult),
    /// `[APPLICATION 10]`: the DN to delete.
    DelRequest(ByteString),
    /// `[APPLICATION 11]`
    DelResponse(LdapResult),
    /// `[APPLICATION 12]`
    ModifyDnRequest(ModifyDnRequest),
    /// `[APPLICATION 13]`
    ModifyDnResponse(LdapResult),
    /// `[APPLICATION 14]`
    CompareRequest(CompareRequest),
    /// `[APPLICATION 15]`
    CompareResponse(LdapResult),
    /// `[APPLICATION 16]`: the ID of the operation to abandon.
    AbandonRequest(MessageId),
    /// `[APPLICATION 23]`
    ExtendedRequest(ExtendedRequest),
    /// `[APPLICATION 24]`
    ExtendedResponse(ExtendedResponse),
    /// `[APPLICATION 25]`
    IntermediateResponse(IntermediateResponse),
}

/// A password: redacted from `Debug` and wiped from memory on drop.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// Wraps the password bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The password bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Whether the password is empty (an unauthenticated bind, RFC 4513 §5.1.2).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// `BindRequest ::= [APPLICATION 0] SEQUENCE { version, name, authentication }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindRequest {
    /// Protocol version; always 3 for requests this crate sends.
    pub version: u8,
    /// The DN to bind as (empty for anonymous and most SASL binds).
    pub name: ByteString,
    /// The authentication choice.
    pub auth: BindAuth,
}

/// `AuthenticationChoice`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindAuth {
    /// `simple [0] OCTET STRING`.
    Simple(Password),
    /// `sasl [3] SaslCredentials`.
    Sasl {
        /// The SASL mechanism name, e.g. `EXTERNAL`.
        mechanism: ByteString,
        /// The credentials; `Some(empty)` differs from `None` on the wire.
        credentials: Option<Bytes>,
    },
}

/// `BindResponse ::= [APPLICATION 1] SEQUENCE { COMPONENTS OF LDAPResult, serverSaslCreds [7] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindResponse {
    /// The result.
    pub result: LdapResult,
    /// `serverSaslCreds [7]`.
    pub server_sasl_creds: Option<Bytes>,
}

/// The `scope` of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// `SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName, attributes }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchResultEntry {
    /// `objectName`.
    pub dn: ByteString,
    /// `attributes` (`PartialAttributeList`).
    pub attributes: Vec<Attribute>,
}

/// An attribute with its values (`Attribute` / `PartialAttribute`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute description, e.g. `cn` or `userCertificate;binary`.
    pub name: ByteString,
    /// The values, as sent.
    pub values: Vec<Bytes>,
}

/// `ModifyRequest ::= [APPLICATION 6] SEQUENCE { object, changes }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModifyRequest {
    /// The DN of the entry to modify.
    pub object: ByteString,
    /// The changes, applied in order.
    pub changes: Vec<Modification>,
}

/// One change of a modify request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modification {
    /// What to do.
    pub op: ModifyOp,
    /// The attribute and values it applies to.
    pub attribute: Attribute,
}

/// The `operation` of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModifyOp {
    /// `add (0)`.
    Add,
    /// `delete (1)`.
    Delete,
    /// `replace (2)`.
    Replace,
    /// `increment (3)` (RFC 4525).
    Increment,
}

/// `AddRequest ::= [APPLICATION 8] SEQUENCE { entry, attributes }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddRequest {
    /// The DN of the new entry.
    pub entry: ByteString,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

/// `ModifyDNRequest ::= [APPLICATION 12] SEQUENCE { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// `CompareRequest ::= [APPLICATION 14] SEQUENCE { entry, ava }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRequest {
    /// The DN of the entry.
    pub entry: ByteString,
    /// The attribute description.
    pub attribute: ByteString,
    /// The value to compare with.
    pub value: Bytes,
}

/// `ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0], requestValue [1] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtendedRequest {
    /// The OID of the operation.
    pub name: ByteString,
    /// The request value, if any.
    pub value: Option<Bytes>,
}

/// `ExtendedResponse ::= [APPLICATION 24] SEQUENCE { COMPONENTS OF LDAPResult, responseName [10], responseValue [11] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtendedResponse {
    /// The result.
    pub result: LdapResult,
    /// `responseName [10]`.
    pub name: Option<ByteString>,
    /// `responseValue [11]`.
    pub value: Option<Bytes>,
}

/// `IntermediateResponse ::= [APPLICATION 25] SEQUENCE { responseName [0], responseValue [1] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntermediateResponse {
    /// `responseName [0]`.
    pub name: Option<ByteString>,
    /// `responseValue [1]`.
    pub value: Option<Bytes>,
}
