//! Names the API server accepts are names netplay accepts (issue 19.5, docs/diagnostics.md
//! NP0023): random names, label keys and values and port names drawn from the patterns of
//! k8s.io/apimachinery's validation never give NP0023 and every object is read; the same
//! objects with an upper-case letter in their name are refused, each at its own name.

use netplay_core::{load, Scenario, SourceFile};
use proptest::prelude::*;
use serde_json::{json, Value};

/// An RFC 1123 label of at most `max` characters (`max` ≥ 2).
fn dns_label(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-z0-9]([-a-z0-9]{{0,{}}}[a-z0-9])?", max - 2)).expect("regex")
}

/// An RFC 1123 subdomain: up to four labels joined by dots.
fn dns_subdomain() -> impl Strategy<Value = String> {
    proptest::collection::vec(dns_label(20), 1..=4).prop_map(|labels| labels.join("."))
}

/// A DNS-1035 label: an RFC 1123 label that starts with a letter.
fn dns1035_label() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z]([-a-z0-9]{0,61}[a-z0-9])?").expect("regex")
}

/// An IANA service name: at most 15 lower-case letters, digits and single hyphens inside,
/// with at least one letter.
fn port_name() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z0-9]{0,3}[a-z]([a-z0-9]|-[a-z0-9]){0,5}").expect("regex")
}

/// A label value's non-empty form, which is also a label key's name part.
fn label_word() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?").expect("regex")
}

fn label_key() -> impl Strategy<Value = String> {
    (proptest::option::of(dns_subdomain()), label_word()).prop_map(|(prefix, name)| match prefix {
        Some(prefix) => format!("{prefix}/{name}"),
        None => name,
    })
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), label_word()]
}

#[derive(Debug, Clone)]
struct Names {
    namespace: String,
    deployment: String,
    service: String,
    cronjob: String,
    label: (String, String),
    port: String,
}

fn arb_names() -> impl Strategy<Value = Names> {
    (
        dns_label(63),
        dns_subdomain(),
        dns1035_label(),
        dns_label(52),
        (label_key(), label_value()),
        port_name(),
    )
        .prop_map(|(namespace, deployment, service, cronjob, label, port)| Names {
            namespace,
            deployment,
            service,
            cronjob,
            label,
            port,
        })
}

/// A Namespace, a Deployment, a Service and a CronJob using `names`, as one JSON file (so
/// that names such as `123` or `true` stay strings).
fn manifests(n: &Names) -> Scenario {
    let (key, value) = &n.label;
    let labels = json!({ key.as_str(): value, "app": "web" });
    let template = json!({
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"name": n.port, "containerPort": 8080}]}]}
    });
    let docs: Vec<Value> = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n.namespace, "labels": {key.as_str(): value}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": n.deployment, "namespace": n.namespace, "labels": labels},
               "spec": {"selector": {"matchLabels": labels,
                                     "matchExpressions": [{"key": key, "operator": "In", "values": [value]}]},
                        "template": template}}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": n.service, "namespace": n.namespace},
               "spec": {"selector": labels, "ports": [{"name": n.port, "port": 80, "targetPort": n.port}]}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob",
               "metadata": {"name": n.cronjob, "namespace": n.namespace},
               "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}),
    ];
    let text = docs.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    load(&[SourceFile {
        name: "names.json".into(),
        text,
        namespace: None,
    }])
}

fn refused(s: &Scenario) -> Vec<String> {
    s.diagnostics
        .iter()
        .filter(|d| d.code == "NP0023")
        .map(|d| d.message.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn names_the_api_server_accepts_are_read(names in arb_names()) {
        let s = manifests(&names);
        prop_assert_eq!(refused(&s), Vec::<String>::new());
        prop_assert!(s.cluster.namespaces.iter().any(|ns| ns.name == names.namespace));
        prop_assert!(s.cluster.services.iter().any(|svc| svc.name == names.service));
        let kinds: Vec<&str> = s.cluster.workloads.iter().map(|w| w.kind.as_str()).collect();
        prop_assert!(kinds.contains(&"Deployment") && kinds.contains(&"CronJob"), "{:?}", kinds);
    }

    #[test]
    fn an_upper_case_name_is_refused_at_its_own_field(names in arb_names(), at in 0usize..64) {
        let upper = |s: &str| {
            let i = at % s.len();
            format!("{}X{}", &s[..i], &s[i..])
        };
        let bad = Names {
            namespace: upper(&names.namespace),
            deployment: upper(&names.deployment),
            service: upper(&names.service),
            cronjob: upper(&names.cronjob[..names.cronjob.len().min(51)]),
            ..names
        };
        let s = manifests(&bad);
        let refused = refused(&s);
        for name in [&bad.namespace, &bad.deployment, &bad.service, &bad.cronjob] {
            let field = if name == &bad.namespace { "namespace" } else { "name" };
            let expected = format!("metadata.{field}: Invalid value: {name:?}: ");
            prop_assert!(refused.iter().any(|m| m.starts_with(&expected)), "{} not in {:?}", expected, refused);
        }
        prop_assert!(s.cluster.workloads.is_empty());
        prop_assert!(s.cluster.services.is_empty());
    }
}
