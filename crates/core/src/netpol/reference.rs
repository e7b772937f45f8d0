//! The reference evaluator: answers one question — is this (source, destination,
//! protocol, port) allowed? — on the policy rule model ([`crate::policy`]), one port at a
//! time, following the API references sentence by sentence. It shares no matching code
//! with the fast engine or the tier walk (its own selector, peer and port matching, its
//! own walk over tiers); property tests check that the two agree.
//!
//! It reads only policies the readers accepted (invalid ones never exist in a cluster).

use super::reference_calico::Other;
use crate::model::{Cluster, Workload};
use crate::policy::{Action, Direction, Operator, PeerKind, Policy, PortRef, PortSpec, Rule, Selector, Tier, TierWalk};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// One side of the question.
#[derive(Clone, Copy, Debug)]
pub enum Party<'a> {
    Pod(&'a Workload),
    /// An address outside the cluster.
    Ip(IpAddr),
}

/// Is a connection from `src` to `dst` on `protocol`/`port` allowed?
pub fn allowed(cluster: &Cluster, src: Party, dst: Party, protocol: &str, port: u16) -> bool {
    // "...for a connection from a source pod to a destination pod to be allowed, both the
    // egress policy on the source pod and the ingress policy on the destination pod need
    // to allow the connection." Addresses outside the cluster have no policies.
    let egress_ok = match src {
        Party::Pod(pod) => direction_allows(cluster, pod, Direction::Egress, dst, dst, protocol, port),
        Party::Ip(_) => true,
    };
    let ingress_ok = match dst {
        Party::Pod(pod) => direction_allows(cluster, pod, Direction::Ingress, src, dst, protocol, port),
        Party::Ip(_) => true,
    };
    egress_ok && ingress_ok
}

/// Whether the policies of `pod` allow traffic in `dir` with `peer`; `dst` is the
/// destination of the connection (named ports are resolved on it). Tiers are asked in
/// order; the first that decides, decides; what none decides is allowed.
fn direction_allows(
    cluster: &Cluster,
    pod: &Workload,
    dir: Direction,
    peer: Party,
    dst: Party,
    protocol: &str,
    port: u16,
) -> bool {
    let mut tiers: Vec<Tier> = cluster.policies.iter().map(|p| p.tier).collect();
    crate::sorting::sort(&mut tiers);
    tiers.dedup();
    for tier in tiers {
        // The policies of this tier whose subject is the pod and that speak of `dir`.
        let mut applying: Vec<(usize, &Policy, &[Rule])> = cluster
            .policies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.tier == tier && subject_is(cluster, p, pod))
            .filter_map(|(i, p)| {
                let rules = match dir {
                    Direction::Ingress => p.ingress.as_deref(),
                    Direction::Egress => p.egress.as_deref(),
                }?;
                Some((i, p, rules))
            })
            .collect();
        let hit =
            |p: &Policy, r: &Rule| rule_peers_match(cluster, p, r, peer) && rule_ports_match(r, dst, protocol, port);
        let decision = match tier.walk() {
            // Calico: "each tier that contains a policy that applies to the endpoint
            // processes the packet"; policies by order, rules in order; "If the Tier
            // applies to the endpoint, but takes no action on the packet the packet is
            // dropped", unless its defaultAction is Pass.
            TierWalk::FirstMatchEndDeny => {
                crate::sorting::sort_by_key(&mut applying, |&(i, p, _)| (p.order_key(), i));
                if applying.is_empty() {
                    None
                } else {
                    applying
                        .iter()
                        .flat_map(|&(_, p, rules)| rules.iter().map(move |r| (p, r)))
                        .find(|&(p, r)| hit(p, r))
                        .map_or(Some(false), |(_, r)| match r.action {
                            Action::Allow => Some(true),
                            Action::Deny => Some(false),
                            Action::Pass => None,
                        })
                }
            }
            // AdminNetworkPolicy: "the policy with the lowest priority value is evaluated
            // first"; "rules are evaluated in the order in which they are listed"; the
            // first match decides: Allow and Deny finally, Pass hands over to the next
            // tier.
            TierWalk::FirstMatch => {
                crate::sorting::sort_by_key(&mut applying, |&(i, p, _)| (p.order_key(), i));
                applying
                    .iter()
                    .flat_map(|&(_, p, rules)| rules.iter().map(move |r| (p, r)))
                    .find(|&(p, r)| hit(p, r))
                    .and_then(|(_, r)| match r.action {
                        Action::Allow => Some(true),
                        Action::Deny => Some(false),
                        Action::Pass => None,
                    })
            }
            // NetworkPolicy: a pod is isolated for a direction when some policy selecting
            // it affects that direction; "the traffic is allowed if it matches at least
            // one rule across all of the policies that select the pod."
            TierWalk::Isolation => {
                (!applying.is_empty()).then(|| applying.iter().any(|&(_, p, rules)| rules.iter().any(|r| hit(p, r))))
            }
        };
        if let Some(verdict) = decision {
            return verdict;
        }
    }
    true
}

