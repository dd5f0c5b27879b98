//! The 389-DS harness itself: one shared instance per policy, listening on
//! 127.0.0.1 only, holding the test users, with its configuration as
//! documented in `support/ds389.rs`.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokio_ldap::{ConnConfig, LdapConn, Scope, Search};

use crate::support::ds389::{edit_dse, ClientAuth, Ds389};

#[test]
fn shared_instance_is_created_once_per_policy() {
    let ds = Ds389::shared(ClientAuth::Required);
    assert!(
        ds.version().contains("389-Directory/2."),
        "{}",
        ds.version()
    );
    assert!(std::ptr::eq(ds, Ds389::shared(ClientAuth::Required)));
    let allowed = Ds389::shared(ClientAuth::Allowed);
    assert!(!std::ptr::eq(ds, allowed), "one instance per policy");
    assert_ne!(ds.name(), allowed.name());
    assert_eq!(ds.client_auth(), ClientAuth::Required);
    assert_eq!(allowed.client_auth(), ClientAuth::Allowed);
    let dse = std::fs::read_to_string(format!("/etc/dirsrv/slapd-{}/dse.ldif", ds.name())).unwrap();
    for line in [
        "nsslapd-listenhost: 127.0.0.1",
        "nsslapd-securelistenhost: 127.0.0.1",
        "nsslapd-security: on",
        "nsSSLClientAuth: required",
    ] {
        assert!(dse.lines().any(|l| l == line), "dse.ldif lacks {line:?}");
    }
}

/// Bound to 127.0.0.1, not to every address: 127.0.0.2 (loopback too, so
/// this needs no network) is refused.
#[test]
fn listens_on_127_0_0_1_only() {
    let ds = Ds389::shared(ClientAuth::Required);
    for url in [ds.ldap_url(), ds.ldaps_url()] {
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        let timeout = Duration::from_secs(5);
        let here = SocketAddr::from(([127, 0, 0, 1], port));
        TcpStream::connect_timeout(&here, timeout)
            .unwrap_or_else(|e| panic!("{url} does not answer on {here}: {e}"));
        let elsewhere = SocketAddr::from(([127, 0, 0, 2], port));
        let err = TcpStream::connect_timeout(&elsewhere, timeout)
            .expect_err("the server listens on 127.0.0.2 too");
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::ConnectionRefused,
            "{url}: {err}"
        );
    }
}

/// The users are there, each with `cn: <uid>` for the certificate mapping,
/// and a simple bind works over TLS without a client certificate where the
/// policy allows it.
#[tokio::test]
async fn holds_the_test_users() {
    let ds = Ds389::shared(ClientAuth::Allowed);
    let config = ConnConfig::new()
        .ca_file(&ds.files().ca_a)
        .connect_timeout(Some(Duration::from_secs(10)));
    let conn = LdapConn::connect(&ds.ldaps_url(), config).await.unwrap();
    let alice = &ds.users()[0];
    conn.bind_simple(alice.dn, alice.password).await.unwrap();
    let found = conn
        .search_all(
            Search::new("ou=people,dc=example,dc=com")
                .scope(Scope::OneLevel)
                .filter("(objectClass=inetOrgPerson)")
                .attributes(["uid", "cn", "mail"]),
        )
        .await
        .unwrap();
    let mut got: Vec<(String, Vec<String>)> = found
        .entries
        .iter()
        .map(|e| {
            let mut cns: Vec<String> = e
                .get("cn")
                .map(|a| {
                    a.values()
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                        .collect()
                })
                .unwrap_or_default();
            cns.sort();
            (e.dn.to_string(), cns)
        })
        .collect();
    got.sort();
    let want: Vec<(String, Vec<String>)> = ds
        .users()
        .iter()
        .map(|u| {
            let mut cns = vec![u.cn.to_owned(), u.uid.to_owned()];
            cns.sort();
            (u.dn.to_owned(), cns)
        })
        .collect();
    assert_eq!(got, want);
}

/// The offline configuration edit replaces attributes instead of adding a
/// second value, and a dse.ldif without the entries it edits is an error
/// that says which entry is missing.
#[test]
fn dse_edit_replaces_and_fails_loudly() {
    let dse = "dn: cn=config\ncn: config\nnsslapd-security: off\nnsslapd-port: 389\n\n\
               dn: cn=encryption,cn=config\ncn: encryption\nnsSSLClientAuth: allowed\n\n\
               dn: cn=features,cn=config\ncn: features\n";
    let edited = edit_dse(dse, ClientAuth::Required).unwrap();
    assert_eq!(
        edited,
        "dn: cn=config\ncn: config\nnsslapd-port: 389\nnsslapd-listenhost: 127.0.0.1\n\
         nsslapd-securelistenhost: 127.0.0.1\nnsslapd-security: on\n\n\
         dn: cn=encryption,cn=config\ncn: encryption\nnsSSLClientAuth: required\n\n\
         dn: cn=features,cn=config\ncn: features\n"
    );
    let err = edit_dse("dn: cn=config\ncn: config\n", ClientAuth::Allowed).unwrap_err();
    assert_eq!(err, "dse.ldif has no entry cn=encryption,cn=config");
}
