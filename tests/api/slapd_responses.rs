//! Response controls from a real slapd reach the caller: post-read on an
//! add, pre-read on a delete, server-side sort on a search, and the controls of a refused operation.

use tokio_ldap::controls::{PostRead, PreRead, ReadEntry, SortKey, SortRequest, SortResponse};
use tokio_ldap::{Attribute, ConnConfig, Error, LdapConn, OpOptions, ResultCode, Scope, Search};

use crate::support::slapd::{Slapd, SlapdOptions, PEOPLE_DN};

/// The rootdn over ldapi (SASL EXTERNAL maps the test process to it).
async fn admin(slapd: &Slapd) -> LdapConn {
    let conn = LdapConn::connect(&slapd.ldapi_url(), ConnConfig::new())
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    conn
}

#[tokio::test]
async fn slapd_post_read_on_add_and_pre_read_on_delete_come_with_the_response() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    let dn = "uid=dora,ou=people,dc=example,dc=com";
    let attrs = vec![
        Attribute::new("objectClass", ["inetOrgPerson"]),
        Attribute::new("uid", ["dora"]),
        Attribute::new("cn", ["Dora Example"]),
        Attribute::new("sn", ["Example"]),
    ];
    let added = conn
        .with(OpOptions::new().control(PostRead::new(["cn", "entryUUID"])))
        .detailed()
        .add(dn, attrs)
        .await
        .unwrap();
    assert_eq!(added.result().code, ResultCode::SUCCESS);
    let read = added
        .control::<ReadEntry>()
        .expect("a post-read control")
        .unwrap();
    assert!(read.post);
    assert_eq!(read.entry.dn, dn);
    assert_eq!(read.entry.first_str("cn"), Some("Dora Example"));
    assert!(
        read.entry.first_str("entryUUID").is_some(),
        "{:?}",
        read.entry
    );

    let deleted = conn
        .with(OpOptions::new().control(PreRead::new(["sn"])))
        .detailed()
        .delete(dn)
        .await
        .unwrap();
    let read = deleted
        .control::<ReadEntry>()
        .expect("a pre-read control")
        .unwrap();
    assert!(!read.post);
    assert_eq!(read.entry.first_str("sn"), Some("Example"));

    // The plain form runs the same operation and returns `()`.
    let missing = conn
        .with(OpOptions::new().control(PreRead::new(["sn"])))
        .delete(dn)
        .await
        .unwrap_err();
    assert_eq!(missing.result_code(), Some(ResultCode::NO_SUCH_OBJECT));
    let Error::Ldap(le) = &missing else {
        panic!("{missing:?}")
    };
    assert_eq!(
        missing.to_string(),
        "delete failed: noSuchObject (32) (matched DN: ou=people,dc=example,dc=com)"
    );
    // slapd sends no pre-read entry for a delete that did not happen.
    assert!(le.control::<ReadEntry>().is_none(), "{:?}", le.controls());
}

#[tokio::test]
async fn slapd_sort_response_comes_with_the_search_result() {
    let slapd = Slapd::start(SlapdOptions {
        extra_global_config: "moduleload sssvlv".into(),
        extra_config: "overlay sssvlv".into(),
        ..Default::default()
    });
    let conn = admin(&slapd).await;
    // uid has no ordering rule of its own: name one.
    let mut key = SortKey::new("uid");
    key.ordering_rule = Some("caseIgnoreOrderingMatch".into());
    let sort = SortRequest::new(vec![key]);
    let people = Search::new(PEOPLE_DN).scope(Scope::OneLevel);
    let found = conn
        .with(OpOptions::new().control(sort.clone()))
        .detailed()
        .search_all(people.clone())
        .await
        .unwrap();
    let sorted = found
        .control::<SortResponse>()
        .expect("a sort response")
        .unwrap();
    assert_eq!(sorted.result, ResultCode::SUCCESS);
    // The results carry the same controls as the response.
    assert_eq!(found.value().controls, found.controls());
    let uids: Vec<_> = found
        .value()
        .entries
        .iter()
        .filter_map(|e| e.first_str("uid"))
        .collect();
    assert_eq!(uids, ["alice", "bob", "carol"]);

    // A refused sort (critical, on an attribute without an ordering rule)
    // fails the search; slapd sends no sort response with it.
    let mut bad = SortRequest::new(vec![SortKey::new("description")]).to_control();
    bad.critical = true;
    let err = conn
        .with(OpOptions::new().control(bad))
        .search_all(people)
        .await
        .unwrap_err();
    let Error::Ldap(le) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(le.operation(), "search");
    assert_eq!(le.result().code, ResultCode::INAPPROPRIATE_MATCHING);
    assert_eq!(
        err.to_string(),
        "search failed: inappropriateMatching (18): serverSort control: No ordering rule"
    );
    assert!(
        le.control::<SortResponse>().is_none(),
        "{:?}",
        le.controls()
    );
}
