//! netplay-testkube: a loopback Kubernetes API server for tests, on `127.0.0.1:0` over
//! plain HTTP or HTTPS (a self-signed certificate), that records every request it receives.
//!
//! It implements the part of the API that `netplay apply`/`diff`/`probe` and
//! `kubectl apply --server-side --prune --applyset` use, with the real protocol's shapes:
//!
//! - `/version`, legacy discovery (`/api`, `/apis`, `/api/v1`, `/apis/G/V`) and, when
//!   [`Options::aggregated_discovery`] is on, aggregated discovery (`APIGroupDiscoveryList`
//!   when the `Accept` header asks for it);
//! - server-side apply (`PATCH` with `application/apply-patch+yaml`): field managers own
//!   the leaf fields they applied (lists are atomic), a value another manager owns is a
//!   409 conflict unless `force=true`, `dryRun=All` changes nothing, a no-op apply keeps
//!   the resourceVersion;
//! - `GET` of one object, `LIST` with equality and existence label selectors (also as
//!   `PartialObjectMetadataList`), `DELETE`;
//! - namespaced objects need their Namespace to exist (404 otherwise), as on a real server;
//! - CustomResourceDefinitions become Established [`Options::crd_established_after`] after
//!   their creation, and only then are their resources discovered and served;
//! - a Job gets one Pod that has "run" it at once: its log holds one `PROBE` line per
//!   target of the ConfigMap the Job mounts (the connection-tester format), the result of
//!   each decided by [`TestKube::set_reachability`] — a stand-in for the cluster's CNI.
//!   The Pod is named `<job>-<hash of the Job's uid>`, labelled `job-name=<job>` and owned
//!   by the Job, as the Job controller does; its log is written when the Job is created,
//!   and deleting the Job leaves the Pod behind (as a background deletion does for a
//!   while), so a client must tell this run's Pod from the last one's.
//!
//! It is not a Kubernetes: no validation beyond the above, no watches, no conversions.

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// Answer aggregated discovery (`as=APIGroupDiscoveryList`) requests; when off, the
    /// server answers them with the legacy documents, as an old API server does.
    pub aggregated_discovery: bool,
    /// How long after its creation a CRD becomes Established.
    pub crd_established_after: Duration,
    /// Serve HTTPS with a self-signed certificate for `127.0.0.1` made at start-up
    /// ([`TestKube::ca_pem`]); plain HTTP otherwise.
    pub tls: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            aggregated_discovery: false,
            crd_established_after: Duration::from_millis(200),
            tls: false,
        }
    }
}

/// One request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Query parameters in the order sent, percent-decoded.
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub authorization: Option<String>,
    pub body: String,
}

impl Request {
    /// The value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A kind of object the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ResourceType {
    group: String,
    version: String,
    kind: String,
    plural: String,
    namespaced: bool,
}

impl ResourceType {
    fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceType {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
        }
    }
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

fn builtin_types() -> Vec<ResourceType> {
    let t = ResourceType::new;
    vec![
        t("", "v1", "Namespace", "namespaces", false),
        t("", "v1", "ConfigMap", "configmaps", true),
        t("", "v1", "Secret", "secrets", true),
        t("", "v1", "Service", "services", true),
        t("", "v1", "ServiceAccount", "serviceaccounts", true),
        t("", "v1", "Pod", "pods", true),
        t("apps", "v1", "Deployment", "deployments", true),
        t("apps", "v1", "StatefulSet", "statefulsets", true),
        t("apps", "v1", "DaemonSet", "daemonsets", true),
        t("batch", "v1", "Job", "jobs", true),
        t("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true),
        t("networking.k8s.io", "v1", "Ingress", "ingresses", true),
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
        ),
    ]
}

/// Where an object lives: group, plural, namespace (`""` when cluster-scoped), name.
type Key = (String, String, String, String);

/// A leaf field: the path of keys from the object's root.
type FieldPath = Vec<String>;

