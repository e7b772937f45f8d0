//! VirtualService selection and route matching, with the reason each rule did not match.

use super::host::{config_host, host_matches, hosts_intersect, specificity};
use super::types::{HttpMatch, HttpRoute, L4Match, StringMatch, VirtualServiceSpec};
use super::{exported_to, idx, key, labels_match, Mesh, MeshObject};
use crate::diagnostics::Location;
use crate::model::Labels;

/// Where the routing happens: the sidecars of the mesh, or one gateway (`ns/name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Mesh,
    Gateway(String),
}

impl Context {
    fn name(&self) -> &str {
        match self {
            Context::Mesh => "mesh",
            Context::Gateway(g) => g,
        }
    }
}

/// A gateway name as written in a VirtualService of namespace `ns`: `mesh`, `name` (same
/// namespace) or `ns/name`.
fn gateway_ref(g: &str, ns: &str) -> String {
    let g = g.trim();
    if g == "mesh" || g.contains('/') {
        g.to_string()
    } else {
        format!("{ns}/{g}")
    }
}

/// The contexts a VirtualService's top-level `gateways` name (default `mesh`).
fn vs_gateways(vs: &MeshObject<VirtualServiceSpec>) -> Vec<String> {
    if vs.spec.gateways.is_empty() {
        vec!["mesh".to_string()]
    } else {
        vs.spec
            .gateways
            .iter()
            .map(|g| gateway_ref(g, &vs.meta.namespace))
            .collect()
    }
}

/// Whether the VirtualService applies in `ctx` at all: its top-level gateways, or a
/// match block's `gateways`, name it.
fn applies_in(vs: &MeshObject<VirtualServiceSpec>, ctx: &Context) -> bool {
    let name = ctx.name();
    vs_gateways(vs).iter().any(|g| g == name)
        || vs.spec.http.iter().any(|r| {
            r.matches
                .iter()
                .any(|m| m.gateways.iter().any(|g| gateway_ref(g, &vs.meta.namespace) == name))
        })
        || vs.spec.tcp.iter().any(|r| {
            r.matches
                .iter()
                .any(|m| m.gateways.iter().any(|g| gateway_ref(g, &vs.meta.namespace) == name))
        })
}

/// The VirtualService that sidecars use for `host`: among those exported to the client's
/// namespace and bound to `mesh` whose hosts match, the most specific host wins, then the
/// oldest (Istio does not merge VirtualServices on sidecars). Returns its index and every
/// other candidate (ignored).
pub(crate) fn select_for_sidecar(mesh: &Mesh, host: &str, client_ns: &str) -> Option<(usize, Vec<usize>)> {
    let mut cands: Vec<(usize, (u8, usize))> = Vec::new();
    for (i, vs) in mesh.virtual_services.iter().enumerate() {
        if !exported_to(&vs.spec.export_to, &vs.meta.namespace, client_ns) || !applies_in(vs, &Context::Mesh) {
            continue;
        }
        let best = vs
            .spec
            .hosts
            .iter()
            .map(|h| config_host(h, &vs.meta.namespace))
            .filter(|h| host_matches(h, host))
            .map(|h| specificity(&h))
            .max();
        if let Some(s) = best {
            cands.push((i, s));
        }
    }
    let vss = &mesh.virtual_services;
    crate::sorting::sort_by(&mut cands, |a, b| {
        b.1.cmp(&a.1)
            .then(vss[a.0].meta.age_key().cmp(&vss[b.0].meta.age_key()))
    });
    let (first, _) = *cands.first()?;
    Some((first, cands.iter().skip(1).map(|c| c.0).collect()))
}

