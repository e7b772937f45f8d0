//! The fast engine, the reference evaluator, explanations and the printed connlist must
//! agree on every random cluster. Clusters are generated as YAML and go through the whole
//! pipeline (parse → model → engines). A disagreement is a bug in one of them. The
//! incremental path (`Engine::update_policy`) must agree with evaluation from scratch.

mod common;

use netplay_core::endpoint::AddrSet;
use netplay_core::netpol::engine::Engine;
use netplay_core::netpol::explain::Target;
use netplay_core::netpol::reference::{allowed, Party};
use netplay_core::output::{self, render_connlist, ConnLine, Format};
use netplay_core::policy::PeerKind;
use netplay_core::{load, ConnSet, Focus, Protocol, SourceFile};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::IpAddr;

#[path = "gen/calico.rs"]
mod calico_gen;

const NAMESPACES: [&str; 3] = ["x", "y", "z"];
const POD_KEYS: [(&str, &[&str]); 2] = [("app", &["web", "db", "api"]), ("tier", &["front", "back"])];
const NS_KEYS: [(&str, &[&str]); 2] = [("team", &["a", "b"]), ("env", &["prod", "dev"])];
const NAMED_PORTS: [(&str, u16, &str); 6] = [
    ("http", 80, "TCP"),
    ("http", 8080, "TCP"),
    ("dns", 53, "UDP"),
    ("metrics", 9090, "TCP"),
    ("sctp-x", 132, "SCTP"),
    ("dns", 5353, "TCP"),
];
const CIDRS: [(&str, &[&str]); 6] = [
    ("10.0.0.0/8", &["10.1.0.0/16", "10.2.3.0/24", "10.255.255.255/32"]),
    ("10.1.0.0/16", &["10.1.2.0/24"]),
    ("0.0.0.0/0", &["10.0.0.0/8", "192.168.0.0/16"]),
    ("192.168.1.0/24", &["192.168.1.128/25"]),
    ("fd00::/8", &["fd00:1::/32"]),
    ("255.255.255.255/32", &[]),
];
/// Node addresses of host-network pods: inside, at the edge of and outside the CIDRS.
const NODE_ADDRESSES: [&str; 5] = ["10.1.2.3", "10.3.0.1", "192.168.1.200", "172.16.0.1", "fd00:2::1"];
const PORT_NUMBERS: [u16; 8] = [1, 53, 80, 132, 443, 8080, 9090, 65535];
const PORT_NAMES: [&str; 5] = ["http", "dns", "metrics", "sctp-x", "nope"];

fn labels_from(keys: &[(&str, &[&str])], picks: &[Option<usize>]) -> Value {
    let mut m = serde_json::Map::new();
    for ((k, vals), pick) in keys.iter().zip(picks) {
        if let Some(i) = pick {
            m.insert(k.to_string(), json!(vals[i % vals.len()]));
        }
    }
    Value::Object(m)
}

fn arb_selector(namespace: bool) -> impl Strategy<Value = Value> {
    let keys: &'static [(&'static str, &'static [&'static str])] = if namespace { &NS_KEYS } else { &POD_KEYS };
    let expr_keys: Vec<&'static str> = keys
        .iter()
        .map(|(k, _)| *k)
        .chain(namespace.then_some("kubernetes.io/metadata.name"))
        .collect();
    let all_values: Vec<&'static str> = keys
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .chain(NAMESPACES)
        .collect();
    (
        proptest::collection::vec(proptest::option::of(0usize..3), keys.len()),
        proptest::option::weighted(
            0.4,
            (
                0..expr_keys.len(),
                0usize..4,
                proptest::sample::subsequence(all_values, 1..=2),
            ),
        ),
    )
        .prop_map(move |(picks, expr)| {
            let mut sel = serde_json::Map::new();
            let labels = labels_from(keys, &picks);
            if labels.as_object().is_some_and(|m| !m.is_empty()) {
                sel.insert("matchLabels".into(), labels);
            }
            if let Some((k, op, values)) = expr {
                let op = ["In", "NotIn", "Exists", "DoesNotExist"][op];
                let mut e = json!({"key": expr_keys[k], "operator": op});
                if op == "In" || op == "NotIn" {
                    e["values"] = json!(values);
                }
                sel.insert("matchExpressions".into(), json!([e]));
            }
            Value::Object(sel)
        })
}

