//! The traffic graph: namespaces as groups (collapsible: a collapsed namespace is one box
//! and its arrows are aggregated with their count), external ranges in one box until
//! expanded, allowed connections as arrows routed around boxes, changes since the
//! checkpoint as dashed/dotted arrows with `+`/`−`/`~` badges. Selecting a workload
//! shows its neighbourhood only (focus), with "Why (not)?" towards any other endpoint.
//! Zoom with the wheel or the toolbar, pan by dragging the background.
//!
//! Geometry comes from [`crate::layout`]; [`scene`] draws it, [`export`] writes it as a
//! standalone SVG document, [`texts`] holds its words, [`view`] its zoom and pan.

pub mod export;
pub mod scene;
pub mod texts;
pub mod view;

pub use export::{standalone_svg, EMPTY_TEXT};

use crate::layout::focus::focus_layout;
use crate::layout::{layout, LayoutOptions, ViewBox, EXTERNALS_ID};
use crate::view_model::{GraphModel, NodeKind, PathHop};
use scene::{overlay_view, GraphScene, Scene};
use std::rc::Rc;
use texts::{aria_label, connection_count};
use view::{Drag, PointerState, ViewAction, ViewState};
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlSelectElement, KeyboardEvent, MouseEvent, PointerEvent, WheelEvent};
use yew::prelude::*;

/// Zoom step of the toolbar buttons.
const ZOOM_STEP: f64 = 1.25;
/// Bigger graphs open with every namespace collapsed.
const EXPANDED_MAX_WORKLOADS: usize = 40;
const EXPANDED_MAX_EDGES: usize = 150;

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub model: Rc<GraphModel>,
    /// The selected endpoint: the graph shows its neighbourhood.
    pub selected: Option<String>,
    /// A node was chosen (`Some(id)`), or the focus left (`None`).
    pub on_select: Callback<Option<String>>,
    /// Explain a pair: `(src, dst)`.
    pub on_edge: Callback<(String, String)>,
    /// A simulated mesh request's path, drawn on top (empty: none).
    #[prop_or_default]
    pub overlay: Rc<Vec<PathHop>>,
    /// The tiers that decide each pair (core's `present::admin_tier_marks`): its arrow
    /// is marked, and a legend (core's `present::tier_legend`) says what the marks mean.
    #[prop_or_default]
    pub tiers: Rc<TierMarks>,
    /// Observed flows to draw over the arrows (allowed green, would-be-blocked red).
    #[prop_or_default]
    pub flows: Rc<crate::components::flows::FlowMarks>,
}

/// `(src, dst)` → the tiers that decide the pair, when a tier other than NetworkPolicy
/// is among them (core's `present::admin_tier_marks`).
pub type TierMarks = std::collections::BTreeMap<(String, String), Vec<String>>;

/// What the graph shows first: small pictures expanded, big ones with every namespace
/// collapsed; external ranges grouped.
pub fn default_options(model: &GraphModel) -> LayoutOptions {
    let workloads: Vec<&str> = model
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Workload { namespace, .. } => Some(namespace.as_str()),
            _ => None,
        })
        .collect();
    let big = workloads.len() > EXPANDED_MAX_WORKLOADS || model.edges.len() > EXPANDED_MAX_EDGES;
    LayoutOptions {
        collapsed: if big {
            workloads.iter().map(|s| s.to_string()).collect()
        } else {
            Default::default()
        },
        externals_expanded: false,
    }
}

/// The memo key of a picture: the model (cheap to compare when it is the same `Rc`), the
/// options and the focus.
struct SceneKey(Rc<GraphModel>, LayoutOptions, Option<String>);

impl PartialEq for SceneKey {
    fn eq(&self, other: &Self) -> bool {
        (Rc::ptr_eq(&self.0, &other.0) || self.0 == other.0) && self.1 == other.1 && self.2 == other.2
    }
}

/// What an event happened on.
enum Hit {
    /// A namespace title's collapse button.
    Collapse(String),
    /// A collapsed group's box.
    Expand(String),
    Node(String),
    /// An arrow: its ends, and how many connections it stands for.
    Edge(String, String, usize),
    Background,
}

fn closest(e: &Event, selector: &str) -> Option<Element> {
    e.target()?.dyn_into::<Element>().ok()?.closest(selector).ok().flatten()
}

fn hit(e: &Event) -> Hit {
    if let Some(ns) = closest(e, "[data-collapse]").and_then(|g| g.get_attribute("data-collapse")) {
        return Hit::Collapse(ns);
    }
    if let Some(n) = closest(e, "[data-node]") {
        if let Some(id) = n.get_attribute("data-expand") {
            return Hit::Expand(id);
        }
        if let Some(id) = n.get_attribute("data-node") {
            return Hit::Node(id);
        }
    }
    if let Some(g) = closest(e, "[data-src][data-dst]") {
        if let (Some(s), Some(d)) = (g.get_attribute("data-src"), g.get_attribute("data-dst")) {
            let count = g.get_attribute("data-count").and_then(|c| c.parse().ok()).unwrap_or(1);
            return Hit::Edge(s, d, count);
        }
    }
    Hit::Background
}

