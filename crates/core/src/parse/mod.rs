//! Parsing: files → documents → raw Kubernetes objects, each with its file and line.
//!
//! Parsing never fails as a whole. A broken document becomes a diagnostic and the other
//! documents of the file are still read.

mod decode;
mod fast_yaml;
pub mod limits;
pub mod locate;
mod objects;
pub(crate) mod parallel;
mod syntax;

pub(crate) use syntax::yaml_error_position;

pub use decode::{decode_text, DecodeError, Utf16};

use crate::diagnostics::{Diagnostic, Location};
use locate::{locate_line, DocumentLines, PathSeg};
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// One input file: its name as the user knows it (a path, or a tab name in the web app)
/// and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// The namespace of the file's namespaced objects that name none (kubectl's `-n`);
    /// `None`: `default`, as the API server puts them.
    pub namespace: Option<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
            namespace: None,
        }
    }

    /// The file with `namespace` for its objects that name none.
    pub fn in_namespace(mut self, namespace: Option<String>) -> Self {
        self.namespace = namespace;
        self
    }

    /// A file from its bytes, decoded by [`decode_text`] (UTF-8, UTF-16 with or without a
    /// byte order mark). `Err` says why the bytes are not text.
    pub fn from_bytes(name: impl Into<String>, bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(SourceFile::new(name, decode_text(bytes)?))
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
        self.location(locate_line(&self.text, path))
    }

    /// The location of the field at `path`, with the document's lines split already.
    pub fn locate_in(&self, lines: &DocumentLines<'_>, path: &[PathSeg]) -> Location {
        self.location(lines.locate_line(path))
    }

    /// Its content lines, to locate several fields ([`Document::locate_in`]).
    pub fn lines(&self) -> DocumentLines<'_> {
        DocumentLines::new(&self.text)
    }

    /// The location of the document's 0-based line `line`.
    fn location(&self, line: usize) -> Location {
        let line = self.start_line + line + 1;
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
    /// Shared: the playground's parse cache keeps every object for the next edit, and a
    /// deep copy of each object's tree was a sixth of the first evaluation's allocations.
    pub value: Arc<Value>,
    pub doc: Document,
    /// Path of this object inside its document: empty, or `items[i]` for `kind: List`.
    pub prefix: Vec<PathSeg>,
    /// Where the object starts.
    pub loc: Location,
}

impl RawObject {
    /// The location of a field of this object.
    pub fn locate(&self, path: &[PathSeg]) -> Location {
        self.doc.locate(&self.path_in_document(path))
    }

    /// The location of a field of this object, with its document's lines split already
    /// ([`Document::lines`]).
    pub fn locate_in(&self, lines: &DocumentLines<'_>, path: &[PathSeg]) -> Location {
        self.doc.locate_in(lines, &self.path_in_document(path))
    }

    /// A path inside the object as a path inside its document.
    fn path_in_document<'p>(&self, path: &'p [PathSeg]) -> std::borrow::Cow<'p, [PathSeg]> {
        if self.prefix.is_empty() {
            return path.into();
        }
        let mut full = self.prefix.clone();
        full.extend_from_slice(path);
        full.into()
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
    parse_files_with(files, None)
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
    parse_files_with(files, Some(cache))
}

/// Without a cache, each document's objects are moved into the result, and files and
/// documents are read in parallel natively ([`parallel`]); with one (the playground,
/// single-threaded), they are cloned into it and kept for the next round (a one-off read
/// of a 40,000-pod dump spent a third of its time copying and dropping that copy).
fn parse_files_with(files: &[SourceFile], mut cache: Option<&mut ParseCache>) -> (Vec<RawObject>, Vec<Diagnostic>) {
    // The limits first and in order: whether a file is read depends on the files before it.
    let mut read = 0;
    let admitted: Vec<(&SourceFile, Result<bool, Diagnostic>)> = files
        .iter()
        .map(|file| {
            let json = is_json(&file.name, &file.text);
            (
                file,
                limits::check_size(&file.name, &file.text, json, &mut read).map_or(Ok(json), Err),
            )
        })
        .collect();
    let mut round = cache.as_deref_mut().map(|cache| Round {
        previous: std::mem::take(&mut cache.documents),
        next: HashMap::new(),
    });
    let parsed = parallel::map_in_order(admitted, round.as_mut(), |(file, json), round| match json {
        Ok(json) => parse_file(file, json, round),
        Err(too_large) => (Vec::new(), vec![too_large]),
    });
    if let (Some(cache), Some(round)) = (cache, round) {
        cache.documents = round.next;
    }
    let (mut objects, mut diags) = (Vec::new(), Vec::new());
    for (mut o, mut d) in parsed {
        objects.append(&mut o);
        diags.append(&mut d);
    }
    (objects, diags)
}

