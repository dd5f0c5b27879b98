//! The Bind operation (RFC 4511 §4.2).
//!
//! ```text
//! BindRequest ::= [APPLICATION 0] SEQUENCE {
//!      version                 INTEGER (1 ..  127),
//!      name                    LDAPDN,
//!      authentication          AuthenticationChoice }
//!
//! AuthenticationChoice ::= CHOICE {
//!      simple                  [0] OCTET STRING,
//!                              -- 1 and 2 reserved
//!      sasl                    [3] SaslCredentials,
//!      ...  }
//!
//! SaslCredentials ::= SEQUENCE {
//!      mechanism               LDAPString,
//!      credentials             OCTET STRING OPTIONAL }
//!
//! BindResponse ::= [APPLICATION 1] SEQUENCE {
//!      COMPONENTS OF LDAPResult,
//!      serverSaslCreds    [7] OCTET STRING OPTIONAL }
//! ```

use core::fmt;

use bytes::Bytes;
use bytestring::ByteString;
use zeroize::Zeroizing;

use crate::ber::{DecodeError, Reader, Tag, Writer};
use crate::proto::codec::{
    choice_error, next_tag, read_int_in, read_opt_bytes, read_string, Frame, LDAP_DN, LDAP_STRING,
};
use crate::proto::result::LdapResult;

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
#[non_exhaustive]
pub struct BindRequest {
    /// Protocol version; always 3 for requests this crate sends.
    pub version: u8,
    /// The DN to bind as (empty for anonymous and most SASL binds).
    pub name: ByteString,
    /// The authentication choice.
    pub auth: BindAuth,
}

impl BindRequest {
    /// A version 3 bind as `name` with `auth`.
    pub fn new(name: impl Into<ByteString>, auth: BindAuth) -> Self {
        Self {
            version: 3,
            name: name.into(),
            auth,
        }
    }
}

/// `AuthenticationChoice`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindAuth {
    /// `simple [0] OCTET STRING`.
    Simple(Password),
    /// `sasl [3] SaslCredentials`.
    Sasl {
        /// The SASL mechanism name, e.g. `EXTERNAL`.
        mechanism: ByteString,
        /// The credentials; `Some(empty)` differs from `None` on the wire.
        /// A [`Password`]: a mechanism's credentials may carry one (SASL
        /// PLAIN does), so they are redacted from `Debug` and wiped from
        /// memory on drop.
        credentials: Option<Password>,
    },
}

/// `BindResponse ::= [APPLICATION 1] SEQUENCE { COMPONENTS OF LDAPResult, serverSaslCreds [7] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BindResponse {
    /// The result.
    pub result: LdapResult,
    /// `serverSaslCreds [7]`.
    pub server_sasl_creds: Option<Bytes>,
}

impl BindResponse {
    /// A response with `result` and no `serverSaslCreds`.
    pub fn new(result: LdapResult) -> Self {
        Self {
            result,
            server_sasl_creds: None,
        }
    }
}

/// `simple [0] OCTET STRING` in `AuthenticationChoice`.
const AUTH_SIMPLE: Tag = Tag::context(0x00);
/// `sasl [3] SaslCredentials` in `AuthenticationChoice`.
const AUTH_SASL: Tag = Tag::context(0x03).constructed();

impl BindRequest {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
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
                let credentials =
                    read_opt_bytes(r, src, Tag::OCTET_STRING)?.map(|c| Password::new(c.as_ref()));
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

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
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
                    w.octet_string(Tag::OCTET_STRING, c.expose());
                }
            }),
        }
    }
}

/// `serverSaslCreds [7] OCTET STRING` in `BindResponse`.
const SERVER_SASL_CREDS: Tag = Tag::context(0x07);

impl BindResponse {
    pub(super) fn decode(r: &mut Reader<'_>, src: Frame<'_>) -> Result<Self, DecodeError> {
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

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        self.result.encode_components(w);
        if let Some(c) = &self.server_sasl_creds {
            w.octet_string(SERVER_SASL_CREDS, c);
        }
    }
}
