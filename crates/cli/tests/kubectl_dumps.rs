//! What a user pastes is what the real `kubectl` writes: a small cluster is put into the
//! loopback API server (netplay-testkube), the real `kubectl` dumps it the ways people do
//! (`get pods -A -o json`, `-o yaml`, `get all -A`, `get --raw /api/v1/pods`, several
//! `get -o json` piped together), and netplay must read every one of them as the same
//! cluster: the connection list of tests/scenarios/read-kubectl-dumps/connlist.txt,
//! written by hand from the Kubernetes docs (see its README).
//!
//! The scenario directory holds the files kubectl wrote; the first test checks that kubectl
//! still writes exactly them (`NETPLAY_BLESS=1` rewrites them), so the scenario is what
//! users paste, not what we imagine they paste. Skipped (with a message) when `kubectl`
//! is not installed.

mod common;

use common::{bless, workspace_root, Netplay, TempDir};
use netplay_testkube::TestKube;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const SCENARIO: &str = "tests/scenarios/read-kubectl-dumps";

fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("KUBECTL").map_or_else(|| PathBuf::from("/usr/bin/kubectl"), PathBuf::from);
    path.exists().then_some(path)
}

fn pod(namespace: &str, name: &str, labels: Value, owner: Option<(&str, &str, &str)>, port: u16) -> Value {
    let mut metadata = json!({"name": name, "namespace": namespace, "labels": labels});
    if let Some((api_version, kind, owner_name)) = owner {
        metadata["ownerReferences"] = json!([{"apiVersion": api_version, "kind": kind, "name": owner_name,
            "uid": format!("uid-{owner_name}"), "controller": true, "blockOwnerDeletion": true}]);
    }
    // The server keeps a seeded status, as a dump of a running cluster shows it.
    let ip = format!("10.244.0.{}", 10 + name.bytes().map(u32::from).sum::<u32>() % 240);
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
           "spec": {"containers": [{"name": "main", "image": "registry.example.com/app:1",
                                    "ports": [{"containerPort": port, "protocol": "TCP"}]}]},
           "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})
}

/// The cluster of the scenario: a shop namespace whose pods belong to ReplicaSets, and
/// kube-system with CoreDNS and two static pods owned by their Node.
fn objects() -> Vec<Value> {
    let rs = |name: &'static str| Some(("apps/v1", "ReplicaSet", name));
    let node = Some(("v1", "Node", "minikube"));
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}}),
        pod(
            "shop",
            "web-7d4b9c8f6-x2x8p",
            json!({"app": "web", "pod-template-hash": "7d4b9c8f6"}),
            rs("web-7d4b9c8f6"),
            8080,
        ),
        pod(
            "shop",
            "web-7d4b9c8f6-k9wq4",
            json!({"app": "web", "pod-template-hash": "7d4b9c8f6"}),
            rs("web-7d4b9c8f6"),
            8080,
        ),
        pod(
            "shop",
            "api-5f6d7b9c4-qwert",
            json!({"app": "api", "pod-template-hash": "5f6d7b9c4"}),
            rs("api-5f6d7b9c4"),
            9000,
        ),
        pod(
            "kube-system",
            "coredns-668d6bf9bc-5mv2c",
            json!({"k8s-app": "kube-dns", "pod-template-hash": "668d6bf9bc"}),
            rs("coredns-668d6bf9bc"),
            53,
        ),
        pod(
            "kube-system",
            "etcd-minikube",
            json!({"component": "etcd", "tier": "control-plane"}),
            node,
            2379,
        ),
        pod(
            "kube-system",
            "kube-apiserver-minikube",
            json!({"component": "kube-apiserver", "tier": "control-plane"}),
            node,
            8443,
        ),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "default-deny-ingress", "namespace": "shop"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "web-allow", "namespace": "shop"},
               "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                                              {"namespaceSelector": {}, "podSelector": {"matchLabels": {"component": "kube-apiserver"}}}],
                                     "ports": [{"protocol": "TCP", "port": 8080}]}]}}),
    ]
}

/// A server holding the scenario's cluster, and a kubeconfig for it in `dir`.
fn cluster(dir: &Path) -> (TestKube, String) {
    let kube = TestKube::start();
    for object in objects() {
        kube.apply_as("setup", object);
    }
    let config = dir.join("kubeconfig");
    std::fs::write(&config, kube.kubeconfig("dump", "dump-token")).expect("kubeconfig");
    (kube, config.display().to_string())
}

/// What `kubectl ARGS` prints on stdout (it must succeed).
fn kubectl_out(kubectl: &Path, config: &str, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(kubectl)
        .args(args)
        .args(["--kubeconfig", config, "--cache-dir"])
        .arg(dir.join("cache"))
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kubectl writes UTF-8")
}

