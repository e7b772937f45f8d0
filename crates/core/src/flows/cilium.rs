//! Least-privilege CiliumNetworkPolicies (`cilium.io/v2`) from observed flows
//! (`netplay flows policy --kind cnp`, docs/flows.md): the NetworkPolicy writer's grouping
//! ([`super::generate::plan`]) written as Cilium reads it. Per namespace a default deny
//! (`endpointSelector: {}` with one empty ingress and one empty egress rule: a rule
//! section puts the selected endpoints in default deny, an empty rule allows nothing);
//! per workload with traffic an `endpointSelector` with the same labels the NetworkPolicy
//! writer picks, peers as `fromEndpoints`/`toEndpoints` naming the peer's namespace
//! (`k8s:io.kubernetes.pod.namespace`) and labels, external addresses as
//! `fromCIDR`/`toCIDR`, and `toPorts` by number. A Cilium rule holds one kind of peer, so
//! endpoints and CIDRs with the same ports become two rules. The defining property is the
//! NetworkPolicy writer's, tested the same way (crates/core/tests/flows_policy.rs).

use super::generate::{
    flows_touching, policy_names, rules, scalar, Peer, PodSelector, Ports, Traffic, Writer, COMMENT_FLOWS,
};
use super::{End, Flow};
use std::collections::HashMap;

/// The label of an endpoint's namespace in its Cilium identity.
const POD_NAMESPACE: &str = "k8s:io.kubernetes.pod.namespace";

/// One namespace's CiliumNetworkPolicies.
pub(super) fn namespace_file(w: &mut Writer, ns: &str, members: &[usize], traffic: &HashMap<usize, Traffic>) {
    let flows = flows_touching(members, traffic);
    w.default_deny_head(
        ns,
        flows,
        &[
            &format!("# CiliumNetworkPolicies for namespace {ns}, written by `netplay flows policy --kind cnp`."),
            "# default-deny puts every endpoint of the namespace in default deny for ingress and egress;",
            "# each allow-* policy admits exactly the observed flows its comments name, and nothing else.",
        ],
        "cilium.io/v2",
        "CiliumNetworkPolicy",
    );
    w.line(2, "endpointSelector: {}");
    w.line(2, "ingress:");
    w.line(2, "- {}");
    w.line(2, "egress:");
    w.line(2, "- {}");
    for (m, name) in policy_names(w.cluster, members, traffic) {
        if let Some(t) = traffic.get(&m) {
            workload_policy(w, ns, m, &name, t);
        }
    }
}

/// A label selector's fields at `indent`: `matchLabels` (the namespace label first when
/// given) and `DoesNotExist` expressions.
fn selector_fields(w: &mut Writer, indent: usize, namespace: Option<&str>, sel: &PodSelector) {
    if namespace.is_some() || !sel.match_labels.is_empty() {
        w.line(indent, "matchLabels:");
        if let Some(ns) = namespace {
            // A plain YAML key: the colon is followed by no space.
            w.line(indent + 2, &format!("{POD_NAMESPACE}: {}", scalar(ns)));
        }
        for (k, v) in &sel.match_labels {
            w.line(indent + 2, &format!("{}: {}", scalar(k), scalar(v)));
        }
    }
    if !sel.does_not_exist.is_empty() {
        w.line(indent, "matchExpressions:");
        for k in &sel.does_not_exist {
            w.line(indent, &format!("- key: {}", scalar(k)));
            w.line(indent + 2, "operator: DoesNotExist");
        }
    }
}

/// An endpoint peer as a list item at `indent`: always with its namespace, so that the
/// selector reads the same in every namespace's file.
fn endpoint_peer(w: &mut Writer, indent: usize, peer: &Peer) {
    let (namespace, sel) = match peer {
        Peer::Workload(i) => {
            let ns = w.cluster.workloads[*i].namespace.clone();
            (ns, w.selectors[*i].clone())
        }
        Peer::KubeDns => {
            let (key, value) = super::KUBE_DNS_LABEL;
            (
                super::KUBE_DNS_NAMESPACE.to_string(),
                PodSelector {
                    match_labels: vec![(key.to_string(), value.to_string())],
                    does_not_exist: Vec::new(),
                },
            )
        }
        Peer::Block(_) => return,
    };
    // The first key of a list item follows `- `; the rest align with it.
    let mut item = Writer {
        cluster: w.cluster,
        selectors: w.selectors,
        out: String::new(),
    };
    selector_fields(&mut item, indent + 2, Some(&namespace), &sel);
    let text = item.out;
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        w.line(indent, &format!("- {}", first.trim_start()));
    }
    for l in lines {
        w.line(0, l);
    }
}

