//! `netplay serve`: a small static file server for the built playground, for workshops
//! without internet. Serves the files embedded at build time, or a directory.
//!
//! It listens on 127.0.0.1 unless `--address` says otherwise, and sends the security
//! headers of docs/robustness.md with every response: the Content-Security-Policy of the
//! app's own `index.html` (its `<meta http-equiv>` tag, plus `frame-ancestors 'none'`,
//! which only a header can carry), or a strict default with the hashes of the page's
//! inline scripts when the page has none; no framing, no MIME sniffing, no referrer.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Where the files come from.
pub enum Source {
    Embedded,
    Dir(PathBuf),
}

/// Picks the files to serve: `dir` when given, else the embedded app, else `./dist`.
pub fn source(dir: Option<PathBuf>) -> Result<Source, String> {
    if let Some(d) = dir {
        return if d.join("index.html").is_file() {
            Ok(Source::Dir(d))
        } else {
            Err(format!(
                "{} has no index.html: build the app with `trunk build --release --config trunk.toml`",
                d.display()
            ))
        };
    }
    if !EMBEDDED.is_empty() {
        return Ok(Source::Embedded);
    }
    let dist = PathBuf::from("dist");
    if dist.join("index.html").is_file() {
        return Ok(Source::Dir(dist));
    }
    Err(
        "this netplay was built without the playground, and there is no ./dist: build the app with \
         `bash www/serve.sh` (or `trunk build --release --config trunk.toml`) and run `netplay serve --dir dist`, \
         or rebuild netplay after building dist/ to embed it"
            .to_string(),
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        // The built-in examples the app fetches (dist/builtin/).
        "yaml" | "yml" => "application/yaml; charset=utf-8",
        "md" | "txt" => "text/plain; charset=utf-8",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The relative path a request asks for, or None when it tries to leave the root.
fn request_path(target: &str) -> Option<String> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut decoded = Vec::new();
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let path = String::from_utf8(decoded).ok()?;
    let mut parts = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s if s.contains('\\') => return None,
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    Some(if joined.is_empty() {
        "index.html".to_string()
    } else {
        joined
    })
}

fn lookup(source: &Source, path: &str) -> Option<Vec<u8>> {
    match source {
        Source::Embedded => EMBEDDED.iter().find(|(p, _)| *p == path).map(|(_, b)| b.to_vec()),
        Source::Dir(root) => {
            let full = root.join(Path::new(path));
            full.is_file().then(|| std::fs::read(full).ok()).flatten()
        }
    }
}

/// The policy when the page does not bring its own: scripts only from this server (and
/// the page's inline scripts, by hash), WebAssembly compiled from them; inline styles,
/// which the app sets as `style` attributes; images also as `data:` URLs (the icon, the
/// PNG export); no plugins, no forms, no `<base>`.
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{HASHES}; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'";

/// The value of an attribute in an HTML tag's text (`name="value"` or `name='value'`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let preceded = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if let (true, Some(rest)) = (preceded, rest.strip_prefix('=')) {
            let rest = rest.trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            return rest[1..].split(quote).next();
        }
    }
    None
}

