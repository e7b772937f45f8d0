//! VirtualService checks: destination hosts, ports and subsets (IST0101, IST0112), hosts
//! bound to the mesh twice (IST0109), rules that can never match (IST0130, IST0131) and
//! gateways (IST0101, IST0132).

use super::{at, export_scopes, names_text, resource, Ctx, Target};
use crate::diagnostics::Diagnostic;
use crate::mesh::host::{config_host, host_matches, hosts_intersect};
use crate::mesh::routing::split_server_host;
use crate::mesh::types::{Destination, VirtualServiceSpec};
use crate::mesh::{idx, key, MeshObject};
use crate::parse::locate::PathSeg;
use std::collections::BTreeMap;

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for vs in &ctx.cluster.mesh.virtual_services {
        destinations(ctx, vs, out);
        unreachable_rules(vs, out);
        gateways(ctx, vs, out);
    }
    conflicting_mesh_hosts(ctx, out);
}

/// One destination of a VirtualService, with the path to it.
struct Dest<'a> {
    path: Vec<PathSeg>,
    what: &'static str,
    d: &'a Destination,
}

fn all_destinations(spec: &VirtualServiceSpec) -> Vec<Dest<'_>> {
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
                what: "route",
                d: &rd.destination,
            });
        }
        if let Some(m) = &r.mirror {
            out.push(Dest {
                path: p(&[key("http"), idx(i), key("mirror")]),
                what: "mirror",
                d: m,
            });
        }
        for (k, m) in r.mirrors.iter().enumerate() {
            out.push(Dest {
                path: p(&[key("http"), idx(i), key("mirrors"), idx(k), key("destination")]),
                what: "mirror",
                d: &m.destination,
            });
        }
    }
    for (i, r) in spec.tcp.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(Dest {
                path: p(&[key("tcp"), idx(i), key("route"), idx(j), key("destination")]),
                what: "route",
                d: &rd.destination,
            });
        }
    }
    for (i, r) in spec.tls.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(Dest {
                path: p(&[key("tls"), idx(i), key("route"), idx(j), key("destination")]),
                what: "route",
                d: &rd.destination,
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

/// IST0101 (host, host:port, host+subset) and IST0112 for every destination.
fn destinations(ctx: &Ctx, vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    let ns = &vs.meta.namespace;
    for dest in all_destinations(&vs.spec) {
        let written = dest.d.host.trim();
        if written.is_empty() || written.contains('*') || !ctx.has_registry {
            continue;
        }
        let fqdn = config_host(written, ns);
        let Some(target) = ctx.lookup(&fqdn, ns) else {
            let also = if written.contains('.') {
                String::new()
            } else {
                format!(" (a short name means {fqdn}, in the namespace of the VirtualService)")
            };
            out.push(
                Diagnostic::new(
                    "IST0101",
                    format!(
                        "Referenced host not found: {written:?}{also}: no Service or ServiceEntry of the input has this host, so the {} destination has no cluster (503 NR/NC)",
                        dest.what
                    ),
                )
                .at(&vs.meta.locate(&with(&dest.path, "host")))
                .resource(resource(&vs.meta))
                .help("fix the spelling; for a Service in another namespace write name.namespace.svc.cluster.local; for a host outside the cluster add a ServiceEntry"),
            );
            continue;
        };
        let ports = target.ports();
        match dest.d.port.as_ref().and_then(|p| p.number) {
            Some(n) if !ports.contains(&n) => {
                let mut path = with(&dest.path, "port");
                path.push(key("number"));
                out.push(
                    Diagnostic::new(
                        "IST0101",
                        format!(
                            "Referenced host:port not found: \"{written}:{n}\": {} exposes port(s) {}, not {n}",
                            target.describe(),
                            ports_text(&ports)
                        ),
                    )
                    .at(&vs.meta.locate(&path))
                    .resource(resource(&vs.meta))
                    .help(format!("set destination.port.number to one of {}", ports_text(&ports))),
                );
            }
            None if ports.len() > 1 => {
                out.push(
                    Diagnostic::new(
                        "IST0112",
                        format!(
                            "this {} destination {written:?} has no port, and {} exposes several ports ({}): the destination port is ambiguous",
                            dest.what,
                            target.describe(),
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
        if let Some(subset) = dest.d.subset.as_deref().filter(|s| !s.is_empty()) {
            subset_defined(ctx, vs, &dest, &fqdn, subset, target, out);
        }
    }
}

fn ports_text(ports: &[u32]) -> String {
    if ports.is_empty() {
        return "none".to_string();
    }
    ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// IST0101 host+subset: no DestinationRule for the host defines the subset.
fn subset_defined(
    ctx: &Ctx,
    vs: &MeshObject<VirtualServiceSpec>,
    dest: &Dest,
    fqdn: &str,
    subset: &str,
    target: Target,
    out: &mut Vec<Diagnostic>,
) {
    let mut known: Vec<String> = Vec::new();
    let mut rules: Vec<String> = Vec::new();
    for dr in &ctx.cluster.mesh.destination_rules {
        let host = config_host(&dr.spec.host, &dr.meta.namespace);
        if !host_matches(&host, fqdn) {
            continue;
        }
        rules.push(dr.meta.id());
        for s in &dr.spec.subsets {
            if s.name == subset {
                return;
            }
            known.push(s.name.clone());
        }
    }
    known.sort();
    known.dedup();
    let (why, help) = if rules.is_empty() {
        (
            format!("no DestinationRule of the input has host {fqdn}"),
            format!(
                "add a DestinationRule with `host: {}` and a subset named {subset:?} with the labels of its pods",
                dest.d.host
            ),
        )
    } else {
        (
            format!(
                "the DestinationRule(s) for it ({}) define {}",
                names_text(&rules),
                if known.is_empty() {
                    "no subsets".to_string()
                } else {
                    format!("only {}", known.join(", "))
                }
            ),
            format!(
                "add a subset named {subset:?} to DestinationRule {}, or route to one of its subsets",
                rules[0]
            ),
        )
    };
    out.push(
        Diagnostic::new(
            "IST0101",
            format!(
                "Referenced host+subset in destinationrule not found: \"{}+{subset}\": {why}; requests routed here fail (503 NC) (host is {})",
                dest.d.host,
                target.describe()
            ),
        )
        .at(&vs.meta.locate(&with(&dest.path, "subset")))
        .resource(resource(&vs.meta))
        .help(help),
    );
}

/// A match block without its name, as a comparable key.
fn match_key<T: Clone + std::fmt::Debug>(m: &T, clear: impl Fn(&mut T)) -> String {
    let mut c = m.clone();
    clear(&mut c);
    format!("{c:?}")
}

/// IST0130 and IST0131 over the http, tcp and tls rules, as istioctl's validation.
fn unreachable_rules(vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    let http: Vec<Vec<String>> = vs
        .spec
        .http
        .iter()
        .map(|r| r.matches.iter().map(|m| match_key(m, |c| c.name = None)).collect())
        .collect();
    let names: Vec<Option<&str>> = vs.spec.http.iter().map(|r| r.name.as_deref()).collect();
    rules("http", vs, &http, &names, out);
    // Prefix overlap (IST0131): an earlier prefix that covers a later one with otherwise
    // identical match fields.
    let mut prefixes: Vec<(usize, usize, &str, String)> = Vec::new();
    // Rules after a rule without match are unreachable (IST0130) and not looked at here.
    let reachable = vs
        .spec
        .http
        .iter()
        .position(|r| r.matches.is_empty())
        .map_or(vs.spec.http.len(), |c| c + 1);
    for (i, r) in vs.spec.http.iter().enumerate().take(reachable) {
        for (j, m) in r.matches.iter().enumerate() {
            let Some(p) = m.uri.as_ref().and_then(|u| u.prefix.as_deref()) else {
                continue;
            };
            let rest = match_key(m, |c| {
                c.name = None;
                c.uri = None;
            });
            if let Some((ei, ej, ep, _)) = prefixes
                .iter()
                .find(|(_, _, ep, er)| *er == rest && p != *ep && p.starts_with(ep))
            {
                out.push(
                    Diagnostic::new(
                        "IST0131",
                        format!(
                            "VirtualService rule {} match #{j} is not used: rule {} match #{ej} (uri prefix {ep:?}) already matches every request it matches (uri prefix {p:?})",
                            rule_name(names[i], i),
                            rule_name(names[*ei], *ei)
                        ),
                    )
                    .at(&vs.meta.locate(&[key("spec"), key("http"), idx(i), key("match"), idx(j)]))
                    .resource(resource(&vs.meta))
                    .help("put the more specific match (the longer prefix) in an earlier rule, or remove this match"),
                );
            }
            prefixes.push((i, j, p, rest));
        }
    }
    let tcp: Vec<Vec<String>> = vs
        .spec
        .tcp
        .iter()
        .map(|r| r.matches.iter().map(|m| match_key(m, |_| {})).collect())
        .collect();
    rules("tcp", vs, &tcp, &vec![None; tcp.len()], out);
    let tls: Vec<Vec<String>> = vs
        .spec
        .tls
        .iter()
        .map(|r| r.matches.iter().map(|m| match_key(m, |_| {})).collect())
        .collect();
    rules("tls", vs, &tls, &vec![None; tls.len()], out);
}

fn rule_name(name: Option<&str>, i: usize) -> String {
    match name {
        Some(n) => format!("{n:?}"),
        None => format!("#{i}"),
    }
}

/// The rule checks for one list of rules, each given as its match keys.
fn rules(
    list: &str,
    vs: &MeshObject<VirtualServiceSpec>,
    keys: &[Vec<String>],
    names: &[Option<&str>],
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut catch_all: Option<usize> = None;
    for (i, matches) in keys.iter().enumerate() {
        let name = rule_name(names.get(i).copied().flatten(), i);
        let rule_loc = vs.meta.locate(&[key("spec"), key(list), idx(i)]);
        if let Some(c) = catch_all {
            let loc = vs.meta.locate(&[key("spec"), key(list), idx(c)]);
            let reason = if matches.is_empty() {
                "only the last rule can have no matches"
            } else {
                "route without matches defined before"
            };
            out.push(
                Diagnostic::new(
                    "IST0130",
                    format!(
                        "VirtualService rule {name} not used ({reason}): {list} rule #{c} at {} has no `match`, so it takes every request and no later rule is ever tried",
                        at(&loc)
                    ),
                )
                .at(&rule_loc)
                .resource(resource(&vs.meta))
                .help(format!("move the rule without `match` (#{c}) to the end of `{list}`, or give it a match")),
            );
            continue;
        }
        if matches.is_empty() {
            catch_all = Some(i);
            continue;
        }
        let mut duplicates = 0;
        for (j, k) in matches.iter().enumerate() {
            match seen.get(k.as_str()) {
                Some(&d) => {
                    duplicates += 1;
                    if duplicates < matches.len() {
                        out.push(
                            Diagnostic::new(
                                "IST0131",
                                format!(
                                    "VirtualService rule {name} match #{j} is not used (duplicate match in rule {})",
                                    rule_name(names.get(d).copied().flatten(), d)
                                ),
                            )
                            .at(&vs.meta.locate(&[key("spec"), key(list), idx(i), key("match"), idx(j)]))
                            .resource(resource(&vs.meta))
                            .help("remove the duplicate match block, or change it so that it matches other requests"),
                        );
                    }
                }
                None => {
                    seen.insert(k, i);
                }
            }
        }
        if duplicates == matches.len() {
            out.push(
                Diagnostic::new(
                    "IST0130",
                    format!(
                        "VirtualService rule {name} not used (all matches used by prior rules): every match block of this {list} rule repeats one of an earlier rule, which wins"
                    ),
                )
                .at(&rule_loc)
                .resource(resource(&vs.meta))
                .help("remove the rule, or change its matches; rules are tried in order and the first match wins"),
            );
        }
    }
}

/// IST0101 (gateway not found) and IST0132 (no VirtualService host in the gateway).
fn gateways(ctx: &Ctx, vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    let gws = &ctx.cluster.mesh.gateways;
    if gws.is_empty() {
        return;
    }
    let ns = &vs.meta.namespace;
    for (g, written) in vs.spec.gateways.iter().enumerate() {
        let written = written.trim();
        if written == "mesh" || written.is_empty() {
            continue;
        }
        let (gns, gname) = match written.split_once('/') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => match written.split_once('.') {
                Some((name, rest)) => (rest.split('.').next().unwrap_or(ns).to_string(), name.to_string()),
                None => (ns.clone(), written.to_string()),
            },
        };
        let loc = vs.meta.locate(&[key("spec"), key("gateways"), idx(g)]);
        let Some(gw) = gws.iter().find(|x| x.meta.namespace == gns && x.meta.name == gname) else {
            let others: Vec<String> = gws.iter().map(|x| x.meta.id()).collect();
            out.push(
                Diagnostic::new(
                    "IST0101",
                    format!(
                        "Referenced gateway not found: {written:?}: there is no Gateway {gns}/{gname} in the input (Gateways: {}); the VirtualService is bound to nothing there",
                        names_text(&others)
                    ),
                )
                .at(&loc)
                .resource(resource(&vs.meta))
                .help("name an existing Gateway: `name` for one in the VirtualService's namespace, `namespace/name` otherwise"),
            );
            continue;
        };
        let server_hosts: Vec<String> = gw
            .spec
            .servers
            .iter()
            .flat_map(|s| s.hosts.iter())
            .filter_map(|h| {
                let (hns, dns) = split_server_host(h);
                let ok = hns == "*" || (hns == "." && gw.meta.namespace == *ns) || hns == ns;
                ok.then(|| dns.to_ascii_lowercase())
            })
            .collect();
        let hosts: Vec<String> = vs.spec.hosts.iter().map(|h| config_host(h, ns)).collect();
        let found = hosts
            .iter()
            .any(|h| server_hosts.iter().any(|sh| sh == "*" || hosts_intersect(sh, h)));
        if !found {
            out.push(
                Diagnostic::new(
                    "IST0132",
                    format!(
                        "one or more host [{}] defined in VirtualService {} not found in Gateway {}: its servers accept only [{}] for namespace {ns}, so the gateway never routes these hosts with this VirtualService",
                        vs.spec.hosts.join(", "),
                        vs.meta.id(),
                        gw.meta.id(),
                        server_hosts.join(", ")
                    ),
                )
                .at(&loc)
                .resource(resource(&vs.meta))
                .help(format!(
                    "add the host to a server of Gateway {} (`hosts: [\"{ns}/<host>\"]`), or change the VirtualService's hosts to ones the Gateway serves",
                    gw.meta.id()
                )),
            );
        }
    }
}

/// IST0109: VirtualServices bound to the mesh with the same host in the same scope.
fn conflicting_mesh_hosts(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let vss = &ctx.cluster.mesh.virtual_services;
    // (scope, host) -> (virtual service, index of the host)
    let mut by_host: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (v, vs) in vss.iter().enumerate() {
        let on_mesh = vs.spec.gateways.is_empty() || vs.spec.gateways.iter().any(|g| g.trim() == "mesh");
        if !on_mesh {
            continue;
        }
        for scope in export_scopes(&vs.spec.export_to, &vs.meta.namespace) {
            for (h, host) in vs.spec.hosts.iter().enumerate() {
                let fqdn = config_host(host, &vs.meta.namespace);
                let entry = by_host.entry((scope.clone(), fqdn)).or_default();
                if !entry.iter().any(|(x, _)| *x == v) {
                    entry.push((v, h));
                }
            }
        }
    }
    let mut reported: Vec<(usize, usize)> = Vec::new();
    for ((_, host), list) in by_host {
        if list.len() < 2 {
            continue;
        }
        let mut order = list.clone();
        order.sort_by(|a, b| vss[a.0].meta.age_key().cmp(&vss[b.0].meta.age_key()));
        let names: Vec<String> = order.iter().map(|(v, _)| vss[*v].meta.id()).collect();
        let oldest = &names[0];
        for &(v, h) in &list {
            if reported.contains(&(v, h)) {
                continue;
            }
            reported.push((v, h));
            let vs = &vss[v];
            out.push(
                Diagnostic::new(
                    "IST0109",
                    format!(
                        "The VirtualServices {} associated with mesh gateway define the same host {host}, which can lead to undefined behavior: sidecars do not merge them and use one ({oldest}, the oldest, in netplay's simulation); the rules of the others are ignored",
                        names.join(", ")
                    ),
                )
                .at(&vs.meta.locate(&[key("spec"), key("hosts"), idx(h)]))
                .resource(resource(&vs.meta))
                .help("merge the conflicting VirtualServices into one, or restrict them with exportTo so that each namespace sees one"),
            );
        }
    }
}
