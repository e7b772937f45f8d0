//! What `analyze` says about valid admin policies (NP1030–NP1032): an order the API
//! leaves undefined, rules that an earlier rule always pre-empts, and rules that can
//! match nothing of the input.

use super::is_admin;
use crate::diagnostics::Diagnostic;
use crate::model::{Cluster, Workload};
use crate::policy::{Direction, Peer, PeerKind, Policy, Rule};

/// `Kind name`, as diagnostics name a cluster-scoped resource.
fn resource(p: &Policy) -> String {
    format!("{} {}", p.kind.as_str(), p.name)
}

fn selected<'c>(cluster: &'c Cluster, p: &'c Policy) -> impl Iterator<Item = &'c Workload> + 'c {
    cluster
        .workloads
        .iter()
        .filter(move |w| p.selects_workload(w, cluster.namespace_labels(&w.namespace)))
}

/// Runs the admin policy checks.
pub fn check(cluster: &Cluster) -> Vec<Diagnostic> {
    let admin: Vec<&Policy> = cluster.policies.iter().filter(|p| is_admin(p.kind)).collect();
    let mut out = Vec::new();
    same_priority(cluster, &admin, &mut out);
    for p in &admin {
        for dir in [Direction::Ingress, Direction::Egress] {
            let rules = p.rules(dir).unwrap_or(&[]);
            for (j, rule) in rules.iter().enumerate() {
                if let Some(earlier) = rules[..j].iter().find(|e| covers(e, rule)) {
                    out.push(
                        Diagnostic::new(
                            "NP1031",
                            format!(
                                "{} {} {} never decides anything: the earlier {} (line {}) matches every peer and port it does, and the first matching rule wins",
                                p.kind.as_str(),
                                p.name,
                                label(dir, rule),
                                label(dir, earlier),
                                earlier.loc.line
                            ),
                        )
                        .at(&rule.loc)
                        .resource(resource(p)),
                    );
                }
            }
        }
    }
    never_matching(cluster, &admin, &mut out);
    out
}

fn label(dir: Direction, rule: &Rule) -> String {
    format!("{} {}", dir.as_str(), rule.label())
}

/// NP1030: "If two (or more) policies in the same tier with the same priority could match
/// a connection, then the implementation can apply any of the matching policies".
fn same_priority(cluster: &Cluster, admin: &[&Policy], out: &mut Vec<Diagnostic>) {
    for (i, a) in admin.iter().enumerate() {
        for b in &admin[i + 1..] {
            if a.tier != b.tier || a.priority != b.priority {
                continue;
            }
            let both = selected(cluster, a).find(|w| b.selects_workload(w, cluster.namespace_labels(&w.namespace)));
            let Some(w) = both else { continue };
            out.push(
                Diagnostic::new(
                    "NP1030",
                    format!(
                        "{} {} and {} {} have the same priority {} in tier {} and both select {}: the API leaves their order undefined (netplay evaluates {} first, by kind and name, whatever the order of the input)",
                        a.kind.as_str(),
                        a.name,
                        b.kind.as_str(),
                        b.name,
                        b.priority,
                        b.tier,
                        w.endpoint_name(),
                        if a.order_key() <= b.order_key() { &a.name } else { &b.name }
                    ),
                )
                .at(&b.loc)
                .resource(resource(b))
                .help("give every admin policy of a tier its own priority"),
            );
        }
    }
}

/// Whether `earlier` matches every (peer, port) that `later` matches: the same or more
/// peers (or all), the same or more ports (or all).
fn covers(earlier: &Rule, later: &Rule) -> bool {
    let peers = match (&earlier.peers, &later.peers) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(e), Some(l)) => l.iter().all(|p| e.iter().any(|q| q.kind == p.kind)),
    };
    let ports = match (&earlier.ports, &later.ports) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(e), Some(l)) => l
            .iter()
            .all(|p| e.iter().any(|q| q.protocol == p.protocol && q.port == p.port)),
    };
    peers && ports && !later.peers.as_ref().is_some_and(|l| l.is_empty())
}

/// Whether a peer can match something of the input: a pod, or an address outside.
fn matches_something(cluster: &Cluster, policy: &Policy, peer: &Peer) -> bool {
    match &peer.kind {
        // An FQDN is a destination of its own (`fqdn:<name>`).
        PeerKind::IpBlock { .. } | PeerKind::Fqdn(_) => true,
        PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } => false,
        PeerKind::Calico(m) if m.nets.is_some() || !m.has_identity() => true,
        PeerKind::Calico(_) => cluster.workloads.iter().any(|w| {
            peer.kind
                .matches_workload(&policy.namespace, w, cluster.namespace_labels(&w.namespace))
        }),
        PeerKind::Pods { .. } => cluster.workloads.iter().any(|w| {
            peer.kind.matches_pod(
                &policy.namespace,
                &w.namespace,
                cluster.namespace_labels(&w.namespace),
                &w.labels,
            )
        }),
    }
}

/// NP1032: a subject with no pod, or a rule whose peers match nothing of the input.
fn never_matching(cluster: &Cluster, admin: &[&Policy], out: &mut Vec<Diagnostic>) {
    if cluster.workloads.is_empty() {
        return;
    }
    for p in admin {
        if selected(cluster, p).next().is_none() {
            out.push(
                Diagnostic::new(
                    "NP1032",
                    format!(
                        "{} {} selects no pod of the input: none of its rules can match",
                        p.kind.as_str(),
                        p.name
                    ),
                )
                .at(&p.pod_selector_loc)
                .resource(resource(p)),
            );
            continue;
        }
        for dir in [Direction::Ingress, Direction::Egress] {
            for rule in p.rules(dir).unwrap_or(&[]) {
                let Some(peers) = &rule.peers else { continue };
                if peers.iter().any(|peer| matches_something(cluster, p, peer)) {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        "NP1032",
                        format!(
                            "{} {} {} can never match: no pod of the input is one of its peers{}",
                            p.kind.as_str(),
                            p.name,
                            label(dir, rule),
                            if peers.iter().any(|q| !matches!(q.kind, PeerKind::Pods { .. })) {
                                ", and netplay cannot name the nodes or domains it lists"
                            } else {
                                ""
                            }
                        ),
                    )
                    .at(&rule.loc)
                    .resource(resource(p)),
                );
            }
        }
    }
}
