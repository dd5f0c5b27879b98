use bytes::Bytes;

use super::*;
use crate::proto::tests::{decode_err, golden};
use crate::proto::{Filter, LdapMessage, ResultCode};

fn msg(id: i32, op: ProtocolOp) -> LdapMessage {
    LdapMessage::new(MessageId(id), op)
}

fn s(v: &'static str) -> ByteString {
    ByteString::from_static(v)
}

fn b(v: &'static [u8]) -> Bytes {
    Bytes::from_static(v)
}

fn success() -> LdapResult {
    LdapResult::new(ResultCode::SUCCESS)
}

#[test]
fn bind_request_simple() {
    // BindRequest { version 3, name "cn=a", simple "pw" }
    let bytes = [
        0x30, 0x12, 0x02, 0x01, 0x01, 0x60, 0x0d, 0x02, 0x01, 0x03, 0x04, 0x04, 0x63, 0x6e, 0x3d,
        0x61, 0x80, 0x02, 0x70, 0x77,
    ];
    let op = ProtocolOp::BindRequest(BindRequest {
        version: 3,
        name: s("cn=a"),
        auth: BindAuth::Simple(Password::new("pw")),
    });
    golden(&bytes, &msg(1, op));
}

#[test]
fn bind_request_sasl() {
    // BindRequest { version 3, name "", sasl { "EXTERNAL" } }
    let bytes = [
        0x30, 0x16, 0x02, 0x01, 0x02, 0x60, 0x11, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa3, 0x0a, 0x04,
        0x08, 0x45, 0x58, 0x54, 0x45, 0x52, 0x4e, 0x41, 0x4c,
    ];
    let op = |credentials| {
        ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: ByteString::new(),
            auth: BindAuth::Sasl {
                mechanism: s("EXTERNAL"),
                credentials,
            },
        })
    };
    golden(&bytes, &msg(2, op(None)));
    // Empty credentials are present, and differ from absent ones.
    let bytes = [
        0x30, 0x18, 0x02, 0x01, 0x02, 0x60, 0x13, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa3, 0x0c, 0x04,
        0x08, 0x45, 0x58, 0x54, 0x45, 0x52, 0x4e, 0x41, 0x4c, 0x04, 0x00,
    ];
    golden(&bytes, &msg(2, op(Some(Password::new(Vec::new())))));
}

#[test]
fn bind_request_errors() {
    let err = decode_err(&[
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x80, 0x00,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "version",
            value: 0
        }
    );
    assert_eq!(err.to_string(), "version 0 is out of range at byte 7");
    let err = decode_err(&[
        0x30, 0x0d, 0x02, 0x01, 0x01, 0x60, 0x08, 0x02, 0x02, 0x00, 0x80, 0x04, 0x00, 0x80, 0x00,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "version",
            value: 128
        }
    );
    // [1], reserved (krbv42LDAP).
    let err = decode_err(&[
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x81, 0x00,
    ]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "AuthenticationChoice",
            found: Tag::context(1)
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown AuthenticationChoice choice 0x81 ([1]) at byte 12"
    );
    // simple [0] in constructed form.
    let err = decode_err(&[
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa0, 0x00,
    ]);
    assert_eq!(err.kind, DecodeErrorKind::BadConstruction);
    assert_eq!(
        err.to_string(),
        "wrong primitive/constructed form at byte 12"
    );
    // No authentication at all.
    let err = decode_err(&[
        0x30, 0x0a, 0x02, 0x01, 0x01, 0x60, 0x05, 0x02, 0x01, 0x03, 0x04, 0x00,
    ]);
    assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
    assert_eq!(err.offset, 12);
}

#[test]
fn bind_response() {
    // BindResponse { success, "", "", serverSaslCreds [7] "ok" }
    let bytes = [
        0x30, 0x10, 0x02, 0x01, 0x01, 0x61, 0x0b, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x87,
        0x02, 0x6f, 0x6b,
    ];
    let op = ProtocolOp::BindResponse(BindResponse {
        result: success(),
        server_sasl_creds: Some(b(b"ok")),
    });
    golden(&bytes, &msg(1, op));
    // invalidCredentials (49), no credentials.
    let bytes = [
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x31, 0x04, 0x00, 0x04, 0x00,
    ];
    let op = ProtocolOp::BindResponse(BindResponse {
        result: LdapResult::new(ResultCode::INVALID_CREDENTIALS),
        server_sasl_creds: None,
    });
    golden(&bytes, &msg(1, op));
}

