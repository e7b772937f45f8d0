//! netplay-core: the Kubernetes networking model, parsing, NetworkPolicy evaluation,
//! explanations and diagnostics. No I/O: callers hand in file contents and get values
//! plus diagnostics back. Never panics on input.
//!
//! The entry point is [`load`]: files → [`Scenario`] (cluster model + diagnostics). Every
//! analysis the CLI and the web app show is a method of `Scenario` or a function in this
//! crate, so both front ends print the same answers. Service-mesh requests (Istio, Gateway
//! API) are simulated by [`mesh::simulate`] and [`mesh::split`] (docs/mesh.md).

pub mod admin;
pub mod ask;
pub mod assertions;
pub mod bitset;
pub mod cni;
pub mod conn;
pub mod connlist;
pub mod diagnostics;
pub mod diff_causes;
pub mod endpoint;
pub mod export;
pub mod flows;
pub mod glossary;
pub mod incremental;
pub mod intervals;
pub mod lessons;
pub mod mesh;
pub mod model;
pub mod multicluster;
pub mod netpol;
pub mod ordered;
pub mod output;
pub mod parse;
pub mod policy;
pub mod present;
pub mod probe;
pub mod query;
pub mod read;
pub mod sorting;
pub mod suggest;
pub mod templates;

pub use conn::{ConnSet, Protocol};
pub use connlist::Focus;
pub use diagnostics::{Checked, Diagnostic, Location, Severity};
pub use endpoint::external_address;
pub use model::Cluster;
pub use parse::SourceFile;
pub use query::QueryError;

use netpol::engine::Engine;
use netpol::explain::{Explanation, Target};
use output::ConnLine;

/// A loaded scenario: the cluster model and what was found while reading it.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    pub cluster: Cluster,
    /// Diagnostics from reading and understanding the input (syntax, types, validation).
    pub diagnostics: Vec<Diagnostic>,
    /// The member clusters, when the input describes several (docs/multi-cluster-setup.md).
    pub multicluster: Option<Box<multicluster::MultiScenario>>,
}

/// `netplay convert`: the input with its v1alpha1 admin policies rewritten as v1alpha2
/// ClusterNetworkPolicy (`admin::convert`), and the connlists of the input before and
/// after, which must be equal.
pub fn convert_admin_policies(files: &[SourceFile]) -> admin::convert::Conversion {
    let mut c = admin::convert::rewrite(files);
    c.before = load(files).connlist();
    c.after = load(&[SourceFile::new("converted.yaml", c.yaml.clone())]).connlist();
    c
}

/// Reads files into a scenario. Never fails: broken input becomes diagnostics.
pub fn load(files: &[SourceFile]) -> Scenario {
    load_with_assertions_from(parse::parse_files(files)).0
}

/// [`load`] for an editor that re-evaluates after every edit: documents that did not
/// change since the previous call with the same `cache` are not parsed again.
pub fn load_cached(files: &[SourceFile], cache: &mut parse::ParseCache) -> Scenario {
    load_with_assertions_from(parse::parse_files_cached(files, cache)).0
}

/// [`load`], plus the `Assertions` documents found among the files (`netplay test`;
/// docs/assertions.md). Their reading diagnostics are in the scenario's.
pub fn load_with_assertions(files: &[SourceFile]) -> (Scenario, Vec<assertions::Suite>) {
    load_with_assertions_from(parse::parse_files(files))
}

/// The scenario and assertions of parsed files.
fn load_with_assertions_from(
    (raw, mut diagnostics): (Vec<parse::RawObject>, Vec<Diagnostic>),
) -> (Scenario, Vec<assertions::Suite>) {
    let (suites, mut assertion_diagnostics) = assertions::read(&raw).into_parts();
    diagnostics.append(&mut assertion_diagnostics);
    (Scenario::from_objects(raw, diagnostics).0, suites)
}

impl Scenario {
    /// The scenario of parsed objects; `diagnostics` are those found before reading them
    /// (parsing, assertions). Also returns reading's own diagnostics, which
    /// [`incremental`] keeps.
    pub(crate) fn from_objects(
        raw: Vec<parse::RawObject>,
        mut diagnostics: Vec<Diagnostic>,
    ) -> (Scenario, Vec<Diagnostic>) {
        let multi = read::multicluster::is_multicluster(&raw).then(|| Box::new(read::multicluster::build(raw.clone())));
        let (cluster, reading) = read::build(raw).into_parts();
        match &multi {
            // Reading diagnostics come from each member: the merged model's would report
            // the same Service of two clusters as a duplicate.
            Some(m) => diagnostics.extend(m.diagnostics.iter().cloned()),
            None => diagnostics.extend(reading.iter().cloned()),
        }
        let scenario = Scenario {
            cluster,
            diagnostics,
            multicluster: multi,
        };
        (scenario, reading)
    }

