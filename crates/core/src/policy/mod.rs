//! The policy rule model: one shape for every kind of network policy, and the tier walk
//! that gives it meaning.
//!
//! Every policy kind is read into [`Policy`]: a [tier](Tier) and a priority within it, a
//! subject (the pods it applies to), and per [direction](Direction) its [rules](Rule), each
//! with an [action](Action), [peers](PeerKind) and [ports](PortSpec), all located in the
//! input. The fast engine ([`crate::netpol::engine`]), the reference evaluator
//! ([`crate::netpol::reference`]) and the explanations ([`crate::netpol::explain`]) know
//! only this model, so a new policy kind is a new reader, not a new engine — the lesson
//! of policy-assistant's matcher (STYLE.md).
//!
//! # Meaning
//!
//! For one direction of one connection (the source's egress, the destination's ingress; a
//! connection needs both), [`walk::walk_tiers`]:
//! - visits the tiers in order ([`Tier`]'s `Ord`);
//! - in a [first-match](TierWalk::FirstMatch) tier (Admin, Baseline) looks at the rules
//!   of the policies that select the subject, by priority, each policy's rules in order:
//!   the first rule whose peers and ports match decides — Allow and Deny end the walk,
//!   Pass skips the rest of the tier;
//! - in the [isolation](TierWalk::Isolation) tier (NetworkPolicy) decides when some policy
//!   selects the subject for the direction: then the connection is allowed if any of
//!   their rules admits it (the union of allows), and denied otherwise; with no such
//!   policy it decides nothing;
//! - allows what no tier decides.
//!
//! # What comes next, and how it fits
//!
//! Only the walks today's kinds need are implemented; the others are a new [`TierWalk`]
//! each, written once in [`walk`] and used by both engines:
//! - **AdminNetworkPolicy / ClusterNetworkPolicy tier Admin**: [`Tier::Admin`],
//!   first match by `priority` (lower first), Allow/Deny/Pass. Subject: a namespace
//!   selector (`namespace_selector`) and optionally a pod selector; `namespace` is empty.
//! - **BaselineAdminNetworkPolicy / ClusterNetworkPolicy tier Baseline**:
//!   [`Tier::Baseline`], first match, Allow/Deny (no Pass).
//! - **Cilium** (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy): one more tier with
//!   an *isolation, deny wins* walk: an endpoint some policy selects for a direction is
//!   isolated; a matching Deny rule of any selecting policy denies, whatever allows; else
//!   the union of the allows decides. Rules carry [`Action::Deny`] or [`Action::Allow`].
//! - **Calico** (NetworkPolicy, GlobalNetworkPolicy in tiers): a tier per Calico tier,
//!   ordered by its `order` (a `Tier` variant carrying the order, placed between Admin and
//!   NetworkPolicy as Calico places its default tier), policies by `order` in
//!   [`Policy::priority`], rules first match with Allow/Deny/Pass, and an *end-of-tier
//!   deny*: an endpoint that some policy of the tier selects and no rule decided is denied
//!   (a first-match walk whose undecided rest is denied, not passed on, when any policy of
//!   the tier selects the subject).
//!
//! Peers ([`PeerKind`]) say who is on the other side: pods by namespace and pod selectors
//! (NetworkPolicy, ANP `namespaces`/`pods`, Cilium endpoint selectors, Calico selectors),
//! address blocks with exceptions (ipBlock, ANP `networks`, Cilium `toCIDRSet`, Calico
//! `nets`/`notNets`), nodes by selector (ANP `nodes`, Cilium `toNodes`), and peers the
//! model cannot decide from manifests ([`PeerKind::Unresolved`]: FQDNs, Cilium entities
//! such as `world` vs `cluster`, service accounts a reader cannot map). A peer netplay
//! cannot decide matches no endpoint, and the reader that produced it reports a
//! diagnostic saying the verdict leaves it out: the model never guesses a match.
//!
//! Only [`crate::read::netpol`] builds policies from input today (NetworkPolicy, the
//! isolation tier); `crates/core/tests/tiers.rs` builds the other tiers directly.
//! docs/architecture.md ("How to add a policy kind") is the checklist for a new kind.

mod selector;
pub mod walk;

pub use selector::{Operator, Requirement, Selector};

use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Location;
use crate::model::{ContainerPort, Labels};
use ipnet::IpNet;
use std::fmt;

/// A tier of policies, in evaluation order (the derived `Ord`). A new tier (a CNI's own
/// tiers sit between Admin and NetworkPolicy) is a new variant in its place, with its
/// [`TierWalk`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Tier {
    /// Cluster administrators' policies that come before everything
    /// (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin).
    Admin,
    /// Kubernetes NetworkPolicy (networking.k8s.io/v1).
    NetworkPolicy,
    /// Defaults that apply when nothing else decided (BaselineAdminNetworkPolicy,
    /// ClusterNetworkPolicy tier Baseline).
    Baseline,
}

