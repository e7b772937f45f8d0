//! Multi-cluster checks (NP50xx): what makes discovery across clusters fail or surprise.

use super::resolve::{east_west_gateway, LocalityLbSetting};
use super::{Member, MultiScenario};
use crate::diagnostics::{Diagnostic, Location};
use crate::model::multicluster::is_kubefed_group;
use crate::model::{ObjectSummary, Service};
use crate::parse::locate::PathSeg;
use std::collections::BTreeSet;

/// What replaces a KubeFed kind today.
fn kubefed_equivalent(kind: &str) -> &'static str {
    match kind {
        "FederatedService" => "a Service of the same namespace and name in each cluster plus a ServiceExport (multicluster.x-k8s.io/v1alpha1) beside it; clients ask for NAME.NAMESPACE.svc.clusterset.local",
        "ServiceDNSRecord" | "IngressDNSRecord" | "DNSEndpoint" | "Domain" => "the MCS API's clusterset.local names (ServiceExport in each exporting cluster), or a global load balancer in front of each cluster's Gateway",
        "KubeFedCluster" => "a ClusterProfile or your fleet tool's cluster registry (Argo CD cluster secrets, Flux, OCM ManagedCluster) and, for services, ServiceExport/ServiceImport",
        "FederatedTypeConfig" | "KubeFedConfig" => "nothing: without KubeFed there is no type configuration; deploy the plain objects",
        k if k.starts_with("Federated") || k.ends_with("Placement") || k.contains("Preference") => {
            "the plain object applied to each cluster by a GitOps tool (Argo CD ApplicationSet with a cluster generator, Flux Kustomization per cluster), with per-cluster overlays instead of overrides"
        }
        _ => "the plain Kubernetes objects applied to each cluster, and the MCS API (ServiceExport/ServiceImport) for services",
    }
}

/// NP5005 for every KubeFed object of a model (multi-cluster or not).
pub fn kubefed_objects(objects: &[ObjectSummary]) -> Vec<Diagnostic> {
    objects
        .iter()
        .filter(|o| {
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            is_kubefed_group(group)
        })
        .map(|o| {
            let resource = match &o.namespace {
                Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                None => format!("{} {}", o.kind, o.name),
            };
            Diagnostic::new(
                "NP5005",
                format!(
                    "{} ({}) belongs to KubeFed, which is archived (kubernetes-sigs/kubefed is read-only and unmaintained); nothing acts on it in a current cluster",
                    o.kind, o.api_version
                ),
            )
            .at(&o.loc)
            .resource(resource)
            .help(format!("use instead {}", kubefed_equivalent(&o.kind)))
        })
        .collect()
}

pub(crate) fn check(multi: &MultiScenario) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    exports_without_service(multi, &mut out);
    export_conflicts(multi, &mut out);
    global_services(multi, &mut out);
    locality_without_outlier_detection(multi, &mut out);
    networks_without_gateway(multi, &mut out);
    flat_routing_overlaps(multi, &mut out);
    out
}

