//! The multi-cluster scenarios, tests/multicluster/<name>/: the manifests (any `.yaml`
//! below the directory, named by their path inside it, so that a `Cluster` document in a
//! subdirectory owns the files beside and below it), a `README.md` saying what the case
//! shows and why, and:
//!
//! - `expected.txt`: blocks of `> FROM NAME [--fail X]...` followed by what
//!   `MultiScenario::resolve` must answer: `mechanism M`, `dns RECORD`, then one line
//!   `cluster/workload share` per endpoint that gets traffic (share rounded to 3 places);
//! - `diagnostics.txt`: every diagnostic `netplay analyze` reports, one `CODE resource`
//!   per line (sorted), so a missing or an extra finding both fail.
//!
//! The expectations are written by hand from the rules in docs/multi-cluster-setup.md;
//! they are the specification, so there is no bless mode.

use netplay_core::multicluster::MultiScenario;
use netplay_core::{load, Scenario, SourceFile};
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/multicluster")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/multicluster exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

pub fn load_dir(dir: &Path) -> Scenario {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|p| {
            let name = p
                .strip_prefix(dir)
                .expect("below the case")
                .to_string_lossy()
                .replace('\\', "/");
            SourceFile::new(name, std::fs::read_to_string(p).expect("readable manifest"))
        })
        .collect();
    load(&sources)
}

fn multi(scenario: &Scenario, case: &str) -> MultiScenario {
    *scenario
        .multicluster
        .clone()
        .unwrap_or_else(|| panic!("{case}: the input is not read as multi-cluster"))
}

/// The text `expected.txt` holds for one query.
fn describe(m: &MultiScenario, query: &str) -> String {
    let words: Vec<&str> = query.split_whitespace().collect();
    let (from, name) = (words[0], words[1]);
    let mut failed = Vec::new();
    let mut rest = words[2..].iter();
    while let Some(w) = rest.next() {
        assert_eq!(*w, "--fail", "query {query:?}: only --fail X may follow the name");
        failed.push(rest.next().expect("--fail needs a value").to_string());
    }
    let r = match m.resolve(from, name, &failed) {
        Ok(r) => r,
        Err(e) => return format!("> {query}\nerror {e}\n"),
    };
    let mut out = format!("> {query}\nmechanism {}\ndns {}\n", r.mechanism.as_str(), r.dns.record);
    for e in r.endpoints.iter().filter(|e| e.share > 0.0) {
        out.push_str(&format!("{}/{} {:.3}\n", e.cluster, e.workload, e.share));
    }
    out
}