fn arb_peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        arb_selector(false).prop_map(|s| json!({"podSelector": s})),
        arb_selector(true).prop_map(|s| json!({"namespaceSelector": s})),
        (arb_selector(false), arb_selector(true)).prop_map(|(p, n)| json!({"podSelector": p, "namespaceSelector": n})),
        (0..CIDRS.len(), proptest::collection::vec(any::<bool>(), 3)).prop_map(|(c, take)| {
            let (cidr, excepts) = CIDRS[c];
            let except: Vec<&str> = excepts.iter().zip(take).filter(|(_, t)| *t).map(|(e, _)| *e).collect();
            if except.is_empty() {
                json!({"ipBlock": {"cidr": cidr}})
            } else {
                json!({"ipBlock": {"cidr": cidr, "except": except}})
            }
        }),
    ]
}

fn arb_port() -> impl Strategy<Value = Value> {
    (
        0usize..4,
        0usize..3,
        0..PORT_NUMBERS.len(),
        0..PORT_NAMES.len(),
        proptest::option::of(0u16..3),
    )
        .prop_map(|(proto, kind, num, name, end)| {
            let mut p = serde_json::Map::new();
            if proto > 0 {
                p.insert("protocol".into(), json!(["TCP", "UDP", "SCTP"][proto - 1]));
            }
            match kind {
                0 => {}
                1 => {
                    let n = PORT_NUMBERS[num];
                    p.insert("port".into(), json!(n));
                    if let Some(e) = end {
                        let end = n.saturating_add([0, 10, 1000][e as usize]);
                        p.insert("endPort".into(), json!(end));
                    }
                }
                _ => {
                    p.insert("port".into(), json!(PORT_NAMES[name]));
                }
            }
            Value::Object(p)
        })
}

fn arb_rules(peer_key: &'static str) -> impl Strategy<Value = Option<Vec<Value>>> {
    proptest::option::of(proptest::collection::vec(
        (
            proptest::option::of(proptest::collection::vec(arb_peer(), 0..3)),
            proptest::option::of(proptest::collection::vec(arb_port(), 0..3)),
        )
            .prop_map(move |(peers, ports)| {
                let mut r = serde_json::Map::new();
                if let Some(p) = peers {
                    r.insert(peer_key.into(), json!(p));
                }
                if let Some(p) = ports {
                    r.insert("ports".into(), json!(p));
                }
                Value::Object(r)
            }),
        0..3,
    ))
}

fn arb_policy() -> impl Strategy<Value = Value> {
    (
        0..NAMESPACES.len(),
        arb_selector(false),
        0usize..4,
        arb_rules("from"),
        arb_rules("to"),
    )
        .prop_map(|(ns, sel, types, ingress, egress)| {
            let mut spec = json!({"podSelector": sel});
            if types > 0 {
                let types: &[&str] = [&["Ingress"][..], &["Egress"], &["Ingress", "Egress"]][types - 1];
                spec["policyTypes"] = json!(types);
            }
            if let Some(i) = ingress {
                spec["ingress"] = json!(i);
            }
            if let Some(e) = egress {
                spec["egress"] = json!(e);
            }
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "p", "namespace": NAMESPACES[ns]}, "spec": spec})
        })
}

/// A peer of an admin policy: `namespaces`, `pods`, and for egress `networks` (CIDRs
/// without except) or `nodes`.
fn arb_admin_peer(egress: bool) -> impl Strategy<Value = Value> {
    let kinds = if egress { 4usize } else { 2 };
    (
        0..kinds,
        arb_selector(true),
        arb_selector(false),
        proptest::sample::subsequence(CIDRS.iter().map(|(c, _)| *c).collect::<Vec<_>>(), 1..=2),
    )
        .prop_map(|(kind, ns, pods, cidrs)| match kind {
            0 => json!({"namespaces": ns}),
            1 => json!({"pods": {"namespaceSelector": ns, "podSelector": pods}}),
            2 => json!({"networks": cidrs}),
            _ => json!({"nodes": {}}),
        })
}

/// Ports of an admin rule, in v1alpha1 (`ports`) or v1alpha2 (`protocols`) shape.
fn arb_admin_ports(v1alpha2: bool) -> impl Strategy<Value = Value> {
    proptest::collection::vec(
        (
            0usize..3,
            0usize..3,
            0..PORT_NUMBERS.len(),
            0..PORT_NAMES.len(),
            1u16..2000,
        ),
        1..3,
    )
    .prop_map(move |ports| {
        let list: Vec<Value> = ports
            .into_iter()
            .map(|(kind, proto, num, name, width)| {
                let n = PORT_NUMBERS[num];
                let end = n.saturating_add(width).max(n.saturating_add(1));
                let (lo, hi) = if n == 65535 { (65534, 65535) } else { (n, end) };
                let protocol = ["TCP", "UDP", "SCTP"][proto];
                match (kind, v1alpha2) {
                    (0, false) => json!({"portNumber": {"protocol": protocol, "port": n}}),
                    (1, false) => json!({"portRange": {"protocol": protocol, "start": lo, "end": hi}}),
                    (_, false) => json!({"namedPort": PORT_NAMES[name]}),
                    (0, true) => json!({(protocol.to_lowercase()): {"destinationPort": {"number": n}}}),
                    (1, true) => {
                        json!({(protocol.to_lowercase()): {"destinationPort": {"range": {"start": lo, "end": hi}}}})
                    }
                    (_, true) => json!({"destinationNamedPort": PORT_NAMES[name]}),
                }
            })
            .collect();
        json!(list)
    })
}

