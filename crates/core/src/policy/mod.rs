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
//! - **Cilium** (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, read by
//!   [`crate::read::cilium`]): deny rules in [`Tier::CiliumDeny`], a first-match tier whose
//!   rules all deny (a matching deny of any selecting policy denies, whatever allows);
//!   allow rules in the isolation tier beside NetworkPolicy (an endpoint some policy of
//!   either kind selects for a direction is isolated, and their allows add up); allows of
//!   policies with `enableDefaultDeny` off in [`Tier::CiliumNoDefaultDeny`], a first-match
//!   tier whose rules all allow, so that they add without isolating.
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
//! [`crate::read::netpol`], [`crate::admin`] and [`crate::read::cilium`] build policies
//! from input; `crates/core/tests/tiers.rs` builds tiers directly.
//! docs/architecture.md ("How to add a policy kind") is the checklist for a new kind.

pub mod calico;
mod l7;
mod selector;
pub mod walk;

pub use l7::{DnsMatch, HttpMatch, L7};
pub use selector::{Operator, Requirement, Selector};

use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Location;
use crate::model::workload::{ContainerPort, Labels, Workload};
use ipnet::IpNet;
use std::fmt;

/// A tier of policies. Tiers are evaluated in their `Ord` order: Admin, NetworkPolicy,
/// Baseline, with Calico's tiers placed among them by their `order` as Calico places its
/// own admin (order 1,000) and baseline (order 10,000,000) tiers ([`CalicoTier`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Tier {
    /// Cluster administrators' policies that come before everything
    /// (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin).
    Admin,
    /// Cilium's deny rules (`ingressDeny`, `egressDeny`), which "take precedence over
    /// allow policies, regardless of whether they are a Cilium Network Policy, a
    /// Clusterwide Cilium Network Policy or even a Kubernetes Network Policy": a
    /// first-match tier whose rules all deny.
    CiliumDeny,
    /// Cilium allow rules of policies with `enableDefaultDeny` off for the direction:
    /// they add to what the isolating policies allow without isolating the endpoint (a
    /// first-match tier whose rules all allow, before the isolation tier).
    CiliumNoDefaultDeny,
    /// Kubernetes NetworkPolicy (networking.k8s.io/v1), and the allow rules of Cilium
    /// policies, which isolate an endpoint the same way.
    NetworkPolicy,
    /// Defaults that apply when nothing else decided (BaselineAdminNetworkPolicy,
    /// ClusterNetworkPolicy tier Baseline).
    Baseline,
    /// A Calico tier (projectcalico.org/v3 `Tier`, or the `default` tier).
    Calico(CalicoTier),
}

/// Where a Calico tier stands: its band relative to the admin tiers, its rank among the
/// Calico tiers of the input (by `order`, then name) and what the end of the tier does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CalicoTier {
    pub band: CalicoBand,
    pub rank: u32,
    /// `defaultAction: Pass` (else the implicit end-of-tier deny).
    pub pass_at_end: bool,
}

/// A Calico tier's place relative to the tiers Calico gives the admin policies.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CalicoBand {
    /// `order` below 1,000: before the AdminNetworkPolicy tier.
    BeforeAdmin,
    /// Between the admin tier and the baseline tier (the default tier, order 1,000,000).
    Middle,
    /// `order` above 10,000,000 (or unset): after the baseline tier.
    AfterBaseline,
}

impl Tier {
    /// The sort key: bands around Admin and Baseline, ranks within a band.
    fn position(self) -> (u8, u32) {
        match self {
            Tier::Calico(CalicoTier {
                band: CalicoBand::BeforeAdmin,
                rank,
                ..
            }) => (0, rank),
            Tier::Admin => (1, 0),
            Tier::Calico(CalicoTier {
                band: CalicoBand::Middle,
                rank,
                ..
            }) => (2, rank),
            // Cilium's tiers come right before the isolation tier they add to.
            Tier::CiliumDeny => (2, u32::MAX - 1),
            Tier::CiliumNoDefaultDeny => (2, u32::MAX),
            Tier::NetworkPolicy => (3, 0),
            Tier::Baseline => (4, 0),
            Tier::Calico(CalicoTier {
                band: CalicoBand::AfterBaseline,
                rank,
                ..
            }) => (5, rank),
        }
    }
}

impl PartialOrd for Tier {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tier {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.position().cmp(&other.position())
    }
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
    /// A Calico tier: first match like [`TierWalk::FirstMatch`], and when some policy of
    /// the tier selects the subject for the direction, what no rule took is denied at
    /// the end of the tier.
    FirstMatchEndDeny,
}

