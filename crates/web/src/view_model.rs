//! What the views show, computed from core's results: the endpoints of the matrix, the
//! graph's nodes and edges, and what changed since the checkpoint. Pure functions, so
//! they are tested natively; no policy semantics here (those are core's).

use netplay_core::incremental::{Evaluation, Evaluator, Pending};
use netplay_core::output::{diff, ConnLine, DiffEntry};
use netplay_core::present::{self, EndpointKind};
use netplay_core::{Diagnostic, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

/// Everything core computed for the current text.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Shared with core's kept evaluation, which updates it after the next edit.
    pub scenario: Arc<Scenario>,
    pub lines: Vec<ConnLine>,
    pub diagnostics: Vec<Diagnostic>,
    /// How long the evaluation took, in milliseconds (0 when not measured).
    pub eval_ms: f64,
    /// Whether core updated the previous evaluation (one policy read again) instead of
    /// evaluating everything.
    pub incremental: bool,
    /// Distinct for every evaluation: views that read more than the connections (the
    /// mesh view reads VirtualService weights) must refresh even when they are equal.
    pub generation: u64,
}

/// Two analyses are the same when they come from the same evaluation.
impl PartialEq for Analysis {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
    }
}

static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

// Kept between evaluations: after an edit core re-reads only what changed.
thread_local! {
    static KEPT: std::cell::RefCell<Evaluator> = Default::default();
}

/// An evaluation taken in steps (core's [`Step`]), so that the page can draw and take
/// input between them.
pub enum Step {
    Done(Analysis),
    Pending(Pending),
}

impl Analysis {
    pub fn new(files: &[netplay_core::SourceFile]) -> Self {
        Self::of(KEPT.with(|kept| kept.borrow_mut().evaluate(files)))
    }

    /// The first step of evaluating `files` (the whole evaluation after most edits).
    pub fn begin(files: &[netplay_core::SourceFile]) -> Step {
        Self::step(KEPT.with(|kept| kept.borrow_mut().begin(files)))
    }

    /// The next step of an evaluation begun with [`Analysis::begin`].
    pub fn resume(pending: Pending) -> Step {
        Self::step(KEPT.with(|kept| kept.borrow_mut().resume(pending)))
    }

    fn step(step: netplay_core::incremental::Step) -> Step {
        match step {
            netplay_core::incremental::Step::Done(evaluation) => Step::Done(Self::of(evaluation)),
            netplay_core::incremental::Step::Pending(pending) => Step::Pending(pending),
        }
    }

    fn of(evaluation: Evaluation) -> Self {
        let generation = GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Analysis {
            scenario: evaluation.scenario,
            lines: evaluation.lines,
            diagnostics: evaluation.diagnostics,
            eval_ms: 0.0,
            incremental: evaluation.incremental,
            generation,
        }
    }
}

/// How a pair's connection differs from the checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    Added,
    Removed,
    Changed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Workload {
        namespace: String,
        name: String,
        kind: String,
    },
    External,
    IngressController,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The endpoint name, as in connlist (`ns/name[Kind]`, `a-b[External]`, ...).
    pub id: String,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub src: String,
    pub dst: String,
    /// The connection now (`None` for a pair removed since the checkpoint).
    pub conn: Option<String>,
    /// The connection at the checkpoint, when it differs.
    pub old: Option<String>,
    pub change: Change,
}

/// Nodes (workloads sorted by namespace and name, then external ranges, then the
/// ingress controller) and edges (current connections plus removed ones).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GraphModel {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// Compares names the way people count: `api-2` before `api-10` (runs of digits compare
/// as numbers, the rest as text).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a, b);
    loop {
        match (x.chars().next(), y.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let n = x.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(x.len());
                let m = y.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(y.len());
                let (dx, dy) = (x[..n].trim_start_matches('0'), y[..m].trim_start_matches('0'));
                let ord = dx.len().cmp(&dy.len()).then_with(|| dx.cmp(dy));
                if ord != Ordering::Equal {
                    return ord;
                }
                (x, y) = (&x[n..], &y[m..]);
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                (x, y) = (&x[c.len_utf8()..], &y[d.len_utf8()..]);
            }
        }
    }
}

