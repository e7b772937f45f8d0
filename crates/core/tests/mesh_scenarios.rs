//! The mesh scenario library, tests/mesh-scenarios/<name>/: each directory holds
//! `manifests/` (`*.yaml`, so that `netplay mesh request ... <name>/manifests` reads only
//! them), a `README.md`, `requests.txt` (one request per line, as
//! `--from SRC [-X METHOD] [-H 'name: value']... URL`; `#` comments) and `expected.json`,
//! an array with one entry per request:
//!
//! ```json
//! {"request": "<the line>", "status": 200,
//!  "destinations": [{"workload": "ns/name[Kind]", "subset": "v1", "share": 0.5}],
//!  "trace_contains": ["text that some trace step must contain"]}
//! ```
//!
//! The expected outcomes are written by hand from the Istio documentation (each README
//! says which page, and where the reading is uncertain); they are the specification, not
//! a recording, so there is no bless mode. The harness calls core directly.

use netplay_core::mesh::{self, Request};
use netplay_core::{load, Scenario, Severity, SourceFile};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    request: String,
    status: u16,
    destinations: Vec<Dest>,
    #[serde(default)]
    trace_contains: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Dest {
    workload: String,
    subset: Option<String>,
    share: f64,
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mesh-scenarios")
}

fn scenario_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("tests/mesh-scenarios exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The manifests of a scenario, named by file name (as diagnostics and traces show them).
fn load_dir(dir: &Path) -> Scenario {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("manifests"))
        .expect("scenario directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
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

fn requests(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("requests.txt"))
        .expect("requests.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_mesh_scenario_gives_its_expected_outcomes() {
    let mut failures = Vec::new();
    let dirs = scenario_dirs();
    assert!(
        dirs.len() >= 5,
        "expected the mesh scenario library, found {} directories",
        dirs.len()
    );
    for dir in dirs {
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        assert!(dir.join("README.md").is_file(), "{name}: README.md missing");
        let scenario = load_dir(&dir);
        let bad: Vec<String> = scenario
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Info || d.code == "NP0003")
            .map(|d| d.to_string())
            .collect();
        if !bad.is_empty() {
            failures.push(format!("{name}: unexpected diagnostics:\n  {}", bad.join("\n  ")));
        }
        let lines = requests(&dir);
        let expected: Vec<Expected> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"))
                .unwrap_or_else(|e| panic!("{name}/expected.json: {e}"));
        assert_eq!(
            lines.len(),
            expected.len(),
            "{name}: requests.txt has {} requests, expected.json {} entries",
            lines.len(),
            expected.len()
        );
        for (line, exp) in lines.iter().zip(&expected) {
            assert_eq!(
                line, &exp.request,
                "{name}: requests.txt and expected.json are not in the same order"
            );
            let request = Request::parse_line(line).unwrap_or_else(|e| panic!("{name}: {line}: {e}"));
            let outcome = match mesh::simulate(&scenario.cluster, &request) {
                Ok(o) => o,
                Err(e) => {
                    failures.push(format!("{name}: {line}: cannot simulate: {e}"));
                    continue;
                }
            };
            let mut problems = Vec::new();
            if outcome.status != exp.status {
                problems.push(format!("status {} (expected {})", outcome.status, exp.status));
            }
            let same_destinations =
                outcome.destinations.len() == exp.destinations.len()
                    && outcome.destinations.iter().zip(&exp.destinations).all(|(a, b)| {
                        a.workload == b.workload && a.subset == b.subset && (a.share - b.share).abs() < 1e-6
                    });
            if !same_destinations {
                problems.push(format!(
                    "destinations {:?} (expected {:?})",
                    outcome
                        .destinations
                        .iter()
                        .map(|d| (d.workload.as_str(), d.subset.as_deref(), d.share))
                        .collect::<Vec<_>>(),
                    exp.destinations
                ));
            }
            for want in &exp.trace_contains {
                if !outcome.trace.iter().any(|t| t.detail.contains(want.as_str())) {
                    problems.push(format!("no trace step contains {want:?}"));
                }
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{name}: {line}\n  {}\n{}",
                    problems.join("\n  "),
                    outcome.to_text()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The whole text trace of every request of every scenario, as `netplay mesh request`
/// prints it: a change in any step shows up in review (`cargo insta review`), not only
/// in the fragments `expected.json` names.
#[test]
fn every_trace_matches_its_snapshot() {
    for dir in scenario_dirs() {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let scenario = load_dir(&dir);
        let mut text = String::new();
        for line in requests(&dir) {
            text.push_str(&format!("$ netplay mesh request {line}\n"));
            match Request::parse_line(&line).and_then(|r| scenario.mesh_request(&r)) {
                Ok(o) => text.push_str(&o.to_text()),
                Err(e) => text.push_str(&format!("error: {e}\n")),
            }
            text.push('\n');
        }
        insta::assert_snapshot!(format!("trace_{name}"), text);
    }
}

#[test]
fn the_outcome_serializes_in_the_contract_shape() {
    let scenario = load_dir(&scenarios_dir().join("bookinfo-weighted-50-50"));
    let request = Request::new("bookinfo/productpage-v1", "http://reviews:9080/");
    let outcome = mesh::simulate(&scenario.cluster, &request).expect("simulated");
    let json = serde_json::to_value(&outcome).expect("serializable");
    let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["destinations", "outcomes", "status", "trace"]);
    assert_eq!(json["status"], 200);
    for d in json["destinations"].as_array().expect("array") {
        let keys: Vec<&String> = d.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["share", "subset", "workload"]);
    }
    for t in json["trace"].as_array().expect("array") {
        let keys: Vec<&String> = t.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["detail", "step"]);
    }
    let shares: f64 = outcome.destinations.iter().map(|d| d.share).sum();
    assert!((shares - 1.0).abs() < 1e-9);
    assert!(outcome.to_text().starts_with("Status: 200 OK\n"));
}

#[test]
fn split_derives_samples_from_the_virtual_service_matches() {
    let scenario = load_dir(&scenarios_dir().join("bookinfo-header-routing"));
    let split = mesh::split(&scenario.cluster, "reviews", None).expect("split");
    assert_eq!(split.host, "reviews.bookinfo.svc.cluster.local");
    assert_eq!(split.from, "mesh:bookinfo");
    type Shares = Vec<(String, Option<String>, f64)>;
    let got: Vec<(String, Shares)> = split
        .samples
        .iter()
        .map(|s| {
            (
                s.request.clone(),
                s.destinations
                    .iter()
                    .map(|d| (d.workload.clone(), d.subset.clone(), d.share))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "--from mesh:bookinfo http://reviews.bookinfo.svc.cluster.local:9080/".to_string(),
                vec![(
                    "bookinfo/reviews-v1[Deployment]".to_string(),
                    Some("v1".to_string()),
                    1.0
                )]
            ),
            (
                "--from mesh:bookinfo -H 'end-user: jason' http://reviews.bookinfo.svc.cluster.local:9080/".to_string(),
                vec![(
                    "bookinfo/reviews-v2[Deployment]".to_string(),
                    Some("v2".to_string()),
                    1.0
                )]
            ),
        ]
    );
    let text = split.to_text();
    assert!(text.contains(
        "Traffic split for reviews.bookinfo.svc.cluster.local (requests from a sidecar in namespace bookinfo)"
    ));
    assert!(text.contains("-H 'end-user: jason' http://reviews.bookinfo.svc.cluster.local:9080/"));

    let weighted = load_dir(&scenarios_dir().join("bookinfo-weighted-90-10"));
    let split = mesh::split(&weighted.cluster, "reviews.bookinfo", None).expect("split");
    let shares: Vec<(String, f64)> = split.samples[0]
        .destinations
        .iter()
        .map(|d| (d.subset.clone().unwrap_or_default(), d.share))
        .collect();
    assert_eq!(shares, vec![("v1".to_string(), 0.9), ("v2".to_string(), 0.1)]);
    assert!(mesh::split(&weighted.cluster, "nosuchhost", None).is_err());
}

#[test]
fn unknown_sources_and_bad_urls_are_errors_not_outcomes() {
    let scenario = load_dir(&scenarios_dir().join("bookinfo-header-routing"));
    assert!(mesh::simulate(&scenario.cluster, &Request::new("nobody", "http://reviews:9080/")).is_err());
    assert!(mesh::simulate(&scenario.cluster, &Request::new("productpage-v1", "reviews:9080")).is_err());
    // Ambiguous bare names are errors too (reviews-v1 is unique, "bookinfo" is no workload).
    assert!(mesh::simulate(&scenario.cluster, &Request::new("bookinfo", "http://reviews:9080/")).is_err());
}

#[test]
fn mesh_kinds_are_modelled_and_checked_like_the_rest() {
    let yaml = r#"apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: [reviews]
  htpp:
  - route:
    - destination:
        host: reviews
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: bookinfo
spec:
  mtls:
    mode: STRCT
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r
spec:
  parentRefs:
  - name: gw
"#;
    let s = load(&[SourceFile::new("mesh.yaml", yaml)]);
    let codes: Vec<(&str, Option<u32>)> = s.diagnostics.iter().map(|d| (d.code, d.line)).collect();
    assert_eq!(
        codes,
        vec![("NP0009", Some(8)), ("NP0002", Some(20))],
        "{:#?}",
        s.diagnostics
    );
    assert!(s.diagnostics[0].message.contains("did you mean `http`"));
    assert_eq!(s.cluster.mesh.virtual_services.len(), 1);
    assert_eq!(
        s.cluster.mesh.peer_authentications.len(),
        0,
        "a spec the CRD rejects is skipped"
    );
    assert_eq!(s.cluster.mesh.http_routes.len(), 1);
    assert_eq!(s.cluster.mesh.http_routes[0].meta.namespace, "default");
    assert!(s.cluster.objects.iter().all(|o| o.modelled));
}

#[test]
fn sidecar_injection_follows_the_injector_rules() {
    let yaml = r#"apiVersion: v1
kind: Namespace
metadata: {name: on, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: off, labels: {istio-injection: disabled, istio.io/rev: canary}}
---
apiVersion: v1
kind: Namespace
metadata: {name: rev, labels: {istio.io/rev: canary}}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: on}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: on, labels: {sidecar.istio.io/inject: "false"}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: off, labels: {sidecar.istio.io/inject: "true"}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: rev}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: e, namespace: default, labels: {sidecar.istio.io/inject: "true"}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: f, namespace: default}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: g, namespace: default, annotations: {sidecar.istio.io/status: "{}"}}
spec: {containers: [{name: c, image: i}]}
"#;
    let s = load(&[SourceFile::new("inject.yaml", yaml)]);
    let injected: Vec<(String, bool)> = s
        .cluster
        .workloads
        .iter()
        .map(|w| (w.name.clone(), mesh::sidecar_injected(&s.cluster, w).injected))
        .collect();
    let want: Vec<(String, bool)> = [
        ("e", true),
        ("f", false),
        ("g", true),
        ("c", false),
        ("a", true),
        ("b", false),
        ("d", true),
    ]
    .iter()
    .map(|(n, b)| (n.to_string(), *b))
    .collect();
    assert_eq!(injected, want);
}

