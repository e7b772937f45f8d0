//! The explanation of one pair: which policies isolate each side, which rules admit the
//! traffic, the verdict — with links to the deciding lines in the editor.

use crate::view_model::Analysis;
use netplay_core::netpol::explain::{Explanation, RuleMatch, SideExplanation, TierDecision};
use netplay_core::netpol::http;
use netplay_core::netpol::trace::{NetworkPolicyPart, TraceStep};
use netplay_core::present::{self, EndpointKind};
use netplay_core::Protocol;
use std::rc::Rc;
use web_sys::HtmlInputElement;
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

/// The class a tier's badge is drawn with (core's marks; NetworkPolicy has none).
fn tier_class(tier: &str) -> &'static str {
    present::tier_mark_of(tier).map_or("tier-networkpolicy", |(_, class, _)| class)
}

/// A rule of a first-match tier (Admin, Baseline, Calico, Cilium) that decided part of
/// the traffic.
fn tier_row(t: &TierDecision, on_jump: &Callback<(String, u32)>, probe: Option<(Protocol, u16)>) -> Html {
    let decides = probe.is_some() && t.rule.decides == Some(true);
    let loc = t.rule.peer_loc.as_ref().unwrap_or(&t.rule.rule_loc);
    let peer = match t.rule.peer {
        None => t.rule.peer_text.clone(),
        Some(i) => format!("peer {}: {}", i + 1, t.rule.peer_text),
    };
    let action = t.action.to_ascii_lowercase();
    html! {
        <li class={classes!("rule", decides.then_some("decides"))} data-testid="tier-rule">
            <span class={classes!("tier-badge", tier_class(&t.tier))}>{ &t.tier }</span>
            <span class={classes!("action", format!("action-{action}"))}>{ t.action }</span>
            <strong>{ format!(" {} ", t.policy_ref) }</strong>
            { format!("{}, {} {} ", t.rank().trim_start(), t.rule.direction, t.rule_label) }
            { link(on_jump, &loc.file, loc.line, format!("{}:{}", loc.file, loc.line)) }
            <div class="peer">{ peer }</div>
            <div class="conn">{ "takes " }<code>{ &t.rule.conn }</code></div>
        </li>
    }
}

/// The walk through the tiers in one line per step, as core's trace gives it.
fn tier_walk(steps: &[TraceStep], on_jump: &Callback<(String, u32)>) -> Html {
    html! {
        <ol class="tier-walk" data-testid="tier-walk" aria-label="Tier walk">
            { for steps.iter().map(|step| html! {
                <li>
                    if let Some(tier) = &step.tier {
                        <span class={classes!("tier-badge", tier_class(tier))}>{ tier }</span>
                    }
                    { format!(" {}", step.text()) }
                    if let Some(loc) = &step.loc {
                        { " (" }{ link(on_jump, &loc.file, loc.line, format!("{}:{}", loc.file, loc.line)) }{ ")" }
                    }
                </li>
            }) }
        </ol>
    }
}

