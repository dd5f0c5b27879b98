//! [`Bind`]: the identity every connection of a pool is bound as.

use crate::proto::Password;
use crate::{Error, LdapConn};

/// How the pool binds each new connection before handing it out: the
/// identity is part of the pool's contract (see
/// [`LdapPool`](crate::LdapPool) on connections a caller re-binds).
///
/// `Debug` shows no password ([`Password`] is redacted, and wiped from
/// memory when the pool is dropped).
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub enum Bind {
    /// No bind: the connection stays anonymous (or, on a server such as
    /// 389 Directory Server, has the identity its TLS client certificate
    /// maps to).
    #[default]
    None,
    /// SASL EXTERNAL ([`LdapConn::bind_external`]): the identity of the
    /// TLS client certificate (or of the `ldapi://` peer); `authzid` asks
    /// to act as another identity.
    External {
        /// The identity to act as (`"dn:..."` or `"u:..."`), or `None`.
        authzid: Option<String>,
    },
    /// A simple bind with a DN and password ([`LdapConn::bind_simple`]),
    /// refused over an unencrypted connection unless the
    /// [`ConnConfig`](crate::ConnConfig) allows it.
    Simple {
        /// The DN to bind as.
        dn: String,
        /// Its password (UTF-8).
        password: Password,
    },
}

impl Bind {
    /// A simple bind as `dn` with `password`.
    pub fn simple(dn: impl Into<String>, password: impl AsRef<str>) -> Self {
        Self::Simple {
            dn: dn.into(),
            password: Password::new(password.as_ref().as_bytes()),
        }
    }

    /// The password of a simple bind, checked to be UTF-8.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if let Self::Simple { password, .. } = self {
            if std::str::from_utf8(password.expose()).is_err() {
                return Err(Error::InvalidInput(
                    "the pool's bind password is not UTF-8: a simple bind takes a UTF-8 password"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// Binds `conn` as configured.
    pub(crate) async fn apply(&self, conn: &LdapConn) -> Result<(), Error> {
        match self {
            Self::None => Ok(()),
            Self::External { authzid } => conn.bind_external(authzid.as_deref()).await,
            Self::Simple { dn, password } => {
                let text = std::str::from_utf8(password.expose()).map_err(|_| {
                    Error::InvalidInput("the pool's bind password is not UTF-8".into())
                })?;
                conn.bind_simple(dn, text).await
            }
        }
    }
}
