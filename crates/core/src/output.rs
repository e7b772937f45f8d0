//! Printed forms of results: connlist lines and their formats, and diffs of two lists.
//! The CLI prints these and the web app exports them, so both give the same bytes.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::{self, Write};

/// One allowed connection, printed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct ConnLine {
    pub src: String,
    pub dst: String,
    pub conn: String,
}

/// `SRC => DST : CONN`.
impl fmt::Display for ConnLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {} : {}", self.src, self.dst, self.conn)
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

/// Renders a connection list. Every format ends with a newline (txt: none when empty).
pub fn render_connlist(lines: &[ConnLine], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Txt => {
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                connections: &'a [ConnLine],
            }
            out = serde_json::to_string_pretty(&Doc { connections: lines }).unwrap_or_default();
            out.push('\n');
        }
        Format::Csv => {
            out.push_str("src,dst,conn\n");
            for l in lines {
                let _ = writeln!(
                    out,
                    "{},{},{}",
                    csv_field(&l.src),
                    csv_field(&l.dst),
                    csv_field(&l.conn)
                );
            }
        }
        Format::Md => {
            out.push_str("| src | dst | conn |\n|-----|-----|------|\n");
            for l in lines {
                let _ = writeln!(out, "| {} | {} | {} |", l.src, l.dst, l.conn);
            }
        }
        Format::Dot => {
            // Namespaces as clusters; external ranges on their own.
            let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for l in lines {
                for e in [&l.src, &l.dst] {
                    let group = if e.ends_with("[External]") || e.starts_with('{') {
                        String::new()
                    } else {
                        e.split('/').next().unwrap_or_default().to_string()
                    };
                    let v = groups.entry(group).or_default();
                    if !v.contains(&e.as_str()) {
                        v.push(e);
                    }
                }
            }
            out.push_str("digraph {\n\tcompound=true\n\tnode [shape=box, fontname=\"Helvetica\"]\n\tedge [fontname=\"Helvetica\", fontsize=10]\n");
            for (i, (group, nodes)) in groups.iter_mut().enumerate() {
                nodes.sort();
                if group.is_empty() {
                    for n in nodes.iter() {
                        let _ = writeln!(out, "\t{} [shape=ellipse, style=dashed]", dot_id(n));
                    }
                } else {
                    let _ = writeln!(out, "\tsubgraph cluster_{i} {{\n\t\tlabel={}", dot_id(group));
                    for n in nodes.iter() {
                        let _ = writeln!(out, "\t\t{}", dot_id(n));
                    }
                    out.push_str("\t}\n");
                }
            }
            for l in lines {
                let _ = writeln!(
                    out,
                    "\t{} -> {} [label={}]",
                    dot_id(&l.src),
                    dot_id(&l.dst),
                    dot_id(&l.conn)
                );
            }
            out.push_str("}\n");
        }
    }
    out
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
    keys.sort();
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
            })
        })
        .collect()
}

/// Diff as text: `- SRC => DST : CONN` for what went away, `+ ...` for what came, both
/// for a changed pair.
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
            out.push_str("change,src,dst,old,new\n");
            for e in entries {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{}",
                    e.change,
                    csv_field(&e.src),
                    csv_field(&e.dst),
                    csv_field(e.old.as_deref().unwrap_or("No Connections")),
                    csv_field(e.new.as_deref().unwrap_or("No Connections"))
                );
            }
        }
        Format::Md => {
            out.push_str("| change | src | dst | old | new |\n|--------|-----|-----|-----|-----|\n");
            for e in entries {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    e.change,
                    e.src,
                    e.dst,
                    e.old.as_deref().unwrap_or("No Connections"),
                    e.new.as_deref().unwrap_or("No Connections")
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
            }
        }
    }
    out
}
