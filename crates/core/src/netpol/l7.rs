//! Layer 7 constraints on an allowed connection (Cilium `toPorts[].rules`): which ports
//! of a verdict are open only to some requests, and which requests those are.
//!
//! netplay cannot observe requests, so layer 7 rules never change a verdict's ports;
//! they are kept beside it, as Cilium's documentation (security/policy/layer7) says they
//! combine: "A layer 7 request is permitted if at least one of the rules matches", rules
//! of several port rules on one port add up, and "if a layer 4 rule is specified in the
//! policy, and a similar layer 4 rule with layer 7 rules is also specified, then the
//! layer 7 portions of the latter rule will have no effect" — a rule that allows the
//! same peer and port without layer 7 rules (of any policy kind) lifts the constraint.

use crate::conn::ConnSet;
use crate::mesh::regex::{full_match, RegexError};
use crate::model::ContainerPort;
use crate::policy::{HttpMatch, Rule, L7};
use serde::Serialize;

/// On `conn`, one side's proxy lets through only the requests one of `rules` matches.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct L7Constraint {
    /// Whose rules these are: `egress` (the source's) or `ingress` (the destination's).
    pub direction: &'static str,
    /// The ports they narrow, printed as in connlist.
    pub conn: String,
    /// `http`, `dns`, or `other` (Kafka and named parsers: shown, not modelled).
    pub protocol: &'static str,
    /// One text per rule, e.g. `GET /public`; a request passes when one matches.
    pub rules: Vec<String>,
    /// The policies that wrote them.
    pub policies: Vec<String>,
    #[serde(skip)]
    pub ports: ConnSet,
    #[serde(skip)]
    pub l7: Vec<L7>,
}

impl L7Constraint {
    /// `[L7 ingress default/rule1] on TCP 80 only: POST /v1/request-landing | GET /path1$`,
    /// as explanations print it.
    pub fn text(&self) -> String {
        format!(
            "[L7 {} {}] on {} only: {}",
            self.direction,
            self.policies.join(", "),
            self.conn,
            self.rules.join(" | ")
        )
    }
}

/// What one allowing rule let through on one side of a connection.
pub(crate) struct Admitted<'a> {
    /// The policy as explanations name it.
    pub policy: String,
    pub rule: &'a Rule,
    /// The part of the traffic this rule allowed.
    pub conn: ConnSet,
    /// Whether the rule allowed in a tier where Cilium's layer 7 rules apply (the
    /// isolation tier, or Cilium's allows without default deny). An allow of another
    /// tier (an AdminNetworkPolicy, a Calico tier) opens its ports at layer 4.
    pub cilium_tier: bool,
}

/// The layer 7 constraints of one side: `admitted` are the rules that allowed some of
/// the traffic, `allowed` what the side allows in the end.
pub(crate) fn constraints(
    direction: &'static str,
    admitted: &[Admitted],
    dst_ports: Option<&[ContainerPort]>,
    allowed: &ConnSet,
) -> Vec<L7Constraint> {
    let has_l7 = |a: &Admitted| a.cilium_tier && a.rule.ports.iter().flatten().any(|p| p.l7.is_some());
    if !admitted.iter().any(has_l7) {
        return Vec::new();
    }
    // Ports some allow opens at layer 4 only, and the layer 7 entries.
    let mut open = ConnSet::none();
    let mut entries: Vec<(ConnSet, &L7, &str)> = Vec::new();
    for a in admitted {
        match (&a.rule.ports, a.cilium_tier) {
            (Some(ports), true) => {
                for spec in ports {
                    let c = spec.resolve(dst_ports).intersect(&a.conn);
                    match &spec.l7 {
                        Some(l7) => entries.push((c, l7, &a.policy)),
                        None => open.union_with(&c),
                    }
                }
            }
            _ => open.union_with(&a.conn),
        }
    }
    // Regions of ports with the same rules: rules of several entries on one port add up.
    let mut regions: Vec<(ConnSet, Vec<(&L7, &str)>)> = Vec::new();
    for (c, l7, policy) in entries {
        let mut rest = c.intersect(allowed).difference(&open);
        let mut next = Vec::new();
        for (ports, members) in regions {
            let both = ports.intersect(&rest);
            if both.is_empty() {
                next.push((ports, members));
                continue;
            }
            let only = ports.difference(&rest);
            if !only.is_empty() {
                next.push((only, members.clone()));
            }
            rest = rest.difference(&both);
            let mut members = members;
            members.push((l7, policy));
            next.push((both, members));
        }
        if !rest.is_empty() {
            next.push((rest, vec![(l7, policy)]));
        }
        regions = next;
    }
    let out: Vec<L7Constraint> = regions
        .into_iter()
        .map(|(ports, members)| {
            let mut rules: Vec<String> = Vec::new();
            let mut policies: Vec<String> = Vec::new();
            for (l7, policy) in &members {
                for r in l7.rule_texts() {
                    if !rules.contains(&r) {
                        rules.push(r);
                    }
                }
                if !policies.iter().any(|p| p == policy) {
                    policies.push(policy.to_string());
                }
            }
            L7Constraint {
                direction,
                conn: ports.to_string(),
                protocol: members.first().map_or("other", |(l7, _)| l7.protocol()),
                rules,
                policies,
                ports,
                l7: members.iter().map(|(l7, _)| (*l7).clone()).collect(),
            }
        })
        .collect();
    // Ports with the same rules are one constraint (a rule for `ANY` port 53 covers three
    // protocols).
    let mut merged: Vec<L7Constraint> = Vec::new();
    for c in out {
        match merged
            .iter_mut()
            .find(|m| m.rules == c.rules && m.policies == c.policies)
        {
            Some(m) => {
                m.ports.union_with(&c.ports);
                m.conn = m.ports.to_string();
            }
            None => merged.push(c),
        }
    }
    crate::sorting::sort_by(&mut merged, |a, b| a.conn.cmp(&b.conn));
    merged
}

