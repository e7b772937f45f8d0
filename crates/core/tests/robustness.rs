//! The fuzzing property, checked on stable Rust in every test run: random and mutated YAML
//! and JSON documents go through load → connlist (every format) → analyze → explain →
//! plan → mesh request without a panic, and the checks of the fuzz targets hold (loading
//! is deterministic, the parse cache changes nothing, every diagnostic code is
//! documented). It runs the same functions as the fuzz targets (`crates/fuzz/src/lib.rs`),
//! on inputs proptest makes instead of libFuzzer's; docs/robustness.md compares the two.
//!
//! The mutations are the mistakes people and tools make: lines deleted, repeated, swapped
//! or re-indented, values replaced by values of another type, fragments of other objects
//! pasted in, YAML syntax (anchors, aliases, flow collections, document markers) in odd
//! places, text cut off anywhere; JSON gets bytes flipped and cut.

mod common;
#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod harness;

use netplay_core::SourceFile;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_files(dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((path.to_string_lossy().to_string(), text));
        }
    }
}

/// Seed texts: every manifest of the scenario, mesh, plan and multi-cluster tests.
fn seeds() -> &'static [(String, String)] {
    static SEEDS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        for dir in [
            "tests/scenarios",
            "tests/mesh-scenarios",
            "tests/plans",
            "tests/multicluster",
        ] {
            yaml_files(&repo().join(dir), &mut out);
        }
        assert!(out.len() > 50, "seed manifests missing: {}", out.len());
        out
    })
}

/// Lines that, pasted anywhere, make a document wrong in a way worth trying.
const FRAGMENTS: &[&str] = &[
    "- {}",
    "---",
    "...",
    "%YAML 1.2",
    "  podSelector: {}",
    "  - podSelector: {matchLabels: {app: [x]}}",
    "    namespaceSelector: {matchExpressions: [{key: a, operator: Bogus}]}",
    "  - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/33, 11.0.0.0/8]}",
    "  - ipBlock: {cidr: 'fe80::/10', except: ['::/0']}",
    "    ports: [{port: http, endPort: 80}, {protocol: XDP, port: 0}]",
    "  - ports: [{port: 65536}, {port: -1, endPort: 99999999999999999999}]",
    "  policyTypes: [Ingress, Egress, Sideways]",
    "  egress: ~",
    "  ingress: [{}]",
    "metadata: {name: x, namespace: '', ownerReferences: [{kind: ReplicaSet, name: x, controller: true}]}",
    "kind: List",
    "items: [{apiVersion: v1, kind: Pod}]",
    "a: &a [1, 2]",
    "b: [*a, *a, *a]",
    "<<: *a",
    "key: value: more",
    "\t- tab",
    "  \"unclosed",
    "[[[[[[[[",
    "}}}",
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: ['*'], http: [{match: [{uri: {regex: '(a+)+'}}], route: [{destination: {host: x, subset: s}, weight: 200}]}]}",
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec: {action: DENY, rules: [{to: [{operation: {paths: ['/a/{**}/{*}']}}]}]}",
    "apiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata: {name: p}\nspec: {podCIDRs: [10.0.0.0/31, '::/0'], nodeMask: 33, underlayMTU: 70000}",
    "apiVersion: netplay.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c}",
];

/// Values of every type, and of the wrong shape for the field they replace.
const SCALARS: &[&str] = &[
    "",
    "~",
    "null",
    "-1",
    "0",
    "65535",
    "65536",
    "99999999999999999999",
    "1e400",
    ".inf",
    "true",
    "[]",
    "{}",
    "[a, b]",
    "{a: 1}",
    "\"ü\"",
    "0x1F",
    "'10.0.0.0/8'",
    "'::1/128'",
    "\"*\"",
    "&x y",
    "*missing",
    "!!binary aGk=",
];

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Repeat(usize),
    Swap(usize, usize),
    Insert(usize, usize),
    Replace(usize, usize),
    Indent(usize, bool),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        at.prop_map(Mutation::Delete),
        at.prop_map(Mutation::Repeat),
        (at, at).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (at, 0..FRAGMENTS.len()).prop_map(|(a, f)| Mutation::Insert(a, f)),
        (at, 0..SCALARS.len()).prop_map(|(a, s)| Mutation::Replace(a, s)),
        (at, any::<bool>()).prop_map(|(a, deeper)| Mutation::Indent(a, deeper)),
        at.prop_map(Mutation::Cut),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match *m {
            Mutation::Delete(i) => {
                lines.remove(i % n);
            }
            Mutation::Repeat(i) => lines.insert(i % n, lines[i % n].clone()),
            Mutation::Swap(a, b) => lines.swap(a % n, b % n),
            Mutation::Insert(i, f) => lines.insert(i % (n + 1), FRAGMENTS[f].to_string()),
            Mutation::Replace(i, s) => {
                let line = &mut lines[i % n];
                match line.find(": ") {
                    Some(c) => line.replace_range(c + 2.., SCALARS[s]),
                    None => line.push_str(&format!(": {}", SCALARS[s])),
                }
            }
            Mutation::Indent(i, deeper) => {
                let line = &mut lines[i % n];
                if deeper {
                    line.insert_str(0, "  ");
                } else if let Some(rest) = line.strip_prefix("  ") {
                    *line = rest.to_string();
                }
            }
            Mutation::Cut(i) => {
                let mut joined = lines.join("\n");
                let mut at = i % (joined.len() + 1);
                while !joined.is_char_boundary(at) {
                    at -= 1;
                }
                joined.truncate(at);
                lines = joined.lines().map(str::to_string).collect();
            }
        }
    }
    lines.join("\n")
}

