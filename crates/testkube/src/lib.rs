//! netplay-testkube: a loopback Kubernetes API server for tests, on `127.0.0.1:0` over
//! plain HTTP or HTTPS (a self-signed certificate), that records every request it receives.
//!
//! It implements the part of the API that `netplay apply`/`diff`/`probe`/`dump`, the live
//! reading of `connlist --context`, and `kubectl get`/`kubectl apply --server-side --prune
//! --applyset` use, with the real protocol's shapes:
//!
//! - `/version`, legacy discovery (`/api`, `/apis`, `/api/v1`, `/apis/G/V`, with short
//!   names and the `all` category that `kubectl get all` resolves) and, when
//!   [`Options::aggregated_discovery`] is on, aggregated discovery (`APIGroupDiscoveryList`
//!   when the `Accept` header asks for it);
//! - server-side apply (`PATCH` with `application/apply-patch+yaml`): field managers own
//!   the leaf fields they applied (lists are atomic), a value another manager owns is a
//!   409 conflict unless `force=true`, `dryRun=All` changes nothing, a no-op apply keeps
//!   the resourceVersion;
//! - `GET` of one object; `LIST` of a namespace or of all namespaces with equality and
//!   existence label selectors (also as `PartialObjectMetadataList`), paginated with
//!   `limit` and `continue` (items in storage order, `remainingItemCount`), as typed lists
//!   (`PodList`) whose items carry no apiVersion and kind for built-in kinds; `DELETE`;
//! - namespaced objects need their Namespace to exist (404 otherwise), as on a real server;
//! - CustomResourceDefinitions become Established [`Options::crd_established_after`] after
//!   their creation, and only then are their resources discovered and served;
//! - authentication when asked ([`TestKube::require_token`]): a bearer token or a client
//!   certificate the server issued ([`Options::client_certificates`]), 401 otherwise;
//!   RBAC-style 403s per resource ([`TestKube::forbid`]);
//! - injected failures ([`TestKube::inject`]): error statuses with or without
//!   `Retry-After`, delays, dropped connections, expired continue tokens;
//! - a Job gets one Pod that has "run" it at once: its log holds one `PROBE` line per
//!   target of the ConfigMap the Job mounts (the connection-tester format), the result of
//!   each decided by [`TestKube::set_reachability`] — a stand-in for the cluster's CNI.
//!   The Pod is named `<job>-<hash of the Job's uid>`, labelled `job-name=<job>` and owned
//!   by the Job, as the Job controller does; its log is written when the Job is created,
//!   and deleting the Job leaves the Pod behind (as a background deletion does for a
//!   while), so a client must tell this run's Pod from the last one's.
//!
//! It is not a Kubernetes: no validation beyond the above, no watches, no conversions, and
//! a paginated list reads the current objects rather than a snapshot.

mod apply;
mod jobs;
mod routes;
mod server;
mod store;
mod types;

use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Stored;
use types::{builtin_types, ResourceType};

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
    /// With `tls`: ask clients for a certificate and accept those that
    /// [`TestKube::client_certificate`] issued (a request with one is authenticated as
    /// its CommonName).
    pub client_certificates: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            aggregated_discovery: false,
            crd_established_after: Duration::from_millis(200),
            tls: false,
            client_certificates: false,
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
    /// The CommonName of the client certificate the connection presented.
    pub user: Option<String>,
    pub body: String,
}

impl Request {
    /// The value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A failure the server answers with instead of the normal answer ([`TestKube::inject`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An error status with the API server's `Status` body for the code (409 Conflict,
    /// 410 Expired, 429 TooManyRequests, 500, 503, 504, ...), and a `Retry-After: N`
    /// header (and `details.retryAfterSeconds`) when given.
    Status { code: u16, retry_after: Option<u32> },
    /// Wait this long, then answer normally: a client with a shorter timeout gives up.
    Delay(Duration),
    /// Close the connection without an answer.
    Drop,
}

/// Which requests a fault applies to.
pub type Matcher = Arc<dyn Fn(&Request) -> bool + Send + Sync>;

struct FaultRule {
    matches: Matcher,
    fault: Fault,
    /// How many more matching requests it applies to.
    remaining: usize,
}

type Reachability = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

pub(crate) struct State {
    pub options: Options,
    pub types: Vec<ResourceType>,
    pub objects: BTreeMap<store::Key, Stored>,
    pub requests: Vec<Request>,
    pub resource_version: u64,
    pub uid: u64,
    /// (plural, name) → the status code its next applies fail with.
    pub rejects: BTreeMap<(String, String), u16>,
    pub reachability: Reachability,
    /// The bearer token requests must carry (unless they present a client certificate).
    pub required_token: Option<String>,
    /// Resources (`pods`, `deployments.apps`, or `*`) every request to which is a 403.
    pub forbidden: BTreeSet<String>,
    faults: Vec<FaultRule>,
    /// DER of each client certificate issued → its user.
    cert_users: BTreeMap<Vec<u8>, String>,
}

impl State {
    /// The fault the first matching rule with uses left injects, if any.
    pub(crate) fn take_fault(&mut self, req: &Request) -> Option<Fault> {
        let rule = self.faults.iter_mut().find(|r| r.remaining > 0 && (r.matches)(req))?;
        rule.remaining -= 1;
        Some(rule.fault.clone())
    }
}

/// A running loopback API server; stops when dropped.
pub struct TestKube {
    addr: SocketAddr,
    /// The certificate (PEM) when serving HTTPS.
    ca_pem: Option<String>,
    client_ca: Option<server::ClientCa>,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What every created object is stamped with, so that outputs are reproducible.
pub(crate) const TIMESTAMP: &str = "2026-01-01T00:00:00Z";

impl TestKube {
    /// Starts a server with the default [`Options`].
    pub fn start() -> TestKube {
        TestKube::start_with(Options::default())
    }

