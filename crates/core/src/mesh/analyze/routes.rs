//! VirtualService destinations: hosts, mirror hosts and ports that the registry does not
//! have as seen from the VirtualService (IST0101 `host`, `mirror host`, `host:port`),
//! destinations without port toward several ports (IST0112), subsets no DestinationRule
//! defines (IST0101 `host+subset in destinationrule`), and hosts bound to the mesh by
//! several VirtualServices (IST0109).

use super::registry::fqdn;
use super::{export_scopes, hosts_overlap, names_text, resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::host::{config_host, host_matches};
use crate::mesh::types::{Destination, VirtualServiceSpec};
use crate::mesh::{idx, key, MeshObject};
use crate::parse::locate::PathSeg;
use std::collections::{BTreeMap, BTreeSet};

// Never inlined: see `super::check`.
#[inline(never)]
pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for vs in &ctx.cluster.mesh.virtual_services {
        destinations(ctx, vs, out);
        subsets(ctx, vs, out);
    }
    conflicting_mesh_hosts(ctx, out);
}

/// One destination of a VirtualService, with the path to it.
pub(super) struct Dest<'a> {
    pub path: Vec<PathSeg>,
    pub mirror: bool,
    pub d: &'a Destination,
}

/// Every destination: http, tcp and tls route destinations, then http mirrors.
pub(super) fn all_destinations(spec: &VirtualServiceSpec) -> Vec<Dest<'_>> {
    let mut out = Vec::new();
    let p = |parts: &[PathSeg]| -> Vec<PathSeg> {
        let mut v = vec![key("spec")];
        v.extend_from_slice(parts);
        v
    };
    for (i, r) in spec.http.iter().enumerate() {
        if r.delegate.is_some() {
            continue;
        }
        for (j, rd) in r.route.iter().enumerate() {
            out.push(Dest {
                path: p(&[key("http"), idx(i), key("route"), idx(j), key("destination")]),
                mirror: false,
                d: &rd.destination,
            });
        }
    }
    for (list, routes) in [
        ("tcp", spec.tcp.iter().map(|r| &r.route).collect::<Vec<_>>()),
        ("tls", spec.tls.iter().map(|r| &r.route).collect()),
    ] {
        for (i, route) in routes.into_iter().enumerate() {
            for (j, rd) in route.iter().enumerate() {
                out.push(Dest {
                    path: p(&[key(list), idx(i), key("route"), idx(j), key("destination")]),
                    mirror: false,
                    d: &rd.destination,
                });
            }
        }
    }
    for (i, r) in spec.http.iter().enumerate() {
        if let Some(m) = &r.mirror {
            out.push(Dest {
                path: p(&[key("http"), idx(i), key("mirror")]),
                mirror: true,
                d: m,
            });
        }
        for (k, m) in r.mirrors.iter().enumerate() {
            out.push(Dest {
                path: p(&[key("http"), idx(i), key("mirrors"), idx(k), key("destination")]),
                mirror: true,
                d: &m.destination,
            });
        }
    }
    out
}

fn with(path: &[PathSeg], last: &str) -> Vec<PathSeg> {
    let mut v = path.to_vec();
    v.push(key(last));
    v
}

