//! Offline analyzers for the service mesh: the checks `istioctl analyze` makes (with its
//! `ISTxxxx` codes where the condition is the same) and netplay's own (`NP2xxx`), run on
//! the manifests alone. docs/diagnostics.md describes every code with the condition and
//! where netplay deliberately differs from istioctl; tests/mesh-analyzers/ holds broken
//! examples and valid look-alikes that must stay silent.
//!
//! Every diagnostic names its resource (`Kind namespace/name`), points at the field that is
//! wrong (found with [`ObjRef::locate`]) and says in `help` what to change. The IST
//! messages start with istioctl's wording (`Referenced host not found: "x"`), so that the
//! reference type can be read back.
//!
//! Input is often partial (one file of a larger cluster), so a check that needs other
//! objects runs only when the input holds objects of that kind at all (hosts are looked up
//! only when the input has Services or ServiceEntries, credentialName secrets only when it
//! has Secrets), and the whole set runs only on inputs that use Istio.

mod annotations;
mod destinations;
mod gateways;
mod injection;
mod matches;
mod netpol;
mod registry;
mod routes;
mod security;
mod selectors;
mod services;
mod vsgateways;

use super::inventory::{Inventory, RawPod};
use super::meshconfig::MeshConfig;
use super::types::StrMap;
use super::{sidecar_injected, ObjRef, ROOT_NAMESPACE};
use crate::diagnostics::Diagnostic;
use crate::model::{Cluster, Service, TargetPort, Workload};
use std::cell::OnceCell;
use std::collections::BTreeSet;

/// The analyzers: a name, the codes each reports and what it checks (`netplay analyze
/// --list-analyzers`).
pub const ANALYZERS: &[(&str, &[&str], &str)] = &[
    ("annotations", &["IST0107", "IST0108", "IST0135"], "Istio annotations on Namespaces, Services, Pods and Deployments: unknown, misplaced or deprecated"),
    ("authorizationpolicy", &["IST0101", "IST0127", "NP2003"], "AuthorizationPolicies: workloads they apply to, source namespaces, identities plaintext peers lack"),
    ("destinationrule", &["IST0128", "IST0129", "IST0173", "IST0174", "NP2002", "NP2005"], "DestinationRules: hosts, subsets, TLS verification and TLS modes the server accepts"),
    ("gateway", &["IST0101", "IST0138", "IST0145", "IST0162"], "Istio Gateways: selected workloads, credentialName secrets, ports on the gateway Service, duplicate certificates and conflicting servers"),
    ("injection", &["IST0102", "IST0103", "IST0123"], "Sidecar injection: namespaces without injection labels, with several, and Pods without their proxy"),
    ("networkpolicy", &["NP2004"], "NetworkPolicies that cut proxies off istiod or istiod off the API server"),
    ("peerauthentication", &["NP2001", "NP2005"], "PeerAuthentications: selectors and STRICT mTLS on workloads without sidecar"),
    ("service", &["IST0116", "IST0118", "IST0137"], "Services: port names and Deployments behind several Services that disagree"),
    ("serviceentry", &["IST0134", "IST0177"], "ServiceEntries: addresses for TCP ports and conflicting protocols"),
    ("sidecar", &["IST0101", "IST0110", "IST0111"], "Sidecars: workload selectors that select nothing, overlap, or are missing twice in a namespace"),
    ("telemetry", &["IST0101", "IST0159", "IST0160", "IST0166"], "Telemetries (and other selector policies): selectors that select nothing, overlap, are missing twice, or select Gateway API gateways"),
    ("virtualservice", &["IST0101", "IST0109", "IST0112", "IST0130", "IST0131", "IST0132", "IST0165"], "VirtualServices: destinations, subsets, gateways, hosts on the mesh gateway and rules that never match"),
];

