//! Reading: raw objects into the cluster model ([`crate::model`]). Building never fails;
//! what cannot be understood becomes a diagnostic. The readers of each kind live here
//! (NetworkPolicy in [`netpol`], pods in `pod`, owners in [`owners`]); analyses never
//! import this module.

mod ahead;
pub mod calico;
pub mod cilium;
pub(crate) mod cni;
mod fields;
pub(crate) mod findings;
pub(crate) mod mesh;
pub(crate) mod multicluster;
pub mod names;
pub mod netpol;
pub(crate) mod owners;
mod pod;
mod pod_spec;
mod value_de;

use crate::conn::Protocol;
use crate::diagnostics::{Checked, Diagnostic};
use crate::model::cni::NETPLAY_API_VERSION;
use crate::model::*;
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::policy::{PeerKind, Selector};
pub(crate) use fields::field;
use fields::to_path;
pub use fields::KNOWN_FIELDS;
use k8s_openapi::api::core::v1::ServiceSpec;
use k8s_openapi::api::networking::v1::{IngressBackend as K8sBackend, IngressSpec};
use owners::{Candidate, Scope, ScopedSelector};
use pod::pod_info;
use std::collections::{BTreeMap, HashMap};

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
    /// CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy: compiled once every
    /// Service is read (`toServices`).
    Cilium(cilium::CiliumKind),
    NetworkPolicy,
    Mesh(crate::model::mesh::MeshKind),
    Cni(crate::model::cni::CniKind),
    /// Read by `multicluster` (Cluster, ServiceExport, KubeFed) or `assertions`, not by the model.
    MultiCluster,
    /// Calico policies, tiers and network sets (read last, by `calico::finish`).
    Calico(calico::CalicoKind),
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
        ("projectcalico.org", kind) if calico::CalicoKind::from_kind(kind).is_some() => (
            Known::Calico(calico::CalicoKind::from_kind(kind)?),
            "projectcalico.org/v3",
        ),
        ("crd.projectcalico.org", kind) if calico::CalicoKind::from_kind(kind).is_some() => (
            Known::Calico(calico::CalicoKind::from_kind(kind)?),
            "crd.projectcalico.org/v1",
        ),
        (cilium::GROUP, kind) if cilium::CiliumKind::from_kind(kind).is_some() => {
            (Known::Cilium(cilium::CiliumKind::from_kind(kind)?), "cilium.io/v2")
        }
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
            // `Assertions` are read beside the model (`assertions::read`), like the
            // multi-cluster kinds.
            let assertions = is_assertions(group, kind).then_some(NETPLAY_API_VERSION);
            if let Some(current) = multicluster::classify(group, kind).or(assertions) {
                return Some((Known::MultiCluster, current));
            }
            if let Some((cni, current)) = cni::classify(group, kind) {
                return Some((Known::Cni(cni), current));
            }
            let (mesh, current) = mesh::classify(group, kind)?;
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

/// Builds the model from raw objects: the cluster and what was found wrong.
// Its steps (`dedupe`, `ahead::one`, `Builder::admit`, `read`, `pod`, `policy`, `finish`)
// are never inlined: merged into one function of 48 KB, the browser's baseline compiler
// took twice the CPU per byte of the same code in parts on the first evaluation
// (docs/performance.md, "The default scenario's first evaluation").
pub fn build(raw: Vec<RawObject>) -> Checked<Cluster> {
    let mut diags = Vec::new();
    let raw = dedupe(raw, &mut diags);
    #[cfg(not(target_arch = "wasm32"))]
    let ahead = ahead::read_ahead(&raw);
    // One thread: each object read ahead just before the builder takes it.
    #[cfg(target_arch = "wasm32")]
    let ahead = raw.iter().enumerate().map(|(order, obj)| ahead::one(obj, order));
    let mut b = Builder {
        diags,
        ..Builder::default()
    };
    for (obj, ahead) in raw.iter().zip(ahead) {
        if let Some(role) = b.admit(obj, ahead.known, ahead.refused, ahead.observed) {
            b.read(obj, role, ahead.typed);
        }
    }
    let cluster = b.finish();
    // The objects' values are no longer needed; freeing them is ≈ a tenth of reading.
    crate::parse::parallel::drop_aside(raw);
    cluster
}

