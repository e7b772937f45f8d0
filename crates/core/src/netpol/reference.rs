//! The reference evaluator: answers one question — is this (source, destination,
//! protocol, port) allowed? — by reading the NetworkPolicy objects as written, following
//! the API reference (networking.k8s.io/v1) sentence by sentence. It shares no matching
//! code with the fast engine; property tests check that the two agree.
//!
//! It only reads policies the validation accepted (invalid ones never exist in a cluster),
//! and trusts that validation: values it cannot read are treated as matching nothing.

use crate::model::{Cluster, Workload};
use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
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
        Party::Pod(pod) => direction_allows(cluster, pod, Dir::Egress, dst, dst, protocol, port),
        Party::Ip(_) => true,
    };
    let ingress_ok = match dst {
        Party::Pod(pod) => direction_allows(cluster, pod, Dir::Ingress, src, dst, protocol, port),
        Party::Ip(_) => true,
    };
    egress_ok && ingress_ok
}

/// A rule's peers (`from` or `to`) and ports.
type RuleParts<'a> = (Option<&'a Vec<NetworkPolicyPeer>>, Option<&'a Vec<NetworkPolicyPort>>);

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Ingress,
    Egress,
}

/// "policyTypes ... If this field is not specified, it will default based on the
/// existence of ingress or egress rules; policies that contain an egress section are
/// assumed to affect egress, and all policies (whether or not they contain an ingress
/// section) are assumed to affect ingress."
fn policy_affects(spec: &NetworkPolicySpec, dir: Dir) -> bool {
    match &spec.policy_types {
        Some(types) if !types.is_empty() => types.iter().any(|t| {
            t == match dir {
                Dir::Ingress => "Ingress",
                Dir::Egress => "Egress",
            }
        }),
        _ => match dir {
            Dir::Ingress => true,
            Dir::Egress => spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
        },
    }
}

/// Whether the policies of `pod` allow traffic in `dir` with `peer`; `dst` is the
/// destination of the connection (named ports are resolved on it).
fn direction_allows(
    cluster: &Cluster,
    pod: &Workload,
    dir: Dir,
    peer: Party,
    dst: Party,
    protocol: &str,
    port: u16,
) -> bool {
    // "podSelector selects the pods to which this NetworkPolicy object applies ... in the
    // policy's namespace". A pod is isolated for a direction when some such policy
    // affects that direction.
    let mut isolated = false;
    for p in &cluster.policies {
        if p.namespace != pod.namespace {
            continue;
        }
        let spec = &p.spec;
        let empty = LabelSelector::default();
        if !selector_matches(spec.pod_selector.as_ref().unwrap_or(&empty), &pod.labels) {
            continue;
        }
        if !policy_affects(spec, dir) {
            continue;
        }
        isolated = true;
        // "The traffic is allowed if it matches at least one rule across all of the
        // policies that select the pod."
        let rules: Vec<RuleParts> = match dir {
            Dir::Ingress => spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (r.from.as_ref(), r.ports.as_ref()))
                .collect(),
            Dir::Egress => spec
                .egress
                .iter()
                .flatten()
                .map(|r| (r.to.as_ref(), r.ports.as_ref()))
                .collect(),
        };
        for (peers, ports) in rules {
            if rule_peers_match(cluster, &p.namespace, peers, peer) && rule_ports_match(ports, dst, protocol, port) {
                return true;
            }
        }
    }
    !isolated
}

/// "If this field is empty or missing, this rule matches all sources (traffic not
/// restricted by source). If this field is present and contains at least one item, this
/// rule allows traffic only if the traffic matches at least one item in the from list."
fn rule_peers_match(cluster: &Cluster, policy_ns: &str, peers: Option<&Vec<NetworkPolicyPeer>>, peer: Party) -> bool {
    let Some(peers) = peers.filter(|p| !p.is_empty()) else {
        return true;
    };
    peers.iter().any(|item| peer_matches(cluster, policy_ns, item, peer))
}

fn peer_matches(cluster: &Cluster, policy_ns: &str, item: &NetworkPolicyPeer, peer: Party) -> bool {
    match peer {
        // "ipBlock defines policy on a particular IPBlock." Pod IPs are not modelled: an
        // ipBlock only speaks of addresses outside the cluster, selectors only of pods.
        Party::Ip(ip) => {
            let Some(block) = &item.ip_block else { return false };
            let Ok(cidr) = block.cidr.parse::<ipnet::IpNet>() else {
                return false;
            };
            // "except is a list of CIDRs that should not be included within an IPBlock."
            cidr.contains(&ip)
                && !block
                    .except
                    .iter()
                    .flatten()
                    .any(|e| e.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&ip)))
        }
        Party::Pod(pod) => {
            if item.ip_block.is_some() {
                return false;
            }
            // "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole
            // selects the pods matching podSelector in the Namespaces selected by
            // NamespaceSelector. Otherwise it selects the pods matching podSelector in the
            // policy's own namespace." "If podSelector is also set ... Otherwise it
            // selects all pods in the namespaces selected by namespaceSelector."
            let ns_ok = match &item.namespace_selector {
                None => pod.namespace == policy_ns,
                Some(sel) => selector_matches(sel, cluster.namespace_labels(&pod.namespace)),
            };
            let pod_ok = match &item.pod_selector {
                None => true,
                Some(sel) => selector_matches(sel, &pod.labels),
            };
            ns_ok && pod_ok
        }
    }
}

/// "If this field is empty or missing, this rule matches all ports ... If this field is
/// present and contains at least one item, then this rule allows traffic only if the
/// traffic matches at least one port in the list."
fn rule_ports_match(ports: Option<&Vec<NetworkPolicyPort>>, dst: Party, protocol: &str, port: u16) -> bool {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return true;
    };
    ports.iter().any(|p| {
        // "protocol ... If not specified, this field defaults to TCP."
        if p.protocol.as_deref().unwrap_or("TCP") != protocol {
            return false;
        }
        match &p.port {
            // "If this field is not provided, this matches all port names and numbers."
            None => true,
            // "If present, only traffic on the specified protocol AND port will be
            // matched." endPort: "indicates that the range of ports from port to endPort
            // if set, inclusive, should be allowed".
            Some(IntOrString::Int(n)) => {
                let lo = i64::from(*n);
                let hi = p.end_port.map_or(lo, i64::from);
                (lo..=hi).contains(&i64::from(port))
            }
            // "This can either be a numerical or named port on a pod." A name means the
            // container port of that name on the destination pod, same protocol.
            Some(IntOrString::String(name)) => match dst {
                Party::Pod(w) => w.ports.iter().any(|cp| {
                    cp.name.as_deref() == Some(name.as_str()) && cp.protocol.as_str() == protocol && cp.port == port
                }),
                Party::Ip(_) => false,
            },
        }
    })
}

/// "A label selector is a label query over a set of resources. The result of matchLabels
/// and matchExpressions are ANDed. An empty label selector matches all objects."
fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let labels_ok = sel.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = sel.match_expressions.iter().flatten().all(|req| {
        let values = req.values.as_deref().unwrap_or(&[]);
        let value = labels.get(&req.key);
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            // NotIn also matches objects without the key.
            "NotIn" => !value.is_some_and(|v| values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}
