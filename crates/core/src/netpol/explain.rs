//! Explanations: for one pair (and optionally one port), which policies isolate each side
//! and which rules and peers admit the traffic.

use super::l7::{self, Admitted, L7Constraint};
use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Location;
use crate::model::{Cluster, Labels, Workload, NAMESPACE_NAME_LABEL};
use crate::policy::walk::{walk_tiers, Plain};
use crate::policy::{Direction, PeerKind, Policy, PolicyKind, Rule, Tier, TierWalk};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

/// One end of the pair being explained.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// Index into `Cluster::workloads`.
    Workload(usize),
    Ip(IpAddr),
}

/// One end of a pair as the evaluation sees it: a workload — of the cluster, or one a
/// caller describes without adding it to the cluster (the mesh simulation's virtual
/// gateways and clients) — or an address outside the cluster.
#[derive(Clone, Copy, Debug)]
pub enum End<'a> {
    Workload(&'a Workload),
    Ip(IpAddr),
    /// The addresses DNS gives for a name at run time (`fqdn:<name>`, [`super::fqdn`]).
    Fqdn(&'a crate::policy::DnsMatch),
}

impl Target {
    fn end(self, cluster: &Cluster) -> End<'_> {
        match self {
            Target::Workload(i) => End::Workload(&cluster.workloads[i]),
            Target::Ip(ip) => End::Ip(ip),
        }
    }
}

/// The labels of namespace `name`; a namespace the cluster does not hold (that of a
/// virtual workload) has only its name label, as an implicit namespace does.
pub(crate) fn namespace_labels<'a>(cluster: &'a Cluster, name: &str) -> Cow<'a, Labels> {
    match cluster.namespace(name) {
        Some(ns) => Cow::Borrowed(&ns.labels),
        None => Cow::Owned(Labels::from([(NAMESPACE_NAME_LABEL.to_string(), name.to_string())])),
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PolicyRef {
    pub policy: String,
    #[serde(flatten)]
    pub loc: Location,
}

/// A 0-based index as people count it, from 1.
fn one_based<S: serde::Serializer>(i: &usize, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(*i as u64 + 1)
}

fn one_based_opt<S: serde::Serializer>(i: &Option<usize>, s: S) -> Result<S::Ok, S::Error> {
    match i {
        Some(i) => s.serialize_some(&(*i as u64 + 1)),
        None => s.serialize_none(),
    }
}

/// A rule that admits (part of) the traffic.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RuleMatch {
    pub policy: String,
    pub direction: &'static str,
    /// 0-based index of the rule in the policy's ingress/egress list; written 1-based
    /// in JSON, as the text and diff number rules.
    #[serde(serialize_with = "one_based")]
    pub rule: usize,
    /// 0-based index of the matching peer; `None` when the rule has no peers (all
    /// match). Written 1-based in JSON.
    #[serde(serialize_with = "one_based_opt")]
    pub peer: Option<usize>,
    /// The peer in words, e.g. `pods [app=web] in namespaces [team=a]`.
    pub peer_text: String,
    /// What the rule allows for this pair.
    pub conn: String,
    /// The rule's location, and the matching peer's.
    pub rule_loc: Location,
    pub peer_loc: Option<Location>,
    /// With a probe: whether this rule admits the probed port (it decides the verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decides: Option<bool>,
}

/// A rule of a first-match tier (AdminNetworkPolicy, Baseline) that decided part of the
/// traffic: what it took is allowed, denied or passed to the next tier.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TierDecision {
    /// `Admin`, `Baseline`, or `Calico tier NAME`.
    pub tier: String,
    pub action: &'static str,
    /// The policy as `anp/name`, `banp/default` or `cnp/name`, its priority, and the
    /// rule by name (`rule "x"`) or 1-based number (`rule 2`).
    pub policy_ref: String,
    pub priority: i32,
    /// A Calico policy's `order` as written (`unset` when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    pub rule_label: String,
    /// Other admin policies of the same tier and priority that also have a rule matching
    /// this pair (`anp/name`): the API leaves their order undefined, so an implementation
    /// may apply either (NP1030); netplay took this one first, by kind, namespace and name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_priority_as: Vec<String>,
    /// The rule and peer; `conn` is the part of the traffic this rule decided (what
    /// earlier rules of its tier left).
    #[serde(flatten)]
    pub rule: RuleMatch,
}

