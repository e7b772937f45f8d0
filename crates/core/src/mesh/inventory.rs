//! What the mesh analyzers need from objects the cluster model does not keep (or keeps
//! only in part): Pods as written (containers, `nodeName`, even without a `spec`),
//! Deployments, Services as written (labels, annotations, raw port protocols), Namespaces,
//! Secrets, Nodes, the mesh and injector configuration, selectors of the Istio kinds netplay
//! does not simulate (Telemetry, RequestAuthentication, WasmPlugin) and the
//! `galley.istio.io/analyze-suppress` annotations. `observe` is called once per object
//! while the model is built; it reads leniently and never reports anything (the model
//! reports malformed objects).

use super::meshconfig::MeshConfig;
use super::types::StrMap;
use super::{Mesh, ObjRef};
use crate::parse::RawObject;
use serde_json::Value;
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

/// Everything `observe` collected.
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

fn str_map(v: Option<&Value>) -> StrMap {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn names(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an annotation or label key is in Istio's domain (`*.istio.io/...`).
pub fn istio_domain(key: &str) -> bool {
    key.split_once('/')
        .is_some_and(|(domain, _)| domain == "istio.io" || domain.ends_with(".istio.io"))
}

/// Records what the analyzers need from one object.
pub(crate) fn observe(mesh: &mut Mesh, obj: &RawObject, order: usize) {
    let inv = &mut mesh.inventory;
    let v = &obj.value;
    let labels = str_map(get(v, &["metadata", "labels"]));
    let annotations = str_map(get(v, &["metadata", "annotations"]));
    if let Some(s) = annotations.get(SUPPRESS_ANNOTATION) {
        inv.suppressions.push((obj.resource(), s.clone()));
    }
    if annotations.keys().any(|k| istio_domain(k))
        || labels.contains_key("istio-injection")
        || labels.contains_key("istio.io/rev")
        || labels.contains_key("istio.io/dataplane-mode")
    {
        inv.istio_signals = true;
    }
    let namespace = obj.namespace.clone().unwrap_or_else(|| "default".to_string());
    let meta = || ObjRef::from_raw(obj, &namespace, order);
    match (obj.group(), obj.kind.as_str()) {
        ("", "Pod") => inv.pods.push(RawPod {
            meta: meta(),
            containers: names(get(v, &["spec", "containers"])),
            init_containers: names(get(v, &["spec", "initContainers"])),
            host_network: get(v, &["spec", "hostNetwork"]).and_then(Value::as_bool) == Some(true),
            node_name: get(v, &["spec", "nodeName"])
                .and_then(Value::as_str)
                .map(str::to_string),
            labels,
            annotations,
        }),
        ("apps" | "extensions", "Deployment") => inv.deployments.push(RawDeployment {
            meta: meta(),
            template_labels: str_map(get(v, &["spec", "template", "metadata", "labels"])),
            template_annotations: str_map(get(v, &["spec", "template", "metadata", "annotations"])),
            labels,
            annotations,
        }),
        ("", "Service") => inv.services.push(service(obj, meta(), labels, annotations)),
        ("", "Namespace") => inv.namespaces.push(RawNamespace {
            meta: ObjRef::from_raw(obj, &obj.name, order),
            labels,
            annotations,
        }),
        ("", "Secret") => {
            inv.secrets.insert((namespace, obj.name.clone()));
        }
        ("", "Node") => {
            inv.nodes.insert(obj.name.clone(), labels);
        }
        ("", "ConfigMap") => config_map(inv, obj, &namespace),
        ("install.istio.io", "IstioOperator") => {
            inv.istio_signals = true;
            if let Some(mc) = get(v, &["spec", "meshConfig"]) {
                inv.mesh_config.merge_value(mc);
            }
        }
        ("networking.istio.io", "ServiceEntry") => {
            let allocated = get(v, &["status", "addresses"])
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            if allocated {
                inv.entries_with_status_addresses.insert((namespace, obj.name.clone()));
            }
        }
        ("security.istio.io", "AuthorizationPolicy" | "RequestAuthentication")
        | ("telemetry.istio.io", "Telemetry")
        | ("extensions.istio.io", "WasmPlugin") => {
            inv.istio_signals = true;
            let spec = v.get("spec");
            inv.selector_policies.push(SelectorPolicy {
                meta: meta(),
                selector: spec
                    .and_then(|s| s.get("selector"))
                    .map(|s| str_map(s.get("matchLabels"))),
                has_target_ref: spec.is_some_and(|s| {
                    s.get("targetRef").is_some_and(|t| !t.is_null())
                        || s.get("targetRefs")
                            .and_then(Value::as_array)
                            .is_some_and(|a| !a.is_empty())
                }),
            });
        }
        _ => {}
    }
}

fn service(obj: &RawObject, meta: ObjRef, labels: StrMap, annotations: StrMap) -> RawService {
    let v = &obj.value;
    let ports = get(v, &["spec", "ports"])
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .map(|p| RawServicePort {
                    name: p.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
                    port: p.get("port").and_then(Value::as_i64).unwrap_or(0),
                    protocol: p.get("protocol").and_then(Value::as_str).unwrap_or("").to_string(),
                    target_port: match p.get("targetPort") {
                        Some(Value::Number(n)) => n.to_string(),
                        Some(Value::String(s)) => s.clone(),
                        _ => String::new(),
                    },
                    app_protocol: p.get("appProtocol").and_then(Value::as_str).map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    RawService {
        meta,
        labels,
        annotations,
        selector: get(v, &["spec", "selector"]).map(|s| str_map(Some(s))),
        service_type: get(v, &["spec", "type"])
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string(),
        ports,
    }
}

/// Istio's ConfigMaps in the istio namespace: `istio` (key `mesh`, the MeshConfig as
/// YAML) and `istio-sidecar-injector` (key `values`, the injector's Helm values as JSON),
/// each optionally with a revision suffix.
fn config_map(inv: &mut Inventory, obj: &RawObject, namespace: &str) {
    if namespace != super::ROOT_NAMESPACE {
        return;
    }
    let data = obj.value.get("data");
    let name = obj.name.as_str();
    if name == "istio" || (name.starts_with("istio-") && !name.starts_with("istio-sidecar-injector")) {
        let Some(text) = data.and_then(|d| d.get("mesh")).and_then(Value::as_str) else {
            return;
        };
        inv.istio_signals = true;
        if let Ok(v) = serde_yaml::from_str::<Value>(text) {
            inv.mesh_config.merge_value(&v);
        }
    } else if name.starts_with("istio-sidecar-injector") {
        inv.istio_signals = true;
        let Some(text) = data.and_then(|d| d.get("values")).and_then(Value::as_str) else {
            return;
        };
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            if get(&v, &["sidecarInjectorWebhook", "enableNamespacesByDefault"]).and_then(Value::as_bool) == Some(true)
            {
                inv.inject_namespaces_by_default = true;
            }
        }
    }
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
