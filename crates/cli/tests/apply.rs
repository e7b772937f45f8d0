//! `netplay apply`, `netplay diff BUNDLE` and `--prune`, driven as a user would: the real
//! binary, a generated kubeconfig, and the loopback API server of netplay-testkube
//! (which implements server-side apply with field managers, CRDs that become Established
//! after a delay, label-selected lists and deletes, and records every request).
//!
//! The input is `inputs/apply/shop`: a Namespace, a CRD and one of its Widgets, a
//! NetworkPolicy, a Deployment, a Service and a ConfigMap, deliberately in files whose
//! order is not the install order.
//!
//! Every run checks that the kubeconfig's token appears neither on stdout nor on stderr.

mod common;

use common::{workspace_root, Netplay, Run, TempDir};
use insta::assert_snapshot;
use netplay_testkube::{Options, TestKube};
use serde_json::json;
use std::time::Duration;

const SHOP: &str = "crates/cli/tests/inputs/apply/shop";
/// The bearer token of every generated kubeconfig; it must never be printed.
const TOKEN: &str = "s3cr3t-token-never-printed";

/// A loopback server and a kubeconfig for it (context `test`, or the given name).
struct Env {
    kube: TestKube,
    dir: TempDir,
}

impl Env {
    fn new() -> Env {
        Env::with(Options::default(), "test")
    }

    fn with(options: Options, context: &str) -> Env {
        let kube = TestKube::start_with(options);
        let dir = TempDir::new("env");
        std::fs::write(dir.0.join("kubeconfig"), kube.kubeconfig(context, TOKEN)).expect("kubeconfig");
        Env { kube, dir }
    }

    fn kubeconfig(&self) -> String {
        self.dir.0.join("kubeconfig").display().to_string()
    }

    /// Runs `netplay ARGS --kubeconfig ...` (no kubeconfig for `bundle`) in the workspace root.
    fn netplay(&self, args: &[&str]) -> Run {
        let mut cmd = Netplay::new(args).env_remove("KUBECONFIG").env("HOME", &self.dir.0);
        if args.first() != Some(&"bundle") {
            cmd = cmd.hidden_args(&["--kubeconfig".to_string(), self.kubeconfig()]);
        }
        let run = cmd.run();
        assert!(
            !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
            "the token was printed:\n{}",
            run.transcript()
        );
        run
    }

    /// `PATCH`es the server received: `path?query` of each, in order.
    fn patches(&self) -> Vec<String> {
        self.kube
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .map(|r| {
                let q: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}?{}", r.path, q.join("&"))
            })
            .collect()
    }
}

