//! kubectl's habits and the CLI's reach (issue 19, items 2 and 3): `-n/--namespace` for
//! objects that name none, `--version` with the commit and its date, the `kubectl
//! netplay` plugin name, shell completions and manual pages generated from clap.

mod common;

use common::{netplay, TempDir};
use insta::assert_snapshot;
use std::process::Command;

/// `helm template` output: no object names a namespace but the prober, which names
/// `monitoring`. The policy admits web to api on TCP 8080 from its own namespace only.
const HELM: &str = "crates/cli/tests/inputs/helm-no-namespace";

#[test]
fn namespace_flag_places_objects_that_name_none() {
    // As `kubectl apply -n shop` would create them: web, api and the policy in shop,
    // the prober where it says. The policy then isolates shop/api, and a podSelector
    // peer means pods of the policy's own namespace, so monitoring/prober is not let in.
    assert_snapshot!(netplay(&["connlist", "-n", "shop", HELM]).transcript());
}

#[test]
fn without_namespace_flag_objects_that_name_none_are_in_default() {
    let run = netplay(&["connlist", HELM]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("default/web[Deployment] => default/api[Deployment] : TCP 8080"));
    assert!(!run.stdout.contains("shop/"));
}

#[test]
fn namespace_flag_works_after_the_subcommand_and_in_every_input_reading_command() {
    let long = netplay(&["connlist", HELM, "--namespace=shop"]);
    let short = netplay(&["-n", "shop", "connlist", HELM]);
    assert_eq!(long.stdout, short.stdout);
    let explain = netplay(&[
        "explain", "-n", "shop", "--src", "shop/web", "--dst", "shop/api", "--port", "8080", HELM,
    ]);
    assert_eq!(explain.code, 0, "{}", explain.transcript());
    assert!(explain.stdout.contains("ALLOWED"), "{}", explain.stdout);
    let analyze = netplay(&["analyze", "-n", "shop", "-o", "json", HELM]);
    let doc = analyze.json();
    let resources: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["resource"].as_str())
        .collect();
    assert!(resources.iter().all(|r| !r.contains("default/")), "{resources:?}");
    let test_dir = TempDir::new("ns-assert");
    test_dir.write(
        "assert.yaml",
        b"apiVersion: netplay.dev/v1alpha1\nkind: Assertions\nmetadata:\n  name: shop\nassertions:\n- from: shop/web\n  to: shop/api\n  port: 8080/TCP\n  expect: allowed\n",
    );
    let manifests = common::workspace_root().join(HELM).join("rendered.yaml");
    std::fs::copy(manifests, test_dir.path().join("rendered.yaml")).unwrap();
    let test = test_dir.netplay(&["test", "-n", "shop", "."]);
    assert_eq!(test.code, 0, "{}", test.transcript());
}

#[test]
fn version_names_the_commit_and_its_date() {
    let run = netplay(&["--version"]);
    assert_eq!(run.code, 0);
    let line = run.stdout.trim_end();
    let rest = line
        .strip_prefix(concat!("netplay ", env!("CARGO_PKG_VERSION"), " ("))
        .unwrap_or_else(|| panic!("{line}"));
    let git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(common::workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match git {
        // A checkout: the commit the binary was built from, and a YYYY-MM-DD date.
        Some(commit) => {
            let stamp = rest
                .strip_prefix(&format!("commit {commit}, "))
                .unwrap_or_else(|| panic!("{line}"));
            let date = stamp.strip_suffix(')').unwrap_or_default();
            let digits: Vec<bool> = date.chars().map(|c| c.is_ascii_digit()).collect();
            assert_eq!(date.len(), 10, "{line}");
            assert!(
                digits.iter().enumerate().all(|(i, &d)| d == !matches!(i, 4 | 7)),
                "{line}"
            );
        }
        None => assert!(rest.starts_with("commit unknown"), "{line}"),
    }
    assert_eq!(netplay(&["-V"]).stdout, run.stdout);
}

/// The binary as kubectl finds it: a link named `kubectl-netplay` on PATH.
fn plugin(dir: &TempDir) -> std::path::PathBuf {
    let link = dir.path().join("kubectl-netplay");
    #[cfg(unix)]
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_netplay"), &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(env!("CARGO_BIN_EXE_netplay"), &link).unwrap();
    link
}

#[test]
fn run_as_kubectl_netplay_the_usage_says_kubectl_netplay() {
    let dir = TempDir::new("plugin");
    let link = plugin(&dir);
    let help = Command::new(&link).args(["connlist", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Usage: kubectl netplay connlist [OPTIONS] [PATHS]..."),
        "{help}"
    );
    let wrong = Command::new(&link).args(["connlist", "--nope"]).output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("Usage: kubectl netplay connlist"), "{stderr}");
    // And it works: the same list as `netplay connlist`.
    let listed = Command::new(&link)
        .args(["connlist", HELM])
        .current_dir(common::workspace_root())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        netplay(&["connlist", HELM]).stdout
    );
}

#[test]
fn the_real_kubectl_runs_the_plugin() {
    let Ok(found) = Command::new("kubectl").arg("version").arg("--client").output() else {
        eprintln!("kubectl is not installed: skipped");
        return;
    };
    assert!(found.status.success());
    let dir = TempDir::new("kubectl-plugin");
    plugin(&dir);
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let run = Command::new("kubectl")
        .args(["netplay", "connlist", "-n", "shop", HELM])
        .env("PATH", &path)
        .current_dir(common::workspace_root())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        netplay(&["connlist", "-n", "shop", HELM]).stdout
    );
    let list = Command::new("kubectl")
        .args(["plugin", "list"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("kubectl-netplay"));
}

#[test]
fn completion_scripts_for_each_shell_name_the_subcommands() {
    // What each shell's script looks like at its start, by clap_complete's generators.
    for (shell, marker) in [
        ("bash", "complete -F _netplay"),
        ("zsh", "#compdef netplay"),
        ("fish", "complete -c netplay"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = netplay(&["completion", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}");
        for sub in ["connlist", "explain", "analyze", "completion"] {
            assert!(run.stdout.contains(sub), "{shell} lacks {sub}");
        }
    }
    let bad = netplay(&["completion", "tcsh"]);
    assert_eq!(bad.code, 2);
    assert_snapshot!(bad.transcript());
}

#[test]
fn man_prints_the_top_page_and_writes_one_page_per_command() {
    let run = netplay(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq") || run.stdout.contains(".TH netplay 1"),
        "{}",
        &run.stdout[..200]
    );
    assert!(run.stdout.contains("connlist"));
    let dir = TempDir::new("man");
    let write = netplay(&["man", "--dir", &dir.path().display().to_string()]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    for page in [
        "netplay.1",
        "netplay-connlist.1",
        "netplay-flows-replay.1",
        "netplay-completion.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
}
