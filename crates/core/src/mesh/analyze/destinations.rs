//! DestinationRule checks: TLS without server verification (IST0128, IST0129), a host the
//! registry does not know (IST0174), subsets that select no pod (IST0173), TLS modes the
//! server cannot accept (NP2002) and a workloadSelector that selects nothing (NP2005).

use super::registry::{HostEntry, Origin};
use super::{labels_text, names_text, resource, target_port_on, Ctx, PodLike};
use crate::diagnostics::Diagnostic;
use crate::mesh::security::peer_mode;
use crate::mesh::types::{DestinationRuleSpec, MtlsMode, StrMap, TlsMode, TrafficPolicy};
use crate::mesh::{idx, key, labels_match, MeshObject};
use crate::model::Service;
use crate::parse::locate::PathSeg;

// Never inlined: see `super::check`.
#[inline(never)]
pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for dr in &ctx.cluster.mesh.destination_rules {
        ca_certificates(dr, out);
        if let Some(entry) = host(ctx, dr, out) {
            subsets(ctx, dr, entry, out);
            if let Origin::Service(i) = entry.origin {
                let svc = ctx.inventory.services.get(i).and_then(|raw| {
                    ctx.cluster
                        .services
                        .iter()
                        .find(|s| s.namespace == raw.meta.namespace && s.name == raw.meta.name)
                });
                if let Some(svc) = svc {
                    tls_conflicts(ctx, dr, svc, out);
                }
            }
        }
        workload_selector(ctx, dr, out);
    }
}

fn path(parts: &[PathSeg]) -> Vec<PathSeg> {
    let mut v = vec![key("spec")];
    v.extend_from_slice(parts);
    v
}

/// IST0128 (top-level `trafficPolicy.tls`) and IST0129 (`portLevelSettings`): SIMPLE or
/// MUTUAL TLS without `caCertificates` does not verify the server's certificate. A
/// `credentialName` (a Secret with `ca.crt`) counts only with a `workloadSelector`: without
/// one the rule also applies to sidecars, which cannot read the Secret. As istioctl, subset
/// traffic policies are not looked at; unlike istioctl, `insecureSkipVerify: true` (which
/// says that skipping verification is intended) is not reported.
fn ca_certificates(dr: &MeshObject<DestinationRuleSpec>, out: &mut Vec<Diagnostic>) {
    let Some(tp) = &dr.spec.traffic_policy else { return };
    let selector = dr.spec.workload_selector.as_ref().is_some_and(|w| !w.labels.is_empty());
    let mut settings = Vec::new();
    if let Some(t) = &tp.tls {
        settings.push((path(&[key("trafficPolicy"), key("tls")]), t, None));
    }
    for (i, pl) in tp.port_level_settings.iter().enumerate() {
        if let Some(t) = &pl.tls {
            let port = pl.port.as_ref().and_then(|p| p.number);
            settings.push((
                path(&[key("trafficPolicy"), key("portLevelSettings"), idx(i), key("tls")]),
                t,
                Some(port.map_or_else(|| "(none)".to_string(), |n| n.to_string())),
            ));
        }
    }
    for (p, tls, port) in settings {
        let Some(mode @ (TlsMode::Simple | TlsMode::Mutual)) = tls.mode else {
            continue;
        };
        let set = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
        if set(&tls.ca_certificates)
            || (selector && set(&tls.credential_name))
            || tls.insecure_skip_verify == Some(true)
        {
            continue;
        }
        let (code, at) = match &port {
            Some(n) => ("IST0129", format!(" at port {n}")),
            None => ("IST0128", String::new()),
        };
        let why = if set(&tls.credential_name) {
            ": credentialName is read only by the workloads a workloadSelector selects (gateways), not by sidecars"
        } else {
            ""
        };
        let mut mode_path = p.clone();
        mode_path.push(key("mode"));
        out.push(
            Diagnostic::new(
                code,
                format!(
                    "DestinationRule {} in namespace {} has TLS mode set to {} but no caCertificates are set to validate server identity for host: {}{at}{why}",
                    dr.meta.name,
                    dr.meta.namespace,
                    mode.as_str(),
                    dr.spec.host
                ),
            )
            .at(&dr.meta.locate(&mode_path))
            .resource(resource(&dr.meta))
            .help("set `caCertificates` (a CA bundle file in the proxy), or `credentialName` together with a `workloadSelector`; `insecureSkipVerify: true` says that skipping verification is intended"),
        );
    }
}

