//! DNS SRV discovery (RFC 2782) through a real DNS server: dnsmasq on
//! loopback (`support/dnsmasq.rs`) serving the records each test sets up,
//! asked by the pool's resolver (`tokio_ldap::testkit::srv`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio_ldap::testkit::srv::{url_domain, SrvLookup};
use tokio_ldap::{ClientCert, ConnConfig, DiscoveryFailure, Error, LdapConn};

use crate::support::dnsmasq::{Dnsmasq, Zone};
use crate::support::slapd::Slapd;

/// Each attempt of a query waits this long (dnsmasq on loopback answers
/// in well under a millisecond).
const TIMEOUT: Duration = Duration::from_secs(2);

fn lookup(dns: &Dnsmasq) -> SrvLookup {
    SrvLookup::new(dns.addr(), TIMEOUT).expect("a resolver for the test's dnsmasq")
}

fn hosts(servers: &[(String, u16)]) -> Vec<&str> {
    servers.iter().map(|(h, _)| h.as_str()).collect()
}

#[tokio::test]
async fn srv_priorities_come_first_and_ldaps_has_its_own_records() {
    let dns = Dnsmasq::start(
        &Zone::new()
            .srv("_ldap._tcp.prio.test", "a.prio.test", 1001, 10, 50)
            .srv("_ldap._tcp.prio.test", "b.prio.test", 1002, 10, 50)
            .srv("_ldap._tcp.prio.test", "c.prio.test", 1003, 20, 1000)
            .srv("_ldap._tcp.prio.test", "d.prio.test", 1004, 5, 0)
            .srv("_ldaps._tcp.prio.test", "s.prio.test", 1636, 0, 0),
    );
    let srv = lookup(&dns);
    let mut first = HashMap::new();
    for _ in 0..100 {
        let servers = srv.servers("prio.test", false).await.expect("SRV records");
        let h = hosts(&servers);
        assert_eq!(h.len(), 4, "{servers:?}");
        assert_eq!(h[0], "d.prio.test", "{servers:?}");
        assert_eq!(h[3], "c.prio.test", "{servers:?}");
        *first.entry(h[1].to_owned()).or_insert(0) += 1;
        let ports: HashMap<&str, u16> = servers.iter().map(|(h, p)| (h.as_str(), *p)).collect();
        assert_eq!(ports["a.prio.test"], 1001);
        assert_eq!(ports["c.prio.test"], 1003);
    }
    // Both records of priority 10 lead it, about equally often.
    let a = first.get("a.prio.test").copied().unwrap_or(0);
    assert!(
        (25..=75).contains(&a),
        "a.prio.test led priority 10 {a} times of 100"
    );
    assert_eq!(
        srv.servers("prio.test.", true)
            .await
            .expect("_ldaps records"),
        [("s.prio.test".to_owned(), 1636)]
    );
}

#[tokio::test]
async fn srv_weights_share_the_choices_over_many_resolutions() {
    // TTL 0 (dnsmasq's default): every call asks dnsmasq again.
    let dns = Dnsmasq::start(
        &Zone::new()
            .srv("_ldap._tcp.weight.test", "heavy.weight.test", 389, 10, 30)
            .srv("_ldap._tcp.weight.test", "light.weight.test", 389, 10, 10),
    );
    let srv = lookup(&dns);
    let rounds = 400;
    let mut heavy = 0;
    for _ in 0..rounds {
        let servers = srv
            .servers("weight.test", false)
            .await
            .expect("SRV records");
        assert_eq!(servers.len(), 2, "{servers:?}");
        if servers[0].0 == "heavy.weight.test" {
            heavy += 1;
        }
    }
    assert_eq!(
        dns.queries("SRV", "_ldap._tcp.weight.test"),
        rounds,
        "each resolution asks dnsmasq (TTL 0)\n{}",
        dns.log()
    );
    // 3:1, so 75% (a standard deviation is ~2%); a loose window.
    let share = f64::from(heavy) / f64::from(rounds as u32);
    assert!(
        (0.62..=0.88).contains(&share),
        "heavy first in {share} of resolutions"
    );
}

