//! Evaluation kept between edits: what the playground calls after every pause in typing.
//!
//! [`Evaluator::evaluate`] gives the same scenario, connection lines and diagnostics as
//! [`crate::load`] followed by [`Scenario::connlist`] and [`Scenario::analyze`] on the same
//! files (`tests/incremental.rs` checks it edit after edit), but keeps the parsed
//! documents, the model, the engine and the NetworkPolicy findings per namespace between
//! calls. When the only text that changed is one document of one file, holding one
//! NetworkPolicy whose metadata and pod selectors stayed the same (an edited port, peer
//! namespace, ipBlock or policy type), only that document is parsed and read again, the
//! engine re-evaluates only the classes the policy selects before or after
//! ([`Engine::update_policy`]) and only its namespace is checked again. Anything else —
//! another kind, several objects, an object moved to another line, several clusters — is
//! evaluated from scratch (parsing only the documents that changed), so a result is never
//! stale.

use crate::diagnostics::{AnalyzeOptions, Diagnostic};
use crate::netpol::checks::check_by_namespace;
use crate::netpol::engine::{Engine, KeptEngine};
use crate::output::ConnLine;
use crate::parse::locate::PathSeg;
use crate::parse::{edited_document, within_size_limits, Document, ParseCache, RawObject, SourceFile};
use crate::policy::{PeerKind, Policy, PolicyKind, Selector};
use crate::{Location, Scenario};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// After this many policy updates the engine is built again from scratch: an update
/// leaves the old version's prepared rules and connection sets behind.
const UPDATES_BEFORE_REBUILD: usize = 64;

/// One evaluation's results.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub scenario: Arc<Scenario>,
    /// As [`Scenario::connlist`] gives them: sorted, each once.
    pub lines: Vec<ConnLine>,
    /// As [`Scenario::analyze`] gives them.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the previous evaluation was updated (one policy read again) rather than
    /// everything computed from scratch.
    pub incremental: bool,
}

/// Keeps what an evaluation computed for the next one (see the module documentation).
#[derive(Default)]
pub struct Evaluator {
    cache: ParseCache,
    /// The files of the last evaluation.
    files: Vec<SourceFile>,
    kept: Option<Kept>,
}

struct Kept {
    scenario: Arc<Scenario>,
    /// Per parsed object, in input order: where it was read from and its metadata.
    objects: Vec<Seen>,
    /// Parsing's and the assertions' diagnostics, which an update leaves as they are.
    before_reading: Vec<Diagnostic>,
    /// Reading's own diagnostics (not parsing's or the assertions').
    reading: Vec<Diagnostic>,
    /// The NetworkPolicy findings by namespace.
    checks: BTreeMap<String, Vec<Diagnostic>>,
    engine: KeptEngine,
    updates: usize,
}

/// What decides whether a parsed object is the one read last time.
struct Seen {
    doc: Document,
    prefix: Vec<PathSeg>,
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
    loc: Location,
    /// The object (shared with the parse cache), for its metadata.
    value: Arc<Value>,
}

impl Seen {
    fn of(obj: &RawObject) -> Seen {
        Seen {
            doc: obj.doc.clone(),
            prefix: obj.prefix.clone(),
            api_version: obj.api_version.clone(),
            kind: obj.kind.clone(),
            name: obj.name.clone(),
            namespace: obj.namespace.clone(),
            loc: obj.loc.clone(),
            value: obj.value.clone(),
        }
    }

    /// Parsing depends on nothing but a document's file, first line and text: the same
    /// document gives the same object.
    fn same_document(&self, obj: &RawObject) -> bool {
        self.doc.file == obj.doc.file
            && self.doc.start_line == obj.doc.start_line
            && (Arc::ptr_eq(&self.doc.text, &obj.doc.text) || self.doc.text == obj.doc.text)
            && self.prefix == obj.prefix
    }

