//! Commands that leave the page: downloads and the share link. Each takes the state,
//! asks the state module for the bytes (core computes them) and hands them to the
//! browser; problems become messages.

use crate::browser;
use crate::components::graph::{default_options, standalone_svg};
use crate::state::exports::{self, slug};
use crate::state::{Action, Message, MessageKind, State};
use crate::view_model;
use netplay_core::output::Format;
use yew::prelude::*;

/// Share links longer than this are better sent as a file (chat tools and browsers cut
/// long URLs).
pub const LONG_LINK: usize = 8_000;

fn say(dispatch: &Callback<Action>, kind: MessageKind, text: String) {
    dispatch.emit(Action::Message(Some(Message { kind, text })));
}

pub fn export_bundle(s: &State, dispatch: &Callback<Action>) {
    match exports::bundle(s) {
        Ok((bytes, withheld)) => {
            browser::download(&format!("{}.zip", slug(&s.scenario_name)), "application/zip", &bytes);
            if !withheld.is_empty() {
                say(
                    dispatch,
                    MessageKind::Info,
                    format!(
                        "Left out of the bundle (Secrets, and netplay's own documents that no cluster knows): {}.",
                        withheld.join(", ")
                    ),
                );
            }
        }
        Err(e) => say(dispatch, MessageKind::Error, e),
    }
}

/// The exports of the Export menu besides the bundle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Export {
    Yaml,
    Txt,
    Json,
    Csv,
    Svg,
    Png,
}

pub fn export(s: &State, what: Export) {
    let name = slug(&s.scenario_name);
    let graph = || {
        let model = view_model::graph(&s.analysis, Some(&s.checkpoint));
        standalone_svg(&model, &default_options(&model))
    };
    match what {
        Export::Yaml => browser::download(&format!("{name}.yaml"), "application/yaml", exports::yaml(s).as_bytes()),
        Export::Txt => browser::download(
            &format!("{name}.connlist.txt"),
            "text/plain",
            exports::connections(s, Format::Txt).as_bytes(),
        ),
        Export::Json => browser::download(
            &format!("{name}.connlist.json"),
            "application/json",
            exports::connections(s, Format::Json).as_bytes(),
        ),
        Export::Csv => browser::download(
            &format!("{name}.connlist.csv"),
            "text/csv",
            exports::connections(s, Format::Csv).as_bytes(),
        ),
        Export::Svg => browser::download(&format!("{name}.svg"), "image/svg+xml", graph().as_bytes()),
        Export::Png => browser::download_svg_as_png(&format!("{name}.png"), &graph()),
    }
}

/// Puts the scenario into the URL and the clipboard; returns the link. A long link
/// comes with the advice to send a bundle instead.
pub fn share(s: &State, dispatch: &Callback<Action>) -> Option<String> {
    let code = exports::share_code(s);
    let link = browser::set_share_fragment(&code)?;
    browser::copy_to_clipboard(&link);
    let text = if link.len() > LONG_LINK {
        format!(
            "Share link created ({} KB, copied when the browser allows it). Links this long may be cut by chat tools: for a scenario this big, send the bundle file instead (Export → Bundle).",
            link.len().div_ceil(1000)
        )
    } else {
        "Share link created (copied to the clipboard when the browser allows it). It holds the whole scenario."
            .to_string()
    };
    say(dispatch, MessageKind::Info, text);
    Some(link)
}