#[test]
fn unbind_request() {
    golden(
        &[0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00],
        &msg(3, ProtocolOp::UnbindRequest),
    );
    let err = decode_err(&[0x30, 0x06, 0x02, 0x01, 0x03, 0x42, 0x01, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("UnbindRequest is a NULL, with no content")
    );
    assert_eq!(
        err.to_string(),
        "invalid value: UnbindRequest is a NULL, with no content at byte 5"
    );
    // In constructed form.
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x62, 0x00]);
    assert_eq!(err.kind, DecodeErrorKind::BadConstruction);
}

fn search(scope: Scope, deref: DerefAliases) -> SearchRequest {
    SearchRequest {
        base: s("dc=x"),
        scope,
        deref,
        size_limit: 10,
        time_limit: 0,
        types_only: false,
        filter: Filter::Present(crate::proto::filter::AttributeDescription::OBJECT_CLASS),
        attributes: vec![s("cn")],
    }
}

/// The SearchRequest of `search(Subtree, Always)`, with `scope` and
/// `deref` octets to patch.
const SEARCH: [u8; 47] = [
    0x30, 0x2d, 0x02, 0x01, 0x02, 0x63, 0x28, 0x04, 0x04, 0x64, 0x63, 0x3d, 0x78, 0x0a, 0x01, 0x02,
    0x0a, 0x01, 0x03, 0x02, 0x01, 0x0a, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b, 0x6f, 0x62,
    0x6a, 0x65, 0x63, 0x74, 0x43, 0x6c, 0x61, 0x73, 0x73, 0x30, 0x04, 0x04, 0x02, 0x63, 0x6e,
];
const SCOPE_AT: usize = 15;
const DEREF_AT: usize = 18;

#[test]
fn search_request() {
    golden(
        &SEARCH,
        &msg(
            2,
            ProtocolOp::SearchRequest(search(Scope::Subtree, DerefAliases::Always)),
        ),
    );
    let scopes = [
        Scope::Base,
        Scope::OneLevel,
        Scope::Subtree,
        Scope::Subordinate,
    ];
    let derefs = [
        DerefAliases::Never,
        DerefAliases::InSearching,
        DerefAliases::FindingBase,
        DerefAliases::Always,
    ];
    for (i, scope) in scopes.into_iter().enumerate() {
        for (j, deref) in derefs.into_iter().enumerate() {
            let mut bytes = SEARCH;
            bytes[SCOPE_AT] = i as u8;
            bytes[DEREF_AT] = j as u8;
            golden(
                &bytes,
                &msg(2, ProtocolOp::SearchRequest(search(scope, deref))),
            );
        }
    }
}

#[test]
fn search_request_errors() {
    let mut bytes = SEARCH;
    bytes[SCOPE_AT] = 0x04;
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownEnumerated {
            field: "scope",
            value: 4
        }
    );
    assert_eq!(err.to_string(), "unknown scope value 4 at byte 13");
    let mut bytes = SEARCH;
    bytes[DEREF_AT] = 0xff;
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownEnumerated {
            field: "derefAliases",
            value: -1
        }
    );
    let mut bytes = SEARCH;
    bytes[21] = 0x80;
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "sizeLimit",
            value: -128
        }
    );
    assert_eq!(err.to_string(), "sizeLimit -128 is out of range at byte 19");
    let mut bytes = SEARCH;
    bytes[24] = 0xff;
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "timeLimit",
            value: -1
        }
    );
    // An attribute selector that is not UTF-8.
    let mut bytes = SEARCH;
    bytes[46] = 0xff;
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("LDAPString is not UTF-8")
    );
    assert_eq!(err.offset, 43);
    // A filter tag that is no filter.
    let mut bytes = SEARCH;
    bytes[28] = 0x8a;
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "Filter",
            found: Tag::context(10)
        }
    );
}

