//! The fast engine: whole connection sets for a cluster.
//!
//! Pods with the same namespace, labels and container ports are indistinguishable to
//! every policy, so they form one *class*; selectors are evaluated once per class and a
//! rule's peers are a bitset of classes plus interval sets of external addresses. The
//! connection between two classes is `egress(src → dst) ∩ ingress(dst ← src)`, each the
//! union of the matching rules' port sets (or everything when not isolated).
//!
//! Why it is fast (docs/performance.md):
//! - Candidates first: a pair can only be allowed when the destination is in the
//!   source's egress reach (the union of its egress rules' peer bitsets, or everything)
//!   and the source is in the destination's ingress reach. Both are bitsets, so a whole
//!   row of candidates is one word-wise AND; the rest of the class × class square is
//!   never looked at.
//! - Port sets are interned: every distinct connection set gets a number, and unions and
//!   intersections of numbers are memoised, so a pair costs a few bit tests and table
//!   lookups, never an allocation.
//! - Results are kept per class pair, so editing one policy recomputes only the rows of
//!   the classes it selects for egress and the columns of those it selects for ingress
//!   ([`Engine::update_policy`]).
//!
//! External addresses: each class's own ipBlock boundaries split the address space into
//! segments that are wholly inside or outside each of its rules; adjacent segments with
//! the same connection merge into maximal ranges.

use crate::bitset::BitSet;
use crate::conn::ConnSet;
use crate::endpoint::{AddrRange, AddrSet, Endpoint};
use crate::model::{Cluster, ContainerPort, Labels};
use crate::output::ConnLine;
use crate::policy::walk::{walk_tiers, ConnOps, Plain};
use crate::policy::{Action, PeerKind, Policy, Rule, Tier, TierWalk};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::ops::Range;

/// FxHash: the keys are small integers and interned sets, so SipHash's DoS resistance only
/// costs time here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

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

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Interned connection sets, with memoised union and intersection.
#[derive(Clone, Default)]
struct ConnTable {
    sets: Vec<ConnSet>,
    ids: FxMap<ConnSet, u32>,
    unions: FxMap<u64, u32>,
    intersections: FxMap<u64, u32>,
}

/// An interned connection set of one engine ([`Engine::conn`]): equal sets, equal ids.
pub type ConnId = u32;

const NONE: ConnId = 0;
const ALL: ConnId = 1;

impl ConnTable {
    fn new() -> Self {
        let mut t = ConnTable::default();
        t.intern(ConnSet::none());
        t.intern(ConnSet::all());
        t
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

    fn get(&self, id: u32) -> &ConnSet {
        &self.sets[id as usize]
    }

    fn key(a: u32, b: u32) -> u64 {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        (u64::from(lo) << 32) | u64::from(hi)
    }

    fn union(&mut self, a: u32, b: u32) -> u32 {
        if a == b || b == NONE || a == ALL {
            return a;
        }
        if a == NONE || b == ALL {
            return b;
        }
        let key = Self::key(a, b);
        if let Some(&id) = self.unions.get(&key) {
            return id;
        }
        let id = self.intern(self.get(a).union(self.get(b)));
        self.unions.insert(key, id);
        id
    }

    fn intersect(&mut self, a: u32, b: u32) -> u32 {
        if a == b || b == ALL || a == NONE {
            return a;
        }
        if a == ALL || b == NONE {
            return b;
        }
        let key = Self::key(a, b);
        if let Some(&id) = self.intersections.get(&key) {
            return id;
        }
        let id = self.intern(self.get(a).intersect(self.get(b)));
        self.intersections.insert(key, id);
        id
    }
}

/// [`ConnOps`] on interned sets, so that the tier walk runs on ids.
struct Interned<'t>(&'t mut ConnTable);

impl ConnOps for Interned<'_> {
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
        let d = self.0.get(*a).difference(self.0.get(*b));
        self.0.intern(d)
    }
}

/// One side of a connection (a class's egress or ingress): the tier walk over the
/// first-match rules `tiered` (in evaluation order) and the isolation rules `isolation`
/// (`None`: no isolating policy selects the class). `conn` gives what a rule matches for
/// the peer (`None`: its peers do not match). Without first-match rules this is the
/// plain NetworkPolicy answer: the union of the isolation rules, or everything.
fn side<O: ConnOps>(
    ops: &mut O,
    rules: &[PreparedRule],
    tiered: &[usize],
    isolation: Option<&Vec<usize>>,
    mut conn: impl FnMut(&mut O, &PreparedRule) -> Option<O::Set>,
) -> O::Set {
    let allows = isolation.map(|iso| {
        let mut acc = ops.none();
        for &r in iso {
            if let Some(c) = conn(ops, &rules[r]) {
                acc = ops.union(&acc, &c);
            }
        }
        acc
    });
    if tiered.is_empty() {
        return allows.unwrap_or_else(|| ops.all());
    }
    walk_tiers(
        ops,
        tiered.len(),
        |i| (rules[tiered[i]].order.0, rules[tiered[i]].action),
        allows.as_ref(),
        |ops, i| conn(ops, &rules[tiered[i]]),
        |_, _| {},
    )
}