#[test]
fn every_source_to_every_service_port_never_panics_and_shares_sum_to_one() {
    for dir in scenario_dirs() {
        let scenario = load_dir(&dir);
        let c = &scenario.cluster;
        let mut sources: Vec<String> = c.workloads.iter().map(|w| w.endpoint_name()).collect();
        sources.push("external".into());
        sources.push("mesh:default".into());
        let mut urls = Vec::new();
        for s in &c.services {
            for p in &s.ports {
                for scheme in ["http", "tcp"] {
                    urls.push(format!("{scheme}://{}.{}:{}/x?y=1", s.name, s.namespace, p.port));
                }
            }
        }
        for e in &c.mesh.service_entries {
            for h in &e.spec.hosts {
                urls.push(format!("http://{h}/"));
            }
        }
        for g in &c.mesh.gateways {
            for s in &g.spec.servers {
                for h in &s.hosts {
                    let host = h.rsplit('/').next().unwrap_or_default().replace('*', "www");
                    urls.push(format!(
                        "http://{host}:{}/productpage",
                        s.port.as_ref().map_or(80, |p| p.number)
                    ));
                }
            }
        }
        for src in &sources {
            for url in &urls {
                let r = Request::new(src, url).with_header("end-user", "jason");
                let o = mesh::simulate(c, &r).unwrap_or_else(|e| panic!("{}: {r}: {e}", dir.display()));
                let total: f64 = o.destinations.iter().map(|d| d.share).sum();
                assert!(
                    o.destinations.is_empty() || (total - 1.0).abs() < 1e-5,
                    "{}: {r}: shares sum to {total}",
                    dir.display()
                );
                assert!(o.trace.last().is_some_and(|t| t.step == "verdict"), "{r}: no verdict");
                assert!(
                    o.status == mesh::NO_EXCHANGE || (100..600).contains(&o.status),
                    "{r}: status {}",
                    o.status
                );
                let total: f64 = o.outcomes.iter().map(|p| p.share).sum();
                assert!((total - 1.0).abs() < 1e-5, "{r}: outcome shares sum to {total}");
            }
        }
    }
}

