//! Exposure: what pods that are not in the input — a workload deployed tomorrow, a
//! namespace created next week — could reach from each workload, or reach it from, by
//! the namespaces and labels its policies name (`netplay connlist --exposure`).
//!
//! For each workload and direction, every peer its policies name (of every tier) is a
//! question — `{pods with app=x in namespaces with team=pay}` — and so is `{any
//! namespace}`, a pod with no labels in a namespace with none. Each is answered for a
//! representative pod: the labels the peer requires and nothing else, in the namespace
//! it names (with its labels, when the input holds it) or in a namespace of its own with
//! the labels the namespace selector requires. The answer is what the workload's own
//! policies allow that pod, walked through every tier as `explain` walks them; the
//! future pod's own policies may restrict it further. Addresses outside the cluster are
//! not asked about: the connection list already shows them, range by range.

use super::explain::{explain_one_side, End};
use super::trace::TraceStep;
use crate::conn::ConnSet;
use crate::model::{Cluster, Labels, Namespace, Workload, NAMESPACE_NAME_LABEL};
use crate::output::{render_connlist, render_diff, ConnLine, DiffEntry, Format};
use crate::policy::{Direction, Operator, PeerKind, Selector};
use serde::Serialize;
use std::fmt::{self, Write};

/// The namespaces a peer speaks of.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Namespaces {
    Any,
    /// One namespace by name (a policy's own, or `kubernetes.io/metadata.name: X`).
    Named(String),
    /// The namespaces a selector picks.
    Selected(Selector),
}

/// A peer as the policies name it: namespaces and the pods in them (`None`: any pod).
#[derive(Clone, Debug, PartialEq, Eq)]
struct AbstractPeer {
    namespaces: Namespaces,
    pods: Option<Selector>,
}

impl AbstractPeer {
    /// The namespace part in words, also the name of the representative namespace when
    /// the peer names none.
    fn namespaces_text(&self) -> String {
        match &self.namespaces {
            Namespaces::Any => "any namespace".to_string(),
            Namespaces::Named(ns) => format!("namespace {ns}"),
            Namespaces::Selected(sel) => format!("namespaces with {sel}"),
        }
    }
}

impl fmt::Display for AbstractPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.namespaces, &self.pods) {
            (Namespaces::Any, None) => f.write_str("{any namespace}"),
            (_, None) => write!(f, "{{any pod in {}}}", self.namespaces_text()),
            (_, Some(sel)) => write!(f, "{{pods with {sel} in {}}}", self.namespaces_text()),
        }
    }
}

/// One exposure: a workload and a peer that may not exist yet, with what the workload's
/// policies allow between them and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Exposure {
    /// The workload, as connlist names it.
    pub workload: String,
    /// `egress` (the workload may connect to the peer) or `ingress` (the peer may
    /// connect to the workload).
    pub direction: &'static str,
    /// The peer in words: `{any pod in namespaces with team=pay}`.
    pub peer: String,
    /// The connection as connlist prints it.
    pub conn: String,
    /// How the workload's side decides it, tier by tier (`explain`'s walk).
    pub trace: Vec<TraceStep>,
}

impl Exposure {
    /// The exposure as a connection line: `workload => peer` for egress, `peer =>
    /// workload` for ingress.
    pub fn line(&self) -> ConnLine {
        let (src, dst) = if self.is_egress() {
            (self.workload.clone(), self.peer.clone())
        } else {
            (self.peer.clone(), self.workload.clone())
        };
        ConnLine {
            src,
            dst,
            conn: self.conn.clone(),
            l7: None,
        }
    }

    /// Whether the workload connects to the peer (egress), rather than the peer to it.
    pub fn is_egress(&self) -> bool {
        self.direction == Direction::Egress.as_str()
    }

    /// How the exposure is decided, in words: the walk through the tiers, or that no
    /// policy selects the workload in that direction.
    pub fn why(&self) -> String {
        match self.trace.as_slice() {
            [_] | [] => format!("no policy selects {} for {}", self.workload, self.direction),
            steps => steps.iter().map(TraceStep::text).collect::<Vec<_>>().join(" → "),
        }
    }
}

