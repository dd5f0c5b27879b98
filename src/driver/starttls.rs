//! StartTLS on a running connection (RFC 4511 §4.14): the response, the
//! TLS handshake over the same socket, and the reply to the caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::conn::Connection;
use crate::driver::io::Io;
use crate::driver::router::StartTlsReply;
use crate::driver::shared::Shared;
use crate::proto::extended::StartTls;
use crate::proto::{LdapMessage, ProtocolOp};
use crate::tls::{PreparedTls, TlsMode};
use crate::transport::{self, PhaseCell, Secured};
use crate::{Error, LdapError, Phase, ProtocolError};

/// Everything needed to run StartTLS on this connection.
pub(crate) struct StartTlsContext {
    pub(crate) tls: Arc<PreparedTls>,
    pub(crate) url: String,
    pub(crate) host: String,
    /// Limit on the TLS handshake after the StartTLS response (the
    /// connect timeout): a server that accepts StartTLS and then says
    /// nothing must not hold the connection forever.
    pub(crate) handshake_timeout: Option<Duration>,
}

type UpgradeFut = Pin<Box<dyn Future<Output = Result<Secured, Error>> + Send>>;

/// The StartTLS of this connection: what it needs, the handshake in
/// progress and the caller waiting for it.
pub(super) struct Upgrade {
    ctx: Option<StartTlsContext>,
    handshake: Option<UpgradeFut>,
    /// The caller of a StartTLS whose response was a success, until the
    /// handshake is over.
    reply: Option<StartTlsReply>,
    /// The server answered StartTLS with a success in a malformed
    /// response: no handshake follows it.
    malformed: bool,
}

impl Upgrade {
    pub(super) fn new(ctx: Option<StartTlsContext>) -> Self {
        Self {
            ctx,
            handshake: None,
            reply: None,
            malformed: false,
        }
    }

    /// Whether the TLS handshake is running: nothing is written or read
    /// meanwhile, except by the handshake.
    pub(super) fn in_progress(&self) -> bool {
        self.handshake.is_some()
    }

    /// Sets what StartTLS needs, when the connect did not (a connection
    /// made without [`ConnConfig::starttls`](crate::ConnConfig::starttls)).
    pub(super) fn set_context(&mut self, ctx: StartTlsContext) {
        if self.ctx.is_none() {
            self.ctx = Some(ctx);
        }
    }

    /// The StartTLS operation ended with `res`: a success waits for the
    /// handshake, anything else goes back to the caller.
    pub(super) fn response(
        &mut self,
        reply: StartTlsReply,
        res: Result<LdapMessage, Error>,
        machine: &mut Connection,
    ) {
        let msg = match res {
            Ok(msg) => msg,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        let err = match msg.op {
            ProtocolOp::ExtendedResponse(r) if r.result.code.is_success() => {
                match StartTls::parse_response(&r) {
                    Ok(()) => {
                        self.reply = Some(reply);
                        return;
                    }
                    Err(e) => {
                        // A success, malformed (RFC 4511 §4.14.2): the
                        // server now expects a TLS handshake, which is not
                        // going to happen. The connection fails.
                        let err = Error::Protocol(ProtocolError::Decode(e));
                        self.malformed = true;
                        machine.handle_close(err.clone());
                        err
                    }
                }
            }
            ProtocolOp::ExtendedResponse(r) => Error::Ldap(Box::new(LdapError {
                operation: "StartTLS",
                result: r.result,
                controls: msg.controls,
            })),
            ref other => Error::Protocol(ProtocolError::UnexpectedResponse {
                id: msg.id,
                expected: "ExtendedResponse",
                got: other.name(),
            }),
        };
        let _ = reply.send(Err(err));
    }

    /// The machine saw a successful StartTLS response: starts the TLS
    /// handshake over the socket.
    pub(super) fn begin(&mut self, io: &mut Io, machine: &mut Connection, shared: &Shared) {
        if std::mem::take(&mut self.malformed) {
            // The connection failed on the response already.
            return;
        }
        let reply = self.reply.take();
        let fail = |machine: &mut Connection, e: Error, reply: Option<StartTlsReply>| {
            if let Some(r) = reply {
                let _ = r.send(Err(e.clone()));
            }
            machine.handle_close(e);
        };
        if io.unread() > 0 {
            // RFC 4511 §4.14.2: the TLS handshake begins right after the
            // StartTLS response. Bytes in between came in clear text, from
            // the server or from someone on the path, and must not be
            // mistaken for part of the protected stream.
            let err = ProtocolError::DataAfterStartTls { len: io.unread() };
            return fail(machine, Error::Protocol(err), reply);
        }
        let Some(ctx) = self.ctx.as_ref() else {
            return fail(
                machine,
                Error::Config("StartTLS is not configured".into()),
                reply,
            );
        };
        let Some(tcp) = io.take_tcp() else {
            return fail(
                machine,
                Error::InvalidInput("TLS is already active".into()),
                reply,
            );
        };
        let (tls, url, host) = (ctx.tls.clone(), ctx.url.clone(), ctx.host.clone());
        let limit = ctx.handshake_timeout;
        self.reply = reply;
        shared.phase.set(Phase::TlsHandshake);
        self.handshake = Some(Box::pin(async move {
            let cell = PhaseCell::default();
            let handshake = transport::secure(tcp, &tls, &url, &host, TlsMode::StartTls);
            transport::with_timeout(limit, &cell, Phase::TlsHandshake, handshake).await
        }));
    }

    /// Drives the handshake; when it is over, switches the transport to
    /// TLS (or fails the connection) and answers the caller.
    pub(super) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut Io,
        machine: &mut Connection,
        shared: &Shared,
    ) -> bool {
        let Some(fut) = self.handshake.as_mut() else {
            return false;
        };
        let cancelled = match self.reply.as_mut() {
            Some(reply) => reply.poll_closed(cx).is_ready(),
            None => true,
        };
        if cancelled {
            // Nobody waits for the upgrade any more (a connect that timed
            // out, a dropped `start_tls`): stop the handshake, which drops
            // the socket, rather than wait for a server that may never
            // answer.
            self.handshake = None;
            self.reply = None;
            machine.handle_close(Error::Closed(
                "StartTLS was cancelled during the TLS handshake, so the connection was closed"
                    .into(),
            ));
            return true;
        }
        let Poll::Ready(res) = fut.as_mut().poll(cx) else {
            return false;
        };
        self.handshake = None;
        let reply = self.reply.take();
        match res {
            Ok(secured) => {
                io.secured(secured.stream, secured.record);
                *crate::sync::lock(&shared.tls_info) = Some(secured.info.clone());
                shared.secure.store(true, Ordering::Release);
                machine.tls_established();
                if let Some(r) = reply {
                    let _ = r.send(Ok(secured.info));
                }
            }
            Err(e) => {
                if let Some(r) = reply {
                    let _ = r.send(Err(e.clone()));
                }
                machine.handle_close(e);
            }
        }
        true
    }
}
