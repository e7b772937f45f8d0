//! What `netplay apply` (and `probe`, `diff BUNDLE`) sends to a cluster, in which order:
//! the objects of the input as core's parser reads them (each with its file and line),
//! without netplay's own documents, sorted into install phases. The CLI only talks to
//! the API server.

use crate::diagnostics::{Diagnostic, Severity};
use crate::parse::{parse_files, RawObject, SourceFile};

/// Install phases, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Namespaces and CustomResourceDefinitions, before everything that lives in them.
    Foundations,
    /// NetworkPolicies before the workloads they protect, so no pod starts unprotected.
    NetworkPolicies,
    /// Everything else in the usual install order (accounts, config, services, workloads).
    Rest,
    /// Objects of CRD-defined kinds, once their definitions are Established.
    CustomResources,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Foundations,
        Phase::NetworkPolicies,
        Phase::Rest,
        Phase::CustomResources,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Phase::Foundations => "namespaces and CRDs",
            Phase::NetworkPolicies => "network policies",
            Phase::Rest => "other objects",
            Phase::CustomResources => "custom resources",
        }
    }
}

/// Groups whose kinds Kubernetes itself serves; any other group is a custom resource.
fn is_builtin_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

/// The phase of an object of `kind` in API `group` and its rank inside the phase (the
/// order Helm and kubectl users expect: what others refer to first).
pub fn install_order(group: &str, kind: &str) -> (Phase, u8) {
    const REST: &[&str] = &[
        "ResourceQuota",
        "LimitRange",
        "PriorityClass",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "StorageClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Service",
        "DaemonSet",
        "Pod",
        "ReplicaSet",
        "Deployment",
        "StatefulSet",
        "Job",
        "CronJob",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "IngressClass",
        "Ingress",
    ];
    match kind {
        "Namespace" if group.is_empty() => (Phase::Foundations, 0),
        "CustomResourceDefinition" => (Phase::Foundations, 1),
        "NetworkPolicy" => (Phase::NetworkPolicies, 0),
        kind if is_builtin_group(group) => {
            let rank = REST.iter().position(|k| *k == kind).unwrap_or(REST.len());
            (Phase::Rest, u8::try_from(rank).unwrap_or(u8::MAX))
        }
        _ => (Phase::CustomResources, 0),
    }
}

/// The objects of an input as they go to a cluster.
#[derive(Debug, Default)]
pub struct Install {
    /// In install order; stable, so file order within a rank.
    pub objects: Vec<RawObject>,
    /// netplay's own documents (AddressPlan, Cluster, …): they describe the design and no
    /// cluster knows their kinds.
    pub skipped: Vec<RawObject>,
    /// What the parser found wrong. An error means a document could not be read, and
    /// nothing should be sent.
    pub diagnostics: Vec<Diagnostic>,
}

impl Install {
    /// The first error: a document that could not be read.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| d.severity == Severity::Error)
    }
}

/// Reads `files` into the objects to install ([`Install`]).
pub fn install(files: &[SourceFile]) -> Install {
    let (raw, diagnostics) = parse_files(files);
    let (skipped, mut objects): (Vec<RawObject>, Vec<RawObject>) = raw
        .into_iter()
        .partition(|o| super::is_netplay_api_version(&o.api_version));
    crate::sorting::sort_by_key(&mut objects, |o| install_order(o.group(), &o.kind));
    Install {
        objects,
        skipped,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<String> {
        install(&[SourceFile::new("in.yaml", text)])
            .objects
            .iter()
            .map(|o| format!("{} {} (line {})", o.kind, o.name, o.loc.line))
            .collect()
    }

    #[test]
    fn objects_come_in_install_order_with_their_lines() {
        let text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n\
                    apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n";
        assert_eq!(
            kinds(text),
            [
                "Namespace n (line 9)",
                "NetworkPolicy p (line 13)",
                "Deployment d (line 5)",
                "Widget w (line 1)"
            ]
        );
    }

    #[test]
    fn netplays_own_documents_are_set_aside() {
        let got = install(&[SourceFile::new(
            "in.yaml",
            "apiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata: {name: plan}\n",
        )]);
        assert!(got.objects.is_empty());
        assert_eq!(got.skipped.len(), 1);
        assert!(got.first_error().is_none());
    }
}
