//! Differential test of the BER layer against the `lber` crate (the codec
//! of `ldap3`), used as an oracle on the same bytes.
//!
//! Both parsers turn the input into a tree of tag-length-value nodes
//! (class, tag number, constructed bit, primitive content). On every input
//! both accept the trees must be equal. The corpus is every golden vector
//! of the unit tests, a message of every kind built through the public
//! API, and randomly generated TLV trees, messages and filters.
//!
//! Then the inputs on which lber is wrong: an indefinite length, a
//! nine-octet length that wraps, and nesting 10,000 deep; on each of those
//! tokio-ldap must return an error.

use bytes::Bytes;
use lber::common::TagClass;
use lber::structure::{StructureTag, PL};
use proptest::collection::vec;
use proptest::prelude::*;
use tokio_ldap::ber::{Class, DecodeError, DecodeErrorKind, Limits, Reader, Tag, Writer};
use tokio_ldap::proto::controls::{Control, PagedResults, PostRead, SortKey, SortRequest};
use tokio_ldap::proto::extended::{NoticeOfDisconnection, PasswordModify};
use tokio_ldap::proto::filter::{AttributeDescription, Ava, Filter};
use tokio_ldap::proto::{
    AddRequest, Attribute, BindAuth, BindRequest, BindResponse, ByteString, CompareRequest,
    DerefAliases, ExtendedRequest, ExtendedResponse, IntermediateResponse, LdapMessage, LdapResult,
    MessageId, Modification, ModifyDnRequest, ModifyOp, ModifyRequest, Password, ProtocolOp,
    ResultCode, Scope, SearchRequest, SearchResultEntry,
};

/// One TLV: class (0 universal .. 3 private), tag number, and either the
/// primitive content or the children.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    class: u8,
    number: u64,
    body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Body {
    Primitive(Vec<u8>),
    Constructed(Vec<Node>),
}

/// Our tree: an iterative walk with `Reader`, so depth is bounded by the
/// reader's limit and not by the stack. The whole input must be one TLV.
fn ours(data: &[u8], limits: Limits) -> Result<Node, DecodeError> {
    struct Frame<'a> {
        reader: Reader<'a>,
        class: u8,
        number: u64,
        children: Vec<Node>,
    }
    fn class(tag: Tag) -> u8 {
        match tag.class {
            Class::Universal => 0,
            Class::Application => 1,
            Class::Context => 2,
            Class::Private => 3,
        }
    }
    let mut top = Reader::with_limits(data, limits);
    let root = top.tlv()?;
    top.finish()?;
    if !root.tag().constructed {
        let body = Body::Primitive(root.value().to_vec());
        return Ok(Node {
            class: class(root.tag()),
            number: root.tag().number.into(),
            body,
        });
    }
    let mut stack = vec![Frame {
        reader: root.reader(&top)?,
        class: class(root.tag()),
        number: root.tag().number.into(),
        children: Vec::new(),
    }];
    loop {
        let Some(frame) = stack.last_mut() else {
            unreachable!("the stack is never empty here")
        };
        if frame.reader.is_empty() {
            let Some(done) = stack.pop() else {
                unreachable!()
            };
            let node = Node {
                class: done.class,
                number: done.number,
                body: Body::Constructed(done.children),
            };
            match stack.last_mut() {
                Some(parent) => parent.children.push(node),
                None => return Ok(node),
            }
            continue;
        }
        let tlv = frame.reader.tlv()?;
        if tlv.tag().constructed {
            let reader = tlv.reader(&frame.reader)?;
            let (class, number) = (class(tlv.tag()), tlv.tag().number.into());
            stack.push(Frame {
                reader,
                class,
                number,
                children: Vec::new(),
            });
        } else {
            let body = Body::Primitive(tlv.value().to_vec());
            frame.children.push(Node {
                class: class(tlv.tag()),
                number: tlv.tag().number.into(),
                body,
            });
        }
    }
}

/// lber's tree of the first TLV of `data`, and how many bytes it left.
fn theirs(data: &[u8]) -> Option<(Node, usize)> {
    fn convert(t: &StructureTag) -> Node {
        let class = match t.class {
            TagClass::Universal => 0,
            TagClass::Application => 1,
            TagClass::Context => 2,
            TagClass::Private => 3,
        };
        let body = match &t.payload {
            PL::P(v) => Body::Primitive(v.clone()),
            PL::C(children) => Body::Constructed(children.iter().map(convert).collect()),
        };
        Node {
            class,
            number: t.id,
            body,
        }
    }
    let (rest, tag) = lber::parse::parse_tag(data).ok()?;
    Some((convert(&tag), rest.len()))
}

