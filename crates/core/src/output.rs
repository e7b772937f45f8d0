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

/// A connection's text with its layer 7 marker, as txt, csv, md and dot show it.
fn conn_marked(conn: &str, l7: &str) -> String {
    if l7.is_empty() {
        conn.to_string()
    } else {
        format!("{conn} [L7: {l7}]")
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
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One line of a row: destination, connection, and its layer 7 constraints (`""` when
/// none).
pub type RowLine<'a> = (&'a str, &'a str, &'a str);

/// Receives one source and its lines, sorted.
pub type EmitRow<'a> = dyn FnMut(&str, &[RowLine<'_>]) -> io::Result<()> + 'a;

/// A connection list produced one source at a time, in printed order: each call of
/// `emit` gets a source and its lines as (destination, connection, layer 7), sorted. A source
/// comes once. `for_each_row` may be called again and produces the same rows.
pub trait ConnRows {
    fn for_each_row(&mut self, emit: &mut EmitRow<'_>) -> io::Result<()>;
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

/// Writes a connection list as it is produced, row by row: the same bytes as
/// [`render_connlist`] of the whole list, without holding it. `dot` lists every node
/// before the first edge, so it asks `rows` for its rows twice.
pub fn write_connlist<W: io::Write>(rows: &mut dyn ConnRows, format: Format, out: &mut W) -> io::Result<()> {
    // Each row is assembled in `buf` and written at once.
    let mut buf: Vec<u8> = Vec::new();
    match format {
        Format::Txt => rows.for_each_row(&mut |src, row| {
            buf.clear();
            for (dst, conn, l7) in row {
                for part in [src, " => ", dst, " : ", conn] {
                    buf.extend_from_slice(part.as_bytes());
                }
                if !l7.is_empty() {
                    for part in [" [L7: ", l7, "]"] {
                        buf.extend_from_slice(part.as_bytes());
                    }
                }
                buf.push(b'\n');
            }
            out.write_all(&buf)
        }),
        Format::Json => {
            // serde_json's pretty layout, one object per line.
            out.write_all(b"{\n  \"connections\": [")?;
            let mut first = true;
            rows.for_each_row(&mut |src, row| {
                buf.clear();
                let mut src_json = Vec::new();
                json_str(&mut src_json, src);
                for (dst, conn, l7) in row {
                    buf.extend_from_slice(if first {
                        b"\n    {\n      \"src\": "
                    } else {
                        b",\n    {\n      \"src\": "
                    });
                    first = false;
                    buf.extend_from_slice(&src_json);
                    buf.extend_from_slice(b",\n      \"dst\": ");
                    json_str(&mut buf, dst);
                    buf.extend_from_slice(b",\n      \"conn\": ");
                    json_str(&mut buf, conn);
                    if !l7.is_empty() {
                        buf.extend_from_slice(b",\n      \"l7\": ");
                        json_str(&mut buf, l7);
                    }
                    buf.extend_from_slice(b"\n    }");
                }
                out.write_all(&buf)
            })?;
            out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
        }
        Format::Csv => {
            out.write_all(b"src,dst,conn\n")?;
            rows.for_each_row(&mut |src, row| {
                buf.clear();
                let src = csv_field(src);
                for (dst, conn, l7) in row {
                    let conn = conn_marked(conn, l7);
                    for part in [src.as_str(), ",", &csv_field(dst), ",", &csv_field(&conn), "\n"] {
                        buf.extend_from_slice(part.as_bytes());
                    }
                }
                out.write_all(&buf)
            })
        }
        Format::Md => {
            out.write_all(b"| src | dst | conn |\n|-----|-----|------|\n")?;
            rows.for_each_row(&mut |src, row| {
                buf.clear();
                for (dst, conn, l7) in row {
                    for part in ["| ", src, " | ", dst, " | ", &conn_marked(conn, l7), " |\n"] {
                        buf.extend_from_slice(part.as_bytes());
                    }
                }
                out.write_all(&buf)
            })
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
            let group = if e.ends_with("[External]") || e.starts_with("fqdn:") || e.starts_with('{') {
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
    let mut buf = String::new();
    rows.for_each_row(&mut |src, row| {
        buf.clear();
        let src = dot_id(src);
        for (dst, conn, l7) in row {
            let _ = writeln!(
                buf,
                "\t{src} -> {} [label={}]",
                dot_id(dst),
                dot_id(&conn_marked(conn, l7))
            );
        }
        out.write_all(buf.as_bytes())
    })?;
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
