//! DestinationRule checks: TLS without server verification (IST0128, IST0129), a host the
//! registry does not know (IST0174), subsets that select no pod (IST0173), TLS modes the
//! server cannot accept (NP2002) and a workloadSelector that selects nothing (NP2005).

use super::{labels_text, names_text, resource, target_port_on, Ctx, Target};
use crate::diagnostics::Diagnostic;
use crate::mesh::host::config_host;
use crate::mesh::security::peer_mode;
use crate::mesh::types::{ClientTls, DestinationRuleSpec, MtlsMode, TlsMode, TrafficPolicy};
use crate::mesh::{idx, key, labels_match, MeshObject};
use crate::parse::locate::PathSeg;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for dr in &ctx.cluster.mesh.destination_rules {
        ca_certificates(dr, out);
        let target = host(ctx, dr, out);
        if let Some(t) = target {
            subsets(ctx, dr, t, out);
            if let Target::Service(_) = t {
                tls_conflicts(ctx, dr, t, out);
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

/// One `tls` block of a DestinationRule.
struct TlsSetting<'a> {
    path: Vec<PathSeg>,
    tls: &'a ClientTls,
    /// The port of a `portLevelSettings` entry.
    port: Option<u32>,
    /// The subset whose traffic policy holds it.
    subset: Option<&'a str>,
}

/// Every `tls` block of a DestinationRule: top level, port level, subsets.
fn tls_settings(spec: &DestinationRuleSpec) -> Vec<TlsSetting<'_>> {
    fn of<'a>(tp: &'a TrafficPolicy, base: &[PathSeg], subset: Option<&'a str>, out: &mut Vec<TlsSetting<'a>>) {
        if let Some(t) = &tp.tls {
            let mut path = base.to_vec();
            path.push(key("tls"));
            out.push(TlsSetting {
                path,
                tls: t,
                port: None,
                subset,
            });
        }
        for (i, pl) in tp.port_level_settings.iter().enumerate() {
            if let Some(t) = &pl.tls {
                let mut path = base.to_vec();
                path.extend([key("portLevelSettings"), idx(i), key("tls")]);
                out.push(TlsSetting {
                    path,
                    tls: t,
                    port: pl.port.as_ref().and_then(|p| p.number),
                    subset,
                });
            }
        }
    }
    let mut out = Vec::new();
    if let Some(tp) = &spec.traffic_policy {
        of(tp, &path(&[key("trafficPolicy")]), None, &mut out);
    }
    for (i, s) in spec.subsets.iter().enumerate() {
        if let Some(tp) = &s.traffic_policy {
            of(
                tp,
                &path(&[key("subsets"), idx(i), key("trafficPolicy")]),
                Some(&s.name),
                &mut out,
            );
        }
    }
    out
}

/// IST0128 (destination level) and IST0129 (port level): SIMPLE or MUTUAL TLS without
/// `caCertificates` does not verify the server's certificate.
fn ca_certificates(dr: &MeshObject<DestinationRuleSpec>, out: &mut Vec<Diagnostic>) {
    for TlsSetting {
        path: p,
        tls,
        port,
        subset,
    } in tls_settings(&dr.spec)
    {
        let Some(mode @ (TlsMode::Simple | TlsMode::Mutual)) = tls.mode else {
            continue;
        };
        let set = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
        if set(&tls.ca_certificates) || set(&tls.credential_name) || tls.insecure_skip_verify == Some(true) {
            continue;
        }
        let whom = match subset {
            Some(s) => format!(" (subset {s})"),
            None => String::new(),
        };
        let (code, at) = match port {
            Some(n) => ("IST0129", format!(" at port {n}")),
            None => ("IST0128", String::new()),
        };
        let mut mode_path = p.clone();
        mode_path.push(key("mode"));
        out.push(
            Diagnostic::new(
                code,
                format!(
                    "DestinationRule {} in namespace {} has TLS mode set to {} but no caCertificates are set to validate server identity for host: {}{at}{whom}: the sidecar does not check who it talks to",
                    dr.meta.name,
                    dr.meta.namespace,
                    mode.as_str(),
                    dr.spec.host
                ),
            )
            .at(&dr.meta.locate(&mode_path))
            .resource(resource(&dr.meta))
            .help("set `caCertificates` (a CA bundle file in the proxy) or `credentialName` (a Secret with ca.crt) in this tls block; `insecureSkipVerify: true` says that skipping verification is intended"),
        );
    }
}

