//! The client side: the sending workload and its sidecar, host resolution, the port and
//! its protocol, the Sidecar resource's visibility, and the choice between mesh routing
//! and plain Kubernetes routing.

use super::super::host::{config_host, host_matches, resolve, Resolved};
use super::super::inject::sidecar_injected;
use super::super::request::{Request, Url};
use super::super::routing::{self, Context};
use super::super::types::SidecarSpec;
use super::super::{labels_match, MeshObject, ROOT_NAMESPACE};
use super::destination::{Dest, Upstream};
use super::view::{app_proto, AppProto, View};
use super::{at, Client, Proxy, Sim, NO_EXCHANGE};
use crate::conn::Protocol;
use crate::model::Workload;
use std::fmt::Write;

/// Whether a Sidecar resource lets the client's sidecar route to a host.
enum Visibility {
    Visible,
    /// Not imported, REGISTRY_ONLY: 502.
    Blackhole,
    /// Not imported, ALLOW_ANY: passed through like a client without sidecar.
    Passthrough,
}

impl<'c> Sim<'c> {
    pub(super) fn start_at_workload(&mut self, w: &'c Workload, url: &Url, req: &Request) {
        let c = self.cluster;
        self.step(
            "source",
            format!(
                "{} (namespace {}, service account {})",
                w.endpoint_name(),
                w.namespace,
                w.service_account.as_deref().unwrap_or("default")
            ),
            Some(w.loc.clone()),
        );
        let inj = sidecar_injected(c, w);
        let proxy = if inj.injected {
            self.step("client-sidecar", format!("injected: {}", inj.reason), None);
            Proxy::Sidecar
        } else {
            self.step(
                "client-sidecar",
                format!(
                    "none: {}. The request leaves the pod as the application sent it (plaintext); VirtualServices, DestinationRules and Sidecars do not apply",
                    inj.reason
                ),
                None,
            );
            Proxy::None
        };
        let client = Client {
            w,
            proxy,
            ctx: Context::Mesh,
        };
        self.outbound(&client, url, req);
    }

    /// A request leaving a workload (with or without sidecar) for the host of the URL.
    pub(super) fn outbound(&mut self, client: &Client<'_>, url: &Url, req: &Request) {
        let Some((fqdn, dest)) = self.resolve_host(client, url) else {
            return;
        };
        let Some(proto) = self.port_protocol(&dest, url.port) else {
            return;
        };
        let mut view = View::new(url, req);
        let http = view.http && matches!(proto.0, AppProto::Http | AppProto::Unknown);
        let proto_text = match (view.http, proto.0) {
            (false, _) => format!("a TCP connection to port {} ({})", url.port, proto.1),
            (true, AppProto::Http) => format!("HTTP on port {} ({})", url.port, proto.1),
            (true, AppProto::Unknown) => format!(
                "HTTP on port {} ({}: Istio detects HTTP automatically)",
                url.port, proto.1
            ),
            (true, _) => format!(
                "port {} is declared {} ({}): the sidecar treats the request as opaque TCP, and HTTP routes and HTTP-only policy fields do not apply",
                url.port,
                if proto.0 == AppProto::Tls { "TLS" } else { "TCP" },
                proto.1
            ),
        };
        self.step("protocol", proto_text, None);
        view.http = http;
        // Over opaque TCP a failure is a closed connection, whatever the client speaks.
        self.http = http;
        self.route_outbound(client, &dest, &fqdn, &view);
    }

    /// The client's DNS lookup of the URL's host: the fully qualified name and what it
    /// names, or `None` (and the leaf: no HTTP exchange) when it does not resolve.
    fn resolve_host(&mut self, client: &Client<'_>, url: &Url) -> Option<(String, Dest)> {
        let c = self.cluster;
        let cw = client.w;
        let Some((fqdn, resolved)) = resolve(c, &url.host, &cw.namespace) else {
            self.fail(
                "host",
                format!(
                    "{} does not resolve: no Service (name.namespace.svc.cluster.local) and no ServiceEntry host visible from namespace {} matches it, so the DNS lookup fails and no connection is made",
                    url.host, cw.namespace
                ),
                None,
                NO_EXCHANGE,
                &format!("unknown host {}", url.host),
            );
            return None;
        };
        let dest = match resolved {
            Resolved::Service(si) => {
                let s = &c.services[si];
                self.step(
                    "host",
                    format!(
                        "{} → {fqdn}: Service {}/{} ({})",
                        url.host,
                        s.namespace,
                        s.name,
                        at(&s.loc)
                    ),
                    Some(s.loc.clone()),
                );
                Dest::Service(si)
            }
            Resolved::Entry(ei, h) => {
                let e = &c.mesh.service_entries[ei];
                self.step(
                    "host",
                    format!("{} → {fqdn}: host {h} of {}", url.host, e.meta.describe()),
                    Some(e.meta.loc.clone()),
                );
                Dest::Entry(ei)
            }
        };
        Some((fqdn, dest))
    }