fn to_ports(w: &mut Writer, indent: usize, ports: &Ports) {
    w.line(indent, "toPorts:");
    w.line(indent, "- ports:");
    for (protocol, port) in ports {
        w.line(indent + 2, &format!("- port: \"{port}\""));
        w.line(indent + 4, &format!("protocol: {protocol}"));
    }
}

fn comment(w: &mut Writer, flows: &[&Flow]) {
    let mut texts: Vec<String> = flows.iter().map(|f| f.text(w.cluster)).collect();
    crate::sorting::sort(&mut texts);
    for text in texts.iter().take(COMMENT_FLOWS) {
        w.line(2, &format!("# {text}"));
    }
    if texts.len() > COMMENT_FLOWS {
        w.line(2, &format!("# … and {} more flows", texts.len() - COMMENT_FLOWS));
    }
}

fn workload_policy(w: &mut Writer, ns: &str, m: usize, name: &str, t: &Traffic) {
    let workload = &w.cluster.workloads[m];
    let endpoint = workload.endpoint_name();
    w.line(0, "---");
    let flows_in: usize = t.ingress.values().map(|(_, f)| f.len()).sum();
    let flows_out: usize = t.egress.values().map(|(_, f)| f.len()).sum();
    w.line(
        0,
        &format!("# {endpoint}: {flows_in} observed flows in, {flows_out} out."),
    );
    w.line(0, "apiVersion: cilium.io/v2");
    w.line(0, "kind: CiliumNetworkPolicy");
    w.line(0, "metadata:");
    w.line(2, &format!("name: {}", scalar(name)));
    w.line(2, &format!("namespace: {}", scalar(ns)));
    w.line(0, "spec:");
    let sel = w.selectors[m].clone();
    if sel.match_labels.is_empty() && sel.does_not_exist.is_empty() {
        w.line(2, "endpointSelector: {}");
    } else {
        w.line(2, "endpointSelector:");
        selector_fields(w, 4, None, &sel);
    }
    for (key, prefix, by_peer, egress) in [
        ("ingress", "from", &t.ingress, false),
        ("egress", "to", &t.egress, true),
    ] {
        let groups = rules(by_peer);
        if groups.is_empty() {
            continue;
        }
        w.line(2, &format!("{key}:"));
        for (ports, peers, flows) in &groups {
            // The flows of each rule: by whether their peer end is an address.
            let external = |f: &&Flow| matches!(if egress { f.dst } else { f.src }, End::External(_));
            let endpoints: Vec<&Peer> = peers.iter().filter(|p| !matches!(p, Peer::Block(_))).collect();
            if !endpoints.is_empty() {
                let covered: Vec<&Flow> = flows.iter().copied().filter(|f| !external(f)).collect();
                comment(w, &covered);
                w.line(2, &format!("- {prefix}Endpoints:"));
                for p in endpoints {
                    endpoint_peer(w, 4, p);
                }
                to_ports(w, 4, ports);
            }
            let blocks: Vec<String> = peers
                .iter()
                .filter_map(|p| match p {
                    Peer::Block(net) => Some(net.to_string()),
                    Peer::Workload(_) | Peer::KubeDns => None,
                })
                .collect();
            if !blocks.is_empty() {
                let covered: Vec<&Flow> = flows.iter().copied().filter(external).collect();
                comment(w, &covered);
                w.line(2, &format!("- {prefix}CIDR:"));
                for b in &blocks {
                    w.line(4, &format!("- {b}"));
                }
                to_ports(w, 4, ports);
            }
        }
    }
}
