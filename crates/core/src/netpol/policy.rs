//! NetworkPolicies as the engines use them: validated, with every part located in the
//! input so that explanations can point at the deciding line.

use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Location;
use crate::model::{ContainerPort, Labels};
use ipnet::IpNet;
use std::fmt;

/// A label selector requirement operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

/// A validated label selector: `matchLabels` and `matchExpressions` ANDed. The empty
/// selector matches everything.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Selector {
    pub match_labels: Vec<(String, String)>,
    pub requirements: Vec<Requirement>,
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.requirements.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator {
                    Operator::In => value.is_some_and(|v| r.values.contains(v)),
                    Operator::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }
}

/// kubectl's selector syntax: `app=web,tier in (a,b),!debug`; `{}` for the empty one.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("{} (everything)");
        }
        let mut parts: Vec<String> = self.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for r in &self.requirements {
            parts.push(match r.operator {
                Operator::In => format!("{} in ({})", r.key, r.values.join(",")),
                Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Operator::Exists => r.key.clone(),
                Operator::DoesNotExist => format!("!{}", r.key),
            });
        }
        f.write_str(&parts.join(","))
    }
}

/// Who a rule's peer is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PeerKind {
    /// Pods: `pods` selects pods (None = all pods) in the namespaces `namespaces` selects
    /// (None = the policy's own namespace).
    Pods {
        pods: Option<Selector>,
        namespaces: Option<Selector>,
    },
    /// Addresses outside the cluster: `cidr` minus every `except`.
    IpBlock { cidr: IpNet, except: Vec<IpNet> },
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Peer {
    pub kind: PeerKind,
    pub loc: Location,
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerKind::Pods { pods, namespaces } => {
                let pods = pods.as_ref().map_or("all pods".to_string(), |s| format!("pods [{s}]"));
                match namespaces {
                    None => write!(f, "{pods} in the policy's namespace"),
                    Some(ns) => write!(f, "{pods} in namespaces [{ns}]"),
                }
            }
            PeerKind::IpBlock { cidr, except } if except.is_empty() => write!(f, "ipBlock {cidr}"),
            PeerKind::IpBlock { cidr, except } => {
                let ex: Vec<String> = except.iter().map(|e| e.to_string()).collect();
                write!(f, "ipBlock {cidr} except {}", ex.join(", "))
            }
        }
    }
}

/// What a port entry of a rule names.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PortRef {
    /// No `port`: every port of the protocol.
    Any,
    /// `port` with optional `endPort`, inclusive.
    Range(u16, u16),
    /// A named container port, resolved on the destination pod.
    Named(String),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PortSpec {
    pub protocol: Protocol,
    pub port: PortRef,
    pub loc: Location,
}

impl PortSpec {
    /// The ports this entry allows towards a destination with these container ports
    /// (`None` for an address outside the cluster, where a named port resolves nowhere).
    pub fn resolve(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        match &self.port {
            PortRef::Any => ConnSet::protocol(self.protocol),
            PortRef::Range(lo, hi) => ConnSet::port_range(self.protocol, *lo, *hi),
            PortRef::Named(name) => {
                let mut c = ConnSet::none();
                for cp in dst_ports.unwrap_or(&[]) {
                    if cp.name.as_deref() == Some(name.as_str()) && cp.protocol == self.protocol {
                        c.union_with(&ConnSet::port_range(cp.protocol, cp.port, cp.port));
                    }
                }
                c
            }
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.port {
            PortRef::Any => write!(f, "{} (all ports)", self.protocol),
            PortRef::Range(lo, hi) if lo == hi => write!(f, "{} {lo}", self.protocol),
            PortRef::Range(lo, hi) => write!(f, "{} {lo}-{hi}", self.protocol),
            PortRef::Named(n) => write!(f, "{} port named {n:?}", self.protocol),
        }
    }
}

/// One ingress or egress rule.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rule {
    pub index: usize,
    /// `None`: the rule has no `from`/`to` (or an empty one) and matches every peer,
    /// inside and outside the cluster.
    pub peers: Option<Vec<Peer>>,
    /// `None`: the rule has no `ports` (or an empty list) and matches every port.
    pub ports: Option<Vec<PortSpec>>,
    pub loc: Location,
}

impl Rule {
    /// The connections this rule allows towards a destination with these container ports
    /// (`None` for an external destination).
    pub fn conn_for(&self, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        match &self.ports {
            None => ConnSet::all(),
            Some(ports) => {
                let mut c = ConnSet::none();
                for p in ports {
                    c.union_with(&p.resolve(dst_ports));
                }
                c
            }
        }
    }

    /// Whether any port entry is named (the rule's connections then depend on the
    /// destination pod).
    pub fn has_named_ports(&self) -> bool {
        self.ports.iter().flatten().any(|p| matches!(p.port, PortRef::Named(_)))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// A valid NetworkPolicy.
#[derive(Clone, Debug)]
pub struct NetworkPolicy {
    pub namespace: String,
    pub name: String,
    pub loc: Location,
    pub pod_selector: Selector,
    pub pod_selector_loc: Location,
    /// `Some` iff the policy's (defaulted) policyTypes include Ingress.
    pub ingress: Option<Vec<Rule>>,
    /// `Some` iff the policy's (defaulted) policyTypes include Egress.
    pub egress: Option<Vec<Rule>>,
    /// Where `policyTypes` is written, when it is.
    pub policy_types_loc: Option<Location>,
    /// The spec as written, for the reference evaluator (which reads the API object
    /// directly, independently of this compiled form).
    pub spec: k8s_openapi::api::networking::v1::NetworkPolicySpec,
}

impl NetworkPolicy {
    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    pub fn rules(&self, dir: Direction) -> Option<&[Rule]> {
        match dir {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}
