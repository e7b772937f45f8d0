//! What users paste: the real `kubectl` (v1.32) reads the loopback API server, and what it
//! writes — `kubectl get … -o json`, `-o yaml`, `kubectl get all` — is
//! fed back to `netplay connlist`, which must print what it prints reading the cluster
//! itself, and what the scenario's hand-written `connlist.txt` expects.
//!
//! The cluster is `tests/scenarios/np-pod-owner-folding`: Deployments with their
//! ReplicaSets and Pods (ownerReferences), a DaemonSet's Pods, Pods without owner.
//!
//! The files kubectl wrote of the cluster of `inputs/kubectl/cluster.yaml` are also kept
//! in `inputs/kubectl/` (see its README.md), so what users paste is tested without kubectl
//! too; `NETPLAY_BLESS=1` writes them again.
//!
//! The tests that run kubectl are skipped (with a message) when it is not installed
//! (`KUBECTL` names another path).

mod common;

use common::cluster::{file_in, objects_of, seed, Env};
use common::{bless, netplay, read, workspace_root, TempDir};
use std::path::PathBuf;
use std::process::Command;

const SCENARIO: &str = "tests/scenarios/np-pod-owner-folding";

fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("KUBECTL").map_or_else(|| PathBuf::from("/usr/bin/kubectl"), PathBuf::from);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: no kubectl at {}", path.display());
        None
    }
}

/// Runs kubectl against the env's server; its stdout (it must succeed).
fn kubectl_out(kubectl: &PathBuf, env: &Env, args: &[&str]) -> String {
    let out = Command::new(kubectl)
        .args(args)
        .args(["--kubeconfig", &env.kubeconfig()])
        .env_remove("KUBECONFIG")
        .env("HOME", &env.dir.0)
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cluster() -> (Env, String) {
    let env = Env::new();
    seed(&env.kube, &objects_of(&workspace_root().join(SCENARIO))).expect("seed");
    let expected = std::fs::read_to_string(workspace_root().join(SCENARIO).join("connlist.txt")).expect("connlist.txt");
    (env, expected)
}

#[test]
fn kubectl_get_json_and_yaml_of_every_kind_read_as_the_live_cluster() {
    let Some(kubectl) = kubectl() else { return };
    let (env, expected) = cluster();
    let live = env.live(&["connlist"]);
    assert_eq!(live.stdout, expected, "{}", live.transcript());
    let dir = TempDir::new("kubectl-get");
    let kinds = "namespaces,pods,deployments,replicasets,daemonsets,statefulsets,services,networkpolicies";
    for format in ["json", "yaml"] {
        let file = file_in(&dir, &format!("dump.{format}"));
        std::fs::write(&file, kubectl_out(&kubectl, &env, &["get", kinds, "-A", "-o", format])).expect("write");
        let read = env.netplay(&["connlist", &file]);
        assert_eq!(read.code, 0, "{}", read.transcript());
        assert_eq!(read.stdout, expected, "kubectl get -o {format}:\n{}", read.transcript());
    }
    // One kind at a time, as people do: `kubectl get pods -A -o json > pods.json`, ...
    let split = dir.0.join("split");
    std::fs::create_dir_all(&split).expect("mkdir");
    for kind in kinds.split(',') {
        std::fs::write(
            split.join(format!("{kind}.json")),
            kubectl_out(&kubectl, &env, &["get", kind, "-A", "-o", "json"]),
        )
        .expect("write");
    }
    let read = env.netplay(&["connlist", &split.display().to_string()]);
    assert_eq!(read.stdout, expected, "{}", read.transcript());
}

#[test]
fn kubectl_get_all_with_namespaces_and_policies_reads_as_the_live_cluster() {
    let Some(kubectl) = kubectl() else { return };
    let (env, expected) = cluster();
    let dir = TempDir::new("kubectl-get-all");
    // `get all` resolves the `all` category from discovery; namespaces and policies are not in it.
    let all = kubectl_out(&kubectl, &env, &["get", "all", "-A", "-o", "yaml"]);
    assert!(
        all.contains("kind: ReplicaSet") && all.contains("kind: DaemonSet"),
        "{all}"
    );
    std::fs::write(dir.0.join("all.yaml"), all).expect("write");
    std::fs::write(
        dir.0.join("policies.yaml"),
        kubectl_out(
            &kubectl,
            &env,
            &["get", "namespaces,networkpolicies", "-A", "-o", "yaml"],
        ),
    )
    .expect("write");
    let read = env.netplay(&["connlist", &dir.0.display().to_string()]);
    assert_eq!(read.code, 0, "{}", read.transcript());
    assert_eq!(read.stdout, expected, "{}", read.transcript());
}

/// The inputs written by kubectl and kept, with their expected connections.
const KEPT: &str = "crates/cli/tests/inputs/kubectl";

/// Each kept file and the kubectl command that wrote it.
const WRITTEN: [(&str, &[&str]); 4] = [
    ("pods.json", &["get", "pods", "-A", "-o", "json"]),
    ("pods.yaml", &["get", "pods", "-A", "-o", "yaml"]),
    ("all.yaml", &["get", "all", "-A", "-o", "yaml"]),
    (
        "namespaces-and-policies.yaml",
        &["get", "namespaces,networkpolicies", "-A", "-o", "yaml"],
    ),
];

fn kept(file: &str) -> String {
    format!("{KEPT}/{file}")
}

#[test]
fn kept_kubectl_get_pods_json_and_yaml_give_the_pods_own_workloads() {
    // Only Pods: each folds into its ReplicaSet, which the dump does not hold, and the
    // static pod stays itself (its owner is a Node); no policy, so everything is open.
    let expected = read(kept("pods.connlist.txt"));
    for file in ["pods.json", "pods.yaml"] {
        let run = netplay(&["connlist", &kept(file)]);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.transcript());
        assert_eq!(run.stdout, expected, "{}", run.transcript());
    }
}

