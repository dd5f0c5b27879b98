//! `LdapPool` over DNS SRV URLs (`ldap:///dc=example,dc=com`), with the
//! records served by a real dnsmasq on loopback and pointing at slapd
//! instances: priorities (and failover down them), weights, a record that
//! points at a dead server, NXDOMAIN, and a changed record picked up after
//! its TTL.

use std::time::Duration;

use tokio_ldap::{ConnConfig, DiscoveryFailure, Error, LdapPool, ServerState};

use crate::support::dnsmasq::{Dnsmasq, Zone};
use crate::support::pool::bounded;
use crate::support::slapd::{Slapd, SlapdOptions, VerifyClient};

const LIMIT: Duration = Duration::from_secs(20);
const NAME: &str = "_ldap._tcp.example.com";

fn slapd() -> Slapd {
    Slapd::start(SlapdOptions {
        verify_client: VerifyClient::Never,
        ..SlapdOptions::default()
    })
}

fn config() -> ConnConfig {
    ConnConfig::new().connect_timeout(Some(Duration::from_secs(2)))
}

fn at(port: u16) -> String {
    format!("ldap://localhost:{port}")
}

/// A pool over `ldap:///dc=example,dc=com` asking `dns`; every checkout
/// makes a new connection (max lifetime zero), so each one follows DNS.
fn pool(dns: &Dnsmasq) -> LdapPool {
    LdapPool::builder("ldap:///dc=example,dc=com", config())
        .dns_server(dns.addr())
        .max_lifetime(Some(Duration::ZERO))
        .build()
        .unwrap()
}

#[tokio::test]
async fn pool_srv_follows_priorities_and_fails_over_down_them() {
    let (mut a, b) = (slapd(), slapd());
    let dns = Dnsmasq::start(
        &Zone::new()
            .local("com")
            .srv(NAME, "localhost", a.ldap_port(), 0, 1)
            .srv(NAME, "localhost", b.ldap_port(), 10, 1),
    );
    let pool = pool(&dns);
    for _ in 0..5 {
        let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
        assert_eq!(conn.server(), at(a.ldap_port()));
        assert_eq!(conn.whoami().await.unwrap(), None);
    }
    a.kill_hard();
    let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
    assert_eq!(conn.server(), at(b.ldap_port()));
    conn.whoami().await.unwrap();
    let status = pool.status();
    let urls: Vec<&str> = status.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(urls, [at(a.ldap_port()), at(b.ldap_port())]);
    assert!(
        matches!(status.servers[0].state, ServerState::Backoff { .. }),
        "{status:?}"
    );
    assert!(
        matches!(status.servers[0].last_error, Some(Error::Io(_))),
        "{status:?}"
    );
}

#[tokio::test]
async fn pool_srv_weights_share_new_connections() {
    let (a, b) = (slapd(), slapd());
    let dns = Dnsmasq::start(
        &Zone::new()
            .local("com")
            .ttl(3600)
            .srv(NAME, "localhost", a.ldap_port(), 0, 3)
            .srv(NAME, "localhost", b.ldap_port(), 0, 1),
    );
    let pool = pool(&dns);
    let mut to_a = 0;
    let total = 400;
    for _ in 0..total {
        let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
        if conn.server() == at(a.ldap_port()) {
            to_a += 1;
        } else {
            assert_eq!(conn.server(), at(b.ldap_port()));
        }
    }
    // 3:1, so 300 expected; 260..340 is more than five standard
    // deviations (8.7) either way.
    assert!(
        (260..=340).contains(&to_a),
        "{to_a} of {total} went to the weight-3 server"
    );
    // The records were asked for once: the TTL has not passed.
    assert_eq!(dns.queries("SRV", NAME), 1, "{}", dns.log());
}

#[tokio::test]
async fn pool_srv_record_of_a_dead_server_and_nxdomain() {
    let live = slapd();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dns = Dnsmasq::start(
        &Zone::new()
            .local("com")
            .srv(NAME, "localhost", dead, 0, 1)
            .srv(NAME, "localhost", live.ldap_port(), 5, 1),
    );
    let pool = pool(&dns);
    let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
    assert_eq!(conn.server(), at(live.ldap_port()));
    let status = pool.status();
    assert_eq!(status.servers[0].url, at(dead));
    assert!(
        matches!(status.servers[0].last_error, Some(Error::Io(ref e)) if e.kind() == std::io::ErrorKind::ConnectionRefused),
        "{status:?}"
    );

    let missing = LdapPool::builder("ldap:///dc=missing,dc=com", config())
        .dns_server(dns.addr())
        .build()
        .unwrap();
    let err = bounded("get", LIMIT, missing.get()).await.unwrap_err();
    let Error::AllServersFailed(failures) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].server, "ldap:///dc=missing,dc=com");
    assert!(
        matches!(
            failures[0].error.as_deref(),
            Some(Error::Discovery {
                kind: DiscoveryFailure::NxDomain,
                ..
            })
        ),
        "{failures:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "no server of the pool could be used: ldap:///dc=missing,dc=com: DNS SRV lookup of _ldap._tcp.missing.com at {}: the name does not exist (NXDOMAIN): check the domain, which comes from the URL's dc= components (ldap:///dc=example,dc=com asks for _ldap._tcp.example.com), or ask the DNS administrator to publish the SRV records",
            dns.addr()
        )
    );
}

#[tokio::test]
async fn pool_srv_picks_up_a_changed_record_after_its_ttl() {
    let (a, b) = (slapd(), slapd());
    let zone = |port: u16| {
        Zone::new()
            .local("com")
            .ttl(2)
            .srv(NAME, "localhost", port, 0, 1)
    };
    let mut dns = Dnsmasq::start(&zone(a.ldap_port()));
    let pool = pool(&dns);
    let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
    let resolved = std::time::Instant::now();
    assert_eq!(conn.server(), at(a.ldap_port()));
    drop(conn);
    dns.restart(&zone(b.ldap_port()));
    tokio::time::sleep(Duration::from_millis(2300).saturating_sub(resolved.elapsed())).await;
    let conn = bounded("get", LIMIT, pool.get()).await.unwrap();
    assert_eq!(conn.server(), at(b.ldap_port()));
    conn.whoami().await.unwrap();
    assert_eq!(dns.queries("SRV", NAME), 1, "{}", dns.log());
}
