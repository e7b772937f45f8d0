//! Service and ServiceEntry checks: a meshed Deployment behind Services that disagree on a
//! port (IST0116, IST0137), port names Istio cannot read a protocol from (IST0118), TCP
//! ServiceEntries without addresses (IST0134) and ServiceEntries that disagree on a
//! protocol (IST0177). Services are read as written: istioctl compares protocol strings,
//! so `protocol: HTTP` (which the API server rejects) is a protocol of its own here.

use super::{export_scopes, names_text, resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::inventory::{RawDeployment, RawService, RawServicePort};
use crate::mesh::{idx, key, labels_match};
use std::collections::BTreeMap;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for d in &ctx.inventory.deployments {
        multiple_services(ctx, d, out);
    }
    port_names(ctx, out);
    entry_addresses(ctx, out);
    entry_protocols(ctx, out);
}

/// Whether a Deployment's pods are in the mesh: its workload runs a proxy (injection by
/// namespace label, pod label or annotation, or a gateway). Waypoints that Istio manages
/// are left out, as istioctl does.
fn deployment_in_mesh(ctx: &Ctx, d: &RawDeployment) -> bool {
    if d.labels
        .get("gateway.istio.io/managed")
        .is_some_and(|v| v == "istio.io-mesh-controller")
    {
        return false;
    }
    ctx.workloads()
        .find(|(_, w)| w.kind == "Deployment" && w.namespace == d.meta.namespace && w.name == d.meta.name)
        .is_some_and(|(i, _)| ctx.proxy(i))
}

/// The Services of the Deployment's namespace whose (non-empty) selector matches its pods.
fn services_of<'c>(ctx: &Ctx<'c>, d: &RawDeployment) -> Vec<&'c RawService> {
    ctx.inventory
        .services
        .iter()
        .filter(|s| {
            s.meta.namespace == d.meta.namespace
                && s.selector
                    .as_ref()
                    .is_some_and(|sel| !sel.is_empty() && labels_match(sel, &d.template_labels))
        })
        .collect()
}

/// IST0116 (one port, several protocols) and IST0137 (one targetPort, several ports) for a
/// Deployment in the mesh.
fn multiple_services(ctx: &Ctx, d: &RawDeployment, out: &mut Vec<Diagnostic>) {
    if !deployment_in_mesh(ctx, d) {
        return;
    }
    let svcs = services_of(ctx, d);
    // port -> protocol -> services; targetPort -> port -> services
    let mut by_port: BTreeMap<i64, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut by_target: BTreeMap<String, BTreeMap<i64, Vec<String>>> = BTreeMap::new();
    for s in &svcs {
        let id = s.meta.id();
        for p in &s.ports {
            let protocol = if p.protocol.is_empty() {
                "TCP".to_string()
            } else {
                p.protocol.clone()
            };
            by_port
                .entry(p.port)
                .or_default()
                .entry(protocol)
                .or_default()
                .push(id.clone());
            let target = if p.target_port.is_empty() || p.target_port == "0" {
                p.port.to_string()
            } else {
                p.target_port.clone()
            };
            let e = by_target.entry(target).or_default().entry(p.port).or_default();
            if !e.contains(&id) {
                e.push(id.clone());
            }
        }
    }
    let name = &d.meta.name;
    for (port, protocols) in &by_port {
        if protocols.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = protocols.values().flatten().cloned().collect();
        crate::sorting::sort(&mut names);
        let protos: Vec<&str> = protocols.keys().map(String::as_str).collect();
        out.push(
            Diagnostic::new(
                "IST0116",
                format!(
                    "This deployment {name} is associated with multiple services using port {port} but different protocols: [{}] ({}); the sidecar serves one protocol per port",
                    names.join(" "),
                    protos.join(", ")
                ),
            )
            .at(&d.meta.loc)
            .resource(resource(&d.meta))
            .help("use one protocol per port number across the Services that select this Deployment, or move one of them to another port"),
        );
    }
    for (target, ports) in &by_target {
        if ports.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = ports.values().flatten().cloned().collect();
        crate::sorting::sort(&mut names);
        names.dedup();
        let list: Vec<String> = ports.keys().map(i64::to_string).collect();
        out.push(
            Diagnostic::new(
                "IST0137",
                format!(
                    "This deployment {name} is associated with multiple services [{}] using targetPort {target:?} but different ports: [{}]; Services that select the same workload with the same targetPort must use the same port",
                    names.join(" "),
                    list.join(" ")
                ),
            )
            .at(&d.meta.loc)
            .resource(resource(&d.meta))
            .help(format!("give every Service port that targets {target:?} on this Deployment the same port number")),
        );
    }
}

