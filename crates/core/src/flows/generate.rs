//! Least-privilege NetworkPolicies from observed flows (`netplay flows policy`,
//! docs/flows.md). For every namespace with workloads: a default deny (ingress and egress)
//! and, per workload that sent or received traffic, one policy whose rules admit exactly
//! its observed flows. The defining property, tested on random clusters
//! (crates/core/tests/flows_policy.rs): with these policies and no others, the connections
//! netplay computes between workloads are exactly the observed (source, destination,
//! protocol, port) set.
//!
//! Exactness rests on selectors that pick one workload: the smallest set of its stable
//! labels (`app.kubernetes.io/name`, `app`, … never `pod-template-hash`) that no other
//! workload of its namespace carries, plus `DoesNotExist` for a key of a workload whose
//! labels include all of them. Workloads with identical labels in one namespace cannot be
//! told apart by any NetworkPolicy; they share their rules.

use super::{plural, End, Flow, Observed};
use crate::conn::Protocol;
use crate::model::{Cluster, Labels, Workload, NAMESPACE_NAME_LABEL};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::net::IpAddr;

/// Labels that differ between pods of one workload, or between its revisions: never used
/// to select it.
const UNSTABLE_LABELS: [&str; 7] = [
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "batch.kubernetes.io/controller-uid",
    "controller-uid",
];

/// Labels that name an application: the first one a workload has is always in its
/// selector, so that a rule reads as what it selects (and keeps selecting only that
/// application when more pods come to the namespace).
const NAMING_LABELS: [&str; 4] = ["app.kubernetes.io/name", "app", "k8s-app", "name"];

/// Labels that tell versions and parts of an application apart, tried next.
const DISTINGUISHING_LABELS: [&str; 6] = [
    "version",
    "app.kubernetes.io/component",
    "component",
    "tier",
    "role",
    "app.kubernetes.io/instance",
];

/// The kind of policies [`super::generate`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyKind {
    /// Kubernetes NetworkPolicies (`networking.k8s.io/v1`).
    #[default]
    NetworkPolicy,
    /// CiliumNetworkPolicies (`cilium.io/v2`).
    Cilium,
}

impl PolicyKind {
    /// `networkpolicy`, `cnp` or `cilium` (its alias), as `flows policy --kind` takes them.
    pub fn parse(s: &str) -> Option<PolicyKind> {
        match s.to_ascii_lowercase().as_str() {
            "networkpolicy" => Some(PolicyKind::NetworkPolicy),
            "cnp" | "cilium" => Some(PolicyKind::Cilium),
            _ => None,
        }
    }
}

/// What to write, and how far the user allows external addresses to be merged.
#[derive(Clone, Copy, Debug)]
pub struct GenerateOptions {
    pub kind: PolicyKind,
    /// IPv4 addresses become blocks of this prefix length (32: each address on its own).
    pub cidr_merge_v4: u8,
    /// IPv6 addresses become blocks of this prefix length (128: each on its own).
    pub cidr_merge_v6: u8,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            kind: PolicyKind::NetworkPolicy,
            cidr_merge_v4: 32,
            cidr_merge_v6: 128,
        }
    }
}

/// One namespace's policies as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFile {
    pub namespace: String,
    /// `NAMESPACE.yaml`.
    pub file_name: String,
    pub text: String,
}

/// A pod selector that picks one workload within its namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct PodSelector {
    pub match_labels: Vec<(String, String)>,
    pub does_not_exist: Vec<String>,
}

fn is_stable(key: &str) -> bool {
    !UNSTABLE_LABELS.contains(&key)
}

/// The keys of `w`'s labels in the order they are tried: naming labels first, then the
/// other stable ones alphabetically, then the unstable ones (only when nothing else tells
/// `w` apart).
fn key_order(w: &Workload) -> Vec<&str> {
    let preferred = || NAMING_LABELS.iter().chain(&DISTINGUISHING_LABELS);
    let mut keys: Vec<&str> = preferred().copied().filter(|k| w.labels.contains_key(*k)).collect();
    keys.extend(
        w.labels
            .keys()
            .map(String::as_str)
            .filter(|k| is_stable(k) && !preferred().any(|p| p == k)),
    );
    keys.extend(w.labels.keys().map(String::as_str).filter(|k| !is_stable(k)));
    keys
}

