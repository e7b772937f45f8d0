//! The service registry as istioctl's analyzers see it: every ServiceEntry host and every
//! Service (`name.namespace.svc.cluster.local`), each visible in the namespaces its
//! `exportTo` (for Services the `networking.istio.io/exportTo` annotation) names. A host
//! written in a VirtualService or DestinationRule is found when it is visible in the
//! object's own namespace, or in one of the namespaces the object is exported to, or
//! matches a wildcard ServiceEntry host visible there.

use crate::mesh::host::CLUSTER_DOMAIN;
use crate::mesh::inventory::Inventory;
use crate::mesh::types::StrMap;
use crate::model::Cluster;
use std::collections::BTreeMap;

/// What a registry host is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Index into `Inventory::services`.
    Service(usize),
    /// Index into `Mesh::service_entries`.
    Entry(usize),
}

/// One host of the registry.
#[derive(Clone, Debug)]
pub(crate) struct HostEntry {
    pub origin: Origin,
    /// The port numbers it exposes.
    pub ports: Vec<u32>,
    /// The ServiceEntry's `workloadSelector.labels` (never for a Service).
    pub workload_selector: Option<StrMap>,
}

const ALL: &str = "*";

/// Hosts by `(scope, host)`, scope `*` for hosts visible everywhere.
#[derive(Default)]
pub(crate) struct Registry {
    hosts: BTreeMap<(String, String), HostEntry>,
}

/// A host as an object of namespace `ns` means it: a short name (no dot, no wildcard) is
/// `name.ns.svc.cluster.local`; anything else as written.
pub(super) fn fqdn(host: &str, ns: &str) -> String {
    if host.contains('.') || host.starts_with('*') {
        host.to_string()
    } else {
        format!("{host}.{ns}.{CLUSTER_DOMAIN}")
    }
}

/// The scopes an `exportTo` list makes visible (`.` is the object's namespace).
fn scopes(export_to: &[String], own: &str) -> Vec<String> {
    if export_to.is_empty() || export_to.iter().any(|e| e.trim() == ALL) {
        return vec![ALL.to_string()];
    }
    export_to
        .iter()
        .map(|e| match e.trim() {
            "." => own.to_string(),
            other => other.to_string(),
        })
        .collect()
}

impl Registry {
    pub fn new(cluster: &Cluster, inventory: &Inventory) -> Registry {
        let mut hosts = BTreeMap::new();
        for (i, se) in cluster.mesh.service_entries.iter().enumerate() {
            let ns = &se.meta.namespace;
            let entry = HostEntry {
                origin: Origin::Entry(i),
                ports: se.spec.ports.iter().map(|p| p.number).collect(),
                workload_selector: se.spec.workload_selector.as_ref().map(|w| w.labels.clone()),
            };
            for scope in scopes(&se.spec.export_to, ns) {
                for h in &se.spec.hosts {
                    hosts.insert((scope.clone(), fqdn(h, ns)), entry.clone());
                }
            }
        }
        for (i, svc) in inventory.services.iter().enumerate() {
            let ns = &svc.meta.namespace;
            let export: Vec<String> = svc
                .annotations
                .get("networking.istio.io/exportTo")
                .map(|a| a.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            let entry = HostEntry {
                origin: Origin::Service(i),
                ports: svc.ports.iter().filter_map(|p| u32::try_from(p.port).ok()).collect(),
                workload_selector: None,
            };
            for scope in scopes(&export, ns) {
                hosts.insert((scope, fqdn(&svc.meta.name, ns)), entry.clone());
            }
        }
        Registry { hosts }
    }

    /// istioctl's `GetDestinationHost`: the host as seen by an object of namespace
    /// `source_ns` exported to `export_to`.
    pub fn lookup(&self, source_ns: &str, export_to: &[String], host: &str) -> Option<&HostEntry> {
        let name = fqdn(host, source_ns);
        if let Some(e) = self.hosts.get(&(ALL.to_string(), name.clone())) {
            return Some(e);
        }
        let visible: Vec<String> = if export_to.is_empty() {
            vec![source_ns.to_string()]
        } else {
            export_to
                .iter()
                .map(|e| if e == "." { source_ns.to_string() } else { e.clone() })
                .collect()
        };
        for scope in &visible {
            if let Some(e) = self.hosts.get(&(scope.clone(), name.clone())) {
                return Some(e);
            }
        }
        let bare = host.trim_start_matches('*');
        self.hosts.iter().find_map(|((scope, se_host), e)| {
            let suffix = se_host.strip_prefix('*')?;
            let visible = scope == ALL || scope == source_ns;
            (visible && bare.ends_with(suffix)).then_some(e)
        })
    }

    /// Whether some host of the registry (any scope) matches a wildcard pattern
    /// (`*.example.com`): a DestinationRule for such a pattern applies to those hosts.
    pub fn pattern_matches_any(&self, pattern: &str) -> bool {
        self.hosts.keys().any(|(_, h)| super::hosts_overlap(pattern, h))
    }
}
