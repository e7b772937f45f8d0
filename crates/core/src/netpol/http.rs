//! One HTTP request checked against the layer 7 rules of an explained connection
//! (Cilium `toPorts[].rules.http`): what `explain --http` and the playground's Why? form
//! both ask. netplay does not see requests; the user describes one, and the answer names
//! the rule that admits it or the rules none of which does.

use super::explain::Explanation;
use super::l7::{http_matches, HttpRequest, L7Constraint};
use crate::conn::Protocol;
use crate::policy::L7;
use crate::query::QueryError;
use serde::Serialize;

/// One side's layer 7 rules on the request's port, and what they made of it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HttpStep {
    /// `egress` (the source's proxy) or `ingress` (the destination's).
    pub direction: &'static str,
    pub policies: Vec<String>,
    /// The rules, as connlist shows them.
    pub rules: Vec<String>,
    /// The first rule that lets the request through; `None` when none does.
    pub admitted_by: Option<String>,
    /// Why the rules cannot be checked (DNS or Kafka rules on the port, a pattern netplay
    /// cannot compile); the verdict is then undecided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided: Option<String>,
}

/// The verdict on one HTTP request over a connection ([`check_http`]).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HttpCheck {
    /// `GET /api/v1/items`.
    pub request: String,
    /// The port it is sent to, e.g. `TCP 80`; `None` when the explanation has none.
    pub port: Option<String>,
    /// Whether layer 4 (every tier, both sides) allows the port.
    pub l4_allowed: bool,
    /// Each side's layer 7 rules on the port, egress first.
    pub steps: Vec<HttpStep>,
    /// `Some(true)` allowed, `Some(false)` denied, `None` undecided.
    pub allowed: Option<bool>,
    /// The verdict in one sentence.
    pub reason: String,
}

/// Checks an HTTP request against the layer 7 rules of an explained connection with one
/// TCP port (`explain --port`): layer 4 must allow the port, then every side whose rules
/// narrow the port (the source's egress proxy and the destination's ingress proxy) must
/// have a rule that matches the request ("A layer 7 request is permitted if at least one
/// of the rules matches"); without such rules every request passes. The CLI (`explain
/// --http`) and the web app's Why? panel both ask this.
pub fn check_http(e: &Explanation, req: &HttpRequest) -> HttpCheck {
    let request = format!("{} {}", req.method, req.path);
    // The probe as explanations print it, `TCP 80`.
    let port = e
        .probe
        .as_deref()
        .and_then(|p| p.split_once(' '))
        .and_then(|(proto, n)| Some((Protocol::parse(proto)?, n.parse::<u16>().ok()?)))
        .filter(|(proto, _)| *proto == Protocol::Tcp);
    let mut check = HttpCheck {
        request,
        port: e.probe.clone(),
        l4_allowed: e.probe_allowed == Some(true),
        steps: Vec::new(),
        allowed: Some(false),
        reason: String::new(),
    };
    let Some((proto, n)) = port else {
        check.reason = "an HTTP request is checked on one TCP port: give it (--port)".into();
        return check;
    };
    if !check.l4_allowed {
        check.reason = format!(
            "layer 4 already denies {proto} {n} ({}): no request gets through",
            e.denial_reason().unwrap_or("denied")
        );
        return check;
    }
    for c in e.l7.iter().filter(|c| c.ports.contains(proto, n)) {
        check.steps.push(http_step(c, req));
    }
    let undecided = check.steps.iter().find_map(|s| s.undecided.clone());
    let refused = check
        .steps
        .iter()
        .find(|s| s.admitted_by.is_none() && s.undecided.is_none());
    (check.allowed, check.reason) = match (refused, undecided) {
        (Some(s), _) => (
            Some(false),
            format!(
                "no {} rule of {} matches it: the proxy answers 403 Forbidden",
                s.direction,
                s.policies.join(", ")
            ),
        ),
        (None, Some(why)) => (None, why),
        (None, None) if check.steps.is_empty() => (
            Some(true),
            format!("no layer 7 rule narrows {proto} {n}: every request on it is allowed"),
        ),
        (None, None) => (Some(true), "a rule of every side's layer 7 rules matches it".into()),
    };
    check
}

