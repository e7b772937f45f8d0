//! Connections of a scenario with several clusters (docs/semantics.md, "Several
//! clusters"): each cluster is evaluated on its own and its lines name endpoints
//! `cluster/namespace/name[Kind]`; connections between clusters exist only where a
//! discovery mechanism (MCS, Istio multi-primary, Cilium ClusterMesh) joins a Service of
//! both, found by [`MultiScenario::links`] and resolved per client with
//! [`MultiScenario::resolve`]. Such a connection needs both clusters' policies:
//! - the client's egress towards an address outside its cluster: the other cluster's pod
//!   range when its AddressPlan gives one, else any external IPv4 address (only what is
//!   allowed towards every such address counts, since the pod's address is not known);
//! - the backend's ingress from an address outside its cluster (pod to pod across
//!   clusters), or from the pods of its cluster's east-west gateway when Istio crosses
//!   networks (the client then needs egress to TCP 15443 of the gateway, an outside address);
//! - only the Service's target ports on the backend.

use super::{Member, MultiScenario};
use crate::conn::{ConnSet, Protocol};
use crate::endpoint::AddrSet;
use crate::model::{Cluster, TargetPort, Workload};
use crate::netpol::engine::Engine;
use crate::netpol::explain::{explain as explain_in, Explanation, Target};
use crate::output::ConnLine;
use crate::policy::PeerKind;
use crate::query::QueryError;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

/// Port of Istio's east-west gateway for cross-network mTLS (AUTO_PASSTHROUGH).
const EAST_WEST_PORT: u16 = 15443;

/// `cluster/` before a workload or `{ingress-controller}`; external ranges are outside
/// every cluster and keep their name.
pub fn qualify(cluster: &str, endpoint: &str) -> String {
    if endpoint.ends_with("[External]") {
        endpoint.to_string()
    } else {
        format!("{cluster}/{endpoint}")
    }
}

/// Every connection of every cluster, and those between clusters, sorted.
pub(crate) fn connlist(multi: &MultiScenario) -> Vec<ConnLine> {
    let mut lines = Vec::new();
    let engines: Vec<Engine> = multi.clusters.iter().map(|m| Engine::new(&m.cluster)).collect();
    for (m, engine) in multi.clusters.iter().zip(&engines) {
        for l in crate::netpol::ingress_controller::cluster_lines(engine) {
            lines.push(ConnLine {
                src: qualify(&m.name, &l.src),
                dst: qualify(&m.name, &l.dst),
                conn: l.conn,
                l7: l.l7,
            });
        }
    }
    lines.extend(cross_cluster(multi, &engines));
    crate::sorting::sort_unstable(&mut lines);
    lines.dedup();
    lines
}

/// The connections between clusters.
fn cross_cluster(multi: &MultiScenario, engines: &[Engine]) -> Vec<ConnLine> {
    let mut asked: BTreeSet<(usize, String)> = BTreeSet::new();
    for link in multi.links() {
        let (ns, svc) = link.service.split_once('/').unwrap_or(("default", &link.service));
        let name = match link.mechanism {
            super::Mechanism::Mcs => format!("{svc}.{ns}.svc.clusterset.local"),
            _ => format!("{svc}.{ns}"),
        };
        asked.insert((link.from, name.clone()));
        asked.insert((link.to, name));
    }
    let mut out = Vec::new();
    for (client_cluster, name) in asked {
        let cm = &multi.clusters[client_cluster];
        for (ci, client) in cm.cluster.workloads.iter().enumerate() {
            let from = format!("{}/{}", cm.name, client.endpoint_name());
            let Ok(resolution) = multi.resolve(&from, &name, &[]) else {
                continue;
            };
            for e in resolution
                .endpoints
                .iter()
                .filter(|e| e.cluster != cm.name && e.pods > 0)
            {
                let Some(si) = multi.clusters.iter().position(|m| m.name == e.cluster) else {
                    continue;
                };
                let sm = &multi.clusters[si];
                let Ok(backend) = sm.cluster.find_workload(&e.workload) else {
                    continue;
                };
                let Some(bi) = index_of(&sm.cluster.workloads, backend) else {
                    continue;
                };
                let (ns, svc) = service_of(&name);
                let ports = service_ports(sm, &ns, &svc, backend);
                let egress = towards_outside(&engines[client_cluster], ci, sm);
                let conn = if e.via.starts_with("east-west gateway") {
                    let egress_ok = egress.contains(Protocol::Tcp, EAST_WEST_PORT);
                    let mut ingress = ConnSet::none();
                    for g in gateway_workloads(sm) {
                        ingress.union_with(&engines[si].workload_conn(g, bi));
                    }
                    if egress_ok {
                        ports.intersect(&ingress)
                    } else {
                        ConnSet::none()
                    }
                } else {
                    let ingress = from_outside(&engines[si], bi, cm);
                    ports.intersect(&egress).intersect(&ingress)
                };
                if !conn.is_empty() {
                    out.push(ConnLine {
                        src: from.clone(),
                        dst: format!("{}/{}", sm.name, backend.endpoint_name()),
                        conn: conn.to_string(),
                        l7: None,
                    });
                }
            }
        }
    }
    // The same pair through two Services: what either admits.
    merge_pairs(out)
}

