//! NetworkPolicy checks for the mistakes people make (NP1xxx).

use crate::conn::Protocol;
use crate::diagnostics::Diagnostic;
use crate::model::{kube_dns_stand_in, Cluster, Labels, Workload, KUBE_DNS_LABEL, NAMESPACE_NAME_LABEL};
use crate::netpol::explain::{explain_one_side, End, Refusal, SideExplanation};
use crate::policy::{Action, Direction, PeerKind, Policy, PolicyKind, PortRef, Rule, Tier};
use std::collections::BTreeMap;

/// Runs every check on a cluster.
pub fn check(cluster: &Cluster) -> Vec<Diagnostic> {
    check_by_namespace(cluster, None).into_values().flatten().collect()
}

/// The findings of [`check`] by namespace (of the policy or workload they are about), for
/// every namespace or only `only`. A namespace's findings depend on its own policies and
/// on the workloads and namespaces of the cluster, never on another namespace's policies:
/// after one NetworkPolicy changes, only its namespace is checked again
/// (`crate::incremental`).
pub fn check_by_namespace(cluster: &Cluster, only: Option<&str>) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut by_namespace: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    let wanted = |ns: &str| only.is_none_or(|o| o == ns);
    let has_workloads = !cluster.workloads.is_empty();
    let has_namespace_objects = cluster.namespaces.iter().any(|n| n.loc.is_some());
    // The admin kinds have checks of their own (crate::admin::checks).
    for policy in cluster
        .policies
        .iter()
        .filter(|p| p.kind == PolicyKind::NetworkPolicy && wanted(&p.namespace))
    {
        let out = by_namespace.entry(policy.namespace.clone()).or_default();
        let resource = format!("NetworkPolicy {}", policy.id());
        let selected: Vec<&Workload> = selected_pods(cluster, policy).collect();
        if has_workloads && selected.is_empty() {
            out.push(
                Diagnostic::new(
                    "NP1001",
                    format!(
                        "policy {} selects no pod: no workload in namespace {} matches podSelector {}",
                        policy.id(),
                        policy.namespace,
                        policy.pod_selector
                    ),
                )
                .at(&policy.pod_selector_loc)
                .resource(&resource),
            );
        }
        if let (Some(loc), Some(rules)) = (&policy.policy_types_loc, &policy.egress) {
            if rules.is_empty() {
                out.push(
                    Diagnostic::new(
                        "NP1006",
                        format!("policyTypes includes Egress but the policy has no egress rules: by itself it denies all egress of the {} workload(s) it selects; only other policies can allow some", selected.len()),
                    )
                    .at(loc)
                    .resource(&resource)
                    .help("if that is not intended, add egress rules (at least DNS) or remove Egress from policyTypes"),
                );
            }
        }
        for dir in [Direction::Ingress, Direction::Egress] {
            for rule in policy.rules(dir).unwrap_or(&[]) {
                check_rule(
                    cluster,
                    policy,
                    dir,
                    rule,
                    &selected,
                    has_workloads,
                    has_namespace_objects,
                    &resource,
                    out,
                );
            }
        }
        if !selected.is_empty() && is_shadowed(cluster, policy, &selected) {
            out.push(
                Diagnostic::new(
                    "NP1005",
                    format!(
                        "policy {} adds nothing: another policy already allows all traffic for every pod it selects",
                        policy.id()
                    ),
                )
                .at(&policy.loc)
                .resource(&resource),
            );
        }
    }
    // Computed once: every workload is checked against them.
    let dns_pods = dns_pods(cluster);
    for w in cluster.workloads.iter().filter(|w| wanted(&w.namespace)) {
        if let Some(d) = dns_refused(cluster, w, &dns_pods) {
            by_namespace.entry(w.namespace.clone()).or_default().push(d);
        }
    }
    by_namespace
}

fn selected_pods<'c>(cluster: &'c Cluster, policy: &'c Policy) -> impl Iterator<Item = &'c Workload> {
    cluster
        .workloads
        .iter()
        .filter(move |w| !w.host_network && w.namespace == policy.namespace && policy.pod_selector.matches(&w.labels))
}

