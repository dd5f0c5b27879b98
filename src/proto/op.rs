use core::fmt;

use bytes::Bytes;
use bytestring::ByteString;
use zeroize::Zeroizing;

use crate::ber::{Class, DecodeError, DecodeErrorKind, Limits, Reader, Tag, Writer};
use crate::proto::codec::Frame;
use crate::proto::codec::{
    choice_error, count, next_tag, read_bytes, read_enum, read_int_in, read_max_int,
    read_message_id, read_opt_bytes, read_opt_string, read_string, read_strings, tlv_string,
    write_strings, MessageId, ATTRIBUTE_DESCRIPTION, LDAP_DN, LDAP_OID, LDAP_STRING,
};
use crate::proto::filter::Filter;
use crate::proto::result::read_uris;
use crate::proto::result::LdapResult;

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

/// The protocol operations: tag number, name, constructed.
const OPS: [(u32, &str, bool); 21] = [
    (0x00, "BindRequest", true),
    (0x01, "BindResponse", true),
    (0x02, "UnbindRequest", false),
    (0x03, "SearchRequest", true),
    (0x04, "SearchResultEntry", true),
    (0x05, "SearchResultDone", true),
    (0x06, "ModifyRequest", true),
    (0x07, "ModifyResponse", true),
    (0x08, "AddRequest", true),
    (0x09, "AddResponse", true),
    (0x0a, "DelRequest", false),
    (0x0b, "DelResponse", true),
    (0x0c, "ModifyDNRequest", true),
    (0x0d, "ModifyDNResponse", true),
    (0x0e, "CompareRequest", true),
    (0x0f, "CompareResponse", true),
    (0x10, "AbandonRequest", false),
    (0x13, "SearchResultReference", true),
    (0x17, "ExtendedRequest", true),
    (0x18, "ExtendedResponse", true),
    (0x19, "IntermediateResponse", true),
];

const fn op_tag(number: u32, constructed: bool) -> Tag {
    Tag {
        class: Class::Application,
        constructed,
        number,
    }
}

const BIND_REQUEST: Tag = op_tag(0x00, true);
const BIND_RESPONSE: Tag = op_tag(0x01, true);
const UNBIND_REQUEST: Tag = op_tag(0x02, false);
const SEARCH_REQUEST: Tag = op_tag(0x03, true);
const SEARCH_RESULT_ENTRY: Tag = op_tag(0x04, true);
const SEARCH_RESULT_DONE: Tag = op_tag(0x05, true);
const MODIFY_REQUEST: Tag = op_tag(0x06, true);
const MODIFY_RESPONSE: Tag = op_tag(0x07, true);
const ADD_REQUEST: Tag = op_tag(0x08, true);
const ADD_RESPONSE: Tag = op_tag(0x09, true);
const DEL_REQUEST: Tag = op_tag(0x0a, false);
const DEL_RESPONSE: Tag = op_tag(0x0b, true);
const MODIFY_DN_REQUEST: Tag = op_tag(0x0c, true);
const MODIFY_DN_RESPONSE: Tag = op_tag(0x0d, true);
const COMPARE_REQUEST: Tag = op_tag(0x0e, true);
const COMPARE_RESPONSE: Tag = op_tag(0x0f, true);
const ABANDON_REQUEST: Tag = op_tag(0x10, false);
const SEARCH_RESULT_REFERENCE: Tag = op_tag(0x13, true);
const EXTENDED_REQUEST: Tag = op_tag(0x17, true);
const EXTENDED_RESPONSE: Tag = op_tag(0x18, true);
const INTERMEDIATE_RESPONSE: Tag = op_tag(0x19, true);

impl ProtocolOp {
    /// The tag of this operation on the wire (`[APPLICATION n]`).
    pub fn tag(&self) -> Tag {
        match self {
            Self::BindRequest(_) => BIND_REQUEST,
            Self::BindResponse(_) => BIND_RESPONSE,
            Self::UnbindRequest => UNBIND_REQUEST,
            Self::SearchRequest(_) => SEARCH_REQUEST,
            Self::SearchResultEntry(_) => SEARCH_RESULT_ENTRY,
            Self::SearchResultDone(_) => SEARCH_RESULT_DONE,
            Self::SearchResultReference(_) => SEARCH_RESULT_REFERENCE,
            Self::ModifyRequest(_) => MODIFY_REQUEST,
            Self::ModifyResponse(_) => MODIFY_RESPONSE,
            Self::AddRequest(_) => ADD_REQUEST,
            Self::AddResponse(_) => ADD_RESPONSE,
            Self::DelRequest(_) => DEL_REQUEST,
            Self::DelResponse(_) => DEL_RESPONSE,
            Self::ModifyDnRequest(_) => MODIFY_DN_REQUEST,
            Self::ModifyDnResponse(_) => MODIFY_DN_RESPONSE,
            Self::CompareRequest(_) => COMPARE_REQUEST,
            Self::CompareResponse(_) => COMPARE_RESPONSE,
            Self::AbandonRequest(_) => ABANDON_REQUEST,
            Self::ExtendedRequest(_) => EXTENDED_REQUEST,
            Self::ExtendedResponse(_) => EXTENDED_RESPONSE,
            Self::IntermediateResponse(_) => INTERMEDIATE_RESPONSE,
        }
    }