/// A round of [`parse_files_cached`]: what the previous round parsed, and what this one did.
struct Round {
    previous: HashMap<DocumentKey, (Vec<RawObject>, Vec<Diagnostic>)>,
    next: HashMap<DocumentKey, (Vec<RawObject>, Vec<Diagnostic>)>,
}

/// One file's objects and diagnostics: its documents read in parallel natively, or taken
/// from the cache's previous round when it has them.
fn parse_file(file: &SourceFile, json: bool, round: Option<&mut Round>) -> (Vec<RawObject>, Vec<Diagnostic>) {
    let name: Arc<str> = Arc::from(file.name.as_str());
    let body = without_bom(&file.text);
    // Each document's text is cut out on the thread that parses it: copied one after
    // another, the documents of a 12 MB file were ≈ 5 % of a focused list's CPU at
    // 20,000 workloads, all on one thread.
    let parsed = parallel::map_in_order(parts(body, json), round, |part, mut round| {
        let Some((start_line, text)) = part_text(body, &part) else {
            return (Vec::new(), Vec::new());
        };
        let key = DocumentKey {
            file: name.clone(),
            start_line,
            text,
        };
        let cached = round.as_deref_mut().and_then(|round| round.previous.remove(&key));
        let parsed = cached.unwrap_or_else(|| {
            let doc = Document {
                file: name.clone(),
                start_line,
                text: key.text.clone(),
            };
            let (mut o, mut d) = (Vec::new(), Vec::new());
            parse_document(doc, json, &mut o, &mut d);
            (o, d)
        });
        match round {
            // The same document twice in one round (copies of a file) is parsed once.
            Some(round) => round.next.entry(key).or_insert(parsed).clone(),
            None => parsed,
        }
    });
    let (mut objects, mut diags) = (Vec::new(), Vec::new());
    for (o, mut d) in parsed {
        objects.extend(o.into_iter().map(|o| place_in(o, file)));
        diags.append(&mut d);
    }
    if objects.is_empty() && diags.is_empty() {
        diags.push(no_object(file));
    }
    (objects, diags)
}

/// NP0007 for a file that holds no object and nothing wrong.
fn no_object(file: &SourceFile) -> Diagnostic {
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
    Diagnostic::new("NP0007", msg).at(&Location::new(&file.name, 1, 1))
}

/// Whether a file is read as JSON: a `.json` name, or text that reads as JSON (such as
/// `kubectl get -o json` piped to stdin).
fn is_json(name: &str, text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    is_json_name(name) || syntax::reads_as_json(text)
}

fn is_json_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json")
}

/// One document of a YAML stream as byte ranges of its text: the separator line that
/// opened it (`---`, possibly with content after it, or `...`; empty for the first
/// document) and the lines after it up to the next separator. The separators and bodies
/// of all documents, in order, are the whole text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSpan {
    pub separator: Range<usize>,
    pub body: Range<usize>,
    /// 0-based line of the separator (of the body, for the first document).
    pub line: usize,
}

impl DocumentSpan {
    /// Whether the separator is `---` (a document start), not `...` or none.
    pub fn starts_with_marker(&self, text: &str) -> bool {
        is_document_start(&text[self.separator.clone()])
    }
}

/// A `---` line, possibly with content after it (`--- {a: 1}`).
pub fn is_document_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.chars().next().is_none_or(char::is_whitespace))
}

