//! A multi-cluster input into its members: which objects belong to which cluster
//! (annotation, address-plan reference, directory, else every cluster), each member
//! built with [`super::build`] from its own objects, and what discovery reads beside
//! the model (exports, Service annotations, headless Services, replicas).

use crate::diagnostics::{Diagnostic, Location};
use crate::model::multicluster::{is_kubefed_group, ClusterSpec, Member, MultiScenario, CLUSTER_ANNOTATION};
use crate::model::Labels;
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use std::collections::BTreeMap;

/// The kinds the multi-cluster reader takes, so that the model builder does not report them as
/// unknown (NP0003): the netplay `Cluster`, the MCS API and the archived KubeFed API
/// (which the checks report with their own code).
pub(crate) fn classify(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("netplay.dev", "Cluster") => Some("netplay.dev/v1alpha1"),
        ("multicluster.x-k8s.io", "ServiceExport" | "ServiceImport") => Some("multicluster.x-k8s.io/v1alpha1"),
        (g, _) if is_kubefed_group(g) => Some("types.kubefed.io/v1beta1"),
        _ => None,
    }
}

/// Whether the raw objects make a multi-cluster scenario.
pub(crate) fn is_multicluster(raw: &[RawObject]) -> bool {
    raw.iter()
        .any(|o| (o.group() == "netplay.dev" && o.kind == "Cluster") || annotation_cluster(o).is_some())
}

fn annotation_cluster(o: &RawObject) -> Option<String> {
    // `get`, not `pointer`: the pointer's text was parsed again for each of 30,000 objects.
    o.value
        .get("metadata")
        .and_then(|m| m.get("annotations"))
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
// Never inlined into `Scenario::from_objects`: the browser compiles a wasm function whole
// on its first call, and a single cluster never calls this.
#[inline(never)]
pub(crate) fn build(raw: Vec<RawObject>) -> MultiScenario {
    let mut diags = Vec::new();
    let mut specs: BTreeMap<String, (ClusterSpec, Option<Location>, String)> = BTreeMap::new();
    for o in raw.iter().filter(|o| o.group() == "netplay.dev" && o.kind == "Cluster") {
        let spec = match super::field::<ClusterSpec>(o, &["spec"], &mut diags) {
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
        let (cluster, mut ds) = super::build(objects).into_parts();
        // Objects shared by every cluster would be reported once per cluster.
        ds.retain(|d| !diags.contains(d));
        let mut member = Member {
            name: name.clone(),
            spec,
            loc,
            cluster,
            exports: extra.exports,
            service_annotations: extra.service_annotations,
            headless: extra.headless,
            replicas: BTreeMap::new(),
        };
        for w in &member.cluster.workloads {
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
