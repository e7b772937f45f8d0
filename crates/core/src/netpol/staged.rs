//! Calico's staged policies (StagedNetworkPolicy, StagedGlobalNetworkPolicy,
//! StagedKubernetesNetworkPolicy) are never enforced: Calico evaluates them beside the
//! enforced ones to show what they would change. netplay does the same (NP1053): for each
//! staged policy, the connection list with it enforced — in place of the enforced policy
//! of the same kind, namespace and name (`stagedAction: Set`), or with that policy gone
//! (`Delete`) — against the list as it is, line by line.

use super::engine::Engine;
use super::ingress_controller::cluster_lines;
use crate::diagnostics::Diagnostic;
use crate::model::Cluster;
use crate::policy::{Policy, PolicyKind, Tier};
use std::collections::BTreeSet;

/// How many changed lines a finding lists before it counts the rest.
const SHOWN: usize = 5;

/// One NP1053 finding per staged policy: what enforcing it would change.
pub fn check(cluster: &Cluster) -> Vec<Diagnostic> {
    if cluster.staged_policies.is_empty() {
        return Vec::new();
    }
    let now = lines(cluster);
    cluster
        .staged_policies
        .iter()
        .map(|staged| {
            let then = lines(&enforced(cluster, staged));
            let changes: Vec<String> = now
                .difference(&then)
                .map(|l| format!("- {l}"))
                .chain(then.difference(&now).map(|l| format!("+ {l}")))
                .collect();
            let what = match changes.len() {
                0 => "no connection line".to_string(),
                1 => "1 connection line".to_string(),
                n => format!("{n} connection lines"),
            };
            let mut msg = format!(
                "staged, not enforced: {} {} would change {what} if enforced",
                staged.kind.as_str(),
                staged.id()
            );
            if !changes.is_empty() {
                msg.push_str(": ");
                msg.push_str(&changes.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; "));
                if changes.len() > SHOWN {
                    msg.push_str(&format!("; and {} more", changes.len() - SHOWN));
                }
            }
            Diagnostic::new("NP1053", msg)
                .at(&staged.loc)
                .resource(format!("{} {}", staged.kind.as_str(), staged.id()))
        })
        .collect()
}

/// The connection lines of a cluster, as connlist prints them (without layer 7 marks).
fn lines(cluster: &Cluster) -> BTreeSet<String> {
    let engine = Engine::new(cluster);
    cluster_lines(&engine)
        .into_iter()
        .map(|l| format!("{} => {} : {}", l.src, l.dst, l.conn))
        .collect()
}

/// The cluster with `staged` enforced in place of the policy it stages.
fn enforced(cluster: &Cluster, staged: &Policy) -> Cluster {
    let kind = match staged.kind {
        PolicyKind::CalicoStagedNetworkPolicy => PolicyKind::CalicoNetworkPolicy,
        PolicyKind::CalicoStagedGlobalNetworkPolicy => PolicyKind::CalicoGlobalNetworkPolicy,
        PolicyKind::CalicoStagedKubernetesNetworkPolicy => PolicyKind::NetworkPolicy,
        other => other,
    };
    let mut out = cluster.clone();
    out.staged_policies.clear();
    out.policies
        .retain(|p| !(p.kind == kind && p.namespace == staged.namespace && p.name == staged.name));
    let mut policy = staged.clone();
    policy.kind = kind;
    if let Some(c) = &mut policy.calico {
        c.staged = false;
    }
    if kind == PolicyKind::NetworkPolicy {
        // Where the input's Kubernetes NetworkPolicies stand (Calico's default tier at
        // order 1000, or their own tier with `--cni cilium`).
        let in_calico = cluster
            .policies
            .iter()
            .filter(|p| p.kind == PolicyKind::NetworkPolicy)
            .all(|p| matches!(p.tier, Tier::Calico(_)));
        if let (Some(default), true) = (cluster.calico_default_tier, in_calico) {
            (policy.tier, policy.priority) = (default, cluster.calico_kubernetes_priority);
        }
    }
    // A `Delete` staged policy has no rules: enforcing it only removes its namesake.
    if policy.ingress.is_some() || policy.egress.is_some() {
        out.policies.push(policy);
    }
    out
}
