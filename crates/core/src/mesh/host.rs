//! Host names: Kubernetes service FQDNs, short names in Istio config, wildcards, and how a
//! client pod's DNS resolves the host of a URL.

use super::types::ServiceEntrySpec;
use super::{exported_to, MeshObject};
use crate::model::{Cluster, Service};

pub const CLUSTER_DOMAIN: &str = "svc.cluster.local";

/// `name.namespace.svc.cluster.local`.
pub fn service_fqdn(namespace: &str, name: &str) -> String {
    format!("{name}.{namespace}.{CLUSTER_DOMAIN}")
}

/// A host written in an Istio object of namespace `ns`: a short name (no dot) means
/// `name.ns.svc.cluster.local` ("interpreted based on the namespace of the rule, not the
/// service"); anything else is taken as written (lower-cased).
pub fn config_host(host: &str, ns: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if h.contains('.') || h.contains('*') || h.contains(':') || h.is_empty() {
        h
    } else {
        service_fqdn(ns, &h)
    }
}

/// Whether a host pattern (`*`, `*.example.com` or a name) matches a host.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => host.ends_with(suffix) && host.len() > suffix.len(),
        None => pattern == host,
    }
}

/// How specific a matching pattern is: an exact name beats any wildcard, a longer
/// wildcard beats a shorter one.
pub fn specificity(pattern: &str) -> (u8, usize) {
    if pattern.starts_with('*') {
        (0, pattern.len())
    } else {
        (1, pattern.len())
    }
}

/// Whether two host patterns can match a common host (used to bind VirtualService hosts
/// to Gateway server hosts).
pub fn hosts_intersect(a: &str, b: &str) -> bool {
    host_matches(a, b.trim_start_matches("*.")) || host_matches(b, a.trim_start_matches("*.")) || a == b
}

/// What a host resolved to.
#[derive(Clone, Debug)]
pub enum Resolved {
    /// Index into `Cluster::services`.
    Service(usize),
    /// Index into `Mesh::service_entries`, and the matching host as written there.
    Entry(usize, String),
}

/// The Service whose FQDN is `fqdn`.
pub fn find_service(cluster: &Cluster, fqdn: &str) -> Option<usize> {
    let rest = fqdn.strip_suffix(CLUSTER_DOMAIN)?.strip_suffix('.')?;
    let (name, ns) = rest.split_once('.')?;
    cluster
        .services
        .iter()
        .position(|s| s.name == name && s.namespace == ns)
}

/// The ServiceEntry visible from `client_ns` with a host matching `host` (most specific
/// host first, then the oldest entry).
pub fn find_entry(entries: &[MeshObject<ServiceEntrySpec>], host: &str, client_ns: &str) -> Option<(usize, String)> {
    let mut best: Option<(usize, String, (u8, usize))> = None;
    let mut order: Vec<usize> = (0..entries.len()).collect();
    crate::sorting::sort_by(&mut order, |&a, &b| {
        entries[a].meta.age_key().cmp(&entries[b].meta.age_key())
    });
    for i in order {
        let e = &entries[i];
        if !exported_to(&e.spec.export_to, &e.meta.namespace, client_ns) {
            continue;
        }
        for h in &e.spec.hosts {
            let h = config_host(h, &e.meta.namespace);
            if host_matches(&h, host) {
                let s = specificity(&h);
                if best.as_ref().is_none_or(|(_, _, bs)| s > *bs) {
                    best = Some((i, h.clone(), s));
                }
            }
        }
    }
    best.map(|(i, h, _)| (i, h))
}

/// Resolves the host of a URL as a pod in `client_ns` would: the DNS search path
/// (`<ns>.svc.cluster.local`, `svc.cluster.local`, `cluster.local`, with `ndots:5`) and
/// then the name itself, each candidate looked up among Services and ServiceEntry hosts.
/// Returns the FQDN that resolved and what it is.
pub fn resolve(cluster: &Cluster, host: &str, client_ns: &str) -> Option<(String, Resolved)> {
    let host = host.trim().to_ascii_lowercase();
    let absolute = host.ends_with('.');
    let host = host.trim_end_matches('.').to_string();
    let mut candidates = Vec::new();
    if !absolute && host.matches('.').count() < 5 {
        candidates.push(format!("{host}.{client_ns}.{CLUSTER_DOMAIN}"));
        candidates.push(format!("{host}.{CLUSTER_DOMAIN}"));
        candidates.push(format!("{host}.cluster.local"));
    }
    candidates.push(host.clone());
    for c in candidates {
        if let Some(i) = find_service(cluster, &c) {
            return Some((c, Resolved::Service(i)));
        }
        if let Some((i, h)) = find_entry(&cluster.mesh.service_entries, &c, client_ns) {
            return Some((c, Resolved::Entry(i, h)));
        }
    }
    None
}

/// The Service's `name.ns.svc.cluster.local`.
pub fn fqdn(svc: &Service) -> String {
    service_fqdn(&svc.namespace, &svc.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_take_the_config_namespace() {
        assert_eq!(config_host("reviews", "prod"), "reviews.prod.svc.cluster.local");
        assert_eq!(config_host("Reviews.Prod", "x"), "reviews.prod");
        assert_eq!(config_host("*", "x"), "*");
        assert_eq!(config_host("*.example.com", "x"), "*.example.com");
    }

    #[test]
    fn wildcards() {
        assert!(host_matches("*", "a.b"));
        assert!(host_matches("*.example.com", "www.example.com"));
        assert!(host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("example.com", "www.example.com"));
        assert!(specificity("a.example.com") > specificity("*.example.com"));
        assert!(specificity("*.a.example.com") > specificity("*.example.com"));
        assert!(hosts_intersect("*", "bookinfo.com"));
        assert!(hosts_intersect("*.bookinfo.com", "www.bookinfo.com"));
        assert!(!hosts_intersect("a.com", "b.com"));
    }
}
