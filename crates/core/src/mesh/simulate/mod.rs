//! `simulate`: one request through the mesh, step by step.
//!
//! client sidecar → host resolution → (Sidecar visibility) → VirtualService / HTTPRoute
//! rule → faults, rewrites, mirrors → weighted destinations → DestinationRule (subset,
//! traffic policy) → endpoints → TLS the client sends vs what PeerAuthentication lets the
//! server accept → AuthorizationPolicy → NetworkPolicy → verdict.
//!
//! A request can split (weights, a fault that hits a percentage of requests, several
//! endpoints); every branch is followed with its fraction of the requests and ends in a
//! status. The outcome lists each distinct result with its share of the requests; its
//! status is the one most requests get; `destinations` are the workloads that receive
//! requests, with their share of the delivered ones. docs/mesh.md has the details and
//! the decisions where Istio's documentation leaves room.
//!
//! The rooms, in the order a request passes them:
//! - [`client`]: the sending workload, host resolution, the port's protocol, Sidecar
//!   visibility;
//! - [`routes`]: VirtualService HTTP and TCP routes (matches, redirects, rewrites, faults,
//!   mirrors, weights);
//! - [`mesh_routes`]: Gateway API HTTPRoutes (GAMMA routes attached to a Service, and the
//!   routes of a Gateway API Gateway);
//! - [`destination`]: the destination host, DestinationRule, subset, traffic policy and
//!   endpoints;
//! - [`connect`]: one endpoint: the TLS the client sends and the server accepts,
//!   AuthorizationPolicy and NetworkPolicy;
//! - [`gateway`]: requests from outside through an Istio or Gateway API gateway, with one
//!   shared gateway hop;
//! - [`verdict`]: the leaves summed into the [`Outcome`], and its text.
//!
//! The simulation never changes the cluster: a client the input does not describe (a
//! gateway without a deployment in the input, `mesh:<namespace>`) is a virtual
//! [`Workload`] that lives beside the cluster for one simulation.

mod client;
mod connect;
mod destination;
mod gateway;
mod mesh_routes;
mod routes;
mod verdict;
mod view;

pub use verdict::{reason, Success};

use super::request::{parse_url, Request, Scheme, Source};
use super::routing::Context;
use crate::diagnostics::Location;
use crate::model::{Cluster, Labels, Workload};
use crate::query::QueryError;
use serde::Serialize;
use std::collections::BTreeMap;

/// The result of a simulated request, in the shape of `netplay mesh request --format json`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Outcome {
    /// What the client sees: 200 delivered, 403 denied by an AuthorizationPolicy, 503 no
    /// connection (no endpoints, mTLS mismatch, NetworkPolicy drop), 404 no route, the
    /// status of a redirect, direct response or injected abort, or [`NO_EXCHANGE`] when
    /// no HTTP exchange happens (the host does not resolve). When requests split, the
    /// status of the largest share of [`Outcome::outcomes`].
    pub status: u16,
    /// The workloads that receive the request, with their share of the delivered
    /// requests (summing to 1); empty when nothing is delivered.
    pub destinations: Vec<Delivery>,
    /// Each distinct result (status and reason) with its share of all requests (the
    /// shares sum to 1), the largest first.
    pub outcomes: Vec<OutcomeShare>,
    pub trace: Vec<TraceStep>,
}

/// The status of an outcome in which no HTTP exchange happens at all: the client's DNS
/// lookup of the host fails, so no connection is opened and no response comes back. It
/// is the `000` that `curl -w '%{http_code}'` prints in that case, not a 503 (a 503 is a
/// response, from a proxy that was reached).
pub const NO_EXCHANGE: u16 = 0;

