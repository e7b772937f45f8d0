//! Deterministic synthetic clusters for benchmarks: seeded, so the same parameters always
//! give the same YAML, natively and in the browser.
//!
//! The policy mix follows what real clusters hold: a default deny per namespace,
//! allow-from-namespace rules, pod selectors with expressions, named ports, ipBlocks with
//! excepts for egress, and DNS egress to kube-system (whose first workload is CoreDNS, so
//! those rules admit something). [`generate_mesh`] makes an Istio mesh of N services, and
//! [`write_dir`] writes either as files so that the CLI can be timed as a whole process.
//! [`zip::stored`] writes zip archives by hand for the tests of the bundle reader.

pub mod zip;

mod pods;

pub use pods::{pod_dump, DumpStyle};

use std::fmt::Write;
use std::path::Path;

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

/// Namespace 0 is kube-system, home of cluster DNS.
fn ns_name(i: usize) -> String {
    if i == 0 {
        "kube-system".to_string()
    } else {
        format!("ns-{i:04}")
    }
}

/// The cluster as one multi-document YAML text.
pub fn generate(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 600);
    write_namespaces_and_workloads(&mut out, &mut rng, p, false);
    write_policies(&mut out, &mut rng, p);
    out
}

/// [`generate`]'s cluster with its policies written as Calico NetworkPolicies
/// (projectcalico.org/v3, default tier) instead: the same workloads, the same mix of
/// rules in Calico's syntax (selector expressions, `nets`/`notNets`, port ranges, named
/// ports), the same count. What the benchmark of Calico's evaluation compares with.
pub fn generate_calico(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 600);
    write_namespaces_and_workloads(&mut out, &mut rng, p, false);
    write_calico_policies(&mut out, &mut rng, p);
    out
}

/// [`write_policies`]' mix in Calico's syntax, drawing the same random numbers.
fn write_calico_policies(out: &mut String, rng: &mut Rng, p: Params) {
    let namespaces = p.namespaces.max(1);
    let apps_per_ns = (p.workloads / namespaces).max(1);
    let dns = "  - action: Allow\n    protocol: UDP\n    destination:\n      selector: k8s-app == 'kube-dns'\n      namespaceSelector: projectcalico.org/name == 'kube-system'\n      ports: [53]\n  - action: Allow\n    protocol: TCP\n    destination:\n      selector: k8s-app == 'kube-dns'\n      namespaceSelector: projectcalico.org/name == 'kube-system'\n      ports: [53]\n";
    for k in 0..p.policies {
        let ns = ns_name(k % namespaces);
        let _ = write!(out, "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: cnp-{k:05}\n  namespace: {ns}\nspec:\n");
        if k < namespaces {
            out.push_str("  order: 2000\n  selector: all()\n  types: [Ingress, Egress]\n---\n");
            continue;
        }
        match rng.below(6) {
            0 => {
                let _ = write!(
                    out,
                    "  selector: tier == '{}'\n  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n      namespaceSelector: team == '{}'\n    destination:\n      ports: [http]\n",
                    rng.pick(&TIERS),
                    team(rng.below(10))
                );
            }
            1 => {
                let _ = write!(
                    out,
                    "  selector: tier in {{'backend', 'db'}}\n  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n      selector: tier == '{}'\n      namespaceSelector: env not in {{'dev'}}\n    destination:\n      ports: [5432, '8080:8090']\n",
                    rng.pick(&TIERS)
                );
            }
            2 => {
                let octet = rng.below(250);
                let _ = write!(
                    out,
                    "  selector: app == 'app-{}'\n  types: [Egress]\n  egress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      nets: [10.{octet}.0.0/16]\n      notNets: [10.{octet}.{}.0/24]\n      ports: [443]\n",
                    rng.below(apps_per_ns),
                    rng.below(250)
                );
            }
            3 => {
                out.push_str("  selector: all()\n  types: [Egress]\n  egress:\n");
                out.push_str(dns);
            }
            4 => {
                let _ = write!(
                    out,
                    "  selector: version == '{}'\n  types: [Egress]\n  egress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      selector: has(tier)\n      namespaceSelector: team == '{}'\n      ports: [http, grpc]\n",
                    rng.pick(&VERSIONS),
                    team(rng.below(10))
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "  selector: app == 'app-{}'\n  ingress:\n  - action: Allow\n    source:\n      selector: all()\n  - action: Allow\n    protocol: TCP\n    source:\n      nets: [192.168.{}.0/24]\n    destination:\n      ports: [metrics]\n",
                    rng.below(apps_per_ns),
                    rng.below(250)
                );
            }
        }
        out.push_str("---\n");
    }
}

