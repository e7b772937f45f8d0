//! Gateway API HTTPRoutes: the GAMMA routes attached to a Service (mesh routing) and the
//! routes of a Gateway API Gateway. Rules in precedence order, the first match decides;
//! then the rule's filters and its weighted backendRefs.

use super::super::gateway_api::{self, GwReq};
use super::super::host::{self, find_service};
use super::super::types::{Destination, GwMatch, GwRouteRule, PortSelector};
use super::super::{idx, key};
use super::routes::WeightedDest;
use super::view::{header_ops_from_gw, View};
use super::{at, compact, pct, Client, Sim};

impl<'c> Sim<'c> {
    /// Gateway API mesh routes (GAMMA) attached to the Service. Returns whether they
    /// decided the request.
    pub(super) fn gamma(&mut self, client: &Client<'_>, si: usize, view: &View) -> bool {
        let c = self.cluster;
        let svc = &c.services[si];
        let cns = &client.w.namespace;
        let routes: Vec<usize> = c
            .mesh
            .http_routes
            .iter()
            .enumerate()
            .filter(|(_, r)| gateway_api::attached_to_service(r, svc, cns))
            .map(|(i, _)| i)
            .collect();
        if routes.is_empty() {
            return false;
        }
        self.step(
            "http-route",
            format!(
                "HTTPRoutes attached to Service {}/{} (Gateway API mesh routing) decide: {}",
                svc.namespace,
                svc.name,
                routes
                    .iter()
                    .map(|&r| c.mesh.http_routes[r].meta.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
        self.gw_api_routes(client, &routes, view);
        true
    }

    /// Gateway API rules in precedence order; the first match decides.
    pub(super) fn gw_api_routes(&mut self, client: &Client<'_>, routes: &[usize], view: &View) {
        let c = self.cluster;
        let req = GwReq {
            method: &view.method,
            path: &view.path,
            query: &view.query,
            headers: &view.headers,
        };
        let default = GwMatch::default();
        for (r, ri, mi) in gateway_api::ordered_candidates(c, routes) {
            let route = &c.mesh.http_routes[r];
            let Some(rule) = route.spec.rules.get(ri) else { continue };
            let m = mi.and_then(|i| rule.matches.get(i)).unwrap_or(&default);
            let mut path = vec![key("spec"), key("rules"), idx(ri)];
            if let Some(i) = mi {
                path.extend([key("matches"), idx(i)]);
            }
            let loc = route.meta.locate(&path);
            let label = format!(
                "{} rules[{ri}]{}",
                route.meta.id(),
                mi.map(|i| format!(".matches[{i}]")).unwrap_or_default()
            );
            match gateway_api::gw_match(m, &req) {
                Err(why) => self.step(
                    "route",
                    format!("{label} ({}) does not match: {why}", at(&loc)),
                    Some(loc),
                ),
                Ok(()) => {
                    self.step("route", format!("{label} ({}) matches", at(&loc)), Some(loc));
                    self.apply_gw_rule(client, &route.meta.namespace, rule, view.clone());
                    return;
                }
            }
        }
        self.fail("route", "no HTTPRoute rule matches: 404".into(), None, 404, "no route");
    }

    /// A matched rule: its filters, then its backends.
    fn apply_gw_rule(&mut self, client: &Client<'_>, route_ns: &str, rule: &GwRouteRule, mut view: View) {
        if !self.gw_filters(client, route_ns, rule, &mut view) {
            return;
        }
        if rule.backend_refs.is_empty() {
            self.fail(
                "destination",
                "the rule has no backendRefs: 500".into(),
                None,
                500,
                "no backends",
            );
            return;
        }
        let (dests, invalid) = self.gw_backends(route_ns, rule);
        if invalid > 0.0 {
            self.leaf(invalid, 500, None, "invalid backend");
        }
        if !dests.is_empty() {
            self.weighted(client, route_ns, &dests, 1.0 - invalid, &view);
        }
    }

    /// The rule's filters, in order. Returns whether the request goes on to the backends
    /// (not after a redirect).
    fn gw_filters(&mut self, client: &Client<'_>, route_ns: &str, rule: &GwRouteRule, view: &mut View) -> bool {
        for f in &rule.filters {
            match f.kind.as_str() {
                "RequestRedirect" => {
                    let rd = f.request_redirect.clone().unwrap_or_default();
                    let status = rd.status_code.and_then(|c| u16::try_from(c).ok()).unwrap_or(302);
                    let scheme = rd.scheme.unwrap_or_else(|| view.scheme.to_string());
                    let hostname = rd.hostname.unwrap_or_else(|| view.host());
                    self.fail(
                        "redirect",
                        format!("RequestRedirect: {status} to {scheme}://{hostname}"),
                        None,
                        status,
                        "redirect",
                    );
                    return false;
                }
                "RequestHeaderModifier" => {
                    if let Some(v) = &f.request_header_modifier {
                        let ops = header_ops_from_gw(v);
                        let done = view.apply_headers(&ops);
                        self.step("headers", format!("RequestHeaderModifier: {}", done.join(", ")), None);
                    }
                }
                "URLRewrite" => {
                    let v = f.url_rewrite.clone().unwrap_or_default();
                    if let Some(h) = v.get("hostname").and_then(|h| h.as_str()) {
                        view.authority = h.to_string();
                    }
                    if let Some(p) = v
                        .get("path")
                        .and_then(|p| p.get("replaceFullPath"))
                        .and_then(|p| p.as_str())
                    {
                        view.path = p.to_string();
                    }
                    self.step("rewrite", format!("URLRewrite {}", compact(&v)), None);
                }
                "RequestMirror" => {
                    if let Some(m) = &f.request_mirror {
                        let b = &m.backend_ref;
                        let d = Destination {
                            host: host::service_fqdn(b.namespace.as_deref().unwrap_or(route_ns), &b.name),
                            subset: None,
                            port: b.port.map(|n| PortSelector { number: Some(n) }),
                        };
                        let p = m.percent.map_or(1.0, |p| f64::from(p) / 100.0);
                        self.mirror(client, route_ns, &d, p);
                    }
                }
                other => self.step("filter", format!("{other} filter (recorded, not simulated)"), None),
            }
        }
        true
    }

    /// The rule's valid backends as weighted destinations, and the share of requests
    /// that go to invalid ones (500).
    fn gw_backends(&mut self, route_ns: &str, rule: &GwRouteRule) -> (Vec<WeightedDest<'static>>, f64) {
        let c = self.cluster;
        let mut dests = Vec::new();
        let mut invalid = 0.0;
        let weights: Vec<f64> = if rule.backend_refs.len() == 1 {
            vec![1.0]
        } else {
            rule.backend_refs
                .iter()
                .map(|b| f64::from(b.weight.unwrap_or(1)))
                .collect()
        };
        let total: f64 = weights.iter().sum();
        for (b, w) in rule.backend_refs.iter().zip(&weights) {
            let share = if total > 0.0 { w / total } else { 0.0 };
            let is_service =
                b.group.as_deref().unwrap_or("").is_empty() && b.kind.as_deref().unwrap_or("Service") == "Service";
            let ns = b.namespace.clone().unwrap_or_else(|| route_ns.to_string());
            if !is_service || b.port.is_none() || find_service(c, &host::service_fqdn(&ns, &b.name)).is_none() {
                self.step(
                    "destination",
                    format!(
                        "backendRef {}/{} is invalid (not a Service of the input, or no port): its {} of the requests get 500",
                        ns,
                        b.name,
                        pct(share)
                    ),
                    None,
                );
                invalid += share;
                continue;
            }
            if ns != route_ns {
                self.step(
                    "destination",
                    format!("backendRef {ns}/{} crosses namespaces: it needs a ReferenceGrant, which netplay does not model (assumed granted)", b.name),
                    None,
                );
            }
            dests.push((
                Destination {
                    host: host::service_fqdn(&ns, &b.name),
                    subset: None,
                    port: b.port.map(|n| PortSelector { number: Some(n) }),
                },
                Some(i32::try_from(b.weight.unwrap_or(1)).unwrap_or(i32::MAX)),
                None,
            ));
        }
        (dests, invalid)
    }
}
