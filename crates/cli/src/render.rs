//! Human rendering of diagnostics: the offending line with a caret, like a compiler.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use netplay_core::{Diagnostic, Severity, SourceFile};
use std::collections::HashMap;

pub struct Renderer<'a> {
    files: SimpleFiles<&'a str, &'a str>,
    ids: HashMap<&'a str, usize>,
    texts: HashMap<&'a str, &'a str>,
}

impl<'a> Renderer<'a> {
    pub fn new(sources: &'a [SourceFile]) -> Self {
        let mut files = SimpleFiles::new();
        let mut ids = HashMap::new();
        let mut texts = HashMap::new();
        for f in sources {
            ids.insert(f.name.as_str(), files.add(f.name.as_str(), f.text.as_str()));
            texts.insert(f.name.as_str(), f.text.as_str());
        }
        Renderer { files, ids, texts }
    }

    /// Byte range of the diagnostic's line (from its column), if the file is known.
    fn span(&self, d: &Diagnostic) -> Option<(usize, std::ops::Range<usize>)> {
        let file = d.file.as_deref()?;
        let id = *self.ids.get(file)?;
        let text = self.texts.get(file)?;
        let line = d.line? as usize;
        let mut start = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let content = l.trim_end_matches(['\n', '\r']);
                let col = (d.column.unwrap_or(1) as usize).saturating_sub(1);
                let indent = content.len() - content.trim_start().len();
                let from = col.max(indent).min(content.len());
                let from = (0..=from).rev().find(|&i| content.is_char_boundary(i)).unwrap_or(0);
                let end = if from >= content.len() {
                    content.len()
                } else {
                    content.trim_end().len().max(from + 1)
                };
                let end = (end..=content.len())
                    .find(|&i| content.is_char_boundary(i))
                    .unwrap_or(content.len());
                return Some((id, start + from..start + end));
            }
            start += l.len();
        }
        None
    }

    pub fn render(&self, d: &Diagnostic) -> String {
        let severity = match d.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
            Severity::Info => ReportSeverity::Note,
        };
        let mut report = Report::new(severity).with_code(d.code).with_message(&d.message);
        let mut notes = Vec::new();
        if let Some(r) = &d.resource {
            notes.push(format!("in {r}"));
        }
        if let Some(h) = &d.help {
            notes.push(format!("help: {h}"));
        }
        match self.span(d) {
            Some((id, range)) => report = report.with_labels(vec![Label::primary(id, range)]),
            None => {
                if let (Some(f), Some(l)) = (&d.file, d.line) {
                    notes.insert(0, format!("at {f}:{l}"));
                }
            }
        }
        report = report.with_notes(notes);
        term::emit_into_string(&Config::default(), &self.files, &report).unwrap_or_else(|_| format!("{d}\n"))
    }
}

/// `2 errors, 1 warning, 3 notes`: the words the diagnostics above it use.
pub fn summary(diags: &[Diagnostic]) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{}, {}, {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "note")
    )
}

/// The summary of a report, with what was left out:
/// `0 errors, 1 warning, 0 notes (1 suppressed, 4 below the output threshold)`.
pub fn report_summary(report: &netplay_core::diagnostics::Report) -> String {
    let mut out = summary(&report.diagnostics);
    let mut left_out = Vec::new();
    if report.suppressed > 0 {
        left_out.push(format!("{} suppressed", report.suppressed));
    }
    if report.below_threshold > 0 {
        left_out.push(format!("{} below the output threshold", report.below_threshold));
    }
    if !left_out.is_empty() {
        out.push_str(&format!(" ({})", left_out.join(", ")));
    }
    out
}