#[test]
fn apply_creates_in_install_order_waits_for_the_crd_and_a_rerun_changes_nothing() {
    let env = Env::new();
    let first = env.netplay(&["apply", SHOP]);
    assert_eq!(first.code, 0, "{}", first.transcript());
    let second = env.netplay(&["apply", SHOP]);
    assert_eq!(second.code, 0, "{}", second.transcript());
    assert_snapshot!(format!("{}\n{}", first.transcript(), second.transcript()));

    // Namespaces and CRDs, network policies, the rest in install order, custom resources.
    let first_patches: Vec<String> = env.patches().into_iter().take(7).collect();
    assert_eq!(
        first_patches,
        [
            "/api/v1/namespaces/shop?fieldManager=netplay",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com?fieldManager=netplay",
            "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/web-ingress?fieldManager=netplay",
            "/api/v1/namespaces/shop/configmaps/web-config?fieldManager=netplay",
            "/api/v1/namespaces/shop/services/web?fieldManager=netplay",
            "/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=netplay",
            "/apis/example.com/v1/namespaces/shop/widgets/gadget?fieldManager=netplay",
        ]
    );
    // Every apply is a server-side apply patch as field manager netplay, without force.
    for r in env.kube.requests().iter().filter(|r| r.method == "PATCH") {
        assert_eq!(r.content_type.as_deref(), Some("application/apply-patch+yaml"), "{r:?}");
        assert_eq!(r.param("force"), None, "{r:?}");
    }
    // The token went to the server (so the test above that it is never printed means something).
    assert!(env
        .kube
        .requests()
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    let widget = env
        .kube
        .object("example.com/v1", "Widget", "shop", "gadget")
        .expect("applied");
    assert_eq!(widget["spec"]["size"], 3);
    assert_eq!(widget["metadata"]["managedFields"][0]["manager"], "netplay");
}

#[test]
fn a_crd_that_is_not_established_in_time_fails_with_its_custom_resources() {
    let env = Env::with(
        Options {
            crd_established_after: Duration::from_secs(30),
            ..Options::default()
        },
        "test",
    );
    let run = env.netplay(&["apply", SHOP, "--crd-timeout", "300ms"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains(
            "failed: CustomResourceDefinition widgets.example.com: not Established after 0.3s (--crd-timeout)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "failed: Widget shop/gadget: the server does not serve example.com/v1 Widget (is its CRD installed?)"
        ),
        "{}",
        run.stdout
    );
    // Everything else was applied all the same.
    assert!(
        run.stdout
            .ends_with("5 created, 0 configured, 0 unchanged, 0 pruned, 2 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failed_object_does_not_stop_the_others_and_a_rerun_converges() {
    let env = Env::new();
    env.kube.reject_apply("services", "web", 500);
    let failed = env.netplay(&["apply", SHOP]);
    assert_eq!(failed.code, 1, "{}", failed.transcript());
    assert!(env.kube.object("apps/v1", "Deployment", "shop", "web").is_some());
    assert!(env.kube.object("v1", "Service", "shop", "web").is_none());

    env.kube.clear_rejects();
    let rerun = env.netplay(&["apply", SHOP]);
    assert_eq!(rerun.code, 0, "{}", rerun.transcript());
    assert!(env.kube.object("v1", "Service", "shop", "web").is_some());
    assert_snapshot!(format!("{}\n{}", failed.transcript(), rerun.transcript()));
}

#[test]
fn a_field_owned_by_another_manager_is_a_conflict_until_forced() {
    let env = Env::new();
    env.kube.apply_as(
        "kubectl-edit",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    env.kube.apply_as(
        "kubectl-edit",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "web-config", "namespace": "shop"}, "data": {"greeting": "hi"}}),
    );
    let refused = env.netplay(&["apply", SHOP]);
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    let cm = env
        .kube
        .object("v1", "ConfigMap", "shop", "web-config")
        .expect("exists");
    assert_eq!(cm["data"]["greeting"], "hi", "a conflict changes nothing");

    let forced = env.netplay(&["apply", SHOP, "--force-conflicts"]);
    assert_eq!(forced.code, 0, "{}", forced.transcript());
    let cm = env
        .kube
        .object("v1", "ConfigMap", "shop", "web-config")
        .expect("exists");
    assert_eq!(cm["data"]["greeting"], "hello");
    assert_eq!(cm["metadata"]["managedFields"][0]["manager"], "netplay", "{cm}");
    assert_eq!(
        env.patches().last().map(|p| p.contains("force=true")),
        Some(true),
        "--force-conflicts sends force=true"
    );
    assert_snapshot!(format!("{}\n{}", refused.transcript(), forced.transcript()));
}

#[test]
fn a_server_dry_run_reports_what_would_happen_and_changes_nothing() {
    let env = Env::new();
    let run = env.netplay(&["apply", SHOP, "--dry-run", "server"]);
    // The objects in the new namespace and the Widget of the new CRD cannot be checked by
    // the server (neither exists during a dry run): they are reported, not failed.
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(env.kube.names(), Vec::<String>::new());
    assert!(
        env.patches().iter().all(|p| p.contains("dryRun=All")),
        "{:?}",
        env.patches()
    );
    assert_snapshot!(run.transcript());
}

#[test]
fn a_context_named_like_production_is_refused_without_yes() {
    let env = Env::with(Options::default(), "prod-eu");
    let refused = env.netplay(&["apply", SHOP]);
    assert_eq!(refused.code, 2, "{}", refused.transcript());
    assert!(env.kube.requests().iter().all(|r| r.method != "PATCH"));
    let allowed = env.netplay(&["apply", SHOP, "--yes"]);
    assert_eq!(allowed.code, 0, "{}", allowed.transcript());
    assert_snapshot!(refused.transcript());
}

#[test]
fn aggregated_discovery_is_used_when_served_and_legacy_discovery_otherwise() {
    for aggregated in [true, false] {
        let env = Env::with(
            Options {
                aggregated_discovery: aggregated,
                ..Options::default()
            },
            "test",
        );
        let run = env.netplay(&["apply", SHOP]);
        assert_eq!(run.code, 0, "{}", run.transcript());
        let legacy_group_reads = env
            .kube
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == "/apis/apps/v1")
            .count();
        assert_eq!(legacy_group_reads > 0, !aggregated, "aggregated: {aggregated}");
    }
}

/// Writes a bundle of `inputs/apply/shop` into `dir`.
fn shop_bundle(env: &Env) -> String {
    let zip = env.dir.0.join("shop.zip").display().to_string();
    let run = env.netplay(&["bundle", SHOP, "--out", &zip]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    zip
}

#[test]
fn a_bundle_applies_like_its_directory_and_is_the_web_export_byte_for_byte() {
    let env = Env::new();
    let zip = shop_bundle(&env);
    // The web app exports `export::bundle(name, files)` with the files named as in the
    // editor: the paths below the scenario's directory.
    let mut files = Vec::new();
    for name in [
        "00-namespace.yaml",
        "app.yaml",
        "crd.yaml",
        "policy.yaml",
        "widget.yaml",
    ] {
        let text = std::fs::read_to_string(workspace_root().join(SHOP).join(name)).expect("input");
        files.push(netplay_core::SourceFile::new(name, text));
    }
    let web = netplay_core::export::bundle("shop", &files).expect("bundle");
    assert_eq!(std::fs::read(&zip).expect("zip"), web);

    let run = env.netplay(&["apply", &zip]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run
        .stdout
        .ends_with("7 created, 0 configured, 0 unchanged, 0 pruned, 0 failed\n"));
}

#[test]
fn a_bundle_whose_checksums_do_not_match_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let policy = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: evil\n";
    let manifest = format!(
        r#"{{"formatVersion":1,"generator":"netplay 0.1.0","scenario":"x","files":[{{"path":"ns.yaml","sha256":"{}","size":{}}}]}}"#,
        "0".repeat(64),
        policy.len()
    );
    let zip = env.dir.0.join("tampered.zip");
    std::fs::write(
        &zip,
        netplay_synth::zip::stored(&[("bundle.json", manifest.as_bytes()), ("ns.yaml", policy)]),
    )
    .expect("zip");
    let run = env.netplay(&["apply", &zip.display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr.contains("does not match bundle.json: its sha256 is"),
        "{}",
        run.stderr
    );
    assert!(env.kube.requests().is_empty());
}

#[test]
fn diff_shows_what_apply_would_change_masks_secrets_and_exits_1() {
    let env = Env::new();
    let dir = TempDir::new("diff");
    std::fs::write(
        dir.0.join("objects.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: default\ndata:\n  greeting: hello\n\
         ---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: default\nstringData:\n  password: hunter2\n",
    )
    .expect("write");
    let input = dir.0.join("objects.yaml").display().to_string();
    env.kube.apply_as(
        "kubectl",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "web-config", "namespace": "default"}, "data": {"greeting": "hi", "extra": "1"}}),
    );
    env.kube.apply_as(
        "kubectl",
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "db", "namespace": "default"}, "stringData": {"password": "old-password"}}),
    );
    let before = env.kube.names();
    let run = env.netplay(&["diff", &input, "--server-side"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        !run.stdout.contains("hunter2") && !run.stdout.contains("old-password"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("managedFields"), "{}", run.stdout);
    assert_eq!(env.kube.names(), before, "a diff changes nothing");
    assert!(env
        .patches()
        .iter()
        .all(|p| p.contains("dryRun=All") && p.contains("force=true")));
    assert_snapshot!(run.transcript().replace(&input, "objects.yaml"));

    assert_eq!(env.netplay(&["apply", &input, "--force-conflicts"]).code, 0);
    let same = env.netplay(&["diff", &input, "--server-side"]);
    assert_eq!((same.code, same.stdout.as_str()), (0, ""), "{}", same.transcript());
}

#[test]
fn diff_of_two_paths_compares_connections_and_one_path_alone_is_an_error() {
    let env = Env::new();
    let run = env.netplay(&["diff", SHOP, SHOP]);
    // Two inputs and a cluster: which comparison is meant is not guessed.
    assert_eq!(run.code, 2, "{}", run.transcript());
    let files_only = Netplay::new(&["diff", SHOP, SHOP]).run();
    assert_eq!(files_only.code, 0, "{}", files_only.transcript());
    // One path without --server-side or a cluster flag used to compare with the current
    // context silently; now it says what it can do.
    let alone = Netplay::new(&["diff", SHOP])
        .env("HOME", &env.dir.0)
        .env_remove("KUBECONFIG")
        .run();
    assert_eq!(alone.code, 2, "{}", alone.transcript());
    assert!(alone.stderr.contains("--server-side"), "{}", alone.stderr);
    assert!(env.kube.requests().is_empty());
}

#[test]
fn prune_deletes_what_left_the_set_but_never_namespaces_and_dry_run_only_reports() {
    let env = Env::new();
    let dir = TempDir::new("prune");
    let write = |name: &str, text: &str| std::fs::write(dir.0.join(name), text).expect("write");
    write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
    write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\ndata:\n  a: b\n",
    );
    write(
        "np.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: shop\nspec:\n  podSelector: {}\n",
    );
    let path = dir.0.display().to_string();
    let prune = |extra: &[&str]| {
        let mut args = vec![
            "apply",
            path.as_str(),
            "--prune",
            "--applyset",
            "shop-set",
            "-n",
            "shop",
        ];
        args.extend(extra);
        env.netplay(&args)
    };
    let first = prune(&[]);
    assert_eq!(first.code, 0, "{}", first.transcript());
    let parent = env
        .kube
        .object("v1", "Secret", "shop", "shop-set")
        .expect("the ApplySet parent");
    let id = parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(id, "applyset-eCbpJu342DTReriK-mK0uVKQKWA9wT4R3Kx5t1e6pws-v1");
    assert_eq!(
        parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
        "ConfigMap,Namespace,NetworkPolicy.networking.k8s.io"
    );
    let cm = env
        .kube
        .object("v1", "ConfigMap", "shop", "web-config")
        .expect("applied");
    assert_eq!(cm["metadata"]["labels"]["applyset.kubernetes.io/part-of"], id.as_str());

    // Namespace and ConfigMap leave the input.
    std::fs::remove_file(dir.0.join("ns.yaml")).expect("rm");
    std::fs::remove_file(dir.0.join("cm.yaml")).expect("rm");
    let dry = prune(&["--dry-run", "server"]);
    assert_eq!(dry.code, 0, "{}", dry.transcript());
    assert!(
        env.kube.object("v1", "ConfigMap", "shop", "web-config").is_some(),
        "a dry run prunes nothing"
    );
    let real = prune(&[]);
    assert_eq!(real.code, 0, "{}", real.transcript());
    assert!(env.kube.object("v1", "ConfigMap", "shop", "web-config").is_none());
    assert!(
        env.kube.object("v1", "Namespace", "", "shop").is_some(),
        "namespaces are never pruned"
    );
    let parent = env.kube.object("v1", "Secret", "shop", "shop-set").expect("parent");
    assert_eq!(
        parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
        "NetworkPolicy.networking.k8s.io",
        "after pruning, the parent lists the kinds of this run"
    );
    assert_snapshot!(
        format!("{}\n{}\n{}", first.transcript(), dry.transcript(), real.transcript()).replace(&path, "DIR")
    );
}

