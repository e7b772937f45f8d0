//! Probes: checking that a cluster enforces what netplay predicts (`netplay probe`).
//!
//! [`plan`] turns a scenario into connection-tester Jobs (the format of
//! `manifests/troubleshooting/connection-tester.yaml`): one per source workload, in the
//! source's namespace and with its pod labels, so that the policies that select the source
//! select the tester too. Each Job dials every TCP port of every Service whose endpoints the
//! prediction agrees on, and prints one `PROBE ...` line per target. It runs as the
//! source's ServiceAccount when the source names one. [`parse_log`] reads
//! those lines back and [`compare`] sets them against the prediction.
//!
//! Pure: YAML text out, log text in. Never panics on any log.

use crate::model::{Cluster, Labels, TargetPort, Workload};
use crate::netpol::explain::{self, Target};
use crate::{Protocol, Scenario};
use serde_json::json;
use std::collections::BTreeMap;

/// The label that marks netplay's probe pods (and lets them be found).
pub const PROBE_LABEL: &str = "netplay.io/probe";

/// One address to dial, and what netplay predicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTarget {
    /// `service.namespace.svc.cluster.local:port`, as the Job dials it and logs it.
    pub dst: String,
    /// The workloads behind the Service (endpoint names), for the report.
    pub workloads: Vec<String>,
    /// Whether the connection should succeed.
    pub expected: bool,
}

/// One connection-tester Job: a source workload and its targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeJob {
    pub namespace: String,
    /// The Job's name; its ConfigMap is `<name>-targets`.
    pub name: String,
    /// The source workload's endpoint name.
    pub source: String,
    /// The pod labels the tester takes over from the source.
    pub labels: Labels,
    /// The source's ServiceAccount, which the tester runs as too (mesh and CNI
    /// identities follow it).
    pub service_account: Option<String>,
    pub targets: Vec<ProbeTarget>,
}

/// What cannot be probed, and why (said in the report rather than silently dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub what: String,
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbePlan {
    pub jobs: Vec<ProbeJob>,
    pub skipped: Vec<Skipped>,
}

/// The port a Service port reaches on one workload: its number, or the container port of
/// that name (`None` when the workload has no such port).
fn resolve_target_port(w: &Workload, port: &TargetPort) -> Option<u16> {
    match port {
        TargetPort::Number(n) => Some(*n),
        TargetPort::Name(name) => w
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.port),
    }
}

fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A DNS-1123 name of at most 63 characters.
fn job_name(workload: &str) -> String {
    let clean: String = workload
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut name = format!("connection-tester-{clean}");
    name.truncate(55); // room for `-targets` on the ConfigMap
    name.trim_end_matches('-').to_string()
}

/// The probe Jobs of a scenario. Host-network workloads are not sources (a probe from
/// the node's network is not subject to NetworkPolicies); Services without selector,
/// without endpoints, or whose endpoints the prediction disagrees on are skipped.
pub fn plan(scenario: &Scenario) -> ProbePlan {
    let cluster: &Cluster = &scenario.cluster;
    let mut out = ProbePlan::default();
    for (si, src) in cluster.workloads.iter().enumerate() {
        if src.host_network {
            out.skipped.push(Skipped {
                what: format!("source {}", src.endpoint_name()),
                why: "it uses the host network".to_string(),
            });
            continue;
        }
        let mut targets = Vec::new();
        for svc in &cluster.services {
            let Some(selector) = &svc.selector else {
                if si == 0 {
                    out.skipped.push(Skipped {
                        what: format!("Service {}/{}", svc.namespace, svc.name),
                        why: "it has no selector".to_string(),
                    });
                }
                continue;
            };
            let endpoints: Vec<(usize, &Workload)> = cluster
                .workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| w.namespace == svc.namespace && selects(selector, &w.labels))
                .collect();
            if endpoints.is_empty() {
                if si == 0 {
                    out.skipped.push(Skipped {
                        what: format!("Service {}/{}", svc.namespace, svc.name),
                        why: "no workload of the input matches its selector".to_string(),
                    });
                }
                continue;
            }
            for port in svc.ports.iter().filter(|p| p.protocol == Protocol::Tcp) {
                let verdicts: Vec<bool> = endpoints
                    .iter()
                    .map(|(di, w)| {
                        resolve_target_port(w, &port.target_port).is_some_and(|n| {
                            explain::explain(
                                cluster,
                                Target::Workload(si),
                                Target::Workload(*di),
                                Some((Protocol::Tcp, n)),
                            )
                            .probe_allowed
                                == Some(true)
                        })
                    })
                    .collect();
                let dst = format!("{}.{}.svc.cluster.local:{}", svc.name, svc.namespace, port.port);
                if verdicts.iter().any(|v| *v != verdicts[0]) {
                    out.skipped.push(Skipped {
                        what: format!("{} from {}", dst, src.endpoint_name()),
                        why: "its endpoints are not all allowed or all denied, so a probe's result would depend on \
                              the endpoint it reaches"
                            .to_string(),
                    });
                    continue;
                }
                targets.push(ProbeTarget {
                    dst,
                    workloads: endpoints.iter().map(|(_, w)| w.endpoint_name()).collect(),
                    expected: verdicts[0],
                });
            }
        }
        if targets.is_empty() {
            continue;
        }
        let mut labels = src.labels.clone();
        labels.insert("sidecar.istio.io/inject".to_string(), "false".to_string());
        out.jobs.push(ProbeJob {
            namespace: src.namespace.clone(),
            name: job_name(&src.name),
            source: src.endpoint_name(),
            labels,
            service_account: src.service_account.clone(),
            targets,
        });
    }
    out
}

