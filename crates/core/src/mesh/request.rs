//! A simulated request: who sends it, the URL, the method and the headers.

use crate::model::Cluster;
use crate::query::{QueryError, UrlProblem};
use std::fmt;

/// Who sends the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A workload, named as `Scenario::target` accepts: `ns/name[Kind]`, `ns/name` or a
    /// unique name.
    Workload(String),
    /// A client outside the cluster, entering through a gateway.
    External,
    /// A virtual client with a sidecar in this namespace (no labels, service account
    /// `default`): "any sidecar of the namespace". Written `mesh:<namespace>`.
    MeshClient(String),
}

/// A request to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub source: Source,
    /// `http://host[:port]/path?query`, `https://…` (gateway ingress with TLS termination)
    /// or `tcp://host:port`.
    pub url: String,
    /// Upper-cased; `GET` by default.
    pub method: String,
    /// Header names lower-cased, in the order given.
    pub headers: Vec<(String, String)>,
}

impl Source {
    /// Whether a request can be sent from this client in `cluster`: an external client
    /// and a namespace's mesh client always can; a workload when the input has it.
    pub fn exists_in(&self, cluster: &Cluster) -> bool {
        match self {
            Source::External | Source::MeshClient(_) => true,
            Source::Workload(name) => cluster.find_workload(name).is_ok(),
        }
    }
}

impl Request {
    /// A GET request from `from` (a workload name, or `external`) to `url`.
    pub fn new(from: &str, url: &str) -> Request {
        let from = from.trim();
        let source = if from.eq_ignore_ascii_case("external") {
            Source::External
        } else if let Some(ns) = from.strip_prefix("mesh:") {
            Source::MeshClient(ns.to_string())
        } else {
            Source::Workload(from.to_string())
        };
        Request {
            source,
            url: url.trim().to_string(),
            method: "GET".to_string(),
            headers: Vec::new(),
        }
    }

    pub fn with_method(mut self, method: &str) -> Request {
        self.method = method.trim().to_ascii_uppercase();
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers
            .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        self
    }

    /// The value of a header (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Reads a header written as `name: value`.
    pub fn parse_header(s: &str) -> Result<(String, String), QueryError> {
        let (k, v) = s
            .split_once(':')
            .ok_or_else(|| QueryError::UnreadableHeader { header: s.to_string() })?;
        let k = k.trim();
        if k.is_empty() || k.contains(char::is_whitespace) {
            return Err(QueryError::BadHeaderName { header: s.to_string() });
        }
        Ok((k.to_ascii_lowercase(), v.trim().to_string()))
    }

    /// Reads one line of a `requests.txt`: `--from SRC [-X METHOD] [-H 'name: value']...
    /// URL`, with shell-like quoting.
    pub fn parse_line(line: &str) -> Result<Request, QueryError> {
        let words = shell_words(line)?;
        let mut from = None;
        let mut method = None;
        let mut headers = Vec::new();
        let mut url = None;
        let mut it = words.into_iter();
        while let Some(w) = it.next() {
            let mut value = |name: &str| {
                it.next().ok_or_else(|| QueryError::MissingValue {
                    option: name.to_string(),
                })
            };
            match w.as_str() {
                "--from" => from = Some(value("--from")?),
                "-X" | "--request" => method = Some(value("-X")?),
                "-H" | "--header" => headers.push(Request::parse_header(&value("-H")?)?),
                _ if w.starts_with("--from=") => from = Some(w["--from=".len()..].to_string()),
                _ if w.starts_with('-') && w.len() > 1 => return Err(QueryError::UnknownOption { option: w }),
                _ if url.is_none() => url = Some(w),
                _ => return Err(QueryError::SecondUrl { url: w }),
            }
        }
        let from = from.ok_or(QueryError::MissingFrom)?;
        let url = url.ok_or(QueryError::MissingUrl)?;
        parse_url(&url)?;
        let mut r = Request::new(&from, &url);
        if let Some(m) = method {
            r = r.with_method(&m);
        }
        for (k, v) in headers {
            r = r.with_header(&k, &v);
        }
        Ok(r)
    }
}

/// `--from SRC [-X METHOD] [-H 'name: value']... URL`, the form `parse_line` reads.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::External => write!(f, "--from external")?,
            Source::Workload(w) => write!(f, "--from {w}")?,
            Source::MeshClient(ns) => write!(f, "--from mesh:{ns}")?,
        }
        if self.method != "GET" {
            write!(f, " -X {}", self.method)?;
        }
        for (k, v) in &self.headers {
            write!(f, " -H '{k}: {v}'")?;
        }
        write!(f, " {}", self.url)
    }
}