/// The files of the scenario and the kubectl command that writes each.
const SCENARIO_FILES: &[(&str, &[&str])] = &[
    ("pods.json", &["get", "pods", "-A", "-o", "json"]),
    ("namespaces.yaml", &["get", "namespaces", "-o", "yaml"]),
    ("networkpolicies.json", &["get", "networkpolicies", "-A", "-o", "json"]),
];

fn expected_connlist() -> String {
    common::read(format!("{SCENARIO}/connlist.txt"))
}

fn connlist_of(dir: &Path, paths: &[&str], stdin: Option<&str>) -> String {
    let mut args = vec!["connlist"];
    args.extend_from_slice(paths);
    let mut cmd = Netplay::new(&args).dir(dir);
    if let Some(text) = stdin {
        cmd = cmd.stdin(text);
    }
    let run = cmd.run();
    assert_eq!(run.code, 0, "netplay {args:?}: {}", run.stderr);
    assert_eq!(
        run.stderr, "",
        "netplay {args:?} reads kubectl's output without a complaint"
    );
    run.stdout
}

#[test]
fn the_scenario_holds_what_kubectl_writes() {
    let Some(kubectl) = kubectl() else {
        eprintln!("skipped: kubectl is not installed (set KUBECTL to its path)");
        return;
    };
    let dir = TempDir::new("kubectl-dump");
    let (_kube, config) = cluster(dir.path());
    let scenario = workspace_root().join(SCENARIO);
    let mut stale = Vec::new();
    for (file, args) in SCENARIO_FILES {
        let written = kubectl_out(&kubectl, &config, dir.path(), args);
        let path = scenario.join(file);
        if bless() {
            std::fs::write(&path, &written).expect("write the scenario file");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(written.as_str()) {
            stale.push(format!("{file} (kubectl {})", args.join(" ")));
        }
    }
    assert!(
        stale.is_empty(),
        "kubectl now writes other text than {SCENARIO} holds: {stale:?}; check and rerun with NETPLAY_BLESS=1"
    );
}

#[test]
fn every_shape_kubectl_writes_reads_as_the_same_cluster() {
    let Some(kubectl) = kubectl() else {
        eprintln!("skipped: kubectl is not installed (set KUBECTL to its path)");
        return;
    };
    let dir = TempDir::new("kubectl-shapes");
    let (_kube, config) = cluster(dir.path());
    let get = |args: &[&str]| kubectl_out(&kubectl, &config, dir.path(), args);
    let expected = expected_connlist();
    let namespaces = get(&["get", "namespaces", "-o", "json"]);
    let policies = get(&["get", "networkpolicies", "-A", "-o", "json"]);
    dir.write("ns.json", namespaces.as_bytes());
    dir.write("netpol.json", policies.as_bytes());

    // The API server's own typed lists: items without apiVersion and kind.
    let raw_pods = get(&["get", "--raw", "/api/v1/pods"]);
    let raw: Value = serde_json::from_str(&raw_pods).expect("a PodList");
    assert_eq!(raw["kind"], "PodList");
    assert!(
        raw["items"][0].get("kind").is_none(),
        "the server writes items without kinds"
    );
    dir.write("raw-pods.json", raw_pods.as_bytes());
    let raw_policies = get(&["get", "--raw", "/apis/networking.k8s.io/v1/networkpolicies"]);
    dir.write("raw-netpol.json", raw_policies.as_bytes());
    assert_eq!(
        connlist_of(dir.path(), &["raw-pods.json", "raw-netpol.json", "ns.json"], None),
        expected,
        "kubectl get --raw (typed lists)"
    );

    // A generic v1 List in YAML, and `get all`, which adds Services to the pods.
    dir.write("pods.yaml", get(&["get", "pods", "-A", "-o", "yaml"]).as_bytes());
    assert_eq!(
        connlist_of(dir.path(), &["pods.yaml", "netpol.json", "ns.json"], None),
        expected,
        "-o yaml"
    );
    let all = get(&["get", "all", "-A", "-o", "yaml"]);
    assert!(all.contains("kind: Service"), "get all lists Services too:\n{all}");
    dir.write("all.yaml", all.as_bytes());
    assert_eq!(
        connlist_of(dir.path(), &["all.yaml", "netpol.json", "ns.json"], None),
        expected,
        "get all"
    );

    // Several `kubectl get -o json` piped together into `netplay connlist -`.
    let pods = get(&["get", "pods", "-A", "-o", "json"]);
    let piped = format!("{namespaces}{pods}{policies}");
    assert_eq!(
        connlist_of(dir.path(), &["-"], Some(&piped)),
        expected,
        "JSON piped on stdin"
    );

    // One object at a time (`kubectl get pod NAME -o yaml`) reads as that object.
    let one = get(&["get", "pod", "-n", "kube-system", "etcd-minikube", "-o", "yaml"]);
    assert!(one.starts_with("apiVersion: v1\nkind: Pod\n"), "{one}");
}
