//! Cilium's own policy kinds (`cilium.io/v2`): CiliumNetworkPolicy (namespaced) and
//! CiliumClusterwideNetworkPolicy, read into the policy rule model ([`crate::policy`]).
//!
//! `types` is their shape as written; `selector` turns Cilium endpoint selectors (label
//! sources, the namespace labels of an identity) into the model's namespace and pod
//! selectors; `compile` validates a rule as Cilium does and builds its policies (allows
//! in the NetworkPolicy tier, denies in [`crate::policy::Tier::CiliumDeny`]); `peers`
//! reads endpoints, CIDRs, entities, Services and FQDNs. docs/semantics.md ("Cilium
//! policies") says what they mean.

mod compile;
mod ctx;
mod peers;
mod selector;
pub mod types;

use crate::diagnostics::Diagnostic;
use crate::model::Labels;
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::policy::{Policy, PolicyKind};
use types::CiliumRule;

/// The API group of both kinds.
pub const GROUP: &str = "cilium.io";

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CiliumKind {
    /// CiliumNetworkPolicy: namespaced.
    Namespaced,
    /// CiliumClusterwideNetworkPolicy.
    Clusterwide,
}

impl CiliumKind {
    pub fn from_kind(kind: &str) -> Option<CiliumKind> {
        match kind {
            "CiliumNetworkPolicy" => Some(CiliumKind::Namespaced),
            "CiliumClusterwideNetworkPolicy" => Some(CiliumKind::Clusterwide),
            _ => None,
        }
    }

    pub fn policy_kind(self) -> PolicyKind {
        match self {
            CiliumKind::Namespaced => PolicyKind::CiliumNetworkPolicy,
            CiliumKind::Clusterwide => PolicyKind::CiliumClusterwideNetworkPolicy,
        }
    }
}

/// What `toServices` needs to know of a Service: its labels (for
/// `k8sServiceSelector`) and its selector (its endpoints).
#[derive(Clone, Debug)]
pub struct ServiceInfo {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub selector: Option<Labels>,
}

/// Validates and compiles one object of `kind` (`namespace` is the object's; ignored
/// for a CiliumClusterwideNetworkPolicy). Returns its policies when Cilium would accept
/// every rule of it (a rule Cilium rejects fails the whole object), and every diagnostic.
pub fn compile(
    obj: &RawObject,
    kind: CiliumKind,
    namespace: &str,
    spec: Option<CiliumRule>,
    specs: Option<Vec<CiliumRule>>,
    services: &[ServiceInfo],
) -> (Vec<Policy>, Vec<Diagnostic>) {
    let mut cx = ctx::Ctx {
        obj,
        kind,
        namespace: match kind {
            CiliumKind::Namespaced => namespace.to_string(),
            CiliumKind::Clusterwide => String::new(),
        },
        services,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut policies = Vec::new();
    if spec.is_none() && specs.as_ref().is_none_or(|s| s.is_empty()) {
        cx.error(&[], "a Cilium policy needs `spec` or `specs`".into());
    }
    if let Some(rule) = &spec {
        policies.extend(compile::rule_policies(
            &mut cx,
            rule,
            &obj.name,
            &[PathSeg::key("spec")],
        ));
    }
    for (i, rule) in specs.iter().flatten().enumerate() {
        let path = [PathSeg::key("specs"), PathSeg::Index(i)];
        let name = format!("{}.specs[{i}]", obj.name);
        policies.extend(compile::rule_policies(&mut cx, rule, &name, &path));
    }
    let mut diags = cx.errors;
    if !diags.is_empty() {
        policies.clear();
    }
    diags.append(&mut cx.warnings);
    (policies, diags)
}
