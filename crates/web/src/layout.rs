//! Where the graph's boxes and lines go: a deterministic layout of a [`GraphModel`].
//!
//! Namespaces are labelled group boxes arranged in a grid (ordered by name, the number of
//! columns chosen so that the whole picture is roughly square), each holding its workloads
//! in a grid (ordered by name). External ranges and the ingress controller form a column
//! on the left, outside any group. Edges are gentle quadratic curves between node
//! borders that always bend to the same side of their direction of travel, so the two
//! edges of an opposite pair (A → B and B → A) bulge to opposite sides and never overlap.
//!
//! Pure geometry and text: no web APIs, so it is tested natively. The view-box maths of
//! zooming and panning lives here too, for the same reason.

use crate::view_model::{Change, GraphModel, NodeKind};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Width of a workload node.
pub const NODE_W: f64 = 168.0;
/// Width of an external range or ingress controller node (addresses are long).
pub const SIDE_W: f64 = 210.0;
/// Height of every node.
pub const NODE_H: f64 = 44.0;
/// Horizontal gap between workloads of a namespace.
const GAP_X: f64 = 30.0;
/// Vertical gap between workloads of a namespace.
const GAP_Y: f64 = 34.0;
/// Space between a group's border and its workloads.
const PAD: f64 = 14.0;
/// Height of a group's title strip (the namespace name).
pub const GROUP_HEADER: f64 = 28.0;
/// Gap between group boxes.
const GROUP_GAP: f64 = 44.0;
/// Gap between the left column and the groups.
const COLUMN_GAP: f64 = 90.0;
/// Vertical gap between nodes of the left column.
const SIDE_GAP_Y: f64 = 24.0;
/// Empty space around the picture.
pub const MARGIN: f64 = 24.0;
/// The width:height ratio the arrangement aims at (screens are landscape).
const TARGET_ASPECT: f64 = 1.4;
/// Average glyph width of the node label font (12px sans-serif), for truncation.
const LABEL_CHAR_W: f64 = 7.0;
/// Average glyph width of the group title font (13px bold), for truncation.
const GROUP_CHAR_W: f64 = 8.0;

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    pub fn dist(self, o: Point) -> f64 {
        ((self.x - o.x).powi(2) + (self.y - o.y).powi(2)).sqrt()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Self {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    pub fn center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Whether the two rectangles share interior area (touching borders do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }

    /// Whether `o` lies entirely inside `self`.
    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.right() <= self.right() && o.bottom() <= self.bottom()
    }

    pub fn contains_point(&self, p: Point) -> bool {
        p.x >= self.x && p.x <= self.right() && p.y >= self.y && p.y <= self.bottom()
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, o: &Rect) -> Rect {
        let x = self.x.min(o.x);
        let y = self.y.min(o.y);
        Rect::new(x, y, self.right().max(o.right()) - x, self.bottom().max(o.bottom()) - y)
    }

    pub fn expand(&self, by: f64) -> Rect {
        Rect::new(self.x - by, self.y - by, self.w + 2.0 * by, self.h + 2.0 * by)
    }

    /// Where the ray from the centre towards `p` leaves the rectangle (the centre itself
    /// when `p` is the centre).
    pub fn border_toward(&self, p: Point) -> Point {
        let c = self.center();
        let (dx, dy) = (p.x - c.x, p.y - c.y);
        if dx.abs() < 1e-9 && dy.abs() < 1e-9 {
            return c;
        }
        let tx = if dx.abs() < 1e-9 {
            f64::INFINITY
        } else {
            (self.w / 2.0) / dx.abs()
        };
        let ty = if dy.abs() < 1e-9 {
            f64::INFINITY
        } else {
            (self.h / 2.0) / dy.abs()
        };
        let t = tx.min(ty);
        Point::new(c.x + dx * t, c.y + dy * t)
    }
}

/// What a node stands for, for styling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    Workload,
    External,
    Ingress,
}

