//! The typed controls against slapd 2.5: virtual list view and a reversed
//! sort (sssvlv), relax rules, subentries, don't-use-copy, and what slapd
//! does with the ones it does not implement (tree delete, the
//! authorization identity request of RFC 3829).

use bytes::Bytes;
use tokio_ldap::controls::{
    AuthzIdRequest, AuthzIdResponse, DontUseCopy, RelaxRules, SortKey, SortRequest, Subentries,
    TreeDelete, VlvRequest, VlvResponse, VlvTarget,
};
use tokio_ldap::{
    Attribute, ConnConfig, Error, LdapConn, Modification, ModifyOp, OpOptions, ResultCode, Scope,
    Search,
};

use crate::support::slapd::{Slapd, SlapdOptions, ADMIN_DN, ADMIN_PW, BASE_DN, PEOPLE_DN};

/// The rootdn over ldapi (SASL EXTERNAL maps the test process to it).
async fn admin(slapd: &Slapd) -> LdapConn {
    let conn = LdapConn::connect(&slapd.ldapi_url(), ConnConfig::new())
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    conn
}

fn by_uid() -> SortRequest {
    let mut key = SortKey::new("uid");
    key.ordering_rule = Some("caseIgnoreOrderingMatch".into());
    SortRequest::new([key])
}

fn uids(entries: &[tokio_ldap::proto::SearchResultEntry]) -> Vec<&str> {
    entries.iter().filter_map(|e| e.first_str("uid")).collect()
}

#[tokio::test]
async fn slapd_vlv_windows_and_reverse_sort() {
    let slapd = Slapd::start(SlapdOptions {
        sssvlv: true,
        ..Default::default()
    });
    let conn = admin(&slapd).await;
    let people = Search::new(PEOPLE_DN)
        .scope(Scope::OneLevel)
        .attributes(["uid"]);

    // reverseOrder.
    let mut reverse = by_uid();
    reverse.keys[0].reverse = true;
    let found = conn
        .with(OpOptions::new().control(reverse))
        .search_all(people.clone())
        .await
        .unwrap();
    assert_eq!(uids(&found.entries), ["carol", "bob", "alice"]);

    // byOffset: the second entry and one after it.
    let window = VlvRequest::new(
        0,
        1,
        VlvTarget::ByOffset {
            offset: 2,
            content_count: 0,
        },
    );
    let found = conn
        .with(OpOptions::new().control(by_uid()).control(window))
        .search_all(people.clone())
        .await
        .unwrap();
    assert_eq!(uids(&found.entries), ["bob", "carol"]);
    let vlv = found
        .control::<VlvResponse>()
        .expect("a VLV response")
        .unwrap();
    assert_eq!(vlv.result, ResultCode::SUCCESS);
    assert_eq!((vlv.target_position, vlv.content_count), (2, 3));
    let context = vlv.context_id.clone().expect("slapd sends a context ID");

    // greaterThanOrEqual, with the context of the previous response.
    let mut window = VlvRequest::new(
        0,
        5,
        VlvTarget::GreaterThanOrEqual(Bytes::from_static(b"b")),
    );
    window.context_id = Some(context);
    let found = conn
        .with(OpOptions::new().control(by_uid()).control(window))
        .search_all(people.clone())
        .await
        .unwrap();
    assert_eq!(uids(&found.entries), ["bob", "carol"]);
    let vlv = found.control::<VlvResponse>().unwrap().unwrap();
    assert_eq!(vlv.target_position, 2);

    // An offset past the end: the search fails, and the VLV response on
    // the error says why.
    let window = VlvRequest::new(
        0,
        1,
        VlvTarget::ByOffset {
            offset: 4,
            content_count: 3,
        },
    );
    let err = conn
        .with(OpOptions::new().control(by_uid()).control(window))
        .search_all(people)
        .await
        .unwrap_err();
    let Error::Ldap(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.result().code, ResultCode(76));
    assert_eq!(err.to_string(), "search failed: resultCode 76");
    let vlv = e.control::<VlvResponse>().expect("a VLV response").unwrap();
    assert_ne!(vlv.result, ResultCode::SUCCESS);
    assert_eq!(vlv.content_count, 3);
}

