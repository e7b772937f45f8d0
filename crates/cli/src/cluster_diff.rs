//! `netplay diff` against a live cluster, in one of two ways the user names:
//!
//! - `diff NEW --context C` (or `--kubeconfig`, `--live`): the *connections* of the
//!   cluster, then of the cluster with NEW applied over it (NEW's objects replace the live
//!   ones of the same kind, namespace and name and add the others; nothing is deleted, as
//!   with `kubectl apply` without `--prune`);
//! - `diff BUNDLE --server-side`: what applying would change, as `kubectl diff
//!   --server-side` shows it: each object is applied with a server-side dry run (force,
//!   field manager `netplay`) and compared with the live object. managedFields,
//!   resourceVersion and generation are left out (they change on every write); Secret
//!   values are masked.

use crate::cluster::{self, display_name, error_code, error_text, Object, FIELD_MANAGER};
use kube::api::{Patch, PatchParams};
use serde_json::{json, Value};
use std::path::Path;

/// `diff OLD` alone: which comparison was meant is not guessed.
pub const NEEDS_NEW: &str = "diff compares two inputs: `netplay diff OLD NEW`; to compare with a live cluster, \
     say how: `netplay diff NEW --context C` (connections before and after applying NEW) or \
     `netplay diff BUNDLE --server-side` (objects, as `kubectl diff --server-side`)";

/// The connections of the live cluster, then with `path` applied over it; exit 1 when
/// they differ.
pub fn connections(
    path: &Path,
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    format: netplay_core::output::Format,
) -> Result<u8, String> {
    use netplay_core::output;
    let (change, _) = crate::load_paths(&[path.to_path_buf()])?;
    let snapshot = crate::live::read(kubeconfig, context)?;
    let before = netplay_core::load(&snapshot.files_reported());
    crate::report_load_diagnostics(&before.diagnostics);
    let after = netplay_core::load(&snapshot.overlaid_by(&change));
    // The cluster's own diagnostics were shown with `before`; these are the input's.
    let names: Vec<&str> = change.iter().map(|f| f.name.as_str()).collect();
    let of_input: Vec<netplay_core::Diagnostic> = after
        .diagnostics
        .iter()
        .filter(|d| d.file.as_deref().is_some_and(|f| names.contains(&f)))
        .cloned()
        .collect();
    crate::report_load_diagnostics(&of_input);
    let entries = before.diff(&after);
    crate::print(&output::render_diff(&entries, format));
    Ok(u8::from(!entries.is_empty()))
}

