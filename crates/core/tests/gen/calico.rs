//! Random Calico objects for the agreement property test: tiers (before the admin tier,
//! between it and the default tier, after everything; end-of-tier Deny or Pass),
//! GlobalNetworkSets and NetworkSets, and NetworkPolicy / GlobalNetworkPolicy with
//! orders that tie, every selector operator, every action, protocols and notProtocol,
//! ports, ranges, named ports and notPorts, nets and notNets, namespaceSelector
//! (`global()` too) and serviceAccounts.

use proptest::prelude::*;
use serde_json::{json, Value};

const NAMESPACES: [&str; 3] = ["x", "y", "z"];
const PORTS: [&str; 6] = ["80", "53", "8000:8080", "http", "dns", "1:1000"];
const NETS: [&str; 5] = ["10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24", "0.0.0.0/0", "8.8.8.8"];

/// A pod (or network set) selector: an atom, or two joined, maybe negated.
pub fn arb_pod_selector() -> impl Strategy<Value = String> {
    let atoms: Vec<&'static str> = vec![
        "app == 'web'",
        "app != 'db'",
        "has(tier)",
        "!has(app)",
        "app in {'web', 'api'}",
        "tier not in {'front'}",
        "app starts with 'w'",
        "app ends with 'pi'",
        "tier contains 'ac'",
        "all()",
        "projectcalico.org/namespace == 'x'",
        "pcns.team == 'a'",
        "projectcalico.org/serviceaccount == 'default'",
        "role == 'ext'",
        "role in {'corp'}",
    ];
    let atom = proptest::sample::select(atoms);
    (atom.clone(), atom, 0usize..5).prop_map(|(a, b, how)| match how {
        0 | 1 => a.to_string(),
        2 => format!("{a} && {b}"),
        3 => format!("({a}) || {b}"),
        _ => format!("!({a} && {b})"),
    })
}

fn arb_namespace_selector() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "all()",
        "team == 'a'",
        "env != 'prod'",
        "projectcalico.org/name == 'y'",
        "global()",
        "has(team) || global()",
    ])
    .prop_map(str::to_string)
}

fn arb_entity(peer: bool) -> impl Strategy<Value = Value> {
    (
        proptest::option::of(arb_pod_selector()),
        proptest::option::weighted(0.2, arb_pod_selector()),
        proptest::option::weighted(0.3, arb_namespace_selector()),
        proptest::option::weighted(0.2, proptest::sample::subsequence(NETS.to_vec(), 1..=2)),
        proptest::option::weighted(0.2, proptest::sample::subsequence(NETS.to_vec(), 1..=2)),
        proptest::option::weighted(0.15, 0usize..3),
    )
        .prop_map(move |(sel, not_sel, ns, nets, not_nets, sa)| {
            let mut e = json!({});
            if !peer {
                return e;
            }
            if let Some(s) = sel {
                e["selector"] = json!(s);
            }
            if let Some(s) = not_sel {
                e["notSelector"] = json!(s);
            }
            if let Some(s) = ns {
                e["namespaceSelector"] = json!(s);
            }
            if let Some(n) = nets {
                e["nets"] = json!(n);
            }
            if let Some(n) = not_nets {
                e["notNets"] = json!(n);
            }
            if let Some(sa) = sa {
                e["serviceAccounts"] = match sa {
                    0 => json!({"names": ["default"]}),
                    1 => json!({"names": ["other"]}),
                    _ => json!({"selector": "projectcalico.org/name == 'default'"}),
                };
            }
            e
        })
}