/// [`generate`]'s cluster with its policies written as CiliumNetworkPolicies instead
/// (cilium.io/v2): the same workloads, the same mix of rules in Cilium's syntax (endpoint
/// selectors with namespace labels, `toCIDRSet` with `except`, `fromCIDR`, port ranges,
/// named ports), the same count.
pub fn generate_cilium(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 600);
    write_namespaces_and_workloads(&mut out, &mut rng, p, false);
    write_cilium_policies(&mut out, &mut rng, p);
    out
}

/// [`generate`]'s cluster with half its policies as CiliumNetworkPolicies and half as
/// Calico NetworkPolicies: what issue 16's benchmark compares with the same count of
/// NetworkPolicies.
pub fn generate_cilium_and_calico(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 600);
    write_namespaces_and_workloads(&mut out, &mut rng, p, false);
    let cilium = p.policies / 2;
    write_cilium_policies(&mut out, &mut rng, Params { policies: cilium, ..p });
    write_calico_policies(
        &mut out,
        &mut rng,
        Params {
            policies: p.policies - cilium,
            ..p
        },
    );
    out
}

/// [`write_policies`]' mix in Cilium's syntax, drawing the same random numbers.
fn write_cilium_policies(out: &mut String, rng: &mut Rng, p: Params) {
    let namespaces = p.namespaces.max(1);
    let apps_per_ns = (p.workloads / namespaces).max(1);
    let team_peer = |t: String| format!("    - matchLabels:\n        io.cilium.k8s.namespace.labels.team: {t}\n");
    for k in 0..p.policies {
        let ns = ns_name(k % namespaces);
        let _ = write!(out, "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: cil-{k:05}\n  namespace: {ns}\nspec:\n");
        if k < namespaces {
            out.push_str("  endpointSelector: {}\n  ingress:\n  - {}\n  egress:\n  - {}\n---\n");
            continue;
        }
        match rng.below(6) {
            0 => {
                let tier = rng.pick(&TIERS);
                let _ = write!(
                    out,
                    "  endpointSelector:\n    matchLabels:\n      tier: {tier}\n  ingress:\n  - fromEndpoints:\n{}    toPorts:\n    - ports:\n      - port: http\n        protocol: TCP\n",
                    team_peer(team(rng.below(10)))
                );
            }
            1 => {
                let _ = write!(
                    out,
                    "  endpointSelector:\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [backend, db]\n  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        tier: {}\n      matchExpressions:\n      - key: io.cilium.k8s.namespace.labels.env\n        operator: NotIn\n        values: [dev]\n    toPorts:\n    - ports:\n      - port: \"5432\"\n        protocol: TCP\n      - port: \"8080\"\n        endPort: 8090\n        protocol: TCP\n",
                    rng.pick(&TIERS)
                );
            }
            2 => {
                let octet = rng.below(250);
                let _ = write!(
                    out,
                    "  endpointSelector:\n    matchLabels:\n      app: app-{}\n  egress:\n  - toCIDRSet:\n    - cidr: 10.{octet}.0.0/16\n      except:\n      - 10.{octet}.{}.0/24\n    toPorts:\n    - ports:\n      - port: \"443\"\n        protocol: TCP\n",
                    rng.below(apps_per_ns),
                    rng.below(250)
                );
            }
            3 => {
                out.push_str(
                    "  endpointSelector: {}\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: kube-system\n        k8s:k8s-app: kube-dns\n    toPorts:\n    - ports:\n      - port: \"53\"\n        protocol: UDP\n      - port: \"53\"\n        protocol: TCP\n",
                );
            }
            4 => {
                let version = rng.pick(&VERSIONS);
                let _ = write!(
                    out,
                    "  endpointSelector:\n    matchLabels:\n      version: {version}\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        io.cilium.k8s.namespace.labels.team: {}\n      matchExpressions:\n      - key: tier\n        operator: Exists\n    toPorts:\n    - ports:\n      - port: http\n        protocol: TCP\n      - port: grpc\n        protocol: TCP\n",
                    team(rng.below(10))
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "  endpointSelector:\n    matchLabels:\n      app: app-{}\n  ingress:\n  - fromEndpoints:\n    - {{}}\n  - fromCIDR:\n    - 192.168.{}.0/24\n    toPorts:\n    - ports:\n      - port: metrics\n        protocol: TCP\n",
                    rng.below(apps_per_ns),
                    rng.below(250)
                );
            }
        }
        out.push_str("---\n");
    }
}

