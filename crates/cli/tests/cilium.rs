//! Cilium policies from the command line: `explain` names the deny tier and the layer 7
//! rules beside the ports, connlist marks the lines layer 7 rules narrow (a marker in
//! text, a field in JSON), and `analyze` reports what Cilium rejects at its line. Inputs
//! are scenarios of tests/scenarios/ whose expected connlists were derived by hand from
//! Cilium's docs.

mod common;

use insta::assert_snapshot;

#[test]
fn explain_walks_the_cilium_deny_tier() {
    let run = common::netplay(&[
        "explain",
        "--src",
        "shop/client",
        "--dst",
        "shop/server",
        "--port",
        "80",
        "tests/scenarios/cilium-deny-wins",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("[CiliumDeny CiliumNetworkPolicy shop/deny-80"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("TCP 80 is DENIED"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

#[test]
fn explain_shows_the_layer_7_rules_beside_the_ports() {
    let run = common::netplay(&[
        "explain",
        "--src",
        "default/probe-droid",
        "--dst",
        "default/deathstar",
        "tests/scenarios/cilium-l7-http",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("on TCP 80 only: POST /v1/request-landing | GET /path1$"),
        "{}",
        run.stdout
    );
    assert_snapshot!(run.transcript());
}

/// The NetworkPolicy `tiefighter-l4` admits the tiefighter on TCP 80 at layer 4, which
/// lifts `rule1`'s HTTP rules for it: no `l7` in its explanation.
#[test]
fn a_layer_4_allow_of_the_same_peer_and_port_lifts_the_layer_7_rules() {
    let run = common::netplay(&[
        "explain",
        "-o",
        "json",
        "--src",
        "default/tiefighter",
        "--dst",
        "default/deathstar",
        "tests/scenarios/cilium-l7-http",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(v["conn"], "TCP 80", "{}", run.stdout);
    assert!(v.get("l7").is_none(), "{}", run.stdout);
    let droid = common::netplay(&[
        "explain",
        "-o",
        "json",
        "--src",
        "default/probe-droid",
        "--dst",
        "default/deathstar",
        "tests/scenarios/cilium-l7-http",
    ]);
    let v: serde_json::Value = serde_json::from_str(&droid.stdout).unwrap_or_default();
    assert_eq!(v["l7"][0]["direction"], "ingress", "{}", droid.stdout);
    assert_eq!(v["l7"][0]["protocol"], "http", "{}", droid.stdout);
    assert_eq!(v["l7"][0]["rules"][0], "POST /v1/request-landing", "{}", droid.stdout);
}

#[test]
fn connlist_json_keeps_the_connection_and_adds_the_layer_7_field() {
    let run = common::netplay(&["connlist", "-o", "json", "tests/scenarios/cilium-l7-dns-and-fqdn"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    let lines = v["connections"].as_array().cloned().unwrap_or_default();
    let dns: Vec<&serde_json::Value> = lines.iter().filter(|l| l.get("l7").is_some()).collect();
    assert_eq!(dns.len(), 1, "{}", run.stdout);
    assert_eq!(dns[0]["src"], "default/xwing[Pod]");
    assert_eq!(dns[0]["conn"], "SCTP 53,TCP 53,UDP 53");
    assert_eq!(
        dns[0]["l7"],
        "SCTP 53,TCP 53,UDP 53 only dns cilium.io | dns *.cilium.io | dns *.api.cilium.io"
    );
    // Streamed (the whole list) and focused lists agree.
    let focused = common::netplay(&[
        "connlist",
        "--focus-workload",
        "default/xwing",
        "tests/scenarios/cilium-l7-dns-and-fqdn",
    ]);
    assert!(
        focused
            .stdout
            .contains(" : SCTP 53,TCP 53,UDP 53 [L7: SCTP 53,TCP 53,UDP 53 only dns cilium.io"),
        "{}",
        focused.stdout
    );
}

#[test]
fn analyze_reports_cilium_validation_at_the_line() {
    let run = common::netplay(&["analyze", "tests/scenarios/diag-cilium-validation"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("NP0040"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}
