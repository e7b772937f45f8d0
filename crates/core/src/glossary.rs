//! What the fields of the modelled kinds mean, in a sentence each: the playground shows
//! them as hints while the cursor is on a field.

/// `(field, meaning)`; looked up by the key on the cursor's line.
const ENTRIES: &[(&str, &str)] = &[
    ("podSelector", "Which pods this applies to. In a policy's spec: the pods of the policy's namespace that the policy selects (and so isolates); `{}` selects all of them. In a peer: pods to allow, in the policy's namespace unless a namespaceSelector sits beside it."),
    ("namespaceSelector", "Namespaces whose pods a peer allows. `{}` means every namespace. Beside a podSelector in the same peer, both must match (AND); in separate list items they are alternatives (OR)."),
    ("policyTypes", "The directions the policy isolates: Ingress, Egress or both. Omitted: Ingress, plus Egress when the policy has a non-empty egress list."),
    ("ingress", "Rules for incoming connections. A pod isolated for ingress accepts only what some rule of some policy selecting it allows. `[]` or missing: nothing; `[{}]`: everything."),
    ("egress", "Rules for outgoing connections. A pod isolated for egress may open only what some rule allows — remember DNS (UDP and TCP 53 to kube-dns)."),
    ("from", "Who may connect: a list of peers, any of which may match. Empty or missing: every source, inside and outside the cluster."),
    ("to", "Where the pod may connect: a list of peers, any of which may match. Empty or missing: every destination."),
    ("ports", "Which ports the rule allows. Empty or missing: all ports of all protocols."),
    ("port", "A port number, or the name of a container port of the destination pod (resolved per pod, with the same protocol)."),
    ("endPort", "With a numeric port: allow the whole range port..endPort."),
    ("protocol", "TCP (the default), UDP or SCTP."),
    ("ipBlock", "Addresses outside the cluster, as a CIDR; pod addresses are not matched by ipBlocks."),
    ("cidr", "The address range, e.g. 10.0.0.0/8. A prefix length is required."),
    ("except", "Ranges inside cidr that are not allowed; each must lie strictly inside cidr."),
    ("matchLabels", "Labels that must all be present with exactly these values."),
    ("matchExpressions", "Requirements on labels: In, NotIn (also true when the label is missing), Exists, DoesNotExist. All must hold."),
    ("operator", "In, NotIn, Exists or DoesNotExist."),
    ("values", "The values In/NotIn compare with; Exists and DoesNotExist take none."),
    ("labels", "Key/value tags. Policies and Services select pods by them; namespaces also carry kubernetes.io/metadata.name."),
    ("namespace", "Where the object lives; without one it goes to `default`."),
    ("containerPort", "A port a container listens on; named ones can be used in policies by name."),
    ("targetPort", "The pod port a Service sends to (a number or a container port name). Policies see this port, not the Service port."),
    ("selector", "The labels of the pods a Service or workload manages."),
    ("hostNetwork", "The pod uses the node's network and address; policies see it as its node: no selector selects or admits it, an ipBlock holding the node's address does."),
    ("template", "The pod template: the labels and ports of every pod this workload runs."),
    ("ownerReferences", "The object that created this one; a Pod owned by a ReplicaSet is shown as that ReplicaSet (or its Deployment)."),
    ("backend", "The Service and port an Ingress path sends traffic to; it arrives from the ingress controller."),
];

