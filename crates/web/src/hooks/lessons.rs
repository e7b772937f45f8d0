//! The built-in lessons' texts for a view that lists them: at hand when fetched before,
//! else fetched, drawing again when they arrive or the fetch fails.

use crate::builtin::{self, Lessons};
use yew::prelude::*;

/// What a view of the lessons shows: the lessons, that they are coming, or why not.
#[derive(Clone, PartialEq)]
pub enum LessonFiles {
    Ready(Lessons),
    Fetching,
    Failed(String),
}

/// The lessons' files, and a callback that fetches them again after a failure.
#[hook]
pub fn use_lessons() -> (LessonFiles, Callback<()>) {
    let attempt = use_state(|| 0u32);
    let failed = use_state(|| None::<String>);
    {
        let failed = failed.clone();
        use_effect_with(*attempt, move |_| {
            if builtin::lessons().is_none() {
                yew::platform::spawn_local(async move {
                    failed.set(builtin::fetch_lessons().await.err());
                });
            }
        });
    }
    let retry = {
        let (attempt, failed) = (attempt.clone(), failed.clone());
        Callback::from(move |()| {
            failed.set(None);
            attempt.set(*attempt + 1);
        })
    };
    let files = match (builtin::lessons(), (*failed).clone()) {
        (Some(l), _) => LessonFiles::Ready(l),
        (None, Some(why)) => LessonFiles::Failed(why),
        (None, None) => LessonFiles::Fetching,
    };
    (files, retry)
}
