//! The lean reader against serde_yaml: hand-picked documents, the repository's
//! manifests, and random documents.

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
  podIP: 10.244.0.2
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
    assert_eq!(fast["spec"]["podIP"], "10.244.0.2");
}

/// Text longer than 80 columns, as the real kubectl folds it (plain and in single quotes,
/// with a quote inside doubled), is read by the subset, to serde_yaml's value.
#[test]
fn kubectl_folded_text_is_read() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/inputs/kubectl-create");
    for (name, path, expected) in [
        (
            "configmap-long-text.yaml",
            &["data", "message"][..],
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, \
             2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, \
             2 No preemption victims found for incoming pod.",
        ),
        (
            "configmap-long-text.yaml",
            &["data", "note"][..],
            "this is a long plain text value without special characters that goes on and on past eighty columns \
             for sure",
        ),
        (
            "deploy-long-annotation.yaml",
            &["metadata", "annotations", "description"][..],
            "the storefront's web tier: serves the catalogue and the cart to shoppers, talks to the API on port \
             8080 only",
        ),
    ] {
        let text = std::fs::read_to_string(root.join(name)).unwrap_or_default();
        let fast = parse(&text).unwrap_or_else(|| panic!("{name} is not in the subset"));
        assert_eq!(Some(fast.clone()), full(&text), "{name}");
        let value = path.iter().fold(&fast, |v, key| &v[*key]);
        assert_eq!(value, expected, "{name}");
    }
}

/// What the real kubectl writes for `get -o yaml` (Pods, Services, Deployments, lists of
/// them, with their addresses, quantities and timestamps) is read by the subset, to
/// serde_yaml's value: a cluster's dump is read at the lean reader's speed.
#[test]
fn kubectl_get_output_is_in_the_subset() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/inputs/kubectl");
    for name in ["pods.yaml", "all.yaml", "namespaces-and-policies.yaml"] {
        let path = root.join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let fast = parse(&text).unwrap_or_else(|| panic!("{} is not in the subset", path.display()));
        assert_eq!(Some(fast), full(&text), "{}", path.display());
    }
}

#[test]
fn what_the_subset_leaves_to_serde_yaml() {
    for doc in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |+\n  text\n",
        "a: |2\n  text\n",
        "a: >\n  text\n   more\n",
        "a: |\n\nb: 1\n",
        "a: |\n    \n  text\n",
        "a: \"esc\\n\"\n",
        "a: \"x # y\"\n",
        "a: x#y\n",
        "a: 1 # \u{85}\n",
        "# \u{2028}\na: 1\n",
        "a: 0x1f\n",
        "a: 1.5\n",
        "a: 1e3\n",
        "a: .inf\n",
        "a: 0o17\n",
        "a: 017\n",
        "a:\tb\n",
        "a: é\n",
        "a: 1\na: 2\n",
        "a: [1, [2]]\n",
        "a: {b: {c: 1}}\n",
        "- - a\n",
        "   a: 1\n",
        "\"a\": 1\n",
    ] {
        assert_eq!(parse(doc), None, "{doc:?}");
    }
}

/// The YAML files under `dir` (`node_modules` left out), in order.
fn yaml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("node_modules") {
            files.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every YAML document of the example library and the test scenarios, as people and
/// tools wrote them: what the subset reads, serde_yaml reads to the same value.
#[test]
fn the_repository_s_manifests_read_the_same() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files: Vec<_> = ["manifests", "tests", "crates/cli/tests/inputs"]
        .into_iter()
        .flat_map(|dir| yaml_files(&root.join(dir)))
        .collect();
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

/// The first screen's example (the shop: namespaces.yaml, applications/ and
/// network-policies/) is read by the subset whole, so the browser's first evaluation
/// compiles no libyaml (docs/performance.md, "The default scenario's first
/// evaluation"), and to the values serde_yaml gives.
#[test]
fn the_first_screen_s_example_is_in_the_subset() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../manifests");
    let mut files = vec![root.join("namespaces.yaml")];
    for dir in ["applications", "network-policies"] {
        files.extend(yaml_files(&root.join(dir)));
    }
    let mut documents = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (_, doc) in crate::parse::split_documents(&text, false) {
            documents += 1;
            let fast = parse(&doc);
            assert!(fast.is_some(), "{} is not in the subset:\n{doc}", file.display());
            assert_eq!(fast, full(&doc), "{}:\n{doc}", file.display());
        }
    }
    assert!(documents > 40, "{documents} documents");
}

