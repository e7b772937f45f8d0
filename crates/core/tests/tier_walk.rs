//! What the explanation shows of the tier walk when an Admin rule already decided.
//!
//! The Network Policy API (AdminNetworkPolicy rule actions): "Allow: indicates that the
//! specified traffic is allowed ... it will not be further evaluated by lower-precedence
//! policies"; "Deny: ... denied"; "Pass: indicates that ... the traffic is passed on to
//! the NetworkPolicy and then the BaselineAdminNetworkPolicy tiers". A connection an
//! Admin Allow or Deny took is therefore final: the NetworkPolicy that isolates the pod is
//! never consulted for it, so the walk must not show that NetworkPolicy as refusing it,
//! and the side must not be summed up as refusing everything.

use netplay_core::netpol::explain::SideExplanation;
use netplay_core::netpol::trace::NetworkPolicyPart;
use netplay_core::present::{side_allows_nothing, side_summary};
use netplay_core::{load, Protocol, Scenario, SourceFile};

const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: prometheus, namespace: monitoring, labels: {app: prometheus}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
---
# Every pod of shop is isolated for ingress and egress, with no rule admitting anything.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"#;

/// The cluster with `admin` (AdminNetworkPolicy documents) added.
fn scenario(admin: &str) -> Scenario {
    load(&[
        SourceFile::new("cluster.yaml", CLUSTER),
        SourceFile::new("admin.yaml", admin),
    ])
}

fn sides(s: &Scenario, src: &str, dst: &str) -> (SideExplanation, SideExplanation) {
    let (Ok(src), Ok(dst)) = (s.target(src), s.target(dst)) else {
        panic!("{src} or {dst} is not in the input");
    };
    let e = s.explain(src, dst, None);
    (e.egress, e.ingress)
}

fn trace(side: &SideExplanation) -> String {
    side.trace().iter().map(|s| s.text()).collect::<Vec<_>>().join(" → ")
}

const PROMETHEUS: &str = "monitoring/prometheus[Pod]";
const WEB: &str = "shop/web[Pod]";

#[test]
fn an_admin_allow_of_everything_is_final_and_the_isolating_networkpolicy_is_not_reached() {
    let s = scenario(
        r#"
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: allow-monitoring}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - name: from-monitoring
    action: Allow
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
  egress:
  - name: to-monitoring
    action: Allow
    to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
"#,
    );
    // web's ingress from prometheus: the Admin Allow took every connection.
    let (_, ingress) = sides(&s, PROMETHEUS, WEB);
    assert!(ingress.allowed.is_all(), "{ingress:#?}");
    assert!(
        !side_allows_nothing(&ingress),
        "an Admin Allow of everything is no refusal"
    );
    let walk = trace(&ingress);
    assert!(!walk.contains("no rule admits"), "{walk}");
    assert!(
        walk.contains("[NetworkPolicy shop/default-deny] not reached: the tiers before it decided everything"),
        "{walk}"
    );
    assert_eq!(ingress.deciding_tiers(), ["Admin"], "{walk}");
    // The reason is the Admin rule (admin.yaml line 9, `- name: from-monitoring`), not the
    // isolation by shop/default-deny, which nothing reached.
    assert!(matches!(ingress.networkpolicy_part(), NetworkPolicyPart::NotReached(_)));
    let deciders = ingress.decided_before_networkpolicy();
    assert_eq!(deciders.len(), 1, "{deciders:#?}");
    assert_eq!(deciders[0].tier.as_deref(), Some("Admin"));
    assert_eq!(
        deciders[0].text(),
        r#"[Admin anp/allow-monitoring priority 10, ingress rule "from-monitoring" line 9] Allow All Connections"#
    );
    assert_eq!(
        deciders[0].loc.as_ref().map(|l| (l.file.as_str(), l.line)),
        Some(("admin.yaml", 9))
    );
    let summary = side_summary(&ingress);
    assert_eq!(
        summary,
        "shop/web[Pod]'s ingress is decided before the NetworkPolicy tier, by [Admin anp/allow-monitoring priority 10, \
         ingress rule \"from-monitoring\" line 9] Allow All Connections; it allows All Connections. The NetworkPolicies \
         that select it (shop/default-deny) are not consulted."
    );
    // The CLI's text says the same: the NetworkPolicy is not reached, so not listed as
    // isolating the side.
    let (Ok(src), Ok(dst)) = (s.target(PROMETHEUS), s.target(WEB)) else {
        panic!("the pods are in the input");
    };
    let text = s.explain(src, dst, None).to_text();
    let ingress_text = text.split("Ingress to").nth(1).unwrap_or_default();
    assert!(!ingress_text.contains("isolated by"), "{text}");
    assert!(
        ingress_text.contains("[NetworkPolicy] not reached: the tiers before it decided everything"),
        "{text}"
    );

    // web's egress to prometheus: the same on the other side.
    let (egress, _) = sides(&s, WEB, PROMETHEUS);
    assert!(egress.allowed.is_all(), "{egress:#?}");
    assert!(
        !side_allows_nothing(&egress),
        "an Admin Allow of everything is no refusal"
    );
    assert!(!trace(&egress).contains("no rule admits"), "{}", trace(&egress));
    assert_eq!(egress.deciding_tiers(), ["Admin"]);
}

