//! Content synchronization (RFC 4533) as a stream: [`SyncSearch`], the
//! request, and [`SyncStream`], the [`SyncEvent`]s it brings.
//!
//! Built on the search stream: each entry's Sync State control, the Sync
//! Info intermediate messages and the Sync Done control on the final
//! result become typed events, and the latest cookie is kept for a later
//! resumption.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::config::TimeoutSetting;
use super::handle::LdapConn;
use super::search::{Search, SearchItem, SearchStream};
use crate::proto::controls::{
    SyncDone, SyncInfo, SyncMode, SyncRequest, SyncState, SyncStateKind, SyncUuid,
};
use crate::proto::{ByteString, Control, SearchResultEntry};
use crate::{Error, ProtocolError};

/// A content synchronization search (RFC 4533): a [`Search`] with a mode,
/// and the cookie to resume from.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn, saved: Option<bytes::Bytes>) -> Result<(), tokio_ldap::Error> {
/// use tokio_ldap::{Search, SyncEvent, SyncSearch};
/// use tokio_ldap::proto::controls::SyncMode;
///
/// let mut request = SyncSearch::new(
///     Search::new("ou=people,dc=example,dc=com").filter("(objectClass=inetOrgPerson)"),
///     SyncMode::RefreshAndPersist,
/// );
/// if let Some(cookie) = saved {
///     request = request.cookie(cookie); // only the changes since
/// }
/// let mut feed = conn.sync(request).await?;
/// while let Some(event) = feed.next_event().await? {
///     match event {
///         SyncEvent::Added { entry, .. } | SyncEvent::Modified { entry, .. } => {
///             println!("now: {}", entry.dn)
///         }
///         SyncEvent::Deleted { dn, .. } => println!("gone: {dn}"),
///         _ => {}
///     }
///     // feed.cookie() is where to resume from after a restart.
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SyncSearch {
    search: Search,
    request: SyncRequest,
    controls: Vec<Control>,
}

impl SyncSearch {
    /// `search` in `mode`, from the beginning (no cookie).
    pub fn new(search: Search, mode: SyncMode) -> Self {
        Self {
            search,
            request: SyncRequest::new(mode, None),
            controls: Vec::new(),
        }
    }

    /// Resumes from `cookie` (from [`SyncStream::cookie`] of an earlier
    /// stream): the server sends only what changed since.
    pub fn cookie(mut self, cookie: impl Into<Bytes>) -> Self {
        self.request.cookie = Some(cookie.into());
        self
    }

    /// Sets the reload hint: the client would rather receive the whole
    /// content again than the deletions.
    pub fn reload_hint(mut self, on: bool) -> Self {
        self.request.reload_hint = on;
        self
    }

    /// Adds another control to the search (the Sync Request is added
    /// already).
    pub fn control(mut self, c: impl Into<Control>) -> Self {
        self.controls.push(c.into());
        self
    }
}