/// The end of a Calico tier that applies to the subject: "If the Tier applies to the
/// endpoint, but takes no action on the packet the packet is dropped."
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TierEnd {
    pub tier: String,
    /// What it denied.
    pub denied: String,
    /// How many entries of `tiers` come before it in the walk.
    pub after: usize,
    /// With a probe: whether the end of the tier decides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decides: Option<bool>,
}

/// `Calico tier NAME` for a Calico policy, the tier's name otherwise.
fn tier_label(policy: &Policy) -> String {
    match &policy.calico {
        Some(c) => format!("Calico tier {}", c.tier),
        None => match policy.tier {
            crate::policy::Tier::Calico(_) => "Calico tier default".to_string(),
            t => t.as_str().to_string(),
        },
    }
}

/// One side of a connection: the source's egress or the destination's ingress.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SideExplanation {
    pub direction: &'static str,
    /// The workload whose policies are consulted; `None` for an external address (no
    /// policy applies to it).
    pub workload: Option<String>,
    /// For a host-network workload, the node policies see it as (`node worker-1
    /// (10.0.1.10)`): no policy selects it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_node: Option<String>,
    /// Policies that select the workload for this direction. Empty: not isolated.
    pub isolated_by: Vec<PolicyRef>,
    /// Rules that admit some of the traffic.
    pub admitted_by: Vec<RuleMatch>,
    /// Rules of first-match tiers that decided some of the traffic, in evaluation order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<TierDecision>,
    /// Calico tiers whose end denied what no rule of theirs took.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tier_ends: Vec<TierEnd>,
    /// Layer 7 rules (Cilium's) that narrow what this side allows to some requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l7: Vec<L7Constraint>,
    #[serde(skip)]
    pub allowed: ConnSet,
    /// What this side allows, printed.
    pub allowed_text: String,
    /// What the tiers before NetworkPolicy left undecided, so what the NetworkPolicy tier
    /// decides: an Admin (or Calico, Cilium) Allow or Deny is final and later tiers are
    /// not consulted for what it took.
    #[serde(skip)]
    pub reaches_networkpolicy: ConnSet,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Explanation {
    pub src: String,
    pub dst: String,
    pub egress: SideExplanation,
    pub ingress: SideExplanation,
    #[serde(skip)]
    pub allowed: ConnSet,
    /// The connection allowed, printed as in connlist.
    pub conn: String,
    /// The port asked about, e.g. `TCP 8080`.
    pub probe: Option<String>,
    /// For a probe: whether it is allowed.
    pub probe_allowed: Option<bool>,
    /// Layer 7 rules of either side on what is allowed ([`l7`]): those ports are open
    /// only to the requests the rules let through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l7: Vec<L7Constraint>,
}

fn end_name(end: End) -> String {
    match end {
        End::Workload(w) => w.endpoint_name(),
        // A single address is the range `a-a`, as everywhere else.
        End::Ip(ip) => format!("{ip}-{ip}[External]"),
        End::Fqdn(m) => m.fqdn_name(),
    }
}

fn peer_admits(cluster: &Cluster, policy: &Policy, kind: &PeerKind, peer: End) -> bool {
    match peer {
        End::Ip(ip) => kind.matches_ip(&ip),
        End::Fqdn(m) => kind.matches_fqdn(m),
        End::Workload(w) => kind.matches_workload(&policy.namespace, w, &namespace_labels(cluster, &w.namespace)),
    }
}