/// Every exposure of every workload: egress first, then ingress, each by workload and
/// peer. Left out: peers the workload's policies allow nothing with; peers that get
/// nothing more than `{any namespace}` does; peers a workload of the input already
/// stands for (the same namespace and labels: the connection list shows it); peers no
/// pod can match (a selector that contradicts itself).
pub fn exposure(cluster: &Cluster) -> Vec<Exposure> {
    // The peers of every workload, then one copy of the cluster with a namespace for
    // each representative that needs one (their names cannot be real namespace names).
    let dirs = [Direction::Egress, Direction::Ingress];
    let asked: Vec<(Direction, &Workload, Vec<AbstractPeer>)> = dirs
        .iter()
        .flat_map(|&dir| cluster.workloads.iter().map(move |w| (dir, w)))
        .map(|(dir, w)| (dir, w, named_peers(cluster, w, dir)))
        .collect();
    let mut scoped = cluster.clone();
    let mut reps: Vec<(String, Option<Workload>)> = Vec::new();
    for (_, _, peers) in &asked {
        for peer in peers {
            let key = peer.to_string();
            if reps.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let pod = representative(&mut scoped, peer);
            reps.push((key, pod));
        }
    }
    let mut out = Vec::new();
    for (dir, w, peers) in asked {
        // What a pod of any namespace gets; a peer that gets no more adds nothing.
        let mut anyone: Option<ConnSet> = None;
        for peer in peers {
            let text = peer.to_string();
            let Some(Some(pod)) = reps.iter().find(|(k, _)| *k == text).map(|(_, p)| p) else {
                continue;
            };
            // A workload of the input stands for this pod already (the same namespace and
            // labels): the connection list shows what it gets.
            if cluster
                .workloads
                .iter()
                .any(|x| x.namespace == pod.namespace && x.labels == pod.labels)
            {
                continue;
            }
            let end = End::Workload(pod);
            let dst = match dir {
                Direction::Egress => end,
                Direction::Ingress => End::Workload(w),
            };
            let side = explain_one_side(&scoped, dir, w, end, dst, None);
            let is_anyone = peer.namespaces == Namespaces::Any && peer.pods.is_none();
            if side.allowed.is_empty()
                || (!is_anyone && anyone.as_ref().is_some_and(|a| side.allowed.difference(a).is_empty()))
            {
                continue;
            }
            if is_anyone {
                anyone = Some(side.allowed.clone());
            }
            out.push(Exposure {
                workload: w.endpoint_name(),
                direction: dir.as_str(),
                peer: text,
                conn: side.allowed.to_string(),
                trace: side.trace(),
            });
        }
    }
    out
}

/// The peers the policies selecting `w` name for `dir` (every tier, every action), and
/// `{any namespace}`, ordered by their text.
fn named_peers(cluster: &Cluster, w: &Workload, dir: Direction) -> Vec<AbstractPeer> {
    let mut peers = vec![AbstractPeer {
        namespaces: Namespaces::Any,
        pods: None,
    }];
    let implicit = Labels::from([(NAMESPACE_NAME_LABEL.to_string(), w.namespace.clone())]);
    let ns_labels = match cluster.namespace(&w.namespace) {
        Some(ns) => &ns.labels,
        None => &implicit,
    };
    for policy in cluster.policies.iter().filter(|p| p.selects_workload(w, ns_labels)) {
        for rule in policy.rules(dir).unwrap_or(&[]) {
            for peer in rule.peers.iter().flatten() {
                // Calico's entity rules are not asked about one by one (their selector
                // language has no representative pod yet); `{any namespace}` still is.
                let PeerKind::Pods { pods, namespaces } = &peer.kind else {
                    continue;
                };
                let namespaces = match namespaces {
                    None => Namespaces::Named(policy.namespace.clone()),
                    Some(sel) if sel.is_empty() => Namespaces::Any,
                    Some(sel) => match named_namespace(sel) {
                        Some(name) => Namespaces::Named(name),
                        None => Namespaces::Selected(sel.clone()),
                    },
                };
                let peer = AbstractPeer {
                    namespaces,
                    pods: pods.clone().filter(|s| !s.is_empty()),
                };
                if !peers.contains(&peer) {
                    peers.push(peer);
                }
            }
        }
    }
    peers.sort_by_cached_key(ToString::to_string);
    // `{any namespace}` first: the others are compared with what it gets.
    crate::sorting::sort_by_key(&mut peers, |p| !(p.namespaces == Namespaces::Any && p.pods.is_none()));
    peers
}

/// A selector that names exactly one namespace: `kubernetes.io/metadata.name: X` alone.
fn named_namespace(sel: &Selector) -> Option<String> {
    match (sel.match_labels.as_slice(), sel.requirements.as_slice()) {
        ([(k, v)], []) if k == NAMESPACE_NAME_LABEL => Some(v.clone()),
        ([], [r]) if r.key == NAMESPACE_NAME_LABEL && r.operator == Operator::In && r.values.len() == 1 => {
            r.values.first().cloned()
        }
        _ => None,
    }
}

/// The fewest labels a selector requires: its matchLabels, the first value of each In,
/// an empty value for each Exists; NotIn and DoesNotExist hold without the label.
fn required_labels(sel: &Selector) -> Labels {
    let mut labels: Labels = sel.match_labels.iter().cloned().collect();
    for r in &sel.requirements {
        match r.operator {
            Operator::In => {
                if let Some(v) = r.values.first() {
                    labels.entry(r.key.clone()).or_insert_with(|| v.clone());
                }
            }
            Operator::Exists => {
                labels.entry(r.key.clone()).or_default();
            }
            Operator::NotIn | Operator::DoesNotExist => {}
        }
    }
    labels
}

