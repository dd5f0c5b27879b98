//! Paged searches (RFC 2696): [`PagedSearch`], and the operations that run
//! a search page by page.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::handle::LdapConn;
use super::options::{OpOptions, WithOptions};
use super::response::Mode;
use super::search::{Items, Search, SearchDone, SearchItem, SearchResults, SearchStream};
use crate::proto::controls::PagedResults;
use crate::proto::Control;
use crate::{Error, ProtocolError};

/// How many cookies of pages without entries are remembered to find one
/// that repeats (cleared by every page that brings an entry): a cycle
/// longer than this is still ended by the search's timeout.
const COOKIES_REMEMBERED: usize = 64;

/// A search run page by page with the paged-results control (RFC 2696),
/// transparently: items come as from one search, and each next page is
/// requested when the previous one is consumed, so at most one page is in
/// flight. Made by [`WithOptions::search_pages`].
///
/// Two guards keep a misbehaving server from making it run forever:
///
/// - **The timeout bounds the whole search**, not each page: the options'
///   timeout (else the connection's) starts with the first page, each page
///   is sent with what is left of it (and abandoned on the server when it
///   runs out), and the search fails with [`Error::Timeout`] of the whole
///   duration once it has passed. Without any timeout, a server that keeps
///   sending pages with new cookies keeps the search going, as RFC 2696
///   allows: set one (or a size limit) against servers you do not trust.
/// - **A cookie that repeats without progress** ends the search with
///   [`ProtocolError::PagedCookieRepeated`]: a page that brought no entry
///   or reference and a cookie already sent since the last page that did.
///   (389-DS keeps one cookie for all the pages of a search; its pages
///   bring entries, so that is not a repeat.)
///
/// After an error, [`next_item`](Self::next_item) returns `Ok(None)`.
#[derive(Debug)]
pub struct PagedSearch {
    conn: LdapConn,
    options: OpOptions,
    request: Search,
    page_size: i32,
    /// The cookie for the next page; `None` once the last page started.
    cookie: Option<Bytes>,
    current: Option<SearchStream>,
    done: Option<SearchDone>,
    /// The timeout of the whole search, and its deadline once started.
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    /// Pages ended so far.
    pages: usize,
    /// Whether the current page has brought an entry or a reference.
    progress: bool,
    /// The cookies of the pages without progress since the last page with.
    seen: VecDeque<Bytes>,
}

impl PagedSearch {
    /// The next item of any page, `Ok(None)` after the last page.
    pub async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        let res = self.next_or_err().await;
        if res.is_err() {
            // Abandons the page in flight, if any; the search is over.
            self.current = None;
            self.cookie = None;
        }
        res
    }

    async fn next_or_err(&mut self) -> Result<Option<SearchItem>, Error> {
        if let (None, Some(t)) = (self.deadline, self.timeout) {
            self.deadline = Some(Instant::now() + t);
        }
        loop {
            if let Some(stream) = self.current.as_mut() {
                let item = within(self.deadline, self.timeout, stream.next_item()).await?;
                if let Some(item) = item {
                    self.progress |= !matches!(item, SearchItem::Intermediate(_));
                    return Ok(Some(item));
                }
                let done = self.current.take().and_then(|mut s| s.take_done());
                let next = match &done {
                    Some(d) => paged_cookie(&d.controls)?,
                    None => None,
                };
                self.done = done;
                self.cookie = next.filter(|c| !c.is_empty());
                self.page_ended()?;
                continue;
            }
            let Some(cookie) = self.cookie.take() else {
                return Ok(None);
            };
            let paged = PagedResults {
                size: self.page_size,
                cookie,
            };
            let mut options = self.options.clone().control(paged.to_control());
            if let Some(deadline) = self.deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(timed_out(self.timeout));
                }
                options = options.timeout(left);
            }
            let ops = self.conn.with(options);
            let stream = within(
                self.deadline,
                self.timeout,
                ops.search(self.request.clone()),
            );
            self.current = Some(stream.await?);
        }
    }

    /// Checks the cookie of the page that just ended for a repeat.
    fn page_ended(&mut self) -> Result<(), Error> {
        self.pages += 1;
        let progress = std::mem::take(&mut self.progress);
        if progress {
            self.seen.clear();
        }
        let Some(cookie) = &self.cookie else {
            return Ok(());
        };
        if !progress && self.seen.contains(cookie) {
            return Err(Error::Protocol(ProtocolError::PagedCookieRepeated {
                page: self.pages,
            }));
        }
        if self.seen.len() == COOKIES_REMEMBERED {
            self.seen.pop_front();
        }
        self.seen.push_back(cookie.clone());
        Ok(())
    }

    /// The final result of the last page, once the search has ended.
    pub fn done(&self) -> Option<&SearchDone> {
        self.done.as_ref()
    }

    /// The response controls sent with the item returned last (see
    /// [`SearchStream::controls`]).
    pub fn controls(&self) -> &[Control] {
        self.current.as_ref().map_or(&[], SearchStream::controls)
    }
}