fn pod_selector(w: &Workload, neighbours: &[&Workload]) -> PodSelector {
    // Workloads with the same labels are selected together whatever the selector.
    let mut others: Vec<&Labels> = neighbours
        .iter()
        .map(|n| &n.labels)
        .filter(|l| **l != w.labels)
        .collect();
    let mut sel = PodSelector::default();
    for (i, key) in key_order(w).into_iter().enumerate() {
        let naming = i == 0 && NAMING_LABELS.contains(&key);
        if others.is_empty() && !naming {
            break;
        }
        let value = &w.labels[key];
        let before = others.len();
        others.retain(|l| l.get(key) == Some(value));
        if others.len() < before || naming {
            sel.match_labels.push((key.to_string(), value.clone()));
        }
    }
    // What is left carries every label of `w` and more: exclude it by a key of its own,
    // the one that excludes the most.
    while !others.is_empty() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for l in &others {
            for k in l.keys().filter(|k| !w.labels.contains_key(*k)) {
                *counts.entry(k.as_str()).or_default() += 1;
            }
        }
        let Some((key, _)) = counts.iter().max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k))) else {
            break;
        };
        let key = key.to_string();
        others.retain(|l| !l.contains_key(&key));
        sel.does_not_exist.push(key);
    }
    crate::sorting::sort(&mut sel.match_labels);
    crate::sorting::sort(&mut sel.does_not_exist);
    sel
}

/// A peer of a rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Peer {
    Workload(usize),
    Block(IpNet),
    /// The cluster DNS, when the input does not hold it: by its usual labels.
    KubeDns,
}

pub(super) type Ports = BTreeSet<(Protocol, u16)>;

/// One workload's observed traffic, by peer.
#[derive(Default)]
pub(super) struct Traffic<'o> {
    pub ingress: BTreeMap<Peer, (Ports, Vec<&'o Flow>)>,
    pub egress: BTreeMap<Peer, (Ports, Vec<&'o Flow>)>,
}

fn block(ip: IpAddr, options: &GenerateOptions) -> IpNet {
    let prefix = match ip {
        IpAddr::V4(_) => options.cidr_merge_v4.min(32),
        IpAddr::V6(_) => options.cidr_merge_v6.min(128),
    };
    IpNet::new(ip, prefix).map_or_else(|_| IpNet::from(ip), |n| n.trunc())
}

/// YAML for a scalar: plain when that reads back as the same string, else double-quoted
/// (a JSON string is a valid YAML double-quoted scalar).
pub(super) fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

/// A DNS-1123 name from a workload name (`postgres{role=primary}` → `postgres-role-primary`).
fn dns_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.');
    let out: String = out.chars().take(200).collect();
    if out.is_empty() {
        "workload".to_string()
    } else {
        out
    }
}

pub(super) struct Writer<'a> {
    pub cluster: &'a Cluster,
    pub selectors: &'a [PodSelector],
    pub out: String,
}

/// How many flows a rule's comment names before it says how many more.
pub(super) const COMMENT_FLOWS: usize = 8;

