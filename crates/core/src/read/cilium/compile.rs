//! Validates one Cilium rule the way Cilium does and reads it into the policy rule model.
//!
//! Validation follows the CRD schema and the agent's `Rule.Sanitize`
//! (cilium/cilium `pkg/policy/api/rule_validation.go`): one of `endpointSelector` and
//! `nodeSelector`; one kind of peer per rule ("Combining FromEndpoints and FromCIDR is not
//! supported yet"); `toServices` without `toPorts`; ports as numbers or IANA names with
//! at most 40 per port rule; L7 rules on TCP only (DNS rules on port 53, egress only);
//! CIDRs and `except` inside them; known entities. A policy Cilium rejects is reported
//! (NP0040) and left out, as a cluster never enforces it.
//!
//! Into the model (docs/semantics.md, "Cilium policies"): the `ingress`/`egress` rules
//! allow, in the NetworkPolicy tier, where "an endpoint is isolated in a direction when
//! any policy selects it" is the same rule as NetworkPolicy's (a Cilium rule with a
//! section for a direction isolates the endpoint for it, unless `enableDefaultDeny` says
//! otherwise: then its allows sit in [`Tier::CiliumNoDefaultDeny`], adding to what the
//! isolating policies allow without isolating); `ingressDeny`/`egressDeny` deny in
//! [`Tier::CiliumDeny`], before any allow ("Deny policies take precedence over allow
//! policies, regardless of whether they are a Cilium Network Policy, a Clusterwide
//! Cilium Network Policy or even a Kubernetes Network Policy").

use super::ctx::{item, with, Ctx};
use super::peers::L3;
use super::types::{CiliumEgress, CiliumIngress, CiliumRule, L7Rules, PortProtocol, PortRule};
use crate::conn::Protocol;
use crate::model::NAMESPACE_NAME_LABEL;
use crate::parse::locate::PathSeg;
use crate::policy::{Action, DnsMatch, HttpMatch, Policy, PortRef, PortSpec, Rule, Selector, Tier, L7};
use crate::read::netpol::check_port_name;

/// The most ports one port rule may list (`maxPorts`).
const MAX_PORTS: usize = 40;