/// A cluster where nearly every workload has a label set of its own, as in clusters
/// segmented per application: every workload carries its own
/// `app.kubernetes.io/instance`, and most allow rules name one instance or a whole team's
/// namespaces. Classes are then as many as workloads and the connection list is dense
/// (about 1.2 million lines at 5,000 workloads / 250 namespaces / 3,000 policies): the
/// worst case for grouping workloads into classes, and the shape of issue 22.
pub fn generate_distinct(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 750 + p.policies * 600);
    write_namespaces_and_workloads(&mut out, &mut rng, p, true);
    write_distinct_policies(&mut out, &mut rng, p);
    out
}

/// The cluster of [`generate`] with its policies written in the admin tiers instead:
/// `p.policies` objects, one BaselineAdminNetworkPolicy `default` and the rest
/// AdminNetworkPolicies (v1alpha1) and ClusterNetworkPolicies (v1alpha2, tiers Admin and
/// Baseline) with Allow/Accept, Deny and Pass rules, namespace and pod peers, port
/// numbers, ranges and named ports, and egress networks. Most subjects are one namespace
/// (as teams scope their guardrails), a few a whole team's namespaces. For comparing the
/// cost of the admin tiers with NetworkPolicies of the same count (benches/engine.rs).
pub fn generate_admin(p: Params) -> String {
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 700);
    write_namespaces_and_workloads(&mut out, &mut rng, p, false);
    write_admin_policies(&mut out, &mut rng, p);
    out
}

/// [`generate`]'s cluster with `admin` of its `p.policies` policies in the admin tiers
/// (written as [`generate_admin`] writes them: the BaselineAdminNetworkPolicy `default`,
/// AdminNetworkPolicies and ClusterNetworkPolicies) and the rest NetworkPolicies, as on a
/// cluster where administrators set guardrails and teams write NetworkPolicies. The same
/// workloads and the same policy count as [`generate`]: what issue 15's benchmark
/// compares with (`benches/targets.rs -- admin`).
pub fn generate_with_admin(p: Params, admin: usize) -> String {
    let admin = admin.min(p.policies);
    let mut rng = Rng(p.seed);
    let mut out = String::with_capacity(p.workloads * 700 + p.policies * 700);
    write_namespaces_and_workloads(&mut out, &mut rng, p, false);
    write_policies(
        &mut out,
        &mut rng,
        Params {
            policies: p.policies - admin,
            ..p
        },
    );
    write_admin_policies(&mut out, &mut rng, Params { policies: admin, ..p });
    out
}

