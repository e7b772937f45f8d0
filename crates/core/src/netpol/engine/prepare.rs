//! Preparing policies for the engine: the classes each selects, each rule's peers as a
//! bitset of classes and a set of addresses, its connections, and attaching the rules to
//! the classes they apply to (isolation apart from first-match tiers).

use super::sets::{NamespaceKey, PeerKey, SelectorCaches};
use super::{ns_index, Engine, PolicyRules, PreparedRule, RuleConn};
use crate::bitset::BitSet;
use crate::endpoint::AddrSet;
use crate::policy::calico::{EndpointLabels, EntityMatch, NamespaceLabels};
use crate::policy::{PeerKind, Policy, Rule, Tier, TierWalk};

impl Engine<'_> {
    pub(super) fn prepare_policy(&mut self, index: usize, policy: &Policy, caches: &mut SelectorCaches) -> PolicyRules {
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
            // No tier selects host-network pods (see `Policy::selects_workload`).
            .filter(|&c| self.classes[c].host.is_none())
            .filter(|&c| match &policy.calico {
                Some(calico) => calico.selects(&policy.namespace, &self.endpoint(c)),
                None => policy.pod_selector.matches(&self.classes[c].labels),
            })
            .collect();
        crate::sorting::sort_unstable(&mut selected);
        let walk = policy.tier.walk();
        let mut out = PolicyRules {
            first_match: walk.is_first_match(),
            closing: (walk == TierWalk::FirstMatchEndDeny).then_some(policy.tier),
            selected,
            ..PolicyRules::default()
        };
        for (ingress, dir_rules) in [(true, &policy.ingress), (false, &policy.egress)] {
            let Some(dir_rules) = dir_rules else { continue };
            let first = self.rules.len();
            for rule in dir_rules {
                let mut prepared = self.prepare_rule(rule, &policy.namespace, ingress, &out.selected, caches);
                let (tier, priority, kind, namespace, name) = policy.order_key();
                prepared.order = (
                    tier,
                    priority,
                    (kind, namespace.to_string(), name.to_string()),
                    index,
                    rule.index,
                );
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
    pub(super) fn attach(&mut self, p: usize) {
        let policy = &self.policies[p];
        if policy.first_match {
            for &c in &policy.selected {
                for (range, tiered, closing) in [
                    (&policy.ingress, &mut self.ingress_tiered, &mut self.ingress_closing),
                    (&policy.egress, &mut self.egress_tiered, &mut self.egress_closing),
                ] {
                    let Some(range) = range else { continue };
                    if let Some(t) = policy.closing {
                        // Kept sorted, so that the walk need not sort a copy per pair.
                        let at = closing[c].partition_point(|&x| x <= t);
                        closing[c].insert(at, t);
                    }
                    tiered[c].extend(range.clone());
                    let rules = &self.rules;
                    crate::sorting::sort_unstable_by(&mut tiered[c], |&a, &b| rules[a].order.cmp(&rules[b].order));
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
    pub(super) fn detach(&mut self, p: usize) {
        let policy = &self.policies[p];
        if policy.first_match {
            for &c in &policy.selected {
                for (range, tiered, closing) in [
                    (&policy.ingress, &mut self.ingress_tiered, &mut self.ingress_closing),
                    (&policy.egress, &mut self.egress_tiered, &mut self.egress_closing),
                ] {
                    if let Some(range) = range {
                        tiered[c].retain(|r| !range.contains(r));
                        if let Some(i) = policy.closing.and_then(|t| closing[c].iter().position(|&x| x == t)) {
                            closing[c].remove(i);
                        }
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
            Some(peers) => peers.iter().any(|p| match &p.kind {
                PeerKind::Pods {
                    pods,
                    namespaces: Some(ns),
                } => ns.is_empty() && pods.as_ref().is_none_or(|s| s.is_empty()),
                PeerKind::Calico(m) => m.admits_any_pod(),
                _ => false,
            }),
        };
        let mut names_v6 = false;
        let (classes, addrs) = match &rule.peers {
            None => (BitSet::full(n), AddrSet::all()),
            Some(peers) => {
                let mut set = BitSet::new(n);
                let mut addrs = AddrSet::default();
                for peer in peers {
                    names_v6 |= self.add_peer(&peer.kind, policy_ns, caches, &mut set, &mut addrs);
                }
                (set, addrs)
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
            crate::sorting::sort_unstable(&mut lists);
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
            names_v6,
            conn,
            external_conn,
            admits_anyone,
            action: rule.action,
            order: (
                Tier::NetworkPolicy,
                0,
                ("", String::new(), String::new()),
                0,
                rule.index,
            ),
        }
    }

    /// Adds what one peer of a rule admits: its classes to `set`, its external addresses
    /// to `addrs`. Returns whether it names IPv6 addresses.
    fn add_peer(
        &self,
        peer: &PeerKind,
        policy_ns: &str,
        caches: &mut SelectorCaches,
        set: &mut BitSet,
        addrs: &mut AddrSet,
    ) -> bool {
        // Host-network classes are their node: address peers only, by the node's address
        // (see `PeerKind::matches_node`).
        for &c in &self.host_classes {
            let host = self.classes[c].host.map(|w| &self.cluster.workloads[w]);
            if host.is_some_and(|w| peer.matches_node(w)) {
                set.insert(c);
            }
        }
        match peer {
            PeerKind::IpBlock { cidr, except } => {
                let mut block = AddrSet::from_net(cidr);
                for e in except {
                    block = block.difference(&AddrSet::from_net(e));
                }
                addrs.union_with(&block);
                !block.v6.is_empty()
            }
            // None is an endpoint the model holds (see `PeerKind`; FQDN destinations are
            // listed by `netpol::fqdn`).
            PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } | PeerKind::Fqdn(_) => false,
            PeerKind::Calico(m) => {
                addrs.union_with(&calico_addrs(m));
                let key = PeerKey::Calico(m.clone());
                if let Some(peers) = caches.peers.get(&key) {
                    set.union_with(peers);
                } else {
                    let peer_set = self.calico_peer_classes(m, caches);
                    set.union_with(&peer_set);
                    caches.peers.insert(key, peer_set);
                }
                m.names_v6()
            }
            PeerKind::Pods { pods, namespaces } => {
                // Real clusters repeat peers (DNS, "from namespace X"), so each distinct
                // peer is evaluated once and its bitset reused.
                let key = match namespaces {
                    None => PeerKey::Own {
                        namespace: policy_ns.to_string(),
                        pods: pods.clone(),
                    },
                    Some(sel) => PeerKey::InNamespaces {
                        namespaces: sel.clone(),
                        pods: pods.clone(),
                    },
                };
                if let Some(classes) = caches.peers.get(&key) {
                    set.union_with(classes);
                    return false;
                }
                let mut peer_set = BitSet::new(self.classes.len());
                // The namespaces the peer covers; each distinct namespace selector is
                // evaluated once.
                let own: Vec<usize>;
                let in_namespaces: &[usize] = match namespaces {
                    None => {
                        own = ns_index(self.cluster, policy_ns).into_iter().collect();
                        &own
                    }
                    Some(sel) => caches
                        .namespaces
                        .entry(NamespaceKey::Labels(sel.clone()))
                        .or_insert_with(|| {
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
                        if self.classes[c].host.is_some() {
                            continue;
                        }
                        if pods.as_ref().is_none_or(|sel| sel.matches(&self.classes[c].labels)) {
                            peer_set.insert(c);
                        }
                    }
                }
                set.union_with(&peer_set);
                caches.peers.insert(key, peer_set);
                false
            }
        }
    }
}

/// The external addresses a Calico entity rule matches: `nets` (or everything) without
/// `notNets`, within the network sets its selector reaches, outside those its
/// notSelector reaches.
fn calico_addrs(m: &EntityMatch) -> AddrSet {
    let union = |nets: &mut dyn Iterator<Item = &ipnet::IpNet>| {
        let mut a = AddrSet::default();
        for n in nets {
            a.union_with(&AddrSet::from_net(n));
        }
        a
    };
    let mut block = match &m.nets {
        Some(nets) => union(&mut nets.iter()),
        None => AddrSet::all(),
    };
    block = block.difference(&union(&mut m.not_nets.iter()));
    if let Some(sets) = &m.selected_sets {
        let outside = AddrSet::all().difference(&union(&mut sets.iter().flat_map(|s| &s.nets)));
        block = block.difference(&outside);
    }
    block.difference(&union(&mut m.not_selected_sets.iter().flat_map(|s| &s.nets)))
}

impl Engine<'_> {
    /// Class `c` as Calico's selectors see it.
    fn endpoint(&self, c: usize) -> EndpointLabels<'_> {
        let class = &self.classes[c];
        let namespace_labels = match class.namespace_index.and_then(|i| self.cluster.namespaces.get(i)) {
            Some(ns) => &ns.labels,
            None => self.cluster.namespace_labels(&class.namespace),
        };
        EndpointLabels::new(
            &class.namespace,
            namespace_labels,
            &class.labels,
            class.service_account.as_deref(),
        )
    }

    /// The classes a Calico entity rule matches (`EntityMatch::matches_endpoint`). With an
    /// identity criterion only endpoints in the rule's scope can match: those of the
    /// namespaces its namespaceSelector selects (evaluated once per namespace and
    /// selector), else of the policy's namespace (every namespace for a global policy), so
    /// only their classes are tested, not every class for every rule.
    fn calico_peer_classes(&self, m: &EntityMatch, caches: &mut SelectorCaches) -> BitSet {
        let n = self.classes.len();
        let mut set = BitSet::new(n);
        if m.nets.is_some() {
            // `nets` never match a pod (pod addresses are not modelled).
            return set;
        }
        let namespaces = &self.cluster.namespaces;
        let candidates: Vec<usize> = if m.has_identity() {
            let scope: Vec<usize> = match (&m.namespace_selector, m.policy_namespace.as_str()) {
                (Some(sel), _) => caches
                    .namespaces
                    .entry(NamespaceKey::Calico(sel.clone()))
                    .or_insert_with(|| {
                        (0..namespaces.len())
                            .filter(|&i| {
                                sel.matches(&NamespaceLabels {
                                    name: &namespaces[i].name,
                                    labels: &namespaces[i].labels,
                                })
                            })
                            .collect()
                    })
                    .clone(),
                (None, "") => (0..namespaces.len()).collect(),
                (None, ns) => ns_index(self.cluster, ns).into_iter().collect(),
            };
            // Classes of a namespace the input does not list are tested one by one.
            let unlisted = (0..n).filter(|&c| self.classes[c].namespace_index.is_none());
            scope
                .iter()
                .flat_map(|&i| self.classes_by_ns[i].iter().copied())
                .chain(unlisted)
                .collect()
        } else {
            (0..n).collect()
        };
        for c in candidates.into_iter().filter(|&c| self.classes[c].host.is_none()) {
            if m.matches_endpoint(&self.endpoint(c)) {
                set.insert(c);
            }
        }
        set
    }
}