impl TierWalk {
    /// Whether rules are taken one by one in order (every walk but isolation).
    pub fn is_first_match(self) -> bool {
        self != TierWalk::Isolation
    }
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::Admin,
        Tier::CiliumDeny,
        Tier::CiliumNoDefaultDeny,
        Tier::NetworkPolicy,
        Tier::Baseline,
    ];

    pub fn walk(self) -> TierWalk {
        match self {
            Tier::Admin | Tier::CiliumDeny | Tier::CiliumNoDefaultDeny | Tier::Baseline => TierWalk::FirstMatch,
            Tier::NetworkPolicy => TierWalk::Isolation,
            Tier::Calico(t) if t.pass_at_end => TierWalk::FirstMatch,
            Tier::Calico(_) => TierWalk::FirstMatchEndDeny,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "Admin",
            Tier::CiliumDeny => "CiliumDeny",
            Tier::CiliumNoDefaultDeny => "CiliumNoDefaultDeny",
            Tier::NetworkPolicy => "NetworkPolicy",
            Tier::Baseline => "Baseline",
            Tier::Calico(_) => "Calico",
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
    /// A Calico entity rule: selectors over endpoints and network sets, namespaces,
    /// service accounts and nets, all of which must match.
    Calico(Box<calico::EntityMatch>),
    /// Cilium `toFQDNs`: the addresses DNS gives for a name (or pattern) at run time. It
    /// matches no endpoint and no address; connection lists show it as a destination of
    /// its own, `fqdn:<name>` ([`PeerKind::matches_fqdn`]).
    Fqdn(DnsMatch),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Peer {
    pub kind: PeerKind,
    pub loc: Location,
}

impl PeerKind {
    /// Whether the peer is the workload (its namespace's labels given). A host-network
    /// workload is its node to every tier: no selector matches it, an address peer does
    /// when it holds the node's address (docs/semantics.md, "Host-network pods").
    pub fn matches_workload(&self, policy_ns: &str, w: &Workload, namespace_labels: &Labels) -> bool {
        if w.host_network {
            return self.matches_node(w);
        }
        match self {
            PeerKind::Calico(m) => m.matches_endpoint(&calico::EndpointLabels::new(
                &w.namespace,
                namespace_labels,
                &w.labels,
                w.service_account.as_deref(),
            )),
            _ => self.matches_pod(policy_ns, &w.namespace, namespace_labels, &w.labels),
        }
    }

    /// Whether the peer is the pod described by its namespace (with its labels) and its
    /// labels; `policy_ns` is the namespace of the policy the peer belongs to. (A Calico
    /// peer is asked as a pod of the `default` service account.)
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
            PeerKind::Calico(m) => m.matches_endpoint(&calico::EndpointLabels::new(
                namespace,
                namespace_labels,
                pod_labels,
                None,
            )),
            PeerKind::IpBlock { .. } | PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } | PeerKind::Fqdn(_) => {
                false
            }
        }
    }

    /// Whether the peer holds every address of the `fqdn:` destination `dest`, whatever
    /// DNS answers: a `toFQDNs` selector that allows every name of it, or a peer holding
    /// every address outside the cluster (`0.0.0.0/0` or `::/0` without exceptions, as
    /// `world` is; a Calico rule with no criterion or such `nets`). A narrower address
    /// block may or may not hold the name's addresses: it is not applied (explain says
    /// the destination is undecidable).
    pub fn matches_fqdn(&self, dest: &DnsMatch) -> bool {
        match self {
            PeerKind::Fqdn(selector) => selector.covers(dest),
            PeerKind::IpBlock { cidr, except } => cidr.prefix_len() == 0 && except.is_empty(),
            PeerKind::Calico(m) => {
                !m.has_identity()
                    && m.not_selector.is_none()
                    && m.not_nets.is_empty()
                    && m.not_selected_sets.is_empty()
                    && m.nets
                        .as_ref()
                        .is_none_or(|nets| nets.iter().any(|n| n.prefix_len() == 0))
            }
            PeerKind::Pods { .. } | PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } => false,
        }
    }

    /// Whether the peer is the address `ip` outside the cluster.
    /// Whether the peer admits the node a host-network workload runs on: by its address
    /// when the input gives it (`status.hostIP`), else only an ipBlock holding every
    /// address of a family, which holds the node's address whatever it is.
    pub fn matches_node(&self, w: &Workload) -> bool {
        match (w.node_address, self) {
            (Some(ip), _) => self.matches_ip(&ip),
            (None, PeerKind::IpBlock { cidr, except }) => cidr.prefix_len() == 0 && except.is_empty(),
            (None, _) => false,
        }
    }

    pub fn matches_ip(&self, ip: &std::net::IpAddr) -> bool {
        match self {
            PeerKind::IpBlock { cidr, except } => cidr.contains(ip) && !except.iter().any(|e| e.contains(ip)),
            PeerKind::Calico(m) => m.matches_ip(ip),
            PeerKind::Pods { .. } | PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } | PeerKind::Fqdn(_) => false,
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
            PeerKind::Calico(m) => write!(f, "{m}"),
            PeerKind::Fqdn(m) => write!(f, "{}: the addresses DNS gives at run time", m.fqdn_name()),
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
    /// Layer 7 rules on these ports (Cilium `toPorts[].rules`): they narrow what an allow
    /// lets through to some requests, and never change which ports are allowed.
    pub l7: Option<Box<L7>>,
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
    /// Ports taken out of what `ports` matches (Calico `notPorts`, `notProtocol`).
    pub except_ports: Vec<PortSpec>,
    pub loc: Location,
}

