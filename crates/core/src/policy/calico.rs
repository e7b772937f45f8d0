//! Calico's part of the rule model: selector expressions, what they are matched against
//! (endpoints, namespaces, service accounts, network sets), entity rules as peers and the
//! policy-level subject. Readers build these (crates/core/src/read/calico/); the fast
//! engine, explain and the checks match with them; the reference evaluator has its own
//! matcher.
//!
//! Calico's documentation (reference/resources/networkpolicy, "Selectors" and
//! "EntityRule") is the source of every rule here.

use crate::model::workload::Labels;
use ipnet::IpNet;
use std::fmt;

/// The label Calico gives every workload endpoint with its namespace's name.
pub const LABEL_NAMESPACE: &str = "projectcalico.org/namespace";
/// The label Calico gives every workload endpoint with its orchestrator (`k8s`).
pub const LABEL_ORCHESTRATOR: &str = "projectcalico.org/orchestrator";
/// The label Calico gives every workload endpoint with its service account's name.
pub const LABEL_SERVICE_ACCOUNT: &str = "projectcalico.org/serviceaccount";
/// The label a namespace (or a service account) is selected by name with.
pub const LABEL_NAME: &str = "projectcalico.org/name";
/// Namespace labels as endpoints inherit them from their namespace's profile.
pub const NAMESPACE_LABEL_PREFIX: &str = "pcns.";

/// A parsed selector expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `all()`: every resource in scope.
    All,
    /// `global()`: every non-namespaced resource.
    Global,
    Has(String),
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Contains(String, String),
    StartsWith(String, String),
    EndsWith(String, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// What a selector is matched against: a label lookup, and whether the resource is
/// non-namespaced (`global()`).
pub trait Labelled {
    fn label(&self, key: &str) -> Option<&str>;
    fn is_global(&self) -> bool {
        false
    }
}

impl Expr {
    pub fn matches(&self, r: &dyn Labelled) -> bool {
        match self {
            Expr::All => true,
            Expr::Global => r.is_global(),
            Expr::Has(k) => r.label(k).is_some(),
            Expr::Eq(k, v) => r.label(k) == Some(v.as_str()),
            Expr::Ne(k, v) => r.label(k) != Some(v.as_str()),
            Expr::In(k, vs) => r.label(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Expr::NotIn(k, vs) => !r.label(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Expr::Contains(k, s) => r.label(k).is_some_and(|x| x.contains(s.as_str())),
            Expr::StartsWith(k, s) => r.label(k).is_some_and(|x| x.starts_with(s.as_str())),
            Expr::EndsWith(k, s) => r.label(k).is_some_and(|x| x.ends_with(s.as_str())),
            Expr::Not(e) => !e.matches(r),
            Expr::And(a, b) => a.matches(r) && b.matches(r),
            Expr::Or(a, b) => a.matches(r) || b.matches(r),
        }
    }

    /// Whether the expression mentions `global()` (a namespace selector that reaches
    /// non-namespaced resources).
    pub fn mentions_global(&self) -> bool {
        match self {
            Expr::Global => true,
            Expr::Not(e) => e.mentions_global(),
            Expr::And(a, b) | Expr::Or(a, b) => a.mentions_global() || b.mentions_global(),
            _ => false,
        }
    }
}

fn quoted(v: &str) -> String {
    if v.contains('\'') {
        format!("\"{v}\"")
    } else {
        format!("'{v}'")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |vs: &[String]| vs.iter().map(|v| quoted(v)).collect::<Vec<_>>().join(", ");
        match self {
            Expr::All => f.write_str("all()"),
            Expr::Global => f.write_str("global()"),
            Expr::Has(k) => write!(f, "has({k})"),
            Expr::Eq(k, v) => write!(f, "{k} == {}", quoted(v)),
            Expr::Ne(k, v) => write!(f, "{k} != {}", quoted(v)),
            Expr::In(k, vs) => write!(f, "{k} in {{{}}}", set(vs)),
            Expr::NotIn(k, vs) => write!(f, "{k} not in {{{}}}", set(vs)),
            Expr::Contains(k, v) => write!(f, "{k} contains {}", quoted(v)),
            Expr::StartsWith(k, v) => write!(f, "{k} starts with {}", quoted(v)),
            Expr::EndsWith(k, v) => write!(f, "{k} ends with {}", quoted(v)),
            Expr::Not(e) => match e.as_ref() {
                Expr::And(..) | Expr::Or(..) => write!(f, "!({e})"),
                _ => write!(f, "!{e}"),
            },
            Expr::And(a, b) => {
                let side = |e: &Expr| match e {
                    Expr::Or(..) => format!("({e})"),
                    _ => e.to_string(),
                };
                write!(f, "{} && {}", side(a), side(b))
            }
            Expr::Or(a, b) => write!(f, "{a} || {b}"),
        }
    }
}

/// A workload endpoint as Calico's selectors see it: the pod's labels plus the labels
/// Calico adds (namespace, orchestrator, service account) and the namespace's labels
/// under `pcns.`.
pub struct EndpointLabels<'a> {
    pub namespace: &'a str,
    pub namespace_labels: &'a Labels,
    pub labels: &'a Labels,
    pub service_account: Option<&'a str>,
}

impl<'a> EndpointLabels<'a> {
    /// A workload's endpoint. A pod without `serviceAccountName` runs as `default`.
    pub fn new(
        namespace: &'a str,
        namespace_labels: &'a Labels,
        labels: &'a Labels,
        service_account: Option<&'a str>,
    ) -> Self {
        EndpointLabels {
            namespace,
            namespace_labels,
            labels,
            service_account: Some(service_account.unwrap_or("default")),
        }
    }
}

impl Labelled for EndpointLabels<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        match key {
            LABEL_NAMESPACE => Some(self.namespace),
            LABEL_ORCHESTRATOR => Some("k8s"),
            LABEL_SERVICE_ACCOUNT => self.service_account,
            _ => match key.strip_prefix(NAMESPACE_LABEL_PREFIX) {
                Some(k) => self.namespace_labels.get(k).map(String::as_str),
                None => self.labels.get(key).map(String::as_str),
            },
        }
    }
}