/// What `build` gathers while it reads the objects one by one; kinds whose reading needs
/// every object (Calico's tiers and selectors, Cilium's `toServices`, pods folded into
/// workloads by owner) wait here for [`Builder::finish`].
#[derive(Default)]
struct Builder<'r> {
    diags: Vec<Diagnostic>,
    cluster: Cluster,
    namespaces: BTreeMap<String, Namespace>,
    candidates: Vec<Candidate>,
    used_namespaces: Vec<String>,
    /// Pod selectors of objects the model does not compile, to tell pods of one owner apart.
    selectors: Vec<ScopedSelector>,
    calico_objects: calico::Pending<'r>,
    /// Cilium policies wait for every Service (`toServices`).
    cilium_objects: Vec<(&'r RawObject, cilium::CiliumKind, String)>,
    service_infos: Vec<cilium::ServiceInfo>,
}

impl<'r> Builder<'r> {
    /// Lists the object and decides whether the model reads it: its role, or `None` for
    /// an object that is unknown (NP0003 when it could change traffic), served by another
    /// apiVersion (NP0008) or refused by the API server (NP0023). An old apiVersion is
    /// read, with NP0006.
    /// `known`, `refused` and `observed` are the object's role, NP0023s and what the mesh
    /// analyzers need of it, read ahead ([`ahead`]).
    #[inline(never)]
    fn admit(
        &mut self,
        obj: &RawObject,
        known: Option<(Known, &'static str)>,
        refused: Vec<Diagnostic>,
        observed: Option<crate::model::mesh::inventory::Inventory>,
    ) -> Option<Known> {
        self.cluster.objects.push(ObjectSummary {
            api_version: obj.api_version.clone(),
            kind: obj.kind.clone(),
            namespace: obj.namespace.clone(),
            name: obj.name.clone(),
            loc: obj.loc.clone(),
            modelled: known.is_some(),
        });
        let inventory = &mut self.cluster.mesh.inventory;
        match observed {
            Some(alone) => mesh::add_observed(inventory, alone),
            None => mesh::observe(inventory, obj, self.cluster.objects.len() - 1),
        }
        let Some((role, current)) = known else {
            self.unknown(obj);
            return None;
        };
        if obj.api_version != current
            && role != Known::MultiCluster
            && !matches!(role, Known::Admin(_))
            && !mesh::still_served(&obj.api_version)
            && !cni::still_served(&obj.api_version)
        {
            self.diags.push(
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
        // An object whose name, labels or port names the API server refuses never exists
        // in a cluster: reported (NP0023) and left out, as `kubectl apply` leaves it.
        if !refused.is_empty() {
            self.diags.extend(refused);
            return None;
        }
        Some(role)
    }

    /// An object of a kind the model does not read: a known kind in the wrong API group
    /// (NP0008), else a word only when it could change traffic (NP0003,
    /// docs/diagnostics.md). Admin policies of an unknown version still lend their
    /// selectors to telling pods apart.
    #[inline(never)]
    fn unknown(&mut self, obj: &RawObject) {
        if let Some(served_by) = misplaced_builtin(obj.group(), &obj.kind) {
            self.diags.push(
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
            return;
        }
        if obj.group() == ADMIN_POLICY_GROUP {
            owners::raw_selectors(obj, &mut self.selectors);
        }
        if crate::diagnostics::may_affect_traffic(obj.group(), &obj.kind) {
            self.diags.push(
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
    }

    /// Reads one admitted object into the model by its role; `typed` is what was read
    /// of it ahead.
    #[inline(never)]
    fn read(&mut self, obj: &'r RawObject, role: Known, typed: ahead::Typed) {
        let namespace = obj.namespace.clone().unwrap_or_else(|| "default".to_string());
        let diags = &mut self.diags;
        match role {
            Known::Namespace => match field::<Labels>(obj, &["metadata", "labels"], diags) {
                Ok(labels) => {
                    let mut labels = labels.unwrap_or_default();
                    labels.insert(NAMESPACE_NAME_LABEL.to_string(), obj.name.clone());
                    self.namespaces.insert(
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
            Known::Pod | Known::Workload => self.pod(obj, role, namespace, typed),
            Known::Service => self.service(obj, namespace),
            Known::Ingress => self.ingress::<IngressSpec>(obj, namespace, ingress),
            Known::Route => self.ingress::<RouteSpec>(obj, namespace, route),
            Known::Mesh(kind) => self.mesh(obj, kind, namespace),
            Known::MultiCluster => {}
            Known::Cni(kind) => self.cni(obj, kind),
            Known::NetworkPolicy | Known::Admin(_) | Known::Cilium(_) | Known::Calico(_) => {
                self.policy(obj, role, namespace, typed)
            }
        }
    }

    // The readers of each kind are never inlined into `read` (here and below): the
    // browser compiles a wasm function whole on its first call, so one `read` holding
    // every kind's reader cost the first evaluation the compilation of readers its input
    // never calls (docs/performance.md, "The default scenario's first evaluation").
    #[inline(never)]
    fn service(&mut self, obj: &RawObject, namespace: String) {
        match field::<ServiceSpec>(obj, &["spec"], &mut self.diags) {
            Ok(spec) => {
                self.used_namespaces.push(namespace.clone());
                cni::note_service(&mut self.cluster.cni, obj, &namespace, spec.as_ref());
                self.service_infos.push(cilium::ServiceInfo {
                    namespace: namespace.clone(),
                    name: obj.name.clone(),
                    labels: obj_labels(obj),
                    selector: spec.as_ref().and_then(|s| s.selector.clone()),
                });
                self.cluster
                    .services
                    .push(service(obj, namespace, spec.unwrap_or_default()));
            }
            Err(d) => self.diags.push(*d),
        }
    }

    /// An Ingress, or an OpenShift Route read as one: `spec` read as `S`, then `model`.
    #[inline(never)]
    fn ingress<S: serde::de::DeserializeOwned + Default>(
        &mut self,
        obj: &RawObject,
        namespace: String,
        model: fn(&RawObject, String, S) -> Ingress,
    ) {
        match field::<S>(obj, &["spec"], &mut self.diags) {
            Ok(spec) => {
                self.used_namespaces.push(namespace.clone());
                self.cluster
                    .ingresses
                    .push(model(obj, namespace, spec.unwrap_or_default()));
            }
            Err(d) => self.diags.push(*d),
        }
    }

    #[inline(never)]
    fn mesh(&mut self, obj: &RawObject, kind: crate::model::mesh::MeshKind, namespace: String) {
        owners::raw_selectors(obj, &mut self.selectors);
        self.used_namespaces.push(namespace.clone());
        let order = self.cluster.objects.len() - 1;
        mesh::read(&mut self.cluster.mesh, kind, obj, &namespace, order, &mut self.diags);
    }

    #[inline(never)]
    fn cni(&mut self, obj: &RawObject, kind: crate::model::cni::CniKind) {
        cni::read(&mut self.cluster.cni, kind, obj, &mut self.diags);
    }

    /// A Pod or a workload's pod template: a candidate for [`owners::fold`], unless the
    /// Pod has finished (phase Succeeded or Failed): then it runs no container and is in no
    /// Service's endpoints, so no verdict or check may count it (NP0022).
    #[inline(never)]
    fn pod(&mut self, obj: &RawObject, role: Known, namespace: String, typed: ahead::Typed) {
        if let Some(phase) = finished_phase(obj).filter(|_| role == Known::Pod) {
            self.diags.push(
                Diagnostic::new(
                    "NP0022",
                    format!(
                        "Pod {} is {phase}: its containers have terminated, so it receives no traffic and is no endpoint",
                        obj.name
                    ),
                )
                .at(&obj.locate(&[PathSeg::key("status"), PathSeg::key("phase")]))
                .resource(obj.resource()),
            );
            return;
        }
        let info = match typed {
            ahead::Typed::Pod(mut diags, info) => {
                self.diags.append(&mut diags);
                info
            }
            _ => pod_info(obj, &mut self.diags),
        };
        match info {
            Ok(Some(info)) => {
                if info.host_network {
                    self.diags.push(
                        Diagnostic::new(
                            "NP1009",
                            format!(
                                "{} {} uses hostNetwork: netplay shows it as {}, whose traffic no policy selects and no pod or namespace selector admits; only address peers (ipBlock, networks) that hold the node's address do. That is the most common implementation: the Kubernetes docs leave NetworkPolicy for hostNetwork pods undefined",
                                obj.kind,
                                obj.name,
                                crate::model::node_view(info.node.as_deref(), info.node_address)
                            ),
                        )
                        .at(&obj.loc)
                        .resource(obj.resource()),
                    );
                }
                self.used_namespaces.push(namespace.clone());
                self.candidates.push(Candidate {
                    kind: obj.kind.clone(),
                    namespace,
                    name: obj.name.clone(),
                    owner: owners::controller_owner(obj),
                    info,
                    loc: obj.loc.clone(),
                });
            }
            Ok(None) => {}
            Err(d) => self.diags.push(*d),
        }
    }

    /// A policy of any kind: NetworkPolicy and the admin tiers are compiled into the rule
    /// model now; Cilium and Calico objects wait for [`Builder::finish`].
    #[inline(never)]
    fn policy(&mut self, obj: &'r RawObject, role: Known, namespace: String, typed: ahead::Typed) {
        let diags = &mut self.diags;
        match role {
            Known::NetworkPolicy => {
                let compiled = match typed {
                    ahead::Typed::NetworkPolicy(mut read, compiled) => {
                        diags.append(&mut read);
                        compiled
                    }
                    _ => netpol::read_and_compile(obj, &namespace, diags),
                };
                match compiled {
                    Ok((policy, mut ds)) => {
                        self.used_namespaces.push(namespace.clone());
                        diags.append(&mut ds);
                        self.cluster.policies.extend(policy);
                    }
                    Err(d) => diags.push(*d),
                }
            }
            Known::Admin(kind) => self.admin(obj, kind),
            Known::Cilium(kind) => {
                if kind == cilium::CiliumKind::Namespaced {
                    self.used_namespaces.push(namespace.clone());
                }
                self.cilium_objects.push((obj, kind, namespace));
            }
            Known::Calico(kind) => {
                if obj.namespace.is_some() || kind == calico::CalicoKind::NetworkSet {
                    self.used_namespaces.push(namespace.clone());
                }
                self.calico_objects.push(obj, kind);
            }
            _ => {}
        }
    }

    #[inline(never)]
    fn admin(&mut self, obj: &RawObject, kind: crate::admin::AdminKind) {
        owners::raw_selectors(obj, &mut self.selectors);
        match field::<crate::admin::types::AdminSpec>(obj, &["spec"], &mut self.diags) {
            Ok(spec) => {
                let (policy, mut ds) = crate::admin::compile::compile(obj, kind, spec);
                self.diags.append(&mut ds);
                self.cluster.policies.extend(policy);
            }
            Err(d) => self.diags.push(*d),
        }
    }

    /// What needs every object: namespaces only referred to, Calico and Cilium policies,
    /// and pods folded into workloads by the selectors that tell them apart.
    #[inline(never)]
    fn finish(mut self) -> Checked<Cluster> {
        let (cluster, diags) = (&mut self.cluster, &mut self.diags);
        for ns in self.used_namespaces {
            self.namespaces.entry(ns.clone()).or_insert_with(|| Namespace {
                labels: Labels::from([(NAMESPACE_NAME_LABEL.to_string(), ns.clone())]),
                name: ns,
                loc: None,
            });
        }
        cluster.namespaces = self.namespaces.into_values().collect();
        calico::finish(self.calico_objects, cluster, diags);
        if !self.cilium_objects.is_empty() {
            cilium_policies(self.cilium_objects, &self.service_infos, cluster, diags);
        }
        self.selectors.extend(model_selectors(cluster));
        let (workloads, mut notes) = owners::fold(&self.candidates, &self.selectors, &cluster.namespaces);
        crate::parse::parallel::drop_aside(self.candidates);
        cluster.workloads = workloads;
        diags.append(&mut notes);
        Checked::new(self.cluster, self.diags)
    }
}

/// Compiles the Cilium policies once every Service is read (`toServices`). Never inlined
/// into `finish`, like the readers of `Builder::read`.
#[inline(never)]
fn cilium_policies(
    objects: Vec<(&RawObject, cilium::CiliumKind, String)>,
    services: &[cilium::ServiceInfo],
    cluster: &mut Cluster,
    diags: &mut Vec<Diagnostic>,
) {
    for (obj, kind, namespace) in objects {
        let spec = field::<cilium::types::CiliumRule>(obj, &["spec"], diags);
        let specs = field::<Vec<cilium::types::CiliumRule>>(obj, &["specs"], diags);
        let (spec, specs) = match (spec, specs) {
            (Ok(spec), Ok(specs)) => (spec, specs),
            (Err(d), _) | (_, Err(d)) => {
                diags.push(*d);
                continue;
            }
        };
        let (policies, mut ds) = cilium::compile(obj, kind, &namespace, spec, specs, services);
        diags.append(&mut ds);
        cluster.policies.extend(policies);
    }
}

/// The same object twice: the later definition wins, as with `kubectl apply`.
#[inline(never)]
fn dedupe(raw: Vec<RawObject>, diags: &mut Vec<Diagnostic>) -> Vec<RawObject> {
    // Borrowed keys: copying four strings of every object was a tenth of the model's
    // one-thread time at 20,000 workloads.
    fn key(o: &RawObject) -> (&str, &str, &str, &str) {
        let known = classify(o.group(), &o.kind);
        let ns = match known {
            Some((Known::Namespace, _)) => "",
            Some(_) => o.namespace.as_deref().unwrap_or("default"),
            None => o.namespace.as_deref().unwrap_or_default(),
        };
        // The same kind in another group version (extensions/v1beta1 vs apps/v1) is the
        // same object.
        let group = known.map_or(o.group(), |(_, current)| {
            current.rsplit_once('/').map_or("", |(g, _)| g)
        });
        (group, &o.kind, ns, &o.name)
    }
    let mut last: HashMap<(&str, &str, &str, &str), usize> = HashMap::with_capacity(raw.len());
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
    let mut kept = vec![false; raw.len()];
    for i in last.into_values() {
        if let Some(k) = kept.get_mut(i) {
            *k = true;
        }
    }
    raw.into_iter().zip(kept).filter(|(_, k)| *k).map(|(o, _)| o).collect()
}

/// An object's `metadata.labels`, leniently (a wrong type reads as none).
fn obj_labels(obj: &RawObject) -> Labels {
    let labels = obj.value.get("metadata").and_then(|m| m.get("labels"));
    let strings = |l: &serde_json::Map<String, serde_json::Value>| {
        let mut out = Labels::new();
        for (k, v) in l {
            out.insert(k.clone(), v.as_str()?.to_string());
        }
        Some(out)
    };
    labels
        .and_then(serde_json::Value::as_object)
        .and_then(strings)
        .unwrap_or_default()
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

/// `Succeeded` or `Failed` when a Pod's `status.phase` says it has finished.
fn finished_phase(obj: &RawObject) -> Option<&str> {
    obj.value
        .get("status")
        .and_then(|s| s.get("phase"))
        .and_then(serde_json::Value::as_str)
        .filter(|p| matches!(*p, "Succeeded" | "Failed"))
}
