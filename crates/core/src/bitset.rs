//! A fixed-size bitset over dense indices (pod classes, namespaces).

#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub fn new(len: usize) -> Self {
        BitSet {
            words: vec![0; len.div_ceil(64)],
        }
    }

    pub fn full(len: usize) -> Self {
        let mut words = vec![u64::MAX; len / 64];
        if len % 64 != 0 {
            words.push((1 << (len % 64)) - 1);
        }
        BitSet { words }
    }

    pub fn remove(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }

    pub fn insert(&mut self, i: usize) {
        let w = i / 64;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << (i % 64);
    }

    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn union_with(&mut self, other: &BitSet) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub fn intersect_with(&mut self, other: &BitSet) {
        for (i, a) in self.words.iter_mut().enumerate() {
            *a &= other.words.get(i).copied().unwrap_or(0);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        ones(self.words.iter().copied())
    }

    /// The elements of `self ∩ (a ∪ b)`, without building the set: one word at a time.
    pub fn iter_and_or<'a>(&'a self, a: &'a BitSet, b: &'a BitSet) -> impl Iterator<Item = usize> + 'a {
        let word = |s: &BitSet, i: usize| s.words.get(i).copied().unwrap_or(0);
        ones((0..self.words.len()).map(move |i| self.words[i] & (word(a, i) | word(b, i))))
    }
}

impl BitSet {
    /// Word `i` (64 members from `64 * i`), 0 past the end.
    pub fn word(&self, i: usize) -> u64 {
        self.words.get(i).copied().unwrap_or(0)
    }

    /// Adds the members `64 * i + b` for the set bits `b` of `bits`.
    pub fn insert_word(&mut self, i: usize, bits: u64) {
        if i >= self.words.len() {
            self.words.resize(i + 1, 0);
        }
        self.words[i] |= bits;
    }
}

/// Transposes a 64 × 64 bit matrix in place: afterwards bit `k` of `m[j]` is what bit `j`
/// of `m[k]` was (bit 0 the lowest). Six rounds of swapping ever smaller blocks.
pub fn transpose64(m: &mut [u64; 64]) {
    let mut j = 32;
    let mut mask: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0;
        while k < 64 {
            let t = ((m[k] >> j) ^ m[k + j]) & mask;
            m[k] ^= t << j;
            m[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        mask ^= mask << j;
    }
}

/// The positions of the set bits of a sequence of words.
fn ones(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(wi, w)| {
        let mut bits = w;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let tz = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(wi * 64 + tz)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_iter_union() {
        let mut a = BitSet::new(10);
        a.insert(3);
        a.insert(70);
        let mut b = BitSet::new(200);
        b.insert(199);
        a.union_with(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![3, 70, 199]);
        assert!(a.contains(70) && !a.contains(71));
        a.intersect_with(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![199]);
    }

    #[test]
    fn full_remove_and_masked_iteration() {
        let full = BitSet::full(130);
        assert_eq!(full.iter().count(), 130);
        assert!(full.contains(129) && !full.contains(130));
        let mut a = full.clone();
        a.remove(64);
        a.remove(500);
        let mut b = BitSet::new(130);
        b.insert(64);
        b.insert(65);
        let mut c = BitSet::new(10);
        c.insert(2);
        assert_eq!(a.iter_and_or(&b, &c).collect::<Vec<_>>(), vec![2, 65]);
        assert_eq!(BitSet::full(64).iter().count(), 64);
    }

    #[test]
    fn transposing_swaps_rows_and_columns() {
        let mut m = [0u64; 64];
        // Row k holds the columns (k * 7 + c * 13) % 64 for c < k % 5.
        for (k, row) in m.iter_mut().enumerate() {
            for c in 0..k % 5 {
                *row |= 1 << ((k * 7 + c * 13) % 64);
            }
        }
        let before = m;
        transpose64(&mut m);
        for (j, row) in m.iter().enumerate() {
            for (k, old) in before.iter().enumerate() {
                assert_eq!(row >> k & 1, old >> j & 1, "row {j}, column {k}");
            }
        }
    }
}
