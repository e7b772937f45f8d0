//! The fuzz targets' inputs, replayed on stable Rust in the normal test suite: every file
//! of the minimised corpora (`crates/fuzz/corpus/<target>/`) and every input that once
//! crashed a target (`crates/fuzz/regressions/<target>/`, each a regression test) goes
//! through the same function the fuzz target calls (`crates/fuzz/src/lib.rs`, included
//! here). docs/robustness.md has the runs; crates/fuzz/README.md says how to fuzz.
//!
//! `NETPLAY_FUZZ_SEEDS=DIR cargo test -p netplay-core --test fuzz_replay write_seeds --
//! --ignored` writes seed inputs made from the repository's test data to `DIR/<target>/`,
//! the starting point of a fuzzing run.

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod harness;

use netplay_core::{export, SourceFile};
use std::path::{Path, PathBuf};

/// A target's name and the function it calls.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 7] = [
    ("scenario", harness::scenario),
    ("mesh_request", harness::mesh_request),
    ("share_link", harness::share_link),
    ("bundle", harness::bundle),
    ("address_plan", harness::address_plan),
    ("assertions", harness::assertions),
    ("lesson", harness::lesson),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let mut count = 0;
    for (target, run) in TARGETS {
        for path in inputs(&fuzz_dir().join(kind).join(target)) {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // A panic names the input through this message.
            eprintln!("replaying {}", path.display());
            run(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn every_crash_the_fuzzers_found_stays_fixed() {
    // Zero is fine (no crash found yet for the targets); the directory must exist.
    assert!(
        fuzz_dir().join("regressions").is_dir(),
        "crates/fuzz/regressions is missing"
    );
    replay("regressions");
}

#[test]
fn the_minimised_corpora_replay_without_a_panic() {
    let count = replay("corpus");
    assert!(count >= TARGETS.len(), "the corpora are missing: {count} inputs");
}

// ---------------------------------------------------------------------------------------
// Seeds

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The YAML and JSON files under `dir`, named relative to it.
fn manifests(dir: &Path) -> Vec<SourceFile> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                && path.file_name().is_some_and(|n| n != "expected.json")
            {
                let name = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().to_string();
                out.push(SourceFile::new(
                    name,
                    std::fs::read_to_string(&path).unwrap_or_default(),
                ));
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn write(out: &Path, target: &str, name: &str, data: &[u8]) {
    let dir = out.join(target);
    std::fs::create_dir_all(&dir).expect("create the seed directory");
    std::fs::write(dir.join(name), data).expect("write a seed");
}

#[test]
#[ignore = "writes seed inputs for a fuzzing run: NETPLAY_FUZZ_SEEDS=DIR"]
fn write_seeds() {
    let Some(out) = std::env::var_os("NETPLAY_FUZZ_SEEDS").map(PathBuf::from) else {
        panic!("set NETPLAY_FUZZ_SEEDS to the directory to write seeds to");
    };
    let mut sets = Vec::new();
    for group in [
        "tests/scenarios",
        "tests/multicluster",
        "tests/plans",
        "tests/mesh-analyzers",
    ] {
        for dir in subdirs(&repo().join(group)) {
            let name = dir.file_name().unwrap_or_default().to_string_lossy().to_string();
            sets.push((
                format!("{}-{name}", group.trim_start_matches("tests/")),
                manifests(&dir),
            ));
        }
    }
    for (name, files) in &sets {
        if files.is_empty() {
            continue;
        }
        let bytes = harness::bytes_from_files(files);
        write(&out, "scenario", name, &bytes);
        if name.starts_with("plans-") {
            write(&out, "address_plan", name, &bytes);
        }
        write(&out, "share_link", name, export::encode_share(files).as_bytes());
        if let Ok(zip) = export::bundle(name, files) {
            write(&out, "bundle", name, &zip);
        }
    }
    for dir in subdirs(&repo().join("tests/mesh-scenarios")) {
        let name = dir.file_name().unwrap_or_default().to_string_lossy().to_string();
        let files = manifests(&dir);
        let requests = std::fs::read_to_string(dir.join("requests.txt")).unwrap_or_default();
        for (i, request) in requests.lines().filter(|l| l.starts_with("--")).enumerate() {
            let mut bytes = format!("{request}\n").into_bytes();
            bytes.extend(harness::bytes_from_files(&files));
            write(&out, "mesh_request", &format!("{name}-{i}"), &bytes);
        }
    }
    write_assertion_seeds(&out);
    for lesson in inputs(&repo().join("crates/core/lessons")) {
        let name = lesson.file_name().unwrap_or_default().to_string_lossy().to_string();
        write(&out, "lesson", &name, &std::fs::read(&lesson).unwrap_or_default());
    }
}

/// `Assertions` documents of the CLI's tests and the library, each with the manifests it
/// tests (as `netplay test` is run on them), and each alone.
fn write_assertion_seeds(out: &Path) {
    let inputs = repo().join("crates/cli/tests/inputs");
    let shop = manifests(&inputs.join("shop"));
    for name in ["shop-holds", "shop-breaks", "invalid"] {
        let path = inputs.join("assertions").join(format!("{name}.yaml"));
        let mut files = vec![SourceFile::new(
            format!("{name}.yaml"),
            std::fs::read_to_string(&path).unwrap_or_default(),
        )];
        write(
            out,
            "assertions",
            &format!("{name}-alone"),
            &harness::bytes_from_files(&files),
        );
        files.extend(shop.iter().cloned());
        write(out, "assertions", name, &harness::bytes_from_files(&files));
    }
    for (name, dir) in [
        ("with-manifests", inputs.join("assertions/with-manifests")),
        ("ci-base", inputs.join("ci/base")),
    ] {
        write(out, "assertions", name, &harness::bytes_from_files(&manifests(&dir)));
    }
    let mut mesh = vec![SourceFile::new(
        "mesh.yaml",
        std::fs::read_to_string(inputs.join("assertions/mesh.yaml")).unwrap_or_default(),
    )];
    for dir in ["applications", "network-policies", "istio-config"] {
        mesh.extend(manifests(&repo().join("manifests").join(dir)));
    }
    write(out, "assertions", "mesh", &harness::bytes_from_files(&mesh));
    let library = manifests(&repo().join("tests/library-observability"));
    write(
        out,
        "assertions",
        "library-observability",
        &harness::bytes_from_files(&library),
    );
}
