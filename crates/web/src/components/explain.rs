//! The explanation of one pair: which policies isolate each side, which rules admit the
//! traffic, the verdict — with links to the deciding lines in the editor.

use crate::view_model::Analysis;
use netplay_core::netpol::explain::{RuleMatch, SideExplanation};
use netplay_core::Protocol;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExplainProps {
    pub analysis: Rc<Analysis>,
    pub pair: (String, String),
    pub probe: Option<(Protocol, u16)>,
    pub on_jump: Callback<(String, u32)>,
    pub on_close: Callback<()>,
}

fn link(on_jump: &Callback<(String, u32)>, file: &str, line: u32, text: String) -> Html {
    let cb = on_jump.clone();
    let f = file.to_string();
    let onclick = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        cb.emit((f.clone(), line));
    });
    html! { <a href="#" data-testid="explain-link" class="loc" {onclick} title="Show in the editor">{ text }</a> }
}

fn rule_row(m: &RuleMatch, on_jump: &Callback<(String, u32)>, probe: Option<(Protocol, u16)>) -> Html {
    let decides = probe.is_some() && m.decides == Some(true);
    let loc = m.peer_loc.as_ref().unwrap_or(&m.rule_loc);
    let peer = match m.peer {
        None => m.peer_text.clone(),
        Some(i) => format!("peer {}: {}", i + 1, m.peer_text),
    };
    html! {
        <li class={classes!("rule", decides.then_some("decides"))}>
            if decides { <span class="badge ok" title="This rule admits the probed port">{ "decides" }</span> }
            <strong>{ &m.policy }</strong>{ format!(" {} rule {} ", m.direction, m.rule + 1) }
            { link(on_jump, &loc.file, loc.line, format!("{}:{}", loc.file, loc.line)) }
            <div class="peer">{ peer }</div>
            <div class="conn">{ "allows " }<code>{ &m.conn }</code></div>
        </li>
    }
}

fn side(s: &SideExplanation, on_jump: &Callback<(String, u32)>, probe: Option<(Protocol, u16)>) -> Html {
    let title = if s.direction == "egress" {
        "Egress of the source"
    } else {
        "Ingress of the destination"
    };
    let body = match &s.workload {
        None => html! { <p class="muted">{ "An address outside the cluster: no NetworkPolicy applies to it." }</p> },
        Some(w) if s.isolated_by.is_empty() => html! {
            <p>{ format!("{w} is not isolated for {}: no NetworkPolicy of its namespace selects it for {}, so everything is allowed.", s.direction, s.direction) }</p>
        },
        Some(w) => html! {
            <>
                <p>
                    { format!("{w} is isolated for {} by ", s.direction) }
                    { for s.isolated_by.iter().enumerate().map(|(i, p)| html! {
                        <>
                            if i > 0 { { ", " } }
                            <strong>{ &p.policy }</strong>{ " (" }{ link(on_jump, &p.loc.file, p.loc.line, format!("{}:{}", p.loc.file, p.loc.line)) }{ ")" }
                        </>
                    }) }
                </p>
                if s.admitted_by.is_empty() {
                    <p class="bad">{ format!("No {} rule of these policies admits this peer: nothing is allowed.", s.direction) }</p>
                } else {
                    <ul class="rules">{ for s.admitted_by.iter().map(|m| rule_row(m, on_jump, probe)) }</ul>
                }
            </>
        },
    };
    html! {
        <section class="side">
            <h4>{ title }</h4>
            { body }
            <p class="side-total">{ format!("{} allows: ", s.direction) }<code>{ &s.allowed_text }</code></p>
        </section>
    }
}

#[function_component]
pub fn Explain(props: &ExplainProps) -> Html {
    let (src, dst) = &props.pair;
    let scenario = &props.analysis.scenario;
    let close = props.on_close.reform(|_: MouseEvent| ());
    let content = match (scenario.target(src), scenario.target(dst)) {
        (Ok(s), Ok(d)) => {
            let e = scenario.explain(s, d, props.probe);
            let verdict = match (e.probe.as_deref(), e.probe_allowed) {
                (Some(p), Some(true)) => {
                    html! { <p class="verdict ok">{ format!("✓ Verdict: {p} is allowed — both sides admit it.") }</p> }
                }
                (Some(p), _) => {
                    let why = e.denial_reason().unwrap_or_default();
                    html! { <p class="verdict bad">{ format!("✗ Verdict: {p} is denied — {why}.") }</p> }
                }
                _ if e.allowed.is_empty() => {
                    html! { <p class="verdict bad">{ "✗ Verdict: no connection is allowed." }</p> }
                }
                _ => {
                    html! { <p class="verdict ok">{ format!("✓ Verdict: allowed {} (egress ∩ ingress).", e.conn) }</p> }
                }
            };
            html! {
                <>
                    <p class="pair"><code>{ format!("{src} => {dst} : {}", e.conn) }</code></p>
                    if src.ends_with("[External]") || dst.ends_with("[External]") {
                        <p class="muted small">{ "Explained for the first address of the range: every address of a range shown in the matrix gets the same verdict." }</p>
                    }
                    { verdict }
                    { side(&e.egress, &props.on_jump, props.probe) }
                    { side(&e.ingress, &props.on_jump, props.probe) }
                    if props.probe.is_none() {
                        <p class="muted small">{ "Tip: type a port into the probe field (e.g. TCP 8080) to see which rule decides it." }</p>
                    }
                </>
            }
        }
        _ if src.starts_with('{') => html! {
            <p>{ "Traffic from the ingress controller is admitted by Ingress objects: it reaches the pods behind each backend Service on the Service's target port, as far as their ingress policies admit pods from any namespace." }</p>
        },
        (Err(e), _) | (_, Err(e)) => html! { <p class="bad">{ e }</p> },
    };
    html! {
        <aside class="explain" data-testid="explain" aria-label="Explanation">
            <header>
                <h3>{ "Why?" }</h3>
                <button class="icon" title="Close (Esc)" aria-label="Close explanation" onclick={close}>{ "×" }</button>
            </header>
            { content }
        </aside>
    }
}