/// Checks that wherever both parsers accept `data` as one whole TLV, they
/// agree; returns whether both accepted it.
fn agree(data: &[u8]) -> bool {
    let mine = ours(data, Limits::DEFAULT);
    let other = theirs(data);
    match (mine, other) {
        (Ok(a), Some((b, 0))) => {
            assert_eq!(a, b, "trees differ on {}", hex(data));
            true
        }
        _ => false,
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The golden vectors of the unit tests in `src/proto` (messages, and
/// filters on their own), as `TOKIO_LDAP_GOLDEN_DUMP` writes them.
const GOLDEN: &[&str] = &[
    "30050201004200",
    "30050201034200",
    "30050201097900",
    "3006020108500105",
    "30070201085002012c",
    "300802047fffffff4200",
    "30090201054a04636e3d61",
    "300c02010161070a013104000400",
    "300c02010178070a010204000400",
    "300c02010465070a010004000400",
    "300c02010467070a011304000400",
    "300c02010469070a014404000400",
    "300c0201046b070a014204000400",
    "300c0201046d070a013504000400",
    "300c0201046f070a010604000400",
    "300d02010267080a02200004000400",
    "300f020101770a8005312e322e33810176",
    "300f020109790a8005312e322e33810178",
    "3010020101610b0a01000400040087026f6b",
    "3012020101600d0201030404636e3d6180027077",
    "30120201046b0d0a012004036f3d7804036e6f21",
    "30140201076e0f0404636e3d6130070402736e040178",
    "301502010278100a0100040004008b07646e3a636e3d61",
    "301502010378100a0100040004008b073005800367656e",
    "301602010260110201030400a30a040845585445524e414c",
    "301702010178120a0100040004008a05312e322e338b02dead",
    "301802010260130201030400a30c040845585445524e414c0400",
    "30180201066c130408636e3d612c6f3d780404636e3d62010100",
    "301b020102731604096c6461703a2f2f612f04096c6461703a2f2f622f",
    "301d02010177188016312e332e362e312e342e312e313436362e3230303337",
    "301d0201066c180408636e3d612c6f3d780404636e3d620101ff80036f3d79",
    "301e02010277198017312e332e362e312e342e312e343230332e312e31312e33",
    "301f020102651a0a010a04036f3d780403736565a30b04096c6461703a2f2f612f",
    "3023020102641e0404636e3d613016300c0402636e310604016104016230060402736e3100",
    "3024020101781f0a0100040004008a16312e332e362e312e342e312e313436362e3230303337",
    "302702010078220a0134040004036279658a16312e332e362e312e342e312e313436362e3230303336",
    "302c0201056b070a010004000400a01e301c0417322e31362e3834302e312e3131333733302e332e342e320101ff",
    "302d0201026328040464633d780a01000a010002010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01000a010102010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01000a010202010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01000a010302010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01010a010002010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01010a010102010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01010a010202010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01010a010302010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01020a010002010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01020a010102010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01020a010202010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01020a010302010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01030a010002010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01030a010102010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01030a010202010a020100010100870b6f626a656374436c61737330040402636e",
    "302d0201026328040464633d780a01030a010302010a020100010100870b6f626a656374436c61737330040402636e",
    "302e02010468290404636e3d6130213014040b6f626a656374436c61737331050403746f7030090402636e3103040161",
    "303102010265070a010004000400a02330210416312e322e3834302e3131333535362e312e342e333139040730050201000400",
    "3032020103772d8017312e332e362e312e342e312e343230332e312e31312e31811230108004636e3d6181036f6c6482036e6577",
    "303b02010366360404636e3d61302e30100a0102300b04046d61696c310304016d300b0a010130060402736e3100300d0a0103300804016e3103040131",
    "870b6f626a656374436c617373",
    "a012a3070402636e040161a3070402736e040162",
    "a017870163a212a110a306040161040131a306040162040132",
    "a116870b6f626a656374436c617373a3070402636e040161",
    "a209a3070402636e040161",
    "a3070402636e040161",
    "a3080402636e0402ff00",
    "a4090402636e3003810162",
    "a4120402636e300c800161810162810163820164",
    "a50604016e040135",
    "a60604016e040135",
    "a8070402636e040161",
    "a9088103312e32830178",
    "a9148108322e352e31332e328202636e8301788401ff",
];

fn s(v: &'static str) -> ByteString {
    ByteString::from_static(v)
}

fn id(n: i32) -> MessageId {
    MessageId::new(n).expect("a message ID is not negative")
}

/// One message of every kind, built through the public API.
fn every_kind() -> Vec<LdapMessage> {
    let result = || {
        LdapResult::new(ResultCode::REFERRAL)
            .with_matched_dn("o=x")
            .with_message("see elsewhere")
            .with_referrals(["ldap://a/o=x", "ldap://b/o=x"])
    };
    let filter: Filter = Filter::And(vec![
        Filter::present("objectClass").unwrap(),
        Filter::Not(Box::new(Filter::Or(Vec::new()))),
    ]);
    let entry = SearchResultEntry::new(
        s("cn=a,o=x"),
        vec![
            Attribute::new("cn", ["a", "b"]),
            Attribute::new("jpegPhoto", [[0xffu8; 300]]),
        ],
    );
    let ops = vec![
        ProtocolOp::BindRequest(BindRequest::new(
            "cn=a",
            BindAuth::Simple(Password::new("secret")),
        )),
        ProtocolOp::BindRequest(BindRequest::new(
            "",
            BindAuth::Sasl {
                mechanism: s("EXTERNAL"),
                credentials: Some(Password::new(Vec::new())),
            },
        )),
        ProtocolOp::BindResponse({
            let mut response = BindResponse::new(result());
            response.server_sasl_creds = Some(Bytes::from_static(b"creds"));
            response
        }),
        ProtocolOp::UnbindRequest,
        ProtocolOp::SearchRequest({
            let mut search = SearchRequest::new("o=x", Scope::Subtree, filter);
            search.deref = DerefAliases::Always;
            search.size_limit = 1000;
            search.time_limit = 30;
            search.types_only = true;
            search.attributes = vec![s("cn"), s("*")];
            search
        }),
        ProtocolOp::SearchResultEntry(entry),
        ProtocolOp::SearchResultDone(result()),
        ProtocolOp::SearchResultReference(vec![s("ldap://a/"), s("ldap://b/")]),
        ProtocolOp::ModifyRequest(ModifyRequest::new(
            "cn=a",
            vec![Modification::new(
                ModifyOp::Replace,
                Attribute::new("sn", ["x"]),
            )],
        )),
        ProtocolOp::ModifyResponse(result()),
        ProtocolOp::AddRequest(AddRequest::new(
            "cn=a",
            vec![Attribute::new("objectClass", ["top", "person"])],
        )),
        ProtocolOp::AddResponse(result()),
        ProtocolOp::DelRequest(s("cn=a")),
        ProtocolOp::DelResponse(result()),
        ProtocolOp::ModifyDnRequest({
            let mut rename = ModifyDnRequest::new("cn=a,o=x", "cn=b", true);
            rename.new_superior = Some(s("o=y"));
            rename
        }),
        ProtocolOp::ModifyDnResponse(result()),
        ProtocolOp::CompareRequest(CompareRequest::new("cn=a", "sn", "x")),
        ProtocolOp::CompareResponse(result()),
        ProtocolOp::AbandonRequest(id(12345)),
        ProtocolOp::ExtendedRequest(
            PasswordModify::new()
                .old_password("a")
                .new_password("b")
                .into(),
        ),
        ProtocolOp::ExtendedRequest(ExtendedRequest::new("1.2.3", None)),
        ProtocolOp::ExtendedResponse({
            let mut response = ExtendedResponse::new(result());
            response.name = Some(s("1.2.3"));
            response.value = Some(Bytes::from_static(b"v"));
            response
        }),
        ProtocolOp::IntermediateResponse(IntermediateResponse::new(
            Some(s("1.2.3")),
            Some(Bytes::from_static(b"v")),
        )),
    ];
    let controls: Vec<Control> = vec![
        PagedResults::new(10, Bytes::from_static(b"cookie")).into(),
        SortRequest::new([SortKey::new("cn")]).into(),
        PostRead::new(["cn"]).into(),
    ];
    let mut out: Vec<LdapMessage> = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let mut message = LdapMessage::new(id(i as i32 + 1), op);
            message.controls = controls.clone();
            message
        })
        .collect();
    out.push(NoticeOfDisconnection::new(ResultCode::UNAVAILABLE, "bye").to_message());
    out
}

#[test]
fn golden_vectors_agree() {
    for h in GOLDEN {
        assert!(agree(&unhex(h)), "one parser rejected golden vector {h}");
    }
}

#[test]
fn every_kind_of_message_agrees() {
    for msg in every_kind() {
        let bytes = msg.to_vec();
        assert!(agree(&bytes), "one parser rejected {msg:?}");
        assert_eq!(
            LdapMessage::decode(Bytes::from(bytes)).expect("decodes"),
            msg
        );
    }
}

#[test]
fn encodings_agree_with_lber_writer() {
    // lber's writer re-encodes its own tree of our bytes to the same bytes
    // (both write minimal definite lengths).
    for msg in every_kind() {
        let bytes = msg.to_vec();
        let (rest, tag) = lber::parse::parse_tag(&bytes).expect("lber parses");
        assert!(rest.is_empty());
        let mut out = bytes::BytesMut::new();
        lber::write::encode_into(&mut out, tag).expect("lber writes");
        assert_eq!(hex(&out), hex(&bytes));
    }
}

#[test]
fn active_directory_lengths_agree() {
    // An UnbindRequest and a SearchResultEntry with four-octet lengths.
    for h in [
        "308400000006020200034200",
        "30840000003b02010264840000003204046\
         36e3d613084000000263084000000100402636e318400000006040161040162308400\
         00000a0402736e318400000000",
    ] {
        let h: String = h.split_whitespace().collect();
        assert!(agree(&unhex(&h)), "{h}");
    }
}

#[test]
fn indefinite_length() {
    // lber takes the indefinite length for an empty SEQUENCE and leaves
    // the contents as trailing bytes; RFC 4511 §5.1 forbids the form.
    let data = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00];
    let (tree, rest) = theirs(&data).expect("lber accepts it");
    assert_eq!(
        tree,
        Node {
            class: 0,
            number: 16,
            body: Body::Constructed(Vec::new())
        }
    );
    assert_eq!(rest, 5);
    let err = ours(&data, Limits::DEFAULT).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::IndefiniteLength);
    assert!(LdapMessage::decode(Bytes::copy_from_slice(&data)).is_err());
}

