//! The ranges of a plan: each parsed (a malformed one is left out), one pod and one
//! service CIDR per family, the overlaps within the plan, and the overlaps of routable
//! ranges between the plans of different clusters.

use super::table::count;
use super::{as_string, key, size_of, start_of, Overlap, PlanDiagnostics, PlanRange, RangeRole};
use crate::cni::{AddressPlan, Family};
use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use ipnet::IpNet;
use serde::Serialize;

/// Every range of the plan, parsed; then NP3001 when the plan has no pod CIDR or two of
/// a family where Kubernetes takes one.
pub(super) fn read(plan: &AddressPlan, diags: &mut PlanDiagnostics) -> Vec<PlanRange> {
    let spec = &plan.spec;
    let mut ranges: Vec<PlanRange> = Vec::new();
    let unnamed =
        |list: &[String]| -> Vec<(String, String)> { list.iter().map(|c| (String::new(), c.clone())).collect() };
    let existing: Vec<(String, String)> = spec
        .existing_networks
        .iter()
        .map(|n| (n.name.clone(), n.cidr.clone()))
        .collect();
    let all = [
        (RangeRole::Pod, "podCIDRs", unnamed(&spec.pod_cidrs)),
        (RangeRole::Service, "serviceCIDRs", unnamed(&spec.service_cidrs)),
        (RangeRole::Node, "nodeSubnets", unnamed(&spec.node_subnets)),
        (RangeRole::Existing, "existingNetworks", existing),
    ];
    for (role, list, items) in all {
        for (i, (name, text)) in items.into_iter().enumerate() {
            let mut path = vec![key("spec"), key(list), PathSeg::Index(i)];
            if role == RangeRole::Existing {
                path.push(key("cidr"));
            }
            let label = if role == RangeRole::Existing && !name.is_empty() {
                name
            } else {
                format!("{list}[{i}]")
            };
            match text.trim().parse::<IpNet>() {
                Ok(net) if net.trunc() != net => diags.at(
                    "NP3001",
                    &path,
                    format!(
                        "spec.{list}[{i}]: {text} has host bits set; the range is {}",
                        net.trunc()
                    ),
                    Some(format!("write {}", net.trunc())),
                ),
                Ok(net) => ranges.push(PlanRange {
                    role,
                    label,
                    cidr: net,
                    family: Family::of(&net),
                    start: start_of(&net),
                    size: size_of(&net),
                    loc: plan.source.locate(&path),
                }),
                Err(_) => diags.at(
                    "NP3001",
                    &path,
                    format!("spec.{list}[{i}]: {text:?} is not a CIDR (like 10.244.0.0/16 or fd00::/48)"),
                    None,
                ),
            }
        }
    }
    if spec.pod_cidrs.is_empty() {
        diags.at(
            "NP3001",
            &[key("spec")],
            "spec.podCIDRs: the plan has no pod CIDR; there is nothing to plan".into(),
            Some("add e.g. `podCIDRs: [10.244.0.0/16]`".into()),
        );
    }
    // Kubernetes takes one pod CIDR and one service CIDR per family.
    for (role, list) in [(RangeRole::Pod, "podCIDRs"), (RangeRole::Service, "serviceCIDRs")] {
        for family in [Family::V4, Family::V6] {
            let of: Vec<&PlanRange> = ranges.iter().filter(|r| r.role == role && r.family == family).collect();
            if let [first, second, ..] = of.as_slice() {
                diags.at_loc(
                    Diagnostic::new(
                        "NP3001",
                        format!(
                            "spec.{list}: two {family} ranges ({} and {}); Kubernetes takes one per family (the first is planned)",
                            first.cidr, second.cidr
                        ),
                    ),
                    &second.loc,
                );
            }
        }
    }
    ranges
}

