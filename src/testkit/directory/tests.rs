//! The directory without a server: LDIF, filters of every kind, scopes,
//! limits, paging, and the write operations with their result codes.

use bytes::Bytes;

use super::{Directory, Entry};
use crate::proto::controls::PagedResults;
use crate::proto::dn::Dn;
use crate::proto::extended::PasswordModify;
use crate::proto::{
    AddRequest, Attribute, CompareRequest, DerefAliases, Filter, Modification, ModifyDnRequest,
    ModifyOp, ModifyRequest, ResultCode, Scope, SearchRequest,
};

fn request(base: &str, scope: Scope, filter: &str) -> SearchRequest {
    SearchRequest {
        base: base.into(),
        scope,
        deref: DerefAliases::Never,
        size_limit: 0,
        time_limit: 0,
        types_only: false,
        filter: Filter::parse(filter).unwrap(),
        attributes: Vec::new(),
    }
}

fn dir() -> Directory {
    let mut d = Directory::example();
    d.load_ldif(
        "dn: cn=Zed  Smith,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n\
         cn: Zed  Smith\nsn: Smith\ntelephoneNumber: +1 555-0100\nuidNumber: 1000\n\
         description:: w6l0w6k=\n\n\
         dn: cn=admins,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: admins\n\
         member: UID=Alice,ou=people,dc=example,dc=com\nuidNumber: 90\n",
    )
    .unwrap();
    d
}

fn dns(d: &Directory, base: &str, scope: Scope, filter: &str) -> Vec<String> {
    let out = d.search(&request(base, scope, filter), &[], None);
    assert_eq!(
        out.result.code,
        ResultCode::SUCCESS,
        "{filter}: {:?}",
        out.result
    );
    out.entries.iter().map(|e| e.dn.to_string()).collect()
}

const BASE: &str = "dc=example,dc=com";

#[test]
fn every_filter_kind() {
    let d = dir();
    let people = "ou=people,dc=example,dc=com";
    let one = |f| dns(&d, people, Scope::OneLevel, f);
    // Equality ignores case and extra spaces; attribute names any case or alias.
    assert_eq!(
        one("(CommonName=zed smith)"),
        ["cn=Zed  Smith,ou=people,dc=example,dc=com"]
    );
    assert_eq!(
        one("(UID=ALICE)"),
        ["uid=alice,ou=people,dc=example,dc=com"]
    );
    // Telephone numbers ignore spaces and hyphens.
    assert_eq!(one("(telephoneNumber=+15550100)").len(), 1);
    // Substrings.
    assert_eq!(one("(mail=*@example.com)").len(), 3);
    assert_eq!(
        one("(cn=a*ex*ple)"),
        ["uid=alice,ou=people,dc=example,dc=com"]
    );
    assert_eq!(one("(cn=*OB*)"), ["uid=bob,ou=people,dc=example,dc=com"]);
    // Ordering: integers by value, strings case-insensitively.
    assert_eq!(dns(&d, BASE, Scope::Subtree, "(uidNumber>=100)").len(), 1);
    assert_eq!(dns(&d, BASE, Scope::Subtree, "(uidNumber<=100)").len(), 1);
    assert_eq!(one("(cn<=B)").len(), 1);
    // Presence, approximate (as equality), not, and, or.
    assert_eq!(one("(telephoneNumber=*)").len(), 1);
    assert_eq!(one("(sn~=EXAMPLE)").len(), 3);
    assert_eq!(one("(!(sn=Example))").len(), 1);
    assert_eq!(one("(&(sn=Example)(|(uid=bob)(uid=carol)))").len(), 2);
    assert_eq!(one("(&)").len(), 4);
    assert_eq!(one("(|)").len(), 0);
    // Extensible match: the case rules and dnAttributes.
    assert_eq!(one("(cn:caseExactMatch:=Bob Example)").len(), 1);
    assert_eq!(one("(cn:caseExactMatch:=bob example)").len(), 0);
    assert_eq!(one("(cn:2.5.13.2:=bob example)").len(), 1);
    assert_eq!(dns(&d, BASE, Scope::Subtree, "(ou:dn:=people)").len(), 5);
    assert_eq!(dns(&d, BASE, Scope::Subtree, "(ou=people)").len(), 1);
    assert_eq!(
        one("(cn:1.2.3.4:=x)").len(),
        0,
        "an unknown rule is Undefined"
    );
    assert_eq!(one("(!(cn:1.2.3.4:=x))").len(), 0, "and so is its negation");
    // DN-valued attributes compare as DNs; UTF-8 from base64 LDIF values.
    assert_eq!(
        dns(
            &d,
            BASE,
            Scope::Subtree,
            "(member=uid=alice,ou=People,dc=example,dc=com)"
        )
        .len(),
        1
    );
    assert_eq!(one("(description=\u{c9}T\u{c9})").len(), 1);
    // userPassword is not readable anonymously: Undefined, both ways.
    assert_eq!(one("(userPassword=alicepw)").len(), 0);
    assert_eq!(one("(!(userPassword=alicepw))").len(), 0);
}

