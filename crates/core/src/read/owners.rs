//! From pods and workload objects to the workloads users see: which controller a Pod is
//! folded into, and what happens when the pods of one controller differ in labels.
//!
//! The rules (docs/semantics.md, "Endpoint names"):
//! - A Pod (or ReplicaSet, Job, …) whose `ownerReferences` name a controller
//!   (`controller: true`) is shown as that controller, following the chain through
//!   controllers that are in the input (Pod → ReplicaSet → Deployment, Pod → Job →
//!   CronJob, Pod → ReplicaSet → Argo `Rollout`): every controller kind folds, built-in or
//!   custom, except `Node` — static and mirror pods (`etcd-minikube`, `kube-apiserver-…`)
//!   are owned by their Node, which runs them but is no workload, so each stays a Pod.
//!   References without `controller: true` never fold.
//! - A controller reference without `kind` still folds the pods that name the same owner;
//!   the owner is shown as `ns/owner[Pod]` (the kind is unknown) and NP0020 says the
//!   reference is incomplete. When exactly one workload object of that name is in the
//!   namespace, the reference means it.
//! - The running pods describe a workload when the input has them; otherwise its own pod
//!   template does (or, for an owner that is not in the input, the templates of the
//!   objects it owns).
//! - Pods of one owner that differ in labels stay one workload while no selector of the
//!   input (NetworkPolicy pod selectors and peers, Service selectors, Istio and admin
//!   policy selectors) can tell them apart: StatefulSet pods always differ in
//!   `statefulset.kubernetes.io/pod-name`, the ReplicaSets of a Deployment in
//!   `pod-template-hash`, and that alone never splits them. When a selector matches some of
//!   them and not others, the owner becomes one workload per combination of the labels
//!   such selectors use (`db/postgres{role=primary}[StatefulSet]`), and NP0021 says so.
//!   Nothing depends on the order of the input.

use crate::diagnostics::{Diagnostic, Location};
use crate::model::{ContainerPort, Labels, Namespace, Workload};
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::policy::{Operator, Requirement, Selector};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a pod template (or a Pod) says about its pods.
#[derive(Clone, Debug)]
pub(crate) struct PodInfo {
    pub labels: Labels,
    pub annotations: Labels,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    /// `spec.nodeName` and, for a host-network Pod, `status.hostIP` (its address).
    pub node: Option<String>,
    pub node_address: Option<std::net::IpAddr>,
    pub service_account: Option<String>,
}

/// The controller named by an object's `ownerReferences`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OwnerRef {
    /// `None` when the reference has no kind.
    pub kind: Option<String>,
    pub name: String,
    /// Where the reference is.
    pub loc: Location,
}

/// A Pod or a workload object, before folding.
pub(crate) struct Candidate {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub owner: Option<OwnerRef>,
    pub info: PodInfo,
    pub loc: Location,
}

/// The controller a Pod or workload object is folded into, read leniently: the first
/// reference with `controller: true` and a name; `None` for a Node (static and mirror
/// pods) and when no reference is a controller.
pub(crate) fn controller_owner(obj: &RawObject) -> Option<OwnerRef> {
    let refs = obj.value.get("metadata")?.get("ownerReferences")?.as_array()?;
    let (i, r) = refs
        .iter()
        .enumerate()
        .find(|(_, r)| r.get("controller").and_then(Value::as_bool) == Some(true))?;
    let name = r.get("name").and_then(Value::as_str).filter(|n| !n.is_empty())?;
    let kind = r.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty());
    if kind == Some("Node") {
        return None;
    }
    let path = [
        PathSeg::key("metadata"),
        PathSeg::key("ownerReferences"),
        PathSeg::Index(i),
    ];
    Some(OwnerRef {
        kind: kind.map(str::to_string),
        name: name.to_string(),
        loc: obj.locate(&path),
    })
}

/// Which namespaces a selector looks at pods in.
#[derive(Clone, Debug)]
pub(crate) enum Scope {
    Namespace(String),
    /// Namespaces whose labels the selector matches.
    Namespaces(Selector),
    All,
}

/// A pod selector of the input, with where it applies.
#[derive(Clone, Debug)]
pub(crate) struct ScopedSelector {
    pub selector: Selector,
    pub scope: Scope,
}

impl ScopedSelector {
    fn applies_in(&self, namespace: &Namespace) -> bool {
        match &self.scope {
            Scope::Namespace(n) => *n == namespace.name,
            Scope::Namespaces(sel) => sel.matches(&namespace.labels),
            Scope::All => true,
        }
    }
}

