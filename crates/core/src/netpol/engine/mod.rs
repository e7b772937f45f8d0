//! The fast engine: whole connection sets for a cluster.
//!
//! Pods with the same namespace, labels, container ports and service account are
//! indistinguishable to every policy, so they form one *class*; selectors are evaluated once per class and a
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
mod answers;
mod external;
mod kept;
mod prepare;
mod sets;

pub use kept::KeptEngine;
pub use sets::{ConnId, Overlay};
use sets::{ConnTable, Interned, SelectorCaches, SetStore, ALL, NONE};

use crate::policy::walk::{walk_tiers, ConnOps};
use crate::policy::{Action, Tier};
use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;

/// One side of a connection (a class's egress or ingress): the tier walk over the
/// first-match rules `tiered` (in evaluation order) and the isolation rules `isolation`
/// (`None`: no isolating policy selects the class). `conn` gives what a rule matches for
/// the peer (`None`: its peers do not match). Without first-match rules this is the
/// plain NetworkPolicy answer: the union of the isolation rules, or everything.
fn side<O: ConnOps>(
    ops: &mut O,
    rules: &[PreparedRule],
    (tiered, closing): (&[usize], &[Tier]),
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
    if tiered.is_empty() && closing.is_empty() {
        return allows.unwrap_or_else(|| ops.all());
    }
    walk_tiers(
        ops,
        tiered.len(),
        |i| (rules[tiered[i]].order.0, rules[tiered[i]].action),
        allows.as_ref(),
        closing,
        |ops, i| conn(ops, &rules[tiered[i]]),
        |_, _| {},
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
    /// Whether a peer names an IPv6 range (the IPv6 space then takes part).
    names_v6: bool,
    /// Connections to a destination pod, by its port list.
    conn: RuleConn,
    /// Connections to an external address (no container ports to resolve names against).
    external_conn: u32,
    /// Whether a pod of a namespace the input does not describe matches the peers.
    admits_anyone: bool,
    /// What the rule does when it matches (always Allow in the isolation tier).
    action: Action,
    /// Evaluation order in a first-match tier: tier, policy priority, the policy's kind,
    /// namespace and name (see `Policy::order_key`), policy index, rule index.
    order: (Tier, i32, (&'static str, String, String), usize, usize),
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

/// What makes pods indistinguishable: namespace, labels, container ports and service
/// account (invariant 7 of architecture.md); for host-network pods, which policies see
/// as their node, the node's address.
type ClassKey<'a> = (
    &'a str,
    &'a Labels,
    &'a [ContainerPort],
    Option<&'a str>,
    Option<Option<IpAddr>>,
);

/// Pods that no policy can tell apart.
pub struct Class {
    pub namespace: String,
    pub labels: Labels,
    /// The pods' service account (Calico selects by it).
    pub service_account: Option<String>,
    pub ports: Vec<ContainerPort>,
    /// Indices into `Cluster::workloads`.
    pub members: Vec<usize>,
    /// For host-network pods, one of them: policies see the class as its node (no
    /// selector matches it, address peers do by the node's address).
    pub host: Option<usize>,
    /// The namespace's index in `Cluster::namespaces` (found once: Calico's selectors
    /// read its labels for every rule).
    namespace_index: Option<usize>,
}

/// What one policy contributes: the classes it selects and its rules per direction.
#[derive(Clone, Default)]
struct PolicyRules {
    /// Whether the policy's tier is first-match (else isolation).
    first_match: bool,
    /// The policy's tier, when its end denies (a Calico tier): the classes it selects
    /// then close it per direction even without rules.
    closing: Option<Tier>,
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
    /// The classes of host-network pods (`Class::host`).
    host_classes: Vec<usize>,
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
    /// Per class: the tiers that deny at their end because a policy of theirs selects it
    /// (with repeats, one per policy).
    ingress_closing: Vec<Vec<Tier>>,
    egress_closing: Vec<Vec<Tier>>,
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
    ///
    /// Natively, destinations are taken 64 at a time: their reaches are 64 rows of a bit
    /// matrix, transposed 64 × 64 bits at once ([`crate::bitset::transpose64`]) into one
    /// word of each source's set, instead of one scattered bit per (source, destination)
    /// pair. The wasm build keeps the plain loop: the download budget has no room for it.
    pub(crate) fn index_ingress(&mut self) {
        let n = self.classes.len();
        self.ingress_from = vec![BitSet::new(n); n];
        if cfg!(target_arch = "wasm32") {
            for d in 0..n {
                self.set_ingress_column(d);
            }
            return;
        }
        for block in 0..n.div_ceil(64) {
            let reaches: Vec<Option<BitSet>> = (block * 64..n.min(block * 64 + 64))
                .map(|d| {
                    let reach = self.side_reach(
                        &self.ingress_tiered[d],
                        &self.ingress_closing[d],
                        self.ingress_of[d].as_ref(),
                    );
                    match reach {
                        None => self.ingress_open.insert(d),
                        Some(_) => self.ingress_open.remove(d),
                    }
                    reach
                })
                .collect();
            for w in 0..n.div_ceil(64) {
                let mut m = [0u64; 64];
                for (k, reach) in reaches.iter().enumerate() {
                    m[k] = reach.as_ref().map_or(0, |r| r.word(w));
                }
                if m.iter().all(|&x| x == 0) {
                    continue;
                }
                crate::bitset::transpose64(&mut m);
                for (j, &bits) in m.iter().enumerate() {
                    if bits != 0 {
                        if let Some(row) = self.ingress_from.get_mut(w * 64 + j) {
                            row.insert_word(block, bits);
                        }
                    }
                }
            }
        }
    }

    /// Classes, prepared rules and external ranges, without evaluating any class pair:
    /// rows and columns are then computed on demand ([`Engine::class_row`],
    /// [`Engine::class_column`]), which is what the streamed connection list uses
    /// (`crate::connlist`). Answers of [`Engine::connections`], [`Engine::lines`] and
    /// [`Engine::connection_count`] need [`Engine::new`].
    pub(crate) fn prepare(cluster: &'c Cluster) -> Self {
        // Sized for every workload its own class (nearly so in real clusters): growing it
        // rehashed every key, label maps included.
        let mut class_index: HashMap<ClassKey, usize> = HashMap::with_capacity(cluster.workloads.len());
        let mut port_index: HashMap<&[ContainerPort], u32> = HashMap::new();
        let mut port_lists: Vec<Vec<ContainerPort>> = Vec::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut class_ports = Vec::new();
        let mut workload_class = Vec::with_capacity(cluster.workloads.len());
        for (i, w) in cluster.workloads.iter().enumerate() {
            let key = (
                w.namespace.as_str(),
                &w.labels,
                w.ports.as_slice(),
                w.service_account.as_deref(),
                w.host_network.then_some(w.node_address),
            );
            let c = *class_index.entry(key).or_insert_with(|| {
                classes.push(Class {
                    namespace: w.namespace.clone(),
                    labels: w.labels.clone(),
                    service_account: w.service_account.clone(),
                    ports: w.ports.clone(),
                    members: Vec::new(),
                    host: w.host_network.then_some(i),
                    namespace_index: ns_index(cluster, &w.namespace),
                });
                // A named port never resolves on a node (a rule reaches it by address
                // only): a host-network class has no port list.
                let ports: &[ContainerPort] = if w.host_network { &[] } else { &w.ports };
                let p = *port_index.entry(ports).or_insert_with(|| {
                    port_lists.push(ports.to_vec());
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
            if let Some(i) = class.namespace_index {
                classes_by_ns[i].push(c);
            }
        }
        let host_classes = (0..n).filter(|&c| classes[c].host.is_some()).collect();
        let mut engine = Engine {
            cluster,
            classes,
            workload_class,
            class_ports,
            port_lists,
            classes_by_ns,
            host_classes,
            rules: Vec::new(),
            policies: Vec::with_capacity(cluster.policies.len()),
            ingress_isolating: vec![0; n],
            egress_isolating: vec![0; n],
            ingress_of: vec![None; n],
            egress_of: vec![None; n],
            ingress_tiered: vec![Vec::new(); n],
            egress_tiered: vec![Vec::new(); n],
            ingress_closing: vec![Vec::new(); n],
            egress_closing: vec![Vec::new(); n],
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

    /// The same engine pointing at another cluster (equal to its own but for what the
    /// caller then updates).
    fn with_cluster<'n>(self, cluster: &'n Cluster) -> Engine<'n> {
        let Engine {
            cluster: _,
            classes,
            workload_class,
            class_ports,
            port_lists,
            classes_by_ns,
            host_classes,
            rules,
            policies,
            ingress_isolating,
            egress_isolating,
            ingress_of,
            egress_of,
            ingress_tiered,
            egress_tiered,
            ingress_closing,
            egress_closing,
            ingress_open,
            ingress_from,
            v6,
            table,
            pairs,
            evaluated,
            to_external,
            from_external,
        } = self;
        Engine {
            cluster,
            classes,
            workload_class,
            class_ports,
            port_lists,
            classes_by_ns,
            host_classes,
            rules,
            policies,
            ingress_isolating,
            egress_isolating,
            ingress_of,
            egress_of,
            ingress_tiered,
            egress_tiered,
            ingress_closing,
            egress_closing,
            ingress_open,
            ingress_from,
            v6,
            table,
            pairs,
            evaluated,
            to_external,
            from_external,
        }
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
        let mut engine = self.with_cluster(cluster);
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
                crate::sorting::sort_unstable_by_key(&mut row, |&(d, _)| d);
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
            .any(|r| self.rules[r].names_v6)
    }

    fn compute_egress_reach(&self, s: usize) -> BitSet {
        self.side_reach(
            &self.egress_tiered[s],
            &self.egress_closing[s],
            self.egress_of[s].as_ref(),
        )
        .unwrap_or_else(|| BitSet::full(self.classes.len()))
    }

    /// The classes one side (a class's egress or ingress) can admit at all, a superset
    /// (`None`: every class). Only an Allow rule, or the end of the walk, admits: what
    /// falls through a tier that denies at its end (a Calico tier selecting the class) is
    /// only what a Pass rule took, and what falls through the isolation tier is what its
    /// rules name; nothing falls through a last tier that denies everything its rules did
    /// not take. So the reach is the Allow rules' classes, plus the isolation rules'
    /// classes, or the Pass rules' classes when a tier closes, or nothing more when the
    /// last tier is sealed, or everything. Without it a
    /// Calico default deny (every class selected by some tier) made every pair a candidate.
    fn side_reach(&self, tiered: &[usize], closing: &[Tier], isolation: Option<&Vec<usize>>) -> Option<BitSet> {
        let n = self.classes.len();
        let union_of = |rules: &mut dyn Iterator<Item = &usize>| {
            let mut reach = BitSet::new(n);
            for &r in rules {
                reach.union_with(&self.rules[r].classes);
            }
            reach
        };
        let by_action = |action: Action| union_of(&mut tiered.iter().filter(|&&r| self.rules[r].action == action));
        let mut reach = match (isolation, closing.is_empty()) {
            (Some(rules), _) => union_of(&mut rules.iter()),
            (None, false) => by_action(Action::Pass),
            // A last tier that ends in a Deny of everything (a baseline default deny)
            // leaves nothing to the default allow.
            (None, true) if self.sealed(tiered) => BitSet::new(n),
            (None, true) => return None,
        };
        reach.union_with(&by_action(Action::Allow));
        Some(reach)
    }

    /// Whether the last tier of these first-match rules (in evaluation order) denies
    /// everything its earlier rules did not take: a Deny of all connections from every
    /// class, with no Pass before it in the tier (a baseline default deny).
    fn sealed(&self, tiered: &[usize]) -> bool {
        let Some(&last) = tiered.last() else { return false };
        let tier = self.rules[last].order.0;
        for &r in tiered.iter().filter(|&&r| self.rules[r].order.0 == tier) {
            let rule = &self.rules[r];
            match rule.action {
                Action::Pass => return false,
                Action::Deny
                    if matches!(rule.conn, RuleConn::Fixed(ALL))
                        && rule.classes.iter().count() == self.classes.len() =>
                {
                    return true;
                }
                _ => {}
            }
        }
        false
    }

    /// Records in `ingress_open` / `ingress_from` which sources destination `d` admits at all.
    fn set_ingress_column(&mut self, d: usize) {
        match self.side_reach(
            &self.ingress_tiered[d],
            &self.ingress_closing[d],
            self.ingress_of[d].as_ref(),
        ) {
            None => self.ingress_open.insert(d),
            Some(reach) => {
                self.ingress_open.remove(d);
                for s in reach.iter() {
                    self.ingress_from[s].insert(d);
                }
            }
        }
    }

    /// The allowed destinations of class `s`, sorted.
    fn row(&mut self, s: usize) -> Vec<(u32, u32)> {
        // The table leaves the engine for the row, so that the rest is only read.
        let mut table = std::mem::take(&mut self.table);
        let row = self.row_with(&mut table, s);
        self.table = table;
        row
    }

    /// The row of class `s` ([`Engine::class_row`]) from an engine that is only read, so
    /// that several threads may compute rows at once: new connection sets go to the
    /// caller's `overlay`, and the ids in the row are that overlay's
    /// ([`Overlay::conn`]).
    pub fn row_in(&self, overlay: &mut Overlay<'_>, s: usize) -> Vec<(u32, ConnId)> {
        if self.evaluated {
            return self.pairs.get(s).cloned().unwrap_or_default();
        }
        if s >= self.classes.len() {
            return Vec::new();
        }
        self.row_with(overlay, s)
    }

    /// A thread's overlay on this engine's connection sets ([`Engine::row_in`]).
    pub fn overlay(&self) -> Overlay<'_> {
        Overlay::new(&self.table)
    }

    fn row_with<S: SetStore>(&self, sets: &mut S, s: usize) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let reach = self.compute_egress_reach(s);
        // Without the ingress index every reachable class is a candidate; `pair` then
        // rejects those whose ingress does not name `s`.
        let candidates: Vec<usize> = match self.ingress_from.get(s) {
            Some(admitted) => reach.iter_and_or(&self.ingress_open, admitted).collect(),
            None => reach.iter().collect(),
        };
        for d in candidates {
            let conn = self.pair_with(sets, s, d);
            if conn != NONE {
                out.push((d as u32, conn));
            }
        }
        out
    }

    /// The interned connection from class `s` to class `d`.
    fn pair(&mut self, s: usize, d: usize) -> u32 {
        let mut table = std::mem::take(&mut self.table);
        let conn = self.pair_with(&mut table, s, d);
        self.table = table;
        conn
    }

    fn pair_with<S: SetStore>(&self, sets: &mut S, s: usize, d: usize) -> u32 {
        let ports = self.class_ports[d];
        let rules = &self.rules;
        let ops = &mut Interned(sets);
        let egress = side(
            ops,
            rules,
            (&self.egress_tiered[s], &self.egress_closing[s]),
            self.egress_of[s].as_ref(),
            |_, r| r.classes.contains(d).then(|| r.conn_to(ports)),
        );
        if egress == NONE {
            return NONE;
        }
        let ingress = side(
            ops,
            rules,
            (&self.ingress_tiered[d], &self.ingress_closing[d]),
            self.ingress_of[d].as_ref(),
            |_, r| r.classes.contains(s).then(|| r.conn_to(ports)),
        );
        ops.intersect(&egress, &ingress)
    }
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
