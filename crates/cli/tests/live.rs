//! Reading a live cluster: `connlist`, `explain`, `analyze` and `diff` with `--kubeconfig`
//! / `--context` / `--live`, against the loopback API server of netplay-testkube (real
//! list shapes: typed lists whose items carry no kind, pages of `limit`/`continue`).
//!
//! The strongest check: each scenario of `tests/scenarios/` put on the server must give,
//! read live, exactly the connlist its `connlist.txt` expects (written by hand from the
//! API reference).

mod common;

use common::cluster::{file_in, netplay_at_home, objects_of, seed, Env, TOKEN};
use common::{workspace_root, TempDir};
use netplay_testkube::{Fault, Options, TestKube};
use serde_json::json;

fn scenario_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(workspace_root().join("tests/scenarios"))
        .expect("scenarios")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("connlist.txt").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_scenario_read_live_gives_its_expected_connlist() {
    let mut compared = Vec::new();
    let mut skipped = Vec::new();
    for dir in scenario_dirs() {
        let name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let env = Env::new();
        if let Err(kind) = seed(&env.kube, &objects_of(&dir)) {
            skipped.push(format!("{name} ({kind})"));
            continue;
        }
        let expected = std::fs::read_to_string(dir.join("connlist.txt")).expect("connlist.txt");
        let run = env.live(&["connlist"]);
        assert_eq!(run.code, 0, "{name}:\n{}", run.transcript());
        assert_eq!(run.stdout, expected, "{name} read live:\n{}", run.transcript());
        env.assert_read_only();
        compared.push(name);
    }
    eprintln!("compared {} scenarios live; skipped {skipped:?}", compared.len());
    // Scenarios with kinds the loopback server does not serve (or broken YAML) are left
    // to the file-based tests; most must have been compared.
    assert!(
        compared.len() >= 35,
        "compared {}: {compared:?}\nskipped: {skipped:?}",
        compared.len()
    );
}

/// The shop of `inputs/live/shop.yaml`: two Deployments, a Service, a policy that lets
/// only web reach db on 5432.
const SHOP: &str = "crates/cli/tests/inputs/live/shop.yaml";

fn shop(kube: &TestKube) {
    seed(kube, &objects_of(&workspace_root().join(SHOP))).expect("seed");
}

#[test]
fn connlist_explain_and_analyze_read_the_cluster_and_only_read_it() {
    let env = Env::new();
    shop(&env.kube);
    let connlist = env.live(&["connlist"]);
    assert_eq!(connlist.code, 0, "{}", connlist.transcript());
    assert!(
        connlist
            .stdout
            .contains("shop/web[Deployment] => shop/db[Deployment] : TCP 5432\n"),
        "{}",
        connlist.stdout
    );
    assert!(
        !connlist.stdout.contains("[External] => shop/db"),
        "{}",
        connlist.stdout
    );
    // kubectl's page size, every kind listed across namespaces.
    let lists: Vec<String> = env
        .kube
        .requests()
        .iter()
        .filter(|r| r.param("limit").is_some())
        .map(|r| r.path.clone())
        .collect();
    for path in [
        "/api/v1/namespaces",
        "/api/v1/pods",
        "/api/v1/services",
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/replicasets",
        "/apis/networking.k8s.io/v1/networkpolicies",
        "/apis/networking.k8s.io/v1/ingresses",
    ] {
        assert!(lists.iter().any(|p| p == path), "{path} not listed: {lists:?}");
    }
    assert!(env
        .kube
        .requests()
        .iter()
        .filter(|r| r.param("limit").is_some())
        .all(|r| r.param("limit") == Some("500")));

    let explain = env.live(&["explain", "--src", "shop/web", "--dst", "shop/db", "--port", "5432"]);
    assert_eq!(explain.code, 0, "{}", explain.transcript());
    assert!(explain.stdout.contains("db-from-web"), "{}", explain.stdout);
    assert!(
        explain.stdout.contains("cluster:test/"),
        "the rule is cited in the live file: {}",
        explain.stdout
    );

    let analyze = env.live(&["analyze", "-o", "json"]);
    assert!(analyze.code == 0 || analyze.code == 1, "{}", analyze.transcript());
    serde_json::from_str::<serde_json::Value>(&analyze.stdout).expect("analyze -o json is JSON");
    env.assert_read_only();
}