impl Writer<'_> {
    pub(super) fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{:indent$}{text}", "");
    }

    /// The head of a namespace's file, the same for every policy kind: the `intro`
    /// comment lines, how many observed flows touch the namespace, and the namespace's
    /// `default-deny` object up to its `spec:`.
    pub(super) fn default_deny_head(&mut self, ns: &str, flows: usize, intro: &[&str], api_version: &str, kind: &str) {
        for text in intro {
            self.line(0, text);
        }
        self.line(
            0,
            &format!(
                "# {flows} observed {} start or end in this namespace.",
                plural(flows as u64, "flow", "flows")
            ),
        );
        self.line(0, &format!("apiVersion: {api_version}"));
        self.line(0, &format!("kind: {kind}"));
        self.line(0, "metadata:");
        self.line(2, "name: default-deny");
        self.line(2, &format!("namespace: {}", scalar(ns)));
        self.line(0, "spec:");
    }

    /// `key:` at `indent` and the selector's fields at `child` (deeper when `key` is the
    /// first key of a list item).
    fn selector(&mut self, indent: usize, key: &str, child: usize, sel: &PodSelector) {
        if sel.match_labels.is_empty() && sel.does_not_exist.is_empty() {
            self.line(indent, &format!("{key}: {{}}"));
            return;
        }
        self.line(indent, &format!("{key}:"));
        if !sel.match_labels.is_empty() {
            self.line(child, "matchLabels:");
            for (k, v) in &sel.match_labels {
                self.line(child + 2, &format!("{}: {}", scalar(k), scalar(v)));
            }
        }
        if !sel.does_not_exist.is_empty() {
            self.line(child, "matchExpressions:");
            for k in &sel.does_not_exist {
                self.line(child, &format!("- key: {}", scalar(k)));
                self.line(child + 2, "operator: DoesNotExist");
            }
        }
    }

    /// A peer as a list item at `indent`, relative to the policy's namespace.
    fn peer(&mut self, indent: usize, peer: &Peer, namespace: &str) {
        match peer {
            Peer::Block(net) => {
                self.line(indent, "- ipBlock:");
                self.line(indent + 4, &format!("cidr: {net}"));
            }
            Peer::KubeDns => {
                let (key, value) = super::KUBE_DNS_LABEL;
                self.line(indent, "- namespaceSelector:");
                self.line(indent + 4, "matchLabels:");
                self.line(
                    indent + 6,
                    &format!("{NAMESPACE_NAME_LABEL}: {}", super::KUBE_DNS_NAMESPACE),
                );
                self.line(indent + 2, "podSelector:");
                self.line(indent + 4, "matchLabels:");
                self.line(indent + 6, &format!("{key}: {value}"));
            }
            Peer::Workload(i) => {
                let w = &self.cluster.workloads[*i];
                let sel = self.selectors[*i].clone();
                if w.namespace == namespace {
                    self.selector(indent, "- podSelector", indent + 4, &sel);
                    return;
                }
                self.line(indent, "- namespaceSelector:");
                self.line(indent + 4, "matchLabels:");
                self.line(
                    indent + 6,
                    &format!("{}: {}", NAMESPACE_NAME_LABEL, scalar(&w.namespace)),
                );
                self.selector(indent + 2, "podSelector", indent + 4, &sel);
            }
        }
    }

    /// `ports:` of a rule; a port is written by name when the destination (every
    /// workload peer of the rule, for egress) names it unambiguously.
    fn ports(&mut self, indent: usize, ports: &Ports, destinations: &[usize]) {
        self.line(indent, "ports:");
        for &(protocol, port) in ports {
            let name = port_name(self.cluster, destinations, protocol, port);
            self.line(indent, &format!("- protocol: {protocol}"));
            match name {
                Some(n) => self.line(indent + 2, &format!("port: {}", scalar(&n))),
                None => self.line(indent + 2, &format!("port: {port}")),
            }
        }
    }
}

/// The name every destination gives `protocol port`, when each has exactly one container
/// port of that name, and it is that port.
fn port_name(cluster: &Cluster, destinations: &[usize], protocol: Protocol, port: u16) -> Option<String> {
    let mut name: Option<&str> = None;
    for &d in destinations {
        let w = cluster.workloads.get(d)?;
        let n = w
            .ports
            .iter()
            .find(|c| c.port == port && c.protocol == protocol)
            .and_then(|c| c.name.as_deref())?;
        if w.ports.iter().filter(|c| c.name.as_deref() == Some(n)).count() != 1 {
            return None;
        }
        match name {
            Some(prev) if prev != n => return None,
            _ => name = Some(n),
        }
    }
    name.map(str::to_string)
}

/// The rules of one direction: peers with the same ports share a rule (exact, since a
/// rule admits each of its peers on each of its ports).
pub(super) fn rules<'o>(by_peer: &BTreeMap<Peer, (Ports, Vec<&'o Flow>)>) -> Vec<(Ports, Vec<Peer>, Vec<&'o Flow>)> {
    let mut grouped: BTreeMap<&Ports, (Vec<Peer>, Vec<&Flow>)> = BTreeMap::new();
    for (peer, (ports, flows)) in by_peer {
        let g = grouped.entry(ports).or_default();
        g.0.push(peer.clone());
        g.1.extend(flows.iter().copied());
    }
    grouped
        .into_iter()
        .map(|(ports, (mut peers, flows))| {
            // Adjacent blocks with the same ports merge into their covering CIDR exactly.
            let nets: Vec<IpNet> = peers
                .iter()
                .filter_map(|p| match p {
                    Peer::Block(n) => Some(*n),
                    Peer::Workload(_) | Peer::KubeDns => None,
                })
                .collect();
            peers.retain(|p| !matches!(p, Peer::Block(_)));
            peers.extend(IpNet::aggregate(&nets).into_iter().map(Peer::Block));
            (ports.clone(), peers, flows)
        })
        .collect()
}

