//! Typed answers and sentences for front ends. The CLI and the playground render results;
//! whatever they would otherwise have to decide themselves — what kind of endpoint a
//! printed name is, how a pair changed, what a verdict or a mesh status means in words,
//! what the ingress controller may do, which tags a multi-cluster Service carries, whether
//! a document failed to parse — is answered here, once.

mod groups;

pub use groups::{conn_union, group_matrix, group_of, Group, GroupCell, GroupMatrix};

use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Diagnostic;
use crate::mesh::Delivery;
use crate::model::Cluster;
use crate::netpol::explain::{Explanation, SideExplanation};
use crate::netpol::ingress_controller::INGRESS_CONTROLLER;
use crate::netpol::trace::NetworkPolicyPart;
use crate::output::DiffEntry;

/// What a printed endpoint name (connlist's `src`/`dst`) stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// `namespace/name[Kind]` (or `cluster/namespace/name[Kind]`).
    Workload,
    /// `first-last[External]`: addresses outside the cluster.
    External,
    /// `{ingress-controller}`: traffic admitted by Ingress objects.
    IngressController,
}

/// The kind of a printed endpoint name.
pub fn endpoint_kind(name: &str) -> EndpointKind {
    if name == INGRESS_CONTROLLER {
        EndpointKind::IngressController
    } else if name.ends_with("[External]") || crate::policy::DnsMatch::is_fqdn_name(name) {
        // An FQDN destination (`fqdn:api.example.com`) is addresses outside the cluster too.
        EndpointKind::External
    } else {
        EndpointKind::Workload
    }
}

/// The addresses of an external endpoint name (`first-last[External]`, as
/// [`crate::endpoint::AddrRange`] prints it); `None` for other endpoints.
pub fn external_range(name: &str) -> Option<crate::endpoint::AddrRange> {
    use crate::endpoint::AddrRange;
    use std::net::IpAddr;
    let (first, last) = name.strip_suffix("[External]")?.split_once('-')?;
    match (first.parse().ok()?, last.parse().ok()?) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Some(AddrRange::V4(a.into(), b.into())),
        (IpAddr::V6(a), IpAddr::V6(b)) => Some(AddrRange::V6(a.into(), b.into())),
        _ => None,
    }
}

/// The addresses of an external endpoint as people write them: `a-b`, or `a` for a
/// single address; `None` for other endpoints.
pub fn external_range_text(name: &str) -> Option<String> {
    let range = name.strip_suffix("[External]")?;
    Some(match range.split_once('-') {
        Some((a, b)) if a == b => a.to_string(),
        _ => range.to_string(),
    })
}

/// How a pair's connection changed between two lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl DiffEntry {
    /// The change as a value (the `change` field is its printed form).
    pub fn kind(&self) -> Change {
        match (&self.old, &self.new) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            _ => Change::Changed,
        }
    }
}

/// A printed connection (connlist's `conn`) as a matrix cell or an arrow label shows it:
/// `All` for every connection, else the set as printed.
pub fn short_conn(conn: &str) -> String {
    if conn == crate::conn::ALL_CONNECTIONS {
        "All".to_string()
    } else {
        conn.to_string()
    }
}

/// Whether a connection as printed (`TCP 80,UDP 53`, `All Connections`) admits a port.
pub fn conn_allows(conn: &str, probe: (Protocol, u16)) -> bool {
    ConnSet::parse(conn).is_some_and(|c| c.contains(probe.0, probe.1))
}

/// A verdict in words, and whether it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub text: String,
}

/// The verdict of an explanation: for the probed port when there is one, else for the
/// connection as a whole. The same sentences as [`Explanation::to_text`].
pub fn verdict(e: &Explanation) -> Verdict {
    match (e.probe.as_deref(), e.probe_allowed) {
        (Some(p), Some(true)) => Verdict {
            allowed: true,
            text: format!("{p} is allowed — both the source's egress and the destination's ingress admit it."),
        },
        (Some(p), _) => Verdict {
            allowed: false,
            text: format!("{p} is denied — {}.", e.denial_reason().unwrap_or("it is not admitted")),
        },
        _ if e.allowed.is_empty() => Verdict {
            allowed: false,
            text: "no connection is allowed.".to_string(),
        },
        _ => Verdict {
            allowed: true,
            text: format!("allowed {} (egress ∩ ingress).", e.conn),
        },
    }
}