/// Every endpoint to show: all workloads (also those with no connection), then the
/// external ranges and the ingress controller that appear in the lines (now or at the
/// checkpoint).
pub fn endpoints(analysis: &Analysis, checkpoint: Option<&[ConnLine]>) -> Vec<Node> {
    let mut nodes: Vec<Node> = analysis
        .scenario
        .cluster
        .workloads
        .iter()
        .map(|w| Node {
            id: w.endpoint_name(),
            kind: NodeKind::Workload {
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                kind: w.kind.clone(),
            },
        })
        .collect();
    // Natural order by namespace, then name: api-2 before api-10.
    netplay_core::sorting::sort_by(&mut nodes, |a, b| match (&a.kind, &b.kind) {
        (
            NodeKind::Workload {
                namespace: na,
                name: a_name,
                ..
            },
            NodeKind::Workload {
                namespace: nb,
                name: b_name,
                ..
            },
        ) => natural_cmp(na, nb)
            .then_with(|| natural_cmp(a_name, b_name))
            .then_with(|| a.id.cmp(&b.id)),
        _ => a.id.cmp(&b.id),
    });
    // The other endpoints are told by their names (core's `endpoint_kind`), with no look-up
    // among the workloads: at 1,000 workloads the look-ups of every line's two ends were
    // a tenth of a redraw.
    let kind = |e: &String| present::endpoint_kind(e);
    let mut others = BTreeSet::new();
    for l in analysis.lines.iter().chain(checkpoint.unwrap_or_default()) {
        for e in [&l.src, &l.dst] {
            if kind(e) != EndpointKind::Workload && !others.contains(e) {
                others.insert(e.clone());
            }
        }
    }
    let (ingress, external): (Vec<String>, Vec<String>) = others
        .into_iter()
        .partition(|e| kind(e) == EndpointKind::IngressController);
    nodes.extend(
        external
            .into_iter()
            .filter(|e| kind(e) == EndpointKind::External)
            .map(|id| Node {
                id,
                kind: NodeKind::External,
            }),
    );
    nodes.extend(ingress.into_iter().map(|id| Node {
        id,
        kind: NodeKind::IngressController,
    }));
    nodes
}

/// The changes since the checkpoint, by pair.
pub fn changes(analysis: &Analysis, checkpoint: Option<&[ConnLine]>) -> BTreeMap<(String, String), DiffEntry> {
    let Some(old) = checkpoint else { return BTreeMap::new() };
    diff(old, &analysis.lines)
        .into_iter()
        .map(|d| ((d.src.clone(), d.dst.clone()), d))
        .collect()
}

pub fn graph(analysis: &Analysis, checkpoint: Option<&[ConnLine]>) -> GraphModel {
    let nodes = endpoints(analysis, checkpoint);
    let changes = changes(analysis, checkpoint);
    let mut edges: Vec<Edge> = analysis
        .lines
        .iter()
        .map(|l| {
            let key = (l.src.clone(), l.dst.clone());
            let (change, old) = match changes.get(&key) {
                Some(d) if d.kind() == present::Change::Added => (Change::Added, None),
                Some(d) => (Change::Changed, d.old.clone()),
                None => (Change::Same, None),
            };
            Edge {
                src: l.src.clone(),
                dst: l.dst.clone(),
                conn: Some(l.conn.clone()),
                old,
                change,
            }
        })
        .collect();
    edges.extend(
        changes
            .values()
            .filter(|d| d.kind() == present::Change::Removed)
            .map(|d| Edge {
                src: d.src.clone(),
                dst: d.dst.clone(),
                conn: None,
                old: d.old.clone(),
                change: Change::Removed,
            }),
    );
    GraphModel { nodes, edges }
}

/// The matrix summarised by group (core's `present::group_matrix`), read from the
/// connection lines and their changes since the checkpoint; the same summary as the one of
/// every pair's cell, without building a cell per pair. `nodes` are [`endpoints`].
pub fn group_summary(analysis: &Analysis, checkpoint: &Rc<Vec<ConnLine>>, nodes: &[Node]) -> present::GroupMatrix {
    let changes = diff_since(analysis, checkpoint);
    // Both lists are in pair order (connlist's, and the diff's): one walk marks the
    // changed lines.
    let mut next = changes.iter().peekable();
    let now = analysis.lines.iter().map(move |l| {
        let pair = (l.src.as_str(), l.dst.as_str());
        while next.next_if(|d| (d.src.as_str(), d.dst.as_str()) < pair).is_some() {}
        let changed = next.next_if(|d| (d.src.as_str(), d.dst.as_str()) == pair).is_some();
        (l.src.as_str(), l.dst.as_str(), Some(l.conn.as_str()), changed)
    });
    let removed = changes
        .iter()
        .filter(|d| d.kind() == present::Change::Removed)
        .map(|d| (d.src.as_str(), d.dst.as_str(), None, true));
    present::group_matrix(nodes.iter().map(|n| n.id.as_str()), now.chain(removed))
}

