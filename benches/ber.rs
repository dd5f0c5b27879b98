//! BER codec benchmarks, each against its peer in the same run:
//!
//! * decode of a ~500-byte SearchResultEntry with 10 attributes: into
//!   tokio-ldap's model (`LdapMessage::decode`; the attributes are a
//!   validated view of the frame, so a second case also reads every name
//!   and value once), into lber's tree
//!   (`lber::parse::parse_tag`, what ldap3 does), and a bare TLV walk with
//!   tokio-ldap's `Reader` (no allocation: the floor for any decoder);
//! * decode of a simple BindRequest (the general decoder), ours vs lber;
//! * encode of that entry and of the BindRequest: tokio-ldap's
//!   `LdapMessage::encode` against lber's `encode_into` of the equivalent
//!   tree.
//!
//! After criterion's measurements, an interleaved ratio pass (as in the
//! other benches) times each loop in rounds that alternate between them and
//! reports the median of the per-round ratios, with the lowest and highest
//! round: the figure BENCHMARKS.md gives. `BENCH_QUICK=1` runs only that
//! pass; `BENCH_ROUNDS` (default 21) sets its rounds.
//!
//! Run: `cargo bench --bench ber -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput};
use lber::common::TagClass;
use lber::structures::{ASNTag, Integer, OctetString, Sequence, Set, Tag as LTag};
use tokio_ldap::ber::{DecodeError, Reader};

use common::{rate_ratio, Target, Variant};

#[path = "../tests/api/support/mod.rs"]
mod support;

mod common;
use tokio_ldap::proto::{
    Attribute, BindAuth, BindRequest, ByteString, LdapMessage, MessageId, Password, ProtocolOp,
    SearchResultEntry,
};

/// A typical inetOrgPerson entry: 10 attributes, about 500 bytes encoded.
fn entry() -> LdapMessage {
    let attrs: [(&str, &[&str]); 10] = [
        ("objectClass", &["top", "person", "organizationalPerson", "inetOrgPerson"]),
        ("uid", &["jdoe"]),
        ("cn", &["John Doe", "Johnny Doe"]),
        ("sn", &["Doe"]),
        ("givenName", &["John"]),
        ("mail", &["john.doe@example.com", "jdoe@mail.example.com"]),
        ("telephoneNumber", &["+1 555 0100", "+1 555 0199"]),
        ("title", &["Senior Directory Services Engineer"]),
        ("l", &["Springfield"]),
        (
            "description",
            &["Maintains the directory, the certificate authority and the single sign-on service for the Springfield office."],
        ),
    ];
    let entry = SearchResultEntry::new(
        ByteString::from_static("uid=jdoe,ou=people,dc=example,dc=com"),
        attrs
            .iter()
            .map(|(name, values)| Attribute::new(name, values.iter()))
            .collect(),
    );
    LdapMessage::new(id(42), ProtocolOp::SearchResultEntry(entry))
}

fn bind() -> LdapMessage {
    LdapMessage::new(
        id(1),
        ProtocolOp::BindRequest(BindRequest::new(
            ByteString::from_static("cn=admin,dc=example,dc=com"),
            BindAuth::Simple(Password::new("secret")),
        )),
    )
}

/// The message ID `n`, which is not negative.
fn id(n: i32) -> MessageId {
    MessageId::new(n).expect("a message ID is not negative")
}

fn octets(class: TagClass, id: u64, v: &[u8]) -> LTag {
    LTag::OctetString(OctetString {
        class,
        id,
        inner: v.to_vec(),
    })
}

fn universal_string(v: &[u8]) -> LTag {
    octets(TagClass::Universal, 4, v)
}

/// lber's tree for the same SearchResultEntry.
fn lber_entry(msg: &LdapMessage) -> LTag {
    let ProtocolOp::SearchResultEntry(e) = &msg.op else {
        unreachable!()
    };
    let attributes = e
        .attributes
        .iter()
        .map(|a| {
            LTag::Sequence(Sequence {
                inner: vec![
                    universal_string(a.name().as_bytes()),
                    LTag::Set(Set {
                        inner: a.values().map(universal_string).collect(),
                        ..Default::default()
                    }),
                ],
                ..Default::default()
            })
        })
        .collect();
    let op = LTag::Sequence(Sequence {
        class: TagClass::Application,
        id: 4,
        inner: vec![
            universal_string(e.dn.as_bytes()),
            LTag::Sequence(Sequence {
                inner: attributes,
                ..Default::default()
            }),
        ],
    });
    LTag::Sequence(Sequence {
        inner: vec![
            LTag::Integer(Integer {
                inner: i64::from(msg.id.get()),
                ..Default::default()
            }),
            op,
        ],
        ..Default::default()
    })
}

