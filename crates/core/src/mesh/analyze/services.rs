//! Service and ServiceEntry checks: a meshed workload behind Services that disagree on a
//! port (IST0116, IST0137), port names Istio cannot read a protocol from (IST0118), TCP
//! ServiceEntries without addresses (IST0134) and ServiceEntries that disagree on a
//! protocol (IST0177).

use super::{export_scopes, names_text, resource, workload_resource, Ctx};
use crate::conn::Protocol;
use crate::diagnostics::Diagnostic;
use crate::mesh::{idx, key, ROOT_NAMESPACE};
use crate::model::{Service, TargetPort};
use std::collections::BTreeMap;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    multiple_services(ctx, out);
    port_names(ctx, out);
    entry_addresses(ctx, out);
    entry_protocols(ctx, out);
}

/// IST0116 (same port, different protocols) and IST0137 (same target port, different
/// ports) for every workload with a sidecar.
fn multiple_services(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (wi, w) in ctx.workloads() {
        if !ctx.sidecar.get(wi).copied().unwrap_or(false) {
            continue;
        }
        let svcs: Vec<&Service> = ctx.services_of(wi).map(|(_, s)| s).collect();
        if svcs.len() < 2 && svcs.iter().all(|s| s.ports.len() < 2) {
            continue;
        }
        let mut by_port: BTreeMap<u16, BTreeMap<Protocol, Vec<String>>> = BTreeMap::new();
        let mut by_target: BTreeMap<String, BTreeMap<u16, Vec<String>>> = BTreeMap::new();
        for s in &svcs {
            let id = format!("{}/{}", s.namespace, s.name);
            for p in &s.ports {
                by_port
                    .entry(p.port)
                    .or_default()
                    .entry(p.protocol)
                    .or_default()
                    .push(id.clone());
                let t = match &p.target_port {
                    TargetPort::Number(n) => n.to_string(),
                    TargetPort::Name(n) => n.clone(),
                };
                let e = by_target.entry(t).or_default().entry(p.port).or_default();
                if !e.contains(&id) {
                    e.push(id.clone());
                }
            }
        }
        for (port, protocols) in &by_port {
            if protocols.len() < 2 {
                continue;
            }
            let mut names: Vec<String> = protocols.values().flatten().cloned().collect();
            names.sort();
            names.dedup();
            let protos: Vec<String> = protocols.keys().map(|p| p.to_string()).collect();
            out.push(
                Diagnostic::new(
                    "IST0116",
                    format!(
                        "This deployment {} is associated with multiple services using port {port} but different protocols ({}): {}; the sidecar cannot serve one port with two protocols",
                        w.name,
                        protos.join(", "),
                        names.join(", ")
                    ),
                )
                .at(&w.loc)
                .resource(workload_resource(w))
                .help("use one protocol per port number across the Services that select this workload, or move one of them to another port"),
            );
        }
        for (target, ports) in &by_target {
            if ports.len() < 2 {
                continue;
            }
            let mut names: Vec<String> = ports.values().flatten().cloned().collect();
            names.sort();
            names.dedup();
            let list: Vec<String> = ports.keys().map(u16::to_string).collect();
            out.push(
                Diagnostic::new(
                    "IST0137",
                    format!(
                        "This deployment {} is associated with multiple services [{}] using targetPort {target:?} but different ports: [{}]; Istio requires Services that select the same workload with the same targetPort to use the same port",
                        w.name,
                        names.join(", "),
                        list.join(", ")
                    ),
                )
                .at(&w.loc)
                .resource(workload_resource(w))
                .help(format!("give every Service port that targets {target:?} on this workload the same port number")),
            );
        }
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
            | "kubernetes.io/h2c"
            | "kubernetes.io/ws"
            | "kubernetes.io/wss"
    )
}

const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
    ROOT_NAMESPACE,
];

/// IST0118: a port of a Service in front of sidecars whose protocol Istio cannot tell from
/// its name or appProtocol (it then sniffs the protocol).
fn port_names(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (si, svc) in ctx.cluster.services.iter().enumerate() {
        if SYSTEM_NAMESPACES.contains(&svc.namespace.as_str()) {
            continue;
        }
        let meshed = ctx
            .members
            .get(si)
            .is_some_and(|m| m.iter().any(|&w| ctx.sidecar.get(w).copied().unwrap_or(false)));
        if !meshed {
            continue;
        }
        for (i, p) in svc.ports.iter().enumerate() {
            if p.protocol == Protocol::Udp {
                continue;
            }
            if let Some(a) = &p.app_protocol {
                if known_protocol(a) {
                    continue;
                }
            } else if let Some(n) = &p.name {
                let prefix = n.split('-').next().unwrap_or(n);
                if known_protocol(prefix) || known_protocol(n) {
                    continue;
                }
            }
            let target = match &p.target_port {
                TargetPort::Number(n) => n.to_string(),
                TargetPort::Name(n) => n.clone(),
            };
            let name = p.name.as_deref().unwrap_or("");
            out.push(
                Diagnostic::new(
                    "IST0118",
                    format!(
                        "Port name {name:?} (spec.ports[{i}], port: {}, targetPort: {target}) doesn't follow the naming convention of Istio port: Istio cannot tell its protocol and falls back to protocol sniffing",
                        p.port
                    ),
                )
                .at(&svc.loc)
                .resource(format!("Service {}/{}", svc.namespace, svc.name))
                .help("name the port <protocol>[-<suffix>] (http, http2, grpc, https, tls, tcp, mongo, mysql, redis, ...) or set appProtocol"),
            );
        }
    }
}

/// IST0134: a ServiceEntry port with protocol TCP (or none) and no `addresses`: the
/// sidecar then matches every connection to that port, whatever the host.
fn entry_addresses(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for se in &ctx.cluster.mesh.service_entries {
        if !se.spec.addresses.is_empty() {
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
                .help("add `addresses` (the IPs or CIDRs of the hosts), or set the port's protocol to what it carries (HTTP, HTTPS, TLS, ...)"),
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
        protocols.sort();
        protocols.dedup();
        if protocols.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = all
            .iter()
            .filter_map(|(e, _, _)| ses.get(*e))
            .map(|s| s.meta.id())
            .collect();
        names.sort();
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