/// The pod selectors of objects that are not NetworkPolicies or Services (read from the
/// model): Istio and Gateway objects (`selector`, `workloadSelector`, `sourceLabels`,
/// DestinationRule subset `labels`) and the admin policy kinds, read leniently from the
/// raw object. They apply in every namespace: telling pods apart where no such object
/// looks costs a needless split at worst, never a wrong verdict.
pub(crate) fn raw_selectors(obj: &RawObject, out: &mut Vec<ScopedSelector>) {
    if let Some(spec) = obj.value.get("spec") {
        walk(spec, None, out);
    }
}

fn walk(value: &Value, key: Option<&str>, out: &mut Vec<ScopedSelector>) {
    match value {
        Value::Object(map) => {
            // Namespace selectors select namespaces, not pods.
            if matches!(key, Some("namespaceSelector" | "namespaces")) {
                return;
            }
            let flat = |m: &serde_json::Map<String, Value>| -> Option<Selector> {
                let labels: Option<Vec<(String, String)>> = m
                    .iter()
                    .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect();
                labels.map(|match_labels| Selector {
                    match_labels,
                    requirements: Vec::new(),
                })
            };
            let is_selector = map.contains_key("matchLabels") || map.contains_key("matchExpressions");
            if is_selector {
                out.push(ScopedSelector {
                    selector: label_selector(map),
                    scope: Scope::All,
                });
            } else if matches!(key, Some("selector" | "labels" | "sourceLabels")) && !map.is_empty() {
                if let Some(selector) = flat(map) {
                    out.push(ScopedSelector {
                        selector,
                        scope: Scope::All,
                    });
                    return;
                }
            }
            for (k, v) in map {
                walk(v, Some(k), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, key, out)),
        _ => {}
    }
}

/// A `LabelSelector` read leniently (unknown operators never match).
fn label_selector(map: &serde_json::Map<String, Value>) -> Selector {
    let match_labels = map
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let requirements = map
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(|exprs| {
            exprs
                .iter()
                .filter_map(|e| {
                    let key = e.get("key")?.as_str()?.to_string();
                    let operator = match e.get("operator")?.as_str()? {
                        "In" => Operator::In,
                        "NotIn" => Operator::NotIn,
                        "Exists" => Operator::Exists,
                        "DoesNotExist" => Operator::DoesNotExist,
                        _ => Operator::In,
                    };
                    let values = e
                        .get("values")
                        .and_then(Value::as_array)
                        .map(|v| v.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                        .unwrap_or_default();
                    Some(Requirement { key, operator, values })
                })
                .collect()
        })
        .unwrap_or_default();
    Selector {
        match_labels,
        requirements,
    }
}

fn selector_keys(s: &Selector) -> impl Iterator<Item = &str> {
    s.match_labels
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(s.requirements.iter().map(|r| r.key.as_str()))
}

/// One endpoint while folding: the objects that fold into it.
#[derive(Default)]
struct Endpoint {
    pods: Vec<usize>,
    /// The endpoint's own object, when it is in the input.
    own: Option<usize>,
    /// Other objects folded into it (the ReplicaSets of a Deployment, …).
    owned: Vec<usize>,
    /// References without kind that led here.
    kindless: Vec<usize>,
}

/// Where following the owner chain of a candidate ends: the endpoint's kind and name,
/// and whether the candidate is the endpoint itself.
fn endpoint_of(
    candidates: &[Candidate],
    index: &HashMap<(&str, &str, &str), usize>,
    by_name: &HashMap<(&str, &str), Vec<usize>>,
    i: usize,
) -> (String, String, bool, bool) {
    let mut cur = i;
    let mut kindless = false;
    for _ in 0..16 {
        let c = &candidates[cur];
        let Some(owner) = &c.owner else {
            return (c.kind.clone(), c.name.clone(), cur == i, kindless);
        };
        let ns = c.namespace.as_str();
        let found = match &owner.kind {
            Some(kind) => index.get(&(ns, kind.as_str(), owner.name.as_str())).copied(),
            None => {
                kindless = true;
                // Without a kind, the one workload object of that name (not a Pod) is meant.
                match by_name.get(&(ns, owner.name.as_str())).map(Vec::as_slice) {
                    Some([only]) => Some(*only),
                    _ => None,
                }
            }
        };
        match found {
            Some(next) if next != cur => cur = next,
            _ => {
                let kind = owner.kind.clone().unwrap_or_else(|| "Pod".to_string());
                return (kind, owner.name.clone(), false, kindless);
            }
        }
    }
    // An ownership cycle: the object stands for itself.
    let c = &candidates[i];
    (c.kind.clone(), c.name.clone(), true, kindless)
}

/// Folds candidates into workloads (sorted by endpoint name), splitting owners whose pods
/// the `selectors` tell apart. Returns the workloads and the notes about folding.
pub(crate) fn fold(
    candidates: &[Candidate],
    selectors: &[ScopedSelector],
    namespaces: &[Namespace],
) -> (Vec<Workload>, Vec<Diagnostic>) {
    let index: HashMap<(&str, &str, &str), usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.namespace.as_str(), c.kind.as_str(), c.name.as_str()), i))
        .collect();
    let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate().filter(|(_, c)| c.kind != "Pod") {
        by_name
            .entry((c.namespace.as_str(), c.name.as_str()))
            .or_default()
            .push(i);
    }
    let mut endpoints: BTreeMap<(String, String, String), Endpoint> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let (kind, name, is_self, kindless) = endpoint_of(candidates, &index, &by_name, i);
        let e = endpoints.entry((c.namespace.clone(), name, kind)).or_default();
        if c.kind == "Pod" {
            e.pods.push(i);
        } else if is_self {
            e.own = Some(i);
        } else {
            e.owned.push(i);
        }
        if kindless {
            e.kindless.push(i);
        }
    }
    let ns_index: HashMap<&str, &Namespace> = namespaces.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut relevant: HashMap<String, Vec<&Selector>> = HashMap::new();
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for ((namespace, name, kind), e) in endpoints {
        let members: Vec<usize> = if !e.pods.is_empty() {
            e.pods.clone()
        } else if let Some(own) = e.own {
            vec![own]
        } else {
            e.owned.clone()
        };
        if !e.kindless.is_empty() {
            diags.push(kindless_note(candidates, &e.kindless, &namespace, &name));
        }
        // The selectors of a namespace are gathered only for an owner whose pods differ:
        // checking every selector of the input against every namespace cost a tenth of
        // reading 20,000 workloads of one pod template each.
        let groups = split(candidates, &members, || {
            relevant.entry(namespace.clone()).or_insert_with(|| {
                let ns = ns_index.get(namespace.as_str());
                selectors
                    .iter()
                    .filter(|s| ns.is_some_and(|n| s.applies_in(n)))
                    .map(|s| &s.selector)
                    .collect()
            })
        });
        let single = groups.len() == 1;
        let mut names = Vec::new();
        for (desc, group) in &groups {
            let rep = representative(candidates, group);
            let shown = if single {
                name.clone()
            } else {
                format!("{name}{{{desc}}}")
            };
            let loc = match (single, e.own) {
                (true, Some(own)) => candidates[own].loc.clone(),
                _ => candidates[rep].loc.clone(),
            };
            let w = workload(candidates, group, rep, &namespace, shown, &kind, loc);
            names.push(w.endpoint_name());
            out.push(w);
        }
        if !single {
            diags.push(split_note(
                candidates, &members, &e, &namespace, &name, &kind, &groups, &names,
            ));
        }
    }
    crate::sorting::sort_by_key(&mut out, |w| w.endpoint_name());
    (out, diags)
}