/// A namespace as a `namespaceSelector` sees it: its labels and `projectcalico.org/name`.
pub struct NamespaceLabels<'a> {
    pub name: &'a str,
    pub labels: &'a Labels,
}

impl Labelled for NamespaceLabels<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        if key == LABEL_NAME {
            return Some(self.name);
        }
        self.labels.get(key).map(String::as_str)
    }
}

/// The scope of non-namespaced resources (what `global()` selects in a namespaceSelector).
pub struct GlobalScope;

impl Labelled for GlobalScope {
    fn label(&self, _: &str) -> Option<&str> {
        None
    }
    fn is_global(&self) -> bool {
        true
    }
}

/// A service account as a `serviceAccountSelector` sees it. ServiceAccount objects are
/// not read, so only its name (`projectcalico.org/name`) is known.
pub struct ServiceAccountLabels<'a> {
    pub name: &'a str,
}

impl Labelled for ServiceAccountLabels<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        (key == LABEL_NAME).then_some(self.name)
    }
}

/// Plain labels (a network set's).
pub struct PlainLabels<'a>(pub &'a Labels);

impl Labelled for PlainLabels<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// A selector as written, and parsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CalicoSelector {
    pub expr: Expr,
    pub text: String,
}

impl CalicoSelector {
    pub fn all() -> Self {
        CalicoSelector {
            expr: Expr::All,
            text: "all()".into(),
        }
    }

    pub fn matches(&self, r: &dyn Labelled) -> bool {
        self.expr.matches(r)
    }
}

impl fmt::Display for CalicoSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text.trim())
    }
}

