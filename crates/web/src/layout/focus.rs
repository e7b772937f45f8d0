//! One endpoint's neighbourhood: the selected endpoint in the middle, who reaches it on
//! the left, whom it reaches on the right (a peer that does both stands on the right with
//! an arrow each way), every arrow labelled beside its peer. Nothing else is drawn, so a
//! workload with forty peers is still readable.

use super::geometry::{fits, truncate, Point, Rect};
use super::labels::{edge_label, label_box};
use super::{EdgePath, Layout, NodeBox, NodeRole, LABEL_CHAR_W, NODE_H, NODE_W, SIDE_W};
use crate::view_model::{natural_cmp, GraphModel, Node, NodeKind};
use std::collections::BTreeSet;

/// Vertical gap between peers.
const GAP_Y: f64 = 22.0;
/// Horizontal distance between the columns (room for the labels).
const SPAN: f64 = 260.0;

fn node_box(n: &Node, rect: Rect) -> NodeBox {
    let (role, label, sublabel, namespace) = match &n.kind {
        NodeKind::Workload { namespace, name, kind } => (
            NodeRole::Workload,
            name.clone(),
            format!("{kind} · {namespace}"),
            Some(namespace.clone()),
        ),
        NodeKind::External => (
            NodeRole::External,
            netplay_core::present::external_range_text(&n.id).unwrap_or_else(|| n.id.clone()),
            "External".to_string(),
            None,
        ),
        NodeKind::IngressController => (
            NodeRole::Ingress,
            n.id.trim_start_matches('{').trim_end_matches('}').to_string(),
            "Ingress".to_string(),
            None,
        ),
    };
    NodeBox {
        id: n.id.clone(),
        role,
        namespace,
        label: truncate(&label, fits(rect.w, LABEL_CHAR_W)),
        sublabel: truncate(&sublabel, fits(rect.w, LABEL_CHAR_W * 0.85)),
        title: n.id.clone(),
        rect,
        members: vec![n.id.clone()],
    }
}

fn sort_key(n: &Node) -> (u8, String, String) {
    match &n.kind {
        NodeKind::Workload { namespace, name, .. } => (0, namespace.clone(), name.clone()),
        NodeKind::External => (1, String::new(), n.id.clone()),
        NodeKind::IngressController => (2, String::new(), n.id.clone()),
    }
}

/// The neighbourhood of `selected` (an endpoint id); empty when it is not in the model.
pub fn focus_layout(model: &GraphModel, selected: &str) -> Layout {
    let mut out = Layout::default();
    let Some(center) = model.nodes.iter().find(|n| n.id == selected) else {
        return out;
    };
    let sources: BTreeSet<&str> = model
        .edges
        .iter()
        .filter(|e| e.dst == selected && e.src != selected)
        .map(|e| e.src.as_str())
        .collect();
    let targets: BTreeSet<&str> = model
        .edges
        .iter()
        .filter(|e| e.src == selected && e.dst != selected)
        .map(|e| e.dst.as_str())
        .collect();
    let peers = |ids: &BTreeSet<&str>, exclude: &BTreeSet<&str>| -> Vec<&Node> {
        let mut v: Vec<&Node> = model
            .nodes
            .iter()
            .filter(|n| ids.contains(n.id.as_str()) && !exclude.contains(n.id.as_str()))
            .collect();
        netplay_core::sorting::sort_by(&mut v, |a, b| {
            let (ka, kb) = (sort_key(a), sort_key(b));
            ka.0.cmp(&kb.0)
                .then_with(|| natural_cmp(&ka.1, &kb.1))
                .then_with(|| natural_cmp(&ka.2, &kb.2))
        });
        v.dedup_by(|a, b| a.id == b.id);
        v
    };
    let left = peers(&sources, &targets);
    let right = peers(&targets, &BTreeSet::new());
    let column_h = |n: usize| n as f64 * NODE_H + n.saturating_sub(1) as f64 * GAP_Y;
    let tallest = column_h(left.len()).max(column_h(right.len())).max(NODE_H);
    let w = SIDE_W;
    let (lx, cx, rx) = (0.0, w + SPAN, w + SPAN + NODE_W + SPAN);
    let mid_y = tallest / 2.0;
    out.nodes
        .push(node_box(center, Rect::new(cx, mid_y - NODE_H / 2.0, NODE_W, NODE_H)));
    let place = |nodes: &[&Node], x: f64, out: &mut Layout| -> Vec<usize> {
        let top = (tallest - column_h(nodes.len())) / 2.0;
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                out.nodes
                    .push(node_box(n, Rect::new(x, top + i as f64 * (NODE_H + GAP_Y), w, NODE_H)));
                out.nodes.len() - 1
            })
            .collect()
    };
    place(&left, lx, &mut out);
    place(&right, rx, &mut out);

    // Arrows: straight-ish curves between the facing sides, labelled beside the peer.
    arrows(&mut out, model, selected, (&sources, &targets));
    out.finish_bounds();
    out
}

