//! PeerAuthentication (what a server sidecar accepts) and AuthorizationPolicy (who may do
//! what), evaluated for one server workload.

use super::types::{AuthAction, AuthRule, AuthSource, MtlsMode, Operation, PeerAuthenticationSpec};
use super::{idx, key, MeshObject, ROOT_NAMESPACE};
use crate::diagnostics::Location;
use crate::model::{Cluster, Workload};

// ------------------------------------------------------------------ PeerAuthentication

/// The mTLS mode a server sidecar enforces on one port, and where it comes from.
#[derive(Clone, Debug)]
pub(crate) struct PeerMode {
    pub mode: MtlsMode,
    pub explain: String,
    pub loc: Option<Location>,
}

fn oldest<'a, S>(items: impl Iterator<Item = &'a MeshObject<S>>) -> Option<&'a MeshObject<S>>
where
    S: 'a,
{
    items.min_by(|a, b| a.meta.age_key().cmp(&b.meta.age_key()))
}

fn selects(pa: &PeerAuthenticationSpec, w: &Workload) -> bool {
    match &pa.selector {
        Some(s) => super::labels_match(&s.match_labels, &w.labels),
        None => true,
    }
}

fn has_selector(pa: &PeerAuthenticationSpec) -> bool {
    pa.selector.as_ref().is_some_and(|s| !s.match_labels.is_empty())
}

fn set_mode(mode: Option<MtlsMode>) -> Option<MtlsMode> {
    mode.filter(|m| *m != MtlsMode::Unset)
}

/// The namespace-wide mode (namespace policy, else mesh policy) that auto mTLS uses as a
/// hint for a service's namespace: `None` when neither sets one.
pub(crate) fn namespace_mode(cluster: &Cluster, ns: &str) -> Option<(MtlsMode, String)> {
    let pas = &cluster.mesh.peer_authentications;
    let ns_policy = oldest(pas.iter().filter(|p| p.meta.namespace == ns && !has_selector(&p.spec)));
    if let Some(p) = ns_policy {
        if let Some(m) = set_mode(p.spec.mtls.as_ref().and_then(|m| m.mode)) {
            return Some((m, p.meta.id()));
        }
    }
    let mesh_policy = oldest(
        pas.iter()
            .filter(|p| p.meta.namespace == ROOT_NAMESPACE && !has_selector(&p.spec)),
    );
    mesh_policy.and_then(|p| set_mode(p.spec.mtls.as_ref().and_then(|m| m.mode)).map(|m| (m, p.meta.id())))
}

/// The effective mode for `w` on `port` (the workload's port): workload policy >
/// namespace policy > mesh policy (root namespace), UNSET inherits, PERMISSIVE by default;
/// port-level settings of a workload policy (with a selector) override for their port.
pub(crate) fn peer_mode(cluster: &Cluster, w: &Workload, port: u16) -> PeerMode {
    let pas = &cluster.mesh.peer_authentications;
    let mesh_p = oldest(
        pas.iter()
            .filter(|p| p.meta.namespace == ROOT_NAMESPACE && !has_selector(&p.spec)),
    );
    let ns_p = oldest(
        pas.iter()
            .filter(|p| p.meta.namespace == w.namespace && !has_selector(&p.spec)),
    );
    let wl_p = oldest(
        pas.iter()
            .filter(|p| p.meta.namespace == w.namespace && has_selector(&p.spec) && selects(&p.spec, w)),
    );
    let mut mode = MtlsMode::Permissive;
    let mut from = "the default (no PeerAuthentication sets a mode)".to_string();
    let mut loc = None;
    let levels = [("mesh-wide", mesh_p), ("namespace-wide", ns_p), ("workload", wl_p)];
    for (level, p) in levels {
        let Some(p) = p else { continue };
        if let Some(m) = set_mode(p.spec.mtls.as_ref().and_then(|m| m.mode)) {
            mode = m;
            from = format!("{level} {}", p.meta.describe());
            loc = Some(p.meta.loc.clone());
        }
    }
    if let Some(p) = wl_p {
        let port_key = port.to_string();
        if let Some(m) = p.spec.port_level_mtls.get(&port_key).and_then(|m| set_mode(m.mode)) {
            mode = m;
            let l = p.meta.locate(&[key("spec"), key("portLevelMtls"), key(&port_key)]);
            from = format!(
                "portLevelMtls {port} of PeerAuthentication {} ({}:{})",
                p.meta.id(),
                l.file,
                l.line
            );
            loc = Some(l);
        }
    }
    PeerMode {
        mode,
        explain: from,
        loc,
    }
}

