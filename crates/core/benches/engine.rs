//! Benchmarks of the NetworkPolicy pipeline on synthetic clusters.
//! `cargo bench -p netplay-core` — the bar: 500 workloads / 300 policies, full
//! connlist well under a second in release mode.

use divan::{black_box, Bencher};
use netplay_core::netpol::engine::Engine;
use netplay_core::{load, SourceFile};
use netplay_synth::{generate, Params};

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

#[divan::bench(args = SIZES, sample_count = 20)]
fn explain_one_pair(bencher: Bencher, size: (usize, usize, usize)) {
    let scenario = load(&input(size));
    let n = scenario.cluster.workloads.len();
    let src = netplay_core::netpol::explain::Target::Workload(0);
    let dst = netplay_core::netpol::explain::Target::Workload(n / 2);
    bencher.bench(|| scenario.explain(src, dst, None));
}
