//! The traffic graph: namespaces as boxes, workloads as nodes, allowed connections as
//! arrows, changes since the checkpoint as dashed/dotted arrows with `+`/`−`/`~`
//! badges. Zoom with the wheel or the toolbar, pan by dragging the background; click
//! a node to focus on its connections, click an edge to ask about it.
//!
//! Geometry comes from [`crate::layout`]; this module only draws it, once as Yew
//! elements styled by `www/graph.css` and once as a self-contained SVG document
//! ([`standalone_svg`]) for export.

use crate::layout::{change_badge, change_name, layout, num, EdgePath, Layout, NodeBox, ViewBox, NODE_H};
use crate::view_model::{short_conn, Change, Edge, GraphModel};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent, MouseEvent, PointerEvent, WheelEvent};
use yew::prelude::*;

/// What the graph area says when there is nothing to draw.
pub const EMPTY_TEXT: &str = "No workloads yet — load an example or paste manifests into the editor.";

/// Up to this many edges, every edge shows its connection text; above it only the
/// edges of the selected node do.
pub const FEW_EDGES: usize = 40;

/// Edge labels longer than this are cut (the full text is in the tooltip).
const EDGE_LABEL_CHARS: usize = 34;

/// Zoom step of the toolbar buttons.
const ZOOM_STEP: f64 = 1.25;

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub model: Rc<GraphModel>,
    /// The id of the selected node, if any.
    pub selected: Option<String>,
    /// A node was clicked (`Some(id)`) or the background was (`None`).
    pub on_select: Callback<Option<String>>,
    /// An edge was clicked: `(src, dst)`.
    pub on_edge: Callback<(String, String)>,
    /// A simulated mesh request's path, drawn on top (empty: none).
    #[prop_or_default]
    pub overlay: Rc<Vec<crate::view_model::PathHop>>,
}

// ---------------------------------------------------------------------------------------
// Texts shared by the live graph and the export.

/// The tooltip of an edge: `SRC => DST : CONN`, and what it was for a change.
pub fn edge_title(e: &Edge) -> String {
    let now = e.conn.as_deref().unwrap_or("no connection");
    let was = e.old.as_deref();
    match e.change {
        Change::Same => format!("{} => {} : {now}", e.src, e.dst),
        Change::Added => format!("{} => {} : {now} (added since the checkpoint)", e.src, e.dst),
        Change::Removed => format!(
            "{} => {} : no connection (removed since the checkpoint; was {})",
            e.src,
            e.dst,
            was.unwrap_or("a connection")
        ),
        Change::Changed => format!(
            "{} => {} : {now} (changed since the checkpoint; was {})",
            e.src,
            e.dst,
            was.unwrap_or("no connection")
        ),
    }
}

/// The text written on an edge when labels are shown: the connection unless it is
/// `All Connections`; for a removed edge, the old connection.
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
    Some(crate::layout::truncate(&text, EDGE_LABEL_CHARS))
}