/// The arrows between the centre (box 0) and each peer box: straight-ish curves between
/// the facing sides, labelled beside the peer; a peer that is both source and target gets
/// two arrows a little apart.
fn arrows(
    out: &mut Layout,
    model: &GraphModel,
    selected: &str,
    (sources, targets): (&BTreeSet<&str>, &BTreeSet<&str>),
) {
    let c = out.nodes[0].rect;
    for (i, e) in model.edges.iter().enumerate() {
        let (peer, outgoing) = if e.src == selected && e.dst != selected {
            (e.dst.as_str(), true)
        } else if e.dst == selected && e.src != selected {
            (e.src.as_str(), false)
        } else {
            continue;
        };
        let Some(pi) = out.nodes.iter().skip(1).position(|n| n.id == peer).map(|p| p + 1) else {
            continue;
        };
        let pr = out.nodes[pi].rect;
        let on_right = pr.x > c.x;
        let both = sources.contains(peer) && targets.contains(peer);
        // Two arrows between the same boxes run a little apart.
        let lane = if both {
            if outgoing {
                -8.0
            } else {
                8.0
            }
        } else {
            0.0
        };
        let (peer_side, center_side) = if on_right {
            (
                Point::new(pr.x, pr.center().y + lane),
                Point::new(c.right(), c.center().y + lane),
            )
        } else {
            (Point::new(pr.right(), pr.center().y), Point::new(c.x, c.center().y))
        };
        let (start, end) = if outgoing {
            (center_side, peer_side)
        } else {
            (peer_side, center_side)
        };
        let control = Point::new((start.x + end.x) / 2.0, (start.y + end.y) / 2.0);
        let (src, dst) = if outgoing { (0, pi) } else { (pi, 0) };
        let text = edge_label(e);
        let (label_at, label_rect) = match &text {
            Some(t) => {
                let probe = label_box(t, Point::default());
                let x = if on_right {
                    pr.x - probe.w / 2.0 - 10.0
                } else {
                    pr.right() + probe.w / 2.0 + 10.0
                };
                let y = peer_side.y + if both && !outgoing { 10.0 } else { -10.0 };
                let at = Point::new(x, y);
                (Some(at), Some(label_box(t, at)))
            }
            None => (None, None),
        };
        out.edges.push(EdgePath {
            edges: vec![i],
            src,
            dst,
            points: vec![start, control, end],
            curved: true,
            mid: control,
            label_at,
            label_rect,
            has_reverse: both,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view_model::{Change, Edge};

    fn pod(ns: &str, name: &str) -> Node {
        Node {
            id: format!("{ns}/{name}[Pod]"),
            kind: NodeKind::Workload {
                namespace: ns.into(),
                name: name.into(),
                kind: "Pod".into(),
            },
        }
    }

    fn edge(a: &Node, b: &Node) -> Edge {
        Edge {
            src: a.id.clone(),
            dst: b.id.clone(),
            conn: Some("TCP 80".into()),
            old: None,
            change: Change::Same,
        }
    }

    #[test]
    fn neighbourhood_only_sources_left_targets_right() {
        let (a, b, c, d, far) = (
            pod("x", "a"),
            pod("x", "b"),
            pod("y", "c"),
            pod("y", "d"),
            pod("z", "far"),
        );
        let model = GraphModel {
            nodes: vec![a.clone(), b.clone(), c.clone(), d.clone(), far.clone()],
            edges: vec![edge(&b, &a), edge(&a, &c), edge(&a, &d), edge(&d, &a), edge(&far, &b)],
        };
        let l = focus_layout(&model, &a.id);
        let ids: Vec<&str> = l.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            [a.id.as_str(), b.id.as_str(), c.id.as_str(), d.id.as_str()],
            "no far node"
        );
        assert!(l.nodes[1].rect.x < l.nodes[0].rect.x && l.nodes[2].rect.x > l.nodes[0].rect.x);
        assert_eq!(l.edges.len(), 4);
        let labels: Vec<Rect> = l.edges.iter().filter_map(|e| e.label_rect).collect();
        for (i, r) in labels.iter().enumerate() {
            for o in &labels[i + 1..] {
                assert!(!r.overlaps(o));
            }
            for n in &l.nodes {
                assert!(!r.overlaps(&n.rect));
            }
        }
        assert!(focus_layout(&model, "missing").is_empty());
    }
}