    /// The addressed port and its application protocol (with how it was found), or
    /// `None` (and the leaf) when the destination has no such port.
    fn port_protocol(&mut self, dest: &Dest, port: u16) -> Option<(AppProto, String)> {
        let c = self.cluster;
        match dest {
            Dest::Service(si) => {
                let s = &c.services[*si];
                let Some(sp) = s.ports.iter().find(|p| p.port == port && p.protocol == Protocol::Tcp) else {
                    let ports: Vec<String> = s.ports.iter().map(|p| format!("{}/{}", p.port, p.protocol)).collect();
                    self.fail(
                        "port",
                        format!(
                            "Service {}/{} has no TCP port {} (ports: {}): nothing answers there",
                            s.namespace,
                            s.name,
                            port,
                            if ports.is_empty() {
                                "none".to_string()
                            } else {
                                ports.join(", ")
                            }
                        ),
                        Some(s.loc.clone()),
                        503,
                        "no such port",
                    );
                    return None;
                };
                Some(app_proto(sp.name.as_deref(), sp.app_protocol.as_deref()))
            }
            Dest::Entry(ei) => {
                let e = &c.mesh.service_entries[*ei];
                match e.spec.ports.iter().find(|p| p.number == u32::from(port)) {
                    Some(p) => {
                        let (proto, _) = app_proto(p.name.as_deref(), p.protocol.as_deref());
                        let how = match &p.protocol {
                            Some(x) => format!("ServiceEntry port protocol {x}"),
                            None => "the ServiceEntry port has no protocol".to_string(),
                        };
                        Some((proto, how))
                    }
                    None if e.spec.ports.is_empty() => {
                        Some((AppProto::Unknown, "the ServiceEntry lists no ports".into()))
                    }
                    None => {
                        self.fail(
                            "port",
                            format!(
                                "{} has no port {}: the sidecar has no listener for it",
                                e.meta.describe(),
                                port
                            ),
                            Some(e.meta.loc.clone()),
                            503,
                            "no such port",
                        );
                        None
                    }
                }
            }
        }
    }

