//! Flow records to flows, one fixture per format (tests/flows/shop/, written from each
//! tool's documentation): which distinct flows each file holds against the example shop
//! (manifests/) and which lines are reported, both derived by hand from the fixtures.

use netplay_core::flows::{self, FlowFormat, Observed};
use netplay_core::{load, SourceFile};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn shop() -> netplay_core::Scenario {
    let mut files = Vec::new();
    for f in [
        "namespaces.yaml",
        "applications/frontend.yaml",
        "applications/backend.yaml",
        "applications/database.yaml",
        "applications/worker.yaml",
        "applications/monitoring.yaml",
    ] {
        let text = std::fs::read_to_string(root().join("manifests").join(f)).expect("manifest");
        files.push(SourceFile::new(f, text));
    }
    load(&files)
}

fn observe(fixture: &str) -> (netplay_core::Scenario, Observed) {
    let scenario = shop();
    let text = std::fs::read_to_string(root().join("tests/flows/shop").join(fixture)).expect("fixture");
    let observed = flows::read(&scenario.cluster, &[SourceFile::new(fixture, text)]);
    (scenario, observed)
}

fn lines(scenario: &netplay_core::Scenario, observed: &Observed) -> Vec<String> {
    observed
        .flows
        .iter()
        .map(|f| format!("{} x{}", f.text(&scenario.cluster), f.records))
        .collect()
}

fn issue_lines(observed: &Observed) -> Vec<u32> {
    observed.issues.iter().map(|i| i.loc.line).collect()
}

#[test]
fn hubble_folds_replies_and_both_observation_points() {
    let (s, o) = observe("hubble.json");
    assert_eq!(o.formats, vec![("hubble.json".to_string(), FlowFormat::Hubble)]);
    assert_eq!(
        lines(&s, &o),
        [
            "198.51.100.7-198.51.100.7[External] => frontend/web[Deployment] : TCP 80 x1",
            "app/worker[Deployment] => 203.0.113.10-203.0.113.10[External] : TCP 443 x1",
            "app/worker[Deployment] => backend/api-v2[Deployment] : TCP 8080 x1",
            // Line 7: kube-system is not in the input, but DNS lookups are kept.
            "app/worker[Deployment] => kube-system/kube-dns[DNS] : UDP 53 x1",
            "backend/api-v1[Deployment] => database/postgres[StatefulSet] : TCP 5432 x1",
            // Line 1 (EGRESS) and line 2 (INGRESS) are one connection seen twice.
            "frontend/web[Deployment] => backend/api-v1[Deployment] : TCP 8080 x2",
            // Line 4 names no pod or workload: its labels pick api-v2.
            "frontend/web[Deployment] => backend/api-v2[Deployment] : TCP 8080 x1",
            "monitoring/prometheus[Deployment] => backend/api-v1[Deployment] : TCP 9797 x1",
        ]
    );
    assert_eq!(o.replies, 1, "line 3");
    assert_eq!(o.without_port, 2, "line 9 (ICMP) and line 15 (lost events)");
    // Line 8 is cut off, the debug pod is nobody's, the host is no pod.
    assert_eq!(issue_lines(&o), [8, 11, 12]);
}

#[test]
fn calico_folds_source_and_destination_reports() {
    let (s, o) = observe("calico.json");
    assert_eq!(o.formats[0].1, FlowFormat::Calico);
    assert_eq!(
        lines(&s, &o),
        [
            "app/worker[Deployment] => 203.0.113.10-203.0.113.10[External] : TCP 443 x5",
            "backend/api-v2[Deployment] => database/postgres[StatefulSet] : TCP 5432 x3",
            "frontend/web[Deployment] => backend/api-v1[Deployment] : TCP 8080 x24",
        ]
    );
    assert_eq!(o.without_port, 1, "line 7 is ICMP");
    // 5: a public address aggregated away; 6: the debug pod; 8: a named dest_port;
    // 9: a host endpoint; 10: cut off.
    assert_eq!(issue_lines(&o), [5, 6, 8, 9, 10]);
}