/// The probe script of `manifests/troubleshooting/connection-tester.yaml`.
const SCRIPT: &str = r#"now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
while read -r target rest; do
  case "$target" in ''|'#'*) continue ;; esac
  host="${target%:*}"
  port="${target##*:}"
  start=$(now_ms)
  if nc -z -w "$TIMEOUT_SECONDS" "$host" "$port" </dev/null >/dev/null 2>&1; then
    result=ok
  else
    result=fail
  fi
  end=$(now_ms)
  echo "PROBE src=$POD_NAMESPACE/$POD_NAME dst=$host:$port proto=tcp result=$result latency_ms=$((end - start))"
done < /etc/connection-tester/targets
"#;

/// The ConfigMap and Job of each probe job, as one multi-document YAML stream.
pub fn manifests(plan: &ProbePlan) -> String {
    let mut docs = Vec::new();
    for job in &plan.jobs {
        let targets: String = job
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{}  # expected {}: {}\n",
                    t.dst,
                    if t.expected { "ok" } else { "fail" },
                    t.workloads.join(", ")
                )
            })
            .collect();
        let configmap = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": format!("{}-targets", job.name),
                "namespace": job.namespace,
                "labels": {PROBE_LABEL: job.name, "app.kubernetes.io/name": "connection-tester"},
            },
            "data": {"targets": targets},
        });
        let mut pod_labels = serde_json::Map::new();
        for (k, v) in &job.labels {
            pod_labels.insert(k.clone(), json!(v));
        }
        pod_labels.insert(PROBE_LABEL.to_string(), json!(job.name));
        let mut job_doc = json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": job.name,
                "namespace": job.namespace,
                "labels": {PROBE_LABEL: job.name, "app.kubernetes.io/name": "connection-tester"},
                "annotations": {"netplay.io/source": job.source},
            },
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": 600,
                "ttlSecondsAfterFinished": 3600,
                "template": {
                    "metadata": {"labels": pod_labels},
                    "spec": {
                        "restartPolicy": "Never",
                        "automountServiceAccountToken": false,
                        "containers": [{
                            "name": "probe",
                            "image": "busybox:1.36",
                            "env": [
                                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                                {"name": "TIMEOUT_SECONDS", "value": "3"},
                            ],
                            "command": ["/bin/sh", "-c"],
                            "args": [SCRIPT],
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
                            "securityContext": {
                                "runAsUser": 65534, "runAsNonRoot": true, "allowPrivilegeEscalation": false,
                                "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]},
                            },
                            // Never Ready: the tester wears its source's labels, so it
                            // would otherwise become an endpoint of the source's Services
                            // and answer (or refuse) other testers' probes.
                            "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 3600},
                            "volumeMounts": [{"name": "targets", "mountPath": "/etc/connection-tester", "readOnly": true}],
                        }],
                        "volumes": [{"name": "targets", "configMap": {"name": format!("{}-targets", job.name)}}],
                    },
                },
            },
        });
        if let Some(account) = &job.service_account {
            job_doc["spec"]["template"]["spec"]["serviceAccountName"] = json!(account);
        }
        for doc in [configmap, job_doc] {
            docs.push(serde_yaml::to_string(&doc).unwrap_or_default());
        }
    }
    docs.join("---\n")
}

/// One `PROBE` line of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeResult {
    pub src: String,
    pub dst: String,
    pub ok: bool,
    pub latency_ms: Option<u64>,
}

