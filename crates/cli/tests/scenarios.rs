//! Runs every scenario under `tests/scenarios/<name>/`: `netplay connlist <dir>` must
//! print exactly `connlist.txt`, and when `diagnostics.txt` exists, `netplay analyze`
//! must report exactly those diagnostics (`severity CODE file:line`, sorted, file
//! relative to the scenario), and when `exposure.txt` exists, the `Exposure:` section of
//! `netplay connlist --exposure` must hold exactly its lines (the `  #` explanations
//! aside). Each scenario's README says what it demonstrates.
//!
//! `NETPLAY_BLESS=1` rewrites the expected files from the current output — only after
//! checking by hand that the new output is right.

mod common;

use common::{compare_with_file, subdirectories};
use std::path::Path;

/// `(stdout, stderr, exit code)` of `netplay ARGS`.
fn netplay(args: &[&str]) -> (String, String, i32) {
    let run = common::netplay(args);
    (run.stdout, run.stderr, run.code)
}

fn diagnostics_lines(dir: &Path) -> String {
    let dir_str = dir.to_str().expect("utf-8 path");
    let (stdout, stderr, code) = netplay(&["analyze", "--format", "json", dir_str]);
    assert!(code == 0 || code == 1, "analyze exited {code}: {stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("analyze --format json prints JSON");
    let prefix = format!("{dir_str}/");
    let mut lines: Vec<String> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap_or("-");
            format!(
                "{} {} {}:{}",
                d["severity"].as_str().unwrap_or("?"),
                d["code"].as_str().unwrap_or("?"),
                file.strip_prefix(&prefix).unwrap_or(file),
                d["line"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn every_scenario_prints_its_expected_output() {
    let dirs = subdirectories("tests/scenarios");
    assert!(
        dirs.len() >= 30,
        "expected the scenario library, found {} scenarios",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let expected = dir.join("connlist.txt");
        assert!(expected.exists(), "scenario {name} has no connlist.txt");
        assert!(dir.join("README.md").exists(), "scenario {name} has no README.md");
        let (stdout, stderr, code) = netplay(&["connlist", dir.to_str().expect("utf-8 path")]);
        assert_eq!(code, 0, "connlist on {name} exited {code}: {stderr}");
        compare_with_file(&format!("scenario {name}: connlist"), &expected, &stdout, &mut failures);
        let exposure = dir.join("exposure.txt");
        if exposure.exists() {
            let (stdout, stderr, code) = netplay(&["connlist", "--exposure", dir.to_str().expect("utf-8 path")]);
            assert_eq!(code, 0, "connlist --exposure on {name} exited {code}: {stderr}");
            let lines: String = stdout
                .split_once("Exposure:\n")
                .map(|(_, section)| section)
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.starts_with("  #"))
                .map(|l| format!("{l}\n"))
                .collect();
            compare_with_file(&format!("scenario {name}: exposure"), &exposure, &lines, &mut failures);
        }
        let diags = dir.join("diagnostics.txt");
        if diags.exists() {
            compare_with_file(
                &format!("scenario {name}: diagnostics"),
                &diags,
                &diagnostics_lines(dir),
                &mut failures,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} scenario(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
