//! `manifests/observability/`, proven: the stack's paths with the shop and its policies
//! are exactly those of `tests/library-observability/assertions.yaml` (written from the
//! design, with `only:` for everything that must stay closed), and the configuration it
//! ships is well formed — Prometheus's and Kiali's YAML, Grafana's provisioning and the
//! dashboard JSON, whose panels use only the data sources that are provisioned.
//! (Every file also goes through library.rs: analyze without errors, k8s-openapi round
//! trip, API server validation.)

mod common;

use common::{netplay, read};
use serde_json::Value;

const LIBRARY: [&str; 4] = [
    "manifests/namespaces.yaml",
    "manifests/applications",
    "manifests/network-policies",
    "manifests/observability",
];

#[test]
fn the_observability_paths_are_the_designed_ones_and_nothing_else() {
    let mut args = vec!["test", "tests/library-observability/assertions.yaml"];
    args.extend(LIBRARY);
    let run = netplay(&args);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stdout.ends_with(" passed, 0 failed\n"), "{}", run.stdout);
}

/// The string data of a ConfigMap of a library file.
fn config_map_data(file: &str, name: &str, key: &str) -> String {
    let text = read(file);
    for doc in text.split("\n---\n") {
        let Ok(v) = serde_yaml::from_str::<Value>(doc) else {
            continue;
        };
        if v["kind"] == "ConfigMap" && v["metadata"]["name"] == name {
            return v["data"][key]
                .as_str()
                .unwrap_or_else(|| panic!("{file}: ConfigMap {name} has no {key}"))
                .to_string();
        }
    }
    panic!("{file} has no ConfigMap {name}");
}

#[test]
fn prometheus_scrapes_the_shop_the_control_plane_and_the_sidecars() {
    let config: Value = serde_yaml::from_str(&config_map_data(
        "manifests/observability/prometheus.yaml",
        "prometheus-config",
        "prometheus.yml",
    ))
    .expect("prometheus.yml is YAML");
    let jobs: Vec<&str> = config["scrape_configs"]
        .as_array()
        .expect("scrape_configs")
        .iter()
        .filter_map(|j| j["job_name"].as_str())
        .collect();
    for job in ["shop-metrics", "istiod", "envoy-stats", "kubelet-cadvisor"] {
        assert!(jobs.contains(&job), "no scrape job {job}: {jobs:?}");
    }
    let envoy = config["scrape_configs"]
        .as_array()
        .and_then(|a| a.iter().find(|j| j["job_name"] == "envoy-stats"))
        .expect("envoy-stats");
    assert_eq!(envoy["metrics_path"], "/stats/prometheus");
}

#[test]
fn the_dashboard_is_json_and_uses_only_provisioned_data_sources() {
    let file = "manifests/observability/grafana.yaml";
    let dashboard: Value =
        serde_json::from_str(&config_map_data(file, "grafana-dashboard-network", "network.json")).expect("JSON");
    let provisioning: Value =
        serde_yaml::from_str(&config_map_data(file, "grafana-provisioning", "datasources.yaml")).expect("YAML");
    let uids: Vec<&str> = provisioning["datasources"]
        .as_array()
        .expect("datasources")
        .iter()
        .filter_map(|d| d["uid"].as_str())
        .collect();
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 6, "{} panels", panels.len());
    let mut ids = Vec::new();
    for p in panels {
        ids.push(p["id"].as_u64().expect("panel id"));
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "panel {} has no query", p["title"]);
        for t in targets {
            let uid = t["datasource"]["uid"].as_str().expect("datasource uid");
            assert!(uids.contains(&uid), "panel {} uses data source {uid}", p["title"]);
            assert!(
                t["expr"].as_str().is_some_and(|e| !e.is_empty()),
                "panel {}",
                p["title"]
            );
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    let exprs = dashboard.to_string();
    for metric in [
        "istio_requests_total",
        "istio_tcp_sent_bytes_total",
        "container_network_receive_bytes_total",
    ] {
        assert!(exprs.contains(metric), "the dashboard shows {metric}");
    }
}

#[test]
fn kiali_points_at_this_prometheus_jaeger_and_grafana() {
    let config: Value = serde_yaml::from_str(&config_map_data(
        "manifests/observability/kiali.yaml",
        "kiali",
        "config.yaml",
    ))
    .expect("Kiali config is YAML");
    let services = &config["external_services"];
    assert_eq!(
        services["prometheus"]["url"],
        "http://prometheus.observability.svc.cluster.local:9090"
    );
    assert!(services["tracing"]["internal_url"]
        .as_str()
        .is_some_and(|u| u.contains("jaeger-query.observability") && u.contains(":16685")));
    assert!(services["grafana"]["internal_url"]
        .as_str()
        .is_some_and(|u| u.contains("grafana.observability") && u.contains(":3000")));
}

#[test]
fn the_readme_and_the_guide_cover_every_file_and_tool() {
    let readme = read("manifests/observability/README.md");
    for file in common::manifest_files("manifests/observability") {
        let name = file.rsplit('/').next().unwrap_or(&file);
        assert!(
            readme.contains(name),
            "manifests/observability/README.md does not mention {name}"
        );
    }
    let guide = read("docs/observability.md");
    for forward in [
        "port-forward svc/prometheus 9090:9090",
        "port-forward svc/grafana 3000:3000",
        "port-forward svc/kiali 20001:20001",
        "port-forward svc/jaeger-query 16686:16686",
    ] {
        assert!(
            guide.contains(forward),
            "docs/observability.md lacks `kubectl -n observability {forward}`"
        );
    }
}
