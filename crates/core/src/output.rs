//! Printed forms of results: connlist lines and their formats, and diffs of two lists.
//! The CLI prints these and the web app exports them, so both give the same bytes.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write};
use std::io;

/// One allowed connection, printed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct ConnLine {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// The layer 7 constraints on `conn` (Cilium `toPorts[].rules`), e.g. `TCP 80 only
    /// GET /public` ([`crate::netpol::l7::summary`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l7: Option<String>,
}

/// `SRC => DST : CONN`, and ` [L7: ...]` when layer 7 rules narrow it.
impl fmt::Display for ConnLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {} : {}", self.src, self.dst, self.conn)?;
        match &self.l7 {
            Some(l7) => write!(f, " [L7: {l7}]"),
            None => Ok(()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Txt,
    Json,
    Csv,
    Md,
    Dot,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "txt" => Format::Txt,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "md" => Format::Md,
            "dot" => Format::Dot,
            _ => return None,
        })
    }
}

fn csv_field(s: &str) -> String {
    let mut buf = Vec::new();
    push_csv_field(&mut buf, &[s]);
    String::from_utf8(buf).unwrap_or_default()
}

/// The parts' concatenation as one CSV field: quoted, with quotes doubled, when it holds a
/// comma, a quote or a newline.
fn push_csv_field(buf: &mut Vec<u8>, parts: &[&str]) {
    if !parts.iter().any(|p| p.contains([',', '"', '\n'])) {
        for p in parts {
            buf.extend_from_slice(p.as_bytes());
        }
        return;
    }
    buf.push(b'"');
    for p in parts {
        for (i, piece) in p.split('"').enumerate() {
            if i > 0 {
                buf.extend_from_slice(b"\"\"");
            }
            buf.extend_from_slice(piece.as_bytes());
        }
    }
    buf.push(b'"');
}

/// The parts' concatenation as a quoted DOT id (backslashes and quotes escaped).
fn push_dot_id(buf: &mut Vec<u8>, parts: &[&str]) {
    buf.push(b'"');
    for p in parts {
        for &b in p.as_bytes() {
            if b == b'\\' || b == b'"' {
                buf.push(b'\\');
            }
            buf.push(b);
        }
    }
    buf.push(b'"');
}

fn dot_id(s: &str) -> String {
    let mut buf = Vec::new();
    push_dot_id(&mut buf, &[s]);
    String::from_utf8(buf).unwrap_or_default()
}

/// A connection's text with its layer 7 marker, as txt, csv, md and dot show it: the
/// parts to write one after the other.
fn conn_marked<'a>(conn: &'a str, l7: &'a str) -> [&'a str; 4] {
    if l7.is_empty() {
        [conn, "", "", ""]
    } else {
        [conn, " [L7: ", l7, "]"]
    }
}

/// One line of a row: destination, connection, and its layer 7 constraints (`""` when
/// none).
pub type RowLine<'a> = (&'a str, &'a str, &'a str);

/// Receives one source and its lines, sorted.
pub type EmitRow<'a> = dyn FnMut(&str, &[RowLine<'_>]) -> io::Result<()> + 'a;

