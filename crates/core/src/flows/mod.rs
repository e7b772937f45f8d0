//! Observed traffic (docs/flows.md): flow records from Hubble, Calico, Inspektor Gadget or
//! a CSV, read line by line into the distinct flows between the scenario's workloads and
//! external addresses; replayed against the scenario's policies ([`replay`]), compared
//! with them ([`diff`]), and turned into least-privilege NetworkPolicies or
//! CiliumNetworkPolicies ([`generate`]).
//!
//! Reading is a stream: [`FlowReader::line`] takes one line at a time and keeps only the
//! distinct flows and the first [`MAX_ISSUES`] problems, so a file of millions of records
//! costs memory in proportion to the traffic's variety, not its volume.

mod cilium;
mod end;
mod formats;
pub mod generate;
mod matching;
mod raw;
pub mod replay;

pub use crate::model::{KUBE_DNS_LABEL, KUBE_DNS_NAMESPACE};
pub use end::{kube_dns_workload, End};
pub use formats::FlowFormat;
pub use generate::{GenerateOptions, PolicyFile, PolicyKind};
pub use replay::{diff, explain_flow, replay, FlowDiff, Replay, RuleRef, Verdict};

use crate::conn::Protocol;
use crate::diagnostics::Location;
use crate::model::Cluster;
use crate::parse::SourceFile;
use formats::{Line, Skip};

/// The least-privilege policies for the observed flows, one file per namespace with
/// workloads, sorted: NetworkPolicies or CiliumNetworkPolicies, as `options.kind` says.
/// (Both writers share [`generate::plan`]; choosing here keeps them out of each other.)
pub fn generate(cluster: &Cluster, observed: &Observed, options: &GenerateOptions) -> Vec<PolicyFile> {
    let write_namespace: generate::NamespaceWriter = match options.kind {
        PolicyKind::NetworkPolicy => generate::namespace_file,
        PolicyKind::Cilium => cilium::namespace_file,
    };
    generate::policy_files(cluster, observed, options, write_namespace)
}
use matching::Matcher;
use std::collections::HashMap;
use std::fmt;

/// The longest record line read; a longer one is reported and skipped.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// How many problems are kept with their lines; past it they are only counted.
pub const MAX_ISSUES: usize = 1000;

/// A distinct connection seen in the records: who opened it to whom, on which port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub src: End,
    pub dst: End,
    pub protocol: Protocol,
    pub port: u16,
    /// How many records (connections, for counted formats) folded into it.
    pub records: u64,
    /// The first record's file and line.
    pub first: Location,
    /// The verdicts the tool observed, sorted (`FORWARDED`, `DROPPED`, `allow`, …).
    pub observed: Vec<String>,
}

impl Flow {
    /// `SRC => DST : TCP 8080`, as connlist names endpoints and connections.
    pub fn text(&self, cluster: &Cluster) -> String {
        format!(
            "{} => {} : {} {}",
            self.src.name(cluster),
            self.dst.name(cluster),
            self.protocol.as_str(),
            self.port
        )
    }
}

/// A record that could not be read or matched, at its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowIssue {
    pub loc: Location,
    pub message: String,
}

impl fmt::Display for FlowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.loc.file, self.loc.line, self.message)
    }
}

/// Everything the flow files said, folded.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Distinct flows, sorted by source, destination, protocol and port names.
    pub flows: Vec<Flow>,
    /// The first [`MAX_ISSUES`] records that could not be read or matched.
    pub issues: Vec<FlowIssue>,
    /// All such records.
    pub issue_count: usize,
    /// Records that became (part of) a flow.
    pub records: u64,
    /// Reply packets folded into the connections they answer.
    pub replies: u64,
    /// Records of no TCP, UDP or SCTP connection (ICMP, multicast, agent events).
    pub without_port: u64,
    /// Each file's name and the format it was read as.
    pub formats: Vec<(String, FlowFormat)>,
}

