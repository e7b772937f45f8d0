//! `netplay apply`: what `kubectl apply --server-side` does, in install order, with a
//! summary per object, and ApplySet pruning (KEP-3659, as kubectl implements it).
//! docs/apply.md describes the behaviour; tests/apply.rs drives it against the loopback
//! API server of netplay-testkube.

use crate::cluster::{self, display_name, error_code, error_text, Cluster, Object, Phase, FIELD_MANAGER};
use crate::verbose;
use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::Discovery;
use kube::Api;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the user asked for.
pub struct ApplyArgs {
    pub paths: Vec<PathBuf>,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub dry_run: bool,
    pub force_conflicts: bool,
    pub prune: bool,
    pub applyset: Option<String>,
    pub yes: bool,
    pub crd_timeout: Duration,
}

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Configured,
    Unchanged,
    Pruned,
    /// Dry run only: the object's namespace or CRD is new in this run, so the server
    /// cannot check it before they exist.
    Unchecked(&'static str),
    Failed(String),
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
            Outcome::Pruned => "pruned",
            Outcome::Unchecked(_) => "unchecked",
            Outcome::Failed(_) => "failed",
        }
    }
}

struct Row {
    kind: String,
    namespace: Option<String>,
    name: String,
    outcome: Outcome,
}

/// The ApplySet labels and annotations (KEP-3659).
const PART_OF: &str = "applyset.kubernetes.io/part-of";
const ID_LABEL: &str = "applyset.kubernetes.io/id";
const TOOLING: &str = "applyset.kubernetes.io/tooling";
const CONTAINS_GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
const ADDITIONAL_NAMESPACES: &str = "applyset.kubernetes.io/additional-namespaces";

