//! The questions engineers ask `netplay explain` and `connlist` (issue 19, item 1): a
//! Service as the destination, a port by name, a typo, an answer in the exit code.
//!
//! The input, `inputs/services`: web (frontend) calls the api Service (backend) on port 80
//! named `http`, whose `targetPort: http` is 8080 on the stable api pods and 9090 on the
//! canary; the backend policy admits web on TCP 8080 only. So, by the Kubernetes docs
//! (a Service's named targetPort resolves per pod; NetworkPolicy sees the pod and its
//! port after the Service translation), web reaches the stable api through the Service
//! and not the canary.

mod common;

use common::netplay;
use insta::assert_snapshot;

const SERVICES: &str = "crates/cli/tests/inputs/services";
const SHOP: &str = "crates/cli/tests/inputs/shop";

#[test]
fn a_service_destination_is_translated_to_each_endpoint_and_its_target_port() {
    assert_snapshot!(netplay(&[
        "explain",
        "--src",
        "web",
        "--dst",
        "backend/api",
        "--port",
        "80",
        SERVICES
    ])
    .transcript());
}

#[test]
fn a_service_by_dns_name_and_port_name_in_json() {
    let run = netplay(&[
        "explain",
        "--src",
        "frontend/web",
        "--dst",
        "api.backend.svc.cluster.local",
        "--port",
        "http",
        "-o",
        "json",
        SERVICES,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["service"]["service"], "backend/api");
    assert_eq!(doc["service"]["port"], "TCP 80 (http) -> targetPort http");
    let targets: Vec<(String, String)> = doc["service"]["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            (
                e["workload"].as_str().unwrap_or_default().to_string(),
                e["target"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("backend/api-canary[Deployment]".to_string(), "TCP 9090".to_string()),
            ("backend/api[Deployment]".to_string(), "TCP 8080".to_string())
        ]
    );
    assert_eq!(doc["verdict"], "partly");
    let verdicts: Vec<bool> = doc["explanations"]
        .as_array()
        .expect("explanations")
        .iter()
        .map(|e| e["probe_allowed"].as_bool().unwrap_or_default())
        .collect();
    assert_eq!(verdicts, [false, true]);
}

#[test]
fn every_spelling_of_a_service_names_the_same_service() {
    let answer = |dst: &str| netplay(&["explain", "--src", "web", "--dst", dst, "--port", "http", SERVICES]);
    let reference = answer("svc/api");
    assert_eq!(reference.code, 0, "{}", reference.stderr);
    assert!(
        reference.stdout.starts_with("Service backend/api "),
        "{}",
        reference.stdout
    );
    for dst in [
        "service/api",
        "api.backend",
        "api.backend.svc",
        "api.backend.svc.cluster.local",
        "api.backend.svc.cluster.local.",
    ] {
        assert_eq!(answer(dst).stdout, reference.stdout, "--dst {dst}");
    }
    // `backend/api` is also the Deployment's name: it is the Service when the port is the
    // Service's and not one of the Deployment's container ports (80), the Deployment
    // when the Deployment has the port (its container port named http).
    let by_port = netplay(&[
        "explain",
        "--src",
        "web",
        "--dst",
        "backend/api",
        "--port",
        "80",
        SERVICES,
    ]);
    assert!(by_port.stdout.starts_with("Service backend/api "), "{}", by_port.stdout);
    assert!(answer("backend/api")
        .stdout
        .starts_with("frontend/web[Deployment] => backend/api[Deployment] : TCP 8080"));
}

#[test]
fn a_port_name_resolves_on_the_destination_workload() {
    assert_snapshot!(netplay(&[
        "explain",
        "--src",
        "web",
        "--dst",
        "backend/api[Deployment]",
        "--port",
        "metrics",
        SERVICES
    ])
    .transcript());
}

#[test]
fn a_typo_in_a_name_gets_the_closest_name() {
    assert_snapshot!(netplay(&["explain", "--src", "frontend/wbe", "--dst", "backend/api", SERVICES]).transcript());
    assert_snapshot!(netplay(&["explain", "--src", "web", "--dst", "backend/apii", SERVICES]).transcript());
    assert_snapshot!(netplay(&["explain", "--src", "web", "--dst", "svc/api", "--port", "htp", SERVICES]).transcript());
    assert_snapshot!(netplay(&[
        "explain",
        "--src",
        "web",
        "--dst",
        "backend/api[Deployment]",
        "--port",
        "metric",
        SERVICES
    ])
    .transcript());
}

#[test]
fn expect_answers_with_the_exit_code() {
    let code = |dst: &str, port: &str, expect: &str| {
        netplay(&[
            "explain", "--src", "web", "--dst", dst, "--port", port, "--expect", expect, SERVICES,
        ])
        .code
    };
    // The stable api admits web on 8080; the canary's 9090 is not admitted.
    assert_eq!(code("backend/api[Deployment]", "8080", "allowed"), 0);
    assert_eq!(code("backend/api[Deployment]", "8080", "denied"), 1);
    assert_eq!(code("backend/api-canary", "9090", "denied"), 0);
    assert_eq!(code("backend/api-canary", "9090", "allowed"), 1);
    // Through the Service the endpoints disagree: neither answer holds.
    assert_eq!(code("svc/api", "80", "allowed"), 1);
    assert_eq!(code("svc/api", "80", "denied"), 1);
    assert_snapshot!(
        netplay(&[
            "explain", "--src", "web", "--dst", "svc/api", "--port", "80", "--expect", "allowed", "-o", "json",
            SERVICES
        ])
        .stderr
    );
}

#[test]
fn focus_workload_is_repeatable() {
    assert_snapshot!(netplay(&[
        "connlist",
        "--focus-workload",
        "web",
        "--focus-workload",
        "backend/api-canary",
        SERVICES
    ])
    .transcript());
}

#[test]
fn diff_takes_several_paths_per_side() {
    // shop is split over two files; the locked variant over its own. The same comparison
    // written three ways gives the same answer.
    let shop = |f: &str| format!("{SHOP}/{f}");
    let locked = "crates/cli/tests/inputs/shop-locked";
    let two = netplay(&["diff", SHOP, locked]);
    assert_eq!(two.code, 1, "{}", two.stderr);
    let dashes = netplay(&["diff", &shop("workloads.yaml"), &shop("policies.yaml"), "--", locked]);
    let flags = netplay(&[
        "diff",
        "--old",
        &shop("workloads.yaml"),
        &shop("policies.yaml"),
        "--new",
        locked,
    ]);
    assert_eq!(dashes.stdout, two.stdout, "{}", dashes.stderr);
    assert_eq!(flags.stdout, two.stdout, "{}", flags.stderr);
    assert_snapshot!(netplay(&["diff", SHOP, locked, SERVICES]).transcript());
}

#[test]
fn each_changed_pair_names_the_policy_and_rule_that_changed_it() {
    // services-v2 adds TCP 9090 to the backend rule and a new egress policy for web that
    // admits DNS anywhere and everything to the backend namespace. By the NetworkPolicy
    // docs: web's traffic to the api pods gains 9090 through the ingress rule (the new
    // egress policy still admits all of it, so it is no cause there); web's traffic to
    // outside addresses shrinks to UDP 53 because web-egress now isolates web.
    let services = |f: &str| format!("{SERVICES}/{f}");
    let args = [
        "diff",
        "--old",
        &services("app.yaml"),
        &services("policy.yaml"),
        "--new",
        &services("app.yaml"),
        "crates/cli/tests/inputs/services-v2/policy.yaml",
    ];
    assert_snapshot!(netplay(&args).transcript());
    let mut json = args.to_vec();
    json.extend(["-o", "json"]);
    let doc = netplay(&json).json();
    let api = &doc["differences"][2];
    assert_eq!(api["dst"], "backend/api[Deployment]");
    assert_eq!(api["causes"][0]["policy"], "backend/api-from-web");
    assert_eq!(api["causes"][0]["rule"], 1, "rules are counted from 1, as in the text");
    assert_eq!(api["causes"][0]["what"], "admitted TCP 8080, now TCP 8080,9090");
    assert_eq!(api["causes"].as_array().map(Vec::len), Some(1));
}

/// explain and diff name a rule by the same number and line (the rule's, issue 19.4);
/// explain adds the matching peer's line, and its JSON numbers from 1 as the text does.
#[test]
fn explain_and_diff_give_a_rule_the_same_number_and_line() {
    const LOCKED: &str = "crates/cli/tests/inputs/shop-locked";
    let diff = netplay(&["diff", "crates/cli/tests/inputs/shop", LOCKED]);
    let rule = "shop/web-egress egress rule 2 (crates/cli/tests/inputs/shop-locked/web-egress.yaml:23)";
    assert!(
        diff.stdout.contains(&format!("# {rule} now admits TCP 443")),
        "{}",
        diff.stdout
    );
    let explain = netplay(&[
        "explain", "--src", "shop/web", "--dst", "11.0.0.1", "--port", "443", LOCKED,
    ]);
    assert!(
        explain.stdout.contains(&format!(
            "* {rule}, peer 1 at line 24 (ipBlock 0.0.0.0/0 except 10.0.0.0/8): TCP 443"
        )),
        "{}",
        explain.stdout
    );
    let json = netplay(&[
        "explain", "--src", "shop/web", "--dst", "11.0.0.1", "--port", "443", "-o", "json", LOCKED,
    ])
    .json();
    let admitted = &json["egress"]["admitted_by"][0];
    assert_eq!(
        (admitted["rule"].as_u64(), admitted["peer"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (
            admitted["rule_loc"]["line"].as_u64(),
            admitted["peer_loc"]["line"].as_u64()
        ),
        (Some(23), Some(24))
    );
}
