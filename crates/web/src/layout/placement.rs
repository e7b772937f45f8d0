//! Placing the boxes. Each namespace is a group (or, collapsed, one box); groups stand in
//! columns ordered by the direction of the traffic between namespaces, so that most
//! arrows point right (a namespace that only sends comes first; cycles are broken where
//! the least traffic goes back). Outside endpoints (the ingress controller, external
//! ranges or their one box) form the leftmost column. A chain of columns much wider than
//! a screen continues on a second row, read like text ([`column_origins`]). Many
//! namespaces (more than [`FLOW_MAX_GROUPS`]) are arranged in a roughly square grid by
//! name instead.

use super::geometry::{fits, truncate, Rect};
use super::{
    namespace_node_id, routing, EdgePath, GroupBox, Layout, NodeBox, NodeRole, EXTERNALS_ID, GROUP_CHAR_W,
    GROUP_HEADER, LABEL_CHAR_W, NODE_H, NODE_W, SIDE_W,
};
use crate::view_model::{natural_cmp, NodeKind};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// What the user chose to see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayoutOptions {
    /// Namespaces drawn as one box each.
    pub collapsed: BTreeSet<String>,
    /// Draw the external ranges one by one instead of as one box.
    pub externals_expanded: bool,
}

/// Horizontal gap between workloads of a namespace.
const GAP_X: f64 = 30.0;
/// Vertical gap between workloads of a namespace.
const GAP_Y: f64 = 26.0;
/// Space between a group's border and its workloads.
const PAD: f64 = 16.0;
/// Gap between the columns (the channels edges run in).
const COL_GAP: f64 = 120.0;
/// Gap between groups of a column.
const ROW_GAP: f64 = 44.0;
/// The shape (width / height) of the pane a picture is fitted into, roughly: the graph
/// beside the editor on a laptop screen (1280×720 to 1440×900).
const TARGET_ASPECT: f64 = 1.4;
/// Gap between rows of columns: the channel the arrows from one row to the next take.
const ROW_BAND_GAP: f64 = 96.0;
/// A row of columns is broken only when the picture gets at least this much larger.
const WRAP_GAIN: f64 = 1.25;
/// Rows are tried for up to this many columns (every set of breaks: 2^(n-1)).
const MAX_WRAP_COLUMNS: usize = 10;
/// More namespaces than this are laid out in a grid by name, not by traffic.
pub const FLOW_MAX_GROUPS: usize = 12;

/// The sort key of an external range: its addresses as core reads them from the endpoint
/// name (IPv4 before IPv6, by first address), then the text; names core does not read as
/// a range last.
fn external_key(id: &str) -> (bool, Option<netplay_core::endpoint::AddrRange>, &str) {
    let range = netplay_core::present::external_range(id);
    (range.is_none(), range, id)
}

fn external_label(id: &str) -> String {
    netplay_core::present::external_range_text(id).unwrap_or_else(|| id.to_string())
}

struct Member {
    id: String,
    name: String,
    kind: String,
}

/// One box of a column: an expanded namespace (group) or a single node.
enum Unit {
    Group {
        namespace: String,
        members: Vec<Member>,
        cols: usize,
    },
    Node(NodeBox),
}

impl Unit {
    fn size(&self) -> (f64, f64) {
        match self {
            Unit::Group { members, cols, .. } => {
                let rows = members.len().div_ceil(*cols).max(1);
                (
                    2.0 * PAD + *cols as f64 * NODE_W + (*cols - 1) as f64 * GAP_X,
                    GROUP_HEADER + 6.0 + rows as f64 * NODE_H + (rows - 1) as f64 * GAP_Y + PAD,
                )
            }
            Unit::Node(n) => (n.rect.w, n.rect.h),
        }
    }
}

fn collapsed_box(namespace: &str, members: &[Member]) -> NodeBox {
    let n = members.len();
    NodeBox {
        id: namespace_node_id(namespace),
        role: NodeRole::Namespace,
        namespace: Some(namespace.to_string()),
        rect: Rect::new(0.0, 0.0, NODE_W, NODE_H),
        label: truncate(namespace, fits(NODE_W, LABEL_CHAR_W)),
        sublabel: format!("{n} workload{} ▸", if n == 1 { "" } else { "s" }),
        title: format!("namespace {namespace}: {n} workloads, collapsed (activate to expand)"),
        members: members.iter().map(|m| m.id.clone()).collect(),
    }
}

