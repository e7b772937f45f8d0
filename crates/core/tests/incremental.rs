//! The kept evaluation (`incremental::Evaluator`, what the playground calls after every
//! edit) gives what loading from scratch gives — the same connection lines, diagnostics
//! and model, byte for byte — edit after edit, whether it updated the previous
//! evaluation or fell back to a full one.

use netplay_core::incremental::{Evaluation, Evaluator};
use netplay_core::{load, SourceFile};
use netplay_synth::{generate, Params};
use proptest::prelude::*;

/// A synthetic cluster as the playground holds it, one document per element. Only the
/// first namespace keeps its default deny, so that most edits change some connection.
fn documents() -> Vec<String> {
    let mut denies = 0;
    generate(Params::new(4, 24, 16))
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .filter(|d| {
            let deny = d.contains("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n");
            denies += usize::from(deny);
            !deny || denies == 1
        })
        .map(str::to_string)
        .collect()
}

fn files(docs: &[String]) -> Vec<SourceFile> {
    let (policies, rest): (Vec<&String>, Vec<&String>) = docs.iter().partition(|d| d.contains("kind: NetworkPolicy"));
    let join = |ds: Vec<&String>| ds.iter().map(|d| format!("{d}---\n")).collect::<String>();
    vec![
        SourceFile::new("workloads.yaml", join(rest)),
        SourceFile::new("policies.yaml", join(policies)),
    ]
}

fn assert_same_as_from_scratch(evaluation: &Evaluation, files: &[SourceFile], step: &str) {
    let fresh = load(files);
    let lines = fresh.connlist();
    assert!(evaluation.lines == lines, "{step}: the connection lines differ");
    assert_eq!(
        evaluation.diagnostics,
        fresh.analyze(),
        "{step}: the diagnostics differ"
    );
    assert_eq!(
        format!("{:?}", evaluation.scenario.cluster),
        format!("{:?}", fresh.cluster),
        "{step}: the model differs"
    );
    let sorted = |ds: &[netplay_core::Diagnostic]| {
        let mut v: Vec<String> = ds.iter().map(|d| format!("{d:?}")).collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(&evaluation.scenario.diagnostics),
        sorted(&fresh.diagnostics),
        "{step}: the reading diagnostics differ"
    );
}

/// What a user does to the text between two evaluations.
#[derive(Clone, Debug)]
enum Edit {
    /// A policy's first port becomes another (same lines: updated in place).
    Port(usize, u16),
    /// A policy's first peer namespace label or ipBlock changes (same lines).
    Peer(usize, u8),
    /// policyTypes of a policy changes (same lines).
    PolicyTypes(usize, u8),
    /// A policy's pod selector changes (a full evaluation: workloads may regroup).
    PodSelector(usize, u8),
    /// A label in a policy's metadata (a full evaluation).
    Metadata(usize),
    /// A comment line at the start of a document (later documents move down a line).
    Comment(usize),
    /// A document stops parsing, or parses again.
    Break(usize),
    /// A workload's labels change.
    WorkloadLabel(usize, u8),
    /// A document is removed, or a copy of one added at the end.
    Remove(usize),
    Duplicate(usize),
    /// Two edits between two evaluations (a paste over several policies).
    Both(Box<Edit>, Box<Edit>),
}

fn nth_policy(docs: &[String], i: usize) -> Option<usize> {
    let policies: Vec<usize> = (0..docs.len())
        .filter(|&d| docs[d].contains("kind: NetworkPolicy"))
        .collect();
    (!policies.is_empty()).then(|| policies[i % policies.len()])
}

fn replace_first(doc: &mut String, prefixes: &[&str], with: impl Fn(&str) -> String) {
    for p in prefixes {
        if let Some(start) = doc.find(p) {
            let end = doc[start..].find('\n').map_or(doc.len(), |e| start + e);
            let new = with(&doc[start..end]);
            doc.replace_range(start..end, &new);
            return;
        }
    }
}

