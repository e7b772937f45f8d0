//! The matrix: sources × destinations, each cell the allowed protocols and ports; with a
//! probe, whether that port is allowed. Click a cell, or press Enter or Space on it, to
//! explain it; arrow keys move between cells. A namespace filter narrows rows and columns.
//!
//! Big matrices (more than [`VIRTUAL_FROM`] rows or columns, or [`VIRTUAL_SUMMARY_FROM`]
//! in the summary) are virtualised: only the rows and columns in view are rendered, in a
//! table pinned to the top left of the scroll area, while a sizer gives the scroll area
//! the size of the whole matrix. 1,000 workloads are a million cells; a few hundred are on
//! screen.
//!
//! Above [`AGGREGATE_FROM`] endpoints the matrix opens summarised by namespace (core's
//! `present::group_matrix`: per namespace pair, how many workload pairs connect, out of
//! how many, and the union of their ports); a click on a cell shows its workloads (the
//! sources of the row's namespace, the destinations of the column's), and "← All
//! namespaces" goes back. "Every workload" shows the whole matrix anyway.

use crate::view_model::{probe_allows, Analysis, Change, Node, NodeKind};
use netplay_core::output::ConnLine;
use netplay_core::present::{group_of, short_conn, Group, GroupMatrix};
use netplay_core::Protocol;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MatrixProps {
    /// The evaluation shown and the checkpoint's connections (changes since are marked).
    pub analysis: Rc<Analysis>,
    pub checkpoint: Rc<Vec<ConnLine>>,
    pub probe: Option<(Protocol, u16)>,
    pub pair: Option<(String, String)>,
    pub selected: Option<String>,
    pub on_cell: Callback<(String, String)>,
    pub on_select: Callback<Option<String>>,
    /// The tiers that decide each pair (core's `present::admin_tier_marks`).
    #[prop_or_default]
    pub tiers: Rc<crate::components::graph::TierMarks>,
    /// Observed flows: their cells are marked (allowed or would be blocked).
    #[prop_or_default]
    pub flows: Rc<crate::components::flows::FlowMarks>,
}

/// From this many rows or columns on, only the cells in view are rendered.
pub const VIRTUAL_FROM: usize = 80;
/// Above this many endpoints the matrix opens summarised by namespace.
pub const AGGREGATE_FROM: usize = 150;
/// From this many namespaces on, the summary too renders only the cells in view: a
/// screen shows about 8 of its columns, and at 50 namespaces drawing all 2,601 cells
/// again was most of the frame after an edit.
pub const VIRTUAL_SUMMARY_FROM: usize = 24;
/// Size of a cell in the virtualised matrix, and in the virtualised summary, whose cells
/// say more (`324/324 · TCP 8080`) (must match `.matrix.virtual` in style.css).
const CELL_W: f64 = 72.0;
const SUMMARY_CELL_W: f64 = 176.0;
const ROW_H: f64 = 24.0;
const HEAD_H: f64 = 150.0;
const ROW_HEAD_W: f64 = 260.0;

fn label(node: &Node) -> (String, String) {
    match &node.kind {
        NodeKind::Workload { namespace, name, kind } => (format!("{namespace}/{name}"), kind.clone()),
        NodeKind::External => (
            netplay_core::present::external_range_text(&node.id).unwrap_or_else(|| node.id.clone()),
            "External".into(),
        ),
        NodeKind::IngressController => ("ingress controller".into(), "Ingress".into()),
    }
}

/// What the matrix shows.
#[derive(Clone, Debug, PartialEq, Default)]
enum Scope {
    /// Every endpoint, or the summary by namespace above [`AGGREGATE_FROM`] endpoints.
    #[default]
    Auto,
    /// Every endpoint, however many.
    Every,
    /// The endpoints of one group as sources and of another as destinations (a namespace
    /// picked in the filter is both).
    Groups(Group, Group),
}

impl Scope {
    fn is_auto(&self) -> bool {
        *self == Scope::Auto
    }
}

/// The rows or columns of a virtualised matrix that are in view: always as many as fit
/// (near the end the window ends at the last one instead of shrinking: a shorter table
/// would shorten the scroll area, move the scroll position and the window again: a loop).
fn in_view<T>(items: &[T], start: usize, len: usize) -> &[T] {
    let first = start.min(items.len().saturating_sub(len));
    items.get(first..(first + len).min(items.len())).unwrap_or_default()
}