/// A rule's connection to a destination: fixed, or (named ports) per destination port list.
enum RuleConn {
    Fixed(u32),
    /// Sorted by port-list id.
    Named(Vec<(u32, u32)>),
}

/// A rule prepared for evaluation.
struct PreparedRule {
    /// Classes of pods the rule's peers match.
    classes: BitSet,
    /// External addresses the rule's peers match.
    addrs: AddrSet,
    /// Whether any peer is an ipBlock (only those split the address space).
    has_ip_block: bool,
    /// Connections to a destination pod, by its port list.
    conn: RuleConn,
    /// Connections to an external address (no container ports to resolve names against).
    external_conn: u32,
    /// Whether a pod of a namespace the input does not describe matches the peers.
    admits_anyone: bool,
    /// What the rule does when it matches (always Allow in the isolation tier).
    action: Action,
    /// Evaluation order in a first-match tier: tier, policy priority, policy index, rule
    /// index.
    order: (Tier, i32, usize, usize),
}

impl PreparedRule {
    fn conn_to(&self, port_list: u32) -> u32 {
        match &self.conn {
            RuleConn::Fixed(id) => *id,
            RuleConn::Named(table) => table
                .binary_search_by_key(&port_list, |&(p, _)| p)
                .map_or(NONE, |i| table[i].1),
        }
    }
}

/// Pods that no policy can tell apart.
pub struct Class {
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    /// Indices into `Cluster::workloads`.
    pub members: Vec<usize>,
}

/// What one policy contributes: the classes it selects and its rules per direction.
#[derive(Clone, Default)]
struct PolicyRules {
    /// Whether the policy's tier is first-match (else isolation).
    first_match: bool,
    selected: Vec<usize>,
    ingress: Option<Range<usize>>,
    egress: Option<Range<usize>>,
}

pub struct Engine<'c> {
    cluster: &'c Cluster,
    pub classes: Vec<Class>,
    workload_class: Vec<usize>,
    /// Per class, its container-port list as an index into `port_lists`.
    class_ports: Vec<u32>,
    port_lists: Vec<Vec<ContainerPort>>,
    /// Per namespace (index into `cluster.namespaces`), its classes.
    classes_by_ns: Vec<Vec<usize>>,
    rules: Vec<PreparedRule>,
    /// Per policy (index into `cluster.policies`).
    policies: Vec<PolicyRules>,
    /// Per class: how many policies isolate it per direction.
    ingress_isolating: Vec<u32>,
    egress_isolating: Vec<u32>,
    /// Per class: `None` when not isolated for ingress, else the rules that apply.
    ingress_of: Vec<Option<Vec<usize>>>,
    egress_of: Vec<Option<Vec<usize>>>,
    /// Per class: the rules of first-match tiers that select it, in evaluation order.
    ingress_tiered: Vec<Vec<usize>>,
    egress_tiered: Vec<Vec<usize>>,
    /// Classes not isolated for ingress (or with first-match rules, which may allow
    /// anyone).
    ingress_open: BitSet,
    /// Per class `s`: the ingress-isolated destinations whose ingress rules name `s`.
    /// Empty until [`Engine::index_ingress`]: rows are then found without it, slower per
    /// row but without the classes² index (what a focused connlist wants).
    ingress_from: Vec<BitSet>,
    /// Whether any ipBlock is IPv6 (the IPv6 space takes part in the output only then).
    v6: bool,
    table: ConnTable,
    /// Per source class: allowed destinations with their connection, sorted by class.
    /// Filled by [`Engine::new`]; empty in an engine from [`Engine::prepare`], which
    /// computes rows on demand ([`Engine::class_row`]).
    pairs: Vec<Vec<(u32, u32)>>,
    evaluated: bool,
    /// Per class: external ranges it may reach, and that may reach it.
    to_external: Vec<Vec<(AddrRange, u32)>>,
    from_external: Vec<Vec<(AddrRange, u32)>>,
}

/// An allowed connection between two endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub conn: ConnSet,
}

impl<'c> Engine<'c> {
    /// Indexes the cluster and evaluates every class pair.
    pub fn new(cluster: &'c Cluster) -> Self {
        let mut engine = Engine::prepare(cluster);
        engine.index_ingress();
        engine.pairs = (0..engine.classes.len()).map(|s| engine.row(s)).collect();
        engine.evaluated = true;
        engine
    }

    /// Builds the transposed ingress index (classes² bits), so that each row visits only
    /// the destinations that admit its source: worth it when most rows are wanted.
    pub(crate) fn index_ingress(&mut self) {
        let n = self.classes.len();
        self.ingress_from = vec![BitSet::new(n); n];
        for d in 0..n {
            self.set_ingress_column(d);
        }
    }

