//! Validates an admin policy the way the API server does and reads it into the policy
//! rule model: a [`Policy`] of tier Admin or Baseline, its rules first-match with
//! Allow/Deny/Pass.
//!
//! The rules come from the CRDs of kubernetes-sigs/network-policy-api: `apis/v1alpha1`
//! (AdminNetworkPolicy, BaselineAdminNetworkPolicy) and `apis/v1alpha2`
//! (ClusterNetworkPolicy): enums (actions, tier, protocols), ranges (priority 0-1000,
//! ports 1-65535, range start < end), list limits (rules, peers, ports, 25 networks and
//! domain names), one-of fields (`MinProperties=1`/`MaxProperties=1` on subject, peer,
//! port), and the CEL rules (a BaselineAdminNetworkPolicy is named `default`; no named
//! port in an egress rule with `networks`, `nodes` or `domainNames` peers). What the API
//! server rejects is an error (NP0030, NP0031, NP0032) and the policy is left out, as a
//! cluster never has it; what it accepts but cannot mean what it says is a warning.
//!
//! Into the model: the subject is `namespace_selector` (+ `pod_selector`, empty for a
//! `namespaces` subject); a `namespaces` peer is all pods of the selected namespaces, a
//! `pods` peer both selectors; each `networks` CIDR is an address block; `nodes` a nodes
//! peer (matching nothing netplay can name: NP1035 says so); each `domainNames` entry an
//! FQDN peer, as Cilium's `toFQDNs` (netpol/fqdn.rs: a destination `fqdn:NAME` of its
//! own, undecidable offline; NP1035 says so too); a named port, which names no protocol, is that name in TCP, UDP and
//! SCTP; ClusterNetworkPolicy's `Accept` is `Allow`.

use super::types::{
    AdminPeer as RawPeer, AdminRule as RawRule, AdminSpec, AnpPort, CnpPort, CnpProtocol, NamespacedPod,
};
use super::AdminKind;
use crate::conn::Protocol;
use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::policy::{Action, DnsMatch, Peer, PeerKind, Policy, PortRef, PortSpec, Rule, Selector, Tier};
use crate::read::findings::{item, with, Findings};
use crate::read::netpol::label_selector;
use ipnet::IpNet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

struct Ctx<'a> {
    found: Findings<'a>,
    kind: AdminKind,
}

impl Ctx<'_> {
    /// NP0030: the API server rejects this value.
    fn error(&mut self, path: &[PathSeg], msg: String) {
        let d = self.found.diag("NP0030", path, msg);
        self.found.errors.push(d);
    }

    /// NP0033: a required selector of a `pods` subject or peer is missing. The API server
    /// rejects the policy, but what was meant is plain ({} is every one), and other
    /// analyzers read it so: the policy is kept with `{}` and the error says both.
    fn missing_selector(&mut self, path: &[PathSeg], field: &str, what: &str) {
        let d = self.found.diag(
            "NP0033",
            path,
            format!(
                "pods.{field} is required: the API server rejects this policy; netplay reads the missing selector as {{}} (every {what})"
            ),
        )
        .help(format!("write `{field}: {{}}` to select every {what}"));
        self.found.warnings.push(d);
    }

    fn selector(&mut self, sel: &LabelSelector, path: &[PathSeg]) -> Selector {
        let (s, mut errs) = label_selector(self.found.obj, sel, path);
        self.found.errors.append(&mut errs);
        s
    }

    /// Checks a list's length against `min..=max` (MinItems/MaxItems).
    fn count(&mut self, path: &[PathSeg], what: &str, len: usize, min: usize, max: usize) {
        if len < min {
            self.error(path, format!("{what} must have at least {min} item(s)"));
        } else if len > max {
            self.error(path, format!("{what} may have at most {max} items, this one has {len}"));
        }
    }
}