fn merge_pairs(lines: Vec<ConnLine>) -> Vec<ConnLine> {
    let mut merged: std::collections::BTreeMap<(String, String), ConnSet> = Default::default();
    for l in lines {
        let conn = ConnSet::parse(&l.conn).unwrap_or_else(ConnSet::none);
        merged
            .entry((l.src, l.dst))
            .or_insert_with(ConnSet::none)
            .union_with(&conn);
    }
    merged
        .into_iter()
        .map(|((src, dst), conn)| ConnLine {
            src,
            dst,
            conn: conn.to_string(),
            l7: None,
        })
        .collect()
}

fn index_of(workloads: &[Workload], w: &Workload) -> Option<usize> {
    workloads.iter().position(|x| std::ptr::eq(x, w))
}

/// `(namespace, name)` of the Service a resolved name asks for.
fn service_of(name: &str) -> (String, String) {
    let mut parts = name.split('.');
    let svc = parts.next().unwrap_or_default().to_string();
    let ns = parts.next().unwrap_or("default").to_string();
    (ns, svc)
}

/// What the Service's ports lead to on one backend: each target port (a number, or a
/// named container port of the backend with the same protocol).
fn service_ports(member: &Member, namespace: &str, name: &str, backend: &Workload) -> ConnSet {
    let mut out = ConnSet::none();
    let Some(svc) = member.service(namespace, name) else {
        return out;
    };
    for p in &svc.ports {
        let port = match &p.target_port {
            TargetPort::Number(n) => Some(*n),
            TargetPort::Name(port_name) => backend
                .ports
                .iter()
                .find(|c| c.name.as_deref() == Some(port_name.as_str()) && c.protocol == p.protocol)
                .map(|c| c.port),
        };
        if let Some(port) = port {
            out.union_with(&ConnSet::port_range(p.protocol, port, port));
        }
    }
    out
}

/// The addresses a cluster's pods have, as seen from elsewhere: the pod ranges of its
/// AddressPlan, or any IPv4 address when it has none.
fn pod_addresses(member: &Member) -> AddrSet {
    let plans = &member.cluster.cni.plans;
    let plan = match &member.spec.address_plan {
        Some(name) => plans.iter().find(|p| &p.name == name),
        None => plans
            .iter()
            .find(|p| p.cluster == member.name)
            .or(match plans.as_slice() {
                [only] => Some(only),
                _ => None,
            }),
    };
    let mut set = AddrSet::default();
    for cidr in plan.iter().flat_map(|p| &p.spec.pod_cidrs) {
        if let Ok(net) = cidr.trim().parse::<ipnet::IpNet>() {
            set.union_with(&AddrSet::from_net(&net));
        }
    }
    if set.v4.is_empty() && set.v6.is_empty() {
        set.v4 = crate::intervals::IntervalSet::range(0, u32::MAX);
    }
    set
}

/// Addresses where a cluster's policies can change their answer inside `within`: the
/// first address of `within`'s ranges and every ipBlock boundary inside them.
fn probes(cluster: &Cluster, within: &AddrSet) -> Vec<IpAddr> {
    let mut points: BTreeSet<IpAddr> = BTreeSet::new();
    for &(lo, _) in within.v4.ranges() {
        points.insert(IpAddr::V4(Ipv4Addr::from(lo)));
    }
    for &(lo, _) in within.v6.ranges() {
        points.insert(IpAddr::V6(lo.into()));
    }
    for p in &cluster.policies {
        for rule in p.ingress.iter().chain(&p.egress).flatten() {
            for peer in rule.peers.iter().flatten() {
                let PeerKind::IpBlock { cidr, except } = &peer.kind else {
                    continue;
                };
                for net in std::iter::once(cidr).chain(except) {
                    let set = AddrSet::from_net(net);
                    for &(lo, hi) in set.v4.ranges() {
                        for v in [Some(lo), hi.checked_add(1)].into_iter().flatten() {
                            if within.v4.contains(v) {
                                points.insert(IpAddr::V4(Ipv4Addr::from(v)));
                            }
                        }
                    }
                    for &(lo, hi) in set.v6.ranges() {
                        for v in [Some(lo), hi.checked_add(1)].into_iter().flatten() {
                            if within.v6.contains(v) {
                                points.insert(IpAddr::V6(v.into()));
                            }
                        }
                    }
                }
            }
        }
    }
    points.into_iter().collect()
}

/// What workload `w` of a cluster may send to every pod address of `server`.
fn towards_outside(engine: &Engine, w: usize, server: &Member) -> ConnSet {
    let within = pod_addresses(server);
    let mut conn = ConnSet::all();
    for ip in probes(engine.cluster(), &within) {
        conn = conn.intersect(&engine.conn_to_ip(w, ip));
    }
    conn
}

