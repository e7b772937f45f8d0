//! The example library under `manifests/`, proven with the real `netplay` binary.
//!
//! - Every file under `manifests/` (recursively, whoever adds it) gets no error-level
//!   diagnostic from `netplay analyze`, and each warning it gets on its own is explained
//!   in the file (the file mentions the warning's code).
//! - Every document of a built-in Kubernetes kind deserializes into its k8s-openapi type
//!   without losing a field (no unknown or misplaced field), and passes the checks the API
//!   server would make on names, labels, selectors and port names.
//! - `tests/library/NN-step/`: the demo app with the policies added one file at a time;
//!   `netplay connlist` of the step's `paths.txt` must print exactly `connlist.txt`, and
//!   `netplay analyze` exactly the warnings and errors of `diagnostics.txt` (none when the
//!   file is absent).
//! - `netplay explain` gives the documented verdicts, and the reasons, for the connections
//!   the library's README talks about.
//!
//! The expected outputs were derived by hand from the NetworkPolicy semantics, not
//! recorded. `NETPLAY_BLESS=1` rewrites them from the current output — only after
//! checking by hand that the new output is right.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::{
    compare_with_file as compare, manifest_files, path_list, read, subdirectories, workspace_root as root, Run,
};
use netplay_core::parse::{parse_files, RawObject};
use netplay_core::SourceFile;
use serde_json::Value;

/// The final step: the demo app under every policy of the library.
const ALL_POLICIES: &str = "09-all-policies";
/// Step 2: the demo app under default deny only.
const DEFAULT_DENY: &str = "02-default-deny";
/// The last step: all policies plus the troubleshooting tools.
const TROUBLESHOOTING: &str = "10-troubleshooting";

fn library_dir() -> PathBuf {
    root().join("tests/library")
}

/// Runs the binary in the workspace root, so that relative paths and file names in the
/// output are the ones a user in a checkout sees; every command here exits 0 or 1.
fn netplay<S: AsRef<str>>(args: &[S]) -> Run {
    common::netplay(args).assert_exit_in(&[0, 1])
}

/// The objects of the given files, as netplay's parser reads them.
fn objects(paths: &[String]) -> Vec<RawObject> {
    let files: Vec<SourceFile> = paths.iter().map(|p| SourceFile::new(p.as_str(), read(p))).collect();
    parse_files(&files).0
}

/// The inputs of a step: `paths.txt`, one path per line.
fn step_paths(step: &str) -> Vec<String> {
    path_list(library_dir().join(step).join("paths.txt"))
}

/// The step directories, `NN-name`, in order.
fn steps() -> Vec<String> {
    subdirectories(library_dir())
        .iter()
        .filter_map(|d| d.file_name()?.to_str().map(String::from))
        .filter(|n| n.len() > 3 && n.as_bytes()[..2].iter().all(u8::is_ascii_digit) && &n[2..3] == "-")
        .collect()
}

/// One diagnostic of `netplay analyze --format json`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Diag {
    severity: String,
    code: String,
    /// `file:line`
    at: String,
    message: String,
}