/// The documents of a YAML stream, split at `---` and `...` lines (see [`DocumentSpan`]).
pub fn document_spans(text: &str) -> Vec<DocumentSpan> {
    let mut spans = Vec::new();
    let mut separator = 0..0;
    let mut line = 0;
    let mut body_start = 0;
    let mut offset = 0;
    for (no, l) in text.split_inclusive('\n').enumerate() {
        if is_document_start(l) || l.trim_end() == "..." {
            spans.push(DocumentSpan {
                separator,
                body: body_start..offset,
                line,
            });
            separator = offset..offset + l.len();
            line = no;
            body_start = offset + l.len();
        }
        offset += l.len();
    }
    spans.push(DocumentSpan {
        separator,
        body: body_start..text.len(),
        line,
    });
    spans
}

/// Splits a file into documents: `(first line, text)`. YAML documents are separated by
/// `---` lines; the separator line is kept blank in the next document so that line
/// numbers inside a document stay aligned with the file. JSON ([`is_json`]) is one
/// document, which may hold several values.
#[cfg(test)]
fn split_documents(text: &str, json: bool) -> Vec<(usize, Arc<str>)> {
    let text = without_bom(text);
    parts(text, json)
        .iter()
        .filter_map(|part| part_text(text, part))
        .collect()
}

fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Where a document of a file is, before its text is cut out ([`part_text`]).
enum Part {
    /// A JSON file: one document.
    Whole,
    Yaml(DocumentSpan),
}

fn parts(text: &str, json: bool) -> Vec<Part> {
    if json {
        return vec![Part::Whole];
    }
    document_spans(text).into_iter().map(Part::Yaml).collect()
}

/// The first line and text of a document of `text` (a file without its byte order
/// mark); `None` for a YAML document without content, which is not read.
fn part_text(text: &str, part: &Part) -> Option<(usize, Arc<str>)> {
    match part {
        Part::Whole => Some((0, Arc::from(text))),
        Part::Yaml(span) => {
            let doc = document_text(text, span);
            has_content(&doc).then(|| (span.line, Arc::from(doc)))
        }
    }
}

/// The text parsed for one document: its body, with the separator line kept blank.
fn document_text(text: &str, span: &DocumentSpan) -> String {
    let separator = &text[span.separator.clone()];
    let body = &text[span.body.clone()];
    let mut doc = String::with_capacity(separator.len() + body.len());
    if is_document_start(separator) {
        // Keep what follows `---` on the same line (`--- {a: 1}`), at its column.
        doc.push_str("   ");
        doc.push_str(&separator[3..]);
    } else if !separator.is_empty() {
        doc.push('\n');
    }
    doc.push_str(body);
    doc
}

/// A document of only blank lines, comments and directives is not read.
fn has_content(doc: &str) -> bool {
    doc.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
    })
}

/// An object that names no namespace is in the file's (`-n`), when it has one.
fn place_in(mut o: RawObject, file: &SourceFile) -> RawObject {
    if o.namespace.is_none() && !is_cluster_scoped(&o.kind) {
        o.namespace.clone_from(&file.namespace);
    }
    o
}

/// One document edited: what it parsed to before and after.
pub struct DocumentEdit {
    /// 0-based line of the file where the document starts, before and after.
    pub start_line: usize,
    /// Objects and diagnostics as [`parse_files`] gives them for the document.
    pub before: (Vec<RawObject>, Vec<Diagnostic>),
    pub after: (Vec<RawObject>, Vec<Diagnostic>),
}

