//! `netplay apply --prune` and `kubectl apply --server-side --prune --applyset` (v1.32,
//! `KUBECTL_APPLYSET=true`, `--validate=false`) run against two fresh loopback API servers
//! (netplay-testkube) with the same objects; their request logs must agree where the
//! protocol says they should.
//!
//! What is compared, after normalising (see `normalise`):
//! - every server-side apply PATCH: path, query, content type and body (as JSON);
//! - the ApplySet parent's labels and annotations, before and after pruning;
//! - the label-selected LISTs of pruning and the DELETEs they lead to.
//!
//! Deliberate differences, normalised away or left out:
//! - the field manager is `netplay`, not `kubectl` (each tool owns what it applied; equal
//!   values are shared, not conflicting);
//! - kubectl sends `force=false` and `fieldValidation=Ignore` (`--validate=false`);
//!   netplay leaves both out, which the server reads as no force and its default
//!   validation;
//! - the tooling annotation is `netplay/VERSION` on a set netplay makes (kubectl refuses
//!   to manage such a set; netplay keeps `kubectl/VERSION` on a set kubectl made, so the
//!   two take turns on it: see the second test);
//! - netplay writes the parent with `force=true` (kubectl without): the parent's
//!   annotations must follow the set whoever last changed it, and kubectl's field
//!   manager owns them after a kubectl run;
//! - netplay GETs each object before applying it (to report created / configured /
//!   unchanged) and uses its own discovery requests; GETs are not compared;
//! - the order of the PATCHes: kubectl applies in file order, netplay in install order;
//! - kubectl deletes with a DeleteOptions body of its own; the DELETE paths are compared.
//!
//! Skipped (with a message) when `kubectl` is not installed.

mod common;

use common::{workspace_root, TempDir};
use netplay_testkube::TestKube;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const TOKEN: &str = "compare-token";

fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("KUBECTL").map_or_else(|| PathBuf::from("/usr/bin/kubectl"), PathBuf::from);
    path.exists().then_some(path)
}

/// A server with namespace `shop` already there (an ApplySet parent needs its namespace).
fn server() -> TestKube {
    server_with(false)
}

fn server_with(aggregated_discovery: bool) -> TestKube {
    let kube = TestKube::start_with(netplay_testkube::Options {
        aggregated_discovery,
        // The aggregated variant also runs over HTTPS (a self-signed CA in the kubeconfig).
        tls: aggregated_discovery,
        ..netplay_testkube::Options::default()
    });
    kube.apply_as(
        "setup",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    kube
}

fn write_objects(dir: &Path, with_configmap: bool) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("objects dir");
    let files: &[(&str, &str)] = &[
        (
            "policy.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\n\
             spec:\n  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - ports:\n    - port: 80\n",
        ),
        (
            "web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 2\n\
             \x20 selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n\
             \x20   spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n---\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    app: web\n\
             \x20 ports:\n  - port: 80\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    if with_configmap {
        std::fs::write(
            dir.join("config.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\ndata:\n  greeting: hello\n",
        )
        .expect("write");
    }
}

fn run(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("KUBECONFIG")
        .current_dir(workspace_root())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The requests that the protocol fixes, each as one comparable JSON value.
fn normalise(kube: &TestKube) -> Vec<Value> {
    let mut out = Vec::new();
    for r in kube.requests() {
        let query: Vec<(String, String)> = {
            let mut q: Vec<(String, String)> = r
                .query
                .iter()
                .filter(|(k, v)| {
                    let parent = r.path.contains("/secrets/");
                    !(k == "force" && (v == "false" || parent)) && k != "fieldValidation"
                })
                .map(|(k, v)| match k.as_str() {
                    "fieldManager" => (k.clone(), "MANAGER".to_string()),
                    _ => (k.clone(), v.clone()),
                })
                .collect();
            q.sort();
            q
        };
        match r.method.as_str() {
            "PATCH" => {
                let mut body: Value = serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone()));
                // Go writes an unset creationTimestamp as null; the server ignores it.
                if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
                    if meta.get("creationTimestamp") == Some(&Value::Null) {
                        meta.remove("creationTimestamp");
                    }
                }
                if let Some(tooling) = body
                    .pointer_mut("/metadata/annotations")
                    .and_then(Value::as_object_mut)
                    .and_then(|a| a.get_mut("applyset.kubernetes.io/tooling"))
                {
                    *tooling = json!(tooling
                        .as_str()
                        .and_then(|t| t.split('/').next())
                        .map(|_| "TOOL/VERSION"));
                }
                out.push(json!({"method": "PATCH", "path": r.path, "query": query,
                                "contentType": r.content_type, "body": body}));
            }
            "GET" if r.param("labelSelector").is_some() => {
                out.push(json!({"method": "LIST", "path": r.path, "query": query}));
            }
            "DELETE" => out.push(json!({"method": "DELETE", "path": r.path})),
            _ => {}
        }
    }
    out
}

