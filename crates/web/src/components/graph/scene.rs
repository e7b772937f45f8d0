//! Drawing a layout as SVG elements styled by `www/graph.css`: namespace groups (with a
//! collapse button in their title), arrows with change badges and labels, boxes, and the
//! path of a simulated mesh request on top.

use super::export::node_rx;
use super::texts::arrow_title;
use crate::layout::labels::arrow_label;
use crate::layout::{aggregate_change, change_badge, change_name, num, EdgePath, Layout};
use crate::view_model::{GraphModel, PathHop};
use std::rc::Rc;
use yew::prelude::*;

/// The layout together with the model it was computed from; compared by address so
/// that panning (which re-renders the frame) does not re-render thousands of arrows.
pub struct Scene {
    pub layout: Layout,
    pub model: Rc<GraphModel>,
}

#[derive(Properties)]
pub struct SceneProps {
    pub scene: Rc<Scene>,
    /// The selected endpoint (highlighted).
    pub selected: Option<String>,
    /// The admin tiers that decide each pair (marked on its arrow).
    pub tiers: Rc<super::TierMarks>,
    /// Observed flows, drawn over the arrows.
    pub flows: Rc<crate::components::flows::FlowMarks>,
}

impl PartialEq for SceneProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.scene, &other.scene)
            && self.selected == other.selected
            && Rc::ptr_eq(&self.tiers, &other.tiers)
            && Rc::ptr_eq(&self.flows, &other.flows)
    }
}

const MARKERS: [crate::view_model::Change; 4] = [
    crate::view_model::Change::Same,
    crate::view_model::Change::Added,
    crate::view_model::Change::Removed,
    crate::view_model::Change::Changed,
];

/// The drawing itself; re-rendered only when the layout or the selection changes.
// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component]
pub fn GraphScene(props: &SceneProps) -> Html {
    let l = &props.scene.layout;
    let model = &props.scene.model;
    let markers = MARKERS.map(|c| {
        let name = change_name(c);
        html! {
            <marker id={format!("np-arrow-{name}")} class={format!("arrow arrow-{name}")} viewBox="0 0 10 10"
                refX="9" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse"
                orient="auto">
                <path d="M0 0L10 5L0 10z" />
            </marker>
        }
    });

    let groups = l.groups.iter().map(|g| {
        let r = g.rect;
        html! {
            <g class="ns-group" data-namespace={g.namespace.clone()}>
                <title>{format!("namespace {}", g.namespace)}</title>
                <rect x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx="10" />
                <g class="ns-toggle" data-collapse={g.namespace.clone()} role="button" tabindex="0"
                    aria-label={format!("Collapse namespace {}", g.namespace)}>
                    <rect class="ns-toggle-hit" x={num(r.x + 4.0)} y={num(r.y + 3.0)} width={num((r.w - 8.0).max(24.0))} height="24" rx="5" />
                    <text class="ns-label" x={num(r.x + 12.0)} y={num(r.y + 20.0)}>{format!("▾ {}", g.label)}</text>
                </g>
            </g>
        }
    });

    let arrow = |p: &EdgePath| -> Html {
        let change = aggregate_change(p.edges.iter().filter_map(|&i| model.edges.get(i)).map(|e| e.change));
        let name = change_name(change);
        let title = arrow_title(p, l, model);
        let (src, dst) = match p.single().and_then(|i| model.edges.get(i)) {
            Some(e) => (e.src.clone(), e.dst.clone()),
            None => (
                l.nodes.get(p.src).map(|n| n.id.clone()).unwrap_or_default(),
                l.nodes.get(p.dst).map(|n| n.id.clone()).unwrap_or_default(),
            ),
        };
        let aggregate = p.single().is_none();
        let label = p.label_at.and_then(|at| arrow_label(p, model).map(|t| (at, t)));
        let d = p.d();
        // Which tiers decide the pair, from core; only single arrows are marked.
        let tiers = (!aggregate)
            .then(|| props.tiers.get(&(src.clone(), dst.clone())))
            .flatten();
        let mark = tiers.and_then(|t| netplay_core::present::tier_mark(t));
        let tiers = tiers.filter(|_| mark.is_some());
        // The mark drawn on the arrow is in its accessible name too.
        let title = match tiers.and_then(|t| netplay_core::present::tier_mark_label(t)) {
            Some(words) => format!("{title} — {words}"),
            None => title,
        };
        html! {
            <g class={classes!("edge", format!("edge-{name}"), aggregate.then_some("edge-aggregate"), mark.as_ref().map(|_| "edge-tiered"))}
                data-src={src} data-dst={dst} data-change={name} data-count={p.edges.len().to_string()}
                data-tiers={tiers.map(|t| t.join(" "))}
                tabindex="0" role="button" aria-label={title.clone()}>
                <title>{title}</title>
                <path class="edge-hit" d={d.clone()} />
                <path class="edge-line" d={d} marker-end={format!("url(#np-arrow-{name})")} />
                if let Some(b) = change_badge(change) {
                    <g class="edge-badge" aria-hidden="true">
                        <circle cx={num(p.mid.x)} cy={num(p.mid.y)} r="8" />
                        <text x={num(p.mid.x)} y={num(p.mid.y + 4.0)} text-anchor="middle">{b}</text>
                    </g>
                }
                if let Some((at, t)) = label {
                    <text class="edge-label" x={num(at.x)} y={num(at.y)} text-anchor="middle" dominant-baseline="central">{t}</text>
                }
                if let Some((m, class)) = &mark {
                    <text class={classes!("edge-tier", *class)} aria-hidden="true"
                        x={num(p.mid.x)} y={num(p.mid.y - 10.0)} text-anchor="middle">{m.clone()}</text>
                }
            </g>
        }
    };

    let nodes = l.nodes.iter().enumerate().map(|(i, n)| {
        let inside = l.inside.get(&i).map(|e| e.len().to_string());
        let selected = props.selected.as_deref() == Some(n.id.as_str());
        let r = n.rect;
        let cx = num(r.x + r.w / 2.0);
        let group = n.role.is_group();
        html! {
            <g class={classes!("node", n.role.class(), selected.then_some("selected"))}
                data-node={n.id.clone()} data-expand={group.then(|| n.id.clone())} data-inside={inside} tabindex="0" role="button"
                aria-label={format!("{} {} — {}", n.label, n.sublabel, n.title)}
                aria-pressed={(!group).then_some(if selected { "true" } else { "false" })}>
                <title>{n.title.clone()}</title>
                <rect x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx={node_rx(n)} />
                <text class="node-label" x={cx.clone()} y={num(r.y + 19.0)} text-anchor="middle">{n.label.clone()}</text>
                // A space between the two lines (not drawn), so that the node's visible text
                // reads "web Deployment", the start of its accessible name (WCAG 2.5.3).
                {" "}
                <text class="node-kind" x={cx} y={num(r.y + 34.0)} text-anchor="middle">{n.sublabel.clone()}</text>
            </g>
        }
    });
    // The selection's arrows last, so that they are drawn over the others.
    let touches = |p: &&EdgePath| {
        let sel = props.selected.as_deref();
        sel.is_some()
            && [p.src, p.dst]
                .iter()
                .any(|&i| l.nodes.get(i).map(|n| n.id.as_str()) == sel)
    };
    // Observed flows: a straight dashed line from box to box, when both are drawn.
    let centre = |id: &str| {
        l.nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| (n.rect.x + n.rect.w / 2.0, n.rect.y + n.rect.h / 2.0))
    };
    let flow_lines = props.flows.iter().filter_map(|((src, dst), allowed)| {
        let ((x1, y1), (x2, y2)) = (centre(src)?, centre(dst)?);
        let class = if *allowed { "flow-line flow-allowed" } else { "flow-line flow-blocked" };
        Some(html! {
            <line class={class} x1={num(x1)} y1={num(y1)} x2={num(x2)} y2={num(y2)}
                data-src={src.clone()} data-dst={dst.clone()} data-allowed={allowed.to_string()}>
                <title>{ format!("observed {src} => {dst}: {}", if *allowed { "allowed" } else { "would be blocked" }) }</title>
            </line>
        })
    });
    let edges_back = l.edges.iter().filter(|p| !touches(p)).map(arrow);
    let edges_front = l.edges.iter().filter(touches).map(arrow);
    html! {
        <>
            <defs>{for markers}</defs>
            <g class="ns-groups">{for groups}</g>
            <g class="edges">{for edges_back}{for edges_front}</g>
            <g class="flows" data-testid="flow-overlay">{for flow_lines}</g>
            <g class="nodes">{for nodes}</g>
        </>
    }
}