/// One event of a [`SyncStream`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum SyncEvent {
    /// An entry entered the content (Sync State `add`).
    Added {
        /// Its entryUUID.
        uuid: SyncUuid,
        /// The entry, with the attributes asked for.
        entry: SearchResultEntry,
    },
    /// An entry of the content changed (Sync State `modify`); a modify DN
    /// comes this way too, with the new DN.
    Modified {
        /// Its entryUUID.
        uuid: SyncUuid,
        /// The entry as it is now.
        entry: SearchResultEntry,
    },
    /// An entry left the content (Sync State `delete`).
    Deleted {
        /// Its entryUUID.
        uuid: SyncUuid,
        /// Its DN (the server sends no attributes).
        dn: ByteString,
    },
    /// An entry is unchanged and still in the content (Sync State
    /// `present`, during a refresh).
    Present {
        /// Its entryUUID.
        uuid: SyncUuid,
        /// Its DN.
        dn: ByteString,
    },
    /// A continuation reference with its Sync State.
    Reference {
        /// The state.
        state: SyncStateKind,
        /// The reference's entryUUID.
        uuid: SyncUuid,
        /// Its URIs.
        uris: Vec<ByteString>,
    },
    /// Many entries at once by their entryUUID (Sync Info `syncIdSet`):
    /// deleted if `deleted`, otherwise present.
    IdSet {
        /// The entries.
        uuids: Vec<SyncUuid>,
        /// Whether they were deleted (`refreshDeletes`).
        deleted: bool,
    },
    /// The present phase of a refresh ended and the delete phase follows
    /// (Sync Info `refreshPresent` or `refreshDelete` with `refreshDone`
    /// FALSE).
    RefreshPhaseDone {
        /// Whether the phase that ended sent deletions.
        refresh_deletes: bool,
    },
    /// The refresh is complete: in `refreshOnly` mode the last event; in
    /// `refreshAndPersist` mode the changes follow as they happen.
    RefreshDone {
        /// Whether the refresh sent deletions (entries not mentioned were
        /// not deleted) or the present entries (entries not mentioned
        /// were).
        refresh_deletes: bool,
    },
    /// The server moved the state on to this cookie (Sync Info
    /// `newcookie`).
    Cookie(Bytes),
}

/// The events of a sync search (RFC 4533), as a [`futures_core::Stream`].
///
/// The search runs without the connection's default operation timeout
/// (it is meant to stay open) and is abandoned when the stream is
/// dropped. In `refreshOnly` mode it ends (`None`) after
/// [`SyncEvent::RefreshDone`]; in `refreshAndPersist` mode it runs until
/// dropped. Anything else ends it with an error, never silently: the
/// connection closing ([`Error::Closed`] or the error that closed it), the
/// server ending the search (e.g. `e-syncRefreshRequired`, 4096, when the
/// cookie is too old: start again without it), or a message that breaks
/// the protocol ([`Error::Protocol`]). After an error the stream yields
/// nothing more; [`cookie`](SyncStream::cookie) still has the last cookie
/// to resume from, and dropping the stream abandons the search if the
/// server has not ended it.
pub struct SyncStream {
    search: SearchStream,
    cookie: Option<Bytes>,
    finished: bool,
}

