//! Writes a synthetic cluster as YAML files, for timing the CLI (and peers) as whole
//! processes on the same input as the benchmarks.
//!
//! `netplay-synth cluster NAMESPACES WORKLOADS POLICIES DIR [SEED]`
//! `netplay-synth distinct NAMESPACES WORKLOADS POLICIES DIR [SEED]` (every workload its
//! own label set: `generate_distinct`)
//! `netplay-synth admin NAMESPACES WORKLOADS POLICIES DIR [SEED]` (the `cluster` workloads
//! with their policies in the admin tiers: `generate_admin`)
//! `netplay-synth cilium|calico|cni NAMESPACES WORKLOADS POLICIES DIR [SEED]` (the same
//! mix as CiliumNetworkPolicies, as Calico NetworkPolicies, or half each:
//! `generate_cilium`, `generate_calico`, `generate_cilium_and_calico`)
//! `netplay-synth mesh NAMESPACES SERVICES DIR [SEED]`
//! `netplay-synth pods PODS OWNERS FILE [kubectl|api]` (a pod dump as JSON: `kubectl get
//! pods -A -o json`, or the API server's PodList without item kinds; default `api`)

use netplay_synth::{
    generate, generate_admin, generate_calico, generate_cilium, generate_cilium_and_calico, generate_distinct,
    generate_mesh, pod_dump, write_dir, DumpStyle, Params,
};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok());
    let (yaml, dir) = match args.first().map(String::as_str) {
        Some(mode @ ("cluster" | "distinct" | "admin" | "cilium" | "calico" | "cni")) => {
            match (num(1), num(2), num(3), args.get(4)) {
                (Some(n), Some(w), Some(p), Some(dir)) => {
                    let params = Params {
                        seed: num(5).map_or(42, |s| s as u64),
                        ..Params::new(n, w, p)
                    };
                    let yaml = match mode {
                        "cluster" => generate(params),
                        "admin" => generate_admin(params),
                        "cilium" => generate_cilium(params),
                        "calico" => generate_calico(params),
                        "cni" => generate_cilium_and_calico(params),
                        _ => generate_distinct(params),
                    };
                    (yaml, dir)
                }
                _ => return usage(),
            }
        }
        Some("pods") => {
            let style = match args.get(4).map(String::as_str) {
                None | Some("api") => DumpStyle::ApiServer,
                Some("kubectl") => DumpStyle::Kubectl,
                Some(_) => return usage(),
            };
            let (Some(pods), Some(owners), Some(file)) = (num(1), num(2), args.get(3)) else {
                return usage();
            };
            return match std::fs::write(file, pod_dump(pods, owners, style)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("netplay-synth: cannot write {file}: {e}");
                    ExitCode::FAILURE
                }
            };
        }
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
    eprintln!("usage: netplay-synth cluster|distinct|admin|cilium|calico|cni NAMESPACES WORKLOADS POLICIES DIR [SEED]\n       netplay-synth mesh NAMESPACES SERVICES DIR [SEED]\n       netplay-synth pods PODS OWNERS FILE [kubectl|api]");
    ExitCode::from(2)
}
