//! The synthetic clusters used by the benchmarks are valid input: no error diagnostics,
//! every policy accepted, and every workload present.

use netplay_core::{load, Severity, SourceFile};
use netplay_synth::{generate, Params};

#[test]
fn synthetic_clusters_are_valid_input() {
    let p = Params::new(10, 200, 120);
    let scenario = load(&[SourceFile::new("synthetic.yaml", generate(p))]);
    let errors: Vec<_> = scenario
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(scenario.cluster.workloads.len(), 200);
    assert_eq!(scenario.cluster.policies.len(), 120);
    assert!(!scenario.connlist().is_empty());
}
