//! CNI configuration objects read back: the facts an address plan cares about (pod
//! CIDRs, per-node masks, MTUs, the datapath) from Cilium's `cilium-config`, Calico's
//! `calico-config`, `Installation`, `IPPool` and `FelixConfiguration`, and the checks of
//! those facts against the plan (NP3009, NP3006, NP3007).

use super::mtu;
use super::plan::{mtu_check, PlanReport};
use super::{AddressPlan, Cni, Datapath, Family};
use crate::diagnostics::Diagnostic;
use crate::parse::locate::{DisplayPath, PathSeg};
use serde::Serialize;

pub use crate::model::cni::{CniConfig, MtuSetting};

/// The facts of a configuration object, for printing and for the round-trip test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFacts {
    pub resource: String,
    pub file: String,
    pub line: u32,
    pub cni: Cni,
    pub datapath: Option<Datapath>,
    #[serde(rename = "podCIDRs")]
    pub pod_cidrs: Vec<String>,
    /// `(family, mask)` pairs.
    pub masks: Vec<(Family, u8)>,
    /// `(field, value)` pairs.
    pub mtus: Vec<(String, u32)>,
}

impl CniConfig {
    pub fn facts(&self) -> ConfigFacts {
        ConfigFacts {
            resource: self.source.resource(),
            file: self.source.loc.file.clone(),
            line: self.source.loc.line,
            cni: self.cni,
            datapath: self.datapath,
            pod_cidrs: self.pod_cidrs.iter().map(|(n, _)| n.to_string()).collect(),
            masks: self.masks.iter().map(|(f, m, _)| (*f, *m)).collect(),
            mtus: self
                .mtus
                .iter()
                .map(|m| (DisplayPath(&m.path).to_string(), m.value))
                .collect(),
        }
    }
}

/// Checks configuration objects against the address plan: pod CIDRs outside the plan's,
/// per-node masks that differ (NP3009), the datapath of the plan's own CNI (NP3009), and
/// every MTU against the pod MTU of its datapath over the plan's underlay (NP3006,
/// NP3007). With several plans, configurations are checked against the first one.
pub fn check(configs: &[CniConfig], plans: &[AddressPlan], reports: &[PlanReport]) -> Vec<Diagnostic> {
    let (Some(plan), Some(report)) = (plans.first(), reports.first()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in configs {
        let resource = c.source.resource();
        let mut push =
            |d: Diagnostic, path: &[PathSeg]| out.push(d.at(&c.source.locate(path)).resource(resource.clone()));
        for (net, path) in &c.pod_cidrs {
            let inside = report
                .families
                .iter()
                .any(|f| f.pod_cidr.contains(&net.network()) && f.pod_cidr.prefix_len() <= net.prefix_len());
            if !inside {
                push(
                    Diagnostic::new(
                        "NP3009",
                        format!(
                            "{}: pod range {net} is not inside a pod CIDR of the address plan {} ({})",
                            DisplayPath(path),
                            plan.name,
                            plan.spec.pod_cidrs.join(", ")
                        ),
                    ),
                    path,
                );
            }
        }
        // A Calico block and a Cilium node range are different things: compare a mask only
        // with a plan for the same CNI.
        for (family, mask, path) in c.masks.iter().filter(|_| c.cni == report.cni) {
            if let Some(f) = report.families.iter().find(|f| f.family == *family) {
                if f.node_mask != *mask {
                    push(
                        Diagnostic::new(
                            "NP3009",
                            format!(
                                "{}: per-node mask /{mask} differs from the address plan's /{} for {family}",
                                DisplayPath(path),
                                f.node_mask
                            ),
                        ),
                        path,
                    );
                }
            }
        }
        if c.cni == report.cni {
            // WireGuard rides on a pool that routes natively.
            let wireguard_pool = report.datapath == Datapath::Wireguard && c.datapath == Some(Datapath::Direct);
            if let Some(d) = c.datapath.filter(|d| *d != report.datapath && !wireguard_pool) {
                push(
                    Diagnostic::new(
                        "NP3009",
                        format!(
                            "{} configures the {d} datapath but the address plan {} says {}",
                            c.source.kind, plan.name, report.datapath
                        ),
                    ),
                    &[],
                );
            }
        }
        let underlay: Vec<Family> = report.mtu.families.iter().map(|f| f.family).collect();
        for m in &c.mtus {
            let datapath = m.datapath.or(c.datapath).unwrap_or(report.datapath);
            let expected = mtu::compute(report.mtu.underlay_mtu, datapath, &underlay);
            if let Some(d) = mtu_check(m.value, &expected, &DisplayPath(&m.path).to_string()) {
                push(d, &m.path);
            }
        }
    }
    out
}
