//! A client certificate rotated under a running pool: the pool's
//! `ConnConfig` answers slapd's certificate request from a
//! `CertStore::from_dir` whose files are replaced while tasks keep using
//! the pool. New connections bind as the new identity; connections made
//! before keep working until they are recycled.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_ldap::tls::CertStore;
use tokio_ldap::{Bind, ConnConfig, LdapPool};

use crate::support::pool::bounded;
use crate::support::slapd::{Slapd, SlapdOptions};

const ALICE: &str = "dn:uid=alice,ou=people,dc=example,dc=com";
const BOB: &str = "dn:uid=bob,ou=people,dc=example,dc=com";
const LIMIT: Duration = Duration::from_secs(20);

/// Replaces `dir/name` by a copy of `from`, written beside it and renamed
/// over it, as rotation agents do.
fn install(dir: &Path, name: &str, from: &Path) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::copy(from, &tmp).expect("copy a test PKI file");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_picks_up_a_rotated_client_certificate_for_new_connections() {
    let slapd = Slapd::start(SlapdOptions::default());
    let files = slapd.files();
    let (alice_crt, alice_key) = files.client("alice").expect("alice");
    let (bob_crt, bob_key) = files.client("bob").expect("bob");
    let dir = tempfile::tempdir().expect("a temporary directory");
    install(dir.path(), "svc.crt", alice_crt);
    install(dir.path(), "svc.key", alice_key);
    let config = ConnConfig::new()
        .ca_file(&files.ca_a)
        .client_cert_query(CertStore::from_dir(dir.path()).expect("the directory loads"));
    let lifetime = Duration::from_millis(400);
    let pool = LdapPool::builder(&slapd.ldaps_url(), config)
        .bind(Bind::External { authzid: None })
        .max_size(8)
        .max_lifetime(Some(lifetime))
        .build()
        .unwrap();

    let old = pool.get().await.unwrap();
    assert_eq!(old.whoami().await.unwrap().as_deref(), Some(ALICE));

    // Four tasks use the pool all along; every operation must succeed.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (pool, stop, seen) = (pool.clone(), stop.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let conn = pool.get().await.expect("get");
                let who = conn.whoami().await.expect("whoami").expect("an identity");
                seen.lock().unwrap().push(who);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Rotation: bob's files replace alice's, key first.
    let rotated_at = seen.lock().unwrap().len();
    install(dir.path(), "svc.key", bob_key);
    install(dir.path(), "svc.crt", bob_crt);

    // A connection made now is bob's; the one held from before is still
    // alice's and still works.
    let extra: Vec<_> = {
        let mut held = Vec::new();
        // Take every idle connection and one new one.
        for _ in 0..8 {
            match tokio::time::timeout(Duration::from_millis(300), pool.get()).await {
                Ok(Ok(c)) => held.push(c),
                _ => break,
            }
        }
        held
    };
    let mut bobs = 0;
    for c in &extra {
        if c.whoami().await.unwrap().as_deref() == Some(BOB) {
            bobs += 1;
        }
    }
    drop(extra);
    assert!(bobs >= 1, "no new connection was made as bob");
    assert_eq!(old.whoami().await.unwrap().as_deref(), Some(ALICE));
    drop(old);

    // Once the lifetime has passed, every connection lent is bob's.
    tokio::time::sleep(lifetime + Duration::from_millis(200)).await;
    let settled = seen.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        bounded("a task", LIMIT, t).await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen[..rotated_at].iter().all(|w| w == ALICE), "{seen:?}");
    let late = &seen[settled..];
    assert!(!late.is_empty());
    assert!(late.iter().all(|w| w == BOB), "{late:?}");
    let conn = pool.get().await.unwrap();
    assert_eq!(conn.whoami().await.unwrap().as_deref(), Some(BOB));
}