#[tokio::test]
async fn srv_lists_a_record_that_points_at_a_dead_server() {
    // Nothing listens on the dead server's port: discovery still lists it
    // (in its place by priority), and connecting to it fails; which
    // server to use is the pool's decision.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let dns = Dnsmasq::start(
        &Zone::new()
            .srv("_ldap._tcp.dead.test", "localhost", dead_port, 0, 0)
            .srv("_ldap._tcp.dead.test", "live.dead.test", 389, 1, 0),
    );
    let servers = lookup(&dns)
        .servers("dead.test", false)
        .await
        .expect("SRV records");
    assert_eq!(
        servers,
        [
            ("localhost".to_owned(), dead_port),
            ("live.dead.test".to_owned(), 389)
        ]
    );
    let err = LdapConn::connect(&format!("ldap://localhost:{dead_port}"), ConnConfig::new())
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test]
async fn srv_nxdomain_is_a_clear_error() {
    let dns = Dnsmasq::start(&Zone::new().local("test").srv(
        "_ldap._tcp.example.test",
        "ldap.example.test",
        389,
        0,
        0,
    ));
    let domain = url_domain("ldap:///dc=missing,dc=test").expect("a domain");
    assert_eq!(domain, "missing.test");
    let err = lookup(&dns)
        .servers(&domain, false)
        .await
        .expect_err("NXDOMAIN");
    let Error::Discovery {
        kind,
        query,
        server,
        ..
    } = &err
    else {
        panic!("expected Error::Discovery, got {err:?}");
    };
    assert_eq!(*kind, DiscoveryFailure::NxDomain);
    assert_eq!(query, "_ldap._tcp.missing.test");
    assert_eq!(*server, dns.addr().to_string());
    assert_eq!(
        err.to_string(),
        format!(
            "DNS SRV lookup of _ldap._tcp.missing.test at {}: the name does not exist (NXDOMAIN): check the domain, which comes from the URL's dc= components (ldap:///dc=example,dc=com asks for _ldap._tcp.example.com), or ask the DNS administrator to publish the SRV records",
            dns.addr()
        )
    );
}