/// The ranges of the plan that share addresses (NP3002 at the later one). A node subnet
/// inside an existing network (a VPC) is how clouds work, and existing networks are not
/// ours to check against each other.
pub(super) fn overlaps(ranges: &[PlanRange], diags: &mut PlanDiagnostics) -> Vec<Overlap> {
    let mut overlaps = Vec::new();
    for b in 0..ranges.len() {
        for a in 0..b {
            let (ra, rb) = (&ranges[a], &ranges[b]);
            let exempt = matches!(
                (ra.role, rb.role),
                (RangeRole::Node, RangeRole::Existing)
                    | (RangeRole::Existing, RangeRole::Node)
                    | (RangeRole::Existing, RangeRole::Existing)
            );
            if exempt || ra.family != rb.family {
                continue;
            }
            if ra.cidr.contains(&rb.cidr.network()) || rb.cidr.contains(&ra.cidr.network()) {
                let addresses = ra.size.min(rb.size);
                overlaps.push(Overlap { a, b, addresses });
                diags.at_loc(
                    Diagnostic::new(
                        "NP3002",
                        format!(
                            "{} {} ({} range) overlaps {} {} ({} range): {} addresses in common",
                            rb.label,
                            rb.cidr,
                            rb.role.as_str(),
                            ra.label,
                            ra.cidr,
                            ra.role.as_str(),
                            count(addresses)
                        ),
                    ),
                    &rb.loc,
                );
            }
        }
    }
    overlaps
}

/// Ranges of two clusters that share addresses. Pod CIDRs and node subnets must be
/// unique across clusters that route to each other's pods (Cilium ClusterMesh, Istio
/// multi-primary on one network, flat VPC routing). Service CIDRs may repeat: ClusterIPs
/// never leave their cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CrossOverlap {
    pub cluster_a: String,
    pub range_a: String,
    pub cluster_b: String,
    pub range_b: String,
    #[serde(serialize_with = "as_string")]
    pub addresses: u128,
}

fn routable_ranges(plan: &AddressPlan) -> Vec<(String, IpNet, Location)> {
    let mut out = Vec::new();
    for (list, items) in [
        ("podCIDRs", &plan.spec.pod_cidrs),
        ("nodeSubnets", &plan.spec.node_subnets),
    ] {
        for (i, text) in items.iter().enumerate() {
            if let Ok(net) = text.trim().parse::<IpNet>() {
                let loc = plan.source.locate(&[key("spec"), key(list), PathSeg::Index(i)]);
                out.push((format!("{list}[{i}] {}", net.trunc()), net.trunc(), loc));
            }
        }
    }
    out
}

/// The overlaps between the routable ranges (pod CIDRs, node subnets) of plans of
/// different clusters. Plans of the same cluster are not compared.
pub fn cross_overlaps(plans: &[&AddressPlan]) -> Vec<(CrossOverlap, Location)> {
    let mut out = Vec::new();
    for (j, pb) in plans.iter().enumerate() {
        for pa in &plans[..j] {
            if pa.cluster == pb.cluster {
                continue;
            }
            for (la, na, _) in routable_ranges(pa) {
                for (lb, nb, locb) in routable_ranges(pb) {
                    if na.contains(&nb.network()) || nb.contains(&na.network()) {
                        out.push((
                            CrossOverlap {
                                cluster_a: pa.cluster.clone(),
                                range_a: la.clone(),
                                cluster_b: pb.cluster.clone(),
                                range_b: lb,
                                addresses: size_of(&na).min(size_of(&nb)),
                            },
                            locb,
                        ));
                    }
                }
            }
        }
    }
    out
}

/// Checks plans of several clusters against each other: NP3008 for every pod CIDR or
/// node subnet that shares addresses with one of another cluster, at the later plan's
/// line. The multi-cluster module calls this with the plan of each cluster.
pub fn check_plans(plans: &[&AddressPlan]) -> Vec<Diagnostic> {
    let resources: std::collections::HashMap<&str, String> = plans
        .iter()
        .map(|p| (p.cluster.as_str(), p.source.resource()))
        .collect();
    cross_overlaps(plans)
        .into_iter()
        .map(|(o, loc)| {
            Diagnostic::new(
                "NP3008",
                format!(
                    "cluster {}: {} overlaps cluster {}: {} ({} addresses in common): pods cannot be routed between the clusters",
                    o.cluster_b, o.range_b, o.cluster_a, o.range_a, count(o.addresses)
                ),
            )
            .at(&loc)
            .resource(resources.get(o.cluster_b.as_str()).cloned().unwrap_or_default())
            .help("give every cluster its own pod CIDR and node subnets")
        })
        .collect()
}
