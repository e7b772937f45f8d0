//! Istio Gateway checks: a selector that selects no gateway workload (IST0101
//! `selector`), a `credentialName` Secret missing from the gateway workload's namespace
//! (IST0101 `credentialName`), a server port the gateway's Service does not expose
//! (IST0162), the same certificate on gateways that share workloads (IST0138) and servers
//! of gateways on the same workloads with the same port and overlapping hosts (IST0145).
//!
//! As istioctl, netplay assumes Istio's default ingress gateway (pods labelled
//! `istio: ingressgateway` in the istio namespace behind the Service
//! `istio-ingressgateway` with ports 80, 443, 31400 and 15443) when the input does not
//! have one: it is installed with Istio and rarely part of an application's manifests.

use super::{hosts_overlap, labels_text, names_text, resource, Ctx, PodLike, DEFAULT_INGRESS_PORTS};
use crate::diagnostics::Diagnostic;
use crate::mesh::types::{GatewaySpec, ServerTls, StrMap};
use crate::mesh::{idx, key, labels_match, MeshObject};

// Never inlined: see `super::check`.
#[inline(never)]
pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let gws = &ctx.cluster.mesh.gateways;
    for gw in gws {
        let pods: Vec<&PodLike> = ctx
            .pods()
            .iter()
            .filter(|p| labels_match(&gw.spec.selector, p.labels))
            .collect();
        if pods.is_empty() {
            selector_not_found(gw, out);
        } else {
            ports_on_service(ctx, gw, &pods, out);
            credentials(ctx, gw, pods[0].namespace, out);
        }
        duplicate_certificates(gws, gw, out);
        conflicting_servers(ctx, gws, gw, out);
    }
}

/// IST0101 `selector`: no workload (of any namespace) carries the Gateway's selector.
fn selector_not_found(gw: &MeshObject<GatewaySpec>, out: &mut Vec<Diagnostic>) {
    out.push(
        Diagnostic::new(
            "IST0101",
            format!(
                "Referenced selector not found: \"{}\": no workload of the input has these labels, so no gateway proxy serves this Gateway",
                labels_text(&gw.spec.selector)
            ),
        )
        .at(&gw.meta.locate(&[key("spec"), key("selector")]))
        .resource(resource(&gw.meta))
        .help("use the labels of the gateway deployment's pods (Istio's default ingress gateway has `istio: ingressgateway`)"),
    );
}

