//! `netplay`: the command-line front end over netplay-core. It reads files, calls core
//! and prints; every analysis is core's.

mod analyze;
mod cluster;
mod cluster_diff;
mod convert;
mod dump;
mod exits;
mod flows_cmd;
mod input;
mod kube_apply;
mod lesson_cmd;
mod live;
mod multicluster;
mod plan;
mod probe;
mod reach;
mod render;
mod serve;
mod test_cmd;
mod verbose;
mod wire;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use netplay_core::ask::{parse_port, Verdict};
use netplay_core::output::{self, Format};
use netplay_core::{load, Diagnostic, Focus, Scenario};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `0.1.0 (commit 0123456789ab, 2026-12-06)`: the commit and its date (build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("NETPLAY_VERSION_STAMP"), ")");

#[derive(Parser)]
#[command(
    name = "netplay",
    version = VERSION,
    about = "Kubernetes networking playground: who can reach whom, and why"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The namespace of objects read from files that name none (Helm's and kustomize's
    /// output), as kubectl's `-n`; objects that name one keep it (`default` without it).
    /// For `apply`, also the ApplySet parent's namespace.
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// How much to tell (`-v` alone is 1): with a cluster, kubectl's levels (1 what was
    /// read, 6 each request, 7 its headers, 8 the response headers; never credentials or
    /// bodies); `netplay test` lists the assertions that pass. The level follows an `=`
    /// (`-v=6`, `--v=6`), so `-v` never takes the next argument as its level.
    #[arg(short = 'v', long = "verbose", visible_alias = "v", global = true, value_name = "LEVEL",
          default_value_t = 0, num_args = 0..=1, require_equals = true, default_missing_value = "1",
          value_parser = clap::value_parser!(u8).range(0..=9))]
    verbose: u8,
    /// How long one request to a cluster may take, e.g. `30s` (as kubectl's; `0`: no limit).
    #[arg(long, global = true, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    request_timeout: std::time::Duration,
    /// Whose order of evaluation to use where Calico's and Cilium's differ: Calico puts
    /// Kubernetes NetworkPolicies in its default tier at order 1000, Cilium keeps them a
    /// tier of their own (docs/semantics.md, "The order of evaluation"). Default: the CNI
    /// the input's policy kinds imply.
    #[arg(long, global = true, value_enum)]
    cni: Option<CniChoice>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CniChoice {
    Calico,
    Cilium,
}

/// `--cni`, for every scenario this run reads.
static CNI: std::sync::OnceLock<netplay_core::read::calico::Cni> = std::sync::OnceLock::new();

/// Applies `--cni` to a scenario just read.
fn with_cni(mut scenario: Scenario) -> Scenario {
    if let Some(&cni) = CNI.get() {
        scenario.use_cni(cni);
    }
    scenario
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Txt,
    Json,
    Csv,
    Md,
    Dot,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Txt,
    Json,
}

impl From<ListFormat> for Format {
    fn from(f: ListFormat) -> Self {
        match f {
            ListFormat::Txt => Format::Txt,
            ListFormat::Json => Format::Json,
            ListFormat::Csv => Format::Csv,
            ListFormat::Md => Format::Md,
            ListFormat::Dot => Format::Dot,
        }
    }
}

/// `-o/--output FORMAT` (also spelled `--format`), as kubectl spells it: one definition
/// for every subcommand that prints a report.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Output<F: clap::ValueEnum + Clone + Send + Sync + 'static> {
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        value_enum,
        default_value = "txt"
    )]
    pub format: F,
}

