//! Which items of a list overlap an earlier one, in n·log n rather than by comparing every
//! pair: a definition from an untrusted caller may hold tens of thousands of subnets or
//! ranges, and the checks must stay fast for all of them.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use ipnetwork::IpNetwork;

use super::values::Family;

fn as_u128(addr: std::net::IpAddr) -> u128 {
    match addr {
        std::net::IpAddr::V4(v4) => u128::from(u32::from(v4)),
        std::net::IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The last address of a subnet, as a number.
fn last_address(subnet: &IpNetwork) -> u128 {
    let start = as_u128(subnet.network());
    let host_bits = u32::from(Family::of(&subnet.ip()).max_prefix() - subnet.prefix());
    let size_minus_one = 1u128.checked_shl(host_bits).map_or(u128::MAX, |size| size - 1);
    start.saturating_add(size_minus_one)
}

/// For each subnet, the first (lowest-index) earlier subnet it overlaps, if any: what
/// comparing it with every earlier one would find.
///
/// Subnets either nest or are apart, never partly overlap. Sorted by start (the larger
/// first when two start together), each subnet's ancestors, the subnets containing it,
/// are the ones still open when it comes, and its descendants come right after it: the
/// lowest index among both is the answer.
pub fn first_overlapping_subnet(subnets: &[IpNetwork]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..subnets.len()).collect();
    let key = |i: usize| {
        let s = &subnets[i];
        (Family::of(&s.ip()) == Family::Ipv6, as_u128(s.network()), Reverse(last_address(s)), i)
    };
    order.sort_by_key(|&i| key(i));

    /// An open subnet: its index and end, the lowest index among it and its ancestors,
    /// and the lowest index among its descendants so far.
    struct Open {
        index: usize,
        ipv6: bool,
        end: u128,
        lowest_above: usize,
        lowest_below: usize,
    }
    let mut answer = vec![None; subnets.len()];
    let mut stack: Vec<Open> = Vec::new();
    let close = |stack: &mut Vec<Open>, answer: &mut Vec<Option<usize>>| {
        if let Some(done) = stack.pop() {
            let above = stack.last().map_or(usize::MAX, |parent| parent.lowest_above);
            let lowest = above.min(done.lowest_below);
            if lowest < done.index {
                answer[done.index] = Some(lowest);
            }
            if let Some(parent) = stack.last_mut() {
                parent.lowest_below = parent.lowest_below.min(done.index).min(done.lowest_below);
            }
        }
    };
    for i in order {
        let subnet = &subnets[i];
        let ipv6 = Family::of(&subnet.ip()) == Family::Ipv6;
        let start = as_u128(subnet.network());
        while stack.last().is_some_and(|top| top.ipv6 != ipv6 || top.end < start) {
            close(&mut stack, &mut answer);
        }
        let lowest_above = stack.last().map_or(i, |parent| parent.lowest_above.min(i));
        stack.push(Open { index: i, ipv6, end: last_address(subnet), lowest_above, lowest_below: usize::MAX });
    }
    while !stack.is_empty() {
        close(&mut stack, &mut answer);
    }
    answer
}

/// For each inclusive range (`None`: not to be compared), an earlier range it overlaps,
/// if any (some earlier one; not always the lowest index).
///
/// Swept by start: the ranges still open when one starts overlap it. The lowest open
/// index tells whether an earlier one is among them; open ranges with a higher index
/// than the one starting are earlier ones' partners found late, each marked once.
pub fn earlier_overlapping_range(ranges: &[Option<(u128, u128)>]) -> Vec<Option<usize>> {
    let mut order: Vec<(u128, u128, usize)> =
        ranges.iter().enumerate().filter_map(|(i, r)| r.map(|(start, end)| (start, end, i))).collect();
    order.sort_unstable();
    let mut answer = vec![None; ranges.len()];
    let mut by_end: BinaryHeap<Reverse<(u128, usize)>> = BinaryHeap::new();
    let mut open: BTreeSet<usize> = BTreeSet::new();
    let mut open_unmarked: BTreeSet<usize> = BTreeSet::new();
    for (start, end, i) in order {
        while let Some(Reverse((closed_end, j))) = by_end.peek().copied() {
            if closed_end >= start {
                break;
            }
            by_end.pop();
            open.remove(&j);
            open_unmarked.remove(&j);
        }
        if let Some(&lowest) = open.first()
            && lowest < i
        {
            answer[i] = Some(lowest);
        }
        let later: Vec<usize> = open_unmarked.range(i + 1..).copied().collect();
        for j in later {
            answer[j].get_or_insert(i);
            open_unmarked.remove(&j);
        }
        by_end.push(Reverse((end, i)));
        open.insert(i);
        if answer[i].is_none() {
            open_unmarked.insert(i);
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::subnet::overlaps;

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    #[test]
    fn nested_and_apart_subnets() {
        let subnets = [net("10.0.0.0/16"), net("10.1.0.0/16"), net("10.0.5.0/24"), net("fd00::/64"), net("10.0.0.0/8")];
        assert_eq!(first_overlapping_subnet(&subnets), [None, None, Some(0), None, Some(0)]);
        assert_eq!(first_overlapping_subnet(&[net("10.0.0.1/24"), net("10.0.0.7/24")]), [None, Some(0)]);
    }

    #[test]
    fn ranges() {
        let ranges = [Some((10, 20)), Some((30, 40)), Some((15, 35)), None, Some((41, 50)), Some((0, 5))];
        assert_eq!(earlier_overlapping_range(&ranges), [None, None, Some(0), None, None, None]);
        // A later index that starts first is still found.
        assert_eq!(earlier_overlapping_range(&[Some((10, 20)), Some((5, 12))]), [None, Some(0)]);
    }

    fn subnet() -> impl Strategy<Value = IpNetwork> {
        prop_oneof![
            (0u8..4, any::<u8>(), 8u8..=32).prop_map(|(b, c, p)| net(&format!("10.{b}.{c}.1/{p}"))),
            (0u16..4, 48u8..=128).prop_map(|(g, p)| net(&format!("fd00:{g}::1/{p}"))),
        ]
    }

    proptest! {
        /// The same answers as comparing every pair.
        #[test]
        fn subnets_like_every_pair(subnets in prop::collection::vec(subnet(), 0..40)) {
            let slow: Vec<Option<usize>> = (0..subnets.len())
                .map(|i| (0..i).find(|&j| overlaps(&subnets[j], &subnets[i])))
                .collect();
            prop_assert_eq!(first_overlapping_subnet(&subnets), slow);
        }

        /// An earlier overlapping range is found exactly when one exists.
        #[test]
        fn ranges_like_every_pair(ranges in prop::collection::vec(prop::option::weighted(0.9, (0u128..100, 0u128..20)), 0..40)) {
            let ranges: Vec<Option<(u128, u128)>> = ranges.into_iter().map(|r| r.map(|(s, l)| (s, s + l))).collect();
            let found = earlier_overlapping_range(&ranges);
            for (i, range) in ranges.iter().enumerate() {
                let overlapping = |j: usize| match (range, ranges[j]) {
                    (Some((s, e)), Some((s2, e2))) => *s <= e2 && s2 <= *e,
                    _ => false,
                };
                let any = (0..i).any(overlapping);
                prop_assert_eq!(found[i].is_some(), any, "range {}", i);
                if let Some(j) = found[i] {
                    prop_assert!(j < i && overlapping(j));
                }
            }
        }
    }
}