fn arb_admin_rules(
    egress: bool,
    v1alpha2: bool,
    actions: &'static [&'static str],
) -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec(
        (
            0..actions.len(),
            proptest::collection::vec(arb_admin_peer(egress), 1..3),
            proptest::option::of(arb_admin_ports(v1alpha2)),
        )
            .prop_map(move |(action, peers, ports)| {
                // The CEL rule: no named port with networks or nodes peers.
                let non_pod = peers
                    .iter()
                    .any(|p| p.get("networks").is_some() || p.get("nodes").is_some());
                let named = |p: &Value| p.get("namedPort").is_some() || p.get("destinationNamedPort").is_some();
                let ports = ports.filter(|ps| !(non_pod && ps.as_array().is_some_and(|a| a.iter().any(named))));
                let mut r = json!({"action": actions[action], (if egress { "to" } else { "from" }): peers});
                if let Some(p) = ports {
                    r[if v1alpha2 { "protocols" } else { "ports" }] = p;
                }
                r
            }),
        0..3,
    )
}

/// An AdminNetworkPolicy, the BaselineAdminNetworkPolicy, or a ClusterNetworkPolicy of
/// either tier; priorities from a small set so that ties happen.
fn arb_admin_policy() -> impl Strategy<Value = Value> {
    (
        0usize..4,
        0usize..3,
        any::<bool>(),
        arb_selector(true),
        arb_selector(false),
    )
        .prop_flat_map(|(kind, priority, pods_subject, ns, pods)| {
            let v1alpha2 = kind >= 2;
            let actions: &'static [&'static str] = match kind {
                0 => &["Allow", "Deny", "Pass"],
                1 => &["Allow", "Deny"],
                2 => &["Accept", "Deny", "Pass"],
                _ => &["Accept", "Deny"],
            };
            (
                Just((kind, priority, pods_subject, ns, pods)),
                arb_admin_rules(false, v1alpha2, actions),
                arb_admin_rules(true, v1alpha2, actions),
            )
        })
        .prop_map(|((kind, priority, pods_subject, ns, pods), ingress, egress)| {
            let subject = if pods_subject {
                json!({"pods": {"namespaceSelector": ns, "podSelector": pods}})
            } else {
                json!({"namespaces": ns})
            };
            let mut spec = json!({"subject": subject, "ingress": ingress, "egress": egress});
            let (api, kind_name) = match kind {
                0 => ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"),
                1 => ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy"),
                _ => ("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy"),
            };
            if kind != 1 {
                spec["priority"] = json!([1, 2, 5][priority]);
            }
            if kind >= 2 {
                spec["tier"] = json!(if kind == 2 { "Admin" } else { "Baseline" });
            }
            json!({"apiVersion": api, "kind": kind_name, "metadata": {"name": "a"}, "spec": spec})
        })
}

/// A Cilium endpoint selector: pod labels with or without a `k8s:`/`any:` source, and
/// sometimes the namespace (`k8s:io.kubernetes.pod.namespace`) or a namespace label
/// (`io.cilium.k8s.namespace.labels.*`).
fn arb_cilium_selector() -> impl Strategy<Value = Value> {
    (
        arb_selector(false),
        0usize..3,
        0usize..4,
        0..NAMESPACES.len(),
        0..NS_KEYS.len(),
    )
        .prop_map(|(mut sel, prefix, ns, name, ns_key)| {
            let source = ["", "k8s:", "any:"][prefix];
            if let Some(Value::Object(m)) = sel.get_mut("matchLabels") {
                let taken = std::mem::take(m);
                for (k, v) in taken {
                    m.insert(format!("{source}{k}"), v);
                }
            }
            match ns {
                1 => {
                    let labels = sel.as_object_mut().map(|o| o.entry("matchLabels").or_insert(json!({})));
                    if let Some(l) = labels {
                        l["k8s:io.kubernetes.pod.namespace"] = json!(NAMESPACES[name]);
                    }
                }
                2 => {
                    let (k, vals) = NS_KEYS[ns_key];
                    let labels = sel.as_object_mut().map(|o| o.entry("matchLabels").or_insert(json!({})));
                    if let Some(l) = labels {
                        l[format!("io.cilium.k8s.namespace.labels.{k}")] = json!(vals[name % vals.len()]);
                    }
                }
                _ => {}
            }
            sel
        })
}