// ---------------------------------------------------------------- AuthorizationPolicy

/// What the server sidecar knows about a request when it authorizes it.
pub(crate) struct AuthzInput<'a> {
    /// HTTP (all fields) or TCP (HTTP-only fields cannot be evaluated).
    pub http: bool,
    /// The peer identity `cluster.local/ns/<ns>/sa/<sa>`, only with mTLS.
    pub principal: Option<String>,
    pub method: &'a str,
    pub path: &'a str,
    /// The Host header, without port.
    pub host: &'a str,
    /// The workload port the connection arrives on.
    pub port: u16,
    pub headers: &'a [(String, String)],
}

impl AuthzInput<'_> {
    fn source_namespace(&self) -> Option<&str> {
        let p = self.principal.as_deref()?;
        let rest = p.split("/ns/").nth(1)?;
        rest.split('/').next()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The authorization decision and how it was reached, one line per policy considered.
#[derive(Clone, Debug)]
pub(crate) struct AuthzResult {
    pub allowed: bool,
    pub lines: Vec<String>,
    pub verdict: String,
    pub loc: Option<Location>,
}

/// Istio's string match for policy values: `abc` exact, `abc*` prefix, `*abc` suffix,
/// `*` any non-empty value.
fn value_matches(pattern: &str, v: &str, ignore_case: bool) -> bool {
    let (p, v) = if ignore_case {
        (pattern.to_ascii_lowercase(), v.to_ascii_lowercase())
    } else {
        (pattern.to_string(), v.to_string())
    };
    if p == "*" {
        return !v.is_empty();
    }
    if let Some(prefix) = p.strip_suffix('*') {
        return v.starts_with(prefix);
    }
    if let Some(suffix) = p.strip_prefix('*') {
        return v.ends_with(suffix);
    }
    p == v
}

/// Path templates (`/a/{*}/b`, `/a/{**}`) or the plain string match.
fn path_matches(pattern: &str, path: &str) -> bool {
    if pattern.contains("{*}") || pattern.contains("{**}") {
        let mut re = String::new();
        let mut rest = pattern;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("{**}") {
                re.push_str(".*");
                rest = r;
            } else if let Some(r) = rest.strip_prefix("{*}") {
                re.push_str("[^/]+");
                rest = r;
            } else {
                let c = rest.chars().next().unwrap_or_default();
                re.push_str(&regex_lite::escape(&c.to_string()));
                rest = &rest[c.len_utf8()..];
            }
        }
        return super::routing::full_regex(&re, path).unwrap_or(false);
    }
    value_matches(pattern, path, false)
}

fn any(values: &[String], f: impl Fn(&str) -> bool) -> bool {
    values.iter().any(|v| f(v))
}

