//! What every CLI test file needs, written once: run the real `netplay` binary and keep
//! what it did ([`Run`], with a transcript for snapshots), the workspace root, temporary
//! directories, and the walkers over scenario directories and path lists.
//!
//! Use it from a test file with `mod common;` and `use common::*;` (or name the items).
//!
//! - `netplay(&["connlist", dir])`: runs the binary in the workspace root, so relative
//!   paths and file names in the output are the ones a user in a checkout sees;
//! - `Netplay::new(&args).dir(..).stdin(..).env(..).run()` for anything else;
//! - `run.transcript()` is `$ netplay ARGS`, the exit code, then stdout and stderr: what
//!   the insta snapshots hold, so they read like a terminal session;
//! - `manifest_files(dir)`, `path_list(file)`, `subdirectories(dir)` walk inputs the way
//!   `netplay` itself reads them.
//!
//! Each test binary uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

/// The loopback API server and kubeconfig of the tests that talk to a cluster.
pub mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root: the binary runs here and paths in tests are relative to it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The text of a file under the workspace root (panics with the path when unreadable).
pub fn read(path: impl AsRef<Path>) -> String {
    let full = workspace_root().join(path.as_ref());
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

/// `NETPLAY_BLESS=1`: tests that compare with expected files rewrite them instead (only
/// after checking by hand that the new output is right).
pub fn bless() -> bool {
    std::env::var_os("NETPLAY_BLESS").is_some()
}

/// One finished invocation of the binary.
#[derive(Debug)]
pub struct Run {
    /// The arguments as shown in the transcript (hidden ones left out).
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `$ netplay ARGS`, the exit code, then stdout and stderr when they are not empty.
    pub fn transcript(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|a| shell_quote(a)).collect();
        let mut out = format!("$ netplay {}\nexit: {}\n", args.join(" "), self.code);
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if !text.is_empty() {
                out.push_str(&format!("--- {name}\n{text}"));
                if !text.ends_with('\n') {
                    out.push_str("\n[no newline at end]\n");
                }
            }
        }
        out
    }

    /// Stdout as JSON (panics with the command and what it printed otherwise).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of `netplay {}` is not JSON ({e}):\n{}",
                self.args.join(" "),
                self.stdout
            )
        })
    }

    /// Fails unless the process ended the way a CLI may end: 0, 1 or 2, never a panic
    /// (101) or a signal.
    pub fn assert_no_crash(&self) -> &Self {
        assert!(
            matches!(self.code, 0..=2),
            "`netplay {}` exited {}; stderr:\n{}",
            self.args.join(" "),
            self.code,
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        self
    }

    /// Fails unless the exit code is one of `codes`.
    pub fn assert_exit_in(self, codes: &[i32]) -> Self {
        assert!(
            codes.contains(&self.code),
            "`netplay {}` exited {} (expected one of {codes:?}):\n{}",
            self.args.join(" "),
            self.code,
            self.stderr
        );
        self
    }
}

/// An argument as one would type it in a shell: quoted when it holds spaces, brackets
/// or other special characters.
pub fn shell_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-:=,@+".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// An invocation of the binary being prepared: arguments, directory, stdin, environment.
#[derive(Clone, Debug)]
pub struct Netplay {
    args: Vec<String>,
    hidden: Vec<String>,
    dir: PathBuf,
    stdin: Option<String>,
    env: Vec<(String, String)>,
    env_remove: Vec<String>,
}

impl Netplay {
    /// `netplay ARGS` in the workspace root.
    pub fn new<S: AsRef<str>>(args: &[S]) -> Netplay {
        Netplay {
            args: args.iter().map(|a| a.as_ref().to_string()).collect(),
            hidden: Vec::new(),
            dir: workspace_root(),
            stdin: None,
            env: Vec::new(),
            env_remove: Vec::new(),
        }
    }

