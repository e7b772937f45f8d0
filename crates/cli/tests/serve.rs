//! `netplay serve` as a user and a browser meet it: where it listens by default and what it
//! says about it, and the security headers on every response (docs/robustness.md).

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    addr: String,
    /// The first line it printed.
    banner: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory to serve, removed when the test ends (declared before the server, so the
/// server stops first).
struct Site(PathBuf);

impl std::ops::Deref for Site {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str, index_html: &str) -> Site {
    let dir = std::env::temp_dir().join(format!("netplay-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    std::fs::write(dir.join("index.html"), index_html).expect("write index.html");
    std::fs::write(dir.join("app.js"), "export default 1;\n").expect("write app.js");
    Site(dir)
}

/// `netplay serve --port 0 --dir DIR` with the default address.
fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netplay"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netplay serve");
    let mut banner = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut banner)
        .expect("the server says where it listens");
    let addr = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner:?}"))
        .trim_end_matches('/')
        .to_string();
    Server { child, addr, banner }
}

/// Sends `request` as it is and returns the response head (status line and headers).
fn raw_request(addr: &str, request: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let _ = s.write_all(request);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

fn get(addr: &str, path: &str) -> String {
    raw_request(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn serve_listens_on_loopback_by_default_and_says_so() {
    let dir = temp_dir("banner", "<!doctype html><title>netplay</title>");
    let server = start(&dir);
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.banner);
    assert!(
        server.banner.contains("only this machine can connect")
            && server.banner.contains("`--address 0.0.0.0` opens it to the network"),
        "{}",
        server.banner
    );
}

#[test]
fn every_response_carries_the_page_policy_and_the_security_headers() {
    let policy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'";
    let page = format!(
        "<!doctype html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\"></head></html>"
    );
    let dir = temp_dir("headers", &page);
    let server = start(&dir);
    for path in ["/", "/app.js", "/missing", "/../etc/passwd"] {
        let head = get(&server.addr, path);
        assert_eq!(
            header(&head, "Content-Security-Policy"),
            Some(format!("{policy}; frame-ancestors 'none'").as_str()),
            "{path}: {head}"
        );
        assert_eq!(header(&head, "X-Content-Type-Options"), Some("nosniff"), "{path}");
        assert_eq!(header(&head, "X-Frame-Options"), Some("DENY"), "{path}");
        assert_eq!(header(&head, "Referrer-Policy"), Some("no-referrer"), "{path}");
    }
}

#[test]
fn a_page_without_a_policy_gets_the_strict_default_with_its_inline_script_hashed() {
    let dir = temp_dir(
        "default-csp",
        "<!doctype html><script type=\"module\">alert(1)</script>",
    );
    let server = start(&dir);
    let head = get(&server.addr, "/");
    let csp = header(&head, "Content-Security-Policy").unwrap_or_else(|| panic!("{head}"));
    assert!(
        csp.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    assert!(
        csp.contains("object-src 'none'") && csp.ends_with("frame-ancestors 'none'"),
        "{csp}"
    );
}

#[test]
fn an_oversized_request_gets_an_answer_instead_of_the_server_reading_forever() {
    let dir = temp_dir("oversized", "<!doctype html>");
    let server = start(&dir);
    let mut request = b"GET /".to_vec();
    request.extend(std::iter::repeat_n(b'a', 256 * 1024));
    let head = raw_request(&server.addr, &request);
    assert!(head.starts_with("HTTP/1.1 4"), "{head}");
    // And the server still serves.
    assert!(get(&server.addr, "/").starts_with("HTTP/1.1 200"));
}
