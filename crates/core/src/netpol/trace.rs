//! The walk of one side of a connection through the tiers, step by step: the
//! explanation's `trace:` line, the playground's Why? panel and exposure's traces. A
//! tier the walk does not reach (the tiers before it decided everything) is shown as not
//! reached and decides nothing.

use super::explain::{tier_end_step, tier_step, PolicyRef, RuleMatch, SideExplanation, TierEnd};
use crate::conn::ConnSet;
use crate::diagnostics::Location;
use serde::Serialize;

/// One step of a side's walk through the tiers, for the explanation's `trace:` line and
/// the playground's Why? panel.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TraceStep {
    /// `Admin`, `NetworkPolicy`, `Baseline`, `Calico tier NAME`; `None` for the last step
    /// (what the side allows).
    pub tier: Option<String>,
    /// What decided: `[Admin anp/x priority 10, ingress rule "r" line 12] Deny`,
    /// `[NetworkPolicy shop/p] admits`, `ingress allows`.
    pub step: String,
    /// The connections this step decided.
    pub conn: String,
    /// Where the deciding rule or policy is written.
    pub loc: Option<Location>,
    /// False for a tier the walk did not reach (the tiers before it decided everything):
    /// shown as such, it decides nothing.
    #[serde(skip)]
    pub reached: bool,
}

impl TraceStep {
    /// The step as the `trace:` line writes it.
    pub fn text(&self) -> String {
        if self.conn.is_empty() {
            self.step.clone()
        } else {
            format!("{} {}", self.step, self.conn)
        }
    }
}

/// The NetworkPolicy tier in one side's explanation: whether it is part of the reason.
/// The CLI's `explain` and the playground's Why? panel both show a side by it, so that a
/// pair an Admin (or Calico, Cilium) rule decided is not explained by the NetworkPolicy
/// isolation that was never consulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkPolicyPart<'a> {
    /// No NetworkPolicy selects the side for this direction.
    NotIsolated,
    /// NetworkPolicies select the side, but the tiers before theirs decided all of the
    /// traffic (an Allow or Deny there is final): they decide nothing and are not a reason.
    NotReached(&'a [PolicyRef]),
    /// The NetworkPolicies that isolate the side decide what reached their tier, admitting
    /// it by these rules.
    Consulted {
        isolated_by: &'a [PolicyRef],
        admitted_by: &'a [RuleMatch],
    },
}

impl SideExplanation {
    /// The NetworkPolicy tier's part in this side (see [`NetworkPolicyPart`]).
    pub fn networkpolicy_part(&self) -> NetworkPolicyPart<'_> {
        if self.isolated_by.is_empty() {
            NetworkPolicyPart::NotIsolated
        } else if self.reaches_networkpolicy.is_empty() {
            NetworkPolicyPart::NotReached(&self.isolated_by)
        } else {
            NetworkPolicyPart::Consulted {
                isolated_by: &self.isolated_by,
                admitted_by: &self.admitted_by,
            }
        }
    }

    /// The steps of the walk that decided this side before the NetworkPolicy tier was
    /// reached (Allow and Deny rules, tier ends), when they decided all of it; empty when
    /// the NetworkPolicy tier or a later one decides some of the traffic. What the
    /// explanation names as the decider instead of NetworkPolicy isolation.
    pub fn decided_before_networkpolicy(&self) -> Vec<TraceStep> {
        if self.workload.is_none() || !self.reaches_networkpolicy.is_empty() {
            return Vec::new();
        }
        let np = crate::policy::Tier::NetworkPolicy.as_str();
        let mut steps = self.trace();
        // Nothing reached NetworkPolicy, so no Pass took anything: every step left is an
        // Allow, a Deny or a tier's end.
        steps.retain(|s| s.reached && s.tier.as_deref().is_some_and(|t| t != np));
        steps
    }

    /// The walk of this side through the tiers, in order: each rule of a first-match tier
    /// that decided part of the traffic, then the NetworkPolicy tier when it isolates the
    /// side, then what the side allows. Empty for an address outside the cluster.
    pub fn trace(&self) -> Vec<TraceStep> {
        if self.workload.is_none() {
            return Vec::new();
        }
        // Each rule of a first-match tier, with the ends of the Calico tiers where they
        // stand in the walk (`after` rules).
        let end_step = |e: &TierEnd| TraceStep {
            tier: Some(e.tier.clone()),
            step: tier_end_step(e),
            conn: e.denied.clone(),
            loc: None,
            reached: true,
        };
        let mut steps: Vec<TraceStep> = Vec::new();
        for (k, t) in self.tiers.iter().enumerate() {
            steps.extend(self.tier_ends.iter().filter(|e| e.after == k).map(end_step));
            steps.push(TraceStep {
                tier: Some(t.tier.clone()),
                step: tier_step(t, self.direction),
                conn: t.rule.conn.clone(),
                loc: Some(t.rule.rule_loc.clone()),
                reached: true,
            });
        }
        let len = self.tiers.len();
        steps.extend(self.tier_ends.iter().filter(|e| e.after >= len).map(end_step));
        if !self.isolated_by.is_empty() {
            steps.push(self.networkpolicy_step());
        }
        steps.push(TraceStep {
            tier: None,
            step: format!("{} allows", self.direction),
            conn: self.allowed_text.clone(),
            loc: None,
            reached: true,
        });
        steps
    }

    /// The NetworkPolicy tier's step of the walk, for a side it isolates: what its rules
    /// admit of what reached it, what they admit of nothing, or that the tiers before it
    /// decided everything and it was not consulted.
    fn networkpolicy_step(&self) -> TraceStep {
        let ids: Vec<&str> = self.isolated_by.iter().map(|p| p.policy.as_str()).collect();
        let ids = ids.join(", ");
        let reached = &self.reaches_networkpolicy;
        let mut admitted = ConnSet::none();
        for m in &self.admitted_by {
            admitted.union_with(&ConnSet::parse(&m.conn).unwrap_or_default());
        }
        let admitted = admitted.intersect(reached);
        let (step, conn) = if reached.is_empty() {
            (
                format!("[NetworkPolicy {ids}] not reached: the tiers before it decided everything"),
                String::new(),
            )
        } else if admitted.is_empty() {
            // Only what reached the tier is refused by it.
            let conn = if reached.is_all() {
                String::new()
            } else {
                reached.to_string()
            };
            (format!("[NetworkPolicy {ids}] no rule admits"), conn)
        } else {
            (format!("[NetworkPolicy {ids}] admits"), admitted.to_string())
        };
        TraceStep {
            tier: Some(crate::policy::Tier::NetworkPolicy.as_str().to_string()),
            reached: !reached.is_empty(),
            step,
            conn,
            loc: self.isolated_by.first().map(|p| p.loc.clone()),
        }
    }

    /// The tiers whose policies decide part of this side (`Admin`, `NetworkPolicy`,
    /// `Baseline`, `Calico tier NAME`, in evaluation order); empty when no policy applies.
    /// A tier the walk did not reach decides nothing.
    pub fn deciding_tiers(&self) -> Vec<String> {
        let mut tiers: Vec<String> = Vec::new();
        for step in self.trace().into_iter().filter(|s| s.reached) {
            if let Some(t) = step.tier {
                if !tiers.contains(&t) {
                    tiers.push(t);
                }
            }
        }
        tiers
    }
}
