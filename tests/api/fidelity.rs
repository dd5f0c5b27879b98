//! Fidelity of `tokio_ldap::testkit::TestServer`: one list of scenarios
//! (binds, SASL EXTERNAL mapping, WhoAmI, every filter type, scopes, size
//! limit, paging, attribute selection, each write operation, each
//! rejection path) run against a `TestServer` and against a real slapd,
//! each compared with the one table of expected outcomes: the same
//! entries in the same order, the same result codes, the same error kinds.
//! The intended differences (listed in the testkit's module docs) are left
//! out of the list on purpose.
//!
//! The slapd run needs Unix (the harness); the `TestServer` run works
//! everywhere.

use tokio_ldap::rustls::pki_types::CertificateDer;
use tokio_ldap::testkit::{ClientAuth, ExternalMapping, Rejection, TestPki, TestServer};
use tokio_ldap::{
    Attribute, ClientCert, ConnConfig, Error, LdapConn, Modification, ModifyOp, Scope, Search,
};

/// A server under test, as the scenarios see it.
struct Target {
    ldaps: String,
    ldap: String,
    ldapi: Option<String>,
    ca: CertificateDer<'static>,
    cert: Box<dyn Fn(&str) -> ClientCert>,
}

const BASE: &str = "dc=example,dc=com";
const PEOPLE: &str = "ou=people,dc=example,dc=com";
const ADMIN: (&str, &str) = ("cn=admin,dc=example,dc=com", "secret");
const ALICE: (&str, &str) = ("uid=alice,ou=people,dc=example,dc=com", "alicepw");
const BOB: (&str, &str) = ("uid=bob,ou=people,dc=example,dc=com", "bobpw");

/// An error as the table writes it: the variant, and the result code when
/// there is one.
fn kind(e: &Error) -> String {
    match e.result_code() {
        Some(code) => format!("error {code}"),
        None => {
            let debug = format!("{e:?}");
            let name = debug.split(['(', ' ', '{']).next().unwrap_or("?");
            format!("error {name}")
        }
    }
}

fn outcome<T>(r: Result<T, Error>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => ok(v),
        Err(e) => kind(&e),
    }
}

impl Target {
    fn config(&self) -> ConnConfig {
        ConnConfig::new().root_certificate(self.ca.clone())
    }

    async fn bound(&self, who: (&str, &str)) -> LdapConn {
        let conn = LdapConn::connect(&self.ldaps, self.config()).await.unwrap();
        conn.bind_simple(who.0, who.1).await.unwrap();
        conn
    }

    async fn anonymous(&self) -> LdapConn {
        LdapConn::connect(&self.ldaps, self.config()).await.unwrap()
    }

    /// EXTERNAL with the client certificate `name` (`None`: declined), then
    /// WhoAmI.
    async fn external(&self, url: &str, starttls: bool, name: Option<&str>) -> String {
        let mut config = self.config().starttls(starttls);
        config = match name {
            Some(n) => config.client_cert((self.cert)(n)),
            None => config.client_cert_query(|_: &tokio_ldap::CertRequest<'_>| None),
        };
        let conn = match LdapConn::connect(url, config).await {
            Ok(c) => c,
            Err(e) => return kind(&e),
        };
        if let Err(e) = conn.bind_external(None).await {
            return kind(&e);
        }
        outcome(conn.whoami().await, |w| format!("{w:?}"))
    }
}

/// The entries a search returns, in order; for a one-level search sorted,
/// since the order is not defined there (slapd returns them in the order
/// of whichever index it uses, the `TestServer` in the order added).
async fn search(conn: &LdapConn, base: &str, scope: Scope, filter: &str) -> String {
    let request = Search::new(base)
        .scope(scope)
        .filter(filter)
        .attributes(["1.1"]);
    outcome(conn.search_all(request).await, |r| {
        let mut dns: Vec<&str> = r.entries.iter().map(|e| e.dn.as_ref()).collect();
        if scope == Scope::OneLevel {
            dns.sort_unstable();
        }
        let code = r.result.map(|r| r.code.to_string()).unwrap_or_default();
        format!("{code} {}", dns.join(" | "))
    })
}

fn m(op: ModifyOp, name: &str, values: &[&str]) -> Modification {
    Modification::new(op, Attribute::new(name, values))
}

/// Every scenario, in order, with its outcome.
async fn run(t: &Target) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();