fn explain_side(
    cluster: &Cluster,
    dir: Direction,
    subject: End,
    peer: End,
    dst: End,
    probe: Option<(Protocol, u16)>,
) -> SideExplanation {
    let End::Workload(w) = subject else {
        return SideExplanation {
            direction: dir.as_str(),
            workload: None,
            host_node: None,
            isolated_by: Vec::new(),
            admitted_by: Vec::new(),
            tiers: Vec::new(),
            tier_ends: Vec::new(),
            l7: Vec::new(),
            allowed: ConnSet::all(),
            allowed_text: ConnSet::all().to_string(),
            reaches_networkpolicy: ConnSet::all(),
        };
    };
    let dst_ports = match dst {
        // A node (a host-network destination) has no named ports to resolve.
        End::Workload(d) if d.host_network => Some(&[][..]),
        End::Workload(d) => Some(d.ports.as_slice()),
        End::Ip(_) | End::Fqdn(_) => None,
    };
    let ask = Ask {
        cluster,
        dir,
        peer,
        dst_ports,
        probe,
    };
    let mut side = gather(&ask, w);
    let walked = if side.tiered.is_empty() && side.closing.is_empty() {
        Walked {
            allowed: side.isolation.clone().unwrap_or_else(ConnSet::all),
            tiers: Vec::new(),
            tier_ends: Vec::new(),
            reaches_networkpolicy: ConnSet::all(),
        }
    } else {
        walk_first_match(&ask, &mut side)
    };
    SideExplanation {
        direction: dir.as_str(),
        workload: Some(w.endpoint_name()),
        host_node: w.node_view(),
        l7: l7::constraints(dir.as_str(), &side.admitted, dst_ports, &walked.allowed),
        isolated_by: side.isolated_by,
        admitted_by: side.admitted_by,
        tiers: walked.tiers,
        tier_ends: walked.tier_ends,
        allowed_text: walked.allowed.to_string(),
        allowed: walked.allowed,
        reaches_networkpolicy: walked.reaches_networkpolicy,
    }
}

/// What one side's explanation is asked: the direction, the peer, the destination's
/// ports (named ports resolve on them) and the probed port.
struct Ask<'a> {
    cluster: &'a Cluster,
    dir: Direction,
    peer: End<'a>,
    dst_ports: Option<&'a [crate::model::ContainerPort]>,
    probe: Option<(Protocol, u16)>,
}

/// The policies that select a side's workload, sorted: the NetworkPolicy tier (which
/// isolate it, which rules admit the peer and what they admit) and the rules of
/// first-match tiers, still to be walked.
struct Gathered<'a> {
    isolated_by: Vec<PolicyRef>,
    admitted_by: Vec<RuleMatch>,
    /// What the isolating policies admit; `None` when none isolates the side.
    isolation: Option<ConnSet>,
    /// What each allowing rule let through, for the layer 7 constraints.
    admitted: Vec<Admitted<'a>>,
    /// (policy index, policy, rule) of every first-match tier rule of the side.
    tiered: Vec<(usize, &'a Policy, &'a Rule)>,
    /// Tiers that deny at their end, with the name they are shown by.
    closing: Vec<(Tier, String)>,
}