/// IST0174: the host is no Service or ServiceEntry host visible to the DestinationRule
/// (its namespace and exportTo). A wildcard host that covers some host of the registry is
/// fine (istioctl reports it unless a wildcard ServiceEntry has it). Returns the host found.
fn host<'c>(ctx: &'c Ctx, dr: &MeshObject<DestinationRuleSpec>, out: &mut Vec<Diagnostic>) -> Option<&'c HostEntry> {
    let written = dr.spec.host.trim();
    if written.is_empty() || !ctx.has_registry {
        return None;
    }
    if let Some(entry) = ctx.registry().lookup(&dr.meta.namespace, &dr.spec.export_to, written) {
        return Some(entry);
    }
    if written.starts_with('*') && ctx.registry().pattern_matches_any(written) {
        return None;
    }
    let also = if written.contains('.') || written.contains('*') {
        String::new()
    } else {
        format!(
            " (a short name means {}, in the namespace of the DestinationRule)",
            super::registry::fqdn(written, &dr.meta.namespace)
        )
    };
    out.push(
        Diagnostic::new(
            "IST0174",
            format!(
                "The host {written}{also} defined in the DestinationRule does not match any services in the mesh: its traffic policy and subsets apply to nothing"
            ),
        )
        .at(&dr.meta.locate(&path(&[key("host")])))
        .resource(resource(&dr.meta))
        .help("fix the spelling; for a Service in another namespace write name.namespace.svc.cluster.local; for a host outside the mesh add a ServiceEntry"),
    );
    None
}

/// Labels the platform sets on endpoints from the node at run time.
const TOPOLOGY_LABELS: [&str; 4] = [
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
    "kubernetes.io/hostname",
];

/// Whether a pod can carry every label of `selector`. Topology labels come from the Node
/// the pod runs on when the input has it (an empty node label is no label, as in Istio);
/// without the Node they are set at run time, so any non-empty value may match.
fn pod_matches(ctx: &Ctx, pod: &PodLike, selector: &StrMap) -> bool {
    selector.iter().all(|(k, v)| {
        if pod.labels.get(k) == Some(v) {
            return true;
        }
        if !TOPOLOGY_LABELS.contains(&k.as_str()) {
            return false;
        }
        let node = pod
            .node
            .and_then(|n| ctx.inventory.nodes.get(n).map(|labels| (n, labels)));
        match node {
            Some((name, labels)) => {
                let actual = if k == "kubernetes.io/hostname" {
                    Some(name)
                } else {
                    labels.get(k).map(String::as_str).filter(|s| !s.is_empty())
                };
                actual == Some(v.as_str())
            }
            None => !v.is_empty(),
        }
    })
}