/// IST0174: the host is no Service or ServiceEntry host. Returns the host it resolves to.
fn host<'c>(ctx: &Ctx<'c>, dr: &MeshObject<DestinationRuleSpec>, out: &mut Vec<Diagnostic>) -> Option<Target<'c>> {
    let written = dr.spec.host.trim();
    if written.is_empty() || !ctx.has_registry {
        return None;
    }
    let fqdn = config_host(written, &dr.meta.namespace);
    let target = if fqdn.contains('*') {
        if ctx.pattern_matches_any(&fqdn) {
            return None;
        }
        None
    } else {
        ctx.lookup(&fqdn, &dr.meta.namespace)
    };
    if target.is_none() {
        let also = if written.contains('.') || written.contains('*') {
            String::new()
        } else {
            format!(" (a short name means {fqdn}, in the namespace of the DestinationRule)")
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
    }
    target
}

/// IST0173: a subset whose labels select no pod of the host.
fn subsets(ctx: &Ctx, dr: &MeshObject<DestinationRuleSpec>, target: Target, out: &mut Vec<Diagnostic>) {
    for (i, s) in dr.spec.subsets.iter().enumerate() {
        let (empty, what) = match target {
            Target::Service(svc) => {
                if svc.selector.as_ref().is_none_or(|s| s.is_empty()) || !ctx.namespace_has_workloads(&svc.namespace) {
                    return;
                }
                let all = ctx.service_workloads(svc, None);
                let chosen = ctx.service_workloads(svc, Some(&s.labels));
                let what = if all.is_empty() {
                    format!(
                        "Service {}/{} itself selects no workload of the input",
                        svc.namespace, svc.name
                    )
                } else {
                    let versions: Vec<String> = all
                        .iter()
                        .filter_map(|&w| ctx.cluster.workloads.get(w))
                        .map(|w| {
                            let shown: Vec<String> = s
                                .labels
                                .keys()
                                .map(|k| format!("{k}={}", w.labels.get(k).map_or("(none)", String::as_str)))
                                .collect();
                            format!("{} has {}", w.endpoint_name(), shown.join(","))
                        })
                        .collect();
                    format!(
                        "of the workloads of Service {}/{}, none has the labels {{{}}} ({})",
                        svc.namespace,
                        svc.name,
                        labels_text(&s.labels),
                        names_text(&versions)
                    )
                };
                (chosen.is_empty(), what)
            }
            Target::Entry(se) => {
                if let Some(sel) = se.spec.workload_selector.as_ref().filter(|w| !w.labels.is_empty()) {
                    if !ctx.namespace_has_workloads(&se.meta.namespace) {
                        return;
                    }
                    let any = ctx.cluster.workloads.iter().any(|w| {
                        w.namespace == se.meta.namespace
                            && labels_match(&sel.labels, &w.labels)
                            && labels_match(&s.labels, &w.labels)
                    });
                    (
                        !any,
                        format!(
                            "no workload selected by {} has the labels {{{}}}",
                            resource(&se.meta),
                            labels_text(&s.labels)
                        ),
                    )
                } else if !se.spec.endpoints.is_empty() {
                    let any = se.spec.endpoints.iter().any(|e| labels_match(&s.labels, &e.labels));
                    (
                        !any,
                        format!(
                            "no endpoint of {} has the labels {{{}}}",
                            resource(&se.meta),
                            labels_text(&s.labels)
                        ),
                    )
                } else {
                    return;
                }
            }
        };
        if empty {
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
fn tls_conflicts(ctx: &Ctx, dr: &MeshObject<DestinationRuleSpec>, target: Target, out: &mut Vec<Diagnostic>) {
    let Target::Service(svc) = target else { return };
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
