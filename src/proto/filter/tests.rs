//! The names a filter holds, wherever the filter comes from; the empty
//! substring; the bytes entry point.

use bytes::Bytes;

use super::*;
use crate::ber::DecodeErrorKind;

const GRAMMAR: &str =
    "RFC 4512: letters, digits and '-' after a leading letter, or a numeric OID, then ;options";

#[test]
fn attribute_descriptions_of_rfc_4512() {
    for ok in [
        "cn",
        "CN",
        "objectClass",
        "x-custom-Attr2",
        "cn;lang-de",
        "cn;x-foo",
        "userCertificate;binary",
        "cn;lang-de;x-foo",
        "2.5.4.3",
        "0.9.2342.19200300.100.1.25",
        "2.5.4.3;lang-en",
    ] {
        let attr = AttributeDescription::new(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(attr.as_str(), ok);
        assert_eq!(attr.to_string(), ok);
    }
    let attr = AttributeDescription::new("cn;lang-de;x-foo").unwrap();
    assert_eq!(attr.attribute_type(), "cn");
    assert_eq!(attr.options().collect::<Vec<_>>(), ["lang-de", "x-foo"]);
    assert_eq!(AttributeDescription::OBJECT_CLASS, "objectClass");

    for (bad, position, reason) in [
        ("a=1)(b", 1, "unexpected '='"),
        ("", 0, "unexpected end (expected a letter or a digit)"),
        ("-cn", 0, "unexpected '-' (expected a letter or a digit)"),
        ("c_n", 1, "unexpected '_'"),
        ("cn x", 2, "unexpected ' '"),
        ("cn;", 3, "expected an option after ';'"),
        ("cn;;x", 3, "expected an option after ';'"),
        ("cn;x_y", 4, "unexpected '_'"),
        ("2", 1, "a numeric OID needs at least two parts"),
        ("2.", 2, "unexpected end (expected a digit)"),
        ("2.05", 2, "a number with a leading zero"),
        ("2.5x", 3, "unexpected 'x'"),
        ("cn\u{0}", 2, "unexpected '\\0'"),
        ("cn\u{e9}", 2, "unexpected '\u{e9}'"),
    ] {
        let err = AttributeDescription::new(bad).unwrap_err();
        assert_eq!(
            (
                err.what,
                err.name.as_str(),
                err.position,
                err.reason.as_str()
            ),
            ("attribute description", bad, position, reason),
            "{bad:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("invalid attribute description {bad:?}: {reason} at position {position} ({GRAMMAR})")
        );
    }
}

#[test]
fn matching_rules_are_oids_without_options() {
    assert_eq!(
        MatchingRuleId::new("caseExactMatch").unwrap(),
        "caseExactMatch"
    );
    assert_eq!(MatchingRuleId::new("2.5.13.5").unwrap(), "2.5.13.5");
    let err = MatchingRuleId::new("2.5.13.5;x").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid matching rule \"2.5.13.5;x\": unexpected ';' at position 8 ({GRAMMAR})")
    );
    let err = MatchingRuleId::new("x:=y)(cn").unwrap_err();
    assert_eq!((err.what, err.position), ("matching rule", 1));
}

/// A name from input cannot make a filter built in code print as another
/// filter (on the code before these checks, `Ava::new("a=1)(b", "2")`
/// inside an AND printed as `(&(a=1)(b=2))`).
#[test]
fn built_filter_refuses_a_name_that_is_not_one() {
    let injected = "a=1)(b";
    let err = Ava::new(injected, "2").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid attribute description \"a=1)(b\": unexpected '=' at position 1 ({GRAMMAR})"
        )
    );
    assert_eq!(Filter::present(injected).unwrap_err(), err);
    assert_eq!(Filter::equality(injected, "2").unwrap_err(), err);
    assert_eq!(Substrings::new(injected).unwrap_err(), err);
    assert_eq!(injected.parse::<AttributeDescription>().unwrap_err(), err);
    assert_eq!(
        AttributeDescription::try_from(injected.to_owned()).unwrap_err(),
        err
    );

    // What can be built prints as itself and parses back to itself.
    let f = Filter::And(vec![
        Filter::equality("cn;lang-de", "x)(y").unwrap(),
        Filter::present("2.5.4.3").unwrap(),
    ]);
    assert_eq!(f.to_string(), r"(&(cn;lang-de=x\29\28y)(2.5.4.3=*))");
    assert_eq!(Filter::parse(&f.to_string()).unwrap(), f);
}

