//! The app's custom hooks: each wires one piece of the browser to the state.

mod builtin_texts;
mod lessons;
mod persist;
mod share;
mod shortcuts;

pub use builtin_texts::use_builtin_texts;
pub use lessons::{use_lessons, LessonFiles};
pub use persist::{use_autosave, write_after_panic};
pub use share::use_share_links;
pub use shortcuts::{use_shortcuts, view_of_key, SHORTCUTS};

use crate::state::State;
use yew::prelude::*;

/// Wait after the last keystroke before re-evaluating.
pub const DEBOUNCE_MS: u32 = 300;

/// Re-evaluates a moment after typing stops, in steps that let the page draw and take
/// input (`state::evaluate_in_steps`); a newer edit drops the running evaluation.
#[hook]
pub fn use_evaluate_after_typing(state: &UseReducerHandle<State>) {
    let latest = use_mut_ref(|| 0u64);
    let state = state.clone();
    use_effect_with(state.edit_seq, move |&seq| {
        *latest.borrow_mut() = seq;
        let timeout = gloo::timers::callback::Timeout::new(DEBOUNCE_MS, move || {
            if state.stale() {
                let current = move || *latest.borrow() == seq;
                crate::state::evaluate_in_steps(state.dispatcher(), state.files.clone(), current);
            }
        });
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
