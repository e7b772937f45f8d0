//! The root component: wires the state to the views, and the browser (storage, URL,
//! keyboard, downloads) to the state.

use crate::browser::{self, Picked, SHARE_PREFIX};
use crate::builtin::{self, BUILTIN};
use crate::components::editor::Editor;
use crate::components::explain::Explain;
use crate::components::graph::{standalone_svg, Graph};
use crate::components::matrix::Matrix;
use crate::components::mesh::Mesh;
use crate::components::plan::Plan;
use crate::state::{source_files, Action, File, Message, MessageKind, Saved, State, Theme, View};
use crate::view_model;
use netplay_core::export;
use netplay_core::output::{render_connlist, Format};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Wait after the last keystroke before re-evaluating.
const DEBOUNCE_MS: u32 = 300;

fn builtin_saved(name: &str) -> Option<Saved> {
    builtin::find(name).map(|b| Saved {
        name: b.name.to_string(),
        files: b.files.iter().map(|(p, t)| File::new(*p, *t)).collect(),
        active: 0,
    })
}

fn default_saved() -> Saved {
    builtin::default_scenario()
        .and_then(|b| builtin_saved(b.name))
        .unwrap_or(Saved {
            name: "scratch".into(),
            files: Vec::new(),
            active: 0,
        })
}

