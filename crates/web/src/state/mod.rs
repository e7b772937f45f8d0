//! The app state: one reducer. This is the only module that calls core; components
//! render what it holds.

pub mod exports;
pub mod lesson;
pub mod startup;

pub use crate::saved::{source_files, File, Saved, Theme};
use crate::storage::{self, StorageError, TabHistory, Version};
use crate::view_model::Analysis;
use netplay_core::export;
use netplay_core::output::ConnLine;
use netplay_core::{parse_probe, Protocol, QueryError};
use std::rc::Rc;
use yew::Reducible;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Graph,
    Matrix,
    Mesh,
    /// Several clusters side by side, and what a name resolves to across them.
    Clusters,
    /// The address plan (form, table, address-space picture).
    Plan,
    /// Lessons: a task beside the editor whose checks turn green as the learner edits.
    Lessons,
}

/// A dialog over the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    /// Keyboard shortcuts and how to use the playground.
    Help,
    /// The saved versions of the scenario.
    History,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Info,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageKind,
    pub text: String,
}

/// A request to show a line in the editor; `seq` makes repeated jumps to the same line
/// distinct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jump {
    pub file: usize,
    pub line: u32,
    pub seq: u64,
}

const HISTORY_LIMIT: usize = 200;

/// What undo and redo restore.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    name: String,
    files: Vec<File>,
    active: usize,
}

impl Snapshot {
    fn version(&self) -> Version {
        Version {
            name: self.name.clone(),
            files: self.files.clone(),
            active: self.active,
            time: 0.0,
        }
    }