#[derive(Clone, Debug)]
struct Stored {
    /// The object without managedFields (rendered from `owners` on the way out).
    value: Value,
    /// Field manager → (apiVersion it applied with, the leaf fields it owns).
    owners: BTreeMap<String, (String, BTreeSet<FieldPath>)>,
    created: Instant,
    /// A Pod's log, written when it "ran" (at its creation).
    log: Option<String>,
}

type Reachability = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

struct State {
    options: Options,
    types: Vec<ResourceType>,
    objects: BTreeMap<Key, Stored>,
    requests: Vec<Request>,
    resource_version: u64,
    uid: u64,
    /// (plural, name) → the status code its next applies fail with.
    rejects: BTreeMap<(String, String), u16>,
    reachability: Reachability,
}

/// A running loopback API server; stops when dropped.
pub struct TestKube {
    addr: SocketAddr,
    /// The certificate (PEM) when serving HTTPS.
    ca_pem: Option<String>,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What every created object is stamped with, so that outputs are reproducible.
const TIMESTAMP: &str = "2026-01-01T00:00:00Z";

impl TestKube {
    /// Starts a server with the default [`Options`].
    pub fn start() -> TestKube {
        TestKube::start_with(Options::default())
    }

    /// Starts a server on a free loopback port, in a thread of its own.
    pub fn start_with(options: Options) -> TestKube {
        let tls = options.tls.then(self_signed);
        let mut state = State {
            options,
            types: builtin_types(),
            objects: BTreeMap::new(),
            requests: Vec::new(),
            resource_version: 100,
            uid: 0,
            rejects: BTreeMap::new(),
            reachability: Arc::new(|_, _| true),
        };
        for ns in ["default", "kube-system"] {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = state.apply(&builtin_types()[0], "", ns, "kube-apiserver", &obj, true, false);
        }
        let state = Arc::new(Mutex::new(state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let acceptor = tls.as_ref().map(|(_, acceptor)| acceptor.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let state = shared.clone();
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                match acceptor {
                                    Some(acceptor) => {
                                        if let Ok(stream) = acceptor.accept(stream).await {
                                            serve(stream, state).await;
                                        }
                                    }
                                    None => serve(stream, state).await,
                                }
                            });
                        }
                    }
                }
            });
        });
        TestKube {
            addr,
            ca_pem: tls.map(|(pem, _)| pem),
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://` with [`Options::tls`].
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The server's self-signed certificate (PEM), when it serves HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A kubeconfig with one context named `context` for this server, authenticating
    /// with a bearer `token` (the server accepts any); with HTTPS, the certificate is the
    /// cluster's `certificate-authority-data`.
    pub fn kubeconfig(&self, context: &str, token: &str) -> String {
        let ca = self
            .ca_pem
            .as_ref()
            .map(|pem| {
                format!(
                    "    certificate-authority-data: {}\n",
                    base64::engine::general_purpose::STANDARD.encode(pem)
                )
            })
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testkube\n  cluster:\n    server: {url}\n{ca}\
             users:\n- name: tester\n  user:\n    token: {token}\n\
             contexts:\n- name: {context}\n  context:\n    cluster: testkube\n    user: tester\n\
             current-context: {context}\n",
            url = self.url()
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// One object as a GET would return it (managedFields included).
    pub fn object(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let state = self.lock();
        let ty = state
            .types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)?;
        let key = (
            ty.group.clone(),
            ty.plural.clone(),
            namespace.to_string(),
            name.to_string(),
        );
        state.objects.get(&key).map(|s| state.render(s))
    }

    /// `kind namespace/name` (or `kind name`) of every object, sorted, the built-in
    /// namespaces and the probe pods left out.
    pub fn names(&self) -> Vec<String> {
        let state = self.lock();
        state
            .objects
            .iter()
            .filter(|((_, plural, _, name), _)| {
                !(plural == "namespaces" && (name == "default" || name == "kube-system")) && plural != "pods"
            })
            .map(|(_, s)| {
                let kind = s.value["kind"].as_str().unwrap_or("?");
                let name = s.value["metadata"]["name"].as_str().unwrap_or("?");
                match s.value["metadata"]["namespace"].as_str() {
                    Some(ns) => format!("{kind} {ns}/{name}"),
                    None => format!("{kind} {name}"),
                }
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Applies an object as field manager `manager`, as another tool would (with force).
    pub fn apply_as(&self, manager: &str, object: Value) {
        let mut state = self.lock();
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let ty = state
            .types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
            .cloned()
            .expect("a kind the server serves");
        let ns = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let ns = if ty.namespaced { ns } else { String::new() };
        state
            .apply(&ty, &ns, &name, manager, &object, true, false)
            .expect("apply_as");
    }

    /// Makes every apply of the object `plural`/`name` fail with `status` until cleared
    /// with [`TestKube::clear_rejects`].
    pub fn reject_apply(&self, plural: &str, name: &str, status: u16) {
        self.lock().rejects.insert((plural.into(), name.into()), status);
    }

    pub fn clear_rejects(&self) {
        self.lock().rejects.clear();
    }

    /// Decides the result of each probe: `(source pod as namespace/name, target host:port)
    /// → reachable`, for the Jobs created from now on. The default reaches everything (a
    /// CNI that enforces nothing).
    pub fn set_reachability(&self, f: impl Fn(&str, &str) -> bool + Send + Sync + 'static) {
        self.lock().reachability = Arc::new(f);
    }
}

impl Drop for TestKube {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A self-signed certificate for `127.0.0.1` and `localhost`: its PEM and a TLS acceptor.
fn self_signed() -> (String, tokio_rustls::TlsAcceptor) {
    use tokio_rustls::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("a self-signed certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("a TLS configuration");
    (certified.cert.pem(), tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves one connection (plain or TLS) until the client closes it.
async fn serve<I>(io: I, state: Arc<Mutex<State>>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
}

// ---------------------------------------------------------------------------------------
// Requests

type Response = hyper::Response<Full<Bytes>>;

fn respond(status: StatusCode, content_type: &str, body: &Value) -> Response {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    respond(status, "application/json", body)
}

/// A `Status` object, the API's error body.
fn status(code: u16, reason: &str, message: &str) -> Response {
    json_response(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}),
    )
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).map(|h| u8::from_str_radix(h, 16)) {
                    Ok(Ok(b)) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(state: &Arc<Mutex<State>>, req: hyper::Request<Incoming>) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type");
    let accept = header("accept");
    let authorization = header("authorization");
    let body = match req.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let request = Request {
        method: method.to_string(),
        path,
        query,
        content_type,
        accept,
        authorization,
        body,
    };
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.requests.push(request.clone());
    state.route(&method, &request)
}

/// The parts of a resource path.
struct Target {
    ty: ResourceType,
    namespace: String,
    name: Option<String>,
    subresource: Option<String>,
}

impl State {
    /// The types served now: built-ins and the CRDs that are Established.
    fn served_types(&self) -> Vec<ResourceType> {
        self.types.clone()
    }

    fn route(&mut self, method: &Method, req: &Request) -> Response {
        // CRDs become Established with time, not with requests: check on every request.
        self.establish_crds();
        let path = req.path.trim_end_matches('/');
        let aggregated = self.options.aggregated_discovery
            && req
                .accept
                .as_deref()
                .is_some_and(|a| a.contains("as=APIGroupDiscoveryList"));
        match path {
            "/version" => {
                return json_response(
                    StatusCode::OK,
                    &json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-testkube",
                            "platform": "linux/amd64"}),
                )
            }
            "/api" if aggregated => return self.aggregated(true),
            "/apis" if aggregated => return self.aggregated(false),
            "/api" => {
                return json_response(
                    StatusCode::OK,
                    &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs":
                            [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
                )
            }
            "/apis" => return self.group_list(),
            _ => {}
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", v, rest @ ..] => ("", *v, rest),
            ["apis", g, v, rest @ ..] => (*g, *v, rest),
            _ => return status(404, "NotFound", "the server could not find the requested resource"),
        };
        if rest.is_empty() {
            return self.resource_list(group, version);
        }
        let (namespace, rest) = match rest {
            ["namespaces", ns, plural, more @ ..] => (*ns, [&[*plural][..], more].concat()),
            other => ("", other.to_vec()),
        };
        let Some(ty) = self
            .served_types()
            .into_iter()
            .find(|t| t.group == group && t.version == version && t.plural == rest[0])
        else {
            return status(404, "NotFound", "the server could not find the requested resource");
        };
        let target = Target {
            namespace: if ty.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            ty,
            name: rest.get(1).map(|s| s.to_string()),
            subresource: rest.get(2).map(|s| s.to_string()),
        };
        match (method, &target.name, target.subresource.as_deref()) {
            (&Method::GET, None, _) => self.list(&target, req),
            (&Method::GET, Some(_), None) => self.get(&target, req),
            (&Method::GET, Some(_), Some("log")) if target.ty.plural == "pods" => self.log(&target),
            (&Method::PATCH, Some(name), None) => {
                if !req
                    .content_type
                    .as_deref()
                    .is_some_and(|c| c.starts_with("application/apply-patch+yaml"))
                {
                    return status(415, "UnsupportedMediaType", "only server-side apply patches are served");
                }
                self.apply_request(&target, name.clone(), req)
            }
            (&Method::DELETE, Some(name), None) => {
                // kubectl sends dryRun in the query, kube-rs in the DeleteOptions body.
                let body_dry_run = serde_json::from_str::<Value>(&req.body)
                    .is_ok_and(|b| b["dryRun"].as_array().is_some_and(|d| d.iter().any(|v| v == "All")));
                let dry_run = req.param("dryRun") == Some("All") || body_dry_run;
                self.delete(&target, name, dry_run)
            }
            _ => status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        }
    }

    fn group_list(&self) -> Response {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in self.served_types().iter().filter(|t| !t.group.is_empty()) {
            let versions = groups.entry(t.group.clone()).or_default();
            if !versions.contains(&t.version) {
                versions.push(t.version.clone());
            }
        }
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(g, vs)| {
                let versions: Vec<Value> = vs
                    .iter()
                    .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                    .collect();
                json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
            })
            .collect();
        json_response(
            StatusCode::OK,
            &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
        )
    }

    fn resources(&self, group: &str, version: &str) -> Vec<Value> {
        let verbs = json!(["create", "delete", "get", "list", "patch", "update"]);
        let mut out = Vec::new();
        for t in self.served_types() {
            if t.group != group || t.version != version {
                continue;
            }
            out.push(
                json!({"name": t.plural, "singularName": t.kind.to_lowercase(), "namespaced": t.namespaced,
                            "kind": t.kind, "verbs": verbs}),
            );
            if t.plural == "pods" {
                out.push(json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}));
            }
        }
        out
    }

    fn resource_list(&self, group: &str, version: &str) -> Response {
        let resources = self.resources(group, version);
        if resources.is_empty() {
            return status(404, "NotFound", "the server could not find the requested resource");
        }
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        json_response(
            StatusCode::OK,
            &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        )
    }

    fn aggregated(&self, core: bool) -> Response {
        let mut groups: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
        for t in self.served_types() {
            if t.group.is_empty() != core {
                continue;
            }
            let scope = if t.namespaced { "Namespaced" } else { "Cluster" };
            let mut resource = json!({
                "resource": t.plural, "singularResource": t.kind.to_lowercase(), "scope": scope,
                "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
                "verbs": ["create", "delete", "get", "list", "patch", "update"]});
            if t.plural == "pods" {
                resource["subresources"] = json!([{"subresource": "log",
                    "responseKind": {"group": "", "version": "v1", "kind": "Pod"}, "verbs": ["get"]}]);
            }
            groups
                .entry(t.group.clone())
                .or_default()
                .entry(t.version.clone())
                .or_default()
                .push(resource);
        }
        let items: Vec<Value> = groups
            .into_iter()
            .map(|(g, versions)| {
                let versions: Vec<Value> = versions
                    .into_iter()
                    .map(|(v, rs)| json!({"version": v, "resources": rs, "freshness": "Current"}))
                    .collect();
                json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
            })
            .collect();
        respond(
            StatusCode::OK,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            &json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                    "metadata": {}, "items": items}),
        )
    }

    fn key(target: &Target, name: &str) -> Key {
        (
            target.ty.group.clone(),
            target.ty.plural.clone(),
            target.namespace.clone(),
            name.to_string(),
        )
    }

    /// The object as the API returns it: stored value, computed status, managedFields.
    fn render(&self, stored: &Stored) -> Value {
        let mut v = stored.value.clone();
        let managed: Vec<Value> = stored
            .owners
            .iter()
            .map(|(manager, (api_version, fields))| {
                json!({"manager": manager, "operation": "Apply", "apiVersion": api_version, "time": TIMESTAMP,
                       "fieldsType": "FieldsV1", "fieldsV1": fields_v1(fields)})
            })
            .collect();
        v["metadata"]["managedFields"] = Value::Array(managed);
        match v["kind"].as_str() {
            Some("CustomResourceDefinition") => {
                let established = stored.created.elapsed() >= self.options.crd_established_after;
                let s = if established { "True" } else { "False" };
                v["status"] = json!({"conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
                    {"type": "Established", "status": s, "reason": if established { "InitialNamesAccepted" } else { "Installing" }}]});
            }
            Some("Job") => {
                v["status"] = json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]});
            }
            Some("Pod") => v["status"] = json!({"phase": "Succeeded"}),
            _ => {}
        }
        v
    }

    /// Adds the resource types of CRDs that have become Established.
    fn establish_crds(&mut self) {
        let delay = self.options.crd_established_after;
        let mut new_types = Vec::new();
        for ((_, plural, _, _), stored) in &self.objects {
            if plural != "customresourcedefinitions" || stored.created.elapsed() < delay {
                continue;
            }
            let spec = &stored.value["spec"];
            let group = spec["group"].as_str().unwrap_or_default();
            let kind = spec["names"]["kind"].as_str().unwrap_or_default();
            let plural = spec["names"]["plural"].as_str().unwrap_or_default();
            let namespaced = spec["scope"].as_str() != Some("Cluster");
            for v in spec["versions"].as_array().into_iter().flatten() {
                let version = v["name"].as_str().unwrap_or_default();
                new_types.push(ResourceType::new(group, version, kind, plural, namespaced));
            }
        }
        for t in new_types {
            if !self.types.contains(&t) {
                self.types.push(t);
            }
        }
    }

    fn get(&mut self, target: &Target, req: &Request) -> Response {
        let name = target.name.clone().unwrap_or_default();
        match self.objects.get(&Self::key(target, &name)) {
            Some(stored) => {
                let v = self.render(stored);
                if req
                    .accept
                    .as_deref()
                    .is_some_and(|a| a.contains("as=PartialObjectMetadata;"))
                {
                    return respond(
                        StatusCode::OK,
                        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
                        &json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}),
                    );
                }
                json_response(StatusCode::OK, &v)
            }
            None => not_found(&target.ty, &name),
        }
    }

    fn list(&mut self, target: &Target, req: &Request) -> Response {
        let selector = req.param("labelSelector").unwrap_or_default().to_string();
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|((g, p, ns, _), _)| {
                *g == target.ty.group
                    && *p == target.ty.plural
                    && (target.namespace.is_empty() || *ns == target.namespace)
            })
            .map(|(_, s)| self.render(s))
            .filter(|v| matches_selector(&v["metadata"]["labels"], &selector))
            .collect();
        let rv = self.resource_version.to_string();
        if req
            .accept
            .as_deref()
            .is_some_and(|a| a.contains("as=PartialObjectMetadataList"))
        {
            let items: Vec<Value> = items
                .iter()
                .map(|v| json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}))
                .collect();
            return respond(
                StatusCode::OK,
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                        "metadata": {"resourceVersion": rv}, "items": items}),
            );
        }
        json_response(
            StatusCode::OK,
            &json!({"kind": format!("{}List", target.ty.kind), "apiVersion": target.ty.api_version(),
                    "metadata": {"resourceVersion": rv}, "items": items}),
        )
    }

    fn delete(&mut self, target: &Target, name: &str, dry_run: bool) -> Response {
        let key = Self::key(target, name);
        if dry_run {
            return match self.objects.get(&key) {
                Some(stored) => json_response(StatusCode::OK, &self.render(stored)),
                None => not_found(&target.ty, name),
            };
        }
        match self.objects.remove(&key) {
            Some(stored) => {
                self.resource_version += 1;
                json_response(StatusCode::OK, &self.render(&stored))
            }
            None => not_found(&target.ty, name),
        }
    }

    fn log(&mut self, target: &Target) -> Response {
        let pod_name = target.name.clone().unwrap_or_default();
        let Some(pod) = self.objects.get(&Self::key(target, &pod_name)) else {
            return not_found(&target.ty, &pod_name);
        };
        hyper::Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from(pod.log.clone().unwrap_or_default())))
            .unwrap_or_default()
    }

    fn apply_request(&mut self, target: &Target, name: String, req: &Request) -> Response {
        let Ok(applied) = serde_yaml::from_str::<Value>(&req.body) else {
            return status(400, "BadRequest", "the body is not valid YAML or JSON");
        };
        let Some(manager) = req.param("fieldManager").filter(|m| !m.is_empty()) else {
            return status(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            );
        };
        if let Some(code) = self.rejects.get(&(target.ty.plural.clone(), name.clone())) {
            return status(
                *code,
                "InternalError",
                &format!("injected failure for {}/{name}", target.ty.plural),
            );
        }
        if target.ty.namespaced && !self.objects.contains_key(&ns_key(&target.namespace)) {
            return json_response(
                StatusCode::NOT_FOUND,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": format!("namespaces \"{}\" not found", target.namespace), "reason": "NotFound",
                        "details": {"name": target.namespace, "kind": "namespaces"}, "code": 404}),
            );
        }
        let force = req.param("force") == Some("true");
        let dry_run = req.param("dryRun") == Some("All");
        let manager = manager.to_string();
        match self.apply(&target.ty, &target.namespace, &name, &manager, &applied, force, dry_run) {
            Ok((created, value)) => json_response(if created { StatusCode::CREATED } else { StatusCode::OK }, &value),
            Err(resp) => *resp,
        }
    }

    /// Server-side apply; `Ok((created, object))`.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        ty: &ResourceType,
        namespace: &str,
        name: &str,
        manager: &str,
        applied: &Value,
        force: bool,
        dry_run: bool,
    ) -> Result<(bool, Value), Box<Response>> {
        let key = (
            ty.group.clone(),
            ty.plural.clone(),
            namespace.to_string(),
            name.to_string(),
        );
        let mut config = applied.clone();
        if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
            for system in [
                "managedFields",
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "generation",
            ] {
                meta.remove(system);
            }
        }
        let mut paths = BTreeSet::new();
        leaf_paths(&config, &mut Vec::new(), &mut paths);
        for fixed in [
            ["apiVersion"].as_slice(),
            &["kind"],
            &["metadata", "name"],
            &["metadata", "namespace"],
        ] {
            paths.remove(&fixed.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        }
        let existing = self.objects.get(&key).cloned();
        let created = existing.is_none();
        let mut stored = existing.clone().unwrap_or_else(|| Stored {
            value: json!({"apiVersion": ty.api_version(), "kind": ty.kind, "metadata": {"name": name}}),
            owners: BTreeMap::new(),
            created: Instant::now(),
            log: None,
        });
        if ty.namespaced {
            stored.value["metadata"]["namespace"] = json!(namespace);
        }
        // Conflicts: a field another manager owns, applied with a different value.
        let mut conflicts: Vec<(String, String)> = Vec::new();
        for (other, (_, fields)) in &stored.owners {
            if other == manager {
                continue;
            }
            for p in paths.intersection(fields) {
                if get_path(&stored.value, p) != get_path(&config, p) {
                    conflicts.push((other.clone(), field_text(p)));
                }
            }
        }
        if !conflicts.is_empty() && !force {
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|(m, f)| json!({"type": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": f}))
                .collect();
            let list: Vec<String> = conflicts
                .iter()
                .map(|(m, f)| format!("conflict with \"{m}\" using {}: {f}", ty.api_version()))
                .collect();
            let message = format!(
                "Apply failed with {} conflict{}: {}",
                conflicts.len(),
                if conflicts.len() == 1 { "" } else { "s" },
                list.join("\n")
            );
            return Err(Box::new(json_response(
                StatusCode::CONFLICT,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                        "reason": "Conflict", "details": {"name": name, "group": ty.group, "kind": ty.plural, "causes": causes},
                        "code": 409}),
            )));
        }
        for (other, (_, fields)) in stored.owners.iter_mut() {
            if other != manager {
                for p in &paths {
                    if force {
                        fields.remove(p);
                    }
                }
            }
        }
        // Fields this manager applied before and no longer does, that nobody else owns, go.
        if let Some((_, before)) = stored.owners.get(manager) {
            for p in before.difference(&paths) {
                let shared = stored.owners.iter().any(|(m, (_, f))| m != manager && f.contains(p));
                if !shared {
                    remove_path(&mut stored.value, p);
                }
            }
        }
        merge(&mut stored.value, &config);
        stored.owners.insert(manager.to_string(), (ty.api_version(), paths));
        stored.owners.retain(|_, (_, f)| !f.is_empty());
        let changed = existing
            .as_ref()
            .is_none_or(|e| e.value != stored.value || !same_owners(&e.owners, &stored.owners));
        if changed {
            let rv = self.resource_version + 1;
            if !dry_run {
                self.resource_version = rv;
            }
            if created {
                self.uid += 1;
                stored.value["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{:012}", self.uid));
                stored.value["metadata"]["creationTimestamp"] = json!(TIMESTAMP);
                if dry_run {
                    self.uid -= 1;
                }
            }
            stored.value["metadata"]["resourceVersion"] = json!(rv.to_string());
        }
        let rendered = self.render(&stored);
        if !dry_run {
            if created && ty.kind == "Job" {
                let uid = stored.value["metadata"]["uid"].as_str().unwrap_or_default().to_string();
                self.start_job_pod(namespace, name, &uid, &stored.value);
            }
            self.objects.insert(key, stored);
            self.establish_crds();
        }
        Ok((created, rendered))
    }

    /// The Pod a Job runs, already finished: named `<job>-<hash of the Job's uid>`, owned
    /// by the Job, labelled `job-name`, its log written now (a later change of the
    /// reachability does not rewrite what an earlier run printed).
    fn start_job_pod(&mut self, namespace: &str, job: &str, job_uid: &str, job_value: &Value) {
        let pod_name = format!("{job}-{}", short_hash(job_uid));
        let log = self.probe_log(namespace, &pod_name, job_value);
        let value = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": namespace, "labels": {"job-name": job},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": job_uid,
                                              "controller": true}],
                         "uid": format!("pod-{pod_name}"), "resourceVersion": self.resource_version.to_string(),
                         "creationTimestamp": TIMESTAMP}});
        let key = (String::new(), "pods".to_string(), namespace.to_string(), pod_name);
        self.objects.insert(
            key,
            Stored {
                value,
                owners: BTreeMap::new(),
                created: Instant::now(),
                log: Some(log),
            },
        );
    }

    /// One `PROBE` line per target of the ConfigMap the Job mounts.
    fn probe_log(&self, ns: &str, pod_name: &str, job: &Value) -> String {
        let configmap = job["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .and_then(|vs| {
                vs.iter()
                    .find_map(|v| v["configMap"]["name"].as_str().map(str::to_string))
            })
            .unwrap_or_default();
        let cm_key = (String::new(), "configmaps".to_string(), ns.to_string(), configmap);
        let targets = self
            .objects
            .get(&cm_key)
            .and_then(|c| c.value["data"]["targets"].as_str().map(str::to_string))
            .unwrap_or_default();
        let mut out = String::new();
        for line in targets.lines() {
            let Some(dst) = line.split_whitespace().next() else {
                continue;
            };
            if dst.starts_with('#') {
                continue;
            }
            let ok = (self.reachability)(&format!("{ns}/{pod_name}"), dst);
            let (result, latency) = if ok { ("ok", 10) } else { ("fail", 3010) };
            out.push_str(&format!(
                "PROBE src={ns}/{pod_name} dst={dst} proto=tcp result={result} latency_ms={latency}\n"
            ));
        }
        out
    }
}

