//! `netplay serve`: a small static file server for the built playground, for workshops
//! without internet. Serves the files embedded at build time, or a directory.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

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

fn respond(mut stream: TcpStream, source: &Source) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
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
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
}

/// Serves until the process is stopped. Prints the URL on stdout once listening.
pub fn serve(address: &str, port: u16, source: Source) -> Result<(), String> {
    let listener = TcpListener::bind((address, port)).map_err(|e| format!("cannot listen on {address}:{port}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let what = match &source {
        Source::Embedded => "the embedded playground".to_string(),
        Source::Dir(d) => d.display().to_string(),
    };
    println!("netplay playground at http://{local}/ (serving {what}; Ctrl+C stops)");
    let _ = std::io::stdout().flush();
    let source = std::sync::Arc::new(source);
    for stream in listener.incoming().flatten() {
        let source = source.clone();
        std::thread::spawn(move || respond(stream, &source));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
