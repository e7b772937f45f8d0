//! `netplay test`: runs the `Assertions` documents found among the inputs
//! (docs/assertions.md) with core's `assertions::run` and prints core's report.

use clap::ValueEnum;
use netplay_core::{assertions, Diagnostic, Severity};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum TestFormat {
    Txt,
    Json,
    Junit,
    Sarif,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Assertion files and the manifests to test, files or directories (read
    /// recursively); `kind: Assertions` documents are picked up wherever they are.
    #[arg(required_unless_present = "filename", value_name = "PATHS")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    filenames: crate::Filenames,
    #[command(flatten)]
    output: crate::Output<TestFormat>,
}

/// Reading problems that make a run untrustworthy: a document that could not be parsed
/// at all (it may have held assertions or the policy they test), or an assertion that
/// could not be read.
fn unreadable(d: &Diagnostic) -> bool {
    d.severity == Severity::Error && matches!(d.code, "NP0001" | "NP0004" | "NP6001")
}

/// Exit 0 when every assertion holds, 1 when one fails, 2 when a path, a document or an
/// assertion could not be read, or the input has no assertions at all.
pub fn run(args: TestArgs) -> Result<u8, String> {
    let paths = args.filenames.after(args.paths);
    let input = crate::input::read_paths(&paths);
    for p in &input.problems {
        eprintln!("netplay: {p}");
    }
    if input.files.is_empty() {
        return Err("no input could be read".to_string());
    }
    let (scenario, suites) = netplay_core::load_with_assertions(&input.files);
    crate::report_load_diagnostics(&scenario.diagnostics);
    if suites.iter().all(|s| s.assertions.is_empty()) {
        let unread = scenario.diagnostics.iter().any(|d| d.code == "NP6001");
        return Err(if unread {
            "no assertion could be read (see above)".to_string()
        } else {
            "the input has no assertions (apiVersion: netplay.dev/v1alpha1, kind: Assertions); see docs/assertions.md"
                .to_string()
        });
    }
    let report = assertions::run(&scenario, &suites);
    // `-v` (the global verbosity) also lists the assertions that pass.
    let list_passed = crate::verbose::level() >= 1;
    crate::print(&match args.output.format {
        TestFormat::Txt => report.to_text(list_passed),
        TestFormat::Json => report.to_json(),
        TestFormat::Junit => report.to_junit("netplay test"),
        TestFormat::Sarif => report.to_sarif(),
    });
    let broken = !input.problems.is_empty() || scenario.diagnostics.iter().any(unreadable);
    if broken {
        eprintln!("netplay: some input could not be read (see above): the results may be incomplete");
        return Ok(2);
    }
    Ok(u8::from(report.failed() > 0))
}