#[test]
fn nine_octet_length_wraps_in_lber() {
    // Length 2^64 + 1 in nine octets: lber folds it into a u64, which
    // wraps to 1, and returns a one-byte OCTET STRING.
    let data = [0x04, 0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xaa];
    let (tree, rest) = theirs(&data).expect("lber accepts it");
    assert_eq!(
        tree,
        Node {
            class: 0,
            number: 4,
            body: Body::Primitive(vec![0xaa])
        }
    );
    assert_eq!(rest, 0);
    let err = ours(&data, Limits::DEFAULT).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::LengthTooLong { octets: 9 });
}

#[test]
fn huge_length_is_refused_before_buffering() {
    // lber asks for 2 GiB more input; we refuse at once.
    let data = [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02];
    assert!(matches!(
        lber::parse::parse_tag(&data),
        Err(lber::Err::Incomplete(_))
    ));
    let err = ours(&data, Limits::DEFAULT).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::LengthOverLimit {
            len: 0x7fff_ffff,
            max: 16 << 20
        }
    );
}

/// `depth` nested SEQUENCEs around an empty one, with minimal lengths.
fn nested(depth: usize) -> Vec<u8> {
    // Lengths from the inside out, then the headers from the outside in.
    let mut lens = Vec::with_capacity(depth);
    let mut len = 2usize;
    for _ in 0..depth {
        lens.push(len);
        len += 2 + if len < 0x80 {
            0
        } else {
            (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
        };
    }
    let mut out = Vec::with_capacity(len);
    for &l in lens.iter().rev() {
        let mut w = Vec::new();
        Writer::new(&mut w).octet_string(Tag::SEQUENCE, &vec![0; l]);
        let header = w.len() - l;
        out.extend_from_slice(&w[..header]);
    }
    out.extend_from_slice(&[0x30, 0x00]);
    out
}

#[test]
fn nesting_10000_deep() {
    let data = nested(10_000);
    let err = ours(&data, Limits::DEFAULT).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::DepthExceeded { max: 64 });
    assert!(LdapMessage::decode(Bytes::from(data.clone())).is_err());
    // With the limit out of the way, our walk still needs no deep stack.
    let limits = Limits::UNLIMITED;
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn({
            let data = data.clone();
            move || match ours(&data, limits) {
                Ok(tree) => {
                    // Node's own drop recurses; take the tree apart by hand.
                    let mut stack = vec![tree];
                    while let Some(node) = stack.pop() {
                        if let Body::Constructed(children) = node.body {
                            stack.extend(children);
                        }
                    }
                    true
                }
                Err(_) => false,
            }
        })
        .expect("thread");
    assert!(handle.join().expect("no overflow"));
    // lber recurses once per level in large frames: about 60 KB of input
    // overflows the 8 MiB main-thread stack in a debug build, a process
    // abort. Run it where the stack is large enough, to show it has no limit.
    let handle = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || theirs(&data).is_some())
        .expect("thread");
    assert!(
        handle.join().expect("lber finished"),
        "lber accepts any depth"
    );
}

