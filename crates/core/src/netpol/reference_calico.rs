//! The reference evaluator's Calico matching, written from Calico's documentation without
//! the rule model's matchers: the subject of a Calico policy and its entity rules.

use crate::model::{Cluster, Labels, Workload};
use crate::policy::calico::{CalicoPolicy, CalicoSelector, EntityMatch, Expr};
use crate::policy::Policy;

/// What a selector is evaluated on.
enum Subject<'a> {
    /// A workload endpoint: its labels, plus "projectcalico.org/namespace",
    /// "projectcalico.org/orchestrator" and "projectcalico.org/serviceaccount", and its
    /// namespace's labels as `pcns.<key>`.
    Endpoint(&'a Workload, &'a Labels),
    /// A namespace: its labels and "projectcalico.org/name".
    Namespace(&'a str, &'a Labels),
    /// A service account, known by name only.
    ServiceAccount(&'a str),
    /// A network set's labels.
    Set(&'a Labels),
    /// The scope of non-namespaced resources: only `global()` selects it.
    Global,
}

impl Subject<'_> {
    fn value(&self, key: &str) -> Option<&str> {
        match self {
            Subject::Endpoint(w, ns_labels) => match key {
                "projectcalico.org/namespace" => Some(&w.namespace),
                "projectcalico.org/orchestrator" => Some("k8s"),
                "projectcalico.org/serviceaccount" => Some(w.service_account.as_deref().unwrap_or("default")),
                _ if key.starts_with("pcns.") => ns_labels.get(&key["pcns.".len()..]).map(String::as_str),
                _ => w.labels.get(key).map(String::as_str),
            },
            Subject::Namespace(name, labels) => match key {
                "projectcalico.org/name" => Some(name),
                _ => labels.get(key).map(String::as_str),
            },
            Subject::ServiceAccount(name) => (key == "projectcalico.org/name").then_some(*name),
            Subject::Set(labels) => labels.get(key).map(String::as_str),
            Subject::Global => None,
        }
    }
}

/// The selector table of Calico's documentation, operator by operator.
fn eval(e: &Expr, s: &Subject) -> bool {
    match e {
        Expr::All => true,
        Expr::Global => matches!(s, Subject::Global),
        Expr::Has(k) => s.value(k).is_some(),
        Expr::Eq(k, v) => s.value(k) == Some(v),
        // "Matches resources without label 'k' or with label 'k' and value not equal to v"
        Expr::Ne(k, v) => s.value(k) != Some(v),
        Expr::In(k, vs) => s.value(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Expr::NotIn(k, vs) => s.value(k).is_none_or(|x| vs.iter().all(|v| v != x)),
        Expr::Contains(k, v) => s.value(k).is_some_and(|x| x.contains(v.as_str())),
        Expr::StartsWith(k, v) => s.value(k).is_some_and(|x| x.starts_with(v.as_str())),
        Expr::EndsWith(k, v) => s.value(k).is_some_and(|x| x.ends_with(v.as_str())),
        Expr::Not(x) => !eval(x, s),
        Expr::And(a, b) => eval(a, s) && eval(b, s),
        Expr::Or(a, b) => eval(a, s) || eval(b, s),
    }
}

fn sel(s: &CalicoSelector, subject: &Subject) -> bool {
    eval(&s.expr, subject)
}

/// "NetworkPolicy in a specific namespace only applies to workload endpoint resources in
/// that namespace"; `selector` and a GlobalNetworkPolicy's `namespaceSelector` and
/// `serviceAccountSelector` must all select it.
pub(super) fn subject_is(cluster: &Cluster, policy: &Policy, c: &CalicoPolicy, pod: &Workload) -> bool {
    let ns_labels = cluster.namespace_labels(&pod.namespace);
    let sa = pod.service_account.as_deref().unwrap_or("default");
    (policy.namespace.is_empty() || policy.namespace == pod.namespace)
        && c.namespace_selector
            .as_ref()
            .is_none_or(|s| sel(s, &Subject::Namespace(&pod.namespace, ns_labels)))
        && sel(&c.selector, &Subject::Endpoint(pod, ns_labels))
        && c.service_account_selector
            .as_ref()
            .is_none_or(|s| sel(s, &Subject::ServiceAccount(sa)))
}

/// The other side of the connection.
pub(super) enum Other<'a> {
    Pod(&'a Workload),
    Ip(std::net::IpAddr),
}

/// An entity rule against one side of the connection. "If the rule contains multiple
/// match criteria ... then all match criteria must match."
pub(super) fn entity_matches(cluster: &Cluster, m: &EntityMatch, peer: Other) -> bool {
    let identity = m.selector.is_some() || m.namespace_selector.is_some() || m.service_accounts.is_some();
    match peer {
        Other::Pod(w) => {
            // Pod addresses are not modelled: nets speak of addresses outside the cluster.
            if m.nets.is_some() {
                return false;
            }
            let ns_labels = cluster.namespace_labels(&w.namespace);
            // "Defines the scope that selectors will apply to, if not defined then
            // selectors apply to the NetworkPolicy's namespace" (all of them for a global
            // policy).
            let in_scope = match &m.namespace_selector {
                Some(s) => sel(s, &Subject::Namespace(&w.namespace, ns_labels)),
                None => m.policy_namespace.is_empty() || m.policy_namespace == w.namespace,
            };
            let ep = Subject::Endpoint(w, ns_labels);
            let positive = !identity
                || (in_scope
                    && m.selector.as_ref().is_none_or(|s| sel(s, &ep))
                    && m.service_accounts.as_ref().is_none_or(|sa| {
                        let name = w.service_account.as_deref().unwrap_or("default");
                        (sa.names.is_empty() || sa.names.iter().any(|n| n == name))
                            && sa
                                .selector
                                .as_ref()
                                .is_none_or(|s| sel(s, &Subject::ServiceAccount(name)))
                    }));
            // "notSelector ... matches packets from/to anywhere ... except traffic from/to
            // endpoints and network sets that have the label"
            positive && !m.not_selector.as_ref().is_some_and(|s| in_scope && sel(s, &ep))
        }
        Other::Ip(ip) => {
            if m.nets
                .as_ref()
                .is_some_and(|nets| !nets.iter().any(|n| n.contains(&ip)))
                || m.not_nets.iter().any(|n| n.contains(&ip))
            {
                return false;
            }
            // Selectors reach addresses through the network sets in scope that hold them.
            let sets_in_scope =
                cluster
                    .network_sets
                    .iter()
                    .filter(|set| match (&m.namespace_selector, &set.namespace) {
                        (Some(s), Some(ns)) => sel(s, &Subject::Namespace(ns, cluster.namespace_labels(ns))),
                        (Some(s), None) => sel(s, &Subject::Global),
                        (None, Some(ns)) => m.policy_namespace.is_empty() || &m.policy_namespace == ns,
                        (None, None) => m.policy_namespace.is_empty(),
                    });
            let holding: Vec<&crate::model::NetworkSet> = sets_in_scope
                .filter(|set| set.nets.iter().any(|n| n.contains(&ip)))
                .collect();
            if m.service_accounts.is_some() {
                return false;
            }
            if identity {
                let all = CalicoSelector::all();
                let s = m.selector.as_ref().unwrap_or(&all);
                if !holding.iter().any(|set| sel(s, &Subject::Set(&set.labels))) {
                    return false;
                }
            }
            !m.not_selector
                .as_ref()
                .is_some_and(|s| holding.iter().any(|set| sel(s, &Subject::Set(&set.labels))))
        }
    }
}