/// What `kubectl create --save-config` writes (the last applied configuration as a `|`
/// block of JSON) is read by the subset, to serde_yaml's value.
#[test]
fn kubectl_written_block_scalars_are_read() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/inputs/kubectl-create");
    let text = std::fs::read_to_string(root.join("deploy-saved.yaml")).unwrap_or_default();
    let fast = parse(&text).expect("in the subset");
    assert_eq!(Some(fast.clone()), full(&text));
    let applied = &fast["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
    let applied: Value = serde_json::from_str(applied.as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(applied["spec"]["template"]["spec"]["containers"][0]["name"], "podinfo");
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
            "123456789012345678", "1234567890123456789", "10.244.0.2", "192.168.1.255", "1.27.3", "1..2", "1.2.",
            "1.2.3e4", "0.0.0.0", "01.2.3", "1-2", "1a", "1 2", "1:2", "a:b", "a b", "/path",
            "_x", "-x", "-", "?x", ":x", ",x", "x,y", "x]", "x}", "x[1]", "@x", "`x", "%x", "!x", "&x", "*x",
            "|", ">", "x|y", "\"q\"", "\"q\\\"\"", "\"a\\nb\"", "\"a'b\"", "'s'", "'it''s'", "'a\"b'", "\"\"",
            "''", "\"x\" y", "'x' y", "\"open", "[]", "{}", "[a, b]", "[a,b]", "[ a ]", "[a, ]", "[,]", "{a: b}",
            "{a: 1, b: true}", "{a: b, a: c}", "{a:b}", "{a}", "[a: b]", "[[a]]", "[\"a\"]", "x # c", "x#c", "./run", "--port=80", "-a=b", "+x/y", ".x:y", "-.inf", "+.inf", "-inf", "+nan", ".5", "-1e3", "--",
            "<<", "=", "a: b", "a:", "é", "x\ty",
        ])
        .prop_map(str::to_string),
        3 => "[a-z0-9./_-]{1,8}",
    ]
}

/// A line of a block scalar: text of every kind (what would be a key, an item, a
/// comment or a quoted scalar elsewhere, non-ASCII, tabs, more indentation, text
/// libyaml reads as a line break), blank lines of several widths.
fn arb_block_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "text", "a b", "x: y", "- z", "# not a comment", "a # b", "'q'", "\"q\"", "é ─▶", "\ttab", "t\tt",
            "  more", " one", "trailing  ", "{a: b}", "[a]", "--- x", "x\u{2028}y", "\u{feff}", "&a *b !t",
        ])
        .prop_map(str::to_string),
        2 => prop::sample::select(vec!["<blank 0>", "<blank 1>", "<blank 2>"]).prop_map(str::to_string),
        2 => "[a-z]{1,6}( [a-z]{1,4})?",
    ]
}

/// A line of a folded scalar: words, and text that ends or breaks it (a value, a
/// comment, an indicator, a quote, trailing spaces, non-ASCII, a tab).
fn arb_folded_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "a", "b c", "x:", "a: b", "a #b", "#c", "- z", "? q", ": v", "}, 2", "{x", "[y]", "'", "it''s", "a'b",
            "\"q\"", "1", "true", "null", "10.0.0.1", "it''s", "''", "a'' b", "http://x:80/p", "a,b", "&a", "*b", "!t", "|", ">", "%p",
            "@x", "`x", "trailing  ", "é", "t\tt", "---", "...", "a:b", "x #", "0/3 nodes:",
        ])
        .prop_map(str::to_string),
        3 => "[a-z0-9]{1,6}( [a-z0-9./:]{1,5}){0,3}",
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

/// A node of a random document.
#[derive(Clone, Debug)]
enum Node {
    Scalar(String),
    /// A block scalar: its header and its lines (`<blank 0>` an empty line, `<blank 1>`
    /// the text's indentation in spaces, `<blank 2>` one space more).
    Block(String, Vec<String>),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    /// A scalar folded over several lines, as kubectl writes long text: its pieces, one
    /// a line (the first after the key or dash, in quotes when it starts with one).
    Folded(Vec<String>),
}

/// The next of the document's style choices.
fn pick(style: &[u8], at: &mut usize) -> u8 {
    *at += 1;
    style.get(*at % style.len().max(1)).copied().unwrap_or(0)
}

/// A comment after a value, now and then (some with text libyaml reads as a line
/// break, which the subset must refuse).
fn comment(style: &[u8], at: &mut usize) -> &'static str {
    ["", "", "", " # c", " #", "  # é ─▶ x", " #\u{2028}x", " #\tx"][(pick(style, at) % 8) as usize]
}

