//! Resolution of a name asked by a client in one cluster: the DNS answer, the endpoints
//! in every cluster with their priority and share of connections, the mechanism that put
//! them there, and why. The rules (with their sources) are in docs/multi-cluster-setup.md.

use super::{Member, MultiScenario};
use crate::mesh::types::TlsMode;
use crate::model::{Labels, Workload};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
fn parse_name(name: &str, client_ns: &str) -> Result<(String, String, bool), String> {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let parts: Vec<&str> = n.split('.').collect();
    let bad = || {
        format!("{name:?} is not a Service name: write NAME, NAME.NAMESPACE, NAME.NAMESPACE.svc.cluster.local or NAME.NAMESPACE.svc.clusterset.local")
    };
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

/// The workloads a Service of `member` selects.
fn selected<'m>(member: &'m Member, namespace: &str, name: &str) -> Vec<&'m Workload> {
    let Some(svc) = member.service(namespace, name) else {
        return Vec::new();
    };
    let Some(selector) = svc.selector.as_ref().filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    member
        .scenario
        .cluster
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

pub(super) fn resolve(multi: &MultiScenario, from: &str, name: &str, failed: &[String]) -> Result<Resolution, String> {
    let (cluster_name, workload_query) = from
        .split_once('/')
        .ok_or_else(|| format!("--from {from:?}: write CLUSTER/NAMESPACE/WORKLOAD, e.g. east/shop/frontend"))?;
    let client_member = multi.member(cluster_name).ok_or_else(|| {
        let names: Vec<&str> = multi.clusters.iter().map(|m| m.name.as_str()).collect();
        format!("no cluster named {cluster_name:?} (clusters: {})", names.join(", "))
    })?;
    let client = client_member.scenario.cluster.find_workload(workload_query)?;
    for f in failed {
        if !multi.clusters.iter().any(|m| &m.name == f || m.region() == f) {
            return Err(format!("--fail {f:?} is neither a cluster nor a region of the input"));
        }
    }
    let is_failed = |m: &Member| {
        failed
            .iter()
            .any(|f| f == &m.name || (!m.region().is_empty() && f == m.region()))
    };
    let failed_clusters: Vec<String> = multi
        .clusters
        .iter()
        .filter(|m| is_failed(m))
        .map(|m| m.name.clone())
        .collect();
    let (ns, svc, clusterset) = parse_name(name, &client.namespace)?;
    let fqdn = format!(
        "{svc}.{ns}.svc.{}",
        if clusterset {
            "clusterset.local"
        } else {
            "cluster.local"
        }
    );
    let mut why = Vec::new();
    let local_svc = client_member.service(&ns, &svc);

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut locality = "not used: connections spread over every endpoint".to_string();

    let (mechanism, dns) = if clusterset {
        // MCS: the name exists once some cluster of the clusterset exports the Service.
        let set = client_member.cluster_set();
        why.push(format!(
            "{fqdn} is a clusterset name: the MCS API serves it from the ServiceImport {ns}/{svc}, which exists when a cluster of the clusterset{} exports {ns}/{svc} (namespace sameness: the same namespace and name everywhere)",
            if set.is_empty() { String::new() } else { format!(" {set}") }
        ));
        let mut exporters = Vec::new();
        for m in multi.clusters.iter().filter(|m| m.cluster_set() == set) {
            let key = (ns.clone(), svc.clone());
            if m.exports.contains_key(&key) {
                if m.service(&ns, &svc).is_some() {
                    exporters.push(m);
                } else {
                    why.push(format!(
                        "cluster {} has a ServiceExport {ns}/{svc} but no Service {ns}/{svc}: it exports nothing",
                        m.name
                    ));
                }
            }
        }
        if exporters.is_empty() {
            why.push(format!(
                "no cluster exports {ns}/{svc}: there is no ServiceImport, and DNS answers NXDOMAIN"
            ));
            (
                Mechanism::Mcs,
                DnsAnswer {
                    record: "NXDOMAIN",
                    detail: "no ServiceImport".to_string(),
                },
            )
        } else {
            let names: Vec<&str> = exporters.iter().map(|m| m.name.as_str()).collect();
            why.push(format!("exported by {}", names.join(", ")));
            let headless = exporters.iter().all(|m| m.is_headless(&ns, &svc));
            for m in &exporters {
                for w in selected(m, &ns, &svc) {
                    let via = if m.name == client_member.name {
                        "local"
                    } else {
                        "direct"
                    };
                    candidates.push(new_candidate(m, w, via.to_string(), is_failed(m)));
                }
            }
            why.push("an MCS implementation spreads connections to the clusterset IP over the ready endpoints of every exporting cluster alike; an exporting cluster's endpoints leave the EndpointSlices when it fails".to_string());
            let dns = if headless {
                DnsAnswer {
                    record: "Headless",
                    detail: format!("the ready pod addresses of {ns}/{svc} in {}", names.join(", ")),
                }
            } else {
                DnsAnswer {
                    record: "ClusterSetIP",
                    detail: format!(
                        "the clusterset IP of ServiceImport {ns}/{svc} in cluster {}",
                        client_member.name
                    ),
                }
            };
            (Mechanism::Mcs, dns)
        }
    } else if local_svc.is_none() {
        why.push(format!(
            "{fqdn} is a cluster-local name and cluster {} has no Service {ns}/{svc}: kube-dns answers NXDOMAIN",
            client_member.name
        ));
        let elsewhere: Vec<&str> = multi
            .clusters
            .iter()
            .filter(|m| m.service(&ns, &svc).is_some())
            .map(|m| m.name.as_str())
            .collect();
        if !elsewhere.is_empty() {
            why.push(format!(
                "{ns}/{svc} exists in {}: Istio multi-primary still needs the Service in the client's cluster for DNS (or Istio DNS proxying, ISTIO_META_DNS_CAPTURE); with MCS ask for {svc}.{ns}.svc.clusterset.local",
                elsewhere.join(", ")
            ));
        }
        (
            Mechanism::Kubernetes,
            DnsAnswer {
                record: "NXDOMAIN",
                detail: format!("no Service {ns}/{svc} in cluster {}", client_member.name),
            },
        )
    } else {
        let headless = client_member.is_headless(&ns, &svc);
        let dns = if headless {
            DnsAnswer {
                record: "Headless",
                detail: format!(
                    "the ready pod addresses of {ns}/{svc} in cluster {}",
                    client_member.name
                ),
            }
        } else {
            DnsAnswer {
                record: "ClusterIP",
                detail: format!("the cluster IP of Service {ns}/{svc} in cluster {}", client_member.name),
            }
        };
        let mut injected = crate::mesh::sidecar_injected(&client_member.scenario.cluster, client);
        // A gateway's pods are Envoy proxies themselves: an ingress gateway routes into the
        // mesh like a sidecar does.
        if let Some(g) = client_member.scenario.cluster.mesh.gateways.iter().find(|g| {
            !g.spec.selector.is_empty() && g.spec.selector.iter().all(|(k, v)| client.labels.get(k) == Some(v))
        }) {
            injected.injected = true;
            injected.reason = format!("it is the proxy of Gateway {}/{}", g.meta.namespace, g.meta.name);
        }
        let global = client_member.annotation(&ns, &svc, "service.cilium.io/global") == Some("true");
        if let (Some(mesh_id), true) = (client_member.spec.mesh_id.as_deref(), injected.injected) {
            why.push(format!(
                "the client has an Istio sidecar ({}) and cluster {} is in mesh {mesh_id}: Istio merges the Services {ns}/{svc} of every cluster of the mesh into one host",
                injected.reason, client_member.name
            ));
            let client_tls_disabled = client_member
                .scenario
                .cluster
                .mesh
                .destination_rules
                .iter()
                .filter(|dr| host_matches(&dr.spec.host, &dr.meta.namespace, &ns, &svc))
                .any(|dr| {
                    dr.spec
                        .traffic_policy
                        .as_ref()
                        .and_then(|t| t.tls.as_ref())
                        .and_then(|t| t.mode)
                        == Some(TlsMode::Disable)
                });
            for m in multi
                .clusters
                .iter()
                .filter(|m| m.spec.mesh_id.as_deref() == Some(mesh_id))
            {
                if m.service(&ns, &svc).is_none() {
                    continue;
                }
                let cross_network = m.name != client_member.name && m.network() != client_member.network();
                let gateway = if cross_network { east_west_gateway(m) } else { None };
                for w in selected(m, &ns, &svc) {
                    let via = if m.name == client_member.name {
                        "local".to_string()
                    } else if let Some(g) = &gateway {
                        format!("east-west gateway {g} of cluster {}", m.name)
                    } else {
                        "direct".to_string()
                    };
                    let mut c = new_candidate(m, w, via, is_failed(m));
                    if cross_network && c.blocked.is_none() {
                        if gateway.is_none() {
                            c.blocked = Some(format!(
                                "network {} differs from the client's ({}) and cluster {} has no east-west gateway (an Istio Gateway on port 15443 with tls.mode AUTO_PASSTHROUGH)",
                                display_or(m.network(), "unnamed"),
                                display_or(client_member.network(), "unnamed"),
                                m.name
                            ));
                        } else if client_tls_disabled {
                            c.blocked = Some("a DestinationRule disables TLS for this host, but crossing networks needs Istio mTLS (the east-west gateway routes by its SNI)".to_string());
                        }
                    }
                    if m.name != client_member.name {
                        c.notes
                            .extend(identity_notes(client_member, client, m, w, gateway.as_deref()));
                    }
                    candidates.push(c);
                }
            }
            locality = apply_istio_locality(client_member, client, &ns, &svc, &mut candidates, &mut why);
            (Mechanism::Istio, dns)
        } else if client_member.spec.cluster_mesh.is_some() && global {
            why.push(format!(
                "Service {ns}/{svc} in cluster {} is a Cilium global service (service.cilium.io/global: \"true\"): ClusterMesh adds the backends of the same Service of every cluster that shares it",
                client_member.name
            ));
            for m in multi.clusters.iter().filter(|m| m.spec.cluster_mesh.is_some()) {
                if m.service(&ns, &svc).is_none() {
                    continue;
                }
                if m.name != client_member.name {
                    if m.annotation(&ns, &svc, "service.cilium.io/global") != Some("true") {
                        why.push(format!(
                            "cluster {}: {ns}/{svc} is not global there, so its backends are not shared",
                            m.name
                        ));
                        continue;
                    }
                    if m.annotation(&ns, &svc, "service.cilium.io/shared") == Some("false") {
                        why.push(format!("cluster {}: {ns}/{svc} has service.cilium.io/shared: \"false\", so its backends stay in that cluster", m.name));
                        continue;
                    }
                }
                for w in selected(m, &ns, &svc) {
                    let via = if m.name == client_member.name {
                        "local"
                    } else {
                        "direct"
                    };
                    let mut c = new_candidate(m, w, via.to_string(), is_failed(m));
                    if m.name != client_member.name {
                        c.notes.extend(netpol_notes(m, w, None));
                    }
                    candidates.push(c);
                }
            }
            let affinity = client_member
                .annotation(&ns, &svc, "service.cilium.io/affinity")
                .unwrap_or("none")
                .to_ascii_lowercase();
            for c in &mut candidates {
                let local = c.member.name == client_member.name;
                c.priority = match affinity.as_str() {
                    "local" => u32::from(!local),
                    "remote" => u32::from(local),
                    _ => 0,
                };
            }
            locality = match affinity.as_str() {
                "local" => "service.cilium.io/affinity: local — local backends while any is ready, then remote ones"
                    .to_string(),
                "remote" => "service.cilium.io/affinity: remote — remote backends while any is ready, then local ones"
                    .to_string(),
                _ => "service.cilium.io/affinity not set (none): local and remote backends alike".to_string(),
            };
            (Mechanism::Clustermesh, dns)
        } else {
            if client_member.spec.mesh_id.is_some() {
                why.push(format!(
                    "the client has no Istio sidecar ({}): only its own cluster's endpoints",
                    injected.reason
                ));
            }
            if client_member.spec.cluster_mesh.is_some() && !global {
                why.push(format!("Service {ns}/{svc} is not annotated service.cilium.io/global: \"true\": ClusterMesh leaves it local"));
            }
            why.push(format!(
                "Service {ns}/{svc} of cluster {} selects its endpoints in that cluster only",
                client_member.name
            ));
            for w in selected(client_member, &ns, &svc) {
                candidates.push(new_candidate(
                    client_member,
                    w,
                    "local".to_string(),
                    is_failed(client_member),
                ));
            }
            (Mechanism::Kubernetes, dns)
        }
    };

    let endpoints = distribute(&mut candidates, &mut why);
    Ok(Resolution {
        from: format!("{}/{}", client_member.name, client.endpoint_name()),
        name: name.to_string(),
        fqdn,
        mechanism,
        dns,
        endpoints,
        failed: failed_clusters,
        locality,
        why,
    })
}