/// IST0173: a subset whose labels (with the ServiceEntry's workloadSelector) select no pod
/// of the input, in any namespace (istioctl's condition). A ServiceEntry with endpoints
/// and no workloadSelector is matched against its endpoints' labels instead. Checked when
/// the host is a Service of the input or the input has workloads.
fn subsets(ctx: &Ctx, dr: &MeshObject<DestinationRuleSpec>, entry: &HostEntry, out: &mut Vec<Diagnostic>) {
    let endpoints = match entry.origin {
        Origin::Entry(i) => ctx
            .cluster
            .mesh
            .service_entries
            .get(i)
            .filter(|se| entry.workload_selector.is_none() && !se.spec.endpoints.is_empty()),
        Origin::Service(_) => None,
    };
    if endpoints.is_none() && !ctx.has_workloads && !matches!(entry.origin, Origin::Service(_)) {
        return;
    }
    for (i, s) in dr.spec.subsets.iter().enumerate() {
        let mut selector = entry.workload_selector.clone().unwrap_or_default();
        selector.extend(s.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        let (selected, what) = match endpoints {
            Some(se) => (
                se.spec.endpoints.iter().any(|e| labels_match(&selector, &e.labels)),
                format!(
                    "no endpoint of {} has the labels {{{}}}",
                    resource(&se.meta),
                    labels_text(&selector)
                ),
            ),
            None => (
                ctx.pods().iter().any(|p| pod_matches(ctx, p, &selector)),
                format!("no pod of the input has the labels {{{}}}", labels_text(&selector)),
            ),
        };
        if selected {
            continue;
        }
        out.push(
            Diagnostic::new(
                "IST0173",
                format!(
                    "The Subset {} defined in the DestinationRule does not select any pods: {what}. Requests routed to it fail with 503 UH (no healthy upstream)",
                    s.name
                ),
            )
            .at(&dr.meta.locate(&path(&[key("subsets"), idx(i)])))
            .resource(resource(&dr.meta))
            .help("change the subset's labels to those of the pods it stands for, deploy those pods, or remove the subset if nothing routes to it"),
        );
    }
}

/// The TLS mode a client sidecar uses toward one Service port and subset, with the path of
/// the setting that decides it: top level, its port-level settings, the subset, the
/// subset's port-level settings, each overriding the one before.
fn effective_tls(spec: &DestinationRuleSpec, subset: Option<usize>, port: u16) -> Option<(TlsMode, Vec<PathSeg>)> {
    let mut found: Option<(TlsMode, Vec<PathSeg>)> = None;
    let mut apply = |tp: &TrafficPolicy, base: Vec<PathSeg>| {
        if let Some(m) = tp.tls.as_ref().and_then(|t| t.mode) {
            let mut p = base.clone();
            p.extend([key("tls"), key("mode")]);
            found = Some((m, p));
        }
        for (i, pl) in tp.port_level_settings.iter().enumerate() {
            if pl.port.as_ref().and_then(|p| p.number) != Some(u32::from(port)) {
                continue;
            }
            if let Some(m) = pl.tls.as_ref().and_then(|t| t.mode) {
                let mut p = base.clone();
                p.extend([key("portLevelSettings"), idx(i), key("tls"), key("mode")]);
                found = Some((m, p));
            }
        }
    };
    if let Some(tp) = &spec.traffic_policy {
        apply(tp, path(&[key("trafficPolicy")]));
    }
    if let Some(si) = subset {
        if let Some(tp) = spec.subsets.get(si).and_then(|s| s.traffic_policy.as_ref()) {
            apply(tp, path(&[key("subsets"), idx(si), key("trafficPolicy")]));
        }
    }
    found
}

/// A tls mode that some endpoints cannot accept: where it is decided, and who and why.
struct Conflict {
    path: Vec<PathSeg>,
    mode: TlsMode,
    workloads: Vec<String>,
    whys: Vec<String>,
}

/// NP2002: the TLS a DestinationRule makes client sidecars send cannot be accepted by the
/// server: Istio mTLS toward a workload without sidecar or with PeerAuthentication
/// DISABLE, plaintext or user TLS toward a workload whose sidecar is STRICT.
fn tls_conflicts(ctx: &Ctx, dr: &MeshObject<DestinationRuleSpec>, svc: &Service, out: &mut Vec<Diagnostic>) {
    let mut found: Vec<Conflict> = Vec::new();
    let subsets: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..dr.spec.subsets.len()).map(Some))
        .collect();
    for subset in subsets {
        let labels = subset.and_then(|i| dr.spec.subsets.get(i)).map(|s| &s.labels);
        let endpoints = ctx.service_workloads(svc, labels);
        for sp in &svc.ports {
            let Some((mode, p)) = effective_tls(&dr.spec, subset, sp.port) else {
                continue;
            };
            for &wi in &endpoints {
                let Some(w) = ctx.cluster.workloads.get(wi) else {
                    continue;
                };
                let Some(tport) = target_port_on(w, &sp.target_port) else {
                    continue;
                };
                let has_sidecar = ctx.sidecar.get(wi).copied().unwrap_or(false);
                let why = match mode {
                    TlsMode::IstioMutual if !has_sidecar => Some(format!(
                        "{} has no sidecar, so nothing there terminates Istio mTLS",
                        w.endpoint_name()
                    )),
                    TlsMode::IstioMutual => {
                        let pm = peer_mode(ctx.cluster, w, tport);
                        (pm.mode == MtlsMode::Disable).then(|| {
                            format!(
                                "{} accepts only plaintext on port {tport} (DISABLE, from {})",
                                w.endpoint_name(),
                                pm.explain
                            )
                        })
                    }
                    TlsMode::Disable | TlsMode::Simple | TlsMode::Mutual if has_sidecar => {
                        let pm = peer_mode(ctx.cluster, w, tport);
                        (pm.mode == MtlsMode::Strict).then(|| {
                            format!(
                                "{} accepts only Istio mTLS on port {tport} (STRICT, from {})",
                                w.endpoint_name(),
                                pm.explain
                            )
                        })
                    }
                    _ => None,
                };
                let Some(why) = why else { continue };
                let entry = match found.iter().position(|c| c.path == p) {
                    Some(i) => &mut found[i],
                    None => {
                        found.push(Conflict {
                            path: p.clone(),
                            mode,
                            workloads: Vec::new(),
                            whys: Vec::new(),
                        });
                        let last = found.len() - 1;
                        &mut found[last]
                    }
                };
                if !entry.workloads.contains(&w.endpoint_name()) {
                    entry.workloads.push(w.endpoint_name());
                    entry.whys.push(why);
                }
            }
        }
    }
    for Conflict {
        path: p, mode, whys, ..
    } in found
    {
        let sends = match mode {
            TlsMode::IstioMutual => "Istio mTLS",
            TlsMode::Disable => "plaintext",
            TlsMode::Simple | TlsMode::Mutual => "TLS with its own certificates",
        };
        let help = match mode {
            TlsMode::IstioMutual => "remove this tls setting (auto mTLS sends plaintext to workloads without sidecar and mTLS to the others), or inject a sidecar into the workload / relax its PeerAuthentication",
            _ => "remove this tls setting (auto mTLS then sends Istio mTLS), set `mode: ISTIO_MUTUAL`, or make the workload's PeerAuthentication PERMISSIVE while clients migrate",
        };
        out.push(
            Diagnostic::new(
                "NP2002",
                format!(
                    "tls.mode {} makes client sidecars send {sends} to {}, but {}: those connections fail (503)",
                    mode.as_str(),
                    dr.spec.host,
                    names_text(&whys)
                ),
            )
            .at(&dr.meta.locate(&p))
            .resource(resource(&dr.meta))
            .help(help),
        );
    }
}

/// NP2005 for a DestinationRule `workloadSelector` that selects no workload of its
/// namespace.
fn workload_selector(ctx: &Ctx, dr: &MeshObject<DestinationRuleSpec>, out: &mut Vec<Diagnostic>) {
    let Some(sel) = dr.spec.workload_selector.as_ref().filter(|s| !s.labels.is_empty()) else {
        return;
    };
    if !ctx.has_workloads {
        return;
    }
    let ns = &dr.meta.namespace;
    let any = ctx.selects_any(ns, &sel.labels);
    if !any {
        out.push(
            Diagnostic::new(
                "NP2005",
                format!(
                    "workloadSelector {{{}}} selects no workload in namespace {ns}: a DestinationRule with a workloadSelector applies only to the client workloads it selects in its own namespace, so this one applies to none",
                    labels_text(&sel.labels)
                ),
            )
            .at(&dr.meta.locate(&path(&[key("workloadSelector")])))
            .resource(resource(&dr.meta))
            .help("use the labels of the client pods that should use this rule, or remove workloadSelector to apply it to every client that sees the rule"),
        );
    }
}