/// The VirtualServices bound to a gateway for a request host, oldest first: their hosts
/// must match the host and be allowed by a server host of the gateway (`ns/host`).
pub(crate) fn select_for_gateway(
    mesh: &Mesh,
    gateway: &str,
    gateway_ns: &str,
    server_hosts: &[String],
    host: &str,
) -> Vec<usize> {
    let ctx = Context::Gateway(gateway.to_string());
    let mut out: Vec<usize> = Vec::new();
    for (i, vs) in mesh.virtual_services.iter().enumerate() {
        if !applies_in(vs, &ctx) || !exported_to(&vs.spec.export_to, &vs.meta.namespace, gateway_ns) {
            continue;
        }
        let ok = vs.spec.hosts.iter().any(|h| {
            let h = config_host(h, &vs.meta.namespace);
            host_matches(&h, host)
                && server_hosts.iter().any(|sh| {
                    let (ns, dns) = split_server_host(sh);
                    let ns_ok = ns == "*" || (ns == "." && vs.meta.namespace == gateway_ns) || ns == vs.meta.namespace;
                    ns_ok && hosts_intersect(&dns.to_ascii_lowercase(), &h)
                })
        });
        if ok {
            out.push(i);
        }
    }
    crate::sorting::sort_by(&mut out, |&a, &b| {
        mesh.virtual_services[a]
            .meta
            .age_key()
            .cmp(&mesh.virtual_services[b].meta.age_key())
    });
    out
}

/// A Gateway server host `ns/dnsName` (default namespace `*`).
pub(crate) fn split_server_host(h: &str) -> (&str, &str) {
    match h.split_once('/') {
        Some((ns, dns)) => (ns, dns),
        None => ("*", h),
    }
}

/// What the request looks like to a route match.
pub(crate) struct Req<'a> {
    pub ctx: &'a Context,
    pub source_labels: &'a Labels,
    pub source_ns: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub authority: &'a str,
    pub port: u16,
    pub scheme: &'a str,
}

impl Req<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn describe_match(m: &StringMatch) -> String {
    if let Some(e) = &m.exact {
        format!("exact {e:?}")
    } else if let Some(p) = &m.prefix {
        format!("prefix {p:?}")
    } else if let Some(r) = &m.regex {
        format!("regex {r:?}")
    } else {
        "present".to_string()
    }
}

/// An RE2-style regex that must match the whole value (compiled with limits). `Err` is
/// the reason the match fails, as the matchers here give it (a trace text, not an error).
pub(crate) fn full_regex(re: &str, value: &str) -> Result<bool, String> {
    super::regex::full_match(re, value).map_err(|e| e.to_string())
}

/// Whether a value satisfies a StringMatch; `Err` with the reason when it does not.
pub(crate) fn string_match(what: &str, m: &StringMatch, value: Option<&str>, ignore_case: bool) -> Result<(), String> {
    let Some(v) = value else {
        return Err(format!("{what} is missing (wanted {})", describe_match(m)));
    };
    let eq = |a: &str, b: &str| if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b };
    let ok = if let Some(e) = &m.exact {
        eq(e, v)
    } else if let Some(p) = &m.prefix {
        v.len() >= p.len() && v.is_char_boundary(p.len()) && eq(p, &v[..p.len()])
    } else if let Some(r) = &m.regex {
        full_regex(r, v)?
    } else {
        true
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{what} {v:?} does not match {}", describe_match(m)))
    }
}

