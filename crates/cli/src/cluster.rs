//! What `netplay apply`, `diff BUNDLE` and `probe` share: reading a bundle or directory
//! into Kubernetes objects in install order, choosing the kubeconfig context as kubectl
//! does, and discovery.
//!
//! Secrets never reach the terminal from here: errors name files, kinds and objects, never
//! kubeconfig credentials.

use crate::{input, verbose, wire};
use kube::api::{ApiResource, DynamicObject};
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, Discovery, Scope};
use kube::{Api, Client, Config};
use netplay_core::diagnostics::Location;
use netplay_core::parse::RawObject;
use netplay_core::SourceFile;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "netplay";

/// One object to put on the cluster.
#[derive(Clone, Debug)]
pub struct Object {
    pub value: Value,
    pub gvk: GroupVersionKind,
    pub name: String,
    /// As written in the file; the target namespace is decided when applying.
    pub namespace: Option<String>,
    /// Where the object starts in its file.
    pub loc: Location,
}

impl Object {
    pub fn api_version(&self) -> &str {
        self.value["apiVersion"].as_str().unwrap_or_default()
    }

    /// `Kind.group` as ApplySets write group-kinds (`Deployment.apps`, `ConfigMap`).
    pub fn group_kind(&self) -> String {
        group_kind(&self.gvk.group, &self.gvk.kind)
    }
}

pub fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

pub use netplay_core::export::install::Phase;

/// The phase of an object and its rank inside the phase (core's install order).
pub fn install_order(o: &Object) -> (Phase, u8) {
    netplay_core::export::install::install_order(&o.gvk.group, &o.gvk.kind)
}

/// Reads a bundle (a zip, its checksums verified) or files and directories.
pub fn read_input(paths: &[PathBuf]) -> Result<Vec<SourceFile>, String> {
    if let [path] = paths {
        if is_zip(path) {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            let bundle =
                netplay_core::export::read_bundle(&bytes).map_err(|e| format!("refusing {}: {e}", path.display()))?;
            return Ok(bundle.files);
        }
    }
    let input = input::read_paths(paths);
    if let Some(p) = input.problems.first() {
        return Err(p.clone());
    }
    if input.files.is_empty() {
        return Err("no input could be read".to_string());
    }
    Ok(input.files)
}

fn is_zip(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    path.is_file()
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
        && magic == *b"PK\x03\x04"
}

/// Every object of the files as core's parser reads them, in core's install order
/// (stable: file order within a rank). A document that cannot be read is an error at its
/// line; nothing is sent then.
pub fn objects(files: &[SourceFile]) -> Result<Vec<Object>, String> {
    let install = netplay_core::export::install::install(files);
    if let Some(d) = install.first_error() {
        let at = match (&d.file, d.line) {
            (Some(file), Some(line)) => format!("{file}:{line}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        return Err(format!("{at}{}", d.message));
    }
    for o in &install.skipped {
        eprintln!(
            "netplay: {}:{}: skipping {}: netplay's own description, not a Kubernetes object",
            o.loc.file, o.loc.line, o.kind
        );
    }
    Ok(install.objects.into_iter().map(object).collect())
}

fn object(raw: RawObject) -> Object {
    let (group, version) = raw.api_version.split_once('/').unwrap_or(("", &raw.api_version));
    Object {
        gvk: GroupVersionKind::gvk(group, version, &raw.kind),
        // As written: `-n` and the context's namespace are decided when applying.
        namespace: raw.value["metadata"]["namespace"].as_str().map(str::to_string),
        name: raw.name,
        loc: raw.loc,
        value: std::sync::Arc::unwrap_or_clone(raw.value),
    }
}

/// A connection to the cluster of one kubeconfig context.
pub struct Cluster {
    pub client: Client,
    pub context: String,
    pub default_namespace: String,
    /// The API server's URL (not a credential), for messages.
    pub server: String,
}

/// `--request-timeout` (kubectl's global flag): how long one request may take; none by
/// default, as with kubectl.
static REQUEST_TIMEOUT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

pub fn set_request_timeout(timeout: Duration) {
    if !timeout.is_zero() {
        let _ = REQUEST_TIMEOUT.set(timeout);
    }
}

/// The kubeconfig files kubectl would read, in order.
fn kubeconfig_files(kubeconfig: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = kubeconfig {
        return vec![path.to_path_buf()];
    }
    match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list).collect(),
        None => std::env::var_os("HOME")
            .map(|home| vec![PathBuf::from(home).join(".kube").join("config")])
            .unwrap_or_default(),
    }
}

