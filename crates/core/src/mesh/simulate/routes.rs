//! VirtualService routing: HTTP routes in order (the first match decides), what the
//! matched route does (redirect, direct response, header changes, rewrites, faults,
//! timeouts and retries, mirrors) and its weighted destinations; TCP routes.

use super::super::host::{self, config_host, find_entry, find_service};
use super::super::routing::{self, Found, Req};
use super::super::types::{Destination, HeaderOperations, HttpRoute, Percent, PortSelector};
use super::super::{idx, key, MeshObject};
use super::destination::{service_endpoints, Dest};
use super::view::View;
use super::{at, pct, Client, Sim};
use crate::mesh::types::VirtualServiceSpec;

/// A route destination with its weight and the header changes made on the way to it.
pub(super) type WeightedDest<'a> = (Destination, Option<i32>, Option<&'a HeaderOperations>);

impl<'c> Sim<'c> {
    /// Evaluates HTTP routes in order; the first that matches decides.
    pub(super) fn http_routes(&mut self, client: &Client<'_>, order: &[(usize, usize)], view: &View) {
        let c = self.cluster;
        let cw = client.w;
        let req = Req {
            ctx: &client.ctx,
            source_labels: &cw.labels,
            source_ns: &cw.namespace,
            method: &view.method,
            path: &view.path,
            query: &view.query,
            headers: &view.headers,
            authority: &view.authority,
            port: view.port,
            scheme: view.scheme,
        };
        let mut misses = Vec::new();
        let found = routing::find_http_route(&c.mesh, order, &req, &mut misses);
        for m in misses {
            self.step(
                "route",
                format!("{} ({}) does not match: {}", m.label, at(&m.loc), m.why),
                Some(m.loc),
            );
        }
        match found {
            None => self.fail(
                "route",
                "no HTTP route matches the request: Envoy answers 404 (NR, no route)".into(),
                None,
                404,
                "no route",
            ),
            Some(f) => self.apply_http_route(client, &f, view.clone()),
        }
    }

    /// What the matched route does to the request, in Envoy's order.
    fn apply_http_route(&mut self, client: &Client<'_>, f: &Found, mut view: View) {
        let c = self.cluster;
        let (rv, rr) = f.delegate.unwrap_or((f.vs, f.route));
        let vs = &c.mesh.virtual_services[rv];
        let Some(route) = vs.spec.http.get(rr) else { return };
        let rloc = vs.meta.locate(&[key("spec"), key("http"), idx(rr)]);
        let which = match f.matched {
            Some(i) => format!(" (match[{i}])"),
            None => " (no match conditions: matches every request)".to_string(),
        };
        self.step(
            "route",
            format!("{} ({}) matches{which}", routing::route_label(vs, rr), at(&rloc)),
            Some(rloc.clone()),
        );
        if self.answers_directly(vs, rr, route, &view) {
            return;
        }
        self.change_request(vs, rr, route, f.matched, &mut view);
        let remaining = 1.0 - self.faults(vs, rr, route);
        self.timeouts_and_retries(route);
        self.route_mirrors(client, &vs.meta.namespace, route);
        if remaining <= 1e-12 {
            return;
        }
        if route.route.is_empty() {
            self.step("route", "the rule has no destinations".into(), None);
            self.leaf(remaining, 503, None, "no destination");
            return;
        }
        let dests: Vec<WeightedDest> = route
            .route
            .iter()
            .map(|d| {
                (
                    d.destination.clone(),
                    d.weight,
                    d.headers.as_ref().and_then(|h| h.request.as_ref()),
                )
            })
            .collect();
        self.weighted(client, &vs.meta.namespace, &dests, remaining, &view);
    }

    /// A redirect or a direct response: the route answers itself. Returns whether it did.
    fn answers_directly(
        &mut self,
        vs: &MeshObject<VirtualServiceSpec>,
        rr: usize,
        route: &HttpRoute,
        view: &View,
    ) -> bool {
        if let Some(r) = &route.redirect {
            let status = r.redirect_code.and_then(|c| u16::try_from(c).ok()).unwrap_or(301);
            let scheme = r.scheme.clone().unwrap_or_else(|| view.scheme.to_string());
            let authority = r.authority.clone().unwrap_or_else(|| view.host());
            let port = r.port.map(|p| format!(":{p}")).unwrap_or_default();
            let path = r.uri.clone().unwrap_or_else(|| view.path.clone());
            self.fail(
                "redirect",
                format!("the route redirects: {status} with Location {scheme}://{authority}{port}{path}"),
                Some(vs.meta.locate(&[key("spec"), key("http"), idx(rr), key("redirect")])),
                status,
                "redirect",
            );
            return true;
        }
        if let Some(d) = &route.direct_response {
            let body = d
                .body
                .as_ref()
                .and_then(|b| b.get("string"))
                .and_then(|s| s.as_str())
                .map(|s| format!(" with body {s:?}"))
                .unwrap_or_default();
            self.fail(
                "direct-response",
                format!("the route answers directly: {}{body}", d.status),
                Some(
                    vs.meta
                        .locate(&[key("spec"), key("http"), idx(rr), key("directResponse")]),
                ),
                u16::try_from(d.status).unwrap_or(500),
                "direct response",
            );
            return true;
        }
        false
    }

