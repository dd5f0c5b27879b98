//! The edge cases against a real slapd: a dropped paged search releases
//! slapd's paging state; Cancel (RFC 3909) and abandon by handle end a
//! persistent search (syncprov's refreshAndPersist).

use std::time::Duration;

use bytes::Bytes;
use tokio_ldap::controls::Control;
use tokio_ldap::{
    Attribute, CancelOutcome, ConnConfig, Error, LdapConn, Modification, ModifyOp, OpHandle,
    OpOptions, ResultCode, Scope, Search, SearchItem, SearchStream,
};

use crate::support::slapd::{Slapd, SlapdOptions, PEOPLE_DN, USERS};

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

/// RFC 4533's Sync Request control for refreshAndPersist, no cookie: a
/// search that slapd's syncprov keeps running until it is ended.
fn refresh_and_persist() -> Control {
    // syncRequestValue ::= SEQUENCE { mode ENUMERATED { refreshAndPersist (3) } }
    Control::new(
        "1.3.6.1.4.1.4203.1.9.1.1",
        Some(Bytes::from_static(&[0x30, 0x03, 0x0a, 0x01, 0x03])),
    )
    .with_criticality(true)
}

fn syncprov() -> Slapd {
    Slapd::start(SlapdOptions {
        extra_global_config: "moduleload syncprov".into(),
        extra_config: "overlay syncprov".into(),
        ..Default::default()
    })
}

/// Starts a persistent search named by `handle` and reads it until its
/// refresh is done (the Sync Info intermediate message).
async fn persisting(conn: &LdapConn, handle: &OpHandle) -> SearchStream {
    let options = OpOptions::new()
        .no_timeout()
        .handle(handle)
        .control(refresh_and_persist());
    let mut stream = conn
        .with(options)
        .search(Search::new(PEOPLE_DN))
        .await
        .unwrap();
    loop {
        let item = tokio::time::timeout(Duration::from_secs(5), stream.next_item())
            .await
            .expect("the refresh within 5 s")
            .unwrap();
        match item {
            Some(SearchItem::Intermediate(_)) => return stream,
            Some(_) => {}
            None => panic!("the persistent search ended"),
        }
    }
}

#[tokio::test]
async fn slapd_cancel_ends_a_persistent_search_with_canceled() {
    let slapd = syncprov();
    let conn = admin(&slapd).await;
    let handle = OpHandle::new();
    let mut stream = persisting(&conn, &handle).await;
    assert_eq!(conn.cancel(&handle).await.unwrap(), CancelOutcome::Canceled);
    let err = tokio::time::timeout(Duration::from_secs(5), stream.next_item())
        .await
        .expect("the search ends")
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::CANCELED));
    assert_eq!(err.to_string(), "search failed: canceled (118)");
    // Over: nothing left to cancel, and the connection goes on.
    assert_eq!(
        conn.cancel(&handle).await.unwrap(),
        CancelOutcome::NotInFlight
    );
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:cn=admin,dc=example,dc=com")
    );
}

#[tokio::test]
async fn slapd_abandon_by_handle_ends_a_persistent_search() {
    let slapd = syncprov();
    let conn = admin(&slapd).await;
    let handle = OpHandle::new();
    let mut stream = persisting(&conn, &handle).await;
    assert!(conn.abandon(&handle).await.unwrap());
    let err = stream.next_item().await.unwrap_err();
    assert!(matches!(err, Error::Abandoned), "{err:?}");
    // The connection goes on.
    conn.modify(
        USERS[0].dn,
        vec![Modification::new(
            ModifyOp::Replace,
            Attribute::new("description", ["after the abandon"]),
        )],
    )
    .await
    .unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:cn=admin,dc=example,dc=com")
    );
}
