//! A lean reader for the YAML that machine tools write (`kubectl`, Helm, generators):
//! block mappings and sequences, one scalar a line, plain or quoted without escapes, and
//! the empty or one-level flow collections (`{}`, `[Ingress, Egress]`,
//! `{app: web}`). It reads such a document several times faster than serde_yaml, which
//! was most of the time of reading a large cluster (docs/performance.md, "Reading").
//!
//! It is strict: anything it does not fully understand — anchors, aliases, tags, block
//! and multi-line scalars, escapes, comments after values, tabs, non-ASCII text,
//! duplicate keys, a scalar that might be a number or a float it does not read the way
//! serde_yaml does — gives `None`, and the document is read by serde_yaml, which also
//! reports every syntax error. So when it answers, the value is the one serde_yaml gives
//! and there is nothing to report; the property test below checks that on random
//! documents. Scalars follow serde_yaml 0.9's resolution of plain scalars (YAML 1.2's
//! core schema: `null`, `Null`, `NULL`, `~` and empty are null; `true`/`false` in three
//! spellings are booleans; YAML 1.1's `yes`, `on`, … are strings), quoted scalars are
//! strings, and mapping keys are their text.
//!
//! Native only: the WASM build keeps one YAML reader (the download budget).

use serde_json::{Map, Value};

/// Deeper than any manifest and well inside the parsers' recursion limit of 128
/// ([`super::limits::MAX_DEPTH`]), whose error the full parser reports.
const MAX_DEPTH: usize = 64;

/// The value of one YAML document, or `None` when the document is not in the subset.
pub(super) fn parse(text: &str) -> Option<Value> {
    let lines = content_lines(text)?;
    let mut reader = Reader { lines, pos: 0 };
    let first = reader.lines.first()?;
    // A document's text starts with the blanked `---` line (or a line of the file): content
    // there, indented, may be what followed `---` on its line.
    if first.no == 0 && first.indent > 0 {
        return None;
    }
    let value = reader.block(first.indent, 0)?;
    (reader.pos == reader.lines.len()).then_some(value)
}

/// A line with content: its indentation and its text without it (trailing spaces cut).
struct Line<'t> {
    no: usize,
    indent: usize,
    text: &'t str,
}

/// The lines that hold content; `None` for any character outside the subset (tabs,
/// carriage returns and other control characters, non-ASCII text) or a `#` outside a
/// comment line.
fn content_lines(text: &str) -> Option<Vec<Line<'_>>> {
    if !text.bytes().all(|b| b == b'\n' || (b' '..=b'~').contains(&b)) {
        return None;
    }
    let mut lines = Vec::new();
    for (no, line) in text.split('\n').enumerate() {
        let body = line.trim_start_matches(' ');
        let body = body.trim_end_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body.contains('#') || body.starts_with("---") || body.starts_with("...") || body.starts_with('%') {
            return None;
        }
        lines.push(Line {
            no,
            indent: line.len() - line.trim_start_matches(' ').len(),
            text: body,
        });
    }
    Some(lines)
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    pos: usize,
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

impl<'t> Reader<'t> {
    /// The node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        if is_item(self.lines.get(self.pos)?.text) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// The value of a key or item that has nothing after its `:` or `-`: a node on the
    /// next lines, more indented (or, after a key, a sequence at the key's indentation),
    /// else null.
    fn nested(&mut self, indent: usize, after_key: bool, depth: usize) -> Option<Value> {
        let Some(next) = self.lines.get(self.pos) else {
            return Some(Value::Null);
        };
        if next.indent > indent {
            return self.block(next.indent, depth + 1);
        }
        if after_key && next.indent == indent && is_item(next.text) {
            return self.sequence(indent, depth + 1);
        }
        Some(Value::Null)
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || is_item(line.text) {
                break;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = if rest.is_empty() {
                self.nested(indent, true, depth)?
            } else {
                value(rest)?
            };
            if map.insert(key.to_string(), value).is_some() {
                return None;
            }
        }
        self.end_of_block(indent)?;
        Some(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !is_item(line.text) {
                break;
            }
            if line.text == "-" {
                self.pos += 1;
                items.push(self.nested(indent, false, depth)?);
                continue;
            }
            let after = &line.text[1..];
            let content = after.trim_start_matches(' ');
            let column = indent + 1 + (after.len() - content.len());
            if is_item(content) {
                return None;
            }
            if split_key(content).is_some() {
                // `- key: value`: a mapping whose keys are at the column of the first.
                let no = line.no;
                self.lines[self.pos] = Line {
                    no,
                    indent: column,
                    text: content,
                };
                items.push(self.mapping(column, depth + 1)?);
            } else {
                self.pos += 1;
                items.push(value(content)?);
            }
        }
        self.end_of_block(indent)?;
        Some(Value::Array(items))
    }