/// The summary read by screen readers.
pub fn aria_label(model: &GraphModel, l: &Layout) -> String {
    if !l.has_workloads() {
        return "Traffic graph: no workloads".to_string();
    }
    let workloads = l.nodes.iter().filter(|n| n.namespace.is_some()).count();
    let outside = l.nodes.len() - workloads;
    let count = |c: Change| {
        l.edges
            .iter()
            .filter(|p| model.edges.get(p.edge).is_some_and(|e| e.change == c))
            .count()
    };
    let removed = count(Change::Removed);
    let mut s = format!(
        "Traffic graph: {workloads} workload{} in {} namespace{}, {outside} outside endpoint{}, {} connection{}",
        plural(workloads),
        l.groups.len(),
        plural(l.groups.len()),
        plural(outside),
        l.edges.len() - removed,
        plural(l.edges.len() - removed)
    );
    let (added, changed) = (count(Change::Added), count(Change::Changed));
    if added + removed + changed > 0 {
        let _ = write!(
            s,
            "; since the checkpoint {added} added, {removed} removed, {changed} changed"
        );
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What the current selection does to the picture.
struct Focus {
    selected: Option<usize>,
    /// Nodes that stay fully visible (the selected one and its neighbours).
    nodes: HashSet<usize>,
}

impl Focus {
    fn new(l: &Layout, selected: Option<&str>) -> Focus {
        let selected = selected.and_then(|id| l.node_index(id));
        let mut nodes = HashSet::new();
        if let Some(s) = selected {
            nodes.insert(s);
            for p in &l.edges {
                if p.src == s || p.dst == s {
                    nodes.insert(p.src);
                    nodes.insert(p.dst);
                }
            }
        }
        Focus { selected, nodes }
    }

    fn node_faded(&self, i: usize) -> bool {
        self.selected.is_some() && !self.nodes.contains(&i)
    }

    fn touches(&self, p: &EdgePath) -> bool {
        self.selected.is_some_and(|s| p.src == s || p.dst == s)
    }

    fn edge_faded(&self, p: &EdgePath) -> bool {
        self.selected.is_some() && !self.touches(p)
    }
}

// ---------------------------------------------------------------------------------------
// The live component.

/// The layout together with the model it was computed from; compared by address so
/// that panning (which re-renders the frame) does not re-render thousands of edges.
struct Scene {
    layout: Layout,
    model: Rc<GraphModel>,
}

/// The memo key: the model, cheap to compare when it is the same `Rc`.
struct ModelKey(Rc<GraphModel>);

impl PartialEq for ModelKey {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

#[derive(Properties)]
struct SceneProps {
    scene: Rc<Scene>,
    selected: Option<String>,
}

impl PartialEq for SceneProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.scene, &other.scene) && self.selected == other.selected
    }
}

/// The user's zoom and pan. `None` (or a view made for another layout) means fitted.
#[derive(Default)]
struct ViewState {
    /// The fitted view the user's view was derived from.
    fit_for: Option<ViewBox>,
    view: Option<ViewBox>,
}

impl ViewState {
    fn current(&self, fit: &ViewBox) -> ViewBox {
        match (self.fit_for, self.view) {
            (Some(f), Some(v)) if f == *fit => v,
            _ => *fit,
        }
    }

    fn with(fit: ViewBox, view: ViewBox) -> Rc<ViewState> {
        Rc::new(ViewState {
            fit_for: Some(fit),
            view: Some(view),
        })
    }
}

enum ViewAction {
    Fit,
    /// Zoom about the centre.
    Zoom {
        fit: ViewBox,
        factor: f64,
    },
    /// Zoom about pixel (`px`, `py`) of the `cw`×`ch` drawing.
    ZoomAt {
        fit: ViewBox,
        factor: f64,
        px: f64,
        py: f64,
        cw: f64,
        ch: f64,
    },
    Set {
        fit: ViewBox,
        view: ViewBox,
    },
}

impl Reducible for ViewState {
    type Action = ViewAction;

    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        match action {
            ViewAction::Fit => Rc::new(ViewState::default()),
            ViewAction::Zoom { fit, factor } => ViewState::with(fit, self.current(&fit).zoom(factor, &fit)),
            ViewAction::ZoomAt {
                fit,
                factor,
                px,
                py,
                cw,
                ch,
            } => {
                let cur = self.current(&fit);
                ViewState::with(fit, cur.zoom_at(factor, cur.to_user(px, py, cw, ch), &fit))
            }
            ViewAction::Set { fit, view } => ViewState::with(fit, view),
        }
    }
}

/// A pan in progress.
struct Drag {
    pointer: i32,
    x: f64,
    y: f64,
    start: ViewBox,
    /// Pixels per layout unit.
    scale: f64,
    moved: bool,
}

#[derive(Default)]
struct PointerState {
    drag: Option<Drag>,
    /// The last pointer-up ended a pan: the click that follows is not a selection.
    just_panned: bool,
}

fn event_element(e: &Event) -> Option<Element> {
    e.target()?.dyn_into::<Element>().ok()
}

