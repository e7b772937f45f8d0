//! What each fuzz target does with its input. The targets in `fuzz_targets/` are one line
//! each; the functions live here so that the normal test suite (on stable Rust) replays the
//! corpora and every crash ever found through exactly the same code
//! (`crates/core/tests/fuzz_replay.rs` includes this file).
//!
//! Every function takes arbitrary bytes, must never panic, and checks a few properties that
//! hold for every input (round trips, determinism, documented diagnostic codes): a failed
//! check is a panic too, which libFuzzer reports as a crash.
//!
//! Inputs that hold several files mark each with a line `#file: NAME` (a YAML comment, so
//! a seed stays a valid manifest); text before the first marker is a file `input.yaml`.

use netplay_core::diagnostics::{Diagnostic, CODES};
use netplay_core::export;
use netplay_core::mesh::Request;
use netplay_core::netpol::explain::Target;
use netplay_core::output::{render_connlist, Format};
use netplay_core::{assertions, lessons};
use netplay_core::{
    load, load_cached, load_with_assertions, parse::ParseCache, parse_probe, Protocol, Scenario, SourceFile,
};

/// The line that starts a new file in a fuzz input.
pub const FILE_MARKER: &str = "#file: ";

/// Splits a fuzz input into files at `#file: NAME` lines (invalid UTF-8 is replaced, as the
/// CLI does for files that are not UTF-8).
pub fn files_from_bytes(data: &[u8]) -> Vec<SourceFile> {
    let text = String::from_utf8_lossy(data);
    let mut files = Vec::new();
    let mut name = "input.yaml".to_string();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(FILE_MARKER) {
            if !current.is_empty() || name != "input.yaml" {
                files.push(SourceFile::new(name, std::mem::take(&mut current)));
            }
            name = rest.trim().to_string();
        } else {
            current.push_str(line);
        }
    }
    files.push(SourceFile::new(name, current));
    files
}

