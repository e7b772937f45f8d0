//! The ends of a flow: a workload of the input, an external address, or the cluster DNS
//! when the input does not hold it.

use crate::conn::Protocol;
use crate::diagnostics::Location;
use crate::model::{Cluster, ContainerPort, Workload};
use std::net::IpAddr;

/// One end of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum End {
    /// Index into `Cluster::workloads`.
    Workload(usize),
    External(IpAddr),
    /// The cluster DNS (`k8s-app=kube-dns` in `kube-system`) when the input does not hold
    /// it: lookups are kept, replayed against a stand-in pod with its usual labels, and
    /// admitted by the generated policies (docs/flows.md).
    KubeDns,
}

/// The namespace and pod labels of the cluster DNS in every common distribution.
pub const KUBE_DNS_NAMESPACE: &str = "kube-system";
pub const KUBE_DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");

/// The stand-in for [`End::KubeDns`]: a pod of `kube-system` labelled `k8s-app=kube-dns`,
/// listening on 53 (UDP and TCP).
pub fn kube_dns_workload() -> Workload {
    Workload {
        namespace: KUBE_DNS_NAMESPACE.to_string(),
        name: "kube-dns".to_string(),
        kind: "DNS".to_string(),
        labels: [(KUBE_DNS_LABEL.0.to_string(), KUBE_DNS_LABEL.1.to_string())].into(),
        annotations: Default::default(),
        ports: vec![
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
        ],
        host_network: false,
        node: None,
        node_address: None,
        service_account: None,
        loc: Location::new("", 1, 1),
    }
}

impl End {
    /// The name connlist prints for this end.
    pub fn name(&self, cluster: &Cluster) -> String {
        match self {
            End::Workload(i) => cluster
                .workloads
                .get(*i)
                .map_or_else(String::new, |w| w.endpoint_name()),
            End::External(ip) => format!("{ip}-{ip}[External]"),
            End::KubeDns => "kube-system/kube-dns[DNS]".to_string(),
        }
    }
}