/// What the page opens with: a share link, else the autosave, else the example.
fn initial_state() -> State {
    let theme = browser::load_theme();
    let fallback = || browser::load_saved().unwrap_or_else(default_saved);
    match browser::fragment()
        .as_deref()
        .and_then(|f| f.strip_prefix(SHARE_PREFIX))
    {
        Some(code) => {
            browser::clear_fragment();
            match export::decode_share(code) {
                Ok(files) => State::new(
                    Saved {
                        name: "shared".into(),
                        files: files.into_iter().map(|f| File::new(f.name, f.text)).collect(),
                        active: 0,
                    },
                    theme,
                    Some(Message {
                        kind: MessageKind::Info,
                        text: "Opened the scenario from the share link.".into(),
                    }),
                ),
                Err(e) => State::new(
                    fallback(),
                    theme,
                    Some(Message {
                        kind: MessageKind::Error,
                        text: format!("The share link could not be opened: {e}. Showing your last work instead."),
                    }),
                ),
            }
        }
        None => State::new(fallback(), theme, None),
    }
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "netplay".into()
    } else {
        s
    }
}

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(initial_state);
    let editor_width = use_state(|| 520.0f64);
    let show_help = use_state(|| false);
    let share_link = use_state(|| None::<String>);
    // The latest state for event listeners registered once.
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();

    // Re-evaluate a moment after typing stops.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.edit_seq, move |_| {
            let timeout =
                gloo::timers::callback::Timeout::new(DEBOUNCE_MS, move || dispatcher.dispatch(Action::Evaluate));
            move || drop(timeout)
        });
    }
    // Autosave every change at once: nothing typed is lost on a reload or a crash.
    {
        let saved = state.saved();
        let dispatcher = state.dispatcher();
        use_effect_with(saved, move |saved| {
            if !browser::save(saved) {
                dispatcher.dispatch(Action::Message(Some(Message {
                    kind: MessageKind::Error,
                    text:
                        "This browser refused to save your work (storage full or disabled): export a bundle to keep it."
                            .into(),
                })));
            }
        });
    }
    {
        use_effect_with(state.theme, |theme| browser::apply_theme(*theme));
    }
    {
        let name = state.scenario_name.clone();
        use_effect_with(name, |name| {
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                doc.set_title(&format!("netplay — {name}"));
            }
        });
    }

    let export_bundle = {
        let latest = latest.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |_: ()| {
            let s = latest.borrow().clone();
            // A bundle is what goes to a cluster: no Secrets (bundles get shared; the CLI has
            // --include-secrets) and none of netplay's own documents.
            let (files, withheld) = export::withhold(&source_files(&s.files), false);
            match export::bundle(&s.scenario_name, &files) {
                Ok(bytes) => {
                    browser::download(&format!("{}.zip", slug(&s.scenario_name)), "application/zip", &bytes);
                    if !withheld.is_empty() {
                        let names: Vec<String> = withheld
                            .iter()
                            .map(|w| format!("{w} ({}:{})", w.file, w.line))
                            .collect();
                        dispatcher.dispatch(Action::Message(Some(Message {
                            kind: MessageKind::Info,
                            text: format!("Left out of the bundle (Secrets, and netplay's own documents that no cluster knows): {}.", names.join(", ")),
                        })));
                    }
                }
                Err(e) => dispatcher.dispatch(Action::Message(Some(Message {
                    kind: MessageKind::Error,
                    text: format!("Cannot export the bundle: {e}"),
                }))),
            }
        })
    };

    // Keyboard shortcuts.
    {
        let dispatcher = state.dispatcher();
        let export_bundle = export_bundle.clone();
        let show_help = show_help.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                // Not passive: the shortcuts replace the browser's own (Ctrl+S, Ctrl+Z).
                let options = gloo::events::EventListenerOptions::enable_prevent_default();
                gloo::events::EventListener::new_with_options(&w, "keydown", options, move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    let cmd = e.ctrl_key() || e.meta_key();
                    let key = e.key();
                    let typing = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|el| matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT"));
                    match (cmd, e.shift_key(), key.as_str()) {
                        (true, false, "z") => {
                            e.prevent_default();
                            dispatcher.dispatch(Action::Undo);
                        }
                        (true, true, "z" | "Z") | (true, _, "y") => {
                            e.prevent_default();
                            dispatcher.dispatch(Action::Redo);
                        }
                        (true, _, "s") => {
                            e.prevent_default();
                            export_bundle.emit(());
                        }
                        (true, _, "Enter") => {
                            e.prevent_default();
                            dispatcher.dispatch(Action::Checkpoint);
                        }
                        (false, _, "Escape") => {
                            dispatcher.dispatch(Action::Pair(None));
                            dispatcher.dispatch(Action::Select(None));
                            show_help.set(false);
                        }
                        (false, _, "?") if !typing => show_help.set(!*show_help),
                        (false, false, "g") if !typing => dispatcher.dispatch(Action::SetView(View::Graph)),
                        (false, false, "m") if !typing => dispatcher.dispatch(Action::SetView(View::Matrix)),
                        (false, false, "i") if !typing => dispatcher.dispatch(Action::SetView(View::Mesh)),
                        (false, false, "c") if !typing => dispatcher.dispatch(Action::SetView(View::Clusters)),
                        (false, false, "p") if !typing => dispatcher.dispatch(Action::SetView(View::Plan)),
                        _ => {}
                    }
                })
            });
            move || drop(listener)
        });
    }

    let analysis = state.analysis.clone();
    let checkpoint = state.checkpoint.clone();
    let graph_model = use_memo((analysis.clone(), checkpoint.clone()), |(a, c)| {
        view_model::graph(a, Some(c))
    });
    let nodes = use_memo(graph_model.clone(), |g| g.nodes.clone());
    let drawn = use_memo((graph_model.clone(), state.selected.clone()), |(g, sel)| {
        let (model, hidden) = view_model::drawable(g, sel.as_deref());
        (Rc::new(model), hidden)
    });
    let cells = use_memo((analysis.clone(), checkpoint.clone()), |(a, c)| {
        view_model::matrix(a, Some(c))
    });
    let (added, removed, changed) = view_model::change_counts(&graph_model);
    let probe = state.probe();
    let dispatch = |a: fn() -> Action| {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(a()))
    };

    // Toolbar pieces.
    let on_scenario = {
        let d = state.dispatcher();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(saved) = builtin_saved(&value) {
                d.dispatch(Action::Load(saved));
            }
        })
    };
    let on_picked = {
        let d = state.dispatcher();
        Callback::from(move |picked: Vec<Picked>| {
            let mut texts = Vec::new();
            for p in picked {
                match p {
                    Picked::Text(f) => texts.push(f),
                    Picked::Zip(name, bytes) => match export::read_bundle(&bytes) {
                        Ok(b) => d.dispatch(Action::Load(Saved {
                            name: b.scenario,
                            files: b.files.into_iter().map(|f| File::new(f.name, f.text)).collect(),
                            active: 0,
                        })),
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
    };
    let on_open = {
        let on_picked = on_picked.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
            browser::read_files(input.files(), on_picked.clone());
            input.set_value("");
        })
    };
    let on_probe = {
        let d = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            d.dispatch(Action::Probe(
                e.target_unchecked_into::<web_sys::HtmlInputElement>().value(),
            ))
        })
    };
    let on_share = {
        let latest = latest.clone();
        let share_link = share_link.clone();
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            let s = latest.borrow().clone();
            let code = export::encode_share(&source_files(&s.files));
            if let Some(link) = browser::set_share_fragment(&code) {
                browser::copy_to_clipboard(&link);
                share_link.set(Some(link));
                d.dispatch(Action::Message(Some(Message {
                    kind: MessageKind::Info,
                    text: "Share link created (copied to the clipboard when the browser allows it). It holds the whole scenario.".into(),
                })));
            }
        })
    };
    let download_text = |ext: &'static str, mime: &'static str, make: Rc<dyn Fn(&State) -> String>| {
        let latest = latest.clone();
        Callback::from(move |_: MouseEvent| {
            let s = latest.borrow().clone();
            browser::download(&format!("{}.{ext}", slug(&s.scenario_name)), mime, make(&s).as_bytes());
        })
    };
    let export_yaml = download_text(
        "yaml",
        "application/yaml",
        Rc::new(|s| export::multi_document_yaml(&source_files(&s.files))),
    );
    let export_txt = download_text(
        "connlist.txt",
        "text/plain",
        Rc::new(|s| render_connlist(&s.analysis.lines, Format::Txt)),
    );
    let export_json = download_text(
        "connlist.json",
        "application/json",
        Rc::new(|s| render_connlist(&s.analysis.lines, Format::Json)),
    );
    let export_csv = download_text(
        "connlist.csv",
        "text/csv",
        Rc::new(|s| render_connlist(&s.analysis.lines, Format::Csv)),
    );
    let export_svg = {
        let model = graph_model.clone();
        let latest = latest.clone();
        Callback::from(move |_: MouseEvent| {
            let name = slug(&latest.borrow().scenario_name);
            browser::download(
                &format!("{name}.svg"),
                "image/svg+xml",
                standalone_svg(&model).as_bytes(),
            );
        })
    };
    let export_png = {
        let model = graph_model.clone();
        let latest = latest.clone();
        Callback::from(move |_: MouseEvent| {
            let name = slug(&latest.borrow().scenario_name);
            browser::download_svg_as_png(&format!("{name}.png"), &standalone_svg(&model));
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

    // Splitter between the editor and the views.
    let on_split = {
        let editor_width = editor_width.clone();
        Callback::from(move |e: PointerEvent| {
            if e.buttons() & 1 == 1 {
                let x = e.client_x() as f64;
                let max = web_sys::window()
                    .and_then(|w| w.inner_width().ok())
                    .and_then(|v| v.as_f64())
                    .unwrap_or(1600.0)
                    - 320.0;
                editor_width.set(x.clamp(280.0, max.max(300.0)));
            }
        })
    };
    let on_split_down = Callback::from(|e: PointerEvent| {
        if let Some(t) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            let _ = t.set_pointer_capture(e.pointer_id());
        }
    });

    // `selected` on an option is only the initial choice; the select's own value must
    // follow the state after the user has used it.
    let select_ref = use_node_ref();
    {
        let select_ref = select_ref.clone();
        let name = state.scenario_name.clone();
        use_effect_with(name, move |name| {
            if let Some(select) = select_ref.cast::<web_sys::HtmlSelectElement>() {
                let value = if builtin::find(name).is_some() {
                    name.as_str()
                } else {
                    ""
                };
                select.set_value(value);
            }
        });
    }
    let groups: Vec<&str> = {
        let mut g: Vec<&str> = BUILTIN.iter().map(|b| b.group).collect();
        g.dedup();
        g
    };
    let description = builtin::find(&state.scenario_name).and_then(|b| b.description);
    let cluster = &analysis.scenario.cluster;
    let errors = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == netplay_core::Severity::Error)
        .count();
    let warnings = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == netplay_core::Severity::Warning)
        .count();

    html! {
        <div class="app" style={format!("--editor-width: {}px", *editor_width)}>
            <header class="toolbar" role="toolbar" aria-label="netplay">
                <div class="brand" title="netplay: who can reach whom, and why">
                    <span class="logo" aria-hidden="true">{ "◈" }</span>{ "netplay" }
                </div>
                <label class="field">
                    <span class="sr-only">{ "Example scenario" }</span>
                    <select ref={select_ref} data-testid="scenario-select" onchange={on_scenario} title="Load a built-in scenario">
                        if builtin::find(&state.scenario_name).is_none() {
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
                <label class="button" title="Open YAML/JSON files or a netplay bundle (.zip)" data-testid="open-files">
                    { "Open…" }
                    <input type="file" multiple=true accept=".yaml,.yml,.json,.zip" class="sr-only" onchange={on_open} />
                </label>
                <div class="group">
                    <button data-testid="undo" onclick={dispatch(|| Action::Undo)} disabled={!state.can_undo()} title="Undo (Ctrl+Z)">{ "↶ Undo" }</button>
                    <button data-testid="redo" onclick={dispatch(|| Action::Redo)} disabled={!state.can_redo()} title="Redo (Ctrl+Shift+Z)">{ "↷ Redo" }</button>
                </div>
                <div class="group segmented" role="group" aria-label="View">
                    <button data-testid="view-graph" aria-pressed={(state.view == View::Graph).to_string()}
                        onclick={dispatch(|| Action::SetView(View::Graph))} title="Traffic graph (g)">{ "Graph" }</button>
                    <button data-testid="view-matrix" aria-pressed={(state.view == View::Matrix).to_string()}
                        onclick={dispatch(|| Action::SetView(View::Matrix))} title="Connection matrix (m)">{ "Matrix" }</button>
                    <button data-testid="view-mesh" aria-pressed={(state.view == View::Mesh).to_string()}
                        onclick={dispatch(|| Action::SetView(View::Mesh))} title="Simulate a request through the service mesh (i)">{ "Mesh" }</button>
                    <button data-testid="view-clusters" aria-pressed={(state.view == View::Clusters).to_string()}
                        onclick={dispatch(|| Action::SetView(View::Clusters))} title="Clusters side by side, and what a name resolves to across them (c)">{ "Clusters" }</button>
                    <button data-testid="view-plan" aria-pressed={(state.view == View::Plan).to_string()}
                        onclick={dispatch(|| Action::SetView(View::Plan))} title="Address plan: ranges, pods per node, MTU (p)">{ "Plan" }</button>
                </div>
                <label class="field probe" title="Probe one port: the matrix shows ✓/✗ for it and explanations mark the deciding rule">
                    <span>{ "Probe" }</span>
                    <input data-testid="probe" placeholder="TCP 8080" value={state.probe_text.clone()} oninput={on_probe}
                        class={classes!((!state.probe_text.trim().is_empty() && probe.is_none()).then_some("invalid"))} />
                </label>
                <div class="spacer" />
                <details class="menu" data-testid="export-menu">
                    <summary title="Export the scenario, the connections or the graph">{ "Export ▾" }</summary>
                    <div class="menu-items">
                        <button data-testid="export-bundle" onclick={export_bundle.reform(|_: MouseEvent| ())} title="Zip of the manifests + bundle.json (Ctrl+S); `netplay apply` takes it">{ "Bundle (.zip)" }</button>
                        <button data-testid="export-yaml" onclick={export_yaml}>{ "One YAML file" }</button>
                        <button data-testid="export-txt" onclick={export_txt}>{ "Connections (.txt)" }</button>
                        <button data-testid="export-json" onclick={export_json}>{ "Connections (.json)" }</button>
                        <button data-testid="export-csv" onclick={export_csv}>{ "Connections (.csv)" }</button>
                        <button data-testid="export-svg" onclick={export_svg}>{ "Graph (.svg)" }</button>
                        <button data-testid="export-png" onclick={export_png}>{ "Graph (.png)" }</button>
                    </div>
                </details>
                <button data-testid="share" onclick={on_share} title="Put the whole scenario into a link">{ "Share" }</button>
                <button data-testid="theme" onclick={toggle_theme} title="Light / dark"
                    aria-label="Toggle dark mode">{ if state.theme == Theme::Dark { "☀" } else { "☾" } }</button>
                <button class="icon" onclick={{ let h = show_help.clone(); Callback::from(move |_: MouseEvent| h.set(!*h)) }}
                    title="Keyboard shortcuts (?)" aria-label="Help">{ "?" }</button>
            </header>
            if let Some(m) = &state.message {
                <div class={classes!("message", if m.kind == MessageKind::Error { "error" } else { "info" })} role="status" data-testid="message">
                    <span>{ &m.text }</span>
                    if let Some(link) = &*share_link {
                        if m.kind == MessageKind::Info {
                            <input data-testid="share-link" readonly=true value={link.clone()} aria-label="Share link"
                                onfocus={Callback::from(|e: FocusEvent| e.target_unchecked_into::<web_sys::HtmlInputElement>().select())} />
                        }
                    }
                    <button class="icon" aria-label="Dismiss" onclick={dispatch(|| Action::Message(None))}>{ "×" }</button>
                </div>
            }
            if *show_help {
                <div class="help" role="dialog" aria-label="Keyboard shortcuts">
                    <h3>{ "Keyboard shortcuts" }</h3>
                    <dl>
                        <dt>{ "Ctrl+Z / Ctrl+Shift+Z" }</dt><dd>{ "undo / redo (one step per pause in typing)" }</dd>
                        <dt>{ "Ctrl+S" }</dt><dd>{ "export the bundle" }</dd>
                        <dt>{ "Ctrl+Enter" }</dt><dd>{ "accept the changes (new checkpoint)" }</dd>
                        <dt>{ "g / m / i" }</dt><dd>{ "graph / matrix / mesh request" }</dd>
                        <dt>{ "p" }</dt><dd>{ "address plan" }</dd>
                        <dt>{ "Esc" }</dt><dd>{ "clear the selection, close panels" }</dd>
                        <dt>{ "Tab (in the editor)" }</dt><dd>{ "indent two spaces" }</dd>
                    </dl>
                    <p class="muted">{ "Everything runs in this page: nothing you type leaves the browser." }</p>
                </div>
            }
            <main class="workspace">
                <Editor files={state.files.clone()} active={state.active}
                    diagnostics={Rc::new(analysis.diagnostics.clone())} jump={state.jump}
                    on_edit={{ let d = state.dispatcher(); Callback::from(move |t| d.dispatch(Action::Edit(t))) }}
                    on_select={{ let d = state.dispatcher(); Callback::from(move |i| d.dispatch(Action::SelectFile(i))) }}
                    on_add={{ let d = state.dispatcher(); Callback::from(move |_| d.dispatch(Action::AddFile)) }}
                    on_rename={{ let d = state.dispatcher(); Callback::from(move |(i, n)| d.dispatch(Action::RenameFile(i, n))) }}
                    on_delete={{ let d = state.dispatcher(); Callback::from(move |i| d.dispatch(Action::DeleteFile(i))) }}
                    on_jump={{ let d = state.dispatcher(); Callback::from(move |(f, l)| d.dispatch(Action::JumpTo(f, l))) }}
                    on_picked={on_picked} />
                <div class="splitter" role="separator" aria-orientation="vertical" aria-label="Resize"
                    onpointerdown={on_split_down} onpointermove={on_split} />
                <section class="views" aria-label="Traffic">
                    if let Some(text) = description {
                        <details class="description">
                            <summary>{ format!("About “{}”", state.scenario_name) }</summary>
                            <pre>{ text }</pre>
                        </details>
                    }
                    <div class="view-body">
                        <div class="view-main">
                            {
                                match state.view {
                                    View::Graph => html! {
                                        <>
                                        if drawn.1 > 0 {
                                            <div class="graph-note" data-testid="graph-note">
                                                { format!("{} connections are too many to draw at once: select a workload to see its own (the matrix shows them all).", drawn.1) }
                                            </div>
                                        }
                                        <Graph model={drawn.0.clone()} selected={state.selected.clone()} overlay={state.mesh_path.clone()}
                                            on_select={{ let d = state.dispatcher(); Callback::from(move |s| d.dispatch(Action::Select(s))) }}
                                            on_edge={{ let d = state.dispatcher(); Callback::from(move |p| d.dispatch(Action::Pair(Some(p)))) }} />
                                        </>
                                    },
                                    View::Mesh => html! {},
                                    View::Clusters => html! { <crate::components::clusters::Clusters analysis={analysis.clone()} /> },
                                    View::Plan => html! {
                                        <Plan analysis={analysis.clone()} files={state.files.clone()}
                                            on_edit_file={{ let d = state.dispatcher(); Callback::from(move |(f, t)| d.dispatch(Action::EditFile(f, t))) }}
                                            on_add_files={{ let d = state.dispatcher(); Callback::from(move |fs| d.dispatch(Action::AddFiles(fs))) }}
                                            on_jump={{ let d = state.dispatcher(); Callback::from(move |(f, l)| d.dispatch(Action::JumpTo(f, l))) }} />
                                    },
                                    View::Matrix => html! {
                                        <Matrix nodes={nodes.clone()} cells={cells.clone()} probe={probe} pair={state.pair.clone()}
                                            selected={state.selected.clone()}
                                            on_cell={{ let d = state.dispatcher(); Callback::from(move |p| d.dispatch(Action::Pair(Some(p)))) }}
                                            on_select={{ let d = state.dispatcher(); Callback::from(move |s| d.dispatch(Action::Select(s))) }} />
                                    },
                                }
                            }
                            // Kept mounted while hidden: its form, result and path survive a
                            // trip to the graph.
                            <div class="mesh-holder" hidden={state.view != View::Mesh}>
                                        <Mesh analysis={analysis.clone()} selected={state.selected.clone()}
                                            examples={builtin::find(&state.scenario_name).and_then(|b| b.requests)}
                                            on_jump={{ let d = state.dispatcher(); Callback::from(move |(f, l)| d.dispatch(Action::JumpTo(f, l))) }}
                                            files={state.files.clone()}
                                            on_edit_file={{ let d = state.dispatcher(); Callback::from(move |(f, t)| d.dispatch(Action::EditFile(f, t))) }}
                                            on_path={{ let d = state.dispatcher(); Callback::from(move |p| d.dispatch(Action::MeshPath(p))) }}
                                            on_show_graph={{ let d = state.dispatcher(); Callback::from(move |_| d.dispatch(Action::SetView(View::Graph))) }} />
                            </div>
                        </div>
                        if let Some(pair) = &state.pair {
                            <Explain analysis={analysis.clone()} pair={pair.clone()} probe={probe}
                                on_jump={{ let d = state.dispatcher(); Callback::from(move |(f, l)| d.dispatch(Action::JumpTo(f, l))) }}
                                on_close={{ let d = state.dispatcher(); Callback::from(move |_| d.dispatch(Action::Pair(None))) }} />
                        }
                    </div>
                </section>
            </main>
            <footer class="status" data-testid="status" data-eval-ms={format!("{:.2}", analysis.eval_ms)}
                data-connections={analysis.lines.len().to_string()}>
                <span>{ format!("{} workloads · {} policies · {} connections", cluster.workloads.len(), cluster.policies.len(), analysis.lines.len()) }</span>
                <span class={classes!(if errors > 0 { "bad" } else { "muted" })}>{ format!("{errors} errors, {warnings} warnings") }</span>
                <span class="muted" title="Time core took to parse and evaluate the scenario">
                    { if state.stale() { "editing…".to_string() } else { format!("evaluated in {:.1} ms", analysis.eval_ms) } }
                </span>
                <span class="spacer" />
                <span data-testid="diff-summary" class={classes!("diff-summary", (added + removed + changed > 0).then_some("active"))}
                    title="Connections added (+), removed (−) and changed (~) since the checkpoint">
                    { format!("+{added} −{removed} ~{changed} since checkpoint") }
                </span>
                <button data-testid="accept-diff" onclick={dispatch(|| Action::Checkpoint)} disabled={added + removed + changed == 0}
                    title="Accept the changes: they become the new checkpoint (Ctrl+Enter)">{ "Accept changes" }</button>
            </footer>
        </div>
    }
}
