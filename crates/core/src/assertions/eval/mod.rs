//! Running assertions against a loaded scenario. Connections come from the fast engine
//! (`connlist`'s answers), explanations from `netpol::explain` (the agreement test keeps
//! the two equal) and mesh requests from `Scenario::mesh_request`.

mod parties;
mod why;

use super::report::{AssertionResult, Report};
use super::{Assertion, Check, EndpointSpec, MeshExpect, Suite};
use crate::conn::{ConnSet, Protocol};
use crate::endpoint::AddrRange;
use crate::netpol::engine::Engine;
use crate::netpol::explain::Target;
use crate::netpol::ingress_controller::{self, INGRESS_CONTROLLER};
use crate::policy::PeerKind;
use crate::{Cluster, Scenario};
use parties::{push_merged, Cuts, Party};
use std::fmt::Write;

/// How many failing pairs of a group assertion are explained in full.
const EXPLAINED_PAIRS: usize = 3;

/// Runs every assertion of `suites` against `scenario`.
pub fn run(scenario: &Scenario, suites: &[Suite]) -> Report {
    let ctx = Context::new(scenario);
    let mut results = Vec::new();
    for suite in suites {
        for a in &suite.assertions {
            results.push(ctx.run(&suite.name, a));
        }
    }
    Report { results }
}

struct Context<'a> {
    scenario: &'a Scenario,
    cluster: &'a Cluster,
    engine: Engine<'a>,
    /// What the ingress controller may open to each workload.
    from_ingress: Vec<ConnSet>,
    /// Cuts at every ipBlock boundary of the input's policies.
    cuts: Cuts,
    /// Whether the input's policies mention IPv6 addresses (else `external` is IPv4 only).
    has_v6: bool,
}

impl<'a> Context<'a> {
    fn new(scenario: &'a Scenario) -> Self {
        let cluster = &scenario.cluster;
        let engine = Engine::new(cluster);
        let mut from_ingress = vec![ConnSet::none(); cluster.workloads.len()];
        for (w, c) in ingress_controller::connections(&engine) {
            if let Some(slot) = from_ingress.get_mut(w) {
                *slot = c;
            }
        }
        let mut cuts = Cuts::default();
        let rules = cluster
            .policies
            .iter()
            .flat_map(|p| p.ingress.iter().chain(p.egress.iter()).flatten());
        for peer in rules.flat_map(|r| r.peers.iter().flatten()) {
            if let PeerKind::IpBlock { cidr, except } = &peer.kind {
                for net in std::iter::once(cidr).chain(except) {
                    cuts.add(super::read::range_of(net));
                }
            }
        }
        let has_v6 = !cuts.v6.is_empty();
        Context {
            scenario,
            cluster,
            engine,
            from_ingress,
            cuts,
            has_v6,
        }
    }

    fn run(&self, suite: &str, a: &Assertion) -> AssertionResult {
        let mut result = AssertionResult {
            suite: suite.to_string(),
            name: a.name.clone(),
            loc: a.loc.clone(),
            passed: false,
            expected: String::new(),
            actual: String::new(),
            explanation: String::new(),
            decided_at: None,
        };
        let outcome = match &a.check {
            Check::Connection {
                from,
                to,
                port,
                allowed,
            } => self.connection(from, to, *port, *allowed, &mut result),
            Check::Only {
                subject,
                inbound,
                peers,
                ports,
            } => self.only(subject, *inbound, peers, ports.as_ref(), &mut result),
            Check::Mesh {
                from,
                method,
                url,
                headers,
                expect,
            } => self.mesh(from, method, url, headers, expect, &mut result),
        };
        if let Err(why) = outcome {
            result.passed = false;
            result.actual = format!("cannot be evaluated: {why}");
        }
        result
    }

    // ------------------------------------------------------------------ endpoints

