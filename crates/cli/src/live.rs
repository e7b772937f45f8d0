//! Reading a live cluster: `connlist`, `explain`, `analyze` and `diff` with `--context`,
//! `--kubeconfig` or `--live`, and `netplay dump`. Read-only (GET requests only).
//!
//! Each kind netplay reads is listed in pages of 500 (kubectl's chunk size) and becomes one
//! input file, `cluster:CONTEXT/RESOURCE`, holding what `kubectl get RESOURCE -A -o json`
//! writes: a `v1 List` whose items carry their apiVersion and kind, without managedFields.
//! Core reads these files as it reads any other: the meaning of every object is core's.
//! `netplay dump` writes the same texts to a folder, so a snapshot reads exactly as the
//! live cluster did.
//!
//! Kinds the cluster does not serve (CRDs not installed) are skipped and counted; kinds
//! RBAC forbids (403) are skipped and named; anything else that fails stops the reading
//! (a partly read cluster would give wrong verdicts silently).

use crate::cluster::{self, error_code, error_text, Cluster};
use crate::verbose::log;
use kube::api::{ApiResource, ListParams};
use kube::discovery::{Discovery, Scope};
use netplay_core::SourceFile;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// The kinds netplay reads, each with the groups that may serve it in order of
/// preference (Calico's API server first, its CRDs otherwise: reading both would read
/// every object twice). What each kind means is core's business; this list only says
/// what to fetch: workloads, Services, Ingresses, and every policy and mesh kind core
/// evaluates or warns about.
const KINDS: &[(&[&str], &str)] = &[
    (&[""], "Namespace"),
    (&[""], "Pod"),
    (&[""], "Service"),
    (&[""], "ReplicationController"),
    (&["apps"], "Deployment"),
    (&["apps"], "ReplicaSet"),
    (&["apps"], "StatefulSet"),
    (&["apps"], "DaemonSet"),
    (&["batch"], "Job"),
    (&["batch"], "CronJob"),
    (&["networking.k8s.io"], "NetworkPolicy"),
    (&["networking.k8s.io"], "Ingress"),
    (&["policy.networking.k8s.io"], "AdminNetworkPolicy"),
    (&["policy.networking.k8s.io"], "BaselineAdminNetworkPolicy"),
    (&["policy.networking.k8s.io"], "ClusterNetworkPolicy"),
    (&["networking.istio.io"], "VirtualService"),
    (&["networking.istio.io"], "DestinationRule"),
    (&["networking.istio.io"], "Gateway"),
    (&["networking.istio.io"], "ServiceEntry"),
    (&["networking.istio.io"], "Sidecar"),
    (&["security.istio.io"], "AuthorizationPolicy"),
    (&["security.istio.io"], "PeerAuthentication"),
    (&["gateway.networking.k8s.io"], "Gateway"),
    (&["gateway.networking.k8s.io"], "HTTPRoute"),
    (&["cilium.io"], "CiliumNetworkPolicy"),
    (&["cilium.io"], "CiliumClusterwideNetworkPolicy"),
    (&["projectcalico.org", "crd.projectcalico.org"], "NetworkPolicy"),
    (&["projectcalico.org", "crd.projectcalico.org"], "GlobalNetworkPolicy"),
    (&["projectcalico.org", "crd.projectcalico.org"], "IPPool"),
    (&["projectcalico.org", "crd.projectcalico.org"], "FelixConfiguration"),
    (&["operator.tigera.io"], "Installation"),
    (&["multicluster.x-k8s.io"], "ServiceExport"),
    (&["multicluster.x-k8s.io"], "ServiceImport"),
];

/// ConfigMaps netplay reads by name: the CNI configurations core understands.
const CONFIGMAPS: &[(&str, &str)] = &[("kube-system", "cilium-config"), ("kube-system", "calico-config")];

/// kubectl's `--chunk-size`.
const PAGE: u32 = 500;

/// One kind as read.
#[derive(Clone, Debug)]
pub struct KindList {
    pub api_version: String,
    pub kind: String,
    /// `pods`, or `deployments.apps`.
    pub resource: String,
    pub namespaced: bool,
    pub items: Vec<Value>,
}

