//! Lessons: exercises that grade themselves (docs/lessons.md).
//!
//! A lesson is one markdown file a teacher writes without reading Rust: YAML front matter
//! (`title`, `summary`, `level`, `tags`), an introduction with the starting manifests in
//! fenced blocks marked `start`, then one `## ` section per step with its task text,
//! `hint` blocks revealed one by one, `check` blocks of assertions (docs/assertions.md)
//! that decide when the step is done, and optional `solution` blocks (the reference
//! solution: the full text of the files the step changes).
//!
//! - [`parse`] reads a lesson file into a [`Lesson`] with diagnostics at the lesson's lines
//!   (NP6101–NP6103, NP6002, and NP0001/NP6001 inside its blocks);
//! - [`Lesson::grade`] runs a step's checks against a learner's files;
//! - [`Lesson::verify`] is the self-test every lesson must pass: its start fails a check of
//!   step 1 and each step's reference solution passes that step;
//! - [`builtin`] lists the lessons compiled into netplay (crates/core/lessons/).

mod builtin;
mod parse;

pub use builtin::{builtin, builtin_lesson, find, BuiltinLesson};
pub use parse::parse;

use crate::assertions::{self, Report, Suite};
use crate::parse::SourceFile;

/// A parsed lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// The file name without directories, `.md` and a leading `NN-` (`default-deny-dns`).
    pub id: String,
    /// The lesson file's name as given to [`parse`].
    pub file: String,
    pub title: String,
    pub summary: String,
    /// `beginner`, `intermediate` or `advanced`; empty when not given.
    pub level: String,
    pub tags: Vec<String>,
    /// Markdown shown before the first step (the `start` blocks taken out).
    pub intro: String,
    /// The files the learner starts with.
    pub start: Vec<SourceFile>,
    pub steps: Vec<Step>,
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    /// The task, in markdown (hints, checks and solutions taken out).
    pub text: String,
    /// Revealed one at a time, in this order.
    pub hints: Vec<String>,
    /// The assertions that decide "done"; the suite is named after the step.
    pub checks: Suite,
    /// The reference solution: the files this step changes or adds, in full.
    pub solution: Vec<SourceFile>,
    /// 1-based line of the step's heading in the lesson file.
    pub line: u32,
}

/// The verdict of [`Lesson::verify`] for one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepVerification {
    pub step: usize,
    pub title: String,
    /// The step's heading in the lesson file.
    pub loc: crate::diagnostics::Location,
    /// For step 1: the checks run on the starting files (at least one must fail).
    pub start: Option<Report>,
    /// The checks run on the reference solution up to this step (all must pass); `None`
    /// when the step has no solution.
    pub solution: Option<Report>,
}

impl StepVerification {
    /// Whether the step is as a lesson's step must be.
    pub fn ok(&self) -> bool {
        self.start.as_ref().is_none_or(|r| r.failed() > 0) && self.solution.as_ref().is_some_and(|r| r.failed() == 0)
    }
}

impl Lesson {
    /// `files` with `changes` applied: a file of `changes` replaces the file of `files`
    /// with the same base name (`dir/policy.yaml` replaces `policy.yaml`), or is added.
    pub fn overlay(files: &[SourceFile], changes: &[SourceFile]) -> Vec<SourceFile> {
        let base = |n: &str| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string();
        let mut out = files.to_vec();
        for c in changes {
            match out.iter_mut().find(|f| base(&f.name) == base(&c.name)) {
                Some(f) => *f = c.clone(),
                None => out.push(c.clone()),
            }
        }
        out
    }

    /// The files of the reference solution after step `step` (0-based): the start with
    /// every solution up to that step applied.
    pub fn solution_files(&self, step: usize) -> Vec<SourceFile> {
        self.steps
            .iter()
            .take(step + 1)
            .fold(self.start.clone(), |files, s| Lesson::overlay(&files, &s.solution))
    }

    /// Runs the checks of step `step` (0-based) against `files`. An out-of-range step
    /// gives an empty report.
    pub fn grade(&self, step: usize, files: &[SourceFile]) -> Report {
        let Some(s) = self.steps.get(step) else {
            return Report::default();
        };
        let scenario = crate::load(files);
        assertions::run(&scenario, std::slice::from_ref(&s.checks))
    }

    /// The lesson's self-test: the start fails at least one check of step 1, and each
    /// step's reference solution passes every check of that step.
    pub fn verify(&self) -> Verification {
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepVerification {
                step: i + 1,
                title: s.title.clone(),
                loc: crate::diagnostics::Location::new(&self.file, s.line, 1),
                start: (i == 0).then(|| self.grade(0, &self.start)),
                solution: (!s.solution.is_empty()).then(|| self.grade(i, &self.solution_files(i))),
            })
            .collect();
        Verification { steps }
    }
}

/// The outcome of [`Lesson::verify`], with its printed forms.
#[derive(Clone, Debug, PartialEq)]
pub struct Verification {
    pub steps: Vec<StepVerification>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(StepVerification::ok)
    }

    /// One line per requirement, then the failures of what went wrong.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let mut problems = 0;
        for s in &self.steps {
            let _ = writeln!(out, "step {}: {}", s.step, s.title);
            if let Some(start) = &s.start {
                let ok = start.failed() > 0;
                problems += usize::from(!ok);
                let _ = writeln!(
                    out,
                    "  {}  the start fails {} of {} checks (at least one must fail)",
                    if ok { "ok  " } else { "FAIL" },
                    start.failed(),
                    start.results.len()
                );
            }
            match &s.solution {
                Some(r) => {
                    let ok = r.failed() == 0;
                    problems += usize::from(!ok);
                    let _ = writeln!(
                        out,
                        "  {}  the reference solution passes {} of {} checks",
                        if ok { "ok  " } else { "FAIL" },
                        r.passed(),
                        r.results.len()
                    );
                    if !ok {
                        for line in r.to_text(false).lines() {
                            let _ = writeln!(out, "        {line}");
                        }
                    }
                }
                None => {
                    problems += 1;
                    let _ = writeln!(out, "  FAIL  no reference solution: the step cannot be verified");
                }
            }
        }
        let plural = if self.steps.len() == 1 { "" } else { "s" };
        let _ = writeln!(out, "{} step{plural} verified, {problems} problems", self.steps.len());
        out
    }

    /// The verification as test results (for JUnit): per step, one result for the start
    /// (step 1) and one per check of the reference solution.
    pub fn to_report(&self) -> Report {
        let mut results = Vec::new();
        for s in &self.steps {
            if let Some(start) = &s.start {
                results.push(assertions::AssertionResult {
                    suite: s.title.clone(),
                    name: "the starting files fail at least one check".to_string(),
                    loc: s.loc.clone(),
                    passed: start.failed() > 0,
                    expected: "at least one failing check".to_string(),
                    actual: format!("{} of {} checks fail", start.failed(), start.results.len()),
                    explanation: String::new(),
                    decided_at: None,
                });
            }
            if let Some(r) = &s.solution {
                results.extend(r.results.iter().cloned().map(|mut x| {
                    x.name = format!("reference solution: {}", x.name);
                    x
                }));
            }
        }
        Report { results }
    }
}
