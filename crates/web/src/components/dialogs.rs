//! The dialogs over the workspace: Help (how to use the playground, every shortcut) and
//! History (the saved versions of the scenario, and of other scenarios). Esc closes them.

use super::{dispatch, use_app};
use crate::browser;
use crate::hooks::SHORTCUTS;
use crate::state::{Action, Panel};
use crate::storage;
use yew::prelude::*;

/// Moves the focus into a dialog when it opens (keyboard users land in it).
#[hook]
fn use_focus_on_open(node: NodeRef) {
    use_effect_with((), move |_| {
        if let Some(el) = node.cast::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    });
}

#[function_component]
pub fn Dialogs() -> Html {
    let Some(state) = use_app() else { return html! {} };
    match state.panel {
        Some(Panel::Help) => html! { <Help /> },
        Some(Panel::History) => html! { <History /> },
        None => html! {},
    }
}

#[function_component]
fn Help() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let heading = use_node_ref();
    use_focus_on_open(heading.clone());
    html! {
        <div class="dialog help" role="dialog" aria-labelledby="help-title" data-testid="help-dialog">
            <header>
                <h2 id="help-title" tabindex="-1" ref={heading}>{ "How to use netplay" }</h2>
                <button class="icon" aria-label="Close help" onclick={dispatch(&state, |_: MouseEvent| Action::TogglePanel(Panel::Help))}>{ "×" }</button>
            </header>
            <ul class="guide">
                <li>{ "Edit the manifests on the left: the views re-evaluate as you type, and changes since the checkpoint are marked + − ~." }</li>
                <li>{ "Matrix: every source (row) and destination (column). Click a cell, or press Enter on it, to see why (which policy and rule decide)." }</li>
                <li>{ "Graph: click a workload to focus on its neighbourhood; choose a second one to ask why (not)." }</li>
                <li>{ "Probe (e.g. TCP 8080): the matrix shows ✓/✗ for that port." }</li>
                <li>{ "Your work is saved in this browser as you type; History keeps the last 20 versions of each scenario." }</li>
            </ul>
            <h3>{ "Keyboard shortcuts" }</h3>
            <dl data-testid="shortcuts">
                { for SHORTCUTS.iter().map(|(keys, what)| html! { <><dt>{ *keys }</dt><dd>{ *what }</dd></> }) }
            </dl>
            <p class="muted">{ "Everything runs in this page: nothing you type leaves the browser." }</p>
        </div>
    }
}

#[function_component]
fn History() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let heading = use_node_ref();
    use_focus_on_open(heading.clone());
    // Re-read after a deletion.
    let generation = use_state(|| 0u32);
    let name = state.scenario_name.clone();
    let versions = {
        let _ = *generation;
        let mut v = storage::versions(&name);
        v.reverse();
        v
    };
    let others: Vec<(String, f64)> = storage::scenarios_with_versions()
        .into_iter()
        .filter(|(n, _)| *n != name)
        .collect();
    let restore = |saved: crate::state::Saved| {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::Load(saved.clone()));
            d.dispatch(Action::TogglePanel(Panel::History));
        })
    };
    html! {
        <div class="dialog history" role="dialog" aria-labelledby="history-title" data-testid="history-dialog">
            <header>
                <h2 id="history-title" tabindex="-1" ref={heading}>{ format!("Versions of “{name}”") }</h2>
                <button class="icon" aria-label="Close history" onclick={dispatch(&state, |_: MouseEvent| Action::TogglePanel(Panel::History))}>{ "×" }</button>
            </header>
            <p class="muted small">{ format!("The last {} states of each scenario, kept in this browser: one per pause in typing (at most one every 10 seconds) and one before anything replaced your work. Restoring one keeps the current work as a version too.", storage::MAX_VERSIONS) }</p>
            if versions.is_empty() {
                <p data-testid="history-empty">{ "No saved versions of this scenario yet: they appear once you edit it." }</p>
            } else {
                <ol class="versions" data-testid="versions">
                    { for versions.iter().map(|v| {
                        let files = v.files.len();
                        let lines: usize = v.files.iter().map(|f| f.text.lines().count()).sum();
                        let current = v.files == state.files;
                        let delete = {
                            let generation = generation.clone();
                            let (name, time) = (v.name.clone(), v.time);
                            let d = state.dispatcher();
                            Callback::from(move |_: MouseEvent| {
                                if let Err(e) = storage::delete_version(&name, time) {
                                    d.dispatch(Action::StorageFailed(e));
                                }
                                generation.set(*generation + 1);
                            })
                        };
                        html! {
                            <li data-testid="version" data-time={v.time.to_string()}>
                                <span class="when">{ browser::local_time(v.time) }</span>
                                <span class="what">{ format!("{files} file{}, {lines} lines", if files == 1 { "" } else { "s" }) }</span>
                                if current {
                                    <span class="muted">{ "(what you see now)" }</span>
                                } else {
                                    <button data-testid="version-restore" onclick={restore(v.saved())}>{ "Restore" }</button>
                                }
                                <button class="icon" data-testid="version-delete" aria-label={format!("Delete the version of {}", browser::local_time(v.time))}
                                    onclick={delete}>{ "×" }</button>
                            </li>
                        }
                    }) }
                </ol>
            }
            if !others.is_empty() {
                <h3>{ "Other scenarios with saved work" }</h3>
                <ul class="versions" data-testid="other-scenarios">
                    { for others.iter().map(|(other, time)| {
                        let latest = storage::versions(other).pop();
                        html! {
                            <li data-testid="other-scenario" data-name={other.clone()}>
                                <span class="what">{ other }</span>
                                <span class="when">{ browser::local_time(*time) }</span>
                                if let Some(v) = latest {
                                    <button data-testid="other-restore" onclick={restore(v.saved())}>{ "Open latest" }</button>
                                }
                            </li>
                        }
                    }) }
                </ul>
            }
        </div>
    }
}