/// web (any client) and db (only from web) in namespace shop, with a Service each.
const PROBE_INPUT: &str = "crates/cli/tests/inputs/apply/probe";

#[test]
fn probe_emit_writes_one_connection_tester_job_per_source_with_the_expected_results() {
    let env = Env::new();
    let run = env.netplay(&["probe", PROBE_INPUT, "--emit", "-"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(env.kube.requests().is_empty(), "--emit does not touch the cluster");
    // The manifests are what `kubectl apply` takes, and netplay reads them as two Jobs
    // with the sources' labels.
    let scenario = netplay_core::load(&[netplay_core::SourceFile::new("probe.yaml", run.stdout.clone())]);
    let jobs: Vec<String> = scenario.cluster.workloads.iter().map(|w| w.endpoint_name()).collect();
    assert_eq!(
        jobs,
        ["shop/connection-tester-db[Job]", "shop/connection-tester-web[Job]"]
    );
    assert!(run
        .stdout
        .contains("db.shop.svc.cluster.local:5432  # expected fail: shop/db[Deployment]"));
    assert!(run
        .stdout
        .contains("db.shop.svc.cluster.local:5432  # expected ok: shop/db[Deployment]"));
    // The tester of web runs as web's ServiceAccount; db names none.
    let accounts: Vec<(String, Option<String>)> = scenario
        .cluster
        .workloads
        .iter()
        .map(|w| (w.name.clone(), w.service_account.clone()))
        .collect();
    assert_eq!(
        accounts,
        [
            ("connection-tester-db".to_string(), None),
            ("connection-tester-web".to_string(), Some("web".to_string()))
        ]
    );
}

#[test]
fn probe_reports_a_cni_that_does_not_enforce_a_policy_and_passes_when_it_does() {
    let env = Env::new();
    assert_eq!(env.netplay(&["apply", PROBE_INPUT]).code, 0);
    // A CNI that enforces nothing: db reaches db although db-from-web admits only web.
    env.kube.set_reachability(|_, _| true);
    let open = env.netplay(&["probe", PROBE_INPUT]);
    assert_eq!(open.code, 1, "{}", open.transcript());
    // A CNI that enforces db-from-web: only the tester of db (wearing db's labels) is
    // refused by db.
    env.kube
        .set_reachability(|src, dst| !(src.starts_with("shop/connection-tester-db-") && dst.starts_with("db.shop.")));
    let enforced = env.netplay(&["probe", PROBE_INPUT]);
    assert_eq!(enforced.code, 0, "{}", enforced.transcript());
    // The first run's Pods are still there (deleting a Job does not wait for them), with
    // their `ok` lines: the report reads only the Pods of this run's Jobs.
    let log_reads = env.kube.requests().iter().filter(|r| r.path.ends_with("/log")).count();
    assert_eq!(log_reads, 4, "each run reads the logs of its own two Pods only");
    let pod_labels = &env
        .kube
        .object("batch/v1", "Job", "shop", "connection-tester-db")
        .expect("the probe Job")["spec"]["template"]["metadata"]["labels"];
    assert_eq!(pod_labels["app"], "db", "{pod_labels}");
    assert_snapshot!(format!("{}\n{}", open.transcript(), enforced.transcript()));
}

#[test]
fn the_context_comes_from_kubeconfig_env_and_context_flag_as_with_kubectl() {
    let (a, b) = (TestKube::start(), TestKube::start());
    let dir = TempDir::new("contexts");
    let config = dir.0.join("config");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: {}\n- name: b\n  cluster:\n    server: {}\n\
             users:\n- name: u\n  user:\n    token: {TOKEN}\ncontexts:\n- name: ctx-a\n  context:\n    cluster: a\n    user: u\n\
             - name: ctx-b\n  context:\n    cluster: b\n    user: u\n    namespace: shop\ncurrent-context: ctx-a\n",
            a.url(),
            b.url()
        ),
    )
    .expect("kubeconfig");
    let input = dir.0.join("cm.yaml");
    std::fs::write(
        &input,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n",
    )
    .expect("write");
    let input = input.display().to_string();
    let netplay = |extra: &[&str]| {
        let run = Netplay::new(&[&["apply", input.as_str()], extra].concat())
            .env("KUBECONFIG", &config)
            .env("HOME", &dir.0)
            .run();
        let text = format!("{}{}", run.stdout, run.stderr);
        assert!(!text.contains(TOKEN), "{text}");
        (run.code, text)
    };
    // The current context: server a, namespace default.
    assert_eq!(netplay(&[]).0, 0);
    assert!(a.object("v1", "ConfigMap", "default", "c").is_some());
    assert!(b.requests().is_empty());
    // --context picks server b and its namespace (which must exist there).
    b.apply_as(
        "setup",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    assert_eq!(netplay(&["--context", "ctx-b"]).0, 0);
    assert!(b.object("v1", "ConfigMap", "shop", "c").is_some());
    // An unknown context is an error that names it.
    let (code, text) = netplay(&["--context", "ctx-c"]);
    assert_eq!(code, 2);
    assert!(text.contains("the kubeconfig has no context \"ctx-c\""), "{text}");
}

#[test]
fn an_unreachable_server_or_a_broken_client_key_is_reported_without_the_credentials() {
    // A client key (base64 of KEY_TEXT, not a usable key): neither form may be printed.
    const KEY_TEXT: &str = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
    const KEY: &str = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmMyVmpjbVYwTFd0bGVTMXRZWFJsY21saGJBPT0KLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo=";
    let dir = TempDir::new("unreachable");
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let key_lines = format!("    client-certificate-data: {KEY}\n    client-key-data: {KEY}\n");
    for (keys, expected) in [
        ("", "cannot reach the server: Connection refused"),
        (key_lines.as_str(), "rustls tls error"),
    ] {
        let config = dir.0.join("config");
        std::fs::write(
            &config,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\n\
                 users:\n- name: u\n  user:\n    token: {TOKEN}\n    username: admin\n    password: {TOKEN}-password\n\
                 {keys}contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n"
            ),
        )
        .expect("kubeconfig");
        let run = Netplay::new(&["apply", SHOP, "--kubeconfig", &config.display().to_string()])
            .env("HOME", &dir.0)
            .run();
        let text = format!("{}{}", run.stdout, run.stderr);
        assert_eq!(run.code, 2, "{text}");
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains(KEY) && !text.contains(KEY_TEXT), "{text}");
    }
}

