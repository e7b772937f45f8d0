//! Validates one Calico policy the way Calico's API server and admission do, and reads
//! it into the rule model: a [`Policy`] in its Calico tier (or the admin tiers Calico
//! gives AdminNetworkPolicy and BaselineAdminNetworkPolicy), rules first match with
//! Allow/Deny/Pass (Log rules decide nothing and are left out), the subject as a Calico
//! selector, each rule's peer as one [`EntityMatch`] (all criteria ANDed).
//!
//! Which side is the peer: in an ingress rule the `source`, in an egress rule the
//! `destination`; ports are always `destination.ports` (source ports are not modelled).
//! The other side's identity criteria restrict the policy's own endpoint, which the model
//! cannot say per rule: such a rule matches nothing, with a warning (NP1050).

use super::selector;
use super::types::{EntitySpec, PolicySpec, RuleSpec};
use super::{CalicoKind, Tiers};
use crate::conn::Protocol;
use crate::diagnostics::{Diagnostic, Location};
use crate::model::NetworkSet;
use crate::parse::locate::PathSeg;
use crate::policy::calico::{
    CalicoPolicy, CalicoSelector, EntityMatch, GlobalScope, NamespaceLabels, NetSetRef, PlainLabels,
    ServiceAccountMatch,
};
use crate::policy::{Action, Peer, PeerKind, Policy, PortRef, PortSpec, Rule, Selector};
use crate::read::findings::{item, with, Findings};
use crate::read::netpol::check_port_name;
use ipnet::IpNet;
use serde_json::Value;

pub(super) struct Ctx<'a> {
    pub found: Findings<'a>,
    pub network_sets: &'a [NetworkSet],
    /// Namespace labels by name (for network sets in selected namespaces).
    pub namespace_labels: &'a dyn Fn(&str) -> crate::model::Labels,
}

impl Ctx<'_> {
    /// NP0051: Calico's validation rejects this value.
    pub fn error(&mut self, path: &[PathSeg], msg: String) {
        let d = self.found.diag("NP0051", path, msg);
        self.found.errors.push(d);
    }

    /// NP1050: a field netplay does not model.
    pub fn not_modelled(&mut self, path: &[PathSeg], msg: String) {
        let d = self.found.diag("NP1050", path, msg);
        self.found.warnings.push(d);
    }

    /// Parses a selector; a syntax error is NP0050 at the exact column.
    pub fn selector(&mut self, text: &str, path: &[PathSeg]) -> Option<CalicoSelector> {
        match selector::parse(text) {
            Ok(expr) => Some(CalicoSelector {
                expr,
                text: text.to_string(),
            }),
            Err(e) => {
                let mut loc = self.found.loc(path);
                loc.column = self.column_of(&loc, text, e.offset);
                let d = Diagnostic::new(
                    "NP0050",
                    format!("selector syntax error at character {}: {}", e.offset + 1, e.message),
                )
                .at(&loc)
                .resource(self.found.obj.resource())
                .help(format!("the selector is {text:?}"));
                self.found.errors.push(d);
                None
            }
        }
    }

    /// The 1-based column of character `offset` of `text` on the line of `loc`, when the
    /// text is written there (else the column of the line's value).
    fn column_of(&self, loc: &Location, text: &str, offset: usize) -> u32 {
        let doc = &self.found.obj.doc;
        let Some(line) = (loc.line as usize)
            .checked_sub(doc.start_line + 1)
            .and_then(|i| doc.text.lines().nth(i))
        else {
            return 1;
        };
        let prefix: String = text.chars().take(offset).collect();
        let start = line
            .find(text.trim_end())
            .or_else(|| line.find(prefix.trim_end()).filter(|_| !prefix.trim().is_empty()));
        match start {
            Some(b) => (line[..b].chars().count() + offset + 1) as u32,
            None => line.find(": ").map_or(1, |b| (line[..b].chars().count() + 3) as u32),
        }
    }

    fn cidr(&mut self, text: &str, path: &[PathSeg]) -> Option<IpNet> {
        let t = text.trim();
        let parsed = t
            .parse::<IpNet>()
            .ok()
            .or_else(|| t.parse::<std::net::IpAddr>().ok().map(IpNet::from));
        match parsed {
            Some(net) => Some(net.trunc()),
            None => {
                self.error(path, format!("invalid CIDR {text:?}"));
                None
            }
        }
    }
}

