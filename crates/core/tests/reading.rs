//! Reading a cluster does not depend on how it was written down: random clusters written
//! as plain multi-document YAML, as the API server's typed lists without item kinds
//! (`PodList`, `NamespaceList`, `NetworkPolicyList`; JSON and YAML), as a generic `v1
//! List` (what `kubectl get -o yaml` writes), as concatenated JSON objects and as a
//! top-level array all read the same cluster — and shuffling the documents (pods of one
//! owner included, whatever their labels) changes nothing (docs/semantics.md, "Reading
//! the input" and "Pods and their owners"). Reading files and documents in
//! parallel (natively) gives exactly what reading them one after another gives.

mod common;

use netplay_core::{load, Scenario, SourceFile};
use proptest::prelude::*;
use serde_json::{json, Value};

const NAMESPACES: [&str; 2] = ["x", "y"];
const ROLES: [&str; 3] = ["primary", "replica", "standby"];

/// How a pod group is owned.
#[derive(Clone, Copy, Debug)]
enum Owner {
    None,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Node,
    WithoutKind,
}

fn arb_owner() -> impl Strategy<Value = Owner> {
    prop_oneof![
        Just(Owner::None),
        Just(Owner::ReplicaSet),
        Just(Owner::StatefulSet),
        Just(Owner::DaemonSet),
        Just(Owner::Node),
        Just(Owner::WithoutKind),
    ]
}

/// A group of pods: namespace, owner, and per pod an optional role and a port.
type Group = (usize, Owner, Vec<(Option<usize>, bool)>);

fn pods_of(g: usize, (ns, owner, pods): &Group) -> Vec<Value> {
    let app = format!("app{g}");
    pods.iter()
        .enumerate()
        .map(|(i, (role, port))| {
            let name = format!("{app}-{i}");
            let mut labels = json!({"app": app});
            if let Some(r) = role {
                labels["role"] = json!(ROLES[*r]);
            }
            let owner_ref = match owner {
                Owner::None => None,
                Owner::ReplicaSet => {
                    labels["pod-template-hash"] = json!("5f6d7b9c4");
                    Some(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-5f6d7b9c4"), "uid": "u1", "controller": true}))
                }
                Owner::StatefulSet => {
                    labels["statefulset.kubernetes.io/pod-name"] = json!(name);
                    Some(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": app, "uid": "u2", "controller": true}))
                }
                Owner::DaemonSet => {
                    labels["controller-revision-hash"] = json!(format!("{i}7c6b"));
                    Some(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "name": app, "uid": "u3", "controller": true}))
                }
                Owner::Node => Some(json!({"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "u4", "controller": true})),
                Owner::WithoutKind => Some(json!({"name": app, "controller": true})),
            };
            let mut metadata = json!({"name": name, "namespace": NAMESPACES[*ns], "labels": labels});
            if let Some(r) = owner_ref {
                metadata["ownerReferences"] = json!([r]);
            }
            let ports = if *port {
                json!([{"name": "http", "containerPort": 8080 + i, "protocol": "TCP"}])
            } else {
                json!([])
            };
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
                   "spec": {"containers": [{"name": "c", "image": "img", "ports": ports}]}})
        })
        .collect()
}

fn arb_selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        (0usize..4).prop_map(|g| json!({"matchLabels": {"app": format!("app{g}")}})),
        (0..ROLES.len()).prop_map(|r| json!({"matchLabels": {"role": ROLES[r]}})),
        (0..ROLES.len())
            .prop_map(|r| json!({"matchExpressions": [{"key": "role", "operator": "NotIn", "values": [ROLES[r]]}]})),
        Just(json!({"matchExpressions": [{"key": "role", "operator": "Exists"}]})),
        Just(
            json!({"matchExpressions": [{"key": "role", "operator": "In", "values": ["primary", "replica", "standby"]}]})
        ),
    ]
}

fn arb_policy() -> impl Strategy<Value = Value> {
    (
        0..NAMESPACES.len(),
        arb_selector(),
        arb_selector(),
        proptest::option::of(8080u16..8083),
        any::<bool>(),
    )
        .prop_map(|(ns, subject, peer, port, egress)| {
            let mut rule = json!({"from": [{"podSelector": peer, "namespaceSelector": {}}]});
            if let Some(p) = port {
                rule["ports"] = json!([{"port": p}]);
            }
            let mut spec = json!({"podSelector": subject, "ingress": [rule]});
            if egress {
                spec["policyTypes"] = json!(["Ingress", "Egress"]);
                spec["egress"] =
                    json!([{"to": [{"podSelector": {"matchLabels": {"app": "app0"}}, "namespaceSelector": {}}]}]);
            }
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"namespace": NAMESPACES[ns]}, "spec": spec})
        })
}