#[derive(Subcommand)]
enum Command {
    /// List the allowed connections between workloads and external addresses.
    Connlist {
        /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
        /// `-` for stdin.
        #[arg(required_unless_present_any = INPUT_FLAGS)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        #[command(flatten)]
        live: LiveArgs,
        #[command(flatten)]
        output: crate::Output<ListFormat>,
        /// Only connections from or to this workload (`ns/name[Kind]`, `ns/name` or
        /// `name`); repeatable: from or to any of them.
        #[arg(long, value_name = "WORKLOAD")]
        focus_workload: Vec<String>,
        /// Only connections from or to workloads of this namespace.
        #[arg(long, value_name = "NAMESPACE", conflicts_with = "focus_workload")]
        focus_namespace: Option<String>,
        /// Also list what pods that are not in the input could reach from each workload,
        /// or reach it from, by the namespaces and labels the policies name
        /// (`{any pod in namespaces with team=pay}`, `{any namespace}`).
        #[arg(long)]
        exposure: bool,
    },
    /// Explain why a connection is allowed or denied: which policies, rules and peers.
    Explain {
        /// Source: a workload (`ns/name[Kind]`, `ns/name`, `name`) or an IP address.
        #[arg(long)]
        src: String,
        /// Destination: a workload, an IP address, or a Service (`ns/name`, `svc/name`,
        /// `name.ns`, `name.ns.svc.cluster.local`), which is explained for each endpoint
        /// after translating its port to the endpoint's target port.
        #[arg(long)]
        dst: String,
        /// One port to decide: a number (`8080/TCP`, `UDP 53`, `443`) or a port name
        /// (`http`: the Service's port, or the destination's container port, of that name).
        #[arg(long)]
        port: Option<String>,
        /// Exit 1 unless the verdict is this one (as `kubectl auth can-i` answers with its
        /// exit code); for a Service, every endpoint must agree.
        #[arg(long, value_enum, value_name = "VERDICT")]
        expect: Option<Expect>,
        #[command(flatten)]
        output: crate::Output<ReportFormat>,
        /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
        /// `-` for stdin.
        #[arg(required_unless_present_any = INPUT_FLAGS)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Compare the connections of two inputs (`diff OLD NEW`); of a live cluster before and
    /// after applying an input (`diff NEW --context C`); or, with `--server-side`, the
    /// objects of an input with the cluster's as `kubectl diff --server-side` does (a
    /// server-side dry run, managedFields left out, Secret data masked). Exit 1 when they
    /// differ.
    Diff {
        /// `OLD NEW` (one path each), or `OLD... -- NEW...` (several each); with a
        /// cluster, the input to apply over it. Files, directories or bundles.
        #[arg(value_name = "PATHS")]
        paths: Vec<PathBuf>,
        /// The new side's paths, after `--`.
        #[arg(last = true, value_name = "NEW")]
        after: Vec<PathBuf>,
        /// The old side's paths (instead of positional ones).
        #[arg(long, num_args = 1.., value_name = "PATH", conflicts_with = "after")]
        old: Vec<PathBuf>,
        /// The new side's paths (instead of positional ones).
        #[arg(long, num_args = 1.., value_name = "PATH", requires = "old")]
        new: Vec<PathBuf>,
        #[command(flatten)]
        output: crate::Output<ListFormat>,
        /// Compare the input's objects with the cluster's by a server-side dry run.
        #[arg(long, conflicts_with_all = ["new", "after"])]
        server_side: bool,
        /// Compare even when a side has errors (a broken document or an invalid policy
        /// is left out of that side); without it such a diff exits 2.
        #[arg(long)]
        allow_errors: bool,
        /// Also compare the exposure (`connlist --exposure`): what pods not in the input
        /// could reach or be reached from, on each side.
        #[arg(long, conflicts_with = "server_side")]
        exposure: bool,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Write what netplay reads from a live cluster to a new directory, a snapshot that
    /// every command reads offline as it read the cluster (`netplay connlist DIR`).
    Dump {
        #[command(flatten)]
        cluster: ClusterArgs,
        /// The directory to write (new or empty).
        #[arg(long, value_name = "DIR", required_unless_present = "output")]
        out: Option<PathBuf>,
        /// Output format: `yaml`, one file per kind (a directory here, as an older
        /// spelling of --out, is still read, with a note).
        #[arg(long = "output", short = 'o', visible_alias = "format", value_name = "FORMAT")]
        output: Option<String>,
    },
    /// Apply a bundle or directory to a cluster as `kubectl apply --server-side` does, in
    /// install order (namespaces and CRDs, network policies, the rest, custom resources);
    /// exit 1 when any object failed (after trying every one).
    Apply {
        /// A bundle (`netplay bundle`, the web export) or files and directories.
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Output format (what is printed: one line per object).
        #[arg(
            long = "output",
            short = 'o',
            visible_alias = "format",
            value_enum,
            default_value = "txt"
        )]
        format: TextOnly,
        /// `server`: the server checks and merges everything but changes nothing.
        #[arg(long, value_enum)]
        dry_run: Option<DryRun>,
        /// Take over fields that another field manager owns (a 409 conflict otherwise).
        #[arg(long)]
        force_conflicts: bool,
        /// Delete the objects of the ApplySet that the input no longer has (never
        /// Namespaces or CRDs); needs --applyset.
        #[arg(long, requires = "applyset")]
        prune: bool,
        /// The ApplySet's parent Secret (in -n's namespace), as kubectl's `--applyset=NAME`.
        #[arg(long)]
        applyset: Option<String>,
        /// Apply even to a context whose name contains `prod`.
        #[arg(long)]
        yes: bool,
        /// How long to wait for the bundle's CRDs to become Established, e.g. `30s`, `500ms`.
        #[arg(long, default_value = "60s", value_parser = parse_duration)]
        crd_timeout: std::time::Duration,
    },
    /// Serve the playground (the web app) on this machine, e.g. for a workshop offline.
    Serve {
        /// The TCP port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on (`0.0.0.0`: every interface).
        #[arg(long, default_value = "127.0.0.1")]
        address: String,
        /// Output format (what is printed: the address served).
        #[arg(
            long = "output",
            short = 'o',
            visible_alias = "format",
            value_enum,
            default_value = "txt"
        )]
        format: TextOnly,
        /// Serve this directory (a Trunk build) instead of the app embedded at build time.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Rewrite v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy as v1alpha2
    /// ClusterNetworkPolicy (the whole input, as YAML on stdout) and check that the
    /// connections are the same before and after; exit 1 when they are not.
    Convert {
        /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
        /// `-` for stdin.
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        /// Output format (the rewritten input).
        #[arg(
            long = "output",
            short = 'o',
            visible_alias = "format",
            value_enum,
            default_value = "yaml"
        )]
        format: YamlOnly,
    },
    /// Check manifests for mistakes (NetworkPolicy, mesh as istioctl analyze, CNI); exit 1
    /// when a diagnostic reaches the failure threshold (default: an error).
    Analyze(analyze::AnalyzeArgs),
    /// Write the files as a bundle: a zip with `bundle.json` (a sha256 for each file) that
    /// unpacks for `kubectl apply -R -f`.
    Bundle {
        /// Files or directories; inside the bundle, a directory's files keep their path
        /// below it, a file given by name keeps its name.
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        /// The zip to write.
        #[arg(long, value_name = "FILE", required_unless_present = "output")]
        out: Option<PathBuf>,
        /// Output format: `zip` (a file name here, as an older spelling of --out, is
        /// still read, with a note).
        #[arg(long = "output", short = 'o', visible_alias = "format", value_name = "FORMAT")]
        output: Option<String>,
        /// The scenario's name in bundle.json (default: the last component of the first path).
        #[arg(long)]
        name: Option<String>,
        /// Keep Secrets: by default each Secret document is left out (and named on stderr),
        /// because bundles get shared.
        #[arg(long)]
        include_secrets: bool,
    },
    /// Check that the cluster enforces what netplay predicts: run connection-tester Jobs
    /// (one per source workload, with its labels) against every Service port and print
    /// expected vs. actual; exit 1 on a mismatch.
    Probe {
        /// A bundle or files and directories.
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Output format (expected vs. actual, one line per connection).
        #[arg(
            long = "output",
            short = 'o',
            visible_alias = "format",
            value_enum,
            default_value = "txt"
        )]
        format: TextOnly,
        /// Write the Job manifests to this file (`-`: stdout) instead of running them.
        #[arg(long)]
        emit: Option<PathBuf>,
        /// Run even in a context whose name contains `prod`.
        #[arg(long)]
        yes: bool,
        /// How long to wait for the Jobs to finish.
        #[arg(long, default_value = "120s", value_parser = parse_duration)]
        timeout: std::time::Duration,
    },
    /// Multi-cluster service discovery (MCS API, Istio multi-primary, Cilium ClusterMesh).
    Multicluster {
        #[command(subcommand)]
        command: multicluster::MulticlusterCommand,
    },
    /// Compute address plans (pods per node, maximum nodes, addresses wasted, pod MTU),
    /// check them and the CNI configuration against them; `--emit` writes the generated
    /// CNI configuration. Exits 1 when a diagnostic is an error.
    Plan(plan::PlanArgs),
    /// Run the assertions (`kind: Assertions`, docs/assertions.md) found among the inputs;
    /// print each failure with its explanation and `N passed, N failed`. Exit 1 on a
    /// failure, 2 on unreadable input.
    Test(test_cmd::TestArgs),
    /// Lessons that grade themselves (docs/lessons.md): list the built-in ones, check a
    /// lesson, or grade a learner's files.
    Lesson {
        #[command(subcommand)]
        command: lesson_cmd::LessonCommand,
    },
    /// Observed traffic (Hubble, Calico, Inspektor Gadget, CSV) against the manifests:
    /// replay it through their policies, or compare them (docs/flows.md).
    Flows {
        #[command(subcommand)]
        command: flows_cmd::FlowsCommand,
    },
    /// Simulate requests through the service mesh (Istio, Gateway API).
    Mesh {
        #[command(subcommand)]
        command: MeshCommand,
    },
    /// Print a shell completion script (docs/cli.md says where each shell wants it).
    Completion {
        /// The shell to complete in: bash, zsh, fish, powershell (or elvish).
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command with `--dir`.
    Man(reach::ManArgs),
}

