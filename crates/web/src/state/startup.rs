//! What a page opens with: this tab's own work after a reload (with its undo history and
//! checkpoint), else the last work of any tab, else the example; a share link in the URL
//! is then opened on top (undo and the versions keep what it replaced); a lesson link
//! (`#lesson=…`) opens its lesson, and a tab that was on a lesson is back on it.

use super::{Action, File, Message, MessageKind, Saved, State};
use crate::browser::{self, LESSON_PREFIX, SHARE_PREFIX};
use crate::builtin;
use crate::storage;
use yew::Reducible;

/// A built-in scenario as work.
pub fn builtin_saved(name: &str) -> Option<Saved> {
    builtin::find(name).map(|b| Saved {
        name: b.name.to_string(),
        files: b.files.iter().map(|(p, t)| File::new(*p, *t)).collect(),
        active: 0,
    })
}

fn default_saved() -> Saved {
    builtin::default_scenario()
        .and_then(|b| builtin_saved(b.name))
        .unwrap_or(Saved {
            name: "scratch".into(),
            files: Vec::new(),
            active: 0,
        })
}

/// The state the page starts with (see the module comment).
pub fn initial_state() -> State {
    let theme = browser::load_theme();
    let storage_message = storage::probe().err().map(|e| Message {
        kind: MessageKind::Error,
        text: e.message().to_string(),
    });
    let mut state = match storage::load_tab_work() {
        Some(saved) => State::restored(saved, storage::load_tab_history(), theme, storage_message.clone()),
        None => State::new(
            storage::load_last_work().unwrap_or_else(default_saved),
            theme,
            storage_message.clone(),
        ),
    };
    if let Some(source) = storage::load_tab_lesson() {
        state.restore_lesson(source);
    }
    if let Some(value) = browser::fragment().and_then(|f| f.strip_prefix(LESSON_PREFIX).map(str::to_string)) {
        browser::clear_fragment();
        return std::rc::Rc::unwrap_or_clone(std::rc::Rc::new(state).reduce(open_lesson_link(&value)));
    }
    let share = browser::fragment().and_then(|f| f.strip_prefix(SHARE_PREFIX).map(str::to_string));
    match share {
        Some(code) => {
            browser::clear_fragment();
            let opened = std::rc::Rc::new(state).reduce(Action::OpenShared(code));
            let mut state = std::rc::Rc::unwrap_or_clone(opened);
            // A storage problem matters more than "opened".
            if storage_message.is_some() {
                state.message = storage_message;
            }
            state
        }
        None => state,
    }
}

/// What a lesson link (`#lesson=…`) does: open the lesson, or say why it cannot.
pub fn open_lesson_link(value: &str) -> Action {
    match super::lesson::source_from_link(value) {
        Ok(source) => Action::StartLesson(source),
        Err(text) => Action::Message(Some(Message {
            kind: MessageKind::Error,
            text,
        })),
    }
}
