//! NP2004: NetworkPolicies that cut the mesh's own traffic. A sidecar (or gateway proxy)
//! gets its certificate and its whole configuration from istiod on TCP 15012; istiod's
//! injection webhook is called by the API server on TCP 15017. When an egress policy of a
//! meshed workload, or an ingress policy of istiod, does not allow these, pods start with
//! a proxy that never becomes ready, or are created without one.

use super::{names_text, Ctx};
use crate::conn::Protocol;
use crate::diagnostics::{Diagnostic, Location};
use crate::mesh::ROOT_NAMESPACE;
use crate::model::{ContainerPort, Labels, Workload};
use crate::netpol::explain::{explain_one_side, End, Refusal, SideExplanation};
use crate::policy::{Direction, PeerKind, Policy, Rule, Tier};
use ipnet::IpNet;

/// istiod's xDS and certificate port (sidecars connect to it).
const XDS: u16 = 15012;
/// istiod's injection and validation webhook port (the API server connects to it).
const WEBHOOK: u16 = 15017;

/// The istiod pods the proxies must reach: those of the input (with istiod's usual ports
/// when their manifests list none), or where a default install has istiod; and the indices
/// of the ones in the input.
fn istiods(ctx: &Ctx) -> (Vec<Workload>, Vec<usize>) {
    let is_istiod = |w: &Workload| {
        w.namespace == ROOT_NAMESPACE
            && (w.labels.get("app").is_some_and(|v| v == "istiod")
                || w.labels.get("istio").is_some_and(|v| v == "pilot"))
    };
    let real: Vec<usize> = ctx.workloads().filter(|(_, w)| is_istiod(w)).map(|(i, _)| i).collect();
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
        let labels = Labels::from([
            ("app".to_string(), "istiod".to_string()),
            ("istio".to_string(), "pilot".to_string()),
        ]);
        vec![Workload {
            ports: default_ports,
            ..Workload::stand_in(ROOT_NAMESPACE, "istiod", "Deployment", labels)
        }]
    } else {
        real.iter()
            .filter_map(|&i| ctx.cluster.workloads.get(i))
            .map(|w| {
                let mut w = w.clone();
                if !w.ports.iter().any(|p| p.port == XDS) {
                    w.ports.extend(default_ports.iter().cloned());
                }
                w
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
    for (w, _) in istiod.iter().zip(&real) {
        istiod_ingress(ctx, w, &meshed, out);
    }
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

/// Whether a NetworkPolicy rule admits an address outside the cluster that `ip` accepts.
fn rule_admits_address(rule: &Rule, ip: fn(&IpNet) -> bool) -> bool {
    rule.peers.iter().flatten().any(|peer| match &peer.kind {
        PeerKind::IpBlock { cidr, .. } => ip(cidr),
        _ => false,
    })
}

/// The policy of the isolation tier (NetworkPolicy, Cilium's allows) a [`Refusal::Isolation`]
/// names (by explain's name for it).
fn network_policy<'c>(ctx: &Ctx<'c>, id: &str) -> Option<&'c Policy> {
    ctx.cluster
        .policies
        .iter()
        .find(|p| p.tier == Tier::NetworkPolicy && crate::netpol::explain::named(p) == id)
}

/// The first-match rules (or Calico tier ends) that refuse a port, grouped: the
/// refusal's text, where, and the endpoints it refuses.
type RuleRefusals = Vec<(String, Location, Vec<String>)>;

fn group_rule_refusal(groups: &mut RuleRefusals, refusal: &Refusal, name: String) {
    let (text, loc) = (
        refusal.to_string(),
        refusal.loc().cloned().unwrap_or_else(|| Location::new("", 1, 1)),
    );
    match groups.iter_mut().find(|(t, _, _)| *t == text) {
        Some((_, _, names)) => names.push(name),
        None => groups.push((text, loc, vec![name])),
    }
}

/// Meshed workloads whose egress (every tier) does not reach istiod on TCP 15012:
/// reported once per isolating NetworkPolicy (the first one of each workload), or per
/// Deny rule of a first-match tier (or end of a Calico tier) that takes it.
fn sidecar_egress(ctx: &Ctx, meshed: &[usize], istiod: &[Workload], out: &mut Vec<Diagnostic>) {
    let mut found: Vec<(&Policy, Vec<String>)> = Vec::new();
    let mut by_rule: RuleRefusals = Vec::new();
    for &i in meshed {
        let Some(w) = ctx.cluster.workloads.get(i) else {
            continue;
        };
        let sides: Vec<SideExplanation> = istiod
            .iter()
            .map(|d| {
                let end = End::Workload(d);
                explain_one_side(ctx.cluster, Direction::Egress, w, end, end, Some((Protocol::Tcp, XDS)))
            })
            .collect();
        if sides.iter().any(|s| s.allowed.contains(Protocol::Tcp, XDS)) {
            continue;
        }
        let Some(refusal) = sides.first().and_then(|s| s.refusal(Protocol::Tcp, XDS)) else {
            continue;
        };
        let ids = match refusal {
            Refusal::Rule(_) | Refusal::TierEnd(_) => {
                group_rule_refusal(&mut by_rule, &refusal, w.endpoint_name());
                continue;
            }
            Refusal::Isolation(ids) => ids,
        };
        let policies: Vec<&Policy> = ids.iter().filter_map(|r| network_policy(ctx, &r.policy)).collect();
        // An ipBlock that may cover pod addresses may cover istiod's.
        let by_address = policies.iter().any(|p| {
            p.egress.iter().flatten().any(|rule| {
                rule_admits_address(rule, may_cover_pods)
                    && istiod
                        .iter()
                        .any(|d| rule.conn_for(Some(&d.ports)).contains(Protocol::Tcp, XDS))
            })
        });
        let Some(first) = policies.first().filter(|_| !by_address) else {
            continue;
        };
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
    for (text, loc, names) in by_rule {
        out.push(
            Diagnostic::new(
                "NP2004",
                format!(
                    "{text} takes the egress of {}, which run an Istio proxy, to istiod ({where_}, TCP {XDS}): the proxies get no certificate or configuration, never become ready, and the application's outbound requests fail",
                    names_text(&names)
                ),
            )
            .at(&loc)
            .help(format!("allow TCP {XDS} to istiod ({where_}) in an earlier rule of that tier")),
        );
    }
}

/// istiod's own ingress (every tier): it must accept TCP 15012 from the proxies and TCP
/// 15017 from the API server (outside the pod network: a NetworkPolicy rule for all
/// sources or an ipBlock; admin tiers select only pods as ingress peers, so they never
/// speak of the API server).
fn istiod_ingress(ctx: &Ctx, istiod: &Workload, meshed: &[usize], out: &mut Vec<Diagnostic>) {
    let dst = End::Workload(istiod);
    let mut refused = Vec::new();
    let mut by_rule: RuleRefusals = Vec::new();
    for w in meshed.iter().filter_map(|&i| ctx.cluster.workloads.get(i)) {
        let side = explain_one_side(
            ctx.cluster,
            Direction::Ingress,
            istiod,
            End::Workload(w),
            dst,
            Some((Protocol::Tcp, XDS)),
        );
        match side.refusal(Protocol::Tcp, XDS) {
            None => {}
            Some(r @ (Refusal::Rule(_) | Refusal::TierEnd(_))) => {
                group_rule_refusal(&mut by_rule, &r, w.endpoint_name())
            }
            Some(Refusal::Isolation(_)) => refused.push(w.endpoint_name()),
        }
    }
    // Which NetworkPolicies isolate istiod's ingress, asked for any peer.
    let side = explain_one_side(ctx.cluster, Direction::Ingress, istiod, dst, dst, None);
    for (text, loc, names) in by_rule {
        out.push(
            Diagnostic::new(
                "NP2004",
                format!(
                    "{text} takes TCP {XDS} to istiod {} from the proxies of {}, which then get no certificate or configuration",
                    istiod.endpoint_name(),
                    names_text(&names)
                ),
            )
            .at(&loc)
            .help(format!("allow TCP {XDS} from the meshed namespaces in an earlier rule of that tier")),
        );
    }
    let policies: Vec<&Policy> = side
        .isolated_by
        .iter()
        .filter_map(|r| network_policy(ctx, &r.policy))
        .collect();
    let Some(first) = policies.first() else { return };
    let mut problems = Vec::new();
    if !refused.is_empty() {
        problems.push(format!(
            "does not admit TCP {XDS} from the proxies of {}, which then get no certificate or configuration",
            names_text(&refused)
        ));
    }
    // The API server is no pod: only a rule for every source, or an ipBlock, admits it.
    let admits_api_server = policies.iter().any(|p| {
        p.ingress.iter().flatten().any(|rule| {
            (rule.peers.is_none() || rule_admits_address(rule, |_| true))
                && rule.conn_for(Some(&istiod.ports)).contains(Protocol::Tcp, WEBHOOK)
        })
    });
    if !admits_api_server {
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
