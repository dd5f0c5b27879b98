//! The BER reader on arbitrary input: no panic, no unbounded recursion,
//! and every element lies within its parent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio_ldap::ber::{Limits, Reader};

fn walk(r: &mut Reader<'_>) -> usize {
    let mut n = 0;
    while !r.is_empty() {
        let Ok(tlv) = r.tlv() else { return n };
        n += 1;
        if tlv.tag().constructed {
            if let Ok(mut inner) = tlv.reader(r) {
                n += walk(&mut inner);
            }
        }
    }
    n
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::DEFAULT.with_max_len(1 << 20).with_max_depth(32);
    let mut r = Reader::with_limits(data, limits);
    let n = walk(&mut r);
    assert!(n <= data.len());
    let _ = tokio_ldap::ber::frame_len(data, 1 << 20);
});