    /// Starts a server on a free loopback port, in a thread of its own.
    pub fn start_with(options: Options) -> TestKube {
        let tls = options.tls.then(|| server::tls(options.client_certificates));
        let mut state = State {
            options,
            types: builtin_types(),
            objects: BTreeMap::new(),
            requests: Vec::new(),
            resource_version: 100,
            uid: 0,
            rejects: BTreeMap::new(),
            reachability: Arc::new(|_, _| true),
            required_token: None,
            forbidden: BTreeSet::new(),
            faults: Vec::new(),
            cert_users: BTreeMap::new(),
        };
        let namespaces = builtin_types()
            .into_iter()
            .find(|t| t.plural == "namespaces")
            .expect("Namespace is a built-in type");
        for ns in ["default", "kube-system"] {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = state.apply(&namespaces, "", ns, "kube-apiserver", &obj, true, false);
        }
        let state = Arc::new(Mutex::new(state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
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
                                            let user = client_user(&state, &stream);
                                            server::serve(stream, state, user).await;
                                        }
                                    }
                                    None => server::serve(stream, state, None).await,
                                }
                            });
                        }
                    }
                }
            });
        });
        let (ca_pem, client_ca) = match tls {
            Some(t) => (Some(t.ca_pem), t.client_ca),
            None => (None, None),
        };
        TestKube {
            addr,
            ca_pem,
            client_ca,
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
    /// with a bearer `token`; with HTTPS, the certificate is the cluster's
    /// `certificate-authority-data`.
    pub fn kubeconfig(&self, context: &str, token: &str) -> String {
        self.kubeconfig_for_user(context, &format!("    token: {token}\n"))
    }

    /// A kubeconfig like [`TestKube::kubeconfig`] whose user is `user_fields` (the lines
    /// under `user:`, indented by four spaces), e.g. an `exec:` plugin or client keys.
    pub fn kubeconfig_for_user(&self, context: &str, user_fields: &str) -> String {
        let ca = self
            .ca_pem
            .as_ref()
            .map(|pem| format!("    certificate-authority-data: {}\n", b64(pem)))
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testkube\n  cluster:\n    server: {url}\n{ca}\
             users:\n- name: tester\n  user:\n{user_fields}\
             contexts:\n- name: {context}\n  context:\n    cluster: testkube\n    user: tester\n\
             current-context: {context}\n",
            url = self.url()
        )
    }

    /// Issues a client certificate for `user` (with [`Options::client_certificates`]):
    /// the `client-certificate-data` and `client-key-data` lines of a kubeconfig user.
    pub fn client_certificate(&self, user: &str) -> String {
        let ca = self
            .client_ca
            .as_ref()
            .expect("Options { tls: true, client_certificates: true, .. }");
        let (cert, key, der) = server::issue(ca, user);
        self.lock().cert_users.insert(der, user.to_string());
        format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&cert),
            b64(&key)
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

    /// From now on, a request must carry `Authorization: Bearer TOKEN` or a client
    /// certificate the server issued; any other gets 401 Unauthorized, discovery included.
    pub fn require_token(&self, token: &str) {
        self.lock().required_token = Some(token.to_string());
    }

    /// Refuses every request to `resource` (`pods`, `deployments.apps`, or `*` for every
    /// resource; discovery stays open, as for any authenticated user) with the API
    /// server's 403 Forbidden, as RBAC does.
    pub fn forbid(&self, resource: &str) {
        self.lock().forbidden.insert(resource.to_string());
    }

    /// Answers the next `times` requests for which `matches` holds with `fault`. Rules
    /// are tried in the order they were added; a request consumes one use of the first
    /// rule that matches.
    pub fn inject(&self, matches: impl Fn(&Request) -> bool + Send + Sync + 'static, fault: Fault, times: usize) {
        self.lock().faults.push(FaultRule {
            matches: Arc::new(matches),
            fault,
            remaining: times,
        });
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

    /// Every object whose label `key` is `value`, as a GET would return it.
    pub fn labelled(&self, key: &str, value: &str) -> Vec<Value> {
        let state = self.lock();
        state
            .objects
            .values()
            .filter(|s| s.value["metadata"]["labels"][key].as_str() == Some(value))
            .map(|s| state.render(s))
            .collect()
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

    /// Whether the server serves `apiVersion`/`kind` now: `Some(namespaced)`, `None` when
    /// it does not (a built-in kind it does not implement, or a CRD not yet Established).
    pub fn serves(&self, api_version: &str, kind: &str) -> Option<bool> {
        let mut state = self.lock();
        state.establish_crds();
        state
            .types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
            .map(|t| t.namespaced)
    }

    /// Applies an object as field manager `manager`, as another tool would (with force).
    /// The object's Namespace need not exist (tests seed clusters in any order), and a
    /// `status` is kept as written (a controller's, e.g. a Pod's phase and IP).
    pub fn apply_as(&self, manager: &str, object: Value) {
        let mut state = self.lock();
        state.establish_crds();
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let ty = state
            .types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
            .cloned()
            .unwrap_or_else(|| panic!("{api_version} {kind} is not served (is its CRD Established?)"));
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

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The user a TLS connection's client certificate names, when the server issued it.
fn client_user<IO>(state: &Arc<Mutex<State>>, stream: &tokio_rustls::server::TlsStream<IO>) -> Option<String> {
    let der = stream.get_ref().1.peer_certificates()?.first()?.to_vec();
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.cert_users.get(&der).cloned()
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
