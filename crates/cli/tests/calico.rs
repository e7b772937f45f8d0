//! Calico policies from the command line: `explain` walks Calico's tiers (the deciding
//! rules, Pass, the end-of-tier deny, a Kubernetes NetworkPolicy in the default tier at
//! order 1000), `--cni cilium` keeps Kubernetes NetworkPolicies a tier of their own, and
//! `analyze` reports what Calico rejects at its line and column. Inputs are scenarios of
//! tests/scenarios/ whose expected connlists were derived by hand from Calico's docs.

mod common;

use insta::assert_snapshot;

#[test]
fn explain_walks_the_calico_tiers() {
    let run = common::netplay(&[
        "explain",
        "--src",
        "shop/a",
        "--dst",
        "shop/c",
        "--port",
        "22",
        "tests/scenarios/calico-tiers-pass-and-end-deny",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("end of tier: Deny"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

#[test]
fn analyze_reports_calico_validation_at_the_column() {
    let run = common::netplay(&["analyze", "tests/scenarios/diag-calico-validation"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("policies.yaml:8:20"), "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

/// Under Calico's order the Kubernetes NetworkPolicy `c-from-a` is one more policy of
/// the default tier (order 1000); under Cilium's it is its own isolation tier after the
/// Calico tiers, where the default tier's end already dropped what `allow-b` did not
/// allow. So a reaches c on TCP 443 with Calico's order and not with Cilium's.
#[test]
fn the_cni_flag_chooses_where_kubernetes_network_policies_stand() {
    let dir = "tests/scenarios/calico-tiers-pass-and-end-deny";
    let calico = common::netplay(&["connlist", dir]);
    assert!(
        calico.stdout.contains("shop/a[Pod] => shop/c[Pod] : TCP 443"),
        "{}",
        calico.stdout
    );
    let cilium = common::netplay(&["connlist", "--cni", "cilium", dir]);
    assert_eq!(cilium.code, 0, "{}", cilium.stderr);
    assert!(
        !cilium.stdout.contains("shop/a[Pod] => shop/c[Pod]"),
        "{}",
        cilium.stdout
    );
    assert!(
        cilium.stdout.contains("shop/b[Pod] => shop/c[Pod] : TCP 8000-8080"),
        "{}",
        cilium.stdout
    );
}

/// Staged policies are never enforced; analyze says what each would change (NP1053),
/// derived by hand in tests/scenarios/calico-staged-policies/README.md.
#[test]
fn analyze_says_what_a_staged_policy_would_change() {
    let run = common::netplay(&["analyze", "tests/scenarios/calico-staged-policies"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("StagedNetworkPolicy shop/allow-client would change 2 connection lines if enforced: - shop/client[Pod] => shop/web[Pod] : TCP 80; + shop/client[Pod] => shop/web[Pod] : TCP 80,443"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("StagedNetworkPolicy shop/isolate-other would change 3 connection lines if enforced"),
        "{}",
        run.stdout
    );
}