impl NodeRole {
    pub fn class(self) -> &'static str {
        match self {
            NodeRole::Workload => "node-workload",
            NodeRole::External => "node-external",
            NodeRole::Ingress => "node-ingress",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    /// The endpoint name (`ns/name[Kind]`, `a-b[External]`, `{ingress-controller}`).
    pub id: String,
    pub role: NodeRole,
    /// The namespace whose group holds it (workloads only).
    pub namespace: Option<String>,
    pub rect: Rect,
    /// First line: the name, truncated with an ellipsis to fit the box.
    pub label: String,
    /// Second line, smaller: the kind.
    pub sublabel: String,
    /// The untruncated description, for a tooltip (`<title>`).
    pub title: String,
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

/// One drawn edge: the quadratic curve `M start Q control end`.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgePath {
    /// Index into `GraphModel::edges`.
    pub edge: usize,
    /// Indices into [`Layout::nodes`].
    pub src: usize,
    pub dst: usize,
    pub start: Point,
    pub control: Point,
    pub end: Point,
    /// The point halfway along the curve (for badges).
    pub mid: Point,
    /// Where a text label goes (its baseline point): beside `mid`, on the outer side of
    /// the bend, clear of a badge at `mid`.
    pub label_at: Point,
    /// The label's `text-anchor`: `start`, `middle` or `end`.
    pub label_anchor: &'static str,
    /// Whether the opposite edge (dst → src) is drawn too.
    pub has_reverse: bool,
}

impl EdgePath {
    /// The SVG path data.
    pub fn d(&self) -> String {
        format!(
            "M{} {} Q{} {} {} {}",
            num(self.start.x),
            num(self.start.y),
            num(self.control.x),
            num(self.control.y),
            num(self.end.x),
            num(self.end.y)
        )
    }
}

/// The placed graph.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Layout {
    /// Left column first (ingress controller, then external ranges by address), then the
    /// workloads group by group.
    pub nodes: Vec<NodeBox>,
    pub groups: Vec<GroupBox>,
    pub edges: Vec<EdgePath>,
    /// Everything drawn, plus a margin. Zero-sized for an empty model.
    pub bounds: Rect,
}

impl Layout {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether any workload is drawn (without one the graph shows its empty state, even
    /// when an external range is left over from the checkpoint).
    pub fn has_workloads(&self) -> bool {
        !self.groups.is_empty()
    }

    /// Index of the node with this id.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

/// A number for SVG attributes: one decimal, no `-0`, never NaN.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".to_string()
    } else if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// `s` cut to at most `max` characters, the last of them an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    let max = max.max(2);
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// How many label characters fit in a box of this width.
fn fits(width: f64, char_w: f64) -> usize {
    (((width - 16.0) / char_w).floor().max(4.0)) as usize
}

/// The point of the quadratic Bézier at `t`.
fn quad(p0: Point, c: Point, p2: Point, t: f64) -> Point {
    let u = 1.0 - t;
    Point::new(
        u * u * p0.x + 2.0 * u * t * c.x + t * t * p2.x,
        u * u * p0.y + 2.0 * u * t * c.y + t * t * p2.y,
    )
}

/// The sort key of an external range: its first address, numerically (IPv4 before IPv6),
/// then the text.
fn external_key(id: &str) -> (u8, u128, String) {
    let range = id.strip_suffix("[External]").unwrap_or(id);
    let first = range.split('-').next().unwrap_or("");
    match first.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => (0, u32::from(a) as u128, id.to_string()),
        Ok(std::net::IpAddr::V6(a)) => (1, u128::from(a), id.to_string()),
        Err(_) => (2, 0, id.to_string()),
    }
}

/// The label of an external range: `a-b`, or `a` for a single address.
fn external_label(id: &str) -> String {
    let range = id.strip_suffix("[External]").unwrap_or(id);
    match range.split_once('-') {
        Some((a, b)) if a == b => a.to_string(),
        _ => range.to_string(),
    }
}

struct Pending {
    id: String,
    /// The workload name (what a group's members are ordered by).
    name: String,
    role: NodeRole,
    namespace: Option<String>,
    label: String,
    sublabel: String,
    title: String,
}

