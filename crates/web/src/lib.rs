//! netplay-web: the playground. A thin Yew shell over netplay-core: the state module
//! calls core, the components render what it computed.

pub mod app;
pub mod browser;
pub mod builtin;
pub mod commands;
pub mod components;
pub mod fingerprint;
pub mod hooks;
pub mod layout;
pub mod saved;
pub mod state;
pub mod storage;
pub mod view_model;

/// Starts the app in the page. A page that opens on a built-in lesson (the tab was on
/// one, or a lesson link) fetches the lessons first, so that the first state is the
/// lesson; a failed fetch is that lesson's error message, and the work opens as usual.
pub fn run() {
    browser::install_panic_hook(hooks::write_after_panic);
    if state::startup::opens_on_a_lesson() {
        yew::platform::spawn_local(async {
            let _ = builtin::fetch_lessons().await;
            yew::Renderer::<app::App>::new().render();
        });
    } else {
        yew::Renderer::<app::App>::new().render();
    }
}
