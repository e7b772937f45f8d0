//! Observed traffic over the scenario: a flow file (Hubble, Calico, Inspektor Gadget,
//! CSV) dropped on the page or opened, read and replayed by core (`flows::read`,
//! `flows::replay`), each flow with its verdict; "Generate policies" opens core's
//! least-privilege NetworkPolicies (`flows::generate`) as new editor tabs. The graph and
//! the matrix mark the same flows ([`flow_marks`]).

use crate::state::File;
use crate::view_model::Analysis;
use netplay_core::flows::replay::replay;
use netplay_core::flows::{generate, GenerateOptions};
use netplay_core::flows::{read, Observed};
use netplay_core::SourceFile;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// One observed flow as the views show it: endpoints as connlist names them, the port,
/// core's verdict and why a blocked one is blocked.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRow {
    pub src: String,
    pub dst: String,
    pub port: String,
    pub allowed: bool,
    pub records: u64,
    pub reason: Option<&'static str>,
}

/// What core read and replayed from a flow file against the current analysis.
pub struct FlowView {
    pub observed: Observed,
    pub rows: Vec<FlowRow>,
    pub summary: String,
    pub verdicts: String,
}

/// Reads and replays `file` against the analysis (all rules are core's).
pub fn flow_view(analysis: &Analysis, file: &File) -> FlowView {
    let cluster = &analysis.scenario.cluster;
    let observed = read(cluster, &[SourceFile::new(file.name.clone(), file.text.clone())]);
    let result = replay(cluster, &observed);
    let rows = result
        .verdicts
        .iter()
        .filter_map(|v| {
            let f = observed.flows.get(v.flow)?;
            Some(FlowRow {
                src: f.src.name(cluster),
                dst: f.dst.name(cluster),
                port: format!("{} {}", f.protocol.as_str(), f.port),
                allowed: v.allowed,
                records: f.records,
                reason: v.reason,
            })
        })
        .collect();
    FlowView {
        summary: observed.summary(),
        verdicts: result.summary(),
        rows,
        observed,
    }
}

/// `(src, dst)` → whether every observed flow of the pair is allowed (the graph draws it
/// green, else red; the matrix marks the cell).
pub type FlowMarks = BTreeMap<(String, String), bool>;

pub fn flow_marks(rows: &[FlowRow]) -> FlowMarks {
    let mut marks = FlowMarks::new();
    for r in rows {
        let all_allowed = marks.entry((r.src.clone(), r.dst.clone())).or_insert(true);
        *all_allowed &= r.allowed;
    }
    marks
}

#[derive(Properties, PartialEq)]
pub struct FlowsProps {
    pub analysis: Rc<Analysis>,
    pub file: Rc<File>,
    /// The generated policy files, to open as new tabs.
    pub on_generate: Callback<Vec<File>>,
    pub on_close: Callback<()>,
    /// Explain a pair.
    pub on_pair: Callback<(String, String)>,
}

#[function_component]
pub fn Flows(props: &FlowsProps) -> Html {
    let view = use_memo((props.analysis.clone(), props.file.clone()), |(a, f)| flow_view(a, f));
    let on_generate = {
        let analysis = props.analysis.clone();
        let view = view.clone();
        let cb = props.on_generate.clone();
        Callback::from(move |_: MouseEvent| {
            let files = generate(&analysis.scenario.cluster, &view.observed, &GenerateOptions::default())
                .into_iter()
                .map(|p| File::new(format!("generated/{}", p.file_name), p.text))
                .collect();
            cb.emit(files);
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let blocked = view.rows.iter().filter(|r| !r.allowed).count();
    html! {
        <aside class="explain flows" data-testid="flows" aria-label="Observed flows">
            <header>
                <h3>{ format!("Flows: {}", props.file.name) }</h3>
                <button class="icon" title="Close the flows" aria-label="Close the flows" onclick={close}>{ "×" }</button>
            </header>
            <p class="small muted" data-testid="flows-summary">{ &view.summary }</p>
            <p class={classes!("verdict", if blocked == 0 { "ok" } else { "bad" })} data-testid="flows-verdicts">
                { &view.verdicts }
            </p>
            <button type="button" data-testid="flows-generate"
                title="Least-privilege NetworkPolicies for exactly these flows, one tab per namespace"
                onclick={on_generate}>{ "Generate policies" }</button>
            <ul class="flow-list">
                { for view.rows.iter().map(|r| {
                    let pair = (r.src.clone(), r.dst.clone());
                    let cb = props.on_pair.clone();
                    let onclick = Callback::from(move |e: MouseEvent| {
                        e.prevent_default();
                        cb.emit(pair.clone());
                    });
                    html! {
                        <li class={classes!("flow", if r.allowed { "flow-allowed" } else { "flow-blocked" })}
                            data-testid="flow-row" data-allowed={r.allowed.to_string()}>
                            { if r.allowed { "✓ " } else { "✗ " } }
                            <a href="#" {onclick} title="Why?">{ format!("{} => {} : {}", r.src, r.dst, r.port) }</a>
                            <span class="muted small">{ format!(" ({} record{})", r.records, if r.records == 1 { "" } else { "s" }) }</span>
                            if let Some(reason) = r.reason {
                                <div class="small">{ reason }</div>
                            }
                        </li>
                    }
                }) }
            </ul>
            if !view.observed.issues.is_empty() {
                <details class="small">
                    <summary>{ format!("{} record(s) not read or matched", view.observed.issue_count) }</summary>
                    <ul>{ for view.observed.issues.iter().map(|i| html! { <li>{ i.to_string() }</li> }) }</ul>
                </details>
            }
        </aside>
    }
}