/// Options with a collapsed group expanded (`namespace:NAME` or the external box).
fn expanded(opts: &LayoutOptions, id: &str) -> LayoutOptions {
    let mut o = opts.clone();
    if id == EXTERNALS_ID {
        o.externals_expanded = true;
    } else if let Some(ns) = id.strip_prefix("namespace:") {
        o.collapsed.remove(ns);
    }
    o
}

// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component]
pub fn Graph(props: &GraphProps) -> Html {
    // The Exposure panel's switch lives here, beside the picture it completes.
    let app = crate::components::use_app();
    let exposure_on = app.as_ref().is_some_and(|s| s.exposure);
    let toggle_exposure = app
        .as_ref()
        .map(|s| crate::components::dispatch(s, |_: MouseEvent| crate::state::Action::ToggleExposure));
    // The user's choice of what to collapse, for this set of namespaces.
    let chosen = use_state(|| None::<(Vec<String>, LayoutOptions)>);
    let namespaces: Vec<String> = {
        let mut v: Vec<String> = props
            .model
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Workload { namespace, .. } => Some(namespace.clone()),
                _ => None,
            })
            .collect();
        netplay_core::sorting::sort(&mut v);
        v.dedup();
        v
    };
    let opts = match &*chosen {
        Some((ns, o)) if *ns == namespaces => o.clone(),
        _ => default_options(&props.model),
    };
    let focus = props
        .selected
        .clone()
        .filter(|s| props.model.nodes.iter().any(|n| &n.id == s));
    let scene = use_memo(SceneKey(props.model.clone(), opts.clone(), focus.clone()), |k| Scene {
        layout: match &k.2 {
            Some(sel) => focus_layout(&k.0, sel),
            None => layout(&k.0, &k.1),
        },
        model: k.0.clone(),
    });
    let view = use_reducer(ViewState::default);
    let svg_ref = use_node_ref();
    let pointer = use_mut_ref(PointerState::default);
    let why_other = use_state(String::new);

    let set_opts = {
        let chosen = chosen.clone();
        let namespaces = namespaces.clone();
        Callback::from(move |o: LayoutOptions| chosen.set(Some((namespaces.clone(), o))))
    };
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
    let collapse_all = {
        let set_opts = set_opts.clone();
        let namespaces = namespaces.clone();
        Callback::from(move |_: MouseEvent| {
            set_opts.emit(LayoutOptions {
                collapsed: namespaces.iter().cloned().collect(),
                externals_expanded: false,
            })
        })
    };
    let expand_all = {
        let set_opts = set_opts.clone();
        Callback::from(move |_: MouseEvent| {
            set_opts.emit(LayoutOptions {
                collapsed: Default::default(),
                externals_expanded: true,
            })
        })
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

    // What a click, or Enter/Space, on something does.
    let act = {
        let (on_select, on_edge, set_opts) = (props.on_select.clone(), props.on_edge.clone(), set_opts.clone());
        let (opts, focus) = (opts.clone(), focus.clone());
        let scene = scene.clone();
        move |h: Hit| match h {
            Hit::Collapse(ns) => {
                let mut o = opts.clone();
                o.collapsed.insert(ns);
                set_opts.emit(o);
            }
            Hit::Expand(id) => set_opts.emit(expanded(&opts, &id)),
            Hit::Node(id) => match &focus {
                // In the neighbourhood, a peer asks about the pair; the centre leaves.
                Some(sel) if *sel == id => on_select.emit(None),
                Some(sel) => {
                    let l = &scene.layout;
                    let right = l
                        .node_index(&id)
                        .zip(l.node_index(sel))
                        .is_some_and(|(p, c)| l.nodes[p].rect.x > l.nodes[c].rect.x);
                    on_edge.emit(if right { (sel.clone(), id) } else { (id, sel.clone()) });
                }
                None => on_select.emit(Some(id)),
            },
            Hit::Edge(s, d, 1) => on_edge.emit((s, d)),
            Hit::Edge(s, d, _) => set_opts.emit(expanded(&expanded(&opts, &s), &d)),
            Hit::Background => {
                if focus.is_some() {
                    on_select.emit(None);
                }
            }
        }
    };
    let onclick = {
        let (pointer, act) = (pointer.clone(), act.clone());
        Callback::from(move |e: MouseEvent| {
            if std::mem::take(&mut pointer.borrow_mut().just_panned) {
                return;
            }
            act(hit(&e));
        })
    };
    let onkeydown = {
        let act = act.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            if key != "Enter" && key != " " {
                return;
            }
            let h = hit(&e);
            if !matches!(h, Hit::Background) {
                e.prevent_default();
                act(h);
            }
        })
    };

    let count = connection_count(&scene.model);
    let too_many = scene.layout.edges.len() > 3000;
    html! {
        <div class="graph-view">
            <div class="graph-toolbar" role="toolbar" aria-label="Graph view">
                <span class="graph-count" data-testid="graph-info" data-connections={count.to_string()}
                    data-arrows={scene.layout.edges.len().to_string()}>
                    { format!("{count} connection{}", if count == 1 { "" } else { "s" }) }
                </span>
                if focus.is_none() && !scene.layout.namespaces.is_empty() {
                    <button type="button" data-testid="graph-collapse-all" title="One box per namespace" onclick={collapse_all}>{ "Collapse all" }</button>
                    <button type="button" data-testid="graph-expand-all" title="Every workload and address range" onclick={expand_all}>{ "Expand all" }</button>
                }
                <button type="button" data-testid="graph-zoom-in" title="Zoom in" aria-label="Zoom in"
                    onclick={zoom(ZOOM_STEP)}>{"+"}</button>
                <button type="button" data-testid="graph-zoom-out" title="Zoom out" aria-label="Zoom out"
                    onclick={zoom(1.0 / ZOOM_STEP)}>{"−"}</button>
                <button type="button" data-testid="graph-fit" title="Fit the whole graph" aria-label="Fit the whole graph"
                    onclick={on_fit}>{"fit"}</button>
                if let Some(onclick) = toggle_exposure {
                    <button type="button" data-testid="exposure-toggle" aria-pressed={exposure_on.to_string()}
                        title="What pods that are not in the scenario could reach, or be reached from" {onclick}>
                        { "Exposure" }
                    </button>
                }
                if !props.tiers.is_empty() {
                    <span class="tier-legend" data-testid="tier-legend">
                        { for netplay_core::present::tier_legend(props.tiers.values()).into_iter().map(|(mark, class, words)| html! {
                            <span class="tier-legend-entry"><span class={classes!("tier-badge", class)}>{ mark }</span>{ words }</span>
                        }) }
                    </span>
                }
            </div>
            if let Some(sel) = &focus {
                { why_not(sel, &props.model, &why_other, &props.on_edge, &props.on_select) }
            }
            if too_many {
                <div class="graph-note" data-testid="graph-note">
                    { "Too many arrows to draw at once: collapse namespaces, or select a workload to see its neighbourhood (the matrix shows them all)." }
                </div>
            }
            <svg ref={svg_ref} data-testid="graph" role="group" aria-roledescription="traffic graph"
                aria-label={aria_label(&scene.model, &scene.layout)} data-focus={focus.clone()}
                class={classes!("graph-svg", empty.then_some("graph-empty"))}
                viewBox={current.attr()} preserveAspectRatio="xMidYMid meet" width="100%" height="100%"
                {onwheel} {onpointerdown} {onpointermove} {onpointerup} {onpointercancel} {onclick} {onkeydown}>
                if empty {
                    <text class="graph-empty-text" x="400" y="150" text-anchor="middle" dominant-baseline="middle">
                        {EMPTY_TEXT}
                    </text>
                } else if !too_many {
                    <GraphScene scene={scene.clone()} selected={props.selected.clone()} tiers={props.tiers.clone()} flows={props.flows.clone()} />
                    { overlay_view(&scene.layout, &props.overlay) }
                }
            </svg>
        </div>
    }
}

