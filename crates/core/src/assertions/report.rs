//! The results of a run and their printed forms: text for people, JUnit XML and SARIF
//! for CI systems, JSON for scripts. The same in the CLI and the web app.

use crate::diagnostics::formats::xml_escape as xml;
use crate::diagnostics::Location;
use serde::Serialize;
use std::fmt::Write;

/// The result of one assertion.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AssertionResult {
    /// The suite (`metadata.name` of the Assertions document, or the lesson step).
    pub suite: String,
    pub name: String,
    /// Where the assertion is written.
    #[serde(flatten)]
    pub loc: Location,
    pub passed: bool,
    /// What the assertion expects, in words.
    pub expected: String,
    /// What the input gives, in words.
    pub actual: String,
    /// For a failure: why the verdict is what it is (the text of `netplay explain`, or the
    /// trace of `netplay mesh request`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub explanation: String,
    /// For a failure: the line of the policy (or mesh object) that decided the verdict;
    /// `None` when no object decides (nothing isolates either side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Location>,
}

/// The results of a run, in the order the assertions are written.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Report {
    pub results: Vec<AssertionResult>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// `N passed, N failed`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }

    /// Each failure with what was expected, what is, and the explanation, then the
    /// summary line. Passing assertions are not listed unless `verbose`.
    pub fn to_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        for r in &self.results {
            if r.passed {
                if verbose {
                    let _ = writeln!(out, "ok    {} ({}:{})", r.name, r.loc.file, r.loc.line);
                }
                continue;
            }
            let _ = writeln!(out, "FAIL  {} ({}:{})", r.name, r.loc.file, r.loc.line);
            let _ = writeln!(out, "      expected: {}", r.expected);
            let _ = writeln!(out, "      actual:   {}", r.actual);
            if let Some(at) = &r.decided_at {
                let _ = writeln!(out, "      decided at {}:{}", at.file, at.line);
            }
            if !r.explanation.is_empty() {
                let _ = writeln!(out);
                for line in r.explanation.lines() {
                    if line.is_empty() {
                        let _ = writeln!(out);
                    } else {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    /// Pretty JSON: `{"passed": N, "failed": N, "results": [...]}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            passed: usize,
            failed: usize,
            results: &'a [AssertionResult],
        }
        let doc = Doc {
            passed: self.passed(),
            failed: self.failed(),
            results: &self.results,
        };
        format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
    }

    /// JUnit XML as CI systems read it (GitHub, GitLab, Jenkins): one `<testsuite>` per
    /// suite, one `<testcase>` per assertion, a `<failure>` with the explanation.
    pub fn to_junit(&self, name: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
            xml(name),
            self.results.len(),
            self.failed()
        );
        let mut suites: Vec<&str> = Vec::new();
        for r in &self.results {
            if !suites.contains(&r.suite.as_str()) {
                suites.push(&r.suite);
            }
        }
        for suite in suites {
            let cases: Vec<&AssertionResult> = self.results.iter().filter(|r| r.suite == suite).collect();
            let failures = cases.iter().filter(|r| !r.passed).count();
            let file = cases.first().map(|r| r.loc.file.as_str()).unwrap_or_default();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" file=\"{}\">",
                xml(suite),
                cases.len(),
                xml(file)
            );
            for r in cases {
                let open = format!(
                    "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                    xml(&r.name),
                    xml(suite),
                    xml(&r.loc.file),
                    r.loc.line
                );
                if r.passed {
                    let _ = writeln!(out, "{open}/>");
                    continue;
                }
                let _ = writeln!(out, "{open}>");
                let message = format!("expected {}; actual: {}", r.expected, r.actual);
                let mut body = format!("{}:{}: {message}\n", r.loc.file, r.loc.line);
                if let Some(at) = &r.decided_at {
                    let _ = writeln!(body, "decided at {}:{}", at.file, at.line);
                }
                if !r.explanation.is_empty() {
                    body.push('\n');
                    body.push_str(&r.explanation);
                }
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"AssertionFailed\">{}</failure>",
                    xml(&message),
                    xml(&body)
                );
                let _ = writeln!(out, "    </testcase>");
            }
            let _ = writeln!(out, "  </testsuite>");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// SARIF 2.1.0 (GitHub code scanning): one result per failed assertion, located at
    /// the line of the policy that decided it (else at the assertion), with the assertion
    /// as a related location.
    pub fn to_sarif(&self) -> String {
        use serde_json::json;
        let results: Vec<serde_json::Value> = self
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| {
                let at = r.decided_at.as_ref().unwrap_or(&r.loc);
                let mut text = format!("{}: expected {}; actual: {}", r.name, r.expected, r.actual);
                if r.decided_at.is_some() {
                    text.push_str(&format!(" (assertion at {}:{})", r.loc.file, r.loc.line));
                }
                json!({
                    "ruleId": "netplay/assertion",
                    "level": "error",
                    "message": { "text": text },
                    "locations": [sarif_location(at)],
                    "relatedLocations": [{
                        "id": 0,
                        "message": { "text": format!("the assertion {:?}", r.name) },
                        "physicalLocation": sarif_location(&r.loc)["physicalLocation"].clone(),
                    }],
                    "properties": {
                        "suite": r.suite,
                        "expected": r.expected,
                        "actual": r.actual,
                        "explanation": r.explanation,
                    },
                })
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "netplay",
                        "version": env!("CARGO_PKG_VERSION"),
                        "informationUri": "https://example.invalid/netplay/docs/assertions.md",
                        "rules": [{
                            "id": "netplay/assertion",
                            "name": "AssertionFailed",
                            "shortDescription": { "text": "A netplay assertion about allowed traffic does not hold" },
                            "fullDescription": { "text": "An assertion of a netplay.dev Assertions document (who may reach whom, on which ports, and what a request through the mesh gives) does not hold for the manifests. The result points at the policy line that decided the actual verdict." },
                            "help": { "text": "Run `netplay test` locally: it prints the explanation of the actual verdict (the same text as `netplay explain`)." },
                            "defaultConfiguration": { "level": "error" },
                        }],
                    }
                },
                "results": results,
            }],
        });
        format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
    }
}

fn sarif_location(loc: &Location) -> serde_json::Value {
    serde_json::json!({
        "physicalLocation": {
            "artifactLocation": { "uri": loc.file.replace('\\', "/") },
            "region": { "startLine": loc.line.max(1), "startColumn": loc.column.max(1) },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
