//! The fast engine: whole connection sets for a cluster.
//!
//! Pods with the same namespace, labels and container ports are indistinguishable to
//! every policy, so they form one *class*; selectors are evaluated once per class and a
//! rule's peers are a bitset of classes plus interval sets of external addresses. The
//! connection between two classes is `egress(src → dst) ∩ ingress(dst ← src)`, each the
//! union of the matching rules' port sets (or everything when not isolated).
//! External addresses are split into segments at every ipBlock boundary, so that each
//! segment is either wholly inside or wholly outside every ipBlock.

use super::policy::{PeerKind, Rule};
use crate::bitset::BitSet;
use crate::conn::ConnSet;
use crate::endpoint::{AddrRange, AddrSet, Endpoint};
use crate::model::{Cluster, ContainerPort, Labels};
use std::collections::HashMap;
use std::net::IpAddr;

/// A rule prepared for evaluation.
struct PreparedRule<'c> {
    rule: &'c Rule,
    /// Classes of pods the rule's peers match.
    classes: BitSet,
    /// External addresses the rule's peers match.
    addrs: AddrSet,
    /// Connections to any destination from port entries that are not named.
    fixed: ConnSet,
}

impl PreparedRule<'_> {
    fn conn_for(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        if self.rule.has_named_ports() {
            self.rule.conn_for(dst_ports)
        } else {
            self.fixed.clone()
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

pub struct Engine<'c> {
    cluster: &'c Cluster,
    pub classes: Vec<Class>,
    workload_class: Vec<usize>,
    rules: Vec<PreparedRule<'c>>,
    /// Per class: `None` when not isolated for ingress, else the rules that apply.
    ingress_of: Vec<Option<Vec<usize>>>,
    egress_of: Vec<Option<Vec<usize>>>,
    /// External segments: every ipBlock boundary splits the address space.
    segments: Vec<AddrRange>,
}

/// An allowed connection between two endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub conn: ConnSet,
}