/// The focus bar: whose neighbourhood this is, the way back, and "Why (not)?" towards
/// any other endpoint, connected or not.
fn why_not(
    sel: &str,
    model: &GraphModel,
    other: &UseStateHandle<String>,
    on_edge: &Callback<(String, String)>,
    on_select: &Callback<Option<String>>,
) -> Html {
    let others: Vec<&str> = model
        .nodes
        .iter()
        .map(|n| n.id.as_str())
        .filter(|id| *id != sel)
        .collect();
    let chosen = if others.contains(&other.as_str()) {
        (**other).clone()
    } else {
        others.first().map(|s| s.to_string()).unwrap_or_default()
    };
    let ask = |outgoing: bool| {
        let (on_edge, sel, chosen) = (on_edge.clone(), sel.to_string(), chosen.clone());
        Callback::from(move |_: MouseEvent| {
            if !chosen.is_empty() {
                on_edge.emit(if outgoing {
                    (sel.clone(), chosen.clone())
                } else {
                    (chosen.clone(), sel.clone())
                });
            }
        })
    };
    let on_change = {
        let other = other.clone();
        Callback::from(move |e: Event| other.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    html! {
        <div class="graph-focus" data-testid="graph-focus" role="group" aria-label="Neighbourhood">
            <button type="button" class="link" data-testid="graph-unfocus" onclick={on_select.reform(|_: MouseEvent| None)}>{ "← whole graph" }</button>
            <span>{ "Neighbourhood of " }<strong>{ sel }</strong>{ ": who reaches it (left), whom it reaches (right). " }</span>
            <label>{ "Why (not)? " }
                <select data-testid="why-other" onchange={on_change} aria-label="Other endpoint">
                    { for others.iter().map(|o| html! { <option value={o.to_string()} selected={*o == chosen}>{ *o }</option> }) }
                </select>
            </label>
            <button type="button" data-testid="why-to" onclick={ask(true)}>{ "from here →" }</button>
            <button type="button" data-testid="why-from" onclick={ask(false)}>{ "→ to here" }</button>
        </div>
    }
}
