use proptest::prelude::*;

use super::*;

fn p(s: &str) -> LdapUrl {
    LdapUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> UrlError {
    LdapUrl::parse(s).expect_err(s)
}

#[test]
fn hosts_and_ports() {
    let u = p("ldap://ldap.example.com");
    assert_eq!(
        (u.scheme, u.host.as_str(), u.port),
        (Scheme::Ldap, "ldap.example.com", None)
    );
    assert_eq!(u.port_or_default(), 389);
    assert_eq!(p("ldaps://h").port_or_default(), 636);
    assert_eq!(p("ldaps://h:1636/").port_or_default(), 1636);
    assert_eq!(p("ldap://h:/").port, None);
    assert_eq!(p("ldap://h:0").port, Some(0));
    assert_eq!(p("ldap://h:65535").port, Some(65535));
    assert_eq!(p("LDAP://H").scheme, Scheme::Ldap);
    assert_eq!(p("LdApS://h").scheme, Scheme::Ldaps);
    let u = p("ldap://[::1]:389/");
    assert_eq!(
        (u.host.as_str(), u.port, u.connect_host()),
        ("::1", Some(389), "::1")
    );
    assert_eq!(p("ldap://[2001:db8::7]").host, "2001:db8::7");
    assert_eq!(p("ldap://192.0.2.1:10389").host, "192.0.2.1");
    let u = p("ldap:///");
    assert_eq!(
        (u.host.as_str(), u.port, u.connect_host()),
        ("", None, "localhost")
    );
    assert_eq!(p("ldap://").connect_host(), "localhost");
    assert_eq!(p("ldap://:1389").port, Some(1389));
    assert_eq!(p("ldap://my%2Dhost").host, "my-host");
    assert_eq!(p("ldap://h").socket_path, None);
}

#[test]
fn ldapi() {
    let u = p("ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi");
    assert_eq!(u.scheme, Scheme::Ldapi);
    assert_eq!(u.socket_path.as_deref(), Some("/var/run/slapd/ldapi"));
    assert_eq!((u.host.as_str(), u.port), ("", None));
    assert_eq!(u.to_string(), "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi");
    assert_eq!(p("ldapi:///").socket_path, None);
    assert_eq!(p("ldapi://").socket_path, None);
    let u = p("ldapi://%2Ftmp%2Fa%3Ab%20c/cn=x");
    assert_eq!(u.socket_path.as_deref(), Some("/tmp/a:b c"));
    assert_eq!(u.dn, "cn=x");
    assert_eq!(
        p("ldapi://%2Ftmp%2Fa:b").socket_path.as_deref(),
        Some("/tmp/a:b")
    );
}

#[test]
fn rfc4516_examples() {
    let u = p("ldap:///o=University%20of%20Michigan,c=US");
    assert_eq!(
        (u.host.as_str(), u.dn.as_str()),
        ("", "o=University of Michigan,c=US")
    );
    let u = p("ldap://ldap1.example.net/o=University%20of%20Michigan,c=US");
    assert_eq!(u.host, "ldap1.example.net");
    let u = p("ldap://ldap1.example.net/o=University%20of%20Michigan,c=US?postalAddress");
    assert_eq!(u.attributes, ["postalAddress"]);
    let u = p(
        "ldap://ldap1.example.net:6666/o=University%20of%20Michigan,c=US??sub?(cn=Babs%20Jensen)",
    );
    assert_eq!(u.port, Some(6666));
    assert!(u.attributes.is_empty());
    assert_eq!(u.scope, Some(Scope::Subtree));
    assert_eq!(u.filter.as_deref(), Some("(cn=Babs Jensen)"));
    let u = p("LDAP://ldap1.example.com/c=GB?objectClass?ONE");
    assert_eq!(
        (u.attributes.as_slice(), u.scope),
        (&["objectClass".to_owned()][..], Some(Scope::OneLevel))
    );
    let u = p("ldap://ldap2.example.com/o=Question%3f,c=US?mail");
    assert_eq!(u.dn, "o=Question?,c=US");
    let u = p("ldap://ldap3.example.com/o=Babsco,c=US???(four-octet=%5c00%5c00%5c00%5c04)");
    assert_eq!(u.filter.as_deref(), Some("(four-octet=\\00\\00\\00\\04)"));
    let u = p("ldap://ldap.example.com/o=An%20Example%5C2C%20Inc.,c=US");
    assert_eq!(u.dn, "o=An Example\\2C Inc.,c=US");
    let u = p("ldap:///??sub??e-bindname=cn=Manager%2cdc=example%2cdc=com");
    assert_eq!(
        u.extensions,
        [Extension {
            critical: false,
            name: "e-bindname".into(),
            value: Some("cn=Manager,dc=example,dc=com".into())
        }]
    );
    let u = p("ldap:///??sub??!e-bindname=cn=Manager%2cdc=example%2cdc=com,x-flag");
    assert!(u.extensions[0].critical);
    assert_eq!(
        u.extensions[1],
        Extension {
            critical: false,
            name: "x-flag".into(),
            value: None
        }
    );
    assert_eq!(p("ldap:///??base").scope, Some(Scope::Base));
    assert_eq!(p("ldap:///??children").scope, Some(Scope::Subordinate));
    assert_eq!(p("ldap:///??subordinate").scope, Some(Scope::Subordinate));
    assert_eq!(p("ldap:///????").filter, None);
}

#[test]
fn display() {
    for s in [
        "ldap://ldap.example.com",
        "ldaps://h:1636",
        "ldap://[::1]:389",
        "ldap://:389",
        "ldap:///o=University%20of%20Michigan,c=US",
        "ldap://h/dc=example?cn,mail?sub?(cn=Babs%20Jensen)?!e-bindname=cn=Manager%2Cdc=x,x-flag",
        "ldap://h/??children",
        "ldap://h/???(a=%3F)",
        "ldapi://%2Fvar%2Frun%2Fldapi/cn=x",
        "ldapi://",
        "ldap://h/cn=%C3%A9",
    ] {
        assert_eq!(p(s).to_string(), s);
    }
    assert_eq!(p("LDAP://h/").to_string(), "ldap://h");
    assert_eq!(p("ldap://h/cn=é").to_string(), "ldap://h/cn=%C3%A9");
    assert_eq!(p("ldap://h/??sub??").to_string(), "ldap://h/??sub");
    assert_eq!(
        p("ldap://h/?cn;x-%41?base").to_string(),
        "ldap://h/?cn;x-A?base"
    );
}

#[test]
fn list() {
    let urls = LdapUrl::parse_list("ldap://a ldaps://b:1636\n ldapi://").unwrap();
    assert_eq!(urls.len(), 3);
    assert_eq!(urls[1].port_or_default(), 1636);
    assert_eq!(LdapUrl::parse_list("ldap://a").unwrap().len(), 1);
    assert_eq!(LdapUrl::parse_list("  \t "), Err(UrlError::EmptyList));
    assert_eq!(LdapUrl::parse_list(""), Err(UrlError::EmptyList));
    assert_eq!(UrlError::EmptyList.to_string(), "no LDAP URL given");
    assert_eq!(UrlError::EmptyList.position(), None);
    assert_eq!(
        LdapUrl::parse_list("ldap://a  ldap://b:x"),
        Err(UrlError::InvalidPort { position: 19 })
    );
}

#[test]
fn error_expected() {
    for (s, expected, position) in [
        ("", "a scheme ('ldap://', 'ldaps://' or 'ldapi://')", 0),
        (
            "host:389",
            "a scheme ('ldap://', 'ldaps://' or 'ldapi://')",
            0,
        ),
        ("ldap://h?cn", "'/' before '?'", 8),
        ("ldap://[::1", "']'", 11),
        ("ldap://[::1]x", "':' or '/'", 12),
    ] {
        let e = err(s);
        assert_eq!(e, UrlError::Expected { expected, position }, "{s}");
        assert_eq!(
            e.to_string(),
            format!("expected {expected} at position {position}")
        );
    }
}

#[test]
fn error_unknown_scheme() {
    let e = err("http://h/");
    assert_eq!(
        e,
        UrlError::UnknownScheme {
            scheme: "http".into(),
            position: 0
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown scheme \"http\" at position 0: expected ldap, ldaps or ldapi"
    );
    assert!(matches!(err("://h"), UrlError::UnknownScheme { .. }));
}

#[test]
fn error_unexpected_char() {
    for (s, ch, position) in [
        ("ldap://h x/cn=a", ' ', 8),
        ("ld ap://h/", ' ', 2),
        ("ldap://h/cn=a\u{2003}b", '\u{2003}', 13),
        ("ldap://h/\t", '\t', 9),
        ("ldap://user@h/", '@', 11),
        ("ldap://h#x", '#', 8),
        ("ldapi://a/b\n", '\n', 11),
        ("ldapi://%2Fa#", '#', 12),
    ] {
        assert_eq!(err(s), UrlError::UnexpectedChar { ch, position }, "{s}");
    }
    assert_eq!(
        err("ldap://a b/").to_string(),
        "unexpected character ' ' at position 8 (percent-encode it)"
    );
}

#[test]
fn error_invalid_percent_encoding() {
    for (s, position) in [
        ("ldap://h/cn=%", 12),
        ("ldap://h/cn=%4", 12),
        ("ldap://h/cn=%zz", 12),
        ("ldap://h%/", 8),
        ("ldapi://%2", 8),
        ("ldap://h/?a,b%g", 13),
        ("ldap://h/???(a=b)?x=%", 20),
    ] {
        assert_eq!(err(s), UrlError::InvalidPercentEncoding { position }, "{s}");
    }
    assert_eq!(
        err("ldap://h/%").to_string(),
        "invalid percent-encoding at position 9: '%' must be followed by two hex digits"
    );
}

#[test]
fn error_invalid_utf8() {
    let e = err("ldap://h/cn=x%ff");
    assert_eq!(e, UrlError::InvalidUtf8 { position: 9 });
    assert_eq!(
        e.to_string(),
        "the text at position 9 is not valid UTF-8 once percent-decoded"
    );
    assert_eq!(err("ldapi://%c3").position(), Some(8));
}

#[test]
fn error_invalid_host() {
    let e = err("ldap://[::g]/");
    assert_eq!(
        e,
        UrlError::InvalidHost {
            reason: "not an IPv6 address between '[' and ']'",
            position: 8
        }
    );
    assert_eq!(
        e.to_string(),
        "invalid host at position 8: not an IPv6 address between '[' and ']'"
    );
    assert_eq!(err("ldap://[h]").position(), Some(8));
    let e = err("ldap://a%3Ab/");
    assert_eq!(
        e.to_string(),
        "invalid host at position 7: a host name cannot contain ':' (IPv6 addresses go in brackets)"
    );
}

#[test]
fn error_invalid_port() {
    for (s, position) in [
        ("ldap://h:99999", 9),
        ("ldap://h:x", 9),
        ("ldap://h:1:2", 9),
        ("ldap://[::1]:+1", 13),
        ("ldap://h:-1/", 9),
    ] {
        assert_eq!(err(s), UrlError::InvalidPort { position }, "{s}");
    }
    assert_eq!(
        err("ldap://h:x").to_string(),
        "invalid port at position 9: expected a number from 0 to 65535"
    );
}

#[test]
fn error_invalid_scope() {
    let e = err("ldap://h/dc=x??subtree");
    assert_eq!(
        e,
        UrlError::InvalidScope {
            scope: "subtree".into(),
            position: 15
        }
    );
    assert_eq!(
        e.to_string(),
        "invalid scope \"subtree\" at position 15: expected base, one, sub or children"
    );
}

#[test]
fn error_too_many_parts() {
    let e = err("ldap://h/dc=x?cn?sub?(a=b)?x?y");
    assert_eq!(e, UrlError::TooManyParts { position: 28 });
    assert_eq!(
        e.to_string(),
        "unexpected '?' at position 28: an LDAP URL has at most dn?attributes?scope?filter?extensions"
    );
}

#[test]
fn error_empty() {
    for (s, what, position) in [
        ("ldap://h/?cn,,sn", "attribute", 13),
        ("ldap://h/?cn,", "attribute", 13),
        ("ldap://h/????a,", "extension", 15),
        ("ldap://h/????!", "extension name", 14),
        ("ldap://h/????=x", "extension name", 13),
    ] {
        let e = err(s);
        assert_eq!(e, UrlError::Empty { what, position }, "{s}");
        assert_eq!(
            e.to_string(),
            format!("empty {what} at position {position}")
        );
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,8}", "[a-z?,=!%/:#@\\[\\] \\x00]{0,8}"]
}

/// A DN that `Dn::parse` accepts, with characters the URL must encode.
fn dn() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "(cn|ou|2\\.5\\.4\\.3)=[a-zA-Z0-9?!%/:@é]{1,6}( [a-z]{1,3})?(,(dc|o)=[a-z0-9]{1,5}){0,2}",
    ]
}

/// An attribute selector.
fn attribute() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,6}(;[a-zA-Z0-9-]{1,4}){0,2}",
        "@[a-zA-Z][a-zA-Z0-9-]{0,6}",
        Just("*".to_owned()),
        Just("+".to_owned()),
        Just("1.1".to_owned()),
        "[1-9]\\.[0-9]\\.[1-9][0-9]{0,2}",
    ]
}