fn write_admin_policies(out: &mut String, rng: &mut Rng, p: Params) {
    let namespaces = p.namespaces.max(1);
    if p.policies == 0 {
        return;
    }
    // The baseline: pods no NetworkPolicy selects accept no pod traffic but DNS clients'.
    out.push_str("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n  subject:\n    namespaces: {}\n  ingress:\n  - name: from-monitoring\n    action: Allow\n    from:\n    - namespaces:\n        matchLabels:\n          team: team-0\n  - name: default-deny\n    action: Deny\n    from:\n    - namespaces: {}\n---\n");
    for k in 1..p.policies {
        // Subject: one namespace (most), or a team's namespaces.
        let subject = if rng.chance(95) {
            format!(
                "    pods:\n      namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {}\n      podSelector:\n        matchLabels:\n          tier: {}\n",
                ns_name(k % namespaces),
                rng.pick(&TIERS)
            )
        } else {
            format!(
                "    namespaces:\n      matchLabels:\n        team: {}\n",
                team(rng.below(10))
            )
        };
        let cnp = rng.chance(30);
        let (accept, ports_key) = if cnp {
            ("Accept", "protocols")
        } else {
            ("Allow", "ports")
        };
        let port = |rng: &mut Rng| -> String {
            match (cnp, rng.below(3)) {
                (false, 0) => "    - portNumber:\n        protocol: TCP\n        port: 8080\n".to_string(),
                (false, 1) => "    - portRange:\n        protocol: TCP\n        start: 8000\n        end: 9100\n".to_string(),
                (false, _) => "    - namedPort: http\n".to_string(),
                (true, 0) => "    - tcp:\n        destinationPort:\n          number: 8080\n".to_string(),
                (true, 1) => "    - tcp:\n        destinationPort:\n          range:\n            start: 8000\n            end: 9100\n".to_string(),
                (true, _) => "    - destinationNamedPort: http\n".to_string(),
            }
        };
        let action = |rng: &mut Rng| match rng.below(3) {
            0 => accept,
            1 => "Deny",
            _ => "Pass",
        };
        let peer = |rng: &mut Rng| -> String {
            if rng.chance(50) {
                format!(
                    "    - namespaces:\n        matchLabels:\n          team: {}\n",
                    team(rng.below(10))
                )
            } else {
                format!(
                    "    - pods:\n        namespaceSelector:\n          matchLabels:\n            env: {}\n        podSelector:\n          matchLabels:\n            tier: {}\n",
                    rng.pick(&ENVS),
                    rng.pick(&TIERS)
                )
            }
        };
        let header = if cnp {
            let tier = if rng.chance(85) { "Admin" } else { "Baseline" };
            format!("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata:\n  name: cnp-{k:05}\nspec:\n  tier: {tier}\n")
        } else {
            format!("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: anp-{k:05}\nspec:\n")
        };
        let _ = write!(out, "{header}  priority: {}\n  subject:\n{subject}", k % 1000);
        out.push_str("  ingress:\n");
        for r in 0..1 + rng.below(3) {
            let a = action(rng);
            let _ = write!(out, "  - name: in-{r}\n    action: {a}\n    from:\n{}", peer(rng));
            if rng.chance(70) {
                let _ = write!(out, "    {ports_key}:\n{}", port(rng));
            }
        }
        if rng.chance(40) {
            out.push_str("  egress:\n");
            let a = action(rng);
            let octet = rng.below(250);
            let _ = write!(
                out,
                "  - name: out-0\n    action: {a}\n    to:\n{}    - networks:\n      - 10.{octet}.0.0/16\n",
                peer(rng)
            );
        }
        out.push_str("---\n");
    }
}