/// The heading of one side of an explanation: the source's egress or the destination's
/// ingress.
pub fn side_title(s: &SideExplanation) -> &'static str {
    if s.direction == crate::policy::Direction::Egress.as_str() {
        "Egress of the source"
    } else {
        "Ingress of the destination"
    }
}

/// One side of an explanation in a sentence: an address outside the cluster, not
/// isolated (everything allowed), isolated and admitted by rules, or isolated with no
/// admitting rule.
pub fn side_summary(s: &SideExplanation) -> String {
    let d = s.direction;
    match &s.workload {
        None => "An address outside the cluster: no NetworkPolicy applies to it.".to_string(),
        // Rules of tiers before NetworkPolicy (an Admin Allow or Deny, a Calico tier's end)
        // decided all of it: they are the reason, not the isolation nothing reached.
        Some(w) if !s.decided_before_networkpolicy().is_empty() => {
            let by: Vec<String> = s.decided_before_networkpolicy().iter().map(|t| t.text()).collect();
            let not_consulted = match s.networkpolicy_part() {
                NetworkPolicyPart::NotReached(ps) => {
                    let ids: Vec<&str> = ps.iter().map(|p| p.policy.as_str()).collect();
                    format!(
                        " The NetworkPolicies that select it ({}) are not consulted.",
                        ids.join(", ")
                    )
                }
                _ => String::new(),
            };
            format!(
                "{w}'s {d} is decided before the NetworkPolicy tier, by {}; it allows {}.{not_consulted}",
                by.join("; "),
                s.allowed_text
            )
        }
        // Rules of first-match tiers (or a Calico tier's end) decided part of it: the walk
        // says how (SideExplanation::trace).
        Some(w) if !s.tiers.is_empty() || !s.tier_ends.is_empty() => format!(
            "{w}'s {d} is decided tier by tier ({}), first match in each tier; it allows {}.",
            s.deciding_tiers().join(" → "),
            s.allowed_text
        ),
        Some(w) if s.isolated_by.is_empty() => {
            format!("{w} is not isolated for {d}: no NetworkPolicy of its namespace selects it for {d}, so everything is allowed.")
        }
        Some(w) if s.admitted_by.is_empty() => {
            format!("{w} is isolated for {d}, and no {d} rule of these policies admits this peer: nothing is allowed.")
        }
        Some(w) => format!("{w} is isolated for {d}; these rules admit the peer:"),
    }
}

/// Whether a side refuses everything, so its summary is drawn as a refusal: an Admin
/// Allow that took the traffic is final even when a NetworkPolicy isolates the side and
/// admits nothing.
pub fn side_allows_nothing(s: &SideExplanation) -> bool {
    s.workload.is_some() && s.allowed.is_empty()
}

/// The tiers whose policies decide a pair, both sides together, in evaluation order
/// (`Admin`, `Calico tier NAME`, `NetworkPolicy`, `Baseline`); empty when no policy
/// applies.
pub fn deciding_tiers(e: &Explanation) -> Vec<String> {
    // Each side lists its tiers in evaluation order; merge the ingress's into the
    // egress's keeping both orders (a tier new to the list goes after the last tier both
    // sides share that came before it).
    let mut all = e.egress.deciding_tiers();
    let mut at = 0;
    for t in e.ingress.deciding_tiers() {
        match all.iter().position(|x| *x == t) {
            Some(i) => at = at.max(i + 1),
            None => {
                all.insert(at, t);
                at += 1;
            }
        }
    }
    all
}

/// For each line of a connection list whose pair a first-match tier (Admin, Baseline, a
/// Calico tier) decides, the tiers that decide it (graph arrows and matrix cells mark
/// them, with a legend). Empty when the input has no such policy, without explaining
/// anything.
pub fn admin_tier_marks(
    scenario: &crate::Scenario,
    lines: &[crate::output::ConnLine],
) -> std::collections::BTreeMap<(String, String), Vec<String>> {
    let mut marks = std::collections::BTreeMap::new();
    let has_admin = scenario.cluster.policies.iter().any(|p| p.tier.walk().is_first_match());
    if !has_admin || scenario.multicluster.is_some() {
        return marks;
    }
    for l in lines {
        let Some(e) = scenario.explain_pair(&l.src, &l.dst) else {
            continue;
        };
        let tiers = deciding_tiers(&e);
        if tiers.iter().any(|t| *t != "NetworkPolicy") {
            marks.insert((l.src.clone(), l.dst.clone()), tiers);
        }
    }
    marks
}

