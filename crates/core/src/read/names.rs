//! The API server's validation of names and labels (k8s.io/apimachinery
//! `pkg/util/validation` and `pkg/api/validate/content`), with its own wording, so that a
//! file netplay reads is one `kubectl apply` accepts (issue 19.5, NP0023). Each check
//! returns the API server's messages for a value, none when it is valid. Hand-written
//! character checks rather than regexes: the same language, smaller in the wasm build.

use super::findings::{item, with};
use crate::diagnostics::Diagnostic;
use crate::parse::locate::{DisplayPath, PathSeg};
use crate::parse::RawObject;
use serde_json::Value;

const LABEL_MAX: usize = 63;
const SUBDOMAIN_MAX: usize = 253;
const PORT_NAME_MAX: usize = 15;
/// A CronJob's Jobs are named `<cronjob>-<11 characters>`, which must stay a DNS-1035
/// label's 63: the API server limits CronJob names to 52.
const CRONJOB_NAME_MAX: usize = 52;

const DNS1123_LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_KEY_NAME: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn max_len(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(edge) && b.last().is_some_and(edge) && b.iter().all(|c| edge(c) || *c == b'-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(is_dns_label)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: a label key's name part, and a non-empty
/// label value.
fn is_label_word(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter().all(|c| edge(c) || matches!(c, b'-' | b'_' | b'.'))
}

/// RFC 1123 label: Namespace names, Service port names, object namespaces.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > LABEL_MAX {
        errs.push(max_len(LABEL_MAX));
    }
    if !is_dns_label(s) {
        errs.push(if s.len() <= SUBDOMAIN_MAX && is_dns_subdomain(s) {
            "must not contain dots".to_string()
        } else {
            DNS1123_LABEL.to_string()
        });
    }
    errs
}

/// RFC 1123 subdomain: the names of most objects.
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > SUBDOMAIN_MAX {
        errs.push(max_len(SUBDOMAIN_MAX));
    }
    if !is_dns_subdomain(s) {
        errs.push(DNS1123_SUBDOMAIN.to_string());
    }
    errs
}

/// RFC 1035 label: Service names (they become DNS names and environment variables).
pub fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > LABEL_MAX {
        errs.push(max_len(LABEL_MAX));
    }
    if !(is_dns_label(s) && s.as_bytes()[0].is_ascii_lowercase()) {
        errs.push(DNS1035_LABEL.to_string());
    }
    errs
}