fn apply(docs: &mut Vec<String>, edit: &Edit) {
    const PORTS: [&str; 7] = ["53", "80", "443", "5432", "5433", "http", "metrics"];
    const TEAMS: [&str; 4] = ["team-1", "team-2", "team-7", "nobody"];
    let len = docs.len();
    match *edit {
        Edit::Port(i, p) => {
            if let Some(d) = nth_policy(docs, i) {
                let port = PORTS[p as usize % PORTS.len()];
                replace_first(&mut docs[d], &["    - port: "], |_| format!("    - port: {port}"));
            }
        }
        Edit::Peer(i, t) => {
            if let Some(d) = nth_policy(docs, i) {
                let team = TEAMS[t as usize % TEAMS.len()];
                replace_first(&mut docs[d], &["          team: ", "        cidr: "], |line| {
                    if line.contains("cidr") {
                        format!("        cidr: 10.{t}.0.0/16")
                    } else {
                        format!("          team: {team}")
                    }
                });
            }
        }
        Edit::PolicyTypes(i, t) => {
            if let Some(d) = nth_policy(docs, i) {
                let types = ["[Ingress]", "[Egress]", "[Ingress, Egress]"][t as usize % 3];
                replace_first(&mut docs[d], &["  policyTypes: "], |_| {
                    format!("  policyTypes: {types}")
                });
            }
        }
        Edit::PodSelector(i, t) => {
            if let Some(d) = nth_policy(docs, i) {
                let tier = ["frontend", "db", "cache"][t as usize % 3];
                docs[d] = docs[d].replacen(
                    "spec:\n  podSelector:",
                    &format!("spec:\n  podSelector:\n    matchLabels:\n      tier: {tier}\n  x-was:"),
                    1,
                );
                docs[d] = docs[d]
                    .replace("  x-was: {}\n", "")
                    .replace("  x-was:\n", "  x-was-pod-selector:\n");
            }
        }
        Edit::Metadata(i) => {
            if let Some(d) = nth_policy(docs, i) {
                docs[d] = docs[d].replacen("metadata:\n", "metadata:\n  labels: {edited: \"yes\"}\n", 1);
            }
        }
        Edit::Comment(i) => docs[i % len].insert_str(0, "# a note\n"),
        Edit::Break(i) => {
            let d = &mut docs[i % len];
            if d.starts_with("oops: [\n") {
                d.replace_range(..8, "");
            } else {
                d.insert_str(0, "oops: [\n");
            }
        }
        Edit::WorkloadLabel(i, t) => {
            let workloads: Vec<usize> = (0..len).filter(|&d| docs[d].contains("kind: Deployment")).collect();
            if let Some(&d) = workloads.get(i % workloads.len().max(1)) {
                let tier = ["frontend", "db", "cache"][t as usize % 3];
                replace_first(&mut docs[d], &["        tier: "], |_| format!("        tier: {tier}"));
            }
        }
        Edit::Remove(i) => {
            if len > 1 {
                docs.remove(i % len);
            }
        }
        Edit::Duplicate(i) => {
            let d = docs[i % len].clone();
            docs.push(d);
        }
        Edit::Both(ref a, ref b) => {
            apply(docs, a);
            apply(docs, b);
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    let one = one_edit();
    prop_oneof![
        8 => one.clone(),
        1 => (one.clone(), one).prop_map(|(a, b)| Edit::Both(Box::new(a), Box::new(b))),
    ]
}

fn one_edit() -> impl Strategy<Value = Edit> + Clone {
    let i = 0usize..64;
    prop_oneof![
        4 => (i.clone(), any::<u8>()).prop_map(|(i, p)| Edit::Port(i, p as u16)),
        3 => (i.clone(), any::<u8>()).prop_map(|(i, t)| Edit::Peer(i, t)),
        2 => (i.clone(), any::<u8>()).prop_map(|(i, t)| Edit::PolicyTypes(i, t)),
        1 => (i.clone(), any::<u8>()).prop_map(|(i, t)| Edit::PodSelector(i, t)),
        1 => i.clone().prop_map(Edit::Metadata),
        1 => i.clone().prop_map(Edit::Comment),
        1 => i.clone().prop_map(Edit::Break),
        1 => (i.clone(), any::<u8>()).prop_map(|(i, t)| Edit::WorkloadLabel(i, t)),
        1 => i.clone().prop_map(Edit::Remove),
        1 => i.prop_map(Edit::Duplicate),
    ]
}

/// Case counts: `PROPTEST_CASES` overrides (tests/run.sh keeps the default).
fn cases(full: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(full)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    #[test]
    fn kept_evaluation_equals_evaluation_from_scratch_edit_after_edit(edits in prop::collection::vec(edit(), 1..10)) {
        let mut docs = documents();
        let mut evaluator = Evaluator::default();
        let first = files(&docs);
        assert_same_as_from_scratch(&evaluator.evaluate(&first), &first, "first evaluation");
        for (n, e) in edits.iter().enumerate() {
            apply(&mut docs, e);
            let now = files(&docs);
            let evaluation = evaluator.evaluate(&now);
            assert_same_as_from_scratch(&evaluation, &now, &format!("after edit {n} ({e:?})"));
        }
    }
}

/// The common edit — one port of one policy — updates the previous evaluation; a pod
/// selector edit, which may regroup workloads, evaluates from scratch; and both agree
/// with loading from scratch.
#[test]
fn a_port_edit_is_an_update_and_a_selector_edit_is_not() {
    let mut docs = documents();
    let mut evaluator = Evaluator::default();
    assert!(
        !evaluator.evaluate(&files(&docs)).incremental,
        "nothing to update the first time"
    );
    let before = evaluator.evaluate(&files(&docs));
    assert!(before.incremental, "the same text again is an update");
    println!("{} connections", before.lines.len());
    let d = (0..docs.len())
        .find(|&d| docs[d].contains("kind: NetworkPolicy") && docs[d].contains("- port: 5432"))
        .expect("a policy with a 5432 rule");
    docs[d] = docs[d].replacen("- port: 5432", "- port: 5433", 1);
    let after = evaluator.evaluate(&files(&docs));
    assert!(after.incremental, "a port edit updates the kept evaluation");
    assert_same_as_from_scratch(&after, &files(&docs), "port edited");
    assert_ne!(before.lines, after.lines, "the edit changes the connections");

    let mut edited = docs.clone();
    let deny = (0..docs.len())
        .find(|&d| docs[d].contains("kind: NetworkPolicy") && docs[d].contains("  podSelector: {}\n"))
        .expect("a policy selecting every pod of its namespace");
    edited[deny] = docs[deny].replacen("  podSelector: {}\n", "  podSelector: {matchLabels: {tier: db}}\n", 1);
    let selector = evaluator.evaluate(&files(&edited));
    assert!(!selector.incremental, "a pod selector edit evaluates from scratch");
    assert_same_as_from_scratch(&selector, &files(&edited), "pod selector edited");
}

/// With Calico objects in the input a NetworkPolicy's place in evaluation order comes from
/// the rest of the input (Calico's default tier, order 1000): an edit of one still gives
/// what loading from scratch gives.
#[test]
fn an_edit_next_to_calico_policies_equals_loading_from_scratch() {
    let mut docs = documents();
    docs.push(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: deny-metrics\nspec:\n  order: 100\n  selector: all()\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    protocol: TCP\n    destination:\n      ports: [9090]\n"
            .to_string(),
    );
    let mut evaluator = Evaluator::default();
    assert_same_as_from_scratch(&evaluator.evaluate(&files(&docs)), &files(&docs), "with Calico");
    let d = (0..docs.len())
        .find(|&d| docs[d].contains("kind: NetworkPolicy") && docs[d].contains("- port: 5432"))
        .expect("a policy with a 5432 rule");
    docs[d] = docs[d].replacen("- port: 5432", "- port: 5433", 1);
    assert_same_as_from_scratch(
        &evaluator.evaluate(&files(&docs)),
        &files(&docs),
        "port edited next to Calico",
    );
}

/// The playground evaluates in steps and drops an evaluation when a newer edit arrived; an
/// older evaluation may also finish after a newer one. Whatever was dropped or finished
/// out of order, the next evaluation still gives what loading from scratch gives.
#[test]
fn evaluations_dropped_or_finished_out_of_order_leave_the_next_one_right() {
    use netplay_core::incremental::Step;
    let mut docs = documents();
    let mut evaluator = Evaluator::default();
    let first = files(&docs);
    let Step::Pending(dropped) = evaluator.begin(&first) else {
        panic!("nothing is kept yet: the first evaluation takes steps");
    };
    assert_eq!(dropped.next(), "parsing");
    let Step::Pending(dropped) = evaluator.resume(dropped) else {
        panic!("reading the model is the next step");
    };
    assert_eq!(dropped.next(), "reading the model");
    drop(dropped);
    let finish = |evaluator: &mut Evaluator, mut step: Step| loop {
        match step {
            Step::Done(evaluation) => return evaluation,
            Step::Pending(pending) => step = evaluator.resume(pending),
        }
    };
    let step = evaluator.begin(&first);
    assert_same_as_from_scratch(&finish(&mut evaluator, step), &first, "after a dropped evaluation");

    // A pod selector edit takes steps; a port edit begun before it finished is evaluated
    // on its own, and the older one finishes last: it is what is kept.
    let deny = (0..docs.len())
        .find(|&d| docs[d].contains("kind: NetworkPolicy") && docs[d].contains("  podSelector: {}\n"))
        .expect("a policy selecting every pod of its namespace");
    docs[deny] = docs[deny].replacen("  podSelector: {}\n", "  podSelector: {matchLabels: {tier: db}}\n", 1);
    let older = files(&docs);
    let Step::Pending(pending) = evaluator.begin(&older) else {
        panic!("a pod selector edit evaluates from scratch");
    };
    let port = (0..docs.len())
        .find(|&d| docs[d].contains("kind: NetworkPolicy") && docs[d].contains("- port: 5432"))
        .expect("a policy with a 5432 rule");
    docs[port] = docs[port].replacen("- port: 5432", "- port: 5433", 1);
    let newer = files(&docs);
    let step = evaluator.begin(&newer);
    assert_same_as_from_scratch(&finish(&mut evaluator, step), &newer, "the newer edit");
    let step = evaluator.resume(pending);
    assert_same_as_from_scratch(&finish(&mut evaluator, step), &older, "the older edit, finished last");
    let now = evaluator.evaluate(&newer);
    assert_same_as_from_scratch(&now, &newer, "the newer edit again");
}
