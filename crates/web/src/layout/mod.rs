//! Where the graph's boxes and lines go: a deterministic layout of a [`GraphModel`].
//!
//! - [`placement`]: namespaces are groups, placed in columns by the direction of their
//!   traffic (a namespace that only sends is left of those it reaches), workloads stacked
//!   inside; a collapsed namespace is one box, and the external ranges are one "outside
//!   the cluster" box unless expanded. Edges between collapsed things are aggregated with
//!   their count.
//! - [`routing`]: orthogonal edges that go around boxes through the gaps between them
//!   (a shortest path with few bends on a grid of free channels), nudged apart where they
//!   share a channel; very large pictures fall back to curves.
//! - [`labels`]: connection labels where they overlap no box, badge or other label.
//! - [`focus`]: one workload's neighbourhood: who reaches it on the left, whom it reaches
//!   on the right.
//! - [`viewbox`]: zoom and pan maths.
//!
//! Pure geometry and text: no web APIs, so it is tested natively.
//!
//! The steps of a layout (placing columns, routing, the A* search of one route, nudging,
//! labels) are functions that are never inlined (`#[inline(never)]`). The layout loops,
//! so V8 recompiles it with TurboFan as soon as the first graph is drawn, and it does so
//! a whole wasm function at a time: inlined into one 35 KB function, that took 40–65 ms
//! of a core while the first frame was drawn; now it recompiles the route search alone,
//! in ≈ 3 ms (docs/performance.md, "The first frame: the layout recompiled whole").

pub mod focus;
pub mod geometry;
pub mod labels;
pub mod placement;
pub mod routing;
pub mod viewbox;

pub use geometry::{num, truncate, Point, Rect};
pub use placement::{layout, LayoutOptions};
pub use viewbox::ViewBox;

use crate::view_model::Change;
use std::collections::BTreeMap;

/// Width of a workload node.
pub const NODE_W: f64 = 168.0;
/// Width of an external range or ingress controller node (addresses are long).
pub const SIDE_W: f64 = 210.0;
/// Height of every node.
pub const NODE_H: f64 = 44.0;
/// Height of a group's title strip (the namespace name and its collapse button).
pub const GROUP_HEADER: f64 = 30.0;
/// Empty space around the picture.
pub const MARGIN: f64 = 24.0;
/// Average glyph width of the node label font (12px sans-serif), for truncation.
pub const LABEL_CHAR_W: f64 = 7.0;
/// Average glyph width of the group title font (13px bold), for truncation.
pub const GROUP_CHAR_W: f64 = 8.0;

/// What a node stands for, for styling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    Workload,
    External,
    Ingress,
    /// A collapsed namespace: its workloads in one box.
    Namespace,
    /// The external ranges in one box.
    Externals,
}

impl NodeRole {
    pub fn class(self) -> &'static str {
        match self {
            NodeRole::Workload => "node-workload",
            NodeRole::External => "node-external",
            NodeRole::Ingress => "node-ingress",
            NodeRole::Namespace => "node-namespace",
            NodeRole::Externals => "node-externals",
        }
    }

    /// Whether the node stands for several endpoints (a collapsed group).
    pub fn is_group(self) -> bool {
        matches!(self, NodeRole::Namespace | NodeRole::Externals)
    }
}

/// The id of the box of a collapsed namespace.
pub fn namespace_node_id(namespace: &str) -> String {
    format!("namespace:{namespace}")
}

/// The id of the box holding every external range, and the group key that collapses it.
pub const EXTERNALS_ID: &str = "external:*";

#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    /// The endpoint name (`ns/name[Kind]`, `a-b[External]`, `{ingress-controller}`), or
    /// for a collapsed group `namespace:NAME` / [`EXTERNALS_ID`].
    pub id: String,
    pub role: NodeRole,
    /// The namespace whose (expanded) group holds it, or that it stands for when collapsed.
    pub namespace: Option<String>,
    pub rect: Rect,
    /// First line: the name, truncated with an ellipsis to fit the box.
    pub label: String,
    /// Second line, smaller: the kind, or how many endpoints a group holds.
    pub sublabel: String,
    /// The untruncated description, for a tooltip (`<title>`).
    pub title: String,
    /// The model endpoints it stands for (one, unless a collapsed group).
    pub members: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupBox {
    pub namespace: String,
    pub rect: Rect,
    /// The namespace name, truncated to fit the box.
    pub label: String,
    /// Indices into [`Layout::nodes`] of the workloads inside.
    pub nodes: Vec<usize>,
}

impl GroupBox {
    /// The title strip (what edges must not cross).
    pub fn header(&self) -> Rect {
        Rect::new(self.rect.x, self.rect.y, self.rect.w, GROUP_HEADER)
    }
}

/// One drawn arrow: one connection, or several aggregated between collapsed groups.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgePath {
    /// Indices into `GraphModel::edges` of the connections it stands for.
    pub edges: Vec<usize>,
    /// Indices into [`Layout::nodes`].
    pub src: usize,
    pub dst: usize,
    /// An orthogonal polyline, or for a curve its start, control point and end.
    pub points: Vec<Point>,
    pub curved: bool,
    /// Where a change badge goes.
    pub mid: Point,
    /// Where the label goes (its centre) when one fits; see [`labels`].
    pub label_at: Option<Point>,
    /// The box the label takes.
    pub label_rect: Option<Rect>,
    /// Whether the opposite arrow (dst → src) is drawn too.
    pub has_reverse: bool,
}

