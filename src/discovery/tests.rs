use super::*;
#[cfg(not(feature = "srv"))]
use crate::error::Error;
use crate::proto::url::LdapUrl;

fn domain(url: &str) -> Option<String> {
    srv_domain(&LdapUrl::parse(url).expect("test URL parses"))
}

#[test]
fn srv_domain_reads_the_dc_components_of_a_hostless_url() {
    assert_eq!(
        domain("ldap:///dc=example,dc=com").as_deref(),
        Some("example.com")
    );
    assert_eq!(
        domain("ldaps:///dc=example,dc=com").as_deref(),
        Some("example.com")
    );
    // The RDNs before the dc components do not count.
    assert_eq!(
        domain("ldap:///uid=jo,ou=people,dc=example,dc=com").as_deref(),
        Some("example.com")
    );
    // Case, the long name and the OID of the attribute type.
    assert_eq!(
        domain("ldap:///DC=Example,domainComponent=org").as_deref(),
        Some("Example.org")
    );
    assert_eq!(
        domain("ldap:///0.9.2342.19200300.100.1.25=corp,dc=example").as_deref(),
        Some("corp.example")
    );
    // Another RDN starts the domain afresh, as OpenLDAP's ldap_dn2domain does.
    assert_eq!(
        domain("ldap:///dc=a,ou=x,dc=example,dc=com").as_deref(),
        Some("example.com")
    );
    // A URL-encoded DN with a query part.
    assert_eq!(
        domain("ldap:///dc=example,dc=com?cn?sub?(uid=x)").as_deref(),
        Some("example.com")
    );
    assert_eq!(
        domain("ldap:///dc%3Dexample,dc%3Dcom").as_deref(),
        Some("example.com")
    );
}

#[test]
fn srv_domain_is_none_for_urls_that_name_no_domain() {
    for url in [
        // A host: the URL names its server.
        "ldap://ldap.example.com/dc=example,dc=com",
        "ldap://127.0.0.1:389/dc=example,dc=com",
        // No DN, or no dc component in it.
        "ldap:///",
        "ldap://",
        "ldap:///o=example",
        // dc components followed by another RDN.
        "ldap:///dc=example,dc=com,o=internet",
        // A multi-valued RDN, a #hex value, an empty value.
        "ldap:///dc=example+cn=x",
        "ldap:///dc=#0403636f6d",
        "ldap:///dc=",
        // ldapi names a socket.
        "ldapi:///dc=example,dc=com",
        // A DN that does not parse.
        "ldap:///dc=example,,dc=com",
    ] {
        assert_eq!(domain(url), None, "{url}");
    }
}

/// The selection and the resolver, built with the feature.
#[cfg(feature = "srv")]
mod srv {
    use std::collections::HashMap;
    use std::time::Duration;

    use rand::rngs::StdRng;
    use rand::SeedableRng as _;

    use super::*;
    use crate::error::{DiscoveryFailure, Error};

