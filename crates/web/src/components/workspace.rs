//! The workspace: the editor, the splitter, and the current view with the explanation
//! beside it. A new view is one arm in [`ViewBody`] and one entry in the toolbar's
//! `VIEWS`.

use super::about::About;
use super::clusters::Clusters;
use super::editor::Editor;
use super::explain::Explain;
use super::exposure::ExposurePanel;
use super::flows::Flows;
use super::graph::Graph;
use super::lessons::Lessons;
use super::matrix::Matrix;
use super::mesh::Mesh;
use super::plan::Plan;
use super::start_here::StartHere;
use super::toolbar::on_picked;
use super::{dispatch, use_app};
use crate::builtin;
use crate::state::{Action, View};
use crate::view_model;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The editor's callbacks (they only dispatch, so one set serves every render).
struct EditorCallbacks {
    on_edit: Callback<String>,
    on_select: Callback<usize>,
    on_add: Callback<()>,
    on_rename: Callback<(usize, String)>,
    on_delete: Callback<usize>,
    on_jump: Callback<(String, u32)>,
    on_picked: Callback<Vec<crate::browser::Picked>>,
    on_add_files: Callback<Vec<crate::state::File>>,
}

#[function_component]
pub fn Workspace() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let main = use_node_ref();
    let editor_width = use_state(|| 520.0f64);
    // The width goes through the CSS object model: the page's Content-Security-Policy
    // allows no inline style attributes.
    {
        let main = main.clone();
        use_effect_with(*editor_width, move |w| {
            if let Some(el) = main.cast::<web_sys::HtmlElement>() {
                let _ = el.style().set_property("--editor-width", &format!("{w}px"));
            }
        });
    }
    let on_split = {
        let editor_width = editor_width.clone();
        Callback::from(move |e: PointerEvent| {
            if e.buttons() & 1 == 1 {
                let max = web_sys::window()
                    .and_then(|w| w.inner_width().ok())
                    .and_then(|v| v.as_f64())
                    .unwrap_or(1600.0)
                    - 320.0;
                editor_width.set((e.client_x() as f64).clamp(280.0, max.max(300.0)));
            }
        })
    };
    let on_split_down = Callback::from(|e: PointerEvent| {
        if let Some(t) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            let _ = t.set_pointer_capture(e.pointer_id());
        }
    });
    let on_split_key = {
        let editor_width = editor_width.clone();
        Callback::from(move |e: KeyboardEvent| {
            let step = match e.key().as_str() {
                "ArrowLeft" => -40.0,
                "ArrowRight" => 40.0,
                _ => return,
            };
            e.prevent_default();
            editor_width.set((*editor_width + step).clamp(280.0, 1400.0));
        })
    };
    let analysis = state.analysis.clone();
    // Made once: new callbacks on every render would re-render the editor (and its
    // thousands of lines) whenever anything else changes.
    let editor_callbacks = {
        let state = state.clone();
        use_memo((), move |_| EditorCallbacks {
            on_edit: dispatch(&state, Action::Edit),
            on_select: dispatch(&state, Action::SelectFile),
            on_add: dispatch(&state, |_: ()| Action::AddFile),
            on_rename: dispatch(&state, |(i, n)| Action::RenameFile(i, n)),
            on_delete: dispatch(&state, Action::DeleteFile),
            on_jump: dispatch(&state, |(f, l)| Action::JumpTo(f, l)),
            on_picked: on_picked(&state),
            on_add_files: dispatch(&state, Action::AddFiles),
        })
    };
    // Templates are written for the first workload's namespace (`default` without one).
    let template_namespace = state
        .analysis
        .scenario
        .cluster
        .workloads
        .first()
        .map_or_else(|| "default".to_string(), |w| w.namespace.clone());
    let cb = &*editor_callbacks;
    html! {
        <main class="workspace" ref={main}>
            <Editor files={state.files.clone()} active={state.active}
                diagnostics={state.diagnostics.clone()} jump={state.jump}
                on_edit={cb.on_edit.clone()} on_select={cb.on_select.clone()} on_add={cb.on_add.clone()}
                on_rename={cb.on_rename.clone()} on_delete={cb.on_delete.clone()} on_jump={cb.on_jump.clone()}
                on_picked={cb.on_picked.clone()}
                template_namespace={template_namespace} on_add_files={cb.on_add_files.clone()} />
            <div class="splitter" role="separator" aria-orientation="vertical" aria-label="Resize the editor (← →)"
                aria-valuenow={format!("{:.0}", *editor_width)} aria-valuemin="280" aria-valuemax="1400" tabindex="0"
                onpointerdown={on_split_down} onpointermove={on_split} onkeydown={on_split_key} />
            <section class="views" aria-label="Traffic">
                <StartHere />
                <About />
                if let Some(first) = state.unparsed.first() {
                    <div class="stale-note" role="status" data-testid="stale">
                        <strong>{ "Stale: a document does not parse. " }</strong>
                        { format!("{}:{}: {} The views below are from before that edit.",
                            first.file.clone().unwrap_or_default(), first.line.unwrap_or(1),
                            netplay_core::present::plain_syntax_message(first).unwrap_or_else(|| first.message.clone())) }
                    </div>
                }
                <div class="view-body">
                    <div class={classes!("view-main", (!state.unparsed.is_empty()).then_some("stale"))} data-stale={(!state.unparsed.is_empty()).to_string()}>
                        <ViewBody />
                    </div>
                    if state.exposure {
                        <ExposurePanel analysis={analysis.clone()} on_close={dispatch(&state, |_: ()| Action::ToggleExposure)} />
                    }
                    if let Some(file) = &state.flows {
                        <Flows analysis={analysis.clone()} file={file.clone()}
                            on_generate={dispatch(&state, Action::AddFiles)}
                            on_close={dispatch(&state, |_: ()| Action::Flows(None))}
                            on_pair={dispatch(&state, |p| Action::Pair(Some(p)))} />
                    }
                    if let Some(pair) = &state.pair {
                        <Explain analysis={analysis.clone()} pair={pair.clone()} probe={state.probe()}
                            on_jump={dispatch(&state, |(f, l)| Action::JumpTo(f, l))}
                            on_close={dispatch(&state, |_: ()| Action::Pair(None))} />
                    }
                </div>
            </section>
        </main>
    }
}