/// The protocols Istio reads from a port name prefix or `appProtocol`.
fn known_protocol(p: &str) -> bool {
    matches!(
        p.to_ascii_lowercase().as_str(),
        "http"
            | "http2"
            | "https"
            | "http_proxy"
            | "grpc"
            | "grpc-web"
            | "tcp"
            | "tls"
            | "udp"
            | "mongo"
            | "mysql"
            | "redis"
    )
}

/// Ports Istio treats as TCP when the name says nothing.
const WELL_KNOWN_TCP_PORTS: &[i64] = &[22, 25, 53, 465, 587, 3306, 5432, 27017];

/// Istio's protocol selection for a Service port (`ConvertProtocol`): UDP by protocol,
/// else `appProtocol`, else the port name up to the first `-`, else TCP for a few
/// well-known ports. `false` when Istio falls back to protocol sniffing.
fn names_protocol(p: &RawServicePort) -> bool {
    if p.protocol.eq_ignore_ascii_case("UDP") {
        return true;
    }
    let name = p.app_protocol.as_deref().unwrap_or(&p.name);
    if p.app_protocol.is_some() && matches!(name, "kubernetes.io/h2c" | "kubernetes.io/ws" | "kubernetes.io/wss") {
        return true;
    }
    if name.to_ascii_lowercase().starts_with("grpc-web") {
        return true;
    }
    let prefix = name.split('-').next().unwrap_or(name);
    known_protocol(prefix) || WELL_KNOWN_TCP_PORTS.contains(&p.port)
}

const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

/// Services of Istio itself: labelled `istio`, `release: istio`, or managed by Istio's
/// gateway controllers.
fn istio_control_plane(s: &RawService) -> bool {
    s.labels.contains_key("istio")
        || s.labels.get("release").is_some_and(|v| v == "istio")
        || s.labels.contains_key("gateway.istio.io/managed")
}

/// IST0118: a port of a Service (outside the system namespaces and Istio's own) whose
/// protocol Istio cannot tell from its name or appProtocol: it then sniffs the protocol.
/// ExternalName Services are left out (istioctl reports them as IST0150, which netplay
/// does not).
fn port_names(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for svc in &ctx.inventory.services {
        if SYSTEM_NAMESPACES.contains(&svc.meta.namespace.as_str())
            || istio_control_plane(svc)
            || svc.service_type == "ExternalName"
        {
            continue;
        }
        for (i, p) in svc.ports.iter().enumerate() {
            if names_protocol(p) {
                continue;
            }
            let target = if p.target_port.is_empty() {
                p.port.to_string()
            } else {
                p.target_port.clone()
            };
            out.push(
                Diagnostic::new(
                    "IST0118",
                    format!(
                        "Port name {:?} (port: {}, targetPort: {target}) doesn't follow the naming convention of Istio port: Istio cannot tell its protocol and falls back to protocol sniffing",
                        p.name, p.port
                    ),
                )
                .at(&svc.meta.locate(&[key("spec"), key("ports"), idx(i)]))
                .resource(resource(&svc.meta))
                .help("name the port <protocol>[-<suffix>] (http, http2, grpc, https, tls, tcp, mongo, mysql, redis, ...) or set appProtocol"),
            );
        }
    }
}