/// IST0101 `credentialName`: a server's TLS Secret is not in the namespace of the gateway
/// workload (where the gateway reads it). Checked when the input has Secrets at all.
fn credentials(ctx: &Ctx, gw: &MeshObject<GatewaySpec>, gateway_ns: &str, out: &mut Vec<Diagnostic>) {
    if ctx.inventory.secrets.is_empty() {
        return;
    }
    for (i, server) in gw.spec.servers.iter().enumerate() {
        let Some(name) = server
            .tls
            .as_ref()
            .and_then(|t| t.credential_name.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        let (ns, secret) = name.split_once('/').unwrap_or((gateway_ns, name));
        if ctx.inventory.secrets.contains(&(ns.to_string(), secret.to_string())) {
            continue;
        }
        let elsewhere: Vec<String> = ctx
            .inventory
            .secrets
            .iter()
            .filter(|(_, n)| n == secret)
            .map(|(n, _)| n.clone())
            .collect();
        let hint = if elsewhere.is_empty() {
            String::new()
        } else {
            format!(
                " (a Secret of that name is in {}, which the gateway does not read)",
                names_text(&elsewhere)
            )
        };
        out.push(
            Diagnostic::new(
                "IST0101",
                format!(
                    "Referenced credentialName not found: {name:?}: the gateway workload runs in namespace {gateway_ns} and there is no Secret {ns}/{secret}{hint}; TLS handshakes on this server fail"
                ),
            )
            .at(&gw.meta.locate(&[key("spec"), key("servers"), idx(i), key("tls"), key("credentialName")]))
            .resource(resource(&gw.meta))
            .help(format!("create the TLS Secret {secret} in namespace {gateway_ns}, the namespace of the gateway deployment")),
        );
    }
}

/// IST0162: a server port that no Service in front of the gateway's workloads exposes as
/// its `port` (Istio translates Service ports to the pods' target ports itself). Checked
/// when the input has a Service for them (or they are the default ingress gateway).
fn ports_on_service(ctx: &Ctx, gw: &MeshObject<GatewaySpec>, pods: &[&PodLike], out: &mut Vec<Diagnostic>) {
    let root = ctx.root_namespace();
    let default_service = ctx
        .inventory
        .services
        .iter()
        .any(|s| s.meta.namespace == root && s.meta.name == "istio-ingressgateway");
    let mut ports: Vec<u32> = Vec::new();
    let mut services: Vec<String> = Vec::new();
    for pod in pods {
        for svc in &ctx.inventory.services {
            let selects = svc.meta.namespace == pod.namespace
                && svc
                    .selector
                    .as_ref()
                    .is_some_and(|sel| !sel.is_empty() && labels_match(sel, pod.labels));
            if !selects {
                continue;
            }
            services.push(svc.meta.id());
            for p in &svc.ports {
                if p.protocol.is_empty() || p.protocol == "TCP" {
                    ports.extend(u32::try_from(p.port).ok());
                }
            }
        }
        let default_ingress = pod.namespace == root && pod.labels.get("istio").is_some_and(|v| v == "ingressgateway");
        if default_ingress && !default_service {
            services.push(format!("{root}/istio-ingressgateway"));
            ports.extend_from_slice(DEFAULT_INGRESS_PORTS);
        }
    }
    if services.is_empty() {
        return; // the gateway's Service is in another file
    }
    crate::sorting::sort(&mut services);
    services.dedup();
    crate::sorting::sort_unstable(&mut ports);
    ports.dedup();
    for (i, s) in gw.spec.servers.iter().enumerate() {
        let Some(p) = s.port.as_ref() else { continue };
        if ports.contains(&p.number) {
            continue;
        }
        let exposed = format!(
            "Service(s) {} expose only {}",
            names_text(&services),
            ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        );
        out.push(
            Diagnostic::new(
                "IST0162",
                format!(
                    "The gateway is listening on a target port (port {}) that is not defined in the Service associated with its workload instances (Pod selector {}): {exposed}; traffic through the Service never reaches this server",
                    p.number,
                    labels_text(&gw.spec.selector)
                ),
            )
            .at(&gw.meta.locate(&[key("spec"), key("servers"), idx(i), key("port"), key("number")]))
            .resource(resource(&gw.meta))
            .help("use a port the gateway Service exposes, or add the port to the gateway's Service"),
        );
    }
}

/// The host part of a server host (`ns/host` → `host`).
fn server_host(h: &str) -> &str {
    h.trim().split_once('/').map_or(h.trim(), |(_, host)| host)
}

/// IST0145: another Gateway on the same workloads (equal selectors, or a workload both
/// select) has a server on the same port number with an overlapping host. One message
/// per conflicting server.
fn conflicting_servers(
    ctx: &Ctx,
    gws: &[MeshObject<GatewaySpec>],
    gw: &MeshObject<GatewaySpec>,
    out: &mut Vec<Diagnostic>,
) {
    let shares_workloads = |other: &MeshObject<GatewaySpec>| {
        other.spec.selector == gw.spec.selector
            || ctx
                .pods()
                .iter()
                .any(|p| labels_match(&gw.spec.selector, p.labels) && labels_match(&other.spec.selector, p.labels))
    };
    for (i, server) in gw.spec.servers.iter().enumerate() {
        let Some(port) = server.port.as_ref().map(|p| p.number) else {
            continue;
        };
        let mut others: Vec<String> = Vec::new();
        for other in gws {
            if std::ptr::eq(other, gw) || !shares_workloads(other) {
                continue;
            }
            let clash = other.spec.servers.iter().any(|o| {
                o.port.as_ref().map(|p| p.number) == Some(port)
                    && server
                        .hosts
                        .iter()
                        .any(|h| o.hosts.iter().any(|oh| hosts_overlap(server_host(h), server_host(oh))))
            });
            if clash {
                others.push(other.meta.id());
            }
        }
        if others.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::new(
                "IST0145",
                format!(
                    "Conflict with gateways {} (workload selector {}, port {port}, hosts {}): the gateway proxies get two servers for one port and host and use only one of them",
                    others.join(","),
                    labels_text(&gw.spec.selector),
                    server.hosts.join(",")
                ),
            )
            .at(&gw.meta.locate(&[key("spec"), key("servers"), idx(i)]))
            .resource(resource(&gw.meta))
            .help("serve each host and port from one Gateway (merge the servers), or give the Gateways different hosts or ports"),
        );
    }
}

/// Whether every pair of `x` is in `y` (istioctl's `selectorSubset`).
fn selector_subset(x: &StrMap, y: &StrMap) -> bool {
    x.iter().all(|(k, v)| y.get(k) == Some(v))
}

/// istioctl's `haveSameCertificate`: the same credentialName, or the same
/// serverCertificate and privateKey files.
fn same_certificate(a: &ServerTls, b: &ServerTls) -> bool {
    fn set(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|v| !v.is_empty())
    }
    match (set(&a.credential_name), set(&b.credential_name)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => {
            matches!((set(&a.server_certificate), set(&b.server_certificate)), (Some(x), Some(y)) if x == y)
                && matches!((set(&a.private_key), set(&b.private_key)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

/// IST0138: another Gateway whose selector covers this one's uses the same certificate.
fn duplicate_certificates(gws: &[MeshObject<GatewaySpec>], gw: &MeshObject<GatewaySpec>, out: &mut Vec<Diagnostic>) {
    for other in gws {
        if std::ptr::eq(other, gw) {
            continue;
        }
        if !gw.spec.selector.is_empty() && !selector_subset(&gw.spec.selector, &other.spec.selector) {
            continue;
        }
        let hit = gw.spec.servers.iter().enumerate().find_map(|(i, s)| {
            let t = s.tls.as_ref()?;
            other
                .spec
                .servers
                .iter()
                .filter_map(|o| o.tls.as_ref())
                .any(|o| same_certificate(t, o))
                .then_some((i, t))
        });
        let Some((i, t)) = hit else { continue };
        let cert = t
            .credential_name
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| format!("credentialName {c:?}"))
            .unwrap_or_else(|| format!("serverCertificate {:?}", t.server_certificate.as_deref().unwrap_or("")));
        out.push(
            Diagnostic::new(
                "IST0138",
                format!(
                    "Duplicate certificate in multiple gateways [{}, {}] may cause 404s if clients re-use HTTP2 connections: both use {cert} on the same gateway workloads",
                    gw.meta.id(),
                    other.meta.id()
                ),
            )
            .at(&gw.meta.locate(&[key("spec"), key("servers"), idx(i), key("tls")]))
            .resource(resource(&gw.meta))
            .help("serve the hosts that share the certificate from one Gateway (one server with all the hosts), or give each Gateway its own certificate"),
        );
    }
}