impl Rule {
    /// The connections this rule matches towards a destination with these container
    /// ports (`None` for an external destination).
    pub fn conn_for(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        let mut c = match &self.ports {
            None => ConnSet::all(),
            Some(ports) => {
                let mut c = ConnSet::none();
                for p in ports {
                    c.union_with(&p.resolve(dst_ports));
                }
                c
            }
        };
        for p in &self.except_ports {
            c = c.difference(&p.resolve(dst_ports));
        }
        c
    }

    /// Whether any port entry is named (the rule's connections then depend on the
    /// destination pod).
    pub fn has_named_ports(&self) -> bool {
        self.ports
            .iter()
            .flatten()
            .chain(&self.except_ports)
            .any(|p| matches!(p.port, PortRef::Named(_)))
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
    /// Calico projectcalico.org/v3 (or crd.projectcalico.org/v1) NetworkPolicy.
    CalicoNetworkPolicy,
    CalicoGlobalNetworkPolicy,
    /// The staged kinds (never enforced; `Policy::calico` says `staged`).
    CalicoStagedNetworkPolicy,
    CalicoStagedGlobalNetworkPolicy,
    CalicoStagedKubernetesNetworkPolicy,
    CiliumNetworkPolicy,
    CiliumClusterwideNetworkPolicy,
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
            PolicyKind::CalicoNetworkPolicy => "np",
            PolicyKind::CalicoGlobalNetworkPolicy => "gnp",
            PolicyKind::CalicoStagedNetworkPolicy => "snp",
            PolicyKind::CalicoStagedGlobalNetworkPolicy => "sgnp",
            PolicyKind::CalicoStagedKubernetesNetworkPolicy => "sknp",
            PolicyKind::CiliumNetworkPolicy => "ciliumnetworkpolicy",
            PolicyKind::CiliumClusterwideNetworkPolicy => "ciliumclusterwidenetworkpolicy",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            PolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
            PolicyKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
            PolicyKind::CalicoNetworkPolicy => "NetworkPolicy.projectcalico.org",
            PolicyKind::CalicoGlobalNetworkPolicy => "GlobalNetworkPolicy",
            PolicyKind::CalicoStagedNetworkPolicy => "StagedNetworkPolicy",
            PolicyKind::CalicoStagedGlobalNetworkPolicy => "StagedGlobalNetworkPolicy",
            PolicyKind::CalicoStagedKubernetesNetworkPolicy => "StagedKubernetesNetworkPolicy",
            PolicyKind::CiliumNetworkPolicy => "CiliumNetworkPolicy",
            PolicyKind::CiliumClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
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
    /// A Calico policy's tier name, order and subject (then `namespace_selector` and
    /// `pod_selector` select everything they can and this decides).
    pub calico: Option<Box<calico::CalicoPolicy>>,
}

impl Policy {
    /// Where the policy stands in evaluation order: tier, then priority; policies of one
    /// priority (an order the API leaves undefined) by kind, namespace and name, so that a
    /// verdict never depends on the order of the input files.
    pub fn order_key(&self) -> (Tier, i32, &'static str, &str, &str) {
        // Calico orders policies of one order by name, whatever their kind.
        let kind = match self.tier {
            Tier::Calico(_) => "",
            _ => self.kind.as_str(),
        };
        (self.tier, self.priority, kind, &self.namespace, &self.name)
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
        if let Some(c) = &self.calico {
            return c.selects(
                &self.namespace,
                &calico::EndpointLabels::new(namespace, namespace_labels, pod_labels, None),
            );
        }
        let ns_ok = match &self.namespace_selector {
            None => namespace == self.namespace,
            Some(sel) => sel.matches(namespace_labels),
        };
        ns_ok && self.pod_selector.matches(pod_labels)
    }

    /// Whether the policy's subject is the workload (its namespace's labels given). No
    /// policy of any tier selects a host-network workload: "it ignores hostNetwork pods
    /// when matching podSelector" (the Kubernetes docs' most common implementation), "host-
    /// networked pods are not included in subject selection" (AdminNetworkPolicy).
    pub fn selects_workload(&self, w: &Workload, namespace_labels: &Labels) -> bool {
        if w.host_network {
            return false;
        }
        match &self.calico {
            Some(c) => c.selects(
                &self.namespace,
                &calico::EndpointLabels::new(&w.namespace, namespace_labels, &w.labels, w.service_account.as_deref()),
            ),
            None => self.selects(&w.namespace, namespace_labels, &w.labels),
        }
    }

    /// Whether the policy can select pods of `namespace` only (a namespaced subject).
    pub fn namespaced(&self) -> bool {
        self.namespace_selector.is_none()
    }
}
