//! Sidecar injection: whether a workload's pods run an Istio sidecar.
//!
//! Istio's injector (docs: "Installing the Sidecar", "Controlling the injection policy"):
//! the namespace is enabled by `istio-injection=enabled` or `istio.io/rev=<rev>` (when both
//! are present `istio-injection` takes precedence) and disabled by
//! `istio-injection=disabled`; the pod by `sidecar.istio.io/inject: "true"` or an
//! `istio.io/rev` label and disabled by `sidecar.istio.io/inject: "false"`. If either is
//! disabled the pod is not injected; else if either is enabled it is; else it is not (the
//! default `enableNamespacesByDefault: false`). A pod that already carries the injector's
//! `sidecar.istio.io/status` annotation (a dump of a live cluster) has a sidecar.

use crate::model::{Cluster, Workload};

/// Whether a workload has a sidecar, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    pub injected: bool,
    pub reason: String,
}

const INJECT: &str = "sidecar.istio.io/inject";
const REV: &str = "istio.io/rev";

/// Decides sidecar injection for a workload from its namespace's labels and its pod
/// template's labels and annotations.
pub fn sidecar_injected(cluster: &Cluster, w: &Workload) -> Injection {
    let said = |injected: bool, reason: String| Injection { injected, reason };
    if w.annotations.contains_key("sidecar.istio.io/status") {
        return said(
            true,
            "the pod carries the sidecar.istio.io/status annotation: it was injected".into(),
        );
    }
    let ns_labels = cluster.namespace_labels(&w.namespace);
    // The pod's own switch: the label, or the older annotation.
    let pod = w.labels.get(INJECT).or_else(|| w.annotations.get(INJECT));
    let pod_setting = match pod.map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) if v == "false" => Some(false),
        Some(v) if v == "true" => Some(true),
        _ => None,
    };
    let pod_rev = w.labels.get(REV);
    let ns_setting = match ns_labels.get("istio-injection").map(String::as_str) {
        Some("enabled") => Some((true, "istio-injection=enabled".to_string())),
        Some("disabled") => Some((false, "istio-injection=disabled".to_string())),
        _ => ns_labels.get(REV).map(|r| (true, format!("istio.io/rev={r}"))),
    };
    let ns = &w.namespace;
    if pod_setting == Some(false) {
        return said(false, format!("the pod template sets {INJECT}: \"false\""));
    }
    if let Some((false, label)) = &ns_setting {
        return said(false, format!("namespace {ns} has {label}"));
    }
    if pod_setting == Some(true) {
        return said(true, format!("the pod template sets {INJECT}: \"true\""));
    }
    if let Some(rev) = pod_rev {
        return said(true, format!("the pod template has the label {REV}={rev}"));
    }
    if let Some((true, label)) = &ns_setting {
        return said(true, format!("namespace {ns} has {label}"));
    }
    said(
        false,
        format!(
            "namespace {ns} has no istio-injection or istio.io/rev label and the pod template does not set {INJECT}"
        ),
    )
}
