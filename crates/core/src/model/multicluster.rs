//! Several clusters in one scenario, as read: each member's description (`Cluster`
//! documents of netplay.dev/v1alpha1), its own cluster model and what discovery needs
//! beside it. `read::multicluster` builds them; `crate::multicluster` answers what a
//! client reaches across clusters.

use super::{Cluster, Labels, Service};
use crate::diagnostics::{Diagnostic, Location};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The annotation that puts an object into one cluster of a multi-cluster scenario.
pub const CLUSTER_ANNOTATION: &str = "netplay.dev/cluster";

/// The archived KubeFed API's groups: read so that they are not unknown kinds, and
/// reported by the multi-cluster checks.
const KUBEFED_GROUPS: &[&str] = &[
    "types.kubefed.io",
    "core.kubefed.io",
    "scheduling.kubefed.io",
    "multiclusterdns.kubefed.io",
];

pub(crate) fn is_kubefed_group(group: &str) -> bool {
    KUBEFED_GROUPS.contains(&group)
}

/// `Cluster.spec`: where the cluster is and which multi-cluster machinery joins it to others.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ClusterSpec {
    /// `topology.kubernetes.io/region` of the cluster's nodes.
    pub region: Option<String>,
    /// `topology.kubernetes.io/zone` of the cluster's nodes.
    pub zone: Option<String>,
    /// Istio network (`topology.istio.io/network`): clusters on different networks reach
    /// each other's pods only through an east-west gateway.
    pub network: Option<String>,
    /// Istio mesh ID: clusters with the same meshID form one multi-primary mesh.
    #[serde(rename = "meshID")]
    pub mesh_id: Option<String>,
    /// SPIFFE trust domain of the cluster's Istio identities (default `cluster.local`).
    pub trust_domain: Option<String>,
    /// MCS clusterset (default: every cluster of the scenario is in one set).
    pub cluster_set: Option<String>,
    /// Cilium ClusterMesh membership.
    pub cluster_mesh: Option<ClusterMeshSpec>,
    /// The name of an `AddressPlan` document for this cluster.
    pub address_plan: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ClusterMeshSpec {
    /// Cilium `cluster.id` (1–255, unique in the mesh).
    pub id: Option<u32>,
    /// `native` (pod CIDRs routed between clusters: they must not overlap) or `tunnel`.
    pub routing: Option<String>,
}

/// One member cluster: its description, its model and what discovery reads beside it.
/// Its reading diagnostics are in [`MultiScenario::diagnostics`], each once (objects
/// written once for every cluster are read in each).
#[derive(Clone, Debug, Default)]
pub struct Member {
    pub name: String,
    pub spec: ClusterSpec,
    /// Where the `Cluster` document is; `None` for a cluster only named by annotations.
    pub loc: Option<Location>,
    /// The cluster's model, read from its own objects.
    pub cluster: Cluster,
    /// `ServiceExport`s: `(namespace, name)` with their location.
    pub exports: BTreeMap<(String, String), Location>,
    /// `metadata.annotations` of each Service, by `(namespace, name)`.
    pub service_annotations: BTreeMap<(String, String), Labels>,
    /// Services with `clusterIP: None`.
    pub headless: Vec<(String, String)>,
    /// Pods of each workload (`spec.replicas`, default 1), by endpoint name.
    pub replicas: BTreeMap<String, u32>,
}

impl Member {
    pub fn region(&self) -> &str {
        self.spec.region.as_deref().unwrap_or("")
    }
    pub fn zone(&self) -> &str {
        self.spec.zone.as_deref().unwrap_or("")
    }
    pub fn network(&self) -> &str {
        self.spec.network.as_deref().unwrap_or("")
    }
    pub fn cluster_set(&self) -> &str {
        self.spec.cluster_set.as_deref().unwrap_or("")
    }
    pub fn trust_domain(&self) -> &str {
        self.spec.trust_domain.as_deref().unwrap_or("cluster.local")
    }
    /// The Service `namespace/name`, if this cluster has it.
    pub fn service(&self, namespace: &str, name: &str) -> Option<&Service> {
        self.cluster
            .services
            .iter()
            .find(|s| s.namespace == namespace && s.name == name)
    }
    pub fn annotation(&self, namespace: &str, name: &str, key: &str) -> Option<&str> {
        self.service_annotations
            .get(&(namespace.to_string(), name.to_string()))
            .and_then(|a| a.get(key))
            .map(|v| v.trim())
    }
    pub fn is_headless(&self, namespace: &str, name: &str) -> bool {
        self.headless.iter().any(|(n, s)| n == namespace && s == name)
    }
}

/// A scenario with several clusters.
#[derive(Clone, Debug, Default)]
pub struct MultiScenario {
    /// Sorted by name.
    pub clusters: Vec<Member>,
    /// Diagnostics of reading: each member's model diagnostics, and the assignment of
    /// objects to clusters.
    pub diagnostics: Vec<Diagnostic>,
}

impl MultiScenario {
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.clusters.iter().find(|m| m.name == name)
    }
}
