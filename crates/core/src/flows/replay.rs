//! Observed flows against the scenario's policies: which would be allowed and which
//! blocked ([`replay`], `netplay flows replay`), and which rules no flow uses
//! ([`diff`], `netplay flows diff`). Every verdict comes from the fast engine; the reasons
//! from `netpol::explain`, which the agreement test keeps in step with it.

use super::{kube_dns_workload, plural, End, Flow, Observed};
use crate::conn::ConnSet;
use crate::model::Cluster;
use crate::model::Workload;
use crate::netpol::engine::Engine;
use crate::netpol::explain::{explain_ends, End as ExplainEnd, Explanation};
use crate::policy::Direction;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

/// What the policies say about one observed flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Index into `Observed::flows`.
    pub flow: usize,
    pub allowed: bool,
    /// For a blocked flow: which side refuses it.
    pub reason: Option<&'static str>,
}

#[derive(Clone, Debug, Default)]
pub struct Replay {
    pub verdicts: Vec<Verdict>,
    pub allowed: usize,
    pub blocked: usize,
}

fn end<'a>(cluster: &'a Cluster, end: End, kube_dns: &'a Workload) -> ExplainEnd<'a> {
    match end {
        End::Workload(i) => cluster
            .workloads
            .get(i)
            .map_or(ExplainEnd::Workload(kube_dns), ExplainEnd::Workload),
        End::External(ip) => ExplainEnd::Ip(ip),
        End::KubeDns => ExplainEnd::Workload(kube_dns),
    }
}

/// The explanation of one flow's verdict (`--explain`), for its port.
pub fn explain_flow(cluster: &Cluster, flow: &Flow) -> Explanation {
    let kube_dns = kube_dns_workload();
    explain_ends(
        cluster,
        end(cluster, flow.src, &kube_dns),
        end(cluster, flow.dst, &kube_dns),
        Some((flow.protocol, flow.port)),
    )
}

/// Whether the policies of `cluster` allow each observed flow.
pub fn replay(cluster: &Cluster, observed: &Observed) -> Replay {
    // Lazily: only the class pairs the flows name are evaluated.
    let engine = Engine::prepare(cluster);
    let mut pairs: HashMap<(usize, usize), ConnSet> = HashMap::new();
    let mut out = Replay::default();
    for (i, f) in observed.flows.iter().enumerate() {
        let conn = match (f.src, f.dst) {
            (End::Workload(s), End::Workload(d)) => {
                let key = (engine.class_of(s), engine.class_of(d));
                pairs
                    .entry(key)
                    .or_insert_with(|| engine.class_conn(key.0, key.1))
                    .clone()
            }
            (End::Workload(s), End::External(ip)) => engine.conn_to_ip(s, ip),
            (End::External(ip), End::Workload(d)) => engine.conn_from_ip(ip, d),
            // The stand-in DNS pod is no workload of the engine: ask the explanation,
            // which evaluates the same policies (the agreement test keeps them equal).
            (End::KubeDns, _) | (_, End::KubeDns) => {
                let e = explain_flow(cluster, f);
                ConnSet::port_range(f.protocol, f.port, f.port).intersect(&e.allowed)
            }
            (End::External(_), End::External(_)) => ConnSet::none(),
        };
        let allowed = conn.contains(f.protocol, f.port);
        let reason = if allowed {
            None
        } else {
            explain_flow(cluster, f).denial_reason()
        };
        if allowed {
            out.allowed += 1;
        } else {
            out.blocked += 1;
        }
        out.verdicts.push(Verdict {
            flow: i,
            allowed,
            reason,
        });
    }
    out
}

fn flow_note(f: &Flow) -> String {
    let mut note = format!("{} {}", f.records, plural(f.records, "record", "records"));
    if !f.observed.is_empty() {
        note += &format!(", observed {}", f.observed.join("/"));
    }
    note
}

impl Replay {
    /// `N flows allowed, N would be blocked`.
    pub fn summary(&self) -> String {
        format!(
            "{} {} allowed, {} would be blocked",
            self.allowed,
            plural(self.allowed as u64, "flow", "flows"),
            self.blocked
        )
    }