/// Lay the model out. Deterministic: the same model gives the same layout, whatever the
/// order of its nodes. Nodes with a duplicate id are drawn once; edges whose ends are
/// not nodes, and self-loops, are not drawn.
pub fn layout(model: &GraphModel) -> Layout {
    // Classify, dropping duplicate ids.
    let mut seen = HashSet::new();
    let mut side: Vec<Pending> = Vec::new();
    let mut namespaces: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for n in &model.nodes {
        if !seen.insert(n.id.as_str()) {
            continue;
        }
        match &n.kind {
            NodeKind::Workload { namespace, name, kind } => {
                let label = truncate(name, fits(NODE_W, LABEL_CHAR_W));
                namespaces.entry(namespace.clone()).or_default().push(Pending {
                    id: n.id.clone(),
                    name: name.clone(),
                    role: NodeRole::Workload,
                    namespace: Some(namespace.clone()),
                    label,
                    sublabel: truncate(kind, fits(NODE_W, LABEL_CHAR_W * 0.85)),
                    title: format!("{} ({kind} in namespace {namespace})", n.id),
                });
            }
            NodeKind::External => side.push(Pending {
                id: n.id.clone(),
                name: n.id.clone(),
                role: NodeRole::External,
                namespace: None,
                label: truncate(&external_label(&n.id), fits(SIDE_W, LABEL_CHAR_W)),
                sublabel: "External".to_string(),
                title: format!("{} (addresses outside the cluster)", n.id),
            }),
            NodeKind::IngressController => side.push(Pending {
                id: n.id.clone(),
                name: n.id.clone(),
                role: NodeRole::Ingress,
                namespace: None,
                label: truncate(
                    n.id.trim_start_matches('{').trim_end_matches('}'),
                    fits(SIDE_W, LABEL_CHAR_W),
                ),
                sublabel: "Ingress".to_string(),
                title: format!("{} (traffic admitted by an Ingress)", n.id),
            }),
        }
    }
    side.sort_by(|a, b| {
        let ka = (a.role != NodeRole::Ingress, external_key(&a.id));
        let kb = (b.role != NodeRole::Ingress, external_key(&b.id));
        ka.cmp(&kb)
    });
    for members in namespaces.values_mut() {
        members.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    }

    let mut out = Layout::default();

    // The left column.
    let has_side = !side.is_empty();
    let mut y = 0.0;
    for p in side {
        out.nodes.push(NodeBox {
            id: p.id,
            role: p.role,
            namespace: None,
            rect: Rect::new(0.0, y, SIDE_W, NODE_H),
            label: p.label,
            sublabel: p.sublabel,
            title: p.title,
        });
        y += NODE_H + SIDE_GAP_Y;
    }
    let side_h = if has_side { y - SIDE_GAP_Y } else { 0.0 };
    let groups_x = if has_side { SIDE_W + COLUMN_GAP } else { 0.0 };

    // Each group's inner grid and size.
    struct Sized {
        namespace: String,
        members: Vec<Pending>,
        cols: usize,
        w: f64,
        h: f64,
    }
    let sized: Vec<Sized> = namespaces
        .into_iter()
        .map(|(namespace, members)| {
            let n = members.len().max(1);
            let cell_w = NODE_W + GAP_X;
            let cell_h = NODE_H + GAP_Y;
            let cols = ((n as f64 * cell_h * TARGET_ASPECT / cell_w).sqrt().ceil() as usize).clamp(1, n);
            let rows = n.div_ceil(cols);
            let w = 2.0 * PAD + cols as f64 * NODE_W + (cols - 1) as f64 * GAP_X;
            let h = GROUP_HEADER + rows as f64 * NODE_H + (rows - 1) as f64 * GAP_Y + PAD;
            Sized {
                namespace,
                members,
                cols,
                w,
                h,
            }
        })
        .collect();

    // How many group columns: the one whose overall picture is closest to the target
    // aspect ratio (fewest columns on a tie).
    let k = sized.len();
    let table = |cols: usize| -> (Vec<f64>, Vec<f64>) {
        let rows = k.div_ceil(cols);
        let mut col_w = vec![0.0f64; cols];
        let mut row_h = vec![0.0f64; rows];
        for (i, g) in sized.iter().enumerate() {
            if let Some(c) = col_w.get_mut(i % cols) {
                *c = c.max(g.w);
            }
            if let Some(r) = row_h.get_mut(i / cols) {
                *r = r.max(g.h);
            }
        }
        (col_w, row_h)
    };
    let mut best_cols = 1;
    if k > 0 {
        let mut best_score = f64::INFINITY;
        for cols in 1..=k {
            let (col_w, row_h) = table(cols);
            let w = groups_x + col_w.iter().sum::<f64>() + GROUP_GAP * (cols - 1) as f64;
            let h = (row_h.iter().sum::<f64>() + GROUP_GAP * (row_h.len().saturating_sub(1)) as f64).max(side_h);
            let score = ((w / h.max(1.0)).ln() - TARGET_ASPECT.ln()).abs();
            if score < best_score - 1e-9 {
                best_score = score;
                best_cols = cols;
            }
        }
    }
    let (col_w, row_h) = if k > 0 {
        table(best_cols)
    } else {
        (Vec::new(), Vec::new())
    };
    let col_x: Vec<f64> = col_w
        .iter()
        .scan(groups_x, |x, w| {
            let this = *x;
            *x += w + GROUP_GAP;
            Some(this)
        })
        .collect();
    let row_y: Vec<f64> = row_h
        .iter()
        .scan(0.0, |y, h| {
            let this = *y;
            *y += h + GROUP_GAP;
            Some(this)
        })
        .collect();

    for (i, g) in sized.into_iter().enumerate() {
        let gx = col_x.get(i % best_cols).copied().unwrap_or(groups_x);
        let gy = row_y.get(i / best_cols).copied().unwrap_or(0.0);
        let rect = Rect::new(gx, gy, g.w, g.h);
        let mut members = Vec::with_capacity(g.members.len());
        for (j, p) in g.members.into_iter().enumerate() {
            let (c, r) = (j % g.cols, j / g.cols);
            let x = gx + PAD + c as f64 * (NODE_W + GAP_X);
            let y = gy + GROUP_HEADER + r as f64 * (NODE_H + GAP_Y);
            members.push(out.nodes.len());
            out.nodes.push(NodeBox {
                id: p.id,
                role: p.role,
                namespace: p.namespace,
                rect: Rect::new(x, y, NODE_W, NODE_H),
                label: p.label,
                sublabel: p.sublabel,
                title: p.title,
            });
        }
        out.groups.push(GroupBox {
            label: truncate(&g.namespace, fits(g.w, GROUP_CHAR_W)),
            namespace: g.namespace,
            rect,
            nodes: members,
        });
    }

    // Edges.
    let index: HashMap<&str, usize> = out.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let pairs: HashSet<(usize, usize)> = model
        .edges
        .iter()
        .filter_map(|e| Some((*index.get(e.src.as_str())?, *index.get(e.dst.as_str())?)))
        .collect();
    let obstacles = (model.edges.len() <= ROUTE_MAX_EDGES).then(|| Obstacles::new(&out.nodes, &out.groups));
    let mut paths = Vec::new();
    for (i, e) in model.edges.iter().enumerate() {
        let (Some(&s), Some(&d)) = (index.get(e.src.as_str()), index.get(e.dst.as_str())) else {
            continue;
        };
        if s == d {
            continue;
        }
        paths.extend(edge_path(
            i,
            s,
            d,
            &out.nodes,
            obstacles.as_ref(),
            pairs.contains(&(d, s)),
        ));
    }
    drop(obstacles);
    out.edges = paths;

    // Bounds.
    let mut bounds: Option<Rect> = None;
    let mut add = |r: Rect| bounds = Some(bounds.map_or(r, |b| b.union(&r)));
    for n in &out.nodes {
        add(n.rect);
    }
    for g in &out.groups {
        add(g.rect);
    }
    for e in &out.edges {
        add(Rect::new(e.mid.x, e.mid.y, 0.0, 0.0));
        add(Rect::new(e.label_at.x, e.label_at.y, 0.0, 0.0).expand(8.0));
    }
    out.bounds = bounds.map(|b| b.expand(MARGIN)).unwrap_or_default();
    out
}

