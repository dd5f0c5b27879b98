//! Differential: where both our reader and `lber` accept the input as one
//! element, the TLV trees agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio_ldap::ber::{Class, Limits, Reader};

#[derive(Debug, PartialEq)]
struct Node {
    class: u8,
    number: u64,
    value: Result<Vec<Node>, Vec<u8>>,
}

fn ours(r: &mut Reader<'_>) -> Option<Vec<Node>> {
    let mut out = Vec::new();
    while !r.is_empty() {
        let tlv = r.tlv().ok()?;
        if tlv.tag().number >= 31 {
            // lber reads only the low-tag-number form.
            return None;
        }
        let class = match tlv.tag().class {
            Class::Universal => 0,
            Class::Application => 1,
            Class::Context => 2,
            Class::Private => 3,
        };
        let value = if tlv.tag().constructed {
            Ok(ours(&mut tlv.reader(r).ok()?)?)
        } else {
            Err(tlv.value().to_vec())
        };
        out.push(Node {
            class,
            number: u64::from(tlv.tag().number),
            value,
        });
    }
    Some(out)
}

fn theirs(t: &lber::structure::StructureTag) -> Node {
    use lber::structure::PL;
    let class = match t.class {
        lber::common::TagClass::Universal => 0,
        lber::common::TagClass::Application => 1,
        lber::common::TagClass::Context => 2,
        lber::common::TagClass::Private => 3,
    };
    let value = match &t.payload {
        PL::C(children) => Ok(children.iter().map(theirs).collect()),
        PL::P(bytes) => Err(bytes.clone()),
    };
    Node {
        class,
        number: t.id,
        value,
    }
}

fuzz_target!(|data: &[u8]| {
    // lber recurses without a depth limit; keep its input shallow enough
    // not to overflow the fuzzer's stack.
    if data.len() > 4096 {
        return;
    }
    let limits = Limits::DEFAULT.with_max_len(1 << 20).with_max_depth(64);
    let mut r = Reader::with_limits(data, limits);
    let Some(mine) = ours(&mut r) else { return };
    let [mine] = &mine[..] else { return };
    let Ok((rest, tag)) = lber::parse::parse_tag(data) else {
        return;
    };
    if !rest.is_empty() {
        return;
    }
    // lber accepts indefinite lengths and >4-octet lengths, which we reject;
    // here both accepted, so the trees must agree.
    assert_eq!(*mine, theirs(&tag));
});