/// The order of the namespaces by traffic (greedy feedback-arc heuristic: sources
/// first, sinks last, otherwise the one sending most more than it receives) and each
/// one's column (the longest chain of namespaces sending to it).
#[inline(never)]
fn flow_columns(names: &[String], weights: &BTreeMap<(usize, usize), usize>) -> Vec<usize> {
    let n = names.len();
    let mut left: BTreeSet<usize> = (0..n).collect();
    let (mut front, mut back) = (Vec::new(), Vec::new());
    let degree = |v: usize, left: &BTreeSet<usize>, out: bool| -> usize {
        weights
            .iter()
            .filter(|((a, b), _)| {
                a != b
                    && if out {
                        *a == v && left.contains(b)
                    } else {
                        *b == v && left.contains(a)
                    }
            })
            .map(|(_, w)| *w)
            .sum()
    };
    while !left.is_empty() {
        if let Some(&sink) = left
            .iter()
            .find(|&&v| degree(v, &left, true) == 0 && degree(v, &left, false) > 0)
        {
            back.push(sink);
            left.remove(&sink);
            continue;
        }
        if let Some(&source) = left.iter().find(|&&v| degree(v, &left, false) == 0) {
            front.push(source);
            left.remove(&source);
            continue;
        }
        let best = left.iter().copied().max_by_key(|&v| {
            (
                degree(v, &left, true) as i64 - degree(v, &left, false) as i64,
                std::cmp::Reverse(v),
            )
        });
        if let Some(v) = best {
            front.push(v);
            left.remove(&v);
        }
    }
    back.reverse();
    front.extend(back);
    let pos: HashMap<usize, usize> = front.iter().enumerate().map(|(i, &v)| (v, i)).collect();
    let mut column = vec![0usize; n];
    for &v in &front {
        for ((a, b), _) in weights.iter().filter(|((a, b), _)| *b == v && a != b) {
            if pos.get(a) < pos.get(b) {
                column[v] = column[v].max(column[*a] + 1);
            }
        }
    }
    column
}

/// Where each column goes: its left edge, and the top and height of the row it stands in
/// (it is centred in that height). Columns follow each other left to right; when one row
/// would be much wider than a screen (a chain of namespaces), it is broken into rows read
/// like text — left to right, then the next row — at the breaks that show the picture
/// largest in a pane of [`TARGET_ASPECT`]. A break must gain [`WRAP_GAIN`] or the row stays.
fn column_origins(widths: &[f64], heights: &[f64]) -> Vec<(f64, f64, f64)> {
    let n = widths.len();
    // Row of each column for a set of breaks (bit i: a new row starts after column i).
    let rows = |breaks: u32| -> Vec<usize> {
        (0..n)
            .scan(0usize, |row, i| {
                let r = *row;
                if breaks & (1 << i) != 0 {
                    *row += 1;
                }
                Some(r)
            })
            .collect()
    };
    // The picture's width and height with those rows.
    let extent = |row_of: &[usize]| -> (f64, f64) {
        let count = row_of.last().map_or(0, |r| r + 1);
        let (mut w, mut h) = (vec![0.0f64; count], vec![0.0f64; count]);
        for i in 0..n {
            let r = row_of[i];
            w[r] += widths[i] + if w[r] > 0.0 { COL_GAP } else { 0.0 };
            h[r] = h[r].max(heights[i]);
        }
        let width = w.iter().copied().fold(0.0, f64::max);
        (
            width,
            h.iter().sum::<f64>() + ROW_BAND_GAP * count.saturating_sub(1) as f64,
        )
    };
    // Smaller is larger on screen: the layout units a pane's height must show.
    let size = |(w, h): (f64, f64)| (w / TARGET_ASPECT).max(h);
    let one_row = size(extent(&rows(0)));
    let mut best = (0u32, one_row);
    if (2..=MAX_WRAP_COLUMNS).contains(&n) {
        for breaks in 1..(1u32 << (n - 1)) {
            let s = size(extent(&rows(breaks)));
            if s * WRAP_GAIN < one_row && s < best.1 - 1e-9 {
                best = (breaks, s);
            }
        }
    }
    let row_of = rows(best.0);
    let count = row_of.last().map_or(0, |r| r + 1);
    let mut row_h = vec![0.0f64; count];
    for i in 0..n {
        row_h[row_of[i]] = row_h[row_of[i]].max(heights[i]);
    }
    let mut tops = Vec::with_capacity(count);
    let mut y = 0.0;
    for h in &row_h {
        tops.push(y);
        y += h + ROW_BAND_GAP;
    }
    let mut out = Vec::with_capacity(n);
    let mut x = 0.0;
    for i in 0..n {
        if i > 0 && row_of[i] != row_of[i - 1] {
            x = 0.0;
        }
        out.push((x, tops[row_of[i]], row_h[row_of[i]]));
        x += widths[i] + COL_GAP;
    }
    out
}