/// Compiles one admin policy object of `kind`. Returns the policy when the API server
/// would accept it, and every diagnostic (errors make the policy `None`).
pub fn compile(obj: &RawObject, kind: AdminKind, spec: Option<AdminSpec>) -> (Option<Policy>, Vec<Diagnostic>) {
    let mut cx = Ctx {
        found: Findings::new(obj),
        kind,
    };
    let spec_path = vec![PathSeg::key("spec")];
    let policy = match spec {
        None => {
            cx.error(&spec_path, format!("{} needs a spec", kind.as_str()));
            None
        }
        Some(spec) => compile_spec(&mut cx, spec, &spec_path),
    };
    let mut diags = std::mem::take(&mut cx.found.errors);
    let valid = diags.is_empty();
    diags.append(&mut cx.found.warnings);
    (policy.filter(|_| valid), diags)
}

fn compile_spec(cx: &mut Ctx, spec: AdminSpec, spec_path: &[PathSeg]) -> Option<Policy> {
    let kind = cx.kind;
    if kind == AdminKind::BaselineAdminNetworkPolicy && cx.found.obj.name != "default" {
        let d = cx
            .found.diag(
                "NP0031",
                &[PathSeg::key("metadata"), PathSeg::key("name")],
                format!(
                    "a BaselineAdminNetworkPolicy must be named `default` (there is one per cluster), not {:?}: the API server rejects it",
                    cx.found.obj.name
                ),
            )
            .help("rename it `default`, merging its rules into the existing `default` if there is one");
        cx.found.errors.push(d);
    }
    let tier = match kind {
        AdminKind::AdminNetworkPolicy => Tier::Admin,
        AdminKind::BaselineAdminNetworkPolicy => Tier::Baseline,
        AdminKind::ClusterNetworkPolicy => match spec.tier.as_deref() {
            Some("Admin") => Tier::Admin,
            Some("Baseline") => Tier::Baseline,
            Some(other) => {
                cx.error(
                    &with(spec_path, "tier"),
                    format!("tier {other:?} is not one of \"Admin\", \"Baseline\""),
                );
                Tier::Admin
            }
            None => {
                cx.error(spec_path, "spec.tier is required: \"Admin\" or \"Baseline\"".into());
                Tier::Admin
            }
        },
    };
    let priority = match (kind, spec.priority) {
        (AdminKind::BaselineAdminNetworkPolicy, _) => 0,
        (_, None) => {
            cx.error(spec_path, "spec.priority is required (0-1000, lower first)".into());
            0
        }
        (_, Some(p)) if !(0..=1000).contains(&p) => {
            cx.error(
                &with(spec_path, "priority"),
                format!("priority {p} is out of range: it must be 0-1000"),
            );
            0
        }
        (_, Some(p)) => p as i32,
    };
    let subject_path = with(spec_path, "subject");
    let (namespace_selector, pod_selector) = match &spec.subject {
        None => {
            cx.error(spec_path, "spec.subject is required".into());
            (Selector::default(), Selector::default())
        }
        Some(s) => match (&s.namespaces, &s.pods) {
            (Some(ns), None) => (cx.selector(ns, &with(&subject_path, "namespaces")), Selector::default()),
            (None, Some(pods)) => namespaced_pod(cx, pods, &with(&subject_path, "pods")),
            (None, None) => {
                cx.error(&subject_path, "subject must set one of `namespaces` and `pods`".into());
                (Selector::default(), Selector::default())
            }
            (Some(_), Some(_)) => {
                cx.error(
                    &subject_path,
                    "subject may set only one of `namespaces` and `pods`".into(),
                );
                (Selector::default(), Selector::default())
            }
        },
    };
    let subject_loc = cx.found.loc(&subject_path);
    let ingress = rules(cx, spec.ingress.as_deref(), spec_path, "ingress");
    let egress = rules(cx, spec.egress.as_deref(), spec_path, "egress");
    // "ANPs with no ingress rules do not affect ingress traffic."
    Some(Policy {
        kind: kind.policy_kind(),
        tier,
        priority,
        namespace: String::new(),
        name: cx.found.obj.name.clone(),
        loc: cx.found.obj.loc.clone(),
        namespace_selector: Some(namespace_selector),
        pod_selector,
        pod_selector_loc: subject_loc,
        ingress: (!ingress.is_empty()).then_some(ingress),
        egress: (!egress.is_empty()).then_some(egress),
        policy_types_loc: None,
        calico: None,
    })
}