/// Checks one match block; `Err` with the first field that fails.
pub(crate) fn http_match(m: &HttpMatch, vs_ns: &str, vs_gateways: &[String], req: &Req) -> Result<(), String> {
    let gateways: Vec<String> = if m.gateways.is_empty() {
        vs_gateways.to_vec()
    } else {
        m.gateways.iter().map(|g| gateway_ref(g, vs_ns)).collect()
    };
    if !gateways.iter().any(|g| g == req.ctx.name()) {
        return Err(format!(
            "applies to gateways [{}], not to {}",
            gateways.join(", "),
            req.ctx.name()
        ));
    }
    if let Some(u) = &m.uri {
        let ignore = m.ignore_uri_case && u.regex.is_none();
        string_match("uri", u, Some(req.path), ignore)?;
    }
    if let Some(s) = &m.scheme {
        string_match("scheme", s, Some(req.scheme), false)?;
    }
    if let Some(me) = &m.method {
        string_match("method", me, Some(req.method), false)?;
    }
    if let Some(a) = &m.authority {
        string_match("authority", a, Some(req.authority), false)?;
    }
    for (name, hm) in &m.headers {
        if matches!(name.as_str(), "uri" | "scheme" | "method" | "authority") {
            continue; // "The keys uri, scheme, method, and authority will be ignored."
        }
        string_match(&format!("header {name}"), hm, req.header(name), false)?;
    }
    for (name, hm) in &m.without_headers {
        if string_match("", hm, req.header(name), false).is_ok() {
            return Err(format!(
                "withoutHeaders: header {name} is {} (must not be)",
                match &req.header(name) {
                    Some(v) => format!("{v:?}, matching {}", describe_match(hm)),
                    None => "present".into(),
                }
            ));
        }
    }
    for (name, qm) in &m.query_params {
        if qm.prefix.is_some() {
            return Err(format!(
                "queryParams {name}: prefix matching is not supported by Istio; the match never succeeds"
            ));
        }
        let v = req.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        string_match(&format!("query parameter {name}"), qm, v, false)?;
    }
    if let Some(p) = m.port {
        if u32::from(req.port) != p {
            return Err(format!("port {} is not {p}", req.port));
        }
    }
    if !m.source_labels.is_empty() && !labels_match(&m.source_labels, req.source_labels) {
        return Err(format!(
            "sourceLabels {{{}}} do not match the client's labels",
            m.source_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if let Some(ns) = &m.source_namespace {
        if ns != req.source_ns {
            return Err(format!(
                "sourceNamespace {ns} is not the client's namespace {}",
                req.source_ns
            ));
        }
    }
    Ok(())
}

/// Checks a route's match blocks (OR'd); `Ok(Some(i))` names the block that matched,
/// `Ok(None)` a route without matches (catch-all); `Err` gives every block's reason.
pub(crate) fn route_matches(
    route: &HttpRoute,
    vs_ns: &str,
    vs_gateways: &[String],
    req: &Req,
) -> Result<Option<usize>, String> {
    if route.matches.is_empty() {
        // A catch-all still honours the VirtualService's gateways.
        if vs_gateways.iter().any(|g| g == req.ctx.name()) {
            return Ok(None);
        }
        return Err(format!(
            "applies to gateways [{}], not to {}",
            vs_gateways.join(", "),
            req.ctx.name()
        ));
    }
    let mut why = Vec::new();
    for (i, m) in route.matches.iter().enumerate() {
        match http_match(m, vs_ns, vs_gateways, req) {
            Ok(()) => return Ok(Some(i)),
            Err(e) if route.matches.len() == 1 => why.push(e),
            Err(e) => why.push(format!("match[{i}]: {e}")),
        }
    }
    Err(why.join("; "))
}

/// A route found for a request.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub vs: usize,
    pub route: usize,
    /// Set when the route came from a delegate VirtualService: (delegate VS, its route).
    pub delegate: Option<(usize, usize)>,
    pub matched: Option<usize>,
}

/// A route that was tried and did not match, with why.
#[derive(Clone, Debug)]
pub(crate) struct Miss {
    pub label: String,
    pub loc: Location,
    pub why: String,
}

pub(crate) fn route_label(vs: &MeshObject<VirtualServiceSpec>, r: usize) -> String {
    match vs.spec.http.get(r).and_then(|h| h.name.as_deref()) {
        Some(n) => format!("{} http[{r}] ({n:?})", vs.meta.id()),
        None => format!("{} http[{r}]", vs.meta.id()),
    }
}

/// Finds the first matching HTTP route over `order` (pairs of VirtualService and route
/// index), following one level of delegation.
pub(crate) fn find_http_route(
    mesh: &Mesh,
    order: &[(usize, usize)],
    req: &Req,
    misses: &mut Vec<Miss>,
) -> Option<Found> {
    for &(v, r) in order {
        let vs = &mesh.virtual_services[v];
        let Some(route) = vs.spec.http.get(r) else { continue };
        let gws = vs_gateways(vs);
        let loc = vs.meta.locate(&[key("spec"), key("http"), idx(r)]);
        match route_matches(route, &vs.meta.namespace, &gws, req) {
            Ok(matched) => {
                if let Some(d) = &route.delegate {
                    let dns = d.namespace.clone().unwrap_or_else(|| vs.meta.namespace.clone());
                    let Some(dv) = mesh
                        .virtual_services
                        .iter()
                        .position(|x| x.meta.name == d.name && x.meta.namespace == dns)
                    else {
                        misses.push(Miss {
                            label: route_label(vs, r),
                            loc,
                            why: format!("delegates to VirtualService {dns}/{} which is not in the input", d.name),
                        });
                        continue;
                    };
                    let dvs = &mesh.virtual_services[dv];
                    // The delegate's rules are evaluated with the root's gateways.
                    for (dr, droute) in dvs.spec.http.iter().enumerate() {
                        let dloc = dvs.meta.locate(&[key("spec"), key("http"), idx(dr)]);
                        match route_matches(droute, &dvs.meta.namespace, &gws, req) {
                            Ok(m) => {
                                return Some(Found {
                                    vs: v,
                                    route: r,
                                    delegate: Some((dv, dr)),
                                    matched: m.or(matched),
                                })
                            }
                            Err(why) => misses.push(Miss {
                                label: format!("{} (delegate of {})", route_label(dvs, dr), route_label(vs, r)),
                                loc: dloc,
                                why,
                            }),
                        }
                    }
                    continue;
                }
                return Some(Found {
                    vs: v,
                    route: r,
                    delegate: None,
                    matched,
                });
            }
            Err(why) => misses.push(Miss {
                label: route_label(vs, r),
                loc,
                why,
            }),
        }
    }
    None
}

/// The route order of one VirtualService.
pub(crate) fn http_order(mesh: &Mesh, v: usize) -> Vec<(usize, usize)> {
    (0..mesh.virtual_services[v].spec.http.len()).map(|r| (v, r)).collect()
}

/// The merged route order of several VirtualServices bound to one gateway: each one's
/// rules in order, VirtualServices oldest first, and the catch-all rules (no `match`)
/// moved to the end ("the cross-resource order is undefined"; this is netplay's choice).
pub(crate) fn merged_order(mesh: &Mesh, vss: &[usize]) -> Vec<(usize, usize)> {
    let mut specific = Vec::new();
    let mut catch_all = Vec::new();
    for &v in vss {
        for (r, route) in mesh.virtual_services[v].spec.http.iter().enumerate() {
            if route.matches.is_empty() {
                catch_all.push((v, r));
            } else {
                specific.push((v, r));
            }
        }
    }
    specific.extend(catch_all);
    specific
}

/// Checks an L4 (tcp) match block.
pub(crate) fn l4_match(m: &L4Match, vs: &MeshObject<VirtualServiceSpec>, req: &Req) -> Result<(), String> {
    let gateways: Vec<String> = if m.gateways.is_empty() {
        vs_gateways(vs)
    } else {
        m.gateways.iter().map(|g| gateway_ref(g, &vs.meta.namespace)).collect()
    };
    if !gateways.iter().any(|g| g == req.ctx.name()) {
        return Err(format!(
            "applies to gateways [{}], not to {}",
            gateways.join(", "),
            req.ctx.name()
        ));
    }
    if let Some(p) = m.port {
        if u32::from(req.port) != p {
            return Err(format!("port {} is not {p}", req.port));
        }
    }
    if !m.source_labels.is_empty() && !labels_match(&m.source_labels, req.source_labels) {
        return Err("sourceLabels do not match the client's labels".to_string());
    }
    if let Some(ns) = &m.source_namespace {
        if ns != req.source_ns {
            return Err(format!(
                "sourceNamespace {ns} is not the client's namespace {}",
                req.source_ns
            ));
        }
    }
    if !m.destination_subnets.is_empty() {
        return Err(
            "destinationSubnets: pod and service IPs are not modelled; netplay treats the match as failing".into(),
        );
    }
    Ok(())
}

/// The first tcp route of a VirtualService whose matches accept the connection.
pub(crate) fn find_tcp_route(mesh: &Mesh, v: usize, req: &Req, misses: &mut Vec<Miss>) -> Option<usize> {
    let vs = &mesh.virtual_services[v];
    for (r, route) in vs.spec.tcp.iter().enumerate() {
        let loc = vs.meta.locate(&[key("spec"), key("tcp"), idx(r)]);
        if route.matches.is_empty() {
            if vs_gateways(vs).iter().any(|g| g == req.ctx.name()) {
                return Some(r);
            }
            continue;
        }
        let mut why = Vec::new();
        for m in &route.matches {
            match l4_match(m, vs, req) {
                Ok(()) => return Some(r),
                Err(e) => why.push(e),
            }
        }
        misses.push(Miss {
            label: format!("{} tcp[{r}]", vs.meta.id()),
            loc,
            why: why.join("; "),
        });
    }
    None
}
