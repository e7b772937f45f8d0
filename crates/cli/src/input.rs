//! Reading the user's paths: files, directories (recursively), bundles, or `-` for stdin.

use netplay_core::SourceFile;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `-n/--namespace`: the namespace of objects read from files that name none.
static DEFAULT_NAMESPACE: Mutex<Option<String>> = Mutex::new(None);

pub fn set_default_namespace(namespace: Option<String>) {
    *DEFAULT_NAMESPACE.lock().unwrap_or_else(|e| e.into_inner()) = namespace;
}

fn default_namespace() -> Option<String> {
    DEFAULT_NAMESPACE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// Directories already walked (by their canonical path): a symbolic link back to an
/// ancestor, or two links to one directory, are followed once, never in a loop.
struct Walk {
    seen_dirs: HashSet<PathBuf>,
    seen_files: HashSet<PathBuf>,
}

impl Walk {
    fn dir(&mut self, dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
        match std::fs::canonicalize(dir) {
            Ok(real) => {
                if !self.seen_dirs.insert(real) {
                    return;
                }
            }
            Err(e) => {
                problems.push(format!("{}: cannot read directory: {e}", dir.display()));
                return;
            }
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{}: cannot read directory: {e}", dir.display()));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                self.dir(&p, out, problems);
            } else if is_manifest(&p) && self.first_time(&p) {
                out.push(p);
            }
        }
    }

    /// Whether a file is reached for the first time (two links to one file read it once).
    fn first_time(&mut self, file: &Path) -> bool {
        std::fs::canonicalize(file).map_or(true, |real| self.seen_files.insert(real))
    }
}

/// What was read, and what could not be.
pub struct Input {
    pub files: Vec<SourceFile>,
    pub problems: Vec<String>,
}

/// Reads every path. A file named explicitly is read whatever its extension; a bundle
/// (a zip written by `netplay bundle` or the web export) contributes its files, named
/// `BUNDLE/path`, after its checksums are verified; directories contribute their `.yaml`,
/// `.yml` and `.json` files. Text is decoded by core (UTF-8, UTF-16); bytes that cannot
/// be text are a problem that names the file.
pub fn read_paths(paths: &[PathBuf]) -> Input {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut walk = Walk {
        seen_dirs: HashSet::new(),
        seen_files: HashSet::new(),
    };
    for path in paths {
        if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            match std::io::stdin().read_to_end(&mut buf) {
                Ok(_) => push_decoded(&mut files, &mut problems, "<stdin>".to_string(), &buf),
                Err(e) => problems.push(format!("<stdin>: cannot read: {e}")),
            }
            continue;
        }
        let mut found = Vec::new();
        if path.is_dir() {
            walk.dir(path, &mut found, &mut problems);
            if found.is_empty() {
                problems.push(format!(
                    "{}: no .yaml, .yml or .json files in this directory",
                    path.display()
                ));
            }
        } else if walk.first_time(path) {
            found.push(path.clone());
        }
        for p in found {
            match std::fs::read(&p) {
                Ok(bytes) if bytes.starts_with(b"PK\x03\x04") => read_bundle(&p, &bytes, &mut files, &mut problems),
                Ok(bytes) => push_decoded(&mut files, &mut problems, p.display().to_string(), &bytes),
                Err(e) => problems.push(format!("{}: cannot read: {e}", p.display())),
            }
        }
    }
    Input { files, problems }
}

fn push_decoded(files: &mut Vec<SourceFile>, problems: &mut Vec<String>, name: String, bytes: &[u8]) {
    match SourceFile::from_bytes(name.clone(), bytes) {
        Ok(file) => files.push(file.in_namespace(default_namespace())),
        Err(e) => problems.push(format!("{name}: cannot read: {e}")),
    }
}

/// The files of a bundle, read as `netplay apply` reads it (refused when a checksum does
/// not match).
fn read_bundle(path: &Path, bytes: &[u8], files: &mut Vec<SourceFile>, problems: &mut Vec<String>) {
    match netplay_core::export::read_bundle(bytes) {
        Ok(bundle) => files.extend(bundle.files.into_iter().map(|f| {
            SourceFile::new(format!("{}/{}", path.display(), f.name), f.text).in_namespace(default_namespace())
        })),
        Err(e) => problems.push(format!("{}: refusing the bundle: {e}", path.display())),
    }
}
