//! Address planning, documented by example: tests/plans/<name>/ (see its README.md).
//!
//! Every scenario's computed table and diagnostics are compared with `expected.txt`; a
//! directory named after a code must report it, `guard-*` and `mtu-*` directories must
//! report no error or warning. The numbers the READMEs work out by hand are asserted
//! again below, computed from the plan fields rather than read from the output.

use netplay_core::cni::plan::{compute, FamilyReport};
use netplay_core::cni::{AddressPlan, AddressPlanSpec, Family, MaskSizes};
use netplay_core::{load, Scenario, Severity, SourceFile};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/plans")
}

fn scenario_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("tests/plans exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "tests/plans lost scenarios: {}", dirs.len());
    dirs
}

fn load_dir(dir: &Path) -> Scenario {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|p| {
            let name = p.file_name().expect("file name").to_string_lossy();
            SourceFile::new(name, std::fs::read_to_string(p).expect("readable file"))
        })
        .collect();
    load(&sources)
}

/// The plan output plus every diagnostic (reading and planning) of a scenario.
fn render(scenario: &Scenario) -> String {
    let outcome = scenario.plan();
    let mut out = outcome.to_text();
    out.push_str("\ndiagnostics:\n");
    let mut diags = scenario.diagnostics.clone();
    diags.extend(outcome.diagnostics);
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    for d in &diags {
        out.push_str(&format!("  {d}\n"));
    }
    out
}

#[test]
fn every_scenario_matches_its_expected_output() {
    let bless = std::env::var_os("NETPLAY_BLESS").is_some();
    let mut failures = Vec::new();
    for dir in scenario_dirs() {
        let name = dir.file_name().expect("name").to_string_lossy().into_owned();
        let scenario = load_dir(&dir);
        let got = render(&scenario);
        let expected_path = dir.join("expected.txt");
        if bless {
            std::fs::write(&expected_path, &got).expect("writable expected.txt");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{name}: output differs\n--- expected\n{expected}--- got\n{got}"
            ));
        }
        let outcome = scenario.plan();
        let mut all = scenario.diagnostics.clone();
        all.extend(outcome.diagnostics.iter().cloned());
        if let Some(code) = name.split('-').next().filter(|c| c.starts_with("np")) {
            let code = code.to_ascii_uppercase();
            if !all.iter().any(|d| d.code == code) {
                failures.push(format!("{name}: {code} not reported"));
            }
        } else {
            for d in all.iter().filter(|d| d.severity != Severity::Info) {
                failures.push(format!("{name}: a valid plan reports {d}"));
            }
        }
        assert!(!outcome.plans.is_empty(), "{name}: no AddressPlan read");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn family(report: &netplay_core::cni::PlanReport, f: Family) -> &FamilyReport {
    report
        .families
        .iter()
        .find(|r| r.family == f)
        .unwrap_or_else(|| panic!("no {f} in {}", report.name))
}

fn plan_of(dir: &str) -> netplay_core::cni::PlanReport {
    let outcome = load_dir(&root().join(dir)).plan();
    outcome.plans.into_iter().next().expect("one plan")
}

#[test]
fn flannel_numbers_worked_by_hand() {
    let r = plan_of("guard-ipv4-flannel");
    let v4 = family(&r, Family::V4);
    // A /24 has 256 addresses; host-local loses 3; max-pods 110 is smaller.
    assert_eq!(v4.node_range_addresses, 1 << (32 - 24));
    assert_eq!(v4.pods_per_node, 110);
    // 2^(24-16) ranges, but a /24 node subnet has 256 - 2 hosts.
    assert_eq!(v4.node_ranges, 1 << (24 - 16));
    assert_eq!(v4.max_nodes, 256 - 2);
    assert_eq!(v4.wasted, (1 << 16) - 254 * 110);
    assert_eq!(r.mtu.pod_mtu, 1500 - (20 + 8 + 8 + 14));
}

#[test]
fn calico_nodes_borrow_blocks() {
    let r = plan_of("guard-calico-blocks");
    let v4 = family(&r, Family::V4);
    let blocks = 1u128 << (26 - 16);
    let blocks_per_node = 110u128.div_ceil(64);
    assert_eq!(v4.node_ranges, blocks);
    assert_eq!(v4.max_nodes, blocks / blocks_per_node);
    assert_eq!(v4.wasted, (1 << 16) - (blocks / blocks_per_node) * 110);
}