fn closest(e: &Event, selector: &str) -> Option<Element> {
    event_element(e)?.closest(selector).ok().flatten()
}

/// What an event happened on: a node (its id), an edge (its ends), or neither.
enum Hit {
    Node(String),
    Edge(String, String),
    Background,
}

fn hit(e: &Event) -> Hit {
    if let Some(n) = closest(e, "[data-node]") {
        if let Some(id) = n.get_attribute("data-node") {
            return Hit::Node(id);
        }
    }
    if let Some(g) = closest(e, "[data-src][data-dst]") {
        if let (Some(s), Some(d)) = (g.get_attribute("data-src"), g.get_attribute("data-dst")) {
            return Hit::Edge(s, d);
        }
    }
    Hit::Background
}

#[function_component]
pub fn Graph(props: &GraphProps) -> Html {
    let scene = use_memo(ModelKey(props.model.clone()), |k| Scene {
        layout: layout(&k.0),
        model: k.0.clone(),
    });
    let view = use_reducer(ViewState::default);
    let svg_ref = use_node_ref();
    let pointer = use_mut_ref(PointerState::default);

    let empty = !scene.layout.has_workloads();
    let fit = ViewBox::fit(scene.layout.bounds);
    let current = if empty {
        ViewBox {
            x: 0.0,
            y: 0.0,
            w: 800.0,
            h: 300.0,
        }
    } else {
        view.current(&fit)
    };

    let zoom = |factor: f64| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| view.dispatch(ViewAction::Zoom { fit, factor }))
    };
    let on_fit = {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| view.dispatch(ViewAction::Fit))
    };

    let onwheel = {
        let (view, svg_ref) = (view.clone(), svg_ref.clone());
        Callback::from(move |e: WheelEvent| {
            if empty {
                return;
            }
            e.prevent_default();
            let Some(svg) = svg_ref.cast::<Element>() else { return };
            let r = svg.get_bounding_client_rect();
            let dy = e.delta_y()
                * match e.delta_mode() {
                    1 => 16.0,  // lines
                    2 => 400.0, // pages
                    _ => 1.0,
                };
            let factor = (-dy * 0.0015).exp().clamp(0.5, 2.0);
            view.dispatch(ViewAction::ZoomAt {
                fit,
                factor,
                px: e.client_x() as f64 - r.left(),
                py: e.client_y() as f64 - r.top(),
                cw: r.width(),
                ch: r.height(),
            });
        })
    };

    let onpointerdown = {
        let (pointer, svg_ref) = (pointer.clone(), svg_ref.clone());
        Callback::from(move |e: PointerEvent| {
            let mut p = pointer.borrow_mut();
            p.just_panned = false;
            if empty || e.button() != 0 || !matches!(hit(&e), Hit::Background) {
                return;
            }
            let Some(svg) = svg_ref.cast::<Element>() else { return };
            let r = svg.get_bounding_client_rect();
            let _ = svg.set_pointer_capture(e.pointer_id());
            p.drag = Some(Drag {
                pointer: e.pointer_id(),
                x: e.client_x() as f64,
                y: e.client_y() as f64,
                start: current,
                scale: current.scale(r.width(), r.height()),
                moved: false,
            });
        })
    };
    let onpointermove = {
        let (pointer, view) = (pointer.clone(), view.clone());
        Callback::from(move |e: PointerEvent| {
            let next = {
                let mut p = pointer.borrow_mut();
                let Some(d) = p.drag.as_mut() else { return };
                if d.pointer != e.pointer_id() {
                    return;
                }
                let (dx, dy) = (e.client_x() as f64 - d.x, e.client_y() as f64 - d.y);
                if !d.moved && dx.abs() + dy.abs() < 4.0 {
                    return;
                }
                d.moved = true;
                d.start.moved(-dx / d.scale, -dy / d.scale)
            };
            view.dispatch(ViewAction::Set { fit, view: next });
        })
    };
    let end_drag = |cancelled: bool| {
        let (pointer, svg_ref) = (pointer.clone(), svg_ref.clone());
        Callback::from(move |e: PointerEvent| {
            let mut p = pointer.borrow_mut();
            if p.drag.as_ref().is_some_and(|d| d.pointer == e.pointer_id()) {
                let moved = p.drag.take().is_some_and(|d| d.moved);
                p.just_panned = moved && !cancelled;
                if let Some(svg) = svg_ref.cast::<Element>() {
                    let _ = svg.release_pointer_capture(e.pointer_id());
                }
            }
        })
    };
    let onpointerup = end_drag(false);
    let onpointercancel = end_drag(true);

    let onclick = {
        let (pointer, on_select, on_edge) = (pointer.clone(), props.on_select.clone(), props.on_edge.clone());
        Callback::from(move |e: MouseEvent| {
            if std::mem::take(&mut pointer.borrow_mut().just_panned) {
                return;
            }
            match hit(&e) {
                Hit::Node(id) => on_select.emit(Some(id)),
                Hit::Edge(s, d) => on_edge.emit((s, d)),
                Hit::Background => on_select.emit(None),
            }
        })
    };
    let onkeydown = {
        let (on_select, on_edge) = (props.on_select.clone(), props.on_edge.clone());
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            if key == "Escape" {
                on_select.emit(None);
                return;
            }
            if key != "Enter" && key != " " {
                return;
            }
            match hit(&e) {
                Hit::Node(id) => {
                    e.prevent_default();
                    on_select.emit(Some(id));
                }
                Hit::Edge(s, d) => {
                    e.prevent_default();
                    on_edge.emit((s, d));
                }
                Hit::Background => {}
            }
        })
    };

    let changes = !empty
        && scene
            .layout
            .edges
            .iter()
            .any(|p| scene.model.edges.get(p.edge).is_some_and(|e| e.change != Change::Same));

    html! {
        <div class="graph-view">
            <div class="graph-toolbar" role="toolbar" aria-label="Graph view">
                <button type="button" data-testid="graph-zoom-in" title="Zoom in" aria-label="Zoom in"
                    onclick={zoom(ZOOM_STEP)}>{"+"}</button>
                <button type="button" data-testid="graph-zoom-out" title="Zoom out" aria-label="Zoom out"
                    onclick={zoom(1.0 / ZOOM_STEP)}>{"−"}</button>
                <button type="button" data-testid="graph-fit" title="Fit the whole graph" aria-label="Fit the whole graph"
                    onclick={on_fit}>{"fit"}</button>
            </div>
            if changes {
                <div class="graph-legend" aria-hidden="true">
                    <span class="legend-added">{"+ added"}</span>
                    <span class="legend-removed">{"− removed"}</span>
                    <span class="legend-changed">{"~ changed"}</span>
                    {" since the checkpoint"}
                </div>
            }
            <svg ref={svg_ref} data-testid="graph" role="img" aria-label={aria_label(&scene.model, &scene.layout)}
                class={classes!("graph-svg", empty.then_some("graph-empty"))}
                viewBox={current.attr()} preserveAspectRatio="xMidYMid meet" width="100%" height="100%"
                {onwheel} {onpointerdown} {onpointermove} {onpointerup} {onpointercancel} {onclick} {onkeydown}>
                if empty {
                    <text class="graph-empty-text" x="400" y="150" text-anchor="middle" dominant-baseline="middle">
                        {EMPTY_TEXT}
                    </text>
                } else {
                    <GraphScene scene={scene.clone()} selected={props.selected.clone()} />
                    { overlay_view(&scene.layout, &props.overlay) }
                }
            </svg>
        </div>
    }
}

