//! Endpoints of flow records to the scenario's workloads: by the workload the tool names,
//! by pod name (a pod is named after its owner: `web-7d9c5b-x2x4z` belongs to Deployment
//! `web`, `db-0` to StatefulSet `db`), then by namespace and labels. Addresses outside the
//! cluster become external addresses. Each distinct endpoint is resolved once: records
//! find it again by its key ([`EndSource::key`]) without building anything.

use super::end::End;
use super::formats::{EndSource, RawEnd, RawLabels};
use crate::conn::Protocol;
use crate::model::{Cluster, Labels, TargetPort, Workload};
use crate::model::{KUBE_DNS_LABEL, KUBE_DNS_NAMESPACE};
use std::collections::HashMap;

pub(crate) struct Matcher<'c> {
    cluster: &'c Cluster,
    /// Workload indices per namespace.
    by_namespace: HashMap<&'c str, Vec<usize>>,
    /// Workload indices by endpoint name (`ns/name[Kind]`).
    by_name: HashMap<String, usize>,
    /// Each distinct endpoint's key and the index of its answer in `answers`.
    seen: HashMap<Box<[u8]>, usize>,
    answers: Vec<Result<Vec<End>, String>>,
    /// The key of the endpoint being resolved, kept to reuse its allocation.
    key: Vec<u8>,
}

/// An endpoint resolved by [`Matcher::resolve`]; [`Matcher::answer`] says what it is.
#[derive(Clone, Copy)]
pub(crate) struct Resolved(usize);

/// The name of the owner a workload stands for (`postgres` for `postgres{role=primary}`).
fn owner_name(w: &Workload) -> &str {
    w.name.split_once('{').map_or(w.name.as_str(), |(n, _)| n)
}

fn labels_within(w: &Workload, labels: &RawLabels<'_>) -> bool {
    w.labels
        .iter()
        .all(|(k, v)| labels.get(k.as_str()).is_some_and(|l| l.as_ref() == v.as_str()))
}

/// Whether a pod (or pod name prefix) of this name can belong to an owner named `owner`.
fn pod_of(pod: &str, owner: &str) -> bool {
    pod == owner || pod.strip_prefix(owner).is_some_and(|rest| rest.starts_with('-'))
}

/// The cluster DNS as flow records describe it: in `kube-system`, labelled
/// `k8s-app=kube-dns`, or a `coredns-…`/`kube-dns-…` pod.
fn is_kube_dns(raw: &RawEnd<'_>) -> bool {
    let (key, value) = KUBE_DNS_LABEL;
    raw.namespace.as_deref() == Some(KUBE_DNS_NAMESPACE)
        && (raw.labels.get(key).map(|v| v.as_ref()) == Some(value)
            || raw
                .pod
                .as_deref()
                .is_some_and(|p| pod_of(p, "coredns") || pod_of(p, "kube-dns"))
            || raw
                .workload
                .as_ref()
                .is_some_and(|(_, w)| w == "coredns" || w == "kube-dns"))
}

fn describe(raw: &RawEnd<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &raw.pod {
        parts.push(format!("pod {p}{}", if raw.pod_is_prefix { "*" } else { "" }));
    }
    if let Some((_, w)) = &raw.workload {
        parts.push(format!("workload {w}"));
    }
    if !raw.labels.is_empty() {
        let l: Vec<String> = raw.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("labels {}", l.join(",")));
    }
    if parts.is_empty() {
        "no pod name or labels".into()
    } else {
        parts.join(", ")
    }
}