#[derive(Subcommand)]
enum MeshCommand {
    /// Simulate one request step by step: routing, DestinationRules, mTLS,
    /// AuthorizationPolicies and NetworkPolicies. Exits 0 whatever the status.
    Request {
        /// Who sends it: a workload (`ns/name[Kind]`, `ns/name` or `name`), `external`
        /// (entering through a gateway) or `mesh:NAMESPACE` (any sidecar of a namespace).
        #[arg(long)]
        from: String,
        /// `http://host[:port]/path?query`, `https://...` (gateway ingress) or `tcp://host:port`.
        url: String,
        /// The HTTP method.
        #[arg(short = 'X', long = "request", default_value = "GET")]
        method: String,
        /// A request header, `'name: value'`; repeatable. `Host` overrides the URL's host.
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
        /// `-` for stdin.
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        #[command(flatten)]
        output: crate::Output<ReportFormat>,
    },
    /// How the requests for a host are split among workloads and subsets, for sample
    /// requests derived from its VirtualService matches.
    Split {
        /// An FQDN (`reviews.bookinfo.svc.cluster.local`), `name.namespace`, a unique
        /// Service name, or a ServiceEntry host.
        host: String,
        /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
        /// `-` for stdin.
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: Filenames,
        /// Who sends the samples (default: any sidecar of the host's namespace).
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        output: crate::Output<ReportFormat>,
    },
}

