//! Lists the built-in scenarios for the app: every directory of `manifests/` (and the
//! whole library at once), every `tests/scenarios/<name>/` and `tests/mesh-scenarios/<name>/`,
//! with their README as the description.
//!
//! Also lists the built-in lessons (crates/core/lessons/, in teaching order).
//!
//! The wasm build compiles in the texts of the default scenario only; the others and the
//! lessons are static files next to the app (Trunk copies the four directories into
//! `dist/builtin/`, www/index.html) that it fetches when needed, and checks against the
//! fingerprint written here. That keeps ~140 KB gzip of example text out of the download.
//! Native builds (the crate's unit tests) compile every text in.

#[path = "src/fingerprint.rs"]
mod fingerprint;

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    manifest_files_with(dir, out, "yaml");
}

/// The files under `dir` (recursively, sorted by path) with extension `kind`: `yaml`
/// stands for `.yaml`, `.yml` and `.json`, anything else for itself.
fn manifest_files_with(dir: &Path, out: &mut Vec<PathBuf>, kind: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if p.is_dir() {
            manifest_files_with(&p, out, kind);
        } else if ext == kind || (kind == "yaml" && matches!(ext, "yml" | "json")) {
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

/// The scenario the app opens with (`builtin::DEFAULT`): its texts are always compiled in.
const DEFAULT: &str = "network-policies";

/// Where Trunk puts each source directory inside `dist/` (www/index.html's copy-dir links).
fn served_url(root: &Path, file: &Path) -> String {
    let served = [
        ("manifests", "builtin/library"),
        ("tests/scenarios", "builtin/scenarios"),
        ("tests/mesh-scenarios", "builtin/mesh"),
        ("crates/core/lessons", "builtin/lessons"),
    ];
    for (dir, url) in served {
        if let Ok(rest) = file.strip_prefix(root.join(dir)) {
            return format!("{url}/{}", rest.to_string_lossy().replace('\\', "/"));
        }
    }
    panic!("{} is not in a served directory", file.display())
}

/// `Some(include_str!(..))` when the text is compiled in, else `None`.
fn text_literal(file: &Path, embed: bool) -> String {
    if embed {
        format!(
            "Some(include_str!({:?}))",
            file.canonicalize().unwrap_or(file.to_path_buf())
        )
    } else {
        "None".to_string()
    }
}

/// A file as `Asset { url, fingerprint, text }`.
fn asset_literal(root: &Path, file: &Path, embed: bool) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    format!(
        "Asset {{ url: {:?}, fingerprint: {:#x}, text: {} }}",
        served_url(root, file),
        fingerprint::fingerprint(&text),
        text_literal(file, embed)
    )
}

/// The `name:` lines of a scenario's files: what makes work recognisably that example
/// (`State::replaced_builtin`).
fn distinctive_lines(files: &[(String, PathBuf)]) -> std::collections::BTreeSet<String> {
    files
        .iter()
        .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
        .flat_map(|t| t.lines().map(str::trim).map(str::to_string).collect::<Vec<_>>())
        .filter(|l| l.trim_start_matches("- ").starts_with("name:"))
        .collect()
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

    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let mut code = String::from("/// Built-in scenarios (see build.rs).\npub const BUILTIN: &[Builtin] = &[\n");
    for s in &scenarios {
        let embed = !wasm || s.name == DEFAULT;
        let desc = match &s.description {
            Some(p) => format!("Some({})", asset_literal(&root, p, embed)),
            None => "None".to_string(),
        };
        let requests = match &s.requests {
            Some(p) => format!("Some({})", asset_literal(&root, p, embed)),
            None => "None".to_string(),
        };
        let _ = writeln!(
            code,
            "    Builtin {{ group: {:?}, name: {:?}, description: {desc}, requests: {requests},",
            s.group, s.name
        );
        // Fingerprints, not the lines: the app only asks whether a line is one of them.
        let mut distinctive: Vec<u64> = distinctive_lines(&s.files)
            .iter()
            .map(|l| fingerprint::fingerprint(l))
            .collect();
        distinctive.sort_unstable();
        let _ = writeln!(code, "        distinctive: &{distinctive:?},");
        // Every file is served at the same prefix plus its name in the editor: the prefix
        // once, not a URL per file.
        let base = match s.files.first() {
            Some((path, file)) => served_url(&root, file)
                .strip_suffix(path.as_str())
                .unwrap_or_default()
                .to_string(),
            None => String::new(),
        };
        let _ = writeln!(code, "        base: {base:?},");
        code.push_str("        files: &[\n");
        for (path, file) in &s.files {
            assert_eq!(
                served_url(&root, file),
                format!("{base}{path}"),
                "{} is not served at its name",
                file.display()
            );
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let _ = writeln!(
                code,
                "            BuiltinFile {{ name: {path:?}, fingerprint: {:#x}, text: {} }},",
                fingerprint::fingerprint(&text),
                text_literal(file, embed)
            );
        }
        code.push_str("    ] },\n");
    }
    code.push_str("];\n");

    // The lessons, named as core names them (`lessons/NN-id.md`), served at `builtin/` + name.
    let lessons_dir = root.join("crates/core/lessons");
    println!("cargo:rerun-if-changed={}", lessons_dir.display());
    let mut lessons = Vec::new();
    manifest_files_with(&lessons_dir, &mut lessons, "md");
    code.push_str("/// Built-in lessons, in teaching order (see build.rs).\npub const LESSONS: &[BuiltinFile] = &[\n");
    for file in &lessons {
        let name = format!("lessons/{}", relative(&lessons_dir, file));
        assert_eq!(served_url(&root, file), format!("builtin/{name}"));
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let _ = writeln!(
            code,
            "    BuiltinFile {{ name: {name:?}, fingerprint: {:#x}, text: {} }},",
            fingerprint::fingerprint(&text),
            text_literal(file, !wasm)
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
