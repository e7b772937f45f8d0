//! CNI and address planning: the `AddressPlan` document (netplay.dev/v1alpha1), what it
//! computes (pods per node, maximum nodes, addresses wasted, the pod MTU), the errors it
//! finds (overlaps, masks, IPv6 limits of the CNI, dual-stack Services, MTU mismatches),
//! the CNI configuration generated from it and read back. docs/cni.md is the guide.
//!
//! An address plan as users write it:
//!
//! ```yaml
//! apiVersion: netplay.dev/v1alpha1
//! kind: AddressPlan
//! metadata:
//!   name: prod
//! spec:
//!   cluster: prod-eu           # default: metadata.name
//!   podCIDRs: [10.244.0.0/16, fd00:10:244::/56]
//!   serviceCIDRs: [10.96.0.0/12, fd00:10:96::/112]
//!   nodeSubnets: [10.0.0.0/22]
//!   nodePodMaskSize: {ipv4: 24, ipv6: 64}
//!   maxPodsPerNode: 110        # kubelet --max-pods
//!   cni: cilium                # cilium | calico | flannel | other
//!   datapath: vxlan            # direct | vxlan | geneve | ipip | wireguard | ipsec
//!   underlayMTU: 1500
//!   podMTU: 1450               # optional: the MTU you intend to set; checked
//!   existingNetworks:
//!     - {name: corporate VPN, cidr: 172.16.0.0/12}
//! ```
//!
//! Public API, used by the CLI, the web app and the multi-cluster module:
//! - [`read_plan`]/`read::build` put every AddressPlan of the input in
//!   `Cluster::cni.plans` (an [`AddressPlan`]: name, cluster, spec, where it is);
//! - [`plan::compute`] turns one plan (and the Services of its cluster) into a
//!   [`PlanReport`]: per-family numbers, every range, the MTU, diagnostics;
//! - [`plan::check_plans`] checks the plans of several clusters against each other
//!   (overlapping pod CIDRs and node subnets, NP3008);
//! - [`plan_scenario`] does all of it for a loaded scenario (`Scenario::plan`);
//! - [`generate::generate`] writes the CNI configuration files for a plan.

pub mod configs;
pub mod edit;
pub mod generate;
pub mod mtu;
pub mod plan;

pub use mtu::{Datapath, MtuReport};
pub use plan::{check_plans, compute, PlanReport};

use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use crate::parse::{Document, RawObject};
use crate::read::field;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The apiVersion of netplay's own documents.
pub const NETPLAY_API_VERSION: &str = "netplay.dev/v1alpha1";

/// An IP family.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub enum Family {
    #[serde(rename = "IPv4")]
    V4,
    #[serde(rename = "IPv6")]
    V6,
}

impl Family {
    pub fn of(net: &ipnet::IpNet) -> Family {
        match net {
            ipnet::IpNet::V4(_) => Family::V4,
            ipnet::IpNet::V6(_) => Family::V6,
        }
    }

    /// Address width in bits.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// `IPv4` / `IPv6`, as Kubernetes writes it in `ipFamilies`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The CNI plugin a plan is for. Its IPAM decides the per-node mask limits and the
/// addresses a node range loses to the plugin itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cni {
    Cilium,
    Calico,
    Flannel,
    /// Any other plugin using Kubernetes node IPAM (`node.spec.podCIDRs`).
    Other,
}