#[test]
fn ipv6_ranges_at_the_node_ipam_limit() {
    let r = plan_of("guard-dual-stack-cilium");
    assert!(r.dual_stack);
    let v6 = family(&r, Family::V6);
    assert_eq!(v6.node_ranges, 1 << 16);
    assert_eq!(v6.node_range_addresses, 1 << (128 - 120));
    let v4 = family(&r, Family::V4);
    // 256 ranges, but the /24 node subnet has only 254 hosts.
    assert_eq!(v4.node_subnet_hosts, Some(256 - 2));
    assert_eq!(v4.max_nodes, 254);
}

#[test]
fn mtu_per_datapath_and_underlay() {
    for (dir, expected) in [
        ("mtu-direct", 1500),
        ("mtu-vxlan-ipv6-underlay", 1500 - 70),
        ("mtu-geneve", 1500 - 50),
        ("mtu-ipip", 1480 - 20),
        ("mtu-wireguard-dual-stack", 1500 - 80),
        ("mtu-ipsec", 9001 - 57),
    ] {
        assert_eq!(plan_of(dir).mtu.pod_mtu, expected, "{dir}");
    }
}

/// A plan built in code, as the web form and the multi-cluster module do.
fn spec(pods: &[&str], mask_v4: u8) -> AddressPlanSpec {
    AddressPlanSpec {
        pod_cidrs: pods.iter().map(|s| s.to_string()).collect(),
        node_pod_mask_size: MaskSizes {
            ipv4: Some(mask_v4),
            ipv6: None,
        },
        ..Default::default()
    }
}

#[test]
fn plans_of_two_clusters_are_checked_against_each_other() {
    let east = AddressPlan::from_spec("east", spec(&["10.244.0.0/16"], 24));
    let west = AddressPlan::from_spec("west", spec(&["10.244.128.0/17"], 24));
    let apart = AddressPlan::from_spec("apart", spec(&["10.245.0.0/16"], 24));
    let diags = netplay_core::cni::check_plans(&[&east, &west, &apart]);
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["NP3008"], "{diags:?}");
    assert!(diags[0].message.contains("west") && diags[0].message.contains("east"));
    // The same cluster twice is not an overlap between clusters.
    let again = AddressPlan::from_spec("east", spec(&["10.244.0.0/16"], 24));
    assert!(netplay_core::cni::check_plans(&[&east, &again]).is_empty());
}

#[test]
fn never_panics_on_extreme_plans() {
    for pods in [
        ["::/0"].as_slice(),
        &["0.0.0.0/0"],
        &["10.0.0.0/32"],
        &["fd00::/128", "10.0.0.0/8"],
    ] {
        for mask in [0u8, 8, 32, 64, 128, 255] {
            let mut s = spec(pods, mask);
            s.node_pod_mask_size.ipv6 = Some(mask);
            s.underlay_mtu = Some(0);
            s.pod_mtu = Some(u32::MAX);
            s.max_pods_per_node = Some(u32::MAX);
            for cni in ["cilium", "calico", "flannel", "other", "?"] {
                s.cni = Some(cni.into());
                let r = compute(&AddressPlan::from_spec("x", s.clone()), &[]);
                let _ = r.rows();
                let _ = r.to_string();
            }
        }
    }
}