fn change_mark(c: Change) -> &'static str {
    match c {
        Change::Same => "",
        Change::Added => "+",
        Change::Removed => "−",
        Change::Changed => "~",
    }
}

fn change_name(c: Change) -> &'static str {
    match c {
        Change::Same => "same",
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
    }
}

/// Moves the focus from a cell to its neighbour in the direction of an arrow key, over
/// cells that take no focus (a workload's cell with itself).
fn move_focus(cell: &web_sys::Element, key: &str) -> bool {
    let index = cell
        .parent_element()
        .and_then(|row| (0..row.children().length()).find(|&i| row.children().item(i).as_ref() == Some(cell)));
    let step = |from: &web_sys::Element| -> Option<web_sys::Element> {
        match key {
            "ArrowRight" => from.next_element_sibling(),
            "ArrowLeft" => from.previous_element_sibling().filter(|e| e.tag_name() == "TD"),
            "ArrowUp" | "ArrowDown" => {
                let row = from.parent_element()?;
                let other = if key == "ArrowUp" {
                    row.previous_element_sibling()
                } else {
                    row.next_element_sibling()
                };
                other?.children().item(index?)
            }
            _ => None,
        }
    };
    let mut next = step(cell);
    while let Some(n) = next {
        match n.dyn_ref::<HtmlElement>() {
            Some(h) if h.tab_index() >= 0 => {
                let _ = h.focus();
                return true;
            }
            _ => next = step(&n),
        }
    }
    false
}

/// Focuses the drawn cell of row `src` and column `dst`; whether it is drawn.
fn focus_cell(scroller: &web_sys::Element, (src, dst): &(String, String)) -> bool {
    let Ok(cells) = scroller.query_selector_all("td") else {
        return false;
    };
    let found = (0..cells.length())
        .filter_map(|i| cells.item(i)?.dyn_into::<HtmlElement>().ok())
        .find(|td| cell_ids(td).is_some_and(|(s, d)| s == *src && d == *dst));
    if let Some(td) = &found {
        let _ = td.focus();
    }
    found.is_some()
}

/// The ids of every row and every column of a virtualised matrix, in order (the
/// workloads', or the summary's group titles): where an arrow key goes past the window.
type Order = Rc<(Vec<String>, Vec<String>)>;

/// An arrow key on cell `(src, dst)` at the edge of a virtualised matrix's window (`window`
/// as scrolled now): the cell beyond it (its row's and column's ids) and the scroll
/// position (top, left) that brings it whole into the window.
fn beyond_window(
    (src, dst): (String, String),
    key: &str,
    order: &Order,
    window: Window,
    cell_w: f64,
    skip_self: bool,
) -> Option<(String, String, f64, f64)> {
    let (rows, cols) = &**order;
    let r = rows.iter().position(|x| *x == src)?;
    let c = cols.iter().position(|x| *x == dst)?;
    let step = |(r, c): (usize, usize)| -> Option<(usize, usize)> {
        match key {
            "ArrowRight" => Some((r, c + 1)),
            "ArrowLeft" => Some((r, c.checked_sub(1)?)),
            "ArrowDown" => Some((r + 1, c)),
            "ArrowUp" => Some((r.checked_sub(1)?, c)),
            _ => None,
        }
    };
    let (mut r, mut c) = step((r, c))?;
    // A workload's cell with itself takes no focus: the key goes on past it.
    if skip_self && rows.get(r).is_some_and(|row| cols.get(c) == Some(row)) {
        (r, c) = step((r, c))?;
    }
    let (row, col) = (rows.get(r)?, cols.get(c)?);
    // The window's last row and column are partly hidden: a target past the one before
    // them moves the window by as much.
    let first = |i: usize, start: usize, len: usize| {
        if i < start {
            i
        } else if i + 2 > start + len {
            (i + 2).saturating_sub(len)
        } else {
            start
        }
    };
    let top = first(r, window.row, window.rows) as f64 * ROW_H;
    let left = first(c, window.col, window.cols) as f64 * cell_w;
    Some((row.clone(), col.clone(), top, left))
}