/// Runs every mesh check with the mesh configuration of the input, overridden by
/// `config_override` (the CLI's `--mesh-config`). Returns nothing for an input that does not
/// use Istio (no Istio or Gateway API object, no sidecar, no Istio label or annotation).
pub fn check(cluster: &Cluster, config_override: Option<&MeshConfig>) -> Vec<Diagnostic> {
    let mut config = cluster.mesh.inventory.mesh_config.clone();
    if let Some(c) = config_override {
        config.merge(c);
    }
    let ctx = Ctx::new(cluster, config);
    let uses_istio = !cluster.mesh.is_empty()
        || cluster.mesh.inventory.istio_signals
        || (0..cluster.workloads.len()).any(|i| ctx.proxy(i));
    if !uses_istio {
        return Vec::new();
    }
    let mut out = Vec::new();
    // The checks of VirtualServices, DestinationRules, Gateways, authorization and
    // PeerAuthentications, and of Sidecars and selector policies only look at those
    // objects: without any they are not called, and being functions of their own (never
    // inlined here) they are then not compiled either — the browser compiles a wasm
    // function whole on its first call, and the first screen's example has none of them
    // (docs/performance.md, "The default scenario's first evaluation").
    let mesh = &cluster.mesh;
    if !mesh.virtual_services.is_empty() {
        routes::check(&ctx, &mut out);
        matches::check(&ctx, &mut out);
        vsgateways::check(&ctx, &mut out);
    }
    if !mesh.destination_rules.is_empty() {
        destinations::check(&ctx, &mut out);
    }
    if !mesh.gateways.is_empty() {
        gateways::check(&ctx, &mut out);
    }
    services::check(&ctx, &mut out);
    if !mesh.authorization_policies.is_empty() || !mesh.peer_authentications.is_empty() {
        security::check(&ctx, &mut out);
    }
    if !mesh.sidecars.is_empty() || !ctx.inventory.selector_policies.is_empty() {
        selectors::check(&ctx, &mut out);
    }
    injection::check(&ctx, &mut out);
    annotations::check(&ctx, &mut out);
    netpol::check(&ctx, &mut out);
    out
}

/// Something that runs as pods and that selectors can select: a workload of the model,
/// a Pod object the model could not keep (istioctl's examples often omit `spec`), or the
/// default ingress gateway istioctl assumes installed.
pub(super) struct PodLike<'c> {
    pub namespace: &'c str,
    pub name: &'c str,
    pub kind: &'c str,
    pub labels: &'c StrMap,
    /// The node the pod runs on, for topology labels (`spec.nodeName` of a Pod).
    pub node: Option<&'c str>,
    /// Runs an Istio proxy, or is in an ambient namespace: part of the mesh.
    pub in_mesh: bool,
}

/// What every check needs: the cluster and facts computed once.
pub(super) struct Ctx<'c> {
    pub cluster: &'c Cluster,
    pub inventory: &'c Inventory,
    pub config: MeshConfig,
    /// Whether each workload (same index as `Cluster::workloads`) runs a sidecar.
    pub sidecar: Vec<bool>,
    /// Whether each workload is a gateway proxy (its own Envoy, no injected sidecar).
    pub gateway: Vec<bool>,
    /// The input has workloads: selectors can be checked.
    pub has_workloads: bool,
    /// The input has Services or ServiceEntries: hosts can be looked up.
    pub has_registry: bool,
    /// The namespaces where some workload runs a proxy.
    pub meshed_namespaces: BTreeSet<String>,
    /// Every pod-like thing selectors can select ([`Ctx::pods`]). Built on first use, as
    /// the registry: only the checks of objects that select pods or name hosts need them,
    /// and code never called is never compiled in the browser (docs/performance.md, "The
    /// default scenario's first evaluation").
    pods: OnceCell<Vec<PodLike<'c>>>,
    /// Service and ServiceEntry hosts by visibility, as istioctl looks them up
    /// ([`Ctx::registry`]).
    registry: OnceCell<registry::Registry>,
}

