//! Saving the work: the files, this tab's undo/redo and checkpoint, and a version of the
//! scenario per pause in typing. What changed is written once the evaluation of the pause
//! is shown and the browser is idle (`requestIdleCallback`), one storage write per task;
//! at the latest [`LATEST_MS`] after the first unsaved change (typing that never pauses);
//! and at once when the page is hidden or left (`visibilitychange`, `pagehide`) or the
//! History dialog opens, so that a reload or a closed tab loses nothing; and by the panic
//! hook ([`write_after_panic`]), so that an internal error loses nothing either. A lesson's
//! progress is written on every change (it changes per step, not per keystroke). A failure
//! becomes a message.
//!
//! Storage is written synchronously on the main thread: the work of a large scenario is
//! megabytes (≈ 2 MB at 1,000 workloads, tens of milliseconds per write). Written per
//! keystroke it was most of a keystroke's time; written during the typing pause it
//! delayed the evaluation; written in the task that shows the evaluation it made that
//! task a long one.

use crate::state::{Action, Panel, State};
use crate::storage;
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The longest a change waits to be written while the page stays busy (ms).
pub const LATEST_MS: u32 = 3_000;
/// How long an idle callback may wait for an idle moment (ms).
const IDLE_TIMEOUT_MS: u32 = 1_000;

/// What is waiting to be written. The state is read when the write happens, so a write
/// stores the newest text and repeated changes before it are written once.
#[derive(Default)]
struct Pending {
    /// The state whose work (files) is to be written.
    work: Option<UseReducerHandle<State>>,
    /// The state whose undo/redo and checkpoint are to be written.
    history: Option<UseReducerHandle<State>>,
    /// The edit and history sequences, active file and name last seen.
    seen: Option<(u64, u64, usize, String)>,
    /// An idle callback is asked for.
    asked: bool,
    /// Writes even if the page never gets quiet; set at the first unsaved change.
    latest: Option<Timeout>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.work.is_none() && self.history.is_none() && !crate::state::versions_due()
    }
}

type Shared = Rc<RefCell<Pending>>;

thread_local! {
    /// What is waiting to be written, for [`write_after_panic`].
    static WAITING: RefCell<Option<Shared>> = const { RefCell::new(None) };
}

/// Writes the work and history still waiting. Called by the panic hook: the work is
/// written after the evaluation is shown, so an internal error during an evaluation would
/// otherwise lose the typing of the pause. Nothing is dispatched (the app has stopped);
/// a cell in use when the panic struck is left alone rather than panicking again.
pub fn write_after_panic() {
    let Some(pending) = WAITING
        .try_with(|w| w.try_borrow().ok().and_then(|w| w.clone()))
        .ok()
        .flatten()
    else {
        return;
    };
    let Ok(mut p) = pending.try_borrow_mut() else {
        return;
    };
    let (work, history) = (p.work.take(), p.history.take());
    drop(p);
    if let Some(s) = work {
        let _ = storage::save_work(&s.saved());
    }
    if let Some(s) = history {
        let _ = storage::save_tab_history(&s.tab_history());
    }
}

/// One storage write (a version of the scenario first, in the order they were made);
/// whether something was written.
fn write_one(pending: &Shared, dispatcher: &UseReducerDispatcher<State>) -> bool {
    let result = match crate::state::write_due_version() {
        Some(r) => r,
        None => {
            // Taken out first: a write never runs with the cell borrowed.
            let (work, history) = {
                let mut p = pending.borrow_mut();
                match p.work.take() {
                    Some(w) => (Some(w), None),
                    None => (None, p.history.take()),
                }
            };
            match (work, history) {
                (Some(s), _) => storage::save_work(&s.saved()),
                (None, Some(s)) => storage::save_tab_history(&s.tab_history()),
                (None, None) => return false,
            }
        }
    };
    if let Err(e) = result {
        dispatcher.dispatch(Action::StorageFailed(e));
    }
    true
}

/// Writes everything waiting, now.
fn flush(pending: &Shared, dispatcher: &UseReducerDispatcher<State>) {
    while write_one(pending, dispatcher) {}
    let mut p = pending.borrow_mut();
    p.latest = None;
}

/// Writes one piece in an idle moment, then asks for the next.
fn write_when_idle(pending: &Shared, dispatcher: &UseReducerDispatcher<State>) {
    {
        let mut p = pending.borrow_mut();
        if p.asked || p.is_empty() {
            return;
        }
        p.asked = true;
    }
    let (p, d) = (pending.clone(), dispatcher.clone());
    crate::browser::when_idle(IDLE_TIMEOUT_MS, move || {
        p.borrow_mut().asked = false;
        write_one(&p, &d);
        if p.borrow().is_empty() {
            p.borrow_mut().latest = None;
        } else {
            write_when_idle(&p, &d);
        }
    });
}

/// Something changed: written at the latest [`LATEST_MS`] from now, quiet or not.
fn wait_at_most(pending: &Shared, dispatcher: &UseReducerDispatcher<State>) {
    let mut p = pending.borrow_mut();
    if p.latest.is_none() {
        let (p2, d) = (pending.clone(), dispatcher.clone());
        p.latest = Some(Timeout::new(LATEST_MS, move || write_when_idle(&p2, &d)));
    }
}

#[hook]
pub fn use_autosave(state: &UseReducerHandle<State>) {
    let pending: Shared = use_mut_ref(Pending::default);
    {
        // Hidden or left: write now (the page may not come back).
        let (pending, dispatcher) = (pending.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            WAITING.with(|w| *w.borrow_mut() = Some(pending.clone()));
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
                WAITING.with(|w| *w.borrow_mut() = None);
                flush(&pending, &dispatcher);
            }
        });
    }
    {
        // One effect for what changes (each effect is its own code in the download). The
        // handle is this render's state, kept rather than copied: the work is copied when
        // it is written. A key rather than the work itself: comparing megabytes of text on
        // every render would cost what waiting saves. The files change with the edit
        // sequence (edits, renames, added files), the history sequence (a load, undo, an
        // evaluated pause), the active file or the scenario's name. Quiet: the pause's
        // evaluation is shown. The History dialog lists what is written: written first.
        let (pending, dispatcher, now) = (pending.clone(), state.dispatcher(), state.clone());
        let work = (
            state.edit_seq,
            state.history_seq,
            state.active,
            state.scenario_name.clone(),
        );
        let quiet = !state.stale() && !state.evaluating;
        let history_open = state.panel == Some(Panel::History);
        use_effect_with((work, quiet, history_open), move |(work, quiet, history_open)| {
            let fresh = {
                let mut p = pending.borrow_mut();
                let fresh_work = p.seen.as_ref() != Some(work);
                let fresh_history = p.seen.as_ref().map(|w| w.1) != Some(work.1);
                if fresh_work {
                    p.work = Some(now.clone());
                }
                if fresh_history {
                    p.history = Some(now);
                }
                p.seen = Some(work.clone());
                fresh_work || fresh_history
            };
            if fresh {
                wait_at_most(&pending, &dispatcher);
            }
            if *history_open {
                flush(&pending, &dispatcher);
            } else if *quiet {
                write_when_idle(&pending, &dispatcher);
            }
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