/// `toPorts` of a Cilium rule: numbers, ranges, names, port 0, protocols and ANY, and
/// sometimes HTTP rules (which never change the ports; connlist marks the lines).
fn arb_cilium_ports() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(
            (
                0usize..5,
                0usize..4,
                0..PORT_NUMBERS.len(),
                0..PORT_NAMES.len(),
                proptest::option::of(0u16..3),
            ),
            0..3,
        ),
        proptest::option::of(0usize..3),
    )
        .prop_map(|(ports, http)| {
            // Cilium takes layer 7 rules on TCP ports other than 0 only.
            let l7_ok = !ports.is_empty() && ports.iter().all(|&(proto, kind, ..)| proto == 1 && kind != 0);
            let list: Vec<Value> = ports
                .into_iter()
                .map(|(proto, kind, num, name, end)| {
                    let mut p = serde_json::Map::new();
                    if proto > 0 {
                        p.insert("protocol".into(), json!(["TCP", "UDP", "SCTP", "ANY"][proto - 1]));
                    }
                    let n = PORT_NUMBERS[num];
                    match kind {
                        0 => {
                            p.insert("port".into(), json!("0"));
                        }
                        1 => {
                            p.insert("port".into(), json!(PORT_NAMES[name]));
                        }
                        _ => {
                            p.insert("port".into(), json!(n.to_string()));
                            if let Some(e) = end {
                                p.insert("endPort".into(), json!(n.saturating_add([0, 10, 1000][e as usize])));
                            }
                        }
                    }
                    Value::Object(p)
                })
                .collect();
            match http {
                Some(h) if l7_ok => {
                    let rules = [
                        json!([{"method": "GET"}]),
                        json!([{"path": "/api/.*"}, {"method": "POST", "path": "/a"}]),
                        json!([{}]),
                    ];
                    json!([{ "ports": list, "rules": {"http": rules[h]} }])
                }
                _ => json!([{ "ports": list }]),
            }
        })
}

/// A Cilium rule: one kind of peer (or none) and maybe ports.
fn arb_cilium_rule(egress: bool) -> impl Strategy<Value = Value> {
    (
        0usize..7,
        proptest::collection::vec(arb_cilium_selector(), 1..3),
        0..CIDRS.len(),
        proptest::collection::vec(any::<bool>(), 3),
        proptest::sample::subsequence(vec!["world", "cluster", "all", "host", "kube-apiserver"], 1..=2),
        proptest::option::of(arb_cilium_ports()),
    )
        .prop_map(move |(l3, sels, c, take, entities, ports)| {
            let dir = if egress { "to" } else { "from" };
            let (cidr, excepts) = CIDRS[c];
            let except: Vec<&str> = excepts.iter().zip(take).filter(|(_, t)| *t).map(|(e, _)| *e).collect();
            let mut r = match l3 {
                0 => json!({}),
                1 | 2 => json!({ (format!("{dir}Endpoints")): sels }),
                3 => json!({ (format!("{dir}CIDR")): [cidr] }),
                4 => json!({ (format!("{dir}CIDRSet")): [{"cidr": cidr, "except": except}] }),
                // FQDN destinations (`fqdn:<name>` lines, which the streamed and the whole
                // list must both hold): a pattern and a name it covers.
                6 if egress => {
                    json!({ "toFQDNs": [{"matchName": "api.example.com"}, {"matchPattern": "*.example.com"}] })
                }
                _ => json!({ (format!("{dir}Entities")): entities }),
            };
            if let Some(p) = ports {
                r["toPorts"] = p;
            }
            r
        })
}

