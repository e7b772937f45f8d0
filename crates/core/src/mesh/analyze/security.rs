//! Security checks: AuthorizationPolicies that select no workload of the mesh (IST0127)
//! or name namespaces that do not exist (IST0101), PeerAuthentications whose selector
//! selects nothing (NP2005), STRICT mTLS on workloads without sidecar (NP2001) and ALLOW
//! rules on peer identities that plaintext peers can never have (NP2003).

use super::{labels_text, names_text, resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::security::peer_mode;
use crate::mesh::types::{AuthAction, AuthorizationPolicySpec, MtlsMode, PeerAuthenticationSpec};
use crate::mesh::{idx, key, labels_match, MeshObject, ROOT_NAMESPACE};
use crate::model::Workload;
use crate::parse::locate::PathSeg;

// Never inlined: see `super::check`.
#[inline(never)]
pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for ap in &ctx.cluster.mesh.authorization_policies {
        if ap.spec.target_ref.is_some() || !ap.spec.target_refs.is_empty() {
            continue; // gateways and waypoints: not modelled
        }
        no_matching_workloads(ctx, ap, out);
        unknown_namespaces(ctx, ap, out);
        identities_without_mtls(ctx, ap, out);
    }
    peer_authentication_selectors(ctx, out);
    strict_without_sidecar(ctx, out);
}

/// The workloads an AuthorizationPolicy applies to: its namespace (selector or all), or
/// for the root namespace with a selector, matching workloads of every namespace. `None`
/// for a mesh-wide policy (root namespace, no selector).
fn ap_workloads(ctx: &Ctx, ap: &MeshObject<AuthorizationPolicySpec>) -> Option<Vec<usize>> {
    let ns = &ap.meta.namespace;
    let selector = ap
        .spec
        .selector
        .as_ref()
        .map(|s| &s.match_labels)
        .filter(|m| !m.is_empty());
    if *ns == ROOT_NAMESPACE && selector.is_none() {
        return None;
    }
    Some(
        ctx.workloads()
            .filter(|(_, w)| {
                (*ns == ROOT_NAMESPACE || w.namespace == *ns) && selector.is_none_or(|s| labels_match(s, &w.labels))
            })
            .map(|(i, _)| i)
            .collect(),
    )
}

/// IST0127 (istioctl's condition): no workload in the mesh (with a proxy, in an injected
/// or ambient namespace) is selected — of the policy's namespace, or of any namespace for
/// a root-namespace policy with a selector. A root-namespace policy without selector
/// applies mesh-wide and is not checked.
fn no_matching_workloads(ctx: &Ctx, ap: &MeshObject<AuthorizationPolicySpec>, out: &mut Vec<Diagnostic>) {
    if !ctx.has_workloads {
        return;
    }
    let ns = ap.meta.namespace.as_str();
    let root = ns == ctx.root_namespace();
    let selector = ap.spec.selector.as_ref().map(|s| &s.match_labels);
    if root && selector.is_none() {
        return;
    }
    let candidates: Vec<&super::PodLike> = ctx
        .pods()
        .iter()
        .filter(|p| (root || p.namespace == ns) && selector.is_none_or(|s| labels_match(s, p.labels)))
        .collect();
    if candidates.iter().any(|p| p.in_mesh) {
        return;
    }
    let sel_text = selector.map(labels_text).unwrap_or_default();
    let scope = if root {
        "in any namespace (root-namespace policy)".to_string()
    } else {
        format!("in namespace {ns}")
    };
    let loc = match selector {
        Some(_) => ap.meta.locate(&[key("spec"), key("selector")]),
        None => ap.meta.loc.clone(),
    };
    let (message, help) = if candidates.is_empty() {
        match selector {
            Some(_) => (
                format!("No matching workloads for this resource with the following labels: {sel_text}: no workload {scope} has them, so the policy applies to nothing"),
                "use the labels of the pods to protect (their pod template labels), or move the policy to their namespace",
            ),
            None => (
                format!("No matching workloads for this resource: namespace {ns} has no workload in the input, so this namespace-wide policy applies to nothing"),
                "create the policy in the namespace of the workloads it should protect",
            ),
        }
    } else {
        let names: Vec<String> = candidates
            .iter()
            .map(|p| format!("{}/{}[{}]", p.namespace, p.name, p.kind))
            .collect();
        (
            format!(
                "No matching workloads in the mesh for this resource{}: it selects {}, which run no proxy, so nothing enforces the policy and every request reaches them",
                if sel_text.is_empty() { String::new() } else { format!(" with the following labels: {sel_text}") },
                names_text(&names)
            ),
            "inject a sidecar into these workloads (label the namespace istio-injection=enabled and restart them), or protect them with a NetworkPolicy",
        )
    };
    out.push(
        Diagnostic::new("IST0127", message)
            .at(&loc)
            .resource(resource(&ap.meta))
            .help(help),
    );
}