    /// Runs in `dir` instead of the workspace root.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// Feeds `text` on stdin (otherwise stdin is empty).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_string());
        self
    }

    /// More arguments that the transcript does not show (e.g. a temporary kubeconfig).
    pub fn hidden_args<S: AsRef<str>>(mut self, args: &[S]) -> Self {
        self.hidden.extend(args.iter().map(|a| a.as_ref().to_string()));
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env
            .push((key.to_string(), value.as_ref().to_string_lossy().into_owned()));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.env_remove.push(key.to_string());
        self
    }

    pub fn run(self) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_netplay"));
        cmd.args(&self.args)
            .args(&self.hidden)
            .current_dir(&self.dir)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        let mut child = cmd.spawn().expect("start netplay");
        if let Some(text) = &self.stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        let out = child.wait_with_output().expect("run netplay");
        Run {
            args: self.args,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `netplay ARGS` in the workspace root.
pub fn netplay<S: AsRef<str>>(args: &[S]) -> Run {
    Netplay::new(args).run()
}

/// Runs `netplay ARGS` in `dir`, with `stdin` when given.
pub fn netplay_in<S: AsRef<str>>(dir: &Path, args: &[S], stdin: Option<&str>) -> Run {
    let mut cmd = Netplay::new(args).dir(dir);
    if let Some(text) = stdin {
        cmd = cmd.stdin(text);
    }
    cmd.run()
}

/// A fresh directory under the system temp dir, removed when dropped. Names are unique
/// per process and call, so tests running in parallel never share one.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "netplay-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `bytes` to `file` inside the directory.
    pub fn write(&self, file: &str, bytes: &[u8]) -> &Self {
        std::fs::write(self.0.join(file), bytes).expect("write temp file");
        self
    }

    /// Runs `netplay ARGS` inside the directory (pass bare file names).
    pub fn netplay(&self, args: &[&str]) -> Run {
        netplay_in(&self.0, args, None)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every manifest file (`.yaml`, `.yml`, `.json`) under `dir` (relative to the workspace
/// root), recursively, as sorted paths relative to the root: the files `netplay` itself
/// reads from a directory.
pub fn manifest_files(dir: &str) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
                out.push(path);
            }
        }
    }
    let base = workspace_root();
    let mut found = Vec::new();
    walk(&base.join(dir), &mut found);
    let mut files: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&base)
                .expect("under the root")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    files
}

/// The directories directly inside `dir` (absolute, or relative to the workspace root),
/// sorted by name: one scenario each.
pub fn subdirectories(dir: impl AsRef<Path>) -> Vec<PathBuf> {
    let dir = workspace_root().join(dir.as_ref());
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A `paths.txt`-style list (relative to the workspace root): one entry per line, blank
/// lines and `#` comments skipped.
pub fn path_list(file: impl AsRef<Path>) -> Vec<String> {
    read(file)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Compares `actual` with the expected file `expected_path`; on a mismatch records in
/// `failures` the expected lines that are missing (-) and the printed lines that were
/// not expected (+). An absent file expects nothing. With [`bless`] the file is rewritten
/// instead (an absent file stays absent when nothing is printed).
pub fn compare_with_file(what: &str, expected_path: &Path, actual: &str, failures: &mut Vec<String>) {
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if bless() {
        if actual.is_empty() && !expected_path.exists() {
            return;
        }
        if let Some(parent) = expected_path.parent() {
            std::fs::create_dir_all(parent).expect("create the directory");
        }
        std::fs::write(expected_path, actual).expect("write the expected file");
        return;
    }
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let mut report = format!(
        "{what}: the output differs from {} ({} lines expected, {} printed):\n",
        expected_path.display(),
        exp.len(),
        act.len()
    );
    let mut same_lines = true;
    for l in exp.iter().filter(|l| !act.contains(l)) {
        report.push_str(&format!("  - {l}\n"));
        same_lines = false;
    }
    for l in act.iter().filter(|l| !exp.contains(l)) {
        report.push_str(&format!("  + {l}\n"));
        same_lines = false;
    }
    if same_lines {
        report.push_str("  (the same lines in another order or with other repeats)\n");
    }
    failures.push(report);
}