/// A CiliumNetworkPolicy in a random namespace or a CiliumClusterwideNetworkPolicy, with
/// allow and deny sections and sometimes `enableDefaultDeny` set.
fn arb_cilium_policy() -> impl Strategy<Value = Value> {
    let section = |egress: bool| proptest::option::of(proptest::collection::vec(arb_cilium_rule(egress), 0..3));
    (
        any::<bool>(),
        0..NAMESPACES.len(),
        arb_cilium_selector(),
        (section(false), section(false), section(true), section(true)),
        (proptest::option::of(any::<bool>()), proptest::option::of(any::<bool>())),
    )
        .prop_map(
            |(clusterwide, ns, sel, (ingress, ingress_deny, egress, egress_deny), (dd_in, dd_eg))| {
                let mut spec = json!({"endpointSelector": sel});
                for (key, rules) in [
                    ("ingress", ingress),
                    ("ingressDeny", ingress_deny),
                    ("egress", egress),
                    ("egressDeny", egress_deny),
                ] {
                    if let Some(r) = rules {
                        spec[key] = json!(r);
                    }
                }
                if dd_in.is_some() || dd_eg.is_some() {
                    let mut dd = serde_json::Map::new();
                    if let Some(b) = dd_in {
                        dd.insert("ingress".into(), json!(b));
                    }
                    if let Some(b) = dd_eg {
                        dd.insert("egress".into(), json!(b));
                    }
                    spec["enableDefaultDeny"] = Value::Object(dd);
                }
                let kind = if clusterwide {
                    "CiliumClusterwideNetworkPolicy"
                } else {
                    "CiliumNetworkPolicy"
                };
                let mut meta = json!({"name": "c"});
                if !clusterwide {
                    meta["namespace"] = json!(NAMESPACES[ns]);
                }
                json!({"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta, "spec": spec})
            },
        )
}

fn arb_cluster() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(proptest::collection::vec(proptest::option::of(0usize..2), 2), 3),
        proptest::collection::vec(
            (
                0..NAMESPACES.len(),
                proptest::collection::vec(proptest::option::of(0usize..3), 2),
                proptest::sample::subsequence(NAMED_PORTS.to_vec(), 0..=3),
                // Mostly pod-network pods; some on the host network, on a node whose
                // address is given (status.hostIP) or not.
                proptest::option::weighted(0.2, proptest::option::of(0..NODE_ADDRESSES.len())),
            ),
            1..6,
        ),
        proptest::collection::vec(arb_policy(), 0..5),
        proptest::collection::vec(arb_admin_policy(), 0..3),
        proptest::option::weighted(0.5, calico_gen::arb_calico_docs()),
        proptest::collection::vec(arb_cilium_policy(), 0..3),
    )
        .prop_map(|(ns_labels, workloads, policies, admin, calico, cilium)| {
            let mut docs = Vec::new();
            for (i, picks) in ns_labels.iter().enumerate() {
                docs.push(json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": NAMESPACES[i], "labels": labels_from(&NS_KEYS, picks)}}));
            }
            for (i, (ns, picks, ports, host)) in workloads.iter().enumerate() {
                let ports: Vec<Value> = ports
                    .iter()
                    .map(|(n, p, proto)| json!({"name": n, "containerPort": p, "protocol": proto}))
                    .collect();
                let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("w{i}"), "namespace": NAMESPACES[*ns], "labels": labels_from(&POD_KEYS, picks)},
                    "spec": {"containers": [{"name": "c", "image": "nginx", "ports": ports}]}});
                if let Some(address) = host {
                    pod["spec"]["hostNetwork"] = json!(true);
                    if let Some(a) = address {
                        pod["status"] = json!({"phase": "Running", "hostIP": NODE_ADDRESSES[*a]});
                    }
                }
                docs.push(pod);
            }
            for (i, mut p) in policies.into_iter().enumerate() {
                p["metadata"]["name"] = json!(format!("p{i}"));
                docs.push(p);
            }
            for (i, mut p) in admin.into_iter().enumerate() {
                if p["kind"] != "BaselineAdminNetworkPolicy" {
                    p["metadata"]["name"] = json!(format!("a{i}"));
                } else {
                    p["metadata"]["name"] = json!("default");
                }
                docs.push(p);
            }
            docs.extend(calico.into_iter().flatten());
            for (i, mut p) in cilium.into_iter().enumerate() {
                p["metadata"]["name"] = json!(format!("c{i}"));
                docs.push(p);
            }
            docs.iter()
                .map(|d| serde_yaml::to_string(d).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("---\n")
        })
}

/// Ports where any allowed set can change: every number in the input, ±1, and the ends.
fn probe_ports(yaml: &str) -> BTreeSet<u16> {
    let mut ports = BTreeSet::from([1, 2, 65534, 65535]);
    let nums: Vec<u16> = PORT_NUMBERS
        .iter()
        .copied()
        .chain(NAMED_PORTS.iter().map(|p| p.1))
        .collect();
    for n in nums.iter().chain(&[10, 11, 90, 91, 1000, 1001]) {
        for extra in [0u16, 10, 1000] {
            let base = n.saturating_add(extra);
            ports.extend([base.saturating_sub(1).max(1), base, base.saturating_add(1)]);
        }
    }
    let _ = yaml;
    ports
}