/// The constraints of both sides on what the pair allows in the end (`allowed`).
pub(crate) fn pair(egress: Vec<L7Constraint>, ingress: Vec<L7Constraint>, allowed: &ConnSet) -> Vec<L7Constraint> {
    egress
        .into_iter()
        .chain(ingress)
        .filter_map(|mut c| {
            c.ports = c.ports.intersect(allowed);
            c.conn = c.ports.to_string();
            (!c.ports.is_empty()).then_some(c)
        })
        .collect()
}

/// The constraints in one line, as connlist's text marker shows them:
/// `TCP 80 only GET /public | PUT /path2$` (several joined by `; `).
pub fn summary(constraints: &[L7Constraint]) -> String {
    let parts: Vec<String> = constraints
        .iter()
        .map(|c| format!("{} only {}", c.conn, c.rules.join(" | ")))
        .collect();
    parts.join("; ")
}

/// The ports the constraints narrow, e.g. `TCP 80`.
pub(crate) fn summary_ports(constraints: &[L7Constraint]) -> ConnSet {
    let mut ports = ConnSet::none();
    for c in constraints {
        ports.union_with(&c.ports);
    }
    ports
}

/// An HTTP request to check against layer 7 rules (`method` and `path` as in the request
/// line).
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    /// `Name: value` pairs.
    pub headers: Vec<(String, String)>,
}

/// Whether one `rules.http` entry lets `req` through: each field written is an extended
/// POSIX regular expression matched against the whole value ("Path is an extended POSIX
/// regex matched against the path of a request"), each header listed must be present
/// (`Name` alone) or present with that value (`Name: value`). `Err` for a pattern
/// netplay cannot compile.
pub fn http_matches(rule: &HttpMatch, req: &HttpRequest) -> Result<bool, RegexError> {
    let field = |pattern: &Option<String>, value: Option<&str>| -> Result<bool, RegexError> {
        match (pattern, value) {
            (None, _) => Ok(true),
            (Some(_), None) => Ok(false),
            (Some(p), Some(v)) => full_match(p, v),
        }
    };
    if !field(&rule.method, Some(&req.method))? || !field(&rule.path, Some(&req.path))? {
        return Ok(false);
    }
    if !field(&rule.host, req.host.as_deref())? {
        return Ok(false);
    }
    Ok(rule.headers.iter().all(|h| {
        let (name, value) = match h.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (h.trim(), None),
        };
        req.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(name) && value.is_none_or(|want| v == want))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            ..HttpRequest::default()
        }
    }

    fn rule(method: &str, path: &str, headers: &[&str]) -> HttpMatch {
        HttpMatch {
            method: Some(method.into()),
            path: Some(path.into()),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            ..HttpMatch::default()
        }
    }

    #[test]
    fn http_rules_match_the_whole_method_and_path_as_regular_expressions() {
        // Cilium's docs: "GET /public" allows GET /public, not another URL or method.
        let public = rule("GET", "/public", &[]);
        let get = |p: &str| request("GET", p);
        assert_eq!(http_matches(&public, &get("/public")), Ok(true));
        assert_eq!(http_matches(&public, &get("/public/x")), Ok(false));
        let post = request("POST", "/public");
        assert_eq!(http_matches(&public, &post), Ok(false));
        let api = rule("GET|HEAD", "/api/.*", &[]);
        assert_eq!(http_matches(&api, &get("/api/v1/items")), Ok(true));
        let head = request("HEAD", "/api/x");
        assert_eq!(http_matches(&api, &head), Ok(true));
    }

    #[test]
    fn http_headers_must_be_present_with_the_value_written() {
        let put = rule("PUT", "/path2$", &["X-My-Header: true"]);
        let mut req = request("PUT", "/path2");
        assert_eq!(http_matches(&put, &req), Ok(false));
        req.headers.push(("x-my-header".into(), "false".into()));
        assert_eq!(http_matches(&put, &req), Ok(false));
        req.headers.push(("X-My-Header".into(), "true".into()));
        assert_eq!(http_matches(&put, &req), Ok(true));
    }
}
