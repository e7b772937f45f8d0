//! The root component: the state (one reducer, shared with the frame's components
//! through a context), the hooks that wire it to the browser, and the frame.

use crate::components::dialogs::Dialogs;
use crate::components::status_bar::StatusBar;
use crate::components::toolbar::Toolbar;
use crate::components::workspace::Workspace;
use crate::components::AppState;
use crate::hooks;
use crate::state::startup::initial_state;
use yew::prelude::*;

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(initial_state);
    hooks::use_evaluate_after_typing(&state);
    hooks::use_autosave(&state);
    hooks::use_share_links(&state);
    hooks::use_shortcuts(&state);
    hooks::use_title(&state.scenario_name);
    {
        use_effect_with(state.theme, |theme| crate::browser::apply_theme(*theme));
    }
    html! {
        <ContextProvider<AppState> context={state.clone()}>
            <div class="app">
                <Toolbar />
                <Dialogs />
                <Workspace />
                <StatusBar />
            </div>
        </ContextProvider<AppState>>
    }
}
