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
    ("hostNetwork", "The pod uses the node's network; NetworkPolicy does not reliably apply to it."),
    ("template", "The pod template: the labels and ports of every pod this workload runs."),
    ("ownerReferences", "The object that created this one; a Pod owned by a ReplicaSet is shown as that ReplicaSet (or its Deployment)."),
    ("backend", "The Service and port an Ingress path sends traffic to; it arrives from the ingress controller."),
];

/// The meaning of a field, if it is one netplay explains.
pub fn meaning(field: &str) -> Option<&'static str> {
    ENTRIES.iter().find(|(k, _)| *k == field).map(|(_, v)| *v)
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
}