    fn from_version(v: Version) -> Snapshot {
        Snapshot {
            name: v.name,
            files: v.files,
            active: v.active,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub scenario_name: String,
    pub files: Vec<File>,
    pub active: usize,
    /// Bumped on every edit; the app re-evaluates a moment after it stops changing.
    pub edit_seq: u64,
    /// An evaluation taken in steps is running (the status bar shows it after 200 ms).
    pub evaluating: bool,
    /// What the views show: the latest evaluation, or while a document does not parse the
    /// last one where every document did (see `unparsed`).
    pub analysis: Rc<Analysis>,
    /// The latest evaluation's diagnostics (the editor and the status bar show these).
    pub diagnostics: Rc<Vec<netplay_core::Diagnostic>>,
    /// The latest evaluation's syntax errors, when `analysis` is kept from before them:
    /// the views are stale until the text parses again.
    pub unparsed: Rc<Vec<netplay_core::Diagnostic>>,
    /// The connections at the last checkpoint; changes since are highlighted.
    pub checkpoint: Rc<Vec<ConnLine>>,
    /// Snapshots for undo/redo: one per pause in typing, not per keystroke. Shared, so the
    /// state clone every keystroke makes does not copy the whole history's text.
    undo: Vec<Rc<Snapshot>>,
    redo: Vec<Rc<Snapshot>>,
    committed: Vec<File>,
    pub selected: Option<String>,
    pub pair: Option<(String, String)>,
    pub probe_text: String,
    pub view: View,
    pub jump: Option<Jump>,
    pub message: Option<Message>,
    pub theme: Theme,
    /// The last simulated mesh request's path, drawn over the graph.
    pub mesh_path: Rc<Vec<crate::view_model::PathHop>>,
    /// An observed flow file (dropped or opened), replayed against every evaluation and
    /// drawn over the graph and the matrix; not saved with the work.
    pub flows: Option<Rc<File>>,
    /// Whether the Exposure panel is open.
    pub exposure: bool,
    /// Bumped whenever undo, redo or the checkpoint change: the app saves them then
    /// (a reload keeps them).
    pub history_seq: u64,
    /// The open dialog, if any.
    pub panel: Option<Panel>,
    /// The lesson the learner is working on, graded after every evaluation.
    pub lesson: Option<lesson::LessonRun>,
}

pub enum Action {
    /// The active file's text changed.
    Edit(String),
    /// A file's text changed from outside the editor (e.g. a weight slider).
    EditFile(String, String),
    SelectFile(usize),
    AddFile,
    RenameFile(usize, String),
    DeleteFile(usize),
    /// Replace the scenario (a built-in, a bundle, a share link).
    Load(Saved),
    /// Add files (dropped or picked) beside the current ones.
    AddFiles(Vec<File>),
    /// Evaluate the current text now.
    Evaluate,
    /// An evaluation of the text in steps has begun (`evaluate_in_steps`).
    Evaluating,
    /// The evaluation of these files, made after the typing pause; dropped when the text
    /// is no longer theirs.
    Evaluated(Box<(Vec<File>, Analysis)>),
    /// Accept the changes: the current connections become the checkpoint.
    Checkpoint,
    Undo,
    Redo,
    Select(Option<String>),
    Pair(Option<(String, String)>),
    Probe(String),
    SetView(View),
    /// Show a file's line in the editor (by file name).
    JumpTo(String, u32),
    Message(Option<Message>),
    SetTheme(Theme),
    /// The Mesh view simulated a request: its path, to draw over the graph.
    MeshPath(Vec<crate::view_model::PathHop>),
    /// A flow file was dropped or opened (`None`: closed).
    Flows(Option<File>),
    /// Opens or closes the Exposure panel.
    ToggleExposure,
    /// A share link's code (`v1.…`) arrived: open it in place of the work (undo and the
    /// versions keep the work).
    OpenShared(String),
    /// Saving to the browser failed.
    StorageFailed(StorageError),
    /// Opens a dialog, or closes it when it is open.
    TogglePanel(Panel),
    /// Esc: closes dialogs and the explanation, clears the selection.
    Dismiss,
    /// Opens a lesson where the learner left it (saved progress), or at its start.
    StartLesson(lesson::LessonSource),
    /// Starts the current lesson over (the learner's text stays in History and Undo).
    RestartLesson,
    /// Shows the next hint of the current step.
    LessonHint,
    /// On to the next step (when every check of this one passes).
    LessonNext,
    /// The files as they were when the step began (the learner's text stays in History
    /// and Undo).
    ResetLessonStep,
    /// Back to the list of lessons (the work stays).
    CloseLesson,
}

impl State {
    pub fn new(saved: Saved, theme: Theme, message: Option<Message>) -> Self {
        let files = if saved.files.is_empty() {
            vec![File::new("manifests.yaml", "")]
        } else {
            saved.files
        };
        let analysis = Rc::new(evaluate(&files));
        State {
            diagnostics: Rc::new(analysis.diagnostics.clone()),
            unparsed: Rc::new(Vec::new()),
            scenario_name: saved.name,
            active: saved.active.min(files.len().saturating_sub(1)),
            edit_seq: 0,
            evaluating: false,
            checkpoint: Rc::new(analysis.lines.clone()),
            analysis,
            undo: Vec::new(),
            redo: Vec::new(),
            committed: files.clone(),
            files,
            selected: None,
            pair: None,
            probe_text: String::new(),
            view: View::Graph,
            jump: None,
            message,
            theme,
            mesh_path: Rc::new(Vec::new()),
            flows: None,
            exposure: false,
            history_seq: 0,
            panel: None,
            lesson: None,
        }
    }

    /// The state of a tab after a reload: its files, undo/redo and checkpoint as saved.
    pub fn restored(saved: Saved, history: Option<TabHistory>, theme: Theme, message: Option<Message>) -> Self {
        let mut s = State::new(saved, theme, message);
        if let Some(h) = history {
            s.undo = h.undo.into_iter().map(|v| Rc::new(Snapshot::from_version(v))).collect();
            s.redo = h.redo.into_iter().map(|v| Rc::new(Snapshot::from_version(v))).collect();
            s.checkpoint = Rc::new(
                h.checkpoint
                    .into_iter()
                    .map(|(src, dst, conn)| ConnLine {
                        src,
                        dst,
                        conn,
                        l7: None,
                    })
                    .collect(),
            );
        }
        s
    }

    /// What a reload of this tab restores besides the files.
    pub fn tab_history(&self) -> TabHistory {
        TabHistory {
            undo: self.undo.iter().map(|s| s.version()).collect(),
            redo: self.redo.iter().map(|s| s.version()).collect(),
            checkpoint: self
                .checkpoint
                .iter()
                .map(|l| (l.src.clone(), l.dst.clone(), l.conn.clone()))
                .collect(),
        }
    }

    /// Whether the work differs from the built-in scenario of the same name (work worth
    /// keeping as a version before it is replaced).
    pub fn edited(&self) -> bool {
        match crate::builtin::find(&self.scenario_name) {
            Some(b) => !b.same_files(self.files.iter().map(|f| (f.name.as_str(), f.text.as_str()))),
            None => self.files.iter().any(|f| !f.text.trim().is_empty()),
        }
    }

    /// Whether every distinctive line of the built-in scenario this work is named after
    /// (its `name:` lines) is gone: the work is no longer that example and must not be
    /// called by its name.
    fn replaced_builtin(&self) -> bool {
        let Some(b) = crate::builtin::find(&self.scenario_name) else {
            return false;
        };
        if b.distinctive.is_empty() {
            return false;
        }
        !self.files.iter().flat_map(|f| f.text.lines()).any(|l| {
            b.distinctive
                .binary_search(&crate::fingerprint::fingerprint(l.trim()))
                .is_ok()
        })
    }

    /// Keeps the current work as a version of its scenario before something replaces it.
    fn keep_before_replacing(&mut self) {
        if self.edited() {
            self.keep_version();
        }
    }

    /// Records the work as a version of its scenario now (History lists it), after the
    /// versions still due, so that they keep their order.
    fn keep_version(&mut self) {
        let written =
            write_due_versions().and_then(|_| storage::record_version(&self.saved(), crate::browser::wall_ms(), false));
        if let Err(e) = written {
            self.storage_failed(e);
        }
    }

    /// Replaces the work (undo brings it back); changes are counted from what it shows.
    fn load(&mut self, saved: Saved) {
        self.undo.push(Rc::new(self.snapshot(self.files.clone())));
        let files = if saved.files.is_empty() {
            vec![File::new("manifests.yaml", "")]
        } else {
            saved.files
        };
        self.restore(Snapshot {
            name: saved.name,
            files,
            active: saved.active,
        });
        self.redo.clear();
        self.checkpoint = Rc::new(self.analysis.lines.clone());
        self.selected = None;
        self.pair = None;
        self.message = None;
        self.mesh_path = Rc::new(Vec::new());
    }

    fn storage_failed(&mut self, e: StorageError) {
        self.message = Some(Message {
            kind: MessageKind::Error,
            text: e.message().to_string(),
        });
    }

    pub fn saved(&self) -> Saved {
        Saved {
            name: self.scenario_name.clone(),
            files: self.files.clone(),
            active: self.active,
        }
    }

    /// The probe (`TCP 8080`) when the field holds a valid one.
    pub fn probe(&self) -> Option<(Protocol, u16)> {
        let t = self.probe_text.trim();
        (!t.is_empty()).then(|| parse_probe(t).ok()).flatten()
    }

    /// Why the probe field's text is not a probe (with the expected format), if it is not.
    pub fn probe_problem(&self) -> Option<String> {
        let t = self.probe_text.trim();
        if t.is_empty() {
            return None;
        }
        parse_probe(t).err().map(|e| match e {
            // Its message already shows how to write a port.
            QueryError::UnreadablePort { .. } => e.to_string(),
            _ => format!("{e}. Write a port and protocol, e.g. 8080/TCP or UDP 53."),
        })
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty() || self.files != self.committed
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Whether the text changed since the analysis was made.
    pub fn stale(&self) -> bool {
        self.files != self.committed
    }

    fn snapshot(&self, files: Vec<File>) -> Snapshot {
        Snapshot {
            name: self.scenario_name.clone(),
            files,
            active: self.active,
        }
    }

    fn record(&mut self) {
        if self.files != self.committed {
            let previous = std::mem::replace(&mut self.committed, self.files.clone());
            self.undo.push(Rc::new(self.snapshot(previous)));
            if self.undo.len() > HISTORY_LIMIT {
                self.undo.remove(0);
            }
            self.redo.clear();
            self.history_seq += 1;
            // A version of the scenario per pause in typing (coalesced while typing on),
            // written by the autosave once the page is idle: reading and writing the
            // versions is not added to the evaluation's task.
            if self.edited() {
                DUE_VERSIONS.with(|due| due.borrow_mut().push((self.saved(), crate::browser::wall_ms())));
            }
        }
    }

    /// Takes a new evaluation. While a document does not parse, its objects are missing
    /// from the new one: the views keep the last evaluation in which everything parsed
    /// (marked stale) instead of showing its connections as removed.
    fn take(&mut self, next: Analysis) {
        self.evaluating = false;
        let errors: Vec<netplay_core::Diagnostic> = netplay_core::present::syntax_errors(&next.diagnostics)
            .cloned()
            .collect();
        self.diagnostics = Rc::new(next.diagnostics.clone());
        let keep_previous = !errors.is_empty()
            && netplay_core::present::syntax_errors(&self.analysis.diagnostics)
                .next()
                .is_none();
        let keep_previous = keep_previous || (!errors.is_empty() && !self.unparsed.is_empty());
        if keep_previous {
            self.unparsed = Rc::new(errors);
        } else {
            self.unparsed = Rc::new(Vec::new());
            drop_when_idle(std::mem::replace(&mut self.analysis, Rc::new(next)));
        }
    }

    fn reevaluate(&mut self) {
        let next = evaluate(&self.files);
        self.reevaluate_with(next);
    }

    /// Takes `next`, the evaluation of the current files.
    fn reevaluate_with(&mut self, next: Analysis) {
        self.take(next);
        let replaced = self.replaced_builtin();
        // The undo step keeps the old name: undo brings the example back, named.
        self.record();
        if replaced {
            self.scenario_name = "untitled".into();
        }
        // A selection that no longer exists is dropped.
        let exists = |id: &String| {
            self.analysis
                .scenario
                .cluster
                .workloads
                .iter()
                .any(|w| &w.endpoint_name() == id)
        };
        if self.selected.as_ref().is_some_and(|s| {
            !exists(s) && netplay_core::present::endpoint_kind(s) == netplay_core::present::EndpointKind::Workload
        }) {
            self.selected = None;
        }
        self.regrade();
    }

    fn restore(&mut self, snapshot: Snapshot) {
        self.history_seq += 1;
        let other_scenario = snapshot.name != self.scenario_name;
        self.scenario_name = snapshot.name;
        self.files = snapshot.files;
        self.committed = self.files.clone();
        self.active = snapshot.active.min(self.files.len().saturating_sub(1));
        let next = evaluate(&self.files);
        self.evaluating = false;
        self.diagnostics = Rc::new(next.diagnostics.clone());
        self.unparsed = Rc::new(Vec::new());
        drop_when_idle(std::mem::replace(&mut self.analysis, Rc::new(next)));
        // Back in another scenario, changes are counted from what it shows now.
        if other_scenario {
            self.checkpoint = Rc::new(self.analysis.lines.clone());
            self.selected = None;
            self.pair = None;
        }
        self.regrade();
    }
}

thread_local! {
    /// Versions of the work recorded after pauses in typing (`State::record`) that are not
    /// written yet, oldest first: the autosave writes them when the page is idle, and a
    /// version written at once writes them first.
    static DUE_VERSIONS: std::cell::RefCell<Vec<(Saved, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes the oldest version that is due; `None` when none is.
pub fn write_due_version() -> Option<Result<(), StorageError>> {
    let due = DUE_VERSIONS.with(|due| {
        let mut due = due.borrow_mut();
        (!due.is_empty()).then(|| due.remove(0))
    })?;
    Some(storage::record_version(&due.0, due.1, true))
}

/// Whether a version is waiting to be written.
pub fn versions_due() -> bool {
    DUE_VERSIONS.with(|due| !due.borrow().is_empty())
}

/// Writes every version that is due.
pub fn write_due_versions() -> Result<(), StorageError> {
    let mut result = Ok(());
    while let Some(r) = write_due_version() {
        result = result.and(r);
    }
    result
}

/// Drops the previous evaluation when the page is idle (the views still hold it until
/// they are redrawn; this is the last reference): freeing a model and tens of thousands of
/// lines took milliseconds of the task that shows the next evaluation.
fn drop_when_idle(previous: Rc<Analysis>) {
    crate::browser::when_idle(1_000, move || drop(previous));
}

/// Evaluates files with core, timing it.
pub fn evaluate(files: &[File]) -> Analysis {
    let start = crate::browser::now_ms();
    let mut analysis = Analysis::new(&source_files(files));
    analysis.eval_ms = crate::browser::now_ms() - start;
    analysis
}

/// Evaluates `files` after the typing pause without holding the page: core's steps run
/// in separate tasks (`browser::next_task`: the page draws and takes input between them),
/// and an evaluation is dropped at its next step once `current` says a newer edit arrived.
/// A quick evaluation (the kept path after most edits) is taken in the same task, so the
/// views are redrawn at once; a longer one in a task of its own, so that redrawing is not
/// added to it. `eval_ms` counts core's steps, not the waits between them.
pub fn evaluate_in_steps(
    dispatcher: yew::UseReducerDispatcher<State>,
    files: Vec<File>,
    current: impl Fn() -> bool + 'static,
) {
    use crate::view_model::Step;
    let start = crate::browser::now_ms();
    let step = Analysis::begin(&source_files(&files));
    let spent = crate::browser::now_ms() - start;
    if matches!(step, Step::Pending(_)) {
        dispatcher.dispatch(Action::Evaluating);
    }
    next_step(dispatcher, files, current, step, spent);
}

/// An evaluation that took less than this (ms) is shown in the same task: with the redraw
/// it stays well under the 50 ms that make a long task.
const SHOW_AT_ONCE_MS: f64 = 20.0;

fn next_step(
    dispatcher: yew::UseReducerDispatcher<State>,
    files: Vec<File>,
    current: impl Fn() -> bool + 'static,
    step: crate::view_model::Step,
    spent: f64,
) {
    match step {
        crate::view_model::Step::Done(mut analysis) => {
            analysis.eval_ms = spent;
            let show = move || {
                if current() {
                    dispatcher.dispatch(Action::Evaluated(Box::new((files, analysis))));
                }
            };
            if spent < SHOW_AT_ONCE_MS {
                show();
            } else {
                crate::browser::next_task(show);
            }
        }
        crate::view_model::Step::Pending(pending) => crate::browser::next_task(move || {
            if current() {
                let start = crate::browser::now_ms();
                let step = Analysis::resume(pending);
                let spent = spent + crate::browser::now_ms() - start;
                next_step(dispatcher, files, current, step, spent);
            }
        }),
    }
}

fn unique_name(files: &[File], wanted: &str) -> String {
    if !files.iter().any(|f| f.name == wanted) {
        return wanted.to_string();
    }
    let (stem, ext) = wanted.rsplit_once('.').unwrap_or((wanted, "yaml"));
    (2..)
        .map(|i| format!("{stem}-{i}.{ext}"))
        .find(|n| !files.iter().any(|f| &f.name == n))
        .unwrap_or_default()
}

impl Reducible for State {
    type Action = Action;

    // Long function: the state machine in one place, one short arm per `Action`; split up,
    // a reader would have to hunt for what an action changes.
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Edit(text) => {
                if let Some(f) = s.files.get_mut(s.active) {
                    if f.text == text {
                        return self;
                    }
                    f.text = text;
                    s.edit_seq += 1;
                    // The running evaluation is of older text: it is dropped at its next step.
                    s.evaluating = false;
                }
            }
            Action::EditFile(name, text) => {
                let Some(f) = s.files.iter_mut().find(|f| f.name == name) else {
                    return self;
                };
                if f.text == text {
                    return self;
                }
                f.text = text;
                s.edit_seq += 1;
            }
            Action::SelectFile(i) if i < s.files.len() => s.active = i,
            Action::SelectFile(_) => return self,
            Action::AddFile => {
                let name = unique_name(&s.files, "new.yaml");
                s.files.push(File::new(name, ""));
                s.active = s.files.len() - 1;
                s.edit_seq += 1;
            }
            Action::RenameFile(i, name) => {
                let name = name.trim().to_string();
                if name.is_empty() || s.files.iter().enumerate().any(|(j, f)| j != i && f.name == name) {
                    s.message = Some(Message {
                        kind: MessageKind::Error,
                        text: format!("cannot rename to {name:?}: the name is empty or taken"),
                    });
                } else if let Some(f) = s.files.get_mut(i) {
                    f.name = name;
                    s.edit_seq += 1;
                }
            }
            Action::DeleteFile(i) if i < s.files.len() => {
                s.files.remove(i);
                if s.files.is_empty() {
                    s.files.push(File::new("manifests.yaml", ""));
                }
                s.active = s.active.min(s.files.len() - 1);
                s.reevaluate();
            }
            Action::DeleteFile(_) => return self,
            Action::Load(saved) => {
                s.record();
                s.keep_before_replacing();
                s.load(saved);
            }
            Action::OpenShared(code) => match export::decode_share(&code) {
                Ok(files) => {
                    s.record();
                    s.keep_before_replacing();
                    let replaced = s.edited();
                    s.load(Saved {
                        name: "shared".into(),
                        files: files.into_iter().map(|f| File::new(f.name, f.text)).collect(),
                        active: 0,
                    });
                    s.message = Some(Message {
                        kind: MessageKind::Info,
                        text: if replaced {
                            "Opened the scenario from the share link. Your previous work is kept: Undo (Ctrl+Z) or History brings it back.".into()
                        } else {
                            "Opened the scenario from the share link.".into()
                        },
                    });
                }
                Err(e) => {
                    s.message = Some(Message {
                        kind: MessageKind::Error,
                        text: format!("The share link could not be opened: {e}. Your work is unchanged."),
                    })
                }
            },
            Action::StorageFailed(e) => {
                let text = e.message();
                if s.message.as_ref().is_some_and(|m| m.text == text) {
                    return self;
                }
                s.storage_failed(e);
            }
            Action::AddFiles(files) => {
                for f in files {
                    let name = unique_name(&s.files, &f.name);
                    // Replace the placeholder tab when it is still empty.
                    if s.files.len() == 1 && s.files[0].text.trim().is_empty() {
                        s.files.clear();
                    }
                    s.files.push(File::new(name, f.text));
                }
                s.active = s.files.len().saturating_sub(1);
                // Evaluated like an edit, in steps (a large cluster takes seconds): the page
                // draws the files and the progress indicator meanwhile.
                s.edit_seq += 1;
                s.evaluating = false;
            }
            Action::Evaluate => {
                if s.files == s.committed {
                    return self;
                }
                s.reevaluate();
            }
            Action::Evaluating => s.evaluating = true,
            Action::Evaluated(evaluated) => {
                let (files, analysis) = *evaluated;
                // The text changed since (undo, a loaded scenario): it was evaluated itself.
                if files != s.files {
                    if !s.evaluating {
                        return self;
                    }
                    s.evaluating = false;
                } else {
                    s.reevaluate_with(analysis);
                }
            }
            Action::Checkpoint => {
                s.checkpoint = Rc::new(s.analysis.lines.clone());
                s.history_seq += 1;
            }
            Action::Undo => {
                s.record();
                let Some(snapshot) = s.undo.pop() else { return self };
                s.redo.push(Rc::new(s.snapshot(s.files.clone())));
                s.restore(Rc::unwrap_or_clone(snapshot));
            }
            Action::Redo => {
                let Some(snapshot) = s.redo.pop() else { return self };
                s.undo.push(Rc::new(s.snapshot(s.files.clone())));
                s.restore(Rc::unwrap_or_clone(snapshot));
            }
            Action::TogglePanel(p) => s.panel = if s.panel == Some(p) { None } else { Some(p) },
            Action::Dismiss => {
                if s.panel.is_none() && s.pair.is_none() && s.selected.is_none() {
                    return self;
                }
                s.panel = None;
                s.pair = None;
                s.selected = None;
            }
            Action::Select(sel) => s.selected = sel,
            Action::Pair(pair) => s.pair = pair,
            Action::Probe(text) => s.probe_text = text,
            Action::SetView(v) => s.view = v,
            Action::JumpTo(name, line) => {
                let Some(i) = s.files.iter().position(|f| f.name == name) else {
                    return self;
                };
                s.active = i;
                let seq = s.jump.map_or(1, |j| j.seq + 1);
                s.jump = Some(Jump { file: i, line, seq });
            }
            Action::Message(m) => s.message = m,
            Action::SetTheme(t) => s.theme = t,
            Action::StartLesson(source) => s.start_lesson(source, false),
            Action::RestartLesson => match s.lesson.as_ref().map(|l| l.source.clone()) {
                Some(source) => s.start_lesson(source, true),
                None => return self,
            },
            Action::LessonHint => {
                if !s.lesson.as_mut().is_some_and(|l| l.reveal_hint()) {
                    return self;
                }
            }
            Action::LessonNext => {
                let files = s.files.clone();
                if !s.lesson.as_mut().is_some_and(|l| l.advance(&files)) {
                    return self;
                }
            }
            Action::ResetLessonStep => s.reset_lesson_step(),
            Action::CloseLesson => s.lesson = None,
            Action::ToggleExposure => s.exposure = !s.exposure,
            Action::Flows(file) => {
                s.flows = file.map(Rc::new);
            }
            Action::MeshPath(path) => {
                if *s.mesh_path == path {
                    return self;
                }
                s.mesh_path = Rc::new(path);
            }
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Rc<State> {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: a}}\nspec: {containers: [{name: c, image: i}]}\n";
        Rc::new(State::new(
            Saved {
                name: "t".into(),
                files: vec![File::new("a.yaml", pod)],
                active: 0,
            },
            Theme::Light,
            None,
        ))
    }

    #[test]
    fn typing_is_one_undo_step_per_pause() {
        let s = state();
        let original = s.files.clone();
        let s = s.reduce(Action::Edit("x".into()));
        let s = s.reduce(Action::Edit("xy".into()));
        assert!(s.stale());
        let s = s.reduce(Action::Evaluate);
        assert!(!s.stale());
        let s = s.reduce(Action::Undo);
        assert_eq!(s.files, original);
        let s = s.reduce(Action::Redo);
        assert_eq!(s.files[0].text, "xy");
    }

    /// The page evaluates after the typing pause in steps; an evaluation of text that was
    /// edited again is dropped, the newer text's own evaluation is taken.
    #[test]
    fn an_evaluation_of_older_text_is_dropped() {
        let evaluated = |s: &State| Action::Evaluated(Box::new((s.files.clone(), evaluate(&s.files))));
        let s = state().reduce(Action::Edit("x".into()));
        let older = evaluated(&s);
        let s = s.reduce(Action::Evaluating);
        assert!(s.evaluating);
        let s = s.reduce(Action::Edit("xy".into()));
        assert!(!s.evaluating, "an edit drops the running evaluation");
        let s = s.reduce(Action::Evaluating).reduce(older);
        assert!(s.stale(), "the older text's evaluation is not taken");
        assert!(!s.evaluating);
        let newer = evaluated(&s);
        let s = s.reduce(newer);
        assert!(!s.stale() && !s.evaluating);
        let s = s.reduce(Action::Undo);
        assert_eq!(
            s.files[0].text,
            state().files[0].text,
            "one undo step per evaluated pause"
        );
    }

    #[test]
    fn undo_before_the_pause_restores_the_last_snapshot() {
        let s = state();
        let original = s.files.clone();
        let s = s.reduce(Action::Edit("typed".into())).reduce(Action::Undo);
        assert_eq!(s.files, original);
    }

    #[test]
    fn bad_indices_and_names_do_not_panic() {
        let s = state()
            .reduce(Action::SelectFile(9))
            .reduce(Action::DeleteFile(9))
            .reduce(Action::RenameFile(9, "x".into()))
            .reduce(Action::RenameFile(0, "  ".into()))
            .reduce(Action::JumpTo("nope".into(), 3))
            .reduce(Action::DeleteFile(0));
        assert_eq!(s.files.len(), 1, "deleting the last file leaves an empty one");
        assert!(s.message.is_some());
    }

    #[test]
    fn loading_resets_the_checkpoint_and_can_be_undone() {
        let s = state();
        let before = s.files.clone();
        let s = s.reduce(Action::Load(Saved {
            name: "other".into(),
            files: vec![File::new("b.yaml", "")],
            active: 0,
        }));
        assert_eq!(s.checkpoint.as_slice(), s.analysis.lines.as_slice());
        let s = s.reduce(Action::Undo);
        assert_eq!(s.files, before);
        assert_eq!(s.scenario_name, "t", "undo brings the scenario's name back too");
        assert_eq!(s.checkpoint.as_slice(), s.analysis.lines.as_slice());
    }
}