/// The path of a simulated mesh request over the scene: a thick arrow per hop with its
/// share and a padlock when the hop is mutual TLS.
fn overlay_view(l: &Layout, hops: &[crate::view_model::PathHop]) -> Html {
    let center = |id: &str| l.nodes.iter().find(|n| n.id == id).map(|n| n.rect.center());
    let drawn = hops.iter().filter_map(|h| {
        let (a, b) = (center(&h.src)?, center(&h.dst)?);
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
        <g class="mesh-path" aria-label="simulated mesh request">
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

/// The drawing itself; re-rendered only when the model or the selection changes.
#[function_component]
fn GraphScene(props: &SceneProps) -> Html {
    let l = &props.scene.layout;
    let model = &props.scene.model;
    let focus = Focus::new(l, props.selected.as_deref());
    let few = l.edges.len() <= FEW_EDGES;

    let markers = [Change::Same, Change::Added, Change::Removed, Change::Changed].map(|c| {
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
        let faded = focus.selected.is_some() && !g.nodes.iter().any(|i| focus.nodes.contains(i));
        let r = g.rect;
        html! {
            <g class={classes!("ns-group", faded.then_some("faded"))} data-namespace={g.namespace.clone()}>
                <title>{format!("namespace {}", g.namespace)}</title>
                <rect x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx="10" />
                <text class="ns-label" x={num(r.x + 12.0)} y={num(r.y + 19.0)}>{g.label.clone()}</text>
            </g>
        }
    });

    let edge = |p: &EdgePath| -> Html {
        let Some(e) = model.edges.get(p.edge) else {
            return Html::default();
        };
        let name = change_name(e.change);
        let touches = focus.touches(p);
        let label = if few || touches { edge_label(e) } else { None };
        let title = edge_title(e);
        let d = p.d();
        html! {
            <g class={classes!("edge", format!("edge-{name}"), focus.edge_faded(p).then_some("faded"),
                    touches.then_some("active"))}
                data-src={e.src.clone()} data-dst={e.dst.clone()} data-change={name}
                tabindex={few.then_some("0")} role={few.then_some("button")}
                aria-label={few.then(|| title.clone())}>
                <title>{title}</title>
                <path class="edge-hit" d={d.clone()} />
                <path class="edge-line" d={d} marker-end={format!("url(#np-arrow-{name})")} />
                if let Some(b) = change_badge(e.change) {
                    <g class="edge-badge">
                        <circle cx={num(p.mid.x)} cy={num(p.mid.y)} r="8" />
                        <text x={num(p.mid.x)} y={num(p.mid.y + 4.0)} text-anchor="middle">{b}</text>
                    </g>
                }
                if let Some(t) = label {
                    <text class="edge-label" x={num(p.label_at.x)} y={num(p.label_at.y)} text-anchor={p.label_anchor}>{t}</text>
                }
            </g>
        }
    };
    // Edges of the selection last, so that they are drawn over the faded ones.
    let edges_back = l.edges.iter().filter(|p| !focus.touches(p)).map(edge);
    let edges_front = l.edges.iter().filter(|p| focus.touches(p)).map(edge);

    let nodes = l.nodes.iter().enumerate().map(|(i, n)| {
        let selected = focus.selected == Some(i);
        let related = !selected && focus.selected.is_some() && focus.nodes.contains(&i);
        let r = n.rect;
        let cx = num(r.x + r.w / 2.0);
        html! {
            <g class={classes!("node", n.role.class(), focus.node_faded(i).then_some("faded"),
                    selected.then_some("selected"), related.then_some("related"))}
                data-node={n.id.clone()} tabindex="0" role="button" aria-label={n.title.clone()}
                aria-pressed={if selected { "true" } else { "false" }}>
                <title>{n.title.clone()}</title>
                <rect x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx={node_rx(n)} />
                <text class="node-label" x={cx.clone()} y={num(r.y + 19.0)} text-anchor="middle">{n.label.clone()}</text>
                <text class="node-kind" x={cx} y={num(r.y + 34.0)} text-anchor="middle">{n.sublabel.clone()}</text>
            </g>
        }
    });

    html! {
        <>
            <defs>{for markers}</defs>
            <g class="ns-groups">{for groups}</g>
            <g class="edges">{for edges_back}{for edges_front}</g>
            <g class="nodes">{for nodes}</g>
        </>
    }
}

fn node_rx(n: &NodeBox) -> &'static str {
    match n.role {
        crate::layout::NodeRole::Workload => "6",
        // Outside endpoints are pills.
        _ => "22",
    }
}

// ---------------------------------------------------------------------------------------
// Export.

/// Escape text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Colours of the export: the app's light theme (www/style.css), on white.
mod palette {
    pub const BG: &str = "#ffffff";
    pub const FG: &str = "#1b1f24";
    pub const MUTED: &str = "#5d6673";
    pub const BORDER: &str = "#b4bcc6";
    pub const PANEL: &str = "#f6f7f9";
    pub const NODE: &str = "#ffffff";
    pub const OK: &str = "#15803d";
    pub const BAD: &str = "#b91c1c";
    pub const WARN: &str = "#a16207";
    pub const EDGE: &str = "#5d6673";
    pub const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
}

fn export_colour(c: Change) -> &'static str {
    match c {
        Change::Same => palette::EDGE,
        Change::Added => palette::OK,
        Change::Removed => palette::BAD,
        Change::Changed => palette::WARN,
    }
}

fn export_dash(c: Change) -> &'static str {
    match c {
        Change::Added => " stroke-dasharray=\"7 4\"",
        Change::Removed => " stroke-dasharray=\"2 4\" stroke-linecap=\"round\"",
        _ => "",
    }
}

