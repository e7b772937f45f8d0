//! The admin tiers from the command line: `convert` rewrites v1alpha1 admin policies as
//! v1alpha2 ClusterNetworkPolicy and proves the connections unchanged; `explain` walks
//! the tiers; `analyze` reports the admin checks. Inputs are scenarios of
//! tests/scenarios/ whose expected connlists were derived by hand.

mod common;

use insta::assert_snapshot;

fn netplay(args: &[&str]) -> common::Run {
    common::netplay(args)
}

#[test]
fn convert_rewrites_v1alpha1_as_cluster_network_policy_with_the_same_connections() {
    let run = netplay(&["convert", "tests/scenarios/admin-pass-to-networkpolicy"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: ClusterNetworkPolicy") && !run.stdout.contains("kind: AdminNetworkPolicy"));
    assert_snapshot!(run.transcript());
}

#[test]
fn convert_of_the_guardrails_reads_back_as_the_v1alpha2_library_file() {
    // The converted v1alpha1 guardrails and the hand-written v1alpha2 file give the same
    // connections over the demo app (tests/library/11 and 12 say which).
    let run = netplay(&["convert", "manifests/admin-policies/v1alpha1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in [
        "allow-monitoring",
        "monitoring-egress",
        "allow-dns",
        "protect-database",
        "default",
    ] {
        assert!(
            run.stdout.contains(&format!("name: {name}\n")),
            "{name} missing:\n{}",
            run.stdout
        );
    }
    assert_eq!(run.stdout.matches("tier: Baseline").count(), 1);
    assert!(run.stdout.contains("destinationPort:\n") && run.stdout.contains("udp:"));
}

#[test]
fn explain_walks_the_tiers() {
    let run = netplay(&[
        "explain",
        "--src",
        "monitoring/prom",
        "--dst",
        "shop/web",
        "--port",
        "80",
        "tests/scenarios/admin-pass-to-networkpolicy",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_snapshot!(run.transcript());
}

/// An Admin Allow that took every connection is the reason for the side, named with its
/// tier, policy, rule and line; the NetworkPolicy that isolates `shop/api` is not reached
/// and is not listed as isolating it (the Network Policy API: an Allow "will not be further
/// evaluated by lower-precedence policies").
#[test]
fn explain_names_the_admin_rule_that_decided_a_side_not_the_isolation() {
    let run = netplay(&[
        "explain",
        "--src",
        "monitoring/prom",
        "--dst",
        "shop/api",
        "tests/scenarios/admin-all-tiers-together",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("isolated by"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

#[test]
fn analyze_reports_the_admin_checks() {
    let run = netplay(&["analyze", "tests/scenarios/diag-admin-checks"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for code in ["NP1030", "NP1031", "NP1032"] {
        assert!(run.stdout.contains(code), "{code} missing:\n{}", run.stdout);
    }
    assert_snapshot!(run.transcript());
}

#[test]
fn diff_marks_the_tier_of_each_cause() {
    // Old: the workloads alone; new: with the admin guardrails, the NetworkPolicy and the
    // baseline of tests/scenarios/admin-all-tiers-together.
    let dir = "tests/scenarios/admin-all-tiers-together";
    let workloads = format!("{dir}/workloads.yaml");
    let policies = format!("{dir}/policies.yaml");
    let run = netplay(&["diff", &workloads, "--", &workloads, &policies]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("  # [Admin] anp/protect-vault ingress rule 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  # [Baseline] banp/default ingress rule 1"),
        "{}",
        run.stdout
    );
    assert_snapshot!(run.transcript());
}
