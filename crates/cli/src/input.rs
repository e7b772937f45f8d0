//! Reading the user's paths: files, directories (recursively), or `-` for stdin.

use netplay_core::SourceFile;
use std::io::Read;
use std::path::{Path, PathBuf};

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
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
            walk(&p, out, problems);
        } else if is_manifest(&p) {
            out.push(p);
        }
    }
}

/// What was read, and what could not be.
pub struct Input {
    pub files: Vec<SourceFile>,
    pub problems: Vec<String>,
}

/// Reads every path. A file named explicitly is read whatever its extension; directories
/// contribute their `.yaml`, `.yml` and `.json` files. Text that is not UTF-8 is read
/// lossily so that the parser can point at it.
pub fn read_paths(paths: &[PathBuf]) -> Input {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            match std::io::stdin().read_to_end(&mut buf) {
                Ok(_) => files.push(SourceFile::new("<stdin>", String::from_utf8_lossy(&buf).into_owned())),
                Err(e) => problems.push(format!("<stdin>: cannot read: {e}")),
            }
            continue;
        }
        let mut found = Vec::new();
        if path.is_dir() {
            walk(path, &mut found, &mut problems);
            if found.is_empty() {
                problems.push(format!(
                    "{}: no .yaml, .yml or .json files in this directory",
                    path.display()
                ));
            }
        } else {
            found.push(path.clone());
        }
        for p in found {
            match std::fs::read(&p) {
                Ok(bytes) => files.push(SourceFile::new(
                    p.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                )),
                Err(e) => problems.push(format!("{}: cannot read: {e}", p.display())),
            }
        }
    }
    Input { files, problems }
}
