//! `netplay analyze` as CI uses it, next to `istioctl analyze`: thresholds, suppressions
//! (flag and annotation), the mesh config, the analyzer list and the machine formats.
//! Every test runs the real binary from the workspace root and pins a transcript
//! (`$ netplay ...`, exit code, stdout, stderr) in `snapshots/`.
//!
//! The input, crates/cli/tests/inputs/mesh-analyze/app.yaml, has one finding of each
//! severity: IST0101 (error, a route to `webb`), IST0134 and NP0003 (warnings), IST0118
//! (info), and an IST0103 that the pod's `galley.istio.io/analyze-suppress` annotation
//! suppresses. Its ConfigMap and ServiceAccount cannot change traffic and are not reported.
//!
//! After a deliberate change of output: `INSTA_UPDATE=always cargo test -p netplay --test
//! analyze`, then read every changed `.snap` against docs/diagnostics.md.

mod common;

use common::{netplay, Run};
use insta::assert_snapshot;

const APP: &str = "crates/cli/tests/inputs/mesh-analyze/app.yaml";
const MESH_CONFIG: &str = "crates/cli/tests/inputs/mesh-analyze/mesh-config.yaml";

/// The codes of a `-o json` report, sorted.
fn codes(run: &Run) -> Vec<String> {
    let doc = run.json();
    let mut codes: Vec<String> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect();
    codes.sort();
    codes
}

#[test]
fn the_text_report_says_notes_and_what_the_annotation_suppressed() {
    let run = netplay(&["analyze", APP]);
    assert_eq!(run.code, 1, "IST0101 is an error");
    assert!(
        run.stdout.contains("1 error, 2 warnings, 1 note (1 suppressed)"),
        "{}",
        run.stdout
    );
    assert_snapshot!(run.transcript());
}