/// The policies one rule (`spec` or an item of `specs`) becomes: its deny part, its
/// isolating allow part and its non-isolating allow part, each only when it says
/// something.
pub(super) fn rule_policies(cx: &mut Ctx, rule: &CiliumRule, name: &str, path: &[PathSeg]) -> Vec<Policy> {
    let subject = match (&rule.endpoint_selector, &rule.node_selector) {
        (Some(_), Some(_)) => {
            cx.error(path, "a rule cannot have both endpointSelector and nodeSelector".into());
            return Vec::new();
        }
        (None, None) => {
            cx.error(path, "a rule must have one of endpointSelector or nodeSelector".into());
            return Vec::new();
        }
        (None, Some(_)) if !cx.clusterwide() => {
            cx.error(
                &with(path, "nodeSelector"),
                "nodeSelector can only be used in a CiliumClusterwideNetworkPolicy".into(),
            );
            return Vec::new();
        }
        (None, Some(_)) => {
            cx.warn(
                "NP1040",
                &with(path, "nodeSelector"),
                "a host policy (nodeSelector) applies to nodes, which netplay does not model: this rule is left out"
                    .into(),
            );
            return Vec::new();
        }
        (Some(sel), None) => sel,
    };
    let sel_path = with(path, "endpointSelector");
    let (s, dropped) = cx.split(subject, &sel_path, !cx.clusterwide());
    if let Some(other) = dropped.filter(|d| *d != cx.namespace) {
        cx.warn(
            "NP1040",
            &sel_path,
            format!(
                "the endpointSelector of a CiliumNetworkPolicy always applies in the policy's namespace {:?}: Cilium replaces the namespace {other:?} written here",
                cx.namespace
            ),
        );
    }
    let (namespace_selector, pod_selector) =
        if !s.reserved.is_empty() || s.matches_no_pod.is_some() || !s.unmodelled.is_empty() {
            // Selects no pod: a subject that is never a pod.
            let never = Selector {
                match_labels: Vec::new(),
                requirements: vec![crate::policy::Requirement {
                    key: NAMESPACE_NAME_LABEL.into(),
                    operator: crate::policy::Operator::DoesNotExist,
                    values: Vec::new(),
                }],
            };
            (Some(never), s.pods.clone())
        } else if cx.clusterwide() {
            (Some(s.namespaces.clone()), s.pods.clone())
        } else if s.namespaces.is_empty() {
            (None, s.pods.clone())
        } else {
            let mut ns = s.namespaces.clone();
            ns.match_labels
                .push((NAMESPACE_NAME_LABEL.into(), cx.namespace.clone()));
            (Some(ns), s.pods.clone())
        };

    let ingress = directed(cx, rule.ingress.as_deref(), path, "ingress", false);
    let ingress_deny = directed(cx, rule.ingress_deny.as_deref(), path, "ingressDeny", true);
    let egress = directed(cx, rule.egress.as_deref(), path, "egress", false);
    let egress_deny = directed(cx, rule.egress_deny.as_deref(), path, "egressDeny", true);
    // `Sanitize`: "if there is a peer selector for that direction, the default is deny".
    let defaults = rule.enable_default_deny.unwrap_or_default();
    let deny_in = defaults
        .ingress
        .unwrap_or(!ingress.is_empty() || !ingress_deny.is_empty());
    let deny_eg = defaults.egress.unwrap_or(!egress.is_empty() || !egress_deny.is_empty());

    let base = |tier: Tier, ingress: Option<Vec<Rule>>, egress: Option<Vec<Rule>>| Policy {
        kind: cx.kind.policy_kind(),
        tier,
        priority: 0,
        namespace: cx.namespace.clone(),
        name: name.to_string(),
        loc: cx.obj.loc.clone(),
        namespace_selector: namespace_selector.clone(),
        pod_selector: pod_selector.clone(),
        pod_selector_loc: cx.obj.locate(&sel_path),
        ingress,
        egress,
        policy_types_loc: None,
        calico: None,
    };
    let some = |rules: Vec<Rule>| (!rules.is_empty()).then_some(rules);
    let mut out = Vec::new();
    let (deny_i, deny_e) = (some(ingress_deny), some(egress_deny));
    if deny_i.is_some() || deny_e.is_some() {
        out.push(base(Tier::CiliumDeny, deny_i, deny_e));
    }
    let (iso_i, add_i) = if deny_in {
        (Some(ingress), None)
    } else {
        (None, some(ingress))
    };
    let (iso_e, add_e) = if deny_eg {
        (Some(egress), None)
    } else {
        (None, some(egress))
    };
    if iso_i.is_some() || iso_e.is_some() {
        out.push(base(Tier::NetworkPolicy, iso_i, iso_e));
    }
    if add_i.is_some() || add_e.is_some() {
        out.push(base(Tier::CiliumNoDefaultDeny, add_i, add_e));
    }
    out
}

/// The rules of one section (`ingress`, `ingressDeny`, `egress`, `egressDeny`).
fn directed<T: RuleFields>(cx: &mut Ctx, list: Option<&[T]>, path: &[PathSeg], key: &str, deny: bool) -> Vec<Rule> {
    list.unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.compile(cx, i, &item(path, key, i), deny))
        .collect()
}

pub(super) trait RuleFields {
    fn compile(&self, cx: &mut Ctx, index: usize, path: &[PathSeg], deny: bool) -> Option<Rule>;
}

impl RuleFields for CiliumIngress {
    fn compile(&self, cx: &mut Ctx, index: usize, path: &[PathSeg], deny: bool) -> Option<Rule> {
        let l3 = [
            (
                "fromEndpoints",
                self.from_endpoints
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::Endpoints(v)),
            ),
            (
                "fromCIDR",
                self.from_cidr.as_ref().filter(|v| !v.is_empty()).map(|v| L3::Cidr(v)),
            ),
            (
                "fromCIDRSet",
                self.from_cidr_set
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::CidrSet(v)),
            ),
            (
                "fromEntities",
                self.from_entities
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::Entities(v)),
            ),
            (
                "fromNodes",
                self.from_nodes.as_ref().filter(|v| !v.is_empty()).map(|_| L3::Nodes),
            ),
            (
                "fromGroups",
                self.from_groups.as_ref().filter(|v| !v.is_null()).map(|_| L3::Groups),
            ),
        ];
        let requires = self.from_requires.as_ref().is_some_and(|r| !r.is_empty());
        let parts = RuleParts {
            l3: l3.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect(),
            requires: requires.then_some("fromRequires"),
            to_ports: self.to_ports.as_deref(),
            icmps: self.icmps.as_ref().is_some_and(|v| !v.is_null()),
            authentication: self.authentication.is_some(),
        };
        rule(cx, parts, index, path, deny, false)
    }
}