impl EdgePath {
    /// The single connection it stands for, when not an aggregate.
    pub fn single(&self) -> Option<usize> {
        match self.edges.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    pub fn start(&self) -> Point {
        self.points.first().copied().unwrap_or_default()
    }

    pub fn end(&self) -> Point {
        self.points.last().copied().unwrap_or_default()
    }

    /// The SVG path data: a quadratic curve, or the polyline with rounded corners.
    pub fn d(&self) -> String {
        let p = &self.points;
        if p.len() < 2 {
            return String::new();
        }
        if self.curved && p.len() == 3 {
            return format!(
                "M{} {} Q{} {} {} {}",
                num(p[0].x),
                num(p[0].y),
                num(p[1].x),
                num(p[1].y),
                num(p[2].x),
                num(p[2].y)
            );
        }
        let mut d = format!("M{} {}", num(p[0].x), num(p[0].y));
        for i in 1..p.len() {
            let (a, b) = (p[i - 1], p[i]);
            match p.get(i + 1) {
                Some(&c) => {
                    // Round the corner at b.
                    let r = 6.0f64.min(a.dist(b) / 2.0).min(b.dist(c) / 2.0);
                    let into = towards(b, a, r);
                    let out = towards(b, c, r);
                    d.push_str(&format!(
                        " L{} {} Q{} {} {} {}",
                        num(into.x),
                        num(into.y),
                        num(b.x),
                        num(b.y),
                        num(out.x),
                        num(out.y)
                    ));
                }
                None => d.push_str(&format!(" L{} {}", num(b.x), num(b.y))),
            }
        }
        d
    }
}

/// The point `r` from `from` towards `to`.
fn towards(from: Point, to: Point, r: f64) -> Point {
    let len = from.dist(to);
    if len < 1e-9 {
        return from;
    }
    Point::new(from.x + (to.x - from.x) * r / len, from.y + (to.y - from.y) * r / len)
}

/// The placed graph.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Layout {
    pub nodes: Vec<NodeBox>,
    pub groups: Vec<GroupBox>,
    pub edges: Vec<EdgePath>,
    /// Per node (index into `nodes`): the connections between the members of a collapsed
    /// box, which no arrow shows (indices into `GraphModel::edges`).
    pub inside: BTreeMap<usize, Vec<usize>>,
    /// Everything drawn, plus a margin. Zero-sized for an empty model.
    pub bounds: Rect,
    /// Namespaces that can be collapsed or expanded (all of the model's).
    pub namespaces: Vec<String>,
    /// Whether there are external ranges to group or ungroup.
    pub has_externals: bool,
}

impl Layout {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether any workload (or collapsed namespace) is drawn (without one the graph
    /// shows its empty state, even when an external range is left from the checkpoint).
    pub fn has_workloads(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n.role, NodeRole::Workload | NodeRole::Namespace))
    }

    /// Index of the node with this id.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// Index of the node that shows this endpoint (itself, or its collapsed group).
    pub fn node_showing(&self, endpoint: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.members.iter().any(|m| m == endpoint))
    }

    /// Computes the bounds of what is drawn.
    pub(crate) fn finish_bounds(&mut self) {
        let mut bounds: Option<Rect> = None;
        let mut add = |r: Rect| bounds = Some(bounds.map_or(r, |b| b.union(&r)));
        for n in &self.nodes {
            add(n.rect);
        }
        for g in &self.groups {
            add(g.rect);
        }
        for e in &self.edges {
            for p in &e.points {
                add(Rect::new(p.x, p.y, 0.0, 0.0));
            }
            if let Some(r) = e.label_rect {
                add(r);
            }
        }
        self.bounds = bounds.map(|b| b.expand(MARGIN)).unwrap_or_default();
    }
}

/// The badge of a change, never told by colour alone.
pub fn change_badge(change: Change) -> Option<&'static str> {
    match change {
        Change::Same => None,
        Change::Added => Some("+"),
        Change::Removed => Some("−"),
        Change::Changed => Some("~"),
    }
}

/// The `data-change` value and class suffix of a change.
pub fn change_name(change: Change) -> &'static str {
    match change {
        Change::Same => "same",
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
    }
}

/// The change of an aggregate: the common change of its members, else `Changed` when
/// any member changed.
pub fn aggregate_change(changes: impl IntoIterator<Item = Change>) -> Change {
    let mut it = changes.into_iter();
    let Some(first) = it.next() else { return Change::Same };
    let mut any = first != Change::Same;
    let mut all_same_kind = true;
    for c in it {
        any |= c != Change::Same;
        all_same_kind &= c == first;
    }
    match (all_same_kind, any) {
        (true, _) => first,
        (false, true) => Change::Changed,
        (false, false) => Change::Same,
    }
}
