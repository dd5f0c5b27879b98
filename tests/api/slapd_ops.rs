//! Every operation against a real slapd, and a differential check of search
//! results against `ldapsearch -LLL`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use tokio_ldap::controls;
use tokio_ldap::proto::extended::PasswordModify;
use tokio_ldap::proto::{Attribute, SearchResultEntry};
use tokio_ldap::{
    ClientCert, ConnConfig, Error, LdapConn, Modification, ModifyOp, OpOptions, ResultCode, Scope,
    Search, SearchItem,
};

use crate::support::slapd::{Slapd, SlapdOptions, ADMIN_DN, ADMIN_PW, BASE_DN, PEOPLE_DN};

const BULK: usize = 5_000;

fn bulk_ldif() -> String {
    let mut s = String::from(
        "dn: ou=bulk,dc=example,dc=com\nobjectClass: organizationalUnit\nou: bulk\n\n",
    );
    for i in 0..BULK {
        let _ = write!(
            s,
            "dn: uid=u{i:05},ou=bulk,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: u{i:05}\ncn: User {i}\nsn: {i}\n\n"
        );
    }
    s
}

fn attr(name: &str, values: &[&str]) -> Attribute {
    Attribute::new(name, values)
}

fn values(e: &SearchResultEntry, name: &str) -> Vec<String> {
    e.attributes
        .iter()
        .filter(|a| a.name().eq_ignore_ascii_case(name))
        .flat_map(|a| a.values().map(|v| String::from_utf8_lossy(v).into_owned()))
        .collect()
}

async fn admin(slapd: &Slapd) -> LdapConn {
    let config = ConnConfig::new().ca_file(&slapd.files().ca_a);
    // ldaps under `demand` needs a certificate; the admin uses alice's and
    // then binds simply as the rootdn.
    let (cert, key) = slapd
        .files()
        .client("alice")
        .expect("a client of the test PKI");
    let config = config.client_cert(ClientCert::from_pem_files(cert, key).unwrap());
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    conn.bind_simple(ADMIN_DN, ADMIN_PW).await.unwrap();
    conn
}

fn server() -> Slapd {
    Slapd::start(SlapdOptions {
        extra_ldif: bulk_ldif(),
        ..Default::default()
    })
}

#[tokio::test]
async fn simple_bind_refusals_and_errors() {
    let slapd = Slapd::start_default();
    // Over plain ldap:// the password is refused locally ...
    let plain = LdapConn::connect(&slapd.ldap_url(), ConnConfig::new())
        .await
        .unwrap();
    let err = plain.bind_simple(ADMIN_DN, ADMIN_PW).await.unwrap_err();
    assert!(matches!(err, Error::InsecurePassword), "{err}");
    // ... unless allowed explicitly.
    let allowed = ConnConfig::new().allow_insecure_password(true);
    let plain = LdapConn::connect(&slapd.ldap_url(), allowed).await.unwrap();
    plain.bind_simple(ADMIN_DN, ADMIN_PW).await.unwrap();
    assert_eq!(
        plain.whoami().await.unwrap().as_deref(),
        Some("dn:cn=admin,dc=example,dc=com")
    );
    let err = plain.bind_simple(ADMIN_DN, "wrong").await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    assert_eq!(err.to_string(), "bind failed: invalidCredentials (49)");
    // StartTLS, then a user's password.
    let tls = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .starttls(true);
    let (cert, key) = slapd
        .files()
        .client("bob")
        .expect("a client of the test PKI");
    let tls = tls.client_cert(ClientCert::from_pem_files(cert, key).unwrap());
    let conn = LdapConn::connect(&slapd.ldap_url(), tls).await.unwrap();
    conn.bind_simple("uid=alice,ou=people,dc=example,dc=com", "alicepw")
        .await
        .unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:uid=alice,ou=people,dc=example,dc=com")
    );
}

