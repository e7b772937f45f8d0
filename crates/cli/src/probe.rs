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
        // What could not be done, per Job: its probes then show no result, and the run
        // goes on with the other Jobs.
        let mut not_run: BTreeMap<String, String> = BTreeMap::new();
        // The uid of each Job of this run: its Pods are told from the previous run's (which
        // a background deletion may leave for a while) by their owner.
        let mut job_uids = BTreeMap::new();
        for o in &objects {
            let job = job_of(o);
            if not_run.contains_key(&job) {
                continue;
            }
            let applied = match cluster::api_for(&cluster, &discovery, o, None) {
                Ok((api, _, _)) => api
                    .patch(&o.name, &params, &Patch::Apply(&o.value))
                    .await
                    .map_err(|e| format!("cannot create {} {}: {}", o.gvk.kind, o.name, error_text(&e))),
                Err(e) => Err(e),
            };
            match applied {
                Ok(created) if o.gvk.kind == "Job" => {
                    job_uids.insert(o.name.clone(), created.metadata.uid.unwrap_or_default());
                }
                Ok(_) => {}
                Err(e) => {
                    not_run.insert(job, e);
                }
            }
        }
        let deadline = Instant::now() + args.timeout;
        let mut logs = BTreeMap::new();
        for job in &plan.jobs {
            if not_run.contains_key(&job.name) {
                continue;
            }
            match job_log(&cluster, job, &job_uids, deadline, args.timeout).await {
                Ok(text) => {
                    logs.insert(job.name.clone(), text);
                }
                Err(e) => {
                    not_run.insert(job.name.clone(), e);
                }
            }
        }
        let rows = probe::compare(&plan, &logs);
        let mut out = probe::render(&rows, &plan.skipped);
        for job in &plan.jobs {
            if let Some(why) = not_run.get(&job.name) {
                out.push_str(&format!("not run: Job {}/{}: {why}\n", job.namespace, job.name));
            }
        }
        crate::print(&out);
        Ok(u8::from(!not_run.is_empty() || rows.iter().any(|r| !r.matches())))
    })
}

/// The Job an object of the plan belongs to: the Job itself, or its ConfigMap
/// `<job>-targets` (applied first: a Job whose ConfigMap failed is not run).
fn job_of(o: &cluster::Object) -> String {
    match o.gvk.kind.as_str() {
        "ConfigMap" => o.name.strip_suffix("-targets").unwrap_or(&o.name).to_string(),
        _ => o.name.clone(),
    }
}

/// Waits for a Job to finish, then reads the logs of the Pods this run's Job owns.
async fn job_log(
    cluster: &cluster::Cluster,
    job: &probe::ProbeJob,
    job_uids: &BTreeMap<String, String>,
    deadline: Instant,
    timeout: Duration,
) -> Result<String, String> {
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
                "did not finish within {:.0}s (--timeout)",
                timeout.as_secs_f64()
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
                .map_err(|e| format!("cannot read the log of Pod {name}: {}", error_text(&e)))?,
        );
    }
    Ok(text)
}