/// `serviceAccounts` of an entity rule: names (any of) and a selector, both must match.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceAccountMatch {
    pub names: Vec<String>,
    pub selector: Option<CalicoSelector>,
}

impl ServiceAccountMatch {
    pub fn matches(&self, service_account: Option<&str>) -> bool {
        let Some(sa) = service_account else { return false };
        (self.names.is_empty() || self.names.iter().any(|n| n == sa))
            && self
                .selector
                .as_ref()
                .is_none_or(|s| s.matches(&ServiceAccountLabels { name: sa }))
    }
}

/// A network set a rule's selector reaches, resolved when the policy was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NetSetRef {
    /// `GlobalNetworkSet name` or `NetworkSet ns/name`.
    pub name: String,
    pub nets: Vec<IpNet>,
}

/// A Calico entity rule (`source` or `destination`): every criterion written must match
/// ("If the rule contains multiple match criteria ... all match criteria must match").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntityMatch {
    /// The namespace of the policy (empty for a global one): the default scope of
    /// `selector` when there is no `namespaceSelector`.
    pub policy_namespace: String,
    pub selector: Option<CalicoSelector>,
    pub not_selector: Option<CalicoSelector>,
    pub namespace_selector: Option<CalicoSelector>,
    pub service_accounts: Option<ServiceAccountMatch>,
    pub nets: Option<Vec<IpNet>>,
    pub not_nets: Vec<IpNet>,
    /// The network sets in scope that `selector` (or, with only a namespaceSelector,
    /// `all()`) selects; `None` when the rule has no identity criterion, so that
    /// addresses need not be in a set.
    pub selected_sets: Option<Vec<NetSetRef>>,
    /// The network sets in scope that `notSelector` selects.
    pub not_selected_sets: Vec<NetSetRef>,
}

impl EntityMatch {
    /// Whether the endpoint is in the scope of the rule's selectors: the selected
    /// namespaces, else the policy's namespace (a global policy: every namespace).
    fn in_scope(&self, ep: &EndpointLabels) -> bool {
        match &self.namespace_selector {
            Some(sel) => sel.matches(&NamespaceLabels {
                name: ep.namespace,
                labels: ep.namespace_labels,
            }),
            None => self.policy_namespace.is_empty() || self.policy_namespace == ep.namespace,
        }
    }

    /// Whether the rule has an identity criterion (selector, namespaceSelector or
    /// serviceAccounts): then only endpoints and network sets can match.
    pub fn has_identity(&self) -> bool {
        self.selector.is_some() || self.namespace_selector.is_some() || self.service_accounts.is_some()
    }

    /// Whether a pod of a namespace the input does not describe (an ingress controller)
    /// matches: only a rule with no identity criterion and no `nets` admits it.
    pub fn admits_any_pod(&self) -> bool {
        !self.has_identity() && self.nets.is_none() && self.not_selector.is_none()
    }

    /// Whether any CIDR the rule names (itself or through network sets) is IPv6.
    pub fn names_v6(&self) -> bool {
        self.nets
            .iter()
            .flatten()
            .chain(&self.not_nets)
            .chain(self.selected_sets.iter().flatten().flat_map(|s| &s.nets))
            .chain(self.not_selected_sets.iter().flat_map(|s| &s.nets))
            .any(|n| matches!(n, IpNet::V6(_)))
    }

    /// Whether the workload endpoint matches. Pod addresses are not modelled: `nets`
    /// never matches a pod and `notNets` never excludes one.
    pub fn matches_endpoint(&self, ep: &EndpointLabels) -> bool {
        if self.nets.is_some() {
            return false;
        }
        if self.has_identity()
            && !(self.in_scope(ep)
                && self.selector.as_ref().is_none_or(|s| s.matches(ep))
                && self
                    .service_accounts
                    .as_ref()
                    .is_none_or(|sa| sa.matches(ep.service_account)))
        {
            return false;
        }
        !self
            .not_selector
            .as_ref()
            .is_some_and(|s| self.in_scope(ep) && s.matches(ep))
    }

