//! Several clusters in one scenario: what a client in one cluster reaches when it asks
//! for a name (Kubernetes MCS API, Istio multi-primary, Cilium ClusterMesh), with
//! locality-aware shares and failover, the connections between clusters and the checks
//! across them.
//!
//! A scenario is multi-cluster when it holds a `netplay.dev/v1alpha1` `Cluster` document
//! or an object annotated `netplay.dev/cluster`. `read::multicluster` then builds each
//! member cluster ([`Member`], in `crate::model::multicluster`) with the ordinary model
//! builder from its own objects, so everything a single cluster means stays exactly as
//! it is. docs/multi-cluster-setup.md describes the layout.

mod checks;
mod connections;
mod resolve;

pub use crate::model::multicluster::{ClusterMeshSpec, ClusterSpec, Member, MultiScenario, CLUSTER_ANNOTATION};
use crate::query::QueryError;
pub(crate) use checks::check;
pub use checks::kubefed_objects;
pub(crate) use connections::connlist;
pub use connections::qualify;
pub use resolve::{east_west_gateway, DnsAnswer, EndpointShare, Mechanism, Resolution};

/// The same Service in two clusters (indexes into `MultiScenario::clusters`), joined by
/// a discovery mechanism.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub from: usize,
    pub to: usize,
    /// `namespace/name`.
    pub service: String,
    pub mechanism: Mechanism,
}

impl MultiScenario {
    /// The same Service in two clusters and the mechanism that joins them (the Clusters
    /// view draws these edges): both export it to one clusterset (MCS), both are in one
    /// Istio mesh, or it is global in both ClusterMesh members. One link per pair, the
    /// first mechanism that applies.
    pub fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        for (a, ma) in self.clusters.iter().enumerate() {
            for (b, mb) in self.clusters.iter().enumerate().skip(a + 1) {
                for s in &ma.cluster.services {
                    if mb.service(&s.namespace, &s.name).is_none() {
                        continue;
                    }
                    let key = (s.namespace.clone(), s.name.clone());
                    let global =
                        |m: &Member| m.annotation(&s.namespace, &s.name, "service.cilium.io/global") == Some("true");
                    let mechanism = if ma.exports.contains_key(&key)
                        && mb.exports.contains_key(&key)
                        && ma.cluster_set() == mb.cluster_set()
                    {
                        Mechanism::Mcs
                    } else if ma.spec.mesh_id.is_some() && ma.spec.mesh_id == mb.spec.mesh_id {
                        Mechanism::Istio
                    } else if ma.spec.cluster_mesh.is_some()
                        && mb.spec.cluster_mesh.is_some()
                        && global(ma)
                        && global(mb)
                    {
                        Mechanism::Clustermesh
                    } else {
                        continue;
                    };
                    out.push(Link {
                        from: a,
                        to: b,
                        service: format!("{}/{}", s.namespace, s.name),
                        mechanism,
                    });
                }
            }
        }
        out
    }

    /// The member and workload a user's name means: `cluster/ns/name[Kind]` (or
    /// `cluster/ns/name`, `cluster/name`), or a name without cluster that only one
    /// cluster has.
    pub fn find_workload(&self, query: &str) -> Result<(&Member, &crate::model::Workload), QueryError> {
        let query = query.trim();
        if let Some((cluster, rest)) = query.split_once('/') {
            if let Some(m) = self.member(cluster) {
                return Ok((m, m.cluster.find_workload(rest)?));
            }
        }
        let found: Vec<(&Member, &crate::model::Workload)> = self
            .clusters
            .iter()
            .filter_map(|m| m.cluster.find_workload(query).ok().map(|w| (m, w)))
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(QueryError::NoWorkloadInClusters {
                query: query.to_string(),
                clusters: self.clusters.iter().map(|m| m.name.clone()).collect(),
            }),
            many => Err(QueryError::Ambiguous {
                query: query.to_string(),
                matches: many.iter().map(|(m, w)| qualify(&m.name, &w.endpoint_name())).collect(),
            }),
        }
    }

    /// Explains a connection between endpoints named `cluster/ns/name[Kind]` or external
    /// addresses: in one cluster, that cluster's explanation; between clusters, the
    /// client's egress and the backend's ingress as [`connlist`] combines them, with the
    /// connection that the joining Services allow.
    pub fn explain(
        &self,
        src: &str,
        dst: &str,
        probe: Option<(crate::conn::Protocol, u16)>,
    ) -> Result<crate::netpol::explain::Explanation, QueryError> {
        connections::explain(self, src, dst, probe)
    }

    /// What a client asking for `name` reaches (`netplay multicluster resolve`).
    /// `from` is `cluster/namespace/workload` (the workload as `Cluster::find_workload`
    /// reads it); `failed` names clusters or regions taken down.
    pub fn resolve(&self, from: &str, name: &str, failed: &[String]) -> Result<Resolution, QueryError> {
        resolve::resolve(self, from, name, failed)
    }
}