    /// The same object with only its spec changed.
    fn same_but_spec(&self, obj: &RawObject) -> bool {
        self.api_version == obj.api_version
            && self.kind == obj.kind
            && self.name == obj.name
            && self.namespace == obj.namespace
            && self.loc == obj.loc
            && self.prefix == obj.prefix
            && self.value.get("metadata") == obj.value.get("metadata")
    }
}

/// An evaluation taken in steps, so that a page can yield to its event loop between them
/// and drop the rest when a newer edit arrived ([`Evaluator::begin`], then
/// [`Evaluator::resume`] until it is done).
pub enum Step {
    Done(Evaluation),
    Pending(Pending),
}

/// What is left of an evaluation taken in steps. Dropping it drops the evaluation; the
/// documents parsed so far stay in the parse cache for the next one.
pub struct Pending(Stage);

enum Stage {
    /// Nothing kept applies: the files are parsed next.
    Unparsed(Vec<SourceFile>),
    /// The files parsed; the model is read next.
    Parsed {
        files: Vec<SourceFile>,
        raw: Vec<RawObject>,
        before_reading: Vec<Diagnostic>,
    },
    /// The model read; the engine, the lines and the checks are next.
    Read {
        files: Vec<SourceFile>,
        objects: Vec<Seen>,
        scenario: Arc<Scenario>,
        before_reading: Vec<Diagnostic>,
        reading: Vec<Diagnostic>,
    },
}

impl Pending {
    /// What the next step does, for a progress indicator.
    pub fn next(&self) -> &'static str {
        match self.0 {
            Stage::Unparsed(_) => "parsing",
            Stage::Parsed { .. } => "reading the model",
            Stage::Read { .. } => "evaluating connections and checks",
        }
    }
}

impl Evaluator {
    /// Evaluates `files`, reusing what the previous call computed where it still holds.
    pub fn evaluate(&mut self, files: &[SourceFile]) -> Evaluation {
        let mut step = self.begin(files);
        loop {
            match step {
                Step::Done(evaluation) => return evaluation,
                Step::Pending(pending) => step = self.resume(pending),
            }
        }
    }

    /// The first step of evaluating `files`: the whole evaluation when the kept one can be
    /// updated (one short step); otherwise nothing yet, and the steps that follow parse
    /// (documents that did not change come from the parse cache), read and evaluate.
    pub fn begin(&mut self, files: &[SourceFile]) -> Step {
        if let Some(kept) = self.kept.take() {
            if let Some((evaluation, kept, changed)) = update(kept, &self.files, files) {
                if let Some(f) = changed {
                    self.files[f].text.clone_from(&files[f].text);
                }
                self.kept = Some(kept);
                return Step::Done(evaluation);
            }
        }
        Step::Pending(Pending(Stage::Unparsed(files.to_vec())))
    }

    /// The next step of an evaluation. The evaluation it finishes is kept for the next
    /// call of [`Evaluator::begin`], whichever evaluation was begun in between.
    pub fn resume(&mut self, pending: Pending) -> Step {
        match pending.0 {
            Stage::Unparsed(files) => {
                let (raw, mut before_reading) = crate::parse::parse_files_cached(&files, &mut self.cache);
                let mut assertion_diagnostics = crate::assertions::read(&raw).diagnostics;
                before_reading.append(&mut assertion_diagnostics);
                Step::Pending(Pending(Stage::Parsed {
                    files,
                    raw,
                    before_reading,
                }))
            }
            Stage::Parsed {
                files,
                raw,
                before_reading,
            } => {
                let objects: Vec<Seen> = raw.iter().map(Seen::of).collect();
                let (scenario, reading) = Scenario::from_objects(raw, before_reading.clone());
                Step::Pending(Pending(Stage::Read {
                    files,
                    objects,
                    scenario: Arc::new(scenario),
                    before_reading,
                    reading,
                }))
            }
            Stage::Read {
                files,
                objects,
                scenario,
                before_reading,
                reading,
            } => {
                self.kept = None;
                if scenario.multicluster.is_some() {
                    return Step::Done(Evaluation {
                        lines: scenario.connlist(),
                        diagnostics: scenario.analyze(),
                        scenario,
                        incremental: false,
                    });
                }
                let checks = check_by_namespace(&scenario.cluster, None);
                let (lines, diagnostics, engine) = results(&scenario, Engine::new(&scenario.cluster), &checks);
                self.files = files;
                self.kept = Some(Kept {
                    scenario: scenario.clone(),
                    objects,
                    before_reading,
                    reading,
                    checks,
                    engine,
                    updates: 0,
                });
                Step::Done(Evaluation {
                    scenario,
                    lines,
                    diagnostics,
                    incremental: false,
                })
            }
        }
    }
}

