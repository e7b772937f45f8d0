//! Istio annotations on the Namespaces, Services, Pods and Deployments of the input (their
//! own `metadata.annotations`, not pod templates, as istioctl): an annotation in Istio's
//! domain (`*.istio.io/...`, and `kubernetes.io/ingress.class`) that Istio does not define
//! (IST0108), one on a kind it does not apply to (IST0107) and a deprecated one (IST0135).
//! The catalog follows istio/api's annotation list.

use super::{resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::inventory::istio_domain;
use crate::mesh::types::StrMap;
use crate::mesh::{key, ObjRef};

/// What an annotation applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Any,
    Pod,
    Service,
    Ingress,
    Gateway,
    AuthorizationPolicy,
    ServiceEntry,
    WorkloadEntry,
}

impl On {
    fn as_str(self) -> &'static str {
        match self {
            On::Any => "any resource",
            On::Pod => "Pod",
            On::Service => "Service",
            On::Ingress => "Ingress",
            On::Gateway => "Gateway",
            On::AuthorizationPolicy => "AuthorizationPolicy",
            On::ServiceEntry => "ServiceEntry",
            On::WorkloadEntry => "WorkloadEntry",
        }
    }
}

/// `(name, applies to, deprecated)`.
const CATALOG: &[(&str, On, bool)] = &[
    ("alpha.istio.io/canonical-serviceaccounts", On::Service, true),
    ("alpha.istio.io/identity", On::Pod, true),
    ("alpha.istio.io/kubernetes-serviceaccounts", On::Service, true),
    ("ambient.istio.io/bypass-inbound-capture", On::Pod, false),
    ("ambient.istio.io/dns-capture", On::Pod, false),
    ("ambient.istio.io/redirection", On::Pod, false),
    ("galley.istio.io/analyze-suppress", On::Any, false),
    ("gateway.istio.io/controller-version", On::Any, false),
    ("gateway.istio.io/service-account", On::Gateway, false),
    ("inject.istio.io/templates", On::Pod, false),
    ("install.operator.istio.io/chart-owner", On::Any, false),
    ("install.operator.istio.io/owner-generation", On::Any, false),
    ("install.operator.istio.io/version", On::Any, false),
    ("istio.io/autoRegistrationGroup", On::WorkloadEntry, false),
    ("istio.io/connectedAt", On::WorkloadEntry, false),
    ("istio.io/disconnectedAt", On::WorkloadEntry, false),
    ("istio.io/dry-run", On::AuthorizationPolicy, false),
    ("istio.io/for-service-account", On::Service, false),
    ("istio.io/rev", On::Pod, false),
    ("istio.io/workloadController", On::WorkloadEntry, false),
    ("kubernetes.io/ingress.class", On::Ingress, false),
    ("networking.alpha.istio.io/endpointsVersion", On::ServiceEntry, false),
    ("networking.alpha.istio.io/notReadyEndpoints", On::ServiceEntry, false),
    ("networking.alpha.istio.io/serviceVersion", On::ServiceEntry, false),
    ("networking.istio.io/address-type", On::Gateway, false),
    ("networking.istio.io/exportTo", On::Service, false),
    ("networking.istio.io/service-type", On::Gateway, false),
    ("networking.istio.io/traffic-distribution", On::Service, false),
    ("prometheus.istio.io/merge-metrics", On::Pod, false),
    ("proxy.istio.io/config", On::Pod, false),
    ("proxy.istio.io/overrides", On::Pod, false),
    ("readiness.status.sidecar.istio.io/applicationPorts", On::Pod, false),
    ("readiness.status.sidecar.istio.io/failureThreshold", On::Pod, false),
    ("readiness.status.sidecar.istio.io/initialDelaySeconds", On::Pod, false),
    ("readiness.status.sidecar.istio.io/periodSeconds", On::Pod, false),
    ("security.istio.io/autoMTLS", On::Pod, false),
    ("sidecar.istio.io/agentLogLevel", On::Pod, false),
    ("sidecar.istio.io/bootstrapOverride", On::Pod, false),
    ("sidecar.istio.io/componentLogLevel", On::Pod, false),
    ("sidecar.istio.io/controlPlaneAuthPolicy", On::Pod, true),
    ("sidecar.istio.io/discoveryAddress", On::Pod, true),
    ("sidecar.istio.io/enableCoreDump", On::Pod, false),
    ("sidecar.istio.io/extraStatTags", On::Pod, true),
    ("sidecar.istio.io/inject", On::Pod, true),
    ("sidecar.istio.io/interceptionMode", On::Pod, false),
    ("sidecar.istio.io/logLevel", On::Pod, false),
    ("sidecar.istio.io/nativeSidecar", On::Pod, false),
    ("sidecar.istio.io/proxyCPU", On::Pod, false),
    ("sidecar.istio.io/proxyCPULimit", On::Pod, false),
    ("sidecar.istio.io/proxyImage", On::Pod, false),
    ("sidecar.istio.io/proxyImageType", On::Pod, false),
    ("sidecar.istio.io/proxyMemory", On::Pod, false),
    ("sidecar.istio.io/proxyMemoryLimit", On::Pod, false),
    ("sidecar.istio.io/rewriteAppHTTPProbers", On::Pod, false),
    ("sidecar.istio.io/statsCompression", On::Pod, false),
    ("sidecar.istio.io/statsHistogramBuckets", On::Pod, false),
    ("sidecar.istio.io/statsInclusionPrefixes", On::Pod, true),
    ("sidecar.istio.io/statsInclusionRegexps", On::Pod, true),
    ("sidecar.istio.io/statsInclusionSuffixes", On::Pod, true),
    ("sidecar.istio.io/status", On::Pod, false),
    ("sidecar.istio.io/userVolume", On::Pod, false),
    ("sidecar.istio.io/userVolumeMount", On::Pod, false),
    ("status.sidecar.istio.io/port", On::Pod, false),
    ("topology.istio.io/controlPlaneClusters", On::Any, false),
    ("traffic.istio.io/nodeSelector", On::Service, false),
    ("traffic.sidecar.istio.io/excludeInboundPorts", On::Pod, false),
    ("traffic.sidecar.istio.io/excludeInterfaces", On::Pod, false),
    ("traffic.sidecar.istio.io/excludeOutboundIPRanges", On::Pod, false),
    ("traffic.sidecar.istio.io/excludeOutboundPorts", On::Pod, false),
    ("traffic.sidecar.istio.io/includeInboundPorts", On::Pod, false),
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", On::Pod, false),
    ("traffic.sidecar.istio.io/includeOutboundPorts", On::Pod, false),
    ("traffic.sidecar.istio.io/kubevirtInterfaces", On::Pod, false),
];

pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let inv = ctx.inventory;
    for ns in &inv.namespaces {
        object(&ns.meta, &ns.annotations, &ns.labels, out);
    }
    for s in &inv.services {
        object(&s.meta, &s.annotations, &s.labels, out);
    }
    for p in &inv.pods {
        object(&p.meta, &p.annotations, &p.labels, out);
    }
    for d in &inv.deployments {
        object(&d.meta, &d.annotations, &d.labels, out);
    }
}

fn object(meta: &ObjRef, annotations: &StrMap, labels: &StrMap, out: &mut Vec<Diagnostic>) {
    for name in annotations.keys() {
        if !(istio_domain(name) || name == "kubernetes.io/ingress.class") {
            continue;
        }
        let at = meta.locate(&[key("metadata"), key("annotations"), key(name)]);
        let Some(&(_, on, deprecated)) = CATALOG.iter().find(|(n, _, _)| n == name) else {
            out.push(
                Diagnostic::new(
                    "IST0108",
                    format!(
                        "Unknown annotation: {name}: Istio defines no annotation of this name, so it has no effect"
                    ),
                )
                .at(&at)
                .resource(super::resource(meta))
                .help("check the spelling against Istio's resource annotations reference, or remove it"),
            );
            continue;
        };
        if deprecated {
            // Keeping the deprecated annotation beside its replacement label is deliberate.
            let replaced = name == "sidecar.istio.io/inject" && labels.contains_key(name);
            if !replaced {
                let extra = if name == "sidecar.istio.io/inject" {
                    " in favor of the \"sidecar.istio.io/inject\" label"
                } else {
                    ""
                };
                out.push(
                    Diagnostic::new(
                        "IST0135",
                        format!("Annotation {name:?} has been deprecated{extra} and may not work in future Istio versions"),
                    )
                    .at(&at)
                    .resource(resource(meta))
                    .help(if extra.is_empty() {
                        "remove it, or use what Istio's annotation reference names as its replacement (often a ProxyConfig or mesh config field)".to_string()
                    } else {
                        "set the `sidecar.istio.io/inject` label on the pod (template) instead".to_string()
                    }),
                );
            }
        }
        if on != On::Any && on.as_str() != meta.kind {
            let why = if on == On::Pod && meta.kind == "Deployment" {
                " (put it on the pod template, spec.template.metadata.annotations)"
            } else {
                ""
            };
            out.push(
                Diagnostic::new(
                    "IST0107",
                    format!(
                        "Misplaced annotation: {name} can only be applied to {}{why}",
                        on.as_str()
                    ),
                )
                .at(&at)
                .resource(resource(meta))
                .help(format!("move the annotation to the {} it is meant for", on.as_str())),
            );
        }
    }
}