fn side(s: &SideExplanation, on_jump: &Callback<(String, u32)>, probe: Option<(Protocol, u16)>) -> Html {
    let title = present::side_title(s);
    let summary = present::side_summary(s);
    let nothing = present::side_allows_nothing(s);
    html! {
        <section class="side">
            <h4>{ title }</h4>
            <p class={classes!(nothing.then_some("bad"))}>{ summary }</p>
            if !s.tiers.is_empty() {
                <ul class="rules">{ for s.tiers.iter().map(|t| tier_row(t, on_jump, probe)) }</ul>
            }
            // Core says whether the NetworkPolicy isolation is part of the reason: not when
            // the tiers before it decided everything (the walk below shows it not reached).
            if let NetworkPolicyPart::Consulted { isolated_by, admitted_by } = s.networkpolicy_part() {
                <p class="small" data-testid="isolated-by">
                    { "Isolated by " }
                    { for isolated_by.iter().enumerate().map(|(i, p)| html! {
                        <>
                            if i > 0 { { ", " } }
                            <strong>{ &p.policy }</strong>{ " (" }{ link(on_jump, &p.loc.file, p.loc.line, format!("{}:{}", p.loc.file, p.loc.line)) }{ ")" }
                        </>
                    }) }
                </p>
                if !admitted_by.is_empty() {
                    <ul class="rules">{ for admitted_by.iter().map(|m| rule_row(m, on_jump, probe)) }</ul>
                }
            }
            if !s.tiers.is_empty() || !s.tier_ends.is_empty() {
                { tier_walk(&s.trace(), on_jump) }
            }
            <p class="side-total">{ format!("{} allows: ", s.direction) }<code>{ &s.allowed_text }</code></p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct HttpCheckProps {
    explanation: Explanation,
}

/// One HTTP request (`GET /api/v1/items`) checked against the layer 7 rules of the
/// explained connection, by core's `http::check_http` as `explain --http` does.
#[function_component]
fn HttpCheckForm(props: &HttpCheckProps) -> Html {
    let text = use_state(|| "GET /".to_string());
    let result = use_state(|| None::<Result<http::HttpCheck, netplay_core::QueryError>>);
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_submit = {
        let (text, result, e) = (text.clone(), result.clone(), props.explanation.clone());
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            result.set(Some(
                http::parse_http_request(&text, &[]).map(|req| http::check_http(&e, &req)),
            ));
        })
    };
    if props.explanation.probe.is_none() {
        return html! { <p class="muted small">{ "Type a TCP port into the probe field to check an HTTP request against these rules." }</p> };
    }
    html! {
        <form class="http-check" data-testid="http-check" onsubmit={on_submit} aria-label="Check an HTTP request">
            <label>{ "Request " }
                <input data-testid="http-request" placeholder="GET /api/v1/items" value={(*text).clone()} oninput={on_input} />
            </label>
            <button type="submit" data-testid="http-check-run">{ "Check" }</button>
            { match &*result {
                None => html! {},
                Some(Err(why)) => html! { <p class="bad small">{ why.to_string() }</p> },
                Some(Ok(c)) => html! {
                    <pre class={classes!("small", if c.allowed == Some(true) { "ok" } else { "bad" })} data-testid="http-verdict"
                        data-allowed={c.allowed.map_or("undecided".to_string(), |a| a.to_string())}>{ c.to_text() }</pre>
                },
            } }
        </form>
    }
}

#[function_component]
pub fn Explain(props: &ExplainProps) -> Html {
    let (src, dst) = &props.pair;
    let scenario = &props.analysis.scenario;
    let close = props.on_close.reform(|_: MouseEvent| ());
    let content = match scenario.explain_names(src, dst, props.probe) {
        Ok(e) => {
            let v = present::verdict(&e);
            let fqdn_note = e.fqdn_note();
            let verdict = html! {
                <p class={classes!("verdict", if v.allowed { "ok" } else { "bad" })} data-testid="verdict"
                    data-allowed={v.allowed.to_string()}>
                    { format!("{} Verdict: {}", if v.allowed { "✓" } else { "✗" }, v.text) }
                </p>
            };
            html! {
                <>
                    <p class="pair"><code>{ format!("{src} => {dst} : {}", e.conn) }</code></p>
                    if let Some(note) = fqdn_note {
                        <p class="muted small" data-testid="explain-fqdn">{ note }</p>
                    } else if present::endpoint_kind(src) == EndpointKind::External || present::endpoint_kind(dst) == EndpointKind::External {
                        <p class="muted small">{ "Explained for the first address of the range: every address of a range shown in the matrix gets the same verdict." }</p>
                    }
                    { verdict }
                    { side(&e.egress, &props.on_jump, props.probe) }
                    { side(&e.ingress, &props.on_jump, props.probe) }
                    if !e.l7.is_empty() {
                        <section class="side" data-testid="explain-l7">
                            <h4>{ "Layer 7 rules" }</h4>
                            <ul class="rules">{ for e.l7.iter().map(|c| html! { <li><code>{ c.text() }</code></li> }) }</ul>
                            if let Some(note) = e.l7_note() { <p class="small">{ note }</p> }
                            <HttpCheckForm explanation={e.clone()} />
                        </section>
                    }
                    if props.probe.is_none() {
                        <p class="muted small">{ "Tip: type a port into the probe field (e.g. TCP 8080) to see which rule decides it." }</p>
                    }
                </>
            }
        }
        _ if present::endpoint_kind(src) == EndpointKind::IngressController => html! {
            <p>{ present::ingress_controller_explanation(&scenario.cluster, dst) }</p>
        },
        Err(e) => html! { <p class="bad">{ e.to_string() }</p> },
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