#[tokio::test]
async fn slapd_relax_rules_lets_the_rootdn_set_an_operational_attribute() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    let dn = format!("uid=alice,{PEOPLE_DN}");
    let change = || {
        vec![Modification::new(
            ModifyOp::Replace,
            Attribute::new("createTimestamp", ["20200101000000Z"]),
        )]
    };
    let err = conn.modify(&dn, change()).await.unwrap_err();
    assert_eq!(err.result_code(), Some(ResultCode::CONSTRAINT_VIOLATION));
    assert_eq!(
        err.to_string(),
        "modify failed: constraintViolation (19): createTimestamp: no user modification allowed"
    );
    conn.with(OpOptions::new().control(RelaxRules))
        .modify(&dn, change())
        .await
        .unwrap();
    let entry = conn
        .search_all(
            Search::new(&dn)
                .scope(Scope::Base)
                .attributes(["createTimestamp"]),
        )
        .await
        .unwrap();
    assert_eq!(
        entry.entries[0].first_str("createTimestamp"),
        Some("20200101000000Z")
    );
}

#[tokio::test]
async fn slapd_subentries_visibility() {
    let slapd = Slapd::start(SlapdOptions {
        extra_ldif: format!(
            "dn: cn=sub,{BASE_DN}\nobjectClass: subentry\nobjectClass: extensibleObject\n\
             cn: sub\nsubtreeSpecification: {{}}\n"
        ),
        ..Default::default()
    });
    let conn = admin(&slapd).await;
    let all = Search::new(BASE_DN).attributes(["1.1"]);
    let dns = |r: tokio_ldap::SearchResults| -> Vec<String> {
        r.entries.iter().map(|e| e.dn.to_string()).collect()
    };
    let sub = format!("cn=sub,{BASE_DN}");
    let plain = dns(conn.search_all(all.clone()).await.unwrap());
    assert!(!plain.contains(&sub), "{plain:?}");
    assert!(plain.contains(&PEOPLE_DN.to_owned()));
    let only_sub = dns(conn
        .with(OpOptions::new().control(Subentries::new(true)))
        .search_all(all.clone())
        .await
        .unwrap());
    assert_eq!(only_sub, [sub]);
    let none = dns(conn
        .with(OpOptions::new().control(Subentries::new(false)))
        .search_all(all)
        .await
        .unwrap());
    assert_eq!(none, plain);
}

#[tokio::test]
async fn slapd_dont_use_copy_reads_the_master_and_tree_delete_is_refused() {
    let slapd = Slapd::start_default();
    let conn = admin(&slapd).await;
    // slapd is the authoritative server here: the read succeeds.
    let found = conn
        .with(OpOptions::new().control(DontUseCopy))
        .search_all(Search::new(PEOPLE_DN).scope(Scope::Base))
        .await
        .unwrap();
    assert_eq!(found.entries.len(), 1);

    // slapd 2.5 has no tree delete: the critical control is refused and
    // nothing is deleted.
    let err = conn
        .with(OpOptions::new().control(TreeDelete))
        .delete(PEOPLE_DN)
        .await
        .unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(ResultCode::UNAVAILABLE_CRITICAL_EXTENSION)
    );
    assert_eq!(
        err.to_string(),
        "delete failed: unavailableCriticalExtension (12): critical control unavailable in context"
    );
    let still = conn
        .search_all(Search::new(PEOPLE_DN).scope(Scope::Base))
        .await
        .unwrap();
    assert_eq!(still.entries.len(), 1);
}

#[tokio::test]
async fn slapd_authz_identity_request_is_not_implemented() {
    let slapd = Slapd::start_default();
    let conn = LdapConn::connect(
        &slapd.ldap_url(),
        ConnConfig::new().allow_insecure_password(true),
    )
    .await
    .unwrap();
    // Non-critical: the bind succeeds, without the response control.
    let response = conn
        .with(OpOptions::new().control(AuthzIdRequest))
        .detailed()
        .bind_simple(ADMIN_DN, ADMIN_PW)
        .await
        .unwrap();
    assert!(response.control::<AuthzIdResponse>().is_none());
    // Critical: refused.
    let critical = AuthzIdRequest.to_control().with_criticality(true);
    let err = conn
        .with(OpOptions::new().control(critical))
        .bind_simple(ADMIN_DN, ADMIN_PW)
        .await
        .unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(ResultCode::UNAVAILABLE_CRITICAL_EXTENSION)
    );
    assert_eq!(
        err.to_string(),
        "bind failed: unavailableCriticalExtension (12): critical extension is not recognized"
    );
}