/// The lines and diagnostics of a single-cluster scenario from its engine.
fn results(
    scenario: &Scenario,
    engine: Engine<'_>,
    checks: &BTreeMap<String, Vec<Diagnostic>>,
) -> (Vec<ConnLine>, Vec<Diagnostic>, KeptEngine) {
    let mut lines = crate::netpol::ingress_controller::cluster_lines(&engine);
    crate::sorting::sort_unstable(&mut lines);
    lines.dedup();
    crate::connlist::L7Marks::mark_all(&scenario.cluster, &mut lines);
    let findings = checks.values().flatten().cloned().collect();
    let diagnostics = scenario
        .analyze_report_with(&AnalyzeOptions::default(), findings)
        .diagnostics;
    (lines, diagnostics, engine.keep())
}

/// Which file's text changed from `old` to `new`: `Some(None)` for none, `Some(Some(i))`
/// for file `i` alone; `None` when more changed (files added, removed, renamed).
fn changed_file(old: &[SourceFile], new: &[SourceFile]) -> Option<Option<usize>> {
    let same_file = |(a, b): (&SourceFile, &SourceFile)| a.name == b.name && a.namespace == b.namespace;
    if old.len() != new.len() || !old.iter().zip(new).all(same_file) {
        return None;
    }
    let mut changed = (0..new.len()).filter(|&i| old[i].text != new[i].text);
    let first = changed.next();
    changed.next().is_none().then_some(first)
}

/// The object of `old_files` that changed in `files`, read again: its index among the
/// kept objects and the object now, when one document of one file changed and it holds
/// one object before and after that parses without a diagnostic.
fn edited_object(kept: &Kept, old_files: &[SourceFile], files: &[SourceFile], f: usize) -> Option<(usize, RawObject)> {
    if !within_size_limits(files) {
        return None;
    }
    let edit = edited_document(&old_files[f], &files[f])?;
    if !edit.before.1.is_empty() || !edit.after.1.is_empty() {
        return None;
    }
    let [before] = <[RawObject; 1]>::try_from(edit.before.0).ok()?;
    let [after] = <[RawObject; 1]>::try_from(edit.after.0).ok()?;
    let mut same = (0..kept.objects.len()).filter(|&i| kept.objects[i].same_document(&before));
    let i = same.next()?;
    same.next().is_none().then_some((i, after))
}

/// The previous evaluation updated for `files`, when at most one NetworkPolicy changed and
/// only in ways the update handles, with the index of the file that changed; `None` when
/// it must be evaluated from scratch.
fn update(mut kept: Kept, old_files: &[SourceFile], files: &[SourceFile]) -> Option<(Evaluation, Kept, Option<usize>)> {
    if kept.updates >= UPDATES_BEFORE_REBUILD {
        return None;
    }
    let changed = changed_file(old_files, files)?;
    let edit = match changed {
        Some(f) => Some(edited_object(&kept, old_files, files, f)?),
        None => None,
    };
    let mut cluster = kept.scenario.cluster.clone();
    let mut reading = kept.reading.clone();
    let mut edited_policy = None;
    if let Some((i, obj)) = edit {
        let (policy, index, diagnostics) = reread_policy(&kept, &obj, i)?;
        let resource = obj.resource();
        reading.retain(|d| d.resource.as_deref() != Some(resource.as_str()));
        reading.extend(diagnostics);
        kept.checks.remove(&policy.namespace);
        cluster.policies[index] = policy;
        kept.checks
            .extend(check_by_namespace(&cluster, Some(&cluster.policies[index].namespace)));
        kept.objects[i] = Seen::of(&obj);
        edited_policy = Some(index);
    }
    let mut diagnostics = kept.before_reading.clone();
    diagnostics.extend(reading.iter().cloned());
    let scenario = Arc::new(Scenario {
        cluster,
        diagnostics,
        multicluster: None,
    });
    let engine = match edited_policy {
        Some(index) => kept
            .engine
            .resume(&kept.scenario.cluster)
            .update_policy(&scenario.cluster, index),
        // The same cluster.
        None => kept.engine.resume(&scenario.cluster),
    };
    let (lines, diagnostics, engine) = results(&scenario, engine, &kept.checks);
    let kept = Kept {
        scenario: scenario.clone(),
        reading,
        engine,
        updates: kept.updates + usize::from(edited_policy.is_some()),
        ..kept
    };
    let evaluation = Evaluation {
        scenario,
        lines,
        diagnostics,
        incremental: true,
    };
    Some((evaluation, kept, changed))
}

