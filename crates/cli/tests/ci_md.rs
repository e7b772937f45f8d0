//! docs/ci.md's CI jobs, run: the steps of the GitHub Actions workflow and the GitLab CI
//! job are taken from the page's YAML blocks (`file=github-actions.yml`,
//! `file=gitlab-ci.yml`) and run with bash in a scratch git repository made from
//! `crates/cli/tests/inputs/ci/`: a base commit, and a pull request that opens the
//! database to the front end. What the page shows as the job summary and the log must
//! be what the steps produce.
//!
//! Steps that only exist on a CI runner (`uses:` actions, installing netplay) are
//! skipped; the freshly built binary is first on PATH instead. Needs `git` and `bash`.

mod common;

use common::{workspace_root, TempDir};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The text of the fenced block whose info string contains `marker`.
fn block(md: &str, marker: &str) -> String {
    let mut lines = md.lines();
    lines
        .find(|l| l.starts_with("```") && l.split_whitespace().any(|w| w == marker))
        .unwrap_or_else(|| panic!("docs/ci.md has no block marked {marker}"));
    lines
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=ci",
            "-c",
            "user.email=ci@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy fixture");
        }
    }
}

/// A scratch repository: the base commit, then (when `with_pr`) the pull request's. Its
/// directory is removed when it is dropped.
struct Repo {
    root: TempDir,
    base_sha: String,
}