/// When `new` is `old` (same name and namespace) with the text of one YAML document
/// changed and every document starting on the line it started on, that document parsed
/// in both versions; `None` otherwise (nothing or more changed, lines moved, JSON). An
/// editor's kept evaluation then reads one document instead of splitting and looking up
/// every one (parsing depends on nothing but a document's file, first line and text).
pub fn edited_document(old: &SourceFile, new: &SourceFile) -> Option<DocumentEdit> {
    if old.name != new.name || old.namespace != new.namespace || is_json_name(&new.name) {
        return None;
    }
    let bom = |t: &'_ str| t.strip_prefix('\u{feff}').is_some();
    let (a, b) = (old.text.as_str(), new.text.as_str());
    if bom(a) || bom(b) || syntax::reads_as_json(a) || syntax::reads_as_json(b) {
        return None;
    }
    let (spans_a, spans_b) = (document_spans(a), document_spans(b));
    if spans_a.len() != spans_b.len() {
        return None;
    }
    let whole = |s: &DocumentSpan| s.separator.start..s.body.end;
    let mut changed = spans_a
        .iter()
        .zip(&spans_b)
        .filter(|(x, y)| x.line != y.line || a.get(whole(x)) != b.get(whole(y)));
    let (x, y) = changed.next()?;
    if changed.next().is_some() || x.line != y.line {
        return None;
    }
    let parse = |file: &SourceFile, text: &str, span: &DocumentSpan| {
        let doc_text = document_text(text, span);
        let (mut objects, mut diags) = (Vec::new(), Vec::new());
        if has_content(&doc_text) {
            let doc = Document {
                file: Arc::from(file.name.as_str()),
                start_line: span.line,
                text: Arc::from(doc_text),
            };
            parse_document(doc, false, &mut objects, &mut diags);
        }
        let objects = objects.into_iter().map(|o| place_in(o, file)).collect();
        (objects, diags)
    };
    Some(DocumentEdit {
        start_line: x.line,
        before: parse(old, a, x),
        after: parse(new, b, y),
    })
}

/// Whether `files` are within the limits of [`limits::check_size`] (no file skipped for
/// its size).
pub fn within_size_limits(files: &[SourceFile]) -> bool {
    let mut read = 0;
    files
        .iter()
        .all(|f| limits::check_size(&f.name, &f.text, is_json(&f.name, &f.text), &mut read).is_none())
}