/// A block scalar's header and lines, its text at `content`.
fn write_block(header: &str, lines: &[String], content: usize, out: &mut String) {
    out.push_str(header);
    out.push('\n');
    for line in lines {
        match line.strip_prefix("<blank ").and_then(|n| n.strip_suffix('>')) {
            Some("0") => {}
            Some(n) => out.push_str(&" ".repeat(content + n.parse::<usize>().unwrap_or(0) - 1)),
            None => {
                out.push_str(&" ".repeat(content));
                out.push_str(line);
            }
        }
        out.push('\n');
    }
}

/// The lines of a folded scalar after its first: indented past `parent` (or, now and
/// then, not: then they are no part of it).
fn write_folded(pieces: &[String], parent: usize, style: &[u8], at: &mut usize, out: &mut String) {
    out.push_str(&pieces[0]);
    out.push('\n');
    for piece in &pieces[1..] {
        let column = match pick(style, at) % 11 {
            0 => parent,
            1 => parent + 4,
            _ => parent + 2,
        };
        match pick(style, at) % 23 {
            0 => out.push('\n'),
            1 => out.push_str("  # c\n"),
            _ => {}
        }
        out.push_str(&" ".repeat(column));
        out.push_str(piece);
        out.push('\n');
    }
}

/// Writes `node` at `indent`, the column where its first line's text starts.
fn write(node: &Node, indent: usize, style: &[u8], at: &mut usize, out: &mut String) {
    let pick = |at: &mut usize| pick(style, at);
    match node {
        Node::Scalar(s) => {
            out.push_str(s);
            out.push_str(comment(style, at));
            out.push('\n');
        }
        // After a dash (`- text`): its lines are indented past the dash.
        Node::Folded(pieces) => write_folded(pieces, indent.saturating_sub(2), style, at, out),
        // After a dash (`- |`): the text is indented past the dash's column, or
        // (refused) not.
        Node::Block(header, lines) => {
            let content = indent + (pick(at) % 3) as usize;
            write_block(header, lines, content.saturating_sub(1), out);
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
                        out.push_str(comment(style, at));
                        out.push('\n');
                    }
                    Node::Block(header, lines) => {
                        out.push(' ');
                        let content = indent + (pick(at) % 4) as usize;
                        write_block(header, lines, content, out);
                    }
                    Node::Folded(pieces) => {
                        out.push(' ');
                        write_folded(pieces, indent, style, at, out);
                    }
                    Node::Seq(_) if pick(at) % 2 == 0 => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent));
                        write(value, indent, style, at, out);
                    }
                    _ => {
                        out.push('\n');
                        match pick(at) % 13 {
                            0 => out.push_str("# note\n\n"),
                            1 => out.push_str("  # ─▶ é\n"),
                            2 => out.push_str("# \u{85}x\n"),
                            _ => {}
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
                    Node::Scalar(_) | Node::Map(_) | Node::Block(..) | Node::Folded(_) => {
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

/// A document of nested block mappings and sequences written with the indentation
/// choices of machine tools and people (dash at the key's column or indented,
/// several spaces after a dash), with blank and comment lines, comments after values,
/// block scalars and, now and then, misplaced indentation.
fn arb_doc() -> impl Strategy<Value = String> {
    let block = (
        prop::sample::select(vec!["|", "|-", ">", ">-", "|+", ">2", "| # c", ">- # é"]),
        prop::collection::vec(arb_block_line(), 1..6),
    )
        .prop_map(|(header, lines)| Node::Block(header.to_string(), lines));
    let folded = (any::<u8>(), prop::collection::vec(arb_folded_piece(), 2..5)).prop_map(|(quoting, mut pieces)| {
        match quoting % 6 {
            // In single quotes, closed at the end (or not, or early).
            0..=2 => {
                pieces[0].insert(0, '\'');
                if let Some(last) = pieces.last_mut() {
                    last.push('\'');
                }
            }
            3 => pieces[0].insert(0, '\''),
            4 => pieces[0].insert(0, '"'),
            _ => {}
        }
        Node::Folded(pieces)
    });
    let leaf = prop_oneof![
        4 => arb_scalar().prop_map(Node::Scalar),
        1 => Just(Node::Scalar(String::new())),
        1 => block,
        1 => folded,
    ];
    let node = leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec((arb_key(), inner.clone()), 1..5).prop_map(Node::Map),
            prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
        ]
    });
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
