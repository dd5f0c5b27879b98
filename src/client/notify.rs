//! [`Notifications`]: the unsolicited notifications of a connection (RFC
//! 4511 §4.4), as a stream.

use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use super::handle::LdapConn;
use crate::driver::Note;
use crate::proto::{Control, ExtendedResponse};

/// How many notifications a [`Notifications`] stream holds that its
/// reader has not taken yet; more are missed
/// ([`Notifications::missed`]).
pub const NOTIFICATION_BUFFER: usize = 64;

/// An unsolicited notification (RFC 4511 §4.4): an ExtendedResponse the
/// server sent with message ID 0, not in answer to a request, with the
/// message's controls.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The notification: its `responseName` says what it is, its result
    /// and `responseValue` what it says.
    pub response: ExtendedResponse,
    /// The message's controls.
    pub controls: Vec<Control>,
}

/// The unsolicited notifications of a connection, from when it was made
/// ([`LdapConn::notifications`]), as a [`futures_core::Stream`] or with
/// [`next`](Self::next). It ends when the connection closes.
///
/// Each stream has room for [`NOTIFICATION_BUFFER`] notifications its
/// reader has not taken yet; the connection never waits for a reader, so
/// a notification that finds the buffer full is not delivered to this
/// stream, and counted in [`missed`](Self::missed). A notification that
/// finds no stream at all (none made, or all dropped) is logged (at WARN,
/// at most once a minute, the others at TRACE) and dropped. A Notice of
/// Disconnection is not delivered here: it ends the connection, and every
/// operation with [`Error::Disconnected`](crate::Error::Disconnected).
pub struct Notifications {
    rx: Option<mpsc::Receiver<Note>>,
    missed: Arc<AtomicU64>,
}

impl fmt::Debug for Notifications {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifications")
            .field("missed", &self.missed())
            .finish_non_exhaustive()
    }
}

impl Notifications {
    /// The next notification; `None` once the connection is closed.
    pub async fn next(&mut self) -> Option<Notification> {
        std::future::poll_fn(|cx| self.poll_notification(cx)).await
    }

    /// How many notifications this stream missed because its buffer was
    /// full.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }

    fn poll_notification(&mut self, cx: &mut Context<'_>) -> Poll<Option<Notification>> {
        let Some(rx) = self.rx.as_mut() else {
            return Poll::Ready(None);
        };
        rx.poll_recv(cx)
            .map(|note| note.map(|(response, controls)| Notification { response, controls }))
    }
}

impl futures_core::Stream for Notifications {
    type Item = Notification;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Notification>> {
        self.get_mut().poll_notification(cx)
    }
}

impl LdapConn {
    /// A stream of the unsolicited notifications (RFC 4511 §4.4) the
    /// server sends from now on, other than the Notice of Disconnection;
    /// see [`Notifications`] for its buffer and what happens when nobody
    /// reads. Each call makes a stream of its own, and every stream gets
    /// every notification. On a closed connection the stream ends at once.
    ///
    /// ```no_run
    /// # async fn f(conn: tokio_ldap::LdapConn) {
    /// let mut notes = conn.notifications();
    /// tokio::spawn(async move {
    ///     while let Some(note) = notes.next().await {
    ///         let name = note.response.name.as_deref().unwrap_or("(no name)");
    ///         eprintln!("the server says {name}: {}", note.response.result.code);
    ///     }
    /// });
    /// # }
    /// ```
    pub fn notifications(&self) -> Notifications {
        match self.notifier().subscribe(NOTIFICATION_BUFFER) {
            Some((rx, missed)) => Notifications {
                rx: Some(rx),
                missed,
            },
            None => Notifications {
                rx: None,
                missed: Arc::default(),
            },
        }
    }
}