/// Checks one value list and its negation; `Err` says why the request fails it.
fn check(
    field: &str,
    values: &[String],
    not_values: &[String],
    actual: Option<&str>,
    matches: impl Fn(&str, &str) -> bool,
) -> Result<(), String> {
    if !values.is_empty() {
        match actual {
            None => return Err(format!("{field} [{}]: the request has none", values.join(", "))),
            Some(a) if !any(values, |p| matches(p, a)) => {
                return Err(format!("{field} [{}] does not include {a:?}", values.join(", ")))
            }
            _ => {}
        }
    }
    if let Some(a) = actual {
        if any(not_values, |p| matches(p, a)) {
            return Err(format!("not{}: {a:?} is excluded", capitalise(field)));
        }
    }
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// HTTP-only fields of a rule, by name.
fn http_only_fields(rule: &AuthRule) -> Vec<String> {
    let mut out = Vec::new();
    for f in &rule.from {
        if let Some(s) = &f.source {
            if !s.request_principals.is_empty() {
                out.push("requestPrincipals".to_string());
            }
            if !s.not_request_principals.is_empty() {
                out.push("notRequestPrincipals".to_string());
            }
        }
    }
    for t in &rule.to {
        if let Some(o) = &t.operation {
            for (name, v) in [
                ("hosts", &o.hosts),
                ("notHosts", &o.not_hosts),
                ("methods", &o.methods),
                ("notMethods", &o.not_methods),
                ("paths", &o.paths),
                ("notPaths", &o.not_paths),
            ] {
                if !v.is_empty() {
                    out.push(name.to_string());
                }
            }
        }
    }
    for c in &rule.when {
        if c.key.starts_with("request.") {
            out.push(format!("when {}", c.key));
        }
    }
    crate::sorting::sort(&mut out);
    out.dedup();
    out
}

fn source_matches(s: &AuthSource, input: &AuthzInput, policy_ns: &str, skip_http: bool) -> Result<(), String> {
    let principal = input.principal.as_deref();
    let no_identity = |f: &str, v: &[String]| {
        format!(
            "{f} [{}] needs a peer identity, and the connection is plaintext (no mTLS)",
            v.join(", ")
        )
    };
    if !s.principals.is_empty() && principal.is_none() {
        return Err(no_identity("principals", &s.principals));
    }
    check("principals", &s.principals, &s.not_principals, principal, |p, a| {
        value_matches(p.trim_start_matches("spiffe://"), a, false)
    })?;
    if !s.namespaces.is_empty() && principal.is_none() {
        return Err(no_identity("namespaces", &s.namespaces));
    }
    check(
        "namespaces",
        &s.namespaces,
        &s.not_namespaces,
        input.source_namespace(),
        |p, a| value_matches(p, a, false),
    )?;
    if !s.service_accounts.is_empty() || !s.not_service_accounts.is_empty() {
        let sa_of = |v: &str| match v.split_once('/') {
            Some((ns, sa)) => format!("ns/{ns}/sa/{sa}"),
            None => format!("ns/{policy_ns}/sa/{v}"),
        };
        if !s.service_accounts.is_empty() && principal.is_none() {
            return Err(no_identity("serviceAccounts", &s.service_accounts));
        }
        check(
            "serviceAccounts",
            &s.service_accounts,
            &s.not_service_accounts,
            principal,
            |p, a| a.ends_with(&sa_of(p)),
        )?;
    }
    // notRequestPrincipals: no request principal, so nothing is excluded.
    if !skip_http && !s.request_principals.is_empty() {
        return Err("requestPrincipals: the request carries no JWT (RequestAuthentication is not modelled)".into());
    }
    for (name, v) in [
        ("ipBlocks", &s.ip_blocks),
        ("notIpBlocks", &s.not_ip_blocks),
        ("remoteIpBlocks", &s.remote_ip_blocks),
        ("notRemoteIpBlocks", &s.not_remote_ip_blocks),
    ] {
        if !v.is_empty() {
            return Err(format!(
                "{name}: IP addresses are not modelled; netplay treats the source as not matching"
            ));
        }
    }
    Ok(())
}

fn operation_matches(o: &Operation, input: &AuthzInput, skip_http: bool) -> Result<(), String> {
    let port = input.port.to_string();
    check("ports", &o.ports, &o.not_ports, Some(&port), |p, a| p.trim() == a)?;
    if skip_http {
        return Ok(());
    }
    check("hosts", &o.hosts, &o.not_hosts, Some(input.host), |p, a| {
        value_matches(p, a, true)
    })?;
    check("methods", &o.methods, &o.not_methods, Some(input.method), |p, a| {
        value_matches(p, a, false)
    })?;
    check("paths", &o.paths, &o.not_paths, Some(input.path), path_matches)?;
    Ok(())
}

fn condition_matches(
    key: &str,
    values: &[String],
    not_values: &[String],
    input: &AuthzInput,
    skip_http: bool,
) -> Result<(), String> {
    let port = input.port.to_string();
    match key {
        "source.principal" => {
            if !values.is_empty() && input.principal.is_none() {
                return Err("when source.principal needs a peer identity, and the connection is plaintext".into());
            }
            check(
                "source.principal",
                values,
                not_values,
                input.principal.as_deref(),
                |p, a| value_matches(p, a, false),
            )
        }
        "source.namespace" => {
            if !values.is_empty() && input.principal.is_none() {
                return Err("when source.namespace needs a peer identity, and the connection is plaintext".into());
            }
            check(
                "source.namespace",
                values,
                not_values,
                input.source_namespace(),
                |p, a| value_matches(p, a, false),
            )
        }
        "destination.port" => check("destination.port", values, not_values, Some(&port), |p, a| {
            p.trim() == a
        }),
        k if k.starts_with("request.") && skip_http => Ok(()),
        k if k.starts_with("request.headers[") => {
            let name = k["request.headers[".len()..].trim_end_matches(']');
            check(k, values, not_values, input.header(name), |p, a| {
                value_matches(p, a, false)
            })
        }
        k if k.starts_with("request.auth.") => {
            if values.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "when {k}: the request carries no JWT (RequestAuthentication is not modelled)"
                ))
            }
        }
        k => Err(format!("when {k}: not modelled by netplay; treated as not matching")),
    }
}