/// Node rectangles in a coarse grid, to find the nodes an edge would cross.
/// Node rectangles (index = node index) and the namespace titles after them, in a
/// coarse grid, to find what an edge would cross.
struct Obstacles {
    rects: Vec<Rect>,
    grid: HashMap<(i64, i64), Vec<usize>>,
}

const OBSTACLE_CELL: f64 = 128.0;
/// Above this many edges, edges are not routed around nodes (it would not help a
/// picture that dense, and it costs time).
const ROUTE_MAX_EDGES: usize = 1500;

impl Obstacles {
    fn new(nodes: &[NodeBox], groups: &[GroupBox]) -> Self {
        let mut rects: Vec<Rect> = nodes.iter().map(|n| n.rect.expand(3.0)).collect();
        rects.extend(groups.iter().map(|g| {
            let w = g.label.chars().count() as f64 * GROUP_CHAR_W + 10.0;
            Rect::new(g.rect.x + 6.0, g.rect.y + 3.0, w.min(g.rect.w - 12.0), 22.0)
        }));
        let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for (i, &r) in rects.iter().enumerate() {
            let (x0, y0) = Self::cell(Point::new(r.x, r.y));
            let (x1, y1) = Self::cell(Point::new(r.right(), r.bottom()));
            for cx in x0..=x1 {
                for cy in y0..=y1 {
                    grid.entry((cx, cy)).or_default().push(i);
                }
            }
        }
        Obstacles { rects, grid }
    }

    fn cell(p: Point) -> (i64, i64) {
        (
            (p.x / OBSTACLE_CELL).floor() as i64,
            (p.y / OBSTACLE_CELL).floor() as i64,
        )
    }

