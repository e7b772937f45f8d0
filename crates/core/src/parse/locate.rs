//! Finds the line of a field inside a YAML or JSON document, given its path.
//!
//! serde_yaml does not expose positions, so this works on the text: block YAML by
//! indentation (keys at a column, sequence items at a dash column), flow YAML and JSON by
//! searching the keys in order. It never fails: a path it cannot follow resolves to the
//! deepest part it found, at worst the document's first line.

use std::fmt;

/// One step of a path into a document.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

impl PathSeg {
    pub fn key(k: &str) -> PathSeg {
        PathSeg::Key(k.to_string())
    }
}

/// Formats a path the way users read it: `spec.ingress[0].ports[1].port`.
pub struct DisplayPath<'a>(pub &'a [PathSeg]);

impl fmt::Display for DisplayPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) if i == 0 => write!(f, "{k}")?,
                PathSeg::Key(k) => write!(f, ".{k}")?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

struct Line<'a> {
    /// 0-based line number within the document.
    no: usize,
    indent: usize,
    /// Column of the first dash of a sequence item on this line, if any.
    first_dash: Option<usize>,
    /// Column where the content after any `- ` prefixes starts.
    key_col: usize,
    rest: &'a str,
}

/// The first `limit` lines that hold content: callers that only need the first (is the
/// document flow style? where does it start?) must not split a 150 MB pod dump into lines.
fn content_lines(text: &str, limit: usize) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (no, raw) in text.lines().enumerate() {
        if out.len() == limit {
            break;
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let mut rest = &raw[indent..];
        if rest.trim().is_empty() || rest.starts_with('#') {
            continue;
        }
        let mut col = indent;
        let mut first_dash = None;
        while rest.starts_with('-') && (rest.len() == 1 || rest[1..].starts_with([' ', '\t'])) {
            first_dash.get_or_insert(col);
            let after = &rest[1..];
            let trimmed = after.trim_start();
            col += 1 + (after.len() - trimmed.len());
            rest = trimmed;
        }
        out.push(Line {
            no,
            indent,
            first_dash,
            key_col: col,
            rest,
        });
    }
    out
}

/// Whether a document whose first content line is `first` is in flow style (JSON, or
/// `{...}` YAML).
fn is_flow(first: &Line) -> bool {
    first.rest.starts_with('{') || first.rest.starts_with('[')
}

fn key_matches(rest: &str, key: &str) -> bool {
    let after = if let Some(r) = rest.strip_prefix(key) {
        r
    } else if let Some(r) = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_prefix(key))
        .and_then(|r| r.strip_prefix('"'))
    {
        r
    } else if let Some(r) = rest
        .strip_prefix('\'')
        .and_then(|r| r.strip_prefix(key))
        .and_then(|r| r.strip_prefix('\''))
    {
        r
    } else {
        return false;
    };
    let after = after.trim_start_matches([' ', '\t']);
    after.starts_with(':') && (after.len() == 1 || after[1..].starts_with([' ', '\t']))
}

/// The 0-based line (within `text`) of the value at `path`, or of the deepest part of the
/// path that could be followed.
pub fn locate_line(text: &str, path: &[PathSeg]) -> usize {
    // Every object is located at its start: that needs its first line only.
    let limit = if path.is_empty() { 1 } else { usize::MAX };
    DocumentLines::split(text, limit).locate_line(path)
}

/// A document's content lines, split once to locate several of its fields: a
/// NetworkPolicy locates each of its rules, peers and ports, and splitting the document
/// again for each was a third of compiling one in the browser's first evaluation.
pub struct DocumentLines<'a> {
    text: &'a str,
    lines: Vec<Line<'a>>,
    /// A flow document (JSON, `{...}` YAML) is searched as text, and only its first line
    /// is split.
    flow: bool,
}

impl<'a> DocumentLines<'a> {
    pub fn new(text: &'a str) -> Self {
        Self::split(text, usize::MAX)
    }

    /// The first `limit` content lines of `text`.
    fn split(text: &'a str, limit: usize) -> Self {
        let mut lines = content_lines(text, 1);
        let flow = lines.first().is_some_and(is_flow);
        if !flow && !lines.is_empty() && limit > 1 {
            lines = content_lines(text, limit);
        }
        DocumentLines { text, lines, flow }
    }

    /// As [`locate_line`].
    pub fn locate_line(&self, path: &[PathSeg]) -> usize {
        let Some(first) = self.lines.first() else {
            return 0;
        };
        if self.flow {
            return locate_flow(self.text, path);
        }
        if path.is_empty() {
            return first.no;
        }
        follow_block(&self.lines, path).0
    }
}

