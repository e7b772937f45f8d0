//! Benchmarks of the NetworkPolicy pipeline on synthetic clusters.
//! `cargo bench -p netplay-core --bench engine` — parse, engine build, full connlist,
//! explain, incremental edit, mesh request, the admin tiers against NetworkPolicy. Targets: benches/targets.rs, docs/performance.md.

use divan::{black_box, Bencher};
use netplay_core::netpol::engine::Engine;
use netplay_core::{load, SourceFile};
use netplay_synth::{generate, generate_admin, Params};

fn main() {
    divan::main();
}

/// (namespaces, workloads, policies)
const SIZES: [(usize, usize, usize); 3] = [(25, 500, 300), (50, 1000, 600), (250, 5000, 3000)];

fn input(size: (usize, usize, usize)) -> Vec<SourceFile> {
    let (n, w, p) = size;
    vec![SourceFile::new("synthetic.yaml", generate(Params::new(n, w, p)))]
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn parse_and_build(bencher: Bencher, size: (usize, usize, usize)) {
    let files = input(size);
    bencher.bench(|| load(black_box(&files)));
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn engine_build(bencher: Bencher, size: (usize, usize, usize)) {
    let scenario = load(&input(size));
    bencher.bench(|| Engine::new(black_box(&scenario.cluster)).classes.len());
}

/// The whole connlist as printed: engine, every pair, formatting and sorting.
#[divan::bench(args = SIZES, sample_count = 5)]
fn full_connlist(bencher: Bencher, size: (usize, usize, usize)) {
    let scenario = load(&input(size));
    bencher.bench(|| scenario.connlist().len());
}

/// Read, build and list every connection: NetworkPolicies ...
#[divan::bench(args = SIZES, sample_count = 3)]
fn whole_pipeline_network_policies(bencher: Bencher, size: (usize, usize, usize)) {
    let files = input(size);
    bencher.bench(|| load(black_box(&files)).connlist().len());
}

/// ... and the same cluster with the same number of policies in the admin tiers
/// (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy; first-match
/// walks with Pass). Issue 15's target: at most 2x the NetworkPolicy time at 5,000
/// workloads.
#[divan::bench(args = SIZES, sample_count = 3)]
fn whole_pipeline_admin_tiers(bencher: Bencher, size: (usize, usize, usize)) {
    let (n, w, p) = size;
    let files = vec![SourceFile::new(
        "synthetic-admin.yaml",
        generate_admin(Params::new(n, w, p)),
    )];
    bencher.bench(|| load(black_box(&files)).connlist().len());
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn explain_one_pair(bencher: Bencher, size: (usize, usize, usize)) {
    let scenario = load(&input(size));
    let n = scenario.cluster.workloads.len();
    let src = netplay_core::netpol::explain::Target::Workload(0);
    let dst = netplay_core::netpol::explain::Target::Workload(n / 2);
    bencher.bench(|| scenario.explain(src, dst, None));
}

/// One policy edited (it now selects its whole namespace), re-evaluated incrementally;
/// alternating between the two versions so every step is a real edit.
#[divan::bench(args = [(50, 1000, 600)], sample_count = 20)]
fn incremental_edit(bencher: Bencher, size: (usize, usize, usize)) {
    let scenario = load(&input(size));
    let k = size.2 / 2;
    let mut edited = scenario.cluster.clone();
    edited.policies[k].pod_selector = Default::default();
    let mut engine = Some(Engine::new(&scenario.cluster));
    let mut flip = false;
    bencher.bench_local(|| {
        let e = engine.take().expect("engine present");
        let next = if flip {
            e.update_policy(&scenario.cluster, k)
        } else {
            e.update_policy(&edited, k)
        };
        flip = !flip;
        engine = Some(next);
    });
}

/// One request through a 500-service Istio mesh.
#[divan::bench(sample_count = 50)]
fn mesh_request(bencher: Bencher) {
    let scenario = load(&[SourceFile::new("mesh.yaml", netplay_synth::generate_mesh(25, 500, 42))]);
    let request =
        netplay_core::mesh::Request::new("mesh-007/svc-0007-v1", "http://svc-0257.mesh-007.svc.cluster.local/");
    bencher.bench(|| scenario.mesh_request(black_box(&request)));
}
