//! The fast engine and the reference evaluator agree on every scenario of
//! tests/scenarios/ (each cluster on its own for multi-cluster scenarios): for every pair
//! of workloads, every workload and external address where an ipBlock starts or ends,
//! every protocol and every port where an answer can change. The scenarios' expected
//! connection lists were written by hand; this checks that the two independent
//! evaluators behind `connlist` and the property tests read them the same way.

use netplay_core::endpoint::AddrSet;
use netplay_core::model::Cluster;
use netplay_core::netpol::engine::Engine;
use netplay_core::netpol::reference::{allowed, Party};
use netplay_core::policy::PeerKind;
use netplay_core::{load, Protocol, SourceFile};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable scenario directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(p);
        }
    }
}

fn load_dir(dir: &Path) -> netplay_core::Scenario {
    let mut paths = Vec::new();
    files_under(dir, &mut paths);
    let files: Vec<SourceFile> = paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).expect("readable file");
            SourceFile::from_bytes(p.display().to_string(), &bytes).expect("text")
        })
        .collect();
    load(&files)
}

/// Ports where an answer can change: every number written in the cluster's policies and
/// container ports, its neighbours, and the ends of the range.
fn ports(cluster: &Cluster) -> BTreeSet<u16> {
    let mut out = BTreeSet::from([1, 65535]);
    let mut add = |n: u16| {
        out.extend([n.saturating_sub(1).max(1), n, n.saturating_add(1)]);
    };
    for w in &cluster.workloads {
        w.ports.iter().for_each(|p| add(p.port));
    }
    for p in &cluster.policies {
        for rule in p.ingress.iter().chain(&p.egress).flatten() {
            for spec in rule.ports.iter().flatten() {
                let text = spec.to_string();
                for n in text.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok()) {
                    add(n);
                }
            }
        }
    }
    out
}

fn addresses(cluster: &Cluster) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = ["0.0.0.0", "255.255.255.255", "8.8.8.8", "::", "2001:db8::1"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    for p in &cluster.policies {
        for rule in p.ingress.iter().chain(&p.egress).flatten() {
            for peer in rule.peers.iter().flatten() {
                let PeerKind::IpBlock { cidr, except } = &peer.kind else {
                    continue;
                };
                for net in std::iter::once(cidr).chain(except) {
                    let set = AddrSet::from_net(net);
                    for &(lo, hi) in set.v4.ranges() {
                        for v in [lo.saturating_sub(1), lo, hi, hi.saturating_add(1)] {
                            ips.push(IpAddr::V4(v.into()));
                        }
                    }
                    for &(lo, hi) in set.v6.ranges() {
                        for v in [lo.saturating_sub(1), lo, hi, hi.saturating_add(1)] {
                            ips.push(IpAddr::V6(v.into()));
                        }
                    }
                }
            }
        }
    }
    ips
}

/// Disagreements between the engine and the reference on one cluster, as text.
fn disagreements(name: &str, cluster: &Cluster) -> Vec<String> {
    let engine = Engine::new(cluster);
    let ports = ports(cluster);
    let ips = addresses(cluster);
    let mut out = Vec::new();
    let n = cluster.workloads.len();
    let mut check = |what: String, fast: bool, reference: bool| {
        if fast != reference {
            out.push(format!("{name}: {what}: engine {fast}, reference {reference}"));
        }
    };
    for s in 0..n {
        let ws = &cluster.workloads[s];
        for d in 0..n {
            let wd = &cluster.workloads[d];
            let fast = engine.workload_conn(s, d);
            for proto in Protocol::ALL {
                for &port in &ports {
                    let reference = allowed(cluster, Party::Pod(ws), Party::Pod(wd), proto.as_str(), port);
                    check(
                        format!("{} => {} {proto} {port}", ws.endpoint_name(), wd.endpoint_name()),
                        fast.contains(proto, port),
                        reference,
                    );
                }
            }
        }
        for &ip in &ips {
            let (to, from) = (engine.conn_to_ip(s, ip), engine.conn_from_ip(ip, s));
            for proto in Protocol::ALL {
                for &port in &ports {
                    let r_to = allowed(cluster, Party::Pod(ws), Party::Ip(ip), proto.as_str(), port);
                    let r_from = allowed(cluster, Party::Ip(ip), Party::Pod(ws), proto.as_str(), port);
                    check(
                        format!("{} => {ip} {proto} {port}", ws.endpoint_name()),
                        to.contains(proto, port),
                        r_to,
                    );
                    check(
                        format!("{ip} => {} {proto} {port}", ws.endpoint_name()),
                        from.contains(proto, port),
                        r_from,
                    );
                }
            }
        }
    }
    out
}

#[test]
fn engine_and_reference_agree_on_every_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 50, "expected the scenario library, found {}", dirs.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let scenario = load_dir(dir);
        match &scenario.multicluster {
            Some(multi) => {
                for m in &multi.clusters {
                    failures.extend(disagreements(&format!("{name}/{}", m.name), &m.cluster));
                    checked += 1;
                }
            }
            None => {
                failures.extend(disagreements(&name, &scenario.cluster));
                checked += 1;
            }
        }
    }
    assert!(checked >= dirs.len());
    assert!(
        failures.is_empty(),
        "{} disagreement(s), first ones:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