    // Simple binds.
    let conn = t.anonymous().await;
    out.push((
        "whoami anonymous",
        outcome(conn.whoami().await, |w| format!("{w:?}")),
    ));
    out.push((
        "bind alice",
        outcome(conn.bind_simple(ALICE.0, ALICE.1).await, |()| "ok".into()),
    ));
    out.push((
        "whoami alice",
        outcome(conn.whoami().await, |w| format!("{w:?}")),
    ));
    out.push((
        "bind wrong password",
        outcome(conn.bind_simple(ALICE.0, "nope").await, |()| "ok".into()),
    ));
    out.push((
        "bind unknown dn",
        outcome(
            conn.bind_simple("uid=ghost,ou=people,dc=example,dc=com", "x")
                .await,
            |()| "ok".into(),
        ),
    ));
    out.push((
        "bind admin",
        outcome(conn.bind_simple(ADMIN.0, ADMIN.1).await, |()| "ok".into()),
    ));
    out.push((
        "whoami admin",
        outcome(conn.whoami().await, |w| format!("{w:?}")),
    ));

    // SASL EXTERNAL.
    out.push((
        "external alice ldaps",
        t.external(&t.ldaps, false, Some("alice")).await,
    ));
    out.push((
        "external carol via intermediate",
        t.external(&t.ldaps, false, Some("carol")).await,
    ));
    out.push((
        "external bob starttls",
        t.external(&t.ldap, true, Some("bob")).await,
    ));
    out.push(("external declined", t.external(&t.ldaps, false, None).await));
    out.push((
        "external untrusted mallory",
        t.external(&t.ldaps, false, Some("mallory")).await,
    ));
    if let Some(ldapi) = &t.ldapi {
        let conn = LdapConn::connect(ldapi, ConnConfig::new()).await.unwrap();
        conn.bind_external(None).await.unwrap();
        out.push((
            "external ldapi",
            outcome(conn.whoami().await, |w| format!("{w:?}")),
        ));
    }

