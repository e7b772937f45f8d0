//! `simulate`: one request through the mesh, step by step.
//!
//! client sidecar → host resolution → (Sidecar visibility) → VirtualService / HTTPRoute
//! rule → faults, rewrites, mirrors → weighted destinations → DestinationRule (subset,
//! traffic policy) → endpoints → TLS the client sends vs what PeerAuthentication lets the
//! server accept → AuthorizationPolicy → NetworkPolicy → verdict.
//!
//! A request can split (weights, a fault that hits a percentage of requests, several
//! endpoints); every branch is followed with its fraction of the requests and ends in a
//! status. The outcome's status is the one most requests get; `destinations` are the
//! workloads that receive requests, with their share of the delivered ones. docs/mesh.md
//! has the details and the decisions where Istio's documentation leaves room.

use super::gateway_api::{self, GwReq};
use super::host::{self, config_host, find_entry, find_service, host_matches, resolve, Resolved};
use super::inject::sidecar_injected;
use super::request::{parse_url, Request, Scheme, Source, Url};
use super::routing::{self, Context, Found, Req};
use super::security::{self, AuthzInput};
use super::types::*;
use super::{exported_to, idx, key, labels_match, MeshObject, ObjRef, ROOT_NAMESPACE};
use crate::conn::Protocol;
use crate::diagnostics::Location;
use crate::model::{Cluster, Labels, Namespace, Service, TargetPort, Workload, NAMESPACE_NAME_LABEL};
use crate::netpol::explain::{explain, Target};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;

/// The result of a simulated request, in the shape of `netplay mesh request --format json`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Outcome {
    /// What the client sees: 200 delivered, 403 denied by an AuthorizationPolicy, 503 no
    /// connection (no endpoints, mTLS mismatch, NetworkPolicy drop), 404 no route, or the
    /// status of a redirect, direct response or injected abort. When requests split, the
    /// status most of them get.
    pub status: u16,
    /// The workloads that receive the request, with their share of the delivered
    /// requests (summing to 1); empty when nothing is delivered.
    pub destinations: Vec<Delivery>,
    pub trace: Vec<TraceStep>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Delivery {
    /// `namespace/name[Kind]`, or `host[External]` / `a-a[External]` outside the mesh.
    pub workload: String,
    pub subset: Option<String>,
    pub share: f64,
    /// What the connection to this workload carries: `mTLS`, `TLS` (DestinationRule
    /// SIMPLE/MUTUAL) or `plaintext`. Not part of the JSON contract; the playground draws
    /// it as a padlock.
    #[serde(skip)]
    pub tls: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TraceStep {
    pub step: String,
    pub detail: String,
    /// Where in the input the step's decision comes from, when one object decides.
    #[serde(skip)]
    pub loc: Option<Location>,
}

/// Simulates a request. `Err` when it cannot be simulated at all: an unreadable URL or a
/// source that names no workload of the input.
pub fn simulate(cluster: &Cluster, req: &Request) -> Result<Outcome, String> {
    let url = parse_url(&req.url)?;
    match &req.source {
        Source::Workload(q) => {
            let w = cluster.find_workload(q)?;
            let wi = cluster
                .workloads
                .iter()
                .position(|x| std::ptr::eq(x, w))
                .ok_or_else(|| format!("no workload named {q:?}"))?;
            let mut sim = Sim::new(cluster, url.scheme != Scheme::Tcp);
            sim.start_at_workload(wi, &url, req);
            Ok(sim.finish())
        }
        Source::External => Ok(external(cluster, &url, req)),
        Source::MeshClient(ns) => simulate_from_mesh(cluster, ns, req),
    }
}

/// Simulates a request from a virtual injected client (no labels, service account
/// `default`) in `namespace`: what "a sidecar of that namespace" sees.
pub(crate) fn simulate_from_mesh(cluster: &Cluster, namespace: &str, req: &Request) -> Result<Outcome, String> {
    let url = parse_url(&req.url)?;
    if namespace.trim().is_empty() {
        return Err("mesh: needs a namespace, e.g. mesh:default".to_string());
    }
    let (aug, wi) = with_virtual(cluster, virtual_workload(namespace, "mesh-client", Labels::new(), None));
    let mut sim = Sim::new(&aug, url.scheme != Scheme::Tcp);
    sim.step(
        "source",
        format!(
            "a virtual client with a sidecar in namespace {namespace} ({}; no labels, service account default)",
            aug.workloads[wi].endpoint_name()
        ),
        None,
    );
    let client = Client {
        w: wi,
        proxy: Proxy::Sidecar,
        ctx: Context::Mesh,
    };
    sim.outbound(&client, &url, req);
    Ok(sim.finish())
}

fn virtual_workload(namespace: &str, name: &str, labels: Labels, sa: Option<String>) -> Workload {
    Workload {
        namespace: namespace.to_string(),
        name: name.to_string(),
        kind: "Virtual".to_string(),
        labels,
        annotations: Labels::new(),
        ports: Vec::new(),
        host_network: false,
        service_account: sa,
        loc: Location::new("(virtual)", 1, 1),
    }
}

/// A copy of the cluster with one more workload (and its namespace, if new).
fn with_virtual(cluster: &Cluster, w: Workload) -> (Cluster, usize) {
    let mut c = cluster.clone();
    if c.namespace(&w.namespace).is_none() {
        c.namespaces.push(Namespace {
            name: w.namespace.clone(),
            labels: Labels::from([(NAMESPACE_NAME_LABEL.to_string(), w.namespace.clone())]),
            loc: None,
        });
        c.namespaces.sort_by(|a, b| a.name.cmp(&b.name));
    }
    c.workloads.push(w);
    let i = c.workloads.len() - 1;
    (c, i)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proxy {
    /// No sidecar: the application's connection goes out as is (kube-proxy).
    None,
    Sidecar,
    Gateway,
}

struct Client {
    /// Index into the (possibly augmented) cluster's workloads.
    w: usize,
    proxy: Proxy,
    ctx: Context,
}

/// How one branch of the request ends.
struct Leaf {
    fraction: f64,
    status: u16,
    dest: Option<(String, Option<String>)>,
    why: String,
}

/// The request as it travels: rewrites and header changes apply to it.
#[derive(Clone)]
struct View {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// The Host header (may carry a port).
    authority: String,
    /// The port the client addresses (a Service or gateway port).
    port: u16,
    scheme: &'static str,
    http: bool,
}

impl View {
    fn new(url: &Url, req: &Request) -> View {
        let authority = req
            .header("host")
            .map(str::to_string)
            .unwrap_or_else(|| url.authority());
        View {
            method: req.method.clone(),
            path: url.path.clone(),
            query: url.query.clone(),
            headers: req.headers.iter().filter(|(k, _)| k != "host").cloned().collect(),
            authority,
            port: url.port,
            scheme: match url.scheme {
                Scheme::Https => "https",
                _ => "http",
            },
            http: url.scheme != Scheme::Tcp,
        }
    }

    /// The Host header without a port, lower-cased.
    fn host(&self) -> String {
        let a = self.authority.to_ascii_lowercase();
        if a.starts_with('[') {
            return a
                .split(']')
                .next()
                .unwrap_or_default()
                .trim_start_matches('[')
                .to_string();
        }
        match a.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
            _ => a,
        }
    }

    fn apply_headers(&mut self, ops: &HeaderOperations) -> Vec<String> {
        let mut done = Vec::new();
        for r in &ops.remove {
            self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(r));
            done.push(format!("remove {r}"));
        }
        for (k, v) in &ops.set {
            self.headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            self.headers.push((k.to_ascii_lowercase(), v.clone()));
            done.push(format!("set {k}: {v}"));
        }
        for (k, v) in &ops.add {
            self.headers.push((k.to_ascii_lowercase(), v.clone()));
            done.push(format!("add {k}: {v}"));
        }
        done
    }
}

/// The application protocol of a port, from `appProtocol` or the name's prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AppProto {
    Http,
    Tcp,
    Tls,
    Unknown,
}

fn app_proto(name: Option<&str>, app_protocol: Option<&str>) -> (AppProto, String) {
    let classify = |p: &str| -> AppProto {
        match p.to_ascii_lowercase().as_str() {
            "http" | "http2" | "grpc" | "grpc-web" | "h2c" | "kubernetes.io/h2c" => AppProto::Http,
            "https" | "tls" => AppProto::Tls,
            "tcp" | "mongo" | "mysql" | "redis" | "kubernetes.io/ws" | "kubernetes.io/wss" => AppProto::Tcp,
            _ => AppProto::Unknown,
        }
    };
    if let Some(a) = app_protocol {
        return (classify(a), format!("appProtocol {a}"));
    }
    if let Some(n) = name {
        let prefix = n.split('-').next().unwrap_or(n);
        let p = classify(prefix);
        if p != AppProto::Unknown {
            return (p, format!("port name {n:?}"));
        }
        return (AppProto::Unknown, format!("port name {n:?} names no protocol"));
    }
    (AppProto::Unknown, "the port has no name or appProtocol".to_string())
}