    /// Evaluates with `cni`'s order where Calico's and Cilium's differ (where the
    /// Kubernetes NetworkPolicies stand relative to Calico's tiers; docs/semantics.md,
    /// "The order of evaluation"). Without it, the order the input's kinds imply.
    pub fn use_cni(&mut self, cni: read::calico::Cni) {
        read::calico::apply_cni(&mut self.cluster, cni);
    }

    /// Every allowed connection, as the lines of `netplay connlist`, sorted. With several
    /// clusters: each cluster's own, named `cluster/ns/name[Kind]`, and those between
    /// clusters that a discovery mechanism joins (docs/semantics.md, "Several clusters").
    pub fn connlist(&self) -> Vec<ConnLine> {
        if let Some(multi) = &self.multicluster {
            return multicluster::connlist(multi);
        }
        let engine = Engine::new(&self.cluster);
        let mut lines = netpol::ingress_controller::cluster_lines(&engine);
        // Sorting the fields sorts the printed text: no name is a prefix of another.
        crate::sorting::sort_unstable(&mut lines);
        lines.dedup();
        connlist::L7Marks::mark_all(&self.cluster, &mut lines);
        lines
    }

    /// The connections from or to one workload (`ns/name[Kind]`, `ns/name` or a unique
    /// name; `cluster/ns/name[Kind]` with several clusters), as `connlist
    /// --focus-workload` prints them. Only the workload's rows and columns are evaluated
    /// ([`Scenario::connlist_rows`]) for one cluster; with several, the lines of the whole
    /// list that name it.
    pub fn connlist_focused(&self, workload: &str) -> Result<Vec<ConnLine>, QueryError> {
        if self.multicluster.is_some() {
            let name = self.endpoint_name(workload)?;
            let mut lines = self.connlist();
            lines.retain(|l| l.src == name || l.dst == name);
            return Ok(lines);
        }
        Ok(self.connlist_rows(&Focus::Workload(workload.to_string()))?.lines())
    }

    /// The endpoint name (as connlist prints it) of a user's name for a workload.
    pub fn endpoint_name(&self, query: &str) -> Result<String, QueryError> {
        match &self.multicluster {
            Some(multi) => {
                let (member, w) = multi.find_workload(query)?;
                Ok(multicluster::qualify(&member.name, &w.endpoint_name()))
            }
            None => Ok(self.cluster.find_workload(query)?.endpoint_name()),
        }
    }

    /// One line per kind of policy object in the input that netplay does not evaluate
    /// yet, e.g. `2 NetworkPolicy objects ignored: netplay does not evaluate this
    /// kind yet, so verdicts may be wrong`. Every front end shows these with its results.
    pub fn warnings(&self) -> Vec<String> {
        self.cluster
            .unevaluated_policies()
            .into_iter()
            .map(|(kind, n)| {
                let (objects, them) = if n == 1 { ("object", "it") } else { ("objects", "them") };
                format!("{n} {kind} {objects} ignored: netplay does not evaluate {them} yet, so verdicts may be wrong")
            })
            .collect()
    }

    /// Whether the input held any Kubernetes object at all (every document broken, an
    /// empty file, a file netplay could not decode: nothing to answer about).
    pub fn is_empty(&self) -> bool {
        self.cluster.objects.is_empty()
    }

    /// All diagnostics: those from reading plus the NetworkPolicy and mesh checks, in file
    /// order, without those the input suppresses (`galley.istio.io/analyze-suppress`).
    pub fn analyze(&self) -> Vec<Diagnostic> {
        self.analyze_report(&diagnostics::AnalyzeOptions::default()).diagnostics
    }

    /// [`Scenario::analyze`] with `netplay analyze`'s options: a mesh config, suppressions
    /// and thresholds (docs/diagnostics.md).
    pub fn analyze_report(&self, options: &diagnostics::AnalyzeOptions) -> diagnostics::Report {
        self.analyze_report_with(options, netpol::checks::check(&self.cluster))
    }