impl KindList {
    /// `Kind namespace/name` (or `Kind name`) of an item, as core names objects.
    fn identity(&self, item: &Value) -> String {
        let name = item["metadata"]["name"].as_str().unwrap_or_default();
        match item["metadata"]["namespace"].as_str().filter(|_| self.namespaced) {
            Some(ns) => format!("{} {ns}/{name}", self.kind),
            None => format!("{} {name}", self.kind),
        }
    }

    fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// The text of the input file: what `kubectl get RESOURCE -A -o json` writes.
    pub fn text(&self) -> String {
        let list =
            json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": self.items});
        let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// What was read from a cluster.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub context: String,
    pub lists: Vec<KindList>,
    /// `resource: why`, for each kind RBAC forbade.
    pub forbidden: Vec<String>,
    /// Kinds the cluster does not serve.
    pub not_served: Vec<String>,
}

impl Snapshot {
    /// One input file per kind with objects, named `cluster:CONTEXT/RESOURCE`.
    pub fn files(&self) -> Vec<SourceFile> {
        self.lists
            .iter()
            .filter(|l| !l.items.is_empty())
            .map(|l| SourceFile::new(format!("cluster:{}/{}", self.context, l.resource), l.text()))
            .collect()
    }

    pub fn object_count(&self) -> usize {
        self.lists.iter().map(|l| l.items.len()).sum()
    }

    /// Leaves out the objects that `files` define too (same group, kind, namespace and
    /// name, as core identifies them): the live cluster with `files` applied over it.
    pub fn overlaid_by(&self, files: &[SourceFile]) -> Vec<SourceFile> {
        let (raw, _) = netplay_core::parse::parse_files(files);
        let replaced: BTreeSet<(String, String)> = raw.iter().map(|o| (o.group().to_string(), o.resource())).collect();
        let lists = self
            .lists
            .iter()
            .map(|l| {
                let mut l = l.clone();
                let group = l.group().to_string();
                let items = std::mem::take(&mut l.items);
                l.items = items
                    .into_iter()
                    .filter(|item| !replaced.contains(&(group.clone(), l.identity(item))))
                    .collect();
                l
            })
            .collect();
        let mut out = Snapshot {
            context: self.context.clone(),
            lists,
            ..Snapshot::default()
        }
        .files();
        out.extend(files.iter().cloned());
        out
    }

    /// [`Snapshot::report`], then [`Snapshot::files`].
    pub fn files_reported(&self) -> Vec<SourceFile> {
        self.report();
        self.files()
    }

    /// Tells the user, on stderr, what could not be read.
    pub fn report(&self) {
        for f in &self.forbidden {
            eprintln!("netplay: not read: {f}");
        }
        if !self.forbidden.is_empty() {
            eprintln!("netplay: verdicts that depend on the kinds not read may be wrong");
        }
        if !self.not_served.is_empty() {
            let n = self.not_served.len();
            let names = if crate::verbose::level() >= 1 {
                format!(": {}", self.not_served.join(", "))
            } else {
                " (-v=1 names them)".to_string()
            };
            eprintln!(
                "netplay: {n} kind{} netplay reads {} not served by this cluster (CRDs not installed), so none were read{names}",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
            );
        }
    }
}

/// Reads the cluster of a kubeconfig context; `Err` (one line) when it cannot be read.
pub fn read(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<Snapshot, String> {
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let cluster = cluster::connect(kubeconfig, context).await?;
        read_cluster(&cluster).await
    })
}

