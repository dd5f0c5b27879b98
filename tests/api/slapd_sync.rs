//! Content synchronization (RFC 4533) against slapd's syncprov overlay:
//! the sync stream in refreshAndPersist and refreshOnly modes, resumed
//! from a cookie; persistent search, which slapd does not implement.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio_ldap::proto::controls::{ChangeTypes, PersistentSearch, SyncMode, SyncUuid};
use tokio_ldap::proto::SearchResultEntry;
use tokio_ldap::{
    Attribute, ClientCert, ConnConfig, Error, LdapConn, Modification, ModifyOp, ResultCode, Search,
    SyncEvent, SyncSearch, SyncStream,
};

use crate::support::slapd::{Slapd, SlapdOptions, ADMIN_DN, ADMIN_PW, PEOPLE_DN, USERS};

fn syncprov() -> Slapd {
    Slapd::start(SlapdOptions {
        syncprov: true,
        ..Default::default()
    })
}

/// The rootdn over LDAPS (alice's certificate for the TLS layer), with a
/// default operation timeout of `timeout`.
async fn admin(slapd: &Slapd, timeout: Duration) -> LdapConn {
    let (cert, key) = slapd.files().client("alice").expect("alice's files");
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert(ClientCert::from_pem_files(cert, key).unwrap())
        .operation_timeout(Some(timeout));
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    conn.bind_simple(ADMIN_DN, ADMIN_PW).await.unwrap();
    conn
}

fn people() -> Search {
    Search::new(PEOPLE_DN)
        .filter("(objectClass=inetOrgPerson)")
        .attributes(["uid", "description"])
}

/// The next event, within 10 s.
async fn next(stream: &mut SyncStream) -> SyncEvent {
    tokio::time::timeout(Duration::from_secs(10), stream.next_event())
        .await
        .expect("no sync event within 10 s")
        .unwrap()
        .expect("the sync stream ended")
}

/// Nothing more comes within `quiet` (each event arrives once).
async fn assert_quiet(stream: &mut SyncStream, quiet: Duration) {
    if let Ok(more) = tokio::time::timeout(quiet, stream.next_event()).await {
        panic!("an event more than expected: {more:?}");
    }
}