impl fmt::Debug for SyncStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncStream")
            .field("cookie", &self.cookie)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl SyncStream {
    /// The next event, `Ok(None)` at the end.
    pub async fn next_event(&mut self) -> Result<Option<SyncEvent>, Error> {
        std::future::poll_fn(|cx| self.poll_event(cx))
            .await
            .transpose()
    }

    /// The latest cookie the server sent (with an entry, a Sync Info
    /// message or the Sync Done), or the one the stream resumed from:
    /// save it to resume later with [`SyncSearch::cookie`].
    pub fn cookie(&self) -> Option<&Bytes> {
        self.cookie.as_ref()
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<SyncEvent, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        let out = match futures_core::Stream::poll_next(Pin::new(&mut self.search), cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Some(Ok(item))) => self.event(item),
            Poll::Ready(Some(Err(e))) => Err(e),
            Poll::Ready(None) => self.done(),
        };
        if out.is_err() {
            self.finished = true;
        }
        Poll::Ready(Some(out))
    }

    /// The event of one search item.
    fn event(&mut self, item: SearchItem) -> Result<SyncEvent, Error> {
        match item {
            SearchItem::Entry(entry) => {
                let state = self.state("an entry")?;
                let uuid = state.entry_uuid;
                Ok(match state.state {
                    SyncStateKind::Add => SyncEvent::Added { uuid, entry },
                    SyncStateKind::Modify => SyncEvent::Modified { uuid, entry },
                    SyncStateKind::Delete => SyncEvent::Deleted { uuid, dn: entry.dn },
                    SyncStateKind::Present => SyncEvent::Present { uuid, dn: entry.dn },
                })
            }
            SearchItem::Reference(uris) => {
                let state = self.state("a continuation reference")?;
                Ok(SyncEvent::Reference {
                    state: state.state,
                    uuid: state.entry_uuid,
                    uris,
                })
            }
            SearchItem::Intermediate(ir) => {
                let info = SyncInfo::from_intermediate(&ir).map_err(|e| {
                    Error::Protocol(ProtocolError::ChangeFeed(format!(
                        "a sync search got an intermediate response that is not a valid Sync Info message ({e})"
                    )))
                })?;
                if let Some(c) = info.cookie() {
                    self.cookie = Some(c.clone());
                }
                Ok(match info {
                    SyncInfo::NewCookie(c) => SyncEvent::Cookie(c),
                    SyncInfo::RefreshDelete { refresh_done, .. } => {
                        refresh_event(refresh_done, true)
                    }
                    SyncInfo::RefreshPresent { refresh_done, .. } => {
                        refresh_event(refresh_done, false)
                    }
                    SyncInfo::SyncIdSet {
                        refresh_deletes,
                        uuids,
                        ..
                    } => SyncEvent::IdSet {
                        uuids,
                        deleted: refresh_deletes,
                    },
                })
            }
        }
    }

    /// The Sync State control of the item returned last (`what`), whose
    /// cookie becomes the current one.
    fn state(&mut self, what: &str) -> Result<SyncState, Error> {
        let control = self
            .search
            .controls()
            .iter()
            .find(|c| c.oid == SyncState::OID)
            .ok_or_else(|| {
                Error::Protocol(ProtocolError::ChangeFeed(format!(
                    "a sync search got {what} without a Sync State control"
                )))
            })?;
        let state = SyncState::from_control(control).map_err(|e| {
            Error::Protocol(ProtocolError::ChangeFeed(format!(
                "a sync search got {what} with a malformed Sync State control ({e})"
            )))
        })?;
        if let Some(c) = &state.cookie {
            self.cookie = Some(c.clone());
        }
        Ok(state)
    }

    /// The search ended with success: its Sync Done control is the last
    /// event.
    fn done(&mut self) -> Result<SyncEvent, Error> {
        self.finished = true;
        let control = self
            .search
            .done()
            .and_then(|d| d.controls.iter().find(|c| c.oid == SyncDone::OID))
            .ok_or_else(|| {
                Error::Protocol(ProtocolError::ChangeFeed(
                    "the server ended the sync search without a Sync Done control".into(),
                ))
            })?;
        let done = SyncDone::from_control(control).map_err(|e| {
            Error::Protocol(ProtocolError::ChangeFeed(format!(
                "the server ended the sync search with a malformed Sync Done control ({e})"
            )))
        })?;
        if let Some(c) = done.cookie {
            self.cookie = Some(c);
        }
        Ok(SyncEvent::RefreshDone {
            refresh_deletes: done.refresh_deletes,
        })
    }
}

fn refresh_event(refresh_done: bool, refresh_deletes: bool) -> SyncEvent {
    if refresh_done {
        SyncEvent::RefreshDone { refresh_deletes }
    } else {
        SyncEvent::RefreshPhaseDone { refresh_deletes }
    }
}

impl futures_core::Stream for SyncStream {
    type Item = Result<SyncEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx)
    }
}

impl LdapConn {
    /// Starts a content synchronization search (RFC 4533) and streams its
    /// events; see [`SyncStream`]. The search is exempt from the
    /// connection's default operation timeout.
    pub async fn sync(&self, request: SyncSearch) -> Result<SyncStream, Error> {
        let SyncSearch {
            search,
            request,
            mut controls,
        } = request;
        let cookie = request.cookie.clone();
        controls.insert(0, request.to_control());
        let search =
            SearchStream::start(self, search, controls, TimeoutSetting::Never, None).await?;
        Ok(SyncStream {
            search,
            cookie,
            finished: false,
        })
    }
}