/// How a tier decides.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TierWalk {
    /// Ordered rules; the first that matches decides (Allow, Deny) or skips the rest of
    /// the tier (Pass).
    FirstMatch,
    /// Policies that select the subject isolate it; then the union of their rules is
    /// allowed and the rest denied.
    Isolation,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Admin, Tier::NetworkPolicy, Tier::Baseline];

    pub fn walk(self) -> TierWalk {
        match self {
            Tier::Admin | Tier::Baseline => TierWalk::FirstMatch,
            Tier::NetworkPolicy => TierWalk::Isolation,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "Admin",
            Tier::NetworkPolicy => "NetworkPolicy",
            Tier::Baseline => "Baseline",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a matching rule does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    Allow,
    Deny,
    /// Skip the rest of this tier: the next tier decides.
    Pass,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Who a rule's peer is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PeerKind {
    /// Pods: `pods` selects pods (None = all pods) in the namespaces `namespaces` selects
    /// (None = the policy's own namespace).
    Pods {
        pods: Option<Selector>,
        namespaces: Option<Selector>,
    },
    /// Addresses outside the cluster: `cidr` minus every `except`.
    IpBlock { cidr: IpNet, except: Vec<IpNet> },
    /// Nodes whose labels `nodes` selects (and their addresses). Nodes are not modelled
    /// yet, so this matches no endpoint.
    Nodes { nodes: Selector },
    /// A peer the model cannot decide from manifests (`what` says it in words, e.g.
    /// `FQDN *.example.com`). It matches no endpoint; its reader reports that the verdict
    /// leaves it out.
    Unresolved { what: String },
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Peer {
    pub kind: PeerKind,
    pub loc: Location,
}

impl PeerKind {
    /// Whether the peer is the pod described by its namespace (with its labels) and its
    /// labels; `policy_ns` is the namespace of the policy the peer belongs to.
    pub fn matches_pod(
        &self,
        policy_ns: &str,
        namespace: &str,
        namespace_labels: &Labels,
        pod_labels: &Labels,
    ) -> bool {
        match self {
            PeerKind::Pods { pods, namespaces } => {
                let ns_ok = match namespaces {
                    None => namespace == policy_ns,
                    Some(sel) => sel.matches(namespace_labels),
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(pod_labels))
            }
            PeerKind::IpBlock { .. } | PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } => false,
        }
    }

    /// Whether the peer is the address `ip` outside the cluster.
    pub fn matches_ip(&self, ip: &std::net::IpAddr) -> bool {
        match self {
            PeerKind::IpBlock { cidr, except } => cidr.contains(ip) && !except.iter().any(|e| e.contains(ip)),
            PeerKind::Pods { .. } | PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } => false,
        }
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerKind::Pods { pods, namespaces } => {
                let pods = pods.as_ref().map_or("all pods".to_string(), |s| format!("pods [{s}]"));
                match namespaces {
                    None => write!(f, "{pods} in the policy's namespace"),
                    Some(ns) => write!(f, "{pods} in namespaces [{ns}]"),
                }
            }
            PeerKind::IpBlock { cidr, except } if except.is_empty() => write!(f, "ipBlock {cidr}"),
            PeerKind::IpBlock { cidr, except } => {
                let ex: Vec<String> = except.iter().map(|e| e.to_string()).collect();
                write!(f, "ipBlock {cidr} except {}", ex.join(", "))
            }
            PeerKind::Nodes { nodes } => write!(f, "nodes [{nodes}]"),
            PeerKind::Unresolved { what } => write!(f, "{what} (not decidable from manifests)"),
        }
    }
}

/// What a port entry of a rule names.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PortRef {
    /// No `port`: every port of the protocol.
    Any,
    /// `port` with optional `endPort`, inclusive.
    Range(u16, u16),
    /// A named container port, resolved on the destination pod.
    Named(String),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PortSpec {
    pub protocol: Protocol,
    pub port: PortRef,
    pub loc: Location,
}

