//! Per-call options: [`OpOptions`], and [`WithOptions`], the handle that runs
//! every operation with them.

use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;

use super::config::TimeoutSetting;
use super::handle::{BoundAs, LdapConn};
use super::op_handle::OpHandle;
use super::referral;
use super::response::{ldap_error, unexpected, Detailed, Mode, Plain, Response};
use super::search::{Search, SearchResults, SearchStream};
use crate::proto::authz::AuthzId;
use crate::proto::extended::{PasswordModify, WhoAmI};
use crate::proto::{
    AddRequest, Attribute, BindAuth, BindRequest, ByteString, CompareRequest, Control,
    ExtendedRequest, ExtendedResponse, LdapMessage, Modification, ModifyDnRequest, ModifyRequest,
    Password, ProtocolOp, ResultCode,
};
use crate::Error;

/// Per-operation options: controls and a timeout, passed with the
/// request, never stored on the handle.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use std::time::Duration;
/// use tokio_ldap::{controls, OpOptions};
///
/// let opts = OpOptions::new().timeout(Duration::from_secs(2)).control(controls::ManageDsaIt.to_control());
/// conn.with(opts).delete("cn=ref,dc=example,dc=com").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpOptions {
    pub(super) controls: Vec<Control>,
    pub(super) timeout: TimeoutSetting,
    pub(super) handle: Option<OpHandle>,
}

impl OpOptions {
    /// No controls, the connection's default timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a control to the request.
    pub fn control(mut self, c: impl Into<Control>) -> Self {
        self.controls.push(c.into());
        self
    }

    /// Adds several controls.
    pub fn controls(mut self, cs: impl IntoIterator<Item = Control>) -> Self {
        self.controls.extend(cs);
        self
    }

    /// Fails the operation with [`Error::Timeout`] (and abandons it on the
    /// server) when it takes longer than `t`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = TimeoutSetting::After(t);
        self
    }

    /// Lifts the connection's default timeout
    /// ([`ConnConfig::operation_timeout`](crate::ConnConfig::operation_timeout))
    /// for this operation: it runs until the server ends it, the
    /// connection closes or its future is dropped. For long-lived
    /// operations (a persistent search, a sync stream) on a connection
    /// whose other operations keep a sensible default.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = TimeoutSetting::Never;
        self
    }

    /// Names the operation with `handle` (a clone of it is kept), so that
    /// another task can [`abandon`](LdapConn::abandon) or
    /// [`cancel`](LdapConn::cancel) it.
    pub fn handle(mut self, handle: &OpHandle) -> Self {
        self.handle = Some(handle.clone());
        self
    }

    /// The timeout set with [`timeout`](Self::timeout) or
    /// [`no_timeout`](Self::no_timeout).
    pub(super) fn timeout_setting(&self) -> TimeoutSetting {
        self.timeout
    }
}

/// A connection with per-call options: runs every operation with the
/// controls and timeout of an [`OpOptions`]. Made by [`LdapConn::with`].
///
/// Each operation's contract is documented here; the [`LdapConn`] method of
/// the same name runs it with the default options (no controls, the
/// connection's timeout).
///
/// # The value, or the whole response
///
/// The mode `M` decides what an operation returns when it succeeds:
///
/// - [`Plain`] (the default): the value alone, e.g. `Result<bool, Error>`
///   for [`compare`](Self::compare), `Result<(), Error>` for
///   [`add`](Self::add);
/// - [`Detailed`], chosen with [`detailed`](WithOptions::detailed): a
///   [`Response`] with the value, the server's
///   [`LdapResult`](crate::proto::LdapResult) and the
///   **response controls** (a post-read entry, a password-policy
///   warning, an authorization identity), e.g.
///   `Result<Response<bool>, Error>`.
///
/// A refused operation is an [`Error::Ldap`] in both modes, and its
/// [`LdapError`](crate::LdapError) carries the response controls too
/// ([`LdapError::control`](crate::LdapError::control)). Searches return
/// their stream in both modes: a search's final controls are in
/// [`SearchStream::done`](crate::SearchStream::done) and
/// [`SearchResults`], each item's in
/// [`SearchStream::controls`](crate::SearchStream::controls).
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use std::time::Duration;
/// use tokio_ldap::{controls, OpOptions, Search};
///
/// let patient = OpOptions::new().timeout(Duration::from_secs(60));
/// let everyone = conn.with(patient).search_all(Search::new("dc=example,dc=com")).await?;
/// conn.with(OpOptions::new().control(controls::ManageDsaIt.to_control()))
///     .delete("cn=ref,dc=example,dc=com")
///     .await?;
/// // The same, with the result and the response controls:
/// let response = conn.with(OpOptions::new()).detailed().delete("cn=old,dc=example,dc=com").await?;
/// println!("{}: {} controls", response.result().code, response.controls().len());
/// # let _ = everyone; Ok(()) }
/// ```
#[derive(Debug)]
pub struct WithOptions<'a, M: Mode = Plain> {
    pub(super) conn: &'a LdapConn,
    pub(super) options: OpOptions,
    pub(super) mode: PhantomData<M>,
}