    /// The RFC 4511 name of this operation, e.g. `"SearchResultEntry"`.
    pub fn name(&self) -> &'static str {
        Self::name_of_tag(self.tag()).unwrap_or("protocolOp")
    }

    /// The RFC 4511 name of the operation whose tag is `tag` (as returned
    /// by [`LdapMessage::peek_id_and_tag`](crate::proto::LdapMessage::peek_id_and_tag)),
    /// or `None` if no operation has that tag.
    pub fn name_of_tag(tag: Tag) -> Option<&'static str> {
        if tag.class != Class::Application {
            return None;
        }
        OPS.iter()
            .find(|(n, _, c)| *n == tag.number && *c == tag.constructed)
            .map(|(_, name, _)| *name)
    }

    /// Whether this operation is a response (or unsolicited notification)
    /// sent by a server, rather than a request sent by a client.
    pub fn is_response(&self) -> bool {
        matches!(
            self,
            Self::BindResponse(_)
                | Self::SearchResultEntry(_)
                | Self::SearchResultDone(_)
                | Self::SearchResultReference(_)
                | Self::ModifyResponse(_)
                | Self::AddResponse(_)
                | Self::DelResponse(_)
                | Self::ModifyDnResponse(_)
                | Self::CompareResponse(_)
                | Self::ExtendedResponse(_)
                | Self::IntermediateResponse(_)
        )
    }

    /// The `LDAPResult` of a response that carries one.
    pub fn result(&self) -> Option<&LdapResult> {
        match self {
            Self::BindResponse(b) => Some(&b.result),
            Self::ExtendedResponse(e) => Some(&e.result),
            Self::SearchResultDone(r)
            | Self::ModifyResponse(r)
            | Self::AddResponse(r)
            | Self::DelResponse(r)
            | Self::ModifyDnResponse(r)
            | Self::CompareResponse(r) => Some(r),
            _ => None,
        }
    }

    /// Reads `protocolOp`, the CHOICE of RFC 4511 §4.2 to §4.14.
    pub(crate) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        let (tag, offset) = next_tag(r)?;
        let op = match tag {
            BIND_REQUEST => Self::BindRequest(r.sequence(tag, |r| BindRequest::decode(r, src))?),
            BIND_RESPONSE => Self::BindResponse(r.sequence(tag, |r| BindResponse::decode(r, src))?),
            UNBIND_REQUEST => {
                // UnbindRequest ::= [APPLICATION 2] NULL
                if !r.element(tag)?.value.is_empty() {
                    return Err(DecodeError::new(
                        DecodeErrorKind::InvalidValue("UnbindRequest is a NULL, with no content"),
                        offset,
                    ));
                }
                Self::UnbindRequest
            }
            SEARCH_REQUEST => {
                Self::SearchRequest(r.sequence(tag, |r| SearchRequest::decode(r, src))?)
            }
            SEARCH_RESULT_ENTRY => {
                Self::SearchResultEntry(r.sequence(tag, |r| SearchResultEntry::decode(r, src))?)
            }
            SEARCH_RESULT_REFERENCE => {
                // SearchResultReference ::= [APPLICATION 19] SEQUENCE
                //                           SIZE (1..MAX) OF uri URI
                Self::SearchResultReference(
                    r.sequence(tag, |r| read_uris(r, src, "SearchResultReference"))?,
                )
            }
            MODIFY_REQUEST => {
                Self::ModifyRequest(r.sequence(tag, |r| ModifyRequest::decode(r, src))?)
            }
            ADD_REQUEST => Self::AddRequest(r.sequence(tag, |r| AddRequest::decode(r, src))?),
            DEL_REQUEST => {
                // DelRequest ::= [APPLICATION 10] LDAPDN
                Self::DelRequest(read_string(r, src, tag, LDAP_DN)?)
            }
            MODIFY_DN_REQUEST => {
                Self::ModifyDnRequest(r.sequence(tag, |r| ModifyDnRequest::decode(r, src))?)
            }
            COMPARE_REQUEST => {
                Self::CompareRequest(r.sequence(tag, |r| CompareRequest::decode(r, src))?)
            }
            ABANDON_REQUEST => {
                // AbandonRequest ::= [APPLICATION 16] MessageID
                Self::AbandonRequest(read_message_id(r, tag)?)
            }
            EXTENDED_REQUEST => {
                Self::ExtendedRequest(r.sequence(tag, |r| ExtendedRequest::decode(r, src))?)
            }
            EXTENDED_RESPONSE => {
                Self::ExtendedResponse(r.sequence(tag, |r| ExtendedResponse::decode(r, src))?)
            }
            INTERMEDIATE_RESPONSE => Self::IntermediateResponse(
                r.sequence(tag, |r| IntermediateResponse::decode(r, src))?,
            ),
            // SearchResultDone ::= [APPLICATION 5] LDAPResult, and so on.
            SEARCH_RESULT_DONE | MODIFY_RESPONSE | ADD_RESPONSE | DEL_RESPONSE
            | MODIFY_DN_RESPONSE | COMPARE_RESPONSE => {
                let result = r.sequence(tag, |r| LdapResult::decode_components(r, src))?;
                match tag {
                    SEARCH_RESULT_DONE => Self::SearchResultDone(result),
                    MODIFY_RESPONSE => Self::ModifyResponse(result),
                    ADD_RESPONSE => Self::AddResponse(result),
                    DEL_RESPONSE => Self::DelResponse(result),
                    MODIFY_DN_RESPONSE => Self::ModifyDnResponse(result),
                    _ => Self::CompareResponse(result),
                }
            }
            _ => {
                let known = OPS.map(|(n, _, c)| op_tag(n, c));
                return Err(choice_error("protocolOp", tag, offset, &known));
            }
        };
        Ok(op)
    }

    /// Writes this operation.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        let tag = self.tag();
        match self {
            Self::BindRequest(b) => w.sequence(tag, |w| b.encode(w)),
            Self::BindResponse(b) => w.sequence(tag, |w| b.encode(w)),
            Self::UnbindRequest => w.octet_string(tag, &[]),
            Self::SearchRequest(s) => w.sequence(tag, |w| s.encode(w)),
            Self::SearchResultEntry(e) => w.sequence(tag, |w| e.encode(w)),
            Self::SearchResultReference(uris) => {
                w.sequence(tag, |w| write_strings(w, Tag::OCTET_STRING, uris));
            }
            Self::ModifyRequest(m) => w.sequence(tag, |w| m.encode(w)),
            Self::AddRequest(a) => w.sequence(tag, |w| a.encode(w)),
            Self::DelRequest(dn) => w.octet_string(tag, dn.as_bytes()),
            Self::ModifyDnRequest(m) => w.sequence(tag, |w| m.encode(w)),
            Self::CompareRequest(c) => w.sequence(tag, |w| c.encode(w)),
            Self::AbandonRequest(id) => w.integer(tag, i64::from(id.0)),
            Self::ExtendedRequest(e) => w.sequence(tag, |w| e.encode(w)),
            Self::ExtendedResponse(e) => w.sequence(tag, |w| e.encode(w)),
            Self::IntermediateResponse(i) => w.sequence(tag, |w| i.encode(w)),
            Self::SearchResultDone(r)
            | Self::ModifyResponse(r)
            | Self::AddResponse(r)
            | Self::DelResponse(r)
            | Self::ModifyDnResponse(r)
            | Self::CompareResponse(r) => w.sequence(tag, |w| r.encode_components(w)),
        }
    }
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
    pub attributes: AttributeList,
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

// ---- Codecs of the operations' contents (the enclosing tag is handled by
// ---- `ProtocolOp::decode`/`encode`).

/// `simple [0] OCTET STRING` in `AuthenticationChoice`.
const AUTH_SIMPLE: Tag = Tag::context(0x00);
/// `sasl [3] SaslCredentials` in `AuthenticationChoice`.
const AUTH_SASL: Tag = Tag::context(0x03).constructed();

impl BindRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // BindRequest ::= [APPLICATION 0] SEQUENCE {
        //      version                 INTEGER (1 ..  127),
        //      name                    LDAPDN,
        //      authentication          AuthenticationChoice }
        let version = read_int_in(r, Tag::INTEGER, "version", 1..=127)?;
        let name = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        // AuthenticationChoice ::= CHOICE {
        //      simple                  [0] OCTET STRING,
        //                              -- 1 and 2 reserved
        //      sasl                    [3] SaslCredentials,
        //      ...  }
        let (tag, offset) = next_tag(r)?;
        let auth = match tag {
            AUTH_SIMPLE => BindAuth::Simple(Password::new(r.octet_string(tag)?)),
            AUTH_SASL => r.sequence(tag, |r| {
                // SaslCredentials ::= SEQUENCE {
                //      mechanism               LDAPString,
                //      credentials             OCTET STRING OPTIONAL }
                let mechanism = read_string(r, src, Tag::OCTET_STRING, LDAP_STRING)?;
                let credentials = read_opt_bytes(r, src, Tag::OCTET_STRING)?;
                Ok(BindAuth::Sasl {
                    mechanism,
                    credentials,
                })
            })?,
            _ => {
                return Err(choice_error(
                    "AuthenticationChoice",
                    tag,
                    offset,
                    &[AUTH_SIMPLE, AUTH_SASL],
                ))
            }
        };
        Ok(Self {
            version,
            name,
            auth,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.integer(Tag::INTEGER, i64::from(self.version));
        w.octet_string(Tag::OCTET_STRING, self.name.as_bytes());
        match &self.auth {
            BindAuth::Simple(password) => w.octet_string(AUTH_SIMPLE, password.expose()),
            BindAuth::Sasl {
                mechanism,
                credentials,
            } => w.sequence(AUTH_SASL, |w| {
                w.octet_string(Tag::OCTET_STRING, mechanism.as_bytes());
                if let Some(c) = credentials {
                    w.octet_string(Tag::OCTET_STRING, c);
                }
            }),
        }
    }
}

/// `serverSaslCreds [7] OCTET STRING` in `BindResponse`.
const SERVER_SASL_CREDS: Tag = Tag::context(0x07);

impl BindResponse {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // BindResponse ::= [APPLICATION 1] SEQUENCE {
        //      COMPONENTS OF LDAPResult,
        //      serverSaslCreds    [7] OCTET STRING OPTIONAL }
        let result = LdapResult::decode_components(r, src)?;
        let server_sasl_creds = read_opt_bytes(r, src, SERVER_SASL_CREDS)?;
        Ok(Self {
            result,
            server_sasl_creds,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        self.result.encode_components(w);
        if let Some(c) = &self.server_sasl_creds {
            w.octet_string(SERVER_SASL_CREDS, c);
        }
    }
}

impl SearchRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
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
            read_strings(r, src, Tag::OCTET_STRING, LDAP_STRING)
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

