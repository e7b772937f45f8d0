//! The question `netplay explain` answers, with the ends named as people name them: a
//! workload, an address, or a Service (`backend/api`, `svc/api`, `api.backend`,
//! `api.backend.svc.cluster.local`), and a port by number or by name.
//!
//! A connection to a Service is what kube-proxy makes of it: the Service port is
//! translated to the target port of each endpoint (a named `targetPort` can be a different
//! number on each workload), and NetworkPolicies see the endpoint's pod and that port. So
//! a Service destination is answered by one explanation per endpoint workload, after the
//! translation (docs/semantics.md, "Services").

use crate::conn::Protocol;
use crate::diagnostics::Location;
use crate::model::{Cluster, Service, ServicePort, TargetPort, Workload};
use crate::netpol::explain::{Explanation, Target};
use crate::query::QueryError;
use crate::{parse_probe, suggest, Scenario};
use serde::Serialize;
use std::fmt::Write;

/// A port as `--port` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortQuery {
    /// `8080`, `8080/TCP`, `UDP 53`.
    Number(Protocol, u16),
    /// A port name (`http`): of the Service port, or of the destination's container port.
    Name(String),
}

/// Reads `--port`: a number with an optional protocol (see [`parse_probe`]) or a port name
/// as Kubernetes writes them (IANA_SVC_NAME: at most 15 lowercase letters, digits and
/// `-`, at least one letter).
pub fn parse_port(s: &str) -> Result<PortQuery, QueryError> {
    let t = s.trim();
    let is_name = !t.is_empty()
        && t.len() <= 15
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && t.chars().any(|c| c.is_ascii_lowercase())
        && !t.starts_with('-')
        && !t.ends_with('-');
    if is_name && !matches!(t, "tcp" | "udp" | "sctp") {
        return Ok(PortQuery::Name(t.to_string()));
    }
    parse_probe(s).map(|(p, n)| PortQuery::Number(p, n))
}

/// How a Service port reaches one endpoint workload.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ServiceEndpoint {
    pub workload: String,
    /// The port on the workload, e.g. `TCP 8080`; `None` when the workload has no
    /// container port of the target port's name (it is then no endpoint of this port).
    pub target: Option<String>,
    #[serde(skip)]
    index: usize,
    #[serde(skip)]
    probe: Option<(Protocol, u16)>,
}

/// A Service destination and what it was translated to.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ServiceTranslation {
    /// `namespace/name`.
    pub service: String,
    #[serde(flatten)]
    pub loc: Location,
    /// The Service port asked about, e.g. `TCP 80 (http) -> targetPort http`; `None`
    /// without `--port` (every port, each endpoint explained whole).
    pub port: Option<String>,
    pub endpoints: Vec<ServiceEndpoint>,
}

/// What a question comes to, for `--expect` and the last line.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
    /// A Service whose endpoints disagree: some connections succeed, others do not.
    Partly,
}

/// The answer to `explain`: one explanation, or, for a Service, one per endpoint with the
/// translation that led there.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Answer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceTranslation>,
    pub explanations: Vec<Explanation>,
    pub verdict: Verdict,
}

fn explanation_verdict(e: &Explanation) -> bool {
    e.probe_allowed.unwrap_or(!e.allowed.is_empty())
}

impl Answer {
    fn new(service: Option<ServiceTranslation>, explanations: Vec<Explanation>) -> Answer {
        let allowed = explanations.iter().filter(|e| explanation_verdict(e)).count();
        let verdict = match allowed {
            0 => Verdict::Denied,
            n if n == explanations.len() => Verdict::Allowed,
            _ => Verdict::Partly,
        };
        Answer {
            service,
            explanations,
            verdict,
        }
    }

