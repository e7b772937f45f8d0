//! The transport: TCP or TLS (optionally asking for client certificates), one hyper
//! HTTP/1 connection per client, the injected faults, and the API's error bodies.

use crate::{Fault, Request, State};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;

/// The server's TLS set-up: its certificate (also the CA clients trust) and, when client
/// certificates are asked for, the CA that issues them.
pub(crate) struct Tls {
    pub ca_pem: String,
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub client_ca: Option<ClientCa>,
}

/// The CA of client certificates: what [`crate::TestKube::client_certificate`] signs with.
pub(crate) struct ClientCa {
    pub cert: rcgen::Certificate,
    pub key: rcgen::KeyPair,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A self-signed certificate for `127.0.0.1` and `localhost`; with `client_certificates`,
/// the server also asks for a client certificate (optional: bearer tokens still work)
/// and accepts those its own client CA issued.
pub(crate) fn tls(client_certificates: bool) -> Tls {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("a self-signed certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("TLS versions");
    let (builder, client_ca) = if client_certificates {
        let ca_key = rcgen::KeyPair::generate().expect("a CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "testkube client CA");
        let ca_cert = params.self_signed(&ca_key).expect("a client CA");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).expect("the client CA as a root");
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .allow_unauthenticated()
            .build()
            .expect("a client certificate verifier");
        (
            builder.with_client_cert_verifier(verifier),
            Some(ClientCa {
                cert: ca_cert,
                key: ca_key,
            }),
        )
    } else {
        (builder.with_no_client_auth(), None)
    };
    let config = builder
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("a TLS configuration");
    Tls {
        ca_pem: certified.cert.pem(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        client_ca,
    }
}

/// Issues a client certificate for `user` (its CommonName): `(certificate PEM, key PEM, DER)`.
pub(crate) fn issue(ca: &ClientCa, user: &str) -> (String, String, Vec<u8>) {
    let key = rcgen::KeyPair::generate().expect("a client key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("client parameters");
    params.distinguished_name.push(rcgen::DnType::CommonName, user);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca.cert, &ca.key).expect("a client certificate");
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

/// Serves one connection (plain or TLS) until the client closes it; `user` is who its
/// client certificate names.
pub(crate) async fn serve<I>(io: I, state: Arc<Mutex<State>>, user: Option<String>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        let user = user.clone();
        async move { handle(&state, req, user).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
}

/// The error that makes hyper close a connection without an answer.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

pub(crate) type Response = hyper::Response<Full<Bytes>>;

pub(crate) fn respond(status: StatusCode, content_type: &str, body: &Value) -> Response {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    respond(status, "application/json", body)
}

/// A `Status` object, the API's error body.
pub(crate) fn status(code: u16, reason: &str, message: &str) -> Response {
    json_response(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}),
    )
}

pub(crate) fn decode(s: &str) -> String {
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

async fn handle(
    state: &Arc<Mutex<State>>,
    req: hyper::Request<Incoming>,
    user: Option<String>,
) -> Result<Response, Dropped> {
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
        user,
        body,
    };
    let fault = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.requests.push(request.clone());
        state.take_fault(&request)
    };
    match fault {
        None => {}
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Delay(wait)) => tokio::time::sleep(wait).await,
        Some(Fault::Status { code, retry_after }) => return Ok(fault_status(code, retry_after)),
    }
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    Ok(state.route(&method, &request))
}

/// An injected error answer, worded as the API server words each code.
fn fault_status(code: u16, retry_after: Option<u32>) -> Response {
    let (reason, message) = match code {
        409 => (
            "Conflict",
            "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again",
        ),
        410 => (
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        ),
        429 => ("TooManyRequests", "Too many requests, please try again later."),
        500 => ("InternalError", "Internal error occurred: injected by testkube"),
        503 => ("ServiceUnavailable", "The server is currently unable to handle the request"),
        504 => (
            "Timeout",
            "The server was unable to return a response in the time allotted, but may still be processing the request",
        ),
        _ => ("Unknown", "injected by testkube"),
    };
    let mut body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": message, "reason": reason, "code": code});
    let mut builder = hyper::Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    if let Some(seconds) = retry_after {
        body["details"] = json!({"retryAfterSeconds": seconds});
        builder = builder.header("retry-after", seconds.to_string());
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(decode("a%3Db%2Cc"), "a=b,c");
        assert_eq!(decode("100%"), "100%");
    }
}