/// The ApplySet's id for a Secret parent: what kubectl computes, so both find the same set.
pub fn applyset_id(name: &str, namespace: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{name}.{namespace}.Secret.").as_bytes());
    format!(
        "applyset-{}-v1",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

pub fn run(args: ApplyArgs) -> Result<u8, String> {
    let files = cluster::read_input(&args.paths)?;
    let mut objects = cluster::objects(&files)?;
    if objects.is_empty() {
        return Err("the input holds no Kubernetes objects".to_string());
    }
    let rt = cluster::runtime()?;
    rt.block_on(async move {
        let cluster = cluster::connect(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
        if !args.dry_run {
            cluster::guard_production(&cluster.context, args.yes)?;
        }
        let discovery = cluster::discover(&cluster.client).await?;
        let applyset = if args.prune {
            let name = args
                .applyset
                .clone()
                .ok_or("--prune needs --applyset NAME (the parent Secret's name)")?;
            let namespace = args
                .namespace
                .clone()
                .unwrap_or_else(|| cluster.default_namespace.clone());
            let set = ApplySet::new(&name, &namespace);
            for o in &mut objects {
                o.value["metadata"]["labels"][PART_OF] = json!(set.id);
            }
            Some(set)
        } else {
            None
        };
        let mut done = Done {
            parent_written: applyset.is_none(),
            ..Done::default()
        };
        let run = Run {
            cluster: &cluster,
            objects: &objects,
            args: &args,
            applyset: applyset.as_ref(),
        };
        run.apply_in_order(discovery, &mut done).await?;
        if let Some(e) = &done.stopped {
            done.notes.push(format!(
                "{e}; nothing of the set was applied after that, so that no object carries the set's label \
                 while its parent does not list the object's kind"
            ));
        }
        let failed = done.stopped.is_some() || done.rows.iter().any(|r| matches!(r.outcome, Outcome::Failed(_)));
        let mut parent_failed = false;
        if let Some(set) = applyset.as_ref().filter(|_| done.stopped.is_none()) {
            if failed {
                done.notes
                    .push("nothing was pruned: some objects failed to apply".to_string());
            } else {
                parent_failed = run.prune_and_finish(set, &mut done).await?;
            }
        }
        crate::print(&summary(&done.rows, args.dry_run, &done.notes));
        Ok(u8::from(failed || parent_failed))
    })
}

/// What a run needs to know.
struct Run<'a> {
    cluster: &'a Cluster,
    objects: &'a [Object],
    args: &'a ApplyArgs,
    applyset: Option<&'a ApplySet>,
}

/// What a run has done so far.
#[derive(Default)]
struct Done {
    rows: Vec<Row>,
    /// The objects applied, which prune keeps.
    applied: BTreeSet<Key>,
    notes: Vec<String>,
    parent_written: bool,
    /// What the parent listed before this run: the kinds and namespaces to prune in.
    previous: Previous,
    /// Why nothing more of the set may be applied: its parent could not be written.
    stopped: Option<String>,
}

impl Run<'_> {
    /// Applies every object, phase by phase. KEP-3659's order: the ApplySet parent lists
    /// the set's kinds before anything of the set is labelled. When the parent's namespace
    /// does not exist yet, that namespace (never pruned) comes first and the parent right
    /// after the namespaces and CRDs. When the parent cannot be written, nothing more is
    /// applied: no object may carry the set's label while the parent does not list its kind.
    async fn apply_in_order(&self, mut discovery: Discovery, done: &mut Done) -> Result<(), String> {
        let (cluster, args) = (self.cluster, self.args);
        let crd_names: Vec<String> = self
            .objects
            .iter()
            .filter(|o| o.gvk.kind == "CustomResourceDefinition")
            .map(|o| o.name.clone())
            .collect();
        if let Some(set) = self.applyset {
            if namespace_exists(cluster, &set.namespace).await {
                self.write_parent_first(done).await;
            }
        }
        for phase in [
            Phase::Foundations,
            Phase::NetworkPolicies,
            Phase::Rest,
            Phase::CustomResources,
        ] {
            let batch: Vec<&Object> = self
                .objects
                .iter()
                .filter(|o| cluster::install_order(o).0 == phase)
                .collect();
            if batch.is_empty() {
                continue;
            }
            if phase > Phase::Foundations {
                self.write_parent_first(done).await;
            }
            if done.stopped.is_some() {
                done.rows.extend(batch.iter().map(|o| not_applied(o)));
                continue;
            }
            if phase == Phase::CustomResources && !crd_names.is_empty() && !args.dry_run {
                discovery = cluster::discover(&cluster.client).await?;
            }
            let bar = progress(phase.title(), batch.len());
            for o in batch {
                if args.dry_run {
                    if let Some(row) = unchecked(o, self.objects, &done.rows) {
                        done.rows.push(row);
                        bar.inc(1);
                        continue;
                    }
                }
                let (row, key) = apply_one(cluster, &discovery, o, args).await;
                if let Some(key) = key {
                    done.applied.insert(key);
                }
                done.rows.push(row);
                bar.inc(1);
            }
            bar.finish_and_clear();
            if phase == Phase::Foundations && !crd_names.is_empty() && !args.dry_run {
                wait_established(cluster, &discovery, &crd_names, args.crd_timeout, &mut done.rows).await;
            }
        }
        self.write_parent_first(done).await;
        Ok(())
    }

    /// Writes the parent with the union of old and new kinds, unless done already.
    async fn write_parent_first(&self, done: &mut Done) {
        if done.parent_written || done.stopped.is_some() {
            return;
        }
        done.parent_written = true;
        match write_parent(self.cluster, self.applyset, self.objects, self.args, &mut done.notes).await {
            Ok(previous) => done.previous = previous,
            Err(e) => done.stopped = Some(e),
        }
    }

    /// Prunes what left the set, then sets the parent to exactly this run's kinds and
    /// namespaces; `Ok(true)` when that last write failed (the parent keeps the union).
    async fn prune_and_finish(&self, set: &ApplySet, done: &mut Done) -> Result<bool, String> {
        let discovery = cluster::discover(&self.cluster.client).await?;
        set.prune(
            self.cluster,
            &discovery,
            &done.previous,
            self.objects,
            &done.applied,
            self.args.dry_run,
            &mut done.rows,
        )
        .await;
        let written = set
            .update_parent(
                self.cluster,
                self.objects,
                self.args.namespace.as_deref(),
                false,
                self.args.dry_run,
            )
            .await;
        match written {
            Err(e) if self.args.dry_run => done.notes.push(e),
            Err(e) => {
                done.notes.push(format!(
                    "{e}; it still lists the kinds and namespaces of before this run as well, \
                     so the next run prunes what this one did not"
                ));
                return Ok(true);
            }
            Ok(_) => {}
        }
        Ok(false)
    }
}

/// The row of an object not applied because the ApplySet parent could not be written.
fn not_applied(o: &Object) -> Row {
    Row {
        kind: o.gvk.kind.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        outcome: Outcome::Failed("not applied: the ApplySet parent could not be written (see the note)".to_string()),
    }
}

/// Whether a namespace exists (a namespace that cannot be read counts as missing).
async fn namespace_exists(cluster: &Cluster, name: &str) -> bool {
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(cluster.client.clone());
    matches!(api.get_opt(name).await, Ok(Some(_)))
}

/// Records the superset of old and new group-kinds on the ApplySet parent before anything
/// prunable is applied, so that an interrupted run still prunes what it may have left.
/// This happens after the namespaces (never pruned) so that the parent's own namespace
/// can come with the bundle. In a dry run a parent that cannot be written is a note.
async fn write_parent(
    cluster: &Cluster,
    applyset: Option<&ApplySet>,
    objects: &[Object],
    args: &ApplyArgs,
    notes: &mut Vec<String>,
) -> Result<Previous, String> {
    let Some(set) = applyset else {
        return Ok(Previous::default());
    };
    match set
        .update_parent(cluster, objects, args.namespace.as_deref(), true, args.dry_run)
        .await
    {
        Err(e) if args.dry_run => {
            notes.push(e);
            Ok(Previous::default())
        }
        other => other,
    }
}

/// The group-kinds and additional namespaces an ApplySet parent listed before this run.
#[derive(Default)]
struct Previous {
    kinds: BTreeSet<String>,
    namespaces: BTreeSet<String>,
}

/// In a dry run, an object whose namespace or CRD the same run would create cannot be
/// checked by the server (neither exists yet): it is reported as unchecked, not failed.
fn unchecked(o: &Object, objects: &[Object], rows: &[Row]) -> Option<Row> {
    let created = |kind: &str, name: &str| {
        rows.iter()
            .any(|r| r.kind == kind && r.name == name && r.outcome == Outcome::Created)
    };
    let new_namespace = o.namespace.as_deref().is_some_and(|ns| created("Namespace", ns));
    let new_crd = objects.iter().any(|crd| {
        crd.gvk.kind == "CustomResourceDefinition"
            && crd.value["spec"]["group"] == o.gvk.group.as_str()
            && crd.value["spec"]["names"]["kind"] == o.gvk.kind.as_str()
            && created("CustomResourceDefinition", &crd.name)
    });
    let why = match (new_crd, new_namespace) {
        (true, _) => "its CRD is new",
        (false, true) => "its namespace is new",
        (false, false) => return None,
    };
    Some(Row {
        kind: o.gvk.kind.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        outcome: Outcome::Unchecked(why),
    })
}

/// A progress bar on stderr (drawn only on a terminal).
fn progress(title: &str, len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg:24} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(title.to_string());
    bar
}