#[test]
fn search_result_entry() {
    // SearchResultEntry { "cn=a", { cn: {a, b}, sn: {} } }
    let bytes = [
        0x30, 0x23, 0x02, 0x01, 0x02, 0x64, 0x1e, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x16,
        0x30, 0x0c, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62, 0x30,
        0x06, 0x04, 0x02, 0x73, 0x6e, 0x31, 0x00,
    ];
    let entry = SearchResultEntry::new(
        s("cn=a"),
        vec![
            Attribute::new("cn", ["a", "b"]),
            Attribute::new::<&[u8]>("sn", []),
        ],
    );
    golden(
        &bytes,
        &msg(2, ProtocolOp::SearchResultEntry(entry.clone())),
    );
    // The same with Active Directory's four-octet lengths everywhere.
    let ad = [
        0x30, 0x84, 0, 0, 0, 0x3b, 0x02, 0x01, 0x02, 0x64, 0x84, 0, 0, 0, 0x32, 0x04, 0x04, 0x63,
        0x6e, 0x3d, 0x61, 0x30, 0x84, 0, 0, 0, 0x26, 0x30, 0x84, 0, 0, 0, 0x10, 0x04, 0x02, 0x63,
        0x6e, 0x31, 0x84, 0, 0, 0, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62, 0x30, 0x84, 0, 0, 0,
        0x0a, 0x04, 0x02, 0x73, 0x6e, 0x31, 0x84, 0, 0, 0, 0x00,
    ];
    // The lists compare by encoding: the attributes are the same, the
    // encodings are not.
    let got = LdapMessage::decode(Bytes::copy_from_slice(&ad)).unwrap();
    let ProtocolOp::SearchResultEntry(got) = got.op else {
        panic!("{got:?}")
    };
    assert_eq!(got.dn, entry.dn);
    assert_eq!(got.attributes.to_vec(), entry.attributes.to_vec());
    assert_ne!(got.attributes, entry.attributes);
    // A DN that is not UTF-8.
    let mut bad = bytes;
    bad[12] = 0xc0;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("LDAPDN is not UTF-8")
    );
    assert_eq!(
        err.to_string(),
        "invalid value: LDAPDN is not UTF-8 at byte 7"
    );
    // An attribute description that is not UTF-8; values may be anything.
    let mut bad = bytes;
    bad[19] = 0xff;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("AttributeDescription is not UTF-8")
    );
    let mut binary = bytes;
    binary[25] = 0xff;
    assert!(LdapMessage::decode(Bytes::copy_from_slice(&binary)).is_ok());
    // vals is a SET, not a SEQUENCE.
    let mut bad = bytes;
    bad[21] = 0x30;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::SET,
            found: Tag::SEQUENCE
        }
    );
}

#[test]
fn search_result_reference() {
    let bytes = [
        0x30, 0x1b, 0x02, 0x01, 0x02, 0x73, 0x16, 0x04, 0x09, 0x6c, 0x64, 0x61, 0x70, 0x3a, 0x2f,
        0x2f, 0x61, 0x2f, 0x04, 0x09, 0x6c, 0x64, 0x61, 0x70, 0x3a, 0x2f, 0x2f, 0x62, 0x2f,
    ];
    let op = ProtocolOp::SearchResultReference(vec![s("ldap://a/"), s("ldap://b/")]);
    golden(&bytes, &msg(2, op));
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x02, 0x73, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("SearchResultReference must hold at least one URI")
    );
    assert_eq!(err.offset, 7);
}