    /// The answer as text: the translation (for a Service), each explanation, and for a
    /// Service a verdict over its endpoints.
    pub fn to_text(&self) -> String {
        let Some(svc) = &self.service else {
            return self
                .explanations
                .iter()
                .map(Explanation::to_text)
                .collect::<Vec<_>>()
                .join("\n");
        };
        let mut out = String::new();
        let port = svc
            .port
            .as_deref()
            .map_or_else(|| "every port".to_string(), str::to_string);
        let _ = writeln!(
            out,
            "Service {} ({}:{}), {port}:",
            svc.service, svc.loc.file, svc.loc.line
        );
        if svc.endpoints.is_empty() {
            let _ = writeln!(out, "  no endpoints: the Service selects no workload of the input");
        }
        for e in &svc.endpoints {
            match &e.target {
                Some(t) => {
                    let _ = writeln!(out, "  -> {}: {t}", e.workload);
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  -> {}: no container port of that name, so not an endpoint of this port",
                        e.workload
                    );
                }
            }
        }
        for e in &self.explanations {
            let _ = writeln!(out);
            out.push_str(&e.to_text());
        }
        let _ = writeln!(out);
        let reached = self.explanations.iter().filter(|e| explanation_verdict(e)).count();
        let total = self.explanations.len();
        let _ = match self.verdict {
            Verdict::Allowed => writeln!(out, "Verdict for Service {}: ALLOWED to every endpoint ({reached} of {total}).", svc.service),
            Verdict::Partly => writeln!(
                out,
                "Verdict for Service {}: PARTLY: allowed to {reached} of {total} endpoints (a connection succeeds or not depending on the endpoint it is sent to).",
                svc.service
            ),
            Verdict::Denied if total == 0 => writeln!(out, "Verdict for Service {}: DENIED (no endpoint to connect to).", svc.service),
            Verdict::Denied => writeln!(out, "Verdict for Service {}: DENIED to every endpoint ({total}).", svc.service),
        };
        out
    }
}

/// `TCP 80 (http)`.
fn service_port_text(p: &ServicePort) -> String {
    match &p.name {
        Some(name) => format!("{} {} ({name})", p.protocol, p.port),
        None => format!("{} {}", p.protocol, p.port),
    }
}

fn target_port_text(t: &TargetPort) -> String {
    match t {
        TargetPort::Number(n) => n.to_string(),
        TargetPort::Name(name) => name.clone(),
    }
}

impl Service {
    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether the Service's selector picks the workload's pods (a Service without
    /// selector, or with an empty one, picks none: its endpoints are managed elsewhere).
    pub fn selects(&self, w: &Workload) -> bool {
        self.selector.as_ref().is_some_and(|s| {
            !s.is_empty() && w.namespace == self.namespace && s.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        })
    }
}

impl Workload {
    /// The container port a Service's `targetPort` reaches on this workload: the number
    /// itself, or the container port of that name and protocol.
    pub fn target_port(&self, target: &TargetPort, protocol: Protocol) -> Option<u16> {
        match target {
            TargetPort::Number(n) => Some(*n),
            TargetPort::Name(name) => self
                .ports
                .iter()
                .find(|cp| cp.name.as_deref() == Some(name.as_str()) && cp.protocol == protocol)
                .map(|cp| cp.port),
        }
    }
}

/// A Service named the way the user wrote it: `svc/name` or `service/name` (unique
/// name), `namespace/name`, or DNS (`name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`).
fn find_service<'c>(cluster: &'c Cluster, query: &str) -> Result<Option<&'c Service>, QueryError> {
    let q = query.trim().trim_end_matches('.');
    let by_name = |name: &str| -> Result<Option<&'c Service>, QueryError> {
        let found: Vec<&Service> = cluster.services.iter().filter(|s| s.name == name).collect();
        match found.as_slice() {
            [] => Ok(None),
            [s] => Ok(Some(*s)),
            many => Err(QueryError::AmbiguousService {
                query: query.to_string(),
                services: many.iter().map(|s| s.id()).collect(),
            }),
        }
    };
    let in_ns = |ns: &str, name: &str| cluster.services.iter().find(|s| s.namespace == ns && s.name == name);
    for prefix in ["svc/", "service/", "services/"] {
        if let Some(name) = q.strip_prefix(prefix) {
            return match name.split_once('/') {
                Some((ns, name)) => Ok(in_ns(ns, name)),
                None => by_name(name),
            };
        }
    }
    if let Some((ns, name)) = q.split_once('/') {
        return Ok(in_ns(ns, name));
    }
    let dns = q
        .strip_suffix(".svc.cluster.local")
        .or_else(|| q.strip_suffix(".svc"))
        .unwrap_or(q);
    match dns.split_once('.') {
        Some((name, ns)) if !ns.contains('.') => Ok(in_ns(ns, name)),
        Some(_) => Ok(None),
        None => by_name(q),
    }
}

/// Whether the query says "the Service" in so many words (not `ns/name` or `name`, which
/// can also name a workload).
fn names_a_service_explicitly(query: &str) -> bool {
    let q = query.trim();
    ["svc/", "service/", "services/"].iter().any(|p| q.starts_with(p)) || (q.contains('.') && !q.contains('/'))
}

