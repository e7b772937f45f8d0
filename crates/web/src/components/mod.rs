//! The views and the frame around them. Small components that take data and callbacks;
//! the frame's parts read the app state from a context ([`use_app`]).

pub mod about;
pub mod clusters;
pub mod dialogs;
pub mod editor;
pub mod explain;
pub mod exposure;
pub mod flows;
pub mod graph;
pub mod lessons;
pub mod markdown;
pub mod matrix;
pub mod mesh;
pub mod message;
pub mod plan;
pub mod start_here;
pub mod status_bar;
pub mod toolbar;
pub mod workspace;

use crate::state::{Action, State};
use yew::prelude::*;

/// The app state as the frame's components see it: read it, dispatch actions to it.
pub type AppState = UseReducerHandle<State>;

/// The app state from the context `App` provides (`None` outside it: the component then
/// renders nothing rather than panicking).
#[hook]
pub fn use_app() -> Option<AppState> {
    use_context::<AppState>()
}

/// A callback that dispatches the action made from its argument.
pub fn dispatch<T: 'static>(state: &AppState, make: impl Fn(T) -> Action + 'static) -> Callback<T> {
    let d = state.dispatcher();
    Callback::from(move |v: T| d.dispatch(make(v)))
}
