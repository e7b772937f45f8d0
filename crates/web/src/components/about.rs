//! "About this scenario": the built-in scenario's README, rendered as Markdown (safely:
//! as elements, never as HTML text). Hidden once the work is no longer that scenario.

use super::markdown;
use super::use_app;
use crate::builtin;
use crate::hooks::use_builtin_texts;
use yew::prelude::*;

#[function_component]
pub fn About() -> Html {
    let state = use_app();
    let scenario = state.as_ref().and_then(|s| builtin::find(&s.scenario_name));
    let texts = use_builtin_texts(scenario);
    let (Some(b), Some(text)) = (scenario, texts.and_then(|t| t.description.clone())) else {
        return html! {};
    };
    html! {
        <details class="description" data-testid="about">
            <summary>{ format!("About “{}”", b.name) }</summary>
            <div class="md" tabindex="0" aria-label={format!("About {}", b.name)}>{ markdown::render(&text) }</div>
        </details>
    }
}