impl RuleFields for CiliumEgress {
    fn compile(&self, cx: &mut Ctx, index: usize, path: &[PathSeg], deny: bool) -> Option<Rule> {
        let l3 = [
            (
                "toEndpoints",
                self.to_endpoints
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::Endpoints(v)),
            ),
            (
                "toCIDR",
                self.to_cidr.as_ref().filter(|v| !v.is_empty()).map(|v| L3::Cidr(v)),
            ),
            (
                "toCIDRSet",
                self.to_cidr_set
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::CidrSet(v)),
            ),
            (
                "toEntities",
                self.to_entities
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::Entities(v)),
            ),
            (
                "toServices",
                self.to_services
                    .as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| L3::Services(v)),
            ),
            (
                "toFQDNs",
                self.to_fqdns.as_ref().filter(|v| !v.is_empty()).map(|v| L3::Fqdns(v)),
            ),
            (
                "toNodes",
                self.to_nodes.as_ref().filter(|v| !v.is_empty()).map(|_| L3::Nodes),
            ),
            (
                "toGroups",
                self.to_groups.as_ref().filter(|v| !v.is_null()).map(|_| L3::Groups),
            ),
        ];
        let requires = self.to_requires.as_ref().is_some_and(|r| !r.is_empty());
        let parts = RuleParts {
            l3: l3.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect(),
            requires: requires.then_some("toRequires"),
            to_ports: self.to_ports.as_deref(),
            icmps: self.icmps.as_ref().is_some_and(|v| !v.is_null()),
            authentication: self.authentication.is_some(),
        };
        rule(cx, parts, index, path, deny, true)
    }
}

struct RuleParts<'a> {
    l3: Vec<(&'static str, L3<'a>)>,
    requires: Option<&'static str>,
    to_ports: Option<&'a [PortRule]>,
    icmps: bool,
    authentication: bool,
}

fn rule(cx: &mut Ctx, parts: RuleParts, index: usize, path: &[PathSeg], deny: bool, egress: bool) -> Option<Rule> {
    if let [(a, _), (b, _), ..] = parts.l3.as_slice() {
        cx.error(
            path,
            format!("Combining {a} and {b} is not supported yet: write one rule for each"),
        );
        return None;
    }
    let to_ports = parts.to_ports.filter(|p| !p.is_empty());
    if let (Some(("toServices", _)), Some(_)) = (parts.l3.first(), to_ports) {
        cx.error(path, "Combining toServices and toPorts is not supported yet".into());
        return None;
    }
    if parts.icmps && to_ports.is_some() {
        cx.error(
            path,
            "The ICMPs block may only be present without toPorts. Define a separate rule to use toPorts.".into(),
        );
        return None;
    }
    if let Some(key) = parts.requires {
        cx.warn(
            "NP1041",
            &with(path, key),
            format!("`{key}` is deprecated since Cilium 1.17 and removed in 1.19: netplay does not evaluate it, so the connections it would forbid are shown as allowed"),
        );
    }
    if parts.authentication {
        cx.warn(
            "NP1040",
            &with(path, "authentication"),
            "mutual authentication is not modelled: netplay evaluates this rule as if authentication succeeds".into(),
        );
    }
    if parts.icmps {
        cx.warn(
            "NP1040",
            &with(path, "icmps"),
            "ICMP is not modelled: this rule matches no TCP, UDP or SCTP connection".into(),
        );
    }
    let l4 = to_ports.is_some() || parts.icmps;
    let peers = match parts.l3.into_iter().next() {
        // "If no layer 3 selector is given, the layer 4 rule applies to any layer 3
        // destination"; a rule with neither matches nothing (`ingress: [{}]` isolates
        // without allowing anything).
        None if l4 => None,
        None => Some(Vec::new()),
        Some((key, l3)) => Some(super::peers::peers(cx, l3, &with(path, key), egress)),
    };
    let ports = match to_ports {
        Some(list) => Some(port_rules(cx, list, path, deny, egress)),
        None if parts.icmps => Some(Vec::new()),
        None => None,
    };
    Some(Rule {
        index,
        name: None,
        action: if deny { Action::Deny } else { Action::Allow },
        peers,
        ports,
        except_ports: Vec::new(),
        loc: cx.loc(path),
    })
}