/// `(group, kind, namespace, name)` of an applied object, to tell prune what to keep.
type Key = (String, String, String, String);

/// Applies one object; the row for the summary and, when it was applied, its key.
async fn apply_one(cluster: &Cluster, discovery: &Discovery, o: &Object, args: &ApplyArgs) -> (Row, Option<Key>) {
    let mut row = Row {
        kind: o.gvk.kind.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        outcome: Outcome::Unchanged,
    };
    let (api, _, ns) = match cluster::api_for(cluster, discovery, o, args.namespace.as_deref()) {
        Ok(found) => found,
        Err(e) => {
            row.outcome = Outcome::Failed(e);
            return (row, None);
        }
    };
    row.namespace = ns.clone();
    verbose::log(
        4,
        &format!(
            "{}: applying {}",
            o.loc,
            display_name(&o.gvk.kind, ns.as_deref(), &o.name)
        ),
    );
    let params = PatchParams {
        dry_run: args.dry_run,
        force: args.force_conflicts,
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    let before = match api.get_opt(&o.name).await {
        Ok(b) => b,
        Err(e) => {
            row.outcome = Outcome::Failed(error_text(&e));
            return (row, None);
        }
    };
    let mut value = o.value.clone();
    if let Some(ns) = &ns {
        value["metadata"]["namespace"] = json!(ns);
    }
    match api.patch(&o.name, &params, &Patch::Apply(&value)).await {
        Ok(after) => {
            row.outcome = match before {
                None => Outcome::Created,
                Some(before) if comparable(&before) == comparable(&after) => Outcome::Unchanged,
                Some(_) => Outcome::Configured,
            };
            let key = (
                o.gvk.group.clone(),
                o.gvk.kind.clone(),
                ns.unwrap_or_default(),
                o.name.clone(),
            );
            (row, Some(key))
        }
        Err(e) if error_code(&e) == Some(409) && error_text(&e).starts_with("Apply failed with") => {
            row.outcome = Outcome::Failed(format!(
                "{}. These fields belong to another field manager: remove them from the bundle to leave \
                 them to it, or rerun with --force-conflicts to take them over",
                error_text(&e).trim_end_matches('.')
            ));
            (row, None)
        }
        Err(e) => {
            row.outcome = Outcome::Failed(error_text(&e));
            (row, None)
        }
    }
}

/// An object without what changes on every write, to tell "unchanged" from "configured":
/// managedFields, resourceVersion, generation, and the status (controllers write it,
/// apply does not, and it may move between netplay's read and its apply).
pub fn comparable(o: &DynamicObject) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or_default();
    if let Some(top) = v.as_object_mut() {
        top.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for volatile in ["managedFields", "resourceVersion", "generation"] {
            meta.remove(volatile);
        }
    }
    v
}