/// Namespaces that exist in every cluster.
const ALWAYS_THERE: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    ROOT_NAMESPACE,
];

/// istioctl's namespace match: `*`, `prefix*`, `*suffix` or the name (case-insensitive).
fn namespace_matches(pattern: &str, ns: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return ns.ends_with(suffix);
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return ns.starts_with(prefix);
    }
    pattern.eq_ignore_ascii_case(ns)
}

/// IST0101: `namespaces` / `notNamespaces` name a namespace the input does not have.
fn unknown_namespaces(ctx: &Ctx, ap: &MeshObject<AuthorizationPolicySpec>, out: &mut Vec<Diagnostic>) {
    if !ctx.cluster.namespaces.iter().any(|n| n.loc.is_some()) {
        return;
    }
    for (i, rule) in ap.spec.rules.iter().flatten().enumerate() {
        for (j, from) in rule.from.iter().enumerate() {
            let Some(src) = &from.source else { continue };
            for (field, list) in [("namespaces", &src.namespaces), ("notNamespaces", &src.not_namespaces)] {
                for (k, pattern) in list.iter().enumerate() {
                    let known = ctx
                        .cluster
                        .namespaces
                        .iter()
                        .any(|n| namespace_matches(pattern, &n.name))
                        || ALWAYS_THERE.iter().any(|n| namespace_matches(pattern, n));
                    if known {
                        continue;
                    }
                    out.push(
                        Diagnostic::new(
                            "IST0101",
                            format!(
                                "Referenced namespace not found: {pattern:?}: no namespace of the input is called that, so this source {} nothing",
                                if field == "namespaces" { "matches" } else { "excludes" }
                            ),
                        )
                        .at(&ap.meta.locate(&[
                            key("spec"),
                            key("rules"),
                            idx(i),
                            key("from"),
                            idx(j),
                            key("source"),
                            key(field),
                            idx(k),
                        ]))
                        .resource(resource(&ap.meta))
                        .help("fix the namespace name (namespaces are matched by name, with an optional * prefix or suffix)"),
                    );
                }
            }
        }
    }
}

/// NP2003: an ALLOW rule that needs a peer identity (principals, namespaces,
/// serviceAccounts, source.principal, source.namespace) where the peers arrive in
/// plaintext: the server's sidecar accepts only plaintext, or the peers it names have no
/// sidecar. Such a rule never matches those requests.
fn identities_without_mtls(ctx: &Ctx, ap: &MeshObject<AuthorizationPolicySpec>, out: &mut Vec<Diagnostic>) {
    if ap.spec.action.unwrap_or(AuthAction::Allow) != AuthAction::Allow || !ctx.has_workloads {
        return;
    }
    let selected: Vec<usize> = match ap_workloads(ctx, ap) {
        Some(s) => s,
        None => ctx.workloads().map(|(i, _)| i).collect(),
    };
    let servers: Vec<&Workload> = selected
        .iter()
        .filter(|&&i| ctx.proxy(i))
        .filter_map(|&i| ctx.cluster.workloads.get(i))
        .collect();
    if servers.is_empty() {
        return;
    }
    // Servers whose sidecar takes only plaintext on every port.
    let plaintext_servers: Vec<String> = servers
        .iter()
        .filter(|w| {
            let ports: Vec<u16> = if w.ports.is_empty() {
                vec![0]
            } else {
                w.ports.iter().map(|p| p.port).collect()
            };
            ports
                .iter()
                .all(|&p| peer_mode(ctx.cluster, w, p).mode == MtlsMode::Disable)
        })
        .map(|w| w.endpoint_name())
        .collect();
    for (i, rule) in ap.spec.rules.iter().flatten().enumerate() {
        let mut first: Option<Vec<PathSeg>> = None;
        let mut plaintext_peers: Vec<String> = Vec::new();
        for (j, from) in rule.from.iter().enumerate() {
            let Some(src) = &from.source else { continue };
            let base = |field: &str, k: usize| {
                vec![
                    key("spec"),
                    key("rules"),
                    idx(i),
                    key("from"),
                    idx(j),
                    key("source"),
                    key(field),
                    idx(k),
                ]
            };
            for (k, ns) in src.namespaces.iter().enumerate() {
                first.get_or_insert_with(|| base("namespaces", k));
                if let Some(why) = unmeshed_peers(ctx, ns, None) {
                    plaintext_peers.push(why);
                }
            }
            for (k, p) in src.principals.iter().enumerate() {
                first.get_or_insert_with(|| base("principals", k));
                let p = p.trim_start_matches("spiffe://");
                let parts: Vec<&str> = p.split('/').collect();
                if let ["cluster.local", "ns", ns, "sa", sa] = parts.as_slice() {
                    if let Some(why) = unmeshed_peers(ctx, ns, Some(sa)) {
                        plaintext_peers.push(why);
                    }
                }
            }
            for (k, sa) in src.service_accounts.iter().enumerate() {
                first.get_or_insert_with(|| base("serviceAccounts", k));
                let (ns, sa) = sa.split_once('/').unwrap_or((&ap.meta.namespace, sa));
                if let Some(why) = unmeshed_peers(ctx, ns, Some(sa)) {
                    plaintext_peers.push(why);
                }
            }
        }
        for (j, c) in rule.when.iter().enumerate() {
            if matches!(c.key.as_str(), "source.principal" | "source.namespace") && !c.values.is_empty() {
                first.get_or_insert_with(|| vec![key("spec"), key("rules"), idx(i), key("when"), idx(j)]);
            }
        }
        let Some(path) = first else { continue };
        crate::sorting::sort(&mut plaintext_peers);
        plaintext_peers.dedup();
        let mut reasons = Vec::new();
        if !plaintext_servers.is_empty() {
            reasons.push(format!(
                "{} accept(s) only plaintext (PeerAuthentication DISABLE), so no request carries a peer identity",
                names_text(&plaintext_servers)
            ));
        }
        if !plaintext_peers.is_empty() {
            reasons.push(format!(
                "the peers it names have no sidecar and send plaintext without identity: {}",
                names_text(&plaintext_peers)
            ));
        }
        if reasons.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::new(
                "NP2003",
                format!(
                    "ALLOW rule {} matches on peer identities (principals, namespaces or service accounts), which only mTLS provides, but {}: the rule never matches those requests and they are denied (403)",
                    i + 1,
                    reasons.join("; ")
                ),
            )
            .at(&ap.meta.locate(&path))
            .resource(resource(&ap.meta))
            .help("give the peers and the server sidecars with mTLS (inject the clients, PeerAuthentication PERMISSIVE or STRICT on the server), or match on something plaintext requests carry (ports, paths, ipBlocks)"),
        );
    }
}

