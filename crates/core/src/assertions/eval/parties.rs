//! The ends of a connection being checked, and the address ranges among them: cut where
//! the input's ipBlocks cut them, merged again where neighbours read alike.

use crate::conn::ConnSet;
use crate::endpoint::AddrRange;
use std::collections::BTreeSet;

/// One end of a connection being checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Party {
    Workload(usize),
    /// A range of addresses that every ipBlock of the input treats alike.
    External(AddrRange),
    IngressController,
}

/// Points where the address space is cut: the first address of every range that starts
/// somewhere inside, so each piece is wholly inside or outside every ipBlock.
#[derive(Default)]
pub(super) struct Cuts {
    pub(super) v4: BTreeSet<u32>,
    pub(super) v6: BTreeSet<u128>,
}

impl Cuts {
    pub(super) fn add(&mut self, r: AddrRange) {
        match r {
            AddrRange::V4(lo, hi) => {
                self.v4.insert(lo);
                self.v4.extend(hi.checked_add(1));
            }
            AddrRange::V6(lo, hi) => {
                self.v6.insert(lo);
                self.v6.extend(hi.checked_add(1));
            }
        }
    }

    /// `range` cut at every point inside it.
    pub(super) fn split(&self, range: AddrRange) -> Vec<AddrRange> {
        fn pieces<T: Copy + Ord + std::ops::Sub<Output = T> + From<u8>>(
            lo: T,
            hi: T,
            cuts: &BTreeSet<T>,
            make: fn(T, T) -> AddrRange,
        ) -> Vec<AddrRange> {
            let mut out = Vec::new();
            let mut start = lo;
            for &c in cuts.iter().filter(|&&c| c > lo && c <= hi) {
                out.push(make(start, c - T::from(1)));
                start = c;
            }
            out.push(make(start, hi));
            out
        }
        match range {
            AddrRange::V4(lo, hi) => pieces(lo, hi, &self.v4, AddrRange::V4),
            AddrRange::V6(lo, hi) => pieces(lo, hi, &self.v6, AddrRange::V6),
        }
    }
}

pub(super) fn range_last(r: AddrRange) -> std::net::IpAddr {
    match r {
        AddrRange::V4(_, hi) => std::net::IpAddr::V4(hi.into()),
        AddrRange::V6(_, hi) => std::net::IpAddr::V6(hi.into()),
    }
}

/// Adds a pair to a list of findings; an address range next to one already listed, with
/// the same other end and the same connection, extends that one (they read as one).
pub(super) fn push_merged(list: &mut Vec<(Party, Party, ConnSet)>, item: (Party, Party, ConnSet)) {
    for (a, b, conn) in list.iter_mut() {
        if *conn != item.2 {
            continue;
        }
        match (*a, *b, item.0, item.1) {
            (Party::External(r), other, Party::External(n), other2) if other == other2 && adjacent(r, n) => {
                *a = Party::External(merge(r, n));
                return;
            }
            (other, Party::External(r), other2, Party::External(n)) if other == other2 && adjacent(r, n) => {
                *b = Party::External(merge(r, n));
                return;
            }
            _ => {}
        }
    }
    list.push(item);
}

fn adjacent(a: AddrRange, b: AddrRange) -> bool {
    match (a, b) {
        (AddrRange::V4(_, hi), AddrRange::V4(lo, _)) => hi.checked_add(1) == Some(lo),
        (AddrRange::V6(_, hi), AddrRange::V6(lo, _)) => hi.checked_add(1) == Some(lo),
        _ => false,
    }
}

fn merge(a: AddrRange, b: AddrRange) -> AddrRange {
    match (a, b) {
        (AddrRange::V4(lo, _), AddrRange::V4(_, hi)) => AddrRange::V4(lo, hi),
        (AddrRange::V6(lo, _), AddrRange::V6(_, hi)) => AddrRange::V6(lo, hi),
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_split_ranges_at_every_boundary_inside() {
        let mut cuts = Cuts::default();
        cuts.add(AddrRange::V4(10, 19));
        cuts.add(AddrRange::V4(0, u32::MAX));
        assert_eq!(
            cuts.split(AddrRange::V4(0, 30)),
            vec![AddrRange::V4(0, 9), AddrRange::V4(10, 19), AddrRange::V4(20, 30)]
        );
        assert_eq!(cuts.split(AddrRange::V4(12, 14)), vec![AddrRange::V4(12, 14)]);
    }
}
