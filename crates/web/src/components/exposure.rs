//! Exposure: what pods that are not in the scenario — deployed tomorrow, in a namespace
//! created next week — could reach from each workload, or reach it from, by the
//! namespaces and labels the policies name. Every line and its walk through the tiers is
//! core's (`Scenario::exposure`, as `netplay connlist --exposure` prints it).

use crate::view_model::Analysis;
use netplay_core::netpol::exposure::Exposure;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExposureProps {
    pub analysis: Rc<Analysis>,
    pub on_close: Callback<()>,
}

fn row(e: &Exposure) -> Html {
    let line = e.line();
    let why = e.why();
    html! {
        <li data-testid="exposure-row" data-direction={e.direction} data-workload={e.workload.clone()}
            data-peer={e.peer.clone()}>
            <code>{ format!("{} => {} : {}", line.src, line.dst, line.conn) }</code>
            <div class="small muted">{ why }</div>
        </li>
    }
}

#[function_component]
pub fn ExposurePanel(props: &ExposureProps) -> Html {
    let all = use_memo(props.analysis.clone(), |a| a.scenario.exposure());
    let close = props.on_close.reform(|_: MouseEvent| ());
    let (egress, ingress): (Vec<&Exposure>, Vec<&Exposure>) = all.iter().partition(|e| e.is_egress());
    html! {
        <aside class="explain exposure" data-testid="exposure" aria-label="Exposure">
            <header>
                <h3>{ "Exposure" }</h3>
                <button class="icon" title="Close the exposure" aria-label="Close the exposure" onclick={close}>{ "×" }</button>
            </header>
            <p class="small muted">
                { "What pods that are not in the scenario could reach, or be reached from, by the namespaces and labels the policies name. Each is asked for a pod with only the labels its peer requires; its own policies may restrict it further." }
            </p>
            <h4>{ format!("Egress ({})", egress.len()) }</h4>
            <ul class="exposure-list">{ for egress.into_iter().map(row) }</ul>
            <h4>{ format!("Ingress ({})", ingress.len()) }</h4>
            <ul class="exposure-list">{ for ingress.into_iter().map(row) }</ul>
        </aside>
    }
}
