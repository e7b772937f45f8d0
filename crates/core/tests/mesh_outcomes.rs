//! A request's outcome is a distribution (issue 18.3): `Outcome::outcomes` lists each
//! distinct result with its share of all requests, the status is the one of the largest
//! share, and `Outcome::headline` says it in one line — so a route split 80/20 onto a
//! subset without pods reads "80% 200 OK (v1) · 20% 503 …", not "200 OK".
//!
//! The expected shares follow from the Istio reference: route `weight`s split requests
//! in proportion ("The proportion of traffic to be forwarded to the service version"),
//! a subset whose labels select no pod has no healthy upstream (503), an abort fault hits
//! `percentage.value` percent of the requests with its `httpStatus`. A host that does not
//! resolve ends before any HTTP exchange: its outcome is [`NO_EXCHANGE`], not a status a
//! proxy sent (docs/mesh.md, "Several outcomes").

use netplay_core::assertions;
use netplay_core::mesh::{Outcome, Request, Success, NO_EXCHANGE};
use netplay_core::{load, SourceFile};

/// A meshed namespace with a client, `reviews` v1 (two replicas' worth of one Deployment)
/// and nothing labelled v2, and a DestinationRule defining both subsets.
const BASE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c, image: curl}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: shop}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: r, image: reviews, ports: [{containerPort: 9080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"#;

fn outcome(extra: &str, url: &str) -> Outcome {
    let files = [
        SourceFile::new("base.yaml", BASE),
        SourceFile::new("routes.yaml", extra),
    ];
    let scenario = load(&files);
    scenario
        .mesh_request(&Request::new("shop/client", url))
        .expect("the request can be simulated")
}

/// One outcome as (status, share, reason, subsets, delivered workloads).
type Part = (u16, f64, String, Vec<String>, Vec<String>);

/// Each outcome's parts, in order.
fn parts(o: &Outcome) -> Vec<Part> {
    o.outcomes
        .iter()
        .map(|p| {
            (
                p.status,
                p.share,
                p.reason.clone(),
                p.subsets.clone(),
                p.destinations.iter().map(|d| d.workload.clone()).collect(),
            )
        })
        .collect()
}

fn assert_shares_sum_to_one(o: &Outcome) {
    let total: f64 = o.outcomes.iter().map(|p| p.share).sum();
    assert!((total - 1.0).abs() < 1e-9, "shares sum to {total}");
    for p in &o.outcomes {
        let delivered: f64 = p.destinations.iter().map(|d| d.share).sum();
        assert!(
            p.destinations.is_empty() || (delivered - 1.0).abs() < 1e-9,
            "the destinations of one outcome share its requests: {delivered}"
        );
    }
}

#[test]
fn an_80_20_split_onto_a_subset_without_pods_is_two_outcomes() {
    let routes = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}
"#;
    let o = outcome(routes, "http://reviews:9080/");
    assert_eq!(o.status, 200, "the largest share is delivered");
    assert_eq!(o.success(), Success::Partial, "a fifth of the requests fail");
    assert_eq!(
        parts(&o),
        [
            (
                200,
                0.8,
                "delivered".to_string(),
                vec!["v1".to_string()],
                vec!["shop/reviews-v1[Deployment]".to_string()]
            ),
            (503, 0.2, "no endpoints".to_string(), vec!["v2".to_string()], vec![]),
        ]
    );
    assert_shares_sum_to_one(&o);
    assert_eq!(o.headline(), "80% 200 OK (v1) · 20% 503 no endpoints (v2)");
    assert!(
        o.to_text()
            .starts_with("Status: 200 OK\nOutcomes: 80% 200 OK (v1) · 20% 503 no endpoints (v2)\n"),
        "{}",
        o.to_text()
    );
    let json = serde_json::to_value(&o).expect("serializable");
    assert_eq!(json["outcomes"][1]["status"], 503);
    assert_eq!(json["outcomes"][1]["share"], 0.2);
    assert_eq!(json["outcomes"][1]["reason"], "no endpoints");
    assert_eq!(json["outcomes"][1]["destinations"], serde_json::json!([]));
}

#[test]
fn an_abort_fault_on_a_percentage_is_its_own_outcome() {
    let routes = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - fault:
      abort: {httpStatus: 418, percentage: {value: 25}}
    route:
    - destination: {host: reviews, subset: v1}
"#;
    let o = outcome(routes, "http://reviews:9080/");
    assert_eq!(o.status, 200);
    assert_eq!(
        parts(&o),
        [
            (
                200,
                0.75,
                "delivered".to_string(),
                vec!["v1".to_string()],
                vec!["shop/reviews-v1[Deployment]".to_string()]
            ),
            // The abort happens in the client's sidecar, before any route destination.
            (418, 0.25, "fault abort".to_string(), vec![], vec![]),
        ]
    );
    assert_shares_sum_to_one(&o);
    assert_eq!(o.headline(), "75% 200 OK (v1) · 25% 418 fault abort");
}

#[test]
fn a_single_result_is_one_outcome_and_the_text_has_no_outcomes_line() {
    let o = outcome("", "http://reviews:9080/");
    assert_eq!(o.status, 200);
    assert_eq!(o.outcomes.len(), 1);
    assert_eq!(o.outcomes[0].share, 1.0);
    assert_eq!(o.headline(), "100% 200 OK");
    assert_eq!(o.success(), Success::All);
    assert!(!o.to_text().contains("Outcomes:"), "{}", o.to_text());
}

#[test]
fn a_host_that_does_not_resolve_has_no_http_exchange() {
    let o = outcome("", "http://nosuch:9080/");
    assert_eq!(o.status, NO_EXCHANGE, "not a 503: no proxy answered");
    assert_eq!(o.success(), Success::None);
    assert_eq!(
        parts(&o),
        [(NO_EXCHANGE, 1.0, "unknown host nosuch".to_string(), vec![], vec![])]
    );
    assert!(o.destinations.is_empty());
    assert_eq!(o.headline(), "100% no HTTP exchange: unknown host nosuch");
    let text = o.to_text();
    assert!(
        text.starts_with("Status: none (no HTTP exchange: the host does not resolve)\n"),
        "{text}"
    );
    assert!(text.contains(" no HTTP exchange (unknown host nosuch)\n"), "{text}");
    // Over TCP too: the lookup fails before any connection.
    let tcp = outcome("", "tcp://nosuch:9080");
    assert_eq!(tcp.status, NO_EXCHANGE);
}

/// An assertion about a host that does not resolve expects status 0 (docs/assertions.md);
/// one that expects the 503 a proxy would send fails.
#[test]
fn an_assertion_expects_status_0_for_a_host_that_does_not_resolve() {
    let checks = r#"
- name: the lookup fails, nothing answers
  mesh: {from: shop/client, request: "GET http://nosuch:9080/"}
  expect: {status: 0}
- name: no proxy sends a 503
  mesh: {from: shop/client, request: "GET http://nosuch:9080/"}
  expect: {status: 503}
"#;
    let (suite, diags) = assertions::read_list("checks.yaml", 1, checks, "checks");
    assert!(diags.is_empty(), "{diags:?}");
    let scenario = load(&[SourceFile::new("base.yaml", BASE)]);
    let report = assertions::run(&scenario, &[suite.expect("a suite")]);
    assert_eq!((report.passed(), report.failed()), (1, 1), "{}", report.to_text(true));
}