/// The fields of AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy
/// (policy.networking.k8s.io): the same names mean other things there.
const ADMIN_ENTRIES: &[(&str, &str)] = &[
    ("priority", "Where this policy stands in its tier: lower first (0-1000). Two policies of one tier with the same priority have no defined order (NP1030)."),
    ("tier", "ClusterNetworkPolicy: Admin (before every NetworkPolicy) or Baseline (after them, for what no NetworkPolicy decided)."),
    ("subject", "The pods this policy applies to: `namespaces` (every pod of the selected namespaces) or `pods` (namespaceSelector and podSelector)."),
    ("ingress", "Rules for incoming connections, in order: the first whose peers and ports match decides (Allow/Accept, Deny, or Pass to the next tier). At most 100."),
    ("egress", "Rules for outgoing connections, in order: the first whose peers and ports match decides (Allow/Accept, Deny, or Pass to the next tier). At most 100."),
    ("action", "What a matching rule does: Allow (v1alpha2 Accept) and Deny are final; Pass skips the rest of the Admin tier to the NetworkPolicies, then Baseline."),
    ("name", "The rule's name, shown in explanations (`ingress rule \"x\"`)."),
    ("from", "Who the rule is about: a list of peers (namespaces or pods), any of which may match. Required: at least one."),
    ("to", "Where the rule is about: a list of peers (namespaces, pods, networks, nodes, domainNames), any of which may match. Required: at least one."),
    ("namespaces", "A namespace selector: every pod of the namespaces it matches. `{}` is every namespace. Never an address outside the cluster."),
    ("pods", "Pods by namespaceSelector and podSelector, both required (`{}` matches everything)."),
    ("networks", "Egress peer: CIDRs outside the cluster (pod IPs are not modelled, so netplay never matches a pod with them). Rules in order make an except: Allow a /16, then Deny the /8."),
    ("nodes", "Egress peer: the nodes a selector picks. Node addresses are not in manifests, so netplay matches no connection with it (NP1035)."),
    ("domainNames", "Egress peer (Accept rules only): DNS names. Not decidable from manifests, so netplay matches no connection with it (NP1035)."),
    ("ports", "v1alpha1: which ports the rule matches (portNumber, portRange, namedPort). Missing: every port."),
    ("portNumber", "One port and its protocol (TCP when omitted)."),
    ("portRange", "start..end inclusive (start < end), with a protocol."),
    ("namedPort", "A container port name, resolved on the destination pod in any protocol; it matches nothing outside the cluster."),
    ("protocols", "v1alpha2: which ports the rule matches, per protocol (tcp, udp, sctp). Missing: every port."),
    ("destinationPort", "v1alpha2: a port `number` or a `range` (start, end) of the protocol above."),
    ("destinationNamedPort", "v1alpha2: a container port name on the destination pod."),
];

/// The meaning of a field, if it is one netplay explains.
pub fn meaning(field: &str) -> Option<&'static str> {
    ENTRIES.iter().find(|(k, _)| *k == field).map(|(_, v)| *v)
}

/// The meaning of a field in an object of `kind` (the admin policy kinds have fields of
/// their own, and give `ingress`, `from`, `ports`... other meanings).
pub fn meaning_in(kind: Option<&str>, field: &str) -> Option<&'static str> {
    let admin = matches!(
        kind,
        Some("AdminNetworkPolicy" | "BaselineAdminNetworkPolicy" | "ClusterNetworkPolicy")
    );
    let own = admin
        .then(|| ADMIN_ENTRIES.iter().find(|(k, _)| *k == field).map(|(_, v)| *v))
        .flatten();
    own.or_else(|| meaning(field))
}

/// The hint for line `line` (0-based) of a YAML text: the field on it and its meaning in
/// the kind of the document the line is in (the nearest `kind:` at the start of a line
/// of that document, above or below).
pub fn hint_at(text: &str, line: usize) -> Option<(&str, &'static str)> {
    let lines: Vec<&str> = text.lines().collect();
    let field = field_on_line(lines.get(line)?)?;
    let separator = |l: &&str| l.starts_with("---");
    let start = lines[..line].iter().rposition(separator).map_or(0, |i| i + 1);
    let end = lines[line..]
        .iter()
        .position(separator)
        .map_or(lines.len(), |i| line + i);
    let kind = lines[start..end]
        .iter()
        .find_map(|l| l.strip_prefix("kind:"))
        .map(|k| k.trim().trim_matches('"'));
    Some((field, meaning_in(kind, field)?))
}

/// The field named on a line of YAML (`  - podSelector:` → `podSelector`), if any.
pub fn field_on_line(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ").trim_start();
    let (key, _) = t.split_once(':')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(field_on_line("    - podSelector:"), Some("podSelector"));
        assert_eq!(field_on_line("  \"cidr\": 10"), Some("cidr"));
        assert_eq!(field_on_line("# a comment"), None);
        assert!(meaning("namespaceSelector").is_some_and(|m| m.contains("AND")));
        assert!(meaning("nonsense").is_none());
    }

    #[test]
    fn admin_kinds_have_their_own_meanings() {
        let text = "apiVersion: v1\nkind: Pod\n---\nkind: AdminNetworkPolicy\nspec:\n  priority: 10\n  ingress:\n  - action: Pass\n---\nkind: NetworkPolicy\nspec:\n  ingress: []\n";
        assert!(hint_at(text, 5).is_some_and(|(f, m)| f == "priority" && m.contains("lower first")));
        assert!(hint_at(text, 6).is_some_and(|(_, m)| m.contains("first whose peers")));
        assert!(hint_at(text, 7).is_some_and(|(f, m)| f == "action" && m.contains("Pass")));
        // The NetworkPolicy below keeps the NetworkPolicy meaning.
        assert!(hint_at(text, 11).is_some_and(|(_, m)| m.contains("A pod isolated for ingress")));
        assert_eq!(hint_at(text, 2), None);
        assert_eq!(hint_at(text, 99), None);
    }
}