impl<'a> WithOptions<'a, Plain> {
    /// The same options, with every operation returning its whole
    /// [`Response`] (value, result and response controls) rather than the
    /// value alone.
    pub fn detailed(self) -> WithOptions<'a, Detailed> {
        WithOptions {
            conn: self.conn,
            options: self.options,
            mode: PhantomData,
        }
    }
}

impl<M: Mode> WithOptions<'_, M> {
    /// Binds with a DN and password (RFC 4513 §5.1). Refused with
    /// [`Error::InsecurePassword`] over an unencrypted connection unless
    /// [`ConnConfig::allow_insecure_password`](crate::ConnConfig::allow_insecure_password)
    /// is set.
    ///
    /// The bind response's controls (e.g. a password-policy response) are
    /// in the [`Response`] of the [`detailed`](WithOptions::detailed)
    /// form, and in the [`LdapError`](crate::LdapError) of a refused bind.
    ///
    /// # A bind that does not complete
    ///
    /// A bind cannot be abandoned (RFC 4511 §4.11), nothing else may run
    /// while it is outstanding (§4.2.1), and its late success would switch
    /// the connection's identity after the application was told it
    /// failed. So a bind that times out, or whose future is dropped before
    /// the server answers, **closes the connection**: an UnbindRequest is
    /// sent, the timed-out bind fails with [`Error::Timeout`] (phase
    /// [`Phase::Bind`](crate::Phase::Bind)), and every other operation,
    /// queued or later, fails with [`Error::Closed`] saying that the
    /// connection's identity is unknown. Reconnect to go on. The same
    /// holds for every bind method (and for
    /// [`LdapConn::start_tls`](crate::LdapConn::start_tls)).
    pub async fn bind_simple(self, dn: &str, password: &str) -> Result<M::Out<()>, Error> {
        if !password.is_empty() && !self.conn.may_send_password() {
            return Err(Error::InsecurePassword);
        }
        let auth = BindAuth::Simple(Password::new(password.as_bytes()));
        let op = ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: dn.into(),
            auth,
        });
        let conn = self.conn;
        let msg = self.request(op).await?;
        let (resp, _) = bind_response(msg, false)?;
        conn.remember_bind(BoundAs::Simple {
            dn: dn.to_owned(),
            password: Password::new(password.as_bytes()),
        });
        Ok(M::wrap(resp))
    }

    /// SASL EXTERNAL bind (RFC 4513 §5.2.2, RFC 4422 Appendix A): the
    /// server takes the identity from the TLS client certificate, or from
    /// the peer credentials of an `ldapi://` socket.
    ///
    /// A bind that times out or is dropped closes the connection (see
    /// [`bind_simple`](Self::bind_simple)).
    ///
    /// `authzid` (e.g. `"dn:uid=bob,ou=people,dc=example,dc=com"` or
    /// `"u:bob"`, see [`AuthzId`]'s `Display`) asks to act as another
    /// identity; `None` sends empty credentials. Either way the credentials
    /// field is present, so the bind completes in one round trip.
    ///
    /// Servers differ; check the identity after binding
    /// ([`whoami_identity`](Self::whoami_identity)) rather than assuming it:
    ///
    /// - OpenLDAP slapd is anonymous until this bind; it maps the
    ///   certificate's subject (through `authz-regexp`, no entry needed) and
    ///   honours an `authzid` where its `authz-policy` allows, refusing it
    ///   otherwise (insufficientAccessRights).
    /// - 389 Directory Server binds the identity its certificate mapping
    ///   finds as soon as the TLS handshake ends, before any bind; this bind
    ///   then succeeds and **ignores an `authzid`**: the identity stays the
    ///   certificate's. A trusted certificate that maps to no entry fails
    ///   with invalidCredentials (49) and no text.
    ///
    /// A failure says what TLS knows: that the server did not ask for a
    /// certificate, that none was sent, or which one was sent (subject and
    /// issuer) when the server refused to map it.
    ///
    /// ```no_run
    /// use tokio_ldap::{AuthzId, ClientCert, ConnConfig, LdapConn};
    ///
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let cert = ClientCert::from_pem_files("alice.crt", "alice.key")?;
    /// let config = ConnConfig::new().ca_file("ca.pem").client_cert(cert);
    /// let conn = LdapConn::connect("ldaps://ldap.example.com", config).await?;
    /// conn.bind_external(None).await?;
    /// // "dn:uid=alice,..." from slapd, "dn: uid=alice,..." from 389-DS.
    /// let alice: AuthzId = "dn:uid=alice,ou=people,dc=example,dc=com".parse()?;
    /// assert!(conn.whoami_identity().await?.eq_ignore_case(&alice));
    /// # Ok(()) }
    /// ```
    pub async fn bind_external(self, authzid: Option<&str>) -> Result<M::Out<()>, Error> {
        let creds = Password::new(authzid.unwrap_or("").as_bytes());
        let conn = self.conn;
        let msg = self
            .request(sasl_bind("EXTERNAL", Some(creds)))
            .await
            .map_err(|e| explain_external_failure(conn, authzid, e))?;
        // EXTERNAL takes one round trip: a server that asks for more
        // (saslBindInProgress) gets no second step.
        let (resp, _) =
            bind_response(msg, false).map_err(|e| explain_external_failure(conn, authzid, e))?;
        conn.remember_bind(BoundAs::External {
            authzid: authzid.map(str::to_owned),
        });
        Ok(M::wrap(resp))
    }

    /// A SASL bind step with any mechanism; returns the result code and
    /// the server's credentials. A `saslBindInProgress` result is returned
    /// as `Ok` with its code so multi-step mechanisms can continue.
    ///
    /// `credentials` are copied into a [`Password`] (redacted from
    /// `Debug`, wiped from memory on drop), as a simple bind's password
    /// is. `PLAIN`, which carries the password, is refused over
    /// an unencrypted connection like [`bind_simple`](Self::bind_simple).
    /// A step that times out or is dropped closes the connection (see
    /// [`bind_simple`](Self::bind_simple)).
    pub async fn bind_sasl(
        self,
        mechanism: &str,
        credentials: Option<&[u8]>,
    ) -> Result<M::Out<(ResultCode, Option<Bytes>)>, Error> {
        // PLAIN carries the password itself.
        let plain = mechanism.eq_ignore_ascii_case("PLAIN");
        if plain && !self.conn.may_send_password() {
            return Err(Error::InsecurePassword);
        }
        let conn = self.conn;
        let msg = self
            .request(sasl_bind(mechanism, credentials.map(Password::new)))
            .await?;
        let (resp, creds) = bind_response(msg, true)?;
        let code = resp.result().code;
        if code == ResultCode::SUCCESS {
            conn.remember_bind(if mechanism.eq_ignore_ascii_case("EXTERNAL") {
                BoundAs::External {
                    authzid: credentials.map(|c| String::from_utf8_lossy(c).into_owned()),
                }
            } else {
                BoundAs::Sasl {
                    mechanism: mechanism.to_owned(),
                }
            });
        }
        Ok(M::wrap(resp.map(|()| (code, creds))))
    }

    /// The identity the server associates with this connection (RFC
    /// 4532), as sent (`"dn:..."` or `"u:..."`); `None` when anonymous. An
    /// identity that is not UTF-8 is an [`Error::Protocol`], as from
    /// [`WhoAmI::parse_response`]. The text differs between servers for
    /// the same identity (389 Directory Server puts a space after `dn:`):
    /// compare identities with [`whoami_identity`](Self::whoami_identity).
    pub async fn whoami(self) -> Result<M::Out<Option<String>>, Error> {
        let resp = self.extended_response(WhoAmI::request()).await?;
        let authz_id =
            WhoAmI::parse_response(resp.value()).map_err(|e| Error::Protocol(e.into()))?;
        Ok(M::wrap(resp.map(|_| authz_id.map(|id| id.to_string()))))
    }

    /// Who am I? (RFC 4532) as a typed identity: [`AuthzId::Dn`] with the
    /// parsed DN, [`AuthzId::User`], or [`AuthzId::Anonymous`]. Compare
    /// identities through it: servers spell them differently (OpenLDAP
    /// `dn:uid=alice,...`, 389 Directory Server `dn: uid=alice,...`), and
    /// [`AuthzId::parse`] reads both. An identity that does not parse is an
    /// [`Error::Protocol`] ([`ProtocolError::AuthzId`](crate::ProtocolError::AuthzId)).
    ///
    /// ```no_run
    /// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio_ldap::AuthzId;
    ///
    /// conn.bind_external(None).await?;
    /// let alice: AuthzId = "dn:uid=alice,ou=people,dc=example,dc=com".parse()?;
    /// let me = conn.whoami_identity().await?;
    /// assert!(me.eq_ignore_case(&alice), "bound as {me}");
    /// # Ok(()) }
    /// ```
    pub async fn whoami_identity(self) -> Result<M::Out<AuthzId>, Error> {
        let resp = self.extended_response(WhoAmI::request()).await?;
        let authz_id =
            WhoAmI::parse_response(resp.value()).map_err(|e| Error::Protocol(e.into()))?;
        let id = match authz_id {
            None => AuthzId::Anonymous,
            Some(id) => AuthzId::parse(&id).map_err(|e| Error::Protocol(e.into()))?,
        };
        Ok(M::wrap(resp.map(|_| id)))
    }

    /// Any extended operation; a non-success result is an error.
    /// StartTLS is refused with [`Error::InvalidInput`]: run it with
    /// [`LdapConn::start_tls`].
    pub async fn extended(
        self,
        request: ExtendedRequest,
    ) -> Result<M::Out<ExtendedResponse>, Error> {
        Ok(M::wrap(self.extended_response(request).await?))
    }

    /// [`extended`](Self::extended), as a [`Response`].
    async fn extended_response(
        self,
        request: ExtendedRequest,
    ) -> Result<Response<ExtendedResponse>, Error> {
        not_starttls(&request)?;
        let msg = self.request(ProtocolOp::ExtendedRequest(request)).await?;
        extended_result(msg)
    }

    /// Password Modify (RFC 3062). Returns the generated password when the
    /// server made one.
    ///
    /// A request that carries a password (old or new) is refused with
    /// [`Error::InsecurePassword`] over an unencrypted connection unless
    /// [`ConnConfig::allow_insecure_password`](crate::ConnConfig::allow_insecure_password)
    /// is set, as for [`bind_simple`](Self::bind_simple); so is one that
    /// asks the server to generate a password, which the answer carries.
    pub async fn password_modify(
        self,
        request: PasswordModify,
    ) -> Result<M::Out<Option<Password>>, Error> {
        if !self.conn.may_send_password() {
            return Err(Error::InsecurePassword);
        }
        let resp = self.extended_response(request.into()).await?;
        let generated =
            PasswordModify::parse_response(resp.value()).map_err(|e| Error::Protocol(e.into()))?;
        Ok(M::wrap(resp.map(|_| generated)))
    }

    /// Adds an entry.
    pub async fn add(self, dn: &str, attributes: Vec<Attribute>) -> Result<M::Out<()>, Error> {
        let op = ProtocolOp::AddRequest(AddRequest {
            entry: dn.into(),
            attributes,
        });
        self.simple(op, "add", "AddResponse").await
    }

    /// Modifies an entry. With a post-read control (RFC 4527) the entry as
    /// it is after the change comes back as a
    /// [`ReadEntry`](crate::controls::ReadEntry) control of the
    /// [`detailed`](WithOptions::detailed) form's [`Response`].
    pub async fn modify(self, dn: &str, changes: Vec<Modification>) -> Result<M::Out<()>, Error> {
        let op = ProtocolOp::ModifyRequest(ModifyRequest {
            object: dn.into(),
            changes,
        });
        self.simple(op, "modify", "ModifyResponse").await
    }

    /// Deletes an entry.
    pub async fn delete(self, dn: &str) -> Result<M::Out<()>, Error> {
        self.simple(ProtocolOp::DelRequest(dn.into()), "delete", "DelResponse")
            .await
    }

    /// Renames and/or moves an entry.
    pub async fn modify_dn(
        self,
        dn: &str,
        new_rdn: &str,
        delete_old_rdn: bool,
        new_superior: Option<&str>,
    ) -> Result<M::Out<()>, Error> {
        let op = ProtocolOp::ModifyDnRequest(ModifyDnRequest {
            entry: dn.into(),
            new_rdn: new_rdn.into(),
            delete_old_rdn,
            new_superior: new_superior.map(Into::into),
        });
        self.simple(op, "modify DN", "ModifyDNResponse").await
    }

    /// Compares an attribute value: `true` for compareTrue, `false` for
    /// compareFalse.
    pub async fn compare(
        self,
        dn: &str,
        attribute: &str,
        value: impl AsRef<[u8]>,
    ) -> Result<M::Out<bool>, Error> {
        let op = ProtocolOp::CompareRequest(CompareRequest {
            entry: dn.into(),
            attribute: attribute.into(),
            value: Bytes::copy_from_slice(value.as_ref()),
        });
        let msg = self.request(op).await?;
        let Some(result) = msg.op.result().cloned() else {
            return Err(unexpected(&msg, "CompareResponse"));
        };
        let value = match result.code {
            ResultCode::COMPARE_TRUE => true,
            ResultCode::COMPARE_FALSE => false,
            _ => return Err(ldap_error("compare", result, msg.controls)),
        };
        Ok(M::wrap(Response::new(value, result, msg.controls)))
    }

    /// Sends `op` with these options and waits for its response.
    async fn request(self, op: ProtocolOp) -> Result<LdapMessage, Error> {
        let OpOptions {
            controls,
            timeout,
            handle,
        } = self.options;
        // With referrals followed, what a referred server needs again.
        let again = (self.conn.referral_policy().is_some() && referral::follows(&op))
            .then(|| (op.clone(), controls.clone()));
        let resp = self
            .conn
            .request(op, controls, timeout, handle.as_ref())
            .await?;
        match again {
            Some((op, controls)) => {
                referral::follow_update(self.conn, op, controls, timeout, resp).await
            }
            None => Ok(resp),
        }
    }

    /// Runs `op`, named `name` in errors, whose `expected` response is only
    /// a result: success or an error.
    async fn simple(
        self,
        op: ProtocolOp,
        name: &'static str,
        expected: &'static str,
    ) -> Result<M::Out<()>, Error> {
        let msg = self.request(op).await?;
        let Some(result) = msg.op.result().cloned() else {
            return Err(unexpected(&msg, expected));
        };
        if result.code != ResultCode::SUCCESS {
            return Err(ldap_error(name, result, msg.controls));
        }
        Ok(M::wrap(Response::new((), result, msg.controls)))
    }

    /// Starts a search; entries stream in as the server sends them. The
    /// stream is the same in both modes: the final result and its controls
    /// are in [`SearchStream::done`] once it has ended.
    pub async fn search(self, request: Search) -> Result<SearchStream, Error> {
        let OpOptions {
            controls,
            timeout,
            handle,
        } = self.options;
        referral::search(self.conn, request, controls, timeout, handle.as_ref()).await
    }

    /// Runs a search and collects everything. [`SearchResults`] has the
    /// final result and its controls; the [`detailed`](WithOptions::detailed)
    /// form has them in its [`Response`] too.
    pub async fn search_all(self, request: Search) -> Result<M::Out<SearchResults>, Error> {
        let results = SearchResults::collect(&mut self.search(request).await?).await?;
        Ok(M::wrap(results.into_response()))
    }
}