#[test]
fn modify_request() {
    // ModifyRequest { "cn=a", { replace mail {m}, delete sn {}, increment n {1} } }
    let bytes = [
        0x30, 0x3b, 0x02, 0x01, 0x03, 0x66, 0x36, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x2e,
        0x30, 0x10, 0x0a, 0x01, 0x02, 0x30, 0x0b, 0x04, 0x04, 0x6d, 0x61, 0x69, 0x6c, 0x31, 0x03,
        0x04, 0x01, 0x6d, 0x30, 0x0b, 0x0a, 0x01, 0x01, 0x30, 0x06, 0x04, 0x02, 0x73, 0x6e, 0x31,
        0x00, 0x30, 0x0d, 0x0a, 0x01, 0x03, 0x30, 0x08, 0x04, 0x01, 0x6e, 0x31, 0x03, 0x04, 0x01,
        0x31,
    ];
    let op = ProtocolOp::ModifyRequest(ModifyRequest {
        object: s("cn=a"),
        changes: vec![
            Modification {
                op: ModifyOp::Replace,
                attribute: Attribute::new("mail", ["m"]),
            },
            Modification {
                op: ModifyOp::Delete,
                attribute: Attribute::new::<&[u8]>("sn", []),
            },
            Modification {
                op: ModifyOp::Increment,
                attribute: Attribute::new("n", ["1"]),
            },
        ],
    });
    golden(&bytes, &msg(3, op));
    let mut bad = bytes;
    bad[19] = 0x04;
    let err = decode_err(&bad);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownEnumerated {
            field: "operation",
            value: 4
        }
    );
    assert_eq!(err.to_string(), "unknown operation value 4 at byte 17");
}

#[test]
fn add_request() {
    // AddRequest { "cn=a", { objectClass: {top}, cn: {a} } }
    let bytes = [
        0x30, 0x2e, 0x02, 0x01, 0x04, 0x68, 0x29, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x21,
        0x30, 0x14, 0x04, 0x0b, 0x6f, 0x62, 0x6a, 0x65, 0x63, 0x74, 0x43, 0x6c, 0x61, 0x73, 0x73,
        0x31, 0x05, 0x04, 0x03, 0x74, 0x6f, 0x70, 0x30, 0x09, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x03,
        0x04, 0x01, 0x61,
    ];
    let op = ProtocolOp::AddRequest(AddRequest {
        entry: s("cn=a"),
        attributes: vec![
            Attribute::new("objectClass", ["top"]),
            Attribute::new("cn", ["a"]),
        ],
    });
    golden(&bytes, &msg(4, op));
    // An attribute without values: `vals (SIZE(1..MAX))`.
    let bytes = [
        0x30, 0x15, 0x02, 0x01, 0x04, 0x68, 0x10, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x08,
        0x30, 0x06, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x00,
    ];
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        DecodeErrorKind::InvalidValue("an Attribute must have at least one value")
    );
    assert_eq!(err.offset, 23);
}

#[test]
fn del_request() {
    let bytes = [
        0x30, 0x09, 0x02, 0x01, 0x05, 0x4a, 0x04, 0x63, 0x6e, 0x3d, 0x61,
    ];
    golden(&bytes, &msg(5, ProtocolOp::DelRequest(s("cn=a"))));
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x05, 0x6a, 0x00]);
    assert_eq!(err.kind, DecodeErrorKind::BadConstruction);
    assert_eq!(err.offset, 5);
}

#[test]
fn modify_dn_request() {
    // ModifyDNRequest { "cn=a,o=x", "cn=b", TRUE, newSuperior "o=y" }
    let bytes = [
        0x30, 0x1d, 0x02, 0x01, 0x06, 0x6c, 0x18, 0x04, 0x08, 0x63, 0x6e, 0x3d, 0x61, 0x2c, 0x6f,
        0x3d, 0x78, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x62, 0x01, 0x01, 0xff, 0x80, 0x03, 0x6f, 0x3d,
        0x79,
    ];
    let op = |delete_old_rdn, new_superior| {
        ProtocolOp::ModifyDnRequest(ModifyDnRequest {
            entry: s("cn=a,o=x"),
            new_rdn: s("cn=b"),
            delete_old_rdn,
            new_superior,
        })
    };
    golden(&bytes, &msg(6, op(true, Some(s("o=y")))));
    let bytes = [
        0x30, 0x18, 0x02, 0x01, 0x06, 0x6c, 0x13, 0x04, 0x08, 0x63, 0x6e, 0x3d, 0x61, 0x2c, 0x6f,
        0x3d, 0x78, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x62, 0x01, 0x01, 0x00,
    ];
    golden(&bytes, &msg(6, op(false, None)));
}

