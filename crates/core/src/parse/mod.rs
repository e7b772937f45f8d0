//! Parsing: files → documents → raw Kubernetes objects, each with its file and line.
//!
//! Parsing never fails as a whole. A broken document becomes a diagnostic and the other
//! documents of the file are still read.

pub mod limits;
pub mod locate;

use crate::diagnostics::{Diagnostic, Location};
use locate::{locate_line, PathSeg};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// One input file: its name as the user knows it (a path, or a tab name in the web app)
/// and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// The text of one document and where it starts in its file, so that fields inside the
/// document can be located after parsing.
#[derive(Clone, Debug)]
pub struct Document {
    pub file: Arc<str>,
    /// 0-based line of the file where `text` starts.
    pub start_line: usize,
    pub text: Arc<str>,
}

impl Document {
    /// The location of the field at `path` (1-based line, column 1).
    pub fn locate(&self, path: &[PathSeg]) -> Location {
        let line = self.start_line + locate_line(&self.text, path) + 1;
        Location {
            file: self.file.to_string(),
            line: line as u32,
            column: 1,
        }
    }
}

/// One Kubernetes object as read, before it is understood.
#[derive(Clone, Debug)]
pub struct RawObject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub value: Value,
    pub doc: Document,
    /// Path of this object inside its document: empty, or `items[i]` for `kind: List`.
    pub prefix: Vec<PathSeg>,
    /// Where the object starts.
    pub loc: Location,
}

impl RawObject {
    /// The location of a field of this object.
    pub fn locate(&self, path: &[PathSeg]) -> Location {
        if self.prefix.is_empty() {
            return self.doc.locate(path);
        }
        let mut full = self.prefix.clone();
        full.extend_from_slice(path);
        self.doc.locate(&full)
    }

    /// `Kind namespace/name` (a namespaced object without a namespace is in `default`), or
    /// `Kind name` for cluster-scoped kinds.
    pub fn resource(&self) -> String {
        if is_cluster_scoped(&self.kind) {
            return format!("{} {}", self.kind, self.name);
        }
        format!(
            "{} {}/{}",
            self.kind,
            self.namespace.as_deref().unwrap_or("default"),
            self.name
        )
    }

    /// The API group of `apiVersion` (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }
}

/// Kinds that live outside namespaces. Everything else (including unknown custom
/// resources, which are namespaced far more often than not) is namespaced.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "PriorityClass"
            | "RuntimeClass"
            | "IngressClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "APIService"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "CertificateSigningRequest"
            | "AdminNetworkPolicy"
            | "BaselineAdminNetworkPolicy"
            | "ClusterNetworkPolicy"
            | "GatewayClass"
            | "ClusterIssuer"
    )
}

/// Reads every document of every file.
pub fn parse_files(files: &[SourceFile]) -> (Vec<RawObject>, Vec<Diagnostic>) {
    parse_files_cached(files, &mut ParseCache::default())
}

/// What each document of the previous round parsed to, so that an editor re-evaluating
/// after every edit parses only the documents that changed. The caller keeps it between
/// calls of [`parse_files_cached`]; it holds only the documents of the last call.
#[derive(Default)]
pub struct ParseCache {
    documents: HashMap<DocumentKey, (Vec<RawObject>, Vec<Diagnostic>)>,
}

/// A document is the same when its file, first line and text are.
#[derive(PartialEq, Eq, Hash)]
struct DocumentKey {
    file: Arc<str>,
    start_line: usize,
    text: Arc<str>,
}

/// [`parse_files`], reusing what `cache` holds for documents that did not change. The
/// result is the same as `parse_files` gives: parsing a document depends on nothing but
/// its file name, first line and text.
pub fn parse_files_cached(files: &[SourceFile], cache: &mut ParseCache) -> (Vec<RawObject>, Vec<Diagnostic>) {
    let mut objects = Vec::new();
    let mut diags = Vec::new();
    let mut next = HashMap::new();
    let mut read = 0;
    for file in files {
        if let Some(too_large) = limits::check_size(&file.name, &file.text, &mut read) {
            diags.push(too_large);
            continue;
        }
        let name: Arc<str> = Arc::from(file.name.as_str());
        let before = objects.len();
        let diags_before = diags.len();
        for (start_line, text) in split_documents(&file.name, &file.text) {
            let key = DocumentKey {
                file: name.clone(),
                start_line,
                text: Arc::from(text),
            };
            let parsed = cache.documents.remove(&key).unwrap_or_else(|| {
                let doc = Document {
                    file: key.file.clone(),
                    start_line,
                    text: key.text.clone(),
                };
                let (mut o, mut d) = (Vec::new(), Vec::new());
                parse_document(doc, &mut o, &mut d);
                (o, d)
            });
            objects.extend(parsed.0.iter().cloned());
            diags.extend(parsed.1.iter().cloned());
            // The same document twice in one round (copies of a file) is parsed once.
            next.entry(key).or_insert(parsed);
        }
        if objects.len() == before && diags.len() == diags_before {
            let what = if file.text.trim().is_empty() {
                "the file is empty"
            } else {
                "the file holds only comments"
            };
            let only_comments = file.text.lines().all(|l| {
                let t = l.trim();
                t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
            });
            let msg = if only_comments {
                format!("{what}: no Kubernetes object in it")
            } else {
                "the file holds no Kubernetes object".to_string()
            };
            diags.push(Diagnostic::new("NP0007", msg).at(&Location::new(&file.name, 1, 1)));
        }
    }
    cache.documents = next;
    (objects, diags)
}

