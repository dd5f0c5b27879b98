use proptest::prelude::*;

use super::*;

fn a(name: &str) -> AttributeDescription {
    AttributeDescription::new(name).unwrap()
}

fn p(s: &str) -> Filter {
    Filter::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> FilterParseError {
    Filter::parse(s).expect_err(s)
}

fn ava(attr: &str, value: &[u8]) -> Ava {
    Ava {
        attribute: AttributeDescription::new(attr).unwrap(),
        value: Bytes::copy_from_slice(value),
    }
}

fn b(v: &[u8]) -> Bytes {
    Bytes::copy_from_slice(v)
}

#[test]
fn simple_items() {
    assert_eq!(p("(cn=foo)"), Filter::Equality(ava("cn", b"foo")));
    assert_eq!(p("(cn>=foo)"), Filter::GreaterOrEqual(ava("cn", b"foo")));
    assert_eq!(p("(cn<=foo)"), Filter::LessOrEqual(ava("cn", b"foo")));
    assert_eq!(p("(cn~=foo)"), Filter::Approx(ava("cn", b"foo")));
    assert_eq!(p("(cn=*)"), Filter::Present(a("cn")));
    assert_eq!(p("(cn=)"), Filter::Equality(ava("cn", b"")));
    assert_eq!(p("(cn=foo bar )"), Filter::Equality(ava("cn", b"foo bar ")));
    assert_eq!(
        p("(cn;lang-en;binary=x)"),
        Filter::Equality(ava("cn;lang-en;binary", b"x"))
    );
    assert_eq!(p("(2.5.4.3=x)"), Filter::Equality(ava("2.5.4.3", b"x")));
    assert_eq!(
        p("(sn=Lučić)"),
        Filter::Equality(ava("sn", "Lučić".as_bytes()))
    );
}

#[test]
fn rfc4515_examples() {
    assert_eq!(
        p("(cn=Babs Jensen)"),
        Filter::Equality(ava("cn", b"Babs Jensen"))
    );
    assert_eq!(
        p("(!(cn=Tim Howes))"),
        Filter::Not(Box::new(Filter::Equality(ava("cn", b"Tim Howes"))))
    );
    assert_eq!(
        p("(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))"),
        Filter::And(vec![
            Filter::Equality(ava("objectClass", b"Person")),
            Filter::Or(vec![
                Filter::Equality(ava("sn", b"Jensen")),
                Filter::Substrings(Substrings {
                    attribute: a("cn"),
                    initial: Some(b(b"Babs J")),
                    any: vec![],
                    final_: None,
                }),
            ]),
        ])
    );
    assert_eq!(
        p("(o=univ*of*mich*)"),
        Filter::Substrings(Substrings {
            attribute: a("o"),
            initial: Some(b(b"univ")),
            any: vec![b(b"of"), b(b"mich")],
            final_: None,
        })
    );
    assert_eq!(p("(seeAlso=)"), Filter::Equality(ava("seeAlso", b"")));
    assert_eq!(
        p("(cn:caseExactMatch:=Fred Flintstone)"),
        Filter::Extensible(MatchingRuleAssertion {
            rule: Some(MatchingRuleId::new("caseExactMatch").unwrap()),
            attribute: Some(a("cn")),
            value: b(b"Fred Flintstone"),
            dn_attributes: false,
        })
    );
    assert_eq!(
        p("(cn:=Betty Rubble)"),
        Filter::Extensible(MatchingRuleAssertion {
            rule: None,
            attribute: Some(a("cn")),
            value: b(b"Betty Rubble"),
            dn_attributes: false,
        })
    );
    assert_eq!(
        p("(sn:dn:2.4.6.8.10:=Barney Rubble)"),
        Filter::Extensible(MatchingRuleAssertion {
            rule: Some(MatchingRuleId::new("2.4.6.8.10").unwrap()),
            attribute: Some(a("sn")),
            value: b(b"Barney Rubble"),
            dn_attributes: true,
        })
    );
    assert_eq!(
        p("(o:dn:=Ace Industry)"),
        Filter::Extensible(MatchingRuleAssertion {
            rule: None,
            attribute: Some(a("o")),
            value: b(b"Ace Industry"),
            dn_attributes: true,
        })
    );
    assert_eq!(
        p("(:1.2.3:=Wilma Flintstone)"),
        Filter::Extensible(MatchingRuleAssertion {
            rule: Some(MatchingRuleId::new("1.2.3").unwrap()),
            attribute: None,
            value: b(b"Wilma Flintstone"),
            dn_attributes: false,
        })
    );
    assert_eq!(
        p("(:DN:2.4.6.8.10:=Dino)"),
        Filter::Extensible(MatchingRuleAssertion {
            rule: Some(MatchingRuleId::new("2.4.6.8.10").unwrap()),
            attribute: None,
            value: b(b"Dino"),
            dn_attributes: true,
        })
    );
    assert_eq!(
        p("(o=Parens R Us \\28for all your parenthetical needs\\29)"),
        Filter::Equality(ava("o", b"Parens R Us (for all your parenthetical needs)"))
    );
    assert_eq!(
        p("(cn=*\\2A*)"),
        Filter::Substrings(Substrings {
            attribute: a("cn"),
            initial: None,
            any: vec![b(b"*")],
            final_: None,
        })
    );
    assert_eq!(
        p("(filename=C:\\5cMyFile)"),
        Filter::Equality(ava("filename", b"C:\\MyFile"))
    );
    assert_eq!(
        p("(bin=\\00\\00\\00\\04)"),
        Filter::Equality(ava("bin", &[0, 0, 0, 4]))
    );
    assert_eq!(
        p("(sn=Lu\\c4\\8di\\c4\\87)"),
        Filter::Equality(ava("sn", "Lučić".as_bytes()))
    );
    assert_eq!(
        p("(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)"),
        Filter::Equality(ava("1.3.6.1.4.1.1466.0", &[4, 2, 0x48, 0x69]))
    );
}

#[test]
fn substrings_shapes() {
    let s = |f: &str| match p(f) {
        Filter::Substrings(s) => s,
        other => panic!("{f}: {other:?}"),
    };
    let x = s("(a=*x)");
    assert_eq!((x.initial, x.any, x.final_), (None, vec![], Some(b(b"x"))));
    let x = s("(a=x*)");
    assert_eq!((x.initial, x.any, x.final_), (Some(b(b"x")), vec![], None));
    let x = s("(a=*x*)");
    assert_eq!((x.initial, x.any, x.final_), (None, vec![b(b"x")], None));
    let x = s("(a=i*x*y*f)");
    assert_eq!(
        (x.initial, x.any, x.final_),
        (Some(b(b"i")), vec![b(b"x"), b(b"y")], Some(b(b"f")))
    );
    // The ABNF allows an empty `any` element, but servers refuse it:
    // see `empty_substring_is_refused`.
}

#[test]
fn boolean_and_bare() {
    assert_eq!(p("(&)"), Filter::And(vec![]));
    assert_eq!(p("(|)"), Filter::Or(vec![]));
    assert_eq!(p("cn=foo"), Filter::Equality(ava("cn", b"foo")));
    assert_eq!(p("&(a=b)(c=d)"), p("(&(a=b)(c=d))"));
    assert_eq!(p("!(a=b)"), p("(!(a=b))"));
    assert_eq!(p("cn=*"), Filter::Present(a("cn")));
}

#[test]
fn display_canonical() {
    for s in [
        "(cn=foo)",
        "(&(objectClass=person)(|(sn=Jensen)(cn=Babs J*)))",
        "(!(cn=Tim Howes))",
        "(o=univ*of*mich*)",
        "(a=*x*)",
        "(cn=*)",
        "(&)",
        "(|)",
        "(cn>=a)",
        "(cn<=a)",
        "(cn~=a)",
        "(cn:dn:2.5.13.5:=x)",
        "(:dn:rule:=x)",
        "(:rule:=x)",
        "(cn:=x)",
        "(sn=Lučić)",
        "(o=Parens R Us \\28for all\\29)",
        "(cn=\\2a\\5c\\00)",
        "(bin=\\ff\\fe)",
    ] {
        assert_eq!(p(s).to_string(), s);
    }
    // Escapes are normalised: lower-case hex, printable UTF-8 unescaped.
    assert_eq!(p("(cn=\\2A\\41\\c4\\8d)").to_string(), "(cn=\\2aAč)");
    assert_eq!(p("(cn:DN:=x)").to_string(), "(cn:dn:=x)");
    assert_eq!(p("cn=x").to_string(), "(cn=x)");
}

#[test]
fn escape_helper() {
    assert_eq!(
        escape_filter_value("a*b(c)d\\e\0"),
        "a\\2ab\\28c\\29d\\5ce\\00"
    );
    assert_eq!(escape_filter_value([0xc4, 0x8d, 0xff]), "č\\ff");
    assert_eq!(escape_filter_value(""), "");
}

#[test]
fn error_expected() {
    let e = err("(cn=foo");
    assert_eq!(
        e,
        FilterParseError::Expected {
            expected: "')'",
            position: 7
        }
    );
    assert_eq!(e.to_string(), "expected ')' at position 7");
    assert_eq!(err("").to_string(), "expected a filter at position 0");
    assert_eq!(
        err("()").to_string(),
        "expected an attribute description at position 1"
    );
    assert_eq!(err("( cn=x)").position(), 1);
    assert_eq!(
        err("(cn =x)").to_string(),
        "expected a filter type ('=', '~=', '>=', '<=' or ':=') at position 3"
    );
    assert_eq!(err("(cn!=x)").position(), 3);
    assert_eq!(
        err("(&(a=b)c)").to_string(),
        "expected '(' or ')' at position 7"
    );
    assert_eq!(err("(& (a=b))").position(), 2);
    assert_eq!(
        err("(!a=b)").to_string(),
        "expected '(' after '!' at position 2"
    );
    assert_eq!(err("(cn=a(b)").to_string(), "expected ')' at position 5");
    assert_eq!(
        err("(cn;=x)").to_string(),
        "expected an attribute option at position 4"
    );
    assert_eq!(
        err("(1=x)").to_string(),
        "expected '.' (a numeric OID has at least two parts) at position 2"
    );
    assert_eq!(err("(1.=x)").to_string(), "expected a digit at position 3");
    assert_eq!(
        err("(1.02=x)").to_string(),
        "expected a number without leading zeros at position 3"
    );
    assert_eq!(
        err("(cn:dn=x)").to_string(),
        "expected ':' or ':=' at position 6"
    );
    assert_eq!(
        err("(cn:rule=x)").to_string(),
        "expected ':=' at position 8"
    );
    assert_eq!(err("(cn:dn:=x").to_string(), "expected ')' at position 9");
    assert_eq!(
        err("(cn::=x)").to_string(),
        "expected a matching rule or 'dn' at position 4"
    );
}

#[test]
fn error_invalid_escape() {
    for (s, pos) in [
        ("(cn=\\)", 4),
        ("(cn=a\\4)", 5),
        ("(cn=\\zz)", 4),
        ("(cn=\\*)", 4),
        ("cn=\\", 3),
    ] {
        let e = err(s);
        assert_eq!(e, FilterParseError::InvalidEscape { position: pos }, "{s}");
        assert_eq!(
            e.to_string(),
            format!("invalid escape at position {pos}: '\\' must be followed by two hex digits (e.g. \\2a for '*')")
        );
    }
}

#[test]
fn error_unexpected_asterisk() {
    for (s, pos) in [
        ("(cn>=a*)", 6),
        ("(cn~=*)", 5),
        ("(cn<=*a)", 5),
        ("(cn:=a*b)", 6),
    ] {
        let e = err(s);
        assert_eq!(
            e,
            FilterParseError::UnexpectedAsterisk { position: pos },
            "{s}"
        );
    }
    assert_eq!(
        err("(cn>=a*)").to_string(),
        "unescaped '*' at position 6: only '=' takes substrings; write \\2a for a literal '*'"
    );
}

#[test]
fn error_extensible_without_type_or_rule() {
    for s in ["(:=x)", "(:dn:=x)"] {
        let e = err(s);
        assert_eq!(
            e,
            FilterParseError::ExtensibleWithoutTypeOrRule { position: 1 },
            "{s}"
        );
        assert_eq!(
            e.to_string(),
            "extensible match at position 1 needs an attribute type, a matching rule or both"
        );
    }
}

#[test]
fn error_too_deep() {
    let ok = format!(
        "{}(a=b){}",
        "(!".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    p(&ok);
    let deep = format!("{}(a=b){}", "(!".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    let e = err(&deep);
    assert_eq!(
        e,
        FilterParseError::TooDeep {
            max: MAX_DEPTH,
            position: 2 * MAX_DEPTH
        }
    );
    assert_eq!(
        e.to_string(),
        format!(
            "filter nested deeper than 64 levels at position {}",
            2 * MAX_DEPTH
        )
    );
    // A bare filter counts as one level too.
    let bare = format!(
        "!{}(a=b){}",
        "(!".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(matches!(err(&bare), FilterParseError::TooDeep { .. }));
    // Hostile depth is an error, not a stack overflow.
    let huge = "(&".repeat(1_000_000);
    assert!(matches!(err(&huge), FilterParseError::TooDeep { .. }));
}

#[test]
fn error_trailing_input() {
    let e = err("(a=b)(c=d)");
    assert_eq!(e, FilterParseError::TrailingInput { position: 5 });
    assert_eq!(
        e.to_string(),
        "unexpected input after the end of the filter at position 5"
    );
    assert_eq!(err("(a=b) ").position(), 5);
    assert_eq!(err("a=b)").position(), 3);
}

fn attr() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,6}(;[a-zA-Z0-9-]{1,4}){0,2}",
        "(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3})){1,4}",
    ]
}

fn rule() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,8}".prop_filter("not dn", |r| !r.eq_ignore_ascii_case("dn")),
        "(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3})){1,4}",
    ]
}

