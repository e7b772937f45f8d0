//! The property that defines `netplay flows policy` (issue 20): on random clusters and
//! random observed flows, the generated NetworkPolicies (or, with `--kind cnp`,
//! CiliumNetworkPolicies) — and no others — let netplay
//! compute exactly the observed connections: every observed (source workload,
//! destination workload, protocol, port) allowed, no other workload pair or port opened,
//! and between workloads and external addresses exactly the observed ports (with the
//! default `/32` blocks).
//!
//! Clusters have namespaces with labels, workloads whose labels overlap (one workload's
//! labels may be a subset of another's, which needs `DoesNotExist` to tell them apart)
//! and named container ports; workloads of one namespace with identical labels are left
//! out, since no NetworkPolicy can tell them apart. Flows go in as netplay's CSV.

mod common;

use netplay_core::conn::ConnSet;
use netplay_core::flows;
use netplay_core::netpol::engine::Engine;
use netplay_core::{load, Protocol, Severity, SourceFile};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

const LABELS: [(&str, &[&str]); 4] = [
    ("app", &["x", "y"]),
    ("tier", &["web", "db"]),
    ("team", &["a", "b"]),
    ("pod-template-hash", &["5d8f7c9b6"]),
];
const PORTS: [(Protocol, u16, Option<&str>); 5] = [
    (Protocol::Tcp, 80, Some("http")),
    (Protocol::Tcp, 8080, None),
    (Protocol::Udp, 53, Some("dns")),
    (Protocol::Tcp, 5432, Some("pg")),
    (Protocol::Sctp, 9000, None),
];
const ADDRESSES: [&str; 3] = ["203.0.113.5", "203.0.113.77", "2001:db8::1"];
/// Never observed: must stay closed.
const UNOBSERVED: &str = "198.51.100.1";

#[derive(Clone, Debug)]
struct Workload {
    namespace: usize,
    labels: BTreeMap<&'static str, &'static str>,
    ports: Vec<usize>,
}

#[derive(Clone, Debug)]
enum FlowEnd {
    Workload(usize),
    Address(usize),
}

#[derive(Clone, Debug)]
struct Case {
    namespaces: Vec<Option<&'static str>>,
    workloads: Vec<Workload>,
    flows: Vec<(FlowEnd, FlowEnd, usize)>,
}

fn arb_labels() -> impl Strategy<Value = BTreeMap<&'static str, &'static str>> {
    proptest::collection::vec(proptest::option::of(0usize..2), LABELS.len()).prop_map(|picks| {
        picks
            .into_iter()
            .zip(LABELS)
            .filter_map(|(p, (k, values))| p.map(|i| (k, values[i % values.len()])))
            .collect()
    })
}

fn arb_case() -> impl Strategy<Value = Case> {
    let namespaces = proptest::collection::vec(proptest::option::of(prop_oneof![Just("a"), Just("b")]), 1..=3);
    let workloads = proptest::collection::vec(
        (
            0usize..3,
            arb_labels(),
            proptest::collection::vec(0usize..PORTS.len(), 0..3),
        ),
        1..=7,
    );
    (namespaces, workloads)
        .prop_flat_map(|(namespaces, raw)| {
            let n_ns = namespaces.len();
            // One workload per (namespace, labels): identical ones cannot be told apart.
            let mut seen = BTreeSet::new();
            let workloads: Vec<Workload> = raw
                .into_iter()
                .map(|(ns, labels, ports)| Workload {
                    namespace: ns % n_ns,
                    labels,
                    ports,
                })
                .filter(|w| seen.insert((w.namespace, w.labels.clone())))
                .collect();
            let n = workloads.len();
            let end = prop_oneof![
                4 => (0..n).prop_map(FlowEnd::Workload),
                1 => (0..ADDRESSES.len()).prop_map(FlowEnd::Address),
            ];
            let flows = proptest::collection::vec((end.clone(), end, 0..PORTS.len()), 0..14);
            (Just(namespaces), Just(workloads), flows)
        })
        .prop_map(|(namespaces, workloads, flows)| Case {
            namespaces,
            workloads,
            flows,
        })
}

fn workload_name(case: &Case, i: usize) -> String {
    format!("ns{}/w{i}[Deployment]", case.workloads[i].namespace)
}