#[test]
fn the_same_cluster_read_from_files_or_live_gives_the_same_connections() {
    let env = Env::new();
    shop(&env.kube);
    let live = env.live(&["connlist"]);
    let files = env.netplay(&["connlist", SHOP]);
    assert_eq!(files.code, 0, "{}", files.transcript());
    assert_eq!(live.stdout, files.stdout);
}

#[test]
fn a_large_cluster_is_read_in_pages_of_500() {
    let env = Env::new();
    env.kube.apply_as(
        "seed",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "big"}}),
    );
    for i in 0..1203 {
        env.kube.apply_as(
            "seed",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i:04}"), "namespace": "big",
                   "labels": {"app": "p"}}, "spec": {"containers": [{"name": "c", "image": "pause"}]}}),
        );
    }
    let dir = TempDir::new("big");
    let out = file_in(&dir, "snapshot");
    let run = env.live(&["dump", "--out", &out]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let pods: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("snapshot/pods.json")).expect("pods.json"))
            .expect("json");
    assert_eq!(pods["items"].as_array().map(Vec::len), Some(1203));
    let pages: Vec<(Option<String>, Option<String>)> = env
        .kube
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .map(|r| {
            (
                r.param("limit").map(str::to_string),
                r.param("continue").map(|_| "token".to_string()),
            )
        })
        .collect();
    let token = Some("token".to_string());
    let limit = Some("500".to_string());
    assert_eq!(
        pages,
        [(limit.clone(), None), (limit.clone(), token.clone()), (limit, token)]
    );
}

#[test]
fn an_expired_continue_token_reads_the_kind_again_in_one_request() {
    let env = Env::new();
    for i in 0..700 {
        env.kube.apply_as(
            "seed",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i:03}"), "namespace": "default"},
                   "spec": {"containers": [{"name": "c", "image": "pause"}]}}),
        );
    }
    env.kube.inject(
        |r| r.path == "/api/v1/pods" && r.param("continue").is_some(),
        Fault::Status {
            code: 410,
            retry_after: None,
        },
        1,
    );
    let dir = TempDir::new("expired");
    let run = env.live(&["dump", "--out", &file_in(&dir, "s"), "-v=1"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stderr.contains("continue token expired"), "{}", run.stderr);
    let pods = std::fs::read_to_string(dir.0.join("s/pods.json")).expect("pods.json");
    assert_eq!(pods.matches("\"kind\": \"Pod\"").count(), 700);
    let last = env
        .kube
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/v1/pods")
        .expect("a pods list");
    assert_eq!((last.param("limit"), last.param("continue")), (None, None));
}

#[test]
fn dump_then_connlist_offline_is_connlist_live() {
    let env = Env::new();
    shop(&env.kube);
    let dir = TempDir::new("dump");
    let out = file_in(&dir, "snapshot");
    let dump = env.live(&["dump", "--out", &out]);
    assert_eq!(dump.code, 0, "{}", dump.transcript());
    assert!(
        dump.stderr.contains(&format!("objects of 4 kinds to {out}")),
        "{}",
        dump.stderr
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("snapshot")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "README.md",
            "deployments.apps.json",
            "namespaces.json",
            "networkpolicies.networking.k8s.io.json",
            "services.json"
        ]
    );
    let offline = env.netplay(&["connlist", &out]);
    let live = env.live(&["connlist"]);
    assert_eq!(offline.code, 0, "{}", offline.transcript());
    assert_eq!(offline.stdout, live.stdout);
    for format in ["json", "csv", "md", "dot"] {
        assert_eq!(
            env.netplay(&["connlist", &out, "-o", format]).stdout,
            env.live(&["connlist", "-o", format]).stdout,
            "{format}"
        );
    }
    // Another dump into the same directory would mix two snapshots.
    let again = env.live(&["dump", "--out", &out]);
    assert_eq!(again.code, 2, "{}", again.transcript());
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);
    env.assert_read_only();
}

