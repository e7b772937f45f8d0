//! Routing the arrows. Orthogonal routes go around boxes: the free space is a sparse grid
//! of lines just outside every box and namespace title (the "channels"), and each arrow
//! is a cheapest path on it from a side of its source to a side of its destination, where
//! a bend and entering a foreign namespace cost extra (A* over position × direction).
//! Arrows sharing a channel are then nudged apart so each stays visible. Pictures too big
//! for that ([`ORTHO_MAX_NODES`], [`ORTHO_MAX_EDGES`]) get gentle curves that bend away
//! from boxes, as before.

use super::geometry::{quad, Point, Rect};
use super::{EdgePath, Layout};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// Orthogonal routing up to this many boxes …
pub const ORTHO_MAX_NODES: usize = 120;
/// … and this many arrows.
pub const ORTHO_MAX_EDGES: usize = 400;
/// Clearance between an arrow and a box.
const CLEAR: f64 = 12.0;
/// What a box blocks (a little more than itself).
const BLOCK: f64 = 6.0;
/// Cost of a bend, in layout units of length.
const BEND: f64 = 36.0;
/// Cost of entering or leaving a namespace that holds neither end.
const FOREIGN_GROUP: f64 = 160.0;
/// Spacing of arrows nudged apart in a shared channel.
const NUDGE: f64 = 5.0;