/// A cell's row and column ids: a workload pair's, or a summary cell's group titles.
fn cell_ids(td: &web_sys::Element) -> Option<(String, String)> {
    match (td.get_attribute("data-src"), td.get_attribute("data-dst")) {
        (Some(s), Some(d)) => Some((s, d)),
        _ => Some((td.get_attribute("data-src-group")?, td.get_attribute("data-dst-group")?)),
    }
}

/// Rows and columns in view of the virtualised matrix.
#[derive(Clone, Copy, PartialEq, Default)]
struct Window {
    row: usize,
    col: usize,
    rows: usize,
    cols: usize,
}

impl Window {
    /// The window where the scroll area `sc` is scrolled to (columns `cell_w` wide).
    fn scrolled(&self, sc: &HtmlElement, cell_w: f64) -> Window {
        Window {
            row: (sc.scroll_top() as f64 / ROW_H).floor() as usize,
            col: (sc.scroll_left() as f64 / cell_w).floor() as usize,
            ..*self
        }
    }
}

// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component]
pub fn Matrix(props: &MatrixProps) -> Html {
    let scope = use_state(Scope::default);
    let scroller = use_node_ref();
    let sizer = use_node_ref();
    // The cell the keyboard moved to past the window's edge: focused once drawn, and again
    // after each redraw while the focus stays in the matrix.
    let pending_focus = use_mut_ref(|| None::<(String, String)>);
    {
        let (pending, scroller) = (pending_focus.clone(), scroller.clone());
        use_effect(move || {
            let Some(target) = pending.borrow().clone() else { return };
            let Some(sc) = scroller.cast::<web_sys::Element>() else {
                return;
            };
            // Drawn again (the window moved, or the cells were patched in place): the
            // focus goes back to the cell's new element, unless it has left the matrix.
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element());
            if active.is_none_or(|a| sc.contains(Some(&a)) || a.tag_name() == "BODY") {
                focus_cell(&sc, &target);
            } else {
                pending.borrow_mut().take();
            }
        });
    }
    // Until the scroll area is measured (right after the first render), about what a
    // laptop screen shows: a bigger guess renders hundreds of cells for nothing.
    let window = use_state(|| Window {
        row: 0,
        col: 0,
        rows: 20,
        cols: 8,
    });

    // Every endpoint; the summary, read from the connection lines and their changes; and
    // the cell of every pair, built only when pairs are shown: at thousands of workloads,
    // building them for a summary of a few thousand cells took most of a redraw. One memo
    // (each is its own code in the download); the summary's choice needs the endpoints'
    // count, so it is made in it.
    let scoped_auto = *scope == Scope::Auto;
    let model = use_memo(
        (props.analysis.clone(), props.checkpoint.clone(), scoped_auto),
        |(a, c, auto)| {
            let nodes = crate::view_model::endpoints(a, Some(c));
            let summary = (*auto && nodes.len() > AGGREGATE_FROM)
                .then(|| Rc::new(crate::view_model::group_summary(a, c, &nodes)));
            let cells = match summary {
                Some(_) => BTreeMap::new(),
                None => crate::view_model::matrix(a, Some(c)),
            };
            (nodes, summary, cells)
        },
    );
    let (nodes, summary, cells) = (&model.0, model.1.clone(), &model.2);
    // Each endpoint's group (core decides what a namespace is), and the namespaces.
    let groups: Vec<Group> = nodes.iter().map(|n| group_of(&n.id)).collect();
    let mut namespaces: Vec<&str> = groups
        .iter()
        .filter(|g| matches!(g, Group::Namespace(_)))
        .map(Group::title)
        .collect();
    netplay_core::sorting::sort_by(&mut namespaces, |a, b| crate::view_model::natural_cmp(a, b));
    namespaces.dedup();
    let large = nodes.len() > AGGREGATE_FROM;
    let aggregated = summary.is_some();
    let (row_group, col_group) = match &*scope {
        Scope::Groups(a, b) => (Some(a), Some(b)),
        _ => (None, None),
    };
    let filter = match (row_group, col_group) {
        (Some(a), Some(b)) if a == b => a.title().to_string(),
        _ => String::new(),
    };
    // The endpoints of a group (all without one); none while the summary is shown.
    let members = |g: Option<&Group>| -> Vec<&Node> {
        if aggregated {
            return Vec::new();
        }
        nodes
            .iter()
            .zip(&groups)
            .filter(|(_, own)| g.is_none_or(|g| g == *own))
            .map(|(n, _)| n)
            .collect()
    };
    // Sources: every endpoint but FQDN destinations, which only receive (rows of dashes).
    let srcs: Vec<&Node> = members(row_group)
        .into_iter()
        .filter(|n| !netplay_core::policy::DnsMatch::is_fqdn_name(&n.id))
        .collect();
    // Destinations: workloads and external ranges (the ingress controller only sends).
    let dsts: Vec<&Node> = members(col_group)
        .into_iter()
        .filter(|n| n.kind != NodeKind::IngressController)
        .collect();
    // The summary's rows and columns: every group sends; the ingress controller receives nothing.
    let group_rows: Vec<usize> = summary.iter().flat_map(|m| 0..m.groups.len()).collect();
    let group_cols: Vec<usize> = summary
        .iter()
        .flat_map(|m| m.groups.iter().enumerate())
        .filter(|(_, (g, _))| *g != Group::IngressController)
        .map(|(i, _)| i)
        .collect();
    let (n_rows, n_cols) = match &summary {
        Some(_) => (group_rows.len(), group_cols.len()),
        None => (srcs.len(), dsts.len()),
    };
    let (virtual_from, cell_w) = match summary {
        Some(_) => (VIRTUAL_SUMMARY_FROM, SUMMARY_CELL_W),
        None => (VIRTUAL_FROM, CELL_W),
    };
    let virtual_mode = n_rows.max(n_cols) > virtual_from;

    // The sizer gives the scroll area the whole matrix's size (through the CSS object
    // model: the Content-Security-Policy allows no style attributes).
    {
        let (scroller, sizer, window) = (scroller.clone(), sizer.clone(), window.clone());
        let (rows, cols) = (n_rows, n_cols);
        use_effect_with((rows, cols, virtual_mode, virtual_from), move |&(rows, cols, on, _)| {
            if !on {
                return;
            }
            let (Some(sc), Some(sz)) = (scroller.cast::<HtmlElement>(), sizer.cast::<HtmlElement>()) else {
                return;
            };
            let (h, w) = (sc.client_height() as f64, sc.client_width() as f64);
            let fit_rows = (((h - HEAD_H) / ROW_H).floor().max(1.0)) as usize;
            let fit_cols = (((w - ROW_HEAD_W) / cell_w).floor().max(1.0)) as usize;
            let extra_h = rows.saturating_sub(fit_rows) as f64 * ROW_H;
            let extra_w = cols.saturating_sub(fit_cols) as f64 * cell_w;
            let style = sz.style();
            let _ = style.set_property("height", &format!("{extra_h}px"));
            let _ = style.set_property("width", &format!("{}px", w + extra_w));
            let next = Window {
                rows: fit_rows + 1,
                cols: fit_cols + 1,
                ..*window
            };
            if next != *window {
                window.set(next);
            }
        });
    }
    let on_scroll = {
        let window = window.clone();
        Callback::from(move |e: Event| {
            let next = window.scrolled(&e.target_unchecked_into::<HtmlElement>(), cell_w);
            if next != *window {
                window.set(next);
            }
        })
    };

    if nodes.is_empty() {
        return html! {
            <div class="empty-view">{ "No workloads yet — load an example or paste manifests into the editor." }</div>
        };
    }

    // Where arrow keys go past the window, and the cell they went to once it is drawn.
    let order: Order = Rc::new(match (&summary, virtual_mode) {
        (_, false) => Default::default(),
        (Some(m), true) => {
            let title = |&i: &usize| m.groups.get(i).map(|(g, _)| g.title().to_string()).unwrap_or_default();
            (
                group_rows.iter().map(title).collect(),
                group_cols.iter().map(title).collect(),
            )
        }
        (None, true) => (
            srcs.iter().map(|n| n.id.clone()).collect(),
            dsts.iter().map(|n| n.id.clone()).collect(),
        ),
    });

    let (rows, cols): (&[&Node], &[&Node]) = if virtual_mode {
        (
            in_view(&srcs, window.row, window.rows),
            in_view(&dsts, window.col, window.cols),
        )
    } else {
        (&srcs, &dsts)
    };

    let header = cols.iter().map(|n| {
        let (name, kind) = label(n);
        let faded = props.selected.as_ref().is_some_and(|s| s != &n.id);
        html! {
            <th scope="col" class={classes!("col-head", faded.then_some("faded"))} title={n.id.clone()}>
                <div class="rot"><span>{ name }</span><small>{ kind }</small></div>
            </th>
        }
    });
    let drill = {
        let scope = scope.clone();
        Callback::from(move |(a, b): (Group, Group)| scope.set(Scope::Groups(a, b)))
    };
    let on_key = {
        let cb = props.on_cell.clone();
        let (drill, summary) = (drill.clone(), summary.clone());
        let (pending, scroller, window) = (pending_focus.clone(), scroller.clone(), *window);
        let summarised = summary.is_some();
        Callback::from(move |e: KeyboardEvent| {
            let Some(td) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
                return;
            };
            let key = e.key();
            if key == "Enter" || key == " " {
                if let (Some(s), Some(d)) = (td.get_attribute("data-src"), td.get_attribute("data-dst")) {
                    e.prevent_default();
                    cb.emit((s, d));
                } else if let (Some(s), Some(d)) =
                    (td.get_attribute("data-src-group"), td.get_attribute("data-dst-group"))
                {
                    let titled = |t: &str| {
                        summary
                            .as_ref()?
                            .groups
                            .iter()
                            .find(|(g, _)| g.title() == t)
                            .map(|(g, _)| g.clone())
                    };
                    if let (Some(a), Some(b)) = (titled(&s), titled(&d)) {
                        e.prevent_default();
                        drill.emit((a, b));
                    }
                }
                return;
            }
            // A key pressed before the window has shown the last one's cell goes on from
            // that cell, not from the one still focused.
            let in_flight = pending.borrow().clone();
            if in_flight.is_none() && move_focus(&td, &key) {
                e.prevent_default();
                return;
            }
            let (Some(from), Some(sc)) = (in_flight.or_else(|| cell_ids(&td)), scroller.cast::<HtmlElement>()) else {
                return;
            };
            let now = window.scrolled(&sc, cell_w);
            if let Some((row, col, top, left)) = beyond_window(from, &key, &order, now, cell_w, !summarised) {
                // Past the window's edge: scroll it there. The cell is focused now when
                // drawn, and again once the window has moved (its element may change).
                e.prevent_default();
                sc.set_scroll_top(top as i32);
                sc.set_scroll_left(left as i32);
                let target = (row, col);
                focus_cell(&sc, &target);
                *pending.borrow_mut() = Some(target);
            }
        })
    };
    // A cell focused otherwise (a click, Tab) is where the keyboard goes on from.
    let on_focusin = {
        let pending = pending_focus.clone();
        Callback::from(move |e: FocusEvent| {
            let ids = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|td| cell_ids(&td));
            let mut pending = pending.borrow_mut();
            if pending.is_some() && *pending != ids {
                *pending = None;
            }
        })
    };
    let row_html = |src: &&Node| {
        let (name, kind) = label(src);
        let on_row = {
            let cb = props.on_select.clone();
            let id = src.id.clone();
            let selected = props.selected.clone();
            Callback::from(move |_: MouseEvent| {
                cb.emit(if selected.as_ref() == Some(&id) {
                    None
                } else {
                    Some(id.clone())
                })
            })
        };
        let cells = cols.iter().map(|dst| {
            let key = (src.id.clone(), dst.id.clone());
            if src.id == dst.id {
                return html! { <td class="cell self" data-src={src.id.clone()} data-dst={dst.id.clone()} data-conn="" data-change="same" title="A workload to itself is not reported">{ "·" }</td> };
            }
            let cell = cells.get(&key);
            let conn = cell.and_then(|c| c.conn.clone());
            let change = cell.map_or(Change::Same, |c| c.change);
            let external_pair = src.kind == NodeKind::External && dst.kind == NodeKind::External;
            let probe = props.probe.map(|p| probe_allows(conn.as_deref(), p));
            let text = match (probe, &conn) {
                (Some(true), _) => "✓ allowed".to_string(),
                (Some(false), _) => "✗ denied".to_string(),
                (None, Some(c)) => short_conn(c),
                (None, None) => "—".to_string(),
            };
            let mut title = format!("{} => {} : {}", src.id, dst.id, conn.as_deref().unwrap_or("No Connections"));
            if let Some(old) = cell.and_then(|c| c.old.clone()) {
                title.push_str(&format!(" (was: {old})"));
            } else if change == Change::Added {
                title.push_str(" (new since the checkpoint)");
            }
            let tiers = props.tiers.get(&key);
            let tier_mark = tiers.and_then(|t| netplay_core::present::tier_mark(t));
            let tier_words = tiers.and_then(|t| netplay_core::present::tier_mark_label(t));
            if let Some(words) = &tier_words {
                title.push_str(&format!(" — {words}"));
            }
            let observed = props.flows.get(&key).copied();
            if let Some(allowed) = observed {
                title.push_str(if allowed { " — observed" } else { " — observed, would be blocked" });
            }
            title.push_str(" — Enter: why?");
            let chosen = props.pair.as_ref() == Some(&key);
            let faded = props.selected.as_ref().is_some_and(|s| s != &src.id && s != &dst.id);
            let on_click = {
                let cb = props.on_cell.clone();
                let key = key.clone();
                Callback::from(move |_: MouseEvent| cb.emit(key.clone()))
            };
            let class = classes!(
                "cell",
                if conn.is_some() { "allowed" } else { "none" },
                match probe {
                    Some(true) => Some("probe-allowed"),
                    Some(false) => Some("probe-denied"),
                    None => None,
                },
                match change {
                    Change::Same => None,
                    Change::Added => Some("diff-added"),
                    Change::Removed => Some("diff-removed"),
                    Change::Changed => Some("diff-changed"),
                },
                chosen.then_some("chosen"),
                faded.then_some("faded"),
                external_pair.then_some("self"),
            );
            html! {
                <td class={class} data-src={src.id.clone()} data-dst={dst.id.clone()}
                    data-conn={conn.clone().unwrap_or_default()} data-change={change_name(change)}
                    data-probe={probe.map(|a| if a { "allowed" } else { "denied" })}
                    data-tiers={tier_mark.as_ref().and(tiers).map(|t| t.join(" "))}
                    data-observed={observed.map(|a| if a { "allowed" } else { "blocked" })}
                    title={title} onclick={on_click} tabindex="0" role="button"
                    aria-label={format!("{text} — {} to {}: {}{}", src.id, dst.id, conn.as_deref().unwrap_or("no connection"),
                        tier_words.as_ref().map(|w| format!(" — {w}")).unwrap_or_default())}>
                    if change != Change::Same { <span class="diff-mark" aria-hidden="true">{ change_mark(change) }</span> }
                    { text }
                    if let Some(allowed) = observed {
                        <span class={classes!("observed-mark", if allowed { "flow-allowed" } else { "flow-blocked" })} aria-hidden="true">{ "●" }</span>
                    }
                    if let Some((m, class)) = &tier_mark {
                        // The letter is drawn by CSS from `data-mark`: it is a mark, which the
                        // label spells out, not text a voice user would have to say (WCAG 2.5.3).
                        <sup class={classes!("cell-tier", *class)} data-mark={m.clone()} aria-hidden="true" />
                    }
                </td>
            }
        });
        let faded = props.selected.as_ref().is_some_and(|s| s != &src.id);
        html! {
            <tr key={src.id.clone()}>
                <th scope="row" class={classes!("row-head", faded.then_some("faded"))} title={src.id.clone()} onclick={on_row}>
                    <span>{ name }</span><small>{ kind }</small>
                </th>
                { for cells }
            </tr>
        }
    };
    // Small matrices are grouped: a heading row where the namespace changes.
    let mut body: Vec<Html> = Vec::with_capacity(rows.len() + 8);
    let mut last_group: Option<Group> = None;
    for src in rows {
        let group = group_of(&src.id);
        if !virtual_mode && scope.is_auto() && last_group.as_ref() != Some(&group) {
            let title = match &group {
                Group::Namespace(ns) => format!("namespace {ns}"),
                other => other.title().to_string(),
            };
            body.push(html! {
                <tr class="group-row" key={format!("group:{title}")}>
                    <th scope="rowgroup" class="group-head" colspan={(cols.len() + 1).to_string()}>{ title }</th>
                </tr>
            });
        }
        last_group = Some(group);
        body.push(row_html(src));
    }
    let mut header: Vec<Html> = header.collect();
    let mut size = format!("{} sources × {} destinations", srcs.len(), dsts.len());
    if let Some(m) = &summary {
        let (r, c) = if virtual_mode {
            (
                in_view(&group_rows, window.row, window.rows),
                in_view(&group_cols, window.col, window.cols),
            )
        } else {
            (&group_rows[..], &group_cols[..])
        };
        (header, body) = summary_table(m, r, c, &scope.setter());
        size = format!(
            "{} endpoints in {} groups, summarised by namespace — click a cell for its workloads",
            nodes.len(),
            m.groups.len()
        );
    }
    let on_namespace = {
        let scope = scope.clone();
        let named: Vec<Group> = namespaces.iter().map(|ns| Group::Namespace(ns.to_string())).collect();
        Callback::from(move |e: Event| {
            let picked = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            scope.set(match named.iter().find(|g| g.title() == picked) {
                Some(g) => Scope::Groups(g.clone(), g.clone()),
                None => Scope::Auto,
            })
        })
    };
    let set_scope = |to: Scope| {
        let scope = scope.clone();
        Callback::from(move |_: MouseEvent| scope.set(to.clone()))
    };
    let drilled = match (row_group, col_group) {
        (Some(a), Some(b)) if a != b => Some(format!("from {} to {}", a.title(), b.title())),
        _ => None,
    };
    html! {
        <div class="matrix-view">
            <div class="matrix-tools">
                <label>{ "Namespace " }
                    <select data-testid="matrix-namespace" onchange={on_namespace} aria-label="Show one namespace">
                        <option value="" selected={filter.is_empty()}>{ "all" }</option>
                        { for namespaces.iter().map(|ns| html! { <option value={ns.to_string()} selected={*ns == filter}>{ *ns }</option> }) }
                    </select>
                </label>
                if large && !aggregated {
                    <button type="button" class="link" data-testid="matrix-summary" onclick={set_scope(Scope::Auto)}
                        title="One row and one column per namespace">{ "← All namespaces" }</button>
                }
                if let Some(d) = drilled {
                    <strong data-testid="matrix-drilled">{ d }</strong>
                }
                if aggregated {
                    <button type="button" class="link" data-testid="matrix-every" onclick={set_scope(Scope::Every)}
                        title="One row and one column per workload (only what is in view is drawn)">{ "Every workload" }</button>
                }
                <span class="muted small" data-testid="matrix-size">{ size }</span>
            </div>
            <div class={classes!("matrix-scroll", virtual_mode.then_some("virtual"))} ref={scroller} onscroll={on_scroll}>
                <table class={classes!("matrix", virtual_mode.then_some("virtual"), aggregated.then_some("summary"))} data-testid="matrix" onkeydown={on_key} onfocusin={on_focusin}
                    data-virtual={virtual_mode.to_string()} data-summary={aggregated.to_string()}>
                    <caption class="sr-only">{ if aggregated {
                        "Allowed connections by namespace: rows are source namespaces, columns destination namespaces; each cell counts the workload pairs that connect and their ports. Enter on a cell shows its workloads."
                    } else {
                        "Allowed connections: rows are sources, columns destinations. Enter on a cell explains it."
                    } }</caption>
                    <thead><tr><th class="corner" scope="col">{ "from ↓ to →" }</th>{ for header }</tr></thead>
                    <tbody>{ for body }</tbody>
                </table>
                if virtual_mode {
                    <div class="matrix-sizer" ref={sizer} aria-hidden="true" />
                }
            </div>
        </div>
    }
}