fn probe_ips(scenario: &netplay_core::Scenario) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = ["0.0.0.0", "255.255.255.255", "8.8.8.8", "::", "2001:db8::1", "ffff::1"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    for p in &scenario.cluster.policies {
        for rule in p.ingress.iter().chain(&p.egress).flatten() {
            for peer in rule.peers.iter().flatten() {
                let nets: Vec<&ipnet::IpNet> = match &peer.kind {
                    PeerKind::IpBlock { cidr, except } => std::iter::once(cidr).chain(except).collect(),
                    PeerKind::Calico(m) => m
                        .nets
                        .iter()
                        .flatten()
                        .chain(&m.not_nets)
                        .chain(m.selected_sets.iter().flatten().flat_map(|s| &s.nets))
                        .chain(m.not_selected_sets.iter().flat_map(|s| &s.nets))
                        .collect(),
                    _ => Vec::new(),
                };
                {
                    for net in nets {
                        let set = AddrSet::from_net(net);
                        for &(lo, hi) in set.v4.ranges() {
                            for v in [lo.saturating_sub(1), lo, hi, hi.saturating_add(1)] {
                                ips.push(IpAddr::V4(v.into()));
                            }
                        }
                        for &(lo, hi) in set.v6.ranges() {
                            for v in [lo.saturating_sub(1), lo, hi, hi.saturating_add(1)] {
                                ips.push(IpAddr::V6(v.into()));
                            }
                        }
                    }
                }
            }
        }
    }
    ips
}

fn check_cluster(yaml: &str) -> Result<(), TestCaseError> {
    let scenario = load(&[SourceFile::new("random.yaml", yaml)]);
    let errors: Vec<_> = scenario
        .diagnostics
        .iter()
        .filter(|d| d.severity == netplay_core::Severity::Error)
        .collect();
    prop_assert!(errors.is_empty(), "generator made invalid input: {errors:?}\n{yaml}");
    let cluster = &scenario.cluster;
    let engine = Engine::new(cluster);
    let ports = probe_ports(yaml);
    let n = cluster.workloads.len();
    for s in 0..n {
        for d in 0..n {
            let fast = engine.workload_conn(s, d);
            let (ws, wd) = (&cluster.workloads[s], &cluster.workloads[d]);
            for proto in Protocol::ALL {
                for &port in &ports {
                    let reference = allowed(cluster, Party::Pod(ws), Party::Pod(wd), proto.as_str(), port);
                    prop_assert_eq!(
                        fast.contains(proto, port),
                        reference,
                        "{} => {} {} {}: fast {} \n{}",
                        ws.endpoint_name(),
                        wd.endpoint_name(),
                        proto,
                        port,
                        fast,
                        yaml
                    );
                }
            }
            let explained = scenario.explain(Target::Workload(s), Target::Workload(d), None);
            prop_assert_eq!(&explained.allowed, &fast, "explain disagrees\n{}", yaml);
        }
    }
    let ips = probe_ips(&scenario);
    for w in 0..n {
        let wl = &cluster.workloads[w];
        for &ip in &ips {
            let out = engine.conn_to_ip(w, ip);
            let inn = engine.conn_from_ip(ip, w);
            for proto in Protocol::ALL {
                for &port in &ports {
                    let r_out = allowed(cluster, Party::Pod(wl), Party::Ip(ip), proto.as_str(), port);
                    let r_in = allowed(cluster, Party::Ip(ip), Party::Pod(wl), proto.as_str(), port);
                    prop_assert_eq!(
                        out.contains(proto, port),
                        r_out,
                        "{} => {} {} {}\n{}",
                        wl.endpoint_name(),
                        ip,
                        proto,
                        port,
                        yaml
                    );
                    prop_assert_eq!(
                        inn.contains(proto, port),
                        r_in,
                        "{} => {} {} {}\n{}",
                        ip,
                        wl.endpoint_name(),
                        proto,
                        port,
                        yaml
                    );
                }
            }
            let explained = scenario.explain(Target::Workload(w), Target::Ip(ip), None);
            prop_assert_eq!(&explained.allowed, &out, "explain to {} disagrees\n{}", ip, yaml);
            let explained = scenario.explain(Target::Ip(ip), Target::Workload(w), None);
            prop_assert_eq!(&explained.allowed, &inn, "explain from {} disagrees\n{}", ip, yaml);
        }
    }
    // The printed list says exactly what the engine computes.
    let lines = scenario.connlist();
    let mut pairs_seen = 0;
    for line in &lines {
        let conn = ConnSet::parse(&line.conn).expect("printed connection parses");
        prop_assert!(!conn.is_empty());
        if line.dst.starts_with("fqdn:") {
            // An FQDN destination (Cilium toFQDNs): what explain's walk allows to it.
            let explained = scenario
                .explain_names(&line.src, &line.dst, None)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&explained.allowed, &conn, "{}\n{}", line, yaml);
            continue;
        }
        let src = scenario
            .target(&line.src)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dst = scenario
            .target(&line.dst)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        match (src, dst) {
            (Target::Workload(s), Target::Workload(d)) => {
                prop_assert!(s != d, "self-connection printed");
                prop_assert_eq!(&engine.workload_conn(s, d), &conn);
                pairs_seen += 1;
            }
            (Target::Workload(s), Target::Ip(_)) => {
                let range = line.dst.trim_end_matches("[External]");
                for ip in range.split('-').filter_map(|a| a.parse::<IpAddr>().ok()) {
                    prop_assert_eq!(&engine.conn_to_ip(s, ip), &conn, "{}", line);
                }
            }
            (Target::Ip(_), Target::Workload(d)) => {
                let range = line.src.trim_end_matches("[External]");
                for ip in range.split('-').filter_map(|a| a.parse::<IpAddr>().ok()) {
                    prop_assert_eq!(&engine.conn_from_ip(ip, d), &conn, "{}", line);
                }
            }
            _ => prop_assert!(false, "external to external printed: {}", line),
        }
    }
    let expected_pairs = (0..n)
        .flat_map(|s| (0..n).map(move |d| (s, d)))
        .filter(|&(s, d)| s != d && !engine.workload_conn(s, d).is_empty())
        .count();
    prop_assert_eq!(pairs_seen, expected_pairs);
    check_incremental(cluster, &ips, yaml)
}

