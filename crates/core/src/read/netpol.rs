//! Turns a NetworkPolicy as written into the validated form the engines use.
//!
//! Validation follows the API server's: a policy it would reject (bad CIDR, port out of
//! range, empty peer, bad selector…) never exists in a cluster, so it is reported as an
//! error and left out of evaluation.

use crate::conn::Protocol;
use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::{DisplayPath, DocumentLines, PathSeg};
use crate::parse::RawObject;
use crate::policy::*;
use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Builds a path from literal keys and indices.
macro_rules! path {
    ($($seg:expr),* $(,)?) => { [$(PathSeg::from($seg)),*] };
}

impl From<&str> for PathSeg {
    fn from(k: &str) -> Self {
        PathSeg::Key(k.to_string())
    }
}

impl From<usize> for PathSeg {
    fn from(i: usize) -> Self {
        PathSeg::Index(i)
    }
}

struct Ctx<'a> {
    obj: &'a RawObject,
    /// The policy's document split into lines once, for the locations of its rules,
    /// peers and ports.
    lines: std::cell::OnceCell<DocumentLines<'a>>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn loc(&self, path: &[PathSeg]) -> Location {
        self.obj
            .locate_in(self.lines.get_or_init(|| self.obj.doc.lines()), path)
    }

    fn error(&mut self, code: &'static str, path: &[PathSeg], msg: String) {
        let d = Diagnostic::new(code, msg)
            .at(&self.loc(path))
            .resource(self.obj.resource());
        self.errors.push(d);
    }
}

/// Reads a NetworkPolicy object's `spec` (its read diagnostics into `diags`) and compiles
/// it; `Err` when `spec` cannot be read at all.
pub(super) fn read_and_compile(
    obj: &RawObject,
    namespace: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<(Option<Policy>, Vec<Diagnostic>), Box<Diagnostic>> {
    super::field::<NetworkPolicySpec>(obj, &["spec"], diags)
        .map(|spec| compile(obj, namespace, spec.unwrap_or_default()))
}

/// Compiles one NetworkPolicy. Returns the policy when it is valid, and every diagnostic
/// (errors make the policy `None`).
pub fn compile(obj: &RawObject, namespace: &str, spec: NetworkPolicySpec) -> (Option<Policy>, Vec<Diagnostic>) {
    let mut cx = Ctx {
        obj,
        lines: Default::default(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let spec_path = path!["spec"];
    let pod_selector_path = path!["spec", "podSelector"];
    let pod_selector = selector(&mut cx, spec.pod_selector.as_ref(), &pod_selector_path).unwrap_or_default();
    let pod_selector_loc = if spec.pod_selector.is_some() {
        cx.loc(&pod_selector_path)
    } else {
        cx.loc(&spec_path)
    };

    // policyTypes defaulting (networking/v1 defaults.go): Ingress always, plus Egress when
    // the egress list is non-empty.
    let (mut has_ingress, mut has_egress) = (false, false);
    let policy_types_loc = spec
        .policy_types
        .as_ref()
        .map(|_| cx.loc(&path!["spec", "policyTypes"]));
    match spec.policy_types.as_deref() {
        None | Some([]) => {
            has_ingress = true;
            has_egress = spec.egress.as_ref().is_some_and(|e| !e.is_empty());
        }
        Some(types) => {
            if types.len() > 2 {
                cx.error(
                    "NP0016",
                    &path!["spec", "policyTypes"],
                    "policyTypes may not list more than two types".into(),
                );
            }
            for (i, t) in types.iter().enumerate() {
                match t.as_str() {
                    "Ingress" => has_ingress = true,
                    "Egress" => has_egress = true,
                    other => cx.error(
                        "NP0016",
                        &path!["spec", "policyTypes", i],
                        format!("policyTypes[{i}]: unsupported value {other:?}: supported values are \"Ingress\" and \"Egress\""),
                    ),
                }
            }
        }
    }

    let mut ingress_rules = Vec::new();
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let base = path!["spec", "ingress", i];
        ingress_rules.push(compile_rule(
            &mut cx,
            i,
            &base,
            "from",
            rule.from.as_deref(),
            rule.ports.as_deref(),
        ));
    }
    let mut egress_rules = Vec::new();
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let base = path!["spec", "egress", i];
        egress_rules.push(compile_rule(
            &mut cx,
            i,
            &base,
            "to",
            rule.to.as_deref(),
            rule.ports.as_deref(),
        ));
    }

    let mut diags = cx.errors;
    let valid = diags.is_empty();
    diags.append(&mut cx.warnings);
    if !valid {
        return (None, diags);
    }
    // NetworkPolicy is the isolation tier; its rules only allow.
    let policy = Policy {
        kind: PolicyKind::NetworkPolicy,
        tier: Tier::NetworkPolicy,
        priority: 0,
        namespace: namespace.to_string(),
        name: obj.name.clone(),
        loc: obj.loc.clone(),
        namespace_selector: None,
        pod_selector,
        pod_selector_loc,
        ingress: has_ingress.then_some(ingress_rules),
        egress: has_egress.then_some(egress_rules),
        policy_types_loc,
        calico: None,
    };
    (Some(policy), diags)
}

fn compile_rule(
    cx: &mut Ctx,
    index: usize,
    base: &[PathSeg],
    peers_key: &str,
    peers: Option<&[NetworkPolicyPeer]>,
    ports: Option<&[NetworkPolicyPort]>,
) -> Rule {
    let loc = cx.loc(base);
    let peers = match peers {
        None | Some([]) => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .filter_map(|(j, p)| {
                    let mut path = base.to_vec();
                    path.push(peers_key.into());
                    path.push(j.into());
                    compile_peer(cx, p, &path)
                })
                .collect(),
        ),
    };
    let ports = match ports {
        None | Some([]) => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .filter_map(|(j, p)| {
                    let mut path = base.to_vec();
                    path.push("ports".into());
                    path.push(j.into());
                    compile_port(cx, p, &path)
                })
                .collect(),
        ),
    };
    Rule {
        index,
        name: None,
        action: Action::Allow,
        peers,
        ports,
        except_ports: Vec::new(),
        loc,
    }
}