fn namespaced_pod(cx: &mut Ctx, pods: &NamespacedPod, path: &[PathSeg]) -> (Selector, Selector) {
    let namespaces = match &pods.namespace_selector {
        Some(ns) => cx.selector(ns, &with(path, "namespaceSelector")),
        // Required in v1alpha1; optional in v1alpha2, where absent means all namespaces.
        None if cx.kind == AdminKind::ClusterNetworkPolicy => Selector::default(),
        None => {
            cx.missing_selector(path, "namespaceSelector", "namespace");
            Selector::default()
        }
    };
    let pod_selector = match &pods.pod_selector {
        Some(p) => cx.selector(p, &with(path, "podSelector")),
        None => {
            cx.missing_selector(path, "podSelector", "pod");
            Selector::default()
        }
    };
    (namespaces, pod_selector)
}

fn rules(cx: &mut Ctx, list: Option<&[RawRule]>, spec_path: &[PathSeg], dir: &str) -> Vec<Rule> {
    let list = list.unwrap_or_default();
    let limit = cx.kind.limit();
    if list.len() > limit {
        cx.error(
            &with(spec_path, dir),
            format!("{dir} may have at most {limit} rules, this one has {}", list.len()),
        );
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, r)| rule(cx, r, i, &item(spec_path, dir, i), dir == "egress"))
        .collect()
}

fn action(cx: &mut Ctx, written: Option<&str>, path: &[PathSeg]) -> Option<Action> {
    let kind = cx.kind;
    let cnp = kind == AdminKind::ClusterNetworkPolicy;
    let allowed = match kind {
        AdminKind::AdminNetworkPolicy => "\"Allow\", \"Deny\", \"Pass\"",
        AdminKind::BaselineAdminNetworkPolicy => "\"Allow\", \"Deny\"",
        AdminKind::ClusterNetworkPolicy => "\"Accept\", \"Deny\", \"Pass\"",
    };
    let action = match written {
        Some("Allow") if cnp => {
            let d = cx
                .found
                .diag(
                    "NP0032",
                    &with(path, "action"),
                    "action \"Allow\" is from a ClusterNetworkPolicy draft: v1alpha2 calls it \"Accept\"".into(),
                )
                .help("write `action: Accept`");
            cx.found.errors.push(d);
            return None;
        }
        Some("Accept") if cnp => Action::Allow,
        Some("Allow") if !cnp => Action::Allow,
        Some("Deny") => Action::Deny,
        Some("Pass") if kind != AdminKind::BaselineAdminNetworkPolicy => Action::Pass,
        Some(other) => {
            cx.error(
                &with(path, "action"),
                format!("action {other:?} is not valid: {} rules take {allowed}", kind.as_str()),
            );
            return None;
        }
        None => {
            cx.error(path, format!("the rule needs an action: one of {allowed}"));
            return None;
        }
    };
    Some(action)
}