/// Editing one policy and re-evaluating incrementally gives exactly what evaluating the
/// edited cluster from scratch gives; and so does editing it back.
fn check_incremental(cluster: &netplay_core::Cluster, ips: &[IpAddr], yaml: &str) -> Result<(), TestCaseError> {
    let policies = cluster.policies.len();
    for k in 0..policies.min(3) {
        let mut edited = cluster.clone();
        // The edit: the next policy's content (selectors, directions, rules) in place of
        // this one, or for a lone policy, the same policy selecting its whole namespace.
        if policies > 1 {
            edited.policies[k] = cluster.policies[(k + 1) % policies].clone();
        } else {
            edited.policies[k].pod_selector = Default::default();
        }
        let incremental = Engine::new(cluster).update_policy(&edited, k);
        same_answers(&incremental, &Engine::new(&edited), ips, yaml)?;
        let back = incremental.update_policy(cluster, k);
        same_answers(&back, &Engine::new(cluster), ips, yaml)?;
    }
    Ok(())
}

fn same_answers(incremental: &Engine, scratch: &Engine, ips: &[IpAddr], yaml: &str) -> Result<(), TestCaseError> {
    let n = scratch.cluster().workloads.len();
    for s in 0..n {
        for d in 0..n {
            prop_assert_eq!(
                incremental.workload_conn(s, d),
                scratch.workload_conn(s, d),
                "incremental {} => {}\n{}",
                s,
                d,
                yaml
            );
        }
        for &ip in ips {
            prop_assert_eq!(
                incremental.conn_to_ip(s, ip),
                scratch.conn_to_ip(s, ip),
                "{} => {}\n{}",
                s,
                ip,
                yaml
            );
            prop_assert_eq!(
                incremental.conn_from_ip(ip, s),
                scratch.conn_from_ip(ip, s),
                "{} => {}\n{}",
                ip,
                s,
                yaml
            );
            prop_assert_eq!(incremental.conn_from_unknown_pod(s), scratch.conn_from_unknown_pod(s));
        }
    }
    let listed = |e: &Engine| {
        let mut v: Vec<String> = e.connections().iter().map(|c| format!("{c:?}")).collect();
        v.sort();
        v
    };
    prop_assert_eq!(
        listed(incremental),
        listed(scratch),
        "incremental connection list\n{}",
        yaml
    );
    prop_assert_eq!(incremental.connection_count(), scratch.connection_count());
    Ok(())
}