/// Why the peers a rule names (`ns`, optionally one service account) send plaintext: the
/// input has such workloads and none of them has a sidecar. `None` when some have one, or
/// when the input has none (nothing to say).
fn unmeshed_peers(ctx: &Ctx, ns: &str, sa: Option<&str>) -> Option<String> {
    if ns.contains('*') || sa.is_some_and(|s| s.contains('*')) {
        return None;
    }
    let peers: Vec<(usize, &Workload)> = ctx
        .workloads()
        .filter(|(_, w)| w.namespace == ns && sa.is_none_or(|s| w.service_account.as_deref().unwrap_or("default") == s))
        .collect();
    if peers.is_empty() || peers.iter().any(|(i, _)| ctx.proxy(*i)) {
        return None;
    }
    let names: Vec<String> = peers.iter().map(|(_, w)| w.endpoint_name()).collect();
    Some(names_text(&names))
}

fn has_selector(pa: &PeerAuthenticationSpec) -> bool {
    pa.selector.as_ref().is_some_and(|s| !s.match_labels.is_empty())
}

/// NP2005: a PeerAuthentication whose selector selects no workload (in its namespace; the
/// root namespace's selectors also only select workloads of the root namespace).
fn peer_authentication_selectors(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if !ctx.has_workloads {
        return;
    }
    for pa in &ctx.cluster.mesh.peer_authentications {
        let Some(sel) = pa
            .spec
            .selector
            .as_ref()
            .map(|s| &s.match_labels)
            .filter(|m| !m.is_empty())
        else {
            continue;
        };
        let ns = &pa.meta.namespace;
        let any = ctx
            .cluster
            .workloads
            .iter()
            .any(|w| w.namespace == *ns && labels_match(sel, &w.labels));
        if !any {
            out.push(
                Diagnostic::new(
                    "NP2005",
                    format!(
                        "selector {{{}}} selects no workload in namespace {ns}: this PeerAuthentication applies to nothing, and the namespace-wide or mesh-wide mode stays in force",
                        labels_text(sel)
                    ),
                )
                .at(&pa.meta.locate(&[key("spec"), key("selector")]))
                .resource(resource(&pa.meta))
                .help("use the pod template labels of the workloads it is meant for (a PeerAuthentication selects workloads of its own namespace only)"),
            );
        }
    }
}

