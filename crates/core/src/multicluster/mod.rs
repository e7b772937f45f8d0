//! Several clusters in one scenario: which objects belong to which cluster, and what a
//! client in one cluster reaches when it asks for a name (Kubernetes MCS API, Istio
//! multi-primary, Cilium ClusterMesh), with locality-aware shares and failover.
//!
//! A scenario is multi-cluster when it holds a `netplay.dev/v1alpha1` `Cluster` document
//! or an object annotated `netplay.dev/cluster`. Each member cluster is then built with
//! the ordinary model builder from its own objects, so everything a single cluster means
//! stays exactly as it is. docs/multi-cluster-setup.md describes the layout.

mod checks;
mod connections;
mod resolve;

pub use checks::kubefed_objects;
pub(crate) use connections::connlist;
pub use connections::qualify;
pub use resolve::{east_west_gateway, DnsAnswer, EndpointShare, Mechanism, Resolution};

use crate::diagnostics::{Diagnostic, Location};
use crate::model::Labels;
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::read;
use crate::Scenario;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The annotation that puts an object into one cluster of a multi-cluster scenario.
pub const CLUSTER_ANNOTATION: &str = "netplay.dev/cluster";

/// The kinds this module reads, so that the model builder does not report them as
/// unknown (NP0003): the netplay `Cluster`, the MCS API and the archived KubeFed API
/// (which the checks report with their own code).
pub(crate) fn classify(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("netplay.dev", "Cluster") => Some("netplay.dev/v1alpha1"),
        ("multicluster.x-k8s.io", "ServiceExport" | "ServiceImport") => Some("multicluster.x-k8s.io/v1alpha1"),
        (g, _) if checks::is_kubefed_group(g) => Some("types.kubefed.io/v1beta1"),
        _ => None,
    }
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