/// The current view. The Mesh view stays mounted while hidden: its form, result and
/// path survive a trip to the graph.
#[function_component]
fn ViewBody() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let examples =
        crate::hooks::use_builtin_texts(builtin::find(&state.scenario_name)).and_then(|t| t.requests.clone());
    let analysis = state.analysis.clone();
    let checkpoint = state.checkpoint.clone();
    // Each view's model is built only while the view is shown: at hundreds of thousands
    // of connections building one costs seconds.
    let graph_shown = state.view == View::Graph;
    let model = use_memo((analysis.clone(), checkpoint.clone(), graph_shown), |(a, c, shown)| {
        shown.then(|| Rc::new(view_model::graph(a, Some(c))))
    });
    let matrix_shown = state.view == View::Matrix;
    // Which admin tier decides each pair (graph marks and legend); empty without admin
    // policies.
    let tiers = use_memo((analysis.clone(), graph_shown || matrix_shown), |(a, shown)| {
        Rc::new(if *shown {
            netplay_core::present::admin_tier_marks(&a.scenario, &a.lines)
        } else {
            Default::default()
        })
    });
    // Observed flows (a dropped flow file), replayed by core against this analysis.
    let flows = use_memo((analysis.clone(), state.flows.clone()), |(a, f)| {
        Rc::new(match f {
            Some(f) => crate::components::flows::flow_marks(&crate::components::flows::flow_view(a, f).rows),
            None => Default::default(),
        })
    });
    let jump = dispatch(&state, |(f, l)| Action::JumpTo(f, l));
    // Made once, so that switching views does not re-render the (hidden) Mesh view.
    let mesh_callbacks = {
        let state = state.clone();
        use_memo((), move |_| {
            (
                dispatch(&state, |(f, l)| Action::JumpTo(f, l)),
                dispatch(&state, |(f, t)| Action::EditFile(f, t)),
                dispatch(&state, Action::MeshPath),
                dispatch(&state, |_: ()| Action::SetView(View::Graph)),
            )
        })
    };
    let matrix_callbacks = {
        let state = state.clone();
        use_memo((), move |_| {
            (
                dispatch(&state, |p| Action::Pair(Some(p))),
                dispatch(&state, Action::Select),
            )
        })
    };
    // The Mesh view while hidden keeps what it last showed: re-rendering it (a select of
    // every workload) on every evaluation cost a few milliseconds each for nothing. It
    // follows the text while shown, and while its request's path is drawn over the graph
    // (the path follows the edits).
    let mesh_live = state.view == View::Mesh || !state.mesh_path.is_empty();
    let mesh_shows = use_mut_ref(|| (analysis.clone(), state.files.clone(), state.selected.clone()));
    if mesh_live {
        let mut shows = mesh_shows.borrow_mut();
        if shows.0 != analysis || shows.2 != state.selected || shows.1 != state.files {
            *shows = (analysis.clone(), state.files.clone(), state.selected.clone());
        }
    }
    let (mesh_analysis, mesh_files, mesh_selected) = mesh_shows.borrow().clone();
    let body = match state.view {
        View::Graph => html! {
            <Graph model={(*model).clone().unwrap_or_default()} selected={state.selected.clone()} overlay={state.mesh_path.clone()}
                tiers={(*tiers).clone()} flows={(*flows).clone()}
                on_select={dispatch(&state, Action::Select)}
                on_edge={dispatch(&state, |p| Action::Pair(Some(p)))} />
        },
        View::Mesh => html! {},
        View::Clusters => html! { <Clusters analysis={analysis.clone()} /> },
        View::Lessons => html! { <Lessons /> },
        View::Plan => html! {
            <Plan analysis={analysis.clone()} files={state.files.clone()}
                on_edit_file={dispatch(&state, |(f, t)| Action::EditFile(f, t))}
                on_add_files={dispatch(&state, Action::AddFiles)}
                on_jump={jump.clone()} />
        },
        View::Matrix => html! {
            <Matrix analysis={analysis.clone()} checkpoint={checkpoint.clone()} probe={state.probe()} pair={state.pair.clone()}
                selected={state.selected.clone()} tiers={(*tiers).clone()} flows={(*flows).clone()}
                on_cell={matrix_callbacks.0.clone()}
                on_select={matrix_callbacks.1.clone()} />
        },
    };
    html! {
        <>
        { body }
        <div class="mesh-holder" hidden={state.view != View::Mesh}>
            <Mesh analysis={mesh_analysis} selected={mesh_selected}
                examples={examples}
                on_jump={mesh_callbacks.0.clone()}
                files={mesh_files}
                on_edit_file={mesh_callbacks.1.clone()}
                on_path={mesh_callbacks.2.clone()}
                on_show_graph={mesh_callbacks.3.clone()} />
        </div>
        </>
    }
}