/// Every operation of [`WithOptions`], with the default options.
impl LdapConn {
    /// This connection with per-call options: controls and a timeout for
    /// the operation run on what it returns.
    pub fn with(&self, options: OpOptions) -> WithOptions<'_> {
        WithOptions {
            conn: self,
            options,
            mode: PhantomData,
        }
    }

    /// This connection with the default options, its operations returning
    /// their whole [`Response`]: `conn.with(OpOptions::new()).detailed()`.
    pub fn detailed(&self) -> WithOptions<'_, Detailed> {
        self.with(OpOptions::default()).detailed()
    }

    /// Simple bind: [`WithOptions::bind_simple`] with the default options.
    pub async fn bind_simple(&self, dn: &str, password: &str) -> Result<(), Error> {
        self.with(OpOptions::default())
            .bind_simple(dn, password)
            .await
    }

    /// SASL EXTERNAL bind: [`WithOptions::bind_external`] with the default options.
    pub async fn bind_external(&self, authzid: Option<&str>) -> Result<(), Error> {
        self.with(OpOptions::default()).bind_external(authzid).await
    }

    /// A SASL bind step: [`WithOptions::bind_sasl`] with the default options.
    pub async fn bind_sasl(
        &self,
        mechanism: &str,
        credentials: Option<&[u8]>,
    ) -> Result<(ResultCode, Option<Bytes>), Error> {
        self.with(OpOptions::default())
            .bind_sasl(mechanism, credentials)
            .await
    }

    /// Who am I? (RFC 4532): [`WithOptions::whoami`] with the default options.
    pub async fn whoami(&self) -> Result<Option<String>, Error> {
        self.with(OpOptions::default()).whoami().await
    }

    /// Who am I? as a typed identity: [`WithOptions::whoami_identity`] with the default options.
    pub async fn whoami_identity(&self) -> Result<AuthzId, Error> {
        self.with(OpOptions::default()).whoami_identity().await
    }

    /// Starts a search whose items stream in: [`WithOptions::search`] with the default options.
    pub async fn search(&self, request: Search) -> Result<SearchStream, Error> {
        self.with(OpOptions::default()).search(request).await
    }

    /// Runs a search and collects everything: [`WithOptions::search_all`] with the default options.
    pub async fn search_all(&self, request: Search) -> Result<SearchResults, Error> {
        self.with(OpOptions::default()).search_all(request).await
    }

    /// Adds an entry: [`WithOptions::add`] with the default options.
    pub async fn add(&self, dn: &str, attributes: Vec<Attribute>) -> Result<(), Error> {
        self.with(OpOptions::default()).add(dn, attributes).await
    }

    /// Modifies an entry: [`WithOptions::modify`] with the default options.
    pub async fn modify(&self, dn: &str, changes: Vec<Modification>) -> Result<(), Error> {
        self.with(OpOptions::default()).modify(dn, changes).await
    }

    /// Deletes an entry: [`WithOptions::delete`] with the default options.
    pub async fn delete(&self, dn: &str) -> Result<(), Error> {
        self.with(OpOptions::default()).delete(dn).await
    }

    /// Renames or moves an entry: [`WithOptions::modify_dn`] with the default options.
    pub async fn modify_dn(
        &self,
        dn: &str,
        new_rdn: &str,
        delete_old_rdn: bool,
        new_superior: Option<&str>,
    ) -> Result<(), Error> {
        self.with(OpOptions::default())
            .modify_dn(dn, new_rdn, delete_old_rdn, new_superior)
            .await
    }

    /// Compares an attribute value: [`WithOptions::compare`] with the default options.
    pub async fn compare(
        &self,
        dn: &str,
        attribute: &str,
        value: impl AsRef<[u8]>,
    ) -> Result<bool, Error> {
        self.with(OpOptions::default())
            .compare(dn, attribute, value)
            .await
    }

    /// Any extended operation: [`WithOptions::extended`] with the default options.
    pub async fn extended(&self, request: ExtendedRequest) -> Result<ExtendedResponse, Error> {
        self.with(OpOptions::default()).extended(request).await
    }

    /// Password Modify (RFC 3062): [`WithOptions::password_modify`] with the default options.
    pub async fn password_modify(
        &self,
        request: PasswordModify,
    ) -> Result<Option<Password>, Error> {
        self.with(OpOptions::default())
            .password_modify(request)
            .await
    }
}