    /// The route's request header changes and rewrites, applied to the travelling request.
    fn change_request(
        &mut self,
        vs: &MeshObject<VirtualServiceSpec>,
        rr: usize,
        route: &HttpRoute,
        matched: Option<usize>,
        view: &mut View,
    ) {
        if let Some(h) = route.headers.as_ref().and_then(|h| h.request.as_ref()) {
            let done = view.apply_headers(h);
            if !done.is_empty() {
                self.step("headers", format!("request headers: {}", done.join(", ")), None);
            }
        }
        let Some(rw) = &route.rewrite else { return };
        let mut what = Vec::new();
        if let Some(u) = &rw.uri {
            let matched_prefix = matched
                .and_then(|i| route.matches.get(i))
                .and_then(|m| m.uri.as_ref())
                .and_then(|u| u.prefix.clone());
            let new = match matched_prefix {
                Some(p) if view.path.starts_with(&p) => format!("{u}{}", &view.path[p.len()..]),
                _ => u.clone(),
            };
            what.push(format!("path {} → {new}", view.path));
            view.path = new;
        }
        if let Some(a) = &rw.authority {
            what.push(format!("authority {} → {a}", view.authority));
            view.authority = a.clone();
        }
        if rw.uri_regex_rewrite.is_some() {
            what.push("uriRegexRewrite (recorded, not applied)".to_string());
        }
        if !what.is_empty() {
            self.step(
                "rewrite",
                what.join("; "),
                Some(vs.meta.locate(&[key("spec"), key("http"), idx(rr), key("rewrite")])),
            );
        }
    }

    /// Fault injection: delays change nothing but the timing; an abort ends its
    /// percentage of the requests. Returns the fraction aborted.
    fn faults(&mut self, vs: &MeshObject<VirtualServiceSpec>, rr: usize, route: &HttpRoute) -> f64 {
        let Some(fault) = &route.fault else { return 0.0 };
        let floc = vs.meta.locate(&[key("spec"), key("http"), idx(rr), key("fault")]);
        if let Some(d) = &fault.delay {
            let p = percentage(d.percentage, d.percent);
            let how = d
                .fixed_delay
                .clone()
                .or(d.exponential_delay.clone())
                .unwrap_or_default();
            let note = if d.percentage.is_none() && d.percent.is_none() {
                " (no percentage: per the Istio reference no request is delayed)"
            } else {
                ""
            };
            self.step(
                "fault",
                format!("delay of {how} injected into {} of requests{note}; the response arrives late but the status does not change", pct(p)),
                Some(floc.clone()),
            );
        }
        let Some(a) = &fault.abort else { return 0.0 };
        let p = percentage(a.percentage, None);
        let status = match (a.http_status, &a.grpc_status) {
            (Some(s), _) => u16::try_from(s).unwrap_or(500),
            (None, Some(_)) => 200,
            (None, None) => 500,
        };
        let what = match (&a.http_status, &a.grpc_status) {
            (None, Some(g)) => format!("gRPC status {g} (HTTP 200 with a grpc-status trailer)"),
            _ => format!("HTTP {status}"),
        };
        let note = if a.percentage.is_none() {
            " (no percentage: per the Istio reference no request is aborted)"
        } else {
            ""
        };
        self.step(
            "fault",
            format!(
                "abort with {what} for {} of requests, before they leave the client sidecar{note}",
                pct(p)
            ),
            Some(floc),
        );
        if p > 0.0 {
            self.leaf(p, status, None, "fault abort");
            return p;
        }
        0.0
    }

    /// Timeouts and retries are recorded: they change timing, not where requests go.
    fn timeouts_and_retries(&mut self, route: &HttpRoute) {
        let note = if route.fault.is_some() {
            " (not enabled: the route injects faults)"
        } else {
            ""
        };
        if let Some(t) = &route.timeout {
            self.step("timeout", format!("{t}{note}"), None);
        }
        if let Some(r) = &route.retries {
            let mut parts = vec![format!("{} attempts", r.attempts.unwrap_or(0))];
            if let Some(t) = &r.per_try_timeout {
                parts.push(format!("perTryTimeout {t}"));
            }
            if let Some(o) = &r.retry_on {
                parts.push(format!("retryOn {o}"));
            }
            self.step("retries", format!("{}{note}", parts.join(", ")), None);
        }
    }

