//! Failure injection: the loopback API server answers with conflicts, throttling, server
//! errors, slowness, dropped connections and expired pagination, and netplay does what
//! kubectl (client-go) does with each:
//!
//! | what the server does                  | netplay (as client-go)                        |
//! |---------------------------------------|-----------------------------------------------|
//! | 429 or 5xx with `Retry-After: N`      | waits N seconds and retries, any method       |
//! | 5xx without `Retry-After`, 409        | no retry: the object is reported as failed    |
//! | a GET's connection dropped            | retries at once (reads are idempotent)        |
//! | a PATCH's connection dropped          | no retry: reported (its effect is unknown)    |
//! | slower than `--request-timeout`       | no retry: reported as timed out               |
//! | 410 Expired on a `continue` token     | reads the kind again in one request           |
//!
//! Whatever fails, the other objects are still tried, the summary says per object what
//! could not be done, the exit code is not 0, and an ApplySet parent always lists the kind
//! and namespace of every object that carries the set's label.

mod common;

use common::cluster::{file_in, objects_of, seed, Env};
use common::{workspace_root, TempDir};
use insta::assert_snapshot;
use netplay_testkube::{Fault, Request, TestKube};
use serde_json::{json, Value};

/// Two Deployments, a Service and a NetworkPolicy in namespace shop.
const SHOP: &str = "crates/cli/tests/inputs/live/shop.yaml";

fn patch_of(resource: &'static str, name: &'static str) -> impl Fn(&Request) -> bool + Send + Sync {
    move |r| r.method == "PATCH" && r.path.ends_with(&format!("/{resource}/{name}"))
}

fn count(kube: &TestKube, method: &str, suffix: &str) -> usize {
    kube.requests()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .count()
}

fn status(code: u16, retry_after: Option<u32>) -> Fault {
    Fault::Status { code, retry_after }
}

#[test]
fn throttling_with_retry_after_is_retried_after_its_seconds_for_writes_and_reads() {
    let env = Env::new();
    env.kube.inject(patch_of("deployments", "web"), status(429, Some(1)), 1);
    env.kube.inject(patch_of("services", "web"), status(503, Some(0)), 2);
    let started = std::time::Instant::now();
    let run = env.live(&["apply", SHOP]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was not waited for"
    );
    assert_eq!(count(&env.kube, "PATCH", "/deployments/web"), 2);
    assert_eq!(count(&env.kube, "PATCH", "/services/web"), 3);
    assert!(
        run.stdout
            .ends_with("5 created, 0 configured, 0 unchanged, 0 pruned, 0 failed\n"),
        "{}",
        run.stdout
    );

    env.kube.inject(|r| r.path == "/api/v1/pods", status(429, Some(0)), 3);
    let read = env.live(&["connlist", "-v=2"]);
    assert_eq!(read.code, 0, "{}", read.transcript());
    assert_eq!(count(&env.kube, "GET", "/api/v1/pods"), 4);
    assert!(
        read.stderr
            .contains("429 Too Many Requests with Retry-After; retry 1 of 10"),
        "{}",
        read.stderr
    );
}