/// Chooses the context as kubectl does: `--kubeconfig`, else `KUBECONFIG` (a list of
/// files, merged), else `~/.kube/config`; `--context`, else the current context.
pub async fn connect(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<Cluster, String> {
    // Before anything can fail: the secrets of every kubeconfig read are hidden from
    // every message from here on, including the one saying a kubeconfig is broken.
    let files = kubeconfig_files(kubeconfig);
    for file in &files {
        if let Ok(text) = std::fs::read_to_string(file) {
            verbose::remember_secrets(&text);
        }
    }
    let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    verbose::log(1, &format!("kubeconfig: {}", shown.join(", ")));
    if kubeconfig.is_none() && !files.iter().any(|f| f.exists()) {
        let looked = match shown.as_slice() {
            [] => "KUBECONFIG and HOME are not set".to_string(),
            [one] => format!("{one} does not exist"),
            many => format!("none of {} exists", many.join(", ")),
        };
        return Err(format!(
            "no kubeconfig: {looked} (set KUBECONFIG or give --kubeconfig FILE)"
        ));
    }
    let config = match kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| format!("{}: {}", path.display(), describe(&e)))?,
        None => Kubeconfig::read().map_err(|e| format!("cannot read the kubeconfig: {}", describe(&e)))?,
    };
    let context = match context {
        Some(c) => c.to_string(),
        None => config
            .current_context
            .clone()
            .ok_or("the kubeconfig has no current context: pass --context")?,
    };
    let Some(named) = config.contexts.iter().find(|c| c.name == context) else {
        return Err(format!("the kubeconfig has no context {context:?}"));
    };
    let auth = auth_kind(&config, named.context.as_ref().and_then(|c| c.user.as_deref()));
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(config, &options)
        .await
        .map_err(|e| format!("context {context:?}: {}", describe(&e)))?;
    // kubectl's retries instead of kube-rs' (see wire.rs).
    config.default_retry = false;
    if let Some(timeout) = REQUEST_TIMEOUT.get() {
        config.connect_timeout = Some(*timeout);
        config.read_timeout = Some(*timeout);
        config.write_timeout = Some(*timeout);
    }
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    verbose::log(
        1,
        &format!("context {context:?}: server {server}, authenticating with {auth}"),
    );
    let default_namespace = config.default_namespace.clone();
    let client = ClientBuilder::try_from(config)
        .map_err(|e| format!("context {context:?}: {}", describe(&e)))?
        .with_layer(&tower::buffer::BufferLayer::new(64))
        .with_layer(&wire::WireLayer {
            server: server.clone(),
            auth,
        })
        .build();
    Ok(Cluster {
        client,
        context,
        default_namespace,
        server,
    })
}

/// How a kubeconfig user authenticates, for the log (never the credential itself).
fn auth_kind(config: &Kubeconfig, user: Option<&str>) -> &'static str {
    let Some(info) = user
        .and_then(|u| config.auth_infos.iter().find(|a| a.name == u))
        .and_then(|a| a.auth_info.as_ref())
    else {
        return "no credentials";
    };
    if info.exec.is_some() {
        "an exec credential plugin"
    } else if info.client_certificate.is_some() || info.client_certificate_data.is_some() {
        "a client certificate"
    } else if info.token.is_some() || info.token_file.is_some() {
        "a bearer token"
    } else if info.username.is_some() {
        "a username and password"
    } else if info.auth_provider.is_some() {
        "an auth provider"
    } else {
        "no credentials"
    }
}

/// Refuses a context that looks like production unless the user said `--yes`.
pub fn guard_production(context: &str, yes: bool) -> Result<(), String> {
    if !yes && context.to_ascii_lowercase().contains("prod") {
        return Err(format!(
            "refusing to change context {context:?}: its name says production; pass --yes if you mean it"
        ));
    }
    Ok(())
}

/// Aggregated discovery, falling back to the legacy endpoints when it fails or finds
/// nothing (an API server without aggregated discovery answers with no groups).
pub async fn discover(client: &Client) -> Result<Discovery, String> {
    match Discovery::new(client.clone()).run_aggregated().await {
        Ok(d) if d.groups().next().is_some() => Ok(d),
        _ => Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| match error_text(&e) {
                // Not reaching the server is not a failure of discovery itself.
                text if text.starts_with("cannot reach") => text,
                text => format!("discovery failed: {text}"),
            }),
    }
}

/// The API of an object's kind, in its namespace; `Err` says why it cannot be had.
pub fn api_for(
    cluster: &Cluster,
    discovery: &Discovery,
    o: &Object,
    namespace: Option<&str>,
) -> Result<(Api<DynamicObject>, ApiResource, Option<String>), String> {
    let Some((resource, caps)) = discovery.resolve_gvk(&o.gvk) else {
        return Err(format!(
            "the server does not serve {} {} (is its CRD installed?)",
            o.api_version(),
            o.gvk.kind
        ));
    };
    let ns = target_namespace(cluster, &caps, o, namespace)?;
    let api = match &ns {
        Some(ns) => Api::namespaced_with(cluster.client.clone(), ns, &resource),
        None => Api::all_with(cluster.client.clone(), &resource),
    };
    Ok((api, resource, ns))
}

