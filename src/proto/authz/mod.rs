//! Authorization identities (RFC 4513 §5.2.1.8): what a "Who am I?"
//! answer (RFC 4532) names and what a SASL bind may ask to act as.
//!
//! Servers spell the same identity differently: OpenLDAP answers
//! `dn:uid=alice,ou=people,dc=example,dc=com`, 389 Directory Server
//! `dn: uid=alice,ou=people,dc=example,dc=com` (a space after the colon).
//! Compare identities as [`AuthzId`]s, not as strings:
//!
//! ```
//! use tokio_ldap::proto::authz::AuthzId;
//!
//! let slapd: AuthzId = "dn:uid=alice,ou=people,dc=example,dc=com".parse()?;
//! let ds389: AuthzId = "dn: uid=alice, ou=people, dc=example, dc=com".parse()?;
//! assert_eq!(slapd, ds389);
//! assert_eq!(ds389.to_string(), "dn:uid=alice,ou=people,dc=example,dc=com");
//! let alice = "UID=alice,OU=People,DC=example,DC=com".parse()?;
//! assert!(ds389.dn().is_some_and(|dn| dn.eq_ignore_case(&alice)));
//! assert_eq!("u:bob".parse::<AuthzId>()?, AuthzId::User("bob".into()));
//! assert_eq!("".parse::<AuthzId>()?, AuthzId::Anonymous);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::proto::dn::{Dn, DnError};

/// An authorization identity: a DN (`dn:`), a user name (`u:`), or the
/// anonymous identity (an empty authzId).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthzId {
    /// The anonymous identity: an empty authzId (RFC 4532 §2.2), or `dn:`
    /// with the empty DN.
    Anonymous,
    /// `dn:` and a distinguished name. Equality is [`Dn`]'s: attribute types
    /// ignore case, values do not; see [`AuthzId::eq_ignore_case`].
    Dn(Dn),
    /// `u:` and a user name, whose meaning is the server's (RFC 4513
    /// §5.2.1.8 leaves it to the SASL mechanism and the server).
    User(String),
}

/// Why an authorization identity did not parse.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthzIdError {
    /// Neither empty nor `dn:` nor `u:`.
    #[error("an authorization identity is empty or starts with \"dn:\" or \"u:\"; got {found:?}")]
    UnknownForm {
        /// The start of what was given (at most 64 characters).
        found: String,
    },
    /// `dn:` followed by something that is not a DN.
    #[error("the DN of the authorization identity {found:?} does not parse: {source}")]
    Dn {
        /// The start of what was given (at most 64 characters).
        found: String,
        /// Why the DN did not parse.
        source: DnError,
    },
    /// `u:` with no user name.
    #[error("the authorization identity \"u:\" has no user name")]
    EmptyUser,
}

/// How much of a bad input an error repeats.
const SHOWN: usize = 64;

impl AuthzId {
    /// Parses an authzId as RFC 4513 §5.2.1.8 writes it, as leniently as
    /// servers send it: the prefixes `dn:` and `u:` in any case (ABNF
    /// strings are case-insensitive), spaces after the colon ignored (389
    /// Directory Server sends `dn: uid=...`), spaces around the DN's `,`,
    /// `+` and `=` ignored as [`Dn::parse`] does. The empty string, spaces
    /// only, and `dn:` with the empty DN are [`AuthzId::Anonymous`].
    pub fn parse(input: &str) -> Result<Self, AuthzIdError> {
        let trimmed = input.trim_start();
        if trimmed.trim_end().is_empty() {
            return Ok(Self::Anonymous);
        }
        let shown = || trimmed.chars().take(SHOWN).collect::<String>();
        let Some((prefix, rest)) = trimmed.split_once(':') else {
            return Err(AuthzIdError::UnknownForm { found: shown() });
        };
        if prefix.eq_ignore_ascii_case("dn") {
            let dn = Dn::parse(rest).map_err(|source| AuthzIdError::Dn {
                found: shown(),
                source,
            })?;
            Ok(if dn.is_root() {
                Self::Anonymous
            } else {
                Self::Dn(dn)
            })
        } else if prefix.eq_ignore_ascii_case("u") {
            let user = rest.trim_start_matches(' ');
            if user.is_empty() {
                return Err(AuthzIdError::EmptyUser);
            }
            Ok(Self::User(user.to_owned()))
        } else {
            Err(AuthzIdError::UnknownForm { found: shown() })
        }
    }

    /// The DN of a `dn:` identity.
    pub fn dn(&self) -> Option<&Dn> {
        match self {
            Self::Dn(dn) => Some(dn),
            _ => None,
        }
    }

    /// The user name of a `u:` identity.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::User(user) => Some(user),
            _ => None,
        }
    }

    /// Whether this is the anonymous identity.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// Like `==`, but string values of a DN and user names compare ignoring
    /// case, as most directory attributes (`caseIgnoreMatch`) and most
    /// servers' user names do; see [`Dn::eq_ignore_case`].
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Anonymous, Self::Anonymous) => true,
            (Self::Dn(a), Self::Dn(b)) => a.eq_ignore_case(b),
            (Self::User(a), Self::User(b)) => a.to_lowercase() == b.to_lowercase(),
            _ => false,
        }
    }
}

impl FromStr for AuthzId {
    type Err = AuthzIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Dn> for AuthzId {
    /// `dn:` and `dn`; the empty DN is the anonymous identity.
    fn from(dn: Dn) -> Self {
        if dn.is_root() {
            Self::Anonymous
        } else {
            Self::Dn(dn)
        }
    }
}

/// The RFC 4513 form without spaces: `dn:` and the DN in RFC 4514 form,
/// `u:` and the user name, the empty string for the anonymous identity.
/// What [`LdapConn::bind_external`](crate::LdapConn::bind_external) takes
/// as its authzId.
impl fmt::Display for AuthzId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => Ok(()),
            Self::Dn(dn) => write!(f, "dn:{dn}"),
            Self::User(user) => write!(f, "u:{user}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;
