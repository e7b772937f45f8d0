//! Deterministic synthetic clusters for benchmarks: seeded, so the same parameters always
//! give the same YAML, natively and in the browser.
//!
//! The policy mix follows what real clusters hold: a default deny per namespace,
//! allow-from-namespace rules, pod selectors with expressions, named ports, ipBlocks with
//! excepts for egress, and DNS egress to kube-system.

use std::fmt::Write;

/// Size and seed of a synthetic cluster.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub namespaces: usize,
    pub workloads: usize,
    pub policies: usize,
    pub seed: u64,
}

impl Params {
    pub fn new(namespaces: usize, workloads: usize, policies: usize) -> Self {
        Params {
            namespaces,
            workloads,
            policies,
            seed: 42,
        }
    }
}

/// SplitMix64: tiny, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const TIERS: [&str; 4] = ["frontend", "backend", "db", "cache"];
const ENVS: [&str; 3] = ["prod", "staging", "dev"];
const VERSIONS: [&str; 2] = ["v1", "v2"];

fn team(i: usize) -> String {
    format!("team-{}", i % 10)
}

fn ns_name(i: usize) -> String {
    format!("ns-{i:04}")
}

/// The cluster as one multi-document YAML text.
pub fn generate(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let namespaces = p.namespaces.max(1);
    let apps_per_ns = (p.workloads / namespaces).max(1);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 600);

    for i in 0..namespaces {
        let env = rng.pick(&ENVS);
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels:\n    team: {}\n    env: {env}\n---\n",
            ns_name(i),
            team(i)
        );
    }

    for w in 0..p.workloads {
        let ns = ns_name(w % namespaces);
        let app = format!("app-{}", (w / namespaces) % apps_per_ns.max(1));
        let tier = rng.pick(&TIERS);
        let version = rng.pick(&VERSIONS);
        let kind = if rng.chance(85) { "Deployment" } else { "StatefulSet" };
        let _ = write!(
            out,
            "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: wl-{w:05}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n        tier: {tier}\n        version: {version}\n    spec:\n      containers:\n      - name: main\n        image: nginx\n        ports:\n        - name: http\n          containerPort: {}\n        - name: metrics\n          containerPort: 9090\n",
            if tier == "db" { 5432 } else { 8080 }
        );
        if rng.chance(30) {
            out.push_str("        - name: grpc\n          containerPort: 9000\n");
        }
        if kind == "StatefulSet" {
            let _ = writeln!(out, "  serviceName: wl-{w:05}");
        }
        out.push_str("---\n");
    }

    for k in 0..p.policies {
        let ns_index = k % namespaces;
        let ns = ns_name(ns_index);
        let name = format!("np-{k:05}");
        let _ = write!(out, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n");
        // The first policy of each namespace is its default deny; the rest are a mix.
        if k < namespaces {
            out.push_str("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n---\n");
            continue;
        }
        match rng.below(6) {
            0 => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      tier: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: {}\n    ports:\n    - port: http\n",
                    rng.pick(&TIERS),
                    team(rng.below(10))
                );
            }
            1 => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [backend, db]\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: {}\n      namespaceSelector:\n        matchExpressions:\n        - key: env\n          operator: NotIn\n          values: [dev]\n    ports:\n    - port: 5432\n    - port: 8080\n      endPort: 8090\n",
                    rng.pick(&TIERS)
                );
            }
            2 => {
                let octet = rng.below(250);
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      app: app-{}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.{octet}.0.0/16\n        except:\n        - 10.{octet}.{}.0/24\n    ports:\n    - port: 443\n",
                    rng.below(apps_per_ns),
                    rng.below(250)
                );
            }
            3 => {
                out.push_str(
                    "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP\n",
                );
            }
            4 => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      version: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          team: {}\n      podSelector:\n        matchExpressions:\n        - key: tier\n          operator: Exists\n    ports:\n    - port: http\n    - port: grpc\n",
                    rng.pick(&VERSIONS),
                    team(rng.below(10))
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      app: app-{}\n  ingress:\n  - from:\n    - podSelector: {{}}\n  - from:\n    - ipBlock:\n        cidr: 192.168.{}.0/24\n    ports:\n    - port: metrics\n",
                    rng.below(apps_per_ns),
                    rng.below(250)
                );
            }
        }
        out.push_str("---\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let p = Params::new(5, 40, 20);
        assert_eq!(generate(p), generate(p));
        assert_ne!(generate(p), generate(Params { seed: 7, ..p }));
    }
}
