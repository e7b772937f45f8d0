//! `netplay multicluster resolve` and `netplay analyze` on multi-cluster inputs, as a user
//! sees them: each test runs the real binary from the workspace root on a case of
//! tests/multicluster/ or a file of manifests/multi-cluster/ and pins the transcript
//! (`$ netplay ...`, exit code, stdout, stderr) as an insta snapshot.
//!
//! After a deliberate change of output: `INSTA_UPDATE=always cargo test -p netplay --test
//! multicluster`, then read every changed `.snap` against docs/multi-cluster-setup.md.

mod common;

use common::Run;
use insta::assert_snapshot;

/// Runs `netplay ARGS` in the workspace root; a panic fails the test.
fn netplay(args: &[&str]) -> Run {
    let run = common::netplay(args);
    run.assert_no_crash();
    run
}

const MCS: &str = "tests/multicluster/mcs-failover";
const ISTIO_NETWORKS: &str = "tests/multicluster/istio-multi-network";
const LOCALITY: &str = "tests/multicluster/istio-locality-failover";
const CLUSTERMESH: &str = "tests/multicluster/clustermesh-affinity";

#[test]
fn mcs_clusterset_name_spreads_over_every_exporting_cluster() {
    let run = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "east/shop/frontend",
        "checkout.shop.svc.clusterset.local",
        MCS,
    ]);
    assert_eq!(run.code, 0);
    assert_snapshot!(run.transcript());
}

#[test]
fn mcs_failover_when_a_cluster_fails() {
    let run = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "east/shop/frontend",
        "checkout.shop.svc.clusterset.local",
        "--fail",
        "west",
        MCS,
    ]);
    assert_eq!(run.code, 0);
    assert_snapshot!(run.transcript());
}

#[test]
fn an_unexported_clusterset_name_is_nxdomain() {
    let run = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "east/shop/frontend",
        "payments.shop.svc.clusterset.local",
        MCS,
    ]);
    assert_eq!(run.code, 0);
    assert_snapshot!(run.transcript());
}

#[test]
fn istio_across_networks_goes_through_the_east_west_gateway() {
    let run = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "east/books/productpage",
        "ratings",
        ISTIO_NETWORKS,
    ]);
    assert_snapshot!(run.transcript());
}

#[test]
fn istio_locality_failover_after_a_region_fails_as_json() {
    let run = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "east-b/shop/frontend",
        "reviews",
        "--fail",
        "us-east1",
        "-o",
        "json",
        LOCALITY,
    ]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(json["mechanism"], "istio");
    assert_snapshot!(run.transcript());
}

#[test]
fn clustermesh_affinity_local_fails_over_to_remote_backends() {
    let run = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "one/shop/web",
        "search",
        CLUSTERMESH,
    ]);
    assert_snapshot!(run.transcript());
}

#[test]
fn resolve_refuses_unknown_clients_and_single_cluster_input() {
    let unknown = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "mars/shop/web",
        "cart",
        CLUSTERMESH,
    ]);
    let single = netplay(&[
        "multicluster",
        "resolve",
        "--from",
        "east/shop/web",
        "cart",
        "crates/cli/tests/inputs/shop",
    ]);
    assert_eq!(unknown.code, 2);
    assert_eq!(single.code, 2);
    assert_snapshot!(format!("{}\n{}", unknown.transcript(), single.transcript()));
}

#[test]
fn analyze_reports_the_multi_cluster_checks() {
    let run = netplay(&["analyze", CLUSTERMESH]);
    assert_eq!(run.code, 0, "warnings only");
    assert_snapshot!(run.transcript());
}