/// What is being addressed.
#[derive(Clone, Debug)]
enum Dest {
    Service(usize),
    Entry(usize),
}

/// One endpoint of a destination.
enum Ep {
    Workload {
        w: usize,
        port: u16,
    },
    External {
        name: String,
        ip: Option<IpAddr>,
        port: u16,
    },
}

/// Whether a Sidecar resource lets the client's sidecar route to a host.
enum Visibility {
    Visible,
    /// Not imported, REGISTRY_ONLY: 502.
    Blackhole,
    /// Not imported, ALLOW_ANY: passed through like a client without sidecar.
    Passthrough,
}

/// What the client sends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sends {
    Plaintext,
    Mtls,
    /// TLS with user certificates (DestinationRule SIMPLE or MUTUAL).
    Tls(TlsMode),
}

/// A DestinationRule, or the merge of those for the same host in one namespace.
struct MergedDr<'c> {
    objs: Vec<&'c ObjRef>,
    traffic_policy: Option<(&'c TrafficPolicy, &'c ObjRef)>,
    subsets: Vec<(&'c Subset, &'c ObjRef, usize)>,
}

struct Sim<'c> {
    cluster: &'c Cluster,
    trace: Vec<TraceStep>,
    leaves: Vec<Leaf>,
    /// What the client sends to each server workload reached (endpoint name → kind).
    tls: BTreeMap<String, &'static str>,
    /// Label of the branch being followed, prefixed to the details of its steps.
    prefix: String,
    http: bool,
}

fn pct(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round())
    } else {
        format!("{:.2}%", p).replace(".00%", "%")
    }
}

fn principal(w: &Workload) -> String {
    format!(
        "cluster.local/ns/{}/sa/{}",
        w.namespace,
        w.service_account.as_deref().unwrap_or("default")
    )
}

fn at(loc: &Location) -> String {
    format!("{}:{}", loc.file, loc.line)
}

fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl<'c> Sim<'c> {
    fn new(cluster: &'c Cluster, http: bool) -> Self {
        Sim {
            cluster,
            trace: Vec::new(),
            leaves: Vec::new(),
            tls: BTreeMap::new(),
            prefix: String::new(),
            http,
        }
    }

    fn step(&mut self, step: &str, detail: String, loc: Option<Location>) {
        self.trace.push(TraceStep {
            step: step.to_string(),
            detail: format!("{}{detail}", self.prefix),
            loc,
        });
    }

    fn leaf(&mut self, fraction: f64, status: u16, dest: Option<(String, Option<String>)>, why: impl Into<String>) {
        // A TCP client sees a connection or none.
        let status = if !self.http && status != 200 { 503 } else { status };
        self.leaves.push(Leaf {
            fraction,
            status,
            dest,
            why: why.into(),
        });
    }

    // ------------------------------------------------------------------ the client

    fn start_at_workload(&mut self, wi: usize, url: &Url, req: &Request) {
        let c = self.cluster;
        let w = &c.workloads[wi];
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
            w: wi,
            proxy,
            ctx: Context::Mesh,
        };
        self.outbound(&client, url, req);
    }

    /// A request leaving a workload (with or without sidecar) for the host of the URL.
    fn outbound(&mut self, client: &Client, url: &Url, req: &Request) {
        let c = self.cluster;
        let cw = &c.workloads[client.w];
        let mut view = View::new(url, req);
        let Some((fqdn, resolved)) = resolve(c, &url.host, &cw.namespace) else {
            self.step(
                "host",
                format!(
                    "{} does not resolve: no Service (name.namespace.svc.cluster.local) and no ServiceEntry host visible from namespace {} matches it, so the DNS lookup fails and no connection is made",
                    url.host, cw.namespace
                ),
                None,
            );
            self.leaf(1.0, 503, None, format!("unknown host {}", url.host));
            return;
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
        // The port and its protocol.
        let proto = match &dest {
            Dest::Service(si) => {
                let s = &c.services[si.to_owned()];
                let Some(sp) = s
                    .ports
                    .iter()
                    .find(|p| p.port == url.port && p.protocol == Protocol::Tcp)
                else {
                    let ports: Vec<String> = s.ports.iter().map(|p| format!("{}/{}", p.port, p.protocol)).collect();
                    self.step(
                        "port",
                        format!(
                            "Service {}/{} has no TCP port {} (ports: {}): nothing answers there",
                            s.namespace,
                            s.name,
                            url.port,
                            if ports.is_empty() {
                                "none".to_string()
                            } else {
                                ports.join(", ")
                            }
                        ),
                        Some(s.loc.clone()),
                    );
                    self.leaf(1.0, 503, None, "no such port");
                    return;
                };
                app_proto(sp.name.as_deref(), sp.app_protocol.as_deref())
            }
            Dest::Entry(ei) => {
                let e = &c.mesh.service_entries[*ei];
                match e.spec.ports.iter().find(|p| p.number == u32::from(url.port)) {
                    Some(p) => {
                        let (proto, _) = app_proto(p.name.as_deref(), p.protocol.as_deref());
                        let how = match &p.protocol {
                            Some(x) => format!("ServiceEntry port protocol {x}"),
                            None => "the ServiceEntry port has no protocol".to_string(),
                        };
                        (proto, how)
                    }
                    None if e.spec.ports.is_empty() => (AppProto::Unknown, "the ServiceEntry lists no ports".into()),
                    None => {
                        self.step(
                            "port",
                            format!(
                                "{} has no port {}: the sidecar has no listener for it",
                                e.meta.describe(),
                                url.port
                            ),
                            Some(e.meta.loc.clone()),
                        );
                        self.leaf(1.0, 503, None, "no such port");
                        return;
                    }
                }
            }
        };
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

        if client.proxy == Proxy::None {
            self.direct(client, &dest, &view);
            return;
        }
        // A Sidecar resource can hide the host.
        if client.proxy == Proxy::Sidecar {
            match self.sidecar_allows(client, &dest, &fqdn) {
                Visibility::Visible => {}
                Visibility::Blackhole => return,
                Visibility::Passthrough => {
                    let plain = Client {
                        w: client.w,
                        proxy: Proxy::None,
                        ctx: Context::Mesh,
                    };
                    self.direct(&plain, &dest, &view);
                    return;
                }
            }
        }
        if http {
            if let Dest::Service(si) = dest {
                if self.gamma(client, si, &view) {
                    return;
                }
            }
            match routing::select_for_sidecar(&c.mesh, &fqdn, &cw.namespace) {
                None => {
                    self.step(
                        "virtual-service",
                        format!(
                            "no VirtualService for {fqdn} applies to sidecars in namespace {}: the default route sends requests to every endpoint",
                            cw.namespace
                        ),
                        None,
                    );
                    self.default_route(client, &dest, 1.0, &view);
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
                    self.http_routes(client, &order, &view);
                }
            }
        } else {
            self.tcp_routing(client, &dest, &fqdn, &view);
        }
    }

    /// Without a client sidecar: kube-proxy (Service) or DNS (ServiceEntry) decides.
    fn direct(&mut self, client: &Client, dest: &Dest, view: &View) {
        let c = self.cluster;
        match dest {
            Dest::Service(si) => {
                self.step(
                    "routing",
                    "plain Kubernetes Service routing: kube-proxy sends each connection to one of the Service's endpoints".into(),
                    None,
                );
                self.endpoints_and_connect(
                    client,
                    dest,
                    &c.services[*si].namespace.clone(),
                    view.port,
                    None,
                    None,
                    1.0,
                    view,
                );
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
                self.endpoints_and_connect(
                    client,
                    dest,
                    &e.meta.namespace.clone(),
                    view.port,
                    None,
                    None,
                    1.0,
                    view,
                );
            }
        }
    }

    /// The Sidecar resource of the client, if any, must import the host.
    fn sidecar_allows(&mut self, client: &Client, dest: &Dest, fqdn: &str) -> Visibility {
        let c = self.cluster;
        let w = &c.workloads[client.w];
        let mut in_ns: Vec<&MeshObject<SidecarSpec>> = c
            .mesh
            .sidecars
            .iter()
            .filter(|s| s.meta.namespace == w.namespace)
            .collect();
        in_ns.sort_by(|a, b| a.meta.age_key().cmp(&b.meta.age_key()));
        let chosen = in_ns
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
                root.sort_by(|a, b| a.meta.age_key().cmp(&b.meta.age_key()));
                root.first().copied()
            });
        let Some(sc) = chosen else { return Visibility::Visible };
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
            self.step(
                "sidecar",
                format!(
                    "{} does not import {fqdn} and its outboundTrafficPolicy is REGISTRY_ONLY: the sidecar sends the request to the BlackHoleCluster (502)",
                    sc.meta.describe()
                ),
                Some(sc.meta.loc.clone()),
            );
            self.leaf(1.0, 502, None, "blackhole");
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

    // ------------------------------------------------------------------ routing

    /// Evaluates HTTP routes in order; the first that matches decides.
    fn http_routes(&mut self, client: &Client, order: &[(usize, usize)], view: &View) {
        let c = self.cluster;
        let cw = &c.workloads[client.w];
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
            None => {
                self.step(
                    "route",
                    "no HTTP route matches the request: Envoy answers 404 (NR, no route)".into(),
                    None,
                );
                self.leaf(1.0, 404, None, "no route");
            }
            Some(f) => self.apply_http_route(client, &f, view.clone()),
        }
    }

    fn apply_http_route(&mut self, client: &Client, f: &Found, mut view: View) {
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
        let vs_ns = vs.meta.namespace.clone();
        if let Some(r) = &route.redirect {
            let status = r.redirect_code.and_then(|c| u16::try_from(c).ok()).unwrap_or(301);
            let scheme = r.scheme.clone().unwrap_or_else(|| view.scheme.to_string());
            let authority = r.authority.clone().unwrap_or_else(|| view.host());
            let port = r.port.map(|p| format!(":{p}")).unwrap_or_default();
            let path = r.uri.clone().unwrap_or_else(|| view.path.clone());
            self.step(
                "redirect",
                format!("the route redirects: {status} with Location {scheme}://{authority}{port}{path}"),
                Some(vs.meta.locate(&[key("spec"), key("http"), idx(rr), key("redirect")])),
            );
            self.leaf(1.0, status, None, "redirect");
            return;
        }
        if let Some(d) = &route.direct_response {
            let body = d
                .body
                .as_ref()
                .and_then(|b| b.get("string"))
                .and_then(|s| s.as_str())
                .map(|s| format!(" with body {s:?}"))
                .unwrap_or_default();
            self.step(
                "direct-response",
                format!("the route answers directly: {}{body}", d.status),
                Some(
                    vs.meta
                        .locate(&[key("spec"), key("http"), idx(rr), key("directResponse")]),
                ),
            );
            let status = u16::try_from(d.status).unwrap_or(500);
            self.leaf(1.0, status, None, "direct response");
            return;
        }
        if let Some(h) = route.headers.as_ref().and_then(|h| h.request.as_ref()) {
            let done = view.apply_headers(h);
            if !done.is_empty() {
                self.step("headers", format!("request headers: {}", done.join(", ")), None);
            }
        }
        if let Some(rw) = &route.rewrite {
            let mut what = Vec::new();
            if let Some(u) = &rw.uri {
                let matched_prefix = f
                    .matched
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
        let mut remaining = 1.0;
        let floc = vs.meta.locate(&[key("spec"), key("http"), idx(rr), key("fault")]);
        if let Some(fault) = &route.fault {
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
            if let Some(a) = &fault.abort {
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
                    Some(floc.clone()),
                );
                if p > 0.0 {
                    self.leaf(p, status, None, "fault abort");
                    remaining -= p;
                }
            }
        }
        if let Some(t) = &route.timeout {
            let note = if route.fault.is_some() {
                " (not enabled: the route injects faults)"
            } else {
                ""
            };
            self.step("timeout", format!("{t}{note}"), None);
        }
        if let Some(r) = &route.retries {
            let note = if route.fault.is_some() {
                " (not enabled: the route injects faults)"
            } else {
                ""
            };
            let mut parts = vec![format!("{} attempts", r.attempts.unwrap_or(0))];
            if let Some(t) = &r.per_try_timeout {
                parts.push(format!("perTryTimeout {t}"));
            }
            if let Some(o) = &r.retry_on {
                parts.push(format!("retryOn {o}"));
            }
            self.step("retries", format!("{}{note}", parts.join(", ")), None);
        }
        // Mirrors.
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
            self.mirror(client, &vs_ns, m, p);
        }
        if remaining <= 1e-12 {
            return;
        }
        if route.route.is_empty() {
            self.step("route", "the rule has no destinations".into(), None);
            self.leaf(remaining, 503, None, "no destination");
            return;
        }
        let dests: Vec<(Destination, Option<i32>, Option<&HeaderOperations>)> = route
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
        self.weighted(client, &vs_ns, &dests, remaining, &view);
    }

    /// Splits `fraction` of the requests over weighted destinations.
    fn weighted(
        &mut self,
        client: &Client,
        config_ns: &str,
        dests: &[(Destination, Option<i32>, Option<&HeaderOperations>)],
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
    fn default_route(&mut self, client: &Client, dest: &Dest, fraction: f64, view: &View) {
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

    fn tcp_routing(&mut self, client: &Client, dest: &Dest, fqdn: &str, view: &View) {
        let c = self.cluster;
        let cw = &c.workloads[client.w];
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
        match self.match_tcp_route(client, client.w, v, view) {
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
                let dests: Vec<_> = vs.spec.tcp[r]
                    .route
                    .iter()
                    .map(|d| (d.destination.clone(), d.weight, None))
                    .collect();
                if dests.is_empty() {
                    self.leaf(1.0, 503, None, "no destination");
                    return;
                }
                let ns = vs.meta.namespace.clone();
                self.weighted(client, &ns, &dests, 1.0, view);
            }
        }
    }

    /// The tcp route of VirtualService `v` for a connection from workload `wi`, recording
    /// why each earlier route did not match.
    fn match_tcp_route(&mut self, client: &Client, wi: usize, v: usize, view: &View) -> Option<usize> {
        let c = self.cluster;
        let cw = &c.workloads[wi];
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

    /// Gateway API mesh routes (GAMMA) attached to the Service. Returns whether they
    /// decided the request.
    fn gamma(&mut self, client: &Client, si: usize, view: &View) -> bool {
        let c = self.cluster;
        let svc = &c.services[si];
        let cns = c.workloads[client.w].namespace.clone();
        let routes: Vec<usize> = c
            .mesh
            .http_routes
            .iter()
            .enumerate()
            .filter(|(_, r)| gateway_api::attached_to_service(r, svc, &cns))
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
    fn gw_api_routes(&mut self, client: &Client, routes: &[usize], view: &View) {
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
                    self.apply_gw_rule(client, r, ri, view.clone());
                    return;
                }
            }
        }
        self.step("route", "no HTTPRoute rule matches: 404".into(), None);
        self.leaf(1.0, 404, None, "no route");
    }

    fn apply_gw_rule(&mut self, client: &Client, r: usize, ri: usize, mut view: View) {
        let c = self.cluster;
        let route = &c.mesh.http_routes[r];
        let Some(rule) = route.spec.rules.get(ri) else { return };
        let rns = route.meta.namespace.clone();
        for f in &rule.filters {
            match f.kind.as_str() {
                "RequestRedirect" => {
                    let rd = f.request_redirect.clone().unwrap_or_default();
                    let status = rd.status_code.and_then(|c| u16::try_from(c).ok()).unwrap_or(302);
                    let scheme = rd.scheme.unwrap_or_else(|| view.scheme.to_string());
                    let hostname = rd.hostname.unwrap_or_else(|| view.host());
                    self.step(
                        "redirect",
                        format!("RequestRedirect: {status} to {scheme}://{hostname}"),
                        None,
                    );
                    self.leaf(1.0, status, None, "redirect");
                    return;
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
                            host: host::service_fqdn(b.namespace.as_deref().unwrap_or(&rns), &b.name),
                            subset: None,
                            port: b.port.map(|n| PortSelector { number: Some(n) }),
                        };
                        let p = m.percent.map_or(1.0, |p| f64::from(p) / 100.0);
                        self.mirror(client, &rns, &d, p);
                    }
                }
                other => self.step("filter", format!("{other} filter (recorded, not simulated)"), None),
            }
        }
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
            let ns = b.namespace.clone().unwrap_or_else(|| rns.clone());
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
            if ns != rns {
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
        if rule.backend_refs.is_empty() {
            self.step("destination", "the rule has no backendRefs: 500".into(), None);
            self.leaf(1.0, 500, None, "no backends");
            return;
        }
        if invalid > 0.0 {
            self.leaf(invalid, 500, None, "invalid backend");
        }
        if !dests.is_empty() {
            let rest = 1.0 - invalid;
            let cfg = rns.clone();
            self.weighted(client, &cfg, &dests, rest, &view);
        }
    }

    fn mirror(&mut self, client: &Client, config_ns: &str, d: &Destination, p: f64) {
        let c = self.cluster;
        let host = config_host(&d.host, config_ns);
        let cns = c.workloads[client.w].namespace.clone();
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
        } else if find_entry(&c.mesh.service_entries, &host, &cns).is_some() {
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

    // ------------------------------------------------------------------ destinations

    /// The DestinationRule for `host` as seen from the client: the client's namespace,
    /// then the service's, then the root namespace; only rules exported to the client.
    fn destination_rule(&self, client: &Client, host: &str, svc_ns: &str) -> Option<MergedDr<'c>> {
        let c = self.cluster;
        let cw = &c.workloads[client.w];
        let mut lookup = vec![cw.namespace.clone(), svc_ns.to_string(), ROOT_NAMESPACE.to_string()];
        lookup.dedup();
        let mut seen = Vec::new();
        for ns in lookup {
            if seen.contains(&ns) {
                continue;
            }
            seen.push(ns.clone());
            let mut cands: Vec<(&MeshObject<DestinationRuleSpec>, String)> = c
                .mesh
                .destination_rules
                .iter()
                .filter(|d| d.meta.namespace == ns && exported_to(&d.spec.export_to, &ns, &cw.namespace))
                .filter(|d| {
                    d.spec
                        .workload_selector
                        .as_ref()
                        .is_none_or(|s| d.meta.namespace == cw.namespace && labels_match(&s.labels, &cw.labels))
                })
                .map(|d| (d, config_host(&d.spec.host, &ns)))
                .filter(|(_, h)| host_matches(h, host))
                .collect();
            if cands.is_empty() {
                continue;
            }
            let best = cands.iter().map(|(_, h)| host::specificity(h)).max()?;
            cands.retain(|(_, h)| host::specificity(h) == best);
            let pattern = cands.first().map(|(_, h)| h.clone())?;
            cands.retain(|(_, h)| *h == pattern);
            cands.sort_by(|a, b| a.0.meta.age_key().cmp(&b.0.meta.age_key()));
            let mut merged = MergedDr {
                objs: Vec::new(),
                traffic_policy: None,
                subsets: Vec::new(),
            };
            for (d, _) in cands {
                merged.objs.push(&d.meta);
                if merged.traffic_policy.is_none() {
                    if let Some(tp) = &d.spec.traffic_policy {
                        merged.traffic_policy = Some((tp, &d.meta));
                    }
                }
                for (i, s) in d.spec.subsets.iter().enumerate() {
                    if !merged.subsets.iter().any(|(x, _, _)| x.name == s.name) {
                        merged.subsets.push((s, &d.meta, i));
                    }
                }
            }
            return Some(merged);
        }
        None
    }

    /// Follows `fraction` of the requests to one route destination.
    fn route_to(&mut self, client: &Client, config_ns: &str, d: &Destination, fraction: f64, view: &View) {
        let c = self.cluster;
        let cw = &c.workloads[client.w];
        let host = config_host(&d.host, config_ns);
        let dest = match find_service(c, &host) {
            Some(si) => Dest::Service(si),
            None => match find_entry(&c.mesh.service_entries, &host, &cw.namespace) {
                Some((ei, _)) => Dest::Entry(ei),
                None => {
                    self.step(
                        "destination",
                        format!(
                            "{host} is neither a Service of the input nor a ServiceEntry host visible from namespace {}: Envoy has no cluster for it (503 NC)",
                            cw.namespace
                        ),
                        None,
                    );
                    self.leaf(fraction, 503, None, "unknown destination host");
                    return;
                }
            },
        };
        let (dns, ports): (String, Vec<u16>) = match &dest {
            Dest::Service(si) => {
                let s = &c.services[*si];
                (s.namespace.clone(), s.ports.iter().map(|p| p.port).collect())
            }
            Dest::Entry(ei) => {
                let e = &c.mesh.service_entries[*ei];
                (
                    e.meta.namespace.clone(),
                    e.spec
                        .ports
                        .iter()
                        .filter_map(|p| u16::try_from(p.number).ok())
                        .collect(),
                )
            }
        };
        let port = match d.port.as_ref().and_then(|p| p.number) {
            Some(n) => u16::try_from(n).unwrap_or(0),
            None if ports.contains(&view.port) || ports.is_empty() => view.port,
            None if ports.len() == 1 => ports[0],
            None => view.port,
        };
        if !ports.is_empty() && !ports.contains(&port) {
            self.step(
                "destination",
                format!("{host} has no port {port}: Envoy has no cluster for it (503 NC)"),
                None,
            );
            self.leaf(fraction, 503, None, "no such port");
            return;
        }
        // DestinationRule.
        let dr = self.destination_rule(client, &host, &dns);
        match &dr {
            None => self.step(
                "destination-rule",
                format!(
                    "none for {host} on the lookup path (client namespace {}, service namespace {dns}, root namespace {ROOT_NAMESPACE})",
                    cw.namespace
                ),
                None,
            ),
            Some(m) => {
                let names: Vec<String> = m.objs.iter().map(|o| o.describe()).collect();
                let where_ = m.objs.first().map(|o| o.namespace.clone()).unwrap_or_default();
                let which = if where_ == cw.namespace {
                    "the client's namespace"
                } else if where_ == dns {
                    "the service's namespace"
                } else {
                    "the root namespace"
                };
                let merged = if names.len() > 1 { " (merged: the first definition of each subset and of the top-level trafficPolicy wins)" } else { "" };
                self.step(
                    "destination-rule",
                    format!("{} for {host}, found in {which}{merged}", names.join(" + ")),
                    m.objs.first().map(|o| o.loc.clone()),
                );
            }
        }
        // Subset.
        let mut subset_labels = None;
        let mut subset_policy: Option<(&TrafficPolicy, &ObjRef, usize)> = None;
        if let Some(name) = &d.subset {
            let found = dr
                .as_ref()
                .and_then(|m| m.subsets.iter().find(|(s, _, _)| s.name == *name).copied());
            match found {
                None => {
                    self.step(
                        "subset",
                        format!(
                            "subset {name} is not defined by a DestinationRule for {host} on the lookup path: Envoy has no cluster for it (503 NC)"
                        ),
                        None,
                    );
                    self.leaf(fraction, 503, None, "unknown subset");
                    return;
                }
                Some((s, obj, i)) => {
                    let loc = obj.locate(&[key("spec"), key("subsets"), idx(i)]);
                    self.step(
                        "subset",
                        format!(
                            "{name} = pods labelled {{{}}} ({} {})",
                            s.labels
                                .iter()
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect::<Vec<_>>()
                                .join(","),
                            obj.id(),
                            at(&loc)
                        ),
                        Some(loc),
                    );
                    subset_labels = Some(s.labels.clone());
                    if let Some(tp) = &s.traffic_policy {
                        subset_policy = Some((tp, obj, i));
                    }
                }
            }
        }
        // Traffic policy: top level, its port-level settings, the subset's, its port-level.
        let mut tls: Option<(ClientTls, String)> = None;
        let mut settings: BTreeMap<&str, (String, String)> = BTreeMap::new();
        let mut apply = |tp: &TrafficPolicy, from: String, tls: &mut Option<(ClientTls, String)>| {
            let mut take = |name: &'static str, v: &Option<serde_json::Value>, from: &str| {
                if let Some(v) = v {
                    settings.insert(name, (compact(v), from.to_string()));
                }
            };
            take("loadBalancer", &tp.load_balancer, &from);
            take("connectionPool", &tp.connection_pool, &from);
            take("outlierDetection", &tp.outlier_detection, &from);
            if let Some(t) = &tp.tls {
                *tls = Some((t.clone(), from.clone()));
            }
            if let Some(pl) = tp
                .port_level_settings
                .iter()
                .find(|p| p.port.as_ref().and_then(|p| p.number) == Some(u32::from(port)))
            {
                let pf = format!("{from}, port {port}");
                take("loadBalancer", &pl.load_balancer, &pf);
                take("connectionPool", &pl.connection_pool, &pf);
                take("outlierDetection", &pl.outlier_detection, &pf);
                if let Some(t) = &pl.tls {
                    *tls = Some((t.clone(), pf));
                }
            }
        };
        if let Some((tp, obj)) = dr.as_ref().and_then(|m| m.traffic_policy) {
            apply(tp, obj.id(), &mut tls);
        }
        if let Some((tp, obj, _)) = subset_policy {
            let name = d.subset.clone().unwrap_or_default();
            apply(tp, format!("{} subset {name}", obj.id()), &mut tls);
        }
        let tls_mode = tls.as_ref().and_then(|(t, _)| {
            t.mode
                .map(|m| (m, tls.as_ref().map(|x| x.1.clone()).unwrap_or_default()))
        });
        if !settings.is_empty() || tls.is_some() {
            let mut parts: Vec<String> = Vec::new();
            if let Some((t, from)) = &tls {
                parts.push(format!("tls {} ({from})", t.mode.map_or("(no mode)", |m| m.as_str())));
            }
            for (name, (v, from)) in &settings {
                parts.push(format!("{name} {v} ({from})"));
            }
            self.step("traffic-policy", parts.join("; "), None);
        }
        let subset = d.subset.clone().zip(subset_labels);
        self.endpoints_and_connect(client, &dest, &dns, port, subset.as_ref(), tls_mode, fraction, view);
    }

    /// Finds the endpoints of a destination and connects to each (equal shares).
    #[allow(clippy::too_many_arguments)]
    fn endpoints_and_connect(
        &mut self,
        client: &Client,
        dest: &Dest,
        dest_ns: &str,
        port: u16,
        subset: Option<&(String, BTreeMap<String, String>)>,
        tls_mode: Option<(TlsMode, String)>,
        fraction: f64,
        view: &View,
    ) {
        let c = self.cluster;
        let subset_name = subset.map(|(n, _)| n.clone());
        let subset = subset.map(|(_, l)| l);
        let mut eps: Vec<Ep> = Vec::new();
        let mut external_mesh = false;
        match dest {
            Dest::Service(si) => {
                let svc = &c.services[*si];
                if svc.selector.is_none() {
                    self.step(
                        "endpoints",
                        format!(
                            "Service {}/{} has no selector: its endpoints are managed outside the input, and netplay cannot see them (503, no healthy upstream)",
                            svc.namespace, svc.name
                        ),
                        Some(svc.loc.clone()),
                    );
                    self.leaf(fraction, 503, None, "no endpoints");
                    return;
                }
                for (w, p) in service_endpoints(c, svc, subset, Some(u32::from(port))) {
                    eps.push(Ep::Workload { w, port: p });
                }
            }
            Dest::Entry(ei) => {
                let e = &c.mesh.service_entries[*ei];
                external_mesh = e.spec.location.as_deref() != Some("MESH_INTERNAL");
                let se_port = e.spec.ports.iter().find(|p| p.number == u32::from(port));
                let target = se_port
                    .and_then(|p| p.target_port)
                    .and_then(|t| u16::try_from(t).ok())
                    .unwrap_or(port);
                if let Some(sel) = &e.spec.workload_selector {
                    for (w, wl) in c.workloads.iter().enumerate() {
                        if wl.namespace == e.meta.namespace
                            && labels_match(&sel.labels, &wl.labels)
                            && subset.is_none_or(|s| labels_match(s, &wl.labels))
                        {
                            eps.push(Ep::Workload { w, port: target });
                        }
                    }
                } else if !e.spec.endpoints.is_empty() {
                    for ep in &e.spec.endpoints {
                        if subset.is_some_and(|s| !labels_match(s, &ep.labels)) {
                            continue;
                        }
                        let addr = ep.address.clone().unwrap_or_default();
                        let p = se_port
                            .and_then(|sp| sp.name.as_ref())
                            .and_then(|n| ep.ports.get(n))
                            .and_then(|n| u16::try_from(*n).ok())
                            .unwrap_or(target);
                        let ip = addr.parse::<IpAddr>().ok();
                        let name = match ip {
                            Some(ip) => format!("{ip}-{ip}[External]"),
                            None => format!("{addr}[External]"),
                        };
                        eps.push(Ep::External { name, ip, port: p });
                    }
                } else if subset.is_none() {
                    let h = e.spec.hosts.first().cloned().unwrap_or_default();
                    let ip = e.spec.addresses.first().and_then(|a| a.parse::<IpAddr>().ok());
                    let how = e.spec.resolution.clone().unwrap_or_else(|| "NONE".into());
                    let name = format!("{h}[External]");
                    self.step(
                        "endpoints",
                        format!("{h}: resolution {how}, the address DNS returns for the host (outside the input)"),
                        None,
                    );
                    eps.push(Ep::External { name, ip, port: target });
                }
            }
        }
        if eps.is_empty() {
            let sel = match dest {
                Dest::Service(si) => {
                    let s = &c.services[*si];
                    let mut l = s.selector.clone().unwrap_or_default();
                    if let Some(sub) = subset {
                        l.extend(sub.clone());
                    }
                    format!(
                        "no pod of namespace {} is labelled {{{}}} with port {port} as target: no healthy upstream (503 UH)",
                        s.namespace,
                        l.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
                    )
                }
                Dest::Entry(_) => {
                    "the ServiceEntry has no endpoint for this subset: no healthy upstream (503 UH)".to_string()
                }
            };
            self.step("endpoints", sel, None);
            self.leaf(fraction, 503, None, "no endpoints");
            return;
        }
        let names: Vec<String> = eps
            .iter()
            .map(|e| match e {
                Ep::Workload { w, port } => format!("{} (port {port})", c.workloads[*w].endpoint_name()),
                Ep::External { name, port, .. } => format!("{name} (port {port})"),
            })
            .collect();
        let share = if eps.len() > 1 {
            " — each workload counts as one endpoint"
        } else {
            ""
        };
        self.step("endpoints", format!("{}{share}", names.join(", ")), None);
        let n = eps.len() as f64;
        let svc_ns = dest_ns.to_string();
        for ep in eps {
            let before = self.prefix.clone();
            if n > 1.0 {
                let name = match &ep {
                    Ep::Workload { w, .. } => c.workloads[*w].endpoint_name(),
                    Ep::External { name, .. } => name.clone(),
                };
                self.prefix = format!("{before}[{name}] ");
            }
            self.connect(
                client,
                &ep,
                &svc_ns,
                external_mesh,
                tls_mode.clone(),
                subset_name.clone(),
                port,
                fraction / n,
                view,
            );
            self.prefix = before;
        }
    }

    /// TLS, PeerAuthentication, AuthorizationPolicy and NetworkPolicy for one endpoint.
    #[allow(clippy::too_many_arguments)]
    fn connect(
        &mut self,
        client: &Client,
        ep: &Ep,
        svc_ns: &str,
        external: bool,
        tls_mode: Option<(TlsMode, String)>,
        subset: Option<String>,
        svc_port: u16,
        fraction: f64,
        view: &View,
    ) {
        let c = self.cluster;
        let cw = &c.workloads[client.w];
        // What the client sends.
        let (sends, why) = if client.proxy == Proxy::None {
            (Sends::Plaintext, "the client has no sidecar".to_string())
        } else {
            match &tls_mode {
                Some((TlsMode::Disable, from)) => {
                    (Sends::Plaintext, format!("DestinationRule tls mode DISABLE ({from})"))
                }
                Some((TlsMode::IstioMutual, from)) => {
                    (Sends::Mtls, format!("DestinationRule tls mode ISTIO_MUTUAL ({from})"))
                }
                Some((m, from)) => (
                    Sends::Tls(*m),
                    format!("DestinationRule tls mode {} ({from})", m.as_str()),
                ),
                None => match ep {
                    Ep::External { .. } => (
                        Sends::Plaintext,
                        "auto mTLS: the destination is outside the mesh".into(),
                    ),
                    Ep::Workload { w, .. } => {
                        if external {
                            (Sends::Plaintext, "auto mTLS: the ServiceEntry is MESH_EXTERNAL".into())
                        } else if let Some((MtlsMode::Disable, id)) = security::namespace_mode(c, svc_ns) {
                            (
                                Sends::Plaintext,
                                format!("auto mTLS: PeerAuthentication {id} disables mTLS for namespace {svc_ns}"),
                            )
                        } else if sidecar_injected(c, &c.workloads[*w]).injected {
                            (
                                Sends::Mtls,
                                "auto mTLS: no DestinationRule sets tls, and the server has a sidecar".into(),
                            )
                        } else {
                            (
                                Sends::Plaintext,
                                "auto mTLS: no DestinationRule sets tls, and the server has no sidecar".into(),
                            )
                        }
                    }
                },
            }
        };
        let sends_text = match sends {
            Sends::Plaintext => "plaintext".to_string(),
            Sends::Mtls => "Istio mutual TLS".to_string(),
            Sends::Tls(m) => format!("TLS originated by the sidecar ({})", m.as_str()),
        };
        self.step("tls", format!("the client sends {sends_text}: {why}"), None);
        if let Ep::Workload { w, .. } = ep {
            let kind = match sends {
                Sends::Plaintext => "plaintext",
                Sends::Mtls => "mTLS",
                Sends::Tls(_) => "TLS",
            };
            self.tls.insert(c.workloads[*w].endpoint_name(), kind);
        }
        let (port, server) = match ep {
            Ep::External { name, ip, port } => {
                // Outside the mesh: only the client's egress NetworkPolicy can stop it.
                match ip {
                    Some(ip) => {
                        let e = explain(
                            c,
                            Target::Workload(client.w),
                            Target::Ip(*ip),
                            Some((Protocol::Tcp, *port)),
                        );
                        if e.probe_allowed == Some(true) {
                            self.step(
                                "network-policy",
                                format!("egress of {} to {ip} TCP {port}: allowed", cw.endpoint_name()),
                                None,
                            );
                            self.leaf(fraction, 200, Some((name.clone(), subset)), "delivered");
                        } else {
                            let text = side_text(&e.egress, &cw.endpoint_name(), "egress", &ip.to_string(), *port);
                            self.step("network-policy", format!("dropped: {text}"), None);
                            self.leaf(fraction, 503, None, "NetworkPolicy");
                        }
                    }
                    None => {
                        self.step(
                            "network-policy",
                            format!(
                                "the address of {name} is not in the input: the client's egress NetworkPolicies cannot be evaluated for it (assumed allowed)"
                            ),
                            None,
                        );
                        self.leaf(fraction, 200, Some((name.clone(), subset)), "delivered");
                    }
                }
                return;
            }
            Ep::Workload { w, port } => (*port, *w),
        };
        let sw = &c.workloads[server];
        let server_inj = sidecar_injected(c, sw);
        // What the server accepts.
        let mut identity: Option<String> = None;
        let mut tls_ok = true;
        let mut passthrough_tls = false;
        if !server_inj.injected {
            let (ok, text) = match sends {
                Sends::Mtls => (
                    false,
                    "the server has no sidecar to terminate Istio mutual TLS: the application receives a TLS handshake it does not expect and the connection fails (503)".to_string(),
                ),
                Sends::Tls(_) => (
                    true,
                    "the server has no sidecar: the application must terminate the TLS itself (netplay assumes it does)".to_string(),
                ),
                Sends::Plaintext => (
                    true,
                    "the server has no sidecar: no PeerAuthentication applies, plaintext is accepted".to_string(),
                ),
            };
            tls_ok = ok;
            self.step("peer-authentication", format!("{}: {text}", sw.endpoint_name()), None);
        } else {
            let pm = security::peer_mode(c, sw, port);
            let mode = pm.mode.as_str();
            let (ok, text) = match (sends, pm.mode) {
                (Sends::Plaintext, MtlsMode::Strict) => (false, "STRICT accepts only mutual TLS: the plaintext connection is rejected (503)".to_string()),
                (Sends::Plaintext, _) => (true, format!("{mode} accepts plaintext: allowed, but without a peer identity")),
                (Sends::Mtls, MtlsMode::Disable) => (false, "DISABLE accepts only plaintext: the mutual TLS handshake fails (503)".to_string()),
                (Sends::Mtls, _) => {
                    identity = Some(principal(cw));
                    (true, format!("{mode} accepts mutual TLS: peer identity {}", principal(cw)))
                }
                (Sends::Tls(m), MtlsMode::Strict) => (
                    false,
                    format!("STRICT requires Istio mutual TLS with a mesh certificate: TLS originated with mode {} is rejected (503)", m.as_str()),
                ),
                (Sends::Tls(_), _) => {
                    passthrough_tls = true;
                    (true, format!("{mode}: the TLS connection is not Istio mTLS, so the sidecar passes it to the application as opaque TCP (no peer identity)"))
                }
            };
            tls_ok = tls_ok && ok;
            self.step(
                "peer-authentication",
                format!("{} port {port}: {mode} from {}. {text}", sw.endpoint_name(), pm.explain),
                pm.loc,
            );
        }
        // Authorization (only a server sidecar enforces it).
        let mut denied = false;
        if tls_ok {
            if server_inj.injected {
                let host = view.host();
                let input = AuthzInput {
                    http: view.http && !passthrough_tls,
                    principal: identity.clone(),
                    method: &view.method,
                    path: &view.path,
                    host: &host,
                    port,
                    headers: &view.headers,
                };
                let r = security::authorize(c, sw, &input);
                for l in &r.lines {
                    self.step("authorization", l.clone(), None);
                }
                let proto = if input.http { "" } else { " (TCP connection)" };
                self.step("authorization", format!("{}{proto}", r.verdict), r.loc.clone());
                denied = !r.allowed;
            } else if !c.mesh.authorization_policies.is_empty() {
                self.step(
                    "authorization",
                    format!(
                        "{} has no sidecar: AuthorizationPolicies are not enforced",
                        sw.endpoint_name()
                    ),
                    None,
                );
            }
        }
        // NetworkPolicy: pod to pod on the target port, with or without sidecars.
        let e = explain(
            c,
            Target::Workload(client.w),
            Target::Workload(server),
            Some((Protocol::Tcp, port)),
        );
        let netpol_ok = e.probe_allowed == Some(true);
        let note = if client.proxy != Proxy::None && server_inj.injected {
            format!(
                " (proxy to sidecar: the client's {} connects to the pod itself, so NetworkPolicy sees pod to pod on the target port {port}{})",
                if client.proxy == Proxy::Gateway { "gateway" } else { "sidecar" },
                if svc_port != port { format!(", not the Service port {svc_port}") } else { String::new() }
            )
        } else if svc_port != port {
            format!(" (NetworkPolicy sees the target port {port}, not the Service port {svc_port})")
        } else {
            String::new()
        };
        if netpol_ok {
            let deciding = deciding_rules(&e);
            self.step(
                "network-policy",
                format!(
                    "{} → {} TCP {port}: allowed{deciding}{note}",
                    cw.endpoint_name(),
                    sw.endpoint_name()
                ),
                None,
            );
        } else {
            let text = if !e.egress.allowed.contains(Protocol::Tcp, port) {
                side_text(&e.egress, &cw.endpoint_name(), "egress", &sw.endpoint_name(), port)
            } else {
                side_text(&e.ingress, &sw.endpoint_name(), "ingress", &cw.endpoint_name(), port)
            };
            let loc = e
                .ingress
                .isolated_by
                .first()
                .or(e.egress.isolated_by.first())
                .map(|p| p.loc.clone());
            self.step("network-policy", format!("dropped: {text}{note}"), loc);
        }
        let name = sw.endpoint_name();
        match (netpol_ok, tls_ok, denied) {
            (false, _, _) => self.leaf(fraction, 503, None, "dropped by a NetworkPolicy"),
            (true, false, _) => self.leaf(fraction, 503, None, "mTLS mismatch"),
            (true, true, true) => self.leaf(fraction, 403, None, "denied by an AuthorizationPolicy"),
            (true, true, false) => self.leaf(fraction, 200, Some((name, subset)), "delivered"),
        }
    }

    // ------------------------------------------------------------------ the verdict

    fn finish(mut self) -> Outcome {
        let total: f64 = self.leaves.iter().map(|l| l.fraction).sum();
        let mut by_status: BTreeMap<u16, f64> = BTreeMap::new();
        for l in &self.leaves {
            *by_status.entry(l.status).or_default() += l.fraction;
        }
        let status = by_status
            .iter()
            .max_by(|a, b| {
                let close = (a.1 - b.1).abs() < 1e-9;
                if close {
                    // A tie: a failure wins over delivery, then the lower code.
                    (b.0 == &200).cmp(&(a.0 == &200)).then(b.0.cmp(a.0))
                } else {
                    a.1.partial_cmp(b.1).unwrap_or(std::cmp::Ordering::Equal)
                }
            })
            .map(|(s, _)| *s)
            .unwrap_or(503);
        let mut delivered: BTreeMap<(String, Option<String>), f64> = BTreeMap::new();
        for l in &self.leaves {
            if let (200, Some(d)) = (l.status, &l.dest) {
                *delivered.entry(d.clone()).or_default() += l.fraction;
            }
        }
        let delivered_total: f64 = delivered.values().sum();
        let destinations: Vec<Delivery> = delivered
            .into_iter()
            .map(|((workload, subset), f)| Delivery {
                tls: self.tls.get(&workload).map(|t| t.to_string()),
                workload,
                subset,
                share: ((f / delivered_total) * 1e6).round() / 1e6,
            })
            .collect();
        let mut summary = String::new();
        if by_status.len() > 1 || total < 1.0 - 1e-9 {
            let parts: Vec<String> = by_status
                .iter()
                .map(|(s, f)| {
                    let whys: Vec<&str> = self
                        .leaves
                        .iter()
                        .filter(|l| l.status == *s)
                        .map(|l| l.why.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    format!("{} of requests get {s} ({})", pct(*f), whys.join(", "))
                })
                .collect();
            let _ = write!(
                summary,
                "{}; the status shown is the one most requests get",
                parts.join("; ")
            );
        } else if let Some(l) = self.leaves.first() {
            summary = format!("{status} ({})", l.why);
        } else {
            summary = format!("{status}");
        }
        if !destinations.is_empty() {
            let d: Vec<String> = destinations
                .iter()
                .map(|d| {
                    format!(
                        "{}{} {}",
                        d.workload,
                        d.subset.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
                        pct(d.share)
                    )
                })
                .collect();
            let _ = write!(summary, "; delivered to {}", d.join(", "));
        }
        self.prefix.clear();
        self.step("verdict", summary, None);
        Outcome {
            status,
            destinations,
            trace: self.trace,
        }
    }
}