/// The summary's header cells and rows: per pair of groups, how many workload pairs
/// connect out of how many, and the union of their ports (core's `group_matrix`). A
/// click (or Enter) shows the cell's workloads.
fn summary_table(
    m: &GroupMatrix,
    rows: &[usize],
    cols: &[usize],
    scope: &UseStateSetter<Scope>,
) -> (Vec<Html>, Vec<Html>) {
    let group = |i: usize| m.groups.get(i).map(|(g, _)| g);
    let header = cols
        .iter()
        .filter_map(|&i| Some((i, group(i)?)))
        .map(|(i, g)| {
            html! {
                <th scope="col" class="col-head" title={g.title().to_string()}>
                    <div class="rot"><span>{ g.title() }</span><small>{ members(m.size(i)) }</small></div>
                </th>
            }
        })
        .collect();
    let body = rows
        .iter()
        .filter_map(|&i| Some((i, group(i)?)))
        .map(|(i, src)| {
            let cells: Vec<SummaryCell> = cols
                .iter()
                .filter_map(|&j| Some((j, group(j)?)))
                .map(|(j, dst)| SummaryCell {
                    dst: dst.clone(),
                    cell: m.cell(i, j).cloned().filter(|c| c.pairs > 0),
                    changes: m.cell(i, j).map_or(0, |c| c.changed),
                })
                .collect();
            html! {
                <SummaryRow key={src.title().to_string()} src={src.clone()} size={m.size(i)} cells={cells} scope={scope.clone()} />
            }
        })
        .collect();
    (header, body)
}

