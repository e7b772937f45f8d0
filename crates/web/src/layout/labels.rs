//! Connection labels placed where they overlap no box, namespace title, change badge or
//! other label: candidates along each arrow (the middle of its segments, longest first),
//! the first free one wins, and an arrow without a free spot goes without a label (its
//! tooltip and the matrix still say it). Labels are placed for pictures of up to
//! [`LABELS_MAX`] arrows; busier ones stay unlabelled.

use super::geometry::{quad, truncate, Point, Rect};
use super::{EdgePath, Layout};
use crate::view_model::{Change, Edge, GraphModel};
use netplay_core::present::{conn_union, short_conn};

/// Up to this many arrows, each gets a label where one fits.
pub const LABELS_MAX: usize = 40;
/// Edge labels longer than this are cut (the full text is in the tooltip).
const LABEL_CHARS: usize = 34;
/// Average glyph width of the label font (11px).
const CHAR_W: f64 = 6.4;
const LABEL_H: f64 = 15.0;

/// The text written on one connection's arrow: the connection unless it is `All
/// Connections`; for a removed one, what it was.
pub fn edge_label(e: &Edge) -> Option<String> {
    let text = match e.change {
        Change::Removed => format!("was {}", short_conn(e.old.as_deref()?)),
        _ => {
            let c = e.conn.as_deref()?;
            if c == "All Connections" || c.is_empty() {
                return None;
            }
            c.to_string()
        }
    };
    Some(truncate(&text, LABEL_CHARS))
}

/// The label of an arrow: one connection's text, or for an aggregate how many it holds
/// and the ports some of them use (core's `present::conn_union`), e.g. `12 · TCP 8080`.
pub fn arrow_label(p: &EdgePath, model: &GraphModel) -> Option<String> {
    match p.single() {
        Some(i) => model.edges.get(i).and_then(edge_label),
        None => Some(truncate(&aggregate_label(p, model), LABEL_CHARS)),
    }
}

/// An aggregate arrow's label before it is cut to fit: how many connections and the
/// union of their ports. Its accessible name starts with it (the visible text is part of
/// the name).
pub fn aggregate_label(p: &EdgePath, model: &GraphModel) -> String {
    let conns = p.edges.iter().filter_map(|&i| model.edges.get(i)?.conn.as_deref());
    format!("{} · {}", p.edges.len(), short_conn(&conn_union(conns)))
}

/// The box a label centred at `at` takes.
pub fn label_box(text: &str, at: Point) -> Rect {
    let w = text.chars().count() as f64 * CHAR_W + 8.0;
    Rect::new(at.x - w / 2.0, at.y - LABEL_H / 2.0, w, LABEL_H)
}

/// Candidate centres for a label along an arrow, best first.
fn candidates(p: &EdgePath, text: &str) -> Vec<Point> {
    let w = text.chars().count() as f64 * CHAR_W + 8.0;
    if p.curved && p.points.len() == 3 {
        let (a, c, b) = (p.points[0], p.points[1], p.points[2]);
        return [0.5, 0.38, 0.62, 0.28, 0.72]
            .iter()
            .flat_map(|&t| {
                let m = quad(a, c, b, t);
                [Point::new(m.x, m.y - 10.0), Point::new(m.x, m.y + 10.0)]
            })
            .collect();
    }
    let mut segs: Vec<(Point, Point)> = p.points.windows(2).map(|w| (w[0], w[1])).collect();
    netplay_core::sorting::sort_by(&mut segs, |a, b| b.0.dist(b.1).total_cmp(&a.0.dist(a.1)));
    let mut out = Vec::new();
    for (a, b) in segs {
        let vertical = (a.x - b.x).abs() < 1e-9;
        for t in [0.5, 0.3, 0.7] {
            let m = Point::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
            for gap in [4.0, 16.0] {
                if vertical {
                    out.push(Point::new(m.x + w / 2.0 + gap, m.y));
                    out.push(Point::new(m.x - w / 2.0 - gap, m.y));
                } else {
                    out.push(Point::new(m.x, m.y - 5.0 - gap));
                    out.push(Point::new(m.x, m.y + 5.0 + gap));
                }
            }
        }
    }
    out
}

/// Places the labels of a layout (see the module comment).
#[inline(never)]
pub fn place(l: &mut Layout, model: &GraphModel) {
    if l.edges.len() > LABELS_MAX {
        return;
    }
    let mut taken: Vec<Rect> = l.nodes.iter().map(|n| n.rect.expand(2.0)).collect();
    taken.extend(l.groups.iter().map(|g| g.header()));
    for e in &l.edges {
        let changed = e
            .edges
            .iter()
            .any(|&i| model.edges.get(i).is_some_and(|m| m.change != Change::Same));
        if changed {
            taken.push(Rect::new(e.mid.x - 9.0, e.mid.y - 9.0, 18.0, 18.0));
        }
    }
    for i in 0..l.edges.len() {
        let Some(text) = arrow_label(&l.edges[i], model) else {
            continue;
        };
        let spot = candidates(&l.edges[i], &text).into_iter().find(|&c| {
            let r = label_box(&text, c);
            !taken.iter().any(|t| t.overlaps(&r))
        });
        if let Some(c) = spot {
            let r = label_box(&text, c);
            taken.push(r);
            l.edges[i].label_at = Some(c);
            l.edges[i].label_rect = Some(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::placement::{layout, LayoutOptions};
    use super::*;
    use crate::view_model::{Node, NodeKind};

    #[test]
    fn labels_overlap_nothing() {
        let nodes: Vec<Node> = (0..3)
            .flat_map(|n| {
                (0..3).map(move |i| Node {
                    id: format!("ns-{n}/w-{i}[Pod]"),
                    kind: NodeKind::Workload {
                        namespace: format!("ns-{n}"),
                        name: format!("w-{i}"),
                        kind: "Pod".into(),
                    },
                })
            })
            .collect();
        let mut edges = Vec::new();
        for a in 0..nodes.len() {
            for b in 0..nodes.len() {
                if a != b && (a + 2 * b) % 4 == 0 {
                    edges.push(Edge {
                        src: nodes[a].id.clone(),
                        dst: nodes[b].id.clone(),
                        conn: Some("TCP 8080,UDP 53".into()),
                        old: None,
                        change: Change::Same,
                    });
                }
            }
        }
        let model = GraphModel { nodes, edges };
        let l = layout(&model, &LayoutOptions::default());
        let boxes: Vec<Rect> = l
            .edges
            .iter()
            .filter_map(|e| Some(label_box(&arrow_label(e, &model)?, e.label_at?)))
            .collect();
        assert!(
            boxes.len() >= l.edges.len() / 2,
            "most arrows get a label: {} of {}",
            boxes.len(),
            l.edges.len()
        );
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!a.overlaps(b), "labels overlap: {a:?} {b:?}");
            }
            for n in &l.nodes {
                assert!(!a.overlaps(&n.rect), "a label covers {}", n.id);
            }
            assert!(l.bounds.contains(a), "a label is cut at the edge of the picture");
        }
    }
}