#[test]
fn gadget_reads_both_shapes_and_resolves_services() {
    let (s, o) = observe("gadget.json");
    assert_eq!(o.formats[0].1, FlowFormat::Gadget);
    assert_eq!(
        lines(&s, &o),
        [
            "app/worker[Deployment] => 203.0.113.10-203.0.113.10[External] : TCP 443 x1",
            // Service backend/api port 80 targets the pods' port `http` (8080).
            "app/worker[Deployment] => backend/api-v1[Deployment] : TCP 8080 x1",
            "app/worker[Deployment] => backend/api-v2[Deployment] : TCP 8080 x1",
            "backend/api-v2[Deployment] => database/postgres[StatefulSet] : TCP 5432 x1",
            // Two OUTGOING events and the HOST event at the other end.
            "frontend/web[Deployment] => backend/api-v1[Deployment] : TCP 8080 x3",
        ]
    );
    assert_eq!(o.without_port, 1, "line 8 is multicast");
    assert_eq!(issue_lines(&o), [7, 9]);
}

#[test]
fn csv_names_workloads_as_netplay_prints_them() {
    let (s, o) = observe("flows.csv");
    assert_eq!(o.formats[0].1, FlowFormat::Csv);
    assert_eq!(
        lines(&s, &o),
        [
            "198.51.100.7-198.51.100.7[External] => frontend/web[Deployment] : TCP 80 x1000",
            "app/worker[Deployment] => 203.0.113.10-203.0.113.10[External] : TCP 443 x9",
            "app/worker[Deployment] => backend/api-v1[Deployment] : TCP 8080 x1",
            "backend/api-v1[Deployment] => database/postgres[StatefulSet] : TCP 5432 x1",
            "backend/api-v2[Deployment] => database/postgres[StatefulSet] : TCP 5432 x15",
            "frontend/web[Deployment] => backend/api-v1[Deployment] : TCP 8080 x123",
            "frontend/web[Deployment] => backend/api-v2[Deployment] : TCP 8080 x40",
            "monitoring/prometheus[Deployment] => backend/api-v1[Deployment] : TCP 9797 x1",
            "monitoring/prometheus[Deployment] => backend/api-v2[Deployment] : TCP 9797 x1",
        ]
    );
    assert_eq!(issue_lines(&o), [12, 13, 14, 15]);
}

#[test]
fn junk_never_panics_and_every_bad_line_is_reported() {
    let scenario = shop();
    let junk = "{\"flow\":\n\u{0}\u{1}\nsrc,dst\n{}\n[1,2]\n\"x\"\n{\"source\":{},\"destination\":{},\"l4\":{\"TCP\":{\"destination_port\":99999}}}\n";
    for first in [
        "",
        "{\"flow\":{}}\n",
        "{\"dest_namespace\":\"a\"}\n",
        "{\"pktType\":\"HOST\"}\n",
        "a,b,1,TCP\n",
    ] {
        let text = format!("{first}{junk}");
        let o = flows::read(&scenario.cluster, &[SourceFile::new("junk", text)]);
        assert!(o.flows.is_empty(), "{first:?}: {:?}", o.flows);
        assert!(o.issue_count >= 1, "{first:?}");
    }
}

#[test]
fn an_overlong_record_is_reported_not_read() {
    let scenario = shop();
    let long = format!(
        "{{\"flow\":{{\"Summary\":\"{}\"}}}}",
        "x".repeat(flows::MAX_RECORD_BYTES)
    );
    let o = flows::read(&scenario.cluster, &[SourceFile::new("big.json", long)]);
    assert_eq!(o.issues.len(), 1);
    assert!(o.issues[0].message.contains("longer than 1 MiB"), "{}", o.issues[0]);
}