/// NP3008 (the address plans' cross-cluster check) for clusters whose pods reach each
/// other's addresses directly: every Cilium ClusterMesh member (Cilium requires unique
/// pod CIDRs across the mesh, whatever the routing mode), and Istio clusters of one
/// mesh on one network. Clusters on different networks may reuse addresses.
fn flat_routing_overlaps(multi: &MultiScenario, out: &mut Vec<Diagnostic>) {
    let mut groups: Vec<Vec<&Member>> = Vec::new();
    groups.push(
        multi
            .clusters
            .iter()
            .filter(|m| m.spec.cluster_mesh.is_some())
            .collect(),
    );
    let meshes: BTreeSet<(&str, &str)> = multi
        .clusters
        .iter()
        .filter_map(|m| Some((m.spec.mesh_id.as_deref()?, m.network())))
        .collect();
    for (mesh_id, network) in meshes {
        groups.push(
            multi
                .clusters
                .iter()
                .filter(|m| m.spec.mesh_id.as_deref() == Some(mesh_id) && m.network() == network)
                .collect(),
        );
    }
    for group in groups.iter().filter(|g| g.len() > 1) {
        let plans: Vec<&crate::cni::AddressPlan> = group.iter().flat_map(|m| m.cluster.cni.plans.iter()).collect();
        for d in crate::cni::check_plans(&plans) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
}

/// NP5002: a ServiceExport with no Service beside it exports nothing.
fn exports_without_service(multi: &MultiScenario, out: &mut Vec<Diagnostic>) {
    for m in &multi.clusters {
        for ((ns, name), loc) in &m.exports {
            if m.service(ns, name).is_none() {
                out.push(
                    Diagnostic::new(
                        "NP5002",
                        format!("ServiceExport {ns}/{name} in cluster {} has no Service {ns}/{name} to export", m.name),
                    )
                    .at(loc)
                    .resource(format!("ServiceExport {ns}/{name}"))
                    .help("a ServiceExport exports the Service of the same namespace and name in its own cluster: create the Service there, or delete the export"),
                );
            }
        }
    }
}

fn port_key(s: &Service) -> BTreeSet<(u16, String, Option<String>)> {
    s.ports
        .iter()
        .map(|p| (p.port, p.protocol.to_string(), p.app_protocol.clone()))
        .collect()
}

/// NP5003: the MCS API merges the exported Services of all clusters into one
/// ServiceImport; when their type or ports differ, the export conflicts and the oldest
/// export's definition wins (KEP-1645 conflict resolution).
fn export_conflicts(multi: &MultiScenario, out: &mut Vec<Diagnostic>) {
    let keys: BTreeSet<(String, String, String)> = multi
        .clusters
        .iter()
        .flat_map(|m| {
            m.exports
                .keys()
                .map(|(ns, n)| (m.cluster_set().to_string(), ns.clone(), n.clone()))
        })
        .collect();
    for (set, ns, name) in keys {
        let exporters: Vec<(&Member, &Service, &Location)> = multi
            .clusters
            .iter()
            .filter(|m| m.cluster_set() == set)
            .filter_map(|m| {
                let loc = m.exports.get(&(ns.clone(), name.clone()))?;
                Some((m, m.service(&ns, &name)?, loc))
            })
            .collect();
        let Some((first, first_svc, _)) = exporters.first() else {
            continue;
        };
        let kind = |m: &Member, s: &Service| {
            if m.is_headless(&s.namespace, &s.name) {
                "Headless".to_string()
            } else {
                "ClusterSetIP".to_string()
            }
        };
        for (m, svc, _) in exporters.iter().skip(1) {
            let mut differences = Vec::new();
            if kind(m, svc) != kind(first, first_svc) {
                differences.push(format!(
                    "type {} in {} but {} in {}",
                    kind(first, first_svc),
                    first.name,
                    kind(m, svc),
                    m.name
                ));
            }
            if port_key(svc) != port_key(first_svc) {
                let show = |s: &Service| {
                    s.ports
                        .iter()
                        .map(|p| format!("{}/{}", p.port, p.protocol))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                differences.push(format!(
                    "ports {} in {} but {} in {}",
                    show(first_svc),
                    first.name,
                    show(svc),
                    m.name
                ));
            }
            if !differences.is_empty() {
                out.push(
                    Diagnostic::new(
                        "NP5003",
                        format!(
                            "the exported Service {ns}/{name} differs between clusters ({}): the ServiceExports get the condition Conflict=True and the ServiceImport takes the oldest export's definition",
                            differences.join("; ")
                        ),
                    )
                    .at(&svc.loc)
                    .resource(format!("Service {ns}/{name}"))
                    .help("give the exported Service the same type (ClusterIP or headless) and the same ports in every cluster"),
                );
            }
        }
    }
}

/// NP5004: a Cilium global Service missing, or not global, in another ClusterMesh cluster.
fn global_services(multi: &MultiScenario, out: &mut Vec<Diagnostic>) {
    let mesh: Vec<&Member> = multi
        .clusters
        .iter()
        .filter(|m| m.spec.cluster_mesh.is_some())
        .collect();
    for m in &mesh {
        for svc in &m.cluster.services {
            if m.annotation(&svc.namespace, &svc.name, "service.cilium.io/global") != Some("true") {
                continue;
            }
            for other in mesh.iter().filter(|o| o.name != m.name) {
                let problem = match other.service(&svc.namespace, &svc.name) {
                    None => "has no such Service, so its clients cannot resolve the name and reach none of the shared backends",
                    Some(_)
                        if other.annotation(&svc.namespace, &svc.name, "service.cilium.io/global") != Some("true") =>
                    {
                        "has the Service without service.cilium.io/global: \"true\", so it neither shares nor receives backends"
                    }
                    Some(_) => continue,
                };
                out.push(
                    Diagnostic::new(
                        "NP5004",
                        format!(
                            "global Service {}/{} of cluster {}: ClusterMesh cluster {} {problem}",
                            svc.namespace, svc.name, m.name, other.name
                        ),
                    )
                    .at(&svc.loc)
                    .resource(format!("Service {}/{}", svc.namespace, svc.name))
                    .help("define the Service with the same namespace and name and the annotation service.cilium.io/global: \"true\" in every cluster of the mesh"),
                );
            }
        }
    }
}

/// NP5006: Istio applies locality failover only when the DestinationRule has outlier
/// detection (it has no other way to tell that a locality is unhealthy).
fn locality_without_outlier_detection(multi: &MultiScenario, out: &mut Vec<Diagnostic>) {
    let mut seen = BTreeSet::new();
    for m in &multi.clusters {
        for dr in &m.cluster.mesh.destination_rules {
            let Some(tp) = &dr.spec.traffic_policy else { continue };
            let Some(setting) = tp.load_balancer.as_ref().and_then(|lb| lb.get("localityLbSetting")) else {
                continue;
            };
            let setting: LocalityLbSetting = serde_json::from_value(setting.clone()).unwrap_or_default();
            let fails_over = !setting.failover.is_empty() || !setting.failover_priority.is_empty();
            if !fails_over || tp.outlier_detection.is_some() || setting.enabled == Some(false) {
                continue;
            }
            let loc = dr.meta.locate(&[
                PathSeg::key("spec"),
                PathSeg::key("trafficPolicy"),
                PathSeg::key("loadBalancer"),
                PathSeg::key("localityLbSetting"),
            ]);
            if !seen.insert(loc.clone()) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    "NP5006",
                    format!(
                        "DestinationRule {}/{} sets locality failover for {} but no outlierDetection: Istio then ignores the failover and spreads traffic over every locality",
                        dr.meta.namespace, dr.meta.name, dr.spec.host
                    ),
                )
                .at(&loc)
                .resource(format!("DestinationRule {}/{}", dr.meta.namespace, dr.meta.name))
                .help("add trafficPolicy.outlierDetection (e.g. consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s) so that unhealthy endpoints are ejected and traffic fails over"),
            );
        }
    }
}

