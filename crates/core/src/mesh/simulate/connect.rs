//! One endpoint: the TLS the client sends and what the server's PeerAuthentication
//! accepts, the AuthorizationPolicies of the server's sidecar, and the NetworkPolicies
//! of both pods — then the branch's leaf.

use super::super::inject::sidecar_injected;
use super::super::security::{self, AuthzInput};
use super::super::types::{MtlsMode, TlsMode};
use super::destination::{Ep, Upstream};
use super::view::View;
use super::{at, principal, Client, Proxy, Sim};
use crate::conn::{ConnSet, Protocol};
use crate::model::Workload;
use crate::netpol::explain::{explain_ends, End, Explanation, Refusal, SideExplanation};
use crate::policy::Action;
use std::net::IpAddr;

/// What the client sends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sends {
    Plaintext,
    Mtls,
    /// TLS with user certificates (DestinationRule SIMPLE or MUTUAL).
    Tls(TlsMode),
}

/// What the server's sidecar (or application) makes of the connection.
struct Accepted {
    /// The TLS handshake works out.
    ok: bool,
    /// The client's mesh identity, over Istio mutual TLS.
    identity: Option<String>,
    /// TLS that is not Istio's goes to the application as opaque TCP.
    passthrough_tls: bool,
}

impl<'c> Sim<'c> {
    /// TLS, PeerAuthentication, AuthorizationPolicy and NetworkPolicy for one endpoint.
    pub(super) fn connect(
        &mut self,
        client: &Client<'_>,
        up: &Upstream,
        ep: &Ep,
        external: bool,
        fraction: f64,
        view: &View,
    ) {
        let c = self.cluster;
        let (sends, why) = self.client_sends(client, up, ep, external);
        let sends_text = match sends {
            Sends::Plaintext => "plaintext".to_string(),
            Sends::Mtls => "Istio mutual TLS".to_string(),
            Sends::Tls(m) => format!("TLS originated by the sidecar ({})", m.as_str()),
        };
        self.step("tls", format!("the client sends {sends_text}: {why}"), None);
        let subset = up.subset.as_ref().map(|(n, _)| n.clone());
        let (port, server) = match ep {
            Ep::External { name, ip, port } => {
                self.connect_outside(client, name, *ip, *port, subset, fraction);
                return;
            }
            Ep::Workload { w, port } => (*port, &c.workloads[*w]),
        };
        let kind = match sends {
            Sends::Plaintext => "plaintext",
            Sends::Mtls => "mTLS",
            Sends::Tls(_) => "TLS",
        };
        self.tls.insert(server.endpoint_name(), kind);
        let server_injected = sidecar_injected(c, server).injected;
        let accepted = self.server_accepts(client, sends, server, server_injected, port);
        // Authorization (only a server sidecar enforces it).
        let denied = accepted.ok && !self.authorize(server, server_injected, &accepted, port, view);
        let netpol_ok = self.network_policy(client, server, server_injected, port, up.port);
        match (netpol_ok, accepted.ok, denied) {
            (false, _, _) => self.leaf(fraction, 503, None, "dropped by a NetworkPolicy"),
            (true, false, _) => self.leaf(fraction, 503, None, "mTLS mismatch"),
            (true, true, true) => self.leaf(fraction, 403, None, "denied by an AuthorizationPolicy"),
            (true, true, false) => self.leaf(fraction, 200, Some((server.endpoint_name(), subset)), "delivered"),
        }
    }

    /// What the client sends, and why: the DestinationRule's TLS mode, else auto mTLS.
    fn client_sends(&self, client: &Client<'_>, up: &Upstream, ep: &Ep, external: bool) -> (Sends, String) {
        let c = self.cluster;
        if client.proxy == Proxy::None {
            return (Sends::Plaintext, "the client has no sidecar".to_string());
        }
        match &up.tls {
            Some((TlsMode::Disable, from)) => (Sends::Plaintext, format!("DestinationRule tls mode DISABLE ({from})")),
            Some((TlsMode::IstioMutual, from)) => {
                (Sends::Mtls, format!("DestinationRule tls mode ISTIO_MUTUAL ({from})"))
            }
            Some((m, from)) => (
                Sends::Tls(*m),
                format!("DestinationRule tls mode {} ({from})", m.as_str()),
            ),
            None => match ep {
                Ep::External { .. } => (
                    Sends::Plaintext,
                    "auto mTLS: the destination is outside the mesh".into(),
                ),
                Ep::Workload { w, .. } => {
                    let svc_ns = &up.namespace;
                    if external {
                        (Sends::Plaintext, "auto mTLS: the ServiceEntry is MESH_EXTERNAL".into())
                    } else if let Some((MtlsMode::Disable, id)) = security::namespace_mode(c, svc_ns) {
                        (
                            Sends::Plaintext,
                            format!("auto mTLS: PeerAuthentication {id} disables mTLS for namespace {svc_ns}"),
                        )
                    } else if sidecar_injected(c, &c.workloads[*w]).injected {
                        (
                            Sends::Mtls,
                            "auto mTLS: no DestinationRule sets tls, and the server has a sidecar".into(),
                        )
                    } else {
                        (
                            Sends::Plaintext,
                            "auto mTLS: no DestinationRule sets tls, and the server has no sidecar".into(),
                        )
                    }
                }
            },
        }
    }