/// Which cluster: kubectl's flags.
#[derive(clap::Args)]
struct ClusterArgs {
    /// The kubeconfig file (default: `KUBECONFIG`, else `~/.kube/config`).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current context).
    #[arg(long)]
    context: Option<String>,
}

/// Reading a live cluster instead of files.
#[derive(clap::Args)]
struct LiveArgs {
    /// Read the live cluster of the current context (implied by --context and --kubeconfig).
    #[arg(long, visible_alias = "cluster")]
    live: bool,
    #[command(flatten)]
    cluster: ClusterArgs,
}

/// The flags that give a command its input instead of PATHS: `-f` or a live cluster.
const INPUT_FLAGS: [&str; 4] = ["filename", "live", "context", "kubeconfig"];

/// Inputs named as kubectl names them.
#[derive(clap::Args)]
pub struct Filenames {
    /// An input as kubectl's `-f` takes it (a file, a directory, a bundle or `-`);
    /// repeatable, read after PATHS.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filename: Vec<PathBuf>,
}

impl Filenames {
    /// PATHS followed by the `-f` paths.
    pub fn after(self, mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
        paths.extend(self.filename);
        paths
    }
}

/// `explain --expect`.
#[derive(Clone, Copy, ValueEnum)]
enum Expect {
    Allowed,
    Denied,
}

/// The format of a command that only prints text.
#[derive(Clone, Copy, ValueEnum)]
enum TextOnly {
    Txt,
}

/// The format of a command that only prints YAML.
#[derive(Clone, Copy, ValueEnum)]
enum YamlOnly {
    Yaml,
}

impl LiveArgs {
    fn is_set(&self) -> bool {
        self.live || self.cluster.context.is_some() || self.cluster.kubeconfig.is_some()
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DryRun {
    Server,
}

/// `500ms`, `30s`, `2m` or a number of seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 500ms, 30s or 2m"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("{s:?}: the unit is ms, s or m")),
    };
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("{s:?}: {e}"))
}

/// Exit code when no input could be read.
const NO_INPUT: u8 = 2;

/// The command line as clap knows it, named `kubectl netplay` when run as the plugin.
fn cli_command(plugin: bool) -> clap::Command {
    let cmd = exits::annotate(Cli::command());
    if plugin {
        cmd.name(reach::PLUGIN_NAME).bin_name("kubectl netplay")
    } else {
        cmd
    }
}

fn main() -> ExitCode {
    let plugin = reach::invoked_as_plugin(std::env::args_os().next().as_deref());
    let matches = cli_command(plugin).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    input::set_default_namespace(cli.namespace.clone());
    verbose::set_level(cli.verbose);
    cluster::set_request_timeout(cli.request_timeout);
    if let Some(cni) = cli.cni {
        let _ = CNI.set(match cni {
            CniChoice::Calico => netplay_core::read::calico::Cni::Calico,
            CniChoice::Cilium => netplay_core::read::calico::Cni::Cilium,
        });
    }
    match run(cli, plugin) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("netplay: {}", verbose::redact(&msg));
            ExitCode::from(NO_INPUT)
        }
    }
}