/// Whether `pod` is the policy's subject: "podSelector selects the pods to which this
/// NetworkPolicy object applies ... in the policy's namespace", or, for a cluster-wide
/// policy, the pods in the namespaces its namespace selector picks.
fn subject_is(cluster: &Cluster, policy: &Policy, pod: &Workload) -> bool {
    // hostNetwork: the network plugin "ignores hostNetwork pods when matching podSelector
    // and namespaceSelector" (the Kubernetes docs' most common implementation); "host-
    // networked pods are not included in subject selection" (AdminNetworkPolicy).
    if pod.host_network {
        return false;
    }
    if let Some(c) = &policy.calico {
        return super::reference_calico::subject_is(cluster, policy, c, pod);
    }
    let ns_ok = match &policy.namespace_selector {
        None => pod.namespace == policy.namespace,
        Some(sel) => selector_matches(sel, cluster.namespace_labels(&pod.namespace)),
    };
    ns_ok && selector_matches(&policy.pod_selector, &pod.labels)
}

/// "If this field is empty or missing, this rule matches all sources (traffic not
/// restricted by source). If this field is present and contains at least one item, this
/// rule allows traffic only if the traffic matches at least one item in the from list."
fn rule_peers_match(cluster: &Cluster, policy: &Policy, rule: &Rule, peer: Party) -> bool {
    match &rule.peers {
        None => true,
        Some(peers) => peers.iter().any(|item| peer_matches(cluster, policy, &item.kind, peer)),
    }
}

fn peer_matches(cluster: &Cluster, policy: &Policy, kind: &PeerKind, peer: Party) -> bool {
    // "Traffic to/from hostNetwork pods is treated the same as all other traffic to/from
    // the node IP": a host-network pod is its node's address; where the input does not
    // give it, only a block of every address surely holds it.
    if let Party::Pod(w) = peer {
        if w.host_network {
            return match (w.node_address, kind) {
                (Some(ip), _) => peer_matches(cluster, policy, kind, Party::Ip(ip)),
                (None, PeerKind::IpBlock { cidr, except }) => cidr.prefix_len() == 0 && except.is_empty(),
                (None, _) => false,
            };
        }
    }
    match (kind, peer) {
        // "ipBlock defines policy on a particular IPBlock." Pod IPs are not modelled: an
        // ipBlock only speaks of addresses outside the cluster, selectors only of pods.
        // "except is a list of CIDRs that should not be included within an IPBlock."
        (PeerKind::IpBlock { cidr, except }, Party::Ip(ip)) => {
            cidr.contains(&ip) && except.iter().all(|net| !net.contains(&ip))
        }
        // "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects
        // the pods matching podSelector in the Namespaces selected by NamespaceSelector.
        // Otherwise it selects the pods matching podSelector in the policy's own
        // namespace." "If podSelector is also set ... Otherwise it selects all pods in the
        // namespaces selected by namespaceSelector."
        (PeerKind::Pods { pods, namespaces }, Party::Pod(pod)) => {
            let ns_ok = match namespaces {
                None => pod.namespace == policy.namespace,
                Some(sel) => selector_matches(sel, cluster.namespace_labels(&pod.namespace)),
            };
            ns_ok && pods.as_ref().is_none_or(|sel| selector_matches(sel, &pod.labels))
        }
        (PeerKind::Calico(m), Party::Pod(w)) => super::reference_calico::entity_matches(cluster, m, Other::Pod(w)),
        (PeerKind::Calico(m), Party::Ip(ip)) => super::reference_calico::entity_matches(cluster, m, Other::Ip(ip)),
        // Nodes and undecidable peers are no endpoint the model holds.
        _ => false,
    }
}

/// "If this field is empty or missing, this rule matches all ports ... If this field is
/// present and contains at least one item, then this rule allows traffic only if the
/// traffic matches at least one port in the list."
fn rule_ports_match(rule: &Rule, dst: Party, protocol: &str, port: u16) -> bool {
    let listed = match &rule.ports {
        None => true,
        Some(ports) => ports.iter().any(|p| port_matches(p, dst, protocol, port)),
    };
    // Calico notPorts / notProtocol: "Negative match on the specified ports".
    listed && !rule.except_ports.iter().any(|p| port_matches(p, dst, protocol, port))
}

fn port_matches(spec: &PortSpec, dst: Party, protocol: &str, port: u16) -> bool {
    if spec.protocol.as_str() != protocol {
        return false;
    }
    match &spec.port {
        // "If this field is not provided, this matches all port names and numbers."
        PortRef::Any => true,
        // endPort: "indicates that the range of ports from port to endPort if set,
        // inclusive, should be allowed".
        PortRef::Range(lo, hi) => *lo <= port && port <= *hi,
        // "This can either be a numerical or named port on a pod." A name means the
        // container port of that name on the destination pod, same protocol.
        PortRef::Named(name) => match dst {
            // A node has no named ports to resolve.
            Party::Pod(w) if w.host_network => false,
            Party::Pod(w) => w.ports.iter().any(|cp| {
                cp.name.as_deref() == Some(name.as_str()) && cp.protocol.as_str() == protocol && cp.port == port
            }),
            Party::Ip(_) => false,
        },
    }
}

/// "A label selector is a label query over a set of resources. The result of matchLabels
/// and matchExpressions are ANDed. An empty label selector matches all objects."
fn selector_matches(sel: &Selector, labels: &BTreeMap<String, String>) -> bool {
    let labels_ok = sel.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = sel.requirements.iter().all(|req| {
        let value = labels.get(&req.key);
        match req.operator {
            Operator::In => value.is_some_and(|v| req.values.contains(v)),
            // NotIn also matches objects without the key.
            Operator::NotIn => !value.is_some_and(|v| req.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    });
    labels_ok && exprs_ok
}
