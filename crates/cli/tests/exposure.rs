//! `netplay connlist --exposure` and `netplay diff --exposure`: what pods that are not in
//! the input could reach or be reached from. The expected lines of each scenario are in
//! its `exposure.txt` (crates/cli/tests/scenarios.rs); here, the printed forms.

mod common;

use insta::assert_snapshot;

const SCENARIO: &str = "tests/scenarios/exposure-future-pods";

#[test]
fn connlist_exposure_lists_the_future_pods_after_the_connections() {
    let run = common::netplay(&["connlist", "--exposure", SCENARIO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_snapshot!(run.transcript());
}

#[test]
fn connlist_exposure_in_json_has_the_walk_of_each_line() {
    let run = common::netplay(&["connlist", "--exposure", "-o", "json", SCENARIO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let exposure = doc["exposure"].as_array().expect("an exposure array");
    let web = exposure
        .iter()
        .find(|e| e["workload"] == "shop/web[Deployment]" && e["direction"] == "egress")
        .expect("web's egress exposure");
    assert_eq!(web["peer"], "{any pod in namespaces with team=pay}");
    assert_eq!(web["conn"], "TCP 8080");
    let steps: Vec<&str> = web["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert_eq!(steps, ["[NetworkPolicy shop/web-egress] admits", "egress allows"]);
    assert!(doc["connections"].as_array().is_some_and(|c| c.len() == 7));
}

#[test]
fn connlist_exposure_follows_the_focus() {
    let run = common::netplay(&["connlist", "--exposure", "--focus-workload", "shop/api", SCENARIO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let section = run.stdout.split_once("Exposure:\n").map(|(_, s)| s).unwrap_or_default();
    let lines: Vec<&str> = section.lines().filter(|l| !l.starts_with("  #")).collect();
    assert_eq!(
        lines,
        [
            "shop/api[Deployment] => {any namespace} : All Connections",
            "{any namespace} => shop/api[Deployment] : TCP 80",
            "{pods with role=admin in namespace shop} => shop/api[Deployment] : All Connections",
        ]
    );
}

#[test]
fn diff_exposure_shows_what_a_widened_selector_exposes() {
    // The new side lets web call every namespace on 8080, not only the pay team's.
    let dir = common::TempDir::new("exposure-diff");
    let old = std::fs::read_to_string(common::workspace_root().join(SCENARIO).join("policies.yaml")).expect("policies");
    let new = old.replace(
        "    - namespaceSelector:\n        matchLabels: {team: pay}\n",
        "    - namespaceSelector: {}\n",
    );
    assert_ne!(old, new);
    std::fs::write(dir.path().join("policies.yaml"), new).expect("write");
    let cluster = format!("{SCENARIO}/cluster.yaml");
    let new_policies = dir.path().join("policies.yaml");
    let run = common::netplay(&[
        "diff",
        "--exposure",
        &cluster,
        &format!("{SCENARIO}/policies.yaml"),
        "--",
        &cluster,
        new_policies.to_str().expect("utf-8"),
    ]);
    // No connection between today's workloads changes (api admits only TCP 80 from other
    // namespaces; ledger already admitted web): only the exposure does.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Exposure:\n+ shop/web[Deployment] => {any namespace} : TCP 8080\n- shop/web[Deployment] => {any pod in namespaces with team=pay} : TCP 8080\n"
    );
}