#[tokio::test]
async fn search_scopes_and_every_filter_kind() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    let count = |scope, filter: &'static str| {
        let conn = conn.clone();
        async move {
            let s = Search::new(PEOPLE_DN)
                .scope(scope)
                .filter(filter)
                .attributes(["uid"]);
            conn.search_all(s).await.map(|r| r.entries.len())
        }
    };
    assert_eq!(count(Scope::Base, "(objectClass=*)").await.unwrap(), 1);
    assert_eq!(count(Scope::OneLevel, "(objectClass=*)").await.unwrap(), 3);
    assert_eq!(count(Scope::Subtree, "(objectClass=*)").await.unwrap(), 4);
    assert_eq!(
        count(Scope::Subordinate, "(objectClass=*)").await.unwrap(),
        3
    );
    let cases: &[(&str, usize)] = &[
        ("(uid=alice)", 1),
        ("(uid=a*)", 1),
        ("(cn=*o*)", 2),
        ("(uid=*l)", 1),
        ("(createTimestamp>=20000101000000Z)", 4),
        ("(createTimestamp<=20000101000000Z)", 0),
        ("(mail=*)", 3),
        ("(uid~=alice)", 1),
        ("(&(objectClass=inetOrgPerson)(|(uid=alice)(uid=bob)))", 2),
        ("(!(uid=alice))", 3),
        ("(uid:caseExactMatch:=alice)", 1),
        ("(uid:dn:=carol)", 1),
        ("(&)", 4),
        ("(|)", 0),
        ("(cn=\\2a)", 0),
    ];
    for (filter, want) in cases {
        let got = count(Scope::Subtree, filter).await.unwrap();
        assert_eq!(got, *want, "{filter}");
    }
    let err = count(Scope::Subtree, "(uid=alice").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    let err = conn
        .search_all(Search::new("ou=nowhere,dc=example,dc=com"))
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::NO_SUCH_OBJECT));
    assert!(
        err.to_string()
            .starts_with("search failed: noSuchObject (32)"),
        "{err}"
    );
}

#[tokio::test]
async fn paged_search_over_many_entries_and_abandon() {
    let slapd = server();
    let conn = admin(&slapd).await;
    let base = "ou=bulk,dc=example,dc=com";
    let s = Search::new(base)
        .scope(Scope::OneLevel)
        .filter("(objectClass=inetOrgPerson)")
        .attributes(["uid"]);
    let all = conn.search_paged(s.clone(), 500).await.unwrap();
    assert_eq!(all.entries.len(), BULK);
    let mut uids: Vec<String> = all.entries.iter().flat_map(|e| values(e, "uid")).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), BULK);

    // The same, one item at a time, one page in flight at a time.
    let mut pages = conn.search_pages(s.clone(), 1_000);
    let mut n = 0;
    while let Some(item) = pages.next_item().await.unwrap() {
        assert!(matches!(item, SearchItem::Entry(_)));
        n += 1;
    }
    assert_eq!(n, BULK);
    assert_eq!(pages.done().unwrap().result.code, ResultCode::SUCCESS);

    // Abandon a running search by dropping its stream; the connection
    // keeps working.
    let mut stream = conn.search(s).await.unwrap();
    for _ in 0..10 {
        assert!(matches!(
            stream.next_item().await.unwrap(),
            Some(SearchItem::Entry(_))
        ));
    }
    drop(stream);
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:cn=admin,dc=example,dc=com")
    );

    // A size limit is not an error: the entries come with the result code.
    let limited = Search::new(base).scope(Scope::OneLevel).size_limit(7);
    let r = conn.search_all(limited).await.unwrap();
    assert_eq!(r.entries.len(), 7);
    assert_eq!(r.result.unwrap().code, ResultCode::SIZE_LIMIT_EXCEEDED);
}

