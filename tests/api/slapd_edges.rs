//! The edge cases against a real slapd: a dropped paged search releases
//! slapd's paging state.

use tokio_ldap::{ConnConfig, LdapConn, ResultCode, Scope, Search, SearchItem};

use crate::support::slapd::{Slapd, PEOPLE_DN};

/// The rootdn over ldapi (SASL EXTERNAL maps the test process to it).
async fn admin(slapd: &Slapd) -> LdapConn {
    let conn = LdapConn::connect(&slapd.ldapi_url(), ConnConfig::new())
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    conn
}

#[tokio::test]
async fn slapd_dropped_paged_search_releases_the_paging_state() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    let people = Search::new(PEOPLE_DN).scope(Scope::OneLevel);

    // slapd keeps one paging state per connection: a second paged search
    // takes it over, and the first one's next page is refused.
    let mut first = conn.search_pages(people.clone(), 1);
    assert!(matches!(
        first.next_item().await.unwrap(),
        Some(SearchItem::Entry(_))
    ));
    assert_eq!(
        conn.search_paged(people.clone(), 1)
            .await
            .unwrap()
            .entries
            .len(),
        3
    );
    let err = first.next_item().await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::PROTOCOL_ERROR));
    assert_eq!(
        err.to_string(),
        "search failed: protocolError (2): paged results cookie is invalid"
    );

    // Released explicitly: slapd answers the request of size 0 with the
    // cookie, and says it dropped the search.
    let mut pages = conn.search_pages(people.clone(), 1);
    // The first page, and the second one's first entry: the second page
    // was asked for with slapd's cookie.
    for _ in 0..2 {
        assert!(matches!(
            pages.next_item().await.unwrap(),
            Some(SearchItem::Entry(_))
        ));
    }
    let done = pages.release().await.unwrap().expect("a state to release");
    assert_eq!(done.result.code, ResultCode::SUCCESS);
    assert_eq!(
        done.result.message,
        "search abandoned by pagedResult size=0"
    );

    // A search run to its end holds nothing.
    let mut pages = conn.search_pages(people, 10);
    while pages.next_item().await.unwrap().is_some() {}
    assert!(pages.release().await.unwrap().is_none());
}
