//! One YAML stream of all files, and the documents a bundle leaves out (Secrets,
//! netplay's own).

use super::paths::sanitize_path;
use crate::parse::{document_spans, is_document_start, SourceFile};
use serde::Serialize;
use std::fmt;

/// The first line that is not blank or a comment: `Some(line)`, or `None` for a file of
/// comments only.
fn first_content_line(text: &str) -> Option<&str> {
    text.lines().find(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// All files as one YAML stream, sorted like a bundle: each file's text as it is
/// (comments kept, nothing re-serialised), preceded by `# Source: <path>` and separated
/// from the previous file by `---`. A file that starts with its own `---` is not given a
/// second one (which would add an empty document); a file that starts with a directive
/// (`%YAML`) is preceded by `...`, which YAML requires before a directive.
pub fn multi_document_yaml(files: &[SourceFile]) -> String {
    let mut sorted: Vec<(String, &str)> = files
        .iter()
        .map(|f| {
            let path = sanitize_path(&f.name).unwrap_or_else(|_| f.name.clone());
            let path: String = path.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
            (path, f.text.strip_prefix('\u{feff}').unwrap_or(&f.text))
        })
        .collect();
    crate::sorting::sort_by(&mut sorted, |a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (i, (path, text)) in sorted.iter().enumerate() {
        let first = first_content_line(text);
        if first.is_some_and(|l| l.starts_with('%')) {
            if i > 0 {
                out.push_str("...\n");
            }
        } else if i > 0 && !first.is_some_and(is_document_start) {
            out.push_str("---\n");
        }
        out.push_str("# Source: ");
        out.push_str(path);
        out.push('\n');
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Secrets

/// A document that [`withhold`] took out of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// The file it was in.
    pub file: String,
    /// The 1-based line where its document starts.
    pub line: usize,
    /// Its kind (`Secret`, `AddressPlan`, `Cluster`, …; `List` for a list holding a Secret).
    pub kind: String,
    /// `namespace/name` for a Secret (`default` when the document names no namespace),
    /// `name` for a cluster-wide document; empty for a `List`.
    pub name: String,
}

impl Withheld {
    /// Why it was withheld, as a sentence end: "a Secret", "netplay's own description".
    pub fn reason(&self) -> &'static str {
        if self.kind == "Secret" || self.kind == "List" {
            "bundles carry no Secrets unless asked"
        } else {
            "netplay's own description, not a Kubernetes object"
        }
    }
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{} {}", self.kind, self.name)
        }
    }
}

/// The API group of netplay's own documents (`AddressPlan`, `Cluster`, …).
pub const NETPLAY_GROUP: &str = "netplay.dev";

/// Whether an `apiVersion` is one of netplay's own (`netplay.dev/…`), which no cluster knows.
pub fn is_netplay_api_version(api_version: &str) -> bool {
    api_version.split('/').next() == Some(NETPLAY_GROUP)
}

/// The files as they go into a bundle, and what was left out.
///
/// A bundle is what goes to a cluster (`kubectl apply -R -f` on the unpacked folder), so
/// netplay's own documents (`apiVersion: netplay.dev/…`, which no cluster knows) are left
/// out, and so are Secrets unless `keep_secrets` (bundles get mailed, shared and
/// committed). Every other document keeps its text byte for byte; a withheld document is
/// replaced by a comment saying so, and a file that held nothing else is left out. A
/// `List` holding a Secret is withheld whole (rewriting its items would re-serialise the
/// user's text). Documents that do not parse are kept: they are not known to be either.
pub fn withhold(files: &[SourceFile], keep_secrets: bool) -> (Vec<SourceFile>, Vec<Withheld>) {
    let mut kept = Vec::with_capacity(files.len());
    let mut withheld = Vec::new();
    for file in files {
        let mut out = String::with_capacity(file.text.len());
        let mut any_kept = false;
        let mut any_withheld = false;
        for span in document_spans(&file.text) {
            let separator = &file.text[span.separator.clone()];
            let body = &file.text[span.body.clone()];
            // 1-based line of the first line after the separator.
            let first_line = if span.separator.is_empty() { 1 } else { span.line + 2 };
            match withheld_document(body, keep_secrets) {
                Some((kind, name)) => {
                    let item = Withheld {
                        file: file.name.clone(),
                        line: first_line,
                        kind,
                        name,
                    };
                    any_withheld = true;
                    out.push_str(separator);
                    let hint = if item.reason().contains("Secret") {
                        " (`netplay bundle --include-secrets` keeps it)"
                    } else {
                        " (the scenario keeps it; a cluster would reject it)"
                    };
                    out.push_str(&format!("# netplay: {item} withheld from the bundle{hint}\n"));
                    withheld.push(item);
                }
                None => {
                    any_kept |= has_content(body);
                    out.push_str(separator);
                    out.push_str(body);
                }
            }
        }
        if !any_withheld {
            kept.push(file.clone());
        } else if any_kept {
            kept.push(SourceFile::new(file.name.clone(), out));
        }
    }
    (kept, withheld)
}

fn has_content(body: &str) -> bool {
    body.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "..."
    })
}

/// `Some((kind, name))` when the document is to be withheld: netplay's own, or (unless
/// `keep_secrets`) a core/v1 Secret or a List holding one.
fn withheld_document(body: &str, keep_secrets: bool) -> Option<(String, String)> {
    if !body.contains(NETPLAY_GROUP) && (keep_secrets || !body.contains("Secret")) {
        return None;
    }
    let value: serde_yaml::Value = serde_yaml::from_str(body).ok()?;
    let text = |v: &serde_yaml::Value, k: &str| v.get(k).and_then(serde_yaml::Value::as_str).map(str::to_string);
    let kind = text(&value, "kind").unwrap_or_default();
    let api_version = text(&value, "apiVersion").unwrap_or_default();
    let meta = |k: &str| value.get("metadata").and_then(|m| text(m, k));
    if is_netplay_api_version(&api_version) {
        return Some((kind, meta("name").unwrap_or_default()));
    }
    if keep_secrets {
        return None;
    }
    let is_secret = |v: &serde_yaml::Value| {
        text(v, "kind").as_deref() == Some("Secret") && text(v, "apiVersion").is_none_or(|a| a == "v1")
    };
    if is_secret(&value) {
        let name = format!(
            "{}/{}",
            meta("namespace").unwrap_or_else(|| "default".to_string()),
            meta("name").unwrap_or_else(|| "?".to_string())
        );
        return Some(("Secret".to_string(), name));
    }
    let items = value.get("items").and_then(serde_yaml::Value::as_sequence)?;
    items.iter().any(is_secret).then(|| ("List".to_string(), String::new()))
}