#[test]
fn scopes_limits_selection_and_paging() {
    let d = dir();
    assert_eq!(dns(&d, BASE, Scope::Base, "(objectClass=*)"), [BASE]);
    assert_eq!(dns(&d, BASE, Scope::OneLevel, "(objectClass=*)").len(), 2);
    assert_eq!(dns(&d, BASE, Scope::Subtree, "(objectClass=*)").len(), 8);
    assert_eq!(
        dns(&d, BASE, Scope::Subordinate, "(objectClass=*)").len(),
        7
    );

    let missing = d.search(
        &request(
            "ou=nowhere,dc=example,dc=com",
            Scope::Base,
            "(objectClass=*)",
        ),
        &[],
        None,
    );
    assert_eq!(missing.result.code, ResultCode::NO_SUCH_OBJECT);
    assert_eq!(missing.result.matched_dn, BASE);

    let mut r = request(BASE, Scope::Subtree, "(objectClass=*)");
    r.size_limit = 3;
    let out = d.search(&r, &[], None);
    assert_eq!(
        (out.entries.len(), out.result.code),
        (3, ResultCode::SIZE_LIMIT_EXCEEDED)
    );

    let mut r = request(
        "uid=alice,ou=people,dc=example,dc=com",
        Scope::Base,
        "(objectClass=*)",
    );
    r.attributes = vec!["CN".into(), "userPassword".into()];
    let out = d.search(&r, &[], None);
    let attrs = out.entries[0].attributes.to_vec();
    assert_eq!(attrs, vec![Attribute::new("cn", ["Alice Example"])]);
    let me = Dn::parse("uid=alice,ou=people,dc=example,dc=com").unwrap();
    let out = d.search(&r, &[], Some(&me));
    assert_eq!(
        out.entries[0].attributes.len(),
        2,
        "alice reads her own password"
    );
    r.types_only = true;
    r.attributes = vec!["1.1".into()];
    assert!(d.search(&r, &[], None).entries[0].attributes.is_empty());
    r.attributes = vec!["mail".into()];
    let attrs = d.search(&r, &[], None).entries[0].attributes.to_vec();
    assert_eq!(
        attrs,
        vec![Attribute {
            name: "mail".into(),
            values: vec![]
        }]
    );

    // Pages of 3 over 8 entries, in the order added.
    let all = dns(&d, BASE, Scope::Subtree, "(objectClass=*)");
    let r = request(BASE, Scope::Subtree, "(objectClass=*)");
    let mut cookie = Bytes::new();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let control = PagedResults {
            size: 3,
            cookie: cookie.clone(),
        }
        .to_control();
        let out = d.search(&r, &[control], None);
        pages += 1;
        seen.extend(out.entries.iter().map(|e| e.dn.to_string()));
        cookie = PagedResults::from_control(&out.controls[0]).unwrap().cookie;
        if cookie.is_empty() {
            break;
        }
    }
    assert_eq!((pages, seen), (3, all));
    let bad = PagedResults {
        size: 3,
        cookie: Bytes::from_static(b"x"),
    }
    .to_control();
    let out = d.search(&r, &[bad], None);
    assert_eq!(out.result.code, ResultCode::UNWILLING_TO_PERFORM);
    assert_eq!(out.result.message, "paged results cookie is invalid");
}

