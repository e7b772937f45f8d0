//! Server-side apply (`PATCH` with `application/apply-patch+yaml`): field managers own the
//! leaf fields they applied (lists are atomic), a value another manager owns is a 409
//! conflict unless `force=true`, `dryRun=All` changes nothing, a no-op apply keeps the
//! resourceVersion.

use crate::routes::Target;
use crate::server::{json_response, status, Response};
use crate::store::{ns_key, FieldPath, Stored};
use crate::types::ResourceType;
use crate::{Request, State, TIMESTAMP};
use hyper::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

impl State {
    pub(crate) fn apply_request(&mut self, target: &Target, name: String, req: &Request) -> Response {
        let Ok(applied) = serde_yaml::from_str::<Value>(&req.body) else {
            return status(400, "BadRequest", "the body is not valid YAML or JSON");
        };
        let Some(manager) = req.param("fieldManager").filter(|m| !m.is_empty()) else {
            return status(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            );
        };
        if let Some(code) = self.rejects.get(&(target.ty.plural.clone(), name.clone())) {
            return status(
                *code,
                "InternalError",
                &format!("injected failure for {}/{name}", target.ty.plural),
            );
        }
        if target.ty.namespaced && !self.objects.contains_key(&ns_key(&target.namespace)) {
            return json_response(
                StatusCode::NOT_FOUND,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": format!("namespaces \"{}\" not found", target.namespace), "reason": "NotFound",
                        "details": {"name": target.namespace, "kind": "namespaces"}, "code": 404}),
            );
        }
        let force = req.param("force") == Some("true");
        let dry_run = req.param("dryRun") == Some("All");
        let manager = manager.to_string();
        match self.apply(&target.ty, &target.namespace, &name, &manager, &applied, force, dry_run) {
            Ok((created, value)) => json_response(if created { StatusCode::CREATED } else { StatusCode::OK }, &value),
            Err(resp) => *resp,
        }
    }

    /// Server-side apply; `Ok((created, object))`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply(
        &mut self,
        ty: &ResourceType,
        namespace: &str,
        name: &str,
        manager: &str,
        applied: &Value,
        force: bool,
        dry_run: bool,
    ) -> Result<(bool, Value), Box<Response>> {
        let key = (
            ty.group.clone(),
            ty.plural.clone(),
            namespace.to_string(),
            name.to_string(),
        );
        let mut config = applied.clone();
        if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
            for system in [
                "managedFields",
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "generation",
            ] {
                meta.remove(system);
            }
        }
        let mut paths = BTreeSet::new();
        leaf_paths(&config, &mut Vec::new(), &mut paths);
        for fixed in [
            ["apiVersion"].as_slice(),
            &["kind"],
            &["metadata", "name"],
            &["metadata", "namespace"],
        ] {
            paths.remove(&fixed.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        }
        let existing = self.objects.get(&key).cloned();
        let created = existing.is_none();
        let mut stored = existing.clone().unwrap_or_else(|| Stored {
            value: json!({"apiVersion": ty.api_version(), "kind": ty.kind, "metadata": {"name": name}}),
            owners: BTreeMap::new(),
            created: Instant::now(),
            log: None,
        });
        if ty.namespaced {
            stored.value["metadata"]["namespace"] = json!(namespace);
        }
        // Conflicts: a field another manager owns, applied with a different value.
        let mut conflicts: Vec<(String, String)> = Vec::new();
        for (other, (_, fields)) in &stored.owners {
            if other == manager {
                continue;
            }
            for p in paths.intersection(fields) {
                if get_path(&stored.value, p) != get_path(&config, p) {
                    conflicts.push((other.clone(), field_text(p)));
                }
            }
        }
        if !conflicts.is_empty() && !force {
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|(m, f)| json!({"type": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": f}))
                .collect();
            let list: Vec<String> = conflicts
                .iter()
                .map(|(m, f)| format!("conflict with \"{m}\" using {}: {f}", ty.api_version()))
                .collect();
            let message = format!(
                "Apply failed with {} conflict{}: {}",
                conflicts.len(),
                if conflicts.len() == 1 { "" } else { "s" },
                list.join("\n")
            );
            return Err(Box::new(json_response(
                StatusCode::CONFLICT,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                        "reason": "Conflict", "details": {"name": name, "group": ty.group, "kind": ty.plural, "causes": causes},
                        "code": 409}),
            )));
        }
        for (other, (_, fields)) in stored.owners.iter_mut() {
            if other != manager {
                for p in &paths {
                    if force {
                        fields.remove(p);
                    }
                }
            }
        }
        // Fields this manager applied before and no longer does, that nobody else owns, go.
        if let Some((_, before)) = stored.owners.get(manager) {
            for p in before.difference(&paths) {
                let shared = stored.owners.iter().any(|(m, (_, f))| m != manager && f.contains(p));
                if !shared {
                    remove_path(&mut stored.value, p);
                }
            }
        }
        merge(&mut stored.value, &config);
        if ty.kind == "Namespace" && ty.group.is_empty() {
            // The API server labels every Namespace with its name (since Kubernetes 1.21).
            stored.value["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
        }
        stored.owners.insert(manager.to_string(), (ty.api_version(), paths));
        stored.owners.retain(|_, (_, f)| !f.is_empty());
        let changed = existing
            .as_ref()
            .is_none_or(|e| e.value != stored.value || !same_owners(&e.owners, &stored.owners));
        if changed {
            let rv = self.resource_version + 1;
            if !dry_run {
                self.resource_version = rv;
            }
            if created {
                self.uid += 1;
                stored.value["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{:012}", self.uid));
                stored.value["metadata"]["creationTimestamp"] = json!(TIMESTAMP);
                if dry_run {
                    self.uid -= 1;
                }
            }
            stored.value["metadata"]["resourceVersion"] = json!(rv.to_string());
        }
        let rendered = self.render(&stored);
        if !dry_run {
            if created && ty.kind == "Job" {
                let uid = stored.value["metadata"]["uid"].as_str().unwrap_or_default().to_string();
                self.start_job_pod(namespace, name, &uid, &stored.value);
            }
            self.objects.insert(key, stored);
            self.establish_crds();
        }
        Ok((created, rendered))
    }
}

fn same_owners(
    a: &BTreeMap<String, (String, BTreeSet<FieldPath>)>,
    b: &BTreeMap<String, (String, BTreeSet<FieldPath>)>,
) -> bool {
    a == b
}

/// Leaf fields: scalars, lists (atomic) and empty maps.
fn leaf_paths(v: &Value, prefix: &mut Vec<String>, out: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                prefix.push(k.clone());
                leaf_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

fn get_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        match cur.get_mut(k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// `.spec.replicas`.
fn field_text(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fields_v1;

    #[test]
    fn fields_v1_nests_leaf_paths() {
        let mut paths = BTreeSet::new();
        leaf_paths(
            &json!({"spec": {"replicas": 2, "selector": {}}}),
            &mut Vec::new(),
            &mut paths,
        );
        assert_eq!(
            fields_v1(&paths),
            json!({"f:spec": {"f:replicas": {}, "f:selector": {}}})
        );
    }
}
