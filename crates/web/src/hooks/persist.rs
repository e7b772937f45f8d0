//! Saving the work: the files and this tab's undo/redo and checkpoint once typing pauses
//! ([`SAVE_PAUSE_MS`] after the last change, before the evaluation of that pause starts),
//! and at once when the page is hidden or left (`visibilitychange`, `pagehide`), so that a
//! reload or a closed tab loses nothing; a lesson's progress on every change (it changes
//! per step, not per keystroke). A failure becomes a message.
//!
//! Writing on every keystroke serialised every file and wrote it twice (this tab's work and
//! the last work) per key: for a large scenario that is most of a keystroke's time, and the
//! browser's storage is written synchronously on the main thread.

use super::DEBOUNCE_MS;
use crate::saved::Saved;
use crate::state::{Action, State};
use crate::storage::{self, TabHistory};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Wait after the last change before writing. Shorter than the evaluation's pause
/// ([`DEBOUNCE_MS`]), so that the text is saved before an evaluation that could fail.
pub const SAVE_PAUSE_MS: u32 = 250;
const _: () = assert!(SAVE_PAUSE_MS < DEBOUNCE_MS);

/// What is waiting to be written.
#[derive(Default)]
struct Pending {
    work: Option<Saved>,
    history: Option<TabHistory>,
    /// The write at the end of the pause; replaced (cancelled) by each change.
    timer: Option<Timeout>,
}

type Shared = Rc<RefCell<Pending>>;

/// Writes what is waiting, now.
fn flush(pending: &Shared, dispatcher: &UseReducerDispatcher<State>) {
    // Taken out first: a write never runs with the cell borrowed.
    let (work, history) = {
        let mut p = pending.borrow_mut();
        (p.work.take(), p.history.take())
    };
    let saved = work.map_or(Ok(()), |w| storage::save_work(&w));
    let kept = history.map_or(Ok(()), |h| storage::save_tab_history(&h));
    if let Err(e) = saved.and(kept) {
        dispatcher.dispatch(Action::StorageFailed(e));
    }
}

/// (Re)starts the pause after a change.
fn schedule(pending: &Shared, dispatcher: &UseReducerDispatcher<State>) {
    let (p, d) = (pending.clone(), dispatcher.clone());
    // The old timer is dropped here, outside its own callback (never from inside it).
    pending.borrow_mut().timer = Some(Timeout::new(SAVE_PAUSE_MS, move || flush(&p, &d)));
}

#[hook]
pub fn use_autosave(state: &UseReducerHandle<State>) {
    let pending: Shared = use_mut_ref(Pending::default);
    {
        // Hidden or left: write now (the page may not come back).
        let (pending, dispatcher) = (pending.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            let listeners = web_sys::window().map(|w| {
                let on_hide = {
                    let (pending, dispatcher) = (pending.clone(), dispatcher.clone());
                    EventListener::new(&w, "pagehide", move |_| flush(&pending, &dispatcher))
                };
                let on_hidden = w.document().map(|doc| {
                    let (pending, dispatcher) = (pending.clone(), dispatcher.clone());
                    let watched = doc.clone();
                    EventListener::new(&doc, "visibilitychange", move |_| {
                        if watched.hidden() {
                            flush(&pending, &dispatcher);
                        }
                    })
                });
                (on_hide, on_hidden)
            });
            move || {
                drop(listeners);
                flush(&pending, &dispatcher);
            }
        });
    }
    {
        let (pending, dispatcher) = (pending.clone(), state.dispatcher());
        use_effect_with(state.saved(), move |saved| {
            pending.borrow_mut().work = Some(saved.clone());
            schedule(&pending, &dispatcher);
        });
    }
    {
        let (pending, dispatcher) = (pending.clone(), state.dispatcher());
        let handle = state.clone();
        use_effect_with(state.history_seq, move |_| {
            pending.borrow_mut().history = Some(handle.tab_history());
            schedule(&pending, &dispatcher);
        });
    }
    {
        // The lesson's progress after every change (its step, hints, the learner's files).
        let dispatcher = state.dispatcher();
        let lesson = state
            .lesson
            .as_ref()
            .map(|l| (l.key(), l.source.clone(), l.progress.clone()));
        use_effect_with(lesson, move |lesson| {
            let saved = match lesson {
                Some((key, source, progress)) => {
                    storage::save_lesson_progress(key, progress).and(storage::save_tab_lesson(Some(source)))
                }
                None => storage::save_tab_lesson::<crate::state::lesson::LessonSource>(None),
            };
            if let Err(e) = saved {
                dispatcher.dispatch(Action::StorageFailed(e));
            }
        });
    }
}