impl Cni {
    pub fn parse(s: &str) -> Option<Cni> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "cilium" => Cni::Cilium,
            "calico" => Cni::Calico,
            "flannel" => Cni::Flannel,
            "other" | "kubenet" | "bridge" | "kindnet" => Cni::Other,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cni::Cilium => "cilium",
            Cni::Calico => "calico",
            Cni::Flannel => "flannel",
            Cni::Other => "other",
        }
    }

    /// The datapaths the plugin offers (docs/cni.md, "Datapaths per CNI").
    pub fn datapaths(self) -> &'static [Datapath] {
        use Datapath::*;
        match self {
            Cni::Cilium => &[Direct, Vxlan, Geneve, Wireguard, Ipsec],
            Cni::Calico => &[Direct, Vxlan, Ipip, Wireguard],
            Cni::Flannel => &[Direct, Vxlan, Ipip, Wireguard, Ipsec],
            Cni::Other => &[Direct, Vxlan, Geneve, Ipip, Wireguard, Ipsec],
        }
    }

    /// Addresses of each node range the plugin keeps for itself (docs/cni.md):
    /// host-local bridge IPAM (flannel, other) loses the network address, the bridge
    /// gateway and, for IPv4, the broadcast address; Cilium its router (`cilium_host`) and
    /// health endpoint; Calico none (its blocks are borrowed on demand, a node is not
    /// limited to one block).
    pub fn reserved_per_node(self, family: Family) -> u128 {
        match (self, family) {
            (Cni::Calico, _) => 0,
            (Cni::Cilium, _) => 2,
            (_, Family::V4) => 3,
            (_, Family::V6) => 2,
        }
    }
}

impl fmt::Display for Cni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `spec.nodePodMaskSize`: the prefix length of the pod range each node gets, per family
/// (kube-controller-manager `--node-cidr-mask-size-ipv4/-ipv6`, Cilium
/// `clusterPoolIPv4MaskSize`, Calico `blockSize`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MaskSizes {
    pub ipv4: Option<u8>,
    pub ipv6: Option<u8>,
}

impl MaskSizes {
    pub fn get(&self, family: Family) -> Option<u8> {
        match family {
            Family::V4 => self.ipv4,
            Family::V6 => self.ipv6,
        }
    }
}

/// A network the plan must stay clear of (a VPC, an on-premises range, a VPN).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExistingNetwork {
    pub name: String,
    pub cidr: String,
}

/// `spec` of an AddressPlan, as written. CIDRs stay strings here so that a malformed one
/// costs only itself (an NP3001 at its line), not the whole plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddressPlanSpec {
    /// The cluster this plan is for; `metadata.name` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// At most one per family (dual-stack: one IPv4 and one IPv6).
    #[serde(rename = "podCIDRs")]
    pub pod_cidrs: Vec<String>,
    #[serde(rename = "serviceCIDRs")]
    pub service_cidrs: Vec<String>,
    pub node_subnets: Vec<String>,
    pub node_pod_mask_size: MaskSizes,
    /// kubelet `--max-pods` (default 110).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pods_per_node: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cni: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapath: Option<String>,
    /// MTU of the node network (default 1500).
    #[serde(rename = "underlayMTU", skip_serializing_if = "Option::is_none")]
    pub underlay_mtu: Option<u32>,
    /// The MTU the user intends to set on pods; checked against the computed one.
    #[serde(rename = "podMTU", skip_serializing_if = "Option::is_none")]
    pub pod_mtu: Option<u32>,
    pub existing_networks: Vec<ExistingNetwork>,
}

/// kubelet's default `--max-pods`.
pub const DEFAULT_MAX_PODS: u32 = 110;
/// The usual Ethernet MTU, assumed when `underlayMTU` is absent.
pub const DEFAULT_UNDERLAY_MTU: u32 = 1500;

/// Where a netplay or CNI object is in the input; locates any of its fields.
#[derive(Clone, Debug)]
pub struct Source {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub loc: Location,
    doc: Document,
    prefix: Vec<PathSeg>,
}

impl Source {
    pub(crate) fn of(obj: &RawObject) -> Source {
        Source {
            kind: obj.kind.clone(),
            name: obj.name.clone(),
            namespace: obj.namespace.clone(),
            loc: obj.loc.clone(),
            doc: obj.doc.clone(),
            prefix: obj.prefix.clone(),
        }
    }

    /// A source that points at nothing in particular (plans built in code, e.g. by the
    /// web form before it is written back).
    pub fn detached(kind: &str, name: &str, file: &str) -> Source {
        Source {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            loc: Location::new(file, 1, 1),
            doc: Document {
                file: file.into(),
                start_line: 0,
                text: "".into(),
            },
            prefix: Vec::new(),
        }
    }

