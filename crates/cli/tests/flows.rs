//! `netplay flows`: observed traffic against the example shop (manifests/), from the
//! fixtures in tests/flows/shop/ (one per format, written from each tool's documentation,
//! with replies, duplicates, unknown endpoints and malformed lines). Each snapshot is a
//! transcript: the command, its exit code, stdout and stderr (the records that could not
//! be read or matched, each at its line).

mod common;

use common::{netplay, TempDir};
use insta::assert_snapshot;

const SHOP: [&str; 3] = [
    "manifests/namespaces.yaml",
    "manifests/applications",
    "manifests/network-policies",
];

fn flows(command: &str, fixture: &str, extra: &[&str]) -> String {
    let path = format!("tests/flows/shop/{fixture}");
    let mut args = vec!["flows", command, "--flows", path.as_str()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&SHOP);
    let run = netplay(&args);
    run.assert_no_crash();
    run.transcript()
}

#[test]
fn replay_hubble_blocks_the_internet_to_web_and_exits_1() {
    assert_snapshot!(flows("replay", "hubble.json", &[]));
}

#[test]
fn replay_calico_folds_both_reporters() {
    assert_snapshot!(flows("replay", "calico.json", &[]));
}

#[test]
fn replay_gadget_follows_the_service_to_its_target_port() {
    assert_snapshot!(flows("replay", "gadget.json", &[]));
}

#[test]
fn replay_csv_with_explanations() {
    assert_snapshot!(flows("replay", "flows.csv", &["--explain"]));
}

#[test]
fn diff_names_unused_rules_and_blocked_flows() {
    assert_snapshot!(flows("diff", "flows.csv", &[]));
}

#[test]
fn a_missing_flow_file_exits_2() {
    let run = netplay(&[
        "flows",
        "replay",
        "--flows",
        "tests/flows/shop/nope.json",
        "manifests/applications",
    ]);
    run.assert_no_crash();
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr.contains("cannot read flow file tests/flows/shop/nope.json"),
        "{}",
        run.transcript()
    );
}

/// The example shop's policies from the CSV fixture, external addresses merged to /24:
/// the YAML a user reviews before `kubectl apply` (docs/flows.md).
#[test]
fn policy_for_the_example_shop() {
    let run = netplay(&[
        "flows",
        "policy",
        "--flows",
        "tests/flows/shop/flows.csv",
        "--cidr-merge",
        "/24",
        "manifests/namespaces.yaml",
        "manifests/applications",
    ]);
    run.assert_no_crash();
    assert_snapshot!(run.transcript());
}

/// The same flows as CiliumNetworkPolicies (`--kind cnp`): a default deny per namespace
/// (`ingress: [{}]`, `egress: [{}]`), endpoints by namespace and labels, addresses by CIDR.
#[test]
fn cilium_policy_for_the_example_shop() {
    let run = netplay(&[
        "flows",
        "policy",
        "--kind",
        "cnp",
        "--flows",
        "tests/flows/shop/flows.csv",
        "--cidr-merge",
        "/24",
        "manifests/namespaces.yaml",
        "manifests/applications",
    ]);
    run.assert_no_crash();
    assert_snapshot!(run.transcript());
}

/// What `flows policy --out DIR` writes reads without a diagnostic, and with it every
/// observed flow of each format replays as allowed (exit 0).
#[test]
fn generated_policies_allow_every_observed_flow() {
    for fixture in ["hubble.json", "calico.json", "gadget.json", "flows.csv"] {
        let dir = TempDir::new("flows-policy");
        let out = dir.0.join("policies");
        let out = out.to_str().expect("utf-8 temp path");
        let flows = format!("tests/flows/shop/{fixture}");
        let args = ["flows", "policy", "--flows", &flows, "--out", out, SHOP[0], SHOP[1]];
        let run = netplay(&args);
        run.assert_no_crash();
        assert_eq!(run.code, 0, "{}", run.transcript());
        let check = netplay(&["analyze", SHOP[0], SHOP[1], out]);
        assert_eq!(check.code, 0, "{}", check.transcript());
        let replay = netplay(&["flows", "replay", "--flows", &flows, SHOP[0], SHOP[1], out]);
        assert_eq!(replay.code, 0, "{}", replay.transcript());
        assert!(
            replay.stdout.contains(", 0 would be blocked"),
            "{}",
            replay.transcript()
        );
    }
}