/// The warnings and errors (not the infos) of `netplay analyze` on `paths`, sorted.
fn warnings_and_errors(paths: &[String]) -> Vec<Diag> {
    let mut args = vec!["analyze".to_string(), "--format".into(), "json".into()];
    args.extend(paths.iter().cloned());
    let doc = netplay(&args).json();
    let text = |d: &Value, k: &str| d[k].as_str().unwrap_or("?").to_string();
    let mut out: Vec<Diag> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .filter(|d| d["severity"] != "info")
        .map(|d| Diag {
            severity: text(d, "severity"),
            code: text(d, "code"),
            at: format!("{}:{}", text(d, "file"), d["line"].as_u64().unwrap_or(0)),
            message: text(d, "message"),
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_library_has_its_files() {
    let required = [
        "manifests/README.md",
        "manifests/namespaces.yaml",
        "manifests/applications/frontend.yaml",
        "manifests/applications/backend.yaml",
        "manifests/applications/database.yaml",
        "manifests/applications/worker.yaml",
        "manifests/applications/monitoring.yaml",
        "manifests/network-policies/default-deny-all.yaml",
        "manifests/network-policies/allow-dns.yaml",
        "manifests/network-policies/allow-istio-control-plane.yaml",
        "manifests/network-policies/allow-specific-namespaces.yaml",
        "manifests/network-policies/egress-control.yaml",
        "manifests/network-policies/ingress-policy-by-label.yaml",
        "manifests/network-policies/database-protection.yaml",
        "manifests/troubleshooting/network-toolbox.yaml",
        "manifests/troubleshooting/packet-capture.yaml",
        "manifests/troubleshooting/connection-tester.yaml",
        "manifests/troubleshooting/performance-tester.yaml",
        "manifests/troubleshooting/dns-debugger.yaml",
    ];
    let missing: Vec<&str> = required.iter().copied().filter(|p| !root().join(p).is_file()).collect();
    assert!(missing.is_empty(), "missing library files: {missing:?}");

    // The README tells what each of these files demonstrates.
    let readme = read("manifests/README.md");
    let mut ours = vec!["manifests/namespaces.yaml".to_string()];
    for dir in ["applications", "network-policies", "troubleshooting"] {
        ours.extend(manifest_files(&format!("manifests/{dir}")));
    }
    let undocumented: Vec<&String> = ours
        .iter()
        .filter(|p| !readme.contains(p.strip_prefix("manifests/").expect("under manifests/")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "manifests/README.md does not mention {undocumented:?}"
    );
}

#[test]
fn every_library_file_analyzes_without_errors_and_explains_its_warnings() {
    let files = manifest_files("manifests");
    assert!(
        files.len() >= 18,
        "expected the library under manifests/, found {files:?}"
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = read(file);
        for d in warnings_and_errors(std::slice::from_ref(file)) {
            if d.severity == "error" {
                failures.push(format!("{}: error {}: {}", d.at, d.code, d.message));
            } else if !text.contains(&d.code) {
                // A warning the file cannot avoid is explained in a comment that names it.
                failures.push(format!(
                    "{}: {} {} is not explained in the file (mention {} in a comment): {}",
                    d.at, d.severity, d.code, d.code, d.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Deserializes a built-in kind into its k8s-openapi type and back; `None` for kinds this
/// check does not know (custom resources, rarely used built-ins).
fn round_trip(obj: &RawObject) -> Option<Result<Value, String>> {
    use k8s_openapi::api::{apps, autoscaling, batch, core, discovery, networking, policy, rbac, scheduling};
    fn via<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Result<Value, String> {
        let typed: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(&typed).map_err(|e| e.to_string())
    }
    let v = &obj.value;
    Some(match (obj.api_version.as_str(), obj.kind.as_str()) {
        ("v1", "Namespace") => via::<core::v1::Namespace>(v),
        ("v1", "ServiceAccount") => via::<core::v1::ServiceAccount>(v),
        ("v1", "ConfigMap") => via::<core::v1::ConfigMap>(v),
        ("v1", "Secret") => via::<core::v1::Secret>(v),
        ("v1", "Service") => via::<core::v1::Service>(v),
        ("v1", "Pod") => via::<core::v1::Pod>(v),
        ("v1", "PersistentVolumeClaim") => via::<core::v1::PersistentVolumeClaim>(v),
        ("v1", "Endpoints") => via::<core::v1::Endpoints>(v),
        ("apps/v1", "Deployment") => via::<apps::v1::Deployment>(v),
        ("apps/v1", "StatefulSet") => via::<apps::v1::StatefulSet>(v),
        ("apps/v1", "DaemonSet") => via::<apps::v1::DaemonSet>(v),
        ("apps/v1", "ReplicaSet") => via::<apps::v1::ReplicaSet>(v),
        ("batch/v1", "Job") => via::<batch::v1::Job>(v),
        ("batch/v1", "CronJob") => via::<batch::v1::CronJob>(v),
        ("networking.k8s.io/v1", "NetworkPolicy") => via::<networking::v1::NetworkPolicy>(v),
        ("networking.k8s.io/v1", "Ingress") => via::<networking::v1::Ingress>(v),
        ("networking.k8s.io/v1", "IngressClass") => via::<networking::v1::IngressClass>(v),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => via::<rbac::v1::ClusterRole>(v),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => via::<rbac::v1::ClusterRoleBinding>(v),
        ("rbac.authorization.k8s.io/v1", "Role") => via::<rbac::v1::Role>(v),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => via::<rbac::v1::RoleBinding>(v),
        ("policy/v1", "PodDisruptionBudget") => via::<policy::v1::PodDisruptionBudget>(v),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => via::<autoscaling::v2::HorizontalPodAutoscaler>(v),
        ("discovery.k8s.io/v1", "EndpointSlice") => via::<discovery::v1::EndpointSlice>(v),
        ("scheduling.k8s.io/v1", "PriorityClass") => via::<scheduling::v1::PriorityClass>(v),
        _ => return None,
    })
}

/// Fields of `orig` that the typed round trip lost or changed: unknown or misplaced fields.
fn lost_fields(orig: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (orig, typed) {
        (Value::Object(o), Value::Object(t)) => {
            for (k, v) in o {
                let p = format!("{path}.{k}");
                match t.get(k) {
                    None if !v.is_null() => out.push(format!("{p}: unknown field")),
                    None => {}
                    Some(tv) => lost_fields(v, tv, &p, out),
                }
            }
        }
        (Value::Array(o), Value::Array(t)) if o.len() == t.len() => {
            for (i, (ov, tv)) in o.iter().zip(t).enumerate() {
                lost_fields(ov, tv, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        // A quantity written as a number (`cpu: 1`) comes back as its string ("1").
        (Value::Number(a), Value::String(b)) if a.to_string() == *b => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: {a} became {b}")),
    }
}

/// DNS-1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric.
fn is_dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// DNS-1123 subdomain: dot-separated labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| is_dns_label(l, 63))
}

/// A label key `[prefix/]name` and a label value, as the API server validates them.
fn label_problem(key: &str, value: &str) -> Option<String> {
    let qualified = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
    };
    let name_ok = match key.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && qualified(name),
        None => qualified(key),
    };
    let value_ok = value.is_empty() || qualified(value);
    if name_ok && value_ok {
        None
    } else {
        Some(format!("invalid label {key}={value}"))
    }
}

/// IANA service name, as required for container and Service port names: at most 15
/// characters, lowercase alphanumerics and `-`, at least one letter, no `--`.
fn is_port_name(s: &str) -> bool {
    is_dns_label(s, 15) && s.bytes().any(|b| b.is_ascii_lowercase()) && !s.contains("--")
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("<not a string>").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The checks of the API server's validation that a schema does not express.
fn api_server_problems(obj: &RawObject) -> Vec<String> {
    let v: &serde_json::Value = &obj.value;
    let mut out = Vec::new();
    let name_ok = match obj.kind.as_str() {
        "Namespace" | "Service" => is_dns_label(&obj.name, 63),
        _ => is_dns_subdomain(&obj.name),
    };
    if !name_ok {
        out.push(format!("invalid name {:?}", obj.name));
    }
    for (k, val) in labels_of(&v["metadata"]["labels"]) {
        out.extend(label_problem(&k, &val));
    }
    let template = match obj.kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some(&v["spec"]["template"]),
        "CronJob" => Some(&v["spec"]["jobTemplate"]["spec"]["template"]),
        "Pod" => Some(v),
        _ => None,
    };
    if let Some(t) = template {
        let labels = labels_of(&t["metadata"]["labels"]);
        for (k, val) in &labels {
            out.extend(label_problem(k, val));
        }
        // The selector must select the template's pods (Jobs generate their own).
        if matches!(
            obj.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
        ) {
            for (k, val) in labels_of(&v["spec"]["selector"]["matchLabels"]) {
                if labels.get(&k) != Some(&val) {
                    out.push(format!(
                        "spec.selector {k}={val} does not match the pod template's labels"
                    ));
                }
            }
        }
        let mut names = BTreeSet::new();
        let containers = t["spec"]["containers"].as_array().into_iter().flatten();
        let init = t["spec"]["initContainers"].as_array().into_iter().flatten();
        for c in containers.chain(init) {
            for p in c["ports"].as_array().into_iter().flatten() {
                if let Some(n) = p["name"].as_str() {
                    if !is_port_name(n) {
                        out.push(format!("container port name {n:?} is not a valid IANA service name"));
                    }
                    if !names.insert(n.to_string()) {
                        out.push(format!("container port name {n:?} is used twice in the pod"));
                    }
                }
            }
        }
    }
    if obj.kind == "Service" {
        let ports = v["spec"]["ports"].as_array().cloned().unwrap_or_default();
        let mut names = BTreeSet::new();
        for p in &ports {
            match p["name"].as_str() {
                Some(n) if !is_dns_label(n, 63) => out.push(format!("Service port name {n:?} is invalid")),
                Some(n) if !names.insert(n.to_string()) => out.push(format!("Service port name {n:?} is used twice")),
                None if ports.len() > 1 => out.push("a Service with several ports must name each".to_string()),
                _ => {}
            }
            if let Some(t) = p["targetPort"].as_str() {
                if !is_port_name(t) {
                    out.push(format!("targetPort {t:?} is not a valid port name"));
                }
            }
        }
    }
    out
}

#[test]
fn every_library_document_is_valid_for_the_kubernetes_api() {
    let files = manifest_files("manifests");
    let mut failures = Vec::new();
    let mut checked = 0;
    for obj in objects(&files) {
        let at = format!("{}:{} ({} {})", obj.loc.file, obj.loc.line, obj.kind, obj.name);
        for problem in api_server_problems(&obj) {
            failures.push(format!("{at}: {problem}"));
        }
        match round_trip(&obj) {
            None => {}
            Some(Err(e)) => failures.push(format!("{at}: does not deserialize as {}: {e}", obj.kind)),
            Some(Ok(typed)) => {
                checked += 1;
                let mut lost = Vec::new();
                lost_fields(&obj.value, &typed, "", &mut lost);
                failures.extend(lost.into_iter().map(|l| format!("{at}: {l}")));
            }
        }
    }
    assert!(
        checked >= 50,
        "only {checked} documents of built-in kinds found under manifests/"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_step_prints_its_expected_connlist_and_diagnostics() {
    let steps = steps();
    assert!(
        steps.first().map(String::as_str) == Some("01-apps-only") && steps.len() >= 10,
        "expected the steps 01-apps-only ... under tests/library, found {steps:?}"
    );
    let mut failures = Vec::new();
    for step in &steps {
        let dir = library_dir().join(step);
        assert!(dir.join("README.md").is_file(), "step {step} has no README.md");
        let paths = step_paths(step);
        for p in &paths {
            assert!(root().join(p).exists(), "step {step}: input {p} does not exist");
        }
        let mut args = vec!["connlist".to_string()];
        args.extend(paths.iter().cloned());
        let run = netplay(&args);
        assert_eq!(
            run.code, 0,
            "connlist of step {step} exited {}: {}",
            run.code, run.stderr
        );
        compare(
            &format!("step {step}: connlist"),
            &dir.join("connlist.txt"),
            &run.stdout,
            &mut failures,
        );
        let diags: String = warnings_and_errors(&paths)
            .into_iter()
            .map(|d| format!("{} {} {}\n", d.severity, d.code, d.at))
            .collect();
        compare(
            &format!("step {step}: diagnostics"),
            &dir.join("diagnostics.txt"),
            &diags,
            &mut failures,
        );
    }
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The connections of `netplay connlist --format json` for the inputs of `step`, as
/// `src => dst : conn` without layer 7 markers (layer 7 rules narrow requests on a port,
/// never which ports are open).
fn connections(step: &str) -> BTreeSet<String> {
    let mut args = vec!["connlist".to_string(), "--format".into(), "json".into()];
    args.extend(step_paths(step));
    let doc = netplay(&args).json();
    doc["connections"]
        .as_array()
        .expect("connlist --format json prints its connections")
        .iter()
        .map(|l| {
            format!(
                "{} => {} : {}",
                l["src"].as_str().unwrap_or("?"),
                l["dst"].as_str().unwrap_or("?"),
                l["conn"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Where a CNI's library may allow other connections than the NetworkPolicy shop because
/// its language says more (issue 16: "except where a language can say more, e.g. L7 or
/// deny"): `(step, line, why)`, the line as `src => dst : conn` of either side.
const SAYS_MORE: &[(&str, &str, &str)] = &[
    // None today: manifests/cilium-policies/ and manifests/calico-policies/ keep to what
    // NetworkPolicy can say (their READMEs); a deny or a narrower rule added there must be
    // listed here with the line it changes.
];

#[test]
fn the_cilium_and_calico_shops_allow_exactly_what_the_networkpolicy_shop_allows() {
    let shop = connections(ALL_POLICIES);
    assert!(shop.len() > 40, "the NetworkPolicy shop has its connections: {shop:?}");
    for step in ["13-cilium-policies", "13-calico-policies"] {
        let paths = step_paths(step);
        let language = if step.contains("cilium") {
            "cilium-policies"
        } else {
            "calico-policies"
        };
        assert!(
            paths.iter().any(|p| p.ends_with(language)) && !paths.iter().any(|p| p.ends_with("network-policies")),
            "step {step} replaces manifests/network-policies/ by manifests/{language}/: {paths:?}"
        );
        let cni = connections(step);
        let excepted = |line: &String| SAYS_MORE.iter().any(|(s, l, _)| *s == step && l == line);
        let only_shop: Vec<&String> = shop.difference(&cni).filter(|l| !excepted(l)).collect();
        let only_cni: Vec<&String> = cni.difference(&shop).filter(|l| !excepted(l)).collect();
        assert!(
            only_shop.is_empty() && only_cni.is_empty(),
            "{step} differs from {ALL_POLICIES}:\nonly with NetworkPolicies: {only_shop:#?}\nonly with {language}: {only_cni:#?}"
        );
    }
}

#[test]
fn the_steps_add_one_policy_file_at_a_time_and_cover_them_all() {
    let steps = steps();
    let mut introduced = BTreeSet::new();
    let mut previous: Vec<String> = Vec::new();
    for step in &steps {
        let paths = step_paths(step);
        let added: Vec<&String> = paths.iter().filter(|p| !previous.contains(p)).collect();
        for p in &added {
            introduced.extend(manifest_files(p).into_iter().chain([(*p).clone()]));
        }
        previous = paths;
    }
    let uncovered: Vec<String> = manifest_files("manifests/network-policies")
        .into_iter()
        .filter(|f| !introduced.contains(f))
        .collect();
    assert!(uncovered.is_empty(), "no step of tests/library applies {uncovered:?}");
    // The steps between the first and the full directory add exactly one file each.
    for pair in steps.windows(2) {
        let (a, b) = (step_paths(&pair[0]), step_paths(&pair[1]));
        if b.iter().any(|p| p.ends_with("network-policies")) {
            break;
        }
        let added: Vec<&String> = b.iter().filter(|p| !a.contains(p)).collect();
        assert!(
            a.iter().all(|p| b.contains(p)) && added.len() == 1,
            "step {} should be step {} plus one file, it adds {added:?}",
            pair[1],
            pair[0]
        );
    }
}

/// `netplay explain --format json` for one connection under the inputs of `step`.
fn explain(step: &str, src: &str, dst: &str, port: &str) -> Value {
    let mut args = vec![
        "explain".to_string(),
        "--src".into(),
        src.into(),
        "--dst".into(),
        dst.into(),
        "--port".into(),
        port.into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(step_paths(step));
    let run = netplay(&args);
    assert_eq!(run.code, 0, "explain exited {}: {}", run.code, run.stderr);
    run.json()
}

fn policies(side: &Value, field: &str) -> Vec<String> {
    side[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is not a list: {side}"))
        .iter()
        .map(|p| p["policy"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn assert_verdict(e: &Value, allowed: bool) {
    assert_eq!(
        e["probe_allowed"].as_bool(),
        Some(allowed),
        "{} => {} on {}: expected {}, explanation:\n{e:#}",
        e["src"],
        e["dst"],
        e["probe"],
        if allowed { "ALLOWED" } else { "DENIED" }
    );
}

#[test]
fn explain_frontend_to_database_is_denied_by_both_ends() {
    let e = explain(ALL_POLICIES, "frontend/web", "database/postgres", "5432/TCP");
    assert_verdict(&e, false);
    assert_eq!(e["src"], "frontend/web[Deployment]");
    assert_eq!(e["dst"], "database/postgres[StatefulSet]");
    assert_eq!(e["conn"], "No Connections");
    // The frontend may only call the API: its egress policies admit nothing here ...
    let egress = policies(&e["egress"], "isolated_by");
    for p in [
        "frontend/default-deny-all",
        "frontend/frontend-egress",
        "frontend/allow-dns",
    ] {
        assert!(
            egress.contains(&p.to_string()),
            "egress not isolated by {p}: {egress:?}"
        );
    }
    assert!(policies(&e["egress"], "admitted_by").is_empty(), "{e:#}");
    // ... and the database does not admit the frontend either.
    let ingress = policies(&e["ingress"], "isolated_by");
    assert!(
        ingress.contains(&"database/postgres-ingress".to_string()),
        "{ingress:?}"
    );
    assert!(policies(&e["ingress"], "admitted_by").is_empty(), "{e:#}");

    // The text form ends with the verdict and why.
    let mut args = Vec::from(
        [
            "explain",
            "--src",
            "frontend/web",
            "--dst",
            "database/postgres",
            "--port",
            "5432/TCP",
        ]
        .map(String::from),
    );
    args.extend(step_paths(ALL_POLICIES));
    let text = netplay(&args).stdout;
    assert!(
        text.contains(
            "Verdict: TCP 5432 is DENIED (neither the source's egress nor the destination's ingress admits it)"
        ),
        "{text}"
    );
    assert!(text.contains("database/postgres-ingress"), "{text}");
}

#[test]
fn explain_backend_and_worker_reach_the_database_on_its_named_port() {
    for src in ["backend/api-v1", "backend/api-v2", "app/worker"] {
        let e = explain(ALL_POLICIES, src, "database/postgres", "5432/TCP");
        assert_verdict(&e, true);
        assert_eq!(
            policies(&e["ingress"], "admitted_by"),
            ["database/postgres-ingress"],
            "{e:#}"
        );
        let egress = policies(&e["egress"], "admitted_by");
        let expected = if src == "app/worker" {
            "app/worker-egress"
        } else {
            "backend/api-egress"
        };
        assert_eq!(egress, [expected], "{e:#}");
    }
    // Prometheus may read the exporter next to postgres, but not talk to postgres.
    assert_verdict(
        &explain(ALL_POLICIES, "monitoring/prometheus", "database/postgres", "9187/TCP"),
        true,
    );
    assert_verdict(
        &explain(ALL_POLICIES, "monitoring/prometheus", "database/postgres", "5432/TCP"),
        false,
    );
}

#[test]
fn explain_worker_reaches_the_payment_api_through_the_ipblock_but_not_its_sandbox() {
    let e = explain(ALL_POLICIES, "app/worker", "203.0.113.10", "443/TCP");
    assert_verdict(&e, true);
    assert_eq!(e["dst"], "203.0.113.10-203.0.113.10[External]");
    let rule = &e["egress"]["admitted_by"][0];
    assert_eq!(rule["policy"], "app/worker-egress", "{e:#}");
    assert_eq!(
        rule["peer_text"], "ipBlock 203.0.113.0/24 except 203.0.113.128/25",
        "{e:#}"
    );
    assert_eq!(rule["conn"], "TCP 443", "{e:#}");
    // No policy applies to an address outside the cluster.
    assert!(e["ingress"]["workload"].is_null(), "{e:#}");

    // Other ports to the provider, and its sandbox half (the `except`), stay closed.
    assert_verdict(&explain(ALL_POLICIES, "app/worker", "203.0.113.10", "80/TCP"), false);
    let sandbox = explain(ALL_POLICIES, "app/worker", "203.0.113.200", "443/TCP");
    assert_verdict(&sandbox, false);
    assert!(policies(&sandbox["egress"], "admitted_by").is_empty(), "{sandbox:#}");
    // The API servers don't get the payment rule.
    assert_verdict(
        &explain(ALL_POLICIES, "backend/api-v1", "203.0.113.10", "443/TCP"),
        false,
    );
}

#[test]
fn explain_frontend_reaches_the_api_on_the_pod_port_not_the_service_port() {
    let e = explain(ALL_POLICIES, "frontend/web", "backend/api-v1", "8080/TCP");
    assert_verdict(&e, true);
    assert_eq!(
        policies(&e["egress"], "admitted_by"),
        ["frontend/frontend-egress"],
        "{e:#}"
    );
    assert_eq!(
        policies(&e["ingress"], "admitted_by"),
        ["backend/api-from-shop-namespaces"],
        "{e:#}"
    );
    // Clients dial the Service on 80, but policies see the container port 8080.
    assert_verdict(
        &explain(ALL_POLICIES, "frontend/web", "backend/api-v1", "80/TCP"),
        false,
    );
    // The canary gets the same rules as the stable version.
    assert_verdict(
        &explain(ALL_POLICIES, "frontend/web", "backend/api-v2", "8080/TCP"),
        true,
    );
    // The API does not call back into the frontend.
    assert_verdict(
        &explain(ALL_POLICIES, "backend/api-v1", "frontend/web", "80/TCP"),
        false,
    );
}

#[test]
fn explain_prometheus_scrapes_each_pod_on_its_own_metrics_port() {
    // One named port, four numbers: `metrics` resolves on each destination pod.
    for (dst, port) in [
        ("frontend/web", "9113/TCP"),
        ("backend/api-v1", "9797/TCP"),
        ("database/postgres", "9187/TCP"),
        ("kube-system/coredns", "9153/TCP"),
    ] {
        let e = explain(ALL_POLICIES, "monitoring/prometheus", dst, port);
        assert_verdict(&e, true);
        // `admitted_by` lists every rule that admits the peer, on any port (for CoreDNS
        // also allow-dns on 53); the scrape rule must be among them.
        let rules = policies(&e["egress"], "admitted_by");
        assert!(rules.contains(&"monitoring/prometheus-egress".to_string()), "{e:#}");
    }
    // The worker has no metrics port: nothing to scrape, nothing allowed.
    assert_verdict(
        &explain(ALL_POLICIES, "monitoring/prometheus", "app/worker", "9113/TCP"),
        false,
    );
    // The application ports stay closed to Prometheus.
    assert_verdict(
        &explain(ALL_POLICIES, "monitoring/prometheus", "backend/api-v1", "8080/TCP"),
        false,
    );
    // The API server, by address.
    assert_verdict(
        &explain(ALL_POLICIES, "monitoring/prometheus", "10.0.0.1", "6443/TCP"),
        true,
    );
    assert_verdict(
        &explain(ALL_POLICIES, "monitoring/prometheus", "8.8.8.8", "443/TCP"),
        false,
    );
}

#[test]
fn explain_every_shop_workload_resolves_names_once_allow_dns_is_applied() {
    for src in [
        "frontend/web",
        "backend/api-v1",
        "backend/api-v2",
        "database/postgres",
        "app/worker",
        "monitoring/prometheus",
    ] {
        let ns = src.split('/').next().expect("namespace");
        let e = explain(ALL_POLICIES, src, "kube-system/coredns", "53/UDP");
        assert_verdict(&e, true);
        assert!(
            policies(&e["egress"], "admitted_by").contains(&format!("{ns}/allow-dns")),
            "{e:#}"
        );
        assert_verdict(&explain(ALL_POLICIES, src, "kube-system/coredns", "53/TCP"), true);
        // Under default deny alone, DNS is blocked: the NP1004 warnings of step 02.
        let before = explain(DEFAULT_DENY, src, "kube-system/coredns", "53/UDP");
        assert_verdict(&before, false);
        assert_eq!(
            policies(&before["egress"], "isolated_by"),
            [format!("{ns}/default-deny-all")]
        );
    }
}

#[test]
fn explain_only_the_ingress_controllers_reach_the_public_frontend() {
    for src in [
        "ingress-nginx/ingress-nginx-controller",
        "istio-system/istio-ingressgateway",
    ] {
        let e = explain(ALL_POLICIES, src, "frontend/web", "80/TCP");
        assert_verdict(&e, true);
        assert_eq!(
            policies(&e["ingress"], "admitted_by"),
            ["frontend/allow-public-from-ingress-controllers"],
            "{e:#}"
        );
        // Only the port named `http`.
        assert_verdict(&explain(ALL_POLICIES, src, "frontend/web", "9113/TCP"), false);
    }
    // Not istiod, though it runs in the gateway's namespace; not the outside world.
    assert_verdict(
        &explain(ALL_POLICIES, "istio-system/istiod", "frontend/web", "80/TCP"),
        false,
    );
    assert_verdict(&explain(ALL_POLICIES, "198.51.100.7", "frontend/web", "80/TCP"), false);
}

/// A `targets` line of the connection tester: `host:port  # ok|fail: why`.
struct Target {
    host: String,
    port: u16,
    expect_ok: bool,
}

fn connection_tester_targets() -> Vec<Target> {
    let file = "manifests/troubleshooting/connection-tester.yaml".to_string();
    let objs = objects(std::slice::from_ref(&file));
    let cm = objs
        .iter()
        .find(|o| o.kind == "ConfigMap")
        .expect("connection-tester.yaml has a ConfigMap");
    let text = cm.value["data"]["targets"].as_str().expect("data.targets");
    text.lines()
        .filter_map(|line| {
            let (target, comment) = line.split_once('#')?;
            let (host, port) = target.trim().rsplit_once(':')?;
            let expect = comment.split_whitespace().next()?.trim_end_matches(':');
            Some(Target {
                host: host.to_string(),
                port: port.parse().expect("numeric port"),
                expect_ok: match expect {
                    "ok" => true,
                    "fail" => false,
                    other => panic!("target {host}:{port}: expectation {other:?} is neither ok nor fail"),
                },
            })
        })
        .collect()
}

/// The workloads behind TCP port `port` of Service `ns/name`, and the container port the
/// Service forwards to on them (its `targetPort`, resolved by name on the pods).
fn service_backends(objs: &[RawObject], ns: &str, name: &str, port: u16) -> (Vec<String>, u16) {
    let is_tcp = |p: &Value| p["protocol"].as_str().unwrap_or("TCP") == "TCP";
    let svc = objs
        .iter()
        .find(|o| o.kind == "Service" && o.name == name && o.namespace.as_deref() == Some(ns))
        .unwrap_or_else(|| panic!("no Service {ns}/{name}"));
    let sp = svc.value["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"].as_u64() == Some(u64::from(port)) && is_tcp(p))
        .unwrap_or_else(|| panic!("Service {ns}/{name} has no TCP port {port}"));
    let selector = labels_of(&svc.value["spec"]["selector"]);
    let mut pods = Vec::new();
    let mut number = None;
    for o in objs.iter().filter(|o| o.namespace.as_deref() == Some(ns)) {
        let tpl = match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" => &o.value["spec"]["template"],
            _ => continue,
        };
        let labels = labels_of(&tpl["metadata"]["labels"]);
        if !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            continue;
        }
        pods.push(format!("{ns}/{}", o.name));
        number = match &sp["targetPort"] {
            Value::String(target) => tpl["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                .find(|p| p["name"].as_str() == Some(target.as_str()) && is_tcp(p))
                .and_then(|p| p["containerPort"].as_u64()),
            Value::Number(n) => n.as_u64(),
            _ => Some(u64::from(port)),
        };
    }
    assert!(!pods.is_empty(), "Service {ns}/{name} selects no workload");
    let number = number.unwrap_or_else(|| panic!("the targetPort of {ns}/{name}:{port} resolves nowhere"));
    (pods, u16::try_from(number).expect("a port number"))
}

#[test]
fn the_connection_testers_expectations_agree_with_netplay() {
    // The Service behind each in-cluster target, then the pods behind the Service and
    // the container port the Service forwards to: that is what the policies decide on.
    let paths = step_paths(TROUBLESHOOTING);
    let mut inputs = Vec::new();
    for p in &paths {
        if root().join(p).is_dir() {
            inputs.extend(manifest_files(p));
        } else {
            inputs.push(p.clone());
        }
    }
    let objs = objects(&inputs);
    let targets = connection_tester_targets();
    assert!(targets.len() >= 5, "too few targets in the connection tester");
    // Outside names have no address to ask about; what matters is whether the tester
    // may reach any external address at all.
    let mut args = vec![
        "connlist".to_string(),
        "--focus-workload".into(),
        "frontend/connection-tester".into(),
    ];
    args.extend(paths.iter().cloned());
    let connlist = netplay(&args).stdout;
    let external_egress = connlist
        .lines()
        .any(|l| l.starts_with("frontend/connection-tester[Job] => ") && l.contains("[External]"));
    let mut checked = 0;
    for t in &targets {
        let Some(rest) = t.host.strip_suffix(".svc.cluster.local") else {
            assert!(
                !t.expect_ok || external_egress,
                "{}:{} is expected ok but the tester has no egress to outside addresses:\n{connlist}",
                t.host,
                t.port
            );
            continue;
        };
        let (svc_name, ns) = rest.split_once('.').expect("service.namespace");
        let (pods, pod_port) = service_backends(&objs, ns, svc_name, t.port);
        for pod in pods {
            let e = explain(
                TROUBLESHOOTING,
                "frontend/connection-tester",
                &pod,
                &format!("{pod_port}/TCP"),
            );
            assert_eq!(
                e["probe_allowed"].as_bool(),
                Some(t.expect_ok),
                "connection-tester.yaml says {}:{} is {} but netplay says otherwise for {pod}:\n{e:#}",
                t.host,
                t.port,
                if t.expect_ok { "ok" } else { "fail" }
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} target workloads checked");
}
