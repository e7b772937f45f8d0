//! The toolbar: scenario picker, Open…, History, undo/redo, the views, the probe, Export,
//! Share, theme and help. One row at any width from 1280 px (narrower, it scrolls).

use super::{use_app, AppState};
use crate::browser::{self, Picked};
use crate::builtin::{self, BUILTIN};
use crate::commands::{self, Export};
use crate::state::{exports, startup, Action, Message, MessageKind, Panel, Theme, View};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The views, in toolbar order: (view, label, shortcut, test id, tooltip).
pub const VIEWS: &[(View, &str, &str, &str, &str)] = &[
    (View::Graph, "Graph", "g", "view-graph", "Traffic graph (g)"),
    (View::Matrix, "Matrix", "m", "view-matrix", "Connection matrix (m)"),
    (
        View::Mesh,
        "Mesh",
        "i",
        "view-mesh",
        "Simulate a request through the service mesh (i)",
    ),
    (
        View::Clusters,
        "Clusters",
        "c",
        "view-clusters",
        "Clusters side by side, and what a name resolves to across them (c)",
    ),
    (
        View::Plan,
        "Plan",
        "p",
        "view-plan",
        "Address plan: ranges, pods per node, MTU (p)",
    ),
    (
        View::Lessons,
        "Lessons",
        "l",
        "view-lessons",
        "Lessons: exercises whose checks turn green as you edit (l)",
    ),
];

/// Files picked or dropped: text files join the scenario, a bundle replaces it, a flow
/// log opens the Flows panel.
pub fn on_picked(state: &AppState) -> Callback<Vec<Picked>> {
    let d = state.dispatcher();
    Callback::from(move |picked: Vec<Picked>| {
        let mut texts = Vec::new();
        for p in picked {
            match p {
                // A flow log is traffic to replay, not a manifest (core decides which).
                Picked::Text(f) if netplay_core::flows::is_flow_file(&f.name, &f.text) => {
                    d.dispatch(Action::Flows(Some(f)))
                }
                Picked::Text(f) => texts.push(f),
                Picked::Zip(name, bytes) => match exports::read_bundle(&bytes) {
                    Ok(saved) => d.dispatch(Action::Load(saved)),
                    Err(e) => d.dispatch(Action::Message(Some(Message {
                        kind: MessageKind::Error,
                        text: format!("{name} is not a valid netplay bundle: {e}"),
                    }))),
                },
            }
        }
        if !texts.is_empty() {
            d.dispatch(Action::AddFiles(texts));
        }
    })
}

#[function_component]
fn ScenarioPicker() -> Html {
    let state = use_app();
    let select_ref = use_node_ref();
    // `selected` on an option is only the initial choice; the select's own value must
    // follow the state after the user has used it.
    {
        let select_ref = select_ref.clone();
        let value = state
            .as_ref()
            .filter(|s| builtin::find(&s.scenario_name).is_some())
            .map(|s| s.scenario_name.clone())
            .unwrap_or_default();
        use_effect(move || {
            if let Some(select) = select_ref.cast::<web_sys::HtmlSelectElement>() {
                if select.value() != value {
                    select.set_value(&value);
                }
            }
        });
    }
    let Some(state) = state else { return html! {} };
    let on_change = {
        let d = state.dispatcher();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let d = d.clone();
            startup::open_builtin(&value, move |action| d.dispatch(action));
        })
    };
    let mut groups: Vec<&str> = BUILTIN.iter().map(|b| b.group).collect();
    groups.dedup();
    let own = builtin::find(&state.scenario_name).is_none();
    html! {
        <label class="field">
            <span class="sr-only">{ "Scenario" }</span>
            <select ref={select_ref} data-testid="scenario-select" onchange={on_change} title="Load a built-in scenario">
                if own {
                    <option value="" selected=true>{ format!("{} (your work)", state.scenario_name) }</option>
                }
                { for groups.iter().map(|g| html! {
                    <optgroup label={*g}>
                        { for BUILTIN.iter().filter(|b| b.group == *g).map(|b| html! {
                            <option value={b.name} selected={b.name == state.scenario_name}>{ b.name }</option>
                        }) }
                    </optgroup>
                }) }
            </select>
        </label>
    }
}

#[function_component]
fn ExportMenu() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let menu = use_node_ref();
    // Every item closes the menu after its download starts.
    let item = |what: Option<Export>| {
        let state = state.clone();
        let menu = menu.clone();
        Callback::from(move |_: MouseEvent| {
            match what {
                Some(w) => commands::export(&state, w),
                None => {
                    let d = state.dispatcher();
                    commands::export_bundle(&state, &Callback::from(move |a| d.dispatch(a)));
                }
            }
            if let Some(details) = menu.cast::<web_sys::Element>() {
                let _ = details.remove_attribute("open");
            }
        })
    };
    // A click outside closes it too.
    {
        let menu = menu.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                gloo::events::EventListener::new(&doc, "click", move |e| {
                    let Some(details) = menu.cast::<web_sys::Element>() else {
                        return;
                    };
                    let inside = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                        .is_some_and(|n| details.contains(Some(&n)));
                    if !inside {
                        let _ = details.remove_attribute("open");
                    }
                })
            });
            move || drop(listener)
        });
    }
    html! {
        <details class="menu" data-testid="export-menu" ref={menu.clone()}>
            <summary title="Export the scenario, the connections or the graph">{ "Export ▾" }</summary>
            <div class="menu-items">
                <button data-testid="export-bundle" onclick={item(None)} title="Zip of the manifests + bundle.json (Ctrl+S); `netplay apply` takes it">{ "Bundle (.zip)" }</button>
                <button data-testid="export-yaml" onclick={item(Some(Export::Yaml))}>{ "One YAML file" }</button>
                <button data-testid="export-txt" onclick={item(Some(Export::Txt))}>{ "Connections (.txt)" }</button>
                <button data-testid="export-json" onclick={item(Some(Export::Json))}>{ "Connections (.json)" }</button>
                <button data-testid="export-csv" onclick={item(Some(Export::Csv))}>{ "Connections (.csv)" }</button>
                <button data-testid="export-svg" onclick={item(Some(Export::Svg))}>{ "Graph (.svg)" }</button>
                <button data-testid="export-png" onclick={item(Some(Export::Png))}>{ "Graph (.png)" }</button>
            </div>
        </details>
    }
}

