//! `split`: how the requests for one host are shared among workloads and subsets, for
//! sample requests derived from the host's VirtualService matches.

use super::host::{config_host, find_service, host_matches, service_fqdn};
use super::request::{Request, Source};
use super::simulate::{reason, simulate, Delivery};
use super::types::StringMatch;
use crate::model::Cluster;
use crate::query::QueryError;
use serde::Serialize;
use std::fmt::Write;

/// The split of a host for each sample request.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Split {
    /// The host as an FQDN (or a ServiceEntry host).
    pub host: String,
    /// Who sends the samples (`--from` as in `mesh request`).
    pub from: String,
    pub samples: Vec<SplitSample>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SplitSample {
    /// The request, as a `requests.txt` line.
    pub request: String,
    pub status: u16,
    pub destinations: Vec<Delivery>,
}

/// Resolves a host as written by a user: an FQDN, `name.namespace`, a Service name that
/// is unique in the input, or a ServiceEntry host. Returns the FQDN, the namespace whose
/// sidecars are the default clients, and the port to address.
fn resolve_host(cluster: &Cluster, host: &str) -> Result<(String, String, u16), QueryError> {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let candidates: Vec<String> = if h.contains('.') {
        vec![
            h.clone(),
            format!("{h}.svc.cluster.local"),
            format!("{h}.cluster.local"),
        ]
    } else {
        let matching: Vec<_> = cluster.services.iter().filter(|s| s.name == h).collect();
        match matching.as_slice() {
            [s] => vec![service_fqdn(&s.namespace, &s.name)],
            [] => vec![h.clone()],
            many => {
                return Err(QueryError::Ambiguous {
                    query: h.clone(),
                    matches: many.iter().map(|s| service_fqdn(&s.namespace, &s.name)).collect(),
                })
            }
        }
    };
    for c in candidates {
        if let Some(si) = find_service(cluster, &c) {
            let s = &cluster.services[si];
            let port = s
                .ports
                .iter()
                .find(|p| {
                    let n = p.app_protocol.as_deref().or(p.name.as_deref()).unwrap_or("");
                    n.starts_with("http") || n.starts_with("grpc")
                })
                .or(s.ports.first())
                .map_or(80, |p| p.port);
            return Ok((c, s.namespace.clone(), port));
        }
        for e in &cluster.mesh.service_entries {
            if e.spec
                .hosts
                .iter()
                .any(|x| host_matches(&config_host(x, &e.meta.namespace), &c))
            {
                let port = e
                    .spec
                    .ports
                    .first()
                    .and_then(|p| u16::try_from(p.number).ok())
                    .unwrap_or(80);
                return Ok((c, e.meta.namespace.clone(), port));
            }
        }
    }
    Err(QueryError::NoHost { host: host.to_string() })
}

/// A value that satisfies a StringMatch, when one can be made up.
fn sample_value(m: &StringMatch) -> Option<String> {
    if let Some(e) = &m.exact {
        return Some(e.clone());
    }
    if let Some(p) = &m.prefix {
        return Some(p.clone());
    }
    if let Some(r) = &m.regex {
        // Only regexes that are literal text (with an optional trailing `.*`).
        let lit = r.trim_start_matches('^').trim_end_matches('$').trim_end_matches(".*");
        if lit.chars().all(|c| c.is_ascii_alphanumeric() || "-_/ ".contains(c)) {
            return Some(lit.to_string());
        }
        return None;
    }
    Some("1".to_string())
}

