//! A lesson in progress: which lesson, the step the learner is on, the hints shown, and
//! the grade of the step's checks against the learner's files. Core parses and grades
//! (`netplay_core::lessons`); this module only keeps the learner's place.

use super::{source_files, File};
use crate::{builtin, storage};
use netplay_core::assertions::Report;
use netplay_core::lessons::{self, Lesson, Step};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Where a lesson comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LessonSource {
    /// A built-in lesson, by id (`default-deny-dns`).
    Builtin(String),
    /// A lesson file opened from disk or a share link: its name and text.
    File { name: String, text: String },
}

impl LessonSource {
    /// The lesson, parsed by core. A lesson file that cannot be used at all gives its
    /// diagnostics (file and line) as the error.
    pub fn parse(&self) -> Result<Lesson, String> {
        match self {
            LessonSource::Builtin(id) => match builtin::lessons() {
                Some(files) => {
                    builtin_lesson(&files, id).ok_or_else(|| format!("There is no built-in lesson called {id:?}."))
                }
                None => Err(format!(
                    "The lesson {id:?} cannot be opened: {}. Your work is unchanged.",
                    builtin::lessons_missing()
                )),
            },
            LessonSource::File { name, text } => match lessons::parse(name, text) {
                (Some(lesson), _) => Ok(lesson),
                (None, diagnostics) => {
                    let why: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
                    Err(format!("{name} is not a lesson (docs/lessons.md): {}", why.join("; ")))
                }
            },
        }
    }

    /// The key the lesson's progress is saved under.
    pub fn key(&self, lesson: &Lesson) -> String {
        match self {
            LessonSource::Builtin(id) => format!("builtin:{id}"),
            LessonSource::File { .. } => format!("file:{}", lesson.id),
        }
    }
}

/// How far a learner got in a lesson: saved in the browser after every change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The step the learner is on (0-based); the number of steps once the lesson is done.
    pub step: usize,
    /// Per step, how many of its hints are shown.
    pub hints: Vec<usize>,
    /// Per step, whether the learner completed it.
    pub done: Vec<bool>,
    /// The learner's files when the current step began: what "reset this step" restores.
    pub step_start: Vec<File>,
    /// The learner's files, as last graded (a later visit resumes with them).
    pub files: Vec<File>,
}

/// A lesson the learner is working on.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonRun {
    pub source: LessonSource,
    pub lesson: Rc<Lesson>,
    pub progress: Progress,
    /// The current step's checks against the learner's files (empty once done).
    pub report: Rc<Report>,
}

impl LessonRun {
    /// A run of `lesson` at `progress` (a fresh one starts on the lesson's files).
    pub fn new(source: LessonSource, lesson: Lesson, progress: Option<Progress>) -> LessonRun {
        let start: Vec<File> = lesson
            .start
            .iter()
            .map(|f| File::new(f.name.clone(), f.text.clone()))
            .collect();
        let mut progress = progress.unwrap_or_else(|| Progress {
            step_start: start.clone(),
            files: start,
            ..Progress::default()
        });
        let steps = lesson.steps.len();
        progress.step = progress.step.min(steps);
        progress.hints.resize(steps, 0);
        progress.done.resize(steps, false);
        LessonRun {
            source,
            lesson: Rc::new(lesson),
            progress,
            report: Rc::new(Report::default()),
        }
    }

    pub fn key(&self) -> String {
        self.source.key(&self.lesson)
    }

    /// The name the learner's work goes by (its versions in History are kept under it).
    pub fn scenario_name(&self) -> String {
        scenario_name(&self.lesson)
    }

    /// The step the learner is on; `None` once the lesson is done.
    pub fn step(&self) -> Option<&Step> {
        self.lesson.steps.get(self.progress.step)
    }

    pub fn finished(&self) -> bool {
        self.progress.step >= self.lesson.steps.len()
    }

    /// Whether every check of the current step passes.
    pub fn passed(&self) -> bool {
        !self.report.results.is_empty() && self.report.failed() == 0
    }

    /// Grades the current step against `files` (core runs the checks).
    pub fn grade(&mut self, files: &[File]) {
        self.progress.files = files.to_vec();
        self.report = Rc::new(if self.finished() {
            Report::default()
        } else {
            self.lesson.grade(self.progress.step, &source_files(files))
        });
    }

