//! The reader of Calico's policy kinds into the rule model (projectcalico.org/v3, and
//! crd.projectcalico.org/v1 as the CRDs store them): NetworkPolicy, GlobalNetworkPolicy,
//! their staged kinds and StagedKubernetesNetworkPolicy, Tier, NetworkSet and
//! GlobalNetworkSet.
//!
//! Calico's policies depend on the whole input (a policy's tier order, the network sets
//! its selectors reach), so `read::build` hands their objects over and [`finish`] reads
//! them once everything else is known: tiers first, then network sets, then policies,
//! then the orders are ranked and, under Calico's evaluation order, the Kubernetes
//! NetworkPolicies join the default tier at order 1000 as Calico places them.
//! docs/semantics.md ("Calico") says what each construct means.

mod compile;
pub mod selector;
mod types;

use crate::diagnostics::Diagnostic;
use crate::model::{Cluster, NetworkSet};
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::policy::{CalicoBand, CalicoTier, Policy, PolicyKind, Tier};
use crate::read::findings::Findings;
use std::collections::BTreeMap;

/// The API groups of Calico's resources: the aggregated API and the CRDs behind it.
pub const GROUPS: [&str; 2] = ["projectcalico.org", "crd.projectcalico.org"];

/// The order of Calico's default tier, "fixed, and cannot be changed".
const DEFAULT_TIER_ORDER: f64 = 1_000_000.0;
/// The order of the tier Calico gives AdminNetworkPolicy.
const ADMIN_TIER_ORDER: f64 = 1_000.0;
/// The order of the tier Calico gives BaselineAdminNetworkPolicy.
const BASELINE_TIER_ORDER: f64 = 10_000_000.0;
/// The order Calico gives Kubernetes NetworkPolicies in the default tier.
pub const KUBERNETES_POLICY_ORDER: f64 = 1_000.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CalicoKind {
    NetworkPolicy,
    GlobalNetworkPolicy,
    StagedNetworkPolicy,
    StagedGlobalNetworkPolicy,
    StagedKubernetesNetworkPolicy,
    Tier,
    NetworkSet,
    GlobalNetworkSet,
}

impl CalicoKind {
    pub fn from_kind(kind: &str) -> Option<CalicoKind> {
        Some(match kind {
            "NetworkPolicy" => CalicoKind::NetworkPolicy,
            "GlobalNetworkPolicy" => CalicoKind::GlobalNetworkPolicy,
            "StagedNetworkPolicy" => CalicoKind::StagedNetworkPolicy,
            "StagedGlobalNetworkPolicy" => CalicoKind::StagedGlobalNetworkPolicy,
            "StagedKubernetesNetworkPolicy" => CalicoKind::StagedKubernetesNetworkPolicy,
            "Tier" => CalicoKind::Tier,
            "NetworkSet" => CalicoKind::NetworkSet,
            "GlobalNetworkSet" => CalicoKind::GlobalNetworkSet,
            _ => return None,
        })
    }

    fn namespaced(self) -> bool {
        matches!(
            self,
            CalicoKind::NetworkPolicy
                | CalicoKind::StagedNetworkPolicy
                | CalicoKind::StagedKubernetesNetworkPolicy
                | CalicoKind::NetworkSet
        )
    }

    fn staged(self) -> bool {
        matches!(
            self,
            CalicoKind::StagedNetworkPolicy
                | CalicoKind::StagedGlobalNetworkPolicy
                | CalicoKind::StagedKubernetesNetworkPolicy
        )
    }

    fn policy_kind(self) -> PolicyKind {
        match self {
            CalicoKind::GlobalNetworkPolicy => PolicyKind::CalicoGlobalNetworkPolicy,
            CalicoKind::StagedNetworkPolicy => PolicyKind::CalicoStagedNetworkPolicy,
            CalicoKind::StagedGlobalNetworkPolicy => PolicyKind::CalicoStagedGlobalNetworkPolicy,
            CalicoKind::StagedKubernetesNetworkPolicy => PolicyKind::CalicoStagedKubernetesNetworkPolicy,
            _ => PolicyKind::CalicoNetworkPolicy,
        }
    }
}

/// Which CNI's order of evaluation applies where Cilium's and Calico's differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cni {
    /// Kubernetes NetworkPolicies join Calico's default tier at order 1000, first match
    /// with the Calico policies of that tier.
    Calico,
    /// Kubernetes NetworkPolicies stay their own isolation tier after every Calico tier.
    Cilium,
}

/// The Calico tiers of the input, ranked.
pub(super) struct Tiers {
    by_name: BTreeMap<String, Tier>,
}

impl Tiers {
    /// The tier named `name`, and whether the input (or Calico itself) defines it. An
    /// unknown tier is evaluated last.
    fn tier(&self, name: &str) -> (Tier, bool) {
        match name {
            "adminnetworkpolicy" | "kube-admin" => return (Tier::Admin, true),
            "baselineadminnetworkpolicy" | "kube-baseline" => return (Tier::Baseline, true),
            _ => {}
        }
        match self.by_name.get(name) {
            Some(t) => (*t, true),
            None => (
                Tier::Calico(CalicoTier {
                    band: CalicoBand::AfterBaseline,
                    rank: u32::MAX,
                    pass_at_end: false,
                }),
                false,
            ),
        }
    }
}

