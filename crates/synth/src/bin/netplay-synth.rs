//! Writes a synthetic cluster as YAML files, for timing the CLI (and peers) as whole
//! processes on the same input as the benchmarks.
//!
//! `netplay-synth cluster NAMESPACES WORKLOADS POLICIES DIR [SEED]`
//! `netplay-synth distinct NAMESPACES WORKLOADS POLICIES DIR [SEED]` (every workload its
//! own label set: `generate_distinct`)
//! `netplay-synth mesh NAMESPACES SERVICES DIR [SEED]`

use netplay_synth::{generate, generate_distinct, generate_mesh, write_dir, Params};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok());
    let (yaml, dir) = match args.first().map(String::as_str) {
        Some(mode @ ("cluster" | "distinct")) => match (num(1), num(2), num(3), args.get(4)) {
            (Some(n), Some(w), Some(p), Some(dir)) => {
                let params = Params {
                    seed: num(5).map_or(42, |s| s as u64),
                    ..Params::new(n, w, p)
                };
                let yaml = if mode == "cluster" {
                    generate(params)
                } else {
                    generate_distinct(params)
                };
                (yaml, dir)
            }
            _ => return usage(),
        },
        Some("mesh") => match (num(1), num(2), args.get(3)) {
            (Some(n), Some(s), Some(dir)) => (generate_mesh(n, s, num(4).map_or(42, |s| s as u64)), dir),
            _ => return usage(),
        },
        _ => return usage(),
    };
    match write_dir(&yaml, Path::new(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netplay-synth: cannot write {dir}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: netplay-synth cluster|distinct NAMESPACES WORKLOADS POLICIES DIR [SEED]\n       netplay-synth mesh NAMESPACES SERVICES DIR [SEED]");
    ExitCode::from(2)
}
