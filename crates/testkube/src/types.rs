//! The kinds the server serves: the built-in ones and those of Established CRDs.

/// A kind of object the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResourceType {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// Served from a CustomResourceDefinition: its list items keep their apiVersion and
    /// kind (the API server serves custom resources unstructured), where a built-in
    /// kind's typed list (`PodList`) gives the kind only on the list.
    pub custom: bool,
    /// Discovery's short names (`po`, `svc`), which kubectl resolves.
    pub short_names: Vec<&'static str>,
    /// Discovery's categories: `all` is what `kubectl get all` lists.
    pub categories: Vec<&'static str>,
}

impl ResourceType {
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceType {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            custom: false,
            short_names: Vec::new(),
            categories: Vec::new(),
        }
    }

    fn short(mut self, names: &[&'static str]) -> Self {
        self.short_names = names.to_vec();
        self
    }

    /// In the `all` category, as on a real API server.
    fn in_all(mut self) -> Self {
        self.categories = vec!["all"];
        self
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods`, or `deployments.apps` for kinds of a named group (the API's wording).
    pub fn resource_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The built-in kinds, each group's resources in the order the kube-apiserver's discovery
/// lists them (sorted by name), which is the order `kubectl get all` prints and writes.
pub(crate) fn builtin_types() -> Vec<ResourceType> {
    let t = ResourceType::new;
    vec![
        t("", "v1", "ConfigMap", "configmaps", true).short(&["cm"]),
        t("", "v1", "Namespace", "namespaces", false).short(&["ns"]),
        t("", "v1", "Pod", "pods", true).short(&["po"]).in_all(),
        t("", "v1", "ReplicationController", "replicationcontrollers", true)
            .short(&["rc"])
            .in_all(),
        t("", "v1", "Secret", "secrets", true),
        t("", "v1", "ServiceAccount", "serviceaccounts", true).short(&["sa"]),
        t("", "v1", "Service", "services", true).short(&["svc"]).in_all(),
        t("apps", "v1", "DaemonSet", "daemonsets", true).short(&["ds"]).in_all(),
        t("apps", "v1", "Deployment", "deployments", true)
            .short(&["deploy"])
            .in_all(),
        t("apps", "v1", "ReplicaSet", "replicasets", true)
            .short(&["rs"])
            .in_all(),
        t("apps", "v1", "StatefulSet", "statefulsets", true)
            .short(&["sts"])
            .in_all(),
        t("batch", "v1", "CronJob", "cronjobs", true).short(&["cj"]).in_all(),
        t("batch", "v1", "Job", "jobs", true).in_all(),
        t("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true).short(&["netpol"]),
        t("networking.k8s.io", "v1", "Ingress", "ingresses", true).short(&["ing"]),
        t("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
        t("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true),
        t("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
        t(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
        ),
        t(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        )
        .short(&["crd", "crds"]),
    ]
}