/// Labels of Istio's default ingress gateway (`istioctl install`, Helm `gateway` chart):
/// istioctl analyzes as if it ran in the istio namespace unless the input has its own.
static DEFAULT_INGRESS_LABELS: std::sync::LazyLock<StrMap> =
    std::sync::LazyLock::new(|| StrMap::from([("istio".to_string(), "ingressgateway".to_string())]));

/// The Service ports of Istio's default ingress gateway Service `istio-ingressgateway`.
pub(super) const DEFAULT_INGRESS_PORTS: &[u32] = &[80, 443, 31400, 15443];

/// Whether a namespace is in ambient mode, or a pod is redirected to ztunnel.
fn ambient(ns_labels: &crate::model::Labels, annotations: &StrMap) -> bool {
    ns_labels.get("istio.io/dataplane-mode").is_some_and(|v| v == "ambient")
        || annotations
            .get("ambient.istio.io/redirection")
            .is_some_and(|v| v == "enabled")
}

impl<'c> Ctx<'c> {
    fn new(cluster: &'c Cluster, config: MeshConfig) -> Self {
        let inventory = &cluster.mesh.inventory;
        let sidecar: Vec<bool> = cluster
            .workloads
            .iter()
            .map(|w| sidecar_injected(cluster, w).injected)
            .collect();
        let gateway: Vec<bool> = cluster.workloads.iter().map(|w| is_gateway(cluster, w)).collect();
        let mut ctx = Ctx {
            cluster,
            inventory,
            config,
            has_workloads: !cluster.workloads.is_empty() || !inventory.pods.is_empty(),
            has_registry: !inventory.services.is_empty() || !cluster.mesh.service_entries.is_empty(),
            sidecar,
            gateway,
            meshed_namespaces: BTreeSet::new(),
            pods: OnceCell::new(),
            registry: OnceCell::new(),
        };
        ctx.meshed_namespaces = ctx
            .workloads()
            .filter(|(i, _)| ctx.proxy(*i))
            .map(|(_, w)| w.namespace.clone())
            .collect();
        ctx
    }

    /// Every pod-like thing selectors can select.
    pub fn pods(&self) -> &[PodLike<'c>] {
        self.pods.get_or_init(|| self.pod_likes())
    }

    /// Service and ServiceEntry hosts by visibility.
    pub fn registry(&self) -> &registry::Registry {
        self.registry
            .get_or_init(|| registry::Registry::new(self.cluster, self.inventory))
    }