/// Lay the model out. Deterministic: the same model and options give the same layout,
/// whatever the order of the model's nodes. Nodes with a duplicate id are drawn once;
/// edges whose ends are not nodes, and self-loops, are not drawn.
pub fn layout(model: &crate::view_model::GraphModel, opts: &LayoutOptions) -> Layout {
    let mut seen = HashSet::new();
    let mut namespaces: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    let mut externals: Vec<String> = Vec::new();
    let mut ingress: Vec<String> = Vec::new();
    for n in &model.nodes {
        if !seen.insert(n.id.as_str()) {
            continue;
        }
        match &n.kind {
            NodeKind::Workload { namespace, name, kind } => {
                namespaces.entry(namespace.clone()).or_default().push(Member {
                    id: n.id.clone(),
                    name: name.clone(),
                    kind: kind.clone(),
                })
            }
            NodeKind::External => externals.push(n.id.clone()),
            NodeKind::IngressController => ingress.push(n.id.clone()),
        }
    }
    for members in namespaces.values_mut() {
        netplay_core::sorting::sort_by(members, |a, b| {
            natural_cmp(&a.name, &b.name).then_with(|| a.id.cmp(&b.id))
        });
    }
    netplay_core::sorting::sort_by(&mut externals, |a, b| external_key(a).cmp(&external_key(b)));
    netplay_core::sorting::sort(&mut ingress);

    let mut out = Layout {
        namespaces: namespaces.keys().cloned().collect(),
        has_externals: !externals.is_empty(),
        ..Layout::default()
    };

    // The left column: the ingress controller, then the external ranges or their box.
    let side = side_column(&ingress, &externals, opts);

    // Namespaces in columns by traffic (or a grid by name when there are many).
    let names: Vec<String> = namespaces.keys().cloned().collect();
    let ns_of: HashMap<&str, usize> = namespaces
        .iter()
        .enumerate()
        .flat_map(|(i, (_, ms))| ms.iter().map(move |m| (m.id.as_str(), i)))
        .collect();
    let mut weights: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for e in model.edges.iter().filter(|e| e.conn.is_some()) {
        if let (Some(&a), Some(&b)) = (ns_of.get(e.src.as_str()), ns_of.get(e.dst.as_str())) {
            *weights.entry((a, b)).or_default() += 1;
        }
    }
    // Traffic gives columns while it has a direction; when most namespaces talk to most
    // others (no policies yet) a chain of columns would be one long row: a grid instead.
    let pairs = weights.keys().filter(|(a, b)| a != b).count();
    let directed = pairs * 2 <= names.len() * 3;
    let columns: Vec<usize> = if names.len() <= FLOW_MAX_GROUPS && directed {
        let flow = flow_columns(&names, &weights);
        // At most four columns: later layers share the last one.
        flow.into_iter().map(|c| c.min(3)).collect()
    } else {
        let k = ((names.len() as f64).sqrt() * 1.3).ceil().max(1.0) as usize;
        (0..names.len()).map(|i| i % k).collect()
    };
    let column_count = columns.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_column: Vec<Vec<(usize, Unit)>> = (0..column_count).map(|_| Vec::new()).collect();
    for (i, (namespace, members)) in namespaces.into_iter().enumerate() {
        let unit = if opts.collapsed.contains(&namespace) {
            Unit::Node(collapsed_box(&namespace, &members))
        } else {
            let n = members.len().max(1);
            let cols = (((n as f64) / 3.0).sqrt().ceil() as usize).clamp(1, n);
            Unit::Group {
                namespace,
                members,
                cols,
            }
        };
        if let Some(col) = by_column.get_mut(columns[i]) {
            col.push((i, unit));
        }
    }
    // Within a column, next to the namespaces that send to them (barycentre of the
    // previous columns' positions), then by name.
    let mut position: HashMap<usize, f64> = HashMap::new();
    for col in by_column.iter_mut() {
        let key = |i: usize| -> f64 {
            let (sum, count) = weights
                .iter()
                .filter(|((a, b), _)| *b == i && a != b)
                .filter_map(|((a, _), w)| position.get(a).map(|p| (p * *w as f64, *w as f64)))
                .fold((0.0, 0.0), |(s, c), (p, w)| (s + p, c + w));
            if count > 0.0 {
                sum / count
            } else {
                f64::MAX
            }
        };
        netplay_core::sorting::sort_by(col, |(a, _), (b, _)| {
            key(*a)
                .total_cmp(&key(*b))
                .then_with(|| natural_cmp(&names[*a], &names[*b]))
        });
        for (k, (i, _)) in col.iter().enumerate() {
            position.insert(*i, k as f64);
        }
    }

    // Sizes of the columns, and where they go.
    place_columns(&mut out, side, by_column);

    // Edges, aggregated between the boxes that show their ends.
    aggregate_edges(&mut out, model);
    routing::route(&mut out);
    super::labels::place(&mut out, model);
    out.finish_bounds();
    out
}