/// Which Service port a query names.
fn service_port<'s>(svc: &'s Service, port: &PortQuery) -> Option<&'s ServicePort> {
    svc.ports.iter().find(|p| match port {
        PortQuery::Number(proto, n) => p.port == *n && p.protocol == *proto,
        PortQuery::Name(name) => p.name.as_deref() == Some(name.as_str()),
    })
}

fn port_query_text(port: &PortQuery) -> String {
    match port {
        PortQuery::Number(p, n) => format!("{p} {n}"),
        PortQuery::Name(name) => format!("named {name:?}"),
    }
}

/// A workload's container port named `name`, as `(protocol, number)`.
fn named_container_port(w: &Workload, name: &str) -> Result<(Protocol, u16), QueryError> {
    w.ports
        .iter()
        .find(|p| p.name.as_deref() == Some(name))
        .map(|p| (p.protocol, p.port))
        .ok_or_else(|| {
            let named: Vec<String> = w.ports.iter().filter_map(|p| p.name.clone()).collect();
            QueryError::NoContainerPort {
                workload: w.endpoint_name(),
                name: name.to_string(),
                hint: suggest::hint(name, named.iter().map(String::as_str)),
                named,
            }
        })
}

impl Scenario {
    /// Answers `explain`: `src` is a workload or an address, `dst` a workload, an address
    /// or a Service, `port` a number or a name (`None`: every port). `Err` for a name that
    /// matches nothing (with the closest name, if any), an ambiguous one, or a port the
    /// destination does not have.
    pub fn ask(&self, src: &str, dst: &str, port: Option<&str>) -> Result<Answer, QueryError> {
        let port = port.map(parse_port).transpose()?;
        if self.multicluster.is_some() {
            let probe = match port {
                None => None,
                Some(PortQuery::Number(p, n)) => Some((p, n)),
                Some(PortQuery::Name(name)) => return Err(QueryError::PortNameAcrossClusters { name }),
            };
            return Ok(Answer::new(None, vec![self.explain_names(src, dst, probe)?]));
        }
        // `fqdn:<name>`: the addresses DNS gives for a name (Cilium `toFQDNs`).
        if crate::policy::DnsMatch::from_fqdn_name(dst).is_some() {
            let probe = match port {
                None => None,
                Some(PortQuery::Number(p, n)) => Some((p, n)),
                Some(PortQuery::Name(name)) => {
                    return Err(QueryError::PortNameNeedsWorkload {
                        name,
                        address: dst.to_string(),
                    })
                }
            };
            return Ok(Answer::new(None, vec![self.explain_names(src, dst, probe)?]));
        }
        let src = self.target(src)?;
        let cluster = &self.cluster;
        let service = if names_a_service_explicitly(dst) {
            find_service(cluster, dst)?
        } else {
            None
        };
        let service = match (service, self.target(dst)) {
            (Some(svc), _) => Some(svc),
            (None, Ok(Target::Workload(i))) => {
                // `ns/name` naming both a workload and a Service: the Service when the
                // port is one of its ports and not one of the workload's.
                let svc = find_service(cluster, dst).ok().flatten();
                svc.filter(|s| {
                    port.as_ref()
                        .is_some_and(|p| prefers_service(s, &cluster.workloads[i], p))
                })
            }
            (None, Ok(target)) => return self.answer_target(src, target, port.as_ref()),
            (None, Err(workload_error)) => match find_service(cluster, dst)? {
                Some(svc) => Some(svc),
                None => return Err(self.no_destination(dst, workload_error)),
            },
        };
        match service {
            Some(svc) => self.answer_service(src, svc, port.as_ref()),
            None => self.answer_target(src, self.target(dst)?, port.as_ref()),
        }
    }

    fn answer_target(&self, src: Target, dst: Target, port: Option<&PortQuery>) -> Result<Answer, QueryError> {
        let probe = match (port, dst) {
            (None, _) => None,
            (Some(PortQuery::Number(p, n)), _) => Some((*p, *n)),
            (Some(PortQuery::Name(name)), Target::Workload(i)) => {
                Some(named_container_port(&self.cluster.workloads[i], name)?)
            }
            (Some(PortQuery::Name(name)), Target::Ip(ip)) => {
                return Err(QueryError::PortNameNeedsWorkload {
                    name: name.clone(),
                    address: ip.to_string(),
                })
            }
        };
        Ok(Answer::new(None, vec![self.explain(src, dst, probe)]))
    }

