//! Requests from outside the cluster: the gateway listener that accepts them, then one
//! shared gateway hop (the gateway workload, or a virtual one with the selector's labels
//! when the input has none; its AuthorizationPolicies) for both kinds — an Istio Gateway
//! with the VirtualServices bound to it, or a Gateway API Gateway with its HTTPRoutes.

use super::super::gateway_api;
use super::super::host::host_matches;
use super::super::request::{Request, Scheme, Url};
use super::super::routing::{self, Context};
use super::super::security::{self, AuthzInput};
use super::super::types::{Server, StrMap};
use super::super::{idx, key, labels_match, ROOT_NAMESPACE};
use super::view::View;
use super::{at, virtual_workload, Client, Outcome, Proxy, Sim};
use crate::model::{Cluster, Workload};
use std::borrow::Cow;

/// The gateway listener a request from outside reaches.
enum Listener {
    /// Istio Gateway `gateway`, its server `server`.
    Istio { gateway: usize, server: usize },
    /// Gateway API Gateway `gateway`, its listener `listener`.
    GatewayApi { gateway: usize, listener: usize },
    /// A gateway listens on the port but accepts no such host.
    OtherHost,
    /// Nothing listens on the port.
    Nothing,
}

/// A request from outside the cluster, through an Istio Gateway or a Gateway API Gateway.
pub(super) fn external(cluster: &Cluster, url: &Url, req: &Request) -> Outcome {
    let mut sim = Sim::new(cluster, url.scheme != Scheme::Tcp);
    sim.step("source", "a client outside the cluster".into(), None);
    let view = View::new(url, req);
    let port = u32::from(url.port);
    match find_listener(cluster, &view.host(), port) {
        Listener::Istio { gateway, server } => sim.istio_gateway(gateway, server, url, view),
        Listener::GatewayApi { gateway, listener } => sim.k8s_gateway(gateway, listener, url, view),
        Listener::OtherHost => sim.fail(
            "gateway",
            format!(
                "a Gateway listens on port {port}, but no server or listener accepts host {}: 404 (no route)",
                view.host()
            ),
            None,
            404,
            "unknown host at the gateway",
        ),
        Listener::Nothing => sim.fail(
            "gateway",
            format!("no Gateway of the input listens on port {port}: the connection is refused"),
            None,
            503,
            "no gateway on this port",
        ),
    }
    sim.finish()
}

/// The first listener for `host` on `port`: Istio Gateways oldest first, then Gateway
/// API Gateways oldest first.
fn find_listener(cluster: &Cluster, host: &str, port: u32) -> Listener {
    let mesh = &cluster.mesh;
    let mut on_port = false;
    let mut gws: Vec<usize> = (0..mesh.gateways.len()).collect();
    crate::sorting::sort_by(&mut gws, |&a, &b| {
        mesh.gateways[a].meta.age_key().cmp(&mesh.gateways[b].meta.age_key())
    });
    for &g in &gws {
        for (si, s) in mesh.gateways[g].spec.servers.iter().enumerate() {
            if s.port.as_ref().is_some_and(|p| p.number == port) {
                on_port = true;
                if s.hosts.iter().any(|h| {
                    let (_, dns) = routing::split_server_host(h);
                    host_matches(&dns.to_ascii_lowercase(), host)
                }) {
                    return Listener::Istio { gateway: g, server: si };
                }
            }
        }
    }
    let mut kgws: Vec<usize> = (0..mesh.k8s_gateways.len()).collect();
    crate::sorting::sort_by(&mut kgws, |&a, &b| {
        mesh.k8s_gateways[a]
            .meta
            .age_key()
            .cmp(&mesh.k8s_gateways[b].meta.age_key())
    });
    for &g in &kgws {
        for (li, l) in mesh.k8s_gateways[g].spec.listeners.iter().enumerate() {
            if l.port == port {
                on_port = true;
                if l.hostname
                    .as_deref()
                    .is_none_or(|h| host_matches(&h.to_ascii_lowercase(), host))
                {
                    return Listener::GatewayApi {
                        gateway: g,
                        listener: li,
                    };
                }
            }
        }
    }
    if on_port {
        Listener::OtherHost
    } else {
        Listener::Nothing
    }
}

/// The workload that runs a gateway: the input's workload its selector picks, or a
/// virtual one with the selector's labels (Istio's default ingress gateway when the
/// selector is `istio: ingressgateway`).
struct GatewayWorkload<'c> {
    workload: Cow<'c, Workload>,
    is_virtual: bool,
}

