//! `netplay convert`: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1)
//! rewritten as ClusterNetworkPolicy (v1alpha2), and the proof that the rewrite changes
//! no connection.
//!
//! The rewrite is field by field: `tier` Admin (ANP) or Baseline (BANP, priority 0: it is
//! the only policy of its tier in v1alpha1), the same subject and peers, `action: Allow`
//! as `Accept`, and each port as a `protocols` entry (`portNumber` → `{tcp|udp|sctp:
//! {destinationPort: {number}}}`, `portRange` → `{...: {destinationPort: {range}}}`,
//! `namedPort` → `destinationNamedPort`). Every other object is kept as it is, so the
//! output is the whole input in the new API.

use super::AdminKind;
use crate::diagnostics::Diagnostic;
use crate::output::ConnLine;
use crate::parse::SourceFile;
use crate::parse::{parse_files, RawObject};
use serde_json::{json, Map, Value};

/// The input rewritten, and what the rewrite does to the connections.
#[derive(Debug)]
pub struct Conversion {
    /// Every object of the input, the v1alpha1 admin policies as ClusterNetworkPolicy,
    /// as a YAML stream.
    pub yaml: String,
    /// How many objects were rewritten.
    pub converted: usize,
    /// The connlist of the input, and of the rewritten input.
    pub before: Vec<ConnLine>,
    pub after: Vec<ConnLine>,
    /// What could not be rewritten exactly (a v1alpha2 limit the object exceeds), and the
    /// diagnostics of reading the input.
    pub diagnostics: Vec<Diagnostic>,
}

impl Conversion {
    /// Whether the rewrite keeps every connection.
    pub fn same_connections(&self) -> bool {
        self.before == self.after
    }
}

/// Rewrites the v1alpha1 admin policies of `files` as ClusterNetworkPolicy; `before` and
/// `after` are left empty for `crate::convert_admin_policies`, which evaluates both
/// inputs (this layer reads, it does not evaluate).
pub fn rewrite(files: &[SourceFile]) -> Conversion {
    let (objects, _) = parse_files(files);
    let mut diagnostics = Vec::new();
    let mut docs = Vec::new();
    let mut converted = 0;
    for obj in &objects {
        match to_v1alpha2(obj, &mut diagnostics) {
            Some(v) => {
                converted += 1;
                docs.push(v);
            }
            None => docs.push((*obj.value).clone()),
        }
    }
    let yaml = docs
        .iter()
        .map(|d| serde_yaml::to_string(d).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n");
    Conversion {
        yaml,
        converted,
        before: Vec::new(),
        after: Vec::new(),
        diagnostics,
    }
}

/// One v1alpha1 ANP or BANP as a v1alpha2 ClusterNetworkPolicy; `None` for anything else.
fn to_v1alpha2(obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    if obj.group() != super::GROUP || !obj.api_version.ends_with("/v1alpha1") {
        return None;
    }
    let kind = AdminKind::from_kind(&obj.kind).filter(|k| *k != AdminKind::ClusterNetworkPolicy)?;
    let spec = obj.value.get("spec").and_then(Value::as_object)?;
    let mut out = Map::new();
    let (tier, priority) = match kind {
        AdminKind::BaselineAdminNetworkPolicy => ("Baseline", json!(0)),
        _ => ("Admin", spec.get("priority").cloned().unwrap_or(json!(0))),
    };
    out.insert("tier".into(), json!(tier));
    out.insert("priority".into(), priority);
    if let Some(subject) = spec.get("subject") {
        out.insert("subject".into(), subject.clone());
    }
    for dir in ["ingress", "egress"] {
        let Some(rules) = spec.get(dir).and_then(Value::as_array) else {
            continue;
        };
        if rules.len() > AdminKind::ClusterNetworkPolicy.limit() {
            diags.push(
                Diagnostic::new(
                    "NP0030",
                    format!(
                        "{} has {} {dir} rules: a ClusterNetworkPolicy may have at most 25, so the rewrite is not a valid object; split the policy",
                        obj.resource(),
                        rules.len()
                    ),
                )
                .at(&obj.loc)
                .resource(obj.resource()),
            );
        }
        out.insert(dir.into(), Value::Array(rules.iter().map(rule).collect()));
    }
    let mut metadata = obj.value.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if let Some(m) = metadata.as_object_mut() {
        // What the API server wrote about the old object does not describe the new one.
        for key in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
        ] {
            m.remove(key);
        }
    }
    Some(json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": metadata,
        "spec": Value::Object(out),
    }))
}

fn rule(r: &Value) -> Value {
    let Some(r) = r.as_object() else { return r.clone() };
    let mut out = Map::new();
    for (k, v) in r {
        match (k.as_str(), v) {
            ("action", Value::String(a)) if a == "Allow" => {
                out.insert("action".into(), json!("Accept"));
            }
            ("ports", Value::Array(ports)) => {
                out.insert("protocols".into(), Value::Array(ports.iter().map(port).collect()));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

fn protocol_key(p: Option<&Value>) -> String {
    p.and_then(Value::as_str).unwrap_or("TCP").to_ascii_lowercase()
}

fn port(p: &Value) -> Value {
    if let Some(n) = p.get("portNumber") {
        return json!({ (protocol_key(n.get("protocol"))): {"destinationPort": {"number": n.get("port")}} });
    }
    if let Some(r) = p.get("portRange") {
        return json!({ (protocol_key(r.get("protocol"))): {"destinationPort": {"range": {"start": r.get("start"), "end": r.get("end")}}} });
    }
    if let Some(name) = p.get("namedPort") {
        return json!({ "destinationNamedPort": name });
    }
    p.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_become_protocols() {
        assert_eq!(
            port(&json!({"portNumber": {"protocol": "UDP", "port": 53}})),
            json!({"udp": {"destinationPort": {"number": 53}}})
        );
        assert_eq!(
            port(&json!({"portRange": {"start": 8000, "end": 9000}})),
            json!({"tcp": {"destinationPort": {"range": {"start": 8000, "end": 9000}}}})
        );
        assert_eq!(
            port(&json!({"namedPort": "http"})),
            json!({"destinationNamedPort": "http"})
        );
    }
}
