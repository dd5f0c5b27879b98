//! One client's session, without IO: each request in, the messages to
//! send out. Binds (simple, SASL EXTERNAL), WhoAmI, StartTLS, password
//! modify and every operation on the [`Directory`].

use std::sync::Mutex;

use bytestring::ByteString;

use crate::proto::controls::{oid, Control};
use crate::proto::dn::{escape_dn_value, Dn, DnValue};
use crate::proto::extended::{
    PasswordModify, StartTls, WhoAmI, PASSWORD_MODIFY, START_TLS, WHO_AM_I,
};
use crate::proto::{
    BindAuth, BindRequest, BindResponse, ExtendedRequest, ExtendedResponse, LdapMessage,
    LdapResult, MessageId, ProtocolOp, ResultCode,
};
use crate::sync::lock;
use crate::testkit::directory::Directory;
use crate::testkit::Error;

/// How SASL EXTERNAL turns a client certificate's subject into an
/// identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ExternalMapping {
    /// The subject DN itself, in the normalized form slapd reports
    /// (`cn=alice,ou=people,dc=example,dc=com`).
    #[default]
    Subject,
    /// A DN made from a template whose `{TYPE}` placeholders take the
    /// value of the most specific RDN of that type in the subject
    /// (lower-cased, RFC 4514-escaped), e.g.
    /// `uid={CN},ou=people,dc=example,dc=com`. A subject without a
    /// placeholder's type cannot bind (invalidCredentials).
    Template(String),
}

impl ExternalMapping {
    /// The identity for `subject`, or why there is none.
    pub fn map(&self, subject: &Dn) -> Result<Dn, String> {
        match self {
            Self::Subject => Ok(subject.clone()),
            Self::Template(template) => {
                let mut out = String::new();
                let mut rest = template.as_str();
                while let Some(open) = rest.find('{') {
                    out.push_str(rest.get(..open).unwrap_or_default());
                    let after = rest.get(open + 1..).unwrap_or_default();
                    let close = after
                        .find('}')
                        .ok_or_else(|| format!("template {template:?}: '{{' without '}}'"))?;
                    let wanted = after.get(..close).unwrap_or_default();
                    let value = subject
                        .rdns
                        .iter()
                        .flat_map(|r| &r.avas)
                        .find(|a| same_type(&a.attr_type, wanted))
                        .and_then(|a| match &a.value {
                            DnValue::String(s) => Some(s.to_lowercase()),
                            DnValue::Ber(_) => None,
                        })
                        .ok_or_else(|| format!("the subject {subject} has no {wanted}"))?;
                    out.push_str(&escape_dn_value(&value));
                    rest = after.get(close + 1..).unwrap_or_default();
                }
                out.push_str(rest);
                Dn::parse(&out).map_err(|e| format!("mapped DN {out:?}: {e}"))
            }
        }
    }
}

fn same_type(a: &str, b: &str) -> bool {
    crate::testkit::directory::canonical_name(a) == crate::testkit::directory::canonical_name(b)
}

/// What the server shares between connections.
pub(crate) struct Shared {
    pub(crate) directory: Mutex<Directory>,
    pub(crate) mapping: ExternalMapping,
    /// Who a local client over ldapi becomes with EXTERNAL.
    pub(crate) ldapi_identity: Option<Dn>,
}

/// What the connection does after a request.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Send these, in order.
    Send(Vec<LdapMessage>),
    /// Send this StartTLS response, then run the TLS handshake.
    StartTls(LdapMessage),
    /// Close the connection (after sending these), for this reason.
    Close(Vec<LdapMessage>, String),
}

/// The authentication state of one connection.
pub(crate) struct Session {
    /// Whether TLS is on.
    pub(crate) tls: bool,
    /// The subject of the client certificate, if one was presented.
    pub(crate) cert_subject: Option<Dn>,
    /// The ldapi peer credentials as slapd names them
    /// (`gidNumber=G+uidNumber=U,cn=peercred,cn=external,cn=auth`).
    pub(crate) peer: Option<Dn>,
    /// The bound identity (`None`: anonymous).
    pub(crate) identity: Option<Dn>,
}

