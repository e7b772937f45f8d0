//! Offline analyzers for the service mesh: the checks `istioctl analyze` makes (with its
//! `ISTxxxx` codes where the condition is the same) and netplay's own (`NP2xxx`), run on
//! the manifests alone. docs/diagnostics.md describes every code, and
//! tests/mesh-analyzers/ holds one broken example per check and valid configurations that
//! must stay silent.
//!
//! Every diagnostic names its resource (`Kind namespace/name`), points at the field that is
//! wrong (found with [`ObjRef::locate`]) and says in `help` what to change.
//!
//! Input is often partial (one file of a larger cluster), so a check that needs other
//! objects runs only when the input holds objects of that kind at all: hosts are looked up
//! only when the input has Services or ServiceEntries, selectors only when it has
//! workloads, gateway references only when it has Gateways. Without them netplay cannot
//! tell a broken reference from an object that lives in another file.

mod destinations;
mod gateways;
mod netpol;
mod routes;
mod security;
mod services;

use super::host::{config_host, find_entry, find_service, host_matches};
use super::types::{ServiceEntrySpec, StrMap};
use super::{sidecar_injected, MeshObject, ObjRef};
use crate::diagnostics::{Diagnostic, Location};
use crate::model::{Cluster, Service, TargetPort, Workload};
use std::collections::BTreeSet;

/// Runs every mesh check. Returns nothing for an input without Istio or Gateway API objects
/// and without sidecars.
pub fn check(cluster: &Cluster) -> Vec<Diagnostic> {
    let ctx = Ctx::new(cluster);
    if cluster.mesh.is_empty() && !(0..cluster.workloads.len()).any(|i| ctx.proxy(i)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    routes::check(&ctx, &mut out);
    destinations::check(&ctx, &mut out);
    gateways::check(&ctx, &mut out);
    services::check(&ctx, &mut out);
    security::check(&ctx, &mut out);
    netpol::check(&ctx, &mut out);
    out
}

/// What every check needs: the cluster and facts computed once.
pub(super) struct Ctx<'c> {
    pub cluster: &'c Cluster,
    /// Whether each workload (same index as `Cluster::workloads`) runs a sidecar.
    pub sidecar: Vec<bool>,
    /// Whether each workload is a gateway proxy (its own Envoy, no injected sidecar).
    pub gateway: Vec<bool>,
    /// The input has workloads: selectors can be checked.
    pub has_workloads: bool,
    /// The input has Services or ServiceEntries: hosts can be looked up.
    pub has_registry: bool,
    /// The workloads each Service selects (same index as `Cluster::services`).
    pub members: Vec<Vec<usize>>,
    /// The namespaces where some workload runs a proxy.
    pub meshed_namespaces: BTreeSet<String>,
}

impl<'c> Ctx<'c> {
    /// Whether some workload of namespace `ns` carries all of `labels`.
    pub fn selects_any(&self, ns: &str, labels: &crate::mesh::types::StrMap) -> bool {
        self.cluster
            .workloads
            .iter()
            .any(|w| w.namespace == ns && crate::mesh::labels_match(labels, &w.labels))
    }

    fn new(cluster: &'c Cluster) -> Self {
        let sidecar = cluster
            .workloads
            .iter()
            .map(|w| sidecar_injected(cluster, w).injected)
            .collect();
        let gateway = cluster.workloads.iter().map(|w| is_gateway(cluster, w)).collect();
        let mut ctx = Ctx {
            cluster,
            sidecar,
            gateway,
            has_workloads: !cluster.workloads.is_empty(),
            has_registry: !cluster.services.is_empty() || !cluster.mesh.service_entries.is_empty(),
            members: Vec::new(),
            meshed_namespaces: BTreeSet::new(),
        };
        ctx.members = cluster
            .services
            .iter()
            .map(|s| ctx.service_workloads(s, None))
            .collect();
        ctx.meshed_namespaces = ctx
            .workloads()
            .filter(|(i, _)| ctx.proxy(*i))
            .map(|(_, w)| w.namespace.clone())
            .collect();
        ctx
    }

    /// The Services (with their index) that select workload `wi`.
    pub fn services_of(&self, wi: usize) -> impl Iterator<Item = (usize, &'c Service)> + '_ {
        self.cluster
            .services
            .iter()
            .enumerate()
            .filter(move |(s, _)| self.members.get(*s).is_some_and(|m| m.contains(&wi)))
    }

    /// Whether a workload runs an Istio proxy: an injected sidecar, or a gateway's own.
    pub fn proxy(&self, i: usize) -> bool {
        self.sidecar.get(i).copied().unwrap_or(false) || self.gateway.get(i).copied().unwrap_or(false)
    }

    /// The workloads with their index.
    pub fn workloads(&self) -> impl Iterator<Item = (usize, &'c Workload)> {
        self.cluster.workloads.iter().enumerate()
    }

    /// Whether the namespace has any workload in the input.
    pub fn namespace_has_workloads(&self, ns: &str) -> bool {
        self.cluster.workloads.iter().any(|w| w.namespace == ns)
    }

    /// Looks a host (an FQDN as a config object in `from_ns` means it) up among the
    /// Services and the ServiceEntries exported to `from_ns`.
    pub fn lookup(&self, fqdn: &str, from_ns: &str) -> Option<Target<'c>> {
        if let Some(i) = find_service(self.cluster, fqdn) {
            return self.cluster.services.get(i).map(Target::Service);
        }
        let entries = &self.cluster.mesh.service_entries;
        find_entry(entries, fqdn, from_ns).and_then(|(i, _)| entries.get(i).map(Target::Entry))
    }

