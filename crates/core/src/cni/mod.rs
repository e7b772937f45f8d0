//! CNI and address planning: the `AddressPlan` document (netplay.dev/v1alpha1), what it
//! computes (pods per node, maximum nodes, addresses wasted, the pod MTU), the errors it
//! finds (overlaps, masks, IPv6 limits of the CNI, dual-stack Services, MTU mismatches),
//! the CNI configuration generated from it and read back. docs/cni.md is the guide.
//!
//! An address plan as users write it:
//!
//! ```yaml
//! apiVersion: netplay.dev/v1alpha1
//! kind: AddressPlan
//! metadata:
//!   name: prod
//! spec:
//!   cluster: prod-eu           # default: metadata.name
//!   podCIDRs: [10.244.0.0/16, fd00:10:244::/56]
//!   serviceCIDRs: [10.96.0.0/12, fd00:10:96::/112]
//!   nodeSubnets: [10.0.0.0/22]
//!   nodePodMaskSize: {ipv4: 24, ipv6: 64}
//!   maxPodsPerNode: 110        # kubelet --max-pods
//!   cni: cilium                # cilium | calico | flannel | other
//!   datapath: vxlan            # direct | vxlan | geneve | ipip | wireguard | ipsec
//!   underlayMTU: 1500
//!   podMTU: 1450               # optional: the MTU you intend to set; checked
//!   existingNetworks:
//!     - {name: corporate VPN, cidr: 172.16.0.0/12}
//! ```
//!
//! Public API, used by the CLI, the web app and the multi-cluster module:
//! - `read::build` (through `read::cni`) puts every AddressPlan of the input in
//!   `Cluster::cni.plans` (an [`AddressPlan`]: name, cluster, spec, where it is; the
//!   types are in `crate::model::cni`);
//! - [`plan::compute`] turns one plan (and the Services of its cluster) into a
//!   [`PlanReport`]: per-family numbers, every range, the MTU, diagnostics;
//! - [`plan::check_plans`] checks the plans of several clusters against each other
//!   (overlapping pod CIDRs and node subnets, NP3008);
//! - [`plan_scenario`] does all of it for a loaded scenario (`Scenario::plan`);
//! - [`generate::generate`] writes the CNI configuration files for a plan.

pub mod configs;
pub mod edit;
pub mod generate;
pub mod mtu;
pub mod plan;

pub use crate::model::cni::{
    AddressPlan, AddressPlanSpec, Cni, CniKind, CniObjects, Datapath, ExistingNetwork, Family, MaskSizes,
    ServiceFamilies, Source, DEFAULT_MAX_PODS, DEFAULT_UNDERLAY_MTU, NETPLAY_API_VERSION,
};
pub use mtu::MtuReport;
pub use plan::{check_plans, compute, PlanReport};

use crate::diagnostics::Diagnostic;
use serde::Serialize;

/// Everything `netplay plan` shows for a scenario: one report per AddressPlan, the facts
/// read from CNI configuration objects, and the diagnostics of all checks (per plan,
/// across plans, configuration against plan), sorted.
#[derive(Clone, Debug, Serialize)]
pub struct PlanOutcome {
    pub plans: Vec<PlanReport>,
    pub configs: Vec<configs::ConfigFacts>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Computes every plan of the scenario. The Services of the input are checked against
/// every dual-stack plan (one scenario is one cluster; the multi-cluster module passes
/// each cluster's own Services to [`plan::compute`]).
pub fn plan_scenario(cluster: &crate::model::Cluster) -> PlanOutcome {
    let objects = &cluster.cni;
    // Without a plan or a configuration every check below finds nothing. Computed apart:
    // the browser compiles a wasm function whole on its first call.
    if objects.plans.is_empty() && objects.configs.is_empty() {
        return PlanOutcome {
            plans: Vec::new(),
            configs: Vec::new(),
            diagnostics: Vec::new(),
        };
    }
    plan_objects(objects)
}

#[inline(never)]
fn plan_objects(objects: &crate::model::cni::CniObjects) -> PlanOutcome {
    let mut plans: Vec<PlanReport> = objects
        .plans
        .iter()
        .map(|p| plan::compute(p, &objects.services))
        .collect();
    let mut diagnostics: Vec<Diagnostic> = plans.iter_mut().flat_map(|r| r.diagnostics.clone()).collect();
    let refs: Vec<&AddressPlan> = objects.plans.iter().collect();
    diagnostics.extend(plan::check_plans(&refs));
    let facts: Vec<configs::ConfigFacts> = objects.configs.iter().map(|c| c.facts()).collect();
    diagnostics.extend(configs::check(&objects.configs, &objects.plans, &plans));
    crate::diagnostics::sort_and_dedup(&mut diagnostics);
    PlanOutcome {
        plans,
        configs: facts,
        diagnostics,
    }
}

impl PlanOutcome {
    /// The text `netplay plan` prints on stdout: each plan's table and ranges, then the
    /// facts of each CNI configuration object. Diagnostics are printed separately.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.plans.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&p.to_string());
        }
        if !self.configs.is_empty() {
            out.push_str("\nCNI configuration read back:\n");
            for c in &self.configs {
                out.push_str(&format!("  {} ({}:{}): {}", c.resource, c.file, c.line, c.cni));
                if let Some(d) = c.datapath {
                    out.push_str(&format!(", datapath {d}"));
                }
                if !c.pod_cidrs.is_empty() {
                    out.push_str(&format!(", pod ranges {}", c.pod_cidrs.join(" ")));
                }
                for (f, m) in &c.masks {
                    out.push_str(&format!(", {f} per-node mask /{m}"));
                }
                for (field, v) in &c.mtus {
                    out.push_str(&format!(", {field} = {v}"));
                }
                out.push('\n');
            }
        }
        out
    }
}