fn display_or<'a>(s: &'a str, default: &'a str) -> &'a str {
    if s.is_empty() {
        default
    } else {
        s
    }
}

/// Shares: the lowest priority with a ready endpoint takes every connection, split by
/// locality weight and then by ready pods.
fn distribute(candidates: &mut [Candidate], why: &mut Vec<String>) -> Vec<EndpointShare> {
    let active = candidates
        .iter()
        .filter(|c| c.healthy_pods() > 0 && c.locality_weight.is_none_or(|w| w > 0.0))
        .map(|c| c.priority)
        .min();
    let mut shares = vec![0.0; candidates.len()];
    if let Some(p) = active {
        // Locality weights are split among a locality's pods.
        let mut pods_per_locality: BTreeMap<String, u32> = BTreeMap::new();
        for c in candidates.iter().filter(|c| c.priority == p) {
            *pods_per_locality.entry(locality_of(c.member)).or_default() += c.healthy_pods();
        }
        let mut weight_per_locality: BTreeMap<String, f64> = BTreeMap::new();
        for c in candidates.iter().filter(|c| c.priority == p && c.healthy_pods() > 0) {
            // Without locality weights every ready pod counts alike.
            let weight = c
                .locality_weight
                .unwrap_or(f64::from(pods_per_locality[&locality_of(c.member)]));
            weight_per_locality.insert(locality_of(c.member), weight);
        }
        let total_weight: f64 = weight_per_locality.values().sum();
        for (i, c) in candidates.iter().enumerate() {
            if c.priority != p || c.healthy_pods() == 0 || total_weight <= 0.0 {
                continue;
            }
            let loc = locality_of(c.member);
            let in_locality = f64::from(pods_per_locality[&loc].max(1));
            shares[i] = weight_per_locality[&loc] / total_weight * f64::from(c.healthy_pods()) / in_locality;
        }
        if candidates.iter().any(|c| c.priority < p) {
            why.push(format!(
                "no endpoint of priority below {p} is ready: traffic fails over to priority {p}"
            ));
        }
    } else if !candidates.is_empty() {
        why.push(
            "no endpoint that may get traffic (ready, reachable, with a locality weight above 0) is left".to_string(),
        );
    }
    let mut out: Vec<EndpointShare> = candidates
        .iter()
        .zip(shares)
        .map(|(c, share)| {
            let mut notes = Vec::new();
            if let Some(b) = &c.blocked {
                notes.push(b.clone());
            }
            notes.extend(c.notes.iter().cloned());
            EndpointShare {
                cluster: c.member.name.clone(),
                workload: c.workload.endpoint_name(),
                pods: c.healthy_pods(),
                priority: c.priority,
                share: (share * 1e6).round() / 1e6,
                via: c.via.clone(),
                notes,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.share.total_cmp(&a.share))
            .then((&a.cluster, &a.workload).cmp(&(&b.cluster, &b.workload)))
    });
    out
}