    /// [`Scenario::analyze_report`] with the NetworkPolicy findings already computed
    /// ([`incremental`] keeps them per namespace).
    pub(crate) fn analyze_report_with(
        &self,
        options: &diagnostics::AnalyzeOptions,
        netpol_findings: Vec<Diagnostic>,
    ) -> diagnostics::Report {
        let mut all = self.diagnostics.clone();
        match &self.multicluster {
            None => all.extend(check_cluster(&self.cluster, options, netpol_findings)),
            // Each cluster on its own, plus the checks across them.
            Some(multi) => all.extend(multi.analyze()),
        }
        report(all, options, &self.cluster)
    }

    /// Every AddressPlan of the input computed (pods per node, maximum nodes, addresses
    /// wasted, pod MTU), with the checks of the plans, across plans and of the CNI
    /// configuration objects against them (`netplay plan`, the Plan view; docs/cni.md).
    pub fn plan(&self) -> cni::PlanOutcome {
        cni::plan_scenario(&self.cluster)
    }

    /// What `netplay plan` reports beside the plans of `outcome`: its diagnostics and the
    /// reading's warnings and errors (notes about the rest of the input stay out), sorted
    /// and de-duplicated once.
    pub fn plan_diagnostics(&self, outcome: &cni::PlanOutcome) -> Vec<Diagnostic> {
        let mut diags: Vec<Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Info)
            .chain(&outcome.diagnostics)
            .cloned()
            .collect();
        diagnostics::sort_and_dedup(&mut diags);
        diags
    }

    /// Resolves a user's name for an endpoint: a workload (`ns/name[Kind]`, `ns/name`, or
    /// a unique name) or an IP address.
    pub fn target(&self, query: &str) -> Result<Target, QueryError> {
        if let Some(ip) = external_address(query) {
            return Ok(Target::Ip(ip));
        }
        // With several clusters, `cluster/` names the member; the merged model has the
        // workload under its plain name (use `explain_names` to evaluate in the member).
        let plain = match &self.multicluster {
            Some(multi) => multi.find_workload(query)?.1.endpoint_name(),
            None => query.trim().to_string(),
        };
        let w = self.cluster.find_workload(&plain)?;
        let idx = self
            .cluster
            .workloads
            .iter()
            .position(|x| std::ptr::eq(x, w))
            .ok_or_else(|| QueryError::NoWorkload {
                query: query.to_string(),
                hint: String::new(),
            })?;
        Ok(Target::Workload(idx))
    }

    /// Simulates one request through the service mesh (`netplay mesh request`). `Err` for
    /// an unreadable URL or a source that is not a workload of the input.
    pub fn mesh_request(&self, request: &mesh::Request) -> Result<mesh::Outcome, QueryError> {
        mesh::simulate(&self.cluster, request)
    }

    /// The traffic split of a host for sample requests derived from its VirtualServices
    /// (`netplay mesh split`), sent by `from` (default: any sidecar of the host's namespace).
    pub fn mesh_split(&self, host: &str, from: Option<&str>) -> Result<mesh::Split, QueryError> {
        let samples = mesh::sample_requests(&self.cluster, host, from)?;
        mesh::split(&self.cluster, host, Some(&samples))
    }

    /// What pods that are not in the input could reach from each workload, or reach it
    /// from, by the namespaces and labels its policies name ([`netpol::exposure`]).
    pub fn exposure(&self) -> Vec<netpol::exposure::Exposure> {
        netpol::exposure::exposure(&self.cluster)
    }

    /// How the exposure differs from `self` (old) to `new`: each exposure line added,
    /// removed or changed, as [`output::diff`] compares connection lines.
    pub fn exposure_diff(&self, new: &Scenario) -> Vec<output::DiffEntry> {
        let lines = |s: &Scenario| -> Vec<ConnLine> { s.exposure().iter().map(|e| e.line()).collect() };
        output::diff(&lines(self), &lines(new))
    }

    /// [`Scenario::exposure`] of the workloads a focus names (all for `Focus::All`).
    pub fn exposure_focused(&self, focus: &Focus) -> Result<Vec<netpol::exposure::Exposure>, QueryError> {
        let mut all = self.exposure();
        match focus {
            Focus::All => {}
            Focus::Namespace(ns) => all.retain(|e| e.workload.split('/').next() == Some(ns.as_str())),
            Focus::Workload(w) => {
                let name = self.endpoint_name(w)?;
                all.retain(|e| e.workload == name);
            }
            Focus::Workloads(ws) => {
                let names = ws
                    .iter()
                    .map(|w| self.endpoint_name(w))
                    .collect::<Result<Vec<_>, _>>()?;
                all.retain(|e| names.contains(&e.workload));
            }
        }
        Ok(all)
    }

    /// Explains the connection between two endpoints, optionally for one port.
    pub fn explain(&self, src: Target, dst: Target, probe: Option<(Protocol, u16)>) -> Explanation {
        netpol::explain::explain(&self.cluster, src, dst, probe)
    }

    /// Explains the connection between two endpoints named as users write them (what
    /// [`Scenario::target`] reads; with several clusters, `cluster/ns/name[Kind]` for
    /// workloads, and the evaluation happens in their clusters). The destination may also
    /// be an FQDN destination of the connection list, `fqdn:<name>` ([`netpol::fqdn`]).
    pub fn explain_names(
        &self,
        src: &str,
        dst: &str,
        probe: Option<(Protocol, u16)>,
    ) -> Result<Explanation, QueryError> {
        use netpol::explain::{explain_ends, End};
        if let Some(multi) = &self.multicluster {
            return multi.explain(src, dst, probe);
        }
        let src = self.target(src)?;
        let Some(fqdn) = policy::DnsMatch::from_fqdn_name(dst) else {
            return Ok(self.explain(src, self.target(dst)?, probe));
        };
        let src = match src {
            Target::Workload(i) => End::Workload(&self.cluster.workloads[i]),
            Target::Ip(ip) => End::Ip(ip),
        };
        Ok(explain_ends(&self.cluster, src, End::Fqdn(&fqdn), probe))
    }
}