/// The error of a paged search whose whole `timeout` has passed.
fn timed_out(timeout: Option<Duration>) -> Error {
    Error::Timeout {
        phase: crate::Phase::Operation,
        after: timeout.unwrap_or_default(),
    }
}

/// Runs `fut` until `deadline` (if any): a page's own timeout (what was
/// left of the whole) and the deadline both end as the timeout of the
/// whole search.
async fn within<T>(
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(deadline) = deadline else {
        return fut.await;
    };
    match tokio::time::timeout_at(deadline, fut).await {
        Ok(Err(Error::Timeout { .. })) | Err(_) => Err(timed_out(timeout)),
        Ok(res) => res,
    }
}

impl Items for PagedSearch {
    async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        Self::next_item(self).await
    }

    fn take_done(&mut self) -> Option<SearchDone> {
        self.done.take()
    }
}

/// The cookie of the paged-results response control, if there is one. A
/// control that does not decode is a protocol error, not the end of the
/// search.
pub(super) fn paged_cookie(controls: &[Control]) -> Result<Option<Bytes>, Error> {
    let Some(c) = controls.iter().find(|c| c.oid == PagedResults::OID) else {
        return Ok(None);
    };
    let p = PagedResults::from_control(c).map_err(|e| Error::Protocol(e.into()))?;
    Ok(Some(p.cookie))
}

/// Paged searches.
impl<M: Mode> WithOptions<'_, M> {
    /// Runs a search page by page with the paged-results control (RFC
    /// 2696), `page_size` entries at a time, and collects everything.
    ///
    /// The timeout (the options', else the connection's) bounds the whole
    /// search, all pages together; a server that repeats a cookie without
    /// sending entries ends it with
    /// [`ProtocolError::PagedCookieRepeated`]. See [`PagedSearch`].
    pub async fn search_paged(
        self,
        request: Search,
        page_size: u32,
    ) -> Result<M::Out<SearchResults>, Error> {
        let results = SearchResults::collect(&mut self.search_pages(request, page_size)).await?;
        Ok(M::wrap(results.into_response()))
    }

    /// Runs a search page by page (RFC 2696 paged results), yielding its
    /// items one at a time; see [`PagedSearch`] (the timeout bounds the
    /// whole search, from the first call of
    /// [`next_item`](PagedSearch::next_item)).
    pub fn search_pages(self, request: Search, page_size: u32) -> PagedSearch {
        let timeout = self
            .options
            .timeout_setting()
            .resolve(self.conn.default_timeout());
        PagedSearch {
            conn: self.conn.clone(),
            options: self.options,
            request,
            page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
            cookie: Some(Bytes::new()),
            current: None,
            done: None,
            timeout,
            deadline: None,
            pages: 0,
            progress: false,
            seen: VecDeque::new(),
        }
    }
}

/// Paged searches, with the default options.
impl LdapConn {
    /// Runs a paged search and collects everything: [`WithOptions::search_paged`] with the default
    /// options.
    pub async fn search_paged(
        &self,
        request: Search,
        page_size: u32,
    ) -> Result<SearchResults, Error> {
        self.with(OpOptions::default())
            .search_paged(request, page_size)
            .await
    }

    /// Runs a paged search, item by item: [`WithOptions::search_pages`] with the default options.
    pub fn search_pages(&self, request: Search, page_size: u32) -> PagedSearch {
        self.with(OpOptions::default())
            .search_pages(request, page_size)
    }
}