async fn read_cluster(cluster: &Cluster) -> Result<Snapshot, String> {
    let discovery = cluster::discover(&cluster.client)
        .await
        .map_err(|e| format!("context {:?} ({}): {e}", cluster.context, cluster.server))?;
    let mut snapshot = Snapshot {
        context: cluster.context.clone(),
        ..Snapshot::default()
    };
    let progress = Progress::new();
    for (groups, kind) in KINDS {
        let Some((resource, namespaced)) = resolve(&discovery, groups, kind) else {
            let group = groups.first().copied().unwrap_or_default();
            snapshot.not_served.push(crate::cluster::group_kind(group, kind));
            continue;
        };
        let name = resource_name(&resource);
        match list(cluster, &resource, &name, &progress).await {
            Ok(items) => {
                log(1, &format!("read {} {name}", items.len()));
                snapshot.lists.push(KindList {
                    api_version: resource.api_version.clone(),
                    kind: resource.kind.clone(),
                    resource: name,
                    namespaced,
                    items,
                });
            }
            Err(e) => match error_code(&e) {
                Some(403) => snapshot.forbidden.push(format!("{name}: {}", error_text(&e))),
                Some(404) => snapshot.not_served.push(name),
                _ => return Err(refusal(cluster, &format!("cannot list {name}"), &e)),
            },
        }
    }
    progress.done();
    if let Some(configmaps) = cni_configmaps(cluster, &mut snapshot.forbidden).await? {
        snapshot.lists.push(configmaps);
    }
    if snapshot.lists.iter().all(|l| l.items.is_empty()) && !snapshot.forbidden.is_empty() {
        return Err(format!(
            "context {:?}: every read was refused (403 Forbidden), e.g. {}",
            cluster.context, snapshot.forbidden[0]
        ));
    }
    Ok(snapshot)
}

/// One clear line for an error that stops the reading.
fn refusal(cluster: &Cluster, what: &str, e: &kube::Error) -> String {
    format!(
        "context {:?} ({}): {what}: {}",
        cluster.context,
        cluster.server,
        error_text(e)
    )
}

/// The first group of `groups` that serves `kind`: its resource and whether it is
/// namespaced.
fn resolve(discovery: &Discovery, groups: &[&str], kind: &str) -> Option<(ApiResource, bool)> {
    groups.iter().find_map(|g| {
        discovery
            .groups()
            .find(|group| group.name() == *g)
            .and_then(|group| group.recommended_kind(kind))
            .map(|(resource, caps)| (resource, caps.scope == Scope::Namespaced))
    })
}

fn resource_name(r: &ApiResource) -> String {
    if r.group.is_empty() {
        r.plural.clone()
    } else {
        format!("{}.{}", r.plural, r.group)
    }
}

/// Every object of a kind in all namespaces, page by page. An expired continue token (410:
/// the list changed too much while being read) starts the list again in one request, as
/// client-go's pager does.
async fn list(
    cluster: &Cluster,
    resource: &ApiResource,
    name: &str,
    progress: &Progress,
) -> Result<Vec<Value>, kube::Error> {
    use kube::Resource as _;
    let url = kube::api::DynamicObject::url_path(resource, None);
    let request = kube::core::Request::new(url);
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    let mut paged = true;
    loop {
        let mut params = ListParams::default();
        if paged {
            params = params.limit(PAGE);
        }
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let http = request.list(&params).map_err(kube::Error::BuildRequest)?;
        let text = match cluster.client.request_text(http).await {
            Ok(text) => text,
            Err(e) if error_code(&e) == Some(410) && token.is_some() => {
                log(
                    1,
                    &format!("{name} changed too much while being read (continue token expired): reading it again in one request"),
                );
                items.clear();
                token = None;
                paged = false;
                continue;
            }
            Err(e) => return Err(e),
        };
        let page: Value = serde_json::from_str(&text).map_err(kube::Error::SerdeError)?;
        let count = items.len();
        items.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| typed(item, &resource.api_version, &resource.kind)),
        );
        progress.show(name, items.len());
        log(6, &format!("{name}: {} objects in this page", items.len() - count));
        token = page["metadata"]["continue"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(items);
        }
    }
}

