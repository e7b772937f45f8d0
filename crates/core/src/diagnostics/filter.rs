//! Which diagnostics a report shows and whether it fails, as `istioctl analyze` decides:
//! suppressions (`--suppress "IST0102=Namespace frontend"` and the
//! `galley.istio.io/analyze-suppress` annotation), an output threshold (the least severe
//! level shown) and a failure threshold (the least severe level that fails the run). The
//! CLI and the web app call the same [`apply`].

use super::{Diagnostic, Severity};
use crate::mesh::MeshConfig;
use serde::Serialize;

/// One `--suppress CODE=RESOURCE`: a code and a resource pattern where `*` matches any
/// run of characters. The resource is written as istioctl writes it (`Kind name.namespace`,
/// `Kind name` for cluster-scoped kinds) or as netplay prints it (`Kind namespace/name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub code: String,
    pub resource: String,
}

/// Why a `--suppress` value cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SuppressionError {
    #[error("cannot read suppression {text:?}: write CODE=RESOURCE, e.g. \"IST0102=Namespace frontend\" or \"IST0103=Pod *.bar\"")]
    NoEquals { text: String },
    #[error(
        "cannot read suppression {text:?}: {code:?} is not a diagnostic code (see `netplay analyze --list-analyzers`)"
    )]
    UnknownCode { text: String, code: String },
    #[error("cannot read suppression {text:?}: the resource is `Kind name.namespace` (or `Kind name` for a cluster-scoped kind), e.g. \"Pod mypod.testing\"")]
    BadResource { text: String },
}

impl Suppression {
    /// Reads `CODE=Kind name.namespace`.
    pub fn parse(text: &str) -> Result<Suppression, SuppressionError> {
        let Some((code, resource)) = text.split_once('=') else {
            return Err(SuppressionError::NoEquals { text: text.to_string() });
        };
        let code = code.trim();
        let resource = resource.trim();
        let known = code == "*" || super::CODES.iter().any(|(c, _, _)| *c == code);
        if !known {
            return Err(SuppressionError::UnknownCode {
                text: text.to_string(),
                code: code.to_string(),
            });
        }
        if resource.is_empty() || !resource.contains(' ') {
            return Err(SuppressionError::BadResource { text: text.to_string() });
        }
        Ok(Suppression {
            code: code.to_string(),
            resource: resource.to_string(),
        })
    }

    /// Whether this suppression covers the diagnostic.
    pub fn covers(&self, d: &Diagnostic) -> bool {
        if self.code != "*" && self.code != d.code {
            return false;
        }
        let Some(resource) = d.resource.as_deref() else {
            return false;
        };
        resource_names(resource)
            .iter()
            .any(|name| glob_match(&self.resource, name))
    }
}

/// The names a resource goes by: netplay's `Kind ns/name` and istioctl's `Kind name.ns`.
fn resource_names(resource: &str) -> Vec<String> {
    let mut names = vec![resource.to_string()];
    if let Some((kind, id)) = resource.split_once(' ') {
        if let Some((ns, name)) = id.split_once('/') {
            names.push(format!("{kind} {name}.{ns}"));
        }
    }
    names
}

/// `*` matches any run of characters (also none); everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, rest) = parts.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return true;
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

/// Whether a `galley.istio.io/analyze-suppress` value (`IST0103,IST0108` or `*`)
/// suppresses `code`.
fn annotation_suppresses(value: &str, code: &str) -> bool {
    value.split(',').map(str::trim).any(|c| c == "*" || c == code)
}

/// What `netplay analyze` is asked for beyond the manifests.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// A mesh config that overrides the one in the input (`--mesh-config`).
    pub mesh_config: Option<MeshConfig>,
    pub suppress: Vec<Suppression>,
    /// The least severe level shown (istioctl's `--output-threshold`, default info).
    pub output_threshold: Severity,
    /// The least severe level that fails the run (`--failure-threshold`, default error).
    pub failure_threshold: Severity,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            mesh_config: None,
            suppress: Vec::new(),
            output_threshold: Severity::Info,
            failure_threshold: Severity::Error,
        }
    }
}

/// The result of an analysis as a report shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The diagnostics at or above the output threshold, not suppressed, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// How many were suppressed (flag or annotation).
    pub suppressed: usize,
    /// How many were below the output threshold.
    pub below_threshold: usize,
    /// Whether some unsuppressed diagnostic is at or above the failure threshold (the
    /// run exits 1), whether or not it is shown.
    pub failed: bool,
    #[serde(skip)]
    pub failure_threshold: Option<Severity>,
}

/// Applies suppressions (flags, then annotations given as `(resource, value)`) and
/// thresholds.
pub fn apply(all: Vec<Diagnostic>, options: &AnalyzeOptions, annotations: &[(String, String)]) -> Report {
    let mut report = Report {
        failure_threshold: Some(options.failure_threshold),
        ..Report::default()
    };
    for d in all {
        let by_flag = options.suppress.iter().any(|s| s.covers(&d));
        let by_annotation = d.resource.as_deref().is_some_and(|r| {
            annotations
                .iter()
                .any(|(res, value)| res == r && annotation_suppresses(value, d.code))
        });
        if by_flag || by_annotation {
            report.suppressed += 1;
            continue;
        }
        if d.severity.at_least(options.failure_threshold) {
            report.failed = true;
        }
        if d.severity.at_least(options.output_threshold) {
            report.diagnostics.push(d);
        } else {
            report.below_threshold += 1;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(code: &'static str, resource: &str) -> Diagnostic {
        Diagnostic::new(code, "m").resource(resource)
    }

    #[test]
    fn globs() {
        assert!(glob_match("Pod *.bar", "Pod mypod.bar"));
        assert!(!glob_match("Pod *.bar", "Pod mypod.baz"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("Pod a*b*c", "Pod aXXbYYc"));
        assert!(!glob_match("Pod a*b*c", "Pod aXXbYYd"));
        assert!(glob_match("Namespace frontend", "Namespace frontend"));
    }

    #[test]
    fn suppressions_match_both_resource_spellings() {
        let s = Suppression::parse("IST0103=Pod mypod.testing").expect("valid");
        assert!(s.covers(&diag("IST0103", "Pod testing/mypod")));
        assert!(!s.covers(&diag("IST0102", "Pod testing/mypod")));
        let s = Suppression::parse("IST0103=Pod bar/*").expect("valid");
        assert!(s.covers(&diag("IST0103", "Pod bar/x")));
        let s = Suppression::parse("IST0102=Namespace frontend").expect("valid");
        assert!(s.covers(&diag("IST0102", "Namespace frontend")));
        assert!(Suppression::parse("IST0102").is_err());
        assert!(Suppression::parse("IST9999=Pod a.b").is_err());
        assert!(Suppression::parse("IST0102=frontend").is_err());
    }

    #[test]
    fn thresholds_and_annotations() {
        let all = vec![
            diag("IST0102", "Namespace a"),
            diag("IST0101", "VirtualService a/v"),
            diag("IST0103", "Pod a/p"),
        ];
        let options = AnalyzeOptions {
            output_threshold: Severity::Warning,
            failure_threshold: Severity::Warning,
            ..AnalyzeOptions::default()
        };
        let r = apply(
            all,
            &options,
            &[("Pod a/p".to_string(), "IST0108, IST0103".to_string())],
        );
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.suppressed, 1);
        assert_eq!(r.below_threshold, 1);
        assert!(r.failed);
    }
}
