//! A report written for machines: JSON and YAML (`{"diagnostics": [...]}`, the contract of
//! `netplay analyze -o json`), SARIF 2.1.0 (code-scanning dashboards) and JUnit XML (CI
//! test reports). NP and IST codes are written alike.

use super::filter::Report;
use super::{Diagnostic, Severity, CODES};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
struct Doc<'a> {
    diagnostics: &'a [Diagnostic],
}

/// `{"diagnostics": [...]}`, pretty-printed, with a final newline.
pub fn to_json(diags: &[Diagnostic]) -> String {
    let text = serde_json::to_string_pretty(&Doc { diagnostics: diags }).unwrap_or_default();
    format!("{text}\n")
}

/// The same document as YAML.
pub fn to_yaml(diags: &[Diagnostic]) -> String {
    serde_yaml::to_string(&Doc { diagnostics: diags }).unwrap_or_default()
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where a code is documented: Istio's message reference for IST codes, netplay's
/// docs/diagnostics.md for its own.
pub fn help_uri(code: &str) -> String {
    if code.starts_with("IST") {
        format!(
            "https://istio.io/latest/docs/reference/config/analysis/{}/",
            code.to_ascii_lowercase()
        )
    } else {
        format!("docs/diagnostics.md#{}", code.to_ascii_lowercase())
    }
}

/// A SARIF 2.1.0 log with one run: the rules are the codes that occur, the results the
/// diagnostics, each with its file, line and resource.
pub fn to_sarif(diags: &[Diagnostic], tool_version: &str) -> String {
    let mut codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    crate::sorting::sort_unstable(&mut codes);
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| {
            let (severity, summary) = CODES
                .iter()
                .find(|(c, _, _)| c == code)
                .map_or((Severity::Warning, ""), |(_, s, t)| (*s, *t));
            let name = summary.split_once(':').map_or(*code, |(n, _)| n);
            json!({
                "id": code,
                "name": if name.contains(' ') { *code } else { name },
                "shortDescription": {"text": summary},
                "helpUri": help_uri(code),
                "defaultConfiguration": {"level": sarif_level(severity)},
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!(" Help: {h}"));
            }
            let mut location = json!({});
            if let Some(file) = &d.file {
                location["physicalLocation"] = json!({
                    "artifactLocation": {"uri": file},
                    "region": {"startLine": d.line.unwrap_or(1), "startColumn": d.column.unwrap_or(1)},
                });
            }
            if let Some(r) = &d.resource {
                location["logicalLocations"] = json!([{"fullyQualifiedName": r, "kind": "resource"}]);
            }
            json!({
                "ruleId": d.code,
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": sarif_level(d.severity),
                "message": {"text": text},
                "locations": [location],
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "netplay",
                "version": tool_version,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    format!("{}\n", serde_json::to_string_pretty(&log).unwrap_or_default())
}

/// Text for an XML attribute or element: markup escaped, the control characters XML 1.0
/// cannot hold dropped. The JUnit XML of `analyze` and of `test` (assertions) share it.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per diagnostic (named by code, resource and place), failed
/// when its severity is at or above the report's failure threshold; a single passing
/// case when there is nothing to report, so that CI shows the step ran.
pub fn to_junit(report: &Report) -> String {
    let threshold = report.failure_threshold.unwrap_or(Severity::Error);
    let diags = &report.diagnostics;
    let failures = diags.iter().filter(|d| d.severity.at_least(threshold)).count();
    let tests = diags.len().max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"netplay analyze\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"netplay analyze\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n"
    ));
    if diags.is_empty() {
        out.push_str("    <testcase classname=\"netplay\" name=\"no diagnostics\"/>\n");
    }
    for d in diags {
        let place = match (&d.file, d.line) {
            (Some(f), Some(l)) => format!(" ({f}:{l})"),
            (Some(f), None) => format!(" ({f})"),
            _ => String::new(),
        };
        let name = format!("{} {}{place}", d.code, d.resource.as_deref().unwrap_or("-"));
        let mut body = d.message.clone();
        if let Some(h) = &d.help {
            body.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\">\n",
            xml_escape(d.code),
            xml_escape(&name)
        ));
        if d.severity.at_least(threshold) {
            out.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                d.severity,
                xml_escape(&d.message),
                xml_escape(&body)
            ));
        } else {
            out.push_str(&format!(
                "      <system-out>{}: {}</system-out>\n",
                d.severity,
                xml_escape(&body)
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Location;

    fn sample() -> Vec<Diagnostic> {
        vec![
            Diagnostic::new("IST0101", "Referenced host not found: \"a<b>\"")
                .at(&Location::new("m.yaml", 3, 5))
                .resource("VirtualService default/v")
                .help("fix it"),
            Diagnostic::new("IST0118", "Port name \"x\" ...").resource("Service default/s"),
        ]
    }

    #[test]
    fn sarif_has_rules_and_results() {
        let v: Value = serde_json::from_str(&to_sarif(&sample(), "1.2.3")).expect("json");
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "IST0101");
        assert_eq!(run["tool"]["driver"]["rules"][0]["name"], "ReferencedResourceNotFound");
        assert_eq!(run["results"][0]["level"], "error");
        assert_eq!(run["results"][1]["level"], "note");
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
    }

    #[test]
    fn junit_fails_at_the_threshold_and_escapes() {
        let report = Report {
            diagnostics: sample(),
            failure_threshold: Some(Severity::Error),
            ..Report::default()
        };
        let x = to_junit(&report);
        assert!(x.contains("failures=\"1\""));
        assert!(x.contains("a&lt;b&gt;"));
        assert_eq!(x.matches("<failure").count(), 1);
        let empty = to_junit(&Report::default());
        assert!(empty.contains("no diagnostics") && empty.contains("tests=\"1\""));
    }

    #[test]
    fn yaml_and_json_carry_the_same_fields() {
        let y: Value = serde_yaml::from_str(&to_yaml(&sample())).expect("yaml");
        let j: Value = serde_json::from_str(&to_json(&sample())).expect("json");
        assert_eq!(y, j);
    }
}