fn gather<'a>(ask: &Ask<'a>, w: &Workload) -> Gathered<'a> {
    let mut g = Gathered {
        isolated_by: Vec::new(),
        admitted_by: Vec::new(),
        isolation: None,
        admitted: Vec::new(),
        tiered: Vec::new(),
        closing: Vec::new(),
    };
    let mut allowed = ConnSet::none();
    let ns_labels = namespace_labels(ask.cluster, &w.namespace);
    let applying = ask
        .cluster
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.selects_workload(w, &ns_labels));
    for (index, policy) in applying {
        let Some(rules) = policy.rules(ask.dir) else { continue };
        if policy.tier.walk() == TierWalk::FirstMatchEndDeny {
            g.closing.push((policy.tier, tier_label(policy)));
        }
        if policy.tier.walk().is_first_match() {
            g.tiered.extend(rules.iter().map(|r| (index, policy, r)));
            continue;
        }
        g.isolated_by.push(PolicyRef {
            policy: named(policy),
            loc: policy.loc.clone(),
        });
        for rule in rules {
            let Some((peer_index, peer_text, peer_loc)) = matching_peer(ask.cluster, policy, rule, ask.peer) else {
                continue;
            };
            let conn = rule.conn_for(ask.dst_ports);
            if conn.is_empty() {
                continue;
            }
            allowed.union_with(&conn);
            g.admitted.push(Admitted {
                policy: named(policy),
                rule,
                conn: conn.clone(),
                cilium_tier: true,
            });
            g.admitted_by.push(RuleMatch {
                policy: named(policy),
                direction: ask.dir.as_str(),
                rule: rule.index,
                peer: peer_index,
                peer_text,
                conn: conn.to_string(),
                rule_loc: rule.loc.clone(),
                peer_loc,
                decides: ask.probe.map(|(p, n)| conn.contains(p, n)),
            });
        }
    }
    g.isolation = (!g.isolated_by.is_empty()).then_some(allowed);
    g
}

/// What the walk through the tiers gave one side.
struct Walked {
    allowed: ConnSet,
    tiers: Vec<TierDecision>,
    tier_ends: Vec<TierEnd>,
    reaches_networkpolicy: ConnSet,
}

/// The side's walk through its first-match tiers and the NetworkPolicy tier, by the same
/// walk the engine takes: each rule that decided part of the traffic, each tier end that
/// denied some, and what reached the NetworkPolicy tier.
fn walk_first_match<'a>(ask: &Ask<'a>, g: &mut Gathered<'a>) -> Walked {
    crate::sorting::sort_by_key(&mut g.tiered, |&(i, p, r)| (p.order_key(), i, r.index));
    let tiered = &g.tiered;
    crate::sorting::sort(&mut g.closing);
    g.closing.dedup();
    let closing_tiers: Vec<Tier> = g.closing.iter().map(|(t, _)| *t).collect();
    let mut hits: Vec<Option<PeerHit>> = vec![None; tiered.len()];
    let mut decided: Vec<(usize, ConnSet)> = Vec::new();
    let mut ends: Vec<(Tier, ConnSet, usize)> = Vec::new();
    let decided_cell = std::cell::RefCell::new(&mut decided);
    let allowed = walk_tiers(
        &mut Plain,
        tiered.len(),
        |i| (tiered[i].1.tier, tiered[i].2.action),
        g.isolation.as_ref(),
        &closing_tiers,
        |_, i| {
            let (_, policy, rule) = tiered[i];
            hits[i] = Some(matching_peer(ask.cluster, policy, rule, ask.peer)?);
            Some(rule.conn_for(ask.dst_ports))
        },
        |i, taken| {
            if !taken.is_empty() {
                decided_cell.borrow_mut().push((i, taken.clone()));
            }
        },
        |tier, denied| {
            if !denied.is_empty() {
                ends.push((tier, denied.clone(), decided_cell.borrow().len()));
            }
        },
    );
    // What an Allow or Deny of a tier before NetworkPolicy took, and what the end of such
    // a tier denied, never reaches NetworkPolicy (a Pass does).
    let mut reaches_networkpolicy = ConnSet::all();
    for (i, taken) in &decided {
        let (_, policy, rule) = tiered[*i];
        if policy.tier < Tier::NetworkPolicy && rule.action != crate::policy::Action::Pass {
            reaches_networkpolicy = reaches_networkpolicy.difference(taken);
        }
    }
    for (tier, denied, _) in &ends {
        if *tier < Tier::NetworkPolicy {
            reaches_networkpolicy = reaches_networkpolicy.difference(denied);
        }
    }
    let tier_ends = ends
        .into_iter()
        .map(|(tier, denied, after)| TierEnd {
            tier: g
                .closing
                .iter()
                .find(|(t, _)| *t == tier)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            decides: ask.probe.map(|(p, n)| denied.contains(p, n)),
            denied: denied.to_string(),
            after,
        })
        .collect();
    // Which rules match the peer at all, before the decided ones take their hits.
    let matching: Vec<bool> = hits.iter().map(Option::is_some).collect();
    let mut tiers = Vec::new();
    for (i, taken) in decided {
        let (index, policy, rule) = tiered[i];
        let same_priority = same_priority_as(tiered, &matching, index, policy);
        let Some(hit) = hits[i].take() else { continue };
        if rule.action == crate::policy::Action::Allow {
            g.admitted.push(Admitted {
                policy: named(policy),
                rule,
                conn: taken.clone(),
                cilium_tier: policy.tier == Tier::CiliumNoDefaultDeny,
            });
        }
        let mut decision = tier_decision(ask, policy, rule, &taken, hit);
        decision.same_priority_as = same_priority;
        tiers.push(decision);
    }
    Walked {
        allowed,
        tiers,
        tier_ends,
        reaches_networkpolicy,
    }
}

