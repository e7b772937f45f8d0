//! `netplay plan`, as a user sees it: each test runs the real binary on the address plan
//! scenarios of tests/plans/ and pins the transcript (`$ netplay ...`, exit code, stdout,
//! stderr) in `snapshots/plan__*.snap`.
//!
//! After a deliberate change of output: `INSTA_UPDATE=always cargo test -p netplay --test plan`,
//! then read every changed `.snap` against docs/cni.md before keeping it.

mod common;

use common::{netplay, TempDir};
use insta::assert_snapshot;

/// Runs `netplay ARGS` in the workspace root; a panic fails the test.
fn plan(args: &[&str]) -> common::Run {
    let run = netplay(args);
    run.assert_no_crash();
    run
}

#[test]
fn a_valid_plan_prints_its_table_and_exits_0() {
    let run = plan(&["plan", "tests/plans/guard-ipv4-flannel"]);
    assert_eq!(run.code, 0);
    assert_snapshot!(run.transcript());
}

#[test]
fn overlapping_ranges_are_errors_shown_at_their_line_exit_1() {
    let run = plan(&["plan", "tests/plans/np3002-pod-service-overlap"]);
    assert_eq!(run.code, 1);
    assert_snapshot!(run.transcript());
}

#[test]
fn warnings_alone_exit_0() {
    let run = plan(&["plan", "tests/plans/np3005-single-stack-service"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("warning[NP3005]"), "{}", run.stderr);
    assert_snapshot!(run.transcript());
}

#[test]
fn json_has_plans_configs_and_diagnostics() {
    let run = plan(&["plan", "-o", "json", "tests/plans/np3009-config-disagrees"]);
    assert_eq!(run.code, 0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    let plan = &doc["plans"][0];
    assert_eq!(plan["mtu"]["podMtu"], 1450);
    assert_eq!(plan["families"][0]["maxNodes"], "512");
    assert_eq!(doc["configs"].as_array().map(Vec::len), Some(2));
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["NP3009", "NP3009", "NP3009", "NP3006", "NP3009"]);
    assert_snapshot!(run.transcript());
}

#[test]
fn several_clusters_are_checked_against_each_other() {
    let run = plan(&["plan", "tests/plans/np3008-clusters-overlap"]);
    assert_eq!(run.code, 1);
    assert_snapshot!(run.transcript());
}

#[test]
fn an_input_without_a_plan_exits_2() {
    let run = plan(&["plan", "crates/cli/tests/inputs/shop"]);
    assert_eq!(run.code, 2);
    assert_snapshot!(run.transcript());
}

/// `--emit` writes the five files; planning the plan together with them again reports
/// nothing but the tuning DaemonSet's hostNetwork info (not shown), and the same table.
#[test]
fn emitted_configuration_plans_clean_with_the_plan() {
    let tmp = TempDir::new("plan");
    let dir = tmp.path();
    tmp.write(
        "plan.yaml",
        common::read("tests/plans/guard-calico-blocks/plan.yaml").as_bytes(),
    );
    let emit = tmp.netplay(&["plan", "plan.yaml", "--emit", "out"]);
    emit.assert_no_crash();
    assert_eq!(emit.code, 0, "{}", emit.stderr);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .expect("out exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "calico-optimization.yaml",
            "cilium-custom-config.yaml",
            "custom-mtu-config.yaml",
            "ipv6-dual-stack.yaml",
            "node-network-tuning.yaml"
        ]
    );
    let again = tmp.netplay(&["plan", "plan.yaml", "out"]);
    again.assert_no_crash();
    assert_eq!(again.code, 0);
    assert!(
        again.stderr.ends_with("0 errors, 0 warnings, 0 notes\n"),
        "{}",
        again.stderr
    );
    assert!(again.stdout.starts_with(&emit.stdout), "the plan table changed");
    let calico = std::fs::read_to_string(dir.join("out/calico-optimization.yaml")).expect("calico file");
    assert_snapshot!(format!("{}{}", emit.transcript(), again.transcript()));
    assert_snapshot!("calico_optimization_generated_from_guard_calico_blocks", calico);
}