/// Follows `path` through block YAML: the line of the deepest part found, and the lines
/// of the value at `path` when the whole path could be followed.
fn follow_block<'l, 'a>(lines: &'l [Line<'a>], path: &[PathSeg]) -> (usize, Option<&'l [Line<'a>]>) {
    let Some(first) = lines.first() else { return (0, None) };
    let mut found = first.no;
    let mut scope: &[Line] = lines;
    for seg in path {
        let Some(head) = scope.first() else {
            return (found, None);
        };
        match seg {
            PathSeg::Key(key) => {
                let col = head.key_col;
                let Some(idx) = scope.iter().position(|l| l.key_col == col && key_matches(l.rest, key)) else {
                    // Maybe the rest of the path is in flow style on one line.
                    return (found, None);
                };
                found = scope[idx].no;
                let mut end = idx + 1;
                while end < scope.len() {
                    let l = &scope[end];
                    if l.indent > col || (l.indent == col && l.first_dash == Some(col)) {
                        end += 1;
                    } else {
                        break;
                    }
                }
                scope = &scope[idx + 1..end];
            }
            PathSeg::Index(i) => {
                let Some(dash) = head.first_dash else {
                    return (found, None);
                };
                let items: Vec<usize> = scope
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.indent == dash && l.first_dash == Some(dash))
                    .map(|(k, _)| k)
                    .collect();
                let Some(&start) = items.get(*i) else {
                    return (found, None);
                };
                let end = items.get(i + 1).copied().unwrap_or(scope.len());
                found = scope[start].no;
                // The item's own line keeps its key at `key_col`; later lines are indented
                // to that column, so the item scope reads like a mapping at `key_col`.
                scope = &scope[start..end];
            }
        }
    }
    (found, Some(scope))
}

/// The items of the sequence at `path` of a document, each as the byte range of its
/// text, found in one pass (callers read thousands of list items, so locating each item
/// from the start of the document would be quadratic). Block YAML items start at their
/// dash and end where the next item (or the sequence) ends; flow and JSON items are the
/// exact text of the value. `None` when the value at `path` is not a sequence this can
/// follow; callers then locate items one by one.
pub fn sequence_items(text: &str, path: &[PathSeg]) -> Option<Vec<std::ops::Range<usize>>> {
    if is_flow(&content_lines(text, 1).pop()?) {
        return flow_sequence_items(text, path);
    }
    let lines = content_lines(text, usize::MAX);
    let (_, scope) = follow_block(&lines, path);
    let scope = scope?;
    let dash = scope.first()?.first_dash?;
    let starts: Vec<usize> = scope
        .iter()
        .filter(|l| l.indent == dash && l.first_dash == Some(dash))
        .map(|l| l.no)
        .collect();
    // The sequence's last content line ends it: what follows (`kind: List` after the items
    // in kubectl's output) is not part of the last item.
    let end_line = scope.last()?.no + 1;
    let offsets = line_offsets(text);
    let at = |line: usize| offsets.get(line).copied().unwrap_or(text.len());
    let mut items = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(end_line);
        items.push(at(start)..at(end));
    }
    Some(items)
}

/// Byte offset of the start of each line.
fn line_offsets(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn flow_sequence_items(text: &str, path: &[PathSeg]) -> Option<Vec<std::ops::Range<usize>>> {
    let mut walker = FlowWalker {
        b: text.as_bytes(),
        i: 0,
    };
    for seg in path {
        walker.enter(seg)?;
    }
    walker.eat(b'[')?;
    let mut items = Vec::new();
    walker.ws();
    if walker.peek()? == b']' {
        return Some(items);
    }
    loop {
        walker.ws();
        let start = walker.i;
        walker.skip_value(0)?;
        items.push(start..walker.i);
        walker.ws();
        match walker.peek()? {
            b',' => walker.i += 1,
            b']' => return Some(items),
            _ => return None,
        }
    }
}

/// Flow style (JSON, or `{...}` YAML): walk the structure, following keys and indices.
/// Where the walk cannot go on (unquoted YAML keys, a missing key), the deepest position
/// reached counts.
fn locate_flow(text: &str, path: &[PathSeg]) -> usize {
    let mut walker = FlowWalker {
        b: text.as_bytes(),
        i: 0,
    };
    walker.ws();
    let mut found = walker.i;
    for seg in path {
        match walker.enter(seg) {
            Some(pos) => found = pos,
            None => break,
        }
    }
    text[..found.min(text.len())].matches('\n').count()
}

struct FlowWalker<'a> {
    b: &'a [u8],
    i: usize,
}