#[test]
fn a_server_error_without_retry_after_and_a_conflict_fail_their_object_only() {
    let env = Env::new();
    env.kube.inject(patch_of("deployments", "db"), status(500, None), 1);
    env.kube
        .inject(patch_of("networkpolicies", "db-from-web"), status(409, None), 1);
    let run = env.live(&["apply", SHOP]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(count(&env.kube, "PATCH", "/deployments/db"), 1, "not retried");
    assert_eq!(
        count(&env.kube, "PATCH", "/networkpolicies/db-from-web"),
        1,
        "not retried"
    );
    assert!(
        run.stdout
            .contains("failed: Deployment shop/db: Internal error occurred: injected by testkube\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("failed: NetworkPolicy shop/db-from-web: Operation cannot be fulfilled"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("3 created, 0 configured, 0 unchanged, 0 pruned, 2 failed\n"),
        "{}",
        run.stdout
    );
    assert!(env.kube.object("apps/v1", "Deployment", "shop", "web").is_some());
    assert_snapshot!(run.transcript());
}

#[test]
fn a_request_slower_than_the_timeout_is_reported_and_not_retried() {
    let env = Env::new();
    env.kube.inject(
        patch_of("services", "web"),
        Fault::Delay(std::time::Duration::from_secs(3)),
        1,
    );
    let run = env.live(&["apply", SHOP, "--request-timeout", "1s"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("failed: Service shop/web: "), "{}", run.stdout);
    assert!(
        run.stdout.contains("no answer within 1.0s (--request-timeout)"),
        "{}",
        run.stdout
    );
    assert_eq!(count(&env.kube, "PATCH", "/services/web"), 1);
    assert!(env.kube.object("apps/v1", "Deployment", "shop", "db").is_some());

    // A read that times out stops the reading of the cluster: one line, exit 2.
    env.kube.inject(
        |r| r.path == "/api/v1/pods",
        Fault::Delay(std::time::Duration::from_secs(3)),
        1,
    );
    let read = env.live(&["connlist", "--request-timeout", "1s"]);
    assert_eq!(read.code, 2, "{}", read.transcript());
    assert_eq!(read.stderr.lines().count(), 1, "{}", read.stderr);
    assert!(read.stderr.contains("cannot list pods"), "{}", read.stderr);
    let url = env.kube.url();
    assert_snapshot!(format!(
        "{}\n{}",
        run.transcript(),
        read.transcript().replace(url.as_str(), "SERVER")
    ));
}

#[test]
fn a_dropped_connection_is_retried_for_reads_and_reported_for_writes() {
    let env = Env::new();
    seed(&env.kube, &objects_of(&workspace_root().join(SHOP))).expect("seed");
    env.kube.inject(|r| r.path == "/api/v1/pods", Fault::Drop, 1);
    env.kube.inject(
        |r| r.path == "/api/v1/services" && r.param("continue").is_none(),
        Fault::Drop,
        2,
    );
    let read = env.live(&["connlist"]);
    assert_eq!(read.code, 0, "{}", read.transcript());
    assert!(
        read.stdout
            .contains("shop/web[Deployment] => shop/db[Deployment] : TCP 5432"),
        "{}",
        read.stdout
    );
    assert_eq!(count(&env.kube, "GET", "/api/v1/pods"), 2);
    assert_eq!(count(&env.kube, "GET", "/api/v1/services"), 3);

    env.kube.inject(patch_of("deployments", "web"), Fault::Drop, 1);
    let run = env.live(&["apply", SHOP]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(
        count(&env.kube, "PATCH", "/deployments/web"),
        1,
        "a write is not retried"
    );
    assert!(run.stdout.contains("failed: Deployment shop/web: "), "{}", run.stdout);
}

#[test]
fn a_dropped_connection_in_the_middle_of_a_paginated_list_is_retried_from_that_page() {
    let env = Env::new();
    for i in 0..600 {
        env.kube.apply_as(
            "seed",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i:03}"), "namespace": "default"},
                   "spec": {"containers": [{"name": "c", "image": "pause"}]}}),
        );
    }
    env.kube.inject(
        |r| r.path == "/api/v1/pods" && r.param("continue").is_some(),
        Fault::Drop,
        1,
    );
    let dir = TempDir::new("pages");
    let run = env.live(&["dump", "--out", &file_in(&dir, "s")]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let pods = std::fs::read_to_string(dir.0.join("s/pods.json")).expect("pods.json");
    assert_eq!(pods.matches("\"kind\": \"Pod\"").count(), 600);
    let continued: Vec<String> = env
        .kube
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .filter_map(|r| r.param("continue").map(str::to_string))
        .collect();
    assert_eq!(continued.len(), 2);
    assert_eq!(continued[0], continued[1], "the same page was asked again");
}

/// The ApplySet parent's kinds and namespaces cover every object labelled as its member.
fn assert_parent_covers_its_members(kube: &TestKube, id: &str) {
    let parent = kube.object("v1", "Secret", "shop", "set");
    let annotation = |key: &str| -> Vec<String> {
        parent
            .as_ref()
            .and_then(|p| p["metadata"]["annotations"][key].as_str())
            .map(|v| v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let kinds = annotation("applyset.kubernetes.io/contains-group-kinds");
    let mut namespaces = annotation("applyset.kubernetes.io/additional-namespaces");
    namespaces.push("shop".to_string());
    for member in kube.labelled("applyset.kubernetes.io/part-of", id) {
        let kind = member["kind"].as_str().unwrap_or_default();
        if kind == "Namespace" {
            continue; // never pruned
        }
        let group = member["apiVersion"]
            .as_str()
            .and_then(|v| v.split_once('/'))
            .map(|(g, _)| g);
        let group_kind = group.map_or(kind.to_string(), |g| format!("{kind}.{g}"));
        assert!(
            kinds.contains(&group_kind),
            "{group_kind} is not listed by the parent: {kinds:?}"
        );
        let ns = member["metadata"]["namespace"].as_str().unwrap_or_default();
        assert!(
            ns.is_empty() || namespaces.iter().any(|n| n == ns),
            "{ns} not listed: {namespaces:?}"
        );
    }
}

fn applyset_id(kube: &TestKube) -> String {
    kube.object("v1", "Secret", "shop", "set")
        .and_then(|p| {
            p["metadata"]["labels"]["applyset.kubernetes.io/id"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default()
}

#[test]
fn an_applyset_parent_that_cannot_be_written_stops_the_run_before_any_member() {
    let env = Env::new();
    env.kube.apply_as(
        "setup",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    env.kube.inject(patch_of("secrets", "set"), status(500, None), 1);
    let run = env.live(&["apply", SHOP, "--prune", "--applyset", "set", "-n", "shop"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("note: cannot write the ApplySet parent Secret shop/set"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("failed: Deployment shop/web: not applied: the ApplySet parent could not be written"),
        "{}",
        run.stdout
    );
    let patches: Vec<String> = env
        .kube
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        patches,
        ["/api/v1/namespaces/shop/secrets/set"],
        "nothing of the set was applied"
    );
    assert!(env.kube.object("v1", "Secret", "shop", "set").is_none());
    assert_snapshot!(run.transcript());
}

#[test]
fn after_a_failed_member_or_a_failed_final_parent_write_the_parent_still_covers_every_member() {
    let env = Env::new();
    env.kube.apply_as(
        "setup",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    let args = ["apply", SHOP, "--prune", "--applyset", "set", "-n", "shop"];
    assert_eq!(env.live(&args).code, 0);
    let id = applyset_id(&env.kube);
    assert_parent_covers_its_members(&env.kube, &id);

    // A member fails: nothing is pruned, the parent keeps the superset.
    env.kube.inject(patch_of("services", "web"), status(500, None), 1);
    let failed = env.live(&args);
    assert_eq!(failed.code, 1, "{}", failed.transcript());
    assert!(
        failed
            .stdout
            .contains("note: nothing was pruned: some objects failed to apply"),
        "{}",
        failed.stdout
    );
    assert_parent_covers_its_members(&env.kube, &id);

    // The parent's last write (the exact set, after pruning) fails: it keeps the superset
    // it was given before the members, and the run says so and fails.
    let dir = TempDir::new("smaller");
    let smaller: Vec<Value> = objects_of(&workspace_root().join(SHOP))
        .into_iter()
        .filter(|o| o["kind"] != "Service")
        .collect();
    let text: Vec<String> = smaller
        .iter()
        .map(|o| serde_json::to_string(o).expect("json"))
        .collect();
    std::fs::write(dir.0.join("smaller.yaml"), text.join("\n---\n")).expect("write");
    let secret_patches = count(&env.kube, "PATCH", "/secrets/set");
    env.kube.inject(
        {
            let seen = std::sync::atomic::AtomicUsize::new(0);
            move |r: &Request| {
                patch_of("secrets", "set")(r) && seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 1
            }
        },
        status(500, None),
        1,
    );
    let smaller_path = file_in(&dir, "smaller.yaml");
    let last = env.live(&["apply", &smaller_path, "--prune", "--applyset", "set", "-n", "shop"]);
    assert_eq!(last.code, 1, "{}", last.transcript());
    assert!(
        last.stdout.contains("pruned"),
        "the Service left the set: {}",
        last.stdout
    );
    assert!(
        last.stdout.contains("so the next run prunes what this one did not"),
        "{}",
        last.stdout
    );
    assert_eq!(count(&env.kube, "PATCH", "/secrets/set"), secret_patches + 2);
    assert_parent_covers_its_members(&env.kube, &id);
    let parent = env.kube.object("v1", "Secret", "shop", "set").expect("parent");
    assert!(
        parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
            .as_str()
            .is_some_and(|k| k.contains("Service")),
        "the superset is kept: {parent}"
    );
}

#[test]
fn probe_reports_each_job_it_could_not_run_and_runs_the_others() {
    let env = Env::new();
    seed(&env.kube, &objects_of(&workspace_root().join(SHOP))).expect("seed");
    env.kube.inject(
        |r| r.method == "PATCH" && r.path.contains("/jobs/") && r.path.contains("web"),
        status(500, None),
        1,
    );
    let run = env.live(&["probe", SHOP, "--timeout", "20s"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("not run: Job shop/"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Internal error occurred: injected by testkube"),
        "{}",
        run.stdout
    );
    // The other source's Job ran and was compared.
    assert!(
        run.stdout.lines().any(|l| l.contains("shop/db") && l.contains(" ok")),
        "{}",
        run.stdout
    );
}
