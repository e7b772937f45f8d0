//! `netplay flows`: observed traffic against the example shop (manifests/), from the
//! fixtures in tests/flows/shop/ (one per format, written from each tool's documentation,
//! with replies, duplicates, unknown endpoints and malformed lines). Each snapshot is a
//! transcript: the command, its exit code, stdout and stderr (the records that could not
//! be read or matched, each at its line).

mod common;

use common::netplay;
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
