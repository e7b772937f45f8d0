//! The policy rule model is ready for tiers: a tiny policy set of an Admin tier (Deny,
//! Pass, Allow, two priorities), a NetworkPolicy and a Baseline tier, built directly in
//! the model (no reader produces the admin tiers yet), evaluated by the fast engine, the
//! reference evaluator and the explanations. The expected verdicts are derived by hand from
//! the AdminNetworkPolicy and NetworkPolicy API references (written next to each case), and
//! the three evaluators must agree on every pair, port and boundary address besides.

use netplay_core::netpol::engine::Engine;
use netplay_core::netpol::explain::{explain, Target};
use netplay_core::netpol::reference::{allowed, Party};
use netplay_core::policy::{Action, Peer, PeerKind, Policy, PolicyKind, PortRef, PortSpec, Rule, Selector, Tier};
use netplay_core::{load, Cluster, Location, Protocol, SourceFile};
use std::net::IpAddr;

const WORKLOADS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {team: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: b, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b, labels: {app: db}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 5432}]}]}
"#;

fn loc(line: u32) -> Location {
    Location::new("model.yaml", line, 1)
}

fn labels(pairs: &[(&str, &str)]) -> Selector {
    Selector {
        match_labels: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        requirements: Vec::new(),
    }
}

fn pods_in(namespaces: Selector) -> Peer {
    Peer {
        kind: PeerKind::Pods {
            pods: None,
            namespaces: Some(namespaces),
        },
        loc: loc(1),
    }
}

fn tcp(port: u16) -> Option<Vec<PortSpec>> {
    Some(vec![PortSpec {
        protocol: Protocol::Tcp,
        port: PortRef::Range(port, port),
        loc: loc(1),
        l7: None,
    }])
}

fn rule(index: usize, action: Action, peers: Vec<Peer>, ports: Option<Vec<PortSpec>>) -> Rule {
    Rule {
        index,
        name: Some(format!("r{index}")),
        action,
        peers: Some(peers),
        ports,
        except_ports: Vec::new(),
        loc: loc(10 + index as u32),
    }
}

/// A cluster-wide policy of a first-match tier whose subject is every pod.
fn everyone(kind: PolicyKind, tier: Tier, priority: i32, name: &str) -> Policy {
    Policy {
        kind,
        tier,
        priority,
        namespace: String::new(),
        name: name.to_string(),
        loc: loc(1),
        namespace_selector: Some(Selector::default()),
        pod_selector: Selector::default(),
        pod_selector_loc: loc(1),
        ingress: None,
        egress: None,
        policy_types_loc: None,
        calico: None,
    }
}

fn cluster() -> Cluster {
    let scenario = load(&[SourceFile::new("workloads.yaml", WORKLOADS)]);
    assert!(scenario.diagnostics.is_empty(), "{:?}", scenario.diagnostics);
    let mut cluster = scenario.cluster;
    let team_a = labels(&[("team", "a")]);
    let any_ns = Selector::default();

    // Admin, priority 20 (evaluated after "guard"): deny TCP 8080 from every namespace.
    let mut later = everyone(PolicyKind::AdminNetworkPolicy, Tier::Admin, 20, "later");
    later.ingress = Some(vec![rule(0, Action::Deny, vec![pods_in(any_ns.clone())], tcp(8080))]);
    // Admin, priority 10: deny team a to 5432, pass TCP 80 from anyone to the
    // NetworkPolicies, allow team a to 8080; egress: deny 203.0.113.0/24.
    let mut guard = everyone(PolicyKind::AdminNetworkPolicy, Tier::Admin, 10, "guard");
    guard.ingress = Some(vec![
        rule(0, Action::Deny, vec![pods_in(team_a.clone())], tcp(5432)),
        rule(1, Action::Pass, vec![pods_in(any_ns.clone())], tcp(80)),
        rule(2, Action::Allow, vec![pods_in(team_a.clone())], tcp(8080)),
    ]);
    guard.egress = Some(vec![rule(
        0,
        Action::Deny,
        vec![Peer {
            kind: PeerKind::IpBlock {
                cidr: "203.0.113.0/24".parse().unwrap(),
                except: Vec::new(),
            },
            loc: loc(30),
        }],
        None,
    )]);
    // NetworkPolicy in b: web admits team a on TCP 80 only.
    let web = Policy {
        kind: PolicyKind::NetworkPolicy,
        tier: Tier::NetworkPolicy,
        priority: 0,
        namespace: "b".into(),
        name: "web".into(),
        namespace_selector: None,
        pod_selector: labels(&[("app", "web")]),
        ingress: Some(vec![rule(0, Action::Allow, vec![pods_in(team_a)], tcp(80))]),
        ..everyone(PolicyKind::NetworkPolicy, Tier::NetworkPolicy, 0, "web")
    };
    // Baseline: deny every pod of every namespace.
    let mut baseline = everyone(PolicyKind::BaselineAdminNetworkPolicy, Tier::Baseline, 0, "default");
    baseline.ingress = Some(vec![rule(0, Action::Deny, vec![pods_in(any_ns)], None)]);

    // Out of evaluation order on purpose: the engines order by tier and priority.
    cluster.policies = vec![baseline, web, later, guard];
    cluster
}