fn is_json_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json")
}

/// Splits a file into documents: `(first line, text)`. YAML documents are separated by
/// `---` lines; the separator line is kept blank in the next document so that line
/// numbers inside a document stay aligned with the file. A JSON file is one document.
fn split_documents(name: &str, text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if is_json_name(name) {
        return vec![(0, text.to_string())];
    }
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (no, line) in text.split_inclusive('\n').enumerate() {
        let is_separator = line.starts_with("---") && line[3..].chars().next().is_none_or(|c| c.is_whitespace());
        let is_end = line.trim_end() == "...";
        if is_separator || is_end {
            docs.push((start, std::mem::take(&mut current)));
            start = no;
            // Keep what follows `---` on the same line (`--- {a: 1}`), at its column.
            if is_separator {
                current.push_str("   ");
                current.push_str(&line[3..]);
            } else {
                current.push('\n');
            }
        } else {
            current.push_str(line);
        }
    }
    docs.push((start, current));
    docs.retain(|(_, t)| {
        t.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
        })
    });
    docs
}

fn parse_document(doc: Document, objects: &mut Vec<RawObject>, diags: &mut Vec<Diagnostic>) {
    let (values, error) = if is_json_name(&doc.file) {
        parse_json_stream(&doc)
    } else {
        match limits::parse_yaml(&doc.text) {
            Ok(v) => (vec![v], None),
            Err(e) => {
                let text = e.to_string();
                // Scanner errors give a byte offset in the message and no useful location.
                let (line, column, text) = match byte_position(&text) {
                    Some((pos, cut)) => {
                        let (l, c) = line_col(&doc.text, pos);
                        (l, c, text[..cut].to_string())
                    }
                    None => {
                        let (l, c) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
                        (l, c, text)
                    }
                };
                let msg = relocate_message(&text, line, doc.start_line);
                // libyaml reports the end of input on the line after the last one.
                let last_line = doc.text.lines().count().max(1);
                let (line, column) = if line > last_line {
                    (last_line, 1)
                } else {
                    (line, column)
                };
                let loc = Location::new(&doc.file, (doc.start_line + line) as u32, column as u32);
                let diag = limits::limit_diagnostic(&msg, &loc)
                    .unwrap_or_else(|| Diagnostic::new("NP0001", format!("YAML syntax error: {msg}")).at(&loc));
                (Vec::new(), Some(diag))
            }
        }
    };
    for value in values {
        collect_objects(&doc, value, Vec::new(), objects, diags);
    }
    diags.extend(error);
}

/// A JSON file may hold several values one after another; the values read before a
/// syntax error are kept.
fn parse_json_stream(doc: &Document) -> (Vec<Value>, Option<Diagnostic>) {
    let mut values = Vec::new();
    for item in serde_json::Deserializer::from_str(&doc.text).into_iter::<Value>() {
        match item {
            Ok(v) => values.push(v),
            Err(e) => {
                let msg = strip_location_suffix(&e.to_string());
                let loc = Location::new(&doc.file, (doc.start_line + e.line()) as u32, e.column() as u32);
                let diag = limits::limit_diagnostic(&msg, &loc)
                    .unwrap_or_else(|| Diagnostic::new("NP0001", format!("JSON syntax error: {msg}")).at(&loc));
                return (values, Some(diag));
            }
        }
    }
    (values, None)
}

/// A value read from YAML that refuses duplicate mapping keys, as kubectl does: with
/// plain deserialisation the last one would silently win.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        limits::count_value()?;
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(v as f64)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v)
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate key {key:?}: kubectl rejects this; keep one"
                )));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// serde_yaml speaks of lines within the document. The position of the problem itself is