/// A random document built from the words Kubernetes objects are made of, with values of
/// random types at every level: every reader meets fields of the wrong type and shape.
fn document() -> impl Strategy<Value = Value> {
    // The fields the readers know (their "did you mean" list), and the words of the
    // kinds that list leaves out.
    let mut keys: Vec<&str> = netplay_core::read::KNOWN_FIELDS.to_vec();
    keys.extend([
        "namespace",
        "host",
        "podCIDRs",
        "nodeMask",
        "items",
        "ownerReferences",
        "kind",
    ]);
    keys.sort_unstable();
    keys.dedup();
    const KINDS: &[(&str, &str)] = &[
        ("v1", "Pod"),
        ("v1", "Namespace"),
        ("v1", "Service"),
        ("apps/v1", "Deployment"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("networking.k8s.io/v1", "Ingress"),
        ("networking.istio.io/v1", "VirtualService"),
        ("networking.istio.io/v1", "DestinationRule"),
        ("security.istio.io/v1", "AuthorizationPolicy"),
        ("security.istio.io/v1", "PeerAuthentication"),
        ("netplay.dev/v1alpha1", "AddressPlan"),
        ("netplay.dev/v1alpha1", "Cluster"),
        ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"),
        ("v1", "List"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u16..=65535).prop_map(Value::from),
        "[a-z0-9./:*-]{0,12}".prop_map(Value::String),
        Just(json!("10.0.0.0/8")),
        Just(json!("TCP")),
    ];
    let tree = leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(keys.clone()), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    });
    (0..KINDS.len(), "[a-z]{1,4}", proptest::option::of("[a-z]{1,4}"), tree).prop_map(|(k, name, ns, spec)| {
        let (api_version, kind) = KINDS[k];
        let mut metadata = Map::new();
        metadata.insert("name".into(), json!(name));
        if let Some(ns) = ns {
            metadata.insert("namespace".into(), json!(ns));
        }
        json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec, "items": [spec]})
    })
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(common::cases(64, 256)))]

    /// Seeds from the test library, mutated, as YAML files (one, or two with the second
    /// seed beside it) through the whole pipeline.
    #[test]
    fn mutated_manifests_never_panic(
        first in 0..10_000usize,
        second in proptest::option::of(0..10_000usize),
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        let seeds = seeds();
        let (name, text) = &seeds[first % seeds.len()];
        let mut files = vec![SourceFile::new(name.clone(), mutate(text, &mutations))];
        if let Some(second) = second {
            let (name, text) = &seeds[second % seeds.len()];
            files.push(SourceFile::new(format!("{name}.2.yaml"), text.clone()));
        }
        harness::scenario(&harness::bytes_from_files(&files));
        harness::address_plan(&harness::bytes_from_files(&files));
    }

    /// Random documents of random kinds, written as YAML and as JSON.
    #[test]
    fn random_documents_never_panic(docs in proptest::collection::vec(document(), 1..5)) {
        let yaml: String = docs
            .iter()
            .map(|d| serde_yaml::to_string(d).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("---\n");
        let json: String = docs.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
        let files = [SourceFile::new("random.yaml", yaml), SourceFile::new("random.json", json)];
        harness::scenario(&harness::bytes_from_files(&files));
    }

    /// JSON seeds (the library's manifests as JSON) with bytes flipped and cut off.
    #[test]
    fn damaged_json_never_panics(
        first in 0..10_000usize,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let seeds = seeds();
        let (name, text) = &seeds[first % seeds.len()];
        // serde_yaml's document iterator repeats an error forever: stop at the first one.
        let values: Vec<Value> = serde_yaml::Deserializer::from_str(text)
            .map_while(|d| serde::Deserialize::deserialize(d).ok())
            .collect();
        let mut bytes = values.iter().map(Value::to_string).collect::<Vec<_>>().join("\n").into_bytes();
        for (at, byte) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = byte;
            }
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        let mut input = format!("{}{name}.json\n", harness::FILE_MARKER).into_bytes();
        input.extend(bytes);
        harness::scenario(&input);
    }
}