fn percentage(p: Option<Percent>, percent: Option<i32>) -> f64 {
    match (p, percent) {
        (Some(p), _) => (p.value / 100.0).clamp(0.0, 1.0),
        (None, Some(n)) => (f64::from(n) / 100.0).clamp(0.0, 1.0),
        (None, None) => 0.0,
    }
}

/// The workloads behind a Service (its selector, plus subset labels) that serve `port`
/// (a Service port), with the target port each listens on.
fn service_endpoints(
    c: &Cluster,
    svc: &Service,
    subset: Option<&BTreeMap<String, String>>,
    port: Option<u32>,
) -> Vec<(usize, u16)> {
    let Some(selector) = &svc.selector else {
        return Vec::new();
    };
    let sp = port.and_then(|p| svc.ports.iter().find(|sp| u32::from(sp.port) == p));
    let mut out = Vec::new();
    for (i, w) in c.workloads.iter().enumerate() {
        if w.namespace != svc.namespace || w.kind == "Virtual" {
            continue;
        }
        if !selector.iter().all(|(k, v)| w.labels.get(k) == Some(v)) {
            continue;
        }
        if subset.is_some_and(|s| !labels_match(s, &w.labels)) {
            continue;
        }
        let target = match sp.map(|p| &p.target_port) {
            None => port.and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
            Some(TargetPort::Number(n)) => *n,
            Some(TargetPort::Name(name)) => {
                match w.ports.iter().find(|cp| cp.name.as_deref() == Some(name.as_str())) {
                    Some(cp) => cp.port,
                    None => continue, // not an endpoint for this port
                }
            }
        };
        out.push((i, target));
    }
    out
}