#[tokio::test]
async fn add_modify_compare_rename_delete() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    let dn = "uid=dave,ou=people,dc=example,dc=com";
    conn.add(
        dn,
        vec![
            attr("objectClass", &["inetOrgPerson", "posixAccount"]),
            attr("uid", &["dave"]),
            attr("cn", &["Dave"]),
            attr("sn", &["D"]),
            attr("uidNumber", &["1000"]),
            attr("gidNumber", &["1000"]),
            attr("homeDirectory", &["/home/dave"]),
        ],
    )
    .await
    .unwrap();
    let err = conn
        .add(
            dn,
            vec![
                attr("objectClass", &["inetOrgPerson"]),
                attr("sn", &["x"]),
                attr("cn", &["x"]),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::ENTRY_ALREADY_EXISTS));

    let m = |op, name, vals: &[&str]| Modification::new(op, attr(name, vals));
    conn.modify(
        dn,
        vec![
            m(
                ModifyOp::Add,
                "mail",
                &["dave@example.com", "d@example.com"],
            ),
            m(ModifyOp::Delete, "mail", &["d@example.com"]),
            m(ModifyOp::Replace, "sn", &["Dee"]),
            m(ModifyOp::Increment, "uidNumber", &["5"]),
        ],
    )
    .await
    .unwrap();
    let got = conn
        .search_all(Search::new(dn).scope(Scope::Base))
        .await
        .unwrap();
    let e = &got.entries[0];
    assert_eq!(values(e, "mail"), ["dave@example.com"]);
    assert_eq!(values(e, "sn"), ["Dee"]);
    assert_eq!(values(e, "uidNumber"), ["1005"]);

    // displayName is single-valued: a constraint violation.
    let err = conn
        .modify(dn, vec![m(ModifyOp::Add, "displayName", &["a", "b"])])
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::CONSTRAINT_VIOLATION));
    assert!(
        err.to_string()
            .starts_with("modify failed: constraintViolation (19)"),
        "{err}"
    );

    assert!(conn.compare(dn, "sn", "Dee").await.unwrap());
    assert!(!conn.compare(dn, "sn", "Nope").await.unwrap());

    // Rename and move under a new superior.
    conn.add(
        "ou=staff,dc=example,dc=com",
        vec![
            attr("objectClass", &["organizationalUnit"]),
            attr("ou", &["staff"]),
        ],
    )
    .await
    .unwrap();
    conn.modify_dn(dn, "uid=david", true, Some("ou=staff,dc=example,dc=com"))
        .await
        .unwrap();
    let moved = "uid=david,ou=staff,dc=example,dc=com";
    let got = conn
        .search_all(Search::new(moved).scope(Scope::Base).attributes(["uid"]))
        .await
        .unwrap();
    assert_eq!(values(&got.entries[0], "uid"), ["david"]);
    conn.delete(moved).await.unwrap();
    let err = conn.delete(moved).await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::NO_SUCH_OBJECT));
    conn.delete("ou=staff,dc=example,dc=com").await.unwrap();
}

#[tokio::test]
async fn password_modify_and_whoami() {
    let slapd = Slapd::start_default();
    let (cert, key) = slapd
        .files()
        .client("carol")
        .expect("a client of the test PKI");
    let config = ConnConfig::new()
        .ca_file(&slapd.files().ca_a)
        .client_cert(ClientCert::from_pem_files(cert, key).unwrap());
    let conn = LdapConn::connect(&slapd.ldaps_url(), config.clone())
        .await
        .unwrap();
    conn.bind_simple("uid=carol,ou=people,dc=example,dc=com", "carolpw")
        .await
        .unwrap();
    let generated = conn
        .password_modify(PasswordModify::new().old_password("carolpw"))
        .await
        .unwrap();
    let new = generated.expect("slapd generates a password when none is given");
    let new = String::from_utf8(new.expose().to_vec()).unwrap();
    let conn = LdapConn::connect(&slapd.ldaps_url(), config).await.unwrap();
    let err = conn
        .bind_simple("uid=carol,ou=people,dc=example,dc=com", "carolpw")
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    conn.bind_simple("uid=carol,ou=people,dc=example,dc=com", &new)
        .await
        .unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:uid=carol,ou=people,dc=example,dc=com")
    );
}

