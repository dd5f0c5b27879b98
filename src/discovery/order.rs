//! The order in which to try the servers of a set of SRV records
//! (RFC 2782, "Usage rules"): a pure function of the records and a random
//! source, so that a seeded source makes it repeatable in tests.

use rand::RngExt as _;

use super::record::{SrvRecord, SrvServer};

/// Uniform random numbers for the weighted selection.
pub(crate) trait RandomSource {
    /// A number from `0` to `max`, both included, each equally likely.
    fn up_to(&mut self, max: u32) -> u32;
}

/// Any `rand` generator: `rand::rng()` in the library, a seeded
/// `StdRng` in tests.
impl<R: rand::Rng + ?Sized> RandomSource for R {
    fn up_to(&mut self, max: u32) -> u32 {
        self.random_range(0..=max)
    }
}

/// The servers of `records` in the order to try them, as RFC 2782 says:
///
/// - "A client MUST attempt to contact the target host with the
///   lowest-numbered priority it can reach": the records are grouped by
///   priority, lowest first.
/// - Within a priority, one weighted draw after the other: "compute the
///   sum of the weights of those RRs, and with each RR associate the
///   running sum in the selected order. Then choose a uniform random
///   number between 0 and the sum computed (inclusive), and select the RR
///   whose running sum value is the first in the selected order which is
///   greater than or equal to the random number selected." The drawn
///   record is removed and the next drawn from the rest, until none is
///   left.
/// - Weight 0: "all those with weight 0 are placed at the beginning of the
///   list", so each is drawn only when the number drawn is 0 (a "very
///   small chance" while others have weight) and they come last in
///   practice; among themselves they are shuffled, so that a set of only
///   weight-0 records is tried in a random order.
/// - One departure from the letter of the RFC, to keep its intent: while
///   no weight-0 record is left, the number is drawn from 1 (not 0) to the
///   sum. Drawn from 0, the first record would also win a 0 and get one
///   chance in `sum + 1` more than its weight gives it (with weights 1
///   and 1, two thirds of the choices instead of half).
/// - A record whose target is `.` (the service is not available) is left
///   out; the caller tells an all-`.` answer apart before.
pub(crate) fn order(records: &[SrvRecord], rng: &mut impl RandomSource) -> Vec<SrvServer> {
    let mut usable: Vec<&SrvRecord> = records.iter().filter(|r| !r.is_unavailable()).collect();
    // Stable: records of one priority keep the order DNS gave them.
    usable.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(usable.len());
    let mut rest = usable.as_slice();
    while let Some(first) = rest.first() {
        let len = rest
            .iter()
            .position(|r| r.priority != first.priority)
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(len);
        order_priority(group, rng, &mut out);
        rest = tail;
    }
    out
}

/// Appends the records of one priority to `out` in weighted random order.
fn order_priority(group: &[&SrvRecord], rng: &mut impl RandomSource, out: &mut Vec<SrvServer>) {
    // Weight 0 first, shuffled; then the others as DNS gave them.
    let mut zero: Vec<&SrvRecord> = group.iter().copied().filter(|r| r.weight == 0).collect();
    shuffle(&mut zero, rng);
    let mut left: Vec<&SrvRecord> = zero;
    left.extend(group.iter().copied().filter(|r| r.weight != 0));
    while !left.is_empty() {
        let sum = left
            .iter()
            .fold(0u32, |sum, r| sum.saturating_add(u32::from(r.weight)));
        // From 0 only while a weight-0 record is in front (0 is its one
        // chance); otherwise from 1, or the first record would win 0 as
        // well and get one draw more than its weight.
        let low = u32::from(left.first().is_none_or(|r| r.weight != 0));
        let draw = low.saturating_add(rng.up_to(sum.saturating_sub(low)));
        let mut running = 0u32;
        let mut chosen = left.len() - 1;
        for (i, r) in left.iter().enumerate() {
            running = running.saturating_add(u32::from(r.weight));
            if running >= draw {
                chosen = i;
                break;
            }
        }
        let record = left.remove(chosen);
        out.push(SrvServer {
            host: record.target.clone(),
            port: record.port,
        });
    }
}

/// Fisher–Yates with `rng`.
fn shuffle(items: &mut [&SrvRecord], rng: &mut impl RandomSource) {
    for i in (1..items.len()).rev() {
        let bound = u32::try_from(i).unwrap_or(u32::MAX);
        let j = usize::try_from(rng.up_to(bound)).unwrap_or(i).min(i);
        items.swap(i, j);
    }
}