    /// A block ends at a line less indented than it (or the end); a line more indented
    /// than it is not in the subset (a continued scalar, or misplaced).
    fn end_of_block(&self, indent: usize) -> Option<()> {
        match self.lines.get(self.pos) {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }
}

/// `key: rest` or `key:`, for a key of letters, digits and `._/-` (the keys of
/// Kubernetes objects and labels); `None` for anything else.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let (key, rest) = (&text[..colon], &text[colon + 1..]);
    let key_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
    let first = *key.as_bytes().first()?;
    if !(first.is_ascii_alphanumeric() || first == b'_' || first == b'/') || !key.bytes().all(key_char) {
        return None;
    }
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest.trim_start_matches(' ')))
}

/// A value on the line of its key or dash.
fn value(text: &str) -> Option<Value> {
    match text.as_bytes().first()? {
        b'"' => quoted(text, b'"'),
        b'\'' => quoted(text, b'\''),
        b'[' => flow(text.strip_prefix('[')?.strip_suffix(']')?, false),
        b'{' => flow(text.strip_prefix('{')?.strip_suffix('}')?, true),
        _ if text.contains(": ") || text.ends_with(':') => None,
        _ => plain(text),
    }
}

/// `"text"` or `'text'` alone on the rest of its line, without escapes (`\` in double
/// quotes, `''` in single quotes): the text.
fn quoted(text: &str, quote: u8) -> Option<Value> {
    let inner = &text[1..];
    let end = inner.bytes().position(|b| b == quote)?;
    let (content, after) = (&inner[..end], &inner[end + 1..]);
    if !after.is_empty() || (quote == b'"' && content.contains('\\')) {
        return None;
    }
    Some(Value::String(content.to_string()))
}

/// The inside of a flow collection of plain scalars (`Ingress, Egress` or `app: web`),
/// one level deep; empty for `[]` and `{}`.
fn flow(inner: &str, mapping: bool) -> Option<Value> {
    let inner = inner.trim_matches(' ');
    let mut map = Map::new();
    let mut items = Vec::new();
    if !inner.is_empty() {
        for item in inner.split(',') {
            let item = item.trim_matches(' ');
            if mapping {
                let (key, rest) = split_key(item)?;
                if map.insert(key.to_string(), flow_scalar(rest)?).is_some() {
                    return None;
                }
            } else {
                items.push(flow_scalar(item)?);
            }
        }
    }
    Some(if mapping {
        Value::Object(map)
    } else {
        Value::Array(items)
    })
}

fn flow_scalar(text: &str) -> Option<Value> {
    if text.is_empty()
        || text
            .bytes()
            .any(|b| matches!(b, b'[' | b']' | b'{' | b'}' | b':' | b'"' | b'\''))
    {
        return None;
    }
    plain(text)
}