/// How graph arrows and matrix cells mark the tiers that decide a pair: a short mark, the
/// CSS class it is drawn with, and the legend's words. The NetworkPolicy tier is the one
/// everyone expects and is not marked.
pub fn tier_mark_of(tier: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match tier {
        "Admin" => Some((
            "A",
            "tier-admin",
            "an Admin rule (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin) decides it",
        )),
        "Baseline" => Some((
            "B",
            "tier-baseline",
            "a Baseline rule (BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline) decides it",
        )),
        "CiliumDeny" | "CiliumNoDefaultDeny" => Some((
            "Ci",
            "tier-cilium",
            "a Cilium deny rule, or an allow of a policy without default deny, decides it",
        )),
        t if t.starts_with("Calico") => Some(("C", "tier-calico", "a rule or the end of a Calico tier decides it")),
        _ => None,
    }
}

/// The mark of a pair decided by `tiers` (`A`, `B`, `A+B`, `C`, ...) and the class of its
/// first marked tier; `None` when only the NetworkPolicy tier decides it.
pub fn tier_mark(tiers: &[String]) -> Option<(String, &'static str)> {
    let mut marks: Vec<&'static str> = Vec::new();
    let mut class = None;
    for (mark, c, _) in tiers.iter().filter_map(|t| tier_mark_of(t)) {
        class.get_or_insert(c);
        if !marks.contains(&mark) {
            marks.push(mark);
        }
    }
    Some((marks.join("+"), class?))
}

/// A mark in words, for the accessible name and tooltip of the arrow or cell it is drawn
/// on (what the eye sees, the ear hears): `tier mark A: decided by the Admin,
/// NetworkPolicy tiers`. `None` when the pair carries no mark.
pub fn tier_mark_label(tiers: &[String]) -> Option<String> {
    let (mark, _) = tier_mark(tiers)?;
    let plural = if tiers.len() == 1 { "" } else { "s" };
    Some(format!(
        "tier mark {mark}: decided by the {} tier{plural}",
        tiers.join(", ")
    ))
}

/// The legend for a set of marks: each mark that occurs, its class and its words, in the
/// order the tiers are walked.
pub fn tier_legend<'a>(
    marks: impl IntoIterator<Item = &'a Vec<String>>,
) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut legend: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
    for tiers in marks {
        for entry in tiers.iter().filter_map(|t| tier_mark_of(t)) {
            if !legend.contains(&entry) {
                legend.push(entry);
            }
        }
    }
    let order = ["A", "C", "Ci", "B"];
    crate::sorting::sort_by_key(&mut legend, |(m, _, _)| order.iter().position(|o| o == m));
    legend
}

/// Why the ingress controller may reach `dst` (a workload's endpoint name): the Ingress
/// objects whose backends lead to it, and how NetworkPolicy is applied to that traffic.
pub fn ingress_controller_explanation(cluster: &Cluster, dst: &str) -> String {
    let Some(w) = cluster.workloads.iter().find(|w| w.endpoint_name() == dst) else {
        return format!("{INGRESS_CONTROLLER} reaches no workload named {dst}.");
    };
    let mut via = Vec::new();
    for ingress in &cluster.ingresses {
        for backend in &ingress.backends {
            let Some(svc) = cluster
                .services
                .iter()
                .find(|s| s.namespace == ingress.namespace && s.name == backend.service)
            else {
                continue;
            };
            let selects = svc.selector.as_ref().is_some_and(|sel| {
                !sel.is_empty() && w.namespace == svc.namespace && sel.iter().all(|(k, v)| w.labels.get(k) == Some(v))
            });
            if selects {
                via.push(format!(
                    "{} {}/{} → Service {} {}",
                    ingress.kind, ingress.namespace, ingress.name, svc.name, backend.port
                ));
            }
        }
    }
    crate::sorting::sort(&mut via);
    via.dedup();
    let routes = if via.is_empty() {
        "No Ingress object leads to it.".to_string()
    } else {
        format!("Routed by: {}.", via.join("; "))
    };
    format!(
        "Traffic from the ingress controller is admitted by Ingress objects: it reaches the pods behind each backend Service on the Service's target port, as far as their ingress policies admit it (from the controller's own pods when the input holds them, else from a pod of any namespace). {routes}"
    )
}

