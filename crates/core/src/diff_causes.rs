//! Why a pair's connection differs between two inputs (`netplay diff`): the policies and
//! rules that decide the pair on each side, compared, for the sides whose change alone
//! changes the connection. A rule that admits the pair on one
//! side and not on the other, a policy that isolates an end on one side only, or a rule
//! that admits something else, is a cause; each names the policy, the rule (1-based, as
//! people count) and where it is written.

use crate::endpoint::external_address;
use crate::netpol::explain::{Explanation, SideExplanation, TierDecision};
use crate::output::DiffEntry;
use crate::policy::{Action, Tier};
use crate::Scenario;

pub use crate::output::Cause;

impl Scenario {
    /// The pairs whose connection differs from `self` (old) to `new`, each with its causes
    /// (empty when they cannot be told: an end that is the ingress controller, or several
    /// clusters).
    pub fn diff(&self, new: &Scenario) -> Vec<DiffEntry> {
        let mut entries = crate::output::diff(&self.connlist(), &new.connlist());
        if self.multicluster.is_some() || new.multicluster.is_some() {
            return entries;
        }
        for e in &mut entries {
            e.causes = causes(self.explain_pair(&e.src, &e.dst), new.explain_pair(&e.src, &e.dst));
        }
        entries
    }

    /// The explanation of a pair named as connlist names it (an external range stands for
    /// its first address); `None` when an end is not in this input.
    pub(crate) fn explain_pair(&self, src: &str, dst: &str) -> Option<Explanation> {
        let target = |name: &str| match external_address(name) {
            Some(ip) => Some(crate::netpol::explain::Target::Ip(ip)),
            None => self.target(name).ok(),
        };
        Some(self.explain(target(src)?, target(dst)?, None))
    }
}

/// The causes of the difference between the old and the new explanation of one pair.
fn causes(old: Option<Explanation>, new: Option<Explanation>) -> Vec<Cause> {
    let (Some(old), Some(new)) = (old, new) else {
        return Vec::new();
    };
    // A side is a cause when changing it alone changes the connection, with the other
    // side as it was or as it is: a new egress policy that still admits everything the
    // destination accepts is no cause.
    let (e0, e1, i0, i1) = (
        &old.egress.allowed,
        &new.egress.allowed,
        &old.ingress.allowed,
        &new.ingress.allowed,
    );
    let egress_matters = e0.intersect(i0) != e1.intersect(i0) || e0.intersect(i1) != e1.intersect(i1);
    let ingress_matters = i0.intersect(e0) != i1.intersect(e0) || i0.intersect(e1) != i1.intersect(e1);
    let mut out = Vec::new();
    if egress_matters {
        side_causes(&old.egress, &new.egress, &mut out);
    }
    if ingress_matters {
        side_causes(&old.ingress, &new.ingress, &mut out);
    }
    out
}

fn side_causes(old: &SideExplanation, new: &SideExplanation, out: &mut Vec<Cause>) {
    tier_causes(old, new, out);
    let end = new.workload.as_deref().or(old.workload.as_deref()).unwrap_or_default();
    // Isolation is a cause only where it begins or ends: one more policy selecting an end
    // that was isolated already only adds rules, which are causes of their own.
    for p in new.isolated_by.iter().filter(|_| old.isolated_by.is_empty()) {
        {
            out.push(Cause {
                tier: Tier::NetworkPolicy.as_str().to_string(),
                policy: p.policy.clone(),
                direction: new.direction,
                rule: None,
                file: p.loc.file.clone(),
                line: p.loc.line,
                what: format!("now isolates {end} for {}", new.direction),
            });
        }
    }
    for p in old.isolated_by.iter().filter(|_| new.isolated_by.is_empty()) {
        {
            out.push(Cause {
                tier: Tier::NetworkPolicy.as_str().to_string(),
                policy: p.policy.clone(),
                direction: old.direction,
                rule: None,
                file: p.loc.file.clone(),
                line: p.loc.line,
                what: format!("no longer isolates {end} for {}", old.direction),
            });
        }
    }
    let same_rule = |a: &crate::netpol::explain::RuleMatch, b: &crate::netpol::explain::RuleMatch| {
        a.policy == b.policy && a.rule == b.rule
    };
    for m in &new.admitted_by {
        let what = match old.admitted_by.iter().find(|o| same_rule(o, m)) {
            Some(o) if o.conn == m.conn => continue,
            Some(o) => format!("admitted {}, now {}", o.conn, m.conn),
            None => format!("now admits {}", m.conn),
        };
        out.push(Cause {
            tier: Tier::NetworkPolicy.as_str().to_string(),
            policy: m.policy.clone(),
            direction: m.direction,
            rule: Some(m.rule + 1),
            file: m.rule_loc.file.clone(),
            line: m.rule_loc.line,
            what,
        });
    }
    for m in &old.admitted_by {
        if new.admitted_by.iter().any(|n| same_rule(m, n)) {
            continue;
        }
        // A rule of a policy that is gone altogether: the policy's own cause says it.
        let policy_gone = !new.isolated_by.iter().any(|p| p.policy == m.policy);
        out.push(Cause {
            tier: Tier::NetworkPolicy.as_str().to_string(),
            policy: m.policy.clone(),
            direction: m.direction,
            rule: Some(m.rule + 1),
            file: m.rule_loc.file.clone(),
            line: m.rule_loc.line,
            what: if policy_gone {
                format!("admitted {} (the policy no longer applies)", m.conn)
            } else {
                format!("no longer admits this pair (it admitted {})", m.conn)
            },
        });
    }
}

/// What a first-match rule does, in the present and the past tense (Pass hands the
/// traffic on to the next tier).
fn verbs(action: &str) -> (&'static str, &'static str) {
    if action == Action::Allow.as_str() {
        ("allows", "allowed")
    } else if action == Action::Deny.as_str() {
        ("denies", "denied")
    } else {
        ("passes on", "passed on")
    }
}

/// The rules of first-match tiers (Admin, Baseline) that decide the pair on one side only,
/// or decide another part of it, in evaluation order.
fn tier_causes(old: &SideExplanation, new: &SideExplanation, out: &mut Vec<Cause>) {
    let same = |a: &TierDecision, b: &TierDecision| {
        a.policy_ref == b.policy_ref && a.rule.rule == b.rule.rule && a.action == b.action
    };
    let cause = |t: &TierDecision, what: String| Cause {
        tier: t.tier.clone(),
        policy: t.policy_ref.clone(),
        direction: t.rule.direction,
        rule: Some(t.rule.rule + 1),
        file: t.rule.rule_loc.file.clone(),
        line: t.rule.rule_loc.line,
        what,
    };
    for t in &new.tiers {
        let (now, then) = verbs(t.action);
        let what = match old.tiers.iter().find(|o| same(o, t)) {
            Some(o) if o.rule.conn == t.rule.conn => continue,
            Some(o) => format!("{then} {}, now {}", o.rule.conn, t.rule.conn),
            None => format!("now {now} {}", t.rule.conn),
        };
        out.push(cause(t, what));
    }
    for t in old.tiers.iter().filter(|t| !new.tiers.iter().any(|n| same(t, n))) {
        let (now, then) = verbs(t.action);
        out.push(cause(
            t,
            format!("no longer {now} this pair (it {then} {})", t.rule.conn),
        ));
    }
}