/// PATCHes of members sorted (the tools apply in different orders), everything else in
/// the order sent.
fn canonical(log: Vec<Value>) -> Vec<Value> {
    let is_parent = |v: &Value| v["path"].as_str().is_some_and(|p| p.contains("/secrets/"));
    let mut members: Vec<Value> = log
        .iter()
        .filter(|v| v["method"] == "PATCH" && !is_parent(v))
        .cloned()
        .collect();
    members.sort_by_key(|v| v.to_string());
    let mut rest: Vec<Value> = log
        .into_iter()
        .filter(|v| v["method"] != "PATCH" || is_parent(v))
        .collect();
    // LISTs of pruning in a canonical order too (kubectl walks a map).
    rest.sort_by_key(|v| {
        (
            match v["method"].as_str() {
                Some("PATCH") => 0,
                Some("LIST") => 1,
                _ => 2,
            },
            v.to_string(),
        )
    });
    let mut out = members;
    out.extend(rest);
    out
}

#[test]
fn netplay_and_kubectl_send_the_same_applyset_requests() {
    compare(false);
}

/// With aggregated discovery both tools skip the per-group documents; the rest agrees.
/// This one runs over HTTPS.
#[test]
fn netplay_and_kubectl_agree_with_aggregated_discovery_too() {
    compare(true);
}

fn compare(aggregated: bool) {
    let Some(kubectl) = kubectl() else {
        eprintln!("skipped: kubectl is not installed (set KUBECTL to its path)");
        return;
    };
    let dir = TempDir::new(if aggregated { "aggregated" } else { "legacy" });
    let objects = dir.0.join("objects");
    let objects_arg = objects.display().to_string();
    let cache = dir.0.join("cache").display().to_string();
    let (k_server, n_server) = (server_with(aggregated), server_with(aggregated));
    let k_config = dir.0.join("kubectl.kubeconfig");
    let n_config = dir.0.join("netplay.kubeconfig");
    std::fs::write(&k_config, k_server.kubeconfig("compare", TOKEN)).expect("kubeconfig");
    std::fs::write(&n_config, n_server.kubeconfig("compare", TOKEN)).expect("kubeconfig");
    let (k_config, n_config) = (k_config.display().to_string(), n_config.display().to_string());
    let mut logs = Vec::new();
    // First with the ConfigMap, then without it: the second run prunes it.
    for with_configmap in [true, false] {
        write_objects(&objects, with_configmap);
        k_server.clear_requests();
        n_server.clear_requests();
        let (code, out, err) = run(
            &kubectl,
            &[
                "apply",
                "--server-side",
                "--validate=false",
                "--prune",
                "--applyset=shop-set",
                "-n",
                "shop",
                "-R",
                "-f",
                &objects_arg,
                "--kubeconfig",
                &k_config,
                "--cache-dir",
                &cache,
            ],
            &[("KUBECTL_APPLYSET", "true"), ("HOME", dir.0.to_str().unwrap_or("/tmp"))],
        );
        assert_eq!(code, 0, "kubectl:\n{out}\n{err}");
        let (code, out, err) = run(
            Path::new(env!("CARGO_BIN_EXE_netplay")),
            &[
                "apply",
                &objects_arg,
                "--prune",
                "--applyset",
                "shop-set",
                "-n",
                "shop",
                "--kubeconfig",
                &n_config,
            ],
            &[],
        );
        assert_eq!(code, 0, "netplay:\n{out}\n{err}");
        // (kubectl caches discovery in --cache-dir: only its first run asks.)
        for (tool, server) in [("kubectl", &k_server), ("netplay", &n_server)] {
            if tool == "kubectl" && !with_configmap {
                continue;
            }
            let group_documents = server.requests().iter().filter(|r| r.path == "/apis/apps/v1").count();
            assert_eq!(
                group_documents == 0,
                aggregated,
                "{tool} with aggregated discovery {aggregated}"
            );
        }
        logs.push((canonical(normalise(&k_server)), canonical(normalise(&n_server))));
    }
    for (run, (k, n)) in logs.iter().enumerate() {
        let pretty = |v: &Vec<Value>| serde_json::to_string_pretty(v).unwrap_or_default();
        assert_eq!(
            pretty(n),
            pretty(k),
            "run {}: netplay (left) and kubectl (right) differ",
            run + 1
        );
    }
    // The comparison covers pruning: the second run lists the set's members and deletes
    // the ConfigMap.
    let (kubectl_second, _) = &logs[1];
    assert!(
        kubectl_second.iter().any(|v| v["method"] == "LIST"),
        "{kubectl_second:?}"
    );
    assert!(
        kubectl_second
            .iter()
            .any(|v| v["method"] == "DELETE" && v["path"] == "/api/v1/namespaces/shop/configmaps/web-config"),
        "{kubectl_second:?}"
    );
    // And both servers hold the same set in the end.
    assert_eq!(n_server.names(), k_server.names());
    assert!(n_server.object("v1", "ConfigMap", "shop", "web-config").is_none());
}

