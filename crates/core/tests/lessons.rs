//! The built-in lessons (crates/core/lessons/), each tested both ways: its starting files
//! fail at least one check of step 1, and its reference solution — applied step by step
//! — passes every check of each step. The checks encode what the Kubernetes
//! NetworkPolicy reference and the Istio task pages say the manifests do; a lesson that
//! fails here has a wrong check, a wrong solution, or found a bug in netplay.
//!
//! Also: the lesson parser's diagnostics point at the lesson's lines.

use netplay_core::lessons::{builtin, builtin_lesson, parse, Lesson};
use netplay_core::SourceFile;

#[test]
fn there_are_at_least_fourteen_built_in_lessons_and_each_reads_without_diagnostics() {
    assert!(builtin().len() >= 14, "{} built-in lessons", builtin().len());
    let mut ids = Vec::new();
    for b in builtin() {
        let (lesson, diags) = parse(b.file, b.text);
        assert!(diags.is_empty(), "{}: {:#?}", b.file, diags);
        let lesson = lesson.unwrap_or_else(|| panic!("{} is not a lesson", b.file));
        assert!(
            !lesson.summary.is_empty() && !lesson.level.is_empty(),
            "{}: summary and level",
            b.file
        );
        assert!(!lesson.start.is_empty(), "{}: no start files", b.file);
        for (i, step) in lesson.steps.iter().enumerate() {
            assert!(!step.hints.is_empty(), "{} step {}: no hint", b.file, i + 1);
            assert!(!step.solution.is_empty(), "{} step {}: no solution", b.file, i + 1);
            assert!(
                !step.checks.assertions.is_empty(),
                "{} step {}: no checks",
                b.file,
                i + 1
            );
        }
        // The starting files and every reference solution are valid manifests.
        for i in 0..lesson.steps.len() {
            let scenario = netplay_core::load(&lesson.solution_files(i));
            let errors: Vec<String> = scenario
                .diagnostics
                .iter()
                .filter(|d| d.severity == netplay_core::Severity::Error)
                .map(|d| d.to_string())
                .collect();
            assert!(errors.is_empty(), "{} after step {}: {errors:?}", b.file, i + 1);
        }
        ids.push(lesson.id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "lesson ids are unique: {ids:?}");
}

#[test]
fn every_built_in_lesson_starts_failing_and_its_reference_solution_passes_every_step() {
    let mut failures = Vec::new();
    for b in builtin() {
        let Some(lesson) = parse(b.file, b.text).0 else {
            failures.push(format!("{}: not a lesson", b.file));
            continue;
        };
        let verification = lesson.verify();
        if !verification.ok() {
            failures.push(format!("{}:\n{}", b.file, verification.to_text()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn built_in_lessons_are_found_by_id() {
    let l = builtin_lesson("default-deny-dns").expect("default-deny-dns");
    assert_eq!(l.title, "Default deny, then let DNS through");
    assert!(builtin_lesson("no-such-lesson").is_none());
}

#[test]
fn a_learner_who_stops_after_step_one_has_not_finished_the_lesson() {
    let lesson = builtin_lesson("default-deny-dns").expect("lesson");
    let after_step_one = lesson.solution_files(0);
    assert_eq!(lesson.grade(0, &after_step_one).failed(), 0);
    let last = lesson.steps.len() - 1;
    assert!(lesson.grade(last, &after_step_one).failed() > 0);
    assert_eq!(lesson.grade(last, &lesson.solution_files(last)).failed(), 0);
}

#[test]
fn overlay_replaces_files_by_base_name_and_adds_new_ones() {
    let start = vec![SourceFile::new("a.yaml", "A"), SourceFile::new("b.yaml", "B")];
    let changes = vec![
        SourceFile::new("answers/x/b.yaml", "B2"),
        SourceFile::new("answers/x/c.yaml", "C"),
    ];
    let out = Lesson::overlay(&start, &changes);
    let names: Vec<(&str, &str)> = out.iter().map(|f| (f.name.as_str(), f.text.as_str())).collect();
    assert_eq!(
        names,
        [("a.yaml", "A"), ("answers/x/b.yaml", "B2"), ("answers/x/c.yaml", "C")]
    );
}

/// `(code, line)` of each diagnostic.
fn codes(text: &str) -> Vec<(&'static str, u32)> {
    let (_, diags) = parse("broken.md", text);
    diags.iter().map(|d| (d.code, d.line.unwrap_or(0))).collect()
}

#[test]
fn lesson_mistakes_are_reported_at_their_lines() {
    assert_eq!(codes("# no front matter\n"), [("NP6101", 1)]);
    assert_eq!(codes("---\nsummary: x\n---\n## s\n"), [("NP6101", 1)]);
    assert_eq!(codes("---\ntitle: t\n---\nonly an intro\n"), [("NP6101", 4)]);
    let text = "---\ntitle: t\ncolour: red\n---\nintro\n\n```yaml chek\na: 1\n```\n\n## Step\n\ntext\n\n```yaml solution\nx: 1\n```\n";
    assert_eq!(
        codes(text),
        [("NP6002", 3), ("NP6102", 7), ("NP6102", 15), ("NP6103", 11)]
    );
    // Assertion mistakes inside a check block: at the lesson's line of the field.
    let text = "---\ntitle: t\n---\n## Step\n\n```yaml check\n- from: a/b\n  to: c/d\n  expect: maybe\n```\n";
    assert_eq!(codes(text), [("NP6001", 9)]);
    // YAML syntax errors inside a block, at the lesson's line.
    let text = "---\ntitle: t\n---\n```yaml start file=a.yaml\nkind: [\n```\n## Step\n```yaml check\n- {from: a/b, to: c/d, expect: denied}\n```\n";
    let found = codes(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "NP0001");
    assert!((5..=6).contains(&found[0].1), "{found:?}");
}

/// Classic mistakes, each applied on top of the reference solution of the steps before:
/// the step's checks must catch every one (a check that passes them teaches nothing).
#[test]
fn the_checks_catch_the_classic_mistakes() {
    const NO_POLICY_TYPES: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: shop}\nspec:\n  podSelector: {}\n";
    const DNS_TWO_PEERS: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-dns, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n        - podSelector: {matchLabels: {k8s-app: kube-dns}}\n      ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]\n";
    const DNS_UDP_ONLY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-dns, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n          podSelector: {matchLabels: {k8s-app: kube-dns}}\n      ports: [{protocol: UDP, port: 53}]\n";
    const CIDR_WITHOUT_EXCEPT: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: settlement-egress, namespace: payments}\nspec:\n  podSelector: {matchLabels: {app: settlement}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{ipBlock: {cidr: 203.0.113.0/24}}]\n      ports: [{protocol: TCP, port: 443}]\n";
    const GOSSIP_NAME_WITHOUT_PROTOCOL: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: cache-gossip, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: cache}}\n  policyTypes: [Ingress]\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: cache}}}]\n      ports: [{port: gossip}, {port: gossip-udp}]\n";
    const ONE_RULE_FOR_BOTH: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: postgres-ingress, namespace: database}\nspec:\n  podSelector: {matchLabels: {app: postgres}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: backend}}\n          podSelector: {matchLabels: {app: api}}\n        - namespaceSelector: {matchLabels: {purpose: monitoring}}\n          podSelector: {matchLabels: {app: prometheus}}\n      ports: [{port: postgres}, {port: metrics}]\n";
    const CATCH_ALL_FIRST: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: api, namespace: shop}\nspec:\n  hosts: [api.shop.svc.cluster.local]\n  http:\n    - route: [{destination: {host: api.shop.svc.cluster.local, subset: v1}}]\n    - match: [{headers: {x-beta-tester: {exact: \"yes\"}}}]\n      route: [{destination: {host: api.shop.svc.cluster.local, subset: v2}}]\n";
    const WEIGHTS_REVERSED: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: api, namespace: shop}\nspec:\n  hosts: [api.shop.svc.cluster.local]\n  http:\n    - route:\n        - {destination: {host: api.shop.svc.cluster.local, subset: v1}, weight: 10}\n        - {destination: {host: api.shop.svc.cluster.local, subset: v2}, weight: 90}\n";
    const EXACT_PATH_ONLY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: api-readers, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  rules:\n    - from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]\n      to: [{operation: {methods: [GET], paths: [/api/products]}}]\n";
    const ALLOW_ALL_EGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-dns, namespace: app}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]\n";
    const CONTROLLER_TO_EVERY_POD: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-ingress-controller, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}\n          podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}\n      ports: [{port: http}]\n";
    const JAEGER_OPEN_TO_THE_SHOP: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-tracing, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: observability}}}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: jaeger-collector-ingress, namespace: observability}\nspec:\n  podSelector: {matchLabels: {app: jaeger}}\n  policyTypes: [Ingress]\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {istio-injection: enabled}}}]\n";
    const DENY_EVERY_NAMESPACE: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: database-closed}\nspec:\n  priority: 20\n  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: database}}}\n  ingress:\n    - {name: deny-all, action: Deny, from: [{namespaces: {}}]}\n";
    const MONITORING_PASSED_ON: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: database-closed-to-frontend}\nspec:\n  priority: 20\n  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: database}}}\n  ingress:\n    - {name: deny-frontend, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: frontend}}}]}\n---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: monitoring-always-scrapes}\nspec:\n  priority: 10\n  subject: {namespaces: {}}\n  ingress:\n    - {name: pass-monitoring, action: Pass, from: [{namespaces: {matchLabels: {purpose: monitoring}}}]}\n";
    // (lesson, 1-based step, file, text of the mistake)
    let mistakes: &[(&str, usize, &str, &str)] = &[
        ("default-deny-dns", 1, "default-deny.yaml", NO_POLICY_TYPES),
        ("default-deny-dns", 2, "allow-dns.yaml", DNS_TWO_PEERS),
        ("default-deny-dns", 2, "allow-dns.yaml", DNS_UDP_ONLY),
        ("egress-to-a-cidr", 1, "settlement-egress.yaml", CIDR_WITHOUT_EXCEPT),
        ("named-ports", 2, "cache-gossip.yaml", GOSSIP_NAME_WITHOUT_PROTOCOL),
        ("protect-the-database", 2, "database-ingress.yaml", ONE_RULE_FOR_BOTH),
        ("istio-routing-by-header", 2, "api-routes.yaml", CATCH_ALL_FIRST),
        ("traffic-shifting", 1, "api-routes.yaml", WEIGHTS_REVERSED),
        ("authorization-deny-by-default", 2, "api-readers.yaml", EXACT_PATH_ONLY),
        ("troubleshooting-dns", 2, "allow-everything.yaml", ALLOW_ALL_EGRESS),
        (
            "ingress-from-the-internet",
            1,
            "shop-ingress.yaml",
            CONTROLLER_TO_EVERY_POD,
        ),
        ("observability-access", 3, "tracing.yaml", JAEGER_OPEN_TO_THE_SHOP),
        ("admin-guardrails", 1, "admin-guardrails.yaml", DENY_EVERY_NAMESPACE),
        ("admin-guardrails", 2, "admin-guardrails.yaml", MONITORING_PASSED_ON),
    ];
    let mut missed = Vec::new();
    for &(id, step, file, text) in mistakes {
        let lesson = builtin_lesson(id).unwrap_or_else(|| panic!("no lesson {id}"));
        let before = if step == 1 {
            lesson.start.clone()
        } else {
            lesson.solution_files(step - 2)
        };
        let files = Lesson::overlay(&before, &[SourceFile::new(file, text)]);
        let report = lesson.grade(step - 1, &files);
        if report.failed() == 0 {
            missed.push(format!("{id} step {step}: {file} passes every check"));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