    /// An endpoint outside the mesh: only the client's egress NetworkPolicy can stop it.
    fn connect_outside(
        &mut self,
        client: &Client<'_>,
        name: &str,
        ip: Option<IpAddr>,
        port: u16,
        subset: Option<String>,
        fraction: f64,
    ) {
        let cw = client.w;
        let Some(ip) = ip else {
            self.step(
                "network-policy",
                format!(
                    "the address of {name} is not in the input: the client's egress NetworkPolicies cannot be evaluated for it (assumed allowed)"
                ),
                None,
            );
            self.leaf(fraction, 200, Some((name.to_string(), subset)), "delivered");
            return;
        };
        let e = explain_ends(
            self.cluster,
            End::Workload(cw),
            End::Ip(ip),
            Some((Protocol::Tcp, port)),
        );
        if e.probe_allowed == Some(true) {
            self.step(
                "network-policy",
                format!("egress of {} to {ip} TCP {port}: allowed", cw.endpoint_name()),
                None,
            );
            self.leaf(fraction, 200, Some((name.to_string(), subset)), "delivered");
        } else {
            let text = side_text(&e.egress, &cw.endpoint_name(), "egress", &ip.to_string(), port);
            self.step("network-policy", format!("dropped: {text}"), None);
            self.leaf(fraction, 503, None, "NetworkPolicy");
        }
    }

    /// What the server accepts: its application without a sidecar, else its sidecar by
    /// the PeerAuthentication mode on the port.
    fn server_accepts(
        &mut self,
        client: &Client<'_>,
        sends: Sends,
        sw: &Workload,
        server_injected: bool,
        port: u16,
    ) -> Accepted {
        let c = self.cluster;
        let mut accepted = Accepted {
            ok: true,
            identity: None,
            passthrough_tls: false,
        };
        if !server_injected {
            let (ok, text) = match sends {
                Sends::Mtls => (
                    false,
                    "the server has no sidecar to terminate Istio mutual TLS: the application receives a TLS handshake it does not expect and the connection fails (503)".to_string(),
                ),
                Sends::Tls(_) => (
                    true,
                    "the server has no sidecar: the application must terminate the TLS itself (netplay assumes it does)".to_string(),
                ),
                Sends::Plaintext => (
                    true,
                    "the server has no sidecar: no PeerAuthentication applies, plaintext is accepted".to_string(),
                ),
            };
            accepted.ok = ok;
            self.step("peer-authentication", format!("{}: {text}", sw.endpoint_name()), None);
            return accepted;
        }
        let pm = security::peer_mode(c, sw, port);
        let mode = pm.mode.as_str();
        let cw = client.w;
        let (ok, text) = match (sends, pm.mode) {
            (Sends::Plaintext, MtlsMode::Strict) => (false, "STRICT accepts only mutual TLS: the plaintext connection is rejected (503)".to_string()),
            (Sends::Plaintext, _) => (true, format!("{mode} accepts plaintext: allowed, but without a peer identity")),
            (Sends::Mtls, MtlsMode::Disable) => (false, "DISABLE accepts only plaintext: the mutual TLS handshake fails (503)".to_string()),
            (Sends::Mtls, _) => {
                accepted.identity = Some(principal(cw));
                (true, format!("{mode} accepts mutual TLS: peer identity {}", principal(cw)))
            }
            (Sends::Tls(m), MtlsMode::Strict) => (
                false,
                format!("STRICT requires Istio mutual TLS with a mesh certificate: TLS originated with mode {} is rejected (503)", m.as_str()),
            ),
            (Sends::Tls(_), _) => {
                accepted.passthrough_tls = true;
                (true, format!("{mode}: the TLS connection is not Istio mTLS, so the sidecar passes it to the application as opaque TCP (no peer identity)"))
            }
        };
        accepted.ok = ok;
        self.step(
            "peer-authentication",
            format!("{} port {port}: {mode} from {}. {text}", sw.endpoint_name(), pm.explain),
            pm.loc,
        );
        accepted
    }