    /// Whether the address outside the cluster matches.
    pub fn matches_ip(&self, ip: &std::net::IpAddr) -> bool {
        let in_sets = |sets: &[NetSetRef]| sets.iter().any(|s| s.nets.iter().any(|n| n.contains(ip)));
        self.nets
            .as_ref()
            .is_none_or(|nets| nets.iter().any(|n| n.contains(ip)))
            && !self.not_nets.iter().any(|n| n.contains(ip))
            && self.selected_sets.as_ref().is_none_or(|sets| in_sets(sets))
            && !in_sets(&self.not_selected_sets)
    }
}

impl fmt::Display for EntityMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let nets = |n: &[IpNet]| n.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
        if let Some(s) = &self.selector {
            parts.push(format!("selector [{s}]"));
        }
        if let Some(s) = &self.not_selector {
            parts.push(format!("notSelector [{s}]"));
        }
        if let Some(s) = &self.namespace_selector {
            parts.push(format!("namespaceSelector [{s}]"));
        } else if self.has_identity() || self.not_selector.is_some() {
            parts.push(if self.policy_namespace.is_empty() {
                "in every namespace".to_string()
            } else {
                format!("in namespace {}", self.policy_namespace)
            });
        }
        if let Some(sa) = &self.service_accounts {
            let mut s = String::from("serviceAccounts");
            if !sa.names.is_empty() {
                s.push_str(&format!(" [{}]", sa.names.join(", ")));
            }
            if let Some(sel) = &sa.selector {
                s.push_str(&format!(" selector [{sel}]"));
            }
            parts.push(s);
        }
        if let Some(n) = &self.nets {
            parts.push(format!("nets [{}]", nets(n)));
        }
        if !self.not_nets.is_empty() {
            parts.push(format!("notNets [{}]", nets(&self.not_nets)));
        }
        if let Some(sets) = &self.selected_sets {
            if !sets.is_empty() {
                let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
                parts.push(format!("network sets [{}]", names.join(", ")));
            }
        }
        if parts.is_empty() {
            return f.write_str("every peer");
        }
        f.write_str(&parts.join(" "))
    }
}

/// What a Calico policy adds to [`super::Policy`]: its tier by name, its `order`, and its
/// subject as Calico selects it.
#[derive(Clone, Debug, PartialEq)]
pub struct CalicoPolicy {
    pub tier: String,
    /// `None`: unset, evaluated after every policy with an order.
    pub order: Option<f64>,
    /// `spec.selector` (default `all()`).
    pub selector: CalicoSelector,
    /// GlobalNetworkPolicy `spec.namespaceSelector`.
    pub namespace_selector: Option<CalicoSelector>,
    pub service_account_selector: Option<CalicoSelector>,
    /// A staged policy: evaluated to show what it would change, never enforced.
    pub staged: bool,
}

impl CalicoPolicy {
    /// Whether the policy's subject is the endpoint (`namespace` is the policy's own
    /// namespace, empty for a global policy).
    pub fn selects(&self, namespace: &str, ep: &EndpointLabels) -> bool {
        (namespace.is_empty() || namespace == ep.namespace)
            && self.namespace_selector.as_ref().is_none_or(|s| {
                s.matches(&NamespaceLabels {
                    name: ep.namespace,
                    labels: ep.namespace_labels,
                })
            })
            && self.selector.matches(ep)
            && self.service_account_selector.as_ref().is_none_or(|s| {
                ep.service_account
                    .is_some_and(|sa| s.matches(&ServiceAccountLabels { name: sa }))
            })
    }

    /// The order as written (`unset` when there is none).
    pub fn order_text(&self) -> String {
        match self.order {
            Some(o) => format!("{o}"),
            None => "unset".into(),
        }
    }
}
