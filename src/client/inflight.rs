//! Ending an operation in flight from another task: abandon (RFC 4511
//! §4.11) and Cancel (RFC 3909), by [`OpHandle`].

use tokio::sync::oneshot;

use super::handle::LdapConn;
use super::op_handle::OpHandle;
use super::options::{OpOptions, WithOptions};
use super::response::{ldap_error, unexpected, Mode, Response};
use crate::driver::Command;
use crate::proto::extended::Cancel;
use crate::proto::{MessageId, ProtocolOp, ResultCode};
use crate::Error;

/// How a [`cancel`](WithOptions::cancel) ended: the server's answer to
/// the Cancel (RFC 3909 §2.2), or that there was nothing to cancel.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// `success`: the operation was cancelled; it ended with the result
    /// `canceled` (118), which its future returned as an
    /// [`Error::Ldap`].
    Canceled,
    /// `noSuchOperation` (119): the server knows no such operation (it
    /// had ended before the Cancel arrived).
    NoSuchOperation,
    /// `tooLate` (120): the operation could no longer be cancelled; it
    /// ends as it would have.
    TooLate,
    /// `cannotCancel` (121): the operation cannot be cancelled (a bind,
    /// an unbind, an abandon, StartTLS or Cancel itself, RFC 3909 §2).
    CannotCancel,
    /// Nothing was sent: the handle names no operation in flight on this
    /// connection (none was started with it, or it is over).
    NotInFlight,
}

impl CancelOutcome {
    /// The outcome a Cancel's result `code` means, if it is one of the
    /// four RFC 3909 gives it.
    fn of(code: ResultCode) -> Option<Self> {
        Some(match code {
            ResultCode::SUCCESS => Self::Canceled,
            ResultCode::NO_SUCH_OPERATION => Self::NoSuchOperation,
            ResultCode::TOO_LATE => Self::TooLate,
            ResultCode::CANNOT_CANCEL => Self::CannotCancel,
            _ => return None,
        })
    }
}

impl<M: Mode> WithOptions<'_, M> {
    /// Cancels the operation `op` names (RFC 3909), with these options
    /// for the Cancel request, and waits for the server's answer.
    ///
    /// Unlike [`LdapConn::abandon`], the server answers both: the cancelled
    /// operation ends with the result `canceled` (118), an
    /// [`Error::Ldap`] from its future, and the Cancel with
    /// [`CancelOutcome::Canceled`]; or the Cancel says why it could not
    /// ([`NoSuchOperation`](CancelOutcome::NoSuchOperation),
    /// [`TooLate`](CancelOutcome::TooLate),
    /// [`CannotCancel`](CancelOutcome::CannotCancel)) and the operation
    /// goes on. Any other result (a server without Cancel answers
    /// `protocolError` or `unwillingToPerform`) is an [`Error::Ldap`]
    /// named `"cancel"`. When `op` names no operation in flight nothing is
    /// sent: [`CancelOutcome::NotInFlight`].
    pub async fn cancel(self, op: &OpHandle) -> Result<M::Out<CancelOutcome>, Error> {
        let conn = self.conn;
        let Some(id) = message_id(conn, op).await? else {
            let nothing = crate::proto::LdapResult::new(ResultCode::SUCCESS);
            return Ok(M::wrap(Response::new(
                CancelOutcome::NotInFlight,
                nothing,
                Vec::new(),
            )));
        };
        let OpOptions {
            controls, timeout, ..
        } = self.options;
        let request = ProtocolOp::ExtendedRequest(Cancel::new(id).into());
        let msg = conn.request(request, controls, timeout, None).await?;
        let ProtocolOp::ExtendedResponse(r) = msg.op else {
            return Err(unexpected(&msg, "ExtendedResponse"));
        };
        let Some(outcome) = CancelOutcome::of(r.result.code) else {
            return Err(ldap_error("cancel", r.result, msg.controls));
        };
        Ok(M::wrap(Response::new(outcome, r.result, msg.controls)))
    }
}

/// The message ID of the operation `op` names, while it is in flight.
async fn message_id(conn: &LdapConn, op: &OpHandle) -> Result<Option<MessageId>, Error> {
    let Some(token) = op.token() else {
        return Ok(None);
    };
    let (reply, rx) = oneshot::channel();
    conn.command(Command::IdOf { token, reply }).await?;
    rx.await.map_err(|_| conn.closed_error())
}

impl LdapConn {
    /// Cancels the operation `op` names (RFC 3909):
    /// [`WithOptions::cancel`] with the default options.
    pub async fn cancel(&self, op: &OpHandle) -> Result<CancelOutcome, Error> {
        self.with(OpOptions::default()).cancel(op).await
    }

    /// Abandons the operation `op` names (RFC 4511 §4.11): an
    /// AbandonRequest goes to the server, which answers nothing, and the
    /// operation's future (or search stream) ends at once with
    /// [`Error::Abandoned`]; whatever the server still sends for it is
    /// dropped. Returns whether an operation was in flight (`false`: none
    /// was started with the handle, or it is over; nothing is sent).
    ///
    /// Dropping an operation's future abandons it too; this is for a task
    /// that does not hold that future. A bind or StartTLS cannot be
    /// abandoned: as when its future is dropped, the connection closes
    /// (see [`WithOptions::bind_simple`]).
    pub async fn abandon(&self, op: &OpHandle) -> Result<bool, Error> {
        let Some(token) = op.token() else {
            return Ok(false);
        };
        let (reply, rx) = oneshot::channel();
        let error = Error::Abandoned;
        self.command(Command::Abandon {
            token,
            error,
            reply,
        })
        .await?;
        rx.await.map_err(|_| self.closed_error())
    }
}
