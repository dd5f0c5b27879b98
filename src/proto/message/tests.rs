use bytestring::ByteString;

use super::*;
use crate::proto::tests::{decode_err, golden};
use crate::proto::{LdapResult, ResultCode};

fn unbind(id: i32) -> LdapMessage {
    LdapMessage::new(MessageId(id), ProtocolOp::UnbindRequest)
}

#[test]
fn message_ids() {
    golden(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00], &unbind(3));
    golden(&[0x30, 0x05, 0x02, 0x01, 0x00, 0x42, 0x00], &unbind(0));
    golden(
        &[0x30, 0x08, 0x02, 0x04, 0x7f, 0xff, 0xff, 0xff, 0x42, 0x00],
        &unbind(i32::MAX),
    );
    // Non-minimal INTEGER and lengths (Active Directory style).
    let ad = [
        0x30, 0x84, 0, 0, 0, 0x06, 0x02, 0x02, 0x00, 0x03, 0x42, 0x00,
    ];
    assert_eq!(
        LdapMessage::decode(Bytes::copy_from_slice(&ad)).unwrap(),
        unbind(3)
    );
}

#[test]
fn negative_message_id_is_rejected() {
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0xff, 0x42, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "messageID",
            value: -1
        }
    );
    assert_eq!(err.to_string(), "messageID -1 is out of range at byte 2");
    let err = decode_err(&[0x30, 0x09, 0x02, 0x05, 0x00, 0x80, 0, 0, 0, 0x42, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::IntegerOutOfRange {
            field: "messageID",
            value: 1 << 31
        }
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00, 0x00]);
    assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 1 });
    assert_eq!(err.to_string(), "1 unexpected trailing bytes at byte 7");
    // Inside the message, after the controls.
    let err = decode_err(&[0x30, 0x07, 0x02, 0x01, 0x03, 0x42, 0x00, 0x05, 0x00]);
    assert_eq!(err.kind, DecodeErrorKind::TrailingData { remaining: 2 });
}

#[test]
fn unknown_protocol_op() {
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x7e, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "protocolOp",
            found: Tag::application(30).constructed()
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown protocolOp choice 0x7e ([APPLICATION 30] constructed) at byte 5"
    );
    // A universal tag where the operation belongs.
    let err = decode_err(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x04, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnknownChoice {
            field: "protocolOp",
            found: Tag::OCTET_STRING
        }
    );
    // Missing altogether.
    let err = decode_err(&[0x30, 0x03, 0x02, 0x01, 0x03]);
    assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
}

#[test]
fn not_a_sequence() {
    let err = decode_err(&[0x31, 0x00]);
    assert_eq!(
        err.kind,
        DecodeErrorKind::UnexpectedTag {
            expected: Tag::SEQUENCE,
            found: Tag::SET
        }
    );
    assert_eq!(err.to_string(), "expected tag 0x30 ([UNIVERSAL 16] constructed), found 0x31 ([UNIVERSAL 17] constructed) at byte 0");
    assert_eq!(
        decode_err(&[]).kind,
        DecodeErrorKind::Truncated { needed: 1 }
    );
}

#[test]
fn controls_on_a_message() {
    // DelResponse success with a ManageDsaIT control, critical, no value.
    let mut bytes = vec![
        0x30, 0x2c, 0x02, 0x01, 0x05, 0x6b, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0xa0,
        0x1e, 0x30, 0x1c, 0x04, 0x17,
    ];
    bytes.extend_from_slice(b"2.16.840.1.113730.3.4.2");
    bytes.extend_from_slice(&[0x01, 0x01, 0xff]);
    let msg = LdapMessage {
        id: MessageId(5),
        op: ProtocolOp::DelResponse(LdapResult::new(ResultCode::SUCCESS)),
        controls: vec![Control {
            oid: ByteString::from_static("2.16.840.1.113730.3.4.2"),
            critical: true,
            value: None,
        }],
    };
    golden(&bytes, &msg);
    // An empty controls field decodes to no controls.
    let empty = [0x30, 0x07, 0x02, 0x01, 0x03, 0x42, 0x00, 0xa0, 0x00];
    assert_eq!(
        LdapMessage::decode(Bytes::copy_from_slice(&empty)).unwrap(),
        unbind(3)
    );
}