/// Sample requests for a host: one per distinct match block of the VirtualServices for
/// it (path, headers, method, query parameters and port as the match asks), plus a plain
/// `GET /`. `from` is the sender (default: a sidecar of the host's namespace).
pub fn sample_requests(cluster: &Cluster, host: &str, from: Option<&str>) -> Result<Vec<Request>, QueryError> {
    let (fqdn, ns, port) = resolve_host(cluster, host)?;
    let from = from.map_or_else(|| format!("mesh:{ns}"), str::to_string);
    let plain = Request::new(&from, &format!("http://{fqdn}:{port}/"));
    let mut out = vec![plain];
    for vs in &cluster.mesh.virtual_services {
        if !vs
            .spec
            .hosts
            .iter()
            .any(|h| host_matches(&config_host(h, &vs.meta.namespace), &fqdn))
        {
            continue;
        }
        for route in &vs.spec.http {
            for m in &route.matches {
                let path = match &m.uri {
                    Some(u) => match sample_value(u) {
                        Some(p) if p.starts_with('/') => p,
                        Some(p) => format!("/{p}"),
                        None => "/".to_string(),
                    },
                    None => "/".to_string(),
                };
                let p = m.port.and_then(|p| u16::try_from(p).ok()).unwrap_or(port);
                let query: Vec<String> = m
                    .query_params
                    .iter()
                    .filter_map(|(k, v)| {
                        sample_value(v).map(|v| if v.is_empty() { k.clone() } else { format!("{k}={v}") })
                    })
                    .collect();
                let q = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{}", query.join("&"))
                };
                let mut r = Request::new(&from, &format!("http://{fqdn}:{p}{path}{q}"));
                if let Some(me) = m.method.as_ref().and_then(sample_value) {
                    r = r.with_method(&me);
                }
                for (k, v) in &m.headers {
                    if let Some(v) = sample_value(v) {
                        r = r.with_header(k, &v);
                    }
                }
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
    }
    Ok(out)
}

/// The split of `host` for `samples` (`None`: [`sample_requests`] with the default
/// sender). `Err` for a host that is not in the input or a sample that cannot be
/// simulated (an unknown source).
pub fn split(cluster: &Cluster, host: &str, samples: Option<&[Request]>) -> Result<Split, QueryError> {
    let (fqdn, ns, _) = resolve_host(cluster, host)?;
    let derived;
    let samples = match samples {
        Some(s) => s,
        None => {
            derived = sample_requests(cluster, host, None)?;
            &derived
        }
    };
    let mut out = Vec::new();
    for r in samples {
        let o = simulate(cluster, r)?;
        out.push(SplitSample {
            request: r.to_string(),
            status: o.status,
            destinations: o.destinations,
        });
    }
    let from = match samples.first().map(|r| &r.source) {
        Some(Source::Workload(w)) => w.clone(),
        Some(Source::External) => "external".to_string(),
        Some(Source::MeshClient(n)) => format!("mesh:{n}"),
        None => format!("mesh:{ns}"),
    };
    Ok(Split {
        host: fqdn,
        from,
        samples: out,
    })
}

impl Split {
    /// The split as text, the same in the CLI and the web app.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let who = match self.from.strip_prefix("mesh:") {
            Some(ns) => format!("a sidecar in namespace {ns}"),
            None => self.from.clone(),
        };
        let _ = writeln!(out, "Traffic split for {} (requests from {who})", self.host);
        for s in &self.samples {
            let _ = writeln!(out);
            let request = s.request.split_once(' ').map_or(s.request.as_str(), |(_, r)| r);
            let request = request.split_once(' ').map_or(request, |(_, r)| r);
            let _ = writeln!(out, "{request}");
            let status = format!("{} {}", s.status, reason(s.status));
            if s.destinations.is_empty() {
                let _ = writeln!(out, "  {status}: delivered to nobody");
            }
            for (i, d) in s.destinations.iter().enumerate() {
                let head = if i == 0 { status.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "  {head:<width$}  {:>7}  {}{}",
                    format!("{:.1}%", d.share * 100.0).replace(".0%", "%"),
                    d.workload,
                    d.subset
                        .as_deref()
                        .map(|s| format!(" (subset {s})"))
                        .unwrap_or_default(),
                    width = status.len()
                );
            }
        }
        out
    }
}