/// The left column: the ingress controller, then the external ranges, or one box for
/// them all unless they are expanded.
#[inline(never)]
fn side_column(ingress: &[String], externals: &[String], opts: &LayoutOptions) -> Vec<NodeBox> {
    let mut side: Vec<NodeBox> = ingress
        .iter()
        .map(|id| NodeBox {
            id: id.clone(),
            role: NodeRole::Ingress,
            namespace: None,
            rect: Rect::new(0.0, 0.0, SIDE_W, NODE_H),
            label: truncate(
                id.trim_start_matches('{').trim_end_matches('}'),
                fits(SIDE_W, LABEL_CHAR_W),
            ),
            sublabel: "Ingress".to_string(),
            title: format!("{id} (traffic admitted by an Ingress)"),
            members: vec![id.clone()],
        })
        .collect();
    if externals.len() > 1 && !opts.externals_expanded {
        side.push(NodeBox {
            id: EXTERNALS_ID.to_string(),
            role: NodeRole::Externals,
            namespace: None,
            rect: Rect::new(0.0, 0.0, SIDE_W, NODE_H),
            label: "outside the cluster".to_string(),
            sublabel: format!("{} address ranges ▸", externals.len()),
            title: format!(
                "{} ranges of addresses outside the cluster, grouped (activate to show each): {}",
                externals.len(),
                externals
                    .iter()
                    .map(|e| external_label(e))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            members: externals.to_vec(),
        });
    } else {
        side.extend(externals.iter().map(|id| NodeBox {
            id: id.clone(),
            role: NodeRole::External,
            namespace: None,
            rect: Rect::new(0.0, 0.0, SIDE_W, NODE_H),
            label: truncate(&external_label(id), fits(SIDE_W, LABEL_CHAR_W)),
            sublabel: "External".to_string(),
            title: format!("{id} (addresses outside the cluster)"),
            members: vec![id.clone()],
        }));
    }
    side
}

/// Sizes the columns (the side column first, when there is one), places them and puts
/// every box and group into `out`.
#[inline(never)]
fn place_columns(out: &mut Layout, side: Vec<NodeBox>, by_column: Vec<Vec<(usize, Unit)>>) {
    let mut columns_units: Vec<Vec<Unit>> = Vec::new();
    if !side.is_empty() {
        columns_units.push(side.into_iter().map(Unit::Node).collect());
    }
    columns_units.extend(by_column.into_iter().map(|c| c.into_iter().map(|(_, u)| u).collect()));
    let heights: Vec<f64> = columns_units
        .iter()
        .map(|c| c.iter().map(|u| u.size().1).sum::<f64>() + ROW_GAP * c.len().saturating_sub(1) as f64)
        .collect();
    let widths: Vec<f64> = columns_units
        .iter()
        .map(|c| c.iter().map(|u| u.size().0).fold(0.0, f64::max))
        .collect();
    let origins = column_origins(&widths, &heights);
    for (ci, units) in columns_units.into_iter().enumerate() {
        let width = widths[ci];
        let (x, row_top, row_height) = origins[ci];
        let mut y = row_top + (row_height - heights[ci]) / 2.0;
        for unit in units {
            let (w, h) = unit.size();
            let ux = x + (width - w) / 2.0;
            match unit {
                Unit::Node(mut n) => {
                    n.rect = Rect::new(ux, y, w, h);
                    out.nodes.push(n);
                }
                Unit::Group {
                    namespace,
                    members,
                    cols,
                } => {
                    let mut idx = Vec::with_capacity(members.len());
                    for (j, m) in members.into_iter().enumerate() {
                        let (c, r) = (j % cols, j / cols);
                        let rect = Rect::new(
                            ux + PAD + c as f64 * (NODE_W + GAP_X),
                            y + GROUP_HEADER + 6.0 + r as f64 * (NODE_H + GAP_Y),
                            NODE_W,
                            NODE_H,
                        );
                        idx.push(out.nodes.len());
                        out.nodes.push(NodeBox {
                            label: truncate(&m.name, fits(NODE_W, LABEL_CHAR_W)),
                            sublabel: truncate(&m.kind, fits(NODE_W, LABEL_CHAR_W * 0.85)),
                            title: format!("{} ({} in namespace {namespace})", m.id, m.kind),
                            members: vec![m.id.clone()],
                            id: m.id,
                            role: NodeRole::Workload,
                            namespace: Some(namespace.clone()),
                            rect,
                        });
                    }
                    out.groups.push(GroupBox {
                        label: truncate(&namespace, fits(w - 30.0, GROUP_CHAR_W)),
                        namespace,
                        rect: Rect::new(ux, y, w, h),
                        nodes: idx,
                    });
                }
            }
            y += h + ROW_GAP;
        }
    }
}

/// The model's edges aggregated into one arrow between the boxes that show their ends;
/// an edge inside a group box is counted in its title.
#[inline(never)]
fn aggregate_edges(out: &mut Layout, model: &crate::view_model::GraphModel) {
    let shown: HashMap<&str, usize> = out
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.members.iter().map(move |m| (m.as_str(), i)))
        .collect();
    let mut arrows: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, e) in model.edges.iter().enumerate() {
        let (Some(&s), Some(&d)) = (shown.get(e.src.as_str()), shown.get(e.dst.as_str())) else {
            continue;
        };
        if s != d {
            arrows.entry((s, d)).or_default().push(i);
        } else if out.nodes[s].role.is_group() {
            out.inside.entry(s).or_default().push(i);
        }
    }
    for (&i, inner) in &out.inside {
        let n = inner.len();
        let _ = write!(
            out.nodes[i].title,
            "; {n} connection{} inside",
            if n == 1 { "" } else { "s" }
        );
    }
    let pairs: HashSet<(usize, usize)> = arrows.keys().copied().collect();
    out.edges = arrows
        .into_iter()
        .map(|((s, d), edges)| EdgePath {
            edges,
            src: s,
            dst: d,
            points: Vec::new(),
            curved: false,
            mid: Default::default(),
            label_at: None,
            label_rect: None,
            has_reverse: pairs.contains(&(d, s)),
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view_model::{Change, Edge, GraphModel, Node};

    pub(crate) fn workload(ns: &str, name: &str) -> Node {
        Node {
            id: format!("{ns}/{name}[Deployment]"),
            kind: NodeKind::Workload {
                namespace: ns.into(),
                name: name.into(),
                kind: "Deployment".into(),
            },
        }
    }

    pub(crate) fn edge(src: &str, dst: &str) -> Edge {
        Edge {
            src: src.into(),
            dst: dst.into(),
            conn: Some("TCP 80".into()),
            old: None,
            change: Change::Same,
        }
    }

    #[test]
    fn columns_follow_the_traffic() {
        // monitoring → everyone, frontend → backend → database.
        let nodes = vec![
            workload("database", "postgres"),
            workload("backend", "api"),
            workload("frontend", "web"),
            workload("monitoring", "prometheus"),
        ];
        let id = |i: usize| nodes[i].id.clone();
        let edges = vec![
            edge(&id(2), &id(1)),
            edge(&id(1), &id(0)),
            edge(&id(3), &id(0)),
            edge(&id(3), &id(1)),
            edge(&id(3), &id(2)),
        ];
        let l = layout(
            &GraphModel {
                nodes: nodes.clone(),
                edges,
            },
            &LayoutOptions::default(),
        );
        let rect = |ns: &str| {
            l.groups
                .iter()
                .find(|g| g.namespace == ns)
                .map(|g| g.rect)
                .unwrap_or(Rect::new(-1.0, -1.0, 0.0, 0.0))
        };
        // Read like text: an earlier row, or the same row further left.
        let before = |a: &str, b: &str| {
            let (a, b) = (rect(a), rect(b));
            a.y + a.h < b.y || (a.y < b.y + b.h && b.y < a.y + a.h && a.x < b.x)
        };
        assert!(before("monitoring", "frontend"));
        assert!(before("frontend", "backend"));
        assert!(before("backend", "database"));
    }

    #[test]
    fn a_chain_much_wider_than_a_screen_continues_on_a_second_row() {
        // Five columns of one small box each: one row would be about 8:1.
        let widths = [210.0, 200.0, 200.0, 200.0, 200.0];
        let heights = [44.0, 236.0, 96.0, 166.0, 96.0];
        let origins = column_origins(&widths, &heights);
        let rows: Vec<f64> = origins.iter().map(|o| o.1).collect();
        assert_eq!(rows[0], 0.0);
        assert!(rows.windows(2).all(|w| w[0] <= w[1]), "rows follow the order: {rows:?}");
        assert!(rows[4] > 0.0, "the chain wraps: {origins:?}");
        // Each row starts at the left; columns of a row do not overlap.
        for (i, o) in origins.iter().enumerate().skip(1) {
            let prev = origins[i - 1];
            if o.1 == prev.1 {
                assert!(o.0 >= prev.0 + widths[i - 1] + COL_GAP - 1e-9, "{origins:?}");
            } else {
                assert_eq!(o.0, 0.0, "a new row starts at the left");
            }
        }
        // Two columns are no wider than a screen: one row.
        let two = column_origins(&widths[..2], &heights[..2]);
        assert!(two.iter().all(|o| o.1 == 0.0), "{two:?}");
        assert!(column_origins(&[], &[]).is_empty());
    }

    #[test]
    fn collapsed_namespaces_aggregate_their_edges() {
        let nodes: Vec<Node> = (0..5)
            .map(|i| workload("a", &format!("w-{i}")))
            .chain((0..3).map(|i| workload("b", &format!("v-{i}"))))
            .collect();
        let mut edges = Vec::new();
        for i in 0..5 {
            for j in 5..8 {
                edges.push(edge(&nodes[i].id, &nodes[j].id));
            }
        }
        let model = GraphModel { nodes, edges };
        let opts = LayoutOptions {
            collapsed: ["a".to_string(), "b".to_string()].into(),
            externals_expanded: false,
        };
        let l = layout(&model, &opts);
        assert_eq!(l.nodes.len(), 2);
        assert!(l.groups.is_empty());
        assert_eq!(l.edges.len(), 1);
        assert_eq!(l.edges[0].edges.len(), 15);
        assert_eq!(l.nodes[0].sublabel, "5 workloads ▸");
        assert_eq!(l.node_showing("a/w-3[Deployment]"), Some(0));
        // Natural order inside an expanded group.
        let l = layout(&model, &LayoutOptions::default());
        let labels: Vec<&str> = l.groups[0].nodes.iter().map(|&i| l.nodes[i].label.as_str()).collect();
        assert_eq!(labels, ["w-0", "w-1", "w-2", "w-3", "w-4"]);
    }
}