#[test]
fn root_dse_names_the_suffix() {
    let d = dir();
    let mut r = request("", Scope::Base, "(objectClass=*)");
    r.attributes = vec!["namingContexts".into()];
    let out = d.search(&r, &[], None);
    let attrs = out.entries[0].attributes.to_vec();
    assert_eq!(attrs, vec![Attribute::new("namingContexts", [BASE])]);
}

#[test]
fn writes_and_their_result_codes() {
    let mut d = dir();
    let admin = Dn::parse("cn=admin,dc=example,dc=com").unwrap();
    let bob = Dn::parse("uid=bob,ou=people,dc=example,dc=com").unwrap();
    let add = AddRequest {
        entry: "uid=dave,ou=people,dc=example,dc=com".into(),
        attributes: vec![
            Attribute::new("objectClass", ["inetOrgPerson"]),
            Attribute::new("sn", ["D"]),
        ],
    };
    assert_eq!(
        d.add(&add, Some(&bob)).code,
        ResultCode::INSUFFICIENT_ACCESS_RIGHTS
    );
    assert_eq!(d.add(&add, Some(&admin)).code, ResultCode::SUCCESS);
    assert!(d
        .lookup("UID=DAVE,ou=people,dc=example,dc=com")
        .unwrap()
        .has_value("uid", b"dave"));
    assert_eq!(
        d.add(&add, Some(&admin)).code,
        ResultCode::ENTRY_ALREADY_EXISTS
    );
    let orphan = AddRequest {
        entry: "uid=x,ou=nope,dc=example,dc=com".into(),
        ..add.clone()
    };
    let r = d.add(&orphan, Some(&admin));
    assert_eq!(
        (r.code, r.matched_dn.as_ref()),
        (ResultCode::NO_SUCH_OBJECT, BASE)
    );

    let modify = |op, name: &str, values: &[&str]| ModifyRequest {
        object: bob.to_string().into(),
        changes: vec![Modification {
            op,
            attribute: Attribute::new(name, values),
        }],
    };
    assert_eq!(
        d.modify(&modify(ModifyOp::Add, "mail", &["b@x"]), Some(&bob))
            .code,
        ResultCode::SUCCESS
    );
    let r = d.modify(&modify(ModifyOp::Add, "mail", &["B@X"]), Some(&bob));
    assert_eq!(r.code, ResultCode::ATTRIBUTE_OR_VALUE_EXISTS);
    assert_eq!(
        d.modify(&modify(ModifyOp::Delete, "mail", &["nope"]), Some(&bob))
            .code,
        ResultCode::NO_SUCH_ATTRIBUTE
    );
    assert_eq!(
        d.modify(&modify(ModifyOp::Replace, "mail", &["only@x"]), Some(&bob))
            .code,
        ResultCode::SUCCESS
    );
    assert_eq!(
        d.modify(&modify(ModifyOp::Delete, "uid", &[]), Some(&bob))
            .code,
        ResultCode::NOT_ALLOWED_ON_RDN
    );
    assert_eq!(
        d.modify(&modify(ModifyOp::Replace, "mail", &["z"]), None)
            .code,
        ResultCode::INSUFFICIENT_ACCESS_RIGHTS
    );
    assert!(d
        .lookup(&bob.to_string())
        .unwrap()
        .has_value("mail", b"ONLY@x"));

    let cmp = |attr: &str, v: &str| CompareRequest {
        entry: bob.to_string().into(),
        attribute: attr.into(),
        value: Bytes::copy_from_slice(v.as_bytes()),
    };
    assert_eq!(
        d.compare(&cmp("sn", "example"), None).code,
        ResultCode::COMPARE_TRUE
    );
    assert_eq!(
        d.compare(&cmp("sn", "other"), None).code,
        ResultCode::COMPARE_FALSE
    );
    assert_eq!(
        d.compare(&cmp("title", "x"), None).code,
        ResultCode::NO_SUCH_ATTRIBUTE
    );

    let rename = ModifyDnRequest {
        entry: "uid=dave,ou=people,dc=example,dc=com".into(),
        new_rdn: "uid=david".into(),
        delete_old_rdn: true,
        new_superior: Some("ou=groups,dc=example,dc=com".into()),
    };
    assert_eq!(d.modify_dn(&rename, Some(&admin)).code, ResultCode::SUCCESS);
    let david = d.lookup("uid=david,ou=groups,dc=example,dc=com").unwrap();
    assert!(david.has_value("uid", b"david") && !david.has_value("uid", b"dave"));

    assert_eq!(
        d.delete("ou=people,dc=example,dc=com", Some(&admin)).code,
        ResultCode::NOT_ALLOWED_ON_NON_LEAF
    );
    assert_eq!(
        d.delete("uid=david,ou=groups,dc=example,dc=com", Some(&bob))
            .code,
        ResultCode::INSUFFICIENT_ACCESS_RIGHTS
    );
    assert_eq!(
        d.delete("uid=david,ou=groups,dc=example,dc=com", Some(&admin))
            .code,
        ResultCode::SUCCESS
    );
    assert_eq!(
        d.delete("uid=david,ou=groups,dc=example,dc=com", Some(&admin))
            .code,
        ResultCode::NO_SUCH_OBJECT
    );

    // Binds and password modify.
    assert_eq!(
        d.bind_simple(&bob.to_string(), b"bobpw").unwrap(),
        Some(bob.clone())
    );
    assert_eq!(
        d.bind_simple(&bob.to_string(), b"nope").unwrap_err().code,
        ResultCode::INVALID_CREDENTIALS
    );
    assert_eq!(
        d.bind_simple("uid=ghost,dc=example,dc=com", b"x")
            .unwrap_err()
            .code,
        ResultCode::INVALID_CREDENTIALS
    );
    let e = d.bind_simple(&bob.to_string(), b"").unwrap_err();
    assert_eq!(
        (e.code, e.message.as_ref()),
        (
            ResultCode::UNWILLING_TO_PERFORM,
            "unauthenticated bind (DN with no password) disallowed"
        )
    );
    assert_eq!(d.bind_simple("", b"").unwrap(), None);
    let change = PasswordModify::new()
        .old_password("bobpw")
        .new_password("new");
    assert_eq!(d.password_modify(&change, Some(&bob)).unwrap(), None);
    assert!(d.bind_simple(&bob.to_string(), b"new").is_ok());
    let generated = d
        .password_modify(&PasswordModify::new(), Some(&bob))
        .unwrap()
        .unwrap();
    assert!(d.bind_simple(&bob.to_string(), generated.expose()).is_ok());
    let e = d.password_modify(&PasswordModify::new(), None).unwrap_err();
    assert_eq!(e.code, ResultCode::UNWILLING_TO_PERFORM);
}

#[test]
fn ldif_errors_say_where() {
    let e = Directory::from_ldif("cn: x\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "LDIF line 1: a record starts with \"dn:\", not \"cn\""
    );
    let e = Directory::from_ldif("dn: dc=a\nchangetype: add\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "LDIF line 2: change records are not supported, only entries"
    );
    let e = Directory::from_ldif("dn: dc=a\nx:: !!!!\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "LDIF line 2: the value after \"::\" is not base64"
    );
    // A second suffix is fine; a missing parent under a suffix is not.
    let e = Directory::from_ldif(
        "dn: dc=a\nobjectClass: top\n\ndn: cn=b,dc=x,dc=y\ncn: b\n\ndn: cn=c,ou=q,dc=a\ncn: c\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cn=c,ou=q,dc=a: the parent entry does not exist"
    );
    // Version line, comments, folded lines.
    let d = Directory::from_ldif("version: 1\n# c\ndn: dc=a\ndescription: one\n  two\n").unwrap();
    assert!(d
        .lookup("dc=a")
        .unwrap()
        .has_value("description", b"one two"));
    let e = Entry::new("not a dn").unwrap_err();
    assert_eq!(e.to_string(), "DN \"not a dn\": expected '=' at position 4");
}