#[test]
fn odd_mesh_objects_do_not_panic() {
    let yaml = r#"apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: a, labels: {app: c}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: a}
spec: {selector: {app: c}, ports: [{port: 80, targetPort: web}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: s, namespace: a}
spec:
  hosts: ["s", "", "*"]
  gateways: ["mesh", "x/y/z"]
  http:
  - match: [{uri: {regex: "(("}}, {headers: {x: {regex: "[z-a]"}}}, {queryParams: {q: {prefix: a}}}]
    route: [{destination: {host: s}}]
  - delegate: {name: s}
  - match: [{port: 99999}]
    redirect: {redirectCode: 99999}
  - fault: {abort: {percentage: {value: 250}, httpStatus: -3}, delay: {percent: -5}}
    route:
    - destination: {host: s, port: {number: 0}}
      weight: -7
    - destination: {host: "", subset: nope}
      weight: 2147483647
  tcp:
  - match: [{destinationSubnets: ["10.0.0.0/8"]}]
    route: [{destination: {host: s}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: s, namespace: a}
spec:
  host: "*"
  trafficPolicy: {tls: {}, portLevelSettings: [{}, {port: {number: 80}, tls: {mode: SIMPLE}}]}
  subsets: [{name: nope}, {name: nope, labels: {x: y}}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p, namespace: a}
spec: {selector: {matchLabels: {}}, portLevelMtls: {"x": {}, "80": {mode: DISABLE}}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: z, namespace: a}
spec:
  action: CUSTOM
  rules: [{when: [{key: "request.headers[", values: ["*"]}, {key: "nope"}], to: [{operation: {paths: ["{**}{*}["]}}]}]
"#;
    let s = load(&[SourceFile::new("odd.yaml", yaml)]);
    let m = &s.cluster.mesh;
    assert_eq!(
        (
            m.virtual_services.len(),
            m.destination_rules.len(),
            m.peer_authentications.len(),
            m.authorization_policies.len()
        ),
        (1, 1, 1, 1),
        "{:#?}",
        s.diagnostics
    );
    for url in [
        "http://s/",
        "http://s:80/a?q=a",
        "tcp://s:80",
        "http://s.a.svc.cluster.local:99/",
        "http://[::1]:80/",
    ] {
        for from in ["a/c", "external", "mesh:a", "mesh:"] {
            let r = Request::new(from, url).with_header("x", "y").with_method("DELETE");
            if let Ok(o) = mesh::simulate(&s.cluster, &r) {
                assert!(!o.to_text().is_empty());
            }
        }
    }
    assert!(mesh::split(&s.cluster, "s", None).is_ok());
}
