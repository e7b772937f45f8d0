//! What every request to a cluster goes through, outside kube-rs' own stack: the retries
//! kubectl makes (client-go's rules) and the `-v` request log.
//!
//! client-go retries (at most 10 times):
//! - a response 429 or 5xx **with a `Retry-After: N` header**, after N seconds, whatever
//!   the method (the server says it did not act on the request);
//! - a **GET** whose connection was reset or closed before the answer, at once (reads are
//!   idempotent; writes are not retried, as their effect is unknown).
//!
//! Nothing else is retried: a 500 without `Retry-After`, a timeout, a 409 conflict are the
//! caller's to report. kube-rs' default retry layer (429/503/504 with exponential backoff,
//! writes included) is switched off where the client is made ([`crate::cluster::connect`]).

use crate::verbose::{self, log};
use http::{Request, Response};
use kube::client::Body;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::{BoxError, Layer, Service, ServiceExt as _};

/// client-go's `maxRetries`.
pub const MAX_RETRIES: u32 = 10;

/// The layer: the cluster's URL (requests here carry only the path) and how the user
/// authenticates, for the log.
#[derive(Clone)]
pub struct WireLayer {
    pub server: String,
    pub auth: &'static str,
}

impl<S> Layer<S> for WireLayer {
    type Service = Wire<S>;

    fn layer(&self, inner: S) -> Wire<S> {
        Wire {
            inner,
            server: self.server.clone(),
            auth: self.auth,
        }
    }
}

#[derive(Clone)]
pub struct Wire<S> {
    inner: S,
    server: String,
    auth: &'static str,
}

/// What to do after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Done,
    RetryAfter(Duration),
}

/// client-go's decision for a response status and its `Retry-After` header.
pub fn after_response(status: u16, retry_after: Option<&str>) -> Next {
    if status != 429 && status < 500 {
        return Next::Done;
    }
    match retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(seconds) => Next::RetryAfter(Duration::from_secs(seconds)),
        None => Next::Done,
    }
}

/// client-go's decision for a request that got no response: a GET whose connection was
/// reset or closed early is tried again.
pub fn after_error(method: &http::Method, error: &(dyn std::error::Error + 'static)) -> Next {
    if method == http::Method::GET && is_connection_lost(error) {
        Next::RetryAfter(Duration::ZERO)
    } else {
        Next::Done
    }
}

/// A connection reset, or closed before the answer was complete (client-go's
/// `IsConnectionReset` and `IsProbableEOF`).
fn is_connection_lost(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        let text = e.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
            || text.contains("unexpected EOF")
        {
            return true;
        }
        cause = e.source();
    }
    false
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<Body>> for Wire<S>
where
    S: Service<Request<Body>, Response = Response<B>, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Response<B>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The ready service is the one to call; a clone takes its place for next time.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let server = self.server.clone();
        let auth = self.auth;
        Box::pin(async move {
            let mut request = request;
            let mut attempt = 0;
            let mut first = true;
            loop {
                let again = copy(&request);
                let method = request.method().clone();
                let url = format!("{server}{}", request.uri());
                log_request(&request, auth);
                let started = Instant::now();
                let result = if first {
                    first = false;
                    inner.call(request).await
                } else {
                    match inner.ready().await {
                        Ok(ready) => ready.call(request).await,
                        Err(e) => Err(e),
                    }
                };
                let took = started.elapsed().as_millis();
                let next = match &result {
                    Ok(response) => {
                        log(6, &format!("{method} {url} {} in {took} ms", response.status()));
                        log_headers(8, "response header", response.headers());
                        let retry_after = response
                            .headers()
                            .get(http::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok());
                        after_response(response.status().as_u16(), retry_after)
                    }
                    Err(e) => {
                        log(6, &format!("{method} {url} failed in {took} ms: {e}"));
                        after_error(&method, e.as_ref())
                    }
                };
                match (next, again) {
                    (Next::RetryAfter(wait), Some(again)) if attempt < MAX_RETRIES => {
                        attempt += 1;
                        let why = match &result {
                            Ok(r) => format!("the server answered {} with Retry-After", r.status()),
                            Err(_) => "the connection was lost".to_string(),
                        };
                        log(
                            2,
                            &format!(
                                "{method} {url}: {why}; retry {attempt} of {MAX_RETRIES} in {:.1}s",
                                wait.as_secs_f64()
                            ),
                        );
                        tokio::time::sleep(wait).await;
                        request = again;
                    }
                    _ => return result,
                }
            }
        })
    }
}

/// A copy of a request to send again; `None` when its body cannot be replayed.
fn copy(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut copy = Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(body)
        .ok()?;
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

fn log_request(request: &Request<Body>, auth: &'static str) {
    if verbose::level() < 7 {
        return;
    }
    log_headers(7, "request header", request.headers());
    log(7, &format!("request header: Authorization: <masked: {auth}>"));
}

fn log_headers(at: u8, what: &str, headers: &http::HeaderMap) {
    if verbose::level() < at {
        return;
    }
    for (name, value) in headers {
        // kube-rs adds credentials further in; should one be here, it is masked all the same.
        let shown = if name == http::header::AUTHORIZATION || name == http::header::COOKIE {
            "<masked>".to_string()
        } else {
            value.to_str().unwrap_or("<binary>").to_string()
        };
        log(at, &format!("{what}: {name}: {shown}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_429_and_5xx_with_retry_after_are_retried_after_its_seconds() {
        assert_eq!(after_response(429, Some("2")), Next::RetryAfter(Duration::from_secs(2)));
        assert_eq!(after_response(503, Some("1")), Next::RetryAfter(Duration::from_secs(1)));
        assert_eq!(after_response(500, Some("0")), Next::RetryAfter(Duration::ZERO));
        assert_eq!(after_response(500, None), Next::Done);
        assert_eq!(after_response(429, None), Next::Done);
        assert_eq!(after_response(429, Some("soon")), Next::Done);
        assert_eq!(after_response(409, Some("1")), Next::Done);
        assert_eq!(after_response(200, Some("1")), Next::Done);
    }

    #[test]
    fn a_lost_connection_is_retried_for_reads_only() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(
            after_error(&http::Method::GET, &reset),
            Next::RetryAfter(Duration::ZERO)
        );
        assert_eq!(after_error(&http::Method::PATCH, &reset), Next::Done);
        let timeout = std::io::Error::from(std::io::ErrorKind::TimedOut);
        assert_eq!(after_error(&http::Method::GET, &timeout), Next::Done);
    }
}