/// A filter that `Filter::parse` accepts, with characters the URL must
/// encode.
fn filter() -> impl Strategy<Value = String> {
    "\\((cn|mail)=[a-z0-9 ?,%/é]{1,6}\\*?\\)|\\(&\\(a=\\*\\)\\(!\\(b<=[?,]{1,3}\\)\\)\\)"
}

/// An extension type: a descriptor or a numeric OID.
fn extension_type() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9-]{0,6}|[1-9]\\.[1-9][0-9]{0,2}"
}

fn nonempty() -> impl Strategy<Value = String> {
    text().prop_filter("non-empty", |s| !s.is_empty())
}

fn url() -> impl Strategy<Value = LdapUrl> {
    let host = prop_oneof![
        Just(String::new()),
        "[a-z0-9.-]{1,12}",
        "\\PC{1,6}".prop_filter("no ':' and nothing a host cannot hold", |h| {
            !h.chars().any(|c| c == ':' || forbidden_in_host(c))
        }),
        any::<Ipv6Addr>().prop_map(|a| a.to_string()),
    ];
    let scope = proptest::option::of(prop_oneof![
        Just(Scope::Base),
        Just(Scope::OneLevel),
        Just(Scope::Subtree),
        Just(Scope::Subordinate),
    ]);
    let ext = (
        any::<bool>(),
        extension_type(),
        proptest::option::of(text()),
    )
        .prop_map(|(critical, name, value)| Extension {
            critical,
            name,
            value,
        });
    (
        prop_oneof![Just(Scheme::Ldap), Just(Scheme::Ldaps), Just(Scheme::Ldapi)],
        host,
        proptest::option::of(any::<u16>()),
        proptest::option::of(nonempty().prop_filter("no NUL", |p| !p.contains('\0'))),
        dn(),
        proptest::collection::vec(attribute(), 0..3),
        scope,
        proptest::option::of(filter()),
        proptest::collection::vec(ext, 0..3),
    )
        .prop_map(
            |(scheme, host, port, socket_path, dn, attributes, scope, filter, extensions)| {
                let ldapi = scheme == Scheme::Ldapi;
                LdapUrl {
                    scheme,
                    host: if ldapi { String::new() } else { host },
                    port: if ldapi { None } else { port },
                    socket_path: if ldapi { socket_path } else { None },
                    dn,
                    attributes,
                    scope,
                    filter,
                    extensions,
                }
            },
        )
}

