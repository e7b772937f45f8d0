//! Layer 7 rules on a port entry (Cilium `toPorts[].rules`): the port is open only to the
//! requests that match one of them. netplay does not see requests, so a verdict keeps
//! them beside its ports as an extra constraint ([`crate::netpol::l7`]) and
//! [`crate::netpol::http::check_http`] checks one request the user describes.

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

/// How an FQDN destination's endpoint name begins.
const FQDN_PREFIX: &str = "fqdn:";

impl DnsMatch {
    /// The name connection lists give the addresses it stands for: `fqdn:api.cilium.io`,
    /// `fqdn:*.cilium.io`.
    pub fn fqdn_name(&self) -> String {
        match self {
            DnsMatch::Name(n) | DnsMatch::Pattern(n) => format!("{FQDN_PREFIX}{n}"),
        }
    }

    /// Whether an endpoint name is an FQDN destination's (`fqdn:api.example.com`): the
    /// addresses a name resolves to, which a policy's egress reaches by that name. A name
    /// matches no source, so such an endpoint only ever receives.
    pub fn is_fqdn_name(name: &str) -> bool {
        name.starts_with(FQDN_PREFIX)
    }

    /// The selector behind an `fqdn:` name: a pattern when it holds `*` (which a
    /// `matchName` may not), else a name.
    pub fn from_fqdn_name(name: &str) -> Option<DnsMatch> {
        let text = name.strip_prefix(FQDN_PREFIX).filter(|t| !t.is_empty())?;
        Some(if text.contains('*') {
            DnsMatch::Pattern(text.to_string())
        } else {
            DnsMatch::Name(text.to_string())
        })
    }

    /// Whether the name `name` is one this selector allows: `matchName` exactly,
    /// `matchPattern` with `*` standing for any run of characters other than `.`, and `*`
    /// alone for every name. DNS names compare without case and without a final dot.
    pub fn matches_name(&self, name: &str) -> bool {
        let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
        match self {
            DnsMatch::Name(n) => norm(n) == norm(name),
            DnsMatch::Pattern(p) if p.trim() == "*" => true,
            DnsMatch::Pattern(p) => wildcard(norm(p).as_bytes(), norm(name).as_bytes()),
        }
    }

    /// What an explanation with the FQDN end `name` adds: the verdict holds whatever
    /// addresses DNS gives, and only rules that hold all of them were applied.
    pub fn undecidable_note(name: &str) -> String {
        format!(
            "Undecidable offline: {name} stands for the addresses DNS gives at run time, which netplay cannot know. Only name rules (toFQDNs, domainNames) that allow every name of it, and rules that admit every address outside the cluster, were applied; a rule for a narrower address block may also apply to those addresses."
        )
    }

    /// Whether every name `other` stands for is one this selector allows: a name by
    /// [`DnsMatch::matches_name`], a pattern only by the same pattern or `*`. (Whether
    /// `*.cilium.io` holds `*.api.cilium.io` never decides a verdict: a line is shown
    /// only for what is sure.)
    pub fn covers(&self, other: &DnsMatch) -> bool {
        match other {
            DnsMatch::Name(n) => self.matches_name(n),
            DnsMatch::Pattern(p) => match self {
                DnsMatch::Pattern(q) => q.trim() == "*" || q.eq_ignore_ascii_case(p),
                DnsMatch::Name(_) => false,
            },
        }
    }
}

/// `*` in `pattern` matches any run of bytes other than `.`.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => {
            // Try every length of the run, up to the next dot.
            let run = name.iter().take_while(|&&c| c != b'.').count();
            (0..=run).any(|k| name.get(k..).is_some_and(|tail| wildcard(rest, tail)))
        }
        Some((&c, rest)) => name
            .split_first()
            .is_some_and(|(&n, tail)| n == c && wildcard(rest, tail)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_pattern_stars_stay_within_one_label() {
        // Cilium's DNS example: `*.cilium.io` allows `sub.cilium.io`, not `cilium.io` or
        // `a.b.cilium.io`; `special*service.api.cilium.io` allows `specialxservice...`.
        let sub = DnsMatch::Pattern("*.cilium.io".into());
        assert!(sub.matches_name("sub.cilium.io"));
        assert!(sub.matches_name("SUB.cilium.io."));
        assert!(!sub.matches_name("cilium.io"));
        assert!(!sub.matches_name("a.b.cilium.io"));
        let special = DnsMatch::Pattern("special*service.api.cilium.io".into());
        assert!(special.matches_name("specialservice.api.cilium.io"));
        assert!(special.matches_name("special-x-service.api.cilium.io"));
        assert!(!special.matches_name("special.x.service.api.cilium.io"));
        assert!(DnsMatch::Pattern("*".into()).matches_name("anything.example"));
    }

    #[test]
    fn a_selector_covers_a_destination_only_when_it_allows_every_name_of_it() {
        let sub = DnsMatch::Pattern("*.cilium.io".into());
        assert!(sub.covers(&DnsMatch::Name("api.cilium.io".into())));
        assert!(sub.covers(&DnsMatch::Pattern("*.cilium.io".into())));
        assert!(!sub.covers(&DnsMatch::Pattern("*.api.cilium.io".into())));
        assert!(!DnsMatch::Name("api.cilium.io".into()).covers(&sub));
        assert!(DnsMatch::Pattern("*".into()).covers(&sub));
    }

    #[test]
    fn fqdn_names_read_back_as_their_selector() {
        for m in [
            DnsMatch::Name("cilium.io".into()),
            DnsMatch::Pattern("*.cilium.io".into()),
        ] {
            assert_eq!(DnsMatch::from_fqdn_name(&m.fqdn_name()), Some(m));
        }
        assert_eq!(DnsMatch::from_fqdn_name("fqdn:"), None);
        assert_eq!(DnsMatch::from_fqdn_name("web"), None);
    }
}
