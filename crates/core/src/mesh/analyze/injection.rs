//! Sidecar injection as istioctl checks it on the Namespace and Pod objects of the input:
//! a namespace without any injection label (IST0102), with more than one kind of them
//! (IST0123), and a Pod of an injected namespace without the `istio-proxy` container
//! (IST0103: it was created before injection was enabled, or the webhook did not run).

use super::{has_proxy_container, resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::inventory::RawNamespace;
use crate::mesh::key;
use std::collections::BTreeSet;

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

const INJECTION: &str = "istio-injection";
const REVISION: &str = "istio.io/rev";
const DATAPLANE: &str = "istio.io/dataplane-mode";

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let mut injected: BTreeSet<&str> = BTreeSet::new();
    for ns in &ctx.inventory.namespaces {
        let name = ns.meta.name.as_str();
        if name == ctx.root_namespace() || SYSTEM_NAMESPACES.contains(&name) {
            continue;
        }
        if namespace(ctx, ns, out) {
            injected.insert(name);
        }
    }
    missing_proxies(ctx, &injected, out);
}

/// Checks one namespace; returns whether its pods get a sidecar by the namespace label.
fn namespace(ctx: &Ctx, ns: &RawNamespace, out: &mut Vec<Diagnostic>) -> bool {
    let name = &ns.meta.name;
    let injection = ns.labels.get(INJECTION).map(String::as_str);
    let revision = ns.labels.get(REVISION).map(String::as_str);
    let ambient = ns.labels.get(DATAPLANE).is_some_and(|v| v == "ambient");
    let mut kinds: Vec<String> = Vec::new();
    if let Some(v) = injection {
        kinds.push(format!("{INJECTION}={v}"));
    }
    if let Some(v) = revision {
        kinds.push(format!("{REVISION}={v}"));
    }
    if ambient && (injection == Some("enabled") || revision.is_some()) {
        kinds.push(format!("{DATAPLANE}=ambient"));
    }
    let name_loc = ns.meta.locate(&[key("metadata"), key("name")]);
    if kinds.len() > 1 {
        out.push(
            Diagnostic::new(
                "IST0123",
                format!(
                    "The namespace has more than one type of injection labels [{}], which may lead to undefined behavior. Make sure only one injection label exists",
                    kinds.join(" ")
                ),
            )
            .at(&ns.meta.locate(&[key("metadata"), key("labels")]))
            .resource(resource(&ns.meta))
            .help(format!(
                "keep one: `kubectl label namespace {name} {REVISION}-` or `kubectl label namespace {name} {INJECTION}-`"
            )),
        );
        return false;
    }
    if injection.is_none() && revision.is_none() {
        if !ambient && !ctx.inventory.inject_namespaces_by_default {
            out.push(
                Diagnostic::new(
                    "IST0102",
                    format!(
                        "The namespace is not enabled for Istio injection. Run 'kubectl label namespace {name} istio-injection=enabled' to enable it, or 'kubectl label namespace {name} istio-injection=disabled' to explicitly mark it as not needing injection"
                    ),
                )
                .at(&name_loc)
                .resource(resource(&ns.meta))
                .help(format!(
                    "label the namespace `{INJECTION}: enabled` (or `{REVISION}: <revision>`) to inject sidecars, or `{INJECTION}: disabled` to say it stays out of the mesh"
                )),
            );
        }
        return false;
    }
    revision.is_some() || injection == Some("enabled")
}

/// IST0103: a Pod object of an injected namespace, not opted out and not on the host
/// network, without an `istio-proxy` container.
fn missing_proxies(ctx: &Ctx, injected: &BTreeSet<&str>, out: &mut Vec<Diagnostic>) {
    for pod in &ctx.inventory.pods {
        if !injected.contains(pod.meta.namespace.as_str()) || pod.host_network {
            continue;
        }
        let switch = pod
            .labels
            .get("sidecar.istio.io/inject")
            .or_else(|| pod.annotations.get("sidecar.istio.io/inject"));
        if switch.is_some_and(|v| v.trim().eq_ignore_ascii_case("false")) || has_proxy_container(pod) {
            continue;
        }
        out.push(
            Diagnostic::new(
                "IST0103",
                format!(
                    "The pod {} is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload: namespace {} injects sidecars, but this pod has no istio-proxy container",
                    pod.meta.id(),
                    pod.meta.namespace
                ),
            )
            .at(&pod.meta.loc)
            .resource(resource(&pod.meta))
            .help("restart the workload so that the injector adds the sidecar (`kubectl rollout restart`), or set `sidecar.istio.io/inject: \"false\"` on the pod to keep it out of the mesh"),
        );
    }
}