/// What workload `w` of a cluster accepts from every pod address of `client`.
fn from_outside(engine: &Engine, w: usize, client: &Member) -> ConnSet {
    let within = pod_addresses(client);
    let mut conn = ConnSet::all();
    for ip in probes(engine.cluster(), &within) {
        conn = conn.intersect(&engine.conn_from_ip(ip, w));
    }
    conn
}

/// The workloads of a cluster's east-west gateway (the pods its Gateway selects).
fn gateway_workloads(member: &Member) -> Vec<usize> {
    let Some(gw) = super::east_west_gateway(member) else {
        return Vec::new();
    };
    let cluster = &member.cluster;
    let Some(g) = cluster
        .mesh
        .gateways
        .iter()
        .find(|g| format!("{}/{}", g.meta.namespace, g.meta.name) == gw)
    else {
        return Vec::new();
    };
    cluster
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| !g.spec.selector.is_empty() && g.spec.selector.iter().all(|(k, v)| w.labels.get(k) == Some(v)))
        .map(|(i, _)| i)
        .collect()
}

/// One end of an explained connection.
enum End<'m> {
    Ip(IpAddr),
    Workload(&'m Member, usize),
}

fn end<'m>(multi: &'m MultiScenario, query: &str) -> Result<End<'m>, QueryError> {
    if let Some(ip) = crate::endpoint::external_address(query) {
        return Ok(End::Ip(ip));
    }
    let (m, w) = multi.find_workload(query)?;
    let i = index_of(&m.cluster.workloads, w).ok_or_else(|| QueryError::NoWorkload {
        query: query.to_string(),
        hint: String::new(),
    })?;
    Ok(End::Workload(m, i))
}

/// See [`MultiScenario::explain`].
pub(super) fn explain(
    multi: &MultiScenario,
    src: &str,
    dst: &str,
    probe: Option<(Protocol, u16)>,
) -> Result<Explanation, QueryError> {
    let (s, d) = (end(multi, src)?, end(multi, dst)?);
    let mut ex = match (&s, &d) {
        (End::Ip(_), End::Ip(_)) => return Err(QueryError::BothEndsExternal),
        (End::Workload(m, w), End::Ip(ip)) => {
            let mut ex = explain_in(&m.cluster, Target::Workload(*w), Target::Ip(*ip), probe);
            qualify_explanation(&mut ex, &m.name, &m.name);
            ex
        }
        (End::Ip(ip), End::Workload(m, w)) => {
            let mut ex = explain_in(&m.cluster, Target::Ip(*ip), Target::Workload(*w), probe);
            qualify_explanation(&mut ex, &m.name, &m.name);
            ex
        }
        (End::Workload(a, sw), End::Workload(b, dw)) if a.name == b.name => {
            let mut ex = explain_in(&a.cluster, Target::Workload(*sw), Target::Workload(*dw), probe);
            qualify_explanation(&mut ex, &a.name, &a.name);
            ex
        }
        (End::Workload(a, sw), End::Workload(b, dw)) => {
            // Each side in its own cluster, towards an address of the other cluster's pods.
            let towards_b = first_address(&pod_addresses(b));
            let from_a = first_address(&pod_addresses(a));
            let mut ex = explain_in(&a.cluster, Target::Workload(*sw), Target::Ip(towards_b), probe);
            ex.ingress = explain_in(&b.cluster, Target::Ip(from_a), Target::Workload(*dw), probe).ingress;
            qualify_explanation(&mut ex, &a.name, &b.name);
            ex.src = qualify(&a.name, &a.cluster.workloads[*sw].endpoint_name());
            ex.dst = qualify(&b.name, &b.cluster.workloads[*dw].endpoint_name());
            let joined = connlist(multi)
                .into_iter()
                .find(|l| l.src == ex.src && l.dst == ex.dst)
                .and_then(|l| ConnSet::parse(&l.conn))
                .unwrap_or_else(ConnSet::none);
            ex.allowed = joined;
            ex.conn = ex.allowed.to_string();
            ex.probe_allowed = probe.map(|(p, n)| ex.allowed.contains(p, n));
            ex
        }
    };
    ex.conn = ex.allowed.to_string();
    Ok(ex)
}

fn first_address(set: &AddrSet) -> IpAddr {
    match (set.v4.ranges().first(), set.v6.ranges().first()) {
        (Some(&(lo, _)), _) => IpAddr::V4(Ipv4Addr::from(lo)),
        (None, Some(&(lo, _))) => IpAddr::V6(lo.into()),
        (None, None) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

/// Puts the clusters before the workload names of an explanation.
fn qualify_explanation(ex: &mut Explanation, src_cluster: &str, dst_cluster: &str) {
    ex.src = qualify(src_cluster, &ex.src);
    ex.dst = qualify(dst_cluster, &ex.dst);
    if let Some(w) = &mut ex.egress.workload {
        *w = qualify(src_cluster, w);
    }
    if let Some(w) = &mut ex.ingress.workload {
        *w = qualify(dst_cluster, w);
    }
}
