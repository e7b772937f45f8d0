//! Saving the work: the files on every change (before any evaluation that could fail),
//! undo/redo and the checkpoint whenever they change, a lesson's progress. A failure
//! becomes a message.

use crate::state::{Action, State};
use crate::storage;
use yew::prelude::*;

#[hook]
pub fn use_autosave(state: &UseReducerHandle<State>) {
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.saved(), move |saved| {
            if let Err(e) = storage::save_work(saved) {
                dispatcher.dispatch(Action::StorageFailed(e));
            }
        });
    }
    {
        let dispatcher = state.dispatcher();
        let handle = state.clone();
        use_effect_with(state.history_seq, move |_| {
            if let Err(e) = storage::save_tab_history(&handle.tab_history()) {
                dispatcher.dispatch(Action::StorageFailed(e));
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
