//! Issue 20's target: 1 million flow records against 5,000 workloads replay and generate
//! least-privilege policies in under 5 s natively. The records are `hubble observe -o
//! json` lines (namespace, pod name, labels, workloads, IPs, TCP ports) for 20,000
//! distinct connections between the synthetic cluster's workloads, each seen 50 times,
//! fed to `FlowReader` one line at a time as the CLI does. Prints one JSON object per
//! phase and the total (release build: `cargo bench -p netplay-core --bench flows`;
//! `-- quick` for 100,000 records against 500 workloads).
//!
//! Measured (docs/performance.md, "Flows"): 11.0 s before reading borrowed strings and
//! matching endpoints by their raw key (read 10.5 s), 3.8 s after (read 3.4 s, replay
//! 0.25 s, generate 0.17 s; load average 5.9 on 2 shared cores).

use netplay_core::flows::{self, FlowReader};
use netplay_core::{load, Severity, SourceFile};
use netplay_synth::{generate, Params};
use std::time::Instant;

/// A deterministic index stream (SplitMix64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

fn endpoint(w: &netplay_core::model::Workload) -> String {
    let labels: Vec<String> = w.labels.iter().map(|(k, v)| format!("\"k8s:{k}={v}\"")).collect();
    format!(
        "{{\"namespace\":\"{}\",\"labels\":[{}],\"pod_name\":\"{}-5d8f7c9b6-x2x4z\",\"workloads\":[{{\"name\":\"{}\",\"kind\":\"{}\"}}]}}",
        w.namespace,
        labels.join(","),
        w.name,
        w.name,
        w.kind
    )
}

fn run(namespaces: usize, workloads: usize, policies: usize, records: usize, distinct: usize) {
    let yaml = generate(Params::new(namespaces, workloads, policies));
    let scenario = load(&[SourceFile::new("synthetic.yaml", yaml)]);
    assert_eq!(
        scenario
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        0
    );
    let ws = &scenario.cluster.workloads;
    let ends: Vec<String> = ws.iter().map(endpoint).collect();
    let mut rng = Rng(20);
    let pool: Vec<String> = (0..distinct)
        .map(|_| {
            let (s, d) = (rng.below(ws.len()), rng.below(ws.len()));
            let port = ws[d].ports.first().map_or(8080, |p| p.port);
            format!(
                "{{\"flow\":{{\"verdict\":\"FORWARDED\",\"IP\":{{\"source\":\"10.0.{}.{}\",\"destination\":\"10.0.{}.{}\"}},\"l4\":{{\"TCP\":{{\"source_port\":{},\"destination_port\":{port},\"flags\":{{\"SYN\":true}}}}}},\"source\":{},\"destination\":{},\"Type\":\"L3_L4\",\"traffic_direction\":\"EGRESS\",\"is_reply\":false}},\"node_name\":\"node-1\",\"time\":\"2026-12-01T10:00:00Z\"}}",
                s / 250, s % 250, d / 250, d % 250, 30000 + rng.below(30000), ends[s], ends[d]
            )
        })
        .collect();
    let bytes: usize = (0..records).map(|i| pool[i % distinct].len() + 1).sum();

    let start = Instant::now();
    let mut reader = FlowReader::new(&scenario.cluster);
    reader.start_file("flows.json");
    for i in 0..records {
        reader.line(&pool[i % distinct]);
    }
    let observed = reader.finish();
    let read = start.elapsed();
    assert_eq!(observed.records as usize, records, "{:?}", observed.issues.first());

    let t = Instant::now();
    let replay = flows::replay(&scenario.cluster, &observed);
    let replayed = t.elapsed();
    let t = Instant::now();
    let files = flows::generate(&scenario.cluster, &observed, &flows::GenerateOptions::default());
    let generated = t.elapsed();
    let total = start.elapsed();
    let yaml: usize = files.iter().map(|f| f.text.len()).sum();
    println!(
        "{{\"target\":\"flows\",\"records\":{records},\"bytes\":{bytes},\"workloads\":{},\"distinct_flows\":{},\"allowed\":{},\"blocked\":{},\"read_ms\":{},\"replay_ms\":{},\"generate_ms\":{},\"total_ms\":{},\"policy_files\":{},\"policy_bytes\":{yaml}}}",
        ws.len(),
        observed.flows.len(),
        replay.allowed,
        replay.blocked,
        read.as_millis(),
        replayed.as_millis(),
        generated.as_millis(),
        total.as_millis(),
        files.len()
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    if quick {
        run(25, 500, 100, 100_000, 2_000);
    } else {
        run(250, 5_000, 1_000, 1_000_000, 20_000);
    }
}
