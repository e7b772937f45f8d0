//! Cilium endpoint selectors into the model's pod and namespace selectors.
//!
//! A Cilium endpoint selector is a Kubernetes label selector over an endpoint's identity
//! labels (cilium/cilium `pkg/policy/api/selector.go`). A key may carry a source prefix:
//! `k8s:` (labels from Kubernetes) and `any:` (any source) match a pod's labels; no
//! prefix means `any:`; `reserved:` names Cilium's reserved identities (host, world, …),
//! which are no pod. Besides its own labels a pod's identity carries
//! `io.kubernetes.pod.namespace` (its namespace), `io.cilium.k8s.namespace.labels.<key>`
//! (each label of its namespace), `io.cilium.k8s.policy.serviceaccount` and
//! `io.cilium.k8s.policy.cluster` (the cluster name, `default` unless configured).
//!
//! Requirements are ANDed, so a selector splits into a selector of namespaces (the
//! namespace keys, as `kubernetes.io/metadata.name` and the namespace's own label keys)
//! and a selector of pods (the rest), which is what the model's peers and subjects hold.

use crate::model::NAMESPACE_NAME_LABEL;
use crate::policy::{Operator, Requirement, Selector};
use crate::read::netpol::{check_label_key, check_label_value};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// The label of a pod's namespace name in its Cilium identity.
pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The prefix of its namespace's labels.
pub const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";
const SERVICE_ACCOUNT: &str = "io.cilium.k8s.policy.serviceaccount";
const CLUSTER: &str = "io.cilium.k8s.policy.cluster";
/// The cluster name Cilium gives a cluster unless `cluster-name` is set.
const DEFAULT_CLUSTER: &str = "default";

/// A selector read into the model, with what the model cannot hold.
#[derive(Default, Debug, Clone)]
pub struct Split {
    pub namespaces: Selector,
    pub pods: Selector,
    /// It names the namespace (`io.kubernetes.pod.namespace`), in matchLabels or
    /// matchExpressions.
    pub names_namespace: bool,
    /// It uses the namespace's labels (`io.cilium.k8s.namespace.labels.*`).
    pub namespace_labels: bool,
    /// `reserved:` keys: a reserved identity, never a pod.
    pub reserved: Vec<String>,
    /// Keys of a source no pod has (`container:`, `cidr:`, …), or a requirement on the
    /// cluster name no pod of this cluster meets: the selector matches no pod.
    pub matches_no_pod: Option<String>,
    /// Requirements netplay does not model (service accounts).
    pub unmodelled: Vec<String>,
    /// Validation errors: (path suffix under the selector, message).
    pub errors: Vec<(Vec<String>, String)>,
}

/// Where a requirement goes.
enum Target {
    Pods(String),
    Namespace(String),
    Cluster,
    ServiceAccount,
    Reserved(String),
    OtherSource(String),
}

fn target(key: &str) -> Target {
    let (source, name) = match key.split_once(':') {
        Some((source, name)) => (source, name),
        None => ("any", key),
    };
    match source {
        "k8s" | "any" => {}
        "reserved" => return Target::Reserved(name.to_string()),
        other => return Target::OtherSource(other.to_string()),
    }
    if name == POD_NAMESPACE {
        Target::Namespace(NAMESPACE_NAME_LABEL.to_string())
    } else if let Some(label) = name.strip_prefix(NAMESPACE_LABELS) {
        Target::Namespace(label.to_string())
    } else if name == CLUSTER {
        Target::Cluster
    } else if name == SERVICE_ACCOUNT {
        Target::ServiceAccount
    } else {
        Target::Pods(name.to_string())
    }
}

fn operator(op: &str) -> Option<Operator> {
    Some(match op {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        _ => return None,
    })
}

/// Whether the cluster label of this cluster (`default`) meets the requirement.
fn cluster_meets(op: Operator, values: &[String]) -> bool {
    let has = values.iter().any(|v| v == DEFAULT_CLUSTER);
    match op {
        Operator::In => has,
        Operator::NotIn => !has,
        Operator::Exists => true,
        Operator::DoesNotExist => false,
    }
}