impl<'c> Engine<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        let mut class_index: HashMap<(&str, &Labels, &[ContainerPort]), usize> = HashMap::new();
        let mut classes: Vec<Class> = Vec::new();
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
            if let Ok(i) = cluster
                .namespaces
                .binary_search_by(|ns| ns.name.as_str().cmp(&class.namespace))
            {
                classes_by_ns[i].push(c);
            }
        }
        let ns_index = |name: &str| {
            cluster
                .namespaces
                .binary_search_by(|ns| ns.name.as_str().cmp(name))
                .ok()
        };
        let mut rules = Vec::new();
        let mut ingress_of: Vec<Option<Vec<usize>>> = vec![None; n];
        let mut egress_of: Vec<Option<Vec<usize>>> = vec![None; n];
        let mut ns_selection_cache: HashMap<String, Vec<usize>> = HashMap::new();
        for policy in &cluster.policies {
            let selected: Vec<usize> = ns_index(&policy.namespace)
                .map(|i| classes_by_ns[i].as_slice())
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|&c| policy.pod_selector.matches(&classes[c].labels))
                .collect();
            for (dir_rules, of) in [(&policy.ingress, &mut ingress_of), (&policy.egress, &mut egress_of)] {
                let Some(dir_rules) = dir_rules else { continue };
                let first = rules.len();
                for rule in dir_rules {
                    rules.push(prepare(
                        rule,
                        &policy.namespace,
                        cluster,
                        &classes,
                        &classes_by_ns,
                        &mut ns_selection_cache,
                    ));
                }
                for &c in &selected {
                    of[c].get_or_insert_with(Vec::new).extend(first..rules.len());
                }
            }
        }

        let mut v4 = vec![0u32];
        let mut v6 = Vec::new();
        for r in &rules {
            if let Some(peers) = &r.rule.peers {
                for p in peers {
                    if let PeerKind::IpBlock { cidr, except } = &p.kind {
                        for net in std::iter::once(cidr).chain(except) {
                            let set = AddrSet::from_net(net);
                            v4.extend(set.v4.boundaries());
                            v6.extend(set.v6.boundaries());
                        }
                    }
                }
            }
        }
        let mut segments = Vec::new();
        v4.sort_unstable();
        v4.dedup();
        for (i, &lo) in v4.iter().enumerate() {
            let hi = v4.get(i + 1).map_or(u32::MAX, |&next| next - 1);
            segments.push(AddrRange::V4(lo, hi));
        }
        // The IPv6 space only takes part when the input speaks of IPv6 at all.
        if !v6.is_empty() {
            v6.push(0);
            v6.sort_unstable();
            v6.dedup();
            for (i, &lo) in v6.iter().enumerate() {
                let hi = v6.get(i + 1).map_or(u128::MAX, |&next| next - 1);
                segments.push(AddrRange::V6(lo, hi));
            }
        }

        Engine {
            cluster,
            classes,
            workload_class,
            rules,
            ingress_of,
            egress_of,
            segments,
        }
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
        let dst_ports = Some(self.classes[d].ports.as_slice());
        let egress = match &self.egress_of[s] {
            None => ConnSet::all(),
            Some(rules) => {
                let mut c = ConnSet::none();
                for &r in rules {
                    let r = &self.rules[r];
                    if r.classes.contains(d) {
                        c.union_with(&r.conn_for(dst_ports));
                    }
                }
                c
            }
        };
        if egress.is_empty() {
            return egress;
        }
        match &self.ingress_of[d] {
            None => egress,
            Some(rules) => {
                let mut c = ConnSet::none();
                for &r in rules {
                    let r = &self.rules[r];
                    if r.classes.contains(s) {
                        c.union_with(&r.conn_for(dst_ports));
                    }
                }
                egress.intersect(&c)
            }
        }
    }

    /// Connections from class `s` to the external segment `seg` (wholly inside or outside
    /// every ipBlock).
    fn egress_to_segment(&self, s: usize, seg: &AddrRange) -> ConnSet {
        match &self.egress_of[s] {
            None => ConnSet::all(),
            Some(rules) => {
                let mut c = ConnSet::none();
                for &r in rules {
                    let r = &self.rules[r];
                    if r.addrs.contains_range(seg) {
                        c.union_with(&r.conn_for(None));
                    }
                }
                c
            }
        }
    }

    fn ingress_from_segment(&self, d: usize, seg: &AddrRange) -> ConnSet {
        match &self.ingress_of[d] {
            None => ConnSet::all(),
            Some(rules) => {
                let dst_ports = Some(self.classes[d].ports.as_slice());
                let mut c = ConnSet::none();
                for &r in rules {
                    let r = &self.rules[r];
                    if r.addrs.contains_range(seg) {
                        c.union_with(&r.conn_for(dst_ports));
                    }
                }
                c
            }
        }
    }

    fn segment_of(&self, ip: IpAddr) -> Option<&AddrRange> {
        self.segments.iter().find(|s| s.contains(ip))
    }

    /// Connections from a workload to one external address.
    pub fn conn_to_ip(&self, workload: usize, ip: IpAddr) -> ConnSet {
        let c = self.class_of(workload);
        match self.segment_of(ip) {
            Some(seg) => self.egress_to_segment(c, seg),
            // An IPv6 address when no policy mentions IPv6: nothing restricts it beyond
            // isolation itself.
            None => self.egress_to_segment(c, &AddrRange::V6(0, u128::MAX)),
        }
    }

    /// Connections from one external address to a workload.
    pub fn conn_from_ip(&self, ip: IpAddr, workload: usize) -> ConnSet {
        let c = self.class_of(workload);
        match self.segment_of(ip) {
            Some(seg) => self.ingress_from_segment(c, seg),
            None => self.ingress_from_segment(c, &AddrRange::V6(0, u128::MAX)),
        }
    }

    /// Maximal runs of segments with the same non-empty connection.
    fn merged_runs(&self, conn_of: impl Fn(&AddrRange) -> ConnSet) -> Vec<(AddrRange, ConnSet)> {
        let mut out: Vec<(AddrRange, ConnSet)> = Vec::new();
        for seg in &self.segments {
            let conn = conn_of(seg);
            if conn.is_empty() {
                continue;
            }
            if let Some((last, last_conn)) = out.last_mut() {
                let merged = match (*last, *seg) {
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
            out.push((*seg, conn));
        }
        out
    }

    /// Every allowed connection: workload pairs (no self-connections), workloads to
    /// external ranges and external ranges to workloads. Unordered.
    pub fn connections(&self) -> Vec<Connection> {
        let mut out = Vec::new();
        let n = self.classes.len();
        for s in 0..n {
            for d in 0..n {
                let conn = self.class_conn(s, d);
                if conn.is_empty() {
                    continue;
                }
                for &ws in &self.classes[s].members {
                    for &wd in &self.classes[d].members {
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
        for c in 0..n {
            for (range, conn) in self.merged_runs(|seg| self.egress_to_segment(c, seg)) {
                for &w in &self.classes[c].members {
                    out.push(Connection {
                        src: Endpoint::Workload(w),
                        dst: Endpoint::External(range),
                        conn: conn.clone(),
                    });
                }
            }
            for (range, conn) in self.merged_runs(|seg| self.ingress_from_segment(c, seg)) {
                for &w in &self.classes[c].members {
                    out.push(Connection {
                        src: Endpoint::External(range),
                        dst: Endpoint::Workload(w),
                        conn: conn.clone(),
                    });
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
        let Some(rules) = &self.ingress_of[d] else {
            return ConnSet::all();
        };
        let dst_ports = Some(self.classes[d].ports.as_slice());
        let mut c = ConnSet::none();
        for &r in rules {
            let r = &self.rules[r];
            let admits_anyone = match &r.rule.peers {
                None => true,
                Some(peers) => peers.iter().any(|p| {
                    matches!(&p.kind, PeerKind::Pods { pods, namespaces: Some(ns) }
                        if ns.is_empty() && pods.as_ref().is_none_or(|s| s.is_empty()))
                }),
            };
            if admits_anyone {
                c.union_with(&r.conn_for(dst_ports));
            }
        }
        c
    }

    /// The allowed connection between two workloads.
    pub fn workload_conn(&self, src: usize, dst: usize) -> ConnSet {
        self.class_conn(self.class_of(src), self.class_of(dst))
    }
}

fn prepare<'c>(
    rule: &'c Rule,
    policy_ns: &str,
    cluster: &Cluster,
    classes: &[Class],
    classes_by_ns: &[Vec<usize>],
    ns_cache: &mut HashMap<String, Vec<usize>>,
) -> PreparedRule<'c> {
    let n = classes.len();
    let fixed = if rule.has_named_ports() {
        ConnSet::none()
    } else {
        rule.conn_for(None)
    };
    let Some(peers) = &rule.peers else {
        return PreparedRule {
            rule,
            classes: BitSet::full(n),
            addrs: AddrSet::all(),
            fixed,
        };
    };
    let mut set = BitSet::new(n);
    let mut addrs = AddrSet::default();
    for peer in peers {
        match &peer.kind {
            PeerKind::IpBlock { cidr, except } => {
                let mut block = AddrSet::from_net(cidr);
                for e in except {
                    block = block.difference(&AddrSet::from_net(e));
                }
                addrs.union_with(&block);
            }
            PeerKind::Pods { pods, namespaces } => {
                // The namespaces the peer covers; each distinct namespace selector is
                // evaluated once.
                let own: Vec<usize>;
                let in_namespaces: &[usize] = match namespaces {
                    None => {
                        own = cluster
                            .namespaces
                            .binary_search_by(|ns| ns.name.as_str().cmp(policy_ns))
                            .ok()
                            .into_iter()
                            .collect();
                        &own
                    }
                    Some(sel) => ns_cache.entry(format!("{sel:?}")).or_insert_with(|| {
                        cluster
                            .namespaces
                            .iter()
                            .enumerate()
                            .filter(|(_, ns)| sel.matches(&ns.labels))
                            .map(|(i, _)| i)
                            .collect()
                    }),
                };
                for &ns in in_namespaces {
                    for &c in &classes_by_ns[ns] {
                        if pods.as_ref().is_none_or(|sel| sel.matches(&classes[c].labels)) {
                            set.insert(c);
                        }
                    }
                }
            }
        }
    }
    PreparedRule {
        rule,
        classes: set,
        addrs,
        fixed,
    }
}