    /// How many nodes other than `src` and `dst`, and namespace titles, the curve passes
    /// through (counting stops at `limit`).
    fn crossings(&self, c: &Curve, src: usize, dst: usize, limit: usize) -> usize {
        let len = c.start.dist(c.control) + c.control.dist(c.end);
        let samples = ((len / 20.0).ceil() as usize).clamp(8, 100);
        let mut hit: Vec<usize> = Vec::new();
        for k in 1..samples {
            let p = quad(c.start, c.control, c.end, k as f64 / samples as f64);
            for &i in self.grid.get(&Self::cell(p)).map(Vec::as_slice).unwrap_or(&[]) {
                if i != src && i != dst && !hit.contains(&i) {
                    if let Some(r) = self.rects.get(i) {
                        if r.contains_point(p) {
                            hit.push(i);
                            if hit.len() >= limit {
                                return limit;
                            }
                        }
                    }
                }
            }
        }
        hit.len()
    }
}

struct Curve {
    start: Point,
    control: Point,
    end: Point,
}

/// The curve from `a` to `b` whose control point is `bend` away from the middle along
/// the unit normal (`nx`, `ny`); it starts and ends on the borders.
fn curve(a: Rect, b: Rect, nx: f64, ny: f64, bend: f64) -> Curve {
    let (ca, cb) = (a.center(), b.center());
    let mid = Point::new((ca.x + cb.x) / 2.0, (ca.y + cb.y) / 2.0);
    let control = Point::new(mid.x + nx * bend, mid.y + ny * bend);
    Curve {
        start: a.border_toward(control),
        control,
        end: b.border_toward(control),
    }
}

/// The curve from node `src` to node `dst`. It bends to the left of the direction of
/// travel (in screen coordinates), so the two edges of an opposite pair bend apart. When
/// the gentle curve would pass through other nodes, a stronger bend is tried, and (when
/// there is no opposite edge to keep apart from) the other side too.
fn edge_path(
    edge: usize,
    src: usize,
    dst: usize,
    nodes: &[NodeBox],
    obstacles: Option<&Obstacles>,
    has_reverse: bool,
) -> Option<EdgePath> {
    let (a, b) = (nodes.get(src)?.rect, nodes.get(dst)?.rect);
    let (ca, cb) = (a.center(), b.center());
    let (dx, dy) = (cb.x - ca.x, cb.y - ca.y);
    let len = (dx * dx + dy * dy).sqrt();
    // Unit normal (left of travel); any fixed direction when the centres coincide.
    let (lx, ly) = if len < 1e-9 { (0.0, -1.0) } else { (dy / len, -dx / len) };
    let gentle = (len * 0.2).clamp(if has_reverse { 24.0 } else { 16.0 }, 90.0);

    let mut side = 1.0;
    let mut chosen = curve(a, b, lx, ly, gentle);
    if let Some(obs) = obstacles {
        let mut best = obs.crossings(&chosen, src, dst, usize::MAX);
        if best > 0 {
            let sides: &[f64] = if has_reverse { &[1.0] } else { &[1.0, -1.0] };
            'search: for factor in [0.35, 0.5, 0.7] {
                let b2 = (len * factor).max(gentle);
                for &sd in sides {
                    let c = curve(a, b, lx * sd, ly * sd, b2);
                    let n = obs.crossings(&c, src, dst, best);
                    if n < best {
                        (best, side, chosen) = (n, sd, c);
                        if n == 0 {
                            break 'search;
                        }
                    }
                }
            }
        }
    }
    let (nx, ny) = (lx * side, ly * side);
    let Curve { start, control, end } = chosen;
    let curve_mid = quad(start, control, end, 0.5);
    // The label goes on the outer side of the bend, clear of the badge at `mid`: beside a
    // mostly vertical edge (anchored at its near end), above or below a mostly horizontal one.
    const OFF: f64 = 12.0;
    let (label_at, label_anchor) = if nx.abs() > ny.abs() * 1.5 {
        let anchor = if nx > 0.0 { "start" } else { "end" };
        (Point::new(curve_mid.x + nx * OFF, curve_mid.y + ny * OFF + 4.0), anchor)
    } else {
        let baseline = if ny > 0.0 { 9.0 } else { -1.0 };
        (
            Point::new(curve_mid.x + nx * OFF, curve_mid.y + ny * OFF + baseline),
            "middle",
        )
    };
    Some(EdgePath {
        edge,
        src,
        dst,
        start,
        control,
        end,
        mid: curve_mid,
        label_at,
        label_anchor,
        has_reverse,
    })
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

/// The visible part of the picture, in layout coordinates (an SVG `viewBox`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The smallest view that shows this much (so that a tiny graph is not blown up).
const MIN_FIT_W: f64 = 640.0;
const MIN_FIT_H: f64 = 400.0;
/// How far one can zoom in: this many layout units across, at least.
const MIN_VIEW_W: f64 = 120.0;
/// How far one can zoom out, relative to the fitted view.
const MAX_ZOOM_OUT: f64 = 4.0;

