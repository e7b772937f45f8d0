//! What the mesh analyzers need from objects the cluster model does not keep (or keeps
//! only in part): Pods as written (containers, `nodeName`, even without a `spec`),
//! Deployments, Services as written (labels, annotations, raw port protocols), Namespaces,
//! Secrets, Nodes, the mesh and injector configuration, selectors of the Istio kinds netplay
//! does not simulate (Telemetry, RequestAuthentication, WasmPlugin) and the
//! `galley.istio.io/analyze-suppress` annotations. `read::mesh::observe` fills it once
//! per object while the model is built.

use super::meshconfig::MeshConfig;
use super::types::StrMap;
use super::ObjRef;
use std::collections::{BTreeMap, BTreeSet};

/// The annotation that suppresses analyzer messages on one object (istioctl's).
pub const SUPPRESS_ANNOTATION: &str = "galley.istio.io/analyze-suppress";

/// A Pod object of the input.
#[derive(Clone, Debug)]
pub struct RawPod {
    pub meta: ObjRef,
    pub labels: StrMap,
    pub annotations: StrMap,
    pub containers: Vec<String>,
    pub init_containers: Vec<String>,
    pub host_network: bool,
    pub node_name: Option<String>,
}

/// A Deployment object of the input.
#[derive(Clone, Debug)]
pub struct RawDeployment {
    pub meta: ObjRef,
    pub labels: StrMap,
    pub annotations: StrMap,
    pub template_labels: StrMap,
    pub template_annotations: StrMap,
}

/// A port of a Service as written (the protocol is not validated: istioctl compares the
/// strings, so `HTTP` in `protocol` is a protocol of its own).
#[derive(Clone, Debug)]
pub struct RawServicePort {
    pub name: String,
    pub port: i64,
    pub protocol: String,
    /// `targetPort` as written (number or name); empty when absent.
    pub target_port: String,
    pub app_protocol: Option<String>,
}

/// A Service object of the input.
#[derive(Clone, Debug)]
pub struct RawService {
    pub meta: ObjRef,
    pub labels: StrMap,
    pub annotations: StrMap,
    /// `None` when the Service has no selector.
    pub selector: Option<StrMap>,
    pub service_type: String,
    pub ports: Vec<RawServicePort>,
}

/// A Namespace object of the input.
#[derive(Clone, Debug)]
pub struct RawNamespace {
    pub meta: ObjRef,
    pub labels: StrMap,
    pub annotations: StrMap,
}

/// An Istio policy that selects workloads with `selector.matchLabels` (AuthorizationPolicy,
/// RequestAuthentication, Telemetry, WasmPlugin).
#[derive(Clone, Debug)]
pub struct SelectorPolicy {
    pub meta: ObjRef,
    /// `spec.selector.matchLabels`; `None` without a selector.
    pub selector: Option<StrMap>,
    /// `spec.targetRef` or `spec.targetRefs` is set.
    pub has_target_ref: bool,
}

/// Everything `read::mesh::observe` collected.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub pods: Vec<RawPod>,
    pub deployments: Vec<RawDeployment>,
    pub services: Vec<RawService>,
    pub namespaces: Vec<RawNamespace>,
    pub selector_policies: Vec<SelectorPolicy>,
    /// `(namespace, name)` of every Secret.
    pub secrets: BTreeSet<(String, String)>,
    /// Node name → labels.
    pub nodes: BTreeMap<String, StrMap>,
    /// `(namespace, name)` of ServiceEntries whose `status.addresses` has an allocated address.
    pub entries_with_status_addresses: BTreeSet<(String, String)>,
    /// The mesh configuration found in the input (istio ConfigMap, IstioOperator).
    pub mesh_config: MeshConfig,
    /// `sidecarInjectorWebhook.enableNamespacesByDefault` of the injector ConfigMap.
    pub inject_namespaces_by_default: bool,
    /// `(resource, value)` of every `galley.istio.io/analyze-suppress` annotation, the
    /// resource written as diagnostics name it (`Kind ns/name`, `Kind name`).
    pub suppressions: Vec<(String, String)>,
    /// The input shows that it is meant for an Istio mesh even without mesh objects: an
    /// Istio annotation, an injection label, an IstioOperator or Istio's ConfigMaps.
    pub istio_signals: bool,
}

/// Whether an annotation or label key is in Istio's domain (`*.istio.io/...`).
pub fn istio_domain(key: &str) -> bool {
    key.split_once('/')
        .is_some_and(|(domain, _)| domain == "istio.io" || domain.ends_with(".istio.io"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_domains() {
        assert!(istio_domain("sidecar.istio.io/inject"));
        assert!(istio_domain("istio.io/rev"));
        assert!(!istio_domain("notistio.io/x"));
        assert!(!istio_domain("kubernetes.io/ingress.class"));
        assert!(!istio_domain("istio.io"));
    }
}
