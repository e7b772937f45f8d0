//! Why an assertion holds or fails: the pair's explanation as `netplay explain` prints
//! it, and the line of input that decided.

use super::parties::{range_last, Party};
use super::Context;
use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Location;
use crate::netpol::explain::{explain, Explanation, Target};
use crate::netpol::ingress_controller::{self, INGRESS_CONTROLLER};
use std::fmt::Write;

impl Context<'_> {
    /// [`Context::explain_pair`] for the first port of `conn` (what an excess connection
    /// opens), as a probe.
    pub(super) fn explain_first_port(&self, s: Party, d: Party, conn: &ConnSet) -> (String, Option<Location>) {
        self.explain_pair(s, d, first_port(conn))
    }

    /// The explanation of one pair, as `netplay explain` prints it, and the line that
    /// decided the verdict on `probe`.
    pub(super) fn explain_pair(
        &self,
        s: Party,
        d: Party,
        probe: Option<(Protocol, u16)>,
    ) -> (String, Option<Location>) {
        if s == Party::IngressController {
            return self.explain_ingress(d, probe);
        }
        let (Some(src), Some(dst)) = (Self::target(s), Self::target(d)) else {
            return (String::new(), None);
        };
        let e = explain(self.cluster, src, dst, probe);
        let mut text = String::new();
        for p in [s, d] {
            if let Party::External(r) = p {
                if r.first() != range_last(r) {
                    let _ = writeln!(
                        text,
                        "(explained for {}, the first address of {}: every address of it gets the same connections)",
                        r.first(),
                        r
                    );
                }
            }
        }
        text.push_str(&e.to_text());
        (text, decided_at(&e, probe))
    }

    fn explain_ingress(&self, d: Party, probe: Option<(Protocol, u16)>) -> (String, Option<Location>) {
        let Party::Workload(b) = d else {
            return (String::new(), None);
        };
        let conn = self.from_ingress.get(b).cloned().unwrap_or_default();
        let name = self.name(d);
        let mut text = format!("{INGRESS_CONTROLLER} => {name} : {conn}\n\n");
        text.push_str(&format!(
            "{INGRESS_CONTROLLER} is the traffic Ingress objects route to {name}: the controller connects to the target ports of the backend Services' pods.\n"
        ));
        let controller = (0..self.cluster.workloads.len())
            .find(|&i| i != b && ingress_controller::is_ingress_controller(self.cluster, i));
        match controller {
            Some(c) => {
                let e = explain(self.cluster, Target::Workload(c), Target::Workload(b), probe);
                text.push_str(&format!(
                    "The input holds the controller, {}; its connection decides:\n\n",
                    self.name(Party::Workload(c))
                ));
                text.push_str(&e.to_text());
                (text, decided_at(&e, probe))
            }
            None => {
                text.push_str("The input holds no ingress controller, so it counts as a pod of a namespace the input does not describe: only ingress rules that admit every pod of every namespace let it in.\n");
                // The destination's side is what decides; explain it for an unknown pod.
                let w = &self.cluster.workloads[b];
                let isolating: Vec<_> = self
                    .cluster
                    .policies
                    .iter()
                    .filter(|p| {
                        p.calico.is_none()
                            && p.namespace == w.namespace
                            && p.ingress.is_some()
                            && !w.host_network
                            && p.pod_selector.matches(&w.labels)
                    })
                    .collect();
                let at = isolating.first().map(|p| p.loc.clone());
                let isolating: Vec<String> = isolating
                    .iter()
                    .map(|p| format!("{} ({}:{})", p.id(), p.loc.file, p.loc.line))
                    .collect();
                if isolating.is_empty() {
                    text.push_str(&format!("Ingress to {name}: not isolated; everything allowed\n"));
                } else {
                    text.push_str(&format!("Ingress to {name}: isolated by {}\n", isolating.join(", ")));
                }
                (text, at)
            }
        }
    }
}

/// The first port of a connection set, to explain it as a probe.
fn first_port(c: &ConnSet) -> Option<(Protocol, u16)> {
    Protocol::ALL
        .into_iter()
        .find_map(|p| c.ports(p).ranges().first().map(|&(lo, _)| (p, lo)))
}

/// The line that decided an explained verdict: for a refused probe (or pair), the policy
/// that isolates the refusing side (the destination's first); for an admitted one, the
/// peer (else rule) that admits it. `None` when no policy applies at all.
fn decided_at(e: &Explanation, probe: Option<(Protocol, u16)>) -> Option<Location> {
    let admits = |side: &crate::netpol::explain::SideExplanation| match probe {
        Some((p, n)) => side.allowed.contains(p, n),
        None => !side.allowed.is_empty(),
    };
    let allowed = match probe {
        Some((p, n)) => e.allowed.contains(p, n),
        None => !e.allowed.is_empty(),
    };
    let sides = [&e.ingress, &e.egress];
    if allowed {
        sides.iter().find_map(|s| {
            let by_tier = s
                .tiers
                .iter()
                .find(|t| t.action == crate::policy::Action::Allow.as_str() && t.rule.decides != Some(false))
                .map(|t| &t.rule);
            let by_policy = || {
                s.admitted_by
                    .iter()
                    .find(|m| !s.isolated_by.is_empty() && m.decides != Some(false))
            };
            by_tier
                .or_else(by_policy)
                .map(|m| m.peer_loc.clone().unwrap_or_else(|| m.rule_loc.clone()))
        })
    } else {
        // The refusing side's Deny rule of an admin tier, else the policy isolating it.
        let refused = sides.into_iter().find(|s| !admits(s))?;
        let by_rule = match probe {
            Some((p, n)) => refused.refusal(p, n).and_then(|r| r.loc().cloned()),
            None => refused
                .tiers
                .iter()
                .find(|t| t.action == crate::policy::Action::Deny.as_str())
                .map(|t| t.rule.rule_loc.clone()),
        };
        by_rule.or_else(|| refused.isolated_by.first().map(|p| p.loc.clone()))
    }
}
