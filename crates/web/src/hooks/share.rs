//! Share links pasted into the address bar of an open tab: the page does not reload, the
//! fragment changes. The link is opened in place of the work (undo and the versions keep
//! it) and the fragment is cleared, so a reload shows the work, not the link again.

use crate::browser::{self, SHARE_PREFIX};
use crate::state::{Action, State};
use yew::prelude::*;

#[hook]
pub fn use_share_links(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|w| {
            gloo::events::EventListener::new(&w, "hashchange", move |_| {
                if let Some(code) = browser::fragment().and_then(|f| f.strip_prefix(SHARE_PREFIX).map(str::to_string)) {
                    browser::clear_fragment();
                    dispatcher.dispatch(Action::OpenShared(code));
                }
            })
        });
        move || drop(listener)
    });
}