/// Reads paths into a scenario; `Err` when nothing could be read.
fn load_paths(paths: &[PathBuf]) -> Result<(Vec<netplay_core::SourceFile>, Scenario), String> {
    let input = input::read_paths(paths);
    for p in &input.problems {
        eprintln!("netplay: {p}");
    }
    if input.files.is_empty() {
        return Err("no input could be read".to_string());
    }
    let scenario = with_cni(load(&input.files));
    // Kinds that decide traffic but are not evaluated: the results may be wrong.
    for w in scenario.warnings() {
        eprintln!("netplay: warning: {w}");
    }
    Ok((input.files, scenario))
}

/// Reads the paths or, with `--context`, `--kubeconfig` or `--live`, the live cluster.
fn load_input(paths: &[PathBuf], live: &LiveArgs) -> Result<(Vec<netplay_core::SourceFile>, Scenario), String> {
    if !live.is_set() {
        return load_paths(paths);
    }
    if !paths.is_empty() {
        return Err("give files or a cluster (--context, --kubeconfig, --live), not both; \
                    `netplay diff PATH --context C` shows what PATH would change in the cluster"
            .to_string());
    }
    let files = live::read(live.cluster.kubeconfig.as_deref(), live.cluster.context.as_deref())?.files_reported();
    let scenario = with_cni(load(&files));
    for w in scenario.warnings() {
        eprintln!("netplay: warning: {w}");
    }
    Ok((files, scenario))
}

/// `Err` (exit 2) when the input held no Kubernetes object at all: every document broken,
/// empty input, a file that is not text. The reasons were printed with the diagnostics.
fn require_objects(scenario: &Scenario, what: &str) -> Result<(), String> {
    if scenario.is_empty() {
        return Err(format!(
            "no Kubernetes object could be read from {what} (see the messages above)"
        ));
    }
    Ok(())
}

fn describe_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "the cluster".to_string();
    }
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// Diagnostics of reading go to stderr as one line each, so that results on stdout stay
/// machine-readable; `netplay analyze` shows them in full.
fn report_load_diagnostics(diags: &[Diagnostic]) {
    let shown: Vec<&Diagnostic> = diags.iter().filter(|d| d.shown_with_results()).collect();
    let mut err = std::io::stderr().lock();
    for d in &shown {
        let _ = writeln!(err, "{d}");
    }
}