/// Waits until every CRD of the bundle is Established; a CRD that is not by the deadline
/// is marked failed (its custom resources then fail too: the server does not serve them).
async fn wait_established(
    cluster: &Cluster,
    discovery: &Discovery,
    names: &[String],
    timeout: Duration,
    rows: &mut [Row],
) {
    let gvk = GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition");
    let Some((resource, _)) = discovery.resolve_gvk(&gvk) else {
        return;
    };
    let api: Api<DynamicObject> = Api::all_with(cluster.client.clone(), &resource);
    let deadline = Instant::now() + timeout;
    let bar = progress("waiting for CRDs", names.len());
    for name in names {
        if rows
            .iter()
            .any(|r| r.kind == "CustomResourceDefinition" && &r.name == name && matches!(r.outcome, Outcome::Failed(_)))
        {
            bar.inc(1);
            continue;
        }
        loop {
            let established = match api.get_opt(name).await {
                Ok(Some(crd)) => crd.data["status"]["conditions"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Established" && c["status"] == "True")),
                _ => false,
            };
            if established {
                break;
            }
            if Instant::now() >= deadline {
                if let Some(row) = rows
                    .iter_mut()
                    .find(|r| r.kind == "CustomResourceDefinition" && &r.name == name)
                {
                    row.outcome = Outcome::Failed(format!(
                        "not Established after {:.1}s (--crd-timeout); its custom resources cannot be applied yet",
                        timeout.as_secs_f64()
                    ));
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(50).min(timeout)).await;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
}

/// The summary table, then the failure messages and notes, then the counts.
fn summary(rows: &[Row], dry_run: bool, notes: &[String]) -> String {
    let header = ["KIND", "NAMESPACE", "NAME", "RESULT"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.kind.clone(),
                r.namespace.clone().unwrap_or_default(),
                r.name.clone(),
                r.outcome.word().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cols: [&str; 4]| {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(widths).enumerate() {
            if i == 3 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:w$}  "));
            }
        }
        s.push('\n');
        s
    };
    let mut out = String::new();
    if dry_run {
        out.push_str("server dry run: nothing was changed\n");
    }
    out.push_str(&line(header));
    for row in &cells {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
    }
    for r in rows {
        if let Outcome::Failed(msg) = &r.outcome {
            out.push_str(&format!(
                "failed: {}: {msg}\n",
                display_name(&r.kind, r.namespace.as_deref(), &r.name)
            ));
        }
    }
    for r in rows {
        if let Outcome::Unchecked(why) = &r.outcome {
            out.push_str(&format!(
                "unchecked: {}: {why}, so the server cannot dry-run it before the real apply creates it\n",
                display_name(&r.kind, r.namespace.as_deref(), &r.name)
            ));
        }
    }
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    let count = |word: &str| rows.iter().filter(|r| r.outcome.word() == word).count();
    out.push_str(&format!(
        "{} created, {} configured, {} unchanged, {} pruned, {} failed\n",
        count("created"),
        count("configured"),
        count("unchanged"),
        count("pruned"),
        count("failed")
    ));
    if count("unchecked") > 0 {
        out.pop();
        out.push_str(&format!(", {} unchecked\n", count("unchecked")));
    }
    out
}

/// An ApplySet with a Secret parent.
struct ApplySet {
    name: String,
    namespace: String,
    id: String,
}

impl ApplySet {
    fn new(name: &str, namespace: &str) -> ApplySet {
        ApplySet {
            name: name.to_string(),
            namespace: namespace.to_string(),
            id: applyset_id(name, namespace),
        }
    }

    fn parent_api(&self, cluster: &Cluster) -> Api<DynamicObject> {
        let resource =
            kube::api::ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Secret"), "secrets");
        Api::namespaced_with(cluster.client.clone(), &self.namespace, &resource)
    }

    /// Writes the parent: the id label, the tooling, the group-kinds and the namespaces
    /// other than its own. With `superset`, the kinds and namespaces the parent lists
    /// already are kept (before applying); without, they are exactly the bundle's.
    async fn update_parent(
        &self,
        cluster: &Cluster,
        objects: &[Object],
        namespace_flag: Option<&str>,
        superset: bool,
        dry_run: bool,
    ) -> Result<Previous, String> {
        let api = self.parent_api(cluster);
        let live = api.get_opt(&self.name).await.map_err(|e| {
            format!(
                "ApplySet parent Secret {}/{}: {}",
                self.namespace,
                self.name,
                error_text(&e)
            )
        })?;
        let annotation = |key: &str| -> BTreeSet<String> {
            live.as_ref()
                .and_then(|p| p.metadata.annotations.as_ref())
                .and_then(|a| a.get(key))
                .map(|v| v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default()
        };
        if let Some(parent) = &live {
            let labels = parent.metadata.labels.clone().unwrap_or_default();
            if labels.get(ID_LABEL).is_some_and(|id| *id != self.id) {
                return Err(format!(
                    "Secret {}/{} is the parent of another ApplySet (its id label differs)",
                    self.namespace, self.name
                ));
            }
            let tooling = annotation(TOOLING).into_iter().next().unwrap_or_default();
            if !tooling.is_empty() && !tooling.starts_with("kubectl/") && !tooling.starts_with("netplay/") {
                return Err(format!(
                    "the ApplySet {}/{} is managed by {tooling:?}; netplay manages sets made by netplay or kubectl",
                    self.namespace, self.name
                ));
            }
        }
        // A set kubectl made keeps kubectl's tooling, so that kubectl goes on managing it
        // (kubectl refuses a parent whose tooling names another tool).
        let tooling = annotation(TOOLING)
            .into_iter()
            .next()
            .filter(|t| t.starts_with("kubectl/"))
            .unwrap_or_else(|| format!("netplay/{}", env!("CARGO_PKG_VERSION")));
        let previous = Previous {
            kinds: annotation(CONTAINS_GROUP_KINDS),
            namespaces: annotation(ADDITIONAL_NAMESPACES),
        };
        let mut kinds: BTreeSet<String> = objects.iter().map(Object::group_kind).collect();
        let mut namespaces: BTreeSet<String> = objects
            .iter()
            .filter_map(|o| o.namespace.clone().or_else(|| namespace_flag.map(str::to_string)))
            .filter(|ns| *ns != self.namespace)
            .collect();
        if superset {
            kinds.extend(previous.kinds.iter().cloned());
            namespaces.extend(previous.namespaces.iter().cloned());
        }
        let join = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>().join(",");
        let parent = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": { ID_LABEL: self.id },
                "annotations": {
                    TOOLING: tooling,
                    CONTAINS_GROUP_KINDS: join(kinds),
                    ADDITIONAL_NAMESPACES: join(namespaces),
                }
            }
        });
        let params = PatchParams {
            dry_run,
            force: true,
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        api.patch(&self.name, &params, &Patch::Apply(&parent))
            .await
            .map_err(|e| {
                format!(
                    "cannot write the ApplySet parent Secret {}/{}: {}",
                    self.namespace,
                    self.name,
                    error_text(&e)
                )
            })?;
        Ok(previous)
    }

    /// Deletes the members of the set that this run did not apply. As kubectl does, it
    /// looks in the group-kinds the parent listed before this run (a kind new in this run
    /// has no members left from before) and in the parent's namespace, the namespaces
    /// listed before and this run's. Namespaces and CRDs are never pruned.
    #[allow(clippy::too_many_arguments)]
    async fn prune(
        &self,
        cluster: &Cluster,
        discovery: &Discovery,
        previous: &Previous,
        objects: &[Object],
        applied: &BTreeSet<Key>,
        dry_run: bool,
        rows: &mut Vec<Row>,
    ) {
        let mut namespaces: BTreeSet<String> = previous.namespaces.clone();
        namespaces.insert(self.namespace.clone());
        namespaces.extend(objects.iter().filter_map(|o| o.namespace.clone()));
        let selector = ListParams::default().labels(&format!("{PART_OF}={}", self.id));
        for group_kind in &previous.kinds {
            let (kind, group) = group_kind.split_once('.').unwrap_or((group_kind, ""));
            if (kind == "Namespace" && group.is_empty()) || kind == "CustomResourceDefinition" {
                continue;
            }
            let Some((resource, caps)) = discovery
                .groups()
                .filter(|g| g.name() == group)
                .flat_map(|g| g.recommended_resources())
                .find(|(r, _)| r.kind == kind)
            else {
                continue;
            };
            let apis: Vec<(Api<DynamicObject>, String)> = if caps.scope == kube::discovery::Scope::Cluster {
                vec![(Api::all_with(cluster.client.clone(), &resource), String::new())]
            } else {
                namespaces
                    .iter()
                    .map(|ns| (Api::namespaced_with(cluster.client.clone(), ns, &resource), ns.clone()))
                    .collect()
            };
            for (api, ns) in apis {
                let Ok(items) = api.list(&selector).await else { continue };
                for item in items {
                    let name = item.metadata.name.clone().unwrap_or_default();
                    let key = (group.to_string(), kind.to_string(), ns.clone(), name.clone());
                    if applied.contains(&key) {
                        continue;
                    }
                    let params = DeleteParams {
                        dry_run,
                        ..DeleteParams::background()
                    };
                    let outcome = match api.delete(&name, &params).await {
                        Ok(_) => Outcome::Pruned,
                        Err(e) => Outcome::Failed(format!("cannot prune: {}", error_text(&e))),
                    };
                    rows.push(Row {
                        kind: kind.to_string(),
                        namespace: (!ns.is_empty()).then_some(ns.clone()),
                        name,
                        outcome,
                    });
                }
            }
        }
    }
}
