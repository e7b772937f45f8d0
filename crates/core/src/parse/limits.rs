//! The limits of reading: how much input netplay reads, how deep a document may nest and
//! how far YAML aliases may expand. Input past a limit costs its file or document and is
//! reported as NP0090 with the limit in the message; nothing else is affected, and nothing
//! reads without bound (a pasted "billion laughs" must not freeze the playground).
//! docs/robustness.md lists every limit of netplay with its reason and test.

use crate::diagnostics::{Diagnostic, Location};
use serde_json::Value;
use std::cell::Cell;

const MIB: u64 = 1024 * 1024;

/// The largest YAML file read. YAML costs far more memory per byte read than JSON:
/// serde_yaml holds every event of a document (each with its own allocations and
/// position) before it builds the value, so this limit is the tighter one
/// (docs/robustness.md, "Limits", has the measured bytes of memory per byte of input).
pub const MAX_FILE_BYTES: u64 = 64 * MIB;
/// The largest JSON file read, as text: a dump of a real cluster (`kubectl get pods -A
/// -o json` of 40,000 pods is 152 MiB, more than half of it indentation) must read. It
/// is also the largest file a bundle may hold (`export::MAX_ENTRY_SIZE`), so that every
/// file that can be read can be bundled; the total ([`MAX_INPUT_BYTES`]) still bounds
/// everything read at once.
pub const MAX_JSON_FILE_BYTES: u64 = 256 * MIB;
/// The most a JSON file may hold without its spaces and line breaks. Memory follows the
/// values, not the indentation: measured, reading costs ≈ 16 bytes of memory per byte
/// of compact JSON (7.5 per byte of kubectl's indented output) against ≈ 22 per byte of
/// YAML, so this bounds a JSON file's memory (≈ 1.5 GiB) about where
/// [`MAX_FILE_BYTES`] bounds YAML's (≈ 1.4 GiB). 40,000 pods are ≈ 60 MiB of it.
pub const MAX_JSON_CONTENT_BYTES: u64 = 96 * MIB;
/// The most text read in one call of `parse_files`, all files together; the files after
/// it are skipped. Also the largest bundle (`export::MAX_TOTAL_SIZE`).
pub const MAX_INPUT_BYTES: u64 = 256 * MIB;
/// The deepest nesting of mappings and lists in a document. It is the recursion limit
/// that serde_yaml and serde_json enforce themselves (128); what is added here is a message
/// that says so. Real manifests nest about 15 levels.
pub const MAX_DEPTH: usize = 128;
/// A YAML document may hold at most this many values (mappings, lists and scalars) after
/// its aliases (`*name`) are expanded, plus [`MAX_NODES_PER_BYTE`] per byte of its text.
pub const BASE_NODES: usize = 100_000;
/// Without aliases a document cannot hold more than one value per two bytes of text, so
/// ten per byte never stops a document for its size; what it stops is aliases that
/// multiply a small text into millions of values (billion laughs, or one large anchor
/// repeated many times, which serde_yaml's own repetition limit lets through).
pub const MAX_NODES_PER_BYTE: usize = 10;
/// The most values any YAML document may expand to, whatever its size.
pub const MAX_NODES: usize = 20_000_000;

/// What a refused document or file is reported as.
pub const CODE: &str = "NP0090";

fn mib(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{bytes} bytes")
    }
}

/// NP0090 for a file over its limit ([`MAX_FILE_BYTES`] for YAML, [`MAX_JSON_FILE_BYTES`]
/// for JSON), or for any file once [`MAX_INPUT_BYTES`] have been read (`read` counts the
/// bytes of the files read so far, this one included when it is read).
pub(super) fn check_size(name: &str, text: &str, json: bool, read: &mut u64) -> Option<Diagnostic> {
    let size = text.len() as u64;
    let at = Location::new(name, 1, 1);
    // A JSON file's content is counted (a pass over its bytes) only when it could be over.
    let (measured, limit, what) = if !json {
        (size, MAX_FILE_BYTES, "a YAML file")
    } else if size > MAX_JSON_CONTENT_BYTES && size <= MAX_JSON_FILE_BYTES {
        let content = text.bytes().filter(|b| !b.is_ascii_whitespace()).count() as u64;
        (
            content,
            MAX_JSON_CONTENT_BYTES,
            "of JSON without spaces and line breaks",
        )
    } else {
        (size, MAX_JSON_FILE_BYTES, "a JSON file")
    };
    if measured > limit {
        return Some(
            Diagnostic::new(
                CODE,
                format!(
                    "the file is too large to read: {} (the limit is {} {what}); it is skipped",
                    mib(measured),
                    mib(limit)
                ),
            )
            .at(&at)
            .help("split it into several files, or leave out what netplay does not need (Events, ConfigMaps, Secrets)"),
        );
    }
    if *read + size > MAX_INPUT_BYTES {
        return Some(
            Diagnostic::new(
                CODE,
                format!(
                    "the input is too large: the files before this one already hold {}, and the limit is {} in all; this file is skipped",
                    mib(*read),
                    mib(MAX_INPUT_BYTES)
                ),
            )
            .at(&at)
            .help("check fewer files at a time"),
        );
    }
    *read += size;
    None
}

