//! Embeds the built playground (`dist/`, made by Trunk) into the binary when it exists at
//! build time, so `netplay serve` works offline with nothing else installed. Without it,
//! `netplay serve` serves a directory given at run time and says how to build one.
//!
//! Also stamps the version (`netplay --version`): the git commit and its date when the
//! source is a git checkout, `unknown` when it is not (a source archive), nothing
//! downloaded. The date is the commit's, or `SOURCE_DATE_EPOCH`'s when set, never the
//! clock's, so building one commit twice gives the same binary.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `git ARGS` in the crate's directory, trimmed; `None` without git or outside a checkout.
fn git(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string()))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// `YYYY-MM-DD` of a Unix time (UTC), by the days-from-civil inverse (no calendar crate).
fn iso_date(seconds: i64) -> String {
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `NETPLAY_VERSION_STAMP` for `--version`. A packager building from an
/// archive may set `NETPLAY_COMMIT` itself.
fn stamp_version() {
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=NETPLAY_COMMIT");
    // A new commit (HEAD moves, or the branch it names does) stamps again.
    for path in [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--git-path", "packed-refs"]),
    ]
    .into_iter()
    .flatten()
    .chain(git(&["symbolic-ref", "-q", "HEAD"]).and_then(|r| git(&["rev-parse", "--git-path", &r])))
    {
        let path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let commit = std::env::var("NETPLAY_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .or_else(|| {
            commit
                .as_ref()
                .and(git(&["log", "-1", "--format=%ct", "HEAD"]))
                .and_then(|s| s.parse().ok())
        });
    let date = epoch.map(iso_date);
    // `netplay 0.1.0 (commit 0123456789ab, 2026-12-06)`
    let stamp = match (&commit, &date) {
        (Some(c), Some(d)) => format!("commit {c}, {d}"),
        (Some(c), None) => format!("commit {c}, date unknown"),
        (None, Some(d)) => format!("commit unknown: not built from a git checkout, {d}"),
        (None, None) => "commit unknown, date unknown: not built from a git checkout".to_string(),
    };
    println!("cargo:rustc-env=NETPLAY_VERSION_STAMP={stamp}");
}

fn main() {
    stamp_version();
    let dist = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../../dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        walk(&dist, &mut files);
    }
    let mut code =
        String::from("/// The built playground: (path, bytes).\npub static EMBEDDED: &[(&str, &[u8])] = &[\n");
    for f in &files {
        let rel = f.strip_prefix(&dist).unwrap_or(f).to_string_lossy().replace('\\', "/");
        let abs = f.canonicalize().unwrap_or(f.clone());
        let _ = writeln!(code, "    ({rel:?}, include_bytes!({abs:?})),");
        println!("cargo:rerun-if-changed={}", abs.display());
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