impl<'c> GatewayWorkload<'c> {
    /// `namespace`: only a workload of this namespace runs the gateway (Gateway API).
    fn select(
        cluster: &'c Cluster,
        selector: &StrMap,
        namespace: Option<&str>,
        fallback_ns: &str,
        fallback_name: &str,
    ) -> Self {
        let found = cluster.workloads.iter().find(|w| {
            !selector.is_empty() && labels_match(selector, &w.labels) && namespace.is_none_or(|ns| w.namespace == ns)
        });
        if let Some(w) = found {
            return GatewayWorkload {
                workload: Cow::Borrowed(w),
                is_virtual: false,
            };
        }
        let default_istio = selector.get("istio").map(String::as_str) == Some("ingressgateway");
        let virt = if default_istio {
            virtual_workload(
                ROOT_NAMESPACE,
                "istio-ingressgateway",
                selector.clone(),
                Some("istio-ingressgateway-service-account".to_string()),
            )
        } else {
            virtual_workload(fallback_ns, fallback_name, selector.clone(), None)
        };
        GatewayWorkload {
            workload: Cow::Owned(virt),
            is_virtual: true,
        }
    }
}

impl<'c> Sim<'c> {
    /// The hop both gateway kinds share: the request enters the gateway workload, whose
    /// AuthorizationPolicies apply to requests arriving from outside (plaintext, no peer
    /// identity). Returns the gateway as the client of the next hop when the request
    /// goes on.
    fn enter_gateway<'g>(&mut self, gateway: &'g GatewayWorkload<'_>, id: String, view: &View) -> Option<Client<'g>> {
        let w: &Workload = &gateway.workload;
        let host = view.host();
        let input = AuthzInput {
            http: view.http,
            principal: None,
            method: &view.method,
            path: &view.path,
            host: &host,
            port: view.port,
            headers: &view.headers,
        };
        let r = security::authorize(self.cluster, w, &input);
        let applies = !(r.lines.is_empty() && r.allowed && r.loc.is_none() && !r.verdict.starts_with("allowed"));
        if applies {
            for l in &r.lines {
                self.step("gateway-authorization", l.clone(), None);
            }
            self.step("gateway-authorization", r.verdict.clone(), r.loc.clone());
            if !r.allowed {
                self.leaf(1.0, 403, None, "denied at the gateway");
                return None;
            }
        }
        Some(Client {
            w,
            proxy: Proxy::Gateway,
            ctx: Context::Gateway(id),
        })
    }

    /// Istio Gateway `g`, server `si`: the server's protocol and TLS, then the
    /// VirtualServices bound to the gateway for the host.
    fn istio_gateway(&mut self, g: usize, si: usize, url: &Url, mut view: View) {
        let c = self.cluster;
        let gw = &c.mesh.gateways[g];
        let server = &gw.spec.servers[si];
        let hop = GatewayWorkload::select(
            c,
            &gw.spec.selector,
            None,
            &gw.meta.namespace,
            &format!("{}-gateway", gw.meta.name),
        );
        let sloc = gw.meta.locate(&[key("spec"), key("servers"), idx(si)]);
        let proto = server
            .port
            .as_ref()
            .map(|p| p.protocol.to_ascii_uppercase())
            .unwrap_or_default();
        let selector: Vec<String> = gw.spec.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let virtual_note = if hop.is_virtual {
            " — not in the input, so netplay uses a virtual gateway workload with those labels"
        } else {
            ""
        };
        self.step(
            "gateway",
            format!(
                "{} server {si} ({}) port {}/{proto} hosts [{}]; selector {{{}}} → {}{virtual_note}",
                gw.meta.describe(),
                at(&sloc),
                url.port,
                server.hosts.join(", "),
                selector.join(","),
                hop.workload.endpoint_name()
            ),
            Some(sloc),
        );
        let Some(http) = self.istio_server_speaks(server, &proto, url) else {
            return;
        };
        self.http = http || url.scheme != Scheme::Tcp;
        view.http = http;
        let Some(client) = self.enter_gateway(&hop, gw.meta.id(), &view) else {
            return;
        };
        let host = view.host();
        let vss = routing::select_for_gateway(&c.mesh, &gw.meta.id(), &gw.meta.namespace, &server.hosts, &host);
        if vss.is_empty() {
            self.fail(
                "virtual-service",
                format!(
                    "no VirtualService bound to gateway {} serves host {host}: 404 (no route)",
                    gw.meta.id()
                ),
                None,
                404,
                "no route",
            );
            return;
        }
        let names: Vec<String> = vss
            .iter()
            .map(|&v| c.mesh.virtual_services[v].meta.describe())
            .collect();
        let merged = if vss.len() > 1 {
            " (merged for the gateway: each one's rules in order, oldest first, catch-all rules last)"
        } else {
            ""
        };
        self.step(
            "virtual-service",
            format!(
                "bound to gateway {} for host {host}: {}{merged}",
                gw.meta.id(),
                names.join(", ")
            ),
            vss.first().map(|&v| c.mesh.virtual_services[v].meta.loc.clone()),
        );
        if http {
            let order = routing::merged_order(&c.mesh, &vss);
            self.http_routes(&client, &order, &view);
            return;
        }
        let v = vss[0];
        match self.match_tcp_route(&client, v, &view) {
            None => self.fail(
                "route",
                "no tcp route matches: the gateway closes the connection".into(),
                None,
                503,
                "no route",
            ),
            Some(r) => self.tcp_destinations(&client, v, r, &view),
        }
    }

