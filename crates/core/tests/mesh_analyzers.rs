//! The mesh analyzers, documented by example: tests/mesh-analyzers/<name>/.
//!
//! - `<code>-<what>/` (e.g. `ist0101-host-not-found/`, `np2004-istiod-blocked/`): a small
//!   broken configuration. `*.yaml` files (usually one, `manifests.yaml`), a `README.md`
//!   (what is wrong, what istioctl says, how to fix it) and `diagnostics.txt`: every
//!   diagnostic `Scenario::analyze` reports, one `severity CODE file:line` per line, sorted,
//!   files relative to the directory (the format of tests/scenarios/diag-*/). The
//!   directory's code must be among them.
//! - `guard-<what>/`: valid, realistic configurations; `diagnostics.txt` is empty, and no
//!   diagnostic at all (not even an info) may appear.
//!
//! `tests/mesh-analyzers/mesh-scenarios.txt` lists the mesh diagnostics (ISTxxxx, NP2xxx)
//! of every request-simulation scenario under tests/mesh-scenarios/ (`scenario severity
//! CODE file:line`); the README says why each is right.
//!
//! The expected files are written by hand and checked against istioctl's documented
//! behaviour; `NETPLAY_BLESS=1` rewrites them from the current output, to be reviewed line
//! by line before committing.

use netplay_core::diagnostics::CODES;
use netplay_core::{load, Diagnostic, Scenario, SourceFile};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mesh-analyzers")
}

fn example_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("tests/mesh-analyzers exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no examples under tests/mesh-analyzers");
    dirs
}

fn name(dir: &Path) -> String {
    dir.file_name().expect("directory name").to_string_lossy().into_owned()
}

/// The `*.yaml`/`*.yml` files of a directory (not recursive), named by file name.
fn load_dir(dir: &Path) -> Scenario {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no YAML file", dir.display());
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|p| {
            SourceFile::new(
                p.file_name().expect("file name").to_string_lossy(),
                std::fs::read_to_string(p).expect("readable manifest"),
            )
        })
        .collect();
    load(&sources)
}