/// The PeerAuthentication that decides the mode of a workload (ignoring port-level
/// settings unless `port` is given), with the path of the deciding field and whether it is
/// the mesh-wide one.
fn deciding_pa<'c>(
    ctx: &Ctx<'c>,
    w: &Workload,
    port: Option<u16>,
) -> Option<(MtlsMode, &'c MeshObject<PeerAuthenticationSpec>, Vec<PathSeg>, bool)> {
    let pas = &ctx.cluster.mesh.peer_authentications;
    let oldest = |f: &dyn Fn(&MeshObject<PeerAuthenticationSpec>) -> bool| {
        pas.iter()
            .filter(|p| f(p))
            .min_by(|a, b| a.meta.age_key().cmp(&b.meta.age_key()))
    };
    let mesh_p = oldest(&|p| p.meta.namespace == ROOT_NAMESPACE && !has_selector(&p.spec));
    let ns_p = oldest(&|p| p.meta.namespace == w.namespace && !has_selector(&p.spec));
    let wl_p = oldest(&|p| {
        p.meta.namespace == w.namespace
            && has_selector(&p.spec)
            && p.spec
                .selector
                .as_ref()
                .is_some_and(|s| labels_match(&s.match_labels, &w.labels))
    });
    let mut found = None;
    let root = w.namespace == ROOT_NAMESPACE;
    for (p, mesh) in [(mesh_p, true), (ns_p, root), (wl_p, false)] {
        let Some(p) = p else { continue };
        if let Some(m) = p
            .spec
            .mtls
            .as_ref()
            .and_then(|m| m.mode)
            .filter(|m| *m != MtlsMode::Unset)
        {
            found = Some((m, p, vec![key("spec"), key("mtls"), key("mode")], mesh));
        }
    }
    if let (Some(p), Some(port)) = (wl_p, port) {
        let k = port.to_string();
        if let Some(m) = p
            .spec
            .port_level_mtls
            .get(&k)
            .and_then(|m| m.mode)
            .filter(|m| *m != MtlsMode::Unset)
        {
            found = Some((
                m,
                p,
                vec![key("spec"), key("portLevelMtls"), key(&k), key("mode")],
                false,
            ));
        }
    }
    found
}

/// NP2001: STRICT mTLS decided for a workload that has no sidecar: nothing enforces it.
/// Mesh-wide STRICT is reported only for workloads of namespaces where other workloads
/// have a sidecar (namespaces left out of the mesh on purpose, and the control plane in
/// the root namespace, are not a mistake). Pure clients (no declared container port, no
/// Service) are left out: they accept no connection.
fn strict_without_sidecar(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    // (PeerAuthentication, path) -> workloads
    let mut found: Vec<(&MeshObject<PeerAuthenticationSpec>, Vec<PathSeg>, Vec<String>)> = Vec::new();
    for (i, w) in ctx.workloads() {
        if ctx.proxy(i) {
            continue;
        }
        // A pure client (no declared port, behind no Service) accepts nothing anyway.
        let serves = !w.ports.is_empty()
            || ctx
                .cluster
                .services
                .iter()
                .any(|s| ctx.service_workloads(s, None).contains(&i));
        if !serves {
            continue;
        }
        let mut ports: Vec<Option<u16>> = w.ports.iter().map(|p| Some(p.port)).collect();
        ports.push(None);
        for port in ports {
            let Some((mode, pa, path, mesh)) = deciding_pa(ctx, w, port) else {
                continue;
            };
            if mode != MtlsMode::Strict {
                continue;
            }
            if mesh && (w.namespace == ROOT_NAMESPACE || !ctx.meshed_namespaces.contains(&w.namespace)) {
                continue;
            }
            let entry = match found.iter().position(|(p, fp, _)| std::ptr::eq(*p, pa) && *fp == path) {
                Some(k) => &mut found[k],
                None => {
                    found.push((pa, path.clone(), Vec::new()));
                    let last = found.len() - 1;
                    &mut found[last]
                }
            };
            if !entry.2.contains(&w.endpoint_name()) {
                entry.2.push(w.endpoint_name());
            }
        }
    }
    for (pa, path, names) in found {
        out.push(
            Diagnostic::new(
                "NP2001",
                format!(
                    "mTLS mode STRICT applies to {}, which run(s) no sidecar: nothing there enforces it, so these workloads still accept plaintext from any client",
                    names_text(&names)
                ),
            )
            .at(&pa.meta.locate(&path))
            .resource(resource(&pa.meta))
            .help("inject a sidecar into these workloads (istio-injection=enabled on the namespace, or sidecar.istio.io/inject: \"true\" on the pod template), or narrow this PeerAuthentication to workloads that have one"),
        );
    }
}
