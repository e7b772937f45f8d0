//! The verdict: the leaves of every branch summed into the [`Outcome`] (its status, the
//! workloads that receive requests, each distinct result with its share), and the text
//! both front ends print.

use super::{pct, Delivery, Outcome, OutcomeShare, Sim, NO_EXCHANGE};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

impl Sim<'_> {
    pub(super) fn finish(mut self) -> Outcome {
        let total: f64 = self.leaves.iter().map(|l| l.fraction).sum();
        let mut by_status: BTreeMap<u16, f64> = BTreeMap::new();
        for l in &self.leaves {
            *by_status.entry(l.status).or_default() += l.fraction;
        }
        let status = by_status
            .iter()
            .max_by(|a, b| larger_share((*a.0, *a.1), (*b.0, *b.1)))
            .map(|(s, _)| *s)
            .unwrap_or(503);
        let destinations = self.deliveries(|l| l.status == 200);
        let outcomes = self.outcomes(&by_status);
        let mut summary = String::new();
        if by_status.len() > 1 || total < 1.0 - 1e-9 {
            let parts: Vec<String> = by_status
                .iter()
                .map(|(s, f)| format!("{} of requests get {} ({})", pct(*f), status_code(*s), self.reasons(*s)))
                .collect();
            let _ = write!(
                summary,
                "{}; the status shown is the one most requests get",
                parts.join("; ")
            );
        } else if let Some(l) = self.leaves.first() {
            summary = format!("{} ({})", status_code(status), l.why);
        } else {
            summary = status_code(status);
        }
        if !destinations.is_empty() {
            let d: Vec<String> = destinations
                .iter()
                .map(|d| {
                    format!(
                        "{}{} {}",
                        d.workload,
                        d.subset.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
                        pct(d.share)
                    )
                })
                .collect();
            let _ = write!(summary, "; delivered to {}", d.join(", "));
        }
        self.prefix.clear();
        self.step("verdict", summary, None);
        Outcome {
            status,
            destinations,
            outcomes,
            trace: self.trace,
        }
    }

    /// The workloads that receive the requests of the leaves `pick` selects, with their
    /// share of those requests.
    fn deliveries(&self, pick: impl Fn(&super::Leaf) -> bool) -> Vec<Delivery> {
        let mut delivered: BTreeMap<(String, Option<String>), f64> = BTreeMap::new();
        for l in self.leaves.iter().filter(|l| pick(l)) {
            if let (200, Some(d)) = (l.status, &l.dest) {
                *delivered.entry(d.clone()).or_default() += l.fraction;
            }
        }
        let delivered_total: f64 = delivered.values().sum();
        delivered
            .into_iter()
            .map(|((workload, subset), f)| Delivery {
                tls: self.tls.get(&workload).map(|t| t.to_string()),
                workload,
                subset,
                share: round6(f / delivered_total),
            })
            .collect()
    }

    /// The distinct reasons of the leaves that end with `status`, sorted.
    fn reasons(&self, status: u16) -> String {
        let whys: BTreeSet<&str> = self
            .leaves
            .iter()
            .filter(|l| l.status == status)
            .map(|l| l.why.as_str())
            .collect();
        whys.into_iter().collect::<Vec<_>>().join(", ")
    }

    /// One outcome per status, the largest share first.
    fn outcomes(&self, by_status: &BTreeMap<u16, f64>) -> Vec<OutcomeShare> {
        let mut out: Vec<OutcomeShare> = by_status
            .iter()
            .map(|(&status, &share)| {
                let subsets: BTreeSet<String> = self
                    .leaves
                    .iter()
                    .filter(|l| l.status == status)
                    .filter_map(|l| l.subset.clone())
                    .collect();
                OutcomeShare {
                    status,
                    share: round6(share),
                    destinations: self.deliveries(|l| l.status == status),
                    reason: self.reasons(status),
                    subsets: subsets.into_iter().collect(),
                }
            })
            .collect();
        crate::sorting::sort_by(&mut out, |a, b| larger_share((b.status, b.share), (a.status, a.share)));
        out
    }
}

