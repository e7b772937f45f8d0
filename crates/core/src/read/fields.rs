//! Typed reads of raw objects: a field deserialized at its path, a wrong type reported as
//! NP0002 at the offending field and a field the type does not have as NP0009 (with the
//! closest known field name).

use super::value_de;
use crate::diagnostics::Diagnostic;
use crate::parse::locate::{DisplayPath, PathSeg};
use crate::parse::RawObject;
use serde::de::DeserializeOwned;

pub(crate) fn to_path(keys: &[&str]) -> Vec<PathSeg> {
    keys.iter().map(|k| PathSeg::key(k)).collect()
}

/// Deserializes the value at `path` of `obj` as `T`; `Ok(None)` when it is absent or null.
/// A wrong type is an NP0002 diagnostic at the offending field; a field the type does not
/// have (a typo such as `podselector`) is an NP0009 warning, and the field is ignored.
pub(crate) fn field<T: DeserializeOwned>(
    obj: &RawObject,
    path: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<T>, Box<Diagnostic>> {
    let mut value: &serde_json::Value = &obj.value;
    for key in path {
        match value.get(key) {
            Some(v) => value = v,
            None => return Ok(None),
        }
    }
    if value.is_null() {
        return Ok(None);
    }
    let mut track = value_de::Track::default();
    let result: Result<T, value_de::ReadError> = value_de::read(value, &mut track);
    match result {
        Ok(v) => {
            for rel in track.unknown {
                let mut full = to_path(path);
                full.extend(rel);
                let Some(PathSeg::Key(name)) = full.last() else {
                    continue;
                };
                let suggestion = suggest_field(name)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                diags.push(
                    Diagnostic::new(
                        "NP0009",
                        format!(
                            "unknown field `{}`{suggestion}: netplay ignores it, and kubectl's strict field validation rejects it",
                            DisplayPath(&full)
                        ),
                    )
                    .at(&obj.locate(&full))
                    .resource(obj.resource()),
                );
            }
            Ok(Some(v))
        }
        Err(e) => {
            let mut full = to_path(path);
            full.extend(track.error_at.unwrap_or_default());
            Err(Box::new(
                Diagnostic::new(
                    "NP0002",
                    format!("{}: {e}; the {} is skipped", DisplayPath(&full), obj.kind),
                )
                .at(&obj.locate(&full))
                .resource(obj.resource()),
            ))
        }
    }
}

/// Field names people mistype, for "did you mean" hints.
pub const KNOWN_FIELDS: &[&str] = &[
    "podSelector",
    "namespaceSelector",
    "policyTypes",
    "ingress",
    "egress",
    "from",
    "to",
    "ports",
    "port",
    "endPort",
    "protocol",
    "ipBlock",
    "cidr",
    "except",
    "matchLabels",
    "matchExpressions",
    "key",
    "operator",
    "values",
    "containers",
    "initContainers",
    "containerPort",
    "name",
    "image",
    "hostNetwork",
    "serviceAccountName",
    "selector",
    "targetPort",
    "type",
    "template",
    "metadata",
    "labels",
    "annotations",
    "spec",
    "rules",
    "http",
    "paths",
    "path",
    "pathType",
    "backend",
    "service",
    "number",
    "defaultBackend",
    "restartPolicy",
    "clusterIP",
    "ipFamilies",
    "appProtocol",
    // Istio and Gateway API
    "hosts",
    "gateways",
    "match",
    "route",
    "destination",
    "subset",
    "subsets",
    "weight",
    "uri",
    "exact",
    "prefix",
    "regex",
    "headers",
    "queryParams",
    "sourceLabels",
    "sourceNamespace",
    "withoutHeaders",
    "ignoreUriCase",
    "redirect",
    "rewrite",
    "fault",
    "abort",
    "delay",
    "fixedDelay",
    "httpStatus",
    "percentage",
    "mirror",
    "retries",
    "attempts",
    "perTryTimeout",
    "timeout",
    "directResponse",
    "exportTo",
    "trafficPolicy",
    "portLevelSettings",
    "loadBalancer",
    "connectionPool",
    "outlierDetection",
    "tls",
    "mode",
    "servers",
    "matchLabels",
    "workloadSelector",
    "action",
    "from",
    "to",
    "when",
    "source",
    "operation",
    "principals",
    "notPrincipals",
    "namespaces",
    "notNamespaces",
    "methods",
    "paths",
    "mtls",
    "portLevelMtls",
    "parentRefs",
    "hostnames",
    "backendRefs",
    "matches",
    "filters",
    "listeners",
];

fn suggest_field(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    KNOWN_FIELDS
        .iter()
        .copied()
        .filter(|k| *k != name)
        .map(|k| (crate::suggest::distance(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= (k.len() / 3).clamp(1, 2))
        .min()
        .map(|(_, k)| k)
}