#[test]
fn high_tag_numbers() {
    // [APPLICATION 200]: lber reads only five bits of tag number.
    let data = [0x5f, 0x81, 0x48, 0x01, 0x07];
    let mine = ours(&data, Limits::DEFAULT).expect("ours parses");
    assert_eq!(
        mine,
        Node {
            class: 1,
            number: 200,
            body: Body::Primitive(vec![0x07])
        }
    );
    assert_ne!(theirs(&data).map(|(n, _)| n), Some(mine));
}

/// Random TLV trees with tag numbers below 31 (lber's range).
fn tree() -> impl Strategy<Value = Node> {
    let leaf = (0u8..4, 0u64..31, vec(any::<u8>(), 0..300)).prop_map(|(class, number, v)| Node {
        class,
        number,
        body: Body::Primitive(v),
    });
    leaf.prop_recursive(6, 64, 6, |inner| {
        (0u8..4, 0u64..31, vec(inner, 0..6)).prop_map(|(class, number, c)| Node {
            class,
            number,
            body: Body::Constructed(c),
        })
    })
}

fn encode(node: &Node, w: &mut Writer<'_>) {
    let class = match node.class {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::Context,
        _ => Class::Private,
    };
    let tag = Tag {
        class,
        constructed: false,
        number: node.number as u32,
    };
    match &node.body {
        Body::Primitive(v) => w.octet_string(tag, v),
        Body::Constructed(children) => w.sequence(tag, |w| {
            for c in children {
                encode(c, w);
            }
        }),
    }
}