fn members(n: usize) -> String {
    format!("{n} endpoint{}", if n == 1 { "" } else { "s" })
}

/// One cell of a summary row, as drawn.
#[derive(Clone, PartialEq)]
struct SummaryCell {
    dst: Group,
    /// The pairs of the cell, when one connects.
    cell: Option<netplay_core::present::GroupCell>,
    /// Pairs changed since the checkpoint.
    changes: usize,
}

#[derive(Properties, PartialEq)]
struct SummaryRowProps {
    src: Group,
    /// Endpoints in the row's group.
    size: usize,
    cells: Vec<SummaryCell>,
    scope: UseStateSetter<Scope>,
}

/// A row of the summary, a component of its own so that a redraw after an edit draws
/// only the rows whose cells changed (an edit changes a few of thousands of cells;
/// drawing all of them again was most of the redraw). A cell with changes since the
/// checkpoint is marked `~` and says how many pairs changed.
#[function_component]
fn SummaryRow(props: &SummaryRowProps) -> Html {
    let src = &props.src;
    let cells = props.cells.iter().map(|c| {
        let on_click = {
            let (scope, pair) = (props.scope.clone(), (src.clone(), c.dst.clone()));
            Callback::from(move |_: MouseEvent| scope.set(Scope::Groups(pair.0.clone(), pair.1.clone())))
        };
        // `~`: changed since the checkpoint (the title says how many pairs).
        let mark = if c.changes > 0 { "~ " } else { "" };
        let (text, words) = match &c.cell {
            Some(g) => (
                format!("{mark}{}/{} · {}", g.pairs, g.possible, short_conn(&g.conn)),
                format!("{} of {} workload pairs connect: {}", g.pairs, g.possible, g.conn),
            ),
            None => (format!("{mark}—"), "no workload pair connects".to_string()),
        };
        let mut title = format!("{} => {}: {words}", src.title(), c.dst.title());
        if c.changes > 0 {
            let _ = write!(title, " ({} changed since the checkpoint)", c.changes);
        }
        title.push_str(" — click for the workloads");
        html! {
            <td class={classes!("cell", "group-cell", if c.cell.is_some() { "allowed" } else { "none" }, (c.changes > 0).then_some("diff-changed"))}
                data-src-group={src.title().to_string()} data-dst-group={c.dst.title().to_string()}
                data-pairs={c.cell.as_ref().map_or(0, |g| g.pairs).to_string()}
                data-conn={c.cell.as_ref().map(|g| g.conn.clone()).unwrap_or_default()}
                title={title} onclick={on_click} tabindex="0" role="button">
                { text }
            </td>
        }
    });
    html! {
        <tr>
            <th scope="row" class="row-head group-row-head" title={src.title().to_string()}>
                <span>{ src.title() }</span><small>{ members(props.size) }</small>
            </th>
            { for cells }
        </tr>
    }
}