impl Repo {
    fn new(name: &str, with_pr: bool) -> Repo {
        let root = TempDir::new(&format!("ci-{name}"));
        let repo = root.path().join("repo");
        std::fs::create_dir_all(&repo).expect("mkdir repo");
        std::fs::create_dir_all(root.path().join("runner-temp")).expect("mkdir runner temp");
        let fixtures = workspace_root().join("crates/cli/tests/inputs/ci");
        git(&repo, &["init", "-q"]);
        copy_dir(&fixtures.join("base"), &repo);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "base"]);
        let base_sha = git(&repo, &["rev-parse", "HEAD"]);
        if with_pr {
            copy_dir(&fixtures.join("pr"), &repo);
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-q", "-m", "pull request"]);
        }
        Repo { root, base_sha }
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    /// Runs a script with bash as a CI runner would, the built netplay first on PATH.
    fn bash(&self, script: &str, env: &BTreeMap<String, String>) -> (i32, String, String) {
        let bin = Path::new(env!("CARGO_BIN_EXE_netplay"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(self.dir())
            .envs(env)
            .env("PATH", path)
            .output()
            .expect("run bash");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn str_map(v: &Value) -> BTreeMap<String, String> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((k.as_str()?.to_string(), v))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `actual` has the lines of `expected` in order, `...` skipping any lines.
fn shows(expected: &str, actual: &str) -> bool {
    fn go(e: &[&str], a: &[&str]) -> bool {
        match e.split_first() {
            None => a.is_empty(),
            Some((&"...", rest)) => (0..=a.len()).any(|k| go(rest, &a[k..])),
            Some((l, rest)) => a.first() == Some(l) && go(rest, &a[1..]),
        }
    }
    let e: Vec<&str> = expected.trim_end().lines().collect();
    let a: Vec<&str> = actual.trim_end().lines().collect();
    go(&e, &a)
}

/// A step of the GitHub job that can run here: its name, script and environment.
struct Step {
    name: String,
    run: String,
    env: BTreeMap<String, String>,
}

fn github_steps(repo: &Repo) -> (Vec<Step>, BTreeMap<String, String>) {
    let md = std::fs::read_to_string(workspace_root().join("docs/ci.md")).expect("read docs/ci.md");
    let workflow: Value = serde_yaml::from_str(&block(&md, "file=github-actions.yml")).expect("workflow is YAML");
    let mut env = str_map(&workflow["env"]);
    env.insert(
        "RUNNER_TEMP".into(),
        repo.root.path().join("runner-temp").display().to_string(),
    );
    env.insert(
        "GITHUB_STEP_SUMMARY".into(),
        repo.root.path().join("summary.md").display().to_string(),
    );
    let steps = workflow["jobs"]["netplay"]["steps"]
        .as_sequence()
        .expect("steps")
        .clone();
    let mut out = Vec::new();
    for s in &steps {
        let Some(run) = s["run"].as_str() else { continue };
        if run.contains("cargo install") {
            continue;
        }
        let mut step_env = str_map(&s["env"]);
        for v in step_env.values_mut() {
            if v.contains("${{ github.event.pull_request.base.sha }}") {
                *v = repo.base_sha.clone();
            }
            assert!(!v.contains("${{"), "a GitHub expression the test does not know: {v}");
        }
        assert!(
            !run.contains("${{"),
            "scripts take GitHub expressions through env: {run}"
        );
        out.push(Step {
            name: s["name"].as_str().unwrap_or("?").to_string(),
            run: run.to_string(),
            env: step_env,
        });
    }
    (out, env)
}

#[test]
fn the_github_job_fails_the_pull_request_and_summarises_its_connections() {
    let md = std::fs::read_to_string(workspace_root().join("docs/ci.md")).expect("read docs/ci.md");
    let repo = Repo::new("github", true);
    let (steps, env) = github_steps(&repo);
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Assertions",
            "Assertions as JUnit and SARIF",
            "Connections changed by this pull request"
        ]
    );
    let mut results = Vec::new();
    for step in &steps {
        let mut all = env.clone();
        all.extend(step.env.clone());
        results.push(repo.bash(&step.run, &all));
    }
    let (code, log, stderr) = &results[0];
    assert_eq!(*code, 1, "the assertions fail the job:\n{log}{stderr}");
    assert!(
        shows(&block(&md, "assertions-log"), log),
        "the log differs from docs/ci.md:\n{log}"
    );
    let (code, _, stderr) = &results[1];
    assert_eq!(*code, 0, "{stderr}");
    let junit = std::fs::read_to_string(repo.dir().join("netplay-junit.xml")).expect("junit written");
    assert!(junit.contains("tests=\"2\" failures=\"1\""), "{junit}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.dir().join("netplay.sarif")).expect("sarif written"))
            .expect("SARIF is JSON");
    let loc = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "k8s/debug-access.yaml");
    let (code, _, stderr) = &results[2];
    assert_eq!(*code, 0, "{stderr}");
    let summary = std::fs::read_to_string(repo.root.path().join("summary.md")).expect("summary written");
    assert!(
        shows(&block(&md, "summary"), &summary),
        "the summary differs from docs/ci.md:\n{summary}"
    );
}

#[test]
fn the_github_job_passes_a_pull_request_that_changes_no_connection() {
    let repo = Repo::new("github-clean", false);
    let (steps, env) = github_steps(&repo);
    for step in &steps {
        let mut all = env.clone();
        all.extend(step.env.clone());
        let (code, out, err) = repo.bash(&step.run, &all);
        assert_eq!(code, 0, "step {:?}:\n{out}{err}", step.name);
    }
    let summary = std::fs::read_to_string(repo.root.path().join("summary.md")).expect("summary written");
    assert!(summary.trim_end().ends_with("No connection changes."), "{summary}");
}

#[test]
fn the_gitlab_job_fails_the_merge_request_and_writes_the_diff() {
    let md = std::fs::read_to_string(workspace_root().join("docs/ci.md")).expect("read docs/ci.md");
    let config: Value = serde_yaml::from_str(&block(&md, "file=gitlab-ci.yml")).expect("GitLab CI is YAML");
    let job = &config["netplay"];
    let mut env = str_map(&job["variables"]);
    let repo = Repo::new("gitlab", true);
    env.insert("CI_MERGE_REQUEST_DIFF_BASE_SHA".into(), repo.base_sha.clone());
    env.insert("CI_PROJECT_DIR".into(), repo.dir().display().to_string());
    let lines = |key: &str| -> Vec<String> {
        job[key]
            .as_sequence()
            .map(|s| s.iter().filter_map(|l| l.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let mut script: Vec<String> = lines("before_script")
        .into_iter()
        .filter(|l| !l.contains("cargo install"))
        .collect();
    script.extend(lines("script"));
    assert!(script.len() >= 4, "the job has its script: {script:?}");
    let (code, log, stderr) = repo.bash(&script.join("\n"), &env);
    assert_eq!(code, 1, "the last line fails the job:\n{log}{stderr}");
    // Other lines of the job (git's) come first.
    let expected = format!("...\n{}", block(&md, "assertions-log"));
    assert!(shows(&expected, &log), "{log}");
    let diff = std::fs::read_to_string(repo.dir().join("netplay-diff.md")).expect("netplay-diff.md written");
    let expected = block(&md, "summary").replace("pull request", "merge request");
    assert!(shows(&expected, &diff), "{diff}");
    let junit = std::fs::read_to_string(repo.dir().join("netplay-junit.xml")).expect("junit written");
    assert!(junit.contains("failures=\"1\""), "{junit}");
    let artifacts = str_map(&job["artifacts"]);
    assert_eq!(artifacts.get("when").map(String::as_str), Some("always"));
}