/// Compiles one policy. Returns it when Calico would accept it, and every diagnostic.
pub(super) fn compile(cx: &mut Ctx, kind: CalicoKind, spec: PolicySpec, tiers: &Tiers) -> Option<Policy> {
    let spec_path = vec![PathSeg::key("spec")];
    let namespace = if kind.namespaced() {
        cx.found.obj.namespace.clone().unwrap_or_else(|| "default".to_string())
    } else {
        String::new()
    };
    for (flag, name) in [
        (spec.do_not_track, "doNotTrack"),
        (spec.pre_dnat, "preDNAT"),
        (spec.apply_on_forward, "applyOnForward"),
    ] {
        if flag == Some(true) {
            cx.not_modelled(
                &with(&spec_path, name),
                format!("{name} policies apply to host endpoints and forwarded traffic, which netplay does not model: the policy is left out"),
            );
        }
    }
    if spec.pre_dnat == Some(true) && spec.do_not_track == Some(true) {
        cx.error(&spec_path, "preDNAT and doNotTrack cannot both be true".into());
    }
    let tier_name = spec
        .tier
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "default".into());
    let (tier, known) = tiers.tier(&tier_name);
    if !known {
        let d = cx.found.diag(
            "NP1052",
            &with(&spec_path, "tier"),
            format!("tier {tier_name:?} is not in the input: Calico refuses policies in a tier that does not exist; netplay evaluates it as a tier with no order (after every other tier)"),
        );
        cx.found.warnings.push(d);
    }
    let selector = match &spec.selector {
        Some(text) => cx.selector(text, &with(&spec_path, "selector")),
        None => Some(CalicoSelector::all()),
    };
    let namespace_selector = match (&spec.namespace_selector, kind.namespaced()) {
        (Some(text), false) => cx.selector(text, &with(&spec_path, "namespaceSelector")),
        _ => None,
    };
    let service_account_selector = spec
        .service_account_selector
        .as_ref()
        .and_then(|t| cx.selector(t, &with(&spec_path, "serviceAccountSelector")));
    // "If types has no value, Calico defaults as follows": Ingress unless there are
    // egress rules only; both when both are present.
    let has_in = spec.ingress.as_ref().is_some_and(|r| !r.is_empty());
    let has_out = spec.egress.as_ref().is_some_and(|r| !r.is_empty());
    let (ingress_on, egress_on) = match &spec.types {
        Some(types) => {
            let mut dirs = (false, false);
            for (i, t) in types.iter().enumerate() {
                match t.as_str() {
                    "Ingress" => dirs.0 = true,
                    "Egress" => dirs.1 = true,
                    other => cx.error(
                        &item(&spec_path, "types", i),
                        format!("types may hold Ingress and Egress, not {other:?}"),
                    ),
                }
            }
            dirs
        }
        None => (has_in || !has_out, has_out),
    };
    let rules_of = |cx: &mut Ctx, dir: &str, rules: &Option<Vec<RuleSpec>>| -> Vec<Rule> {
        rules
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, r)| compile_rule(cx, r, i, &item(&spec_path, dir, i), dir == "ingress", &namespace))
            .collect()
    };
    let ingress = rules_of(cx, "ingress", &spec.ingress);
    let egress = rules_of(cx, "egress", &spec.egress);
    let host_only =
        spec.do_not_track == Some(true) || spec.pre_dnat == Some(true) || spec.apply_on_forward == Some(true);
    let subject_loc = cx.found.loc(&with(&spec_path, "selector"));
    let policy = Policy {
        kind: kind.policy_kind(),
        tier,
        // Ranked among every order of the input once all policies are read.
        priority: 0,
        namespace: namespace.clone(),
        name: cx.found.obj.name.clone(),
        loc: cx.found.obj.loc.clone(),
        namespace_selector: (!kind.namespaced()).then(Selector::default),
        pod_selector: Selector::default(),
        pod_selector_loc: subject_loc,
        ingress: ingress_on.then_some(ingress),
        egress: egress_on.then_some(egress),
        policy_types_loc: spec.types.as_ref().map(|_| cx.found.loc(&with(&spec_path, "types"))),
        calico: Some(Box::new(CalicoPolicy {
            tier: tier_name,
            order: spec.order,
            selector: selector?,
            namespace_selector,
            service_account_selector,
            staged: kind.staged(),
        })),
    };
    (!host_only).then_some(policy)
}