    /// Shows one more hint of the current step (there is nothing past the last one).
    pub fn reveal_hint(&mut self) -> bool {
        let step = self.progress.step;
        let available = self.step().map_or(0, |s| s.hints.len());
        match self.progress.hints.get_mut(step) {
            Some(shown) if *shown < available => {
                *shown += 1;
                true
            }
            _ => false,
        }
    }

    /// Moves on when the current step's checks pass; the learner's files become the
    /// next step's starting point.
    pub fn advance(&mut self, files: &[File]) -> bool {
        if !self.passed() || self.finished() {
            return false;
        }
        if let Some(done) = self.progress.done.get_mut(self.progress.step) {
            *done = true;
        }
        self.progress.step += 1;
        self.progress.step_start = files.to_vec();
        self.grade(files);
        true
    }
}

impl super::State {
    /// Opens a lesson: where the learner left it (its saved progress and files) unless
    /// `fresh`, else at its start. The work it replaces stays in History and Undo.
    pub(super) fn start_lesson(&mut self, source: LessonSource, fresh: bool) {
        let Some(lesson) = self.parse_or_say(&source) else {
            return;
        };
        let key = source.key(&lesson);
        self.view = super::View::Lessons;
        // Already on it in this tab: nothing to load.
        if !fresh
            && self
                .lesson
                .as_ref()
                .is_some_and(|l| l.key() == key && l.scenario_name() == self.scenario_name)
        {
            return;
        }
        let saved = if fresh {
            None
        } else {
            storage::load_lesson_progress(&key)
        };
        let run = LessonRun::new(source, lesson, saved);
        self.record();
        self.keep_before_replacing();
        if fresh && self.scenario_name == run.scenario_name() {
            // Starting over keeps the attempt as a version even when it is unnamed work.
            self.keep_version();
        }
        self.load(super::Saved {
            name: run.scenario_name(),
            files: run.progress.files.clone(),
            active: 0,
        });
        self.lesson = Some(run);
        self.regrade();
    }

    /// The lesson, or `None` with the reason as an error message (the work unchanged).
    fn parse_or_say(&mut self, source: &LessonSource) -> Option<Lesson> {
        match source.parse() {
            Ok(lesson) => Some(lesson),
            Err(text) => {
                self.message = Some(super::Message {
                    kind: super::MessageKind::Error,
                    text,
                });
                None
            }
        }
    }

    /// Puts the files back as they were when the current step began.
    pub(super) fn reset_lesson_step(&mut self) {
        let Some(files) = self.lesson.as_ref().map(|l| l.progress.step_start.clone()) else {
            return;
        };
        self.record();
        self.keep_version();
        self.load(super::Saved {
            name: self.scenario_name.clone(),
            files,
            active: self.active,
        });
        self.regrade();
    }

    /// Grades the lesson's current step against the files, when the files are the
    /// lesson's (the learner may have opened something else meanwhile).
    pub(super) fn regrade(&mut self) {
        let files = &self.files;
        if let Some(run) = self.lesson.as_mut().filter(|l| l.scenario_name() == self.scenario_name) {
            run.grade(files);
        }
    }

    /// After a reload: the lesson this tab was on, with its saved progress (the files
    /// are the tab's work, restored before; a lesson that cannot be read says so).
    pub(super) fn restore_lesson(&mut self, source: LessonSource) {
        let Some(lesson) = self.parse_or_say(&source) else {
            return;
        };
        let saved = storage::load_lesson_progress(&source.key(&lesson));
        let run = LessonRun::new(source, lesson, saved);
        if run.scenario_name() == self.scenario_name {
            self.view = super::View::Lessons;
        }
        self.lesson = Some(run);
        self.regrade();
    }
}

/// The lesson a link's fragment names (`#lesson=ID` for a built-in lesson, or
/// `#lesson=CODE` with a lesson file packed like a share link).
pub fn source_from_link(value: &str) -> Result<LessonSource, String> {
    let at_hand = builtin::lessons();
    if at_hand
        .as_ref()
        .is_some_and(|files| builtin_lesson(files, value).is_some())
    {
        return Ok(LessonSource::Builtin(value.to_string()));
    }
    let files = netplay_core::export::decode_share(value).map_err(|e| match at_hand {
        Some(_) => format!("The lesson link could not be opened: {e}."),
        // It may name a built-in lesson: say why those are missing.
        None => format!("The lesson link could not be opened: {}.", builtin::lessons_missing()),
    })?;
    files
        .into_iter()
        .find(|f| f.name.ends_with(".md"))
        .map(|f| LessonSource::File {
            name: f.name,
            text: f.text,
        })
        .ok_or_else(|| "The lesson link holds no lesson file (.md).".to_string())
}