/// lber's tree for the BindRequest.
fn lber_bind() -> LTag {
    let op = LTag::Sequence(Sequence {
        class: TagClass::Application,
        id: 0,
        inner: vec![
            LTag::Integer(Integer {
                inner: 3,
                ..Default::default()
            }),
            universal_string(b"cn=admin,dc=example,dc=com"),
            octets(TagClass::Context, 0, b"secret"),
        ],
    });
    LTag::Sequence(Sequence {
        inner: vec![
            LTag::Integer(Integer {
                inner: 1,
                ..Default::default()
            }),
            op,
        ],
        ..Default::default()
    })
}

/// Visits every TLV with `Reader`, allocating nothing; returns the number
/// of primitive content bytes seen.
fn walk(r: &mut Reader<'_>) -> Result<usize, DecodeError> {
    let mut n = 0;
    while !r.is_empty() {
        let tlv = r.tlv()?;
        if tlv.tag().constructed {
            n += walk(&mut tlv.reader(r)?)?;
        } else {
            n += tlv.value().len();
        }
    }
    Ok(n)
}

fn lber_encode(tag: LTag) -> BytesMut {
    let mut out = BytesMut::new();
    lber::write::encode_into(&mut out, tag.into_structure()).unwrap_or_default();
    out
}

fn decode(c: &mut Criterion) {
    let msg = entry();
    let bytes = Bytes::from(msg.to_vec());
    assert_eq!(LdapMessage::decode(bytes.clone()).ok().as_ref(), Some(&msg));
    assert_eq!(
        lber_encode(lber_entry(&msg)),
        bytes,
        "lber's tree encodes to the same bytes"
    );

    let mut g = c.benchmark_group(format!("decode SearchResultEntry ({} bytes)", bytes.len()));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("tokio-ldap LdapMessage::decode", |b| {
        b.iter(|| LdapMessage::decode(black_box(bytes.clone())))
    });
    g.bench_function("tokio-ldap LdapMessage::decode + read every value", |b| {
        b.iter(|| {
            let msg = LdapMessage::decode(black_box(bytes.clone())).ok()?;
            let ProtocolOp::SearchResultEntry(e) = &msg.op else {
                return None;
            };
            let mut n = e.dn.len();
            for a in &e.attributes {
                n += a.name().len();
                n += a.values().map(<[u8]>::len).sum::<usize>();
            }
            Some(n)
        })
    });
    g.bench_function("lber parse_tag", |b| {
        b.iter(|| lber::parse::parse_tag(black_box(&bytes)))
    });
    g.bench_function("tokio-ldap Reader walk (no allocation)", |b| {
        b.iter(|| walk(&mut Reader::new(black_box(&bytes))))
    });
    g.finish();

    // A BindRequest: small, and through the general decoder.
    let msg = bind();
    let bytes = Bytes::from(msg.to_vec());
    assert_eq!(LdapMessage::decode(bytes.clone()).ok().as_ref(), Some(&msg));
    assert_eq!(
        lber_encode(lber_bind()),
        bytes,
        "lber's tree encodes to the same bytes"
    );
    let mut g = c.benchmark_group(format!("decode BindRequest ({} bytes)", bytes.len()));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("tokio-ldap LdapMessage::decode", |b| {
        b.iter(|| LdapMessage::decode(black_box(bytes.clone())))
    });
    g.bench_function("lber parse_tag", |b| {
        b.iter(|| lber::parse::parse_tag(black_box(&bytes)))
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    for (name, msg, tree) in [
        ("SearchResultEntry", entry(), lber_entry(&entry())),
        ("BindRequest", bind(), lber_bind()),
    ] {
        let bytes = msg.to_vec();
        assert_eq!(
            lber_encode(tree.clone()),
            bytes[..],
            "lber's tree encodes to the same bytes"
        );
        let mut g = c.benchmark_group(format!("encode {name} ({} bytes)", bytes.len()));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("tokio-ldap LdapMessage::encode", |b| {
            b.iter(|| {
                let mut out = Vec::new();
                black_box(&msg).encode(&mut out);
                out
            })
        });
        g.bench_function("lber encode_into", |b| {
            b.iter_batched(
                || tree.clone().into_structure(),
                |t| {
                    let mut out = BytesMut::new();
                    lber::write::encode_into(&mut out, black_box(t)).unwrap_or_default();
                    out
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

/// A loop of the ratio pass from a synchronous body run `n` times.
fn sync_variant(name: &str, body: impl Fn() + Send + Sync + 'static) -> Variant {
    let body = Arc::new(body);
    Variant::new(name, move |n| {
        let body = Arc::clone(&body);
        async move {
            for _ in 0..n {
                body();
            }
            n
        }
    })
}

fn ratio_pass() {
    let rounds = common::env_or("BENCH_ROUNDS", 21);
    let msg = entry();
    let bytes = Bytes::from(msg.to_vec());
    let tree = lber_entry(&msg);
    let bind_bytes = Bytes::from(bind().to_vec());
    let vs = {
        let (b1, b2, b3) = (bytes.clone(), bytes.clone(), bytes.clone());
        let (k1, k2) = (bind_bytes.clone(), bind_bytes);
        [
            sync_variant("ours decode", move || {
                black_box(LdapMessage::decode(black_box(b1.clone())).is_ok());
            }),
            sync_variant("lber parse_tag", move || {
                black_box(lber::parse::parse_tag(black_box(&b2[..])).is_ok());
            }),
            sync_variant("Reader walk", move || {
                black_box(walk(&mut Reader::new(black_box(&b3))).is_ok());
            }),
            sync_variant("ours encode", move || {
                let mut out = Vec::new();
                black_box(&msg).encode(&mut out);
                black_box(out);
            }),
            sync_variant("lber encode_into", move || {
                let t = tree.clone().into_structure();
                let mut out = BytesMut::new();
                lber::write::encode_into(&mut out, black_box(t)).unwrap_or_default();
                black_box(out);
            }),
            sync_variant("ours decode bind", move || {
                black_box(LdapMessage::decode(black_box(k1.clone())).is_ok());
            }),
            sync_variant("lber parse_tag bind", move || {
                black_box(lber::parse::parse_tag(black_box(&k2[..])).is_ok());
            }),
        ]
    };
    let rt = common::runtime();
    println!("\ninterleaved pass ({rounds} rounds):");
    let m = common::interleave(&rt, &vs, rounds, Duration::from_millis(40), u64::MAX);
    // A rate ratio ours / theirs is how many times faster ours is.
    let lines = [
        rate_ratio(
            "decode SearchResultEntry: ours / lber parse_tag (times faster)",
            &m[0],
            &m[1],
            Target::AtLeast(25.0),
        ),
        rate_ratio(
            "decode: bare Reader walk / ours (ours' time over the walk's)",
            &m[2],
            &m[0],
            Target::AtMost(3.0),
        ),
        rate_ratio(
            "decode BindRequest: ours / lber parse_tag (times faster)",
            &m[5],
            &m[6],
            Target::None,
        ),
        rate_ratio(
            "encode SearchResultEntry: ours / lber encode_into, tree clone included (times faster)",
            &m[3],
            &m[4],
            Target::None,
        ),
    ];
    common::report(
        "ber",
        &format!("{} bytes of SearchResultEntry", bytes.len()),
        &lines,
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // Under `cargo test` (no `--bench`), criterion runs each benchmark once
    // as a test; the ratio pass, a measurement, is left out.
    if !std::env::args().any(|a| a == "--bench") {
        decode(&mut c);
        encode(&mut c);
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0");
    if !quick {
        decode(&mut c);
        encode(&mut c);
    }
    // Not while criterion profiles one benchmark (`--profile-time`) or
    // lists them.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--profile-time" || a == "--list") {
        ratio_pass();
    }
    c.final_summary();
}