#[test]
fn kinds_that_cannot_change_traffic_are_not_reported() {
    let run = netplay(&["analyze", "-o", "json", APP]);
    assert_eq!(codes(&run), ["IST0101", "IST0118", "IST0134", "NP0003"]);
    let np0003: Vec<serde_json::Value> = run.json()["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["code"] == "NP0003")
        .cloned()
        .collect();
    assert_eq!(np0003.len(), 1);
    assert_eq!(np0003[0]["resource"], "EnvoyFilter shop/add-header");
    assert_eq!(np0003[0]["severity"], "warning");
}

#[test]
fn suppress_takes_istioctl_resource_names_with_wildcards() {
    let run = netplay(&[
        "analyze",
        "-o",
        "json",
        "--suppress",
        "IST0101=VirtualService web.shop",
        "-S",
        "IST0134=ServiceEntry *.shop",
        APP,
    ]);
    assert_eq!(codes(&run), ["IST0118", "NP0003"]);
    assert_eq!(run.code, 0, "no error left");
    assert_snapshot!(netplay(&[
        "analyze",
        "--suppress",
        "IST0118=Service shop/*",
        "-S",
        "NP0003=EnvoyFilter *",
        APP
    ])
    .transcript());
}

#[test]
fn a_bad_suppression_or_threshold_is_a_usage_error() {
    let bad_suppress = netplay(&["analyze", "--suppress", "IST0101", APP]);
    assert_eq!(bad_suppress.code, 2);
    let bad_code = netplay(&["analyze", "--suppress", "IST9999=Pod a.b", APP]);
    assert_eq!(bad_code.code, 2);
    let bad_level = netplay(&["analyze", "--failure-threshold", "severe", APP]);
    assert_eq!(bad_level.code, 2);
    assert_snapshot!(format!(
        "{}{}{}",
        bad_suppress.transcript(),
        bad_code.transcript(),
        bad_level.transcript()
    ));
}

#[test]
fn thresholds_decide_what_is_shown_and_what_fails() {
    // Only errors shown; warnings still fail the run at --failure-threshold warning.
    let errors_only = netplay(&["analyze", "-o", "json", "--output-threshold", "error", APP]);
    assert_eq!(codes(&errors_only), ["IST0101"]);
    let warn_fails = netplay(&[
        "analyze",
        "--suppress",
        "IST0101=VirtualService web.shop",
        "--failure-threshold",
        "warning",
        APP,
    ]);
    assert_eq!(warn_fails.code, 1, "IST0134 and NP0003 are warnings");
    let info_passes = netplay(&[
        "analyze",
        "--suppress",
        "IST0101=VirtualService web.shop",
        "--output-threshold",
        "warning",
        APP,
    ]);
    assert_eq!(info_passes.code, 0);
    assert_snapshot!(info_passes.transcript());
}

#[test]
fn the_mesh_config_file_turns_on_dns_auto_allocation() {
    let without = netplay(&["analyze", "-o", "json", APP]);
    assert!(codes(&without).contains(&"IST0134".to_string()));
    let with = netplay(&["analyze", "-o", "json", "--mesh-config", MESH_CONFIG, APP]);
    assert!(!codes(&with).contains(&"IST0134".to_string()), "{}", with.stdout);
    let missing = netplay(&["analyze", "--mesh-config", "no-such-mesh.yaml", APP]);
    assert_eq!(missing.code, 2);
    assert_snapshot!(missing.transcript());
}

#[test]
fn list_analyzers_needs_no_input() {
    let txt = netplay(&["analyze", "--list-analyzers"]);
    assert_eq!(txt.code, 0);
    assert!(txt.stdout.contains("IST0165"), "{}", txt.stdout);
    let json = netplay(&["analyze", "--list-analyzers", "-o", "json"]);
    let doc = json.json();
    assert!(doc["analyzers"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(doc["codes"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["code"] == "IST0101" && c["severity"] == "error")));
    assert_snapshot!(txt.transcript());
}

#[test]
fn yaml_carries_the_json_document() {
    let yaml = netplay(&["analyze", "-o", "yaml", APP]);
    let json = netplay(&["analyze", "--format", "json", APP]);
    let from_yaml: serde_json::Value = serde_yaml::from_str(&yaml.stdout).expect("valid YAML");
    assert_eq!(from_yaml, json.json());
    assert_eq!(yaml.code, 1);
    assert_snapshot!(yaml.transcript());
}

#[test]
fn sarif_lists_rules_and_results_with_locations() {
    let run = netplay(&["analyze", "-o", "sarif", APP]);
    let doc = run.json();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    assert!(results
        .iter()
        .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some()));
    assert_snapshot!(run.transcript());
}

#[test]
fn junit_fails_the_cases_at_the_failure_threshold() {
    let run = netplay(&["analyze", "-o", "junit", "--failure-threshold", "warning", APP]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("failures=\"3\""), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

/// NP codes are suppressed as IST codes are: by the `galley.istio.io/analyze-suppress`
/// annotation on the object and by `--suppress CODE=Kind name.namespace`, and a warning
/// fails the run only at `--failure-threshold warning`.
#[test]
fn np_codes_are_suppressed_and_thresholded_like_ist_codes() {
    const INPUT: &str = "crates/cli/tests/inputs/np-suppress/app.yaml";
    let run = netplay(&["analyze", INPUT]);
    assert_eq!(run.code, 0, "a warning is below the default threshold");
    assert!(
        run.stdout.contains("0 errors, 1 warning, 0 notes (1 suppressed)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("shop/typo") && !run.stdout.contains("future-api"),
        "{}",
        run.stdout
    );
    assert_snapshot!(run.transcript());
    let strict = netplay(&["analyze", "--failure-threshold", "warning", INPUT]);
    assert_eq!(strict.code, 1);
    let both = netplay(&[
        "analyze",
        "--failure-threshold",
        "warning",
        "--suppress",
        "NP1001=NetworkPolicy typo.shop",
        "-o",
        "json",
        INPUT,
    ]);
    assert_eq!(both.code, 0, "{}", both.stdout);
    assert_eq!(codes(&both), Vec::<String>::new());
}
