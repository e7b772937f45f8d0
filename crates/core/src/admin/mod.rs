//! The cluster administrators' policy kinds of the Network Policy API
//! (`policy.networking.k8s.io`): AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (v1alpha1) and ClusterNetworkPolicy (v1alpha2, tiers Admin and Baseline).
//!
//! A reader of the policy rule model ([`crate::policy`]): `types` is the shape as
//! written, `compile` validates it the way the API server does (the CRDs' enums, limits
//! and CEL rules; errors at the offending line) and builds a [`Policy`] of tier Admin or
//! Baseline; the engines, explanations and checks know only that model. `checks` holds
//! what `analyze` says about valid admin policies (undefined order, shadowed and
//! never-matching rules); `convert` rewrites v1alpha1 objects as v1alpha2.
//! docs/semantics.md ("Admin tiers") says what they mean.

pub mod checks;
pub mod compile;
pub mod convert;

pub mod types;

use crate::policy::PolicyKind;

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
        self.policy_kind().as_str()
    }

    pub fn policy_kind(self) -> PolicyKind {
        match self {
            AdminKind::AdminNetworkPolicy => PolicyKind::AdminNetworkPolicy,
            AdminKind::BaselineAdminNetworkPolicy => PolicyKind::BaselineAdminNetworkPolicy,
            AdminKind::ClusterNetworkPolicy => PolicyKind::ClusterNetworkPolicy,
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

/// Whether a policy of the model is one of the admin kinds.
pub fn is_admin(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::AdminNetworkPolicy | PolicyKind::BaselineAdminNetworkPolicy | PolicyKind::ClusterNetworkPolicy
    )
}