/// What the writers of every policy kind share: the workloads by namespace, the selector
/// that picks each, and each workload's observed traffic by peer.
pub(super) struct Plan<'a> {
    pub by_namespace: BTreeMap<&'a str, Vec<usize>>,
    pub selectors: Vec<PodSelector>,
    pub traffic: HashMap<usize, Traffic<'a>>,
}

pub(super) fn plan<'a>(cluster: &'a Cluster, observed: &'a Observed, options: &GenerateOptions) -> Plan<'a> {
    let mut by_namespace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, w) in cluster.workloads.iter().enumerate() {
        by_namespace.entry(w.namespace.as_str()).or_default().push(i);
    }
    let selectors: Vec<PodSelector> = cluster
        .workloads
        .iter()
        .map(|w| {
            let neighbours: Vec<&Workload> = by_namespace
                .get(w.namespace.as_str())
                .into_iter()
                .flatten()
                .map(|&i| &cluster.workloads[i])
                .filter(|n| !std::ptr::eq(*n, w))
                .collect();
            pod_selector(w, &neighbours)
        })
        .collect();
    let mut traffic: HashMap<usize, Traffic> = HashMap::new();
    for f in &observed.flows {
        let port = (f.protocol, f.port);
        if let End::Workload(s) = f.src {
            let peer = match f.dst {
                End::Workload(d) => Peer::Workload(d),
                End::External(ip) => Peer::Block(block(ip, options)),
                End::KubeDns => Peer::KubeDns,
            };
            let e = traffic.entry(s).or_default().egress.entry(peer).or_default();
            e.0.insert(port);
            e.1.push(f);
        }
        if let End::Workload(d) = f.dst {
            let peer = match f.src {
                End::Workload(s) => Peer::Workload(s),
                End::External(ip) => Peer::Block(block(ip, options)),
                End::KubeDns => Peer::KubeDns,
            };
            let e = traffic.entry(d).or_default().ingress.entry(peer).or_default();
            e.0.insert(port);
            e.1.push(f);
        }
    }
    Plan {
        by_namespace,
        selectors,
        traffic,
    }
}

/// How many distinct observed flows start or end at one of `members`.
pub(super) fn flows_touching(members: &[usize], traffic: &HashMap<usize, Traffic>) -> usize {
    let mut touching: BTreeSet<*const Flow> = BTreeSet::new();
    for t in members.iter().filter_map(|m| traffic.get(m)) {
        for (_, flows) in t.ingress.values().chain(t.egress.values()) {
            touching.extend(flows.iter().map(|f| *f as *const Flow));
        }
    }
    touching.len()
}

/// The members with traffic and their policies' names (`allow-NAME`, unique in the
/// namespace and never `default-deny`).
pub(super) fn policy_names(
    cluster: &Cluster,
    members: &[usize],
    traffic: &HashMap<usize, Traffic>,
) -> Vec<(usize, String)> {
    let mut used_names: BTreeSet<String> = BTreeSet::from(["default-deny".to_string()]);
    let mut out = Vec::new();
    for &m in members.iter().filter(|m| traffic.contains_key(m)) {
        let workload = &cluster.workloads[m];
        let mut name = format!("allow-{}", dns_name(&workload.name));
        if used_names.contains(&name) {
            name = format!("{name}-{}", dns_name(&workload.kind));
        }
        let base = name.clone();
        let mut n = 2;
        while used_names.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        used_names.insert(name.clone());
        out.push((m, name));
    }
    out
}

/// Writes one namespace's policies: its members' traffic into `w`, in one policy kind.
pub(super) type NamespaceWriter = fn(&mut Writer, &str, &[usize], &HashMap<usize, Traffic>);

