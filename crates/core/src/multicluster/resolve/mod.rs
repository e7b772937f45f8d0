//! Resolution of a name asked by a client in one cluster: the DNS answer, the endpoints
//! in every cluster with their priority and share of connections, the mechanism that put
//! them there, and why. The rules (with their sources) are in docs/multi-cluster-setup.md.
//!
//! [`resolve`] reads the question ([`Query::new`]), asks the mechanism that serves the
//! name ([`mechanisms`]: MCS clusterset names, Istio multi-primary, Cilium ClusterMesh
//! global Services, or the client's own cluster), then shares the connections out by
//! priority, locality and ready pods ([`locality`]).

mod locality;
mod mechanisms;

pub(super) use locality::LocalityLbSetting;
pub use mechanisms::east_west_gateway;

use super::{Member, MultiScenario};
use crate::model::{Cluster, Workload};
use crate::query::QueryError;
use serde::Serialize;
use std::fmt::Write as _;

/// How the endpoints of a name were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// A plain Service of the client's own cluster.
    Kubernetes,
    /// Kubernetes Multi-Cluster Services: `clusterset.local` names of exported Services.
    Mcs,
    /// Istio multi-primary: Services of the same name and namespace merge across the mesh.
    Istio,
    /// Cilium ClusterMesh global Services.
    Clustermesh,
}

impl Mechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Kubernetes => "kubernetes",
            Mechanism::Mcs => "mcs",
            Mechanism::Istio => "istio",
            Mechanism::Clustermesh => "clustermesh",
        }
    }
}

/// What the cluster's DNS answers for the name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsAnswer {
    /// `ClusterIP`, `ClusterSetIP`, `Headless` (the pod addresses) or `NXDOMAIN`.
    pub record: &'static str,
    pub detail: String,
}

/// One workload in one cluster that the name leads to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointShare {
    pub cluster: String,
    pub workload: String,
    /// Ready pods (0 when the workload has no replicas or its cluster failed).
    pub pods: u32,
    /// 0 is tried first; a higher priority only gets traffic when all lower ones are gone.
    pub priority: u32,
    /// Share of new connections (0..1), summing to 1 over the endpoints that get traffic.
    pub share: f64,
    /// How traffic gets there: `local`, `direct` (pod to pod across clusters), or through
    /// the named east-west gateway.
    pub via: String,
    /// Why this endpoint gets no traffic or what the destination's policies see, if worth saying.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The answer of `netplay multicluster resolve`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resolution {
    /// The client, `cluster/namespace/name[Kind]`.
    pub from: String,
    pub name: String,
    /// The fully qualified name asked.
    pub fqdn: String,
    pub mechanism: Mechanism,
    pub dns: DnsAnswer,
    pub endpoints: Vec<EndpointShare>,
    /// Clusters taken down (`--fail`).
    pub failed: Vec<String>,
    /// How load balancing picks between localities, when a DestinationRule says so.
    pub locality: String,
    /// Why: each step of the decision, in order.
    pub why: Vec<String>,
}

impl Resolution {
    /// Whether some endpoint gets traffic.
    pub fn reachable(&self) -> bool {
        self.endpoints.iter().any(|e| e.share > 0.0)
    }

    /// The text form printed by the CLI.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} from {}", self.fqdn, self.from);
        let _ = writeln!(out, "  mechanism: {}", self.mechanism.as_str());
        let _ = writeln!(out, "  dns: {} ({})", self.dns.record, self.dns.detail);
        if !self.failed.is_empty() {
            let _ = writeln!(out, "  failed: {}", self.failed.join(", "));
        }
        let _ = writeln!(out, "  locality: {}", self.locality);
        if self.endpoints.is_empty() {
            let _ = writeln!(out, "  endpoints: none");
        } else {
            let _ = writeln!(out, "  endpoints:");
            for e in &self.endpoints {
                let _ = writeln!(
                    out,
                    "    {:>5.1}%  p{}  {}/{}  pods {}  via {}",
                    e.share * 100.0,
                    e.priority,
                    e.cluster,
                    e.workload,
                    e.pods,
                    e.via
                );
                for n in &e.notes {
                    let _ = writeln!(out, "             {n}");
                }
            }
        }
        if !self.reachable() {
            let _ = writeln!(out, "  result: no endpoint gets traffic: the connection fails");
        }
        let _ = writeln!(out, "  why:");
        for w in &self.why {
            let _ = writeln!(out, "    - {w}");
        }
        out
    }
}

/// The parts of a Service name: namespace, name, and whether it is a clusterset name.
fn parse_name(name: &str, client_ns: &str) -> Result<(String, String, bool), QueryError> {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let parts: Vec<&str> = n.split('.').collect();
    let bad = || QueryError::NotAServiceName { name: name.to_string() };
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad());
    }
    match parts.as_slice() {
        [svc] => Ok((client_ns.to_string(), svc.to_string(), false)),
        [svc, ns] | [svc, ns, "svc"] | [svc, ns, "svc", "cluster", "local"] => {
            Ok((ns.to_string(), svc.to_string(), false))
        }
        [svc, ns, "svc", "clusterset", "local"] => Ok((ns.to_string(), svc.to_string(), true)),
        _ => Err(bad()),
    }
}

/// The cluster model of a member.
fn cluster_of(member: &Member) -> &Cluster {
    &member.cluster
}