fn arb_rule(ingress: bool) -> impl Strategy<Value = Value> {
    (
        0usize..5,
        0usize..6,
        proptest::option::weighted(0.15, 0usize..3),
        arb_entity(true),
        proptest::option::weighted(0.5, proptest::sample::subsequence(PORTS.to_vec(), 1..=2)),
        proptest::option::weighted(0.2, proptest::sample::subsequence(PORTS.to_vec(), 1..=2)),
    )
        .prop_map(move |(action, protocol, not_protocol, peer, ports, not_ports)| {
            let action = ["Allow", "Deny", "Pass", "Log", "Allow"][action];
            let mut r = json!({"action": action});
            let protocol = [None, Some("TCP"), Some("UDP"), Some("ICMP"), Some("SCTP"), Some("TCP")][protocol];
            if let Some(p) = protocol {
                r["protocol"] = json!(p);
            }
            if let Some(np) = not_protocol {
                let np = ["TCP", "UDP", "SCTP"][np];
                r["notProtocol"] = json!(np);
            }
            let mut dst = json!({});
            if matches!(protocol, Some("TCP" | "UDP" | "SCTP")) {
                let port = |p: &str| p.parse::<u16>().map_or(json!(p), |n| json!(n));
                if let Some(ps) = ports {
                    dst["ports"] = json!(ps.iter().map(|p| port(p)).collect::<Vec<_>>());
                }
                if let Some(ps) = not_ports {
                    dst["notPorts"] = json!(ps.iter().map(|p| port(p)).collect::<Vec<_>>());
                }
            }
            if ingress {
                r["source"] = peer;
                if dst != json!({}) {
                    r["destination"] = dst;
                }
            } else {
                for (k, v) in dst.as_object().cloned().unwrap_or_default() {
                    let mut peer = peer.clone();
                    peer[k] = v;
                    r["destination"] = peer;
                }
                if r.get("destination").is_none() {
                    r["destination"] = peer;
                }
            }
            r
        })
}

/// A NetworkPolicy or GlobalNetworkPolicy in one of the tiers.
fn arb_policy() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        0..NAMESPACES.len(),
        0usize..3,
        0usize..4,
        arb_pod_selector(),
        0usize..4,
        proptest::collection::vec(arb_rule(true), 0..3),
        proptest::collection::vec(arb_rule(false), 0..3),
    )
        .prop_map(|(global, ns, tier, order, selector, types, ingress, egress)| {
            let mut spec = json!({"selector": selector, "ingress": ingress, "egress": egress});
            if tier > 0 {
                let tier = ["default", "t1", "t2"][tier];
                spec["tier"] = json!(tier);
            }
            if let Some(o) = [None, Some(10.0), Some(100.5), Some(1000.0)][order] {
                spec["order"] = json!(o);
            }
            if types > 0 {
                let types: &[&str] = [&["Ingress"][..], &["Egress"], &["Ingress", "Egress"]][types - 1];
                spec["types"] = json!(types);
            }
            let mut meta = json!({"name": "c"});
            if global {
                if ns == 0 {
                    spec["namespaceSelector"] = json!("team == 'a' || projectcalico.org/name == 'z'");
                }
            } else {
                meta["namespace"] = json!(NAMESPACES[ns]);
            }
            let kind = if global { "GlobalNetworkPolicy" } else { "NetworkPolicy" };
            json!({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec})
        })
}

/// Two tiers, network sets and up to four Calico policies.
pub fn arb_calico_docs() -> impl Strategy<Value = Vec<Value>> {
    (
        proptest::sample::select(vec![None, Some(50.0), Some(500.0), Some(2_000_000.0), Some(20_000_000.0)]),
        proptest::sample::select(vec![None, Some(50.0), Some(500.0), Some(2_000_000.0)]),
        any::<(bool, bool)>(),
        proptest::collection::vec((0usize..2, proptest::sample::subsequence(NETS.to_vec(), 1..=2), 0usize..3), 0..3),
        proptest::collection::vec(arb_policy(), 0..5),
    )
        .prop_map(|(o1, o2, (pass1, pass2), sets, policies)| {
            let mut docs = Vec::new();
            for (name, order, pass) in [("t1", o1, pass1), ("t2", o2, pass2)] {
                let mut spec = json!({});
                if let Some(o) = order {
                    spec["order"] = json!(o);
                }
                if pass {
                    spec["defaultAction"] = json!("Pass");
                }
                docs.push(json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name}, "spec": spec}));
            }
            for (i, (role, nets, ns)) in sets.into_iter().enumerate() {
                let role = ["ext", "corp"][role];
                let labels = json!({ "role": role });
                let doc = match ns {
                    0 => json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
                                "metadata": {"name": format!("s{i}"), "labels": labels}, "spec": {"nets": nets}}),
                    n => json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
                                "metadata": {"name": format!("s{i}"), "namespace": NAMESPACES[n], "labels": labels},
                                "spec": {"nets": nets}}),
                };
                docs.push(doc);
            }
            for (i, mut p) in policies.into_iter().enumerate() {
                p["metadata"]["name"] = json!(format!("c{i}"));
                docs.push(p);
            }
            docs
        })
}