/// Pods a peer list can reach; `None` peers = every pod.
fn peer_pods<'c>(cluster: &'c Cluster, policy: &Policy, rule: &Rule) -> Vec<&'c Workload> {
    cluster
        .workloads
        .iter()
        // Host-network pods are nodes to policies: selectors never reach them.
        .filter(|w| !w.host_network)
        .filter(|w| match &rule.peers {
            None => true,
            Some(peers) => peers.iter().any(|p| match &p.kind {
                PeerKind::Pods { pods, namespaces } => {
                    let ns_ok = match namespaces {
                        None => w.namespace == policy.namespace,
                        Some(sel) => sel.matches(cluster.namespace_labels(&w.namespace)),
                    };
                    ns_ok && pods.as_ref().is_none_or(|s| s.matches(&w.labels))
                }
                PeerKind::Calico(_) => {
                    p.kind
                        .matches_workload(&policy.namespace, w, cluster.namespace_labels(&w.namespace))
                }
                PeerKind::IpBlock { .. } | PeerKind::Nodes { .. } | PeerKind::Unresolved { .. } | PeerKind::Fqdn(_) => {
                    false
                }
            }),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn check_rule(
    cluster: &Cluster,
    policy: &Policy,
    dir: Direction,
    rule: &Rule,
    selected: &[&Workload],
    has_workloads: bool,
    has_namespace_objects: bool,
    resource: &str,
    out: &mut Vec<Diagnostic>,
) {
    check_peers(
        cluster,
        policy,
        rule,
        (has_workloads, has_namespace_objects),
        resource,
        out,
    );
    check_named_ports(cluster, policy, dir, rule, selected, resource, out);
}

/// Pod peers that admit nothing: a namespaceSelector matching no namespace (NP1002) or a
/// podSelector matching no pod of the namespaces it covers (NP1008). Only said when the
/// input holds namespaces, respectively workloads, to compare with.
fn check_peers(
    cluster: &Cluster,
    policy: &Policy,
    rule: &Rule,
    (has_workloads, has_namespace_objects): (bool, bool),
    resource: &str,
    out: &mut Vec<Diagnostic>,
) {
    for peer in rule.peers.iter().flatten() {
        let PeerKind::Pods { pods, namespaces } = &peer.kind else {
            continue;
        };
        let ns_matches: Vec<&str> = match namespaces {
            None => vec![policy.namespace.as_str()],
            Some(sel) => {
                let mut m: Vec<&str> = cluster
                    .namespaces
                    .iter()
                    .filter(|n| sel.matches(&n.labels))
                    .map(|n| n.name.as_str())
                    .collect();
                // kube-system exists in every cluster even when the input leaves it out
                // (DNS egress rules select it).
                if m.is_empty() && cluster.namespace("kube-system").is_none() && sel.matches(&kube_system_labels()) {
                    m.push("kube-system");
                }
                m
            }
        };
        if let Some(sel) = namespaces {
            if has_namespace_objects && ns_matches.is_empty() {
                out.push(
                    Diagnostic::new(
                        "NP1002",
                        format!("namespaceSelector {sel} matches no namespace of the input: this peer admits nothing"),
                    )
                    .at(&peer.loc)
                    .resource(resource)
                    .help(format!(
                        "every namespace has the label {NAMESPACE_NAME_LABEL}=<name>; select by it to name a namespace"
                    )),
                );
                continue;
            }
        }
        if let Some(sel) = pods {
            let any = cluster
                .workloads
                .iter()
                .any(|w| ns_matches.contains(&w.namespace.as_str()) && sel.matches(&w.labels));
            if has_workloads && !ns_matches.is_empty() && !any {
                out.push(
                    Diagnostic::new(
                        "NP1008",
                        format!("podSelector {sel} in this peer matches no pod of the input"),
                    )
                    .at(&peer.loc)
                    .resource(resource),
                );
            }
        }
    }
}

/// Named ports that resolve on none of the pods a rule reaches, or that an egress rule
/// to addresses only names (NP1003).
fn check_named_ports(
    cluster: &Cluster,
    policy: &Policy,
    dir: Direction,
    rule: &Rule,
    selected: &[&Workload],
    resource: &str,
    out: &mut Vec<Diagnostic>,
) {
    // Named ports resolve on the destination: the selected pods for ingress, the peers
    // for egress.
    let destinations: Vec<&Workload> = match dir {
        Direction::Ingress => selected.to_vec(),
        Direction::Egress => peer_pods(cluster, policy, rule),
    };
    let only_addresses = dir == Direction::Egress
        && rule
            .peers
            .as_ref()
            .is_some_and(|peers| peers.iter().all(|p| matches!(p.kind, PeerKind::IpBlock { .. })));
    if only_addresses {
        for port in rule.ports.iter().flatten() {
            if let PortRef::Named(name) = &port.port {
                out.push(
                    Diagnostic::new(
                        "NP1003",
                        format!("named port {name:?} in an egress rule to ipBlocks only: a name resolves on pods, never on an address outside the cluster, so it allows nothing"),
                    )
                    .at(&port.loc)
                    .resource(resource)
                    .help("write the port number"),
                );
            }
        }
        return;
    }
    if destinations.is_empty() {
        return;
    }
    for port in rule.ports.iter().flatten() {
        let PortRef::Named(name) = &port.port else { continue };
        let resolves = destinations.iter().any(|w| {
            w.ports
                .iter()
                .any(|cp| cp.name.as_deref() == Some(name.as_str()) && cp.protocol == port.protocol)
        });
        if !resolves {
            let other_protocol = destinations
                .iter()
                .flat_map(|w| &w.ports)
                .find(|cp| cp.name.as_deref() == Some(name.as_str()))
                .map(|cp| cp.protocol);
            let mut d = Diagnostic::new(
                "NP1003",
                format!(
                    "named port {name:?} ({}) resolves on none of the {} pod(s) this {} rule reaches: it allows nothing",
                    port.protocol,
                    destinations.len(),
                    dir.as_str()
                ),
            )
            .at(&port.loc)
            .resource(resource);
            if let Some(p) = other_protocol {
                d = d.help(format!(
                    "the container port {name:?} is {p}; set `protocol: {p}` on this port"
                ));
            }
            out.push(d);
        }
    }
}

/// Whether some other policy selecting every pod `policy` selects allows all traffic in
/// each direction `policy` affects.
fn is_shadowed(cluster: &Cluster, policy: &Policy, selected: &[&Workload]) -> bool {
    let index_of = |p: &Policy| cluster.policies.iter().position(|q| std::ptr::eq(q, p));
    let allows_all = |p: &Policy, dir: Direction| {
        p.rules(dir)
            .is_some_and(|rules| rules.iter().any(|r| r.peers.is_none() && r.ports.is_none()))
    };
    let covered = |dir: Direction| {
        cluster.policies.iter().any(|other| {
            // Two allow-all policies cover each other; only the later one is redundant.
            let mutual = allows_all(policy, dir) && index_of(other) > index_of(policy);
            !std::ptr::eq(other, policy)
                && !mutual
                && other.namespace == policy.namespace
                && other
                    .rules(dir)
                    .is_some_and(|rules| rules.iter().any(|r| r.peers.is_none() && r.ports.is_none()))
                && selected.iter().all(|w| other.pod_selector.matches(&w.labels))
        })
    };
    let dirs: Vec<Direction> = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .filter(|&d| policy.rules(d).is_some())
        .collect();
    // A policy that only isolates (no rules) is not "shadowed": its rules add nothing,
    // but the allow-all elsewhere is usually the mistake; report only policies with rules.
    let has_rules = dirs.iter().any(|&d| policy.rules(d).is_some_and(|r| !r.is_empty()));
    has_rules && dirs.into_iter().all(covered)
}

fn kube_system_labels() -> Labels {
    Labels::from([(NAMESPACE_NAME_LABEL.to_string(), "kube-system".to_string())])
}

/// The DNS pods egress must reach: the kube-dns workloads of the input, or a stand-in
/// where a cluster has kube-dns when the input has none.
fn dns_pods(cluster: &Cluster) -> Vec<Workload> {
    let in_input: Vec<Workload> = cluster
        .workloads
        .iter()
        .filter(|d| d.labels.get(KUBE_DNS_LABEL.0).is_some_and(|v| v == KUBE_DNS_LABEL.1))
        .cloned()
        .collect();
    if !in_input.is_empty() {
        return in_input;
    }
    vec![kube_dns_stand_in("Deployment")]
}

/// NP1004: the workload's egress, walked through every tier, admits UDP 53 to no DNS pod.
/// A NetworkPolicy rule towards an address outside the cluster (an ipBlock: the DNS
/// service address is commonly allowed that way) or a peer netplay cannot decide counts as
/// reaching DNS; an explicit Deny of a first-match tier does not.
fn dns_refused(cluster: &Cluster, w: &Workload, dns_pods: &[Workload]) -> Option<Diagnostic> {
    let probe = (Protocol::Udp, 53);
    let sides: Vec<SideExplanation> = dns_pods
        .iter()
        .map(|d| {
            explain_one_side(
                cluster,
                Direction::Egress,
                w,
                End::Workload(d),
                End::Workload(d),
                Some(probe),
            )
        })
        .collect();
    if sides.iter().any(|s| s.allowed.contains(probe.0, probe.1)) {
        return None;
    }
    let refusal = sides.first()?.refusal(probe.0, probe.1)?;
    let resource = format!("{} {}/{}", w.kind, w.namespace, w.name);
    let help = "add an egress rule to namespace kube-system, pods k8s-app=kube-dns, ports UDP 53 and TCP 53";
    match refusal {
        Refusal::Isolation([]) => None,
        Refusal::Isolation(_) | Refusal::TierEnd(_) if dns_by_address(cluster, w, dns_pods) => None,
        Refusal::Isolation(_) | Refusal::TierEnd(_) => Some(
            Diagnostic::new(
                "NP1004",
                format!("{} is egress-isolated and no egress rule allows DNS (UDP 53 to kube-dns): name lookups will time out", w.endpoint_name()),
            )
            .at(&w.loc)
            .resource(resource)
            .help(help),
        ),
        Refusal::Rule(_) => Some(
            Diagnostic::new(
                "NP1004",
                format!(
                    "{} cannot reach DNS (UDP 53 to kube-dns): {refusal} takes it; name lookups will time out",
                    w.endpoint_name()
                ),
            )
            .at(&w.loc)
            .resource(resource)
            .help("allow UDP 53 to kube-dns in an earlier rule of that tier (or Pass it to the NetworkPolicies)"),
        ),
    }
}

/// Whether an egress rule of the workload's NetworkPolicies admits UDP 53 towards an
/// address outside the cluster, a node or a peer netplay cannot decide.
fn dns_by_address(cluster: &Cluster, w: &Workload, dns_pods: &[Workload]) -> bool {
    let ns_labels = cluster.namespace_labels(&w.namespace);
    cluster
        .policies
        .iter()
        // NetworkPolicies, wherever they stand (Calico's default tier when the input has
        // Calico objects), and Calico's own policies; the admin tiers have no such peers.
        .filter(|p| !matches!(p.tier, Tier::Admin | Tier::Baseline) && p.selects_workload(w, ns_labels))
        .flat_map(|p| p.egress.iter().flatten())
        .filter(|rule| rule.action == Action::Allow)
        .any(|rule| {
            rule.peers.iter().flatten().any(|peer| {
                match &peer.kind {
                    PeerKind::IpBlock { .. }
                    | PeerKind::Nodes { .. }
                    | PeerKind::Unresolved { .. }
                    | PeerKind::Fqdn(_) => true,
                    // A Calico rule to `nets` alone (the DNS service address).
                    PeerKind::Calico(m) => m.nets.is_some() && m.selector.is_none(),
                    PeerKind::Pods { .. } => false,
                }
            }) && dns_pods
                .iter()
                .any(|d| rule.conn_for(Some(&d.ports)).contains(Protocol::Udp, 53))
        })
}