/// The workloads a Service of `member` selects.
fn selected<'m>(member: &'m Member, namespace: &str, name: &str) -> Vec<&'m Workload> {
    let Some(svc) = member.service(namespace, name) else {
        return Vec::new();
    };
    let Some(selector) = svc.selector.as_ref().filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    cluster_of(member)
        .workloads
        .iter()
        .filter(|w| w.namespace == namespace && selector.iter().all(|(k, v)| w.labels.get(k) == Some(v)))
        .collect()
}

/// A workload the name may lead to, before priorities and shares.
struct Candidate<'m> {
    member: &'m Member,
    workload: &'m Workload,
    pods: u32,
    via: String,
    /// Why it cannot be reached, if it cannot.
    blocked: Option<String>,
    notes: Vec<String>,
    priority: u32,
    /// Relative weight of its locality when a DestinationRule distributes by locality.
    locality_weight: Option<f64>,
}

fn new_candidate<'m>(member: &'m Member, workload: &'m Workload, via: String, down: bool) -> Candidate<'m> {
    let pods = member.replicas.get(&workload.endpoint_name()).copied().unwrap_or(1);
    let blocked = if down {
        Some(format!("cluster {} is down", member.name))
    } else if pods == 0 {
        Some("no ready pods (replicas: 0)".to_string())
    } else {
        None
    };
    Candidate {
        member,
        workload,
        pods,
        via,
        blocked,
        notes: Vec::new(),
        priority: 0,
        locality_weight: None,
    }
}

impl Candidate<'_> {
    fn healthy_pods(&self) -> u32 {
        if self.blocked.is_some() {
            0
        } else {
            self.pods
        }
    }
}

/// One question: who asks, for which Service, with which clusters down; and what the
/// answer has gathered so far.
struct Query<'m> {
    multi: &'m MultiScenario,
    client_member: &'m Member,
    client: &'m Workload,
    /// The Service's namespace and name.
    ns: String,
    svc: String,
    /// Whether the name is a clusterset name (`*.svc.clusterset.local`).
    clusterset: bool,
    fqdn: String,
    /// The `--fail` arguments: cluster or region names.
    failed: &'m [String],
    why: Vec<String>,
    candidates: Vec<Candidate<'m>>,
    locality: String,
}

impl<'m> Query<'m> {
    /// Reads `--from CLUSTER/NAMESPACE/WORKLOAD`, the name and the `--fail` list.
    fn new(multi: &'m MultiScenario, from: &str, name: &str, failed: &'m [String]) -> Result<Self, QueryError> {
        let (cluster_name, workload_query) = from
            .split_once('/')
            .ok_or_else(|| QueryError::UnreadableFrom { from: from.to_string() })?;
        let client_member = multi.member(cluster_name).ok_or_else(|| QueryError::NoCluster {
            name: cluster_name.to_string(),
            clusters: multi.clusters.iter().map(|m| m.name.clone()).collect(),
        })?;
        let client = cluster_of(client_member).find_workload(workload_query)?;
        for f in failed {
            if !multi.clusters.iter().any(|m| &m.name == f || m.region() == f) {
                return Err(QueryError::UnknownFailure { name: f.clone() });
            }
        }
        let (ns, svc, clusterset) = parse_name(name, &client.namespace)?;
        let fqdn = format!(
            "{svc}.{ns}.svc.{}",
            if clusterset {
                "clusterset.local"
            } else {
                "cluster.local"
            }
        );
        Ok(Query {
            multi,
            client_member,
            client,
            ns,
            svc,
            clusterset,
            fqdn,
            failed,
            why: Vec::new(),
            candidates: Vec::new(),
            locality: "not used: connections spread over every endpoint".to_string(),
        })
    }

    /// Whether `m` was taken down (by its name or its region).
    fn is_failed(&self, m: &Member) -> bool {
        self.failed
            .iter()
            .any(|f| f == &m.name || (!m.region().is_empty() && f == m.region()))
    }

    /// Whether `m` is the client's cluster.
    fn is_local(&self, m: &Member) -> bool {
        m.name == self.client_member.name
    }
}

pub(super) fn resolve(
    multi: &MultiScenario,
    from: &str,
    name: &str,
    failed: &[String],
) -> Result<Resolution, QueryError> {
    let mut q = Query::new(multi, from, name, failed)?;
    let (mechanism, dns) = if q.clusterset {
        q.mcs()
    } else if q.client_member.service(&q.ns, &q.svc).is_none() {
        q.not_in_client_cluster()
    } else {
        q.in_client_cluster()
    };
    let endpoints = locality::distribute(&mut q.candidates, &mut q.why);
    let failed_clusters: Vec<String> = multi
        .clusters
        .iter()
        .filter(|m| q.is_failed(m))
        .map(|m| m.name.clone())
        .collect();
    Ok(Resolution {
        from: format!("{}/{}", q.client_member.name, q.client.endpoint_name()),
        name: name.to_string(),
        fqdn: q.fqdn,
        mechanism,
        dns,
        endpoints,
        failed: failed_clusters,
        locality: q.locality,
        why: q.why,
    })
}

fn display_or<'a>(s: &'a str, default: &'a str) -> &'a str {
    if s.is_empty() {
        default
    } else {
        s
    }
}

/// Whether a DestinationRule host (written in `dr_ns`) names Service `ns/svc`.
fn host_matches(host: &str, dr_ns: &str, ns: &str, svc: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let fqdn = format!("{svc}.{ns}.svc.cluster.local");
    host == fqdn
        || (host == svc && dr_ns == ns)
        || host == format!("{svc}.{ns}")
        || host == format!("{svc}.{ns}.svc")
        || host == "*"
        || host.strip_prefix('*').is_some_and(|suffix| fqdn.ends_with(suffix))
}