impl Observed {
    /// `N records: N distinct flows, N replies folded, N not matched`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} {} read: {} distinct {}",
            self.records,
            plural(self.records, "record", "records"),
            self.flows.len(),
            plural(self.flows.len() as u64, "flow", "flows")
        );
        if self.replies > 0 {
            s += &format!(", {} {} folded", self.replies, plural(self.replies, "reply", "replies"));
        }
        if self.without_port > 0 {
            s += &format!(
                ", {} other events (no TCP/UDP/SCTP connection) skipped",
                self.without_port
            );
        }
        if self.issue_count > 0 {
            s += &format!(
                ", {} {} not read or not matched",
                self.issue_count,
                plural(self.issue_count as u64, "record", "records")
            );
        }
        s
    }
}

pub(crate) fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: End,
    dst: End,
    protocol: Protocol,
    port: u16,
}

struct Stats {
    records: u64,
    first: Location,
    observed: Vec<String>,
}

/// Reads flow files a line at a time (see the module documentation).
pub struct FlowReader<'c> {
    cluster: &'c Cluster,
    matcher: Matcher<'c>,
    flows: HashMap<Key, Stats>,
    out: Observed,
    file: String,
    format: Option<FlowFormat>,
    line: u32,
}

impl<'c> FlowReader<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        FlowReader {
            cluster,
            matcher: Matcher::new(cluster),
            flows: HashMap::new(),
            out: Observed::default(),
            file: String::new(),
            format: None,
            line: 0,
        }
    }

    /// Starts the next file: line numbers restart, and its format is decided by its first
    /// record.
    pub fn start_file(&mut self, name: &str) {
        self.file = name.to_string();
        self.format = None;
        self.line = 0;
    }

    fn issue(&mut self, message: String) {
        self.out.issue_count += 1;
        if self.out.issues.len() < MAX_ISSUES {
            self.out.issues.push(FlowIssue {
                loc: Location::new(&self.file, self.line, 1),
                message,
            });
        }
    }

    /// Reads the next line of the current file (without its line break).
    pub fn line(&mut self, text: &str) {
        self.line = self.line.saturating_add(1);
        if text.len() > MAX_RECORD_BYTES {
            self.issue(format!(
                "the record is longer than {} MiB; it is skipped",
                MAX_RECORD_BYTES >> 20
            ));
            return;
        }
        let text = text.strip_suffix('\r').unwrap_or(text);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let format = match self.format {
            Some(f) => f,
            None => {
                if text.trim().is_empty() || text.trim_start().starts_with('#') {
                    return;
                }
                let f = FlowFormat::detect(text);
                self.format = Some(f);
                self.out.formats.push((self.file.clone(), f));
                f
            }
        };
        let record = match formats::read_line(format, text) {
            Line::Record(r) => r,
            Line::Skip(Skip::Blank) => return,
            Line::Skip(Skip::Reply) => {
                self.out.replies += 1;
                return;
            }
            Line::Skip(Skip::NoPort) => {
                self.out.without_port += 1;
                return;
            }
            Line::Bad(why) => return self.issue(format!("cannot read this {} record: {why}", format.name())),
        };
        let src = self.matcher.resolve(&record.src);
        if let Err(why) = self.matcher.answer(src) {
            let message = format!("source: {why}");
            return self.issue(message);
        }
        let dst = self.matcher.resolve(&record.dst);
        if let Err(why) = self.matcher.answer(dst) {
            let message = format!("destination: {why}");
            return self.issue(message);
        }
        let (Ok(srcs), Ok(dsts)) = (self.matcher.answer(src), self.matcher.answer(dst)) else {
            return;
        };
        if srcs.iter().chain(dsts).all(|e| !matches!(e, End::Workload(_))) {
            return self.issue("neither end is a workload of the input".into());
        }
        self.out.records += record.count;
        let service = record.dst.service();
        for &src in srcs {
            for &dst in dsts {
                // Through a Service the pod sees the Service's target port.
                let port = match (service, dst) {
                    (Some((ns, name)), End::Workload(w)) => {
                        self.matcher.target_port(ns, name, record.protocol, record.port, w)
                    }
                    _ => record.port,
                };
                let key = Key {
                    src,
                    dst,
                    protocol: record.protocol,
                    port,
                };
                let stats = self.flows.entry(key).or_insert_with(|| Stats {
                    records: 0,
                    first: Location::new(&self.file, self.line, 1),
                    observed: Vec::new(),
                });
                stats.records += record.count;
                if let Some(v) = &record.verdict {
                    if !stats.observed.iter().any(|o| o == v) && stats.observed.len() < 8 {
                        stats.observed.push(v.to_string());
                    }
                }
            }
        }
    }

    /// Reads a whole file held in memory (the web app; tests).
    pub fn file(&mut self, name: &str, text: &str) {
        self.start_file(name);
        for line in text.split('\n') {
            self.line(line);
        }
    }

    /// The distinct flows, sorted, and what could not be read.
    pub fn finish(self) -> Observed {
        let cluster = self.cluster;
        let mut flows: Vec<(String, String, Flow)> = self
            .flows
            .into_iter()
            .map(|(k, mut s)| {
                crate::sorting::sort(&mut s.observed);
                let flow = Flow {
                    src: k.src,
                    dst: k.dst,
                    protocol: k.protocol,
                    port: k.port,
                    records: s.records,
                    first: s.first,
                    observed: s.observed,
                };
                (flow.src.name(cluster), flow.dst.name(cluster), flow)
            })
            .collect();
        crate::sorting::sort_unstable_by(&mut flows, |a, b| {
            (&a.0, &a.1, a.2.protocol, a.2.port).cmp(&(&b.0, &b.1, b.2.protocol, b.2.port))
        });
        let mut out = self.out;
        out.flows = flows.into_iter().map(|(_, _, f)| f).collect();
        out
    }
}