/// The layer 7 rules of one port rule: which kinds it writes, validated as Cilium does,
/// and the model of them (`None` on a deny rule, which has none).
struct PortL7 {
    l7: Option<Box<L7>>,
    /// Whether `rules` is written at all.
    written: bool,
    http: bool,
    dns: bool,
    other: bool,
}

fn port_l7(cx: &mut Ctx, pr: &PortRule, pr_path: &[PathSeg], deny: bool, egress: bool) -> PortL7 {
    let l7_rules = pr.rules.as_ref();
    if deny && l7_rules.is_some() {
        cx.warn(
            "NP0009",
            &with(pr_path, "rules"),
            "unknown field `rules`: a deny rule's toPorts has no layer 7 rules, so the API server drops it".into(),
        );
    }
    let found = PortL7 {
        l7: if deny { None } else { l7_rules.and_then(model_l7) },
        written: l7_rules.is_some(),
        http: l7_rules.and_then(|r| r.http.as_ref()).is_some(),
        dns: l7_rules.and_then(|r| r.dns.as_ref()).is_some(),
        other: l7_rules.is_some_and(|r| r.kafka.is_some() || r.l7proto.is_some() || r.l7.is_some()),
    };
    if !deny {
        if [found.http, found.dns, found.other].iter().filter(|b| **b).count() > 1 {
            cx.error(
                &with(pr_path, "rules"),
                "multiple L7 protocol rule types specified in single rule".into(),
            );
        }
        if found.dns && !egress {
            cx.error(&with(pr_path, "rules"), "DNS rules are not allowed on ingress".into());
        }
        if l7_rules.is_some_and(|r| r.l7.is_some() && r.l7proto.is_none()) {
            cx.error(
                &with(pr_path, "rules"),
                "'l7' may only be specified when a 'l7proto' is also specified".into(),
            );
        }
    }
    found
}

fn port_rules(cx: &mut Ctx, list: &[PortRule], path: &[PathSeg], deny: bool, egress: bool) -> Vec<PortSpec> {
    let mut out = Vec::new();
    for (i, pr) in list.iter().enumerate() {
        let pr_path = item(path, "toPorts", i);
        let l7 = port_l7(cx, pr, &pr_path, deny, egress);
        let ports = pr.ports.as_deref().unwrap_or_default();
        if ports.len() > MAX_PORTS {
            cx.error(
                &with(&pr_path, "ports"),
                format!("too many ports, the max is {MAX_PORTS}"),
            );
        }
        if l7.dns && ports.is_empty() && !deny {
            cx.error(
                &with(&pr_path, "rules"),
                "Port 53 must be specified for DNS rules".into(),
            );
        }
        if ports.is_empty() {
            // A port rule without ports covers every port of every protocol.
            let loc = cx.loc(&pr_path);
            for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
                out.push(PortSpec {
                    protocol,
                    port: PortRef::Any,
                    loc: loc.clone(),
                    l7: l7.l7.clone(),
                });
            }
        }
        for (j, pp) in ports.iter().enumerate() {
            out.extend(port_entry(cx, pp, &item(&pr_path, "ports", j), &l7, deny));
        }
    }
    out
}