proptest! {
    #![proptest_config(config(common::cases(16, 64)))]

    /// Mesh scenarios with mutated manifests and requests through `Scenario::mesh_request`.
    #[test]
    fn mutated_mesh_requests_never_panic(
        which in 0..1000usize,
        mutations in proptest::collection::vec(mutation(), 0..6),
        method in prop_oneof![Just(""), Just("-X POST "), Just("-X \u{1F600} ")],
        header in prop_oneof![Just(""), Just("-H 'end-user: jason' "), Just("-H ':: ' "), Just("-H 'x-b3: \u{0}' ")],
        url in prop_oneof![
            proptest::sample::select(vec![
                "http://reviews:9080/",
                "http://productpage.bookinfo.svc.cluster.local:9080/api/v1/products",
                "https://bookinfo.example.com/productpage",
                "tcp://mysql:3306",
                "http://[::1]:99999/%zz",
                "http://*/",
            ]).prop_map(str::to_string),
            "[a-z:/.0-9?%]{0,24}",
        ],
    ) {
        let dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/mesh-scenarios"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        prop_assume!(!dirs.is_empty());
        let mut dirs = dirs;
        dirs.sort();
        let dir = &dirs[which % dirs.len()];
        let mut texts = Vec::new();
        yaml_files(dir, &mut texts);
        let requests = std::fs::read_to_string(dir.join("requests.txt")).unwrap_or_default();
        let from = requests
            .lines()
            .find_map(|l| l.strip_prefix("--from ").and_then(|r| r.split_whitespace().next()))
            .unwrap_or("external");
        let files: Vec<SourceFile> = texts
            .iter()
            .enumerate()
            .map(|(i, (name, text))| {
                let text = if i == 0 { mutate(text, &mutations) } else { text.clone() };
                SourceFile::new(name.clone(), text)
            })
            .collect();
        let mut input = format!("--from {from} {method}{header}{url}\n").into_bytes();
        input.extend(harness::bytes_from_files(&files));
        harness::mesh_request(&input);
    }
}

/// Lines of lesson markup (docs/lessons.md) worth pasting anywhere in a lesson.
const LESSON_FRAGMENTS: &[&str] = &[
    "---",
    "## ",
    "## A step",
    "```yaml check",
    "```yaml start file=extra.yaml",
    "```yaml solution file=cluster.yaml",
    "```yaml solution",
    "```hint",
    "```yaml bogus",
    "```",
    "~~~~",
    "    ```",
    "title: [a]",
    "tags: x",
    "- {from: shop/web, to: shop/api, expect: allowed}",
    "- {from: [], to: {namespace: x}, port: 99999, expect: maybe}",
    "- mesh: {from: frontend/web, request: 'GET http://x'}\n  expect: {status: 200, shares: {a/b: 150%}}",
];

proptest! {
    #![proptest_config(config(common::cases(16, 64)))]

    /// The built-in lessons with lesson markup pasted in and lines damaged, through
    /// `lessons::parse`, `verify` and `grade` (the `lesson` fuzz target).
    #[test]
    fn mutated_lessons_never_panic(
        which in 0..1000usize,
        pasted in proptest::collection::vec((any::<usize>(), 0..LESSON_FRAGMENTS.len()), 0..4),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let lessons = netplay_core::lessons::builtin();
        prop_assume!(!lessons.is_empty());
        let lesson = &lessons[which % lessons.len()];
        let mut lines: Vec<&str> = lesson.text.lines().collect();
        for (at, f) in pasted {
            lines.insert(at % (lines.len() + 1), LESSON_FRAGMENTS[f]);
        }
        harness::lesson(mutate(&lines.join("\n"), &mutations).as_bytes());
    }

    /// The CLI tests' `Assertions` files, mutated, with the manifests they test (the
    /// `assertions` fuzz target).
    #[test]
    fn mutated_assertions_never_panic(
        which in 0..1000usize,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let inputs = repo().join("crates/cli/tests/inputs");
        let mut texts = Vec::new();
        yaml_files(&inputs.join("assertions"), &mut texts);
        prop_assume!(!texts.is_empty());
        texts.sort();
        let (name, text) = &texts[which % texts.len()];
        let mut files = vec![SourceFile::new(name.clone(), mutate(text, &mutations))];
        let mut shop = Vec::new();
        yaml_files(&inputs.join("shop"), &mut shop);
        files.extend(shop.into_iter().map(|(name, text)| SourceFile::new(name, text)));
        harness::assertions(&harness::bytes_from_files(&files));
    }
}

#[test]
fn mutations_change_the_text_they_are_given() {
    let text = "a: 1\nb: 2\nc: 3";
    assert_eq!(mutate(text, &[Mutation::Delete(1)]), "a: 1\nc: 3");
    assert_eq!(mutate(text, &[Mutation::Replace(0, 1)]), "a: ~\nb: 2\nc: 3");
    assert_eq!(mutate(text, &[Mutation::Indent(2, true)]), "a: 1\nb: 2\n  c: 3");
    assert_eq!(mutate(text, &[Mutation::Cut(6)]), "a: 1\nb");
    assert_eq!(mutate(text, &[Mutation::Insert(3, 1)]), "a: 1\nb: 2\nc: 3\n---");
}