fn result(code: ResultCode, message: &str) -> LdapResult {
    let mut r = LdapResult::new(code);
    r.message = message.into();
    r
}

/// The response to `request` that carries `result`: the kind of response
/// the request expects (a SearchResultDone for a search). `None` for
/// requests without a response.
pub(crate) fn response_with(request: &ProtocolOp, result: LdapResult) -> Option<ProtocolOp> {
    Some(match request {
        ProtocolOp::BindRequest(_) => ProtocolOp::BindResponse(BindResponse {
            result,
            server_sasl_creds: None,
        }),
        ProtocolOp::SearchRequest(_) => ProtocolOp::SearchResultDone(result),
        ProtocolOp::ModifyRequest(_) => ProtocolOp::ModifyResponse(result),
        ProtocolOp::AddRequest(_) => ProtocolOp::AddResponse(result),
        ProtocolOp::DelRequest(_) => ProtocolOp::DelResponse(result),
        ProtocolOp::ModifyDnRequest(_) => ProtocolOp::ModifyDnResponse(result),
        ProtocolOp::CompareRequest(_) => ProtocolOp::CompareResponse(result),
        ProtocolOp::ExtendedRequest(_) => ProtocolOp::ExtendedResponse(ExtendedResponse {
            result,
            name: None,
            value: None,
        }),
        _ => return None,
    })
}

/// `dn:` and the normalized DN, as WhoAmI and the record report it.
pub(crate) fn authz_id(dn: &Dn) -> String {
    format!("dn:{}", crate::testkit::directory::normalize_dn(dn))
}

/// A Notice of Disconnection with `code` and `message`.
pub(crate) fn notice(code: ResultCode, message: &str) -> LdapMessage {
    LdapMessage::new(
        MessageId(0),
        ProtocolOp::ExtendedResponse(ExtendedResponse {
            result: result(code, message),
            name: Some(ByteString::from_static(
                crate::proto::extended::NOTICE_OF_DISCONNECTION,
            )),
            value: None,
        }),
    )
}

impl Session {
    pub(crate) fn new(tls: bool) -> Self {
        Self {
            tls,
            cert_subject: None,
            peer: None,
            identity: None,
        }
    }

    /// Answers one request.
    pub(crate) fn handle(&mut self, shared: &Shared, message: &LdapMessage) -> Reply {
        let id = message.id;
        let one = |op: ProtocolOp| Reply::Send(vec![LdapMessage::new(id, op)]);
        if let Some(c) = message
            .controls
            .iter()
            .find(|c| c.critical && !self.understood(c, &message.op))
        {
            let r = result(
                ResultCode::UNAVAILABLE_CRITICAL_EXTENSION,
                &format!("critical control {} is not supported", c.oid),
            );
            return match response_with(&message.op, r) {
                Some(op) => one(op),
                None => Reply::Send(Vec::new()),
            };
        }
        let who = self.identity.clone();
        let who = who.as_ref();
        match &message.op {
            ProtocolOp::BindRequest(bind) => one(ProtocolOp::BindResponse(BindResponse {
                result: self.bind(shared, bind),
                server_sasl_creds: None,
            })),
            ProtocolOp::UnbindRequest => Reply::Close(Vec::new(), "the client unbound".to_owned()),
            ProtocolOp::AbandonRequest(_) => Reply::Send(Vec::new()),
            ProtocolOp::SearchRequest(search) => {
                let out = lock(&shared.directory).search(search, &message.controls, who);
                let mut messages: Vec<LdapMessage> = out
                    .entries
                    .into_iter()
                    .map(|e| LdapMessage::new(id, ProtocolOp::SearchResultEntry(e)))
                    .collect();
                messages.push(LdapMessage {
                    id,
                    op: ProtocolOp::SearchResultDone(out.result),
                    controls: out.controls,
                });
                Reply::Send(messages)
            }
            ProtocolOp::ModifyRequest(m) => one(ProtocolOp::ModifyResponse(
                lock(&shared.directory).modify(m, who),
            )),
            ProtocolOp::AddRequest(a) => {
                one(ProtocolOp::AddResponse(lock(&shared.directory).add(a, who)))
            }
            ProtocolOp::DelRequest(dn) => one(ProtocolOp::DelResponse(
                lock(&shared.directory).delete(dn, who),
            )),
            ProtocolOp::ModifyDnRequest(m) => one(ProtocolOp::ModifyDnResponse(
                lock(&shared.directory).modify_dn(m, who),
            )),
            ProtocolOp::CompareRequest(c) => one(ProtocolOp::CompareResponse(
                lock(&shared.directory).compare(c, who),
            )),
            ProtocolOp::ExtendedRequest(e) => self.extended(shared, id, e),
            other => Reply::Close(
                vec![notice(
                    ResultCode::PROTOCOL_ERROR,
                    "a client sent a response",
                )],
                format!("the client sent a {}", other.name()),
            ),
        }
    }

