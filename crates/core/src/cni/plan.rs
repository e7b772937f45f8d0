//! Computing an address plan: numbers per family, every range, overlaps, masks, the CNI's
//! limits, dual-stack Services and the pod MTU.

use super::mtu::{self, Datapath, MtuReport};
use super::{AddressPlan, Cni, Family, ServiceFamilies, DEFAULT_MAX_PODS, DEFAULT_UNDERLAY_MTU};
use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use ipnet::IpNet;
use serde::{Serialize, Serializer};
use std::fmt;

/// What a range of the plan is for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RangeRole {
    Pod,
    Service,
    Node,
    Existing,
}

impl RangeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeRole::Pod => "pod",
            RangeRole::Service => "service",
            RangeRole::Node => "node",
            RangeRole::Existing => "existing",
        }
    }
}

/// One range of a plan, with where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRange {
    pub role: RangeRole,
    /// How the user names it: `podCIDRs[0]`, or an existing network's name.
    pub label: String,
    #[serde(serialize_with = "display")]
    pub cidr: IpNet,
    pub family: Family,
    /// First address as a number (for drawing), and the number of addresses.
    #[serde(serialize_with = "as_string")]
    pub start: u128,
    #[serde(serialize_with = "as_string")]
    pub size: u128,
    #[serde(skip)]
    pub loc: Location,
}

/// Two ranges of one plan that share addresses (indices into `PlanReport::ranges`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overlap {
    pub a: usize,
    pub b: usize,
    /// Addresses in common (CIDRs nest, so: the smaller range's size).
    #[serde(serialize_with = "as_string")]
    pub addresses: u128,
}

/// The numbers of one IP family of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyReport {
    pub family: Family,
    #[serde(serialize_with = "display")]
    pub pod_cidr: IpNet,
    /// Prefix length of each node's pod range (Calico: of each block).
    pub node_mask: u8,
    #[serde(serialize_with = "as_string")]
    pub pod_addresses: u128,
    /// Addresses in one node range (Calico: one block).
    #[serde(serialize_with = "as_string")]
    pub node_range_addresses: u128,
    /// Node ranges (Calico: blocks) the pod CIDR holds.
    #[serde(serialize_with = "as_string")]
    pub node_ranges: u128,
    #[serde(serialize_with = "as_string")]
    pub pods_per_node: u128,
    /// Usable host addresses of the node subnets of this family, when there are any.
    #[serde(serialize_with = "opt_as_string")]
    pub node_subnet_hosts: Option<u128>,
    /// Nodes that can each get their pods' addresses (and a node address).
    #[serde(serialize_with = "as_string")]
    pub max_nodes: u128,
    /// Pod addresses that no pod can get when `max_nodes` nodes run `pods_per_node` pods.
    #[serde(serialize_with = "as_string")]
    pub wasted: u128,
    #[serde(serialize_with = "opt_as_string")]
    pub service_addresses: Option<u128>,
}

/// The computed form of one AddressPlan.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanReport {
    pub name: String,
    pub cluster: String,
    pub cni: Cni,
    pub datapath: Datapath,
    pub max_pods_per_node: u32,
    pub families: Vec<FamilyReport>,
    pub ranges: Vec<PlanRange>,
    pub overlaps: Vec<Overlap>,
    pub mtu: MtuReport,
    /// Whether the plan has pod CIDRs of both families.
    pub dual_stack: bool,
    pub diagnostics: Vec<Diagnostic>,
}

