//! Persistent search (draft-ietf-ldapext-psearch) as a stream:
//! [`PersistentSearchStream`] and its [`ChangedEntry`] items.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::config::TimeoutSetting;
use super::handle::LdapConn;
use super::search::{Search, SearchItem, SearchStream};
use crate::proto::controls::{EntryChangeNotification, PersistentSearch};
use crate::proto::{ByteString, SearchResultEntry};
use crate::{Error, ProtocolError};

/// One item of a [`PersistentSearchStream`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum PersistentSearchEvent {
    /// An entry: one that matched when the search started (without
    /// `change`, when [`PersistentSearch::changes_only`] is off), or one
    /// that changed.
    Entry(ChangedEntry),
    /// A continuation reference.
    Reference(Vec<ByteString>),
}

/// An entry of a persistent search, and how it changed.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ChangedEntry {
    /// The entry as it is now (for a delete: as it was).
    pub entry: SearchResultEntry,
    /// The entry change notification, when the request asked for them
    /// ([`PersistentSearch::return_ecs`]) and the entry changed.
    pub change: Option<EntryChangeNotification>,
}

/// The entries of a persistent search, as a [`futures_core::Stream`].
///
/// Runs without the connection's default operation timeout and is
/// abandoned when dropped. It ends when the server ends the search with
/// success; the connection closing or a refusal ends it with an error,
/// never silently. Servers that do not implement persistent search
/// (OpenLDAP's slapd among them) refuse the critical control with
/// `unavailableCriticalExtension`, the first item.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use tokio_ldap::{PersistentSearchEvent, Search};
/// use tokio_ldap::proto::controls::{ChangeTypes, PersistentSearch};
///
/// let mut changes = conn
///     .persistent_search(Search::new("dc=example,dc=com"), PersistentSearch::new(ChangeTypes::ALL))
///     .await?;
/// while let Some(PersistentSearchEvent::Entry(e)) = changes.next_event().await? {
///     println!("{:?}: {}", e.change.map(|c| c.change_type), e.entry.dn);
/// }
/// # Ok(()) }
/// ```
pub struct PersistentSearchStream {
    search: SearchStream,
    finished: bool,
}

impl fmt::Debug for PersistentSearchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistentSearchStream")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl PersistentSearchStream {
    /// The next item, `Ok(None)` at the end.
    pub async fn next_event(&mut self) -> Result<Option<PersistentSearchEvent>, Error> {
        std::future::poll_fn(|cx| self.poll_event(cx))
            .await
            .transpose()
    }

    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<PersistentSearchEvent, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        let out = match futures_core::Stream::poll_next(Pin::new(&mut self.search), cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => None,
            Poll::Ready(Some(Ok(item))) => Some(self.event(item)),
            Poll::Ready(Some(Err(e))) => Some(Err(e)),
        };
        if !matches!(out, Some(Ok(_))) {
            self.finished = true;
        }
        Poll::Ready(out)
    }

    fn event(&self, item: SearchItem) -> Result<PersistentSearchEvent, Error> {
        match item {
            SearchItem::Entry(entry) => {
                let change = self
                    .search
                    .controls()
                    .iter()
                    .find(|c| c.oid == EntryChangeNotification::OID)
                    .map(EntryChangeNotification::from_control)
                    .transpose()
                    .map_err(|e| {
                        Error::Protocol(ProtocolError::ChangeFeed(format!(
                            "a persistent search got {} with a malformed entry change notification ({e})",
                            entry.dn
                        )))
                    })?;
                Ok(PersistentSearchEvent::Entry(ChangedEntry { entry, change }))
            }
            SearchItem::Reference(uris) => Ok(PersistentSearchEvent::Reference(uris)),
            SearchItem::Intermediate(ir) => Err(Error::Protocol(ProtocolError::ChangeFeed(
                format!(
                    "a persistent search got an intermediate response ({}), which the protocol does not have",
                    ir.name.as_deref().unwrap_or("without a name")
                ),
            ))),
        }
    }
}

impl futures_core::Stream for PersistentSearchStream {
    type Item = Result<PersistentSearchEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx)
    }
}

impl LdapConn {
    /// Starts a persistent search: `search` with the `control`, and
    /// streams the entries as they change; see [`PersistentSearchStream`].
    /// Exempt from the connection's default operation timeout.
    pub async fn persistent_search(
        &self,
        search: Search,
        control: PersistentSearch,
    ) -> Result<PersistentSearchStream, Error> {
        let search = SearchStream::start(
            self,
            search,
            vec![control.to_control()],
            TimeoutSetting::Never,
            None,
        )
        .await?;
        Ok(PersistentSearchStream {
            search,
            finished: false,
        })
    }
}
