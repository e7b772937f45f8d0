//! The cluster model: the vocabulary every reader writes and every analysis reads —
//! namespaces, workloads, services, ingresses, policies (in the rule model of
//! [`crate::policy`]), mesh and CNI objects. Plain types: nothing here reads raw objects
//! ([`crate::read`] does) or answers a question about traffic (the analyses do).

pub mod cni;
pub mod mesh;
pub mod multicluster;
mod service;
pub(crate) mod workload;

pub use service::{BackendPort, Ingress, IngressBackend, Service, ServicePort, TargetPort};
pub use workload::{
    kube_dns_ports, kube_dns_stand_in, node_view, ContainerPort, Labels, Namespace, Workload, KUBE_DNS_LABEL,
    KUBE_DNS_NAMESPACE, NAMESPACE_NAME_LABEL,
};

use crate::diagnostics::Location;
use crate::query::QueryError;
use std::collections::BTreeMap;

/// The API group of AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy.
pub(crate) const ADMIN_POLICY_GROUP: &str = "policy.networking.k8s.io";

/// A Calico NetworkSet (`namespace` set) or GlobalNetworkSet: addresses with labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSet {
    /// `None` for a GlobalNetworkSet.
    pub namespace: Option<String>,
    pub name: String,
    pub labels: Labels,
    pub nets: Vec<ipnet::IpNet>,
    pub loc: Location,
}

impl NetworkSet {
    /// `GlobalNetworkSet name` or `NetworkSet ns/name`.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("NetworkSet {ns}/{}", self.name),
            None => format!("GlobalNetworkSet {}", self.name),
        }
    }
}

/// Whether `(group, kind)` is netplay's `Assertions` document, read beside the model
/// (`assertions::read`) and known to `read::build`.
pub(crate) fn is_assertions(group: &str, kind: &str) -> bool {
    group == "netplay.dev" && kind == "Assertions"
}

/// Every object of the input, modelled or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub loc: Location,
    /// Whether netplay understands this kind (false: kept, reported as info).
    pub modelled: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Sorted by name.
    pub namespaces: Vec<Namespace>,
    /// Sorted by endpoint name.
    pub workloads: Vec<Workload>,
    pub services: Vec<Service>,
    pub ingresses: Vec<Ingress>,
    /// The valid policies of every kind (NetworkPolicy and the admin kinds), in input
    /// order; invalid ones are reported and left out.
    pub policies: Vec<crate::policy::Policy>,
    /// Calico policies that are staged (StagedNetworkPolicy and its kin): never enforced,
    /// evaluated only to show what they would change.
    pub staged_policies: Vec<crate::policy::Policy>,
    /// Calico NetworkSets and GlobalNetworkSets: labelled address ranges that Calico
    /// selectors select as peers.
    pub network_sets: Vec<NetworkSet>,
    /// Calico's default tier, when the input holds Calico objects (the Kubernetes
    /// NetworkPolicies join it under Calico's evaluation order).
    pub calico_default_tier: Option<crate::policy::Tier>,
    /// The priority of order 1000 (the Kubernetes NetworkPolicies' in that tier) among
    /// the ranked Calico orders.
    pub calico_kubernetes_priority: i32,
    /// Istio and Gateway API objects.
    pub mesh: mesh::Mesh,
    /// Address plans, CNI configuration objects and the Services' IP families.
    pub cni: cni::CniObjects,
    /// Every object read, in input order.
    pub objects: Vec<ObjectSummary>,
}

static EMPTY_LABELS: Labels = Labels::new();

impl Cluster {
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.namespaces[i])
    }

    /// The labels of a namespace (empty for an unknown one).
    pub fn namespace_labels(&self, name: &str) -> &Labels {
        self.namespace(name).map_or(&EMPTY_LABELS, |n| &n.labels)
    }

    /// Finds a workload by `ns/name[Kind]`, `ns/name`, or a bare name when it is unique.
    /// An owner shown as several workloads (`db/postgres{role=primary}[StatefulSet]`) is
    /// also found by its plain name, which is then ambiguous and lists them.
    pub fn find_workload(&self, query: &str) -> Result<&Workload, QueryError> {
        let owner_name = |w: &Workload| w.name.split_once('{').map_or(w.name.as_str(), |(n, _)| n).to_string();
        let matches: Vec<&Workload> = if query.ends_with(']') {
            let exact: Vec<&Workload> = self.workloads.iter().filter(|w| w.endpoint_name() == query).collect();
            if exact.is_empty() {
                self.workloads
                    .iter()
                    .filter(|w| format!("{}/{}[{}]", w.namespace, owner_name(w), w.kind) == query)
                    .collect()
            } else {
                exact
            }
        } else if let Some((ns, name)) = query.split_once('/') {
            let exact: Vec<&Workload> = self
                .workloads
                .iter()
                .filter(|w| w.namespace == ns && w.name == name)
                .collect();
            if exact.is_empty() {
                self.workloads
                    .iter()
                    .filter(|w| w.namespace == ns && owner_name(w) == name)
                    .collect()
            } else {
                exact
            }
        } else {
            let exact: Vec<&Workload> = self.workloads.iter().filter(|w| w.name == query).collect();
            if exact.is_empty() {
                self.workloads.iter().filter(|w| owner_name(w) == query).collect()
            } else {
                exact
            }
        };
        match matches.as_slice() {
            [w] => Ok(w),
            [] => Err(QueryError::NoWorkload {
                query: query.to_string(),
                hint: self.workload_hint(query),
            }),
            many => Err(QueryError::Ambiguous {
                query: query.to_string(),
                matches: many.iter().map(|w| w.endpoint_name()).collect(),
            }),
        }
    }

    /// `; did you mean "frontend/web"?` for a workload name that matched nothing: the
    /// closest name written the way the query is (`ns/name[Kind]`, `ns/name` or `name`).
    fn workload_hint(&self, query: &str) -> String {
        let written = |w: &Workload| {
            if query.ends_with(']') {
                w.endpoint_name()
            } else if query.contains('/') {
                format!("{}/{}", w.namespace, w.name)
            } else {
                w.name.clone()
            }
        };
        let names: Vec<String> = self.workloads.iter().map(written).collect();
        crate::suggest::hint(query, names.iter().map(String::as_str))
    }

    /// Policy objects of kinds that decide traffic but that netplay does not evaluate
    /// yet, counted by kind (sorted): the verdicts of the input may be wrong because of
    /// them, which every command says on stderr.
    pub fn unevaluated_policies(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for o in self.objects.iter().filter(|o| !o.modelled) {
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            if UNEVALUATED_POLICY_KINDS.contains(&(group, o.kind.as_str())) {
                *counts.entry(o.kind.clone()).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }
}

/// Kinds that allow or deny traffic between pods, by API group. Once netplay models one
/// (`classify` knows it), its objects are no longer counted as ignored.
pub(crate) const UNEVALUATED_POLICY_KINDS: &[(&str, &str)] = &[
    ("crd.antrea.io", "NetworkPolicy"),
    ("crd.antrea.io", "ClusterNetworkPolicy"),
    ("k8s.cni.cncf.io", "MultiNetworkPolicy"),
    ("k8s.ovn.org", "EgressFirewall"),
    ("networking.gke.io", "FQDNNetworkPolicy"),
];