fn shell_words(line: &str) -> Result<Vec<String>, QueryError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(QueryError::UnterminatedQuote { quote: '\'' }),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => cur.extend(chars.next()),
                        Some(c) => cur.push(c),
                        None => return Err(QueryError::UnterminatedQuote { quote: '"' }),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
    Tcp,
}

/// A URL taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    pub scheme: Scheme,
    pub host: String,
    /// The port as written, if any.
    pub explicit_port: Option<u16>,
    pub port: u16,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Url {
    /// `host[:port]` as the client would send it in the Host header.
    pub fn authority(&self) -> String {
        match self.explicit_port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

pub(crate) fn parse_url(s: &str) -> Result<Url, QueryError> {
    let unreadable = |problem| QueryError::UnreadableUrl {
        url: s.trim().to_string(),
        problem,
    };
    let s = s.trim();
    let (scheme, rest) = s.split_once("://").ok_or_else(|| unreadable(UrlProblem::NoScheme))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        "tcp" => Scheme::Tcp,
        other => {
            return Err(QueryError::UnsupportedScheme {
                scheme: other.to_string(),
                url: s.to_string(),
            })
        }
    };
    let (authority, path_query) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (h, after) = inner
            .split_once(']')
            .ok_or_else(|| unreadable(UrlProblem::UnclosedBracket))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(unreadable(UrlProblem::NoHost));
    }
    let explicit_port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| unreadable(UrlProblem::InvalidPort(p.to_string())))?,
        ),
    };
    let port = match (explicit_port, scheme) {
        (Some(p), _) => p,
        (None, Scheme::Http) => 80,
        (None, Scheme::Https) => 443,
        (None, Scheme::Tcp) => return Err(unreadable(UrlProblem::TcpWithoutPort)),
    };
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    };
    let query = query
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (p.to_string(), String::new()),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Url {
        scheme,
        host: host.to_ascii_lowercase(),
        explicit_port,
        port,
        path,
        query,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn external_and_mesh_clients_always_exist_a_workload_when_the_input_has_it() {
        let (raw, _) = crate::parse::parse_files(&[crate::parse::SourceFile::new(
            "a.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: i}]}\n",
        )]);
        let cluster = crate::read::build(raw).value;
        let exists = |from: &str| Request::new(from, "http://web.shop").source.exists_in(&cluster);
        assert!(exists("external"));
        assert!(exists("mesh:shop"));
        assert!(exists("shop/web"));
        assert!(exists("shop/web[Pod]"));
        assert!(!exists("shop/db"));
    }

    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://Reviews:9080/a/b?x=1&y").unwrap();
        assert_eq!(u.host, "reviews");
        assert_eq!(u.port, 9080);
        assert_eq!(u.path, "/a/b");
        assert_eq!(u.query, vec![("x".into(), "1".into()), ("y".into(), String::new())]);
        assert_eq!(parse_url("http://a").unwrap().path, "/");
        assert_eq!(parse_url("http://a?q=1").unwrap().path, "/");
        assert_eq!(parse_url("tcp://db:5432").unwrap().scheme, Scheme::Tcp);
        assert!(parse_url("tcp://db").is_err());
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("reviews").is_err());
        assert!(parse_url("http://a:99999/").is_err());
        assert_eq!(parse_url("http://[::1]:8080/").unwrap().host, "::1");
    }

    #[test]
    fn lines() {
        let r = Request::parse_line("--from bookinfo/productpage -X post -H 'end-user: jason' http://reviews:9080/")
            .unwrap();
        assert_eq!(r.source, Source::Workload("bookinfo/productpage".into()));
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("End-User"), Some("jason"));
        assert_eq!(
            r.to_string(),
            "--from bookinfo/productpage -X POST -H 'end-user: jason' http://reviews:9080/"
        );
        assert_eq!(Request::parse_line(&r.to_string()).unwrap(), r);
        assert!(Request::parse_line("http://x/").is_err());
        assert!(Request::parse_line("--from a").is_err());
        assert!(Request::parse_line("--from a -Z http://x/").is_err());
        assert!(Request::parse_line("--from a 'http://x/").is_err());
        assert_eq!(
            Request::parse_line("--from external http://x/").unwrap().source,
            Source::External
        );
    }
}