fn rule(cx: &mut Ctx, r: &RawRule, index: usize, path: &[PathSeg], egress: bool) -> Option<Rule> {
    if let Some(name) = &r.name {
        if name.chars().count() > 100 {
            cx.error(
                &with(path, "name"),
                "a rule name may have at most 100 characters".into(),
            );
        }
    }
    let action = action(cx, r.action.as_deref(), path);
    let (peer_key, other_key) = if egress { ("to", "from") } else { ("from", "to") };
    let (peers_written, other) = if egress { (&r.to, &r.from) } else { (&r.from, &r.to) };
    if other.is_some() {
        cx.error(
            &with(path, other_key),
            format!(
                "{other_key} belongs to the other direction: an {} rule has `{peer_key}`",
                if egress { "egress" } else { "ingress" }
            ),
        );
    }
    let limit = cx.kind.limit();
    let peers_path = with(path, peer_key);
    let mut peers = Vec::new();
    let mut unknown_peer = false;
    match peers_written {
        None => cx.error(path, format!("the rule needs `{peer_key}` with at least one peer")),
        Some(list) => {
            cx.count(&peers_path, peer_key, list.len(), 1, limit);
            for (i, p) in list.iter().enumerate() {
                let p_path = item(path, peer_key, i);
                match peer(cx, p, &p_path, egress) {
                    PeerRead::Peers(kinds) => {
                        let loc = cx.found.loc(&p_path);
                        peers.extend(kinds.into_iter().map(|kind| Peer { kind, loc: loc.clone() }));
                    }
                    PeerRead::Unknown => unknown_peer = true,
                    PeerRead::Invalid => {}
                }
            }
        }
    }
    let ports = ports(cx, r, path);
    if egress {
        // CEL: "networks/nodes/domainNames peer cannot be set with namedPorts".
        let non_pod = peers.iter().any(|p| !matches!(p.kind, PeerKind::Pods { .. }));
        if non_pod && ports.iter().flatten().any(|p| matches!(p.port, PortRef::Named(_))) {
            cx.error(
                path,
                "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames".into(),
            );
        }
    }
    let action = action?;
    if action != Action::Allow {
        if let Some(p) = peers.iter().find(|p| matches!(p.kind, PeerKind::Fqdn(_))) {
            let d = Diagnostic::new(
                "NP1033",
                "domainNames peers are supported in Allow/Accept rules only: implementations may ignore or reject this rule",
            )
            .at(&p.loc)
            .resource(cx.found.obj.resource());
            cx.found.warnings.push(d);
        }
    }
    let mut out = Rule {
        index,
        name: r.name.clone().filter(|n| !n.is_empty()),
        action,
        peers: Some(peers),
        ports,
        except_ports: Vec::new(),
        loc: cx.found.loc(path),
    };
    if unknown_peer && out.action != Action::Allow {
        // An Allow rule keeps its other peers (the unknown one matches nothing).
        out.action = Action::Deny;
        out.peers = None;
        out.ports = None;
    }
    Some(out)
}

// Failing closed, as the API says: "If an implementation sees no fields are set then it
// can infer that the deployed CRD is of an incompatible version with an unknown field.
// In that case it should fail closed. For Allow rules, fail closed means: treat the rule
// as matching no traffic. For Deny and Pass rules: treat the rule as a 'Deny all' rule."

enum PeerRead {
    /// What the peer is in the model (a `networks` peer is one block per CIDR).
    Peers(Vec<PeerKind>),
    /// Only fields of no known version: fail closed.
    Unknown,
    /// Reported.
    Invalid,
}

