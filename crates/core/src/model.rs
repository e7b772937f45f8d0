//! The cluster model: namespaces, workloads, services and policies, built from raw
//! objects. Building never fails; what cannot be understood becomes a diagnostic.

mod pod;

use crate::conn::Protocol;
use crate::diagnostics::{Diagnostic, Location};
use crate::netpol::compile::compile;
use crate::owners::{self, Candidate, Scope, ScopedSelector};
use crate::parse::locate::{DisplayPath, PathSeg};
use crate::parse::RawObject;
use crate::policy::{PeerKind, Selector};
use k8s_openapi::api::core::v1::ServiceSpec;
use k8s_openapi::api::networking::v1::{IngressBackend as K8sBackend, IngressSpec, NetworkPolicySpec};
use pod::pod_info;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};

pub type Labels = BTreeMap<String, String>;

/// The API group of AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy.
const ADMIN_POLICY_GROUP: &str = "policy.networking.k8s.io";

/// The label every namespace carries with its own name (set by the API server).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
    /// Where the Namespace object is; `None` for a namespace that objects use but the
    /// input does not define.
    pub loc: Option<Location>,
}

/// A container port: what a named port in a policy resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A set of identical pods: a workload's pod template, or a bare Pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub kind: String,
    /// The pods' labels.
    pub labels: Labels,
    pub annotations: Labels,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    pub service_account: Option<String>,
    pub loc: Location,
}

impl Workload {
    /// `namespace/name[Kind]`, the name used everywhere.
    pub fn endpoint_name(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetPort {
    Number(u16),
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: u16,
    pub target_port: TargetPort,
    pub protocol: Protocol,
    /// `appProtocol`: with the port name, how Istio tells the application protocol.
    pub app_protocol: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    /// `None`: a Service without selector (endpoints managed elsewhere).
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    pub service_type: String,
    pub loc: Location,
}

/// How an Ingress or a Route names the port of its backend Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendPort {
    /// A Service port by number (Ingress `port.number`).
    Number(u16),
    /// A Service port by name (Ingress `port.name`, Route `port.targetPort` as a string:
    /// the name in the Service's endpoints, which is the Service port's name).
    Name(String),
    /// The port on the pods (Route `port.targetPort` as a number): the Service ports whose
    /// target port is this one.
    Target(u16),
    /// Every port of the Service (a Route without `port`).
    All,
}

impl BackendPort {
    /// The ports of `svc` this backend leads to; `target` is a port's target port on
    /// the pod in question (`None` when it cannot be resolved there).
    pub fn selects(&self, port: &ServicePort, target: Option<u16>) -> bool {
        match self {
            BackendPort::Number(n) => port.port == *n,
            BackendPort::Name(name) => port.name.as_deref() == Some(name.as_str()),
            BackendPort::Target(n) => target == Some(*n),
            BackendPort::All => true,
        }
    }
}

impl std::fmt::Display for BackendPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendPort::Number(n) => write!(f, "port {n}"),
            BackendPort::Name(n) => write!(f, "port {n}"),
            BackendPort::Target(n) => write!(f, "target port {n}"),
            BackendPort::All => f.write_str("every port"),
        }
    }
}

/// One Service backend of an Ingress (a rule path or the default backend).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressBackend {
    pub service: String,
    pub port: BackendPort,
    pub loc: Location,
}

/// An Ingress, or an OpenShift Route: HTTP routed by an ingress controller (a router)
/// to Services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingress {
    /// `Ingress` or `Route`.
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub backends: Vec<IngressBackend>,
    pub loc: Location,
}

/// Every object of the input, modelled or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub loc: Location,
    /// Whether netplay understands this kind (false: kept, reported as info).
    pub modelled: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Sorted by name.
    pub namespaces: Vec<Namespace>,
    /// Sorted by endpoint name.
    pub workloads: Vec<Workload>,
    pub services: Vec<Service>,
    pub ingresses: Vec<Ingress>,
    /// The valid policies of every kind (NetworkPolicy and the admin kinds), in input
    /// order; invalid ones are reported and left out.
    pub policies: Vec<crate::policy::Policy>,
    /// Istio and Gateway API objects.
    pub mesh: crate::mesh::Mesh,
    /// Address plans, CNI configuration objects and the Services' IP families.
    pub cni: crate::cni::CniObjects,
    /// Every object read, in input order.
    pub objects: Vec<ObjectSummary>,
}