/// The Calico objects of the input, handed over by `read::build`.
#[derive(Default)]
pub struct Pending<'a> {
    objects: Vec<(&'a RawObject, CalicoKind)>,
}

impl<'a> Pending<'a> {
    pub fn push(&mut self, obj: &'a RawObject, kind: CalicoKind) {
        self.objects.push((obj, kind));
    }
}

/// Reads the Calico objects into `cluster` (tiers, network sets, policies) and applies
/// the evaluation order of `cni` (by default Calico's when the input holds a Calico
/// policy kind).
pub fn finish(pending: Pending, cluster: &mut Cluster, diags: &mut Vec<Diagnostic>) {
    if !pending.objects.is_empty() {
        read_objects(pending, cluster, diags);
    }
    rank_orders(cluster);
    if cluster.calico_default_tier.is_some() {
        apply_cni(cluster, Cni::Calico);
    }
}

/// Tiers, network sets and policies. Never inlined into `finish`: the browser compiles a
/// wasm function whole on its first call, and most inputs hold no Calico object.
#[inline(never)]
fn read_objects(pending: Pending, cluster: &mut Cluster, diags: &mut Vec<Diagnostic>) {
    let mut tiers: Vec<(String, Option<f64>, bool)> = vec![("default".into(), Some(DEFAULT_TIER_ORDER), false)];
    for &(obj, kind) in &pending.objects {
        match kind {
            CalicoKind::Tier => {
                let Some(spec) = spec::<types::TierSpec>(obj, diags) else {
                    continue;
                };
                let pass = match spec.default_action.as_deref() {
                    None | Some("Deny") => false,
                    Some("Pass") => true,
                    Some(other) => {
                        diags.push(error(
                            obj,
                            &["spec", "defaultAction"],
                            format!("invalid defaultAction {other:?}: Deny or Pass"),
                        ));
                        continue;
                    }
                };
                if obj.name == "default" {
                    continue;
                }
                tiers.push((obj.name.clone(), spec.order, pass));
            }
            CalicoKind::NetworkSet | CalicoKind::GlobalNetworkSet => {
                let Some(spec) = spec::<types::NetworkSetSpec>(obj, diags) else {
                    continue;
                };
                if let Some(set) = network_set(obj, kind, spec, diags) {
                    cluster.network_sets.push(set);
                }
            }
            _ => {}
        }
    }
    // "Tiers are sorted by their order - smallest number first"; no order is last.
    crate::sorting::sort_by(&mut tiers, |a, b| {
        let key = |o: Option<f64>| o.unwrap_or(f64::INFINITY);
        key(a.1).total_cmp(&key(b.1)).then_with(|| a.0.cmp(&b.0))
    });
    let by_name = tiers
        .iter()
        .enumerate()
        .map(|(rank, (name, order, pass))| {
            let o = order.unwrap_or(f64::INFINITY);
            let band = if o < ADMIN_TIER_ORDER {
                CalicoBand::BeforeAdmin
            } else if o <= BASELINE_TIER_ORDER {
                CalicoBand::Middle
            } else {
                CalicoBand::AfterBaseline
            };
            let tier = Tier::Calico(CalicoTier {
                band,
                rank: rank as u32,
                pass_at_end: *pass,
            });
            (name.clone(), tier)
        })
        .collect();
    let tiers = Tiers { by_name };
    let ns_labels = |ns: &str| cluster_namespace_labels(cluster, ns);
    let mut policies = Vec::new();
    let mut staged = Vec::new();
    for &(obj, kind) in &pending.objects {
        let policy = match kind {
            CalicoKind::Tier | CalicoKind::NetworkSet | CalicoKind::GlobalNetworkSet => continue,
            CalicoKind::StagedKubernetesNetworkPolicy => staged_kubernetes(obj, diags),
            _ => {
                let Some(spec) = spec::<types::PolicySpec>(obj, diags) else {
                    continue;
                };
                let delete = kind.staged() && spec.staged_action.as_deref() == Some("Delete");
                let mut cx = compile::Ctx {
                    found: Findings::new(obj),
                    network_sets: &cluster.network_sets,
                    namespace_labels: &ns_labels,
                };
                let policy = compile::compile(&mut cx, kind, spec, &tiers);
                let valid = cx.found.errors.is_empty();
                diags.append(&mut cx.found.errors);
                diags.append(&mut cx.found.warnings);
                policy.filter(|_| valid).map(|mut p| {
                    if delete {
                        p.ingress = None;
                        p.egress = None;
                    }
                    p
                })
            }
        };
        let Some(policy) = policy else { continue };
        if kind.staged() {
            staged.push(policy);
        } else {
            policies.push(policy);
        }
    }
    if pending
        .objects
        .iter()
        .any(|(_, k)| !matches!(k, CalicoKind::NetworkSet | CalicoKind::GlobalNetworkSet))
    {
        cluster.calico_default_tier = tiers.by_name.get("default").copied();
    }
    cluster.policies.extend(policies);
    cluster.staged_policies.extend(staged);
}