/// The member that stands for a group: the first by name (order-independent).
fn representative(candidates: &[Candidate], group: &[usize]) -> usize {
    group
        .iter()
        .copied()
        .min_by(|&a, &b| (&candidates[a].name, &candidates[a].kind).cmp(&(&candidates[b].name, &candidates[b].kind)))
        .unwrap_or(0)
}

/// Splits the members of one owner into the groups the selectors can tell apart: by the
/// labels that decide some selector differently among them. Each group comes with its
/// description in kubectl's selector syntax (`role=primary,!canary`); one group with an
/// empty description when nothing tells them apart.
fn split<'s>(
    candidates: &[Candidate],
    members: &[usize],
    selectors: impl FnOnce() -> &'s [&'s Selector],
) -> Vec<(String, Vec<usize>)> {
    let distinct: BTreeSet<&Labels> = members.iter().map(|&m| &candidates[m].info.labels).collect();
    if distinct.len() < 2 {
        return vec![(String::new(), members.to_vec())];
    }
    let selectors = selectors();
    let differs = |key: &str| {
        let mut values = distinct.iter().map(|l| l.get(key));
        let first = values.next().flatten();
        values.any(|v| v != first)
    };
    let mut deciding: BTreeSet<&str> = BTreeSet::new();
    for s in selectors {
        let mut results = distinct.iter().map(|l| s.matches(l));
        let first = results.next();
        if results.any(|r| Some(r) != first) {
            deciding.extend(selector_keys(s).filter(|k| differs(k)));
        }
    }
    if deciding.is_empty() {
        return vec![(String::new(), members.to_vec())];
    }
    let mut groups: BTreeMap<Vec<Option<&str>>, Vec<usize>> = BTreeMap::new();
    for &m in members {
        let labels = &candidates[m].info.labels;
        let key: Vec<Option<&str>> = deciding.iter().map(|k| labels.get(*k).map(String::as_str)).collect();
        groups.entry(key).or_default().push(m);
    }
    groups
        .into_iter()
        .map(|(values, group)| {
            let desc: Vec<String> = deciding
                .iter()
                .zip(values)
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v}"),
                    None => format!("!{k}"),
                })
                .collect();
            (desc.join(","), group)
        })
        .collect()
}

