//! `netplay probe`: runs core's connection-tester Jobs (netplay_core::probe) on the
//! cluster, reads their logs and prints expected vs. actual. `--emit` only writes the Jobs.

use crate::cluster::{self, error_code, error_text, FIELD_MANAGER};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, LogParams, Patch, PatchParams};
use kube::Api;
use netplay_core::probe;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct ProbeArgs {
    pub paths: Vec<PathBuf>,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Write the manifests here (`-`: stdout) instead of running them.
    pub emit: Option<PathBuf>,
    pub yes: bool,
    /// How long to wait for the Jobs to finish.
    pub timeout: Duration,
}

/// Exit 0 when every probe gave the predicted result, 1 on a mismatch.
pub fn run(args: ProbeArgs) -> Result<u8, String> {
    let files = cluster::read_input(&args.paths)?;
    let scenario = netplay_core::load(&files);
    crate::report_load_diagnostics(&scenario.diagnostics);
    let plan = probe::plan(&scenario);
    if plan.jobs.is_empty() {
        return Err("nothing to probe: the input has no Service with a TCP port and workloads behind it".to_string());
    }
    let yaml = probe::manifests(&plan);
    if let Some(path) = &args.emit {
        if path.as_os_str() == "-" {
            crate::print(&yaml);
        } else {
            std::fs::write(path, &yaml).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            eprintln!("netplay: wrote {} probe Jobs to {}", plan.jobs.len(), path.display());
        }
        return Ok(0);
    }
    let objects = cluster::objects(&[netplay_core::SourceFile::new("probe.yaml", yaml)])?;
    let rt = cluster::runtime()?;
    rt.block_on(async move {
        let cluster = cluster::connect(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
        cluster::guard_production(&cluster.context, args.yes)?;
        let discovery = cluster::discover(&cluster.client).await?;
        // A Job runs once: the previous run's Jobs go first.
        for job in &plan.jobs {
            let jobs: Api<Job> = Api::namespaced(cluster.client.clone(), &job.namespace);
            match jobs.delete(&job.name, &DeleteParams::background()).await {
                Ok(_) => {
                    // Applying to a Job that is still being deleted would fail: wait it out.
                    let deadline = Instant::now() + args.timeout;
                    while matches!(jobs.get_opt(&job.name).await, Ok(Some(_))) && Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
                Err(e) if error_code(&e) == Some(404) => {}
                Err(e) => {
                    return Err(format!(
                        "cannot delete the previous Job {}/{}: {}",
                        job.namespace,
                        job.name,
                        error_text(&e)
                    ))
                }
            }
        }
        let params = PatchParams {
            force: true,
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        // The uid of each Job of this run: its Pods are told from the previous run's (which
        // a background deletion may leave for a while) by their owner.
        let mut job_uids = BTreeMap::new();
        for o in &objects {
            let (api, _, _) = cluster::api_for(&cluster, &discovery, o, None)?;
            let created = api
                .patch(&o.name, &params, &Patch::Apply(&o.value))
                .await
                .map_err(|e| format!("cannot create {} {}: {}", o.gvk.kind, o.name, error_text(&e)))?;
            if o.gvk.kind == "Job" {
                job_uids.insert(o.name.clone(), created.metadata.uid.unwrap_or_default());
            }
        }
        let deadline = Instant::now() + args.timeout;
        let mut logs = BTreeMap::new();
        for job in &plan.jobs {
            let jobs: Api<Job> = Api::namespaced(cluster.client.clone(), &job.namespace);
            loop {
                let status = jobs
                    .get_opt(&job.name)
                    .await
                    .map_err(|e| error_text(&e))?
                    .and_then(|j| j.status);
                let done = status
                    .as_ref()
                    .is_some_and(|s| s.succeeded.unwrap_or(0) > 0 || s.failed.unwrap_or(0) > 0);
                if done {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "Job {}/{} did not finish within {:.0}s (--timeout)",
                        job.namespace,
                        job.name,
                        args.timeout.as_secs_f64()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &job.namespace);
            let list = pods
                .list(&ListParams::default().labels(&format!("job-name={}", job.name)))
                .await
                .map_err(|e| error_text(&e))?;
            let mut text = String::new();
            let uid = job_uids.get(&job.name).cloned().unwrap_or_default();
            for pod in list {
                let owned = pod
                    .metadata
                    .owner_references
                    .as_ref()
                    .is_some_and(|refs| refs.iter().any(|r| r.uid == uid));
                if !owned {
                    continue;
                }
                let name = pod.metadata.name.unwrap_or_default();
                text.push_str(
                    &pods
                        .logs(&name, &LogParams::default())
                        .await
                        .map_err(|e| error_text(&e))?,
                );
            }
            logs.insert(job.name.clone(), text);
        }
        let rows = probe::compare(&plan, &logs);
        crate::print(&probe::render(&rows, &plan.skipped));
        Ok(u8::from(rows.iter().any(|r| !r.matches())))
    })
}
