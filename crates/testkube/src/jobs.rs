//! Jobs "run" at once: a Job gets one finished Pod whose log holds one `PROBE` line per
//! target of the ConfigMap the Job mounts, each result decided by the reachability
//! function (a stand-in for the cluster's CNI).

use crate::routes::Target;
use crate::server::Response;
use crate::store::{not_found, Stored};
use crate::{State, TIMESTAMP};
use base64::Engine as _;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

impl State {
    /// The Pod a Job runs, already finished: named `<job>-<hash of the Job's uid>`, owned
    /// by the Job, labelled `job-name`, its log written now (a later change of the
    /// reachability does not rewrite what an earlier run printed).
    pub(crate) fn start_job_pod(&mut self, namespace: &str, job: &str, job_uid: &str, job_value: &Value) {
        let pod_name = format!("{job}-{}", short_hash(job_uid));
        let log = self.probe_log(namespace, &pod_name, job_value);
        let value = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": namespace, "labels": {"job-name": job},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": job_uid,
                                              "controller": true}],
                         "uid": format!("pod-{pod_name}"), "resourceVersion": self.resource_version.to_string(),
                         "creationTimestamp": TIMESTAMP},
            "status": {"phase": "Succeeded"}});
        let key = (String::new(), "pods".to_string(), namespace.to_string(), pod_name);
        self.objects.insert(
            key,
            Stored {
                value,
                owners: BTreeMap::new(),
                created: Instant::now(),
                log: Some(log),
            },
        );
    }

    /// One `PROBE` line per target of the ConfigMap the Job mounts.
    pub(crate) fn probe_log(&self, ns: &str, pod_name: &str, job: &Value) -> String {
        let configmap = job["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .and_then(|vs| {
                vs.iter()
                    .find_map(|v| v["configMap"]["name"].as_str().map(str::to_string))
            })
            .unwrap_or_default();
        let cm_key = (String::new(), "configmaps".to_string(), ns.to_string(), configmap);
        let targets = self
            .objects
            .get(&cm_key)
            .and_then(|c| c.value["data"]["targets"].as_str().map(str::to_string))
            .unwrap_or_default();
        let mut out = String::new();
        for line in targets.lines() {
            let Some(dst) = line.split_whitespace().next() else {
                continue;
            };
            if dst.starts_with('#') {
                continue;
            }
            let ok = (self.reachability)(&format!("{ns}/{pod_name}"), dst);
            let (result, latency) = if ok { ("ok", 10) } else { ("fail", 3010) };
            out.push_str(&format!(
                "PROBE src={ns}/{pod_name} dst={dst} proto=tcp result={result} latency_ms={latency}\n"
            ));
        }
        out
    }

    pub(crate) fn log(&mut self, target: &Target) -> Response {
        let pod_name = target.name.clone().unwrap_or_default();
        let Some(pod) = self.objects.get(&Self::key(target, &pod_name)) else {
            return not_found(&target.ty, &pod_name);
        };
        hyper::Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from(pod.log.clone().unwrap_or_default())))
            .unwrap_or_default()
    }
}

pub(crate) fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(s.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&digest[..4])
        .to_lowercase()
        .replace(['-', '_'], "x")
}
