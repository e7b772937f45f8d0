//! The ends of a flow: a workload of the input, an external address, or the cluster DNS
//! when the input does not hold it.

use crate::model::{kube_dns_stand_in, Cluster, Workload};
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

/// The stand-in for [`End::KubeDns`]: a pod of `kube-system` labelled `k8s-app=kube-dns`,
/// listening on 53 (UDP and TCP).
pub fn kube_dns_workload() -> Workload {
    kube_dns_stand_in("DNS")
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
