//! Mesh objects into the model: Istio and Gateway API kinds read into [`Mesh`] (wrong
//! types are NP0002 at their field, unknown fields NP0009), and the facts the mesh
//! analyzers need from every other object ([`observe`], read leniently: the model reports
//! malformed objects).

use crate::diagnostics::Diagnostic;
use crate::model::mesh::inventory::{
    istio_domain, Inventory, RawDeployment, RawNamespace, RawPod, RawService, RawServicePort, SelectorPolicy,
    SUPPRESS_ANNOTATION,
};
use crate::model::mesh::types::StrMap;
use crate::model::mesh::{Mesh, MeshKind, MeshObject, ObjRef};
use crate::parse::RawObject;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What netplay knows of a mesh `(group, kind)`: the kind and its current apiVersion.
pub(crate) fn classify(group: &str, kind: &str) -> Option<(MeshKind, &'static str)> {
    const NET: &str = "networking.istio.io/v1";
    const SEC: &str = "security.istio.io/v1";
    const GW: &str = "gateway.networking.k8s.io/v1";
    Some(match (group, kind) {
        ("networking.istio.io", "VirtualService") => (MeshKind::VirtualService, NET),
        ("networking.istio.io", "DestinationRule") => (MeshKind::DestinationRule, NET),
        ("networking.istio.io", "Gateway") => (MeshKind::Gateway, NET),
        ("networking.istio.io", "ServiceEntry") => (MeshKind::ServiceEntry, NET),
        ("networking.istio.io", "Sidecar") => (MeshKind::Sidecar, NET),
        ("security.istio.io", "AuthorizationPolicy") => (MeshKind::AuthorizationPolicy, SEC),
        ("security.istio.io", "PeerAuthentication") => (MeshKind::PeerAuthentication, SEC),
        ("gateway.networking.k8s.io", "HTTPRoute") => (MeshKind::HttpRoute, GW),
        ("gateway.networking.k8s.io", "Gateway") => (MeshKind::K8sGateway, GW),
        _ => return None,
    })
}

/// Older apiVersions that Istio and the Gateway API still serve with the same schema:
/// they are read without a warning.
pub(crate) fn still_served(api_version: &str) -> bool {
    matches!(
        api_version,
        "networking.istio.io/v1beta1"
            | "networking.istio.io/v1alpha3"
            | "security.istio.io/v1beta1"
            | "gateway.networking.k8s.io/v1beta1"
    )
}

/// Reads one mesh object into `mesh`. A spec of the wrong shape is an NP0002 error (the
/// object is skipped); unknown fields are NP0009 warnings.
pub(crate) fn read(
    mesh: &mut Mesh,
    kind: MeshKind,
    obj: &RawObject,
    namespace: &str,
    order: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let meta = ObjRef::from_raw(obj, namespace, order);
    fn spec<S: DeserializeOwned + Default>(
        obj: &RawObject,
        meta: ObjRef,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<MeshObject<S>> {
        match super::fields::field::<S>(obj, &["spec"], diags) {
            Ok(spec) => Some(MeshObject {
                meta,
                spec: spec.unwrap_or_default(),
            }),
            Err(d) => {
                diags.push(*d);
                None
            }
        }
    }
    match kind {
        MeshKind::VirtualService => mesh.virtual_services.extend(spec(obj, meta, diags)),
        MeshKind::DestinationRule => mesh.destination_rules.extend(spec(obj, meta, diags)),
        MeshKind::Gateway => mesh.gateways.extend(spec(obj, meta, diags)),
        MeshKind::ServiceEntry => mesh.service_entries.extend(spec(obj, meta, diags)),
        MeshKind::Sidecar => mesh.sidecars.extend(spec(obj, meta, diags)),
        MeshKind::AuthorizationPolicy => mesh.authorization_policies.extend(spec(obj, meta, diags)),
        MeshKind::PeerAuthentication => mesh.peer_authentications.extend(spec(obj, meta, diags)),
        MeshKind::HttpRoute => mesh.http_routes.extend(spec(obj, meta, diags)),
        MeshKind::K8sGateway => mesh.k8s_gateways.extend(spec(obj, meta, diags)),
    }
}

/// Whether [`observe`] may record `obj` into an inventory of its own, to be added to the
/// model's by [`add_observed`]: every object but those that change the mesh configuration
/// (an IstioOperator, Istio's ConfigMaps), whose merges depend on the ones before.
pub(crate) fn observed_alone(obj: &RawObject) -> bool {
    !matches!(obj.kind.as_str(), "IstioOperator" | "ConfigMap")
}

/// Adds `alone`, what [`observe`] recorded of one object ([`observed_alone`]) into an empty
/// inventory, to `inv`: the same as observing the object into `inv`.
pub(crate) fn add_observed(inv: &mut Inventory, alone: Inventory) {
    // Every field named, so that a new one cannot be forgotten here.
    let Inventory {
        pods,
        deployments,
        services,
        namespaces,
        selector_policies,
        secrets,
        nodes,
        entries_with_status_addresses,
        mesh_config: _,
        inject_namespaces_by_default,
        suppressions,
        istio_signals,
    } = alone;
    inv.pods.extend(pods);
    inv.deployments.extend(deployments);
    inv.services.extend(services);
    inv.namespaces.extend(namespaces);
    inv.selector_policies.extend(selector_policies);
    inv.secrets.extend(secrets);
    inv.nodes.extend(nodes);
    inv.entries_with_status_addresses.extend(entries_with_status_addresses);
    inv.inject_namespaces_by_default |= inject_namespaces_by_default;
    inv.suppressions.extend(suppressions);
    inv.istio_signals |= istio_signals;
}

/// Records what the analyzers need from one object, the `order`-th of the input.
pub(crate) fn observe(inv: &mut Inventory, obj: &RawObject, order: usize) {
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
    if namespace != crate::model::mesh::ROOT_NAMESPACE {
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