    /// The location of a field, e.g. `&[key("spec"), key("podCIDRs"), Index(0)]`.
    pub fn locate(&self, path: &[PathSeg]) -> Location {
        let mut full = self.prefix.clone();
        full.extend_from_slice(path);
        self.doc.locate(&full)
    }

    /// `Kind name` or `Kind namespace/name`, as diagnostics name resources.
    pub fn resource(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One AddressPlan of the input.
#[derive(Clone, Debug)]
pub struct AddressPlan {
    pub name: String,
    /// `spec.cluster`, or the plan's name.
    pub cluster: String,
    pub spec: AddressPlanSpec,
    pub source: Source,
}

impl AddressPlan {
    /// A plan from a spec built in code (tests, the web form).
    pub fn from_spec(name: &str, spec: AddressPlanSpec) -> AddressPlan {
        AddressPlan {
            name: name.into(),
            cluster: spec.cluster.clone().unwrap_or_else(|| name.into()),
            spec,
            source: Source::detached("AddressPlan", name, name),
        }
    }
}

/// What a Service asks of IP families (for the dual-stack check).
#[derive(Clone, Debug)]
pub struct ServiceFamilies {
    pub namespace: String,
    pub name: String,
    /// `spec.ipFamilies` as written.
    pub ip_families: Vec<String>,
    /// `spec.ipFamilyPolicy` (absent = SingleStack).
    pub ip_family_policy: Option<String>,
    pub service_type: String,
    pub source: Source,
}

/// The CNI-related objects of the input: address plans, the Services' family requests,
/// and the CNI configuration objects (read by [`configs`]).
#[derive(Clone, Debug, Default)]
pub struct CniObjects {
    pub plans: Vec<AddressPlan>,
    pub services: Vec<ServiceFamilies>,
    pub configs: Vec<configs::CniConfig>,
}

/// The kinds this module reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CniKind {
    AddressPlan,
    /// `kube-system/cilium-config` ConfigMap.
    CiliumConfig,
    /// `kube-system/calico-config` ConfigMap (manifest installs: `veth_mtu`).
    CalicoConfig,
    /// Calico operator `Installation`.
    Installation,
    /// Calico `IPPool` (projectcalico.org/v3 or crd.projectcalico.org/v1).
    IpPool,
    FelixConfiguration,
}

/// What this module knows of `(group, kind)`: the kind and its current apiVersion.
pub(crate) fn classify(group: &str, kind: &str) -> Option<(CniKind, &'static str)> {
    Some(match (group, kind) {
        ("netplay.dev", "AddressPlan") => (CniKind::AddressPlan, NETPLAY_API_VERSION),
        ("operator.tigera.io", "Installation") => (CniKind::Installation, "operator.tigera.io/v1"),
        ("projectcalico.org" | "crd.projectcalico.org", "IPPool") => (CniKind::IpPool, "projectcalico.org/v3"),
        ("projectcalico.org" | "crd.projectcalico.org", "FelixConfiguration") => {
            (CniKind::FelixConfiguration, "projectcalico.org/v3")
        }
        _ => return None,
    })
}

/// ConfigMaps are modelled only when they are a CNI's configuration, which is known by
/// name: `cilium-config` and `calico-config`.
pub(crate) fn classify_named(obj: &RawObject) -> Option<CniKind> {
    if obj.api_version != "v1" || obj.kind != "ConfigMap" {
        return None;
    }
    match obj.name.as_str() {
        "cilium-config" => Some(CniKind::CiliumConfig),
        "calico-config" => Some(CniKind::CalicoConfig),
        _ => None,
    }
}

/// apiVersions served with the same schema as the current one.
pub(crate) fn still_served(api_version: &str) -> bool {
    api_version == "crd.projectcalico.org/v1"
}

/// Reads one object of a kind this module knows into `objects`.
pub(crate) fn read(objects: &mut CniObjects, kind: CniKind, obj: &RawObject, diags: &mut Vec<Diagnostic>) {
    match kind {
        CniKind::AddressPlan => match read_plan(obj, diags) {
            Ok(plan) => objects.plans.push(plan),
            Err(d) => diags.push(*d),
        },
        _ => {
            if let Some(config) = configs::read(kind, obj, diags) {
                objects.configs.push(config);
            }
        }
    }
}

/// Reads an AddressPlan object. A wrong type is an NP0002 and the plan is skipped;
/// unknown fields are NP0009 warnings.
pub fn read_plan(obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Result<AddressPlan, Box<Diagnostic>> {
    let spec = field::<AddressPlanSpec>(obj, &["spec"], diags)?.unwrap_or_default();
    Ok(AddressPlan {
        name: obj.name.clone(),
        cluster: spec.cluster.clone().unwrap_or_else(|| obj.name.clone()),
        spec,
        source: Source {
            namespace: None,
            ..Source::of(obj)
        },
    })
}

/// Notes what a Service asks of IP families.
pub(crate) fn note_service(
    objects: &mut CniObjects,
    obj: &RawObject,
    namespace: &str,
    spec: Option<&k8s_openapi::api::core::v1::ServiceSpec>,
) {
    let spec = spec.cloned().unwrap_or_default();
    objects.services.push(ServiceFamilies {
        namespace: namespace.to_string(),
        name: obj.name.clone(),
        ip_families: spec.ip_families.unwrap_or_default(),
        ip_family_policy: spec.ip_family_policy,
        service_type: spec.type_.unwrap_or_else(|| "ClusterIP".into()),
        source: Source {
            namespace: Some(namespace.to_string()),
            ..Source::of(obj)
        },
    });
}

/// Everything `netplay plan` shows for a scenario: one report per AddressPlan, the facts
/// read from CNI configuration objects, and the diagnostics of all checks (per plan,
/// across plans, configuration against plan), sorted.
#[derive(Clone, Debug, Serialize)]
pub struct PlanOutcome {
    pub plans: Vec<PlanReport>,
    pub configs: Vec<configs::ConfigFacts>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Computes every plan of the scenario. The Services of the input are checked against
/// every dual-stack plan (one scenario is one cluster; the multi-cluster module passes
/// each cluster's own Services to [`plan::compute`]).
pub fn plan_scenario(cluster: &crate::model::Cluster) -> PlanOutcome {
    let objects = &cluster.cni;
    let mut plans: Vec<PlanReport> = objects
        .plans
        .iter()
        .map(|p| plan::compute(p, &objects.services))
        .collect();
    let mut diagnostics: Vec<Diagnostic> = plans.iter_mut().flat_map(|r| r.diagnostics.clone()).collect();
    let refs: Vec<&AddressPlan> = objects.plans.iter().collect();
    diagnostics.extend(plan::check_plans(&refs));
    let facts: Vec<configs::ConfigFacts> = objects.configs.iter().map(|c| c.facts()).collect();
    diagnostics.extend(configs::check(&objects.configs, &objects.plans, &plans));
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    PlanOutcome {
        plans,
        configs: facts,
        diagnostics,
    }
}

impl PlanOutcome {
    /// The text `netplay plan` prints on stdout: each plan's table and ranges, then the
    /// facts of each CNI configuration object. Diagnostics are printed separately.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.plans.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&p.to_string());
        }
        if !self.configs.is_empty() {
            out.push_str("\nCNI configuration read back:\n");
            for c in &self.configs {
                out.push_str(&format!("  {} ({}:{}): {}", c.resource, c.file, c.line, c.cni));
                if let Some(d) = c.datapath {
                    out.push_str(&format!(", datapath {d}"));
                }
                if !c.pod_cidrs.is_empty() {
                    out.push_str(&format!(", pod ranges {}", c.pod_cidrs.join(" ")));
                }
                for (f, m) in &c.masks {
                    out.push_str(&format!(", {f} per-node mask /{m}"));
                }
                for (field, v) in &c.mtus {
                    out.push_str(&format!(", {field} = {v}"));
                }
                out.push('\n');
            }
        }
        out
    }
}
