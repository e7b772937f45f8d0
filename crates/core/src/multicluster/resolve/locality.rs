//! Sharing connections out: the lowest priority with a ready endpoint takes them, split by
//! locality weight and ready pods; and Istio locality load balancing from the client
//! cluster's DestinationRule (distribute weights, failoverPriority, region failover).

use super::{cluster_of, display_or, host_matches, Candidate, EndpointShare};
use crate::mesh::types::TrafficPolicy;
use crate::model::{Labels, Workload};
use crate::multicluster::Member;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Shares: the lowest priority with a ready endpoint takes every connection, split by
/// locality weight and then by ready pods.
pub(super) fn distribute(candidates: &mut [Candidate], why: &mut Vec<String>) -> Vec<EndpointShare> {
    let active = candidates
        .iter()
        .filter(|c| c.healthy_pods() > 0 && c.locality_weight.is_none_or(|w| w > 0.0))
        .map(|c| c.priority)
        .min();
    let mut shares = vec![0.0; candidates.len()];
    if let Some(p) = active {
        // Locality weights are split among a locality's pods.
        let mut pods_per_locality: BTreeMap<String, u32> = BTreeMap::new();
        for c in candidates.iter().filter(|c| c.priority == p) {
            *pods_per_locality.entry(locality_of(c.member)).or_default() += c.healthy_pods();
        }
        let mut weight_per_locality: BTreeMap<String, f64> = BTreeMap::new();
        for c in candidates.iter().filter(|c| c.priority == p && c.healthy_pods() > 0) {
            // Without locality weights every ready pod counts alike.
            let weight = c
                .locality_weight
                .unwrap_or(f64::from(pods_per_locality[&locality_of(c.member)]));
            weight_per_locality.insert(locality_of(c.member), weight);
        }
        let total_weight: f64 = weight_per_locality.values().sum();
        for (i, c) in candidates.iter().enumerate() {
            if c.priority != p || c.healthy_pods() == 0 || total_weight <= 0.0 {
                continue;
            }
            let loc = locality_of(c.member);
            let in_locality = f64::from(pods_per_locality[&loc].max(1));
            shares[i] = weight_per_locality[&loc] / total_weight * f64::from(c.healthy_pods()) / in_locality;
        }
        if candidates.iter().any(|c| c.priority < p) {
            why.push(format!(
                "no endpoint of priority below {p} is ready: traffic fails over to priority {p}"
            ));
        }
    } else if !candidates.is_empty() {
        why.push(
            "no endpoint that may get traffic (ready, reachable, with a locality weight above 0) is left".to_string(),
        );
    }
    let mut out: Vec<EndpointShare> = candidates
        .iter()
        .zip(shares)
        .map(|(c, share)| {
            let mut notes = Vec::new();
            if let Some(b) = &c.blocked {
                notes.push(b.clone());
            }
            notes.extend(c.notes.iter().cloned());
            EndpointShare {
                cluster: c.member.name.clone(),
                workload: c.workload.endpoint_name(),
                pods: c.healthy_pods(),
                priority: c.priority,
                share: (share * 1e6).round() / 1e6,
                via: c.via.clone(),
                notes,
            }
        })
        .collect();
    crate::sorting::sort_by(&mut out, |a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.share.total_cmp(&a.share))
            .then((&a.cluster, &a.workload).cmp(&(&b.cluster, &b.workload)))
    });
    out
}