fn write_namespaces_and_workloads(out: &mut String, rng: &mut Rng, p: Params, instances: bool) {
    let namespaces = p.namespaces.max(1);
    let apps_per_ns = (p.workloads / namespaces).max(1);

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
        if w == 0 {
            // CoreDNS: the target of every namespace's DNS egress rule.
            out.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: coredns\n  namespace: kube-system\nspec:\n  selector:\n    matchLabels:\n      k8s-app: kube-dns\n  template:\n    metadata:\n      labels:\n        k8s-app: kube-dns\n    spec:\n      containers:\n      - name: coredns\n        image: coredns\n        ports:\n        - name: dns\n          containerPort: 53\n          protocol: UDP\n        - name: dns-tcp\n          containerPort: 53\n---\n");
            continue;
        }
        let app = format!("app-{}", (w / namespaces) % apps_per_ns.max(1));
        let tier = rng.pick(&TIERS);
        let version = rng.pick(&VERSIONS);
        let kind = if rng.chance(85) { "Deployment" } else { "StatefulSet" };
        // Labels as Helm charts set them: the recommended app.kubernetes.io set, plus the
        // team's own.
        let _ = write!(
            out,
            "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: wl-{w:05}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n        app.kubernetes.io/name: {app}\n        app.kubernetes.io/part-of: {}\n        app.kubernetes.io/managed-by: helm\n",
            team(w % namespaces),
        );
        if instances {
            let _ = writeln!(out, "        app.kubernetes.io/instance: wl-{w:05}");
        }
        let _ = write!(
            out,
            "        tier: {tier}\n        version: {version}\n    spec:\n      containers:\n      - name: main\n        image: nginx\n        ports:\n        - name: http\n          containerPort: {}\n        - name: metrics\n          containerPort: 9090\n",
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
}

fn write_policies(out: &mut String, rng: &mut Rng, p: Params) {
    let namespaces = p.namespaces.max(1);
    let apps_per_ns = (p.workloads / namespaces).max(1);
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
}

/// The policies of [`generate_distinct`]: a default deny per namespace, then per
/// namespace egress to whole teams and DNS, per instance ingress from a team or from the
/// front ends of the cluster, and some tier-wide and ipBlock rules.
fn write_distinct_policies(out: &mut String, rng: &mut Rng, p: Params) {
    let namespaces = p.namespaces.max(1);
    for k in 0..p.policies {
        let ns_index = k % namespaces;
        let ns = ns_name(ns_index);
        let _ = write!(out, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np-{k:05}\n  namespace: {ns}\nspec:\n");
        if k < namespaces {
            out.push_str("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n---\n");
            continue;
        }
        // A workload of this namespace (workload w lives in namespace w % namespaces).
        let per_ns = (p.workloads / namespaces).max(1);
        let instance = (ns_index + namespaces * rng.below(per_ns)).max(1);
        match rng.below(DISTINCT_KINDS) {
            0 => {
                let _ = write!(
                    out,
                    "  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          team: {}\n    ports:\n    - port: http\n    - port: grpc\n    - port: 5432\n",
                    team(rng.below(10))
                );
            }
            1 => {
                let _ = write!(
                    out,
                    "  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchExpressions:\n        - key: team\n          operator: In\n          values: [{}, {}]\n    ports:\n    - port: http\n    - port: 5432\n",
                    team(rng.below(10)),
                    team(rng.below(10))
                );
            }
            2 => {
                let _ = write!(
                    out,
                    "  podSelector: {{}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: {}\n    ports:\n    - port: http\n    - port: 5432\n",
                    team(rng.below(10))
                );
            }
            3 => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      app.kubernetes.io/instance: wl-{instance:05}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: {}\n    ports:\n    - port: http\n    - port: 5432\n",
                    team(rng.below(10))
                );
            }
            4 => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      app.kubernetes.io/instance: wl-{instance:05}\n  ingress:\n  - from:\n    - namespaceSelector: {{}}\n      podSelector:\n        matchLabels:\n          tier: {}\n    ports:\n    - port: 8080\n      endPort: 8090\n",
                    rng.pick(&TIERS)
                );
            }
            5 => out.push_str(
                "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - port: 53\n      protocol: UDP\n",
            ),
            6 => {
                let _ = write!(
                    out,
                    "  podSelector:\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [backend, db]\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          env: {}\n    ports:\n    - port: metrics\n",
                    rng.pick(&ENVS)
                );
            }
            _ => {
                let octet = rng.below(250);
                let _ = write!(
                    out,
                    "  podSelector:\n    matchLabels:\n      app.kubernetes.io/instance: wl-{instance:05}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.{octet}.0.0/16\n        except:\n        - 10.{octet}.{}.0/24\n    ports:\n    - port: 443\n",
                    rng.below(250)
                );
            }
        }
        out.push_str("---\n");
    }
}