/// The policies for the observed flows, one file per namespace with workloads, sorted,
/// each written by `write_namespace` (NetworkPolicies: [`namespace_file`]).
pub(super) fn policy_files(
    cluster: &Cluster,
    observed: &Observed,
    options: &GenerateOptions,
    write_namespace: NamespaceWriter,
) -> Vec<PolicyFile> {
    let plan = plan(cluster, observed, options);
    plan.by_namespace
        .iter()
        .map(|(ns, members)| {
            let mut w = Writer {
                cluster,
                selectors: &plan.selectors,
                out: String::new(),
            };
            write_namespace(&mut w, ns, members, &plan.traffic);
            PolicyFile {
                namespace: ns.to_string(),
                file_name: format!("{ns}.yaml"),
                text: w.out,
            }
        })
        .collect()
}

/// One namespace's NetworkPolicies.
pub(super) fn namespace_file(w: &mut Writer, ns: &str, members: &[usize], traffic: &HashMap<usize, Traffic>) {
    let flows = flows_touching(members, traffic);
    w.default_deny_head(
        ns,
        flows,
        &[
            &format!("# NetworkPolicies for namespace {ns}, written by `netplay flows policy`."),
            "# default-deny isolates every pod of the namespace for ingress and egress; each allow-*",
            "# policy admits exactly the observed flows its comments name, and nothing else.",
        ],
        "networking.k8s.io/v1",
        "NetworkPolicy",
    );
    w.line(2, "podSelector: {}");
    w.line(2, "policyTypes:");
    w.line(2, "- Ingress");
    w.line(2, "- Egress");
    for (m, name) in policy_names(w.cluster, members, traffic) {
        if let Some(t) = traffic.get(&m) {
            workload_policy(w, ns, m, &name, t);
        }
    }
}

fn workload_policy(w: &mut Writer, ns: &str, m: usize, name: &str, t: &Traffic) {
    let workload = &w.cluster.workloads[m];
    let endpoint = workload.endpoint_name();
    let ingress = rules(&t.ingress);
    let egress = rules(&t.egress);
    w.line(0, "---");
    let flows_in: usize = t.ingress.values().map(|(_, f)| f.len()).sum();
    let flows_out: usize = t.egress.values().map(|(_, f)| f.len()).sum();
    w.line(
        0,
        &format!("# {endpoint}: {flows_in} observed flows in, {flows_out} out."),
    );
    w.line(0, "apiVersion: networking.k8s.io/v1");
    w.line(0, "kind: NetworkPolicy");
    w.line(0, "metadata:");
    w.line(2, &format!("name: {}", scalar(name)));
    w.line(2, &format!("namespace: {}", scalar(ns)));
    w.line(0, "spec:");
    let sel = w.selectors[m].clone();
    w.selector(2, "podSelector", 4, &sel);
    // default-deny isolates both directions; this policy names only those it allows in.
    w.line(2, "policyTypes:");
    if !ingress.is_empty() {
        w.line(2, "- Ingress");
    }
    if !egress.is_empty() {
        w.line(2, "- Egress");
    }
    for (key, peer_key, rules) in [("ingress", "from", &ingress), ("egress", "to", &egress)] {
        if rules.is_empty() {
            continue;
        }
        w.line(2, &format!("{key}:"));
        for (ports, peers, flows) in rules {
            let mut texts: Vec<String> = flows.iter().map(|f| f.text(w.cluster)).collect();
            crate::sorting::sort(&mut texts);
            for text in texts.iter().take(COMMENT_FLOWS) {
                w.line(2, &format!("# {text}"));
            }
            if texts.len() > COMMENT_FLOWS {
                w.line(2, &format!("# … and {} more flows", texts.len() - COMMENT_FLOWS));
            }
            w.line(2, &format!("- {peer_key}:"));
            for peer in peers {
                w.peer(4, peer, ns);
            }
            // Named ports resolve at the destination: this workload for ingress, each
            // workload peer for egress.
            let destinations: Vec<usize> = if key == "ingress" {
                vec![m]
            } else if peers.iter().all(|p| matches!(p, Peer::Workload(_))) {
                peers
                    .iter()
                    .filter_map(|p| match p {
                        Peer::Workload(d) => Some(*d),
                        Peer::Block(_) | Peer::KubeDns => None,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            w.ports(4, ports, &destinations);
        }
    }
}
