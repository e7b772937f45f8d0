//! "About this scenario": the built-in scenario's README, rendered as Markdown (safely:
//! as elements, never as HTML text). Hidden once the work is no longer that scenario.

use super::markdown;
use super::use_app;
use crate::builtin;
use yew::prelude::*;

#[function_component]
pub fn About() -> Html {
    let state = use_app();
    let scenario = state.as_ref().and_then(|s| builtin::find(&s.scenario_name));
    // Work restored after a reload may be named after an example whose texts are not
    // fetched yet (builtin.rs): fetch them, and draw again when they are here.
    let fetched = use_state(|| false);
    {
        let fetched = fetched.clone();
        use_effect_with(scenario.map(|b| b.name), move |name| {
            if let Some(b) = name.and_then(builtin::find).filter(|b| b.texts().is_none()) {
                yew::platform::spawn_local(async move {
                    if b.fetch().await.is_ok() {
                        fetched.set(true);
                    }
                });
            }
        });
    }
    let Some(b) = scenario else { return html! {} };
    let Some(text) = b.texts().and_then(|t| t.description.clone()) else {
        return html! {};
    };
    html! {
        <details class="description" data-testid="about">
            <summary>{ format!("About “{}”", b.name) }</summary>
            <div class="md" tabindex="0" aria-label={format!("About {}", b.name)}>{ markdown::render(&text) }</div>
        </details>
    }
}