/// A cell of the matrix: the connection, and how it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub conn: Option<String>,
    pub old: Option<String>,
    pub change: Change,
}

/// The matrix as a map from (src, dst) to cell; absent pairs have no connection and no
/// change.
pub fn matrix(analysis: &Analysis, checkpoint: Option<&[ConnLine]>) -> BTreeMap<(String, String), Cell> {
    cells(graph(analysis, checkpoint).edges)
}

/// The matrix's cells of a graph's edges.
pub fn cells(edges: Vec<Edge>) -> BTreeMap<(String, String), Cell> {
    edges
        .into_iter()
        .map(|e| {
            (
                (e.src, e.dst),
                Cell {
                    conn: e.conn,
                    old: e.old,
                    change: e.change,
                },
            )
        })
        .collect()
}

/// One hop of a simulated mesh request, drawn over the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct PathHop {
    pub src: String,
    pub dst: String,
    /// e.g. `90% mTLS` or `100% plaintext`.
    pub label: String,
    /// The hop is encrypted (mutual TLS, or TLS from a DestinationRule): a padlock.
    pub secure: bool,
}

/// The hops of a simulated request: from the source workload to every workload that
/// receives it, with its share and what the connection carries.
pub fn mesh_path(source: &str, outcome: &netplay_core::mesh::Outcome) -> Vec<PathHop> {
    outcome
        .destinations
        .iter()
        .filter(|d| d.workload != source)
        .map(|d| {
            let share = d.share * 100.0;
            let share = if (share - share.round()).abs() < 0.05 {
                format!("{share:.0}%")
            } else {
                format!("{share:.1}%")
            };
            let transport = present::delivery_transport(d);
            let tls = if transport.is_empty() {
                String::new()
            } else {
                format!(" {transport}")
            };
            let secure = present::delivery_encrypted(d);
            PathHop {
                src: source.to_string(),
                dst: d.workload.clone(),
                label: format!("{share}{tls}"),
                secure,
            }
        })
        .collect()
}

/// Whether a connection allows the probed protocol and port (core decides).
pub fn probe_allows(conn: Option<&str>, probe: (netplay_core::Protocol, u16)) -> bool {
    conn.is_some_and(|c| present::conn_allows(c, probe))
}

/// A diff: the evaluation's generation, the checkpoint, and their changes.
type Diffed = (u64, Rc<Vec<ConnLine>>, Rc<Vec<DiffEntry>>);

thread_local! {
    /// The last diff of an evaluation with its checkpoint: the status bar's counts and the
    /// matrix's summary read the same one (a diff of 18,000 lines costs milliseconds).
    static LAST_DIFF: std::cell::RefCell<Option<Diffed>> = const { std::cell::RefCell::new(None) };
}

/// The changes of `analysis` since `checkpoint` (core's `output::diff`), computed once
/// per evaluation and checkpoint.
pub fn diff_since(analysis: &Analysis, checkpoint: &Rc<Vec<ConnLine>>) -> Rc<Vec<DiffEntry>> {
    LAST_DIFF.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((generation, c, d)) = &*last {
            if *generation == analysis.generation && Rc::ptr_eq(c, checkpoint) {
                return d.clone();
            }
        }
        let d = Rc::new(diff(checkpoint, &analysis.lines));
        *last = Some((analysis.generation, checkpoint.clone(), d.clone()));
        d
    })
}

/// Counts of (added, removed, changed) pairs since the checkpoint, from the analysis.
pub fn change_counts_since(analysis: &Analysis, checkpoint: &Rc<Vec<ConnLine>>) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for d in diff_since(analysis, checkpoint).iter() {
        match d.kind() {
            present::Change::Added => counts.0 += 1,
            present::Change::Removed => counts.1 += 1,
            present::Change::Changed => counts.2 += 1,
        }
    }
    counts
}

