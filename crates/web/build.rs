//! Compiles the built-in scenarios into the app: every directory of `manifests/` (and the
//! whole library at once) and every `tests/scenarios/<name>/`, with their README as the
//! description. The app stays a static page: nothing is fetched at run time.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            manifest_files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(p);
        }
    }
}

/// The subdirectories of `dir`, sorted.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

struct Scenario {
    group: &'static str,
    name: String,
    description: Option<PathBuf>,
    /// Example requests for the Mesh view (`requests.txt` of a mesh scenario).
    requests: Option<PathBuf>,
    files: Vec<(String, PathBuf)>,
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../..");
    let manifests = root.join("manifests");
    let scenarios_dir = root.join("tests/scenarios");
    println!("cargo:rerun-if-changed={}", manifests.display());
    println!("cargo:rerun-if-changed={}", scenarios_dir.display());

    let mut scenarios: Vec<Scenario> = Vec::new();
    let relative = |base: &Path, p: &Path| p.strip_prefix(base).unwrap_or(p).to_string_lossy().replace('\\', "/");

    let mut all = Vec::new();
    manifest_files(&manifests, &mut all);
    if !all.is_empty() {
        let top_level: Vec<PathBuf> = all
            .iter()
            .filter(|p| p.parent() == Some(manifests.as_path()))
            .cloned()
            .collect();
        // A folder of policies or mesh config means little without the demo app: every
        // library scenario is namespaces.yaml + applications/ + the folder.
        let applications = manifests.join("applications");
        // The multi-cluster examples describe their own clusters: the demo app would be
        // copied into each of them (objects naming no cluster are in every cluster), so
        // they stand alone, and stay out of "everything".
        let multi_cluster = manifests.join("multi-cluster");
        for dir in subdirs(&manifests) {
            let mut files = if dir == multi_cluster {
                Vec::new()
            } else {
                top_level.clone()
            };
            if dir != applications && dir != multi_cluster {
                manifest_files(&applications, &mut files);
            }
            manifest_files(&dir, &mut files);
            let readme = dir.join("README.md");
            scenarios.push(Scenario {
                group: "Example library",
                name: relative(&manifests, &dir),
                description: readme.exists().then_some(readme),
                requests: None,
                files: files.iter().map(|p| (relative(&manifests, p), p.clone())).collect(),
            });
        }
        let readme = manifests.join("README.md");
        scenarios.push(Scenario {
            group: "Example library",
            name: "everything".into(),
            description: readme.exists().then_some(readme),
            requests: None,
            files: all
                .iter()
                .filter(|p| !p.starts_with(&multi_cluster))
                .map(|p| (relative(&manifests, p), p.clone()))
                .collect(),
        });
    }
    for dir in subdirs(&scenarios_dir) {
        let mut files = Vec::new();
        manifest_files(&dir, &mut files);
        let readme = dir.join("README.md");
        scenarios.push(Scenario {
            group: "Semantics, one rule at a time",
            name: relative(&scenarios_dir, &dir),
            description: readme.exists().then_some(readme),
            requests: None,
            files: files.iter().map(|p| (relative(&dir, p), p.clone())).collect(),
        });
    }
    let mesh_dir = root.join("tests/mesh-scenarios");
    println!("cargo:rerun-if-changed={}", mesh_dir.display());
    for dir in subdirs(&mesh_dir) {
        let manifests_dir = dir.join("manifests");
        let mut files = Vec::new();
        manifest_files(&manifests_dir, &mut files);
        let readme = dir.join("README.md");
        let requests = dir.join("requests.txt");
        scenarios.push(Scenario {
            group: "Service mesh (Istio)",
            name: format!("mesh/{}", relative(&mesh_dir, &dir)),
            description: readme.exists().then_some(readme),
            requests: requests.exists().then_some(requests),
            files: files.iter().map(|p| (relative(&manifests_dir, p), p.clone())).collect(),
        });
    }

    let mut code = String::from(
        "/// Built-in scenarios: (group, name, description, [(path, text)]).\npub const BUILTIN: &[Builtin] = &[\n",
    );
    for s in &scenarios {
        let desc = match &s.description {
            Some(p) => format!("Some(include_str!({:?}))", p.canonicalize().unwrap_or(p.clone())),
            None => "None".to_string(),
        };
        let requests = match &s.requests {
            Some(p) => format!("Some(include_str!({:?}))", p.canonicalize().unwrap_or(p.clone())),
            None => "None".to_string(),
        };
        let _ = writeln!(
            code,
            "    Builtin {{ group: {:?}, name: {:?}, description: {desc}, requests: {requests}, files: &[",
            s.group, s.name
        );
        for (path, file) in &s.files {
            let _ = writeln!(
                code,
                "        ({path:?}, include_str!({:?})),",
                file.canonicalize().unwrap_or(file.clone())
            );
        }
        code.push_str("    ] },\n");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