    fn understood(&self, control: &Control, op: &ProtocolOp) -> bool {
        control.oid == oid::PAGED_RESULTS && matches!(op, ProtocolOp::SearchRequest(_))
    }

    fn bind(&mut self, shared: &Shared, bind: &BindRequest) -> LdapResult {
        self.identity = None;
        if bind.version != 3 {
            return result(
                ResultCode::PROTOCOL_ERROR,
                "requested protocol version not allowed",
            );
        }
        match &bind.auth {
            BindAuth::Simple(password) => {
                match lock(&shared.directory).bind_simple(&bind.name, password.expose()) {
                    Ok(identity) => {
                        self.identity = identity;
                        LdapResult::new(ResultCode::SUCCESS)
                    }
                    Err(r) => r,
                }
            }
            BindAuth::Sasl {
                mechanism,
                credentials,
            } if mechanism.eq_ignore_ascii_case("EXTERNAL") => {
                let mapped = match (&self.cert_subject, &self.peer) {
                    (Some(subject), _) => shared.mapping.map(subject),
                    (None, Some(peer)) => match &shared.ldapi_identity {
                        Some(dn) => Ok(dn.clone()),
                        None => Ok(peer.clone()),
                    },
                    (None, None) => {
                        return result(
                            ResultCode::AUTH_METHOD_NOT_SUPPORTED,
                            "SASL(-4): no mechanism available: ",
                        )
                    }
                };
                let dn = match mapped {
                    Ok(dn) => dn,
                    Err(why) => return result(ResultCode::INVALID_CREDENTIALS, &why),
                };
                if let Some(authz) = credentials.as_ref().filter(|c| !c.is_empty()) {
                    if authz.expose() != authz_id(&dn).as_bytes() {
                        return result(
                            ResultCode::INSUFFICIENT_ACCESS_RIGHTS,
                            "SASL(-14): authorization failure: ",
                        );
                    }
                }
                self.identity = Some(dn);
                LdapResult::new(ResultCode::SUCCESS)
            }
            BindAuth::Sasl { mechanism, .. } => result(
                ResultCode::AUTH_METHOD_NOT_SUPPORTED,
                &format!("SASL(-4): no mechanism available: {mechanism} is not supported"),
            ),
        }
    }

    fn extended(&mut self, shared: &Shared, id: MessageId, e: &ExtendedRequest) -> Reply {
        let one = |r: ExtendedResponse| {
            Reply::Send(vec![LdapMessage::new(id, ProtocolOp::ExtendedResponse(r))])
        };
        match e.name.as_ref() {
            START_TLS => {
                if self.tls {
                    return one(StartTls::response(result(
                        ResultCode::OPERATIONS_ERROR,
                        "TLS already started",
                    )));
                }
                Reply::StartTls(LdapMessage::new(
                    id,
                    ProtocolOp::ExtendedResponse(StartTls::response(LdapResult::new(
                        ResultCode::SUCCESS,
                    ))),
                ))
            }
            WHO_AM_I => {
                let who = self.identity.as_ref().map(authz_id);
                one(WhoAmI::response(
                    LdapResult::new(ResultCode::SUCCESS),
                    who.as_deref(),
                ))
            }
            PASSWORD_MODIFY => match PasswordModify::from_request(e) {
                Err(err) => one(PasswordModify::response(
                    result(
                        ResultCode::PROTOCOL_ERROR,
                        &format!("invalid request: {err}"),
                    ),
                    None,
                )),
                Ok(request) => {
                    let outcome =
                        lock(&shared.directory).password_modify(&request, self.identity.as_ref());
                    match outcome {
                        Ok(generated) => one(PasswordModify::response(
                            LdapResult::new(ResultCode::SUCCESS),
                            generated.as_ref(),
                        )),
                        Err(r) => one(PasswordModify::response(r, None)),
                    }
                }
            },
            _ => one(ExtendedResponse {
                result: result(ResultCode::PROTOCOL_ERROR, "unsupported extended operation"),
                name: None,
                value: None,
            }),
        }
    }
}