/// Namespaces, pods and policies of a random cluster (policy names are given here).
fn arb_cluster() -> impl Strategy<Value = (Vec<Value>, Vec<Value>, Vec<Value>)> {
    (
        proptest::collection::vec(
            (
                0..NAMESPACES.len(),
                arb_owner(),
                proptest::collection::vec((proptest::option::of(0..ROLES.len()), any::<bool>()), 1..4),
            ),
            1..5,
        ),
        proptest::collection::vec(arb_policy(), 0..4),
    )
        .prop_map(|(groups, policies)| {
            let namespaces = NAMESPACES
                .iter()
                .map(|n| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"team": n}}}))
                .collect();
            let pods = groups.iter().enumerate().flat_map(|(g, group)| pods_of(g, group)).collect();
            let policies = policies
                .into_iter()
                .enumerate()
                .map(|(i, mut p)| {
                    p["metadata"]["name"] = json!(format!("p{i}"));
                    p
                })
                .collect();
            (namespaces, pods, policies)
        })
}

fn yaml_docs(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| serde_yaml::to_string(o).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}

/// A typed list as the API server writes it: items without apiVersion and kind.
fn typed_list(kind: &str, api_version: &str, objects: &[Value]) -> Value {
    let items: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut o = o.clone();
            if let Some(m) = o.as_object_mut() {
                m.remove("apiVersion");
                m.remove("kind");
            }
            o
        })
        .collect();
    json!({"kind": format!("{kind}List"), "apiVersion": api_version, "metadata": {"resourceVersion": "7"}, "items": items})
}

/// What must be the same however the input was written: the connection list, and each
/// workload's name, labels and ports; the reading diagnostics, without their places.
fn summary(s: &Scenario) -> (Vec<String>, Vec<String>, Vec<String>) {
    let lines = s.connlist().iter().map(|l| l.to_string()).collect();
    let workloads = s
        .cluster
        .workloads
        .iter()
        .map(|w| format!("{} {:?} {:?}", w.endpoint_name(), w.labels, w.ports))
        .collect();
    // NP0007 is about files (an empty list is a file without objects), not the cluster.
    let mut diags: Vec<String> = s
        .diagnostics
        .iter()
        .filter(|d| d.code != "NP0007")
        .map(|d| {
            format!(
                "{} {}",
                d.code,
                d.message.split(" (first at ").next().unwrap_or_default()
            )
        })
        .collect();
    diags.sort();
    (lines, workloads, diags)
}

fn read(files: Vec<SourceFile>) -> Scenario {
    load(&files)
}

/// A deterministic shuffle of `items` by `seed`.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut keyed: Vec<(u64, T)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut z = seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            (z ^ (z >> 27), t.clone())
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, t)| t).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(64, 300), ..ProptestConfig::default() })]

    #[test]
    fn every_way_of_writing_a_cluster_reads_the_same((namespaces, pods, policies) in arb_cluster(), seed in any::<u64>()) {
        let all: Vec<Value> = namespaces.iter().chain(&pods).chain(&policies).cloned().collect();
        let plain = read(vec![SourceFile::new("cluster.yaml", yaml_docs(&all))]);
        let expected = summary(&plain);
        prop_assert!(plain.diagnostics.iter().all(|d| d.severity != netplay_core::Severity::Error),
            "{:?}", plain.diagnostics);

        // The API server's typed lists, as JSON (one file each) and as YAML (one file).
        let lists = [
            typed_list("Namespace", "v1", &namespaces),
            typed_list("Pod", "v1", &pods),
            typed_list("NetworkPolicy", "networking.k8s.io/v1", &policies),
        ];
        let json_files: Vec<SourceFile> = lists
            .iter()
            .enumerate()
            .map(|(i, l)| SourceFile::new(format!("list{i}.json"), serde_json::to_string(l).unwrap_or_default()))
            .collect();
        prop_assert_eq!(summary(&read(json_files)), expected.clone(), "typed JSON lists");
        prop_assert_eq!(
            summary(&read(vec![SourceFile::new("lists.yaml", yaml_docs(&lists))])),
            expected.clone(),
            "typed YAML lists"
        );

        // A generic List with kinds on every item, as `kubectl get -o yaml` writes it.
        let generic = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": all});
        prop_assert_eq!(
            summary(&read(vec![SourceFile::new("all.yaml", serde_yaml::to_string(&generic).unwrap_or_default())])),
            expected.clone(),
            "generic List"
        );

        // Concatenated JSON objects on stdin, and a top-level JSON array.
        let stream: String = all.iter().map(|o| format!("{}\n", serde_json::to_string_pretty(o).unwrap_or_default())).collect();
        prop_assert_eq!(summary(&read(vec![SourceFile::new("<stdin>", stream)])), expected.clone(), "JSON stream");
        let array = serde_json::to_string(&Value::Array(all.clone())).unwrap_or_default();
        prop_assert_eq!(summary(&read(vec![SourceFile::new("all.json", array)])), expected.clone(), "JSON array");

        // Any order of the documents, and of the pods inside a list.
        let mixed = shuffled(&all, seed);
        prop_assert_eq!(summary(&read(vec![SourceFile::new("cluster.yaml", yaml_docs(&mixed))])), expected.clone(), "shuffled documents");
        let pods_mixed = shuffled(&pods, seed.rotate_left(17));
        let lists = [
            typed_list("Pod", "v1", &pods_mixed),
            typed_list("Namespace", "v1", &namespaces),
            typed_list("NetworkPolicy", "networking.k8s.io/v1", &policies),
        ];
        prop_assert_eq!(summary(&read(vec![SourceFile::new("lists.yaml", yaml_docs(&lists))])), expected, "shuffled list items");
    }
}