#[test]
fn what_an_admin_deny_did_not_take_reaches_the_networkpolicy_and_only_that_is_shown_refused() {
    let s = scenario(
        r#"
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-ssh}
spec:
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - name: ssh
    action: Deny
    from: [{namespaces: {}}]
    ports: [{portNumber: {protocol: TCP, port: 22}}]
"#,
    );
    let (_, ingress) = sides(&s, PROMETHEUS, WEB);
    assert!(ingress.allowed.is_empty(), "{ingress:#?}");
    assert!(side_allows_nothing(&ingress));
    let walk = trace(&ingress);
    // The Deny took TCP 22; the NetworkPolicy refuses the rest, which is what reached it.
    assert!(
        walk.contains("Deny TCP 22 → [NetworkPolicy shop/default-deny] no rule admits "),
        "{walk}"
    );
    let after = walk.split("no rule admits ").nth(1).unwrap_or_default();
    assert!(
        after.starts_with("SCTP 1-65535,TCP 1-21,23-65535,UDP 1-65535"),
        "{walk}"
    );
    assert_eq!(ingress.deciding_tiers(), ["Admin", "NetworkPolicy"]);
    // The isolation decides the rest, so it is part of the reason.
    assert!(matches!(
        ingress.networkpolicy_part(),
        NetworkPolicyPart::Consulted { .. }
    ));
    assert!(ingress.decided_before_networkpolicy().is_empty());
    assert_eq!(
        ingress.refusal(Protocol::Tcp, 22).map(|r| r.to_string()).as_deref(),
        Some("[Admin anp/no-ssh priority 5, ingress rule \"ssh\" line 9] Deny")
    );
}

#[test]
fn a_pass_goes_on_to_the_networkpolicy_which_then_decides_everything() {
    let s = scenario(
        r#"
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: delegate}
spec:
  priority: 20
  subject: {namespaces: {}}
  ingress:
  - name: to-namespaces
    action: Pass
    from: [{namespaces: {}}]
"#,
    );
    let (_, ingress) = sides(&s, PROMETHEUS, WEB);
    assert!(ingress.allowed.is_empty());
    assert!(side_allows_nothing(&ingress));
    let walk = trace(&ingress);
    assert!(
        walk.contains(
            "Pass All Connections → [NetworkPolicy shop/default-deny] no rule admits → ingress allows No Connections"
        ),
        "{walk}"
    );
    assert_eq!(ingress.deciding_tiers(), ["Admin", "NetworkPolicy"]);
    // A Pass decides nothing itself: the NetworkPolicy isolation is the reason.
    assert!(matches!(
        ingress.networkpolicy_part(),
        NetworkPolicyPart::Consulted { .. }
    ));
    assert!(ingress.decided_before_networkpolicy().is_empty());
    assert!(
        side_summary(&ingress).contains("tier by tier"),
        "{}",
        side_summary(&ingress)
    );
}

/// The API: "If two (or more) policies with the same priority could both match a
/// connection, then the implementation can apply any of the matching policies to the
/// connection, and there is no way for the user to reliably determine which one it will
/// choose." The explanation names both: the rule that decided (netplay takes the policies
/// of one priority by kind, namespace and name, so `allow-monitoring` first) says which
/// other policy of its priority also matches the pair.
#[test]
fn two_admin_policies_of_one_priority_that_match_the_pair_are_both_named() {
    let s = scenario(
        r#"
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: allow-monitoring}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - name: from-monitoring
    action: Allow
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-all}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - name: from-everyone
    action: Deny
    from: [{namespaces: {}}]
"#,
    );
    let (_, ingress) = sides(&s, PROMETHEUS, WEB);
    assert!(ingress.allowed.is_all(), "{ingress:#?}");
    assert_eq!(ingress.tiers.len(), 1, "{ingress:#?}");
    assert_eq!(ingress.tiers[0].same_priority_as, ["anp/deny-all"]);
    let walk = trace(&ingress);
    assert!(
        walk.starts_with(
            r#"[Admin anp/allow-monitoring priority 10 (as anp/deny-all: order undefined), ingress rule "from-monitoring" line 9] Allow All Connections"#
        ),
        "{walk}"
    );
}