/// The fragment value of a link to a lesson (see [`source_from_link`]).
pub fn link_value(source: &LessonSource) -> String {
    match source {
        LessonSource::Builtin(id) => id.clone(),
        LessonSource::File { name, text } => {
            netplay_core::export::encode_share(&[netplay_core::SourceFile::new(name.clone(), text.clone())])
        }
    }
}

/// A built-in lesson as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogueEntry {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub level: String,
    pub steps: usize,
    /// Steps completed so far (saved progress), if the learner has started it.
    pub completed: Option<usize>,
}

/// A built-in lesson by id among the fetched files.
fn builtin_lesson(files: &builtin::Lessons, id: &str) -> Option<Lesson> {
    lessons::find(files.iter().map(|(name, text)| (name.as_str(), text.as_str())), id)
}

/// The built-in lessons (`files`, in teaching order), with the learner's saved progress.
pub fn catalogue(files: &builtin::Lessons) -> Vec<CatalogueEntry> {
    files
        .iter()
        .filter_map(|(name, text)| lessons::parse(name, text).0)
        .map(|l| {
            let key = LessonSource::Builtin(l.id.clone()).key(&l);
            let completed =
                storage::load_lesson_progress::<Progress>(&key).map(|p| p.done.iter().filter(|d| **d).count());
            CatalogueEntry {
                id: l.id,
                title: l.title,
                summary: l.summary,
                level: l.level,
                steps: l.steps.len(),
                completed,
            }
        })
        .collect()
}

/// The work's name for a lesson: `lesson: <id>`.
pub fn scenario_name(lesson: &Lesson) -> String {
    format!("lesson: {}", lesson.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str) -> LessonRun {
        let source = LessonSource::Builtin(id.into());
        let lesson = source.parse().expect("a built-in lesson");
        let mut run = LessonRun::new(source, lesson, None);
        let files = run.progress.files.clone();
        run.grade(&files);
        run
    }

    fn files(lesson: &Lesson, step: usize) -> Vec<File> {
        lesson
            .solution_files(step)
            .into_iter()
            .map(|f| File::new(f.name, f.text))
            .collect()
    }

    #[test]
    fn a_lesson_starts_failing_and_the_reference_solution_moves_it_to_the_end() {
        let mut run = run("allow-from-one-namespace");
        assert!(!run.passed(), "the start fails a check of step 1");
        assert!(
            !run.advance(&run.progress.files.clone()),
            "no moving on while a check fails"
        );
        for step in 0..run.lesson.steps.len() {
            let solved = files(&run.lesson.clone(), step);
            run.grade(&solved);
            assert!(run.passed(), "step {step}: {}", run.report.to_text(false));
            assert!(run.advance(&solved));
            assert_eq!(
                run.progress.step_start, solved,
                "the next step starts from the learner's files"
            );
        }
        assert!(run.finished());
        assert!(run.progress.done.iter().all(|d| *d));
        assert!(run.report.results.is_empty());
    }

    #[test]
    fn hints_are_revealed_one_at_a_time_up_to_the_last() {
        let mut run = run("allow-from-one-namespace");
        let hints = run.lesson.steps[0].hints.len();
        assert!(hints >= 2);
        for shown in 1..=hints {
            assert!(run.reveal_hint());
            assert_eq!(run.progress.hints[0], shown);
        }
        assert!(!run.reveal_hint(), "no hint past the last");
    }

    #[test]
    fn saved_progress_out_of_range_is_clamped_and_bad_lesson_files_are_errors() {
        let source = LessonSource::Builtin("allow-from-one-namespace".into());
        let lesson = source.parse().expect("a built-in lesson");
        let steps = lesson.steps.len();
        let run = LessonRun::new(
            source,
            lesson,
            Some(Progress {
                step: 99,
                ..Progress::default()
            }),
        );
        assert_eq!(run.progress.step, steps);
        assert_eq!(run.progress.hints.len(), steps);
        let bad = LessonSource::File {
            name: "mine.md".into(),
            text: "no front matter".into(),
        };
        let err = bad.parse().expect_err("not a lesson");
        assert!(err.contains("mine.md"), "{err}");
        assert!(LessonSource::Builtin("nope".into()).parse().is_err());
    }
}
