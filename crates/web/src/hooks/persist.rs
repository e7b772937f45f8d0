//! Saving the work: the files on every change (before any evaluation that could fail),
//! undo/redo and the checkpoint whenever they change. A failure becomes a message.

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
}
