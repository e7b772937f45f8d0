//! `netplay plan`: address plans computed by core's `cni` module (docs/cni.md) — the
//! table on stdout, diagnostics on stderr like a compiler, `--emit` writes the generated
//! CNI configuration.

use clap::ValueEnum;
use netplay_core::cni::generate::generate;
use netplay_core::{diagnostics, Diagnostic};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Txt,
    Json,
}

#[derive(clap::Args)]
pub struct PlanArgs {
    /// Files or directories with AddressPlan documents (netplay.dev/v1alpha1), and the
    /// Services and CNI configuration to check against them; `-` for stdin.
    #[arg(required_unless_present = "filename")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    filenames: crate::Filenames,
    /// Write the CNI configuration generated from the plan into DIR (one subdirectory per
    /// plan when there are several).
    #[arg(long, value_name = "DIR")]
    emit: Option<PathBuf>,
    #[command(flatten)]
    output: crate::Output<PlanFormat>,
}

/// Exit 0, 1 when a diagnostic is an error, 2 (an `Err`) when nothing could be read or
/// the input has no AddressPlan.
pub fn run(args: PlanArgs) -> Result<u8, String> {
    let paths = args.filenames.after(args.paths);
    let (files, scenario) = crate::load_paths(&paths)?;
    let outcome = scenario.plan();
    if outcome.plans.is_empty() {
        crate::report_load_diagnostics(&scenario.diagnostics);
        return Err(
            "the input has no AddressPlan (apiVersion: netplay.dev/v1alpha1, kind: AddressPlan); see docs/cni.md"
                .to_string(),
        );
    }
    let diags = scenario.plan_diagnostics(&outcome);
    match args.output.format {
        PlanFormat::Txt => {
            crate::print(&outcome.to_text());
            let renderer = crate::render::Renderer::new(&files);
            let mut err = String::new();
            for d in &diags {
                err.push_str(&renderer.render(d));
            }
            err.push_str(&format!("{}\n", crate::render::summary(&diags)));
            eprint!("{err}");
        }
        PlanFormat::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                plans: &'a [netplay_core::cni::PlanReport],
                configs: &'a [netplay_core::cni::configs::ConfigFacts],
                diagnostics: &'a [Diagnostic],
            }
            let doc = Doc {
                plans: &outcome.plans,
                configs: &outcome.configs,
                diagnostics: &diags,
            };
            crate::print(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()));
        }
    }
    if let Some(dir) = &args.emit {
        let several = scenario.cluster.cni.plans.len() > 1;
        for plan in &scenario.cluster.cni.plans {
            let target = if several { dir.join(&plan.name) } else { dir.clone() };
            std::fs::create_dir_all(&target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
            for file in generate(plan) {
                let path = target.join(&file.name);
                std::fs::write(&path, &file.text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                eprintln!("netplay: wrote {}", path.display());
            }
        }
    }
    Ok(u8::from(diagnostics::has_errors(&diags)))
}
