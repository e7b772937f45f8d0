//! What the tests of `netplay` against a cluster share: a loopback API server
//! (netplay-testkube) with a kubeconfig for it, the binary run as a user runs it (no
//! KUBECONFIG, HOME in a temp dir), the check that no run ever prints the kubeconfig's
//! token, and seeding the server with the objects of manifest files.

use super::{workspace_root, Netplay, Run, TempDir};
use netplay_testkube::{Options, TestKube};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The bearer token of every generated kubeconfig; it must never be printed.
pub const TOKEN: &str = "s3cr3t-token-never-printed";

/// A loopback server and a kubeconfig for it (context `test`).
pub struct Env {
    pub kube: TestKube,
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env::with(Options::default())
    }

    pub fn with(options: Options) -> Env {
        let kube = TestKube::start_with(options);
        let dir = TempDir::new("cluster");
        std::fs::write(dir.0.join("kubeconfig"), kube.kubeconfig("test", TOKEN)).expect("kubeconfig");
        Env { kube, dir }
    }

    pub fn kubeconfig(&self) -> String {
        self.file("kubeconfig")
    }

    /// The path of `name` in the env's temp dir.
    pub fn file(&self, name: &str) -> String {
        self.dir.0.join(name).display().to_string()
    }

    /// Runs `netplay ARGS` in the workspace root with HOME in the temp dir.
    pub fn netplay(&self, args: &[&str]) -> Run {
        checked(
            Netplay::new(args)
                .env("HOME", &self.dir.0)
                .env_remove("KUBECONFIG")
                .run(),
        )
    }

    /// Runs `netplay ARGS --kubeconfig KUBECONFIG` (the kubeconfig's temporary path is left
    /// out of the transcript).
    pub fn live(&self, args: &[&str]) -> Run {
        checked(
            Netplay::new(args)
                .hidden_args(&["--kubeconfig", &self.kubeconfig()])
                .env("HOME", &self.dir.0)
                .env_remove("KUBECONFIG")
                .run(),
        )
    }

    /// Every request was a read.
    pub fn assert_read_only(&self) {
        for r in self.kube.requests() {
            assert_eq!(r.method, "GET", "{r:?}");
        }
    }
}

/// Runs `netplay ARGS` with HOME set to `home` and no KUBECONFIG.
pub fn netplay_at_home(home: &Path, args: &[&str]) -> Run {
    checked(Netplay::new(args).env("HOME", home).env_remove("KUBECONFIG").run())
}

/// The run, after checking that it printed no token and did not panic.
fn checked(run: Run) -> Run {
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "the token was printed:\n{}",
        run.transcript()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    run
}

/// Every Kubernetes object of the YAML and JSON files under `dir` (Lists stand for their
/// items), in file order. Documents that are not valid YAML are skipped, as netplay skips
/// them.
pub fn objects_of(dir: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        // One document at a time, so that a broken one does not stop the reader.
        let mut documents = vec![String::new()];
        for line in text.lines() {
            if line == "---" || line.starts_with("--- ") {
                documents.push(String::new());
            } else if let Some(doc) = documents.last_mut() {
                doc.push_str(line);
                doc.push('\n');
            }
        }
        for doc in documents {
            let Ok(value) = serde_yaml::from_str::<Value>(&doc) else {
                continue;
            };
            match value["items"].as_array() {
                Some(items) if value["kind"].as_str().is_some_and(|k| k.ends_with("List")) => {
                    out.extend(items.iter().cloned())
                }
                _ if value.is_object() => out.push(value),
                _ => {}
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(p);
        }
    }
}

/// The objects of manifest files under the workspace root.
pub fn objects_at(path: &str) -> Vec<Value> {
    objects_of(&workspace_root().join(path))
}

/// Puts the objects on the server as `kubectl apply` would (namespaced objects without a
/// namespace go to `default`). `Err` names the first kind the server does not serve.
pub fn seed(kube: &TestKube, objects: &[Value]) -> Result<(), String> {
    for o in objects {
        let api_version = o["apiVersion"].as_str().unwrap_or_default();
        let kind = o["kind"].as_str().unwrap_or_default();
        let Some(namespaced) = kube.serves(api_version, kind) else {
            return Err(format!("{api_version} {kind}"));
        };
        let mut o = o.clone();
        if namespaced && o["metadata"]["namespace"].is_null() {
            o["metadata"]["namespace"] = "default".into();
        }
        kube.apply_as("seed", o);
    }
    Ok(())
}

/// The path of `name` inside a temp dir, as an argument.
pub fn file_in(dir: &TempDir, name: &str) -> String {
    dir.0.join(name).display().to_string()
}
