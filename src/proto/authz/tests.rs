use super::{AuthzId, AuthzIdError};
use crate::proto::dn::{Dn, DnError};

fn dn(s: &str) -> Dn {
    Dn::parse(s).unwrap()
}

#[test]
fn the_forms_servers_send() {
    let alice = AuthzId::Dn(dn("uid=alice,ou=people,dc=example,dc=com"));
    for sent in [
        // OpenLDAP slapd
        "dn:uid=alice,ou=people,dc=example,dc=com",
        // 389 Directory Server: a space after the colon
        "dn: uid=alice,ou=people,dc=example,dc=com",
        // any case of the prefix, spaces around the separators
        "DN:uid=alice, ou=people, dc=example, dc=com",
        "  Dn:  uid = alice ,ou=people,dc=example,dc=com  ",
    ] {
        assert_eq!(AuthzId::parse(sent).unwrap(), alice, "{sent:?}");
    }
    assert_eq!(
        AuthzId::parse("u:bob").unwrap(),
        AuthzId::User("bob".into())
    );
    assert_eq!(
        AuthzId::parse("U: bob").unwrap(),
        AuthzId::User("bob".into())
    );
    // A user name keeps its inner and trailing characters.
    assert_eq!(
        AuthzId::parse("u:bob smith@EXAMPLE").unwrap().user(),
        Some("bob smith@EXAMPLE")
    );
}

#[test]
fn anonymous() {
    for sent in ["", "   ", "dn:", "dn: ", "DN:"] {
        let id = AuthzId::parse(sent).unwrap();
        assert!(id.is_anonymous(), "{sent:?}");
        assert_eq!(id.to_string(), "");
    }
    assert_eq!(AuthzId::from(Dn::root()), AuthzId::Anonymous);
}

#[test]
fn display_is_the_rfc_form_without_spaces() {
    let id = AuthzId::parse("dn: uid=alice, ou=people").unwrap();
    assert_eq!(id.to_string(), "dn:uid=alice,ou=people");
    assert_eq!(AuthzId::parse(&id.to_string()).unwrap(), id);
    assert_eq!(AuthzId::User("bob".into()).to_string(), "u:bob");
    assert_eq!(AuthzId::from(dn("cn=x")).to_string(), "dn:cn=x");
}

#[test]
fn accessors_and_case() {
    let a = AuthzId::parse("dn:uid=Alice,dc=Example").unwrap();
    let b = AuthzId::parse("dn: UID=alice,DC=example").unwrap();
    assert_ne!(a, b, "values compare exactly");
    assert!(a.eq_ignore_case(&b));
    assert_eq!(a.dn(), Some(&dn("uid=Alice,dc=Example")));
    assert_eq!(a.user(), None);
    assert!(!a.is_anonymous());
    let u = AuthzId::User("Bob".into());
    assert!(u.eq_ignore_case(&AuthzId::User("bob".into())));
    assert!(!u.eq_ignore_case(&a));
    assert!(!AuthzId::Anonymous.eq_ignore_case(&u));
    assert!(AuthzId::Anonymous.eq_ignore_case(&AuthzId::Anonymous));
    assert_eq!(u.dn(), None);
}

#[test]
fn errors_say_what_was_wrong() {
    let err = AuthzId::parse("uid=alice,dc=example").unwrap_err();
    assert_eq!(
        err,
        AuthzIdError::UnknownForm {
            found: "uid=alice,dc=example".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "an authorization identity is empty or starts with \"dn:\" or \"u:\"; got \"uid=alice,dc=example\""
    );
    let err = AuthzId::parse("x:foo").unwrap_err();
    assert!(matches!(err, AuthzIdError::UnknownForm { .. }), "{err:?}");

    let err = AuthzId::parse("dn:uid=alice,,dc=example").unwrap_err();
    assert_eq!(
        err,
        AuthzIdError::Dn {
            found: "dn:uid=alice,,dc=example".into(),
            source: DnError::Expected {
                expected: "an attribute type",
                position: 10
            }
        }
    );
    assert_eq!(
        err.to_string(),
        "the DN of the authorization identity \"dn:uid=alice,,dc=example\" does not parse: expected an attribute type at position 10"
    );

    let err = AuthzId::parse("u: ").unwrap_err();
    assert_eq!(err, AuthzIdError::EmptyUser);
    assert_eq!(
        err.to_string(),
        "the authorization identity \"u:\" has no user name"
    );
}

#[test]
fn errors_repeat_a_bounded_part_of_the_input() {
    let long = format!("x{}", "y".repeat(10_000));
    let AuthzIdError::UnknownForm { found } = AuthzId::parse(&long).unwrap_err() else {
        panic!("expected UnknownForm");
    };
    assert_eq!(found.chars().count(), 64);
}