/// Exit 0 without differences, 1 with some; `Err` (exit 2) when the comparison could not
/// be made at all.
pub fn run(path: &Path, kubeconfig: Option<&Path>, context: Option<&str>) -> Result<u8, String> {
    let files = cluster::read_input(&[path.to_path_buf()])?;
    let objects = cluster::objects(&files)?;
    let rt = cluster::runtime()?;
    rt.block_on(async move {
        let cluster = cluster::connect(kubeconfig, context).await?;
        let discovery = cluster::discover(&cluster.client).await?;
        let mut out = String::new();
        let mut differ = false;
        let mut failed = false;
        // Namespaces and CRDs of the input that the cluster does not have yet: what lives
        // in them cannot be dry-run, so it is shown as added, from the input.
        let mut new_namespaces = Vec::new();
        let mut new_kinds = Vec::new();
        for o in &objects {
            let Ok((api, _, _)) = cluster::api_for(&cluster, &discovery, o, None) else {
                continue;
            };
            if !matches!(api.get_opt(&o.name).await, Ok(None)) {
                continue;
            }
            match o.gvk.kind.as_str() {
                "Namespace" => new_namespaces.push(o.name.clone()),
                "CustomResourceDefinition" => new_kinds.push((
                    o.value["spec"]["group"].as_str().unwrap_or_default().to_string(),
                    o.value["spec"]["names"]["kind"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )),
                _ => {}
            }
        }
        for o in &objects {
            let in_new_namespace = o.namespace.as_ref().is_some_and(|ns| new_namespaces.contains(ns));
            let of_new_kind = new_kinds.contains(&(o.gvk.group.clone(), o.gvk.kind.clone()));
            if in_new_namespace || of_new_kind {
                differ = true;
                out.push_str(&added_from_input(
                    o,
                    if of_new_kind { "its CRD" } else { "its namespace" },
                ));
                continue;
            }
            match diff_one(&cluster, &discovery, o).await {
                Ok(Some(text)) => {
                    differ = true;
                    out.push_str(&text);
                }
                Ok(None) => {}
                Err(e) => {
                    failed = true;
                    eprintln!(
                        "netplay: {}: {e}",
                        display_name(&o.gvk.kind, o.namespace.as_deref(), &o.name)
                    );
                }
            }
        }
        crate::print(&out);
        if failed {
            return Err("some objects could not be compared".to_string());
        }
        Ok(u8::from(differ))
    })
}

async fn diff_one(
    cluster: &cluster::Cluster,
    discovery: &kube::discovery::Discovery,
    o: &Object,
) -> Result<Option<String>, String> {
    let (api, _, ns) = cluster::api_for(cluster, discovery, o, None)?;
    let live = api.get_opt(&o.name).await.map_err(|e| error_text(&e))?;
    let mut value = o.value.clone();
    if let Some(ns) = &ns {
        value["metadata"]["namespace"] = json!(ns);
    }
    let params = PatchParams {
        dry_run: true,
        force: true,
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    let merged = api
        .patch(&o.name, &params, &Patch::Apply(&value))
        .await
        .map_err(|e| match error_code(&e) {
            Some(code) => format!("the server refused the dry run ({code}): {}", error_text(&e)),
            None => error_text(&e),
        })?;
    let mut before = live.as_ref().map(crate::kube_apply::comparable).unwrap_or(Value::Null);
    let mut after = crate::kube_apply::comparable(&merged);
    if o.gvk.kind == "Secret" && o.gvk.group.is_empty() {
        mask_secret(&mut before, &mut after);
    }
    let text = |v: &Value| {
        if v.is_null() {
            String::new()
        } else {
            serde_yaml::to_string(v).unwrap_or_default()
        }
    };
    let (old, new) = (text(&before), text(&after));
    if old == new {
        return Ok(None);
    }
    let name = match &ns {
        Some(ns) => format!("{}.{}.{}.{}", o.gvk.group, o.gvk.kind, ns, o.name),
        None => format!("{}.{}.{}", o.gvk.group, o.gvk.kind, o.name),
    };
    let name = name.trim_start_matches('.');
    let diff = similar::TextDiff::from_lines(&old, &new);
    Ok(Some(
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("live/{name}"), &format!("merged/{name}"))
            .to_string(),
    ))
}

/// An object shown as added, from the input's own text (Secret values masked), when the
/// server cannot dry-run it because `why` is created by the same input.
fn added_from_input(o: &Object, why: &str) -> String {
    let mut value = o.value.clone();
    if o.gvk.kind == "Secret" && o.gvk.group.is_empty() {
        mask_secret(&mut Value::Null, &mut value);
    }
    let name = match &o.namespace {
        Some(ns) => format!("{}.{}.{}.{}", o.gvk.group, o.gvk.kind, ns, o.name),
        None => format!("{}.{}.{}", o.gvk.group, o.gvk.kind, o.name),
    };
    let name = name.trim_start_matches('.');
    let new = serde_yaml::to_string(&value).unwrap_or_default();
    let diff = similar::TextDiff::from_lines("", new.as_str());
    format!(
        "# {name}: {why} is new in this input, so this is the input as written, not a server dry run\n{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("live/{name}"), &format!("merged/{name}"))
    )
}

/// Replaces Secret values as kubectl diff does: `***` when both sides agree, and
/// `*** (before)` / `*** (after)` when the value changes, so a diff shows that a key
/// changed without showing it.
fn mask_secret(before: &mut Value, after: &mut Value) {
    for field in ["data", "stringData"] {
        let old = before
            .get(field)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let new = after.get(field).and_then(Value::as_object).cloned().unwrap_or_default();
        if let Some(map) = before.get_mut(field).and_then(Value::as_object_mut) {
            for (k, v) in map.iter_mut() {
                let changed = new.get(k) != Some(v);
                *v = json!(if changed { "*** (before)" } else { "***" });
            }
        }
        if let Some(map) = after.get_mut(field).and_then(Value::as_object_mut) {
            for (k, v) in map.iter_mut() {
                let changed = old.get(k) != Some(v);
                *v = json!(if changed { "*** (after)" } else { "***" });
            }
        }
    }
}