fn http_step(c: &L7Constraint, req: &HttpRequest) -> HttpStep {
    let mut step = HttpStep {
        direction: c.direction,
        policies: c.policies.clone(),
        rules: c.rules.clone(),
        admitted_by: None,
        undecided: None,
    };
    for l7 in &c.l7 {
        let L7::Http(rules) = l7 else {
            step.undecided = Some(format!(
                "{} {} rules on this port are not HTTP rules: netplay cannot check an HTTP request against them",
                c.protocol, c.direction
            ));
            continue;
        };
        for rule in rules {
            match http_matches(rule, req) {
                Ok(true) if step.admitted_by.is_none() => step.admitted_by = Some(rule.to_string()),
                Ok(_) => {}
                Err(err) => step.undecided = Some(format!("the pattern of rule {rule} cannot be evaluated: {err}")),
            }
        }
    }
    // One matching rule admits the request whatever the others are.
    if step.admitted_by.is_some() {
        step.undecided = None;
    }
    step
}

impl HttpCheck {
    /// The check as text, the same in the CLI and the web app.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "HTTP {} on {}:\n",
            self.request,
            self.port.as_deref().unwrap_or("no port")
        );
        if self.port.is_some() {
            let l4 = if self.l4_allowed { "allowed" } else { "denied" };
            out.push_str(&format!("  layer 4: {l4}\n"));
        }
        for s in &self.steps {
            let what = match (&s.admitted_by, &s.undecided) {
                (Some(rule), _) => format!("admitted by {rule}"),
                (None, Some(why)) => format!("undecided: {why}"),
                (None, None) => format!("no rule matches (rules: {})", s.rules.join(" | ")),
            };
            out.push_str(&format!("  [L7 {} {}] {what}\n", s.direction, s.policies.join(", ")));
        }
        let verdict = match self.allowed {
            Some(true) => "ALLOWED",
            Some(false) => "DENIED",
            None => "UNDECIDED",
        };
        out.push_str(&format!(
            "HTTP verdict: {} is {verdict} ({}).\n",
            self.request, self.reason
        ));
        out
    }
}

/// Reads a request as `explain --http` and the web form take it: `METHOD PATH`
/// (`GET /api/v1/items`), or a path alone for a GET. `Err` says what is wrong.
pub fn parse_http_request(text: &str, headers: &[String]) -> Result<HttpRequest, QueryError> {
    let mut words = text.split_whitespace();
    let (method, path) = match (words.next(), words.next(), words.next()) {
        (Some(p), None, _) if p.starts_with('/') => ("GET".to_string(), p.to_string()),
        (Some(m), Some(p), None) if p.starts_with('/') => (m.to_ascii_uppercase(), p.to_string()),
        _ => return Err(QueryError::NotAnHttpRequest { text: text.to_string() }),
    };
    let mut parsed = Vec::new();
    for h in headers {
        match h.split_once(':') {
            Some((n, v)) if !n.trim().is_empty() => parsed.push((n.trim().to_string(), v.trim().to_string())),
            _ => return Err(QueryError::NotAHeader { header: h.clone() }),
        }
    }
    // `Host` is the request's host, as HTTP/1.1 carries it.
    let host = parsed
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone());
    Ok(HttpRequest {
        method,
        path,
        host,
        headers: parsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_a_method_and_a_path_or_a_path_alone() {
        let r = parse_http_request("put /v1/exhaust-port", &["Host: deathstar".into()]).expect("a request");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("PUT", "/v1/exhaust-port"));
        assert_eq!(r.host.as_deref(), Some("deathstar"));
        let get = parse_http_request("/public", &[]).expect("a path alone");
        assert_eq!(get.method, "GET");
        assert!(parse_http_request("GET", &[]).is_err());
        assert!(parse_http_request("GET /a /b", &[]).is_err());
        assert!(parse_http_request("GET /", &["no colon".into()]).is_err());
    }
}