fn header_ops_from_gw(v: &serde_json::Value) -> HeaderOperations {
    let pairs = |k: &str| -> BTreeMap<String, String> {
        v.get(k)
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((
                            e.get("name")?.as_str()?.to_string(),
                            e.get("value")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    HeaderOperations {
        set: pairs("set"),
        add: pairs("add"),
        remove: v
            .get("remove")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
    }
}

/// Why one side of a NetworkPolicy check does not admit the connection.
fn side_text(side: &crate::netpol::explain::SideExplanation, who: &str, dir: &str, peer: &str, port: u16) -> String {
    let pols: Vec<String> = side
        .isolated_by
        .iter()
        .map(|p| format!("{} ({})", p.policy, at(&p.loc)))
        .collect();
    format!(
        "{dir} of {who} is isolated by NetworkPolicy {} and no {dir} rule admits {peer} on TCP {port}",
        pols.join(", ")
    )
}

/// The rules that admit the probe, for an allowed connection.
fn deciding_rules(e: &crate::netpol::explain::Explanation) -> String {
    let mut parts = Vec::new();
    for side in [&e.egress, &e.ingress] {
        if side.isolated_by.is_empty() {
            continue;
        }
        for m in &side.admitted_by {
            let admits = crate::conn::ConnSet::parse(&m.conn).is_some_and(|c| {
                e.probe
                    .as_deref()
                    .and_then(|p| p.split_once(' '))
                    .and_then(|(_, n)| n.parse::<u16>().ok())
                    .is_some_and(|n| c.contains(Protocol::Tcp, n))
            });
            if admits {
                parts.push(format!(
                    "{} {} rule {} ({})",
                    m.policy,
                    m.direction,
                    m.rule + 1,
                    at(&m.rule_loc)
                ));
            }
        }
    }
    if parts.is_empty() {
        " (no NetworkPolicy isolates either side)".to_string()
    } else {
        format!(" by {}", parts.join(", "))
    }
}

// ---------------------------------------------------------------------- ingress

/// A request from outside the cluster, through an Istio Gateway or a Gateway API Gateway.
fn external(cluster: &Cluster, url: &Url, req: &Request) -> Outcome {
    let probe = View::new(url, req);
    let host = probe.host();
    let port = u32::from(url.port);
    let mesh = &cluster.mesh;
    // Istio Gateways, oldest first.
    let mut gws: Vec<usize> = (0..mesh.gateways.len()).collect();
    gws.sort_by(|&a, &b| mesh.gateways[a].meta.age_key().cmp(&mesh.gateways[b].meta.age_key()));
    let mut on_port = false;
    let mut chosen: Option<(usize, usize)> = None;
    'outer: for &g in &gws {
        for (si, s) in mesh.gateways[g].spec.servers.iter().enumerate() {
            if s.port.as_ref().is_some_and(|p| p.number == port) {
                on_port = true;
                if s.hosts.iter().any(|h| {
                    let (_, dns) = routing::split_server_host(h);
                    host_matches(&dns.to_ascii_lowercase(), &host)
                }) {
                    chosen = Some((g, si));
                    break 'outer;
                }
            }
        }
    }
    if let Some((g, si)) = chosen {
        return istio_gateway(cluster, g, si, url, req);
    }
    // Gateway API Gateways.
    let mut kgws: Vec<usize> = (0..mesh.k8s_gateways.len()).collect();
    kgws.sort_by(|&a, &b| {
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
                    .is_none_or(|h| host_matches(&h.to_ascii_lowercase(), &host))
                {
                    return k8s_gateway(cluster, g, li, url, req);
                }
            }
        }
    }
    let mut sim = Sim::new(cluster, url.scheme != Scheme::Tcp);
    sim.step("source", "a client outside the cluster".into(), None);
    if on_port {
        sim.step(
            "gateway",
            format!("a Gateway listens on port {port}, but no server or listener accepts host {host}: 404 (no route)"),
            None,
        );
        sim.leaf(1.0, 404, None, "unknown host at the gateway");
    } else {
        sim.step(
            "gateway",
            format!("no Gateway of the input listens on port {port}: the connection is refused"),
            None,
        );
        sim.leaf(1.0, 503, None, "no gateway on this port");
    }
    sim.finish()
}

/// The gateway workload for a selector, or a virtual one when the input has none.
fn gateway_workload(
    cluster: &Cluster,
    selector: &StrMap,
    fallback_ns: &str,
    fallback_name: &str,
) -> (Option<usize>, Workload) {
    let found = cluster
        .workloads
        .iter()
        .position(|w| !selector.is_empty() && labels_match(selector, &w.labels));
    let default_istio = selector.get("istio").map(String::as_str) == Some("ingressgateway");
    let (ns, name, sa) = if default_istio {
        (
            ROOT_NAMESPACE.to_string(),
            "istio-ingressgateway".to_string(),
            Some("istio-ingressgateway-service-account".to_string()),
        )
    } else {
        (fallback_ns.to_string(), fallback_name.to_string(), None)
    };
    (found, virtual_workload(&ns, &name, selector.clone(), sa))
}

fn istio_gateway(cluster: &Cluster, g: usize, si: usize, url: &Url, req: &Request) -> Outcome {
    let gw = &cluster.mesh.gateways[g];
    let server = &gw.spec.servers[si];
    let (found, virt) = gateway_workload(
        cluster,
        &gw.spec.selector,
        &gw.meta.namespace,
        &format!("{}-gateway", gw.meta.name),
    );
    let aug;
    let (c, wi): (&Cluster, usize) = match found {
        Some(i) => (cluster, i),
        None => {
            let (a, i) = with_virtual(cluster, virt);
            aug = a;
            (&aug, i)
        }
    };
    let mut sim = Sim::new(c, url.scheme != Scheme::Tcp);
    let gw = &c.mesh.gateways[g];
    sim.step("source", "a client outside the cluster".into(), None);
    let sloc = gw.meta.locate(&[key("spec"), key("servers"), idx(si)]);
    let proto = server
        .port
        .as_ref()
        .map(|p| p.protocol.to_ascii_uppercase())
        .unwrap_or_default();
    let selector: Vec<String> = gw.spec.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let wname = c.workloads[wi].endpoint_name();
    let virtual_note = if found.is_none() {
        " — not in the input, so netplay uses a virtual gateway workload with those labels"
    } else {
        ""
    };
    sim.step(
        "gateway",
        format!(
            "{} server {si} ({}) port {}/{proto} hosts [{}]; selector {{{}}} → {wname}{virtual_note}",
            gw.meta.describe(),
            at(&sloc),
            url.port,
            server.hosts.join(", "),
            selector.join(",")
        ),
        Some(sloc),
    );
    let tls_mode = server
        .tls
        .as_ref()
        .and_then(|t| t.mode.clone())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let http = match proto.as_str() {
        "HTTP" | "HTTP2" | "GRPC" => {
            if url.scheme == Scheme::Https {
                sim.step(
                    "gateway",
                    "the server speaks plaintext HTTP but the client starts TLS: the handshake fails".into(),
                    None,
                );
                sim.leaf(1.0, 503, None, "TLS mismatch");
                return sim.finish();
            }
            if server.tls.as_ref().and_then(|t| t.https_redirect) == Some(true) {
                sim.step(
                    "redirect",
                    "the server has tls.httpsRedirect: 301 to https".into(),
                    None,
                );
                sim.leaf(1.0, 301, None, "httpsRedirect");
                return sim.finish();
            }
            url.scheme != Scheme::Tcp
        }
        "HTTPS" if tls_mode != "PASSTHROUGH" => {
            if url.scheme != Scheme::Https {
                sim.step(
                    "gateway",
                    "the server terminates TLS but the client sends plaintext: the handshake fails".into(),
                    None,
                );
                sim.leaf(1.0, 503, None, "TLS mismatch");
                return sim.finish();
            }
            sim.step(
                "gateway",
                format!(
                    "TLS terminated at the gateway (mode {})",
                    if tls_mode.is_empty() { "SIMPLE" } else { &tls_mode }
                ),
                None,
            );
            true
        }
        "TCP" | "TLS" | "MONGO" => false,
        other => {
            sim.step(
                "gateway",
                format!("server protocol {other} (TLS passthrough or unknown) is not simulated by netplay"),
                None,
            );
            sim.leaf(1.0, 503, None, "not simulated");
            return sim.finish();
        }
    };
    sim.http = http || url.scheme != Scheme::Tcp;
    let client = Client {
        w: wi,
        proxy: Proxy::Gateway,
        ctx: Context::Gateway(gw.meta.id()),
    };
    let mut view = View::new(url, req);
    view.http = http;
    if !gateway_authz(&mut sim, wi, &view) {
        return sim.finish();
    }
    let host = view.host();
    let vss = routing::select_for_gateway(&c.mesh, &gw.meta.id(), &gw.meta.namespace, &server.hosts, &host);
    if vss.is_empty() {
        sim.step(
            "virtual-service",
            format!(
                "no VirtualService bound to gateway {} serves host {host}: 404 (no route)",
                gw.meta.id()
            ),
            None,
        );
        sim.leaf(1.0, 404, None, "no route");
        return sim.finish();
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
    sim.step(
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
        sim.http_routes(&client, &order, &view);
    } else {
        let v = vss[0];
        match sim.match_tcp_route(&client, wi, v, &view) {
            None => {
                sim.step(
                    "route",
                    "no tcp route matches: the gateway closes the connection".into(),
                    None,
                );
                sim.leaf(1.0, 503, None, "no route");
            }
            Some(r) => {
                let vs = &c.mesh.virtual_services[v];
                let dests: Vec<_> = vs.spec.tcp[r]
                    .route
                    .iter()
                    .map(|d| (d.destination.clone(), d.weight, None))
                    .collect();
                let ns = vs.meta.namespace.clone();
                sim.weighted(&client, &ns, &dests, 1.0, &view);
            }
        }
    }
    sim.finish()
}

/// AuthorizationPolicies that select the gateway workload apply to requests arriving
/// from outside (plaintext, no peer identity). Returns whether the request goes on.
fn gateway_authz(sim: &mut Sim, wi: usize, view: &View) -> bool {
    let c = sim.cluster;
    let w = &c.workloads[wi];
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
    let r = security::authorize(c, w, &input);
    if r.lines.is_empty() && r.allowed && r.loc.is_none() && !r.verdict.starts_with("allowed") {
        return true; // nothing applies to the gateway
    }
    for l in &r.lines {
        sim.step("gateway-authorization", l.clone(), None);
    }
    sim.step("gateway-authorization", r.verdict.clone(), r.loc.clone());
    if !r.allowed {
        sim.leaf(1.0, 403, None, "denied at the gateway");
    }
    r.allowed
}

fn k8s_gateway(cluster: &Cluster, g: usize, li: usize, url: &Url, req: &Request) -> Outcome {
    let gw = &cluster.mesh.k8s_gateways[g];
    let selector = StrMap::from([(
        "gateway.networking.k8s.io/gateway-name".to_string(),
        gw.meta.name.clone(),
    )]);
    let (found, virt) = gateway_workload(
        cluster,
        &selector,
        &gw.meta.namespace,
        &format!("{}-istio", gw.meta.name),
    );
    let found = found.filter(|&i| cluster.workloads[i].namespace == gw.meta.namespace);
    let aug;
    let (c, wi): (&Cluster, usize) = match found {
        Some(i) => (cluster, i),
        None => {
            let (a, i) = with_virtual(cluster, virt);
            aug = a;
            (&aug, i)
        }
    };
    let gw = &c.mesh.k8s_gateways[g];
    let listener = &gw.spec.listeners[li];
    let mut sim = Sim::new(c, url.scheme != Scheme::Tcp);
    sim.step("source", "a client outside the cluster".into(), None);
    let lloc = gw.meta.locate(&[key("spec"), key("listeners"), idx(li)]);
    sim.step(
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
            c.workloads[wi].endpoint_name(),
            if found.is_none() {
                " — not in the input, so netplay uses a virtual gateway workload"
            } else {
                ""
            }
        ),
        Some(lloc),
    );
    let proto = listener.protocol.to_ascii_uppercase();
    if proto != "HTTP" && proto != "HTTPS" {
        sim.step(
            "gateway",
            format!("listener protocol {proto} is not simulated by netplay"),
            None,
        );
        sim.leaf(1.0, 503, None, "not simulated");
        return sim.finish();
    }
    if (proto == "HTTPS") != (url.scheme == Scheme::Https) {
        sim.step(
            "gateway",
            "the client's scheme does not match the listener's protocol: the handshake fails".into(),
            None,
        );
        sim.leaf(1.0, 503, None, "TLS mismatch");
        return sim.finish();
    }
    let client = Client {
        w: wi,
        proxy: Proxy::Gateway,
        ctx: Context::Gateway(gw.meta.id()),
    };
    let view = View::new(url, req);
    if !gateway_authz(&mut sim, wi, &view) {
        return sim.finish();
    }
    let host = view.host();
    let routes: Vec<usize> = c
        .mesh
        .http_routes
        .iter()
        .enumerate()
        .filter(|(_, r)| gateway_api::attached_to_listener(c, r, gw, listener) && gateway_api::hostname_ok(r, &host))
        .map(|(i, _)| i)
        .collect();
    if routes.is_empty() {
        sim.step(
            "http-route",
            format!(
                "no HTTPRoute attached to listener {:?} serves host {host}: 404",
                listener.name
            ),
            None,
        );
        sim.leaf(1.0, 404, None, "no route");
        return sim.finish();
    }
    sim.step(
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
    sim.gw_api_routes(&client, &routes, &view);
    sim.finish()
}

// ---------------------------------------------------------------------- rendering

impl Outcome {
    /// The outcome as text, the same in the CLI and the web app.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Status: {} {}", self.status, reason(self.status));
        if self.destinations.is_empty() {
            let _ = writeln!(out, "Delivered to: nobody");
        } else {
            let _ = writeln!(out, "Delivered to:");
            for d in &self.destinations {
                let _ = writeln!(
                    out,
                    "  {:>7}  {}{}",
                    pct(d.share),
                    d.workload,
                    d.subset
                        .as_deref()
                        .map(|s| format!(" (subset {s})"))
                        .unwrap_or_default()
                );
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Trace:");
        let width = self.trace.iter().map(|t| t.step.len()).max().unwrap_or(0);
        for (i, t) in self.trace.iter().enumerate() {
            let _ = writeln!(out, "{:>3}. {:<width$}  {}", i + 1, t.step, t.detail);
        }
        out
    }
}

/// The reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