/// The BindRequest of a SASL step.
pub(super) fn sasl_bind(mechanism: &str, credentials: Option<Password>) -> ProtocolOp {
    ProtocolOp::BindRequest(BindRequest {
        version: 3,
        name: ByteString::new(),
        auth: BindAuth::Sasl {
            mechanism: mechanism.into(),
            credentials,
        },
    })
}

/// The BindResponse `msg`, with the server's SASL credentials: a
/// `success` (or, when `in_progress` may be, a `saslBindInProgress`); any
/// other result is an error.
fn bind_response(
    msg: LdapMessage,
    in_progress: bool,
) -> Result<(Response<()>, Option<Bytes>), Error> {
    let LdapMessage { op, controls, .. } = msg;
    let r = match op {
        ProtocolOp::BindResponse(r) => r,
        op => {
            let msg = LdapMessage {
                id: msg.id,
                op,
                controls,
            };
            return Err(unexpected(&msg, "BindResponse"));
        }
    };
    let code = r.result.code;
    let ok =
        code == ResultCode::SUCCESS || (in_progress && code == ResultCode::SASL_BIND_IN_PROGRESS);
    if !ok {
        return Err(ldap_error("bind", r.result, controls));
    }
    Ok((Response::new((), r.result, controls), r.server_sasl_creds))
}

