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

/// `explain --http`: the Star Wars demo's landing request passes `rule1`'s HTTP rule
/// (docs.cilium.io, "Identity-Aware and HTTP-Aware Policy Enforcement"), the exhaust-port
/// request matches no rule and the proxy refuses it ("Access denied", 403), on top of a
/// layer 4 verdict that allows TCP 80.
#[test]
fn explain_checks_an_http_request_against_the_layer_7_rules() {
    let ask = |request: &str, expect: &str| {
        common::netplay(&[
            "explain",
            "--src",
            "default/probe-droid",
            "--dst",
            "default/deathstar",
            "--port",
            "80",
            "--http",
            request,
            "--expect",
            expect,
            "tests/scenarios/cilium-l7-http",
        ])
    };
    let landing = ask("POST /v1/request-landing", "allowed");
    assert_eq!(landing.code, 0, "{}{}", landing.stdout, landing.stderr);
    assert!(
        landing.stdout.contains("admitted by POST /v1/request-landing"),
        "{}",
        landing.stdout
    );
    assert!(
        landing
            .stdout
            .contains("HTTP verdict: POST /v1/request-landing is ALLOWED"),
        "{}",
        landing.stdout
    );
    let exhaust = ask("PUT /v1/exhaust-port", "denied");
    assert_eq!(exhaust.code, 0, "{}{}", exhaust.stdout, exhaust.stderr);
    assert!(
        exhaust.stdout.contains("HTTP verdict: PUT /v1/exhaust-port is DENIED"),
        "{}",
        exhaust.stdout
    );
    // `/path1$` is the whole path: `/path1/x` is another path.
    let longer = ask("GET /path1/x", "allowed");
    assert_eq!(longer.code, 1, "{}", longer.stdout);
    assert_snapshot!(exhaust.transcript());
}

/// `explain --http -o json` is the answer `explain -o json` prints, field for field and in
/// the same order, with the request's checks added as `http`: one per explanation, here the
/// Service's one endpoint.
#[test]
fn explain_http_json_is_the_answer_with_its_checks_added() {
    let args = [
        "explain",
        "-o",
        "json",
        "--src",
        "default/probe-droid",
        "--dst",
        "default/deathstar",
        "--port",
        "80",
        "tests/scenarios/cilium-l7-http",
    ];
    let plain = common::netplay(&args);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let mut with_http = args.to_vec();
    with_http.extend(["--http", "PUT /v1/exhaust-port"]);
    let checked = common::netplay(&with_http);
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    let answer: serde_json::Value = serde_json::from_str(&plain.stdout).unwrap_or_default();
    let mut v: serde_json::Value = serde_json::from_str(&checked.stdout).unwrap_or_default();
    let http = v.as_object_mut().and_then(|o| o.remove("http"));
    assert_eq!(v, answer, "{}", checked.stdout);
    let http = http.unwrap_or_default();
    assert_eq!(http.as_array().map(Vec::len), Some(1), "{}", checked.stdout);
    assert_eq!(http[0]["request"], "PUT /v1/exhaust-port", "{}", checked.stdout);
    assert_eq!(http[0]["allowed"], false, "{}", checked.stdout);
    // The answer's own fields come first, in plain explain's order.
    let first_key = |text: &str| text.lines().nth(1).map(str::trim).unwrap_or_default().to_string();
    assert_eq!(first_key(&checked.stdout), first_key(&plain.stdout));
}

#[test]
fn explain_http_needs_a_port_and_a_request_line() {
    let no_port = common::netplay(&[
        "explain",
        "--src",
        "default/probe-droid",
        "--dst",
        "default/deathstar",
        "--http",
        "GET /",
        "tests/scenarios/cilium-l7-http",
    ]);
    assert_eq!(no_port.code, 2, "{}", no_port.stderr);
    assert!(no_port.stderr.contains("--port"), "{}", no_port.stderr);
    let bad = common::netplay(&[
        "explain",
        "--src",
        "default/probe-droid",
        "--dst",
        "default/deathstar",
        "--port",
        "80",
        "--http",
        "GET",
        "tests/scenarios/cilium-l7-http",
    ]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("write `METHOD /path`"), "{}", bad.stderr);
}

/// An FQDN destination: the pattern's and the name's rules add up, the `world` deny takes
/// TCP 80, and the explanation says the destination is undecidable offline.
#[test]
fn explain_walks_the_rules_of_an_fqdn_destination() {
    let run = common::netplay(&[
        "explain",
        "--src",
        "shop/worker",
        "--dst",
        "fqdn:api.example.com",
        "--port",
        "80",
        "tests/scenarios/cilium-fqdn-destinations",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("TCP 80 is DENIED"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Undecidable offline: fqdn:api.example.com"),
        "{}",
        run.stdout
    );
    assert_snapshot!(run.transcript());
}
