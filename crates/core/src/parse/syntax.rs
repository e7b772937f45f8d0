//! The text of one document to values: YAML (refusing duplicate keys, as kubectl does)
//! and JSON streams (`kubectl get -o json` of several resources piped together), with
//! syntax errors located in the file.

use super::{limits, Document};
use crate::diagnostics::{Diagnostic, Location};
use serde_json::Value;

/// One value read from a document, with the part of the document it was read from: the
/// whole document for YAML, each value's own text for a JSON stream, so that fields of
/// the second object of a stream are located in the second object.
pub(super) struct Parsed {
    pub value: Value,
    pub doc: Document,
}

/// Parses a YAML document (one value).
pub(super) fn parse_yaml(doc: &Document) -> (Vec<Parsed>, Option<Diagnostic>) {
    match limits::parse_yaml(&doc.text) {
        Ok(value) => (
            vec![Parsed {
                value,
                doc: doc.clone(),
            }],
            None,
        ),
        Err(e) => {
            let text = e.to_string();
            // Scanner errors give a byte offset in the message and no useful location.
            let yaml_line = e.location().map_or(1, |l| l.line());
            let (line, column, text) = match byte_position(&text) {
                Some((pos, cut)) => {
                    let (l, c) = line_col(&doc.text, pos);
                    (l, c, text[..cut].to_string())
                }
                None => {
                    let (l, c) = yaml_error_position(&doc.text, &e);
                    (l, c, text)
                }
            };
            let msg = relocate_message(&text, &doc.text, yaml_line, doc.start_line);
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
}

/// A JSON text may hold several values one after another; the values read before a
/// syntax error are kept. Each value gets the document of its own text.
pub(super) fn parse_json_stream(doc: &Document) -> (Vec<Parsed>, Option<Diagnostic>) {
    let mut values = Vec::new();
    let text: &str = &doc.text;
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut end = 0;
    // Lines are counted as the stream advances, never from the start again.
    let (mut line, mut counted) = (doc.start_line, 0);
    loop {
        let item = stream.next();
        let Some(item) = item else { break };
        match item {
            Ok(value) => {
                let start = end + text[end..].len() - text[end..].trim_start().len();
                end = stream.byte_offset();
                line += text.as_bytes()[counted..start].iter().filter(|&&b| b == b'\n').count();
                counted = start;
                // A document of one value (a whole `kubectl get -o json` dump) is its own
                // text: sharing it saves a copy of up to 256 MiB.
                let whole = start == 0 && text[end..].trim().is_empty();
                let own = Document {
                    file: doc.file.clone(),
                    start_line: line,
                    text: if whole {
                        doc.text.clone()
                    } else {
                        std::sync::Arc::from(&text[start..end.max(start)])
                    },
                };
                values.push(Parsed { value, doc: own });
            }
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

/// Whether a text without a `.json` name is JSON: it starts like JSON and reads as a
/// stream of JSON values to the end. (Flow-style YAML with unquoted keys does not.)
pub(super) fn reads_as_json(text: &str) -> bool {
    let t = text.trim_start();
    if !t.starts_with(['{', '[']) {
        return false;
    }
    let mut stream = serde_json::Deserializer::from_str(t).into_iter::<serde::de::IgnoredAny>();
    let mut any = false;
    for item in stream.by_ref() {
        if item.is_err() {
            return false;
        }
        any = true;
    }
    any
}

/// Where a YAML error is, as 1-based line and column of `text` counted the way netplay
/// counts lines everywhere (by `\n`, as editors and the CLI's source excerpts do).
/// libyaml's own line number also counts a lone `\r`, NEL, LS and PS as line breaks (as
/// YAML does), so a file with those would get a line past its end; its byte index does
/// not depend on that.
pub(crate) fn yaml_error_position(text: &str, e: &serde_yaml::Error) -> (usize, usize) {
    e.location().map_or((1, 1), |l| line_col(text, l.index()))
}

/// The line of `text` (1-based, counted by `\n`) on which libyaml's 1-based line
/// `yaml_line` starts (libyaml also breaks lines at a lone `\r`, NEL, LS and PS); past the
/// end of the text, the line after its last `\n`.
pub(crate) fn line_of_yaml_line(text: &str, yaml_line: usize) -> usize {
    let (mut yaml, mut line) = (1, 1);
    let mut chars = text.chars().peekable();
    while yaml < yaml_line {
        let Some(c) = chars.next() else { break };
        match c {
            '\n' => line += 1,
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                line += 1;
            }
            '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => {}
            _ => continue,
        }
        yaml += 1;
    }
    line
}

/// serde_yaml speaks of lines within the document, numbered as libyaml numbers them. The
/// position of the problem itself (`own_line`, libyaml's) is dropped (the diagnostic
/// carries it); other positions (`while parsing a mapping at line N`) are said as lines
/// of the file.
fn relocate_message(msg: &str, text: &str, own_line: usize, line_offset: usize) -> String {
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
                out.push_str(&(line_of_yaml_line(text, n) + line_offset).to_string());
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