fn ports_text(ports: &[u32]) -> String {
    if ports.is_empty() {
        return "none".to_string();
    }
    ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// IST0101 (host, mirror host, host:port) and IST0112 for every destination.
fn destinations(ctx: &Ctx, vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    if !ctx.has_registry {
        return;
    }
    let ns = &vs.meta.namespace;
    for dest in all_destinations(&vs.spec) {
        let written = dest.d.host.trim();
        if written.is_empty() {
            continue;
        }
        let reftype = if dest.mirror { "mirror host" } else { "host" };
        let Some(entry) = ctx.registry().lookup(ns, &vs.spec.export_to, written) else {
            let also = if written.contains('.') || written.starts_with('*') {
                String::new()
            } else {
                format!(
                    " (a short name means {}, in the namespace of the VirtualService)",
                    fqdn(written, ns)
                )
            };
            let seen_from = if vs.spec.export_to.is_empty() {
                format!("namespace {ns}")
            } else {
                format!("the namespaces it is exported to ({})", vs.spec.export_to.join(", "))
            };
            out.push(
                Diagnostic::new(
                    "IST0101",
                    format!(
                        "Referenced {reftype} not found: {written:?}{also}: no Service or ServiceEntry visible from {seen_from} has this host, so the destination has no cluster there (503 NR/NC)"
                    ),
                )
                .at(&vs.meta.locate(&with(&dest.path, "host")))
                .resource(resource(&vs.meta))
                .help("fix the spelling; for a Service in another namespace write name.namespace.svc.cluster.local and check its exportTo (networking.istio.io/exportTo); for a host outside the cluster add a ServiceEntry"),
            );
            continue;
        };
        let mut ports = entry.ports.clone();
        crate::sorting::sort_unstable(&mut ports);
        ports.dedup();
        match dest.d.port.as_ref().and_then(|p| p.number) {
            Some(n) if !ports.contains(&n) => {
                let mut path = with(&dest.path, "port");
                path.push(key("number"));
                out.push(
                    Diagnostic::new(
                        "IST0101",
                        format!(
                            "Referenced host:port not found: \"{written}:{n}\": the host exposes port(s) {}, not {n}",
                            ports_text(&ports)
                        ),
                    )
                    .at(&vs.meta.locate(&path))
                    .resource(resource(&vs.meta))
                    .help(format!("set destination.port.number to one of {}", ports_text(&ports))),
                );
            }
            None if entry.ports.len() > 1 => {
                out.push(
                    Diagnostic::new(
                        "IST0112",
                        format!(
                            "This VirtualService routes to a service {written:?} that exposes multiple ports [{}]. Specifying a port in the destination is required to disambiguate",
                            ports_text(&ports)
                        ),
                    )
                    .at(&vs.meta.locate(&dest.path))
                    .resource(resource(&vs.meta))
                    .help(format!(
                        "add `port: {{number: N}}` to the destination, with N one of {}",
                        ports_text(&ports)
                    )),
                );
            }
            _ => {}
        }
    }
}

/// IST0101 host+subset: a destination names a subset that no DestinationRule for its host
/// defines. Checked when the input has DestinationRules, whether or not it has the host.
fn subsets(ctx: &Ctx, vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    let drs = &ctx.cluster.mesh.destination_rules;
    if drs.is_empty() {
        return;
    }
    let ns = &vs.meta.namespace;
    for dest in all_destinations(&vs.spec) {
        let Some(subset) = dest.d.subset.as_deref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let host = config_host(&dest.d.host, ns);
        let mut known: BTreeSet<String> = BTreeSet::new();
        let mut rules: Vec<String> = Vec::new();
        let mut found = false;
        for dr in drs {
            if !host_matches(&config_host(&dr.spec.host, &dr.meta.namespace), &host) {
                continue;
            }
            rules.push(dr.meta.id());
            found |= dr.spec.subsets.iter().any(|s| s.name == subset);
            known.extend(dr.spec.subsets.iter().map(|s| s.name.clone()));
        }
        if found {
            continue;
        }
        let (why, help) = if rules.is_empty() {
            (
                format!("no DestinationRule of the input has host {host}"),
                format!(
                    "add a DestinationRule with `host: {}` and a subset named {subset:?} with the labels of its pods",
                    dest.d.host
                ),
            )
        } else {
            let defined = if known.is_empty() {
                "no subsets".to_string()
            } else {
                format!("only {}", known.into_iter().collect::<Vec<_>>().join(", "))
            };
            (
                format!(
                    "the DestinationRule(s) for it ({}) define {defined}",
                    names_text(&rules)
                ),
                format!(
                    "add a subset named {subset:?} to DestinationRule {}, or route to one of its subsets",
                    rules[0]
                ),
            )
        };
        let reftype = if dest.mirror { "mirror+subset" } else { "host+subset" };
        out.push(
            Diagnostic::new(
                "IST0101",
                format!(
                    "Referenced {reftype} in destinationrule not found: \"{}+{subset}\": {why}; requests routed here fail (503 NC)",
                    dest.d.host
                ),
            )
            .at(&vs.meta.locate(&with(&dest.path, "subset")))
            .resource(resource(&vs.meta))
            .help(help),
        );
    }
}

/// IST0109: VirtualServices bound to the mesh whose hosts meet in a namespace. A host
/// exported to every namespace meets the same host exported anywhere, and a host exported
/// to some namespaces meets any overlapping host (wildcards included) exported everywhere.
/// One message per VirtualService.
fn conflicting_mesh_hosts(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let vss = &ctx.cluster.mesh.virtual_services;
    // (scope, host) -> [(virtual service, index of the host)]
    let mut by_host: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (v, vs) in vss.iter().enumerate() {
        let on_mesh = vs.spec.gateways.is_empty() || vs.spec.gateways.iter().any(|g| g.trim() == "mesh");
        if !on_mesh {
            continue;
        }
        for scope in export_scopes(&vs.spec.export_to, &vs.meta.namespace) {
            for (h, host) in vs.spec.hosts.iter().enumerate() {
                by_host
                    .entry((scope.clone(), fqdn(host.trim(), &vs.meta.namespace)))
                    .or_default()
                    .push((v, h));
            }
        }
    }
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for ((scope, host), list) in &by_host {
        let mut group = list.clone();
        if scope != "*" {
            for ((other_scope, other_host), more) in &by_host {
                if other_scope == "*" && hosts_overlap(host, other_host) {
                    group.extend(more.iter().copied());
                }
            }
        }
        let distinct: BTreeSet<usize> = group.iter().map(|(v, _)| *v).collect();
        if distinct.len() < 2 {
            continue;
        }
        let mut order: Vec<usize> = distinct.iter().copied().collect();
        crate::sorting::sort_by(&mut order, |a, b| vss[*a].meta.age_key().cmp(&vss[*b].meta.age_key()));
        let names: Vec<String> = order.iter().map(|v| vss[*v].meta.id()).collect();
        for &(v, h) in &group {
            if !reported.insert(v) {
                continue;
            }
            let vs = &vss[v];
            out.push(
                Diagnostic::new(
                    "IST0109",
                    format!(
                        "The VirtualServices {} associated with mesh gateway define the same host {host} which can lead to undefined behavior: sidecars use one of them ({}, the oldest, in netplay's simulation) and ignore the rules of the others",
                        names.join(","),
                        names[0]
                    ),
                )
                .at(&vs.meta.locate(&[key("spec"), key("hosts"), idx(h)]))
                .resource(resource(&vs.meta))
                .help("merge the conflicting VirtualServices into a single resource, or restrict them with exportTo so that each namespace sees one"),
            );
        }
    }
}