fn parse_document(doc: Document, json: bool, objects: &mut Vec<RawObject>, diags: &mut Vec<Diagnostic>) {
    let (values, error) = if json {
        syntax::parse_json_stream(&doc)
    } else {
        syntax::parse_yaml(&doc)
    };
    for parsed in values {
        objects::collect_document(&parsed.doc, parsed.value, objects, diags);
    }
    diags.extend(error);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> (Vec<RawObject>, Vec<Diagnostic>) {
        parse_files(&[SourceFile::new(name, text)])
    }

    #[test]
    fn errors_after_lone_carriage_returns_are_at_lines_of_the_file() {
        // libyaml breaks lines at a lone `\r` (and NEL, LS, PS) as YAML does; netplay
        // numbers lines by `\n`, as editors and the CLI's excerpts do. Found by the
        // `assertions` fuzz target: an error was put at line 52 of a 13-line file.
        let text = "a: 1\r\r\r\r\nkind: x\u{2028}\u{2028}\nb: {c: [1\nd: e: f\n";
        let (_, diags) = parse("cr.yaml", text);
        let d = diags.iter().find(|d| d.code == "NP0001").expect("a syntax error");
        assert_eq!(d.line, Some(4), "{d:?}");
        assert_eq!(syntax::line_of_yaml_line(text, 5), 2);
        assert_eq!(syntax::line_of_yaml_line(text, 8), 3);
        assert_eq!(syntax::line_of_yaml_line(text, 100), 5);
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
                // A top-level sequence is read item by item: two numbers.
                ("NP0004", Some(3)),
                ("NP0004", Some(4)),
                ("NP0004", Some(6)),
                ("NP0004", Some(8))
            ]
        );
    }

    fn kinds(objs: &[RawObject]) -> Vec<String> {
        objs.iter()
            .map(|o| format!("{} {} {}:{}", o.api_version, o.kind, o.name, o.loc.line))
            .collect()
    }

    #[test]
    fn typed_lists_give_their_items_kind_and_api_version() {
        // `kubectl get --raw /api/v1/pods` and `/apis/apps/v1/deployments`.
        let pods = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[
{"metadata":{"name":"a","namespace":"x"},"spec":{}},
{"metadata":{"name":"b","namespace":"x"},
 "spec":{"containers":[{"name":"c","ports":[{"containerPort":"oops"}]}]}}]}
{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[{"metadata":{"name":"d"}}]}"#;
        let (objs, diags) = parse("<stdin>", pods);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(kinds(&objs), ["v1 Pod a:2", "v1 Pod b:3", "apps/v1 Deployment d:5"]);
        // Fields of an item are located inside that item.
        let path = [
            PathSeg::key("spec"),
            PathSeg::key("containers"),
            PathSeg::Index(0),
            PathSeg::key("ports"),
        ];
        assert_eq!(objs[1].locate(&path).line, 4);
        assert_eq!(objs[0].value["kind"], "Pod");
        // The same as YAML, as `kubectl get --raw ... | yq -P` writes it.
        let yaml = "kind: NamespaceList\napiVersion: v1\nmetadata: {}\nitems:\n- metadata:\n    name: x\n    labels: {team: a}\n- metadata:\n    name: y\n";
        let (objs, diags) = parse("ns.yaml", yaml);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(kinds(&objs), ["v1 Namespace x:5", "v1 Namespace y:8"]);
        assert_eq!(
            objs[0].locate(&[PathSeg::key("metadata"), PathSeg::key("labels")]).line,
            7
        );
    }

    #[test]
    fn generic_list_items_need_their_own_kind() {
        let yaml = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- metadata: {name: b}\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        let (objs, diags) = parse("all.yaml", yaml);
        assert_eq!(kinds(&objs), ["v1 Pod a:3"]);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!((diags[0].code, diags[0].line), ("NP0004", Some(6)));
        assert!(
            diags[0].help.as_deref().is_some_and(|h| h.contains("generic `List`")),
            "{:?}",
            diags[0]
        );
    }

    #[test]
    fn empty_and_null_lists_and_top_level_arrays() {
        let (objs, diags) = parse(
            "l.yaml",
            "apiVersion: v1\nkind: PodList\nitems: null\n---\napiVersion: v1\nkind: List\nmetadata: {}\n",
        );
        // Empty lists are no error; the file just holds no object (NP0007, info).
        assert!(objs.is_empty(), "{objs:?}");
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["NP0007"]);
        let (_, diags) = parse("l.yaml", "apiVersion: v1\nkind: PodList\nitems: {a: 1}\n");
        assert_eq!(diags[0].code, "NP0004");
        let json = "[\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}},\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}\n]";
        let (objs, diags) = parse("pods.json", json);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(kinds(&objs), ["v1 Pod a:2", "v1 Pod b:3"]);
        let (objs, _) = parse("pods.yaml", "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n");
        assert_eq!(kinds(&objs), ["v1 Pod a:1", "v1 Pod b:4"]);
    }

    #[test]
    fn json_streams_crlf_bom_and_helm_output() {
        // Concatenated `kubectl get -o json` output on stdin, with CRLF line ends.
        let stream = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\r\n\"metadata\":{\"name\":\"a\"}}\r\n{\"apiVersion\":\"v1\",\r\n\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}\r\n";
        let (objs, diags) = parse("<stdin>", stream);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(kinds(&objs), ["v1 Pod a:1", "v1 Pod b:3"]);
        let helm = "\u{feff}---\r\n# Source: app/templates/ns.yaml\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: app\r\n---\r\n# Source: app/templates/empty.yaml\r\n---\r\n--- # Source: app/templates/pod.yaml\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n  namespace: app\r\n";
        let (objs, diags) = parse("helm.yaml", helm);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(kinds(&objs), ["v1 Namespace app:3", "v1 Pod p:11"]);
        assert_eq!(
            objs[1]
                .locate(&[PathSeg::key("metadata"), PathSeg::key("namespace")])
                .line,
            15
        );
        // Flow YAML that is not JSON is still YAML.
        let (objs, diags) = parse("<stdin>", "{apiVersion: v1, kind: Pod, metadata: {name: a}}\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(kinds(&objs), ["v1 Pod a:1"]);
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