    #[inline(never)]
    fn pod_likes(&self) -> Vec<PodLike<'c>> {
        let cluster = self.cluster;
        let mut pods: Vec<PodLike<'c>> = cluster
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let raw = self
                    .inventory
                    .pods
                    .iter()
                    .find(|p| w.kind == "Pod" && p.meta.namespace == w.namespace && p.meta.name == w.name);
                PodLike {
                    namespace: &w.namespace,
                    name: &w.name,
                    kind: &w.kind,
                    labels: &w.labels,
                    node: raw.and_then(|p| p.node_name.as_deref()),
                    in_mesh: self.proxy(i)
                        || raw.is_some_and(has_proxy_container)
                        || ambient(cluster.namespace_labels(&w.namespace), &w.annotations),
                }
            })
            .collect();
        for p in &self.inventory.pods {
            let modelled = cluster.workloads.iter().any(|w| {
                w.namespace == p.meta.namespace
                    && ((w.kind == "Pod" && w.name == p.meta.name)
                        || crate::mesh::labels_match(&p.labels, &w.labels) && w.kind != "Pod")
            });
            if modelled {
                continue;
            }
            let ns_labels = cluster.namespace_labels(&p.meta.namespace);
            let injected = ns_labels.get("istio-injection").is_some_and(|v| v == "enabled")
                || ns_labels.contains_key("istio.io/rev");
            pods.push(PodLike {
                namespace: &p.meta.namespace,
                name: &p.meta.name,
                kind: "Pod",
                labels: &p.labels,
                node: p.node_name.as_deref(),
                in_mesh: has_proxy_container(p) || injected || ambient(ns_labels, &p.annotations),
            });
        }
        let has_default = pods
            .iter()
            .any(|p| crate::mesh::labels_match(&DEFAULT_INGRESS_LABELS, p.labels));
        if !has_default {
            pods.push(PodLike {
                namespace: ROOT_NAMESPACE,
                name: "istio-ingressgateway",
                kind: "Deployment",
                labels: &DEFAULT_INGRESS_LABELS,
                node: None,
                in_mesh: true,
            });
        }
        pods
    }

    /// The Istio root namespace (mesh config `rootNamespace`, default istio-system).
    pub fn root_namespace(&self) -> &str {
        self.config.root_namespace.as_deref().unwrap_or(ROOT_NAMESPACE)
    }

    /// Whether some workload of namespace `ns` carries all of `labels`.
    pub fn selects_any(&self, ns: &str, labels: &StrMap) -> bool {
        self.pods()
            .iter()
            .any(|p| p.namespace == ns && crate::mesh::labels_match(labels, p.labels))
    }

    /// Whether a workload runs an Istio proxy: an injected sidecar, or a gateway's own.
    pub fn proxy(&self, i: usize) -> bool {
        self.sidecar.get(i).copied().unwrap_or(false) || self.gateway.get(i).copied().unwrap_or(false)
    }

    /// The workloads with their index.
    pub fn workloads(&self) -> impl Iterator<Item = (usize, &'c Workload)> {
        self.cluster.workloads.iter().enumerate()
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

/// Whether a Pod object lists the `istio-proxy` container (injected, or a native sidecar).
pub(super) fn has_proxy_container(p: &RawPod) -> bool {
    p.containers
        .iter()
        .chain(&p.init_containers)
        .any(|c| c == "istio-proxy")
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

/// `Kind namespace/name` of a mesh object (`Kind name` for cluster-scoped kinds).
pub(super) fn resource(meta: &ObjRef) -> String {
    if crate::parse::is_cluster_scoped(&meta.kind) {
        return format!("{} {}", meta.kind, meta.name);
    }
    format!("{} {}", meta.kind, meta.id())
}

/// Labels as `k=v,k=v` (the way istioctl prints a selector).
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

/// An English ordinal for a 0-based index, as people count: 0 → `1st`.
pub(super) fn ordinal(index: usize) -> String {
    let n = index + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
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
    crate::sorting::sort(&mut out);
    out.dedup();
    out
}

/// Kubernetes and Istio host-name overlap (istio's `host.Name.Matches`): equal names, or
/// a wildcard (`*`, `*.example.com`) on either side that covers the other.
pub(super) fn hosts_overlap(a: &str, b: &str) -> bool {
    fn covers(wild: &str, other: &str) -> bool {
        match wild.strip_prefix('*') {
            Some("") => true,
            Some(suffix) => {
                let other_rest = other.strip_prefix('*').unwrap_or(other);
                other_rest.ends_with(suffix)
            }
            None => false,
        }
    }
    a == b || covers(a, b) || covers(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals() {
        assert_eq!(ordinal(0), "1st");
        assert_eq!(ordinal(1), "2nd");
        assert_eq!(ordinal(2), "3rd");
        assert_eq!(ordinal(3), "4th");
        assert_eq!(ordinal(10), "11th");
        assert_eq!(ordinal(20), "21st");
    }

    #[test]
    fn overlap() {
        assert!(hosts_overlap("*", "a.com"));
        assert!(hosts_overlap("*.d", "*.productpage.d"));
        assert!(hosts_overlap("a.b.com", "*.b.com"));
        assert!(!hosts_overlap("*.b.com", "b.com"));
        assert!(!hosts_overlap("a.com", "b.com"));
    }
}
