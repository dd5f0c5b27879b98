//! Maps keyed by message IDs and request tokens, with a hasher made for
//! them: one multiplication instead of SipHash. The keys are numbers the
//! client hands out itself (a server's reply only looks one up), so no
//! one can choose keys that collide; the multiplication by an odd
//! constant spreads sequential IDs over the table's buckets and its top
//! bits.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A [`HashMap`] keyed by message IDs or tokens.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A [`HashSet`] of message IDs.
pub(crate) type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// 2^64 divided by the golden ratio, odd: multiplying by it permutes the
/// low bits and mixes every bit into the high ones.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

/// The hasher of [`IdMap`]: integer keys multiplied by [`SPREAD`]; any
/// other bytes folded in the same way (not used by the crate's keys).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(SPREAD);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u64(u64::from(n.cast_unsigned()));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(SPREAD);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;
    use crate::proto::MessageId;

    fn hash<T: std::hash::Hash>(v: T) -> u64 {
        BuildHasherDefault::<IdHasher>::default().hash_one(v)
    }

    #[test]
    fn sequential_ids_get_distinct_buckets_and_mixed_top_bits() {
        // The low 10 bits of 1..=1024 hashed: a permutation (no two IDs
        // in one bucket of a 1,024-bucket table).
        let mut low: Vec<u64> = (1..=1024i32)
            .map(|i| hash(MessageId::new(i).unwrap()) & 1023)
            .collect();
        low.sort_unstable();
        low.dedup();
        assert_eq!(low.len(), 1024);
        // The top 7 bits (hashbrown's tag) take many values, not one.
        let mut top: Vec<u64> = (1..=1024i32)
            .map(|i| hash(MessageId::new(i).unwrap()) >> 57)
            .collect();
        top.sort_unstable();
        top.dedup();
        assert!(top.len() > 100, "{} tags", top.len());
    }

    #[test]
    fn an_id_map_finds_what_was_put() {
        let mut m: IdMap<MessageId, u64> = IdMap::default();
        for i in 1..=5000i32 {
            m.insert(MessageId::new(i).unwrap(), u64::from(i.cast_unsigned()) * 3);
        }
        for i in 1..=5000i32 {
            assert_eq!(
                m.get(&MessageId::new(i).unwrap()),
                Some(&(u64::from(i.cast_unsigned()) * 3))
            );
        }
        assert_eq!(m.get(&MessageId::new(5001).unwrap()), None);
        let mut tokens: IdMap<u64, ()> = IdMap::default();
        tokens.insert(u64::MAX, ());
        assert!(tokens.contains_key(&u64::MAX));
        let mut s: IdSet<MessageId> = IdSet::default();
        assert!(s.insert(MessageId::new(7).unwrap()));
        assert!(!s.insert(MessageId::new(7).unwrap()));
        assert_ne!(hash(b"ab".as_slice()), hash(b"ba".as_slice()));
    }
}