/// The protocols a rule's `protocol`/`notProtocol` leave among those netplay models, and
/// whether it names one at all.
fn protocols(cx: &mut Ctx, r: &RuleSpec, path: &[PathSeg]) -> Option<(Vec<Protocol>, bool)> {
    let mut read = |v: &Option<Value>, key: &str| -> Option<Option<(Option<Protocol>, bool)>> {
        let Some(v) = v else { return Some(None) };
        let name = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let modelled = match name.to_ascii_lowercase().as_str() {
            "tcp" | "6" => Some(Protocol::Tcp),
            "udp" | "17" => Some(Protocol::Udp),
            "sctp" | "132" => Some(Protocol::Sctp),
            "icmp" | "icmpv6" | "udplite" => None,
            n if n.parse::<u8>().is_ok_and(|n| n >= 1) => None,
            _ => {
                cx.error(
                    &with(path, key),
                    format!("invalid {key} {v}: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255"),
                );
                return None;
            }
        };
        let supports_ports = modelled.is_some() || name.eq_ignore_ascii_case("udplite") || name == "136";
        Some(Some((modelled, supports_ports)))
    };
    let protocol = read(&r.protocol, "protocol")?;
    let not_protocol = read(&r.not_protocol, "notProtocol")?;
    let mut list = match protocol {
        Some((Some(p), _)) => vec![p],
        Some((None, _)) => {
            let d = cx.found.diag(
                "NP1051",
                &with(path, "protocol"),
                format!(
                    "protocol {} is shown but not modelled: netplay evaluates TCP, UDP and SCTP, so this rule matches none of them",
                    r.protocol.as_ref().map(|v| v.to_string()).unwrap_or_default()
                ),
            );
            cx.found.warnings.push(d);
            Vec::new()
        }
        None => vec![Protocol::Tcp, Protocol::Udp, Protocol::Sctp],
    };
    if let Some((Some(p), _)) = not_protocol {
        list.retain(|&x| x != p);
    }
    Some((list, protocol.is_some_and(|(_, ports)| ports)))
}

/// A rule's action; `Some(None)` for Log, which decides nothing ("After a Log action,
/// processing continues with the next rule"); `None` when Calico rejects it.
fn rule_action(cx: &mut Ctx, r: &RuleSpec, path: &[PathSeg]) -> Option<Option<Action>> {
    match r.action.as_deref() {
        Some("Allow") => Some(Some(Action::Allow)),
        Some("Deny") => Some(Some(Action::Deny)),
        Some("Pass") => Some(Some(Action::Pass)),
        Some("Log") => Some(None),
        Some(other) => {
            cx.error(
                &with(path, "action"),
                format!("invalid action {other:?}: Allow, Deny, Log or Pass"),
            );
            None
        }
        None => {
            cx.error(path, "a rule needs an action (Allow, Deny, Log or Pass)".into());
            None
        }
    }
}

/// What a rule's ports match: `destination.ports` (`None`: every port of the rule's
/// protocols) and `destination.notPorts`, per protocol; the source's ports are source
/// ports, not modelled. `None` when Calico rejects them.
fn rule_ports(
    cx: &mut Ctx,
    destination: &EntitySpec,
    (protos, supports_ports): (&[Protocol], bool),
    path: &[PathSeg],
) -> Option<(Option<Vec<PortSpec>>, Vec<PortSpec>)> {
    let dst_path = with(path, "destination");
    let mut ports = None;
    let mut except_ports = Vec::new();
    for (key, list) in [("ports", &destination.ports), ("notPorts", &destination.not_ports)] {
        let Some(list) = list else { continue };
        if !list.is_empty() && !supports_ports {
            cx.error(
                &with(&dst_path, key),
                format!("{key} need a protocol that has ports (TCP, UDP, SCTP or UDPLite)"),
            );
            return None;
        }
        let mut specs = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let p = item(&dst_path, key, i);
            let port = port_ref(cx, v, &p)?;
            let loc = cx.found.loc(&p);
            specs.extend(protos.iter().map(|&protocol| PortSpec {
                protocol,
                port: port.clone(),
                loc: loc.clone(),
                l7: None,
            }));
        }
        if key == "ports" {
            ports = (!list.is_empty()).then_some(specs);
        } else {
            except_ports = specs;
        }
    }
    // A protocol without ports: every port of it (and only of it).
    if ports.is_none() && protos.len() < 3 {
        let loc = cx.found.loc(path);
        ports = Some(
            protos
                .iter()
                .map(|&protocol| PortSpec {
                    protocol,
                    port: PortRef::Any,
                    loc: loc.clone(),
                    l7: None,
                })
                .collect(),
        );
    }
    Some((ports, except_ports))
}