/// Whether a rule matches. `Ok(None)`: matches; `Ok(Some(why))`: does not; `Err(why)`:
/// the rule is ignored (HTTP-only fields in an ALLOW rule on a TCP connection).
fn rule_matches(
    rule: &AuthRule,
    action: AuthAction,
    input: &AuthzInput,
    policy_ns: &str,
) -> Result<Option<String>, String> {
    let http_only = if input.http { Vec::new() } else { http_only_fields(rule) };
    if !http_only.is_empty() && action == AuthAction::Allow {
        return Err(format!(
            "uses HTTP-only fields ({}) on a TCP connection: Istio ignores this ALLOW rule",
            http_only.join(", ")
        ));
    }
    let skip_http = !input.http;
    if !rule.from.is_empty() {
        let mut why = Vec::new();
        let ok = rule.from.iter().any(|f| match &f.source {
            None => true,
            Some(s) => match source_matches(s, input, policy_ns, skip_http) {
                Ok(()) => true,
                Err(e) => {
                    why.push(e);
                    false
                }
            },
        });
        if !ok {
            return Ok(Some(format!("from: {}", why.join("; "))));
        }
    }
    if !rule.to.is_empty() {
        let mut why = Vec::new();
        let ok = rule.to.iter().any(|t| match &t.operation {
            None => true,
            Some(o) => match operation_matches(o, input, skip_http) {
                Ok(()) => true,
                Err(e) => {
                    why.push(e);
                    false
                }
            },
        });
        if !ok {
            return Ok(Some(format!("to: {}", why.join("; "))));
        }
    }
    for c in &rule.when {
        if let Err(e) = condition_matches(&c.key, &c.values, &c.not_values, input, skip_http) {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

/// The AuthorizationPolicies that apply to `w`, oldest first: those of its namespace whose
/// selector matches it (or that have none) and those of the root namespace (mesh-wide, or
/// matching its labels in any namespace). A policy with targetRefs is noted and left out.
fn applicable_policies<'c>(
    cluster: &'c Cluster,
    w: &Workload,
    lines: &mut Vec<String>,
) -> Vec<&'c MeshObject<super::types::AuthorizationPolicySpec>> {
    let mut applicable = Vec::new();
    for p in &cluster.mesh.authorization_policies {
        let in_scope = p.meta.namespace == w.namespace || p.meta.namespace == ROOT_NAMESPACE;
        if !in_scope {
            continue;
        }
        let selected = match &p.spec.selector {
            Some(s) => super::labels_match(&s.match_labels, &w.labels),
            None => true,
        };
        if !selected {
            continue;
        }
        if p.spec.target_ref.is_some() || !p.spec.target_refs.is_empty() {
            lines.push(format!(
                "{} uses targetRef(s): it applies to gateways or waypoints, not to this sidecar (not modelled)",
                p.meta.describe()
            ));
            continue;
        }
        applicable.push(p);
    }
    crate::sorting::sort_by(&mut applicable, |a, b| a.meta.age_key().cmp(&b.meta.age_key()));
    applicable
}

/// Evaluates one policy for `w`'s request: the location of its first matching rule, or
/// `None`, with a line saying which rule matched or why none did.
fn evaluate_policy(
    p: &MeshObject<super::types::AuthorizationPolicySpec>,
    action: AuthAction,
    w: &Workload,
    input: &AuthzInput,
    lines: &mut Vec<String>,
) -> Option<Location> {
    let scope = if p.meta.namespace == ROOT_NAMESPACE && p.meta.namespace != w.namespace {
        " (root namespace: mesh-wide)"
    } else {
        ""
    };
    let rules = match p.spec.rules.as_deref() {
        Some(r) if !r.is_empty() => r,
        _ => {
            lines.push(format!(
                "{} {}{scope}: no rules, so it never matches",
                action.as_str(),
                p.meta.describe(),
            ));
            return None;
        }
    };
    let mut why = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let rloc = p.meta.locate(&[key("spec"), key("rules"), idx(i)]);
        match rule_matches(r, action, input, &p.meta.namespace) {
            Ok(None) => {
                let how = if !input.http && !http_only_fields(r).is_empty() {
                    format!(
                        " (its HTTP-only fields {} cannot be evaluated on a TCP connection; for a {} rule Istio drops them, so the rule matches more)",
                        http_only_fields(r).join(", "),
                        action.as_str()
                    )
                } else {
                    String::new()
                };
                lines.push(format!(
                    "{} {}{scope}: rule {} ({}:{}) matches{how}",
                    action.as_str(),
                    p.meta.id(),
                    i + 1,
                    rloc.file,
                    rloc.line
                ));
                return Some(rloc);
            }
            // Numbered from 1, as explanations number rules; the path index is 0-based.
            Ok(Some(w)) => why.push(format!("rule {} ({}:{}): {w}", i + 1, rloc.file, rloc.line)),
            Err(w) => why.push(format!("rule {} ({}:{}) {w}", i + 1, rloc.file, rloc.line)),
        }
    }
    lines.push(format!(
        "{} {}{scope}: no rule matches — {}",
        action.as_str(),
        p.meta.describe(),
        why.join("; ")
    ));
    None
}