/// The path of a simulated mesh request over the scene: a thick arrow per hop with its
/// share and a padlock when the hop is encrypted. Hops between endpoints the picture does
/// not show (collapsed, or outside the focus) are drawn to their group's box.
pub fn overlay_view(l: &Layout, hops: &[PathHop]) -> Html {
    let center = |id: &str| l.node_showing(id).and_then(|i| l.nodes.get(i)).map(|n| n.rect.center());
    let drawn = hops.iter().filter_map(|h| {
        let (a, b) = (center(&h.src)?, center(&h.dst)?);
        if a.dist(b) < 1.0 {
            return None;
        }
        let (mx, my) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
        let lock = if h.secure { 18.0 } else { 0.0 };
        let w = 14.0 + lock + 7.6 * h.label.chars().count() as f64;
        let left = mx - w / 2.0;
        Some(html! {
            <g class="mesh-hop" data-src={h.src.clone()} data-dst={h.dst.clone()} data-secure={h.secure.to_string()}
                data-testid="mesh-hop">
                <title>{ format!("mesh request {} → {}: {}", h.src, h.dst, h.label) }</title>
                <path d={format!("M{} {} L{} {}", num(a.x), num(a.y), num(b.x), num(b.y))} marker-end="url(#np-arrow-mesh)" />
                <rect x={num(left)} y={num(my - 11.0)} width={num(w)} height="22" rx="11" />
                if h.secure {
                    // A padlock: shackle and body (drawn, so no emoji font is needed).
                    <g class="padlock" aria-label="encrypted">
                        <path class="shackle" d={format!("M{} {} v-3 a3 3 0 0 1 6 0 v3", num(left + 9.0), num(my - 1.0))} />
                        <rect class="body" x={num(left + 7.0)} y={num(my - 1.5)} width="10" height="7" rx="1.5" />
                    </g>
                }
                <text x={num(left + lock + (w - lock) / 2.0)} y={num(my)} text-anchor="middle" dominant-baseline="central">{ &h.label }</text>
            </g>
        })
    });
    html! {
        <g class="mesh-path" role="group" aria-label="simulated mesh request">
            <defs>
                <marker id="np-arrow-mesh" class="arrow arrow-mesh" viewBox="0 0 10 10" refX="9" refY="5"
                    markerWidth="14" markerHeight="14" markerUnits="userSpaceOnUse" orient="auto">
                    <path d="M0 0L10 5L0 10z" />
                </marker>
            </defs>
            { for drawn }
        </g>
    }
}