    fn record(priority: u16, weight: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port: 389,
            target: target.to_owned(),
        }
    }

    fn hosts(servers: &[SrvServer]) -> Vec<&str> {
        servers.iter().map(|s| s.host.as_str()).collect()
    }

    #[test]
    fn order_tries_lower_priorities_first_whatever_their_weight() {
        let records = [
            record(20, 1000, "c"),
            record(10, 1, "a"),
            record(30, 0, "d"),
            record(10, 1, "b"),
        ];
        let mut rng = StdRng::seed_from_u64(1);
        let mut first_of_ten = HashMap::new();
        for _ in 0..200 {
            let order = order(&records, &mut rng);
            let h = hosts(&order);
            assert_eq!(h.len(), 4);
            assert_eq!(&h[2..], ["c", "d"], "{h:?}");
            *first_of_ten.entry(h[0].to_owned()).or_insert(0) += 1;
        }
        // Both priority-10 records come first, each about half the time.
        let a = first_of_ten.get("a").copied().unwrap_or(0);
        assert!((60..=140).contains(&a), "a first {a} times of 200");
    }

    #[test]
    fn order_draws_by_weight_within_a_priority() {
        // 3:1 over 2,000 draws: the heavier record comes first 75% of the time.
        let records = [record(10, 30, "heavy"), record(10, 10, "light")];
        let mut rng = StdRng::seed_from_u64(2782);
        let draws = 2000;
        let mut heavy_first = 0;
        for _ in 0..draws {
            let order = order(&records, &mut rng);
            assert_eq!(order.len(), 2);
            if order[0].host == "heavy" {
                heavy_first += 1;
            }
        }
        let share = f64::from(heavy_first) / f64::from(draws);
        // One standard deviation is ~1%: 4% is a wide margin, and a 1:1 or
        // 1:3 selection falls far outside it.
        assert!(
            (0.71..=0.79).contains(&share),
            "heavy first in {share} of draws"
        );
    }

    #[test]
    fn order_gives_three_weights_their_shares() {
        let records = [record(0, 60, "a"), record(0, 30, "b"), record(0, 10, "c")];
        let mut rng = StdRng::seed_from_u64(7);
        let mut first = HashMap::new();
        for _ in 0..4000 {
            *first
                .entry(order(&records, &mut rng)[0].host.clone())
                .or_insert(0u32) += 1;
        }
        for (host, expected) in [("a", 0.6), ("b", 0.3), ("c", 0.1)] {
            let share = f64::from(first.get(host).copied().unwrap_or(0)) / 4000.0;
            assert!(
                (share - expected).abs() < 0.03,
                "{host}: {share}, expected {expected}"
            );
        }
    }

    #[test]
    fn equal_weights_get_equal_shares() {
        // RFC 2782's draw from 0 to the sum, taken literally, would put the
        // first of two weight-1 records first two times in three.
        let records = [record(0, 1, "first"), record(0, 1, "second")];
        let mut rng = StdRng::seed_from_u64(5);
        let mut first = 0;
        for _ in 0..4000 {
            if order(&records, &mut rng)[0].host == "first" {
                first += 1;
            }
        }
        assert!(
            (1850..=2150).contains(&first),
            "first drawn first {first} times of 4000"
        );
    }

    #[test]
    fn weight_zero_has_a_very_small_chance_among_weighted_records() {
        // RFC 2782: weight 0 records go to the front of the list, so one is
        // drawn only when the number drawn is 0: 1 chance in (sum + 1).
        let records = [record(10, 0, "zero"), record(10, 99, "ninety-nine")];
        let mut rng = StdRng::seed_from_u64(3);
        let mut zero_first = 0;
        for _ in 0..10_000 {
            if order(&records, &mut rng)[0].host == "zero" {
                zero_first += 1;
            }
        }
        // Expected 100 of 10,000 (1 in 100).
        assert!(
            (50..=160).contains(&zero_first),
            "zero first {zero_first} times"
        );
    }

    #[test]
    fn weight_zero_records_alone_come_in_a_random_order() {
        let records = [record(5, 0, "a"), record(5, 0, "b"), record(5, 0, "c")];
        let mut rng = StdRng::seed_from_u64(11);
        let mut firsts = HashMap::new();
        for _ in 0..3000 {
            let order = order(&records, &mut rng);
            let mut h = hosts(&order);
            *firsts.entry(h[0].to_owned()).or_insert(0u32) += 1;
            h.sort_unstable();
            assert_eq!(h, ["a", "b", "c"]);
        }
        for host in ["a", "b", "c"] {
            let n = firsts.get(host).copied().unwrap_or(0);
            assert!((850..=1150).contains(&n), "{host} first {n} times of 3000");
        }
    }

    #[test]
    fn order_is_repeatable_with_a_seeded_source() {
        let records: Vec<SrvRecord> = (0..8)
            .map(|i| record(i % 3, 10 * (i + 1), &format!("h{i}")))
            .collect();
        let a = order(&records, &mut StdRng::seed_from_u64(42));
        let b = order(&records, &mut StdRng::seed_from_u64(42));
        assert_eq!(a, b);
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn order_leaves_out_dot_targets_and_keeps_ports() {
        let records = [
            SrvRecord {
                priority: 1,
                weight: 1,
                port: 3890,
                target: "ldap1.example.com".to_owned(),
            },
            record(0, 1, ""),
        ];
        let order = order(&records, &mut StdRng::seed_from_u64(0));
        assert_eq!(
            order,
            [SrvServer {
                host: "ldap1.example.com".to_owned(),
                port: 3890
            }]
        );
        assert_eq!(order[0].to_string(), "ldap1.example.com:3890");
        assert!(super::order(&[record(0, 0, "")], &mut StdRng::seed_from_u64(0)).is_empty());
        assert!(super::order(&[], &mut StdRng::seed_from_u64(0)).is_empty());
    }

    #[test]
    fn order_copes_with_the_largest_weights() {
        let records: Vec<SrvRecord> = (0..2000)
            .map(|i| record(0, u16::MAX, &format!("h{i}")))
            .collect();
        let order = order(&records, &mut rand::rng());
        assert_eq!(order.len(), 2000);
    }

    proptest::proptest! {
        /// Whatever the records and the seed: every usable record once,
        /// none of the `.` ones, priorities never decreasing.
        #[test]
        fn order_is_a_priority_sorted_permutation_of_the_usable_records(
            records in proptest::collection::vec(
                (0u16..4, proptest::prelude::any::<u16>(), 0u16..3, 0usize..4),
                0..40,
            ),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let records: Vec<SrvRecord> = records
                .iter()
                .enumerate()
                .map(|(i, &(priority, weight, weight_kind, dot))| SrvRecord {
                    priority,
                    // Many zero and small weights, some of any size.
                    weight: match weight_kind {
                        0 => 0,
                        1 => weight % 4,
                        _ => weight,
                    },
                    port: u16::try_from(i).unwrap_or(u16::MAX),
                    target: if dot == 0 { String::new() } else { format!("h{i}") },
                })
                .collect();
            let order = order(&records, &mut StdRng::seed_from_u64(seed));
            let mut got: Vec<u16> = order.iter().map(|s| s.port).collect();
            got.sort_unstable();
            let want: Vec<u16> = records
                .iter()
                .filter(|r| !r.target.is_empty())
                .map(|r| r.port)
                .collect();
            proptest::prop_assert_eq!(got, want);
            let priorities: Vec<u16> = order
                .iter()
                .map(|s| records[usize::from(s.port)].priority)
                .collect();
            proptest::prop_assert!(priorities.windows(2).all(|w| w[0] <= w[1]), "{:?}", priorities);
            for server in &order {
                proptest::prop_assert_eq!(&server.host, &records[usize::from(server.port)].target);
            }
        }
    }

    /// A DNS server that never answers: the lookup fails in time, saying so.
    #[tokio::test]
    async fn a_dns_server_that_does_not_answer_gives_a_timeout_error() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
        let addr = silent.local_addr().expect("its address");
        let resolver =
            SrvResolver::with_timeout(Some(addr), Duration::from_millis(200)).expect("resolver");
        let started = std::time::Instant::now();
        let err = resolver
            .servers("example.test", false)
            .await
            .expect_err("no answer");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let Error::Discovery {
            kind,
            query,
            server,
            ..
        } = &err
        else {
            panic!("expected a discovery error, got {err:?}");
        };
        assert_eq!(*kind, DiscoveryFailure::Timeout);
        assert_eq!(query, "_ldap._tcp.example.test");
        assert_eq!(*server, addr.to_string());
        assert_eq!(
            err.to_string(),
            format!(
                "DNS SRV lookup of _ldap._tcp.example.test at {addr}: no answer within 1.4s: check that the DNS server runs and can be reached over UDP and TCP"
            )
        );
        drop(silent);
    }

    /// Callers waiting behind a lookup that fails take its error rather
    /// than each asking (and waiting) again: a dead DNS server costs each
    /// caller one timeout.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_behind_a_failed_lookup_share_its_error() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;

        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
        silent
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("read timeout");
        let addr = silent.local_addr().expect("its address");
        let received = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let counter = {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    if silent.recv_from(&mut buf).is_ok() {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        let resolver = Arc::new(
            SrvResolver::with_timeout(Some(addr), Duration::from_millis(200)).expect("resolver"),
        );
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let resolver = Arc::clone(&resolver);
                tokio::spawn(async move { resolver.servers("example.test", false).await })
            })
            .collect();
        for caller in callers {
            let err = caller.await.expect("task").expect_err("no answer");
            assert!(
                matches!(
                    err,
                    Error::Discovery {
                        kind: DiscoveryFailure::Timeout,
                        ..
                    }
                ),
                "{err:?}"
            );
        }
        stop.store(true, Ordering::Relaxed);
        counter.join().expect("counter thread");
        // A lookup sends two or three datagrams (two attempts, and
        // hickory's own retry); one lookup for all eight callers, perhaps a
        // second for one that came late, not one each (24 datagrams).
        let n = received.load(Ordering::Relaxed);
        assert!((1..=6).contains(&n), "the silent server got {n} queries");
    }

    /// A DNS server whose answers do not parse: an error in bounded
    /// time, no panic.
    #[tokio::test]
    async fn an_answer_that_does_not_parse_gives_an_error() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
        server
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("read timeout");
        let addr = server.local_addr().expect("its address");
        let responder = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            let mut answered = 0;
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                // The query's ID and a header that promises one question
                // and 65,535 answers, then nothing.
                let mut reply = buf.get(..2.min(n)).unwrap_or_default().to_vec();
                reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0xff, 0xff, 0, 0, 0, 0]);
                let _ = server.send_to(&reply, from);
                answered += 1;
                if answered == 8 {
                    break;
                }
            }
            answered
        });
        let resolver =
            SrvResolver::with_timeout(Some(addr), Duration::from_millis(300)).expect("resolver");
        let err = resolver
            .servers("example.test", false)
            .await
            .expect_err("garbage");
        assert!(
            matches!(
                err,
                Error::Discovery {
                    kind: DiscoveryFailure::Failed,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "DNS SRV lookup of _ldap._tcp.example.test at {addr}: the answer does not parse (decoding error: unexpected end of input reached): check that this address is a DNS server"
            )
        );
        assert!(responder.join().expect("responder") >= 1);
    }

    #[tokio::test]
    async fn a_domain_that_is_no_dns_name_is_invalid_input() {
        let resolver = SrvResolver::with_timeout(
            Some("127.0.0.1:9".parse().expect("address")),
            Duration::from_millis(100),
        )
        .expect("resolver");
        let long = "a".repeat(64);
        let err = resolver
            .servers(&format!("{long}.example"), true)
            .await
            .expect_err("a label of 64 octets");
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert!(
            err.to_string().starts_with(&format!(
                "invalid input: DNS SRV discovery: _ldaps._tcp.{long}.example is not a DNS name: "
            )),
            "{err}"
        );
    }

    #[test]
    fn the_system_configuration_names_its_servers_in_errors() {
        // With no name server given, the resolver reads the system's
        // configuration; an error names the servers it lists.
        match SrvResolver::new(None) {
            Ok(resolver) => assert!(
                resolver.server().starts_with("the system's name servers ("),
                "{}",
                resolver.server()
            ),
            Err(e) => assert!(
                e.to_string()
                    .starts_with("configuration error: DNS SRV discovery: "),
                "{e}"
            ),
        }
    }
}

/// Without the `srv` feature the resolver says how to get it.
#[cfg(not(feature = "srv"))]
#[tokio::test]
async fn without_the_feature_the_resolver_says_how_to_turn_it_on() {
    let err = SrvResolver::new(None)
        .err()
        .expect("no resolver in this build");
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "configuration error: DNS SRV discovery (ldap:///dc=... URLs) needs tokio-ldap's `srv` feature, which this build leaves out: enable it, or name the servers in the URL (ldap://host)"
    );
}
