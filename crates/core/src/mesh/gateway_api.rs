//! Gateway API (`gateway.networking.k8s.io/v1`): which HTTPRoutes attach to a Gateway
//! listener or to a Service (GAMMA mesh routing), and which rule a request matches, in the
//! API's precedence order.

use super::host::host_matches;
use super::routing::full_regex;
use super::types::{GwMatch, HttpRouteSpec, K8sGatewaySpec, Listener, ParentRef};
use super::{labels_match, MeshObject};
use crate::model::{Cluster, Service};

fn is_gateway_ref(p: &ParentRef) -> bool {
    p.group.as_deref().unwrap_or("gateway.networking.k8s.io") == "gateway.networking.k8s.io"
        && p.kind.as_deref().unwrap_or("Gateway") == "Gateway"
}

fn is_service_ref(p: &ParentRef) -> bool {
    matches!(p.group.as_deref(), Some("") | Some("core")) && p.kind.as_deref() == Some("Service")
}

/// Whether `route` attaches to `listener` of `gw`: a parentRef names the Gateway (and the
/// listener, if it has a sectionName or port), the listener's `allowedRoutes` admit the
/// route's namespace (default: the Gateway's own), and the hostnames intersect.
pub(crate) fn attached_to_listener(
    cluster: &Cluster,
    route: &MeshObject<HttpRouteSpec>,
    gw: &MeshObject<K8sGatewaySpec>,
    listener: &Listener,
) -> bool {
    let rns = &route.meta.namespace;
    let refs = route.spec.parent_refs.iter().any(|p| {
        is_gateway_ref(p)
            && p.name == gw.meta.name
            && p.namespace.as_deref().unwrap_or(rns) == gw.meta.namespace
            && p.section_name.as_deref().is_none_or(|s| s == listener.name)
            && p.port.is_none_or(|n| n == listener.port)
    });
    if !refs {
        return false;
    }
    let from = listener
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref())
        .and_then(|n| n.from.as_deref())
        .unwrap_or("Same");
    let ns_ok = match from {
        "All" => true,
        "Selector" => listener
            .allowed_routes
            .as_ref()
            .and_then(|a| a.namespaces.as_ref())
            .and_then(|n| n.selector.as_ref())
            .is_some_and(|s| {
                s.match_expressions.is_empty() && labels_match(&s.match_labels, cluster.namespace_labels(rns))
            }),
        _ => *rns == gw.meta.namespace,
    };
    if !ns_ok {
        return false;
    }
    match &listener.hostname {
        None => true,
        Some(lh) => {
            route.spec.hostnames.is_empty()
                || route
                    .spec
                    .hostnames
                    .iter()
                    .any(|h| super::host::hosts_intersect(&lh.to_ascii_lowercase(), &h.to_ascii_lowercase()))
        }
    }
}

/// Whether `route` is a mesh (GAMMA) route of `svc`: a parentRef names the Service, and
/// the route lives in the Service's namespace (producer route) or the client's (consumer).
pub(crate) fn attached_to_service(route: &MeshObject<HttpRouteSpec>, svc: &Service, client_ns: &str) -> bool {
    let rns = &route.meta.namespace;
    (rns == &svc.namespace || rns == client_ns)
        && route
            .spec
            .parent_refs
            .iter()
            .any(|p| is_service_ref(p) && p.name == svc.name && p.namespace.as_deref().unwrap_or(rns) == svc.namespace)
}

/// Whether a route's hostnames accept the request host (no hostnames: all).
pub(crate) fn hostname_ok(route: &MeshObject<HttpRouteSpec>, host: &str) -> bool {
    route.spec.hostnames.is_empty()
        || route
            .spec
            .hostnames
            .iter()
            .any(|h| host_matches(&h.to_ascii_lowercase(), host))
}

/// The request as a Gateway API match sees it.
pub(crate) struct GwReq<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
}

