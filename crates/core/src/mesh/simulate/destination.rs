//! The destination of one branch of requests: the host's Service or ServiceEntry and
//! port, the DestinationRule on the client's lookup path (merged), the subset, the
//! traffic policy (with the TLS it originates), and the endpoints the requests spread
//! over.

use super::super::host::{self, config_host, find_entry, find_service, host_matches};
use super::super::types::{ClientTls, Destination, DestinationRuleSpec, Subset, TlsMode, TrafficPolicy};
use super::super::{exported_to, idx, key, labels_match, MeshObject, ObjRef, ROOT_NAMESPACE};
use super::view::View;
use super::{at, compact, Client, Sim};
use crate::model::{Cluster, Service, TargetPort};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What is being addressed.
#[derive(Clone, Debug)]
pub(super) enum Dest {
    Service(usize),
    Entry(usize),
}

/// One endpoint of a destination.
pub(super) enum Ep {
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

/// Where a branch of requests goes once routing is done.
pub(super) struct Upstream {
    pub(super) dest: Dest,
    /// The namespace of the Service or ServiceEntry.
    pub(super) namespace: String,
    /// The Service (or ServiceEntry) port addressed.
    pub(super) port: u16,
    /// The subset's name and labels.
    pub(super) subset: Option<(String, BTreeMap<String, String>)>,
    /// The TLS mode a DestinationRule sets, and where.
    pub(super) tls: Option<(TlsMode, String)>,
}

/// A DestinationRule, or the merge of those for the same host in one namespace.
pub(super) struct MergedDr<'c> {
    objs: Vec<&'c ObjRef>,
    traffic_policy: Option<(&'c TrafficPolicy, &'c ObjRef)>,
    pub(super) subsets: Vec<(&'c Subset, &'c ObjRef, usize)>,
}

/// A subset's traffic policy and the DestinationRule that defines it.
type SubsetPolicy<'c> = Option<(&'c TrafficPolicy, &'c ObjRef)>;