/// How many kinds of rule [`write_distinct_policies`] draws from.
const DISTINCT_KINDS: usize = 8;

/// An Istio mesh of `services` services spread over `namespaces` sidecar-injected
/// namespaces: each service has a Deployment per version (v1, v2), a Service, a
/// DestinationRule with both subsets and mutual TLS, and a VirtualService that routes a
/// header match to v2 and splits the rest 90/10; every namespace has a STRICT
/// PeerAuthentication and an AuthorizationPolicy admitting its own namespace.
pub fn generate_mesh(namespaces: usize, services: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let namespaces = namespaces.max(1);
    let mut out = String::with_capacity(services * 2500);
    for i in 0..namespaces {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mesh-{i:03}\n  labels:\n    istio-injection: enabled\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: mesh-{i:03}\nspec:\n  mtls:\n    mode: STRICT\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: same-namespace\n  namespace: mesh-{i:03}\nspec:\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        namespaces: [mesh-{i:03}]\n---\n"
        );
    }
    for k in 0..services {
        let ns = format!("mesh-{:03}", k % namespaces);
        let svc = format!("svc-{k:04}");
        let port = if rng.chance(20) { 9000 } else { 8080 };
        for version in VERSIONS {
            let _ = write!(
                out,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {svc}-{version}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: {svc}\n      version: {version}\n  template:\n    metadata:\n      labels:\n        app: {svc}\n        version: {version}\n    spec:\n      containers:\n      - name: main\n        image: app\n        ports:\n        - name: http\n          containerPort: {port}\n---\n"
            );
        }
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  selector:\n    app: {svc}\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  host: {svc}.{ns}.svc.cluster.local\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  hosts:\n  - {svc}.{ns}.svc.cluster.local\n  http:\n  - match:\n    - headers:\n        x-canary:\n          exact: \"true\"\n    route:\n    - destination:\n        host: {svc}.{ns}.svc.cluster.local\n        subset: v2\n  - route:\n    - destination:\n        host: {svc}.{ns}.svc.cluster.local\n        subset: v1\n      weight: 90\n    - destination:\n        host: {svc}.{ns}.svc.cluster.local\n        subset: v2\n      weight: 10\n---\n"
        );
    }
    out
}

/// Splits a multi-document YAML text by kind into `namespaces.yaml`, `workloads.yaml`,
/// `policies.yaml` and `other.yaml` under `dir` (created if missing).
pub fn write_dir(yaml: &str, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut files: [(&str, String); 4] = [
        ("namespaces.yaml", String::new()),
        ("workloads.yaml", String::new()),
        ("policies.yaml", String::new()),
        ("other.yaml", String::new()),
    ];
    for doc in yaml.split("---\n").filter(|d| !d.trim().is_empty()) {
        let kind = doc.lines().find_map(|l| l.strip_prefix("kind: ")).unwrap_or_default();
        let file = match kind {
            "Namespace" => 0,
            "Deployment" | "StatefulSet" => 1,
            "NetworkPolicy" => 2,
            _ => 3,
        };
        files[file].1.push_str(doc);
        files[file].1.push_str("---\n");
    }
    for (name, text) in files.iter().filter(|(_, t)| !t.is_empty()) {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let p = Params::new(5, 40, 20);
        assert_eq!(generate(p), generate(p));
        assert_ne!(generate(p), generate(Params { seed: 7, ..p }));
        assert_eq!(generate_mesh(3, 10, 1), generate_mesh(3, 10, 1));
    }

    #[test]
    fn writes_every_document_once() {
        let yaml = generate(Params::new(5, 40, 20));
        let dir = std::env::temp_dir().join(format!("netplay-synth-test-{}", std::process::id()));
        write_dir(&yaml, &dir).unwrap();
        let mut back = String::new();
        for f in ["namespaces.yaml", "workloads.yaml", "policies.yaml"] {
            back.push_str(&std::fs::read_to_string(dir.join(f)).unwrap());
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(back.matches("---\n").count(), yaml.matches("---\n").count());
        assert_eq!(back.len(), yaml.len());
    }
}
