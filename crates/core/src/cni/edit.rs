//! Editing an AddressPlan in the user's own text: the Plan view's form writes one field
//! at a time, and everything else in the file (other documents, comments, other fields)
//! stays as typed.

use super::AddressPlan;
use crate::parse::locate::PathSeg;

/// A YAML scalar for a form value: plain when it is a number, an address or a CIDR (or a
/// simple word), else a JSON-quoted string (always valid YAML).
pub fn scalar(value: &str) -> String {
    let v = value.trim();
    let plain = !v.is_empty()
        && v.chars().all(|c| c.is_ascii_alphanumeric() || ".:/-_".contains(c))
        && !matches!(v, "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~");
    if plain {
        v.to_string()
    } else {
        serde_json::Value::String(v.to_string()).to_string()
    }
}

/// A flow sequence of scalars from a comma- or whitespace-separated list.
pub fn flow_list(items: &str) -> String {
    let items: Vec<String> = items
        .split([',', ' ', '\n', '\t'])
        .filter(|s| !s.trim().is_empty())
        .map(scalar)
        .collect();
    format!("[{}]", items.join(", "))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Sets `spec.<key>` of `plan` in `text` (the text of the plan's file) to the YAML
/// `value` (already formatted: a scalar, a flow list or a flow map), or removes the field
/// when `value` is `None`. The field's old value (on its line, or the block lines under
/// it) is replaced; a missing field is added as the first line under `spec:`. `None` when
/// the plan's `spec:` cannot be found in block style (the caller then leaves the text
/// alone and says so).
pub fn set_spec_field(text: &str, plan: &AddressPlan, key: &str, value: Option<&str>) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let trailing_newline = text.ends_with('\n');
    let spec_line = plan.source.locate(&[PathSeg::key("spec")]).line as usize;
    let spec_idx = spec_line.checked_sub(1)?;
    let spec_text = lines.get(spec_idx)?;
    let spec_trim = spec_text.trim_start();
    if !(spec_trim == "spec:" || spec_trim.starts_with("spec: #") || spec_trim.starts_with("spec:  #")) {
        return None;
    }
    let spec_indent = indent_of(spec_text);
    // The field's line, if the field is there (locate answers the spec line otherwise).
    let field_line = plan.source.locate(&[PathSeg::key("spec"), PathSeg::key(key)]).line as usize;
    let field_idx = field_line.checked_sub(1).filter(|&i| {
        i > spec_idx
            && lines
                .get(i)
                .is_some_and(|l| l.trim_start().strip_prefix(key).is_some_and(|r| r.starts_with(':')))
    });
    match field_idx {
        Some(i) => {
            let indent = indent_of(&lines[i]);
            // The block under the key: deeper lines, and `- ` items at the key's own indent.
            let mut end = i + 1;
            while end < lines.len() {
                let l = &lines[end];
                let t = l.trim_start();
                let deeper = !t.is_empty() && indent_of(l) > indent;
                let item = indent_of(l) == indent && t.starts_with('-') && !t.starts_with("---");
                if deeper || item {
                    end += 1;
                } else {
                    break;
                }
            }
            match value {
                Some(v) => {
                    lines.splice(i..end, [format!("{}{key}: {v}", " ".repeat(indent))]);
                }
                None => {
                    lines.drain(i..end);
                }
            }
        }
        None => {
            let Some(v) = value else {
                return Some(text.to_string());
            };
            // Children of spec are indented like its first child, or two more than spec.
            let child_indent = lines
                .get(spec_idx + 1)
                .filter(|l| !l.trim().is_empty() && indent_of(l) > spec_indent)
                .map_or(spec_indent + 2, |l| indent_of(l));
            lines.insert(spec_idx + 1, format!("{}{key}: {v}", " ".repeat(child_indent)));
        }
    }
    let mut out = lines.join("\n");
    if trailing_newline {
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load, SourceFile};

    const TEXT: &str = "# my plan\n---\napiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata:\n  name: lab\nspec:\n  cni: cilium   # the CNI\n  podCIDRs:\n    - 10.244.0.0/16   # pods\n    - fd00::/104\n  underlayMTU: 1500\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n";

    fn edit(text: &str, key: &str, value: Option<&str>) -> String {
        let s = load(&[SourceFile::new("plan.yaml", text)]);
        set_spec_field(text, &s.cluster.cni.plans[0], key, value).expect("editable")
    }

    #[test]
    fn replaces_a_block_list_and_keeps_the_rest() {
        let out = edit(TEXT, "podCIDRs", Some(&flow_list("10.0.0.0/16, fd00:1::/104")));
        assert!(
            out.contains("  podCIDRs: [10.0.0.0/16, fd00:1::/104]\n  underlayMTU: 1500\n"),
            "{out}"
        );
        assert!(out.starts_with("# my plan\n---\n") && out.ends_with("metadata: {name: web}\n"));
        let s = load(&[SourceFile::new("plan.yaml", out)]);
        assert_eq!(s.cluster.cni.plans[0].spec.pod_cidrs, ["10.0.0.0/16", "fd00:1::/104"]);
        assert_eq!(s.cluster.services.len(), 1);
    }

    #[test]
    fn replaces_a_scalar_adds_a_missing_field_and_removes_one() {
        let out = edit(TEXT, "cni", Some("calico"));
        assert!(out.contains("\n  cni: calico\n"), "{out}");
        let out = edit(&out, "datapath", Some("ipip"));
        assert!(out.contains("spec:\n  datapath: ipip\n  cni: calico\n"), "{out}");
        let out = edit(&out, "underlayMTU", None);
        assert!(!out.contains("underlayMTU"));
        let s = load(&[SourceFile::new("plan.yaml", out)]);
        let spec = &s.cluster.cni.plans[0].spec;
        assert_eq!(
            (spec.cni.as_deref(), spec.datapath.as_deref()),
            (Some("calico"), Some("ipip"))
        );
    }

    #[test]
    fn odd_values_are_quoted() {
        assert_eq!(scalar("10.0.0.0/8"), "10.0.0.0/8");
        assert_eq!(scalar("corp: VPN #1"), "\"corp: VPN #1\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(flow_list("a, [b"), "[a, \"[b\"]");
    }
}