/// An item as kubectl writes it: apiVersion and kind first (a typed list gives them only
/// on the list), managedFields left out (kubectl's `--show-managed-fields=false`).
fn typed(item: &Value, api_version: &str, kind: &str) -> Value {
    let mut out = Map::new();
    out.insert(
        "apiVersion".into(),
        json!(item["apiVersion"].as_str().unwrap_or(api_version)),
    );
    out.insert("kind".into(), json!(item["kind"].as_str().unwrap_or(kind)));
    if let Some(fields) = item.as_object() {
        for (k, v) in fields {
            if k == "apiVersion" || k == "kind" {
                continue;
            }
            let mut v = v.clone();
            if k == "metadata" {
                if let Some(meta) = v.as_object_mut() {
                    meta.remove("managedFields");
                }
            }
            out.insert(k.clone(), v);
        }
    }
    Value::Object(out)
}

/// The CNI configuration ConfigMaps that exist (`None` when none does).
async fn cni_configmaps(cluster: &Cluster, forbidden: &mut Vec<String>) -> Result<Option<KindList>, String> {
    let resource = ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
    let mut items = Vec::new();
    for (namespace, name) in CONFIGMAPS {
        use kube::Resource as _;
        let url = kube::api::DynamicObject::url_path(&resource, Some(namespace));
        let request = kube::core::Request::new(url)
            .get(name, &kube::api::GetParams::default())
            .map_err(|e| e.to_string())?;
        match cluster.client.request_text(request).await {
            Ok(text) => {
                let item: Value =
                    serde_json::from_str(&text).map_err(|e| format!("configmap {namespace}/{name}: {e}"))?;
                items.push(typed(&item, "v1", "ConfigMap"));
            }
            Err(e) if error_code(&e) == Some(404) => {}
            Err(e) if error_code(&e) == Some(403) => {
                forbidden.push(format!("configmaps {namespace}/{name}: {}", error_text(&e)));
            }
            Err(e) => {
                return Err(refusal(
                    cluster,
                    &format!("cannot read configmap {namespace}/{name}"),
                    &e,
                ))
            }
        }
    }
    Ok((!items.is_empty()).then(|| KindList {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        resource: "configmaps".into(),
        namespaced: true,
        items,
    }))
}

/// A progress line on stderr while reading (drawn only on a terminal: large clusters take
/// a while).
struct Progress(indicatif::ProgressBar);

impl Progress {
    fn new() -> Progress {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} reading the cluster: {msg}") {
            bar.set_style(style);
        }
        Progress(bar)
    }

    fn show(&self, resource: &str, count: usize) {
        self.0.set_message(format!("{resource} ({count})"));
        self.0.tick();
    }

    fn done(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_of_a_typed_list_get_their_kind_first_and_lose_managed_fields() {
        let item = json!({"metadata": {"name": "web", "managedFields": [{"manager": "x"}]}, "spec": {}});
        let typed = typed(&item, "apps/v1", "Deployment");
        assert_eq!(
            serde_json::to_string(&typed).expect("json"),
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{}}"#
        );
        // Items of generic lists and custom resources keep their own.
        let own = typed_own();
        assert_eq!(own["apiVersion"], "example.com/v2");
    }

    fn typed_own() -> Value {
        typed(
            &json!({"apiVersion": "example.com/v2", "kind": "Widget", "metadata": {"name": "w"}}),
            "example.com/v1",
            "Widget",
        )
    }

    #[test]
    fn the_live_objects_that_the_input_defines_are_replaced_by_it() {
        let snapshot = Snapshot {
            context: "c".into(),
            lists: vec![KindList {
                api_version: "networking.k8s.io/v1".into(),
                kind: "NetworkPolicy".into(),
                resource: "networkpolicies.networking.k8s.io".into(),
                namespaced: true,
                items: vec![
                    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "a", "namespace": "shop"}}),
                    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "b", "namespace": "shop"}}),
                ],
            }],
            ..Snapshot::default()
        };
        let change = SourceFile::new(
            "change.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\nspec: {podSelector: {}}\n",
        );
        let files = snapshot.overlaid_by(std::slice::from_ref(&change));
        assert_eq!(files.len(), 2);
        assert!(!files[0].text.contains("\"name\": \"a\""), "{}", files[0].text);
        assert!(files[0].text.contains("\"name\": \"b\""));
        assert_eq!(files[1], change);
    }
}