fn peer(cx: &mut Ctx, p: &RawPeer, path: &[PathSeg], egress: bool) -> PeerRead {
    let set: Vec<&str> = [
        ("namespaces", p.namespaces.is_some()),
        ("pods", p.pods.is_some()),
        ("nodes", p.nodes.is_some()),
        ("networks", p.networks.is_some()),
        ("domainNames", p.domain_names.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    match set.as_slice() {
        [] if p.other.is_empty() => {
            cx.error(
                path,
                "a peer must set one of `namespaces`, `pods`".to_string()
                    + if egress {
                        ", `nodes`, `networks`, `domainNames`"
                    } else {
                        ""
                    },
            );
            PeerRead::Invalid
        }
        [] => {
            let keys: Vec<&str> = p.other.keys().map(String::as_str).collect();
            let d = cx.found.diag(
                "NP1034",
                path,
                format!(
                    "peer type `{}` is unknown to netplay: as the API says for a peer of a newer version, the rule fails closed (an Allow rule matches nothing through it, a Deny or Pass rule denies everything)",
                    keys.join("`, `")
                ),
            );
            cx.found.warnings.push(d);
            PeerRead::Unknown
        }
        [one] => {
            let egress_only = matches!(*one, "nodes" | "networks" | "domainNames");
            if egress_only && !egress {
                cx.error(
                    &with(path, one),
                    format!("`{one}` is an egress peer: ingress peers are `namespaces` or `pods`"),
                );
                return PeerRead::Invalid;
            }
            if *one == "domainNames" && cx.kind == AdminKind::BaselineAdminNetworkPolicy {
                cx.error(
                    &with(path, one),
                    "a BaselineAdminNetworkPolicy has no `domainNames` peer".into(),
                );
                return PeerRead::Invalid;
            }
            match *one {
                "namespaces" => PeerRead::Peers(vec![PeerKind::Pods {
                    namespaces: Some(
                        p.namespaces
                            .as_ref()
                            .map(|s| cx.selector(s, &with(path, "namespaces")))
                            .unwrap_or_default(),
                    ),
                    pods: None,
                }]),
                "pods" => {
                    let (namespaces, pods) = p
                        .pods
                        .as_ref()
                        .map(|pp| namespaced_pod(cx, pp, &with(path, "pods")))
                        .unwrap_or_default();
                    PeerRead::Peers(vec![PeerKind::Pods {
                        namespaces: Some(namespaces),
                        pods: Some(pods),
                    }])
                }
                "nodes" => {
                    let nodes = p
                        .nodes
                        .as_ref()
                        .map(|s| cx.selector(s, &with(path, "nodes")))
                        .unwrap_or_default();
                    let d = cx.found.diag(
                        "NP1035",
                        &with(path, "nodes"),
                        format!("a nodes peer [{nodes}] selects node addresses, which the input does not hold: netplay matches no connection with it"),
                    );
                    cx.found.warnings.push(d);
                    PeerRead::Peers(vec![PeerKind::Nodes { nodes }])
                }
                "networks" => networks(cx, p.networks.as_deref().unwrap_or_default(), &with(path, "networks")),
                _ => domain_names(
                    cx,
                    p.domain_names.as_deref().unwrap_or_default(),
                    &with(path, "domainNames"),
                ),
            }
        }
        many => {
            cx.error(
                path,
                format!(
                    "a peer sets exactly one field, this one sets `{}`: write one peer per item",
                    many.join("`, `")
                ),
            );
            PeerRead::Invalid
        }
    }
}

fn networks(cx: &mut Ctx, list: &[String], path: &[PathSeg]) -> PeerRead {
    cx.count(path, "networks", list.len(), 1, 25);
    let mut nets = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let mut p = path.to_vec();
        p.push(PathSeg::Index(i));
        // v1alpha1's CEL: `self.contains(':') != self.contains('.')`; both: a CIDR.
        let one_family = text.contains(':') != text.contains('.');
        match text.parse::<IpNet>() {
            Ok(net) if one_family && text.len() <= 43 => nets.push(net.trunc()),
            _ => cx.error(
                &p,
                format!(
                    "{text:?} is not a CIDR (an IPv4 or IPv6 address range such as \"10.0.0.0/8\" or \"fd00::/8\")"
                ),
            ),
        }
    }
    PeerRead::Peers(
        nets.into_iter()
            .map(|cidr| PeerKind::IpBlock {
                cidr,
                except: Vec::new(),
            })
            .collect(),
    )
}

/// `^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`
fn valid_domain(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            let b = l.as_bytes();
            // `A-z` in the pattern also admits `[\]^_` and the backquote as first and last.
            let edge = |c: u8| c.is_ascii_alphanumeric() || (b'['..=b'`').contains(&c);
            !b.is_empty()
                && edge(b[0])
                && edge(b[b.len() - 1])
                && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        })
}

fn domain_names(cx: &mut Ctx, list: &[String], path: &[PathSeg]) -> PeerRead {
    cx.count(path, "domainNames", list.len(), 1, 25);
    for (i, name) in list.iter().enumerate() {
        if !valid_domain(name) {
            let mut p = path.to_vec();
            p.push(PathSeg::Index(i));
            cx.error(
                &p,
                format!("{name:?} is not a domain name: labels of letters, digits, '-' and '_', with at most a leading `*.`"),
            );
        }
    }
    let d = cx.found.diag(
        "NP1035",
        path,
        format!(
            "domainNames [{}] name addresses that only DNS knows: each name is a destination of its own (fqdn:NAME), and whether its addresses are reached is undecidable offline; no workload or address range matches it",
            list.join(", ")
        ),
    );
    cx.found.warnings.push(d);
    // As Cilium's toFQDNs (netpol/fqdn.rs): `*.` names a pattern, anything else a name.
    PeerRead::Peers(
        list.iter()
            .map(|name| {
                PeerKind::Fqdn(if name.contains('*') {
                    DnsMatch::Pattern(name.clone())
                } else {
                    DnsMatch::Name(name.clone())
                })
            })
            .collect(),
    )
}