/// The checks of one cluster's model: NetworkPolicy (`netpol_findings`, computed by the
/// caller), admin tiers, Ingress, mesh, address plans and KubeFed objects.
fn check_cluster(
    cluster: &Cluster,
    options: &diagnostics::AnalyzeOptions,
    netpol_findings: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut all = netpol_findings;
    all.extend(admin::checks::check(cluster));
    all.extend(netpol::ingress_controller::check(cluster));
    all.extend(netpol::staged::check(cluster));
    all.extend(mesh::analyze(cluster, options.mesh_config.as_ref()));
    all.extend(cni::plan_scenario(cluster).diagnostics);
    all.extend(multicluster::kubefed_objects(&cluster.objects));
    all
}

/// Diagnostics each once, without those `options` or the cluster's
/// `galley.istio.io/analyze-suppress` annotations suppress.
fn report(mut all: Vec<Diagnostic>, options: &diagnostics::AnalyzeOptions, cluster: &Cluster) -> diagnostics::Report {
    diagnostics::sort_and_dedup(&mut all);
    diagnostics::filter::apply(all, options, &cluster.mesh.inventory.suppressions)
}

impl multicluster::MultiScenario {
    /// The multi-cluster checks (NP50xx) plus every member's own analysis (as
    /// [`Scenario::analyze`] gives it for the member alone), each diagnostic once.
    pub fn analyze(&self) -> Vec<Diagnostic> {
        let options = diagnostics::AnalyzeOptions::default();
        let mut all = self.diagnostics.clone();
        for m in &self.clusters {
            let findings = check_cluster(&m.cluster, &options, netpol::checks::check(&m.cluster));
            all.extend(report(findings, &options, &m.cluster).diagnostics);
        }
        all.extend(multicluster::check(self));
        diagnostics::sort_and_dedup(&mut all);
        all
    }
}

/// Parses a probe like `8080`, `8080/TCP`, `TCP 8080`, `udp/53`.
pub fn parse_probe(s: &str) -> Result<(Protocol, u16), QueryError> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['/', ' ', ':']).filter(|p| !p.is_empty()).collect();
    let (proto, port) = match parts.as_slice() {
        [p] => ("TCP", *p),
        [a, b] if a.parse::<u32>().is_ok() => (*b, *a),
        [a, b] => (*a, *b),
        _ => return Err(QueryError::UnreadablePort { text: s.to_string() }),
    };
    let protocol = Protocol::parse(&proto.to_ascii_uppercase()).ok_or_else(|| QueryError::UnknownProtocol {
        protocol: proto.to_string(),
    })?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| QueryError::InvalidPort { port: port.to_string() })?;
    Ok((protocol, port))
}