fn index(cluster: &Cluster, name: &str) -> usize {
    cluster
        .workloads
        .iter()
        .position(|w| w.endpoint_name() == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

/// The three evaluators' answer for one workload pair and TCP port, checked equal.
fn verdict(cluster: &Cluster, engine: &Engine, src: &str, dst: &str, port: u16) -> bool {
    let (s, d) = (index(cluster, src), index(cluster, dst));
    let fast = engine.workload_conn(s, d).contains(Protocol::Tcp, port);
    let reference = allowed(
        cluster,
        Party::Pod(&cluster.workloads[s]),
        Party::Pod(&cluster.workloads[d]),
        "TCP",
        port,
    );
    let explained = explain(
        cluster,
        Target::Workload(s),
        Target::Workload(d),
        Some((Protocol::Tcp, port)),
    );
    assert_eq!(fast, reference, "{src} -> {dst} TCP {port}: engine vs reference");
    assert_eq!(
        explained.probe_allowed,
        Some(fast),
        "{src} -> {dst} TCP {port}: explain"
    );
    fast
}

const CLIENT: &str = "a/client[Pod]";
const WEB: &str = "b/web[Pod]";
const DB: &str = "b/db[Pod]";

#[test]
fn admin_network_policy_and_baseline_decide_around_network_policy() {
    let cluster = cluster();
    let engine = Engine::new(&cluster);
    let v = |src, dst, port| verdict(&cluster, &engine, src, dst, port);
    // Admin "guard" rule 2 passes TCP 80; web's NetworkPolicy admits team a on 80.
    assert!(v(CLIENT, WEB, 80));
    // Admin "guard" rule 3 allows team a on 8080 although the NetworkPolicy isolates web,
    // and before "later" (priority 20) could deny it.
    assert!(v(CLIENT, WEB, 8080));
    // Admin "guard" rule 1 denies team a on 5432.
    assert!(!v(CLIENT, WEB, 5432));
    assert!(!v(CLIENT, DB, 5432));
    // No admin rule matches 443: web is isolated by its NetworkPolicy (80 only) ...
    assert!(!v(CLIENT, WEB, 443));
    // ... and db is selected by no NetworkPolicy, so the Baseline denies it.
    assert!(!v(CLIENT, DB, 443));
    assert!(v(CLIENT, DB, 8080));
    // From team b: 80 is passed, db has no NetworkPolicy, the Baseline denies.
    assert!(!v(WEB, DB, 80));
    // 8080 from team b: "guard" has nothing for it, "later" denies.
    assert!(!v(WEB, DB, 8080));
    assert!(!v(DB, CLIENT, 443));
}

#[test]
fn external_addresses_go_through_the_same_tiers() {
    let cluster = cluster();
    let engine = Engine::new(&cluster);
    let client = index(&cluster, CLIENT);
    let db = index(&cluster, DB);
    let web = index(&cluster, WEB);
    let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
    for (addr, expected) in [
        ("203.0.112.255", true),
        ("203.0.113.0", false),
        ("203.0.113.255", false),
        ("203.0.114.0", true),
        ("8.8.8.8", true),
    ] {
        let to = engine.conn_to_ip(client, ip(addr)).contains(Protocol::Tcp, 443);
        let reference = allowed(
            &cluster,
            Party::Pod(&cluster.workloads[client]),
            Party::Ip(ip(addr)),
            "TCP",
            443,
        );
        assert_eq!(
            (to, reference),
            (expected, expected),
            "client -> {addr}: the Admin egress deny"
        );
    }
    // The Baseline denies pods of every namespace, not addresses outside the cluster; the
    // NetworkPolicy of web admits only team a.
    for (dst, expected) in [(db, true), (web, false)] {
        let from = engine.conn_from_ip(ip("8.8.8.8"), dst).contains(Protocol::Tcp, 80);
        let reference = allowed(
            &cluster,
            Party::Ip(ip("8.8.8.8")),
            Party::Pod(&cluster.workloads[dst]),
            "TCP",
            80,
        );
        assert_eq!((from, reference), (expected, expected), "8.8.8.8 -> {dst}");
    }
    // The listed external ranges of the client say the same.
    let ranges: Vec<String> = engine
        .external_to(engine.class_of(client))
        .iter()
        .map(|(range, _)| range.to_string())
        .collect();
    assert_eq!(
        ranges,
        [
            "0.0.0.0-203.0.112.255[External]",
            "203.0.114.0-255.255.255.255[External]"
        ]
    );
}

#[test]
fn every_answer_agrees_and_an_edit_updates_like_a_rebuild() {
    let cluster = cluster();
    let engine = Engine::new(&cluster);
    let ports = [1, 79, 80, 81, 443, 5432, 8080, 65535];
    for s in 0..cluster.workloads.len() {
        for d in 0..cluster.workloads.len() {
            let conn = engine.workload_conn(s, d);
            for proto in [Protocol::Tcp, Protocol::Udp] {
                for &port in &ports {
                    let (ws, wd) = (&cluster.workloads[s], &cluster.workloads[d]);
                    let reference = allowed(&cluster, Party::Pod(ws), Party::Pod(wd), proto.as_str(), port);
                    assert_eq!(
                        conn.contains(proto, port),
                        reference,
                        "{} -> {} {proto} {port}",
                        ws.endpoint_name(),
                        wd.endpoint_name()
                    );
                }
            }
        }
    }
    // Editing the Admin policy (its Pass becomes a Deny) recomputes only what it selects;
    // the result equals a fresh engine's.
    let mut edited = cluster.clone();
    let guard = edited.policies.iter().position(|p| p.name == "guard").unwrap();
    for r in edited.policies[guard].ingress.iter_mut().flatten() {
        if r.action == Action::Pass {
            r.action = Action::Deny;
        }
    }
    let updated = Engine::new(&cluster).update_policy(&edited, guard);
    let fresh = Engine::new(&edited);
    let mut a = updated.lines();
    let mut b = fresh.lines();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(!fresh
        .workload_conn(index(&edited, CLIENT), index(&edited, WEB))
        .contains(Protocol::Tcp, 80));
}

#[test]
fn the_explanation_names_the_deciding_tier_and_rule() {
    let cluster = cluster();
    let (client, web) = (index(&cluster, CLIENT), index(&cluster, WEB));
    let denied = explain(
        &cluster,
        Target::Workload(client),
        Target::Workload(web),
        Some((Protocol::Tcp, 5432)),
    );
    let text = denied.to_text();
    assert!(
        text.contains(
            "* [Admin anp/guard priority 10, ingress rule \"r0\" line 10] Deny TCP 5432 (model.yaml:10), peer 1 at line 1 (all pods in namespaces [team=a])"
        ),
        "{text}"
    );
    assert!(text.contains("Verdict: TCP 5432 is DENIED"), "{text}");
    let passed = explain(
        &cluster,
        Target::Workload(client),
        Target::Workload(web),
        Some((Protocol::Tcp, 80)),
    );
    let text = passed.to_text();
    assert!(
        text.contains("* [Admin anp/guard priority 10, ingress rule \"r1\" line 11] Pass TCP 80"),
        "{text}"
    );
    // The walk in one line, tier by tier.
    assert!(
        text.contains("\"r1\" line 11] Pass TCP 80 → [Admin anp/guard priority 10, ingress rule \"r2\" line 12] Allow TCP 8080 → [NetworkPolicy b/web] admits TCP 80 → ingress allows TCP 80,8080"),
        "{text}"
    );
    assert!(
        text.contains("[NetworkPolicy] isolated by b/web (model.yaml:1)"),
        "{text}"
    );
    assert!(text.contains("Verdict: TCP 80 is ALLOWED"), "{text}");
    let json = serde_json::to_value(&passed).unwrap();
    assert_eq!(json["ingress"]["tiers"][1]["action"], "Pass", "{json:#}");
    assert_eq!(json["ingress"]["tiers"][2]["action"], "Allow", "{json:#}");
}

/// Two AdminNetworkPolicies of one priority: the API leaves their order undefined, and
/// netplay takes them by kind and name, so the verdict is the same whichever file or
/// document comes first.
#[test]
fn same_priority_admin_policies_do_not_depend_on_the_input_order() {
    const WORKLOADS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: prometheus, namespace: monitoring, labels: {app: prometheus}}\nspec: {containers: [{name: p, image: prom}]}\n";
    const DENY: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: b-deny-monitoring}\nspec:\n  priority: 10\n  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}\n  ingress:\n    - {name: deny, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}\n";
    const ALLOW: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a-allow-monitoring}\nspec:\n  priority: 10\n  subject: {namespaces: {}}\n  ingress:\n    - {name: allow, action: Allow, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}\n";
    let lines = |files: &[(&str, &str)]| {
        let files: Vec<SourceFile> = files.iter().map(|(name, text)| SourceFile::new(*name, *text)).collect();
        let scenario = load(&files);
        scenario.connlist().iter().map(|l| l.to_string()).collect::<Vec<_>>()
    };
    let deny_first = lines(&[
        ("workloads.yaml", WORKLOADS),
        ("deny.yaml", DENY),
        ("allow.yaml", ALLOW),
    ]);
    let allow_first = lines(&[
        ("allow.yaml", ALLOW),
        ("deny.yaml", DENY),
        ("workloads.yaml", WORKLOADS),
    ]);
    let one_file = lines(&[("all.yaml", &format!("{DENY}---\n{ALLOW}---\n{WORKLOADS}"))]);
    assert_eq!(deny_first, allow_first);
    assert_eq!(deny_first, one_file);
    // a-allow-monitoring comes first by name: its Allow decides.
    assert!(
        deny_first
            .iter()
            .any(|l| l.starts_with("monitoring/prometheus[Pod] => shop/web[Pod]")),
        "{deny_first:#?}"
    );
}