    /// Classes, prepared rules and external ranges, without evaluating any class pair:
    /// rows and columns are then computed on demand ([`Engine::class_row`],
    /// [`Engine::class_column`]), which is what the streamed connection list uses
    /// (`crate::connlist`). Answers of [`Engine::connections`], [`Engine::lines`] and
    /// [`Engine::connection_count`] need [`Engine::new`].
    pub(crate) fn prepare(cluster: &'c Cluster) -> Self {
        let mut class_index: HashMap<(&str, &Labels, &[ContainerPort]), usize> = HashMap::new();
        let mut port_index: HashMap<&[ContainerPort], u32> = HashMap::new();
        let mut port_lists: Vec<Vec<ContainerPort>> = Vec::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut class_ports = Vec::new();
        let mut workload_class = Vec::with_capacity(cluster.workloads.len());
        for (i, w) in cluster.workloads.iter().enumerate() {
            let key = (w.namespace.as_str(), &w.labels, w.ports.as_slice());
            let c = *class_index.entry(key).or_insert_with(|| {
                classes.push(Class {
                    namespace: w.namespace.clone(),
                    labels: w.labels.clone(),
                    ports: w.ports.clone(),
                    members: Vec::new(),
                });
                let p = *port_index.entry(w.ports.as_slice()).or_insert_with(|| {
                    port_lists.push(w.ports.clone());
                    port_lists.len() as u32 - 1
                });
                class_ports.push(p);
                classes.len() - 1
            });
            classes[c].members.push(i);
            workload_class.push(c);
        }

        let n = classes.len();
        // Classes per namespace (indices into `cluster.namespaces`), so that selectors only
        // look at the namespaces they can match.
        let mut classes_by_ns: Vec<Vec<usize>> = vec![Vec::new(); cluster.namespaces.len()];
        for (c, class) in classes.iter().enumerate() {
            if let Some(i) = ns_index(cluster, &class.namespace) {
                classes_by_ns[i].push(c);
            }
        }
        let mut engine = Engine {
            cluster,
            classes,
            workload_class,
            class_ports,
            port_lists,
            classes_by_ns,
            rules: Vec::new(),
            policies: Vec::with_capacity(cluster.policies.len()),
            ingress_isolating: vec![0; n],
            egress_isolating: vec![0; n],
            ingress_of: vec![None; n],
            egress_of: vec![None; n],
            ingress_tiered: vec![Vec::new(); n],
            egress_tiered: vec![Vec::new(); n],
            ingress_open: BitSet::new(n),
            ingress_from: Vec::new(),
            v6: false,
            table: ConnTable::new(),
            pairs: Vec::new(),
            evaluated: false,
            to_external: vec![Vec::new(); n],
            from_external: vec![Vec::new(); n],
        };
        let mut caches = SelectorCaches::default();
        for (i, policy) in cluster.policies.iter().enumerate() {
            let prepared = engine.prepare_policy(i, policy, &mut caches);
            engine.policies.push(prepared);
        }
        for p in 0..engine.policies.len() {
            engine.attach(p);
        }
        engine.v6 = engine.mentions_v6();
        for s in 0..n {
            engine.to_external[s] = engine.external_runs(s, Side::Egress);
            engine.from_external[s] = engine.external_runs(s, Side::Ingress);
        }
        engine
    }