/// Whether a file a user drops or opens is a flow log rather than manifests: a `.csv`,
/// `.jsonl`, `.ndjson` or `.log` file, or one whose first record is a JSON object with a
/// flow's fields (Hubble's `flow` or `source` and `destination`, Calico's
/// `source_namespace`, Inspektor Gadget's `pktType`). Manifests (`kind:`, `apiVersion`)
/// never are.
pub fn is_flow_file(name: &str, text: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if [".csv", ".jsonl", ".ndjson", ".log"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        return true;
    }
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    let Ok(serde_json::Value::Object(record)) = serde_json::from_str::<serde_json::Value>(first) else {
        return false;
    };
    let has = |k: &str| record.contains_key(k);
    !has("kind")
        && !has("apiVersion")
        && (has("flow") || (has("source") && has("destination")) || has("source_namespace") || has("pktType"))
}

/// Reads flow files held in memory against a cluster.
pub fn read(cluster: &Cluster, files: &[SourceFile]) -> Observed {
    let mut reader = FlowReader::new(cluster);
    for f in files {
        reader.file(&f.name, &f.text);
    }
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_files_are_told_from_manifests() {
        assert!(is_flow_file("flows.csv", "src,dst,port,protocol\n"));
        assert!(is_flow_file(
            "observe.json",
            "{\"flow\": {\"verdict\": \"FORWARDED\"}}\n{\"flow\": {}}"
        ));
        assert!(is_flow_file(
            "calico.json",
            "{\"source_namespace\": \"a\", \"dest_namespace\": \"b\"}"
        ));
        assert!(is_flow_file("ig.json", "\n{\"pktType\": \"HOST\", \"proto\": \"tcp\"}"));
        assert!(!is_flow_file(
            "pods.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}"
        ));
        assert!(!is_flow_file("pods.json", "{\n  \"apiVersion\": \"v1\"\n}"));
        assert!(!is_flow_file("shop.yaml", "apiVersion: v1\nkind: Pod\n"));
        assert!(!is_flow_file("empty.json", ""));
    }
}