#[test]
fn every_case_resolves_as_expected() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in case_dirs() {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let Ok(expected) = std::fs::read_to_string(dir.join("expected.txt")) else {
            continue;
        };
        assert!(
            dir.join("README.md").exists(),
            "{case}: README.md says what the case shows"
        );
        let scenario = load_dir(&dir);
        let m = multi(&scenario, &case);
        let blocks: Vec<&str> = expected.split("\n> ").collect();
        for (i, block) in blocks.iter().enumerate() {
            let block = if i == 0 { block.trim_start_matches("> ") } else { block };
            let query = block.lines().next().unwrap_or_default();
            let want = format!("> {}\n", block.trim_end());
            let got = describe(&m, query);
            count += 1;
            if got != want {
                failures.push(format!("{case}:\n--- expected\n{want}--- got\n{got}"));
            }
        }
    }
    assert!(count >= 10, "only {count} queries found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_reports_exactly_its_diagnostics() {
    let mut failures = Vec::new();
    for dir in case_dirs() {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected = std::fs::read_to_string(dir.join("diagnostics.txt"))
            .unwrap_or_else(|_| panic!("{case}: diagnostics.txt lists what analyze reports"));
        let mut want: Vec<String> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        want.sort();
        let mut got: Vec<String> = load_dir(&dir)
            .analyze()
            .iter()
            .map(|d| format!("{} {}", d.code, d.resource.clone().unwrap_or_default()))
            .collect();
        got.sort();
        if got != want {
            failures.push(format!("{case}: expected {want:#?}\n got {got:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn single_cluster_inputs_stay_single_cluster() {
    let scenario = load(&[SourceFile::new(
        "app.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {selector: {app: a}, ports: [{port: 80}]}\n",
    )]);
    assert!(scenario.multicluster.is_none());
}

#[test]
fn malformed_cluster_documents_become_diagnostics() {
    let text = "apiVersion: netplay.dev/v1alpha1\nkind: Cluster\nmetadata: {name: east}\nspec: {region: [1, 2], regoin: x}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  annotations: {netplay.dev/cluster: nowhere}\n";
    let scenario = load(&[SourceFile::new("c.yaml", text)]);
    let codes: Vec<&str> = scenario.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"NP0002"), "{codes:?}");
    assert!(codes.contains(&"NP5001"), "{codes:?}");
    let m = scenario.multicluster.expect("multi-cluster");
    assert_eq!(
        m.clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["east", "nowhere"]
    );
    assert!(
        m.resolve("east", "a", &[]).is_err(),
        "a --from without a workload is an error, not a panic"
    );
    assert!(m.resolve("mars/default/x", "a", &[]).is_err());
}

/// One file of manifests/multi-cluster/, read on its own as the CLI reads it.
fn load_manifest(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../manifests/multi-cluster")
        .join(file);
    let name = format!("manifests/multi-cluster/{file}");
    load(&[SourceFile::new(
        name,
        std::fs::read_to_string(&path).expect("manifest exists"),
    )])
}

/// Each query of a manifest with what its header comment promises, in `expected.txt` form.
fn assert_manifest(file: &str, expectations: &[&str], codes: &[&str]) {
    let scenario = load_manifest(file);
    let m = multi(&scenario, file);
    for want in expectations {
        let query = want.lines().next().unwrap_or_default().trim_start_matches("> ");
        assert_eq!(describe(&m, query), format!("{}\n", want.trim_end()), "{file}");
    }
    let mut got: Vec<&str> = scenario
        .analyze()
        .iter()
        .filter(|d| d.severity != netplay_core::Severity::Info)
        .map(|d| d.code)
        .collect();
    got.sort();
    assert_eq!(got, codes, "{file}: diagnostics");
}

#[test]
fn manifest_service_discovery_spreads_over_both_clusters_and_fails_over() {
    assert_manifest(
        "multi-cluster-service-discovery.yaml",
        &[
            "> west/store/storefront catalog.store.svc.clusterset.local\nmechanism mcs\ndns ClusterSetIP\neast/store/catalog[Deployment] 0.667\nwest/store/catalog[Deployment] 0.333",
            "> west/store/storefront catalog.store.svc.clusterset.local --fail east\nmechanism mcs\ndns ClusterSetIP\nwest/store/catalog[Deployment] 1.000",
            "> west/store/storefront catalog\nmechanism kubernetes\ndns ClusterIP\nwest/store/catalog[Deployment] 1.000",
        ],
        &[],
    );
}

#[test]
fn manifest_cross_cluster_dns_answers_per_zone_and_type() {
    assert_manifest(
        "cross-cluster-dns.yaml",
        &[
            "> blue/finance/dashboard reports\nmechanism kubernetes\ndns NXDOMAIN",
            "> blue/finance/dashboard reports.finance.svc.clusterset.local\nmechanism mcs\ndns ClusterSetIP\ngreen/finance/reports[Deployment] 1.000",
            "> blue/finance/dashboard ledger.finance.svc.clusterset.local\nmechanism mcs\ndns Headless\nblue/finance/ledger[StatefulSet] 0.500\ngreen/finance/ledger[StatefulSet] 0.500",
            "> blue/finance/dashboard ledger\nmechanism kubernetes\ndns Headless\nblue/finance/ledger[StatefulSet] 1.000",
        ],
        &[],
    );
}

#[test]
fn manifest_global_ingress_fails_over_through_the_other_regions_east_west_gateway() {
    assert_manifest(
        "global-ingress.yaml",
        &[
            "> us/istio-system/global-ingressgateway web.retail.svc.cluster.local\nmechanism istio\ndns ClusterIP\nus/retail/web[Deployment] 1.000",
            "> eu/istio-system/global-ingressgateway web.retail.svc.cluster.local\nmechanism istio\ndns ClusterIP\nus/retail/web[Deployment] 1.000",
            "> eu/istio-system/global-ingressgateway web.retail.svc.cluster.local --fail us\nmechanism istio\ndns ClusterIP",
        ],
        &[],
    );
    let scenario = load_manifest("global-ingress.yaml");
    let r = multi(&scenario, "global-ingress")
        .resolve(
            "eu/istio-system/global-ingressgateway",
            "web.retail.svc.cluster.local",
            &[],
        )
        .expect("resolves");
    let us = r.endpoints.iter().find(|e| e.cluster == "us").expect("us endpoint");
    assert_eq!(
        us.via,
        "east-west gateway istio-system/cross-network-gateway of cluster us"
    );
}

#[test]
fn manifest_multi_region_routing_shares_per_client_region_and_after_a_region_fails() {
    // The table in the file's header, row by row.
    let rows = [
        ("us-east1", "", "us-east1"),
        ("us-east1", "us-east1", "us-west1"),
        ("us-east1", "europe-west1", "us-east1"),
        ("us-west1", "", "us-west1"),
        ("us-west1", "us-east1", "us-west1"),
        ("us-west1", "europe-west1", "us-west1"),
        ("europe-west1", "", "europe-west1"),
        ("europe-west1", "us-east1", "europe-west1"),
        ("europe-west1", "europe-west1", "us-east1"),
    ];
    let expectations: Vec<String> = rows
        .iter()
        .map(|(client, fail, to)| {
            let fail = if fail.is_empty() {
                String::new()
            } else {
                format!(" --fail {fail}")
            };
            format!("> {client}/shop/web api{fail}\nmechanism istio\ndns ClusterIP\n{to}/shop/api[Deployment] 1.000")
        })
        .collect();
    let mut all: Vec<&str> = expectations.iter().map(String::as_str).collect();
    all.extend([
        "> us-west1/shop/web search\nmechanism istio\ndns ClusterIP\nus-east1/shop/search[Deployment] 0.500\nus-west1/shop/search[Deployment] 0.500",
        "> us-west1/shop/web search --fail us-east1\nmechanism istio\ndns ClusterIP\nus-west1/shop/search[Deployment] 1.000",
        "> us-east1/shop/web search\nmechanism istio\ndns ClusterIP\neurope-west1/shop/search[Deployment] 0.333\nus-east1/shop/search[Deployment] 0.333\nus-west1/shop/search[Deployment] 0.333",
    ]);
    assert_manifest("multi-region-traffic-routing.yaml", &all, &[]);
}

#[test]
fn manifest_cluster_federation_reports_kubefed_and_its_mcs_equivalent_works() {
    assert_manifest(
        "cluster-federation.yaml",
        &["> paris/echo/echo-client echo.echo.svc.clusterset.local\nmechanism mcs\ndns ClusterSetIP\nfrankfurt/echo/echo[Deployment] 0.500\nparis/echo/echo[Deployment] 0.500"],
        &["NP5005", "NP5005", "NP5005"],
    );
    let diags = load_manifest("cluster-federation.yaml").analyze();
    let service = diags
        .iter()
        .find(|d| d.message.starts_with("FederatedService"))
        .expect("reported");
    assert!(
        service.help.as_deref().unwrap_or_default().contains("ServiceExport"),
        "{service:?}"
    );
    assert!(service.message.contains("archived"));
}

#[test]
fn links_join_the_same_service_by_the_mechanism_that_shares_it() {
    let describe_links = |case: &str| -> Vec<String> {
        let m = multi(&load_dir(&cases_dir().join(case)), case);
        m.links()
            .iter()
            .map(|l| {
                format!(
                    "{} {}-{} {}",
                    l.service,
                    m.clusters[l.from].name,
                    m.clusters[l.to].name,
                    l.mechanism.as_str()
                )
            })
            .collect()
    };
    assert_eq!(describe_links("mcs-failover"), ["shop/checkout east-west mcs"]);
    assert_eq!(describe_links("istio-multi-network"), ["books/ratings east-west istio"]);
    // cart is global in one, two and three; inventory only in one (three's is not global);
    // search is global everywhere.
    assert_eq!(
        describe_links("clustermesh-affinity"),
        [
            "shop/cart one-three clustermesh",
            "shop/search one-three clustermesh",
            "shop/cart one-two clustermesh",
            "shop/search one-two clustermesh",
            "shop/cart three-two clustermesh",
            "shop/search three-two clustermesh",
        ]
    );
}
