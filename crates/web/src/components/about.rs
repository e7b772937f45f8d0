//! "About this scenario": the built-in scenario's README, rendered as Markdown (safely:
//! as elements, never as HTML text). Hidden once the work is no longer that scenario.

use super::markdown;
use super::use_app;
use crate::builtin;
use yew::prelude::*;

#[function_component]
pub fn About() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let Some(b) = builtin::find(&state.scenario_name) else {
        return html! {};
    };
    let Some(text) = b.description else { return html! {} };
    html! {
        <details class="description" data-testid="about">
            <summary>{ format!("About “{}”", b.name) }</summary>
            <div class="md" tabindex="0" aria-label={format!("About {}", b.name)}>{ markdown::render(text) }</div>
        </details>
    }
}