/// The BER of a filter naming `a=1)(b`: accepted before these checks, and
/// printed by `Display` as `(a=1)(b=*)`.
#[test]
fn decoded_filter_refuses_a_name_that_is_not_one() {
    let attribute_message = "invalid value: AttributeDescription is not an RFC 4512 attribute description (a name of letters, digits and '-', or a numeric OID, then ;options)";
    // present [7] "a=1)(b"
    let present = [&[0x87, 6][..], b"a=1)(b"].concat();
    let err = Filter::from_ber(Bytes::from(present)).unwrap_err();
    assert!(matches!(err.kind, DecodeErrorKind::InvalidValue(_)));
    assert_eq!(err.to_string(), format!("{attribute_message} at byte 0"));

    // (&(cn=x)(a=1)(b=2)) with the second equality's name forged: the
    // offset is that of the name inside it.
    let mut and = vec![0xa0, 21, 0xa3, 7, 0x04, 2, b'c', b'n', 0x04, 1, b'x'];
    and.extend([0xa3, 10, 0x04, 6]);
    and.extend(b"a=1)(b");
    and.extend([0x04, 0]);
    assert_eq!(and.len(), 23);
    let err = Filter::from_ber(Bytes::from(and)).unwrap_err();
    assert_eq!(err.to_string(), format!("{attribute_message} at byte 13"));

    // extensibleMatch [9] { matchingRule [1] "x:=y)(cn", matchValue [3] "v" }
    let mut ext = vec![0xa9, 13, 0x81, 8];
    ext.extend(b"x:=y)(cn");
    ext.extend([0x83, 1, b'v']);
    let err = Filter::from_ber(Bytes::from(ext)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: MatchingRuleId is not an RFC 4512 descriptor or numeric OID at byte 2"
    );
    // ... and its type [2] "cn x".
    let mut ext = vec![0xa9, 9, 0x82, 4];
    ext.extend(b"cn x");
    ext.extend([0x83, 1, b'v']);
    let err = Filter::from_ber(Bytes::from(ext)).unwrap_err();
    assert_eq!(err.to_string(), format!("{attribute_message} at byte 2"));

    // The valid names of the same shapes decode.
    let mut ok = vec![0xa9, 17, 0x81, 8];
    ok.extend(b"2.5.13.5");
    ok.extend([0x82, 2, b'c', b'n', 0x83, 1, b'v']);
    let f = Filter::from_ber(Bytes::from(ok)).unwrap();
    assert_eq!(f.to_string(), "(cn:2.5.13.5:=v)");
}

/// `(cn=a**b)` was accepted and sent an empty substring, which slapd
/// refuses with invalidAttributeSyntax.
#[test]
fn empty_substring_is_refused() {
    let msg = |position: usize| {
        format!("empty substring at position {position}: '**' asserts nothing between the stars; write one '*', or \\2a for a literal '*'")
    };
    for (input, position) in [
        ("(cn=a**b)", 6),
        ("(cn=**)", 5),
        ("(cn=*a**)", 7),
        ("cn=a***", 5),
    ] {
        let err = Filter::parse(input).unwrap_err();
        assert_eq!(
            err,
            FilterParseError::EmptySubstring { position },
            "{input}"
        );
        assert_eq!(err.position(), position);
        assert_eq!(err.to_string(), msg(position), "{input}");
    }
    // A literal star between two wildcards is fine.
    let f = Filter::parse(r"(cn=a*\2a*b)").unwrap();
    let Filter::Substrings(s) = &f else {
        panic!("{f:?}")
    };
    assert_eq!(s.any, [Bytes::from_static(b"*")]);
}

/// RFC 4515 §3: implementations SHOULD accept values that are not UTF-8.
#[test]
fn parse_bytes_takes_values_that_are_not_utf8() {
    let f = Filter::parse_bytes(b"(&(sn=M\xfcller)(cn=\xff*\xfe))").unwrap();
    let Filter::And(items) = &f else {
        panic!("{f:?}")
    };
    let Filter::Equality(ava) = &items[0] else {
        panic!("{f:?}")
    };
    assert_eq!(&ava.value[..], b"M\xfcller");
    let Filter::Substrings(s) = &items[1] else {
        panic!("{f:?}")
    };
    assert_eq!(s.initial.as_deref(), Some(&b"\xff"[..]));
    assert_eq!(s.final_.as_deref(), Some(&b"\xfe"[..]));
    // Printed with the bytes escaped, valid UTF-8 that parses back.
    let printed = f.to_string();
    assert_eq!(printed, r"(&(sn=M\fcller)(cn=\ff*\fe))");
    assert_eq!(Filter::parse(&printed).unwrap(), f);
    // UTF-8 input gives what `parse` gives.
    assert_eq!(
        Filter::parse_bytes("(cn=Lučić)".as_bytes()).unwrap(),
        Filter::parse("(cn=Lučić)").unwrap()
    );
    // The structure stays ASCII: a byte that is not in a name is refused
    // with its position.
    let err = Filter::parse_bytes(b"(c\xffn=x)").unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a filter type ('=', '~=', '>=', '<=' or ':=') at position 2"
    );
    let err = Filter::parse_bytes(b"(\xe9=x)").unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected an attribute description at position 1"
    );
}

