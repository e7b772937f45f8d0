//! Layer 7 rules on a port entry (Cilium `toPorts[].rules`): the port is open only to the
//! requests that match one of them. netplay does not see requests, so a verdict keeps
//! them beside its ports as an extra constraint ([`crate::netpol::l7`]) and
//! [`L7::allows_http`] checks one request the user describes.

use std::fmt;

/// The layer 7 rules of one port entry, of one protocol ("Mixing of different port level
/// rule types is disallowed"). "A layer 7 request is permitted if at least one of the
/// rules matches."
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum L7 {
    Http(Vec<HttpMatch>),
    Dns(Vec<DnsMatch>),
    /// Kafka or a named `l7proto` parser: kept, shown, never decided.
    Other(String),
}

/// One `rules.http` entry: every field written must match; an omitted one matches all.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct HttpMatch {
    /// Extended POSIX regular expressions, matched against the whole method, path, host.
    pub method: Option<String>,
    pub path: Option<String>,
    pub host: Option<String>,
    /// Headers that must be present (`Name` or `Name: value`).
    pub headers: Vec<String>,
    /// `headerMatches` written (its mismatch actions are not modelled).
    pub header_matches: bool,
}

/// One `rules.dns` entry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DnsMatch {
    /// `matchName`: one name exactly.
    Name(String),
    /// `matchPattern`: `*` stands for any run of DNS characters other than `.`; `*`
    /// alone for every name.
    Pattern(String),
}

impl L7 {
    /// The protocol the rules are written for, as the connlist's JSON names it.
    pub fn protocol(&self) -> &'static str {
        match self {
            L7::Http(_) => "http",
            L7::Dns(_) => "dns",
            L7::Other(_) => "other",
        }
    }

    /// One text per rule, e.g. `GET /public`, `PUT /path2$ with X-My-Header: true`,
    /// `dns *.cilium.io`.
    pub fn rule_texts(&self) -> Vec<String> {
        match self {
            L7::Http(rules) => rules.iter().map(ToString::to_string).collect(),
            L7::Dns(rules) => rules.iter().map(ToString::to_string).collect(),
            L7::Other(what) => vec![what.clone()],
        }
    }
}

impl fmt::Display for HttpMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.method.as_deref().unwrap_or("any method"),
            self.path.as_deref().unwrap_or("any path")
        )?;
        if let Some(host) = &self.host {
            write!(f, " host {host}")?;
        }
        if !self.headers.is_empty() {
            write!(f, " with {}", self.headers.join(", "))?;
        }
        if self.header_matches {
            write!(f, " (headerMatches not modelled)")?;
        }
        Ok(())
    }
}

impl fmt::Display for DnsMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsMatch::Name(n) => write!(f, "dns {n}"),
            DnsMatch::Pattern(p) => write!(f, "dns {p}"),
        }
    }
}