/// The other admin policies (AdminNetworkPolicy, ClusterNetworkPolicy) of `policy`'s tier
/// and priority with a rule that matches the peer (`matching`, by entry of `tiered`): "If
/// two (or more) policies with the same priority could both match a connection, then the
/// implementation can apply any of the matching policies to the connection".
fn same_priority_as(
    tiered: &[(usize, &Policy, &Rule)],
    matching: &[bool],
    index: usize,
    policy: &Policy,
) -> Vec<String> {
    let admin = |p: &Policy| {
        matches!(
            p.kind,
            PolicyKind::AdminNetworkPolicy | PolicyKind::ClusterNetworkPolicy
        )
    };
    if !admin(policy) {
        return Vec::new();
    }
    let mut others: Vec<String> = tiered
        .iter()
        .zip(matching)
        .filter(|&(&(j, q, _), &m)| {
            m && j != index && admin(q) && q.tier == policy.tier && q.priority == policy.priority
        })
        .map(|(&(_, q, _), _)| format!("{}/{}", q.kind.short(), q.id()))
        .collect();
    crate::sorting::sort(&mut others);
    others.dedup();
    others
}

/// A first-match rule that took `taken` of the traffic, as the explanation shows it.
fn tier_decision(ask: &Ask, policy: &Policy, rule: &Rule, taken: &ConnSet, hit: PeerHit) -> TierDecision {
    let (peer_index, peer_text, peer_loc) = hit;
    TierDecision {
        tier: tier_label(policy),
        action: rule.action.as_str(),
        policy_ref: match policy.kind {
            PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy => named(policy),
            _ => format!("{}/{}", policy.kind.short(), policy.id()),
        },
        priority: policy.priority,
        // A Kubernetes NetworkPolicy in Calico's default tier stands at order 1000.
        order: match (&policy.calico, policy.tier) {
            (Some(c), _) => Some(c.order_text()),
            (None, Tier::Calico(_)) => Some("1000".to_string()),
            _ => None,
        },
        rule_label: rule.label(),
        same_priority_as: Vec::new(),
        rule: RuleMatch {
            policy: named(policy),
            direction: ask.dir.as_str(),
            rule: rule.index,
            peer: peer_index,
            peer_text,
            conn: taken.to_string(),
            rule_loc: rule.loc.clone(),
            peer_loc,
            decides: ask.probe.map(|(p, n)| taken.contains(p, n)),
        },
    }
}

type PeerHit = (Option<usize>, String, Option<Location>);

