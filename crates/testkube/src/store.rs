//! The stored objects as the API returns them: GET, paginated LIST, DELETE.

use crate::routes::Target;
use crate::server::{json_response, respond, status, Response};
use crate::types::ResourceType;
use crate::{Request, State, TIMESTAMP};
use base64::Engine as _;
use hyper::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Where an object lives: group, plural, namespace (`""` when cluster-scoped), name.
pub(crate) type Key = (String, String, String, String);

/// A leaf field: the path of keys from the object's root.
pub(crate) type FieldPath = Vec<String>;

#[derive(Clone, Debug)]
pub(crate) struct Stored {
    /// The object without managedFields (rendered from `owners` on the way out).
    pub value: Value,
    /// Field manager → (apiVersion it applied with, the leaf fields it owns).
    pub owners: BTreeMap<String, (String, BTreeSet<FieldPath>)>,
    pub created: Instant,
    /// A Pod's log, written when it "ran" (at its creation).
    pub log: Option<String>,
}

impl State {
    pub(crate) fn key(target: &Target, name: &str) -> Key {
        (
            target.ty.group.clone(),
            target.ty.plural.clone(),
            target.namespace.clone(),
            name.to_string(),
        )
    }

    /// The object as the API returns it: stored value, computed status, managedFields.
    pub(crate) fn render(&self, stored: &Stored) -> Value {
        let mut v = stored.value.clone();
        let managed: Vec<Value> = stored
            .owners
            .iter()
            .map(|(manager, (api_version, fields))| {
                json!({"manager": manager, "operation": "Apply", "apiVersion": api_version, "time": TIMESTAMP,
                       "fieldsType": "FieldsV1", "fieldsV1": fields_v1(fields)})
            })
            .collect();
        v["metadata"]["managedFields"] = Value::Array(managed);
        match v["kind"].as_str() {
            Some("CustomResourceDefinition") => {
                let established = stored.created.elapsed() >= self.options.crd_established_after;
                let s = if established { "True" } else { "False" };
                v["status"] = json!({"conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
                    {"type": "Established", "status": s, "reason": if established { "InitialNamesAccepted" } else { "Installing" }}]});
            }
            // Jobs run at once (see jobs.rs), unless the test wrote a status of its own.
            Some("Job") if v.get("status").is_none() => {
                v["status"] = json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]});
            }
            _ => {}
        }
        v
    }

    /// Adds the resource types of CRDs that have become Established.
    pub(crate) fn establish_crds(&mut self) {
        let delay = self.options.crd_established_after;
        let mut new_types = Vec::new();
        for ((_, plural, _, _), stored) in &self.objects {
            if plural != "customresourcedefinitions" || stored.created.elapsed() < delay {
                continue;
            }
            let spec = &stored.value["spec"];
            let group = spec["group"].as_str().unwrap_or_default();
            let kind = spec["names"]["kind"].as_str().unwrap_or_default();
            let plural = spec["names"]["plural"].as_str().unwrap_or_default();
            let namespaced = spec["scope"].as_str() != Some("Cluster");
            for v in spec["versions"].as_array().into_iter().flatten() {
                let version = v["name"].as_str().unwrap_or_default();
                let mut ty = ResourceType::new(group, version, kind, plural, namespaced);
                ty.custom = true;
                new_types.push(ty);
            }
        }
        for t in new_types {
            if !self.types.contains(&t) {
                self.types.push(t);
            }
        }
    }

    pub(crate) fn get(&mut self, target: &Target, req: &Request) -> Response {
        let name = target.name.clone().unwrap_or_default();
        match self.objects.get(&Self::key(target, &name)) {
            Some(stored) => {
                let v = self.render(stored);
                if req
                    .accept
                    .as_deref()
                    .is_some_and(|a| a.contains("as=PartialObjectMetadata;"))
                {
                    return respond(
                        StatusCode::OK,
                        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
                        &json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}),
                    );
                }
                json_response(StatusCode::OK, &v)
            }
            None => not_found(&target.ty, &name),
        }
    }

    /// A LIST as the API server answers it: items in storage order (namespace, then
    /// name), a typed list (`PodList`) whose items carry no apiVersion and kind for
    /// built-in kinds (custom resources keep theirs), and with `limit` one page at a time:
    /// `metadata.continue` (an opaque token: base64 of the resourceVersion and the key to
    /// start after) and `remainingItemCount` while more remain.
    pub(crate) fn list(&mut self, target: &Target, req: &Request) -> Response {
        let selector = req.param("labelSelector").unwrap_or_default().to_string();
        let start =
            match req.param("continue").filter(|c| !c.is_empty()) {
                None => None,
                Some(token) => match decode_continue(token) {
                    Some(start) => Some(start),
                    None => return status(
                        400,
                        "BadRequest",
                        "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                    ),
                },
            };
        let limit = req
            .param("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .filter(|l| *l > 0);
        let matching: Vec<(String, Value)> = self
            .objects
            .iter()
            .filter(|((g, p, ns, _), _)| {
                *g == target.ty.group
                    && *p == target.ty.plural
                    && (target.namespace.is_empty() || *ns == target.namespace)
            })
            .map(|((_, _, ns, name), s)| (format!("{ns}/{name}"), self.render(s)))
            .filter(|(_, v)| matches_selector(&v["metadata"]["labels"], &selector))
            .filter(|(key, _)| start.as_ref().is_none_or(|start| key.as_str() > start.as_str()))
            .collect();
        let rv = self.resource_version.to_string();
        let total = matching.len();
        let page: Vec<(String, Value)> = matching.into_iter().take(limit.unwrap_or(usize::MAX)).collect();
        let mut metadata = json!({"resourceVersion": rv});
        if page.len() < total {
            if let Some((last, _)) = page.last() {
                metadata["continue"] = json!(encode_continue(&rv, last));
                metadata["remainingItemCount"] = json!(total - page.len());
            }
        }
        let items: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
        if req
            .accept
            .as_deref()
            .is_some_and(|a| a.contains("as=PartialObjectMetadataList"))
        {
            let items: Vec<Value> = items
                .iter()
                .map(|v| json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}))
                .collect();
            return respond(
                StatusCode::OK,
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                        "metadata": metadata, "items": items}),
            );
        }
        let items: Vec<Value> = if target.ty.custom {
            items
        } else {
            items.into_iter().map(without_type).collect()
        };
        json_response(
            StatusCode::OK,
            &json!({"kind": format!("{}List", target.ty.kind), "apiVersion": target.ty.api_version(),
                    "metadata": metadata, "items": items}),
        )
    }

    pub(crate) fn delete(&mut self, target: &Target, name: &str, dry_run: bool) -> Response {
        let key = Self::key(target, name);
        if dry_run {
            return match self.objects.get(&key) {
                Some(stored) => json_response(StatusCode::OK, &self.render(stored)),
                None => not_found(&target.ty, name),
            };
        }
        match self.objects.remove(&key) {
            Some(stored) => {
                self.resource_version += 1;
                json_response(StatusCode::OK, &self.render(&stored))
            }
            None => not_found(&target.ty, name),
        }
    }
}