    /// Whether a wildcard host pattern covers any Service or ServiceEntry host.
    pub fn pattern_matches_any(&self, pattern: &str) -> bool {
        self.cluster
            .services
            .iter()
            .any(|s| host_matches(pattern, &super::host::fqdn(s)))
            || self.cluster.mesh.service_entries.iter().any(|e| {
                e.spec.hosts.iter().any(|h| {
                    let h = config_host(h, &e.meta.namespace);
                    host_matches(pattern, h.trim_start_matches("*.")) || h == pattern
                })
            })
    }

    /// The workloads a Service selects (its namespace, its selector, and extra labels).
    pub fn service_workloads(&self, svc: &Service, extra: Option<&StrMap>) -> Vec<usize> {
        let Some(selector) = svc.selector.as_ref().filter(|s| !s.is_empty()) else {
            return Vec::new();
        };
        self.workloads()
            .filter(|(_, w)| {
                w.namespace == svc.namespace
                    && selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
                    && extra.is_none_or(|e| super::labels_match(e, &w.labels))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// Whether a workload is a gateway proxy: the labels of Istio's gateway charts
/// (`istio: ingressgateway`, ...), of a Gateway API deployment, the gateway injection
/// template, or the selector of an Istio Gateway of the input.
fn is_gateway(cluster: &Cluster, w: &Workload) -> bool {
    w.labels.get("istio").is_some_and(|v| v.ends_with("gateway"))
        || w.labels.contains_key("gateway.networking.k8s.io/gateway-name")
        || w.annotations
            .get("inject.istio.io/templates")
            .is_some_and(|v| v == "gateway")
        || w.labels
            .get("inject.istio.io/templates")
            .is_some_and(|v| v == "gateway")
        || cluster
            .mesh
            .gateways
            .iter()
            .any(|g| !g.spec.selector.is_empty() && super::labels_match(&g.spec.selector, &w.labels))
}

/// A host of the service registry.
#[derive(Clone, Copy)]
pub(super) enum Target<'c> {
    Service(&'c Service),
    Entry(&'c MeshObject<ServiceEntrySpec>),
}

impl Target<'_> {
    /// The port numbers it exposes (distinct, ascending).
    pub fn ports(&self) -> Vec<u32> {
        let mut p: Vec<u32> = match self {
            Target::Service(s) => s.ports.iter().map(|p| u32::from(p.port)).collect(),
            Target::Entry(e) => e.spec.ports.iter().map(|p| p.number).collect(),
        };
        p.sort_unstable();
        p.dedup();
        p
    }

    /// `Service ns/name` or `ServiceEntry ns/name`.
    pub fn describe(&self) -> String {
        match self {
            Target::Service(s) => format!("Service {}/{}", s.namespace, s.name),
            Target::Entry(e) => resource(&e.meta),
        }
    }
}

/// `Kind namespace/name` of a mesh object.
pub(super) fn resource(meta: &ObjRef) -> String {
    format!("{} {}", meta.kind, meta.id())
}

/// `Kind namespace/name` of a workload.
pub(super) fn workload_resource(w: &Workload) -> String {
    format!("{} {}/{}", w.kind, w.namespace, w.name)
}

/// `file:line` of a location.
pub(super) fn at(loc: &Location) -> String {
    format!("{}:{}", loc.file, loc.line)
}

/// Labels as `k=v,k=v`.
pub(super) fn labels_text(labels: &StrMap) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A list of names for a message: `a, b and 3 more`.
pub(super) fn names_text(names: &[String]) -> String {
    const SHOWN: usize = 4;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..SHOWN].join(", "), names.len() - SHOWN)
    }
}

/// The container port a Service port's `targetPort` reaches on a workload.
pub(super) fn target_port_on(w: &Workload, target: &TargetPort) -> Option<u16> {
    match target {
        TargetPort::Number(n) => Some(*n),
        TargetPort::Name(name) => w
            .ports
            .iter()
            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
            .map(|cp| cp.port),
    }
}

/// The namespaces a `exportTo` list makes an object visible in: `*` for all.
pub(super) fn export_scopes(export_to: &[String], own: &str) -> Vec<String> {
    if export_to.is_empty() || export_to.iter().any(|e| e == "*") {
        return vec!["*".to_string()];
    }
    let mut out: Vec<String> = export_to
        .iter()
        .map(|e| if e == "." { own.to_string() } else { e.clone() })
        .collect();
    out.sort();
    out.dedup();
    out
}