/// Refuses StartTLS as a plain extended operation: its success must be
/// followed by the TLS handshake, which only
/// [`LdapConn::start_tls`] runs.
pub(super) fn not_starttls(request: &ExtendedRequest) -> Result<(), Error> {
    if request.name == crate::proto::extended::START_TLS {
        return Err(Error::InvalidInput(
            "StartTLS is not run as a plain extended operation: use LdapConn::start_tls or ConnConfig::starttls".into(),
        ));
    }
    Ok(())
}

/// The ExtendedResponse `msg`: a success, or an error.
pub(super) fn extended_result(msg: LdapMessage) -> Result<Response<ExtendedResponse>, Error> {
    let ProtocolOp::ExtendedResponse(r) = msg.op else {
        return Err(unexpected(&msg, "ExtendedResponse"));
    };
    if !r.result.code.is_success() {
        return Err(ldap_error("extended operation", r.result, msg.controls));
    }
    let result = r.result.clone();
    Ok(Response::new(r, result, msg.controls))
}

/// Adds what TLS knows to a failed EXTERNAL bind: no certificate was
/// requested, none was sent, or which one was sent (389 Directory Server
/// answers a trusted certificate it cannot map with a bare
/// invalidCredentials).
fn explain_external_failure(conn: &LdapConn, authzid: Option<&str>, e: Error) -> Error {
    let Error::Ldap(mut le) = e else { return e };
    let hint = match conn.tls_info() {
        None if !conn.url().starts_with("ldapi") => Some(
            "the connection is not using TLS, so there is no client certificate to bind with"
                .to_owned(),
        ),
        Some(info) if info.trusted_cas().is_none() => Some(
            "the server did not ask for a client certificate during the TLS handshake".to_owned(),
        ),
        Some(info) => match info.client_cert_sent() {
            None => Some("no client certificate was sent during the TLS handshake".to_owned()),
            Some(sent) => {
                let cert = format!("{} (issued by {})", sent.subject(), sent.issuer());
                Some(match authzid.filter(|a| !a.is_empty()) {
                    None => format!(
                        "the server refused to map the client certificate sent during the TLS \
                         handshake to an identity: {cert}"
                    ),
                    Some(authzid) => format!(
                        "the server refused the client certificate sent during the TLS \
                         handshake, {cert}, acting as {authzid}"
                    ),
                })
            }
        },
        None => None,
    };
    if let Some(hint) = hint {
        let msg = if le.result.message.is_empty() {
            hint
        } else {
            format!("{} ({hint})", le.result.message)
        };
        le.result.message = msg.into();
    }
    Error::Ldap(le)
}