impl PortSpec {
    /// The ports this entry allows towards a destination with these container ports
    /// (`None` for an address outside the cluster, where a named port resolves nowhere).
    pub fn resolve(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        match &self.port {
            PortRef::Any => ConnSet::protocol(self.protocol),
            PortRef::Range(lo, hi) => ConnSet::port_range(self.protocol, *lo, *hi),
            PortRef::Named(name) => {
                let mut c = ConnSet::none();
                for cp in dst_ports.unwrap_or(&[]) {
                    if cp.name.as_deref() == Some(name.as_str()) && cp.protocol == self.protocol {
                        c.union_with(&ConnSet::port_range(cp.protocol, cp.port, cp.port));
                    }
                }
                c
            }
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.port {
            PortRef::Any => write!(f, "{} (all ports)", self.protocol),
            PortRef::Range(lo, hi) if lo == hi => write!(f, "{} {lo}", self.protocol),
            PortRef::Range(lo, hi) => write!(f, "{} {lo}-{hi}", self.protocol),
            PortRef::Named(n) => write!(f, "{} port named {n:?}", self.protocol),
        }
    }
}

/// One ingress or egress rule.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rule {
    /// 0-based position in the policy's list for its direction (the evaluation order of
    /// a first-match tier).
    pub index: usize,
    /// The rule's name, for kinds that name rules.
    pub name: Option<String>,
    /// NetworkPolicy rules always allow.
    pub action: Action,
    /// `None`: the rule has no `from`/`to` (or an empty one) and matches every peer,
    /// inside and outside the cluster.
    pub peers: Option<Vec<Peer>>,
    /// `None`: the rule has no `ports` (or an empty list) and matches every port.
    pub ports: Option<Vec<PortSpec>>,
    pub loc: Location,
}

impl Rule {
    /// The connections this rule matches towards a destination with these container
    /// ports (`None` for an external destination).
    pub fn conn_for(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        match &self.ports {
            None => ConnSet::all(),
            Some(ports) => {
                let mut c = ConnSet::none();
                for p in ports {
                    c.union_with(&p.resolve(dst_ports));
                }
                c
            }
        }
    }

    /// Whether any port entry is named (the rule's connections then depend on the
    /// destination pod).
    pub fn has_named_ports(&self) -> bool {
        self.ports.iter().flatten().any(|p| matches!(p.port, PortRef::Named(_)))
    }

    /// How the rule is named in explanations: its name, or its 1-based number.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("rule {n:?}"),
            None => format!("rule {}", self.index + 1),
        }
    }
}

/// The kinds of policy objects read into the model.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PolicyKind {
    NetworkPolicy,
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
}

impl PolicyKind {
    /// The short name explanations give a policy of a first-match tier: `anp/name`,
    /// `banp/default`, `cnp/name`.
    pub fn short(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "networkpolicy",
            PolicyKind::AdminNetworkPolicy => "anp",
            PolicyKind::BaselineAdminNetworkPolicy => "banp",
            PolicyKind::ClusterNetworkPolicy => "cnp",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            PolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
            PolicyKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
        }
    }
}

/// One policy object in the rule model.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub kind: PolicyKind,
    pub tier: Tier,
    /// Order within a first-match tier: lower first (unused by the isolation tier).
    pub priority: i32,
    /// The object's namespace; empty for a cluster-wide policy.
    pub namespace: String,
    pub name: String,
    pub loc: Location,
    /// The subject: the pods `pod_selector` selects in the namespaces
    /// `namespace_selector` selects, or (`None`) in the policy's own namespace.
    pub namespace_selector: Option<Selector>,
    pub pod_selector: Selector,
    pub pod_selector_loc: Location,
    /// `Some` iff the policy applies to the subject's ingress (for NetworkPolicy: its
    /// defaulted policyTypes include Ingress).
    pub ingress: Option<Vec<Rule>>,
    /// `Some` iff the policy applies to the subject's egress.
    pub egress: Option<Vec<Rule>>,
    /// Where `policyTypes` is written, when it is.
    pub policy_types_loc: Option<Location>,
}

impl Policy {
    /// Where the policy stands in evaluation order: tier, then priority; policies of one
    /// priority (an order the API leaves undefined) by kind, namespace and name, so that a
    /// verdict never depends on the order of the input files.
    pub fn order_key(&self) -> (Tier, i32, &'static str, &str, &str) {
        (
            self.tier,
            self.priority,
            self.kind.as_str(),
            &self.namespace,
            &self.name,
        )
    }

    /// `namespace/name`, or `name` for a cluster-wide policy.
    pub fn id(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    pub fn rules(&self, dir: Direction) -> Option<&[Rule]> {
        match dir {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }

    /// Whether the policy's subject is the pod described by its namespace (with its
    /// labels) and its labels.
    pub fn selects(&self, namespace: &str, namespace_labels: &Labels, pod_labels: &Labels) -> bool {
        let ns_ok = match &self.namespace_selector {
            None => namespace == self.namespace,
            Some(sel) => sel.matches(namespace_labels),
        };
        ns_ok && self.pod_selector.matches(pod_labels)
    }

    /// Whether the policy can select pods of `namespace` only (a namespaced subject).
    pub fn namespaced(&self) -> bool {
        self.namespace_selector.is_none()
    }
}