    fn encode(&self, w: &mut Writer<'_>) {
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

    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
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

    /// Reads a whole `SearchResultEntry`, `[APPLICATION 4]` tag included
    /// (the value of a pre-read or post-read response control).
    pub(crate) fn decode_tagged(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        r.sequence(SEARCH_RESULT_ENTRY, |r| Self::decode(r, src))
    }

    /// Writes a whole `SearchResultEntry`, `[APPLICATION 4]` tag included.
    pub(crate) fn encode_tagged(&self, w: &mut Writer<'_>) {
        w.sequence(SEARCH_RESULT_ENTRY, |w| self.encode(w));
    }
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
    fn decode(r: &mut Reader<'_>, src: Frame<'_>, need_values: bool) -> Result<Self, DecodeError> {
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
                let mut values = Vec::with_capacity(count(r));
                while !r.is_empty() {
                    values.push(read_bytes(r, src, Tag::OCTET_STRING)?);
                }
                Ok(values)
            })?;
            Ok(Self { name, values })
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
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
fn read_attributes(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    need_values: bool,
) -> Result<Vec<Attribute>, DecodeError> {
    let mut out = Vec::with_capacity(count(r));
    while !r.is_empty() {
        out.push(Attribute::decode(r, src, need_values)?);
    }
    Ok(out)
}

fn write_attributes(w: &mut Writer<'_>, attributes: &[Attribute]) {
    for a in attributes {
        a.encode(w);
    }
}

/// The attributes of a [`SearchResultEntry`] (`PartialAttributeList`): a
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

/// Limits for reading back a list that decoding has already checked: the
/// lengths were bounded then, and the nesting here is two levels.
const VALIDATED: Limits = Limits {
    max_len: usize::MAX,
    max_depth: u32::MAX,
};

impl AttributeList {
    /// Encodes `attributes` into a list.
    pub fn new(attributes: Vec<Attribute>) -> Self {
        attributes.into_iter().collect()
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
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
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

    /// Writes the `PartialAttributeList` (tag included): the stored
    /// encoding, verbatim.
    fn encode(&self, w: &mut Writer<'_>) {
        w.sequence(Tag::SEQUENCE, |w| w.raw(&self.encoded));
    }
}

/// The element at the start of `buf` if its identifier is the one octet
/// `tag`, its length is definite in at most four octets and at most `max`,
/// and its contents are all there: `(contents, rest)`. `None` for anything
/// else, well-formed or not.
#[inline(always)]
fn simple_tlv(buf: &[u8], tag: u8, max: usize) -> Option<(&[u8], &[u8])> {
    let [t, first, rest @ ..] = buf else {
        return None;
    };
    if *t != tag {
        return None;
    }
    let (len, rest) = if *first < 0x80 {
        (usize::from(*first), rest)
    } else if let (0x81, [b, rest @ ..]) = (*first, rest) {
        (usize::from(*b), rest)
    } else if let (0x82, [b1, b2, rest @ ..]) = (*first, rest) {
        (usize::from(*b1) << 8 | usize::from(*b2), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (octets, rest) = rest.split_at_checked(n)?;
        let len = octets.iter().try_fold(0usize, |acc, &b| {
            acc.checked_mul(256)?.checked_add(usize::from(b))
        })?;
        (len, rest)
    };
    if len > max {
        return None;
    }
    rest.split_at_checked(len)
}

/// The element at the start of `buf`, which must have `tag`, written
/// `tag_octet` in the usual form: `(contents, rest)`, or `None` if it is
/// malformed (which a list that decoding accepted never is).
#[inline]
fn read_tlv(buf: &[u8], tag: Tag, tag_octet: u8) -> Option<(&[u8], &[u8])> {
    simple_tlv(buf, tag_octet, usize::MAX).or_else(|| {
        let mut r = Reader::with_limits(buf, VALIDATED);
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
    let (message, rest) = simple_tlv(frame, 0x30, max)?;
    let (id, message) = simple_tlv(message, 0x02, max)?;
    let (entry, controls) = simple_tlv(message, 0x64, max)?;
    let (dn, entry) = simple_tlv(entry, 0x04, max)?;
    let (list, after) = simple_tlv(entry, 0x30, max)?;
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

impl AttributeList {
    /// A list from the contents of a `PartialAttributeList` that
    /// [`fast_entry_parts`] checked, and its length.
    pub(crate) fn from_checked(encoded: Bytes, len: usize) -> Self {
        Self { encoded, len }
    }
}

/// Counts the attributes of a `PartialAttributeList`'s contents if they
/// are valid and use only one-octet tags and lengths of at most four
/// octets (at most `max`); `None` otherwise, valid or not.
fn count_attributes(mut list: &[u8], max: usize) -> Option<usize> {
    let mut n = 0;
    while !list.is_empty() {
        let (attribute, rest) = simple_tlv(list, 0x30, max)?;
        let attribute_start = attribute;
        let (name, attribute) = simple_tlv(attribute, 0x04, max)?;
        if !name_is_ascii(attribute_start, name) && core::str::from_utf8(name).is_err() {
            return None;
        }
        let (values, attribute) = simple_tlv(attribute, 0x31, max)?;
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
/// `max` long; the short length form, the usual one, without a call.
#[inline(always)]
fn skip_octet_strings(mut values: &[u8], max: usize) -> Option<()> {
    loop {
        match values {
            [] => return Some(()),
            [0x04, len @ 0..=0x7f, rest @ ..] => {
                let len = usize::from(*len);
                if len > max {
                    return None;
                }
                values = rest.get(len..)?;
            }
            _ => values = simple_tlv(values, 0x04, max)?.1,
        }
    }
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
        let src = Frame(self.frame);
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
        Some(Frame(self.frame).bytes(v))
    }
}

impl core::iter::FusedIterator for ValueBytes<'_> {}

impl ModifyRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ModifyRequest ::= [APPLICATION 6] SEQUENCE {
        //      object          LDAPDN,
        //      changes         SEQUENCE OF change SEQUENCE {
        //           operation       ENUMERATED {
        //                add     (0),
        //                delete  (1),
        //                replace (2),
        //                ...  },
        //           modification    PartialAttribute } }
        let object = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let changes = r.sequence(Tag::SEQUENCE, |r| {
            let mut changes = Vec::with_capacity(count(r));
            while !r.is_empty() {
                changes.push(r.sequence(Tag::SEQUENCE, |r| {
                    let op = read_enum(r, "operation", |n| match n {
                        0 => Some(ModifyOp::Add),
                        1 => Some(ModifyOp::Delete),
                        2 => Some(ModifyOp::Replace),
                        // RFC 4525
                        3 => Some(ModifyOp::Increment),
                        _ => None,
                    })?;
                    let attribute = Attribute::decode(r, src, false)?;
                    Ok(Modification { op, attribute })
                })?);
            }
            Ok(changes)
        })?;
        Ok(Self { object, changes })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.object.as_bytes());
        w.sequence(Tag::SEQUENCE, |w| {
            for change in &self.changes {
                w.sequence(Tag::SEQUENCE, |w| {
                    let op = match change.op {
                        ModifyOp::Add => 0,
                        ModifyOp::Delete => 1,
                        ModifyOp::Replace => 2,
                        ModifyOp::Increment => 3,
                    };
                    w.integer(Tag::ENUMERATED, op);
                    change.attribute.encode(w);
                });
            }
        });
    }
}

impl AddRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // AddRequest ::= [APPLICATION 8] SEQUENCE {
        //      entry           LDAPDN,
        //      attributes      AttributeList }
        //
        // AttributeList ::= SEQUENCE OF attribute Attribute
        let entry = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let attributes = r.sequence(Tag::SEQUENCE, |r| read_attributes(r, src, true))?;
        Ok(Self { entry, attributes })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.entry.as_bytes());
        w.sequence(Tag::SEQUENCE, |w| write_attributes(w, &self.attributes));
    }
}

/// `newSuperior [0] LDAPDN` in `ModifyDNRequest`.
const NEW_SUPERIOR: Tag = Tag::context(0x00);

impl ModifyDnRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
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

    fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.entry.as_bytes());
        w.octet_string(Tag::OCTET_STRING, self.new_rdn.as_bytes());
        w.boolean(Tag::BOOLEAN, self.delete_old_rdn);
        if let Some(s) = &self.new_superior {
            w.octet_string(NEW_SUPERIOR, s.as_bytes());
        }
    }
}

