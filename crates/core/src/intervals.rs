//! Sets of integers kept as sorted, disjoint, non-adjacent inclusive ranges.
//!
//! Ports (`u16`), IPv4 addresses (`u32`) and IPv6 addresses (`u128`) all use the same
//! representation, so set algebra on port ranges and address ranges is one piece of code.

/// An integer type usable as interval bounds.
pub trait Point: Copy + Ord + std::fmt::Debug {
    const MIN: Self;
    const MAX: Self;
    /// `self + 1`, or `None` at `MAX`.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at `MIN`.
    fn pred(self) -> Option<Self>;
}

macro_rules! impl_point {
    ($($t:ty),*) => {$(
        impl Point for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> { self.checked_add(1) }
            fn pred(self) -> Option<Self> { self.checked_sub(1) }
        }
    )*};
}
impl_point!(u16, u32, u128);

/// A set of integers as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct IntervalSet<T: Point> {
    ranges: Vec<(T, T)>,
}

impl<T: Point> IntervalSet<T> {
    pub const fn new() -> Self {
        IntervalSet { ranges: Vec::new() }
    }

    /// The set `[lo, hi]`; empty when `lo > hi`.
    pub fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            Self::new()
        } else {
            IntervalSet { ranges: vec![(lo, hi)] }
        }
    }

    pub fn single(v: T) -> Self {
        Self::range(v, v)
    }

    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains(&self, v: T) -> bool {
        // Binary search on range starts: the candidate is the last range starting <= v.
        let idx = self.ranges.partition_point(|&(lo, _)| lo <= v);
        idx > 0 && self.ranges[idx - 1].1 >= v
    }

    /// Whether every value in `[lo, hi]` is in the set.
    pub fn contains_range(&self, lo: T, hi: T) -> bool {
        let idx = self.ranges.partition_point(|&(l, _)| l <= lo);
        idx > 0 && self.ranges[idx - 1].1 >= hi
    }

    /// Whether the set is exactly `[lo, hi]`.
    pub fn is_exactly(&self, lo: T, hi: T) -> bool {
        self.ranges.len() == 1 && self.ranges[0] == (lo, hi)
    }

    pub fn insert_range(&mut self, lo: T, hi: T) {
        if lo > hi {
            return;
        }
        let other = IntervalSet { ranges: vec![(lo, hi)] };
        *self = self.union(&other);
    }

    pub fn union(&self, other: &Self) -> Self {
        if other.ranges.is_empty() {
            return self.clone();
        }
        if self.ranges.is_empty() {
            return other.clone();
        }
        let mut all: Vec<(T, T)> = Vec::with_capacity(self.ranges.len() + other.ranges.len());
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() || j < other.ranges.len() {
            let take_self = j >= other.ranges.len() || (i < self.ranges.len() && self.ranges[i].0 <= other.ranges[j].0);
            let next = if take_self {
                i += 1;
                self.ranges[i - 1]
            } else {
                j += 1;
                other.ranges[j - 1]
            };
            push_merged(&mut all, next);
        }
        IntervalSet { ranges: all }
    }

    pub fn union_with(&mut self, other: &Self) {
        if !other.is_empty() {
            *self = self.union(other);
        }
    }

    pub fn intersect(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a_lo, a_hi) = self.ranges[i];
            let (b_lo, b_hi) = other.ranges[j];
            let lo = a_lo.max(b_lo);
            let hi = a_hi.min(b_hi);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a_hi < b_hi {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet { ranges: out }
    }

    /// `self \ other`.
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let mut j = 0;
        for &(lo, hi) in &self.ranges {
            let mut cur_lo = Some(lo);
            while j < other.ranges.len() && other.ranges[j].1 < lo {
                j += 1;
            }
            let mut k = j;
            while let Some(start) = cur_lo {
                if k >= other.ranges.len() || other.ranges[k].0 > hi {
                    out.push((start, hi));
                    break;
                }
                let (o_lo, o_hi) = other.ranges[k];
                if o_lo > start {
                    // o_lo > start >= MIN, so pred exists.
                    if let Some(p) = o_lo.pred() {
                        out.push((start, p));
                    }
                }
                cur_lo = if o_hi >= hi { None } else { o_hi.succ() };
                k += 1;
            }
        }
        IntervalSet { ranges: out }
    }

    /// The points where membership changes: each range's start and the value after its end.
    pub fn boundaries(&self) -> impl Iterator<Item = T> + '_ {
        self.ranges
            .iter()
            .flat_map(|&(lo, hi)| std::iter::once(lo).chain(hi.succ()))
    }
}

fn push_merged<T: Point>(out: &mut Vec<(T, T)>, (lo, hi): (T, T)) {
    if let Some(last) = out.last_mut() {
        // Merge when overlapping or adjacent.
        let adjacent = last.1.succ().is_some_and(|n| n >= lo);
        if last.1 >= lo || adjacent {
            if hi > last.1 {
                last.1 = hi;
            }
            return;
        }
    }
    out.push((lo, hi));
}

impl<T: Point> FromIterator<(T, T)> for IntervalSet<T> {
    fn from_iter<I: IntoIterator<Item = (T, T)>>(iter: I) -> Self {
        let mut v: Vec<(T, T)> = iter.into_iter().filter(|(lo, hi)| lo <= hi).collect();
        crate::sorting::sort(&mut v);
        let mut out = Vec::with_capacity(v.len());
        for r in v {
            push_merged(&mut out, r);
        }
        IntervalSet { ranges: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn model(set: &IntervalSet<u16>) -> Vec<bool> {
        (0..=255u16).map(|v| set.contains(v)).collect()
    }

    fn arb_set() -> impl Strategy<Value = IntervalSet<u16>> {
        proptest::collection::vec((0u16..256, 0u16..20), 0..6)
            .prop_map(|v| v.into_iter().map(|(lo, len)| (lo, (lo + len).min(255))).collect())
    }

    proptest! {
        #[test]
        fn algebra_matches_pointwise_model(a in arb_set(), b in arb_set()) {
            let (ma, mb) = (model(&a), model(&b));
            let u = model(&a.union(&b));
            let i = model(&a.intersect(&b));
            let d = model(&a.difference(&b));
            for k in 0..256 {
                prop_assert_eq!(u[k], ma[k] || mb[k]);
                prop_assert_eq!(i[k], ma[k] && mb[k]);
                prop_assert_eq!(d[k], ma[k] && !mb[k]);
            }
            // Canonical form: no two ranges touch.
            for w in a.union(&b).ranges().windows(2) {
                prop_assert!(w[0].1 + 1 < w[1].0);
            }
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let full = IntervalSet::<u32>::range(0, u32::MAX);
        let hole = IntervalSet::single(u32::MAX);
        assert_eq!(full.difference(&hole).ranges(), &[(0, u32::MAX - 1)]);
        let low = IntervalSet::single(0u32);
        assert_eq!(full.difference(&low).ranges(), &[(1, u32::MAX)]);
        assert!(full.difference(&full).is_empty());
        assert_eq!(low.union(&hole).ranges().len(), 2);
    }
}