#[function_component]
fn ProbeField() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let on_probe = {
        let d = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            d.dispatch(Action::Probe(
                e.target_unchecked_into::<web_sys::HtmlInputElement>().value(),
            ))
        })
    };
    let problem = state.probe_problem();
    html! {
        <label class="field probe" title="Probe one port: the matrix shows ✓/✗ for it and explanations mark the deciding rule">
            <span class="sr-only">{ "Probe a port" }</span>
            <input data-testid="probe" placeholder="probe: TCP 8080" value={state.probe_text.clone()} oninput={on_probe}
                aria-invalid={problem.is_some().then_some("true")}
                aria-describedby={problem.is_some().then_some("probe-problem")}
                class={classes!(problem.is_some().then_some("invalid"))} />
            if let Some(p) = problem {
                <span id="probe-problem" class="field-problem" role="status" data-testid="probe-problem">{ p }</span>
            }
        </label>
    }
}

#[function_component]
pub fn Toolbar() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let share_link = use_state(|| None::<String>);
    let dispatch = |a: fn() -> Action| {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(a()))
    };
    let on_open = {
        let on_picked = on_picked(&state);
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
            browser::read_files(input.files(), on_picked.clone());
            input.set_value("");
        })
    };
    let on_share = {
        let state = state.clone();
        let share_link = share_link.clone();
        Callback::from(move |_: MouseEvent| {
            let d = state.dispatcher();
            let link = commands::share(&state, &Callback::from(move |a| d.dispatch(a)));
            share_link.set(link);
        })
    };
    let toggle_theme = {
        let d = state.dispatcher();
        let theme = state.theme;
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::SetTheme(if theme == Theme::Dark {
                Theme::Light
            } else {
                Theme::Dark
            }))
        })
    };
    // The share link goes with the message that announced it.
    let link = (*share_link).clone().filter(|_| {
        state
            .message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Share link created"))
    });
    html! {
        <>
        <header class="toolbar" role="toolbar" aria-label="netplay">
            <div class="brand" title="netplay: who can reach whom, and why">
                <span class="logo" aria-hidden="true">{ "◈" }</span><span class="brand-name">{ "netplay" }</span>
            </div>
            <ScenarioPicker />
            <label class="button" title="Open YAML/JSON files or a netplay bundle (.zip)" data-testid="open-files">
                { "Open…" }
                <input type="file" multiple=true accept=".yaml,.yml,.json,.zip" class="sr-only" onchange={on_open} />
            </label>
            <button data-testid="history" onclick={dispatch(|| Action::TogglePanel(Panel::History))}
                aria-pressed={(state.panel == Some(Panel::History)).to_string()}
                title="Saved versions of this scenario (h)">{ "History" }</button>
            <div class="group">
                <button data-testid="undo" onclick={dispatch(|| Action::Undo)} disabled={!state.can_undo()}
                    title="Undo (Ctrl+Z)" aria-label="Undo">{ "↶" }</button>
                <button data-testid="redo" onclick={dispatch(|| Action::Redo)} disabled={!state.can_redo()}
                    title="Redo (Ctrl+Shift+Z)" aria-label="Redo">{ "↷" }</button>
            </div>
            <div class="group segmented" role="group" aria-label="View">
                { for VIEWS.iter().map(|(view, label, _, testid, title)| {
                    let d = state.dispatcher();
                    let v = *view;
                    html! {
                        <button data-testid={*testid} aria-pressed={(state.view == v).to_string()}
                            onclick={Callback::from(move |_: MouseEvent| d.dispatch(Action::SetView(v)))} title={*title}>{ *label }</button>
                    }
                }) }
            </div>
            <ProbeField />
            <div class="spacer" />
            <ExportMenu />
            <button data-testid="share" onclick={on_share} title="Put the whole scenario into a link">{ "Share" }</button>
            <button data-testid="theme" onclick={toggle_theme} title="Light / dark"
                aria-label="Toggle dark mode">{ if state.theme == Theme::Dark { "☀" } else { "☾" } }</button>
            <button class="icon" data-testid="help" onclick={dispatch(|| Action::TogglePanel(Panel::Help))}
                aria-pressed={(state.panel == Some(Panel::Help)).to_string()}
                title="Help and keyboard shortcuts (?)" aria-label="Help">{ "?" }</button>
        </header>
        <super::message::MessageBar share_link={link} />
        </>
    }
}