/// The files of a cluster in every shape at once, with damage that each reader reports
/// (a syntax error, an object without a kind, an object defined twice), so that the order
/// of diagnostics across files, documents and list items is checked too.
fn many_files(namespaces: &[Value], pods: &[Value], policies: &[Value]) -> Vec<SourceFile> {
    let pod_list = serde_json::to_string_pretty(&typed_list("Pod", "v1", pods)).unwrap_or_default();
    let stream: String = policies
        .iter()
        .map(|o| format!("{}\n", serde_json::to_string_pretty(o).unwrap_or_default()))
        .collect();
    let generic = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
                         "items": pods.iter().take(2).chain(namespaces).cloned().collect::<Vec<_>>()});
    vec![
        SourceFile::new("namespaces.yaml", yaml_docs(namespaces)),
        SourceFile::new("pods.json", pod_list),
        SourceFile::new("policies.json", stream),
        SourceFile::new(
            "broken.yaml",
            format!(
                "{}---\nkind: [unclosed\n---\nmetadata: {{name: no-kind}}\n{}",
                yaml_docs(policies),
                READ_AHEAD_DAMAGE
            ),
        ),
        SourceFile::new("again.yaml", serde_yaml::to_string(&generic).unwrap_or_default()),
        SourceFile::new("empty.yaml", "# nothing here\n"),
    ]
}

/// What the readers that run ahead of the model in parallel (`read/ahead.rs`) report: a
/// field the type does not have (NP0009) and a port that is not one (NP0002) in
/// NetworkPolicies, names and labels the API server refuses (NP0023), a finished Pod
/// (NP0022) and a pod template of the wrong type (NP0002).
const READ_AHEAD_DAMAGE: &str = "\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typo, namespace: ns-0}
spec: {podselector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-port, namespace: ns-0}
spec: {ingress: [{ports: [{port: [1]}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: Bad_Name, labels: {app: -x-}}
---
apiVersion: v1
kind: Pod
metadata: {name: done}
status: {phase: Succeeded}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken-template}
spec: {template: [1]}
";

/// `load` with reading spread over `threads` threads (1: one after another).
fn load_with_threads(files: &[SourceFile], threads: usize) -> String {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let scenario = match pool {
        Ok(pool) => pool.install(|| load(files)),
        Err(e) => panic!("no thread pool: {e}"),
    };
    // The whole model and every diagnostic, in order and with its place.
    format!("{:?}\n{:?}", scenario.cluster, scenario.diagnostics)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(16, 128), ..ProptestConfig::default() })]

    #[test]
    fn parallel_reading_gives_what_sequential_reading_gives((namespaces, pods, policies) in arb_cluster()) {
        let files = many_files(&namespaces, &pods, &policies);
        let sequential = load_with_threads(&files, 1);
        for code in ["NP0001", "NP0005", "NP0009", "NP0002", "NP0023", "NP0022"] {
            prop_assert!(sequential.contains(code), "{} missing: {}", code, sequential);
        }
        for threads in [2, 8] {
            prop_assert_eq!(&load_with_threads(&files, threads), &sequential, "{} threads", threads);
        }
    }
}