    /// `mirror` (with `mirrorPercentage`) and `mirrors` of a route.
    fn route_mirrors(&mut self, client: &Client<'_>, vs_ns: &str, route: &HttpRoute) {
        let mut mirrors: Vec<(&Destination, f64)> = Vec::new();
        if let Some(m) = &route.mirror {
            let p = match (route.mirror_percentage, route.mirror_percent) {
                (Some(p), _) => p.value / 100.0,
                (None, Some(p)) => f64::from(p) / 100.0,
                (None, None) => 1.0,
            };
            mirrors.push((m, p));
        }
        for m in &route.mirrors {
            mirrors.push((&m.destination, m.percentage.map_or(1.0, |p| p.value / 100.0)));
        }
        for (m, p) in mirrors {
            self.mirror(client, vs_ns, m, p);
        }
    }

    /// Splits `fraction` of the requests over weighted destinations.
    pub(super) fn weighted(
        &mut self,
        client: &Client<'_>,
        config_ns: &str,
        dests: &[WeightedDest],
        fraction: f64,
        view: &View,
    ) {
        let weights: Vec<f64> = if dests.len() == 1 {
            vec![1.0]
        } else {
            dests.iter().map(|d| f64::from(d.1.unwrap_or(0).max(0))).collect()
        };
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            self.step(
                "destination",
                "every destination has weight 0: nothing can receive the request".into(),
                None,
            );
            self.leaf(fraction, 503, None, "all weights 0");
            return;
        }
        let live = weights.iter().filter(|w| **w > 0.0).count();
        for ((d, w, hdr), weight) in dests.iter().zip(&weights) {
            let share = weight / total;
            let label = format!(
                "{}{}",
                config_host(&d.host, config_ns),
                d.subset.as_deref().map(|s| format!(" subset {s}")).unwrap_or_default()
            );
            if share <= 0.0 {
                self.step("destination", format!("{label}: weight 0, receives nothing"), None);
                continue;
            }
            let wtext = if dests.len() == 1 {
                "the only destination".to_string()
            } else {
                format!("weight {} of {}", w.unwrap_or(0), total)
            };
            let of_all = if (fraction - 1.0).abs() > 1e-9 {
                format!(" that are routed, {} of all requests", pct(share * fraction))
            } else {
                String::new()
            };
            self.step(
                "destination",
                format!("{label}: {} of the requests{of_all} ({wtext})", pct(share)),
                None,
            );
            let before = self.prefix.clone();
            if live > 1 {
                self.prefix = format!("{before}[{label}, {}] ", pct(share));
            }
            let mut v = view.clone();
            if let Some(h) = hdr {
                let done = v.apply_headers(h);
                if !done.is_empty() {
                    self.step("headers", format!("request headers: {}", done.join(", ")), None);
                }
            }
            self.route_to(client, config_ns, d, share * fraction, &v);
            self.prefix = before;
        }
    }

    /// The route to the addressed destination itself, without a VirtualService.
    pub(super) fn default_route(&mut self, client: &Client<'_>, dest: &Dest, fraction: f64, view: &View) {
        let c = self.cluster;
        let (host, ns) = match dest {
            Dest::Service(si) => (host::fqdn(&c.services[*si]), c.services[*si].namespace.clone()),
            Dest::Entry(ei) => {
                let e = &c.mesh.service_entries[*ei];
                (
                    e.spec.hosts.first().cloned().unwrap_or_default(),
                    e.meta.namespace.clone(),
                )
            }
        };
        let d = Destination {
            host,
            subset: None,
            port: Some(PortSelector {
                number: Some(u32::from(view.port)),
            }),
        };
        self.route_to(client, &ns, &d, fraction, view);
    }

    /// Opaque TCP through a sidecar: the VirtualService's `tcp` routes, else the default.
    pub(super) fn tcp_routing(&mut self, client: &Client<'_>, dest: &Dest, fqdn: &str, view: &View) {
        let c = self.cluster;
        let cw = client.w;
        let Some((v, _)) = routing::select_for_sidecar(&c.mesh, fqdn, &cw.namespace) else {
            self.step(
                "virtual-service",
                format!("no VirtualService for {fqdn}: the connection goes to the Service's endpoints"),
                None,
            );
            self.default_route(client, dest, 1.0, view);
            return;
        };
        let vs = &c.mesh.virtual_services[v];
        if vs.spec.tcp.is_empty() {
            self.step(
                "virtual-service",
                format!(
                    "{} has no tcp routes: the connection goes to the Service's endpoints",
                    vs.meta.describe()
                ),
                Some(vs.meta.loc.clone()),
            );
            self.default_route(client, dest, 1.0, view);
            return;
        }
        self.step(
            "virtual-service",
            format!("{} applies", vs.meta.describe()),
            Some(vs.meta.loc.clone()),
        );
        match self.match_tcp_route(client, v, view) {
            None => {
                self.step(
                    "route",
                    "no tcp route matches: the connection goes to the Service's endpoints".into(),
                    None,
                );
                self.default_route(client, dest, 1.0, view);
            }
            Some(r) => {
                let loc = vs.meta.locate(&[key("spec"), key("tcp"), idx(r)]);
                self.step(
                    "route",
                    format!("{} tcp[{r}] ({}) matches", vs.meta.id(), at(&loc)),
                    Some(loc),
                );
                self.tcp_destinations(client, v, r, view);
            }
        }
    }

    /// The weighted destinations of tcp route `r` of VirtualService `v`.
    pub(super) fn tcp_destinations(&mut self, client: &Client<'_>, v: usize, r: usize, view: &View) {
        let vs = &self.cluster.mesh.virtual_services[v];
        let dests: Vec<WeightedDest> = vs.spec.tcp[r]
            .route
            .iter()
            .map(|d| (d.destination.clone(), d.weight, None))
            .collect();
        if dests.is_empty() {
            self.leaf(1.0, 503, None, "no destination");
            return;
        }
        self.weighted(client, &vs.meta.namespace, &dests, 1.0, view);
    }

    /// The tcp route of VirtualService `v` for a connection from the client, recording
    /// why each earlier route did not match.
    pub(super) fn match_tcp_route(&mut self, client: &Client<'_>, v: usize, view: &View) -> Option<usize> {
        let c = self.cluster;
        let cw = client.w;
        let req = Req {
            ctx: &client.ctx,
            source_labels: &cw.labels,
            source_ns: &cw.namespace,
            method: "",
            path: "",
            query: &[],
            headers: &[],
            authority: "",
            port: view.port,
            scheme: "tcp",
        };
        let mut misses = Vec::new();
        let found = routing::find_tcp_route(&c.mesh, v, &req, &mut misses);
        for m in misses {
            self.step(
                "route",
                format!("{} ({}) does not match: {}", m.label, at(&m.loc), m.why),
                Some(m.loc),
            );
        }
        found
    }

    /// A mirrored copy of `p` of the requests: recorded, the responses are discarded.
    pub(super) fn mirror(&mut self, client: &Client<'_>, config_ns: &str, d: &Destination, p: f64) {
        let c = self.cluster;
        let host = config_host(&d.host, config_ns);
        let cns = &client.w.namespace;
        let subset = d.subset.as_deref().map(|s| format!(" subset {s}")).unwrap_or_default();
        let mut targets = Vec::new();
        if let Some(si) = find_service(c, &host) {
            let svc = &c.services[si];
            let labels = d.subset.as_ref().and_then(|s| {
                self.destination_rule(client, &host, &svc.namespace).and_then(|dr| {
                    dr.subsets
                        .iter()
                        .find(|(x, _, _)| x.name == *s)
                        .map(|(x, _, _)| x.labels.clone())
                })
            });
            if d.subset.is_some() && labels.is_none() {
                targets.push("no DestinationRule defines the subset: the copies are dropped".to_string());
            } else {
                for (w, _) in service_endpoints(c, svc, labels.as_ref(), d.port.as_ref().and_then(|p| p.number)) {
                    targets.push(c.workloads[w].endpoint_name());
                }
            }
        } else if find_entry(&c.mesh.service_entries, &host, cns).is_some() {
            targets.push(format!("{host}[External]"));
        }
        let to = if targets.is_empty() {
            "no endpoint (the copies are dropped)".to_string()
        } else {
            targets.join(", ")
        };
        self.step(
            "mirror",
            format!(
                "{} of requests are copied to {host}{subset} → {to}; responses to the copies are discarded and do not change the outcome",
                pct(p.clamp(0.0, 1.0))
            ),
            None,
        );
    }
}

/// A fault's percentage as a fraction; none given means no request (Istio's reference).
fn percentage(p: Option<Percent>, percent: Option<i32>) -> f64 {
    match (p, percent) {
        (Some(p), _) => (p.value / 100.0).clamp(0.0, 1.0),
        (None, Some(n)) => (f64::from(n) / 100.0).clamp(0.0, 1.0),
        (None, None) => 0.0,
    }
}
