//! What a page opens with: this tab's own work after a reload (with its undo history and
//! checkpoint), else the last work of any tab, else the example; a share link in the URL
//! is then opened on top (undo and the versions keep what it replaced); a lesson link
//! (`#lesson=…`) opens its lesson, and a tab that was on a lesson is back on it.

use super::{Action, Message, MessageKind, Saved, State};
use crate::browser::{self, LESSON_PREFIX, SHARE_PREFIX};
use crate::builtin;
use crate::storage;
use yew::Reducible;

thread_local! {
    /// How many built-in scenarios were picked: a fetch that finishes after a later pick
    /// is dropped, so the last pick wins, not the slowest.
    static PICKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Opens a built-in scenario: at once when its texts are at hand, else after fetching
/// them (saying so meanwhile). A failed fetch is an error message; the work is unchanged.
pub fn open_builtin(name: &str, dispatch: impl Fn(Action) + 'static) {
    let Some(b) = builtin::find(name) else { return };
    let pick = PICKS.with(|p| {
        p.set(p.get() + 1);
        p.get()
    });
    if let Some(texts) = b.texts() {
        return dispatch(Action::Load(texts.saved(b.name)));
    }
    dispatch(Action::Message(Some(Message {
        kind: MessageKind::Info,
        text: format!("Opening {}…", b.name),
    })));
    yew::platform::spawn_local(async move {
        let fetched = b.fetch().await;
        if PICKS.with(|p| p.get()) != pick {
            return;
        }
        dispatch(match fetched {
            Ok(texts) => Action::Load(texts.saved(b.name)),
            Err(e) => Action::Message(Some(Message {
                kind: MessageKind::Error,
                text: format!(
                    "The example {} could not be opened: {e}. Your work is unchanged.",
                    b.name
                ),
            })),
        });
    });
}

fn default_saved() -> Saved {
    builtin::default_scenario()
        .and_then(|b| b.texts().map(|t| t.saved(b.name)))
        .unwrap_or(Saved {
            name: "scratch".into(),
            files: Vec::new(),
            active: 0,
        })
}

/// Whether the page opens on a lesson whose text may need fetching: the tab was on a
/// built-in lesson, or the address is a lesson link.
pub fn opens_on_a_lesson() -> bool {
    builtin::lessons().is_none()
        && (matches!(
            storage::load_tab_lesson(),
            Some(super::lesson::LessonSource::Builtin(_))
        ) || browser::fragment().is_some_and(|f| f.starts_with(LESSON_PREFIX)))
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