/// IANA_SVC_NAME: container port names and a Service's named targetPort.
pub fn port_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > PORT_NAME_MAX {
        errs.push(max_len(PORT_NAME_MAX));
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if !s.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if s.starts_with('-') || s.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

/// A label key (a qualified name): an optional DNS-subdomain prefix and `/`, then a name
/// of at most 63 characters.
pub fn label_key(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let name = match s.split_once('/') {
        None => s,
        Some((prefix, name)) if !name.contains('/') => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            name
        }
        Some(_) => {
            return vec![format!(
                "a valid label key {LABEL_KEY_NAME} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            )]
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_MAX {
        errs.push(format!("name part {}", max_len(LABEL_MAX)));
    }
    if !is_label_word(name) {
        errs.push(format!("name part {LABEL_KEY_NAME}"));
    }
    errs
}

/// A label value: empty, or at most 63 characters of a label word.
pub fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > LABEL_MAX {
        errs.push(max_len(LABEL_MAX));
    }
    if !(s.is_empty() || is_label_word(s)) {
        errs.push(LABEL_VALUE.to_string());
    }
    errs
}

/// How the API server validates an object's name, by kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NameRule {
    /// Namespace.
    Dns1123Label,
    /// Service.
    Dns1035Label,
    /// Every other kind netplay reads.
    Dns1123Subdomain,
}

/// Where a kind keeps its pod template, when it has one.
fn pod_template(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&[]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template"]),
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "ReplicationController" | "Job" => {
            Some(&["spec", "template"])
        }
        _ => None,
    }
}

/// The object's names, labels, selectors and port names that the API server would refuse,
/// each an NP0023 error at its field, worded as `kubectl apply` prints it
/// (`metadata.name: Invalid value: "Web_1": ...`). Values of the wrong type are left to
/// the readers (NP0002).
pub(crate) fn check_object(obj: &RawObject, rule: NameRule) -> Vec<Diagnostic> {
    let mut out = Checker { obj, diags: Vec::new() };
    let name_errs = match rule {
        NameRule::Dns1123Label => dns1123_label(&obj.name),
        NameRule::Dns1035Label => dns1035_label(&obj.name),
        NameRule::Dns1123Subdomain => dns1123_subdomain(&obj.name),
    };
    let mut name_errs = name_errs;
    if obj.kind == "CronJob" && obj.group() == "batch" && obj.name.len() > CRONJOB_NAME_MAX {
        name_errs.push(max_len(CRONJOB_NAME_MAX));
    }
    let name_path = [PathSeg::key("metadata"), PathSeg::key("name")];
    out.invalid(&name_path, &obj.name, &name_errs);
    if !crate::parse::is_cluster_scoped(&obj.kind) {
        if let Some(ns) = &obj.namespace {
            let path = [PathSeg::key("metadata"), PathSeg::key("namespace")];
            out.invalid(&path, ns, &dns1123_label(ns));
        }
    }
    let meta = [PathSeg::key("metadata")];
    out.labels(&with(&meta, "labels"));
    if let Some(template) = pod_template(&obj.kind).filter(|_| obj.kind != "Pod") {
        let template: Vec<PathSeg> = template.iter().map(|k| PathSeg::key(k)).collect();
        out.labels(&with(&with(&template, "metadata"), "labels"));
    }
    if let Some(template) = pod_template(&obj.kind) {
        let spec: Vec<PathSeg> = template
            .iter()
            .map(|k| PathSeg::key(k))
            .chain([PathSeg::key("spec")])
            .collect();
        out.container_ports(&spec);
    }
    match obj.kind.as_str() {
        "Service" => {
            let spec = [PathSeg::key("spec")];
            out.labels(&with(&spec, "selector"));
            out.service_ports(&with(&spec, "ports"));
        }
        "ReplicationController" => out.labels(&[PathSeg::key("spec"), PathSeg::key("selector")]),
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "Job" => {
            out.selector(&[PathSeg::key("spec"), PathSeg::key("selector")]);
        }
        "CronJob" => {
            let job_spec = [PathSeg::key("spec"), PathSeg::key("jobTemplate"), PathSeg::key("spec")];
            out.selector(&with(&job_spec, "selector"));
        }
        _ => {}
    }
    out.diags
}

struct Checker<'a> {
    obj: &'a RawObject,
    diags: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// The value at `path` (borrowed from the object, not from the checker).
    fn get(&self, path: &[PathSeg]) -> Option<&'a Value> {
        let mut v: &'a Value = &self.obj.value;
        for seg in path {
            v = match seg {
                PathSeg::Key(k) => v.get(k.as_str())?,
                PathSeg::Index(i) => v.get(*i)?,
            };
        }
        Some(v)
    }

    /// One diagnostic for the field at `path` (its line: `at`), as the API server words it.
    fn invalid_at(&mut self, path: &[PathSeg], at: &[PathSeg], value: &str, errs: &[String]) {
        if errs.is_empty() {
            return;
        }
        let msg = format!(
            "{}: Invalid value: {value:?}: {}; kubectl apply rejects the {}, so netplay leaves it out",
            DisplayPath(path),
            errs.join(", "),
            self.obj.kind
        );
        self.diags.push(
            Diagnostic::new("NP0023", msg)
                .at(&self.obj.locate(at))
                .resource(self.obj.resource()),
        );
    }

    fn invalid(&mut self, path: &[PathSeg], value: &str, errs: &[String]) {
        self.invalid_at(path, path, value, errs);
    }

    /// A map of labels (`metadata.labels`, a Service's selector): each key and value,
    /// reported at the key's line under the map's path, as the API server does.
    fn labels(&mut self, path: &[PathSeg]) {
        let Some(Value::Object(map)) = self.get(path) else {
            return;
        };
        for (key, value) in map {
            let (key_errs, value_errs) = (label_key(key), value.as_str().map(label_value).unwrap_or_default());
            // The key's path only for a diagnostic: most labels are valid.
            if key_errs.is_empty() && value_errs.is_empty() {
                continue;
            }
            let at = with(path, key);
            self.invalid_at(path, &at, key, &key_errs);
            if let Some(value) = value.as_str() {
                self.invalid_at(path, &at, value, &value_errs);
            }
        }
    }

    /// A LabelSelector: matchLabels as labels, matchExpressions' keys and their values
    /// for In and NotIn (label values).
    fn selector(&mut self, path: &[PathSeg]) {
        self.labels(&with(path, "matchLabels"));
        let count = self
            .get(&with(path, "matchExpressions"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..count {
            let expr = item(path, "matchExpressions", i);
            if let Some(key) = self
                .get(&with(&expr, "key"))
                .and_then(Value::as_str)
                .map(str::to_string)
            {
                self.invalid(&with(&expr, "key"), &key, &label_key(&key));
            }
            let operator = self.get(&with(&expr, "operator")).and_then(Value::as_str);
            if !matches!(operator, Some("In" | "NotIn")) {
                continue;
            }
            let values: Vec<Option<String>> = self
                .get(&with(&expr, "values"))
                .and_then(Value::as_array)
                .map(|vs| vs.iter().map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            for (vi, value) in values.into_iter().enumerate() {
                if let Some(value) = value {
                    self.invalid(&item(&expr, "values", vi), &value, &label_value(&value));
                }
            }
        }
    }

    /// Container port names (containers and init containers) are IANA service names.
    fn container_ports(&mut self, spec: &[PathSeg]) {
        let Some(spec_value) = self.get(spec) else {
            return;
        };
        for list in ["containers", "initContainers"] {
            let containers = spec_value.get(list).and_then(Value::as_array);
            for (ci, container) in containers.into_iter().flatten().enumerate() {
                let ports = container.get("ports").and_then(Value::as_array);
                for (pi, port) in ports.into_iter().flatten().enumerate() {
                    let Some(name) = port.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) else {
                        continue;
                    };
                    let errs = port_name(name);
                    // The field's path only for a diagnostic.
                    if !errs.is_empty() {
                        let name_path = with(&item(&item(spec, list, ci), "ports", pi), "name");
                        self.invalid(&name_path, name, &errs);
                    }
                }
            }
        }
    }

    /// A Service port's name is an RFC 1123 label (not an IANA name: the API server
    /// validates it as one), its named targetPort an IANA service name.
    fn service_ports(&mut self, ports: &[PathSeg]) {
        let count = self.get(ports).and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..count {
            let port = {
                let mut p = ports.to_vec();
                p.push(PathSeg::Index(i));
                p
            };
            let name_path = with(&port, "name");
            if let Some(name) = self.get(&name_path).and_then(Value::as_str).map(str::to_string) {
                if !name.is_empty() {
                    self.invalid(&name_path, &name, &dns1123_label(&name));
                }
            }
            let target_path = with(&port, "targetPort");
            if let Some(target) = self.get(&target_path).and_then(Value::as_str).map(str::to_string) {
                self.invalid(&target_path, &target, &port_name(&target));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_servers_examples_are_valid() {
        for ok in ["my-name", "123-abc", "a", "0"] {
            assert!(dns1123_label(ok).is_empty(), "{ok}");
        }
        assert!(dns1123_subdomain("example.com").is_empty());
        assert!(dns1035_label("abc-123").is_empty());
        for ok in ["MyName", "my.name", "123-abc", "example.com/MyName"] {
            assert!(label_key(ok).is_empty(), "{ok}");
        }
        for ok in ["MyValue", "my_value", "12345", ""] {
            assert!(label_value(ok).is_empty(), "{ok}");
        }
        assert!(port_name("http-alt").is_empty());
    }

    #[test]
    fn each_rule_says_what_is_wrong() {
        assert_eq!(dns1123_label("a.b"), ["must not contain dots"]);
        assert_eq!(dns1123_label("X Y"), [DNS1123_LABEL]);
        assert_eq!(dns1123_label(&"a".repeat(64)), ["must be no more than 63 characters"]);
        assert_eq!(dns1123_subdomain("Web_1"), [DNS1123_SUBDOMAIN]);
        assert_eq!(dns1123_subdomain("a..b"), [DNS1123_SUBDOMAIN]);
        assert_eq!(dns1035_label("1web"), [DNS1035_LABEL]);
        assert_eq!(
            port_name("-Metrics--x"),
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must not contain consecutive hyphens",
                "must not begin or end with a hyphen"
            ]
        );
        assert_eq!(port_name("8080"), ["must contain at least one letter (a-z)"]);
        assert_eq!(port_name("a-very-long-name"), ["must be no more than 15 characters"]);
        assert_eq!(label_key("a/b/c").len(), 1);
        assert_eq!(label_key("/x"), ["prefix part must be non-empty"]);
        assert_eq!(label_key("Example.com/x"), [format!("prefix part {DNS1123_SUBDOMAIN}")]);
        assert_eq!(
            label_key("x/"),
            [
                "name part must be non-empty".to_string(),
                format!("name part {LABEL_KEY_NAME}")
            ]
        );
        assert_eq!(label_value(&"v".repeat(64)), ["must be no more than 63 characters"]);
        assert_eq!(label_value("-x"), [LABEL_VALUE]);
    }
}