/// The graph as a self-contained SVG document (no external CSS, white background, the
/// whole graph at 1 px per layout unit), for "export as SVG" and, drawn onto a canvas,
/// "export as PNG". Edge labels follow the live rule without a selection: shown when the
/// graph has at most [`FEW_EDGES`] edges.
pub fn standalone_svg(model: &GraphModel) -> String {
    let l = layout(model);
    let mut s = String::new();
    let esc = xml_escape;
    if !l.has_workloads() {
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"300\" viewBox=\"0 0 800 300\" \
             font-family=\"{font}\"><title>{title}</title><rect width=\"800\" height=\"300\" fill=\"{bg}\"/>\
             <text x=\"400\" y=\"150\" text-anchor=\"middle\" dominant-baseline=\"middle\" font-size=\"16\" \
             fill=\"{muted}\">{text}</text></svg>",
            font = palette::FONT,
            title = esc("netplay traffic graph"),
            bg = palette::BG,
            muted = palette::MUTED,
            text = esc(EMPTY_TEXT)
        );
        return s;
    }
    let b = l.bounds;
    let (w, h) = (b.w.ceil().max(1.0), b.h.ceil().max(1.0));
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"{x} {y} {w} {h}\" \
         font-family=\"{font}\">\n<title>{title}</title>\n<desc>{desc}</desc>\n\
         <rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{bg}\"/>\n<defs>\n",
        w = num(w),
        h = num(h),
        x = num(b.x),
        y = num(b.y),
        font = palette::FONT,
        title = esc("netplay traffic graph"),
        desc = esc(&aria_label(model, &l)),
        bg = palette::BG,
    );
    for c in [Change::Same, Change::Added, Change::Removed, Change::Changed] {
        let _ = writeln!(
            s,
            "<marker id=\"npx-arrow-{}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"10\" \
             markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" \
             fill=\"{}\"/></marker>",
            change_name(c),
            export_colour(c)
        );
    }
    s.push_str("</defs>\n");

    for g in &l.groups {
        let r = g.rect;
        let _ = writeln!(
            s,
            "<g data-namespace=\"{ns}\"><title>namespace {ns}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" \
             height=\"{}\" rx=\"10\" fill=\"{}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"13\" \
             font-weight=\"600\" fill=\"{}\">{}</text></g>",
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h),
            palette::PANEL,
            palette::BORDER,
            num(r.x + 12.0),
            num(r.y + 19.0),
            palette::MUTED,
            esc(&g.label),
            ns = esc(&g.namespace),
        );
    }

    let few = l.edges.len() <= FEW_EDGES;
    for p in &l.edges {
        let Some(e) = model.edges.get(p.edge) else { continue };
        let name = change_name(e.change);
        let colour = export_colour(e.change);
        let _ = write!(
            s,
            "<g data-src=\"{}\" data-dst=\"{}\" data-change=\"{name}\"><title>{}</title><path d=\"{}\" fill=\"none\" \
             stroke=\"{colour}\" stroke-width=\"1.6\"{} marker-end=\"url(#npx-arrow-{name})\"/>",
            esc(&e.src),
            esc(&e.dst),
            esc(&edge_title(e)),
            p.d(),
            export_dash(e.change),
        );
        if let Some(badge) = change_badge(e.change) {
            let _ = write!(
                s,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"8\" fill=\"{bg}\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\
                 <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"700\" \
                 fill=\"{colour}\">{badge}</text>",
                x = num(p.mid.x),
                y = num(p.mid.y),
                ty = num(p.mid.y + 4.0),
                bg = palette::BG,
            );
        }
        if let Some(label) = edge_label(e).filter(|_| few) {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"11\" fill=\"{}\" stroke=\"{}\" \
                 stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\">{}</text>",
                num(p.label_at.x),
                num(p.label_at.y),
                p.label_anchor,
                if e.change == Change::Same { palette::FG } else { colour },
                palette::BG,
                esc(&label)
            );
        }
        s.push_str("</g>\n");
    }

    for n in &l.nodes {
        let r = n.rect;
        let cx = num(r.x + r.w / 2.0);
        let _ = writeln!(
            s,
            "<g data-node=\"{}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" \
             fill=\"{}\" stroke=\"{}\" stroke-width=\"1.2\"{}/><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" \
             font-size=\"12\" font-weight=\"600\" fill=\"{}\">{}</text><text x=\"{cx}\" y=\"{}\" \
             text-anchor=\"middle\" font-size=\"10\" fill=\"{}\">{}</text></g>",
            esc(&n.id),
            esc(&n.title),
            num(r.x),
            num(r.y),
            num(r.w),
            num(NODE_H.min(r.h)),
            node_rx(n),
            if n.namespace.is_some() {
                palette::NODE
            } else {
                palette::PANEL
            },
            palette::BORDER,
            if n.namespace.is_some() {
                ""
            } else {
                " stroke-dasharray=\"5 3\""
            },
            num(r.y + 19.0),
            palette::FG,
            esc(&n.label),
            num(r.y + 34.0),
            palette::MUTED,
            esc(&n.sublabel),
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view_model::{Node, NodeKind};

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

    fn model() -> GraphModel {
        let a = workload("a&b", "x<y>\"z\"");
        let b = workload("ns", "back'end");
        let ext = Node {
            id: "0.0.0.0-255.255.255.255[External]".into(),
            kind: NodeKind::External,
        };
        let edges = vec![
            Edge {
                src: a.id.clone(),
                dst: b.id.clone(),
                conn: Some("TCP 80".into()),
                old: None,
                change: Change::Same,
            },
            Edge {
                src: b.id.clone(),
                dst: a.id.clone(),
                conn: None,
                old: Some("UDP 53".into()),
                change: Change::Removed,
            },
            Edge {
                src: ext.id.clone(),
                dst: b.id.clone(),
                conn: Some("All Connections".into()),
                old: Some("TCP 443".into()),
                change: Change::Changed,
            },
            Edge {
                src: b.id.clone(),
                dst: ext.id.clone(),
                conn: Some("TCP 1".into()),
                old: None,
                change: Change::Added,
            },
        ];
        GraphModel {
            nodes: vec![a, b, ext],
            edges,
        }
    }

    /// Every `<` starts a tag or a closing tag, every `&` an entity, every attribute
    /// value is closed before the tag ends, and the tags nest.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find(['<', '&']) {
            let (before, at) = rest.split_at(i);
            assert!(!before.contains('>'), "stray > in text: {before}");
            if at.starts_with('&') {
                let end = at.find(';').expect("entity ends");
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&&at[..=end]),
                    "{}",
                    &at[..=end]
                );
                rest = &at[end + 1..];
                continue;
            }
            // A tag: scan to its end outside quotes.
            let mut in_quote = false;
            let mut end = None;
            for (j, c) in at.char_indices().skip(1) {
                match c {
                    '"' => in_quote = !in_quote,
                    '<' => assert!(in_quote, "< inside a tag: {}", &at[..j]),
                    '>' if !in_quote => {
                        end = Some(j);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.expect("tag closes");
            let tag = &at[1..end];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if tag.starts_with('/') {
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "closing {name}");
            } else if !tag.ends_with('/') {
                stack.push(name);
            }
            rest = &at[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    #[test]
    fn standalone_svg_is_well_formed_and_escaped() {
        let svg = standalone_svg(&model());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("class="), "no classes needing external CSS");
        assert!(svg.contains("fill=\"#ffffff\""), "white background");
        assert_well_formed(&svg);
        assert!(svg.contains("a&amp;b/x&lt;y&gt;&quot;z&quot;[Deployment]"), "{svg}");
        assert!(svg.contains("back&apos;end"));
        assert!(!svg.contains("x<y"));
        // Changes are marked by badge and dash, not only colour.
        assert!(svg.contains(">+</text>") && svg.contains(">−</text>") && svg.contains(">~</text>"));
        assert!(svg.contains("stroke-dasharray=\"7 4\"") && svg.contains("stroke-dasharray=\"2 4\""));
        // Few edges: labels are shown, except All Connections; the removed one shows what it was.
        assert!(svg.contains(">TCP 80</text>") && svg.contains(">was UDP 53</text>"));
        assert!(!svg.contains(">All Connections</text>"));
        assert!(svg.contains("(changed since the checkpoint; was TCP 443)"));
    }

    #[test]
    fn standalone_svg_of_an_empty_model_says_so() {
        let svg = standalone_svg(&GraphModel::default());
        assert!(svg.starts_with("<svg"));
        assert_well_formed(&svg);
        assert!(svg.contains("No workloads yet"));
        // An external range left over from the checkpoint is not a graph yet.
        let mut m = model();
        m.nodes.retain(|n| n.kind == NodeKind::External);
        let svg = standalone_svg(&m);
        assert!(svg.contains("No workloads yet") && !svg.contains("[External]"));
        assert_eq!(aria_label(&m, &layout(&m)), "Traffic graph: no workloads");
    }

    #[test]
    fn standalone_svg_hides_labels_on_busy_graphs() {
        let nodes: Vec<Node> = (0..12).map(|i| workload("ns", &format!("w{i}"))).collect();
        let mut edges = Vec::new();
        for a in &nodes {
            for b in &nodes {
                if a.id != b.id {
                    let conn = Some("TCP 8080".to_string());
                    edges.push(Edge {
                        src: a.id.clone(),
                        dst: b.id.clone(),
                        conn,
                        old: None,
                        change: Change::Same,
                    });
                }
            }
        }
        let svg = standalone_svg(&GraphModel { nodes, edges });
        assert_well_formed(&svg);
        assert!(!svg.contains(">TCP 8080</text>"));
        assert!(svg.contains("TCP 8080</title>"));
    }

    #[test]
    fn edge_texts() {
        let m = model();
        assert_eq!(
            edge_title(&m.edges[0]),
            "a&b/x<y>\"z\"[Deployment] => ns/back'end[Deployment] : TCP 80"
        );
        assert!(edge_title(&m.edges[1]).ends_with(": no connection (removed since the checkpoint; was UDP 53)"));
        assert_eq!(edge_label(&m.edges[2]), None);
        assert_eq!(edge_label(&m.edges[1]).as_deref(), Some("was UDP 53"));
        let l = layout(&m);
        assert_eq!(
            aria_label(&m, &l),
            "Traffic graph: 2 workloads in 2 namespaces, 1 outside endpoint, 3 connections; \
             since the checkpoint 1 added, 1 removed, 1 changed"
        );
        let f = Focus::new(&l, Some("0.0.0.0-255.255.255.255[External]"));
        assert!(f.selected.is_some() && f.nodes.len() == 2);
        assert!(Focus::new(&l, Some("missing")).selected.is_none());
    }
}
