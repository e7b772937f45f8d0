//! Keyboard shortcuts of the whole page. Single letters act only when the focus is not in
//! a text field; every shortcut is listed in the Help dialog ([`SHORTCUTS`]).

use crate::commands;
use crate::state::{Action, Panel, State, View};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Every shortcut, as the Help dialog lists it: (keys, what they do).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo (one step per pause in typing)"),
    ("Ctrl+S", "export the bundle (.zip)"),
    ("Ctrl+Enter", "accept the changes (new checkpoint)"),
    ("g", "graph"),
    ("m", "matrix"),
    ("i", "mesh request"),
    ("c", "clusters"),
    ("p", "address plan"),
    ("l", "lessons"),
    ("h", "history: saved versions of this scenario"),
    ("?", "this help"),
    ("Esc", "close dialogs and the explanation, clear the selection"),
    ("Tab (in the editor)", "indent two spaces"),
    (
        "Esc, then Tab (in the editor)",
        "leave the editor (Shift+Tab goes back)",
    ),
    ("Enter / Space", "on a matrix cell or graph arrow: explain it (Why?)"),
];

/// The view of a single-letter shortcut.
pub fn view_of_key(key: &str) -> Option<View> {
    match key {
        "g" => Some(View::Graph),
        "m" => Some(View::Matrix),
        "i" => Some(View::Mesh),
        "c" => Some(View::Clusters),
        "p" => Some(View::Plan),
        "l" => Some(View::Lessons),
        _ => None,
    }
}

#[hook]
pub fn use_shortcuts(state: &UseReducerHandle<State>) {
    let latest: Rc<RefCell<UseReducerHandle<State>>> = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    let dispatcher = state.dispatcher();
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|w| {
            // Not passive: the shortcuts replace the browser's own (Ctrl+S, Ctrl+Z).
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            gloo::events::EventListener::new_with_options(&w, "keydown", options, move |e| {
                let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                let cmd = e.ctrl_key() || e.meta_key();
                let key = e.key();
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT"));
                let d = &dispatcher;
                match (cmd, e.shift_key(), key.as_str()) {
                    (true, false, "z") => {
                        e.prevent_default();
                        d.dispatch(Action::Undo);
                    }
                    (true, true, "z" | "Z") | (true, _, "y") => {
                        e.prevent_default();
                        d.dispatch(Action::Redo);
                    }
                    (true, _, "s") => {
                        e.prevent_default();
                        let s = latest.borrow().clone();
                        let dispatch = Callback::from({
                            let d = d.clone();
                            move |a| d.dispatch(a)
                        });
                        commands::export_bundle(&s, &dispatch);
                    }
                    (true, _, "Enter") => {
                        e.prevent_default();
                        d.dispatch(Action::Checkpoint);
                    }
                    (false, _, "Escape") => d.dispatch(Action::Dismiss),
                    (false, _, "?") if !typing => d.dispatch(Action::TogglePanel(Panel::Help)),
                    (false, false, "h") if !typing => d.dispatch(Action::TogglePanel(Panel::History)),
                    (false, false, k) if !typing && !e.alt_key() => {
                        if let Some(v) = view_of_key(k) {
                            d.dispatch(Action::SetView(v));
                        }
                    }
                    _ => {}
                }
            })
        });
        move || drop(listener)
    });
}