#[test]
fn kept_kubectl_get_all_with_namespaces_and_policies_gives_the_deployments_and_the_policy() {
    let run = netplay(&["connlist", &kept("all.yaml"), &kept("namespaces-and-policies.yaml")]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.transcript());
    assert_eq!(run.stdout, read(kept("all.connlist.txt")), "{}", run.transcript());
}

/// The text without what differs between two runs of the same seeding (uids, times,
/// resource versions), so that a fresh kubectl output can be compared with the kept one.
fn stable(text: &str) -> String {
    text.lines()
        .filter(|line| {
            let key = line.trim_start().trim_start_matches("- ").trim_start_matches('"');
            !["uid", "creationTimestamp", "resourceVersion"]
                .iter()
                .any(|k| key.starts_with(&format!("{k}\":")) || key.starts_with(&format!("{k}:")))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_kept_files_are_what_kubectl_writes_of_the_seeded_cluster() {
    let Some(kubectl) = kubectl() else { return };
    let env = Env::new();
    seed(
        &env.kube,
        &objects_of(&workspace_root().join(KEPT).join("cluster.yaml")),
    )
    .expect("seed");
    for (file, args) in WRITTEN {
        let written = kubectl_out(&kubectl, &env, args);
        let path = workspace_root().join(KEPT).join(file);
        if bless() {
            std::fs::write(&path, &written).expect("write");
            continue;
        }
        let kept = std::fs::read_to_string(&path).expect("kept file");
        assert_eq!(
            stable(&kept),
            stable(&written),
            "kubectl {} no longer writes {file} (NETPLAY_BLESS=1 to write it again)",
            args.join(" ")
        );
    }
    let live = env.live(&["connlist"]);
    assert_eq!(live.stdout, read(kept("all.connlist.txt")), "{}", live.transcript());
}
