//! The request as it travels (rewrites and header changes apply to it), and the
//! application protocol of a port.

use super::super::request::{Request, Scheme, Url};
use super::super::types::HeaderOperations;
use std::collections::BTreeMap;

/// The request as it travels: rewrites and header changes apply to it.
#[derive(Clone)]
pub(super) struct View {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
    /// The Host header (may carry a port).
    pub(super) authority: String,
    /// The port the client addresses (a Service or gateway port).
    pub(super) port: u16,
    pub(super) scheme: &'static str,
    pub(super) http: bool,
}

impl View {
    pub(super) fn new(url: &Url, req: &Request) -> View {
        let authority = req
            .header("host")
            .map(str::to_string)
            .unwrap_or_else(|| url.authority());
        View {
            method: req.method.clone(),
            path: url.path.clone(),
            query: url.query.clone(),
            headers: req.headers.iter().filter(|(k, _)| k != "host").cloned().collect(),
            authority,
            port: url.port,
            scheme: match url.scheme {
                Scheme::Https => "https",
                _ => "http",
            },
            http: url.scheme != Scheme::Tcp,
        }
    }

    /// The Host header without a port, lower-cased.
    pub(super) fn host(&self) -> String {
        let a = self.authority.to_ascii_lowercase();
        if a.starts_with('[') {
            return a
                .split(']')
                .next()
                .unwrap_or_default()
                .trim_start_matches('[')
                .to_string();
        }
        match a.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
            _ => a,
        }
    }

    pub(super) fn apply_headers(&mut self, ops: &HeaderOperations) -> Vec<String> {
        let mut done = Vec::new();
        for r in &ops.remove {
            self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(r));
            done.push(format!("remove {r}"));
        }
        for (k, v) in &ops.set {
            self.headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            self.headers.push((k.to_ascii_lowercase(), v.clone()));
            done.push(format!("set {k}: {v}"));
        }
        for (k, v) in &ops.add {
            self.headers.push((k.to_ascii_lowercase(), v.clone()));
            done.push(format!("add {k}: {v}"));
        }
        done
    }
}

/// The application protocol of a port, from `appProtocol` or the name's prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum AppProto {
    Http,
    Tcp,
    Tls,
    Unknown,
}

pub(super) fn app_proto(name: Option<&str>, app_protocol: Option<&str>) -> (AppProto, String) {
    let classify = |p: &str| -> AppProto {
        match p.to_ascii_lowercase().as_str() {
            "http" | "http2" | "grpc" | "grpc-web" | "h2c" | "kubernetes.io/h2c" => AppProto::Http,
            "https" | "tls" => AppProto::Tls,
            "tcp" | "mongo" | "mysql" | "redis" | "kubernetes.io/ws" | "kubernetes.io/wss" => AppProto::Tcp,
            _ => AppProto::Unknown,
        }
    };
    if let Some(a) = app_protocol {
        return (classify(a), format!("appProtocol {a}"));
    }
    if let Some(n) = name {
        let prefix = n.split('-').next().unwrap_or(n);
        let p = classify(prefix);
        if p != AppProto::Unknown {
            return (p, format!("port name {n:?}"));
        }
        return (AppProto::Unknown, format!("port name {n:?} names no protocol"));
    }
    (AppProto::Unknown, "the port has no name or appProtocol".to_string())
}

/// Gateway API `RequestHeaderModifier` as Istio header operations.
pub(super) fn header_ops_from_gw(v: &serde_json::Value) -> HeaderOperations {
    let pairs = |k: &str| -> BTreeMap<String, String> {
        v.get(k)
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((
                            e.get("name")?.as_str()?.to_string(),
                            e.get("value")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    HeaderOperations {
        set: pairs("set"),
        add: pairs("add"),
        remove: v
            .get("remove")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
    }
}