#[test]
fn forbidden_kinds_are_named_and_skipped_and_all_forbidden_is_one_line_and_exit_2() {
    let env = Env::new();
    shop(&env.kube);
    env.kube.forbid("networkpolicies.networking.k8s.io");
    let run = env.live(&["connlist"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stderr.contains(
            "netplay: not read: networkpolicies.networking.k8s.io: networkpolicies.networking.k8s.io is forbidden: \
             User \"tester\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" at the cluster scope"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("[External] => shop/db[Deployment]"),
        "no policy was read: {}",
        run.stdout
    );

    let env = Env::new();
    shop(&env.kube);
    env.kube.forbid("*");
    let run = env.live(&["connlist"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("every read was refused (403 Forbidden)"),
        "{}",
        run.stderr
    );
}

#[test]
fn kinds_the_cluster_does_not_serve_are_counted_and_custom_resources_are_read() {
    let env = Env::new();
    shop(&env.kube);
    env.kube.apply_as(
        "seed",
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "authorizationpolicies.security.istio.io"},
               "spec": {"group": "security.istio.io", "scope": "Namespaced",
                        "names": {"kind": "AuthorizationPolicy", "plural": "authorizationpolicies"},
                        "versions": [{"name": "v1"}]}}),
    );
    std::thread::sleep(std::time::Duration::from_millis(250));
    env.kube.apply_as(
        "seed",
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
               "metadata": {"name": "deny-all", "namespace": "shop"}, "spec": {}}),
    );
    let dir = TempDir::new("crd");
    let run = env.live(&["dump", "--out", &file_in(&dir, "s")]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stderr.contains("kinds netplay reads are not served by this cluster (CRDs not installed), so none were read (-v=1 names them)"),
        "{}",
        run.stderr
    );
    let policies = std::fs::read_to_string(dir.0.join("s/authorizationpolicies.security.istio.io.json")).expect("read");
    assert!(
        policies.contains("\"apiVersion\": \"security.istio.io/v1\""),
        "{policies}"
    );
    let named = env.live(&["connlist", "-v=1"]);
    assert!(
        named.stderr.contains("VirtualService.networking.istio.io"),
        "{}",
        named.stderr
    );
    assert!(
        !named.stderr.contains("AuthorizationPolicy.security.istio.io"),
        "{}",
        named.stderr
    );
}

#[test]
fn bad_kubeconfig_unreachable_server_and_refused_credentials_are_one_line_each_and_exit_2() {
    let dir = TempDir::new("bad");
    // Not YAML, with the token in the broken part.
    std::fs::write(
        dir.0.join("broken"),
        format!("users:\n- user:\n    token: {TOKEN}\n  : [\n"),
    )
    .expect("write");
    // A server that stopped: its port no longer answers.
    let gone = TestKube::start();
    let unreachable = gone.kubeconfig("gone", TOKEN);
    drop(gone);
    std::fs::write(dir.0.join("unreachable"), unreachable).expect("write");
    let refusing = TestKube::start();
    refusing.require_token("another-token");
    std::fs::write(dir.0.join("refused"), refusing.kubeconfig("test", TOKEN)).expect("write");
    for (config, expected) in [
        ("broken", "broken:"),
        ("unreachable", "cannot reach the server: Connection refused"),
        ("refused", "the server refused the credentials (401 Unauthorized)"),
    ] {
        for command in [&["connlist"][..], &["dump", "--out", &file_in(&dir, "never")]] {
            let path = file_in(&dir, config);
            let mut args = command.to_vec();
            args.extend(["--kubeconfig", path.as_str()]);
            let run = netplay_at_home(&dir.0, &args);
            assert_eq!(run.code, 2, "{}", run.transcript());
            assert_eq!(run.stdout, "");
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.transcript());
            assert!(run.stderr.contains(expected), "{}", run.transcript());
        }
    }
    assert!(!dir.0.join("never").exists());
    // No --kubeconfig, no KUBECONFIG and no ~/.kube/config.
    let none = netplay_at_home(&dir.0, &["connlist", "--live"]);
    assert_eq!((none.code, none.stdout.as_str()), (2, ""), "{}", none.transcript());
    assert_eq!(none.stderr.lines().count(), 1, "{}", none.transcript());
    assert!(
        none.stderr.contains("no kubeconfig: ") && none.stderr.contains(".kube/config does not exist"),
        "{}",
        none.transcript()
    );
}

#[test]
fn files_and_a_cluster_together_are_refused() {
    let env = Env::new();
    let run = env.live(&["connlist", SHOP]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("give files or a cluster"), "{}", run.stderr);
    assert!(env.kube.requests().is_empty());
}