/// On a machine with a cluster: `NETPLAY_TEST_CONTEXT=kind-netplay cargo test -p netplay
/// --test apply -- --ignored`. Creates namespace `shop` and the objects of
/// `inputs/apply/probe` there; the CNI must enforce NetworkPolicies.
#[test]
#[ignore = "needs a Kubernetes cluster: set NETPLAY_TEST_CONTEXT to a kubeconfig context that may be changed"]
fn on_a_real_cluster_apply_converges_diff_is_empty_and_probe_matches() {
    let context = std::env::var("NETPLAY_TEST_CONTEXT").expect("NETPLAY_TEST_CONTEXT names the context to use");
    let run = |args: &[&str]| {
        let run = Netplay::new(args).hidden_args(&["--context", &context]).run();
        (run.code, format!("{}{}", run.stdout, run.stderr))
    };
    let (code, text) = run(&["apply", PROBE_INPUT]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = run(&["apply", PROBE_INPUT]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("\n0 created, 0 configured"),
        "a rerun changes nothing:\n{text}"
    );
    let (code, text) = run(&["diff", PROBE_INPUT, "--server-side"]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = run(&["probe", PROBE_INPUT, "--timeout", "300s"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn diff_shows_objects_in_a_new_namespace_or_of_a_new_crd_as_added_from_the_input() {
    let env = Env::new();
    let run = env.netplay(&["diff", SHOP, "--server-side"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains(
            "# example.com.Widget.shop.gadget: its CRD is new in this input, so this is the input as written, not a \
             server dry run\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+++ merged/apps.Deployment.shop.web\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("+++ merged/Namespace.shop\n"), "{}", run.stdout);
    assert_eq!(env.kube.names(), Vec::<String>::new(), "a diff changes nothing");
}

#[test]
fn a_first_prune_dry_run_into_a_new_namespace_notes_that_the_parent_cannot_be_written_yet() {
    let env = Env::new();
    let run = env.netplay(&[
        "apply",
        SHOP,
        "--prune",
        "--applyset",
        "shop-set",
        "-n",
        "shop",
        "--dry-run",
        "server",
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("note: cannot write the ApplySet parent Secret shop/shop-set: namespaces \"shop\" not found\n"),
        "{}",
        run.stdout
    );
    assert_eq!(env.kube.names(), Vec::<String>::new());
}

#[test]
fn https_with_the_clusters_ca_or_insecure_skip_tls_verify_works_and_another_ca_is_refused() {
    let tls = Options {
        tls: true,
        ..Options::default()
    };
    let kube = TestKube::start_with(tls.clone());
    let other = TestKube::start_with(tls);
    let dir = TempDir::new("https");
    let input = dir.0.join("cm.yaml");
    std::fs::write(
        &input,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n",
    )
    .expect("write");
    let apply = |config: &str| {
        let path = dir.0.join("config");
        std::fs::write(&path, config).expect("kubeconfig");
        let run = Netplay::new(&[
            "apply",
            &input.display().to_string(),
            "--kubeconfig",
            &path.display().to_string(),
        ])
        .env("HOME", &dir.0)
        .run();
        (run.code, format!("{}{}", run.stdout, run.stderr))
    };
    assert!(kube.url().starts_with("https://127.0.0.1:"));
    let (code, text) = apply(&kube.kubeconfig("c", TOKEN));
    assert_eq!(code, 0, "{text}");
    assert!(kube.object("v1", "ConfigMap", "default", "c").is_some());

    // Another server's certificate does not vouch for this one.
    let other_ca = other.kubeconfig("c", TOKEN);
    let other_ca_line = other_ca
        .lines()
        .find(|l| l.contains("certificate-authority-data"))
        .expect("CA");
    let mine = kube.kubeconfig("c", TOKEN);
    let mine_ca_line = mine
        .lines()
        .find(|l| l.contains("certificate-authority-data"))
        .expect("CA");
    let (code, text) = apply(&mine.replace(mine_ca_line, other_ca_line));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("invalid peer certificate"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");

    let (code, text) = apply(&mine.replace(mine_ca_line, "    insecure-skip-tls-verify: true"));
    assert_eq!(code, 0, "{text}");
}
