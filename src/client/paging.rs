//! Paged searches (RFC 2696): [`PagedSearch`], and the operations that run
//! a search page by page.

use bytes::Bytes;

use super::handle::LdapConn;
use super::options::{OpOptions, WithOptions};
use super::search::{Items, Search, SearchDone, SearchItem, SearchResults, SearchStream};
use crate::proto::controls::PagedResults;
use crate::proto::Control;
use crate::Error;

/// A search run page by page with the paged-results control (RFC 2696),
/// transparently: items come as from one search, and each next page is
/// requested when the previous one is consumed, so at most one page is in
/// flight. Made by [`LdapConn::search_pages`].
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
}

impl PagedSearch {
    /// The next item of any page, `Ok(None)` after the last page.
    pub async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        loop {
            if let Some(stream) = self.current.as_mut() {
                if let Some(item) = stream.next_item().await? {
                    return Ok(Some(item));
                }
                let done = self.current.take().and_then(|mut s| s.take_done());
                let next = match &done {
                    Some(d) => paged_cookie(&d.controls)?,
                    None => None,
                };
                self.cookie = next.filter(|c| !c.is_empty());
                self.done = done;
                continue;
            }
            let Some(cookie) = self.cookie.take() else {
                return Ok(None);
            };
            let paged = PagedResults {
                size: self.page_size,
                cookie,
            };
            let options = self.options.clone().control(paged.to_control());
            let ops = self.conn.with(options);
            self.current = Some(ops.search(self.request.clone()).await?);
        }
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
impl WithOptions<'_> {
    /// Runs a search page by page with the paged-results control (RFC
    /// 2696), `page_size` entries at a time, and collects everything.
    pub async fn search_paged(
        self,
        request: Search,
        page_size: u32,
    ) -> Result<SearchResults, Error> {
        SearchResults::collect(&mut self.search_pages(request, page_size)).await
    }

    /// Runs a search page by page (RFC 2696 paged results), yielding its
    /// items one at a time; see [`PagedSearch`].
    pub fn search_pages(self, request: Search, page_size: u32) -> PagedSearch {
        PagedSearch {
            conn: self.conn.clone(),
            options: self.options,
            request,
            page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
            cookie: Some(Bytes::new()),
            current: None,
            done: None,
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
