//! Computing an address plan: numbers per family, every range, overlaps, masks, the CNI's
//! limits, dual-stack Services and the pod MTU.
//!
//! [`compute`] runs the steps in the order their diagnostics appear:
//! - the CNI and datapath ([`cni_and_datapath`]);
//! - [`ranges`]: every range parsed, one per family, overlaps within the plan (and, for
//!   several clusters, [`check_plans`]);
//! - [`family`]: the numbers of each IP family (per-node masks against the CNI's limits,
//!   pods per node, max nodes, waste), and the Services against the plan's families;
//! - [`mtu`]: the pod MTU over the underlay, and a set MTU checked against it;
//! - [`table`]: the plan table both front ends print.

mod family;
mod mtu;
mod ranges;
mod table;

pub use family::{calico_block_sizes, NODE_IPAM_MAX_DIFF};
pub use mtu::mtu_check;
pub use ranges::{check_plans, cross_overlaps, CrossOverlap};
pub use table::{count, Row};

use super::mtu::MtuReport;
use super::Datapath;
use super::{AddressPlan, Cni, Family, ServiceFamilies, DEFAULT_MAX_PODS};
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

fn key(k: &str) -> PathSeg {
    PathSeg::key(k)
}

/// The diagnostics of one plan, each at a field of the plan.
struct PlanDiagnostics<'p> {
    plan: &'p AddressPlan,
    resource: String,
    list: Vec<Diagnostic>,
}

impl<'p> PlanDiagnostics<'p> {
    fn new(plan: &'p AddressPlan) -> Self {
        PlanDiagnostics {
            plan,
            resource: plan.source.resource(),
            list: Vec::new(),
        }
    }

    /// A diagnostic at the field `path` of the plan.
    fn at(&mut self, code: &'static str, path: &[PathSeg], message: String, help: Option<String>) {
        let mut d = Diagnostic::new(code, message)
            .at(&self.plan.source.locate(path))
            .resource(self.resource.clone());
        if let Some(h) = help {
            d = d.help(h);
        }
        self.list.push(d);
    }

    /// A diagnostic at `loc` (a range's line), for the plan.
    fn at_loc(&mut self, d: Diagnostic, loc: &Location) {
        self.list.push(d.at(loc).resource(self.resource.clone()));
    }
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

/// Computes one plan. `services` are the Services of the plan's cluster (the dual-stack
/// check reads their `ipFamilies` and `ipFamilyPolicy`). Never fails: what cannot be
/// computed is left out and said in a diagnostic at the field's line.
pub fn compute(plan: &AddressPlan, services: &[ServiceFamilies]) -> PlanReport {
    let mut diags = PlanDiagnostics::new(plan);
    let (cni, datapath) = cni_and_datapath(plan, &mut diags);
    let max_pods = plan.spec.max_pods_per_node.unwrap_or(DEFAULT_MAX_PODS);
    let ranges = ranges::read(plan, &mut diags);
    let overlaps = ranges::overlaps(&ranges, &mut diags);
    let families = family::numbers(plan, cni, max_pods, &ranges, &mut diags);
    let pod_families: Vec<Family> = families.iter().map(|f| f.family).collect();
    let dual_stack = pod_families.len() == 2;
    family::check_services(plan, services, &ranges, &pod_families, &mut diags);
    let mtu = mtu::pod_mtu(plan, datapath, &ranges, &pod_families, &mut diags);
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
        diagnostics: diags.list,
    }
}

/// The plan's CNI and datapath (unknown ones: the defaults, with an NP3001), and an
/// NP3010 when the CNI has no such datapath.
fn cni_and_datapath(plan: &AddressPlan, diags: &mut PlanDiagnostics) -> (Cni, Datapath) {
    let spec = &plan.spec;
    let cni = match spec.cni.as_deref() {
        None => Cni::Other,
        Some(s) => Cni::parse(s).unwrap_or_else(|| {
            diags.at(
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
            diags.at(
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
        diags.at(
            "NP3010",
            &[key("spec"), key("datapath")],
            format!("{cni} has no {datapath} datapath (it offers {})", offered.join(", ")),
            None,
        );
    }
    (cni, datapath)
}