#[test]
fn compare_request() {
    // CompareRequest { "cn=a", { sn, "x" } }
    let bytes = [
        0x30, 0x14, 0x02, 0x01, 0x07, 0x6e, 0x0f, 0x04, 0x04, 0x63, 0x6e, 0x3d, 0x61, 0x30, 0x07,
        0x04, 0x02, 0x73, 0x6e, 0x04, 0x01, 0x78,
    ];
    let op = ProtocolOp::CompareRequest(CompareRequest {
        entry: s("cn=a"),
        attribute: s("sn"),
        value: b(b"x"),
    });
    golden(&bytes, &msg(7, op));
}

#[test]
fn abandon_request() {
    golden(
        &[0x30, 0x06, 0x02, 0x01, 0x08, 0x50, 0x01, 0x05],
        &msg(8, ProtocolOp::AbandonRequest(MessageId(5))),
    );
    golden(
        &[0x30, 0x07, 0x02, 0x01, 0x08, 0x50, 0x02, 0x01, 0x2c],
        &msg(8, ProtocolOp::AbandonRequest(MessageId(300))),
    );
    let err = decode_err(&[0x30, 0x06, 0x02, 0x01, 0x08, 0x50, 0x01, 0xfb]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "messageID",
            value: -5
        }
    );
    assert_eq!(err.offset, 5);
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x08, 0x50, 0x00]);
    assert_eq!(err.kind, DecodeErrorKind::BadInteger);
    assert_eq!(
        err.to_string(),
        "malformed or out-of-range INTEGER at byte 5"
    );
}

#[test]
fn results_of_every_kind() {
    // resultCode, "", "" under each LDAPResult-only response tag.
    type Variant = fn(LdapResult) -> ProtocolOp;
    let cases: [(u8, u8, Variant); 6] = [
        (0x65, 0x00, ProtocolOp::SearchResultDone),
        (0x67, 0x13, ProtocolOp::ModifyResponse),
        (0x69, 0x44, ProtocolOp::AddResponse),
        (0x6b, 0x42, ProtocolOp::DelResponse),
        (0x6d, 0x35, ProtocolOp::ModifyDnResponse),
        (0x6f, 0x06, ProtocolOp::CompareResponse),
    ];
    for (tag, code, op) in cases {
        let bytes = [
            0x30, 0x0c, 0x02, 0x01, 0x04, tag, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00,
        ];
        let result = LdapResult::new(ResultCode(u32::from(code)));
        golden(&bytes, &msg(4, op(result)));
    }
    // With a matched DN and a message.
    let bytes = [
        0x30, 0x12, 0x02, 0x01, 0x04, 0x6b, 0x0d, 0x0a, 0x01, 0x20, 0x04, 0x03, 0x6f, 0x3d, 0x78,
        0x04, 0x03, 0x6e, 0x6f, 0x21,
    ];
    let result = LdapResult {
        code: ResultCode::NO_SUCH_OBJECT,
        matched_dn: s("o=x"),
        message: s("no!"),
        referrals: Vec::new(),
    };
    golden(&bytes, &msg(4, ProtocolOp::DelResponse(result)));
}

#[test]
fn extended_request() {
    // ExtendedRequest { requestName "1.3.6.1.4.1.1466.20037" } (StartTLS)
    let mut bytes = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
    bytes.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
    let op = ProtocolOp::ExtendedRequest(ExtendedRequest {
        name: s("1.3.6.1.4.1.1466.20037"),
        value: None,
    });
    golden(&bytes, &msg(1, op));
    // With a value.
    let bytes = [
        0x30, 0x0f, 0x02, 0x01, 0x01, 0x77, 0x0a, 0x80, 0x05, 0x31, 0x2e, 0x32, 0x2e, 0x33, 0x81,
        0x01, 0x76,
    ];
    let op = ProtocolOp::ExtendedRequest(ExtendedRequest {
        name: s("1.2.3"),
        value: Some(b(b"v")),
    });
    golden(&bytes, &msg(1, op));
    // requestName missing.
    let err = decode_err(&[0x30, 0x08, 0x02, 0x01, 0x01, 0x77, 0x03, 0x81, 0x01, 0x76]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::context(0),
            found: Tag::context(1)
        }
    );
}

