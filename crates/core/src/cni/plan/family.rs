//! The numbers of each IP family of a plan (per-node masks against the CNI's limits,
//! pods per node, max nodes, wasted addresses), and the Services of the cluster against
//! the plan's families (dual stack).

use super::table::count;
use super::{default_mask, key, pow2, FamilyReport, PlanDiagnostics, PlanRange, RangeRole};
use crate::cni::{AddressPlan, Cni, Family, ServiceFamilies};
use crate::diagnostics::Diagnostic;
use crate::parse::locate::PathSeg;

/// Kubernetes node IPAM (and Cilium's copy of it) refuses a per-node mask more than 16
/// bits longer than the cluster CIDR's prefix.
pub const NODE_IPAM_MAX_DIFF: u8 = 16;

/// Calico's accepted `blockSize` per family (IPPool reference).
pub fn calico_block_sizes(family: Family) -> std::ops::RangeInclusive<u8> {
    match family {
        Family::V4 => 20..=32,
        Family::V6 => 116..=128,
    }
}

/// The numbers of each family that has a pod CIDR (IPv4 first).
pub(super) fn numbers(
    plan: &AddressPlan,
    cni: Cni,
    max_pods: u32,
    ranges: &[PlanRange],
    diags: &mut PlanDiagnostics,
) -> Vec<FamilyReport> {
    [Family::V4, Family::V6]
        .into_iter()
        .filter_map(|family| {
            let pod = ranges.iter().find(|r| r.role == RangeRole::Pod && r.family == family)?;
            family_numbers(plan, cni, max_pods, family, pod, ranges, diags)
        })
        .collect()
}

/// The per-node mask of `family`, checked against the pod CIDR and the CNI's limits;
/// `None` (and a diagnostic) when no number can be computed with it.
fn node_mask(plan: &AddressPlan, cni: Cni, family: Family, pod: &PlanRange, diags: &mut PlanDiagnostics) -> Option<u8> {
    let fam_key = match family {
        Family::V4 => "ipv4",
        Family::V6 => "ipv6",
    };
    let mask_path = [key("spec"), key("nodePodMaskSize"), key(fam_key)];
    let mask = plan
        .spec
        .node_pod_mask_size
        .get(family)
        .unwrap_or(default_mask(cni, family));
    let prefix = pod.cidr.prefix_len();
    if mask > family.bits() {
        diags.at(
            "NP3001",
            &mask_path,
            format!("spec.nodePodMaskSize.{fam_key}: /{mask} is longer than an {family} address"),
            None,
        );
        return None;
    }
    if mask < prefix {
        diags.at(
            "NP3003",
            &mask_path,
            format!(
                "per-node mask /{mask} is larger than the pod CIDR {} itself: not even one node gets a range",
                pod.cidr
            ),
            Some(format!(
                "use a per-node mask of /{prefix} or longer, or a larger pod CIDR"
            )),
        );
        return None;
    }
    match cni {
        Cni::Calico if !calico_block_sizes(family).contains(&mask) => {
            let allowed = calico_block_sizes(family);
            diags.at(
                "NP3004",
                &mask_path,
                format!(
                    "Calico block size /{mask} for {family} is outside what Calico accepts (/{} to /{})",
                    allowed.start(),
                    allowed.end()
                ),
                None,
            );
        }
        Cni::Cilium | Cni::Flannel | Cni::Other if mask - prefix > NODE_IPAM_MAX_DIFF => diags.at(
            "NP3004",
            &mask_path,
            format!(
                "{family} per-node mask /{mask} is {} bits longer than the pod CIDR {}: {cni}'s node IPAM allocates at most 2^{NODE_IPAM_MAX_DIFF} node ranges and refuses this",
                mask - prefix,
                pod.cidr
            ),
            Some(format!(
                "use a per-node mask of /{} or shorter, or a pod CIDR of /{} or longer",
                prefix + NODE_IPAM_MAX_DIFF,
                mask.saturating_sub(NODE_IPAM_MAX_DIFF)
            )),
        ),
        _ => {}
    }
    Some(mask)
}

/// The numbers of one family whose pod CIDR is `pod`.
fn family_numbers(
    plan: &AddressPlan,
    cni: Cni,
    max_pods: u32,
    family: Family,
    pod: &PlanRange,
    ranges: &[PlanRange],
    diags: &mut PlanDiagnostics,
) -> Option<FamilyReport> {
    let mask = node_mask(plan, cni, family, pod, diags)?;
    let prefix = pod.cidr.prefix_len();
    let range_addresses = pow2(u32::from(family.bits() - mask));
    let node_ranges = pow2(u32::from(mask - prefix));
    let (pods_per_node, nodes_by_ranges) = if cni == Cni::Calico {
        // A Calico node borrows as many blocks as its pods need.
        let pods = u128::from(max_pods);
        let blocks_per_node = pods.div_ceil(range_addresses).max(1);
        (pods, node_ranges / blocks_per_node)
    } else {
        let usable = range_addresses.saturating_sub(cni.reserved_per_node(family));
        (usable.min(u128::from(max_pods)), node_ranges)
    };
    let node_subnets: Vec<&PlanRange> = ranges
        .iter()
        .filter(|r| r.role == RangeRole::Node && r.family == family)
        .collect();
    // Node subnets lose their network address (and, for IPv4, the broadcast address).
    let node_subnet_hosts = (!node_subnets.is_empty()).then(|| {
        node_subnets
            .iter()
            .map(|r| usable_addresses(r, family))
            .fold(0u128, u128::saturating_add)
    });
    let max_nodes = node_subnet_hosts.map_or(nodes_by_ranges, |h| h.min(nodes_by_ranges));
    if let (Some(hosts), Some(first)) = (node_subnet_hosts, node_subnets.first()) {
        // IPv6 node subnets are /64s with more addresses than any cluster has nodes:
        // comparing them says nothing.
        if family == Family::V4 && hosts > nodes_by_ranges && pods_per_node > 0 {
            diags.at_loc(
                Diagnostic::new(
                    "NP3011",
                    format!(
                        "the node subnets hold {} {family} nodes but the pod CIDR {} has ranges for only {}: nodes beyond that get no pod addresses",
                        count(hosts),
                        pod.cidr,
                        count(nodes_by_ranges)
                    ),
                )
                .help("use a larger pod CIDR or a longer per-node mask"),
                &first.loc,
            );
        }
    }
    let used = max_nodes.saturating_mul(pods_per_node);
    let service_addresses = ranges
        .iter()
        .find(|r| r.role == RangeRole::Service && r.family == family)
        .map(|r| usable_addresses(r, family));
    Some(FamilyReport {
        family,
        pod_cidr: pod.cidr,
        node_mask: mask,
        pod_addresses: pod.size,
        node_range_addresses: range_addresses,
        node_ranges,
        pods_per_node,
        node_subnet_hosts,
        max_nodes,
        wasted: pod.size.saturating_sub(used),
        service_addresses,
    })
}