fn same_owners(
    a: &BTreeMap<String, (String, BTreeSet<FieldPath>)>,
    b: &BTreeMap<String, (String, BTreeSet<FieldPath>)>,
) -> bool {
    a == b
}

fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(s.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&digest[..4])
        .to_lowercase()
        .replace(['-', '_'], "x")
}

fn ns_key(ns: &str) -> Key {
    (String::new(), "namespaces".to_string(), String::new(), ns.to_string())
}

fn not_found(ty: &ResourceType, name: &str) -> Response {
    let what = if ty.group.is_empty() {
        ty.plural.clone()
    } else {
        format!("{}.{}", ty.plural, ty.group)
    };
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("{what} \"{name}\" not found"), "reason": "NotFound",
                "details": {"name": name, "group": ty.group, "kind": ty.plural}, "code": 404}),
    )
}

/// `k=v`, `k==v`, `k!=v`, `k` and `!k`, comma-separated.
fn matches_selector(labels: &Value, selector: &str) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                labels[k.trim()].as_str() != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels[k.trim()].as_str() == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                labels.get(k.trim()).is_none()
            } else {
                labels.get(term).is_some()
            }
        })
}

/// Leaf fields: scalars, lists (atomic) and empty maps.
fn leaf_paths(v: &Value, prefix: &mut Vec<String>, out: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                prefix.push(k.clone());
                leaf_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

fn get_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        match cur.get_mut(k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// `.spec.replicas`.
fn field_text(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

/// The FieldsV1 form of a set of leaf fields: `{"f:spec": {"f:replicas": {}}}`.
fn fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = Map::new();
    for path in fields {
        let mut cur = &mut root;
        for k in path {
            cur = cur
                .entry(format!("f:{k}"))
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("an object");
        }
    }
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_equality_inequality_and_existence() {
        let labels = json!({"a": "1", "b": "2"});
        assert!(matches_selector(&labels, "a=1,b"));
        assert!(matches_selector(&labels, "a==1,c!=3,!c"));
        assert!(!matches_selector(&labels, "a=2"));
        assert!(!matches_selector(&labels, "c"));
    }

    #[test]
    fn fields_v1_nests_leaf_paths() {
        let mut paths = BTreeSet::new();
        leaf_paths(
            &json!({"spec": {"replicas": 2, "selector": {}}}),
            &mut Vec::new(),
            &mut paths,
        );
        assert_eq!(
            fields_v1(&paths),
            json!({"f:spec": {"f:replicas": {}, "f:selector": {}}})
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(decode("a%3Db%2Cc"), "a=b,c");
        assert_eq!(decode("100%"), "100%");
    }
}