/// The streamed connection list (`Scenario::connlist_rows` written by
/// `output::write_connlist`, what the CLI prints) gives the same bytes as the whole list
/// sorted and rendered at once, in every format and for every focus.
fn check_streaming(yaml: &str) -> Result<(), TestCaseError> {
    let scenario = load(&[SourceFile::new("random.yaml", yaml)]);
    let whole = scenario.connlist();
    let streamed = |focus: &Focus, format: Format| -> Result<String, TestCaseError> {
        let mut rows = scenario
            .connlist_rows(focus)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut out = Vec::new();
        output::write_connlist(&mut rows, format, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))
    };
    // Natively, pieces of sources are computed on every core and written in order: with
    // one, two or three sources a piece, boundaries fall everywhere.
    let in_pieces = |sources: usize, focus: &Focus, format: Format| -> Result<String, TestCaseError> {
        let mut rows = scenario
            .connlist_rows(focus)
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .with_piece_sources(sources);
        let mut out = Vec::new();
        output::write_connlist(&mut rows, format, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))
    };
    for format in [Format::Txt, Format::Json, Format::Csv, Format::Md, Format::Dot] {
        let expected = render_connlist(&whole, format);
        prop_assert_eq!(&streamed(&Focus::All, format)?, &expected, "{:?}\n{}", format, yaml);
        for sources in 1..=3 {
            prop_assert_eq!(
                &in_pieces(sources, &Focus::All, format)?,
                &expected,
                "{:?}, {} sources a piece\n{}",
                format,
                sources,
                yaml
            );
        }
    }
    // JSON as serde_json lays it out, independently of the writer.
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        connections: &'a [ConnLine],
    }
    let json =
        serde_json::to_string_pretty(&Doc { connections: &whole }).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(streamed(&Focus::All, Format::Json)?, json + "\n");

    let focused = |keep: &dyn Fn(&str) -> bool| -> Vec<ConnLine> {
        whole.iter().filter(|l| keep(&l.src) || keep(&l.dst)).cloned().collect()
    };
    for w in &scenario.cluster.workloads {
        let name = w.endpoint_name();
        let expected = focused(&|e| e == name);
        let focus = Focus::Workload(name.clone());
        prop_assert_eq!(
            &scenario
                .connlist_focused(&name)
                .map_err(|e| TestCaseError::fail(e.to_string()))?,
            &expected
        );
        for format in [Format::Txt, Format::Dot] {
            prop_assert_eq!(
                streamed(&focus, format)?,
                render_connlist(&expected, format),
                "{}\n{}",
                name,
                yaml
            );
        }
        prop_assert_eq!(
            in_pieces(1, &focus, Format::Json)?,
            render_connlist(&expected, Format::Json),
            "{} in pieces\n{}",
            name,
            yaml
        );
    }
    for ns in NAMESPACES {
        let prefix = format!("{ns}/");
        let expected = focused(&|e| e.starts_with(&prefix));
        prop_assert_eq!(
            streamed(&Focus::Namespace(ns.to_string()), Format::Txt)?,
            render_connlist(&expected, Format::Txt),
            "namespace {}\n{}",
            ns,
            yaml
        );
    }
    Ok(())
}

/// A random cluster, sometimes with an Ingress (lines from `{ingress-controller}`) and
/// sometimes with a workload copied under every name (classes of several workloads).
fn arb_cluster_for_streaming() -> impl Strategy<Value = String> {
    (arb_cluster(), 0..3usize, any::<bool>()).prop_map(|(yaml, ingress, copies)| {
        let mut docs = vec![yaml.clone()];
        if copies {
            let pods = yaml.split("---\n").filter(|d| d.contains("kind: Pod"));
            docs.extend(pods.map(|d| d.replace("name: w", "name: copy-of-w")));
        }
        if ingress > 0 {
            docs.push(
                serde_yaml::to_string(&json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": "web", "namespace": "x"},
                    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}}))
                .unwrap_or_default(),
            );
            docs.push(
                serde_yaml::to_string(&json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": "web", "namespace": "x"},
                    "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}))
                .unwrap_or_default(),
            );
        }
        if ingress > 1 {
            docs.push(
                serde_yaml::to_string(&json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "ingress-nginx-controller", "namespace": "y",
                        "labels": {"app.kubernetes.io/name": "ingress-nginx"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
                .unwrap_or_default(),
            );
        }
        docs.join("---\n")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(256, 2000), ..ProptestConfig::default() })]

    #[test]
    fn fast_engine_reference_and_explanations_agree(yaml in arb_cluster()) {
        check_cluster(&yaml)?;
    }

    #[test]
    fn streamed_connlist_equals_the_whole_list(yaml in arb_cluster_for_streaming()) {
        check_streaming(&yaml)?;
    }
}