/// NP5007: a cluster of a multi-network Istio mesh whose Services others use, with no
/// east-west gateway: callers from other networks cannot reach its pods.
fn networks_without_gateway(multi: &MultiScenario, out: &mut Vec<Diagnostic>) {
    for m in &multi.clusters {
        let Some(mesh_id) = m.spec.mesh_id.as_deref() else {
            continue;
        };
        let others_elsewhere = multi
            .clusters
            .iter()
            .any(|o| o.name != m.name && o.spec.mesh_id.as_deref() == Some(mesh_id) && o.network() != m.network());
        if !others_elsewhere || east_west_gateway(m).is_some() {
            continue;
        }
        let shared: Vec<String> = m
            .cluster
            .services
            .iter()
            .filter(|s| {
                multi.clusters.iter().any(|o| {
                    o.name != m.name
                        && o.spec.mesh_id.as_deref() == Some(mesh_id)
                        && o.network() != m.network()
                        && o.service(&s.namespace, &s.name).is_some()
                })
            })
            .map(|s| format!("{}/{}", s.namespace, s.name))
            .collect();
        if shared.is_empty() {
            continue;
        }
        let mut d = Diagnostic::new(
            "NP5007",
            format!(
                "cluster {} (network {}) shares Services ({}) with clusters of other networks in mesh {mesh_id} but has no east-west gateway: their calls to its pods fail",
                m.name,
                if m.network().is_empty() { "unnamed" } else { m.network() },
                shared.join(", ")
            ),
        )
        .resource(format!("Cluster {}", m.name))
        .help("add an east-west gateway: an Istio Gateway on port 15443 with tls.mode AUTO_PASSTHROUGH and hosts \"*.local\" (samples/multicluster/expose-services.yaml)");
        if let Some(loc) = &m.loc {
            d = d.at(loc);
        }
        out.push(d);
    }
}
