//! NP2004: NetworkPolicies that cut the mesh's own traffic. A sidecar (or gateway proxy)
//! gets its certificate and its whole configuration from istiod on TCP 15012; istiod's
//! injection webhook is called by the API server on TCP 15017. When an egress policy of a
//! meshed workload, or an ingress policy of istiod, does not allow these, pods start with
//! a proxy that never becomes ready, or are created without one.

use super::{names_text, Ctx};
use crate::conn::Protocol;
use crate::diagnostics::Diagnostic;
use crate::mesh::ROOT_NAMESPACE;
use crate::model::{ContainerPort, Labels, Workload, NAMESPACE_NAME_LABEL};
use crate::policy::{PeerKind, Policy, Rule, Tier};
use ipnet::IpNet;

/// istiod's xDS and certificate port (sidecars connect to it).
const XDS: u16 = 15012;
/// istiod's injection and validation webhook port (the API server connects to it).
const WEBHOOK: u16 = 15017;

/// An istiod pod as a NetworkPolicy sees it.
struct Istiod {
    ns_labels: Labels,
    labels: Labels,
    ports: Vec<ContainerPort>,
    namespace: String,
}

fn istiods(ctx: &Ctx) -> (Vec<Istiod>, Vec<usize>) {
    let is_istiod = |w: &Workload| {
        w.namespace == ROOT_NAMESPACE
            && (w.labels.get("app").is_some_and(|v| v == "istiod")
                || w.labels.get("istio").is_some_and(|v| v == "pilot"))
    };
    let real: Vec<usize> = ctx.workloads().filter(|(_, w)| is_istiod(w)).map(|(i, _)| i).collect();
    let ns_labels = ctx.cluster.namespace(ROOT_NAMESPACE).map_or_else(
        || Labels::from([(NAMESPACE_NAME_LABEL.to_string(), ROOT_NAMESPACE.to_string())]),
        |n| n.labels.clone(),
    );
    let port = |p: u16, name: &str| ContainerPort {
        name: Some(name.to_string()),
        port: p,
        protocol: Protocol::Tcp,
    };
    let default_ports = vec![
        port(15010, "grpc-xds"),
        port(XDS, "tls-xds"),
        port(15014, "http-monitoring"),
        port(WEBHOOK, "https-webhooks"),
    ];
    let list = if real.is_empty() {
        vec![Istiod {
            ns_labels,
            labels: Labels::from([
                ("app".to_string(), "istiod".to_string()),
                ("istio".to_string(), "pilot".to_string()),
            ]),
            ports: default_ports,
            namespace: ROOT_NAMESPACE.to_string(),
        }]
    } else {
        real.iter()
            .filter_map(|&i| ctx.cluster.workloads.get(i))
            .map(|w| Istiod {
                ns_labels: ns_labels.clone(),
                labels: w.labels.clone(),
                ports: if w.ports.iter().any(|p| p.port == XDS) {
                    w.ports.clone()
                } else {
                    let mut p = w.ports.clone();
                    p.extend(default_ports.iter().cloned());
                    p
                },
                namespace: w.namespace.clone(),
            })
            .collect()
    };
    (list, real)
}

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let meshed: Vec<usize> = ctx.workloads().filter(|(i, _)| ctx.proxy(*i)).map(|(i, _)| i).collect();
    if meshed.is_empty() || ctx.cluster.policies.is_empty() {
        return;
    }
    let (istiod, real) = istiods(ctx);
    sidecar_egress(ctx, &meshed, &istiod, out);
    for &i in &real {
        if let Some(w) = ctx.cluster.workloads.get(i) {
            istiod_ingress(ctx, w, &meshed, out);
        }
    }
}

/// The policies that isolate `w` in a direction (egress when `egress`).
fn isolating<'c>(ctx: &Ctx<'c>, w: &Workload, egress: bool) -> Vec<&'c Policy> {
    ctx.cluster
        .policies
        .iter()
        .filter(|p| {
            // The isolation tier isolates: NetworkPolicy and Cilium's allow rules.
            p.tier == Tier::NetworkPolicy
                && p.selects(&w.namespace, ctx.cluster.namespace_labels(&w.namespace), &w.labels)
                && if egress {
                    p.egress.is_some()
                } else {
                    p.ingress.is_some()
                }
        })
        .collect()
}

/// The address ranges pod networks are usually taken from (RFC 1918, RFC 6598, IPv6 ULA).
const POD_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// Whether an ipBlock may cover pod addresses: pod IPs are not modelled, so a block that
/// overlaps a private range is assumed to (no warning), a public one is not.
fn may_cover_pods(cidr: &IpNet) -> bool {
    POD_RANGES
        .iter()
        .filter_map(|r| r.parse::<IpNet>().ok())
        .any(|r| r.contains(cidr) || cidr.contains(&r))
}