fn string() -> impl Strategy<Value = ByteString> {
    "\\PC{0,20}".prop_map(ByteString::from)
}

/// An attribute description (RFC 4512 §2.5), the only names a `Filter` holds.
fn attribute() -> impl Strategy<Value = AttributeDescription> {
    "[a-zA-Z][a-zA-Z0-9-]{0,10}(;[a-zA-Z0-9-]{1,5}){0,2}"
        .prop_map(|a| AttributeDescription::new(a).expect("the pattern makes a valid name"))
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        attribute().prop_map(Filter::Present),
        (attribute(), vec(any::<u8>(), 0..20))
            .prop_map(|(a, v)| Filter::Equality(Ava::new(a, v).expect("a valid attribute"))),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Filter::And),
            vec(inner.clone(), 0..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn message() -> impl Strategy<Value = LdapMessage> {
    let attribute = (string(), vec(vec(any::<u8>(), 0..200), 0..4))
        .prop_map(|(name, values)| Attribute::new(&name, values));
    let entry = (string(), vec(attribute, 0..12)).prop_map(|(dn, attributes)| {
        ProtocolOp::SearchResultEntry(SearchResultEntry::new(dn, attributes))
    });
    let search =
        (string(), filter(), vec(string(), 0..4)).prop_map(|(base, filter, attributes)| {
            let mut search = SearchRequest::new(base, Scope::Subtree, filter);
            search.attributes = attributes;
            ProtocolOp::SearchRequest(search)
        });
    (0..=i32::MAX, prop_oneof![entry, search]).prop_map(|(n, op)| LdapMessage::new(id(n), op))
}

proptest! {
    #[test]
    fn random_trees_agree(node in tree()) {
        let mut bytes = Vec::new();
        encode(&node, &mut Writer::new(&mut bytes));
        prop_assert!(agree(&bytes));
        prop_assert_eq!(ours(&bytes, Limits::DEFAULT).expect("ours"), node);
    }

    #[test]
    fn random_messages_agree(msg in message()) {
        prop_assert!(agree(&msg.to_vec()));
    }

    #[test]
    fn random_bytes_agree_where_both_accept(data in vec(any::<u8>(), 0..64)) {
        // Tag numbers of 31 and above are read differently by lber (five
        // bits only); leave those inputs out.
        let high_tag = data.iter().any(|b| b & 0x1f == 0x1f);
        if !high_tag {
            agree(&data);
        }
    }
}
