//! The synthetic clusters used by the benchmarks are valid input: no error diagnostics,
//! every policy accepted, and every workload present.

use netplay_core::{load, Severity, SourceFile};
use netplay_synth::{generate, generate_admin, generate_cilium, generate_cilium_and_calico, Params};

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

/// The admin-tier variant: every object accepted and evaluated (no NP0003), each tier
/// present, and the tiers change what the same cluster's connections are.
#[test]
fn synthetic_admin_clusters_are_valid_input() {
    use netplay_core::policy::{PolicyKind, Tier};
    let p = Params::new(10, 200, 120);
    let scenario = load(&[SourceFile::new("synthetic-admin.yaml", generate_admin(p))]);
    let errors: Vec<_> = scenario
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || d.code == "NP0003")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let policies = &scenario.cluster.policies;
    assert_eq!(policies.len(), 120);
    for kind in [
        PolicyKind::AdminNetworkPolicy,
        PolicyKind::BaselineAdminNetworkPolicy,
        PolicyKind::ClusterNetworkPolicy,
    ] {
        assert!(policies.iter().any(|q| q.kind == kind), "no {kind:?}");
    }
    assert!(policies.iter().all(|q| q.tier != Tier::NetworkPolicy));
    let plain = load(&[SourceFile::new("synthetic.yaml", generate(p))]);
    assert_ne!(scenario.connlist(), plain.connlist());
}

/// The Cilium variant says what the NetworkPolicy variant says, in Cilium's language
/// (namespace labels in endpoint selectors, `toCIDRSet`, `fromCIDR`, named ports, the
/// default deny as `ingress: [{}]`): every policy accepted, and the same connections.
/// The half-Cilium, half-Calico cluster of the benchmark is valid input too.
#[test]
fn synthetic_cilium_clusters_say_what_the_network_policies_say() {
    let p = Params::new(10, 200, 120);
    let cilium = load(&[SourceFile::new("synthetic-cilium.yaml", generate_cilium(p))]);
    let errors: Vec<_> = cilium
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || d.code == "NP0003")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(cilium.cluster.policies.len(), 120);
    let plain = load(&[SourceFile::new("synthetic.yaml", generate(p))]);
    assert_eq!(cilium.connlist(), plain.connlist());

    let mixed = load(&[SourceFile::new("synthetic-cni.yaml", generate_cilium_and_calico(p))]);
    let errors: Vec<_> = mixed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || d.code == "NP0003")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!mixed.connlist().is_empty());
}

/// `load_cached` (what the playground calls after each edit) gives what `load` gives,
/// edit after edit: a changed policy, a document added, a broken one, files renamed.
#[test]
fn cached_loading_equals_loading_from_scratch_edit_after_edit() {
    use netplay_core::{load_cached, parse::ParseCache};
    let text = generate(Params::new(6, 60, 40));
    let edited = text.replacen("port: 8080", "port: 9090", 1);
    let broken = format!("{text}---\nkind: NetworkPolicy\nmetadata: [oops\n");
    let extra = format!("{text}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n");
    let rounds: Vec<Vec<SourceFile>> = vec![
        vec![SourceFile::new("a.yaml", text.clone())],
        vec![SourceFile::new("a.yaml", edited.clone())],
        vec![SourceFile::new("a.yaml", broken.clone())],
        vec![SourceFile::new("a.yaml", extra.clone())],
        vec![
            SourceFile::new("b.yaml", extra.clone()),
            SourceFile::new("a.yaml", text.clone()),
        ],
        vec![
            SourceFile::new("a.yaml", text.clone()),
            SourceFile::new("a.yaml", text.clone()),
        ],
        vec![SourceFile::new("a.json", "{\"kind\": \"Namespace\"}".to_string())],
        vec![SourceFile::new("a.yaml", text)],
    ];
    assert_ne!(edited, rounds[0][0].text, "the edit must change something");
    let mut cache = ParseCache::default();
    for (i, files) in rounds.iter().enumerate() {
        let fresh = load(files);
        let cached = load_cached(files, &mut cache);
        assert_eq!(cached.connlist(), fresh.connlist(), "round {i}");
        assert_eq!(cached.analyze(), fresh.analyze(), "round {i}");
        assert_eq!(
            format!("{:?}", cached.cluster),
            format!("{:?}", fresh.cluster),
            "round {i}"
        );
    }
}

/// The whole list (its rows found through the transposed ingress index, built 64
/// destinations at a time) says for a workload what the list focused on it says (rows
/// and columns evaluated pair by pair, no index), over several blocks of 64 classes.
#[test]
fn the_ingress_index_agrees_with_pair_by_pair_evaluation_beyond_64_classes() {
    let scenario = load(&[SourceFile::new(
        "distinct.yaml",
        netplay_synth::generate_distinct(Params::new(12, 300, 180)),
    )]);
    let whole = scenario.connlist();
    assert!(whole.len() > 1000, "{} lines", whole.len());
    for w in scenario.cluster.workloads.iter().step_by(37) {
        let name = w.endpoint_name();
        let expected: Vec<_> = whole
            .iter()
            .filter(|l| l.src == name || l.dst == name)
            .cloned()
            .collect();
        assert_eq!(scenario.connlist_focused(&name).unwrap_or_default(), expected, "{name}");
    }
}