/// One member cluster: its description, its model and what this module reads beside it.
#[derive(Clone, Debug, Default)]
pub struct Member {
    pub name: String,
    pub spec: ClusterSpec,
    /// Where the `Cluster` document is; `None` for a cluster only named by annotations.
    pub loc: Option<Location>,
    pub scenario: Scenario,
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
    pub fn service(&self, namespace: &str, name: &str) -> Option<&crate::model::Service> {
        self.scenario
            .cluster
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

    /// The multi-cluster checks (NP50xx) plus every member's own analysis, each
    /// diagnostic once.
    pub fn analyze(&self) -> Vec<Diagnostic> {
        let mut all = self.diagnostics.clone();
        for m in &self.clusters {
            let mut inner = m.scenario.clone();
            inner.diagnostics.clear();
            all.extend(inner.analyze());
        }
        all.extend(checks::check(self));
        all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        all.dedup();
        all
    }

    /// The same Service in two clusters and the mechanism that joins them (the Clusters
    /// view draws these edges): both export it to one clusterset (MCS), both are in one
    /// Istio mesh, or it is global in both ClusterMesh members. One link per pair, the
    /// first mechanism that applies.
    pub fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        for (a, ma) in self.clusters.iter().enumerate() {
            for (b, mb) in self.clusters.iter().enumerate().skip(a + 1) {
                for s in &ma.scenario.cluster.services {
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
    pub fn find_workload(&self, query: &str) -> Result<(&Member, &crate::model::Workload), String> {
        let query = query.trim();
        if let Some((cluster, rest)) = query.split_once('/') {
            if let Some(m) = self.member(cluster) {
                return Ok((m, m.scenario.cluster.find_workload(rest)?));
            }
        }
        let found: Vec<(&Member, &crate::model::Workload)> = self
            .clusters
            .iter()
            .filter_map(|m| m.scenario.cluster.find_workload(query).ok().map(|w| (m, w)))
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "no workload named {query:?} in any cluster (clusters: {}); write CLUSTER/NAMESPACE/NAME[Kind]",
                self.clusters
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            many => Err(format!(
                "{query:?} is ambiguous: {}",
                many.iter()
                    .map(|(m, w)| qualify(&m.name, &w.endpoint_name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
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
        probe: Option<(crate::Protocol, u16)>,
    ) -> Result<crate::netpol::explain::Explanation, String> {
        connections::explain(self, src, dst, probe)
    }

    /// What a client asking for `name` reaches (`netplay multicluster resolve`).
    /// `from` is `cluster/namespace/workload` (the workload as `Cluster::find_workload`
    /// reads it); `failed` names clusters or regions taken down.
    pub fn resolve(&self, from: &str, name: &str, failed: &[String]) -> Result<Resolution, String> {
        resolve::resolve(self, from, name, failed)
    }
}

/// Whether the raw objects make a multi-cluster scenario.
pub(crate) fn is_multicluster(raw: &[RawObject]) -> bool {
    raw.iter()
        .any(|o| (o.group() == "netplay.dev" && o.kind == "Cluster") || annotation_cluster(o).is_some())
}

fn annotation_cluster(o: &RawObject) -> Option<String> {
    o.value
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(CLUSTER_ANNOTATION))
        .and_then(|v| v.as_str())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The directory part of a file name, `/`-separated.
fn dir_of(file: &str) -> String {
    let file = file.replace('\\', "/");
    file.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default()
}

fn is_within(dir: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || dir == ancestor || dir.starts_with(&format!("{ancestor}/"))
}

/// Splits raw objects into member clusters and builds each with the model builder.
/// An object goes to the cluster its `netplay.dev/cluster` annotation names; else to the
/// cluster whose `Cluster` document is alone in the nearest enclosing directory of its
/// file; else to every cluster (namespaces and shared configuration are written once).
pub(crate) fn build(raw: Vec<RawObject>) -> MultiScenario {
    let mut diags = Vec::new();
    let mut specs: BTreeMap<String, (ClusterSpec, Option<Location>, String)> = BTreeMap::new();
    for o in raw.iter().filter(|o| o.group() == "netplay.dev" && o.kind == "Cluster") {
        let spec = match read::field::<ClusterSpec>(o, &["spec"], &mut diags) {
            Ok(s) => s.unwrap_or_default(),
            Err(d) => {
                diags.push(*d);
                ClusterSpec::default()
            }
        };
        if let Some(prev) = specs.get(&o.name) {
            if let Some(loc) = &prev.1 {
                diags.push(
                    Diagnostic::new(
                        "NP0005",
                        format!(
                            "Cluster {} is defined twice (first at {}:{}); the later definition wins",
                            o.name, loc.file, loc.line
                        ),
                    )
                    .at(&o.loc)
                    .resource(o.resource()),
                );
            }
        }
        specs.insert(o.name.clone(), (spec, Some(o.loc.clone()), dir_of(&o.loc.file)));
    }
    // Clusters named only by annotations exist too, with nothing known about them.
    for o in &raw {
        if let Some(name) = annotation_cluster(o) {
            if let std::collections::btree_map::Entry::Vacant(slot) = specs.entry(name.clone()) {
                diags.push(
                    Diagnostic::new(
                        "NP5001",
                        format!(
                            "the annotation {CLUSTER_ANNOTATION}: {name} names a cluster that has no Cluster document; it is assumed, with no region, network or mesh"
                        ),
                    )
                    .at(&o.locate(&[PathSeg::key("metadata"), PathSeg::key("annotations"), PathSeg::key(CLUSTER_ANNOTATION)]))
                    .resource(o.resource())
                    .help(format!("add a document `apiVersion: netplay.dev/v1alpha1`, `kind: Cluster`, `metadata.name: {name}`")),
                );
                slot.insert((ClusterSpec::default(), None, String::new()));
            }
        }
    }
    // A directory holding exactly one Cluster document owns the files below it.
    let mut per_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (_, loc, dir)) in &specs {
        if loc.is_some() {
            per_dir.entry(dir.clone()).or_default().push(name.clone());
        }
    }
    let owner_of_file = |file: &str| -> Option<String> {
        let dir = dir_of(file);
        per_dir
            .iter()
            .filter(|(d, names)| names.len() == 1 && !d.is_empty() && is_within(&dir, d))
            .max_by_key(|(d, _)| d.len())
            .map(|(_, names)| names[0].clone())
    };
    let names: Vec<String> = specs.keys().cloned().collect();
    let mut parts: BTreeMap<String, Vec<RawObject>> = names.iter().map(|n| (n.clone(), Vec::new())).collect();
    for o in raw {
        if o.group() == "netplay.dev" && o.kind == "Cluster" {
            continue;
        }
        let target = annotation_cluster(&o)
            .or_else(|| plan_owner(&o, &specs))
            .or_else(|| owner_of_file(&o.loc.file));
        match target {
            Some(name) => parts.entry(name).or_default().push(o),
            None => {
                for n in &names {
                    parts.entry(n.clone()).or_default().push(o.clone());
                }
            }
        }
    }
    let mut clusters = Vec::new();
    for (name, objects) in parts {
        let (spec, loc, _) = specs.get(&name).cloned().unwrap_or_default();
        let extra = read_extras(&objects);
        let (cluster, mut ds) = read::build(objects);
        // Objects shared by every cluster would be reported once per cluster.
        ds.retain(|d| !diags.contains(d));
        let mut member = Member {
            name: name.clone(),
            spec,
            loc,
            scenario: Scenario {
                cluster,
                diagnostics: Vec::new(),
                multicluster: None,
            },
            exports: extra.exports,
            service_annotations: extra.service_annotations,
            headless: extra.headless,
            replicas: BTreeMap::new(),
        };
        for w in &member.scenario.cluster.workloads {
            let key = (w.namespace.clone(), w.name.clone(), w.kind.clone());
            let n = extra.replicas.get(&key).copied().unwrap_or(1);
            member.replicas.insert(w.endpoint_name(), n);
        }
        for d in ds {
            if !diags.contains(&d) {
                diags.push(d);
            }
        }
        clusters.push(member);
    }
    MultiScenario {
        clusters,
        diagnostics: diags,
    }
}

/// The cluster an AddressPlan belongs to: the Cluster whose `addressPlan` names it, or
/// the member its `spec.cluster` names.
fn plan_owner(o: &RawObject, specs: &BTreeMap<String, (ClusterSpec, Option<Location>, String)>) -> Option<String> {
    if o.group() != "netplay.dev" || o.kind != "AddressPlan" {
        return None;
    }
    specs
        .iter()
        .find(|(_, (spec, _, _))| spec.address_plan.as_deref() == Some(o.name.as_str()))
        .map(|(name, _)| name.clone())
        .or_else(|| {
            let cluster = o.value.pointer("/spec/cluster").and_then(|v| v.as_str())?;
            specs.contains_key(cluster).then(|| cluster.to_string())
        })
}

#[derive(Default)]
struct Extras {
    exports: BTreeMap<(String, String), Location>,
    service_annotations: BTreeMap<(String, String), Labels>,
    headless: Vec<(String, String)>,
    replicas: BTreeMap<(String, String, String), u32>,
}

/// What the model does not keep but discovery needs: exports, Service annotations and
/// headlessness, replica counts.
fn read_extras(objects: &[RawObject]) -> Extras {
    let mut x = Extras::default();
    for o in objects {
        let ns = o.namespace.clone().unwrap_or_else(|| "default".to_string());
        let key = (ns.clone(), o.name.clone());
        match (o.group(), o.kind.as_str()) {
            ("multicluster.x-k8s.io", "ServiceExport") => {
                x.exports.insert(key, o.loc.clone());
            }
            ("", "Service") => {
                let annotations: Labels = o
                    .value
                    .pointer("/metadata/annotations")
                    .and_then(|a| a.as_object())
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                x.service_annotations.insert(key.clone(), annotations);
                if o.value.pointer("/spec/clusterIP").and_then(|v| v.as_str()) == Some("None") {
                    x.headless.push(key);
                }
            }
            (_, kind) => {
                let replicas = match kind {
                    "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => o
                        .value
                        .pointer("/spec/replicas")
                        .and_then(|v| v.as_u64())
                        .map_or(1, |n| n.min(u64::from(u32::MAX)) as u32),
                    _ => 1,
                };
                x.replicas.insert((ns, o.name.clone(), o.kind.clone()), replicas);
            }
        }
    }
    x
}