fn protocol(cx: &mut Ctx, written: Option<&str>, path: &[PathSeg]) -> Protocol {
    match written {
        // Defaults to TCP (the API's `+kubebuilder:default=TCP`).
        None => Protocol::Tcp,
        Some(p) => Protocol::parse(p).unwrap_or_else(|| {
            cx.error(
                &with(path, "protocol"),
                format!("protocol {p:?} is not one of \"TCP\", \"UDP\", \"SCTP\""),
            );
            Protocol::Tcp
        }),
    }
}

fn port_number(cx: &mut Ctx, n: Option<i64>, path: &[PathSeg], what: &str) -> u16 {
    match n {
        Some(n) if (1..=65535).contains(&n) => n as u16,
        Some(n) => {
            cx.error(path, format!("{what} {n} is out of range: ports are 1-65535"));
            1
        }
        None => {
            cx.error(path, format!("{what} is required"));
            1
        }
    }
}

fn range(cx: &mut Ctx, start: Option<i64>, end: Option<i64>, path: &[PathSeg]) -> (u16, u16) {
    let lo = port_number(cx, start, &with(path, "start"), "start");
    let hi = port_number(cx, end, &with(path, "end"), "end");
    if start.is_some() && end.is_some() && lo >= hi {
        cx.error(
            path,
            format!("a port range's start ({lo}) must be less than its end ({hi})"),
        );
    }
    (lo, hi)
}

fn ports(cx: &mut Ctx, r: &RawRule, path: &[PathSeg]) -> Option<Vec<PortSpec>> {
    let limit = cx.kind.limit();
    if cx.kind == AdminKind::ClusterNetworkPolicy {
        if r.ports.is_some() {
            let d = cx
                .found.diag(
                    "NP0032",
                    &with(path, "ports"),
                    "`ports` is from a ClusterNetworkPolicy draft: v1alpha2 matches ports with `protocols`".into(),
                )
                .help("write `protocols: [{tcp: {destinationPort: {number: 80}}}]`, `{udp: ...}`, `{sctp: ...}` or `{destinationNamedPort: name}`");
            cx.found.errors.push(d);
        }
        if r.match_.is_some() {
            let d = cx
                .found
                .diag(
                    "NP0032",
                    &with(path, "match"),
                    "`match` is from a ClusterNetworkPolicy draft: v1alpha2 matches ports with `protocols`".into(),
                )
                .help(
                    "write `protocols: [{tcp: {destinationPort: {number: 80}}}]` (`range: {start, end}` for a range)",
                );
            cx.found.errors.push(d);
        }
        let list = r.protocols.as_ref()?;
        cx.count(&with(path, "protocols"), "protocols", list.len(), 1, limit);
        let mut out = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let p_path = item(path, "protocols", i);
            let port = cnp_protocol(cx, p, &p_path);
            port_specs(port, cx.found.loc(&p_path), &mut out);
        }
        return Some(out);
    }
    if r.protocols.is_some() {
        cx.error(
            &with(path, "protocols"),
            format!(
                "`protocols` is ClusterNetworkPolicy's field: a {} rule has `ports`",
                cx.kind.as_str()
            ),
        );
    }
    let list = r.ports.as_ref()?;
    cx.count(&with(path, "ports"), "ports", list.len(), 1, limit);
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let p_path = item(path, "ports", i);
        let port = anp_port(cx, p, &p_path);
        port_specs(port, cx.found.loc(&p_path), &mut out);
    }
    Some(out)
}

/// A port as written, before it is a [`PortSpec`].
enum AdminPort {
    Range(Protocol, u16, u16),
    /// A container port's name: the API names no protocol for it, so every protocol.
    Named(String),
}