fn display<S: Serializer>(v: &impl fmt::Display, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn as_string<S: Serializer>(n: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

fn opt_as_string<S: Serializer>(n: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.serialize_str(&n.to_string()),
        None => s.serialize_none(),
    }
}

/// 2^bits, saturating at u128::MAX (the whole IPv6 space).
fn pow2(bits: u32) -> u128 {
    1u128.checked_shl(bits).unwrap_or(u128::MAX)
}

fn size_of(net: &IpNet) -> u128 {
    pow2(u32::from(net.max_prefix_len() - net.prefix_len()))
}

fn start_of(net: &IpNet) -> u128 {
    match net.network() {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    }
}

/// A count for people: `65,536`, or `2^64` when it is an exact power of two above 2^32.
pub fn count(n: u128) -> String {
    if n == u128::MAX {
        return "2^128".into();
    }
    if n > (1 << 32) {
        // IPv6 counts: exact powers of two, or a power of two less the reserved addresses.
        for less in 0..=3u128 {
            if let Some(p) = n.checked_add(less).filter(|p| p.is_power_of_two()) {
                let power = format!("2^{}", p.trailing_zeros());
                return if less == 0 { power } else { format!("{power} - {less}") };
            }
        }
        return format!("≈2^{}", 127 - n.leading_zeros());
    }
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn key(k: &str) -> PathSeg {
    PathSeg::key(k)
}

/// The per-node mask assumed when the plan gives none: the CNI's own default.
fn default_mask(cni: Cni, family: Family) -> u8 {
    match (cni, family) {
        (Cni::Calico, Family::V4) => 26,
        (Cni::Calico, Family::V6) => 122,
        (Cni::Cilium, Family::V6) => 120,
        (_, Family::V4) => 24,
        (_, Family::V6) => 64,
    }
}

/// The datapath assumed when the plan gives none (the CNI's default install).
fn default_datapath(cni: Cni) -> Datapath {
    match cni {
        Cni::Cilium | Cni::Calico | Cni::Flannel => Datapath::Vxlan,
        Cni::Other => Datapath::Direct,
    }
}

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

/// Computes one plan. `services` are the Services of the plan's cluster (the dual-stack
/// check reads their `ipFamilies` and `ipFamilyPolicy`). Never fails: what cannot be
/// computed is left out and said in a diagnostic at the field's line.
pub fn compute(plan: &AddressPlan, services: &[ServiceFamilies]) -> PlanReport {
    let spec = &plan.spec;
    let src = &plan.source;
    let resource = src.resource();
    let mut diags: Vec<Diagnostic> = Vec::new();
    // A diagnostic at a field of the plan.
    macro_rules! diag {
        ($code:expr, $path:expr, $msg:expr, $help:expr $(,)?) => {{
            let help: Option<String> = $help;
            let msg: String = $msg;
            let mut d = Diagnostic::new($code, msg)
                .at(&src.locate($path))
                .resource(resource.clone());
            if let Some(h) = help {
                d = d.help(h);
            }
            diags.push(d);
        }};
    }

    let cni = match spec.cni.as_deref() {
        None => Cni::Other,
        Some(s) => Cni::parse(s).unwrap_or_else(|| {
            diag!(
                "NP3001",
                &[key("spec"), key("cni")],
                format!("spec.cni: unknown CNI {s:?}; planned as `other` (Kubernetes node IPAM)"),
                Some("write cilium, calico, flannel or other".into()),
            );
            Cni::Other
        }),
    };
    let datapath = match spec.datapath.as_deref() {
        None => default_datapath(cni),
        Some(s) => Datapath::parse(s).unwrap_or_else(|| {
            diag!(
                "NP3001",
                &[key("spec"), key("datapath")],
                format!(
                    "spec.datapath: unknown datapath {s:?}; planned as {}",
                    default_datapath(cni)
                ),
                Some("write direct, vxlan, geneve, ipip, wireguard or ipsec".into()),
            );
            default_datapath(cni)
        }),
    };
    if !cni.datapaths().contains(&datapath) {
        let offered: Vec<&str> = cni.datapaths().iter().map(|d| d.as_str()).collect();
        diag!(
            "NP3010",
            &[key("spec"), key("datapath")],
            format!("{cni} has no {datapath} datapath (it offers {})", offered.join(", ")),
            None,
        );
    }
    let max_pods = spec.max_pods_per_node.unwrap_or(DEFAULT_MAX_PODS);

    // Every range, parsed; a malformed one is left out.
    let mut ranges: Vec<PlanRange> = Vec::new();
    // (role, field, [(name, cidr)])
    type Lists<'a> = [(RangeRole, &'a str, Vec<(String, String)>); 3];
    let lists: Lists = [
        (
            RangeRole::Pod,
            "podCIDRs",
            spec.pod_cidrs.iter().map(|c| (String::new(), c.clone())).collect(),
        ),
        (
            RangeRole::Service,
            "serviceCIDRs",
            spec.service_cidrs.iter().map(|c| (String::new(), c.clone())).collect(),
        ),
        (
            RangeRole::Node,
            "nodeSubnets",
            spec.node_subnets.iter().map(|c| (String::new(), c.clone())).collect(),
        ),
    ];
    let existing: Vec<(String, String)> = spec
        .existing_networks
        .iter()
        .map(|n| (n.name.clone(), n.cidr.clone()))
        .collect();
    let all = lists
        .into_iter()
        .chain(std::iter::once((RangeRole::Existing, "existingNetworks", existing)));
    for (role, list, items) in all {
        for (i, (name, text)) in items.into_iter().enumerate() {
            let mut path = vec![key("spec"), key(list), PathSeg::Index(i)];
            if role == RangeRole::Existing {
                path.push(key("cidr"));
            }
            let label = if role == RangeRole::Existing {
                if name.is_empty() {
                    format!("{list}[{i}]")
                } else {
                    name
                }
            } else {
                format!("{list}[{i}]")
            };
            match text.trim().parse::<IpNet>() {
                Ok(net) if net.trunc() != net => diag!(
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
                    loc: src.locate(&path),
                }),
                Err(_) => diag!(
                    "NP3001",
                    &path,
                    format!("spec.{list}[{i}]: {text:?} is not a CIDR (like 10.244.0.0/16 or fd00::/48)"),
                    None,
                ),
            }
        }
    }
    if spec.pod_cidrs.is_empty() {
        diag!(
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
                diags.push(
                    Diagnostic::new(
                        "NP3001",
                        format!(
                            "spec.{list}: two {family} ranges ({} and {}); Kubernetes takes one per family (the first is planned)",
                            first.cidr, second.cidr
                        ),
                    )
                    .at(&second.loc)
                    .resource(resource.clone()),
                );
            }
        }
    }

    // Overlaps. A node subnet inside an existing network (a VPC) is how clouds work, and
    // existing networks are not ours to check against each other.
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
                diags.push(
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
                    )
                    .at(&rb.loc)
                    .resource(resource.clone()),
                );
            }
        }
    }

    // Numbers per family of the pod CIDRs.
    let mut families = Vec::new();
    for family in [Family::V4, Family::V6] {
        let Some(pod) = ranges.iter().find(|r| r.role == RangeRole::Pod && r.family == family) else {
            continue;
        };
        let fam_key = match family {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        };
        let mask_path = [key("spec"), key("nodePodMaskSize"), key(fam_key)];
        let mask = spec.node_pod_mask_size.get(family).unwrap_or(default_mask(cni, family));
        let prefix = pod.cidr.prefix_len();
        if mask > family.bits() {
            diag!(
                "NP3001",
                &mask_path,
                format!("spec.nodePodMaskSize.{fam_key}: /{mask} is longer than an {family} address"),
                None,
            );
            continue;
        }
        if mask < prefix {
            diag!(
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
            continue;
        }
        match cni {
            Cni::Calico if !calico_block_sizes(family).contains(&mask) => {
                let allowed = calico_block_sizes(family);
                diag!(
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
            Cni::Cilium | Cni::Flannel | Cni::Other if mask - prefix > NODE_IPAM_MAX_DIFF => diag!(
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
                .map(|r| match family {
                    Family::V4 => r.size.saturating_sub(2),
                    Family::V6 => r.size.saturating_sub(1),
                })
                .fold(0u128, u128::saturating_add)
        });
        let max_nodes = node_subnet_hosts.map_or(nodes_by_ranges, |h| h.min(nodes_by_ranges));
        if let (Some(hosts), Some(first)) = (node_subnet_hosts, node_subnets.first()) {
            // IPv6 node subnets are /64s with more addresses than any cluster has nodes:
            // comparing them says nothing.
            if family == Family::V4 && hosts > nodes_by_ranges && pods_per_node > 0 {
                diags.push(
                    Diagnostic::new(
                        "NP3011",
                        format!(
                            "the node subnets hold {} {family} nodes but the pod CIDR {} has ranges for only {}: nodes beyond that get no pod addresses",
                            count(hosts),
                            pod.cidr,
                            count(nodes_by_ranges)
                        ),
                    )
                    .at(&first.loc)
                    .resource(resource.clone())
                    .help("use a larger pod CIDR or a longer per-node mask"),
                );
            }
        }
        let used = max_nodes.saturating_mul(pods_per_node);
        let service_addresses = ranges
            .iter()
            .find(|r| r.role == RangeRole::Service && r.family == family)
            .map(|r| match family {
                // The network and broadcast addresses are never allocated.
                Family::V4 => r.size.saturating_sub(2),
                Family::V6 => r.size.saturating_sub(1),
            });
        families.push(FamilyReport {
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
        });
    }
    let pod_families: Vec<Family> = families.iter().map(|f| f.family).collect();
    let dual_stack = pod_families.len() == 2;

    // Services against the plan's families.
    let mut service_families: Vec<Family> = ranges
        .iter()
        .filter(|r| r.role == RangeRole::Service)
        .map(|r| r.family)
        .collect();
    if service_families.is_empty() {
        service_families = pod_families.clone();
    }
    service_families.sort();
    service_families.dedup();
    for svc in services {
        if svc.service_type == "ExternalName" || pod_families.is_empty() {
            continue;
        }
        let svc_resource = svc.source.resource();
        let families_path = [key("spec"), key("ipFamilies")];
        let policy_path = [key("spec"), key("ipFamilyPolicy")];
        for (i, f) in svc.ip_families.iter().enumerate() {
            let known = match f.as_str() {
                "IPv4" => Some(Family::V4),
                "IPv6" => Some(Family::V6),
                _ => None,
            };
            if let Some(fam) = known {
                if !service_families.contains(&fam) {
                    diags.push(
                        Diagnostic::new(
                            "NP3005",
                            format!(
                                "Service {}/{} asks for {fam} but the plan {} has no {fam} service CIDR: the API server rejects it",
                                svc.namespace, svc.name, plan.name
                            ),
                        )
                        .at(&svc.source.locate(&[key("spec"), key("ipFamilies"), PathSeg::Index(i)]))
                        .resource(svc_resource.clone()),
                    );
                }
            }
        }
        // Said out loud (SingleStack, or one family listed) it is a choice worth a warning;
        // left to the default it is how most Services are written: an info.
        let explicit = svc.ip_family_policy.as_deref() == Some("SingleStack")
            || (svc.ip_family_policy.is_none() && svc.ip_families.len() == 1);
        let implicit = svc.ip_family_policy.is_none() && svc.ip_families.is_empty();
        if dual_stack && service_families.len() == 2 && implicit {
            diags.push(
                Diagnostic::new(
                    "NP3012",
                    format!(
                        "Service {}/{} sets no ipFamilyPolicy: in the dual-stack plan {} it gets only IPv4 (the cluster's first family)",
                        svc.namespace, svc.name, plan.name
                    ),
                )
                .at(&svc.source.locate(&[]))
                .resource(svc_resource.clone())
                .help("add `ipFamilyPolicy: PreferDualStack` where clients of the other family need it"),
            );
        }
        if dual_stack && service_families.len() == 2 && explicit {
            let family = svc
                .ip_families
                .first()
                .map_or("IPv4 (the cluster's first family)", |f| f.as_str());
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
            diags.push(
                Diagnostic::new(
                    "NP3005",
                    format!(
                        "Service {}/{} is single-stack ({policy}) in the dual-stack plan {}: it gets only {family}, clients of the other family cannot reach it",
                        svc.namespace, svc.name, plan.name
                    ),
                )
                .at(&svc.source.locate(path))
                .resource(svc_resource)
                .help("set `ipFamilyPolicy: PreferDualStack` (or RequireDualStack) and `ipFamilies: [IPv4, IPv6]`"),
            );
        }
    }

    // MTU over the underlay's families (the node subnets; else the pods').
    let underlay_mtu = spec.underlay_mtu.unwrap_or(DEFAULT_UNDERLAY_MTU);
    if !(576..=65535).contains(&underlay_mtu) {
        diag!(
            "NP3001",
            &[key("spec"), key("underlayMTU")],
            format!("spec.underlayMTU: {underlay_mtu} is not a usable link MTU (576 to 65535)"),
            None,
        );
    }
    let mut underlay: Vec<Family> = ranges
        .iter()
        .filter(|r| r.role == RangeRole::Node)
        .map(|r| r.family)
        .collect();
    if underlay.is_empty() {
        underlay = pod_families.clone();
    }
    if underlay.is_empty() {
        underlay.push(Family::V4);
    }
    let mtu = mtu::compute(underlay_mtu, datapath, &underlay);
    if let Some(set) = spec.pod_mtu {
        let path = [key("spec"), key("podMTU")];
        if let Some(d) = mtu_check(set, &mtu, "spec.podMTU") {
            diags.push(d.at(&src.locate(&path)).resource(resource.clone()));
        }
    }

    PlanReport {
        name: plan.name.clone(),
        cluster: plan.cluster.clone(),
        cni,
        datapath,
        max_pods_per_node: max_pods,
        families,
        ranges,
        overlaps,
        mtu,
        dual_stack,
        diagnostics: diags,
    }
}

/// NP3006 when `set` is above the computed pod MTU (packets fragment or drop), NP3007
/// when it is below (every full-size packet carries fewer bytes than it could).
pub fn mtu_check(set: u32, mtu: &MtuReport, what: &str) -> Option<Diagnostic> {
    use std::cmp::Ordering::*;
    match set.cmp(&mtu.pod_mtu) {
        Greater => Some(
            Diagnostic::new(
                "NP3006",
                format!(
                    "{what} {set} exceeds the pod MTU {} ({} underlay MTU {} minus {} bytes): full-size packets fragment or are dropped",
                    mtu.pod_mtu,
                    mtu.datapath,
                    mtu.underlay_mtu,
                    mtu.underlay_mtu.saturating_sub(mtu.pod_mtu)
                ),
            )
            .help(format!("set the MTU to {}", mtu.pod_mtu)),
        ),
        Less => Some(
            Diagnostic::new(
                "NP3007",
                format!(
                    "{what} {set} is {} bytes below the pod MTU {} that {} over underlay MTU {} allows: every full-size packet carries less than it could",
                    mtu.pod_mtu - set,
                    mtu.pod_mtu,
                    mtu.datapath,
                    mtu.underlay_mtu
                ),
            )
            .help(format!("set the MTU to {}", mtu.pod_mtu)),
        ),
        Equal => None,
    }
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

/// One row of the plan table: a label and a value, both already worded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub label: String,
    pub value: String,
}

impl PlanReport {
    /// The plan table, the same in the CLI and the web view.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut row = |label: &str, value: String| {
            rows.push(Row {
                label: label.into(),
                value,
            })
        };
        row("cluster", self.cluster.clone());
        row("cni", self.cni.to_string());
        row(
            "stack",
            match self.families.as_slice() {
                [a, b] => format!("dual-stack ({}, {})", a.family, b.family),
                [a] => format!("single-stack {}", a.family),
                _ => "no pod CIDR".into(),
            },
        );
        for f in &self.families {
            let p = |s: &str| format!("{} {s}", f.family);
            row(
                &p("pod CIDR"),
                format!("{} ({} addresses)", f.pod_cidr, count(f.pod_addresses)),
            );
            let per = if self.cni == Cni::Calico { "block" } else { "node range" };
            row(
                &p("per-node mask"),
                format!(
                    "/{} ({per} of {} addresses)",
                    f.node_mask,
                    count(f.node_range_addresses)
                ),
            );
            row(&p("node ranges"), count(f.node_ranges));
            row(
                &p("pods per node"),
                format!("{} (max-pods {})", count(f.pods_per_node), self.max_pods_per_node),
            );
            if let Some(h) = f.node_subnet_hosts {
                row(&p("node addresses"), count(h));
            }
            row(&p("max nodes"), count(f.max_nodes));
            let share = if f.pod_addresses == 0 {
                0.0
            } else {
                f.wasted as f64 / f.pod_addresses as f64 * 100.0
            };
            row(&p("addresses wasted"), format!("{} ({share:.1}%)", count(f.wasted)));
            if let Some(s) = f.service_addresses {
                row(&p("service addresses"), count(s));
            }
        }
        row("datapath", self.datapath.to_string());
        row("underlay MTU", self.mtu.underlay_mtu.to_string());
        for f in &self.mtu.families {
            row(
                &format!("overhead ({} underlay)", f.family),
                format!("{} bytes → pod MTU {}", f.overhead, f.pod_mtu),
            );
        }
        row("pod MTU", self.mtu.pod_mtu.to_string());
        rows
    }
}

impl fmt::Display for PlanReport {
    /// The text table `netplay plan` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "AddressPlan {}", self.name)?;
        let rows = self.rows();
        let width = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
        for r in &rows {
            writeln!(f, "  {:width$}  {}", r.label, r.value)?;
        }
        writeln!(f, "  ranges:")?;
        for r in &self.ranges {
            writeln!(f, "    {:8} {:24} {}", r.role.as_str(), r.cidr.to_string(), r.label)?;
        }
        for o in &self.overlaps {
            let (a, b) = (&self.ranges[o.a], &self.ranges[o.b]);
            writeln!(f, "  overlap: {} {} ∩ {} {}", a.label, a.cidr, b.label, b.cidr)?;
        }
        Ok(())
    }
}
