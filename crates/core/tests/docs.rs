//! docs/diagnostics.md and the diagnostics core emits cannot drift apart:
//! - the `### CODE` headings of the page are exactly the codes of `diagnostics::CODES`;
//! - each section states the severity `CODES` gives its code;
//! - every code in `CODES` is emitted somewhere in crates/core/src (besides the table
//!   itself), and every code the source emits is in `CODES`;
//! - the first YAML example of each section, loaded as one file, makes `analyze` report
//!   that code; a lesson code's section has a lesson instead (a ````markdown block), and
//!   reading it must report the code.

use netplay_core::diagnostics::CODES;
use netplay_core::{load, SourceFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn diagnostics_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/diagnostics.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Whether `word` has the shape of a diagnostic code: upper-case letters, then four
/// digits (`NP0001`, `IST0101`).
fn is_code(word: &str) -> bool {
    let letters = word.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = &word.as_bytes()[letters..];
    letters >= 2 && digits.len() == 4 && digits.iter().all(u8::is_ascii_digit)
}

/// One `### CODE — title` section of the page.
struct Section {
    code: String,
    body: String,
}

/// The sections whose heading starts with a code; a section ends at the next heading of
/// level 1 to 3.
fn sections(md: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    // The open fence's length: a ````markdown block holds ``` fences of its own.
    let mut fence: Option<usize> = None;
    for line in md.lines() {
        let ticks = line.bytes().take_while(|&b| b == b'`').count();
        if ticks >= 3 {
            match fence {
                None => fence = Some(ticks),
                Some(open) if ticks >= open && line[ticks..].trim().is_empty() => fence = None,
                Some(_) => {}
            }
        }
        let in_fence = fence.is_some() || ticks >= 3;
        let is_heading = !in_fence && (line.starts_with("# ") || line.starts_with("## ") || line.starts_with("### "));
        if is_heading {
            out.extend(current.take());
            if let Some(rest) = line.strip_prefix("### ") {
                let word = rest.split_whitespace().next().unwrap_or_default();
                if is_code(word) {
                    current = Some(Section {
                        code: word.to_string(),
                        body: String::new(),
                    });
                }
            }
            continue;
        }
        if let Some(s) = current.as_mut() {
            s.body.push_str(line);
            s.body.push('\n');
        }
    }
    out.extend(current);
    out
}

/// The first ```yaml block of a section.
fn first_yaml_block(body: &str) -> Option<String> {
    let mut lines = body.lines();
    lines.find(|l| l.trim_end() == "```yaml")?;
    let mut block = String::new();
    for line in lines {
        if line.starts_with("```") {
            return Some(block);
        }
        block.push_str(line);
        block.push('\n');
    }
    None
}

/// The first ````markdown block of a section: a whole lesson file.
fn first_lesson_block(body: &str) -> Option<String> {
    let mut lines = body.lines();
    lines.find(|l| l.trim_end() == "````markdown")?;
    let mut block = String::new();
    for line in lines {
        if line.trim_end() == "````" {
            return Some(block);
        }
        block.push_str(line);
        block.push('\n');
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of every source file of core except the diagnostics module, which holds the
/// table (and writes diagnostics it does not emit in its own tests).
fn core_source() -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no source files under {}", src.display());
    files
        .iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "diagnostics"))
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every code written between two double quotes in `source`, as in `"NP1001"`. Every
/// piece between two quotes is looked at (not only string literals), so escaped quotes
/// and `'"'` cannot hide one.
fn quoted_codes(source: &str) -> BTreeSet<String> {
    let pieces: Vec<&str> = source.split('"').collect();
    let between = pieces.len().saturating_sub(1);
    pieces[..between]
        .iter()
        .skip(1)
        .filter(|s| is_code(s))
        .map(|s| s.to_string())
        .collect()
}

fn table_codes() -> BTreeSet<String> {
    CODES.iter().map(|(c, _, _)| c.to_string()).collect()
}

#[test]
fn every_code_has_exactly_one_section_and_every_section_a_code() {
    let md = diagnostics_md();
    let sections = sections(&md);
    let mut seen = BTreeSet::new();
    for s in &sections {
        assert!(
            seen.insert(s.code.clone()),
            "docs/diagnostics.md has two sections for {}",
            s.code
        );
    }
    let table = table_codes();
    let undocumented: Vec<&String> = table.difference(&seen).collect();
    let unknown: Vec<&String> = seen.difference(&table).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "docs/diagnostics.md and diagnostics::CODES disagree\n  codes without a `### CODE` section: {undocumented:?}\n  sections for codes not in CODES: {unknown:?}"
    );
}