impl<'c> Matcher<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        let mut by_namespace: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_name = HashMap::new();
        for (i, w) in cluster.workloads.iter().enumerate() {
            by_namespace.entry(w.namespace.as_str()).or_default().push(i);
            by_name.insert(w.endpoint_name(), i);
        }
        Matcher {
            cluster,
            by_namespace,
            by_name,
            seen: HashMap::new(),
            answers: Vec::new(),
            key: Vec::new(),
        }
    }

    /// Resolves an endpoint, once per distinct endpoint.
    pub fn resolve(&mut self, end: &EndSource<'_>) -> Resolved {
        end.key(&mut self.key);
        if let Some(&i) = self.seen.get(self.key.as_slice()) {
            return Resolved(i);
        }
        let i = self.answers.len();
        self.answers.push(self.resolve_uncached(&end.build()));
        self.seen.insert(self.key.as_slice().into(), i);
        Resolved(i)
    }

    /// The workloads (or the address) a resolved endpoint stands for; `Err` says why none.
    pub fn answer(&self, r: Resolved) -> Result<&[End], &str> {
        match self.answers.get(r.0) {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(e),
            None => Err("internal: endpoint cache"),
        }
    }

    fn resolve_uncached(&self, raw: &RawEnd<'_>) -> Result<Vec<End>, String> {
        if let Some(name) = &raw.name {
            if let Some(&i) = self.by_name.get(name.as_ref()) {
                return Ok(vec![End::Workload(i)]);
            }
            let w = self.cluster.find_workload(name)?;
            let i = self.by_name.get(&w.endpoint_name()).copied();
            return i
                .map(|i| vec![End::Workload(i)])
                .ok_or_else(|| format!("no workload named {name:?}"));
        }
        if let Some(special) = &raw.special {
            return Err(format!("{special}: no NetworkPolicy selects it"));
        }
        if let Some((ns, name)) = &raw.service {
            return self.service(ns, name, &raw.service_selector);
        }
        if raw.outside || raw.namespace.is_none() {
            return match raw.ip {
                Some(ip) => Ok(vec![End::External(ip)]),
                None if raw.outside => Err("an address outside the cluster that the log aggregated away".into()),
                None => Err("no namespace, pod or address".into()),
            };
        }
        let ns = raw.namespace.as_deref().unwrap_or_default();
        let Some(in_ns) = self.by_namespace.get(ns) else {
            if is_kube_dns(raw) {
                return Ok(vec![End::KubeDns]);
            }
            return Err(format!(
                "{}: namespace {ns} has no workload in the input",
                describe(raw)
            ));
        };
        let ws = &self.cluster.workloads;
        let by_owner: Vec<usize> = match (&raw.workload, &raw.pod) {
            (Some((kind, name)), _) => in_ns
                .iter()
                .copied()
                .filter(|&i| owner_name(&ws[i]) == name.as_ref() && kind.as_ref().is_none_or(|k| *k == ws[i].kind))
                .collect(),
            (None, Some(pod)) => {
                // The longest owner name the pod's name starts with: `web-api-5d…` is
                // `web-api`'s, not `web`'s.
                let owners = in_ns.iter().copied().filter(|&i| pod_of(pod, owner_name(&ws[i])));
                let longest = owners.clone().map(|i| owner_name(&ws[i]).len()).max();
                owners.filter(|&i| Some(owner_name(&ws[i]).len()) == longest).collect()
            }
            (None, None) => Vec::new(),
        };
        let mut found: Vec<usize> = if by_owner.is_empty() {
            if raw.labels.is_empty() {
                Vec::new()
            } else {
                in_ns
                    .iter()
                    .copied()
                    .filter(|&i| labels_within(&ws[i], &raw.labels))
                    .collect()
            }
        } else if by_owner.len() > 1 && !raw.labels.is_empty() {
            // An owner split by labels (`postgres{role=primary}`): the record's labels pick.
            let fit: Vec<usize> = by_owner
                .iter()
                .copied()
                .filter(|&i| labels_within(&ws[i], &raw.labels))
                .collect();
            if fit.is_empty() {
                by_owner
            } else {
                fit
            }
        } else {
            by_owner
        };
        if found.len() > 1 {
            // The workload whose labels say the most about the pod.
            let most = found.iter().map(|&i| ws[i].labels.len()).max().unwrap_or(0);
            found.retain(|&i| ws[i].labels.len() == most);
        }
        match found.as_slice() {
            [i] => Ok(vec![End::Workload(*i)]),
            [] if is_kube_dns(raw) => Ok(vec![End::KubeDns]),
            [] => Err(format!(
                "{} in namespace {ns} matches no workload of the input",
                describe(raw)
            )),
            many => Err(format!(
                "{} in namespace {ns} matches several workloads: {}",
                describe(raw),
                many.iter()
                    .map(|&i| ws[i].endpoint_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The workloads behind a Service the tool did not resolve to a pod: those its selector
    /// (from the input, else the one the record carries) selects.
    fn service(&self, ns: &str, name: &str, selector: &RawLabels<'_>) -> Result<Vec<End>, String> {
        let from_input = self
            .cluster
            .services
            .iter()
            .find(|s| s.namespace == ns && s.name == name)
            .and_then(|s| s.selector.clone());
        let selector = match from_input {
            Some(s) => s,
            None if !selector.is_empty() => selector
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Labels>(),
            None => {
                return Err(format!(
                    "Service {ns}/{name} is not in the input and the record names no selector"
                ))
            }
        };
        let ends: Vec<End> = self
            .by_namespace
            .get(ns)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| {
                let w = &self.cluster.workloads[i];
                selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
            })
            .map(End::Workload)
            .collect();
        if ends.is_empty() {
            return Err(format!("Service {ns}/{name} selects no workload of the input"));
        }
        Ok(ends)
    }

    /// The port a connection to Service `ns/name` on `port` reaches on workload `w`: the
    /// Service port's `targetPort` (a number, or a container port name of `w`); the port
    /// itself when the Service or the port is not in the input.
    pub fn target_port(&self, ns: &str, name: &str, protocol: Protocol, port: u16, w: usize) -> u16 {
        let Some(sp) = self
            .cluster
            .services
            .iter()
            .find(|s| s.namespace == ns && s.name == name)
            .and_then(|s| s.ports.iter().find(|p| p.port == port && p.protocol == protocol))
        else {
            return port;
        };
        match &sp.target_port {
            TargetPort::Number(n) => *n,
            TargetPort::Name(n) => self
                .cluster
                .workloads
                .get(w)
                .and_then(|w| {
                    w.ports
                        .iter()
                        .find(|c| c.name.as_deref() == Some(n.as_str()) && c.protocol == protocol)
                })
                .map_or(port, |c| c.port),
        }
    }
}