fn with(path: &[PathSeg], key: &str) -> Vec<PathSeg> {
    let mut p = path.to_vec();
    p.push(key.into());
    p
}

fn compile_peer(cx: &mut Ctx, peer: &NetworkPolicyPeer, path: &[PathSeg]) -> Option<Peer> {
    let loc = cx.loc(path);
    let has_selector = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
    match (&peer.ip_block, has_selector) {
        (None, false) => {
            cx.error(
                "NP0013",
                path,
                "a peer must specify podSelector, namespaceSelector or ipBlock; `{}` is not a peer".into(),
            );
            None
        }
        (Some(_), true) => {
            cx.error(
                "NP0013",
                path,
                "a peer may not combine ipBlock with podSelector or namespaceSelector".into(),
            );
            None
        }
        (Some(block), false) => ip_block(cx, block, &with(path, "ipBlock")).map(|kind| Peer { kind, loc }),
        (None, true) => {
            let pods = selector(cx, peer.pod_selector.as_ref(), &with(path, "podSelector"));
            let namespaces = selector(cx, peer.namespace_selector.as_ref(), &with(path, "namespaceSelector"));
            Some(Peer {
                kind: PeerKind::Pods { pods, namespaces },
                loc,
            })
        }
    }
}

fn ip_block(cx: &mut Ctx, block: &IPBlock, path: &[PathSeg]) -> Option<PeerKind> {
    let cidr_path = with(path, "cidr");
    let cidr = parse_cidr(cx, &block.cidr, &cidr_path)?;
    let mut except = Vec::new();
    let mut ok = true;
    for (i, e) in block.except.iter().flatten().enumerate() {
        let mut p = with(path, "except");
        p.push(i.into());
        let Some(net) = parse_cidr(cx, e, &p) else {
            ok = false;
            continue;
        };
        // Validation: each except must be a strict subset of cidr.
        if !(cidr.contains(&net.network()) && net.prefix_len() > cidr.prefix_len()) {
            cx.error(
                "NP0015",
                &p,
                format!(
                    "except {e} is not strictly inside cidr {}: the API server rejects this policy",
                    block.cidr
                ),
            );
            ok = false;
            continue;
        }
        except.push(net);
    }
    ok.then_some(PeerKind::IpBlock { cidr, except })
}