/// `region/zone`, the locality Istio and Envoy group endpoints by.
fn locality_of(m: &Member) -> String {
    format!("{}/{}", m.region(), m.zone())
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct LocalityLbSetting {
    pub distribute: Vec<Distribute>,
    pub failover: Vec<Failover>,
    pub failover_priority: Vec<String>,
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Distribute {
    pub from: String,
    pub to: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Failover {
    pub from: String,
    pub to: String,
}

/// Whether a locality pattern (`region/zone/*`, `*`) matches `region/zone`.
fn locality_matches(pattern: &str, locality: &str) -> bool {
    let pat: Vec<&str> = pattern.trim().split('/').collect();
    let loc: Vec<&str> = locality.split('/').collect();
    for (i, p) in pat.iter().enumerate() {
        if *p == "*" {
            return true;
        }
        match loc.get(i) {
            Some(l) if l == p => {}
            _ => return false,
        }
    }
    true
}

/// The labels Istio's failoverPriority compares, for an endpoint or the client.
fn topology_labels(m: &Member, w: &Workload) -> Labels {
    let mut l = w.labels.clone();
    l.insert("topology.kubernetes.io/region".into(), m.region().to_string());
    l.insert("topology.kubernetes.io/zone".into(), m.zone().to_string());
    l.insert("topology.istio.io/network".into(), m.network().to_string());
    l.insert("topology.istio.io/cluster".into(), m.name.clone());
    l
}

/// Istio locality load balancing from the client cluster's DestinationRule: priorities
/// (failover, which Istio applies only with outlierDetection) or weights (distribute).
/// Returns how localities are used, in words.
pub(super) fn apply_istio_locality(
    client_member: &Member,
    client: &Workload,
    ns: &str,
    svc: &str,
    candidates: &mut [Candidate],
    why: &mut Vec<String>,
) -> String {
    let dr = cluster_of(client_member)
        .mesh
        .destination_rules
        .iter()
        .find(|dr| host_matches(&dr.spec.host, &dr.meta.namespace, ns, svc));
    let Some(dr) = dr else {
        return "no DestinationRule: without outlierDetection Istio does not fail over by locality, connections spread over every endpoint".to_string();
    };
    let policy = dr.spec.traffic_policy.clone().unwrap_or_default();
    let setting: LocalityLbSetting = policy
        .load_balancer
        .as_ref()
        .and_then(|lb| lb.get("localityLbSetting"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let dr_name = format!("DestinationRule {}/{}", dr.meta.namespace, dr.meta.name);
    if setting.enabled == Some(false) {
        return format!("{dr_name} disables locality load balancing: every endpoint alike");
    }
    if !setting.distribute.is_empty() {
        // Istio applies either distribute or failover.
        return distribute_by_locality(client_member, &setting, &dr_name, candidates, why);
    }
    failover(client_member, client, &policy, &setting, &dr_name, candidates, why)
}

/// `distribute`: the weights of the first rule whose `from` matches the client's
/// locality; a client no `from` matches gets no locality preference.
fn distribute_by_locality(
    client_member: &Member,
    setting: &LocalityLbSetting,
    dr_name: &str,
    candidates: &mut [Candidate],
    why: &mut Vec<String>,
) -> String {
    let client_locality = locality_of(client_member);
    let Some(rule) = setting
        .distribute
        .iter()
        .find(|d| locality_matches(&d.from, &client_locality))
    else {
        why.push(format!(
            "{dr_name} distributes by locality, but no `from` matches the client's locality {client_locality}: no locality preference"
        ));
        return format!("distribute, no rule for {client_locality}: every endpoint alike");
    };
    // Each `to` weight is split among the localities (with ready endpoints) it matches.
    let mut localities: Vec<String> = candidates
        .iter()
        .filter(|c| c.healthy_pods() > 0)
        .map(|c| locality_of(c.member))
        .collect();
    crate::sorting::sort(&mut localities);
    localities.dedup();
    let mut weight: BTreeMap<String, f64> = BTreeMap::new();
    for (pattern, w) in &rule.to {
        let matching: Vec<&String> = localities.iter().filter(|l| locality_matches(pattern, l)).collect();
        for l in &matching {
            *weight.entry((*l).clone()).or_default() += f64::from(*w) / matching.len() as f64;
        }
    }
    for c in candidates.iter_mut() {
        c.locality_weight = Some(weight.get(&locality_of(c.member)).copied().unwrap_or(0.0));
    }
    why.push(format!(
        "{dr_name} distributes traffic from {}: {}",
        rule.from,
        rule.to
            .iter()
            .map(|(k, v)| format!("{k} {v}%"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    format!("distribute (from {})", rule.from)
}

/// Failover, which Istio applies only with outlierDetection: by `failoverPriority`
/// labels, else same zone, same region, the `failover` regions, any other region.
fn failover(
    client_member: &Member,
    client: &Workload,
    policy: &TrafficPolicy,
    setting: &LocalityLbSetting,
    dr_name: &str,
    candidates: &mut [Candidate],
    why: &mut Vec<String>,
) -> String {
    if policy.outlier_detection.is_none() {
        if !setting.failover.is_empty() || !setting.failover_priority.is_empty() {
            why.push(format!("{dr_name} sets locality failover but no outlierDetection: Istio ignores the failover, so every endpoint gets traffic (NP5006)"));
        }
        return format!(
            "{dr_name} has no outlierDetection: no locality failover, connections spread over every endpoint"
        );
    }
    if !setting.failover_priority.is_empty() {
        let client_labels = topology_labels(client_member, client);
        for c in candidates.iter_mut() {
            let labels = topology_labels(c.member, c.workload);
            let matched = setting
                .failover_priority
                .iter()
                .take_while(|k| {
                    let key = k.split_once('=').map_or(k.as_str(), |(k, _)| k);
                    labels.contains_key(key) && labels.get(key) == client_labels.get(key)
                })
                .count();
            c.priority = (setting.failover_priority.len() - matched) as u32;
        }
        why.push(format!(
            "{dr_name} orders endpoints by failoverPriority {}: the more leading labels equal the client's, the earlier",
            setting.failover_priority.join(", ")
        ));
        return format!("failoverPriority ({})", setting.failover_priority.join(", "));
    }
    let region = client_member.region();
    let targets: Vec<&str> = setting
        .failover
        .iter()
        .filter(|f| f.from == region)
        .map(|f| f.to.as_str())
        .collect();
    for c in candidates.iter_mut() {
        c.priority = if c.member.region() == region && c.member.zone() == client_member.zone() {
            0
        } else if c.member.region() == region {
            1
        } else if targets.contains(&c.member.region()) {
            2
        } else {
            3
        };
    }
    why.push(format!(
        "{dr_name} has outlierDetection, so Istio fails over by locality: same zone first (p0), then same region (p1){}, then any other region (p3)",
        if targets.is_empty() {
            String::new()
        } else {
            format!(", then the failover region {} (p2)", targets.join(", "))
        }
    ));
    format!(
        "failover from {}{}",
        display_or(&locality_of(client_member), "unknown"),
        if targets.is_empty() {
            String::new()
        } else {
            format!(" to {}", targets.join(", "))
        }
    )
}