    /// The AuthorizationPolicies of the server's sidecar. Returns whether the request
    /// is allowed (always, without a sidecar).
    fn authorize(&mut self, sw: &Workload, server_injected: bool, accepted: &Accepted, port: u16, view: &View) -> bool {
        let c = self.cluster;
        if !server_injected {
            if !c.mesh.authorization_policies.is_empty() {
                self.step(
                    "authorization",
                    format!(
                        "{} has no sidecar: AuthorizationPolicies are not enforced",
                        sw.endpoint_name()
                    ),
                    None,
                );
            }
            return true;
        }
        let host = view.host();
        let input = AuthzInput {
            http: view.http && !accepted.passthrough_tls,
            principal: accepted.identity.clone(),
            method: &view.method,
            path: &view.path,
            host: &host,
            port,
            headers: &view.headers,
        };
        let r = security::authorize(c, sw, &input);
        for l in &r.lines {
            self.step("authorization", l.clone(), None);
        }
        let proto = if input.http { "" } else { " (TCP connection)" };
        self.step("authorization", format!("{}{proto}", r.verdict), r.loc.clone());
        r.allowed
    }

    /// NetworkPolicy: pod to pod on the target port, with or without sidecars. Returns
    /// whether both ends admit the connection.
    fn network_policy(
        &mut self,
        client: &Client<'_>,
        sw: &Workload,
        server_injected: bool,
        port: u16,
        svc_port: u16,
    ) -> bool {
        let cw = client.w;
        let e = explain_ends(
            self.cluster,
            End::Workload(cw),
            End::Workload(sw),
            Some((Protocol::Tcp, port)),
        );
        let netpol_ok = e.probe_allowed == Some(true);
        let note = if client.proxy != Proxy::None && server_injected {
            format!(
                " (proxy to sidecar: the client's {} connects to the pod itself, so NetworkPolicy sees pod to pod on the target port {port}{})",
                if client.proxy == Proxy::Gateway { "gateway" } else { "sidecar" },
                if svc_port != port { format!(", not the Service port {svc_port}") } else { String::new() }
            )
        } else if svc_port != port {
            format!(" (NetworkPolicy sees the target port {port}, not the Service port {svc_port})")
        } else {
            String::new()
        };
        if netpol_ok {
            let deciding = deciding_rules(&e);
            self.step(
                "network-policy",
                format!(
                    "{} → {} TCP {port}: allowed{deciding}{note}",
                    cw.endpoint_name(),
                    sw.endpoint_name()
                ),
                None,
            );
        } else {
            let text = if !e.egress.allowed.contains(Protocol::Tcp, port) {
                side_text(&e.egress, &cw.endpoint_name(), "egress", &sw.endpoint_name(), port)
            } else {
                side_text(&e.ingress, &sw.endpoint_name(), "ingress", &cw.endpoint_name(), port)
            };
            // The refusing side's deciding rule (an admin tier's Deny) or policy.
            let loc = [&e.ingress, &e.egress]
                .into_iter()
                .find_map(|side| side.refusal(Protocol::Tcp, port).and_then(|r| r.loc().cloned()));
            self.step("network-policy", format!("dropped: {text}{note}"), loc);
        }
        netpol_ok
    }
}

/// Why one side of a NetworkPolicy check does not admit the connection: a Deny rule of an
/// admin tier, or the NetworkPolicies that isolate it.
fn side_text(side: &SideExplanation, who: &str, dir: &str, peer: &str, port: u16) -> String {
    if let Some(r @ Refusal::Rule(_)) = side.refusal(Protocol::Tcp, port) {
        return format!("{dir} of {who}: {r} takes {peer} on TCP {port}");
    }
    let pols: Vec<String> = side
        .isolated_by
        .iter()
        .map(|p| format!("{} ({})", p.policy, at(&p.loc)))
        .collect();
    format!(
        "{dir} of {who} is isolated by NetworkPolicy {} and no {dir} rule admits {peer} on TCP {port}",
        pols.join(", ")
    )
}

/// The rules that admit the probe, for an allowed connection.
fn deciding_rules(e: &Explanation) -> String {
    let mut parts = Vec::new();
    for side in [&e.egress, &e.ingress] {
        for t in &side.tiers {
            if t.action == Action::Allow.as_str() && t.rule.decides == Some(true) {
                parts.push(format!(
                    "[{} {}] {} {} ({})",
                    t.tier,
                    t.policy_ref,
                    t.rule.direction,
                    t.rule_label,
                    at(&t.rule.rule_loc)
                ));
            }
        }
        if side.isolated_by.is_empty() {
            continue;
        }
        for m in &side.admitted_by {
            let admits = ConnSet::parse(&m.conn).is_some_and(|c| {
                e.probe
                    .as_deref()
                    .and_then(|p| p.split_once(' '))
                    .and_then(|(_, n)| n.parse::<u16>().ok())
                    .is_some_and(|n| c.contains(Protocol::Tcp, n))
            });
            if admits {
                parts.push(format!(
                    "{} {} rule {} ({})",
                    m.policy,
                    m.direction,
                    m.rule + 1,
                    at(&m.rule_loc)
                ));
            }
        }
    }
    if parts.is_empty() {
        " (no NetworkPolicy isolates either side)".to_string()
    } else {
        format!(" by {}", parts.join(", "))
    }
}