thread_local! {
    /// The values the document being deserialized may still produce.
    static BUDGET: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The message of the error that stops a document at its budget; [`limit_message`] knows it.
const NODES_EXCEEDED: &str = "netplay: value limit exceeded";

/// Parses one YAML document: by the lean reader when the document is in its subset
/// (`fast_yaml`, which gives the same value; it expands no aliases, so it needs no value
/// budget), else by [`parse_yaml_fully`].
pub(super) fn parse_yaml(text: &str) -> Result<Value, serde_yaml::Error> {
    if let Some(value) = super::fast_yaml::parse(text) {
        return Ok(value);
    }
    parse_yaml_fully(text)
}

/// Parses one YAML document with serde_yaml, with the value budget of its size in force.
pub(super) fn parse_yaml_fully(text: &str) -> Result<Value, serde_yaml::Error> {
    let budget = BASE_NODES
        .saturating_add(text.len().saturating_mul(MAX_NODES_PER_BYTE))
        .min(MAX_NODES);
    let outer = BUDGET.with(|b| b.replace(budget));
    let result = serde_yaml::from_str::<StrictValue>(text).map(|v| v.0);
    BUDGET.with(|b| b.set(outer));
    result
}

/// Counts one value against the budget of the document being read; called for every value
/// deserialized, so aliases count each time they are expanded.
pub(super) fn count_value<E: serde::de::Error>() -> Result<(), E> {
    BUDGET.with(|b| match b.get().checked_sub(1) {
        Some(left) => {
            b.set(left);
            Ok(())
        }
        None => Err(E::custom(NODES_EXCEEDED)),
    })
}

/// The NP0090 message for a parser error that is a limit, not a syntax error (serde_yaml
/// and serde_json say "recursion limit exceeded" and "repetition limit exceeded").
pub(super) fn limit_message(error: &str) -> Option<String> {
    if error.contains("recursion limit exceeded") {
        return Some(format!(
            "the document nests mappings and lists more than {MAX_DEPTH} levels deep; it is skipped"
        ));
    }
    if error.contains(NODES_EXCEEDED) || error.contains("repetition limit exceeded") {
        return Some(
            "the document's aliases (`*name`) expand to too many values (an alias bomb, \
             like \"billion laughs\"); it is skipped"
                .to_string(),
        );
    }
    None
}

/// The diagnostic for a parser error that is a limit.
pub(super) fn limit_diagnostic(error: &str, at: &Location) -> Option<Diagnostic> {
    let help = if error.contains("recursion") {
        "Kubernetes objects nest about 15 levels; this looks generated or damaged"
    } else {
        "write the values out instead of repeating aliases of aliases"
    };
    limit_message(error).map(|m| Diagnostic::new(CODE, m).at(at).help(help))
}

/// A value read from YAML that refuses duplicate mapping keys, as kubectl does: with
/// plain deserialisation the last one would silently win.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        count_value()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_files, SourceFile};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fine\n";
    const POD_JSON: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"fine"}}"#;

    fn codes(diags: &[Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.code).collect()
    }

    /// The diagnostics of one file `f.yaml` with `bad` between two good Pods.
    fn between_pods(name: &str, bad: &str) -> (usize, Vec<Diagnostic>) {
        let text = format!("{POD}---\n{bad}\n---\n{}", POD.replace("fine", "also-fine"));
        let (objects, diags) = parse_files(&[SourceFile::new(name, text)]);
        (objects.len(), diags)
    }

    #[test]
    fn a_file_over_the_size_limit_is_skipped_and_named() {
        let big = format!("{POD}#{}\n", "x".repeat(MAX_FILE_BYTES as usize));
        let (objects, diags) = parse_files(&[SourceFile::new("big.yaml", big), SourceFile::new("ok.yaml", POD)]);
        assert_eq!(objects.len(), 1, "the other file is still read");
        assert_eq!(codes(&diags), vec![CODE]);
        assert_eq!(diags[0].file.as_deref(), Some("big.yaml"));
        assert_eq!(diags[0].line, Some(1));
        assert!(
            diags[0].message.contains("64.0 MiB a YAML file"),
            "{}",
            diags[0].message
        );
        // Exactly at the limit is read.
        let at_limit = format!("{POD}#{}\n", "x".repeat(MAX_FILE_BYTES as usize - POD.len() - 2));
        let (objects, diags) = parse_files(&[SourceFile::new("at-limit.yaml", at_limit)]);
        assert_eq!((objects.len(), codes(&diags)), (1, vec![]));
    }

    #[test]
    fn json_is_read_up_to_its_own_limits() {
        // An indented JSON dump over the YAML limit reads: what counts is its content.
        let padding = " ".repeat(MAX_FILE_BYTES as usize + MIB as usize);
        let indented = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"List\",{padding}\"items\":[\n{}]}}",
            POD_JSON
        );
        let (objects, diags) = parse_files(&[SourceFile::new("dump.json", indented)]);
        assert_eq!((objects.len(), codes(&diags)), (1, vec![]));
        // The same content as YAML is over the YAML limit.
        let yaml = format!("{POD}#{padding}\n");
        let (_, diags) = parse_files(&[SourceFile::new("dump.yaml", yaml)]);
        assert!(
            diags[0].message.contains("64.0 MiB a YAML file"),
            "{}",
            diags[0].message
        );
        // Content past its limit is refused, however it is spread.
        let values = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"x\":\"{}\",\"items\":[]}}",
            "y".repeat(MAX_JSON_CONTENT_BYTES as usize)
        );
        let (objects, diags) = parse_files(&[SourceFile::new("big.json", values)]);
        assert_eq!((objects.len(), codes(&diags)), (0, vec![CODE]));
        assert!(
            diags[0].message.contains("96.0 MiB of JSON without spaces"),
            "{}",
            diags[0].message
        );
        // And text past the JSON file limit, before anything is counted.
        let spaces = format!("[{}]", " ".repeat(MAX_JSON_FILE_BYTES as usize));
        let (_, diags) = parse_files(&[SourceFile::new("spaces.json", spaces)]);
        assert!(
            diags[0].message.contains("256.0 MiB a JSON file"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn files_past_the_total_limit_are_skipped() {
        let chunk = format!("{POD}#{}\n", "x".repeat(MAX_FILE_BYTES as usize - POD.len() - 2));
        let files: Vec<SourceFile> = (0..5)
            .map(|i| SourceFile::new(format!("{i}.yaml"), chunk.clone()))
            .collect();
        let (objects, diags) = parse_files(&files);
        // Four files of 64 MiB are the 256 MiB limit; the fifth is one too many.
        assert_eq!(objects.len(), 4);
        assert_eq!(codes(&diags), vec![CODE]);
        let limit = diags.iter().find(|d| d.code == CODE).expect("NP0090");
        assert_eq!(limit.file.as_deref(), Some("4.yaml"));
        assert!(limit.message.contains("256.0 MiB in all"), "{}", limit.message);
    }

    #[test]
    fn nesting_past_the_depth_limit_is_refused_in_yaml_and_json() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let (objects, diags) = between_pods("deep.yaml", &nested(MAX_DEPTH + 10));
        assert_eq!(objects, 2, "the other documents are read");
        assert_eq!(codes(&diags), vec![CODE]);
        assert!(
            diags[0].message.contains("more than 128 levels deep"),
            "{}",
            diags[0].message
        );
        // A JSON stream keeps the objects before the deep value.
        let json = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"a\"}}}}\n{}",
            nested(MAX_DEPTH + 10)
        );
        let (objects, diags) = parse_files(&[SourceFile::new("deep.json", json)]);
        assert_eq!((objects.len(), codes(&diags)), (1, vec![CODE]));
        assert!(
            diags[0].message.contains("more than 128 levels deep"),
            "{}",
            diags[0].message
        );
        // Within the limit it is only "not an object".
        let (_, diags) = between_pods("deep.yaml", &nested(MAX_DEPTH - 10));
        assert_eq!(codes(&diags), vec!["NP0004"]);
        let (_, diags) = parse_files(&[SourceFile::new("deep.json", nested(MAX_DEPTH - 10))]);
        assert_eq!(codes(&diags), vec!["NP0004"]);
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut bomb =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            bomb.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 9].join(",")
            ));
        }
        let (objects, diags) = between_pods("bomb.yaml", &bomb);
        assert_eq!(objects, 2);
        assert_eq!(codes(&diags), vec![CODE]);
        assert!(diags[0].message.contains("billion laughs"), "{}", diags[0].message);
        assert_eq!(diags[0].file.as_deref(), Some("bomb.yaml"));
    }

    #[test]
    fn one_large_anchor_repeated_is_refused_though_serde_yaml_allows_it() {
        // 20,000 aliases of a 20,000-item list: 100 KB of text, 400 million values.
        let items = vec!["1"; 20_000].join(",");
        let aliases = vec!["*a"; 20_000].join(",");
        let bomb = format!("a: &a [{items}]\nb: [{aliases}]\n");
        let (objects, diags) = between_pods("wide.yaml", &bomb);
        assert_eq!(objects, 2);
        assert_eq!(codes(&diags), vec![CODE]);
    }

    #[test]
    fn ordinary_aliases_and_large_documents_are_read() {
        let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: &labels {app: web, tier: front}
  annotations: *labels
";
        let (objects, diags) = parse_files(&[SourceFile::new("a.yaml", text)]);
        assert_eq!((objects.len(), codes(&diags)), (1, vec![]));
        assert_eq!(objects[0].value["metadata"]["annotations"]["tier"], "front");
        // A document of a million values and no aliases is within its budget.
        let list = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{k: [{}]}}\n",
            vec!["1"; 1_000_000].join(",")
        );
        let (objects, diags) = parse_files(&[SourceFile::new("big.yaml", list)]);
        assert_eq!((objects.len(), codes(&diags)), (1, vec![]));
    }

    #[test]
    fn the_budget_is_restored_after_each_document() {
        let _ = parse_yaml("a: 1");
        assert_eq!(BUDGET.with(Cell::get), usize::MAX);
    }
}