/// Orders `(status, share)` pairs by share; a tie goes to a failure over delivery, then
/// to the lower code.
fn larger_share(a: (u16, f64), b: (u16, f64)) -> std::cmp::Ordering {
    if (a.1 - b.1).abs() < 1e-9 {
        (b.0 == 200).cmp(&(a.0 == 200)).then(b.0.cmp(&a.0))
    } else {
        a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal)
    }
}

fn round6(f: f64) -> f64 {
    (f * 1e6).round() / 1e6
}

/// The status as a trace shows it: the code, or that no HTTP exchange happened.
fn status_code(status: u16) -> String {
    if status == NO_EXCHANGE {
        "no HTTP exchange".to_string()
    } else {
        status.to_string()
    }
}

impl OutcomeShare {
    /// Whether these requests succeed: a 2xx or 3xx response (a redirect is an answer the
    /// client follows, not a failure).
    pub fn succeeded(&self) -> bool {
        (200..400).contains(&self.status)
    }
}

/// How many of a request's outcomes succeed: what a headline's colour says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Success {
    /// Every request succeeds.
    All,
    /// Some requests succeed and some fail (a split onto an empty subset, a fault).
    Partial,
    /// No request succeeds.
    None,
}

impl Outcome {
    /// Whether all, some or none of the requests succeed ([`OutcomeShare::succeeded`]).
    /// A request whose status alone looks fine can still fail for a share of its
    /// requests: the headline must not say "200" in green then.
    pub fn success(&self) -> Success {
        let ok = self.outcomes.iter().filter(|o| o.succeeded()).count();
        match ok {
            0 => Success::None,
            n if n == self.outcomes.len() => Success::All,
            _ => Success::Partial,
        }
    }

    /// Each distinct result with its share, the largest first, in one line:
    /// `80% 200 OK (v1) · 20% 503 no endpoints (v2)`.
    pub fn headline(&self) -> String {
        let parts: Vec<String> = self
            .outcomes
            .iter()
            .map(|o| {
                let what = match o.status {
                    NO_EXCHANGE => format!("no HTTP exchange: {}", o.reason),
                    200 => "200 OK".to_string(),
                    s => format!("{s} {}", o.reason),
                };
                let via = if o.subsets.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", o.subsets.join(", "))
                };
                format!("{} {what}{via}", pct(o.share))
            })
            .collect();
        parts.join(" · ")
    }

    /// The outcome as text, the same in the CLI and the web app.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.status == NO_EXCHANGE {
            let _ = writeln!(out, "Status: none ({})", reason(self.status));
        } else {
            let _ = writeln!(out, "Status: {} {}", self.status, reason(self.status));
        }
        if self.outcomes.len() > 1 {
            let _ = writeln!(out, "Outcomes: {}", self.headline());
        }
        if self.destinations.is_empty() {
            let _ = writeln!(out, "Delivered to: nobody");
        } else {
            let _ = writeln!(out, "Delivered to:");
            for d in &self.destinations {
                let _ = writeln!(
                    out,
                    "  {:>7}  {}{}",
                    pct(d.share),
                    d.workload,
                    d.subset
                        .as_deref()
                        .map(|s| format!(" (subset {s})"))
                        .unwrap_or_default()
                );
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Trace:");
        let width = self.trace.iter().map(|t| t.step.len()).max().unwrap_or(0);
        for (i, t) in self.trace.iter().enumerate() {
            let _ = writeln!(out, "{:>3}. {:<width$}  {}", i + 1, t.step, t.detail);
        }
        out
    }
}

/// The reason phrase of a status code (for [`NO_EXCHANGE`], that there is no response):
/// what the text output prints after `Status:`, and what the web app shows.
pub fn reason(status: u16) -> &'static str {
    match status {
        NO_EXCHANGE => "no HTTP exchange: the host does not resolve",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
