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
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput};
use lber::common::TagClass;
use lber::structures::{ASNTag, Integer, OctetString, Sequence, Set, Tag as LTag};
use tokio_ldap::ber::{DecodeError, Reader};
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
    LdapMessage::new(MessageId(42), ProtocolOp::SearchResultEntry(entry))
}

fn bind() -> LdapMessage {
    LdapMessage::new(
        MessageId(1),
        ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: ByteString::from_static("cn=admin,dc=example,dc=com"),
            auth: BindAuth::Simple(Password::new("secret")),
        }),
    )
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
                inner: i64::from(msg.id.0),
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
        if tlv.tag.constructed {
            n += walk(&mut tlv.reader(r)?)?;
        } else {
            n += tlv.value.len();
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

/// One loop of the ratio pass: runs `n` iterations.
type Loop<'a> = (&'static str, Box<dyn Fn(u64) + 'a>);

/// Times every loop once per round, in an order rotated from round to
/// round, each for about 20 ms; returns the seconds per iteration of each
/// loop, round by round.
fn interleave(loops: &[Loop<'_>], rounds: usize) -> Vec<Vec<f64>> {
    let time = |f: &dyn Fn(u64), n: u64| {
        let t0 = Instant::now();
        f(n);
        t0.elapsed().as_secs_f64()
    };
    let counts: Vec<u64> = loops
        .iter()
        .map(|(_, f)| {
            let mut n = 64u64;
            while time(f.as_ref(), n) < 0.005 {
                n *= 2;
            }
            n * 4
        })
        .collect();
    let mut per_iter = vec![Vec::with_capacity(rounds); loops.len()];
    for round in 0..rounds {
        for k in 0..loops.len() {
            let i = (round + k) % loops.len();
            let secs = time(loops[i].1.as_ref(), counts[i]);
            per_iter[i].push(secs / counts[i] as f64);
        }
    }
    per_iter
}

/// Median, lowest and highest of the per-round ratios `a / b`.
fn ratio(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let mut rs: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    rs.sort_by(f64::total_cmp);
    let mid = rs.len() / 2;
    let median = if rs.len() % 2 == 1 {
        rs[mid]
    } else {
        (rs[mid - 1] + rs[mid]) / 2.0
    };
    (median, rs[0], rs[rs.len() - 1])
}

fn ratio_pass() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21);
    let msg = entry();
    let bytes = Bytes::from(msg.to_vec());
    let tree = lber_entry(&msg);
    let bind_bytes = Bytes::from(bind().to_vec());
    let loops: Vec<Loop<'_>> = vec![
        (
            "ours decode",
            Box::new(|n| {
                for _ in 0..n {
                    black_box(LdapMessage::decode(black_box(bytes.clone())).is_ok());
                }
            }),
        ),
        (
            "lber parse_tag",
            Box::new(|n| {
                for _ in 0..n {
                    black_box(lber::parse::parse_tag(black_box(&bytes[..])).is_ok());
                }
            }),
        ),
        (
            "Reader walk",
            Box::new(|n| {
                for _ in 0..n {
                    black_box(walk(&mut Reader::new(black_box(&bytes))).is_ok());
                }
            }),
        ),
        (
            "ours encode",
            Box::new(|n| {
                for _ in 0..n {
                    let mut out = Vec::new();
                    black_box(&msg).encode(&mut out);
                    black_box(out);
                }
            }),
        ),
        (
            "lber encode_into",
            Box::new(|n| {
                for _ in 0..n {
                    let t = tree.clone().into_structure();
                    let mut out = BytesMut::new();
                    lber::write::encode_into(&mut out, black_box(t)).unwrap_or_default();
                    black_box(out);
                }
            }),
        ),
        (
            "ours decode bind",
            Box::new(|n| {
                for _ in 0..n {
                    black_box(LdapMessage::decode(black_box(bind_bytes.clone())).is_ok());
                }
            }),
        ),
        (
            "lber parse_tag bind",
            Box::new(|n| {
                for _ in 0..n {
                    black_box(lber::parse::parse_tag(black_box(&bind_bytes[..])).is_ok());
                }
            }),
        ),
    ];
    let t = interleave(&loops, rounds);
    println!("\ninterleaved pass ({rounds} rounds):");
    for ((name, _), times) in loops.iter().zip(&t) {
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "  {name:<18} median {:>9.1} ns/iter",
            sorted[sorted.len() / 2] * 1e9
        );
    }
    let rows = [
        (
            "decode SearchResultEntry: lber parse_tag time / ours decode time (times faster)",
            ratio(&t[1], &t[0]),
            ">= 25",
            Some(25.0),
        ),
        (
            "decode: ours / bare Reader walk of the same bytes (time)",
            ratio(&t[0], &t[2]),
            "<= 3",
            Some(-3.0),
        ),
        (
            "decode BindRequest: lber parse_tag time / ours decode time (times faster)",
            ratio(&t[6], &t[5]),
            "-",
            None,
        ),
        (
            "encode SearchResultEntry: lber encode_into time (tree clone included) / ours",
            ratio(&t[4], &t[3]),
            "-",
            None,
        ),
    ];
    let mut text = format!(
        "## ber: {} bytes of SearchResultEntry\n\n| comparison | median | min..max over rounds | target | met |\n|---|---|---|---|---|\n",
        bytes.len()
    );
    // A positive bound is a minimum, a negative one a maximum.
    for (what, (median, lo, hi), target, bound) in rows {
        let met = match bound {
            None => "-",
            Some(b) if (b >= 0.0 && median >= b) || (b < 0.0 && median <= -b) => "yes",
            Some(_) => "**no**",
        };
        text.push_str(&format!(
            "| {what} | {median:.2} | {lo:.2}..{hi:.2} | {target} | {met} |\n"
        ));
    }
    println!("\n{text}");
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("bench-ratios")));
    if let Some(dir) = dir {
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("ber.md");
        if std::fs::write(&path, &text).is_ok() {
            println!("(written to {})", path.display());
        }
    }
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