impl<'c> Sim<'c> {
    /// The DestinationRule for `host` as seen from the client: the client's namespace,
    /// then the service's, then the root namespace; only rules exported to the client.
    pub(super) fn destination_rule(&self, client: &Client<'_>, host: &str, svc_ns: &str) -> Option<MergedDr<'c>> {
        let c = self.cluster;
        let cw = client.w;
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
            crate::sorting::sort_by(&mut cands, |a, b| a.0.meta.age_key().cmp(&b.0.meta.age_key()));
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
    pub(super) fn route_to(
        &mut self,
        client: &Client<'_>,
        config_ns: &str,
        d: &Destination,
        fraction: f64,
        view: &View,
    ) {
        let outer = std::mem::replace(&mut self.subset, d.subset.clone());
        self.route_to_subset(client, config_ns, d, fraction, view);
        self.subset = outer;
    }

    fn route_to_subset(&mut self, client: &Client<'_>, config_ns: &str, d: &Destination, fraction: f64, view: &View) {
        let host = config_host(&d.host, config_ns);
        let Some(dest) = self.destination_host(client, &host, fraction) else {
            return;
        };
        let Some((namespace, port)) = self.destination_port(&dest, d, &host, fraction, view) else {
            return;
        };
        let dr = self.destination_rule(client, &host, &namespace);
        self.describe_destination_rule(client, &host, &namespace, dr.as_ref());
        let Ok((subset, subset_policy)) = self.subset_of(d, &host, dr.as_ref(), fraction) else {
            return;
        };
        let tls = self.traffic_policy(dr.as_ref(), subset_policy, d.subset.as_deref(), port);
        let upstream = Upstream {
            dest,
            namespace,
            port,
            subset: d.subset.clone().zip(subset),
            tls,
        };
        self.endpoints_and_connect(client, &upstream, fraction, view);
    }

    /// The Service or ServiceEntry a route destination names, or `None` (and the leaf).
    fn destination_host(&mut self, client: &Client<'_>, host: &str, fraction: f64) -> Option<Dest> {
        let c = self.cluster;
        if let Some(si) = find_service(c, host) {
            return Some(Dest::Service(si));
        }
        if let Some((ei, _)) = find_entry(&c.mesh.service_entries, host, &client.w.namespace) {
            return Some(Dest::Entry(ei));
        }
        self.step(
            "destination",
            format!(
                "{host} is neither a Service of the input nor a ServiceEntry host visible from namespace {}: Envoy has no cluster for it (503 NC)",
                client.w.namespace
            ),
            None,
        );
        self.leaf(fraction, 503, None, "unknown destination host");
        None
    }

    /// The destination's namespace and the port the requests go to (the route's, else the
    /// addressed one), or `None` (and the leaf) when the destination has no such port.
    fn destination_port(
        &mut self,
        dest: &Dest,
        d: &Destination,
        host: &str,
        fraction: f64,
        view: &View,
    ) -> Option<(String, u16)> {
        let c = self.cluster;
        let (dns, ports): (String, Vec<u16>) = match dest {
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
            return None;
        }
        Some((dns, port))
    }

    fn describe_destination_rule(&mut self, client: &Client<'_>, host: &str, dns: &str, dr: Option<&MergedDr<'c>>) {
        let cns = &client.w.namespace;
        match dr {
            None => self.step(
                "destination-rule",
                format!(
                    "none for {host} on the lookup path (client namespace {cns}, service namespace {dns}, root namespace {ROOT_NAMESPACE})"
                ),
                None,
            ),
            Some(m) => {
                let names: Vec<String> = m.objs.iter().map(|o| o.describe()).collect();
                let where_ = m.objs.first().map(|o| o.namespace.clone()).unwrap_or_default();
                let which = if where_ == *cns {
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
    }

    /// The route's subset: its labels and traffic policy; `Err` (and the leaf) when no
    /// DestinationRule on the lookup path defines it.
    #[allow(clippy::type_complexity)]
    fn subset_of(
        &mut self,
        d: &Destination,
        host: &str,
        dr: Option<&MergedDr<'c>>,
        fraction: f64,
    ) -> Result<(Option<BTreeMap<String, String>>, SubsetPolicy<'c>), ()> {
        let Some(name) = &d.subset else {
            return Ok((None, None));
        };
        let found = dr.and_then(|m| m.subsets.iter().find(|(s, _, _)| s.name == *name).copied());
        let Some((s, obj, i)) = found else {
            self.step(
                "subset",
                format!(
                    "subset {name} is not defined by a DestinationRule for {host} on the lookup path: Envoy has no cluster for it (503 NC)"
                ),
                None,
            );
            self.leaf(fraction, 503, None, "unknown subset");
            return Err(());
        };
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
        Ok((Some(s.labels.clone()), s.traffic_policy.as_ref().map(|tp| (tp, obj))))
    }

    /// The traffic policy that applies: top level, its port-level settings, the subset's,
    /// its port-level (later wins). Records it and returns the TLS mode it sets.
    fn traffic_policy(
        &mut self,
        dr: Option<&MergedDr<'c>>,
        subset_policy: SubsetPolicy<'c>,
        subset: Option<&str>,
        port: u16,
    ) -> Option<(TlsMode, String)> {
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
        if let Some((tp, obj)) = dr.and_then(|m| m.traffic_policy) {
            apply(tp, obj.id(), &mut tls);
        }
        if let Some((tp, obj)) = subset_policy {
            let name = subset.unwrap_or_default();
            apply(tp, format!("{} subset {name}", obj.id()), &mut tls);
        }
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
        tls.and_then(|(t, from)| t.mode.map(|m| (m, from)))
    }

    /// Finds the endpoints of a destination and connects to each (equal shares).
    pub(super) fn endpoints_and_connect(&mut self, client: &Client<'_>, up: &Upstream, fraction: f64, view: &View) {
        let c = self.cluster;
        let Some((eps, external)) = self.endpoints(up, fraction) else {
            return;
        };
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
        for ep in eps {
            let before = self.prefix.clone();
            if n > 1.0 {
                let name = match &ep {
                    Ep::Workload { w, .. } => c.workloads[*w].endpoint_name(),
                    Ep::External { name, .. } => name.clone(),
                };
                self.prefix = format!("{before}[{name}] ");
            }
            self.connect(client, up, &ep, external, fraction / n, view);
            self.prefix = before;
        }
    }

    /// The endpoints of the upstream (and whether a ServiceEntry puts them outside the
    /// mesh), or `None` (and the leaf) when there are none.
    fn endpoints(&mut self, up: &Upstream, fraction: f64) -> Option<(Vec<Ep>, bool)> {
        let c = self.cluster;
        let port = up.port;
        let subset = up.subset.as_ref().map(|(_, l)| l);
        let mut eps: Vec<Ep> = Vec::new();
        let mut external_mesh = false;
        match &up.dest {
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
                    return None;
                }
                for (w, p) in service_endpoints(c, svc, subset, Some(u32::from(port))) {
                    eps.push(Ep::Workload { w, port: p });
                }
            }
            Dest::Entry(ei) => {
                external_mesh = c.mesh.service_entries[*ei].spec.location.as_deref() != Some("MESH_INTERNAL");
                eps = self.entry_endpoints(*ei, port, subset);
            }
        }
        if eps.is_empty() {
            let sel = match &up.dest {
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
            return None;
        }
        Some((eps, external_mesh))
    }

    /// The endpoints of ServiceEntry `ei` on `port`: the workloads its
    /// `workloadSelector` picks, its `endpoints`, or the address DNS returns.
    fn entry_endpoints(&mut self, ei: usize, port: u16, subset: Option<&BTreeMap<String, String>>) -> Vec<Ep> {
        let c = self.cluster;
        let e = &c.mesh.service_entries[ei];
        let mut eps = Vec::new();
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
        eps
    }
}

/// The workloads behind a Service (its selector, plus subset labels) that serve `port`
/// (a Service port), with the target port each listens on.
pub(super) fn service_endpoints(
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
        if w.namespace != svc.namespace {
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