#[tokio::test]
async fn controls_assertion_read_entry_manage_dsa_it_and_referrals() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    let alice = "uid=alice,ou=people,dc=example,dc=com";

    // Assertion (RFC 4528): the modify only happens if the filter matches.
    let assert_ctl = controls::Assertion::new("(sn=NotAlice)".parse().unwrap());
    let change = vec![Modification::new(
        ModifyOp::Replace,
        attr("description", &["x"]),
    )];
    let err = conn
        .with(OpOptions::new().control(assert_ctl))
        .modify(alice, change.clone())
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::ASSERTION_FAILED));

    // Post-read (RFC 4527): the entry as it is after the change comes back.
    let post = controls::PostRead::new(["description"]);
    let resp = conn
        .with(OpOptions::new().control(post))
        .detailed()
        .modify(alice, change)
        .await
        .unwrap();
    assert_eq!(resp.result().code, ResultCode::SUCCESS);
    let read = resp
        .control::<controls::ReadEntry>()
        .expect("a post-read response control")
        .unwrap();
    assert!(read.post);
    assert_eq!(values(&read.entry, "description"), ["x"]);

    // A referral object, added with ManageDsaIT (RFC 3296), comes back as
    // a continuation reference from a subtree search, and as a referral
    // result for a base search.
    conn.with(OpOptions::new().control(controls::ManageDsaIt.to_control()))
        .add(
            "ou=elsewhere,dc=example,dc=com",
            vec![
                attr("objectClass", &["referral", "extensibleObject"]),
                attr("ou", &["elsewhere"]),
                attr(
                    "ref",
                    &["ldap://other.example.com/ou=elsewhere,dc=example,dc=com"],
                ),
            ],
        )
        .await
        .unwrap();
    let r = conn
        .search_all(Search::new(BASE_DN).filter("(ou=*)"))
        .await
        .unwrap();
    assert_eq!(
        r.references,
        ["ldap://other.example.com/ou=elsewhere,dc=example,dc=com??sub"]
    );
    let err = conn
        .search_all(Search::new("ou=elsewhere,dc=example,dc=com").scope(Scope::Base))
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::REFERRAL));
    let Error::Ldap(le) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        le.result().referrals[0],
        "ldap://other.example.com/ou=elsewhere,dc=example,dc=com??base"
    );
    // With ManageDsaIT the referral object itself is returned.
    let r = conn
        .with(OpOptions::new().control(controls::ManageDsaIt.to_control()))
        .search_all(Search::new("ou=elsewhere,dc=example,dc=com").scope(Scope::Base))
        .await
        .unwrap();
    assert_eq!(r.entries.len(), 1);
}

/// Parses `ldapsearch -LLL` output into dn -> attribute -> values.
fn parse_ldif(text: &str) -> BTreeMap<String, BTreeMap<String, Vec<Vec<u8>>>> {
    let mut out = BTreeMap::new();
    // Unfold continuation lines.
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
                continue;
            }
        }
        lines.push(line.to_owned());
    }
    let mut dn = None;
    for line in lines {
        if line.is_empty() {
            dn = None;
            continue;
        }
        let (name, value) = if let Some((n, v)) = line.split_once(":: ") {
            (n.to_owned(), base64(v))
        } else if let Some((n, v)) = line.split_once(": ") {
            (n.to_owned(), v.as_bytes().to_vec())
        } else {
            continue;
        };
        if name == "dn" {
            let d = String::from_utf8(value).unwrap();
            out.insert(d.clone(), BTreeMap::new());
            dn = Some(d);
        } else if let Some(d) = &dn {
            out.get_mut(d)
                .unwrap()
                .entry(name.to_lowercase())
                .or_insert_with(Vec::new)
                .push(value);
        }
    }
    out
}