/// One distinct result of a request and the share of the requests that get it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OutcomeShare {
    /// The status these requests get ([`NO_EXCHANGE`] when there is no HTTP exchange).
    pub status: u16,
    /// Their share of all requests (0..1).
    pub share: f64,
    /// The workloads that receive these requests, with their share of them (summing to
    /// 1); empty when they are not delivered.
    pub destinations: Vec<Delivery>,
    /// Why, in a few words: `delivered`, `no healthy upstream`, `fault abort`, ...
    pub reason: String,
    /// The route subsets these requests were sent to (empty when the route names none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subsets: Vec<String>,
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
pub fn simulate(cluster: &Cluster, req: &Request) -> Result<Outcome, QueryError> {
    let url = parse_url(&req.url)?;
    match &req.source {
        Source::Workload(q) => {
            let w = cluster.find_workload(q)?;
            let mut sim = Sim::new(cluster, url.scheme != Scheme::Tcp);
            sim.start_at_workload(w, &url, req);
            Ok(sim.finish())
        }
        Source::External => Ok(gateway::external(cluster, &url, req)),
        Source::MeshClient(ns) => simulate_from_mesh(cluster, ns, req),
    }
}

/// Simulates a request from a virtual injected client (no labels, service account
/// `default`) in `namespace`: what "a sidecar of that namespace" sees.
fn simulate_from_mesh(cluster: &Cluster, namespace: &str, req: &Request) -> Result<Outcome, QueryError> {
    let url = parse_url(&req.url)?;
    if namespace.trim().is_empty() {
        return Err(QueryError::MeshClientWithoutNamespace);
    }
    let virt = virtual_workload(namespace, "mesh-client", Labels::new(), None);
    let mut sim = Sim::new(cluster, url.scheme != Scheme::Tcp);
    sim.step(
        "source",
        format!(
            "a virtual client with a sidecar in namespace {namespace} ({}; no labels, service account default)",
            virt.endpoint_name()
        ),
        None,
    );
    let client = Client {
        w: &virt,
        proxy: Proxy::Sidecar,
        ctx: Context::Mesh,
    };
    sim.outbound(&client, &url, req);
    Ok(sim.finish())
}

/// A client the input does not describe: lives beside the cluster for one simulation.
fn virtual_workload(namespace: &str, name: &str, labels: Labels, sa: Option<String>) -> Workload {
    Workload {
        service_account: sa,
        loc: Location::new("(virtual)", 1, 1),
        ..Workload::stand_in(namespace, name, "Virtual", labels)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proxy {
    /// No sidecar: the application's connection goes out as is (kube-proxy).
    None,
    Sidecar,
    Gateway,
}

/// The workload a request leaves from, and the proxy it passes.
struct Client<'w> {
    /// A workload of the cluster, or a virtual one ([`virtual_workload`]).
    w: &'w Workload,
    proxy: Proxy,
    ctx: Context,
}

/// How one branch of the request ends.
struct Leaf {
    fraction: f64,
    status: u16,
    dest: Option<(String, Option<String>)>,
    /// The route subset the branch was sent to, if it names one.
    subset: Option<String>,
    why: String,
}

struct Sim<'c> {
    cluster: &'c Cluster,
    trace: Vec<TraceStep>,
    leaves: Vec<Leaf>,
    /// What the client sends to each server workload reached (endpoint name → kind).
    tls: BTreeMap<String, &'static str>,
    /// Label of the branch being followed, prefixed to the details of its steps.
    prefix: String,
    /// The route subset of the branch being followed.
    subset: Option<String>,
    http: bool,
}

impl<'c> Sim<'c> {
    fn new(cluster: &'c Cluster, http: bool) -> Self {
        Sim {
            cluster,
            trace: Vec::new(),
            leaves: Vec::new(),
            tls: BTreeMap::new(),
            prefix: String::new(),
            subset: None,
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

    /// Ends `fraction` of the requests with `status`.
    fn leaf(&mut self, fraction: f64, status: u16, dest: Option<(String, Option<String>)>, why: impl Into<String>) {
        // A TCP client sees a connection or none.
        let status = if !self.http && status != 200 && status != NO_EXCHANGE {
            503
        } else {
            status
        };
        self.leaves.push(Leaf {
            fraction,
            status,
            dest,
            subset: self.subset.clone(),
            why: why.into(),
        });
    }

    /// A step that ends every request of the branch: the step, then the leaf.
    fn fail(&mut self, step: &str, detail: String, loc: Option<Location>, status: u16, why: &str) {
        self.step(step, detail, loc);
        self.leaf(1.0, status, None, why);
    }
}

/// A fraction as a percentage: `20%`, `33.33%`.
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