proptest! {
    #[test]
    fn round_trip(u in url()) {
        let text = u.to_string();
        prop_assert_eq!(LdapUrl::parse(&text), Ok(u), "{}", text);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
        let _ = LdapUrl::parse_list(&s);
        if let Ok(u) = LdapUrl::parse(&s) {
            prop_assert_eq!(LdapUrl::parse(&u.to_string()), Ok(u));
        }
    }

    #[test]
    fn url_like_strings_never_panic(s in "(ldap|ldaps|ldapi|LDAP)://[a-z0-9:/?,=!%\\[\\]#@. ]{0,30}") {
        let _ = LdapUrl::parse_list(&s);
        if let Ok(u) = LdapUrl::parse(&s) {
            prop_assert_eq!(LdapUrl::parse(&u.to_string()), Ok(u));
        }
    }
}

/// The parts of RFC 4516 §2 are checked: before, `ldap:///invalid` and
/// `ldap:///%00` were accepted as DNs.
#[test]
fn dn_part_is_a_distinguished_name() {
    let e = err("ldap:///invalid");
    assert!(
        matches!(&e, UrlError::InvalidDn { dn, position: 8, source } if dn == "invalid" && source.position() == Some(7)),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "invalid DN \"invalid\" at position 8: expected '=' at position 7 of the decoded DN"
    );
    let e = err("ldap:///%00");
    assert_eq!(
        e,
        UrlError::ForbiddenChar {
            ch: '\0',
            part: "DN",
            position: 8
        }
    );
    assert_eq!(
        e.to_string(),
        "'\\0' at position 8 is not allowed in the DN"
    );
    let e = err("ldap://h/cn=a%00b");
    assert_eq!(e.position(), Some(13));
    // An escaped NUL in the DN's own syntax is a DN.
    assert_eq!(p("ldap://h/cn=a%5C00b").dn(), "cn=a\\00b");
}