impl CompareRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // CompareRequest ::= [APPLICATION 14] SEQUENCE {
        //      entry           LDAPDN,
        //      ava             AttributeValueAssertion }
        //
        // AttributeValueAssertion ::= SEQUENCE {
        //      attributeDesc   AttributeDescription,
        //      assertionValue  AssertionValue }
        let entry = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let (attribute, value) = r.sequence(Tag::SEQUENCE, |r| {
            let a = read_string(r, src, Tag::OCTET_STRING, ATTRIBUTE_DESCRIPTION)?;
            Ok((a, read_bytes(r, src, Tag::OCTET_STRING)?))
        })?;
        Ok(Self {
            entry,
            attribute,
            value,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(Tag::OCTET_STRING, self.entry.as_bytes());
        w.sequence(Tag::SEQUENCE, |w| {
            w.octet_string(Tag::OCTET_STRING, self.attribute.as_bytes());
            w.octet_string(Tag::OCTET_STRING, &self.value);
        });
    }
}

/// `requestName [0] LDAPOID` in `ExtendedRequest`.
const REQUEST_NAME: Tag = Tag::context(0x00);
/// `requestValue [1] OCTET STRING` in `ExtendedRequest`.
const REQUEST_VALUE: Tag = Tag::context(0x01);

impl ExtendedRequest {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ExtendedRequest ::= [APPLICATION 23] SEQUENCE {
        //      requestName      [0] LDAPOID,
        //      requestValue     [1] OCTET STRING OPTIONAL }
        let tlv = r.element(REQUEST_NAME)?;
        let name = tlv_string(src, &tlv, LDAP_OID)?;
        let value = read_opt_bytes(r, src, REQUEST_VALUE)?;
        Ok(Self { name, value })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.octet_string(REQUEST_NAME, self.name.as_bytes());
        if let Some(v) = &self.value {
            w.octet_string(REQUEST_VALUE, v);
        }
    }
}

/// `responseName [10] LDAPOID` in `ExtendedResponse`.
const RESPONSE_NAME: Tag = Tag::context(0x0a);
/// `responseValue [11] OCTET STRING` in `ExtendedResponse`.
const RESPONSE_VALUE: Tag = Tag::context(0x0b);

impl ExtendedResponse {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // ExtendedResponse ::= [APPLICATION 24] SEQUENCE {
        //      COMPONENTS OF LDAPResult,
        //      responseName     [10] LDAPOID OPTIONAL,
        //      responseValue    [11] OCTET STRING OPTIONAL }
        let result = LdapResult::decode_components(r, src)?;
        let name = read_opt_string(r, src, RESPONSE_NAME, LDAP_OID)?;
        let value = read_opt_bytes(r, src, RESPONSE_VALUE)?;
        Ok(Self {
            result,
            name,
            value,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        self.result.encode_components(w);
        if let Some(n) = &self.name {
            w.octet_string(RESPONSE_NAME, n.as_bytes());
        }
        if let Some(v) = &self.value {
            w.octet_string(RESPONSE_VALUE, v);
        }
    }
}

/// `responseName [0] LDAPOID` in `IntermediateResponse`.
const INTERMEDIATE_NAME: Tag = Tag::context(0x00);
/// `responseValue [1] OCTET STRING` in `IntermediateResponse`.
const INTERMEDIATE_VALUE: Tag = Tag::context(0x01);

impl IntermediateResponse {
    fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
        // IntermediateResponse ::= [APPLICATION 25] SEQUENCE {
        //      responseName     [0] LDAPOID OPTIONAL,
        //      responseValue    [1] OCTET STRING OPTIONAL }
        let name = read_opt_string(r, src, INTERMEDIATE_NAME, LDAP_OID)?;
        let value = read_opt_bytes(r, src, INTERMEDIATE_VALUE)?;
        Ok(Self { name, value })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        if let Some(n) = &self.name {
            w.octet_string(INTERMEDIATE_NAME, n.as_bytes());
        }
        if let Some(v) = &self.value {
            w.octet_string(INTERMEDIATE_VALUE, v);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::proto::test_util::{decode_err, golden};
    use crate::proto::{LdapMessage, ResultCode};

    fn msg(id: i32, op: ProtocolOp) -> LdapMessage {
        LdapMessage::new(MessageId(id), op)
    }

    fn s(v: &'static str) -> ByteString {
        ByteString::from_static(v)
    }

    fn b(v: &'static [u8]) -> Bytes {
        Bytes::from_static(v)
    }

    fn success() -> LdapResult {
        LdapResult::new(ResultCode::SUCCESS)
    }

    #[test]
    fn bind_request_simple() {
        // BindRequest { version 3, name "cn=a", simple "pw" }
        let bytes = [
            0x30, 0x12, 0x02, 0x01, 0x01, 0x60, 0x0d, 0x02, 0x01, 0x03, 0x04, 0x04, 0x63, 0x6e,
            0x3d, 0x61, 0x80, 0x02, 0x70, 0x77,
        ];
        let op = ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: s("cn=a"),
            auth: BindAuth::Simple(Password::new("pw")),
        });
        golden(&bytes, &msg(1, op));
    }

    #[test]
    fn bind_request_sasl() {
        // BindRequest { version 3, name "", sasl { "EXTERNAL" } }
        let bytes = [
            0x30, 0x16, 0x02, 0x01, 0x02, 0x60, 0x11, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa3, 0x0a,
            0x04, 0x08, 0x45, 0x58, 0x54, 0x45, 0x52, 0x4e, 0x41, 0x4c,
        ];
        let op = |credentials| {
            ProtocolOp::BindRequest(BindRequest {
                version: 3,
                name: ByteString::new(),
                auth: BindAuth::Sasl {
                    mechanism: s("EXTERNAL"),
                    credentials,
                },
            })
        };
        golden(&bytes, &msg(2, op(None)));
        // Empty credentials are present, and differ from absent ones.
        let bytes = [
            0x30, 0x18, 0x02, 0x01, 0x02, 0x60, 0x13, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa3, 0x0c,
            0x04, 0x08, 0x45, 0x58, 0x54, 0x45, 0x52, 0x4e, 0x41, 0x4c, 0x04, 0x00,
        ];
        golden(&bytes, &msg(2, op(Some(Bytes::new()))));
    }

