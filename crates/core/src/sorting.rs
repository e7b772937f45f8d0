//! Stable sorting that the wasm build compiles once instead of once per element type.
//!
//! The standard library's stable sort is generic over the element and the comparison, so
//! every `sort_by` of another type is another ~4 KB copy of driftsort: 58 copies were
//! ≈ 200 KB of the playground's code (docs/performance.md, "The download"). In the wasm
//! build these functions sort a list of indices with one non-generic merge sort that calls
//! the comparison through `dyn`, then move the elements into that order (a few swaps, the
//! only generic part). Natively they are the standard library's sorts, which are faster.
//! Both are stable, so the result is the same: equal elements keep their order.
//! The hot sorts of large outputs (the connection lines) keep the standard sort everywhere.

use std::cmp::Ordering;

/// Sorts stably by `compare`, as `slice::sort_by`.
pub fn sort_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(|a, b| compare(a, b));
    #[cfg(target_arch = "wasm32")]
    {
        let order = stable_order(v.len(), &mut |i, j| compare(&v[i], &v[j]));
        apply_order(v, order);
    }
}

/// Sorts stably by a key, as `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts stably, as `slice::sort`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Sorts by `compare` where the order of equal elements does not matter, as
/// `slice::sort_unstable_by` natively (the wasm build's one sort is stable, which is
/// also a valid unstable order).
pub fn sort_unstable_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable_by(|a, b| compare(a, b));
    #[cfg(target_arch = "wasm32")]
    sort_by(v, |a, b| compare(a, b));
}

/// Sorts by a key where the order of equal elements does not matter, as
/// `slice::sort_unstable_by_key`.
pub fn sort_unstable_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_unstable_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts where the order of equal elements does not matter, as `slice::sort_unstable`.
pub fn sort_unstable<T: Ord>(v: &mut [T]) {
    sort_unstable_by(v, T::cmp);
}

/// The positions of `len` elements in stable sorted order: a bottom-up merge sort over
/// indices, runs of 16 sorted by insertion first. `compare(i, j)` compares the elements at
/// positions `i` and `j` of the original list.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn stable_order(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    const RUN: usize = 16;
    let mut order: Vec<usize> = (0..len).collect();
    for start in (0..len).step_by(RUN) {
        let end = (start + RUN).min(len);
        for i in start + 1..end {
            let mut j = i;
            while j > start && compare(order[j - 1], order[j]) == Ordering::Greater {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
    }
    let mut merged = vec![0; len];
    let mut width = RUN;
    while width < len {
        for start in (0..len).step_by(2 * width) {
            let mid = (start + width).min(len);
            let end = (start + 2 * width).min(len);
            // Two runs already in order stay as they are: sorted or nearly sorted input
            // (connection lines come mostly in order) costs one comparison per merge.
            if mid >= end || compare(order[mid - 1], order[mid]) != Ordering::Greater {
                merged[start..end].copy_from_slice(&order[start..end]);
                continue;
            }
            let (mut left, mut right) = (start, mid);
            for slot in &mut merged[start..end] {
                // The left run's element goes first unless the right one's is smaller:
                // that is what keeps equal elements in their order.
                let take_left = right >= end || (left < mid && compare(order[left], order[right]) != Ordering::Greater);
                if take_left {
                    *slot = order[left];
                    left += 1;
                } else {
                    *slot = order[right];
                    right += 1;
                }
            }
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Moves the elements so that position `k` holds the element that was at `order[k]`
/// (`order` is a permutation of the positions), following each cycle with swaps.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn apply_order<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut k = start;
        while order[k] != k {
            let source = order[k];
            order[k] = k;
            if source == start {
                break;
            }
            v.swap(k, source);
            k = source;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the wasm build does, run natively.
    fn wasm_sort_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
        let order = stable_order(v.len(), &mut |i, j| compare(&v[i], &v[j]));
        apply_order(v, order);
    }

    /// `items` sorted by their first field, by the wasm build's sort and by the standard
    /// library's stable sort.
    fn by_wasm_sort<K: Ord + Clone>(items: &[(K, usize)]) -> Vec<(K, usize)> {
        let mut got = items.to_vec();
        wasm_sort_by(&mut got, |a, b| a.0.cmp(&b.0));
        got
    }

    fn by_std_sort<K: Ord + Clone>(items: &[(K, usize)]) -> Vec<(K, usize)> {
        let mut expected = items.to_vec();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        expected
    }

    proptest! {
        /// Same order as the standard library's stable sort, equal keys included (the
        /// second field tells equal keys apart).
        #[test]
        fn the_wasm_sort_equals_the_standard_stable_sort(keys in proptest::collection::vec(0u8..8, 0..300)) {
            let items: Vec<(u8, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            prop_assert_eq!(by_wasm_sort(&items), by_std_sort(&items));
        }

        /// Also on nearly sorted lists, where runs already in order are kept as they are.
        #[test]
        fn the_wasm_sort_equals_the_standard_stable_sort_nearly_sorted(
            len in 0usize..2_000,
            swaps in proptest::collection::vec((0usize..2_000, 0usize..2_000), 0..6),
        ) {
            let mut items: Vec<(usize, usize)> = (0..len).map(|i| (i / 3, i)).collect();
            for (a, b) in swaps {
                if a < len && b < len {
                    items.swap(a, b);
                }
            }
            prop_assert_eq!(by_wasm_sort(&items), by_std_sort(&items));
        }
    }

    #[test]
    fn sorted_input_costs_about_one_comparison_per_element() {
        let mut lines: Vec<u32> = (0..10_000).collect();
        let mut comparisons = 0;
        wasm_sort_by(&mut lines, |a, b| {
            comparisons += 1;
            a.cmp(b)
        });
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
        // Insertion within runs of 16 (15 each), then one per merge: ≈ 1.0 per element,
        // against ≈ 10 per element when every merge walks both runs.
        assert!(comparisons < 10_000 + 1_000, "{comparisons} comparisons");
    }

    #[test]
    fn sorts_owned_values_and_empty_lists() {
        let mut words = vec!["pear".to_string(), "apple".into(), "fig".into(), "apple".into()];
        wasm_sort_by(&mut words, |a, b| a.cmp(b));
        assert_eq!(words, ["apple", "apple", "fig", "pear"]);
        let mut none: Vec<String> = Vec::new();
        wasm_sort_by(&mut none, |a, b| a.cmp(b));
        assert!(none.is_empty());
    }
}
