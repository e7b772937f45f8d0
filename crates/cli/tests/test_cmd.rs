//! `netplay test`: assertions (docs/assertions.md) run against manifests, as a CI job runs
//! them. Each test runs the real binary from the workspace root and pins its transcript
//! (`$ netplay ...`, exit code, stdout, stderr) as an insta snapshot.
//!
//! The inputs: `crates/cli/tests/inputs/shop` (web → api on 8080, api → db on the named
//! port `postgres`, 203.0.113.0/24 → web on 80; egress unrestricted) and the assertion
//! files in `crates/cli/tests/inputs/assertions/`. What each assertion should give was
//! derived from the NetworkPolicy semantics by hand (see the comments in the files).
//!
//! After a deliberate change of output: `INSTA_UPDATE=always cargo test -p netplay --test
//! test_cmd`, then read every changed `.snap` before keeping it.

mod common;

use insta::assert_snapshot;

const SHOP: &str = "crates/cli/tests/inputs/shop";
const HOLDS: &str = "crates/cli/tests/inputs/assertions/shop-holds.yaml";
const BREAKS: &str = "crates/cli/tests/inputs/assertions/shop-breaks.yaml";
const INVALID: &str = "crates/cli/tests/inputs/assertions/invalid.yaml";

/// Runs `netplay ARGS` in the workspace root; any exit but a crash is fine.
fn netplay(args: &[&str]) -> common::Run {
    let run = common::netplay(args);
    run.assert_no_crash();
    run
}

#[test]
fn assertions_that_hold_print_the_summary_and_exit_0() {
    let run = netplay(&["test", HOLDS, SHOP]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "5 passed, 0 failed\n");
    assert_snapshot!(netplay(&["test", "-v", HOLDS, SHOP]).transcript());
}

#[test]
fn each_failure_is_explained_as_explain_does_and_exits_1() {
    let run = netplay(&["test", BREAKS, SHOP]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.ends_with("0 passed, 4 failed\n"), "{}", run.stdout);
    // The explanation is the text of `netplay explain` for the failing pair.
    let explain = netplay(&[
        "explain", "--src", "shop/web", "--dst", "shop/db", "--port", "5432/TCP", SHOP,
    ]);
    for line in explain.stdout.lines().filter(|l| !l.is_empty()) {
        assert!(
            run.stdout.contains(line),
            "missing explain line {line:?}:\n{}",
            run.stdout
        );
    }
    assert_snapshot!(run.transcript());
}

#[test]
fn assertion_files_can_sit_among_the_manifests() {
    // One directory holding both: `kind: Assertions` documents are picked up anywhere.
    let run = netplay(&["test", "crates/cli/tests/inputs/assertions/with-manifests"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.ends_with("1 passed, 1 failed\n"), "{}", run.stdout);
    // And they are not "not modelled": analyze reports no NP0003 for them.
    let analyze = netplay(&[
        "analyze",
        "-o",
        "json",
        "crates/cli/tests/inputs/assertions/with-manifests",
    ]);
    assert!(!analyze.stdout.contains("NP0003"), "{}", analyze.stdout);
}

#[test]
fn junit_has_one_testcase_per_assertion_and_a_failure_with_the_explanation() {
    let run = netplay(&["test", "-o", "junit", HOLDS, BREAKS, SHOP]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout.matches("<testcase ").count(), 9);
    assert_eq!(run.stdout.matches("<failure ").count(), 4);
    assert!(run
        .stdout
        .contains("<testsuites name=\"netplay test\" tests=\"9\" failures=\"4\""));
    assert_snapshot!(run.transcript());
}

#[test]
fn sarif_results_point_at_the_policy_line_that_decided() {
    let run = netplay(&["test", "-o", "sarif", BREAKS, SHOP]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    let at = |i: usize| {
        let loc = &results[i]["locations"][0]["physicalLocation"];
        format!(
            "{}:{}",
            loc["artifactLocation"]["uri"].as_str().unwrap_or_default(),
            loc["region"]["startLine"]
        )
    };
    // web → db on 5432 is refused by db's ingress: the policy db-from-api isolates it.
    assert_eq!(at(0), "crates/cli/tests/inputs/shop/policies.yaml:39");
    // Nothing isolates web's egress: no policy decides, so the result sits at the assertion.
    assert_eq!(at(1), "crates/cli/tests/inputs/assertions/shop-breaks.yaml:12");
    // 203.0.113.128/25 reaches web through the ipBlock peer of web-from-lb.
    assert_eq!(at(2), "crates/cli/tests/inputs/shop/policies.yaml:13");
    assert_snapshot!(run.transcript());
}

#[test]
fn json_counts_and_lists_every_result() {
    let run = netplay(&["test", "-o", "json", HOLDS, BREAKS, SHOP]);
    let doc = run.json();
    assert_eq!((doc["passed"].as_u64(), doc["failed"].as_u64()), (Some(5), Some(4)));
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 9);
    let first_failure = results.iter().find(|r| r["passed"] == false).expect("a failure");
    assert_eq!(first_failure["name"], "web reaches the database directly");
    assert_eq!(first_failure["line"], 7);
    assert_eq!(first_failure["decided_at"]["line"], 39);
    assert!(first_failure["explanation"]
        .as_str()
        .unwrap_or_default()
        .contains("Verdict: TCP 5432 is DENIED"));
}

#[test]
fn unreadable_assertions_are_reported_at_their_lines_and_exit_2() {
    let run = netplay(&["test", INVALID, SHOP]);
    assert_eq!(run.code, 2);
    // The one readable assertion still runs.
    assert_eq!(run.stdout, "1 passed, 0 failed\n");
    assert_snapshot!(run.transcript());
}

#[test]
fn no_assertions_or_an_unreadable_path_exit_2() {
    let none = netplay(&["test", SHOP]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("the input has no assertions"), "{}", none.stderr);
    let missing = netplay(&["test", HOLDS, SHOP, "crates/cli/tests/inputs/no-such-dir"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stdout.ends_with("5 passed, 0 failed\n"));
    assert!(
        missing.stderr.contains("no-such-dir: cannot read"),
        "{}",
        missing.stderr
    );
}

#[test]
fn mesh_assertions_simulate_the_request() {
    let run = netplay(&[
        "test",
        "crates/cli/tests/inputs/assertions/mesh.yaml",
        "manifests/namespaces.yaml",
        "manifests/applications",
        "manifests/network-policies",
        "manifests/istio-config",
    ]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.ends_with("3 passed, 1 failed\n"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}
