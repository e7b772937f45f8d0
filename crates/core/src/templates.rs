//! One-click policy templates for the editor, as the Cilium policy editor offers them:
//! default deny, allow within the namespace, allow from the ingress, allow to kube-dns,
//! allow to the API server. Each is a CiliumNetworkPolicy for one namespace, written as
//! Cilium's documentation writes it (security/policy: intro, kubernetes, layer7, and the
//! `kube-apiserver` entity), and tested to read without errors and to do what its title
//! says (`crates/core/tests/templates.rs`).

/// A template: a file name, a title for the menu and the manifest text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub id: &'static str,
    pub title: &'static str,
    pub file: String,
    pub yaml: String,
}

const DEFAULT_DENY: &str = "# Default deny: every pod of the namespace is isolated for ingress and egress, and
# an empty rule allows nothing (docs.cilium.io, security/policy/intro).
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: default-deny
  namespace: NAMESPACE
spec:
  endpointSelector: {}
  ingress:
  - {}
  egress:
  - {}
";

const WITHIN_NAMESPACE: &str = "# Allow within the namespace: pods of NAMESPACE may reach each other (an empty
# endpoint selector in a CiliumNetworkPolicy is every pod of its namespace).
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-within-namespace
  namespace: NAMESPACE
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - {}
  egress:
  - toEndpoints:
    - {}
";

const FROM_INGRESS: &str = "# Allow from the ingress: Cilium's own Ingress (the `ingress` entity; netplay does
# not model it, NP1040) and an ingress controller running in the ingress-nginx namespace.
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-from-ingress
  namespace: NAMESPACE
spec:
  endpointSelector: {}
  ingress:
  - fromEntities:
    - ingress
  - fromEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: ingress-nginx
";

const TO_KUBE_DNS: &str = "# Allow to kube-dns: DNS queries on port 53 to the cluster's DNS pods; the DNS rule
# lets every name through and makes the queries visible to Cilium's DNS proxy.
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-to-kube-dns
  namespace: NAMESPACE
spec:
  endpointSelector: {}
  egress:
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: kube-system
        k8s:k8s-app: kube-dns
    toPorts:
    - ports:
      - port: \"53\"
        protocol: ANY
      rules:
        dns:
        - matchPattern: \"*\"
";

const TO_API_SERVER: &str = "# Allow to the API server: the `kube-apiserver` entity (in netplay, the API server
# pods of kube-system, as kubeadm runs them).
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-to-api-server
  namespace: NAMESPACE
spec:
  endpointSelector: {}
  egress:
  - toEntities:
    - kube-apiserver
";

/// The Cilium templates for `namespace`.
pub fn cilium(namespace: &str) -> Vec<Template> {
    [
        ("default-deny", "Default deny", DEFAULT_DENY),
        ("allow-within-namespace", "Allow within namespace", WITHIN_NAMESPACE),
        ("allow-from-ingress", "Allow from ingress", FROM_INGRESS),
        ("allow-to-kube-dns", "Allow to kube-dns", TO_KUBE_DNS),
        ("allow-to-api-server", "Allow to the API server", TO_API_SERVER),
    ]
    .into_iter()
    .map(|(id, title, text)| Template {
        id,
        title,
        file: format!("cilium-{id}-{namespace}.yaml"),
        yaml: text.replace("NAMESPACE", namespace),
    })
    .collect()
}