/// One `ports[]` entry of a port rule, per protocol; nothing when Cilium rejects it.
fn port_entry(cx: &mut Ctx, pp: &PortProtocol, p_path: &[PathSeg], l7: &PortL7, deny: bool) -> Vec<PortSpec> {
    let Some(port) = pp.port.as_deref() else {
        cx.error(p_path, "Port must be specified".into());
        return Vec::new();
    };
    let protocols = match pp.protocol.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("") | Some("ANY") => vec![Protocol::Tcp, Protocol::Udp, Protocol::Sctp],
        Some("TCP") => vec![Protocol::Tcp],
        Some("UDP") => vec![Protocol::Udp],
        Some("SCTP") => vec![Protocol::Sctp],
        Some(p @ ("ICMP" | "ICMPV6" | "VRRP" | "IGMP")) => {
            cx.warn(
                "NP1040",
                &with(p_path, "protocol"),
                format!("protocol {p} is not modelled: this port matches no TCP, UDP or SCTP connection"),
            );
            Vec::new()
        }
        Some(other) => {
            cx.error(
                &with(p_path, "protocol"),
                format!("protocol {other:?} is not one of TCP, UDP, SCTP, ANY"),
            );
            return Vec::new();
        }
    };
    if (l7.http || l7.other) && !deny && protocols != [Protocol::Tcp] {
        cx.error(
            p_path,
            "L7 rules can only apply to TCP (write `protocol: TCP`) except for DNS rules".into(),
        );
    }
    let Some(port_ref) = cilium_port(cx, port, pp.end_port, p_path, l7, deny) else {
        return Vec::new();
    };
    let loc = cx.loc(p_path);
    protocols
        .into_iter()
        .map(|protocol| PortSpec {
            protocol,
            port: port_ref.clone(),
            loc: loc.clone(),
            l7: l7.l7.clone(),
        })
        .collect()
}

/// `port` (a number, `"0"` for every port, or a port name) with its `endPort`.
fn cilium_port(
    cx: &mut Ctx,
    port: &str,
    end_port: Option<i64>,
    p_path: &[PathSeg],
    l7: &PortL7,
    deny: bool,
) -> Option<PortRef> {
    if check_port_name(&port.to_ascii_lowercase()).is_ok() && port.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Some(PortRef::Named(port.to_ascii_lowercase()));
    }
    match port.parse::<u16>() {
        Ok(0) => {
            if l7.written && !deny {
                cx.error(
                    &with(p_path, "port"),
                    "L7 rules can not be used when a port is 0".into(),
                );
            }
            Some(PortRef::Any)
        }
        Ok(n) => match end_port {
            Some(end) if !(0..=65535).contains(&end) => {
                cx.error(
                    &with(p_path, "endPort"),
                    format!("endPort {end} is out of range: ports are 0-65535"),
                );
                None
            }
            Some(end) if end > i64::from(n) => {
                if l7.dns && !deny {
                    cx.error(&with(p_path, "endPort"), "DNS rules do not support port ranges".into());
                }
                Some(PortRef::Range(n, end as u16))
            }
            _ => Some(PortRef::Range(n, n)),
        },
        Err(_) => {
            cx.error(
                &with(p_path, "port"),
                format!("port {port:?} is neither a number 0-65535 nor a port name (IANA service name)"),
            );
            None
        }
    }
}

/// The layer 7 rules of a port rule in the model: `None` when they let every request
/// through ("If no rules are specified, then all traffic is permitted"; an empty HTTP
/// rule or the DNS pattern `*` matches every request).
fn model_l7(rules: &L7Rules) -> Option<Box<L7>> {
    let text = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
    if let Some(http) = &rules.http {
        let matches: Vec<HttpMatch> = http
            .iter()
            .map(|r| HttpMatch {
                method: text(&r.method),
                path: text(&r.path),
                host: text(&r.host),
                headers: r.headers.clone().unwrap_or_default(),
                header_matches: r.header_matches.is_some(),
            })
            .collect();
        let all = matches.is_empty() || matches.iter().any(|m| *m == HttpMatch::default());
        return (!all).then(|| Box::new(L7::Http(matches)));
    }
    if let Some(dns) = &rules.dns {
        let matches: Vec<DnsMatch> = dns
            .iter()
            .filter_map(|r| match (text(&r.match_name), text(&r.match_pattern)) {
                (Some(name), _) => Some(DnsMatch::Name(name)),
                (None, Some(pattern)) => Some(DnsMatch::Pattern(pattern)),
                (None, None) => None,
            })
            .collect();
        let all = matches.is_empty() || matches.contains(&DnsMatch::Pattern("*".into()));
        return (!all).then(|| Box::new(L7::Dns(matches)));
    }
    if rules.kafka.is_some() {
        return Some(Box::new(L7::Other("kafka rules (not modelled)".into())));
    }
    rules
        .l7proto
        .as_ref()
        .map(|proto| Box::new(L7::Other(format!("{proto} rules (not modelled)"))))
}