fn print(out: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

fn run(cli: Cli, plugin: bool) -> Result<u8, String> {
    let namespace = cli.namespace;
    match cli.command {
        Command::Connlist {
            paths,
            filenames,
            live,
            output: Output { format },
            focus_workload,
            focus_namespace,
            exposure,
        } => {
            let paths = filenames.after(paths);
            let (_, scenario) = load_input(&paths, &live)?;
            report_load_diagnostics(&scenario.diagnostics);
            require_objects(&scenario, &describe_paths(&paths))?;
            if scenario.multicluster.is_some() {
                // Several clusters: core lists each cluster's connections and those between
                // them as a whole (docs/semantics.md, "Several clusters").
                let lines = match (focus_workload.is_empty(), focus_namespace) {
                    (false, _) => {
                        let mut lines = Vec::new();
                        for w in &focus_workload {
                            lines.extend(scenario.connlist_focused(w)?);
                        }
                        lines.sort_unstable();
                        lines.dedup();
                        lines
                    }
                    (true, Some(_)) => {
                        return Err("--focus-namespace is not available with several clusters; use --focus-workload CLUSTER/NAMESPACE/NAME".to_string())
                    }
                    (true, None) => scenario.connlist(),
                };
                print(&output::render_connlist(&lines, format.into()));
                return Ok(0);
            }
            let focus = match (focus_workload.is_empty(), focus_namespace) {
                (false, _) => Focus::Workloads(focus_workload),
                (true, Some(ns)) => Focus::Namespace(ns),
                (true, None) => Focus::All,
            };
            if exposure {
                let lines = scenario.connlist_rows(&focus)?.lines();
                let exposures = scenario.exposure_focused(&focus)?;
                print(&netplay_core::netpol::exposure::render_with_connlist(
                    &lines,
                    &exposures,
                    format.into(),
                ));
                return Ok(0);
            }
            // Written as it is computed: a large list never sits in memory whole.
            let mut rows = scenario.connlist_rows(&focus)?;
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let written = output::write_connlist(&mut rows, format.into(), &mut stdout).and_then(|()| stdout.flush());
            match written {
                // A closed pipe (`| head`) is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the list: {e}")),
                _ => Ok(0),
            }
        }
        Command::Explain {
            src,
            dst,
            port,
            expect,
            output: Output { format },
            paths,
            filenames,
            live,
        } => {
            // A port that cannot be read fails before the input is read.
            port.as_deref().map(parse_port).transpose()?;
            let paths = filenames.after(paths);
            let (_, scenario) = load_input(&paths, &live)?;
            report_load_diagnostics(&scenario.diagnostics);
            require_objects(&scenario, &describe_paths(&paths))?;
            let answer = scenario.ask(&src, &dst, port.as_deref())?;
            match (format, answer.explanations.as_slice()) {
                (ReportFormat::Txt, _) => print(&answer.to_text()),
                // A workload or an address: the explanation itself, as before Services.
                (ReportFormat::Json, [one]) if answer.service.is_none() => print(&pretty_json(one)),
                (ReportFormat::Json, _) => print(&pretty_json(&answer)),
            }
            Ok(explain_exit(expect, answer.verdict))
        }
        Command::Diff {
            paths,
            after,
            old,
            new,
            output: Output { format },
            server_side,
            allow_errors,
            exposure,
            live,
        } => {
            let sides = diff_sides(paths, after, old, new)?;
            let (kubeconfig, context) = (live.cluster.kubeconfig.as_deref(), live.cluster.context.as_deref());
            let (old, new) = match sides {
                DiffSides::One(input) if server_side => return cluster_diff::run(&input, kubeconfig, context),
                DiffSides::One(input) if live.is_set() => {
                    return cluster_diff::connections(&input, kubeconfig, context, format.into())
                }
                DiffSides::One(_) => return Err(cluster_diff::NEEDS_NEW.to_string()),
                DiffSides::Two(..) if server_side || live.is_set() => {
                    return Err("with a cluster, diff takes one input: `netplay diff NEW --context C`".to_string())
                }
                DiffSides::Two(old, new) => (old, new),
            };
            let (_, a) = load_paths(&old)?;
            report_load_diagnostics(&a.diagnostics);
            let (_, b) = load_paths(&new)?;
            report_load_diagnostics(&b.diagnostics);
            for (side, paths) in [(&a, &old), (&b, &new)] {
                require_objects(side, &describe_paths(paths))?;
                if !allow_errors && netplay_core::diagnostics::has_errors(&side.diagnostics) {
                    return Err(format!(
                        "{} has errors (above): what was left out would show as a difference; fix them, or pass --allow-errors to compare anyway",
                        describe_paths(paths)
                    ));
                }
            }
            let entries = a.diff(&b);
            if exposure {
                let exposed = a.exposure_diff(&b);
                print(&netplay_core::netpol::exposure::render_diff_with_exposure(
                    &entries,
                    &exposed,
                    format.into(),
                ));
                return Ok(u8::from(!entries.is_empty() || !exposed.is_empty()));
            }
            print(&output::render_diff(&entries, format.into()));
            Ok(u8::from(!entries.is_empty()))
        }
        Command::Serve {
            port,
            address,
            dir,
            format: TextOnly::Txt,
        } => {
            let source = serve::source(dir)?;
            serve::serve(&address, port, source)?;
            Ok(0)
        }
        Command::Dump { cluster, out, output } => {
            let dir = destination("dump", out, output, "yaml", "--out DIR")?;
            dump::run(cluster.kubeconfig.as_deref(), cluster.context.as_deref(), &dir)
        }
        Command::Convert {
            paths,
            filenames,
            format: YamlOnly::Yaml,
        } => {
            let paths = filenames.after(paths);
            let (files, scenario) = load_paths(&paths)?;
            report_load_diagnostics(&scenario.diagnostics);
            require_objects(&scenario, &describe_paths(&paths))?;
            Ok(convert::run(&files))
        }
        Command::Analyze(args) => analyze::run(args),
        Command::Bundle {
            paths,
            filenames,
            out,
            output,
            name,
            include_secrets,
        } => {
            let file = destination("bundle", out, output, "zip", "--out FILE")?;
            write_bundle(&filenames.after(paths), &file, name, include_secrets)
        }
        Command::Apply {
            paths,
            filenames,
            format: TextOnly::Txt,
            cluster,
            dry_run,
            force_conflicts,
            prune,
            applyset,
            yes,
            crd_timeout,
        } => kube_apply::run(kube_apply::ApplyArgs {
            paths: filenames.after(paths),
            kubeconfig: cluster.kubeconfig,
            context: cluster.context,
            namespace,
            dry_run: dry_run.is_some(),
            force_conflicts,
            prune,
            applyset,
            yes,
            crd_timeout,
        }),
        Command::Probe {
            paths,
            filenames,
            format: TextOnly::Txt,
            cluster,
            emit,
            yes,
            timeout,
        } => probe::run(probe::ProbeArgs {
            paths: filenames.after(paths),
            kubeconfig: cluster.kubeconfig,
            context: cluster.context,
            emit,
            yes,
            timeout,
        }),
        Command::Mesh { command } => run_mesh(command),
        Command::Completion { shell } => {
            reach::completion(cli_command(plugin), shell);
            Ok(0)
        }
        Command::Man(args) => reach::man(cli_command(plugin), args),
        Command::Flows { command } => flows_cmd::run(command),
        Command::Plan(args) => plan::run(args),
        Command::Test(args) => test_cmd::run(args),
        Command::Lesson { command } => lesson_cmd::run(command),
        Command::Multicluster { command } => {
            let (out, code) = multicluster::run(command, |paths| {
                let (_, scenario) = load_paths(paths)?;
                report_load_diagnostics(&scenario.diagnostics);
                Ok(scenario)
            })?;
            print(&out);
            Ok(code)
        }
    }
}

/// `netplay mesh ...`: exit 0 when the request could be simulated, whatever its status;
/// 2 for unreadable input, an unknown source or an unreadable request.
fn run_mesh(command: MeshCommand) -> Result<u8, String> {
    use netplay_core::mesh;
    match command {
        MeshCommand::Request {
            from,
            url,
            method,
            headers,
            paths,
            filenames,
            output: Output { format },
        } => {
            let paths = filenames.after(paths);
            let mut request = mesh::Request::new(&from, &url).with_method(&method);
            for h in &headers {
                let (k, v) = mesh::Request::parse_header(h)?;
                request = request.with_header(&k, &v);
            }
            let (_, scenario) = load_paths(&paths)?;
            report_load_diagnostics(&scenario.diagnostics);
            let outcome = scenario.mesh_request(&request)?;
            match format {
                ReportFormat::Txt => print(&outcome.to_text()),
                ReportFormat::Json => print(&pretty_json(&outcome)),
            }
            Ok(0)
        }
        MeshCommand::Split {
            host,
            paths,
            filenames,
            from,
            output: Output { format },
        } => {
            let paths = filenames.after(paths);
            let (_, scenario) = load_paths(&paths)?;
            report_load_diagnostics(&scenario.diagnostics);
            let split = scenario.mesh_split(&host, from.as_deref())?;
            match format {
                ReportFormat::Txt => print(&split.to_text()),
                ReportFormat::Json => print(&pretty_json(&split)),
            }
            Ok(0)
        }
    }
}

/// `explain`'s exit code: 1 when `--expect` names another verdict than the answer's.
fn explain_exit(expect: Option<Expect>, verdict: Verdict) -> u8 {
    let expected = match expect {
        None => return 0,
        Some(Expect::Allowed) => Verdict::Allowed,
        Some(Expect::Denied) => Verdict::Denied,
    };
    if verdict == expected {
        return 0;
    }
    let word = |v: Verdict| match v {
        Verdict::Allowed => "allowed",
        Verdict::Denied => "denied",
        Verdict::Partly => "partly allowed (the endpoints disagree)",
    };
    eprintln!(
        "netplay: expected {}, but the connection is {}",
        word(expected),
        word(verdict)
    );
    1
}

/// The two sides of `diff`, or the one input of a diff against a cluster.
enum DiffSides {
    One(PathBuf),
    Two(Vec<PathBuf>, Vec<PathBuf>),
}

/// `diff OLD NEW`, `diff OLD... -- NEW...`, `diff --old A B --new C D`, or `diff INPUT`
/// (with a cluster).
fn diff_sides(
    paths: Vec<PathBuf>,
    after: Vec<PathBuf>,
    old: Vec<PathBuf>,
    new: Vec<PathBuf>,
) -> Result<DiffSides, String> {
    const USAGE: &str =
        "write `netplay diff OLD NEW`, `netplay diff OLD... -- NEW...` or `netplay diff --old PATH... --new PATH...`";
    if !old.is_empty() {
        if !paths.is_empty() {
            return Err(format!("give the paths either with --old/--new or without: {USAGE}"));
        }
        if new.is_empty() {
            return Err(format!("--old needs --new: {USAGE}"));
        }
        return Ok(DiffSides::Two(old, new));
    }
    if !after.is_empty() {
        if paths.is_empty() {
            return Err(format!("no old paths before `--`: {USAGE}"));
        }
        return Ok(DiffSides::Two(paths, after));
    }
    let mut paths = paths.into_iter();
    match (paths.next(), paths.next(), paths.next()) {
        (Some(one), None, _) => Ok(DiffSides::One(one)),
        (Some(a), Some(b), None) => Ok(DiffSides::Two(vec![a], vec![b])),
        (None, ..) => Err(format!("no input: {USAGE}")),
        (Some(_), Some(_), Some(_)) => Err(format!("more than two paths, which side is each? {USAGE}")),
    }
}

/// Where `bundle` or `dump` writes: `--out`, or `-o PATH`, the older spelling (with a
/// note); `-o` is otherwise the format, which has one value.
fn destination(
    command: &str,
    out: Option<PathBuf>,
    output: Option<String>,
    format: &str,
    flag: &str,
) -> Result<PathBuf, String> {
    match (out, output) {
        (Some(out), None) => Ok(out),
        (Some(out), Some(f)) if f == format => Ok(out),
        (Some(_), Some(f)) => Err(format!("{command} -o: the format is {format}, not {f:?}")),
        (None, Some(path)) => {
            eprintln!("netplay: note: `{command} -o PATH` is now `{command} {flag}`; -o/--output is the format ({format}), as in kubectl");
            Ok(PathBuf::from(path))
        }
        (None, None) => Err(format!("{command} needs {flag}")),
    }
}

/// Pretty JSON with a final newline.
fn pretty_json<T: serde::Serialize>(v: &T) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

/// `netplay bundle`: reads the paths one by one so that each file can be named relative
/// to the path it was found under, then writes the zip core makes.
fn write_bundle(
    paths: &[PathBuf],
    output: &std::path::Path,
    name: Option<String>,
    include_secrets: bool,
) -> Result<u8, String> {
    let mut read = Vec::new();
    let mut named = Vec::new();
    for path in paths {
        let input = input::read_paths(std::slice::from_ref(path));
        for p in &input.problems {
            eprintln!("netplay: {p}");
        }
        for file in input.files {
            named.push(netplay_core::SourceFile::new(
                bundle_path(path, &file.name),
                file.text.clone(),
            ));
            read.push(file);
        }
    }
    if read.is_empty() {
        return Err("no input could be read".to_string());
    }
    // Problems in the manifests do not stop the bundle, but the user hears of them.
    report_load_diagnostics(&load(&read).diagnostics);
    let name = name.unwrap_or_else(|| default_scenario_name(&paths[0]));
    let (kept, withheld) = netplay_core::export::withhold(&named, include_secrets);
    for w in &withheld {
        let hint = if w.kind == "Secret" || w.kind == "List" {
            " (--include-secrets keeps Secrets in the bundle)"
        } else {
            ""
        };
        eprintln!("netplay: {}:{}: left out {}: {}{hint}", w.file, w.line, w, w.reason());
    }
    named = kept;
    if named.is_empty() {
        return Err("nothing left to bundle: every document was left out (see above)".to_string());
    }
    let zip = netplay_core::export::bundle(&name, &named).map_err(|e| format!("cannot write a bundle: {e}"))?;
    std::fs::write(output, zip).map_err(|e| format!("{}: cannot write: {e}", output.display()))?;
    let plural = if named.len() == 1 { "" } else { "s" };
    eprintln!("netplay: wrote {} file{plural} to {}", named.len(), output.display());
    Ok(0)
}

/// A file's path inside a bundle: relative to the directory argument it was found under,
/// or its file name when it was named itself; `/`-separated on every platform.
fn bundle_path(arg: &std::path::Path, file: &str) -> String {
    use std::path::{Component, Path};
    if arg.as_os_str() == "-" {
        return "stdin.yaml".to_string();
    }
    let file = Path::new(file);
    let relative = if arg.is_dir() {
        file.strip_prefix(arg).unwrap_or(file)
    } else {
        file.file_name().map_or(file, Path::new)
    };
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// The last component of a path (`manifests/basic/` → `basic`; `.` → the current
/// directory's name).
fn default_scenario_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        return "stdin".to_string();
    }
    let last = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    last(path)
        .or_else(|| std::fs::canonicalize(path).ok().as_deref().and_then(last))
        .unwrap_or_else(|| "scenario".to_string())
}

#[cfg(test)]
mod spec_tests;
