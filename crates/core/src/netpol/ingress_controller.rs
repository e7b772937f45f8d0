//! Traffic admitted by Ingress objects: the ingress controller reaches the pods behind
//! each backend Service on the Service's target port, as far as NetworkPolicy lets it:
//! when the input holds the controller (ingress-nginx, Traefik, …) its real connection to
//! each backend decides; otherwise it is a pod of an unknown namespace, admitted only by
//! rules that admit every pod of every namespace.

use super::engine::Engine;
use crate::conn::ConnSet;
use crate::diagnostics::Diagnostic;
use crate::model::{BackendPort, Cluster, TargetPort};
use crate::output::ConnLine;

/// The source name used for ingress-controller traffic.
pub const INGRESS_CONTROLLER: &str = "{ingress-controller}";

/// The lines of one cluster: the engine's connections, those to FQDN destinations
/// ([`super::fqdn`]) and the traffic admitted by Ingress objects (from
/// `{ingress-controller}`), unsorted.
pub(crate) fn cluster_lines(engine: &Engine) -> Vec<ConnLine> {
    let mut lines = engine.lines();
    lines.extend(super::fqdn::lines(engine.cluster()));
    for (w, conn) in connections(engine) {
        lines.push(ConnLine {
            src: INGRESS_CONTROLLER.to_string(),
            dst: engine.cluster().workloads[w].endpoint_name(),
            conn: conn.to_string(),
            l7: None,
        });
    }
    lines
}

/// Per workload, what the ingress controller may open to it (non-empty only).
pub fn connections(engine: &Engine) -> Vec<(usize, ConnSet)> {
    let cluster = engine.cluster();
    let mut per_workload: Vec<ConnSet> = vec![ConnSet::none(); cluster.workloads.len()];
    for ingress in &cluster.ingresses {
        for backend in &ingress.backends {
            let Some(svc) = cluster
                .services
                .iter()
                .find(|s| s.namespace == ingress.namespace && s.name == backend.service)
            else {
                continue;
            };
            let Some(selector) = svc.selector.as_ref().filter(|s| !s.is_empty()) else {
                continue;
            };
            for (i, w) in cluster.workloads.iter().enumerate() {
                if w.namespace != svc.namespace || !selector.iter().all(|(k, v)| w.labels.get(k) == Some(v)) {
                    continue;
                }
                for sp in &svc.ports {
                    let port = match &sp.target_port {
                        TargetPort::Number(n) => Some(*n),
                        TargetPort::Name(name) => w
                            .ports
                            .iter()
                            .find(|cp| cp.name.as_deref() == Some(name.as_str()) && cp.protocol == sp.protocol)
                            .map(|cp| cp.port),
                    };
                    if let Some(port) = port.filter(|&p| backend.port.selects(sp, Some(p))) {
                        per_workload[i].union_with(&ConnSet::port_range(sp.protocol, port, port));
                    }
                }
            }
        }
    }
    // When the input holds the controller itself, its own policies and the backends'
    // policies towards it decide; otherwise it is a pod of an unknown namespace.
    let controllers: Vec<usize> = (0..cluster.workloads.len())
        .filter(|&i| is_ingress_controller(cluster, i))
        .collect();
    per_workload
        .into_iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(i, c)| {
            let admitted = if controllers.is_empty() {
                engine.conn_from_unknown_pod(i)
            } else {
                let mut any = ConnSet::none();
                for &ctrl in controllers.iter().filter(|&&ctrl| ctrl != i) {
                    any.union_with(&engine.workload_conn(ctrl, i));
                }
                any
            };
            (i, c.intersect(&admitted))
        })
        .filter(|(_, c)| !c.is_empty())
        .collect()
}

/// Ingress controller pods as the common installations label them (ingress-nginx,
/// Traefik, HAProxy, Contour, Kong, NGINX Inc.).
pub fn is_ingress_controller(cluster: &Cluster, workload: usize) -> bool {
    const NAMES: [&str; 7] = [
        "ingress-nginx",
        "nginx-ingress",
        "traefik",
        "haproxy-ingress",
        "contour",
        "kong",
        "envoy-gateway",
    ];
    let Some(w) = cluster.workloads.get(workload) else {
        return false;
    };
    let label = |k: &str| w.labels.get(k).map(String::as_str).unwrap_or_default();
    let name = label("app.kubernetes.io/name");
    NAMES.contains(&name)
        || (label("app.kubernetes.io/component") == "controller" && name.contains("ingress"))
        || (w.name.contains("ingress") && w.name.contains("controller"))
}

/// Backends that lead nowhere: a Service missing from the input, or a port it lacks.
pub fn check(cluster: &Cluster) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for ingress in &cluster.ingresses {
        let resource = format!("{} {}/{}", ingress.kind, ingress.namespace, ingress.name);
        for backend in &ingress.backends {
            match cluster
                .services
                .iter()
                .find(|s| s.namespace == ingress.namespace && s.name == backend.service)
            {
                None => out.push(
                    Diagnostic::new(
                        "NP1010",
                        format!(
                            "backend Service {}/{} is not in the input: this path leads nowhere netplay can see",
                            ingress.namespace, backend.service
                        ),
                    )
                    .at(&backend.loc)
                    .resource(&resource),
                ),
                // A target port is resolved per pod: only a number or a name can be missing.
                Some(svc)
                    if matches!(backend.port, BackendPort::Number(_) | BackendPort::Name(_))
                        && !svc.ports.iter().any(|p| backend.port.selects(p, None)) =>
                {
                    out.push(
                        Diagnostic::new(
                            "NP1010",
                            format!(
                                "Service {}/{} has no port {}: this backend receives nothing",
                                svc.namespace,
                                svc.name,
                                match &backend.port {
                                    BackendPort::Number(n) => n.to_string(),
                                    BackendPort::Name(n) => format!("{n:?}"),
                                    other => other.to_string(),
                                }
                            ),
                        )
                        .at(&backend.loc)
                        .resource(&resource),
                    )
                }
                Some(_) => {}
            }
        }
    }
    out
}