/// A pod with only the labels `peer` requires, in the namespace it names, or in a
/// namespace of its own (added to `scoped`) with only the labels it requires; `None` when
/// no pod can match the peer.
fn representative(scoped: &mut Cluster, peer: &AbstractPeer) -> Option<Workload> {
    let namespace = match &peer.namespaces {
        Namespaces::Named(name) => name.clone(),
        Namespaces::Any | Namespaces::Selected(_) => {
            let mut labels = match &peer.namespaces {
                Namespaces::Selected(sel) => required_labels(sel),
                _ => Labels::new(),
            };
            // A selector may require the name label itself (`In` several names).
            let name = match labels.get(NAMESPACE_NAME_LABEL) {
                Some(name) => name.clone(),
                None => format!("{{{}}}", peer.namespaces_text()),
            };
            labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
            if let Namespaces::Selected(sel) = &peer.namespaces {
                let actual = scoped.namespace(&name).map_or(&labels, |n| &n.labels);
                if !sel.matches(actual) {
                    return None;
                }
            }
            name
        }
    };
    if scoped.namespace(&namespace).is_none() {
        let labels = Labels::from([(NAMESPACE_NAME_LABEL.to_string(), namespace.clone())]);
        let labels = match &peer.namespaces {
            Namespaces::Selected(sel) => {
                let mut l = required_labels(sel);
                l.extend(labels);
                l
            }
            _ => labels,
        };
        // Namespaces stay sorted by name: `Cluster::namespace` searches them.
        if let Err(at) = scoped.namespaces.binary_search_by(|n| n.name.as_str().cmp(&namespace)) {
            scoped.namespaces.insert(
                at,
                Namespace {
                    name: namespace.clone(),
                    labels,
                    loc: None,
                },
            );
        }
    }
    let labels = peer.pods.as_ref().map(required_labels).unwrap_or_default();
    if peer.pods.as_ref().is_some_and(|sel| !sel.matches(&labels)) {
        return None;
    }
    Some(Workload::stand_in(&namespace, "{new pod}", "Pod", labels))
}

/// The connection list followed by the exposure. Text: the list, then `Exposure:` and a
/// line per exposure with its walk as a `  #` comment; JSON: `{"connections": [...],
/// "exposure": [...]}`; CSV, Markdown and dot: the exposure as more rows (edges) after the
/// connections, its peers as nodes of their own.
pub fn render_with_connlist(lines: &[ConnLine], exposures: &[Exposure], format: Format) -> String {
    match format {
        Format::Txt => {
            let mut out = render_connlist(lines, format);
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&render_text(exposures));
            out
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                connections: &'a [ConnLine],
                exposure: &'a [Exposure],
            }
            let doc = Doc {
                connections: lines,
                exposure: exposures,
            };
            let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
            out.push('\n');
            out
        }
        Format::Csv | Format::Md | Format::Dot => {
            let mut all = lines.to_vec();
            all.extend(exposures.iter().map(Exposure::line));
            render_connlist(&all, format)
        }
    }
}

/// `Exposure:` and a line per exposure, each followed by how it is decided.
pub fn render_text(exposures: &[Exposure]) -> String {
    let mut out = String::from("Exposure:\n");
    for e in exposures {
        let l = e.line();
        let _ = writeln!(out, "{} => {} : {}", l.src, l.dst, l.conn);
        let _ = writeln!(out, "  # {}", e.why());
    }
    out
}

/// A connection diff followed by the exposure's. Text: the diff, then `Exposure:` and the
/// exposure lines that differ (`-`/`+`); JSON: `{"differences": [...], "exposure":
/// [...]}`; CSV and Markdown: the exposure's rows after the connections'.
pub fn render_diff_with_exposure(entries: &[DiffEntry], exposure: &[DiffEntry], format: Format) -> String {
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                differences: &'a [DiffEntry],
                exposure: &'a [DiffEntry],
            }
            let mut out = serde_json::to_string_pretty(&Doc {
                differences: entries,
                exposure,
            })
            .unwrap_or_default();
            out.push('\n');
            out
        }
        Format::Txt | Format::Dot => {
            let mut out = render_diff(entries, format);
            if !exposure.is_empty() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str("Exposure:\n");
                out.push_str(&render_diff(exposure, format));
            }
            out
        }
        Format::Csv | Format::Md => {
            let mut all = entries.to_vec();
            all.extend_from_slice(exposure);
            render_diff(&all, format)
        }
    }
}