/// Counts of (added, removed, changed) pairs since the checkpoint.
pub fn change_counts(model: &GraphModel) -> (usize, usize, usize) {
    let count = |c: Change| model.edges.iter().filter(|e| e.change == c).count();
    (count(Change::Added), count(Change::Removed), count(Change::Changed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netplay_core::SourceFile;

    const TWO_PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: b}}\nspec: {containers: [{name: c, image: i}]}\n";
    const DENY_B: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {matchLabels: {app: b}}}\n";

    #[test]
    fn natural_order() {
        let mut v = vec!["api-11", "api-16", "api-1", "api-6", "api-01b", "b"];
        netplay_core::sorting::sort_by(&mut v, |a, b| natural_cmp(a, b));
        assert_eq!(v, ["api-1", "api-01b", "api-6", "api-11", "api-16", "b"]);
    }

    #[test]
    fn mesh_path_labels_shares_and_tls() {
        use netplay_core::mesh::{Delivery, Outcome};
        let d = |w: &str, share: f64, tls: Option<&str>| Delivery {
            workload: w.into(),
            subset: None,
            share,
            tls: tls.map(str::to_string),
        };
        let o = Outcome {
            status: 200,
            destinations: vec![
                d("a/v1[Deployment]", 0.9, Some("mTLS")),
                d("a/v2[Deployment]", 0.1, Some("plaintext")),
            ],
            outcomes: Vec::new(),
            trace: Vec::new(),
        };
        let hops = mesh_path("a/client[Pod]", &o);
        let labels: Vec<&str> = hops.iter().map(|h| h.label.as_str()).collect();
        assert_eq!(labels, ["90% mTLS", "10% plaintext"]);
        assert_eq!(hops.iter().map(|h| h.secure).collect::<Vec<_>>(), [true, false]);
        assert!(hops.iter().all(|h| h.src == "a/client[Pod]"));
    }

    /// The summary by namespace read from the lines is the summary of every pair's cell
    /// (what the matrix summarised before it skipped building the cells), in both
    /// directions of a change: pairs removed, added and changed since the checkpoint.
    #[test]
    fn the_summary_from_the_lines_is_the_summary_of_the_cells() {
        let other = "apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: y, labels: {app: c}}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\n";
        let web = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: y}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n    ports: [{port: 80}]\n";
        let files = |extra: &[(&str, &str)]| {
            let mut f = vec![SourceFile::new("a.yaml", TWO_PODS), SourceFile::new("c.yaml", other)];
            f.extend(extra.iter().map(|(n, t)| SourceFile::new(*n, *t)));
            Analysis::new(&f)
        };
        let plain = files(&[]);
        let denied = files(&[("p.yaml", DENY_B), ("w.yaml", web)]);
        for (now, then) in [(&denied, &plain), (&plain, &denied)] {
            let checkpoint = Rc::new(then.lines.clone());
            let nodes = endpoints(now, Some(&then.lines));
            let of_cells = present::group_matrix(
                nodes.iter().map(|n| n.id.as_str()),
                matrix(now, Some(&then.lines))
                    .iter()
                    .map(|((s, d), c)| (s.as_str(), d.as_str(), c.conn.as_deref(), c.change != Change::Same)),
            );
            let summary = group_summary(now, &checkpoint, &nodes);
            assert!(Rc::ptr_eq(&diff_since(now, &checkpoint), &diff_since(now, &checkpoint)));
            assert!(summary.cells.iter().any(|(_, c)| c.changed > 0), "{summary:?}");
            assert_eq!(summary, of_cells);
        }
    }

    #[test]
    fn graph_marks_removed_and_added_pairs() {
        let before = Analysis::new(&[SourceFile::new("a.yaml", TWO_PODS)]);
        let after = Analysis::new(&[SourceFile::new("a.yaml", TWO_PODS), SourceFile::new("p.yaml", DENY_B)]);
        let g = graph(&after, Some(&before.lines));
        let removed: Vec<_> = g
            .edges
            .iter()
            .filter(|e| e.change == Change::Removed)
            .map(|e| (&e.src[..], &e.dst[..]))
            .collect();
        assert!(removed.contains(&("x/a[Pod]", "x/b[Pod]")), "{removed:?}");
        assert!(g.edges.iter().all(|e| e.change != Change::Added));
        assert_eq!(g.nodes.len(), 3, "two pods and the external range: {:?}", g.nodes);
        let m = matrix(&after, Some(&before.lines));
        assert_eq!(
            m[&("x/b[Pod]".to_string(), "x/a[Pod]".to_string())].change,
            Change::Same
        );
        // Without a checkpoint nothing is marked.
        assert!(graph(&after, None).edges.iter().all(|e| e.change == Change::Same));
    }
}
