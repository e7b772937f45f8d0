//! The command line as clap reads it: the subcommands, their arguments and the argument
//! blocks they share (`Output`, `Filenames`, `LiveArgs`). `main.rs` runs them.

use super::*;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CniChoice {
    Calico,
    Cilium,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ListFormat {
    Txt,
    Json,
    Csv,
    Md,
    Dot,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReportFormat {
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
pub(crate) enum Command {
    /// List the allowed connections between workloads and external addresses.
    Connlist {
        #[command(flatten)]
        input: Inputs,
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
        /// Destination: a workload, an IP address, a Service (`ns/name`, `svc/name`,
        /// `name.ns`, `name.ns.svc.cluster.local`), which is explained for each endpoint
        /// after translating its port to the endpoint's target port, or an FQDN
        /// destination of Cilium `toFQDNs` as connlist names it (`fqdn:api.github.com`).
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
        /// Also check one HTTP request on `--port` against the layer 7 rules (Cilium
        /// `toPorts[].rules.http`) of both sides: `'METHOD /path'`, e.g. `'GET /api/v1/items'`.
        /// `--expect` then asks about the request; `-o json` adds the checks to the answer as
        /// `http`, one per explained connection.
        #[arg(long, value_name = "REQUEST", requires = "port")]
        http: Option<String>,
        /// A header of the `--http` request, `'name: value'`; repeatable (as `mesh request -H`).
        #[arg(short = 'H', long = "header", value_name = "HEADER", requires = "http")]
        headers: Vec<String>,
        #[command(flatten)]
        output: crate::Output<ReportFormat>,
        #[command(flatten)]
        input: Inputs,
    },
    /// Compare the connections of two inputs (`diff OLD NEW`); of a live cluster before and
    /// after applying an input (`diff NEW --context C`); or, with `--server-side`, the
    /// objects of an input with the cluster's as `kubectl diff --server-side` does (a
    /// server-side dry run, managedFields left out, Secret data masked). Exit 1 when they
    /// differ.
    Diff(DiffArgs),
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
        #[command(flatten)]
        input: FileInputs,
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
pub(crate) enum MeshCommand {
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
        #[command(flatten)]
        input: FileInputs,
        #[command(flatten)]
        output: crate::Output<ReportFormat>,
    },
    /// How the requests for a host are split among workloads and subsets, for sample
    /// requests derived from its VirtualService matches.
    Split {
        /// An FQDN (`reviews.bookinfo.svc.cluster.local`), `name.namespace`, a unique
        /// Service name, or a ServiceEntry host.
        host: String,
        #[command(flatten)]
        input: FileInputs,
        /// Who sends the samples (default: any sidecar of the host's namespace).
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        output: crate::Output<ReportFormat>,
    },
}

// `netplay diff`'s arguments (no doc comment: the variant's is the command's about).
#[derive(clap::Args)]
pub(crate) struct DiffArgs {
    /// `OLD NEW` (one path each), or `OLD... -- NEW...` (several each); with a
    /// cluster, the input to apply over it. Files, directories or bundles.
    #[arg(value_name = "PATHS")]
    pub(crate) paths: Vec<PathBuf>,
    /// The new side's paths, after `--`.
    #[arg(last = true, value_name = "NEW")]
    pub(crate) after: Vec<PathBuf>,
    /// The old side's paths (instead of positional ones).
    #[arg(long, num_args = 1.., value_name = "PATH", conflicts_with = "after")]
    pub(crate) old: Vec<PathBuf>,
    /// The new side's paths (instead of positional ones).
    #[arg(long, num_args = 1.., value_name = "PATH", requires = "old")]
    pub(crate) new: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: crate::Output<ListFormat>,
    /// Compare the input's objects with the cluster's by a server-side dry run.
    #[arg(long, conflicts_with_all = ["new", "after"])]
    pub(crate) server_side: bool,
    /// Compare even when a side has errors (a broken document or an invalid policy
    /// is left out of that side); without it such a diff exits 2.
    #[arg(long)]
    pub(crate) allow_errors: bool,
    /// Also compare the exposure (`connlist --exposure`): what pods not in the input
    /// could reach or be reached from, on each side.
    #[arg(long, conflicts_with = "server_side")]
    pub(crate) exposure: bool,
    #[command(flatten)]
    pub(crate) live: LiveArgs,
}

/// Which cluster: kubectl's flags.
#[derive(clap::Args)]
pub(crate) struct ClusterArgs {
    /// The kubeconfig file (default: `KUBECONFIG`, else `~/.kube/config`).
    #[arg(long)]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current context).
    #[arg(long)]
    pub(crate) context: Option<String>,
}

/// Reading a live cluster instead of files.
#[derive(clap::Args)]
pub(crate) struct LiveArgs {
    /// Read the live cluster of the current context (implied by --context and --kubeconfig).
    #[arg(long, visible_alias = "cluster")]
    pub(crate) live: bool,
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
}

/// The input of a command that reads files or a live cluster: PATHS, `-f` or the live
/// cluster's flags.
#[derive(clap::Args)]
pub(crate) struct Inputs {
    /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
    /// `-` for stdin.
    #[arg(required_unless_present_any = INPUT_FLAGS)]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) filenames: Filenames,
    #[command(flatten)]
    pub(crate) live: LiveArgs,
}

/// The input of a command that reads files only: PATHS and `-f`.
#[derive(clap::Args)]
pub(crate) struct FileInputs {
    /// Files or directories (read recursively: .yaml, .yml, .json), bundles (.zip);
    /// `-` for stdin.
    #[arg(required_unless_present = "filename")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) filenames: Filenames,
}

impl FileInputs {
    /// PATHS followed by the `-f` paths.
    pub(crate) fn paths(self) -> Vec<PathBuf> {
        self.filenames.after(self.paths)
    }
}

/// The flags that give a command its input instead of PATHS: `-f` or a live cluster.
pub(crate) const INPUT_FLAGS: [&str; 4] = ["filename", "live", "context", "kubeconfig"];

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
pub(crate) enum Expect {
    Allowed,
    Denied,
}

/// The format of a command that only prints text.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TextOnly {
    Txt,
}

/// The format of a command that only prints YAML.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum YamlOnly {
    Yaml,
}

impl LiveArgs {
    pub(crate) fn is_set(&self) -> bool {
        self.live || self.cluster.context.is_some() || self.cluster.kubeconfig.is_some()
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DryRun {
    Server,
}

/// `500ms`, `30s`, `2m` or a number of seconds.
pub(crate) fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
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