    #[test]
    fn bind_request_errors() {
        let err = decode_err(&[
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x80, 0x00,
        ]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "version",
                value: 0
            }
        );
        assert_eq!(err.to_string(), "version 0 is out of range at byte 7");
        let err = decode_err(&[
            0x30, 0x0d, 0x02, 0x01, 0x01, 0x60, 0x08, 0x02, 0x02, 0x00, 0x80, 0x04, 0x00, 0x80,
            0x00,
        ]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "version",
                value: 128
            }
        );
        // [1], reserved (krbv42LDAP).
        let err = decode_err(&[
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x81, 0x00,
        ]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownChoice {
                field: "AuthenticationChoice",
                found: Tag::context(1)
            }
        );
        assert_eq!(
            err.to_string(),
            "unknown AuthenticationChoice choice 0x81 ([1]) at byte 12"
        );
        // simple [0] in constructed form.
        let err = decode_err(&[
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa0, 0x00,
        ]);
        assert_eq!(err.kind, DecodeErrorKind::BadConstruction);
        assert_eq!(
            err.to_string(),
            "wrong primitive/constructed form at byte 12"
        );
        // No authentication at all.
        let err = decode_err(&[
            0x30, 0x0a, 0x02, 0x01, 0x01, 0x60, 0x05, 0x02, 0x01, 0x03, 0x04, 0x00,
        ]);
        assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
        assert_eq!(err.offset, 12);
    }

    #[test]
    fn bind_response() {
        // BindResponse { success, "", "", serverSaslCreds [7] "ok" }
        let bytes = [
            0x30, 0x10, 0x02, 0x01, 0x01, 0x61, 0x0b, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x87, 0x02, 0x6f, 0x6b,
        ];
        let op = ProtocolOp::BindResponse(BindResponse {
            result: success(),
            server_sasl_creds: Some(b(b"ok")),
        });
        golden(&bytes, &msg(1, op));
        // invalidCredentials (49), no credentials.
        let bytes = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x31, 0x04, 0x00, 0x04, 0x00,
        ];
        let op = ProtocolOp::BindResponse(BindResponse {
            result: LdapResult::new(ResultCode::INVALID_CREDENTIALS),
            server_sasl_creds: None,
        });
        golden(&bytes, &msg(1, op));
    }

    #[test]
    fn unbind_request() {
        golden(
            &[0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00],
            &msg(3, ProtocolOp::UnbindRequest),
        );
        let err = decode_err(&[0x30, 0x06, 0x02, 0x01, 0x03, 0x42, 0x01, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("UnbindRequest is a NULL, with no content")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: UnbindRequest is a NULL, with no content at byte 5"
        );
        // In constructed form.
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x62, 0x00]);
        assert_eq!(err.kind, DecodeErrorKind::BadConstruction);
    }

    fn search(scope: Scope, deref: DerefAliases) -> SearchRequest {
        SearchRequest {
            base: s("dc=x"),
            scope,
            deref,
            size_limit: 10,
            time_limit: 0,
            types_only: false,
            filter: Filter::Present(s("objectClass")),
            attributes: vec![s("cn")],
        }
    }

    /// The SearchRequest of `search(Subtree, Always)`, with `scope` and
    /// `deref` octets to patch.
    const SEARCH: [u8; 47] = [
        0x30, 0x2d, 0x02, 0x01, 0x02, 0x63, 0x28, 0x04, 0x04, 0x64, 0x63, 0x3d, 0x78, 0x0a, 0x01,
        0x02, 0x0a, 0x01, 0x03, 0x02, 0x01, 0x0a, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b,
        0x6f, 0x62, 0x6a, 0x65, 0x63, 0x74, 0x43, 0x6c, 0x61, 0x73, 0x73, 0x30, 0x04, 0x04, 0x02,
        0x63, 0x6e,
    ];
    const SCOPE_AT: usize = 15;
    const DEREF_AT: usize = 18;

    #[test]
    fn search_request() {
        golden(
            &SEARCH,
            &msg(
                2,
                ProtocolOp::SearchRequest(search(Scope::Subtree, DerefAliases::Always)),
            ),
        );
        let scopes = [
            Scope::Base,
            Scope::OneLevel,
            Scope::Subtree,
            Scope::Subordinate,
        ];
        let derefs = [
            DerefAliases::Never,
            DerefAliases::InSearching,
            DerefAliases::FindingBase,
            DerefAliases::Always,
        ];
        for (i, scope) in scopes.into_iter().enumerate() {
            for (j, deref) in derefs.into_iter().enumerate() {
                let mut bytes = SEARCH;
                bytes[SCOPE_AT] = i as u8;
                bytes[DEREF_AT] = j as u8;
                golden(
                    &bytes,
                    &msg(2, ProtocolOp::SearchRequest(search(scope, deref))),
                );
            }
        }
    }

    #[test]
    fn search_request_errors() {
        let mut bytes = SEARCH;
        bytes[SCOPE_AT] = 0x04;
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownEnumerated {
                field: "scope",
                value: 4
            }
        );
        assert_eq!(err.to_string(), "unknown scope value 4 at byte 13");
        let mut bytes = SEARCH;
        bytes[DEREF_AT] = 0xff;
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownEnumerated {
                field: "derefAliases",
                value: -1
            }
        );
        let mut bytes = SEARCH;
        bytes[21] = 0x80;
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "sizeLimit",
                value: -128
            }
        );
        assert_eq!(err.to_string(), "sizeLimit -128 is out of range at byte 19");
        let mut bytes = SEARCH;
        bytes[24] = 0xff;
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "timeLimit",
                value: -1
            }
        );
        // An attribute selector that is not UTF-8.
        let mut bytes = SEARCH;
        bytes[46] = 0xff;
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("LDAPString is not UTF-8")
        );
        assert_eq!(err.offset, 43);
        // A filter tag that is no filter.
        let mut bytes = SEARCH;
        bytes[28] = 0x8a;
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownChoice {
                field: "Filter",
                found: Tag::context(10)
            }
        );
    }

    #[test]
    fn search_result_entry() {
        // SearchResultEntry { "cn=a", { cn: {a, b}, sn: {} } }
        let bytes = [
            0x30, 0x23, 0x02, 0x01, 0x02, 0x64, 0x1e, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x16, 0x30, 0x0c, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01,
            0x62, 0x30, 0x06, 0x04, 0x02, 0x73, 0x6e, 0x31, 0x00,
        ];
        let entry = SearchResultEntry::new(
            s("cn=a"),
            vec![
                Attribute::new("cn", ["a", "b"]),
                Attribute::new::<&[u8]>("sn", []),
            ],
        );
        golden(
            &bytes,
            &msg(2, ProtocolOp::SearchResultEntry(entry.clone())),
        );
        // The same with Active Directory's four-octet lengths everywhere.
        let ad = [
            0x30, 0x84, 0, 0, 0, 0x3b, 0x02, 0x01, 0x02, 0x64, 0x84, 0, 0, 0, 0x32, 0x04, 0x04,
            0x63, 0x6e, 0x3d, 0x61, 0x30, 0x84, 0, 0, 0, 0x26, 0x30, 0x84, 0, 0, 0, 0x10, 0x04,
            0x02, 0x63, 0x6e, 0x31, 0x84, 0, 0, 0, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62, 0x30,
            0x84, 0, 0, 0, 0x0a, 0x04, 0x02, 0x73, 0x6e, 0x31, 0x84, 0, 0, 0, 0x00,
        ];
        // The lists compare by encoding: the attributes are the same, the
        // encodings are not.
        let got = LdapMessage::decode(Bytes::copy_from_slice(&ad)).unwrap();
        let ProtocolOp::SearchResultEntry(got) = got.op else {
            panic!("{got:?}")
        };
        assert_eq!(got.dn, entry.dn);
        assert_eq!(got.attributes.to_vec(), entry.attributes.to_vec());
        assert_ne!(got.attributes, entry.attributes);
        // A DN that is not UTF-8.
        let mut bad = bytes;
        bad[12] = 0xc0;
        let err = decode_err(&bad);
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("LDAPDN is not UTF-8")
        );
        assert_eq!(
            err.to_string(),
            "invalid value: LDAPDN is not UTF-8 at byte 7"
        );
        // An attribute description that is not UTF-8; values may be anything.
        let mut bad = bytes;
        bad[19] = 0xff;
        let err = decode_err(&bad);
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("AttributeDescription is not UTF-8")
        );
        let mut binary = bytes;
        binary[25] = 0xff;
        assert!(LdapMessage::decode(Bytes::copy_from_slice(&binary)).is_ok());
        // vals is a SET, not a SEQUENCE.
        let mut bad = bytes;
        bad[21] = 0x30;
        let err = decode_err(&bad);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::SET,
                found: Tag::SEQUENCE
            }
        );
    }

    #[test]
    fn search_result_reference() {
        let bytes = [
            0x30, 0x1b, 0x02, 0x01, 0x02, 0x73, 0x16, 0x04, 0x09, 0x6c, 0x64, 0x61, 0x70, 0x3a,
            0x2f, 0x2f, 0x61, 0x2f, 0x04, 0x09, 0x6c, 0x64, 0x61, 0x70, 0x3a, 0x2f, 0x2f, 0x62,
            0x2f,
        ];
        let op = ProtocolOp::SearchResultReference(vec![s("ldap://a/"), s("ldap://b/")]);
        golden(&bytes, &msg(2, op));
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x02, 0x73, 0x00]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("SearchResultReference must hold at least one URI")
        );
        assert_eq!(err.offset, 7);
    }

    #[test]
    fn modify_request() {
        // ModifyRequest { "cn=a", { replace mail {m}, delete sn {}, increment n {1} } }
        let bytes = [
            0x30, 0x3b, 0x02, 0x01, 0x03, 0x66, 0x36, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x2e, 0x30, 0x10, 0x0a, 0x01, 0x02, 0x30, 0x0b, 0x04, 0x04, 0x6d, 0x61, 0x69, 0x6c,
            0x31, 0x03, 0x04, 0x01, 0x6d, 0x30, 0x0b, 0x0a, 0x01, 0x01, 0x30, 0x06, 0x04, 0x02,
            0x73, 0x6e, 0x31, 0x00, 0x30, 0x0d, 0x0a, 0x01, 0x03, 0x30, 0x08, 0x04, 0x01, 0x6e,
            0x31, 0x03, 0x04, 0x01, 0x31,
        ];
        let op = ProtocolOp::ModifyRequest(ModifyRequest {
            object: s("cn=a"),
            changes: vec![
                Modification {
                    op: ModifyOp::Replace,
                    attribute: Attribute::new("mail", ["m"]),
                },
                Modification {
                    op: ModifyOp::Delete,
                    attribute: Attribute::new::<&[u8]>("sn", []),
                },
                Modification {
                    op: ModifyOp::Increment,
                    attribute: Attribute::new("n", ["1"]),
                },
            ],
        });
        golden(&bytes, &msg(3, op));
        let mut bad = bytes;
        bad[19] = 0x04;
        let err = decode_err(&bad);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnknownEnumerated {
                field: "operation",
                value: 4
            }
        );
        assert_eq!(err.to_string(), "unknown operation value 4 at byte 17");
    }

    #[test]
    fn add_request() {
        // AddRequest { "cn=a", { objectClass: {top}, cn: {a} } }
        let bytes = [
            0x30, 0x2e, 0x02, 0x01, 0x04, 0x68, 0x29, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x21, 0x30, 0x14, 0x04, 0x0b, 0x6f, 0x62, 0x6a, 0x65, 0x63, 0x74, 0x43, 0x6c, 0x61,
            0x73, 0x73, 0x31, 0x05, 0x04, 0x03, 0x74, 0x6f, 0x70, 0x30, 0x09, 0x04, 0x02, 0x63,
            0x6e, 0x31, 0x03, 0x04, 0x01, 0x61,
        ];
        let op = ProtocolOp::AddRequest(AddRequest {
            entry: s("cn=a"),
            attributes: vec![
                Attribute::new("objectClass", ["top"]),
                Attribute::new("cn", ["a"]),
            ],
        });
        golden(&bytes, &msg(4, op));
        // An attribute without values: `vals (SIZE(1..MAX))`.
        let bytes = [
            0x30, 0x15, 0x02, 0x01, 0x04, 0x68, 0x10, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x08, 0x30, 0x06, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x00,
        ];
        let err = decode_err(&bytes);
        assert_eq!(
            err.kind,
            DecodeErrorKind::InvalidValue("an Attribute must have at least one value")
        );
        assert_eq!(err.offset, 23);
    }

    #[test]
    fn del_request() {
        let bytes = [
            0x30, 0x09, 0x02, 0x01, 0x05, 0x4a, 0x04, 0x63, 0x6e, 0x3d, 0x61,
        ];
        golden(&bytes, &msg(5, ProtocolOp::DelRequest(s("cn=a"))));
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x05, 0x6a, 0x00]);
        assert_eq!(err.kind, DecodeErrorKind::BadConstruction);
        assert_eq!(err.offset, 5);
    }

    #[test]
    fn modify_dn_request() {
        // ModifyDNRequest { "cn=a,o=x", "cn=b", TRUE, newSuperior "o=y" }
        let bytes = [
            0x30, 0x1d, 0x02, 0x01, 0x06, 0x6c, 0x18, 0x04, 0x08, 0x63, 0x6e, 0x3d, 0x61, 0x2c,
            0x6f, 0x3d, 0x78, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x62, 0x01, 0x01, 0xff, 0x80, 0x03,
            0x6f, 0x3d, 0x79,
        ];
        let op = |delete_old_rdn, new_superior| {
            ProtocolOp::ModifyDnRequest(ModifyDnRequest {
                entry: s("cn=a,o=x"),
                new_rdn: s("cn=b"),
                delete_old_rdn,
                new_superior,
            })
        };
        golden(&bytes, &msg(6, op(true, Some(s("o=y")))));
        let bytes = [
            0x30, 0x18, 0x02, 0x01, 0x06, 0x6c, 0x13, 0x04, 0x08, 0x63, 0x6e, 0x3d, 0x61, 0x2c,
            0x6f, 0x3d, 0x78, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x62, 0x01, 0x01, 0x00,
        ];
        golden(&bytes, &msg(6, op(false, None)));
    }

    #[test]
    fn compare_request() {
        // CompareRequest { "cn=a", { sn, "x" } }
        let bytes = [
            0x30, 0x14, 0x02, 0x01, 0x07, 0x6e, 0x0f, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x07, 0x04, 0x02, 0x73, 0x6e, 0x04, 0x01, 0x78,
        ];
        let op = ProtocolOp::CompareRequest(CompareRequest {
            entry: s("cn=a"),
            attribute: s("sn"),
            value: b(b"x"),
        });
        golden(&bytes, &msg(7, op));
    }

    #[test]
    fn abandon_request() {
        golden(
            &[0x30, 0x06, 0x02, 0x01, 0x08, 0x50, 0x01, 0x05],
            &msg(8, ProtocolOp::AbandonRequest(MessageId(5))),
        );
        golden(
            &[0x30, 0x07, 0x02, 0x01, 0x08, 0x50, 0x02, 0x01, 0x2c],
            &msg(8, ProtocolOp::AbandonRequest(MessageId(300))),
        );
        let err = decode_err(&[0x30, 0x06, 0x02, 0x01, 0x08, 0x50, 0x01, 0xfb]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::IntegerOutOfRange {
                field: "messageID",
                value: -5
            }
        );
        assert_eq!(err.offset, 5);
        let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x08, 0x50, 0x00]);
        assert_eq!(err.kind, DecodeErrorKind::BadInteger);
        assert_eq!(
            err.to_string(),
            "malformed or out-of-range INTEGER at byte 5"
        );
    }

    #[test]
    fn results_of_every_kind() {
        // resultCode, "", "" under each LDAPResult-only response tag.
        type Variant = fn(LdapResult) -> ProtocolOp;
        let cases: [(u8, u8, Variant); 6] = [
            (0x65, 0x00, ProtocolOp::SearchResultDone),
            (0x67, 0x13, ProtocolOp::ModifyResponse),
            (0x69, 0x44, ProtocolOp::AddResponse),
            (0x6b, 0x42, ProtocolOp::DelResponse),
            (0x6d, 0x35, ProtocolOp::ModifyDnResponse),
            (0x6f, 0x06, ProtocolOp::CompareResponse),
        ];
        for (tag, code, op) in cases {
            let bytes = [
                0x30, 0x0c, 0x02, 0x01, 0x04, tag, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00,
            ];
            let result = LdapResult::new(ResultCode(u32::from(code)));
            golden(&bytes, &msg(4, op(result)));
        }
        // With a matched DN and a message.
        let bytes = [
            0x30, 0x12, 0x02, 0x01, 0x04, 0x6b, 0x0d, 0x0a, 0x01, 0x20, 0x04, 0x03, 0x6f, 0x3d,
            0x78, 0x04, 0x03, 0x6e, 0x6f, 0x21,
        ];
        let result = LdapResult {
            code: ResultCode::NO_SUCH_OBJECT,
            matched_dn: s("o=x"),
            message: s("no!"),
            referrals: Vec::new(),
        };
        golden(&bytes, &msg(4, ProtocolOp::DelResponse(result)));
    }

    #[test]
    fn extended_request() {
        // ExtendedRequest { requestName "1.3.6.1.4.1.1466.20037" } (StartTLS)
        let mut bytes = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        bytes.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
        let op = ProtocolOp::ExtendedRequest(ExtendedRequest {
            name: s("1.3.6.1.4.1.1466.20037"),
            value: None,
        });
        golden(&bytes, &msg(1, op));
        // With a value.
        let bytes = [
            0x30, 0x0f, 0x02, 0x01, 0x01, 0x77, 0x0a, 0x80, 0x05, 0x31, 0x2e, 0x32, 0x2e, 0x33,
            0x81, 0x01, 0x76,
        ];
        let op = ProtocolOp::ExtendedRequest(ExtendedRequest {
            name: s("1.2.3"),
            value: Some(b(b"v")),
        });
        golden(&bytes, &msg(1, op));
        // requestName missing.
        let err = decode_err(&[0x30, 0x08, 0x02, 0x01, 0x01, 0x77, 0x03, 0x81, 0x01, 0x76]);
        assert_eq!(
            err.kind,
            DecodeErrorKind::UnexpectedTag {
                expected: Tag::context(0),
                found: Tag::context(1)
            }
        );
    }

    #[test]
    fn extended_response() {
        // ExtendedResponse { success, "", "", [10] "1.2.3", [11] de ad }
        let bytes = [
            0x30, 0x17, 0x02, 0x01, 0x01, 0x78, 0x12, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x8a, 0x05, 0x31, 0x2e, 0x32, 0x2e, 0x33, 0x8b, 0x02, 0xde, 0xad,
        ];
        let op = ProtocolOp::ExtendedResponse(ExtendedResponse {
            result: success(),
            name: Some(s("1.2.3")),
            value: Some(b(&[0xde, 0xad])),
        });
        golden(&bytes, &msg(1, op));
        let bytes = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00,
        ];
        let op = ProtocolOp::ExtendedResponse(ExtendedResponse {
            result: LdapResult::new(ResultCode::PROTOCOL_ERROR),
            name: None,
            value: None,
        });
        golden(&bytes, &msg(1, op));
        // responseValue before responseName.
        let err = decode_err(&[
            0x30, 0x13, 0x02, 0x01, 0x01, 0x78, 0x0e, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x8b, 0x00, 0x8a, 0x03, 0x31, 0x2e, 0x32,
        ]);
        assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 5 });
    }

    #[test]
    fn intermediate_response() {
        let bytes = [
            0x30, 0x0f, 0x02, 0x01, 0x09, 0x79, 0x0a, 0x80, 0x05, 0x31, 0x2e, 0x32, 0x2e, 0x33,
            0x81, 0x01, 0x78,
        ];
        let op = ProtocolOp::IntermediateResponse(IntermediateResponse {
            name: Some(s("1.2.3")),
            value: Some(b(b"x")),
        });
        golden(&bytes, &msg(9, op));
        let op = ProtocolOp::IntermediateResponse(IntermediateResponse {
            name: None,
            value: None,
        });
        golden(&[0x30, 0x05, 0x02, 0x01, 0x09, 0x79, 0x00], &msg(9, op));
    }

    #[test]
    fn names_and_tags() {
        assert_eq!(ProtocolOp::UnbindRequest.name(), "UnbindRequest");
        assert_eq!(ProtocolOp::UnbindRequest.tag(), Tag::application(2));
        assert_eq!(
            ProtocolOp::name_of_tag(Tag::application(0x13).constructed()),
            Some("SearchResultReference")
        );
        assert_eq!(ProtocolOp::name_of_tag(Tag::application(0x13)), None);
        assert_eq!(
            ProtocolOp::name_of_tag(Tag::context(0x13).constructed()),
            None
        );
        let done = ProtocolOp::SearchResultDone(success());
        assert!(done.is_response());
        assert_eq!(done.result(), Some(&success()));
        assert!(!ProtocolOp::DelRequest(s("x")).is_response());
    }

    /// The word-at-a-time ASCII check of attribute descriptions: a high
    /// octet at any position of names of every length is found, and high
    /// octets around the name (inside the buffer it is read from) are not
    /// taken for it.
    #[test]
    fn name_is_ascii_finds_every_high_octet_and_only_those() {
        for len in 0..=20usize {
            for prefix in 0..3usize {
                for suffix in [0usize, 1, 7, 9] {
                    let mut buf = vec![0xffu8; prefix];
                    buf.extend(std::iter::repeat_n(b'a', len));
                    buf.extend(std::iter::repeat_n(0xffu8, suffix));
                    let name = prefix..prefix + len;
                    assert!(
                        name_is_ascii(&buf, &buf[name.clone()]),
                        "len {len} prefix {prefix} suffix {suffix}"
                    );
                    for at in name.clone() {
                        let mut bad = buf.clone();
                        bad[at] = 0xc3;
                        assert!(
                            !name_is_ascii(&bad, &bad[name.clone()]),
                            "len {len}: high octet at {at} missed"
                        );
                    }
                }
            }
        }
    }

    mod attribute_list {
        use proptest::collection::vec;
        use proptest::prelude::*;

        use super::*;

        /// `cn: {a, b}`, `sn: {}` as an entry of message 2.
        const ENTRY: [u8; 37] = [
            0x30, 0x23, 0x02, 0x01, 0x02, 0x64, 0x1e, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30,
            0x16, 0x30, 0x0c, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01,
            0x62, 0x30, 0x06, 0x04, 0x02, 0x73, 0x6e, 0x31, 0x00,
        ];

        fn decode_entry(bytes: &[u8]) -> SearchResultEntry {
            let got = LdapMessage::decode(Bytes::copy_from_slice(bytes)).unwrap();
            match got.op {
                ProtocolOp::SearchResultEntry(e) => e,
                op => panic!("{op:?}"),
            }
        }

        fn attrs() -> Vec<Attribute> {
            vec![
                Attribute::new("objectClass", ["top", "person"]),
                Attribute::new("CN", ["Jane Doe"]),
                Attribute::new("jpegPhoto", [[0xffu8; 300]]),
                Attribute::new::<&[u8]>("memberOf", []),
            ]
        }

        #[test]
        fn round_trip() {
            let list = AttributeList::new(attrs());
            assert_eq!(list.len(), 4);
            assert!(!list.is_empty());
            assert_eq!(list, AttributeList::from(attrs()));
            assert_eq!(list, attrs().into_iter().collect());
            let entry = SearchResultEntry {
                dn: s("cn=Jane Doe,o=x"),
                attributes: list.clone(),
            };
            let bytes = msg(7, ProtocolOp::SearchResultEntry(entry.clone())).to_vec();
            let got = decode_entry(&bytes);
            assert_eq!(got, entry);
            assert_eq!(got.attributes.to_vec(), attrs());
            let names: Vec<&str> = got.attributes.iter().map(|a| a.name()).collect();
            assert_eq!(names, ["objectClass", "CN", "jpegPhoto", "memberOf"]);
            let classes: Vec<&[u8]> = got.attributes.iter().next().unwrap().values().collect();
            assert_eq!(classes, [&b"top"[..], b"person"]);
            // The encoding is that of the owned model.
            let mut old = Vec::new();
            write_attributes(&mut Writer::new(&mut old), &attrs());
            assert_eq!(&list.encoded[..], &old[..]);
            assert_eq!(
                format!("{list:?}"),
                format!("{:?}", attrs()),
                "prints like a list of attributes"
            );
        }

        #[test]
        fn get_ignores_ascii_case() {
            let entry = SearchResultEntry::new("cn=Jane Doe,o=x", attrs());
            assert_eq!(entry.get("cn").unwrap().name(), "CN");
            assert_eq!(entry.get("OBJECTCLASS").unwrap().name(), "objectClass");
            assert_eq!(entry.first_str("Cn"), Some("Jane Doe"));
            assert_eq!(entry.first_str("objectclass"), Some("top"));
            // Not UTF-8, no values, absent.
            assert_eq!(entry.first_str("jpegPhoto"), None);
            assert_eq!(entry.first_str("memberOf"), None);
            assert!(entry.get("memberOf").is_some());
            assert!(entry.get("mail").is_none());
            assert!(entry.get("c").is_none());
        }

        #[test]
        fn to_vec_shares_the_frame() {
            let frame = Bytes::copy_from_slice(&ENTRY);
            let ProtocolOp::SearchResultEntry(entry) =
                LdapMessage::decode(frame.clone()).unwrap().op
            else {
                panic!()
            };
            let inside = |b: &[u8]| {
                let (start, end) = (
                    frame.as_ptr() as usize,
                    frame.as_ptr() as usize + frame.len(),
                );
                let p = b.as_ptr() as usize;
                p >= start && p + b.len() <= end
            };
            assert!(inside(&entry.attributes.encoded));
            let owned = entry.attributes.to_vec();
            assert_eq!(
                owned,
                [
                    Attribute::new("cn", ["a", "b"]),
                    Attribute::new::<&[u8]>("sn", []),
                ]
            );
            for a in &owned {
                assert!(inside(a.name.as_bytes()));
                assert!(a.values.iter().all(|v| inside(v)));
            }
            let cn = entry.get("cn").unwrap();
            assert!(cn.value_bytes().all(|v| inside(&v)));
            assert_eq!(cn.to_attribute(), owned[0]);
        }

        #[test]
        fn types_only_and_empty() {
            // typesOnly: every set of values is empty.
            let types = AttributeList::new(vec![
                Attribute::new::<&[u8]>("cn", []),
                Attribute::new::<&[u8]>("sn", []),
            ]);
            let entry = SearchResultEntry {
                dn: s("cn=a"),
                attributes: types,
            };
            let bytes = msg(3, ProtocolOp::SearchResultEntry(entry.clone())).to_vec();
            let got = decode_entry(&bytes);
            assert_eq!(got, entry);
            assert_eq!(got.attributes.len(), 2);
            assert!(got.attributes.iter().all(|a| a.values().next().is_none()));
            assert_eq!(got.get("SN").unwrap().value_bytes().count(), 0);
            // No attributes at all.
            let empty = AttributeList::default();
            assert!(empty.is_empty());
            assert_eq!(empty.iter().count(), 0);
            assert_eq!(empty, AttributeList::new(Vec::new()));
            assert_eq!(format!("{empty:?}"), "[]");
            golden(
                &[
                    0x30, 0x0d, 0x02, 0x01, 0x02, 0x64, 0x08, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61,
                    0x30, 0x00,
                ],
                &msg(
                    2,
                    ProtocolOp::SearchResultEntry(SearchResultEntry::new(s("cn=a"), vec![])),
                ),
            );
        }

        #[test]
        fn malformed_lists_are_rejected_at_decode() {
            // An attribute that is an OCTET STRING, not a SEQUENCE.
            let mut bad = ENTRY;
            bad[15] = 0x04;
            let err = decode_err(&bad);
            assert_eq!(
                err.kind,
                DecodeErrorKind::UnexpectedTag {
                    expected: Tag::SEQUENCE,
                    found: Tag::OCTET_STRING
                }
            );
            assert_eq!(err.offset, 15);
            // A value that is an INTEGER.
            let mut bad = ENTRY;
            bad[26] = 0x02;
            let err = decode_err(&bad);
            assert_eq!(
                err.kind,
                DecodeErrorKind::UnexpectedTag {
                    expected: Tag::OCTET_STRING,
                    found: Tag::INTEGER
                }
            );
            assert_eq!(err.offset, 26);
            // A description that is not UTF-8, located at its element.
            let mut bad = ENTRY;
            bad[34] = 0xff;
            let err = decode_err(&bad);
            assert_eq!(
                err.kind,
                DecodeErrorKind::InvalidValue("AttributeDescription is not UTF-8")
            );
            assert_eq!(err.offset, 31);
            // A third element in an attribute: trailing data.
            let mut extra = ENTRY.to_vec();
            extra.extend_from_slice(&[0x04, 0x00]);
            for at in [1, 6, 14, 30] {
                extra[at] += 2;
            }
            let err = decode_err(&extra);
            assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 2 });
            assert_eq!(err.offset, 37);
            // A value that runs past its set.
            let mut bad = ENTRY;
            bad[27] = 0x02;
            let err = decode_err(&bad);
            assert!(
                matches!(err.kind, DecodeErrorKind::Truncated { .. }),
                "{err}"
            );
        }

        /// The entry decoder before `AttributeList`: every attribute into
        /// an owned `Attribute`.
        fn decode_owned(frame: &Bytes) -> Result<Vec<Attribute>, DecodeError> {
            let src = Frame(frame);
            let mut r = Reader::new(frame);
            let out = r.sequence(Tag::SEQUENCE, |r| {
                read_message_id(r, Tag::INTEGER)?;
                r.sequence(SEARCH_RESULT_ENTRY, |r| {
                    read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
                    r.sequence(Tag::SEQUENCE, |r| read_attributes(r, src, false))
                })
            })?;
            r.finish()?;
            Ok(out)
        }

        #[test]
        fn errors_are_those_of_the_owned_decoder() {
            // Every single-octet change of the attribute list: the same
            // verdict, the same error at the same offset, the same attributes.
            let mut checked = 0;
            for at in 13..ENTRY.len() {
                for v in [
                    0x00, 0x01, 0x02, 0x04, 0x05, 0x30, 0x31, 0x7f, 0x80, 0x84, 0xc0, 0xff,
                ] {
                    let mut bytes = ENTRY;
                    bytes[at] = v;
                    let frame = Bytes::copy_from_slice(&bytes);
                    let new = LdapMessage::decode(frame.clone()).map(|m| match m.op {
                        ProtocolOp::SearchResultEntry(e) => e.attributes.to_vec(),
                        op => panic!("{op:?}"),
                    });
                    assert_eq!(new, decode_owned(&frame), "{bytes:02x?}");
                    checked += usize::from(new.is_err());
                }
            }
            assert!(checked > 100, "{checked}");
        }

        #[test]
        fn unusual_forms_and_limits() {
            // Long-form lengths where the short form would do: valid BER,
            // read through the `Reader`.
            let bytes = [
                0x30, 0x14, 0x02, 0x01, 0x01, 0x64, 0x0f, 0x04, 0x00, 0x30, 0x0b, 0x30, 0x81, 0x08,
                0x04, 0x01, 0x61, 0x31, 0x81, 0x02, 0x04, 0x00,
            ];
            // The same SEQUENCE tag in the multi-octet form is not minimal
            // (X.690 §8.1.2.2) and is refused, by both paths alike.
            let mut high_tag = bytes;
            high_tag[11..13].copy_from_slice(&[0x3f, 0x10]);
            let err = LdapMessage::decode(Bytes::copy_from_slice(&high_tag)).unwrap_err();
            assert_eq!(err.kind, DecodeErrorKind::NonMinimalTag);
            assert_eq!(err.offset, 11);
            let entry = decode_entry(&bytes);
            assert_eq!(entry.attributes.len(), 1);
            assert_eq!(
                entry.attributes.to_vec(),
                [Attribute::new("a", [b""])],
                "{entry:?}"
            );
            assert_eq!(
                decode_owned(&Bytes::copy_from_slice(&bytes)).unwrap(),
                entry.attributes.to_vec()
            );
            // The SET of values is five levels down.
            let limits = |max_depth| Limits {
                max_depth,
                ..Limits::DEFAULT
            };
            let frame = Bytes::copy_from_slice(&ENTRY);
            let err = LdapMessage::decode_with_limits(frame.clone(), limits(4)).unwrap_err();
            assert_eq!(err.kind, DecodeErrorKind::DepthExceeded { max: 4 });
            assert_eq!(err.offset, 21);
            assert!(LdapMessage::decode_with_limits(frame, limits(5)).is_ok());
        }

        #[test]
        fn a_broken_list_stops_iteration_without_panicking() {
            for encoded in [
                &[0x04, 0x00][..],
                &[0x30, 0x05, 0x04, 0x01, 0x61, 0x31],
                &[0x30, 0x04, 0x04, 0x01, 0xff, 0x31, 0x00],
                &[0x30, 0x05, 0x04, 0x01, 0x61, 0x31, 0x03, 0x02, 0x01, 0x00],
                &[0x30, 0x84],
            ] {
                let list = AttributeList {
                    encoded: Bytes::copy_from_slice(encoded),
                    len: 3,
                };
                let _ = format!("{list:?}");
                let _ = list.to_vec();
                assert!(list.get("a").is_none_or(|a| a.first_str().is_none()));
                let mut it = list.iter();
                while it.next().is_some() {}
                assert!(it.next().is_none());
            }
        }

        fn attribute() -> impl Strategy<Value = Attribute> {
            (
                "[a-zA-Z][a-zA-Z0-9;-]{0,12}",
                vec(vec(any::<u8>(), 0..40), 0..5),
            )
                .prop_map(|(name, values)| Attribute {
                    name: name.into(),
                    values: values.into_iter().map(Bytes::from).collect(),
                })
        }

        proptest! {
            #[test]
            fn to_vec_returns_what_new_was_given(attrs in vec(attribute(), 0..8)) {
                let list = AttributeList::new(attrs.clone());
                prop_assert_eq!(list.len(), attrs.len());
                prop_assert_eq!(&list.to_vec(), &attrs);
                // And the same after a trip through the wire.
                let entry = SearchResultEntry { dn: s("o=x"), attributes: list };
                let bytes = msg(1, ProtocolOp::SearchResultEntry(entry.clone())).to_vec();
                let got = decode_entry(&bytes);
                prop_assert_eq!(&got, &entry);
                prop_assert_eq!(got.attributes.to_vec(), attrs);
            }
        }
    }
}
