//! `netplay flows replay|diff|policy`: observed traffic against the manifests
//! (docs/flows.md). Flow files are read here line by line into core's `FlowReader`, so a
//! file of millions of records never sits in memory; everything else is core's.

use clap::Subcommand;
use netplay_core::flows::{self, FlowReader, Observed, MAX_RECORD_BYTES};
use netplay_core::Scenario;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct FlowInput {
    /// A flow file: `hubble observe -o json`, Calico flow logs (JSON lines), Inspektor
    /// Gadget's `trace network -o json`, or CSV `src,dst,port,protocol[,count]`; `-` for
    /// stdin. Repeatable.
    #[arg(long = "flows", required = true, value_name = "FILE")]
    flows: Vec<PathBuf>,
    /// The manifests: files or directories (read recursively: .yaml, .yml, .json),
    /// bundles (.zip); `-` for stdin.
    #[arg(required_unless_present = "filename")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    filenames: crate::Filenames,
}

impl FlowInput {
    /// PATHS and the `-f` paths.
    fn paths(&self) -> Vec<PathBuf> {
        self.paths.iter().chain(&self.filenames.filename).cloned().collect()
    }
}

#[derive(Subcommand)]
pub enum FlowsCommand {
    /// Each distinct observed flow with the verdict the manifests' policies give it, and
    /// `N flows allowed, N would be blocked`; exit 1 when a flow would be blocked.
    Replay {
        #[command(flatten)]
        input: FlowInput,
        /// Follow each flow with the explanation of its verdict.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        output: crate::Output<crate::TextOnly>,
    },
    /// Rules of the manifests' policies that no observed flow uses, and observed flows
    /// that no rule admits; exit 1 when there is either.
    Diff {
        #[command(flatten)]
        input: FlowInput,
        #[command(flatten)]
        output: crate::Output<crate::TextOnly>,
    },
    /// Least-privilege NetworkPolicies for the observed flows: per namespace a default
    /// deny and, per workload, rules that admit exactly its flows (YAML on stdout, or one
    /// file per namespace with `--out`).
    Policy {
        #[command(flatten)]
        input: FlowInput,
        /// Write `NAMESPACE.yaml` files into this directory (created when missing).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Output format: `yaml` (a directory here, as an older spelling of --out, is
        /// still read, with a note).
        #[arg(long = "output", short = 'o', visible_alias = "format", value_name = "FORMAT")]
        output: Option<String>,
        /// Merge external IPv4 addresses into blocks of this prefix, e.g. `/24` (default
        /// `/32`: each address on its own).
        #[arg(long, value_name = "/N", value_parser = parse_prefix, default_value = "/32")]
        cidr_merge: u8,
        /// What to write: `networkpolicy` (Kubernetes NetworkPolicies) or `cnp`
        /// (CiliumNetworkPolicies, `cilium.io/v2`; `cilium` is an alias).
        #[arg(long, value_name = "KIND", value_parser = parse_kind, default_value = "networkpolicy")]
        kind: flows::PolicyKind,
    },
}

/// `/24` or `24`: a prefix length from 0 to 32.
fn parse_prefix(s: &str) -> Result<u8, String> {
    s.trim_start_matches('/')
        .parse::<u8>()
        .ok()
        .filter(|&p| p <= 32)
        .ok_or_else(|| format!("{s:?} is not a prefix length like /24 (0 to 32)"))
}

fn parse_kind(s: &str) -> Result<flows::PolicyKind, String> {
    flows::PolicyKind::parse(s).ok_or_else(|| format!("{s:?} is not a policy kind: networkpolicy, cnp or cilium"))
}

/// Feeds one reader's lines to core, at most `MAX_RECORD_BYTES` (plus one) of a line at a
/// time: a longer line is reported by core and the rest of it skipped here.
fn feed(reader: &mut FlowReader, name: &str, input: impl Read) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    reader.start_file(name);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = input
            .by_ref()
            .take(MAX_RECORD_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let complete = buf.last() == Some(&b'\n');
        if complete {
            buf.pop();
        } else if buf.len() > MAX_RECORD_BYTES {
            // Skip to the end of the overlong line.
            let mut sink = Vec::new();
            while input.by_ref().take(1 << 16).read_until(b'\n', &mut sink)? > 0 {
                if sink.last() == Some(&b'\n') {
                    break;
                }
                sink.clear();
            }
        }
        reader.line(&String::from_utf8_lossy(&buf));
    }
}

/// The manifests and the flows read against them; `Err` (exit 2) when either cannot be read.
fn load(input: &FlowInput) -> Result<(Scenario, Observed), String> {
    let paths = input.paths();
    let files = crate::input::read_paths(&paths);
    for p in &files.problems {
        eprintln!("netplay: {p}");
    }
    let scenario = netplay_core::load(&files.files);
    crate::report_load_diagnostics(&scenario.diagnostics);
    crate::require_objects(&scenario, &crate::describe_paths(&paths))?;
    let mut reader = FlowReader::new(&scenario.cluster);
    for path in &input.flows {
        let name = path.display().to_string();
        let result = if path == Path::new("-") {
            feed(&mut reader, "<stdin>", std::io::stdin().lock())
        } else {
            std::fs::File::open(path).and_then(|f| feed(&mut reader, &name, f))
        };
        result.map_err(|e| format!("cannot read flow file {name}: {e}"))?;
    }
    let observed = reader.finish();
    for issue in &observed.issues {
        eprintln!("{issue}");
    }
    if observed.issue_count > observed.issues.len() {
        eprintln!(
            "netplay: {} more records not read or not matched",
            observed.issue_count - observed.issues.len()
        );
    }
    eprintln!("netplay: {}", observed.summary());
    Ok((scenario, observed))
}

pub fn run(command: FlowsCommand) -> Result<u8, String> {
    match command {
        FlowsCommand::Replay { input, explain, .. } => {
            let (scenario, observed) = load(&input)?;
            let replay = flows::replay(&scenario.cluster, &observed);
            crate::print(&replay.to_text(&scenario.cluster, &observed, explain));
            Ok(u8::from(replay.blocked > 0))
        }
        FlowsCommand::Diff { input, .. } => {
            let (scenario, observed) = load(&input)?;
            let diff = flows::diff(&scenario.cluster, &observed);
            crate::print(&diff.to_text(&scenario.cluster, &observed));
            Ok(u8::from(!diff.is_empty()))
        }
        FlowsCommand::Policy {
            input,
            out,
            output,
            cidr_merge,
            kind,
        } => {
            let output = match (out, output) {
                (out, None) => out,
                (out, Some(f)) if f == "yaml" => out,
                (Some(_), Some(f)) => return Err(format!("flows policy -o: the format is yaml, not {f:?}")),
                (None, Some(dir)) => {
                    eprintln!("netplay: note: `flows policy -o DIR` is now `flows policy --out DIR`; -o/--output is the format (yaml), as in kubectl");
                    Some(PathBuf::from(dir))
                }
            };
            let (scenario, observed) = load(&input)?;
            let options = flows::GenerateOptions {
                kind,
                cidr_merge_v4: cidr_merge,
                ..flows::GenerateOptions::default()
            };
            let files = flows::generate(&scenario.cluster, &observed, &options);
            match output {
                None => {
                    let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
                    crate::print(&texts.join("---\n"));
                }
                Some(dir) => {
                    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                    for f in &files {
                        let path = dir.join(&f.file_name);
                        std::fs::write(&path, &f.text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                        eprintln!("netplay: wrote {}", path.display());
                    }
                }
            }
            Ok(0)
        }
    }
}