/// The kept object `i` read again as `obj`, when it is a NetworkPolicy (one of that name)
/// whose metadata and pod selectors are as before: the policy, its index in the model and
/// reading's diagnostics about it.
fn reread_policy(kept: &Kept, obj: &RawObject, i: usize) -> Option<(Policy, usize, Vec<Diagnostic>)> {
    let namespace = obj.namespace.as_deref().unwrap_or("default");
    let is_network_policy = obj.kind == "NetworkPolicy" && obj.group() == "networking.k8s.io";
    if !is_network_policy || !kept.objects[i].same_but_spec(obj) {
        return None;
    }
    // Another object of that kind and name (a duplicate, or another API's NetworkPolicy)
    // would share its resource name and its diagnostics. Its kind, name and namespace are
    // as before, so the kept objects tell.
    let same_name = kept
        .objects
        .iter()
        .filter(|o| {
            o.kind == obj.kind && o.name == obj.name && o.namespace.as_deref().unwrap_or("default") == namespace
        })
        .count();
    if same_name != 1 {
        return None;
    }
    // Reading a NetworkPolicy depends on nothing but the object.
    let (alone, diagnostics) = crate::read::build(vec![obj.clone()]).into_parts();
    let resource = obj.resource();
    let [mut policy] = <[Policy; 1]>::try_from(alone.policies).ok()?;
    if diagnostics
        .iter()
        .any(|d| d.resource.as_deref() != Some(resource.as_str()))
    {
        return None;
    }
    let mut same = kept.scenario.cluster.policies.iter().enumerate().filter(|(_, p)| {
        p.kind == PolicyKind::NetworkPolicy && p.namespace == policy.namespace && p.name == policy.name
    });
    let (index, old) = same.next()?;
    if same.next().is_some() {
        return None;
    }
    // Where the whole input places it: under Calico's order, in the default tier at
    // order 1000 (`read::calico::apply_cni`), which reading it alone cannot know.
    (policy.tier, policy.priority) = (old.tier, old.priority);
    // Pod selectors tell the pods of one owner apart (`read::owners`): with the same ones
    // the workloads are the same. Where a policy stands in evaluation order may depend on
    // the rest of the input (Calico places NetworkPolicies in its default tier): read
    // alone it must stand where it stood.
    if pod_selectors(old) != pod_selectors(&policy) || (old.tier, old.priority) != (policy.tier, policy.priority) {
        return None;
    }
    Some((policy, index, diagnostics))
}

/// Every pod selector of a policy: its own, and its peers' with their namespace selectors.
fn pod_selectors(p: &Policy) -> Vec<(Option<&Selector>, Option<&Selector>)> {
    let mut out = vec![(Some(&p.pod_selector), p.namespace_selector.as_ref())];
    for rule in p.ingress.iter().chain(&p.egress).flatten() {
        for peer in rule.peers.iter().flatten() {
            if let PeerKind::Pods { pods, namespaces } = &peer.kind {
                out.push((pods.as_ref(), namespaces.as_ref()));
            }
        }
    }
    out
}