    /// Whether the Istio server speaks HTTP to the client (`false`: TCP), or `None` (and
    /// the leaf) when the client and the server do not agree or netplay cannot follow.
    fn istio_server_speaks(&mut self, server: &Server, proto: &str, url: &Url) -> Option<bool> {
        let tls_mode = server
            .tls
            .as_ref()
            .and_then(|t| t.mode.clone())
            .unwrap_or_default()
            .to_ascii_uppercase();
        match proto {
            "HTTP" | "HTTP2" | "GRPC" => {
                if url.scheme == Scheme::Https {
                    self.fail(
                        "gateway",
                        "the server speaks plaintext HTTP but the client starts TLS: the handshake fails".into(),
                        None,
                        503,
                        "TLS mismatch",
                    );
                    return None;
                }
                if server.tls.as_ref().and_then(|t| t.https_redirect) == Some(true) {
                    self.fail(
                        "redirect",
                        "the server has tls.httpsRedirect: 301 to https".into(),
                        None,
                        301,
                        "httpsRedirect",
                    );
                    return None;
                }
                Some(url.scheme != Scheme::Tcp)
            }
            "HTTPS" if tls_mode != "PASSTHROUGH" => {
                if url.scheme != Scheme::Https {
                    self.fail(
                        "gateway",
                        "the server terminates TLS but the client sends plaintext: the handshake fails".into(),
                        None,
                        503,
                        "TLS mismatch",
                    );
                    return None;
                }
                self.step(
                    "gateway",
                    format!(
                        "TLS terminated at the gateway (mode {})",
                        if tls_mode.is_empty() { "SIMPLE" } else { &tls_mode }
                    ),
                    None,
                );
                Some(true)
            }
            "TCP" | "TLS" | "MONGO" => Some(false),
            other => {
                self.fail(
                    "gateway",
                    format!("server protocol {other} (TLS passthrough or unknown) is not simulated by netplay"),
                    None,
                    503,
                    "not simulated",
                );
                None
            }
        }
    }

    /// Gateway API Gateway `g`, listener `li`: the listener's protocol, then the
    /// HTTPRoutes attached to it for the host.
    fn k8s_gateway(&mut self, g: usize, li: usize, url: &Url, view: View) {
        let c = self.cluster;
        let gw = &c.mesh.k8s_gateways[g];
        let listener = &gw.spec.listeners[li];
        let selector = StrMap::from([(
            "gateway.networking.k8s.io/gateway-name".to_string(),
            gw.meta.name.clone(),
        )]);
        let hop = GatewayWorkload::select(
            c,
            &selector,
            Some(&gw.meta.namespace),
            &gw.meta.namespace,
            &format!("{}-istio", gw.meta.name),
        );
        let lloc = gw.meta.locate(&[key("spec"), key("listeners"), idx(li)]);
        self.step(
            "gateway",
            format!(
                "{} (class {}) listener {:?} ({}) port {}/{} hostname {} → {}{}",
                gw.meta.describe(),
                gw.spec.gateway_class_name,
                listener.name,
                at(&lloc),
                listener.port,
                listener.protocol,
                listener.hostname.as_deref().unwrap_or("(any)"),
                hop.workload.endpoint_name(),
                if hop.is_virtual {
                    " — not in the input, so netplay uses a virtual gateway workload"
                } else {
                    ""
                }
            ),
            Some(lloc),
        );
        let proto = listener.protocol.to_ascii_uppercase();
        if proto != "HTTP" && proto != "HTTPS" {
            self.fail(
                "gateway",
                format!("listener protocol {proto} is not simulated by netplay"),
                None,
                503,
                "not simulated",
            );
            return;
        }
        if (proto == "HTTPS") != (url.scheme == Scheme::Https) {
            self.fail(
                "gateway",
                "the client's scheme does not match the listener's protocol: the handshake fails".into(),
                None,
                503,
                "TLS mismatch",
            );
            return;
        }
        let Some(client) = self.enter_gateway(&hop, gw.meta.id(), &view) else {
            return;
        };
        let host = view.host();
        let routes: Vec<usize> = c
            .mesh
            .http_routes
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                gateway_api::attached_to_listener(c, r, gw, listener) && gateway_api::hostname_ok(r, &host)
            })
            .map(|(i, _)| i)
            .collect();
        if routes.is_empty() {
            self.fail(
                "http-route",
                format!(
                    "no HTTPRoute attached to listener {:?} serves host {host}: 404",
                    listener.name
                ),
                None,
                404,
                "no route",
            );
            return;
        }
        self.step(
            "http-route",
            format!(
                "attached HTTPRoutes for host {host}: {}",
                routes
                    .iter()
                    .map(|&r| c.mesh.http_routes[r].meta.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
        self.gw_api_routes(&client, &routes, &view);
    }
}