/// Evaluates the AuthorizationPolicies that apply to `w` ([`applicable_policies`]):
/// CUSTOM, then DENY, then ALLOW.
pub(crate) fn authorize(cluster: &Cluster, w: &Workload, input: &AuthzInput) -> AuthzResult {
    let mut lines = Vec::new();
    let applicable = applicable_policies(cluster, w, &mut lines);
    if applicable.is_empty() {
        return AuthzResult {
            allowed: true,
            lines,
            verdict: format!("no AuthorizationPolicy applies to {}: allowed", w.endpoint_name()),
            loc: None,
        };
    }
    let eval = |p: &MeshObject<super::types::AuthorizationPolicySpec>, action: AuthAction, lines: &mut Vec<String>| {
        evaluate_policy(p, action, w, input, lines)
    };
    let of = |a: AuthAction| {
        applicable
            .iter()
            .filter(move |p| p.spec.action.unwrap_or(AuthAction::Allow) == a)
    };
    for p in of(AuthAction::Custom) {
        if eval(p, AuthAction::Custom, &mut lines).is_some() {
            let provider = p
                .spec
                .provider
                .as_ref()
                .and_then(|v| v.get("name"))
                .and_then(|v| v.as_str())
                .unwrap_or("(no provider)");
            lines.push(format!(
                "CUSTOM: the decision belongs to the extension provider {provider:?}, which netplay cannot evaluate; assumed to allow"
            ));
        }
    }
    for p in of(AuthAction::Deny) {
        if let Some(loc) = eval(p, AuthAction::Deny, &mut lines) {
            return AuthzResult {
                allowed: false,
                lines,
                verdict: format!("denied by DENY policy {}", p.meta.id()),
                loc: Some(loc),
            };
        }
    }
    for p in of(AuthAction::Audit) {
        eval(p, AuthAction::Audit, &mut lines);
    }
    let allows: Vec<_> = of(AuthAction::Allow).collect();
    if allows.is_empty() {
        return AuthzResult {
            allowed: true,
            lines,
            verdict: "no ALLOW policy applies: allowed".into(),
            loc: None,
        };
    }
    for p in &allows {
        if let Some(loc) = eval(p, AuthAction::Allow, &mut lines) {
            return AuthzResult {
                allowed: true,
                lines,
                verdict: format!("allowed by ALLOW policy {}", p.meta.id()),
                loc: Some(loc),
            };
        }
    }
    AuthzResult {
        allowed: false,
        lines,
        verdict: format!(
            "denied: ALLOW policies apply ({}) and none matches",
            allows.iter().map(|p| p.meta.id()).collect::<Vec<_>>().join(", ")
        ),
        loc: allows.first().map(|p| p.meta.loc.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_string_matches() {
        assert!(value_matches("abc", "abc", false));
        assert!(value_matches("abc*", "abcd", false));
        assert!(value_matches("*abc", "xabc", false));
        assert!(value_matches("*", "x", false));
        assert!(!value_matches("*", "", false));
        assert!(value_matches("Example.com", "example.COM", true));
        assert!(path_matches("/api/{*}/x", "/api/v1/x"));
        assert!(!path_matches("/api/{*}/x", "/api/v1/v2/x"));
        assert!(path_matches("/api/{**}", "/api/a/b"));
        assert!(path_matches("/info*", "/info/x"));
    }
}