/// A mesh status with what it means in netplay's simulation, e.g. `403 Forbidden — an
/// AuthorizationPolicy denied the request`.
pub fn mesh_status_text(status: u16) -> String {
    let reason = crate::mesh::status_reason(status);
    let meaning = match status {
        200 => "",
        301 | 302 | 303 | 307 | 308 => " — redirected",
        403 => " — an AuthorizationPolicy denied the request",
        404 => " — no route matches",
        502 => " — the upstream could not be reached (e.g. REGISTRY_ONLY egress)",
        503 => " — no connection: no healthy endpoint, an mTLS mismatch or a NetworkPolicy drop",
        504 => " — the request timed out",
        _ => "",
    };
    format!("{status} {reason}{meaning}").replace("  ", " ")
}

/// Whether the connection to a delivered workload is encrypted (mutual TLS, or TLS from a
/// DestinationRule).
pub fn delivery_encrypted(d: &Delivery) -> bool {
    matches!(d.tls.as_deref(), Some("mTLS" | "TLS"))
}

/// What the connection to a delivered workload carries, for a label: `mTLS`, `TLS`,
/// `plaintext`, or nothing when unknown.
pub fn delivery_transport(d: &Delivery) -> &'static str {
    match d.tls.as_deref() {
        Some("mTLS") => "mTLS",
        Some("TLS") => "TLS",
        Some(_) => "plaintext",
        None => "",
    }
}

/// The tags of a Service of a multi-cluster member: exported (MCS ServiceExport),
/// global (Cilium ClusterMesh), headless.
pub fn multicluster_service_tags(m: &crate::multicluster::Member, namespace: &str, name: &str) -> Vec<&'static str> {
    let mut tags = Vec::new();
    if m.exports.contains_key(&(namespace.to_string(), name.to_string())) {
        tags.push("exported");
    }
    if m.annotation(namespace, name, "service.cilium.io/global") == Some("true") {
        tags.push("global");
    }
    if m.is_headless(namespace, name) {
        tags.push("headless");
    }
    tags
}

/// The diagnostics that say a document could not be read at all (YAML or JSON syntax):
/// while there are any, what the input means is not known.
pub fn syntax_errors(diagnostics: &[Diagnostic]) -> impl Iterator<Item = &Diagnostic> {
    diagnostics.iter().filter(|d| d.code == "NP0001")
}

