//! Share links pasted into the address bar of an open tab: the page does not reload, the
//! fragment changes. The link is opened in place of the work (undo and the versions keep
//! it) and the fragment is cleared, so a reload shows the work, not the link again. A
//! lesson link opens its lesson.

use crate::browser::{self, LESSON_PREFIX, SHARE_PREFIX};
use crate::state::{Action, State};
use yew::prelude::*;

#[hook]
pub fn use_share_links(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|w| {
            gloo::events::EventListener::new(&w, "hashchange", move |_| {
                let fragment = browser::fragment().unwrap_or_default();
                if let Some(code) = fragment.strip_prefix(SHARE_PREFIX) {
                    browser::clear_fragment();
                    dispatcher.dispatch(Action::OpenShared(code.to_string()));
                } else if let Some(value) = fragment.strip_prefix(LESSON_PREFIX) {
                    browser::clear_fragment();
                    // The lessons' texts first (a failure is the link's error message).
                    let (dispatcher, value) = (dispatcher.clone(), value.to_string());
                    yew::platform::spawn_local(async move {
                        let _ = crate::builtin::fetch_lessons().await;
                        dispatcher.dispatch(crate::state::startup::open_lesson_link(&value));
                    });
                }
            })
        });
        move || drop(listener)
    });
}
