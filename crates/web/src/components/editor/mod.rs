//! The editor: file tabs, the text with line numbers and diagnostic markers, the problems
//! list, and a hint that explains the field under the cursor.

mod text;
pub mod window;

use crate::browser::{read_files, Picked};
use crate::state::{File, Jump};
use netplay_core::{glossary, Diagnostic, Severity};
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::{DragEvent, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

/// Height of one editor line in pixels (must match `--line-height` in style.css).
pub const LINE_HEIGHT: f64 = 20.0;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub files: Vec<File>,
    pub active: usize,
    pub diagnostics: Rc<Vec<Diagnostic>>,
    pub jump: Option<Jump>,
    pub on_edit: Callback<String>,
    pub on_select: Callback<usize>,
    pub on_add: Callback<()>,
    pub on_rename: Callback<(usize, String)>,
    pub on_delete: Callback<usize>,
    pub on_jump: Callback<(String, u32)>,
    pub on_picked: Callback<Vec<Picked>>,
    /// The namespace the Cilium templates are written for.
    pub template_namespace: String,
    /// Adds files (a template) and opens the last.
    pub on_add_files: Callback<Vec<File>>,
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✖",
        Severity::Warning => "▲",
        Severity::Info => "ℹ",
    }
}

/// From this many files on, a searchable file list joins the tab strip.
pub const FILE_LIST_FROM: usize = 6;

fn scroll_active_tab_into_view(strip: &NodeRef) {
    use wasm_bindgen::JsCast;
    let Some(strip) = strip.cast::<web_sys::HtmlElement>() else {
        return;
    };
    let Some(tab) = strip
        .query_selector(".tab[aria-current=true]")
        .ok()
        .flatten()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let item = tab
        .parent_element()
        .and_then(|p| p.dyn_into::<web_sys::HtmlElement>().ok())
        .unwrap_or(tab);
    let (left, width) = (item.offset_left(), item.offset_width());
    let (scroll, visible) = (strip.scroll_left(), strip.client_width());
    if left < scroll {
        strip.set_scroll_left((left - 8).max(0));
    } else if left + width > scroll + visible {
        strip.set_scroll_left(left + width - visible + 8);
    }
}

/// The file list's state, kept by the editor.
struct FileListState {
    open: UseStateHandle<bool>,
    query: UseStateHandle<String>,
    search: NodeRef,
}

/// The file list's state; its search field takes the focus when it opens.
#[hook]
fn use_file_list() -> FileListState {
    let open = use_state(|| false);
    let query = use_state(String::new);
    let search = use_node_ref();
    {
        let search = search.clone();
        use_effect_with(*open, move |open| {
            if *open {
                if let Some(i) = search.cast::<web_sys::HtmlElement>() {
                    let _ = i.focus();
                }
            }
        });
    }
    FileListState { open, query, search }
}

/// A button that opens a searchable list of the files, for scenarios with many. A
/// function over the editor's state, not a component of its own: each component costs the
/// download its own copy of Yew's lifecycle code (and this one copied every file's text
/// into its props on every keystroke).
fn file_list(files: &[File], active: usize, on_select: &Callback<usize>, state: &FileListState) -> Html {
    let FileListState { open, query, search } = state;
    // The browser's lower case, not `str::to_lowercase`: Rust's brought its Unicode case
    // tables into the download (10 KB gzip) for this one search.
    let lower = |s: &str| String::from(js_sys::JsString::from(s).to_lower_case());
    let q = lower(query);
    let matches: Vec<(usize, &File)> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| q.is_empty() || lower(&f.name).contains(&q))
        .collect();
    let choose = |i: usize| {
        let (cb, open, query) = (on_select.clone(), open.clone(), query.clone());
        move || {
            cb.emit(i);
            open.set(false);
            query.set(String::new());
        }
    };
    let first = matches.first().map(|(i, _)| *i);
    let on_key = {
        let open = open.clone();
        let pick = first.map(choose);
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                if let Some(p) = &pick {
                    p();
                }
            }
            "Escape" => open.set(false),
            _ => {}
        })
    };
    html! {
        <div class="file-list">
            <button data-testid="file-list-toggle" aria-expanded={open.to_string()} aria-controls="file-list"
                onclick={{ let open = open.clone(); Callback::from(move |_: MouseEvent| open.set(!*open)) }}
                title="All files, with search">{ format!("Files ({}) ▾", files.len()) }</button>
            if **open {
                <div class="file-list-panel" id="file-list" data-testid="file-list">
                    <input ref={search.clone()} data-testid="file-search" type="search" placeholder="Find a file…" aria-label="Find a file"
                        value={(**query).clone()} onkeydown={on_key}
                        oninput={{ let query = query.clone(); Callback::from(move |e: InputEvent| query.set(e.target_unchecked_into::<HtmlInputElement>().value())) }} />
                    <ul>
                        { for matches.iter().map(|(i, f)| {
                            let pick = choose(*i);
                            html! {
                                <li>
                                    <button data-testid="file-list-item" data-name={f.name.clone()} aria-current={(*i == active).then_some("true")}
                                        onclick={Callback::from(move |_: MouseEvent| pick())}>{ &f.name }</button>
                                </li>
                            }
                        }) }
                        if matches.is_empty() { <li class="muted">{ "No file matches." }</li> }
                    </ul>
                </div>
            }
        </div>
    }
}

// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component]
pub fn Editor(props: &EditorProps) -> Html {
    let hint = use_state(|| None::<(String, &'static str)>);
    let renaming = use_state(|| None::<usize>);
    let dragging = use_state(|| false);
    // The Problems panel opens only when the user opens it.
    let problems_open = use_state(|| false);
    let list = use_file_list();
    let tab_strip = use_node_ref();
    // The active tab is always scrolled into view (after a jump to another file, too).
    {
        let tab_strip = tab_strip.clone();
        use_effect_with((props.active, props.files.len()), move |_| {
            scroll_active_tab_into_view(&tab_strip);
        });
    }

    let file = props.files.get(props.active);
    let text = file.map_or("", |f| f.text.as_str());
    let name = file.map(|f| f.name.clone()).unwrap_or_default();
    let tw = text::use_text_window(text, props.jump, props.active, &props.on_edit);

    // Markers for this file: the most severe diagnostic of each line.
    let mut markers: BTreeMap<u32, &Diagnostic> = BTreeMap::new();
    for d in props
        .diagnostics
        .iter()
        .filter(|d| d.file.as_deref() == Some(name.as_str()))
    {
        let line = d.line.unwrap_or(1);
        let keep = markers.get(&line).is_some_and(|m| m.severity <= d.severity);
        if !keep {
            markers.insert(line, d);
        }
    }

    let on_input = {
        let tw = tw.clone();
        Callback::from(move |e: InputEvent| tw.edited(e.is_composing()))
    };
    // The hint follows the cursor: the meaning in the kind of the document the cursor is
    // in (admin policies give `ingress`, `from`, `ports` other meanings).
    let update_hint = {
        let hint = hint.clone();
        let tw = tw.clone();
        move || {
            let found = tw
                .at_caret()
                .and_then(|(text, line)| glossary::hint_at(&text, line).map(|(f, m)| (f.to_string(), m)));
            if *hint != found {
                hint.set(found);
            }
        }
    };
    let on_keyup = {
        let update_hint = update_hint.clone();
        Callback::from(move |_: KeyboardEvent| update_hint())
    };
    // A click anywhere in the editor ends a drag selection (text::TextWindow::press).
    let on_click = {
        let tw = tw.clone();
        Callback::from(move |_: MouseEvent| {
            tw.press(false);
            update_hint();
        })
    };
    // The window of a long file follows the view (text::TextWindow).
    let on_scroll = {
        let tw = tw.clone();
        Callback::from(move |_: Event| tw.scrolled())
    };
    let on_clipboard = {
        let tw = tw.clone();
        Callback::from(move |e: Event| tw.clipboard(&e))
    };
    let on_press = {
        let tw = tw.clone();
        Callback::from(move |_: MouseEvent| tw.press(true))
    };
    // Tab indents with two spaces. Esc, then Tab, leaves the editor (as in VS Code and
    // CodeMirror): without that way out the editor would be a keyboard trap.
    let escaped = use_mut_ref(|| false);
    let on_keydown = {
        let tw = tw.clone();
        let escaped = escaped.clone();
        Callback::from(move |e: KeyboardEvent| {
            tw.key(&e);
            let key = e.key();
            if key == "Escape" {
                *escaped.borrow_mut() = true;
                return;
            }
            if key != "Tab" {
                if !matches!(key.as_str(), "Shift" | "Control" | "Alt" | "Meta") {
                    *escaped.borrow_mut() = false;
                }
                return;
            }
            if std::mem::take(&mut *escaped.borrow_mut())
                || e.shift_key()
                || e.ctrl_key()
                || e.meta_key()
                || e.alt_key()
            {
                // The browser moves the focus.
                return;
            }
            e.prevent_default();
            let t = e.target_unchecked_into::<HtmlTextAreaElement>();
            let value: Vec<u16> = t.value().encode_utf16().collect();
            let start = t.selection_start().ok().flatten().unwrap_or(0) as usize;
            let end = t.selection_end().ok().flatten().unwrap_or(0) as usize;
            let (start, end) = (start.min(value.len()), end.min(value.len()).max(start.min(value.len())));
            let mut next = value[..start].to_vec();
            next.extend("  ".encode_utf16());
            next.extend_from_slice(&value[end..]);
            let next = String::from_utf16_lossy(&next);
            t.set_value(&next);
            let caret = (start + 2) as u32;
            let _ = t.set_selection_range(caret, caret);
            tw.edited(false);
        })
    };

    let on_dragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let on_dragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let dragging = dragging.clone();
        let cb = props.on_picked.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            read_files(e.data_transfer().and_then(|d| d.files()), cb.clone());
        })
    };

    let tabs = props.files.iter().enumerate().map(|(i, f)| {
        let selected = i == props.active;
        let on_select = {
            let cb = props.on_select.clone();
            Callback::from(move |_: MouseEvent| cb.emit(i))
        };
        let on_dblclick = {
            let renaming = renaming.clone();
            Callback::from(move |_: MouseEvent| renaming.set(Some(i)))
        };
        let on_tab_key = {
            let renaming = renaming.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "F2" {
                    e.prevent_default();
                    renaming.set(Some(i));
                }
            })
        };
        let on_delete = {
            let cb = props.on_delete.clone();
            let name = f.name.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                let ok = web_sys::window()
                    .and_then(|w| w.confirm_with_message(&format!("Delete {name}? (Undo brings it back.)")).ok())
                    .unwrap_or(true);
                if ok {
                    cb.emit(i);
                }
            })
        };
        let problems = props
            .diagnostics
            .iter()
            .filter(|d| d.file.as_deref() == Some(f.name.as_str()) && d.severity != Severity::Info)
            .count();
        if *renaming == Some(i) {
            let commit = {
                let renaming = renaming.clone();
                let cb = props.on_rename.clone();
                move |value: String| {
                    renaming.set(None);
                    cb.emit((i, value));
                }
            };
            let on_key = {
                let commit = commit.clone();
                let renaming = renaming.clone();
                Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
                    "Enter" => commit(e.target_unchecked_into::<HtmlInputElement>().value()),
                    "Escape" => renaming.set(None),
                    _ => {}
                })
            };
            let on_blur = Callback::from(move |e: FocusEvent| commit(e.target_unchecked_into::<HtmlInputElement>().value()));
            html! {
                <li class="tab-item">
                    <input class="tab-rename" data-testid="tab-rename" value={f.name.clone()} onkeydown={on_key}
                        onblur={on_blur} aria-label="File name" autofocus=true />
                </li>
            }
        } else {
            html! {
                <li class={classes!("tab-item", selected.then_some("active"))}>
                    <button class={classes!("tab", selected.then_some("active"))} aria-current={selected.then_some("true")}
                        data-testid="tab" data-name={f.name.clone()} onclick={on_select} ondblclick={on_dblclick}
                        onkeydown={on_tab_key} title={format!("{} (double-click or F2 to rename)", f.name)}>
                        <span class="tab-name">{ &f.name }</span>
                        if problems > 0 {
                            <span class="tab-problems" aria-label={format!("{problems} problems")}>{ problems }</span>
                        }
                    </button>
                    <button class="tab-close" title={format!("Delete {}", f.name)} aria-label={format!("Delete {}", f.name)}
                        onclick={on_delete}>{ "×" }</button>
                </li>
            }
        }
    });

    // One element per marked line and one text run per stretch of unmarked lines between
    // them: a node per line made every keystroke in a 30,000-line file re-render 30,000
    // elements (the numbers are text in `white-space: pre`, one per line height).
    let gutter = {
        let mut rows: Vec<Html> = Vec::with_capacity(2 * markers.len() + 2);
        // As wide as the whole file's widest line (its last number, with a mark when the
        // file has one), so that the gutter keeps its width as a long file's window moves.
        let mark = markers.values().next().map(|d| severity_mark(d.severity));
        rows.push(html! {
            <div class="gutter-line gutter-sizer">
                if let Some(mark) = mark { <span class="mark">{ mark }</span> }{ tw.total }
            </div>
        });
        let mut run = String::new();
        let flush = |run: &mut String, rows: &mut Vec<Html>| {
            if !run.is_empty() {
                run.pop();
                rows.push(html! { <div class="gutter-line gutter-run">{ std::mem::take(run) }</div> });
            }
        };
        for n in tw.start as u32 + 1..=tw.end as u32 {
            match markers.get(&n) {
                Some(d) => {
                    flush(&mut run, &mut rows);
                    let class = severity_class(d.severity);
                    rows.push(html! {
                        <div class={classes!("gutter-line", class)} title={format!("{} {}: {}", d.severity, d.code, d.message)}
                            data-testid="gutter-marker" data-line={n.to_string()}>
                            <span class="mark" aria-label={class}>{ severity_mark(d.severity) }</span>{ n }
                        </div>
                    });
                }
                None => {
                    use std::fmt::Write;
                    let _ = writeln!(run, "{n}");
                }
            }
        }
        flush(&mut run, &mut rows);
        rows
    };

    // Errors first, then warnings, each in file order; notes ("not modelled", hints)
    // folded into one group so that they never bury the problems.
    let mut problems: Vec<&Diagnostic> = props.diagnostics.iter().collect();
    netplay_core::sorting::sort_by_key(&mut problems, |d| (d.severity, d.file.clone(), d.line));
    let problem_row = |d: &&Diagnostic| {
        let file = d.file.clone().unwrap_or_default();
        let line = d.line.unwrap_or(1);
        let jump = {
            let cb = props.on_jump.clone();
            let file = file.clone();
            move || cb.emit((file.clone(), line))
        };
        let on_click = {
            let jump = jump.clone();
            Callback::from(move |_: MouseEvent| jump())
        };
        let on_key = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                jump();
            }
        });
        html! {
            <li class={classes!("problem", severity_class(d.severity))} data-testid="problem" data-severity={severity_class(d.severity)}
                onclick={on_click} title={d.help.clone().unwrap_or_default()}>
                <button type="button" class="problem-row" onkeydown={on_key}>
                    <span class="mark" aria-hidden="true">{ severity_mark(d.severity) }</span>
                    <span class="code">{ d.code }</span>
                    <span class="where">{ format!("{file}:{line}") }</span>
                    <span class="msg" title={d.message.clone()}>{ netplay_core::present::plain_syntax_message(d).unwrap_or_else(|| d.message.clone()) }</span>
                </button>
            </li>
        }
    };
    let counts = |s: Severity| problems.iter().filter(|d| d.severity == s).count();
    let notes: Vec<&&Diagnostic> = problems.iter().filter(|d| d.severity == Severity::Info).collect();
    let serious = problems
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .map(problem_row);
    let on_toggle = {
        let problems_open = problems_open.clone();
        Callback::from(move |e: Event| {
            let open = e.target_unchecked_into::<web_sys::HtmlDetailsElement>().open();
            if open != *problems_open {
                problems_open.set(open);
            }
        })
    };

    html! {
        <section class="editor-pane" aria-label="Manifests">
            <div class="tab-strip">
                <ul class="tabs" aria-label="Files" ref={tab_strip}>
                    { for tabs }
                    <li class="tab-item">
                        <button class="tab-add" data-testid="tab-add" title="New file" aria-label="New file"
                            onclick={props.on_add.reform(|_| ())}>{ "+" }</button>
                    </li>
                    <li class="tab-item">
                        { template_menu(&props.template_namespace, &props.on_add_files) }
                    </li>
                </ul>
                if props.files.len() >= FILE_LIST_FROM {
                    { file_list(&props.files, props.active, &props.on_select, &list) }
                }
            </div>
            <div class={classes!("editor-scroll", dragging.then_some("dragging"))} ref={tw.scroller.clone()}
                ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop} onscroll={on_scroll}
                onclick={on_click}>
                <div class="gutter" aria-hidden="true">{ for gutter }</div>
                // No `value` or `rows`: text::TextWindow keeps them (the whole text of a
                // short file, a window of a long one).
                <textarea ref={tw.textarea.clone()} data-testid="editor" class="code" spellcheck="false" wrap="off"
                    autocapitalize="off" autocomplete="off" aria-label={format!("Contents of {name}")}
                    oninput={on_input} onkeydown={on_keydown} onkeyup={on_keyup} onmousedown={on_press}
                    oncopy={on_clipboard.clone()} oncut={on_clipboard} />
                if text.trim().is_empty() {
                    <div class="empty-editor" aria-hidden="true">
                        <p>{ "Paste Kubernetes manifests here (Pods, Deployments, Services, NetworkPolicies…)," }</p>
                        <p>{ "drop YAML/JSON files or a netplay bundle (.zip) onto this editor," }</p>
                        <p>{ "or pick a built-in example in the toolbar." }</p>
                    </div>
                }
            </div>
            <div class="hint" data-testid="hint" aria-live="polite">
                {
                    match &*hint {
                        Some((field, meaning)) => html! { <><code>{ field.clone() }</code>{ ": " }{ *meaning }</> },
                        None => html! { <span class="muted">{ "Put the cursor on a field (podSelector, ipBlock, ports…) to see what it means." }</span> },
                    }
                }
            </div>
            <details class={classes!("problems", (counts(Severity::Error) > 0).then_some("has-errors"))}
                open={*problems_open} ontoggle={on_toggle} data-testid="problems-panel">
                <summary data-testid="problems-summary">
                    { format!("Problems: {} errors, {} warnings, {} notes", counts(Severity::Error), counts(Severity::Warning), counts(Severity::Info)) }
                </summary>
                <ul data-testid="problems">
                    { for serious }
                    if !notes.is_empty() {
                        <li class="notes">
                            <details data-testid="notes">
                                <summary>{ format!("{} notes (kinds netplay does not model, hints)", notes.len()) }</summary>
                                <ul>{ for notes.iter().map(|d| problem_row(d)) }</ul>
                            </details>
                        </li>
                    }
                </ul>
            </details>
        </section>
    }
}

/// The Cilium policy editor's one-click templates (`netplay_core::templates`): choosing
/// one adds it as a new file for the namespace, and the menu goes back to its prompt. A
/// function, not a component of its own: each component costs the download its own copy
/// of Yew's lifecycle code.
fn template_menu(namespace: &str, on_add_files: &Callback<Vec<File>>) -> Html {
    let templates = netplay_core::templates::cilium(namespace);
    let on_change = {
        let on_add_files = on_add_files.clone();
        let templates = templates.clone();
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<web_sys::HtmlSelectElement>();
            if let Some(t) = templates.iter().find(|t| t.id == select.value()) {
                on_add_files.emit(vec![File::new(t.file.clone(), t.yaml.clone())]);
            }
            select.set_value("");
        })
    };
    html! {
        <select class="template-add" data-testid="template-add" onchange={on_change}
            aria-label={format!("Add a Cilium policy for namespace {namespace}")}
            title={format!("Add a Cilium policy for namespace {namespace} from a template")}>
            <option value="" selected=true>{ "+ Cilium…" }</option>
            { for templates.iter().map(|t| html! { <option value={t.id}>{ format!("Cilium: {}", t.title) }</option> }) }
        </select>
    }
}
