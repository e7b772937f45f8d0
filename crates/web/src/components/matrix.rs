//! The matrix: sources × destinations, each cell the allowed protocols and ports; with a
//! probe, whether that port is allowed. Click a cell to explain it.

use crate::view_model::{probe_allows, short_conn, Cell, Change, Node, NodeKind};
use netplay_core::Protocol;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MatrixProps {
    pub nodes: Rc<Vec<Node>>,
    pub cells: Rc<BTreeMap<(String, String), Cell>>,
    pub probe: Option<(Protocol, u16)>,
    pub pair: Option<(String, String)>,
    pub selected: Option<String>,
    pub on_cell: Callback<(String, String)>,
    pub on_select: Callback<Option<String>>,
}

fn label(node: &Node) -> (String, String) {
    match &node.kind {
        NodeKind::Workload { namespace, name, kind } => (format!("{namespace}/{name}"), kind.clone()),
        NodeKind::External => (node.id.trim_end_matches("[External]").to_string(), "External".into()),
        NodeKind::IngressController => ("ingress controller".into(), "Ingress".into()),
    }
}

fn change_mark(c: Change) -> &'static str {
    match c {
        Change::Same => "",
        Change::Added => "+",
        Change::Removed => "−",
        Change::Changed => "~",
    }
}

#[function_component]
pub fn Matrix(props: &MatrixProps) -> Html {
    if props.nodes.is_empty() {
        return html! {
            <div class="empty-view">{ "No workloads yet — load an example or paste manifests into the editor." }</div>
        };
    }
    // Sources: every node; destinations: workloads and external ranges (the ingress
    // controller only ever sends).
    let dsts: Vec<&Node> = props
        .nodes
        .iter()
        .filter(|n| n.kind != NodeKind::IngressController)
        .collect();
    let header = dsts.iter().map(|n| {
        let (name, kind) = label(n);
        let faded = props.selected.as_ref().is_some_and(|s| s != &n.id);
        html! {
            <th scope="col" class={classes!("col-head", faded.then_some("faded"))} title={n.id.clone()}>
                <div class="rot"><span>{ name }</span><small>{ kind }</small></div>
            </th>
        }
    });
    let rows = props.nodes.iter().map(|src| {
        let (name, kind) = label(src);
        let on_row = {
            let cb = props.on_select.clone();
            let id = src.id.clone();
            let selected = props.selected.clone();
            Callback::from(move |_: MouseEvent| cb.emit(if selected.as_ref() == Some(&id) { None } else { Some(id.clone()) }))
        };
        let cells = dsts.iter().map(|dst| {
            let key = (src.id.clone(), dst.id.clone());
            if src.id == dst.id {
                return html! { <td class="cell self" data-src={src.id.clone()} data-dst={dst.id.clone()} data-conn="" data-change="same" title="A workload to itself is not reported">{ "·" }</td> };
            }
            let cell = props.cells.get(&key);
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
            let change_name = match change {
                Change::Same => "same",
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
            };
            html! {
                <td class={class} data-src={src.id.clone()} data-dst={dst.id.clone()}
                    data-conn={conn.clone().unwrap_or_default()} data-change={change_name}
                    data-probe={probe.map(|a| if a { "allowed" } else { "denied" })}
                    title={title} onclick={on_click} tabindex="0" role="button">
                    if change != Change::Same { <span class="diff-mark">{ change_mark(change) }</span> }
                    { text }
                </td>
            }
        });
        let faded = props.selected.as_ref().is_some_and(|s| s != &src.id);
        html! {
            <tr>
                <th scope="row" class={classes!("row-head", faded.then_some("faded"))} title={src.id.clone()} onclick={on_row}>
                    <span>{ name }</span><small>{ kind }</small>
                </th>
                { for cells }
            </tr>
        }
    });
    html! {
        <div class="matrix-scroll">
            <table class="matrix" data-testid="matrix">
                <caption class="sr-only">{ "Allowed connections: rows are sources, columns destinations" }</caption>
                <thead><tr><th class="corner">{ "from ↓ to →" }</th>{ for header }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