fn parse_cidr(cx: &mut Ctx, text: &str, path: &[PathSeg]) -> Option<IpNet> {
    match text.trim().parse::<IpNet>() {
        Ok(net) if text.trim() == text => {
            if net.trunc() != net {
                let d = Diagnostic::new(
                    "NP1007",
                    format!("CIDR {text} has host bits set; it means {}", net.trunc()),
                )
                .at(&cx.loc(path))
                .resource(cx.obj.resource())
                .help(format!("write {}", net.trunc()));
                cx.warnings.push(d);
            }
            Some(net.trunc())
        }
        _ => {
            let hint = if text.contains('/') {
                ""
            } else {
                " (a prefix length like /32 is required)"
            };
            cx.error("NP0010", path, format!("invalid CIDR {text:?}{hint}"));
            None
        }
    }
}

fn compile_port(cx: &mut Ctx, port: &NetworkPolicyPort, path: &[PathSeg]) -> Option<PortSpec> {
    // Point at the `port:` line when there is one: that is what a reader looks for.
    let loc = if port.port.is_some() {
        cx.loc(&with(path, "port"))
    } else {
        cx.loc(path)
    };
    let protocol = match port.protocol.as_deref() {
        None => Protocol::Tcp,
        Some(p) => match Protocol::parse(p) {
            Some(p) => p,
            None => {
                cx.error(
                    "NP0012",
                    &with(path, "protocol"),
                    format!("unsupported protocol {p:?}: supported values are \"TCP\", \"UDP\" and \"SCTP\""),
                );
                return None;
            }
        },
    };
    let port_path = with(path, "port");
    let end_path = with(path, "endPort");
    let port_ref = match &port.port {
        None => {
            if port.end_port.is_some() {
                cx.error(
                    "NP0011",
                    &end_path,
                    "endPort may only be set together with a numeric port".into(),
                );
                return None;
            }
            PortRef::Any
        }
        Some(IntOrString::Int(n)) => {
            let Some(lo) = valid_port(*n) else {
                cx.error(
                    "NP0011",
                    &port_path,
                    format!("port {n} is out of range: it must be between 1 and 65535"),
                );
                return None;
            };
            match port.end_port {
                None => PortRef::Range(lo, lo),
                Some(e) => {
                    let Some(hi) = valid_port(e) else {
                        cx.error(
                            "NP0011",
                            &end_path,
                            format!("endPort {e} is out of range: it must be between 1 and 65535"),
                        );
                        return None;
                    };
                    if hi < lo {
                        cx.error("NP0011", &end_path, format!("endPort {hi} is less than port {lo}"));
                        return None;
                    }
                    PortRef::Range(lo, hi)
                }
            }
        }
        Some(IntOrString::String(name)) => {
            if port.end_port.is_some() {
                cx.error("NP0011", &end_path, "endPort may not be used with a named port".into());
                return None;
            }
            if let Err(why) = check_port_name(name) {
                let hint = if name.parse::<i64>().is_ok() {
                    " (write the number without quotes)"
                } else {
                    ""
                };
                cx.error("NP0011", &port_path, format!("invalid port name {name:?}: {why}{hint}"));
                return None;
            }
            PortRef::Named(name.clone())
        }
    };
    Some(PortSpec {
        protocol,
        port: port_ref,
        loc,
        l7: None,
    })
}

fn valid_port(n: i32) -> Option<u16> {
    u16::try_from(n).ok().filter(|&p| p >= 1)
}

/// IANA_SVC_NAME, as the API validates named ports.
pub fn check_port_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 15 {
        return Err("a port name must be 1 to 15 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("a port name may contain only lower-case letters, digits and '-'");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err("a port name must contain at least one letter");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err("a port name may not begin or end with '-' or contain '--'");
    }
    Ok(())
}