/// Directions: +x, +y, −x, −y.
const DIRS: [(i32, i32); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

#[inline(never)]
pub fn route(l: &mut Layout) {
    if l.edges.is_empty() {
        return;
    }
    if l.nodes.len() <= ORTHO_MAX_NODES && l.edges.len() <= ORTHO_MAX_EDGES {
        let grid = Grid::new(l);
        for i in 0..l.edges.len() {
            let (s, d) = (l.edges[i].src, l.edges[i].dst);
            match grid.path(l, s, d) {
                Some(points) => {
                    l.edges[i].points = points;
                    l.edges[i].curved = false;
                }
                None => curve_edge(l, i, None),
            }
        }
        nudge(&mut l.edges);
    } else {
        let obstacles = (l.edges.len() <= 1500).then(|| Obstacles::new(l));
        for i in 0..l.edges.len() {
            curve_edge(l, i, obstacles.as_ref());
        }
    }
    for e in &mut l.edges {
        e.mid = midpoint(e);
    }
}

/// Where a badge goes: the middle of the longest inner segment (or of the curve).
fn midpoint(e: &EdgePath) -> Point {
    if e.curved && e.points.len() == 3 {
        return quad(e.points[0], e.points[1], e.points[2], 0.5);
    }
    let n = e.points.len();
    let inner = if n > 3 { 1..n - 2 } else { 0..n.saturating_sub(1) };
    inner
        .map(|i| (e.points[i], e.points[i + 1]))
        .max_by(|a, b| a.0.dist(a.1).total_cmp(&b.0.dist(b.1)))
        .map(|(a, b)| Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Orthogonal routing.

struct Grid {
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Whether each grid point (y-major) is free.
    free: Vec<bool>,
    /// Bit g: the point is inside group g (first 64 groups).
    inside: Vec<u64>,
}

fn snap(v: f64) -> f64 {
    (v * 2.0).round() / 2.0
}

impl Grid {
    #[inline(never)]
    fn new(l: &Layout) -> Grid {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let mut blocked: Vec<Rect> = Vec::new();
        for n in &l.nodes {
            let r = n.rect;
            xs.extend([r.x - CLEAR, r.right() + CLEAR, r.center().x]);
            ys.extend([r.y - CLEAR, r.bottom() + CLEAR, r.center().y]);
            blocked.push(r.expand(BLOCK));
        }
        for g in &l.groups {
            let r = g.rect;
            let h = g.header();
            xs.extend([r.x - CLEAR, r.right() + CLEAR, r.center().x]);
            ys.extend([r.y - CLEAR, r.bottom() + CLEAR, h.center().y, h.bottom() + 3.0]);
            blocked.push(Rect::new(h.x, h.y, h.w, h.h - 2.0));
        }
        let all = l
            .nodes
            .iter()
            .map(|n| n.rect)
            .chain(l.groups.iter().map(|g| g.rect))
            .reduce(|a, b| a.union(&b))
            .unwrap_or_default();
        xs.extend([all.x - 3.0 * CLEAR, all.right() + 3.0 * CLEAR]);
        ys.extend([all.y - 3.0 * CLEAR, all.bottom() + 3.0 * CLEAR]);
        for v in [&mut xs, &mut ys] {
            for x in v.iter_mut() {
                *x = snap(*x);
            }
            netplay_core::sorting::sort_by(v, f64::total_cmp);
            v.dedup();
        }
        let mut free = Vec::with_capacity(xs.len() * ys.len());
        let mut inside = Vec::with_capacity(xs.len() * ys.len());
        for &y in &ys {
            for &x in &xs {
                let p = Point::new(x, y);
                free.push(!blocked.iter().any(|r| strictly_inside(r, p)));
                let mut mask = 0u64;
                for (g, group) in l.groups.iter().take(64).enumerate() {
                    if strictly_inside(&group.rect, p) {
                        mask |= 1 << g;
                    }
                }
                inside.push(mask);
            }
        }
        Grid { xs, ys, free, inside }
    }

    fn index(&self, x: f64, y: f64) -> Option<usize> {
        let xi = self.xs.binary_search_by(|v| v.total_cmp(&snap(x))).ok()?;
        let yi = self.ys.binary_search_by(|v| v.total_cmp(&snap(y))).ok()?;
        Some(yi * self.xs.len() + xi)
    }

    fn point(&self, v: usize) -> Point {
        let nx = self.xs.len();
        Point::new(self.xs[v % nx], self.ys[v / nx])
    }

    fn neighbour(&self, v: usize, d: usize) -> Option<usize> {
        let nx = self.xs.len() as i64;
        let (x, y) = ((v as i64) % nx, (v as i64) / nx);
        let (dx, dy) = DIRS[d];
        let (x2, y2) = (x + dx as i64, y + dy as i64);
        if x2 < 0 || y2 < 0 || x2 >= nx || y2 >= self.ys.len() as i64 {
            return None;
        }
        let w = (y2 * nx + x2) as usize;
        (self.free[v] && self.free[w]).then_some(w)
    }

    /// The ports of a box: (side point on the border, its stub just outside, the
    /// direction leaving the box).
    fn ports(&self, r: Rect) -> Vec<(Point, usize, usize)> {
        let c = r.center();
        [
            (Point::new(r.right(), c.y), Point::new(r.right() + CLEAR, c.y), 0),
            (Point::new(c.x, r.bottom()), Point::new(c.x, r.bottom() + CLEAR), 1),
            (Point::new(r.x, c.y), Point::new(r.x - CLEAR, c.y), 2),
            (Point::new(c.x, r.y), Point::new(c.x, r.y - CLEAR), 3),
        ]
        .into_iter()
        .filter_map(|(port, stub, dir)| {
            let v = self.index(stub.x, stub.y)?;
            self.free[v].then_some((port, v, dir))
        })
        .collect()
    }

    /// The cheapest orthogonal route from box `s` to box `d`, as points from a port of
    /// `s` to a port of `d`.
    #[inline(never)]
    fn path(&self, l: &Layout, s: usize, d: usize) -> Option<Vec<Point>> {
        let (sr, dr) = (l.nodes.get(s)?.rect, l.nodes.get(d)?.rect);
        let group_of = |n: usize| -> u64 {
            l.groups
                .iter()
                .take(64)
                .enumerate()
                .filter(|(_, g)| g.nodes.contains(&n))
                .fold(0u64, |m, (i, _)| m | 1 << i)
        };
        let own = group_of(s) | group_of(d);
        let starts = self.ports(sr);
        let goals = self.ports(dr);
        if starts.is_empty() || goals.is_empty() {
            return None;
        }
        let goal_points: Vec<Point> = goals.iter().map(|g| self.point(g.1)).collect();
        let h = |v: usize| {
            let p = self.point(v);
            goal_points
                .iter()
                .map(|g| (g.x - p.x).abs() + (g.y - p.y).abs())
                .fold(f64::INFINITY, f64::min)
        };
        // A* over (grid point, direction).
        let n = self.free.len() * 4;
        let mut best = vec![f64::INFINITY; n];
        let mut from = vec![usize::MAX; n];
        let mut heap = BinaryHeap::new();
        for &(_, v, dir) in &starts {
            let st = v * 4 + dir;
            best[st] = 0.0;
            heap.push(Open {
                f: h(v),
                g: 0.0,
                state: st,
            });
        }
        let mut reached = None;
        while let Some(Open { g, state, .. }) = heap.pop() {
            if g > best[state] {
                continue;
            }
            let (v, dir) = (state / 4, state % 4);
            // Arrived: at a stub of the destination, heading into it.
            if let Some(goal) = goals.iter().find(|(_, gv, gd)| *gv == v && (gd + 2) % 4 == dir) {
                reached = Some((state, goal.0));
                break;
            }
            let mut moves: Vec<(usize, f64)> = Vec::with_capacity(3);
            if let Some(w) = self.neighbour(v, dir) {
                let len = self.point(v).dist(self.point(w));
                let crossed = ((self.inside[v] ^ self.inside[w]) & !own).count_ones() as f64;
                moves.push((w * 4 + dir, len + crossed * FOREIGN_GROUP));
            }
            for turn in [1, 3] {
                moves.push((v * 4 + (dir + turn) % 4, BEND));
            }
            for (next, cost) in moves {
                let g2 = g + cost;
                if g2 < best[next] {
                    best[next] = g2;
                    from[next] = state;
                    heap.push(Open {
                        f: g2 + h(next / 4),
                        g: g2,
                        state: next,
                    });
                }
            }
        }
        let (mut state, end_port) = reached?;
        let mut points = vec![end_port];
        loop {
            let p = self.point(state / 4);
            if points.last().is_none_or(|q| q.dist(p) > 1e-9) {
                points.push(p);
            }
            let prev = from[state];
            if prev == usize::MAX {
                break;
            }
            state = prev;
        }
        // The start port: the side the route leaves from.
        let first = self.point(state / 4);
        let port = starts
            .iter()
            .find(|(_, v, _)| self.point(*v).dist(first) < 1e-9)
            .map(|p| p.0)?;
        points.push(port);
        points.reverse();
        Some(simplify(points))
    }
}

fn strictly_inside(r: &Rect, p: Point) -> bool {
    p.x > r.x && p.x < r.right() && p.y > r.y && p.y < r.bottom()
}

/// Drops points in the middle of straight runs.
fn simplify(points: Vec<Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points {
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            let collinear = ((a.x - b.x).abs() < 1e-9 && (b.x - p.x).abs() < 1e-9)
                || ((a.y - b.y).abs() < 1e-9 && (b.y - p.y).abs() < 1e-9);
            if collinear {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

#[derive(PartialEq)]
struct Open {
    f: f64,
    g: f64,
    state: usize,
}

impl Eq for Open {}

impl Ord for Open {
    fn cmp(&self, other: &Self) -> Ordering {
        // A min-heap on f, then on the state for determinism.
        other.f.total_cmp(&self.f).then_with(|| other.state.cmp(&self.state))
    }
}

impl PartialOrd for Open {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A segment of an arrow on a line: (arrow, segment index, from, to along the line).
type Segment = (usize, usize, f64, f64);

/// Spreads apart the segments of different arrows that run along the same line and
/// overlap (an opposite pair, arrows sharing a channel), so every arrow stays visible.
#[inline(never)]
fn nudge(edges: &mut [EdgePath]) {
    // (vertical?, coordinate) -> [(edge, segment, lo, hi)]
    let mut lines: HashMap<(bool, i64), Vec<Segment>> = HashMap::new();
    for (ei, e) in edges.iter().enumerate() {
        if e.curved || e.points.len() < 2 {
            continue;
        }
        // Every segment: moving one keeps it on its box's side (the shift is less than
        // half a box) and keeps its neighbours orthogonal.
        for si in 0..e.points.len() - 1 {
            let (a, b) = (e.points[si], e.points[si + 1]);
            let vertical = (a.x - b.x).abs() < 1e-9;
            let (coord, lo, hi) = if vertical {
                (a.x, a.y.min(b.y), a.y.max(b.y))
            } else {
                (a.y, a.x.min(b.x), a.x.max(b.x))
            };
            lines
                .entry((vertical, (coord * 2.0).round() as i64))
                .or_default()
                .push((ei, si, lo, hi));
        }
    }
    let mut keys: Vec<(bool, i64)> = lines.keys().copied().collect();
    netplay_core::sorting::sort(&mut keys);
    for key in keys {
        let Some(mut segs) = lines.remove(&key) else { continue };
        netplay_core::sorting::sort_by(&mut segs, |a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
        // Clusters of overlapping segments.
        let mut i = 0;
        while i < segs.len() {
            let mut j = i + 1;
            let mut hi = segs[i].3;
            while j < segs.len() && segs[j].2 < hi - 1e-9 {
                hi = hi.max(segs[j].3);
                j += 1;
            }
            let k = j - i;
            if k > 1 {
                // Never more than the clearance away: a nudged arrow stays off the boxes.
                let step = NUDGE.min(2.0 * (CLEAR - 2.0) / (k - 1) as f64);
                for (n, &(ei, si, _, _)) in segs[i..j].iter().enumerate() {
                    let off = (n as f64 - (k - 1) as f64 / 2.0) * step;
                    let pts = &mut edges[ei].points;
                    for p in [si, si + 1] {
                        if key.0 {
                            pts[p].x += off;
                        } else {
                            pts[p].y += off;
                        }
                    }
                }
            }
            i = j;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Curves, for pictures too big to route.

/// Node rectangles (index = node index) and the namespace titles after them, in a coarse
/// grid, to find what a curve would cross.
struct Obstacles {
    rects: Vec<Rect>,
    grid: HashMap<(i64, i64), Vec<usize>>,
}

const OBSTACLE_CELL: f64 = 128.0;

impl Obstacles {
    fn new(l: &Layout) -> Self {
        let mut rects: Vec<Rect> = l.nodes.iter().map(|n| n.rect.expand(3.0)).collect();
        rects.extend(l.groups.iter().map(|g| g.header()));
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

    /// How many boxes other than `src` and `dst`, and titles, the curve passes through
    /// (counting stops at `limit`).
    fn crossings(&self, c: &[Point; 3], src: usize, dst: usize, limit: usize) -> usize {
        let len = c[0].dist(c[1]) + c[1].dist(c[2]);
        let samples = ((len / 20.0).ceil() as usize).clamp(8, 100);
        let mut hit: Vec<usize> = Vec::new();
        for k in 1..samples {
            let p = quad(c[0], c[1], c[2], k as f64 / samples as f64);
            for &i in self.grid.get(&Self::cell(p)).map(Vec::as_slice).unwrap_or(&[]) {
                if i != src && i != dst && !hit.contains(&i) && self.rects.get(i).is_some_and(|r| r.contains_point(p)) {
                    hit.push(i);
                    if hit.len() >= limit {
                        return limit;
                    }
                }
            }
        }
        hit.len()
    }
}

/// The curve from `a` to `b` whose control point is `bend` away from the middle along
/// the unit normal (`nx`, `ny`); it starts and ends on the borders.
fn curve(a: Rect, b: Rect, nx: f64, ny: f64, bend: f64) -> [Point; 3] {
    let (ca, cb) = (a.center(), b.center());
    let control = Point::new((ca.x + cb.x) / 2.0 + nx * bend, (ca.y + cb.y) / 2.0 + ny * bend);
    [a.border_toward(control), control, b.border_toward(control)]
}

/// A curve bending to the left of the direction of travel (so the two arrows of an
/// opposite pair bend apart), bent further (or to the other side) around boxes.
fn curve_edge(l: &mut Layout, i: usize, obstacles: Option<&Obstacles>) {
    let (s, d, has_reverse) = (l.edges[i].src, l.edges[i].dst, l.edges[i].has_reverse);
    let (Some(a), Some(b)) = (l.nodes.get(s).map(|n| n.rect), l.nodes.get(d).map(|n| n.rect)) else {
        return;
    };
    let (ca, cb) = (a.center(), b.center());
    let (dx, dy) = (cb.x - ca.x, cb.y - ca.y);
    let len = (dx * dx + dy * dy).sqrt();
    let (lx, ly) = if len < 1e-9 { (0.0, -1.0) } else { (dy / len, -dx / len) };
    let gentle = (len * 0.2).clamp(if has_reverse { 24.0 } else { 16.0 }, 90.0);
    let mut chosen = curve(a, b, lx, ly, gentle);
    if let Some(obs) = obstacles {
        let mut best = obs.crossings(&chosen, s, d, usize::MAX);
        if best > 0 {
            let sides: &[f64] = if has_reverse { &[1.0] } else { &[1.0, -1.0] };
            'search: for factor in [0.35, 0.5, 0.7] {
                let b2 = (len * factor).max(gentle);
                for &sd in sides {
                    let c = curve(a, b, lx * sd, ly * sd, b2);
                    let n = obs.crossings(&c, s, d, best);
                    if n < best {
                        (best, chosen) = (n, c);
                        if n == 0 {
                            break 'search;
                        }
                    }
                }
            }
        }
    }
    l.edges[i].points = chosen.to_vec();
    l.edges[i].curved = true;
}

#[cfg(test)]
mod tests {
    use super::super::placement::{layout, LayoutOptions};
    use super::*;
    use crate::view_model::{Change, Edge, GraphModel, Node, NodeKind};

    fn workload(ns: &str, name: &str) -> Node {
        Node {
            id: format!("{ns}/{name}[Deployment]"),
            kind: NodeKind::Workload {
                namespace: ns.into(),
                name: name.into(),
                kind: "Deployment".into(),
            },
        }
    }

    fn crosses(a: Point, b: Point, r: &Rect) -> bool {
        // Sample the segment.
        (1..50).any(|k| {
            let t = k as f64 / 50.0;
            strictly_inside(r, Point::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
        })
    }

    #[test]
    fn orthogonal_routes_avoid_every_box_but_their_ends() {
        let nodes: Vec<Node> = (0..4)
            .flat_map(|n| (0..4).map(move |i| workload(&format!("ns-{n}"), &format!("w-{i}"))))
            .collect();
        let mut edges = Vec::new();
        for (i, a) in nodes.iter().enumerate() {
            for (j, b) in nodes.iter().enumerate() {
                if (i * 7 + j * 3) % 5 == 0 && i != j {
                    edges.push(Edge {
                        src: a.id.clone(),
                        dst: b.id.clone(),
                        conn: Some("TCP 80".into()),
                        old: None,
                        change: Change::Same,
                    });
                }
            }
        }
        let l = layout(&GraphModel { nodes, edges }, &LayoutOptions::default());
        assert!(!l.edges.is_empty());
        for e in &l.edges {
            assert!(!e.curved, "routed orthogonally");
            for w in e.points.windows(2) {
                let (a, b) = (w[0], w[1]);
                assert!(
                    (a.x - b.x).abs() < 1e-6 || (a.y - b.y).abs() < 1e-6,
                    "not orthogonal: {a:?} {b:?}"
                );
                for (k, n) in l.nodes.iter().enumerate() {
                    if k != e.src && k != e.dst {
                        assert!(
                            !crosses(a, b, &n.rect),
                            "{} → {} crosses {}",
                            l.nodes[e.src].id,
                            l.nodes[e.dst].id,
                            n.id
                        );
                    }
                }
                for g in &l.groups {
                    assert!(!crosses(a, b, &g.header()), "crosses the title of {}", g.namespace);
                }
            }
            // Starts and ends on the borders of its boxes.
            let (s, d) = (l.nodes[e.src].rect, l.nodes[e.dst].rect);
            assert!(s.expand(1e-6).contains_point(e.start()) && !strictly_inside(&s, e.start()));
            assert!(d.expand(1e-6).contains_point(e.end()) && !strictly_inside(&d, e.end()));
            assert!(e.d().starts_with('M'));
        }
    }
}
