//! The pod MTU of a plan: the datapath's overhead over the underlay's families (the node
//! subnets', else the pods'), and a set MTU checked against it.

use super::{key, PlanDiagnostics, PlanRange, RangeRole};
use crate::cni::mtu::{self, MtuReport};
use crate::cni::Datapath;
use crate::cni::{AddressPlan, Family, DEFAULT_UNDERLAY_MTU};
use crate::diagnostics::Diagnostic;

/// The pod MTU of the plan; NP3001 for an unusable underlay MTU, NP3006/NP3007 for a
/// `podMTU` above or below it.
pub(super) fn pod_mtu(
    plan: &AddressPlan,
    datapath: Datapath,
    ranges: &[PlanRange],
    pod_families: &[Family],
    diags: &mut PlanDiagnostics,
) -> MtuReport {
    let spec = &plan.spec;
    let underlay_mtu = spec.underlay_mtu.unwrap_or(DEFAULT_UNDERLAY_MTU);
    if !(576..=65535).contains(&underlay_mtu) {
        diags.at(
            "NP3001",
            &[key("spec"), key("underlayMTU")],
            format!("spec.underlayMTU: {underlay_mtu} is not a usable link MTU (576 to 65535)"),
            None,
        );
    }
    let mut underlay: Vec<Family> = ranges
        .iter()
        .filter(|r| r.role == RangeRole::Node)
        .map(|r| r.family)
        .collect();
    if underlay.is_empty() {
        underlay = pod_families.to_vec();
    }
    if underlay.is_empty() {
        underlay.push(Family::V4);
    }
    let mtu = mtu::compute(underlay_mtu, datapath, &underlay);
    if let Some(set) = spec.pod_mtu {
        if let Some(d) = mtu_check(set, &mtu, "spec.podMTU") {
            let loc = plan.source.locate(&[key("spec"), key("podMTU")]);
            diags.at_loc(d, &loc);
        }
    }
    mtu
}

/// NP3006 when `set` is above the computed pod MTU (packets fragment or drop), NP3007
/// when it is below (every full-size packet carries fewer bytes than it could).
pub fn mtu_check(set: u32, mtu: &MtuReport, what: &str) -> Option<Diagnostic> {
    use std::cmp::Ordering::*;
    match set.cmp(&mtu.pod_mtu) {
        Greater => Some(
            Diagnostic::new(
                "NP3006",
                format!(
                    "{what} {set} exceeds the pod MTU {} ({} underlay MTU {} minus {} bytes): full-size packets fragment or are dropped",
                    mtu.pod_mtu,
                    mtu.datapath,
                    mtu.underlay_mtu,
                    mtu.underlay_mtu.saturating_sub(mtu.pod_mtu)
                ),
            )
            .help(format!("set the MTU to {}", mtu.pod_mtu)),
        ),
        Less => Some(
            Diagnostic::new(
                "NP3007",
                format!(
                    "{what} {set} is {} bytes below the pod MTU {} that {} over underlay MTU {} allows: every full-size packet carries less than it could",
                    mtu.pod_mtu - set,
                    mtu.pod_mtu,
                    mtu.datapath,
                    mtu.underlay_mtu
                ),
            )
            .help(format!("set the MTU to {}", mtu.pod_mtu)),
        ),
        Equal => None,
    }
}