/// Makes [`Error`] from a mapping failure (for the builder's checks).
pub(crate) fn check_template(mapping: &ExternalMapping) -> Result<(), Error> {
    if let ExternalMapping::Template(t) = mapping {
        if t.matches('{').count() != t.matches('}').count() {
            return Err(Error::new(format!("template {t:?}: unbalanced braces")));
        }
    }
    Ok(())
}

/// The next whole message at the front of `buf`, split off; `Ok(None)`
/// when more bytes are needed. An error, said as a person reads it, when
/// the client sends what is not an LDAPMessage or announces one over
/// `max_len` bytes: nothing is buffered for it.
pub(crate) fn next_frame(
    buf: &mut bytes::BytesMut,
    max_len: usize,
) -> Result<Option<bytes::Bytes>, String> {
    // Every LDAPMessage is a SEQUENCE: anything else is refused at once
    // rather than waited on.
    if let Some(first) = buf.first().filter(|b| **b != 0x30) {
        return Err(format!(
            "the client sent an invalid message: expected an LDAPMessage (a SEQUENCE, 0x30), found 0x{first:02x}"
        ));
    }
    match crate::ber::frame_len(buf, max_len) {
        Ok(Some(len)) if len <= buf.len() => Ok(Some(buf.split_to(len).freeze())),
        Ok(_) => Ok(None),
        Err(e) => Err(format!("the client sent an invalid message: {e}")),
    }
}

/// Feeds `input` to a server session as the bytes a client sends, the way
/// a [`TestServer`](super::TestServer) connection reads them (framing,
/// limits, decoding, then each request answered over
/// [`Directory::example`]), without IO. The first byte chooses the
/// session: bit 0 TLS on, bit 1 a client certificate
/// (`CN=alice,OU=people,DC=example,DC=com`), bit 2 an ldapi peer. Checks
/// that every answer encodes to a message that decodes. For the fuzz
/// target `server`; panics only when such a check fails.
#[doc(hidden)]
#[allow(clippy::panic, reason = "a fuzz check: a panic is the finding")]
pub fn fuzz_requests(input: &[u8]) {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let shared = Shared {
        directory: Mutex::new(Directory::example()),
        mapping: ExternalMapping::Template("uid={CN},ou=people,dc=example,dc=com".to_owned()),
        ldapi_identity: None,
    };
    let mut session = Session::new(flags & 1 != 0);
    if flags & 2 != 0 {
        session.cert_subject = Dn::parse("CN=alice,OU=people,DC=example,DC=com").ok();
    }
    if flags & 4 != 0 {
        session.peer = Dn::parse("gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth").ok();
    }
    let limits = crate::ber::Limits {
        max_len: 1 << 20,
        max_depth: 64,
    };
    let mut buf = bytes::BytesMut::from(rest);
    loop {
        let Ok(Some(frame)) = next_frame(&mut buf, limits.max_len) else {
            return;
        };
        let Ok(message) = LdapMessage::decode_with_limits(frame, limits) else {
            return;
        };
        let (messages, done) = match session.handle(&shared, &message) {
            Reply::Send(m) => (m, false),
            Reply::StartTls(m) => {
                session.tls = true;
                (vec![m], false)
            }
            Reply::Close(m, _) => (m, true),
        };
        for m in messages {
            let bytes = m.to_vec();
            if let Err(e) = LdapMessage::decode(bytes::Bytes::from(bytes)) {
                // Only the fuzz target calls this: a server answer that does
                // not decode is the bug it looks for, and the panic reports it.
                panic!("the server's answer {m:?} does not decode: {e}");
            }
        }
        if done {
            return;
        }
    }
}
