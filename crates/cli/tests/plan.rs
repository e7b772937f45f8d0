//! `netplay plan`, as a user sees it: each test runs the real binary on the address plan
//! scenarios of tests/plans/ and pins the transcript (`$ netplay ...`, exit code, stdout,
//! stderr) in `snapshots/plan__*.snap`.
//!
//! After a deliberate change of output: `INSTA_UPDATE=always cargo test -p netplay --test plan`,
//! then read every changed `.snap` against docs/cni.md before keeping it.

use insta::assert_snapshot;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn transcript(&self) -> String {
        let mut out = format!("$ netplay {}\nexit: {}\n", self.args.join(" "), self.code);
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if !text.is_empty() {
                out.push_str(&format!("--- {name}\n{text}"));
            }
        }
        out
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_netplay"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run netplay");
    let run = Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "panic:\n{}", run.stderr);
    run
}

fn netplay(args: &[&str]) -> Run {
    run_in(&workspace_root(), args)
}

#[test]
fn a_valid_plan_prints_its_table_and_exits_0() {
    let run = netplay(&["plan", "tests/plans/guard-ipv4-flannel"]);
    assert_eq!(run.code, 0);
    assert_snapshot!(run.transcript());
}

#[test]
fn overlapping_ranges_are_errors_shown_at_their_line_exit_1() {
    let run = netplay(&["plan", "tests/plans/np3002-pod-service-overlap"]);
    assert_eq!(run.code, 1);
    assert_snapshot!(run.transcript());
}

#[test]
fn warnings_alone_exit_0() {
    let run = netplay(&["plan", "tests/plans/np3005-single-stack-service"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("warning[NP3005]"), "{}", run.stderr);
    assert_snapshot!(run.transcript());
}

#[test]
fn json_has_plans_configs_and_diagnostics() {
    let run = netplay(&["plan", "-o", "json", "tests/plans/np3009-config-disagrees"]);
    assert_eq!(run.code, 0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    let plan = &doc["plans"][0];
    assert_eq!(plan["mtu"]["podMtu"], 1450);
    assert_eq!(plan["families"][0]["maxNodes"], "512");
    assert_eq!(doc["configs"].as_array().map(Vec::len), Some(2));
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["NP3009", "NP3009", "NP3009", "NP3006", "NP3009"]);
    assert_snapshot!(run.transcript());
}

#[test]
fn several_clusters_are_checked_against_each_other() {
    let run = netplay(&["plan", "tests/plans/np3008-clusters-overlap"]);
    assert_eq!(run.code, 1);
    assert_snapshot!(run.transcript());
}

#[test]
fn an_input_without_a_plan_exits_2() {
    let run = netplay(&["plan", "crates/cli/tests/inputs/shop"]);
    assert_eq!(run.code, 2);
    assert_snapshot!(run.transcript());
}

/// `--emit` writes the five files; planning the plan together with them again reports
/// nothing but the tuning DaemonSet's hostNetwork info (not shown), and the same table.
#[test]
fn emitted_configuration_plans_clean_with_the_plan() {
    let dir = std::env::temp_dir().join(format!("netplay-plan-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(
        workspace_root().join("tests/plans/guard-calico-blocks/plan.yaml"),
        dir.join("plan.yaml"),
    )
    .expect("copy plan");
    let emit = run_in(&dir, &["plan", "plan.yaml", "--emit", "out"]);
    assert_eq!(emit.code, 0, "{}", emit.stderr);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .expect("out exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "calico-optimization.yaml",
            "cilium-custom-config.yaml",
            "custom-mtu-config.yaml",
            "ipv6-dual-stack.yaml",
            "node-network-tuning.yaml"
        ]
    );
    let again = run_in(&dir, &["plan", "plan.yaml", "out"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stderr.ends_with("0 errors, 0 warnings, 0 infos\n"),
        "{}",
        again.stderr
    );
    assert!(again.stdout.starts_with(&emit.stdout), "the plan table changed");
    let calico = std::fs::read_to_string(dir.join("out/calico-optimization.yaml")).expect("calico file");
    let _ = std::fs::remove_dir_all(&dir);
    assert_snapshot!(format!("{}{}", emit.transcript(), again.transcript()));
    assert_snapshot!("calico_optimization_generated_from_guard_calico_blocks", calico);
}