/// A plain scalar as serde_yaml resolves it, for the scalars whose resolution is plain to
/// see: the null and boolean words, decimal integers without leading zeros, and text
/// that cannot be a number. Anything that might be a float, a hexadecimal, octal or
/// binary integer, or a special float (`.inf`) gives `None`.
fn plain(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    match text {
        "null" | "Null" | "NULL" | "~" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if first.is_ascii_alphabetic() || first == b'/' || first == b'_' {
        // Not a number: Rust's float syntax (which serde_yaml uses) starts a finite
        // number with a digit, a sign or a dot; `inf` and `nan` are not finite.
        return Some(Value::String(text.to_string()));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let decimal = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if decimal {
        let n: u64 = digits.parse().ok()?;
        return Some(if negative {
            Value::from(-i64::try_from(n).ok()?)
        } else {
            Value::from(n)
        });
    }
    // Text that starts with a digit and holds a character no number has (`10.0.0.0/8`).
    let numeric = |b: u8| b.is_ascii_hexdigit() || matches!(b, b'x' | b'X' | b'o' | b'O' | b'.' | b'+' | b'-');
    if first.is_ascii_digit() && !bytes.iter().all(|&b| numeric(b)) {
        return Some(Value::String(text.to_string()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full(text: &str) -> Option<Value> {
        crate::parse::limits::parse_yaml_fully(text).ok()
    }

    #[test]
    fn machine_written_documents_are_read() {
        let doc = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
# a comment line
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: main
        image: \"nginx:1.27\"
        ports:
        - containerPort: 8080
          protocol: TCP
        args: [serve, port]
        command: 'sh'
        env: []
      nodeSelector: {}
  policyTypes: [Ingress, Egress]
  cidr: 10.0.0.0/8
  empty:
  offset: -5
  yes: no
  t: true
  n: ~
";
        let fast = parse(doc).expect("in the subset");
        assert_eq!(Some(fast.clone()), full(doc));
        assert_eq!(
            fast["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
            8080
        );
        assert_eq!(fast["spec"]["yes"], "no");
    }

    #[test]
    fn what_the_subset_leaves_to_serde_yaml() {
        for doc in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: \"esc\\n\"\n",
            "a: 1 # comment\n",
            "a: 0x1f\n",
            "a: 1.5\n",
            "a: 1e3\n",
            "a: .inf\n",
            "a: 0o17\n",
            "a: 017\n",
            "a: 1.2.3.4\n",
            "a:\tb\n",
            "a: é\n",
            "a: 1\na: 2\n",
            "a: b\n  c\n",
            "a: [1, [2]]\n",
            "a: {b: {c: 1}}\n",
            "- - a\n",
            "   a: 1\n",
            "\"a\": 1\n",
        ] {
            assert_eq!(parse(doc), None, "{doc:?}");
        }
    }

    /// Every YAML document of the example library and the test scenarios, as people and
    /// tools wrote them: what the subset reads, serde_yaml reads to the same value.
    #[test]
    fn the_repository_s_manifests_read_the_same() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() && !path.ends_with("node_modules") {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["manifests", "tests", "crates/cli/tests/inputs"] {
            walk(&root.join(dir), &mut files);
        }
        let (mut documents, mut read) = (0, 0);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for (_, doc) in crate::parse::split_documents(&text, false) {
                documents += 1;
                if let Some(value) = parse(&doc) {
                    read += 1;
                    assert_eq!(Some(value), full(&doc), "{}:\n{doc}", file.display());
                }
            }
        }
        assert!(
            documents > 100 && read * 2 > documents,
            "{read} of {documents} documents read"
        );
    }

    /// A scalar of one of the shapes the subset reads or must refuse: words that resolve
    /// to null or booleans, YAML 1.1 booleans, numbers of every base and form, text
    /// starting with a digit, quoted text with and without escapes, indicators.
    fn arb_scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => prop::sample::select(vec![
                "null", "Null", "NULL", "~", "nULL", "true", "True", "TRUE", "tRUE", "false", "FALSE", "yes", "No",
                "on", "OFF", "y", "n", "inf", "nan", "NaN", ".inf", "-.inf", ".NaN", "+.inf", "Infinity", "0", "-0",
                "+0", "00", "007", "-007", "12", "+12", "-12", "1_000", "0x1F", "0xg", "-0x1F", "0o17", "0o8", "0b101",
                "0b2", "1.5", "-1.5", ".5", "5.", "1e3", "1E-3", "-1e+3", "1e400", "1.2.3.4", "10.0.0.0/8",
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
                "123456789012345678", "1234567890123456789", "1-2", "1a", "1 2", "1:2", "a:b", "a b", "/path",
                "_x", "-x", "-", "?x", ":x", ",x", "x,y", "x]", "x}", "x[1]", "@x", "`x", "%x", "!x", "&x", "*x",
                "|", ">", "x|y", "\"q\"", "\"q\\\"\"", "\"a\\nb\"", "\"a'b\"", "'s'", "'it''s'", "'a\"b'", "\"\"",
                "''", "\"x\" y", "'x' y", "\"open", "[]", "{}", "[a, b]", "[a,b]", "[ a ]", "[a, ]", "[,]", "{a: b}",
                "{a: 1, b: true}", "{a: b, a: c}", "{a:b}", "{a}", "[a: b]", "[[a]]", "[\"a\"]", "x # c", "x#c",
                "<<", "=", "a: b", "a:", "é", "x\ty",
            ])
            .prop_map(str::to_string),
            3 => "[a-z0-9./_-]{1,8}",
        ]
    }

    fn arb_key() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => prop::sample::select(vec![
                "a", "b", "name", "app.kubernetes.io/name", "true", "null", "yes", "1", "012", "_x", "/x", "-x",
                "a b", "\"q\"", "'s'", "a:b", "?", "<<", "~",
            ])
            .prop_map(str::to_string),
            3 => "[a-c]{1,2}",
        ]
    }

    /// A document of nested block mappings and sequences written with the indentation
    /// choices of machine tools and people (dash at the key's column or indented,
    /// several spaces after a dash), with blank and comment lines and, now and then,
    /// misplaced indentation.
    fn arb_doc() -> impl Strategy<Value = String> {
        #[derive(Clone, Debug)]
        enum Node {
            Scalar(String),
            Map(Vec<(String, Node)>),
            Seq(Vec<Node>),
        }
        let leaf = prop_oneof![arb_scalar().prop_map(Node::Scalar), Just(Node::Scalar(String::new()))];
        let node = leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((arb_key(), inner.clone()), 1..5).prop_map(Node::Map),
                prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
            ]
        });
        fn pick(style: &[u8], at: &mut usize) -> u8 {
            *at += 1;
            style.get(*at % style.len().max(1)).copied().unwrap_or(0)
        }
        fn write(node: &Node, indent: usize, style: &[u8], at: &mut usize, out: &mut String) {
            let pick = |at: &mut usize| pick(style, at);
            match node {
                Node::Scalar(s) => {
                    out.push_str(s);
                    out.push('\n');
                }
                Node::Map(entries) => {
                    for (i, (key, value)) in entries.iter().enumerate() {
                        if i > 0 {
                            let extra = if pick(at) % 17 == 0 { 1 } else { 0 };
                            out.push_str(&" ".repeat(indent + extra));
                        }
                        out.push_str(key);
                        out.push(':');
                        match value {
                            Node::Scalar(s) => {
                                out.push_str(if pick(at) % 9 == 0 { "  " } else { " " });
                                out.push_str(s);
                                out.push('\n');
                            }
                            Node::Seq(_) if pick(at) % 2 == 0 => {
                                out.push('\n');
                                out.push_str(&" ".repeat(indent));
                                write(value, indent, style, at, out);
                            }
                            _ => {
                                out.push('\n');
                                if pick(at) % 11 == 0 {
                                    out.push_str("# note\n\n");
                                }
                                let deeper = indent + 1 + (pick(at) % 3) as usize;
                                out.push_str(&" ".repeat(deeper));
                                write(value, deeper, style, at, out);
                            }
                        }
                    }
                }
                Node::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(&" ".repeat(indent));
                        }
                        let spaces = 1 + (pick(at) % 3) as usize;
                        match item {
                            Node::Scalar(s) if s.is_empty() => out.push_str("-\n"),
                            Node::Scalar(_) | Node::Map(_) => {
                                out.push('-');
                                out.push_str(&" ".repeat(spaces));
                                write(item, indent + 1 + spaces, style, at, out);
                            }
                            Node::Seq(_) => {
                                out.push_str("-\n");
                                let deeper = indent + 2;
                                out.push_str(&" ".repeat(deeper));
                                write(item, deeper, style, at, out);
                            }
                        }
                    }
                }
            }
        }
        (node, prop::collection::vec(any::<u8>(), 1..16), any::<bool>()).prop_map(|(node, style, separator)| {
            let mut out = String::from(if separator { "   \n" } else { "" });
            let mut at = 0;
            write(&node, 0, &style, &mut at, &mut out);
            out
        })
    }

    /// Whenever the subset reads a document, serde_yaml reads it too, to the same value:
    /// reading a document through either gives the same objects and the same
    /// diagnostics (the subset reads no document that has an error to report). At least
    /// a fifth of the random documents must be in the subset, so that the property
    /// says something.
    #[test]
    fn the_subset_reads_what_serde_yaml_reads() {
        use proptest::test_runner::{Config, TestRunner};
        // The counts of the other property tests' `cases(ci, nightly)`
        // (docs/performance.md, "Test suite"): PROPTEST_CASES, else NETPLAY_NIGHTLY.
        let nightly = std::env::var("NETPLAY_NIGHTLY").is_ok_and(|v| !v.is_empty() && v != "0");
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(if nightly { 100_000 } else { 2048 });
        let mut runner = TestRunner::new(Config {
            cases,
            ..Config::default()
        });
        let read = std::cell::Cell::new(0);
        let result = runner.run(&arb_doc(), |doc| {
            if let Some(value) = parse(&doc) {
                read.set(read.get() + 1);
                prop_assert_eq!(Some(value), full(&doc), "{}", doc);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        assert!(
            read.get() * 5 >= cases,
            "only {} of {cases} documents in the subset",
            read.get()
        );
    }
}