/// The `PROBE ...` lines of a log; other lines and lines without `dst` or a `result` of
/// `ok`/`fail` are ignored.
pub fn parse_log(log: &str) -> Vec<ProbeResult> {
    let mut out = Vec::new();
    for line in log.lines() {
        let Some(rest) = line.trim().strip_prefix("PROBE ") else {
            continue;
        };
        let fields: BTreeMap<&str, &str> = rest.split_whitespace().filter_map(|f| f.split_once('=')).collect();
        let (Some(dst), Some(result)) = (fields.get("dst"), fields.get("result")) else {
            continue;
        };
        let ok = match *result {
            "ok" => true,
            "fail" => false,
            _ => continue,
        };
        out.push(ProbeResult {
            src: fields.get("src").unwrap_or(&"").to_string(),
            dst: dst.to_string(),
            ok,
            latency_ms: fields.get("latency_ms").and_then(|l| l.parse().ok()),
        });
    }
    out
}

/// A prediction set against an observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub source: String,
    pub dst: String,
    pub expected: bool,
    /// `None`: the log has no line for this target.
    pub actual: Option<bool>,
}

impl Comparison {
    pub fn matches(&self) -> bool {
        self.actual == Some(self.expected)
    }

    /// Why a mismatch matters, in the terms of the cluster.
    pub fn meaning(&self) -> &'static str {
        match (self.expected, self.actual) {
            (_, None) => "no result in the log",
            (true, Some(false)) => "blocked: a policy the input does not have, or the target is not running",
            (false, Some(true)) => "allowed: the CNI does not enforce a policy of the input",
            _ => "",
        }
    }
}

/// Each target of each job against the log of that job (by job name).
pub fn compare(plan: &ProbePlan, logs: &BTreeMap<String, String>) -> Vec<Comparison> {
    let mut out = Vec::new();
    for job in &plan.jobs {
        let results = logs.get(&job.name).map(|l| parse_log(l)).unwrap_or_default();
        for t in &job.targets {
            out.push(Comparison {
                source: job.source.clone(),
                dst: t.dst.clone(),
                expected: t.expected,
                actual: results.iter().rev().find(|r| r.dst == t.dst).map(|r| r.ok),
            });
        }
    }
    out
}

/// The expected-vs-actual table; mismatches are marked with `!!` and explained below it.
pub fn render(rows: &[Comparison], skipped: &[Skipped]) -> String {
    let word = |b: Option<bool>| match b {
        Some(true) => "ok",
        Some(false) => "fail",
        None => "-",
    };
    let src_w = rows
        .iter()
        .map(|r| r.source.len())
        .max()
        .unwrap_or(0)
        .max("SOURCE".len());
    let dst_w = rows.iter().map(|r| r.dst.len()).max().unwrap_or(0).max("TARGET".len());
    let mut out = format!("   {:src_w$}  {:dst_w$}  EXPECTED  ACTUAL\n", "SOURCE", "TARGET");
    for r in rows {
        let mark = if r.matches() { "  " } else { "!!" };
        out.push_str(&format!(
            "{mark} {:src_w$}  {:dst_w$}  {:8}  {}\n",
            r.source,
            r.dst,
            word(Some(r.expected)),
            word(r.actual)
        ));
    }
    for r in rows.iter().filter(|r| !r.matches()) {
        out.push_str(&format!("mismatch: {} -> {}: {}\n", r.source, r.dst, r.meaning()));
    }
    for s in skipped {
        out.push_str(&format!("skipped: {}: {}\n", s.what, s.why));
    }
    let bad = rows.iter().filter(|r| !r.matches()).count();
    let plural = |n: usize, word: &str, words: &str| format!("{n} {}", if n == 1 { word } else { words });
    out.push_str(&format!(
        "{}, {} as expected, {}\n",
        plural(rows.len(), "probe", "probes"),
        rows.len() - bad,
        plural(bad, "mismatch", "mismatches")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_log_reads_probe_lines_and_ignores_the_rest() {
        let log = "starting\nPROBE src=a/p dst=x:80 proto=tcp result=ok latency_ms=20\n\
                   PROBE src=a/p dst=y:443 proto=tcp result=fail latency_ms=3010\nPROBE garbage\n\
                   PROBE dst=z:1 result=maybe\n";
        let results = parse_log(log);
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0],
            ProbeResult {
                src: "a/p".into(),
                dst: "x:80".into(),
                ok: true,
                latency_ms: Some(20)
            }
        );
        assert!(!results[1].ok);
    }

    #[test]
    fn job_names_are_dns_labels() {
        assert_eq!(job_name("Web_API"), "connection-tester-web-api");
        assert!(job_name(&"x".repeat(100)).len() <= 55);
    }
}
