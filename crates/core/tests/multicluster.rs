//! The multi-cluster scenarios, tests/multicluster/<name>/: the manifests (any `.yaml`
//! below the directory, named by their path inside it, so that a `Cluster` document in a
//! subdirectory owns the files beside and below it), a `README.md` saying what the case
//! shows and why, and:
//!
//! - `expected.txt`: blocks of `> FROM NAME [--fail X]...` followed by what
//!   `MultiScenario::resolve` must answer: `mechanism M`, `dns RECORD`, then one line
//!   `cluster/workload share` per endpoint that gets traffic (share rounded to 3 places);
//! - `diagnostics.txt`: every diagnostic `netplay analyze` reports, one `CODE resource`
//!   per line (sorted), so a missing or an extra finding both fail.
//!
//! The expectations are written by hand from the rules in docs/multi-cluster-setup.md;
//! they are the specification, so there is no bless mode.

use netplay_core::multicluster::MultiScenario;
use netplay_core::{load, Scenario, SourceFile};
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/multicluster")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/multicluster exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

pub fn load_dir(dir: &Path) -> Scenario {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|p| {
            let name = p
                .strip_prefix(dir)
                .expect("below the case")
                .to_string_lossy()
                .replace('\\', "/");
            SourceFile::new(name, std::fs::read_to_string(p).expect("readable manifest"))
        })
        .collect();
    load(&sources)
}

fn multi(scenario: &Scenario, case: &str) -> MultiScenario {
    *scenario
        .multicluster
        .clone()
        .unwrap_or_else(|| panic!("{case}: the input is not read as multi-cluster"))
}

/// The text `expected.txt` holds for one query.
fn describe(m: &MultiScenario, query: &str) -> String {
    let words: Vec<&str> = query.split_whitespace().collect();
    let (from, name) = (words[0], words[1]);
    let mut failed = Vec::new();
    let mut rest = words[2..].iter();
    while let Some(w) = rest.next() {
        assert_eq!(*w, "--fail", "query {query:?}: only --fail X may follow the name");
        failed.push(rest.next().expect("--fail needs a value").to_string());
    }
    let r = match m.resolve(from, name, &failed) {
        Ok(r) => r,
        Err(e) => return format!("> {query}\nerror {e}\n"),
    };
    let mut out = format!("> {query}\nmechanism {}\ndns {}\n", r.mechanism.as_str(), r.dns.record);
    for e in r.endpoints.iter().filter(|e| e.share > 0.0) {
        out.push_str(&format!("{}/{} {:.3}\n", e.cluster, e.workload, e.share));
    }
    out
}

#[test]
fn every_case_resolves_as_expected() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in case_dirs() {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let Ok(expected) = std::fs::read_to_string(dir.join("expected.txt")) else {
            continue;
        };
        assert!(
            dir.join("README.md").exists(),
            "{case}: README.md says what the case shows"
        );
        let scenario = load_dir(&dir);
        let m = multi(&scenario, &case);
        let blocks: Vec<&str> = expected.split("\n> ").collect();
        for (i, block) in blocks.iter().enumerate() {
            let block = if i == 0 { block.trim_start_matches("> ") } else { block };
            let query = block.lines().next().unwrap_or_default();
            let want = format!("> {}\n", block.trim_end());
            let got = describe(&m, query);
            count += 1;
            if got != want {
                failures.push(format!("{case}:\n--- expected\n{want}--- got\n{got}"));
            }
        }
    }
    assert!(count >= 10, "only {count} queries found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_reports_exactly_its_diagnostics() {
    let mut failures = Vec::new();
    for dir in case_dirs() {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected = std::fs::read_to_string(dir.join("diagnostics.txt"))
            .unwrap_or_else(|_| panic!("{case}: diagnostics.txt lists what analyze reports"));
        let mut want: Vec<String> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        want.sort();
        let mut got: Vec<String> = load_dir(&dir)
            .analyze()
            .iter()
            .map(|d| format!("{} {}", d.code, d.resource.clone().unwrap_or_default()))
            .collect();
        got.sort();
        if got != want {
            failures.push(format!("{case}: expected {want:#?}\n got {got:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn single_cluster_inputs_stay_single_cluster() {
    let scenario = load(&[SourceFile::new(
        "app.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {selector: {app: a}, ports: [{port: 80}]}\n",
    )]);
    assert!(scenario.multicluster.is_none());
}

#[test]
fn malformed_cluster_documents_become_diagnostics() {
    let text = "apiVersion: netplay.dev/v1alpha1\nkind: Cluster\nmetadata: {name: east}\nspec: {region: [1, 2], regoin: x}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  annotations: {netplay.dev/cluster: nowhere}\n";
    let scenario = load(&[SourceFile::new("c.yaml", text)]);
    let codes: Vec<&str> = scenario.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"NP0002"), "{codes:?}");
    assert!(codes.contains(&"NP5001"), "{codes:?}");
    let m = scenario.multicluster.expect("multi-cluster");
    assert_eq!(
        m.clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["east", "nowhere"]
    );
    assert!(
        m.resolve("east", "a", &[]).is_err(),
        "a --from without a workload is an error, not a panic"
    );
    assert!(m.resolve("mars/default/x", "a", &[]).is_err());
}