/// `region/zone`, the locality Istio and Envoy group endpoints by.
fn locality_of(m: &Member) -> String {
    format!("{}/{}", m.region(), m.zone())
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

/// An Istio Gateway of the cluster that passes mTLS through on 15443: an east-west gateway.
/// (Also used by the web view to mark the gateway.)
pub fn east_west_gateway(m: &Member) -> Option<String> {
    m.scenario
        .cluster
        .mesh
        .gateways
        .iter()
        .find(|g| {
            g.spec.servers.iter().any(|s| {
                s.port.as_ref().is_some_and(|p| p.number == 15443)
                    && s.tls
                        .as_ref()
                        .and_then(|t| t.mode.as_deref())
                        .is_some_and(|mode| mode.eq_ignore_ascii_case("AUTO_PASSTHROUGH"))
            })
        })
        .map(|g| format!("{}/{}", g.meta.namespace, g.meta.name))
}

/// What the destination's NetworkPolicies see of a caller from another cluster.
fn netpol_notes(m: &Member, w: &Workload, gateway: Option<&str>) -> Vec<String> {
    let cluster = &m.scenario.cluster;
    let isolating: Vec<&str> = cluster
        .policies
        .iter()
        .filter(|p| p.namespace == w.namespace && p.ingress.is_some() && p.pod_selector.matches(&w.labels))
        .map(|p| p.name.as_str())
        .collect();
    if isolating.is_empty() {
        return Vec::new();
    }
    let seen_as = match gateway {
        Some(g) => format!(
            "the east-west gateway's pods ({g}): a NetworkPolicy peer must admit them, not the client"
        ),
        None => format!(
            "an address outside cluster {} (the client pod's IP): only an ipBlock covering the other cluster's pod CIDR admits it",
            m.name
        ),
    };
    vec![format!(
        "NetworkPolicy {} isolates it in cluster {}; the caller arrives as {seen_as}",
        isolating.join(", "),
        m.name
    )]
}

/// NetworkPolicy and AuthorizationPolicy notes for an Istio call into another cluster.
fn identity_notes(
    client_member: &Member,
    client: &Workload,
    m: &Member,
    w: &Workload,
    gateway: Option<&str>,
) -> Vec<String> {
    let mut notes = netpol_notes(m, w, gateway);
    let has_authz = m
        .scenario
        .cluster
        .mesh
        .authorization_policies
        .iter()
        .any(|a| a.meta.namespace == w.namespace || a.meta.namespace == crate::mesh::ROOT_NAMESPACE);
    if has_authz {
        let sa = client.service_account.as_deref().unwrap_or("default");
        let principal = format!("{}/ns/{}/sa/{sa}", client_member.trust_domain(), client.namespace);
        if client_member.trust_domain() == m.trust_domain() {
            notes.push(format!(
                "AuthorizationPolicies of cluster {} see the caller's principal {principal}: the trust domain is shared, so rules naming it admit the caller from either cluster",
                m.name
            ));
        } else {
            notes.push(format!(
                "AuthorizationPolicies of cluster {} see the principal {principal}, from another trust domain ({}): rules naming {}/ns/... do not match it unless trustDomainAliases lists {}",
                m.name,
                client_member.trust_domain(),
                m.trust_domain(),
                client_member.trust_domain()
            ));
        }
    }
    notes
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LocalityLbSetting {
    pub distribute: Vec<Distribute>,
    pub failover: Vec<Failover>,
    pub failover_priority: Vec<String>,
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Distribute {
    pub from: String,
    pub to: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Failover {
    pub from: String,
    pub to: String,
}

/// Whether a locality pattern (`region/zone/*`, `*`) matches `region/zone`.
fn locality_matches(pattern: &str, locality: &str) -> bool {
    let pat: Vec<&str> = pattern.trim().split('/').collect();
    let loc: Vec<&str> = locality.split('/').collect();
    for (i, p) in pat.iter().enumerate() {
        if *p == "*" {
            return true;
        }
        match loc.get(i) {
            Some(l) if l == p => {}
            _ => return false,
        }
    }
    true
}

/// The labels Istio's failoverPriority compares, for an endpoint or the client.
fn topology_labels(m: &Member, w: &Workload) -> Labels {
    let mut l = w.labels.clone();
    l.insert("topology.kubernetes.io/region".into(), m.region().to_string());
    l.insert("topology.kubernetes.io/zone".into(), m.zone().to_string());
    l.insert("topology.istio.io/network".into(), m.network().to_string());
    l.insert("topology.istio.io/cluster".into(), m.name.clone());
    l
}

/// Istio locality load balancing from the client cluster's DestinationRule: priorities
/// (failover, which Istio applies only with outlierDetection) or weights (distribute).
fn apply_istio_locality(
    client_member: &Member,
    client: &Workload,
    ns: &str,
    svc: &str,
    candidates: &mut [Candidate],
    why: &mut Vec<String>,
) -> String {
    let dr = client_member
        .scenario
        .cluster
        .mesh
        .destination_rules
        .iter()
        .find(|dr| host_matches(&dr.spec.host, &dr.meta.namespace, ns, svc));
    let Some(dr) = dr else {
        return "no DestinationRule: without outlierDetection Istio does not fail over by locality, connections spread over every endpoint".to_string();
    };
    let policy = dr.spec.traffic_policy.clone().unwrap_or_default();
    let setting: LocalityLbSetting = policy
        .load_balancer
        .as_ref()
        .and_then(|lb| lb.get("localityLbSetting"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let dr_name = format!("DestinationRule {}/{}", dr.meta.namespace, dr.meta.name);
    if setting.enabled == Some(false) {
        return format!("{dr_name} disables locality load balancing: every endpoint alike");
    }
    let client_locality = locality_of(client_member);
    if let Some(rule) = setting
        .distribute
        .iter()
        .find(|d| locality_matches(&d.from, &client_locality))
    {
        // Each `to` weight is split among the localities (with ready endpoints) it matches.
        let localities: Vec<String> = {
            let mut v: Vec<String> = candidates
                .iter()
                .filter(|c| c.healthy_pods() > 0)
                .map(|c| locality_of(c.member))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let mut weight: BTreeMap<String, f64> = BTreeMap::new();
        for (pattern, w) in &rule.to {
            let matching: Vec<&String> = localities.iter().filter(|l| locality_matches(pattern, l)).collect();
            for l in &matching {
                *weight.entry((*l).clone()).or_default() += f64::from(*w) / matching.len() as f64;
            }
        }
        for c in candidates.iter_mut() {
            c.locality_weight = Some(weight.get(&locality_of(c.member)).copied().unwrap_or(0.0));
        }
        why.push(format!(
            "{dr_name} distributes traffic from {}: {}",
            rule.from,
            rule.to
                .iter()
                .map(|(k, v)| format!("{k} {v}%"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return format!("distribute (from {})", rule.from);
    }
    if !setting.distribute.is_empty() {
        // Istio applies either distribute or failover; a client no `from` matches gets
        // neither.
        why.push(format!(
            "{dr_name} distributes by locality, but no `from` matches the client's locality {client_locality}: no locality preference"
        ));
        return format!("distribute, no rule for {client_locality}: every endpoint alike");
    }
    if policy.outlier_detection.is_none() {
        if !setting.failover.is_empty() || !setting.failover_priority.is_empty() {
            why.push(format!("{dr_name} sets locality failover but no outlierDetection: Istio ignores the failover, so every endpoint gets traffic (NP5006)"));
        }
        return format!(
            "{dr_name} has no outlierDetection: no locality failover, connections spread over every endpoint"
        );
    }
    if !setting.failover_priority.is_empty() {
        let client_labels = topology_labels(client_member, client);
        for c in candidates.iter_mut() {
            let labels = topology_labels(c.member, c.workload);
            let matched = setting
                .failover_priority
                .iter()
                .take_while(|k| {
                    let key = k.split_once('=').map_or(k.as_str(), |(k, _)| k);
                    labels.contains_key(key) && labels.get(key) == client_labels.get(key)
                })
                .count();
            c.priority = (setting.failover_priority.len() - matched) as u32;
        }
        why.push(format!(
            "{dr_name} orders endpoints by failoverPriority {}: the more leading labels equal the client's, the earlier",
            setting.failover_priority.join(", ")
        ));
        return format!("failoverPriority ({})", setting.failover_priority.join(", "));
    }
    let region = client_member.region();
    let targets: Vec<&str> = setting
        .failover
        .iter()
        .filter(|f| f.from == region)
        .map(|f| f.to.as_str())
        .collect();
    for c in candidates.iter_mut() {
        c.priority = if c.member.region() == region && c.member.zone() == client_member.zone() {
            0
        } else if c.member.region() == region {
            1
        } else if targets.contains(&c.member.region()) {
            2
        } else {
            3
        };
    }
    why.push(format!(
        "{dr_name} has outlierDetection, so Istio fails over by locality: same zone first (p0), then same region (p1){}, then any other region (p3)",
        if targets.is_empty() {
            String::new()
        } else {
            format!(", then the failover region {} (p2)", targets.join(", "))
        }
    ));
    format!(
        "failover from {}{}",
        display_or(&client_locality, "unknown"),
        if targets.is_empty() {
            String::new()
        } else {
            format!(" to {}", targets.join(", "))
        }
    )
}