impl FlowWalker<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string starting at the current position; returns its raw contents.
    fn string(&mut self) -> Option<&[u8]> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => {
                    self.i = j + 1;
                    return Some(&self.b[start..j]);
                }
                _ => j += 1,
            }
        }
        None
    }

    fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > 256 {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.eat(b':')?;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                while self.i < self.b.len() && !matches!(self.b[self.i], b',' | b'}' | b']' | b'\n') {
                    self.i += 1;
                }
                Some(())
            }
        }
    }

    /// Moves to the value at `seg` of the current value; returns the position of the key
    /// (or of the item).
    fn enter(&mut self, seg: &PathSeg) -> Option<usize> {
        match seg {
            PathSeg::Key(key) => {
                self.eat(b'{')?;
                loop {
                    self.ws();
                    let at = self.i;
                    let k = self.string()?;
                    let hit = k == key.as_bytes();
                    self.eat(b':')?;
                    if hit {
                        self.ws();
                        return Some(at);
                    }
                    self.skip_value(0)?;
                    self.ws();
                    if self.peek()? != b',' {
                        return None;
                    }
                    self.i += 1;
                }
            }
            PathSeg::Index(n) => {
                self.eat(b'[')?;
                for _ in 0..*n {
                    self.skip_value(0)?;
                    self.eat(b',')?;
                }
                self.ws();
                (self.peek()? != b']').then_some(self.i)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> Vec<PathSeg> {
        path.split('.')
            .flat_map(|part| {
                let mut segs = Vec::new();
                let (key, idx) = match part.split_once('[') {
                    Some((k, rest)) => (k, Some(rest.trim_end_matches(']').parse().unwrap())),
                    None => (part, None),
                };
                if !key.is_empty() {
                    segs.push(PathSeg::key(key));
                }
                if let Some(i) = idx {
                    segs.push(PathSeg::Index(i));
                }
                segs
            })
            .collect()
    }

    const DOC: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: a}
    - namespaceSelector: {}
    ports:
    - port: 80
  - ports:
      - protocol: UDP
        port: dns
  egress: []
";

    #[test]
    fn block_yaml_paths() {
        assert_eq!(locate_line(DOC, &p("spec.podSelector")), 5);
        assert_eq!(locate_line(DOC, &p("spec.ingress[0]")), 7);
        assert_eq!(locate_line(DOC, &p("spec.ingress[0].from[1].namespaceSelector")), 10);
        assert_eq!(locate_line(DOC, &p("spec.ingress[0].ports[0].port")), 12);
        assert_eq!(locate_line(DOC, &p("spec.ingress[1].ports[0].port")), 15);
        assert_eq!(locate_line(DOC, &p("spec.ingress[1].ports[0].protocol")), 14);
        assert_eq!(locate_line(DOC, &p("spec.egress")), 16);
        // Missing parts resolve to the deepest part found.
        assert_eq!(locate_line(DOC, &p("spec.ingress[5].from")), 6);
        assert_eq!(locate_line(DOC, &p("metadata.namespace")), 2);
    }

    #[test]
    fn json_paths() {
        let doc = "{\n  \"kind\": \"NetworkPolicy\",\n  \"spec\": {\n    \"podSelector\": {}\n  }\n}\n";
        assert_eq!(locate_line(doc, &p("spec.podSelector")), 3);
        let list = r#"{"kind": "List", "items": [
  {"kind": "Pod", "spec": {"ports": [{"port": 1}]}},
  {"kind": "Pod",
   "spec": {"ports": [{"port": 1}, {"name": "x\"y", "port": 2}]}}
]}"#;
        assert_eq!(locate_line(list, &p("items[0]")), 1);
        assert_eq!(locate_line(list, &p("items[1]")), 2);
        assert_eq!(locate_line(list, &p("items[1].spec.ports[1].port")), 3);
        // A path past the end stops at the deepest part found.
        assert_eq!(locate_line(list, &p("items[1].spec.ports[7].port")), 3);
        assert_eq!(locate_line(list, &p("items[9]")), 0);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for doc in [
            "",
            "-",
            "- - -",
            "a:\n- b:\n  - c",
            "\t\tx: y",
            "'a': 1\n\"b\" : 2",
            "é: -\n  ü:",
        ] {
            let _ = locate_line(doc, &p("a[0].b[3].c"));
            let _ = locate_line(doc, &p("b"));
        }
        assert_eq!(locate_line("'a': 1\n\"b\" : 2", &p("b")), 1);
    }
}