pub(crate) fn ns_key(ns: &str) -> Key {
    (String::new(), "namespaces".to_string(), String::new(), ns.to_string())
}

pub(crate) fn not_found(ty: &ResourceType, name: &str) -> Response {
    let what = if ty.group.is_empty() {
        ty.plural.clone()
    } else {
        format!("{}.{}", ty.plural, ty.group)
    };
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("{what} \"{name}\" not found"), "reason": "NotFound",
                "details": {"name": name, "group": ty.group, "kind": ty.plural}, "code": 404}),
    )
}

/// `k=v`, `k==v`, `k!=v`, `k` and `!k`, comma-separated.
pub(crate) fn matches_selector(labels: &Value, selector: &str) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                labels[k.trim()].as_str() != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels[k.trim()].as_str() == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                labels.get(k.trim()).is_none()
            } else {
                labels.get(term).is_some()
            }
        })
}

/// An item of a typed list: the object without apiVersion and kind.
fn without_type(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
    }
    v
}

/// The API server's continue token: base64 of `{"v","rv","start"}`, where `start` is the
/// key to go on from (the last one returned, followed by a NUL so that it sorts after).
fn encode_continue(rv: &str, last_key: &str) -> String {
    let token =
        json!({"v": "meta.k8s.io/v1", "rv": rv.parse::<u64>().unwrap_or(0), "start": format!("{last_key}\u{0}")});
    base64::engine::general_purpose::STANDARD.encode(token.to_string())
}

/// The key a continue token starts after; `None` when it is not one of ours.
fn decode_continue(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    if v["v"] != "meta.k8s.io/v1" {
        return None;
    }
    let start = v["start"].as_str()?;
    Some(start.trim_end_matches('\u{0}').to_string())
}

/// The FieldsV1 form of a set of leaf fields: `{"f:spec": {"f:replicas": {}}}`.
pub(crate) fn fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = Map::new();
    for path in fields {
        let mut cur = &mut root;
        for k in path {
            cur = cur
                .entry(format!("f:{k}"))
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("an object");
        }
    }
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_equality_inequality_and_existence() {
        let labels = json!({"a": "1", "b": "2"});
        assert!(matches_selector(&labels, "a=1,b"));
        assert!(matches_selector(&labels, "a==1,c!=3,!c"));
        assert!(!matches_selector(&labels, "a=2"));
        assert!(!matches_selector(&labels, "c"));
    }

    #[test]
    fn a_continue_token_round_trips_and_others_are_refused() {
        let token = encode_continue("120", "shop/web-1");
        assert_eq!(decode_continue(&token).as_deref(), Some("shop/web-1"));
        assert_eq!(decode_continue("bm90IGEgdG9rZW4="), None);
        assert_eq!(decode_continue("%%%"), None);
    }
}