/// The addresses of a subnet that can be given out: not the network address, and for
/// IPv4 not the broadcast address.
fn usable_addresses(r: &PlanRange, family: Family) -> u128 {
    match family {
        Family::V4 => r.size.saturating_sub(2),
        Family::V6 => r.size.saturating_sub(1),
    }
}

/// The Services of the cluster against the plan's families: NP3005 for a family the
/// plan has no service CIDR for and for single-stack Services in a dual-stack plan,
/// NP3012 (info) for those left to the default.
pub(super) fn check_services(
    plan: &AddressPlan,
    services: &[ServiceFamilies],
    ranges: &[PlanRange],
    pod_families: &[Family],
    diags: &mut PlanDiagnostics,
) {
    let dual_stack = pod_families.len() == 2;
    let mut service_families: Vec<Family> = ranges
        .iter()
        .filter(|r| r.role == RangeRole::Service)
        .map(|r| r.family)
        .collect();
    if service_families.is_empty() {
        service_families = pod_families.to_vec();
    }
    crate::sorting::sort(&mut service_families);
    service_families.dedup();
    for svc in services {
        if svc.service_type == "ExternalName" || pod_families.is_empty() {
            continue;
        }
        for (i, f) in svc.ip_families.iter().enumerate() {
            let known = match f.as_str() {
                "IPv4" => Some(Family::V4),
                "IPv6" => Some(Family::V6),
                _ => None,
            };
            if let Some(fam) = known.filter(|fam| !service_families.contains(fam)) {
                diags.list.push(
                    Diagnostic::new(
                        "NP3005",
                        format!(
                            "Service {}/{} asks for {fam} but the plan {} has no {fam} service CIDR: the API server rejects it",
                            svc.namespace, svc.name, plan.name
                        ),
                    )
                    .at(&svc.source.locate(&[key("spec"), key("ipFamilies"), PathSeg::Index(i)]))
                    .resource(svc.source.resource()),
                );
            }
        }
        if dual_stack && service_families.len() == 2 {
            if let Some(d) = single_stack_in_dual_stack(plan, svc) {
                diags.list.push(d);
            }
        }
    }
}

/// A Service that gets one family in a dual-stack plan. Said out loud (SingleStack, or
/// one family listed) it is a choice worth a warning (NP3005); left to the default it is
/// how most Services are written: an info (NP3012).
fn single_stack_in_dual_stack(plan: &AddressPlan, svc: &ServiceFamilies) -> Option<Diagnostic> {
    let explicit = svc.ip_family_policy.as_deref() == Some("SingleStack")
        || (svc.ip_family_policy.is_none() && svc.ip_families.len() == 1);
    let implicit = svc.ip_family_policy.is_none() && svc.ip_families.is_empty();
    if implicit {
        return Some(
            Diagnostic::new(
                "NP3012",
                format!(
                    "Service {}/{} sets no ipFamilyPolicy: in the dual-stack plan {} it gets only IPv4 (the cluster's first family)",
                    svc.namespace, svc.name, plan.name
                ),
            )
            .at(&svc.source.locate(&[]))
            .resource(svc.source.resource())
            .help("add `ipFamilyPolicy: PreferDualStack` where clients of the other family need it"),
        );
    }
    if !explicit {
        return None;
    }
    let family = svc
        .ip_families
        .first()
        .map_or("IPv4 (the cluster's first family)", |f| f.as_str());
    let families_path = [key("spec"), key("ipFamilies")];
    let policy_path = [key("spec"), key("ipFamilyPolicy")];
    let path: &[PathSeg] = if svc.ip_family_policy.is_some() {
        &policy_path
    } else if !svc.ip_families.is_empty() {
        &families_path
    } else {
        &[]
    };
    let policy = svc
        .ip_family_policy
        .as_deref()
        .map_or("no ipFamilyPolicy, so SingleStack".to_string(), |p| {
            format!("ipFamilyPolicy {p}")
        });
    Some(
        Diagnostic::new(
            "NP3005",
            format!(
                "Service {}/{} is single-stack ({policy}) in the dual-stack plan {}: it gets only {family}, clients of the other family cannot reach it",
                svc.namespace, svc.name, plan.name
            ),
        )
        .at(&svc.source.locate(path))
        .resource(svc.source.resource())
        .help("set `ipFamilyPolicy: PreferDualStack` (or RequireDualStack) and `ipFamilies: [IPv4, IPv6]`"),
    )
}
