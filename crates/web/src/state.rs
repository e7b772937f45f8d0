//! The app state: one reducer. This is the only module that calls core; components
//! render what it holds.

use crate::view_model::Analysis;
use netplay_core::output::ConnLine;
use netplay_core::{parse_probe, Protocol, SourceFile};
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use yew::Reducible;

/// One editor tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub text: String,
}

impl File {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        File {
            name: name.into(),
            text: text.into(),
        }
    }
}

pub fn source_files(files: &[File]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|f| SourceFile::new(f.name.clone(), f.text.clone()))
        .collect()
}

/// What is saved in the browser and in share links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub name: String,
    pub files: Vec<File>,
    #[serde(default)]
    pub active: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Graph,
    Matrix,
    Mesh,
    /// Several clusters side by side, and what a name resolves to across them.
    Clusters,
    /// The address plan (form, table, address-space picture).
    Plan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    Light,
    Dark,
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

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub scenario_name: String,
    pub files: Vec<File>,
    pub active: usize,
    /// Bumped on every edit; the app re-evaluates a moment after it stops changing.
    pub edit_seq: u64,
    pub analysis: Rc<Analysis>,
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
    /// Evaluate the current text now (after the typing pause).
    Evaluate,
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
            scenario_name: saved.name,
            active: saved.active.min(files.len().saturating_sub(1)),
            edit_seq: 0,
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
        }
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
        }
    }

    fn reevaluate(&mut self) {
        self.analysis = Rc::new(evaluate(&self.files));
        self.record();
        // A selection that no longer exists is dropped.
        let exists = |id: &String| {
            self.analysis
                .scenario
                .cluster
                .workloads
                .iter()
                .any(|w| &w.endpoint_name() == id)
        };
        if self
            .selected
            .as_ref()
            .is_some_and(|s| !exists(s) && !s.ends_with("[External]"))
        {
            self.selected = None;
        }
    }

    fn restore(&mut self, snapshot: Snapshot) {
        let other_scenario = snapshot.name != self.scenario_name;
        self.scenario_name = snapshot.name;
        self.files = snapshot.files;
        self.committed = self.files.clone();
        self.active = snapshot.active.min(self.files.len().saturating_sub(1));
        self.analysis = Rc::new(evaluate(&self.files));
        // Back in another scenario, changes are counted from what it shows now.
        if other_scenario {
            self.checkpoint = Rc::new(self.analysis.lines.clone());
            self.selected = None;
            self.pair = None;
        }
    }
}

/// Evaluates files with core, timing it.
pub fn evaluate(files: &[File]) -> Analysis {
    let start = crate::browser::now_ms();
    let mut analysis = Analysis::new(&source_files(files));
    analysis.eval_ms = crate::browser::now_ms() - start;
    analysis
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
                s.undo.push(Rc::new(s.snapshot(s.files.clone())));
                let files = if saved.files.is_empty() {
                    vec![File::new("manifests.yaml", "")]
                } else {
                    saved.files
                };
                s.restore(Snapshot {
                    name: saved.name,
                    files,
                    active: saved.active,
                });
                s.redo.clear();
                s.checkpoint = Rc::new(s.analysis.lines.clone());
                s.selected = None;
                s.pair = None;
                s.message = None;
                s.mesh_path = Rc::new(Vec::new());
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
                s.reevaluate();
            }
            Action::Evaluate => {
                if s.files == s.committed {
                    return self;
                }
                s.reevaluate();
            }
            Action::Checkpoint => s.checkpoint = Rc::new(s.analysis.lines.clone()),
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