fn selector(cx: &mut Ctx, sel: Option<&LabelSelector>, path: &[PathSeg]) -> Option<Selector> {
    let sel = sel?;
    let mut out = Selector::default();
    for (k, v) in sel.match_labels.iter().flatten() {
        let p = with(&with(path, "matchLabels"), k);
        if let Err(why) = check_label_key(k) {
            cx.error("NP0014", &p, format!("invalid label key {k:?}: {why}"));
        }
        if let Err(why) = check_label_value(v) {
            cx.error("NP0014", &p, format!("invalid label value {v:?} for {k}: {why}"));
        }
        out.match_labels.push((k.clone(), v.clone()));
    }
    for (i, expr) in sel.match_expressions.iter().flatten().enumerate() {
        let mut p = with(path, "matchExpressions");
        p.push(i.into());
        let values = expr.values.clone().unwrap_or_default();
        let operator = match expr.operator.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            other => {
                cx.error(
                    "NP0014",
                    &with(&p, "operator"),
                    format!("unknown operator {other:?}: use In, NotIn, Exists or DoesNotExist"),
                );
                continue;
            }
        };
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                cx.error(
                    "NP0014",
                    &p,
                    format!("operator {} needs at least one value", expr.operator),
                );
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                cx.error("NP0014", &p, format!("operator {} takes no values", expr.operator));
            }
            // The values of In and NotIn are label values (the API server's wording).
            Operator::In | Operator::NotIn => {
                for (vi, value) in values.iter().enumerate() {
                    let errs = super::names::label_value(value);
                    if !errs.is_empty() {
                        let mut vp = with(&p, "values");
                        vp.push(vi.into());
                        let msg = format!("{}: Invalid value: {value:?}: {}", DisplayPath(&vp), errs.join(", "));
                        cx.error("NP0014", &vp, msg);
                    }
                }
            }
            _ => {}
        }
        if let Err(why) = check_label_key(&expr.key) {
            cx.error(
                "NP0014",
                &with(&p, "key"),
                format!("invalid label key {:?}: {why}", expr.key),
            );
        }
        out.requirements.push(Requirement {
            key: expr.key.clone(),
            operator,
            values,
        });
    }
    Some(out)
}

/// Validates a label selector as the API server does (NP0014 at each bad key, value or
/// operator), for the readers of the other policy kinds.
pub(crate) fn label_selector(obj: &RawObject, sel: &LabelSelector, path: &[PathSeg]) -> (Selector, Vec<Diagnostic>) {
    let mut cx = Ctx {
        obj,
        lines: Default::default(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let out = selector(&mut cx, Some(sel), path).unwrap_or_default();
    (out, cx.errors)
}

fn is_name_segment(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A qualified name: optional DNS-subdomain prefix and `/`, then a name segment.
pub fn check_label_key(key: &str) -> Result<(), &'static str> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            let ok = !prefix.is_empty()
                && prefix.len() <= 253
                && prefix.split('.').all(|l| {
                    let b = l.as_bytes();
                    !b.is_empty()
                        && b[0].is_ascii_alphanumeric()
                        && b[b.len() - 1].is_ascii_alphanumeric()
                        && b.iter()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                });
            if !ok {
                return Err("the prefix must be a DNS subdomain (lower case)");
            }
            name
        }
        None => key,
    };
    if is_name_segment(name) {
        Ok(())
    } else {
        Err("a name must be 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric")
    }
}

pub fn check_label_value(v: &str) -> Result<(), &'static str> {
    if v.is_empty() || is_name_segment(v) {
        Ok(())
    } else {
        Err("a value must be empty or 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_port_name("http").is_ok());
        assert!(check_port_name("80").is_err());
        assert!(check_port_name("a--b").is_err());
        assert!(check_label_key("app.kubernetes.io/name").is_ok());
        assert!(check_label_key("kubernetes.io/metadata.name").is_ok());
        assert!(check_label_key("Bad/x").is_err());
        assert!(check_label_key("-x").is_err());
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("a b").is_err());
    }
}
