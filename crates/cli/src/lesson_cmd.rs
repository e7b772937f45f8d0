//! `netplay lesson`: the built-in lessons, and grading a learner's files offline with the
//! same checks as the playground (core's `lessons` module; docs/lessons.md).

use clap::{Subcommand, ValueEnum};
use netplay_core::lessons::{self, Lesson};
use netplay_core::{Diagnostic, Severity, SourceFile};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
pub enum LessonFormat {
    Txt,
    Json,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Txt,
    Json,
}

#[derive(Subcommand)]
pub enum LessonCommand {
    /// The built-in lessons, one per line: id and title.
    List {
        /// Output format (`json`: a list of {id, title}).
        #[arg(
            long = "output",
            short = 'o',
            visible_alias = "format",
            value_enum,
            default_value = "txt"
        )]
        format: ListFormat,
    },
    /// Grade a learner's files against a lesson (`--solution DIR`), or, without it, check
    /// the lesson itself: its start fails a check of step 1 and each step's reference
    /// solution passes that step. Exit 1 when a check fails, 2 when the lesson or the
    /// files cannot be read.
    Check {
        /// A built-in lesson's id (`netplay lesson list`) or a lesson file (`.md`).
        lesson: String,
        /// The learner's files (a directory or files): they replace the lesson's
        /// starting files of the same name, or are added to them.
        #[arg(long, value_name = "DIR")]
        solution: Option<Vec<PathBuf>>,
        /// The step to grade (1-based); default: the last, whose checks describe the
        /// finished lesson.
        #[arg(long)]
        step: Option<usize>,
        #[command(flatten)]
        output: crate::Output<LessonFormat>,
    },
}

pub fn run(command: LessonCommand) -> Result<u8, String> {
    match command {
        LessonCommand::List { format } => {
            let parsed: Vec<Lesson> = lessons::builtin()
                .iter()
                .filter_map(|b| lessons::parse(b.file, b.text).0)
                .collect();
            if let ListFormat::Json = format {
                let list: Vec<serde_json::Value> = parsed
                    .iter()
                    .map(|l| serde_json::json!({"id": l.id, "title": l.title}))
                    .collect();
                crate::print(&crate::pretty_json(&list));
                return Ok(0);
            }
            let width = parsed.iter().map(|l| l.id.len()).max().unwrap_or(0);
            let mut out = String::new();
            for l in &parsed {
                out.push_str(&format!("{:<width$}  {}\n", l.id, l.title));
            }
            crate::print(&out);
            Ok(0)
        }
        LessonCommand::Check {
            lesson,
            solution,
            step,
            output: crate::Output { format },
        } => check(&lesson, solution.as_deref(), step, format),
    }
}

/// Reads a lesson by id or path; its diagnostics go to stderr. `Err` when it is unusable.
fn load_lesson(name: &str) -> Result<(Lesson, Vec<Diagnostic>), String> {
    let path = Path::new(name);
    let (lesson, diags) = if path.is_file() {
        let text = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
        lessons::parse(name, &String::from_utf8_lossy(&text))
    } else if let Some(b) = lessons::builtin()
        .iter()
        .find(|b| lessons::parse(b.file, b.text).0.is_some_and(|l| l.id == name))
    {
        lessons::parse(b.file, b.text)
    } else {
        return Err(format!(
            "no lesson named {name:?}: give a lesson file, or an id from `netplay lesson list`"
        ));
    };
    crate::report_load_diagnostics(&diags);
    match lesson {
        Some(l) => Ok((l, diags)),
        None => Err(format!("{name}: not a usable lesson (see above; docs/lessons.md)")),
    }
}

fn check(name: &str, solution: Option<&[PathBuf]>, step: Option<usize>, format: LessonFormat) -> Result<u8, String> {
    let (lesson, diags) = load_lesson(name)?;
    let broken_lesson = diags.iter().any(|d| d.severity == Severity::Error);
    let Some(paths) = solution else {
        if step.is_some() {
            return Err("--step grades a learner's files: give them with --solution".to_string());
        }
        let verification = lesson.verify();
        crate::print(&match format {
            LessonFormat::Txt => format!(
                "lesson {}: {} ({})\n{}",
                lesson.id,
                lesson.title,
                lesson.file,
                verification.to_text()
            ),
            LessonFormat::Json => verification.to_report().to_json(),
            LessonFormat::Junit => verification.to_report().to_junit(&format!("lesson {}", lesson.id)),
        });
        return Ok(if broken_lesson { 2 } else { u8::from(!verification.ok()) });
    };
    let index = match step {
        None => lesson.steps.len().saturating_sub(1),
        Some(n) if (1..=lesson.steps.len()).contains(&n) => n - 1,
        Some(n) => {
            return Err(format!(
                "lesson {} has {} steps; --step {n} is not one of them",
                lesson.id,
                lesson.steps.len()
            ))
        }
    };
    let input = crate::input::read_paths(paths);
    for p in &input.problems {
        eprintln!("netplay: {p}");
    }
    if input.files.is_empty() {
        return Err("no file of the solution could be read".to_string());
    }
    let files: Vec<SourceFile> = Lesson::overlay(&lesson.start, &input.files);
    crate::report_load_diagnostics(&netplay_core::load(&files).diagnostics);
    let report = lesson.grade(index, &files);
    let title = &lesson.steps[index].title;
    crate::print(&match format {
        LessonFormat::Txt => format!(
            "lesson {}, step {} of {}: {title}\n{}",
            lesson.id,
            index + 1,
            lesson.steps.len(),
            report.to_text(true)
        ),
        LessonFormat::Json => report.to_json(),
        LessonFormat::Junit => report.to_junit(&format!("lesson {}", lesson.id)),
    });
    if broken_lesson || !input.problems.is_empty() {
        return Ok(2);
    }
    Ok(u8::from(report.failed() > 0))
}