/// Before, `ldap:///?a%3fb` and `ldap:///?%00` were accepted as attributes.
#[test]
fn attributes_are_attribute_selectors() {
    let e = err("ldap:///?a%3fb");
    assert!(
        matches!(&e, UrlError::InvalidAttribute { position: 9, source } if source.name == "a?b" && source.position == 1),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "invalid attribute description \"a?b\": unexpected '?' at position 1 (RFC 4512: letters, digits and '-' after a leading letter, or a numeric OID, then ;options), in the attribute list at position 9"
    );
    let e = err("ldap:///?cn,%00");
    assert_eq!(
        e,
        UrlError::ForbiddenChar {
            ch: '\0',
            part: "attribute",
            position: 12
        }
    );
    assert_eq!(
        e.to_string(),
        "'\\0' at position 12 is not allowed in the attribute"
    );
    let u = p("ldap:///?cn;lang-de,*,+,1.1,@inetOrgPerson,2.5.4.3");
    assert_eq!(
        u.attributes(),
        ["cn;lang-de", "*", "+", "1.1", "@inetOrgPerson", "2.5.4.3"]
    );
    assert!(matches!(
        err("ldap:///?@"),
        UrlError::InvalidAttribute { position: 9, .. }
    ));
    assert!(matches!(
        err("ldap:///?**"),
        UrlError::InvalidAttribute { position: 9, .. }
    ));
}