#[test]
fn netplay_and_kubectl_take_turns_managing_one_applyset() {
    let Some(kubectl) = kubectl() else {
        eprintln!("skipped: kubectl is not installed (set KUBECTL to its path)");
        return;
    };
    let dir = TempDir::new("turns");
    let objects = dir.0.join("objects");
    let objects_arg = objects.display().to_string();
    let cache = dir.0.join("cache").display().to_string();
    let kube = server();
    let config = dir.0.join("kubeconfig");
    std::fs::write(&config, kube.kubeconfig("compare", TOKEN)).expect("kubeconfig");
    let config = config.display().to_string();
    let home = dir.0.display().to_string();
    let kubectl_apply = || {
        run(
            &kubectl,
            &[
                "apply",
                "--server-side",
                "--validate=false",
                "--prune",
                "--applyset=shop-set",
                "-n",
                "shop",
                "-R",
                "-f",
                &objects_arg,
                "--kubeconfig",
                &config,
                "--cache-dir",
                &cache,
            ],
            &[("KUBECTL_APPLYSET", "true"), ("HOME", &home)],
        )
    };
    let netplay_apply = || {
        run(
            Path::new(env!("CARGO_BIN_EXE_netplay")),
            &[
                "apply",
                &objects_arg,
                "--prune",
                "--applyset",
                "shop-set",
                "-n",
                "shop",
                "--kubeconfig",
                &config,
            ],
            &[],
        )
    };
    let configmap = || kube.object("v1", "ConfigMap", "shop", "web-config").is_some();

    // kubectl makes the set, netplay prunes from it, kubectl prunes what netplay added.
    write_objects(&objects, true);
    let (code, out, err) = kubectl_apply();
    assert_eq!(code, 0, "kubectl:\n{out}\n{err}");
    write_objects(&objects, false);
    let (code, out, err) = netplay_apply();
    assert_eq!(code, 0, "netplay after kubectl:\n{out}\n{err}");
    assert!(!configmap(), "netplay pruned what kubectl applied");
    write_objects(&objects, true);
    let (code, out, err) = netplay_apply();
    assert_eq!(code, 0, "netplay:\n{out}\n{err}");
    assert!(configmap());
    write_objects(&objects, false);
    let (code, out, err) = kubectl_apply();
    assert_eq!(code, 0, "kubectl after netplay:\n{out}\n{err}");
    assert!(!configmap(), "kubectl pruned what netplay applied");
}

/// DESIGN: `kubectl apply -R -f` works on the unpacked folder of a bundle. kubectl reads
/// every `.json` there, `bundle.json` too (an empty `v1 List` to it), and the bundle holds
/// none of netplay's own documents (the AddressPlan here), which no cluster knows.
#[test]
fn kubectl_applies_the_unpacked_bundle_folder() {
    let Some(kubectl) = kubectl() else {
        panic!("kubectl is not installed (set KUBECTL to its path)");
    };
    let dir = TempDir::new("unpacked");
    let secret = dir.0.join("secret.yaml");
    std::fs::write(
        &secret,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: database\nstringData:\n  password: hunter2\n",
    )
    .expect("write");
    let zip = dir.0.join("bundle.zip");
    let (code, _, err) = run(
        Path::new(env!("CARGO_BIN_EXE_netplay")),
        &[
            "bundle",
            "manifests/namespaces.yaml",
            "manifests/network-policies",
            "manifests/custom-cni/address-plan.yaml",
            "manifests/custom-cni/cilium-custom-config.yaml",
            secret.to_str().expect("utf-8"),
            "-o",
            zip.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("left out AddressPlan") && err.contains("left out Secret database/db"),
        "{err}"
    );
    let unpacked = dir.0.join("unpacked");
    let (code, _, err) = run(
        Path::new("python3"),
        &[
            "-m",
            "zipfile",
            "-e",
            zip.to_str().expect("utf-8"),
            unpacked.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(code, 0, "unzip: {err}");
    assert!(unpacked.join("bundle.json").exists());

    let kube = server();
    let config = dir.0.join("kubeconfig");
    std::fs::write(&config, kube.kubeconfig("unpacked", TOKEN)).expect("kubeconfig");
    let (unpacked_arg, config_arg) = (unpacked.display().to_string(), config.display().to_string());
    let cache = dir.0.join("cache").display().to_string();
    let home = dir.0.display().to_string();
    let apply = || {
        run(
            &kubectl,
            &[
                "apply",
                "--server-side",
                "--validate=false",
                "-R",
                "-f",
                &unpacked_arg,
                "--kubeconfig",
                &config_arg,
                "--cache-dir",
                &cache,
            ],
            &[("HOME", &home)],
        )
    };
    // kubectl applies objects in file order, so a namespace created by a later file may
    // be missing for an earlier one on the first run; the second run converges.
    let (mut code, mut out, mut err) = apply();
    if code != 0 {
        (code, out, err) = apply();
    }
    assert_eq!(code, 0, "kubectl failed on the unpacked bundle:\n{out}\n{err}");
    assert!(
        out.contains("networkpolicy.networking.k8s.io/default-deny-all serverside-applied"),
        "{out}"
    );
    assert!(out.contains("configmap/cilium-config serverside-applied"), "{out}");
    assert!(
        kube.object("v1", "Secret", "database", "db").is_none(),
        "the Secret stayed out"
    );
}
