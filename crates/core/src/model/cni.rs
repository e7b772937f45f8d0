//! CNI and address planning's vocabulary: the `AddressPlan` document (netplay.dev/v1alpha1)
//! as written, the CNI configuration objects as far as planning cares, and the Services'
//! IP family requests, gathered in [`CniObjects`] (a field of the cluster model).
//! `read::cni` fills them; `crate::cni` computes and checks plans.

use crate::diagnostics::Location;
use crate::parse::locate::PathSeg;
use crate::parse::{Document, RawObject};
use ipnet::IpNet;
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

    /// The same source, shown in `namespace` (`None`: a cluster-scoped object).
    pub(crate) fn in_namespace(self, namespace: Option<String>) -> Source {
        Source { namespace, ..self }
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
/// and the CNI configuration objects.
#[derive(Clone, Debug, Default)]
pub struct CniObjects {
    pub plans: Vec<AddressPlan>,
    pub services: Vec<ServiceFamilies>,
    pub configs: Vec<CniConfig>,
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

/// How pod traffic crosses between nodes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Datapath {
    /// Native routing (no encapsulation): BGP, host-gw, cloud routes.
    Direct,
    Vxlan,
    Geneve,
    Ipip,
    Wireguard,
    Ipsec,
}

impl Datapath {
    pub const ALL: [Datapath; 6] = [
        Datapath::Direct,
        Datapath::Vxlan,
        Datapath::Geneve,
        Datapath::Ipip,
        Datapath::Wireguard,
        Datapath::Ipsec,
    ];

    /// The name used in an AddressPlan (`datapath: vxlan`).
    pub fn as_str(self) -> &'static str {
        match self {
            Datapath::Direct => "direct",
            Datapath::Vxlan => "vxlan",
            Datapath::Geneve => "geneve",
            Datapath::Ipip => "ipip",
            Datapath::Wireguard => "wireguard",
            Datapath::Ipsec => "ipsec",
        }
    }

    pub fn parse(s: &str) -> Option<Datapath> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "direct" | "native" | "none" | "host-gw" | "bgp" => Datapath::Direct,
            "vxlan" => Datapath::Vxlan,
            "geneve" => Datapath::Geneve,
            "ipip" | "ip-in-ip" => Datapath::Ipip,
            "wireguard" => Datapath::Wireguard,
            "ipsec" => Datapath::Ipsec,
            _ => return None,
        })
    }
}

impl fmt::Display for Datapath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An MTU a configuration sets, and the datapath it is for (when the field says so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtuSetting {
    pub value: u32,
    pub datapath: Option<Datapath>,
    pub path: Vec<PathSeg>,
}

/// One CNI configuration object, as far as address planning is concerned.
#[derive(Clone, Debug)]
pub struct CniConfig {
    pub kind: CniKind,
    pub cni: Cni,
    pub source: Source,
    pub pod_cidrs: Vec<(IpNet, Vec<PathSeg>)>,
    pub masks: Vec<(Family, u8, Vec<PathSeg>)>,
    pub mtus: Vec<MtuSetting>,
    /// The datapath the object configures, when it says.
    pub datapath: Option<Datapath>,
}