/// The Content-Security-Policy for a page: its own `<meta http-equiv>` policy when it has
/// one, else [`DEFAULT_CSP`] with the hashes of its inline scripts; and no framing.
pub fn content_security_policy(index_html: &str) -> String {
    let mut hashes = String::new();
    for (start, _) in index_html.match_indices('<') {
        let rest = &index_html[start..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("<meta")
            && attribute(tag, "http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"))
        {
            if let Some(policy) = attribute(tag, "content") {
                let policy = policy.replace("&#39;", "'").replace("&quot;", "\"");
                return format!("{}; frame-ancestors 'none'", policy.trim().trim_end_matches(';'));
            }
        }
        if lower.starts_with("<script") && attribute(tag, "src").is_none() {
            let body = rest.get(end + 1..).unwrap_or_default();
            let close = body.to_ascii_lowercase().find("</script").unwrap_or(body.len());
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push_str(&format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
    }
    format!("{}; frame-ancestors 'none'", DEFAULT_CSP.replace("{HASHES}", &hashes))
}

/// The headers every response carries besides its type and length.
fn security_headers(source: &Source) -> String {
    let page = lookup(source, "index.html").unwrap_or_default();
    let csp = content_security_policy(&String::from_utf8_lossy(&page));
    format!(
        "Content-Security-Policy: {csp}\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n\
         Referrer-Policy: no-referrer\r\nCross-Origin-Opener-Policy: same-origin\r\n"
    )
}

/// The longest request head read (request line and headers); the server needs only the
/// request line, and a client that sends more is not a browser asking for the app.
const MAX_REQUEST_HEAD: u64 = 16 * 1024;
/// The most a client may send after its request head before the connection is dropped.
const MAX_DISCARD: u64 = 1024 * 1024;
/// How long a connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

fn respond(mut stream: TcpStream, source: &Source) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s.take(MAX_REQUEST_HEAD),
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers (bounded by MAX_REQUEST_HEAD).
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or("/"));
    let (status, ctype, body) = if method != "GET" && method != "HEAD" {
        ("405 Method Not Allowed", "text/plain", b"only GET and HEAD\n".to_vec())
    } else {
        match request_path(target).and_then(|p| lookup(source, &p).map(|b| (p, b))) {
            Some((p, body)) => ("200 OK", content_type(&p), body),
            None => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n{}Connection: close\r\n\r\n",
        body.len(),
        security_headers(source)
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
    // Lingering close: what the client still sends is read and dropped (bounded), because
    // closing with unread input resets the connection, and the reset can destroy the
    // response before the client has read it.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = std::io::copy(&mut (&stream).take(MAX_DISCARD), &mut std::io::sink());
}

/// Serves until the process is stopped. Prints the URL on stdout once listening.
pub fn serve(address: &str, port: u16, source: Source) -> Result<(), String> {
    let listener = TcpListener::bind((address, port)).map_err(|e| format!("cannot listen on {address}:{port}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let what = match &source {
        Source::Embedded => "the embedded playground".to_string(),
        Source::Dir(d) => d.display().to_string(),
    };
    let reach = if is_loopback(address) {
        "only this machine can connect; `--address 0.0.0.0` opens it to the network".to_string()
    } else {
        format!("listening on {address}: other machines on the network can connect")
    };
    println!("netplay playground at http://{local}/ (serving {what}; {reach}; Ctrl+C stops)");
    let _ = std::io::stdout().flush();
    let source = std::sync::Arc::new(source);
    for stream in listener.incoming().flatten() {
        let source = source.clone();
        std::thread::spawn(move || respond(stream, &source));
    }
    Ok(())
}

/// Whether an `--address` reaches only this machine (`127.0.0.1`, `::1`, `localhost`).
fn is_loopback(address: &str) -> bool {
    address.eq_ignore_ascii_case("localhost")
        || address
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_is_sent_as_a_header_with_no_framing() {
        let page = r#"<html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"></head></html>"#;
        assert_eq!(
            content_security_policy(page),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'"
        );
        let upper = r#"<META HTTP-EQUIV='content-security-policy' CONTENT="default-src 'none'">"#;
        assert_eq!(
            content_security_policy(upper),
            "default-src 'none'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn without_a_page_policy_inline_scripts_are_allowed_by_hash_only() {
        // The hash of `alert(1)`, as CSP Level 2 computes it (sha256 of the script's text,
        // base64): echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        let page = "<script type=\"module\">alert(1)</script><script src=\"app.js\"></script>";
        let csp = content_security_policy(page);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=';"),
            "{csp}"
        );
        assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline';") || csp.contains("style-src 'self' 'unsafe-inline'"));
        assert!(!content_security_policy("").contains("sha256"));
    }

    #[test]
    fn loopback_addresses_are_recognised() {
        for a in ["127.0.0.1", "::1", "[::1]", "localhost", "127.1.2.3"] {
            assert!(is_loopback(a), "{a}");
        }
        for a in ["0.0.0.0", "::", "192.168.1.10", "example.org"] {
            assert!(!is_loopback(a), "{a}");
        }
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        assert_eq!(request_path("/").as_deref(), Some("index.html"));
        assert_eq!(
            request_path("/netplay-web_bg.wasm?x=1").as_deref(),
            Some("netplay-web_bg.wasm")
        );
        assert_eq!(request_path("/a%20b.js").as_deref(), Some("a b.js"));
        assert_eq!(request_path("/../etc/passwd"), None);
        assert_eq!(request_path("/%2e%2e/etc/passwd"), None);
        assert_eq!(request_path("/a\\b"), None);
    }
}