/// The namespace an object goes to: its own, else `-n`, else the context's. (kubectl
/// refuses an object whose namespace differs from `-n`; a bundle spans namespaces, so
/// netplay keeps the object's own.)
fn target_namespace(
    cluster: &Cluster,
    caps: &ApiCapabilities,
    o: &Object,
    namespace: Option<&str>,
) -> Result<Option<String>, String> {
    if caps.scope == Scope::Cluster {
        return Ok(None);
    }
    match (&o.namespace, namespace) {
        (Some(own), _) => Ok(Some(own.clone())),
        (None, Some(flag)) => Ok(Some(flag.to_string())),
        (None, None) => Ok(Some(cluster.default_namespace.clone())),
    }
}

/// An API error as the server worded it; other errors with their causes (a connection
/// error says why it failed: refused, a certificate the CA does not vouch for, a timeout,
/// ...). Credentials never appear: see [`describe`].
pub fn error_text(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) if status.code == 401 => {
            "the server refused the credentials (401 Unauthorized)".to_string()
        }
        kube::Error::Api(status) if !status.message.is_empty() => verbose::redact(&status.message),
        other => describe(other),
    }
}

/// An error and its causes, one after the other, redacted. The output of an exec
/// credential plugin is left out (its standard output is a credential), and a timeout
/// names `--request-timeout`.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let chain = || std::iter::successors(Some(e), |c| c.source());
    // An authentication error's own text can hold what an exec plugin printed.
    if let Some(auth) = chain().find_map(|c| c.downcast_ref::<kube::client::AuthError>()) {
        return verbose::redact(&format!("authentication failed: {}", exec_error(auth)));
    }
    // Nobody answered at the server's address: the socket's own words say why, the layers
    // above (kube's service, hyper's client, the connector) add nothing a user can act on.
    if let Some(io) = chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .find(|io| unreachable(io.kind()))
    {
        return verbose::redact(&format!("cannot reach the server: {io}"));
    }
    // hyper-util's connector says "dns error: ..." when the host name does not resolve.
    if let Some(dns) = chain().find(|c| c.to_string().starts_with("dns error")) {
        let why: Vec<String> = std::iter::successors(Some(dns), |c| c.source())
            .map(|c| c.to_string())
            .collect();
        return verbose::redact(&format!("cannot reach the server: {}", why.join(": ")));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut timed_out = false;
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            timed_out = true;
        }
        // The first line only: YAML errors go on with a snippet of the file, which is noise
        // on one line of error (and could show a credential that redaction did not know).
        let text = c.to_string();
        let part = text.lines().next().unwrap_or_default().to_string();
        if !parts.iter().any(|p| p.contains(&part)) {
            parts.push(part);
        }
        cause = c.source();
    }
    if timed_out {
        if let Some(t) = REQUEST_TIMEOUT.get() {
            return format!("no answer within {:.1}s (--request-timeout)", t.as_secs_f64());
        }
    }
    verbose::redact(&parts.join(": "))
}

/// Socket errors that mean the server could not be reached at all.
fn unreachable(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
    )
}

/// An authentication error without what an exec plugin printed on its standard output.
fn exec_error(e: &kube::client::AuthError) -> String {
    use kube::client::AuthError;
    match e {
        AuthError::AuthExecRun { cmd, out } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let said = stderr.trim();
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": it said: {said}")
            };
            format!(
                "the exec credential plugin {cmd:?} failed ({}){said}",
                out.status
            )
        }
        AuthError::AuthExecParse(_) => {
            "the exec credential plugin's output is not an ExecCredential (its output is not shown: it may hold credentials)"
                .to_string()
        }
        other => other.to_string(),
    }
}

/// The status code of an API error.
pub fn error_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// `Kind ns/name` or `Kind name`.
pub fn display_name(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// A current-thread runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Result<Vec<String>, String> {
        Ok(objects(&[SourceFile::new("in.yaml", text.to_string())])?
            .iter()
            .map(|o| format!("{} {}", o.gvk.kind, o.name))
            .collect())
    }

    #[test]
    fn objects_come_in_install_order_and_lists_stand_for_their_items() {
        let text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n\
                    apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n\
                    - {apiVersion: v1, kind: Namespace, metadata: {name: n}}\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n---\n\
                    apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: c}\n";
        assert_eq!(
            names(text).expect("objects"),
            [
                "Namespace n",
                "CustomResourceDefinition c",
                "NetworkPolicy p",
                "Service s",
                "Deployment d",
                "Widget w"
            ]
        );
    }

    #[test]
    fn netplays_own_documents_are_not_sent_to_the_cluster() {
        let text = "apiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata:\n  name: plan\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
        assert_eq!(names(text), Ok(vec!["Namespace shop".to_string()]));
    }

    #[test]
    fn an_object_without_a_name_is_an_error_naming_the_document() {
        let err = names("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\n")
            .expect_err("no name");
        assert_eq!(err, "in.yaml:5: ConfigMap has no metadata.name");
    }

    #[test]
    fn production_contexts_need_yes() {
        assert!(guard_production("gke_prod-eu", false).is_err());
        assert!(guard_production("PROD", false).is_err());
        assert!(guard_production("gke_prod-eu", true).is_ok());
        assert!(guard_production("staging", false).is_ok());
    }
}