impl ViewBox {
    /// The view that shows the whole layout.
    pub fn fit(bounds: Rect) -> ViewBox {
        let w = bounds.w.max(MIN_FIT_W);
        let h = bounds.h.max(MIN_FIT_H);
        let c = bounds.center();
        ViewBox {
            x: c.x - w / 2.0,
            y: c.y - h / 2.0,
            w,
            h,
        }
    }

    pub fn attr(&self) -> String {
        format!("{} {} {} {}", num(self.x), num(self.y), num(self.w), num(self.h))
    }

    /// Pixels per layout unit when shown in a `cw`×`ch` pixel box with the default
    /// `preserveAspectRatio` (`xMidYMid meet`).
    pub fn scale(&self, cw: f64, ch: f64) -> f64 {
        let s = (cw / self.w).min(ch / self.h);
        if s.is_finite() && s > 0.0 {
            s
        } else {
            1.0
        }
    }

    /// The layout point under pixel (`px`, `py`) of a `cw`×`ch` box showing this view.
    pub fn to_user(&self, px: f64, py: f64, cw: f64, ch: f64) -> Point {
        let s = self.scale(cw, ch);
        let ox = (cw - self.w * s) / 2.0;
        let oy = (ch - self.h * s) / 2.0;
        Point::new(self.x + (px - ox) / s, self.y + (py - oy) / s)
    }

    /// Zoomed by `factor` (> 1 zooms in) keeping layout point `at` where it is on the
    /// screen; clamped between a few nodes across and four times the fitted view.
    pub fn zoom_at(&self, factor: f64, at: Point, fit: &ViewBox) -> ViewBox {
        if !(factor.is_finite() && factor > 0.0) {
            return *self;
        }
        let max_w = fit.w * MAX_ZOOM_OUT;
        let min_w = MIN_VIEW_W.min(fit.w);
        let w = (self.w / factor).clamp(min_w, max_w.max(min_w));
        let f = self.w / w;
        let h = self.h / f;
        ViewBox {
            x: at.x - (at.x - self.x) / f,
            y: at.y - (at.y - self.y) / f,
            w,
            h,
        }
    }

