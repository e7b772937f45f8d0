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

/// Starts the app in the page.
pub fn run() {
    browser::install_panic_hook();
    yew::Renderer::<app::App>::new().render();
}