    /// The engine for `cluster`, which must equal this engine's cluster except for the
    /// policy at `policy` (edited, in place). Only the classes that policy selects, before
    /// or after the edit, are re-evaluated: their rows for egress and their columns for
    /// ingress. Falls back to a full evaluation when the input differs in anything else
    /// this can see (workloads, namespaces, number of policies, IPv6 taking part).
    pub fn update_policy<'n>(self, cluster: &'n Cluster, policy: usize) -> Engine<'n> {
        let same_shape = cluster.policies.len() == self.policies.len()
            && policy < cluster.policies.len()
            && cluster.namespaces == self.cluster.namespaces
            && cluster.workloads == self.cluster.workloads;
        if !same_shape || !self.evaluated {
            return Engine::new(cluster);
        }
        let Engine {
            cluster: _,
            classes,
            workload_class,
            class_ports,
            port_lists,
            classes_by_ns,
            rules,
            policies,
            ingress_isolating,
            egress_isolating,
            ingress_of,
            egress_of,
            ingress_tiered,
            egress_tiered,
            ingress_open,
            ingress_from,
            v6,
            table,
            pairs,
            evaluated,
            to_external,
            from_external,
        } = self;
        let mut engine = Engine {
            cluster,
            classes,
            workload_class,
            class_ports,
            port_lists,
            classes_by_ns,
            rules,
            policies,
            ingress_isolating,
            egress_isolating,
            ingress_of,
            egress_of,
            ingress_tiered,
            egress_tiered,
            ingress_open,
            ingress_from,
            v6,
            table,
            pairs,
            evaluated,
            to_external,
            from_external,
        };
        let old = engine.policies[policy].clone();
        engine.detach(policy);
        let new = engine.prepare_policy(policy, &cluster.policies[policy], &mut SelectorCaches::default());
        engine.policies[policy] = new.clone();
        engine.attach(policy);
        if engine.mentions_v6() != engine.v6 {
            return Engine::new(cluster);
        }
        // Rules of the old version stay in `rules` but nothing refers to them any more.
        let n = engine.classes.len();
        let mut sources = BitSet::new(n);
        let mut destinations = BitSet::new(n);
        for p in [&old, &new] {
            for &c in &p.selected {
                if p.egress.is_some() {
                    sources.insert(c);
                }
                if p.ingress.is_some() {
                    destinations.insert(c);
                }
            }
        }
        for s in sources.iter() {
            engine.to_external[s] = engine.external_runs(s, Side::Egress);
        }
        for d in destinations.iter() {
            for row in &mut engine.ingress_from {
                row.remove(d);
            }
            engine.set_ingress_column(d);
            engine.from_external[d] = engine.external_runs(d, Side::Ingress);
        }
        for s in 0..n {
            if sources.contains(s) {
                engine.pairs[s] = engine.row(s);
            } else if !destinations.is_empty() {
                let mut row = std::mem::take(&mut engine.pairs[s]);
                row.retain(|&(d, _)| !destinations.contains(d as usize));
                for d in destinations.iter() {
                    let conn = engine.pair(s, d);
                    if conn != NONE {
                        row.push((d as u32, conn));
                    }
                }
                row.sort_unstable_by_key(|&(d, _)| d);
                engine.pairs[s] = row;
            }
        }
        engine
    }

    /// Whether an ipBlock of a current policy is IPv6.
    fn mentions_v6(&self) -> bool {
        self.policies
            .iter()
            .flat_map(|p| p.ingress.iter().chain(&p.egress).cloned().flatten())
            .any(|r| self.rules[r].has_ip_block && !self.rules[r].addrs.v6.is_empty())
    }

    fn prepare_policy(&mut self, index: usize, policy: &Policy, caches: &mut SelectorCaches) -> PolicyRules {
        // The subject: the policy's own namespace, or the namespaces its namespace
        // selector picks (cluster-wide kinds).
        let namespaces: Vec<usize> = match &policy.namespace_selector {
            None => ns_index(self.cluster, &policy.namespace).into_iter().collect(),
            Some(sel) => (0..self.cluster.namespaces.len())
                .filter(|&i| sel.matches(&self.cluster.namespaces[i].labels))
                .collect(),
        };
        let mut selected: Vec<usize> = namespaces
            .iter()
            .flat_map(|&i| self.classes_by_ns[i].iter().copied())
            .filter(|&c| policy.pod_selector.matches(&self.classes[c].labels))
            .collect();
        selected.sort_unstable();
        let mut out = PolicyRules {
            first_match: policy.tier.walk() == TierWalk::FirstMatch,
            selected,
            ..PolicyRules::default()
        };
        for (ingress, dir_rules) in [(true, &policy.ingress), (false, &policy.egress)] {
            let Some(dir_rules) = dir_rules else { continue };
            let first = self.rules.len();
            for rule in dir_rules {
                let mut prepared = self.prepare_rule(rule, &policy.namespace, ingress, &out.selected, caches);
                prepared.order = (policy.tier, policy.priority, index, rule.index);
                self.rules.push(prepared);
            }
            let range = Some(first..self.rules.len());
            if ingress {
                out.ingress = range;
            } else {
                out.egress = range;
            }
        }
        out
    }

    /// Adds a policy's rules to the classes it selects.
    fn attach(&mut self, p: usize) {
        let policy = &self.policies[p];
        if policy.first_match {
            for &c in &policy.selected {
                for (range, tiered) in [
                    (&policy.ingress, &mut self.ingress_tiered),
                    (&policy.egress, &mut self.egress_tiered),
                ] {
                    let Some(range) = range else { continue };
                    tiered[c].extend(range.clone());
                    let rules = &self.rules;
                    tiered[c].sort_unstable_by_key(|&r| rules[r].order);
                }
            }
            return;
        }
        for &c in &policy.selected {
            if let Some(r) = &policy.ingress {
                self.ingress_isolating[c] += 1;
                self.ingress_of[c].get_or_insert_with(Vec::new).extend(r.clone());
            }
            if let Some(r) = &policy.egress {
                self.egress_isolating[c] += 1;
                self.egress_of[c].get_or_insert_with(Vec::new).extend(r.clone());
            }
        }
    }

    /// Takes a policy's rules away from the classes it selects.
    fn detach(&mut self, p: usize) {
        let policy = &self.policies[p];
        if policy.first_match {
            for &c in &policy.selected {
                for (range, tiered) in [
                    (&policy.ingress, &mut self.ingress_tiered),
                    (&policy.egress, &mut self.egress_tiered),
                ] {
                    if let Some(range) = range {
                        tiered[c].retain(|r| !range.contains(r));
                    }
                }
            }
            return;
        }
        for &c in &policy.selected {
            for (range, isolating, of) in [
                (&policy.ingress, &mut self.ingress_isolating, &mut self.ingress_of),
                (&policy.egress, &mut self.egress_isolating, &mut self.egress_of),
            ] {
                let Some(range) = range else { continue };
                isolating[c] -= 1;
                if isolating[c] == 0 {
                    of[c] = None;
                } else if let Some(rules) = &mut of[c] {
                    rules.retain(|r| !range.contains(r));
                }
            }
        }
    }

    fn compute_egress_reach(&self, s: usize) -> BitSet {
        let n = self.classes.len();
        // A first-match Allow can reach beyond the isolation tier's peers.
        if !self.egress_tiered[s].is_empty() {
            return BitSet::full(n);
        }
        match &self.egress_of[s] {
            None => BitSet::full(n),
            Some(rules) => {
                let mut reach = BitSet::new(n);
                for &r in rules {
                    reach.union_with(&self.rules[r].classes);
                }
                reach
            }
        }
    }

    /// Records in `ingress_open` / `ingress_from` which sources destination `d` admits at all.
    fn set_ingress_column(&mut self, d: usize) {
        if !self.ingress_tiered[d].is_empty() {
            self.ingress_open.insert(d);
            return;
        }
        match &self.ingress_of[d] {
            None => self.ingress_open.insert(d),
            Some(rules) => {
                self.ingress_open.remove(d);
                let mut reach = BitSet::new(self.classes.len());
                for &r in rules {
                    reach.union_with(&self.rules[r].classes);
                }
                for s in reach.iter() {
                    self.ingress_from[s].insert(d);
                }
            }
        }
    }

    /// The allowed destinations of class `s`, sorted.
    fn row(&mut self, s: usize) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let reach = self.compute_egress_reach(s);
        // Without the ingress index every reachable class is a candidate; `pair` then
        // rejects those whose ingress does not name `s`.
        let candidates: Vec<usize> = match self.ingress_from.get(s) {
            Some(admitted) => reach.iter_and_or(&self.ingress_open, admitted).collect(),
            None => reach.iter().collect(),
        };
        for d in candidates {
            let conn = self.pair(s, d);
            if conn != NONE {
                out.push((d as u32, conn));
            }
        }
        out
    }

    /// The interned connection from class `s` to class `d`.
    fn pair(&mut self, s: usize, d: usize) -> u32 {
        let ports = self.class_ports[d];
        let rules = &self.rules;
        let ops = &mut Interned(&mut self.table);
        let egress = side(
            ops,
            rules,
            &self.egress_tiered[s],
            self.egress_of[s].as_ref(),
            |_, r| r.classes.contains(d).then(|| r.conn_to(ports)),
        );
        if egress == NONE {
            return NONE;
        }
        let ingress = side(
            ops,
            rules,
            &self.ingress_tiered[d],
            self.ingress_of[d].as_ref(),
            |_, r| r.classes.contains(s).then(|| r.conn_to(ports)),
        );
        ops.intersect(&egress, &ingress)
    }

    /// Maximal ranges of external addresses with the same non-empty connection, from
    /// (egress) or to (ingress) class `c`.
    fn external_runs(&mut self, c: usize, dir: Side) -> Vec<(AddrRange, u32)> {
        let (of, tiered) = match dir {
            Side::Egress => (&self.egress_of[c], &self.egress_tiered[c]),
            Side::Ingress => (&self.ingress_of[c], &self.ingress_tiered[c]),
        };
        // Only rules that name addresses can match one.
        let names_addrs = |&r: &usize| !self.rules[r].addrs.v4.is_empty() || !self.rules[r].addrs.v6.is_empty();
        let isolation: Option<Vec<usize>> = of
            .as_ref()
            .map(|rules| rules.iter().copied().filter(names_addrs).collect());
        let tiered: Vec<usize> = tiered.iter().copied().filter(names_addrs).collect();
        match &isolation {
            None if tiered.is_empty() => {
                let mut all = vec![(AddrRange::ALL_V4, ALL)];
                if self.v6 {
                    all.push((AddrRange::ALL_V6, ALL));
                }
                return all;
            }
            Some(rules) if rules.is_empty() && tiered.is_empty() => return Vec::new(),
            _ => {}
        }
        let ports = self.class_ports[c];
        let conn_of = |r: &PreparedRule| match dir {
            Side::Egress => r.external_conn,
            Side::Ingress => r.conn_to(ports),
        };
        let mut v4 = vec![0u32];
        let mut v6 = vec![0u128];
        for &r in isolation.iter().flatten().chain(&tiered) {
            v4.extend(self.rules[r].addrs.v4.boundaries());
            v6.extend(self.rules[r].addrs.v6.boundaries());
        }
        v4.sort_unstable();
        v4.dedup();
        v6.sort_unstable();
        v6.dedup();
        let mut segments: Vec<AddrRange> = v4
            .iter()
            .enumerate()
            .map(|(i, &lo)| AddrRange::V4(lo, v4.get(i + 1).map_or(u32::MAX, |&next| next - 1)))
            .collect();
        if self.v6 {
            segments.extend(
                v6.iter()
                    .enumerate()
                    .map(|(i, &lo)| AddrRange::V6(lo, v6.get(i + 1).map_or(u128::MAX, |&next| next - 1))),
            );
        }
        let mut out: Vec<(AddrRange, u32)> = Vec::new();
        let rules = &self.rules;
        let ops = &mut Interned(&mut self.table);
        for seg in segments {
            let conn = side(ops, rules, &tiered, isolation.as_ref(), |_, r| {
                r.addrs.contains_range(&seg).then(|| conn_of(r))
            });
            if conn == NONE {
                continue;
            }
            if let Some((last, last_conn)) = out.last_mut() {
                let merged = match (*last, seg) {
                    (AddrRange::V4(lo, hi), AddrRange::V4(slo, shi)) if hi.checked_add(1) == Some(slo) => {
                        Some(AddrRange::V4(lo, shi))
                    }
                    (AddrRange::V6(lo, hi), AddrRange::V6(slo, shi)) if hi.checked_add(1) == Some(slo) => {
                        Some(AddrRange::V6(lo, shi))
                    }
                    _ => None,
                };
                if let Some(m) = merged.filter(|_| *last_conn == conn) {
                    *last = m;
                    continue;
                }
            }
            out.push((seg, conn));
        }
        out
    }

    pub fn cluster(&self) -> &'c Cluster {
        self.cluster
    }

    /// The class of a workload.
    pub fn class_of(&self, workload: usize) -> usize {
        self.workload_class[workload]
    }

    /// Connections allowed from pods of class `s` to pods of class `d`.
    pub fn class_conn(&self, s: usize, d: usize) -> ConnSet {
        if !self.evaluated {
            return self.pair_uninterned(s, d);
        }
        let Some(row) = self.pairs.get(s) else {
            return ConnSet::none();
        };
        match row.binary_search_by_key(&(d as u32), |&(d, _)| d) {
            Ok(i) => self.table.get(row[i].1).clone(),
            Err(_) => ConnSet::none(),
        }
    }

    /// [`Engine::pair`] for an engine that has not evaluated its pairs and is not mutable
    /// here: the same rules, without interning.
    fn pair_uninterned(&self, s: usize, d: usize) -> ConnSet {
        if s >= self.classes.len() || d >= self.classes.len() {
            return ConnSet::none();
        }
        let ports = self.class_ports[d];
        let conn = |peer: usize| {
            move |_: &mut Plain, r: &PreparedRule| {
                r.classes
                    .contains(peer)
                    .then(|| self.table.get(r.conn_to(ports)).clone())
            }
        };
        let egress = side(
            &mut Plain,
            &self.rules,
            &self.egress_tiered[s],
            self.egress_of[s].as_ref(),
            conn(d),
        );
        let ingress = side(
            &mut Plain,
            &self.rules,
            &self.ingress_tiered[d],
            self.ingress_of[d].as_ref(),
            conn(s),
        );
        egress.intersect(&ingress)
    }

    /// The allowed destinations of class `s`, sorted by class, each with its connection
    /// ([`Engine::conn`]): the row [`Engine::new`] stored, or computed now.
    pub fn class_row(&mut self, s: usize) -> Vec<(u32, ConnId)> {
        if self.evaluated {
            return self.pairs.get(s).cloned().unwrap_or_default();
        }
        if s >= self.classes.len() {
            return Vec::new();
        }
        self.row(s)
    }

    /// The sources allowed to reach class `d`, sorted by class, each with its connection.
    /// Visits every class once: what a connection list focused on `d` needs, without the
    /// rest of the square.
    pub fn class_column(&mut self, d: usize) -> Vec<(u32, ConnId)> {
        if d >= self.classes.len() {
            return Vec::new();
        }
        (0..self.classes.len())
            .filter_map(|s| {
                let conn = if self.evaluated {
                    let row = &self.pairs[s];
                    row.binary_search_by_key(&(d as u32), |&(d, _)| d)
                        .map_or(NONE, |i| row[i].1)
                } else {
                    self.pair(s, d)
                };
                (conn != NONE).then_some((s as u32, conn))
            })
            .collect()
    }

    /// External ranges class `c` may reach, maximal, each with its connection.
    pub fn external_to(&self, c: usize) -> &[(AddrRange, ConnId)] {
        self.to_external.get(c).map_or(&[], Vec::as_slice)
    }

    /// External ranges that may reach class `c`, maximal, each with its connection.
    pub fn external_from(&self, c: usize) -> &[(AddrRange, ConnId)] {
        self.from_external.get(c).map_or(&[], Vec::as_slice)
    }

    /// The connection set behind an id of [`Engine::class_row`] and friends.
    pub fn conn(&self, id: ConnId) -> &ConnSet {
        self.table
            .sets
            .get(id as usize)
            .unwrap_or(&self.table.sets[NONE as usize])
    }

    /// The id of a connection set (interned: equal sets get equal ids).
    pub fn conn_id(&mut self, conn: ConnSet) -> ConnId {
        self.table.intern(conn)
    }

    /// One side of class `c` towards address `ip`: the walk over the rules that cover it.
    fn conn_with_ip(&self, c: usize, dir: Side, ip: IpAddr, conn_of: impl Fn(&PreparedRule) -> u32) -> ConnSet {
        let (of, tiered) = match dir {
            Side::Egress => (&self.egress_of[c], &self.egress_tiered[c]),
            Side::Ingress => (&self.ingress_of[c], &self.ingress_tiered[c]),
        };
        let range = match ip {
            IpAddr::V4(a) => AddrRange::V4(u32::from(a), u32::from(a)),
            IpAddr::V6(a) => AddrRange::V6(u128::from(a), u128::from(a)),
        };
        side(&mut Plain, &self.rules, tiered, of.as_ref(), |_, r| {
            r.addrs
                .contains_range(&range)
                .then(|| self.table.get(conn_of(r)).clone())
        })
    }

    /// Connections from a workload to one external address.
    pub fn conn_to_ip(&self, workload: usize, ip: IpAddr) -> ConnSet {
        let c = self.class_of(workload);
        self.conn_with_ip(c, Side::Egress, ip, |r| r.external_conn)
    }

    /// Connections from one external address to a workload.
    pub fn conn_from_ip(&self, ip: IpAddr, workload: usize) -> ConnSet {
        let c = self.class_of(workload);
        let ports = self.class_ports[c];
        self.conn_with_ip(c, Side::Ingress, ip, |r| r.conn_to(ports))
    }

    /// Number of workload-level connections [`Engine::connections`] returns, without
    /// building them.
    pub fn connection_count(&self) -> usize {
        let mut count = 0;
        for (s, row) in self.pairs.iter().enumerate() {
            let ns = self.classes[s].members.len();
            for &(d, _) in row {
                let nd = self.classes[d as usize].members.len();
                // Pods of one class never connect to themselves.
                count += if d as usize == s { ns * nd - ns } else { ns * nd };
            }
            count += ns * (self.to_external[s].len() + self.from_external[s].len());
        }
        count
    }

    /// Every allowed connection: workload pairs (no self-connections), workloads to
    /// external ranges and external ranges to workloads. Unordered.
    pub fn connections(&self) -> Vec<Connection> {
        let mut out = Vec::with_capacity(self.connection_count());
        for (s, row) in self.pairs.iter().enumerate() {
            for &(d, conn) in row {
                let conn = self.table.get(conn);
                for &ws in &self.classes[s].members {
                    for &wd in &self.classes[d as usize].members {
                        if ws != wd {
                            out.push(Connection {
                                src: Endpoint::Workload(ws),
                                dst: Endpoint::Workload(wd),
                                conn: conn.clone(),
                            });
                        }
                    }
                }
            }
        }
        for c in 0..self.classes.len() {
            for &(range, conn) in &self.to_external[c] {
                for &w in &self.classes[c].members {
                    out.push(Connection {
                        src: Endpoint::Workload(w),
                        dst: Endpoint::External(range),
                        conn: self.table.get(conn).clone(),
                    });
                }
            }
            for &(range, conn) in &self.from_external[c] {
                for &w in &self.classes[c].members {
                    out.push(Connection {
                        src: Endpoint::External(range),
                        dst: Endpoint::Workload(w),
                        conn: self.table.get(conn).clone(),
                    });
                }
            }
        }
        out
    }

    /// Every allowed connection as a printed line, unsorted. Each workload's name and
    /// each distinct connection set are formatted once, however many lines use them.
    pub fn lines(&self) -> Vec<ConnLine> {
        let names: Vec<String> = self.cluster.workloads.iter().map(|w| w.endpoint_name()).collect();
        let mut texts: Vec<Option<String>> = vec![None; self.table.sets.len()];
        let mut text = |id: u32| -> String {
            texts[id as usize]
                .get_or_insert_with(|| self.table.get(id).to_string())
                .clone()
        };
        let mut out = Vec::with_capacity(self.connection_count());
        for (s, row) in self.pairs.iter().enumerate() {
            for &(d, conn) in row {
                for &ws in &self.classes[s].members {
                    for &wd in &self.classes[d as usize].members {
                        if ws != wd {
                            out.push(ConnLine {
                                src: names[ws].clone(),
                                dst: names[wd].clone(),
                                conn: text(conn),
                            });
                        }
                    }
                }
            }
        }
        for c in 0..self.classes.len() {
            for (external, to) in [(&self.to_external[c], true), (&self.from_external[c], false)] {
                for &(range, conn) in external {
                    let range = range.to_string();
                    for &w in &self.classes[c].members {
                        let (src, dst) = if to {
                            (names[w].clone(), range.clone())
                        } else {
                            (range.clone(), names[w].clone())
                        };
                        out.push(ConnLine {
                            src,
                            dst,
                            conn: text(conn),
                        });
                    }
                }
            }
        }
        out
    }

    /// Connections into a workload from a pod the input does not describe, in a namespace
    /// it does not describe either (an ingress controller): only rules that admit every
    /// source, or every pod of every namespace, can let it in.
    pub fn conn_from_unknown_pod(&self, workload: usize) -> ConnSet {
        let d = self.class_of(workload);
        let ports = self.class_ports[d];
        side(
            &mut Plain,
            &self.rules,
            &self.ingress_tiered[d],
            self.ingress_of[d].as_ref(),
            |_, r| r.admits_anyone.then(|| self.table.get(r.conn_to(ports)).clone()),
        )
    }

    /// The allowed connection between two workloads.
    pub fn workload_conn(&self, src: usize, dst: usize) -> ConnSet {
        self.class_conn(self.class_of(src), self.class_of(dst))
    }

    fn prepare_rule(
        &mut self,
        rule: &Rule,
        policy_ns: &str,
        ingress: bool,
        selected: &[usize],
        caches: &mut SelectorCaches,
    ) -> PreparedRule {
        let n = self.classes.len();
        let admits_anyone = match &rule.peers {
            None => true,
            Some(peers) => peers.iter().any(|p| {
                matches!(&p.kind, PeerKind::Pods { pods, namespaces: Some(ns) }
                    if ns.is_empty() && pods.as_ref().is_none_or(|s| s.is_empty()))
            }),
        };
        let (classes, addrs, has_ip_block) = match &rule.peers {
            None => (BitSet::full(n), AddrSet::all(), false),
            Some(peers) => {
                let mut set = BitSet::new(n);
                let mut addrs = AddrSet::default();
                let mut has_ip_block = false;
                for peer in peers {
                    match &peer.kind {
                        PeerKind::IpBlock { cidr, except } => {
                            has_ip_block = true;
                            let mut block = AddrSet::from_net(cidr);
                            for e in except {
                                block = block.difference(&AddrSet::from_net(e));
                            }
                            addrs.union_with(&block);
                        }
                        // Neither is an endpoint the model holds (see `PeerKind`).
                        PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } => {}
                        PeerKind::Pods { pods, namespaces } => {
                            // Real clusters repeat peers (DNS, "from namespace X"), so each
                            // distinct peer is evaluated once and its bitset reused.
                            let key = match namespaces {
                                None => format!("own {policy_ns} {pods:?}"),
                                Some(sel) => format!("ns {sel:?} {pods:?}"),
                            };
                            if let Some(classes) = caches.peers.get(&key) {
                                set.union_with(classes);
                                continue;
                            }
                            let mut peer_set = BitSet::new(n);
                            // The namespaces the peer covers; each distinct namespace
                            // selector is evaluated once.
                            let own: Vec<usize>;
                            let in_namespaces: &[usize] = match namespaces {
                                None => {
                                    own = ns_index(self.cluster, policy_ns).into_iter().collect();
                                    &own
                                }
                                Some(sel) => caches.namespaces.entry(format!("{sel:?}")).or_insert_with(|| {
                                    self.cluster
                                        .namespaces
                                        .iter()
                                        .enumerate()
                                        .filter(|(_, ns)| sel.matches(&ns.labels))
                                        .map(|(i, _)| i)
                                        .collect()
                                }),
                            };
                            for &ns in in_namespaces {
                                for &c in &self.classes_by_ns[ns] {
                                    if pods.as_ref().is_none_or(|sel| sel.matches(&self.classes[c].labels)) {
                                        peer_set.insert(c);
                                    }
                                }
                            }
                            set.union_with(&peer_set);
                            caches.peers.insert(key, peer_set);
                        }
                    }
                }
                (set, addrs, has_ip_block)
            }
        };
        let external_conn = self.table.intern(rule.conn_for(None));
        let conn = if rule.has_named_ports() {
            // Named ports resolve against the destination's port list: the selected
            // classes for ingress, the peers for egress.
            let mut lists: Vec<u32> = if ingress {
                selected.iter().map(|&c| self.class_ports[c]).collect()
            } else {
                classes.iter().map(|c| self.class_ports[c]).collect()
            };
            lists.sort_unstable();
            lists.dedup();
            RuleConn::Named(
                lists
                    .into_iter()
                    .map(|p| {
                        let conn = rule.conn_for(Some(&self.port_lists[p as usize]));
                        (p, self.table.intern(conn))
                    })
                    .collect(),
            )
        } else {
            RuleConn::Fixed(external_conn)
        };
        PreparedRule {
            classes,
            addrs,
            has_ip_block,
            conn,
            external_conn,
            admits_anyone,
            action: rule.action,
            order: (Tier::NetworkPolicy, 0, 0, rule.index),
        }
    }
}

/// Selector results while preparing rules, keyed by the selectors' debug text.
#[derive(Default)]
struct SelectorCaches {
    /// Namespace selector → matching namespaces.
    namespaces: FxMap<String, Vec<usize>>,
    /// Pod peer (namespaces and pods) → matching classes.
    peers: FxMap<String, BitSet>,
}

#[derive(Clone, Copy)]
enum Side {
    Egress,
    Ingress,
}

fn ns_index(cluster: &Cluster, name: &str) -> Option<usize> {
    cluster
        .namespaces
        .binary_search_by(|ns| ns.name.as_str().cmp(name))
        .ok()
}
