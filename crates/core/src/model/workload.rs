//! Namespaces and workloads: labels, container ports, the sets of identical pods that
//! policies select.

use crate::conn::Protocol;
use crate::diagnostics::Location;
use std::collections::BTreeMap;
use std::net::IpAddr;

pub type Labels = BTreeMap<String, String>;

/// The label every namespace carries with its own name (set by the API server).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The namespace and pod labels of the cluster DNS in every common distribution.
pub const KUBE_DNS_NAMESPACE: &str = "kube-system";
pub const KUBE_DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");

/// The cluster DNS's container ports in every common distribution: `dns` 53/UDP and
/// `dns-tcp` 53/TCP.
pub fn kube_dns_ports() -> Vec<ContainerPort> {
    vec![
        ContainerPort {
            name: Some("dns".into()),
            port: 53,
            protocol: Protocol::Udp,
        },
        ContainerPort {
            name: Some("dns-tcp".into()),
            port: 53,
            protocol: Protocol::Tcp,
        },
    ]
}

/// A stand-in for the cluster DNS where the input holds none: a `kind` of `kube-system`
/// named `kube-dns`, labelled `k8s-app=kube-dns`, with [`kube_dns_ports`].
pub fn kube_dns_stand_in(kind: &str) -> Workload {
    let labels = [(KUBE_DNS_LABEL.0.to_string(), KUBE_DNS_LABEL.1.to_string())].into();
    Workload {
        ports: kube_dns_ports(),
        ..Workload::stand_in(KUBE_DNS_NAMESPACE, "kube-dns", kind, labels)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
    /// Where the Namespace object is; `None` for a namespace that objects use but the
    /// input does not define.
    pub loc: Option<Location>,
}

/// A container port: what a named port in a policy resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A set of identical pods: a workload's pod template, or a bare Pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub kind: String,
    /// The pods' labels.
    pub labels: Labels,
    pub annotations: Labels,
    pub ports: Vec<ContainerPort>,
    /// `hostNetwork: true`: the pods use their node's network and address. Selectors
    /// of no policy tier select them; their traffic is the node's (docs/semantics.md).
    pub host_network: bool,
    /// For a host-network workload, the node its pods run on and that node's address,
    /// when every pod of it names the same (`spec.nodeName`, `status.hostIP`).
    pub node: Option<String>,
    pub node_address: Option<IpAddr>,
    pub service_account: Option<String>,
    pub loc: Location,
}

impl Workload {
    /// `namespace/name[Kind]`, the name used everywhere.
    pub fn endpoint_name(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }

    /// How a host-network workload is seen by policies: as its node, `node worker-1
    /// (10.0.0.5)`, `node worker-1`, or `its node` when the pods run on several or on
    /// nodes the input does not say. `None` for a pod-network workload.
    pub fn node_view(&self) -> Option<String> {
        if !self.host_network {
            return None;
        }
        Some(node_view(self.node.as_deref(), self.node_address))
    }
}

/// `node worker-1 (10.0.0.5)`, `node worker-1`, `its node (10.0.0.5)` or `its node`.
pub fn node_view(node: Option<&str>, address: Option<IpAddr>) -> String {
    match (node, address) {
        (Some(n), Some(a)) => format!("node {n} ({a})"),
        (Some(n), None) => format!("node {n}"),
        (None, Some(a)) => format!("its node ({a})"),
        (None, None) => "its node".to_string(),
    }
}

impl Workload {
    /// A workload the input does not hold (the cluster DNS, istiod, a simulated client, a
    /// pod that may be created later): no annotations, ports, node or service account, and
    /// no place in a file unless the caller gives one.
    pub fn stand_in(namespace: &str, name: &str, kind: &str, labels: Labels) -> Workload {
        Workload {
            namespace: namespace.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            labels,
            annotations: Labels::new(),
            ports: Vec::new(),
            host_network: false,
            node: None,
            node_address: None,
            service_account: None,
            loc: Location::new("", 1, 1),
        }
    }
}