fn value() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Bytes::from),
        ".{0,6}".prop_map(Bytes::from),
    ]
}

fn nonempty_value() -> impl Strategy<Value = Bytes> {
    value().prop_filter("non-empty", |v| !v.is_empty())
}

fn leaf() -> impl Strategy<Value = Filter> {
    let ava = || {
        (attr(), value()).prop_map(|(a, v)| Ava {
            attribute: AttributeDescription::new(a).unwrap(),
            value: v,
        })
    };
    prop_oneof![
        ava().prop_map(Filter::Equality),
        ava().prop_map(Filter::GreaterOrEqual),
        ava().prop_map(Filter::LessOrEqual),
        ava().prop_map(Filter::Approx),
        attr().prop_map(|a| Filter::Present(AttributeDescription::new(a).unwrap())),
        (
            attr(),
            proptest::option::of(nonempty_value()),
            proptest::collection::vec(nonempty_value(), 0..3),
            proptest::option::of(nonempty_value())
        )
            .prop_filter("not a presence test", |(_, i, a, f)| {
                i.is_some() || !a.is_empty() || f.is_some()
            })
            .prop_map(|(a, initial, any, final_)| {
                Filter::Substrings(Substrings {
                    attribute: AttributeDescription::new(a).unwrap(),
                    initial,
                    any,
                    final_,
                })
            }),
        (
            proptest::option::of(attr()),
            proptest::option::of(rule()),
            value(),
            any::<bool>()
        )
            .prop_filter("type or rule", |(a, r, _, _)| a.is_some() || r.is_some())
            .prop_map(|(a, r, v, dn)| Filter::Extensible(MatchingRuleAssertion {
                rule: r.map(|r| MatchingRuleId::new(r).unwrap()),
                attribute: a.map(|a| AttributeDescription::new(a).unwrap()),
                value: v,
                dn_attributes: dn,
            })),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Filter::And),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

proptest! {
    #[test]
    fn round_trip(f in filter()) {
        let text = f.to_string();
        prop_assert_eq!(Filter::parse(&text), Ok(f), "{}", text);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
        if let Ok(f) = Filter::parse(&s) {
            let text = f.to_string();
            prop_assert_eq!(Filter::parse(&text), Ok(f));
        }
    }

    #[test]
    fn filter_like_strings_never_panic(s in "[()&|!=*~<>:;a-c0-2.\\\\ ]{0,40}") {
        if let Ok(f) = Filter::parse(&s) {
            let text = f.to_string();
            prop_assert_eq!(Filter::parse(&text), Ok(f));
        }
    }

    #[test]
    fn escaped_values_stay_values(v in proptest::collection::vec(any::<u8>(), 0..16)) {
        let f = Filter::parse(&format!("(cn={})", escape_filter_value(&v))).unwrap();
        prop_assert_eq!(f, Filter::Equality(ava("cn", &v)));
    }
}