/// Whether a rule of `policy` admits a pod with these namespace and pod labels. With
/// `ip` set, an ipBlock counts when `ip` accepts its CIDR.
fn peer_ok(policy: &Policy, rule: &Rule, ns_labels: &Labels, labels: &Labels, ip: Option<fn(&IpNet) -> bool>) -> bool {
    match &rule.peers {
        None => true,
        Some(peers) => peers.iter().any(|peer| match &peer.kind {
            PeerKind::IpBlock { cidr, .. } => ip.is_some_and(|f| f(cidr)),
            PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } => false,
            PeerKind::Calico(_) => {
                let ns = ns_labels.get(NAMESPACE_NAME_LABEL).map_or("", String::as_str);
                peer.kind.matches_pod(&policy.namespace, ns, ns_labels, labels)
            }
            PeerKind::Pods { pods, namespaces } => {
                let ns_ok = match namespaces {
                    None => ns_labels.get(NAMESPACE_NAME_LABEL) == Some(&policy.namespace),
                    Some(sel) => sel.matches(ns_labels),
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(labels))
            }
        }),
    }
}

/// Meshed workloads whose egress is isolated and does not reach istiod on TCP 15012,
/// reported once per isolating policy (the first one of each workload).
fn sidecar_egress(ctx: &Ctx, meshed: &[usize], istiod: &[Istiod], out: &mut Vec<Diagnostic>) {
    let mut found: Vec<(&Policy, Vec<String>)> = Vec::new();
    for &i in meshed {
        let Some(w) = ctx.cluster.workloads.get(i) else {
            continue;
        };
        let policies = isolating(ctx, w, true);
        let Some(first) = policies.first() else { continue };
        // Cilium policies that do not isolate still add their allows.
        let additive = ctx.cluster.policies.iter().filter(|p| {
            p.tier == Tier::CiliumNoDefaultDeny
                && p.selects(&w.namespace, ctx.cluster.namespace_labels(&w.namespace), &w.labels)
        });
        let reaches = policies.iter().copied().chain(additive).any(|p| {
            p.egress.iter().flatten().any(|rule| {
                istiod.iter().any(|d| {
                    peer_ok(p, rule, &d.ns_labels, &d.labels, Some(may_cover_pods))
                        && rule.conn_for(Some(&d.ports)).contains(Protocol::Tcp, XDS)
                })
            })
        });
        if reaches {
            continue;
        }
        match found.iter_mut().find(|(p, _)| std::ptr::eq(*p, *first)) {
            Some((_, names)) => names.push(w.endpoint_name()),
            None => found.push((first, vec![w.endpoint_name()])),
        }
    }
    let where_ = istiod
        .first()
        .map_or(ROOT_NAMESPACE.to_string(), |d| d.namespace.clone());
    for (p, names) in found {
        out.push(
            Diagnostic::new(
                "NP2004",
                format!(
                    "{} {} isolates the egress of {}, which run an Istio proxy, and no egress rule lets them reach istiod ({where_}, TCP {XDS}): the proxies get no certificate or configuration, never become ready, and the application's outbound requests fail",
                    p.kind.as_str(),
                    p.id(),
                    names_text(&names)
                ),
            )
            .at(p.policy_types_loc.as_ref().unwrap_or(&p.loc))
            .resource(format!("{} {}", p.kind.as_str(), p.id()))
            .help(format!(
                "add an egress rule to namespace {where_}, pods app=istiod, port TCP {XDS} (and DNS)"
            )),
        );
    }
}

/// istiod's own ingress: it must accept TCP 15012 from the proxies and TCP 15017 from the
/// API server (outside the pod network: a rule for all sources or an ipBlock).
fn istiod_ingress(ctx: &Ctx, istiod: &Workload, meshed: &[usize], out: &mut Vec<Diagnostic>) {
    let policies = isolating(ctx, istiod, false);
    let Some(first) = policies.first() else { return };
    let admits = |ns_labels: &Labels, labels: &Labels, port: u16, ip: Option<fn(&IpNet) -> bool>| {
        policies.iter().any(|p| {
            p.ingress.iter().flatten().any(|rule| {
                peer_ok(p, rule, ns_labels, labels, ip)
                    && rule.conn_for(Some(&istiod.ports)).contains(Protocol::Tcp, port)
            })
        })
    };
    let refused: Vec<String> = meshed
        .iter()
        .filter_map(|&i| ctx.cluster.workloads.get(i))
        .filter(|w| !admits(ctx.cluster.namespace_labels(&w.namespace), &w.labels, XDS, None))
        .map(Workload::endpoint_name)
        .collect();
    let mut problems = Vec::new();
    if !refused.is_empty() {
        problems.push(format!(
            "does not admit TCP {XDS} from the proxies of {}, which then get no certificate or configuration",
            names_text(&refused)
        ));
    }
    // The API server is no pod: only a rule for every source, or an ipBlock, admits it.
    let none = Labels::new();
    if !admits(&none, &none, WEBHOOK, Some(|_| true)) {
        problems.push(format!(
            "does not admit TCP {WEBHOOK} from the API server, so the injection webhook fails and new pods get no sidecar (or are rejected)"
        ));
    }
    if problems.is_empty() {
        return;
    }
    out.push(
        Diagnostic::new(
            "NP2004",
            format!(
                "{} {} isolates the ingress of istiod {} and {}",
                first.kind.as_str(),
                first.id(),
                istiod.endpoint_name(),
                problems.join("; and ")
            ),
        )
        .at(first.policy_types_loc.as_ref().unwrap_or(&first.loc))
        .resource(format!("{} {}", first.kind.as_str(), first.id()))
        .help(format!(
            "add an ingress rule to istiod for TCP {XDS} from the meshed namespaces and for TCP {WEBHOOK} from any source (the API server)"
        )),
    );
}