/// Reads a Cilium endpoint selector. `drop_namespace_label`: a CiliumNetworkPolicy's
/// `endpointSelector`, where Cilium replaces a `matchLabels` namespace by the policy's
/// own (returned apart, to be reported when it differs).
pub fn split(sel: &LabelSelector, drop_namespace_label: bool) -> (Split, Option<String>) {
    let mut out = Split::default();
    let mut dropped = None;
    let mut requirements: Vec<(String, Operator, Vec<String>, Vec<String>)> = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        requirements.push((
            k.clone(),
            Operator::In,
            vec![v.clone()],
            vec!["matchLabels".into(), k.clone()],
        ));
    }
    for (i, e) in sel.match_expressions.iter().flatten().enumerate() {
        let path = vec!["matchExpressions".to_string(), i.to_string()];
        let Some(op) = operator(&e.operator) else {
            out.errors.push((
                path,
                format!(
                    "unknown operator {:?}: use In, NotIn, Exists or DoesNotExist",
                    e.operator
                ),
            ));
            continue;
        };
        let values = e.values.clone().unwrap_or_default();
        match op {
            Operator::In | Operator::NotIn if values.is_empty() => {
                out.errors.push((
                    path.clone(),
                    format!("operator {} needs at least one value", e.operator),
                ));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                out.errors
                    .push((path.clone(), format!("operator {} takes no values", e.operator)));
            }
            _ => {}
        }
        requirements.push((e.key.clone(), op, values, path));
    }
    for (key, op, values, path) in requirements {
        let from_match_labels = path[0] == "matchLabels";
        let bare = key.split_once(':').map_or(key.as_str(), |(_, n)| n);
        if let Err(why) = check_label_key(bare) {
            out.errors
                .push((path.clone(), format!("invalid label key {key:?}: {why}")));
        }
        for v in &values {
            if let Err(why) = check_label_value(v) {
                out.errors
                    .push((path.clone(), format!("invalid label value {v:?} for {key}: {why}")));
            }
        }
        match target(&key) {
            Target::Namespace(label) => {
                if label == NAMESPACE_NAME_LABEL && !key.contains(NAMESPACE_LABELS) {
                    if drop_namespace_label && from_match_labels {
                        dropped = values.first().cloned();
                        continue;
                    }
                    out.names_namespace = true;
                } else {
                    out.namespace_labels = true;
                }
                push(&mut out.namespaces, label, op, values);
            }
            Target::Pods(label) => push(&mut out.pods, label, op, values),
            Target::Cluster => {
                if !cluster_meets(op, &values) {
                    out.matches_no_pod = Some(format!(
                        "it requires the cluster name ({CLUSTER}) that this cluster, `{DEFAULT_CLUSTER}`, does not have"
                    ));
                }
            }
            Target::ServiceAccount => out.unmodelled.push(key),
            Target::Reserved(name) => out.reserved.push(name),
            Target::OtherSource(source) => {
                out.matches_no_pod = Some(format!("the label source `{source}:` of {key:?} is on no pod"));
            }
        }
    }
    (out, dropped)
}

fn push(sel: &mut Selector, key: String, op: Operator, values: Vec<String>) {
    match (op, values.as_slice()) {
        (Operator::In, [one]) => sel.match_labels.push((key, one.clone())),
        _ => sel.requirements.push(Requirement {
            key,
            operator: op,
            values,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            match_expressions: None,
        }
    }

    #[test]
    fn source_prefixes_and_namespace_keys_split() {
        let (s, _) = split(
            &labels(&[
                ("k8s:app", "web"),
                ("any:tier", "front"),
                ("k8s:io.kubernetes.pod.namespace", "shop"),
                ("io.cilium.k8s.namespace.labels.team", "a"),
            ]),
            false,
        );
        assert_eq!(s.pods.to_string(), "tier=front,app=web");
        assert_eq!(s.namespaces.to_string(), "team=a,kubernetes.io/metadata.name=shop");
        assert!(s.names_namespace && s.namespace_labels);
        assert!(s.errors.is_empty());
    }

    #[test]
    fn reserved_other_sources_cluster_and_service_accounts() {
        let (s, _) = split(&labels(&[("reserved:host", "")]), false);
        assert_eq!(s.reserved, vec!["host".to_string()]);
        let (s, _) = split(&labels(&[("container:x", "y")]), false);
        assert!(s.matches_no_pod.is_some());
        let (s, _) = split(&labels(&[("io.cilium.k8s.policy.cluster", "default")]), false);
        assert!(s.matches_no_pod.is_none());
        let (s, _) = split(&labels(&[("io.cilium.k8s.policy.cluster", "east")]), false);
        assert!(s.matches_no_pod.is_some());
        let (s, _) = split(&labels(&[("io.cilium.k8s.policy.serviceaccount", "leia")]), false);
        assert_eq!(s.unmodelled.len(), 1);
    }

    #[test]
    fn a_cnp_subject_drops_its_namespace_match_label_but_keeps_expressions() {
        let sel = LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "io.kubernetes.pod.namespace".to_string(),
                "other".to_string(),
            )])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "k8s:io.kubernetes.pod.namespace".into(),
                operator: "NotIn".into(),
                values: Some(vec!["x".into()]),
            }]),
        };
        let (s, dropped) = split(&sel, true);
        assert_eq!(dropped.as_deref(), Some("other"));
        assert_eq!(s.namespaces.to_string(), "kubernetes.io/metadata.name notin (x)");
    }
}