    /// Who routes the request: kube-proxy (no sidecar, or a Sidecar resource that passes
    /// it through), Gateway API mesh routes, a VirtualService, or the default route.
    fn route_outbound(&mut self, client: &Client<'_>, dest: &Dest, fqdn: &str, view: &View) {
        let c = self.cluster;
        let cw = client.w;
        if client.proxy == Proxy::None {
            self.direct(client, dest, view);
            return;
        }
        // A Sidecar resource can hide the host.
        if client.proxy == Proxy::Sidecar {
            match self.sidecar_allows(client, dest, fqdn) {
                Visibility::Visible => {}
                Visibility::Blackhole => return,
                Visibility::Passthrough => {
                    let plain = Client {
                        w: client.w,
                        proxy: Proxy::None,
                        ctx: Context::Mesh,
                    };
                    self.direct(&plain, dest, view);
                    return;
                }
            }
        }
        if !view.http {
            self.tcp_routing(client, dest, fqdn, view);
            return;
        }
        if let Dest::Service(si) = dest {
            if self.gamma(client, *si, view) {
                return;
            }
        }
        match routing::select_for_sidecar(&c.mesh, fqdn, &cw.namespace) {
            None => {
                self.step(
                    "virtual-service",
                    format!(
                        "no VirtualService for {fqdn} applies to sidecars in namespace {}: the default route sends requests to every endpoint",
                        cw.namespace
                    ),
                    None,
                );
                self.default_route(client, dest, 1.0, view);
            }
            Some((v, others)) => {
                let vs = &c.mesh.virtual_services[v];
                let mut detail = format!("{} applies (hosts {})", vs.meta.describe(), vs.spec.hosts.join(", "));
                if !others.is_empty() {
                    let _ = write!(
                        detail,
                        "; also matching but ignored, because sidecars use one VirtualService per host (most specific host, then the oldest): {}",
                        others
                            .iter()
                            .map(|&o| c.mesh.virtual_services[o].meta.id())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                self.step("virtual-service", detail, Some(vs.meta.loc.clone()));
                let order = routing::http_order(&c.mesh, v);
                self.http_routes(client, &order, view);
            }
        }
    }

    /// Without a client sidecar: kube-proxy (Service) or DNS (ServiceEntry) decides.
    pub(super) fn direct(&mut self, client: &Client<'_>, dest: &Dest, view: &View) {
        let c = self.cluster;
        let namespace = match dest {
            Dest::Service(si) => {
                self.step(
                    "routing",
                    "plain Kubernetes Service routing: kube-proxy sends each connection to one of the Service's endpoints".into(),
                    None,
                );
                c.services[*si].namespace.clone()
            }
            Dest::Entry(ei) => {
                let e = &c.mesh.service_entries[*ei];
                self.step(
                    "routing",
                    format!(
                        "{} only configures sidecars: the client connects to what DNS returns for the host",
                        e.meta.describe()
                    ),
                    None,
                );
                e.meta.namespace.clone()
            }
        };
        let up = Upstream {
            dest: dest.clone(),
            namespace,
            port: view.port,
            subset: None,
            tls: None,
        };
        self.endpoints_and_connect(client, &up, 1.0, view);
    }

    /// The Sidecar resource that configures the client's sidecar: one in its namespace
    /// whose selector picks it, else its namespace's default, else the root namespace's.
    fn client_sidecar(&self, w: &Workload) -> Option<&'c MeshObject<SidecarSpec>> {
        let c = self.cluster;
        let mut in_ns: Vec<&MeshObject<SidecarSpec>> = c
            .mesh
            .sidecars
            .iter()
            .filter(|s| s.meta.namespace == w.namespace)
            .collect();
        crate::sorting::sort_by(&mut in_ns, |a, b| a.meta.age_key().cmp(&b.meta.age_key()));
        in_ns
            .iter()
            .find(|s| {
                s.spec
                    .workload_selector
                    .as_ref()
                    .is_some_and(|sel| !sel.labels.is_empty() && labels_match(&sel.labels, &w.labels))
            })
            .or_else(|| {
                in_ns.iter().find(|s| {
                    s.spec
                        .workload_selector
                        .as_ref()
                        .is_none_or(|sel| sel.labels.is_empty())
                })
            })
            .copied()
            .or_else(|| {
                let mut root: Vec<_> = c
                    .mesh
                    .sidecars
                    .iter()
                    .filter(|s| {
                        s.meta.namespace == ROOT_NAMESPACE
                            && s.spec
                                .workload_selector
                                .as_ref()
                                .is_none_or(|sel| sel.labels.is_empty())
                    })
                    .collect();
                crate::sorting::sort_by(&mut root, |a, b| a.meta.age_key().cmp(&b.meta.age_key()));
                root.first().copied()
            })
    }

    /// The Sidecar resource of the client, if any, must import the host.
    fn sidecar_allows(&mut self, client: &Client<'_>, dest: &Dest, fqdn: &str) -> Visibility {
        let c = self.cluster;
        let Some(sc) = self.client_sidecar(client.w) else {
            return Visibility::Visible;
        };
        let dest_ns = match dest {
            Dest::Service(si) => c.services[*si].namespace.clone(),
            Dest::Entry(ei) => c.mesh.service_entries[*ei].meta.namespace.clone(),
        };
        let visible = sc.spec.egress.is_empty()
            || sc.spec.egress.iter().any(|l| {
                l.hosts.iter().any(|h| {
                    let (ns, dns) = routing::split_server_host(h);
                    let ns_ok = ns == "*" || (ns == "." && dest_ns == sc.meta.namespace) || ns == dest_ns;
                    ns_ok && ns != "~" && host_matches(&config_host(dns, &dest_ns), fqdn)
                })
            });
        let registry_only =
            sc.spec.outbound_traffic_policy.as_ref().and_then(|p| p.mode.as_deref()) == Some("REGISTRY_ONLY");
        if visible {
            self.step(
                "sidecar",
                format!("{} imports {fqdn} (egress hosts)", sc.meta.describe()),
                Some(sc.meta.loc.clone()),
            );
            return Visibility::Visible;
        }
        if registry_only {
            self.fail(
                "sidecar",
                format!(
                    "{} does not import {fqdn} and its outboundTrafficPolicy is REGISTRY_ONLY: the sidecar sends the request to the BlackHoleCluster (502)",
                    sc.meta.describe()
                ),
                Some(sc.meta.loc.clone()),
                502,
                "blackhole",
            );
            return Visibility::Blackhole;
        }
        self.step(
            "sidecar",
            format!(
                "{} does not import {fqdn}: the sidecar has no route for it and passes the connection through unchanged (PassthroughCluster, outboundTrafficPolicy ALLOW_ANY); VirtualServices and DestinationRules do not apply",
                sc.meta.describe()
            ),
            Some(sc.meta.loc.clone()),
        );
        Visibility::Passthrough
    }
}