/// The inverse of [`files_from_bytes`], for writing seeds.
pub fn bytes_from_files(files: &[SourceFile]) -> Vec<u8> {
    let mut out = String::new();
    for f in files {
        out.push_str(FILE_MARKER);
        out.push_str(&f.name);
        out.push('\n');
        out.push_str(&f.text);
        if !f.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out.into_bytes()
}

fn assert_documented(diags: &[Diagnostic]) {
    for d in diags {
        assert!(
            CODES.iter().any(|(code, _, _)| *code == d.code),
            "diagnostic code {} is not in diagnostics::CODES: {d:?}",
            d.code
        );
    }
}

/// Everything the CLI and the playground ask of a loaded scenario.
fn exercise(scenario: &Scenario) {
    let lines = scenario.connlist();
    for format in [Format::Txt, Format::Json, Format::Csv, Format::Md, Format::Dot] {
        let _ = render_connlist(&lines, format);
    }
    assert_documented(&scenario.analyze());
    // Explanations between the first workloads, and towards an address, with and without a
    // probe.
    let workloads = scenario.cluster.workloads.len().min(3);
    let mut targets: Vec<Target> = (0..workloads).map(Target::Workload).collect();
    targets.push(Target::Ip("10.1.2.3".parse().expect("a valid address literal")));
    for &src in &targets {
        for &dst in &targets {
            let _ = scenario.explain(src, dst, None).to_text();
            let _ = scenario.explain(src, dst, Some((Protocol::Tcp, 80))).to_text();
        }
    }
    if let Some(w) = scenario.cluster.workloads.first() {
        let _ = scenario.connlist_focused(&w.endpoint_name());
        let _ = scenario.target(&w.name);
    }
    let _ = scenario.plan().to_text();
    if let Some(multi) = &scenario.multicluster {
        let _ = multi.analyze();
        let _ = multi.links();
    }
}

/// Target `scenario`: files → `load` → connlist in every format, analyze, explain, plan.
/// Also: loading is deterministic, and [`load_cached`] with a cache warmed by the same
/// files gives what [`load`] gives.
pub fn scenario(data: &[u8]) {
    let files = files_from_bytes(data);
    let scenario = load(&files);
    assert_documented(&scenario.diagnostics);
    exercise(&scenario);

    let mut cache = ParseCache::default();
    let _ = load_cached(&files, &mut cache);
    let cached = load_cached(&files, &mut cache);
    assert_eq!(scenario.connlist(), cached.connlist(), "load_cached differs from load");
    assert_eq!(
        scenario.diagnostics, cached.diagnostics,
        "load_cached differs from load"
    );
}

/// Target `mesh_request`: the first line is a request as `netplay mesh request` takes it
/// (`--from SRC [-X METHOD] [-H 'name: value']... URL`), the rest are the files. The
/// request goes through `Scenario::mesh_request`; a traced outcome serializes, its
/// shares are between 0 and 1.
pub fn mesh_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (line, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let scenario = load(&files_from_bytes(rest.as_bytes()));
    let Ok(request) = Request::parse_line(line) else {
        return;
    };
    if let Ok(outcome) = scenario.mesh_request(&request) {
        let json = serde_json::to_value(&outcome).expect("an outcome serializes");
        let shares = json["destinations"].as_array().into_iter().flatten();
        for share in shares.filter_map(|d| d["share"].as_f64()) {
            assert!(
                (0.0..=1.0 + 1e-9).contains(&share),
                "share {share} out of range: {json}"
            );
        }
    }
    // The sample requests the playground's split view sends, for the first host named.
    if let Some(host) = line.split("://").nth(1).and_then(|h| h.split([':', '/']).next()) {
        let _ = scenario.mesh_split(host, None);
    }
}

/// Target `share_link`: any text through `decode_share`; what decodes re-encodes to a
/// link that decodes to the same files, and loads.
pub fn share_link(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(files) = export::decode_share(&text) {
        let again = export::decode_share(&export::encode_share(&files)).expect("a link we wrote decodes");
        assert_eq!(files, again, "share link round trip changed the files");
        let _ = load(&files).connlist();
    }
    // And any files survive the trip.
    let files = files_from_bytes(data);
    let link = export::encode_share(&files);
    if (link.len() as u64) <= export::MAX_SHARE_LEN {
        assert_eq!(
            export::decode_share(&link).ok(),
            Some(files),
            "share link round trip failed"
        );
    }
}

/// Target `bundle`: any bytes through `read_bundle`; what reads is written again and reads
/// back to the same files. Also the input as files: whatever `bundle` writes,
/// `read_bundle` reads back exactly.
pub fn bundle(data: &[u8]) {
    if let Ok(read) = export::read_bundle(data) {
        if let Ok(bytes) = export::bundle(&read.scenario, &read.files) {
            let again = export::read_bundle(&bytes).expect("a bundle we wrote reads back");
            assert_eq!(
                sorted(read.files),
                sorted(again.files),
                "bundle round trip changed the files"
            );
        }
    }
    let files = files_from_bytes(data);
    if let Ok(bytes) = export::bundle("fuzz", &files) {
        let read = export::read_bundle(&bytes).expect("a bundle we wrote reads back");
        let sanitized: Vec<SourceFile> = files
            .iter()
            .map(|f| {
                SourceFile::new(
                    export::sanitize_path(&f.name).expect("bundle sanitised it"),
                    f.text.clone(),
                )
            })
            .collect();
        assert_eq!(
            sorted(sanitized),
            sorted(read.files),
            "bundle round trip changed the files"
        );
    }
}

fn sorted(mut files: Vec<SourceFile>) -> Vec<SourceFile> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// Target `address_plan`: files (AddressPlans, CNI configuration objects, Services) →
/// `Scenario::plan` and its text, every generated configuration file, and the probes the
/// CLI parses.
pub fn address_plan(data: &[u8]) {
    let scenario = load(&files_from_bytes(data));
    let outcome = scenario.plan();
    assert_documented(&outcome.diagnostics);
    let _ = outcome.to_text();
    for plan in &scenario.cluster.cni.plans {
        for file in netplay_core::cni::generate::generate(plan) {
            let _ = netplay_core::cni::generate::sysctls(&file.text);
        }
    }
    let text = String::from_utf8_lossy(data);
    if let Some(first) = text.lines().next() {
        let _ = parse_probe(first);
    }
}

/// The line numbers a diagnostic about `file` (of `text`) may carry: 1 to one past its last
/// line (the end of the file, for "missing" errors).
fn assert_lines_within(diags: &[Diagnostic], file: &str, text: &str) {
    let last = text.lines().count() as u32 + 1;
    for d in diags.iter().filter(|d| d.file.as_deref() == Some(file)) {
        let line = d.line.unwrap_or(1);
        assert!(
            (1..=last).contains(&line),
            "diagnostic at line {line} of {file}, which has {} lines: {d:?}",
            last - 1
        );
    }
}

/// Target `assertions`: files holding `Assertions` documents (docs/assertions.md) and the
/// manifests they test → `load_with_assertions` → `assertions::run` and the report in
/// every printed form. One result per assertion read, in order; the JSON is JSON. The
/// first file is also read as a lesson's check block (`assertions::read_list`).
pub fn assertions(data: &[u8]) {
    let files = files_from_bytes(data);
    let (scenario, suites) = load_with_assertions(&files);
    assert_documented(&scenario.diagnostics);
    let report = assertions::run(&scenario, &suites);
    let written: usize = suites.iter().map(|s| s.assertions.len()).sum();
    assert_eq!(report.results.len(), written, "one result per assertion");
    let _ = report.to_text(true);
    let _ = report.to_junit("fuzz");
    let json = report.to_json();
    serde_json::from_str::<serde_json::Value>(&json).expect("the JSON report is JSON");
    serde_json::from_str::<serde_json::Value>(&report.to_sarif()).expect("the SARIF report is JSON");

    if let Some(first) = files.first() {
        let (suite, diags) = assertions::read_list(&first.name, 0, &first.text, "check");
        assert_documented(&diags);
        assert_lines_within(&diags, &first.name, &first.text);
        if let Some(suite) = suite {
            let report = assertions::run(&scenario, std::slice::from_ref(&suite));
            assert_eq!(report.results.len(), suite.assertions.len(), "one result per assertion");
        }
    }
}

/// Target `lesson`: text read as a lesson (docs/lessons.md: front matter, `## ` steps,
/// `start`/`check`/`hint`/`solution` blocks) → `lessons::parse`; every diagnostic is
/// documented and at a line of the lesson; a lesson that reads is verified (its start and
/// reference solutions graded) and printed, and every step grades the starting files.
pub fn lesson(data: &[u8]) {
    const FILE: &str = "fuzz.md";
    let text = String::from_utf8_lossy(data);
    let (lesson, diags) = lessons::parse(FILE, &text);
    assert_documented(&diags);
    assert_lines_within(&diags, FILE, text.strip_prefix('\u{feff}').unwrap_or(&text));
    let Some(lesson) = lesson else {
        return;
    };
    assert!(!lesson.steps.is_empty(), "a lesson that reads has a step");
    let verification = lesson.verify();
    let _ = verification.to_text();
    let _ = verification.to_report().to_junit(&lesson.id);
    for step in 0..lesson.steps.len() {
        let report = lesson.grade(step, &lesson.start);
        assert_eq!(
            report.results.len(),
            lesson.steps[step].checks.assertions.len(),
            "one result per check"
        );
    }
}