/// dropped (the diagnostic carries it); other positions (`while parsing a mapping at line
/// N`) are said as lines of the file.
fn relocate_message(msg: &str, own_line: usize, line_offset: usize) -> String {
    const AT: &str = " at line ";
    let mut out = String::new();
    let mut rest = msg;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        let after = &rest[i + AT.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let line = after[..digits].parse::<usize>().ok();
        let tail = &after[digits..];
        let col_digits = tail
            .strip_prefix(" column ")
            .map(|t| t.bytes().take_while(u8::is_ascii_digit).count() + " column ".len())
            .unwrap_or(0);
        match line {
            Some(n) if n == own_line => {}
            Some(n) => {
                out.push_str(AT);
                out.push_str(&(n + line_offset).to_string());
                out.push_str(&tail[..col_digits]);
            }
            None => out.push_str(AT),
        }
        rest = &tail[col_digits..];
    }
    out.push_str(rest);
    out
}

/// `... at position N` (a byte offset), as serde_yaml says for some scanner errors: the
/// offset, and where the message ends without it.
fn byte_position(msg: &str) -> Option<(usize, usize)> {
    let i = msg.rfind(" at position ")?;
    let digits: String = msg[i + 13..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(|pos| (pos, i))
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..pos.min(text.len())).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// serde errors end in "at line X column Y"; the location is shown separately.
fn strip_location_suffix(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
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

fn collect_objects(
    doc: &Document,
    value: Value,
    prefix: Vec<PathSeg>,
    objects: &mut Vec<RawObject>,
    diags: &mut Vec<Diagnostic>,
) {
    let loc = if prefix.is_empty() {
        doc.locate(&[])
    } else {
        doc.locate(&prefix)
    };
    if value.is_null() {
        return;
    }
    let Value::Object(map) = &value else {
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
    let str_field = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
    let kind = str_field("kind");
    let api_version = str_field("apiVersion");
    let (Some(kind), Some(api_version)) = (kind, api_version) else {
        let missing: Vec<&str> = ["apiVersion", "kind"]
            .into_iter()
            .filter(|k| map.get(*k).and_then(Value::as_str).is_none())
            .collect();
        diags.push(
            Diagnostic::new(
                "NP0004",
                format!("not a Kubernetes object: {} missing", missing.join(" and ")),
            )
            .at(&loc)
            .help("every object needs `apiVersion` and `kind`, e.g. `apiVersion: v1` and `kind: Pod`"),
        );
        return;
    };
    if kind.ends_with("List") {
        if let Some(Value::Array(items)) = map.get("items") {
            let items = items.clone();
            for (i, item) in items.into_iter().enumerate() {
                let mut p = prefix.clone();
                p.push(PathSeg::key("items"));
                p.push(PathSeg::Index(i));
                collect_objects(doc, item, p, objects, diags);
            }
            return;
        }
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
        value,
        doc: doc.clone(),
        prefix,
        loc,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> (Vec<RawObject>, Vec<Diagnostic>) {
        parse_files(&[SourceFile::new(name, text)])
    }

    #[test]
    fn multi_document_lines_and_broken_documents() {
        let text = "\
# leading comment
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: a
  labels: [unclosed
---
apiVersion: v1
kind: Pod
metadata:
  name: q
";
        let (objs, diags) = parse("f.yaml", text);
        assert_eq!(objs.len(), 2, "{diags:?}");
        assert_eq!(objs[0].loc.line, 2);
        assert_eq!(objs[1].name, "q");
        assert_eq!(objs[1].loc.line, 13);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "NP0001");
        assert_eq!(diags[0].file.as_deref(), Some("f.yaml"));
        let line = diags[0].line.unwrap();
        assert!((11..=13).contains(&line), "line {line}");
    }

    #[test]
    fn lists_and_json() {
        let json = r#"{"apiVersion":"v1","kind":"List","items":[
  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"x"}},
  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"}}
]}"#;
        let (objs, diags) = parse("pods.json", json);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].namespace.as_deref(), Some("x"));
        assert_eq!(objs[1].namespace, None);
    }

    #[test]
    fn not_objects() {
        let (objs, diags) = parse(
            "f.yaml",
            "just a string\n---\n- 1\n- 2\n---\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata: {}\n",
        );
        assert!(objs.is_empty());
        let codes: Vec<_> = diags.iter().map(|d| (d.code, d.line)).collect();
        assert_eq!(
            codes,
            vec![
                ("NP0004", Some(1)),
                ("NP0004", Some(3)),
                ("NP0004", Some(6)),
                ("NP0004", Some(8))
            ]
        );
    }

    #[test]
    fn junk_never_panics() {
        let junk: Vec<u8> = (0..2000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let text = String::from_utf8_lossy(&junk).to_string();
        let _ = parse("junk.yaml", &text);
        let _ = parse("junk.json", &text);
        let _ = parse("deep.yaml", &"[".repeat(10_000));
        let _ = parse("anchors.yaml", "a: &a [1,2,3]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
    }
}