/// `severity CODE file:line`, one per line, sorted.
fn render(diags: &[Diagnostic], strip: &str) -> String {
    let mut lines: Vec<String> = diags
        .iter()
        .map(|d| {
            let file = d.file.as_deref().unwrap_or("-");
            format!(
                "{} {} {}:{}",
                d.severity,
                d.code,
                file.strip_prefix(strip).unwrap_or(file),
                d.line.unwrap_or(0)
            )
        })
        .collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn is_mesh_code(code: &str) -> bool {
    code.starts_with("IST") || code.starts_with("NP2")
}

fn compare(what: &str, expected_path: &Path, actual: &str, detail: &[Diagnostic], failures: &mut Vec<String>) {
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if std::env::var_os("NETPLAY_BLESS").is_some() {
        std::fs::write(expected_path, actual).expect("write expected file");
        return;
    }
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let mut report = format!("{what}: diagnostics differ from {}\n", expected_path.display());
    for l in &exp {
        if !act.contains(l) {
            report.push_str(&format!("  missing:    {l}\n"));
        }
    }
    for l in &act {
        if !exp.contains(l) {
            report.push_str(&format!("  unexpected: {l}\n"));
        }
    }
    for d in detail {
        report.push_str(&format!("    {d}\n"));
    }
    failures.push(report);
}

#[test]
fn each_example_reports_exactly_its_diagnostics() {
    let mut failures = Vec::new();
    for dir in example_dirs() {
        let n = name(&dir);
        assert!(dir.join("README.md").is_file(), "{n} has no README.md");
        let diags = load_dir(&dir).analyze();
        compare(
            &n,
            &dir.join("diagnostics.txt"),
            &render(&diags, ""),
            &diags,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_broken_example_reports_its_own_code_and_guards_report_nothing() {
    let mut failures = Vec::new();
    for dir in example_dirs() {
        let n = name(&dir);
        let diags = load_dir(&dir).analyze();
        if n.starts_with("guard-") {
            if !diags.is_empty() {
                let got: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                failures.push(format!("guard {n} must report nothing, got:\n  {}", got.join("\n  ")));
            }
            continue;
        }
        let code = n.split('-').next().unwrap_or_default().to_ascii_uppercase();
        assert!(
            CODES.iter().any(|(c, _, _)| *c == code),
            "{n}: a broken example's directory starts with its code (ist0101-..., np2001-...)"
        );
        if !diags.iter().any(|d| d.code == code) {
            failures.push(format!("{n} does not report {code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_lists_every_example() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("tests/mesh-analyzers/README.md");
    let missing: Vec<String> = example_dirs()
        .iter()
        .map(|d| name(d))
        .filter(|n| !readme.contains(&format!("| {n} |")))
        .collect();
    assert!(
        missing.is_empty(),
        "tests/mesh-analyzers/README.md does not list {missing:?}"
    );
}

#[test]
fn every_mesh_code_has_a_broken_example() {
    let dirs: Vec<String> = example_dirs().iter().map(|d| name(d)).collect();
    let missing: Vec<&str> = CODES
        .iter()
        .map(|(c, _, _)| *c)
        .filter(|c| is_mesh_code(c))
        .filter(|c| {
            !dirs
                .iter()
                .any(|d| d.starts_with(&format!("{}-", c.to_ascii_lowercase())))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "mesh codes without an example under tests/mesh-analyzers: {missing:?}"
    );
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped kind (a Namespace).
fn is_resource(r: &str) -> bool {
    let Some((kind, id)) = r.split_once(' ') else {
        return false;
    };
    let kind_ok =
        kind.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && kind.chars().all(|c| c.is_ascii_alphanumeric());
    match id.split_once('/') {
        Some((ns, name)) => kind_ok && !ns.is_empty() && !name.is_empty() && !name.contains(' '),
        None => kind_ok && netplay_core::parse::is_cluster_scoped(kind) && !id.is_empty() && !id.contains(' '),
    }
}

/// The mesh diagnostics of the examples and of the simulation scenarios.
fn all_mesh_diagnostics() -> Vec<(String, Diagnostic)> {
    let mut out = Vec::new();
    for dir in example_dirs() {
        out.extend(load_dir(&dir).analyze().into_iter().map(|d| (name(&dir), d)));
    }
    for dir in mesh_scenario_dirs() {
        out.extend(
            load_dir(&dir.join("manifests"))
                .analyze()
                .into_iter()
                .map(|d| (name(&dir), d)),
        );
    }
    out.retain(|(_, d)| is_mesh_code(d.code));
    out
}

#[test]
fn every_mesh_diagnostic_names_its_resource_points_at_a_line_and_says_what_to_change() {
    let mut failures = Vec::new();
    for (n, d) in all_mesh_diagnostics() {
        let ok = d.resource.as_deref().is_some_and(is_resource)
            && d.file.is_some()
            && d.line.is_some_and(|l| l > 0)
            && d.message.len() > 40
            && d.help.as_deref().is_some_and(|h| h.len() > 20);
        if !ok {
            failures.push(format!("{n}: {d} (help: {:?})", d.help));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn mesh_scenario_dirs() -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mesh-scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(base)
        .expect("tests/mesh-scenarios exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.join("manifests").is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn the_simulation_scenarios_report_only_the_intended_mesh_diagnostics() {
    let mut actual = String::new();
    let mut detail = Vec::new();
    for dir in mesh_scenario_dirs() {
        let n = name(&dir);
        let mesh: Vec<Diagnostic> = load_dir(&dir.join("manifests"))
            .analyze()
            .into_iter()
            .filter(|d| is_mesh_code(d.code))
            .collect();
        for line in render(&mesh, "").lines() {
            actual.push_str(&format!("{n} {line}\n"));
        }
        detail.extend(mesh);
    }
    let mut failures = Vec::new();
    compare(
        "tests/mesh-scenarios",
        &root().join("mesh-scenarios.txt"),
        &actual,
        &detail,
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_analyzers_never_panic_on_odd_mesh_input() {
    // Shapes the analyzers must survive: empty specs, empty names, wildcards, ports out of
    // range, objects referring to themselves.
    let text = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: ["*", "", "a"]
  gateways: ["", "mesh", "x/y/z", "."]
  http:
  - {}
  - match: [{}]
    route: [{destination: {host: "", subset: ""}}, {destination: {host: a, port: {number: 0}}}]
  - match: [{}]
  tcp: [{}, {match: [{}]}]
  tls: [{match: []}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a}
spec:
  host: "*"
  subsets: [{name: ""}, {name: v1, labels: {}}]
  workloadSelector: {}
  trafficPolicy:
    tls: {mode: SIMPLE}
    portLevelSettings: [{}, {tls: {mode: MUTUAL}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a}
spec:
  servers: [{}, {port: {number: 0}, tls: {credentialName: ""}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec:
  hosts: []
  ports: [{number: 0}, {number: 1, protocol: ""}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: istio-system}
spec:
  rules: [{from: [{}, {source: {namespaces: ["", "*"], principals: ["", "cluster.local/ns//sa/"]}}]}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: a}
spec:
  selector: {matchLabels: {}}
  portLevelMtls: {"": {mode: STRICT}, "99999": {}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: a}
spec:
  workloadSelector: {labels: {"": ""}}
---
apiVersion: v1
kind: Service
metadata: {name: a}
spec:
  selector: {}
  ports: [{port: 1}, {port: 1, protocol: UDP}, {port: 2, targetPort: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {istio: ingressgateway}, annotations: {sidecar.istio.io/inject: "true"}}
spec:
  containers: [{name: c, image: i}]
"#;
    let scenario = load(&[SourceFile::new("odd.yaml", text)]);
    let _ = scenario.analyze();
}

#[test]
fn the_analyzers_never_panic_on_damaged_examples() {
    // Every example with one line removed (every third line, to keep it quick): objects
    // lose fields, change shape or disappear, and the analyzers must still answer.
    for dir in example_dirs() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("example directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for f in &files {
            let text = std::fs::read_to_string(f).expect("readable manifest");
            let lines: Vec<&str> = text.lines().collect();
            for skip in (0..lines.len()).step_by(3) {
                let damaged: String = lines
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, l)| format!("{l}\n"))
                    .collect();
                let _ = load(&[SourceFile::new("damaged.yaml", damaged)]).analyze();
            }
        }
    }
}