static EMPTY_LABELS: Labels = Labels::new();

impl Cluster {
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.namespaces[i])
    }

    /// The labels of a namespace (empty for an unknown one).
    pub fn namespace_labels(&self, name: &str) -> &Labels {
        self.namespace(name).map_or(&EMPTY_LABELS, |n| &n.labels)
    }

    /// Finds a workload by `ns/name[Kind]`, `ns/name`, or a bare name when it is unique.
    /// An owner shown as several workloads (`db/postgres{role=primary}[StatefulSet]`) is
    /// also found by its plain name, which is then ambiguous and lists them.
    pub fn find_workload(&self, query: &str) -> Result<&Workload, String> {
        let owner_name = |w: &Workload| w.name.split_once('{').map_or(w.name.as_str(), |(n, _)| n).to_string();
        let matches: Vec<&Workload> = if query.ends_with(']') {
            let exact: Vec<&Workload> = self.workloads.iter().filter(|w| w.endpoint_name() == query).collect();
            if exact.is_empty() {
                self.workloads
                    .iter()
                    .filter(|w| format!("{}/{}[{}]", w.namespace, owner_name(w), w.kind) == query)
                    .collect()
            } else {
                exact
            }
        } else if let Some((ns, name)) = query.split_once('/') {
            let exact: Vec<&Workload> = self
                .workloads
                .iter()
                .filter(|w| w.namespace == ns && w.name == name)
                .collect();
            if exact.is_empty() {
                self.workloads
                    .iter()
                    .filter(|w| w.namespace == ns && owner_name(w) == name)
                    .collect()
            } else {
                exact
            }
        } else {
            let exact: Vec<&Workload> = self.workloads.iter().filter(|w| w.name == query).collect();
            if exact.is_empty() {
                self.workloads.iter().filter(|w| owner_name(w) == query).collect()
            } else {
                exact
            }
        };
        match matches.as_slice() {
            [w] => Ok(w),
            [] => Err(format!(
                "no workload named {query:?} in the input{}",
                self.workload_hint(query)
            )),
            many => Err(format!(
                "{query:?} is ambiguous: {}",
                many.iter().map(|w| w.endpoint_name()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// `; did you mean "frontend/web"?` for a workload name that matched nothing: the
    /// closest name written the way the query is (`ns/name[Kind]`, `ns/name` or `name`).
    fn workload_hint(&self, query: &str) -> String {
        let written = |w: &Workload| {
            if query.ends_with(']') {
                w.endpoint_name()
            } else if query.contains('/') {
                format!("{}/{}", w.namespace, w.name)
            } else {
                w.name.clone()
            }
        };
        let names: Vec<String> = self.workloads.iter().map(written).collect();
        crate::suggest::hint(query, names.iter().map(String::as_str))
    }

    /// Policy objects of kinds that decide traffic but that netplay does not evaluate
    /// yet, counted by kind (sorted): the verdicts of the input may be wrong because of
    /// them, which every command says on stderr.
    pub fn unevaluated_policies(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for o in self.objects.iter().filter(|o| !o.modelled) {
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            if UNEVALUATED_POLICY_KINDS.contains(&(group, o.kind.as_str())) {
                *counts.entry(o.kind.clone()).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }
}

/// Kinds that allow or deny traffic between pods, by API group. Once netplay models one
/// (`classify` knows it), its objects are no longer counted as ignored.
const UNEVALUATED_POLICY_KINDS: &[(&str, &str)] = &[
    ("cilium.io", "CiliumNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("crd.projectcalico.org", "NetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("crd.projectcalico.org", "StagedNetworkPolicy"),
    ("crd.projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("projectcalico.org", "NetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "StagedNetworkPolicy"),
    ("projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("crd.antrea.io", "NetworkPolicy"),
    ("crd.antrea.io", "ClusterNetworkPolicy"),
    ("k8s.cni.cncf.io", "MultiNetworkPolicy"),
    ("k8s.ovn.org", "EgressFirewall"),
    ("networking.gke.io", "FQDNNetworkPolicy"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Known {
    Namespace,
    Workload,
    Pod,
    Service,
    Ingress,
    /// OpenShift Route: read as an Ingress.
    Route,
    /// AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy.
    Admin(crate::admin::AdminKind),
    NetworkPolicy,
    Mesh(crate::mesh::MeshKind),
    Cni(crate::cni::CniKind),
    /// Read by `multicluster` (Cluster, ServiceExport, KubeFed) or `assertions`, not by the model.
    MultiCluster,
}

/// What netplay knows of `(group, kind)`: the role and the current apiVersion.
fn classify(group: &str, kind: &str) -> Option<(Known, &'static str)> {
    Some(match (group, kind) {
        ("", "Namespace") => (Known::Namespace, "v1"),
        ("", "Pod") => (Known::Pod, "v1"),
        ("", "Service") => (Known::Service, "v1"),
        ("", "ReplicationController") => (Known::Workload, "v1"),
        ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet") => (Known::Workload, "apps/v1"),
        ("apps", "StatefulSet") => (Known::Workload, "apps/v1"),
        ("batch", "Job" | "CronJob") => (Known::Workload, "batch/v1"),
        ("networking.k8s.io" | "extensions", "NetworkPolicy") => (Known::NetworkPolicy, "networking.k8s.io/v1"),
        ("networking.k8s.io", "Ingress") => (Known::Ingress, "networking.k8s.io/v1"),
        ("route.openshift.io", "Route") => (Known::Route, "route.openshift.io/v1"),
        // Each version is read as its own shape (v1alpha2 ClusterNetworkPolicy also as
        // v1beta1): no version is "old".
        (ADMIN_POLICY_GROUP, kind) if crate::admin::AdminKind::from_kind(kind).is_some() => {
            let kind = crate::admin::AdminKind::from_kind(kind)?;
            let current = match kind {
                crate::admin::AdminKind::ClusterNetworkPolicy => "policy.networking.k8s.io/v1alpha2",
                _ => "policy.networking.k8s.io/v1alpha1",
            };
            (Known::Admin(kind), current)
        }
        _ => {
            if let Some(current) =
                crate::multicluster::classify(group, kind).or_else(|| crate::assertions::classify(group, kind))
            {
                return Some((Known::MultiCluster, current));
            }
            if let Some((cni, current)) = crate::cni::classify(group, kind) {
                return Some((Known::Cni(cni), current));
            }
            let (mesh, current) = crate::mesh::classify(group, kind)?;
            (Known::Mesh(mesh), current)
        }
    })
}

/// Built-in API groups: a kind netplay knows under one of these, but in the wrong one, is
/// a mistake rather than a custom resource. Returns the apiVersion that serves the kind.
fn misplaced_builtin(group: &str, kind: &str) -> Option<&'static str> {
    const BUILTIN: [&str; 5] = ["", "apps", "batch", "networking.k8s.io", "extensions"];
    if !BUILTIN.contains(&group) {
        return None;
    }
    ["", "apps", "batch", "networking.k8s.io"]
        .into_iter()
        .find_map(|g| classify(g, kind).map(|(_, current)| current))
}

/// Where a workload kind keeps its pod template.
fn template_path(kind: &str) -> &'static [&'static str] {
    match kind {
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "Pod" => &[],
        _ => &["spec", "template"],
    }
}

fn to_path(keys: &[&str]) -> Vec<PathSeg> {
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
    let mut value = &obj.value;
    for key in path {
        match value.get(key) {
            Some(v) => value = v,
            None => return Ok(None),
        }
    }
    if value.is_null() {
        return Ok(None);
    }
    let mut track = serde_path_to_error::Track::new();
    let mut unknown: Vec<Vec<PathSeg>> = Vec::new();
    let result: Result<T, serde_json::Error> = {
        let de = serde_path_to_error::Deserializer::new(value, &mut track);
        serde_ignored::deserialize(de, |p| unknown.push(ignored_path(&p)))
    };
    match result {
        Ok(v) => {
            for rel in unknown {
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
            for seg in track.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => full.push(PathSeg::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => full.push(PathSeg::Key(key.clone())),
                    _ => {}
                }
            }
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

fn ignored_path(p: &serde_ignored::Path) -> Vec<PathSeg> {
    match p {
        serde_ignored::Path::Root => Vec::new(),
        serde_ignored::Path::Seq { parent, index } => {
            let mut v = ignored_path(parent);
            v.push(PathSeg::Index(*index));
            v
        }
        serde_ignored::Path::Map { parent, key } => {
            let mut v = ignored_path(parent);
            v.push(PathSeg::Key(key.clone()));
            v
        }
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

/// Field names people mistype, for "did you mean" hints.
const KNOWN_FIELDS: &[&str] = &[
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
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= (k.len() / 3).clamp(1, 2))
        .min()
        .map(|(_, k)| k)
}

/// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The pod selectors of the compiled NetworkPolicies (the policy's own and its peers') and
/// of the Services, each where it selects pods.
fn model_selectors(cluster: &Cluster) -> Vec<ScopedSelector> {
    let mut out = Vec::new();
    for p in &cluster.policies {
        out.push(ScopedSelector {
            selector: p.pod_selector.clone(),
            scope: Scope::Namespace(p.namespace.clone()),
        });
        for rule in p.ingress.iter().chain(&p.egress).flatten() {
            for peer in rule.peers.iter().flatten() {
                if let PeerKind::Pods {
                    pods: Some(pods),
                    namespaces,
                } = &peer.kind
                {
                    let scope = match namespaces {
                        None => Scope::Namespace(p.namespace.clone()),
                        Some(ns) => Scope::Namespaces(ns.clone()),
                    };
                    out.push(ScopedSelector {
                        selector: pods.clone(),
                        scope,
                    });
                }
            }
        }
    }
    for s in &cluster.services {
        if let Some(sel) = &s.selector {
            out.push(ScopedSelector {
                selector: Selector {
                    match_labels: sel.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    requirements: Vec::new(),
                },
                scope: Scope::Namespace(s.namespace.clone()),
            });
        }
    }
    out
}

/// Builds the model from raw objects. Returns the cluster and what was found wrong.
pub fn build(raw: Vec<RawObject>) -> (Cluster, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let raw = dedupe(raw, &mut diags);
    let mut cluster = Cluster::default();
    let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut used_namespaces: Vec<String> = Vec::new();
    // Pod selectors of objects the model does not compile, to tell pods of one owner apart.
    let mut selectors: Vec<ScopedSelector> = Vec::new();

    for obj in &raw {
        let known =
            classify(obj.group(), &obj.kind).or_else(|| crate::cni::classify_named(obj).map(|k| (Known::Cni(k), "v1")));
        cluster.objects.push(ObjectSummary {
            api_version: obj.api_version.clone(),
            kind: obj.kind.clone(),
            namespace: obj.namespace.clone(),
            name: obj.name.clone(),
            loc: obj.loc.clone(),
            modelled: known.is_some(),
        });
        crate::mesh::observe(&mut cluster.mesh, obj, cluster.objects.len() - 1);
        if known.is_none() {
            if let Some(served_by) = misplaced_builtin(obj.group(), &obj.kind) {
                diags.push(
                    Diagnostic::new(
                        "NP0008",
                        format!(
                            "{} is not served by apiVersion {}; the API server rejects it",
                            obj.kind, obj.api_version
                        ),
                    )
                    .at(&obj.locate(&[PathSeg::key("apiVersion")]))
                    .resource(obj.resource())
                    .help(format!("write `apiVersion: {served_by}`")),
                );
                continue;
            }
        }
        let Some((role, current)) = known else {
            if obj.group() == ADMIN_POLICY_GROUP {
                owners::raw_selectors(obj, &mut selectors);
            }
            // Only kinds that could change traffic are worth a word (docs/diagnostics.md).
            if crate::diagnostics::may_affect_traffic(obj.group(), &obj.kind) {
                diags.push(
                    Diagnostic::new(
                        "NP0003",
                        format!(
                            "{} ({}) can change traffic but is not modelled by netplay: connections and requests are computed without it",
                            obj.kind, obj.api_version
                        ),
                    )
                    .at(&obj.loc)
                    .resource(obj.resource()),
                );
            }
            continue;
        };
        if obj.api_version != current
            && role != Known::MultiCluster
            && !matches!(role, Known::Admin(_))
            && !crate::mesh::still_served(&obj.api_version)
            && !crate::cni::still_served(&obj.api_version)
        {
            diags.push(
                Diagnostic::new(
                    "NP0006",
                    format!(
                        "{} {} is an old apiVersion; read as {current}",
                        obj.kind, obj.api_version
                    ),
                )
                .at(&obj.locate(&[PathSeg::key("apiVersion")]))
                .resource(obj.resource())
                .help(format!("write `apiVersion: {current}`")),
            );
        }
        let namespace = obj.namespace.clone().unwrap_or_else(|| "default".to_string());
        match role {
            Known::Namespace => match field::<Labels>(obj, &["metadata", "labels"], &mut diags) {
                Ok(labels) => {
                    let mut labels = labels.unwrap_or_default();
                    labels.insert(NAMESPACE_NAME_LABEL.to_string(), obj.name.clone());
                    namespaces.insert(
                        obj.name.clone(),
                        Namespace {
                            name: obj.name.clone(),
                            labels,
                            loc: Some(obj.loc.clone()),
                        },
                    );
                }
                Err(d) => diags.push(*d),
            },
            Known::Pod | Known::Workload => match pod_info(obj, &mut diags) {
                Ok(Some(info)) => {
                    if info.host_network {
                        diags.push(
                            Diagnostic::new(
                                "NP1009",
                                format!("{} {} uses hostNetwork: NetworkPolicy behaviour for host-network pods is undefined and most CNIs do not enforce it", obj.kind, obj.name),
                            )
                            .at(&obj.loc)
                            .resource(obj.resource()),
                        );
                    }
                    used_namespaces.push(namespace.clone());
                    candidates.push(Candidate {
                        kind: obj.kind.clone(),
                        namespace,
                        name: obj.name.clone(),
                        owner: owners::controller_owner(obj),
                        info,
                        loc: obj.loc.clone(),
                    });
                }
                Ok(None) => {}
                Err(d) => diags.push(*d),
            },
            Known::Service => match field::<ServiceSpec>(obj, &["spec"], &mut diags) {
                Ok(spec) => {
                    used_namespaces.push(namespace.clone());
                    crate::cni::note_service(&mut cluster.cni, obj, &namespace, spec.as_ref());
                    cluster.services.push(service(obj, namespace, spec.unwrap_or_default()));
                }
                Err(d) => diags.push(*d),
            },
            Known::Ingress => match field::<IngressSpec>(obj, &["spec"], &mut diags) {
                Ok(spec) => {
                    used_namespaces.push(namespace.clone());
                    cluster
                        .ingresses
                        .push(ingress(obj, namespace, spec.unwrap_or_default()));
                }
                Err(d) => diags.push(*d),
            },
            Known::Admin(kind) => {
                owners::raw_selectors(obj, &mut selectors);
                match field::<crate::admin::types::AdminSpec>(obj, &["spec"], &mut diags) {
                    Ok(spec) => {
                        let (policy, mut ds) = crate::admin::compile::compile(obj, kind, spec);
                        diags.append(&mut ds);
                        cluster.policies.extend(policy);
                    }
                    Err(d) => diags.push(*d),
                }
            }
            Known::Route => match field::<RouteSpec>(obj, &["spec"], &mut diags) {
                Ok(spec) => {
                    used_namespaces.push(namespace.clone());
                    cluster.ingresses.push(route(obj, namespace, spec.unwrap_or_default()));
                }
                Err(d) => diags.push(*d),
            },
            Known::Mesh(kind) => {
                owners::raw_selectors(obj, &mut selectors);
                used_namespaces.push(namespace.clone());
                let order = cluster.objects.len() - 1;
                crate::mesh::read(&mut cluster.mesh, kind, obj, &namespace, order, &mut diags);
            }
            Known::MultiCluster => {}
            Known::Cni(kind) => crate::cni::read(&mut cluster.cni, kind, obj, &mut diags),
            Known::NetworkPolicy => match field::<NetworkPolicySpec>(obj, &["spec"], &mut diags) {
                Ok(spec) => {
                    used_namespaces.push(namespace.clone());
                    let (policy, mut ds) = compile(obj, &namespace, spec.unwrap_or_default());
                    diags.append(&mut ds);
                    cluster.policies.extend(policy);
                }
                Err(d) => diags.push(*d),
            },
        }
    }

    for ns in used_namespaces {
        namespaces.entry(ns.clone()).or_insert_with(|| Namespace {
            labels: Labels::from([(NAMESPACE_NAME_LABEL.to_string(), ns.clone())]),
            name: ns,
            loc: None,
        });
    }
    cluster.namespaces = namespaces.into_values().collect();
    selectors.extend(model_selectors(&cluster));
    let (workloads, mut notes) = owners::fold(&candidates, &selectors, &cluster.namespaces);
    cluster.workloads = workloads;
    diags.append(&mut notes);
    (cluster, diags)
}

/// The same object twice: the later definition wins, as with `kubectl apply`.
fn dedupe(raw: Vec<RawObject>, diags: &mut Vec<Diagnostic>) -> Vec<RawObject> {
    let key = |o: &RawObject| {
        let ns = match classify(o.group(), &o.kind) {
            Some((Known::Namespace, _)) => String::new(),
            Some(_) => o.namespace.clone().unwrap_or_else(|| "default".into()),
            None => o.namespace.clone().unwrap_or_default(),
        };
        // The same kind in another group version (extensions/v1beta1 vs apps/v1) is the
        // same object.
        let group = classify(o.group(), &o.kind).map_or(o.group(), |(_, current)| {
            current.rsplit_once('/').map_or("", |(g, _)| g)
        });
        (group.to_string(), o.kind.clone(), ns, o.name.clone())
    };
    let mut last: HashMap<(String, String, String, String), usize> = HashMap::new();
    for (i, o) in raw.iter().enumerate() {
        if let Some(prev) = last.insert(key(o), i) {
            let p = &raw[prev];
            diags.push(
                Diagnostic::new(
                    "NP0005",
                    format!(
                        "{} is defined twice (first at {}:{}); the later definition wins",
                        o.resource(),
                        p.loc.file,
                        p.loc.line
                    ),
                )
                .at(&o.loc)
                .resource(o.resource()),
            );
        }
    }
    raw.into_iter()
        .enumerate()
        .filter(|(i, o)| last.get(&key(o)) == Some(i))
        .map(|(_, o)| o)
        .collect()
}

fn service(obj: &RawObject, namespace: String, spec: ServiceSpec) -> Service {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let ports = spec
        .ports
        .iter()
        .flatten()
        .filter_map(|p| {
            let port = u16::try_from(p.port).ok()?;
            let protocol = p.protocol.as_deref().map_or(Some(Protocol::Tcp), Protocol::parse)?;
            let target_port = match &p.target_port {
                None => TargetPort::Number(port),
                Some(IntOrString::Int(n)) => TargetPort::Number(u16::try_from(*n).ok()?),
                Some(IntOrString::String(s)) => TargetPort::Name(s.clone()),
            };
            Some(ServicePort {
                name: p.name.clone(),
                port,
                target_port,
                protocol,
                app_protocol: p.app_protocol.clone(),
            })
        })
        .collect();
    Service {
        namespace,
        name: obj.name.clone(),
        selector: spec.selector.map(|s| s.into_iter().collect()),
        ports,
        service_type: spec.type_.unwrap_or_else(|| "ClusterIP".into()),
        loc: obj.loc.clone(),
    }
}

fn ingress(obj: &RawObject, namespace: String, spec: IngressSpec) -> Ingress {
    let mut backends = Vec::new();
    let mut add = |b: &K8sBackend, path: Vec<PathSeg>| {
        let Some(svc) = &b.service else { return };
        let port = match &svc.port {
            Some(p) => match (&p.number, &p.name) {
                (Some(n), _) => match u16::try_from(*n) {
                    Ok(n) => BackendPort::Number(n),
                    Err(_) => return,
                },
                (None, Some(name)) => BackendPort::Name(name.clone()),
                (None, None) => return,
            },
            None => return,
        };
        backends.push(IngressBackend {
            service: svc.name.clone(),
            port,
            loc: obj.locate(&path),
        });
    };
    if let Some(b) = &spec.default_backend {
        add(b, to_path(&["spec", "defaultBackend"]));
    }
    for (ri, rule) in spec.rules.iter().flatten().enumerate() {
        for (pi, path) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
            let mut p = to_path(&["spec", "rules"]);
            p.extend([
                PathSeg::Index(ri),
                PathSeg::key("http"),
                PathSeg::key("paths"),
                PathSeg::Index(pi),
                PathSeg::key("backend"),
            ]);
            add(&path.backend, p);
        }
    }
    Ingress {
        kind: "Ingress",
        namespace,
        name: obj.name.clone(),
        backends,
        loc: obj.loc.clone(),
    }
}

/// An OpenShift Route (route.openshift.io/v1) as the router sees it: `spec.to` and
/// `spec.alternateBackends` (Services; a weight of 0 receives nothing) on
/// `spec.port.targetPort` — a name is a Service port's name, a number the port on the
/// pods — or on every Service port when `port` is absent.
fn route(obj: &RawObject, namespace: String, spec: RouteSpec) -> Ingress {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let port = match spec.port.and_then(|p| p.target_port) {
        None => BackendPort::All,
        Some(IntOrString::String(name)) => BackendPort::Name(name),
        Some(IntOrString::Int(n)) => match u16::try_from(n) {
            Ok(n) => BackendPort::Target(n),
            Err(_) => BackendPort::All,
        },
    };
    let mut backends = Vec::new();
    let targets = spec.to.into_iter().map(|t| (t, to_path(&["spec", "to"]))).chain(
        spec.alternate_backends.into_iter().flatten().enumerate().map(|(i, t)| {
            let mut p = to_path(&["spec", "alternateBackends"]);
            p.push(PathSeg::Index(i));
            (t, p)
        }),
    );
    for (target, path) in targets {
        let is_service = target.kind.as_deref().is_none_or(|k| k == "Service");
        if !is_service || target.weight == Some(0) {
            continue;
        }
        if let Some(name) = target.name {
            backends.push(IngressBackend {
                service: name,
                port: port.clone(),
                loc: obj.locate(&path),
            });
        }
    }
    Ingress {
        kind: "Route",
        namespace,
        name: obj.name.clone(),
        backends,
        loc: obj.loc.clone(),
    }
}

/// The fields of a Route's spec that decide where the router sends traffic.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RouteSpec {
    to: Option<RouteTarget>,
    alternate_backends: Option<Vec<RouteTarget>>,
    port: Option<RoutePort>,
    // Known fields that do not change which pods receive the traffic (named so that
    // they are not reported as unknown).
    #[serde(rename = "host")]
    _host: Option<serde_json::Value>,
    #[serde(rename = "path")]
    _path: Option<serde_json::Value>,
    #[serde(rename = "tls")]
    _tls: Option<serde_json::Value>,
    #[serde(rename = "wildcardPolicy")]
    _wildcard_policy: Option<serde_json::Value>,
    #[serde(rename = "subdomain")]
    _subdomain: Option<serde_json::Value>,
    #[serde(rename = "httpHeaders")]
    _http_headers: Option<serde_json::Value>,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RouteTarget {
    kind: Option<String>,
    name: Option<String>,
    weight: Option<i32>,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RoutePort {
    target_port: Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
}