fn base64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = A.iter().position(|a| *a == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn search_results_equal_ldapsearch_output() {
    let slapd = server();
    // Non-ASCII and binary values, to exercise base64 in the LDIF.
    slapd.add_ldif(
        "dn: uid=zoe,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: zoe\ncn:: WsO2w6s=\nsn: Ünïcödé\njpegPhoto:: AAEC/w==\n",
    );
    let conn = LdapConn::connect(&slapd.ldapi_url(), ConnConfig::new())
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    let queries: &[(&str, &str, &[&str])] = &[
        (BASE_DN, "(objectClass=*)", &[]),
        (PEOPLE_DN, "(uid=*)", &["cn", "sn", "mail", "jpegPhoto"]),
        (
            "ou=bulk,dc=example,dc=com",
            "(&(objectClass=inetOrgPerson)(cn=User 1*))",
            &["uid", "cn"],
        ),
        (BASE_DN, "(|(uid=zoe)(uid=carol))", &[]),
        (
            PEOPLE_DN,
            "(createTimestamp>=20000101000000Z)",
            &["uid", "createTimestamp"],
        ),
    ];
    let url = slapd.ldapi_url();
    for (base, filter, attrs) in queries {
        let mut args = vec![
            "-LLL",
            "-Y",
            "EXTERNAL",
            "-H",
            &url,
            "-o",
            "ldif-wrap=no",
            "-z",
            "0",
            "-b",
            base,
            filter,
        ];
        args.extend(attrs.iter().copied());
        let text = slapd.ldap_tool("ldapsearch", &args);
        let want = parse_ldif(&text);
        let ours = conn
            .with(OpOptions::new().timeout(Duration::from_secs(30)))
            .search_all(
                Search::new(base)
                    .filter(filter)
                    .attributes(attrs.iter().copied()),
            )
            .await
            .unwrap();
        let mut got = BTreeMap::new();
        for e in &ours.entries {
            let mut m: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
            for a in &e.attributes {
                m.entry(a.name().to_lowercase())
                    .or_default()
                    .extend(a.values().map(<[u8]>::to_vec));
            }
            got.insert(e.dn.to_string(), m);
        }
        assert!(!want.is_empty(), "{filter}: ldapsearch returned nothing");
        assert_eq!(got.len(), want.len(), "{base} {filter}");
        assert_eq!(got, want, "{base} {filter}");
    }
}

#[tokio::test]
async fn pre_read_and_proxied_authorization() {
    let slapd = Slapd::start(SlapdOptions {
        extra_global_config: "authz-policy to\n".into(),
        ..Default::default()
    });
    slapd.modify_ldif(
        "dn: uid=alice,ou=people,dc=example,dc=com\nchangetype: modify\nadd: authzTo\nauthzTo: dn:uid=bob,ou=people,dc=example,dc=com\n",
    );
    // Pre-read (RFC 4527): the entry as it was before the change.
    let admin = admin(&slapd).await;
    let bob = "uid=bob,ou=people,dc=example,dc=com";
    let change = vec![Modification::new(
        ModifyOp::Replace,
        attr("sn", &["Bobson"]),
    )];
    let resp = admin
        .with(OpOptions::new().control(controls::PreRead::new(["sn"])))
        .detailed()
        .modify(bob, change)
        .await
        .unwrap();
    let read = resp
        .control::<controls::ReadEntry>()
        .expect("a pre-read response control")
        .unwrap();
    assert!(!read.post);
    assert_eq!(read.entry.dn, bob);
    assert_ne!(values(&read.entry, "sn"), ["Bobson"]);

    // Proxied authorization (RFC 4370): alice may act as bob, carol may not.
    let connect = |who: &'static str| {
        let (cert, key) = slapd.files().client(who).expect("a client of the test PKI");
        let config = ConnConfig::new()
            .ca_file(&slapd.files().ca_a)
            .client_cert(ClientCert::from_pem_files(cert, key).unwrap());
        let url = slapd.ldaps_url();
        async move {
            let conn = LdapConn::connect(&url, config).await.unwrap();
            conn.bind_external(None).await.unwrap();
            conn
        }
    };
    let as_bob = || {
        OpOptions::new().control(controls::ProxiedAuthz::new(
            "dn:uid=bob,ou=people,dc=example,dc=com",
        ))
    };
    let alice = connect("alice").await;
    let found = alice
        .with(as_bob())
        .search_all(Search::new(bob).scope(Scope::Base))
        .await
        .unwrap();
    assert_eq!(found.entries.len(), 1);
    let carol = connect("carol").await;
    let err = carol
        .with(as_bob())
        .search_all(Search::new(bob).scope(Scope::Base))
        .await
        .unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(ResultCode::AUTHORIZATION_DENIED),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("search failed: authorizationDenied (123)"),
        "{err}"
    );
}