    /// One line per flow (`allowed`/`blocked`, the flow, its records and, when blocked,
    /// why), each followed by its explanation when `explain` is set, then the summary.
    pub fn to_text(&self, cluster: &Cluster, observed: &Observed, explain: bool) -> String {
        let mut out = String::new();
        for v in &self.verdicts {
            let Some(f) = observed.flows.get(v.flow) else { continue };
            let word = if v.allowed { "allowed" } else { "blocked" };
            let _ = write!(out, "{word}  {}  ({})", f.text(cluster), flow_note(f));
            if let Some(r) = v.reason {
                let _ = write!(out, ": {r}");
            }
            out.push('\n');
            if explain {
                for line in explain_flow(cluster, f).to_text().lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }
}

/// A rule of the scenario's policies, named for people.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleRef {
    /// `namespace/name`.
    pub policy: String,
    pub direction: &'static str,
    pub rule: usize,
    pub loc: crate::diagnostics::Location,
}

/// What the policies and the traffic disagree on.
#[derive(Clone, Debug, Default)]
pub struct FlowDiff {
    /// Rules that admit none of the observed flows: candidates to remove.
    pub unused_rules: Vec<RuleRef>,
    /// Observed flows that the policies block (index into `Observed::flows`, reason).
    pub not_admitted: Vec<Verdict>,
}

impl FlowDiff {
    pub fn is_empty(&self) -> bool {
        self.unused_rules.is_empty() && self.not_admitted.is_empty()
    }

    pub fn to_text(&self, cluster: &Cluster, observed: &Observed) -> String {
        let mut out = String::new();
        if !self.unused_rules.is_empty() {
            out.push_str("Rules no observed flow uses (candidates to remove):\n");
            for r in &self.unused_rules {
                // Numbered from 1, as explanations number rules.
                let _ = writeln!(
                    out,
                    "  {} {} rule {} ({}:{})",
                    r.policy,
                    r.direction,
                    r.rule + 1,
                    r.loc.file,
                    r.loc.line
                );
            }
        }
        if !self.not_admitted.is_empty() {
            out.push_str("Flows no rule admits:\n");
            for v in &self.not_admitted {
                let Some(f) = observed.flows.get(v.flow) else { continue };
                let _ = write!(out, "  {}  ({})", f.text(cluster), flow_note(f));
                if let Some(r) = v.reason {
                    let _ = write!(out, ": {r}");
                }
                out.push('\n');
            }
        }
        let _ = writeln!(
            out,
            "{} {} unused, {} {} not admitted",
            self.unused_rules.len(),
            plural(self.unused_rules.len() as u64, "rule", "rules"),
            self.not_admitted.len(),
            plural(self.not_admitted.len() as u64, "flow", "flows"),
        );
        out
    }
}

/// Compares the policies with the traffic: every rule that admits no observed flow on
/// its side (the source's egress or the destination's ingress), and every flow blocked.
pub fn diff(cluster: &Cluster, observed: &Observed) -> FlowDiff {
    let mut used: BTreeSet<(String, &'static str, usize)> = BTreeSet::new();
    for f in &observed.flows {
        let e = explain_flow(cluster, f);
        // Rules of first-match tiers count when they decided the flow's port, whatever
        // their action: a Deny that blocks an observed flow is used too.
        let tiered = e.egress.tiers.iter().chain(&e.ingress.tiers).map(|t| &t.rule);
        for m in e.egress.admitted_by.iter().chain(&e.ingress.admitted_by).chain(tiered) {
            if m.decides == Some(true) {
                used.insert((m.policy.clone(), m.direction, m.rule));
            }
        }
    }
    let mut out = FlowDiff::default();
    for p in &cluster.policies {
        for dir in [Direction::Ingress, Direction::Egress] {
            for r in p.rules(dir).into_iter().flatten() {
                if !used.contains(&(p.id(), dir.as_str(), r.index)) {
                    out.unused_rules.push(RuleRef {
                        policy: p.id(),
                        direction: dir.as_str(),
                        rule: r.index,
                        loc: r.loc.clone(),
                    });
                }
            }
        }
    }
    out.not_admitted = replay(cluster, observed)
        .verdicts
        .into_iter()
        .filter(|v| !v.allowed)
        .collect();
    out
}