    fn resolve(&self, specs: &[EndpointSpec], extra_cuts: Option<&Cuts>) -> Result<Vec<Party>, String> {
        let mut out = Vec::new();
        for spec in specs {
            let found: Vec<Party> = match spec {
                EndpointSpec::Workload(q) => vec![Party::Workload(self.index_of(q)?)],
                EndpointSpec::Pattern(p) => self
                    .workloads(|w| {
                        let name = if p.contains('[') {
                            w.endpoint_name()
                        } else {
                            format!("{}/{}", w.namespace, w.name)
                        };
                        glob(p, &name)
                    })
                    .ok_or_else(|| format!("no workload matches {p:?}"))?,
                EndpointSpec::Select { namespace, labels } => self
                    .workloads(|w| {
                        namespace.as_ref().is_none_or(|ns| *ns == w.namespace)
                            && labels.iter().all(|(k, v)| w.labels.get(k) == Some(v))
                    })
                    .ok_or_else(|| format!("no workload matches the selector ({spec})"))?,
                EndpointSpec::External(ranges) => ranges
                    .iter()
                    .filter(|r| self.has_v6 || matches!(r, AddrRange::V4(..)))
                    .flat_map(|r| self.split(*r, extra_cuts))
                    .map(Party::External)
                    .collect(),
                EndpointSpec::IngressController => vec![Party::IngressController],
            };
            for p in found {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    fn split(&self, range: AddrRange, extra: Option<&Cuts>) -> Vec<AddrRange> {
        let mut pieces = Vec::new();
        for piece in self.cuts.split(range) {
            match extra {
                Some(e) => pieces.extend(e.split(piece)),
                None => pieces.push(piece),
            }
        }
        pieces
    }

    fn workloads(&self, keep: impl Fn(&crate::model::Workload) -> bool) -> Option<Vec<Party>> {
        let found: Vec<Party> = (0..self.cluster.workloads.len())
            .filter(|&i| keep(&self.cluster.workloads[i]))
            .map(Party::Workload)
            .collect();
        (!found.is_empty()).then_some(found)
    }

    fn index_of(&self, query: &str) -> Result<usize, String> {
        let w = self.cluster.find_workload(query)?;
        self.cluster
            .workloads
            .iter()
            .position(|x| std::ptr::eq(x, w))
            .ok_or_else(|| format!("no workload named {query:?}"))
    }

    fn name(&self, p: Party) -> String {
        match p {
            Party::Workload(i) => self.cluster.workloads[i].endpoint_name(),
            Party::External(r) => r.to_string(),
            Party::IngressController => INGRESS_CONTROLLER.to_string(),
        }
    }

    fn target(p: Party) -> Option<Target> {
        match p {
            Party::Workload(i) => Some(Target::Workload(i)),
            Party::External(r) => Some(Target::Ip(r.first())),
            Party::IngressController => None,
        }
    }

    /// What `s` may open to `d`; `None` for pairs nothing in the input decides (a party
    /// with itself, two external ranges, traffic to the ingress controller).
    fn conn(&self, s: Party, d: Party) -> Option<ConnSet> {
        Some(match (s, d) {
            (Party::Workload(a), Party::Workload(b)) if a != b => self.engine.workload_conn(a, b),
            (Party::External(r), Party::Workload(b)) => self.engine.conn_from_ip(r.first(), b),
            (Party::Workload(a), Party::External(r)) => self.engine.conn_to_ip(a, r.first()),
            (Party::IngressController, Party::Workload(b)) => self.from_ingress.get(b)?.clone(),
            _ => return None,
        })
    }

    // ------------------------------------------------------------------ checks

    fn connection(
        &self,
        from: &[EndpointSpec],
        to: &[EndpointSpec],
        port: Option<(Protocol, u16)>,
        allowed: bool,
        result: &mut AssertionResult,
    ) -> Result<(), String> {
        let on = port.map(|(p, n)| format!(" on {p} {n}")).unwrap_or_default();
        result.expected = match (allowed, port) {
            (true, Some(_)) => format!("allowed{on}"),
            (true, None) => "allowed (on some port)".to_string(),
            (false, Some(_)) => format!("denied{on}"),
            (false, None) => "denied (on every port)".to_string(),
        };
        let sources = self.resolve(from, None)?;
        let targets = self.resolve(to, None)?;
        // Every pair checked, address ranges with equal connections merged, to count them
        // as a reader counts them.
        let mut checked: Vec<(Party, Party, ConnSet)> = Vec::new();
        let mut failing: Vec<(Party, Party, ConnSet)> = Vec::new();
        for &s in &sources {
            for &d in &targets {
                let Some(conn) = self.conn(s, d) else { continue };
                push_merged(&mut checked, (s, d, conn.clone()));
                let is_allowed = match port {
                    Some((p, n)) => conn.contains(p, n),
                    None => !conn.is_empty(),
                };
                if is_allowed != allowed {
                    push_merged(&mut failing, (s, d, conn));
                }
            }
        }
        let pairs = checked.len();
        if pairs == 0 {
            return Err("the two sides have no pair to check (each is the other)".to_string());
        }
        result.passed = failing.is_empty();
        let verdict = |c: &ConnSet| match port {
            Some((p, n)) if c.contains(p, n) => format!("allowed (allows {c})"),
            Some(_) if c.is_empty() => "denied (nothing is allowed)".to_string(),
            Some(_) => format!("denied (allows only {c})"),
            None if c.is_empty() => "denied (nothing is allowed)".to_string(),
            None => format!("allowed ({c})"),
        };
        result.actual = match failing.as_slice() {
            [] if pairs == 1 => "as expected".to_string(),
            [] => format!("as expected for all {pairs} pairs"),
            [(s, d, c)] if pairs == 1 => {
                let _ = (s, d);
                verdict(c)
            }
            many => {
                let list: Vec<String> = many
                    .iter()
                    .take(5)
                    .map(|(s, d, c)| format!("{} => {} {}", self.name(*s), self.name(*d), verdict(c)))
                    .collect();
                let more = many.len().saturating_sub(5);
                let more = if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                };
                format!("{} of {pairs} pairs differ: {}{more}", many.len(), list.join("; "))
            }
        };
        for (i, (s, d, _)) in failing.iter().enumerate().take(EXPLAINED_PAIRS) {
            let (text, at) = self.explain_pair(*s, *d, port);
            if i > 0 {
                result.explanation.push('\n');
            }
            result.explanation.push_str(&text);
            if result.decided_at.is_none() {
                result.decided_at = at;
            }
        }
        if failing.len() > EXPLAINED_PAIRS {
            let _ = writeln!(
                result.explanation,
                "\n({} more failing pairs are not explained here; `netplay explain` explains any pair)",
                failing.len() - EXPLAINED_PAIRS
            );
        }
        Ok(())
    }

    fn only(
        &self,
        subject: &[EndpointSpec],
        inbound: bool,
        peers: &[EndpointSpec],
        ports: Option<&ConnSet>,
        result: &mut AssertionResult,
    ) -> Result<(), String> {
        let on = ports.map(|p| format!(" on {p}")).unwrap_or_default();
        let who = super::describe(peers);
        result.expected = if inbound {
            format!("reached only by {who}{on}")
        } else {
            format!("reaches only {who}{on}")
        };
        // Cut the address space at the peers' ranges too, so each piece is wholly a peer
        // or not.
        let mut peer_cuts = Cuts::default();
        for p in peers {
            if let EndpointSpec::External(ranges) = p {
                ranges.iter().for_each(|r| peer_cuts.add(*r));
            }
        }
        let subjects = self.resolve(subject, None)?;
        let allowed_peers = self.resolve(peers, Some(&peer_cuts))?;
        let mut others: Vec<Party> = (0..self.cluster.workloads.len()).map(Party::Workload).collect();
        let mut spaces = vec![AddrRange::ALL_V4];
        // IPv6 addresses take part when the input's policies or the assertion name some
        // (as in connlist, where the IPv6 space appears only with an IPv6 ipBlock).
        let names_v6 = peers.iter().any(|p| match p {
            EndpointSpec::External(ranges) => ranges
                .iter()
                .any(|r| matches!(r, AddrRange::V6(..)) && *r != AddrRange::ALL_V6),
            _ => false,
        });
        if self.has_v6 || names_v6 {
            spaces.push(AddrRange::ALL_V6);
        }
        for space in spaces {
            others.extend(self.split(space, Some(&peer_cuts)).into_iter().map(Party::External));
        }
        if inbound {
            others.push(Party::IngressController);
        }
        let is_peer = |p: Party| match p {
            Party::External(r) => allowed_peers.iter().any(|a| match a {
                Party::External(ar) => ar.contains(r.first()),
                _ => false,
            }),
            other => allowed_peers.contains(&other),
        };
        // (other end, subject, what it may open beyond what `only` permits)
        let mut excess: Vec<(Party, Party, ConnSet)> = Vec::new();
        for &subject in &subjects {
            for &other in &others {
                let (s, d) = if inbound { (other, subject) } else { (subject, other) };
                let Some(conn) = self.conn(s, d) else { continue };
                let permitted = if is_peer(other) {
                    ports.cloned().unwrap_or_else(ConnSet::all)
                } else {
                    ConnSet::none()
                };
                let extra = conn.difference(&permitted);
                if extra.is_empty() {
                    continue;
                }
                push_merged(&mut excess, (other, subject, extra));
            }
        }
        result.passed = excess.is_empty();
        if result.passed {
            result.actual = "as expected".to_string();
            return Ok(());
        }
        let list: Vec<String> = excess
            .iter()
            .take(5)
            .map(|(o, s, c)| match (subjects.len() > 1, inbound) {
                (false, _) => format!("{} ({c})", self.name(*o)),
                (true, true) => format!("{} => {} ({c})", self.name(*o), self.name(*s)),
                (true, false) => format!("{} => {} ({c})", self.name(*s), self.name(*o)),
            })
            .collect();
        let more = excess.len().saturating_sub(5);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let verb = match (subjects.len() > 1, inbound) {
            (true, _) => "also",
            (false, true) => "also reached by",
            (false, false) => "also reaches",
        };
        result.actual = format!("{verb} {}{more}", list.join(", "));
        for (i, (other, subject, extra)) in excess.iter().enumerate().take(EXPLAINED_PAIRS) {
            let (s, d) = if inbound {
                (*other, *subject)
            } else {
                (*subject, *other)
            };
            let (text, at) = self.explain_first_port(s, d, extra);
            if i > 0 {
                result.explanation.push('\n');
            }
            result.explanation.push_str(&text);
            if result.decided_at.is_none() {
                result.decided_at = at;
            }
        }
        if excess.len() > EXPLAINED_PAIRS {
            let _ = writeln!(
                result.explanation,
                "\n({} more connections are not explained here; `netplay explain` explains any pair)",
                excess.len() - EXPLAINED_PAIRS
            );
        }
        Ok(())
    }

    fn mesh(
        &self,
        from: &str,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        expect: &MeshExpect,
        result: &mut AssertionResult,
    ) -> Result<(), String> {
        let mut want = Vec::new();
        if let Some(s) = expect.status {
            want.push(format!("status {s}"));
        }
        // Names as netplay prints them, when they name a workload of the input.
        let canonical = |w: &str| {
            self.cluster
                .find_workload(w)
                .map(|x| x.endpoint_name())
                .unwrap_or_else(|_| w.to_string())
        };
        let destination = expect.destination.as_deref().map(canonical);
        if let Some(d) = &destination {
            want.push(format!("every delivered request at {d}"));
        }
        let shares: Option<Vec<(String, f64)>> = expect
            .shares
            .as_ref()
            .map(|m| m.iter().map(|(w, v)| (canonical(w), *v)).collect());
        if let Some(s) = &shares {
            let parts: Vec<String> = s.iter().map(|(w, v)| format!("{w} {}", pct(*v))).collect();
            want.push(format!("split {}", parts.join(", ")));
        }
        result.expected = want.join(", ");
        let mut request = crate::mesh::Request::new(from, url).with_method(method);
        for (k, v) in headers {
            request = request.with_header(k, v);
        }
        let outcome = self.scenario.mesh_request(&request)?;
        // Shares per workload (a workload may receive through several subsets).
        let mut got: Vec<(String, f64)> = Vec::new();
        for d in &outcome.destinations {
            match got.iter_mut().find(|(w, _)| *w == d.workload) {
                Some((_, s)) => *s += d.share,
                None => got.push((d.workload.clone(), d.share)),
            }
        }
        let status_ok = expect.status.is_none_or(|s| s == outcome.status);
        let mut ok = status_ok;
        if let Some(d) = &destination {
            ok &= !got.is_empty() && got.iter().all(|(w, _)| w == d);
        }
        if let Some(want) = &shares {
            const TOLERANCE: f64 = 0.005;
            let share_of = |w: &str| got.iter().find(|(g, _)| g == w).map_or(0.0, |(_, s)| *s);
            ok &= want.iter().all(|(w, v)| (share_of(w) - v).abs() <= TOLERANCE);
            ok &= got
                .iter()
                .all(|(g, s)| *s <= TOLERANCE || want.iter().any(|(w, _)| w == g));
        }
        result.passed = ok;
        let delivered = if got.is_empty() {
            "delivered to nobody".to_string()
        } else {
            let parts: Vec<String> = got.iter().map(|(w, s)| format!("{w} {}", pct(*s))).collect();
            format!("delivered to {}", parts.join(", "))
        };
        result.actual = format!("status {}, {delivered}", outcome.status);
        if !ok {
            result.explanation = format!("Request: {request}\n\n{}", outcome.to_text());
            // A wrong status is decided by the last step that names an object; wrong
            // destinations by the route that matched.
            let steps = || outcome.trace.iter().rev();
            let route = steps()
                .filter(|t| t.step == "route" || t.step == "virtual-service")
                .find_map(|t| t.loc.clone());
            let last = steps().find_map(|t| t.loc.clone());
            result.decided_at = if status_ok { route.or(last) } else { last };
        }
        Ok(())
    }
}

/// `90%`, `12.5%`.
fn pct(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// `*` matches any run of characters (also `/`); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            back = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((bp, bt)) = back {
            pi = bp + 1;
            ti = bt + 1;
            back = Some((bp, bt + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_stars_anywhere() {
        assert!(glob("backend/*", "backend/api-v1"));
        assert!(glob("*/postgres*", "database/postgres-0"));
        assert!(glob("*", "a/b"));
        assert!(!glob("backend/*", "frontend/web"));
        assert!(!glob("backend/api", "backend/api-v1"));
        assert!(glob("b*d/a*1", "backend/api-v1"));
    }

    #[test]
    fn percentages_read_well() {
        assert_eq!(pct(0.9), "90%");
        assert_eq!(pct(0.125), "12.5%");
        assert_eq!(pct(1.0), "100%");
    }
}