/// The workload of one group: the representative's labels (every selector of the input
/// treats all pods of the group alike, so any member gives the same verdicts), the
/// container ports of every member, host networking when any member has it.
fn workload(
    candidates: &[Candidate],
    group: &[usize],
    rep: usize,
    namespace: &str,
    name: String,
    kind: &str,
    loc: Location,
) -> Workload {
    let info = &candidates[rep].info;
    let mut ports: Vec<ContainerPort> = group
        .iter()
        .flat_map(|&m| candidates[m].info.ports.iter().cloned())
        .collect();
    crate::sorting::sort(&mut ports);
    ports.dedup();
    Workload {
        namespace: namespace.to_string(),
        name,
        kind: kind.to_string(),
        labels: info.labels.clone(),
        annotations: info.annotations.clone(),
        ports,
        host_network: group.iter().any(|&m| candidates[m].info.host_network),
        node: common(group.iter().map(|&m| candidates[m].info.node.clone())),
        node_address: common(group.iter().map(|&m| candidates[m].info.node_address)),
        service_account: info.service_account.clone(),
        loc,
    }
}

/// The value every member has, `None` when they differ or one has none.
fn common<T: PartialEq>(mut values: impl Iterator<Item = Option<T>>) -> Option<T> {
    let first = values.next()??;
    values.all(|v| v.as_ref() == Some(&first)).then_some(first)
}

fn kindless_note(candidates: &[Candidate], kindless: &[usize], namespace: &str, owner: &str) -> Diagnostic {
    let first = representative(candidates, kindless);
    let c = &candidates[first];
    let noun = if kindless.iter().all(|&i| candidates[i].kind == "Pod") {
        "pod"
    } else {
        "object"
    };
    let others = match kindless.len() - 1 {
        0 => String::new(),
        1 => format!(" (and 1 more {noun})"),
        n => format!(" (and {n} more {noun}s)"),
    };
    let loc = c.owner.as_ref().map_or(&c.loc, |o| &o.loc);
    Diagnostic::new(
        "NP0020",
        format!(
            "the controller ownerReference of {} {namespace}/{}{others} names {owner} without a kind: the pods naming it are folded into one workload, shown as {namespace}/{owner}[Pod] unless the input has exactly one workload of that name",
            c.kind, c.name
        ),
    )
    .at(loc)
    .resource(format!("{} {namespace}/{}", c.kind, c.name))
    .help("an ownerReference needs apiVersion, kind, name, uid; with `kind` the owner is shown as what it is")
}

#[allow(clippy::too_many_arguments)]
fn split_note(
    candidates: &[Candidate],
    members: &[usize],
    e: &Endpoint,
    namespace: &str,
    name: &str,
    kind: &str,
    groups: &[(String, Vec<usize>)],
    names: &[String],
) -> Diagnostic {
    let keys: BTreeSet<&str> = groups
        .iter()
        .flat_map(|(d, _)| d.split(','))
        .map(|part| part.trim_start_matches('!').split('=').next().unwrap_or(part))
        .collect();
    let keys: Vec<&str> = keys.into_iter().collect();
    let what = if e.pods.is_empty() { "objects" } else { "pods" };
    let loc = e
        .own
        .map(|o| &candidates[o].loc)
        .unwrap_or_else(|| &candidates[representative(candidates, members)].loc);
    Diagnostic::new(
        "NP0021",
        format!(
            "the {} {what} of {kind} {namespace}/{name} differ in {} ({}), which selectors of the input tell apart: shown as {} workloads, {}",
            members.len(),
            if keys.len() == 1 { "label" } else { "labels" },
            keys.join(", "),
            groups.len(),
            names.join(", ")
        ),
    )
    .at(loc)
    .resource(format!("{kind} {namespace}/{name}"))
}