/// Appends one source's lines, printed, to a buffer ([`Format::row_writer`]).
pub type RowWriter = fn(&str, &[RowLine<'_>], &mut Vec<u8>);

/// Receives the printed rows, a run of whole rows at a time, in order.
pub type Sink<'a> = dyn FnMut(&[u8]) -> io::Result<()> + 'a;

/// A connection list produced one source at a time, in printed order: each call of
/// `emit` gets a source and its lines as (destination, connection, layer 7), sorted. A source
/// comes once. `for_each_row` may be called again and produces the same rows.
pub trait ConnRows {
    fn for_each_row(&mut self, emit: &mut EmitRow<'_>) -> io::Result<()>;

    /// Every row printed by `row`, in order, handed to `sink` in runs of whole rows. A
    /// list that can compute its rows on several threads does (`crate::connlist`); the
    /// bytes are the same.
    fn write_rows(&mut self, row: RowWriter, sink: &mut Sink<'_>) -> io::Result<()> {
        let mut buf = Vec::new();
        self.for_each_row(&mut |src, lines| {
            buf.clear();
            row(src, lines, &mut buf);
            sink(&buf)
        })
    }
}

/// Lines already in printed order: each run of lines with the same source is one row.
pub struct SortedLines<'a>(pub &'a [ConnLine]);

impl ConnRows for SortedLines<'_> {
    fn for_each_row(&mut self, emit: &mut EmitRow<'_>) -> io::Result<()> {
        for group in self.0.chunk_by(|a, b| a.src == b.src) {
            let row: Vec<RowLine> = group
                .iter()
                .map(|l| (l.dst.as_str(), l.conn.as_str(), l.l7.as_deref().unwrap_or_default()))
                .collect();
            emit(&group[0].src, &row)?;
        }
        Ok(())
    }
}

/// Renders a connection list. Every format ends with a newline (txt: none when empty).
pub fn render_connlist(lines: &[ConnLine], format: Format) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail, and every piece written is a `str`.
    let _ = write_connlist(&mut SortedLines(lines), format, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn extend(buf: &mut Vec<u8>, parts: &[&str]) {
    for p in parts {
        buf.extend_from_slice(p.as_bytes());
    }
}

/// `SRC => DST : CONN [L7: ...]`, a line each.
fn txt_row(src: &str, row: &[RowLine<'_>], buf: &mut Vec<u8>) {
    for &(dst, conn, l7) in row {
        extend(buf, &[src, " => ", dst, " : "]);
        extend(buf, &conn_marked(conn, l7));
        buf.push(b'\n');
    }
}

/// serde_json's pretty layout, one object per line, each after a comma: the writer drops
/// the list's first comma.
fn json_row(src: &str, row: &[RowLine<'_>], buf: &mut Vec<u8>) {
    let mut src_json = Vec::new();
    json_str(&mut src_json, src);
    for &(dst, conn, l7) in row {
        buf.extend_from_slice(b",\n    {\n      \"src\": ");
        buf.extend_from_slice(&src_json);
        buf.extend_from_slice(b",\n      \"dst\": ");
        json_str(buf, dst);
        buf.extend_from_slice(b",\n      \"conn\": ");
        json_str(buf, conn);
        if !l7.is_empty() {
            buf.extend_from_slice(b",\n      \"l7\": ");
            json_str(buf, l7);
        }
        buf.extend_from_slice(b"\n    }");
    }
}

/// Lines of quoted fields: `before SRC mid DST label CONN after`, each field through
/// `quote` (csv and dot differ only in these).
fn quoted_row(
    src: &str,
    row: &[RowLine<'_>],
    buf: &mut Vec<u8>,
    quote: fn(&mut Vec<u8>, &[&str]),
    [before, mid, label, after]: [&str; 4],
) {
    let mut src_quoted = Vec::new();
    quote(&mut src_quoted, &[src]);
    for &(dst, conn, l7) in row {
        extend(buf, &[before]);
        buf.extend_from_slice(&src_quoted);
        extend(buf, &[mid]);
        quote(buf, &[dst]);
        extend(buf, &[label]);
        quote(buf, &conn_marked(conn, l7));
        extend(buf, &[after]);
    }
}

fn csv_row(src: &str, row: &[RowLine<'_>], buf: &mut Vec<u8>) {
    quoted_row(src, row, buf, push_csv_field, ["", ",", ",", "\n"]);
}

/// The edges of one source.
fn dot_row(src: &str, row: &[RowLine<'_>], buf: &mut Vec<u8>) {
    quoted_row(src, row, buf, push_dot_id, ["\t", " -> ", " [label=", "]\n"]);
}

fn md_row(src: &str, row: &[RowLine<'_>], buf: &mut Vec<u8>) {
    for &(dst, conn, l7) in row {
        extend(buf, &["| ", src, " | ", dst, " | "]);
        extend(buf, &conn_marked(conn, l7));
        buf.extend_from_slice(b" |\n");
    }
}

impl Format {
    /// How this format prints one source's lines (dot: its edges).
    pub fn row_writer(self) -> RowWriter {
        match self {
            Format::Txt => txt_row,
            Format::Json => json_row,
            Format::Csv => csv_row,
            Format::Md => md_row,
            Format::Dot => dot_row,
        }
    }
}

/// Writes a connection list as it is produced, row by row: the same bytes as
/// [`render_connlist`] of the whole list, without holding it. `dot` lists every node
/// before the first edge, so it asks `rows` for its rows twice.
pub fn write_connlist<W: io::Write>(rows: &mut dyn ConnRows, format: Format, out: &mut W) -> io::Result<()> {
    let row = format.row_writer();
    match format {
        Format::Txt => rows.write_rows(row, &mut |b| out.write_all(b)),
        Format::Json => {
            out.write_all(b"{\n  \"connections\": [")?;
            let mut first = true;
            rows.write_rows(row, &mut |b| {
                // Every object follows a comma; the first of the list does not.
                let b = match b.split_first() {
                    Some((_, rest)) if first => {
                        first = false;
                        rest
                    }
                    _ => b,
                };
                out.write_all(b)
            })?;
            out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
        }
        Format::Csv => {
            out.write_all(b"src,dst,conn\n")?;
            rows.write_rows(row, &mut |b| out.write_all(b))
        }
        Format::Md => {
            out.write_all(b"| src | dst | conn |\n|-----|-----|------|\n")?;
            rows.write_rows(row, &mut |b| out.write_all(b))
        }
        Format::Dot => write_dot(rows, out),
    }
}

/// A JSON string as serde_json writes it.
fn json_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        let _ = serde_json::to_writer(&mut *buf, s);
    } else {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    }
}

fn write_dot<W: io::Write>(rows: &mut dyn ConnRows, out: &mut W) -> io::Result<()> {
    // Namespaces as clusters; external ranges, FQDN destinations and the ingress controller
    // on their own.
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    rows.for_each_row(&mut |src, row| {
        for e in std::iter::once(src).chain(row.iter().map(|(dst, _, _)| *dst)) {
            let group = if e.ends_with("[External]") || crate::policy::DnsMatch::is_fqdn_name(e) || e.starts_with('{') {
                ""
            } else {
                e.split('/').next().unwrap_or_default()
            };
            if !groups.get(group).is_some_and(|nodes| nodes.contains(e)) {
                groups.entry(group.to_string()).or_default().insert(e.to_string());
            }
        }
        Ok(())
    })?;
    let mut head = String::from(
        "digraph {\n\tcompound=true\n\tnode [shape=box, fontname=\"Helvetica\"]\n\tedge [fontname=\"Helvetica\", fontsize=10]\n",
    );
    for (i, (group, nodes)) in groups.iter().enumerate() {
        if group.is_empty() {
            for n in nodes {
                let _ = writeln!(head, "\t{} [shape=ellipse, style=dashed]", dot_id(n));
            }
        } else {
            let _ = writeln!(head, "\tsubgraph cluster_{i} {{\n\t\tlabel={}", dot_id(group));
            for n in nodes {
                let _ = writeln!(head, "\t\t{}", dot_id(n));
            }
            head.push_str("\t}\n");
        }
    }
    out.write_all(head.as_bytes())?;
    rows.write_rows(dot_row, &mut |b| out.write_all(b))?;
    out.write_all(b"}\n")
}

/// How one pair's connection differs between two lists.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DiffEntry {
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub src: String,
    pub dst: String,
    /// The connection before (`None` for added pairs).
    pub old: Option<String>,
    /// The connection after (`None` for removed pairs).
    pub new: Option<String>,
    /// The policies and rules that make the difference ([`crate::Scenario::diff`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

impl DiffEntry {
    /// The causes on one line, `; `-separated (empty when unknown).
    fn causes_text(&self) -> String {
        self.causes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Pairs whose connection differs, ordered by source then destination.
pub fn diff(old: &[ConnLine], new: &[ConnLine]) -> Vec<DiffEntry> {
    diff_in_order(&ordered(old), &ordered(new))
}

fn ordered(lines: &[ConnLine]) -> std::borrow::Cow<'_, [ConnLine]> {
    match each_pair_once_in_order(lines) {
        true => std::borrow::Cow::Borrowed(lines),
        false => std::borrow::Cow::Owned(in_pair_order(lines)),
    }
}

/// Lines in any order put in pair order, a pair given twice with its last line.
fn in_pair_order(lines: &[ConnLine]) -> Vec<ConnLine> {
    let mut sorted = lines.to_vec();
    // Stable: lines of one pair keep their order.
    crate::sorting::sort_by(&mut sorted, |a, b| (&a.src, &a.dst).cmp(&(&b.src, &b.dst)));
    let mut out: Vec<ConnLine> = Vec::with_capacity(sorted.len());
    for line in sorted {
        match out.last_mut() {
            Some(last) if last.src == line.src && last.dst == line.dst => *last = line,
            _ => out.push(line),
        }
    }
    out
}

/// Whether every pair comes once, by source then destination: how connlist gives them.
fn each_pair_once_in_order(lines: &[ConnLine]) -> bool {
    lines
        .windows(2)
        .all(|w| (&w[0].src, &w[0].dst) < (&w[1].src, &w[1].dst))
}

/// [`diff`] of two lists each in pair order, as one merge: the playground compares every
/// evaluation with its checkpoint (18,000 lines at 1,000 workloads), and indexing both
/// lists by pair (as this did before) cost more than the evaluation.
fn diff_in_order(old: &[ConnLine], new: &[ConnLine]) -> Vec<DiffEntry> {
    let entry = |change, line: &ConnLine, old: Option<&ConnLine>, new: Option<&ConnLine>| DiffEntry {
        change,
        src: line.src.clone(),
        dst: line.dst.clone(),
        old: old.map(|l| l.conn.clone()),
        new: new.map(|l| l.conn.clone()),
        causes: Vec::new(),
    };
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let (o, n) = (old.get(i), new.get(j));
        let order = match (o, n) {
            (Some(o), Some(n)) => (&o.src, &o.dst).cmp(&(&n.src, &n.dst)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => return out,
        };
        match (order, o, n) {
            (std::cmp::Ordering::Less, Some(o), _) => {
                out.push(entry("removed", o, Some(o), None));
                i += 1;
            }
            (std::cmp::Ordering::Greater, _, Some(n)) => {
                out.push(entry("added", n, None, Some(n)));
                j += 1;
            }
            (_, Some(o), Some(n)) => {
                if o.conn != n.conn {
                    out.push(entry("changed", n, Some(o), Some(n)));
                }
                i += 1;
                j += 1;
            }
            _ => return out,
        }
    }
}

/// Diff as text: `- SRC => DST : CONN` for what went away, `+ ...` for what came, both
/// for a changed pair, then `  # CAUSE` for each policy rule that makes the difference
/// (a comment to scripts that read the `+`/`-` lines).
pub fn render_diff(entries: &[DiffEntry], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                differences: &'a [DiffEntry],
            }
            out = serde_json::to_string_pretty(&Doc { differences: entries }).unwrap_or_default();
            out.push('\n');
        }
        Format::Csv => {
            out.push_str("change,src,dst,old,new,causes\n");
            for e in entries {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    e.change,
                    csv_field(&e.src),
                    csv_field(&e.dst),
                    csv_field(e.old.as_deref().unwrap_or("No Connections")),
                    csv_field(e.new.as_deref().unwrap_or("No Connections")),
                    csv_field(&e.causes_text())
                );
            }
        }
        Format::Md => {
            out.push_str("| change | src | dst | old | new | causes |\n|--------|-----|-----|-----|-----|--------|\n");
            for e in entries {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    e.change,
                    e.src,
                    e.dst,
                    e.old.as_deref().unwrap_or("No Connections"),
                    e.new.as_deref().unwrap_or("No Connections"),
                    e.causes_text().replace('|', "\\|")
                );
            }
        }
        Format::Txt | Format::Dot => {
            for e in entries {
                if let Some(o) = &e.old {
                    let _ = writeln!(out, "- {} => {} : {}", e.src, e.dst, o);
                }
                if let Some(n) = &e.new {
                    let _ = writeln!(out, "+ {} => {} : {}", e.src, e.dst, n);
                }
                for c in &e.causes {
                    let _ = writeln!(out, "  # {c}");
                }
            }
        }
    }
    out
}

/// One reason a pair differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// The tier of the policy as explain names it: `Admin`, `NetworkPolicy`,
    /// `Baseline` or `Calico tier NAME`.
    pub tier: String,
    /// `namespace/name` of a NetworkPolicy; `anp/name`, `banp/default` or `cnp/name` for
    /// the policies of the admin tiers.
    pub policy: String,
    /// `ingress` or `egress`.
    pub direction: &'static str,
    /// The rule's number in its list, 1-based; `None` when the policy as a whole is the
    /// cause (it starts or stops isolating an end).
    pub rule: Option<usize>,
    pub file: String,
    pub line: u32,
    /// What changed, in words: `now admits TCP 443`, `no longer admits this peer`,
    /// `now isolates shop/web[Deployment] for egress`, `admitted All Connections, now TCP 80`.
    pub what: String,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // NetworkPolicy is the tier everyone knows; the others are named.
        if self.tier != "NetworkPolicy" {
            write!(f, "[{}] ", self.tier)?;
        }
        match self.rule {
            Some(n) => write!(
                f,
                "{} {} rule {n} ({}:{}) {}",
                self.policy, self.direction, self.file, self.line, self.what
            ),
            None => write!(f, "{} ({}:{}) {}", self.policy, self.file, self.line, self.what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(src: u8, dst: u8, conn: u8) -> ConnLine {
        ConnLine {
            src: format!("ns/w{src}[Pod]"),
            dst: format!("ns/w{dst}[Pod]"),
            conn: ["All Connections", "TCP 80", "UDP 53"][usize::from(conn % 3)].to_string(),
            l7: None,
        }
    }

    /// Lines as connlist gives them: sorted, each pair once.
    fn connlist(pairs: Vec<(u8, u8, u8)>) -> Vec<ConnLine> {
        let mut lines: Vec<ConnLine> = pairs.into_iter().map(|(s, d, c)| line(s, d, c)).collect();
        lines.sort();
        lines.dedup_by(|b, a| (&a.src, &a.dst) == (&b.src, &b.dst));
        lines
    }

    /// The diff as it was written first: both lists indexed by pair (a pair given twice
    /// counts with its last line). The reference the merge is compared with.
    fn diff_by_pair(old: &[ConnLine], new: &[ConnLine]) -> Vec<DiffEntry> {
        let index = |lines: &[ConnLine]| -> BTreeMap<(String, String), String> {
            lines
                .iter()
                .map(|l| ((l.src.clone(), l.dst.clone()), l.conn.clone()))
                .collect()
        };
        let (a, b) = (index(old), index(new));
        let mut keys: Vec<&(String, String)> = a.keys().chain(b.keys()).collect();
        crate::sorting::sort(&mut keys);
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| {
                let (o, n) = (a.get(k), b.get(k));
                let change = match (o, n) {
                    (Some(o), Some(n)) if o == n => return None,
                    (Some(_), Some(_)) => "changed",
                    (None, Some(_)) => "added",
                    (Some(_), None) => "removed",
                    (None, None) => return None,
                };
                Some(DiffEntry {
                    change,
                    src: k.0.clone(),
                    dst: k.1.clone(),
                    old: o.cloned(),
                    new: n.cloned(),
                    causes: Vec::new(),
                })
            })
            .collect()
    }

    proptest! {
        /// The merge of two lists in pair order gives what indexing them by pair gives.
        #[test]
        fn diff_of_lists_in_order_is_the_diff_by_pair(
            old in prop::collection::vec((0u8..6, 0u8..6, 0u8..3), 0..30),
            new in prop::collection::vec((0u8..6, 0u8..6, 0u8..3), 0..30),
        ) {
            let (old, new) = (connlist(old), connlist(new));
            prop_assert!(each_pair_once_in_order(&old) && each_pair_once_in_order(&new));
            let show = |d: Vec<DiffEntry>| format!("{d:?}");
            prop_assert_eq!(show(diff_in_order(&old, &new)), show(diff_by_pair(&old, &new)));
        }

        /// Lists in any order, pairs given more than once, compare as indexing them by
        /// pair does.
        #[test]
        fn diff_of_lists_in_any_order_is_the_diff_by_pair(
            old in prop::collection::vec((0u8..4, 0u8..4, 0u8..3), 0..20),
            new in prop::collection::vec((0u8..4, 0u8..4, 0u8..3), 0..20),
        ) {
            let lines = |v: Vec<(u8, u8, u8)>| v.into_iter().map(|(s, d, c)| line(s, d, c)).collect::<Vec<_>>();
            let (old, new) = (lines(old), lines(new));
            let show = |d: Vec<DiffEntry>| format!("{d:?}");
            prop_assert_eq!(show(diff(&old, &new)), show(diff_by_pair(&old, &new)));
        }
    }

    #[test]
    fn lists_out_of_order_are_compared_by_pair() {
        let old = vec![line(2, 1, 0), line(1, 2, 1), line(1, 2, 2)];
        let new = vec![line(1, 2, 2)];
        assert!(!each_pair_once_in_order(&old));
        let d = diff(&old, &new);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].change, d[0].src.as_str()), ("removed", "ns/w2[Pod]"));
    }
}