/// Generate → read back → validate: the files say what the plan says, and loading them
/// beside the plan reports nothing worse than infos.
#[test]
fn generated_configs_round_trip() {
    use netplay_core::cni::generate::{generate, sysctls, FILE_NAMES};
    for dir in [
        "guard-ipv4-flannel",
        "guard-dual-stack-cilium",
        "guard-calico-blocks",
        "guard-dual-stack-flannel",
        "np3005-single-stack-service",
        "mtu-vxlan-ipv6-underlay",
        "mtu-wireguard-dual-stack",
        "mtu-geneve",
    ] {
        let plan_file = root().join(dir).join("plan.yaml");
        let plan_text = std::fs::read_to_string(&plan_file).expect("plan.yaml");
        let scenario = load(&[SourceFile::new("plan.yaml", plan_text.clone())]);
        let plan = &scenario.cluster.cni.plans[0];
        let report = compute(plan, &[]);
        let files = generate(plan);
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, FILE_NAMES, "{dir}");

        let mut sources = vec![SourceFile::new("plan.yaml", plan_text)];
        sources.extend(files.iter().map(|f| SourceFile::new(f.name.clone(), f.text.clone())));
        let back = load(&sources);
        let outcome = back.plan();
        let mut all = back.diagnostics.clone();
        all.extend(outcome.diagnostics.iter().cloned());
        let bad: Vec<String> = all
            .iter()
            .filter(|d| d.severity != Severity::Info)
            .map(|d| d.to_string())
            .collect();
        assert!(bad.is_empty(), "{dir}: generated files report:\n{}", bad.join("\n"));
        // Only hostNetwork (NP1009, the tuning DaemonSet needs it) may be said at all.
        for d in &all {
            assert_eq!(d.code, "NP1009", "{dir}: {d}");
        }

        // The same facts: every CNI object's pod ranges, masks and MTUs are the plan's.
        let plan_cidrs: Vec<String> = report.families.iter().map(|f| f.pod_cidr.to_string()).collect();
        let cilium = outcome
            .configs
            .iter()
            .find(|c| c.resource == "ConfigMap kube-system/cilium-config")
            .expect("cilium-config read back");
        assert_eq!(cilium.pod_cidrs, plan_cidrs, "{dir}");
        let masks: Vec<(Family, u8)> = report.families.iter().map(|f| (f.family, f.node_mask)).collect();
        assert_eq!(cilium.masks, masks, "{dir}");
        let pools: Vec<String> = outcome
            .configs
            .iter()
            .filter(|c| c.resource.starts_with("IPPool "))
            .flat_map(|c| c.pod_cidrs.clone())
            .collect();
        assert_eq!(pools, plan_cidrs, "{dir}");
        let calico_config = outcome
            .configs
            .iter()
            .find(|c| c.resource == "ConfigMap kube-system/calico-config")
            .expect("calico-config read back");
        assert_eq!(
            calico_config.mtus,
            [("data.veth_mtu".to_string(), report.mtu.pod_mtu)],
            "{dir}"
        );
        if report.cni.datapaths().contains(&report.datapath) && report.cni.as_str() == "cilium" {
            assert_eq!(cilium.mtus, [("data.mtu".to_string(), report.mtu.pod_mtu)], "{dir}");
        }
        // The dual-stack Service asks for exactly the plan's families.
        let svc = back
            .cluster
            .cni
            .services
            .iter()
            .find(|s| s.name == "dual-stack-demo")
            .expect("the dual-stack Service");
        let fams: Vec<&str> = report.families.iter().map(|f| f.family.as_str()).collect();
        assert_eq!(svc.ip_families, fams, "{dir}");
        // The tuning DaemonSet is a workload of the model, and its script sets every
        // sysctl once with the explained value.
        assert!(back
            .cluster
            .workloads
            .iter()
            .any(|w| w.endpoint_name() == "kube-system/node-network-tuning[DaemonSet]"));
        let tuning = &files[4].text;
        let set = sysctls(tuning);
        assert_eq!(set.len(), 8, "{dir}: {set:?}");
        for (k, v) in &set {
            assert!(
                tuning.contains(&format!("#   {k} = {v}")),
                "{dir}: {k} is not explained"
            );
        }
    }
}

fn custom_cni_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../manifests/custom-cni")
}

fn custom_cni_sources() -> Vec<SourceFile> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(custom_cni_dir())
        .expect("manifests/custom-cni exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            SourceFile::new(name, std::fs::read_to_string(p).expect("readable"))
        })
        .collect()
}

/// The five configuration files of manifests/custom-cni are exactly what `netplay plan
/// --emit` writes from its address-plan.yaml (`NETPLAY_BLESS=1` rewrites them).
#[test]
fn custom_cni_files_are_generated_from_the_address_plan() {
    use netplay_core::cni::generate::generate;
    let sources = custom_cni_sources();
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "address-plan.yaml",
            "calico-optimization.yaml",
            "cilium-custom-config.yaml",
            "custom-mtu-config.yaml",
            "ipv6-dual-stack.yaml",
            "node-network-tuning.yaml"
        ]
    );
    let scenario = load(&sources[..1]);
    let plan = &scenario.cluster.cni.plans[0];
    for file in generate(plan) {
        let path = custom_cni_dir().join(&file.name);
        if std::env::var_os("NETPLAY_BLESS").is_some() {
            std::fs::write(&path, &file.text).expect("writable");
        }
        let committed = std::fs::read_to_string(&path).expect("committed file");
        assert_eq!(committed, file.text, "{} is not what --emit writes", file.name);
    }
}