/// The criteria of a rule the model cannot evaluate (the rule then matches nothing), in
/// words.
fn unmodelled(r: &RuleSpec, peer_spec: &EntitySpec, own_spec: &EntitySpec, own_key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let source = r.source.as_ref();
    if source.is_some_and(|s| s.ports.is_some() || s.not_ports.is_some()) {
        out.push("source ports".into());
    }
    if own_spec.selector.is_some()
        || own_spec.not_selector.is_some()
        || own_spec.namespace_selector.is_some()
        || own_spec.service_accounts.is_some()
        || own_spec.nets.is_some()
        || own_spec.not_nets.is_some()
    {
        out.push(format!(
            "{own_key} selectors or nets (they restrict the policy's own endpoint per rule)"
        ));
    }
    if peer_spec.services.is_some() || own_spec.services.is_some() {
        out.push("services".into());
    }
    if r.ip_version.is_some() {
        out.push("ipVersion".into());
    }
    out
}

fn compile_rule(cx: &mut Ctx, r: &RuleSpec, index: usize, path: &[PathSeg], ingress: bool, ns: &str) -> Option<Rule> {
    let action = rule_action(cx, r, path)??;
    let (protos, supports_ports) = protocols(cx, r, path)?;
    let empty = EntitySpec::default();
    let source = r.source.as_ref().unwrap_or(&empty);
    let destination = r.destination.as_ref().unwrap_or(&empty);
    let (peer_key, own_key, peer_spec, own_spec) = if ingress {
        ("source", "destination", source, destination)
    } else {
        ("destination", "source", destination, source)
    };
    let (ports, except_ports) = rule_ports(cx, destination, (&protos, supports_ports), path)?;
    let unmodelled = unmodelled(r, peer_spec, own_spec, own_key);
    if r.http.is_some() {
        cx.not_modelled(
            &with(path, "http"),
            "http match criteria (application layer policy) are not modelled: the rule is evaluated on its L3/L4 criteria only".into(),
        );
    }
    let peer_path = with(path, peer_key);
    let peer = entity(cx, peer_spec, &peer_path, ns)?;
    let rule_loc = cx.found.loc(path);
    let peers = if !unmodelled.is_empty() {
        let what = unmodelled.join(", ");
        cx.not_modelled(
            &with(path, own_key),
            format!("this rule uses {what}, which netplay does not model: it matches no connection"),
        );
        Some(vec![Peer {
            kind: PeerKind::Unresolved {
                what: format!("Calico rule with {what}"),
            },
            loc: rule_loc.clone(),
        }])
    } else {
        peer.map(|m| {
            vec![Peer {
                kind: PeerKind::Calico(Box::new(m)),
                loc: cx.found.loc(&peer_path),
            }]
        })
    };
    Some(Rule {
        index,
        name: None,
        action,
        peers,
        ports,
        except_ports,
        loc: rule_loc,
    })
}

fn port_ref(cx: &mut Ctx, v: &Value, path: &[PathSeg]) -> Option<PortRef> {
    let in_range = |n: u64| u16::try_from(n).ok();
    match v {
        Value::Number(n) => match n.as_u64().and_then(in_range) {
            Some(p) => Some(PortRef::Range(p, p)),
            None => {
                cx.error(path, format!("invalid port {n}: 0-65535"));
                None
            }
        },
        Value::String(s) => {
            if let Some((lo, hi)) = s.split_once(':') {
                match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
                    (Ok(lo), Ok(hi)) if lo <= hi => Some(PortRef::Range(lo, hi)),
                    _ => {
                        cx.error(
                            path,
                            format!("invalid port range {s:?}: start:end with 0 <= start <= end <= 65535"),
                        );
                        None
                    }
                }
            } else if let Ok(p) = s.trim().parse::<u16>() {
                Some(PortRef::Range(p, p))
            } else if let Err(why) = check_port_name(s) {
                cx.error(path, format!("invalid named port {s:?}: {why}"));
                None
            } else {
                Some(PortRef::Named(s.clone()))
            }
        }
        _ => {
            cx.error(
                path,
                format!("invalid port {v}: a number, \"start:end\" or a port name"),
            );
            None
        }
    }
}

