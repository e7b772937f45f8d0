//! The texts of the built-in example a piece of the frame shows (its README, its example
//! requests): at hand when compiled in or fetched before, else fetched, drawing again
//! when they arrive (work restored after a reload is named after an example whose files
//! were not fetched in this page).

use crate::builtin::{self, Texts};
use std::rc::Rc;
use yew::prelude::*;

#[hook]
pub fn use_builtin_texts(scenario: Option<&'static builtin::Builtin>) -> Option<Rc<Texts>> {
    let arrived = use_state(|| 0u32);
    {
        let arrived = arrived.clone();
        use_effect_with(scenario.map(|b| b.name), move |name| {
            if let Some(b) = name.and_then(builtin::find).filter(|b| b.texts().is_none()) {
                yew::platform::spawn_local(async move {
                    if b.fetch().await.is_ok() {
                        arrived.set(*arrived + 1);
                    }
                });
            }
        });
    }
    scenario.and_then(|b| b.texts())
}
