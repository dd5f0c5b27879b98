//! `PagedSearch` as a `Stream`, and the release of the server's paging
//! state when it is dropped before its last page (RFC 2696 §3: the same
//! search with a page size of 0 and the cookie), seen in the `TestServer`'s
//! record.

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio_ldap::controls::{PagedResults, TypedControl};
use tokio_ldap::proto::{LdapMessage, ProtocolOp};
use tokio_ldap::testkit::{TestPki, TestServer};
use tokio_ldap::{ConnConfig, LdapConn, OpOptions, Search, SearchItem};

use crate::hostile::within;

/// The testkit's PKI, made once.
fn kit() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::new().expect("the test PKI"))
}

async fn server() -> (TestServer, LdapConn) {
    let server = TestServer::builder(kit()).start().await.unwrap();
    let conn = LdapConn::connect(&server.ldap_url(), ConnConfig::new())
        .await
        .unwrap();
    (server, conn)
}

/// The paged-results control of a search request, if it has one.
fn paged(m: &LdapMessage) -> Option<PagedResults> {
    let ProtocolOp::SearchRequest(_) = m.op else {
        return None;
    };
    PagedResults::find_in(&m.controls).map(Result::unwrap)
}

/// The paged-results controls of the searches the server has seen.
fn pages_seen(server: &TestServer) -> Vec<PagedResults> {
    server.connections()[0]
        .requests
        .iter()
        .filter_map(paged)
        .collect()
}

#[tokio::test]
async fn paged_search_is_a_stream_of_every_page() {
    let (server, conn) = server().await;
    let search = Search::new("dc=example,dc=com");
    let items: Vec<_> = within("the stream", conn.search_pages(search, 2).collect()).await;
    let dns: Vec<String> = items
        .into_iter()
        .map(|i| match i.unwrap() {
            SearchItem::Entry(e) => e.dn.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(dns.len(), 6, "{dns:?}");
    assert_eq!(dns[0], "dc=example,dc=com");
    let sizes: Vec<i32> = pages_seen(&server).iter().map(|p| p.size).collect();
    assert_eq!(sizes, [2, 2, 2], "three pages, no release after the last");
}

#[tokio::test]
async fn dropped_paged_search_releases_the_server_state() {
    let (server, conn) = server().await;
    let search = Search::new("dc=example,dc=com");
    let mut pages = conn
        .with(OpOptions::new().timeout(Duration::from_secs(5)))
        .search_pages(search, 2);
    // Three items: the first page, and the first item of the second.
    for _ in 0..3 {
        let item = within("an item", pages.next_item()).await.unwrap();
        assert!(matches!(item, Some(SearchItem::Entry(_))), "{item:?}");
    }
    assert_eq!(pages_seen(&server).len(), 2);
    drop(pages);
    // The release: the page in flight read to its end, then the same
    // search with size 0 and the cookie that page brought ("4": the
    // TestServer's cookie is the offset of the next entry).
    let release = within("the release", async {
        loop {
            if let Some(p) = pages_seen(&server).get(2).cloned() {
                break p;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(release.size, 0);
    assert_eq!(&release.cookie[..], b"4");
    let requests = &server.connections()[0].requests;
    let ProtocolOp::SearchRequest(sent) = &requests.last().unwrap().op else {
        panic!("{requests:?}")
    };
    assert_eq!(sent.base, "dc=example,dc=com");
    // The connection goes on.
    assert!(conn.whoami().await.unwrap().is_none());
}

#[tokio::test]
async fn paged_search_dropped_after_its_last_page_or_before_its_first_sends_nothing() {
    let (server, conn) = server().await;
    let mut pages = conn.search_pages(Search::new("dc=example,dc=com"), 100);
    while within("an item", pages.next_item())
        .await
        .unwrap()
        .is_some()
    {}
    drop(pages);
    drop(conn.search_pages(Search::new("dc=example,dc=com"), 100));
    // Time for a release to come, were one sent.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(conn.whoami().await.unwrap().is_none());
    let sizes: Vec<i32> = pages_seen(&server).iter().map(|p| p.size).collect();
    assert_eq!(sizes, [100]);
    assert_eq!(PagedResults::OID, "1.2.840.113556.1.4.319");
}
