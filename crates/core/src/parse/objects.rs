//! Parsed values to raw objects: plain objects, lists (`kind: List` and the typed lists
//! of the API server, `PodList`, `DeploymentList`, ...) and top-level arrays.
//!
//! The list rules (docs/semantics.md, "Reading the input"):
//! - a typed list's items may omit `apiVersion` and `kind` — the API server writes them
//!   only on the list (`kubectl get --raw /api/v1/pods`): an item of a `PodList` with
//!   `apiVersion: v1` is a `Pod` of `v1`;
//! - the items of a generic `v1 List` (what `kubectl get all -o yaml` writes) carry their
//!   own kinds; one without is an error at its line;
//! - `items: null` or no `items` is an empty list;
//! - a document that is a sequence at the top level is read item by item.

use super::locate::{self, PathSeg};
use super::{Document, RawObject};
use crate::diagnostics::Diagnostic;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// Where an object was found: alone, or as an item of a list.
#[derive(Clone, Copy)]
enum Container<'a> {
    Document,
    /// An item of `kind: List`: it carries its own apiVersion and kind.
    GenericList,
    /// An item of a typed list (`PodList`): what it omits comes from the list.
    TypedList {
        api_version: &'a str,
        kind: &'a str,
    },
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Reads one parsed document value into raw objects.
pub(super) fn collect_document(
    doc: &Document,
    value: Value,
    objects: &mut Vec<RawObject>,
    diags: &mut Vec<Diagnostic>,
) {
    match value {
        // A document that is a sequence (`[{...}, {...}]`, or YAML `- apiVersion: ...`).
        Value::Array(items) => collect_items(doc, items, Vec::new(), Container::Document, objects, diags),
        value => collect_object(doc, value, Vec::new(), Container::Document, objects, diags),
    }
}

fn collect_object(
    doc: &Document,
    value: Value,
    prefix: Vec<PathSeg>,
    container: Container,
    objects: &mut Vec<RawObject>,
    diags: &mut Vec<Diagnostic>,
) {
    if value.is_null() {
        return;
    }
    let loc = doc.locate(&prefix);
    let Value::Object(mut map) = value else {
        diags.push(
            Diagnostic::new(
                "NP0004",
                format!(
                    "not a Kubernetes object: expected a mapping with apiVersion and kind, found {}",
                    describe(&value)
                ),
            )
            .at(&loc),
        );
        return;
    };
    if let Container::TypedList { api_version, kind } = container {
        for (key, given) in [("apiVersion", api_version), ("kind", kind)] {
            if !map.get(key).is_some_and(Value::is_string) {
                map.insert(key.to_string(), Value::String(given.to_string()));
            }
        }
    }
    let str_field = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(kind), Some(api_version)) = (str_field(&map, "kind"), str_field(&map, "apiVersion")) else {
        let missing: Vec<&str> = ["apiVersion", "kind"]
            .into_iter()
            .filter(|k| map.get(*k).and_then(Value::as_str).is_none())
            .collect();
        let help = match container {
            Container::GenericList => "an item of a generic `List` carries its own `apiVersion` and `kind`; only typed lists such as `PodList` give them to their items",
            _ => "every object needs `apiVersion` and `kind`, e.g. `apiVersion: v1` and `kind: Pod`",
        };
        diags.push(
            Diagnostic::new(
                "NP0004",
                format!("not a Kubernetes object: {} missing", missing.join(" and ")),
            )
            .at(&loc)
            .help(help),
        );
        return;
    };
    if let Some(item_kind) = list_item_kind(&kind, &map) {
        let items = map.remove("items").unwrap_or(Value::Null);
        let item_container = if item_kind.is_empty() {
            Container::GenericList
        } else {
            Container::TypedList {
                api_version: &api_version,
                kind: item_kind,
            }
        };
        let mut path = prefix;
        path.push(PathSeg::key("items"));
        match items {
            Value::Null => {}
            Value::Array(items) => collect_items(doc, items, path, item_container, objects, diags),
            other => diags.push(
                Diagnostic::new(
                    "NP0004",
                    format!("{kind}: `items` must be a list, found {}", describe(&other)),
                )
                .at(&doc.locate(&path))
                .resource(format!("{kind} <list>")),
            ),
        }
        return;
    }
    let metadata = map.get("metadata");
    let name = metadata.and_then(|m| m.get("name")).and_then(Value::as_str);
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let Some(name) = name.filter(|n| !n.is_empty()).map(str::to_string) else {
        let resource = format!("{kind} <unnamed>");
        diags.push(
            Diagnostic::new("NP0004", format!("{kind} has no metadata.name"))
                .at(&loc)
                .resource(resource)
                .help("give the object a name under `metadata.name`"),
        );
        return;
    };
    objects.push(RawObject {
        api_version,
        kind,
        name,
        namespace,
        value: Arc::new(Value::Object(map)),
        doc: doc.clone(),
        prefix,
        loc,
    });
}

/// For a list object: the kind its items get when they omit it — `""` for a generic
/// `List`, whose items carry their own — or `None` when the object is not a list. A list
/// is a kind ending in `List` with `items` (a list has no name of its own, so a named
/// object of a kind ending in `List` without `items` is an object like any other).
fn list_item_kind<'k>(kind: &'k str, map: &Map<String, Value>) -> Option<&'k str> {
    let element = kind.strip_suffix("List")?;
    let named = map.get("metadata").and_then(|m| m.get("name")).is_some();
    (map.contains_key("items") || !named).then_some(element)
}

/// Reads the items of a sequence at `path` of `doc`. Each item becomes a document of its
/// own (its text and first line), so that finding a field's line later looks at the item
/// only; when the sequence's layout cannot be followed, items keep their path instead.
fn collect_items(
    doc: &Document,
    items: Vec<Value>,
    path: Vec<PathSeg>,
    container: Container,
    objects: &mut Vec<RawObject>,
    diags: &mut Vec<Diagnostic>,
) {
    let spans = locate::sequence_items(&doc.text, &path).filter(|s| s.len() == items.len());
    let Some(spans) = spans else {
        for (i, item) in items.into_iter().enumerate() {
            let mut p = path.clone();
            p.push(PathSeg::Index(i));
            collect_object(doc, item, p, container, objects, diags);
        }
        return;
    };
    let mut line = doc.start_line;
    let mut counted = 0;
    for (item, span) in items.into_iter().zip(spans) {
        line += doc.text.as_bytes()[counted..span.start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted = span.start;
        let item_doc = Document {
            file: doc.file.clone(),
            start_line: line,
            text: Arc::from(item_text(&doc.text[span]).as_ref()),
        };
        collect_object(&item_doc, item, Vec::new(), container, objects, diags);
    }
}

/// The text of a sequence item as a document of its own: a block item's dash becomes a
/// space, so the item reads as a mapping at the same columns.
fn item_text(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches(' ');
    match trimmed.strip_prefix('-') {
        Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']) => {
            let indent = text.len() - trimmed.len();
            Cow::Owned(format!("{} {rest}", &text[..indent]))
        }
        _ => Cow::Borrowed(text),
    }
}