fn cluster_namespace_labels(cluster: &Cluster, ns: &str) -> crate::model::Labels {
    match cluster.namespace(ns) {
        Some(n) => n.labels.clone(),
        None => crate::model::Labels::from([(crate::model::NAMESPACE_NAME_LABEL.to_string(), ns.to_string())]),
    }
}

/// Calico orders are floats; the model's priorities are the ranks of every order of the
/// input (with the Kubernetes NetworkPolicies' 1000), unset last.
fn rank_orders(cluster: &mut Cluster) {
    let mut orders: Vec<f64> = cluster
        .policies
        .iter()
        .chain(&cluster.staged_policies)
        .filter_map(|p| p.calico.as_ref()?.order)
        .chain([KUBERNETES_POLICY_ORDER])
        .collect();
    crate::sorting::sort_by(&mut orders, f64::total_cmp);
    orders.dedup();
    let rank = |o: Option<f64>| match o {
        Some(o) => orders.partition_point(|x| x.total_cmp(&o).is_lt()) as i32,
        None => i32::MAX,
    };
    cluster.calico_kubernetes_priority = rank(Some(KUBERNETES_POLICY_ORDER));
    for p in cluster.policies.iter_mut().chain(cluster.staged_policies.iter_mut()) {
        if let Some(c) = &p.calico {
            p.priority = rank(c.order);
        }
    }
}

/// Places the Kubernetes NetworkPolicies where `cni` evaluates them: in Calico's default
/// tier at order 1000, or in their own isolation tier. Without Calico objects in the
/// input this changes nothing.
pub fn apply_cni(cluster: &mut Cluster, cni: Cni) {
    let Some(default) = cluster.calico_default_tier else {
        return;
    };
    let priority = cluster.calico_kubernetes_priority;
    for p in cluster
        .policies
        .iter_mut()
        .filter(|p| p.kind == PolicyKind::NetworkPolicy)
    {
        (p.tier, p.priority) = match cni {
            Cni::Calico => (default, priority),
            Cni::Cilium => (Tier::NetworkPolicy, 0),
        };
    }
}

fn spec<T: serde::de::DeserializeOwned + Default>(obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Option<T> {
    match super::field::<T>(obj, &["spec"], diags) {
        Ok(s) => Some(s.unwrap_or_default()),
        Err(d) => {
            diags.push(*d);
            None
        }
    }
}

fn error(obj: &RawObject, path: &[&str], msg: String) -> Diagnostic {
    let path: Vec<PathSeg> = path.iter().map(|k| PathSeg::key(k)).collect();
    Diagnostic::new("NP0051", msg)
        .at(&obj.locate(&path))
        .resource(obj.resource())
}

fn network_set(
    obj: &RawObject,
    kind: CalicoKind,
    spec: types::NetworkSetSpec,
    diags: &mut Vec<Diagnostic>,
) -> Option<NetworkSet> {
    let mut nets = Vec::new();
    for (i, text) in spec.nets.iter().flatten().enumerate() {
        let t = text.trim();
        match t
            .parse::<ipnet::IpNet>()
            .ok()
            .or_else(|| t.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
        {
            Some(n) => nets.push(n.trunc()),
            None => {
                let path = [PathSeg::key("spec"), PathSeg::key("nets"), PathSeg::Index(i)];
                diags.push(
                    Diagnostic::new("NP0051", format!("invalid CIDR {text:?} in a network set"))
                        .at(&obj.locate(&path))
                        .resource(obj.resource()),
                );
                return None;
            }
        }
    }
    let labels = match super::field::<crate::model::Labels>(obj, &["metadata", "labels"], diags) {
        Ok(l) => l.unwrap_or_default(),
        Err(d) => {
            diags.push(*d);
            return None;
        }
    };
    Some(NetworkSet {
        namespace: (kind == CalicoKind::NetworkSet).then(|| obj.namespace.clone().unwrap_or_else(|| "default".into())),
        name: obj.name.clone(),
        labels,
        nets,
        loc: obj.loc.clone(),
    })
}

/// A StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy, staged.
fn staged_kubernetes(obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Option<Policy> {
    let spec = match super::field::<k8s_openapi::api::networking::v1::NetworkPolicySpec>(obj, &["spec"], diags) {
        Ok(s) => s.unwrap_or_default(),
        Err(d) => {
            diags.push(*d);
            return None;
        }
    };
    let namespace = obj.namespace.clone().unwrap_or_else(|| "default".into());
    let (policy, mut ds) = super::netpol::compile(obj, &namespace, spec);
    diags.append(&mut ds);
    let delete = obj.value.pointer("/spec/stagedAction").and_then(|v| v.as_str()) == Some("Delete");
    policy.map(|mut p| {
        p.kind = PolicyKind::CalicoStagedKubernetesNetworkPolicy;
        if delete {
            p.ingress = None;
            p.egress = None;
        }
        p
    })
}