/// One side alone: what the policies of `subject` (every tier) allow in `dir` with `peer`,
/// `dst` being the connection's destination (named ports resolve on it). The checks ask
/// this for pods the input may not hold (the cluster DNS, istiod).
pub fn explain_one_side(
    cluster: &Cluster,
    dir: Direction,
    subject: &Workload,
    peer: End,
    dst: End,
    probe: Option<(Protocol, u16)>,
) -> SideExplanation {
    explain_side(cluster, dir, End::Workload(subject), peer, dst, probe)
}

/// What refuses a port on one side of a connection.
#[derive(Clone, Copy, Debug)]
pub enum Refusal<'a> {
    /// A Deny rule of a first-match tier (AdminNetworkPolicy, Baseline, Calico) took it.
    Rule(&'a TierDecision),
    /// The end of a Calico tier that selects the side denied it.
    TierEnd(&'a TierEnd),
    /// The NetworkPolicies isolating the side admit it by no rule.
    Isolation(&'a [PolicyRef]),
}

impl Refusal<'_> {
    /// Where the refusal is written: the Deny rule, or the first isolating policy.
    pub fn loc(&self) -> Option<&Location> {
        match self {
            Refusal::Rule(t) => Some(&t.rule.rule_loc),
            Refusal::TierEnd(_) => None,
            Refusal::Isolation(ps) => ps.first().map(|p| &p.loc),
        }
    }
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Rule(t) => f.write_str(&tier_step(t, t.rule.direction)),
            Refusal::TierEnd(e) => f.write_str(&tier_end_step(e)),
            Refusal::Isolation(ps) => {
                let ids: Vec<&str> = ps.iter().map(|p| p.policy.as_str()).collect();
                write!(f, "[NetworkPolicy {}] no rule admits", ids.join(", "))
            }
        }
    }
}

impl SideExplanation {
    /// What refuses `protocol`/`port` on this side; `None` when the side allows it.
    pub fn refusal(&self, protocol: Protocol, port: u16) -> Option<Refusal<'_>> {
        if self.allowed.contains(protocol, port) {
            return None;
        }
        let denied_by_rule = self.tiers.iter().find(|t| {
            t.action == crate::policy::Action::Deny.as_str()
                && ConnSet::parse(&t.rule.conn).is_some_and(|c| c.contains(protocol, port))
        });
        if let Some(t) = denied_by_rule {
            return Some(Refusal::Rule(t));
        }
        let denied_at_end = self
            .tier_ends
            .iter()
            .find(|e| ConnSet::parse(&e.denied).is_some_and(|c| c.contains(protocol, port)));
        Some(match denied_at_end {
            Some(e) => Refusal::TierEnd(e),
            None => Refusal::Isolation(&self.isolated_by),
        })
    }
}

fn matching_peer(cluster: &Cluster, policy: &Policy, rule: &Rule, peer: End) -> Option<PeerHit> {
    match &rule.peers {
        None => Some((None, "every peer (the rule lists none)".to_string(), None)),
        Some(peers) => peers
            .iter()
            .enumerate()
            .find(|(_, p)| peer_admits(cluster, policy, &p.kind, peer))
            .map(|(i, p)| (Some(i), p.kind.to_string(), Some(p.loc.clone()))),
    }
}

/// Explains the connection from `src` to `dst`, optionally for one protocol and port.
pub fn explain(cluster: &Cluster, src: Target, dst: Target, probe: Option<(Protocol, u16)>) -> Explanation {
    explain_ends(cluster, src.end(cluster), dst.end(cluster), probe)
}

/// [`explain`] for ends that need not be in the cluster (see [`End`]).
pub fn explain_ends(cluster: &Cluster, src: End, dst: End, probe: Option<(Protocol, u16)>) -> Explanation {
    let egress = explain_side(cluster, Direction::Egress, src, dst, dst, probe);
    let ingress = explain_side(cluster, Direction::Ingress, dst, src, dst, probe);
    let allowed = egress.allowed.intersect(&ingress.allowed);
    Explanation {
        l7: l7::pair(egress.l7.clone(), ingress.l7.clone(), &allowed),
        src: end_name(src),
        dst: end_name(dst),
        conn: allowed.to_string(),
        probe: probe.map(|(p, n)| format!("{p} {n}")),
        probe_allowed: probe.map(|(p, n)| allowed.contains(p, n)),
        egress,
        ingress,
        allowed,
    }
}

