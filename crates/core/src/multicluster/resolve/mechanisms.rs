//! The mechanisms that serve a name: MCS clusterset names, Istio multi-primary (Services
//! merged across the mesh, east-west gateways across networks), Cilium ClusterMesh global
//! Services, or a plain Service of the client's own cluster; and what the destination's
//! policies see of a caller from another cluster.

use super::{cluster_of, display_or, host_matches, new_candidate, selected, DnsAnswer, Mechanism, Query};
use crate::mesh::types::TlsMode;
use crate::mesh::Injection;
use crate::model::Workload;
use crate::multicluster::Member;

impl<'m> Query<'m> {
    /// MCS: the name exists once some cluster of the clusterset exports the Service.
    pub(super) fn mcs(&mut self) -> (Mechanism, DnsAnswer) {
        let (ns, svc, fqdn) = (self.ns.clone(), self.svc.clone(), self.fqdn.clone());
        let client_member = self.client_member;
        let set = client_member.cluster_set();
        self.why.push(format!(
            "{fqdn} is a clusterset name: the MCS API serves it from the ServiceImport {ns}/{svc}, which exists when a cluster of the clusterset{} exports {ns}/{svc} (namespace sameness: the same namespace and name everywhere)",
            if set.is_empty() { String::new() } else { format!(" {set}") }
        ));
        let mut exporters = Vec::new();
        for m in self.multi.clusters.iter().filter(|m| m.cluster_set() == set) {
            let key = (ns.clone(), svc.clone());
            if m.exports.contains_key(&key) {
                if m.service(&ns, &svc).is_some() {
                    exporters.push(m);
                } else {
                    self.why.push(format!(
                        "cluster {} has a ServiceExport {ns}/{svc} but no Service {ns}/{svc}: it exports nothing",
                        m.name
                    ));
                }
            }
        }
        if exporters.is_empty() {
            self.why.push(format!(
                "no cluster exports {ns}/{svc}: there is no ServiceImport, and DNS answers NXDOMAIN"
            ));
            return (
                Mechanism::Mcs,
                DnsAnswer {
                    record: "NXDOMAIN",
                    detail: "no ServiceImport".to_string(),
                },
            );
        }
        let names: Vec<&str> = exporters.iter().map(|m| m.name.as_str()).collect();
        self.why.push(format!("exported by {}", names.join(", ")));
        let headless = exporters.iter().all(|m| m.is_headless(&ns, &svc));
        for m in &exporters {
            for w in selected(m, &ns, &svc) {
                let via = if self.is_local(m) { "local" } else { "direct" };
                let c = new_candidate(m, w, via.to_string(), self.is_failed(m));
                self.candidates.push(c);
            }
        }
        self.why.push("an MCS implementation spreads connections to the clusterset IP over the ready endpoints of every exporting cluster alike; an exporting cluster's endpoints leave the EndpointSlices when it fails".to_string());
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

    /// A cluster-local name the client's cluster has no Service for: NXDOMAIN.
    pub(super) fn not_in_client_cluster(&mut self) -> (Mechanism, DnsAnswer) {
        let (ns, svc, fqdn) = (&self.ns, &self.svc, &self.fqdn);
        let client_member = self.client_member;
        self.why.push(format!(
            "{fqdn} is a cluster-local name and cluster {} has no Service {ns}/{svc}: kube-dns answers NXDOMAIN",
            client_member.name
        ));
        let elsewhere: Vec<&str> = self
            .multi
            .clusters
            .iter()
            .filter(|m| m.service(ns, svc).is_some())
            .map(|m| m.name.as_str())
            .collect();
        if !elsewhere.is_empty() {
            self.why.push(format!(
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
    }

    /// A Service of the client's cluster: Istio merges it across the mesh when the client
    /// has a sidecar, ClusterMesh shares it when it is global; else only its own endpoints.
    pub(super) fn in_client_cluster(&mut self) -> (Mechanism, DnsAnswer) {
        let (ns, svc) = (self.ns.clone(), self.svc.clone());
        let client_member = self.client_member;
        let dns = if client_member.is_headless(&ns, &svc) {
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
        let injected = self.client_proxy();
        let global = client_member.annotation(&ns, &svc, "service.cilium.io/global") == Some("true");
        if let (Some(mesh_id), true) = (client_member.spec.mesh_id.as_deref(), injected.injected) {
            self.istio(mesh_id, &injected);
            return (Mechanism::Istio, dns);
        }
        if client_member.spec.cluster_mesh.is_some() && global {
            self.clustermesh();
            return (Mechanism::Clustermesh, dns);
        }
        if client_member.spec.mesh_id.is_some() {
            self.why.push(format!(
                "the client has no Istio sidecar ({}): only its own cluster's endpoints",
                injected.reason
            ));
        }
        if client_member.spec.cluster_mesh.is_some() && !global {
            self.why.push(format!(
                "Service {ns}/{svc} is not annotated service.cilium.io/global: \"true\": ClusterMesh leaves it local"
            ));
        }
        self.why.push(format!(
            "Service {ns}/{svc} of cluster {} selects its endpoints in that cluster only",
            client_member.name
        ));
        for w in selected(client_member, &ns, &svc) {
            let c = new_candidate(client_member, w, "local".to_string(), self.is_failed(client_member));
            self.candidates.push(c);
        }
        (Mechanism::Kubernetes, dns)
    }

    /// Whether the client is an Envoy proxy: it has a sidecar, or it is the proxy of an
    /// Istio Gateway (an ingress gateway routes into the mesh like a sidecar does).
    fn client_proxy(&self) -> Injection {
        let cluster = cluster_of(self.client_member);
        let client = self.client;
        let mut injected = crate::mesh::sidecar_injected(cluster, client);
        if let Some(g) = cluster.mesh.gateways.iter().find(|g| {
            !g.spec.selector.is_empty() && g.spec.selector.iter().all(|(k, v)| client.labels.get(k) == Some(v))
        }) {
            injected.injected = true;
            injected.reason = format!("it is the proxy of Gateway {}/{}", g.meta.namespace, g.meta.name);
        }
        injected
    }

    /// Istio multi-primary: the Services of every cluster of the mesh merge into one host;
    /// across networks only through the destination's east-west gateway, with Istio mTLS.
    fn istio(&mut self, mesh_id: &str, injected: &Injection) {
        let (ns, svc) = (self.ns.clone(), self.svc.clone());
        let client_member = self.client_member;
        self.why.push(format!(
            "the client has an Istio sidecar ({}) and cluster {} is in mesh {mesh_id}: Istio merges the Services {ns}/{svc} of every cluster of the mesh into one host",
            injected.reason, client_member.name
        ));
        let client_tls_disabled = cluster_of(client_member)
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
        let members = self
            .multi
            .clusters
            .iter()
            .filter(|m| m.spec.mesh_id.as_deref() == Some(mesh_id) && m.service(&ns, &svc).is_some());
        for m in members {
            let cross_network = !self.is_local(m) && m.network() != client_member.network();
            let gateway = if cross_network { east_west_gateway(m) } else { None };
            for w in selected(m, &ns, &svc) {
                let via = if self.is_local(m) {
                    "local".to_string()
                } else if let Some(g) = &gateway {
                    format!("east-west gateway {g} of cluster {}", m.name)
                } else {
                    "direct".to_string()
                };
                let mut c = new_candidate(m, w, via, self.is_failed(m));
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
                if !self.is_local(m) {
                    c.notes
                        .extend(identity_notes(client_member, self.client, m, w, gateway.as_deref()));
                }
                self.candidates.push(c);
            }
        }
        self.locality = super::locality::apply_istio_locality(
            client_member,
            self.client,
            &ns,
            &svc,
            &mut self.candidates,
            &mut self.why,
        );
    }

    /// Cilium ClusterMesh: a global Service gets the backends of the same Service of every
    /// cluster that shares it; `service.cilium.io/affinity` orders local and remote ones.
    fn clustermesh(&mut self) {
        let (ns, svc) = (self.ns.clone(), self.svc.clone());
        let client_member = self.client_member;
        self.why.push(format!(
            "Service {ns}/{svc} in cluster {} is a Cilium global service (service.cilium.io/global: \"true\"): ClusterMesh adds the backends of the same Service of every cluster that shares it",
            client_member.name
        ));
        for m in self.multi.clusters.iter().filter(|m| m.spec.cluster_mesh.is_some()) {
            if m.service(&ns, &svc).is_none() {
                continue;
            }
            if !self.is_local(m) {
                if m.annotation(&ns, &svc, "service.cilium.io/global") != Some("true") {
                    self.why.push(format!(
                        "cluster {}: {ns}/{svc} is not global there, so its backends are not shared",
                        m.name
                    ));
                    continue;
                }
                if m.annotation(&ns, &svc, "service.cilium.io/shared") == Some("false") {
                    self.why.push(format!("cluster {}: {ns}/{svc} has service.cilium.io/shared: \"false\", so its backends stay in that cluster", m.name));
                    continue;
                }
            }
            for w in selected(m, &ns, &svc) {
                let via = if self.is_local(m) { "local" } else { "direct" };
                let mut c = new_candidate(m, w, via.to_string(), self.is_failed(m));
                if !self.is_local(m) {
                    c.notes.extend(netpol_notes(m, w, None));
                }
                self.candidates.push(c);
            }
        }
        let affinity = client_member
            .annotation(&ns, &svc, "service.cilium.io/affinity")
            .unwrap_or("none")
            .to_ascii_lowercase();
        for c in &mut self.candidates {
            let local = c.member.name == client_member.name;
            c.priority = match affinity.as_str() {
                "local" => u32::from(!local),
                "remote" => u32::from(local),
                _ => 0,
            };
        }
        self.locality =
            match affinity.as_str() {
                "local" => "service.cilium.io/affinity: local — local backends while any is ready, then remote ones"
                    .to_string(),
                "remote" => "service.cilium.io/affinity: remote — remote backends while any is ready, then local ones"
                    .to_string(),
                _ => "service.cilium.io/affinity not set (none): local and remote backends alike".to_string(),
            };
    }
}

/// An Istio Gateway of the cluster that passes mTLS through on 15443: an east-west gateway.
/// (Also used by the web view to mark the gateway.)
pub fn east_west_gateway(m: &Member) -> Option<String> {
    cluster_of(m)
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
    let cluster = cluster_of(m);
    let isolating: Vec<&str> = cluster
        .policies
        .iter()
        .filter(|p| {
            p.calico.is_none() && p.namespace == w.namespace && p.ingress.is_some() && p.pod_selector.matches(&w.labels)
        })
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
    let has_authz = cluster_of(m)
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