/// A YAML or JSON syntax error in plain words, with the line it is on: what the parser
/// says (`mapping values are not allowed in this context`, `did not find expected key`,
/// …) turned into what to look at. `None` for other diagnostics.
pub fn plain_syntax_message(d: &Diagnostic) -> Option<String> {
    if d.code != "NP0001" {
        return None;
    }
    let line = d
        .line
        .map(|l| format!("line {l}"))
        .unwrap_or_else(|| "a line".to_string());
    let m = d.message.to_ascii_lowercase();
    let text = if m.contains("mapping values are not allowed") {
        format!("{line} is indented more than the key above it (or holds \": \" in a value that needs quotes)")
    } else if m.contains("did not find expected key") || m.contains("did not find expected '-' indicator") {
        format!("{line} is not lined up with the keys or list items above it: check its indentation")
    } else if m.contains("found character that cannot start any token") || m.contains("tab") {
        format!("{line} starts with a character YAML does not allow there (often a tab: YAML indents with spaces)")
    } else if m.contains("duplicate") {
        format!("{line} repeats a key that the same mapping already has")
    } else if m.contains("did not find expected node content") || m.contains("unexpected end") {
        format!("{line} ends the document where a value was expected (an unfinished list, quote or bracket?)")
    } else if m.contains("could not find expected ':'") {
        format!("{line} has a key without the ':' after it")
    } else if m.contains("quoted scalar") || m.contains("end of quoted") {
        format!("{line} opens a quote that is never closed")
    } else if m.contains("flow sequence")
        || m.contains("flow mapping")
        || m.contains("expected ',' or ']'")
        || m.contains("expected ',' or '}'")
    {
        format!("{line} has a [list] or {{mapping}} that is not closed properly")
    } else if m.starts_with("json") {
        format!("{line} is not valid JSON")
    } else {
        format!("{line} is not valid YAML")
    };
    Some(format!("{text}; the document is skipped until it parses."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{diff, ConnLine};
    use crate::{load, SourceFile};

    #[test]
    fn endpoint_kinds_and_ranges() {
        assert_eq!(endpoint_kind("a/b[Pod]"), EndpointKind::Workload);
        assert_eq!(endpoint_kind("0.0.0.0-9.255.255.255[External]"), EndpointKind::External);
        assert_eq!(endpoint_kind(INGRESS_CONTROLLER), EndpointKind::IngressController);
        assert_eq!(
            external_range_text("1.2.3.4-1.2.3.4[External]").as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(external_range_text("a/b[Pod]"), None);
    }

    #[test]
    fn external_ranges_read_back_as_printed() {
        use crate::endpoint::AddrRange;
        for range in [
            AddrRange::V4(0, u32::MAX),
            AddrRange::V4(0x0a00_0000, 0x0a00_00ff),
            AddrRange::V6(1, u128::MAX),
        ] {
            assert_eq!(external_range(&range.to_string()), Some(range));
        }
        assert_eq!(external_range("a/b[Pod]"), None);
        assert_eq!(external_range("1.2.3.4-::1[External]"), None, "mixed families");
        assert_eq!(external_range("{ingress-controller}"), None);
    }

    #[test]
    fn diff_kinds() {
        let l = |s: &str, c: &str| ConnLine {
            src: s.into(),
            dst: "d".into(),
            conn: c.into(),
            l7: None,
        };
        let d = diff(
            &[l("a", "TCP 80"), l("b", "TCP 80")],
            &[l("b", "TCP 81"), l("c", "TCP 80")],
        );
        let kinds: Vec<Change> = d.iter().map(DiffEntry::kind).collect();
        assert_eq!(kinds, [Change::Removed, Change::Changed, Change::Added]);
    }

    #[test]
    fn verdicts_and_sides_in_words() {
        let pods = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: b}}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-80, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: b}}\n  ingress: [{ports: [{port: 80}]}]\n";
        let s = load(&[SourceFile::new("a.yaml", pods)]);
        let (a, b) = (s.target("x/a").unwrap(), s.target("x/b").unwrap());
        let e = s.explain(a, b, Some((Protocol::Tcp, 81)));
        let v = verdict(&e);
        assert!(!v.allowed);
        assert_eq!(
            v.text,
            "TCP 81 is denied — the destination's ingress does not admit it."
        );
        assert!(side_summary(&e.egress).contains("is not isolated for egress"));
        assert_eq!(
            side_summary(&e.ingress),
            "x/b[Pod] is isolated for ingress; these rules admit the peer:"
        );
        let e = s.explain(a, b, None);
        assert_eq!(verdict(&e).text, "allowed TCP 80 (egress ∩ ingress).");
        assert!(conn_allows("TCP 80,UDP 53", (Protocol::Udp, 53)));
        assert!(!conn_allows("TCP 80", (Protocol::Tcp, 81)));
    }

    #[test]
    fn mesh_statuses_and_syntax_errors() {
        assert_eq!(mesh_status_text(200), "200 OK");
        assert!(mesh_status_text(403).starts_with("403 Forbidden — an AuthorizationPolicy"));
        let s = load(&[SourceFile::new("bad.yaml", "kind: Pod\nmetadata: [unclosed\n")]);
        let all = s.analyze();
        assert_eq!(syntax_errors(&all).count(), 1);
        // Indented more than the key above: the error is on that line, in words.
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n    namespace: x\nspec: {}\n";
        let s = load(&[SourceFile::new("p.yaml", text)]);
        let d = syntax_errors(&s.diagnostics).next().expect("a syntax error");
        assert_eq!(d.line, Some(5), "{d:?}");
        assert_eq!(
            plain_syntax_message(d).as_deref(),
            Some("line 5 is indented more than the key above it (or holds \": \" in a value that needs quotes); the document is skipped until it parses.")
        );
    }

    #[test]
    fn tier_marks_name_every_tier_but_networkpolicy() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        assert_eq!(tier_mark(&t(&["NetworkPolicy"])), None);
        assert_eq!(
            tier_mark(&t(&["Admin", "NetworkPolicy", "Baseline"])),
            Some(("A+B".to_string(), "tier-admin"))
        );
        assert_eq!(tier_mark(&t(&["Baseline"])), Some(("B".to_string(), "tier-baseline")));
        assert_eq!(
            tier_mark_label(&t(&["Admin"])).as_deref(),
            Some("tier mark A: decided by the Admin tier")
        );
        assert_eq!(tier_mark_label(&t(&["NetworkPolicy"])), None);
        assert_eq!(
            tier_mark(&t(&["Calico tier security", "Calico tier default"])),
            Some(("C".to_string(), "tier-calico"))
        );
        let marks = [t(&["Baseline"]), t(&["Calico tier default", "Admin"])];
        let legend: Vec<&str> = tier_legend(marks.iter()).into_iter().map(|(m, _, _)| m).collect();
        assert_eq!(legend, ["A", "C", "B"]);
    }
}