#[test]
fn peek() {
    let bytes = [0x30, 0x05, 0x02, 0x01, 0x07, 0x42, 0x00];
    assert_eq!(
        LdapMessage::peek_id_and_tag(&bytes).unwrap(),
        (MessageId(7), Tag::application(2))
    );
    let err = LdapMessage::peek_id_and_tag(&[0x30, 0x03, 0x02, 0x01, 0x07]).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 1 });
}

#[test]
fn zero_copy() {
    let bytes = vec![
        0x30, 0x0c, 0x02, 0x01, 0x02, 0x4a, 0x07, b'c', b'n', b'=', b'x', b',', b'o', b'=',
    ];
    let frame = Bytes::from(bytes);
    let msg = LdapMessage::decode(frame.clone()).unwrap();
    let ProtocolOp::DelRequest(dn) = &msg.op else {
        panic!("{msg:?}")
    };
    assert_eq!(dn, "cn=x,o=");
    let dn_bytes = dn.as_bytes();
    assert_eq!(dn_bytes.as_ptr(), frame[7..].as_ptr());
}

mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::strategy::Union;

    use super::*;
    use crate::proto::filter::{
        AttributeDescription, Ava, MatchingRuleAssertion, MatchingRuleId, Substrings,
    };
    use crate::proto::*;

    prop_compose! {
        /// Any UTF-8 string, short.
        pub(crate) fn string()(s in "\\PC{0,12}") -> ByteString { ByteString::from(s) }
    }

    prop_compose! {
        /// Any bytes, short.
        pub(crate) fn bytes()(v in vec(any::<u8>(), 0..16)) -> Bytes { Bytes::from(v) }
    }

    fn max_int() -> impl Strategy<Value = i32> {
        prop_oneof![0..=10i32, 0..=i32::MAX]
    }

    /// An attribute description (RFC 4512 §2.5): a name or a numeric OID,
    /// then options.
    pub(crate) fn attribute_description() -> impl Strategy<Value = AttributeDescription> {
        "([a-zA-Z][a-zA-Z0-9-]{0,8}|[0-9]\\.[1-9][0-9]{0,3})(;[a-zA-Z0-9-]{1,4}){0,2}"
            .prop_map(|a| AttributeDescription::new(a).unwrap())
    }

    /// A matching rule: a descriptor or a numeric OID.
    fn rule() -> impl Strategy<Value = MatchingRuleId> {
        "[a-zA-Z][a-zA-Z0-9-]{0,8}|[0-9]\\.[1-9][0-9]{0,3}"
            .prop_map(|a| MatchingRuleId::new(a).unwrap())
    }

    fn ava() -> impl Strategy<Value = Ava> {
        (attribute_description(), bytes()).prop_map(|(attribute, value)| Ava { attribute, value })
    }

    /// Any filter the decoder accepts, up to five levels deep.
    pub(crate) fn filter() -> impl Strategy<Value = Filter> {
        let substrings = (
            attribute_description(),
            proptest::option::of(bytes()),
            vec(bytes(), 0..3),
            proptest::option::of(bytes()),
        )
            .prop_filter("at least one substring", |(_, i, a, f)| {
                i.is_some() || !a.is_empty() || f.is_some()
            })
            .prop_map(|(attribute, initial, any, final_)| {
                Filter::Substrings(Substrings {
                    attribute,
                    initial,
                    any,
                    final_,
                })
            });
        let extensible = (
            proptest::option::of(rule()),
            proptest::option::of(attribute_description()),
            bytes(),
            any::<bool>(),
        )
            .prop_filter("a rule or a type", |(r, t, _, _)| {
                r.is_some() || t.is_some()
            })
            .prop_map(|(rule, attribute, value, dn_attributes)| {
                Filter::Extensible(MatchingRuleAssertion {
                    rule,
                    attribute,
                    value,
                    dn_attributes,
                })
            });
        let leaf = prop_oneof![
            ava().prop_map(Filter::Equality),
            substrings,
            ava().prop_map(Filter::GreaterOrEqual),
            ava().prop_map(Filter::LessOrEqual),
            attribute_description().prop_map(Filter::Present),
            ava().prop_map(Filter::Approx),
            extensible,
        ];
        leaf.prop_recursive(5, 32, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Filter::And),
                vec(inner.clone(), 0..4).prop_map(Filter::Or),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    fn attribute(min_values: usize) -> impl Strategy<Value = Attribute> {
        (string(), vec(bytes(), min_values..4))
            .prop_map(|(name, values)| Attribute { name, values })
    }

    fn result() -> impl Strategy<Value = LdapResult> {
        (any::<u32>(), string(), string(), vec(string(), 0..3)).prop_map(
            |(code, matched_dn, message, referrals)| LdapResult {
                code: ResultCode(code),
                matched_dn,
                message,
                referrals,
            },
        )
    }

    fn entry() -> impl Strategy<Value = SearchResultEntry> {
        (string(), vec(attribute(0), 0..4))
            .prop_map(|(dn, attributes)| SearchResultEntry::new(dn, attributes))
    }

    /// Any protocol operation the decoder accepts.
    pub(crate) fn op() -> impl Strategy<Value = ProtocolOp> {
        let auth = prop_oneof![
            vec(any::<u8>(), 0..8).prop_map(|p| BindAuth::Simple(Password::new(p))),
            (string(), proptest::option::of(bytes())).prop_map(|(mechanism, credentials)| {
                BindAuth::Sasl {
                    mechanism,
                    credentials: credentials.map(|c: Bytes| Password::new(c.as_ref())),
                }
            }),
        ];
        let scope = prop_oneof![
            Just(Scope::Base),
            Just(Scope::OneLevel),
            Just(Scope::Subtree),
            Just(Scope::Subordinate)
        ];
        let deref = prop_oneof![
            Just(DerefAliases::Never),
            Just(DerefAliases::InSearching),
            Just(DerefAliases::FindingBase),
            Just(DerefAliases::Always)
        ];
        let modify_op = prop_oneof![
            Just(ModifyOp::Add),
            Just(ModifyOp::Delete),
            Just(ModifyOp::Replace),
            Just(ModifyOp::Increment)
        ];
        Union::new(vec![
            (1u8..=127, string(), auth)
                .prop_map(|(version, name, auth)| {
                    ProtocolOp::BindRequest(BindRequest {
                        version,
                        name,
                        auth,
                    })
                })
                .boxed(),
            (result(), proptest::option::of(bytes()))
                .prop_map(|(result, server_sasl_creds)| {
                    ProtocolOp::BindResponse(BindResponse {
                        result,
                        server_sasl_creds,
                    })
                })
                .boxed(),
            Just(ProtocolOp::UnbindRequest).boxed(),
            (
                string(),
                scope,
                deref,
                max_int(),
                max_int(),
                any::<bool>(),
                filter(),
                vec(string(), 0..3),
            )
                .prop_map(
                    |(
                        base,
                        scope,
                        deref,
                        size_limit,
                        time_limit,
                        types_only,
                        filter,
                        attributes,
                    )| {
                        ProtocolOp::SearchRequest(SearchRequest {
                            base,
                            scope,
                            deref,
                            size_limit,
                            time_limit,
                            types_only,
                            filter,
                            attributes,
                        })
                    },
                )
                .boxed(),
            entry().prop_map(ProtocolOp::SearchResultEntry).boxed(),
            result().prop_map(ProtocolOp::SearchResultDone).boxed(),
            vec(string(), 1..3)
                .prop_map(ProtocolOp::SearchResultReference)
                .boxed(),
            (string(), vec((modify_op, attribute(0)), 0..3))
                .prop_map(|(object, changes)| {
                    let changes = changes
                        .into_iter()
                        .map(|(op, attribute)| Modification { op, attribute })
                        .collect();
                    ProtocolOp::ModifyRequest(ModifyRequest { object, changes })
                })
                .boxed(),
            result().prop_map(ProtocolOp::ModifyResponse).boxed(),
            (string(), vec(attribute(1), 0..3))
                .prop_map(|(entry, attributes)| {
                    ProtocolOp::AddRequest(AddRequest { entry, attributes })
                })
                .boxed(),
            result().prop_map(ProtocolOp::AddResponse).boxed(),
            string().prop_map(ProtocolOp::DelRequest).boxed(),
            result().prop_map(ProtocolOp::DelResponse).boxed(),
            (
                string(),
                string(),
                any::<bool>(),
                proptest::option::of(string()),
            )
                .prop_map(|(entry, new_rdn, delete_old_rdn, new_superior)| {
                    ProtocolOp::ModifyDnRequest(ModifyDnRequest {
                        entry,
                        new_rdn,
                        delete_old_rdn,
                        new_superior,
                    })
                })
                .boxed(),
            result().prop_map(ProtocolOp::ModifyDnResponse).boxed(),
            (string(), string(), bytes())
                .prop_map(|(entry, attribute, value)| {
                    ProtocolOp::CompareRequest(CompareRequest {
                        entry,
                        attribute,
                        value,
                    })
                })
                .boxed(),
            result().prop_map(ProtocolOp::CompareResponse).boxed(),
            max_int()
                .prop_map(|id| ProtocolOp::AbandonRequest(MessageId(id)))
                .boxed(),
            (string(), proptest::option::of(bytes()))
                .prop_map(|(name, value)| {
                    ProtocolOp::ExtendedRequest(ExtendedRequest { name, value })
                })
                .boxed(),
            (
                result(),
                proptest::option::of(string()),
                proptest::option::of(bytes()),
            )
                .prop_map(|(result, name, value)| {
                    ProtocolOp::ExtendedResponse(ExtendedResponse {
                        result,
                        name,
                        value,
                    })
                })
                .boxed(),
            (
                proptest::option::of(string()),
                proptest::option::of(bytes()),
            )
                .prop_map(|(name, value)| {
                    ProtocolOp::IntermediateResponse(IntermediateResponse { name, value })
                })
                .boxed(),
        ])
    }

    fn control() -> impl Strategy<Value = Control> {
        (string(), any::<bool>(), proptest::option::of(bytes())).prop_map(
            |(oid, critical, value)| Control {
                oid,
                critical,
                value,
            },
        )
    }

    /// Any message the decoder accepts.
    pub(crate) fn message() -> impl Strategy<Value = LdapMessage> {
        (max_int(), op(), vec(control(), 0..3)).prop_map(|(id, op, controls)| LdapMessage {
            id: MessageId(id),
            op,
            controls,
        })
    }

    proptest! {
        #[test]
        fn round_trip(msg in message()) {
            let bytes = msg.to_vec();
            let back = LdapMessage::decode(Bytes::from(bytes.clone()));
            prop_assert_eq!(back.as_ref(), Ok(&msg));
            let (id, tag) = LdapMessage::peek_id_and_tag(&bytes).unwrap();
            prop_assert_eq!((id, tag), (msg.id, msg.op.tag()));
            prop_assert_eq!(ProtocolOp::name_of_tag(tag), Some(msg.op.name()));
        }

        #[test]
        fn filter_round_trip(f in filter()) {
            prop_assert_eq!(Filter::from_ber(Bytes::from(f.to_ber())), Ok(f));
        }

        #[test]
        fn random_bytes_never_panic(data in vec(any::<u8>(), 0..256)) {
            let _ = LdapMessage::decode(Bytes::from(data.clone()));
            let _ = LdapMessage::peek_id_and_tag(&data);
            let _ = Filter::from_ber(Bytes::from(data));
        }

        #[test]
        fn damaged_messages_never_panic(
            msg in message(),
            edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let original = msg.to_vec();
            // Any proper prefix of a message is incomplete.
            let prefix = original.get(..cut.index(original.len())).unwrap();
            prop_assert!(LdapMessage::decode(Bytes::copy_from_slice(prefix)).is_err());
            let mut bytes = original;
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            // Whatever decodes re-encodes to something that decodes
            // to the same message.
            let _ = LdapMessage::peek_id_and_tag(&bytes);
            if let Ok(m) = LdapMessage::decode(Bytes::from(bytes)) {
                prop_assert_eq!(LdapMessage::decode(Bytes::from(m.to_vec())), Ok(m));
            }
        }
    }
}
