//! Host-network pods are shown as their node in every command (issue 19.6), with the
//! caveat (NP1009) beside every result, not only in `analyze`.
//!
//! The input, `tests/scenarios/read-host-network-pods` (its README derives the
//! connections by hand): node-exporter (a Pod, `hostNetwork: true`, on worker-1 at
//! 10.0.1.10) and kube-proxy (a DaemonSet template on the host network, address unknown)
//! beside Prometheus and a web pod. By the Kubernetes docs' most common implementation,
//! no selector selects or admits a host-network pod and an ipBlock holding its node's
//! address does. `inputs/host-network-before` is the same cluster with node-exporter on
//! the pod network.

mod common;

use common::netplay;
use insta::assert_snapshot;

const HOST: &str = "tests/scenarios/read-host-network-pods";
const BEFORE: &str = "crates/cli/tests/inputs/host-network-before";

#[test]
fn connlist_prints_the_caveat_beside_the_list() {
    let run = netplay(&["connlist", HOST]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("NP1009").count(), 2, "{}", run.stderr);
    assert_snapshot!(run.transcript());
}

#[test]
fn explain_shows_a_host_network_end_as_its_node() {
    // Egress from node-exporter: default-deny's empty podSelector does not select it;
    // ingress to web: the ipBlock 10.0.0.0/8 holds worker-1's address.
    assert_snapshot!(netplay(&[
        "explain",
        "--src",
        "monitoring/node-exporter",
        "--dst",
        "shop/web",
        "--port",
        "8081",
        HOST
    ])
    .transcript());
}

#[test]
fn explain_json_names_the_node() {
    let run = netplay(&[
        "explain",
        "--src",
        "monitoring/prometheus",
        "--dst",
        "monitoring/node-exporter",
        "-o",
        "json",
        HOST,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["ingress"]["host_node"], "node worker-1 (10.0.1.10)");
    assert!(doc["egress"].get("host_node").is_none(), "{doc}");
    assert_eq!(doc["conn"], "TCP 9100");
}

#[test]
fn diff_shows_what_turning_host_network_on_changes() {
    // node-exporter leaves default-deny's isolation: it reaches and is reached by
    // everything but the still-isolated Prometheus' ingress; web's namespace peer no
    // longer admits it, the ipBlock of its node's address does (TCP 8081).
    assert_snapshot!(netplay(&["diff", BEFORE, "--", HOST]).transcript());
}

#[test]
fn analyze_reports_each_host_network_object() {
    assert_snapshot!(netplay(&["analyze", HOST]).transcript());
}