fn port_specs(port: Option<AdminPort>, loc: Location, out: &mut Vec<PortSpec>) {
    match port {
        None => {}
        Some(AdminPort::Range(protocol, lo, hi)) => out.push(PortSpec {
            protocol,
            port: PortRef::Range(lo, hi),
            loc,
            l7: None,
        }),
        Some(AdminPort::Named(name)) => {
            for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
                out.push(PortSpec {
                    protocol,
                    port: PortRef::Named(name.clone()),
                    loc: loc.clone(),
                    l7: None,
                });
            }
        }
    }
}

fn anp_port(cx: &mut Ctx, p: &AnpPort, path: &[PathSeg]) -> Option<AdminPort> {
    match (&p.port_number, &p.named_port, &p.port_range) {
        (Some(n), None, None) => {
            let path = with(path, "portNumber");
            let proto = protocol(cx, n.protocol.as_deref(), &path);
            let port = port_number(cx, n.port, &with(&path, "port"), "port");
            Some(AdminPort::Range(proto, port, port))
        }
        (None, Some(name), None) => Some(AdminPort::Named(name.clone())),
        (None, None, Some(r)) => {
            let path = with(path, "portRange");
            let proto = protocol(cx, r.protocol.as_deref(), &path);
            let (lo, hi) = range(cx, r.start, r.end, &path);
            Some(AdminPort::Range(proto, lo, hi))
        }
        (None, None, None) => {
            cx.error(
                path,
                "a port must set one of `portNumber`, `namedPort`, `portRange`".into(),
            );
            None
        }
        _ => {
            cx.error(
                path,
                "a port sets exactly one of `portNumber`, `namedPort`, `portRange`: write one per item".into(),
            );
            None
        }
    }
}

fn cnp_protocol(cx: &mut Ctx, p: &CnpProtocol, path: &[PathSeg]) -> Option<AdminPort> {
    let set = [
        (Protocol::Tcp, "tcp", &p.tcp),
        (Protocol::Udp, "udp", &p.udp),
        (Protocol::Sctp, "sctp", &p.sctp),
    ];
    let transports: Vec<_> = set.iter().filter(|(_, _, t)| t.is_some()).collect();
    match (transports.as_slice(), &p.destination_named_port) {
        ([], Some(name)) => Some(AdminPort::Named(name.clone())),
        ([(proto, key, Some(t))], None) => {
            let t_path = with(path, key);
            match &t.destination_port {
                // `MinProperties=1`: `tcp: {}` is rejected.
                None => {
                    cx.error(&t_path, format!("`{key}` needs a destinationPort"));
                    None
                }
                Some(port) => cnp_port(cx, *proto, port, &with(&t_path, "destinationPort")),
            }
        }
        ([], None) => {
            cx.error(
                path,
                "a protocol must set one of `tcp`, `udp`, `sctp`, `destinationNamedPort`".into(),
            );
            None
        }
        _ => {
            cx.error(
                path,
                "a protocol sets exactly one of `tcp`, `udp`, `sctp`, `destinationNamedPort`: write one per item"
                    .into(),
            );
            None
        }
    }
}

fn cnp_port(cx: &mut Ctx, proto: Protocol, port: &CnpPort, path: &[PathSeg]) -> Option<AdminPort> {
    match (&port.number, &port.range) {
        (Some(n), None) => {
            let n = port_number(cx, Some(*n), &with(path, "number"), "number");
            Some(AdminPort::Range(proto, n, n))
        }
        (None, Some(r)) => {
            let (lo, hi) = range(cx, r.start, r.end, &with(path, "range"));
            Some(AdminPort::Range(proto, lo, hi))
        }
        (None, None) => {
            cx.error(path, "destinationPort must set one of `number`, `range`".into());
            None
        }
        (Some(_), Some(_)) => {
            cx.error(path, "destinationPort sets exactly one of `number`, `range`".into());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_follow_the_api_pattern() {
        assert!(valid_domain("kubernetes.io"));
        assert!(valid_domain("*.kubernetes.io"));
        assert!(valid_domain("blog.kubernetes.io."));
        assert!(!valid_domain("localhost"), "one label");
        assert!(!valid_domain("*kubernetes.io"), "partial wildcard");
        assert!(!valid_domain("a.*.io"), "wildcard only as a prefix");
        assert!(!valid_domain("-a.io"));
    }
}