/// How explanations name a policy: `namespace/name` (NetworkPolicy, admin kinds), with
/// the kind for Cilium's, whose names share the namespace's with NetworkPolicies.
pub(crate) fn named(policy: &Policy) -> String {
    match policy.kind {
        PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy => {
            format!("{} {}", policy.kind.as_str(), policy.id())
        }
        _ => policy.id(),
    }
}

/// `[Calico tier security] end of tier: Deny`.
pub(super) fn tier_end_step(e: &TierEnd) -> String {
    format!("[{}] end of tier: Deny", e.tier)
}

/// `[Admin anp/name priority 10, ingress rule "x" line 12] Deny`: a first-match rule and
/// what it does (a Calico policy is ranked by its `order`).
/// A rule of a policy that shares its priority with another matching one says so:
/// `[Admin anp/a priority 10 (as anp/b: order undefined), ingress rule ...] Allow`.
pub(super) fn tier_step(t: &TierDecision, direction: &str) -> String {
    let same = if t.same_priority_as.is_empty() {
        String::new()
    } else {
        format!(" (as {}: order undefined)", t.same_priority_as.join(", "))
    };
    format!(
        "[{} {}{}{same}, {direction} {} line {}] {}",
        t.tier,
        t.policy_ref,
        t.rank(),
        t.rule_label,
        t.rule.rule_loc.line,
        t.action
    )
}

impl TierDecision {
    /// Where the policy stands in its tier, as explanations write it after its name:
    /// ` priority 10`, ` order 100` (Calico), nothing for Cilium's tiers, which have no
    /// priorities (every deny rule wins, every allow adds).
    pub fn rank(&self) -> String {
        match &self.order {
            Some(o) => format!(" order {o}"),
            None if self.tier.starts_with("Cilium") => String::new(),
            None => format!(" priority {}", self.priority),
        }
    }
}

impl Explanation {
    /// For a denied probe: which side refuses it — the source's egress, the
    /// destination's ingress, or both.
    pub fn denial_reason(&self) -> Option<&'static str> {
        let (p, n) = self.probe_port()?;
        match (self.egress.allowed.contains(p, n), self.ingress.allowed.contains(p, n)) {
            (true, true) => None,
            (false, true) => Some("the source's egress does not admit it"),
            (true, false) => Some("the destination's ingress does not admit it"),
            (false, false) => Some("neither the source's egress nor the destination's ingress admits it"),
        }
    }

    pub(super) fn probe_port(&self) -> Option<(Protocol, u16)> {
        let (proto, port) = self.probe.as_deref()?.split_once(' ')?;
        Some((Protocol::parse(proto)?, port.parse().ok()?))
    }

    /// For an FQDN end (`fqdn:<name>`, [`super::fqdn`]): that it is undecidable offline.
    pub fn fqdn_note(&self) -> Option<String> {
        let name = [&self.src, &self.dst]
            .into_iter()
            .find(|n| crate::policy::DnsMatch::is_fqdn_name(n))?;
        Some(crate::policy::DnsMatch::undecidable_note(name))
    }

    /// What the layer 7 rules mean for the verdict, under their lines; `None` without
    /// such rules or for a denied probe.
    pub fn l7_note(&self) -> Option<String> {
        (!self.l7.is_empty() && self.probe_allowed != Some(false)).then(|| {
            format!(
                "Layer 7: {} is open only to the requests the [L7 ...] rules above let through (netplay does not see requests).",
                l7::summary_ports(&self.l7)
            )
        })
    }
}
