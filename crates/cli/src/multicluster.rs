//! `netplay multicluster ...`: multi-cluster service discovery, computed by core's
//! `multicluster` module (docs/multi-cluster-setup.md).

use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum ResolveFormat {
    Txt,
    Json,
}

#[derive(Subcommand)]
pub enum MulticlusterCommand {
    /// What a client in one cluster reaches when it asks for a name: the DNS answer, the
    /// endpoints in each cluster with priority and share, the mechanism (MCS, Istio
    /// multi-primary, Cilium ClusterMesh) and why. Exits 0 when it could be computed,
    /// whether or not an endpoint is reachable.
    Resolve {
        /// The client: `CLUSTER/NAMESPACE/WORKLOAD` (the workload as `ns/name[Kind]`
        /// after the cluster also works).
        #[arg(long)]
        from: String,
        /// The name asked: `svc`, `svc.ns`, `svc.ns.svc.cluster.local` or
        /// `svc.ns.svc.clusterset.local`.
        name: String,
        /// Files or directories with the clusters (a `Cluster` document per cluster).
        #[arg(required_unless_present = "filename")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filenames: crate::Filenames,
        #[command(flatten)]
        output: crate::Output<ResolveFormat>,
        /// Take a cluster, or every cluster of a region, down (repeatable).
        #[arg(long = "fail", value_name = "REGION|CLUSTER")]
        fail: Vec<String>,
    },
}

/// Runs a `multicluster` subcommand with the scenario loader of `main`.
pub fn run(
    command: MulticlusterCommand,
    load: impl Fn(&[PathBuf]) -> Result<netplay_core::Scenario, String>,
) -> Result<(String, u8), String> {
    match command {
        MulticlusterCommand::Resolve {
            from,
            name,
            paths,
            filenames,
            output: crate::Output { format },
            fail,
        } => {
            let scenario = load(&filenames.after(paths))?;
            let multi = scenario.multicluster.as_deref().ok_or_else(|| {
                "the input describes one cluster: add a `Cluster` document (apiVersion: netplay.dev/v1alpha1) per cluster, see docs/multi-cluster-setup.md".to_string()
            })?;
            let resolution = multi.resolve(&from, &name, &fail)?;
            let out = match format {
                ResolveFormat::Txt => resolution.to_text(),
                ResolveFormat::Json => format!("{}\n", serde_json::to_string_pretty(&resolution).unwrap_or_default()),
            };
            Ok((out, 0))
        }
    }
}
