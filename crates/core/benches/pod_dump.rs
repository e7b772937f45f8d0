//! Reading a dump of a live cluster's pods (`kubectl get --raw /api/v1/pods`: a JSON
//! `PodList` whose items carry no kind), the first thing a platform engineer feeds
//! netplay. The pod count doubles four times (2,500 → 40,000) for 10 and for 4,000
//! owners, so the growth exponent can be read off: reading must stay linear
//! (docs/performance.md; issue 22's target is 40,000 pods in ≤ 3 s).
//!
//! `cargo bench -p netplay-core --bench pod_dump`

use netplay_core::{load, SourceFile};
use netplay_synth::{pod_dump, DumpStyle};

fn main() {
    divan::main();
}

const PODS: [usize; 5] = [2_500, 5_000, 10_000, 20_000, 40_000];

fn read(bencher: divan::Bencher, pods: usize, owners: usize) {
    let file = SourceFile::new("pods.json", pod_dump(pods, owners, DumpStyle::ApiServer));
    bencher.bench(|| {
        let scenario = load(std::slice::from_ref(&file));
        assert_eq!(scenario.cluster.workloads.len(), owners.min(pods));
        scenario
    });
}

/// Pods of 10 owners (ReplicaSets, DaemonSets, a StatefulSet, a Job).
#[divan::bench(args = PODS, sample_count = 3, sample_size = 1)]
fn pod_dump_read_10_owners(bencher: divan::Bencher, pods: usize) {
    read(bencher, pods, 10);
}

/// Pods of 4,000 owners in 400 namespaces.
#[divan::bench(args = PODS, sample_count = 3, sample_size = 1)]
fn pod_dump_read_4000_owners(bencher: divan::Bencher, pods: usize) {
    read(bencher, pods, 4_000);
}
