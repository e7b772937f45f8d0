//! The engine's sets: interned connection sets with memoised union and intersection,
//! the tier walk's operations on them, and the selector caches of preparation.

use crate::bitset::BitSet;
use crate::conn::ConnSet;
use crate::policy::calico::{CalicoSelector, EntityMatch};
use crate::policy::walk::ConnOps;
use crate::policy::Selector;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: the keys are small integers and interned sets, so SipHash's DoS resistance only
/// costs time here.
#[derive(Default, Clone, Copy)]
pub(super) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Interned connection sets, with memoised union and intersection.
#[derive(Clone, Default)]
pub(super) struct ConnTable {
    pub(super) sets: Vec<ConnSet>,
    ids: FxMap<ConnSet, u32>,
    unions: FxMap<u64, u32>,
    intersections: FxMap<u64, u32>,
}

/// An interned connection set of one engine ([`Engine::conn`]): equal sets, equal ids.
pub type ConnId = u32;

pub(super) const NONE: ConnId = 0;
pub(super) const ALL: ConnId = 1;

impl ConnTable {
    pub(super) fn new() -> Self {
        let mut t = ConnTable::default();
        t.intern(ConnSet::none());
        t.intern(ConnSet::all());
        t
    }

    pub(super) fn intern(&mut self, c: ConnSet) -> u32 {
        SetStore::intern(self, c)
    }

    pub(super) fn get(&self, id: u32) -> &ConnSet {
        &self.sets[id as usize]
    }
}

/// Which memoised operation a key belongs to.
#[derive(Clone, Copy)]
pub(super) enum Op {
    Union,
    Intersection,
}

/// Where interned sets live: an engine's own table, or a thread's additions over a
/// frozen one ([`Overlay`]). Union and intersection are the same code over both.
pub(super) trait SetStore {
    fn set(&self, id: u32) -> &ConnSet;
    /// The id of `c`, new if no equal set has one.
    fn intern(&mut self, c: ConnSet) -> u32;
    fn memo(&self, op: Op, key: u64) -> Option<u32>;
    fn remember(&mut self, op: Op, key: u64, id: u32);

    fn union(&mut self, a: u32, b: u32) -> u32 {
        if a == b || b == NONE || a == ALL {
            return a;
        }
        if a == NONE || b == ALL {
            return b;
        }
        let key = key(a, b);
        if let Some(id) = self.memo(Op::Union, key) {
            return id;
        }
        let id = self.intern(self.set(a).union(self.set(b)));
        self.remember(Op::Union, key, id);
        id
    }

    fn intersect(&mut self, a: u32, b: u32) -> u32 {
        if a == b || b == ALL || a == NONE {
            return a;
        }
        if a == ALL || b == NONE {
            return b;
        }
        let key = key(a, b);
        if let Some(id) = self.memo(Op::Intersection, key) {
            return id;
        }
        let id = self.intern(self.set(a).intersect(self.set(b)));
        self.remember(Op::Intersection, key, id);
        id
    }
}

/// The memo key of an unordered pair of ids.
fn key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

impl SetStore for ConnTable {
    fn set(&self, id: u32) -> &ConnSet {
        &self.sets[id as usize]
    }

    fn intern(&mut self, c: ConnSet) -> u32 {
        if let Some(&id) = self.ids.get(&c) {
            return id;
        }
        let id = self.sets.len() as u32;
        self.sets.push(c.clone());
        self.ids.insert(c, id);
        id
    }

    fn memo(&self, op: Op, key: u64) -> Option<u32> {
        match op {
            Op::Union => self.unions.get(&key).copied(),
            Op::Intersection => self.intersections.get(&key).copied(),
        }
    }

    fn remember(&mut self, op: Op, key: u64, id: u32) {
        match op {
            Op::Union => self.unions.insert(key, id),
            Op::Intersection => self.intersections.insert(key, id),
        };
    }
}

/// A frozen table and what one thread interned since: ids below the table's length are
/// the table's, the others this overlay's own. Threads that compute rows of one engine at
/// once each keep an overlay ([`super::Engine::row_in`]); its ids mean nothing to
/// another overlay or to the engine.
pub struct Overlay<'t> {
    base: &'t ConnTable,
    own: ConnTable,
}

impl<'t> Overlay<'t> {
    pub(super) fn new(base: &'t ConnTable) -> Self {
        Overlay {
            base,
            own: ConnTable::default(),
        }
    }

    /// The connection set behind an id of this overlay or of its table.
    pub fn conn(&self, id: ConnId) -> &ConnSet {
        self.set(id)
    }
}

impl SetStore for Overlay<'_> {
    fn set(&self, id: u32) -> &ConnSet {
        let shared = self.base.sets.len();
        match (id as usize).checked_sub(shared) {
            None => &self.base.sets[id as usize],
            // An id this overlay never gave out reads as no connection.
            Some(own) => self.own.sets.get(own).unwrap_or(&self.base.sets[NONE as usize]),
        }
    }

    fn intern(&mut self, c: ConnSet) -> u32 {
        if let Some(&id) = self.base.ids.get(&c) {
            return id;
        }
        self.base.sets.len() as u32 + SetStore::intern(&mut self.own, c)
    }

    fn memo(&self, op: Op, key: u64) -> Option<u32> {
        self.base.memo(op, key).or_else(|| self.own.memo(op, key))
    }

    fn remember(&mut self, op: Op, key: u64, id: u32) {
        self.own.remember(op, key, id);
    }
}

/// [`ConnOps`] on interned sets, so that the tier walk runs on ids.
pub(super) struct Interned<'t, S: SetStore = ConnTable>(pub(super) &'t mut S);

impl<S: SetStore> ConnOps for Interned<'_, S> {
    type Set = u32;
    fn none(&mut self) -> u32 {
        NONE
    }
    fn all(&mut self) -> u32 {
        ALL
    }
    fn union(&mut self, a: &u32, b: &u32) -> u32 {
        self.0.union(*a, *b)
    }
    fn intersect(&mut self, a: &u32, b: &u32) -> u32 {
        self.0.intersect(*a, *b)
    }
    fn difference(&mut self, a: &u32, b: &u32) -> u32 {
        if *b == NONE || *a == NONE {
            return *a;
        }
        if *b == ALL || a == b {
            return NONE;
        }
        let d = self.0.set(*a).difference(self.0.set(*b));
        self.0.intern(d)
    }
}

/// Selector results while preparing rules, keyed by the selectors themselves (not their
/// text: formatting every peer cost more than matching it).
#[derive(Default)]
pub(super) struct SelectorCaches {
    /// Namespace selector → matching namespaces.
    pub(super) namespaces: FxMap<NamespaceKey, Vec<usize>>,
    /// Peer → matching classes.
    pub(super) peers: FxMap<PeerKey, BitSet>,
}

/// A selector of namespaces.
#[derive(PartialEq, Eq, Hash)]
pub(super) enum NamespaceKey {
    Labels(Selector),
    Calico(CalicoSelector),
}

/// A peer whose classes are cached.
#[derive(PartialEq, Eq, Hash)]
pub(super) enum PeerKey {
    /// Pods `pods` selects (None: every pod) in the policy's own namespace.
    Own {
        namespace: String,
        pods: Option<Selector>,
    },
    /// Pods `pods` selects in the namespaces `namespaces` selects.
    InNamespaces {
        namespaces: Selector,
        pods: Option<Selector>,
    },
    Calico(Box<EntityMatch>),
}
