//! The cluster administrators' policy kinds of the Network Policy API
//! (`policy.networking.k8s.io`): AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (v1alpha1) and ClusterNetworkPolicy (v1alpha2, tiers Admin and Baseline).
//!
//! `types` is the shape as written, `compile` validates it the way the API server does
//! (the CRDs' enums, limits and CEL rules; errors at the offending line) and gives the
//! validated [`AdminPolicy`]. docs/semantics.md ("Admin tiers") says what they mean.

pub mod compile;
pub mod types;

use crate::conn::Protocol;
use crate::diagnostics::Location;
use crate::policy::Selector;
use ipnet::IpNet;
use std::fmt;

/// The API group of the three kinds.
pub const GROUP: &str = "policy.networking.k8s.io";

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AdminKind {
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
}

impl AdminKind {
    pub fn from_kind(kind: &str) -> Option<AdminKind> {
        match kind {
            "AdminNetworkPolicy" => Some(AdminKind::AdminNetworkPolicy),
            "BaselineAdminNetworkPolicy" => Some(AdminKind::BaselineAdminNetworkPolicy),
            "ClusterNetworkPolicy" => Some(AdminKind::ClusterNetworkPolicy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AdminKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            AdminKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
            AdminKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
        }
    }

    /// The short name explanations use: `anp/name`, `banp/default`, `cnp/name`.
    pub fn short(self) -> &'static str {
        match self {
            AdminKind::AdminNetworkPolicy => "anp",
            AdminKind::BaselineAdminNetworkPolicy => "banp",
            AdminKind::ClusterNetworkPolicy => "cnp",
        }
    }

    /// The most rules one direction may have (100 in v1alpha1, 25 in v1alpha2), and the
    /// most peers or ports one rule may have.
    pub fn limit(self) -> usize {
        match self {
            AdminKind::ClusterNetworkPolicy => 25,
            _ => 100,
        }
    }
}

/// Where an admin policy sits: before NetworkPolicy or after it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AdminTier {
    Admin,
    Baseline,
}

impl AdminTier {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminTier::Admin => "Admin",
            AdminTier::Baseline => "Baseline",
        }
    }
}

/// A rule's action; ClusterNetworkPolicy's `Accept` is `Allow`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AdminAction {
    Allow,
    Deny,
    Pass,
}

/// Who a rule's peer is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AdminPeerKind {
    /// `namespaces` (pods: None) or `pods`: the pods `pods` selects in the namespaces
    /// `namespaces` selects. Host-network pods are never such a peer.
    Pods {
        namespaces: Selector,
        pods: Option<Selector>,
    },
    /// Egress to the IPs of the nodes the selector picks (`Node.status.addresses`).
    Nodes(Selector),
    /// Egress to addresses in these CIDRs.
    Networks(Vec<IpNet>),
    /// Egress to these DNS names (an Allow rule's peer only).
    DomainNames(Vec<String>),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AdminPeer {
    pub kind: AdminPeerKind,
    pub loc: Location,
}

/// A destination port: a number or range of one protocol, or a container port's name
/// (of any protocol: the API names no protocol for it).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AdminPort {
    Range(Protocol, u16, u16),
    Named(String),
}

impl fmt::Display for AdminPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminPort::Range(p, lo, hi) if lo == hi => write!(f, "{p} {lo}"),
            AdminPort::Range(p, lo, hi) => write!(f, "{p} {lo}-{hi}"),
            AdminPort::Named(n) => write!(f, "port named {n:?}"),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AdminRule {
    /// 0-based position among the rules of its direction.
    pub index: usize,
    pub name: Option<String>,
    pub action: AdminAction,
    pub peers: Vec<AdminPeer>,
    /// `None`: every port of every protocol.
    pub ports: Option<Vec<AdminPort>>,
    /// A peer of a type netplay does not know made the rule fail closed (an Allow rule
    /// keeps its other peers; a Deny or Pass rule became "deny all").
    pub fail_closed: bool,
    pub loc: Location,
}

/// A valid admin policy.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AdminPolicy {
    pub kind: AdminKind,
    pub name: String,
    pub tier: AdminTier,
    /// 0-1000, lower first; a BaselineAdminNetworkPolicy (one per cluster) has 0.
    pub priority: i32,
    /// The subject: pods `pod_selector` selects (empty: all) in the namespaces
    /// `namespace_selector` selects.
    pub namespace_selector: Selector,
    pub pod_selector: Selector,
    pub subject_loc: Location,
    pub ingress: Vec<AdminRule>,
    pub egress: Vec<AdminRule>,
    pub loc: Location,
}

impl AdminPolicy {
    /// `anp/name`, `banp/default`, `cnp/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind.short(), self.name)
    }

    /// `Kind name`, as diagnostics name a cluster-scoped resource.
    pub fn resource(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.name)
    }
}