/// Checks one match; `Err` with the reason.
pub(crate) fn gw_match(m: &GwMatch, req: &GwReq) -> Result<(), String> {
    let (kind, value) = path_of(m);
    let ok = match kind {
        "Exact" => req.path == value,
        "RegularExpression" => full_regex(value, req.path)?,
        _ => {
            // PathPrefix matches whole path elements: /foo matches /foo and /foo/bar, not /foobar.
            let v = value.trim_end_matches('/');
            v.is_empty() || req.path == v || req.path.starts_with(&format!("{v}/"))
        }
    };
    if !ok {
        return Err(format!("path {:?} does not match {kind} {value:?}", req.path));
    }
    if let Some(me) = &m.method {
        if me != req.method {
            return Err(format!("method {} is not {me}", req.method));
        }
    }
    for h in &m.headers {
        let v = req
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&h.name))
            .map(|(_, v)| v.as_str());
        let ok = match (v, h.kind.as_deref().unwrap_or("Exact")) {
            (None, _) => false,
            (Some(v), "RegularExpression") => full_regex(&h.value, v)?,
            (Some(v), _) => v == h.value,
        };
        if !ok {
            return Err(format!(
                "header {} is {:?}, wanted {:?}",
                h.name,
                v.unwrap_or("(missing)"),
                h.value
            ));
        }
    }
    for q in &m.query_params {
        let v = req.query.iter().find(|(k, _)| *k == q.name).map(|(_, v)| v.as_str());
        let ok = match (v, q.kind.as_deref().unwrap_or("Exact")) {
            (None, _) => false,
            (Some(v), "RegularExpression") => full_regex(&q.value, v)?,
            (Some(v), _) => v == q.value,
        };
        if !ok {
            return Err(format!(
                "query parameter {} is {:?}, wanted {:?}",
                q.name,
                v.unwrap_or("(missing)"),
                q.value
            ));
        }
    }
    Ok(())
}

fn path_of(m: &GwMatch) -> (&str, &str) {
    match &m.path {
        Some(p) => (
            p.kind.as_deref().unwrap_or("PathPrefix"),
            p.value.as_deref().unwrap_or("/"),
        ),
        None => ("PathPrefix", "/"),
    }
}

/// exact/prefix/regex rank, path length, has a method, header count, query count.
type Precedence = (u8, usize, bool, usize, usize);

/// Precedence of a match (higher first): exact path, then the longest prefix, then
/// method, then the number of header matches, then of query parameter matches.
fn precedence(m: &GwMatch) -> Precedence {
    let (kind, value) = path_of(m);
    let rank = match kind {
        "Exact" => 3,
        "PathPrefix" => 2,
        _ => 1,
    };
    (
        rank,
        value.len(),
        m.method.is_some(),
        m.headers.len(),
        m.query_params.len(),
    )
}

/// A candidate match: route index, rule index, match index (None: the rule has no matches).
pub(crate) type Candidate = (usize, usize, Option<usize>);

/// Orders the matches of `routes` (indices into `Mesh::http_routes`) by the Gateway API
/// precedence, ties broken by the oldest route, then `namespace/name`, then rule order.
pub(crate) fn ordered_candidates(cluster: &Cluster, routes: &[usize]) -> Vec<Candidate> {
    let all = &cluster.mesh.http_routes;
    let default_match = GwMatch::default();
    let mut out: Vec<(Candidate, Precedence)> = Vec::new();
    for &r in routes {
        for (ri, rule) in all[r].spec.rules.iter().enumerate() {
            if rule.matches.is_empty() {
                out.push(((r, ri, None), precedence(&default_match)));
            }
            for (mi, m) in rule.matches.iter().enumerate() {
                out.push(((r, ri, Some(mi)), precedence(m)));
            }
        }
    }
    crate::sorting::sort_by(&mut out, |(a, pa), (b, pb)| {
        pb.cmp(pa)
            .then(all[a.0].meta.age_key().0.cmp(&all[b.0].meta.age_key().0))
            .then(all[a.0].meta.created.cmp(&all[b.0].meta.created))
            .then(all[a.0].meta.id().cmp(&all[b.0].meta.id()))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    out.into_iter().map(|(c, _)| c).collect()
}