#[test]
fn filter_part_is_a_filter() {
    let e = err("ldap:///??sub?(cn=a**b)");
    assert!(
        matches!(&e, UrlError::InvalidFilter { filter, position: 14, source: crate::proto::filter::FilterParseError::EmptySubstring { position: 6 } } if filter == "(cn=a**b)"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "invalid filter \"(cn=a**b)\" at position 14: empty substring at position 6: '**' asserts nothing between the stars; write one '*', or \\2a for a literal '*' of the decoded filter"
    );
    let e = err("ldap:///???(cn=x");
    assert_eq!(
        e.to_string(),
        "invalid filter \"(cn=x\" at position 11: expected ')' at position 5 of the decoded filter"
    );
    let e = err("ldap:///???(cn=%00)");
    assert_eq!(
        e,
        UrlError::ForbiddenChar {
            ch: '\0',
            part: "filter",
            position: 15
        }
    );
    // The bare form ldapsearch takes is a filter too.
    assert_eq!(p("ldap:///???cn=x").filter(), Some("cn=x"));
}

/// Before, `????!!a=0` gave a critical extension named `!a`.
#[test]
fn extension_types_are_oids() {
    let e = err("ldap:///????!!a=0");
    assert_eq!(
        e,
        UrlError::InvalidExtension {
            name: "!a".into(),
            position: 13
        }
    );
    assert_eq!(
        e.to_string(),
        "invalid extension type \"!a\" at position 13: expected a name of letters, digits and '-' or a numeric OID"
    );
    assert!(matches!(
        err("ldap:///????x;y"),
        UrlError::InvalidExtension { position: 12, .. }
    ));
    assert!(matches!(
        err("ldap:///????1"),
        UrlError::InvalidExtension { position: 12, .. }
    ));
    // NUL is allowed in an extension's value (RFC 4516 §2.1), and only there.
    let u = p("ldap:///????!1.3.6.1.4.1.1466.2.3=a%00b,bindname=cn=x");
    assert_eq!(u.extensions()[0].name(), "1.3.6.1.4.1.1466.2.3");
    assert_eq!(u.extensions()[0].value(), Some("a\0b"));
    assert_eq!(p(&u.to_string()), u);
}

/// Before, `ldap://%00/` was accepted with a NUL as the host.
#[test]
fn host_cannot_hold_what_a_name_cannot() {
    for (url, ch, position) in [
        ("ldap://%00/", '\0', 7),
        ("ldap://a%20b/", ' ', 8),
        ("ldap://a%2Fb/", '/', 8),
        ("ldap://x%40y/", '@', 8),
        ("ldaps://h%0A/", '\n', 9),
    ] {
        let e = err(url);
        assert_eq!(
            e,
            UrlError::ForbiddenChar {
                ch,
                part: "host",
                position
            },
            "{url}"
        );
        assert_eq!(e.position(), Some(position));
    }
    assert_eq!(
        err("ldap://%00/").to_string(),
        "'\\0' at position 7 is not allowed in the host"
    );
    assert_eq!(p("ldap://h%C3%A9.example/").host(), "hé.example");
    let e = err("ldapi://%2Ftmp%00x");
    assert_eq!(
        e,
        UrlError::ForbiddenChar {
            ch: '\0',
            part: "socket path",
            position: 14
        }
    );
}

/// RFC 4516 §2.1: implementations SHOULD accept unencoded spaces as input;
/// before, this URL was refused at its first space.
#[test]
fn unencoded_spaces_after_the_host() {
    let u = p("ldap://h/o=Example Corp??sub?(cn=foo bar)");
    assert_eq!(u.dn(), "o=Example Corp");
    assert_eq!(u.filter(), Some("(cn=foo bar)"));
    assert_eq!(u.scope(), Some(Scope::Subtree));
    assert_eq!(
        u.to_string(),
        "ldap://h/o=Example%20Corp??sub?(cn=foo%20bar)"
    );
    assert_eq!(p(&u.to_string()), u);
    // Still not in the scheme or the host, and no other whitespace.
    assert_eq!(err("ldap://h /").position(), Some(8));
    assert_eq!(
        err("ldap://h/o=a\tb"),
        UrlError::UnexpectedChar {
            ch: '\t',
            position: 12
        }
    );
}

/// python-ldap's URL test vectors (`Tests/t_ldapurl.py`; facts: input,
/// accepted or not). Where this parser decides otherwise, the case is in
/// `disagreements_with_python_ldap`.
#[test]
fn python_ldap_vectors() {
    for ok in [
        "ldap:///o=University%20of%20Michigan,c=US",
        "ldap://ldap.itd.umich.edu/c=GB?objectClass?one",
        "ldap://ldap.question.com/o=Question%3f,c=US?mail",
        "ldap://ldap.netscape.com/o=Babsco,c=US???(int=%5c00%5c00%5c00%5c04)",
        "ldap:///??sub??bindname=cn=Manager%2co=Foo",
        "ldap:///??sub??!bindname=cn=Manager%2co=Foo",
        "ldap://ldap.nameflow.net:1389/c%3dDE",
        "ldaps://root.openldap.org/dc=openldap,dc=org",
        "ldap://x500.mh.se/o=Mitthogskolan,c=se????1.2.752.58.10.2=T.61",
        "ldap://localhost:1389/ou%3DUnstructured%20testing%20tree%2Cdc%3Dstroeder%2Cdc%3Dcom??one",
        "ldapi:///dc=stroeder,dc=de????x-saslmech=EXTERNAL",
        "LDAP://localhost",
        "LDAPS://localhost",
        "LDAPI://%2Frun%2Fldap.sock",
        "ldap://root.openldap.org/dc%3dboolean%2cdc%3dnet???%28objectClass%3d%2a%29",
        "ldap://root.openldap.org/dc=openldap,dc=org??base?",
        "ldap://localhost:12345/dc=stroeder,dc=com????!bindname=cn=Michael%2Cdc=stroeder%2Cdc=com,!X-BINDPW=secretpassword",
        "ldapi://%2ftmp%2fopenldap2-1389/dc=stroeder,dc=com",
        "ldap://",
        "ldap:///?",
        "ldap://a.",
        "ldap://[::1]:123",
        "ldap:///dn=foo%2fbar?",
        "ldap:///dn=foo%3f",
        "ldap:///dn=str%c3%b6der.com",
        "ldap:///?*,*?",
        "ldap:///?%61",
        "ldap:///??subordinates?",
        "ldap:///???(cn=Bob/Smith)?",
        "ldap:///???(cn=Bob:Smith)?",
        "ldap:///???&(cn=Bob)(objectClass=user)?",
        "ldap:///???(cn=Q%3f)",
        "ldap:///???(sn=Str%c3%b6der)",
        "ldap:///???(sn=Str\\c3\\b6der)",
        "ldap:///???(cn=*%5c2a*)",
        "ldap:///????bindname=%3f,X-BINDPW=%2c",
        "ldap:///????bindname=%00name",
        "ldap:///????bindname",
    ] {
        let u = LdapUrl::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(p(&u.to_string()), u, "{ok}");
    }
    assert_eq!(p("ldap:///dn=str%c3%b6der.com").dn(), "dn=str\u{f6}der.com");
    assert_eq!(
        p("ldap:///??subordinates").scope(),
        Some(Scope::Subordinate)
    );
    assert_eq!(
        p("ldap:///????bindname=%00name").extensions()[0].value(),
        Some("\0name")
    );
    for bad in [
        "ldp://root.openldap.org/dc=openldap,dc=org",
        " ldap://space.example",
        "ldap ://space.example",
        "",
        "ldap:",
        "ldap:/",
        ":///",
        "://",
        "///",
        "//",
        "/",
        "ldap:///?????",
        "invalid://",
        "ldap:///??invalid",
        "ldap://%%%/",
        "ldap:///?,",
        "ldap:///?a,",
        "ldap:///?,a",
        "ldap:///?a,,b",
        "ldap://%00/",
        "ldap:///%00",
        "ldap:///?%00",
        "ldap:///??%00",
        "ldap:///????0=0",
        "ldap:///????a_b=0",
        "ldap:///????!!a=0",
    ] {
        assert!(LdapUrl::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

/// Where this parser decides otherwise than python-ldap, and why.
#[test]
fn disagreements_with_python_ldap() {
    // RFC 4516 makes the DN a distinguishedName: a trailing comma is not
    // one (python-ldap does not check the DN).
    assert!(matches!(
        err("ldap://ldap.itd.umich.edu/o=University%20of%20Michigan,"),
        UrlError::InvalidDn { .. }
    ));
    // RFC 4516 makes the attributes attribute descriptions (python-ldap
    // takes any text).
    assert!(matches!(
        err("ldap:///?a%3fb"),
        UrlError::InvalidAttribute { .. }
    ));
    // A port is digits (RFC 3986), not percent-encoded digits.
    assert_eq!(
        err("ldap://%61%62:%32/"),
        UrlError::InvalidPort { position: 14 }
    );
    // '?' in an extension value must be percent-encoded (RFC 4516 §2).
    assert_eq!(
        err("ldap:///????bindname=?"),
        UrlError::TooManyParts { position: 21 }
    );
    // python-ldap lists these as to be refused, but takes them: so does
    // this parser (an empty host with a port, an empty port, an upper-case
    // scheme are all in RFC 3986's grammar).
    assert_eq!(p("ldap://:389/").port(), Some(389));
    assert_eq!(p("ldap://a:/").port(), None);
    assert_eq!(p("LDAP://").scheme(), Scheme::Ldap);
}