#[test]
fn extended_response() {
    // ExtendedResponse { success, "", "", [10] "1.2.3", [11] de ad }
    let bytes = [
        0x30, 0x17, 0x02, 0x01, 0x01, 0x78, 0x12, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x8a,
        0x05, 0x31, 0x2e, 0x32, 0x2e, 0x33, 0x8b, 0x02, 0xde, 0xad,
    ];
    let op = ProtocolOp::ExtendedResponse(ExtendedResponse {
        result: success(),
        name: Some(s("1.2.3")),
        value: Some(b(&[0xde, 0xad])),
    });
    golden(&bytes, &msg(1, op));
    let bytes = [
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00,
    ];
    let op = ProtocolOp::ExtendedResponse(ExtendedResponse {
        result: LdapResult::new(ResultCode::PROTOCOL_ERROR),
        name: None,
        value: None,
    });
    golden(&bytes, &msg(1, op));
    // responseValue before responseName.
    let err = decode_err(&[
        0x30, 0x13, 0x02, 0x01, 0x01, 0x78, 0x0e, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x8b,
        0x00, 0x8a, 0x03, 0x31, 0x2e, 0x32,
    ]);
    assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 5 });
}

#[test]
fn intermediate_response() {
    let bytes = [
        0x30, 0x0f, 0x02, 0x01, 0x09, 0x79, 0x0a, 0x80, 0x05, 0x31, 0x2e, 0x32, 0x2e, 0x33, 0x81,
        0x01, 0x78,
    ];
    let op = ProtocolOp::IntermediateResponse(IntermediateResponse {
        name: Some(s("1.2.3")),
        value: Some(b(b"x")),
    });
    golden(&bytes, &msg(9, op));
    let op = ProtocolOp::IntermediateResponse(IntermediateResponse {
        name: None,
        value: None,
    });
    golden(&[0x30, 0x05, 0x02, 0x01, 0x09, 0x79, 0x00], &msg(9, op));
}

#[test]
fn names_and_tags() {
    assert_eq!(ProtocolOp::UnbindRequest.name(), "UnbindRequest");
    assert_eq!(ProtocolOp::UnbindRequest.tag(), Tag::application(2));
    assert_eq!(
        ProtocolOp::name_of_tag(Tag::application(0x13).constructed()),
        Some("SearchResultReference")
    );
    assert_eq!(ProtocolOp::name_of_tag(Tag::application(0x13)), None);
    assert_eq!(
        ProtocolOp::name_of_tag(Tag::context(0x13).constructed()),
        None
    );
    let done = ProtocolOp::SearchResultDone(success());
    assert!(done.is_response());
    assert_eq!(done.result(), Some(&success()));
    assert!(!ProtocolOp::DelRequest(s("x")).is_response());
}

/// Every request names the response it expects, from the same table;
/// responses, Unbind and Abandon expect none.
#[test]
fn expected_responses() {
    assert_eq!(
        ProtocolOp::DelRequest(s("x")).expected_response(),
        Some("DelResponse")
    );
    assert_eq!(
        ProtocolOp::SearchRequest(search(Scope::Base, DerefAliases::Never)).expected_response(),
        Some("SearchResultEntry, SearchResultReference or SearchResultDone")
    );
    assert_eq!(ProtocolOp::UnbindRequest.expected_response(), None);
    assert_eq!(
        ProtocolOp::AbandonRequest(MessageId(1)).expected_response(),
        None
    );
    assert_eq!(
        ProtocolOp::SearchResultDone(success()).expected_response(),
        None
    );
    // The named response is one of the table's names.
    let request = ProtocolOp::ModifyDnRequest(ModifyDnRequest {
        entry: s("cn=a"),
        new_rdn: s("cn=b"),
        delete_old_rdn: true,
        new_superior: None,
    });
    let response = ProtocolOp::ModifyDnResponse(success());
    assert_eq!(request.expected_response(), Some(response.name()));
}
