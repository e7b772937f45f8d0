//! "Start here": a short, dismissable pointer for a first visit — what the example is,
//! and where to look (the matrix, Why?, editing, the lessons). It describes the example
//! shop, so it shows only while the shop is open (not over the user's own work or another
//! example). Dismissed once, it stays away.

use super::{dispatch, use_app};
use crate::state::{Action, View};
use crate::{builtin, storage};
use yew::prelude::*;

#[function_component]
pub fn StartHere() -> Html {
    let dismissed = use_state(storage::start_here_dismissed);
    let Some(state) = use_app() else { return html! {} };
    let shop = builtin::default_scenario().is_some_and(|b| b.name == state.scenario_name);
    if *dismissed || !shop {
        return html! {};
    }
    let close = {
        let dismissed = dismissed.clone();
        Callback::from(move |_: MouseEvent| {
            let _ = storage::dismiss_start_here();
            dismissed.set(true);
        })
    };
    html! {
        <aside class="start-here" aria-label="Start here" data-testid="start-here">
            <strong>{ "Start here: " }</strong>
            { "an example shop — frontend, backend v1/v2, database, worker and monitoring — with its NetworkPolicies. " }
            <button class="link" data-testid="start-matrix" onclick={dispatch(&state, |_: MouseEvent| Action::SetView(View::Matrix))}>{ "Open the matrix" }</button>
            { " to see who may reach whom; click any cell for " }<em>{ "Why?" }</em>
            { " (the policy and rule that decide). Edit a policy on the left and watch the changes (+ − ~), or " }
            <button class="link" data-testid="start-lessons" onclick={dispatch(&state, |_: MouseEvent| Action::SetView(View::Lessons))}>{ "take a lesson" }</button>
            { " whose checks turn green as you edit. " }
            <button class="icon" aria-label="Dismiss start here" data-testid="start-here-dismiss" onclick={close}>{ "×" }</button>
        </aside>
    }
}