#[tokio::test]
async fn srv_no_records_unavailable_and_refused_are_clear_errors() {
    let dns = Dnsmasq::start(
        &Zone::new()
            .local("test")
            .txt("_ldap._tcp.nodata.test", "not an SRV record")
            .srv_unavailable("_ldap._tcp.down.test"),
    );
    let srv = lookup(&dns);
    let addr = dns.addr();

    let err = srv.servers("nodata.test", false).await.expect_err("NODATA");
    assert!(
        matches!(
            &err,
            Error::Discovery {
                kind: DiscoveryFailure::NoRecords,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("DNS SRV lookup of _ldap._tcp.nodata.test at {addr}: the name has no SRV records: publish them (e.g. `_ldap._tcp.example.com. 300 IN SRV 10 50 389 ldap1.example.com.`) or name the servers in the URL (ldap://host)")
    );

    let err = srv.servers("down.test", false).await.expect_err("target .");
    assert!(
        matches!(
            &err,
            Error::Discovery {
                kind: DiscoveryFailure::Unavailable,
                ..
            }
        ),
        "{err:?}\n{}",
        dns.log()
    );
    assert_eq!(
        err.to_string(),
        format!("DNS SRV lookup of _ldap._tcp.down.test at {addr}: the domain says the service is not available there (the SRV record's target is \".\"): name the servers in the URL (ldap://host) or ask the DNS administrator to publish them")
    );

    // Outside the local domain dnsmasq has no upstream and refuses.
    let err = srv
        .servers("example.org", false)
        .await
        .expect_err("REFUSED");
    assert!(
        matches!(
            &err,
            Error::Discovery {
                kind: DiscoveryFailure::Failed,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("DNS SRV lookup of _ldap._tcp.example.org at {addr}: the DNS server answered Query Refused (RCODE 5): check that it serves this domain (or forwards to one that does)")
    );
}

#[tokio::test]
async fn srv_records_are_re_resolved_after_their_ttl() {
    let ttl = Duration::from_secs(3);
    let old = Zone::new()
        .ttl(3)
        .srv("_ldap._tcp.ttl.test", "old.ttl.test", 1001, 0, 0);
    let new = Zone::new()
        .ttl(3)
        .srv("_ldap._tcp.ttl.test", "new.ttl.test", 1002, 0, 0);
    let mut dns = Dnsmasq::start(&old);
    let srv = lookup(&dns);
    let resolved = Instant::now();
    let first = srv.servers("ttl.test", false).await.expect("SRV records");
    assert_eq!(first, [("old.ttl.test".to_owned(), 1001)]);

    // The record changes; within its TTL the cached one is still used,
    // without asking.
    dns.restart(&new);
    let cached = srv
        .servers("ttl.test", false)
        .await
        .expect("cached records");
    assert!(
        resolved.elapsed() < ttl,
        "the restart took {:?}, longer than the TTL: the cache was not tested",
        resolved.elapsed()
    );
    assert_eq!(cached, first);
    assert_eq!(
        dns.queries("SRV", "_ldap._tcp.ttl.test"),
        0,
        "{}",
        dns.log()
    );

    // After the TTL the new record is asked for and used.
    tokio::time::sleep(ttl.saturating_sub(resolved.elapsed()) + Duration::from_millis(200)).await;
    let fresh = srv.servers("ttl.test", false).await.expect("SRV records");
    assert_eq!(fresh, [("new.ttl.test".to_owned(), 1002)]);
    assert_eq!(
        dns.queries("SRV", "_ldap._tcp.ttl.test"),
        1,
        "{}",
        dns.log()
    );
}

#[tokio::test]
async fn srv_finds_slapd_and_the_connection_works() {
    // ldaps:///dc=example,dc=com -> _ldaps._tcp.example.com -> the slapd
    // instance (its certificate names localhost), then SASL EXTERNAL.
    let slapd = Slapd::start_default();
    let dns = Dnsmasq::start(
        &Zone::new()
            .local("com")
            .srv(
                "_ldaps._tcp.example.com",
                "localhost",
                slapd.ldaps_port(),
                0,
                0,
            )
            .srv(
                "_ldap._tcp.example.com",
                "localhost",
                slapd.ldap_port(),
                0,
                0,
            ),
    );
    let domain = url_domain("ldaps:///dc=example,dc=com").expect("a domain");
    assert_eq!(domain, "example.com");
    let servers = lookup(&dns)
        .servers(&domain, true)
        .await
        .expect("SRV records");
    assert_eq!(servers, [("localhost".to_owned(), slapd.ldaps_port())]);
    let (host, port) = &servers[0];
    let (cert, key) = slapd
        .files()
        .client("alice")
        .expect("a client of the test PKI");
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert(ClientCert::from_pem_files(cert, key).expect("alice's certificate"));
    let conn = LdapConn::connect(&format!("ldaps://{host}:{port}"), config)
        .await
        .expect("connect to the server SRV named");
    conn.bind_external(None).await.expect("SASL EXTERNAL");
    assert_eq!(
        conn.whoami().await.expect("whoami").as_deref(),
        Some("dn:uid=alice,ou=people,dc=example,dc=com")
    );
}

#[tokio::test]
async fn srv_callers_that_miss_the_cache_together_share_one_lookup() {
    let dns =
        Dnsmasq::start(
            &Zone::new()
                .ttl(60)
                .srv("_ldap._tcp.many.test", "a.many.test", 389, 0, 0),
        );
    let srv = std::sync::Arc::new(lookup(&dns));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let srv = std::sync::Arc::clone(&srv);
            tokio::spawn(async move { srv.servers("many.test", false).await })
        })
        .collect();
    for task in tasks {
        let servers = task.await.expect("task").expect("SRV records");
        assert_eq!(servers, [("a.many.test".to_owned(), 389)]);
    }
    assert_eq!(
        dns.queries("SRV", "_ldap._tcp.many.test"),
        1,
        "{}",
        dns.log()
    );
}

#[tokio::test]
async fn srv_answers_too_large_for_udp_come_over_tcp() {
    // 200 records do not fit a UDP answer: dnsmasq sets TC and the
    // resolver asks again over TCP.
    let mut zone = Zone::new();
    for i in 0..200u16 {
        zone = zone.srv(
            "_ldap._tcp.big.test",
            &format!("server-with-a-long-name-{i:03}.big.test"),
            1000 + i,
            i % 4,
            10,
        );
    }
    let dns = Dnsmasq::start(&zone);
    let servers = lookup(&dns)
        .servers("big.test", false)
        .await
        .expect("SRV records over TCP");
    assert_eq!(servers.len(), 200);
    // Priority 0 first: ports 1000, 1004, ...
    assert!(
        servers[..50].iter().all(|(_, port)| (port - 1000) % 4 == 0),
        "{servers:?}"
    );
    assert!(
        servers[150..]
            .iter()
            .all(|(_, port)| (port - 1000) % 4 == 3),
        "{servers:?}"
    );
    // Asked twice: over UDP, then over TCP, which dnsmasq answers from a
    // child process (another pid in its log).
    let log = dns.log();
    let pids: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("query[SRV] _ldap._tcp.big.test"))
        .filter_map(|l| l.split("dnsmasq[").nth(1)?.split(']').next())
        .collect();
    assert_eq!(pids.len(), 2, "{log}");
    assert_ne!(pids[0], pids[1], "{log}");
}
