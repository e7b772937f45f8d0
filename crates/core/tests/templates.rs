//! The editor's Cilium templates read without errors and do what their titles say, on a
//! small cluster: shop/a and shop/b, other/c, kube-dns and the API server in
//! kube-system, an ingress controller in ingress-nginx.

use netplay_core::templates::{cilium, Template};
use netplay_core::{load, Severity, SourceFile};

const CLUSTER: &str = "
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop, labels: {app: a}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop, labels: {app: b}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: other, labels: {app: c}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c, image: coredns}]}
---
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver-node1, namespace: kube-system, labels: {component: kube-apiserver, tier: control-plane}}
spec: {containers: [{name: c, image: kube-apiserver}]}
---
apiVersion: v1
kind: Pod
metadata: {name: controller, namespace: ingress-nginx, labels: {app: ingress-nginx}}
spec: {containers: [{name: c, image: nginx}]}
";

fn template(id: &str) -> Template {
    cilium("shop")
        .into_iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no template {id}"))
}

/// The connection lines of the cluster with these templates, as `src => dst : conn`.
fn lines(ids: &[&str]) -> Vec<String> {
    let mut files = vec![SourceFile::new("cluster.yaml", CLUSTER)];
    for id in ids {
        let t = template(id);
        files.push(SourceFile::new(t.file.as_str(), t.yaml.as_str()));
    }
    let scenario = load(&files);
    scenario.connlist().iter().map(ToString::to_string).collect()
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

#[test]
fn every_template_reads_without_errors_in_its_namespace() {
    let all = cilium("shop");
    assert_eq!(
        all.iter().map(|t| t.title).collect::<Vec<_>>(),
        [
            "Default deny",
            "Allow within namespace",
            "Allow from ingress",
            "Allow to kube-dns",
            "Allow to the API server"
        ]
    );
    for t in all {
        assert!(t.yaml.contains("namespace: shop"), "{}", t.yaml);
        let scenario = load(&[
            SourceFile::new("cluster.yaml", CLUSTER),
            SourceFile::new(t.file.as_str(), t.yaml.as_str()),
        ]);
        let errors: Vec<String> = scenario
            .analyze()
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", t.id);
        assert_eq!(scenario.cluster.policies.len(), 1, "{}", t.id);
    }
}

#[test]
fn default_deny_isolates_the_namespace_both_ways() {
    let l = lines(&["default-deny"]);
    assert!(l.iter().all(|l| !l.contains("shop/")), "{l:#?}");
    assert!(
        has(&l, "other/c[Pod] => kube-system/coredns[Pod] : All Connections"),
        "{l:#?}"
    );
}

#[test]
fn the_allow_templates_open_what_they_name_after_a_default_deny() {
    let l = lines(&["default-deny", "allow-within-namespace"]);
    assert!(has(&l, "shop/a[Pod] => shop/b[Pod] : All Connections"), "{l:#?}");
    assert!(!l.iter().any(|l| l.starts_with("shop/a[Pod] => other/")), "{l:#?}");

    let l = lines(&["default-deny", "allow-to-kube-dns"]);
    // matchPattern "*" lets every name through: no layer 7 marker.
    assert!(
        has(&l, "shop/a[Pod] => kube-system/coredns[Pod] : SCTP 53,TCP 53,UDP 53"),
        "{l:#?}"
    );
    assert!(
        !l.iter()
            .any(|l| l.starts_with("shop/a[Pod] => kube-system/kube-apiserver")),
        "{l:#?}"
    );

    let l = lines(&["default-deny", "allow-to-api-server"]);
    assert!(
        has(
            &l,
            "shop/a[Pod] => kube-system/kube-apiserver-node1[Pod] : All Connections"
        ),
        "{l:#?}"
    );
    assert!(
        !l.iter().any(|l| l.starts_with("shop/a[Pod] => kube-system/coredns")),
        "{l:#?}"
    );

    let l = lines(&["default-deny", "allow-from-ingress"]);
    assert!(
        has(&l, "ingress-nginx/controller[Pod] => shop/a[Pod] : All Connections"),
        "{l:#?}"
    );
    assert!(!l.iter().any(|l| l.starts_with("other/c[Pod] => shop/")), "{l:#?}");
}
