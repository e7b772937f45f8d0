//! The app's custom hooks: each wires one piece of the browser to the state.

mod builtin_texts;
mod lessons;
mod persist;
mod share;
mod shortcuts;

pub use builtin_texts::use_builtin_texts;
pub use lessons::{use_lessons, LessonFiles};
pub use persist::use_autosave;
pub use share::use_share_links;
pub use shortcuts::{use_shortcuts, view_of_key, SHORTCUTS};

use crate::state::{Action, State};
use yew::prelude::*;

/// Wait after the last keystroke before re-evaluating.
pub const DEBOUNCE_MS: u32 = 300;

/// Re-evaluates a moment after typing stops.
#[hook]
pub fn use_evaluate_after_typing(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    use_effect_with(state.edit_seq, move |_| {
        let timeout = gloo::timers::callback::Timeout::new(DEBOUNCE_MS, move || dispatcher.dispatch(Action::Evaluate));
        move || drop(timeout)
    });
}

/// The page title names the scenario.
#[hook]
pub fn use_title(name: &str) {
    use_effect_with(name.to_string(), |name| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&format!("netplay — {name}"));
        }
    });
}
