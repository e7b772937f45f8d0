//! Workload selectors of Sidecars and Telemetries: a selector that selects no workload of
//! its namespace (IST0101 `selector`), several resources that select the same workload
//! (IST0110 Sidecars, IST0159 Telemetries) or that have no selector in one namespace
//! (IST0111, IST0160), and selectors of policies (AuthorizationPolicy,
//! RequestAuthentication, Telemetry, WasmPlugin) that select Gateway API gateway pods,
//! where only `targetRefs` take effect (IST0166).

use super::{labels_text, resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::types::StrMap;
use crate::mesh::{key, labels_match, ObjRef};
use crate::parse::locate::PathSeg;
use std::collections::BTreeMap;

/// A resource that selects workloads of its namespace.
struct Selecting<'c> {
    meta: &'c ObjRef,
    /// `None` or empty: the whole namespace.
    selector: Option<&'c StrMap>,
    /// Where the selector is written.
    selector_path: Vec<PathSeg>,
}

/// Codes of one kind of selecting resource.
struct Codes {
    conflicting: &'static str,
    without_selector: &'static str,
    kind_plural: &'static str,
}

// Never inlined: see `super::check`.
#[inline(never)]
pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let sidecars: Vec<Selecting> = ctx
        .cluster
        .mesh
        .sidecars
        .iter()
        .map(|s| Selecting {
            meta: &s.meta,
            selector: s.spec.workload_selector.as_ref().map(|w| &w.labels),
            selector_path: vec![key("spec"), key("workloadSelector")],
        })
        .collect();
    let sidecar_codes = Codes {
        conflicting: "IST0110",
        without_selector: "IST0111",
        kind_plural: "Sidecars",
    };
    selectors(ctx, &sidecars, &sidecar_codes, out);
    let telemetries: Vec<Selecting> = ctx
        .inventory
        .selector_policies
        .iter()
        .filter(|p| p.meta.kind == "Telemetry" && !p.has_target_ref)
        .map(|p| Selecting {
            meta: &p.meta,
            selector: p.selector.as_ref(),
            selector_path: vec![key("spec"), key("selector")],
        })
        .collect();
    let telemetry_codes = Codes {
        conflicting: "IST0159",
        without_selector: "IST0160",
        kind_plural: "Telemetries",
    };
    selectors(ctx, &telemetries, &telemetry_codes, out);
    ineffective_on_gateways(ctx, out);
}

fn selectors(ctx: &Ctx, list: &[Selecting], codes: &Codes, out: &mut Vec<Diagnostic>) {
    let mut by_pod: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut without: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in list.iter().enumerate() {
        let ns = s.meta.namespace.as_str();
        let Some(sel) = s.selector.filter(|sel| !sel.is_empty()) else {
            without.entry(ns).or_default().push(i);
            continue;
        };
        if !ctx.has_workloads {
            continue;
        }
        let mut found = false;
        for (p, pod) in ctx.pods().iter().enumerate() {
            if pod.namespace == ns && labels_match(sel, pod.labels) {
                found = true;
                by_pod.entry(p).or_default().push(i);
            }
        }
        if !found {
            out.push(
                Diagnostic::new(
                    "IST0101",
                    format!(
                        "Referenced selector not found: \"{}\": no workload in namespace {ns} has these labels, so this {} configures nothing",
                        labels_text(sel),
                        s.meta.kind
                    ),
                )
                .at(&s.meta.locate(&s.selector_path))
                .resource(resource(s.meta))
                .help(format!(
                    "use the pod template labels of the workloads to configure (a {} selects workloads of its own namespace), or remove the selector to apply it to the whole namespace",
                    s.meta.kind
                )),
            );
        }
    }
    for (p, sel) in by_pod {
        if sel.len() < 2 {
            continue;
        }
        let Some(pod) = ctx.pods().get(p) else { continue };
        let names: Vec<String> = sel
            .iter()
            .filter_map(|&i| list.get(i))
            .map(|s| s.meta.name.clone())
            .collect();
        for &i in &sel {
            let Some(s) = list.get(i) else { continue };
            out.push(
                Diagnostic::new(
                    codes.conflicting,
                    format!(
                        "The {} [{}] in namespace {:?} select the same workload pod {:?}, which can lead to undefined behavior: Istio applies only one of them",
                        codes.kind_plural,
                        names.join(" "),
                        pod.namespace,
                        pod.name
                    ),
                )
                .at(&s.meta.locate(&s.selector_path))
                .resource(resource(s.meta))
                .help(format!("make the selectors of these {} select disjoint workloads, or merge them", codes.kind_plural)),
            );
        }
    }
    for (ns, idxs) in without {
        if idxs.len() < 2 {
            continue;
        }
        let names: Vec<String> = idxs
            .iter()
            .filter_map(|&i| list.get(i))
            .map(|s| s.meta.name.clone())
            .collect();
        for &i in &idxs {
            let Some(s) = list.get(i) else { continue };
            out.push(
                Diagnostic::new(
                    codes.without_selector,
                    format!(
                        "The {} [{}] in namespace {ns:?} have no workload selector, which can lead to undefined behavior: Istio applies only one of them to the namespace",
                        codes.kind_plural,
                        names.join(" ")
                    ),
                )
                .at(&s.meta.loc)
                .resource(resource(s.meta))
                .help(format!(
                    "keep one {} without selector per namespace (merge them), and give the others a selector",
                    s.meta.kind
                )),
            );
        }
    }
}

/// The label Gateway API deployments (Istio's automated deployment) carry.
const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";

/// IST0166: a policy without targetRefs whose selector selects a Gateway API gateway pod
/// of its namespace. Istio ignores selectors on such gateways.
fn ineffective_on_gateways(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for p in &ctx.inventory.selector_policies {
        if p.has_target_ref {
            continue;
        }
        let Some(sel) = p.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let gateway = ctx.pods().iter().find(|pod| {
            pod.namespace == p.meta.namespace
                && pod.labels.contains_key(GATEWAY_NAME_LABEL)
                && labels_match(sel, pod.labels)
        });
        let Some(gateway) = gateway else { continue };
        let name = gateway.labels.get(GATEWAY_NAME_LABEL).map_or("", String::as_str);
        out.push(
            Diagnostic::new(
                "IST0166",
                format!(
                    "Ineffective selector on Kubernetes Gateway {name}: the selector {{{}}} selects the pods of a Gateway API Gateway, where Istio applies {} only through targetRefs, so this one has no effect there",
                    labels_text(sel),
                    p.meta.kind
                ),
            )
            .at(&p.meta.locate(&[key("spec"), key("selector")]))
            .resource(resource(&p.meta))
            .help(format!(
                "replace the selector with `targetRefs: [{{kind: Gateway, group: gateway.networking.k8s.io, name: {name}}}]`"
            )),
        );
    }
}
