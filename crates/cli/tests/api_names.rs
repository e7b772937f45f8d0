//! Names, labels and port names the API server refuses (issue 19.5, docs/diagnostics.md
//! NP0023), on tests/scenarios/read-api-server-names: `analyze` reports each at its
//! field with the API server's wording and exits 1, and the commands that evaluate leave
//! the refused objects out (a refused NetworkPolicy isolates nothing) and say why on
//! stderr. Transcripts are pinned in `snapshots/`.

mod common;

use common::netplay;
use insta::assert_snapshot;

const DIR: &str = "tests/scenarios/read-api-server-names";

#[test]
fn analyze_reports_each_refused_field_as_kubectl_apply_does() {
    let run = netplay(&["analyze", DIR]);
    assert_eq!(run.code, 1, "NP0023 is an error");
    assert!(run.stdout.contains("15 errors, 0 warnings, 0 notes"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

#[test]
fn analyze_json_names_field_line_and_resource() {
    let run = netplay(&["analyze", "-o", "json", DIR]);
    let doc = run.json();
    let found = doc["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .find(|d| d["resource"] == "Pod shop/collector")
        .cloned()
        .expect("the collector pod is reported");
    assert_eq!(found["code"], "NP0023");
    assert_eq!(found["severity"], "error");
    assert_eq!(found["file"], format!("{DIR}/workloads.yaml"));
    assert_eq!(found["line"], 72);
    assert_eq!(
        found["message"],
        "spec.containers[0].ports[0].name: Invalid value: \"prometheus-metrics\": must be no more than 15 characters; kubectl apply rejects the Pod, so netplay leaves it out"
    );
}

#[test]
fn a_refused_policy_isolates_nothing() {
    let run = netplay(&["explain", "--src", "0.0.0.0", "--dst", "shop/web", "--port", "80", DIR]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("\"Deny_All\""), "{}", run.stderr);
    assert_snapshot!(run.transcript());
}

#[test]
fn connlist_leaves_refused_objects_out_and_says_why() {
    let run = netplay(&["connlist", DIR]);
    assert_eq!(run.code, 0);
    assert!(!run.stdout.contains("collector"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}