fn description(e: &SearchResultEntry) -> Vec<String> {
    e.attributes
        .iter()
        .filter(|a| a.name().eq_ignore_ascii_case("description"))
        .flat_map(|a| a.values().map(|v| String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// Runs the refresh stage: the entries added, by DN, until RefreshDone.
async fn refresh(stream: &mut SyncStream) -> BTreeMap<String, SyncUuid> {
    let mut seen = BTreeMap::new();
    loop {
        match next(stream).await {
            SyncEvent::Added { uuid, entry } => {
                assert!(
                    seen.insert(entry.dn.to_string(), uuid).is_none(),
                    "{} twice in the refresh",
                    entry.dn
                );
            }
            SyncEvent::RefreshDone { .. } => return seen,
            // Cookies may come on their own; nothing else in a first refresh.
            SyncEvent::Cookie(_) => {}
            other => panic!("unexpected in the first refresh: {other:?}"),
        }
    }
}

fn person(uid: &str) -> Vec<Attribute> {
    vec![
        Attribute::new("objectClass", ["inetOrgPerson"]),
        Attribute::new("uid", [uid]),
        Attribute::new("cn", [uid]),
        Attribute::new("sn", [uid]),
    ]
}

fn dn(uid: &str) -> String {
    format!("uid={uid},{PEOPLE_DN}")
}

#[tokio::test]
async fn sync_refresh_and_persist_each_change_once_in_order_then_resume_from_the_cookie() {
    let slapd = syncprov();
    // A short default timeout: the sync stream must not be subject to it.
    let conn = admin(&slapd, Duration::from_millis(500)).await;
    let writer = admin(&slapd, Duration::from_secs(10)).await;

    let mut stream = conn
        .sync(SyncSearch::new(people(), SyncMode::RefreshAndPersist))
        .await
        .unwrap();
    let initial = refresh(&mut stream).await;
    let want: Vec<String> = USERS.iter().map(|u| u.dn.to_owned()).collect();
    assert_eq!(initial.keys().cloned().collect::<Vec<_>>(), {
        let mut w = want.clone();
        w.sort();
        w
    });
    assert!(stream.cookie().is_some(), "no cookie after the refresh");
    // Longer than the connection's default timeout.
    tokio::time::sleep(Duration::from_millis(800)).await;

    // add, modify, modrdn, delete.
    writer.add(&dn("dave"), person("dave")).await.unwrap();
    writer
        .modify(
            USERS[0].dn,
            vec![Modification::new(
                ModifyOp::Replace,
                Attribute::new("description", ["changed"]),
            )],
        )
        .await
        .unwrap();
    writer
        .modify_dn(USERS[1].dn, "uid=robert", true, None)
        .await
        .unwrap();
    writer.delete(USERS[2].dn).await.unwrap();

    let dave = match next(&mut stream).await {
        SyncEvent::Added { uuid, entry } => {
            assert_eq!(entry.dn, dn("dave").as_str());
            uuid
        }
        other => panic!("expected dave added, got {other:?}"),
    };
    assert!(!initial.values().any(|u| *u == dave), "a new entryUUID");
    match next(&mut stream).await {
        SyncEvent::Modified { uuid, entry } => {
            assert_eq!(entry.dn, USERS[0].dn);
            assert_eq!(uuid, initial[USERS[0].dn]);
            assert_eq!(description(&entry), ["changed"]);
        }
        other => panic!("expected alice modified, got {other:?}"),
    }
    match next(&mut stream).await {
        SyncEvent::Modified { uuid, entry } => {
            assert_eq!(entry.dn, dn("robert").as_str());
            assert_eq!(uuid, initial[USERS[1].dn], "the same entry, renamed");
        }
        other => panic!("expected bob renamed, got {other:?}"),
    }
    match next(&mut stream).await {
        SyncEvent::Deleted { uuid, dn } => {
            assert_eq!(uuid, initial[USERS[2].dn]);
            assert_eq!(dn, USERS[2].dn);
        }
        other => panic!("expected carol deleted, got {other:?}"),
    }
    assert_quiet(&mut stream, Duration::from_millis(500)).await;
    let cookie = stream
        .cookie()
        .cloned()
        .expect("a cookie after the changes");
    drop(stream);
    drop(conn);

    // While no one listens: dave goes, erin comes.
    writer.delete(&dn("dave")).await.unwrap();
    writer.add(&dn("erin"), person("erin")).await.unwrap();

    // A new connection resumes from the cookie: only those two changes.
    let conn = admin(&slapd, Duration::from_secs(10)).await;
    let mut stream = conn
        .sync(SyncSearch::new(people(), SyncMode::RefreshOnly).cookie(cookie.clone()))
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(10), stream.next_event())
        .await
        .expect("the refresh did not end within 10 s")
        .unwrap()
    {
        events.push(ev);
    }
    let mut added = Vec::new();
    let mut deleted = Vec::new();
    let mut done = 0;
    for ev in &events {
        match ev {
            SyncEvent::Added { entry, .. } => added.push(entry.dn.to_string()),
            SyncEvent::Deleted { uuid, .. } => deleted.push(*uuid),
            SyncEvent::IdSet {
                uuids,
                deleted: true,
            } => deleted.extend(uuids),
            SyncEvent::RefreshDone { .. } => done += 1,
            SyncEvent::Cookie(_) | SyncEvent::RefreshPhaseDone { .. } => {}
            other => panic!("only the changes since the cookie, got {other:?} in {events:?}"),
        }
    }
    assert_eq!(added, [dn("erin")], "{events:?}");
    assert_eq!(deleted, [dave], "{events:?}");
    assert_eq!(done, 1, "{events:?}");
    assert!(
        matches!(events.last(), Some(SyncEvent::RefreshDone { .. })),
        "{events:?}"
    );
    assert_ne!(stream.cookie(), Some(&cookie), "the cookie moved on");
    // The stream has ended for good.
    assert!(stream.next_event().await.unwrap().is_none());
}

#[tokio::test]
async fn sync_stream_ends_with_an_error_when_slapd_goes_away() {
    let slapd = syncprov();
    let conn = admin(&slapd, Duration::from_secs(10)).await;
    let mut stream = conn
        .sync(SyncSearch::new(people(), SyncMode::RefreshAndPersist))
        .await
        .unwrap();
    refresh(&mut stream).await;
    drop(slapd);
    let err = tokio::time::timeout(Duration::from_secs(10), stream.next_event())
        .await
        .expect("no end within 10 s of slapd stopping")
        .unwrap_err();
    assert!(matches!(err, Error::Closed(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "connection closed: the server closed the connection"
    );
    assert!(stream.next_event().await.unwrap().is_none());
}

#[tokio::test]
async fn sync_without_syncprov_is_refused() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd, Duration::from_secs(10)).await;
    let mut stream = conn
        .sync(SyncSearch::new(people(), SyncMode::RefreshOnly))
        .await
        .unwrap();
    let err = stream.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Ldap(_)), "{err:?}");
    assert_eq!(
        err.result_code(),
        Some(ResultCode::UNAVAILABLE_CRITICAL_EXTENSION)
    );
    assert_eq!(
        err.to_string(),
        "search failed: unavailableCriticalExtension (12): critical extension is not recognized"
    );
}

#[tokio::test]
async fn persistent_search_is_refused_by_slapd() {
    let slapd = syncprov();
    let conn = admin(&slapd, Duration::from_secs(10)).await;
    let mut stream = conn
        .persistent_search(people(), PersistentSearch::new(ChangeTypes::ALL))
        .await
        .unwrap();
    let err = stream.next_event().await.unwrap_err();
    assert!(matches!(err, Error::Ldap(_)), "{err:?}");
    assert_eq!(
        err.result_code(),
        Some(ResultCode::UNAVAILABLE_CRITICAL_EXTENSION)
    );
    assert_eq!(
        err.to_string(),
        "search failed: unavailableCriticalExtension (12): critical extension is not recognized"
    );
    assert!(stream.next_event().await.unwrap().is_none());
}