#[test]
fn diff_with_a_cluster_shows_what_applying_the_input_would_change_in_connections() {
    let env = Env::new();
    shop(&env.kube);
    let dir = TempDir::new("diff");
    // Tighten the db policy to nothing and add a deny-all for web.
    std::fs::write(
        dir.0.join("change.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-from-web\n  namespace: shop\n\
         spec:\n  podSelector:\n    matchLabels:\n      app: db\n  policyTypes: [Ingress]\n",
    )
    .expect("write");
    let change = file_in(&dir, "change.yaml");
    let run = env.live(&["diff", &change]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("shop/web[Deployment] => shop/db[Deployment] : TCP 5432"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().all(|l| !l.contains("shop/db[Deployment] =>")),
        "{}",
        run.stdout
    );
    env.assert_read_only();

    // Applying what the cluster already has changes nothing.
    std::fs::write(
        dir.0.join("same.yaml"),
        std::fs::read_to_string(workspace_root().join(SHOP)).expect("read"),
    )
    .expect("write");
    let same = env.live(&["diff", &file_in(&dir, "same.yaml")]);
    assert_eq!((same.code, same.stdout.as_str()), (0, ""), "{}", same.transcript());
}

#[test]
fn diff_without_new_says_which_comparisons_exist() {
    let env = Env::new();
    let run = env.netplay(&["diff", SHOP]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("--server-side"), "{}", run.stderr);
    assert!(run.stderr.contains("--context"), "{}", run.stderr);
    let two = env.live(&["diff", SHOP, SHOP]);
    assert_eq!(two.code, 2, "{}", two.transcript());
    assert!(env.kube.requests().is_empty());
}

#[test]
fn the_token_never_appears_even_at_the_highest_verbosity() {
    let env = Env::new();
    shop(&env.kube);
    let run = env.live(&["connlist", "-v=9"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let url = env.kube.url();
    assert!(
        run.stderr
            .contains(&format!("GET {url}/api/v1/pods?&limit=500 200 OK in"))
            || run
                .stderr
                .contains(&format!("GET {url}/api/v1/pods?limit=500 200 OK in")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Authorization: <masked: a bearer token>"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("authenticating with a bearer token"),
        "{}",
        run.stderr
    );
    // The token did reach the server.
    assert!(env
        .kube
        .requests()
        .iter()
        .all(|r| r.authorization.as_deref() == Some(format!("Bearer {TOKEN}").as_str())));
}

#[test]
fn exec_plugin_and_client_certificate_kubeconfigs_work_over_https() {
    let kube = TestKube::start_with(Options {
        tls: true,
        client_certificates: true,
        ..Options::default()
    });
    shop(&kube);
    // Only the exec plugin's token or the client certificate opens the server.
    kube.require_token(TOKEN);
    let dir = TempDir::new("auth");
    let plugin = dir.0.join("credential-plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": \"ExecCredential\", \
             \"status\": {{\"token\": \"{TOKEN}\"}}}}'\n"
        ),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        plugin.display()
    );
    std::fs::write(dir.0.join("exec"), kube.kubeconfig_for_user("exec", &exec)).expect("write");
    let cert = kube.client_certificate("cert-user");
    std::fs::write(dir.0.join("cert"), kube.kubeconfig_for_user("cert", &cert)).expect("write");
    let key_line = cert.lines().find(|l| l.contains("client-key-data")).unwrap_or_default();
    let key = key_line
        .split_once(": ")
        .map(|(_, k)| k.trim().to_string())
        .unwrap_or_default();
    for config in ["exec", "cert"] {
        kube.clear_requests();
        let run = netplay_at_home(&dir.0, &["connlist", "-v=9", "--kubeconfig", &file_in(&dir, config)]);
        assert_eq!(run.code, 0, "{config}: {}", run.transcript());
        assert!(
            run.stdout
                .contains("shop/web[Deployment] => shop/db[Deployment] : TCP 5432"),
            "{}",
            run.stdout
        );
        assert!(!run.stderr.contains(&key), "the client key was printed: {}", run.stderr);
        let requests = kube.requests();
        match config {
            "exec" => assert!(requests
                .iter()
                .all(|r| r.authorization.as_deref() == Some(format!("Bearer {TOKEN}").as_str()))),
            _ => assert!(requests.iter().all(|r| r.user.as_deref() == Some("cert-user"))),
        }
    }
}
