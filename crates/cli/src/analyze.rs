//! `netplay analyze`: reads the paths and the options, asks core for the report and prints
//! it in the chosen format. Which diagnostics are shown and whether the run fails is
//! core's decision (`Scenario::analyze_report`); this module only does I/O.

use crate::render;
use clap::{Args, ValueEnum};
use netplay_core::diagnostics::{formats, AnalyzeOptions, Suppression, CODES};
use netplay_core::mesh::{MeshConfig, ANALYZERS};
use netplay_core::Severity;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum AnalyzeFormat {
    Txt,
    Json,
    Yaml,
    Sarif,
    Junit,
}

#[derive(Args)]
pub struct AnalyzeArgs {
    /// Files or directories to analyze (read recursively: .yaml, .yml, .json; `-` for stdin).
    #[arg(required_unless_present_any = ["list_analyzers", "filename", "live", "context", "kubeconfig"])]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    filenames: crate::Filenames,
    /// Or the live cluster.
    #[command(flatten)]
    live: crate::LiveArgs,
    #[command(flatten)]
    pub output: crate::Output<AnalyzeFormat>,
    /// A MeshConfig file (istioctl's --meshConfigFile); it overrides the mesh config found
    /// in the input (the `istio` ConfigMap in istio-system, an IstioOperator's meshConfig).
    #[arg(long, value_name = "FILE")]
    pub mesh_config: Option<PathBuf>,
    /// The least severe level that makes the run exit 1: info, warning or error.
    #[arg(long, value_name = "LEVEL", default_value = "error", value_parser = Severity::parse)]
    pub failure_threshold: Severity,
    /// The least severe level that is printed: info, warning or error.
    #[arg(long, value_name = "LEVEL", default_value = "info", value_parser = Severity::parse)]
    pub output_threshold: Severity,
    /// Suppress a code on a resource, istioctl's syntax: "IST0102=Namespace frontend",
    /// "IST0103=Pod mypod.testing", `*` as a wildcard in the resource ("IST0103=Pod *.bar").
    /// Repeatable. The `galley.istio.io/analyze-suppress` annotation works too.
    #[arg(long = "suppress", short = 'S', value_name = "CODE=RESOURCE", value_parser = Suppression::parse)]
    pub suppress: Vec<Suppression>,
    /// List the analyzers and every diagnostic code, then exit.
    #[arg(long)]
    pub list_analyzers: bool,
}

/// Runs the subcommand; the exit code is 1 when a diagnostic reaches the failure threshold.
pub fn run(args: AnalyzeArgs) -> Result<u8, String> {
    if args.list_analyzers {
        crate::print(&list_analyzers(args.output.format));
        return Ok(0);
    }
    let mesh_config = match &args.mesh_config {
        None => None,
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read mesh config {name}: {e}"))?;
            Some(MeshConfig::parse(&name, &text).map_err(|d| d.to_string())?)
        }
    };
    let paths = args.filenames.after(args.paths);
    let (files, scenario) = crate::load_input(&paths, &args.live)?;
    let options = AnalyzeOptions {
        mesh_config,
        suppress: args.suppress,
        output_threshold: args.output_threshold,
        failure_threshold: args.failure_threshold,
    };
    let report = scenario.analyze_report(&options);
    let diags = &report.diagnostics;
    let out = match args.output.format {
        AnalyzeFormat::Json => formats::to_json(diags),
        AnalyzeFormat::Yaml => formats::to_yaml(diags),
        AnalyzeFormat::Sarif => formats::to_sarif(diags, env!("CARGO_PKG_VERSION")),
        AnalyzeFormat::Junit => formats::to_junit(&report),
        AnalyzeFormat::Txt => {
            let renderer = render::Renderer::new(&files);
            let mut out: String = diags.iter().map(|d| renderer.render(d)).collect();
            out.push_str(&format!("{}\n", render::report_summary(&report)));
            out
        }
    };
    crate::print(&out);
    Ok(u8::from(report.failed))
}

fn list_analyzers(format: AnalyzeFormat) -> String {
    match format {
        AnalyzeFormat::Txt => {
            let mut out =
                String::from("Analyzers (all run on every input; ISTxxxx codes mean what istioctl analyze means):\n");
            for (name, codes, what) in ANALYZERS {
                out.push_str(&format!("  {name:<20} {}\n      {what}\n", codes.join(" ")));
            }
            out.push_str("\nCodes (docs/diagnostics.md describes each):\n");
            for (code, severity, summary) in CODES {
                out.push_str(&format!("  {code}  {:<7}  {summary}\n", severity.as_str()));
            }
            out
        }
        _ => {
            let analyzers: Vec<serde_json::Value> = ANALYZERS
                .iter()
                .map(|(name, codes, what)| serde_json::json!({"name": name, "codes": codes, "description": what}))
                .collect();
            let codes: Vec<serde_json::Value> = CODES
                .iter()
                .map(|(code, severity, summary)| {
                    serde_json::json!({"code": code, "severity": severity.as_str(), "summary": summary})
                })
                .collect();
            let doc = serde_json::json!({"analyzers": analyzers, "codes": codes});
            match format {
                AnalyzeFormat::Yaml => serde_yaml::to_string(&doc).unwrap_or_default(),
                _ => format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()),
            }
        }
    }
}