    // Filters, anonymous, one level under ou=people.
    let conn = t.anonymous().await;
    for filter in [
        "(uid=alice)",
        "(UID=ALICE)",
        "(cn=alice example)",
        "(cn=*ob*)",
        "(cn=a*e)",
        "(mail=*@example.com)",
        "(cn=Carol*)",
        "(mail=*)",
        "(title=*)",
        "(sn~=example)",
        "(&(sn=Example)(|(uid=bob)(uid=carol)))",
        "(!(uid=bob))",
        "(&)",
        "(|)",
        "(cn:caseExactMatch:=Bob Example)",
        "(cn:caseExactMatch:=bob example)",
        "(cn:caseIgnoreMatch:=BOB EXAMPLE)",
        "(ou:dn:=people)",
        "(userPassword=alicepw)",
    ] {
        out.push((filter, search(&conn, PEOPLE, Scope::OneLevel, filter).await));
    }
    // Scopes.
    out.push((
        "scope base",
        search(&conn, BASE, Scope::Base, "(objectClass=*)").await,
    ));
    out.push((
        "scope one",
        search(&conn, BASE, Scope::OneLevel, "(objectClass=*)").await,
    ));
    out.push((
        "scope sub",
        search(&conn, BASE, Scope::Subtree, "(objectClass=*)").await,
    ));
    out.push((
        "scope children",
        search(&conn, BASE, Scope::Subordinate, "(objectClass=*)").await,
    ));
    out.push((
        "no such base",
        search(
            &conn,
            "ou=nowhere,dc=example,dc=com",
            Scope::Subtree,
            "(objectClass=*)",
        )
        .await,
    ));
    // Size limit, paging, attribute selection, types only.
    let limited = Search::new(BASE)
        .filter("(objectClass=*)")
        .attributes(["1.1"])
        .size_limit(2);
    out.push((
        "size limit 2",
        outcome(conn.search_all(limited).await, |r| {
            format!(
                "{} entries, {:?}",
                r.entries.len(),
                r.result.map(|r| r.code)
            )
        }),
    ));
    let paged = Search::new(BASE)
        .filter("(objectClass=*)")
        .attributes(["1.1"]);
    out.push((
        "paged by 2",
        outcome(conn.search_paged(paged, 2).await, |r| {
            r.entries
                .iter()
                .map(|e| e.dn.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        }),
    ));
    let select = |types_only| {
        Search::new(ALICE.0)
            .scope(Scope::Base)
            .attributes(["CN", "mail", "userPassword"])
            .types_only(types_only)
    };
    for (name, types_only) in [("attributes cn mail", false), ("types only", true)] {
        out.push((
            name,
            outcome(conn.search_all(select(types_only)).await, |r| {
                let mut attrs: Vec<String> = r.entries[0]
                    .attributes
                    .iter()
                    .map(|a| {
                        let values: Vec<String> = a
                            .values()
                            .map(|v| String::from_utf8_lossy(v).into_owned())
                            .collect();
                        format!("{}={values:?}", a.name().to_ascii_lowercase())
                    })
                    .collect();
                attrs.sort();
                attrs.join(" ")
            }),
        ));
    }

    // Writes.
    let admin = t.bound(ADMIN).await;
    let dave = "uid=dave,ou=people,dc=example,dc=com";
    let entry = vec![
        Attribute::new("objectClass", ["inetOrgPerson", "posixAccount"]),
        Attribute::new("uid", ["dave"]),
        Attribute::new("cn", ["Dave Example"]),
        Attribute::new("sn", ["Example"]),
        Attribute::new("uidNumber", ["1005"]),
        Attribute::new("gidNumber", ["100"]),
        Attribute::new("homeDirectory", ["/home/dave"]),
        Attribute::new("userPassword", ["davepw"]),
    ];
    out.push((
        "add dave",
        outcome(admin.add(dave, entry.clone()).await, |()| "ok".into()),
    ));
    out.push((
        "add dave again",
        outcome(admin.add(dave, entry.clone()).await, |()| "ok".into()),
    ));
    out.push((
        "add under missing parent",
        outcome(
            admin
                .add("uid=x,ou=nowhere,dc=example,dc=com", entry.clone())
                .await,
            |()| "ok".into(),
        ),
    ));
    out.push((
        "ordering uidNumber>=1000",
        search(&admin, PEOPLE, Scope::OneLevel, "(uidNumber>=1000)").await,
    ));
    out.push((
        "ordering uidNumber<=1000",
        search(&admin, PEOPLE, Scope::OneLevel, "(uidNumber<=1000)").await,
    ));
    let mods = [
        (
            "modify add mail",
            m(ModifyOp::Add, "mail", &["dave@example.com"]),
        ),
        (
            "modify add mail again",
            m(ModifyOp::Add, "mail", &["dave@example.com"]),
        ),
        ("modify replace sn", m(ModifyOp::Replace, "sn", &["Dee"])),
        (
            "modify delete missing value",
            m(ModifyOp::Delete, "mail", &["nope@example.com"]),
        ),
        ("modify delete mail", m(ModifyOp::Delete, "mail", &[])),
    ];
    for (name, change) in mods {
        out.push((
            name,
            outcome(admin.modify(dave, vec![change]).await, |()| "ok".into()),
        ));
    }
    out.push((
        "compare sn Dee",
        outcome(admin.compare(dave, "sn", "dee").await, |b| b.to_string()),
    ));
    out.push((
        "compare sn Example",
        outcome(admin.compare(dave, "sn", "Example").await, |b| {
            b.to_string()
        }),
    ));
    let bob = t.bound(BOB).await;
    out.push((
        "bob modifies dave",
        outcome(
            bob.modify(dave, vec![m(ModifyOp::Replace, "sn", &["x"])])
                .await,
            |()| "ok".into(),
        ),
    ));
    out.push((
        "bob modifies himself",
        outcome(
            bob.modify(
                BOB.0,
                vec![m(ModifyOp::Replace, "mail", &["b@example.com"])],
            )
            .await,
            |()| "ok".into(),
        ),
    ));
    out.push((
        "bob deletes dave",
        outcome(bob.delete(dave).await, |()| "ok".into()),
    ));
    out.push(("dave changes his password", {
        let conn = t
            .bound(("uid=dave,ou=people,dc=example,dc=com", "davepw"))
            .await;
        let change = tokio_ldap::proto::extended::PasswordModify::new()
            .old_password("davepw")
            .new_password("newpw");
        outcome(conn.password_modify(change).await, |g| {
            format!("generated {}", g.is_some())
        })
    }));
    out.push((
        "bind with the new password",
        outcome(t.anonymous().await.bind_simple(dave, "newpw").await, |()| {
            "ok".into()
        }),
    ));
    out.push((
        "rename dave",
        outcome(admin.modify_dn(dave, "uid=david", true, None).await, |()| {
            "ok".into()
        }),
    ));
    out.push((
        "after rename",
        search(&admin, PEOPLE, Scope::OneLevel, "(|(uid=dave)(uid=david))").await,
    ));
    out.push((
        "delete non-leaf",
        outcome(admin.delete(PEOPLE).await, |()| "ok".into()),
    ));
    out.push((
        "delete david",
        outcome(
            admin.delete("uid=david,ou=people,dc=example,dc=com").await,
            |()| "ok".into(),
        ),
    ));
    out.push((
        "delete david again",
        outcome(
            admin.delete("uid=david,ou=people,dc=example,dc=com").await,
            |()| "ok".into(),
        ),
    ));
    out
}

/// The outcomes both servers must give.
const EXPECTED: &[(&str, &str)] = &[
    ("whoami anonymous", "None"),
    ("bind alice", "ok"),
    ("whoami alice", "Some(\"dn:uid=alice,ou=people,dc=example,dc=com\")"),
    ("bind wrong password", "error invalidCredentials (49)"),
    ("bind unknown dn", "error invalidCredentials (49)"),
    ("bind admin", "ok"),
    ("whoami admin", "Some(\"dn:cn=admin,dc=example,dc=com\")"),
    ("external alice ldaps", "Some(\"dn:uid=alice,ou=people,dc=example,dc=com\")"),
    ("external carol via intermediate", "Some(\"dn:uid=carol,ou=people,dc=example,dc=com\")"),
    ("external bob starttls", "Some(\"dn:uid=bob,ou=people,dc=example,dc=com\")"),
    ("external declined", "error authMethodNotSupported (7)"),
    ("external untrusted mallory", "error ClientCertRejected"),
    ("external ldapi", "Some(\"dn:cn=admin,dc=example,dc=com\")"),
    ("(uid=alice)", "success (0) uid=alice,ou=people,dc=example,dc=com"),
    ("(UID=ALICE)", "success (0) uid=alice,ou=people,dc=example,dc=com"),
    ("(cn=alice example)", "success (0) uid=alice,ou=people,dc=example,dc=com"),
    ("(cn=*ob*)", "success (0) uid=bob,ou=people,dc=example,dc=com"),
    ("(cn=a*e)", "success (0) uid=alice,ou=people,dc=example,dc=com"),
    ("(mail=*@example.com)", "success (0) uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(cn=Carol*)", "success (0) uid=carol,ou=people,dc=example,dc=com"),
    ("(mail=*)", "success (0) uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(title=*)", "success (0) "),
    ("(sn~=example)", "success (0) uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(&(sn=Example)(|(uid=bob)(uid=carol)))", "success (0) uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(!(uid=bob))", "success (0) uid=alice,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(&)", "success (0) uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(|)", "success (0) "),
    ("(cn:caseExactMatch:=Bob Example)", "success (0) uid=bob,ou=people,dc=example,dc=com"),
    ("(cn:caseExactMatch:=bob example)", "success (0) "),
    ("(cn:caseIgnoreMatch:=BOB EXAMPLE)", "success (0) uid=bob,ou=people,dc=example,dc=com"),
    ("(ou:dn:=people)", "success (0) uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("(userPassword=alicepw)", "success (0) "),
    ("scope base", "success (0) dc=example,dc=com"),
    ("scope one", "success (0) ou=groups,dc=example,dc=com | ou=people,dc=example,dc=com"),
    ("scope sub", "success (0) dc=example,dc=com | ou=people,dc=example,dc=com | ou=groups,dc=example,dc=com | uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("scope children", "success (0) ou=people,dc=example,dc=com | ou=groups,dc=example,dc=com | uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("no such base", "error noSuchObject (32)"),
    ("size limit 2", "2 entries, Some(sizeLimitExceeded (4))"),
    ("paged by 2", "dc=example,dc=com | ou=people,dc=example,dc=com | ou=groups,dc=example,dc=com | uid=alice,ou=people,dc=example,dc=com | uid=bob,ou=people,dc=example,dc=com | uid=carol,ou=people,dc=example,dc=com"),
    ("attributes cn mail", "cn=[\"Alice Example\"] mail=[\"alice@example.com\"]"),
    ("types only", "cn=[] mail=[]"),
    ("add dave", "ok"),
    ("add dave again", "error entryAlreadyExists (68)"),
    ("add under missing parent", "error noSuchObject (32)"),
    ("ordering uidNumber>=1000", "success (0) uid=dave,ou=people,dc=example,dc=com"),
    ("ordering uidNumber<=1000", "success (0) "),
    ("modify add mail", "ok"),
    ("modify add mail again", "error attributeOrValueExists (20)"),
    ("modify replace sn", "ok"),
    ("modify delete missing value", "error noSuchAttribute (16)"),
    ("modify delete mail", "ok"),
    ("compare sn Dee", "true"),
    ("compare sn Example", "false"),
    ("bob modifies dave", "error insufficientAccessRights (50)"),
    ("bob modifies himself", "ok"),
    ("bob deletes dave", "error insufficientAccessRights (50)"),
    ("dave changes his password", "generated false"),
    ("bind with the new password", "ok"),
    ("rename dave", "ok"),
    ("after rename", "success (0) uid=david,ou=people,dc=example,dc=com"),
    ("delete non-leaf", "error notAllowedOnNonLeaf (66)"),
    ("delete david", "ok"),
    ("delete david again", "error noSuchObject (32)"),
];

fn compare(server: &str, got: &[(&'static str, String)], ldapi: bool) {
    let got: Vec<(String, String)> = got
        .iter()
        .map(|(a, b)| ((*a).to_owned(), b.clone()))
        .collect();
    let want: Vec<(String, String)> = EXPECTED
        .iter()
        .filter(|(name, _)| ldapi || *name != "external ldapi")
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    if got != want {
        let mut report = String::new();
        for (name, outcome) in &got {
            report.push_str(&format!("    ({name:?}, {outcome:?}),\n"));
        }
        panic!("{server}: the outcomes differ from the expected ones; got:\n{report}");
    }
}

/// With a certificate required (slapd: `TLSVerifyClient demand`; the
/// `TestServer`: `ClientAuth::Required`, rejections by closing after the
/// handshake): a trusted certificate, none, and an untrusted one.
async fn run_demanding(t: &Target) -> Vec<(&'static str, String)> {
    vec![
        (
            "demand: alice",
            t.external(&t.ldaps, false, Some("alice")).await,
        ),
        (
            "demand: alice over StartTLS",
            t.external(&t.ldap, true, Some("alice")).await,
        ),
        ("demand: none", t.external(&t.ldaps, false, None).await),
        (
            "demand: none over StartTLS",
            t.external(&t.ldap, true, None).await,
        ),
        (
            "demand: untrusted mallory",
            t.external(&t.ldaps, false, Some("mallory")).await,
        ),
    ]
}

const EXPECTED_DEMANDING: &[(&str, &str)] = &[
    (
        "demand: alice",
        "Some(\"dn:uid=alice,ou=people,dc=example,dc=com\")",
    ),
    (
        "demand: alice over StartTLS",
        "Some(\"dn:uid=alice,ou=people,dc=example,dc=com\")",
    ),
    ("demand: none", "error ClientCertRejected"),
    ("demand: none over StartTLS", "error ClientCertRejected"),
    ("demand: untrusted mallory", "error ClientCertRejected"),
];

fn compare_demanding(server: &str, got: &[(&'static str, String)]) {
    let want: Vec<(&str, &str)> = EXPECTED_DEMANDING.to_vec();
    let got_ref: Vec<(&str, &str)> = got.iter().map(|(a, b)| (*a, b.as_str())).collect();
    if got_ref != want {
        let mut report = String::new();
        for (name, outcome) in got {
            report.push_str(&format!("    ({name:?}, {outcome:?}),\n"));
        }
        panic!("{server}: the outcomes differ from the expected ones; got:\n{report}");
    }
}

#[tokio::test]
async fn test_server_demanding_a_certificate_gives_the_expected_outcomes() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::builder(&pki)
        .client_auth(ClientAuth::Required)
        .rejection(Rejection::CloseAfterHandshake)
        .external_mapping(ExternalMapping::Template(
            "uid={CN},ou=people,dc=example,dc=com".into(),
        ))
        .start()
        .await
        .unwrap();
    let target = Target {
        ldaps: server.ldaps_url(),
        ldap: server.ldap_url(),
        ldapi: None,
        ca: pki.entity("ca-a").unwrap().cert(),
        cert: Box::new(move |n| pki.client_cert(n).unwrap()),
    };
    compare_demanding("TestServer", &run_demanding(&target).await);
}

#[cfg(unix)]
#[tokio::test]
async fn slapd_demanding_a_certificate_gives_the_expected_outcomes() {
    use crate::support::slapd::{Slapd, SlapdOptions, VerifyClient};
    let slapd = Slapd::start(SlapdOptions {
        verify_client: VerifyClient::Demand,
        ..Default::default()
    });
    let pki = slapd.pki();
    let target = Target {
        ldaps: slapd.ldaps_url(),
        ldap: slapd.ldap_url(),
        ldapi: None,
        ca: pki.ca_a.cert(),
        cert: Box::new(move |n| pki.entity(n).unwrap().client_cert().unwrap()),
    };
    compare_demanding("slapd", &run_demanding(&target).await);
}

#[tokio::test]
async fn test_server_gives_the_expected_outcomes() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::builder(&pki)
        .client_auth(ClientAuth::Optional)
        .rejection(Rejection::CloseAfterHandshake)
        .external_mapping(ExternalMapping::Template(
            "uid={CN},ou=people,dc=example,dc=com".into(),
        ))
        .start()
        .await
        .unwrap();
    #[cfg(unix)]
    let ldapi = Some(server.ldapi_url());
    #[cfg(not(unix))]
    let ldapi = None;
    let has_ldapi = ldapi.is_some();
    let target = Target {
        ldaps: server.ldaps_url(),
        ldap: server.ldap_url(),
        ldapi,
        ca: pki.entity("ca-a").unwrap().cert(),
        cert: Box::new(move |n| pki.client_cert(n).unwrap()),
    };
    compare("TestServer", &run(&target).await, has_ldapi);
}

#[cfg(unix)]
#[tokio::test]
async fn slapd_gives_the_expected_outcomes() {
    use crate::support::slapd::{Slapd, SlapdOptions, VerifyClient};
    let slapd = Slapd::start(SlapdOptions {
        verify_client: VerifyClient::Try,
        ..Default::default()
    });
    let pki = slapd.pki();
    let target = Target {
        ldaps: slapd.ldaps_url(),
        ldap: slapd.ldap_url(),
        ldapi: Some(slapd.ldapi_url()),
        ca: pki.ca_a.cert(),
        cert: Box::new(move |n| pki.entity(n).unwrap().client_cert().unwrap()),
    };
    compare("slapd", &run(&target).await, true);
}