/// The entity rule of the peer side, or `None` when it has no criterion (every peer).
fn entity(cx: &mut Ctx, e: &EntitySpec, path: &[PathSeg], ns: &str) -> Option<Option<EntityMatch>> {
    let mut ok = true;
    let mut sel = |cx: &mut Ctx, text: &Option<String>, key: &str| match text {
        Some(t) => {
            let s = cx.selector(t, &with(path, key));
            ok &= s.is_some();
            s
        }
        None => None,
    };
    let selector = sel(cx, &e.selector, "selector");
    let not_selector = sel(cx, &e.not_selector, "notSelector");
    let namespace_selector = sel(cx, &e.namespace_selector, "namespaceSelector");
    let sa_selector = sel(
        cx,
        &e.service_accounts.as_ref().and_then(|s| s.selector.clone()),
        "serviceAccounts",
    );
    let mut nets_of = |cx: &mut Ctx, list: &Option<Vec<String>>, key: &str| -> Option<Vec<IpNet>> {
        list.as_ref().map(|l| {
            l.iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    let n = cx.cidr(t, &item(path, key, i));
                    ok &= n.is_some();
                    n
                })
                .collect()
        })
    };
    let nets = nets_of(cx, &e.nets, "nets");
    let not_nets = nets_of(cx, &e.not_nets, "notNets").unwrap_or_default();
    if !ok {
        return None;
    }
    let service_accounts = e.service_accounts.as_ref().map(|s| ServiceAccountMatch {
        names: s.names.clone().unwrap_or_default(),
        selector: sa_selector,
    });
    let mut m = EntityMatch {
        policy_namespace: ns.to_string(),
        selector,
        not_selector,
        namespace_selector,
        service_accounts,
        nets,
        not_nets,
        selected_sets: None,
        not_selected_sets: Vec::new(),
    };
    if m.selector.is_none()
        && m.not_selector.is_none()
        && m.namespace_selector.is_none()
        && m.service_accounts.is_none()
        && m.nets.is_none()
        && m.not_nets.is_empty()
    {
        return Some(None);
    }
    resolve_sets(cx, &mut m);
    Some(Some(m))
}

/// The network sets the rule's selectors reach: those in scope (the selected namespaces,
/// `global()` for GlobalNetworkSets, else the policy's namespace, or every set for a
/// global policy) whose labels the selector (notSelector) selects.
fn resolve_sets(cx: &Ctx, m: &mut EntityMatch) {
    let in_scope = |set: &NetworkSet| match (&m.namespace_selector, &set.namespace) {
        (Some(s), Some(ns)) => s.matches(&NamespaceLabels {
            name: ns,
            labels: &(cx.namespace_labels)(ns),
        }),
        (Some(s), None) => s.matches(&GlobalScope),
        (None, Some(ns)) => m.policy_namespace.is_empty() || &m.policy_namespace == ns,
        (None, None) => m.policy_namespace.is_empty(),
    };
    let reach = |sel: &CalicoSelector| -> Vec<NetSetRef> {
        cx.network_sets
            .iter()
            .filter(|s| in_scope(s) && sel.matches(&PlainLabels(&s.labels)))
            .map(|s| NetSetRef {
                name: s.display_name(),
                nets: s.nets.clone(),
            })
            .collect()
    };
    if m.service_accounts.is_some() {
        m.selected_sets = Some(Vec::new());
    } else if m.selector.is_some() || m.namespace_selector.is_some() {
        let all = CalicoSelector::all();
        m.selected_sets = Some(reach(m.selector.as_ref().unwrap_or(&all)));
    }
    if let Some(s) = &m.not_selector {
        m.not_selected_sets = reach(s);
    }
}