/// IST0134: a ServiceEntry port with protocol TCP (or none) and no `addresses`: the
/// sidecar then matches every connection to that port, whatever the host. Not reported
/// when the proxies capture DNS and allocate addresses (`ISTIO_META_DNS_AUTO_ALLOCATE`), or
/// when the entry's status already holds allocated addresses and DNS is captured.
fn entry_addresses(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let capture = ctx.config.dns_capture();
    let auto = ctx.config.dns_auto_allocate();
    for se in &ctx.cluster.mesh.service_entries {
        if !se.spec.addresses.is_empty() || auto {
            continue;
        }
        let allocated = ctx
            .inventory
            .entries_with_status_addresses
            .contains(&(se.meta.namespace.clone(), se.meta.name.clone()));
        if capture && allocated {
            continue;
        }
        for (i, p) in se.spec.ports.iter().enumerate() {
            let proto = p.protocol.as_deref().unwrap_or("").trim();
            if !(proto.is_empty() || proto.eq_ignore_ascii_case("TCP")) {
                continue;
            }
            let what = if proto.is_empty() {
                "no protocol"
            } else {
                "protocol TCP"
            };
            out.push(
                Diagnostic::new(
                    "IST0134",
                    format!(
                        "ServiceEntry addresses are required for this protocol: port {} has {what} and the entry has no addresses, so the sidecar cannot tell its hosts ({}) apart from any other destination on port {}",
                        p.number,
                        se.spec.hosts.join(", "),
                        p.number
                    ),
                )
                .at(&se.meta.locate(&[key("spec"), key("ports"), idx(i)]))
                .resource(resource(&se.meta))
                .help("add `addresses` (the IPs or CIDRs of the hosts), set the port's protocol to what it carries (HTTP, HTTPS, TLS, ...), or let the DNS proxy allocate addresses (ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE in the mesh config)"),
            );
        }
    }
}

/// IST0177: ServiceEntries visible in the same namespace define the same host and port with
/// different protocols.
fn entry_protocols(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let ses = &ctx.cluster.mesh.service_entries;
    // (scope, host, port) -> (entry, port index, protocol)
    type Key = (String, String, u32);
    let mut index: BTreeMap<Key, Vec<(usize, usize, String)>> = BTreeMap::new();
    for (e, se) in ses.iter().enumerate() {
        for scope in export_scopes(&se.spec.export_to, &se.meta.namespace) {
            for h in &se.spec.hosts {
                for (pi, p) in se.spec.ports.iter().enumerate() {
                    let proto = p.protocol.as_deref().unwrap_or("").trim().to_ascii_uppercase();
                    index
                        .entry((scope.clone(), h.trim().to_ascii_lowercase(), p.number))
                        .or_default()
                        .push((e, pi, proto));
                }
            }
        }
    }
    let mut reported: Vec<usize> = Vec::new();
    for ((scope, host, port), entries) in &index {
        let mut all = entries.clone();
        if scope != "*" {
            if let Some(star) = index.get(&("*".to_string(), host.clone(), *port)) {
                all.extend(star.iter().cloned());
            }
        }
        let mut protocols: Vec<String> = all.iter().map(|(_, _, p)| p.clone()).collect();
        crate::sorting::sort(&mut protocols);
        protocols.dedup();
        if protocols.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = all
            .iter()
            .filter_map(|(e, _, _)| ses.get(*e))
            .map(|s| s.meta.id())
            .collect();
        crate::sorting::sort(&mut names);
        names.dedup();
        let shown: Vec<String> = protocols
            .iter()
            .map(|p| if p.is_empty() { "(none)".to_string() } else { p.clone() })
            .collect();
        for (e, pi, _) in &all {
            if reported.contains(e) {
                continue;
            }
            reported.push(*e);
            let Some(se) = ses.get(*e) else { continue };
            out.push(
                Diagnostic::new(
                    "IST0177",
                    format!(
                        "Multiple ServiceEntries ({}) define the same host {host:?} and port {port} with conflicting protocols ({}): Istio uses only one, so traffic may be handled with a protocol you do not expect",
                        names_text(&names),
                        shown.join(", ")
                    ),
                )
                .at(&se.meta.locate(&[key("spec"), key("ports"), idx(*pi)]))
                .resource(resource(&se.meta))
                .help("use the same protocol for this port in every ServiceEntry, or define the host in one ServiceEntry"),
            );
        }
    }
}