/// The library's plan and its configuration, checked together: nothing to report, and
/// the numbers the address plan's comments promise.
#[test]
fn custom_cni_library_is_consistent() {
    let scenario = load(&custom_cni_sources());
    let outcome = scenario.plan();
    let mut all = scenario.diagnostics.clone();
    all.extend(outcome.diagnostics.iter().cloned());
    let codes: Vec<&str> = all.iter().map(|d| d.code).collect();
    // Only the tuning DaemonSet's hostNetwork, which it needs to reach the node's sysctls.
    assert_eq!(codes, ["NP1009"], "{all:?}");
    let r = &outcome.plans[0];
    assert_eq!(r.cluster, "shop-prod");
    assert_eq!(r.mtu.pod_mtu, 1500 - 50);
    let v4 = family(r, Family::V4);
    assert_eq!(v4.node_ranges, 1 << (25 - 16));
    assert_eq!(v4.max_nodes, 512 - 2);
    assert_eq!(v4.pods_per_node, 110);
    // Every CNI object read back says 1450 and the plan's ranges.
    let mtus: Vec<u32> = outcome
        .configs
        .iter()
        .flat_map(|c| c.mtus.iter().map(|m| m.1))
        .collect();
    assert!(mtus.len() >= 3 && mtus.iter().all(|&m| m == 1450), "{mtus:?}");
    let cilium = outcome
        .configs
        .iter()
        .find(|c| c.resource == "ConfigMap kube-system/cilium-config")
        .expect("cilium-config");
    assert_eq!(cilium.pod_cidrs, ["10.244.0.0/16", "fd00:10:244::/104"]);
}

/// Mistakes planted into the library are caught where they are made.
#[test]
fn custom_cni_planted_mistakes_are_caught() {
    let planted = |file: &str, from: &str, to: &str| -> Vec<(String, &'static str, u32)> {
        let mut sources = custom_cni_sources();
        let f = sources.iter_mut().find(|s| s.name == file).expect("file");
        assert!(f.text.contains(from), "{file} has no {from:?}");
        f.text = f.text.replacen(from, to, 1);
        let scenario = load(&sources);
        let mut all = scenario.diagnostics.clone();
        all.extend(scenario.plan().diagnostics);
        all.into_iter()
            .filter(|d| d.code != "NP1009")
            .map(|d| (d.file.unwrap_or_default(), d.code, d.line.unwrap_or(0)))
            .collect()
    };
    // A data centre range that swallows the pod CIDR.
    assert_eq!(
        planted(
            "address-plan.yaml",
            "    - name: office LAN\n",
            "    - name: datacenter\n      cidr: 10.240.0.0/12\n    - name: office LAN\n"
        ),
        [("address-plan.yaml".to_string(), "NP3002", 55)]
    );
    // Cilium left at the Ethernet MTU under VXLAN.
    assert_eq!(
        planted("cilium-custom-config.yaml", "mtu: \"1450\"", "mtu: \"1500\""),
        [("cilium-custom-config.yaml".to_string(), "NP3006", 27)]
    );
    // A per-node range Cilium's operator would hand out differently from the plan.
    assert_eq!(
        planted(
            "cilium-custom-config.yaml",
            "cluster-pool-ipv4-mask-size: \"25\"",
            "cluster-pool-ipv4-mask-size: \"24\""
        ),
        [("cilium-custom-config.yaml".to_string(), "NP3009", 18)]
    );
    // The demo Service made single-stack in the dual-stack cluster.
    assert_eq!(
        planted(
            "ipv6-dual-stack.yaml",
            "ipFamilyPolicy: RequireDualStack",
            "ipFamilyPolicy: SingleStack"
        ),
        [("ipv6-dual-stack.yaml".to_string(), "NP3005", 19)]
    );
}
