//! Istio Gateway checks: the same certificate on gateways that share workloads (IST0138)
//! and a server port the gateway's Service does not expose (IST0162).

use super::{labels_text, names_text, resource, Ctx};
use crate::conn::Protocol;
use crate::diagnostics::Diagnostic;
use crate::mesh::types::{GatewaySpec, ServerTls, StrMap};
use crate::mesh::{idx, key, labels_match, MeshObject};
use crate::model::TargetPort;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let gws = &ctx.cluster.mesh.gateways;
    for gw in gws {
        duplicate_certificates(gws, gw, out);
        ports_on_service(ctx, gw, out);
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

/// IST0162: a server port that no Service selecting the gateway's workloads exposes (as a
/// port or a target port). Checked only when the input has the gateway workloads and a
/// Service for them.
fn ports_on_service(ctx: &Ctx, gw: &MeshObject<GatewaySpec>, out: &mut Vec<Diagnostic>) {
    if gw.spec.selector.is_empty() {
        return;
    }
    let pods: Vec<usize> = ctx
        .workloads()
        .filter(|(_, w)| labels_match(&gw.spec.selector, &w.labels))
        .map(|(i, _)| i)
        .collect();
    let mut ports: Vec<u32> = Vec::new();
    let mut services: Vec<String> = Vec::new();
    for (si, svc) in ctx.cluster.services.iter().enumerate() {
        if !ctx.members.get(si).is_some_and(|m| m.iter().any(|w| pods.contains(w))) {
            continue;
        }
        services.push(format!("{}/{}", svc.namespace, svc.name));
        for p in svc.ports.iter().filter(|p| p.protocol == Protocol::Tcp) {
            ports.push(u32::from(p.port));
            if let TargetPort::Number(n) = p.target_port {
                ports.push(u32::from(n));
            }
        }
    }
    if services.is_empty() {
        return;
    }
    ports.sort_unstable();
    ports.dedup();
    for (i, s) in gw.spec.servers.iter().enumerate() {
        let Some(p) = s.port.as_ref() else { continue };
        if ports.contains(&p.number) {
            continue;
        }
        out.push(
            Diagnostic::new(
                "IST0162",
                format!(
                    "The gateway is listening on a target port (port {}) that is not defined in the Service associated with its workload instances (Pod selector {}): Service(s) {} expose only {}; traffic through the Service never reaches this server",
                    p.number,
                    labels_text(&gw.spec.selector),
                    names_text(&services),
                    ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                ),
            )
            .at(&gw.meta.locate(&[key("spec"), key("servers"), idx(i), key("port"), key("number")]))
            .resource(resource(&gw.meta))
            .help("use a port the gateway Service exposes, or add the port to the gateway's Service"),
        );
    }
}
