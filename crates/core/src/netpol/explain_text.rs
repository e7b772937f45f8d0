//! The explanation as text (`Explanation::to_text`), the one rendering the CLI's
//! `explain`, `ask`, the assertions and the flow replay print: each side's policies and
//! rules, the walk through the tiers, and the verdict.

use super::explain::{tier_end_step, tier_step};
use super::explain::{Explanation, PolicyRef, RuleMatch, SideExplanation, TierEnd};
use super::trace::NetworkPolicyPart;
use crate::conn::Protocol;
use std::fmt::{self, Write};

fn write_side(out: &mut String, side: &SideExplanation, probe: Option<(Protocol, u16)>) -> fmt::Result {
    let what = if side.direction == "egress" {
        "Egress from"
    } else {
        "Ingress to"
    };
    let Some(w) = &side.workload else {
        return writeln!(
            out,
            "{what} an address outside the cluster: no NetworkPolicy applies; everything allowed"
        );
    };
    if !side.tiers.is_empty() || !side.tier_ends.is_empty() {
        return write_tiered_side(out, side, probe, what, w);
    }
    if let Some(node) = &side.host_node {
        return writeln!(
            out,
            "{what} {w}: not isolated: it uses hostNetwork, so policies see it as {node} and none selects it; everything allowed"
        );
    }
    if side.isolated_by.is_empty() {
        let ns = w.split('/').next().unwrap_or_default();
        return writeln!(
            out,
            "{what} {w}: not isolated (no NetworkPolicy in namespace {ns} selects it for {}); everything allowed",
            side.direction
        );
    }
    let list: Vec<String> = side
        .isolated_by
        .iter()
        .map(|p| format!("{} ({}:{})", p.policy, p.loc.file, p.loc.line))
        .collect();
    writeln!(out, "{what} {w}: isolated by {}", list.join(", "))?;
    if side.admitted_by.is_empty() {
        return writeln!(
            out,
            "  no {} rule of these policies admits this peer: nothing allowed",
            side.direction
        );
    }
    for m in &side.admitted_by {
        write_rule(out, m, probe, "")?;
    }
    writeln!(out, "  {} allows: {}", side.direction, side.allowed_text)
}

/// One rule line: `- policy direction rule N (file:line), peer: conn`, marked `*` when
/// it decides the probe; `prefix` goes before the policy (a tier and action).
fn write_rule(out: &mut String, m: &RuleMatch, probe: Option<(Protocol, u16)>, prefix: &str) -> fmt::Result {
    let mark = if probe.is_some() && m.decides == Some(true) {
        "*"
    } else {
        "-"
    };
    let peer = peer_words(m);
    let loc = &m.rule_loc;
    writeln!(
        out,
        "  {mark} {prefix}{} {} rule {} ({}:{}), {peer}: {}",
        m.policy,
        m.direction,
        m.rule + 1,
        loc.file,
        loc.line,
        m.conn
    )
}

/// The matching peer as a rule line names it: `peer 2 at line 14 (pods [app=web] ...)`,
/// 1-based, with the peer's own line when it is not the rule's (the rule line gives the
/// rule's, as diff and the trace do); the peer's words alone when the rule has none.
fn peer_words(m: &RuleMatch) -> String {
    match (m.peer, &m.peer_loc) {
        (None, _) => m.peer_text.clone(),
        (Some(i), Some(at)) if at.line != m.rule_loc.line => {
            format!("peer {} at line {} ({})", i + 1, at.line, m.peer_text)
        }
        (Some(i), _) => format!("peer {} ({})", i + 1, m.peer_text),
    }
}

/// A side where rules of first-match tiers decided: those rules in evaluation order,
/// then the NetworkPolicy tier, then what the side allows.
fn write_tiered_side(
    out: &mut String,
    side: &SideExplanation,
    probe: Option<(Protocol, u16)>,
    what: &str,
    w: &str,
) -> fmt::Result {
    writeln!(out, "{what} {w}:")?;
    for (k, t) in side.tiers.iter().enumerate() {
        for e in side.tier_ends.iter().filter(|e| e.after == k) {
            write_tier_end(out, e, probe)?;
        }
        let mark = if probe.is_some() && t.rule.decides == Some(true) {
            "*"
        } else {
            "-"
        };
        let peer = peer_words(&t.rule);
        let loc = &t.rule.rule_loc;
        writeln!(
            out,
            "  {mark} {} {} ({}:{}), {peer}",
            tier_step(t, side.direction),
            t.rule.conn,
            loc.file,
            loc.line
        )?;
    }
    for e in side.tier_ends.iter().filter(|e| e.after >= side.tiers.len()) {
        write_tier_end(out, e, probe)?;
    }
    let list = |ps: &[PolicyRef]| -> String {
        let list: Vec<String> = ps
            .iter()
            .map(|p| format!("{} ({}:{})", p.policy, p.loc.file, p.loc.line))
            .collect();
        list.join(", ")
    };
    match side.networkpolicy_part() {
        NetworkPolicyPart::NotIsolated => writeln!(out, "  [NetworkPolicy] not isolated for {}", side.direction)?,
        // The isolation is no reason when the tiers before it decided everything.
        NetworkPolicyPart::NotReached(ps) => writeln!(
            out,
            "  [NetworkPolicy] not reached: the tiers before it decided everything ({} would isolate it; not consulted)",
            list(ps)
        )?,
        NetworkPolicyPart::Consulted {
            isolated_by,
            admitted_by,
        } => {
            writeln!(out, "  [NetworkPolicy] isolated by {}", list(isolated_by))?;
            for m in admitted_by {
                write_rule(out, m, probe, "")?;
            }
        }
    }
    writeln!(out, "  {} allows: {}", side.direction, side.allowed_text)?;
    let trace: Vec<String> = side.trace().iter().map(|step| step.text()).collect();
    writeln!(out, "  trace: {}", trace.join(" → "))
}

/// The end of a Calico tier that denied part of the traffic.
fn write_tier_end(out: &mut String, e: &TierEnd, probe: Option<(Protocol, u16)>) -> fmt::Result {
    let mark = if probe.is_some() && e.decides == Some(true) {
        "*"
    } else {
        "-"
    };
    writeln!(
        out,
        "  {mark} {} {} (no rule of the tier matched)",
        tier_end_step(e),
        e.denied
    )
}

impl Explanation {
    /// The explanation as text, the same in the CLI and the web app.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let probe = self.probe_port();
        let _ = writeln!(out, "{} => {} : {}", self.src, self.dst, self.conn);
        let _ = writeln!(out);
        let _ = write_side(&mut out, &self.egress, probe);
        let _ = write_side(&mut out, &self.ingress, probe);
        for c in &self.l7 {
            let _ = writeln!(out, "  {}", c.text());
        }
        let _ = writeln!(out);
        match (&self.probe, self.probe_allowed) {
            (Some(p), Some(true)) => {
                let _ = writeln!(out, "Verdict: {p} is ALLOWED (both the source's egress and the destination's ingress admit it; rules marked * decide).");
            }
            (Some(p), _) => {
                let why = self.denial_reason().unwrap_or_default();
                let _ = writeln!(out, "Verdict: {p} is DENIED ({why}).");
            }
            _ if self.allowed.is_empty() => {
                let _ = writeln!(out, "Verdict: no connection is allowed.");
            }
            _ => {
                let _ = writeln!(out, "Verdict: allowed {} (egress ∩ ingress).", self.conn);
            }
        }
        for note in [self.l7_note(), self.fqdn_note()].into_iter().flatten() {
            let _ = writeln!(out, "{note}");
        }
        out
    }
}