    fn answer_service(&self, src: Target, svc: &Service, port: Option<&PortQuery>) -> Result<Answer, QueryError> {
        let cluster = &self.cluster;
        let chosen = match port {
            None => None,
            Some(q) => Some(service_port(svc, q).ok_or_else(|| {
                let ports: Vec<String> = svc.ports.iter().map(service_port_text).collect();
                let names: Vec<&str> = svc.ports.iter().filter_map(|p| p.name.as_deref()).collect();
                let hint = match q {
                    PortQuery::Name(name) => suggest::hint(name, names.iter().copied()),
                    PortQuery::Number(..) => String::new(),
                };
                QueryError::NoServicePort {
                    service: svc.id(),
                    port: port_query_text(q),
                    ports,
                    hint,
                }
            })?),
        };
        let mut endpoints = Vec::new();
        for (index, w) in cluster.workloads.iter().enumerate().filter(|(_, w)| svc.selects(w)) {
            let probe = chosen.map(|p| w.target_port(&p.target_port, p.protocol).map(|n| (p.protocol, n)));
            endpoints.push(ServiceEndpoint {
                workload: w.endpoint_name(),
                target: match probe {
                    None => Some(every_port_text(svc, w)),
                    Some(Some((p, n))) => Some(format!("{p} {n}")),
                    Some(None) => None,
                },
                index,
                probe: probe.flatten(),
            });
        }
        let explanations = endpoints
            .iter()
            .filter(|e| chosen.is_none() || e.probe.is_some())
            .map(|e| self.explain(src, Target::Workload(e.index), e.probe))
            .collect();
        let translation = ServiceTranslation {
            service: svc.id(),
            loc: svc.loc.clone(),
            port: chosen.map(|p| {
                format!(
                    "{} -> targetPort {}",
                    service_port_text(p),
                    target_port_text(&p.target_port)
                )
            }),
            endpoints,
        };
        Ok(Answer::new(Some(translation), explanations))
    }

    /// The error for a destination that names nothing: the workload error when it says
    /// more (an ambiguous name), else one that names both kinds, with the closest name.
    fn no_destination(&self, dst: &str, workload_error: QueryError) -> QueryError {
        if !matches!(workload_error, QueryError::NoWorkload { .. }) {
            return workload_error;
        }
        let written = |s: &Service| {
            if dst.contains('/') {
                s.id()
            } else {
                s.name.clone()
            }
        };
        let mut names: Vec<String> = self
            .cluster
            .workloads
            .iter()
            .map(|w| {
                if dst.ends_with(']') {
                    w.endpoint_name()
                } else if dst.contains('/') {
                    format!("{}/{}", w.namespace, w.name)
                } else {
                    w.name.clone()
                }
            })
            .collect();
        names.extend(self.cluster.services.iter().map(written));
        QueryError::NoWorkloadOrService {
            query: dst.to_string(),
            hint: suggest::hint(dst.trim(), names.iter().map(String::as_str)),
        }
    }
}

/// Without `--port`: every Service port and what it reaches on the workload.
fn every_port_text(svc: &Service, w: &Workload) -> String {
    let parts: Vec<String> = svc
        .ports
        .iter()
        .map(|p| match w.target_port(&p.target_port, p.protocol) {
            Some(n) => format!("{} -> {} {n}", service_port_text(p), p.protocol),
            None => format!(
                "{} -> no port {}",
                service_port_text(p),
                target_port_text(&p.target_port)
            ),
        })
        .collect();
    if parts.is_empty() {
        "the Service lists no port".to_string()
    } else {
        parts.join(", ")
    }
}

/// For a name that is both a workload's and a Service's: whether the port asked is the
/// Service's (it has that port) rather than the workload's (no container port matches).
fn prefers_service(svc: &Service, w: &Workload, port: &PortQuery) -> bool {
    if service_port(svc, port).is_none() {
        return false;
    }
    let on_workload = match port {
        PortQuery::Number(p, n) => w.ports.iter().any(|cp| cp.port == *n && cp.protocol == *p),
        PortQuery::Name(name) => w.ports.iter().any(|cp| cp.name.as_deref() == Some(name.as_str())),
    };
    !on_workload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_numbers_or_kubernetes_port_names() {
        assert_eq!(parse_port("http"), Ok(PortQuery::Name("http".into())));
        assert_eq!(parse_port("grpc-web"), Ok(PortQuery::Name("grpc-web".into())));
        assert_eq!(parse_port("8080"), Ok(PortQuery::Number(Protocol::Tcp, 8080)));
        assert_eq!(parse_port("udp/53"), Ok(PortQuery::Number(Protocol::Udp, 53)));
        assert!(parse_port("HTTP").is_err(), "port names are lowercase");
        assert!(parse_port("a-very-long-port-name").is_err(), "at most 15 characters");
    }
}
