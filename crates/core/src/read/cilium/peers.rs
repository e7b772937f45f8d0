//! The peers of a Cilium rule in the model: endpoints (namespace-scoped in a
//! CiliumNetworkPolicy), CIDRs, entities, Services and what manifests cannot decide.

use super::ctx::{parse_cidr, peer, Ctx};
use super::types::{CidrRule, FqdnSelector, ServiceRef};
use crate::model::NAMESPACE_NAME_LABEL;
use crate::parse::locate::PathSeg;
use crate::policy::{DnsMatch, Peer, PeerKind, Selector};
use ipnet::IpNet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// One kind of peer of a rule, as written.
pub(super) enum L3<'a> {
    Endpoints(&'a [LabelSelector]),
    Cidr(&'a [String]),
    CidrSet(&'a [CidrRule]),
    Entities(&'a [String]),
    Services(&'a [ServiceRef]),
    Fqdns(&'a [super::types::FqdnSelector]),
    Nodes,
    Groups,
}

fn at(path: &[PathSeg], i: usize) -> Vec<PathSeg> {
    let mut p = path.to_vec();
    p.push(PathSeg::Index(i));
    p
}

pub(super) fn peers(cx: &mut Ctx, l3: L3, path: &[PathSeg], egress: bool) -> Vec<Peer> {
    let mut out = Vec::new();
    match l3 {
        L3::Endpoints(list) => {
            for (i, sel) in list.iter().enumerate() {
                out.extend(endpoint(cx, sel, &at(path, i)));
            }
        }
        L3::Cidr(list) => {
            for (i, text) in list.iter().enumerate() {
                let p = at(path, i);
                if let Some(cidr) = parse_cidr(cx, text, &p, true) {
                    out.push(peer(
                        PeerKind::IpBlock {
                            cidr,
                            except: Vec::new(),
                        },
                        cx.obj.locate(&p),
                    ));
                }
            }
        }
        L3::CidrSet(list) => {
            for (i, rule) in list.iter().enumerate() {
                out.extend(cidr_rule(cx, rule, &at(path, i)));
            }
        }
        L3::Entities(list) => {
            for (i, entity) in list.iter().enumerate() {
                out.extend(entity_peers(cx, entity, &at(path, i), egress));
            }
        }
        L3::Services(list) => {
            for (i, svc) in list.iter().enumerate() {
                out.extend(service(cx, svc, &at(path, i)));
            }
        }
        L3::Fqdns(list) => {
            for (i, f) in list.iter().enumerate() {
                out.extend(fqdn(cx, f, &at(path, i)));
            }
        }
        L3::Nodes => {
            cx.warn(
                "NP1040",
                path,
                "a node peer selects node addresses, which the input does not hold: netplay matches no connection with it".into(),
            );
            out.push(peer(PeerKind::Unresolved { what: "nodes".into() }, cx.obj.locate(path)));
        }
        L3::Groups => {
            cx.warn(
                "NP1040",
                path,
                "a cloud provider group names addresses only the provider knows: netplay matches no connection with it"
                    .into(),
            );
            out.push(peer(
                PeerKind::Unresolved {
                    what: "cloud provider groups".into(),
                },
                cx.obj.locate(path),
            ));
        }
    }
    out
}

/// `fromEndpoints`/`toEndpoints` item: "If omitted [the namespace], we limit the scope to
/// the namespace the policy lives in" (CiliumNetworkPolicy); a CiliumClusterwideNetworkPolicy
/// selects pods of every namespace.
fn endpoint(cx: &mut Ctx, sel: &LabelSelector, path: &[PathSeg]) -> Option<Peer> {
    let (s, _) = cx.split(sel, path, false);
    let loc = cx.obj.locate(path);
    if !s.reserved.is_empty() {
        let names = s.reserved.join(", ");
        cx.warn(
            "NP1040",
            path,
            format!("reserved:{names} is one of Cilium's reserved identities, not a pod: netplay matches no connection with it (write `fromEntities`/`toEntities`)"),
        );
        return Some(peer(
            PeerKind::Unresolved {
                what: format!("reserved identity {names}"),
            },
            loc,
        ));
    }
    if let Some(why) = &s.matches_no_pod {
        cx.warn("NP1040", path, format!("this selector matches no pod: {why}"));
        return None;
    }
    if !s.unmodelled.is_empty() {
        return None;
    }
    let namespaces = if cx.clusterwide() || s.names_namespace || s.namespace_labels {
        Some(s.namespaces)
    } else {
        None
    };
    Some(peer(
        PeerKind::Pods {
            pods: Some(s.pods),
            namespaces,
        },
        loc,
    ))
}

fn cidr_rule(cx: &mut Ctx, rule: &CidrRule, path: &[PathSeg]) -> Option<Peer> {
    let loc = cx.obj.locate(path);
    if rule.cidr.is_none() && (rule.cidr_group_ref.is_some() || rule.cidr_group_selector.is_some()) {
        cx.warn(
            "NP1040",
            path,
            "a CiliumCIDRGroup reference is not resolved by netplay: this peer matches no connection".into(),
        );
        return Some(peer(
            PeerKind::Unresolved {
                what: "CiliumCIDRGroup".into(),
            },
            loc,
        ));
    }
    let Some(text) = &rule.cidr else {
        cx.error(path, "a CIDR rule needs `cidr` (or `cidrGroupRef`)".into());
        return None;
    };
    let cidr_path = {
        let mut p = path.to_vec();
        p.push(PathSeg::key("cidr"));
        p
    };
    let cidr = parse_cidr(cx, text, &cidr_path, false)?;
    let mut except = Vec::new();
    for (i, e) in rule.except.iter().flatten().enumerate() {
        let mut p = path.to_vec();
        p.push(PathSeg::key("except"));
        p.push(PathSeg::Index(i));
        let Some(net) = parse_cidr(cx, e, &p, false) else {
            continue;
        };
        if !cidr.contains(&net.network()) {
            cx.error(
                &p,
                format!("allow CIDR prefix {text} does not contain exclude CIDR prefix {e}"),
            );
            continue;
        }
        except.push(net);
    }
    Some(peer(PeerKind::IpBlock { cidr, except }, loc))
}

fn all_pods() -> PeerKind {
    PeerKind::Pods {
        pods: None,
        namespaces: Some(Selector::default()),
    }
}

fn world(v4: bool, v6: bool) -> Vec<PeerKind> {
    let mut out = Vec::new();
    if v4 {
        out.push(PeerKind::IpBlock {
            cidr: IpNet::V4(Default::default()),
            except: Vec::new(),
        });
    }
    if v6 {
        out.push(PeerKind::IpBlock {
            cidr: IpNet::V6(Default::default()),
            except: Vec::new(),
        });
    }
    out
}

/// Entities (docs: "Entities based"): `world` is every IPv4 address outside the
/// cluster ("identical to allowing to CIDR 0.0.0.0/0"; `world-ipv6` is ::/0),
/// `cluster` every endpoint of the cluster (the pods; the nodes it also holds are not
/// modelled), `all` both; `kube-apiserver` the
/// API server, which in the input is the static pods of kube-system labelled
/// `component=kube-apiserver` (kubeadm's); `host`, `remote-node`, `health`, `init`,
/// `unmanaged` and `ingress` are endpoints the input does not hold.
fn entity_peers(cx: &mut Ctx, entity: &str, path: &[PathSeg], _egress: bool) -> Vec<Peer> {
    let loc = cx.obj.locate(path);
    let kinds = match entity {
        // "Allowing to world is identical to allowing to CIDR 0.0.0.0/0"; IPv6 is
        // `world-ipv6`'s (so that an IPv4 input does not grow an IPv6 space).
        "world" => world(true, false),
        "world-ipv4" => world(true, false),
        "world-ipv6" => world(false, true),
        "cluster" => vec![all_pods()],
        "all" => {
            let mut v = vec![all_pods()];
            v.extend(world(true, false));
            v
        }
        "kube-apiserver" => vec![PeerKind::Pods {
            pods: Some(Selector {
                match_labels: vec![("component".into(), "kube-apiserver".into())],
                requirements: Vec::new(),
            }),
            namespaces: Some(Selector {
                match_labels: vec![(NAMESPACE_NAME_LABEL.into(), "kube-system".into())],
                requirements: Vec::new(),
            }),
        }],
        "none" => Vec::new(),
        "host" | "remote-node" | "health" | "init" | "unmanaged" | "ingress" => {
            let what = match entity {
                "host" => "the local node (and its host-network pods)",
                "remote-node" => "the other nodes (and their host-network pods)",
                "health" => "Cilium's health endpoints",
                "init" => "endpoints whose identity is not resolved yet",
                "unmanaged" => "endpoints Cilium does not manage",
                _ => "Cilium's Envoy ingress",
            };
            cx.warn(
                "NP1040",
                path,
                format!("the {entity} entity is {what}, which the input does not hold: netplay matches no connection with it"),
            );
            vec![PeerKind::Unresolved {
                what: format!("entity {entity}"),
            }]
        }
        other => {
            cx.error(
                path,
                format!("unsupported entity: {other} (one of world, world-ipv4, world-ipv6, cluster, host, remote-node, kube-apiserver, ingress, health, init, unmanaged, none, all)"),
            );
            Vec::new()
        }
    };
    kinds.into_iter().map(|kind| peer(kind, loc.clone())).collect()
}

/// `toServices`: "uses the discovered services' label selector as an endpoint selector";
/// services without a selector are their EndpointSlices' addresses, which the input does
/// not hold. A name or selector without namespace means the policy's namespace
/// (`default` for a CiliumClusterwideNetworkPolicy naming a Service).
fn service(cx: &mut Ctx, svc: &ServiceRef, path: &[PathSeg]) -> Vec<Peer> {
    let loc = cx.obj.locate(path);
    let own = if cx.namespace.is_empty() {
        "default".to_string()
    } else {
        cx.namespace.clone()
    };
    let matched: Vec<&super::ServiceInfo> = match (&svc.k8s_service, &svc.k8s_service_selector) {
        (Some(by_name), None) => {
            let Some(name) = by_name.service_name.as_deref() else {
                cx.error(path, "k8sService needs a serviceName".into());
                return Vec::new();
            };
            let ns = by_name.namespace.clone().unwrap_or(own);
            cx.services
                .iter()
                .filter(|s| s.name == name && s.namespace == ns)
                .collect()
        }
        (None, Some(by_sel)) => {
            let Some(sel) = &by_sel.selector else {
                cx.error(path, "k8sServiceSelector needs a selector".into());
                return Vec::new();
            };
            let mut sel_path = path.to_vec();
            sel_path.push(PathSeg::key("k8sServiceSelector"));
            sel_path.push(PathSeg::key("selector"));
            let (s, _) = cx.split(sel, &sel_path, false);
            let ns = by_sel
                .namespace
                .clone()
                .or_else(|| (!cx.namespace.is_empty()).then(|| cx.namespace.clone()));
            cx.services
                .iter()
                .filter(|x| ns.as_ref().is_none_or(|n| *n == x.namespace) && s.pods.matches(&x.labels))
                .collect()
        }
        _ => {
            cx.error(
                path,
                "a toServices item sets exactly one of k8sService and k8sServiceSelector".into(),
            );
            return Vec::new();
        }
    };
    if matched.is_empty() {
        cx.warn(
            "NP1040",
            path,
            "this toServices item names no Service of the input: netplay matches no connection with it".into(),
        );
    }
    let mut out = Vec::new();
    for s in matched {
        match &s.selector {
            Some(sel) if !sel.is_empty() => out.push(peer(
                PeerKind::Pods {
                    pods: Some(Selector {
                        match_labels: sel.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                        requirements: Vec::new(),
                    }),
                    namespaces: Some(Selector {
                        match_labels: vec![(NAMESPACE_NAME_LABEL.into(), s.namespace.clone())],
                        requirements: Vec::new(),
                    }),
                },
                loc.clone(),
            )),
            _ => {
                cx.warn(
                    "NP1040",
                    path,
                    format!("Service {}/{} has no selector: Cilium allows the addresses of its EndpointSlices, which the input does not hold", s.namespace, s.name),
                );
                out.push(peer(
                    PeerKind::Unresolved {
                        what: format!("the endpoints of Service {}/{}", s.namespace, s.name),
                    },
                    loc.clone(),
                ));
            }
        }
    }
    out
}

/// `toFQDNs`: which addresses a name has is known only to DNS at run time.
fn fqdn(cx: &mut Ctx, f: &FqdnSelector, path: &[PathSeg]) -> Option<Peer> {
    let selector = match (&f.match_name, &f.match_pattern) {
        (Some(n), None) => DnsMatch::Name(n.clone()),
        (None, Some(p)) => DnsMatch::Pattern(p.clone()),
        _ => {
            cx.error(
                path,
                "a toFQDNs item sets exactly one of matchName and matchPattern".into(),
            );
            return None;
        }
    };
    let name = selector.fqdn_name();
    cx.warn(
        "NP1042",
        path,
        format!("toFQDNs allows the addresses DNS gives at run time, which netplay cannot know: connection lists show them as the destination {name}, never as addresses"),
    );
    Some(peer(PeerKind::Fqdn(selector), cx.obj.locate(path)))
}