#[test]
fn every_section_states_the_severity_of_its_code() {
    let md = diagnostics_md();
    for s in sections(&md) {
        let Some(&(_, severity, _)) = CODES.iter().find(|(c, _, _)| *c == s.code) else {
            continue; // reported by the test above
        };
        let stated = s
            .body
            .lines()
            .find_map(|l| l.strip_prefix("**Severity:**"))
            .map(|rest| {
                rest.trim()
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .next()
                    .unwrap_or_default()
                    .to_string()
            });
        assert_eq!(
            stated.as_deref(),
            Some(severity.as_str()),
            "section {} must have a line `**Severity:** {}`",
            s.code,
            severity
        );
    }
}

#[test]
fn every_code_is_emitted_by_core_and_every_emitted_code_is_listed() {
    let source = core_source();
    let table = table_codes();
    let never_emitted: Vec<&String> = table
        .iter()
        .filter(|code| !source.contains(&format!("\"{code}\"")))
        .collect();
    assert!(
        never_emitted.is_empty(),
        "codes in diagnostics::CODES that no file of crates/core/src emits: {never_emitted:?}"
    );
    let emitted = quoted_codes(&source);
    let unlisted: Vec<&String> = emitted.difference(&table).collect();
    assert!(
        unlisted.is_empty(),
        "codes used in crates/core/src but missing from diagnostics::CODES: {unlisted:?}"
    );
}

#[test]
fn the_example_of_every_section_triggers_its_code() {
    let md = diagnostics_md();
    let mut failures = Vec::new();
    for s in sections(&md) {
        if let Some(lesson) = first_lesson_block(&s.body) {
            let (_, reported) = netplay_core::lessons::parse("example.md", &lesson);
            if !reported.iter().any(|d| d.code == s.code) {
                let got: Vec<String> = reported.iter().map(|d| d.to_string()).collect();
                failures.push(format!(
                    "{}: the lesson example does not report it; got {got:?}",
                    s.code
                ));
            }
            continue;
        }
        let Some(example) = first_yaml_block(&s.body) else {
            failures.push(format!("{}: no ```yaml example", s.code));
            continue;
        };
        let scenario = load(&[SourceFile::new("example.yaml", example)]);
        let reported = scenario.analyze();
        if !reported.iter().any(|d| d.code == s.code) {
            let got: Vec<String> = reported.iter().map(|d| d.to_string()).collect();
            failures.push(format!("{}: the example does not report it; got {got:?}", s.code));
        }
    }
    assert!(
        failures.is_empty(),
        "docs/diagnostics.md examples:\n{}",
        failures.join("\n")
    );
}

#[test]
fn helpers_find_codes_sections_and_examples() {
    assert!(is_code("NP0001") && is_code("IST0101"));
    assert!(!is_code("NP001") && !is_code("TCP") && !is_code("N0001") && !is_code("NP00012"));
    let md = "# T\n### NP0001 — a\n**Severity:** error.\n```yaml\na: 1\n### not a heading\n```\n## Next\n### Other\n";
    let found = sections(md);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, "NP0001");
    assert_eq!(
        first_yaml_block(&found[0].body).as_deref(),
        Some("a: 1\n### not a heading\n")
    );
    let codes = quoted_codes(r#"Diagnostic::new("NP0002", "x"); let s = "NP1001"; "TCP""#);
    assert_eq!(codes, BTreeSet::from(["NP0002".to_string(), "NP1001".to_string()]));
}
