//! `netplay`: the command-line front end over netplay-core. It reads files, calls core
//! and prints; every analysis is core's.

mod analyze;
mod args;
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

use args::*;

/// mimalloc instead of the system's allocator: reading a large cluster allocates millions
/// of small strings and maps on two threads, and glibc's malloc, free and the page
/// faults of its per-thread heaps were a third of the CPU time of `connlist
/// --focus-workload` at 20,000 workloads (docs/performance.md, "Reading").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// `--cni`, for every scenario this run reads.
static CNI: std::sync::OnceLock<netplay_core::read::calico::Cni> = std::sync::OnceLock::new();

/// Applies `--cni` to a scenario just read.
fn with_cni(mut scenario: Scenario) -> Scenario {
    if let Some(&cni) = CNI.get() {
        scenario.use_cni(cni);
    }
    scenario
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
    let started = std::time::Instant::now();
    let input = input::read_paths(paths);
    let bytes: usize = input.files.iter().map(|f| f.text.len()).sum();
    verbose::phase(&format!("read {} files ({bytes} bytes)", input.files.len()), started);
    for p in &input.problems {
        eprintln!("netplay: {p}");
    }
    if input.files.is_empty() {
        return Err("no input could be read".to_string());
    }
    let started = std::time::Instant::now();
    let scenario = with_cni(load(&input.files));
    verbose::phase(
        &format!("parsed and modelled {} objects", scenario.cluster.objects.len()),
        started,
    );
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
            input,
            output: Output { format },
            focus_workload,
            focus_namespace,
            exposure,
        } => connlist(input, format, focus_workload, focus_namespace, exposure),
        Command::Explain {
            src,
            dst,
            port,
            expect,
            http,
            headers,
            output: Output { format },
            input,
        } => explain((src, dst, port), (http, headers), expect, format, input),
        Command::Diff(args) => diff(args),
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
            input,
            format: YamlOnly::Yaml,
        } => {
            let paths = input.paths();
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

/// `netplay explain`: why a connection is allowed or denied; exit 1 when `--expect`
/// says otherwise.
fn explain(
    (src, dst, port): (String, String, Option<String>),
    (http, headers): (Option<String>, Vec<String>),
    expect: Option<Expect>,
    format: ReportFormat,
    Inputs { paths, filenames, live }: Inputs,
) -> Result<u8, String> {
    // A port or a request that cannot be read fails before the input is read.
    port.as_deref().map(parse_port).transpose()?;
    let request = http
        .as_deref()
        .map(|text| netplay_core::netpol::http::parse_http_request(text, &headers))
        .transpose()?;
    let paths = filenames.after(paths);
    let (_, scenario) = load_input(&paths, &live)?;
    report_load_diagnostics(&scenario.diagnostics);
    require_objects(&scenario, &describe_paths(&paths))?;
    let answer = scenario.ask(&src, &dst, port.as_deref())?;
    if let Some(request) = request {
        return Ok(explain_http(&answer, &request, format, expect));
    }
    match (format, answer.explanations.as_slice()) {
        (ReportFormat::Txt, _) => print(&answer.to_text()),
        // A workload or an address: the explanation itself, as before Services.
        (ReportFormat::Json, [one]) if answer.service.is_none() => print(&pretty_json(one)),
        (ReportFormat::Json, _) => print(&pretty_json(&answer)),
    }
    Ok(explain_exit(expect, answer.verdict))
}

/// `netplay connlist`: the allowed connections, focused or not, with the exposure on
/// request; several clusters are listed as a whole.
fn connlist(
    Inputs { paths, filenames, live }: Inputs,
    format: ListFormat,
    focus_workload: Vec<String>,
    focus_namespace: Option<String>,
    exposure: bool,
) -> Result<u8, String> {
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
            (true, Some(_)) => return Err(
                "--focus-namespace is not available with several clusters; use --focus-workload CLUSTER/NAMESPACE/NAME"
                    .to_string(),
            ),
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
    let started = std::time::Instant::now();
    let mut rows = scenario.connlist_rows(&focus)?;
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = output::write_connlist(&mut rows, format.into(), &mut stdout).and_then(|()| stdout.flush());
    verbose::phase("computed and wrote the list", started);
    // The process ends here: the engine and the model are left to the operating system
    // instead of being freed one allocation at a time (≈ 0.15 s at 20,000 workloads).
    std::mem::forget(rows);
    std::mem::forget(scenario);
    match written {
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the list: {e}")),
        _ => Ok(0),
    }
}

/// `netplay diff`: the connections (and exposure) of two inputs, of a cluster before and
/// after an input, or its objects against the cluster's (`--server-side`).
fn diff(
    DiffArgs {
        paths,
        after,
        old,
        new,
        output: Output { format },
        server_side,
        allow_errors,
        exposure,
        live,
    }: DiffArgs,
) -> Result<u8, String> {
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
            input,
            output: Output { format },
        } => {
            let paths = input.paths();
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
            input,
            from,
            output: Output { format },
        } => {
            let paths = input.paths();
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
/// `explain --http`: the explanation, then the request checked against each explained
/// connection's layer 7 rules (one per endpoint of a Service). JSON: the answer with
/// `http`, one check per explanation. `--expect` asks about the request: an undecided
/// check meets neither verdict.
fn explain_http(
    answer: &netplay_core::ask::Answer,
    request: &netplay_core::netpol::l7::HttpRequest,
    format: ReportFormat,
    expect: Option<Expect>,
) -> u8 {
    let checks: Vec<_> = answer
        .explanations
        .iter()
        .map(|e| netplay_core::netpol::http::check_http(e, request))
        .collect();
    match format {
        ReportFormat::Txt => {
            let texts: Vec<String> = checks.iter().map(|c| c.to_text()).collect();
            print(&format!("{}\n{}", answer.to_text(), texts.join("\n")));
        }
        ReportFormat::Json => print(&pretty_json(&AnswerWithHttp { answer, http: &checks })),
    }
    let verdict = match checks.iter().map(|c| c.allowed).collect::<Vec<_>>() {
        v if v.iter().all(|a| *a == Some(true)) => Verdict::Allowed,
        v if v.iter().all(|a| *a == Some(false)) => Verdict::Denied,
        _ => Verdict::Partly,
    };
    explain_exit(expect, verdict)
}

/// `explain --http -o json`: the answer as plain `explain -o json` prints it, its fields
/// first and in the same order, with the request's checks added as `http`, so a reader of
/// the answer needs no second shape.
#[derive(serde::Serialize)]
struct AnswerWithHttp<'a> {
    #[serde(flatten)]
    answer: &'a netplay_core::ask::Answer,
    http: &'a [netplay_core::netpol::http::HttpCheck],
}

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