fn manifests(case: &Case) -> String {
    let mut docs = Vec::new();
    for (i, team) in case.namespaces.iter().enumerate() {
        let labels = team.map_or(String::new(), |t| format!("\n  labels:\n    team: {t}"));
        docs.push(format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{i}{labels}\n"
        ));
    }
    for (i, w) in case.workloads.iter().enumerate() {
        let mut labels: String = w
            .labels
            .iter()
            .map(|(k, v)| format!("\n        {k}: \"{v}\""))
            .collect();
        if labels.is_empty() {
            labels = " {}".into();
        }
        let mut ports = String::new();
        let mut used = BTreeSet::new();
        for &p in &w.ports {
            if !used.insert(p) {
                continue;
            }
            let (proto, port, name) = PORTS[p];
            ports += &format!("\n        - containerPort: {port}\n          protocol: {proto}");
            if let Some(n) = name {
                ports += &format!("\n          name: {n}");
            }
        }
        let ports = if ports.is_empty() {
            String::new()
        } else {
            format!("\n        ports:{ports}")
        };
        docs.push(format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w{i}\n  namespace: ns{}\nspec:\n  template:\n    metadata:\n      labels:{labels}\n    spec:\n      containers:\n      - name: c\n        image: i{ports}\n",
            w.namespace
        ));
    }
    docs.join("---\n")
}

fn end_text(case: &Case, e: &FlowEnd) -> String {
    match e {
        FlowEnd::Workload(i) => workload_name(case, *i),
        FlowEnd::Address(a) => ADDRESSES[*a].to_string(),
    }
}

fn check(case: &Case, kind: flows::PolicyKind) -> Result<(), TestCaseError> {
    let cluster_yaml = manifests(case);
    let base = load(&[SourceFile::new("cluster.yaml", cluster_yaml.clone())]);
    let errors: Vec<_> = base
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    prop_assert!(errors.is_empty(), "{errors:?}\n{cluster_yaml}");
    let csv: String = case
        .flows
        .iter()
        .map(|(s, d, p)| {
            format!(
                "{},{},{},{}\n",
                end_text(case, s),
                end_text(case, d),
                PORTS[*p].1,
                PORTS[*p].0
            )
        })
        .collect();
    let observed = flows::read(&base.cluster, &[SourceFile::new("flows.csv", csv.clone())]);
    // Flows between two addresses are reported, not kept; every other record is read.
    let kept = case
        .flows
        .iter()
        .filter(|(s, d, _)| matches!(s, FlowEnd::Workload(_)) || matches!(d, FlowEnd::Workload(_)))
        .count();
    prop_assert_eq!(observed.records as usize, kept, "{:?}\n{}", observed.issues, csv);

    let options = flows::GenerateOptions {
        kind,
        ..flows::GenerateOptions::default()
    };
    let files = flows::generate(&base.cluster, &observed, &options);
    let mut inputs = vec![SourceFile::new("cluster.yaml", cluster_yaml.clone())];
    inputs.extend(
        files
            .iter()
            .map(|f| SourceFile::new(f.file_name.clone(), f.text.clone())),
    );
    let with = load(&inputs);
    let bad: Vec<_> = with
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let generated: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    let generated = generated.join("---\n");
    prop_assert!(bad.is_empty(), "{bad:?}\n{generated}");

    // What was observed, by names.
    let mut pairs: HashMap<(String, String), ConnSet> = HashMap::new();
    for (s, d, p) in &case.flows {
        let (proto, port, _) = PORTS[*p];
        pairs
            .entry((end_text(case, s), end_text(case, d)))
            .or_insert_with(ConnSet::none)
            .union_with(&ConnSet::port_range(proto, port, port));
    }
    let expected = |s: &str, d: &str| {
        pairs
            .get(&(s.to_string(), d.to_string()))
            .cloned()
            .unwrap_or_else(ConnSet::none)
    };

    let engine = Engine::new(&with.cluster);
    let names: Vec<String> = with.cluster.workloads.iter().map(|w| w.endpoint_name()).collect();
    for (s, sn) in names.iter().enumerate() {
        for (d, dn) in names.iter().enumerate() {
            let got = engine.workload_conn(s, d);
            let want = expected(sn, dn);
            prop_assert_eq!(&got, &want, "{} => {}\n{}\n{}", sn, dn, csv, generated);
        }
        for addr in ADDRESSES.iter().chain([&UNOBSERVED]) {
            let ip: IpAddr = addr.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let out = engine.conn_to_ip(s, ip);
            prop_assert_eq!(&out, &expected(sn, addr), "{} => {}\n{}\n{}", sn, addr, csv, generated);
            let inn = engine.conn_from_ip(ip, s);
            prop_assert_eq!(&inn, &expected(addr, sn), "{} => {}\n{}\n{}", addr, sn, csv, generated);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(256, 2000), ..ProptestConfig::default() })]

    #[test]
    fn generated_policies_admit_exactly_the_observed_flows(case in arb_case()) {
        check(&case, flows::PolicyKind::NetworkPolicy)?;
    }

    /// The same property for `--kind cnp`: CiliumNetworkPolicies alone.
    #[test]
    fn generated_cilium_policies_admit_exactly_the_observed_flows(case in arb_case()) {
        check(&case, flows::PolicyKind::Cilium)?;
    }
}