/// Other projects' filter test vectors (facts: input, accepted or not):
/// go-ldap `v3/filter_test.go` and laurelin `tests/test_filter.py`. Where
/// this parser decides otherwise, the case is listed in
/// `disagreements_with_other_projects` with the reason.
#[test]
fn other_projects_vectors() {
    let accepted = [
        // go-ldap
        "(&(sn=Miller)(givenName=Bob))",
        "(|(sn=Miller)(givenName=Bob))",
        "(!(sn=Miller))",
        "(sn=Mill*)",
        "(sn=*i*le*)",
        "(sn=Mi*l*r)",
        "(sn=Mi*함*r)",
        r"(sn=Mi*\ed\95\a8*r)",
        "(sn~=Miller)",
        r"(objectGUID='\fc\fe\a3\ab\f9\90N\aaGm\d5I~\d12)",
        "(&(objectclass=inetorgperson)(cn=中文))",
        "(memberOf:=foo)",
        "(memberOf:test:=foo)",
        "(cn:1.2.3.4.5:=Fred Flintstone)",
        "(sn:dn:2.4.6.8.10:=Barney Rubble)",
        "(o:dn:=Ace Industry)",
        "(:dn:2.4.6.8.10:=Dino)",
        "(memberOf:1.2.840.113556.1.4.1941:=CN=User1,OU=blah,DC=mydomain,DC=net)",
        "(!(!(a=b)))",
        "(|(&(a=b))(c=d))",
        "(o:DN:=x)",
        "(sn:DN:2.4.6.8.10:=x)",
        "(cn=a\u{fffd}b)",
        "(1.2.3=v)",
        "(cn;lang-en=v)",
        "(cn;123=v)",
        "(cn;-x=v)",
        "(1.2.3;binary=v)",
        // laurelin
        "(foo:dn:1.2.3.4:=bar)",
        "(:1.2.3.4:=bar)",
        "(foo=*abc*def*ghj*)",
        "(&(foo=bar)(!(foo=bar))(|(foo=bar)(foo<=1)(foo=*abc*def)))",
    ];
    for f in accepted {
        let parsed = Filter::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(Filter::parse(&parsed.to_string()).unwrap(), parsed, "{f}");
    }
    let refused = [
        // go-ldap
        "(objectGUID=",
        "(objectGUID=함수목록",
        "((cn=)",
        r"(objectGUID=\zz)",
        r"(objectGUID=\a)",
        "(&(a=b)x",
        "(!(a=b)x",
        "((a=b)x",
        "(|(a=b)]",
        "(&(a=b)(c=d)x",
        "(!(a=b)",
        "((a=b)",
        "(&x)",
        "(sn=**)",
        "(sn=***)",
        "(=v)",
        "(a b=v)",
        r"(a\2ab=v)",
        "(1.2.3.=v)",
        "(a;=v)",
        "(-cn=v)",
        "(a b:=v)",
        // laurelin
        "(foo=bar",
        "(foo<1)",
        "(foo>1)",
        "(foo~bar)",
        "(foo:bar)",
        "(foo*)",
        "(:x:1.2.3.4:=foo)",
        "(::::::=foo)",
    ];
    for f in refused {
        assert!(Filter::parse(f).is_err(), "{f} was accepted");
    }
    // go-ldap: a decoded filter naming `uid)(uid=admin` must not print as
    // another filter (go-ldap escapes it in the output; here it is refused
    // when decoded).
    let name = b"uid)(uid=admin";
    let mut eq = vec![0xa3, (name.len() + 5) as u8, 0x04, name.len() as u8];
    eq.extend(name);
    eq.extend([0x04, 1, b'x']);
    assert!(Filter::from_ber(Bytes::from(eq)).is_err());
}

/// Where this parser decides otherwise than those projects, on purpose.
#[test]
fn disagreements_with_other_projects() {
    // go-ldap drops redundant parentheses; RFC 4515 has none.
    assert_eq!(
        Filter::parse("((a=b))").unwrap_err().to_string(),
        "expected an attribute description at position 1"
    );
    // laurelin refuses a filter without its parentheses; this parser takes
    // it as ldapsearch does.
    assert_eq!(
        Filter::parse("foo=bar").unwrap(),
        Filter::parse("(foo=bar)").unwrap()
    );
    // go-ldap refuses values that are not UTF-8; RFC 4515 §3 says they
    // SHOULD be accepted, and parse_bytes does.
    assert!(Filter::parse_bytes(b"(cn=a\xffb)").is_ok());
}