    /// Zoomed about its centre.
    pub fn zoom(&self, factor: f64, fit: &ViewBox) -> ViewBox {
        self.zoom_at(factor, Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0), fit)
    }

    /// Moved by (`dx`, `dy`) layout units.
    pub fn moved(&self, dx: f64, dy: f64) -> ViewBox {
        if !(dx.is_finite() && dy.is_finite()) {
            return *self;
        }
        ViewBox {
            x: self.x + dx,
            y: self.y + dy,
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view_model::{Edge, Node};

    fn workload(ns: &str, name: &str, kind: &str) -> Node {
        Node {
            id: format!("{ns}/{name}[{kind}]"),
            kind: NodeKind::Workload {
                namespace: ns.into(),
                name: name.into(),
                kind: kind.into(),
            },
        }
    }

    fn edge(src: &str, dst: &str, change: Change) -> Edge {
        Edge {
            src: src.into(),
            dst: dst.into(),
            conn: Some("TCP 80".into()),
            old: None,
            change,
        }
    }

    /// A deterministic pseudo-random cluster: `workloads` spread unevenly over
    /// `namespaces`, a few external ranges and the ingress controller, and edges.
    fn cluster(workloads: usize, namespaces: usize, seed: u64) -> GraphModel {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut rnd = move |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n.max(1)
        };
        let mut nodes = Vec::new();
        for i in 0..workloads {
            // Skewed: the first namespaces get more.
            let ns = if i < namespaces {
                i
            } else {
                rnd(namespaces).min(rnd(namespaces))
            };
            let long = if rnd(7) == 0 {
                "-with-a-really-quite-long-name-indeed"
            } else {
                ""
            };
            nodes.push(workload(
                &format!("ns-{ns:02}"),
                &format!("svc-{i}{long}"),
                "Deployment",
            ));
        }
        for r in [
            "10.0.0.0-10.255.255.255",
            "0.0.0.0-9.255.255.255",
            "11.0.0.0-255.255.255.255",
            "::-ffff::",
        ] {
            nodes.push(Node {
                id: format!("{r}[External]"),
                kind: NodeKind::External,
            });
        }
        nodes.push(Node {
            id: "{ingress-controller}".into(),
            kind: NodeKind::IngressController,
        });
        let mut edges = Vec::new();
        for _ in 0..workloads * 2 {
            let (a, b) = (rnd(nodes.len()), rnd(nodes.len()));
            if a != b {
                edges.push(edge(&nodes[a].id, &nodes[b].id, Change::Same));
                if rnd(3) == 0 {
                    edges.push(edge(&nodes[b].id, &nodes[a].id, Change::Added));
                }
            }
        }
        GraphModel { nodes, edges }
    }

    fn assert_legible(l: &Layout, model: &GraphModel) {
        let ids: HashSet<&str> = model.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(l.nodes.len(), ids.len(), "every node placed once");
        for (i, a) in l.nodes.iter().enumerate() {
            for b in l.nodes.iter().skip(i + 1) {
                assert!(!a.rect.overlaps(&b.rect), "{} overlaps {}", a.id, b.id);
            }
            assert!(l.bounds.contains(&a.rect), "{} outside the bounds", a.id);
            match &a.namespace {
                Some(ns) => {
                    for g in &l.groups {
                        if &g.namespace == ns {
                            assert!(g.rect.contains(&a.rect), "{} outside its group", a.id);
                        } else {
                            assert!(!g.rect.overlaps(&a.rect), "{} inside group {}", a.id, g.namespace);
                        }
                    }
                }
                None => assert!(
                    l.groups.iter().all(|g| !g.rect.overlaps(&a.rect)),
                    "{} in a group",
                    a.id
                ),
            }
            assert!(a.label.chars().count() <= fits(a.rect.w, LABEL_CHAR_W));
        }
        for (i, a) in l.groups.iter().enumerate() {
            for b in l.groups.iter().skip(i + 1) {
                assert!(
                    !a.rect.overlaps(&b.rect),
                    "group {} overlaps {}",
                    a.namespace,
                    b.namespace
                );
            }
            assert!(l.bounds.contains(&a.rect));
        }
    }

    #[test]
    fn layout_is_legible_at_scale() {
        for (workloads, namespaces) in [(50, 10), (80, 13), (120, 17), (160, 21), (200, 25), (200, 10), (50, 25)] {
            for seed in 0..3 {
                let model = cluster(workloads, namespaces, seed);
                let l = layout(&model);
                assert_eq!(l.groups.len(), namespaces);
                assert_legible(&l, &model);
                let aspect = l.bounds.w / l.bounds.h;
                assert!(
                    (0.5..=3.5).contains(&aspect),
                    "roughly square: {aspect} for {workloads}/{namespaces}"
                );
                // Groups are ordered by name, row by row.
                let names: Vec<&str> = l.groups.iter().map(|g| g.namespace.as_str()).collect();
                let mut sorted = names.clone();
                sorted.sort();
                assert_eq!(names, sorted);
            }
        }
    }

    #[test]
    fn layout_is_deterministic() {
        let model = cluster(120, 15, 7);
        assert_eq!(layout(&model), layout(&model));
        // The order of the nodes does not matter.
        let mut shuffled = model.clone();
        shuffled.nodes.reverse();
        let (a, b) = (layout(&model), layout(&shuffled));
        assert_eq!(a.nodes, b.nodes);
        assert_eq!(a.groups, b.groups);
    }

    #[test]
    fn layout_puts_outside_endpoints_in_a_left_column() {
        let model = cluster(30, 5, 1);
        let l = layout(&model);
        let side: Vec<&NodeBox> = l.nodes.iter().filter(|n| n.namespace.is_none()).collect();
        assert_eq!(side.len(), 5);
        assert_eq!(side[0].role, NodeRole::Ingress);
        let order: Vec<&str> = side.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(
            order,
            [
                "ingress-controller",
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255",
                "::-ffff::"
            ]
        );
        let left_edge = l.groups.iter().map(|g| g.rect.x).fold(f64::INFINITY, f64::min);
        assert!(side
            .iter()
            .all(|n| n.rect.right() < left_edge && n.rect.x == side[0].rect.x));
    }

    #[test]
    fn layout_orders_workloads_by_name_and_truncates_labels() {
        let long = "a-very-long-workload-name-that-does-not-fit";
        let model = GraphModel {
            nodes: vec![
                workload("x", "b", "Pod"),
                workload("x", long, "Deployment"),
                workload("x", "a", "StatefulSet"),
            ],
            edges: vec![],
        };
        let l = layout(&model);
        let labels: Vec<&str> = l.nodes.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(labels[0], "a");
        assert!(
            labels[1].starts_with("a-very") && labels[1].ends_with('…'),
            "{labels:?}"
        );
        assert_eq!(labels[2], "b");
        assert!(l.nodes[1].title.contains(long));
        assert_eq!(l.nodes[0].sublabel, "StatefulSet");
        assert_eq!(l.groups[0].label, "x");
    }

    #[test]
    fn layout_separates_opposite_edges_and_ends_on_borders() {
        let a = "x/a[Pod]";
        let b = "x/b[Pod]";
        let model = GraphModel {
            nodes: vec![workload("x", "a", "Pod"), workload("x", "b", "Pod")],
            edges: vec![edge(a, b, Change::Same), edge(b, a, Change::Removed)],
        };
        let l = layout(&model);
        assert_eq!(l.edges.len(), 2);
        let (e1, e2) = (&l.edges[0], &l.edges[1]);
        assert!(e1.has_reverse && e2.has_reverse);
        assert!(e1.mid.dist(e2.mid) > 20.0, "{:?} vs {:?}", e1.mid, e2.mid);
        assert!(e1.start.dist(e2.end) > 5.0 && e1.end.dist(e2.start) > 5.0);
        for e in &l.edges {
            for (p, r) in [(e.start, l.nodes[e.src].rect), (e.end, l.nodes[e.dst].rect)] {
                let on_x = (p.x - r.x).abs() < 1e-6 || (p.x - r.right()).abs() < 1e-6;
                let on_y = (p.y - r.y).abs() < 1e-6 || (p.y - r.bottom()).abs() < 1e-6;
                assert!(r.expand(1e-6).contains_point(p) && (on_x || on_y), "{p:?} not on {r:?}");
            }
            assert!(e.d().starts_with('M') && e.d().contains('Q'));
        }
    }

    #[test]
    fn layout_survives_odd_models() {
        // Empty.
        let l = layout(&GraphModel::default());
        assert!(l.is_empty() && l.edges.is_empty());
        assert_eq!(l.bounds, Rect::default());
        // Dangling edges, self-loops, duplicate nodes, empty names, only externals.
        let model = GraphModel {
            nodes: vec![
                workload("", "", ""),
                workload("", "", ""),
                Node {
                    id: "1.2.3.4-1.2.3.4[External]".into(),
                    kind: NodeKind::External,
                },
                Node {
                    id: "garbage".into(),
                    kind: NodeKind::External,
                },
            ],
            edges: vec![
                edge("nowhere", "/[]", Change::Same),
                edge("/[]", "/[]", Change::Same),
                edge("garbage", "/[]", Change::Changed),
            ],
        };
        let l = layout(&model);
        assert_eq!(l.nodes.len(), 3);
        assert_eq!(l.edges.len(), 1);
        assert_eq!(l.nodes[0].label, "1.2.3.4");
        assert_legible(&l, &model);
        let only_side = GraphModel {
            nodes: model.nodes[2..].to_vec(),
            edges: vec![],
        };
        let l = layout(&only_side);
        assert!(l.groups.is_empty() && l.bounds.w > 0.0);
    }

    #[test]
    fn layout_view_box_zooms_about_the_pointer() {
        let fit = ViewBox::fit(Rect::new(0.0, 0.0, 2000.0, 1000.0));
        assert_eq!(
            fit,
            ViewBox {
                x: 0.0,
                y: 0.0,
                w: 2000.0,
                h: 1000.0
            }
        );
        // A 1000×800 pixel box: scale 0.5, letterboxed 150px top and bottom.
        let p = fit.to_user(250.0, 400.0, 1000.0, 800.0);
        assert!((p.x - 500.0).abs() < 1e-9 && (p.y - 500.0).abs() < 1e-9, "{p:?}");
        let z = fit.zoom_at(2.0, p, &fit);
        assert!((z.w - 1000.0).abs() < 1e-9 && (z.h - 500.0).abs() < 1e-9);
        let q = z.to_user(250.0, 400.0, 1000.0, 800.0);
        assert!(q.dist(p) < 1e-6, "the point under the pointer stays: {q:?}");
        // Clamped both ways.
        assert!((fit.zoom(1e-9, &fit).w - 8000.0).abs() < 1e-6);
        assert!((fit.zoom(1e9, &fit).w - 120.0).abs() < 1e-6);
        assert_eq!(fit.zoom(f64::NAN, &fit), fit);
        assert_eq!(
            fit.moved(10.0, -5.0),
            ViewBox {
                x: 10.0,
                y: -5.0,
                ..fit
            }
        );
        // A small graph is not blown up.
        let small = ViewBox::fit(Rect::new(0.0, 0.0, 100.0, 40.0));
        assert_eq!((small.w, small.h), (640.0, 400.0));
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(1.25), "1.3");
    }

    #[test]
    fn layout_truncates_by_characters() {
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("short", 6), "short");
        assert_eq!(truncate("", 0), "");
    }
}
